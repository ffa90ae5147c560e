/** bpf_loop: call a subprogram of the program up to nr_loops times through the engine's callback hook. */
import type { HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { ownHelper, type HelperDef } from './table.js';

export const BPF_FUNC_loop = 181;

/** BPF_MAX_LOOPS: the most iterations one bpf_loop may ask for. */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/**
 * long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags):
 * calls callback_fn(i, callback_ctx) for i = 0, 1, … until it returns
 * non-zero (then i + 1) or nr_loops calls are done (then nr_loops).
 * -EINVAL for any flag; above BPF_MAX_LOOPS, -E2BIG as the kernel's
 * inlined bpf_loop returns it (zero-extended from 32 bits).
 */
function loop(ctx: HelperContext, nrLoops: bigint, fn: bigint, callbackCtx: bigint, flags: bigint): bigint {
  const n = Number(nrLoops & 0xffffffffn);
  if (flags !== 0n) return helperErr('EINVAL');
  // With flags 0 the verifier inlines bpf_loop (inline_bpf_loop), whose E2BIG is a 32-bit move: r0 = (u32)-E2BIG.
  if (n > BPF_MAX_LOOPS) return helperErr('E2BIG') & 0xffffffffn;
  for (let i = 0; i < n; i++) {
    if (ctx.engine.callback(fn, BigInt(i), callbackCtx, 0n, 0n, 0n) !== 0n) return BigInt(i + 1);
  }
  return BigInt(n);
}

export function loopHelpers(): HelperDef[] {
  return [ownHelper({ id: BPF_FUNC_loop, name: 'bpf_loop', fn: loop })];
}
