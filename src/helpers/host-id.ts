/**
 * The helpers that report who the current task is beyond its ids
 * (task.ts): its cgroup v2 and its ancestors (kernel/bpf/helpers.c), and its
 * ids as seen from a pid namespace. The values are the host model of the
 * context (HelperHost.cgroup, HelperHost.pidNamespace).
 */
import { argAccess, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_get_current_cgroup_id = 80;
export const BPF_FUNC_get_ns_current_pid_tgid = 120;
export const BPF_FUNC_get_current_ancestor_cgroup_id = 123;

/** sizeof(struct bpf_pidns_info): u32 pid, u32 tgid. */
export const SIZEOF_BPF_PIDNS_INFO = 8;

/**
 * cgroup_ancestor: the id of the ancestor of the cgroup at `path` (ids from
 * the root down) at `level` (an int: the u64 argument's low 32 bits, signed),
 * or 0 when the level is negative or deeper than the cgroup's own.
 */
export function cgroupAncestorId(path: readonly bigint[], level: bigint): bigint {
  const l = Number(BigInt.asIntN(32, level));
  return l >= 0 && l < path.length ? path[l] : 0n;
}

/**
 * long bpf_get_ns_current_pid_tgid(u64 dev, u64 ino, struct bpf_pidns_info *nsdata, u32 size):
 * the task's pid and tgid in its active pid namespace when `dev` and `ino`
 * name that namespace; otherwise -EINVAL with the `size` bytes zeroed (also
 * for a size that is not the struct's, or a dev wider than a dev_t's 32 bits).
 */
function getNsCurrentPidTgid(ctx: HelperContext, dev: bigint, ino: bigint, nsdata: bigint, sizeArg: bigint): bigint {
  const size = Number(sizeArg & 0xffffffffn);
  const at = size === 0 ? 0 : argAccess(ctx, 'bpf_get_ns_current_pid_tgid: r3 (nsdata)', nsdata, size, true);
  const ns = ctx.pidNamespace;
  if (size !== SIZEOF_BPF_PIDNS_INFO || dev > 0xffffffffn || dev !== BigInt(ns.dev) || ino !== ns.ino) {
    ctx.space.bytes.fill(0, at, at + size);
    return helperErr('EINVAL');
  }
  ctx.space.view.setUint32(at, ns.pid, true);
  ctx.space.view.setUint32(at + 4, ns.tgid, true);
  return 0n;
}

export function hostIdHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_get_current_cgroup_id, name: 'bpf_get_current_cgroup_id', fn: (ctx) => ctx.cgroup[ctx.cgroup.length - 1] },
    {
      id: BPF_FUNC_get_current_ancestor_cgroup_id, name: 'bpf_get_current_ancestor_cgroup_id',
      fn: (ctx, level) => cgroupAncestorId(ctx.cgroup, level),
    },
    { id: BPF_FUNC_get_ns_current_pid_tgid, name: 'bpf_get_ns_current_pid_tgid', fn: getNsCurrentPidTgid },
  ];
}
