/** bpf_strncmp, bpf_strtol and bpf_strtoul, with the kernel's rules (kernel/bpf/helpers.c, lib/kstrtox.c). */
import { argAccess, type HelperContext } from './context.js';
import { helperErr, intResult } from './errno.js';
import { memoryFault } from './errors.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_strtol = 105;
export const BPF_FUNC_strtoul = 106;
export const BPF_FUNC_strncmp = 182;

/** BPF_STRTOX_BASE_MASK: the base is in the low 5 bits of flags; no other flag exists. */
const BPF_STRTOX_BASE_MASK = 0x1f;
/** The kernel copies at most this many characters (after spaces and a '-') into its parse buffer. */
const STRTOX_BUF = 63;
const U64_MAX = (1n << 64n) - 1n;
const S64_MAX = (1n << 63n) - 1n;

/** The kernel's isspace: \t \n \v \f \r, space, and Latin-1 NBSP (0xa0). */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const lower = (c: number) => c | 0x20;
const isXDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (lower(c) >= 0x61 && lower(c) <= 0x66);

/** The bytes of the constant string at `addr`, NUL excluded; a string that runs out of memory first is a fault. */
function constString(ctx: HelperContext, addr: bigint, what: string): Uint8Array {
  const at = argAccess(ctx, what, addr, 1, false);
  const region = ctx.checked ? ctx.space.find(at, 1) : undefined;
  const bytes = ctx.space.bytes;
  const end = region ? region.start + region.size : bytes.length;
  const nul = bytes.subarray(at, end).indexOf(0);
  if (nul < 0) throw memoryFault(false, addr, end - at + 1, `${what}: no NUL before the end of ${region ? region.name : 'the memory'}`);
  return bytes.slice(at, at + nul);
}

/** long bpf_strncmp(const char *s1, u32 s1_sz, const char *s2): the kernel's strncmp, -1, 0 or 1. */
function strncmp(ctx: HelperContext, s1: bigint, s1Size: bigint, s2: bigint): bigint {
  const n = Number(s1Size & 0xffffffffn);
  const a = argAccess(ctx, 'bpf_strncmp: r1 (s1)', s1, n, false);
  const b = constString(ctx, s2, 'bpf_strncmp: r3 (s2)');
  const bytes = ctx.space.bytes;
  for (let i = 0; i < n; i++) {
    const c1 = bytes[a + i], c2 = i < b.length ? b[i] : 0;
    if (c1 !== c2) return c1 < c2 ? U64_MAX : 1n;
    if (c1 === 0) break;
  }
  return 0n;
}

/** __bpf_strtoull: the parsed magnitude, the sign and the characters consumed, or an errno name. */
function strtoull(buf: Uint8Array, flags: bigint): { value: bigint; negative: boolean; consumed: number } | 'EINVAL' | 'ERANGE' {
  let base = Number(flags & BigInt(BPF_STRTOX_BASE_MASK));
  if (buf.length === 0) return 'EINVAL';
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return 'EINVAL';
  if (flags & ~BigInt(BPF_STRTOX_BASE_MASK)) return 'EINVAL';
  let i = 0;
  while (i < buf.length && isSpace(buf[i])) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return 'EINVAL';
  const s = buf.subarray(i, i + STRTOX_BUF);
  const at = (k: number) => (k < s.length ? s[k] : 0);
  // _parse_integer_fixup_radix
  if (base === 0) base = at(0) === 0x30 ? (lower(at(1)) === 0x78 && isXDigit(at(2)) ? 16 : 8) : 10;
  let k = base === 16 && at(0) === 0x30 && lower(at(1)) === 0x78 ? 2 : 0;
  // _parse_integer: every digit is consumed, an overflow only remembered
  const start = k;
  let value = 0n, overflow = false;
  for (;; k++) {
    const c = at(k);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : lower(c) >= 0x61 && lower(c) <= 0x66 ? lower(c) - 0x61 + 10 : 16;
    if (digit >= base) break;
    value = value * BigInt(base) + BigInt(digit);
    if (value > U64_MAX) { overflow = true; value &= U64_MAX; }
  }
  if (overflow) return 'ERANGE';
  if (k === start) return 'EINVAL';
  return { value, negative, consumed: i + k };
}

type Parse = (ctx: HelperContext, buf: bigint, len: bigint, flags: bigint, res: bigint) => bigint;

/** The buffer and the result slot of bpf_strtol/bpf_strtoul (res zeroed first: an error leaves 0 there). */
function operands(ctx: HelperContext, name: string, buf: bigint, len: bigint, res: bigint): { text: Uint8Array; out: number } {
  const n = Number(len & 0xffffffffn);
  const at = argAccess(ctx, `${name}: r1 (buf)`, buf, n, false);
  const out = argAccess(ctx, `${name}: r4 (res)`, res, 8, true);
  const text = ctx.space.bytes.slice(at, at + n);
  ctx.space.view.setBigUint64(out, 0n, true);
  return { text, out };
}

/** long bpf_strtol(const char *buf, size_t buf_len, u64 flags, long *res): characters consumed, or -EINVAL / -ERANGE. */
const strtol: Parse = (ctx, buf, len, flags, res) => {
  const { text, out } = operands(ctx, 'bpf_strtol', buf, len, res);
  const r = strtoull(text, flags);
  if (typeof r === 'string') return helperErr(r);
  if (r.negative ? r.value > S64_MAX + 1n : r.value > S64_MAX) return helperErr('ERANGE');
  ctx.space.view.setBigInt64(out, r.negative ? -r.value : r.value, true);
  return intResult(r.consumed);
};

/** long bpf_strtoul(const char *buf, size_t buf_len, u64 flags, unsigned long *res): as strtol; a '-' is -EINVAL. */
const strtoul: Parse = (ctx, buf, len, flags, res) => {
  const { text, out } = operands(ctx, 'bpf_strtoul', buf, len, res);
  const r = strtoull(text, flags);
  if (typeof r === 'string') return helperErr(r);
  if (r.negative) return helperErr('EINVAL');
  ctx.space.view.setBigUint64(out, r.value, true);
  return intResult(r.consumed);
};

export function stringHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_strtol, name: 'bpf_strtol', fn: strtol },
    { id: BPF_FUNC_strtoul, name: 'bpf_strtoul', fn: strtoul },
    { id: BPF_FUNC_strncmp, name: 'bpf_strncmp', fn: strncmp },
  ];
}
