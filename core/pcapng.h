/*
 * pcapng.h - the pcapng format as proctraf writes and reads it: blocks,
 * options, and proctraf's annotations of each packet's owners.
 *
 * The format is the IETF draft (draft-ietf-opsawg-pcapng, "PCAP Next
 * Generation Dump File Format"); the reader it must satisfy is
 * Wireshark's (wiretap/pcapng.c), and libpcap's for -r. Blocks and
 * option headers are written in this host's byte order, as the draft
 * asks (the section header's byte-order magic tells a reader which).
 *
 * The draft has no option for a packet's process (its EPB options are
 * flags, hash, dropcount, packetid, queue, verdict); Apple's PKTAP files
 * use a local-use block and local-use EPB options, which the draft says
 * are not portable and which Debian's Wireshark (4.0) does not read. So
 * each packet of a flow proctraf attributed carries:
 *
 *   - opt_comment (1): a UTF-8 line that Wireshark shows as the packet's
 *     comment (frame.comment), one clause per report row the packet is
 *     counted in: "pid=4120 comm=curl dir=out", "pid=4120 comm=curl
 *     dir=out; pid=77 comm=nginx dir=in" (loopback: both ends), or
 *     "unknown=no-socket dir=in". dir is out when that row counts the
 *     packet as sent, in when as received; a last word "via=packet" says
 *     that the process wrote it through a packet socket (the injected
 *     record below). comm is escaped as the text
 *     table escapes it (control bytes, DEL, invalid UTF-8, C1, bidi and
 *     invisible characters as \xNN per byte, backslash as \\), and space
 *     and ';' as \x20 and \x3b too, so that each key=value is one word:
 *     reversible, and any byte sequence gives valid UTF-8.
 *   - custom options (2989 / 19373) under PEN 32473, the IANA "Example
 *     Enterprise Number for Documentation Use" (RFC 5612): proctraf has
 *     no PEN of its own yet, so this is marked experimental by its very
 *     number, and every record starts with the magic "PT" and its type
 *     (a reader checks both: another user of 32473 is told apart).
 *     Numbers in the records are big-endian whatever the section's byte
 *     order (the draft's advice: a rewriter on another machine swaps the
 *     block's fields, not a custom option's bytes).
 *
 * Records (after the 4-byte PEN):
 *
 *   owners, option 19373 (not to be copied: it names processes by ids
 *   that a process record elsewhere in the section defines), one per
 *   packet of an attributed flow:
 *     0  'P' 'T' 0x02 flags     flags bit 0: IPv6
 *     4  proto reason state0 state1
 *     8  id0 (4)  id1 (4)       the owner of each end, or 0 (none)
 *    16  sport (2) dport (2)
 *    20  src addr, dst addr     4 bytes each (IPv4) or 16 (IPv6)
 *   End 0 is the packet's source, end 1 its destination; the ports and
 *   addresses are those of the flow proctraf counted the packet in (the
 *   echo identifier stands for an ICMP port, see decode.h). A state is
 *   bit 7: the end's address is one of this host's; bits 0-2: 0 owned
 *   (by process id), 1 no socket, 2 no process, 3 no permission. reason
 *   is the flow's unknown row when no end has an owner: 0 none, 1
 *   no-socket (unknown:packet-sockets too: the injected record below tells
 *   it apart), 2 no-process, 3 no-permission, 4 not-local, 5 table-full.
 *
 *   process, option 2989 (copyable: a description valid on its own), on
 *   the first packet that names the process:
 *     0  'P' 'T' 0x01 flags     flags bit 0: uid known, bit 1: cgroup known
 *     4  id (4) pid (4) uid (4)
 *    16  start (8)              clock ticks after boot (/proc/PID/stat 22)
 *    24  netns (8)              network namespace inode, 0: unknown
 *    32  comm: length (2) and bytes; cmdline: the same; cgroup: the same
 *        (only with flags bit 1). Raw bytes, as /proc gave them.
 *   An id is unique in its section (from 1).
 *
 *   injected, option 19373 (not to be copied: it names a process id), on
 *   each packet of a flow that no IP socket owned and that the report gave
 *   to packet sockets (pktsock.h), after the owners record, whose states
 *   then say no socket:
 *     0  'P' 'T' 0x03 flags     flags bit 0: several processes (or one not
 *                               known) held candidate packet sockets: the
 *                               unknown:packet-sockets row, id 0
 *     4  id (4)                 the injector, the process whose packet
 *                               socket wrote the flow's frames; 0 with bit 0
 *   Its packets from an end of ours are the injector's, sent, marked
 *   injected as the live report marks them (via packet); the others stay
 *   the unknown row's. Their comment says so with a last word: "pid=4120
 *   comm=scapy dir=out via=packet" ("unknown=no-socket dir=in" for a
 *   reply, "unknown=packet-sockets dir=out" with bit 0). A reader that
 *   knows no record of type 3 skips it (as proctraf before it did): the
 *   flow is then read as unknown:no-socket, as such files said before.
 *
 *   The section header carries custom option 2988 (a UTF-8 string) under
 *   the same PEN: "proctraf owners 1", which tells proctraf -r that the
 *   file says who owned its packets, and a second one, "proctraf injected
 *   1" when the writing run reported the bytes counted for injectors (live,
 *   or from a file that had it): its flows that packet sockets injected
 *   carry injected records, so that -r reports those bytes (0 when none),
 *   as that run did; a file without it (written before, or from a file
 *   that did not say) has none to say.
 *
 * At the end of a file, an interface statistics block per interface gives
 * the run's start and end (isb_starttime, isb_endtime) and, live, the
 * drops (isb_osdrop, isb_ifdrop).
 */
#ifndef PROCTRAF_PCAPNG_H
#define PROCTRAF_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "resolve.h"
#include "tuple.h"

#define PCAPNG_BT_SHB 0x0A0D0D0Au
#define PCAPNG_BT_IDB 1u
#define PCAPNG_BT_ISB 5u
#define PCAPNG_BT_EPB 6u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define PCAPNG_OPT_END 0
#define PCAPNG_OPT_COMMENT 1
#define PCAPNG_OPT_CUSTOM_STR 2988		/* a UTF-8 string, copyable */
#define PCAPNG_OPT_CUSTOM_BIN 2989		/* octets, copyable */
#define PCAPNG_OPT_CUSTOM_STR_NOCOPY 19372
#define PCAPNG_OPT_CUSTOM_BIN_NOCOPY 19373
#define PCAPNG_SHB_OS 3
#define PCAPNG_SHB_USERAPPL 4
#define PCAPNG_IF_NAME 2
#define PCAPNG_IF_TSRESOL 9
#define PCAPNG_ISB_STARTTIME 2
#define PCAPNG_ISB_ENDTIME 3
#define PCAPNG_ISB_IFDROP 5
#define PCAPNG_ISB_OSDROP 7

#define PT_PEN 32473u			/* RFC 5612: documentation use; experimental */
#define PT_MARKER "proctraf owners 1"
#define PT_MARKER_INJECTED "proctraf injected 1"
#define PT_REC_PROCESS 1
#define PT_REC_OWNERS 2
#define PT_REC_INJECTED 3
#define PT_INJ_SEVERAL 1		/* an injected record's flags: unknown:packet-sockets */
#define PT_INJECTED_LEN 8		/* an injected record's length */

/* An owners record's state of one end. */
#define PT_LOCAL 0x80
#define PT_OWNED 0
#define PT_NO_SOCKET 1
#define PT_NO_PROCESS 2
#define PT_NO_PERMISSION 3

#define PT_OWNERS_MAX 52		/* the longest owners record (IPv6) */
#define PT_COMMENT_MAX 768		/* two clauses with the longest comm escaped */
#define PT_STRING_MAX 60000		/* a process record's string: longer ones are cut */

/* A growing byte buffer; a failed growth sticks (checked once, at the end). */
struct pbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

void pbuf_free(struct pbuf *b);
void pbuf_bytes(struct pbuf *b, const void *data, size_t n);
void pbuf_u16(struct pbuf *b, uint16_t v);	/* host order: block fields */
void pbuf_u32(struct pbuf *b, uint32_t v);
void pbuf_u64(struct pbuf *b, uint64_t v);
void pbuf_pad4(struct pbuf *b);

/*
 * A block: begin writes its type and a length to be filled in, end pads
 * it, writes the trailing length and fills in both. begin returns where
 * the block starts in b.
 */
size_t pcapng_block_begin(struct pbuf *b, uint32_t type);
void pcapng_block_end(struct pbuf *b, size_t start);

/* An option (header, value, padding); len must be at most 65535. */
void pcapng_opt(struct pbuf *b, uint16_t code, const void *value, size_t len);
/* A custom option: PT_PEN (host order), then data. */
void pcapng_opt_custom(struct pbuf *b, uint16_t code, const void *data, size_t len);
void pcapng_opt_end(struct pbuf *b);

/* LINKTYPE_ value of a DLT_ value (they differ for RAW); -1: not one we write. */
int pcapng_linktype(int dlt);

/* An owners record, decoded: what a packet's two ends are, and its flow. */
struct pt_owners {
	uint8_t reason;		/* PT reason number (see above) */
	uint8_t state[2];	/* end 0: the packet's source; 1: its destination */
	uint32_t id[2];		/* process ids of the section, 0: none */
	struct tuple t;		/* the packet's flow as it went: src is end 0 */
};

/* Encode into out (PT_OWNERS_MAX bytes); returns the length. */
size_t pt_owners_encode(const struct pt_owners *o, uint8_t *out);
/* Decode a custom option's data (after the PEN); false when it is not one. */
bool pt_owners_decode(const uint8_t *data, size_t len, struct pt_owners *o);

/* An injected record, decoded: who wrote a flow's frames through a packet socket. */
struct pt_injected {
	bool several;		/* unknown:packet-sockets: no one process (id 0) */
	uint32_t id;		/* the injector's process id of the section */
};

/* Encode into out (PT_INJECTED_LEN bytes); returns the length. */
size_t pt_injected_encode(const struct pt_injected *in, uint8_t *out);
/* Decode a custom option's data (after the PEN); false when it is not one. */
bool pt_injected_decode(const uint8_t *data, size_t len, struct pt_injected *in);

/*
 * The injected record of a flow's attribution a, its injector's process id
 * inj_id (0: none): false when the flow has none (no injector, not
 * unknown:packet-sockets).
 */
bool pt_injected_of(const struct attribution *a, uint32_t inj_id, struct pt_injected *in);

/* A process record, decoded: the strings point into the record's bytes. */
struct pt_process {
	uint32_t id;
	int32_t pid;
	bool have_uid;
	uint32_t uid;
	uint64_t start, netns;
	const uint8_t *comm, *cmdline, *cgroup;	/* cgroup: NULL when not known */
	size_t comm_len, cmdline_len, cgroup_len;
};

/* Append p's record under id (data after the PEN, no option header). */
void pt_process_encode(const struct proc_info *p, uint32_t id, struct pbuf *b);
bool pt_process_decode(const uint8_t *data, size_t len, struct pt_process *out);

/* PT reason number of an unknown reason, and back (REASON_COUNT: none such). */
uint8_t pt_reason(enum unknown_reason r);
enum unknown_reason pt_reason_of(uint8_t v);

/*
 * The owners of a packet from its flow's attribution a (of the flow's
 * canonical tuple): swapped when the packet went from the tuple's dst to
 * its src. ids: the process id of each canonical end's owner (0: none).
 * The states are those that give a again through attribute_flow (see
 * pcapng_reader.h): an end with an owner is owned; one with an end
 * reason has it; a flow with no owner gives its reason to end 0.
 */
void pt_owners_of(const struct attribution *a, const uint32_t ids[2], bool swapped,
		  struct pt_owners *o);

/*
 * The comment of a packet (see above) into buf (PT_COMMENT_MAX bytes):
 * from a, swapped as for pt_owners_of; out: the packet left this host
 * as the link layer says (the direction of a table-full row). Returns
 * its length.
 */
size_t pt_comment(const struct attribution *a, bool swapped, bool out, char *buf);

/* A table-full packet's comment ("unknown=table-full dir=out"). */
size_t pt_comment_table_full(bool out, char *buf);

/* comm escaped for a comment (see above) into buf (4 * strlen + 1 bytes). */
size_t pt_escape_comm(const char *comm, char *buf, size_t len);

#endif
