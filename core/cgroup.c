/*
 * cgroup.c - /proc/PID/cgroup to a cgroup v2 path, its systemd unit and
 * container; see cgroup.h. References: Documentation/admin-guide/cgroup-v2.rst
 * ("/proc/PID/cgroup"), systemd src/basic/cgroup-util.c (cg_path_get_unit,
 * skip_slices, cg_unescape) and src/basic/unit-name.c (unit_name_is_valid).
 */
#include "cgroup.h"

#include <string.h>

#define V2_PREFIX "0::"
#define V2_PREFIX_LEN 3
#define CONTAINER_ID_LEN 64	/* docker, containerd, CRI-O and podman ids */

bool cgroup_v2_path(const char *text, size_t len, const char **path, size_t *path_len)
{
	const char *found = NULL;
	size_t found_len = 0, v2_lines = 0;

	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;

		at += n + (nl ? 1 : 0);
		if (n < V2_PREFIX_LEN || memcmp(line, V2_PREFIX, V2_PREFIX_LEN) != 0)
			continue;	/* a v1 hierarchy, or not a line of this file */
		/* Every "0::" line counts, good or bad: two of them tell nothing. */
		v2_lines++;
		if (memchr(line, '\0', n) || n == V2_PREFIX_LEN || line[V2_PREFIX_LEN] != '/')
			continue;
		found = line + V2_PREFIX_LEN;
		found_len = n - V2_PREFIX_LEN;
	}
	if (v2_lines != 1 || !found)
		return false;
	*path = found;
	*path_len = found_len;
	return true;
}

/* The next component of path[*at..len) (slashes skipped); false at the end. */
static bool next_component(const char *path, size_t len, size_t *at, const char **c, size_t *n)
{
	while (*at < len && path[*at] == '/')
		(*at)++;
	if (*at == len)
		return false;
	*c = path + *at;
	while (*at < len && path[*at] != '/')
		(*at)++;
	*n = (size_t)(path + *at - *c);
	return true;
}

static bool eq(const char *c, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(c, s, n) == 0;
}

static bool has_prefix(const char *c, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(c, s, k) == 0;
}

enum unit_kind {
	UNIT_INVALID,
	UNIT_SLICE,
	UNIT_OTHER,	/* a valid unit that is no slice */
};

/* The unit types a cgroup is made for (systemd's unit_type_table, cgroup-less ones too). */
static const char *const unit_types[] = {
	"service", "scope", "socket", "mount", "swap", "device", "target", "timer", "path",
	"automount",
};

/*
 * What c[0..n) is as a unit name, after systemd's cg_unescape (a leading
 * '_' is dropped: systemd prefixes names that would clash with the
 * kernel's own cgroup files). unit_name_is_valid() with UNIT_NAME_PLAIN |
 * UNIT_NAME_INSTANCE: "name.type" or "name@instance.type".
 */
static enum unit_kind unit_kind(const char *c, size_t n)
{
	const char *dot = NULL, *at = NULL;

	if (n > 0 && c[0] == '_') {
		c++;
		n--;
	}
	if (n == 0 || n >= CGROUP_UNIT_MAX)
		return UNIT_INVALID;
	for (size_t i = n; i-- > 0;) {
		if (c[i] == '.') {
			dot = c + i;
			break;
		}
	}
	if (!dot || dot == c)
		return UNIT_INVALID;
	for (const char *p = c; p < dot; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == ':' || *p == '-' || *p == '_' ||
			  *p == '.' || *p == '\\';

		if (*p == '@' && !at)
			at = p;
		else if (!ok)
			return UNIT_INVALID;
	}
	/* "@" first, or a template with no instance ("foo@.service"): no unit. */
	if (at == c || (at && at + 1 == dot))
		return UNIT_INVALID;
	size_t tlen = (size_t)(c + n - dot - 1);

	if (eq(dot + 1, tlen, "slice"))
		return UNIT_SLICE;
	for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++) {
		if (eq(dot + 1, tlen, unit_types[i]))
			return UNIT_OTHER;
	}
	return UNIT_INVALID;
}

bool cgroup_unit(const char *path, size_t len, char unit[CGROUP_UNIT_MAX])
{
	size_t at = 0, n = 0;
	const char *c = NULL;
	bool any;

	/* skip_slices(): the leading slices are where a unit sits, not the unit. */
	while ((any = next_component(path, len, &at, &c, &n)) && unit_kind(c, n) == UNIT_SLICE)
		;
	if (!any || unit_kind(c, n) != UNIT_OTHER)
		return false;
	if (c[0] == '_') {
		c++;
		n--;
	}
	/* unit_kind() bounds n below CGROUP_UNIT_MAX. */
	memcpy(unit, c, n);
	unit[n] = '\0';
	return true;
}

static bool is_hex_id(const char *c, size_t n)
{
	if (n != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f')))
			return false;
	}
	return true;
}

/* "PREFIX<id>.scope": the id's start, or NULL. */
static const char *scope_id(const char *c, size_t n, const char *prefix)
{
	static const char suffix[] = ".scope";
	size_t p = strlen(prefix), s = sizeof(suffix) - 1;

	if (n != p + CONTAINER_ID_LEN + s || !has_prefix(c, n, prefix) ||
	    memcmp(c + n - s, suffix, s) != 0 || !is_hex_id(c + p, CONTAINER_ID_LEN))
		return NULL;
	return c + p;
}

/* An LXC container name: a few safe characters, not "." or "..". */
static bool is_lxc_name(const char *c, size_t n)
{
	if (n == 0 || n >= CGROUP_CONTAINER_MAX || eq(c, n, ".") || eq(c, n, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
		      (c[i] >= '0' && c[i] <= '9') || c[i] == '-' || c[i] == '_' || c[i] == '.'))
			return false;
	}
	return true;
}

bool cgroup_container(const char *path, size_t len, char out[CGROUP_CONTAINER_MAX])
{
	static const char *const scopes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	static const char lxc_payload[] = "lxc.payload.";
	const char *c, *prev = NULL, *best = NULL;
	size_t at = 0, n, prev_n = 0, best_n = 0;
	bool kube = false, first = true;

	while (next_component(path, len, &at, &c, &n)) {
		const char *id = NULL;
		size_t id_n = CONTAINER_ID_LEN;

		/* Kubernetes' cgroupfs driver: /kubepods[/QOS]/podUID/ID. */
		if (first)
			kube = has_prefix(c, n, "kubepods");
		for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]) && !id; i++)
			id = scope_id(c, n, scopes[i]);
		if (!id && is_hex_id(c, n) && (kube || (prev && eq(prev, prev_n, "docker"))))
			id = c;
		if (!id && has_prefix(c, n, lxc_payload) &&
		    is_lxc_name(c + sizeof(lxc_payload) - 1, n - (sizeof(lxc_payload) - 1))) {
			id = c + sizeof(lxc_payload) - 1;
			id_n = n - (sizeof(lxc_payload) - 1);
		}
		if (!id && prev && eq(prev, prev_n, "lxc") && is_lxc_name(c, n)) {
			id = c;
			id_n = n;
		}
		if (id) {
			best = id;
			best_n = id_n;
		}
		prev = c;
		prev_n = n;
		first = false;
	}
	if (!best)
		return false;
	/* Ids are 64 bytes, names were checked shorter than CGROUP_CONTAINER_MAX. */
	memcpy(out, best, best_n);
	out[best_n] = '\0';
	return true;
}
