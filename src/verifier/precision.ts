/**
 * Precision tracking, as the kernel's `mark_chain_precision` does it: when a
 * decision depends on a scalar's value (a branch whose outcome is known, a
 * pointer offset, a helper's size argument, a return value…), walk the path
 * backwards from that instruction, tracking which registers and stack slots
 * the value came from (`backtrack_insn` with a register mask per frame and a
 * stack-slot mask), and mark them precise in each checkpoint the walk passes.
 * Pruning (prune.ts) compares precise scalars by value and lets imprecise ones
 * match anything. Where the walk cannot follow (a subprogram call or return, a
 * callback, an atomic on the stack), every scalar of the checkpoints above is
 * marked precise (`mark_all_scalars_precise`): less pruning, never unsound.
 */
import { BPF_ATOMIC, BPF_CMPXCHG, BPF_FETCH, BPF_MOV, BPF_XCHG, type Insn, type Opcode } from '../isa/index.js';
import { BPF_REG_SIZE, type RegState, type VerifierState } from './state.js';

/**
 * Jump history of a path segment (`bpf_jmp_history_entry`), three numbers an
 * entry: an instruction reached other than by falling through (or one that
 * accessed the stack), the instruction before it on the path, and its stack
 * access (0, or `stackAccess()`).
 */
export type JmpHistory = number[];

/** A checkpoint as the backward walk sees it. */
export interface PrecisionCheckpoint {
  readonly state: VerifierState;
  readonly parent: PrecisionCheckpoint | null;
  /** The instruction it was taken at. */
  readonly insnIdx: number;
  /** The path from the parent checkpoint (or the walk's start) up to it: its first and last instruction, its jumps. */
  readonly prevFirst: number;
  readonly prevIdx: number;
  readonly hist: JmpHistory;
  /** Every scalar here and in every ancestor is precise already (`mark_all_scalars_precise` ran). */
  allPrecise: boolean;
}

/** History flag of a spill to, or a fill from, slot `spi` of frame `frame` (`insn_stack_access_flags`). */
export function stackAccess(frame: number, spi: number): number {
  return 1 + frame * 64 + spi;
}

/** What still needs to be precise, as the walk goes backwards (`backtrack_state`). */
export class Backtrack {
  /** Registers per frame, a bit each. */
  readonly regs: number[];
  /** Stack slots: frame * 64 + spi. */
  readonly stack = new Set<number>();

  constructor(frames: number) {
    this.regs = new Array<number>(frames).fill(0);
  }

  empty(): boolean {
    return this.stack.size === 0 && this.regs.every((m) => m === 0);
  }
}

/** The walk's lines in a level-2 log (`mark_precise: …`), as the kernel prints them. */
export interface PrecisionLog {
  write(text: string): void;
  /** Instruction `idx` as the log prints it. */
  insn(idx: number): string;
  /** One frame of a state, every register and slot. */
  frame(state: VerifierState, frame: number): string;
}

/** What the walk needs from the verification it runs in. */
export interface PrecisionContext {
  readonly insns: readonly Insn[];
  readonly rows: readonly (Opcode | null)[];
  /** A helper call that calls a callback (bpf_loop…). */
  readonly callbackCallsites: { has(idx: number): boolean };
  readonly precisionLog: PrecisionLog | undefined;
}

/** `fmt_reg_mask`. */
function regNames(mask: number): string {
  const out: string[] = [];
  for (let r = 0; r < 11; r++) if (mask & (1 << r)) out.push(`r${r}`);
  return out.join(',');
}

/** `fmt_stack_mask` for one frame. */
function slotNames(bt: Backtrack, frame: number): string {
  const spis = [...bt.stack].filter((k) => Math.floor(k / 64) === frame).map((k) => k % 64).sort((a, b) => a - b);
  return spis.map((spi) => `-${(spi + 1) * BPF_REG_SIZE}`).join(',');
}

/** `mark_all_scalars_precise` from `cp` up. */
export function markAllScalarsPrecise(cp: PrecisionCheckpoint | null): void {
  for (; cp && !cp.allPrecise; cp = cp.parent) {
    for (const f of cp.state.frames) {
      for (const r of f.regs) if (r.type === 'scalar') r.precise = true;
      for (const slot of f.stack) {
        if (slot.slotType[BPF_REG_SIZE - 1] === 'spill' && slot.spilledPtr.type === 'scalar') slot.spilledPtr.precise = true;
      }
    }
    cp.allPrecise = true;
  }
}

/**
 * `__mark_chain_precision`: walk back from `lastIdx` (itself skipped with
 * `skipFirst`: the mask then holds what it reads) over the current segment,
 * which began at `firstIdx` with the jumps `hist`, then over each
 * checkpoint's segment in turn, marking what `bt` holds at each checkpoint.
 * `bt` covers frames 0..top, top being the frame the instructions run in.
 */
export function markChainPrecision(ctx: PrecisionContext, head: PrecisionCheckpoint | null, firstIdx: number, lastIdx: number,
  hist: JmpHistory, bt: Backtrack, skipFirst: boolean): void {
  const top = bt.regs.length - 1;
  const log = ctx.precisionLog;
  let subseq = -1;
  let node = head;
  let first = firstIdx;
  let i = lastIdx;
  let h = hist;
  let skip = skipFirst;
  for (;;) {
    log?.write(`mark_precise: frame${top}: last_idx ${i} first_idx ${first} subseq_idx ${subseq} \n`);
    if (i >= 0) {
      let cnt = h.length / 3;
      for (;;) {
        const entry = cnt > 0 && h[(cnt - 1) * 3] === i ? cnt - 1 : -1;
        if (skip) {
          skip = false;
        } else {
          log?.write(`mark_precise: frame${top}: regs=${regNames(bt.regs[top])} stack=${slotNames(bt, top)} before ${i}: ${log.insn(i)}\n`);
          if (!backtrackInsn(ctx, i, entry >= 0 ? h[entry * 3 + 2] : 0, bt, top)) {
            markAllScalarsPrecise(node);
            return;
          }
        }
        if (bt.empty()) return;
        if (i === first && (cnt === 0 || (cnt === 1 && h[0] === first))) break;
        if (entry >= 0) {
          i = h[entry * 3 + 1];
          cnt--;
        } else {
          i = ctx.rows[i - 1] === null ? i - 2 : i - 1;
        }
        if (i < 0) break;
      }
    }
    if (!node) return;
    if (node.state.frames.length !== bt.regs.length) {
      markAllScalarsPrecise(node);
      return;
    }
    markCheckpoint(node.state, bt);
    for (let fr = top; log && fr >= 0; fr--) {
      log.write(`mark_precise: frame${fr}: parent state regs=${regNames(bt.regs[fr])} stack=${slotNames(bt, fr)}: ${log.frame(node.state, fr)}\n`);
    }
    if (bt.empty()) return;
    subseq = first;
    i = node.prevIdx;
    h = node.hist;
    first = node.prevFirst;
    node = node.parent;
  }
}

/**
 * Mark what `bt` holds precise in a checkpoint's state, first adding every
 * scalar that shares an id with one of them (`mark_precise_scalar_ids`: a
 * branch on one of linked scalars narrows them all). A scalar precise already
 * leaves the mask: the walk that marked it went on from here.
 */
function markCheckpoint(state: VerifierState, bt: Backtrack): void {
  const ids = new Set<number>();
  const each = (fn: (r: RegState, frame: number, reg: number, spi: number) => void): void => {
    state.frames.forEach((f, frame) => {
      f.regs.forEach((r, reg) => fn(r, frame, reg, -1));
      f.stack.forEach((slot, spi) => {
        if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') fn(slot.spilledPtr, frame, -1, spi);
      });
    });
  };
  const inMask = (frame: number, reg: number, spi: number): boolean =>
    reg >= 0 ? (bt.regs[frame] & (1 << reg)) !== 0 : bt.stack.has(frame * 64 + spi);
  each((r, frame, reg, spi) => {
    if (r.type === 'scalar' && r.id && inMask(frame, reg, spi)) ids.add(r.id);
  });
  if (ids.size) {
    each((r, frame, reg, spi) => {
      if (r.type !== 'scalar' || !ids.has(r.id)) return;
      if (reg >= 0) bt.regs[frame] |= 1 << reg;
      else bt.stack.add(frame * 64 + spi);
    });
  }
  state.frames.forEach((f, frame) => {
    for (let reg = 0; reg < 11; reg++) {
      if (!(bt.regs[frame] & (1 << reg))) continue;
      const r = f.regs[reg];
      if (r.type !== 'scalar' || r.precise) bt.regs[frame] &= ~(1 << reg);
      else r.precise = true;
    }
  });
  for (const key of bt.stack) {
    const slot = state.frames[Math.floor(key / 64)]?.stack[key % 64];
    const r = slot && slot.slotType[BPF_REG_SIZE - 1] === 'spill' ? slot.spilledPtr : null;
    if (!r || r.type !== 'scalar' || r.precise) bt.stack.delete(key);
    else r.precise = true;
  }
}

/**
 * `backtrack_insn`: what instruction `i` read to produce what the mask holds
 * after it. False when the walk cannot follow it.
 */
function backtrackInsn(ctx: PrecisionContext, i: number, stackFlag: number, bt: Backtrack, top: number): boolean {
  const row = ctx.rows[i];
  if (!row) return true;
  const ins = ctx.insns[i];
  const dstBit = 1 << ins.dst;
  const srcBit = 1 << ins.src;
  const regs = bt.regs[top];
  switch (row.format) {
    case 'alu_reg':
    case 'alu_imm':
    case 'neg':
    case 'endian':
      if (!(regs & dstBit)) return true;
      if ((ins.code & 0xf0) === BPF_MOV) bt.regs[top] = row.format === 'alu_reg' ? (regs & ~dstBit) | srcBit : regs & ~dstBit;
      else if (row.format === 'alu_reg') bt.regs[top] = regs | srcBit;
      return true;
    case 'lddw':
      bt.regs[top] = regs & ~dstBit;
      return true;
    case 'ldabs':
    case 'ldind':
      // R0 comes from the packet; R1-R5 are clobbered.
      bt.regs[top] = regs & ~0x3f;
      return true;
    case 'ldx':
      if (!(regs & dstBit)) return true;
      bt.regs[top] = regs & ~dstBit;
      if (stackFlag) bt.stack.add(stackFlag - 1);
      return true;
    case 'st':
    case 'stx': {
      // Only spills are recorded: the slot's value is the register's (or the immediate's).
      if (!stackFlag || !bt.stack.has(stackFlag - 1)) return true;
      bt.stack.delete(stackFlag - 1);
      if (row.format === 'stx') bt.regs[top] = regs | srcBit;
      return true;
    }
    case 'atomic': {
      if (stackFlag) return false;
      if ((ins.code & 0xe0) !== BPF_ATOMIC) return false;
      const fetch = (ins.imm & BPF_FETCH) !== 0 || ins.imm === BPF_XCHG || ins.imm === BPF_CMPXCHG;
      // The fetched old value comes from memory.
      if (fetch) bt.regs[top] = regs & ~(ins.imm === BPF_CMPXCHG ? 1 : srcBit);
      return true;
    }
    case 'call_helper':
      if (ctx.callbackCallsites.has(i) || regs & 0x3e) return false;
      bt.regs[top] = regs & ~1;
      return true;
    case 'call_local':
    case 'call_kfunc':
    case 'callx':
    case 'exit':
      return false;
    case 'jmp_reg':
      if (regs & (dstBit | srcBit)) bt.regs[top] = regs | dstBit | srcBit;
      return true;
    default:
      return true;
  }
}
