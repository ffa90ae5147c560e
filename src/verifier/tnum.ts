/**
 * Tristate numbers (kernel/bpf/tnum.c): a 64-bit value of which some bits are
 * known. A bit set in `mask` is unknown; the bits of `value` under the mask
 * are always 0. Every operation over-approximates the concrete one: for any
 * x in a and y in b, op(x, y) is in tnumOp(a, b).
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;
const HI32 = ~U32;

const u64 = (v: bigint): bigint => v & U64;

export function tnumConst(value: bigint): Tnum {
  return { value: u64(value), mask: 0n };
}

export const tnumUnknown: Tnum = { value: 0n, mask: U64 };

/** Index (1-based) of the highest set bit, 0 for 0: the kernel's fls64. */
function fls64(v: bigint): number {
  const hi = Number(v >> 32n);
  return hi ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(v & U32));
}

/** The smallest tnum holding every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min ^ max);
  const bits = fls64(chi);
  if (bits > 63) return tnumUnknown;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: u64(min & ~delta), mask: delta };
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** Arithmetic right shift in 32 or 64 bits: the sign bit (known or not) is replicated. */
export function tnumArshift(a: Tnum, minShift: number, insnBitness: 32 | 64): Tnum {
  const s = BigInt(minShift);
  if (insnBitness === 32) {
    return {
      value: BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s),
      mask: BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s),
    };
  }
  return {
    value: BigInt.asUintN(64, BigInt.asIntN(64, a.value) >> s),
    mask: BigInt.asUintN(64, BigInt.asIntN(64, a.mask) >> s),
  };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/**
 * Multiplication as the kernel does it since 6.8: the known product of the
 * values plus, for each bit of `a`, the partial products that may be present.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM: Tnum = { value: 0n, mask: 0n };
  while (a.value !== 0n || a.mask !== 0n) {
    if ((a.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: b.mask });
    else if ((a.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: b.value | b.mask });
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return tnumAdd({ value: accV, mask: 0n }, accM);
}

/** The values in both a and b (when a and b are known to share one). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** CAST_MASKS[size]: the low `size` bytes, for sizes 0 to 8, built once. */
const CAST_MASKS = Array.from({ length: 9 }, (_, size) => (1n << BigInt(size * 8)) - 1n);

/** Truncate to the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = CAST_MASKS[size] ?? (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

export function tnumEquals(a: Tnum, b: Tnum, value: bigint): boolean {
  return a.mask === 0n && b.mask === 0n && a.value === b.value && a.value === value;
}

/** Is `a` a multiple of `size` whatever its unknown bits are? */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Is every value of b also a value of a? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask & U64) !== 0n) return false;
  return a.value === (b.value & ~a.mask & U64);
}

/** Does the concrete value x belong to a? */
export function tnumContains(a: Tnum, x: bigint): boolean {
  return (u64(x) & ~a.mask & U64) === a.value;
}

export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** The upper half only (`tnum_lshift(tnum_rshift(a, 32), 32)`). */
export function tnumClearSubreg(a: Tnum): Tnum {
  return { value: a.value & HI32, mask: a.mask & HI32 };
}

export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value & U32));
}

export function tnumSame(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** `(value; mask)` as the kernel's log prints a var_off. */
export function tnumStr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
