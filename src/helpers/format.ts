/**
 * bpf_snprintf and bpf_trace_vprintk: the kernel's BPF printf
 * (bpf_bprintf_prepare's rules, printk.ts) over an array of u64 arguments.
 */
import { printfMemory } from './base.js';
import { argAccess, type HelperContext } from './context.js';
import { helperErr, intResult } from './errno.js';
import { memoryFault } from './errors.js';
import { bprintf } from './printk.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_snprintf = 165;
export const BPF_FUNC_trace_vprintk = 177;

/** MAX_BPRINTF_VARARGS. */
export const MAX_BPRINTF_VARARGS = 12;

const utf8 = new TextDecoder();

/** The u64 arguments at `data` (data_len bytes), or undefined for the kernel's -EINVAL cases. */
function varargs(ctx: HelperContext, where: string, data: bigint, lenArg: bigint): bigint[] | undefined {
  const len = Number(lenArg & 0xffffffffn);
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len !== 0 && data === 0n)) return undefined;
  if (len === 0) return [];
  const at = argAccess(ctx, where, data, len, false);
  const view = ctx.space.view;
  return Array.from({ length: len / 8 }, (_, k) => view.getBigUint64(at + 8 * k, true));
}

/** The format's bytes before its NUL, which must come within `max` bytes (or the end of its region). */
function formatBytes(ctx: HelperContext, where: string, fmt: bigint, max: number | undefined): Uint8Array | undefined {
  const at = argAccess(ctx, where, fmt, max ?? 1, false);
  const bytes = ctx.space.bytes;
  const region = ctx.checked ? ctx.space.find(at, 1) : undefined;
  const end = max !== undefined ? at + max : region ? region.start + region.size : bytes.length;
  const nul = bytes.subarray(at, end).indexOf(0);
  if (nul >= 0) return bytes.slice(at, at + nul);
  if (max === undefined) throw memoryFault(false, fmt, end - at + 1, `${where}: no NUL before the end of ${region ? region.name : 'the memory'}`);
  return undefined;
}

/**
 * long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len):
 * formats into str (cut to str_size - 1 bytes and a NUL) and returns the
 * length of the whole output plus its NUL, or a negative errno.
 */
function snprintf(ctx: HelperContext, str: bigint, sizeArg: bigint, fmt: bigint, data: bigint, dataLen: bigint): bigint {
  const size = Number(sizeArg & 0xffffffffn);
  const args = varargs(ctx, 'bpf_snprintf: r4 (data)', data, dataLen);
  if (!args) return helperErr('EINVAL');
  const result = bprintf(formatBytes(ctx, 'bpf_snprintf: r3 (fmt)', fmt, undefined)!, args, printfMemory(ctx));
  if (typeof result === 'number') return intResult(result);
  if (size > 0) {
    const at = argAccess(ctx, 'bpf_snprintf: r1 (str)', str, size, true);
    const n = Math.min(size - 1, result.bytes.length);
    const bytes = ctx.space.bytes;
    bytes.set(result.bytes.subarray(0, n), at);
    bytes[at + n] = 0;
  }
  return intResult(result.length + 1);
}

/** long bpf_trace_vprintk(const char *fmt, u32 fmt_size, const void *data, u32 data_len): bpf_trace_printk with up to 12 arguments. */
function traceVprintk(ctx: HelperContext, fmt: bigint, fmtSize: bigint, data: bigint, dataLen: bigint): bigint {
  const args = varargs(ctx, 'bpf_trace_vprintk: r3 (data)', data, dataLen);
  if (!args) return helperErr('EINVAL');
  const size = Number(fmtSize & 0xffffffffn);
  if (size === 0) return helperErr('EINVAL');
  const text = formatBytes(ctx, 'bpf_trace_vprintk: r1 (fmt)', fmt, size);
  if (!text) return helperErr('EINVAL');
  const result = bprintf(text, args, printfMemory(ctx));
  if (typeof result === 'number') return intResult(result);
  ctx.print(utf8.decode(result.bytes));
  return intResult(result.length);
}

export function formatHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_snprintf, name: 'bpf_snprintf', fn: snprintf },
    { id: BPF_FUNC_trace_vprintk, name: 'bpf_trace_vprintk', fn: traceVprintk },
  ];
}
