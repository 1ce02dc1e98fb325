/*
 * test_ownerev.c - the kernel's events into the owner table, on made-up
 * events: ends as packets carry them, start ticks, namespace cookies, closes,
 * malformed events, and the guesses from a /proc fixture that the programs
 * without BTF leave to userspace.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/bpf/owners.h"
#include "../../core/ownerev.h"
#include "helpers.h"

static struct owners_event event(int family, const char *la, uint16_t lp, const char *ra,
				 uint16_t rp)
{
	struct owners_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.cookie = 1000;
	ev.ts_ns = 5;
	ev.kind = OWNERS_EV_CONNECT;
	ev.family = (uint8_t)family;
	ev.proto = IPPROTO_TCP;
	ev.lport = lp;
	ev.rport = rp;
	assert_int_equal(inet_pton(family, la, ev.laddr), 1);
	assert_int_equal(inet_pton(family, ra, ev.raddr), 1);
	ev.o.tgid = 42;
	ev.o.tid = 43;
	ev.o.uid = 1000;
	ev.o.how = OWNERS_HOW_CREATED;
	ev.o.start_ns = 123ull * 1000000000ull;
	ev.o.netns = 4026531840u;
	ev.o.netns_cookie = 1;
	ev.o.cgroup_id = 77;
	memcpy(ev.o.comm, "curl", 5);
	return ev;
}

static struct tuple tup(int family, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family == AF_INET ? TUPLE_V4 : TUPLE_V6;
	t.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(family, s, t.src), 1);
	assert_int_equal(inet_pton(family, d, t.dst), 1);
	t.sport = sp;
	t.dport = dp;
	return t;
}

static void test_event_to_owner(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET, "10.0.0.1", 40000, "93.184.216.34", 443);
	struct tuple t = tup(AF_INET, "10.0.0.1", 40000, "93.184.216.34", 443);
	struct ownerev_stats st;
	struct owner o;

	(void)state;
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.tgid, 42);
	assert_int_equal(o.tid, 43);
	assert_int_equal(o.uid, 1000);
	assert_string_equal(o.comm, "curl");
	assert_int_equal(o.start, 123 * sysconf(_SC_CLK_TCK));
	assert_int_equal(o.netns, 4026531840u);
	assert_int_equal(o.cgroup_id, 77);
	assert_int_equal(o.sock_cookie, 1000);
	assert_int_equal(o.how, OWNER_CREATED);
	assert_int_equal(o.kind, OWNERS_EV_CONNECT);
	assert_int_equal(o.flags, 0);
	/* The peer's end is not this socket's. */
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 1, 0, &o), OWNER_MATCH_NONE);
	ownerev_stats(e, &st);
	assert_int_equal(st.taken, 1);
	assert_int_equal(st.malformed, 0);
	ownerev_free(e);
}

/* A name longer than the kernel's 15 bytes never reads past the event. */
static void test_comm_terminated(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct tuple t = tup(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct owner o;

	(void)state;
	memset(ev.o.comm, 'x', sizeof(ev.o.comm));
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(strlen(o.comm), 15);
	ownerev_free(e);
}

static void test_v4mapped_event(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET6, "::ffff:127.0.0.1", 5555, "::ffff:127.0.0.1", 80);
	struct tuple t = tup(AF_INET, "127.0.0.1", 80, "127.0.0.1", 5555);
	struct owner o;

	(void)state;
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 1, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.tgid, 42);
	ownerev_free(e);
}

static void test_malformed(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct ownerev_stats st;
	struct ownertab_stats ts;

	(void)state;
	ownerev_take(e, &ev, sizeof(ev) - 1);
	ev.family = AF_UNIX;
	ownerev_take(e, &ev, sizeof(ev));
	ev.family = AF_INET;
	ev.lport = 0;
	ownerev_take(e, &ev, sizeof(ev));
	ev.lport = 1;
	ev.kind = 200;
	ownerev_take(e, &ev, sizeof(ev));
	ev.kind = 0;
	ownerev_take(e, &ev, sizeof(ev));
	ownerev_stats(e, &st);
	assert_int_equal(st.malformed, 5);
	assert_int_equal(st.taken, 0);
	ownertab_stats(ownerev_table(e), &ts);
	assert_int_equal(ts.records, 0);
	ownerev_free(e);
}

static void test_close(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct tuple t = tup(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct owner o;

	(void)state;
	ownerev_take(e, &ev, sizeof(ev));
	ev.kind = OWNERS_EV_CLOSE;
	ev.ts_ns = 99;
	memset(ev.laddr, 0, 16);	/* a close carries no ends */
	ev.lport = 0;
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.closed_ns, 99);
	ownerev_free(e);
}

/* An inode reported once with its cookie names the namespace of events with the cookie only. */
static void test_netns_cookie(void **state)
{
	struct ownerev *e = ownerev_new(100, NULL);
	struct owners_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct tuple t = tup(AF_INET, "10.0.0.1", 3, "10.0.0.2", 2);
	struct owner o;

	(void)state;
	ev.o.netns = 4026532000u;
	ev.o.netns_cookie = 9;
	ownerev_take(e, &ev, sizeof(ev));
	ev.o.netns = 0;
	ev.lport = 3;
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 4026532000u, &o),
			 OWNER_MATCH_EXACT);
	assert_int_equal(o.netns, 4026532000u);
	/* A cookie never told: unknown, and no guess without a proc root. */
	ev.o.netns_cookie = 10;
	ev.lport = 4;
	ownerev_take(e, &ev, sizeof(ev));
	t.sport = 4;
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.netns, 0);
	/* What the caller learned (its own namespace) names it too. */
	ownerev_learn_netns(e, 11, 4026531840u);
	ev.o.netns_cookie = 11;
	ev.lport = 5;
	ownerev_take(e, &ev, sizeof(ev));
	t.sport = 5;
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.netns, 4026531840u);
	ownerev_free(e);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The programs without BTF: start and namespace from PROC/TGID, if the thread is the same. */
static void test_guesses(void **state)
{
	char root[] = "/tmp/ownerev.XXXXXX", path[256];
	struct owners_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct tuple t = tup(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct ownerev *e;
	struct owner o;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/42", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/42/task", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/42/task/43", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/42/ns", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/42/task/43/stat", root);
	/* A name with a space and a parenthesis: fields are counted after the last ")". */
	write_file(path, "43 (cu) rl) S 1 43 43 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 555 1 2\n");
	snprintf(path, sizeof(path), "%s/42/stat", root);
	write_file(path, "42 (cu) rl) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 2\n");
	snprintf(path, sizeof(path), "%s/42/ns/net", root);
	write_file(path, "");
	assert_int_equal(stat(path, &st), 0);

	e = ownerev_new(100, root);
	ev.o.start_ns = 0;
	ev.o.netns = 0;
	ev.o.netns_cookie = 12345;
	memcpy(ev.o.comm, "cu) rl", 7);
	ownerev_take(e, &ev, sizeof(ev));
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.start, 4242);
	assert_int_equal(o.netns, st.st_ino);
	assert_int_equal(o.flags, OWNER_F_START_GUESSED | OWNER_F_NETNS_GUESSED);

	/* Another name under that id: another process, no guess. */
	memcpy(ev.o.comm, "wget", 5);
	ev.lport = 7;
	ownerev_take(e, &ev, sizeof(ev));
	t.sport = 7;
	assert_int_equal(ownertab_lookup(ownerev_table(e), &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.start, 0);
	assert_int_equal(o.netns, 0);
	assert_int_equal(o.flags, 0);
	ownerev_free(e);
	fx_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_to_owner),
		cmocka_unit_test(test_comm_terminated),
		cmocka_unit_test(test_v4mapped_event),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_netns_cookie),
		cmocka_unit_test(test_guesses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
