/*
 * kbtf.c - the kernel types the owner programs read, as a BTF of their
 * own; see kbtf.h.
 */
#include "kbtf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

/*
 * What core/bpf/owners.bpf.c reads with CO-RE: the structs it declares
 * with preserve_access_index, and their members it names (task_struct___old
 * is task_struct to libbpf; real_start_time is its member before 5.5).
 * A member read there and missing here would fail its relocation, or
 * read "absent" for bpf_core_field_exists: keep the two in step.
 */
#define KBTF_MEMBERS_MAX 6
static const struct wanted {
	const char *name;
	const char *members[KBTF_MEMBERS_MAX];
} wanted[] = {
	{"task_struct",
	 {"flags", "comm", "group_leader", "nsproxy", "start_boottime", "real_start_time"}},
	{"nsproxy", {"net_ns"}},
	{"net", {"ns"}},
	{"ns_common", {"inum"}},
};
#define NWANTED (sizeof(wanted) / sizeof(wanted[0]))
#define ARRAY_DEPTH_MAX 4	/* arrays of arrays copied, at most */
#define KBTF_SIZE_MAX (256L << 20)	/* the kernel's BTF is a few MB: beyond, not mapped */

/* A member to add to a struct of dst: its type, or the wanted struct it is. */
struct member {
	const char *name;
	int type;	/* in dst; 0 with ref >= 0 */
	int ref;	/* index in wanted[] of an embedded struct; -1: none */
	uint32_t bit_offset, bit_size;
};

static int wanted_index(const char *name)
{
	for (size_t i = 0; i < NWANTED; i++)
		if (strcmp(wanted[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* How many members of wanted[w] are asked for (alternatives all counted). */
static size_t wanted_count(size_t w)
{
	size_t n = 0;

	while (n < KBTF_MEMBERS_MAX && wanted[w].members[n])
		n++;
	return n;
}

/* The type of dst that CO-RE takes as src's type id: an id > 0, or -errno. */
static int copy_type(struct btf *dst, const struct btf *src, int id, int *index_id, int depth)
{
	const struct btf_type *t;
	int elem;

	id = btf__resolve_type(src, (uint32_t)id);
	if (id < 0)
		return id;
	t = btf__type_by_id(src, (uint32_t)id);
	if (!t)
		return -EINVAL;
	if (btf_is_int(t)) {
		const char *name = btf__name_by_offset(src, t->name_off);
		return btf__add_int(dst, name && *name ? name : "int", (size_t)t->size,
				    btf_int_encoding(t));
	}
	if (btf_is_ptr(t))
		return btf__add_ptr(dst, 0);
	if (btf_is_array(t) && depth < ARRAY_DEPTH_MAX) {
		const struct btf_array *a = btf_array(t);

		if (*index_id == 0) {
			*index_id = btf__add_int(dst, "int", 4, BTF_INT_SIGNED);
			if (*index_id < 0)
				return *index_id;
		}
		elem = copy_type(dst, src, (int)a->type, index_id, depth + 1);
		if (elem < 0)
			return elem;
		return btf__add_array(dst, *index_id, elem, a->nelems);
	}
	return -EOPNOTSUPP;
}

struct btf *kbtf_extract(const struct btf *src)
{
	struct member m[NWANTED][KBTF_MEMBERS_MAX];
	size_t nm[NWANTED] = {0};
	bool anon[NWANTED] = {false};
	int sid[NWANTED], dst_id[NWANTED];
	int index_id = 0, next, e = 0;
	struct btf *dst = btf__new_empty();

	if (!dst)
		return NULL;
	/* First every member's type: fields must follow their struct at once. */
	for (size_t w = 0; w < NWANTED && !e; w++) {
		const struct btf_type *t;
		const struct btf_member *mem;

		sid[w] = btf__find_by_name_kind(src, wanted[w].name, BTF_KIND_STRUCT);
		if (sid[w] <= 0)
			continue;
		t = btf__type_by_id(src, (uint32_t)sid[w]);
		mem = btf_members(t);
		for (uint16_t i = 0; i < btf_vlen(t) && !e; i++) {
			const char *name = btf__name_by_offset(src, mem[i].name_off);
			const struct btf_type *mt;
			struct member *o;
			int rid;
			bool want = false;

			/*
			 * CO-RE finds a member inside an unnamed struct or union
			 * too; this copy does not look there, so a struct that
			 * has one and lacks a member wanted is src's to answer.
			 */
			if (!name || !*name) {
				anon[w] = true;
				continue;
			}
			for (size_t k = 0; k < KBTF_MEMBERS_MAX && wanted[w].members[k]; k++)
				want |= strcmp(name, wanted[w].members[k]) == 0;
			if (!want || nm[w] == KBTF_MEMBERS_MAX)
				continue;
			o = &m[w][nm[w]++];
			o->name = name;
			o->bit_offset = btf_member_bit_offset(t, i);
			o->bit_size = btf_member_bitfield_size(t, i);
			o->ref = -1;
			o->type = 0;
			rid = btf__resolve_type(src, mem[i].type);
			mt = rid > 0 ? btf__type_by_id(src, (uint32_t)rid) : NULL;
			if (mt && btf_is_composite(mt)) {
				o->ref = wanted_index(btf__name_by_offset(src, mt->name_off));
				if (o->ref < 0 || !btf_is_struct(mt))
					e = -EOPNOTSUPP;
				continue;
			}
			o->type = copy_type(dst, src, (int)mem[i].type, &index_id, 0);
			if (o->type < 0)
				e = o->type;
		}
		if (anon[w] && nm[w] < wanted_count(w))
			e = -EOPNOTSUPP;
	}
	/* The structs then, one after the other: their ids are known ahead. */
	next = (int)btf__type_cnt(dst);
	for (size_t w = 0; w < NWANTED; w++)
		dst_id[w] = sid[w] > 0 ? next++ : -1;
	for (size_t w = 0; w < NWANTED && !e; w++) {
		const struct btf_type *t;
		int id;

		if (sid[w] <= 0)
			continue;
		t = btf__type_by_id(src, (uint32_t)sid[w]);
		id = btf__add_struct(dst, wanted[w].name, t->size);
		if (id != dst_id[w]) {
			e = id < 0 ? id : -EINVAL;
			break;
		}
		for (size_t i = 0; i < nm[w] && !e; i++) {
			int type = m[w][i].ref >= 0 ? dst_id[m[w][i].ref] : m[w][i].type;

			if (type < 0)
				e = -EOPNOTSUPP;	/* an embedded struct src lacks */
			else
				e = btf__add_field(dst, m[w][i].name, type, m[w][i].bit_offset,
						   m[w][i].bit_size);
		}
	}
	if (e) {
		btf__free(dst);
		errno = -e;
		return NULL;
	}
	return dst;
}

/* The kernel's BTF, mapped, else read: parsed by libbpf; NULL with errno. */
static struct btf *kernel_btf(const char *path)
{
	struct btf *b = NULL;
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return NULL;
	/* A size the kernel gives, checked before it sizes a mapping. */
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > KBTF_SIZE_MAX) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return NULL;
	}
	b = btf__new(p, (uint32_t)st.st_size);	/* a copy */
	e = errno;
	munmap(p, (size_t)st.st_size);
	errno = e;
	return b;
}

int kbtf_memfd(const char *path, char *out, size_t outlen)
{
	struct btf *k = kernel_btf(path ? path : "/sys/kernel/btf/vmlinux"), *mini;
	const void *raw;
	uint32_t size = 0;
	size_t done = 0;
	int fd, e;

	if (!k)
		return -1;
	mini = kbtf_extract(k);
	e = errno;
	btf__free(k);
	if (!mini) {
		errno = e;
		return -1;
	}
	raw = btf__raw_data(mini, &size);
	fd = raw ? memfd_create("proctraf-btf", MFD_CLOEXEC) : -1;
	while (fd >= 0 && done < size) {
		ssize_t n = write(fd, (const char *)raw + done, size - done);
		if (n <= 0) {
			close(fd);
			fd = -1;
		} else {
			done += (size_t)n;
		}
	}
	e = errno;
	btf__free(mini);
	if (fd >= 0 && ((size_t)snprintf(out, outlen, "/proc/self/fd/%d", fd) >= outlen ||
			access(out, R_OK) != 0)) {
		e = errno ? errno : ENAMETOOLONG;
		close(fd);
		fd = -1;
	}
	errno = e;
	return fd;
}
