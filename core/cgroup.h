/*
 * cgroup.h - a process's control group, from the text of /proc/PID/cgroup,
 * and what its path names: the systemd unit, a container.
 *
 * Each line of the file is "hierarchy-ID:controller-list:path". The cgroup
 * v2 (unified) line has hierarchy ID 0 and no controllers ("0::/system.slice/
 * nginx.service"); on hybrid hosts the other lines are v1 hierarchies and are
 * not read. The text comes from the kernel, or from a --proc-root snapshot,
 * and a cgroup's name is chosen by whoever may create it (a delegated
 * subtree), so it is hostile input: bounded, taken as bytes, never trusted
 * to be one line per group.
 */
#ifndef PROCTRAF_CGROUP_H
#define PROCTRAF_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/* The longest /proc/PID/cgroup text read; a longer file tells nothing. */
#define CGROUP_FILE_MAX 16384

/* systemd's UNIT_NAME_MAX: a unit name is shorter than this. */
#define CGROUP_UNIT_MAX 256

/* The longest container name kept (an id is 64 hex digits). */
#define CGROUP_CONTAINER_MAX 128

/*
 * The v2 path in text[0..len): the path of the only line "0::PATH" whose
 * PATH starts with '/'. Lines need not end with a newline (the last one
 * may not); a line with a NUL byte is no line. None (false) when there is
 * no such line, when the path is empty, or when there are several "0::"
 * lines: the kernel writes one, and a cgroup name with a newline in it
 * would make a second, which must not choose the answer. On success the
 * path is *path, *path_len bytes long, pointing into text.
 */
bool cgroup_v2_path(const char *text, size_t len, const char **path, size_t *path_len);

/*
 * The systemd unit a cgroup path belongs to, as systemd's
 * cg_path_get_unit() finds it: the leading components that are slices
 * ("*.slice") are skipped, and the next component is the unit if it is a
 * valid unit name (after systemd's cgroup unescaping: a leading '_'
 * dropped) that is no slice:
 *
 *	/system.slice/nginx.service                        nginx.service
 *	/user.slice/user-1000.slice/user@1000.service/...  user@1000.service
 *	/user.slice/user-1000.slice/session-3.scope        session-3.scope
 *	/init.scope                                        init.scope
 *	/, /system.slice, /docker/ID                       none
 *
 * A valid unit name is shorter than CGROUP_UNIT_MAX, has a known type
 * suffix (.service .scope .socket .mount .swap .device .target .timer
 * .path .automount), and before it only [A-Za-z0-9:_.\-] and at most one
 * '@' (not first, and followed by an instance). Writes the name,
 * NUL-terminated, into unit (CGROUP_UNIT_MAX bytes); false when none.
 */
bool cgroup_unit(const char *path, size_t len, char unit[CGROUP_UNIT_MAX]);

/*
 * The container a cgroup path names, where it names one: the 64-hex id of
 * docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope
 * (podman, as under /machine.slice), /docker/ID, and /kubepods.../ID
 * (also .../podUID/ID); the name of LXC's /lxc.payload.NAME and /lxc/NAME.
 * The deepest component that names one wins (a container in a container).
 * Writes it, NUL-terminated, into out (CGROUP_CONTAINER_MAX bytes); false
 * when the path names none.
 */
bool cgroup_container(const char *path, size_t len, char out[CGROUP_CONTAINER_MAX]);

#endif
