/**
 * The concrete model for the verifier's property tests: abstract values built
 * as the tightest description of a set of concrete 64-bit values, and the
 * concrete semantics of every ALU and JMP operation.
 */
import fc from 'fast-check';
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT,
  BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
} from '../../src/isa/index.js';
import { regBoundsSync, type ScalarBounds } from '../../src/verifier/bounds.js';
import type { Tnum } from '../../src/verifier/tnum.js';

const U64 = (1n << 64n) - 1n;

/** Values near the edges where bounds logic breaks: 0, the 32- and 64-bit sign and carry boundaries. */
export const value64 = fc.oneof(
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, v)),
  fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, (1n << 31n) + v)),
  fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, (1n << 32n) + v)),
  fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, (1n << 63n) + v)),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
);

/** A non-empty set of values that tends to be narrow (a small range) or to share bits. */
export const valueSet = fc.oneof(
  fc.array(value64, { minLength: 1, maxLength: 4 }),
  fc.tuple(value64, fc.bigInt({ min: 0n, max: 40n }), fc.array(fc.bigInt({ min: 0n, max: 40n }), { maxLength: 3 }))
    .map(([base, , ds]) => [base, ...ds.map((d) => BigInt.asUintN(64, base + d))]),
);

const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));

export function tnumOfSet(values: readonly bigint[]): Tnum {
  let and = U64, or = 0n;
  for (const v of values) {
    and &= v;
    or |= v;
  }
  const mask = and ^ or;
  return { value: and & ~mask & U64, mask };
}

/** The tightest abstract value holding every element of `values`, then synced as the kernel syncs. */
export function boundsOfSet(values: readonly bigint[]): ScalarBounds {
  const us = values.map((v) => BigInt.asUintN(64, v));
  const ss = us.map(s64);
  const lo32 = us.map(u32);
  const slo32 = us.map((v) => s32(v));
  const b: ScalarBounds = {
    varOff: tnumOfSet(us),
    umin: us.reduce((a, v) => (v < a ? v : a)), umax: us.reduce((a, v) => (v > a ? v : a)),
    smin: ss.reduce((a, v) => (v < a ? v : a)), smax: ss.reduce((a, v) => (v > a ? v : a)),
    u32Min: Math.min(...lo32), u32Max: Math.max(...lo32),
    s32Min: Math.min(...slo32), s32Max: Math.max(...slo32),
  };
  regBoundsSync(b);
  return b;
}

/** dst op src as the CPU computes it; shifts take the amount modulo the width, as the ISA says. */
export function aluConcrete(op: number, dst: bigint, src: bigint, alu32: boolean): bigint {
  const w = alu32 ? 32 : 64;
  const mask = (1n << BigInt(w)) - 1n;
  const a = dst & mask, b = src & mask;
  let r: bigint;
  switch (op) {
    case BPF_ADD: r = a + b; break;
    case BPF_SUB: r = a - b; break;
    case BPF_MUL: r = a * b; break;
    case BPF_AND: r = a & b; break;
    case BPF_OR: r = a | b; break;
    case BPF_XOR: r = a ^ b; break;
    case BPF_NEG: r = -a; break;
    case BPF_LSH: r = a << (b % BigInt(w)); break;
    case BPF_RSH: r = a >> (b % BigInt(w)); break;
    case BPF_ARSH: r = BigInt.asIntN(w, a) >> (b % BigInt(w)); break;
    default: throw new Error(`no model for op ${op}`);
  }
  return BigInt.asUintN(w, r);
}

export function jmpConcrete(op: number, a: bigint, b: bigint, jmp32: boolean): boolean {
  const w = jmp32 ? 32 : 64;
  const x = BigInt.asUintN(w, a), y = BigInt.asUintN(w, b);
  const sx = BigInt.asIntN(w, a), sy = BigInt.asIntN(w, b);
  switch (op) {
    case BPF_JEQ: return x === y;
    case BPF_JNE: return x !== y;
    case BPF_JSET: return (x & y) !== 0n;
    case BPF_JGT: return x > y;
    case BPF_JGE: return x >= y;
    case BPF_JLT: return x < y;
    case BPF_JLE: return x <= y;
    case BPF_JSGT: return sx > sy;
    case BPF_JSGE: return sx >= sy;
    case BPF_JSLT: return sx < sy;
    case BPF_JSLE: return sx <= sy;
    default: throw new Error(`no model for jump ${op}`);
  }
}

export const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR, BPF_NEG, BPF_LSH, BPF_RSH, BPF_ARSH];
export const JMP_OPS = [BPF_JEQ, BPF_JNE, BPF_JSET, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE];

export function show(b: ScalarBounds): string {
  return JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
}
