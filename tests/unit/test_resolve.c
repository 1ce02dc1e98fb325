/* Unit tests: the resolver against a /proc fixture built at test time. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/resolve.h"

static char root[64];

static void put(const char *rel, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void proc(int pid, const char *comm, unsigned uid, unsigned long long start,
		 const char *cmdline, size_t cmdlen, const unsigned *inodes, int n)
{
	char rel[128], text[256], target[64], link[256];

	snprintf(rel, sizeof(rel), "%d", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/status", pid);
	snprintf(text, sizeof(text), "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\n", comm, uid, uid, uid, uid);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0\n",
		 pid, comm, start);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	put(rel, cmdline, cmdlen);
	for (int i = 0; i < n; i++) {
		snprintf(target, sizeof(target), "socket:[%u]", inodes[i]);
		snprintf(link, sizeof(link), "%s/%d/fd/%d", root, pid, 3 + i);
		unlink(link);
		assert_int_equal(symlink(target, link), 0);
	}
}

#define LINE(la, lp, ra, rp, st, ino) \
	"  0: " la ":" lp " " ra ":" rp " " st " 00000000:00000000 00:00000000 00000000 0 0 " ino " 1 0\n"
#define HEAD "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

static int setup(void **state)
{
	static const char tcp[] = HEAD
		LINE("0500000A", "9C40", "04030201", "01BB", "01", "1001")	/* curl */
		LINE("0500000A", "0050", "00000000", "0000", "0A", "1002")	/* listener :80 */
		LINE("0500000A", "A028", "04030201", "0050", "06", "0")		/* TIME_WAIT */
		LINE("0500000A", "A029", "04030201", "0051", "01", "1005");	/* shared */
	static const char udp[] = HEAD
		LINE("00000000", "0035", "00000000", "0000", "07", "1003");	/* 0.0.0.0:53 */
	static const char tcp6[] = HEAD
		LINE("00000000000000000000000000000000", "1F90", "00000000000000000000000000000000",
		     "0000", "0A", "1004");					/* [::]:8080 */
	static const char fib[] = "Local:\n           |-- 127.0.0.0\n              /8 host LOCAL\n"
				  "           |-- 10.0.0.5\n              /32 host LOCAL\n";
	static const unsigned curl[] = { 1001 }, web[] = { 1002, 1003 }, dual[] = { 1004 },
			      shared[] = { 1005 };

	(void)state;
	strcpy(root, "/tmp/proctraf-unit-XXXXXX");
	assert_non_null(mkdtemp(root));
	dir("net");
	put("net/tcp", tcp, sizeof(tcp) - 1);
	put("net/udp", udp, sizeof(udp) - 1);
	put("net/tcp6", tcp6, sizeof(tcp6) - 1);
	put("net/fib_trie", fib, sizeof(fib) - 1);
	proc(100, "curl", 0, 500, "curl\0-s\0http://x/\0", 18, curl, 1);
	proc(200, "web", 33, 600, "web\0", 4, web, 2);
	proc(300, "dual", 0, 700, "dual\0", 5, dual, 1);
	proc(401, "child", 0, 800, "child\0", 6, shared, 1);
	proc(400, "parent", 0, 790, "parent\0", 7, shared, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const uint8_t me[16] = { 10, 0, 0, 5 }, remote[16] = { 1, 2, 3, 4 },
		     other[16] = { 10, 0, 0, 9 }, any[16];

static enum owner_status who(struct resolver *r, int fam, int proto, const uint8_t *la,
			     uint16_t lp, const uint8_t *ra, uint16_t rp, int *pid)
{
	const struct proc_info *p;
	enum owner_status st = resolver_lookup(r, fam, proto, la, lp, ra, rp, &p);

	*pid = p ? p->pid : -1;
	return st;
}

static void missing_root(void **state)
{
	(void)state;
	assert_null(resolver_new("/nonexistent/proc"));
}

static void lookups(void **state)
{
	struct resolver *r = resolver_new(root);
	int pid;

	(void)state;
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	/* exact tuple */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 40000, remote, 443, &pid), OWNER_FOUND);
	assert_int_equal(pid, 100);
	/* a new connection to the listener, from anywhere */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 80, other, 5555, &pid), OWNER_FOUND);
	assert_int_equal(pid, 200);
	/* 0.0.0.0:53 UDP */
	assert_int_equal(who(r, TUPLE_V4, 17, me, 53, remote, 9999, &pid), OWNER_FOUND);
	assert_int_equal(pid, 200);
	/* IPv4 to a dual-stack [::]:8080 */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 8080, remote, 1234, &pid), OWNER_FOUND);
	assert_int_equal(pid, 300);
	/* the wildcard is not for addresses of other hosts */
	assert_int_equal(who(r, TUPLE_V4, 17, other, 53, remote, 9999, &pid), OWNER_NO_SOCKET);
	/* TIME_WAIT: a socket, nobody holding it */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 41000, remote, 80, &pid), OWNER_NO_PROCESS);
	/* nothing at all */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 1, remote, 2, &pid), OWNER_NO_SOCKET);
	/* a socket shared after fork: the lowest pid */
	assert_int_equal(who(r, TUPLE_V4, 6, me, 41001, remote, 81, &pid), OWNER_FOUND);
	assert_int_equal(pid, 400);
	resolver_free(r);
}

static void process_details_and_locality(void **state)
{
	struct resolver *r = resolver_new(root);
	const struct proc_info *p;
	uint8_t lo[16] = { 127, 9, 9, 9 };

	(void)state;
	resolver_refresh(r);
	assert_int_equal(resolver_lookup(r, TUPLE_V4, 6, me, 40000, remote, 443, &p), OWNER_FOUND);
	assert_string_equal(p->comm, "curl");
	assert_string_equal(p->cmdline, "curl -s http://x/");
	assert_true(p->have_uid);
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->start, 500);
	assert_true(resolver_is_local(r, TUPLE_V4, me));
	assert_true(resolver_is_local(r, TUPLE_V4, lo));	/* 127.0.0.0/8 */
	assert_false(resolver_is_local(r, TUPLE_V4, other));
	assert_false(resolver_is_local(r, TUPLE_V4, any));
	resolver_free(r);
}

static void knowledge_survives_exit(void **state)
{
	struct resolver *r = resolver_new(root);
	char cmd[256];
	int pid;

	(void)state;
	resolver_refresh(r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/100 && sed -i '/9C40/d' %s/net/tcp", root, root);
	assert_int_equal(system(cmd), 0);
	resolver_refresh(r);
	assert_int_equal(who(r, TUPLE_V4, 6, me, 40000, remote, 443, &pid), OWNER_FOUND);
	assert_int_equal(pid, 100);
	resolver_free(r);
}

static void explains(void **state)
{
	struct resolver *r = resolver_new(root);
	struct tuple t;

	(void)state;
	resolver_refresh(r);
	memset(&t, 0, sizeof(t));
	t.family = TUPLE_V4;
	t.proto = 6;
	memcpy(t.src, remote, 4);
	t.sport = 443;
	memcpy(t.dst, me, 4);
	t.dport = 40000;
	assert_true(resolver_explains(r, &t));
	t.dport = 1;				/* our address, no socket */
	assert_false(resolver_explains(r, &t));
	memcpy(t.dst, other, 4);		/* not ours at all */
	assert_true(resolver_explains(r, &t));
	/* loopback: both ends are ours, both need an owner */
	memcpy(t.src, me, 4);
	t.sport = 40000;
	memcpy(t.dst, me, 4);
	t.dport = 80;				/* a listener owns this end */
	assert_false(resolver_explains(r, &t));	/* 10.0.0.5:40000 -> 10.0.0.5:80 is unknown */
	resolver_free(r);
}

static void pid_reuse_is_a_new_process(void **state)
{
	struct resolver *r = resolver_new(root);
	static const char tcp_more[] = HEAD
		LINE("0500000A", "9C41", "04030201", "01BB", "01", "2001");
	static const unsigned inode[] = { 2001 };
	const struct proc_info *p;

	(void)state;
	resolver_refresh(r);
	/* pid 300 exits; a new process gets pid 300 and opens a new socket */
	proc(300, "newcomer", 0, 99999, "newcomer\0", 9, inode, 1);
	put("net/tcp", tcp_more, sizeof(tcp_more) - 1);
	resolver_refresh(r);
	assert_int_equal(resolver_lookup(r, TUPLE_V4, 6, me, 40001, remote, 443, &p), OWNER_FOUND);
	assert_int_equal(p->pid, 300);
	assert_string_equal(p->comm, "newcomer");
	/* the old pid 300 keeps its own socket and name */
	assert_int_equal(resolver_lookup(r, TUPLE_V4, 6, me, 8080, remote, 1, &p), OWNER_FOUND);
	assert_string_equal(p->comm, "dual");
	resolver_free(r);
}

int main(void)
{
	/* Each test gets a fresh fixture: some of them change it. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_root),
		cmocka_unit_test_setup_teardown(lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(process_details_and_locality, setup, teardown),
		cmocka_unit_test_setup_teardown(knowledge_survives_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(explains, setup, teardown),
		cmocka_unit_test_setup_teardown(pid_reuse_is_a_new_process, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
