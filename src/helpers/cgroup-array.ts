/**
 * bpf_current_task_under_cgroup and bpf_skb_under_cgroup
 * (kernel/trace/bpf_trace.c, net/core/filter.c): whether the current task,
 * or the skb's socket, is in the cgroup a BPF_MAP_TYPE_CGROUP_ARRAY slot
 * holds or in one below it. A cgroup path lists every ancestor's id, so
 * "below" is "the cgroup's id is on the path".
 */
import { CgroupArrayMap, type MapRegistry } from '../maps/index.js';
import { mapTypeName } from '../platform/index.js';
import type { HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { RuntimeError } from './errors.js';
import type { PacketRuns } from './packet.js';
import type { SocketTable } from './sock.js';
import { cgroupOf, skbSock } from './sock-id.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_skb_under_cgroup = 33;
export const BPF_FUNC_current_task_under_cgroup = 37;

/** The cgroup array at `addr`, or a RuntimeError naming the helper (the verifier passes no other map). */
function cgroupArray(registry: MapRegistry, helper: string, addr: bigint): CgroupArrayMap {
  const map = registry.mapByAddress(addr);
  if (map instanceof CgroupArrayMap) return map;
  const what = map ? `a ${mapTypeName(map.type) ?? `type ${map.type}`} map, not a cgroup_array` : 'not a map';
  throw new RuntimeError(`${helper}: 0x${addr.toString(16)} is ${what}`, { addr });
}

/** The slot's cgroup id, or the errno: E2BIG past the array, EAGAIN for an empty slot. */
function slotCgroup(map: CgroupArrayMap, index: bigint): bigint | 'E2BIG' | 'EAGAIN' {
  const i = Number(index & 0xffffffffn);
  if (i >= map.maxEntries) return 'E2BIG';
  return map.cgroupId(i) ?? 'EAGAIN';
}

const under = (path: readonly bigint[], cgroup: bigint | 'E2BIG' | 'EAGAIN'): bigint => {
  if (typeof cgroup === 'string') return helperErr(cgroup);
  return path.includes(cgroup) ? 1n : 0n;
};

export function cgroupArrayHelpers(registry: MapRegistry, table: SocketTable, packets: PacketRuns): HelperDef[] {
  return [
    {
      // long bpf_skb_under_cgroup(skb, map, u32 index): -ENOENT without a full socket, checked first.
      id: BPF_FUNC_skb_under_cgroup, name: 'bpf_skb_under_cgroup',
      fn: (ctx: HelperContext, skb, map, index) => {
        const sk = skbSock(table, packets, ctx, skb, 'bpf_skb_under_cgroup');
        const array = cgroupArray(registry, 'bpf_skb_under_cgroup', map);
        const full = sk && table.fullSk(sk);
        if (!full) return helperErr('ENOENT');
        return under(cgroupOf(ctx, full), slotCgroup(array, index));
      },
    },
    {
      // long bpf_current_task_under_cgroup(map, u32 index).
      id: BPF_FUNC_current_task_under_cgroup, name: 'bpf_current_task_under_cgroup',
      fn: (ctx: HelperContext, map, index) => under(ctx.cgroup, slotCgroup(cgroupArray(registry, 'bpf_current_task_under_cgroup', map), index)),
    },
  ];
}
