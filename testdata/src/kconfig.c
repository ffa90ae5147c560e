/*
 * .kconfig externs of every kind libbpf fills: the virtual LINUX_* ones (strong), CONFIG_* bools, tristates,
 * chars, ints and strings. The CONFIG_* ones are __weak so that the object loads without a config (all 0).
 */
#include <stdbool.h>
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;
extern bool CONFIG_BPF __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig __weak;
extern char CONFIG_BPF_JIT __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern __u64 CONFIG_NR_CPUS __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[8] __kconfig __weak;
extern int CONFIG_EBPF_TESTDATA_MISSING __kconfig __weak;

/* What the program saw, for the test to read back from .bss. */
struct seen {
	__u32 kernel_version;
	__u32 bpf_syscall;
	__s32 hz;
	__s32 missing;
	__u64 nr_cpus;
	__u8 has_cookie;
	__u8 has_wrapper;
	__u8 bpf;
	char jit;
	char hostname[8];
};

struct seen seen;

SEC("xdp")
int read_kconfig(struct xdp_md *ctx)
{
	seen.kernel_version = LINUX_KERNEL_VERSION;
	seen.bpf_syscall = CONFIG_BPF_SYSCALL;
	seen.hz = CONFIG_HZ;
	seen.missing = CONFIG_EBPF_TESTDATA_MISSING;
	seen.nr_cpus = CONFIG_NR_CPUS;
	seen.has_cookie = LINUX_HAS_BPF_COOKIE;
	seen.has_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	seen.bpf = CONFIG_BPF;
	seen.jit = CONFIG_BPF_JIT;
	__builtin_memcpy(seen.hostname, CONFIG_DEFAULT_HOSTNAME, sizeof(seen.hostname));
	return CONFIG_BPF && CONFIG_BPF_SYSCALL == TRI_YES ? XDP_PASS : XDP_DROP;
}
