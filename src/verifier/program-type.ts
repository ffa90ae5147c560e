/**
 * What the verifier needs to know about a program type: its context struct
 * (from src/platform/contexts.ts) and the map of `enum bpf_prog_type` names
 * to those descriptions.
 */
import { EbpfError } from '../internal/errors.js';
import {
  CGROUP_SKB_CTX, FLOW_DISSECTOR_CTX, KPROBE_CTX, PERF_EVENT_CTX, RAW_TRACEPOINT_CTX, SK_MSG_CTX, SK_SKB_CTX,
  SOCK_ADDR_CTX, SOCKET_FILTER_CTX, SYSCALL_CTX, TC_CTX, TRACEPOINT_CTX, XDP_CTX, type ContextSpec,
} from '../platform/contexts.js';
import { progTypeByName, progTypeName } from '../platform/uapi.js';

const CONTEXTS: Readonly<Record<string, ContextSpec>> = {
  socket_filter: SOCKET_FILTER_CTX,
  kprobe: KPROBE_CTX,
  sched_cls: TC_CTX,
  sched_act: TC_CTX,
  tracepoint: TRACEPOINT_CTX,
  xdp: XDP_CTX,
  perf_event: PERF_EVENT_CTX,
  cgroup_skb: CGROUP_SKB_CTX,
  sk_skb: SK_SKB_CTX,
  sk_msg: SK_MSG_CTX,
  raw_tracepoint: RAW_TRACEPOINT_CTX,
  cgroup_sock_addr: SOCK_ADDR_CTX,
  flow_dissector: FLOW_DISSECTOR_CTX,
  syscall: SYSCALL_CTX,
};

export interface ProgramTypeInfo {
  /** bpftool's name, `xdp`. */
  name: string;
  ctx: ContextSpec;
  /** `may_access_direct_pkt_data` for stores: the types that may write into the packet. */
  pktWrite: boolean;
}

const PKT_WRITE = new Set(['sched_cls', 'sched_act', 'xdp', 'lwt_xmit', 'sk_skb', 'sk_msg']);

/** The program type named `xdp`, `BPF_PROG_TYPE_XDP` or 6; a typed error for one we do not describe. */
export function programTypeInfo(progType: string | number): ProgramTypeInfo {
  const num = typeof progType === 'number' ? progType : progTypeByName(progType);
  const name = num === undefined ? undefined : progTypeName(num);
  const ctx = name ? CONTEXTS[name] : undefined;
  if (!name || !ctx) {
    throw new EbpfError('EPROGTYPE', `verifier: program type ${JSON.stringify(progType)} is not supported (supported: ${Object.keys(CONTEXTS).join(', ')})`);
  }
  return { name, ctx, pktWrite: PKT_WRITE.has(name) };
}
