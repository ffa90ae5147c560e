/**
 * Loops as the kernel's verifier sees them (`compute_scc`): the strongly
 * connected components of each subprogram's control-flow graph. A state
 * whose instruction lies in a loop has incomplete read and precision marks
 * until every path from the loop's entry is explored, so the verifier tracks
 * each visit of a loop (per call chain), the states that converged inside it
 * (backedges), and propagates precision over those once the visit ends.
 */
import type { Insn, Opcode } from '../isa/index.js';
import type { VerifierState } from './state.js';

/**
 * Successors of each instruction inside its subprogram (`bpf_insn_successors`):
 * calls return to the next one. Flat arrays (up to two, -1 for none, out of
 * range dropped) built once: Tarjan's search below and the liveness fixpoint
 * look at an instruction's successors again each time they come back to it.
 */
export interface SuccessorTable {
  readonly succ1: Int32Array;
  readonly succ2: Int32Array;
}

export function successorTable(insns: readonly Insn[], rows: readonly (Opcode | null)[]): SuccessorTable {
  const n = insns.length;
  const succ1 = new Int32Array(n).fill(-1), succ2 = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!row) continue;
    let a = -1, b = -1;
    switch (row.format) {
      case 'exit': break;
      case 'ja': a = i + insns[i].off + 1; break;
      case 'ja32': a = i + insns[i].imm + 1; break;
      case 'jmp_reg': case 'jmp_imm': case 'may_goto': a = i + 1; b = i + insns[i].off + 1; break;
      case 'lddw': a = i + 2; break;
      default: a = i + 1;
    }
    if (a < 0 || a >= n) a = -1;
    if (b < 0 || b >= n) b = -1;
    if (a < 0) {
      a = b;
      b = -1;
    }
    succ1[i] = a;
    succ2[i] = b;
  }
  return { succ1, succ2 };
}

/**
 * Tarjan's algorithm over every instruction, in the kernel's order: the
 * components get ids from 1 as they complete; an instruction outside any
 * loop gets 0. (Linux 6.18 does not count a callback-calling helper call as
 * a loop by itself; later kernels do.)
 */
export function computeScc({ succ1, succ2 }: SuccessorTable): Int32Array {
  const n = succ1.length;
  const scc = new Int32Array(n);
  const pre = new Int32Array(n);
  const low = new Int32Array(n);
  const NOT_ON_STACK = 0x7fffffff;
  const stack: number[] = [];
  const dfs: number[] = [];
  let nextPre = 1;
  let nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    stack.length = 0;
    dfs.length = 0;
    dfs.push(i);
    outer: while (dfs.length) {
      const w = dfs[dfs.length - 1];
      if (pre[w] === 0) {
        low[w] = pre[w] = nextPre++;
        stack.push(w);
      }
      for (let k = 0; k < 2; k++) {
        const s = k === 0 ? succ1[w] : succ2[w];
        if (s < 0) break;
        if (pre[s]) {
          low[w] = Math.min(low[w], low[s]);
        } else {
          dfs.push(s);
          continue outer;
        }
      }
      if (low[w] < pre[w]) {
        dfs.pop();
        continue;
      }
      const assign = stack[stack.length - 1] !== w || succ1[w] === w || succ2[w] === w;
      let t: number;
      do {
        t = stack.pop() as number;
        low[t] = NOT_ON_STACK;
        if (assign) scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}

/**
 * `compute_scc_callchain`: the call sites down to the outermost frame whose
 * instruction is in a loop, and that loop, as the log prints it (`(4,1)`);
 * null when no frame is in one.
 */
export function sccCallchain(scc: Int32Array, state: VerifierState, insnIdx: number): string | null {
  const callsites: number[] = [];
  const top = state.frames.length - 1;
  for (let i = 0; i <= top; i++) {
    const at = i === top ? insnIdx : state.frames[i + 1].callsite;
    if (scc[at]) return `(${callsites.map((c) => `${c},`).join('')}${scc[at]})`;
    callsites.push(at);
  }
  return null;
}
