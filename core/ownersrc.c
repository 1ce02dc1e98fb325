/*
 * ownersrc.c - load, attach and read the kernel programs of
 * core/bpf/owners.bpf.c; what they report goes into an ownertab.
 *
 * The object is built twice from one source: owners_core reads the
 * current task through BTF (CO-RE), owners_lite reads no kernel struct.
 * Both have the same maps, programs and layout, so everything after the
 * skeleton's open and load is the same code over a struct bpf_object.
 */
#include "ownersrc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/owners.h"
#include "bpfprobe.h"
#include "cgmount.h"
#include "kbtf.h"
#include "ownerev.h"
#include "owners_core.skel.h"
#include "owners_lite.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's own, which bpf(2) may return */
#endif

/* The programs, and the feature each gives. */
static const struct hook {
	const char *name;
	unsigned feature;
} hooks[] = {
	{"owners_create", OWNER_SRC_F_CREATE},	   {"owners_release", OWNER_SRC_F_RELEASE},
	{"owners_bind4", OWNER_SRC_F_BIND},	   {"owners_bind6", OWNER_SRC_F_BIND},
	{"owners_connect4", OWNER_SRC_F_CONNECT},  {"owners_connect6", OWNER_SRC_F_CONNECT},
	{"owners_sockops", OWNER_SRC_F_TCP},	   {"owners_sendmsg4", OWNER_SRC_F_SENDMSG},
	{"owners_sendmsg6", OWNER_SRC_F_SENDMSG},  {"owners_recvmsg4", OWNER_SRC_F_RECVMSG},
	{"owners_recvmsg6", OWNER_SRC_F_RECVMSG},  {"owners_getsockname4", OWNER_SRC_F_NAME},
	{"owners_getsockname6", OWNER_SRC_F_NAME}, {"owners_getpeername4", OWNER_SRC_F_NAME},
	{"owners_getpeername6", OWNER_SRC_F_NAME}, {"owners_setsockopt", OWNER_SRC_F_SOCKOPT},
	{"owners_egress", OWNER_SRC_F_EGRESS},
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))
_Static_assert(NHOOKS <= OWNER_SRC_MAX_PROGS, "owner_src_info.prog_ids too small");

/* Without sock_create nothing is known from a socket's start: the rest is no source. */
#define REQUIRED OWNER_SRC_F_CREATE

struct owner_src {
	struct owners_cfg cfg;
	bool core;
	void *skel;		/* struct owners_core or owners_lite */
	struct bpf_object *obj;
	const volatile struct owners_stats *kstats;
	struct bpf_link *links[NHOOKS];
	unsigned features;
	int cgfd;		/* the cgroup v2 mount's directory */
	int btffd;		/* the kernel types CO-RE reads (kbtf.h); -1: libbpf reads all */
	char btf_path[32];	/* its /proc/self/fd path while loading */
	char cgroup[256];
	struct ring_buffer *rb;
	int hashfd;		/* events_hash, without a ring buffer */
	struct ownerev *ev;	/* what the events said */
};

#define VARIANT(v)                                                                         \
	static int v##_open(struct owner_src *s, const struct bpf_object_open_opts *o)    \
	{                                                                                  \
		struct v *k = v##__open_opts(o);                                           \
		if (!k)                                                                    \
			return -errno;                                                     \
		s->skel = k;                                                               \
		s->obj = k->obj;                                                           \
		k->rodata->cfg = s->cfg;                                                   \
		return 0;                                                                  \
	}                                                                                  \
	static int v##_load(struct owner_src *s)                                           \
	{                                                                                  \
		struct v *k = s->skel;                                                     \
		int e = v##__load(k);                                                      \
		if (!e)                                                                    \
			s->kstats = &k->bss->stats;                                        \
		return e;                                                                  \
	}                                                                                  \
	static void v##_destroy(void *k)                                                   \
	{                                                                                  \
		v##__destroy(k);                                                           \
	}
VARIANT(owners_core)
VARIANT(owners_lite)

static void set_err(char *err, size_t len, const char *what, int e)
{
	if (err && len)
		snprintf(err, len, "%s: %s", what, strerror(e < 0 ? -e : e));
}

static void unload(struct owner_src *s)
{
	if (!s->skel)
		return;
	if (s->core)
		owners_core_destroy(s->skel);
	else
		owners_lite_destroy(s->skel);
	s->skel = NULL;
	s->obj = NULL;
	s->kstats = NULL;
}

/* Open the variant with only the programs of mask (a bit per hooks[] entry). */
static int open_variant(struct owner_src *s, uint32_t mask, size_t ring_bytes)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .btf_custom_path = s->btffd >= 0 ? s->btf_path : NULL);
	struct bpf_map *ev, *hash;
	int e = s->core ? owners_core_open(s, &o) : owners_lite_open(s, &o);

	if (e)
		return e;
	for (size_t i = 0; i < NHOOKS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(s->obj, hooks[i].name);

		if (!p)
			return -ENOENT;
		bpf_program__set_autoload(p, (mask >> i) & 1);
	}
	ev = bpf_object__find_map_by_name(s->obj, "events");
	hash = bpf_object__find_map_by_name(s->obj, "events_hash");
	if (!ev || !hash)
		return -ENOENT;
	/* The map not used is kept, as small as can be: its programs' code is dead. */
	if (s->cfg.flags & OWNERS_CFG_RINGBUF) {
		e = bpf_map__set_max_entries(ev, (uint32_t)ring_bytes);
		if (!e)
			e = bpf_map__set_max_entries(hash, 1);
	} else {
		e = bpf_map__set_type(ev, BPF_MAP_TYPE_ARRAY);
		if (!e)
			e = bpf_map__set_key_size(ev, 4);
		if (!e)
			e = bpf_map__set_value_size(ev, 4);
		if (!e)
			e = bpf_map__set_max_entries(ev, 1);
	}
	return e;
}

static int load_variant(struct owner_src *s, uint32_t mask, size_t ring_bytes)
{
	int e = open_variant(s, mask, ring_bytes);

	if (!e)
		e = s->core ? owners_core_load(s) : owners_lite_load(s);
	if (e)
		unload(s);
	return e;
}

/*
 * Load the programs of mask; if the kernel refuses the set (a helper or
 * a context field it lacks), each alone, and then those it took. The
 * mask loaded, or 0.
 */
static uint32_t load_what_loads(struct owner_src *s, uint32_t mask, size_t ring_bytes, int *err)
{
	uint32_t ok = 0;

	*err = load_variant(s, mask, ring_bytes);
	if (!*err)
		return mask;
	/* Not permitted at all (the verifier's refusals are EACCES or EINVAL). */
	if (*err == -EPERM)
		return 0;
	for (size_t i = 0; i < NHOOKS; i++) {
		if (!((mask >> i) & 1) || load_variant(s, 1u << i, ring_bytes))
			continue;
		unload(s);
		ok |= 1u << i;
	}
	if (!ok || (*err = load_variant(s, ok, ring_bytes)))
		return 0;
	return ok;
}

/* The hooks this kernel has: a bit per hooks[] entry, found on an opened object. */
static int hooks_present(struct owner_src *s, size_t ring_bytes, uint32_t *mask)
{
	int e = open_variant(s, (1u << NHOOKS) - 1, ring_bytes);

	*mask = 0;
	for (size_t i = 0; !e && i < NHOOKS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(s->obj, hooks[i].name);
		int r = bpfprobe_hook(bpf_program__type(p), bpf_program__expected_attach_type(p));

		if (r < 0)
			e = -EPERM;
		else if (r > 0)
			*mask |= 1u << i;
	}
	unload(s);
	/* Before 5.8 a program on setsockopt could make large options fail (EFAULT). */
	for (size_t i = 0; i < NHOOKS; i++)
		if (hooks[i].feature == OWNER_SRC_F_SOCKOPT && !bpfprobe_kernel_at_least(5, 8))
			*mask &= ~(1u << i);
	return e;
}

static bool feature_loaded(uint32_t mask, unsigned feature)
{
	for (size_t i = 0; i < NHOOKS; i++)
		if (hooks[i].feature == feature && ((mask >> i) & 1))
			return true;
	return false;
}

static int attach_all(struct owner_src *s, uint32_t mask, char *err, size_t errlen)
{
	unsigned missing = 0;

	for (size_t i = 0; i < NHOOKS; i++) {
		struct bpf_program *p;

		if (!((mask >> i) & 1)) {
			missing |= hooks[i].feature;
			continue;
		}
		p = bpf_object__find_program_by_name(s->obj, hooks[i].name);
		s->links[i] = bpf_program__attach_cgroup(p, s->cgfd);
		if (!s->links[i]) {
			int e = -errno;

			if (hooks[i].feature & REQUIRED) {
				char what[320];

				snprintf(what, sizeof(what), "attaching %s to %s", hooks[i].name,
					 s->cgroup);
				set_err(err, errlen, what, e);
				return e;
			}
			missing |= hooks[i].feature;
		}
	}
	for (size_t i = 0; i < NHOOKS; i++)
		if (s->links[i])
			s->features |= hooks[i].feature;
	s->features &= ~missing;
	return 0;
}

static int on_ring_event(void *ctx, void *data, size_t size);

/* Our own namespace's cookie and inode: the programs without BTF report only the cookie. */
static void learn_own_netns(struct owner_src *s)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct stat st;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0 &&
	    stat("/proc/self/ns/net", &st) == 0)
		ownerev_learn_netns(s->ev, cookie, st.st_ino);
	close(fd);
}

int owner_src_open(struct owner_src **out, const struct owner_src_opts *opts, char *err,
		   size_t errlen)
{
	struct owner_src_opts def = {0};
	struct owner_src *s;
	size_t ring_bytes;
	uint32_t present = 0, mask = 0;
	FILE *f;
	int e;

	*out = NULL;
	if (!opts)
		opts = &def;
	ring_bytes = opts->ring_bytes ? opts->ring_bytes : 4u << 20;
	if (ring_bytes < 4096 || ring_bytes > (1u << 30) || (ring_bytes & (ring_bytes - 1))) {
		set_err(err, errlen, "ring buffer size", EINVAL);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, errlen, "owner source", ENOMEM);
		return -ENOMEM;
	}
	s->cgfd = -1;
	s->hashfd = -1;
	s->btffd = -1;

	/*
	 * First, the likeliest reason of all: every program asks who the
	 * current task is, which the kernel allows only with CAP_PERFMON (or
	 * CAP_SYS_ADMIN) besides CAP_BPF.
	 */
	if (!bpfprobe_has_cap(CAP_SYS_ADMIN) && !(bpfprobe_has_cap(CAP_PERFMON) && bpfprobe_has_cap(CAP_BPF) &&
					 bpfprobe_has_cap(CAP_NET_ADMIN))) {
		e = -EPERM;
		set_err(err, errlen,
			"loading eBPF programs (needs root, or CAP_BPF, CAP_PERFMON and "
			"CAP_NET_ADMIN)", e);
		goto fail;
	}

	f = fopen(opts->mountinfo ? opts->mountinfo : "/proc/self/mountinfo", "re");
	if (!f) {
		e = -errno;
		set_err(err, errlen, "reading mountinfo", e);
		goto fail;
	}
	e = owner_src_cgroup2_mount(f, s->cgroup, sizeof(s->cgroup));
	fclose(f);
	/* A mount namespace of our own without it (ip netns exec): an ancestor's. */
	if (e == -ENOENT && !opts->mountinfo)
		e = cgmount_ancestor(s->cgroup, sizeof(s->cgroup), &s->cgfd);
	else if (!e)
		s->cgfd = open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e) {
		set_err(err, errlen, "no cgroup v2 mount to attach to", e);
		goto fail;
	}
	if (s->cgfd < 0) {
		e = -errno;
		set_err(err, errlen, s->cgroup, e);
		goto fail;
	}

	if (!(opts->flags & OWNER_SRC_NO_RINGBUF) &&
	    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1)
		s->cfg.flags |= OWNERS_CFG_RINGBUF;
	/* CO-RE needs the kernel's BTF: else the variant without. */
	s->core = !(opts->flags & OWNER_SRC_NO_CORE) && access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	if (s->core)
		s->btffd = kbtf_memfd(NULL, s->btf_path, sizeof(s->btf_path));
	e = hooks_present(s, ring_bytes, &present);
	if (e == -EPERM) {
		set_err(err, errlen, "loading eBPF programs", e);
		goto fail;
	}
	if (e) {
		set_err(err, errlen, "opening the eBPF object", e);
		goto fail;
	}
	mask = load_what_loads(s, present, ring_bytes, &e);
	if (s->core && !feature_loaded(mask, REQUIRED)) {
		s->core = false;
		mask = load_what_loads(s, present, ring_bytes, &e);
	}
	if (s->btffd >= 0)
		close(s->btffd);
	s->btffd = -1;
	if (!feature_loaded(mask, REQUIRED)) {
		e = e ? e : -EOPNOTSUPP;
		set_err(err, errlen, "loading the eBPF programs (cgroup/sock_create)", e);
		goto fail;
	}
	/* Only the programs without BTF leave start and namespace to guess. */
	s->ev = ownerev_new(opts->max_records ? opts->max_records : 1u << 20,
			    s->core ? NULL : "/proc");
	if (!s->ev) {
		e = -ENOMEM;
		set_err(err, errlen, "owner source", e);
		goto fail;
	}
	if (opts->on_owner)
		ownerev_set_sink(s->ev, opts->on_owner, opts->on_owner_ctx);
	e = attach_all(s, mask, err, errlen);
	if (e)
		goto fail;

	if (s->cfg.flags & OWNERS_CFG_RINGBUF) {
		s->rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(s->obj, "events")),
					 on_ring_event, s, NULL);
		if (!s->rb) {
			e = -errno;
			set_err(err, errlen, "ring buffer", e);
			goto fail;
		}
	} else {
		s->hashfd = bpf_map__fd(bpf_object__find_map_by_name(s->obj, "events_hash"));
	}
	learn_own_netns(s);
	*out = s;
	return 0;
fail:
	owner_src_close(s);
	return e;
}

void owner_src_close(struct owner_src *s)
{
	if (!s)
		return;
	/* Links first: the programs stop before their maps go. */
	for (size_t i = 0; i < NHOOKS; i++)
		bpf_link__destroy(s->links[i]);
	ring_buffer__free(s->rb);
	unload(s);
	if (s->cgfd >= 0)
		close(s->cgfd);
	if (s->btffd >= 0)
		close(s->btffd);
	ownerev_free(s->ev);
	free(s);
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct owner_src *s = ctx;

	ownerev_take(s->ev, data, size);
	return 0;
}

/* Take the hash map's events out, a batch of keys at a time. */
static int drain_hash(struct owner_src *s, char *err, size_t errlen)
{
	enum { BATCH = 256 };
	struct owners_hkey keys[BATCH];
	struct owners_event ev;
	int total = 0;

	for (int round = 0; round < 1024; round++) {
		size_t n = 0;

		while (n < BATCH && bpf_map_get_next_key(s->hashfd, n ? &keys[n - 1] : NULL,
							 &keys[n]) == 0)
			n++;
		for (size_t i = 0; i < n; i++) {
			int r = bpf_map_lookup_and_delete_elem(s->hashfd, &keys[i], &ev);

			/* Before Linux 5.14 a hash map has no lookup-and-delete. */
			if (r < 0 && (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
				r = bpf_map_lookup_elem(s->hashfd, &keys[i], &ev);
				if (r == 0)
					bpf_map_delete_elem(s->hashfd, &keys[i]);
			}
			if (r == 0) {
				ownerev_take(s->ev, &ev, sizeof(ev));
				total++;
			} else if (errno != ENOENT) {
				set_err(err, errlen, "reading the events map", errno);
				return -1;
			}
		}
		if (n < BATCH)
			break;
	}
	return total;
}

int owner_src_poll(struct owner_src *s, char *err, size_t errlen)
{
	int n;

	if (!s->rb)
		return drain_hash(s, err, errlen);
	n = ring_buffer__consume(s->rb);
	if (n < 0) {
		set_err(err, errlen, "reading the ring buffer", n);
		return -1;
	}
	return n;
}

int owner_src_fd(const struct owner_src *s)
{
	return s->rb ? ring_buffer__epoll_fd(s->rb) : -1;
}

enum owner_match owner_src_lookup(const struct owner_src *s, const struct tuple *t, int end,
				  uint64_t netns, struct owner *out)
{
	return ownertab_lookup(ownerev_table(s->ev), t, end, netns, out);
}

int owner_src_cgroup_path(const struct owner_src *s, uint64_t id, char *buf, size_t len)
{
	return cgmount_path(s->cgfd, s->cgroup, id, buf, len);
}

uint64_t owner_src_lost(const struct owner_src *s)
{
	return s->kstats ? s->kstats->lost : 0;
}

void owner_src_info(const struct owner_src *s, struct owner_src_info *info)
{
	struct ownertab_stats st;
	struct ownerev_stats es;
	size_t n = 0;

	memset(info, 0, sizeof(*info));
	info->features = s->features;
	info->core = s->core;
	info->ringbuf = s->rb != NULL;
	snprintf(info->cgroup, sizeof(info->cgroup), "%s", s->cgroup);
	if (s->kstats) {
		info->events = s->kstats->events;
		info->lost = s->kstats->lost;
		info->no_storage = s->kstats->no_storage;
	}
	ownerev_stats(s->ev, &es);
	info->taken = es.taken;
	info->malformed = es.malformed;
	ownertab_stats(ownerev_table(s->ev), &st);
	info->full = st.full;
	info->records = st.records;
	for (size_t i = 0; i < NHOOKS; i++) {
		struct bpf_link_info li;
		__u32 llen = sizeof(li);

		if (!s->links[i])
			continue;
		memset(&li, 0, sizeof(li));
		if (bpf_obj_get_info_by_fd(bpf_link__fd(s->links[i]), &li, &llen) == 0) {
			info->link_ids[n] = li.id;
			info->prog_ids[n] = li.prog_id;
		}
		n++;
	}
	info->nprogs = n;
}
