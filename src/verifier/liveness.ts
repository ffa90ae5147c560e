/**
 * `compute_live_registers`: which of r0-r9 each instruction may still read
 * before they are written again, by a backward data-flow pass over the
 * CFG. The kernel prints it at log level 2 ("Live regs before insn") and
 * uses it so that dead registers take no part in linked-scalar propagation
 * and state comparison.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CMPXCHG, BPF_FETCH, BPF_LD, BPF_LDX, BPF_MOV, BPF_ST, BPF_STX, BPF_X,
  BPF_XCHG, type Insn, type Opcode,
} from '../isa/index.js';

const bit = (r: number): number => (r < 10 ? 1 << r : 0);
const CALLER_SAVED = 0x3f;
const ALL_REGS = 0x3ff;

/** Registers an instruction reads (use) and writes (def), as bitmasks of r0-r9. */
function useDef(ins: Insn, row: Opcode, helperArgs: (id: number) => number): { use: number; def: number } {
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

function successors(insns: readonly Insn[], row: Opcode, i: number): number[] {
  const ins = insns[i];
  switch (row.format) {
    case 'exit': return [];
    case 'ja': return [i + ins.off + 1];
    case 'ja32': return [i + ins.imm + 1];
    case 'jmp_reg': case 'jmp_imm': case 'may_goto': return [i + 1, i + ins.off + 1];
    case 'lddw': return [i + 2];
    default: return [i + 1];
  }
}

/** Live-in register masks per instruction (0 for the second slot of lddw). */
export function computeLiveRegisters(insns: readonly Insn[], rows: readonly (Opcode | null)[],
  helperArgs: (id: number) => number): number[] {
  const n = insns.length;
  const liveIn = new Array<number>(n).fill(0);
  // Flat arrays (use, def, up to two successors or -1): the fixpoint passes run over every instruction several times.
  const use = new Int32Array(n), def = new Int32Array(n);
  const succ1 = new Int32Array(n).fill(-1), succ2 = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!row) continue;
    const ud = useDef(insns[i], row, helperArgs);
    use[i] = ud.use;
    def[i] = ud.def;
    const succ = successors(insns, row, i).filter((t) => t >= 0 && t < n);
    if (succ.length > 0) succ1[i] = succ[0];
    if (succ.length > 1) succ2[i] = succ[1];
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (!rows[i]) continue;
      let out = 0;
      if (succ1[i] >= 0) out |= liveIn[succ1[i]];
      if (succ2[i] >= 0) out |= liveIn[succ2[i]];
      const v = use[i] | (out & ~def[i]);
      if (v !== liveIn[i]) {
        liveIn[i] = v;
        changed = true;
      }
    }
  }
  return liveIn;
}

/** `.1.3......`: the kernel's picture of a live mask. */
export function liveStr(mask: number): string {
  let s = '';
  for (let r = 0; r < 10; r++) s += mask & (1 << r) ? String(r) : '.';
  return s;
}
