/**
 * Which of r0-r9 an instruction reads before it writes (use) and which it
 * writes (def), as the kernel's `compute_insn_live_regs` defines them: the
 * verifier's register liveness and the JIT's count of a callee's argument
 * registers both build on it.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CMPXCHG, BPF_FETCH, BPF_LD, BPF_LDX, BPF_MOV, BPF_ST, BPF_STX, BPF_X,
  BPF_XCHG,
} from './constants.js';
import type { Insn } from './insn.js';
import type { Opcode } from './table.js';

const bit = (r: number): number => (r < 10 ? 1 << r : 0);
const CALLER_SAVED = 0x3f;
const ALL_REGS = 0x3ff;

/**
 * Registers an instruction reads (use) and writes (def), as bitmasks of r0-r9;
 * `helperArgs` gives a helper's argument count.
 */
export function insnUseDef(ins: Insn, row: Opcode, helperArgs: (id: number) => number): { use: number; def: number } {
  const cls = ins.code & 7;
  const x = (ins.code & 0x08) === BPF_X;
  switch (row.format) {
    case 'exit': return { use: bit(0), def: 0 };
    case 'call_helper': return { use: (1 << (helperArgs(ins.imm) + 1)) - 2, def: CALLER_SAVED };
    case 'call_kfunc': return { use: 0x3e, def: CALLER_SAVED };
    case 'call_local': return { use: 0x3e, def: CALLER_SAVED };
    case 'callx': return { use: 0x3e | bit(ins.dst), def: CALLER_SAVED };
    case 'ja': case 'ja32': case 'may_goto': return { use: 0, def: 0 };
    case 'jmp_reg': return { use: bit(ins.dst) | bit(ins.src), def: 0 };
    case 'jmp_imm': return { use: bit(ins.dst), def: 0 };
    case 'lddw': return { use: 0, def: bit(ins.dst) };
    // As the kernel's compute_insn_live_regs: the legacy packet loads keep the default, every register read, none written.
    case 'ldabs': case 'ldind': return { use: ALL_REGS, def: 0 };
    default: break;
  }
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if ((ins.code & 0xf0) === BPF_MOV) return { use: x ? bit(ins.src) : 0, def: bit(ins.dst) };
    return { use: bit(ins.dst) | (x && row.format === 'alu_reg' ? bit(ins.src) : 0), def: bit(ins.dst) };
  }
  if (cls === BPF_LDX) return { use: bit(ins.src), def: bit(ins.dst) };
  if (cls === BPF_ST) return { use: bit(ins.dst), def: 0 };
  if (cls === BPF_STX && (ins.code & 0xe0) === BPF_ATOMIC) {
    if (ins.imm === BPF_CMPXCHG) return { use: bit(ins.dst) | bit(ins.src) | bit(0), def: bit(0) };
    const fetch = (ins.imm & BPF_FETCH) !== 0 || ins.imm === BPF_XCHG;
    return { use: bit(ins.dst) | bit(ins.src), def: fetch ? bit(ins.src) : 0 };
  }
  if (cls === BPF_STX) return { use: bit(ins.dst) | bit(ins.src), def: 0 };
  if (cls === BPF_LD) return { use: 0, def: bit(ins.dst) };
  return { use: 0, def: 0 };
}

/**
 * The registers an instruction itself writes, r0–r10 as a bitmask. Unlike
 * insnUseDef's def (the kernel's liveness), r10 counts, and a helper call or
 * legacy packet load writes r0 only: what a call clobbers besides, and a
 * bpf-to-bpf call's result, are its engine's business.
 */
export function regsWritten(ins: Insn, row: Opcode): number {
  switch (row.format) {
    case 'alu_reg': case 'alu_imm': case 'neg': case 'endian': case 'lddw': case 'ldx': return 1 << ins.dst;
    case 'atomic': return ins.imm === BPF_CMPXCHG ? 1 : (ins.imm & BPF_FETCH) !== 0 ? 1 << ins.src : 0;
    case 'call_helper': case 'callx': case 'call_kfunc': case 'ldabs': case 'ldind': return 1;
    default: return 0;
  }
}
