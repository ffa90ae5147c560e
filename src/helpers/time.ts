/** The clocks besides ktime_get_ns/boot_ns (base.ts), and the NUMA node. */
import { TAI_OFFSET_NS, type HelperContext } from './context.js';
import type { HelperDef, HelperFn } from './table.js';

export const BPF_FUNC_get_numa_node_id = 42;
export const BPF_FUNC_ktime_get_coarse_ns = 160;
export const BPF_FUNC_ktime_get_tai_ns = 208;

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** CLOCK_MONOTONIC_COARSE: the monotonic time of the last tick (1/HZ s), unless the clock has its own. */
export const bpfKtimeGetCoarseNs: HelperFn = (ctx: HelperContext) => {
  if (ctx.clock.coarseNs) return U64(ctx.clock.coarseNs());
  const tick = 1_000_000_000n / BigInt(ctx.hz);
  const now = ctx.clock.monotonicNs();
  return U64(now - (now % tick));
};

/** CLOCK_TAI, or the monotonic clock shifted by the TAI offset when the host's clock has no wall time. */
export const bpfKtimeGetTaiNs: HelperFn = (ctx: HelperContext) =>
  U64(ctx.clock.taiNs ? ctx.clock.taiNs() : ctx.clock.monotonicNs() + TAI_OFFSET_NS);

export function timeHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_get_numa_node_id, name: 'bpf_get_numa_node_id', fn: (ctx) => BigInt(ctx.numaNode >>> 0) },
    { id: BPF_FUNC_ktime_get_coarse_ns, name: 'bpf_ktime_get_coarse_ns', fn: bpfKtimeGetCoarseNs },
    { id: BPF_FUNC_ktime_get_tai_ns, name: 'bpf_ktime_get_tai_ns', fn: bpfKtimeGetTaiNs },
  ];
}
