/*
 * nssrc.c - the network namespaces a resolver reads: ours, and those of
 * the processes it meets (/proc/PID/ns/net); see resolve_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "procinfo.h"
#include "resolve_priv.h"

/*
 * The namespace of the root's own process (self/ns/net). In an untrusted
 * root "self" is a link no path is resolved through (a snapshot's
 * "self -> 100"): its text, a pid, is the directory read instead. A
 * snapshot may also have copied it as a directory.
 */
static uint64_t self_ns_inode(struct below *root)
{
	char pid[16], path[64];
	ssize_t n;

	if (root->trusted)
		return ns_link_inode(root, "self/ns/net");
	n = below_readlink(root, "self", pid, sizeof(pid));
	if (n < 0 && errno == EINVAL)
		return ns_link_inode(root, "self/ns/net");	/* not a link */
	if (n <= 0 || strspn(pid, "0123456789") != (size_t)n)
		return 0;
	snprintf(path, sizeof(path), "%s/ns/net", pid);
	return ns_link_inode(root, path);
}

int nsreg_init(struct nsreg *n, struct below *root, struct diag *diag)
{
	memset(n, 0, sizeof(*n));
	n->probed = -1;
	n->ns = calloc(1, sizeof(*n->ns));
	if (!n->ns) {
		errno = ENOMEM;
		return -1;
	}
	n->cap = n->nns = 1;
	n->ns[0].dir.fd = -1;	/* its files are the root's own */
	n->ns[0].ino = self_ns_inode(root);
	n->ns[0].diag = diag;	/* the resolver's: closed by it */
	return 0;
}

void nsreg_free(struct nsreg *n)
{
	for (size_t i = 1; i < n->nns; i++) {
		diag_close(n->ns[i].diag);
		below_root_close(&n->ns[i].dir);
	}
	free(n->ns);
	memset(n, 0, sizeof(*n));
}

void nsreg_orphan(struct resolver *r, size_t ns)
{
	struct netns *n = &r->ns.ns[ns];

	below_fold(&r->root, &n->dir);
	below_root_close(&n->dir);
	n->pid = 0;
	r->ns.orphaned = true;
}

struct below *nsreg_files(struct resolver *r, size_t ns)
{
	struct netns *n = &r->ns.ns[ns];

	if (ns == 0)
		return &r->root;
	if (n->dir.fd < 0)
		return NULL;
	/* A process may move to another namespace. */
	if (ns_link_inode(&n->dir, "ns/net") == n->ino)
		return &n->dir;
	nsreg_orphan(r, ns);	/* gone, or elsewhere now */
	return NULL;
}

/*
 * The namespace of the process whose /proc/PID directory dir is, and
 * with sock_diag (the root is our own /proc) an fd of it to enter it
 * (*fd, else -1): ns/net opened below that directory, the one magic link
 * opened, on purpose. Its inode is then the namespace entered, whatever
 * happened to the pid since the directory was opened. 0: unknown.
 */
static uint64_t dir_ns(const struct resolver *r, struct below *dir, int *fd)
{
	struct stat st;

	*fd = -1;
	if (r->diag) {
		*fd = openat(dir->fd, "ns/net", O_RDONLY | O_CLOEXEC);
		if (*fd >= 0 && fstat(*fd, &st) == 0)
			return (uint64_t)st.st_ino;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	return ns_link_inode(dir, "ns/net");
}

/* The index of namespace ino among those met (ours aside), or nns. */
static size_t ns_index(const struct nsreg *n, uint64_t ino)
{
	size_t i;

	for (i = 1; i < n->nns && n->ns[i].ino != ino; i++)
		;
	return i;
}

bool nsreg_note(struct resolver *r, int pid)
{
	struct nsreg *n = &r->ns;
	char path[64];
	struct below dir;
	uint64_t ino;
	void *arr = n->ns;
	size_t i;
	int fd;

	/* A first look by the pid's number: most processes are in ours. */
	snprintf(path, sizeof(path), "%d/ns/net", pid);
	ino = ns_link_inode(&r->root, path);
	if (ino == 0 || ino == n->ns[0].ino || n->ns[0].ino == 0)
		return false;
	i = ns_index(n, ino);
	if (i < n->nns && n->ns[i].dir.fd >= 0)
		return false;	/* met, and read through a process of it */
	/*
	 * Then what counts, through the process's own directory: the pid may
	 * be another process's since the look above.
	 */
	snprintf(path, sizeof(path), "%d", pid);
	if (below_sub_open(&r->root, path, &dir) != 0)
		return false;
	ino = dir_ns(r, &dir, &fd);
	i = ns_index(n, ino);
	if (ino == 0 || ino == n->ns[0].ino || i < n->nns || n->nns >= NS_MAX ||
	    !array_reserve(&arr, &n->cap, n->nns + 1, sizeof(*n->ns))) {
		if (i < n->nns && ino != 0 && n->ns[i].dir.fd < 0) {
			n->ns[i].dir = dir;	/* an orphan's new process */
			n->ns[i].pid = pid;
		} else {
			below_root_close(&dir);
		}
		if (fd >= 0)
			close(fd);
		return false;
	}
	n->ns = arr;
	n->ns[n->nns].ino = ino;
	n->ns[n->nns].pid = pid;
	n->ns[n->nns].dir = dir;
	n->ns[n->nns].diag = fd >= 0 ? diag_open_in(fd) : NULL;
	r->db.wild[n->nns][0] = r->db.wild[n->nns][1] = false;
	if (fd >= 0)
		close(fd);
	n->nns++;
	return true;
}

/*
 * Note the network namespaces of the processes created since the last
 * look (ns_last_pid, as the quick walks do: walkplan.h), and the `again`
 * before them; true if one was new. Too many new pids: left to a deep
 * walk.
 */
static bool probe(struct resolver *r, long again, long now)
{
	long n = walkplan_new_count(r->ns.probed, now, r->fd.pid_max, WALK_QUICK_MAX);
	bool added = false;

	if (n < 0) {
		r->ns.want_deep = true;
		return false;
	}
	r->ns.probed = now;
	/* Also recent ones again: a process may enter a namespace after fork(). */
	n += again;
	if (n >= r->fd.pid_max)
		n = r->fd.pid_max - 1;
	for (long pid = now; n-- > 0; pid = walkplan_prev_pid(pid, r->fd.pid_max))
		added |= nsreg_note(r, (int)pid);
	return added;
}

/*
 * New flows with an end in no namespace met: is a new process in a new
 * one? Its addresses are read now; its sockets by the lookups that follow.
 */
static int ns_flows(struct resolver *r, struct flow_pass *p)
{
	size_t old = r->ns.nns;

	p->ns_added = false;
	if (!p->foreign || !localaddr_any(r->db.local) ||
	    !probe(r, p->deep ? WALK_QUICK_AGAIN : 0, p->last_pid))
		return 0;
	for (size_t ns = old; ns < r->ns.nns; ns++)
		tablesrc_read_addrs(r, ns);
	p->ns_added = true;
	return 0;
}

/* Namespaces are met by the deep walk's listing of /proc (fdsrc.c): nothing to do whole. */
const struct rsource nssrc = { "namespaces", NULL, NULL, NULL, ns_flows };
