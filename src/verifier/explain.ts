/**
 * Beyond the kernel: a rejection explained in the program's own terms. The
 * log stays the kernel's, byte for byte; this adds what a reader has to dig
 * out of it by hand — the C source line (BTF line_info), the conditional
 * jumps of the failing path, what was known about the registers the failing
 * instruction used, and a hint that fixes the common cases.
 *
 * Everything here runs once, after the walk has stopped: the walk only
 * records the path's jump decisions (three numbers per jump) and keeps its
 * current state, so the verifier's hot loop pays nothing for it.
 */
import { btfTypeName } from './btf-ptr.js';
import { formatInsn } from '../asm/index.js';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_DW, BPF_EXIT, BPF_IMM, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_PSEUDO_CALL,
  BPF_ST, BPF_STX, BPF_X, type Insn,
} from '../isa/index.js';
import { helperName } from '../platform/helper-ids.js';
import { HELPER_PROTOS, type BpfFuncProto } from '../platform/helper-protos.js';
import { PROGRAM_TYPES } from '../platform/program-types.js';
import type { ProgramTypeInfo } from './program-type.js';
import { BPF_REG_SIZE, MAX_BPF_STACK, regStr, type FuncState, type MapInfo, type RegState, type VerifierState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';
import type { SourceLine } from './verifier.js';

/** How the walk left a conditional jump, as `Env.path` records it. */
export const PATH_FALLTHROUGH = 0;
export const PATH_TAKEN = 1;
/** The verifier knew the outcome from the registers: only one way was possible. */
export const PATH_NEVER_TAKEN = 2;
export const PATH_ALWAYS_TAKEN = 3;
/** A goto, a bpf-to-bpf call or a return to the caller: with these the path's every transfer is recorded. */
export const PATH_JUMP = 4;

/** One conditional jump on the failing path. */
export interface PathStep {
  /** The jump instruction. */
  from: number;
  /** Where the path went next. */
  to: number;
  taken: boolean;
  /** The verifier knew which way it goes (the other way was impossible on this path). */
  decided: boolean;
}

export interface RegisterFact {
  regno: number;
  /** The state as the kernel's log prints it after `R2=`. */
  state: string;
  /** The same in words. */
  meaning: string;
}

export interface Explanation {
  insn: number;
  /** The kernel's message, unchanged. */
  message: string;
  /** The failing instruction as the log prints it. */
  instruction: string;
  /** The C source line the instruction came from (BTF line_info), when known. */
  source: SourceLine | null;
  /**
   * The conditional jumps that led to the instruction, in order (the latest
   * MAX_PATH_KEPT); null when the rejection is not on one path (structure
   * checks, the combined stack size).
   */
  path: PathStep[] | null;
  /** Earlier conditional jumps of the path that `path` leaves out. */
  pathOmitted: number;
  /** The bpf-to-bpf call instructions the failing frame was called through, outermost first. */
  callChain: number[];
  /** The same frames with how each was entered: a bpf-to-bpf call, or a helper calling its callback (bpf_loop…). */
  frames: CallFrame[];
  /** The global function (subprogram number) the failing path belongs to, verified on its own; null for the main program. */
  globalFunc: number | null;
  registers: RegisterFact[];
  /** What usually fixes it, or null when we have nothing better than the message. */
  hint: string | null;
}

export interface CallFrame {
  callsite: number;
  kind: 'subprog' | 'callback';
  /** For a callback, the helper that calls it. */
  helper?: string;
}

/** What `verify` hands over when it stops on a rejection. */
export interface RejectionContext {
  insns: readonly Insn[];
  error: { insn: number; message: string };
  /** The state of the failing path, null when the rejection came before the walk (structure checks). */
  state: VerifierState | null;
  /** `Env.path`: from, to, kind triples, every non-sequential step of the failing path in order. */
  path: readonly number[];
  prog: ProgramTypeInfo;
  maps: readonly MapInfo[];
  lineInfo?: readonly SourceLine[];
}

/** Runs of steps printed in the text; earlier jumps are counted. */
const MAX_PATH_SHOWN = 12;
/** Jumps kept in `Explanation.path`. */
const MAX_PATH_KEPT = 256;

export function explainRejection(ctx: RejectionContext): Explanation {
  const { insns, error } = ctx;
  const idx = error.insn;
  const frame = ctx.state ? ctx.state.frames[ctx.state.frames.length - 1] : null;
  // The latest MAX_PATH_KEPT conditional jumps; a path to the complexity limit has hundreds of thousands.
  const path: PathStep[] = [];
  let pathOmitted = 0;
  for (let i = ctx.path.length - 3; i >= 0; i -= 3) {
    const kind = ctx.path[i + 2];
    if (kind === PATH_JUMP) continue;
    if (path.length === MAX_PATH_KEPT) {
      pathOmitted++;
      continue;
    }
    path.push({ from: ctx.path[i], to: ctx.path[i + 1], taken: kind === PATH_TAKEN || kind === PATH_ALWAYS_TAKEN, decided: kind !== PATH_FALLTHROUGH && kind !== PATH_TAKEN });
  }
  path.reverse();
  const ex: Explanation = {
    insn: idx,
    message: error.message,
    instruction: describeInsn(insns, idx),
    source: sourceLine(ctx.lineInfo, idx),
    path: ctx.state ? path : null,
    pathOmitted,
    callChain: ctx.state ? ctx.state.frames.slice(1).map((f) => f.callsite) : [],
    frames: ctx.state ? ctx.state.frames.slice(1).map((f) => callFrame(insns, f)) : [],
    globalFunc: ctx.state && ctx.state.frames[0].subprogno !== 0 ? ctx.state.frames[0].subprogno : null,
    registers: frame ? involvedRegisters(ctx, frame) : [],
    hint: null,
  };
  ex.hint = hintFor(ctx, frame);
  return ex;
}

/** The explanation as the CLI prints it after the log, one fact a line. */
export function formatExplanation(ex: Explanation): string {
  const lines = [`rejected at insn ${ex.insn}: ${ex.instruction}`];
  if (ex.source) {
    const text = ex.source.line.trim();
    lines.push(`  source: ${ex.source.fileName}:${ex.source.lineNum}:${ex.source.lineCol}${text ? `: ${text}` : ''}`);
  }
  lines.push(`  error: ${ex.message.split('\n').join('; ')}`);
  if (ex.globalFunc !== null) lines.push(`  in: global function func#${ex.globalFunc}, verified on its own for any arguments its prototype allows`);
  if (ex.frames.length) lines.push(`  called from: ${ex.frames.map(frameStr).join(' -> ')}`);
  if (ex.path?.length) {
    // Runs of the same step (a loop's back edge) print once with a count.
    const runs: { text: string; n: number }[] = [];
    for (const s of ex.path) {
      const text = stepStr(s);
      if (runs.length && runs[runs.length - 1].text === text) runs[runs.length - 1].n++;
      else runs.push({ text, n: 1 });
    }
    const shown = runs.slice(-MAX_PATH_SHOWN);
    const skipped = runs.slice(0, runs.length - shown.length).reduce((n, r) => n + r.n, ex.pathOmitted);
    const steps = shown.map((r) => (r.n > 1 ? `${r.text} x${r.n}` : r.text));
    lines.push(`  path: ${skipped ? `(${skipped} earlier jumps) ` : ''}${steps.join(', ')}`);
  } else if (ex.path) {
    lines.push('  path: straight from the start, no conditional jump');
  }
  for (const r of ex.registers) lines.push(`  R${r.regno}=${r.state}: ${r.meaning}`);
  if (ex.hint) lines.push(`  hint: ${ex.hint}`);
  return lines.join('\n') + '\n';
}

function callFrame(insns: readonly Insn[], f: FuncState): CallFrame {
  if (!f.inCallbackFn) return { callsite: f.callsite, kind: 'subprog' };
  return { callsite: f.callsite, kind: 'callback', helper: helperName(insns[f.callsite]?.imm ?? -1) ?? undefined };
}

function frameStr(f: CallFrame): string {
  return f.kind === 'callback' ? `insn ${f.callsite} (${f.helper ?? 'helper'} callback)` : `insn ${f.callsite}`;
}

function stepStr(s: PathStep): string {
  const how = s.decided ? (s.taken ? 'always taken' : 'never taken') : (s.taken ? 'taken' : 'not taken');
  return `${s.from}->${s.to} (${how})`;
}

function describeInsn(insns: readonly Insn[], idx: number): string {
  if (!insns[idx]) return `(no instruction ${idx})`;
  try {
    return formatInsn(insns, idx, { format: 'kernel', helperName });
  } catch {
    return `(code 0x${insns[idx].code.toString(16).padStart(2, '0')})`;
  }
}

/**
 * The last line_info record at or before `idx`: clang emits one where a
 * source line's code begins. Line 0 marks code the compiler made up (no
 * source line of its own): the record before it tells more.
 */
function sourceLine(lineInfo: readonly SourceLine[] | undefined, idx: number): SourceLine | null {
  let best: SourceLine | null = null;
  for (const li of lineInfo ?? []) {
    if (li.lineNum > 0 && li.insnOff <= idx && (!best || li.insnOff >= best.insnOff)) best = li;
  }
  return best;
}

const cls = (ins: Insn): number => ins.code & 0x07;
const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
const CALL = BPF_JMP | BPF_CALL;
const EXIT = BPF_JMP | BPF_EXIT;

/** `a 4-byte`, `an 8-byte`. */
const sized = (n: number): string => `${n === 8 || n === 11 || n === 18 ? 'an' : 'a'} ${n}-byte`;

/** The registers the message names, or else the ones the instruction reads. */
function involvedRegisters(ctx: RejectionContext, frame: FuncState): RegisterFact[] {
  const text = ctx.error.message.split('\n').filter((l) => !/^(cur|old) state:/.test(l)).join('\n');
  const named = [...text.matchAll(/\bR(\d+)\b/g)].map((m) => Number(m[1])).filter((r) => r <= 10);
  const regs = named.length ? named : readsOf(ctx, ctx.error.insn);
  return [...new Set(regs)].map((regno) => {
    const r = frame.regs[regno];
    return { regno, state: r.type === 'not_init' ? '?' : regStr(r, frame.frameno, ctx.maps), meaning: regMeaning(r, regno, ctx) };
  });
}

function readsOf(ctx: RejectionContext, idx: number): number[] {
  const ins = ctx.insns[idx];
  if (!ins) return [];
  const x = (ins.code & 0x08) === BPF_X;
  switch (cls(ins)) {
    case BPF_LDX: return [ins.src];
    case BPF_STX: return [ins.dst, ins.src];
    case BPF_ST: return [ins.dst];
    case BPF_ALU: case BPF_ALU64: return x ? [ins.dst, ins.src] : [ins.dst];
    case BPF_JMP: case BPF_JMP32: {
      const op = ins.code & 0xf0;
      if (op === BPF_CALL && ins.src === 0) return Array.from({ length: protoOf(ctx, ins)?.args.length ?? 0 }, (_, i) => i + 1);
      if (op === BPF_EXIT) return [0];
      if (op === BPF_JA || op === BPF_CALL) return [];
      return x ? [ins.dst, ins.src] : [ins.dst];
    }
    default: return [];
  }
}

function protoOf(ctx: RejectionContext, ins: Insn | undefined): BpfFuncProto | undefined {
  return ins && ins.code === CALL && ins.src === 0 ? ctx.prog.proto(ins.imm) : undefined;
}

/** The bounds that say most: one range when the value is never negative, else the signed and the unsigned ones that are bounded. */
function range(r: RegState): string {
  if (tnumIsConst(r.varOff)) return `${BigInt.asIntN(64, r.varOff.value)}`;
  if (r.smin >= 0n) return `[${r.smin}, ${r.smax}]`;
  const signed = r.smin !== -(1n << 63n) || r.smax !== (1n << 63n) - 1n;
  const unsigned = r.umin !== 0n || r.umax !== (1n << 64n) - 1n;
  if (unsigned && !signed) return `[${r.umin}, ${r.umax}] (unsigned)`;
  if (unsigned) return `[${r.smin}, ${r.smax}] (signed), [${r.umin}, ${r.umax}] (unsigned)`;
  return `[${r.smin}, ${r.smax}]`;
}

/** Plus the variable part of a pointer, when it has one. */
function varPart(r: RegState): string {
  return tnumIsConst(r.varOff) && r.varOff.value === 0n ? '' : ` plus a variable offset in ${range(r)} (var_off=${tnumStr(r.varOff)})`;
}

function regMeaning(r: RegState, regno: number, ctx: RejectionContext): string {
  const nullable = r.maybeNull ? ', or NULL: not yet compared with 0 on this path' : '';
  switch (r.type) {
    case 'not_init':
      return 'never written on this path';
    case 'scalar':
      if (tnumIsConst(r.varOff)) return 'a number, known exactly';
      return r.smin === -(1n << 63n) && r.smax === (1n << 63n) - 1n && r.umax === (1n << 64n) - 1n ? 'a number the verifier knows nothing about' : `a number in ${range(r)}`;
    case 'ctx':
      return `the context (struct ${ctx.prog.ctx.struct} *)${r.off ? ` moved by ${r.off} bytes` : ''}${varPart(r)}`;
    case 'pkt': case 'pkt_meta': {
      const base = r.type === 'pkt' ? 'data' : 'data_meta';
      const known = r.range > 0 ? `${r.range} bytes from it are proven inside the packet` : r.range < 0 ? 'on this path it is at or past data_end' : 'no byte of it is proven inside the packet (no bounds check covers it)';
      return `a packet pointer, ${base} + ${r.off}${varPart(r)}; ${known}`;
    }
    case 'pkt_end':
      return 'data_end: only compared with packet pointers, never read through';
    case 'map_ptr':
      return `the map ${mapName(ctx, r)} itself (an argument for map helpers, not memory)`;
    case 'map_value':
      return `a pointer into a value of ${mapName(ctx, r)} (${ctx.maps[r.mapIndex]?.valueSize ?? '?'} bytes), at offset ${r.off}${varPart(r)}${nullable}`;
    case 'map_key':
      return `a pointer to a key of ${mapName(ctx, r)}${nullable}`;
    case 'fp':
      return regno === 10 ? 'the frame pointer (read-only)' : `a stack pointer, fp${r.off >= 0 ? '+' : ''}${r.off}${varPart(r)}`;
    case 'mem':
      return `${r.ringbuf ? 'a ring buffer reservation' : 'memory'} of ${r.memSize} bytes${r.off ? ` at offset ${r.off}` : ''}${varPart(r)}${nullable}`;
    case 'func':
      return 'a callback function';
    case 'sock_common': case 'sock': case 'tcp_sock': case 'xdp_sock':
      return `a socket (struct bpf_${r.type === 'sock_common' ? 'sock' : r.type} *, read-only, no arithmetic)${nullable}`;
    case 'ptr_': {
      const trust = r.untrusted ? ', untrusted: loads only, no helper takes it' : r.rcu ? ', trusted inside this RCU section' : '';
      return `a kernel struct ${btfTypeName(r.btfId)} * (read-only, its fields at the kernel's offsets${trust})${r.off ? ` at offset ${r.off}` : ''}${varPart(r)}${nullable}`;
    }
  }
}

function mapName(ctx: RejectionContext, r: RegState): string {
  const m = ctx.maps[r.mapIndex];
  return m?.name ? `'${m.name}'` : `#${r.mapIndex}`;
}

/** The verdict a program returns to drop the packet, for the bounds-check hint. */
function dropReturn(prog: ProgramTypeInfo): string {
  const drop = prog.spec.verdicts.find((v) => /DROP|SHOT/.test(v.name));
  return drop ? drop.name : '0';
}

/** The register's stack frame bytes [off, off+size) that hold nothing, as `fp-8..fp-5`. */
function uninitBytes(frame: FuncState | null, off: number, size: number): string {
  if (!frame) return '';
  const runs: string[] = [];
  let start: number | null = null;
  for (let o = off; o <= off + size; o++) {
    const spi = Math.floor((-o - 1) / BPF_REG_SIZE);
    const invalid = o < off + size && (frame.stack[spi]?.slotType[(-o - 1) % BPF_REG_SIZE] ?? 'invalid') === 'invalid';
    if (invalid && start === null) start = o;
    if (!invalid && start !== null) {
      runs.push(o - 1 === start ? `fp${start}` : `fp${start}..fp${o - 1}`);
      start = null;
    }
  }
  return runs.join(', ');
}

/** At most this many instructions are walked back along the path. */
const MAX_WALK_BACK = 100_000;

/**
 * The instructions of the failing path before `idx`, latest first. The path
 * records every non-sequential step, so the walk is exact: arriving at an
 * instruction that the latest unconsumed step jumped to means coming from
 * that step's source. `viaReturn` marks the exit of a callee returning here.
 */
function* walkBack(ctx: RejectionContext, idx: number): Generator<{ insn: number; landed: number; viaCall: boolean; viaReturn: boolean }> {
  let p = idx;
  let k = ctx.path.length - 3;
  for (let n = 0; n < MAX_WALK_BACK; n++) {
    let viaCall = false, viaReturn = false;
    const landed = p;
    if (k >= 0 && ctx.path[k + 1] === p) {
      p = ctx.path[k];
      const from = ctx.insns[p];
      viaCall = from?.code === CALL && from.src === BPF_PSEUDO_CALL;
      viaReturn = from?.code === EXIT;
      k -= 3;
    } else {
      p--;
      if (p > 0 && ctx.insns[p - 1]?.code === LD_IMM64) p--;
    }
    if (p < 0) return;
    yield { insn: p, landed, viaCall, viaReturn };
  }
}

/**
 * The latest conditional jump on the path that compared a pointer of `r`'s
 * packet (the same id) with the packet's end, judged by what the registers
 * hold now.
 */
function packetCheck(ctx: RejectionContext, frame: FuncState, r: RegState): { from: number; taken: boolean; jmp32: boolean } | null {
  const end = r.type === 'pkt' ? 'pkt_end' : 'pkt';
  for (let i = ctx.path.length - 3; i >= 0; i -= 3) {
    const kind = ctx.path[i + 2];
    const ins = ctx.insns[ctx.path[i]];
    if (kind === PATH_JUMP || !ins || (ins.code & 0x08) !== BPF_X) continue;
    const [a, b] = [frame.regs[ins.dst], frame.regs[ins.src]];
    const matches = (p: RegState, e: RegState): boolean => p.type === r.type && p.id === r.id && e.type === end;
    if (matches(a, b) || matches(b, a)) return { from: ctx.path[i], taken: kind === PATH_TAKEN || kind === PATH_ALWAYS_TAKEN, jmp32: cls(ins) === BPF_JMP32 };
  }
  return null;
}

/** The latest call on the path to a helper whose result may be NULL. */
function nullableSource(ctx: RejectionContext, idx: number): { insn: number; helper: string } | null {
  for (const { insn } of walkBack(ctx, idx)) {
    const proto = protoOf(ctx, ctx.insns[insn]);
    if (proto?.ret.flags.includes('PTR_MAYBE_NULL')) return { insn, helper: proto.helper };
  }
  return null;
}

/** The latest call on the path to a helper that may change packet data (it takes the context). */
function packetChanger(ctx: RejectionContext, idx: number): { insn: number; helper: string } | null {
  if (ctx.prog.spec.packetAccess === 'none') return null;
  for (const { insn } of walkBack(ctx, idx)) {
    const proto = protoOf(ctx, ctx.insns[insn]);
    if (proto && (proto.changesPktData || proto.helper === 'bpf_tail_call')) return { insn, helper: proto.helper };
  }
  return null;
}

/** What last wrote (or clobbered) register `regno` on the path before `idx`, within the function. */
function lastWriter(ctx: RejectionContext, idx: number, regno: number): { insn: number; kind: 'write' | 'call' | 'entry' } | null {
  for (const { insn, landed, viaCall, viaReturn } of walkBack(ctx, idx)) {
    if (viaCall) return { insn, kind: 'entry' };
    if (viaReturn) return { insn: landed - 1, kind: 'call' };
    const ins = ctx.insns[insn];
    if (ins.code === CALL) return { insn, kind: 'call' };
    const c = cls(ins);
    if ((c === BPF_ALU || c === BPF_ALU64 || c === BPF_LDX || ins.code === LD_IMM64) && ins.dst === regno) return { insn, kind: 'write' };
  }
  return null;
}

const ARG_WORDS: Record<string, string> = {
  ARG_CONST_MAP_PTR: 'a map (`&my_map` in C, `r1 = map[...]` in assembly)',
  ARG_PTR_TO_MAP_KEY: 'a pointer to a key (on the stack, in a map value or the packet)',
  ARG_PTR_TO_MAP_VALUE: 'a pointer to a value (on the stack, in a map value or the packet)',
  ARG_PTR_TO_MEM: 'a pointer to initialised memory (stack, map value, packet)',
  ARG_PTR_TO_UNINIT_MEM: 'a pointer to memory it may write (stack, map value)',
  ARG_PTR_TO_CTX: 'the program\'s context pointer, unmodified (R1 at entry)',
  ARG_CONST_SIZE: 'a size the verifier can bound, greater than 0',
  ARG_CONST_SIZE_OR_ZERO: 'a size the verifier can bound',
  ARG_PTR_TO_RINGBUF_MEM: 'a pointer returned by bpf_ringbuf_reserve (not NULL-checked away, not moved)',
  ARG_ANYTHING: 'any value',
};

/**
 * The helpers that release what `acquirer` returns: the OBJ_RELEASE helpers
 * of its family (`bpf_ringbuf_*`) that take the same kind of reference (a
 * pointer, or a dynptr).
 */
function releasersOf(acquirer: BpfFuncProto): string[] {
  const family = acquirer.helper.slice(0, acquirer.helper.lastIndexOf('_') + 1);
  const dynptr = acquirer.refs.acquire === 'dynptr';
  const names = Object.values(HELPER_PROTOS).filter((p) => {
    if (p.refs.release === undefined || !p.helper.startsWith(family)) return false;
    return p.args[p.refs.release - 1].type.includes('DYNPTR') === dynptr;
  }).map((p) => p.helper);
  return [...new Set(names)];
}

function hintFor(ctx: RejectionContext, frame: FuncState | null): string | null {
  const msg = ctx.error.message;
  const idx = ctx.error.insn;
  const ins = ctx.insns[idx];
  const reg = (regno: number): RegState | undefined => frame?.regs[regno];
  let m: RegExpExecArray | null;

  if ((m = /^invalid access to packet, off=(-?\d+) size=(\d+), R(\d+)/.exec(msg))) {
    const [off, size, regno] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const r = reg(regno);
    const meta = r?.type === 'pkt_meta';
    const base = meta ? 'data_meta' : 'data', end = meta ? 'data' : 'data_end';
    const drop = dropReturn(ctx.prog);
    if (off < 0) return `R${regno} points before ${base}: packet pointers may only move forward from ${base}`;
    if (r && r.range < 0) return `on this path R${regno} is at or past ${end}: read in the branch where the bounds check succeeded (the other side of the comparison)`;
    if (r && !(tnumIsConst(r.varOff) && r.varOff.value === 0n)) {
      return `R${regno} has a variable offset: bound the offset first, then check the moved pointer itself — \`if (ptr + ${off + size} > ${end}) return ${drop};\` — after adding the offset, before this access`;
    }
    const need = off + size;
    const check = r && frame ? packetCheck(ctx, frame, r) : null;
    if (check?.jmp32) {
      return `the comparison at insn ${check.from} (\`${describeInsn(ctx.insns, check.from).replace(/^\(\w+\) /, '')}\`) is 32-bit: the verifier learns packet bounds only from 64-bit comparisons of the pointers — compare the pointers themselves, \`if (${base} + ${need} > ${end}) return ${drop};\``;
    }
    if (check && r && r.range === 0) {
      return `the bounds check at insn ${check.from} (\`${describeInsn(ctx.insns, check.from).replace(/^\(\w+\) /, '')}\`) is there, but this path is its failing side (the jump was ${check.taken ? 'taken' : 'not taken'}): do the access on the other side, and return ${drop} on this one`;
    }
    if (r && r.range > 0) {
      return `the bounds check on this path proves only ${r.range} bytes (${base} + ${r.range} <= ${end}) but this access needs ${need}: make it \`if (${base} + ${need} > ${end}) return ${drop};\``;
    }
    return `add \`if (${base} + ${need} > ${end}) return ${drop};\` before this ${cls(ins) === BPF_LDX ? 'read' : 'access'} (it touches bytes ${off}..${need - 1} of the packet)`;
  }
  if (msg === 'cannot write into packet') {
    const writers = Object.values(PROGRAM_TYPES).filter((p) => p.packetAccess === 'read-write').map((p) => p.name.toLowerCase());
    return `${ctx.prog.spec.name.toLowerCase()} programs may only read the packet; types that may write it: ${writers.join(', ')} (or use a helper such as bpf_skb_store_bytes)`;
  }
  if ((m = /^R(\d+) invalid mem access '(\w+)'/.exec(msg))) {
    const [regno, type] = [Number(m[1]), m[2]];
    if (type.endsWith('_or_null') || type === 'ptr_or_null_') return nullCheckHint(ctx, idx, regno);
    if (type === 'scalar') {
      const r = reg(regno);
      const src = nullableSource(ctx, idx);
      if (r && tnumIsConst(r.varOff) && r.varOff.value === 0n && src) {
        return `on this path R${regno} is NULL: ${src.helper} (insn ${src.insn}) returned NULL and the check sent this path the NULL way — dereference only in the branch where the pointer is not 0`;
      }
      // clear_all_pkt_pointers leaves unknown scalars where packet pointers were.
      const changer = r && !tnumIsConst(r.varOff) && r.umax === (1n << 64n) - 1n && r.smin === -(1n << 63n) ? packetChanger(ctx, idx) : null;
      if (changer) {
        return `${changer.helper} (insn ${changer.insn}) may change the packet, so every packet pointer became a number after it: load data and data_end from the context again and redo the bounds check after the call`;
      }
      return `R${regno} holds a number, not a pointer: only pointers the verifier tracks (ctx, stack, map values, checked packet pointers) can be dereferenced — was it read from memory as an integer, or computed from a pointer with an operation that loses the pointer type?`;
    }
    if (type === 'pkt_end') return 'data_end marks the end of the packet: compare packet pointers with it, never read through it';
    if (type === 'map_ptr') return `R${regno} is the map itself: look up an element (bpf_map_lookup_elem) and read through the returned value pointer`;
    return null;
  }
  if ((m = /^R(\d+) type=(\w+) expected=(.*)$/m.exec(msg))) {
    const [regno, type] = [Number(m[1]), m[2]];
    if (type.endsWith('_or_null') || type === 'ptr_or_null_') return nullCheckHint(ctx, idx, regno);
    if (type.startsWith('untrusted_ptr_') || type === 'rdonly_untrusted_mem') {
      return `R${regno} was read out of a kernel struct through a union or another untrusted pointer: such pointers may only be read through, never passed to a helper — pass the socket the cast returned instead`;
    }
    const proto = protoOf(ctx, ins);
    if (proto && type === 'scalar' && m[3] === 'ringbuf_mem') {
      return `R${regno} is no longer a reservation: submitting or discarding releases it and turns every copy of the pointer into a number — release each reservation exactly once`;
    }
    if (proto) {
      const arg = proto.args[regno - 1];
      const want = arg ? ARG_WORDS[arg.type] ?? arg.type : 'another type';
      const extra = type === 'scalar' && arg?.type !== 'ARG_CONST_MAP_PTR' ? ' — pass an address (`&x`), not a value' : '';
      return `argument ${regno} of ${proto.helper} must be ${want}; R${regno} holds ${type}${extra}`;
    }
    return null;
  }
  if (msg === 'only read is supported') return 'kernel structs reached through bpf_skc_to_* (and other BTF-typed pointers) are read-only: keep what you want to change in a map or on the stack';
  if (/^access beyond (struct|the end of member) |^cannot access ptr member |doesn't have field at offset /.test(msg)) {
    return 'the load does not match a member of the kernel struct: read whole members at their offsets in this kernel (vmlinux.h and BPF_CORE_READ give the right offset and size)';
  }
  if ((m = /^R(\d+) is ptr_(\w+) invalid (negative access|variable offset)/.exec(msg))) {
    return `a kernel struct pointer reads only at constant offsets inside struct ${m[2]}: index with a constant, not a variable`;
  }
  if ((m = /pointer arithmetic on (\w+)_or_null prohibited/.exec(msg))) return nullCheckHint(ctx, idx, Number(/^R(\d+)/.exec(msg)?.[1] ?? 0));
  if ((m = /^invalid (indirect )?read from stack (?:R(\d+) )?off (-?\d+)\+(\d+) size (\d+)/.exec(msg))) {
    const [off, size] = [Number(m[3]), Number(m[5])];
    const r = m[2] !== undefined ? reg(Number(m[2])) : undefined;
    const f = r && ctx.state ? ctx.state.frames.find((fr) => fr.frameno === r.frameno) ?? frame : frame;
    const bytes = uninitBytes(f, off, size) || `fp${off + Number(m[4])}`;
    const proto = protoOf(ctx, ins);
    const who = proto ? `${proto.helper} reads ${size} bytes at fp${off}` : `this load reads ${size} bytes at fp${off}`;
    return `${who}, but ${bytes} ${bytes.includes('..') || bytes.includes(',') ? 'were' : 'was'} never written on this path: initialise the whole object first (\`struct key k = {};\` or \`__builtin_memset(&k, 0, sizeof(k))\`; struct padding is a common culprit)`;
  }
  if ((m = /^invalid variable-offset read from stack R(\d+)/.exec(msg))) {
    return `some of the stack bytes R${m[1]} may reach were never written: initialise the whole buffer before reading it at a variable offset`;
  }
  if ((m = /^R(\d+) !read_ok/.exec(msg))) return uninitRegHint(ctx, idx, Number(m[1]));
  if ((m = /^invalid access to (map value|map key|memory), (?:value_size|key_size|mem_size)=(\d+) off=(-?\d+) size=(\d+)\nR(\d+) (min|max) value/.exec(msg))) {
    const [what, total, off, size, regno] = [m[1], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
    const r = reg(regno);
    const valid = total >= size ? `offsets 0..${total - size} for ${sized(size)} access (the ${what} has ${total} bytes)` : `nothing: the ${what} has only ${total} bytes`;
    if (r && !tnumIsConst(r.varOff)) {
      const limit = total - size - r.off;
      return `R${regno} is at offset ${r.off} plus an index in ${range(r)}, reaching offset ${off} for ${sized(size)} access; valid are ${valid}: bound the index, e.g. \`if (i > ${Math.max(limit, 0)}) return 0;\` (or \`i &= mask\`) before using it`;
    }
    return `${accessVerb(ctx, ins)} bytes ${off}..${off + size - 1}; valid are ${valid}`;
  }
  if ((m = /^R(\d+) unbounded memory access/.exec(msg))) {
    const r = reg(Number(m[1]));
    return `the index added to R${m[1]} has no upper bound the verifier can see${r ? ` (${range(r)})` : ''}: compare it with a constant (\`if (i >= N) return 0;\`) or mask it (\`i &= N - 1\`) before the access`;
  }
  if ((m = /^R(\d+) min value is negative/.exec(msg))) {
    return `R${m[1]} may be negative: use an unsigned type for the index or size, or check \`if (i < 0) return 0;\` first`;
  }
  if ((m = /^invalid (?:unbounded )?(?:variable-offset )?(read from|write to) stack R(\d+)(?: var_off=\S+)? off=(-?\d+) size=(\d+)/.exec(msg))) {
    const [regno, off, size] = [Number(m[2]), Number(m[3]), Number(m[4])];
    const r = reg(regno);
    const at = r && !tnumIsConst(r.varOff) ? `fp${off >= 0 ? '+' : ''}${off} plus ${range(r)}` : `fp${off >= 0 ? '+' : ''}${off}`;
    const proto = protoOf(ctx, ins);
    const what = proto ? `${proto.helper} ${m[1] === 'read from' ? 'reads' : 'writes'} ${size} bytes through R${regno}, at ${at}` : `${sized(size)} ${m[1] === 'read from' ? 'read' : 'write'} at ${at}`;
    return `${what}; the stack of a frame is fp-${MAX_BPF_STACK}..fp-1, so ${sized(size)} access must start between fp-${MAX_BPF_STACK} and fp-${size}`;
  }
  if ((m = /^invalid bpf_context access off=(-?\d+) size=(\d+)/.exec(msg))) return ctxHint(ctx, Number(m[1]), Number(m[2]), ins);
  if ((m = /^dereference of modified ctx ptr R(\d+)/.exec(msg))) {
    return `read context fields at a constant offset from the context pointer itself (\`ctx->field\`): the kernel rewrites those accesses, so a moved context pointer cannot be used`;
  }
  if ((m = /^Unreleased reference id=(\d+) alloc_insn=(\d+)/.exec(msg))) {
    const alloc = Number(m[2]);
    const proto = protoOf(ctx, ctx.insns[alloc]);
    const name = proto?.helper ?? describeInsn(ctx.insns, alloc);
    const release = proto ? releasersOf(proto) : [];
    return `the reference from ${name} (insn ${alloc}) is still held at this exit: on every path after a successful ${name}, call ${release.length ? release.join(' or ') : 'its release helper'} before returning (the path above is one that does not)`;
  }
  if (/must have zero offset when passed to release func/.test(msg)) {
    return 'release the pointer exactly as the reserve call returned it: keep an unmoved copy for the submit or discard';
  }
  if ((m = /^R(\d+) is not a known constant/.exec(msg))) {
    const proto = protoOf(ctx, ins);
    return `${proto ? `the size argument of ${proto.helper}` : `R${m[1]}`} must be a constant the verifier knows exactly (\`sizeof(struct event)\`), not a computed value`;
  }
  if (/must be referenced when passed to release function/.test(msg)) {
    return 'this pointer was already released (submitted or discarded) on this path, or never held a reference: release each reservation exactly once';
  }
  if ((m = /^infinite loop detected at insn (\d+)/.exec(msg))) {
    return `the path came back to insn ${m[1]} in the same state: the loop makes no progress; make sure its counter changes every iteration and is compared with a constant bound (\`for (i = 0; i < N; i++)\`), or use bpf_loop()`;
  }
  if (/^BPF program is too large|^The sequence of \d+ jumps is too complex/.test(msg)) {
    return 'the verifier had to walk too many paths: give loops constant bounds it can see, move loop bodies to bpf_loop() callbacks or subprograms, and avoid branches whose states cannot be merged (e.g. counters that differ on each path)';
  }
  if ((m = /^At program exit the register R0 has .* should have been in \[(-?\d+), (-?\d+)\]/.exec(msg))) {
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    const verdicts = ctx.prog.spec.verdicts.length > 1 ? ctx.prog.spec.verdicts.filter((v) => v.value >= lo && v.value <= hi) : [];
    const names = verdicts.length ? `: ${verdicts.map((v) => `${v.name} (${v.value})`).join(', ')}` : '';
    return `${ctx.prog.spec.name.toLowerCase()} programs must return a value in [${lo}, ${hi}]${names}; return a constant on every path, or clamp a computed value (\`if (ret > ${hi}) ret = ${hi};\`)`;
  }
  if (/^At program exit the register R0 is not a known value/.test(msg)) return 'return a number (a verdict), not a pointer';
  if (msg === 'div by zero') return 'this divides by the constant 0: the kernel refuses it at load time (a division by a register that is 0 at run time gives 0 and is allowed)';
  if ((m = /^invalid shift (-?\d+)/.exec(msg))) {
    const bits = ins && cls(ins) === BPF_ALU ? 32 : 64;
    return `a shift by the constant ${m[1]}: the amount must be 0..${bits - 1} for a ${bits}-bit shift`;
  }
  if (/32-bit pointer arithmetic prohibited/.test(msg)) return 'pointers only move with 64-bit arithmetic: keep the pointer in a 64-bit variable (not a u32) and add a 64-bit offset';
  if ((m = /pointer arithmetic on (\w+) prohibited/.exec(msg))) return `a ${m[1]} cannot be moved: only pointers to memory (stack, map value, packet, ctx field reads) can take an offset`;
  if (/bitwise operator .* on pointer prohibited|pointer arithmetic with .* operator prohibited/.test(msg)) return 'only + and - of a number are allowed on pointers: do the masking or multiplying on the index, then add the index to the pointer';
  if (/pointer .* pointer prohibited/.test(msg)) return 'two pointers cannot be combined: subtract them into a number, or add a numeric offset to one pointer';
  if ((m = /math between (\w+) pointer and register with unbounded min value/.exec(msg))) {
    return `the number added to the ${m[1]} pointer has no lower bound: make it unsigned or check \`if (off < 0 || off > MAX) return 0;\` before the addition`;
  }
  if (/tried to subtract pointer from scalar/.test(msg)) return 'a number minus a pointer is not a pointer: subtract the number from the pointer instead';
  if (/subtraction from stack pointer prohibited/.test(msg)) return 'a stack pointer cannot move by a variable amount downwards: index the buffer from its start (`buf + i`, with `i` bounded)';
  if ((m = /^value (-?\d+) makes (\w+) pointer be out of bounds/.exec(msg))) {
    return `the number added to the ${m[2]} pointer may be as far as ${m[1]}: bound it to the object's size first (\`if (off > MAX) return 0;\` with an unsigned off)`;
  }
  if (/pointer offset -?\d+ is not allowed|math between \w+ pointer and -?\d+ is not allowed/.test(msg)) {
    return 'the offset is far outside any object: bound it to the object\'s size before adding it to the pointer';
  }
  if (/^variable ctx access var_off=/.test(msg)) return 'context fields are read at constant offsets only: pick the field with a constant (`switch` over the index) instead of adding a variable to the context pointer';
  if ((m = /^BPF_ATOMIC stores into R\d+ (\w+) is not allowed/.exec(msg))) return `atomic operations work on the stack and map values, not on ${m[1]}: copy the field, update it, and store it back`;
  if (/^invalid size of register (spill|fill)|^corrupted spill memory/.test(msg)) return 'a pointer spilled to the stack takes a whole 8-byte aligned slot: store and load it with 8-byte accesses at the same offset';
  if (msg === 'cannot return stack pointer to the caller') return 'a function\'s stack dies when it returns: return a value, or write into a buffer the caller passes in';
  if (/^the call stack of \d+ frames is too deep/.test(msg)) return 'bpf-to-bpf calls nest at most 8 deep and cannot recurse: inline the inner functions (`static __always_inline`) or turn recursion into a bounded loop';
  if (/^combined stack size of \d+ calls is \d+/.test(msg)) return `the stacks of the functions on this call chain (each rounded up to 32 bytes) add up to more than ${MAX_BPF_STACK}: move big locals into a per-CPU array map, or inline fewer functions`;
  if (msg === 'frame pointer is read only') return 'R10 (the frame pointer) cannot be written: copy it first (`r1 = r10; r1 += -8`)';
  if (/^misaligned stack access/.test(msg)) return 'stack accesses must be aligned to their size: put the variable at an offset that is a multiple of its size';
  if (/^cannot call GPL-restricted function/.test(msg)) return 'this helper is GPL-only: declare a GPL-compatible license (`char LICENSE[] SEC("license") = "GPL";`)';
  if ((m = /^program of this type cannot use helper (\w+)/.exec(msg))) {
    const id = ins?.imm ?? -1;
    const types = Object.values(PROGRAM_TYPES).filter((p) => p.helpers.some((h) => HELPER_PROTOS[h.proto as keyof typeof HELPER_PROTOS]?.id === id)).map((p) => p.name.toLowerCase());
    return `${m[1]} is not available to ${ctx.prog.spec.name.toLowerCase()} programs${types.length ? `; it is to: ${types.slice(0, 12).join(', ')}${types.length > 12 ? ', …' : ''}` : ''}`;
  }
  if ((m = /^cannot pass map_type (\d+) into func (\w+)/.exec(msg))) return `${m[2]} does not work on this map's type: check the map the call passes (ring buffers take bpf_ringbuf_* helpers, other maps the bpf_map_* ones)`;
  if (/^R\d+ leaks addr/.test(msg)) return 'unprivileged programs may not reveal kernel addresses: store or return numbers only';
  if (/^unreachable insn/.test(msg)) return 'no path reaches this instruction: remove it, or fix the jump that should lead to it';
  if (/^jump out of range|^last insn is not an exit or jmp|^jump into the middle/.test(msg)) return 'the program\'s control flow is malformed: every jump must land on an instruction of the same function, and the last instruction must be exit or a jump';
  return null;
}

/** Who touches the memory: `this load reads`, `this store writes`, `bpf_probe_read_kernel accesses`. */
function accessVerb(ctx: RejectionContext, ins: Insn | undefined): string {
  const proto = protoOf(ctx, ins);
  if (proto) return `${proto.helper} accesses`;
  if (ins && cls(ins) === BPF_LDX) return 'this load reads';
  if (ins && (cls(ins) === BPF_ST || cls(ins) === BPF_STX)) return (ins.code & 0xe0) === BPF_ATOMIC ? 'this atomic operation touches' : 'this store writes';
  return 'the access touches';
}

function nullCheckHint(ctx: RejectionContext, idx: number, regno: number): string {
  const src = nullableSource(ctx, idx);
  const from = src ? `${src.helper} (insn ${src.insn}) may return NULL` : `R${regno} may be NULL`;
  return `${from}: test it before using it — \`if (!ptr) return 0;\` in C, \`if r${regno} == 0 goto <exit>\` in assembly — right after the call`;
}

function uninitRegHint(ctx: RejectionContext, idx: number, regno: number): string {
  const ins = ctx.insns[idx];
  if (regno === 0 && ins?.code === EXIT) return 'R0 holds the return value: set it on every path before exit (`return XDP_PASS;`, `r0 = 0`)';
  const proto = protoOf(ctx, ins);
  const asArg = proto && regno >= 1 && regno <= proto.args.length ? ` (${proto.helper} takes ${proto.args.length} arguments in R1-R${proto.args.length})` : '';
  const w = lastWriter(ctx, idx, regno);
  if (w?.kind === 'call' && regno >= 1 && regno <= 5) {
    return `the call at insn ${w.insn} clobbered R1-R5: keep values that must survive a call in R6-R9 (or on the stack) and set the register again after it${asArg}`;
  }
  if (w?.kind === 'call' && regno === 0) {
    const p = protoOf(ctx, ctx.insns[w.insn]);
    if (p?.ret.type === 'RET_VOID') return `${p.helper} (insn ${w.insn}) returns nothing: R0 is not set after it`;
  }
  if (w?.kind === 'entry') {
    return regno >= 1 && regno <= 5
      ? `R${regno} is an argument of this function: the call at insn ${w.insn} did not set it${asArg}`
      : `R${regno} is not set in this function: a function starts with its arguments in R1-R5 and R10 only${asArg}`;
  }
  const elsewhere = ctx.insns.findIndex((ins, i) => i < idx && [BPF_ALU, BPF_ALU64, BPF_LDX].includes(cls(ins)) && ins.dst === regno);
  if (elsewhere >= 0) return `R${regno} is written at insn ${elsewhere}, but not on the path that reaches here (see the path): set it on every path${asArg}`;
  if (regno === 1) return `R1 holds the context at entry: set it again after it is overwritten${asArg}`;
  return `R${regno} is read before anything was written to it: at entry only R1 (the context) and R10 (the frame pointer) are set${asArg}`;
}

function ctxHint(ctx: RejectionContext, off: number, size: number, ins: Insn | undefined): string {
  const c = ctx.prog.ctx;
  const type = ctx.prog.spec.name.toLowerCase();
  const write = ins !== undefined && (cls(ins) === BPF_ST || cls(ins) === BPF_STX);
  const field = c.fields.find((f) => off >= f.offset && off < f.offset + f.size);
  if (!field) {
    return off >= c.size || off < 0
      ? `struct ${c.struct} has ${c.size} bytes: offset ${off} is outside it (is the program type right? this is ${type})`
      : `no field of struct ${c.struct} covers offset ${off} for ${type} programs (padding or a hidden member)`;
  }
  const name = `${c.struct}.${field.name}`;
  const rule = write ? field.write : field.read;
  if (!rule) return `${name} is ${write ? 'read-only' : 'not readable'} for ${type} programs`;
  if (off + size > field.offset + field.size) return `${name} has ${field.size} bytes at offset ${field.offset}: ${sized(size)} access at ${off} runs past it`;
  if (!(rule.sizes as readonly number[]).includes(size) || off % size) {
    return `${name} (offset ${field.offset}, ${field.size} bytes) takes ${write ? 'stores' : 'loads'} of ${rule.sizes.join(', ')} bytes, aligned${field.atStart ? ', from its start' : ''}: this is ${sized(size)} ${write ? 'store' : 'load'} at offset ${off}`;
  }
  if (field.attachTypes) return `${name} is only available to ${type} programs loaded with expected attach type ${field.attachTypes.join(' or ')}`;
  return `${name} cannot be accessed this way by ${type} programs`;
}
