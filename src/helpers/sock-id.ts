/**
 * The helpers that report a socket's identities (net/core/filter.c): its
 * cookie, its owner's uid, the cgroup it was made in and the cookie of its
 * network namespace, for the skb's socket (skb->sk: in a test run, the
 * socket BPF_PROG_TEST_RUN gives the skb) or a socket pointer of the table.
 */
import { TC_CTX } from '../platform/index.js';
import type { HelperContext } from './context.js';
import { RuntimeError } from './errors.js';
import { cgroupAncestorId } from './host-id.js';
import { frameOf, view, type PacketRuns } from './packet.js';
import type { Sock, SocketTable } from './sock.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_get_socket_cookie = 46;
export const BPF_FUNC_get_socket_uid = 47;
export const BPF_FUNC_skb_cgroup_id = 79;
export const BPF_FUNC_skb_ancestor_cgroup_id = 83;
export const BPF_FUNC_get_netns_cookie = 122;
export const BPF_FUNC_sk_cgroup_id = 128;
export const BPF_FUNC_sk_ancestor_cgroup_id = 129;

/** overflowuid: the uid bpf_get_socket_uid reports for an skb without a full socket. */
export const OVERFLOWUID = 65534;

const SKB_SK = TC_CTX.fields.find((f) => f.name === 'sk')!.offset;

/** The running skb's socket (skb->sk, from the __sk_buff the program reads), or undefined. */
export function skbSock(table: SocketTable, packets: PacketRuns, ctx: HelperContext, skb: bigint, helper: string): Sock | undefined {
  const f = frameOf(packets, skb, 'skb', helper);
  const sk = view(ctx).getBigUint64(f.ctx + SKB_SK, true);
  if (sk === 0n) return undefined;
  const found = table.resolve(sk);
  if (!found) throw new RuntimeError(`${helper}: skb->sk 0x${sk.toString(16)} is not a socket of this runtime`);
  return found.sock;
}

/** A socket pointer argument (the verifier passes only sockets of the table). */
function sockArg(table: SocketTable, helper: string, sk: bigint): Sock {
  const found = table.resolve(sk);
  if (!found) throw new RuntimeError(`${helper}: r1 = 0x${sk.toString(16)} is not a socket of this runtime`);
  return found.sock;
}

/** Whether `r1` is the context of the skb being run. */
const isSkb = (packets: PacketRuns, r1: bigint): boolean => packets.current?.kind === 'skb' && BigInt(packets.current.ctx) === r1;

/** The ids of the cgroup `sk` was made in, from the root down. */
export const cgroupOf = (ctx: HelperContext, sk: Sock): readonly bigint[] => sk.spec.cgroup?.map(BigInt) ?? ctx.cgroup;

/**
 * bpf_get_socket_cookie, bpf_get_socket_uid, bpf_get_netns_cookie,
 * bpf_skb_cgroup_id, bpf_skb_ancestor_cgroup_id, bpf_sk_cgroup_id and
 * bpf_sk_ancestor_cgroup_id over the sockets of `table` and the skb of `packets`.
 */
export function socketIdHelpers(table: SocketTable, packets: PacketRuns): HelperDef[] {
  /** __bpf_sk_cgroup_id and __bpf_sk_ancestor_cgroup_id: of the full socket; 0 without one. */
  const sockCgroup = (ctx: HelperContext, sk: Sock | undefined, level?: bigint): bigint => {
    const full = sk && table.fullSk(sk);
    if (!full) return 0n;
    const path = cgroupOf(ctx, full);
    return level === undefined ? path[path.length - 1] : cgroupAncestorId(path, level);
  };
  return [
    {
      // bpf_get_socket_cookie(skb) of skb programs: 0 without skb->sk; bpf_get_socket_ptr_cookie(sk) of tracing: 0 for NULL.
      id: BPF_FUNC_get_socket_cookie, name: 'bpf_get_socket_cookie',
      fn: (ctx, r1) => {
        if (isSkb(packets, r1)) {
          const sk = skbSock(table, packets, ctx, r1, 'bpf_get_socket_cookie');
          return sk ? table.cookieOf(sk) : 0n;
        }
        if (r1 === 0n) return 0n;
        const found = table.resolve(r1);
        if (!found) throw new RuntimeError(`bpf_get_socket_cookie: r1 = 0x${r1.toString(16)} is neither the running skb's context nor a socket of this runtime`);
        return table.cookieOf(found.sock);
      },
    },
    {
      // sk_uid of skb->sk's full socket, overflowuid without one.
      id: BPF_FUNC_get_socket_uid, name: 'bpf_get_socket_uid',
      fn: (ctx, skb) => {
        const sk = skbSock(table, packets, ctx, skb, 'bpf_get_socket_uid');
        const full = sk && table.fullSk(sk);
        return BigInt(full ? full.spec.uid ?? 0 : OVERFLOWUID);
      },
    },
    {
      // The cookie of skb->sk's namespace, of the initial namespace for NULL or an skb without a socket. skb->sk is
      // always in the runtime's own namespace: the test run makes it there and bpf_sk_assign refuses any other.
      id: BPF_FUNC_get_netns_cookie, name: 'bpf_get_netns_cookie',
      fn: (ctx, r1) => {
        if (r1 === 0n) return ctx.initNetnsCookie;
        return skbSock(table, packets, ctx, r1, 'bpf_get_netns_cookie') ? ctx.netnsCookie : ctx.initNetnsCookie;
      },
    },
    {
      id: BPF_FUNC_skb_cgroup_id, name: 'bpf_skb_cgroup_id',
      fn: (ctx, skb) => sockCgroup(ctx, skbSock(table, packets, ctx, skb, 'bpf_skb_cgroup_id')),
    },
    {
      id: BPF_FUNC_skb_ancestor_cgroup_id, name: 'bpf_skb_ancestor_cgroup_id',
      fn: (ctx, skb, level) => sockCgroup(ctx, skbSock(table, packets, ctx, skb, 'bpf_skb_ancestor_cgroup_id'), level),
    },
    {
      id: BPF_FUNC_sk_cgroup_id, name: 'bpf_sk_cgroup_id',
      fn: (ctx, sk) => sockCgroup(ctx, sockArg(table, 'bpf_sk_cgroup_id', sk)),
    },
    {
      id: BPF_FUNC_sk_ancestor_cgroup_id, name: 'bpf_sk_ancestor_cgroup_id',
      fn: (ctx, sk, level) => sockCgroup(ctx, sockArg(table, 'bpf_sk_ancestor_cgroup_id', sk), level),
    },
  ];
}
