/*
 * kbtf.h - the few kernel types that the owner programs' CO-RE reads name
 * (core/bpf/owners.bpf.c), taken out of the running kernel's BTF.
 *
 * libbpf relocates CO-RE reads against the kernel's whole BTF, which it
 * reads into memory and parses in full (5.5 MB and 126,000 types here:
 * about 14 ms of CPU with the page faults, as much as verifying all the
 * programs). The relocations look up five structs by name. The kernel's
 * BTF mapped (Linux 6.16 and later map /sys/kernel/btf/vmlinux) and
 * parsed once, those structs, with only the members read and at their
 * offsets, make a BTF of a few hundred bytes that libbpf takes instead
 * (bpf_object_open_opts.btf_custom_path): the same relocations, at about
 * a third of the cost.
 */
#ifndef PROCTRAF_KBTF_H
#define PROCTRAF_KBTF_H

#include <stddef.h>

struct btf;

/*
 * The BTF of the structs and members owners.bpf.c reads (KBTF_WANTED),
 * as found in src; types a member refers to are copied as far as CO-RE
 * compares them (integers, arrays, pointers as pointers to void). A
 * member src lacks is left out, as is a struct, so the relocation fails
 * or says "absent" as it would against src itself. NULL (errno set) when
 * a member's type is of a kind not copied (then use src whole).
 */
struct btf *kbtf_extract(const struct btf *src);

/*
 * The kernel's BTF at path (NULL: /sys/kernel/btf/vmlinux), mapped where
 * the kernel allows it, extracted and written to a memory file: its
 * descriptor, and in out a path libbpf can open it by (/proc/self/fd/N).
 * -1 (errno set) when any step fails: then let libbpf read the kernel's
 * BTF itself.
 */
int kbtf_memfd(const char *path, char *out, size_t outlen);

#endif
