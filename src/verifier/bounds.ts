/**
 * The scalar part of `struct bpf_reg_state`: a tnum and signed/unsigned
 * 64- and 32-bit ranges, kept in sync as kernel/bpf/verifier.c does
 * (`__update_reg_bounds`, `__reg_deduce_bounds`, `__reg_bound_offset`).
 *
 * 64-bit quantities are bigints (unsigned for var_off and umin/umax, signed
 * for smin/smax); 32-bit ones are numbers (u32 for u32_*, s32 for s32_*).
 */
import {
  tnumClearSubreg, tnumConst, tnumIsConst, tnumOr, tnumSubreg, tnumUnknown,
  type Tnum,
} from './tnum.js';

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
export const S64_MIN = -(1n << 63n);
export const U32_MAX = 0xffffffff;
export const S32_MAX = 0x7fffffff;
export const S32_MIN = -0x80000000;

export interface ScalarBounds {
  varOff: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32Min: number;
  s32Max: number;
  u32Min: number;
  u32Max: number;
}

export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** The low 32 bits as s32 / u32; numbers (integers) take ToInt32/ToUint32, which wrap the same way without a bigint. */
export const s32 = (v: number | bigint): number => (typeof v === 'number' ? v | 0 : Number(BigInt.asIntN(32, v)));
export const u32 = (v: number | bigint): number => (typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v)));

const LO32 = 0xffffffffn;
/** The low 32 bits of a 64-bit bound as a u32 number (two's complement for negative ones). */
const lo32 = (v: bigint): number => Number(v & LO32);

export function unboundedScalar(): ScalarBounds {
  return {
    varOff: tnumUnknown, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32Min: S32_MIN, s32Max: S32_MAX, u32Min: 0, u32Max: U32_MAX,
  };
}

/** `__mark_reg_known`: every bound is the constant. */
export function markKnown(b: ScalarBounds, imm: bigint): void {
  const v = u64(imm);
  b.varOff = tnumConst(v);
  b.smin = b.smax = s64(v);
  b.umin = b.umax = v;
  b.s32Min = b.s32Max = s32(v);
  b.u32Min = b.u32Max = u32(v);
}

/** `__mark_reg32_known`: only the low 32 bits become the constant. */
export function markKnown32(b: ScalarBounds, imm: number): void {
  b.varOff = tnumOr(tnumClearSubreg(b.varOff), tnumConst(BigInt(u32(imm))));
  b.s32Min = b.s32Max = s32(imm);
  b.u32Min = b.u32Max = u32(imm);
}

export function markUnbounded64(b: ScalarBounds): void {
  b.smin = S64_MIN;
  b.smax = S64_MAX;
  b.umin = 0n;
  b.umax = U64_MAX;
}

export function markUnbounded32(b: ScalarBounds): void {
  b.s32Min = S32_MIN;
  b.s32Max = S32_MAX;
  b.u32Min = 0;
  b.u32Max = U32_MAX;
}

export function markUnknown(b: ScalarBounds): void {
  b.varOff = tnumUnknown;
  markUnbounded64(b);
  markUnbounded32(b);
}

/** `__update_reg32_bounds`: learn 32-bit ranges from the tnum's low half (as u32 numbers). */
export function updateReg32Bounds(b: ScalarBounds): void {
  const value = lo32(b.varOff.value), mask = lo32(b.varOff.mask);
  b.s32Min = Math.max(b.s32Min, value | (mask & 0x80000000));
  b.s32Max = Math.min(b.s32Max, value | (mask & 0x7fffffff));
  b.u32Min = Math.max(b.u32Min, value);
  b.u32Max = Math.min(b.u32Max, (value | mask) >>> 0);
}

/**
 * `reg_bounds_sync` and its parts run on every ALU result and branch, and
 * only compare, select and mask 64-bit values: they work on the 32-bit
 * halves of the 64-bit bounds in one scratch buffer (words `W[F + LO]` and
 * `W[F + HI]` of field F), without a bigint per step. `loadBounds` writes a
 * register's bounds there; `storeBounds` makes bigints again of the fields
 * that changed only.
 */
const scratch = new ArrayBuffer(6 * 8);
const B = new BigUint64Array(scratch);
const S = new BigInt64Array(scratch);
const W = new Uint32Array(scratch);
/** The halves as loaded, to tell which fields changed. */
const W0 = new Uint32Array(12);
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;
/** Word offsets of the 64-bit fields (twice their index in B). */
const UMIN = 0, UMAX = 2, SMIN = 4, SMAX = 6, VAL = 8, MASK = 10;

function loadBounds(b: ScalarBounds): void {
  B[0] = b.umin;
  B[1] = b.umax;
  B[2] = b.smin;
  B[3] = b.smax;
  B[4] = b.varOff.value;
  B[5] = b.varOff.mask;
  W0.set(W);
}

const changed = (f: number): boolean => W[f] !== W0[f] || W[f + 1] !== W0[f + 1];

function storeBounds(b: ScalarBounds): void {
  if (changed(UMIN)) b.umin = B[0];
  if (changed(UMAX)) b.umax = B[1];
  if (changed(SMIN)) b.smin = S[2];
  if (changed(SMAX)) b.smax = S[3];
  if (changed(VAL) || changed(MASK)) b.varOff = { value: B[4], mask: B[5] };
}

/** a < b for the 64-bit fields at a and b, unsigned (or signed: the upper halves compared as s32). */
function ltU(a: number, b: number): boolean {
  const ah = W[a + HI], bh = W[b + HI];
  return ah < bh || (ah === bh && W[a + LO] < W[b + LO]);
}

function ltS(a: number, b: number): boolean {
  const ah = W[a + HI] | 0, bh = W[b + HI] | 0;
  return ah < bh || (ah === bh && W[a + LO] < W[b + LO]);
}

function set64(f: number, hi: number, lo: number): void {
  W[f + HI] = hi;
  W[f + LO] = lo;
}

function copy64(to: number, from: number): void {
  W[to + HI] = W[from + HI];
  W[to + LO] = W[from + LO];
}

/** Field `f` = max or min (unsigned or signed) of itself and the value hi:lo. */
function maxU(f: number, hi: number, lo: number): void {
  hi >>>= 0;
  lo >>>= 0;
  if (W[f + HI] < hi || (W[f + HI] === hi && W[f + LO] < lo)) set64(f, hi, lo);
}

function minU(f: number, hi: number, lo: number): void {
  hi >>>= 0;
  lo >>>= 0;
  if (W[f + HI] > hi || (W[f + HI] === hi && W[f + LO] > lo)) set64(f, hi, lo);
}

function maxS(f: number, hi: number, lo: number): void {
  const h = W[f + HI] | 0;
  lo >>>= 0;
  if (h < (hi | 0) || (h === (hi | 0) && W[f + LO] < lo)) set64(f, hi, lo);
}

function minS(f: number, hi: number, lo: number): void {
  const h = W[f + HI] | 0;
  lo >>>= 0;
  if (h > (hi | 0) || (h === (hi | 0) && W[f + LO] > lo)) set64(f, hi, lo);
}

/** `__update_reg32_bounds` on the loaded tnum. */
function update32(b: ScalarBounds): void {
  const value = W[VAL + LO], mask = W[MASK + LO];
  b.s32Min = Math.max(b.s32Min, value | (mask & 0x80000000));
  b.s32Max = Math.min(b.s32Max, value | (mask & 0x7fffffff));
  b.u32Min = Math.max(b.u32Min, value);
  b.u32Max = Math.min(b.u32Max, (value | mask) >>> 0);
}

/** `tnum_step` of the loaded tnum, in STEP: its smallest member above hi:lo (its value below it, its largest from there on). */
const STEP = new Uint32Array(2);
function tnumStep(hi: number, lo: number): void {
  const vh = W[VAL + HI], vl = W[VAL + LO], mh = W[MASK + HI], ml = W[MASK + LO];
  const th = (vh | mh) >>> 0, tl = (vl | ml) >>> 0;
  if (hi > th || (hi === th && lo >= tl)) return void (STEP[0] = th, STEP[1] = tl);
  if (hi < vh || (hi === vh && lo < vl)) return void (STEP[0] = vh, STEP[1] = vl);
  // x = z + 1 (no carry out: z is below the largest member); the smallest member from x up keeps x's bits above
  // the highest fixed bit where x differs from the tnum.
  const xl = (lo + 1) >>> 0, xh = xl === 0 ? (hi + 1) >>> 0 : hi;
  const dh = ((xh & ~mh) ^ vh) >>> 0, dl = ((xl & ~ml) ^ vl) >>> 0;
  if (dh === 0 && dl === 0) return void (STEP[0] = xh, STEP[1] = xl);
  const h = dh !== 0 ? 63 - Math.clz32(dh) : 31 - Math.clz32(dl);
  if (bitOf(vh, vl, h)) {
    // x has 0 where the tnum has a fixed 1: x's bits above, that 1, the tnum's least below.
    STEP[0] = ((xh & highH(h + 1)) | (vh & ~highH(h + 1))) >>> 0;
    STEP[1] = ((xl & highL(h + 1)) | (vl & ~highL(h + 1))) >>> 0;
    return;
  }
  // x has 1 where the tnum has a fixed 0: the lowest unknown bit above it that x leaves 0 becomes 1, the tnum's least below.
  const ch = (mh & ~xh & highH(h + 1)) >>> 0, cl = (ml & ~xl & highL(h + 1)) >>> 0;
  const j = cl !== 0 ? 31 - Math.clz32(cl & -cl) : 63 - Math.clz32(ch & -ch);
  STEP[0] = ((xh & highH(j + 1)) | (j >= 32 ? 1 << (j - 32) : 0) | (vh & ~highH(j))) >>> 0;
  STEP[1] = ((xl & highL(j + 1)) | (j < 32 ? 1 << j : 0) | (vl & ~highL(j))) >>> 0;
}

/** `tnum_step`: the smallest member of `t` above `z` (t's value when z is below it, its largest member from there on). */
export function tnumStepOf(t: Tnum, z: bigint): bigint {
  B[4] = t.value;
  B[5] = t.mask;
  B[0] = z;
  tnumStep(W[UMIN + HI], W[UMIN + LO]);
  return (BigInt(STEP[0]) << 32n) | BigInt(STEP[1]);
}

/** The halves of the mask of bits k..63. */
const highH = (k: number): number => (k <= 32 ? 0xffffffff : k >= 64 ? 0 : (0xffffffff << (k - 32)) >>> 0);
const highL = (k: number): number => (k >= 32 ? 0 : (0xffffffff << k) >>> 0);
const bitOf = (hi: number, lo: number, k: number): boolean => ((k >= 32 ? hi >>> (k - 32) : lo >>> k) & 1) === 1;

/** markKnown on the loaded bounds: hi:lo. */
function markLoadedKnown(b: ScalarBounds, hi: number, lo: number): void {
  set64(VAL, hi, lo);
  set64(MASK, 0, 0);
  set64(UMIN, hi, lo);
  set64(UMAX, hi, lo);
  set64(SMIN, hi, lo);
  set64(SMAX, hi, lo);
  b.u32Min = b.u32Max = lo;
  b.s32Min = b.s32Max = lo | 0;
}

/** hi:lo is above the loaded umax. */
function aboveUmax(hi: number, lo: number): boolean {
  return hi > W[UMAX + HI] || (hi === W[UMAX + HI] && lo > W[UMAX + LO]);
}

/** `__update_reg64_bounds`: the bounds from the tnum, and the one value they share with it, if only one. */
function update64(b: ScalarBounds): void {
  const vh = W[VAL + HI], vl = W[VAL + LO], mh = W[MASK + HI], ml = W[MASK + LO];
  maxS(SMIN, vh | (mh & 0x80000000), vl);
  minS(SMAX, vh | (mh & 0x7fffffff), vl | ml);
  maxU(UMIN, vh, vl);
  minU(UMAX, vh | mh, vl | ml);
  const uh = W[UMIN + HI], ul = W[UMIN + LO], th = (vh | mh) >>> 0, tl = (vl | ml) >>> 0;
  tnumStep(uh, ul);
  const nh = STEP[0], nl = STEP[1];
  if (((uh & ~mh) >>> 0) === vh && ((ul & ~ml) >>> 0) === vl) {
    if (aboveUmax(nh, nl)) markLoadedKnown(b, uh, ul);
  } else if (nh === th && nl === tl) {
    markLoadedKnown(b, th, tl);
  } else if (!aboveUmax(nh, nl)) {
    tnumStep(nh, nl);
    if (aboveUmax(STEP[0], STEP[1])) markLoadedKnown(b, nh, nl);
  }
}

/** `__update_reg64_bounds` (the 32-bit ranges are numbers already: updateReg32Bounds). */
export function updateReg64Bounds(b: ScalarBounds): void {
  loadBounds(b);
  update64(b);
  storeBounds(b);
}

export function updateRegBounds(b: ScalarBounds): void {
  updateReg32Bounds(b);
  updateReg64Bounds(b);
}

/** `__reg32_deduce_bounds`: 32-bit ranges from the 64-bit ones and from each other. */
function reg32DeduceBounds(b: ScalarBounds): void {
  const uminHi = W[UMIN + HI], umaxHi = W[UMAX + HI], sminHi = W[SMIN + HI], smaxHi = W[SMAX + HI];
  const uminLo = W[UMIN + LO], umaxLo = W[UMAX + LO], sminLo = W[SMIN + LO], smaxLo = W[SMAX + LO];
  // The upper halves of the u64 (or s64) range are equal: its low halves bound the subregister.
  if (uminHi === umaxHi) {
    b.u32Min = Math.max(b.u32Min, uminLo);
    b.u32Max = Math.min(b.u32Max, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      b.s32Min = Math.max(b.s32Min, uminLo | 0);
      b.s32Max = Math.min(b.s32Max, umaxLo | 0);
    }
  }
  if (sminHi === smaxHi) {
    b.u32Min = Math.max(b.u32Min, sminLo);
    b.u32Max = Math.min(b.u32Max, smaxLo);
    if ((sminLo | 0) <= (smaxLo | 0)) {
      b.s32Min = Math.max(b.s32Min, sminLo | 0);
      b.s32Max = Math.min(b.s32Max, smaxLo | 0);
    }
  }
  // Upper halves are two consecutive numbers and the low halves cross the s32 sign boundary.
  if (((uminHi + 1) >>> 0) === umaxHi && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    b.s32Min = Math.max(b.s32Min, uminLo | 0);
    b.s32Max = Math.min(b.s32Max, umaxLo | 0);
  }
  if (((sminHi + 1) >>> 0) === smaxHi && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    b.s32Min = Math.max(b.s32Min, sminLo | 0);
    b.s32Max = Math.min(b.s32Max, smaxLo | 0);
  }
  // A u32 range that does not cross the sign bit is also an s32 range, and the other way round.
  if (s32(b.u32Min) <= s32(b.u32Max)) {
    b.s32Min = Math.max(b.s32Min, s32(b.u32Min));
    b.s32Max = Math.min(b.s32Max, s32(b.u32Max));
  }
  if (u32(b.s32Min) <= u32(b.s32Max)) {
    b.u32Min = Math.max(u32(b.s32Min), b.u32Min);
    b.u32Max = Math.min(u32(b.s32Max), b.u32Max);
  }
}

/** `__reg64_deduce_bounds`. */
function reg64DeduceBounds(): void {
  if (!ltS(UMAX, UMIN)) {
    maxS(SMIN, W[UMIN + HI], W[UMIN + LO]);
    minS(SMAX, W[UMAX + HI], W[UMAX + LO]);
  }
  if (!ltU(SMAX, SMIN)) {
    maxU(UMIN, W[SMIN + HI], W[SMIN + LO]);
    minU(UMAX, W[SMAX + HI], W[SMAX + LO]);
  } else if (ltU(UMAX, SMIN)) {
    // The s64 range wraps in the u64 domain and the u64 range only meets its non-negative part.
    copy64(SMIN, UMIN);
    minU(UMAX, W[SMAX + HI], W[SMAX + LO]);
  } else if (ltU(SMAX, UMIN)) {
    // ... or only its negative part.
    copy64(SMAX, UMAX);
    maxU(UMIN, W[SMIN + HI], W[SMIN + LO]);
  }
}

/**
 * The smallest tnum holding [min, max] (tnumRange) intersected with the
 * loaded tnum (tnumIntersect), for a range given by its halves.
 */
function intersectRange(minHi: number, minLo: number, maxHi: number, maxLo: number): void {
  const chiHi = (minHi ^ maxHi) >>> 0, chiLo = (minLo ^ maxLo) >>> 0;
  // delta = 2^fls64(chi) - 1 (all ones for a range of 64 bits: the unknown tnum).
  let dHi: number, dLo: number;
  if (chiHi) {
    dHi = (2 ** (32 - Math.clz32(chiHi)) - 1) >>> 0;
    dLo = 0xffffffff;
  } else {
    dHi = 0;
    dLo = (2 ** (32 - Math.clz32(chiLo)) - 1) >>> 0;
  }
  const vHi = (W[VAL + HI] | (minHi & ~dHi)) >>> 0, vLo = (W[VAL + LO] | (minLo & ~dLo)) >>> 0;
  const muHi = W[MASK + HI] & dHi, muLo = W[MASK + LO] & dLo;
  set64(VAL, vHi & ~muHi, vLo & ~muLo);
  set64(MASK, muHi, muLo);
}

/**
 * `__reg_deduce_mixed_bounds`: 64-bit ranges from the 32-bit ones, each
 * bound with its low half replaced by the u32 one when that is tighter.
 */
function regDeduceMixedBounds(b: ScalarBounds): void {
  if (W[UMIN + LO] < b.u32Min) W[UMIN + LO] = b.u32Min;
  if (W[UMAX + LO] > b.u32Max) W[UMAX + LO] = b.u32Max;
  if (W[SMIN + LO] < b.u32Min) W[SMIN + LO] = b.u32Min;
  if (W[SMAX + LO] > b.u32Max) W[SMAX + LO] = b.u32Max;
  // After a sign-extending load the upper half is all zeros or all ones: a non-negative s32 range is the whole range.
  const sminHi = W[SMIN + HI] | 0, smaxHi = W[SMAX + HI] | 0;
  const sminFits = sminHi > -1 || (sminHi === -1 && W[SMIN + LO] >= 0x80000000);
  const smaxFits = smaxHi < 0 || (smaxHi === 0 && W[SMAX + LO] <= 0x7fffffff);
  if (b.s32Min >= 0 && sminFits && smaxFits) {
    const maxHi = b.s32Max < 0 ? 0xffffffff : 0;
    set64(SMIN, 0, b.s32Min);
    set64(SMAX, maxHi, b.s32Max);
    set64(UMIN, 0, b.s32Min);
    set64(UMAX, maxHi, b.s32Max);
    intersectRange(0, b.s32Min, maxHi, b.s32Max);
  }
}

/** `__reg_bound_offset`: learn tnum bits from the unsigned ranges. */
function boundOffset(b: ScalarBounds): void {
  intersectRange(W[UMIN + HI], W[UMIN + LO], W[UMAX + HI], W[UMAX + LO]);
  // The subregister: the low half intersected with the u32 range's tnum, the upper half as it is.
  const hiV = W[VAL + HI], hiM = W[MASK + HI];
  set64(VAL, 0, W[VAL + LO]);
  set64(MASK, 0, W[MASK + LO]);
  intersectRange(0, b.u32Min, 0, b.u32Max);
  W[VAL + HI] = hiV;
  W[MASK + HI] = hiM;
}

/** `__reg_bound_offset`. */
export function regBoundOffset(b: ScalarBounds): void {
  loadBounds(b);
  boundOffset(b);
  storeBounds(b);
}

/** A known constant whose every bound is that constant, or a scalar nothing is known about: `reg_bounds_sync` would change nothing. */
function syncFixpoint(b: ScalarBounds): boolean {
  const t = b.varOff;
  if (t.mask === 0n) {
    return b.umin === t.value && b.umax === t.value && b.smin === b.smax && b.smin === (t.value > S64_MAX ? t.value - (1n << 64n) : t.value) &&
      b.u32Min === b.u32Max && b.u32Min === Number(t.value & 0xffffffffn) && b.s32Min === b.s32Max && b.s32Min === (b.u32Min | 0);
  }
  return t.mask === U64_MAX && b.umin === 0n && b.umax === U64_MAX && b.smin === S64_MIN && b.smax === S64_MAX &&
    b.u32Min === 0 && b.u32Max === U32_MAX && b.s32Min === S32_MIN && b.s32Max === S32_MAX;
}

/** `reg_bounds_sync`. */
export function regBoundsSync(b: ScalarBounds): void {
  if (syncFixpoint(b)) return;
  loadBounds(b);
  update32(b);
  update64(b);
  for (let i = 0; i < 2; i++) {
    reg32DeduceBounds(b);
    reg64DeduceBounds();
    regDeduceMixedBounds(b);
  }
  boundOffset(b);
  update32(b);
  update64(b);
  storeBounds(b);
}

/** `__reg_assign_32_into_64`: after a 32-bit write the value is zero-extended. */
export function regAssign32Into64(b: ScalarBounds): void {
  b.umin = BigInt(b.u32Min);
  b.umax = BigInt(b.u32Max);
  b.smax = b.s32Min >= 0 && b.s32Max >= 0 ? BigInt(b.s32Max) : BigInt(U32_MAX);
  b.smin = b.s32Min >= 0 ? BigInt(b.s32Min) : 0n;
}

/** `zext_32_to_64`. */
export function zext32To64(b: ScalarBounds): void {
  b.varOff = tnumSubreg(b.varOff);
  regAssign32Into64(b);
}

/** Are the bounds impossible (an unreachable branch)? `reg_bounds_sanity_check`. */
export function boundsInconsistent(b: ScalarBounds): boolean {
  return b.umin > b.umax || b.smin > b.smax || b.u32Min > b.u32Max || b.s32Min > b.s32Max ||
    (tnumIsConst(b.varOff) && (b.umin !== b.varOff.value || b.umax !== b.varOff.value)) ||
    b.umin < b.varOff.value || (b.varOff.value | b.varOff.mask) < b.umin;
}

/** Does the concrete 64-bit value x satisfy every part of b? (The soundness model of the tests.) */
export function boundsContain(b: ScalarBounds, x: bigint): boolean {
  const v = u64(x);
  const lo = Number(v & 0xffffffffn);
  return (v & ~b.varOff.mask & U64_MAX) === b.varOff.value &&
    v >= b.umin && v <= b.umax && s64(v) >= b.smin && s64(v) <= b.smax &&
    lo >= b.u32Min && lo <= b.u32Max && s32(lo) >= b.s32Min && s32(lo) <= b.s32Max;
}
