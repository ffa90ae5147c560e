/**
 * The control-flow graph of a program, for the JIT: validation (the same
 * rules, in the same words, as the interpreter's prepare step), basic
 * blocks, their successors, and the functions (the entry and every
 * bpf-to-bpf call target).
 *
 * A block ends at a jump, a may_goto, an exit, or just before an
 * instruction that something jumps to. Calls do not end blocks: a
 * bpf-to-bpf call becomes a wasm call that returns to the next instruction.
 */
import { BPF_JMP, BPF_JMP32, BPF_LD, InstructionError, jumpTarget, validateProgram, type Insn, type Opcode } from '../isa/index.js';

export const enum Term {
  /** Falls through into the next block. */
  fall = 0,
  /** ja / ja32. */
  jump = 1,
  /** A conditional jump or may_goto: successor 0 when taken, successor 1 otherwise. */
  cond = 2,
  exit = 3,
}

export interface ProgramCfg {
  readonly insns: readonly Insn[];
  /** Each slot's row of the opcode table; null for the second half of an lddw. */
  readonly rows: readonly (Opcode | null)[];
  readonly blockCount: number;
  /** First slot of each block. */
  readonly blockStart: Int32Array;
  /** One past the last slot of each block. */
  readonly blockEnd: Int32Array;
  /** The block of each slot (the second half of an lddw: its first half's). */
  readonly blockOf: Int32Array;
  /** The slot of each block's last instruction. */
  readonly blockLast: Int32Array;
  /** Instructions in each block, an lddw counting once (as the interpreter counts them). */
  readonly blockInsns: Int32Array;
  readonly term: Uint8Array;
  /** Successor blocks: [2b] (the target, or the next block) and [2b + 1] (the next block of a cond), or -1. */
  readonly succ: Int32Array;
  /** The bpf-to-bpf call targets, in slot order: each becomes a function (the main one starts at 0). */
  readonly calls: readonly number[];
}

/**
 * Zeroed typed arrays carved from one buffer: an off-heap allocation costs
 * ten times a view of one, and a program's graph and each function's need many.
 */
export class Carver {
  private readonly buffer: ArrayBuffer;
  private at = 0;

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  i32(n: number): Int32Array {
    const a = new Int32Array(this.buffer, this.at, n);
    this.at += 4 * n;
    return a;
  }

  f64(n: number): Float64Array {
    const a = new Float64Array(this.buffer, this.at, n);
    this.at += 8 * n;
    return a;
  }

  /** Last: it leaves the offset unaligned. */
  u8(n: number): Uint8Array {
    const a = new Uint8Array(this.buffer, this.at, n);
    this.at += n;
    return a;
  }
}

/** Scratch buffers given back with Scratch.release, for take to reuse (a cache, not state: what a use carves is zeroed). */
const spare: Scratch[] = [];
/** At most this many spare buffers, none larger than this many bytes, are kept. */
const MAX_SPARE = 4, MAX_SPARE_BYTES = 1 << 22;

/**
 * Zeroed typed arrays for what a compile needs only while it runs (the
 * arrays of the functions' graphs and of the structurer, the blocks'
 * leaders), carved from a buffer that serves the next compile too: a
 * Carver's buffer per function and per array was a good part of what
 * compiling a small function costs. What the last use wrote is zeroed in
 * one stroke when the buffer is taken again, as far as the new use asked
 * for room (a fill per carved array was a good part of what carving costs);
 * an array carved past that, where the last use wrote, is zeroed as it is carved.
 */
export class Scratch {
  private buffer: ArrayBuffer;
  private at = 0;
  /** [dirtyFrom, dirtyTo): bytes a past use wrote and no one has zeroed since. */
  private dirtyFrom = 0;
  private dirtyTo = 0;

  private constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  /** A scratch with room for `bytes` (more is carved as fresh arrays, correct but slower); give it back with release. */
  static take(bytes: number): Scratch {
    const s = spare.pop();
    if (!s) return new Scratch(Math.max(4096, bytes));
    s.at = 0;
    if (s.buffer.byteLength < bytes) {
      s.buffer = new ArrayBuffer(Math.max(bytes, 2 * s.buffer.byteLength));
      s.dirtyFrom = s.dirtyTo = 0;
    } else {
      const clean = Math.min(s.dirtyTo, bytes);
      if (clean > 0) new Uint8Array(s.buffer, 0, clean).fill(0);
      s.dirtyFrom = clean;
    }
    return s;
  }

  /** Give back a scratch none of whose arrays is read any more. */
  static release(s: Scratch): void {
    s.dirtyTo = Math.max(s.dirtyTo, s.at);
    s.dirtyFrom = 0;
    if (spare.length < MAX_SPARE && s.buffer.byteLength <= MAX_SPARE_BYTES) spare.push(s);
  }

  /** The byte offset of `bytes` more, 8-aligned and zeroed, or -1 when they do not fit. */
  private carve(bytes: number): number {
    const at = (this.at + 7) & ~7;
    if (at + bytes > this.buffer.byteLength) return -1;
    this.at = at + bytes;
    if (at + bytes > this.dirtyFrom && at < this.dirtyTo) {
      const from = Math.max(at, this.dirtyFrom);
      new Uint8Array(this.buffer, from, Math.min(at + bytes, this.dirtyTo) - from).fill(0);
    }
    return at;
  }

  i32(n: number): Int32Array {
    const at = this.carve(4 * n);
    return at < 0 ? new Int32Array(n) : new Int32Array(this.buffer, at, n);
  }

  f64(n: number): Float64Array {
    const at = this.carve(8 * n);
    return at < 0 ? new Float64Array(n) : new Float64Array(this.buffer, at, n);
  }

  u8(n: number): Uint8Array {
    const at = this.carve(n);
    return at < 0 ? new Uint8Array(n) : new Uint8Array(this.buffer, at, n);
  }
}

/**
 * Validate `insns` for the JIT: validateProgram's rules, and no kfunc
 * calls. Returns each slot's row; `marks` and `words` as validateProgram
 * fills them. Throws InstructionError naming the slot.
 */
export function checkProgram(insns: readonly Insn[], marks: number[] = [], words?: Int32Array): (Opcode | null)[] {
  const from = marks.length;
  const rows = validateProgram(insns, marks, words);
  for (let k = from; k < marks.length; k++) {
    const i = marks[k];
    if (rows[i]!.format === 'call_kfunc') {
      throw new InstructionError(i, `call kfunc (btf id ${insns[i].imm}): kernel functions exist only in the kernel, not in the JIT`);
    }
  }
  return rows;
}

/** Bits of buildCfg's flags per slot. */
const LEADER = 1, CALLED = 2;

/**
 * Build the graph of `insns`, validating them first (checkProgram) unless
 * `rows` says what checkProgram returned for them. Throws InstructionError naming the slot.
 */
export function buildCfg(insns: readonly Insn[], rows: readonly (Opcode | null)[] = checkProgram(insns)): ProgramCfg {
  const n = insns.length;
  const scratch = Scratch.take(n + 16);
  /** LEADER at each slot that starts a block, and CALLED too at each call target. */
  const leader = scratch.u8(n);
  leader[0] = LEADER;
  let blockCount = 1;
  /** The second slot of each lddw, in order: a slot of no instruction. */
  const halves: number[] = [];
  for (let i = 0; i < n; i++) {
    // Only jump-class instructions jump, call or exit, and only class LD has two-slot ones: the others are most of a program.
    const row = rows[i]!;
    const cls = row.code & 7;
    if (cls === BPF_LD) {
      if (row.format === 'lddw') halves.push(++i);
      continue;
    }
    if (cls !== BPF_JMP && cls !== BPF_JMP32) continue;
    const to = jumpTarget(row, insns[i], i);
    let next = -1;
    if (to !== undefined) {
      if (leader[to] === 0) blockCount++;
      if (row.format === 'call_local') leader[to] = LEADER | CALLED;
      else {
        leader[to] |= LEADER;
        next = i + 1;
      }
    } else if (row.format === 'exit') next = i + 1;
    if (next > 0 && next < n && leader[next] === 0) {
      leader[next] = LEADER;
      blockCount++;
    }
  }

  const c = new Carver(4 * (6 * blockCount + n) + blockCount);
  const blockStart = c.i32(blockCount);
  const blockEnd = c.i32(blockCount);
  const blockLast = c.i32(blockCount);
  const blockInsns = c.i32(blockCount);
  const blockOf = c.i32(n);
  const succ = c.i32(2 * blockCount).fill(-1);
  const term = c.u8(blockCount);
  /** The call targets, in slot order. */
  const calls: number[] = [];
  for (let b = 0, i = 0, h = 0; b < blockCount; b++) {
    const start = i;
    blockStart[b] = start;
    if (leader[start] & CALLED) calls.push(start);
    do blockOf[i++] = b; while (i < n && leader[i] === 0);
    blockEnd[b] = i;
    let count = i - start;
    while (h < halves.length && halves[h] < i) {
      count--;
      h++;
    }
    blockInsns[b] = count;
    blockLast[b] = rows[i - 1] === null ? i - 2 : i - 1;
  }
  Scratch.release(scratch);

  for (let k = 0; k < blockCount; k++) {
    const i = blockLast[k];
    const row = rows[i]!;
    const next = blockEnd[k] < n ? k + 1 : -1;
    switch (row.format) {
      case 'jmp_reg': case 'jmp_imm': case 'may_goto':
        term[k] = Term.cond;
        succ[2 * k] = blockOf[jumpTarget(row, insns[i], i)!];
        succ[2 * k + 1] = next;
        break;
      case 'ja': case 'ja32':
        term[k] = Term.jump;
        succ[2 * k] = blockOf[jumpTarget(row, insns[i], i)!];
        break;
      case 'exit':
        term[k] = Term.exit;
        break;
      default:
        term[k] = Term.fall;
        succ[2 * k] = next;
    }
  }
  return { insns, rows, blockCount, blockStart, blockEnd, blockOf, blockLast, blockInsns, term, succ, calls };
}
