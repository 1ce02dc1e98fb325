/*
 * owners.bpf.c - who holds each TCP and UDP socket, recorded by the kernel
 * in the system call that makes or uses it.
 *
 * Programs on the root cgroup v2 (so every socket of the host, whatever its
 * namespace) keep one record per socket in socket-local storage: the task
 * that made it (sock_create), replaced by any other task that later uses
 * it in a hook that runs in that task's system call. When the socket's
 * addresses become known (bind, TCP connect, an accepted TCP connection,
 * the first datagram of a connected UDP socket, a sendmsg, recvmsg,
 * getsockname, getpeername), or its holder changes after that, an event
 * with the addresses and the record goes to userspace (ownersrc.c). No
 * program ever changes what the system call does: every one returns 1.
 *
 * Built twice: with OWNERS_CORE the programs read the current task through
 * BTF (CO-RE): its start time, its network namespace's inode, whether it
 * is a kernel thread. Without (for a kernel with no /sys/kernel/btf/vmlinux,
 * or without CAP_PERFMON) those stay 0 and userspace guesses them.
 *
 * Hooks that run outside the system call (an accepted connection is
 * established in softirq; the first datagram's hook may be reached from
 * it too) never read the current task: there it is whoever was
 * interrupted.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "owners.h"

/* The kernel refuses GPL-only helpers (bpf_get_current_task) to other licenses. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */
#define SOCKOPT_PAGE 4096	/* the smallest PAGE_SIZE: see owners_setsockopt */

/* rec.flags */
#define REC_PUBLISHED 1u	/* an event was written for it */
#define REC_PENDING 2u		/* a connected UDP socket whose 4-tuple is not written yet */
#define REC_DIRTY 4u		/* a holder change not written yet (see CHANGE_WINDOW_NS) */

#ifdef OWNERS_CORE
/* Only the fields read; CO-RE finds them in the running kernel's BTF. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));
struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));
struct nsproxy {
	struct net *net_ns;
} __attribute__((preserve_access_index));
struct task_struct {
	unsigned int flags;
	char comm[16];
	struct task_struct *group_leader;
	struct nsproxy *nsproxy;
	__u64 start_boottime;
} __attribute__((preserve_access_index));
/* Before Linux 5.5 the boot-based start time had this name. */
struct task_struct___old {
	__u64 real_start_time;
} __attribute__((preserve_access_index));
#endif

/*
 * A socket shared by several processes at once (workers sending on one
 * UDP socket) changes holder at every datagram: past a few changes in a
 * window, a change is kept in the record and written at the first hook
 * that runs on the socket after the window, so such a socket costs at
 * most a few events per window.
 */
#define CHANGE_WINDOW_NS 100000000ull
#define CHANGES_PER_WINDOW 4

/* The record kept with each socket: cloned to the sockets a listener accepts. */
struct rec {
	struct owners_owner o;
	__u64 cookie;
	__u64 seen_comm[2];	/* the calling thread's name at the last take: a cheap check */
	__u64 window_ns;	/* start of the window of holder changes written */
	__u32 flags;
	__u32 changes;		/* holder changes written in that window */
	__u16 pub_lport;	/* what was last written, to write again only on a change */
	__u16 pub_rport;
	__u32 pub_raddr;
};

const volatile struct owners_cfg cfg = {};
struct owners_stats stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct rec);
} recs SEC(".maps");

/* Events, when the kernel has ring buffers (5.8); resized by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/*
 * Events otherwise: the latest of each kind per socket, which userspace
 * takes out (lookup and delete). A socket's later event of the same kind
 * replaces one not read yet, which says no less.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct owners_hkey);
	__type(value, struct owners_event);
} events_hash SEC(".maps");

static __always_inline int wanted(__u32 family, __u32 proto)
{
	return (family == AF_INET || family == AF_INET6) &&
	       (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE);
}

/* A kernel thread's use of a socket says nothing about a process. */
static __always_inline int current_is_kthread(void)
{
#ifdef OWNERS_CORE
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return (BPF_CORE_READ(t, flags) & PF_KTHREAD) != 0;
#else
	return 0;
#endif
}

/*
 * The name /proc/PID/comm shows: the thread group leader's where the task
 * can be read, else the calling thread's (a named thread's differs).
 */
static __always_inline void current_comm(void *comm)
{
#ifdef OWNERS_CORE
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	BPF_CORE_READ_STR_INTO((char(*)[16])comm, t, group_leader, comm);
#else
	bpf_get_current_comm(comm, 16);
#endif
}

/* Who the current task is; the namespace fields only where asked (a new record). */
static __always_inline void fill_owner(struct owners_owner *o, __u8 how, int with_netns)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	o->tgid = pt >> 32;
	o->tid = (__u32)pt;
	o->uid = (__u32)ug;
	o->gid = ug >> 32;
	o->how = how;
	o->cgroup_id = bpf_get_current_cgroup_id();
	current_comm(o->comm);
#ifdef OWNERS_CORE
	{
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		struct task_struct *leader = BPF_CORE_READ(t, group_leader);

		if (bpf_core_field_exists(leader->start_boottime))
			o->start_ns = BPF_CORE_READ(leader, start_boottime);
		else
			o->start_ns = BPF_CORE_READ((struct task_struct___old *)leader,
						    real_start_time);
		/* A socket is made in its creator's namespace (socket(2)). */
		if (with_netns)
			o->netns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
	}
#else
	(void)with_netns;
#endif
}

/*
 * Make the current task the holder if another one was: returns 1 when it
 * changed. The socket's namespace fields stay those it was made in. The
 * process's own name (its leader's) is read only when the calling
 * thread's differs from the last one seen: another thread, or an exec.
 */
static __always_inline int take(struct rec *r)
{
	__u64 thread[2] = {}, leader[2] = {}, held[2];

	bpf_get_current_comm(thread, sizeof(thread));
	if (r->o.tgid == bpf_get_current_pid_tgid() >> 32) {
		if (thread[0] == r->seen_comm[0] && thread[1] == r->seen_comm[1])
			return 0;
		r->seen_comm[0] = thread[0];
		r->seen_comm[1] = thread[1];
		current_comm(leader);
		__builtin_memcpy(held, r->o.comm, sizeof(held));
		if (held[0] == leader[0] && held[1] == leader[1])
			return 0;
	}
	if (current_is_kthread())
		return 0;
	fill_owner(&r->o, OWNERS_HOW_USED, 0);
	r->seen_comm[0] = thread[0];
	r->seen_comm[1] = thread[1];
	return 1;
}

/* A record for a socket made before the programs were attached. */
static __always_inline struct rec *rec_new(struct bpf_sock *sk, __u64 cookie, __u64 netns_cookie)
{
	struct rec *r;

	if (current_is_kthread())
		return 0;
	r = bpf_sk_storage_get(&recs, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!r) {
		__sync_fetch_and_add(&stats.no_storage, 1);
		return 0;
	}
	if (r->cookie == 0) {
		fill_owner(&r->o, OWNERS_HOW_USED, 1);
		bpf_get_current_comm(r->seen_comm, sizeof(r->seen_comm));
		r->o.netns_cookie = netns_cookie;
		r->cookie = cookie;
	}
	return r;
}

/* The record of sk, made now if it has none: in a hook of the holder's system call only. */
#define REC_OR_NEW(ctx, sk)                                                                \
	({                                                                                 \
		struct rec *r_ = bpf_sk_storage_get(&recs, sk, 0, 0);                      \
		if (!r_)                                                                   \
			r_ = rec_new(sk, bpf_get_socket_cookie(ctx),                       \
				     bpf_get_netns_cookie(ctx));                           \
		r_;                                                                        \
	})

static __always_inline void emit(struct owners_event *ev)
{
	long err;

	ev->ts_ns = bpf_ktime_get_ns();
	if (cfg.flags & OWNERS_CFG_RINGBUF) {
		err = bpf_ringbuf_output(&events, ev, sizeof(*ev), 0);
	} else {
		struct owners_hkey k = {.cookie = ev->cookie, .kind = ev->kind};

		err = bpf_map_update_elem(&events_hash, &k, ev, BPF_ANY);
	}
	if (err)
		__sync_fetch_and_add(&stats.lost, 1);
	else
		__sync_fetch_and_add(&stats.events, 1);
}

/* Addresses in network order, ports in host order; IPv4 in la[0], ra[0]. */
struct ends {
	__u32 la[4];
	__u32 ra[4];
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 proto;
};

static __always_inline void publish(struct rec *r, __u8 kind, const struct ends *e)
{
	struct owners_event ev;

	__builtin_memset(&ev, 0, sizeof(ev));
	ev.cookie = r->cookie;
	ev.o = r->o;
	ev.kind = kind;
	ev.family = e->family;
	ev.proto = e->proto;
	ev.lport = e->lport;
	ev.rport = e->rport;
	__builtin_memcpy(ev.laddr, e->la, 16);
	__builtin_memcpy(ev.raddr, e->ra, 16);
	r->flags |= REC_PUBLISHED;
	r->flags &= ~REC_DIRTY;
	if (e->rport)
		r->flags &= ~REC_PENDING;
	r->pub_lport = e->lport;
	r->pub_rport = e->rport;
	r->pub_raddr = e->ra[0] ^ e->ra[3];
	emit(&ev);
}

/*
 * The ends of a full socket (sock_addr, sockopt, skb hooks). The verifier
 * allows no arithmetic on a socket pointer: barrier_var keeps clang from
 * computing a field's address ahead of its load.
 */
static __always_inline void sk_ends(struct bpf_sock *sk, struct ends *e)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->family = sk->family;
	barrier_var(sk);
	e->proto = sk->protocol;
	barrier_var(sk);
	e->lport = sk->src_port;
	barrier_var(sk);
	e->rport = bpf_ntohs(sk->dst_port);
	barrier_var(sk);
	if (e->family == AF_INET) {
		e->la[0] = sk->src_ip4;
		barrier_var(sk);
		e->ra[0] = sk->dst_ip4;
		return;
	}
	e->la[0] = sk->src_ip6[0];
	barrier_var(sk);
	e->la[1] = sk->src_ip6[1];
	barrier_var(sk);
	e->la[2] = sk->src_ip6[2];
	barrier_var(sk);
	e->la[3] = sk->src_ip6[3];
	barrier_var(sk);
	e->ra[0] = sk->dst_ip6[0];
	barrier_var(sk);
	e->ra[1] = sk->dst_ip6[1];
	barrier_var(sk);
	e->ra[2] = sk->dst_ip6[2];
	barrier_var(sk);
	e->ra[3] = sk->dst_ip6[3];
}

/*
 * Write the socket's ends if bound and new since the last event, or if
 * the holder changed (within the window's allowance).
 */
static __always_inline void publish_sk(struct rec *r, struct bpf_sock *sk, __u8 kind, int changed)
{
	struct ends e;

	sk_ends(sk, &e);
	if (!e.lport)
		return;
	if ((r->flags & REC_PUBLISHED) && r->pub_lport == e.lport && r->pub_rport == e.rport &&
	    r->pub_raddr == (e.ra[0] ^ e.ra[3])) {
		__u64 now;

		if (!changed && !(r->flags & REC_DIRTY))
			return;
		now = bpf_ktime_get_ns();
		if (now - r->window_ns > CHANGE_WINDOW_NS) {
			r->window_ns = now;
			r->changes = 0;
		}
		if (r->changes >= CHANGES_PER_WINDOW) {
			r->flags |= REC_DIRTY;
			return;
		}
		r->changes++;
	}
	publish(r, kind, &e);
}

SEC("cgroup/sock_create")
int owners_create(struct bpf_sock *sk)
{
	struct rec *r;

	if (!wanted(sk->family, sk->protocol) || current_is_kthread())
		return 1;
	r = bpf_sk_storage_get(&recs, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!r) {
		__sync_fetch_and_add(&stats.no_storage, 1);
		return 1;
	}
	fill_owner(&r->o, OWNERS_HOW_CREATED, 1);
	bpf_get_current_comm(r->seen_comm, sizeof(r->seen_comm));
	r->o.netns_cookie = bpf_get_netns_cookie(sk);
	r->cookie = bpf_get_socket_cookie(sk);
	return 1;
}

/* Only the socket's family and protocol may be read here, and its storage. */
SEC("cgroup/sock_release")
int owners_release(struct bpf_sock *sk)
{
	struct owners_event ev;
	struct rec *r;

	if (!wanted(sk->family, sk->protocol))
		return 1;
	r = bpf_sk_storage_get(&recs, sk, 0, 0);
	if (!r || !(r->flags & REC_PUBLISHED))
		return 1;
	__builtin_memset(&ev, 0, sizeof(ev));
	ev.cookie = r->cookie;
	ev.o = r->o;
	ev.kind = OWNERS_EV_CLOSE;
	ev.family = sk->family;
	ev.proto = sk->protocol;
	emit(&ev);
	return 1;
}

/* After bind(2) gave the socket its port: the binder holds it. */
static __always_inline int on_bind(struct bpf_sock *sk, struct ends *e)
{
	struct rec *r = bpf_sk_storage_get(&recs, sk, 0, 0);

	if (!r)
		r = rec_new(sk, bpf_get_socket_cookie(sk), bpf_get_netns_cookie(sk));
	if (!r)
		return 1;
	take(r);
	if (e->lport)
		publish(r, OWNERS_EV_BIND, e);
	return 1;
}

SEC("cgroup/post_bind4")
int owners_bind4(struct bpf_sock *sk)
{
	struct ends e = {};

	if (!wanted(AF_INET, sk->protocol))
		return 1;
	e.family = AF_INET;
	e.proto = sk->protocol;
	e.la[0] = sk->src_ip4;
	e.lport = sk->src_port;
	return on_bind(sk, &e);
}

SEC("cgroup/post_bind6")
int owners_bind6(struct bpf_sock *sk)
{
	struct ends e = {};

	if (!wanted(AF_INET6, sk->protocol))
		return 1;
	e.family = AF_INET6;
	e.proto = sk->protocol;
	e.la[0] = sk->src_ip6[0];
	e.la[1] = sk->src_ip6[1];
	e.la[2] = sk->src_ip6[2];
	e.la[3] = sk->src_ip6[3];
	e.lport = sk->src_port;
	return on_bind(sk, &e);
}

/*
 * connect(2), before the kernel picks the local address and port: take
 * the socket. TCP's 4-tuple is written by sockops at TCP_CONNECT_CB; a UDP
 * socket's when its first datagram leaves (owners_egress), or at its next
 * hook that sees it.
 */
static __always_inline int on_connect(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct rec *r;

	if (!sk || !wanted(sk->family, sk->protocol))
		return 1;
	r = REC_OR_NEW(ctx, sk);
	if (!r)
		return 1;
	take(r);
	if (sk->protocol != IPPROTO_TCP)
		r->flags |= REC_PENDING;
	return 1;
}

SEC("cgroup/connect4")
int owners_connect4(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx);
}

SEC("cgroup/connect6")
int owners_connect6(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx);
}

/* A hook of the holder's system call on a socket that has its addresses. */
static __always_inline int on_use(struct bpf_sock_addr *ctx, __u8 kind)
{
	struct bpf_sock *sk = ctx->sk;
	struct rec *r;

	if (!sk || !wanted(sk->family, sk->protocol))
		return 1;
	r = REC_OR_NEW(ctx, sk);
	if (!r)
		return 1;
	publish_sk(r, sk, kind, take(r));
	return 1;
}

/* UDP sendmsg with an address: the kernel bound the port before this hook (inet_send_prepare). */
SEC("cgroup/sendmsg4")
int owners_sendmsg4(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_SEND);
}

SEC("cgroup/sendmsg6")
int owners_sendmsg6(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_SEND);
}

SEC("cgroup/recvmsg4")
int owners_recvmsg4(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_RECV);
}

SEC("cgroup/recvmsg6")
int owners_recvmsg6(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_RECV);
}

SEC("cgroup/getsockname4")
int owners_getsockname4(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_NAME);
}

SEC("cgroup/getsockname6")
int owners_getsockname6(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_NAME);
}

SEC("cgroup/getpeername4")
int owners_getpeername4(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_NAME);
}

SEC("cgroup/getpeername6")
int owners_getpeername6(struct bpf_sock_addr *ctx)
{
	return on_use(ctx, OWNERS_EV_NAME);
}

/*
 * setsockopt(2) tells who holds a socket: servers set options on the
 * connections they accept. Only sockets with a record already; an optval
 * longer than a page is left to the kernel (optlen 0), as the kernel's
 * documentation asks of every program on this hook.
 */
SEC("cgroup/setsockopt")
int owners_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct rec *r;
	int changed;

	if (ctx->optlen > SOCKOPT_PAGE)
		ctx->optlen = 0;
	if (!sk || !wanted(sk->family, sk->protocol))
		return 1;
	r = bpf_sk_storage_get(&recs, sk, 0, 0);
	if (!r)
		return 1;
	changed = take(r);
	if (r->flags & REC_PUBLISHED)
		publish_sk(r, sk, OWNERS_EV_SOCKOPT, changed);
	return 1;
}

/*
 * TCP: TCP_CONNECT_CB runs in connect(2) once the local address and port
 * are chosen, before the SYN; PASSIVE_ESTABLISHED_CB on the accepted
 * socket when the handshake completes, in softirq, where the current task
 * means nothing: the record there is the listener's, cloned with the
 * socket (BPF_F_CLONE).
 */
SEC("sockops")
int owners_sockops(struct bpf_sock_ops *skops)
{
	__u32 op = skops->op;
	struct bpf_sock *sk;
	struct ends e = {};
	struct rec *r;
	__u8 kind;

	if (op != BPF_SOCK_OPS_TCP_CONNECT_CB && op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	e.family = skops->family;
	if (e.family != AF_INET && e.family != AF_INET6)
		return 1;
	if (op == BPF_SOCK_OPS_TCP_CONNECT_CB) {
		r = REC_OR_NEW(skops, sk);
		if (!r)
			return 1;
		take(r);
		kind = OWNERS_EV_CONNECT;
	} else {
		r = bpf_sk_storage_get(&recs, sk, 0, 0);
		if (!r)
			return 1;
		r->cookie = bpf_get_socket_cookie(skops);
		r->o.how = OWNERS_HOW_INHERITED;
		r->flags = 0;
		kind = OWNERS_EV_ACCEPT;
	}
	e.proto = IPPROTO_TCP;
	e.lport = skops->local_port;
	barrier_var(skops);
	e.rport = bpf_ntohl(skops->remote_port);
	barrier_var(skops);
	if (e.family == AF_INET) {
		e.la[0] = skops->local_ip4;
		barrier_var(skops);
		e.ra[0] = skops->remote_ip4;
	} else {
		e.la[0] = skops->local_ip6[0];
		barrier_var(skops);
		e.la[1] = skops->local_ip6[1];
		barrier_var(skops);
		e.la[2] = skops->local_ip6[2];
		barrier_var(skops);
		e.la[3] = skops->local_ip6[3];
		barrier_var(skops);
		e.ra[0] = skops->remote_ip6[0];
		barrier_var(skops);
		e.ra[1] = skops->remote_ip6[1];
		barrier_var(skops);
		e.ra[2] = skops->remote_ip6[2];
		barrier_var(skops);
		e.ra[3] = skops->remote_ip6[3];
	}
	publish(r, kind, &e);
	return 1;
}

/*
 * Each packet a UDP socket sends, in the sender's sendmsg: the connected
 * socket's 4-tuple, first known here, and a holder that differs (a socket
 * passed to, or inherited by, another process). TCP returns at once: its
 * packets also leave from softirq, on behalf of no task.
 */
SEC("cgroup_skb/egress")
int owners_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct rec *r;
	int changed;

	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || (sk->protocol != IPPROTO_UDP && sk->protocol != IPPROTO_UDPLITE))
		return 1;
	if (sk->family != AF_INET && sk->family != AF_INET6)
		return 1;
	r = bpf_sk_storage_get(&recs, sk, 0, 0);
	if (!r)
		return 1;
	changed = take(r);
	if (changed || (r->flags & (REC_PENDING | REC_DIRTY)))
		publish_sk(r, sk, OWNERS_EV_SEND, changed);
	return 1;
}
