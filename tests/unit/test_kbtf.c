/*
 * test_kbtf.c - the kernel types the owner programs read, taken out of a
 * BTF (core/kbtf.c): on a BTF built here, the structs and only the
 * members wanted, at their offsets, with types CO-RE takes as the same
 * (typedefs resolved, arrays, pointers), an embedded struct as the copy
 * of its own; a member of a kind not copied, or one that may hide in an
 * unnamed union, refuses the copy; and, where the kernel has BTF, the
 * running kernel's offsets in the memory file libbpf reads.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "../../core/kbtf.h"

/* Offsets in bits, as BTF has them. */
#define OFF_FLAGS 32
#define OFF_COMM 64
#define OFF_LEADER 192
#define OFF_NSPROXY 256
#define OFF_START 320
#define OFF_NET_NS 64
#define OFF_NS 128
#define OFF_INUM 64

/* A BTF standing in for a kernel's, with members nobody reads beside those read. */
static struct btf *fake_kernel(bool flags_enum, bool hide_inum)
{
	struct btf *b = btf__new_empty();
	int u32, chr, u64, td, idx, arr, ptr, en, ns, un;

	assert_non_null(b);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	td = btf__add_typedef(b, "u64", u64);
	idx = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	arr = btf__add_array(b, idx, chr, 16);
	ptr = btf__add_ptr(b, 0);
	en = btf__add_enum(b, "flagbits", 4);
	assert_true(en > 0 && btf__add_enum_value(b, "F", 1) == 0);
	un = btf__add_union(b, "", 8);
	assert_true(un > 0 && btf__add_field(b, "inum", u32, 0, 0) == 0);

	assert_true(btf__add_struct(b, "task_struct", 64) > 0);
	assert_int_equal(btf__add_field(b, "state", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "flags", flags_enum ? en : u32, OFF_FLAGS, 0), 0);
	assert_int_equal(btf__add_field(b, "comm", arr, OFF_COMM, 0), 0);
	assert_int_equal(btf__add_field(b, "group_leader", ptr, OFF_LEADER, 0), 0);
	assert_int_equal(btf__add_field(b, "nsproxy", ptr, OFF_NSPROXY, 0), 0);
	assert_int_equal(btf__add_field(b, "start_boottime", td, OFF_START, 0), 0);
	assert_int_equal(btf__add_field(b, "mm", ptr, 384, 0), 0);
	assert_true(btf__add_struct(b, "nsproxy", 16) > 0);
	assert_int_equal(btf__add_field(b, "count", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "net_ns", ptr, OFF_NET_NS, 0), 0);
	ns = btf__add_struct(b, "ns_common", 24);
	assert_true(ns > 0);
	assert_int_equal(btf__add_field(b, "ops", ptr, 0, 0), 0);
	if (hide_inum)
		assert_int_equal(btf__add_field(b, NULL, un, OFF_INUM, 0), 0);
	else
		assert_int_equal(btf__add_field(b, "inum", u32, OFF_INUM, 0), 0);
	assert_true(btf__add_struct(b, "net", 64) > 0);
	assert_int_equal(btf__add_field(b, "passive", u32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "ns", ns, OFF_NS, 0), 0);
	return b;
}

/* The member of struct sname in b called mname: its bit offset and resolved type. */
static const struct btf_type *member(const struct btf *b, const char *sname, const char *mname,
				     uint32_t *bit_off)
{
	int id = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;

	if (id <= 0)
		return NULL;
	t = btf__type_by_id(b, (uint32_t)id);
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		if (strcmp(btf__name_by_offset(b, m[i].name_off), mname) == 0) {
			*bit_off = btf_member_bit_offset(t, i);
			return btf__type_by_id(b, (uint32_t)btf__resolve_type(b, m[i].type));
		}
	}
	return NULL;
}

static void test_extract(void **state)
{
	struct btf *src = fake_kernel(false, false), *dst;
	const struct btf_type *t;
	uint32_t off = 0;
	(void)state;

	dst = kbtf_extract(src);
	assert_non_null(dst);
	t = btf__type_by_id(dst, (uint32_t)btf__find_by_name_kind(dst, "task_struct",
								   BTF_KIND_STRUCT));
	assert_non_null(t);
	assert_int_equal(t->size, 64);
	assert_int_equal(btf_vlen(t), 5);	/* not state nor mm; no real_start_time here */
	t = member(dst, "task_struct", "flags", &off);
	assert_true(t && btf_is_int(t) && t->size == 4 && off == OFF_FLAGS);
	t = member(dst, "task_struct", "comm", &off);
	assert_true(t && btf_is_array(t) && btf_array(t)->nelems == 16 && off == OFF_COMM);
	t = member(dst, "task_struct", "group_leader", &off);
	assert_true(t && btf_is_ptr(t) && off == OFF_LEADER);
	t = member(dst, "task_struct", "nsproxy", &off);
	assert_true(t && btf_is_ptr(t) && off == OFF_NSPROXY);
	/* The typedef goes: CO-RE compares what it stands for. */
	t = member(dst, "task_struct", "start_boottime", &off);
	assert_true(t && btf_is_int(t) && t->size == 8 && off == OFF_START);
	assert_null(member(dst, "task_struct", "mm", &off));
	t = member(dst, "nsproxy", "net_ns", &off);
	assert_true(t && btf_is_ptr(t) && off == OFF_NET_NS);
	/* An embedded struct is the copy's own ns_common. */
	t = member(dst, "net", "ns", &off);
	assert_true(t && btf_is_struct(t) && off == OFF_NS);
	assert_string_equal(btf__name_by_offset(dst, t->name_off), "ns_common");
	assert_int_equal(btf_vlen(t), 1);
	t = member(dst, "ns_common", "inum", &off);
	assert_true(t && btf_is_int(t) && off == OFF_INUM);
	btf__free(dst);
	btf__free(src);
}

static void test_refused(void **state)
{
	struct btf *src = fake_kernel(true, false);
	(void)state;

	/* An enum where an integer was read: src answers, as libbpf would. */
	errno = 0;
	assert_null(kbtf_extract(src));
	assert_int_equal(errno, EOPNOTSUPP);
	btf__free(src);
	/* inum in an unnamed union: found by CO-RE, not by the copy. */
	src = fake_kernel(false, true);
	errno = 0;
	assert_null(kbtf_extract(src));
	assert_int_equal(errno, EOPNOTSUPP);
	btf__free(src);
}

/* The running kernel: every member wanted at the offset its whole BTF says. */
static void test_running_kernel(void **state)
{
	static const char *const names[][2] = {
		{"task_struct", "flags"},  {"task_struct", "comm"},
		{"task_struct", "group_leader"}, {"task_struct", "nsproxy"},
		{"task_struct", "start_boottime"}, {"nsproxy", "net_ns"},
		{"net", "ns"}, {"ns_common", "inum"},
	};
	struct btf *whole, *mini;
	char path[64];
	int fd;
	(void)state;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		print_message("SKIP: no /sys/kernel/btf/vmlinux: the kernel has no BTF\n");
		skip();
	}
	fd = kbtf_memfd(NULL, path, sizeof(path));
	if (fd < 0 && (errno == EINVAL || errno == ENODEV || errno == EACCES)) {
		print_message("SKIP: the kernel's BTF cannot be mapped: %s\n", strerror(errno));
		skip();
	}
	assert_true(fd >= 0);
	whole = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	mini = btf__parse(path, NULL);
	assert_non_null(whole);
	assert_non_null(mini);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint32_t a = 0, b = 0;
		const struct btf_type *ta = member(whole, names[i][0], names[i][1], &a);
		const struct btf_type *tb = member(mini, names[i][0], names[i][1], &b);

		assert_non_null(ta);
		assert_non_null(tb);
		assert_int_equal(a, b);
		assert_int_equal(btf_kind(ta), btf_kind(tb));
	}
	btf__free(mini);
	btf__free(whole);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
