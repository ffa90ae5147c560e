/**
 * Live stack slots (Linux 6.18 `kernel/bpf/liveness.c`): which 8-byte stack
 * slots an instruction or any of its successors may still read. State
 * pruning forgets the slots that are dead where an explored state stands, so
 * two states that differ only there are equal.
 *
 * The analysis is call-chain sensitive: every (call chain, subprogram) pair is
 * an "instance" keeping, per instruction and per frame of the chain, the slots
 * the walk saw it read (`may_read`, a union over visits) and write whole
 * (`must_write`, an intersection over visits). When a path ends, each instance
 * of its call chain that learnt something runs a backward fixpoint:
 *
 *   live_before(i)    = (∪ live_before(s) \ must_write(i)) ∪ may_read(i)
 *   must_write_acc(i) = ∩ must_write_acc(s) ∪ must_write(i)      s ∈ succ(i)
 *
 * and hands the reads and sure writes at its entry to the call instruction of
 * the caller's instance. Masks are u64 (64 slots of 512 bytes), kept as two
 * 32-bit halves.
 */
import type { Insn, Opcode } from '../isa/index.js';
import type { VerifierState } from './state.js';

/** Per instruction, 8 int32 words: may_read, must_write, must_write_acc, live_before (lo, hi each). */
const MAY_READ = 0, MUST_WRITE = 2, MUST_WRITE_ACC = 4, LIVE_BEFORE = 6, WORDS = 8;
const MAX_CALL_FRAMES = 8;

/** `func_instance`: the marks of one subprogram reached along one call chain. */
interface FuncInstance {
  /** Call instruction of each frame, the last entry the subprogram's own start (`callchain.callsites`). */
  readonly callsites: number[];
  /** First instruction of each frame's subprogram. */
  readonly spStarts: number[];
  /** `callchain.curframe`. */
  readonly depth: number;
  readonly insnCnt: number;
  /** `(0,5,12)`, as the kernel's log names the chain. */
  readonly name: string;
  updated: boolean;
  mustWriteDropped: boolean;
  /** Per frame of the chain, allocated on first use. */
  readonly frames: (Int32Array | undefined)[];
  /** Instructions whose must_write was committed at least once. */
  readonly mustWriteSet: Uint8Array;
}

/** What a program's CFG gives the analysis. */
export interface LiveStackProgram {
  readonly insns: readonly Insn[];
  readonly rows: readonly (Opcode | null)[];
  readonly subprogStarts: readonly number[];
  isPrunePoint(idx: number): boolean;
  /** `bpf_calls_callback`: a helper call that calls a callback (its frame returns to the call itself). */
  callsCallback(idx: number): boolean;
}

/** `bpf_fmt_stack_mask`: `-8,-24`. */
function fmtStackMask(lo: number, hi: number): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) {
    const w = i < 32 ? lo : hi;
    if (w & (1 << (i & 31))) out.push(String(-(i + 1) * 8));
  }
  return out.join(',');
}

/** `bpf_liveness`. */
export class StackLiveness {
  private readonly instances = new Map<string, FuncInstance>();
  /** The instance of the walked state's top frame (`cur_instance`), looked up again after a call, an exit or a pop. */
  private cur: FuncInstance | null = null;
  /** Whole-slot writes of the instruction being checked, per frame (`write_masks_acc`). */
  private readonly writeAcc = new Int32Array(MAX_CALL_FRAMES * 2);
  private writeInsnIdx = 0;
  /** Each subprogram's instructions in the kernel's postorder (`insn_postorder`), and where each one's run starts. */
  private readonly postorder: Int32Array;
  private readonly poStart: number[] = [];
  /** Up to two successors per instruction (`bpf_insn_successors`), -1 for none. */
  private readonly succ: Int32Array;
  private readonly query: { instances: FuncInstance[]; insnIdx: number } = { instances: [], insnIdx: 0 };

  constructor(private readonly prog: LiveStackProgram, private readonly log: ((text: string) => void) | undefined) {
    const n = prog.insns.length;
    this.succ = new Int32Array(n * 2).fill(-1);
    for (let i = 0; i < n; i++) {
      const row = prog.rows[i];
      if (!row) continue;
      const s = this.successorsOf(i, row);
      for (let k = 0; k < s.length; k++) this.succ[i * 2 + k] = s[k];
    }
    this.postorder = this.computePostorder();
  }

  private successorsOf(i: number, row: Opcode): number[] {
    const ins = this.prog.insns[i];
    switch (row.format) {
      case 'exit': return [];
      case 'ja': return [i + ins.off + 1];
      case 'ja32': return [i + ins.imm + 1];
      case 'jmp_reg': case 'jmp_imm': case 'may_goto': return [i + 1, i + ins.off + 1];
      case 'lddw': return [i + 2];
      default: return [i + 1];
    }
  }

  /**
   * `compute_postorder`: per subprogram from its start, a depth-first walk
   * that pushes the fall-through first, so the jump target is explored first.
   */
  private computePostorder(): Int32Array {
    const n = this.prog.insns.length;
    const postorder = new Int32Array(n);
    const state = new Uint8Array(n);
    const stack = new Int32Array(n);
    let cur = 0;
    for (const start of this.prog.subprogStarts) {
      this.poStart.push(cur);
      stack[0] = start;
      let sz = 1;
      do {
        const top = stack[sz - 1];
        state[top] |= 1;
        if (state[top] & 2) {
          postorder[cur++] = top;
          sz--;
          continue;
        }
        for (let k = 0; k < 2; k++) {
          const s = this.succ[top * 2 + k];
          if (s >= 0 && !state[s]) {
            stack[sz++] = s;
            state[s] |= 1;
          }
        }
        state[top] |= 2;
      } while (sz);
    }
    this.poStart.push(cur);
    return postorder;
  }

  private subprogIndex(start: number): number {
    return this.prog.subprogStarts.indexOf(start);
  }

  /** `__lookup_instance`: the instance of a call chain, made on first use. */
  private lookup(callsites: number[], spStarts: number[]): FuncInstance {
    const name = `(${callsites.join(',')})`;
    let inst = this.instances.get(name);
    if (inst) return inst;
    const depth = callsites.length - 1;
    const sub = this.subprogIndex(spStarts[depth]);
    const end = sub + 1 < this.prog.subprogStarts.length ? this.prog.subprogStarts[sub + 1] : this.prog.insns.length;
    const insnCnt = end - spStarts[depth];
    inst = {
      callsites, spStarts, depth, insnCnt, name, updated: false, mustWriteDropped: false,
      frames: new Array<Int32Array | undefined>(depth + 1), mustWriteSet: new Uint8Array(insnCnt),
    };
    this.instances.set(name, inst);
    return inst;
  }

  /** `lookup_instance`: the instance of frame `frameno` of `st`. */
  private instanceOf(st: VerifierState, frameno: number, subprogStarts: readonly number[]): FuncInstance {
    const callsites: number[] = [], spStarts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      spStarts.push(subprogStarts[st.frames[i].subprogno]);
      callsites.push(i < frameno ? st.frames[i + 1].callsite : spStarts[i]);
    }
    return this.lookup(callsites, spStarts);
  }

  private frameMasks(inst: FuncInstance, frame: number): Int32Array {
    return inst.frames[frame] ??= new Int32Array(inst.insnCnt * WORDS);
  }

  private rel(inst: FuncInstance, idx: number): number {
    return idx - inst.spStarts[inst.depth];
  }

  /** `bpf_reset_live_stack_callchain`: the walked state entered a subprogram. */
  resetCallchain(): void {
    this.cur = null;
  }

  private ensureCur(st: VerifierState): FuncInstance {
    return this.cur ??= this.instanceOf(st, st.frames.length - 1, this.prog.subprogStarts);
  }

  /** `bpf_mark_stack_read`: instruction `idx` of `st` may read slot `spi` of frame `frame`. */
  markRead(st: VerifierState, frame: number, idx: number, spi: number): void {
    const lo = spi < 32 ? 1 << spi : 0, hi = spi < 32 ? 0 : 1 << (spi - 32);
    this.markReadMask(this.ensureCur(st), frame, idx, lo, hi);
  }

  private markReadMask(inst: FuncInstance, frame: number, idx: number, lo: number, hi: number): void {
    const m = this.frameMasks(inst, frame);
    const o = this.rel(inst, idx) * WORDS;
    const newLo = m[o + MAY_READ] | lo, newHi = m[o + MAY_READ + 1] | hi;
    if ((newLo !== m[o + MAY_READ] || newHi !== m[o + MAY_READ + 1]) &&
        ((newLo | m[o + LIVE_BEFORE]) !== m[o + LIVE_BEFORE] || (newHi | m[o + LIVE_BEFORE + 1]) !== m[o + LIVE_BEFORE + 1])) {
      inst.updated = true;
    }
    m[o + MAY_READ] = newLo;
    m[o + MAY_READ + 1] = newHi;
  }

  /** `bpf_reset_stack_write_marks`: instruction `idx` of `st` is about to be checked. */
  resetWriteMarks(st: VerifierState, idx: number): void {
    this.resetWriteMarksOf(this.ensureCur(st), idx);
  }

  private resetWriteMarksOf(inst: FuncInstance, idx: number): void {
    this.writeInsnIdx = idx;
    for (let i = 0; i <= inst.depth * 2 + 1; i++) this.writeAcc[i] = 0;
  }

  /** `bpf_mark_stack_write`: the instruction being checked writes all 8 bytes of slot `spi` of frame `frame`. */
  markWrite(frame: number, spi: number): void {
    if (spi < 32) this.writeAcc[frame * 2] |= 1 << spi;
    else this.writeAcc[frame * 2 + 1] |= 1 << (spi - 32);
  }

  /** `bpf_commit_stack_write_marks`: the instruction was checked (no-op once the walk changed subprogram). */
  commitWriteMarks(): void {
    if (this.cur) this.commitWriteMarksOf(this.cur);
  }

  private commitWriteMarksOf(inst: FuncInstance): void {
    const r = this.rel(inst, this.writeInsnIdx);
    const o = r * WORDS;
    const seen = inst.mustWriteSet[r] !== 0;
    for (let frame = 0; frame <= inst.depth; frame++) {
      let lo = this.writeAcc[frame * 2], hi = this.writeAcc[frame * 2 + 1];
      if (lo === 0 && hi === 0 && !seen) continue;
      const m = this.frameMasks(inst, frame);
      const oldLo = m[o + MUST_WRITE], oldHi = m[o + MUST_WRITE + 1];
      // First visit: the writes of this one; later ones keep only what every visit wrote.
      if (seen) {
        lo &= oldLo;
        hi &= oldHi;
      }
      if (oldLo !== lo || oldHi !== hi) {
        m[o + MUST_WRITE] = lo;
        m[o + MUST_WRITE + 1] = hi;
        inst.updated = true;
      }
      if ((oldLo & ~lo) || (oldHi & ~hi)) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[r] = 1;
    this.writeInsnIdx = 0;
  }

  private logMaskChange(inst: FuncInstance, pfx: string, frame: number, idx: number,
    oldLo: number, oldHi: number, newLo: number, newHi: number): void {
    const chLo = oldLo ^ newLo, chHi = oldHi ^ newHi;
    if (!chLo && !chHi || !this.log) return;
    let line = `${inst.name} frame ${frame} insn ${idx} `;
    if ((newLo & chLo) || (newHi & chHi)) line += `+${pfx} ${fmtStackMask(newLo & chLo, newHi & chHi)} `;
    if ((~newLo & chLo) || (~newHi & chHi)) line += `-${pfx} ${fmtStackMask(~newLo & chLo, ~newHi & chHi)}`;
    this.log(`${line}\n`);
  }

  /** `update_insn`: one step of the fixpoint at instruction `idx`; whether anything changed. */
  private updateInsn(inst: FuncInstance, m: Int32Array, frame: number, idx: number): boolean {
    const s0 = this.succ[idx * 2];
    if (s0 < 0) return false;
    const s1 = this.succ[idx * 2 + 1];
    const start = inst.spStarts[inst.depth];
    const o = (idx - start) * WORDS;
    const p = (s0 - start) * WORDS;
    let afterLo = m[p + LIVE_BEFORE], afterHi = m[p + LIVE_BEFORE + 1];
    let accLo = m[p + MUST_WRITE_ACC], accHi = m[p + MUST_WRITE_ACC + 1];
    if (s1 >= 0) {
      const q = (s1 - start) * WORDS;
      afterLo |= m[q + LIVE_BEFORE];
      afterHi |= m[q + LIVE_BEFORE + 1];
      accLo &= m[q + MUST_WRITE_ACC];
      accHi &= m[q + MUST_WRITE_ACC + 1];
    }
    const mwLo = m[o + MUST_WRITE], mwHi = m[o + MUST_WRITE + 1];
    accLo |= mwLo;
    accHi |= mwHi;
    const beforeLo = (afterLo & ~mwLo) | m[o + MAY_READ], beforeHi = (afterHi & ~mwHi) | m[o + MAY_READ + 1];
    const oldLiveLo = m[o + LIVE_BEFORE], oldLiveHi = m[o + LIVE_BEFORE + 1];
    const oldAccLo = m[o + MUST_WRITE_ACC], oldAccHi = m[o + MUST_WRITE_ACC + 1];
    const changed = beforeLo !== oldLiveLo || beforeHi !== oldLiveHi || accLo !== oldAccLo || accHi !== oldAccHi;
    if (this.log && (m[o + MAY_READ] || m[o + MAY_READ + 1] || mwLo || mwHi || idx === start || this.prog.isPrunePoint(idx))) {
      this.logMaskChange(inst, 'live', frame, idx, oldLiveLo, oldLiveHi, beforeLo, beforeHi);
      this.logMaskChange(inst, 'written', frame, idx, oldAccLo, oldAccHi, accLo, accHi);
    }
    m[o + LIVE_BEFORE] = beforeLo;
    m[o + LIVE_BEFORE + 1] = beforeHi;
    m[o + MUST_WRITE_ACC] = accLo;
    m[o + MUST_WRITE_ACC + 1] = accHi;
    return changed;
  }

  /** `update_instance`: the fixpoint over the instance's subprogram, then its entry's marks to the caller's instance. */
  private updateInstance(inst: FuncInstance): void {
    const start = inst.spStarts[inst.depth];
    // Smaller must_write sets can only shrink the accumulated ones: start those over.
    if (inst.mustWriteDropped) {
      for (const m of inst.frames) {
        if (!m) continue;
        for (let o = 0; o < m.length; o += WORDS) m[o + MUST_WRITE_ACC] = m[o + MUST_WRITE_ACC + 1] = 0;
      }
    }
    const sub = this.subprogIndex(start);
    const poStart = this.poStart[sub], poEnd = this.poStart[sub + 1];
    let cnt = 0;
    let changed: boolean;
    do {
      cnt++;
      changed = false;
      for (let frame = 0; frame <= inst.depth; frame++) {
        const m = inst.frames[frame];
        if (!m) continue;
        for (let i = poStart; i < poEnd; i++) {
          if (this.updateInsn(inst, m, frame, this.postorder[i])) changed = true;
        }
      }
    } while (changed);
    this.log?.(`${inst.name} live stack update done in ${cnt} iterations\n`);
    if (inst.depth > 0) this.propagateToOuter(inst);
  }

  /** `propagate_to_outer_instance`: the callee's entry marks become the call instruction's in the caller's instance. */
  private propagateToOuter(inst: FuncInstance): void {
    const d = inst.depth - 1;
    const callsites = inst.callsites.slice(0, d + 1);
    const spStarts = inst.spStarts.slice(0, d + 1);
    callsites[d] = spStarts[d];
    const outer = this.lookup(callsites, spStarts);
    const callsite = inst.callsites[d];
    this.resetWriteMarksOf(outer, callsite);
    for (let frame = 0; frame <= d; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      this.writeAcc[frame * 2] |= m[MUST_WRITE_ACC];
      this.writeAcc[frame * 2 + 1] |= m[MUST_WRITE_ACC + 1];
      this.markReadMask(outer, frame, callsite, m[LIVE_BEFORE], m[LIVE_BEFORE + 1]);
    }
    this.commitWriteMarksOf(outer);
  }

  /**
   * `bpf_update_live_stack`: a path ended or left a subprogram; every instance
   * of its call chain that learnt something recomputes, innermost first.
   */
  update(st: VerifierState): void {
    this.cur = null;
    for (let frame = st.frames.length - 1; frame >= 0; frame--) {
      const inst = this.instanceOf(st, frame, this.prog.subprogStarts);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  /** `bpf_live_stack_query_init`: the instances of `st`, standing at `idx`, for `slotAlive`. */
  queryInit(st: VerifierState, idx: number): void {
    this.query.instances = st.frames.map((_, frame) => this.instanceOf(st, frame, this.prog.subprogStarts));
    this.query.insnIdx = idx;
  }

  private static liveBefore(inst: FuncInstance, idx: number, frameno: number, spi: number): boolean {
    const m = inst.frames[frameno];
    if (!m) return false;
    const o = (idx - inst.spStarts[inst.depth]) * WORDS + LIVE_BEFORE;
    return spi < 32 ? (m[o] & (1 << spi)) !== 0 : (m[o + 1] & (1 << (spi - 32))) !== 0;
  }

  /**
   * `bpf_stack_slot_alive`: slot `spi` of frame `frameno` may be read from the
   * queried instruction on, or, in a caller, once its call returns (or, for a
   * callback, at the helper call that runs it again).
   */
  slotAlive(frameno: number, spi: number): boolean {
    const { instances, insnIdx } = this.query;
    const top = instances[instances.length - 1];
    if (StackLiveness.liveBefore(top, insnIdx, frameno, spi)) return true;
    for (let i = frameno; i < instances.length - 1; i++) {
      const callsite = top.callsites[i];
      const at = this.prog.callsCallback(callsite) ? callsite : callsite + 1;
      if (StackLiveness.liveBefore(instances[i], at, frameno, spi)) return true;
    }
    return false;
  }
}
