/**
 * `compute_live_registers`: which of r0-r9 each instruction may still read
 * before they are written again, by a backward data-flow pass over the
 * CFG. The kernel prints it at log level 2 ("Live regs before insn") and
 * uses it so that dead registers take no part in linked-scalar propagation
 * and state comparison.
 */
import { insnUseDef, type Insn, type Opcode } from '../isa/index.js';
import type { SuccessorTable } from './scc.js';

/** Live-in register masks per instruction (0 for the second slot of lddw). */
export function computeLiveRegisters(insns: readonly Insn[], rows: readonly (Opcode | null)[], { succ1, succ2 }: SuccessorTable,
  helperArgs: (id: number) => number): number[] {
  const n = insns.length;
  const liveIn = new Array<number>(n).fill(0);
  // Flat arrays (use, def; the successors are a table too): the fixpoint passes run over every instruction several times.
  const use = new Int32Array(n), def = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!row) continue;
    const ud = insnUseDef(insns[i], row, helperArgs);
    use[i] = ud.use;
    def[i] = ud.def;
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
