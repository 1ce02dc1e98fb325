/* capture.c - libpcap handles; see capture.h. */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define BUFFER_BYTES (32 << 20)	/* kernel ring per handle */
#define DISPATCH_MAX 4096		/* packets one dispatch delivers, at most */

struct capture {
	pcap_t **h;
	int *dlt;
	struct pollfd *pfd;
	size_t n;
	bool live;
	bool broke;
	const char *file;	/* for messages */
	uint64_t delivered;	/* live: packets handed to the callback, every handle */
};

static const char need_privs[] =
	"root, or CAP_NET_RAW and CAP_NET_ADMIN (CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE "
	"to see other users' sockets)";

bool capture_is_live(const struct capture *c)
{
	return c->live;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->h[i])
			pcap_close(c->h[i]);
	}
	free(c->h);
	free(c->dlt);
	free(c->pfd);
	free(c);
}

/* Message for a failed pcap_activate, and the matching error kind. */
static enum capture_err activate_error(pcap_t *h, int rc, const char *iface, char *err,
				       size_t errlen)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "no such interface: %s", iface);
		break;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, errlen, "no permission to capture on %s: needs %s", iface,
			 need_privs);
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "interface %s is not up", iface);
		break;
	default:
		snprintf(err, errlen, "cannot capture on %s: %s", iface, pcap_geterr(h));
	}
	return CAPTURE_ERR_RUNTIME;
}

static enum capture_err open_live(struct capture *c, size_t i, const char *iface,
				  int buffer_ms, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *h = pcap_create(iface, ebuf);
	int rc;

	if (!h) {
		snprintf(err, errlen, "cannot capture on %s: %s", iface, ebuf);
		return CAPTURE_ERR_RUNTIME;
	}
	c->h[i] = h;
	pcap_set_snaplen(h, CAPTURE_SNAPLEN);
	pcap_set_promisc(h, 0);
	if (buffer_ms > 0)
		pcap_set_timeout(h, buffer_ms);
	else
		pcap_set_immediate_mode(h, 1);
	pcap_set_buffer_size(h, BUFFER_BYTES);
	rc = pcap_activate(h);
	if (rc < 0)
		return activate_error(h, rc, iface, err, errlen);
	/* Cooked v2 tells each packet's interface: copies can be told apart. */
	if (strcmp(iface, "any") == 0)
		(void)pcap_set_datalink(h, DLT_LINUX_SLL2);
	if (pcap_setnonblock(h, 1, ebuf) < 0) {
		snprintf(err, errlen, "cannot capture on %s: %s", iface, ebuf);
		return CAPTURE_ERR_RUNTIME;
	}
	c->pfd[i].fd = pcap_get_selectable_fd(h);
	c->pfd[i].events = POLLIN;
	return CAPTURE_OK;
}

static enum capture_err open_file(struct capture *c, const char *file, FILE *fp, char *err,
				  size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *h = fp ? pcap_fopen_offline(fp, ebuf) : pcap_open_offline(file, ebuf);

	if (!h) {
		if (fp)
			fclose(fp);	/* libpcap keeps it only when it opens */
		size_t n = strlen(file);
		/* libpcap often starts its message with the file name already. */
		const char *why = strncmp(ebuf, file, n) == 0 && strncmp(ebuf + n, ": ", 2) == 0
					  ? ebuf + n + 2 : ebuf;
		snprintf(err, errlen, "cannot read %s: %s", file, why);
		return CAPTURE_ERR_RUNTIME;
	}
	c->h[0] = h;
	return CAPTURE_OK;
}

static enum capture_err set_filter(pcap_t *h, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(h, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter expression '%s': %s", filter, pcap_geterr(h));
		return CAPTURE_ERR_USAGE;
	}
	if (pcap_setfilter(h, &prog) < 0) {
		snprintf(err, errlen, "cannot set filter '%s': %s", filter, pcap_geterr(h));
		pcap_freecode(&prog);
		return CAPTURE_ERR_RUNTIME;
	}
	pcap_freecode(&prog);
	return CAPTURE_OK;
}

enum capture_err capture_open(const struct capture_opts *o, struct capture **out, char *err,
			      size_t errlen)
{
	static const char *const any[] = { "any" };
	const char *const *ifaces = o->n_ifaces ? o->ifaces : any;
	struct capture *c = calloc(1, sizeof(*c));
	enum capture_err rc = CAPTURE_OK;

	*out = NULL;
	if (!c)
		goto nomem;
	c->live = o->file == NULL;
	c->file = o->file;
	c->n = c->live ? (o->n_ifaces ? o->n_ifaces : 1) : 1;
	c->h = calloc(c->n, sizeof(*c->h));
	c->dlt = calloc(c->n, sizeof(*c->dlt));
	c->pfd = calloc(c->n, sizeof(*c->pfd));
	if (!c->h || !c->dlt || !c->pfd)
		goto nomem;
	for (size_t i = 0; i < c->n && rc == CAPTURE_OK; i++) {
		rc = c->live ? open_live(c, i, ifaces[i], o->buffer_ms, err, errlen)
			     : open_file(c, o->file, o->fp, err, errlen);
		if (rc != CAPTURE_OK)
			break;
		c->dlt[i] = pcap_datalink(c->h[i]);
		if (!decode_linktype_ok(c->dlt[i])) {
			const char *name = pcap_datalink_val_to_name(c->dlt[i]);
			snprintf(err, errlen, "%s: unsupported link type %s (%d)",
				 c->live ? ifaces[i] : o->file, name ? name : "?", c->dlt[i]);
			rc = CAPTURE_ERR_RUNTIME;
			break;
		}
		if (o->filter && *o->filter)
			rc = set_filter(c->h[i], o->filter, err, errlen);
	}
	if (rc != CAPTURE_OK) {
		capture_close(c);
		return rc;
	}
	*out = c;
	return CAPTURE_OK;
nomem:
	capture_close(c);
	snprintf(err, errlen, "out of memory");
	return CAPTURE_ERR_RUNTIME;
}

struct dispatch_ctx {
	struct capture *c;
	capture_cb cb;
	void *ctx;
	int dlt;
	int source;
};

static void trampoline(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_ctx *d = (struct dispatch_ctx *)user;

	d->c->delivered++;
	d->cb(d->ctx, d->dlt, d->source, h, data);
}

void capture_break(struct capture *c)
{
	c->broke = true;
	for (size_t i = 0; i < c->n; i++)
		pcap_breakloop(c->h[i]);
}

int capture_dispatch(struct capture *c, int timeout_ms, capture_cb cb, void *ctx, char *err,
		     size_t errlen)
{
	int total = 0;

	c->broke = false;
	if (c->live && poll(c->pfd, c->n, timeout_ms) < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < c->n && !c->broke; i++) {
		struct dispatch_ctx d = { c, cb, ctx, c->dlt[i], (int)i };
		/*
		 * A bounded batch, so that a stop request, an interval's end and
		 * the real-time budget (rtprio.h) are looked at between two: live,
		 * an unbounded one goes on for as long as a flood keeps the ring
		 * filling, at SCHED_FIFO.
		 */
		int n = pcap_dispatch(c->h[i], DISPATCH_MAX, trampoline, (u_char *)&d);

		if (n == PCAP_ERROR) {
			snprintf(err, errlen, "%s: %s", c->live ? "capture" : c->file,
				 pcap_geterr(c->h[i]));
			return -1;
		}
		if (n == PCAP_ERROR_BREAK)
			break;
		if (n == 0 && !c->live)
			return -2;
		total += n;
	}
	return total;
}

bool capture_source_drops(struct capture *c, size_t i, uint64_t *kernel, uint64_t *iface)
{
	struct pcap_stat st;

	*kernel = *iface = 0;
	if (!c->live || i >= c->n || pcap_stats(c->h[i], &st) < 0)
		return false;
	*kernel = st.ps_drop;
	*iface = st.ps_ifdrop;
	return true;
}

bool capture_drops(struct capture *c, uint64_t *kernel, uint64_t *iface)
{
	bool ok = c->live;

	*kernel = *iface = 0;
	for (size_t i = 0; i < c->n && c->live; i++) {
		uint64_t k, f;
		if (!capture_source_drops(c, i, &k, &f)) {
			ok = false;
			continue;
		}
		*kernel += k;
		*iface += f;
	}
	return ok;
}

size_t capture_sources(const struct capture *c)
{
	return c->n;
}

int capture_source_dlt(const struct capture *c, size_t i)
{
	return c->dlt[i];
}

int capture_source_snaplen(const struct capture *c, size_t i)
{
	return pcap_snapshot(c->h[i]);
}

uint64_t capture_held(struct capture *c)
{
	uint64_t taken = 0;

	for (size_t i = 0; i < c->n && c->live; i++) {
		struct pcap_stat st;

		if (pcap_stats(c->h[i], &st) < 0)
			return 0;
		/* Linux: ps_recv counts what the filter passed, the dropped too. */
		taken += st.ps_recv >= st.ps_drop ? st.ps_recv - st.ps_drop : 0;
	}
	return taken > c->delivered ? taken - c->delivered : 0;
}
