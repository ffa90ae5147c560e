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

/** Successors of one instruction inside its subprogram (`bpf_insn_successors`): calls return to the next one. */
function successors(insns: readonly Insn[], rows: readonly (Opcode | null)[], i: number): number[] {
  const row = rows[i];
  if (!row) return [];
  switch (row.format) {
    case 'exit': return [];
    case 'ja': return [i + insns[i].off + 1];
    case 'ja32': return [i + insns[i].imm + 1];
    case 'jmp_reg': case 'jmp_imm': case 'may_goto': return [i + 1, i + insns[i].off + 1];
    case 'lddw': return [i + 2];
    default: return [i + 1];
  }
}

/**
 * Tarjan's algorithm over every instruction, in the kernel's order: the
 * components get ids from 1 as they complete; an instruction outside any
 * loop gets 0. (Linux 6.18 does not count a callback-calling helper call as
 * a loop by itself; later kernels do.)
 */
export function computeScc(insns: readonly Insn[], rows: readonly (Opcode | null)[]): Int32Array {
  const n = insns.length;
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
      const succ = successors(insns, rows, w).filter((s) => s >= 0 && s < n);
      for (const s of succ) {
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
      const assign = stack[stack.length - 1] !== w || succ.includes(w);
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
