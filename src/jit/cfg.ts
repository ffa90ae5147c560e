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
import { BPF_JMP, BPF_JMP32, InstructionError, bpfClass, jumpTarget, validateProgram, type Insn, type Opcode } from '../isa/index.js';

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

/** Scratch buffers given back with Scratch.release, for take to reuse (a cache, not state: each is zeroed as it is carved). */
const spare: Scratch[] = [];
/** At most this many spare buffers, none larger than this many bytes, are kept. */
const MAX_SPARE = 4, MAX_SPARE_BYTES = 1 << 22;

/**
 * Zeroed typed arrays for what a compile needs only while it runs (the
 * arrays of the functions' graphs and of the structurer, the blocks'
 * leaders), carved from a buffer that serves the next compile too: a
 * Carver's buffer per function and per array was a good part of what
 * compiling a small function costs.
 */
export class Scratch {
  private buffer: ArrayBuffer;
  private at = 0;

  private constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  /** A scratch with room for `bytes` (more is carved as fresh arrays, correct but slower); give it back with release. */
  static take(bytes: number): Scratch {
    const s = spare.pop();
    if (!s) return new Scratch(Math.max(4096, bytes));
    if (s.buffer.byteLength < bytes) s.buffer = new ArrayBuffer(Math.max(bytes, 2 * s.buffer.byteLength));
    s.at = 0;
    return s;
  }

  /** Give back a scratch none of whose arrays is read any more. */
  static release(s: Scratch): void {
    if (spare.length < MAX_SPARE && s.buffer.byteLength <= MAX_SPARE_BYTES) spare.push(s);
  }

  /** The byte offset of `bytes` more, 8-aligned, or -1 when they do not fit. */
  private carve(bytes: number): number {
    const at = (this.at + 7) & ~7;
    if (at + bytes > this.buffer.byteLength) return -1;
    this.at = at + bytes;
    return at;
  }

  i32(n: number): Int32Array {
    const at = this.carve(4 * n);
    return at < 0 ? new Int32Array(n) : new Int32Array(this.buffer, at, n).fill(0);
  }

  f64(n: number): Float64Array {
    const at = this.carve(8 * n);
    return at < 0 ? new Float64Array(n) : new Float64Array(this.buffer, at, n).fill(0);
  }

  u8(n: number): Uint8Array {
    const at = this.carve(n);
    return at < 0 ? new Uint8Array(n) : new Uint8Array(this.buffer, at, n).fill(0);
  }
}

/**
 * Validate `insns` for the JIT: validateProgram's rules, and no kfunc
 * calls. Returns each slot's row. Throws InstructionError naming the slot.
 */
export function checkProgram(insns: readonly Insn[]): (Opcode | null)[] {
  const rows = validateProgram(insns);
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]?.format === 'call_kfunc') {
      throw new InstructionError(i, `call kfunc (btf id ${insns[i].imm}): kernel functions exist only in the kernel, not in the JIT`);
    }
  }
  return rows;
}

/**
 * Build the graph of `insns`, validating them first (checkProgram) unless
 * `rows` says what checkProgram returned for them. Throws InstructionError naming the slot.
 */
export function buildCfg(insns: readonly Insn[], rows: readonly (Opcode | null)[] = checkProgram(insns)): ProgramCfg {
  const n = insns.length;
  const scratch = Scratch.take(2 * n + 16);
  const leader = scratch.u8(n + 1);
  /** 1 at each call target. */
  const called = scratch.u8(n);
  leader[0] = 1;
  let callSites = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row === null) continue;
    // Only jump-class instructions jump, call or exit: the others are most of a program.
    const cls = bpfClass(row.code);
    if (cls !== BPF_JMP && cls !== BPF_JMP32) continue;
    const to = jumpTarget(row, insns[i], i);
    if (to !== undefined) {
      leader[to] = 1;
      if (row.format === 'call_local') {
        called[to] = 1;
        callSites++;
      } else leader[i + 1] = 1;
    } else if (row.format === 'exit') {
      leader[i + 1] = 1;
    }
  }

  let blockCount = 0;
  for (let i = 0; i < n; i++) if (leader[i]) blockCount++;
  const c = new Carver(4 * (6 * blockCount + n) + blockCount);
  const blockStart = c.i32(blockCount);
  const blockEnd = c.i32(blockCount);
  const blockLast = c.i32(blockCount);
  const blockInsns = c.i32(blockCount);
  const blockOf = c.i32(n);
  const succ = c.i32(2 * blockCount).fill(-1);
  const term = c.u8(blockCount);
  let b = -1;
  for (let i = 0; i < n; i++) {
    if (leader[i]) {
      b++;
      blockStart[b] = i;
      if (b > 0) blockEnd[b - 1] = i;
    }
    blockOf[i] = b;
    if (rows[i] !== null) {
      blockInsns[b]++;
      blockLast[b] = i;
    }
  }
  blockEnd[blockCount - 1] = n;

  for (let k = 0; k < blockCount; k++) {
    const i = blockLast[k];
    const row = rows[i]!;
    const next = blockEnd[k] < n ? blockOf[blockEnd[k]] : -1;
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
  const targets: number[] = [];
  if (callSites > 0) for (let i = 0; i < n; i++) if (called[i]) targets.push(i);
  Scratch.release(scratch);
  return { insns, rows, blockCount, blockStart, blockEnd, blockOf, blockLast, blockInsns, term, succ, calls: targets };
}
