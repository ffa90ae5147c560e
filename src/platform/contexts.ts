/**
 * Program contexts: the struct a program finds in R1, field by field, with
 * the accesses the kernel's `*_is_valid_access` functions allow and what a
 * load gives the verifier. Layouts are the uAPI's (include/uapi/linux/bpf.h)
 * and x86-64's `struct pt_regs`; the rules are Linux 6.18's, checked against
 * it access by access (test/platform).
 *
 * An access (offset, size) is valid when it lies inside one field (and
 * starts at it, for fields read only from their start), the offset is a
 * multiple of the size, the size is one the field allows for that
 * direction, and the field is available to the program's expected attach
 * type. Bytes no field covers (padding, hidden members) are never
 * accessible.
 */
import type { AttachTypeName } from './uapi.js';

/** What a context load gives the verifier (enum bpf_reg_type; SCALAR_VALUE for plain data). */
export type CtxRegType =
  | 'SCALAR_VALUE' | 'PTR_TO_PACKET' | 'PTR_TO_PACKET_META' | 'PTR_TO_PACKET_END' | 'PTR_TO_SOCK_COMMON_OR_NULL'
  | 'PTR_TO_SOCKET' | 'PTR_TO_SOCKET_OR_NULL' | 'PTR_TO_FLOW_KEYS' | 'PTR_TO_BTF_ID';

export type AccessSize = 1 | 2 | 4 | 8;

export interface CtxAccess {
  /** Access sizes in bytes, each naturally aligned (offset % size == 0) and inside the field. */
  sizes: readonly AccessSize[];
}

export interface CtxField {
  name: string;
  offset: number;
  size: number;
  /** Loads; absent when the program may not read the field. */
  read?: CtxAccess;
  /** Stores; absent when the field is read-only. */
  write?: CtxAccess;
  /** What a load gives the verifier; SCALAR_VALUE when absent. */
  regType?: CtxRegType;
  /** Only programs loaded with one of these expected attach types may access the field. */
  attachTypes?: readonly AttachTypeName[];
  /** Accesses must begin at the field's offset (narrow loads read its low bytes). */
  atStart?: boolean;
  /** Narrow accesses must lie in the first this many bytes (a __be16 the kernel also lets programs load as a whole u32). */
  narrowWithin?: number;
}

export interface ContextSpec {
  /** The C struct (`__sk_buff`, `xdp_md`, `pt_regs`). */
  struct: string;
  /** sizeof the struct as the verifier bounds it. */
  size: number;
  fields: readonly CtxField[];
  /** What the layout means when it is not a fixed struct (raw tracepoint records, BTF function arguments). */
  note?: string;
}

export type CtxAccessType = 'read' | 'write';

export interface CtxAccessResult {
  field: CtxField;
  regType: CtxRegType;
}

/**
 * The kernel's verdict on a context access: the field and what a load gives,
 * or undefined when the verifier rejects it (`invalid bpf_context access`).
 */
export function ctxAccess(ctx: ContextSpec, off: number, size: number, type: CtxAccessType, attachType?: AttachTypeName): CtxAccessResult | undefined {
  if (!Number.isInteger(off) || off < 0 || off >= ctx.size || off % size !== 0) return undefined;
  const field = ctx.fields.find((f) => off >= f.offset && off < f.offset + f.size);
  if (!field || off + size > field.offset + field.size) return undefined;
  if (field.attachTypes && (attachType === undefined || !field.attachTypes.includes(attachType))) return undefined;
  if (field.atStart && off !== field.offset) return undefined;
  if (field.narrowWithin !== undefined && size < field.size && off + size > field.offset + field.narrowWithin) return undefined;
  const rule = type === 'read' ? field.read : field.write;
  if (!rule || !(rule.sizes as readonly number[]).includes(size)) return undefined;
  return { field, regType: field.regType ?? 'SCALAR_VALUE' };
}

const NARROW: CtxAccess = { sizes: [1, 2, 4] };
const ANY_SIZE: CtxAccess = { sizes: [1, 2, 4, 8] };
const WORD: CtxAccess = { sizes: [4] };
const DWORD: CtxAccess = { sizes: [8] };

function freezeCtx(spec: ContextSpec): ContextSpec {
  return Object.freeze({ ...spec, fields: Object.freeze(spec.fields.map((f) => Object.freeze(f))) });
}

/** struct __sk_buff: name, offset, size, the loads bpf_skb_is_valid_access allows, and the store sizes when a type makes it writable. */
const SKB_FIELDS: readonly { name: string; offset: number; size: number; read?: CtxAccess; write?: CtxAccess }[] = [
  { name: 'len', offset: 0, size: 4, read: NARROW, write: WORD },
  { name: 'pkt_type', offset: 4, size: 4, read: NARROW, write: WORD },
  { name: 'mark', offset: 8, size: 4, read: NARROW, write: WORD },
  { name: 'queue_mapping', offset: 12, size: 4, read: NARROW, write: WORD },
  { name: 'protocol', offset: 16, size: 4, read: NARROW, write: WORD },
  { name: 'vlan_present', offset: 20, size: 4, read: NARROW, write: WORD },
  { name: 'vlan_tci', offset: 24, size: 4, read: NARROW, write: WORD },
  { name: 'vlan_proto', offset: 28, size: 4, read: NARROW, write: WORD },
  { name: 'priority', offset: 32, size: 4, read: NARROW, write: WORD },
  { name: 'ingress_ifindex', offset: 36, size: 4, read: NARROW, write: WORD },
  { name: 'ifindex', offset: 40, size: 4, read: NARROW, write: WORD },
  { name: 'tc_index', offset: 44, size: 4, read: NARROW, write: WORD },
  { name: 'cb', offset: 48, size: 20, read: ANY_SIZE, write: ANY_SIZE },
  { name: 'hash', offset: 68, size: 4, read: NARROW, write: WORD },
  { name: 'tc_classid', offset: 72, size: 4, read: NARROW, write: WORD },
  { name: 'data', offset: 76, size: 4, read: WORD, write: WORD },
  { name: 'data_end', offset: 80, size: 4, read: WORD, write: WORD },
  { name: 'napi_id', offset: 84, size: 4, read: NARROW, write: WORD },
  { name: 'family', offset: 88, size: 4, read: NARROW, write: WORD },
  { name: 'remote_ip4', offset: 92, size: 4, read: WORD, write: WORD },
  { name: 'local_ip4', offset: 96, size: 4, read: WORD, write: WORD },
  { name: 'remote_ip6', offset: 100, size: 16, read: WORD, write: WORD },
  { name: 'local_ip6', offset: 116, size: 16, read: WORD, write: WORD },
  { name: 'remote_port', offset: 132, size: 4, read: NARROW, write: WORD },
  { name: 'local_port', offset: 136, size: 4, read: NARROW, write: WORD },
  { name: 'data_meta', offset: 140, size: 4, read: WORD, write: WORD },
  { name: 'flow_keys', offset: 144, size: 8 },
  { name: 'tstamp', offset: 152, size: 8, read: DWORD, write: DWORD },
  { name: 'wire_len', offset: 160, size: 4, read: NARROW, write: WORD },
  { name: 'gso_segs', offset: 164, size: 4, read: NARROW, write: WORD },
  { name: 'sk', offset: 168, size: 8, read: DWORD },
  { name: 'gso_size', offset: 176, size: 4, read: NARROW, write: WORD },
  { name: 'tstamp_type', offset: 180, size: 1 },
  { name: 'hwtstamp', offset: 184, size: 8, read: DWORD },
];

/** The __sk_buff members from `family` to `local_port`: socket fields only some types see. */
const SKB_SOCKET_FIELDS = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'];

interface SkbRules {
  /** Members the type's is_valid_access refuses. */
  hidden: readonly string[];
  /** Members the type may store to (with the store sizes of SKB_FIELDS). */
  writable: readonly string[];
  regTypes?: Readonly<Record<string, CtxRegType>>;
  /** Loads allowed beyond bpf_skb_is_valid_access (tc reads tstamp_type as one byte). */
  extraReads?: Readonly<Record<string, CtxAccess>>;
}

/** A program type's view of __sk_buff: the common rules with its own hidden, writable and pointer members. */
function skbContext(rules: SkbRules): ContextSpec {
  const regTypes: Record<string, CtxRegType> = { sk: 'PTR_TO_SOCK_COMMON_OR_NULL', ...rules.regTypes };
  return freezeCtx({
    struct: '__sk_buff',
    size: 192,
    fields: SKB_FIELDS.map((f) => {
      const hidden = rules.hidden.includes(f.name);
      const read = hidden ? undefined : (rules.extraReads?.[f.name] ?? f.read);
      const write = !hidden && rules.writable.includes(f.name) ? f.write : undefined;
      return {
        name: f.name, offset: f.offset, size: f.size,
        ...(read ? { read } : {}), ...(write ? { write } : {}),
        ...(read && regTypes[f.name] ? { regType: regTypes[f.name] } : {}),
      };
    }),
  });
}

const PACKET_REGS: Readonly<Record<string, CtxRegType>> = { data: 'PTR_TO_PACKET', data_end: 'PTR_TO_PACKET_END' };

/** sk_filter_is_valid_access: no direct packet access, only cb is writable. */
export const SOCKET_FILTER_CTX = skbContext({
  hidden: ['tc_classid', 'data', 'data_meta', 'data_end', ...SKB_SOCKET_FIELDS, 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['cb'],
});

/** tc_cls_act_is_valid_access: packet and metadata pointers; mark, priority, tc fields, cb, tstamp and queue_mapping writable. */
export const TC_CTX = skbContext({
  hidden: SKB_SOCKET_FIELDS,
  writable: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
  regTypes: { ...PACKET_REGS, data_meta: 'PTR_TO_PACKET_META' },
  extraReads: { tstamp_type: { sizes: [1] } },
});

/** cg_skb_is_valid_access (with CAP_BPF: packet reads and tstamp stores). */
export const CGROUP_SKB_CTX = skbContext({
  hidden: ['tc_classid', 'data_meta', 'wire_len'],
  writable: ['mark', 'priority', 'cb', 'tstamp'],
  regTypes: PACKET_REGS,
});

/** sk_skb_is_valid_access: no mark, no timestamps; tc_index and priority writable. */
export const SK_SKB_CTX = skbContext({
  hidden: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'mark'],
  writable: ['tc_index', 'priority'],
  regTypes: PACKET_REGS,
});

/** flow_dissector_is_valid_access: the packet and the flow keys to fill, nothing else. */
export const FLOW_DISSECTOR_CTX = freezeCtx({
  struct: '__sk_buff',
  size: 192,
  fields: [
    { name: 'data', offset: 76, size: 4, read: WORD, regType: 'PTR_TO_PACKET' },
    { name: 'data_end', offset: 80, size: 4, read: WORD, regType: 'PTR_TO_PACKET_END' },
    { name: 'flow_keys', offset: 144, size: 8, read: DWORD, regType: 'PTR_TO_FLOW_KEYS' },
  ],
});

/** xdp_is_valid_access: whole u32 loads only; egress_ifindex exists for devmap programs. */
export const XDP_CTX = freezeCtx({
  struct: 'xdp_md',
  size: 24,
  fields: [
    { name: 'data', offset: 0, size: 4, read: WORD, regType: 'PTR_TO_PACKET' },
    { name: 'data_end', offset: 4, size: 4, read: WORD, regType: 'PTR_TO_PACKET_END' },
    { name: 'data_meta', offset: 8, size: 4, read: WORD, regType: 'PTR_TO_PACKET_META' },
    { name: 'ingress_ifindex', offset: 12, size: 4, read: WORD },
    { name: 'rx_queue_index', offset: 16, size: 4, read: WORD },
    { name: 'egress_ifindex', offset: 20, size: 4, read: WORD, attachTypes: ['XDP_DEVMAP'] },
  ],
});

/** x86-64 `struct pt_regs`, in memory order. */
export const PT_REGS_X86_64: readonly string[] = Object.freeze([
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip',
  'cs', 'flags', 'sp', 'ss',
]);

/** kprobe_prog_is_valid_access: any aligned read inside pt_regs, no writes. */
export const KPROBE_CTX = freezeCtx({
  struct: 'pt_regs',
  size: PT_REGS_X86_64.length * 8,
  fields: PT_REGS_X86_64.map((name, i) => ({ name, offset: i * 8, size: 8, read: ANY_SIZE })),
  note: 'x86-64 layout',
});

/** pe_prog_is_valid_access: registers as whole longs, sample_period and addr narrow too. */
export const PERF_EVENT_CTX = freezeCtx({
  struct: 'bpf_perf_event_data',
  size: PT_REGS_X86_64.length * 8 + 16,
  fields: [
    ...PT_REGS_X86_64.map((name, i) => ({ name: `regs.${name}`, offset: i * 8, size: 8, read: DWORD })),
    { name: 'sample_period', offset: PT_REGS_X86_64.length * 8, size: 8, read: ANY_SIZE },
    { name: 'addr', offset: PT_REGS_X86_64.length * 8 + 8, size: 8, read: ANY_SIZE },
  ],
  note: 'regs is bpf_user_pt_regs_t, x86-64 layout',
});

/** PERF_MAX_TRACE_SIZE: the bound tp_prog_is_valid_access puts on a tracepoint record. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** tp_prog_is_valid_access: the raw record after its 8 bytes of common fields, read-only. */
export const TRACEPOINT_CTX = freezeCtx({
  struct: 'trace_event_raw_*',
  size: PERF_MAX_TRACE_SIZE,
  fields: [{ name: 'record', offset: 8, size: PERF_MAX_TRACE_SIZE - 8, read: ANY_SIZE }],
  note: 'the tracepoint format (tracefs events/<category>/<name>/format) lays out the record; the first 8 bytes are the common fields, which programs may not read',
});

/** MAX_BPF_FUNC_ARGS: raw tracepoint and BTF-traced functions pass at most this many u64 arguments. */
export const MAX_BPF_FUNC_ARGS = 12;

/** raw_tp_prog_is_valid_access: u64 args[], any aligned read. */
export const RAW_TRACEPOINT_CTX = freezeCtx({
  struct: 'bpf_raw_tracepoint_args',
  size: MAX_BPF_FUNC_ARGS * 8,
  fields: [{ name: 'args', offset: 0, size: MAX_BPF_FUNC_ARGS * 8, read: ANY_SIZE }],
  note: 'u64 args[]: the tracepoint\'s arguments, each widened to 64 bits',
});

/** syscall_prog_is_valid_access: the caller's buffer (ctx_in), read and written at any aligned offset below U16_MAX. */
export const SYSCALL_CTX = freezeCtx({
  struct: 'ctx',
  size: 0xffff,
  fields: [{ name: 'ctx', offset: 0, size: 0xffff, read: ANY_SIZE, write: ANY_SIZE }],
  note: 'whatever the caller passes as ctx_in; BPF_PROG_TEST_RUN needs ctx_size_in to cover the highest offset the program touches',
});

/** sk_msg_is_valid_access: read-only; packet pointers and the socket as whole u64 loads, the rest as whole u32. */
export const SK_MSG_CTX = freezeCtx({
  struct: 'sk_msg_md',
  size: 80,
  fields: [
    { name: 'data', offset: 0, size: 8, read: DWORD, regType: 'PTR_TO_PACKET' },
    { name: 'data_end', offset: 8, size: 8, read: DWORD, regType: 'PTR_TO_PACKET_END' },
    { name: 'family', offset: 16, size: 4, read: WORD },
    { name: 'remote_ip4', offset: 20, size: 4, read: WORD },
    { name: 'local_ip4', offset: 24, size: 4, read: WORD },
    { name: 'remote_ip6', offset: 28, size: 16, read: WORD },
    { name: 'local_ip6', offset: 44, size: 16, read: WORD },
    { name: 'remote_port', offset: 60, size: 4, read: WORD },
    { name: 'local_port', offset: 64, size: 4, read: WORD },
    { name: 'size', offset: 68, size: 4, read: WORD },
    { name: 'sk', offset: 72, size: 8, read: DWORD, regType: 'PTR_TO_SOCKET' },
  ],
});

/**
 * struct bpf_sock as a socket pointer reads it (`bpf_sock_is_valid_access`):
 * every field, read-only; the addresses in any aligned narrow piece.
 */
export const BPF_SOCK = freezeCtx({
  struct: 'bpf_sock',
  size: 80,
  fields: [
    { name: 'bound_dev_if', offset: 0, size: 4, read: WORD },
    { name: 'family', offset: 4, size: 4, read: NARROW, atStart: true },
    { name: 'type', offset: 8, size: 4, read: NARROW, atStart: true },
    { name: 'protocol', offset: 12, size: 4, read: NARROW, atStart: true },
    { name: 'mark', offset: 16, size: 4, read: WORD },
    { name: 'priority', offset: 20, size: 4, read: WORD },
    { name: 'src_ip4', offset: 24, size: 4, read: NARROW },
    { name: 'src_ip6', offset: 28, size: 16, read: NARROW },
    { name: 'src_port', offset: 44, size: 4, read: NARROW, atStart: true },
    // A __be16, also readable as a whole u32; the 16 bits of padding after it are not.
    { name: 'dst_port', offset: 48, size: 4, read: NARROW, narrowWithin: 2 },
    { name: 'dst_ip4', offset: 52, size: 4, read: NARROW },
    { name: 'dst_ip6', offset: 56, size: 16, read: NARROW },
    { name: 'state', offset: 72, size: 4, read: NARROW, atStart: true },
    { name: 'rx_queue_mapping', offset: 76, size: 4, read: NARROW, atStart: true },
  ],
});

/** `bpf_sock_common_is_valid_access`: a sock_common has no type, protocol, mark or priority. */
export const BPF_SOCK_COMMON = freezeCtx({ ...BPF_SOCK, fields: BPF_SOCK.fields.filter((f) => f.offset < 8 || f.offset >= 24) });

const SOCK_CREATE_RELEASE: readonly AttachTypeName[] = ['CGROUP_INET_SOCK_CREATE', 'CGROUP_INET_SOCK_RELEASE'];
const SOCK_CREATE_RELEASE_RW: Partial<CtxField> = { write: WORD, attachTypes: SOCK_CREATE_RELEASE };
/** Where the cgroup/sock context differs from a socket pointer's view of struct bpf_sock. */
const CGROUP_SOCK_FIELDS: Readonly<Record<string, Partial<CtxField>>> = {
  bound_dev_if: SOCK_CREATE_RELEASE_RW,
  mark: SOCK_CREATE_RELEASE_RW,
  priority: SOCK_CREATE_RELEASE_RW,
  src_ip4: { attachTypes: ['CGROUP_INET4_POST_BIND'] },
  src_ip6: { attachTypes: ['CGROUP_INET6_POST_BIND'] },
  src_port: { attachTypes: ['CGROUP_INET4_POST_BIND', 'CGROUP_INET6_POST_BIND'] },
};

/**
 * sock_filter_is_valid_access (cgroup/sock_create, sock_release, post_bind4/6):
 * struct bpf_sock; bound_dev_if, mark and priority writable at socket creation
 * and release, the source address and port readable after bind, the rest
 * read-only.
 */
export const CGROUP_SOCK_CTX = freezeCtx({ ...BPF_SOCK, fields: BPF_SOCK.fields.map((f) => ({ ...f, ...CGROUP_SOCK_FIELDS[f.name] })) });

/** sk_lookup_is_valid_access: read-only; the selected socket as a whole u64, the rest narrow. */
export const SK_LOOKUP_CTX = freezeCtx({
  struct: 'bpf_sk_lookup',
  size: 72,
  fields: [
    { name: 'sk', offset: 0, size: 8, read: DWORD, regType: 'PTR_TO_SOCKET_OR_NULL' },
    { name: 'family', offset: 8, size: 4, read: NARROW },
    { name: 'protocol', offset: 12, size: 4, read: NARROW },
    { name: 'remote_ip4', offset: 16, size: 4, read: NARROW },
    { name: 'remote_ip6', offset: 20, size: 16, read: NARROW },
    { name: 'remote_port', offset: 36, size: 4, read: NARROW },
    { name: 'local_ip4', offset: 40, size: 4, read: NARROW },
    { name: 'local_ip6', offset: 44, size: 16, read: NARROW },
    { name: 'local_port', offset: 60, size: 4, read: NARROW },
    { name: 'ingress_ifindex', offset: 64, size: 4, read: NARROW },
  ],
});

/** The u32 members of struct bpf_sock_ops from family to sk_txhash, in order. */
const SOCK_OPS_U32: readonly [string, number][] = [
  ['family', 4], ['remote_ip4', 4], ['local_ip4', 4], ['remote_ip6', 16], ['local_ip6', 16], ['remote_port', 4],
  ['local_port', 4], ['is_fullsock', 4], ['snd_cwnd', 4], ['srtt_us', 4], ['bpf_sock_ops_cb_flags', 4], ['state', 4],
  ['rtt_min', 4], ['snd_ssthresh', 4], ['rcv_nxt', 4], ['snd_nxt', 4], ['snd_una', 4], ['mss_cache', 4], ['ecn_flags', 4],
  ['rate_delivered', 4], ['rate_interval_us', 4], ['packets_out', 4], ['retrans_out', 4], ['total_retrans', 4],
  ['segs_in', 4], ['data_segs_in', 4], ['segs_out', 4], ['data_segs_out', 4], ['lost_out', 4], ['sacked_out', 4],
];

/**
 * sock_ops_is_valid_access: whole u32 loads (u64 for the counters and
 * pointers), skb_tcp_flags narrow; stores only to reply and sk_txhash.
 */
export const SOCK_OPS_CTX = freezeCtx({
  struct: 'bpf_sock_ops',
  size: 224,
  fields: [
    { name: 'op', offset: 0, size: 4, read: WORD },
    { name: 'reply', offset: 4, size: 4, read: WORD, write: WORD },
    { name: 'args', offset: 8, size: 12, read: WORD },
    ...SOCK_OPS_U32.map(([name, size], i) => ({ name, offset: 20 + SOCK_OPS_U32.slice(0, i).reduce((n, [, s]) => n + s, 0), size, read: WORD })),
    { name: 'sk_txhash', offset: 164, size: 4, read: WORD, write: WORD },
    { name: 'bytes_received', offset: 168, size: 8, read: DWORD },
    { name: 'bytes_acked', offset: 176, size: 8, read: DWORD },
    { name: 'sk', offset: 184, size: 8, read: DWORD, regType: 'PTR_TO_SOCKET_OR_NULL' },
    { name: 'skb_data', offset: 192, size: 8, read: DWORD, regType: 'PTR_TO_PACKET' },
    { name: 'skb_data_end', offset: 200, size: 8, read: DWORD, regType: 'PTR_TO_PACKET_END' },
    { name: 'skb_len', offset: 208, size: 4, read: WORD },
    { name: 'skb_tcp_flags', offset: 212, size: 4, read: NARROW, atStart: true },
    { name: 'skb_hwtstamp', offset: 216, size: 8, read: DWORD },
  ],
  note: 'reply is the union with args[0]; args holds args[1..3]',
});

/** nf_is_valid_access: the hook state and the skb, each a whole u64 load of a trusted BTF pointer. */
export const NETFILTER_CTX = freezeCtx({
  struct: 'bpf_nf_ctx',
  size: 16,
  fields: [
    { name: 'state', offset: 0, size: 8, read: DWORD, regType: 'PTR_TO_BTF_ID' },
    { name: 'skb', offset: 8, size: 8, read: DWORD, regType: 'PTR_TO_BTF_ID' },
  ],
});

const INET4_SOCK_ADDR: readonly AttachTypeName[] = [
  'CGROUP_INET4_BIND', 'CGROUP_INET4_CONNECT', 'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET4_GETSOCKNAME', 'CGROUP_UDP4_SENDMSG', 'CGROUP_UDP4_RECVMSG',
];
const INET6_SOCK_ADDR: readonly AttachTypeName[] = [
  'CGROUP_INET6_BIND', 'CGROUP_INET6_CONNECT', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_INET6_GETSOCKNAME', 'CGROUP_UDP6_SENDMSG', 'CGROUP_UDP6_RECVMSG',
];
/** Narrow loads; whole u64 loads and stores in the IPv6 arrays. */
const ADDR_READ: CtxAccess = NARROW;
const ADDR6_READ: CtxAccess = ANY_SIZE;
const ADDR6_WRITE: CtxAccess = { sizes: [4, 8] };

/** sock_addr_is_valid_access: addresses of the attach type's family, writable; the rest read-only. */
export const SOCK_ADDR_CTX = freezeCtx({
  struct: 'bpf_sock_addr',
  size: 72,
  fields: [
    { name: 'user_family', offset: 0, size: 4, read: WORD },
    { name: 'user_ip4', offset: 4, size: 4, read: ADDR_READ, write: WORD, attachTypes: INET4_SOCK_ADDR },
    { name: 'user_ip6', offset: 8, size: 16, read: ADDR6_READ, write: ADDR6_WRITE, attachTypes: INET6_SOCK_ADDR },
    { name: 'user_port', offset: 24, size: 4, read: ADDR_READ, write: WORD },
    { name: 'family', offset: 28, size: 4, read: WORD },
    { name: 'type', offset: 32, size: 4, read: WORD },
    { name: 'protocol', offset: 36, size: 4, read: WORD },
    { name: 'msg_src_ip4', offset: 40, size: 4, read: ADDR_READ, write: WORD, attachTypes: ['CGROUP_UDP4_SENDMSG'] },
    { name: 'msg_src_ip6', offset: 44, size: 16, read: ADDR6_READ, write: ADDR6_WRITE, attachTypes: ['CGROUP_UDP6_SENDMSG'] },
    { name: 'sk', offset: 64, size: 8, read: DWORD, regType: 'PTR_TO_SOCKET' },
  ],
});

/** How a BTF-traced function passes one argument: a scalar (integer, enum, bool) or a pointer to a struct. */
export type BtfArgKind = 'scalar' | 'pointer';

/**
 * The context of BTF-traced functions (tp_btf, fentry, fexit, fmod_ret, lsm,
 * iter): u64 args[], one slot per argument of the target (and one for the
 * return value where the attach type sees it), read-only (btf_ctx_access).
 * A scalar argument may be loaded narrow from the start of its slot; a
 * pointer only whole, as PTR_TO_BTF_ID of its struct.
 */
export function btfFuncContext(args: readonly BtfArgKind[], retval?: BtfArgKind): ContextSpec {
  const slots = retval ? [...args, retval] : args;
  return freezeCtx({
    struct: 'u64 args[]',
    size: MAX_BPF_FUNC_ARGS * 8,
    fields: slots.map((kind, i) => ({
      name: retval && i === args.length ? 'retval' : `args[${i}]`,
      offset: i * 8,
      size: 8,
      read: kind === 'scalar' ? ANY_SIZE : DWORD,
      atStart: true,
      ...(kind === 'pointer' ? { regType: 'PTR_TO_BTF_ID' as const } : {}),
    })),
    note: 'one u64 per argument of the attach target, laid out by its BTF (btfFuncContext(kinds, retval) for one target); loads start at a slot',
  });
}
