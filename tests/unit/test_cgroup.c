/*
 * test_cgroup.c - /proc/PID/cgroup text to a cgroup v2 path, its systemd
 * unit and container (core/cgroup.h), on the forms real hosts write and on
 * hostile text.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdlib.h>

#include "../../core/cgroup.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* A string literal and its length, NULs included, terminator excluded. */
#define TXT(s) (s), sizeof(s) - 1

/* The v2 path of text, or NULL; a NUL-terminated copy in buf. */
static const char *v2(const char *text, size_t len, char *buf, size_t size)
{
	const char *p;
	size_t n;

	if (!cgroup_v2_path(text, len, &p, &n))
		return NULL;
	assert_true(n > 0 && n < size);
	assert_true(p >= text && p + n <= text + len);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void check_v2(const char *text, size_t len, const char *want)
{
	char buf[CGROUP_FILE_MAX + 1];
	const char *got = v2(text, len, buf, sizeof(buf));

	if (want == NULL && got != NULL)
		fail_msg("%.*s: path %s, want none", (int)len, text, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("%.*s: path %s, want %s", (int)len, text, got ? got : "(none)", want);
}

static void check_unit(const char *path, const char *want)
{
	char unit[CGROUP_UNIT_MAX];
	bool ok;

	memset(unit, 'x', sizeof(unit));
	ok = cgroup_unit(path, strlen(path), unit);
	if (want == NULL && ok)
		fail_msg("%s: unit %s, want none", path, unit);
	if (want != NULL && (!ok || strcmp(unit, want) != 0))
		fail_msg("%s: unit %s, want %s", path, ok ? unit : "(none)", want);
}

static void check_container(const char *path, const char *want)
{
	char out[CGROUP_CONTAINER_MAX];
	bool ok;

	memset(out, 'x', sizeof(out));
	ok = cgroup_container(path, strlen(path), out);
	if (want == NULL && ok)
		fail_msg("%s: container %s, want none", path, out);
	if (want != NULL && (!ok || strcmp(out, want) != 0))
		fail_msg("%s: container %s, want %s", path, ok ? out : "(none)", want);
}

/* ---- the v2 line ---- */

static void test_v2_path(void **state)
{
	(void)state;
	/* A pure v2 host: one line. */
	check_v2(TXT("0::/system.slice/nginx.service\n"), "/system.slice/nginx.service");
	check_v2(TXT("0::/\n"), "/");
	/* A hybrid host: v1 lines around the v2 one, which alone is read. */
	check_v2(TXT("12:cpuset:/\n11:memory:/user.slice/user-1000.slice/session-3.scope\n"
		     "10:name=systemd:/user.slice/user-1000.slice/session-3.scope\n"
		     "1:cpu,cpuacct:/user.slice\n"
		     "0::/user.slice/user-1000.slice/session-3.scope\n"),
		 "/user.slice/user-1000.slice/session-3.scope");
	/* A path may hold ':' (a cgroup name may); the line is split at two colons. */
	check_v2(TXT("0::/a:b/c::d\n"), "/a:b/c::d");
	/* No newline at the end, and empty lines around. */
	check_v2(TXT("0::/init.scope"), "/init.scope");
	check_v2(TXT("\n\n0::/init.scope\n\n"), "/init.scope");
}

static void test_v2_none(void **state)
{
	(void)state;
	/* Empty, v1 only (a v1-only host), nothing but garbage. */
	check_v2(TXT(""), NULL);
	check_v2(TXT("\n"), NULL);
	check_v2(TXT("4:memory:/foo\n1:name=systemd:/system.slice/cron.service\n"), NULL);
	check_v2(TXT("garbage\n:::\n0:\n0:x\n"), NULL);
	/* "0::" with an empty path, or one that is not absolute. */
	check_v2(TXT("0::\n"), NULL);
	check_v2(TXT("0::"), NULL);
	check_v2(TXT("0::system.slice/x.service\n"), NULL);
	/* Controllers on hierarchy 0, another id that starts with 0: v1 lines. */
	check_v2(TXT("0:cpu:/x\n"), NULL);
	check_v2(TXT("01::/x\n"), NULL);
	check_v2(TXT(" 0::/x\n"), NULL);
	/*
	 * Several "0::" lines: the kernel writes one, and a cgroup named
	 * "a\n0::/system.slice/sshd.service" would write a second one of its
	 * choosing. Neither is taken, whichever comes first.
	 */
	check_v2(TXT("0::/user.slice/a\n0::/system.slice/sshd.service\n"), NULL);
	check_v2(TXT("0::/system.slice/sshd.service\n0::/x\n"), NULL);
	check_v2(TXT("0::/x\n0::\n"), NULL);
	/* A NUL in a line: no line (the kernel never writes one). */
	check_v2(TXT("0::/system.slice/a\0b.service\n"), NULL);
	check_v2(TXT("0::/sys\0\n"), NULL);
	/* ... but a NUL in another (v1) line does not hide the v2 one. */
	check_v2(TXT("3:me\0mory:/x\n0::/ok.scope\n"), "/ok.scope");
}

/* Lines as long as the file may be, and the bound of the read length. */
static void test_v2_long(void **state)
{
	(void)state;
	size_t n = CGROUP_FILE_MAX;
	char *text = malloc(n + 1);

	assert_non_null(text);
	/* One v2 line filling the whole bound, no newline. */
	memcpy(text, "0::/", 4);
	memset(text + 4, 'a', n - 4);
	{
		const char *p;
		size_t len;

		assert_true(cgroup_v2_path(text, n, &p, &len));
		assert_int_equal(len, n - 3);
		assert_ptr_equal(p, text + 3);
	}
	/* A v1 line as long, then the v2 line: found after it. */
	memset(text, 'x', n);
	memcpy(text + n - 20, "\n0::/late.service\n", 18);
	text[n - 2] = '\n';
	text[n - 1] = '\n';
	check_v2(text, n - 2, "/late.service");
	/* The length given is all that is read: nothing past it. */
	memcpy(text, "0::/abc\n0::/def\n", 16);
	check_v2(text, 8, "/abc");
	check_v2(text, 3, NULL);
	check_v2(text, 0, NULL);
	/* A huge path goes through the unit and container checks unharmed. */
	memset(text, 'a', n);
	for (size_t i = 0; i < n; i += 9)
		text[i] = '/';
	check_unit(text, NULL);
	memcpy(text + n - 200, "/x.service", 10);
	text[n - 190] = '\0';
	check_unit(text + n - 200, "x.service");
	assert_false(cgroup_unit(text, n, (char[CGROUP_UNIT_MAX]){ 0 }));
	assert_false(cgroup_container(text, n, (char[CGROUP_CONTAINER_MAX]){ 0 }));
	free(text);
}

/* ---- the systemd unit ---- */

static void test_unit(void **state)
{
	(void)state;
	check_unit("/system.slice/nginx.service", "nginx.service");
	check_unit("/system.slice/nginx.service/worker", "nginx.service");
	check_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope",
		   "user@1000.service");
	check_unit("/user.slice/user-1000.slice/session-3.scope", "session-3.scope");
	check_unit("/init.scope", "init.scope");
	check_unit("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service");
	check_unit("/system.slice/docker-" ID64 ".scope", "docker-" ID64 ".scope");
	check_unit("/machine.slice/libpod-" ID64 ".scope/container", "libpod-" ID64 ".scope");
	check_unit("/system.slice/docker.socket", "docker.socket");
	check_unit("/system.slice/-.mount", "-.mount");
	check_unit("/system.slice/dev-sda2.swap", "dev-sda2.swap");
	check_unit("/system.slice/sys-devices-x.device", "sys-devices-x.device");
	check_unit("/system.slice/multi-user.target", "multi-user.target");
	check_unit("/system.slice/apt-daily.timer", "apt-daily.timer");
	check_unit("/system.slice/cups.path", "cups.path");
	check_unit("/system.slice/proc-sys-fs-binfmt_misc.automount",
		   "proc-sys-fs-binfmt_misc.automount");
	/* Escaped and odd but valid characters. */
	check_unit("/system.slice/_cgroup.service", "cgroup.service");
	check_unit("/system.slice/a\\x2db:c_d.e.service", "a\\x2db:c_d.e.service");
	/* Doubled slashes are one separator. */
	check_unit("//system.slice//nginx.service", "nginx.service");
	check_unit("system.slice/nginx.service", "nginx.service");
}

static void test_unit_none(void **state)
{
	(void)state;
	/* The root names none; slices only, none. */
	check_unit("/", NULL);
	check_unit("", NULL);
	check_unit("/system.slice", NULL);
	check_unit("/user.slice/user-1000.slice", NULL);
	/* The first component after the slices is no unit: none (not a deeper one). */
	check_unit("/docker/" ID64, NULL);
	check_unit("/kubepods/burstable/pod1234/" ID64, NULL);
	check_unit("/lxc.payload.c1/init.scope", NULL);
	check_unit("/system.slice/foo/bar.service", NULL);
	/* Unknown suffixes, no name, a template, bad characters. */
	check_unit("/system.slice/foo.bar", NULL);
	check_unit("/system.slice/foo.", NULL);
	check_unit("/system.slice/.service", NULL);
	check_unit("/system.slice/foo", NULL);
	check_unit("/system.slice/getty@.service", NULL);
	check_unit("/system.slice/@tty1.service", NULL);
	check_unit("/system.slice/a@b@c.service", NULL);
	check_unit("/system.slice/a b.service", NULL);
	check_unit("/system.slice/a\nb.service", NULL);
	check_unit("/system.slice/a\x1b.service", NULL);
	check_unit("/system.slice/caf\xc3\xa9.service", NULL);
	check_unit("/system.slice/_", NULL);
	check_unit("/_.service", NULL);
	/* A slice not valid as a name is not skipped: it is no unit either. */
	check_unit("/bad name.slice/x.service", NULL);

	/* 255 bytes is the longest unit name; 256 is too long. */
	char path[400] = "/system.slice/";
	size_t base = strlen(path);

	memset(path + base, 'a', 255 - strlen(".service"));
	strcpy(path + base + 255 - strlen(".service"), ".service");
	check_unit(path, path + base);
	memset(path + base, 'a', 256 - strlen(".service"));
	strcpy(path + base + 256 - strlen(".service"), ".service");
	check_unit(path, NULL);
	/* The length given bounds the path: "nginx.service" cut is "nginx.ser". */
	char unit[CGROUP_UNIT_MAX];
	assert_false(cgroup_unit("/system.slice/nginx.service", 23, unit));
	assert_true(cgroup_unit("/system.slice/nginx.service/x", 27, unit));
	assert_string_equal(unit, "nginx.service");
}

/* ---- the container ---- */

static void test_container(void **state)
{
	(void)state;
	/* Docker with the systemd cgroup driver, and with cgroupfs. */
	check_container("/system.slice/docker-" ID64 ".scope", ID64);
	check_container("/docker/" ID64, ID64);
	check_container("/docker/" ID64 "/sub", ID64);
	/* containerd and CRI-O under Kubernetes' systemd driver. */
	check_container("/kubepods.slice/kubepods-burstable.slice/"
			"kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/"
			"cri-containerd-" ID64 ".scope", ID64);
	check_container("/kubepods.slice/kubepods-besteffort.slice/"
			"kubepods-besteffort-pod0f1e2d3c_4b5a.slice/crio-" ID64 ".scope", ID64);
	/* Kubernetes' cgroupfs driver: /kubepods[/QOS]/podUID/ID. */
	check_container("/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" ID64,
			ID64);
	check_container("/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" ID64, ID64);
	/* Podman. */
	check_container("/machine.slice/libpod-" ID64 ".scope", ID64);
	check_container("/machine.slice/libpod-" ID64 ".scope/container", ID64);
	check_container("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64
			".scope", ID64);
	/* LXC. */
	check_container("/lxc.payload.web1", "web1");
	check_container("/lxc.payload.web-1.example/init.scope", "web-1.example");
	check_container("/lxc/db_2", "db_2");
	check_container("/lxc/db_2/system.slice/x.service", "db_2");
	/* A container in a container: the deepest. */
	check_container("/docker/" ID64 "/docker/"
			"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
			"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
}

static void test_container_none(void **state)
{
	(void)state;
	check_container("/", NULL);
	check_container("", NULL);
	check_container("/system.slice/nginx.service", NULL);
	check_container("/user.slice/user-1000.slice/session-3.scope", NULL);
	check_container("/init.scope", NULL);
	/* An id that is not 64 lower-case hex digits. */
	check_container("/system.slice/docker-" ID64 "0.scope", NULL);
	check_container("/system.slice/docker-0123.scope", NULL);
	check_container("/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			NULL);
	check_container("/docker/0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef",
			NULL);
	/* The id's form, but not where a container's is. */
	check_container("/system.slice/" ID64, NULL);
	check_container("/system.slice/foo-" ID64 ".scope", NULL);
	check_container("/system.slice/docker-" ID64 ".service", NULL);
	check_container("/system.slice/libpod-conmon-" ID64 ".scope", NULL);
	check_container("/dockerx/" ID64, NULL);
	check_container("/notkube/pod1/" ID64, NULL);
	/* LXC's monitor, and names that are no names. */
	check_container("/lxc.monitor.web1", NULL);
	check_container("/lxc.payload.", NULL);
	check_container("/lxc.payload..", NULL);
	check_container("/lxc.payload.a b", NULL);
	check_container("/lxc.payload.a\nb", NULL);
	check_container("/lxc", NULL);
	check_container("/lxc/..", NULL);
	/* A name as long as kept is too long; one shorter is taken. */
	char path[300] = "/lxc/";
	memset(path + 5, 'n', CGROUP_CONTAINER_MAX);
	path[5 + CGROUP_CONTAINER_MAX] = '\0';
	check_container(path, NULL);
	path[5 + CGROUP_CONTAINER_MAX - 1] = '\0';
	check_container(path, path + 5);
	/* The length given bounds the path: an id cut short is none. */
	char out[CGROUP_CONTAINER_MAX];
	assert_false(cgroup_container("/docker/" ID64, 8 + 63, out));
}

/* Pseudo-random bytes never read out of bounds (ASan) nor give a bad answer. */
static void test_garbage(void **state)
{
	(void)state;
	static const char alphabet[] = "0:/\n\0.-@_asliceorvp6bf";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char unit[CGROUP_UNIT_MAX], out[CGROUP_CONTAINER_MAX];

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(x % 97);
		char *text = malloc(n ? n : 1);
		const char *p;
		size_t len;

		assert_non_null(text);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			text[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		if (cgroup_v2_path(text, n, &p, &len)) {
			assert_true(len >= 1 && p[0] == '/');
			assert_null(memchr(p, '\n', len));
			assert_null(memchr(p, '\0', len));
			if (cgroup_unit(p, len, unit))
				assert_true(strlen(unit) > 0 && strlen(unit) < CGROUP_UNIT_MAX &&
					    !strchr(unit, '/'));
			if (cgroup_container(p, len, out))
				assert_true(strlen(out) > 0 && !strchr(out, '/'));
		}
		/* The same bytes as a path, whatever they are. */
		if (cgroup_unit(text, n, unit))
			assert_null(strchr(unit, '/'));
		if (cgroup_container(text, n, out))
			assert_null(strchr(out, '/'));
		free(text);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_path),
		cmocka_unit_test(test_v2_none),
		cmocka_unit_test(test_v2_long),
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_unit_none),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_container_none),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
