/**
 * Precision tracking, as the kernel's `mark_chain_precision` does it: when a
 * decision depends on a scalar's value (a branch whose outcome is known, a
 * pointer offset, a helper's size argument, a return value…), walk the path
 * backwards from that instruction, tracking which registers and stack slots
 * the value came from (`backtrack_insn` with a register mask per frame and a
 * stack-slot mask), and mark them precise in each checkpoint the walk passes.
 * Pruning (prune.ts) compares precise scalars by value and lets imprecise ones
 * match anything. The walk follows the path through subprogram calls and
 * callbacks, as the kernel's does: going back over an exit enters the callee's
 * frame (R0 goes with it for a static subprogram, not for a callback), going
 * back over the call leaves it (R1-R5 become the caller's, a callback's are
 * the helper's own). Where it cannot follow (a mask the
 * instruction cannot have produced, a mask left at the program's entry),
 * every scalar of the checkpoints above is marked precise
 * (`mark_all_scalars_precise`): less pruning, never unsound.
 */
import { BPF_MOV, type Insn, type Opcode } from '../isa/index.js';
import { BPF_REG_SIZE, MAX_CALL_FRAMES, type VerifierState } from './state.js';

/**
 * Jump history of a path segment (`bpf_jmp_history_entry`), three numbers an
 * entry: an instruction reached other than by falling through (or one that
 * accessed the stack, or a branch on linked scalars), the instruction before
 * it on the path, and its flags: its stack access (0, or `stackAccess()`) plus
 * `linkedRegsFlag()` of the scalars a branch there linked.
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

/** Stack access flags stay below this; the linked scalars' part of an entry's flags counts in its multiples. */
const LINKED_UNIT = 1024;

/**
 * A scalar of a linked set (`linked_reg`): register `regno` of frame `frame`,
 * or with `slot`, the spill in slot `regno` of that frame.
 */
export function linkedReg(frame: number, regno: number, slot: boolean): number {
  return frame * 128 + (slot ? 64 : 0) + regno;
}

/** History flag of the scalars a branch linked: the 1-based index of their set in the verification's list of sets. */
export function linkedRegsFlag(setIndex: number): number {
  return (setIndex + 1) * LINKED_UNIT;
}

/**
 * `bt_sync_linked_regs`: when one scalar of the set a branch linked is wanted,
 * all are: the branch narrowed them together.
 */
function syncLinkedRegs(ctx: PrecisionContext, flag: number, bt: Backtrack): void {
  const set = flag >= LINKED_UNIT ? ctx.linkedRegs[Math.floor(flag / LINKED_UNIT) - 1] : undefined;
  if (!set) return;
  const has = (e: number): boolean => (e & 64 ? bt.stack.has((e >> 7) * 64 + (e & 63)) : (bt.regs[e >> 7] & (1 << (e & 63))) !== 0);
  if (!set.some(has)) return;
  for (const e of set) {
    if (e & 64) bt.stack.add((e >> 7) * 64 + (e & 63));
    else bt.regs[e >> 7] |= 1 << (e & 63);
  }
}

/** What still needs to be precise, as the walk goes backwards (`backtrack_state`). */
export class Backtrack {
  /** Registers per frame (every frame a call chain can have), a bit each. */
  readonly regs = new Array<number>(MAX_CALL_FRAMES).fill(0);
  /** Stack slots: frame * 64 + spi. */
  readonly stack = new Set<number>();
  /** The frame the instructions being walked run in (`bt->frame`). */
  frame: number;

  /** A walk from a state with `frames` frames. */
  constructor(frames: number) {
    this.frame = frames - 1;
  }

  empty(): boolean {
    return this.stack.size === 0 && this.regs.every((m) => m === 0);
  }

  /** Stack slots of frame `frame` (`bt_frame_stack_mask` is not 0). */
  hasSlots(frame: number): boolean {
    for (const k of this.stack) if (Math.floor(k / 64) === frame) return true;
    return false;
  }
}

/** R1-R5, the arguments of a call. */
const REGMASK_ARGS = 0x3e;

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
  /** A bpf-to-bpf call of a global function (verified on its own: the path does not enter it). */
  isGlobalCall(idx: number): boolean;
  readonly precisionLog: PrecisionLog | undefined;
  /** The sets of scalars branches linked (`linkedReg` each), which history entries name by `linkedRegsFlag`. */
  readonly linkedRegs: readonly (readonly number[])[];
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
 * `bt.frame` is the frame the instructions run in; it changes as the walk
 * goes back into a callee (over its exit) and out of it (over its call).
 */
export function markChainPrecision(ctx: PrecisionContext, head: PrecisionCheckpoint | null, firstIdx: number, lastIdx: number,
  hist: JmpHistory, bt: Backtrack, skipFirst: boolean): void {
  const log = ctx.precisionLog;
  let subseq = -1;
  let node = head;
  let first = firstIdx;
  let i = lastIdx;
  let h = hist;
  let skip = skipFirst;
  for (;;) {
    log?.write(`mark_precise: frame${bt.frame}: last_idx ${i} first_idx ${first} subseq_idx ${subseq} \n`);
    if (i >= 0) {
      let cnt = h.length / 3;
      for (;;) {
        const entry = cnt > 0 && h[(cnt - 1) * 3] === i ? cnt - 1 : -1;
        if (skip) {
          skip = false;
        } else {
          const fr = bt.frame;
          log?.write(`mark_precise: frame${fr}: regs=${regNames(bt.regs[fr])} stack=${slotNames(bt, fr)} before ${i}: ${log.insn(i)}\n`);
          const flags = entry >= 0 ? h[entry * 3 + 2] : 0;
          syncLinkedRegs(ctx, flags, bt);
          if (!backtrackInsn(ctx, i, subseq, flags % LINKED_UNIT, bt)) {
            markAllScalarsPrecise(head);
            return;
          }
          syncLinkedRegs(ctx, flags, bt);
        }
        if (bt.empty()) return;
        subseq = i;
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
    if (!node) {
      // At the entry of a global function, whose arguments nothing on this path made; anything else
      // left to mark at the program's entry was made where the walk did not look.
      if (i < 0 && bt.frame === 0 && bt.stack.size === 0 && !(bt.regs[0] & ~REGMASK_ARGS)) return;
      markAllScalarsPrecise(head);
      return;
    }
    if (node.state.frames.length !== bt.frame + 1) {
      markAllScalarsPrecise(head);
      return;
    }
    markCheckpoint(node.state, bt);
    for (let fr = bt.frame; log && fr >= 0; fr--) {
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
 * Mark what `bt` holds precise in a checkpoint's state (linked scalars came
 * in with the branches that linked them, `syncLinkedRegs`). A scalar precise
 * already leaves the mask: the walk that marked it went on from here.
 */
function markCheckpoint(state: VerifierState, bt: Backtrack): void {
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
 * after it; `subseq` is the instruction the path went to from it. False when
 * the walk cannot follow it.
 */
function backtrackInsn(ctx: PrecisionContext, i: number, subseq: number, stackFlag: number, bt: Backtrack): boolean {
  const row = ctx.rows[i];
  if (!row) return true;
  const ins = ctx.insns[i];
  const dstBit = 1 << ins.dst;
  const srcBit = 1 << ins.src;
  const top = bt.frame;
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
    case 'atomic':
      // The kernel walks back over an atomic as over a store (`class == BPF_STX`): the register a fetch
      // loads stays in the mask, and a wanted slot it read passes to the source register.
      if (regs & dstBit) return false;
      if (!stackFlag || !bt.stack.has(stackFlag - 1)) return true;
      bt.stack.delete(stackFlag - 1);
      bt.regs[top] = regs | srcBit;
      return true;
    case 'call_local':
      if (ctx.isGlobalCall(i)) {
        // A global function sets R0 and leaves R1-R5 not initialised: nothing before the call made them.
        if (regs & REGMASK_ARGS) return false;
        bt.regs[top] = regs & ~1;
        return true;
      }
      return subprogExit(bt, true);
    case 'call_helper':
      // Back over a callback's entry: the helper made its arguments.
      if (ctx.callbackCallsites.has(i) && subseq !== i + 1) return subprogExit(bt, false);
      return callReturn(bt);
    case 'call_kfunc':
      return ins.imm !== 0 && callReturn(bt);
    case 'exit': {
      // Into the callee whose exit the path came back from. A callback's R1-R5 are its
      // helper's making; a static subprogram's R0 is the one it returns.
      if (subseq >= 0 && ctx.callbackCallsites.has(subseq)) bt.regs[top] = regs & ~REGMASK_ARGS;
      if (bt.regs[top] & REGMASK_ARGS) return false;
      const r0 = subseq >= 1 && ctx.rows[subseq - 1]?.format === 'call_local' && (regs & 1) !== 0;
      bt.regs[top] &= ~1;
      if (top === MAX_CALL_FRAMES - 1) return false;
      bt.frame++;
      if (r0) bt.regs[bt.frame] |= 1;
      return true;
    }
    case 'jmp_reg':
      if (regs & (dstBit | srcBit)) bt.regs[top] = regs | dstBit | srcBit;
      return true;
    default:
      return true;
  }
}

/** A helper or kfunc sets R0; its arguments R1-R5 were read, not written, so nothing wanted them after it. */
function callReturn(bt: Backtrack): boolean {
  bt.regs[bt.frame] &= ~1;
  return (bt.regs[bt.frame] & REGMASK_ARGS) === 0;
}

/**
 * Back over a call into the callee's first instruction (`bt_subprog_exit`):
 * only its arguments can still be wanted. A static subprogram's R1-R5 were
 * the caller's; a callback's come from its helper.
 */
function subprogExit(bt: Backtrack, args: boolean): boolean {
  const fr = bt.frame;
  if (fr === 0 || bt.regs[fr] & ~REGMASK_ARGS || bt.hasSlots(fr)) return false;
  if (args) bt.regs[fr - 1] |= bt.regs[fr];
  bt.regs[fr] = 0;
  bt.frame--;
  return true;
}
