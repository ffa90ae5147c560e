/**
 * The helpers every program type may call, with the kernel's ids and
 * semantics. Map helpers and the program-type specific ones join the table
 * from their own modules.
 */
import type { HelperContext } from './context.js';
import { helperAccess } from './context.js';
import { helperErr } from './errno.js';
import { bprintf, type PrintfMemory } from './printk.js';
import type { HelperDef, HelperFn } from './table.js';

/** enum bpf_func_id, for the helpers defined here. */
export const BPF_FUNC_ktime_get_ns = 5;
export const BPF_FUNC_trace_printk = 6;
export const BPF_FUNC_get_prandom_u32 = 7;
export const BPF_FUNC_get_smp_processor_id = 8;
export const BPF_FUNC_jiffies64 = 118;
export const BPF_FUNC_ktime_get_boot_ns = 125;

/** MAX_TRACE_PRINTK_VARARGS. */
const TRACE_PRINTK_ARGS = 3;
const U64 = (v: bigint) => BigInt.asUintN(64, v);
const utf8 = new TextDecoder();

/** The memory view bpf_bprintf_prepare gets: a read that would fault yields nothing, as its nofault copies do. */
export function printfMemory(ctx: HelperContext): PrintfMemory {
  const tryAccess = (addr: bigint, size: number): number | undefined => {
    try {
      return helperAccess(ctx, addr, size, false);
    } catch {
      return undefined;
    }
  };
  return {
    bytes(addr, size) {
      const at = tryAccess(addr, size);
      return at === undefined ? undefined : ctx.space.bytes.slice(at, at + size);
    },
    cString(addr, max) {
      const at = tryAccess(addr, 1);
      if (at === undefined) return undefined;
      const region = ctx.checked ? ctx.space.find(at, 1) : undefined;
      const end = region ? region.start + region.size : ctx.space.bytes.length;
      const bytes = ctx.space.bytes.subarray(at, Math.min(end, at + max));
      const nul = bytes.indexOf(0);
      return bytes.slice(0, nul < 0 ? bytes.length : nul);
    },
  };
}

/** long bpf_trace_printk(const char *fmt, u32 fmt_size, ...): returns the length written, or -EINVAL. */
function tracePrintk(ctx: HelperContext, fmt: bigint, fmtSize: bigint, a1: bigint, a2: bigint, a3: bigint): bigint {
  const size = Number(fmtSize & 0xffffffffn);
  if (size === 0) return helperErr('EINVAL');
  const at = helperAccess(ctx, fmt, size, false);
  const bytes = ctx.space.bytes.subarray(at, at + size);
  const nul = bytes.indexOf(0);
  if (nul < 0) return helperErr('EINVAL');
  const result = bprintf(bytes.subarray(0, nul), [a1, a2, a3].slice(0, TRACE_PRINTK_ARGS), printfMemory(ctx));
  if (typeof result === 'number') return U64(BigInt(result));
  ctx.print(utf8.decode(result.bytes));
  return BigInt(result.length);
}

/** INITIAL_JIFFIES: jiffies start 5 minutes before their 32-bit wrap, so that wrap bugs show early. */
const initialJiffies = (hz: number) => 0x100000000n - BigInt(300 * hz);

/** get_jiffies_64 on the context's clock (bpf_jiffies64, the SYN cookies' minute counter). */
export const jiffies64 = (ctx: HelperContext): bigint => U64(initialJiffies(ctx.hz) + (ctx.clock.monotonicNs() * BigInt(ctx.hz)) / 1_000_000_000n);

/**
 * Implementations an engine may recognise by identity and run its own way
 * with the same meaning (the JIT calls the host service without BigInt
 * arguments); a table entry that replaces them is called as it is.
 */
export const bpfKtimeGetNs: HelperFn = (ctx) => U64(ctx.clock.monotonicNs());
export const bpfKtimeGetBootNs: HelperFn = (ctx) => U64(ctx.clock.bootNs());
export const bpfGetPrandomU32: HelperFn = (ctx) => BigInt(ctx.random() >>> 0);
export const bpfGetSmpProcessorId: HelperFn = (ctx) => BigInt(ctx.cpu >>> 0);

export function baseHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_ktime_get_ns, name: 'bpf_ktime_get_ns', fn: bpfKtimeGetNs },
    { id: BPF_FUNC_trace_printk, name: 'bpf_trace_printk', fn: tracePrintk },
    { id: BPF_FUNC_get_prandom_u32, name: 'bpf_get_prandom_u32', fn: bpfGetPrandomU32 },
    { id: BPF_FUNC_get_smp_processor_id, name: 'bpf_get_smp_processor_id', fn: bpfGetSmpProcessorId },
    {
      id: BPF_FUNC_jiffies64, name: 'bpf_jiffies64',
      fn: jiffies64,
    },
    { id: BPF_FUNC_ktime_get_boot_ns, name: 'bpf_ktime_get_boot_ns', fn: bpfKtimeGetBootNs },
  ];
}
