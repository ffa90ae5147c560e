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
  readonly mustWriteSet: Int32Array;
}

/** A call chain prefix: the instance of the chain ending here, and longer chains by their next entry. */
interface ChainNode {
  inst?: FuncInstance;
  readonly next: Map<number, ChainNode>;
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
  /** The instances by call chain, a trie of its call sites. */
  private readonly instances: ChainNode = { next: new Map() };
  /** The instance of the walked state's top frame (`cur_instance`), looked up again after a call, an exit or a pop. */
  private cur: FuncInstance | null = null;
  /** Whole-slot writes of the instruction being checked, per frame (`write_masks_acc`). */
  private readonly writeAcc = new Int32Array(MAX_CALL_FRAMES * 2);
  private writeInsnIdx = 0;
  /** `writeAcc` may hold bits: it needs zeroing at the next reset. */
  private writesMarked = false;
  /** Where each subprogram's run of the kernel's postorder (`insn_postorder`) starts. */
  private readonly poStart: number[] = [];
  /**
   * For the instructions of each subprogram in postorder (the runs of
   * `poStart`, 3 words each): the instruction's and its successors' offsets
   * in a frame's masks (-1: no such successor).
   */
  private readonly offs: Int32Array;
  private readonly offsBase: number;
  /**
   * Per subprogram: every successor comes before its instruction in that
   * order (no loop, and the kernel's walk emitted no instruction before a
   * successor it had already seen), so one pass reaches the fixpoint.
   */
  private readonly onePass: boolean[] = [];
  /** Up to two successors per instruction (`bpf_insn_successors`), -1 for none. */
  private readonly succ: Int32Array;
  private readonly query: { instances: FuncInstance[]; insnIdx: number } = { instances: [], insnIdx: 0 };
  private slab: Int32Array;
  private slabUsed = 0;

  constructor(private readonly prog: LiveStackProgram, private readonly log: ((text: string) => void) | undefined) {
    const n = prog.insns.length;
    // One buffer (no views: each costs about as much as an allocation) for the successors, the
    // postorder walk's arrays, the pass offsets, and a first slab of masks.
    const SUCC = 0, PO = n * 2, STATE = n * 3, STACK = n * 4, OFFS = n * 5, SLAB = n * 8;
    const buf = new Int32Array(SLAB + n * WORDS * 2);
    this.succ = buf;
    this.offs = buf;
    this.slab = buf;
    this.slabUsed = SLAB;
    buf.fill(-1, SUCC, PO);
    for (let i = 0; i < n; i++) {
      const row = prog.rows[i];
      if (row) this.setSuccessors(i, row);
    }
    this.computePostorder(buf, PO, STATE, STACK);
    // Offsets of each pass step; STATE is reused for the instructions a pass has already visited.
    buf.fill(0, STATE, STACK);
    prog.subprogStarts.forEach((start, sub) => {
      const from = this.poStart[sub], to = this.poStart[sub + 1];
      let onePass = true;
      for (let i = from; i < to; i++) {
        const idx = buf[PO + i], k = OFFS + i * 3;
        const s0 = buf[SUCC + idx * 2], s1 = buf[SUCC + idx * 2 + 1];
        buf[k] = (idx - start) * WORDS;
        buf[k + 1] = s0 < 0 ? -1 : (s0 - start) * WORDS;
        buf[k + 2] = s1 < 0 ? -1 : (s1 - start) * WORDS;
        if ((s0 >= 0 && !buf[STATE + s0]) || (s1 >= 0 && !buf[STATE + s1])) onePass = false;
        buf[STATE + idx] = 1;
      }
      this.onePass.push(onePass);
    });
    this.offsBase = OFFS;
  }

  /** `bpf_insn_successors`: the fall-through first, then the jump target. */
  private setSuccessors(i: number, row: Opcode): void {
    const ins = this.prog.insns[i];
    const succ = this.succ;
    switch (row.format) {
      case 'exit': return;
      case 'ja': succ[i * 2] = i + ins.off + 1; return;
      case 'ja32': succ[i * 2] = i + ins.imm + 1; return;
      case 'jmp_reg': case 'jmp_imm': case 'may_goto':
        succ[i * 2] = i + 1;
        succ[i * 2 + 1] = i + ins.off + 1;
        return;
      case 'lddw': succ[i * 2] = i + 2; return;
      default: succ[i * 2] = i + 1;
    }
  }

  /**
   * `compute_postorder`: per subprogram from its start, a depth-first walk
   * that pushes the fall-through first, so the jump target is explored first.
   */
  private computePostorder(buf: Int32Array, po: number, state: number, stack: number): void {
    let cur = 0;
    for (const start of this.prog.subprogStarts) {
      this.poStart.push(cur);
      buf[stack] = start;
      let sz = 1;
      do {
        const top = buf[stack + sz - 1];
        buf[state + top] |= 1;
        if (buf[state + top] & 2) {
          buf[po + cur++] = top;
          sz--;
          continue;
        }
        for (let k = 0; k < 2; k++) {
          const s = this.succ[top * 2 + k];
          if (s >= 0 && !buf[state + s]) {
            buf[stack + sz++] = s;
            buf[state + s] |= 1;
          }
        }
        buf[state + top] |= 2;
      } while (sz);
    }
    this.poStart.push(cur);
  }

  private subprogIndex(start: number): number {
    return this.prog.subprogStarts.indexOf(start);
  }

  /** `__lookup_instance`: the instance of a call chain, made on first use. */
  private lookup(callsites: number[], spStarts: number[]): FuncInstance {
    let node = this.instances;
    for (const c of callsites) {
      let next = node.next.get(c);
      if (!next) node.next.set(c, next = { next: new Map() });
      node = next;
    }
    return node.inst ??= this.newInstance(callsites, spStarts);
  }

  private newInstance(callsites: number[], spStarts: number[]): FuncInstance {
    const depth = callsites.length - 1;
    const sub = this.subprogIndex(spStarts[depth]);
    const end = sub + 1 < this.prog.subprogStarts.length ? this.prog.subprogStarts[sub + 1] : this.prog.insns.length;
    const insnCnt = end - spStarts[depth];
    return {
      callsites, spStarts, depth, insnCnt, name: `(${callsites.join(',')})`, updated: false, mustWriteDropped: false,
      frames: new Array<Int32Array | undefined>(depth + 1).fill(undefined), mustWriteSet: this.allocMasks(insnCnt),
    };
  }

  /** `lookup_instance`: the instance of frame `frameno` of `st`, found without building its call chain when it exists. */
  private instanceOf(st: VerifierState, frameno: number, subprogStarts: readonly number[]): FuncInstance {
    let node: ChainNode | undefined = this.instances;
    for (let i = 0; i <= frameno && node; i++) {
      node = node.next.get(i < frameno ? st.frames[i + 1].callsite : subprogStarts[st.frames[i].subprogno]);
    }
    if (node?.inst) return node.inst;
    const callsites: number[] = [], spStarts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      spStarts.push(subprogStarts[st.frames[i].subprogno]);
      callsites.push(i < frameno ? st.frames[i + 1].callsite : spStarts[i]);
    }
    return this.lookup(callsites, spStarts);
  }

  private frameMasks(inst: FuncInstance, frame: number): Int32Array {
    return inst.frames[frame] ??= this.allocMasks(inst.insnCnt * WORDS);
  }

  /**
   * Zeroed masks from a shared slab: instances live until the verification
   * ends, and a program's many call chains would otherwise each cost a buffer.
   */
  private allocMasks(n: number): Int32Array {
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Int32Array(Math.max(n, Math.min(1 << 16, this.prog.insns.length * WORDS * 2)));
      this.slabUsed = 0;
    }
    this.slabUsed += n;
    return this.slab.subarray(this.slabUsed - n, this.slabUsed);
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
    // Frames without masks are all zeros: nothing to add changes nothing (the kernel allocates them anyway).
    if (!lo && !hi && !inst.frames[frame]) return;
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
    // `ensure_cur_instance`: the marks of this instruction go to the instance of the walked state's top frame.
    this.ensureCur(st);
    this.resetWriteMarksOf(idx);
  }

  private resetWriteMarksOf(idx: number): void {
    this.writeInsnIdx = idx;
    if (!this.writesMarked) return;
    this.writeAcc.fill(0);
    this.writesMarked = false;
  }

  /** `bpf_mark_stack_write`: the instruction being checked writes all 8 bytes of slot `spi` of frame `frame`. */
  markWrite(frame: number, spi: number): void {
    this.writesMarked = true;
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
    // Most instructions write no slot: on a first visit that only records the visit.
    if (!seen && !this.writesMarked) {
      inst.mustWriteSet[r] = 1;
      this.writeInsnIdx = 0;
      return;
    }
    for (let frame = 0; frame <= inst.depth; frame++) {
      let lo = this.writeAcc[frame * 2], hi = this.writeAcc[frame * 2 + 1];
      // A frame without masks has must_write 0: intersecting it keeps 0, and no writes on a first visit add nothing.
      if (!inst.frames[frame] && (seen || (lo === 0 && hi === 0))) continue;
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

  /**
   * The fixpoint's passes over one frame's masks, in postorder (`update_insn`
   * on each instruction): whether anything changed. Instructions without
   * successors keep their masks.
   */
  private updatePass(inst: FuncInstance, m: Int32Array, frame: number, from: number, to: number): boolean {
    const offs = this.offs;
    const log = this.log;
    const start = inst.spStarts[inst.depth];
    let changed = false;
    for (let k = from; k < to; k += 3) {
      const p = offs[k + 1];
      if (p < 0) continue;
      const o = offs[k], q = offs[k + 2];
      let afterLo = m[p + LIVE_BEFORE], afterHi = m[p + LIVE_BEFORE + 1];
      let accLo = m[p + MUST_WRITE_ACC], accHi = m[p + MUST_WRITE_ACC + 1];
      if (q >= 0) {
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
      if (beforeLo === oldLiveLo && beforeHi === oldLiveHi && accLo === oldAccLo && accHi === oldAccHi) continue;
      changed = true;
      const idx = start + o / WORDS;
      if (log && (m[o + MAY_READ] || m[o + MAY_READ + 1] || mwLo || mwHi || idx === start || this.prog.isPrunePoint(idx))) {
        this.logMaskChange(inst, 'live', frame, idx, oldLiveLo, oldLiveHi, beforeLo, beforeHi);
        this.logMaskChange(inst, 'written', frame, idx, oldAccLo, oldAccHi, accLo, accHi);
      }
      m[o + LIVE_BEFORE] = beforeLo;
      m[o + LIVE_BEFORE + 1] = beforeHi;
      m[o + MUST_WRITE_ACC] = accLo;
      m[o + MUST_WRITE_ACC + 1] = accHi;
    }
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
    const from = this.offsBase + this.poStart[sub] * 3, to = this.offsBase + this.poStart[sub + 1] * 3;
    // Without a log to count the passes, the pass that would only confirm a one-pass fixpoint is skipped.
    const confirm = this.log !== undefined || !this.onePass[sub];
    let cnt = 0;
    let changed: boolean;
    do {
      cnt++;
      changed = false;
      for (let frame = 0; frame <= inst.depth; frame++) {
        const m = inst.frames[frame];
        if (m && this.updatePass(inst, m, frame, from, to)) changed = true;
      }
    } while (changed && confirm);
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
    this.resetWriteMarksOf(callsite);
    for (let frame = 0; frame <= d; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      this.writeAcc[frame * 2] |= m[MUST_WRITE_ACC];
      this.writeAcc[frame * 2 + 1] |= m[MUST_WRITE_ACC + 1];
      this.writesMarked = true;
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
    const q = this.query.instances;
    q.length = st.frames.length;
    for (let frame = 0; frame < q.length; frame++) q[frame] = this.instanceOf(st, frame, this.prog.subprogStarts);
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
