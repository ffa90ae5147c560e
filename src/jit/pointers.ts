/**
 * Which registers hold an address inside the runtime's memory, at each
 * instruction of an unverified program, across its blocks and into its
 * bpf-to-bpf callees: the JIT leaves out the 4 GiB check of an access
 * through one (compile.ts, FunctionLowering.checks).
 *
 * The memory's addresses lie in [2^16, 2^32 - 2^16): AddressSpace hands out
 * neither the first nor the last 64 KiB page. Such an address plus at most
 * 2^16 either way is below 4 GiB, with no wrap-around, so the access's
 * address is the low 32 bits of the register plus the offset, as the check
 * would have found. A register holds one (PTR) when, on every path to the
 * instruction, it was last set to
 * - a constant (lddw, mov) in that range: a map's or a global's address
 *   (0, NULL, makes it MAYBE, below);
 * - r10, in a program that never writes r10: a frame of the stack region;
 * - one of those plus constant adds, at most 2^15 either way in all.
 *
 * It may also be 0 (MAYBE) after a call of a helper whose result is always
 * NULL or an address in the memory (JitIntrinsic.pointerResult: the
 * runtime's own map lookup): NULL plus an offset in [0, 2^16] is below
 * 4 GiB too. Null checks are not followed: nearly every access through a
 * lookup's result is at a non-negative offset.
 *
 * A callee's argument is a fact where every call of it passes one; the
 * entry function's are unknown (a callback or a tail-call target is the
 * entry of its own module).
 *
 * The facts are found on demand, for the registers accesses use: back
 * through the access's block to the last write, then at the block's entry
 * from each predecessor and call site, each block's entry fact of a register
 * found once; round a loop, to a fixpoint (PointerFacts.entry). A path
 * longer than MAX_DEPTH blocks counts as unknown, as does all that is left
 * once the search has worked out 8 entries per block and register: less than
 * a fixpoint would know, never more.
 */
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_CALL, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MOV, BPF_STX, BPF_SUB, BPF_X, regsWritten, type Insn,
} from '../isa/index.js';
import { Scratch, type ProgramCfg } from './cfg.js';
import type { JitIntrinsic } from './intrinsics.js';

/** A register's fact, (add << 2) | kind: unknown (0), or an address in the memory plus `add`. */
const UNKNOWN = 0, PTR = 1, MAYBE = 2;
/** No path yet (kind 3: no fact): what meets anything as that thing. */
const TOP = 3;
/** A block entry's fact being found, being found and reached again by a loop, and found (PointerFacts.state; 0: not asked). */
const ASKING = 1, LOOPED = 2, KNOWN = 3;
/** PointerFacts.low when no entry being found was reached. */
const NONE = 0x7fffffff;
/** The most blocks a search goes back through before it gives up (unknown). */
const MAX_DEPTH = 64;
/** The largest |add| a fact keeps (an access's offset adds at most 2^15 more). */
const MAX_ADD = 1 << 15;
/** The memory's addresses: [LOW, HIGH). */
const LOW = 1 << 16, HIGH = 2 ** 32 - (1 << 16);
/** Facts of r0–r9 (r10 is the frame pointer or nothing). */
const REGS = 10;

const fact = (kind: number, add: number): number => (add > MAX_ADD || add < -MAX_ADD ? UNKNOWN : (add << 2) | kind);
/** `f` plus `add`. */
const plus = (f: number, add: number): number => (f === UNKNOWN || f === TOP ? f : fact(f & 3, (f >> 2) + add));
/** The constant an lddw or mov loads, as a fact (NULL is one of MAYBE's values). */
const constant = (lo: number, hi: number): number => (hi !== 0 ? UNKNOWN : lo === 0 ? MAYBE : lo >>> 0 >= LOW && lo >>> 0 < HIGH ? PTR : UNKNOWN);

/** Where two paths meet: the same fact, or NULL-or-address where one path may have NULL. */
function meet(a: number, b: number): number {
  if (a === b || b === TOP) return a;
  if (a === TOP) return b;
  return a >> 2 === b >> 2 && a !== UNKNOWN && b !== UNKNOWN ? (a & ~3) | MAYBE : UNKNOWN;
}

/** Whether an access at `off` from a register holding `f` is below 4 GiB, its base too. */
export function factCovers(f: number, off: number): boolean {
  const kind = f & 3, add = f >> 2, at = add + off;
  if (kind === PTR) return at >= -LOW && at <= LOW;
  return kind === MAYBE && add >= 0 && at >= 0 && at <= LOW;
}

const CODE_ADD_K = BPF_ALU64 | BPF_ADD | BPF_K, CODE_SUB_K = BPF_ALU64 | BPF_SUB | BPF_K;
const CODE_MOV_K = BPF_ALU64 | BPF_MOV | BPF_K, CODE_MOV_X = BPF_ALU64 | BPF_MOV | BPF_X;

export class PointerFacts {
  /** What index carved the arrays below from (given back by release). */
  private scratch: Scratch | undefined;
  /** Each block's entry fact of each register (REGS a block), where `state` is KNOWN. */
  private memo: Int32Array | undefined;
  private state: Uint8Array | undefined;
  /** Each block's predecessors by jump or fall-through: preds[predStart[b] … predStart[b + 1]). */
  private predStart: Int32Array | undefined;
  private preds: Int32Array | undefined;
  /** The bpf-to-bpf calls of each block (a callee's entry): calls[callStart[b] … callStart[b + 1]), their pcs. */
  private callStart: Int32Array | undefined;
  private calls: Int32Array | undefined;
  /** How many block entries the search is inside. */
  private depth = 0;
  /** Each entry's number in the order the search began finding it (while it is being found). */
  private order: Int32Array | undefined;
  private counter = 0;
  /** The lowest number of an entry being found that the search under way came back to (NONE: none). */
  private low = NONE;
  /** Entries worked out, and how many before the search gives up (unknown): a loop nest costs rounds. */
  private spent = 0;
  private budget = 0;
  private readonly entryBlock: number;

  /**
   * `entryPc`: the module's entry function's; `callSites`: the pcs of the program's bpf-to-bpf calls;
   * `intrinsics`: the module's, by helper id (a helper's result is an address or NULL where its intrinsic
   * says so: JitIntrinsic.pointerResult); `r10`: whether r10 is a frame pointer everywhere (no instruction
   * writes it). Nothing is computed before a query needs it; release gives back what it needed.
   */
  constructor(
    private readonly cfg: ProgramCfg,
    entryPc: number,
    private readonly callSites: readonly number[],
    private readonly intrinsics: ReadonlyMap<number, JitIntrinsic>,
    private readonly r10: boolean,
  ) {
    this.entryBlock = cfg.blockOf[entryPc];
  }

  /** The fact of register `r` just before the instruction at `pc` (factCovers says what it allows). */
  at(pc: number, r: number): number {
    return r < REGS ? this.before(this.cfg.blockOf[pc], pc, r) : UNKNOWN;
  }

  /** Give back the search's arrays: the program's code is lowered. */
  release(): void {
    if (this.scratch) Scratch.release(this.scratch);
    this.scratch = this.memo = this.order = this.state = this.predStart = this.preds = this.callStart = this.calls = undefined;
  }

  /** The graph backwards: each block's predecessors and calls (from a scratch buffer: a compile's own allocation costs more). */
  private index(): void {
    const { cfg, callSites } = this;
    const n = cfg.blockCount;
    let edges = 0;
    for (let k = 0; k < 2 * n; k++) if (cfg.succ[k] >= 0) edges++;
    const s = (this.scratch = Scratch.take(4 * (2 * n * REGS + 3 * (n + 1) + edges + callSites.length) + n * REGS + 64));
    this.memo = s.i32(n * REGS);
    this.order = s.i32(n * REGS);
    this.state = s.u8(n * REGS);
    this.budget = 8 * n * REGS;
    // Counts, then starts (prefix sums), then the lists filled through a cursor per block.
    const predStart = (this.predStart = s.i32(n + 1)), callStart = (this.callStart = s.i32(n + 1));
    for (let k = 0; k < 2 * n; k++) if (cfg.succ[k] >= 0) predStart[cfg.succ[k] + 1]++;
    for (const pc of callSites) callStart[cfg.blockOf[pc + cfg.insns[pc].imm + 1] + 1]++;
    for (let b = 0; b < n; b++) {
      predStart[b + 1] += predStart[b];
      callStart[b + 1] += callStart[b];
    }
    const preds = (this.preds = s.i32(edges)), calls = (this.calls = s.i32(callSites.length)), next = s.i32(n);
    next.set(predStart.subarray(0, n));
    for (let k = 0; k < 2 * n; k++) if (cfg.succ[k] >= 0) preds[next[cfg.succ[k]]++] = k >> 1;
    next.set(callStart.subarray(0, n));
    for (const pc of callSites) calls[next[cfg.blockOf[pc + cfg.insns[pc].imm + 1]]++] = pc;
  }

  /**
   * The fact of `r` just before slot `end` of block `b` (`end` at most its end): back to the last
   * instruction that writes r (following copies and constant adds), else the block's entry fact.
   */
  private before(b: number, end: number, r: number): number {
    const { cfg } = this;
    let add = 0;
    for (let i = end - 1; i >= cfg.blockStart[b]; i--) {
      const row = cfg.rows[i];
      if (!row) continue;
      const ins: Insn = cfg.insns[i], code = ins.code;
      // By class first: most instructions are ALU, loads and stores.
      switch (code & 7) {
        case BPF_ALU64:
          if (ins.dst !== r) continue;
          if (code === CODE_ADD_K) add += ins.imm;
          else if (code === CODE_SUB_K) add -= ins.imm;
          else if (ins.off !== 0) return UNKNOWN;
          else if (code === CODE_MOV_K) return plus(constant(ins.imm, ins.imm < 0 ? -1 : 0), add);
          else if (code === CODE_MOV_X && ins.src !== 10) r = ins.src;
          else return code === CODE_MOV_X && this.r10 ? plus(PTR, add) : UNKNOWN;
          continue;
        case BPF_ALU: case BPF_LDX:
          if (ins.dst === r) return UNKNOWN;
          continue;
        case BPF_STX:
          if (row.format === 'atomic' && (regsWritten(ins, row) & (1 << r)) !== 0) return UNKNOWN;
          continue;
        case BPF_LD:
          if (row.format === 'lddw') {
            if (ins.dst === r) return plus(constant(ins.imm, cfg.insns[i + 1].imm), add);
          } else if (r <= 5) return UNKNOWN;
          continue;
        case BPF_JMP:
          if ((code & 0xf0) !== BPF_CALL || r > 5) continue;
          // A helper's r0 is its result; a call's r0–r5 are what the callee (or kfunc, or helper by id) left.
          if (r === 0 && row.format === 'call_helper' && this.intrinsics.get(ins.imm)?.pointerResult === true) return plus(MAYBE, add);
          return UNKNOWN;
        default:
          // BPF_ST, BPF_JMP32: no register written.
      }
    }
    return plus(this.entry(b, r), add);
  }

  /**
   * The fact of `r` at block `b`'s entry: where every predecessor and call site agree. A search that comes
   * back to an entry being found (a loop) takes its assumption so far, TOP at first; the entry is then
   * found again from what it found until that holds (a fixpoint, in at most three rounds: each can only
   * lower it). What depends on an outer entry still being found is not kept: it is found again once that
   * one is.
   */
  private entry(b: number, r: number): number {
    if (b === this.entryBlock || this.depth >= MAX_DEPTH) return UNKNOWN;
    if (!this.memo) this.index();
    if (this.spent >= this.budget) return UNKNOWN;
    const memo = this.memo!, state = this.state!, order = this.order!, at = b * REGS + r;
    if (state[at] === KNOWN) return memo[at];
    if (state[at] !== 0) {
      state[at] = LOOPED;
      if (order[at] < this.low) this.low = order[at];
      return memo[at];
    }
    const mine = (order[at] = ++this.counter), outerLow = this.low;
    state[at] = ASKING;
    memo[at] = TOP;
    this.depth++;
    let f: number, low: number;
    for (;;) {
      this.spent++;
      this.low = NONE;
      f = this.paths(b, r);
      low = this.low;
      if (state[at] !== LOOPED || f === memo[at]) break;
      memo[at] = f;
      state[at] = ASKING;
    }
    this.depth--;
    if (low < mine) {
      state[at] = 0;
      this.low = Math.min(outerLow, low);
      return f;
    }
    this.low = outerLow;
    if (f === TOP) f = UNKNOWN;
    memo[at] = f;
    state[at] = KNOWN;
    return f;
  }

  /** The meet of `r`'s facts at the ends of block `b`'s predecessors and at its call sites (TOP: no path). */
  private paths(b: number, r: number): number {
    const { cfg } = this;
    let f = TOP;
    const preds = this.preds!, predStart = this.predStart!;
    for (let k = predStart[b]; k < predStart[b + 1] && f !== UNKNOWN; k++) {
      const p = preds[k];
      f = meet(f, this.before(p, cfg.blockEnd[p], r));
    }
    const calls = this.calls!, callStart = this.callStart!;
    for (let k = callStart[b]; k < callStart[b + 1] && f !== UNKNOWN; k++) {
      // A callee's r0 and r6–r9 are not its arguments.
      const site = calls[k];
      f = meet(f, r >= 1 && r <= 5 ? this.before(cfg.blockOf[site], site, r) : UNKNOWN);
    }
    return f;
  }
}
