/*
 * bpfprobe.h - what this process may load into this kernel: checked
 * before the owner source (ownersrc.h) loads its programs, so that a
 * refusal is told apart from a hook the kernel lacks.
 */
#ifndef PROCTRAF_BPFPROBE_H
#define PROCTRAF_BPFPROBE_H

#include <stdbool.h>

#include <bpf/libbpf.h>

/* Is the capability in our effective set? */
bool bpfprobe_has_cap(int cap);

/* Linux >= major.minor? */
bool bpfprobe_kernel_at_least(int major, int minor);

/*
 * Does the kernel take a program of this type for this hook? 1 yes, 0
 * no, -1 when not even trying is permitted.
 */
int bpfprobe_hook(enum bpf_prog_type type, enum bpf_attach_type attach);

#endif
