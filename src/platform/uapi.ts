/**
 * The uAPI enumerations of include/uapi/linux/bpf.h that name program types,
 * map types and attach types. Each list is in value order: the index is the
 * kernel's number. Use `BPF_PROG_TYPE.XDP` for the number and
 * `progTypeName(6)` for the name (`xdp`, as bpftool prints it).
 */

function enumOf<const N extends readonly string[]>(names: N): { readonly [K in N[number]]: number } {
  const out: Record<string, number> = {};
  names.forEach((n, i) => { out[n] = i; });
  return Object.freeze(out) as { readonly [K in N[number]]: number };
}

const PROG_TYPE_NAMES = [
  'UNSPEC', 'SOCKET_FILTER', 'KPROBE', 'SCHED_CLS', 'SCHED_ACT', 'TRACEPOINT', 'XDP', 'PERF_EVENT',
  'CGROUP_SKB', 'CGROUP_SOCK', 'LWT_IN', 'LWT_OUT', 'LWT_XMIT', 'SOCK_OPS', 'SK_SKB', 'CGROUP_DEVICE',
  'SK_MSG', 'RAW_TRACEPOINT', 'CGROUP_SOCK_ADDR', 'LWT_SEG6LOCAL', 'LIRC_MODE2', 'SK_REUSEPORT',
  'FLOW_DISSECTOR', 'CGROUP_SYSCTL', 'RAW_TRACEPOINT_WRITABLE', 'CGROUP_SOCKOPT', 'TRACING', 'STRUCT_OPS',
  'EXT', 'LSM', 'SK_LOOKUP', 'SYSCALL', 'NETFILTER',
] as const;

const MAP_TYPE_NAMES = [
  'UNSPEC', 'HASH', 'ARRAY', 'PROG_ARRAY', 'PERF_EVENT_ARRAY', 'PERCPU_HASH', 'PERCPU_ARRAY', 'STACK_TRACE',
  'CGROUP_ARRAY', 'LRU_HASH', 'LRU_PERCPU_HASH', 'LPM_TRIE', 'ARRAY_OF_MAPS', 'HASH_OF_MAPS', 'DEVMAP',
  'SOCKMAP', 'CPUMAP', 'XSKMAP', 'SOCKHASH', 'CGROUP_STORAGE', 'REUSEPORT_SOCKARRAY', 'PERCPU_CGROUP_STORAGE',
  'QUEUE', 'STACK', 'SK_STORAGE', 'DEVMAP_HASH', 'STRUCT_OPS', 'RINGBUF', 'INODE_STORAGE', 'TASK_STORAGE',
  'BLOOM_FILTER', 'USER_RINGBUF', 'CGRP_STORAGE', 'ARENA',
] as const;

const ATTACH_TYPE_NAMES = [
  'CGROUP_INET_INGRESS', 'CGROUP_INET_EGRESS', 'CGROUP_INET_SOCK_CREATE', 'CGROUP_SOCK_OPS',
  'SK_SKB_STREAM_PARSER', 'SK_SKB_STREAM_VERDICT', 'CGROUP_DEVICE', 'SK_MSG_VERDICT', 'CGROUP_INET4_BIND',
  'CGROUP_INET6_BIND', 'CGROUP_INET4_CONNECT', 'CGROUP_INET6_CONNECT', 'CGROUP_INET4_POST_BIND',
  'CGROUP_INET6_POST_BIND', 'CGROUP_UDP4_SENDMSG', 'CGROUP_UDP6_SENDMSG', 'LIRC_MODE2', 'FLOW_DISSECTOR',
  'CGROUP_SYSCTL', 'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG', 'CGROUP_GETSOCKOPT', 'CGROUP_SETSOCKOPT',
  'TRACE_RAW_TP', 'TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN', 'LSM_MAC', 'TRACE_ITER',
  'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_INET4_GETSOCKNAME',
  'CGROUP_INET6_GETSOCKNAME', 'XDP_DEVMAP', 'CGROUP_INET_SOCK_RELEASE', 'XDP_CPUMAP', 'SK_LOOKUP', 'XDP',
  'SK_SKB_VERDICT', 'SK_REUSEPORT_SELECT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', 'PERF_EVENT',
  'TRACE_KPROBE_MULTI', 'LSM_CGROUP', 'STRUCT_OPS', 'NETFILTER', 'TCX_INGRESS', 'TCX_EGRESS',
  'TRACE_UPROBE_MULTI', 'CGROUP_UNIX_CONNECT', 'CGROUP_UNIX_SENDMSG', 'CGROUP_UNIX_RECVMSG',
  'CGROUP_UNIX_GETPEERNAME', 'CGROUP_UNIX_GETSOCKNAME', 'NETKIT_PRIMARY', 'NETKIT_PEER',
  'TRACE_KPROBE_SESSION', 'TRACE_UPROBE_SESSION',
] as const;

/** `enum bpf_prog_type`: `BPF_PROG_TYPE.XDP === 6`. */
export const BPF_PROG_TYPE = enumOf(PROG_TYPE_NAMES);
/** `enum bpf_map_type`: `BPF_MAP_TYPE.RINGBUF === 27`. */
export const BPF_MAP_TYPE = enumOf(MAP_TYPE_NAMES);
/** `enum bpf_attach_type`: `BPF_ATTACH_TYPE.XDP === 37`. */
export const BPF_ATTACH_TYPE = enumOf(ATTACH_TYPE_NAMES);

export type ProgTypeName = (typeof PROG_TYPE_NAMES)[number];
export type MapTypeName = (typeof MAP_TYPE_NAMES)[number];
export type AttachTypeName = (typeof ATTACH_TYPE_NAMES)[number];

/** Every enumerator, by value, with the uAPI prefix (`BPF_PROG_TYPE_XDP`): for tests against the kernel's BTF. */
export const UAPI_ENUMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  bpf_prog_type: PROG_TYPE_NAMES.map((n) => `BPF_PROG_TYPE_${n}`),
  bpf_map_type: MAP_TYPE_NAMES.map((n) => `BPF_MAP_TYPE_${n}`),
  bpf_attach_type: ATTACH_TYPE_NAMES.map((n) => `BPF_${n}`),
});

const lower = (names: readonly string[], value: number): string | undefined => names[value]?.toLowerCase();

/** `xdp`, `sched_cls`… (bpftool's spelling), or undefined for an unknown number. */
export const progTypeName = (value: number): string | undefined => lower(PROG_TYPE_NAMES, value);
export const mapTypeName = (value: number): string | undefined => lower(MAP_TYPE_NAMES, value);
export const attachTypeName = (value: number): string | undefined => lower(ATTACH_TYPE_NAMES, value);

/** The number of a program type written as `xdp`, `XDP` or `BPF_PROG_TYPE_XDP`. */
export function progTypeByName(name: string): number | undefined {
  const n = name.toUpperCase().replace(/^BPF_PROG_TYPE_/, '');
  const i = (PROG_TYPE_NAMES as readonly string[]).indexOf(n);
  return i >= 0 ? i : undefined;
}

export function mapTypeByName(name: string): number | undefined {
  const n = name.toUpperCase().replace(/^BPF_MAP_TYPE_/, '');
  const i = (MAP_TYPE_NAMES as readonly string[]).indexOf(n);
  return i >= 0 ? i : undefined;
}

/** prog_flags of BPF_PROG_LOAD. */
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
export const BPF_F_TEST_RND_HI32 = 1 << 2;
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
