/**
 * Program types as data: the context, the helpers `get_func_proto` offers,
 * the return values the verifier enforces (check_return_code) and what they
 * mean, packet access, and what BPF_PROG_TEST_RUN takes — one description for
 * the verifier, the runtime and the kernel backend.
 *
 * The helper sets are built the way the kernel builds them: a base set
 * (bpf_base_func_proto) under the socket set (bpf_sk_base_func_proto) or the
 * tracing set (bpf_tracing_func_proto), under each type's own cases, which
 * win over the sets below them. The facts are Linux 6.18's for a program
 * loaded with CAP_SYS_ADMIN and a GPL license, and were checked against it
 * (test/platform); `config` and `lockdown` say when a kernel withholds a
 * helper, `capability` what an unprivileged loader lacks.
 *
 * Two parts could not be confirmed on the kernel the tests ran on, which
 * refuses programs that run from a BPF trampoline (EPERM before verifying):
 * the LSM type (its helpers and return range follow bpf_lsm_func_proto and
 * check_return_code) and TRACING's fentry/fexit/fmod_ret attach types; TRACING
 * is checked through tp_btf and iterators, which share its get_func_proto.
 */
import { EbpfError } from '../internal/errors.js';
import {
  CGROUP_SKB_CTX, CGROUP_SOCK_CTX, FLOW_DISSECTOR_CTX, NETFILTER_CTX, SK_LOOKUP_CTX, SOCK_OPS_CTX, KPROBE_CTX, MAX_BPF_FUNC_ARGS, PERF_EVENT_CTX, RAW_TRACEPOINT_CTX, SK_MSG_CTX, SK_SKB_CTX,
  SOCK_ADDR_CTX, SOCKET_FILTER_CTX, SYSCALL_CTX, TC_CTX, TRACEPOINT_CTX, XDP_CTX, btfFuncContext, ctxAccess,
  type ContextSpec, type CtxAccessResult, type CtxAccessType,
} from './contexts.js';
import { helperIdByName } from './helper-ids.js';
import { HELPER_PROTOS, type BpfFuncProto } from './helper-protos.js';
import { BPF_PROG_TYPE, progTypeByName, type AttachTypeName, type MapTypeName, type ProgTypeName } from './uapi.js';

/** Why a kernel may not offer a helper that a type's get_func_proto names. */
export interface HelperCondition {
  /** Offered only when the loader holds this capability (root holds them all). */
  capability?: 'CAP_BPF' | 'CAP_PERFMON' | 'CAP_SYS_ADMIN';
  /** Offered only when the kernel is built with this option. */
  config?: string;
  /** Withheld when the kernel is locked down at this level or a stricter one (security_locked_down). */
  lockdown?: 'integrity' | 'confidentiality';
  /** Offered only to programs loaded with one of these expected attach types. */
  attachTypes?: readonly AttachTypeName[];
}

export interface HelperEntry extends HelperCondition {
  id: number;
  /** The prototype the type gets for this id: a key of HELPER_PROTOS. */
  proto: string;
}

export interface RetvalRule {
  /** The rule applies to these expected attach types; a rule without them applies to all others. */
  attachTypes?: readonly AttachTypeName[];
  /** The inclusive range R0 must be in at exit; null when the verifier accepts any scalar. */
  range: readonly [number, number] | null;
}

export interface Verdict {
  name: string;
  value: number;
  meaning: string;
}

export interface TestRunSpec {
  /** data_in: the packet (or the input the type runs on); false when the kernel refuses data. */
  data: boolean;
  /** The context struct taken from ctx_in, when the type takes one. */
  ctx?: {
    /** The struct ctx_in holds, when it is not the program's context. */
    struct?: string;
    /** Fields the kernel takes from ctx_in; every other byte must be zero. */
    in: readonly string[];
    /** Fields the kernel writes to ctx_out (the rest of ctx_out echoes ctx_in, or stays zero for __sk_buff). */
    out: readonly string[];
    /** Further rules on ctx_in. */
    rules?: string;
  };
}

export interface ProgramTypeSpec {
  /** The uAPI name without prefix (`XDP`): BPF_PROG_TYPE_XDP. */
  name: ProgTypeName;
  /** enum bpf_prog_type value. */
  type: number;
  ctx: ContextSpec;
  helpers: readonly HelperEntry[];
  /** In order: the first rule whose attach types include the program's wins. */
  retval: readonly RetvalRule[];
  /** What the return value means to the kernel. */
  verdicts: readonly Verdict[];
  /** Direct packet access through the context's packet pointers (may_access_direct_pkt_data). */
  packetAccess: 'none' | 'read' | 'read-write';
  /** BPF_LD_ABS / BPF_LD_IND (may_access_skb). */
  ldAbs: boolean;
  /** Expected attach types the type can be loaded with. */
  attachTypes: readonly AttachTypeName[];
  /** The attach type that expected_attach_type 0 stands for, when the type has one. */
  defaultAttachType?: AttachTypeName;
  /** BPF_PROG_LOAD rejects the type without one of `attachTypes`. */
  attachTypeRequired: boolean;
  /** prog_flags the type needs (`BPF_F_SLEEPABLE` for syscall programs). */
  loadFlags: number;
  /** Loading needs an attach target (attach_btf_id): a kernel function or hook. */
  attachBtf: boolean;
  /** BPF_PROG_TEST_RUN, or null when the kernel cannot run the type (ENOTSUPP). */
  testRun: TestRunSpec | null;
  /** check_map_prog_compatibility: may the type use maps whose values hold these? */
  mapUse: { spinLock: boolean; timer: boolean };
}

/** The map types a sleepable program may use (check_map_prog_compatibility). */
export const SLEEPABLE_MAP_TYPES: readonly MapTypeName[] = Object.freeze([
  'HASH', 'LRU_HASH', 'ARRAY', 'PERCPU_HASH', 'PERCPU_ARRAY', 'LRU_PERCPU_HASH', 'ARRAY_OF_MAPS', 'HASH_OF_MAPS', 'RINGBUF',
  'USER_RINGBUF', 'INODE_STORAGE', 'SK_STORAGE', 'TASK_STORAGE', 'CGRP_STORAGE', 'QUEUE', 'STACK', 'ARENA',
]);

type Fp = ReadonlyMap<number, Omit<HelperEntry, 'id'>>;

/** One get_func_proto case: `helper` (without `bpf_`) answered with prototype `proto`. */
function fp(helper: string, cond: HelperCondition & { proto?: string } = {}): [number, Omit<HelperEntry, 'id'>] {
  const id = helperIdByName(helper);
  const entry = { ...cond, proto: cond.proto ?? `bpf_${helper}` };
  if (id === undefined || HELPER_PROTOS[entry.proto]?.id !== id) {
    throw new EbpfError('EPLATFORM', `program types: no prototype ${entry.proto} for helper ${helper}`);
  }
  return [id, entry];
}

const cases = (names: readonly string[], cond: HelperCondition = {}) => names.map((n) => fp(n, cond));

/** A type's switch over `fallback`: its own cases win, the rest fall through. */
function over(fallback: Fp, own: readonly [number, Omit<HelperEntry, 'id'>][]): Fp {
  const out = new Map(fallback);
  for (const [id, e] of own) out.set(id, e);
  return out;
}

/** bpf_base_func_proto: unprivileged, then CAP_BPF, then CAP_PERFMON helpers. */
const BASE: Fp = new Map([
  ...cases([
    'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
    'map_lookup_percpu_elem', 'get_prandom_u32', 'get_smp_processor_id', 'get_numa_node_id', 'tail_call', 'ktime_get_ns',
    'ktime_get_boot_ns', 'ktime_get_tai_ns', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit', 'ringbuf_discard',
    'ringbuf_query', 'strncmp', 'strtol', 'strtoul', 'get_current_pid_tgid', 'get_ns_current_pid_tgid',
  ]),
  ...cases([
    'spin_lock', 'spin_unlock', 'jiffies64', 'per_cpu_ptr', 'this_cpu_ptr', 'timer_init', 'timer_set_callback', 'timer_start',
    'timer_cancel', 'kptr_xchg', 'for_each_map_elem', 'loop', 'user_ringbuf_drain', 'ringbuf_reserve_dynptr',
    'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_from_mem', 'dynptr_read', 'dynptr_write', 'dynptr_data',
  ], { capability: 'CAP_BPF' }),
  ...cases(['cgrp_storage_get', 'cgrp_storage_delete', 'get_current_cgroup_id', 'get_current_ancestor_cgroup_id'], { capability: 'CAP_BPF', config: 'CONFIG_CGROUPS' }),
  ...cases([
    'trace_printk', 'get_current_task', 'get_current_task_btf', 'probe_read_user', 'probe_read_user_str', 'snprintf_btf',
    'snprintf', 'task_pt_regs', 'trace_vprintk', 'get_current_uid_gid', 'get_current_comm', 'perf_event_read',
    'current_task_under_cgroup', 'perf_event_read_value', 'send_signal', 'send_signal_thread', 'get_task_stack',
    'copy_from_user', 'copy_from_user_task', 'task_storage_get', 'task_storage_delete', 'get_branch_snapshot', 'find_vma',
  ], { capability: 'CAP_PERFMON' }),
  ...cases(['probe_read_kernel', 'probe_read_kernel_str'], { capability: 'CAP_PERFMON', lockdown: 'confidentiality' }),
  fp('get_cgroup_classid', { proto: 'bpf_get_cgroup_classid_curr', capability: 'CAP_PERFMON', config: 'CONFIG_CGROUP_NET_CLASSID' }),
]);

/** bpf_sk_base_func_proto: the socket casts and the coarse clock over the base set. */
const SK_BASE = over(BASE, [
  ...cases(['skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock'], { capability: 'CAP_PERFMON' }),
  fp('ktime_get_coarse_ns'),
]);

/** bpf_tracing_func_proto: kernel reads and user writes over the base set. */
const TRACING_BASE = over(BASE, [
  fp('probe_read', { proto: 'bpf_probe_read_compat', lockdown: 'confidentiality', config: 'CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE' }),
  fp('probe_read_str', { proto: 'bpf_probe_read_compat_str', lockdown: 'confidentiality', config: 'CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE' }),
  fp('get_func_ip', { proto: 'bpf_get_func_ip_tracing' }),
  fp('probe_write_user', { lockdown: 'integrity', capability: 'CAP_SYS_ADMIN' }),
]);

const TRACE_EVENTS = cases(['perf_event_output', 'get_stackid', 'get_stack', 'get_attach_cookie']);

const KPROBE_FP = over(TRACING_BASE, [
  ...TRACE_EVENTS,
  fp('get_func_ip', { proto: 'bpf_get_func_ip_kprobe' }),
  fp('override_return', { config: 'CONFIG_BPF_KPROBE_OVERRIDE' }),
]);
const TRACEPOINT_FP = over(TRACING_BASE, TRACE_EVENTS);
const PERF_EVENT_FP = over(TRACING_BASE, [...TRACE_EVENTS, ...cases(['perf_prog_read_value', 'read_branch_records'])]);
const RAW_TRACEPOINT_FP = over(TRACING_BASE, TRACE_EVENTS);

/** The attach types whose programs run from a BPF trampoline (bpf_prog_has_trampoline). */
const TRAMPOLINE: readonly AttachTypeName[] = ['TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN'];

/**
 * tracing_prog_func_proto: the raw tracepoint set with the socket casts and
 * BTF-pointer variants; `own` are the attach-type dependent cases of the
 * caller (no attach cookie unless a case offers it).
 */
function tracingProg(own: readonly [number, Omit<HelperEntry, 'id'>][]): Fp {
  const withoutCookie = new Map(RAW_TRACEPOINT_FP);
  withoutCookie.delete(helperIdByName('get_attach_cookie')!);
  return over(withoutCookie, [
    ...cases(['skb_output', 'xdp_output', 'sock_from_file', 'd_path']),
    ...cases(['skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock']),
    fp('sk_storage_get', { proto: 'bpf_sk_storage_get_tracing' }),
    fp('sk_storage_delete', { proto: 'bpf_sk_storage_delete_tracing' }),
    fp('get_socket_cookie', { proto: 'bpf_get_socket_ptr_cookie' }),
    fp('xdp_get_buff_len', { proto: 'bpf_xdp_get_buff_len_trace' }),
    ...own,
  ]);
}

const SYSCALL_FP = over(tracingProg([]), [
  fp('sys_bpf', { capability: 'CAP_PERFMON' }),
  ...cases(['btf_find_by_name_kind', 'sys_close', 'kallsyms_lookup_name']),
]);

const TRACING_FP = tracingProg([
  ...cases(['get_func_arg', 'get_func_ret', 'get_func_arg_cnt'], { attachTypes: TRAMPOLINE }),
  fp('get_attach_cookie', { attachTypes: ['TRACE_RAW_TP', ...TRAMPOLINE] }),
  ...cases(['seq_printf', 'seq_write', 'seq_printf_btf'], { attachTypes: ['TRACE_ITER'] }),
]);

/** bpf_lsm_func_proto for BPF_LSM_MAC programs that do not sleep. */
const LSM_FP = over(tracingProg([
  ...cases(['get_func_arg', 'get_func_ret', 'get_func_arg_cnt', 'get_attach_cookie'], { attachTypes: ['LSM_MAC'] }),
]), [
  ...cases(['inode_storage_get', 'inode_storage_delete', 'sk_storage_get', 'sk_storage_delete', 'bprm_opts_set']),
]);

const SKB_EVENTS = [fp('perf_event_output')];

/** sk_filter_func_proto. */
const SOCKET_FILTER_FP = over(SK_BASE, [
  ...cases(['skb_load_bytes', 'skb_load_bytes_relative', 'get_socket_cookie', 'get_socket_uid', 'get_netns_cookie']),
  ...SKB_EVENTS,
]);

/** tc_cls_act_func_proto. */
const TC_FP = over(SK_BASE, [
  ...cases([
    'skb_store_bytes', 'skb_load_bytes', 'skb_load_bytes_relative', 'skb_pull_data', 'csum_diff', 'csum_update', 'csum_level',
    'l3_csum_replace', 'l4_csum_replace', 'clone_redirect', 'skb_vlan_push', 'skb_vlan_pop', 'skb_change_proto',
    'skb_change_type', 'skb_adjust_room', 'skb_change_tail', 'skb_change_head', 'skb_get_tunnel_key', 'skb_set_tunnel_key',
    'skb_get_tunnel_opt', 'skb_set_tunnel_opt', 'redirect', 'redirect_neigh', 'redirect_peer', 'get_route_realm',
    'get_hash_recalc', 'set_hash_invalid', 'set_hash', 'perf_event_output', 'skb_under_cgroup', 'get_socket_cookie',
    'get_socket_uid', 'fib_lookup', 'check_mtu', 'sk_fullsock', 'sk_storage_get', 'sk_storage_delete', 'get_netns_cookie',
    'skb_set_tstamp',
  ]),
  fp('get_cgroup_classid', { config: 'CONFIG_CGROUP_NET_CLASSID' }),
  fp('skb_cgroup_classid', { config: 'CONFIG_CGROUP_NET_CLASSID' }),
  fp('skb_get_xfrm_state', { config: 'CONFIG_XFRM' }),
  ...cases(['skb_cgroup_id', 'skb_ancestor_cgroup_id'], { config: 'CONFIG_SOCK_CGROUP_DATA' }),
  ...cases([
    'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'tcp_sock', 'get_listener_sock', 'skc_lookup_tcp', 'tcp_check_syncookie',
    'skb_ecn_set_ce', 'tcp_gen_syncookie', 'sk_assign', 'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6',
    'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6',
  ], { config: 'CONFIG_INET' }),
]);

/** xdp_func_proto. */
const XDP_FP = over(SK_BASE, [
  ...cases([
    'perf_event_output', 'csum_diff', 'xdp_adjust_head', 'xdp_adjust_meta', 'redirect', 'redirect_map', 'xdp_adjust_tail',
    'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'fib_lookup', 'check_mtu',
  ]),
  ...cases([
    'sk_lookup_udp', 'sk_lookup_tcp', 'sk_release', 'skc_lookup_tcp', 'tcp_check_syncookie', 'tcp_gen_syncookie',
    'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6',
  ], { config: 'CONFIG_INET' }),
]);

/** The attach types of cgroup hooks whose return value is the syscall's, where get_retval/set_retval make no sense. */
const NO_RETVAL_CGROUP: readonly AttachTypeName[] = [
  'CGROUP_INET_INGRESS', 'CGROUP_INET_EGRESS', 'CGROUP_SOCK_OPS', 'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG',
  'CGROUP_UNIX_RECVMSG', 'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_UNIX_GETPEERNAME',
  'CGROUP_INET4_GETSOCKNAME', 'CGROUP_INET6_GETSOCKNAME', 'CGROUP_UNIX_GETSOCKNAME',
];

/** cgroup_common_func_proto for a type loaded with one of `attachTypes`. */
function cgroupCommon(attachTypes: readonly AttachTypeName[]) {
  const withRetval = attachTypes.filter((t) => !NO_RETVAL_CGROUP.includes(t));
  return [
    fp('get_local_storage'),
    ...(withRetval.length ? cases(['get_retval', 'set_retval'], { attachTypes: withRetval }) : []),
  ];
}

const CGROUP_SKB_ATTACH: readonly AttachTypeName[] = ['CGROUP_INET_INGRESS', 'CGROUP_INET_EGRESS'];

/** cg_skb_func_proto. */
const CGROUP_SKB_FP = over(SOCKET_FILTER_FP, [
  ...cgroupCommon(CGROUP_SKB_ATTACH),
  ...cases(['sk_fullsock', 'sk_storage_get', 'sk_storage_delete']),
  ...cases(['skb_cgroup_id', 'skb_ancestor_cgroup_id', 'sk_cgroup_id', 'sk_ancestor_cgroup_id'], { config: 'CONFIG_SOCK_CGROUP_DATA' }),
  ...cases(['sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'skc_lookup_tcp', 'tcp_sock', 'get_listener_sock', 'skb_ecn_set_ce'], { config: 'CONFIG_INET' }),
]);

/** sk_skb_func_proto. */
const SK_SKB_FP = over(SK_BASE, [
  ...cases([
    'skb_store_bytes', 'skb_load_bytes', 'skb_pull_data', 'skb_change_tail', 'skb_change_head', 'skb_adjust_room',
    'get_socket_cookie', 'get_socket_uid', 'sk_redirect_map', 'sk_redirect_hash', 'perf_event_output',
  ]),
  ...cases(['sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'skc_lookup_tcp'], { config: 'CONFIG_INET' }),
]);

/** sk_msg_func_proto. */
const SK_MSG_FP = over(SK_BASE, [
  ...cases([
    'msg_redirect_map', 'msg_redirect_hash', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'msg_push_data',
    'msg_pop_data', 'perf_event_output', 'sk_storage_get', 'sk_storage_delete',
  ]),
  fp('get_netns_cookie', { proto: 'bpf_get_netns_cookie_sk_msg' }),
]);

const SOCK_ADDR_ATTACH: readonly AttachTypeName[] = [
  'CGROUP_INET4_BIND', 'CGROUP_INET6_BIND', 'CGROUP_INET4_CONNECT', 'CGROUP_INET6_CONNECT', 'CGROUP_UNIX_CONNECT',
  'CGROUP_UDP4_SENDMSG', 'CGROUP_UDP6_SENDMSG', 'CGROUP_UNIX_SENDMSG', 'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG',
  'CGROUP_UNIX_RECVMSG', 'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_UNIX_GETPEERNAME',
  'CGROUP_INET4_GETSOCKNAME', 'CGROUP_INET6_GETSOCKNAME', 'CGROUP_UNIX_GETSOCKNAME',
];

/** sock_addr_func_proto. */
const SOCK_ADDR_FP = over(SK_BASE, [
  ...cgroupCommon(SOCK_ADDR_ATTACH),
  fp('bind', { attachTypes: ['CGROUP_INET4_CONNECT', 'CGROUP_INET6_CONNECT'] }),
  ...cases(['get_socket_cookie', 'perf_event_output', 'sk_storage_delete']),
  fp('setsockopt', { proto: 'bpf_sock_addr_setsockopt' }),
  fp('getsockopt', { proto: 'bpf_sock_addr_getsockopt' }),
  fp('get_netns_cookie', { proto: 'bpf_get_netns_cookie_sock_addr' }),
  fp('sk_storage_get'),
  ...cases(['sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'skc_lookup_tcp'], { config: 'CONFIG_INET' }),
]);

const CGROUP_SOCK_ATTACH: readonly AttachTypeName[] = [
  'CGROUP_INET_SOCK_CREATE', 'CGROUP_INET_SOCK_RELEASE', 'CGROUP_INET4_POST_BIND', 'CGROUP_INET6_POST_BIND',
];

/** sock_filter_func_proto: the cgroup helpers and the socket's own over the base set. */
const CGROUP_SOCK_FP = over(BASE, [
  ...cgroupCommon(CGROUP_SOCK_ATTACH),
  fp('get_socket_cookie'),
  fp('get_netns_cookie', { proto: 'bpf_get_netns_cookie_sock' }),
  fp('perf_event_output'),
  fp('sk_storage_get', { proto: 'bpf_sk_storage_get_cg_sock' }),
  fp('ktime_get_coarse_ns'),
]);

/** sk_lookup_func_proto. */
const SK_LOOKUP_FP = over(SK_BASE, [
  fp('perf_event_output'),
  fp('sk_assign', { proto: 'bpf_sk_lookup_assign' }),
  // The type itself exists only in kernels built with CONFIG_INET.
  fp('sk_release', { config: 'CONFIG_INET' }),
]);

/** sock_ops_func_proto. */
const SOCK_OPS_FP = over(SK_BASE, [
  ...cgroupCommon(['CGROUP_SOCK_OPS']),
  fp('setsockopt', { proto: 'bpf_sock_ops_setsockopt' }),
  fp('getsockopt', { proto: 'bpf_sock_ops_getsockopt' }),
  ...cases(['sock_ops_cb_flags_set', 'sock_map_update', 'sock_hash_update', 'perf_event_output', 'sk_storage_get', 'sk_storage_delete']),
  fp('get_socket_cookie'),
  fp('get_netns_cookie', { proto: 'bpf_get_netns_cookie_sock_ops' }),
  fp('load_hdr_opt', { proto: 'bpf_sock_ops_load_hdr_opt', config: 'CONFIG_INET' }),
  fp('store_hdr_opt', { proto: 'bpf_sock_ops_store_hdr_opt', config: 'CONFIG_INET' }),
  fp('reserve_hdr_opt', { proto: 'bpf_sock_ops_reserve_hdr_opt', config: 'CONFIG_INET' }),
  fp('tcp_sock', { config: 'CONFIG_INET' }),
]);

/** bpf_nf_func_proto: the base set. */
const NETFILTER_FP = BASE;

/** flow_dissector_func_proto. */
const FLOW_DISSECTOR_FP = over(SK_BASE, [fp('skb_load_bytes')]);

function entries(set: Fp): readonly HelperEntry[] {
  return Object.freeze([...set].sort(([a], [b]) => a - b).map(([id, e]) => Object.freeze({ id, ...e })));
}

const ANY_VALUE: readonly RetvalRule[] = [{ range: null }];
const IGNORED: readonly Verdict[] = [{ name: 'ignored', value: 0, meaning: 'the kernel does not use the return value' }];
const SK_VERDICTS: readonly Verdict[] = [
  { name: 'SK_DROP', value: 0, meaning: 'drop' },
  { name: 'SK_PASS', value: 1, meaning: 'pass (or redirect, when a redirect helper chose a target)' },
];
const TC_VERDICTS: readonly Verdict[] = [
  { name: 'TC_ACT_UNSPEC', value: -1, meaning: 'the qdisc\'s default action' },
  { name: 'TC_ACT_OK', value: 0, meaning: 'pass the packet on' },
  { name: 'TC_ACT_RECLASSIFY', value: 1, meaning: 'restart classification' },
  { name: 'TC_ACT_SHOT', value: 2, meaning: 'drop' },
  { name: 'TC_ACT_PIPE', value: 3, meaning: 'go on to the next action' },
  { name: 'TC_ACT_STOLEN', value: 4, meaning: 'consumed: the packet is not passed on' },
  { name: 'TC_ACT_QUEUED', value: 5, meaning: 'consumed: queued' },
  { name: 'TC_ACT_REPEAT', value: 6, meaning: 'run the action again' },
  { name: 'TC_ACT_REDIRECT', value: 7, meaning: 'redirect to the device chosen by bpf_redirect*' },
  { name: 'TC_ACT_TRAP', value: 8, meaning: 'to the CPU (switchdev offload)' },
];

const SKB_TEST_RUN: TestRunSpec = {
  data: true,
  ctx: {
    in: ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'],
    out: ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'],
    rules: 'ifindex above 1 must name a device (ENODEV); wire_len 0 or at least the data length; gso_segs at most GSO_MAX_SEGS',
  },
};

/** bpf_prog_test_run_sk_lookup: the lookup's addresses and ports from ctx_in (a struct bpf_sk_lookup). */
const SK_LOOKUP_TEST_RUN: TestRunSpec = {
  data: false,
  ctx: {
    in: ['family', 'protocol', 'remote_ip4', 'remote_ip6', 'remote_port', 'local_ip4', 'local_ip6', 'local_port'],
    out: ['sk'],
    rules: 'ctx_in is required; family and protocol choose the lookup; repeat is allowed; no data',
  },
};

/** bpf_prog_test_run_nf: the packet in data_in, the hook as struct nf_hook_state fields in ctx_in. */
const NETFILTER_TEST_RUN: TestRunSpec = {
  data: true,
  ctx: { struct: 'nf_hook_state', in: ['hook', 'pf'], out: [], rules: 'ctx_in may set only hook and pf; data_in is an IPv4 or IPv6 packet' },
};

interface TypeDef extends Omit<ProgramTypeSpec, 'type' | 'helpers' | 'attachTypes' | 'attachTypeRequired' | 'loadFlags' | 'attachBtf' | 'ldAbs' | 'mapUse'> {
  fp: Fp;
  attachTypes?: readonly AttachTypeName[];
  attachTypeRequired?: boolean;
  loadFlags?: number;
  attachBtf?: boolean;
  ldAbs?: boolean;
}

/** BPF_F_SLEEPABLE. */
const SLEEPABLE = 1 << 4;

/** is_tracing_prog_type: the types that may run in any context, even NMI. */
const TRACING_TYPES: readonly ProgTypeName[] = ['KPROBE', 'TRACEPOINT', 'PERF_EVENT', 'RAW_TRACEPOINT', 'RAW_TRACEPOINT_WRITABLE'];

const DEFS: readonly TypeDef[] = [
  {
    name: 'SOCKET_FILTER', ctx: SOCKET_FILTER_CTX, fp: SOCKET_FILTER_FP, retval: ANY_VALUE, ldAbs: true,
    verdicts: [{ name: 'bytes', value: 0, meaning: 'the number of bytes of the packet to keep; 0 drops it' }],
    packetAccess: 'none', testRun: SKB_TEST_RUN,
  },
  {
    name: 'KPROBE', ctx: KPROBE_CTX, fp: KPROBE_FP,
    retval: [{ attachTypes: ['TRACE_KPROBE_SESSION', 'TRACE_UPROBE_SESSION'], range: [0, 1] }, { range: null }],
    verdicts: [
      { name: 'ignored', value: 0, meaning: 'the kernel does not use the return value (but see kprobe sessions)' },
      { name: 'session skip', value: 1, meaning: 'kprobe/uprobe session: do not run the return probe' },
    ],
    packetAccess: 'none', testRun: null,
    attachTypes: ['TRACE_KPROBE_MULTI', 'TRACE_KPROBE_SESSION', 'TRACE_UPROBE_MULTI', 'TRACE_UPROBE_SESSION'],
  },
  {
    name: 'SCHED_CLS', ctx: TC_CTX, fp: TC_FP, retval: ANY_VALUE, verdicts: TC_VERDICTS, ldAbs: true,
    packetAccess: 'read-write', testRun: SKB_TEST_RUN, attachTypes: ['TCX_INGRESS', 'TCX_EGRESS', 'NETKIT_PRIMARY', 'NETKIT_PEER'],
  },
  { name: 'SCHED_ACT', ctx: TC_CTX, fp: TC_FP, retval: ANY_VALUE, verdicts: TC_VERDICTS, ldAbs: true, packetAccess: 'read-write', testRun: SKB_TEST_RUN },
  { name: 'TRACEPOINT', ctx: TRACEPOINT_CTX, fp: TRACEPOINT_FP, retval: ANY_VALUE, verdicts: IGNORED, packetAccess: 'none', testRun: null },
  {
    name: 'XDP', ctx: XDP_CTX, fp: XDP_FP, retval: ANY_VALUE,
    verdicts: [
      { name: 'XDP_ABORTED', value: 0, meaning: 'drop and raise the xdp_exception tracepoint' },
      { name: 'XDP_DROP', value: 1, meaning: 'drop' },
      { name: 'XDP_PASS', value: 2, meaning: 'pass to the network stack' },
      { name: 'XDP_TX', value: 3, meaning: 'send back out of the receiving device' },
      { name: 'XDP_REDIRECT', value: 4, meaning: 'send to the target chosen by bpf_redirect or bpf_redirect_map' },
    ],
    packetAccess: 'read-write', attachTypes: ['XDP', 'XDP_DEVMAP', 'XDP_CPUMAP'],
    testRun: {
      data: true,
      ctx: {
        in: ['data', 'data_end', 'ingress_ifindex', 'rx_queue_index'],
        out: ['data', 'data_end'],
        rules: 'data_in is `data` bytes of metadata (a multiple of 4, at most 216, so that the 256 bytes of headroom keep a struct xdp_frame) and then the packet, at least an Ethernet header; data <= data_end <= the data length, data_end ending the linear part (the rest goes into fragments); data_meta and egress_ifindex must be 0; rx_queue_index needs ingress_ifindex. ctx_out counts data and data_end from data_meta',
      },
    },
  },
  {
    name: 'PERF_EVENT', ctx: PERF_EVENT_CTX, fp: PERF_EVENT_FP, retval: ANY_VALUE, verdicts: IGNORED, packetAccess: 'none',
    testRun: null, attachTypes: ['PERF_EVENT'],
  },
  {
    name: 'CGROUP_SKB', ctx: CGROUP_SKB_CTX, fp: CGROUP_SKB_FP,
    retval: [{ attachTypes: ['CGROUP_INET_EGRESS'], range: [0, 3] }, { range: [0, 1] }],
    verdicts: [
      { name: 'drop', value: 0, meaning: 'drop the packet (EPERM to a sender)' },
      { name: 'allow', value: 1, meaning: 'let the packet through' },
      { name: 'drop, cn', value: 2, meaning: 'egress: drop and signal congestion' },
      { name: 'allow, cn', value: 3, meaning: 'egress: let through and signal congestion' },
    ],
    packetAccess: 'read', attachTypes: CGROUP_SKB_ATTACH, defaultAttachType: 'CGROUP_INET_INGRESS', testRun: SKB_TEST_RUN,
  },
  {
    name: 'RAW_TRACEPOINT', ctx: RAW_TRACEPOINT_CTX, fp: RAW_TRACEPOINT_FP, retval: ANY_VALUE, verdicts: IGNORED, packetAccess: 'none',
    testRun: { data: false, ctx: { struct: 'u64 args[]', in: ['args'], out: [], rules: 'ctx_in is the u64 arguments, at most 12 of them; no ctx_out, repeat or data' } },
  },
  {
    name: 'SYSCALL', ctx: SYSCALL_CTX, fp: SYSCALL_FP, retval: ANY_VALUE,
    verdicts: [{ name: 'retval', value: 0, meaning: 'returned to the caller of BPF_PROG_TEST_RUN' }],
    packetAccess: 'none', loadFlags: SLEEPABLE,
    testRun: { data: false, ctx: { in: ['ctx'], out: ['ctx'], rules: 'ctx_in is up to 65535 bytes, copied back into ctx_in after the run; no ctx_out, repeat or data' } },
  },
  {
    name: 'SK_SKB', ctx: SK_SKB_CTX, fp: SK_SKB_FP, retval: ANY_VALUE, packetAccess: 'read-write', testRun: null,
    verdicts: [...SK_VERDICTS, { name: 'length', value: 0, meaning: 'stream parser: the length of the next message (0: need more data, negative: error)' }],
    attachTypes: ['SK_SKB_STREAM_PARSER', 'SK_SKB_STREAM_VERDICT', 'SK_SKB_VERDICT'],
  },
  {
    name: 'SK_MSG', ctx: SK_MSG_CTX, fp: SK_MSG_FP, retval: ANY_VALUE, verdicts: SK_VERDICTS, packetAccess: 'read-write', testRun: null,
    attachTypes: ['SK_MSG_VERDICT'],
  },
  {
    name: 'CGROUP_SOCK_ADDR', ctx: SOCK_ADDR_CTX, fp: SOCK_ADDR_FP,
    retval: [
      {
        attachTypes: [
          'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG', 'CGROUP_UNIX_RECVMSG', 'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME',
          'CGROUP_UNIX_GETPEERNAME', 'CGROUP_INET4_GETSOCKNAME', 'CGROUP_INET6_GETSOCKNAME', 'CGROUP_UNIX_GETSOCKNAME',
        ],
        range: [1, 1],
      },
      { attachTypes: ['CGROUP_INET4_BIND', 'CGROUP_INET6_BIND'], range: [0, 3] },
      { range: [0, 1] },
    ],
    verdicts: [
      { name: 'reject', value: 0, meaning: 'fail the syscall with EPERM' },
      { name: 'allow', value: 1, meaning: 'go on with the (possibly rewritten) address' },
      { name: 'allow, bypass', value: 3, meaning: 'bind: allow and skip the CAP_NET_BIND_SERVICE check for ports below 1024' },
    ],
    packetAccess: 'none', testRun: null, attachTypes: SOCK_ADDR_ATTACH, attachTypeRequired: true,
  },
  {
    name: 'FLOW_DISSECTOR', ctx: FLOW_DISSECTOR_CTX, fp: FLOW_DISSECTOR_FP, retval: ANY_VALUE, packetAccess: 'read',
    verdicts: [
      { name: 'BPF_OK', value: 0, meaning: 'the flow keys are filled in' },
      { name: 'BPF_DROP', value: 2, meaning: 'dissection failed' },
      { name: 'BPF_FLOW_DISSECTOR_CONTINUE', value: 129, meaning: 'fall back to the kernel\'s own dissector' },
    ],
    attachTypes: ['FLOW_DISSECTOR'],
    testRun: { data: true, ctx: { struct: 'bpf_flow_keys', in: ['flags'], out: [], rules: 'ctx_in may set only flags (offset 48 of the 56 bytes); the dissected flow keys come back in data_out' } },
  },
  {
    name: 'CGROUP_SOCK', ctx: CGROUP_SOCK_CTX, fp: CGROUP_SOCK_FP, retval: [{ range: [0, 1] }],
    verdicts: [
      { name: 'reject', value: 0, meaning: 'fail the socket operation (EPERM)' },
      { name: 'allow', value: 1, meaning: 'let it go on' },
    ],
    packetAccess: 'none', testRun: null, attachTypes: CGROUP_SOCK_ATTACH, defaultAttachType: 'CGROUP_INET_SOCK_CREATE',
  },
  {
    name: 'SOCK_OPS', ctx: SOCK_OPS_CTX, fp: SOCK_OPS_FP, retval: [{ range: [0, 1] }],
    verdicts: [
      { name: 'reply', value: 1, meaning: 'the program ran (the answer to the operation is in reply); 0 makes the caller see an error' },
    ],
    packetAccess: 'read', testRun: null, attachTypes: ['CGROUP_SOCK_OPS'],
  },
  {
    name: 'SK_LOOKUP', ctx: SK_LOOKUP_CTX, fp: SK_LOOKUP_FP, retval: [{ range: [0, 1] }],
    verdicts: [
      { name: 'SK_DROP', value: 0, meaning: 'drop the packet (or refuse the connection)' },
      { name: 'SK_PASS', value: 1, meaning: 'deliver to the socket bpf_sk_assign chose, or go on with the regular lookup' },
    ],
    packetAccess: 'none', attachTypes: ['SK_LOOKUP'], attachTypeRequired: true,
    testRun: SK_LOOKUP_TEST_RUN,
  },
  {
    name: 'NETFILTER', ctx: NETFILTER_CTX, fp: NETFILTER_FP, retval: [{ range: [0, 1] }],
    verdicts: [
      { name: 'NF_DROP', value: 0, meaning: 'drop the packet' },
      { name: 'NF_ACCEPT', value: 1, meaning: 'let it through' },
    ],
    packetAccess: 'none', attachTypes: ['NETFILTER'], attachTypeRequired: true, testRun: NETFILTER_TEST_RUN,
  },
  {
    name: 'TRACING', ctx: btfFuncContext(Array(MAX_BPF_FUNC_ARGS).fill('scalar')), fp: TRACING_FP,
    retval: [
      { attachTypes: ['TRACE_FENTRY', 'TRACE_FEXIT'], range: [0, 0] },
      { attachTypes: ['TRACE_ITER'], range: [0, 1] },
      { range: null },
    ],
    verdicts: [
      { name: 'ignored', value: 0, meaning: 'fentry/fexit must return 0; fmod_ret replaces the function\'s return value when non-zero' },
    ],
    packetAccess: 'none', attachTypes: ['TRACE_RAW_TP', 'TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN', 'TRACE_ITER'],
    attachTypeRequired: true, attachBtf: true,
    testRun: { data: false },
  },
  {
    name: 'LSM', ctx: btfFuncContext(Array(MAX_BPF_FUNC_ARGS - 1).fill('scalar'), 'scalar'), fp: LSM_FP,
    retval: [{ range: [-4095, 0] }],
    verdicts: [{ name: 'errno', value: 0, meaning: '0 allows; a negative errno denies (for hooks returning an error; void hooks ignore it)' }],
    packetAccess: 'none', attachTypes: ['LSM_MAC'], attachTypeRequired: true, attachBtf: true, testRun: null,
  },
];

/** The described program types, by uAPI name. */
export const PROGRAM_TYPES: Readonly<Partial<Record<ProgTypeName, ProgramTypeSpec>>> = Object.freeze(Object.fromEntries(DEFS.map((d) => {
  const { fp: set, ...rest } = d;
  const spec: ProgramTypeSpec = {
    ...rest,
    type: BPF_PROG_TYPE[d.name],
    helpers: entries(set),
    attachTypes: Object.freeze([...(d.attachTypes ?? [])]),
    attachTypeRequired: d.attachTypeRequired ?? false,
    loadFlags: d.loadFlags ?? 0,
    attachBtf: d.attachBtf ?? false,
    ldAbs: d.ldAbs ?? false,
    // is_tracing_prog_type types use neither; socket filters no locks.
    mapUse: {
      spinLock: !['SOCKET_FILTER', ...TRACING_TYPES].includes(d.name),
      timer: !TRACING_TYPES.includes(d.name),
    },
  };
  return [d.name, Object.freeze(spec)];
})));

/** Thrown for a program type this description does not cover. */
export class PlatformError extends EbpfError {
  constructor(message: string) {
    super('EPLATFORM', message);
  }
}

/** A program type by number, uAPI name (`XDP`, `BPF_PROG_TYPE_XDP`) or bpftool's spelling (`xdp`). */
export function programType(type: number | string): ProgramTypeSpec {
  const n = typeof type === 'number' ? type : progTypeByName(type);
  const spec = n === undefined ? undefined : Object.values(PROGRAM_TYPES).find((p) => p.type === n);
  if (!spec) throw new PlatformError(`program type ${JSON.stringify(type)} is not described (described: ${Object.keys(PROGRAM_TYPES).join(', ').toLowerCase()})`);
  return spec;
}

function effectiveAttach(spec: ProgramTypeSpec, attachType: AttachTypeName | undefined): AttachTypeName | undefined {
  return attachType ?? spec.defaultAttachType;
}

/** The helpers a program of this type (loaded with `attachType`) may call, by id. */
export function allowedHelpers(spec: ProgramTypeSpec, attachType?: AttachTypeName): HelperEntry[] {
  const attach = effectiveAttach(spec, attachType);
  return spec.helpers.filter((h) => !h.attachTypes || (attach !== undefined && h.attachTypes.includes(attach)));
}

/** get_func_proto: the prototype a program of this type gets for helper `id`, or undefined (`program of this type cannot use helper`). */
export function funcProto(spec: ProgramTypeSpec, id: number, attachType?: AttachTypeName): BpfFuncProto | undefined {
  const entry = allowedHelpers(spec, attachType).find((h) => h.id === id);
  return entry ? HELPER_PROTOS[entry.proto] : undefined;
}

/** The range check_return_code enforces at exit, or null when any scalar goes. */
export function retvalRange(spec: ProgramTypeSpec, attachType?: AttachTypeName): readonly [number, number] | null {
  const attach = effectiveAttach(spec, attachType);
  const rule = spec.retval.find((r) => !r.attachTypes || (attach !== undefined && r.attachTypes.includes(attach)));
  return rule ? rule.range : null;
}

/** The kernel's verdict on a context access by a program of this type (see ctxAccess). */
export function programCtxAccess(spec: ProgramTypeSpec, off: number, size: number, type: CtxAccessType, attachType?: AttachTypeName): CtxAccessResult | undefined {
  return ctxAccess(spec.ctx, off, size, type, effectiveAttach(spec, attachType));
}

/**
 * Maps that hold programs: each binds to the type (and attach type) of the
 * first program that refers to it, and refuses programs of other types after
 * that (bpf_prog_map_compatible, EINVAL without a verifier log).
 */
export const PROG_OWNER_MAP_TYPES: readonly MapTypeName[] = Object.freeze(['PROG_ARRAY', 'DEVMAP', 'CPUMAP']);

/**
 * check_map_prog_compatibility: whether a program of this type may use a map
 * of `mapType` whose values hold a spin lock or a timer. Sleepable programs
 * (syscall programs, and any loaded with BPF_F_SLEEPABLE) are held to
 * SLEEPABLE_MAP_TYPES. See also PROG_OWNER_MAP_TYPES.
 */
export function mapProgCompatible(spec: ProgramTypeSpec, mapType: MapTypeName, value: { spinLock?: boolean; timer?: boolean } = {}, sleepable = (spec.loadFlags & SLEEPABLE) !== 0): boolean {
  if (mapType === 'STRUCT_OPS') return false;
  if ((value.spinLock && !spec.mapUse.spinLock) || (value.timer && !spec.mapUse.timer)) return false;
  return !sleepable || SLEEPABLE_MAP_TYPES.includes(mapType);
}
