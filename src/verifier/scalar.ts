/**
 * Transfer functions of scalars: `adjust_scalar_min_max_vals` for every ALU
 * operation in 64 and 32 bits, `is_branch_taken` and the branch refinement of
 * `regs_refine_cond_op`, each as kernel/bpf/verifier.c computes them.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE,
  BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_X, BPF_XOR,
} from '../isa/index.js';
import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, markKnown, markKnown32, markUnbounded32,
  markUnbounded64, markUnknown, regBoundsSync, s32, s64, u32, u64, unboundedScalar, updateReg32Bounds,
  updateRegBounds, zext32To64, type ScalarBounds,
} from './bounds.js';
import {
  tnumAdd, tnumAnd, tnumArshift, tnumConst, tnumIntersect, tnumIsConst, tnumLshift, tnumMul, tnumNeg, tnumOr,
  tnumRshift, tnumSub, tnumSubreg, tnumWithSubreg, tnumXor,
} from './tnum.js';

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const S32_MIN_B = BigInt(S32_MIN);
const S32_MAX_B = BigInt(S32_MAX);

export function cloneBounds(b: ScalarBounds): ScalarBounds {
  return { ...b };
}

export function knownScalar(v: bigint): ScalarBounds {
  const b = unboundedScalar();
  markKnown(b, v);
  return b;
}

export function isConst(b: ScalarBounds, jmp32: boolean): boolean {
  return jmp32 ? tnumIsConst(tnumSubreg(b.varOff)) : tnumIsConst(b.varOff);
}

export function constValue(b: ScalarBounds, jmp32: boolean): bigint {
  return jmp32 ? b.varOff.value & 0xffffffffn : b.varOff.value;
}

function scalar32Add(d: ScalarBounds, s: ScalarBounds): void {
  const smin = d.s32Min + s.s32Min;
  const smax = d.s32Max + s.s32Max;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    d.s32Min = S32_MIN;
    d.s32Max = S32_MAX;
  } else {
    d.s32Min = smin;
    d.s32Max = smax;
  }
  const umin = d.u32Min + s.u32Min;
  const umax = d.u32Max + s.u32Max;
  const minOverflow = umin > U32_MAX;
  const maxOverflow = umax > U32_MAX;
  if (!minOverflow && maxOverflow) {
    d.u32Min = 0;
    d.u32Max = U32_MAX;
  } else {
    // Both sums wrapped (or neither): the wrapped range is still contiguous.
    d.u32Min = u32(umin);
    d.u32Max = u32(umax);
  }
}

function scalar64Add(d: ScalarBounds, s: ScalarBounds): void {
  const smin = d.smin + s.smin;
  const smax = d.smax + s.smax;
  if (smin !== s64(smin) || smax !== s64(smax)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin + s.umin;
  const umax = d.umax + s.umax;
  if (umin <= U64_MAX && umax > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function scalar32Sub(d: ScalarBounds, s: ScalarBounds): void {
  const smin = d.s32Min - s.s32Max;
  const smax = d.s32Max - s.s32Min;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    d.s32Min = S32_MIN;
    d.s32Max = S32_MAX;
  } else {
    d.s32Min = smin;
    d.s32Max = smax;
  }
  const umin = d.u32Min - s.u32Max;
  const umax = d.u32Max - s.u32Min;
  if (umin < 0 && umax >= 0) {
    d.u32Min = 0;
    d.u32Max = U32_MAX;
  } else {
    d.u32Min = u32(umin);
    d.u32Max = u32(umax);
  }
}

function scalar64Sub(d: ScalarBounds, s: ScalarBounds): void {
  const smin = d.smin - s.smax;
  const smax = d.smax - s.smin;
  if (smin !== s64(smin) || smax !== s64(smax)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin - s.umax;
  const umax = d.umax - s.umin;
  if (umin < 0n && umax >= 0n) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function scalar32Mul(d: ScalarBounds, s: ScalarBounds): void {
  const umin = BigInt(d.u32Min) * BigInt(s.u32Min);
  const umax = BigInt(d.u32Max) * BigInt(s.u32Max);
  if (umin > BigInt(U32_MAX) || umax > BigInt(U32_MAX)) {
    d.u32Min = 0;
    d.u32Max = U32_MAX;
  } else {
    d.u32Min = Number(umin);
    d.u32Max = Number(umax);
  }
  const exact = [BigInt(d.s32Min) * BigInt(s.s32Min), BigInt(d.s32Min) * BigInt(s.s32Max),
    BigInt(d.s32Max) * BigInt(s.s32Min), BigInt(d.s32Max) * BigInt(s.s32Max)];
  if (exact.some((x) => x < S32_MIN_B || x > S32_MAX_B)) {
    d.s32Min = S32_MIN;
    d.s32Max = S32_MAX;
  } else {
    d.s32Min = Number(exact.reduce(minB));
    d.s32Max = Number(exact.reduce(maxB));
  }
}

function scalar64Mul(d: ScalarBounds, s: ScalarBounds): void {
  const umin = d.umin * s.umin;
  const umax = d.umax * s.umax;
  if (umin > U64_MAX || umax > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const exact = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (exact.some((x) => x < S64_MIN || x > S64_MAX)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = exact.reduce(minB);
    d.smax = exact.reduce(maxB);
  }
}

/** AND, OR and XOR share this tail: signed ranges only when the unsigned one does not cross the sign bit. */
function signedFromUnsigned32(d: ScalarBounds): void {
  if (s32(d.u32Min) <= s32(d.u32Max)) {
    d.s32Min = s32(d.u32Min);
    d.s32Max = s32(d.u32Max);
  } else {
    d.s32Min = S32_MIN;
    d.s32Max = S32_MAX;
  }
}

function signedFromUnsigned64(d: ScalarBounds): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

function scalar32And(d: ScalarBounds, s: ScalarBounds): void {
  const t = tnumSubreg(d.varOff);
  if (isConst(s, true) && isConst(d, true)) {
    markKnown32(d, Number(t.value));
    return;
  }
  d.u32Min = Number(t.value);
  d.u32Max = Math.min(d.u32Max, s.u32Max);
  signedFromUnsigned32(d);
}

function scalar64And(d: ScalarBounds, s: ScalarBounds): void {
  if (isConst(s, false) && isConst(d, false)) {
    markKnown(d, d.varOff.value);
    return;
  }
  d.umin = d.varOff.value;
  d.umax = minB(d.umax, s.umax);
  signedFromUnsigned64(d);
  updateRegBounds(d);
}

function scalar32Or(d: ScalarBounds, s: ScalarBounds): void {
  const t = tnumSubreg(d.varOff);
  if (isConst(s, true) && isConst(d, true)) {
    markKnown32(d, Number(t.value));
    return;
  }
  d.u32Min = Math.max(d.u32Min, s.u32Min);
  d.u32Max = Number(t.value | t.mask);
  signedFromUnsigned32(d);
}

function scalar64Or(d: ScalarBounds, s: ScalarBounds): void {
  if (isConst(s, false) && isConst(d, false)) {
    markKnown(d, d.varOff.value);
    return;
  }
  d.umin = maxB(d.umin, s.umin);
  d.umax = d.varOff.value | d.varOff.mask;
  signedFromUnsigned64(d);
  updateRegBounds(d);
}

function scalar32Xor(d: ScalarBounds, s: ScalarBounds): void {
  const t = tnumSubreg(d.varOff);
  if (isConst(s, true) && isConst(d, true)) {
    markKnown32(d, Number(t.value));
    return;
  }
  d.u32Min = Number(t.value);
  d.u32Max = Number(t.value | t.mask);
  signedFromUnsigned32(d);
}

function scalar64Xor(d: ScalarBounds, s: ScalarBounds): void {
  if (isConst(s, false) && isConst(d, false)) {
    markKnown(d, d.varOff.value);
    return;
  }
  d.umin = d.varOff.value;
  d.umax = d.varOff.value | d.varOff.mask;
  signedFromUnsigned64(d);
  updateRegBounds(d);
}

function scalar32Lsh(d: ScalarBounds, uminVal: number, umaxVal: number): void {
  d.s32Min = S32_MIN;
  d.s32Max = S32_MAX;
  if (umaxVal > 31 || d.u32Max > 2 ** (31 - umaxVal)) {
    d.u32Min = 0;
    d.u32Max = U32_MAX;
  } else {
    d.u32Min = u32(BigInt(d.u32Min) << BigInt(uminVal));
    d.u32Max = u32(BigInt(d.u32Max) << BigInt(umaxVal));
  }
  d.varOff = tnumSubreg(tnumLshift(tnumSubreg(d.varOff), uminVal));
  markUnbounded64(d);
  updateReg32Bounds(d);
}

function scalar64Lsh(d: ScalarBounds, uminVal: number, umaxVal: number): void {
  // x << 32 is how compilers start a sign extension: keep the s32 range in the upper half.
  d.smax = uminVal === 32 && umaxVal === 32 && d.s32Max >= 0 ? BigInt(d.s32Max) << 32n : S64_MAX;
  d.smin = uminVal === 32 && umaxVal === 32 && d.s32Min >= 0 ? BigInt(d.s32Min) << 32n : S64_MIN;
  if (d.umax > 1n << BigInt(63 - umaxVal)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << BigInt(uminVal));
    d.umax = u64(d.umax << BigInt(umaxVal));
  }
  // The 32-bit part of a 64-bit shift, computed from the unshifted 32-bit bounds.
  d.s32Min = S32_MIN;
  d.s32Max = S32_MAX;
  if (umaxVal > 31 || d.u32Max > 2 ** (31 - umaxVal)) {
    d.u32Min = 0;
    d.u32Max = U32_MAX;
  } else {
    d.u32Min = u32(BigInt(d.u32Min) << BigInt(uminVal));
    d.u32Max = u32(BigInt(d.u32Max) << BigInt(umaxVal));
  }
  d.varOff = tnumLshift(d.varOff, uminVal);
  updateRegBounds(d);
}

function scalar32Rsh(d: ScalarBounds, uminVal: number, umaxVal: number): void {
  const sub = tnumSubreg(d.varOff);
  d.s32Min = S32_MIN;
  d.s32Max = S32_MAX;
  d.varOff = tnumRshift(sub, uminVal);
  d.u32Min = d.u32Min >>> umaxVal;
  d.u32Max = d.u32Max >>> uminVal;
  markUnbounded64(d);
  updateReg32Bounds(d);
}

function scalar64Rsh(d: ScalarBounds, uminVal: number, umaxVal: number): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, uminVal);
  d.umin >>= BigInt(umaxVal);
  d.umax >>= BigInt(uminVal);
  markUnbounded32(d);
  updateRegBounds(d);
}

function scalar32Arsh(d: ScalarBounds, uminVal: number): void {
  d.s32Min = d.s32Min >> uminVal;
  d.s32Max = d.s32Max >> uminVal;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), uminVal, 32);
  d.u32Min = 0;
  d.u32Max = U32_MAX;
  markUnbounded64(d);
  updateReg32Bounds(d);
}

function scalar64Arsh(d: ScalarBounds, uminVal: number): void {
  d.smin >>= BigInt(uminVal);
  d.smax >>= BigInt(uminVal);
  d.varOff = tnumArshift(d.varOff, uminVal, 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  markUnbounded32(d);
  updateRegBounds(d);
}

/**
 * `is_safe_to_compute_dst_reg_range`: bounds are tracked for add, sub, mul
 * and the bitwise operations, and for shifts by a constant below the width;
 * anything else (div, mod, shifts by a variable) makes the result unknown.
 */
export function isSafeToComputeDstRegRange(op: number, src: ScalarBounds, alu32: boolean): boolean {
  switch (op) {
    case BPF_ADD: case BPF_SUB: case BPF_NEG: case BPF_AND: case BPF_XOR: case BPF_OR: case BPF_MUL:
      return true;
    case BPF_LSH: case BPF_RSH: case BPF_ARSH: {
      const srcIsConst = alu32
        ? isConst(src, true) && src.s32Min === src.s32Max && src.u32Min === src.u32Max
        : isConst(src, false) && src.smin === src.smax && src.umin === src.umax;
      return srcIsConst && src.umax < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

/**
 * `adjust_scalar_min_max_vals`: dst = dst op src on the abstract values, in
 * place. `op` is the BPF_OP bits (BPF_ADD, …, BPF_NEG).
 */
export function adjustScalarMinMaxVals(dst: ScalarBounds, src: ScalarBounds, op: number, alu32: boolean): void {
  if (!isSafeToComputeDstRegRange(op, src, alu32)) {
    markUnknown(dst);
    return;
  }
  switch (op) {
    case BPF_ADD:
      scalar32Add(dst, src);
      scalar64Add(dst, src);
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    case BPF_SUB:
      scalar32Sub(dst, src);
      scalar64Sub(dst, src);
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    case BPF_NEG: {
      const old = cloneBounds(dst);
      markKnown(dst, 0n);
      scalar32Sub(dst, old);
      scalar64Sub(dst, old);
      dst.varOff = tnumNeg(old.varOff);
      break;
    }
    case BPF_MUL:
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      scalar32Mul(dst, src);
      scalar64Mul(dst, src);
      break;
    case BPF_AND:
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      scalar32And(dst, src);
      scalar64And(dst, src);
      break;
    case BPF_OR:
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      scalar32Or(dst, src);
      scalar64Or(dst, src);
      break;
    case BPF_XOR:
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      scalar32Xor(dst, src);
      scalar64Xor(dst, src);
      break;
    case BPF_LSH:
      if (alu32) scalar32Lsh(dst, src.u32Min, src.u32Max);
      else scalar64Lsh(dst, Number(src.umin), Number(src.umax));
      break;
    case BPF_RSH:
      if (alu32) scalar32Rsh(dst, src.u32Min, src.u32Max);
      else scalar64Rsh(dst, Number(src.umin), Number(src.umax));
      break;
    case BPF_ARSH:
      if (alu32) scalar32Arsh(dst, src.u32Min);
      else scalar64Arsh(dst, Number(src.umin));
      break;
  }
  if (alu32) zext32To64(dst);
  regBoundsSync(dst);
}

/** The opcode that holds on the other branch (`rev_opcode`); JSET's other branch is written JSET|X. */
export function revOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JSET: return BPF_JSET | BPF_X;
    case BPF_JSET | BPF_X: return BPF_JSET;
    case BPF_JGT: return BPF_JLE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JGE: return BPF_JLT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGT;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSLT: return BPF_JSGE;
    default: return op;
  }
}

/** The opcode with its operands swapped (`flip_opcode`): a > b is b < a. */
export function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JGT: return BPF_JLT;
    case BPF_JLT: return BPF_JGT;
    case BPF_JGE: return BPF_JLE;
    case BPF_JLE: return BPF_JGE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSLT: return BPF_JSGT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGE;
    default: return op;
  }
}

/** `is_scalar_branch_taken`: 1 always taken, 0 never, -1 unknown. */
export function isScalarBranchTaken(r1: ScalarBounds, r2: ScalarBounds, op: number, jmp32: boolean): -1 | 0 | 1 {
  let t1 = jmp32 ? tnumSubreg(r1.varOff) : r1.varOff;
  let t2 = jmp32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = jmp32 ? BigInt(r1.u32Min) : r1.umin;
  const umax1 = jmp32 ? BigInt(r1.u32Max) : r1.umax;
  const umin2 = jmp32 ? BigInt(r2.u32Min) : r2.umin;
  const umax2 = jmp32 ? BigInt(r2.u32Max) : r2.umax;
  const smin1 = jmp32 ? BigInt(r1.s32Min) : r1.smin;
  const smax1 = jmp32 ? BigInt(r1.s32Max) : r1.smax;
  const smin2 = jmp32 ? BigInt(r2.s32Min) : r2.smin;
  const smax2 = jmp32 ? BigInt(r2.s32Max) : r2.smax;
  const disjoint32 = (): boolean => r1.u32Min > r2.u32Max || r1.u32Max < r2.u32Min ||
    r1.s32Min > r2.s32Max || r1.s32Max < r2.s32Min;
  switch (op) {
    case BPF_JEQ:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return 0;
      if (smin1 > smax2 || smax1 < smin2) return 0;
      if (!jmp32 && disjoint32()) return 0;
      return -1;
    case BPF_JNE:
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value !== t2.value ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return 1;
      if (smin1 > smax2 || smax1 < smin2) return 1;
      if (!jmp32 && disjoint32()) return 1;
      return -1;
    case BPF_JSET:
      if (!tnumIsConst(t2)) [t1, t2] = [t2, t1];
      if (!tnumIsConst(t2)) return -1;
      if ((~t1.mask & t1.value & t2.value) !== 0n) return 1;
      if (((t1.mask | t1.value) & t2.value) === 0n) return 0;
      return -1;
    case BPF_JGT:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      return -1;
    case BPF_JSGT:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      return -1;
    case BPF_JLT:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      return -1;
    case BPF_JSLT:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      return -1;
    case BPF_JGE:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      return -1;
    case BPF_JSGE:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      return -1;
    case BPF_JLE:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      return -1;
    case BPF_JSLE:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      return -1;
    default:
      return -1;
  }
}

/** `regs_refine_cond_op`: narrow r1 and r2 (in place) given that `r1 op r2` holds. */
export function regsRefineCondOp(r1: ScalarBounds, r2: ScalarBounds, op: number, jmp32: boolean): void {
  switch (op) {
    case BPF_JGE: case BPF_JGT: case BPF_JSGE: case BPF_JSGT:
      op = flipOpcode(op);
      [r1, r2] = [r2, r1];
      break;
  }
  switch (op) {
    case BPF_JEQ:
      if (jmp32) {
        r1.u32Min = Math.max(r1.u32Min, r2.u32Min);
        r1.u32Max = Math.min(r1.u32Max, r2.u32Max);
        r1.s32Min = Math.max(r1.s32Min, r2.s32Min);
        r1.s32Max = Math.min(r1.s32Max, r2.s32Max);
        r2.u32Min = r1.u32Min;
        r2.u32Max = r1.u32Max;
        r2.s32Min = r1.s32Min;
        r2.s32Max = r1.s32Max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = maxB(r1.umin, r2.umin);
        r1.umax = minB(r1.umax, r2.umax);
        r1.smin = maxB(r1.smin, r2.smin);
        r1.smax = minB(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case BPF_JNE: {
      if (!isConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, jmp32)) break;
      // Only a constant at the very edge of the other range shrinks it.
      const val = constValue(r2, jmp32);
      if (jmp32) {
        if (r1.u32Min === u32(val)) r1.u32Min++;
        if (r1.u32Max === u32(val)) r1.u32Max--;
        if (r1.s32Min === s32(val)) r1.s32Min++;
        if (r1.s32Max === s32(val)) r1.s32Max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s64(val)) r1.smin++;
        if (r1.smax === s64(val)) r1.smax--;
      }
      break;
    }
    case BPF_JSET: {
      if (!isConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, jmp32)) break;
      const val = constValue(r2, jmp32);
      // A set bit is learnt only when the mask has a single bit.
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (jmp32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case BPF_JSET | BPF_X: {
      if (!isConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, jmp32)) break;
      const val = constValue(r2, jmp32);
      if (jmp32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & 0xffffffffn)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(u64(~val)));
      break;
    }
    case BPF_JLE:
      if (jmp32) {
        r1.u32Max = Math.min(r1.u32Max, r2.u32Max);
        r2.u32Min = Math.max(r1.u32Min, r2.u32Min);
      } else {
        r1.umax = minB(r1.umax, r2.umax);
        r2.umin = maxB(r1.umin, r2.umin);
      }
      break;
    case BPF_JLT:
      if (jmp32) {
        r1.u32Max = Math.min(r1.u32Max, u32(r2.u32Max - 1));
        r2.u32Min = Math.max(u32(r1.u32Min + 1), r2.u32Min);
      } else {
        r1.umax = minB(r1.umax, u64(r2.umax - 1n));
        r2.umin = maxB(u64(r1.umin + 1n), r2.umin);
      }
      break;
    case BPF_JSLE:
      if (jmp32) {
        r1.s32Max = Math.min(r1.s32Max, r2.s32Max);
        r2.s32Min = Math.max(r1.s32Min, r2.s32Min);
      } else {
        r1.smax = minB(r1.smax, r2.smax);
        r2.smin = maxB(r1.smin, r2.smin);
      }
      break;
    case BPF_JSLT:
      if (jmp32) {
        r1.s32Max = Math.min(r1.s32Max, s32(r2.s32Max - 1));
        r2.s32Min = Math.max(s32(r1.s32Min + 1), r2.s32Min);
      } else {
        r1.smax = minB(r1.smax, s64(r2.smax - 1n));
        r2.smin = maxB(s64(r1.smin + 1n), r2.smin);
      }
      break;
  }
}

/**
 * `reg_set_min_max` for two scalars: the states of the taken and the
 * fall-through branches. Returns copies; the inputs are not changed.
 */
export function regSetMinMax(r1: ScalarBounds, r2: ScalarBounds, op: number, jmp32: boolean): {
  taken: [ScalarBounds, ScalarBounds]; fallthrough: [ScalarBounds, ScalarBounds];
} {
  const f1 = cloneBounds(r1), f2 = cloneBounds(r2), t1 = cloneBounds(r1), t2 = cloneBounds(r2);
  regsRefineCondOp(f1, f2, revOpcode(op), jmp32);
  regBoundsSync(f1);
  regBoundsSync(f2);
  regsRefineCondOp(t1, t2, op, jmp32);
  regBoundsSync(t1);
  regBoundsSync(t2);
  return { taken: [t1, t2], fallthrough: [f1, f2] };
}
