/**
 * bpf_get_stackid: the stack of the run (the engine's eBPF call chain, or
 * the host's user stack with BPF_F_USER_STACK — what bpf_get_stack reads)
 * stored in a BPF_MAP_TYPE_STACK_TRACE map, its id returned.
 */
import { StackTraceMap, BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, PERF_EVENT_MAX_STACK, type MapRegistry } from '../maps/index.js';
import type { HelperContext } from './context.js';
import { helperErr, intResult } from './errno.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';
import { BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK } from './tracing.js';

export const BPF_FUNC_get_stackid = 27;

const FLAGS = BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID);

export function stackidHelpers(registry: MapRegistry): HelperDef[] {
  /**
   * long bpf_get_stackid(void *ctx, struct bpf_map *map, u64 flags): the
   * frames after `skip`, at most the map's depth (and the kernel's 127 in
   * all); -EINVAL for unknown flags, -EFAULT when nothing is left after
   * the skip, else what StackTraceMap.storeStack returns.
   */
  const getStackid = (ctx: HelperContext, _ctx: bigint, m: bigint, flagsArg: bigint): bigint => {
    const map = registry.mapByAddress(m);
    if (!(map instanceof StackTraceMap)) throw new RuntimeError(`bpf_get_stackid: r2 (0x${m.toString(16)}) is not a stack trace map`);
    if (flagsArg & ~FLAGS) return helperErr('EINVAL');
    const flags = Number(flagsArg);
    const skip = flags & BPF_F_SKIP_FIELD_MASK;
    const maxDepth = Math.min(map.valueSize / 8 + skip, PERF_EVENT_MAX_STACK);
    const trace = (flags & BPF_F_USER_STACK ? ctx.userStack() : ctx.engine.callChain()).slice(0, maxDepth);
    if (trace.length <= skip) return helperErr('EFAULT');
    return intResult(map.storeStack(trace.slice(skip), flags));
  };
  return [{ id: BPF_FUNC_get_stackid, name: 'bpf_get_stackid', fn: getStackid }];
}
