/* bpfprobe.c - what this process may load into this kernel; see bpfprobe.h. */
#include "bpfprobe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>

/* Is the capability in our effective set? */
bool bpfprobe_has_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* Linux >= major.minor? */
bool bpfprobe_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

/*
 * Does the kernel take a program of this type for this hook? A program
 * that returns 1 and nothing else, loaded and closed: -1 when not even
 * that is permitted.
 */
int bpfprobe_hook(enum bpf_prog_type type, enum bpf_attach_type attach)
{
	const struct bpf_insn insns[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = 1}, /* r0 = 1 */
		{.code = 0x95},				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	int fd;

	/* As libbpf loads them: only these types are told their hook at load. */
	if (type == BPF_PROG_TYPE_CGROUP_SOCK || type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR ||
	    type == BPF_PROG_TYPE_CGROUP_SOCKOPT)
		o.expected_attach_type = attach;
	fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &o);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EPERM || errno == EACCES ? -1 : 0;
}

