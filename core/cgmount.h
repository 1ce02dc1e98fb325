/*
 * cgmount.h - where the cgroup v2 hierarchy is mounted, for the kernel
 * owner source (ownersrc.h) to attach its programs to its root.
 *
 * owner_src_cgroup2_mount (declared in ownersrc.h) reads a mountinfo
 * file; cgmount_ancestor looks in the mount namespaces of our ancestors
 * when ours has none.
 */
#ifndef PROCTRAF_CGMOUNT_H
#define PROCTRAF_CGMOUNT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Our mount namespace has no cgroup v2 mount (ip netns exec mounts a sysfs
 * of its own over /sys, and no cgroup2 in it): the first ancestor, up to
 * 16 generations, whose namespace has one lends it, through /proc/PID/root
 * (which needs the right to ptrace it). *fd: its directory, opened; mount:
 * the mount point as that namespace names it (len bytes; a cgroup's path,
 * read back from a descriptor, starts with it). 0, or -ENOENT.
 */
int cgmount_ancestor(char *mount, size_t len, int *fd);

/*
 * The path, below the hierarchy mounted at mount (cgfd: its directory), of
 * the cgroup whose id is id (a kernel report's), into buf (len bytes). 0,
 * or a negative errno (-ENOENT: not below that mount).
 */
int cgmount_path(int cgfd, const char *mount, uint64_t id, char *buf, size_t len);

#endif
