/**
 * The tracing helpers that read what the run or the host provides:
 * bpf_get_func_ip, bpf_get_attach_cookie (RunInfo) and bpf_get_stack (the
 * engine's eBPF call chain as the kernel stack, HelperHost.userStack as
 * the user stack).
 */
import { argAccess, type HelperContext } from './context.js';
import { helperErr, intResult } from './errno.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_get_stack = 67;
export const BPF_FUNC_get_func_ip = 173;
export const BPF_FUNC_get_attach_cookie = 174;

/** bpf_get_stack flags. */
export const BPF_F_SKIP_FIELD_MASK = 0xff;
export const BPF_F_USER_STACK = 1 << 8;
export const BPF_F_USER_BUILD_ID = 1 << 11;
/** sizeof(struct bpf_stack_build_id), and its status for "an ip, no build id" (BPF_STACK_BUILD_ID_IP). */
const BUILD_ID_SIZE = 32;
const BPF_STACK_BUILD_ID_IP = 2;

/**
 * long bpf_get_stack(void *ctx, void *buf, u32 size, u64 flags): the
 * innermost frames after `skip`, as many as fit; the rest of buf zeroed.
 * Returns the bytes filled, -EINVAL for bad flags or a size that is not a
 * whole number of entries, -EFAULT when skip passes the end of the stack
 * (buf zero-filled on errors).
 */
function getStack(ctx: HelperContext, _ctx: bigint, buf: bigint, sizeArg: bigint, flags: bigint): bigint {
  const size = Number(sizeArg & 0xffffffffn);
  const at = size === 0 ? 0 : argAccess(ctx, 'bpf_get_stack: r2 (buf)', buf, size, true);
  const bytes = ctx.space.bytes;
  const fail = (err: 'EINVAL' | 'EFAULT') => {
    bytes.fill(0, at, at + size);
    return helperErr(err);
  };
  const skip = Number(flags & BigInt(BPF_F_SKIP_FIELD_MASK));
  const user = (flags & BigInt(BPF_F_USER_STACK)) !== 0n;
  const buildId = (flags & BigInt(BPF_F_USER_BUILD_ID)) !== 0n;
  if (flags & ~BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) return fail('EINVAL');
  if (buildId && !user) return fail('EINVAL');
  const elemSize = buildId ? BUILD_ID_SIZE : 8;
  if (size % elemSize !== 0) return fail('EINVAL');
  const trace = user ? ctx.userStack() : ctx.engine.callChain();
  if (trace.length < skip) return fail('EFAULT');
  const ips = trace.slice(skip, skip + size / elemSize);
  bytes.fill(0, at, at + size);
  const view = ctx.space.view;
  ips.forEach((ip, k) => {
    if (!buildId) {
      view.setBigUint64(at + 8 * k, BigInt.asUintN(64, ip), true);
      return;
    }
    view.setInt32(at + BUILD_ID_SIZE * k, BPF_STACK_BUILD_ID_IP, true);
    view.setBigUint64(at + BUILD_ID_SIZE * k + 24, BigInt.asUintN(64, ip), true);
  });
  return intResult(ips.length * elemSize);
}

export function tracingHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_get_stack, name: 'bpf_get_stack', fn: getStack },
    { id: BPF_FUNC_get_func_ip, name: 'bpf_get_func_ip', fn: (ctx) => ctx.run.funcIp },
    { id: BPF_FUNC_get_attach_cookie, name: 'bpf_get_attach_cookie', fn: (ctx) => ctx.run.attachCookie },
  ];
}
