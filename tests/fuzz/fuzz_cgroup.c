/*
 * fuzz_cgroup.c - libFuzzer harness for the /proc/PID/cgroup parser and
 * the names read from a cgroup path (core/cgroup.h).
 *
 * Input: the text of a /proc/PID/cgroup file, as the resolver reads it
 * (up to CGROUP_FILE_MAX bytes, not NUL-terminated). Its v2 path is
 * looked for; that path, and the whole input taken as a path, are asked
 * for their systemd unit and container. Each answer is checked against
 * what cgroup.h promises, independently of how cgroup.c finds it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/cgroup.h"

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz_cgroup: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

static const char *const unit_types[] = {
	".service", ".scope", ".socket", ".mount", ".swap", ".device", ".target", ".timer",
	".path", ".automount",
};

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Is name[0..n) a whole component of path (possibly after systemd's leading '_')? */
static bool is_component(const char *path, size_t len, const char *name, size_t n)
{
	for (size_t at = 0; at + n <= len; at++) {
		bool start = at == 0 || path[at - 1] == '/' ||
			     (path[at - 1] == '_' && (at == 1 || path[at - 2] == '/'));
		bool end = at + n == len || path[at + n] == '/';
		if (start && end && memcmp(path + at, name, n) == 0)
			return true;
	}
	return false;
}

/* Does name[0..n) occur in path? (It has no '/': so inside one component.) */
static bool occurs(const char *path, size_t len, const char *name, size_t n)
{
	return memmem(path, len, name, n) != NULL;
}

static void check_names(const char *path, size_t len)
{
	char unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];

	memset(unit, 'X', sizeof(unit));
	if (cgroup_unit(path, len, unit)) {
		size_t n = strnlen(unit, sizeof(unit));
		bool typed = false;

		CHECK(n > 0 && n < CGROUP_UNIT_MAX);
		CHECK(memchr(unit, '/', n) == NULL && unit[0] != '@');
		for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
			typed = typed || ends_with(unit, n, unit_types[i]);
		CHECK(typed);
		CHECK(is_component(path, len, unit, n));
	}
	memset(container, 'X', sizeof(container));
	if (cgroup_container(path, len, container)) {
		size_t n = strnlen(container, sizeof(container));

		CHECK(n > 0 && n < CGROUP_CONTAINER_MAX);
		CHECK(memchr(container, '/', n) == NULL);
		CHECK(strcmp(container, ".") != 0 && strcmp(container, "..") != 0);
		for (size_t i = 0; i < n; i++) {
			char c = container[i];
			CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
		}
		CHECK(occurs(path, len, container, n));
	}
}

/* How many lines of text start with "0::" (the v2 hierarchy). */
static size_t v2_lines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (end - at >= 3 && memcmp(text + at, "0::", 3) == 0)
			n++;
		at = end + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *path = NULL;
	size_t len = 0;

	if (size > CGROUP_FILE_MAX)
		return 0;
	if (cgroup_v2_path(text, size, &path, &len)) {
		CHECK(path >= text + 3 && path + len <= text + size);
		CHECK(memcmp(path - 3, "0::", 3) == 0);
		CHECK(path - 3 == text || path[-4] == '\n');
		CHECK(len > 0 && path[0] == '/');
		CHECK(memchr(path, '\n', len) == NULL && memchr(path, '\0', len) == NULL);
		CHECK(v2_lines(text, size) == 1);
		check_names(path, len);
	}
	/* The names of any path, the file's or not: a path is hostile too. */
	check_names(text, size);
	return 0;
}
