/**
 * Helper prototypes: the kernel's `struct bpf_func_proto` as data, for the
 * verifier (argument and return checks, references), the runtime and the
 * kernel backend.
 *
 * One helper id can have several prototypes: the kernel hands a program type
 * the variant that fits its context (`perf_event_output` takes a `__sk_buff`
 * in tc and a `pt_regs` in a kprobe, `get_socket_cookie` takes the context in
 * most types but a BTF socket pointer in tracing). Variants whose contracts
 * are the same share one entry here; `program-types.ts` says which prototype
 * each program type gets. The contracts are those of Linux 6.18 and were
 * checked against it by loading calls built from them, changing one argument
 * at a time (test/platform). MEM_UNINIT cannot be checked that way (a
 * privileged program may read stack it never wrote), and helpers whose
 * arguments need kernel objects a test cannot make (seq_file, path, kptr
 * fields, per-CPU ksyms without CONFIG_KALLSYMS_ALL) follow the kernel's
 * source.
 *
 * Types are spelled as the kernel spells them (include/linux/bpf.h): a base
 * type plus flags, `ARG_PTR_TO_MEM | MEM_RDONLY`; the kernel's shorthands
 * (`ARG_PTR_TO_UNINIT_MEM`, `RET_PTR_TO_MAP_VALUE_OR_NULL`) are expanded.
 */
import { EbpfError } from '../internal/errors.js';
import { helperIdByName } from './helper-ids.js';
import { BPF_MAP_TYPE, type AttachTypeName, type MapTypeName, type ProgTypeName } from './uapi.js';

/** enum bpf_arg_type, the base kinds. */
export const ARG_TYPES = [
  'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_MEM', 'ARG_CONST_SIZE',
  'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_SPIN_LOCK', 'ARG_PTR_TO_SOCK_COMMON',
  'ARG_PTR_TO_SOCKET', 'ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_RINGBUF_MEM', 'ARG_CONST_ALLOC_SIZE_OR_ZERO',
  'ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK',
  'ARG_PTR_TO_CONST_STR', 'ARG_PTR_TO_TIMER', 'ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_DYNPTR',
] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/** enum bpf_return_type, the base kinds. */
export const RET_TYPES = [
  'RET_INTEGER', 'RET_VOID', 'RET_PTR_TO_MAP_VALUE', 'RET_PTR_TO_SOCKET', 'RET_PTR_TO_TCP_SOCK',
  'RET_PTR_TO_SOCK_COMMON', 'RET_PTR_TO_MEM', 'RET_PTR_TO_MEM_OR_BTF_ID', 'RET_PTR_TO_BTF_ID',
] as const;
export type RetType = (typeof RET_TYPES)[number];

/** enum bpf_type_flag: the flags that helper prototypes use, in the kernel's bit order. */
export const TYPE_FLAGS = [
  'PTR_MAYBE_NULL', 'MEM_RDONLY', 'MEM_RINGBUF', 'OBJ_RELEASE', 'MEM_UNINIT', 'DYNPTR_TYPE_LOCAL', 'DYNPTR_TYPE_RINGBUF',
  'MEM_FIXED_SIZE', 'PTR_TRUSTED', 'MEM_ALIGNED', 'MEM_WRITE',
] as const;
export type TypeFlag = (typeof TYPE_FLAGS)[number];

export interface HelperArg {
  type: ArgType;
  /** In the kernel's bit order (enum bpf_type_flag). */
  flags: readonly TypeFlag[];
  /** arg_size: the bytes a MEM_FIXED_SIZE argument points to. */
  size?: number;
  /** arg_btf_id: the kernel struct a BTF-typed argument must point to (`task_struct`, `sock`...). */
  btfStruct?: string;
}

export interface HelperRet {
  type: RetType;
  flags: readonly TypeFlag[];
  /** ret_btf_id: the kernel struct a RET_PTR_TO_BTF_ID result points to. */
  btfStruct?: string;
  /** For memory results (ringbuf_reserve, dynptr_data): the 1-based argument whose constant is the size. */
  sizeArg?: number;
}

/** What the verifier's reference tracking does with a call (is_acquire_function, OBJ_RELEASE arguments). */
export interface HelperRefs {
  /** The returned pointer (or the dynptr the call initialises) holds a reference the program must release. */
  acquire?: 'ret' | 'dynptr';
  /** Only when the map argument is one of these types (map_lookup_elem on sockmap/sockhash). */
  acquireForMapTypes?: readonly MapTypeName[];
  /** The 1-based argument whose reference the call releases (the OBJ_RELEASE one). */
  release?: number;
}

/** `struct bpf_func_proto`. */
export interface BpfFuncProto {
  /** The kernel's name for this prototype without `_proto` (`bpf_skb_event_output`). */
  name: string;
  /** The helper id (BPF_FUNC_*), the `imm` of the call instruction. */
  id: number;
  /** The helper's name as the verifier log prints it (`bpf_perf_event_output`). */
  helper: string;
  /** Callable only from programs with a GPL-compatible license. */
  gplOnly: boolean;
  /** May be called with packet pointers as memory arguments (and does not invalidate them). */
  pktAccess: boolean;
  /** May sleep: callable only from sleepable programs. */
  mightSleep: boolean;
  /** May move or resize the packet (`bpf_helper_changes_pkt_data`): the verifier invalidates packet pointers after it. */
  changesPktData: boolean;
  ret: HelperRet;
  /** arg1..arg5; the call ignores registers past the last. */
  args: readonly HelperArg[];
  refs: HelperRefs;
  /** The proto's `allowed` hook: programs that get the prototype but whose call the verifier still refuses. */
  allowed?: HelperAllowed;
}

/** Past get_func_proto, the verifier takes the call only from programs loaded with these attach types. */
export interface HelperAllowed {
  attachTypes: readonly AttachTypeName[];
  /** What else the kernel checks (the attach target). */
  note?: string;
}

/** What each of the kernel's shorthand type names stands for. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  ARG_PTR_TO_MAP_VALUE_OR_NULL: 'ARG_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL',
  ARG_PTR_TO_MEM_OR_NULL: 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL',
  ARG_PTR_TO_CTX_OR_NULL: 'ARG_PTR_TO_CTX | PTR_MAYBE_NULL',
  ARG_PTR_TO_SOCKET_OR_NULL: 'ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL',
  ARG_PTR_TO_STACK_OR_NULL: 'ARG_PTR_TO_STACK | PTR_MAYBE_NULL',
  ARG_PTR_TO_BTF_ID_OR_NULL: 'ARG_PTR_TO_BTF_ID | PTR_MAYBE_NULL',
  ARG_PTR_TO_UNINIT_MEM: 'ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE',
  ARG_PTR_TO_FIXED_SIZE_MEM: 'ARG_PTR_TO_MEM | MEM_FIXED_SIZE',
  RET_PTR_TO_MAP_VALUE_OR_NULL: 'RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL',
  RET_PTR_TO_SOCKET_OR_NULL: 'RET_PTR_TO_SOCKET | PTR_MAYBE_NULL',
  RET_PTR_TO_TCP_SOCK_OR_NULL: 'RET_PTR_TO_TCP_SOCK | PTR_MAYBE_NULL',
  RET_PTR_TO_SOCK_COMMON_OR_NULL: 'RET_PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL',
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: 'RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF',
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: 'RET_PTR_TO_MEM | PTR_MAYBE_NULL',
  RET_PTR_TO_BTF_ID_OR_NULL: 'RET_PTR_TO_BTF_ID | PTR_MAYBE_NULL',
  RET_PTR_TO_BTF_ID_TRUSTED: 'RET_PTR_TO_BTF_ID | PTR_TRUSTED',
};

/** Split `BASE | FLAG | FLAG` (with shorthands) into a base and flags in the kernel's bit order. */
function parseType<T extends string>(text: string, bases: readonly T[]): { type: T; flags: TypeFlag[] } {
  const words = text.split('|').map((w) => w.trim()).flatMap((w) => (SHORTHANDS[w] ?? w).split('|').map((s) => s.trim()));
  const type = words.find((w): w is T => (bases as readonly string[]).includes(w));
  const flags = words.filter((w) => w !== type);
  const unknown = flags.filter((f) => !(TYPE_FLAGS as readonly string[]).includes(f));
  // The table below is this module's own data: a typo is a bug the tests catch at import.
  if (!type || unknown.length) throw new EbpfError('EPLATFORM', `helper prototypes: cannot read type '${text}'`);
  return { type, flags: TYPE_FLAGS.filter((f) => flags.includes(f)) };
}

type ArgSpec = string | { type: string; size?: number; btf?: string };

interface ProtoSpec {
  /** Prototype name when it differs from the helper's (`bpf_get_socket_ptr_cookie`). */
  name?: string;
  gpl?: boolean;
  pkt?: boolean;
  sleep?: boolean;
  ret?: string;
  retBtf?: string;
  retSizeArg?: number;
  args?: readonly ArgSpec[];
  refs?: Omit<HelperRefs, 'release'>;
  allowed?: HelperAllowed;
}

/**
 * `bpf_helper_changes_pkt_data` (net/core/filter.c, 6.18): the helpers that may move or resize the packet.
 * A tail call is not one of them (it returns only when no program ran), but it makes the subprogram it is
 * in one that changes packet data for its callers.
 */
const CHANGES_PKT_DATA: ReadonlySet<string> = new Set([
  'clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh',
  'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
  'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push',
  'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail',
]);

function proto(helper: string, spec: ProtoSpec = {}): BpfFuncProto {
  const id = helperIdByName(helper);
  if (id === undefined) throw new EbpfError('EPLATFORM', `helper prototypes: unknown helper '${helper}'`);
  const ret = parseType(spec.ret ?? 'RET_INTEGER', RET_TYPES);
  const args = (spec.args ?? []).map((a): HelperArg => {
    const s = typeof a === 'string' ? { type: a } : a;
    const t = parseType(s.type, ARG_TYPES);
    return { ...t, ...(s.size !== undefined ? { size: s.size } : {}), ...(s.btf ? { btfStruct: s.btf } : {}) };
  });
  const release = args.findIndex((a) => a.flags.includes('OBJ_RELEASE'));
  return {
    name: spec.name ?? `bpf_${helper}`,
    id,
    helper: `bpf_${helper}`,
    gplOnly: spec.gpl ?? false,
    pktAccess: spec.pkt ?? false,
    mightSleep: spec.sleep ?? false,
    changesPktData: CHANGES_PKT_DATA.has(helper),
    ret: { ...ret, ...(spec.retBtf ? { btfStruct: spec.retBtf } : {}), ...(spec.retSizeArg ? { sizeArg: spec.retSizeArg } : {}) },
    args,
    refs: { ...spec.refs, ...(release >= 0 ? { release: release + 1 } : {}) },
    ...(spec.allowed ? { allowed: spec.allowed } : {}),
  };
}

const CTX = 'ARG_PTR_TO_CTX';
const ANY = 'ARG_ANYTHING';
const MAP = 'ARG_CONST_MAP_PTR';
const KEY = 'ARG_PTR_TO_MAP_KEY';
const MEM_RO = 'ARG_PTR_TO_MEM | MEM_RDONLY';
const MEM_RO_OR_NULL = 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY';
const UNINIT = 'ARG_PTR_TO_UNINIT_MEM';
const SIZE = 'ARG_CONST_SIZE';
const SIZE0 = 'ARG_CONST_SIZE_OR_ZERO';
const FUNC = 'ARG_PTR_TO_FUNC';
const STACK_OR_NULL = 'ARG_PTR_TO_STACK_OR_NULL';
const SOCK_COMMON = 'ARG_PTR_TO_SOCK_COMMON';
const BTF_SOCK_COMMON = 'ARG_PTR_TO_BTF_ID_SOCK_COMMON';
const TIMER = 'ARG_PTR_TO_TIMER';
const btf = (type: string, struct: string): ArgSpec => ({ type, btf: struct });
const fixed = (type: string, size: number): ArgSpec => ({ type, size });
/** A u64 the helper writes (strtol's result): ARG_PTR_TO_LONG before Linux 6.12 folded it into fixed-size memory. */
const OUT_U64 = fixed('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED', 8);
/** ctx, packet buffer, size, netns, flags: the socket lookups. */
const SK_LOOKUP_ARGS = [CTX, MEM_RO, SIZE0, ANY, ANY];
const SYNCOOKIE_ARGS = [BTF_SOCK_COMMON, MEM_RO, SIZE, MEM_RO, SIZE];
const EVENT_OUTPUT_ARGS = [CTX, MAP, ANY, MEM_RO, SIZE0];
const READ_INTO = [UNINIT, SIZE0, ANY];
/** bpf_sk_storage_tracing_allowed. */
const SK_STORAGE_TRACING: HelperAllowed = {
  attachTypes: ['TRACE_ITER', 'TRACE_RAW_TP', 'TRACE_FENTRY', 'TRACE_FEXIT'],
  note: 'fentry/fexit not on a bpf_sk_storage* function; never for freplace programs',
};

/** Every prototype, by name. Ordered by helper id, variants after the main entry. */
export const HELPER_PROTOS: Readonly<Record<string, BpfFuncProto>> = Object.freeze(Object.fromEntries([
  proto('map_lookup_elem', { pkt: true, ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, KEY], refs: { acquire: 'ret', acquireForMapTypes: ['SOCKMAP', 'SOCKHASH'] } }),
  proto('map_update_elem', { pkt: true, args: [MAP, KEY, 'ARG_PTR_TO_MAP_VALUE', ANY] }),
  proto('map_delete_elem', { pkt: true, args: [MAP, KEY] }),
  proto('probe_read', { name: 'bpf_probe_read_compat', gpl: true, args: READ_INTO }),
  proto('ktime_get_ns'),
  proto('trace_printk', { gpl: true, args: [MEM_RO, SIZE] }),
  proto('get_prandom_u32'),
  proto('get_smp_processor_id'),
  proto('skb_store_bytes', { args: [CTX, ANY, MEM_RO, SIZE, ANY] }),
  proto('l3_csum_replace', { args: [CTX, ANY, ANY, ANY, ANY] }),
  proto('l4_csum_replace', { args: [CTX, ANY, ANY, ANY, ANY] }),
  proto('tail_call', { ret: 'RET_VOID', args: [CTX, MAP, ANY] }),
  proto('clone_redirect', { args: [CTX, ANY, ANY] }),
  proto('get_current_pid_tgid'),
  proto('get_current_uid_gid'),
  proto('get_current_comm', { args: [UNINIT, SIZE] }),
  proto('get_cgroup_classid', { args: [CTX] }),
  proto('get_cgroup_classid', { name: 'bpf_get_cgroup_classid_curr' }),
  proto('skb_vlan_push', { args: [CTX, ANY, ANY] }),
  proto('skb_vlan_pop', { args: [CTX] }),
  proto('skb_get_tunnel_key', { args: [CTX, UNINIT, SIZE, ANY] }),
  proto('skb_set_tunnel_key', { args: [CTX, MEM_RO, SIZE, ANY] }),
  proto('perf_event_read', { gpl: true, args: [MAP, ANY] }),
  proto('redirect', { args: [ANY, ANY] }),
  proto('get_route_realm', { args: [CTX] }),
  proto('perf_event_output', { gpl: true, args: EVENT_OUTPUT_ARGS }),
  proto('skb_load_bytes', { args: [CTX, ANY, UNINIT, SIZE] }),
  proto('get_stackid', { gpl: true, args: [CTX, MAP, ANY] }),
  proto('csum_diff', { pkt: true, args: [MEM_RO_OR_NULL, SIZE0, MEM_RO_OR_NULL, SIZE0, ANY] }),
  proto('skb_get_tunnel_opt', { args: [CTX, UNINIT, SIZE] }),
  proto('skb_set_tunnel_opt', { args: [CTX, MEM_RO, SIZE] }),
  proto('skb_change_proto', { args: [CTX, ANY, ANY] }),
  proto('skb_change_type', { args: [CTX, ANY] }),
  proto('skb_under_cgroup', { args: [CTX, MAP, ANY] }),
  proto('get_hash_recalc', { args: [CTX] }),
  proto('get_current_task', { gpl: true }),
  proto('probe_write_user', { gpl: true, args: [ANY, MEM_RO, SIZE] }),
  proto('current_task_under_cgroup', { args: [MAP, ANY] }),
  proto('skb_change_tail', { args: [CTX, ANY, ANY] }),
  proto('skb_pull_data', { args: [CTX, ANY] }),
  proto('csum_update', { args: [CTX, ANY] }),
  proto('set_hash_invalid', { args: [CTX] }),
  proto('get_numa_node_id'),
  proto('skb_change_head', { args: [CTX, ANY, ANY] }),
  proto('xdp_adjust_head', { args: [CTX, ANY] }),
  proto('probe_read_str', { name: 'bpf_probe_read_compat_str', gpl: true, args: READ_INTO }),
  proto('get_socket_cookie', { args: [CTX] }),
  proto('get_socket_cookie', { name: 'bpf_get_socket_ptr_cookie', args: [btf('ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL', 'sock_common')] }),
  proto('get_socket_uid', { args: [CTX] }),
  proto('set_hash', { args: [CTX, ANY] }),
  proto('setsockopt', { name: 'bpf_sock_addr_setsockopt', args: [CTX, ANY, ANY, MEM_RO, SIZE] }),
  proto('setsockopt', { name: 'bpf_sock_ops_setsockopt', args: [CTX, ANY, ANY, MEM_RO, SIZE] }),
  proto('skb_adjust_room', { args: [CTX, ANY, ANY, ANY] }),
  proto('redirect_map', { args: [MAP, ANY, ANY] }),
  proto('sk_redirect_map', { args: [CTX, MAP, ANY, ANY] }),
  proto('sock_map_update', { args: [CTX, MAP, KEY, ANY] }),
  proto('xdp_adjust_meta', { args: [CTX, ANY] }),
  proto('perf_event_read_value', { gpl: true, args: [MAP, ANY, UNINIT, SIZE] }),
  proto('perf_prog_read_value', { gpl: true, args: [CTX, UNINIT, SIZE] }),
  proto('getsockopt', { name: 'bpf_sock_addr_getsockopt', args: [CTX, ANY, ANY, UNINIT, SIZE] }),
  proto('getsockopt', { name: 'bpf_sock_ops_getsockopt', args: [CTX, ANY, ANY, UNINIT, SIZE] }),
  proto('override_return', { gpl: true, args: [CTX, ANY] }),
  proto('sock_ops_cb_flags_set', { args: [CTX, ANY] }),
  proto('msg_redirect_map', { args: [CTX, MAP, ANY, ANY] }),
  proto('msg_apply_bytes', { args: [CTX, ANY] }),
  proto('msg_cork_bytes', { args: [CTX, ANY] }),
  proto('msg_pull_data', { args: [CTX, ANY, ANY, ANY] }),
  proto('bind', { args: [CTX, MEM_RO, SIZE] }),
  proto('xdp_adjust_tail', { args: [CTX, ANY] }),
  proto('skb_get_xfrm_state', { args: [CTX, ANY, UNINIT, SIZE, ANY] }),
  proto('get_stack', { gpl: true, args: [CTX, UNINIT, SIZE0, ANY] }),
  proto('skb_load_bytes_relative', { args: [CTX, ANY, UNINIT, SIZE, ANY] }),
  proto('fib_lookup', { gpl: true, args: [CTX, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE, ANY] }),
  proto('sock_hash_update', { args: [CTX, MAP, KEY, ANY] }),
  proto('msg_redirect_hash', { args: [CTX, MAP, KEY, ANY] }),
  proto('sk_redirect_hash', { args: [CTX, MAP, KEY, ANY] }),
  proto('skb_cgroup_id', { args: [CTX] }),
  proto('get_current_cgroup_id'),
  proto('get_local_storage', { ret: 'RET_PTR_TO_MAP_VALUE', args: [MAP, ANY] }),
  proto('skb_ancestor_cgroup_id', { args: [CTX, ANY] }),
  proto('sk_lookup_tcp', { pkt: true, ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: SK_LOOKUP_ARGS, refs: { acquire: 'ret' } }),
  proto('sk_lookup_udp', { pkt: true, ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: SK_LOOKUP_ARGS, refs: { acquire: 'ret' } }),
  proto('sk_release', { args: [btf('ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE', 'sock_common')] }),
  proto('map_push_elem', { pkt: true, args: [MAP, 'ARG_PTR_TO_MAP_VALUE', ANY] }),
  proto('map_pop_elem', { args: [MAP, 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'] }),
  proto('map_peek_elem', { args: [MAP, 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'] }),
  proto('msg_push_data', { args: [CTX, ANY, ANY, ANY] }),
  proto('msg_pop_data', { args: [CTX, ANY, ANY, ANY] }),
  proto('spin_lock', { ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'] }),
  proto('spin_unlock', { ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'] }),
  proto('sk_fullsock', { ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [SOCK_COMMON] }),
  proto('tcp_sock', { ret: 'RET_PTR_TO_TCP_SOCK_OR_NULL', args: [SOCK_COMMON] }),
  proto('skb_ecn_set_ce', { args: [CTX] }),
  proto('get_listener_sock', { ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: [SOCK_COMMON] }),
  proto('skc_lookup_tcp', { pkt: true, ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: SK_LOOKUP_ARGS, refs: { acquire: 'ret' } }),
  proto('tcp_check_syncookie', { gpl: true, pkt: true, args: SYNCOOKIE_ARGS }),
  proto('strtol', { args: [MEM_RO, SIZE, ANY, OUT_U64] }),
  proto('strtoul', { args: [MEM_RO, SIZE, ANY, OUT_U64] }),
  proto('sk_storage_get', { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, btf(BTF_SOCK_COMMON, 'sock_common'), 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY] }),
  proto('sk_storage_get', {
    name: 'bpf_sk_storage_get_tracing', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL',
    args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'sock'), 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY], allowed: SK_STORAGE_TRACING,
  }),
  proto('sk_storage_get', { name: 'bpf_sk_storage_get_cg_sock', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, CTX, 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY] }),
  proto('sk_storage_delete', { args: [MAP, btf(BTF_SOCK_COMMON, 'sock_common')] }),
  proto('sk_storage_delete', {
    name: 'bpf_sk_storage_delete_tracing', args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'sock')], allowed: SK_STORAGE_TRACING,
  }),
  proto('send_signal', { args: [ANY] }),
  proto('tcp_gen_syncookie', { gpl: true, pkt: true, args: SYNCOOKIE_ARGS }),
  proto('skb_output', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'sk_buff'), MAP, ANY, MEM_RO, SIZE0] }),
  proto('probe_read_user', { gpl: true, args: READ_INTO }),
  proto('probe_read_kernel', { gpl: true, args: READ_INTO }),
  proto('probe_read_user_str', { gpl: true, args: READ_INTO }),
  proto('probe_read_kernel_str', { gpl: true, args: READ_INTO }),
  proto('send_signal_thread', { args: [ANY] }),
  proto('jiffies64'),
  proto('read_branch_records', { gpl: true, args: [CTX, 'ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE', SIZE0, ANY] }),
  proto('get_ns_current_pid_tgid', { args: [ANY, ANY, UNINIT, SIZE] }),
  proto('xdp_output', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'xdp_buff'), MAP, ANY, MEM_RO, SIZE0] }),
  proto('get_netns_cookie', { args: ['ARG_PTR_TO_CTX_OR_NULL'] }),
  proto('get_netns_cookie', { name: 'bpf_get_netns_cookie_sock_addr', args: ['ARG_PTR_TO_CTX_OR_NULL'] }),
  proto('get_netns_cookie', { name: 'bpf_get_netns_cookie_sk_msg', args: ['ARG_PTR_TO_CTX_OR_NULL'] }),
  proto('get_netns_cookie', { name: 'bpf_get_netns_cookie_sock', args: ['ARG_PTR_TO_CTX_OR_NULL'] }),
  proto('get_netns_cookie', { name: 'bpf_get_netns_cookie_sock_ops', args: ['ARG_PTR_TO_CTX_OR_NULL'] }),
  proto('get_current_ancestor_cgroup_id', { args: [ANY] }),
  proto('sk_assign', { args: [CTX, btf(BTF_SOCK_COMMON, 'sock_common'), ANY] }),
  proto('sk_assign', { name: 'bpf_sk_lookup_assign', args: [CTX, 'ARG_PTR_TO_SOCKET_OR_NULL', ANY] }),
  proto('ktime_get_boot_ns'),
  proto('seq_printf', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'seq_file'), MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE0] }),
  proto('seq_write', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'seq_file'), MEM_RO, SIZE0] }),
  proto('sk_cgroup_id', { args: [btf(BTF_SOCK_COMMON, 'sock_common')] }),
  proto('sk_ancestor_cgroup_id', { args: [btf(BTF_SOCK_COMMON, 'sock_common'), ANY] }),
  proto('ringbuf_output', { args: [MAP, MEM_RO, SIZE0, ANY] }),
  proto('ringbuf_reserve', { ret: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', retSizeArg: 2, args: [MAP, 'ARG_CONST_ALLOC_SIZE_OR_ZERO', ANY], refs: { acquire: 'ret' } }),
  proto('ringbuf_submit', { ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', ANY] }),
  proto('ringbuf_discard', { ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', ANY] }),
  proto('ringbuf_query', { args: [MAP, ANY] }),
  proto('csum_level', { args: [CTX, ANY] }),
  ...([
    ['skc_to_tcp6_sock', 'tcp6_sock'], ['skc_to_tcp_sock', 'tcp_sock'], ['skc_to_tcp_timewait_sock', 'tcp_timewait_sock'],
    ['skc_to_tcp_request_sock', 'tcp_request_sock'], ['skc_to_udp6_sock', 'udp6_sock'],
  ] as const).map(([h, struct]) => proto(h, { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', retBtf: struct, args: [btf(BTF_SOCK_COMMON, 'sock_common')] })),
  proto('get_task_stack', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'task_struct'), UNINIT, SIZE0, ANY] }),
  proto('load_hdr_opt', { name: 'bpf_sock_ops_load_hdr_opt', args: [CTX, 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE, ANY] }),
  proto('store_hdr_opt', { name: 'bpf_sock_ops_store_hdr_opt', args: [CTX, MEM_RO, SIZE, ANY] }),
  proto('reserve_hdr_opt', { name: 'bpf_sock_ops_reserve_hdr_opt', args: [CTX, ANY, ANY] }),
  proto('inode_storage_get', { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'inode'), 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY] }),
  proto('inode_storage_delete', { args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'inode')] }),
  proto('d_path', {
    args: [btf('ARG_PTR_TO_BTF_ID', 'path'), 'ARG_PTR_TO_MEM | MEM_WRITE', SIZE0],
    allowed: {
      attachTypes: ['TRACE_ITER', 'TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN', 'LSM_MAC'],
      note: 'iterators always; fentry/fexit/fmod_ret on the functions of btf_allowlist_d_path; LSM hooks whose arguments are trusted',
    },
  }),
  proto('copy_from_user', { sleep: true, args: READ_INTO }),
  proto('snprintf_btf', { args: ['ARG_PTR_TO_MEM | MEM_WRITE', SIZE, MEM_RO, SIZE, ANY] }),
  proto('seq_printf_btf', { args: [btf('ARG_PTR_TO_BTF_ID', 'seq_file'), MEM_RO, SIZE0, ANY] }),
  proto('skb_cgroup_classid', { args: [CTX] }),
  proto('redirect_neigh', { args: [ANY, MEM_RO_OR_NULL, SIZE0, ANY] }),
  proto('per_cpu_ptr', { ret: 'RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY', args: ['ARG_PTR_TO_PERCPU_BTF_ID', ANY] }),
  proto('this_cpu_ptr', { ret: 'RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY', args: ['ARG_PTR_TO_PERCPU_BTF_ID'] }),
  proto('redirect_peer', { args: [ANY, ANY] }),
  proto('task_storage_get', { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'task_struct'), 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY] }),
  proto('task_storage_delete', { args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'task_struct')] }),
  proto('get_current_task_btf', { gpl: true, ret: 'RET_PTR_TO_BTF_ID_TRUSTED', retBtf: 'task_struct' }),
  proto('bprm_opts_set', { args: [btf('ARG_PTR_TO_BTF_ID', 'linux_binprm'), ANY] }),
  proto('ktime_get_coarse_ns'),
  proto('sock_from_file', { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', retBtf: 'socket', args: [btf('ARG_PTR_TO_BTF_ID', 'file')] }),
  proto('check_mtu', { gpl: true, args: [CTX, ANY, fixed('ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED', 4), ANY, ANY] }),
  proto('for_each_map_elem', { args: [MAP, FUNC, STACK_OR_NULL, ANY] }),
  proto('snprintf', { gpl: true, args: ['ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE', SIZE0, 'ARG_PTR_TO_CONST_STR', MEM_RO_OR_NULL, SIZE0] }),
  proto('sys_bpf', { args: [ANY, MEM_RO, SIZE] }),
  proto('btf_find_by_name_kind', { args: [MEM_RO, SIZE, ANY, ANY] }),
  proto('sys_close', { args: [ANY] }),
  proto('timer_init', { gpl: true, args: [TIMER, MAP, ANY] }),
  proto('timer_set_callback', { gpl: true, args: [TIMER, FUNC] }),
  proto('timer_start', { gpl: true, args: [TIMER, ANY, ANY] }),
  proto('timer_cancel', { gpl: true, args: [TIMER] }),
  proto('get_func_ip', { name: 'bpf_get_func_ip_kprobe', gpl: true, args: [CTX] }),
  proto('get_func_ip', {
    name: 'bpf_get_func_ip_tracing', gpl: true, args: [CTX],
    allowed: { attachTypes: ['TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN'], note: 'check_get_func_ip: tracing programs with a trampoline; kprobes get bpf_get_func_ip_kprobe' },
  }),
  proto('get_attach_cookie', { args: [CTX] }),
  proto('task_pt_regs', { gpl: true, ret: 'RET_PTR_TO_BTF_ID', retBtf: 'pt_regs', args: [btf('ARG_PTR_TO_BTF_ID', 'task_struct')] }),
  proto('get_branch_snapshot', { gpl: true, args: READ_INTO }),
  proto('trace_vprintk', { gpl: true, args: [MEM_RO, SIZE, MEM_RO_OR_NULL, SIZE0] }),
  proto('skc_to_unix_sock', { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', retBtf: 'unix_sock', args: [btf(BTF_SOCK_COMMON, 'sock_common')] }),
  proto('kallsyms_lookup_name', { args: [MEM_RO, SIZE0, ANY, OUT_U64] }),
  proto('find_vma', { gpl: true, args: [btf('ARG_PTR_TO_BTF_ID', 'task_struct'), ANY, FUNC, STACK_OR_NULL, ANY] }),
  proto('loop', { args: [ANY, FUNC, STACK_OR_NULL, ANY] }),
  proto('strncmp', { args: [MEM_RO, SIZE, 'ARG_PTR_TO_CONST_STR'] }),
  proto('get_func_arg', { args: [CTX, ANY, OUT_U64] }),
  proto('get_func_ret', { args: [CTX, OUT_U64] }),
  proto('get_func_arg_cnt', { args: [CTX] }),
  proto('get_retval'),
  proto('set_retval', { args: [ANY] }),
  proto('xdp_get_buff_len', { args: [CTX] }),
  proto('xdp_get_buff_len', { name: 'bpf_xdp_get_buff_len_trace', args: [btf('ARG_PTR_TO_BTF_ID', 'xdp_buff')] }),
  proto('xdp_load_bytes', { args: [CTX, ANY, UNINIT, SIZE] }),
  proto('xdp_store_bytes', { args: [CTX, ANY, MEM_RO, SIZE] }),
  proto('copy_from_user_task', { gpl: true, sleep: true, args: [UNINIT, SIZE0, ANY, btf('ARG_PTR_TO_BTF_ID', 'task_struct'), ANY] }),
  proto('skb_set_tstamp', { args: [CTX, ANY, ANY] }),
  proto('kptr_xchg', { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE'], refs: { acquire: 'ret' } }),
  proto('map_lookup_percpu_elem', { pkt: true, ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, KEY, ANY] }),
  proto('skc_to_mptcp_sock', { ret: 'RET_PTR_TO_BTF_ID_OR_NULL', retBtf: 'mptcp_sock', args: [btf(BTF_SOCK_COMMON, 'sock_common')] }),
  proto('dynptr_from_mem', { args: [UNINIT, SIZE0, ANY, 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE'] }),
  proto('ringbuf_reserve_dynptr', { args: [MAP, ANY, ANY, 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE'], refs: { acquire: 'dynptr' } }),
  proto('ringbuf_submit_dynptr', { ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', ANY] }),
  proto('ringbuf_discard_dynptr', { ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', ANY] }),
  proto('dynptr_read', { args: [UNINIT, SIZE0, 'ARG_PTR_TO_DYNPTR | MEM_RDONLY', ANY, ANY] }),
  proto('dynptr_write', { args: ['ARG_PTR_TO_DYNPTR | MEM_RDONLY', ANY, MEM_RO, SIZE0, ANY] }),
  proto('dynptr_data', { ret: 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', retSizeArg: 3, args: ['ARG_PTR_TO_DYNPTR | MEM_RDONLY', ANY, 'ARG_CONST_ALLOC_SIZE_OR_ZERO'] }),
  proto('tcp_raw_gen_syncookie_ipv4', { gpl: true, pkt: true, args: [fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 20), MEM_RO, SIZE0] }),
  proto('tcp_raw_gen_syncookie_ipv6', { gpl: true, pkt: true, args: [fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 40), MEM_RO, SIZE0] }),
  proto('tcp_raw_check_syncookie_ipv4', { gpl: true, pkt: true, args: [fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 20), fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 20)] }),
  proto('tcp_raw_check_syncookie_ipv6', { gpl: true, pkt: true, args: [fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 40), fixed('ARG_PTR_TO_FIXED_SIZE_MEM', 20)] }),
  proto('ktime_get_tai_ns'),
  proto('user_ringbuf_drain', { args: [MAP, FUNC, STACK_OR_NULL, ANY] }),
  proto('cgrp_storage_get', { ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: [MAP, btf('ARG_PTR_TO_BTF_ID_OR_NULL', 'cgroup'), 'ARG_PTR_TO_MAP_VALUE_OR_NULL', ANY] }),
  proto('cgrp_storage_delete', { args: [MAP, btf('ARG_PTR_TO_BTF_ID', 'cgroup')] }),
].map((p) => [p.name, Object.freeze(p)])));

/** The prototype named `name` (`bpf_skb_event_output`), or undefined. */
export function helperProto(name: string): BpfFuncProto | undefined {
  return Object.hasOwn(HELPER_PROTOS, name) ? HELPER_PROTOS[name] : undefined;
}

/** Every prototype of helper `id`, main entry first. */
export function helperProtosById(id: number): BpfFuncProto[] {
  return Object.values(HELPER_PROTOS).filter((p) => p.id === id);
}

/**
 * check_map_func_compatibility, the map side: the helpers a map of this type
 * may be passed to. Map types not listed here go to any helper that takes a
 * map (the helper side below may still refuse them).
 */
export const MAP_TYPE_HELPERS: Readonly<Partial<Record<MapTypeName, readonly string[]>>> = Object.freeze({
  PROG_ARRAY: ['tail_call'],
  PERF_EVENT_ARRAY: ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'],
  RINGBUF: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  USER_RINGBUF: ['user_ringbuf_drain'],
  STACK_TRACE: ['get_stackid'],
  CGROUP_ARRAY: ['skb_under_cgroup', 'current_task_under_cgroup'],
  CGROUP_STORAGE: ['get_local_storage'],
  PERCPU_CGROUP_STORAGE: ['get_local_storage'],
  DEVMAP: ['redirect_map', 'map_lookup_elem'],
  DEVMAP_HASH: ['redirect_map', 'map_lookup_elem'],
  CPUMAP: ['redirect_map'],
  XSKMAP: ['redirect_map', 'map_lookup_elem'],
  ARRAY_OF_MAPS: ['map_lookup_elem'],
  HASH_OF_MAPS: ['map_lookup_elem'],
  SOCKMAP: ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem'],
  SOCKHASH: ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem'],
  REUSEPORT_SOCKARRAY: ['sk_select_reuseport'],
  QUEUE: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  STACK: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  SK_STORAGE: ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg'],
  INODE_STORAGE: ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg'],
  TASK_STORAGE: ['task_storage_get', 'task_storage_delete', 'kptr_xchg'],
  CGRP_STORAGE: ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'],
  BLOOM_FILTER: ['map_peek_elem', 'map_push_elem'],
});

/** check_map_func_compatibility, the helper side: the only map types these helpers take. */
export const HELPER_MAP_TYPES: Readonly<Record<string, readonly MapTypeName[]>> = Object.freeze({
  tail_call: ['PROG_ARRAY'],
  perf_event_read: ['PERF_EVENT_ARRAY'],
  perf_event_output: ['PERF_EVENT_ARRAY'],
  perf_event_read_value: ['PERF_EVENT_ARRAY'],
  skb_output: ['PERF_EVENT_ARRAY'],
  xdp_output: ['PERF_EVENT_ARRAY'],
  ringbuf_output: ['RINGBUF'],
  ringbuf_reserve: ['RINGBUF'],
  ringbuf_query: ['RINGBUF'],
  ringbuf_reserve_dynptr: ['RINGBUF'],
  ringbuf_submit_dynptr: ['RINGBUF'],
  ringbuf_discard_dynptr: ['RINGBUF'],
  user_ringbuf_drain: ['USER_RINGBUF'],
  get_stackid: ['STACK_TRACE'],
  current_task_under_cgroup: ['CGROUP_ARRAY'],
  skb_under_cgroup: ['CGROUP_ARRAY'],
  redirect_map: ['DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP'],
  sk_redirect_map: ['SOCKMAP'],
  msg_redirect_map: ['SOCKMAP'],
  sock_map_update: ['SOCKMAP'],
  sk_redirect_hash: ['SOCKHASH'],
  msg_redirect_hash: ['SOCKHASH'],
  sock_hash_update: ['SOCKHASH'],
  get_local_storage: ['CGROUP_STORAGE', 'PERCPU_CGROUP_STORAGE'],
  sk_select_reuseport: ['REUSEPORT_SOCKARRAY', 'SOCKMAP', 'SOCKHASH'],
  map_pop_elem: ['QUEUE', 'STACK'],
  map_peek_elem: ['QUEUE', 'STACK', 'BLOOM_FILTER'],
  map_push_elem: ['QUEUE', 'STACK', 'BLOOM_FILTER'],
  map_lookup_percpu_elem: ['PERCPU_ARRAY', 'PERCPU_HASH', 'LRU_PERCPU_HASH'],
  sk_storage_get: ['SK_STORAGE'],
  sk_storage_delete: ['SK_STORAGE'],
  inode_storage_get: ['INODE_STORAGE'],
  inode_storage_delete: ['INODE_STORAGE'],
  task_storage_get: ['TASK_STORAGE'],
  task_storage_delete: ['TASK_STORAGE'],
  cgrp_storage_get: ['CGRP_STORAGE'],
  cgrp_storage_delete: ['CGRP_STORAGE'],
});

/**
 * may_update_sockmap: program types that may call map_update_elem and
 * map_delete_elem on a sockmap or sockhash. Besides these, sock_ops may
 * delete and tracing iterators (TRACE_ITER) may do both.
 */
export const SOCKMAP_UPDATE_PROG_TYPES: readonly ProgTypeName[] = Object.freeze([
  'SOCKET_FILTER', 'SCHED_CLS', 'SCHED_ACT', 'XDP', 'SK_REUSEPORT', 'FLOW_DISSECTOR', 'SK_LOOKUP',
]);

function mayUpdateSockmap(name: string, progType: ProgTypeName, attachType: AttachTypeName | undefined): boolean {
  if (SOCKMAP_UPDATE_PROG_TYPES.includes(progType)) return true;
  if (progType === 'SOCK_OPS') return name === 'map_delete_elem';
  return progType === 'TRACING' && attachType === 'TRACE_ITER';
}

const MAP_TYPE_NAMES = Object.keys(BPF_MAP_TYPE).filter((n) => n !== 'UNSPEC') as MapTypeName[];

/**
 * Whether the verifier lets a program of `progType` (loaded with
 * `attachType`) pass a map of `mapType` to `helper` (with or without `bpf_`).
 */
export function mapFuncCompatible(helper: string, mapType: MapTypeName, progType: ProgTypeName, attachType?: AttachTypeName): boolean {
  const name = helper.replace(/^bpf_/, '');
  const mapSide = MAP_TYPE_HELPERS[mapType];
  if (mapSide && !mapSide.includes(name)) return false;
  if ((mapType === 'SOCKMAP' || mapType === 'SOCKHASH') && (name === 'map_update_elem' || name === 'map_delete_elem')) {
    if (!mayUpdateSockmap(name, progType, attachType)) return false;
  }
  const helperSide = HELPER_MAP_TYPES[name];
  return !helperSide || helperSide.includes(mapType);
}

/** The map types `helper` accepts in programs of `progType`, in enum order. */
export function mapTypesForHelper(helper: string, progType: ProgTypeName, attachType?: AttachTypeName): MapTypeName[] {
  return MAP_TYPE_NAMES.filter((t) => mapFuncCompatible(helper, t, progType, attachType));
}
