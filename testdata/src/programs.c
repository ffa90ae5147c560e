/* One small program per section name of libbpf's table: the loader must map each to its program type, attach type and target. */
#include "common.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
__u32 _version SEC("version") = 0x060c00;

SEC("xdp") int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp.frags") int xdp_frags(struct xdp_md *ctx) { return XDP_DROP; }
SEC("xdp/devmap") int xdp_devmap(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tc") int tc_prog(struct __sk_buff *skb) { return 0; }
SEC("classifier") int classifier_prog(struct __sk_buff *skb) { return skb->len > 100; }
SEC("tcx/ingress") int tcx_in(struct __sk_buff *skb) { return 0; }
SEC("tcx/egress") int tcx_out(struct __sk_buff *skb) { return 0; }
SEC("socket") int socket_prog(struct __sk_buff *skb) { return skb->len; }
SEC("kprobe/do_unlinkat") int kprobe_prog(void *ctx) { return 0; }
SEC("kretprobe/do_unlinkat") int kretprobe_prog(void *ctx) { return 0; }
SEC("uprobe//bin/bash:readline") int uprobe_prog(void *ctx) { return 0; }
SEC("uretprobe//bin/bash:readline") int uretprobe_prog(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_enter_openat") int tracepoint_prog(void *ctx) { return 0; }
SEC("tp/sched/sched_switch") int tp_prog(void *ctx) { return 0; }
SEC("raw_tracepoint/sys_enter") int raw_tracepoint_prog(void *ctx) { return 0; }
SEC("raw_tp/sys_exit") int raw_tp_prog(void *ctx) { return 0; }
SEC("tp_btf/sched_switch") int tp_btf_prog(void *ctx) { return 0; }
SEC("fentry/do_unlinkat") int fentry_prog(void *ctx) { return 0; }
SEC("fexit/do_unlinkat") int fexit_prog(void *ctx) { return 0; }
SEC("fmod_ret/security_file_open") int fmod_ret_prog(void *ctx) { return 0; }
SEC("fentry.s/do_unlinkat") int fentry_sleepable(void *ctx) { return 0; }
SEC("perf_event") int perf_event_prog(void *ctx) { return 0; }
SEC("cgroup_skb/ingress") int cgroup_skb_in(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress") int cgroup_skb_out(struct __sk_buff *skb) { return 1; }
SEC("cgroup/connect4") int cgroup_connect4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/sock_create") int cgroup_sock_create(struct bpf_sock *ctx) { return 1; }
SEC("sk_skb/stream_parser") int sk_skb_parser(struct __sk_buff *skb) { return skb->len; }
SEC("sk_skb/stream_verdict") int sk_skb_verdict(struct __sk_buff *skb) { return SK_PASS; }
SEC("sk_msg") int sk_msg_prog(struct sk_msg_md *msg) { return SK_PASS; }
SEC("lsm/file_open") int lsm_prog(void *ctx) { return 0; }
SEC("lsm.s/bprm_committed_creds") int lsm_sleepable(void *ctx) { return 0; }
SEC("syscall") int syscall_prog(void *ctx) { return 0; }
SEC("sk_lookup") int sk_lookup_prog(struct bpf_sk_lookup *ctx) { return SK_PASS; }
SEC("flow_dissector") int flow_dissector_prog(struct __sk_buff *skb) { return 0; }
SEC("sockops") int sockops_prog(struct bpf_sock_ops *ctx) { return 1; }
SEC("iter/task") int iter_prog(void *ctx) { return 0; }
SEC("freplace/handler") int freplace_prog(void *ctx) { return 0; }
SEC("struct_ops/tcp_init") int struct_ops_prog(void *ctx) { return 0; }
SEC("netfilter") int netfilter_prog(void *ctx) { return 1; }
SEC("custom/unknown") int unknown_prog(void *ctx) { return 7; }

/* Two programs in one section. */
SEC("xdp") int xdp_second(struct xdp_md *ctx) { return XDP_TX; }
