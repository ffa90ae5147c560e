/**
 * libbpf's table of ELF section names (section_defs in libbpf.c): the
 * section a program is in (`SEC("kprobe/do_unlinkat")`) says its program
 * type, its expected attach type, load flags (sleepable, XDP frags) and what
 * it attaches to.
 *
 * Matching follows libbpf: a name ending in `+` matches the name itself or
 * the name followed by `/` and a target (`kprobe+` matches `kprobe` and
 * `kprobe/do_unlinkat`); a name ending in `/` is a plain prefix; any other
 * name must match exactly. The first match in table order wins.
 */
import {
  BPF_ATTACH_TYPE, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, BPF_PROG_TYPE, type AttachTypeName, type ProgTypeName,
} from './uapi.js';

/** What libbpf's SEC_* cookie flags say about a section. */
export interface SectionFlags {
  sleepable?: boolean;
  xdpFrags?: boolean;
  /** The target is a BTF name (fentry/fexit/lsm/tp_btf/iter/freplace): resolved against kernel BTF at load. */
  attachBtf?: boolean;
}

export interface SectionDef {
  /** Section name pattern, with libbpf's `+` / `/` suffix conventions. */
  pattern: string;
  progType: ProgTypeName;
  /** Expected attach type; undefined when libbpf passes 0. */
  attachType?: AttachTypeName;
  flags: SectionFlags;
}

const def = (pattern: string, progType: ProgTypeName, attachType?: AttachTypeName, flags: SectionFlags = {}): SectionDef =>
  ({ pattern, progType, attachType, flags });
const S = { sleepable: true };
const BTF = { attachBtf: true };
const BTF_S = { attachBtf: true, sleepable: true };
const FRAGS = { xdpFrags: true };

/** In libbpf's order: the first match wins. */
export const SECTION_DEFS: readonly SectionDef[] = Object.freeze([
  def('socket', 'SOCKET_FILTER'),
  def('sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  def('sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT'),
  def('kprobe+', 'KPROBE'),
  def('uprobe+', 'KPROBE'),
  def('uprobe.s+', 'KPROBE', undefined, S),
  def('kretprobe+', 'KPROBE'),
  def('uretprobe+', 'KPROBE'),
  def('uretprobe.s+', 'KPROBE', undefined, S),
  def('kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  def('kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  def('kprobe.session+', 'KPROBE', 'TRACE_KPROBE_SESSION'),
  def('uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  def('uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  def('uprobe.session+', 'KPROBE', 'TRACE_UPROBE_SESSION'),
  def('uprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  def('uretprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  def('uprobe.session.s+', 'KPROBE', 'TRACE_UPROBE_SESSION', S),
  def('ksyscall+', 'KPROBE'),
  def('kretsyscall+', 'KPROBE'),
  def('usdt+', 'KPROBE'),
  def('usdt.s+', 'KPROBE', undefined, S),
  def('tc/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  def('tc/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  def('tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  def('tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  def('tc', 'SCHED_CLS'),
  def('classifier', 'SCHED_CLS'),
  def('action', 'SCHED_ACT'),
  def('netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY'),
  def('netkit/peer', 'SCHED_CLS', 'NETKIT_PEER'),
  def('tracepoint+', 'TRACEPOINT'),
  def('tp+', 'TRACEPOINT'),
  def('raw_tracepoint+', 'RAW_TRACEPOINT'),
  def('raw_tp+', 'RAW_TRACEPOINT'),
  def('raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE'),
  def('raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE'),
  def('tp_btf+', 'TRACING', 'TRACE_RAW_TP', BTF),
  def('fentry+', 'TRACING', 'TRACE_FENTRY', BTF),
  def('fmod_ret+', 'TRACING', 'MODIFY_RETURN', BTF),
  def('fexit+', 'TRACING', 'TRACE_FEXIT', BTF),
  def('fentry.s+', 'TRACING', 'TRACE_FENTRY', BTF_S),
  def('fmod_ret.s+', 'TRACING', 'MODIFY_RETURN', BTF_S),
  def('fexit.s+', 'TRACING', 'TRACE_FEXIT', BTF_S),
  def('freplace+', 'EXT', undefined, BTF),
  def('lsm+', 'LSM', 'LSM_MAC', BTF),
  def('lsm.s+', 'LSM', 'LSM_MAC', BTF_S),
  def('lsm_cgroup+', 'LSM', 'LSM_CGROUP', BTF),
  def('iter+', 'TRACING', 'TRACE_ITER', BTF),
  def('iter.s+', 'TRACING', 'TRACE_ITER', BTF_S),
  def('syscall', 'SYSCALL', undefined, S),
  def('xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', FRAGS),
  def('xdp/devmap', 'XDP', 'XDP_DEVMAP'),
  def('xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', FRAGS),
  def('xdp/cpumap', 'XDP', 'XDP_CPUMAP'),
  def('xdp.frags', 'XDP', 'XDP', FRAGS),
  def('xdp', 'XDP', 'XDP'),
  def('perf_event', 'PERF_EVENT'),
  def('lwt_in', 'LWT_IN'),
  def('lwt_out', 'LWT_OUT'),
  def('lwt_xmit', 'LWT_XMIT'),
  def('lwt_seg6local', 'LWT_SEG6LOCAL'),
  def('sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS'),
  def('sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER'),
  def('sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT'),
  def('sk_skb', 'SK_SKB'),
  def('sk_msg', 'SK_MSG', 'SK_MSG_VERDICT'),
  def('lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2'),
  def('flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR'),
  def('cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS'),
  def('cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS'),
  def('cgroup/skb', 'CGROUP_SKB'),
  def('cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  def('cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE'),
  def('cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  def('cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'),
  def('cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND'),
  def('cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND'),
  def('cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND'),
  def('cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT'),
  def('cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'),
  def('cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT'),
  def('cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG'),
  def('cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG'),
  def('cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG'),
  def('cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG'),
  def('cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG'),
  def('cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG'),
  def('cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME'),
  def('cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME'),
  def('cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME'),
  def('cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME'),
  def('cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME'),
  def('cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME'),
  def('cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL'),
  def('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT'),
  def('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT'),
  def('cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE'),
  def('struct_ops+', 'STRUCT_OPS'),
  def('struct_ops.s+', 'STRUCT_OPS', undefined, S),
  def('sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP'),
  def('netfilter', 'NETFILTER', 'NETFILTER'),
]);

/** libbpf's sec_def_matches. */
export function sectionMatches(pattern: string, section: string): boolean {
  const last = pattern[pattern.length - 1];
  if (last === '/') return section.startsWith(pattern);
  if (last === '+') {
    const base = pattern.slice(0, -1);
    if (!section.startsWith(base)) return false;
    return section.length === base.length || section[base.length] === '/';
  }
  return section === pattern;
}

export interface SectionProgramType {
  /** The matching entry of the table. */
  def: SectionDef;
  progType: number;
  /** 0 when the section implies none (libbpf passes 0 then). */
  expectedAttachType: number;
  /** `BPF_F_SLEEPABLE` / `BPF_F_XDP_HAS_FRAGS`. */
  progFlags: number;
  /** What follows the section's prefix and its `/`: `do_unlinkat` of `kprobe/do_unlinkat`; empty when nothing does. */
  attachTo: string;
}

/** The program type a section name implies, or undefined when libbpf's table has no entry for it. */
export function programTypeForSection(section: string): SectionProgramType | undefined {
  const found = SECTION_DEFS.find((d) => sectionMatches(d.pattern, section));
  if (!found) return undefined;
  const base = found.pattern.replace(/[+/]$/, '');
  let attachTo = '';
  if (section.length > base.length && section[base.length] === '/') attachTo = section.slice(base.length + 1);
  else if (found.pattern.endsWith('/')) attachTo = section.slice(found.pattern.length);
  return {
    def: found,
    progType: BPF_PROG_TYPE[found.progType],
    expectedAttachType: found.attachType === undefined ? 0 : BPF_ATTACH_TYPE[found.attachType],
    progFlags: (found.flags.sleepable ? BPF_F_SLEEPABLE : 0) | (found.flags.xdpFrags ? BPF_F_XDP_HAS_FRAGS : 0),
    attachTo,
  };
}
