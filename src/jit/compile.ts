/**
 * eBPF → WebAssembly: one module per program (and, made on demand, one per
 * callback entry and per tail-call target).
 *
 * Module shape (imports from "env"):
 *
 *   memory                    the runtime's AddressSpace memory (shared or not, as it is)
 *   frameTop : i32            where frame 0's r10 points (imported, so one compiled
 *                             module serves any runtime; the call-stack region is at
 *                             a fixed offset from it)
 *   fuel : i64, depth : i32,  mutable, shared by every module of a runtime: the budget,
 *   r0, r6..r9 : i64,         and, around each helper call, the caller's frame depth
 *   pktData, pktLen : i32,    and registers (a callback starts from them, as in the
 *   tailPending : i32         interpreter), the packet, and the tail-call request flag;
 *                             only those the module's code reads or writes (moduleGlobals:
 *                             V8 spends microseconds on each imported global at every
 *                             instantiation)
 *   fns : table of funcref    the functions the module calls out to, by slot
 *                             (CompiledProgram.slots), with call_indirect: V8
 *                             compiles a wrapper for every imported function's
 *                             signature when it compiles a module (a third of a
 *                             millisecond each, more than compiling a small
 *                             program); an imported table costs it nothing
 *     host(pc, kind, a..f : i64, self) → i64
 *                             every call out to JavaScript but the ones below: a
 *                             helper (kind = its id, a..e = r1..r5, r0 = result),
 *                             callx (a = the id register), the end of the run from
 *                             a subprogram (LD_ABS/LD_IND out of the packet; a = the
 *                             budget), the callback wrapper's depth fault (never
 *                             returns; every other run-time check traps, Fault);
 *                             a wasm function calling the JavaScript (host-code.ts),
 *                             one per Jit: `self` says which program calls
 *     <intrinsic imports>     narrow host calls of the intrinsics (intrinsics.ts)
 *   tailEnter(r0..r9, depth, fuel, id) → (r0..r5, fuel)
 *                             (only in programs that call bpf_tail_call or callx)
 *                             the Jit's tail-call entry (tail-code.ts): calls, in
 *                             this frame, the entry of program `id` a tail call
 *                             made pending (-1: the helper made it). A function,
 *                             not the Jit's table of entries: V8 keeps every
 *                             instance that imports a table alive while it lives
 *   tailId, tailCount : i32   that pending id, and the run's count of tail calls
 *                             (run zeroes it)
 *   self, self1, … : externref
 *                             each program's own import (its JitModule), which it
 *                             passes to host: one host function serves every module
 *                             of a Jit (a wasm function made per module cost an
 *                             instance each)
 *
 * Exports, by the module's form:
 *
 *   run(r1..r5, budget, pktData, pktLen) → r0
 *                             the main function; the budget is an f64 (no BigInt on
 *                             the way in), pktLen -1 when there is no packet; what
 *                             is left of it is in `fuel` at the end (the Jit reads
 *                             it through a function of its own: a function more in
 *                             every module cost V8 more than the code of that one)
 *   callback(r1..r5) → r0     (callback form) the function at the entry pc on the
 *                             next frame, registers and budget from the shared state
 *   entry(r0..r9, depth, fuel) → (r0..r5, fuel)
 *                             (callback form) that function itself (bpf_loop's
 *                             wasm loop calls it, loop-code.ts)
 *   enter(r0..r9, depth, fuel) → (r0..r5, fuel)
 *                             (tail form) the program from pc 0 in frame `depth`,
 *                             its stack zeroed, as a tail call enters it
 *
 * The interpreter starts every run on zeroed stacks (all eight frames);
 * zeroing 4.6 KB costs more than many programs, so the main function zeroes
 * what the program can reach (stackZeroing): with bpf-to-bpf calls the
 * whole region; else, when r10 is only a memory base with constant offsets,
 * the window of those accesses; when r10 is copied (to pass a pointer to a
 * helper), frame 0 and its guards. The difference shows only to an
 * unverified program that walks a copy of r10 out of its frame into
 * another: there it finds what an earlier run left instead of zeros.
 *
 * Registers are i64 locals. Each bpf-to-bpf call target is its own function
 * taking r0–r9, the frame depth and the budget, and returning r0–r5 and the
 * budget: exactly the interpreter's calling convention (r6–r9 and r10 are
 * the caller's again after the call, r0–r5 are what the callee left).
 * Code reachable from two function entries is compiled into both.
 *
 * A verified program's call targets take the depth and r1..rN and return
 * r0 (calleeParams; N the argument registers the callee reads, arity.ts), a
 * third of the code at a call site or less: the verifier has proven that a
 * callee reads none of r0 and r6–r9 before writing them, that
 * the caller reads none of r1–r5 after the call (they are NOT_INIT there),
 * that calls nest at most MAX_CALL_FRAMES deep (no depth check) and that the
 * program terminates (no budget to pass). The caller's r6–r9 simply stay
 * in its locals. An entry of another form (a callback, a tail-call target)
 * keeps the full signature, which the JavaScript and the tail-call and
 * bpf_loop code call it with; when it is also a call target it is compiled
 * twice.
 *
 * Small leaf callees (inlinedCallees) are not functions at all: each call
 * site holds the callee's code (its pcs kept in the pc map), on its own
 * frame and its own r6–r9 and r10 in locals of their own, its exits a br
 * out of the block around it. V8 validates a module of more than one
 * function on its worker threads, a cost per module that a one-function
 * module does not pay. In an unverified program the inlined code keeps a
 * call's semantics: the depth check at the call, the budget counted as in
 * a called function, the callee starting from the caller's r6–r9 (the
 * ones it writes copied into its locals, the others read in the caller's).
 *
 * The budget is counted per basic block (its instruction count), the
 * subtraction deferred to where the budget is read or paths with different
 * counts meet (structure.ts's BlockLowering), and checked at loop headers
 * and at the final exit: a run that
 * exceeds maxInsns fails as in the interpreter, and a loop cannot run away.
 * The interpreter stops at the instruction that would exceed the budget;
 * the JIT notices at the next loop header or exit, so before failing it may
 * run (and store) a little past that point.
 *
 * A verified program (CompileOptions.verified) has no budget, as in the
 * kernel: the verifier has proven that it terminates (every loop bounded,
 * may_goto with its own counter, bpf_loop with its bound), so counting
 * would only slow every loop down (a subtraction per back edge and per
 * merge of paths, a check per loop header). Its runs report no instruction
 * count. Unverified programs (--no-verify, the differential harness) keep
 * the budget and its exact count: for them it is the only guard against a
 * loop that never ends.
 *
 * Memory accesses use the low 32 bits of the address, as wasm32 must; the
 * wasm bounds check is the only one (a trap becomes a RuntimeError at its
 * pc, through the map from code offsets to pcs kept here). This is the
 * interpreter's unchecked mode. An unverified program's address of 4 GiB or
 * more faults as in the interpreter (a check before each access, but for a
 * base an lddw loaded just before and known in range); a verified program
 * never computes one, and has no such check.
 */
import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_B, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_FETCH, BPF_H, BPF_IND, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LSH,
  BPF_LD, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
  MAX_BPF_STACK, MAX_CALL_FRAMES, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, regsWritten, sizeBytes, type Insn, type Opcode,
} from '../isa/index.js';
import { EbpfError } from '../internal/errors.js';
import { calleeArities } from './arity.js';
import { buildCfg, Term, type ProgramCfg } from './cfg.js';
import type { IntrinsicEmitter, JitIntrinsic } from './intrinsics.js';
import { BPF_FUNC_tail_call, BPF_MAX_LOOPS } from '../helpers/index.js';
import {
  emitDispatch, emitStructured, functionGraph, pendingCounts, releaseGraphWork, takeGraphWork, type BlockLowering, type FunctionGraph, type GraphWork,
} from './structure.js';
import { factCovers, PointerFacts } from './pointers.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** may_goto falls through BPF_MAX_LOOPS times per function invocation, then jumps. */
export { BPF_MAX_LOOPS };
/** The interpreter's stack layout: frames of MAX_BPF_STACK bytes between guards of this size. */
export const STACK_GUARD = 64;
export const FRAME_SPAN = MAX_BPF_STACK + STACK_GUARD;
export const STACK_SIZE = STACK_GUARD + MAX_CALL_FRAMES * FRAME_SPAN;

/**
 * What a run-time check faults on. A check traps (`unreachable`) at a site
 * CompiledProgram.faults records with its pc and kind; an argument only the
 * run knows (an address) is stored in the `fuel` global first, which the
 * run, ending there, needs no more. The callback wrapper's depth check makes
 * the host call instead (HostCall.fault).
 */
export const enum Fault {
  /** The instruction budget is spent. */
  budget = 0,
  /** A bpf-to-bpf call beyond MAX_CALL_FRAMES (the call's target names it). */
  depth = 1,
  /** An atomic access at a misaligned address; arg = the address. */
  misaligned = 2,
  /** LD_ABS/LD_IND in a run without a packet. */
  noPacket = 3,
  /** A callback beyond MAX_CALL_FRAMES; arg = its entry pc. */
  callbackDepth = 4,
  /** An access of an unverified program whose 64-bit address is 4 GiB or more; arg = the address. */
  above4GiB = 5,
}

/** The registers a helper call publishes in the shared globals (syncOut). */
const PUBLISHED = [0, 6, 7, 8, 9];

/** The `kind` of a host call that is not a helper's id. */
export const enum HostCall {
  callx = -1,
  /** The end of the run from a subprogram (LD_ABS/LD_IND outside the packet); a = the budget left. */
  abort = -2,
  /** A fault of the callback wrapper: kind = fault - Fault.callbackDepth, a = the callback's entry pc. */
  fault = -16,
}

/** What a module is built around. */
export type ModuleForm =
  | { readonly kind: 'run' }
  | { readonly kind: 'callback'; readonly pc: number }
  | { readonly kind: 'tail' };

export interface CompileOptions {
  /** Whether the memory the module will import is shared (the import must say so). */
  shared: boolean;
  /** The intrinsic to use for helper `id`, if any. */
  intrinsic?: (id: number) => JitIntrinsic | undefined;
  /** The module's form (default: run). */
  form?: ModuleForm;
  /** The module's name (custom "name" section): how stack traces name its frames. */
  name?: string;
  /** The program passed the verifier: no instruction budget (see the module comment). */
  verified?: boolean;
  /** Each program's rows as checkProgram returned them, when the caller checked the programs already (not checked again). */
  checked?: readonly (readonly (Opcode | null)[])[];
}

export interface CompiledProgram {
  readonly bytes: Uint8Array;
  readonly cfg: ProgramCfg;
  /** Pairs [module offset, pc], by offset: where each instruction's code starts. */
  readonly pcMap: Int32Array;
  /** The intrinsics the module uses, every program's (their imports follow the helpers'). */
  readonly intrinsics: readonly JitIntrinsic[];
  readonly usesCallx: boolean;
  readonly usesPacket: boolean;
  /** Whether the program may take a tail call (it calls bpf_tail_call, or callx). */
  readonly usesTail: boolean;
  /** Module offsets of the calls to the tail import (a frame waiting there is replaced, in the interpreter). */
  readonly tailSites: ReadonlySet<number>;
  /** The run-time checks' fault sites: pairs [module offset of the `unreachable`, pc << 3 | Fault], by offset. */
  readonly faults: Int32Array;
  /**
   * Where inlined callees' code is: triples [from, to) of module offsets and the pc of the call it stands
   * for (a frame in that code is the callee's, called from that pc: the call chain has both).
   */
  readonly inlined: Int32Array;
  readonly form: ModuleForm;
  readonly name: string | undefined;
  /** Each compiled eBPF function (the entry first), by wasm function index. */
  readonly functions: readonly { entry: number; structured: boolean; index: number; main: boolean }[];
  /** The export of the program's entry (run, run0, run1, … in a batch; callback; enter). */
  readonly exportName: string;
  /** Programs of the module, each with its `self` import (self, self1, …). */
  readonly hosts: number;
  /**
   * The functions the module imports, by their slot in its imported table
   * `fns` (host, the intrinsics' imports): it calls them
   * with call_indirect, because V8 compiles a wrapper for every imported
   * function's signature when it compiles a module (a third of a
   * millisecond each), and nothing for an imported table.
   */
  readonly slots: readonly string[];
  /** Whether the module imports `tail` (some program of it may take a tail call). */
  readonly tailImport: boolean;
  /** The names of the module's defined functions, in order (every program's). */
  readonly funcNames: readonly string[];
  /** Whether the module counts the instruction budget (unverified programs). */
  readonly budget: boolean;
}

/** Local slots of the two function shapes. */
interface Frame {
  /** Local index of each register r0–r10. */
  reg: number[];
  fuel: number;
  /** The frame depth (an i32 parameter of subprograms). */
  depth: number;
  tmpA: number;
  tmpB: number;
  loops: number;
  t32: number;
  fp: number;
  label: number;
  ea: number;
  /** The first of the locals of an inlined callee (INLINE_LOCALS), after the frame's own. */
  inl: number;
  /** Types of the locals after the parameters. */
  locals: ValType[];
}

const I64 = ValType.i64, I32 = ValType.i32;

/** Main: params r1–r5, budget, pktData, pktLen; locals r0, r6–r10, fuel, two i64 temps, five i32 temps. */
const MAIN_FRAME: Frame = {
  reg: [8, 0, 1, 2, 3, 4, 9, 10, 11, 12, 13], fuel: 14, depth: -1, tmpA: 15, tmpB: 16,
  loops: 17, t32: 18, fp: 19, label: 20, ea: 21, inl: 22,
  locals: [I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I32, I32, I32, I32],
};
const MAIN_BUDGET = 5, MAIN_PKT_DATA = 6, MAIN_PKT_LEN = 7;
/** Subprograms: params r0–r9, depth, fuel; locals r10, two i64 temps, five i32 temps. */
const SUB_FRAME: Frame = {
  reg: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12], fuel: 11, depth: 10, tmpA: 13, tmpB: 14,
  loops: 15, t32: 16, fp: 17, label: 18, ea: 19, inl: 20,
  locals: [I64, I64, I64, I32, I32, I32, I32, I32],
};
/**
 * A verified program's bpf-to-bpf call targets: params r1–r5, depth; locals r0, r6–r10, fuel (unused: no
 * budget), two i64 temps, five i32 temps.
 */
/** Its parameters are the depth and r1..rN (calleeParams); r(N+1)..r5 are the first of its locals (CALLEE_LOCALS). */
const CALLEE_FRAME: Frame = {
  reg: [6, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11], fuel: 12, depth: 0, tmpA: 13, tmpB: 14,
  loops: 15, t32: 16, fp: 17, label: 18, ea: 19, inl: 20,
  locals: [I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I32, I32, I32, I32],
};
/** (depth, r1..rn) → r0: the calling convention of a verified program's bpf-to-bpf calls (see the module comment). */
const CALLEE_PARAMS: readonly (readonly ValType[])[] = [0, 1, 2, 3, 4, 5].map((n) => [I32, ...Array<ValType>(n).fill(I64)]);
const calleeParams = (n: number): readonly ValType[] => CALLEE_PARAMS[n];
/** A callee's declared locals: r(n+1)..r5, then CALLEE_FRAME's (made once per arity: one per callee was garbage). */
const CALLEE_LOCALS: readonly (readonly ValType[])[] = [0, 1, 2, 3, 4, 5].map((n) => [...Array<ValType>(5 - n).fill(I64), ...CALLEE_FRAME.locals]);
/**
 * An inlined callee's own r6–r9 and r10, and its fp (Frame.inl): its r0–r5 are the caller's locals (r0 its
 * result, r1–r5 clobbered as after a call), its r6–r9 must not touch the caller's.
 */
const INLINE_LOCALS: readonly ValType[] = [I64, I64, I64, I64, I64, I32];
const MAIN_LOCALS_INLINING = [...MAIN_FRAME.locals, ...INLINE_LOCALS];
const CALLEE_LOCALS_INLINING: readonly (readonly ValType[])[] = CALLEE_LOCALS.map((l) => [...l, ...INLINE_LOCALS]);
const SUB_LOCALS_INLINING = [...SUB_FRAME.locals, ...INLINE_LOCALS];
/**
 * A verified program's leaf callees of at most this many instructions are compiled into their callers
 * (FunctionLowering.inline): V8 validates a module of more than one function on its worker threads, tens of
 * microseconds of CPU per module, where a module of one function costs nothing more; and a call costs more
 * than a few instructions' code.
 */
export const INLINE_MAX_INSNS = 32;
const MAIN_PARAMS = [I64, I64, I64, I64, I64, ValType.f64, I32, I32];
export const SUB_PARAMS = [I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I64];
export const SUB_RESULTS = [I64, I64, I64, I64, I64, I64, I64];
/** The tail-call entry (tail-code.ts): a subprogram's parameters, then the pending target's program id (-1: the helper's). */
export const TAIL_ENTER_PARAMS = [...SUB_PARAMS, I32];

const ALU64_OPS: Readonly<Record<number, Op>> = {
  [BPF_ADD]: Op.i64Add, [BPF_SUB]: Op.i64Sub, [BPF_MUL]: Op.i64Mul, [BPF_OR]: Op.i64Or, [BPF_AND]: Op.i64And,
  [BPF_XOR]: Op.i64Xor, [BPF_LSH]: Op.i64Shl, [BPF_RSH]: Op.i64ShrU, [BPF_ARSH]: Op.i64ShrS,
};
const ALU32_OPS: Readonly<Record<number, Op>> = {
  [BPF_ADD]: Op.i32Add, [BPF_SUB]: Op.i32Sub, [BPF_MUL]: Op.i32Mul, [BPF_OR]: Op.i32Or, [BPF_AND]: Op.i32And,
  [BPF_XOR]: Op.i32Xor, [BPF_LSH]: Op.i32Shl, [BPF_RSH]: Op.i32ShrU, [BPF_ARSH]: Op.i32ShrS,
};
/** Compare ops of the jumps, [64-bit, 32-bit]; JSET is an AND. */
const JMP_OPS: Readonly<Record<number, readonly [Op, Op]>> = {
  [BPF_JEQ]: [Op.i64Eq, Op.i32Eq], [BPF_JNE]: [Op.i64Ne, Op.i32Ne],
  [BPF_JGT]: [Op.i64GtU, Op.i32GtU], [BPF_JGE]: [Op.i64GeU, Op.i32GeU],
  [BPF_JLT]: [Op.i64LtU, Op.i32LtU], [BPF_JLE]: [Op.i64LeU, Op.i32LeU],
  [BPF_JSGT]: [Op.i64GtS, Op.i32GtS], [BPF_JSGE]: [Op.i64GeS, Op.i32GeS],
  [BPF_JSLT]: [Op.i64LtS, Op.i32LtS], [BPF_JSLE]: [Op.i64LeS, Op.i32LeS],
};
/** Atomic read-modify-write ops by imm without BPF_FETCH, [64-bit, 32-bit]. */
const ATOMIC_OPS: Readonly<Record<number, readonly [Op, Op]>> = {
  [BPF_ADD]: [Op.i64AtomicRmwAdd, Op.i64AtomicRmw32AddU], [BPF_OR]: [Op.i64AtomicRmwOr, Op.i64AtomicRmw32OrU],
  [BPF_AND]: [Op.i64AtomicRmwAnd, Op.i64AtomicRmw32AndU], [BPF_XOR]: [Op.i64AtomicRmwXor, Op.i64AtomicRmw32XorU],
};
/** Loads by size, [zero-extending, sign-extending]. */
const LOAD_OPS: Readonly<Record<number, readonly [Op, Op]>> = {
  [BPF_B]: [Op.i64Load8U, Op.i64Load8S], [BPF_H]: [Op.i64Load16U, Op.i64Load16S],
  [BPF_W]: [Op.i64Load32U, Op.i64Load32S], [BPF_DW]: [Op.i64Load, Op.i64Load],
};
const STORE_OPS: Readonly<Record<number, Op>> = {
  [BPF_B]: Op.i64Store8, [BPF_H]: Op.i64Store16, [BPF_W]: Op.i64Store32, [BPF_DW]: Op.i64Store,
};
/** log2 of the access size, by BPF_SIZE. */
const ALIGN: Readonly<Record<number, number>> = { [BPF_B]: 0, [BPF_H]: 1, [BPF_W]: 2, [BPF_DW]: 3 };
const STORE_IMM_OPS: Readonly<Record<number, Op>> = {
  [BPF_B]: Op.i32Store8, [BPF_H]: Op.i32Store16, [BPF_W]: Op.i32Store, [BPF_DW]: Op.i64Store,
};

/** Whether an instruction may write r10 (then frame-relative addressing cannot assume r10 is the frame top). */
const writesR10 = (ins: Insn, row: Opcode): boolean => (regsWritten(ins, row) & (1 << 10)) !== 0;

/** The codes of `mov64 dst, src` and `or64 dst, src` (a row's code is its instruction's: each row is one code). */
const ALU64_MOV_X = BPF_ALU64 | BPF_MOV | BPF_X, ALU64_OR_X = BPF_ALU64 | BPF_OR | BPF_X;

/** Whether the instruction at `pc` is the ALU64 operation `op` in `format` (a module function: no closure per instruction). */
function isAlu64(cfg: ProgramCfg, pc: number, format: Opcode['format'], op: number): boolean {
  const code = cfg.insns[pc].code;
  return cfg.rows[pc]?.format === format && bpfClass(code) === BPF_ALU64 && bpfOp(code) === op;
}

/** Function indices and globals every function's code refers to. */
interface ModuleIndex {
  /** The table slot of the host import. */
  host: number;
  /** The global holding the program's `self` (the host import's last argument). */
  self: number;
  hostType: number;
  /** The tailEnter import's function index, or -1 when the module takes no tail call. */
  tail: number;
  /** The global holding the pending tail call's entry in it (-1: the helper's, through JavaScript). */
  tailId: number;
  /** The global counting the run's tail calls (tail-code.ts), which the main function zeroes. */
  tailCount: number;
  subType: number;
  /** Each call target's argument count (verified programs, arity.ts). */
  arity: Map<number, number>;
  intrinsics: Map<number, JitIntrinsic>;
  /** Each intrinsic import's table slot and function type. */
  intrinsicImports: Map<string, { slot: number; type: number }>;
  subs: Map<number, number>;
  /** The call targets compiled into their callers (inlinedCallees), and the graph arrays their code is structured with. */
  inline: ReadonlyMap<number, InlinedCallee>;
  inlineWork: GraphWork | undefined;
  frameTop: number;
  /** What the main function zeroes of the stack. */
  zero: StackZeroing;
  fuel: number;
  depth: number;
  /** Shared globals of r0 and r6–r9 (index by register; others -1). */
  regs: number[];
  pktData: number;
  pktLen: number;
  tailFlag: number;
  /** Whether the code counts and checks the instruction budget. */
  budget: boolean;
  /** Whether bpf-to-bpf calls use the verified convention (calleeParams). */
  verified: boolean;
  /** hostCall's code by the count of arguments pushed, made at its first use: the same bytes at each call. */
  hostCalls: (Uint8Array | undefined)[];
  /** Unverified: which registers hold an address in the memory, across blocks (checks, callHelper). */
  pointers: PointerFacts | undefined;
}

/** What a module's programs share of their index (declareImports). */
type CommonIndex = Omit<ModuleIndex, 'self' | 'subs' | 'zero' | 'arity' | 'inline' | 'inlineWork' | 'hostCalls' | 'pointers'>;

/** A call target compiled into its callers (inlinedCallees). */
interface InlinedCallee {
  /** Whether its code reads r10 (then it needs an r10 of its own). */
  readonly readsR10: boolean;
  /** Its instructions: the pc pairs each call site's copy adds. */
  readonly insns: number;
  /**
   * In an unverified program, the registers of r6–r9 its code writes (bit r): those get locals of their
   * own, set from the caller's on entry; it reads the others in the caller's locals. 0 in verified code.
   */
  readonly writes: number;
  /** Whether its code reads the budget (a helper call publishes it, a loop header checks it): then it starts from a settled one. */
  readonly readsBudget: boolean;
  /**
   * The count its code leaves pending at its end, for the caller to subtract with its own (unverified code): of
   * a callee that does not read the budget, what the structurer leaves pending at its first exit (the others
   * settle to it); else 0 (its exits subtract what they counted).
   */
  readonly pendingAfter: number;
}

const NO_INLINE: ReadonlyMap<number, InlinedCallee> = new Map();
const NO_SITES = new Int32Array(0);

/**
 * A program's index: the module's, with what is the program's own (written out: spreading an object
 * this wide costs V8 a runtime call, a fifth of what compiling a small program costs).
 */
function programIndex(c: CommonIndex, self: number, zero: StackZeroing, arity: Map<number, number>): ModuleIndex {
  return {
    host: c.host, self, hostType: c.hostType, tail: c.tail, tailId: c.tailId, tailCount: c.tailCount, subType: c.subType,
    arity, intrinsics: c.intrinsics, intrinsicImports: c.intrinsicImports, subs: new Map(), inline: NO_INLINE, inlineWork: undefined, frameTop: c.frameTop,
    zero, fuel: c.fuel, depth: c.depth, regs: c.regs, pktData: c.pktData,
    pktLen: c.pktLen, tailFlag: c.tailFlag, budget: c.budget, verified: c.verified, hostCalls: [], pointers: undefined,
  };
}

/**
 * A program's [code offset, pc] pairs, function after function, in one
 * array (grown when an unverified program's functions share code): the
 * offsets are relative to each function's code until compileModule adds
 * where that code sits in the module, in place, making the pc map.
 */
class PcPairs {
  count = 0;

  /** `pairs`: room for the pairs, a part of the buffer of every program of the module (one allocation, not one each). */
  constructor(public pairs: Int32Array) {}

  push(offset: number, pc: number): void {
    if (this.count + 2 > this.pairs.length) this.grow();
    this.pairs[this.count++] = offset;
    this.pairs[this.count++] = pc;
  }

  /** Push again the pairs [from, to) (a copy of code), their offsets moved by `delta`. */
  copy(from: number, to: number, delta: number): void {
    while (this.count + (to - from) > this.pairs.length) this.grow();
    const { pairs } = this;
    let at = this.count;
    for (let k = from; k < to; k += 2) {
      pairs[at++] = pairs[k] + delta;
      pairs[at++] = pairs[k + 1];
    }
    this.count = at;
  }

  /** Out of line (V8 inlines push, at every instruction, within a budget of bytecode per function). */
  private grow(): void {
    const grown = new Int32Array(2 * this.pairs.length);
    grown.set(this.pairs);
    this.pairs = grown;
  }
}

/** An inlined callee's code in a function (FunctionLowering.inline): [from, to) of its code, [pairsFrom, pairsTo) of the program's pc pairs. */
interface InlineCode {
  readonly from: number;
  readonly to: number;
  readonly pairsFrom: number;
  readonly pairsTo: number;
}

/** Lowers one function: the structurer drives it block by block. */
class FunctionLowering implements BlockLowering {
  readonly w: ByteWriter;
  readonly labelLocal: number;
  readonly counts: boolean;
  /** Where this function's pairs start in the program's PcPairs (they end where the next function's start). */
  readonly pcFrom: number;
  /** Offsets in this function's code of its calls to the tail import. */
  readonly tailSites: number[] = [];
  /** Pairs [offset in this function's code of a fault site's `unreachable`, pc << 3 | Fault] (CompiledProgram.faults). */
  readonly faultSites: number[] = [];
  /** Triples [from, to, call pc] of the inlined callees' code, offsets in this function's code (CompiledProgram.inlined). */
  readonly inlineSites: number[] = [];
  /** The local of each register: the function's (Frame.reg), or an inlined callee's (inlineReg). */
  private reg: number[];
  /** The local of r10 - MAX_BPF_STACK: the function's, or an inlined callee's. */
  private fp: number;
  /** Whether the code being lowered is an inlined callee's (one frame deeper; its exits leave its block). */
  private inlined = false;
  /** Whether the inlined callee's code is in a block (its exits branch out of it). */
  private inlineBlock = false;
  /** What the inlined callee's exits leave pending (InlinedCallee.pendingAfter). */
  private inlineExit = 0;
  /**
   * Each inlined callee's code in this function, made at its first call site and copied at the others
   * (the same bytes, for the same locals): where it is in this function's code, and its pc pairs in the
   * program's (no copy of either: they stay where they were written).
   */
  private inlineCode: Map<number, InlineCode> | undefined;
  /** Whether r10 keeps its entry value throughout, so that frame accesses can use the fp local (an inlined callee's own, in its code). */
  private fpValid: boolean;
  /** Instructions entered but not yet subtracted from the budget local (see BlockLowering). */
  private pending = 0;
  /** The register whose low 32 bits the ea local holds (set by an add that feeds a memory access), or -1. */
  private eaReg = -1;
  /** Where the code ended when settle last set the fuel local: a read right there tees it instead. */
  private settledAt = -1;
  /** Where the code ended when set last wrote a register's local, and that local: a read right there tees it. */
  private setAt = -1;
  private setLocal = -1;

  constructor(
    private readonly cfg: ProgramCfg,
    private readonly m: ModuleIndex,
    private readonly f: Frame,
    private readonly isMain: boolean,
    /** A verified program's call target (CALLEE_FRAME): returns r0 alone. */
    private readonly isCallee: boolean,
    graph: FunctionGraph,
    /** The program's [code offset, pc] pairs, this function's appended after the ones before it. */
    private readonly pcs: PcPairs,
    /** A tail-call entry's window of its frame to zero on entry (tailWindow), relative to r10. */
    private readonly zeroOnEntry: readonly [number, number] | undefined,
    /** Whether the program may write r10 or has may_goto somewhere (ProgramFacts): then this function's instructions are scanned for them. */
    scan: boolean,
  ) {
    let insns = 0;
    let r10Written = false;
    let mayGoto = false;
    // Index loops, not for-of: this runs once per function, too few times for V8 to optimise the iterator away.
    const nodes = graph.nodes;
    for (let v = 0; v < graph.n; v++) {
      const block = nodes[v];
      insns += cfg.blockInsns[block];
      if (!scan) continue;
      for (let pc = cfg.blockStart[block]; pc < cfg.blockEnd[block]; pc++) {
        const row = cfg.rows[pc];
        if (!row) continue;
        if (writesR10(cfg.insns[pc], row)) r10Written = true;
        if (row.format === 'may_goto') mayGoto = true;
      }
    }
    // What lowering emits: about 7 bytes an instruction in verified code, 15 with the budget and the 4 GiB checks.
    this.w = ByteWriter.take(64 + (m.budget ? 24 : 12) * insns);
    this.pcFrom = pcs.count;
    this.labelLocal = f.label;
    this.counts = m.budget;
    this.reg = f.reg;
    this.fp = f.fp;
    this.fpValid = !r10Written;
    this.prologue(mayGoto);
  }

  private prologue(mayGoto: boolean): void {
    const { w, f, m } = this;
    if (this.isMain) {
      w.byte2(Op.localGet, MAIN_BUDGET);
      w.byte(Op.i64TruncF64S);
      // Verified code never counts: the budget goes straight to the global, for a tail-call target to count from.
      if (m.verified) { w.byte(Op.globalSet); w.u32(m.fuel); } else w.byte2(Op.localSet, f.fuel);
      // Shared: a callback or a tail-call target may read the packet too.
      w.byte2(Op.localGet, MAIN_PKT_DATA);
      w.byte(Op.globalSet); w.u32(m.pktData);
      w.byte2(Op.localGet, MAIN_PKT_LEN);
      w.byte(Op.globalSet); w.u32(m.pktLen);
      if (m.tail >= 0) {
        // A run's tail calls count from 0 (here rather than from JavaScript, where setting a global costs more).
        w.byte2(Op.i32Const, 0);
        w.byte(Op.globalSet); w.u32(m.tailCount);
      }
      this.zeroStack(m.zero);
      w.byte(Op.globalGet); w.u32(m.frameTop);
    } else {
      w.byte(Op.globalGet); w.u32(m.frameTop);
      w.byte2(Op.localGet, f.depth);
      w.byte(Op.i32Const); w.s32(FRAME_SPAN);
      w.byte(Op.i32Mul);
      w.byte(Op.i32Add);
      if (this.zeroOnEntry) zeroWindow(w, this.zeroOnEntry, this.f.t32, this.f.ea);
    }
    w.byte(Op.i64ExtendI32U);
    w.byte2(Op.localSet, this.reg[10]);
    if (this.fpValid) {
      w.byte2(Op.localGet, this.reg[10]);
      w.byte(Op.i32WrapI64);
      w.byte(Op.i32Const); w.s32(MAX_BPF_STACK);
      w.byte(Op.i32Sub);
      w.byte2(Op.localSet, f.fp);
    }
    if (mayGoto) {
      w.byte(Op.i32Const); w.s32(BPF_MAX_LOOPS);
      w.byte2(Op.localSet, f.loops);
    }
  }

  /** Zero what the program can reach of the stack (see the module comment). */
  private zeroStack(zero: StackZeroing): void {
    const { w, m } = this;
    if (zero === 'all') {
      // The call-stack region: frame 0's r10 is a guard and a frame's stack above its start.
      w.byte(Op.globalGet); w.u32(m.frameTop);
      this.i32c(STACK_GUARD + MAX_BPF_STACK);
      w.byte(Op.i32Sub);
      w.byte2(Op.i32Const, 0);
      this.i32c(STACK_SIZE);
      w.byte(0xfc); w.byte2(0x0b, 0x00);
      return;
    }
    if (!zero) return;
    const [lo, hi] = zero;
    w.byte(Op.globalGet); w.u32(m.frameTop);
    this.i32c(lo);
    w.byte(Op.i32Add);
    if (hi - lo > ZERO_BY_STORES) {
      w.byte2(Op.i32Const, 0);
      this.i32c(hi - lo);
      w.byte(0xfc); w.byte2(0x0b, 0x00);
      return;
    }
    w.byte2(Op.localTee, this.f.t32);
    for (let at = 0; at < hi - lo; at += 8) {
      if (at > 0) w.byte2(Op.localGet, this.f.t32);
      this.i64c(0);
      this.memarg(Op.i64Store, 3, at);
    }
  }

  // ---- small emitters ----

  /** A register read right where its write ended (`r6 = r0` after a call, a load's base just computed) tees it instead. */
  private get(r: number): void {
    const { w } = this, local = this.reg[r];
    if (w.length === this.setAt && local === this.setLocal) {
      w.bytes[w.length - 2] = Op.localTee;
      this.setAt = -1;
    } else {
      w.byte2(Op.localGet, local);
    }
  }
  private set(r: number): void {
    this.w.byte2(Op.localSet, this.reg[r]);
    this.setAt = this.w.length;
    this.setLocal = this.reg[r];
  }
  private get32(r: number): void { this.get(r); this.w.byte(Op.i32WrapI64); }
  private i64c(v: number): void { this.w.byte(Op.i64Const); this.w.s32(v); }
  private i32c(v: number): void { this.w.byte(Op.i32Const); this.w.s32(v); }
  private op(op: Op): void {
    if (op > 0xff) { this.w.byte(op >>> 8); this.w.u32(op & 0xff); } else this.w.byte(op);
  }
  /** A memory instruction; the alignment hint is the access's natural one (V8 ignores hints, the text reads cleaner). */
  private memarg(op: Op, alignLog2: number, offset: number): void {
    this.op(op);
    this.w.byte(alignLog2);
    this.w.u32(offset);
  }
  /**
   * A fault at `pc`: its argument, if it has one only the run knows, pushed by `pushArg` and stored in the
   * fuel global, then a trap at a site the fault table records (Fault): no call, no constants.
   */
  private fault(pc: number, kind: Fault, pushArg?: () => void): void {
    const { w } = this;
    if (pushArg) {
      pushArg();
      w.byte(Op.globalSet); w.u32(this.m.fuel);
    }
    this.faultSites.push(w.length, pc << 3 | kind);
    w.byte(Op.unreachable);
  }
  private mark(pc: number): void {
    this.pcs.push(this.w.length, pc);
  }

  // ---- BlockLowering ----

  body(block: number, loopHeader: boolean, pending: number): void {
    const { w, f, cfg } = this;
    const start = cfg.blockStart[block];
    this.pending = pending + cfg.blockInsns[block];
    if (loopHeader && this.m.budget) {
      // The exact budget, local - pending, below 0.
      w.byte2(Op.localGet, f.fuel);
      this.i64c(this.pending);
      w.byte(Op.i64LtS);
      w.byte2(Op.if, ValType.void);
      this.fault(start, Fault.budget);
      w.byte(Op.end);
    }
    const last = cfg.blockLast[block];
    const end = cfg.term[block] === Term.fall ? last + 1 : last;
    this.eaReg = -1;
    const { rows } = cfg;
    for (let pc = start; pc < end; pc++) {
      const row = rows[pc];
      if (row === null) continue;
      // Only a 64-bit register move starts a rotation, only a load a swapped load.
      if (row.code === ALU64_MOV_X && this.rotation(pc, end)) pc += 3;
      else if (row.format === 'ldx' && this.swappedLoad(pc, end)) pc += 1;
      else this.lower(pc, block, row);
    }
  }

  /**
   * The rotate idiom of compiled C, `a = b; a <<= k; b >>= 64 - k; b |= a`
   * (shifts in either order or roles, the OR either way round), as one
   * i64.rotl: V8 does not find rotations itself. The register that is not
   * the OR's destination keeps its shifted value.
   */
  private rotation(pc: number, end: number): boolean {
    const { cfg } = this;
    if (pc + 3 >= end || cfg.rows[pc + 3]?.code !== ALU64_OR_X) return false;
    const i0 = cfg.insns[pc], i1 = cfg.insns[pc + 1], i2 = cfg.insns[pc + 2], i3 = cfg.insns[pc + 3];
    if (i0.off !== 0 || i0.dst === i0.src) return false;
    const a = i0.dst, b = i0.src;
    const shl = isAlu64(cfg, pc + 1, 'alu_imm', BPF_LSH) ? i1 : isAlu64(cfg, pc + 2, 'alu_imm', BPF_LSH) ? i2 : undefined;
    const shr = isAlu64(cfg, pc + 1, 'alu_imm', BPF_RSH) ? i1 : isAlu64(cfg, pc + 2, 'alu_imm', BPF_RSH) ? i2 : undefined;
    if (!shl || !shr || shl.imm <= 0 || shl.imm >= 64 || shl.imm + shr.imm !== 64) return false;
    if (!((shl.dst === a && shr.dst === b) || (shl.dst === b && shr.dst === a))) return false;
    if (!((i3.dst === a && i3.src === b) || (i3.dst === b && i3.src === a))) return false;
    const { w } = this;
    for (let k = 0; k < 4; k++) this.mark(pc + k);
    this.get(b);
    this.i64c(shl.imm);
    w.byte(Op.i64Rotl);
    this.get(b);
    if (i3.src === shl.dst) { this.i64c(shl.imm); w.byte(Op.i64Shl); } else { this.i64c(shr.imm); w.byte(Op.i64ShrU); }
    this.set(i3.src);
    this.set(i3.dst);
    this.eaReg = -1;
    return true;
  }

  /**
   * A 16-bit load and a 16-bit byte swap of what it loaded (network byte
   * order, as packet parsers read ports): the loaded value has no high
   * bits to clear before the swap.
   */
  private swappedLoad(pc: number, end: number): boolean {
    const { cfg, w } = this;
    if (pc + 1 >= end || cfg.rows[pc + 1]!.format !== 'endian') return false;
    const ld = cfg.insns[pc], sw = cfg.insns[pc + 1];
    if (bpfSize(ld.code) !== BPF_H || bpfMode(ld.code) === BPF_MEMSX || sw.dst !== ld.dst || sw.imm !== 16) return false;
    if (bpfClass(sw.code) !== BPF_ALU64 && bpfSrc(sw.code) !== BPF_TO_BE) return false;
    const ea = this.eaReg;
    this.mark(pc);
    const offset = this.address(pc, ld.src, ld.off, ea);
    this.memarg(Op.i32Load16U, 1, offset);
    this.mark(pc + 1);
    this.bswap16();
    w.byte(Op.i64ExtendI32U);
    this.set(ld.dst);
    this.eaReg = ld.dst === ea ? -1 : ea;
    return true;
  }

  pendingAfter(block: number, pending: number): number {
    const { cfg } = this;
    if (!this.m.budget) return 0;
    let p = pending + cfg.blockInsns[block];
    for (let pc = cfg.blockStart[block]; pc < cfg.blockEnd[block]; pc++) {
      switch (cfg.rows[pc]?.format) {
        case 'call_helper': case 'callx': case 'ldabs': case 'ldind': p = 0; break;
        case 'call_local': {
          const callee = this.m.inline.get(pc + cfg.insns[pc].imm + 1);
          p = callee ? (callee.readsBudget ? this.restOfBlock(pc, block) : p) + callee.pendingAfter : this.restOfBlock(pc, block);
          break;
        }
      }
    }
    return p;
  }

  settle(from: number, to: number): void {
    const { w, f } = this;
    this.pending = to;
    if (from === to || !this.m.budget) return;
    w.byte2(Op.localGet, f.fuel);
    if (from > to) { this.i64c(from - to); w.byte(Op.i64Sub); } else { this.i64c(to - from); w.byte(Op.i64Add); }
    w.byte2(Op.localSet, f.fuel);
    this.settledAt = w.length;
  }

  /** Push the fuel local: right after settle stored it, by turning that local.set into a local.tee (two bytes fewer). */
  private getFuel(): void {
    const { w, f } = this;
    if (this.settledAt === w.length && w.bytes[w.length - 2] === Op.localSet) w.bytes[w.length - 2] = Op.localTee;
    else w.byte2(Op.localGet, f.fuel);
  }

  /** Push the budget: the fuel local, or in verified code (which never counts) the run's, in the global. */
  private budgetValue(): void {
    const { w, f, m } = this;
    if (m.verified) { w.byte(Op.globalGet); w.u32(m.fuel); } else w.byte2(Op.localGet, f.fuel);
  }

  /** Subtract what is pending: the budget is about to be read. */
  private flush(): void {
    this.settle(this.pending, 0);
  }

  budgetCheck(pc: number): void {
    const { w } = this;
    if (!this.m.budget) return;
    this.getFuel();
    this.i64c(0);
    w.byte(Op.i64LtS);
    w.byte2(Op.if, ValType.void);
    this.fault(pc, Fault.budget);
    w.byte(Op.end);
  }

  condition(block: number): void {
    const pc = this.cfg.blockLast[block];
    const ins = this.cfg.insns[pc];
    const row = this.cfg.rows[pc]!;
    const { w, f } = this;
    this.mark(pc);
    if (row.format === 'may_goto') {
      // Taken when the budget is 0; otherwise it is decremented.
      w.byte2(Op.localGet, f.loops);
      w.byte(Op.i32Eqz);
      w.byte2(Op.localGet, f.loops);
      w.byte2(Op.localGet, f.loops);
      w.byte2(Op.i32Const, 0);
      w.byte(Op.i32Ne);
      w.byte(Op.i32Sub);
      w.byte2(Op.localSet, f.loops);
      return;
    }
    const wide = bpfClass(ins.code) === BPF_JMP;
    const imm = row.format === 'jmp_imm';
    const op = bpfOp(ins.code);
    if (wide) {
      this.get(ins.dst);
      if (imm && ins.imm === 0 && op === BPF_JEQ) { w.byte(Op.i64Eqz); return; }
      if (imm) this.i64c(ins.imm); else this.get(ins.src);
      if (op === BPF_JSET) {
        w.byte(Op.i64And);
        w.byte(Op.i64Eqz);
        w.byte(Op.i32Eqz);
        return;
      }
      w.byte(JMP_OPS[op][0]);
    } else {
      this.get32(ins.dst);
      if (imm) this.i32c(ins.imm); else this.get32(ins.src);
      w.byte(op === BPF_JSET ? Op.i32And : JMP_OPS[op][1]);
    }
  }

  exit(block: number, nesting: number, last: boolean): void {
    const pc = this.cfg.blockLast[block];
    this.mark(pc);
    if (this.inlined) {
      // An inlined callee's exit ends the callee: out of the block around its code, leaving pending what the caller expects.
      this.settle(this.pending, this.inlineExit);
      if (this.inlineBlock && !(last && nesting === 0)) {
        this.w.byte(Op.br);
        this.w.u32(nesting);
      }
      return;
    }
    this.returnSequence(pc);
  }

  /** Leave the function: the main one checks the budget and hands r0 and the budget back to JavaScript. */
  private returnSequence(pc: number): void {
    const { w, f, m } = this;
    this.flush();
    if (this.isMain) {
      if (m.budget) {
        this.budgetCheck(pc);
        w.byte2(Op.localGet, f.fuel);
        w.byte(Op.globalSet); w.u32(m.fuel);
      }
      this.get(0);
    } else if (this.isCallee) {
      this.get(0);
    } else {
      for (let r = 0; r <= 5; r++) this.get(r);
      w.byte2(Op.localGet, f.fuel);
    }
    w.byte(Op.return);
  }

  // ---- instructions ----

  /**
   * The instruction at `pc`: a dispatch to a method per kind (each of which V8 optimises with its own budget
   * of inlined code; one method for all ran out of it).
   */
  private lower(pc: number, block: number, row: Opcode): void {
    const ins = this.cfg.insns[pc];
    const ea = this.eaReg;
    this.eaReg = -1;
    this.mark(pc);
    switch (row.format) {
      case 'alu_reg': case 'alu_imm': case 'neg': this.alu(pc, block, ins, row); return;
      case 'endian': this.endian(ins); return;
      case 'lddw': this.lddw(pc, ins); return;
      case 'ldx': this.ldx(pc, ins, ea); return;
      case 'st': this.st(pc, ins, ea); return;
      case 'stx': this.stx(pc, ins, ea); return;
      case 'atomic': this.atomic(pc, ins); return;
      case 'ldabs': case 'ldind': this.loadPacket(pc, ins, block); return;
      case 'call_helper': this.callHelper(pc, ins.imm); return;
      case 'callx': this.callx(pc, ins); return;
      case 'call_local': this.callLocal(pc, pc + ins.imm + 1, block); return;
      default:
        throw new Error(`internal: ${row.mnemonic} at ${pc} reached the instruction lowering`);
    }
  }

  private alu(pc: number, block: number, ins: Insn, row: Opcode): void {
    if (bpfClass(ins.code) !== BPF_ALU64) {
      this.alu32(ins, row);
      return;
    }
    if (bpfOp(ins.code) === BPF_ADD && this.feedsAccess(pc, block, ins.dst) && !this.checks(pc + 1, ins.dst, this.cfg.insns[pc + 1].off)) {
      // The access's address in i32, from the operands: V8 then needs no zero-extension of a 64-bit sum
      // (an access checkAbove4GiB checks takes the sum it computed instead).
      this.get32(ins.dst);
      if (row.format === 'alu_reg') this.get32(ins.src); else this.i32c(ins.imm);
      this.w.byte(Op.i32Add);
      this.w.byte2(Op.localSet, this.f.ea);
      this.alu64(ins, row);
      this.eaReg = ins.dst;
      return;
    }
    this.alu64(ins, row);
  }

  private lddw(pc: number, ins: Insn): void {
    this.w.byte(Op.i64Const);
    this.w.s64(ins.imm, this.cfg.insns[pc + 1].imm);
    this.set(ins.dst);
  }

  private ldx(pc: number, ins: Insn, ea: number): void {
    const offset = this.address(pc, ins.src, ins.off, ea);
    this.memarg(LOAD_OPS[bpfSize(ins.code)][bpfMode(ins.code) === BPF_MEMSX ? 1 : 0], ALIGN[bpfSize(ins.code)], offset);
    this.set(ins.dst);
    if (ins.dst !== ea) this.eaReg = ea;
  }

  private st(pc: number, ins: Insn, ea: number): void {
    const size = bpfSize(ins.code);
    const offset = this.address(pc, ins.dst, ins.off, ea);
    if (size === BPF_DW) this.i64c(ins.imm); else this.i32c(ins.imm);
    this.memarg(STORE_IMM_OPS[size], ALIGN[size], offset);
    this.eaReg = ea;
  }

  private stx(pc: number, ins: Insn, ea: number): void {
    const offset = this.address(pc, ins.dst, ins.off, ea);
    this.get(ins.src);
    this.memarg(STORE_OPS[bpfSize(ins.code)], ALIGN[bpfSize(ins.code)], offset);
    this.eaReg = ea;
  }

  private callx(pc: number, ins: Insn): void {
    this.syncOut();
    this.i32c(pc);
    this.i32c(HostCall.callx);
    this.get(ins.dst);
    for (let r = 1; r <= 5; r++) this.get(r);
    hostCall(this.w, this.m, 6);
    this.set(0);
    this.syncIn(pc);
  }

  /** Whether the instruction after `pc`, in its block, is a load or store based on register `r`. */
  private feedsAccess(pc: number, block: number, r: number): boolean {
    const { cfg } = this;
    if (pc + 1 >= cfg.blockEnd[block] || r === 10) return false;
    const next = cfg.insns[pc + 1];
    switch (cfg.rows[pc + 1]?.format) {
      case 'ldx': return next.src === r;
      case 'st': case 'stx': return next.dst === r;
      default: return false;
    }
  }

  /**
   * Push the i32 base address of access `pc` at register `base` + `off` and
   * return the memarg offset that completes it; `ea` is the register the ea
   * local holds the low 32 bits of, if any.
   */
  private address(pc: number, base: number, off: number, ea: number): number {
    const { w } = this;
    if (base === 10 && this.fpValid && off >= -MAX_BPF_STACK) {
      w.byte2(Op.localGet, this.fp);
      return off + MAX_BPF_STACK;
    }
    if (this.checkAbove4GiB(pc, base, off) && off !== 0) {
      // The checked 64-bit sum itself: i32(base) + off in a memarg would not wrap where the sum did (base -4, off 8).
      w.byte2(Op.localGet, this.f.tmpA);
      w.byte(Op.i32WrapI64);
      return 0;
    }
    if (base === ea) w.byte2(Op.localGet, this.f.ea); else this.get32(base);
    if (off >= 0) return off;
    this.i32c(off);
    w.byte(Op.i32Add);
    return 0;
  }

  /**
   * In an unverified program, an address of 4 GiB or more (its 64-bit sum) faults as in the
   * interpreter instead of accessing its low 32 bits: a verified program never computes one. Returns
   * whether it checked (the sum, when `off` is not 0, is then in the tmpA local).
   */
  private checkAbove4GiB(pc: number, base: number, off: number): boolean {
    if (!this.checks(pc, base, off)) return false;
    const { w, f } = this;
    this.get(base);
    // The address is the base itself (offset 0, most accesses), or their sum in a temporary.
    if (off !== 0) {
      this.i64c(off);
      w.byte(Op.i64Add);
      w.byte2(Op.localTee, f.tmpA);
    }
    this.i64c(32);
    w.byte(Op.i64ShrU);
    // The high half, exact in 32 bits: non-zero faults.
    w.byte(Op.i32WrapI64);
    w.byte2(Op.if, ValType.void);
    this.fault(pc, Fault.above4GiB, () => w.byte2(Op.localGet, off !== 0 ? f.tmpA : this.reg[base]));
    w.byte(Op.end);
    return true;
  }

  /**
   * Whether checkAbove4GiB checks the access at `pc`: in an unverified program, unless its base is an
   * lddw's value loaded just before (a map value's address, typically) or a pointer into the frame, in
   * range. Out of range (an unrelocated pseudo lddw) it keeps the check: a bare trap would make the rest
   * of its block dead code, which V8 does not compile, and a benchmark would measure less.
   */
  private checks(pc: number, base: number, off: number): boolean {
    const { cfg } = this;
    return this.m.budget && !this.known(pc, base, off, Math.max(cfg.blockStart[cfg.blockOf[pc]], pc - KNOWN_BASE_WINDOW));
  }

  /**
   * Whether register `r` and its sum with `off` are both below 4 GiB at `pc`: as an address in the memory
   * (PointerFacts, across blocks: most bases), or by its exact origin in the block (knownBelow4GiB, back to
   * `from`: a constant outside the memory's range that the sum brings back into it, say).
   */
  private known(pc: number, r: number, off: number, from: number): boolean {
    return factCovers(this.m.pointers!.at(pc, r), off) || knownBelow4GiB(this.cfg, pc, r, off, from, this.fpValid);
  }

  private alu64(ins: Insn, row: Opcode): void {
    const { w } = this;
    const op = bpfOp(ins.code);
    const reg = row.format === 'alu_reg';
    const d = ins.dst, s = ins.src, imm = ins.imm;
    switch (op) {
      case BPF_MOV:
        if (reg && ins.off !== 0) {
          this.get(s);
          w.byte(ins.off === 8 ? Op.i64Extend8S : ins.off === 16 ? Op.i64Extend16S : Op.i64Extend32S);
        } else if (reg) this.get(s); else this.i64c(imm);
        this.set(d);
        return;
      case BPF_NEG:
        this.i64c(0);
        this.get(d);
        w.byte(Op.i64Sub);
        this.set(d);
        return;
      case BPF_DIV: this.div64(d, s, reg, imm, ins.off === 1); return;
      case BPF_MOD: this.mod64(d, s, reg, imm, ins.off === 1); return;
      default:
        this.get(d);
        if (reg) this.get(s); else this.i64c(imm);
        w.byte(ALU64_OPS[op]);
        this.set(d);
    }
  }

  /** dst = src ? dst / src : 0; signed: dst / -1 is -dst (no INT64_MIN trap). */
  private div64(d: number, s: number, reg: boolean, imm: number, signed: boolean): void {
    const { w } = this;
    if (!reg) {
      if (imm === 0) this.i64c(0);
      else if (signed && imm === -1) { this.i64c(0); this.get(d); w.byte(Op.i64Sub); }
      else { this.get(d); this.i64c(imm); w.byte(signed ? Op.i64DivS : Op.i64DivU); }
      this.set(d);
      return;
    }
    this.get(s);
    w.byte(Op.i64Eqz);
    w.byte2(Op.if, ValType.i64);
    this.i64c(0);
    w.byte(Op.else);
    if (signed) {
      this.get(s);
      this.i64c(-1);
      w.byte(Op.i64Eq);
      w.byte2(Op.if, ValType.i64);
      this.i64c(0);
      this.get(d);
      w.byte(Op.i64Sub);
      w.byte(Op.else);
    }
    this.get(d);
    this.get(s);
    w.byte(signed ? Op.i64DivS : Op.i64DivU);
    if (signed) w.byte(Op.end);
    w.byte(Op.end);
    this.set(d);
  }

  /** dst = src ? dst % src : dst (wasm's rem_s of INT64_MIN by -1 is 0, as wanted). */
  private mod64(d: number, s: number, reg: boolean, imm: number, signed: boolean): void {
    const { w } = this;
    const rem = signed ? Op.i64RemS : Op.i64RemU;
    if (!reg) {
      if (imm === 0) return;
      this.get(d);
      this.i64c(imm);
      w.byte(rem);
      this.set(d);
      return;
    }
    this.get(s);
    w.byte(Op.i64Eqz);
    w.byte(Op.i32Eqz);
    w.byte2(Op.if, ValType.void);
    this.get(d);
    this.get(s);
    w.byte(rem);
    this.set(d);
    w.byte(Op.end);
  }

  private alu32(ins: Insn, row: Opcode): void {
    const { w } = this;
    const op = bpfOp(ins.code);
    const reg = row.format === 'alu_reg';
    const d = ins.dst, s = ins.src, imm = ins.imm;
    switch (op) {
      case BPF_MOV:
        if (!reg) {
          w.byte(Op.i64Const);
          w.s64(imm, 0);
          this.set(d);
          return;
        }
        this.get32(s);
        if (ins.off !== 0) w.byte(ins.off === 8 ? Op.i32Extend8S : Op.i32Extend16S);
        break;
      case BPF_NEG:
        this.i32c(0);
        this.get32(d);
        w.byte(Op.i32Sub);
        break;
      case BPF_DIV: this.divmod32(d, s, reg, imm, ins.off === 1, true); break;
      case BPF_MOD: this.divmod32(d, s, reg, imm, ins.off === 1, false); break;
      default:
        this.get32(d);
        if (reg) this.get32(s); else this.i32c(imm);
        w.byte(ALU32_OPS[op]);
    }
    w.byte(Op.i64ExtendI32U);
    this.set(d);
  }

  /** Leaves the 32-bit result: div by 0 is 0, mod by 0 is dst, signed div by -1 is -dst. */
  private divmod32(d: number, s: number, reg: boolean, imm: number, signed: boolean, div: boolean): void {
    const { w } = this;
    const opc = div ? (signed ? Op.i32DivS : Op.i32DivU) : (signed ? Op.i32RemS : Op.i32RemU);
    const byZero = () => (div ? this.i32c(0) : this.get32(d));
    if (!reg) {
      if (imm === 0) byZero();
      else if (div && signed && imm === -1) { this.i32c(0); this.get32(d); w.byte(Op.i32Sub); }
      else { this.get32(d); this.i32c(imm); w.byte(opc); }
      return;
    }
    this.get32(s);
    w.byte(Op.i32Eqz);
    w.byte2(Op.if, ValType.i32);
    byZero();
    w.byte(Op.else);
    if (div && signed) {
      this.get32(s);
      this.i32c(-1);
      w.byte(Op.i32Eq);
      w.byte2(Op.if, ValType.i32);
      this.i32c(0);
      this.get32(d);
      w.byte(Op.i32Sub);
      w.byte(Op.else);
    }
    this.get32(d);
    this.get32(s);
    w.byte(opc);
    if (div && signed) w.byte(Op.end);
    w.byte(Op.end);
  }

  private endian(ins: Insn): void {
    const { w, f } = this;
    const d = ins.dst, width = ins.imm;
    const swap = bpfClass(ins.code) === BPF_ALU64 || bpfSrc(ins.code) === BPF_TO_BE;
    if (!swap) {
      // The memory is little-endian: to-le only truncates.
      if (width === 64) return;
      if (width === 16) { this.get(d); this.i64c(0xffff); w.byte(Op.i64And); } else { this.get32(d); w.byte(Op.i64ExtendI32U); }
      this.set(d);
      return;
    }
    if (width === 16) {
      this.get32(d);
      this.i32c(0xffff); w.byte(Op.i32And);
      this.bswap16();
      w.byte(Op.i64ExtendI32U);
    } else if (width === 32) {
      this.get32(d);
      this.bswap32();
      w.byte(Op.i64ExtendI32U);
    } else {
      // Swap bytes within 16-bit lanes, then lanes within 32-bit halves, then the halves.
      this.get(d);
      w.byte2(Op.localTee, f.tmpA);
      this.i64c(8); w.byte(Op.i64ShrU);
      w.byte(Op.i64Const); w.s64(0x00ff00ff, 0x00ff00ff); w.byte(Op.i64And);
      w.byte2(Op.localGet, f.tmpA);
      w.byte(Op.i64Const); w.s64(0x00ff00ff, 0x00ff00ff); w.byte(Op.i64And);
      this.i64c(8); w.byte(Op.i64Shl);
      w.byte(Op.i64Or);
      w.byte2(Op.localTee, f.tmpA);
      this.i64c(16); w.byte(Op.i64ShrU);
      w.byte(Op.i64Const); w.s64(0x0000ffff, 0x0000ffff); w.byte(Op.i64And);
      w.byte2(Op.localGet, f.tmpA);
      w.byte(Op.i64Const); w.s64(0x0000ffff, 0x0000ffff); w.byte(Op.i64And);
      this.i64c(16); w.byte(Op.i64Shl);
      w.byte(Op.i64Or);
      this.i64c(32); w.byte(Op.i64Rotl);
    }
    this.set(d);
  }

  /**
   * The i32 on the stack, below 2^16, with its two bytes swapped: x * 0x10001 holds x
   * twice, and rotating it right by 8 brings the swapped pair to the low half (three
   * instructions in V8's code, where two shifts and an OR of copies take five).
   */
  private bswap16(): void {
    const { w } = this;
    this.i32c(0x10001); w.byte(Op.i32Mul);
    this.i32c(8); w.byte(Op.i32Rotr);
    this.i32c(0xffff); w.byte(Op.i32And);
  }

  /** The i32 on the stack, byte-swapped (uses t32). */
  private bswap32(): void {
    const { w, f } = this;
    w.byte2(Op.localTee, f.t32);
    this.i32c(8); w.byte(Op.i32Rotl); this.i32c(0x00ff00ff); w.byte(Op.i32And);
    w.byte2(Op.localGet, f.t32);
    this.i32c(8); w.byte(Op.i32Rotr); this.i32c(0xff00ff00 | 0); w.byte(Op.i32And);
    w.byte(Op.i32Or);
  }

  private atomic(pc: number, ins: Insn): void {
    const { w, f } = this;
    const wide = bpfSize(ins.code) === BPF_DW;
    const size = wide ? 8 : 4;
    this.checkAbove4GiB(pc, ins.dst, ins.off);
    this.get32(ins.dst);
    if (ins.off !== 0) { this.i32c(ins.off); w.byte(Op.i32Add); }
    w.byte2(Op.localTee, f.ea);
    // Misaligned: an address outside the memory faults first (as in the interpreter), through a plain load.
    this.i32c(size - 1);
    w.byte(Op.i32And);
    w.byte2(Op.if, ValType.void);
    w.byte2(Op.localGet, f.ea);
    this.memarg(wide ? Op.i64Load : Op.i32Load, wide ? 3 : 2, 0);
    w.byte(Op.drop);
    this.fault(pc, Fault.misaligned, () => { w.byte2(Op.localGet, f.ea); w.byte(Op.i64ExtendI32U); });
    w.byte(Op.end);
    w.byte2(Op.localGet, f.ea);
    const k = wide ? 0 : 1;
    const align = wide ? 3 : 2;
    if (ins.imm === BPF_CMPXCHG) {
      this.get(0);
      this.get(ins.src);
      this.memarg(wide ? Op.i64AtomicRmwCmpxchg : Op.i64AtomicRmw32CmpxchgU, align, 0);
      this.set(0);
      return;
    }
    this.get(ins.src);
    const rmw = ins.imm === BPF_XCHG ? (wide ? Op.i64AtomicRmwXchg : Op.i64AtomicRmw32XchgU) : ATOMIC_OPS[ins.imm & ~BPF_FETCH][k];
    this.memarg(rmw, align, 0);
    if (ins.imm & BPF_FETCH) this.set(ins.src); else w.byte(Op.drop);
  }

  /**
   * LD_ABS / LD_IND: r0 = the big-endian 1, 2 or 4 bytes at packet offset
   * imm (+ src, a signed 32-bit sum); outside the packet the program ends
   * with r0 = 0.
   */
  private loadPacket(pc: number, ins: Insn, block: number): void {
    const { w, f, m } = this;
    const size = sizeBytes(bpfSize(ins.code));
    this.flush();
    w.byte(Op.globalGet); w.u32(m.pktLen);
    this.i32c(0);
    w.byte(Op.i32LtS);
    w.byte2(Op.if, ValType.void);
    this.fault(pc, Fault.noPacket);
    w.byte(Op.end);
    if (bpfMode(ins.code) === BPF_IND) {
      this.get32(ins.src);
      this.i32c(ins.imm);
      w.byte(Op.i32Add);
    } else {
      this.i32c(ins.imm);
    }
    w.byte2(Op.localTee, f.t32);
    this.i32c(0);
    w.byte(Op.i32LtS);
    w.byte2(Op.localGet, f.t32);
    this.i32c(size);
    w.byte(Op.i32Add);
    w.byte(Op.globalGet); w.u32(m.pktLen);
    w.byte(Op.i32GtU);
    w.byte(Op.i32Or);
    w.byte2(Op.if, ValType.void);
    {
      // The instructions after this one in the block were counted but never run.
      const rest = this.m.budget ? this.restOfBlock(pc, block) : 0;
      if (rest > 0) {
        w.byte2(Op.localGet, f.fuel);
        this.i64c(rest);
        w.byte(Op.i64Add);
        w.byte2(Op.localSet, f.fuel);
      }
      if (this.isMain) {
        this.i64c(0);
        this.set(0);
        this.returnSequence(pc);
      } else {
        this.i32c(pc);
        this.i32c(HostCall.abort);
        this.budgetValue();
        hostCall(w, m, 1);
        w.byte(Op.drop);
        w.byte(Op.unreachable);
      }
    }
    w.byte(Op.end);
    w.byte(Op.globalGet); w.u32(m.pktData);
    w.byte2(Op.localGet, f.t32);
    w.byte(Op.i32Add);
    if (size === 1) {
      this.memarg(Op.i32Load8U, 0, 0);
    } else if (size === 2) {
      this.memarg(Op.i32Load16U, 1, 0);
      this.bswap16();
    } else {
      this.memarg(Op.i32Load, 2, 0);
      this.bswap32();
    }
    w.byte(Op.i64ExtendI32U);
    this.set(0);
  }

  private callHelper(pc: number, id: number): void {
    const { w, cfg } = this;
    this.flush();
    const intrinsic = this.m.intrinsics.get(id);
    if (!intrinsic) {
      this.genericHelper(pc, id);
      return;
    }
    // An unverified program may pass a pointer of 4 GiB or more, which the helper faults on and the
    // intrinsic's 32-bit address would not: the helper takes those calls.
    const from = cfg.blockStart[cfg.blockOf[pc]];
    const wide = this.m.budget ? (intrinsic.pointers ?? []).filter((r) => !this.known(pc, r, 0, from)) : [];
    if (wide.length === 0) {
      intrinsic.emit(new IntrinsicSite(this, pc, id));
      return;
    }
    wide.forEach((r, k) => {
      this.get(r);
      if (k > 0) w.byte(Op.i64Or);
    });
    this.i64c(32);
    w.byte(Op.i64ShrU);
    w.byte(Op.i64Eqz);
    w.byte2(Op.if, ValType.void);
    intrinsic.emit(new IntrinsicSite(this, pc, id));
    w.byte(Op.else);
    this.genericHelper(pc, id);
    w.byte(Op.end);
  }

  /** @internal For IntrinsicSite: push register r. */
  getReg(r: number): void {
    this.get(r);
  }

  /** @internal For IntrinsicSite: pop register r. */
  setReg(r: number): void {
    this.set(r);
  }

  /** @internal For IntrinsicSite: intrinsic k's i32 temporary. */
  temp32(k: 0 | 1): number {
    return k === 0 ? this.f.t32 : this.f.ea;
  }

  /** @internal For IntrinsicSite: call the intrinsic import `name`. */
  callImport(name: string): void {
    const imp = this.m.intrinsicImports.get(name)!;
    callSlot(this.w, imp.slot, imp.type);
  }

  /** @internal For IntrinsicSite: the generic call of helper `id` at `pc`, its sync steps, a pending tail call, a constant register. */
  siteGeneric(pc: number, id: number): void {
    this.genericHelper(pc, id);
  }

  /** @internal For IntrinsicSite: push the pc of the call and the program's self (a fallback import's last arguments). */
  siteArgs(pc: number): void {
    this.i32c(pc);
    this.w.byte(Op.globalGet); this.w.u32(this.m.self);
  }

  siteSyncOut(): void {
    this.syncOut();
  }

  siteSyncIn(pc: number): void {
    this.syncIn(pc);
  }

  siteTail(pc: number): void {
    this.takePendingTail(pc);
  }

  siteAddress(pc: number, r: number): number | undefined {
    return loadedAddress(this.cfg, pc, r);
  }

  /** The helper through its import: r0 from r1–r5, the shared state synchronised around it. */
  private genericHelper(pc: number, id: number): void {
    const { w, m } = this;
    this.syncOut();
    this.i32c(pc);
    this.i32c(id);
    for (let r = 1; r <= 5; r++) this.get(r);
    hostCall(w, m, 5);
    this.set(0);
    this.syncIn(pc);
  }

  /**
   * Before a helper import: publish the budget, the frame depth and r0,
   * r6–r9 (a callback the helper runs starts from them, and spends the
   * same budget). A verified program's callback reads none of r0 and r6–r9
   * before writing them (a callback is a function of its own to the
   * verifier): its registers stay unpublished.
   */
  private syncOut(): void {
    const { w, m } = this;
    if (!m.verified) {
      this.flush();
      this.getFuel();
      w.byte(Op.globalSet); w.u32(m.fuel);
    }
    this.pushDepth();
    w.byte(Op.globalSet); w.u32(m.depth);
    if (m.verified) return;
    for (const r of PUBLISHED) {
      this.get(r);
      w.byte(Op.globalSet); w.u32(m.regs[r]);
    }
  }

  /** After a helper import: take the budget back (unverified code); enter the program a tail call asked for. */
  private syncIn(pc: number): void {
    const { w, f, m } = this;
    if (!m.verified) {
      w.byte(Op.globalGet); w.u32(m.fuel);
      w.byte2(Op.localSet, f.fuel);
    }
    this.takePendingTail(pc);
  }

  /**
   * Enter the program a tail call asked for (the tailPending flag), in a program that may take one:
   * through the tailEnter import (tail-code.ts), which calls its entry in the Jit's table of them, or
   * the Jit's JavaScript entry for a tail call the helper made (tailId -1).
   */
  private takePendingTail(pc: number): void {
    const { w, f, m } = this;
    if (m.tail < 0) return;
    w.byte(Op.globalGet); w.u32(m.tailFlag);
    w.byte2(Op.if, ValType.void);
    w.byte(Op.globalGet); w.u32(m.tailId);
    w.byte2(Op.localSet, f.t32);
    w.byte(Op.i32Const); w.s32(-1);
    w.byte(Op.globalSet); w.u32(m.tailId);
    w.byte2(Op.i32Const, 0);
    w.byte(Op.globalSet); w.u32(m.tailFlag);
    for (let r = 0; r <= 9; r++) this.get(r);
    this.pushDepth();
    this.budgetValue();
    w.byte2(Op.localGet, f.t32);
    this.tailSites.push(w.length);
    if (this.isMain) {
      w.byte(Op.call); w.u32(m.tail);
      // The target's exit is the run's.
      w.byte2(Op.localSet, f.fuel);
      for (let r = 5; r >= 0; r--) this.set(r);
      this.returnSequence(pc);
    } else if (this.isCallee) {
      w.byte(Op.call); w.u32(m.tail);
      // The target's r0 is this function's result; the budget and r1–r5 are nobody's.
      for (let k = 0; k < 6; k++) w.byte(Op.drop);
      w.byte(Op.return);
    } else {
      // The target's results are this function's: a wasm tail call, no frame left waiting (nor seven results copied back through it).
      w.byte(Op.returnCall); w.u32(m.tail);
    }
    w.byte(Op.end);
  }

  /** Push the frame depth of the code being lowered: the function's, one more in an inlined callee. */
  private pushDepth(): void {
    const { w, f } = this;
    if (this.isMain) w.byte2(Op.i32Const, this.inlined ? 1 : 0);
    else {
      w.byte2(Op.localGet, f.depth);
      if (this.inlined) { w.byte2(Op.i32Const, 1); w.byte(Op.i32Add); }
    }
  }

  /**
   * A leaf callee (inlinedCallees) in line, at its call: its instructions with their own pcs (a fault in
   * it is at its instruction), on the next frame (its r10 one frame up from the caller's, as the call
   * would give it), its r6–r9 and r10 in locals of its own (the caller's r6–r9 survive), r0–r5 the
   * caller's (r0 its result, r1–r5 clobbered as after a call), in a block its exits leave. In an
   * unverified program the callee starts from the caller's r6–r9, as in the interpreter: it reads the ones
   * it never writes in the caller's locals, and copies the others into its own on entry.
   */
  private inline(pc: number, target: number, callee: InlinedCallee): void {
    const { w, f, cfg, pcs } = this;
    const start = w.length, pcStart = pcs.count;
    const made = this.inlineCode?.get(target);
    if (made) {
      w.copyWithin(made.from, made.to);
      pcs.copy(made.pairsFrom, made.pairsTo, start - made.from);
      this.copyFaultSites(made.from, made.to, start - made.from);
      this.inlineSites.push(start, w.length, pc);
      this.eaReg = -1;
      this.setAt = -1;
      this.settledAt = -1;
      return;
    }
    // The code must not depend on what precedes it (a read of the register just set or of the budget just settled, teeing it), to be copied.
    this.setAt = -1;
    this.settledAt = -1;
    const own = this.reg, fpValid = this.fpValid;
    this.inlined = true;
    if (callee.readsR10) {
      if (fpValid) {
        this.get(10);
        this.i64c(FRAME_SPAN);
        w.byte(Op.i64Add);
      } else {
        // An unverified caller may have moved its r10: the next frame's top from the depth, as a call computes it.
        w.byte(Op.globalGet); w.u32(this.m.frameTop);
        this.pushDepth();
        this.i32c(FRAME_SPAN);
        w.byte(Op.i32Mul);
        w.byte(Op.i32Add);
        w.byte(Op.i64ExtendI32U);
      }
      w.byte2(Op.localTee, f.inl + 4);
      w.byte(Op.i32WrapI64);
      this.i32c(MAX_BPF_STACK);
      w.byte(Op.i32Sub);
      w.byte2(Op.localSet, f.inl + 5);
    }
    const reg = [own[0], own[1], own[2], own[3], own[4], own[5], f.inl, f.inl + 1, f.inl + 2, f.inl + 3, f.inl + 4];
    if (!this.m.verified) {
      for (let r = 6; r <= 9; r++) {
        if ((callee.writes & (1 << r)) === 0) reg[r] = own[r];
        else { w.byte2(Op.localGet, own[r]); w.byte2(Op.localSet, reg[r]); }
      }
    }
    this.reg = reg;
    this.fp = f.inl + 5;
    // The callee never writes its r10 (inlinedCallees).
    this.fpValid = true;
    const graph = functionGraph(cfg, cfg.blockOf[target], this.m.inlineWork!);
    // A callee of one block ends at its exit, where its code does: no block to leave.
    this.inlineBlock = graph.n > 1;
    this.inlineExit = callee.pendingAfter;
    if (this.inlineBlock) w.byte2(Op.block, ValType.void);
    emitStructured(graph, cfg, this);
    if (this.inlineBlock) w.byte(Op.end);
    this.reg = own;
    this.fp = f.fp;
    this.fpValid = fpValid;
    this.inlined = false;
    this.eaReg = -1;
    this.setAt = -1;
    this.settledAt = -1;
    this.inlineSites.push(start, w.length, pc);
    (this.inlineCode ??= new Map()).set(target, { from: start, to: w.length, pairsFrom: pcStart, pairsTo: pcs.count });
  }

  /** Record again the fault sites in [from, to) of this function's code, copied `delta` bytes further. */
  private copyFaultSites(from: number, to: number, delta: number): void {
    const sites = this.faultSites;
    for (let k = 0, n = sites.length; k < n; k += 2) {
      if (sites[k] >= from && sites[k] < to) sites.push(sites[k] + delta, sites[k + 1]);
    }
  }

  private callLocal(pc: number, target: number, block: number): void {
    const { w, f, m } = this;
    const callee = m.inline.get(target);
    if (callee && m.verified) {
      this.inline(pc, target, callee);
      return;
    }
    if (m.verified) {
      if (this.isMain) this.i32c(1);
      else { w.byte2(Op.localGet, f.depth); this.i32c(1); w.byte(Op.i32Add); }
      for (let r = 1, n = m.arity.get(target)!; r <= n; r++) this.get(r);
      w.byte(Op.call); w.u32(m.subs.get(target)!);
      this.set(0);
      return;
    }
    // The callee gets the budget as if this block ended at the call (an abort in it counts nothing after
    // the call): the rest of the block stays pending. The difference is subtracted from the fuel argument
    // itself, the local being set from the callee's result anyway.
    const from = this.pending, to = this.restOfBlock(pc, block);
    this.pending = to;
    if (!this.isMain) {
      w.byte2(Op.localGet, f.depth);
      this.i32c(MAX_CALL_FRAMES - 1);
      w.byte(Op.i32GeU);
      w.byte2(Op.if, ValType.void);
      this.fault(pc, Fault.depth);
      w.byte(Op.end);
    }
    if (callee) {
      // Inlined, the callee's code counts what it runs: one that reads the budget starts from it settled as
      // above; the count of one that does not just adds to what is pending (pendingAfter).
      const base = callee.readsBudget ? to : from;
      this.settle(from, base);
      this.inline(pc, target, callee);
      this.pending = base + callee.pendingAfter;
      return;
    }
    for (let r = 0; r <= 9; r++) this.get(r);
    if (this.isMain) this.i32c(1);
    else { w.byte2(Op.localGet, f.depth); this.i32c(1); w.byte(Op.i32Add); }
    w.byte2(Op.localGet, f.fuel);
    if (m.budget && from !== to) {
      if (from > to) { this.i64c(from - to); w.byte(Op.i64Sub); } else { this.i64c(to - from); w.byte(Op.i64Add); }
    }
    w.byte(Op.call); w.u32(m.subs.get(target)!);
    w.byte2(Op.localSet, f.fuel);
    for (let r = 5; r >= 0; r--) this.set(r);
  }

  /** Instructions of `block` after the one at `pc` (counted on entry, not yet run). */
  private restOfBlock(pc: number, block: number): number {
    const { cfg } = this;
    let rest = 0;
    for (let i = pc + 1; i < cfg.blockEnd[block]; i++) if (cfg.rows[i] !== null) rest++;
    return rest;
  }
}

/**
 * What an intrinsic writes its code through at the helper call of `id` at
 * `pc`: an object per call site, not a set of closures (V8 holds a
 * closure's optimised code weakly, and optimised the same ones again after
 * each collection).
 */
class IntrinsicSite implements IntrinsicEmitter {
  readonly w: ByteWriter;

  constructor(private readonly l: FunctionLowering, private readonly pc: number, private readonly id: number) {
    this.w = l.w;
  }

  getReg(r: number): void { this.l.getReg(r); }
  setReg(r: number): void { this.l.setReg(r); }
  temp32(k: 0 | 1): number { return this.l.temp32(k); }
  callImport(name: string): void { this.l.callImport(name); }
  generic(): void { this.l.siteGeneric(this.pc, this.id); }
  site(): void { this.l.siteArgs(this.pc); }
  takePendingTail(): void { this.l.siteTail(this.pc); }
  syncOut(): void { this.l.siteSyncOut(); }
  syncIn(): void { this.l.siteSyncIn(this.pc); }
  constAddress(r: number): number | undefined { return this.l.siteAddress(this.pc, r); }
}

/**
 * The value an lddw put in register `r` earlier in the block of `pc` (perhaps through moves), when it is
 * below 4 GiB (a map's address, typically), else undefined.
 */
function loadedAddress(cfg: ProgramCfg, pc: number, r: number): number | undefined {
  const o = originOf(cfg, pc, r, cfg.blockStart[cfg.blockOf[pc]]);
  return !o || o.at < 0 || o.add !== 0 || cfg.insns[o.at + 1].imm !== 0 ? undefined : cfg.insns[o.at].imm >>> 0;
}

/** Where a register's value comes from: the lddw at `at` (or r10: `at` -1), plus `add`. */
interface Origin {
  at: number;
  add: number;
}

/**
 * The origin of register `r` at `pc`, looking back to `from` in the block of `pc`: an lddw or r10,
 * through 64-bit moves and constant adds. Undefined when anything else wrote it, or a call clobbered it.
 */
function originOf(cfg: ProgramCfg, pc: number, r: number, from: number): Origin | undefined {
  let add = 0;
  for (let i = pc - 1; r !== 10 && i >= from; i--) {
    const row = cfg.rows[i];
    if (!row) continue;
    const ins = cfg.insns[i];
    if ((regsWritten(ins, row) & (1 << r)) !== 0) {
      if (row.format === 'lddw') return { at: i, add };
      if (ins.code === (BPF_ALU64 | BPF_ADD | BPF_K)) add += ins.imm;
      else if (ins.code === (BPF_ALU64 | BPF_MOV | BPF_X) && ins.off === 0) r = ins.src;
      else return undefined;
      continue;
    }
    switch (row.format) {
      // A call clobbers r0–r5.
      case 'call_helper': case 'call_local': case 'callx': case 'call_kfunc': case 'ldabs': case 'ldind':
        if (r <= 5) return undefined;
    }
  }
  return r === 10 ? { at: -1, add } : undefined;
}

/**
 * Whether register `r` and its sum with `off` are both below 4 GiB at `pc` (then the sum is i32(r) + off,
 * with no wrap-around), by its origin (originOf, back to `from`): a constant, or, when r10 is the frame
 * pointer (`fpValid`: the function never writes it), r10 less at most a frame and its guard (r10 is at
 * least that far into the memory).
 */
function knownBelow4GiB(cfg: ProgramCfg, pc: number, r: number, off: number, from: number, fpValid: boolean): boolean {
  const o = originOf(cfg, pc, r, from);
  if (!o) return false;
  const { add, at } = o;
  if (at < 0) return fpValid && Math.max(add, add + off) <= 0 && Math.min(add, add + off) >= -FRAME_SPAN;
  const lo = cfg.insns[at].imm, hi = cfg.insns[at + 1].imm;
  return below4GiB(lo, hi, add) && below4GiB(lo, hi, add + off);
}

/** Whether the 64-bit sum of hi:lo (two 32-bit halves) and `off`, modulo 2^64, is below 4 GiB. */
function below4GiB(lo: number, hi: number, off: number): boolean {
  const sum = (lo >>> 0) + off;
  return ((hi + (sum < 0 ? -1 : sum >= 2 ** 32 ? 1 : 0)) | 0) === 0;
}

/** How far back (in slots) checkAbove4GiB looks for the origin of an access's base: compilers load a map value's address just before its use. */
const KNOWN_BASE_WINDOW = 8;

/** Stores up to this many bytes of stack zeroing; memory.fill beyond (it costs a runtime call). */
const ZERO_BY_STORES = 128;

/** stackZeroing's copies of r10, by register (one array for every call: it is all set before it is read). */
const COPIES = new Float64Array(11);

/** The whole stack region, a window [lo, hi) around frame 0's r10, or nothing. */
export type StackZeroing = 'all' | readonly [number, number] | null;

/**
 * What the main function must zero of the stack. With bpf-to-bpf calls, the
 * whole region. Without, the window the program can reach from r10 (8-byte
 * aligned, within the region): the accesses at constant offsets from r10
 * or from a copy of it moved or offset by constants within a basic block,
 * and from a copy passed to a helper, everything from its offset up to the
 * guard above frame 0. When r10 is written, or a copy of it is stored,
 * combined otherwise, or still held where its block goes on to another (which
 * may use it), frame 0 and its guards.
 */
export function stackZeroing(cfg: ProgramCfg): StackZeroing {
  let lo = Infinity, hi = -Infinity, escapes = false;
  /** Per register, r10 + this when it holds a copy of r10 (within the block being scanned), else NaN. */
  const fp = COPIES;
  for (let r = 0; r <= 9; r++) fp[r] = NaN;
  fp[10] = 0;
  /** The registers r0–r9 that a move may have made copies of r10 in the block (most blocks have none: nothing to reset or check). */
  let copies = 0;
  for (let b = 0; b < cfg.blockCount && !escapes; b++) {
    if (copies !== 0) {
      for (let r = 0; r <= 9; r++) fp[r] = NaN;
      copies = 0;
    }
    for (let pc = cfg.blockStart[b]; pc < cfg.blockEnd[b] && !escapes; pc++) {
      const row = cfg.rows[pc];
      if (!row) continue;
      const ins = cfg.insns[pc];
      const { dst, src } = ins;
      switch (row.format) {
        case 'call_local': return 'all';
        case 'alu_reg':
          if (dst === 10) escapes = true;
          else if (bpfClass(ins.code) === BPF_ALU64 && bpfOp(ins.code) === BPF_MOV && ins.off === 0) {
            fp[dst] = fp[src];
            copies |= 1 << dst;
          }
          else if (!Number.isNaN(fp[src]) || !Number.isNaN(fp[dst])) escapes = true;
          break;
        case 'alu_imm':
          if (dst === 10) escapes = true;
          else if (!Number.isNaN(fp[dst])) {
            const op = bpfOp(ins.code);
            if (bpfClass(ins.code) === BPF_ALU64 && (op === BPF_ADD || op === BPF_SUB)) fp[dst] += op === BPF_ADD ? ins.imm : -ins.imm;
            else if (op === BPF_MOV) fp[dst] = NaN;
            else escapes = true;
          }
          break;
        case 'neg': case 'endian':
          if (!Number.isNaN(fp[dst])) escapes = true;
          break;
        case 'lddw':
          if (dst === 10) escapes = true;
          fp[dst] = NaN;
          break;
        case 'ldx':
          if (dst === 10) escapes = true;
          if (!Number.isNaN(fp[src])) {
            lo = Math.min(lo, fp[src] + ins.off);
            hi = Math.max(hi, fp[src] + ins.off + sizeBytes(bpfSize(ins.code)));
          }
          fp[dst] = NaN;
          break;
        case 'st': case 'stx': case 'atomic':
          if (row.format !== 'st' && !Number.isNaN(fp[src])) escapes = true;
          if (row.format === 'atomic' && ins.imm === BPF_CMPXCHG && !Number.isNaN(fp[0])) escapes = true;
          if (!Number.isNaN(fp[dst])) {
            lo = Math.min(lo, fp[dst] + ins.off);
            hi = Math.max(hi, fp[dst] + ins.off + sizeBytes(bpfSize(ins.code)));
          }
          if (row.format === 'atomic') {
            if (ins.imm === BPF_CMPXCHG) fp[0] = NaN;
            else if (ins.imm & BPF_FETCH) fp[src] = NaN;
          }
          break;
        case 'call_helper': case 'callx':
          for (let r = 1; r <= 5; r++) {
            if (!Number.isNaN(fp[r])) {
              lo = Math.min(lo, fp[r]);
              hi = Math.max(hi, STACK_GUARD);
            }
          }
          if (row.format === 'callx' && !Number.isNaN(fp[dst])) escapes = true;
          for (let r = 0; r <= 5; r++) fp[r] = NaN;
          break;
        case 'ldabs': case 'ldind':
          fp[0] = NaN;
          break;
      }
    }
    if (cfg.term[b] !== Term.exit && copies !== 0) for (let r = 0; r <= 9; r++) if (!Number.isNaN(fp[r])) escapes = true;
  }
  // Frame 0's r10 sits STACK_GUARD + MAX_BPF_STACK bytes into the region.
  const top = STACK_GUARD + MAX_BPF_STACK;
  if (escapes) return [-top, STACK_GUARD];
  if (lo === Infinity) return null;
  const from = Math.max(-top, Math.floor(lo / 8) * 8);
  const to = Math.min(STACK_SIZE - top, Math.ceil(hi / 8) * 8);
  return from < to ? [from, to] : null;
}

/** Compile a program into a wasm module. Throws InstructionError for an invalid program. */
export function compileProgram(insns: readonly Insn[], options: CompileOptions): CompiledProgram {
  return compileModule([insns], options)[0];
}

/**
 * Compile several programs (run form) into one wasm module: V8's cost per
 * module (compiling it, instantiating it) is paid once for all of them. Each
 * program has its own functions, its own host import (`host`, `host1`, …,
 * so that a helper call knows its program) and its own export (`run0`,
 * `run1`, …); the other imports are shared. Throws
 * InstructionError for an invalid program.
 */
export function compileBatch(programs: readonly (readonly Insn[])[], options: Omit<CompileOptions, 'form'>): CompiledProgram[] {
  return compileModule(programs, { ...options, form: { kind: 'run' } });
}

/** Program-level facts compileModule gathers before it emits. */
interface ProgramFacts {
  cfg: ProgramCfg;
  intrinsics: Map<number, JitIntrinsic>;
  usesCallx: boolean;
  usesPacket: boolean;
  usesTail: boolean;
  /** Whether some instruction may write r10 or is a may_goto (FunctionLowering then looks at its functions one by one). */
  scan: boolean;
  /** Whether some instruction of an unverified program writes r10. */
  writesR10: boolean;
  /** The pcs of its bpf-to-bpf calls. */
  callSites: number[];
}

/**
 * The helper ids below its length that programFacts asked for an intrinsic in the program it scans, marked
 * with that scan's stamp (a cache, not state: a helper without an intrinsic was asked again at each call).
 */
const ASKED = new Int32Array(256);
let askStamp = 0;

/** `intrinsic`: CompileOptions.intrinsic, passed alone (options objects of several shapes made a read of it deoptimise again and again). */
function programFacts(insns: readonly Insn[], intrinsic: CompileOptions['intrinsic'], checked: readonly (Opcode | null)[] | undefined, verified: boolean): ProgramFacts {
  const cfg = buildCfg(insns, checked);
  const facts: ProgramFacts = { cfg, intrinsics: new Map(), usesCallx: false, usesPacket: false, usesTail: false, scan: false, writesR10: false, callSites: [] };
  const rows = cfg.rows;
  if (askStamp === 0x3fffffff) {
    ASKED.fill(0);
    askStamp = 0;
  }
  const stamp = ++askStamp;
  for (let pc = 0; pc < rows.length; pc++) {
    const row = rows[pc];
    if (!row) continue;
    // The verifier refuses a write to r10 (frame pointer is read only).
    if (!verified && writesR10(insns[pc], row)) facts.scan = facts.writesR10 = true;
    // Calls and may_goto are of the JMP class, LD_ABS/LD_IND of LD: most instructions are neither.
    const cls = bpfClass(row.code);
    if (cls === BPF_JMP) {
      if (row.format === 'call_helper') {
        const id = insns[pc].imm;
        // A helper's intrinsic is the same at each of its calls: asked once (a program calls a few helpers, often).
        if (intrinsic && !facts.intrinsics.has(id) && !(id >>> 0 < ASKED.length && ASKED[id] === stamp)) {
          if (id >>> 0 < ASKED.length) ASKED[id] = stamp;
          const found = intrinsic(id);
          if (found) facts.intrinsics.set(id, found);
        }
        if (id === BPF_FUNC_tail_call) facts.usesTail = true;
      } else if (row.format === 'call_local') facts.callSites.push(pc);
      else if (row.format === 'callx') facts.usesCallx = facts.usesTail = true;
      else if (row.format === 'may_goto') facts.scan = true;
    } else if (cls === BPF_LD && (row.format === 'ldabs' || row.format === 'ldind')) facts.usesPacket = true;
  }
  return facts;
}

function compileModule(programs: readonly (readonly Insn[])[], options: CompileOptions): CompiledProgram[] {
  const form = options.form ?? { kind: 'run' };
  const batch = programs.length > 1;
  const { intrinsic, checked } = options;
  const facts: ProgramFacts[] = [];
  for (let p = 0; p < programs.length; p++) facts.push(programFacts(programs[p], intrinsic, checked?.[p], options.verified ?? false));
  if (form.kind === 'callback') {
    const { cfg } = facts[0];
    if (form.pc < 0 || form.pc >= cfg.insns.length || cfg.rows[form.pc] === null) {
      throw new EbpfError('EINVAL', `callback at ${form.pc}: not an instruction of the program (0 to ${cfg.insns.length - 1})`);
    }
  }
  const intrinsics = new Map<number, JitIntrinsic>();
  let tailImport = false;
  for (let p = 0; p < facts.length; p++) {
    facts[p].intrinsics.forEach((i, id) => intrinsics.set(id, i));
    if (facts[p].usesTail) tailImport = true;
  }
  // By id (an insertion sort of a few: no spread and closure per module).
  const intrinsicList: JitIntrinsic[] = [];
  for (const i of intrinsics.values()) {
    let k = intrinsicList.length;
    intrinsicList.push(i);
    for (; k > 0 && intrinsicList[k - 1].id > i.id; k--) intrinsicList[k] = intrinsicList[k - 1];
    intrinsicList[k] = i;
  }

  const mb = new ModuleBuilder();
  const verified = options.verified ?? false;
  const slots: string[] = [];
  const common = declareImports(mb, intrinsics, intrinsicList, slots, tailImport, options.shared, verified, form);
  const subType = common.subType;
  const selfs: number[] = [];
  for (let p = 0; p < programs.length; p++) selfs.push(mb.importGlobal('env', p === 0 ? 'self' : `self${p}`, ValType.externref, false));

  // Every program's eBPF functions first (their code offsets line up with `lowered`), then the entry wrappers.
  const isRun = form.kind === 'run';
  const entryPc = form.kind === 'callback' ? form.pc : 0;
  const mainType = mb.typeIndex(MAIN_PARAMS, [I64]);
  const names: string[] = [];
  const shape: ModuleShape = { mb, form, isRun, verified, batch, entryPc, mainType, subType, names };
  // The graph and structurer arrays of every function of the module, one at a time, for the largest
  // program; and a second set, for the inlined callees structured within a function.
  let blocks = 0;
  for (let p = 0; p < facts.length; p++) blocks = Math.max(blocks, facts[p].cfg.blockCount);
  const work = takeGraphWork(blocks);
  const inlineWork = takeGraphWork(blocks);
  const perProgram: DeclaredProgram[] = [];
  for (let p = 0; p < facts.length; p++) perProgram.push(declareProgram(shape, common, facts[p], selfs[p], p, inlineWork));

  // One pc pair per instruction (an lddw's two slots make one) and per instruction of an inlined callee at
  // each call site, a few more per function for its entry; then a triple per inlined call site
  // (CompiledProgram.inlined). Every program's in one buffer: an allocation each was a part of what a small
  // program's compile costs.
  const pcRoom: number[] = [], siteRoom: number[] = [];
  let pcTotal = 0;
  for (let p = 0; p < facts.length; p++) {
    const { callSites, cfg } = facts[p], { inline } = perProgram[p].index;
    let inlined = 0, sites = 0;
    if (inline.size > 0) {
      for (let k = 0; k < callSites.length; k++) {
        const callee = inline.get(callSites[k] + cfg.insns[callSites[k]].imm + 1);
        if (!callee) continue;
        inlined += callee.insns;
        sites++;
      }
    }
    pcRoom.push(2 * (cfg.insns.length + inlined) + 8 * perProgram[p].entries.length);
    siteRoom.push(3 * sites);
    pcTotal += pcRoom[p] + siteRoom[p];
  }
  const pcBuffer = new Int32Array(pcTotal);
  let pcNext = 0;
  const programsOut: LoweredProgram[] = [];
  const siteBuffers: Int32Array[] = [];
  for (let p = 0; p < facts.length; p++) {
    programsOut.push(lowerProgram(shape, facts[p], perProgram[p], new PcPairs(pcBuffer.subarray(pcNext, pcNext += pcRoom[p])), work));
    siteBuffers.push(siteRoom[p] === 0 ? NO_SITES : pcBuffer.subarray(pcNext, pcNext += siteRoom[p]));
  }
  releaseGraphWork(work);
  releaseGraphWork(inlineWork);

  const exportNames = declareExports(shape, facts, perProgram);
  if (options.name !== undefined) mb.setNames(options.name, names);
  const built = mb.finish();
  // The bodies are copied into the module: their writers can serve the next compile.
  for (const { lowered } of programsOut) ByteWriter.release(lowered.map((l) => l.w));

  const out: CompiledProgram[] = [];
  for (let p = 0, at = 0; p < facts.length; p++) {
    const f = facts[p];
    const { lowered, functions, pcs } = programsOut[p];
    const { pcMap, tailSites, inlined, faults } = placeCode(lowered, pcs, siteBuffers[p], built.codeStarts, at);
    at += lowered.length;
    out.push({
      bytes: built.bytes, cfg: f.cfg, pcMap, intrinsics: intrinsicList, usesCallx: f.usesCallx, usesPacket: f.usesPacket,
      usesTail: f.usesTail, tailSites, faults, inlined, form, name: options.name, functions,
      exportName: exportNames[p] ?? form.kind, hosts: programs.length, slots, tailImport, funcNames: names, budget: common.budget,
    });
  }
  return out;
}

/** The module's shared index: its types and imports (all but the programs' self imports), declared in `mb`, with `slots` its table's. */
function declareImports(
  mb: ModuleBuilder, intrinsics: Map<number, JitIntrinsic>, intrinsicList: readonly JitIntrinsic[], slots: string[], tailImport: boolean, shared: boolean, verified: boolean,
  form: ModuleForm,
): CommonIndex {
  const subType = mb.typeIndex(SUB_PARAMS, SUB_RESULTS);
  const hostType = mb.typeIndex(HOST_PARAMS, [I64]);
  slots.push('host');
  const common = {
    host: 0,
    hostType,
    subType,
    tail: -1,
    tailId: -1,
    tailCount: -1,
    intrinsics,
    intrinsicImports: new Map<string, { slot: number; type: number }>(),
    frameTop: -1, fuel: -1, depth: -1, regs: [] as number[], pktData: -1, pktLen: -1, tailFlag: -1,
    budget: !verified,
    verified,
  };
  for (const intrinsic of intrinsicList) {
    for (const imp of intrinsic.imports) {
      common.intrinsicImports.set(imp.name, { slot: slots.push(imp.name) - 1, type: mb.typeIndex(imp.params, imp.results) });
    }
  }
  mb.importTable('env', 'fns', slots.length);
  if (tailImport) common.tail = mb.importFunc('env', 'tailEnter', mb.typeIndex(TAIL_ENTER_PARAMS, SUB_RESULTS));
  mb.importMemory('env', 'memory', shared ? { min: 0, max: 65536, shared: true } : { min: 0, shared: false });
  const globals = moduleGlobals(verified, form, tailImport);
  for (let k = 0; k < globals.length; k++) {
    const [name, type] = globals[k];
    const g = mb.importGlobal('env', name, type, name !== 'frameTop');
    if (name === 'frameTop') common.frameTop = g;
    else if (name === 'fuel') common.fuel = g;
    else if (name === 'depth') common.depth = g;
    else if (name === 'pktData') common.pktData = g;
    else if (name === 'pktLen') common.pktLen = g;
    else if (name === 'tailPending') common.tailFlag = g;
    else if (name === 'tailId') common.tailId = g;
    else if (name === 'tailCount') common.tailCount = g;
    else common.regs[Number(name.slice(1))] = g;
  }
  return common;
}

/** The module's exports by its form (and their wrappers); returns each program's entry export in a run module. */
function declareExports(
  shape: ModuleShape, facts: readonly ProgramFacts[], perProgram: readonly DeclaredProgram[],
): string[] {
  const { mb, form, isRun, verified, batch, entryPc, names } = shape;
  const exportNames: string[] = [];
  if (isRun) {
    for (let p = 0; p < perProgram.length; p++) {
      exportNames.push(batch ? `run${p}` : 'run');
      mb.exportFunc(exportNames[p], perProgram[p].funcIndex[0]);
    }
  } else if (form.kind === 'callback') {
    mb.exportFunc('callback', callbackWrapper(mb, perProgram[0].index, perProgram[0].funcIndex[0], entryPc));
    mb.exportFunc('entry', perProgram[0].funcIndex[0]);
    names.push('callback');
  } else {
    const { index, funcIndex } = perProgram[0];
    if (facts[0].cfg.calls.includes(0) && !verified) {
      mb.exportFunc('enter', tailWrapper(mb, index, funcIndex[0]));
      names.push('enter');
    } else {
      mb.exportFunc('enter', funcIndex[0]);
    }
  }
  return exportNames;
}

/**
 * What every program of a module is compiled against. The work of each
 * program and function is done by functions of this file, not closures
 * made per compile: V8 holds a closure's optimised code weakly, so a
 * collection threw it away between compiles and optimised it again, over
 * and over (tens of milliseconds each, on the background threads).
 */
interface ModuleShape {
  readonly mb: ModuleBuilder;
  readonly form: ModuleForm;
  readonly isRun: boolean;
  readonly verified: boolean;
  readonly batch: boolean;
  readonly entryPc: number;
  readonly mainType: number;
  readonly subType: number;
  /** The defined functions' names, in order. */
  readonly names: string[];
}

/** A program's functions, declared: its index, its entries (the entry, then the call targets), their function indices. */
interface DeclaredProgram {
  readonly index: ModuleIndex;
  readonly entries: readonly number[];
  readonly funcIndex: readonly number[];
}

/**
 * The call targets of a program compiled into their callers (FunctionLowering.inline) rather than as
 * functions: a leaf (it calls no bpf-to-bpf function, no callx; helpers it may call, at its depth, the
 * call chain knowing its code by CompiledProgram.inlined), with no may_goto (its count is per function)
 * and no LD_ABS/LD_IND (which may end the run from a function), of at most INLINE_MAX_INSNS
 * instructions, not the module's entry, in a program that does not tail call (a pending tail call
 * returns from the function that takes it); in an unverified program, one that does not write r10.
 */
function inlinedCallees(f: ProgramFacts, entryPc: number, work: GraphWork, verified: boolean): ReadonlyMap<number, InlinedCallee> {
  const { cfg } = f;
  if (cfg.calls.length === 0 || f.usesTail) return NO_INLINE;
  const out = new Map<number, InlinedCallee>();
  for (const t of cfg.calls) {
    if (t === entryPc) continue;
    const g = functionGraph(cfg, cfg.blockOf[t], work);
    let insns = 0, leaf = g.reducible, r10 = false, writes = 0, readsBudget = false;
    for (let v = 0; v < g.n && leaf; v++) {
      const block = g.nodes[v];
      insns += cfg.blockInsns[block];
      if (g.loopHeader[v]) readsBudget = true;
      for (let pc = cfg.blockStart[block]; pc < cfg.blockEnd[block]; pc++) {
        const row = cfg.rows[pc];
        if (!row) continue;
        switch (row.format) {
          case 'call_local': case 'callx': case 'may_goto': case 'ldabs': case 'ldind': leaf = false; break;
          case 'call_helper': readsBudget = true;
        }
        if (readsR10(cfg.insns[pc], row)) r10 = true;
        if (!verified) writes |= regsWritten(cfg.insns[pc], row);
      }
    }
    if (leaf && insns <= INLINE_MAX_INSNS && (writes & (1 << 10)) === 0) {
      const pendingAfter = verified || readsBudget ? 0 : g.n === 1 ? insns : exitPending(g, cfg);
      out.set(t, { readsR10: r10, insns, writes, readsBudget, pendingAfter });
    }
  }
  return out;
}

/** What an inlined callee that reads no budget leaves pending at its first exit, as the structurer will lower it (pendingCounts). */
function exitPending(g: FunctionGraph, cfg: ProgramCfg): number {
  pendingCounts(g, new LeafCounts(cfg));
  for (let v = 0; v < g.n; v++) if (cfg.term[g.nodes[v]] === Term.exit) return g.work.pendOut[v];
  return 0;
}

/** The pending counts of code that never reads the budget: each block adds its instructions. */
class LeafCounts {
  readonly counts = true;

  constructor(private readonly cfg: ProgramCfg) {}

  pendingAfter(block: number, pending: number): number {
    return pending + this.cfg.blockInsns[block];
  }
}

/** Whether an instruction may read r10 (an inlined callee that does not needs no r10 of its own). */
function readsR10(ins: Insn, row: Opcode): boolean {
  switch (row.format) {
    case 'alu_reg': case 'jmp_reg': case 'ldx': case 'stx': case 'atomic': return ins.src === 10 || ins.dst === 10;
    case 'alu_imm': case 'jmp_imm': case 'neg': case 'endian': case 'st': return ins.dst === 10;
    default: return false;
  }
}

/** Program `p`'s index and functions, declared in the module; `inlineWork` the graph arrays of inlined callees. */
function declareProgram(
  shape: ModuleShape, common: CommonIndex, f: ProgramFacts, self: number, p: number,
  inlineWork: GraphWork | undefined,
): DeclaredProgram {
  const { mb, isRun, verified, entryPc, names } = shape;
  const { cfg } = f;
  const index = programIndex(common, self, stackZeroing(cfg), verified ? calleeArities(cfg) : new Map());
  if (!verified) index.pointers = new PointerFacts(cfg, entryPc, f.callSites, common.intrinsics, !f.writesR10);
  if (inlineWork) {
    index.inline = inlinedCallees(f, entryPc, inlineWork, verified);
    index.inlineWork = inlineWork;
  }
  // The entry, then the call targets not inlined: unverified, an entry of another form than run is its own call target.
  const entries = [entryPc];
  for (const t of cfg.calls) if ((isRun || verified || t !== entryPc) && !index.inline.has(t)) entries.push(t);
  const prefix = shape.batch ? `p${p}_` : '';
  const funcIndex: number[] = [];
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k];
    const kind = k > 0 && verified ? 'callee' : isRun && k === 0 ? 'main' : 'sub';
    const i = mb.declareFunc(kind === 'main' ? shape.mainType : kind === 'callee' ? mb.typeIndex(calleeParams(index.arity.get(entry)!), [I64]) : shape.subType);
    if (k > 0 || !(isRun || verified)) index.subs.set(entry, i);
    names.push(prefix + (kind === 'main' ? 'main' : kind === 'callee' ? `callee_${entry}` : `sub_${entry}`));
    funcIndex.push(i);
  }
  return { index, entries, funcIndex };
}

/** A program's functions, lowered. */
interface LoweredProgram {
  readonly functions: { entry: number; structured: boolean; index: number; main: boolean }[];
  readonly lowered: FunctionLowering[];
  readonly pcs: PcPairs;
}

/** Lower each function of a program into its body. */
function lowerProgram(shape: ModuleShape, f: ProgramFacts, declared: DeclaredProgram, pcs: PcPairs, work: GraphWork): LoweredProgram {
  const { cfg } = f;
  const { index, entries, funcIndex } = declared;
  const { isRun, verified, form } = shape;
  const functions: LoweredProgram['functions'] = [];
  const lowered: FunctionLowering[] = [];
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k];
    const isMain = isRun && k === 0;
    const isCallee = verified && k > 0;
    const graph = functionGraph(cfg, cfg.blockOf[entry], work);
    const frame = isMain ? MAIN_FRAME : isCallee ? CALLEE_FRAME : SUB_FRAME;
    // An unverified tail-call entry that is also a call target leaves the zeroing to tailWrapper.
    const zeroOnEntry = form.kind === 'tail' && k === 0 && !(cfg.calls.includes(entry) && !verified) ? tailWindow(index.zero) : undefined;
    const lowering = new FunctionLowering(cfg, index, frame, isMain, isCallee, graph, pcs, zeroOnEntry, f.scan);
    if (graph.reducible) emitStructured(graph, cfg, lowering);
    else emitDispatch(graph, cfg, lowering);
    // Every path has returned: the end of the body is unreachable.
    lowering.w.byte(Op.unreachable);
    const inlines = index.inline.size > 0;
    const locals = isCallee
      ? (inlines ? CALLEE_LOCALS_INLINING : CALLEE_LOCALS)[index.arity.get(entry)!]
      : inlines ? (isMain ? MAIN_LOCALS_INLINING : SUB_LOCALS_INLINING) : frame.locals;
    shape.mb.setBody(funcIndex[k], locals, lowering.w);
    functions.push({ entry, structured: graph.reducible, index: funcIndex[k], main: isMain });
    lowered.push(lowering);
  }
  index.pointers?.release();
  return { functions, lowered, pcs };
}

/**
 * A program's pc map and tail-call sites, made module offsets: its
 * functions' code starts at codeStarts[at], codeStarts[at + 1], …; its
 * inlined call sites in `siteRoom` when they fill it exactly.
 */
function placeCode(
  lowered: readonly FunctionLowering[], pcs: PcPairs, siteRoom: Int32Array, codeStarts: readonly number[], at: number,
): { pcMap: Int32Array; tailSites: Set<number>; inlined: Int32Array; faults: Int32Array } {
  const pcMap = pcs.pairs.subarray(0, pcs.count);
  const tailSites = new Set<number>();
  let sites = 0, faultCount = 0;
  for (let k = 0; k < lowered.length; k++) {
    sites += lowered[k].inlineSites.length;
    faultCount += lowered[k].faultSites.length;
  }
  const faults = faultCount === 0 ? NO_SITES : new Int32Array(faultCount);
  faultCount = 0;
  const inlined = sites === 0 ? NO_SITES : sites === siteRoom.length ? siteRoom : new Int32Array(sites);
  sites = 0;
  for (let k = 0; k < lowered.length; k++) {
    const l = lowered[k];
    const base = codeStarts[at + k];
    const end = k + 1 < lowered.length ? lowered[k + 1].pcFrom : pcs.count;
    for (let j = l.pcFrom; j < end; j += 2) pcMap[j] += base;
    for (const site of l.tailSites) tailSites.add(base + site);
    // In code order (a copy of an inlined callee's code, and its sites, is made where the code ends).
    const traps = l.faultSites;
    for (let j = 0; j < traps.length; j += 2) {
      faults[faultCount++] = base + traps[j];
      faults[faultCount++] = traps[j + 1];
    }
    const own = l.inlineSites;
    for (let j = 0; j < own.length; j += 3) {
      inlined[sites++] = base + own[j];
      inlined[sites++] = base + own[j + 1];
      inlined[sites++] = own[j + 2];
    }
  }
  return { pcMap, tailSites, inlined, faults };
}

/** The fault site (pc << 3 | Fault) whose `unreachable` is at module offset `offset`, if there is one there (CompiledProgram.faults). */
export function faultAt(faults: Int32Array, offset: number): number | undefined {
  let lo = 0, hi = faults.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = faults[2 * mid];
    if (at === offset) return faults[2 * mid + 1];
    if (at < offset) lo = mid + 1; else hi = mid - 1;
  }
  return undefined;
}

/** host(pc, kind, a, b, c, d, e, f, self). */
export const HOST_PARAMS = [I32, I32, I64, I64, I64, I64, I64, I64, ValType.externref];

/** Call host with `pushed` of its six i64 arguments on the stack (pc and kind below them); the rest are 0, then the program's self. */
function hostCall(w: ByteWriter, m: ModuleIndex, pushed: number): void {
  w.raw(m.hostCalls[pushed] ??= hostCallCode(m, pushed));
}

function hostCallCode(m: ModuleIndex, pushed: number): Uint8Array {
  const w = new ByteWriter(32);
  for (let k = pushed; k < 6; k++) w.byte2(Op.i64Const, 0);
  w.byte(Op.globalGet); w.u32(m.self);
  callSlot(w, m.host, m.hostType);
  return w.finish();
}

/** Call the imported function in slot `slot` of the table `fns` (CompiledProgram.slots), of function type `type`. */
function callSlot(w: ByteWriter, slot: number, type: number): void {
  w.byte(Op.i32Const); w.s32(slot);
  w.byte(Op.callIndirect); w.u32(type); w.byte(0);
}

/** The mutable globals every module of a runtime shares (see the module comment). */
export const SHARED_GLOBALS: readonly (readonly [string, ValType])[] = [
  ['fuel', I64], ['depth', I32], ['r0', I64], ['r6', I64], ['r7', I64], ['r8', I64], ['r9', I64],
  ['pktData', I32], ['pktLen', I32], ['tailPending', I32],
];

/**
 * The globals a module imports, in order (each program's self follows): frameTop (immutable), the budget,
 * the depth and the packet always; r0 and r6–r9 where code reads or writes them (the publishing around
 * an unverified program's helper calls, syncOut, and the callback wrapper); the tail-call ones in a module
 * that may take a tail call (takePendingTail).
 */
export function moduleGlobals(verified: boolean, form: ModuleForm, tailImport: boolean): readonly (readonly [string, ValType])[] {
  const regs = !verified || form.kind === 'callback';
  const out: (readonly [string, ValType])[] = [['frameTop', I32]];
  for (const g of SHARED_GLOBALS) {
    const name = g[0];
    if (name === 'tailPending' ? tailImport : regs || !(name === 'r0' || name === 'r6' || name === 'r7' || name === 'r8' || name === 'r9')) out.push(g);
  }
  if (tailImport) out.push(['tailId', I32], ['tailCount', I32]);
  return out;
}

/**
 * callback(r1..r5) → r0: the function at `pc` on the frame after the
 * calling helper's, starting from the caller's r0 and r6–r9 (the shared
 * globals), on the shared budget; the caller's registers stay its own.
 */
function callbackWrapper(mb: ModuleBuilder, m: ModuleIndex, entry: number, pc: number): number {
  const f = mb.declareFunc(mb.typeIndex([I64, I64, I64, I64, I64], [I64]));
  const w = new ByteWriter(96);
  const d = 5;
  w.byte(Op.globalGet); w.u32(m.depth);
  w.byte2(Op.i32Const, 1);
  w.byte(Op.i32Add);
  w.byte2(Op.localTee, d);
  w.byte(Op.i32Const); w.s32(MAX_CALL_FRAMES);
  w.byte(Op.i32GeU);
  w.byte2(Op.if, ValType.void);
  w.byte2(Op.i32Const, 0);
  w.byte(Op.i32Const); w.s32(HostCall.fault - Fault.callbackDepth);
  w.byte(Op.i64Const); w.s32(pc);
  hostCall(w, m, 1);
  w.byte(Op.drop);
  w.byte(Op.unreachable);
  w.byte(Op.end);
  w.byte(Op.globalGet); w.u32(m.regs[0]);
  for (let r = 0; r < 5; r++) w.byte2(Op.localGet, r);
  for (const r of [6, 7, 8, 9]) { w.byte(Op.globalGet); w.u32(m.regs[r]); }
  w.byte2(Op.localGet, d);
  w.byte(Op.globalGet); w.u32(m.fuel);
  w.byte(Op.call); w.u32(entry);
  w.byte(Op.globalSet); w.u32(m.fuel);
  for (let r = 5; r >= 1; r--) w.byte(Op.drop);
  // The callback's helper calls published its own depth: the caller's goes back, or the helper's next call (bpf_loop's next iteration) would nest one frame deeper.
  w.byte2(Op.localGet, d); w.byte2(Op.i32Const, 1); w.byte(Op.i32Sub);
  w.byte(Op.globalSet); w.u32(m.depth);
  mb.setBody(f, [I32], w);
  return f;
}

/**
 * What a tail call zeroes of the target's frame, relative to its r10 (as
 * the interpreter zeroes the frame): only what the program can read
 * (stackZeroing's window, within the frame), or undefined for nothing.
 */
function tailWindow(zero: StackZeroing): readonly [number, number] | undefined {
  const [lo, hi] = zero === 'all' ? [-MAX_BPF_STACK, 0] : zero ? [Math.max(zero[0], -MAX_BPF_STACK), Math.min(zero[1], 0)] : [0, 0];
  return lo < hi ? [lo, hi] : undefined;
}

/** Zero [r10 + lo, r10 + hi), r10 the i32 on the stack (left there); `temp`, `base`: i32 locals. */
function zeroWindow(w: ByteWriter, [lo, hi]: readonly [number, number], temp: number, base: number): void {
  w.byte2(Op.localTee, temp);
  w.byte(Op.i32Const); w.s32(lo);
  w.byte(Op.i32Add);
  if (hi - lo > ZERO_BY_STORES) {
    w.byte2(Op.i32Const, 0);
    w.byte(Op.i32Const); w.s32(hi - lo);
    w.byte(0xfc); w.byte2(0x0b, 0x00);
  } else {
    w.byte2(Op.localSet, base);
    for (let at = 0; at < hi - lo; at += 8) {
      w.byte2(Op.localGet, base);
      w.byte2(Op.i64Const, 0);
      w.byte(Op.i64Store); w.byte(3); w.u32(at);
    }
  }
  w.byte2(Op.localGet, temp);
}

/**
 * enter(r0..r9, depth, fuel) → (r0..r5, fuel): the program from pc 0 in
 * frame `depth`, its frame's window zeroed (tailWindow), when pc 0 is also
 * a bpf-to-bpf call target (whose calls must not zero it); otherwise the
 * entry function zeroes the window itself and is the export.
 */
function tailWrapper(mb: ModuleBuilder, m: ModuleIndex, entry: number): number {
  const f = mb.declareFunc(mb.typeIndex(SUB_PARAMS, SUB_RESULTS));
  const w = new ByteWriter(64);
  const window = tailWindow(m.zero);
  if (window) {
    w.byte(Op.globalGet); w.u32(m.frameTop);
    w.byte2(Op.localGet, 10);
    w.byte(Op.i32Const); w.s32(FRAME_SPAN);
    w.byte(Op.i32Mul);
    w.byte(Op.i32Add);
    zeroWindow(w, window, SUB_PARAMS.length, SUB_PARAMS.length + 1);
    w.byte(Op.drop);
  }
  for (let k = 0; k < SUB_PARAMS.length; k++) w.byte2(Op.localGet, k);
  w.byte(Op.returnCall); w.u32(entry);
  mb.setBody(f, window ? [I32, I32] : [], w);
  return f;
}

/** The pc whose code contains module offset `offset`, or undefined. */
export function pcAt(pcMap: Int32Array, offset: number): number | undefined {
  let lo = 0, hi = pcMap.length / 2 - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (pcMap[2 * mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found < 0 ? undefined : pcMap[2 * found + 1];
}
