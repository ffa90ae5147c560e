/**
 * 64-bit arithmetic on registers kept as two signed 32-bit halves
 * (R[d] = low, R[d + 1] = high), without BigInt on the common paths: carries
 * through doubles, products through Math.imul and 16-bit pieces. BigInt
 * appears only in 64-bit division and remainder when a high half is set.
 *
 * `bl`/`bh` are the halves of the second operand (for an immediate:
 * imm and imm >> 31, its sign extension).
 */

const TWO32 = 4294967296;

export function add64(R: Int32Array, d: number, bl: number, bh: number): void {
  const sum = (R[d] >>> 0) + (bl >>> 0);
  R[d] = sum | 0;
  R[d + 1] = (R[d + 1] + bh + (sum >= TWO32 ? 1 : 0)) | 0;
}

export function sub64(R: Int32Array, d: number, bl: number, bh: number): void {
  const diff = (R[d] >>> 0) - (bl >>> 0);
  R[d] = diff | 0;
  R[d + 1] = (R[d + 1] - bh - (diff < 0 ? 1 : 0)) | 0;
}

/** High 32 bits of the unsigned 64-bit product of two u32 (Hacker's Delight mulhu, in 16-bit digits). */
function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const t = a1 * b0 + ((a0 * b0) >>> 16);
  const u = a0 * b1 + (t & 0xffff);
  return (a1 * b1 + (t >>> 16) + (u >>> 16)) | 0;
}

export function mul64(R: Int32Array, d: number, bl: number, bh: number): void {
  const al = R[d], ah = R[d + 1];
  R[d + 1] = (mulhu(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  R[d] = Math.imul(al, bl);
}

export function lsh64(R: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const lo = R[d];
  if (n < 32) {
    R[d + 1] = (R[d + 1] << n) | (lo >>> (32 - n));
    R[d] = lo << n;
  } else {
    R[d + 1] = lo << (n - 32);
    R[d] = 0;
  }
}

export function rsh64(R: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const hi = R[d + 1];
  if (n < 32) {
    R[d] = (R[d] >>> n) | (hi << (32 - n));
    R[d + 1] = hi >>> n;
  } else {
    R[d] = hi >>> (n - 32);
    R[d + 1] = 0;
  }
}

export function arsh64(R: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const hi = R[d + 1];
  if (n < 32) {
    R[d] = (R[d] >>> n) | (hi << (32 - n));
    R[d + 1] = hi >> n;
  } else {
    R[d] = hi >> (n - 32);
    R[d + 1] = hi >> 31;
  }
}

export function neg64(R: Int32Array, d: number): void {
  const lo = R[d];
  R[d] = -lo | 0;
  R[d + 1] = lo === 0 ? -R[d + 1] | 0 : ~R[d + 1];
}

const big = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

function setBig(R: Int32Array, d: number, v: bigint): void {
  R[d] = Number(BigInt.asIntN(32, v));
  R[d + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** Unsigned; by zero gives 0. */
export function div64(R: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    R[d] = 0;
    R[d + 1] = 0;
  } else if (R[d + 1] === 0 && bh === 0) {
    R[d] = Math.floor((R[d] >>> 0) / (bl >>> 0));
  } else {
    setBig(R, d, big(R[d], R[d + 1]) / big(bl, bh));
  }
}

/** Unsigned; by zero leaves the dividend. */
export function mod64(R: Int32Array, d: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) return;
  if (R[d + 1] === 0 && bh === 0) R[d] = (R[d] >>> 0) % (bl >>> 0);
  else setBig(R, d, big(R[d], R[d + 1]) % big(bl, bh));
}

/** Signed, truncating; by zero gives 0; INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(R: Int32Array, d: number, bl: number, bh: number): void {
  const al = R[d], ah = R[d + 1];
  if (bl === 0 && bh === 0) {
    R[d] = 0;
    R[d + 1] = 0;
  } else if (ah === al >> 31 && bh === bl >> 31) {
    const q = Math.trunc(al / bl);
    R[d] = q | 0;
    R[d + 1] = q < 0 ? -1 : 0;
  } else {
    setBig(R, d, BigInt.asIntN(64, big(al, ah)) / BigInt.asIntN(64, big(bl, bh)));
  }
}

/** Signed, the sign of the dividend (C's %); by zero leaves the dividend; INT64_MIN % -1 is 0. */
export function smod64(R: Int32Array, d: number, bl: number, bh: number): void {
  const al = R[d], ah = R[d + 1];
  if (bl === 0 && bh === 0) return;
  if (ah === al >> 31 && bh === bl >> 31) {
    const r = (al % bl) | 0;
    R[d] = r;
    R[d + 1] = r >> 31;
  } else {
    setBig(R, d, BigInt.asIntN(64, big(al, ah)) % BigInt.asIntN(64, big(bl, bh)));
  }
}

/** 32-bit forms: the result is the low half; the caller zeroes the high one. */
export const div32 = (a: number, b: number): number => (b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0);
export const mod32 = (a: number, b: number): number => (b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0);
export const sdiv32 = (a: number, b: number): number => (b === 0 ? 0 : Math.trunc(a / b) | 0);
export const smod32 = (a: number, b: number): number => (b === 0 ? a : (a % b) | 0);

export const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
export const bswap32 = (x: number): number =>
  ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

/** Unsigned and signed 64-bit comparisons of (ah:al) with (bh:bl). */
export const ugt = (ah: number, al: number, bh: number, bl: number): boolean =>
  (ah >>> 0) > (bh >>> 0) || (ah === bh && (al >>> 0) > (bl >>> 0));
export const uge = (ah: number, al: number, bh: number, bl: number): boolean =>
  (ah >>> 0) > (bh >>> 0) || (ah === bh && (al >>> 0) >= (bl >>> 0));
export const sgt = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah > bh || (ah === bh && (al >>> 0) > (bl >>> 0));
export const sge = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah > bh || (ah === bh && (al >>> 0) >= (bl >>> 0));
