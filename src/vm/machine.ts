/**
 * The interpreter's engine room: registers, call frames, the memory checks
 * and the dispatch loop. One Machine per Vm; a run resets it.
 *
 * The loop is a single `switch` over the predecoded dispatch code (see
 * prepare.ts). Its case labels are numeric literals on purpose: V8 compiles
 * a dense switch over literal integers into a jump table, while labels that
 * name imported constants are evaluated as expressions, one comparison
 * after another, and run the whole loop about twice as slowly. Each label
 * carries the uAPI spelling in a comment; the tests run every row of the
 * opcode table through it.
 */
import { MAX_BPF_STACK, MAX_CALL_FRAMES, BPF_ADD, BPF_AND, BPF_FETCH, BPF_OR, BPF_XCHG, BPF_XOR } from '../isa/index.js';
import type { AddressSpace, Region } from '../memory/index.js';
import { EbpfError } from '../internal/errors.js';
import {
  BPF_MAX_LOOPS, MAX_TAIL_CALL_CNT, RuntimeError, memoryFault, missingHelper, type HelperContext, type HelperTable, type PacketContext,
  type ProgramHandle,
} from '../helpers/index.js';
import { prepareProgram, type PreparedProgram } from './prepare.js';
import {
  add64, arsh64, bswap16, bswap32, div32, div64, lsh64, mod32, mod64, mul64, neg64, rsh64, sdiv32, sdiv64, sge, sgt,
  smod32, smod64, sub64, uge, ugt,
} from './alu.js';

/** BPF_MAX_LOOPS also bounds how many times may_goto falls through in one function invocation before it jumps. */
export { BPF_MAX_LOOPS };


const TWO32 = 4294967296;
/** Words saved per caller: r6–r10 as halves, the return pc, the caller's may_goto budget. */
const FRAME_WORDS = 12;
const R6 = 12;
/** Bytes of guard around each frame's stack, and the distance from one frame to the next. */
const STACK_GUARD = 64;
const FRAME_SPAN = MAX_BPF_STACK + STACK_GUARD;

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export class Machine {
  /** r0–r10, two 32-bit halves each: R[2n] low, R[2n + 1] high. */
  readonly R = new Int32Array(22);
  /**
   * Bounds of the last regions hit, [start, end) pairs: two for reads
   * (C[0..3]), two for writes (C[4..7]). Unchecked mode keeps the whole
   * memory in every pair, so both modes share the fast path.
   */
  readonly C = new Float64Array(8);
  pc = 0;
  count = 0;
  depth = 0;
  /** may_goto budget of the current frame. */
  loops = BPF_MAX_LOOPS;
  packet: PacketContext | undefined;
  prog: PreparedProgram | undefined;
  /** The frame whose exit ends the current exec: 0, or a callback's frame. */
  base = 0;
  /** Instruction budget of the whole run, callbacks included. */
  budget = 0;
  /** Tail calls taken in this run (tail_call_cnt). */
  tailCalls = 0;
  /** The program a tail call asked for, entered when its helper returns. */
  private pendingTail: PreparedProgram | undefined;
  /** The program each frame runs: a tail call in a subprogram replaces only that frame's code. */
  private readonly frameProg: (PreparedProgram | undefined)[] = new Array(MAX_CALL_FRAMES).fill(undefined);
  dv: DataView;
  u8: Uint8Array;
  private i32: Int32Array;
  private i64: BigInt64Array;
  private readonly saved = new Int32Array(MAX_CALL_FRAMES * FRAME_WORDS);
  /**
   * One region holds every frame's stack, each between guard bytes:
   * [guard][frame 0][guard][frame 1]…[frame 7][guard]. The slow path of an
   * access resolves a stack address to its frame and caches only that
   * frame, so running off a frame faults instead of landing in a neighbour,
   * and frames deeper than the current call are not in use.
   */
  readonly stack: Region;

  constructor(
    readonly space: AddressSpace,
    readonly checked: boolean,
    readonly helpers: HelperTable,
    readonly ctx: HelperContext,
  ) {
    this.stack = space.alloc('stack', STACK_GUARD + MAX_CALL_FRAMES * FRAME_SPAN, 'stack');
    const buf = space.memory.buffer;
    this.dv = new DataView(buf);
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.i64 = new BigInt64Array(buf);
  }

  /** Lowest address of frame k's stack; its r10 is MAX_BPF_STACK above. */
  frameStart(k: number): number {
    return this.stack.start + STACK_GUARD + k * FRAME_SPAN;
  }

  /** Re-read the memory (it may have grown) and forget cached regions (they may have gone). */
  refresh(): void {
    const buf = this.space.memory.buffer;
    if (this.u8.buffer !== buf || this.u8.byteLength !== buf.byteLength) {
      this.dv = new DataView(buf);
      this.u8 = new Uint8Array(buf);
      this.i32 = new Int32Array(buf);
      this.i64 = new BigInt64Array(buf);
    }
    this.forget();
  }

  /** Empty the region cache (unchecked mode: fill it with the whole memory). */
  private forget(): void {
    const C = this.C;
    if (this.checked) C.fill(0);
    else for (let k = 0; k < 8; k += 2) { C[k] = 0; C[k + 1] = this.u8.byteLength; }
  }

  /** Set up a run from instruction `start`: registers from the arguments, r10 at the top of frame 0's zeroed stack. */
  reset(prog: PreparedProgram, args: readonly bigint[], packet: PacketContext | undefined, budget: number, start = 0): void {
    this.refresh();
    const R = this.R;
    R.fill(0);
    args.forEach((v, k) => {
      const x = BigInt.asUintN(64, v);
      R[2 + 2 * k] = Number(x & 0xffffffffn);
      R[3 + 2 * k] = Number(x >> 32n);
    });
    this.u8.fill(0, this.stack.start, this.stack.start + this.stack.size);
    R[20] = this.frameStart(0) + MAX_BPF_STACK;
    this.prog = prog;
    this.frameProg.fill(undefined);
    this.frameProg[0] = prog;
    this.packet = packet;
    this.pc = start;
    this.count = 0;
    this.depth = 0;
    this.base = 0;
    this.budget = budget;
    this.tailCalls = 0;
    this.pendingTail = undefined;
    this.loops = BPF_MAX_LOOPS;
  }

  /**
   * Check an access the fast path could not place (address `a`, below
   * 2^32): the second cached region, then the region list. Returns `a`.
   */
  access(a: number, size: number, write: boolean, pc: number): number {
    const C = this.C, k = write ? 4 : 0;
    if (a >= C[k] && a + size <= C[k + 1]) return a;
    if (a >= C[k + 2] && a + size <= C[k + 3]) return a;
    // A BPF_PROBE_MEM load that would fault reads 0 instead (the kernel's exception table): address 0, never written.
    if (!write && this.prog?.probe?.[pc] && !this.space.find(a, size)) return 0;
    const fault = (why: string) => memoryFault(write, BigInt(a), size, why, pc);
    if (!this.checked) throw fault(`outside the memory of ${this.u8.byteLength} bytes`);
    const region = this.space.find(a, size);
    if (!region) {
      const partly = this.space.find(a, 1);
      throw fault(partly ? `runs past the end of ${partly.name}, ${partly.size} bytes at 0x${partly.start.toString(16)}` : 'no region');
    }
    if (write && !region.writable) throw fault(`${region.name} is read-only`);
    let start = region.start, end = region.start + region.size;
    if (region === this.stack) {
      const rel = a - this.stack.start - STACK_GUARD;
      const frame = Math.floor(rel / FRAME_SPAN);
      const at = rel - frame * FRAME_SPAN;
      if (rel < 0) throw fault('stack guard below frame 0');
      if (at >= MAX_BPF_STACK) throw fault(`stack guard above frame ${frame}`);
      if (at + size > MAX_BPF_STACK) throw fault(`crosses the top of frame ${frame}'s stack`);
      if (frame > this.depth) throw fault(`frame ${frame}'s stack is not in use (the program is in frame ${this.depth})`);
      start = this.frameStart(frame);
      end = start + MAX_BPF_STACK;
    }
    C[k + 2] = C[k];
    C[k + 3] = C[k + 1];
    C[k] = start;
    C[k + 1] = end;
    return a;
  }

  /** access() for register `base` (doubled index) plus `off`, faulting when the 64-bit sum is not below 2^32. */
  resolve(base: number, off: number, size: number, write: boolean, pc: number): number {
    const R = this.R;
    const a = (R[base] >>> 0) + off;
    if (R[base + 1] === 0 && a >= 0 && a < TWO32) return this.access(a, size, write, pc);
    const full = BigInt.asUintN(64, u64(R[base], R[base + 1]) + BigInt(off));
    if (full >= BigInt(TWO32)) {
      if (!write && this.prog?.probe?.[pc]) return 0;
      throw memoryFault(write, full, size, 'address above 4 GiB', pc);
    }
    return this.access(Number(full), size, write, pc);
  }

  callHelper(id: number, pc: number): void {
    const def = this.helpers.get(id);
    if (!def) throw missingHelper(id, pc);
    const R = this.R;
    let ret: unknown;
    try {
      ret = def.fn(this.ctx, u64(R[2], R[3]), u64(R[4], R[5]), u64(R[6], R[7]), u64(R[8], R[9]), u64(R[10], R[11]));
    } catch (e) {
      if (e instanceof RuntimeError) throw e.pc === undefined ? e.atPc(pc) : e;
      if (e instanceof EbpfError) throw e;
      throw new RuntimeError(`helper ${def.name} failed: ${e instanceof Error ? e.message : String(e)}`, { pc, cause: e });
    }
    if (typeof ret !== 'bigint') throw new RuntimeError(`helper ${def.name} returned ${typeof ret}, not a bigint`, { pc });
    const v = BigInt.asUintN(64, ret);
    R[0] = Number(v & 0xffffffffn);
    R[1] = Number(v >> 32n);
    this.refresh();
  }

  callx(d: number, pc: number): void {
    const lo = this.R[d], hi = this.R[d + 1];
    if (hi !== 0 || lo < 0) throw missingHelper(u64(lo, hi), pc);
    this.callHelper(lo, pc);
  }

  /** call local: save the caller's r6–r10, give the callee the next stack frame. Returns the new pc. */
  call(pc: number, to: number): number {
    if (this.depth + 1 >= MAX_CALL_FRAMES) {
      throw new RuntimeError(`call to ${to} needs frame ${this.depth + 2}: at most ${MAX_CALL_FRAMES} frames`, { pc });
    }
    this.push(pc);
    return to;
  }

  /** Save the caller's r6–r10, its return pc and may_goto budget; point r10 at the next frame. */
  private push(pc: number): void {
    const R = this.R, S = this.saved, f = this.depth * FRAME_WORDS;
    for (let k = 0; k < 10; k++) S[f + k] = R[R6 + k];
    S[f + 10] = pc + 1;
    S[f + 11] = this.loops;
    this.depth++;
    this.frameProg[this.depth] = this.prog;
    this.loops = BPF_MAX_LOOPS;
    R[20] = this.frameStart(this.depth) + MAX_BPF_STACK;
    R[21] = 0;
  }

  /** exit from a subprogram: restore the caller's r6–r10 (and its program, after a tail call). Returns the pc after the call. */
  ret(): number {
    // The callee's frame goes out of use: drop it from the cache.
    const dead = this.frameStart(this.depth), C = this.C;
    for (let k = 0; k < 8; k += 2) if (C[k] === dead) { C[k] = 0; C[k + 1] = 0; }
    this.frameProg[this.depth] = undefined;
    this.depth--;
    this.prog = this.frameProg[this.depth];
    const R = this.R, S = this.saved, f = this.depth * FRAME_WORDS;
    for (let k = 0; k < 10; k++) R[R6 + k] = S[f + k];
    this.loops = S[f + 11];
    return S[f + 10];
  }

  /**
   * The callback hook: run `prog` (the running program, or the one a
   * deferred callback kept) from instruction `start` on a new frame with
   * r1–r5, until that frame exits; returns its r0 and leaves every register
   * of the caller as it was.
   */
  callback(prog: PreparedProgram, start: bigint, args: readonly bigint[]): bigint {
    const pc = this.pc;
    const at = checkCallbackStart(prog, start, pc);
    if (this.depth + 1 >= MAX_CALL_FRAMES) {
      throw new RuntimeError(`callback at ${at} needs frame ${this.depth + 2}: at most ${MAX_CALL_FRAMES} frames`, { pc });
    }
    const R = this.R, saved = R.slice(), base = this.base, outer = this.prog;
    this.push(pc);
    this.prog = prog;
    this.frameProg[this.depth] = prog;
    this.base = this.depth;
    args.forEach((v, k) => {
      const x = BigInt.asUintN(64, v);
      R[2 + 2 * k] = Number(x & 0xffffffffn);
      R[3 + 2 * k] = Number(x >> 32n);
    });
    this.pc = at;
    try {
      if (!this.exec(this.budget)) throw new RuntimeError(`instruction budget of ${this.budget} exhausted (option maxInsns)`, { pc: this.pc });
      const r0 = u64(R[0], R[1]);
      this.ret();
      return r0;
    } finally {
      this.base = base;
      this.prog = outer;
      this.pc = pc;
      R.set(saved);
    }
  }

  /**
   * The tail-call hook (after the helper's index check): a program within
   * MAX_TAIL_CALL_CNT is entered when the helper returns. An empty slot
   * spends nothing, as on the kernel (its JIT checks the slot first).
   */
  tailCall(target: ProgramHandle | undefined): boolean {
    if (target === undefined || this.tailCalls >= MAX_TAIL_CALL_CNT) return false;
    this.tailCalls++;
    this.pendingTail = target.preparedFor(this, (insns) => prepareProgram(insns, this.checked));
    return true;
  }

  /**
   * Replace the running function by the program a tail call asked for: the
   * same frame and r1 (the context), r10 at the top of the frame's stack,
   * zeroed. A caller of the function, if any, gets the target's r0.
   */
  private enterTail(): void {
    const prog = this.pendingTail!;
    this.pendingTail = undefined;
    this.prog = prog;
    this.frameProg[this.depth] = prog;
    this.loops = BPF_MAX_LOOPS;
    const top = this.frameStart(this.depth);
    this.u8.fill(0, top, top + MAX_BPF_STACK);
    this.R[20] = top + MAX_BPF_STACK;
    this.R[21] = 0;
  }

  /** The call chain, innermost first, as instruction byte offsets (bpf_get_stack). */
  callChain(): bigint[] {
    const chain = [BigInt(this.pc * 8)];
    for (let d = this.depth - 1; d >= 0; d--) chain.push(BigInt((this.saved[d * FRAME_WORDS + 10] - 1) * 8));
    return chain;
  }

  /** Atomic read-modify-write at dst + off (wide: 64 bits). Atomics must be naturally aligned, as in wasm. */
  atomic(pc: number, d: number, s: number, off: number, op: number, wide: boolean): void {
    const R = this.R, size = wide ? 8 : 4;
    let a = (R[d] >>> 0) + off;
    const C = this.C;
    if (R[d + 1] !== 0 || a < C[4] || a + size > C[5]) a = this.resolve(d, off, size, true, pc);
    if (a % size !== 0) {
      throw new RuntimeError(`misaligned atomic access of ${size} bytes at 0x${a.toString(16)}`, { pc, addr: BigInt(a), size });
    }
    if (!wide) {
      const M = this.i32, at = a >> 2, v = R[s];
      let old: number;
      switch (op & ~BPF_FETCH) {
        case BPF_ADD: old = Atomics.add(M, at, v); break;
        case BPF_OR: old = Atomics.or(M, at, v); break;
        case BPF_AND: old = Atomics.and(M, at, v); break;
        case BPF_XOR: old = Atomics.xor(M, at, v); break;
        default:
          if (op === BPF_XCHG) old = Atomics.exchange(M, at, v);
          else {
            R[0] = Atomics.compareExchange(M, at, R[0], v);
            R[1] = 0;
            return;
          }
      }
      if (op & BPF_FETCH) { R[s] = old; R[s + 1] = 0; }
      return;
    }
    const M = this.i64, at = a / 8, v = BigInt.asIntN(64, u64(R[s], R[s + 1]));
    let old: bigint;
    switch (op & ~BPF_FETCH) {
      case BPF_ADD: old = Atomics.add(M, at, v); break;
      case BPF_OR: old = Atomics.or(M, at, v); break;
      case BPF_AND: old = Atomics.and(M, at, v); break;
      case BPF_XOR: old = Atomics.xor(M, at, v); break;
      default:
        if (op === BPF_XCHG) old = Atomics.exchange(M, at, v);
        else {
          const prev = Atomics.compareExchange(M, at, BigInt.asIntN(64, u64(R[0], R[1])), v);
          R[0] = Number(BigInt.asIntN(32, prev));
          R[1] = Number(BigInt.asIntN(32, prev >> 32n));
          return;
        }
    }
    if (op & BPF_FETCH) {
      R[s] = Number(BigInt.asIntN(32, old));
      R[s + 1] = Number(BigInt.asIntN(32, old >> 32n));
    }
  }

  /**
   * LD_ABS / LD_IND: r0 = the big-endian 1, 2 or 4 bytes at packet offset
   * imm (+ src, as a signed 32-bit sum). Returns false when the bytes are
   * outside the packet: the kernel then ends the program with r0 = 0.
   */
  loadPacket(pc: number, code: number, s: number, imm: number): boolean {
    const pkt = this.packet;
    if (!pkt) throw new RuntimeError('ld_abs/ld_ind read the packet, but the run has none (pass packet: { data, dataEnd })', { pc });
    const size = (code & 0x18) === 0x00 ? 4 : (code & 0x18) === 0x08 ? 2 : 1;
    const off = (code & 0xe0) === 0x40 ? (this.R[s] + imm) | 0 : imm;
    if (off < 0 || off + size > pkt.dataEnd - pkt.data) return false;
    const a = this.access(pkt.data + off, size, false, pc);
    const R = this.R;
    R[0] = size === 4 ? this.dv.getInt32(a, false) : size === 2 ? this.dv.getUint16(a, false) : this.u8[a];
    R[1] = 0;
    return true;
  }

  /**
   * Run from this.pc until the program exits (returns true, r0 in R[0..1])
   * or `limit` instructions have been counted (returns false; the state is
   * saved, so a later call resumes).
   */
  exec(limit: number): boolean {
    const R = this.R, C = this.C;
    let P = this.prog!;
    let { word: W, imm: IMM, aux: AUX } = P;
    let dv = this.dv, u8 = this.u8;
    let pc = this.pc, count = this.count;
    for (;;) {
      if (count >= limit) {
        this.pc = pc;
        this.count = count;
        return false;
      }
      count++;
      const i = pc;
      pc = i + 1;
      const w = W[i];
      const d = (w >>> 8) & 0xff, s = w >>> 16;
      switch (w & 0xff) {
        // ---- ALU64 ----
        case 0x07: add64(R, d, IMM[i], IMM[i] >> 31); break; // BPF_ALU64 | BPF_ADD | BPF_K
        case 0x0f: add64(R, d, R[s], R[s + 1]); break; // BPF_ALU64 | BPF_ADD | BPF_X
        case 0x17: sub64(R, d, IMM[i], IMM[i] >> 31); break; // SUB K
        case 0x1f: sub64(R, d, R[s], R[s + 1]); break; // SUB X
        case 0x27: mul64(R, d, IMM[i], IMM[i] >> 31); break; // MUL K
        case 0x2f: mul64(R, d, R[s], R[s + 1]); break; // MUL X
        case 0x37: div64(R, d, IMM[i], IMM[i] >> 31); break; // DIV K
        case 0x3f: div64(R, d, R[s], R[s + 1]); break; // DIV X
        case 0xe7: sdiv64(R, d, IMM[i], IMM[i] >> 31); break; // DISPATCH.sdiv64imm (DIV K, off 1)
        case 0xef: sdiv64(R, d, R[s], R[s + 1]); break; // DISPATCH.sdiv64reg
        case 0x47: R[d] |= IMM[i]; R[d + 1] |= IMM[i] >> 31; break; // OR K
        case 0x4f: R[d] |= R[s]; R[d + 1] |= R[s + 1]; break; // OR X
        case 0x57: R[d] &= IMM[i]; R[d + 1] &= IMM[i] >> 31; break; // AND K
        case 0x5f: R[d] &= R[s]; R[d + 1] &= R[s + 1]; break; // AND X
        case 0x67: lsh64(R, d, IMM[i]); break; // LSH K
        case 0x6f: lsh64(R, d, R[s]); break; // LSH X
        case 0x77: rsh64(R, d, IMM[i]); break; // RSH K
        case 0x7f: rsh64(R, d, R[s]); break; // RSH X
        case 0x87: neg64(R, d); break; // NEG
        case 0x97: mod64(R, d, IMM[i], IMM[i] >> 31); break; // MOD K
        case 0x9f: mod64(R, d, R[s], R[s + 1]); break; // MOD X
        case 0xf7: smod64(R, d, IMM[i], IMM[i] >> 31); break; // DISPATCH.smod64imm (MOD K, off 1)
        case 0xff: smod64(R, d, R[s], R[s + 1]); break; // DISPATCH.smod64reg
        case 0xa7: R[d] ^= IMM[i]; R[d + 1] ^= IMM[i] >> 31; break; // XOR K
        case 0xaf: R[d] ^= R[s]; R[d + 1] ^= R[s + 1]; break; // XOR X
        case 0xb7: R[d] = IMM[i]; R[d + 1] = IMM[i] >> 31; break; // MOV K
        case 0xbf: R[d] = R[s]; R[d + 1] = R[s + 1]; break; // MOV X
        case 0xee: { // DISPATCH.movsx64 (MOV X, off 8/16/32)
          const sh = 32 - AUX[i];
          R[d] = sh === 0 ? R[s] : (R[s] << sh) >> sh;
          R[d + 1] = R[d] >> 31;
          break;
        }
        case 0xc7: arsh64(R, d, IMM[i]); break; // ARSH K
        case 0xcf: arsh64(R, d, R[s]); break; // ARSH X
        case 0xd7: { // BPF_ALU64 | BPF_END: bswap16/32/64
          const imm = IMM[i];
          if (imm === 16) { R[d] = bswap16(R[d]); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]); R[d + 1] = 0; }
          else { const lo = R[d]; R[d] = bswap32(R[d + 1]); R[d + 1] = bswap32(lo); }
          break;
        }
        // ---- ALU (32-bit: results zero-extended) ----
        case 0x04: R[d] = (R[d] + IMM[i]) | 0; R[d + 1] = 0; break; // BPF_ALU | BPF_ADD | BPF_K
        case 0x0c: R[d] = (R[d] + R[s]) | 0; R[d + 1] = 0; break; // ADD X
        case 0x14: R[d] = (R[d] - IMM[i]) | 0; R[d + 1] = 0; break; // SUB K
        case 0x1c: R[d] = (R[d] - R[s]) | 0; R[d + 1] = 0; break; // SUB X
        case 0x24: R[d] = Math.imul(R[d], IMM[i]); R[d + 1] = 0; break; // MUL K
        case 0x2c: R[d] = Math.imul(R[d], R[s]); R[d + 1] = 0; break; // MUL X
        case 0x34: R[d] = div32(R[d], IMM[i]); R[d + 1] = 0; break; // DIV K
        case 0x3c: R[d] = div32(R[d], R[s]); R[d + 1] = 0; break; // DIV X
        case 0xe4: R[d] = sdiv32(R[d], IMM[i]); R[d + 1] = 0; break; // DISPATCH.sdiv32imm
        case 0xec: R[d] = sdiv32(R[d], R[s]); R[d + 1] = 0; break; // DISPATCH.sdiv32reg
        case 0x44: R[d] |= IMM[i]; R[d + 1] = 0; break; // OR K
        case 0x4c: R[d] |= R[s]; R[d + 1] = 0; break; // OR X
        case 0x54: R[d] &= IMM[i]; R[d + 1] = 0; break; // AND K
        case 0x5c: R[d] &= R[s]; R[d + 1] = 0; break; // AND X
        case 0x64: R[d] <<= IMM[i] & 31; R[d + 1] = 0; break; // LSH K
        case 0x6c: R[d] <<= R[s] & 31; R[d + 1] = 0; break; // LSH X
        case 0x74: R[d] = R[d] >>> (IMM[i] & 31); R[d + 1] = 0; break; // RSH K
        case 0x7c: R[d] = R[d] >>> (R[s] & 31); R[d + 1] = 0; break; // RSH X
        case 0x84: R[d] = -R[d] | 0; R[d + 1] = 0; break; // NEG
        case 0x94: R[d] = mod32(R[d], IMM[i]); R[d + 1] = 0; break; // MOD K
        case 0x9c: R[d] = mod32(R[d], R[s]); R[d + 1] = 0; break; // MOD X
        case 0xf4: R[d] = smod32(R[d], IMM[i]); R[d + 1] = 0; break; // DISPATCH.smod32imm
        case 0xfc: R[d] = smod32(R[d], R[s]); R[d + 1] = 0; break; // DISPATCH.smod32reg
        case 0xa4: R[d] ^= IMM[i]; R[d + 1] = 0; break; // XOR K
        case 0xac: R[d] ^= R[s]; R[d + 1] = 0; break; // XOR X
        case 0xb4: R[d] = IMM[i]; R[d + 1] = 0; break; // MOV K
        case 0xbc: R[d] = R[s]; R[d + 1] = 0; break; // MOV X
        case 0xe6: { // DISPATCH.movsx32 (MOV X, off 8/16)
          const sh = 32 - AUX[i];
          R[d] = (R[s] << sh) >> sh;
          R[d + 1] = 0;
          break;
        }
        case 0xc4: R[d] >>= IMM[i] & 31; R[d + 1] = 0; break; // ARSH K
        case 0xcc: R[d] >>= R[s] & 31; R[d + 1] = 0; break; // ARSH X
        case 0xd4: { // BPF_ALU | BPF_END | BPF_TO_LE: the memory is little-endian, so only truncate
          const imm = IMM[i];
          if (imm === 16) R[d] &= 0xffff;
          if (imm !== 64) R[d + 1] = 0;
          break;
        }
        case 0xdc: { // BPF_ALU | BPF_END | BPF_TO_BE: swap
          const imm = IMM[i];
          if (imm === 16) { R[d] = bswap16(R[d]); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]); R[d + 1] = 0; }
          else { const lo = R[d]; R[d] = bswap32(R[d + 1]); R[d + 1] = bswap32(lo); }
          break;
        }
        // ---- JMP (64-bit compares) ----
        case 0x05: pc = AUX[i]; break; // BPF_JMP | BPF_JA
        case 0x15: if (R[d] === IMM[i] && R[d + 1] === IMM[i] >> 31) pc = AUX[i]; break; // JEQ K
        case 0x1d: if (R[d] === R[s] && R[d + 1] === R[s + 1]) pc = AUX[i]; break; // JEQ X
        case 0x25: if (ugt(R[d + 1], R[d], IMM[i] >> 31, IMM[i])) pc = AUX[i]; break; // JGT K
        case 0x2d: if (ugt(R[d + 1], R[d], R[s + 1], R[s])) pc = AUX[i]; break; // JGT X
        case 0x35: if (uge(R[d + 1], R[d], IMM[i] >> 31, IMM[i])) pc = AUX[i]; break; // JGE K
        case 0x3d: if (uge(R[d + 1], R[d], R[s + 1], R[s])) pc = AUX[i]; break; // JGE X
        case 0x45: if ((R[d] & IMM[i]) !== 0 || (R[d + 1] & (IMM[i] >> 31)) !== 0) pc = AUX[i]; break; // JSET K
        case 0x4d: if ((R[d] & R[s]) !== 0 || (R[d + 1] & R[s + 1]) !== 0) pc = AUX[i]; break; // JSET X
        case 0x55: if (R[d] !== IMM[i] || R[d + 1] !== IMM[i] >> 31) pc = AUX[i]; break; // JNE K
        case 0x5d: if (R[d] !== R[s] || R[d + 1] !== R[s + 1]) pc = AUX[i]; break; // JNE X
        case 0x65: if (sgt(R[d + 1], R[d], IMM[i] >> 31, IMM[i])) pc = AUX[i]; break; // JSGT K
        case 0x6d: if (sgt(R[d + 1], R[d], R[s + 1], R[s])) pc = AUX[i]; break; // JSGT X
        case 0x75: if (sge(R[d + 1], R[d], IMM[i] >> 31, IMM[i])) pc = AUX[i]; break; // JSGE K
        case 0x7d: if (sge(R[d + 1], R[d], R[s + 1], R[s])) pc = AUX[i]; break; // JSGE X
        case 0xa5: if (ugt(IMM[i] >> 31, IMM[i], R[d + 1], R[d])) pc = AUX[i]; break; // JLT K
        case 0xad: if (ugt(R[s + 1], R[s], R[d + 1], R[d])) pc = AUX[i]; break; // JLT X
        case 0xb5: if (uge(IMM[i] >> 31, IMM[i], R[d + 1], R[d])) pc = AUX[i]; break; // JLE K
        case 0xbd: if (uge(R[s + 1], R[s], R[d + 1], R[d])) pc = AUX[i]; break; // JLE X
        case 0xc5: if (sgt(IMM[i] >> 31, IMM[i], R[d + 1], R[d])) pc = AUX[i]; break; // JSLT K
        case 0xcd: if (sgt(R[s + 1], R[s], R[d + 1], R[d])) pc = AUX[i]; break; // JSLT X
        case 0xd5: if (sge(IMM[i] >> 31, IMM[i], R[d + 1], R[d])) pc = AUX[i]; break; // JSLE K
        case 0xdd: if (sge(R[s + 1], R[s], R[d + 1], R[d])) pc = AUX[i]; break; // JSLE X
        case 0xe5: if (this.loops === 0) pc = AUX[i]; else this.loops--; break; // BPF_JMP | BPF_JCOND: may_goto
        case 0x85: case 0x8d: // BPF_JMP | BPF_CALL (helper), BPF_JMP | BPF_CALL | BPF_X (callx)
          // A helper may run callbacks (they count instructions) and ask for a tail call.
          this.pc = i;
          this.count = count;
          if ((w & 0xff) === 0x85) this.callHelper(IMM[i], i);
          else this.callx(d, i);
          count = this.count;
          dv = this.dv;
          u8 = this.u8;
          if (this.pendingTail) {
            this.enterTail();
            P = this.prog!;
            ({ word: W, imm: IMM, aux: AUX } = P);
            pc = 0;
          }
          break;
        case 0xf5: pc = this.call(i, AUX[i]); break; // DISPATCH.callLocal (BPF_CALL, src BPF_PSEUDO_CALL)
        case 0x95: // BPF_JMP | BPF_EXIT
          if (this.depth === this.base) {
            this.pc = i;
            this.count = count;
            return true;
          }
          pc = this.ret();
          if (this.prog !== P) {
            P = this.prog!;
            ({ word: W, imm: IMM, aux: AUX } = P);
          }
          break;
        // ---- JMP32 (compares of the low halves) ----
        case 0x06: pc = AUX[i]; break; // BPF_JMP32 | BPF_JA: gotol
        case 0x16: if (R[d] === IMM[i]) pc = AUX[i]; break; // JEQ K
        case 0x1e: if (R[d] === R[s]) pc = AUX[i]; break; // JEQ X
        case 0x26: if ((R[d] >>> 0) > (IMM[i] >>> 0)) pc = AUX[i]; break; // JGT K
        case 0x2e: if ((R[d] >>> 0) > (R[s] >>> 0)) pc = AUX[i]; break; // JGT X
        case 0x36: if ((R[d] >>> 0) >= (IMM[i] >>> 0)) pc = AUX[i]; break; // JGE K
        case 0x3e: if ((R[d] >>> 0) >= (R[s] >>> 0)) pc = AUX[i]; break; // JGE X
        case 0x46: if ((R[d] & IMM[i]) !== 0) pc = AUX[i]; break; // JSET K
        case 0x4e: if ((R[d] & R[s]) !== 0) pc = AUX[i]; break; // JSET X
        case 0x56: if (R[d] !== IMM[i]) pc = AUX[i]; break; // JNE K
        case 0x5e: if (R[d] !== R[s]) pc = AUX[i]; break; // JNE X
        case 0x66: if (R[d] > IMM[i]) pc = AUX[i]; break; // JSGT K
        case 0x6e: if (R[d] > R[s]) pc = AUX[i]; break; // JSGT X
        case 0x76: if (R[d] >= IMM[i]) pc = AUX[i]; break; // JSGE K
        case 0x7e: if (R[d] >= R[s]) pc = AUX[i]; break; // JSGE X
        case 0xa6: if ((R[d] >>> 0) < (IMM[i] >>> 0)) pc = AUX[i]; break; // JLT K
        case 0xae: if ((R[d] >>> 0) < (R[s] >>> 0)) pc = AUX[i]; break; // JLT X
        case 0xb6: if ((R[d] >>> 0) <= (IMM[i] >>> 0)) pc = AUX[i]; break; // JLE K
        case 0xbe: if ((R[d] >>> 0) <= (R[s] >>> 0)) pc = AUX[i]; break; // JLE X
        case 0xc6: if (R[d] < IMM[i]) pc = AUX[i]; break; // JSLT K
        case 0xce: if (R[d] < R[s]) pc = AUX[i]; break; // JSLT X
        case 0xd6: if (R[d] <= IMM[i]) pc = AUX[i]; break; // JSLE K
        case 0xde: if (R[d] <= R[s]) pc = AUX[i]; break; // JSLE X
        // ---- LD ----
        case 0x18: R[d] = IMM[i]; R[d + 1] = AUX[i]; pc = i + 2; break; // BPF_LD | BPF_IMM | BPF_DW: lddw
        case 0x20: case 0x28: case 0x30: // BPF_LD | BPF_ABS | BPF_W/H/B
        case 0x40: case 0x48: case 0x50: // BPF_LD | BPF_IND | BPF_W/H/B
          if (!this.loadPacket(i, w & 0xff, s, IMM[i])) {
            if (this.base !== 0) throw new RuntimeError('ld_abs/ld_ind outside the packet inside a callback: the program cannot end from there', { pc: i });
            R[0] = 0;
            R[1] = 0;
            this.depth = 0;
            this.pc = i;
            this.count = count;
            return true;
          }
          break;
        // ---- LDX: dst = *(src + off) ----
        case 0x61: { // BPF_LDX | BPF_MEM | BPF_W
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 4 > C[1]) && (a < C[2] || a + 4 > C[3]))) a = this.resolve(s, AUX[i], 4, false, i);
          R[d] = dv.getInt32(a, true);
          R[d + 1] = 0;
          break;
        }
        case 0x69: { // LDX H
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 2 > C[1]) && (a < C[2] || a + 2 > C[3]))) a = this.resolve(s, AUX[i], 2, false, i);
          R[d] = dv.getUint16(a, true);
          R[d + 1] = 0;
          break;
        }
        case 0x71: { // LDX B
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 1 > C[1]) && (a < C[2] || a + 1 > C[3]))) a = this.resolve(s, AUX[i], 1, false, i);
          R[d] = u8[a];
          R[d + 1] = 0;
          break;
        }
        case 0x79: { // LDX DW
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 8 > C[1]) && (a < C[2] || a + 8 > C[3]))) a = this.resolve(s, AUX[i], 8, false, i);
          R[d] = dv.getInt32(a, true);
          R[d + 1] = dv.getInt32(a + 4, true);
          break;
        }
        case 0x81: { // BPF_LDX | BPF_MEMSX | BPF_W
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 4 > C[1]) && (a < C[2] || a + 4 > C[3]))) a = this.resolve(s, AUX[i], 4, false, i);
          R[d] = dv.getInt32(a, true);
          R[d + 1] = R[d] >> 31;
          break;
        }
        case 0x89: { // LDX MEMSX H
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 2 > C[1]) && (a < C[2] || a + 2 > C[3]))) a = this.resolve(s, AUX[i], 2, false, i);
          R[d] = dv.getInt16(a, true);
          R[d + 1] = R[d] >> 31;
          break;
        }
        case 0x91: { // LDX MEMSX B
          let a = (R[s] >>> 0) + AUX[i];
          if (R[s + 1] !== 0 || ((a < C[0] || a + 1 > C[1]) && (a < C[2] || a + 1 > C[3]))) a = this.resolve(s, AUX[i], 1, false, i);
          R[d] = dv.getInt8(a);
          R[d + 1] = R[d] >> 31;
          break;
        }
        // ---- ST: *(dst + off) = imm ----
        case 0x62: { // BPF_ST | BPF_MEM | BPF_W
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 4 > C[5]) && (a < C[6] || a + 4 > C[7]))) a = this.resolve(d, AUX[i], 4, true, i);
          dv.setInt32(a, IMM[i], true);
          break;
        }
        case 0x6a: { // ST H
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 2 > C[5]) && (a < C[6] || a + 2 > C[7]))) a = this.resolve(d, AUX[i], 2, true, i);
          dv.setInt16(a, IMM[i], true);
          break;
        }
        case 0x72: { // ST B
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 1 > C[5]) && (a < C[6] || a + 1 > C[7]))) a = this.resolve(d, AUX[i], 1, true, i);
          u8[a] = IMM[i];
          break;
        }
        case 0x7a: { // ST DW
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 8 > C[5]) && (a < C[6] || a + 8 > C[7]))) a = this.resolve(d, AUX[i], 8, true, i);
          dv.setInt32(a, IMM[i], true);
          dv.setInt32(a + 4, IMM[i] >> 31, true);
          break;
        }
        // ---- STX: *(dst + off) = src ----
        case 0x63: { // BPF_STX | BPF_MEM | BPF_W
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 4 > C[5]) && (a < C[6] || a + 4 > C[7]))) a = this.resolve(d, AUX[i], 4, true, i);
          dv.setInt32(a, R[s], true);
          break;
        }
        case 0x6b: { // STX H
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 2 > C[5]) && (a < C[6] || a + 2 > C[7]))) a = this.resolve(d, AUX[i], 2, true, i);
          dv.setInt16(a, R[s], true);
          break;
        }
        case 0x73: { // STX B
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 1 > C[5]) && (a < C[6] || a + 1 > C[7]))) a = this.resolve(d, AUX[i], 1, true, i);
          u8[a] = R[s];
          break;
        }
        case 0x7b: { // STX DW
          let a = (R[d] >>> 0) + AUX[i];
          if (R[d + 1] !== 0 || ((a < C[4] || a + 8 > C[5]) && (a < C[6] || a + 8 > C[7]))) a = this.resolve(d, AUX[i], 8, true, i);
          dv.setInt32(a, R[s], true);
          dv.setInt32(a + 4, R[s + 1], true);
          break;
        }
        case 0xc3: this.atomic(i, d, s, AUX[i], IMM[i], false); break; // BPF_STX | BPF_ATOMIC | BPF_W
        case 0xdb: this.atomic(i, d, s, AUX[i], IMM[i], true); break; // BPF_STX | BPF_ATOMIC | BPF_DW
        case 0xfd: // DISPATCH.writesR10
          throw new RuntimeError('r10 (the frame pointer) is read-only', { pc: i });
        default:
          throw new RuntimeError(`internal: no case for dispatch code 0x${(w & 0xff).toString(16)}`, { pc: i });
      }
    }
  }
}

/** The instruction index a callback starts at, or a RuntimeError: it must be an instruction of `prog`. */
function checkCallbackStart(prog: PreparedProgram, start: bigint, pc: number): number {
  const n = prog.insns.length;
  if (start < 0n || start >= BigInt(n) || prog.rows[Number(start)] === null) {
    throw new RuntimeError(`callback at ${start}: not an instruction of the program (0 to ${n - 1})`, { pc });
  }
  return Number(start);
}
