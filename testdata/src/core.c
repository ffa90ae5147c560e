/* CO-RE: local type definitions with preserve_access_index, relocated against a target BTF (the kernel's, or core_target.c's). */
#include "common.h"
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *parent;
	char comm[16];
} __attribute__((preserve_access_index));

/* A flavor: the name before ___ is what is looked up in the target. */
struct task_struct___renamed {
	int tgid_renamed;
} __attribute__((preserve_access_index));

struct core_bits {
	unsigned int low : 3;
	unsigned int mid : 9;
	int high : 12;
	unsigned long long wide;
} __attribute__((preserve_access_index));

enum core_state { CORE_ONE = 1, CORE_TWO = 2, CORE_GONE = 3 };

struct core_absent { int nothing; } __attribute__((preserve_access_index));

__u64 out[16];

SEC("kprobe/do_unlinkat")
int core_fields(struct task_struct *task)
{
	out[0] = BPF_CORE_READ(task, pid);
	out[1] = BPF_CORE_READ(task, parent, tgid);
	out[2] = bpf_core_field_exists(task->comm);
	out[3] = bpf_core_field_size(task->comm);
	out[4] = bpf_core_field_exists(((struct task_struct___renamed *)task)->tgid_renamed);
	out[5] = bpf_core_field_offset(task->tgid);
	return 0;
}

SEC("tp_btf/sched_switch")
int core_types(void *ctx)
{
	out[6] = bpf_core_type_exists(struct task_struct);
	out[7] = bpf_core_type_size(struct task_struct);
	out[8] = bpf_core_type_exists(struct core_absent);
	out[9] = bpf_core_type_size(struct task_struct___renamed);
	out[10] = bpf_core_type_id_local(struct task_struct);
	out[11] = bpf_core_type_id_kernel(struct task_struct);
	return 0;
}

SEC("raw_tp/sys_enter")
int core_enums(void *ctx)
{
	out[12] = bpf_core_enum_value_exists(enum core_state, CORE_TWO);
	out[13] = bpf_core_enum_value(enum core_state, CORE_TWO);
	out[14] = bpf_core_enum_value_exists(enum core_state, CORE_GONE);
	return 0;
}

SEC("raw_tp/sys_exit")
int core_bitfields(struct core_bits *bits)
{
	out[15] = BPF_CORE_READ_BITFIELD_PROBED(bits, mid) + BPF_CORE_READ_BITFIELD_PROBED(bits, high) +
		__builtin_preserve_field_info(bits->high, BPF_FIELD_SIGNED);
	return 0;
}
