/** bpf_get_current_*: the task the host says is running (HelperHost.task). */
import { argAccess, type HelperContext } from './context.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_get_current_pid_tgid = 14;
export const BPF_FUNC_get_current_uid_gid = 15;
export const BPF_FUNC_get_current_comm = 16;

/** TASK_COMM_LEN. */
export const TASK_COMM_LEN = 16;

const pair = (hi: number, lo: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/**
 * long bpf_get_current_comm(void *buf, u32 size_of_buf): strscpy_pad of the
 * comm: at most size - 1 bytes, then NULs to the end of the buffer; 0.
 */
function getCurrentComm(ctx: HelperContext, buf: bigint, sizeArg: bigint): bigint {
  const size = Number(sizeArg & 0xffffffffn);
  if (size === 0) return 0n;
  const at = argAccess(ctx, 'bpf_get_current_comm: r1 (buf)', buf, size, true);
  const comm = new TextEncoder().encode(ctx.task.comm).subarray(0, TASK_COMM_LEN - 1);
  const n = Math.min(comm.length, size - 1);
  const bytes = ctx.space.bytes;
  bytes.set(comm.subarray(0, n), at);
  bytes.fill(0, at + n, at + size);
  return 0n;
}

export function taskHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_get_current_pid_tgid, name: 'bpf_get_current_pid_tgid', fn: (ctx) => pair(ctx.task.tgid, ctx.task.pid) },
    { id: BPF_FUNC_get_current_uid_gid, name: 'bpf_get_current_uid_gid', fn: (ctx) => pair(ctx.task.gid, ctx.task.uid) },
    { id: BPF_FUNC_get_current_comm, name: 'bpf_get_current_comm', fn: getCurrentComm },
  ];
}
