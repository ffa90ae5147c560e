/**
 * The verifier: `bpf_check` as Linux 6.18 runs it. First the structure
 * (`check_subprogs`, `check_cfg`), then `do_check`: a depth-first walk over
 * every path with the abstract state of state.ts, checking each instruction
 * as the kernel does and writing the kernel's log.
 */
import { formatInsn, type DisasmOptions } from '../asm/index.js';
import type { Btf } from '../btf/index.js';
import { VerifierError } from '../internal/errors.js';
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CMPXCHG, BPF_DIV, BPF_END, BPF_FETCH,
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE, BPF_LD, BPF_LDX, BPF_LSH,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_X, BPF_XCHG, BPF_XOR,
  InstructionError, decodeProgram, imm64, type Insn, type Opcode,
} from '../isa/index.js';
import { helperName } from '../platform/helper-ids.js';
import { helperProtosById, mapFuncCompatible, type BpfFuncProto, type HelperArg } from '../platform/helper-protos.js';
import { BPF_F_SLEEPABLE, mapTypeByName, mapTypeName, type MapTypeName } from '../platform/uapi.js';
import {
  S64_MIN, U32_MAX, boundsInconsistent, markKnown, markUnbounded32, markUnknown, regBoundsSync, s64,
  unboundedScalar, zext32To64,
} from './bounds.js';
import {
  PATH_ALWAYS_TAKEN, PATH_FALLTHROUGH, PATH_JUMP, PATH_NEVER_TAKEN, PATH_TAKEN, explainRejection, formatExplanation, type Explanation,
} from './explain.js';
import { BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, prepareFuncArgs, type GlobalFunc } from './global-func.js';
import { StackLiveness } from './live-stack.js';
import { computeLiveRegisters, liveStr } from './liveness.js';
import { programTypeInfo, type ProgramTypeInfo } from './program-type.js';
import {
  Backtrack, linkedReg, linkedRegsFlag, markAllScalarsPrecise, markChainPrecision, stackAccess, type JmpHistory, type PrecisionCheckpoint, type PrecisionContext,
  type PrecisionLog,
} from './precision.js';
import { regsExactMatcher, statesEqual } from './prune.js';
import { computeScc, sccCallchain, successorTable, type SuccessorTable } from './scc.js';
import { isSockType, sockAccessValid } from './sock.js';
import { btfIsStub, btfStructAccess, btfStructId, btfStructIdsMatch, btfTypeName } from './btf-ptr.js';
import {
  adjustScalarMinMaxVals, cloneBounds, constValue, flipOpcode, isConst, isScalarBranchTaken, regsRefineCondOp,
  revOpcode,
} from './scalar.js';
import {
  BPF_REG_SIZE, MAX_BPF_STACK, MAX_CALL_FRAMES, cloneState, constScalar, copyReg, emptySlot, newFrame, notInit,
  pointer, regStr, regTypeStr, slotStr, unknownScalar, type FuncState, type MapInfo, type RegState, type RegType,
  type VerifierState,
} from './state.js';
import { tnumAdd, tnumCast, tnumConst, tnumIsAligned, tnumIsConst, tnumStr, tnumSub } from './tnum.js';
import { VerifierLog, logPseudoImm } from './log.js';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const BPF_MAX_VAR_OFF = 1 << 29;
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;
const MAX_PACKET_OFF = 0xffff;
/** `struct bpf_map.name` holds 15 characters and the NUL. */
const BPF_OBJ_NAME_LEN = 16;
/** Packet pointer ranges that say where the pointer is relative to pkt_end (`mark_pkt_end`). */
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
const ALU_STRING = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];

export interface MapDescriptor {
  /** `hash`, `BPF_MAP_TYPE_RINGBUF` or the number. */
  type: string | number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  /** For maps of maps: the inner map a lookup returns a pointer to (`inner_map_meta`). */
  innerMap?: MapDescriptor;
  /** Offset of the `struct bpf_spin_lock` in the value (from the value's BTF), when it holds one. */
  spinLockOff?: number;
  /**
   * The value of a frozen one-element array map (`.rodata`, `.kconfig`), little-endian:
   * with BPF_F_RDONLY_PROG, loads at constant offsets read it as constants (`bpf_map_is_rdonly`).
   */
  frozenValue?: Uint8Array;
}

export interface VerifyOptions {
  /** Default `socket_filter`. */
  progType?: string | number;
  /** 0: none; 1: the failing path and the statistics; 2: every instruction and state. Default 1. */
  logLevel?: 0 | 1 | 2;
  /** The maps the program references: LD_IMM64 with BPF_PSEUDO_MAP_FD/IDX takes the index into this list as imm. */
  maps?: readonly MapDescriptor[];
  license?: string;
  /**
   * The kernel's `nr_cpu_ids` (possible CPUs): bpf_get_smp_processor_id returns less. Without it the
   * result is any scalar, where the kernel bounds it by the machine it runs on.
   */
  nrCpuIds?: number;
  /** The rules for a loader without CAP_BPF/CAP_PERFMON: no pointer leaks, no uninitialised stack reads, no loops. */
  unprivileged?: boolean;
  /** `expected_attach_type` (a number or `BPF_CGROUP_INET_EGRESS`): some context fields, helpers and return ranges depend on it. */
  expectedAttachType?: number | string;
  /** The program's BTF and its func_info: global functions are verified on their own, with arguments typed from it. */
  btf?: Btf;
  funcInfo?: readonly { insnOff: number; typeId: number }[];
  /** BTF line_info by instruction index: a rejection's summary names the C source line. */
  lineInfo?: readonly SourceLine[];
  /** prog_flags of the load: BPF_F_SLEEPABLE makes the program sleepable (a syscall program's type makes it so anyway). */
  progFlags?: number;
}

/** One BTF line_info record (the shape of src/elf's `LineInfo`; `insnOff` is an instruction index). */
export interface SourceLine {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

/** Facts about one instruction that the engines can use. */
export interface InsnAux {
  /** Some path reached it. */
  seen: boolean;
  /** For loads and stores: the pointer type the access went through on every path (or 'mixed'). */
  ptrType?: RegType | 'mixed';
  /**
   * A load through a kernel struct pointer or untrusted memory on some path
   * (BPF_PROBE_MEM): the engines read 0 where such a load faults, as the
   * kernel's exception table does.
   */
  probeMem?: boolean;
}

/** The loads of a verified program that are BPF_PROBE_MEM (InsnAux.probeMem), by instruction index. */
export function probeLoads(r: VerifyResult): number[] {
  const out: number[] = [];
  r.aux.forEach((a, i) => {
    if (a.probeMem) out.push(i);
  });
  return out;
}

export interface VerifyResult {
  accepted: boolean;
  processedInsns: number;
  log: string;
  error: { insn: number; message: string } | null;
  aux: InsnAux[];
  /** For a rejection: what went wrong, in the terms of the program (explain.ts); null when accepted. */
  explanation: Explanation | null;
  /** `explanation` as text: the source line, the path, the registers involved and a hint; null when accepted. */
  summary: string | null;
}

/** A rejection inside the walk: the message is already worded as the kernel's. */
class Reject extends Error {
  readonly insn: number;
  /** The kernel prints this message without its newline (the statistics then follow on the same line). */
  unterminated = false;

  constructor(insn: number, message: string) {
    // Caught inside verify, never shown: a stack trace would only cost (one is taken per rejection, per walk).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.insn = insn;
  }
}

/**
 * A state kept at a prune point. `branches` counts, as the kernel's
 * `bpf_verifier_state.branches` does, what is still being explored below it:
 * paths whose last checkpoint it is, and child checkpoints with a count of
 * their own (a count that drops to 0 is taken off the parent's).
 */
interface Checkpoint extends PrecisionCheckpoint {
  /** The previous checkpoint on the path that created this one. */
  readonly parent: Checkpoint | null;
  branches: number;
  /** How often it covered (hit) or failed to cover (miss) a later state: checkpoints that keep missing are dropped. */
  hitCnt: number;
  missCnt: number;
  /** Checkpoints above it on its path (`dfs_depth`): which loop-header checkpoints an iteration came from. */
  readonly dfsDepth: number;
  /** The loop visit it belongs to (scc.ts), null outside loops. */
  readonly callchain: string | null;
  /** Evicted from its list while still referenced (`in_free_list`): counted in peak_states until freed. */
  inFreeList: boolean;
  /** Its dead stack slots were forgotten (`cleaned`), once nothing below it was left to explore. */
  cleaned: boolean;
}

/** A path that stopped because an earlier state of its own loop covered it by range (`bpf_scc_backedge`). */
interface Backedge {
  old: Checkpoint;
  live: readonly number[];
  head: Checkpoint | null;
  first: number;
  idx: number;
  hist: JmpHistory;
}

/** One visit of a loop along a call chain (`bpf_scc_visit`): its first checkpoint, and the backedges found since. */
interface SccVisit {
  entry: Checkpoint | null;
  backedges: Backedge[];
}

interface Branch {
  state: VerifierState;
  insnIdx: number;
  prevInsnIdx: number;
  logPos: number;
  /** The last checkpoint on the path that led here. */
  head: Checkpoint | null;
  /** Length of `Env.path` when the branch was pushed. */
  pathLen: number;
  /** The jump history since `head`, as it was when the branch was pushed. */
  hist: JmpHistory;
  /** How the popped path leaves the jump: PATH_TAKEN, or PATH_FALLTHROUGH after a may_goto (whose walk follows the jump first). */
  pathKind: number;
}

/** `bpf_verifier_env`: everything one verification holds. */
class Env {
  readonly rows: (Opcode | null)[];
  readonly prog: ProgramTypeInfo;
  readonly maps: readonly MapDescriptor[];
  readonly mapInfo: MapInfo[];
  /** The maps as the kernel's log names them: `map->name` keeps 15 characters, an inner map (`inner_map_meta`) has none. */
  readonly logMapInfo: MapInfo[];
  /** For each map of maps, the index of its inner map in `maps` (-1 for other maps). */
  readonly innerMapOf: number[];
  readonly level: number;
  readonly privileged: boolean;
  /** `prog->sleepable`: it may call the helpers that might sleep. */
  readonly sleepable: boolean;
  /** How the log prints an instruction: the kernel's format, 64-bit loads of maps resolved to addresses. */
  readonly disasm: DisasmOptions;
  readonly gpl: boolean;
  readonly aux: InsnAux[];
  readonly log = new VerifierLog();
  idGen = 0;
  processed = 0;
  totalStates = 0;
  peakStates = 0;
  maxStatesPerInsn = 0;
  /** Where a precision walk (precision.ts) from the instruction being checked starts: the path's last checkpoint and its instruction. */
  walkHead: Checkpoint | null = null;
  walkFirst = 0;
  /** A walk from the instruction being checked wrote to the log. */
  walkLogged = false;
  /** The jump history of the path since its last checkpoint, and the instruction being checked with the one before it. */
  hist: JmpHistory = [];
  histIdx = -1;
  histPrev = -1;
  /** `hist` ends with the entry of the instruction being checked. */
  histVisit = false;
  /** The precision walk's level-2 log lines. */
  readonly precisionLog: PrecisionLog | undefined;
  /** This verification as a precision walk sees it, without the log: for marks the kernel's log does not show. */
  readonly silentPrecision: PrecisionContext;
  /** The sets of scalars conditional jumps linked (`collect_linked_regs`), named by the path's history entries. */
  readonly linkedRegs: number[][] = [];
  /** Jump-class instructions processed, and the counters when the last checkpoint was added. */
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  /** The backedges of callback iterations outside loops (`callbackVisit`), by their outermost call-site checkpoint. */
  readonly callbackVisits = new Map<Checkpoint, SccVisit>();
  /** States seen at prune points (`explored_states`). */
  readonly explored = new Map<number, Checkpoint[]>();
  /** Checkpoints in each of the kernel's `explored_states` hash buckets (`stateBucket`), whatever their instruction. */
  readonly bucketStates = new Map<number, number>();
  /** Live registers before each instruction. */
  readonly liveIn: number[];
  /** Each instruction's successors inside its subprogram, for the register liveness and the SCCs. */
  readonly successors: SuccessorTable;
  /** Live stack slots (live-stack.ts), made once the CFG is known. */
  liveStack!: StackLiveness;
  readonly stack: Branch[] = [];
  subprogStarts: number[] = [0];
  /** Per subprogram: whether calling it may move the packet (markChangesPktData). */
  changesPktData: Uint8Array = new Uint8Array(1);
  /** insn index → subprog's max stack depth (bytes), as `update_stack_depth` records it. */
  readonly stackDepth: number[] = [];
  readonly prunePoints: SmallSet;
  /** Helper calls that call a callback: a checkpoint at each, always (`mark_force_checkpoint`, `calls_callback`). */
  readonly callbackCallsites = new Set<number>();
  /** A call of a global function (precision.ts: the path does not enter it). */
  isGlobalCall(idx: number): boolean {
    return this.funcLinkage?.get(idx + this.insns[idx].imm + 1) === BTF_FUNC_GLOBAL;
  }
  /** Per bpf_loop call: whether it still could be inlined (flags 0, one callback), as `bpf_loop_inline_state` tracks it. */
  readonly loopInline = new Map<number, { fit: boolean; subprog: number }>();
  /** BTF linkage of the function starting at each instruction (func_info), when the program has func_info. */
  readonly funcLinkage: Map<number, number> | undefined;
  /** The arguments of each global function (by its first instruction) as `globalFuncOf` read them. */
  readonly globalFuncs = new Map<number, GlobalFunc | string>();
  /** Every jump of the path being walked (conditional ones either way, gotos, calls, returns): from, to, a PATH_ kind. */
  readonly path: number[] = [];
  /** The state of the path being walked (mutated in place along the path): at a rejection, the failing one. */
  state: VerifierState | null = null;
  /** Global functions a verified path called: each is verified on its own afterwards (`do_check_subprogs`). */
  readonly calledGlobals = new Set<number>();
  /** The subprogram whose own verification is running: 0, or a global function. */
  verifyingSubprog = 0;
  /** Each instruction's loop (scc.ts; 0: none), and the loop visits by call chain. */
  scc: Int32Array = new Int32Array(0);
  readonly sccVisits = new Map<string, SccVisit>();
  numBackedges = 0;
  /** The source line last printed (`prev_linfo`): a line is printed when the instruction's record changes. */
  prevLinfo: SourceLine | undefined;
  /** Checkpoints in the lists, and evicted ones not yet freed (`explored_states_size`, `free_list_size`). */
  exploredSize = 0;
  freeListSize = 0;

  constructor(readonly insns: readonly Insn[], readonly options: VerifyOptions, level: number) {
    this.prog = programTypeInfo(options.progType ?? 'socket_filter', options.expectedAttachType);
    const maps = [...(options.maps ?? [])];
    // `inner_map_meta`: a map of maps' inner map joins the list, so a lookup in the outer map can point at it.
    this.innerMapOf = maps.map((m) => (m.innerMap ? maps.push(m.innerMap) - 1 : -1));
    this.maps = maps;
    this.mapInfo = this.maps.map((m) => ({ name: m.name, keySize: m.keySize, valueSize: m.valueSize }));
    const outer = options.maps?.length ?? 0;
    this.logMapInfo = this.mapInfo.map((m, i) => ({ ...m, name: i < outer ? m.name?.slice(0, BPF_OBJ_NAME_LEN - 1) : undefined }));
    this.level = level;
    this.privileged = !options.unprivileged;
    this.sleepable = ((this.prog.spec.loadFlags | (options.progFlags ?? 0)) & BPF_F_SLEEPABLE) !== 0;
    this.disasm = { format: 'kernel', helperName, pseudoImm: logPseudoImm(this.privileged) };
    this.gpl = /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(options.license ?? '');
    this.aux = insns.map(() => ({ seen: false }));
    this.rows = decodeRows(insns);
    this.silentPrecision = {
      insns, rows: this.rows, callbackCallsites: this.callbackCallsites, isGlobalCall: (idx) => this.isGlobalCall(idx), precisionLog: undefined,
      linkedRegs: this.linkedRegs,
    };
    this.funcLinkage = funcLinkages(options);
    this.prunePoints = new SmallSet(insns.length);
    this.successors = successorTable(insns, this.rows);
    this.liveIn = computeLiveRegisters(insns, this.rows, this.successors, (id) => this.prog.proto(id)?.args.length ?? 5);
    this.precisionLog = level > 1 ? {
      write: (text) => this.verbose(text),
      insn: (i) => formatInsn(this.insns, i, this.disasm),
      frame: (s, frame) => stateStr(this, s.frames[frame], null),
    } : undefined;
  }

  verbose(text: string): void {
    if (this.level > 0) this.log.write(text);
  }

  /** `bpf_stack_liveness_init`, after `check_cfg`: its level-2 lines go on lines of their own. */
  initLiveStack(): void {
    const log = this.level > 1 ? (text: string): void => {
      if (!this.log.atLineStart) {
        this.log.write('\n');
        this.walkLogged = true;
      }
      this.log.write(text);
    } : undefined;
    this.liveStack = new StackLiveness({
      insns: this.insns, rows: this.rows, subprogStarts: this.subprogStarts,
      isPrunePoint: (idx) => this.prunePoints.has(idx), callsCallback: (idx) => this.callbackCallsites.has(idx),
    }, log);
  }
}

/**
 * The global function a subprogram is, with its arguments from BTF (or the
 * kernel's message why they cannot be had); undefined for a static one.
 */
function globalFuncOf(env: Env, subprog: number): GlobalFunc | string | undefined {
  const start = env.subprogStarts[subprog];
  if (env.funcLinkage?.get(start) !== BTF_FUNC_GLOBAL) return undefined;
  // Read from BTF once per function: every call of it, on every path, asks again.
  let global = env.globalFuncs.get(start);
  if (global === undefined) {
    const typeId = env.options.funcInfo?.find((fi) => fi.insnOff === start)?.typeId ?? 0;
    global = prepareFuncArgs(env.options.btf!, typeId, env.prog.ctx.struct);
    env.globalFuncs.set(start, global);
  }
  return global;
}

/**
 * `do_check_common` for the main program: with func_info, its BTF prototype goes through
 * btf_prepare_func_args too (only to learn whether that BTF is reliable); the log keeps its complaint.
 */
function logMainFuncArgs(env: Env): void {
  const main = globalFuncOf(env, 0);
  if (typeof main === 'string') env.verbose(`${main}\n`);
}

/** insnOff → `enum btf_func_linkage` from func_info and its BTF FUNC types. */
function funcLinkages(options: VerifyOptions): Map<number, number> | undefined {
  const { btf, funcInfo } = options;
  if (!btf || !funcInfo?.length) return undefined;
  const out = new Map<number, number>();
  for (const fi of funcInfo) {
    const t = btf.types[fi.typeId];
    if (t?.kind === 'func') out.set(fi.insnOff, t.linkage);
  }
  return out;
}

/** An LD_IMM64 of a subprogram's address (`bpf_pseudo_func`). */
const isPseudoFunc = (row: Opcode | null, ins: Insn): boolean => row?.format === 'lddw' && ins.src === BPF_PSEUDO_FUNC;

function decodeRows(insns: readonly Insn[]): (Opcode | null)[] {
  try {
    return decodeProgram(insns);
  } catch (err) {
    if (err instanceof InstructionError) {
      const ins = insns[err.index];
      throw new Reject(err.index, ins && ins.code !== 0x18 ? `unknown opcode ${ins.code.toString(16).padStart(2, '0')}` : `invalid BPF_LD_IMM insn`);
    }
    throw err;
  }
}

const cls = (ins: Insn): number => ins.code & 0x07;
const op = (ins: Insn): number => ins.code & 0xf0;
const srcX = (ins: Insn): boolean => (ins.code & 0x08) === BPF_X;
const sizeBytes = (ins: Insn): number => [4, 2, 1, 8][(ins.code >> 3) & 3];

/** `check_map_prog_compatibility` for every map an LD_IMM64 names (`resolve_pseudo_ldimm64`, before the walk). */
function checkUsedMaps(env: Env): void {
  /** `bpf_cgroup_storage_assign`: the program's cgroup storage map of each storage type. */
  const cgroupStorage = new Map<string, number>();
  env.rows.forEach((row, i) => {
    const ins = env.insns[i];
    if (row?.format !== 'lddw' || ![BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_MAP_IDX_VALUE].includes(ins.src)) return;
    const map = env.maps[ins.imm];
    if (!map) throw new Reject(i, `fd ${ins.imm} is not pointing to valid bpf_map`);
    if (map.spinLockOff !== undefined && !env.prog.spec.mapUse.spinLock) {
      throw new Reject(i, `${env.prog.spec.name === 'SOCKET_FILTER' ? 'socket filter' : 'tracing'} progs cannot use bpf_spin_lock yet`);
    }
    const type = mapTypeOf(map);
    if (type === 'cgroup_storage' || type === 'percpu_cgroup_storage') {
      if ((cgroupStorage.get(type) ?? ins.imm) !== ins.imm) throw new Reject(i, 'only one cgroup storage of each type is allowed');
      cgroupStorage.set(type, ins.imm);
    }
    // `map_direct_value_addr`: only arrays (and arenas) give their value's address.
    const direct = ins.src === BPF_PSEUDO_MAP_VALUE || ins.src === BPF_PSEUDO_MAP_IDX_VALUE;
    if (direct && type !== 'array' && type !== 'arena') throw new Reject(i, 'no direct value access support for this map type');
  });
}

/** `add_subprog_and_kfunc`: every bpf-to-bpf call target starts a subprogram. */
function findSubprogs(env: Env): void {
  const starts = new Set<number>([0]);
  env.rows.forEach((row, i) => {
    if (row?.format === 'call_local' || isPseudoFunc(row, env.insns[i])) {
      const t = i + env.insns[i].imm + 1;
      if (t < 0 || t >= env.insns.length) throw new Reject(i, row?.format === 'call_local' ? 'call to invalid destination' : 'function pointer to invalid destination');
      starts.add(t);
    }
  });
  env.subprogStarts = [...starts].sort((a, b) => a - b);
  markChangesPktData(env);
}

/**
 * `mark_subprog_changes_pkt_data` and `merge_callee_effects`: a subprogram changes packet data when it calls
 * a helper that does, tail-calls, or calls a subprogram that changes it. A call of a global function that
 * does invalidates the caller's packet pointers (its body is verified on its own).
 */
function markChangesPktData(env: Env): void {
  const { insns, rows, subprogStarts } = env;
  const n = subprogStarts.length;
  const changes = new Uint8Array(n);
  const callees: number[][] = Array.from({ length: n }, () => []);
  let sub = 0;
  for (let i = 0; i < insns.length; i++) {
    while (sub + 1 < n && subprogStarts[sub + 1] <= i) sub++;
    const row = rows[i];
    if (row?.format === 'call_local') callees[sub].push(subprogOf(env, i + insns[i].imm + 1));
    else if (row?.format === 'call_helper') {
      const name = helperName(insns[i].imm);
      if (name === 'bpf_tail_call' || helperProtosById(insns[i].imm).some((p) => p.changesPktData)) changes[sub] = 1;
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let s = 0; s < n; s++) {
      if (changes[s]) continue;
      if (callees[s].some((c) => changes[c])) {
        changes[s] = 1;
        changed = true;
      }
    }
  }
  env.changesPktData = changes;
}

/** `check_subprogs` and `check_cfg`: every jump in range, no fall off the end, no unreachable instruction. */
function checkCfg(env: Env): void {
  const { insns, rows } = env;
  const n = insns.length;
  if (n === 0) throw new Reject(0, 'last insn is not an exit or jmp');

  // Every jump stays inside its subprogram; each subprogram ends with exit or a jump.
  for (let s = 0; s < env.subprogStarts.length; s++) {
    const start = env.subprogStarts[s];
    const end = s + 1 < env.subprogStarts.length ? env.subprogStarts[s + 1] : n;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      if (!row) continue;
      const t = jumpTarget(insns, row, i);
      if (t !== undefined && (t < start || t >= end)) throw new Reject(i, `jump out of range from insn ${i} to ${t}`);
    }
    const last = end - 1;
    const lastRow = rows[last] ?? rows[last - 1];
    if (!lastRow || !(lastRow.format === 'exit' || lastRow.format === 'ja' || lastRow.format === 'ja32')) {
      throw new Reject(last, 'last insn is not an exit or jmp');
    }
  }
  // Depth-first walk from insn 0 (and into each called subprogram).
  const seen = new Uint8Array(n);
  const work: number[] = [0];
  const push = (from: number, to: number): void => {
    if (to < 0 || to >= n) throw new Reject(from, `jump out of range from insn ${from} to ${to}`);
    if (rows[to] === null) throw new Reject(from, `jump into the middle of ldimm64 insn ${to - 1}`);
    if (!seen[to]) {
      seen[to] = 1;
      work.push(to);
    }
  };
  seen[0] = 1;
  while (work.length) {
    const i = work.pop() as number;
    const row = rows[i];
    if (!row) continue;
    const ins = insns[i];
    const width = row.format === 'lddw' ? 2 : 1;
    switch (row.format) {
      case 'exit':
        break;
      case 'ja':
      case 'ja32': {
        const t = jumpTarget(insns, row, i) as number;
        push(i, t);
        env.prunePoints.add(t);
        break;
      }
      case 'jmp_reg':
      case 'jmp_imm':
      case 'may_goto': {
        const t = i + ins.off + 1;
        push(i, t);
        push(i, i + 1);
        // The jump itself and its target (`mark_prune_point` for a BRANCH edge).
        env.prunePoints.add(i);
        env.prunePoints.add(t);
        break;
      }
      case 'call_local':
        push(i, i + ins.imm + 1);
        push(i, i + 1);
        // The call, the callee's entry (a BRANCH edge) and the return site.
        env.prunePoints.add(i);
        env.prunePoints.add(i + ins.imm + 1);
        env.prunePoints.add(i + 1);
        break;
      case 'call_helper':
        push(i, i + 1);
        env.prunePoints.add(i + 1);
        if (CALLBACK_HELPERS.has(helperName(ins.imm) ?? '')) {
          env.prunePoints.add(i);
          env.callbackCallsites.add(i);
        }
        break;
      case 'lddw':
        if (ins.src === BPF_PSEUDO_FUNC) {
          // The callback is reachable from here, and its entry is a branch target; as for a call
          // (`visit_func_call_insn`), the load and the instruction after it are prune points too.
          push(i, i + ins.imm + 1);
          env.prunePoints.add(i + ins.imm + 1);
          env.prunePoints.add(i);
          env.prunePoints.add(i + width);
        }
        if (i + width >= n) throw new Reject(i, `jump out of range from insn ${i} to ${i + width}`);
        push(i, i + width);
        break;
      default:
        if (i + width >= n) throw new Reject(i, `jump out of range from insn ${i} to ${i + width}`);
        push(i, i + width);
    }
  }
  for (let i = 0; i < n; i++) {
    if (rows[i] && !seen[i]) throw new Reject(i, `unreachable insn ${i}`);
  }
}

/**
 * `check_abnormal_return`: without BTF func_info the kernel cannot tell what a
 * subprogram returns, so none may leave the program from inside (LD_ABS on a
 * packet error, a tail call).
 */
function checkAbnormalReturn(env: Env): void {
  for (let sub = 1; sub < env.subprogStarts.length; sub++) {
    const start = env.subprogStarts[sub];
    const end = sub + 1 < env.subprogStarts.length ? env.subprogStarts[sub + 1] : env.insns.length;
    let ldAbs = false, tailCall = false;
    for (let i = start; i < end; i++) {
      const row = env.rows[i];
      if (row?.format === 'ldabs' || row?.format === 'ldind') ldAbs = true;
      if (row?.format === 'call_helper' && helperName(env.insns[i].imm) === 'bpf_tail_call') tailCall = true;
    }
    if (ldAbs) throw new Reject(start, 'LD_ABS is not allowed in subprogs without BTF');
    if (tailCall) throw new Reject(start, 'tail_call is not allowed in subprogs without BTF');
  }
}

function jumpTarget(insns: readonly Insn[], row: Opcode, i: number): number | undefined {
  switch (row.format) {
    case 'ja': case 'jmp_reg': case 'jmp_imm': case 'may_goto': return i + insns[i].off + 1;
    case 'ja32': return i + insns[i].imm + 1;
    default: return undefined;
  }
}

/** Verify `insns`; never throws for a rejection (see `verifyOrThrow`). */
export function verify(insns: readonly Insn[], options: VerifyOptions = {}): VerifyResult {
  const level = options.logLevel ?? 1;
  if (level !== 1) return check(insns, options, level, level);
  // At level 1 the log is the failing path only: walk without building it, and again with it only on a rejection.
  const quiet = check(insns, options, 0, 1);
  return quiet.accepted ? quiet : check(insns, options, 1, 1);
}

/** One walk whose log is built at `walkLevel` and reported as at `logLevel` (0 builds nothing; the statistics are the same). */
function check(insns: readonly Insn[], options: VerifyOptions, walkLevel: 0 | 1 | 2, logLevel: 0 | 1 | 2): VerifyResult {
  let env: Env;
  try {
    env = new Env(insns, options, walkLevel);
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    const error = { insn: err.insn, message: err.message };
    const explanation = explainRejection({
      insns, error, state: null, path: [], prog: programTypeInfo(options.progType ?? 'socket_filter'), maps: [], lineInfo: options.lineInfo,
    });
    return {
      accepted: false, processedInsns: 0, log: `${err.message}\n`, error, aux: insns.map(() => ({ seen: false })),
      explanation, summary: formatExplanation(explanation),
    };
  }
  let error: { insn: number; message: string } | null = null;
  try {
    findSubprogs(env);
    if (env.level > 1) env.subprogStarts.forEach((start, i) => env.verbose(`func#${i} @${start}\n`));
    checkUsedMaps(env);
    checkCfg(env);
    if (!options.funcInfo?.length && !options.lineInfo?.length) checkAbnormalReturn(env);
    env.initLiveStack();
    env.scc = computeScc(env.successors);
    doCheck(env, mainEntryState(), 0);
    checkGlobalFuncs(env);
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    error = { insn: err.insn, message: err.message };
    if (!env.log.atLineStart) env.log.write('\n');
    env.log.write(err.unterminated ? err.message : `${err.message}\n`);
  }
  // A level-1 log keeps nothing of a walk that ended well, whatever is found after it.
  if (!error && logLevel === 1) env.log.rewind(0);
  if (!error) {
    const combined = checkMaxStackDepth(env);
    if (combined) {
      error = combined;
      // Found after the walk: no path's state belongs to it.
      env.state = null;
      env.path.length = 0;
    }
  }
  const stats = `processed ${env.processed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0\n`;
  const log = logLevel > 0 ? `${env.log}${stats}` : '';
  const explanation = error
    ? explainRejection({ insns, error, state: env.state, path: env.path, prog: env.prog, maps: env.mapInfo, lineInfo: options.lineInfo })
    : null;
  return {
    accepted: !error, processedInsns: env.processed, log, error, aux: env.aux,
    explanation, summary: explanation && formatExplanation(explanation),
  };
}

/** Verify and throw a VerifierError (with the log and a two-line summary) on rejection. */
export function verifyOrThrow(insns: readonly Insn[], options: VerifyOptions = {}): VerifyResult {
  const r = verify(insns, { ...options, logLevel: options.logLevel || 1 });
  if (r.error) {
    throw new VerifierError(`verifier rejected the program at insn ${r.error.insn}: ${r.error.message.split('\n')[0]}`, {
      insn: r.error.insn, log: r.log, summary: r.summary ?? r.error.message,
    });
  }
  return r;
}


/** `check_max_stack_depth`: frames are rounded up to 32 bytes and summed along each call chain. */
function checkMaxStackDepth(env: Env): { insn: number; message: string } | null {
  const depthOf = (sub: number): number => Math.ceil(Math.max(env.stackDepth[sub] ?? 0, 1) / 32) * 32;
  const calls: number[][] = env.subprogStarts.map(() => []);
  env.rows.forEach((row, i) => {
    if (row?.format !== 'call_local' && !isPseudoFunc(row, env.insns[i])) return;
    const from = subprogOf(env, i);
    calls[from].push(subprogOf(env, i + env.insns[i].imm + 1));
  });
  const walk = (sub: number, total: number, frames: number): { insn: number; message: string } | null => {
    const t = total + depthOf(sub);
    if (t > MAX_BPF_STACK) {
      const message = `combined stack size of ${frames} calls is ${t}. Too large`;
      env.log.write(`${message}\n`);
      return { insn: env.subprogStarts[sub], message };
    }
    for (const c of calls[sub]) {
      const r = walk(c, t, frames + 1);
      if (r) return r;
    }
    return null;
  };
  return env.subprogStarts.length > 1 ? walk(0, 0, 1) : null;
}

function subprogOf(env: Env, insn: number): number {
  let s = 0;
  while (s + 1 < env.subprogStarts.length && env.subprogStarts[s + 1] <= insn) s++;
  return s;
}

/** A set of non-negative integers below a bound, as bits (prune points; what one instruction touched). */
class SmallSet {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  add(n: number): void {
    this.words[n >>> 5] |= 1 << (n & 31);
  }

  has(n: number): boolean {
    return (this.words[n >>> 5] & (1 << (n & 31))) !== 0;
  }

  clear(): void {
    const w = this.words;
    for (let i = 0; i < w.length; i++) w[i] = 0;
  }
}

/** Registers and stack slots an instruction touched, printed after it (`; R0=1 fp-8=…`): one reused per walk. */
class Scratch {
  readonly regs = new SmallSet(11);
  readonly slots = new SmallSet(MAX_BPF_STACK / BPF_REG_SIZE);

  clear(): void {
    this.regs.clear();
    this.slots.clear();
  }

  /** `mark_verifier_state_scratched`: a new frame (`init_func_state`) makes the next state line print everything. */
  all(): void {
    for (let r = 0; r <= 10; r++) this.regs.add(r);
    for (let spi = 0; spi < MAX_BPF_STACK / BPF_REG_SIZE; spi++) this.slots.add(spi);
  }
}

function stateStr(env: Env, f: FuncState, scratch: Scratch | null, always = false): string {
  let out = '';
  f.regs.forEach((r, i) => {
    if (r.type === 'not_init' || (scratch && !scratch.regs.has(i))) return;
    out += ` R${i}=${regStr(r, f.frameno, env.logMapInfo)}`;
  });
  f.stack.forEach((slot, spi) => {
    if (scratch && !scratch.slots.has(spi)) return;
    out += slotStr(slot, spi, f.frameno, env.logMapInfo);
  });
  if (!out && !always) return out;
  // The references held are the walked state's, whichever frame or state is printed (`print_verifier_state` reads cur_state).
  const refs = env.state?.refs.filter((r) => r.id !== 0) ?? [];
  if (refs.length > 0 && env.state?.refs[0].id !== 0) out += ` refs=${refs.map((r) => r.id).join(',')}`;
  if (f.inCallbackFn) out += ' cb';
  return f.frameno ? ` frame${f.frameno}:${out}` : out;
}

function fullState(env: Env, s: VerifierState): string {
  return stateStr(env, cur(s), null);
}

const cur = (s: VerifierState): FuncState => s.frames[s.frames.length - 1];

/** `states_maybe_looping`: a cheap first test, the top frame's registers are identical. */
function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const o = old.frames[old.frames.length - 1].regs, c = cur.frames[cur.frames.length - 1].regs;
  for (let r = 0; r < 10; r++) {
    if (o[r].type !== c[r].type || o[r].varOff.value !== c[r].varOff.value || o[r].varOff.mask !== c[r].varOff.mask ||
        o[r].off !== c[r].off || o[r].umin !== c[r].umin || o[r].umax !== c[r].umax) return false;
  }
  return true;
}

/** Live registers of each frame: the top one before `idx`, callers after their call returns (r0-r5 are rewritten). */
function liveMasks(env: Env, s: VerifierState, idx: number): number[] {
  const n = s.frames.length;
  const masks: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    const callee = s.frames[i + 1];
    // A callback returns to its helper call, which reads R1-R5 again.
    masks.push(callee.inCallbackFn ? env.liveIn[callee.callsite] : env.liveIn[callee.callsite + 1] & ~0x3f);
  }
  masks.push(env.liveIn[idx]);
  return masks;
}

function printLiveness(env: Env): void {
  env.verbose('Live regs before insn:\n');
  env.rows.forEach((row, i) => {
    if (!row) return;
    const scc = env.scc[i] ? String(env.scc[i]).padStart(3) : '   ';
    env.verbose(`${scc}${String(i).padStart(4)}: ${liveStr(env.liveIn[i])} ${formatInsn(env.insns, i, env.disasm)}\n`);
  });
}

/** The main program's state at its first instruction: R1 the context. */
function mainEntryState(): VerifierState {
  const state: VerifierState = { frames: [newFrame(0, -1, 0)], refs: [] };
  cur(state).regs[1] = pointer('ctx');
  return state;
}

function doCheck(env: Env, entry: VerifierState, start: number): void {
  let state = entry;
  env.state = state;
  env.prevLinfo = undefined;
  let idx = start;
  let prevIdx = -1;
  let printState = true;
  let printNext: 'state' | 'from' | undefined;
  let head: Checkpoint | null = null;
  /** The state after the last instruction, printed once the next one is not pruned (`print_insn_state`). */
  let pendingState: { s: string; pos: number; inline: string } | null = null;
  const scratch = new Scratch();
  if (env.level > 1 && start === 0) printLiveness(env);
  env.liveStack.resetCallchain();
  if (start === 0) logMainFuncArgs(env);
  const endPath = (): Branch | undefined => {
    // `update_branch_counts`.
    for (let cp = head; cp && --cp.branches === 0; cp = cp.parent) {
      maybeExitScc(env, cp);
      maybeFreeCheckpoint(env, cp);
    }
    env.liveStack.update(state);
    return popBranch(env);
  };
  for (;;) {
    if (idx >= env.insns.length) throw new Reject(prevIdx, `invalid insn idx ${idx} insn_cnt ${env.insns.length}`);
    env.processed++;
    if (env.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
      throw new Reject(idx, `BPF program is too large. Processed ${env.processed} insn`);
    }
    env.aux[idx].seen = true;
    // `push_jmp_history`: how the path came here, when not by falling through.
    env.histIdx = idx;
    env.histPrev = prevIdx;
    env.histVisit = prevIdx >= 0 && idx !== prevIdx + (env.rows[prevIdx]?.format === 'lddw' ? 2 : 1);
    if (env.histVisit) env.hist.push(idx, prevIdx, 0);
    if (env.prunePoints.has(idx)) {
      const list = env.explored.get(idx) ?? [];
      const live = liveMasks(env, state, idx);
      let pruned = false;
      // As the kernel: a checkpoint only after at least 2 jumps and 8 instructions since the last one.
      const mayGoto = env.rows[idx]?.format === 'may_goto';
      // `mark_force_checkpoint`: a callback's call and a may_goto always get one.
      const forceNewState = mayGoto || env.callbackCallsites.has(idx);
      let addNewState = forceNewState || (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.processed - env.prevInsnProcessed >= 8);
      // The kernel walks one hash bucket: it counts the states of other instructions there, and never sees
      // those of this one in other buckets (another call site).
      const bucket = stateBucket(env, idx, state);
      const statesCnt = env.bucketStates.get(bucket) ?? 0;
      let hit: Checkpoint | undefined;
      let loop = false;
      cleanLiveStates(env, list, state);
      // Newest first, as the kernel's list (`list_add` at the head): which state hits, and which ones miss, depends on it.
      for (let k = list.length - 1; k >= 0; k--) {
        const cp = list[k];
        if (stateBucket(env, idx, cp.state) !== bucket) continue;
        if (cp.branches > 0 && env.callbackCallsites.has(idx)) {
          // A callback's next call: covered by an earlier one still being explored, the iterations converged.
          if (statesEqual(cp.state, state, live, false, env.privileged)) {
            // Compared by range, not precision: what the old one still learns reaches this path through the loop's backedge.
            cp.hitCnt++;
            pruned = true;
            hit = cp;
            loop = true;
            break;
          }
        } else if (cp.branches > 0) {
          const sameDepth = (cp.state.mayGotoDepth ?? 0) === (state.mayGotoDepth ?? 0);
          if (mayGoto && !sameDepth && statesEqual(cp.state, state, live, false, env.privileged, false)) {
            // Another may_goto iteration within the ranges of an earlier one on this path: the loop converged.
            cp.hitCnt++;
            pruned = true;
            hit = cp;
            loop = true;
            break;
          }
          // Still being explored: the same state again is a loop that never ends.
          if (sameDepth && statesMaybeLooping(cp.state, state) && statesEqual(cp.state, state, live, true, env.privileged, false)) {
            if (env.level > 0) verboseLinfo(env, idx);
            throw new Reject(idx, `infinite loop detected at insn ${idx}\ncur state:${fullState(env, state)}\nold state:${fullState(env, cp.state)}`);
          }
          if (!forceNewState && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.processed - env.prevInsnProcessed < 100) addNewState = false;
        } else {
          // A state of a loop whose visit has backedges still has incomplete marks: compared by range (`incomplete_read_marks`).
          const incomplete = incompleteReadMarks(env, cp);
          if (statesEqual(cp.state, state, live, false, env.privileged, env.privileged && !incomplete)) {
            cp.hitCnt++;
            pruned = true;
            hit = cp;
            loop = incomplete;
            break;
          }
        }
        // The kernel's eviction heuristic: a checkpoint that misses more than n + n * hits is dropped, n = 3, or 64
        // for a forced checkpoint still being explored (an iteration a later one may converge to).
        if (addNewState) cp.missCnt++;
        const n = forceNewState && cp.branches > 0 ? 64 : 3;
        if (cp.missCnt > cp.hitCnt * n + n) {
          list.splice(k, 1);
          env.bucketStates.set(bucket, (env.bucketStates.get(bucket) ?? 1) - 1);
          cp.inFreeList = true;
          env.freeListSize++;
          env.exploredSize--;
          maybeFreeCheckpoint(env, cp);
        }
      }
      if (pruned) {
        if (hit && env.privileged) propagatePrecision(env, hit.state, live, head, head ? head.insnIdx : start, idx);
        if (hit && loop) addSccBackedge(env, { old: hit, live, head, first: head ? head.insnIdx : start, idx, hist: env.hist.slice() });
        // The state after the instruction before is not printed.
        pendingState = null;
        // After a pop, and after a function's exit (`do_print_state`), the kernel names the edge.
        const edge = (printState || printNext === 'from') && prevIdx >= 0;
        if (env.level > 0) env.verbose(edge ? `\nfrom ${prevIdx} to ${idx}: safe\n` : `${idx}: safe\n`);
        const next = endPath();
        if (!next) return;
        ({ state, insnIdx: idx, prevInsnIdx: prevIdx, head, hist: env.hist } = next);
        printState = true;
        continue;
      }
      env.maxStatesPerInsn = Math.max(env.maxStatesPerInsn, statesCnt);
      if (addNewState) {
        const cp: Checkpoint = {
          state: cloneState(state, true), parent: head, branches: 1, hitCnt: 0, missCnt: 0,
          insnIdx: idx, prevFirst: head ? head.insnIdx : start, prevIdx, hist: env.hist, allPrecise: false,
          dfsDepth: head ? head.dfsDepth + 1 : 0, callchain: sccCallchain(env.scc, state, idx), inFreeList: false,
          cleaned: false,
        };
        maybeEnterScc(env, cp);
        // The entry of the jump here, if any, opens the new checkpoint's history.
        env.hist = env.histVisit ? cp.hist.splice(-3) : [];
        list.push(cp);
        env.explored.set(idx, list);
        env.bucketStates.set(bucket, (env.bucketStates.get(bucket) ?? 0) + 1);
        env.totalStates++;
        env.exploredSize++;
        updatePeakStates(env);
        env.prevJmpsProcessed = env.jmpsProcessed;
        env.prevInsnProcessed = env.processed;
        head = cp;
      }
    }
    if (pendingState) {
      if (env.log.pos === pendingState.pos) env.log.replaceLast(pendingState.inline);
      else env.verbose(`${idx}:${pendingState.s}\n`);
      pendingState = null;
    }
    // `from X to Y:` is a level-2 line; after a pop every slot is scratched, and the state follows at level 1 too.
    if (printState && env.level > 0) {
      if (prevIdx >= 0 && env.level > 1) env.verbose(`\nfrom ${prevIdx} to ${idx}:${fullState(env, state)}\n`);
      env.verbose(`${idx}:${fullState(env, state)}\n`);
      printState = false;
    } else if (printNext === 'state' && env.level > 0) {
      env.verbose(`${idx}:${fullState(env, state)}\n`);
    } else if (printNext === 'from' && env.level > 1) {
      env.verbose(`\nfrom ${prevIdx} to ${idx}:${fullState(env, state)}\n`);
    }
    printNext = undefined;
    if (env.level > 0) verboseLinfo(env, idx);
    const insnText = env.level > 0 ? `${idx}: ${formatInsn(env.insns, idx, env.disasm)}` : '';
    env.verbose(insnText);
    scratch.clear();
    const insnClass = cls(env.insns[idx]);
    if (insnClass === 0x05 || insnClass === BPF_JMP32) env.jmpsProcessed++;
    env.walkHead = head;
    env.walkFirst = head ? head.insnIdx : start;
    env.walkLogged = false;
    env.liveStack.resetWriteMarks(state, idx);
    const step = doInsn(env, state, idx, scratch);
    env.liveStack.commitWriteMarks();
    // The walk's log lines (level 2) follow the instruction's line; the state then goes on a line of its own.
    const marked = env.walkLogged;
    /** Where popping the branch a conditional jump pushes rewinds a level-1 log to. */
    let branchLogPos: number | undefined;
    if (env.level > 0) {
      const format = env.rows[idx]?.format;
      // After a helper call the state is printed even when no register holds anything: its references still show.
      const s = step.kind === 'next' && step.print ? '' : stateStr(env, cur(state), scratch, format === 'call_helper');
      // `vlog_alignment` of the instruction line as the kernel measures it, its newline included.
      const col = Math.max(insnText.length + 5, 40);
      const inline = `${' '.repeat(Math.ceil(col / 8) * 8 - 2 - insnText.length)};${s}\n`;
      // A conditional jump prints its state at once (`print_insn_state` in check_cond_jmp_op); other
      // instructions when the next one is not pruned, on their own line if the log moved on since.
      // A helper call scratches R0-R5 (`check_reg_arg` on the caller-saved ones): printed even when none of them holds anything, as after a void helper.
      const scratchedCall = format === 'call_helper' && step.kind === 'next' && !step.print;
      if ((!s && !scratchedCall) || step.kind === 'exit') {
        if (!marked) env.verbose('\n');
      } else if (format === 'jmp_imm' || format === 'jmp_reg') {
        // check_cond_jmp_op pushes the other branch before printing this state: the rewind point is the end of the
        // instruction's line, whose newline the inline state has already turned into its first space.
        if (marked) {
          branchLogPos = env.log.pos;
          env.verbose(`${idx}:${s}\n`);
        } else {
          env.verbose(inline[0]);
          branchLogPos = env.log.pos;
          env.verbose(inline.slice(1));
        }
      } else {
        if (!marked) env.verbose('\n');
        pendingState = { s, pos: marked ? -1 : env.log.pos, inline };
      }
    }
    if (step.kind === 'next') {
      if (step.log) env.verbose(step.log);
      printNext = step.print === 'log' ? undefined : step.print;
      prevIdx = idx;
      idx = step.idx;
      continue;
    }
    if (step.kind === 'branch') {
      const jumpFirst = env.rows[idx]?.format === 'may_goto';
      env.stack.push({
        state: step.other, insnIdx: step.otherIdx, prevInsnIdx: idx, logPos: branchLogPos ?? env.log.pos, head, pathLen: env.path.length, hist: env.hist.slice(),
        pathKind: jumpFirst ? PATH_FALLTHROUGH : PATH_TAKEN,
      });
      env.path.push(idx, step.idx, jumpFirst ? PATH_TAKEN : PATH_FALLTHROUGH);
      if (head) head.branches++;
      if (env.stack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
        throw new Reject(idx, `The sequence of ${env.stack.length} jumps is too complex.`);
      }
      prevIdx = idx;
      idx = step.idx;
      continue;
    }
    // exit of the main program: this path is done.
    const next = endPath();
    if (!next) return;
    ({ state, insnIdx: idx, prevInsnIdx: prevIdx, head, hist: env.hist } = next);
    printState = true;
  }
}

/**
 * `mark_chain_precision` from the instruction being checked, for what it
 * depends on (privileged only: unprivileged, every scalar is precise).
 */
function markPrecise(env: Env, bt: Backtrack): void {
  if (env.precisionLog && !env.walkLogged) {
    env.verbose('\n');
    env.walkLogged = true;
  }
  markChainPrecision(env, env.walkHead, env.walkFirst, env.histIdx, env.hist, bt, true);
}

/** A scalar register of the top frame a decision depends on. */
function demandPrecise(env: Env, state: VerifierState, regno: number): void {
  if (!env.privileged || regOf(state, regno).type !== 'scalar') return;
  const bt = new Backtrack(state.frames.length);
  bt.regs[state.frames.length - 1] = 1 << regno;
  markPrecise(env, bt);
}

/**
 * `propagate_precision`: the path stops at `idx` because `old` covers it, so
 * it is safe for the reasons that one was: what was precise there (in the
 * registers that may still be read) must be precise here.
 */
function propagatePrecision(env: Env, old: VerifierState, live: readonly number[], head: Checkpoint | null, first: number, idx: number, hist = env.hist,
  ctx: PrecisionContext = env): void {
  const bt = new Backtrack(old.frames.length);
  for (let frame = old.frames.length - 1; frame >= 0; frame--) {
    const f = old.frames[frame];
    const names: string[] = [];
    f.regs.forEach((r, regno) => {
      if (r.type !== 'scalar' || !r.precise || regno >= 10 || !(live[frame] & (1 << regno))) return;
      bt.regs[frame] |= 1 << regno;
      names.push(`r${regno}`);
    });
    f.stack.forEach((slot, spi) => {
      if (slot.slotType[BPF_REG_SIZE - 1] !== 'spill' || slot.spilledPtr.type !== 'scalar' || !slot.spilledPtr.precise) return;
      bt.stack.add(frame * 64 + spi);
      names.push(`fp${-(spi + 1) * BPF_REG_SIZE}`);
    });
    if (names.length) ctx.precisionLog?.write(`frame ${frame}: propagating ${names.join(',')}\n`);
  }
  if (!bt.empty()) markChainPrecision(ctx, head, first, idx, hist, bt, true);
}

/** `maybe_enter_scc`: a checkpoint in a loop with no visit under way opens one. */
function maybeEnterScc(env: Env, cp: Checkpoint): void {
  if (cp.callchain === null) return;
  let visit = env.sccVisits.get(cp.callchain);
  if (!visit) env.sccVisits.set(cp.callchain, visit = { entry: null, backedges: [] });
  if (visit.entry) return;
  visit.entry = cp;
  if (env.level > 1) env.verbose(`SCC enter ${cp.callchain}\n`);
}

/** `add_scc_backedge`: kept until the visit ends, then its precision is propagated again. */
function addSccBackedge(env: Env, backedge: Backedge): void {
  const callchain = backedge.old.callchain;
  const visit = callchain === null ? callbackVisit(env, backedge.old) : env.sccVisits.get(callchain);
  if (!visit) {
    markAllScalarsPrecise(backedge.head);
    return;
  }
  visit.backedges.unshift(backedge);
  // Linux 6.18 keeps no backedge for a callback's iterations: neither the log nor peak_states shows it.
  if (callchain === null) return;
  if (env.level > 1) env.verbose(`SCC backedge ${callchain}\n`);
  env.numBackedges++;
  updatePeakStates(env);
}

/**
 * A callback's iterations outside any loop of the program (Linux 6.18 makes no
 * SCC of its call site, later kernels an implicit one): the backedges of its
 * call site wait, as a loop's do, until the outermost call-site checkpoint of
 * these iterations on the path is explored, then carry its final precision.
 * Undefined for another hit outside loops: its marks are made complete at once.
 */
function callbackVisit(env: Env, old: Checkpoint): SccVisit | undefined {
  if (!env.callbackCallsites.has(old.insnIdx)) return undefined;
  let entry = old;
  for (let cp = old.parent; cp; cp = cp.parent) {
    if (cp.insnIdx === old.insnIdx && cp.branches > 0 && sameCallsites(cp.state, old.state)) entry = cp;
  }
  let visit = env.callbackVisits.get(entry);
  if (!visit) env.callbackVisits.set(entry, visit = { entry, backedges: [] });
  return visit;
}

/** `verbose_linfo`: the source line of instruction `idx` (its BTF line_info record), when it is not the line printed last. */
function verboseLinfo(env: Env, idx: number): void {
  const lines = env.options.lineInfo;
  if (!lines || lines.length === 0 || idx >= env.insns.length) return;
  // `find_linfo`: the last record starting at or before idx (the records are sorted, the first at 0).
  let lo = 0, hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid].insnOff <= idx) lo = mid;
    else hi = mid - 1;
  }
  const linfo = lines[lo];
  const prev = env.prevLinfo;
  if (linfo === prev) return;
  // Records for the same line (other columns) print it once, and the last printed stays the reference.
  if (prev && linfo.fileName === prev.fileName && linfo.lineNum === prev.lineNum) return;
  env.verbose(`; ${linfo.line.trimStart()} @ ${linfo.fileName.slice(linfo.fileName.lastIndexOf('/') + 1)}:${linfo.lineNum}\n`);
  env.prevLinfo = linfo;
}

/** `update_peak_states`: the most states kept at once, backedges included. */
function updatePeakStates(env: Env): void {
  env.peakStates = Math.max(env.peakStates, env.exploredSize + env.freeListSize + env.numBackedges);
}

/**
 * `clean_live_states`: the checkpoints at this instruction of the same call
 * chain with nothing left to explore below them forget the stack slots no
 * later instruction may read (registers: the live masks of `statesEqual`).
 */
function cleanLiveStates(env: Env, list: readonly Checkpoint[], state: VerifierState): void {
  for (const cp of list) {
    if (cp.branches !== 0 || cp.cleaned || !sameCallsites(cp.state, state) || incompleteReadMarks(env, cp)) continue;
    cp.cleaned = true;
    env.liveStack.queryInit(cp.state, cp.insnIdx);
    const frames = cp.state.frames;
    for (let frameno = 0; frameno < frames.length; frameno++) {
      const stack = frames[frameno].stack;
      for (let spi = 0; spi < stack.length; spi++) {
        if (stack[spi].slotType.some((t) => t !== 'invalid') && !env.liveStack.slotAlive(frameno, spi)) stack[spi] = emptySlot();
      }
    }
  }
}

/** `bpf_mark_stack_read` for the walked state. */
function markStackRead(env: Env, frameno: number, idx: number, spi: number): void {
  env.liveStack.markRead(env.state as VerifierState, frameno, idx, spi);
}

/** A checkpoint of a loop visit that has backedges: its marks are not final yet (`incomplete_read_marks`). */
function incompleteReadMarks(env: Env, cp: Checkpoint): boolean {
  return cp.callchain !== null && (env.sccVisits.get(cp.callchain)?.backedges.length ?? 0) > 0;
}

/** `maybe_free_verifier_state`: an evicted checkpoint nothing explores below any more is freed. */
function maybeFreeCheckpoint(env: Env, cp: Checkpoint): void {
  if (!cp.inFreeList || cp.branches !== 0 || incompleteReadMarks(env, cp)) return;
  cp.inFreeList = false;
  env.freeListSize--;
}

/** Precise scalars of the states the backedges converged to: when a pass adds none, the next one would do the same. */
function backedgePrecision(visit: SccVisit): number {
  let n = 0;
  for (const b of visit.backedges) {
    for (const f of b.old.state.frames) {
      for (const r of f.regs) if (r.type === 'scalar' && r.precise) n++;
      for (const slot of f.stack) if (slot.spilledPtr.type === 'scalar' && slot.spilledPtr.precise) n++;
    }
  }
  return n;
}

const MAX_BACKEDGE_ITERS = 64;

/**
 * `maybe_exit_scc` with `propagate_backedges`: every path from the visit's
 * entry is explored, so the states the backedges converged to have their
 * final precision: propagate it to each backedge's path until nothing changes.
 */
function maybeExitScc(env: Env, cp: Checkpoint): void {
  const callbacks = env.callbackVisits.get(cp);
  if (callbacks) {
    env.callbackVisits.delete(cp);
    // Linux 6.18 has no such pass: its marks are ours to keep sound, its lines not in the kernel's log.
    propagateBackedges(env, callbacks, env.silentPrecision);
  }
  if (cp.callchain === null) return;
  const visit = env.sccVisits.get(cp.callchain);
  if (!visit || visit.entry !== cp) return;
  if (env.level > 1) env.verbose(`SCC exit ${cp.callchain}\n`);
  visit.entry = null;
  env.numBackedges -= visit.backedges.length;
  propagateBackedges(env, visit);
}

/** `propagate_backedges`: the precision of the states the backedges converged to, to their paths, until nothing changes. */
function propagateBackedges(env: Env, visit: SccVisit, ctx: PrecisionContext = env): void {
  if (!env.privileged) {
    visit.backedges = [];
    return;
  }
  for (let i = 0, before = -1; ; i++) {
    if (i > MAX_BACKEDGE_ITERS) {
      for (const b of visit.backedges) markAllScalarsPrecise(b.head);
      break;
    }
    const now = backedgePrecision(visit);
    if (now === before) break;
    before = now;
    for (const b of visit.backedges) propagatePrecision(env, b.old.state, b.live, b.head, b.first, b.idx, b.hist, ctx);
  }
  visit.backedges = [];
}

/** `push_jmp_history` with INSN_F_STACK_ACCESS: the instruction being checked spilled a register to this slot or filled one from it. */
function recordStackAccess(env: Env, frame: number, spi: number): void {
  const flag = stackAccess(frame, spi);
  if (env.histVisit) {
    env.hist[env.hist.length - 1] = flag;
  } else {
    env.hist.push(env.histIdx, env.histPrev, flag);
    env.histVisit = true;
  }
}

function popBranch(env: Env): Branch | undefined {
  const b = env.stack.pop();
  if (!b) return b;
  if (env.level === 1) env.log.rewind(b.logPos);
  env.state = b.state;
  env.path.length = b.pathLen;
  env.path.push(b.prevInsnIdx, b.insnIdx, b.pathKind);
  return b;
}

type Step =
  /** `log` follows the instruction's line; `print` asks for the state before the next one. */
  | { kind: 'next'; idx: number; log?: string; print?: 'state' | 'from' | 'log' }
  | { kind: 'branch'; idx: number; other: VerifierState; otherIdx: number }
  | { kind: 'exit' };

function doInsn(env: Env, state: VerifierState, idx: number, scratch: Scratch): Step {
  const ins = env.insns[idx];
  const row = env.rows[idx] as Opcode;
  switch (cls(ins)) {
    case BPF_ALU:
    case BPF_ALU64:
      checkAluOp(env, state, idx, ins, scratch);
      return { kind: 'next', idx: idx + 1 };
    case BPF_LDX:
      checkLdx(env, state, idx, ins, scratch);
      return { kind: 'next', idx: idx + 1 };
    case BPF_STX:
      if ((ins.code & 0xe0) === BPF_ATOMIC) checkAtomic(env, state, idx, ins, scratch);
      else checkStore(env, state, idx, ins, scratch, true);
      return { kind: 'next', idx: idx + 1 };
    case BPF_ST:
      checkStore(env, state, idx, ins, scratch, false);
      return { kind: 'next', idx: idx + 1 };
    case BPF_LD:
      if (row.format === 'lddw') {
        checkLdImm64(env, state, idx, ins, scratch);
        return { kind: 'next', idx: idx + 2 };
      }
      checkLdAbs(env, state, idx, ins, row, scratch);
      return { kind: 'next', idx: idx + 1 };
    default:
      return checkJmp(env, state, idx, ins, row, scratch);
  }
}

function regOf(state: VerifierState, regno: number): RegState {
  return cur(state).regs[regno];
}

/** `check_reg_arg(..., SRC_OP)`. */
function readReg(state: VerifierState, idx: number, regno: number, scratch: Scratch): RegState {
  const r = regOf(state, regno);
  scratch.regs.add(regno);
  if (r.type === 'not_init') throw new Reject(idx, `R${regno} !read_ok`);
  return r;
}

/** `check_reg_arg(..., DST_OP)`: R10 may not be written. */
function writeReg(state: VerifierState, idx: number, regno: number, value: RegState, scratch: Scratch): void {
  if (regno === 10) throw new Reject(idx, 'frame pointer is read only');
  cur(state).regs[regno] = value;
  scratch.regs.add(regno);
}

function isPointer(r: RegState): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

function checkAluOp(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): void {
  const alu32 = cls(ins) === BPF_ALU;
  const opcode = op(ins);
  if (opcode === BPF_END || opcode === BPF_NEG) {
    const dst = readReg(state, idx, ins.dst, scratch);
    if (ins.dst === 10) throw new Reject(idx, 'frame pointer is read only');
    if (isPointer(dst) && !env.privileged) throw new Reject(idx, `R${ins.dst} pointer arithmetic prohibited`);
    const r = isPointer(dst) ? unknownScalar() : copyReg(dst);
    r.id = 0;
    r.addConst = false;
    r.off = 0;
    if (opcode === BPF_NEG && !isPointer(dst)) adjustScalarMinMaxVals(r, r, BPF_NEG, alu32);
    else if (opcode === BPF_END && !isPointer(dst)) {
      // Byte swaps move known bits (value and mask alike); to-little-endian on a little-endian host truncates.
      const swap = !alu32 || (ins.code & 0x08) !== 0;
      const t = swap ? tnumBswap(dst.varOff, ins.imm) : tnumCast(dst.varOff, ins.imm / 8);
      markUnknown(r);
      r.varOff = t;
      regBoundsSync(r);
    } else markUnknown(r);
    writeReg(state, idx, ins.dst, r, scratch);
    return;
  }
  if (opcode === BPF_MOV) {
    checkMov(env, state, idx, ins, alu32, scratch);
    return;
  }
  if (srcX(ins)) readReg(state, idx, ins.src, scratch);
  const dst = readReg(state, idx, ins.dst, scratch);
  if ((opcode === BPF_MOD || opcode === BPF_DIV) && !srcX(ins) && ins.imm === 0) throw new Reject(idx, 'div by zero');
  if ((opcode === BPF_LSH || opcode === BPF_RSH || opcode === BPF_ARSH) && !srcX(ins)) {
    const size = alu32 ? 32 : 64;
    if (ins.imm < 0 || ins.imm >= size) throw new Reject(idx, `invalid shift ${ins.imm}`);
  }
  if (ins.dst === 10) throw new Reject(idx, 'frame pointer is read only');
  const src = srcX(ins) ? regOf(state, ins.src) : constScalar(BigInt(ins.imm));
  if (isPointer(dst) && isPointer(src)) {
    if (opcode === BPF_SUB && env.privileged) {
      writeReg(state, idx, ins.dst, unknownScalar(), scratch);
      return;
    }
    throw new Reject(idx, `R${ins.dst} pointer ${ALU_STRING[opcode >> 4]} pointer prohibited`);
  }
  if (isPointer(dst)) {
    // The scalar register's range decides the pointer's bounds.
    if (srcX(ins)) demandPrecise(env, state, ins.src);
    writeReg(state, idx, ins.dst, adjustPtrMinMaxVals(env, idx, ins, dst, src, false), scratch);
    return;
  }
  if (isPointer(src)) {
    demandPrecise(env, state, ins.dst);
    writeReg(state, idx, ins.dst, adjustPtrMinMaxVals(env, idx, ins, src, dst, true), scratch);
    return;
  }
  const r = copyReg(dst);
  const wasLinked = r.id !== 0;
  adjustScalarMinMaxVals(r, src, opcode, alu32);
  // Linked scalars: `r5 = r0; r5 += 3` keeps r5 tied to r0 as `id=1+3`.
  const delta = constValue(src, false);
  if (env.privileged && opcode === BPF_ADD && !alu32 && wasLinked && isConst(src, false) && !dst.addConst &&
      s64(delta) === BigInt.asIntN(32, delta)) {
    r.addConst = true;
    r.off = Number(BigInt.asIntN(32, delta));
  } else {
    r.id = 0;
    r.addConst = false;
    r.off = 0;
  }
  writeReg(state, idx, ins.dst, r, scratch);
}

/** `assign_scalar_id_before_mov`: a copied unknown scalar shares an id with its source. */
function assignScalarIdBeforeMov(env: Env, src: RegState): void {
  if (src.type !== 'scalar') return;
  if (src.addConst) {
    src.id = 0;
    src.off = 0;
    src.addConst = false;
  }
  if (!src.id && !tnumIsConst(src.varOff)) src.id = ++env.idGen;
}

function checkMov(env: Env, state: VerifierState, idx: number, ins: Insn, alu32: boolean, scratch: Scratch): void {
  if (!srcX(ins)) {
    const r = constScalar(alu32 ? BigInt(ins.imm >>> 0) : BigInt(ins.imm));
    writeReg(state, idx, ins.dst, r, scratch);
    return;
  }
  const src = readReg(state, idx, ins.src, scratch);
  if (ins.off !== 0) {
    // movsx: a sign-extending copy of a scalar's low 8, 16 or 32 bits.
    if (isPointer(src)) {
      if (!env.privileged) throw new Reject(idx, `R${ins.src} sign-extension mov of pointer`);
      writeReg(state, idx, ins.dst, unknownScalar(), scratch);
      return;
    }
    const r = copyReg(src);
    r.id = 0;
    r.addConst = false;
    r.off = 0;
    coerceRegToSizeSx(r, ins.off / 8);
    if (alu32) {
      zext32To64(r);
      regBoundsSync(r);
    }
    writeReg(state, idx, ins.dst, r, scratch);
    return;
  }
  if (!alu32) {
    assignScalarIdBeforeMov(env, src);
    writeReg(state, idx, ins.dst, copyReg(src), scratch);
    return;
  }
  if (isPointer(src)) {
    if (!env.privileged) throw new Reject(idx, `R${ins.src} partial copy of pointer`);
    const r = unknownScalar();
    zext32To64(r);
    regBoundsSync(r);
    writeReg(state, idx, ins.dst, r, scratch);
    return;
  }
  const fits32 = src.umax <= BigInt(U32_MAX);
  if (fits32) assignScalarIdBeforeMov(env, src);
  const r = copyReg(src);
  if (!fits32) {
    r.id = 0;
    r.addConst = false;
    r.off = 0;
  }
  zext32To64(r);
  regBoundsSync(r);
  writeReg(state, idx, ins.dst, r, scratch);
}

function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(i * 8)) & 0xffn);
  return out;
}

function tnumBswap(t: { value: bigint; mask: bigint }, bits: number): { value: bigint; mask: bigint } {
  return { value: bswap(t.value, bits), mask: bswap(t.mask, bits) };
}

/** `check_reg_sane_offset`: pointer offsets stay far from overflowing. */
function checkRegSaneOffset(idx: number, reg: RegState, typeStr: string): void {
  const known = tnumIsConst(reg.varOff);
  const val = s64(reg.varOff.value);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
    throw new Reject(idx, `math between ${typeStr} pointer and ${val} is not allowed`);
  }
  if (reg.off >= BPF_MAX_VAR_OFF || reg.off <= -BPF_MAX_VAR_OFF) {
    throw new Reject(idx, `${typeStr} pointer offset ${reg.off} is not allowed`);
  }
  if (reg.smin === S64_MIN) {
    throw new Reject(idx, `math between ${typeStr} pointer and register with unbounded min value is not allowed`);
  }
  if (reg.smin >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
    throw new Reject(idx, `value ${reg.smin} makes ${typeStr} pointer be out of bounds`);
  }
}

/** `adjust_ptr_min_max_vals`: pointer ± scalar. */
function adjustPtrMinMaxVals(env: Env, idx: number, ins: Insn, ptr: RegState, offReg: RegState, scalarIsDst: boolean): RegState {
  const opcode = op(ins);
  const typeStr = regTypeStr(ptr);
  if (cls(ins) !== BPF_ALU64) {
    if (opcode === BPF_SUB && env.privileged) return unknownScalar();
    throw new Reject(idx, `R${ins.dst} 32-bit pointer arithmetic prohibited`);
  }
  // Loads through untrusted memory are PROBE_MEM: the kernel tracks no offset, and leaves the destination as it was.
  if (ptr.type === 'mem' && ptr.untrusted) return copyReg(scalarIsDst ? offReg : ptr);
  if (ptr.maybeNull) throw new Reject(idx, `R${ins.dst} pointer arithmetic on ${typeStr} prohibited, null-check it first`);
  const known = tnumIsConst(offReg.varOff) && offReg.smin === offReg.smax;
  const sminVal = offReg.smin;
  switch (ptr.type) {
    case 'ctx': case 'map_value': case 'map_key': case 'fp': case 'pkt_meta': case 'pkt': case 'mem': case 'func': case 'ptr_':
      break;
    case 'map_ptr':
      if (known && sminVal === 0n && opcode === BPF_ADD) break;
      throw new Reject(idx, `R${ins.dst} pointer arithmetic on ${typeStr} prohibited`);
    default:
      throw new Reject(idx, `R${ins.dst} pointer arithmetic on ${typeStr} prohibited`);
  }
  checkRegSaneOffset(idx, offReg, typeStr);
  checkRegSaneOffset(idx, ptr, typeStr);
  const dst = copyReg(ptr);
  markUnbounded32(dst);
  switch (opcode) {
    case BPF_ADD: {
      const newOff = BigInt(ptr.off) + sminVal;
      if (known && newOff === BigInt.asIntN(32, newOff)) {
        dst.off = Number(newOff);
        break;
      }
      const sum = cloneBounds(ptr);
      adjustBoundsAdd(sum, offReg);
      Object.assign(dst, { smin: sum.smin, smax: sum.smax, umin: sum.umin, umax: sum.umax });
      dst.varOff = tnumAdd(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') {
        dst.id = ++env.idGen;
        dst.range = 0;
      }
      break;
    }
    case BPF_SUB: {
      if (scalarIsDst) throw new Reject(idx, `R${ins.dst} tried to subtract pointer from scalar`);
      if (ptr.type === 'fp') throw new Reject(idx, `R${ins.dst} subtraction from stack pointer prohibited`);
      const newOff = BigInt(ptr.off) - sminVal;
      if (known && newOff === BigInt.asIntN(32, newOff)) {
        dst.off = Number(newOff);
        break;
      }
      const smin = ptr.smin - offReg.smax, smax = ptr.smax - offReg.smin;
      if (smin !== s64(smin) || smax !== s64(smax)) {
        dst.smin = S64_MIN;
        dst.smax = (1n << 63n) - 1n;
      } else {
        dst.smin = smin;
        dst.smax = smax;
      }
      if (ptr.umin < offReg.umax) {
        dst.umin = 0n;
        dst.umax = (1n << 64n) - 1n;
      } else {
        dst.umin = ptr.umin - offReg.umax;
        dst.umax = ptr.umax - offReg.umin;
      }
      dst.varOff = tnumSub(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') {
        dst.id = ++env.idGen;
        if (sminVal < 0n) dst.range = 0;
      }
      break;
    }
    case BPF_AND: case BPF_OR: case BPF_XOR:
      throw new Reject(idx, `R${ins.dst} bitwise operator ${ALU_STRING[opcode >> 4]} on pointer prohibited`);
    default:
      throw new Reject(idx, `R${ins.dst} pointer arithmetic with ${ALU_STRING[opcode >> 4]} operator prohibited`);
  }
  checkRegSaneOffset(idx, dst, typeStr);
  regBoundsSync(dst);
  return dst;
}

/** The signed and unsigned 64-bit sums of `scalar_min_max_add`, for pointers. */
function adjustBoundsAdd(d: ReturnType<typeof cloneBounds>, s: RegState): void {
  const smin = d.smin + s.smin, smax = d.smax + s.smax;
  if (smin !== s64(smin) || smax !== s64(smax)) {
    d.smin = S64_MIN;
    d.smax = (1n << 63n) - 1n;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin + s.umin, umax = d.umax + s.umax;
  if (umin <= (1n << 64n) - 1n && umax > (1n << 64n) - 1n) {
    d.umin = 0n;
    d.umax = (1n << 64n) - 1n;
  } else {
    d.umin = BigInt.asUintN(64, umin);
    d.umax = BigInt.asUintN(64, umax);
  }
}

/** `coerce_reg_to_size`: the value of a load narrower than 8 bytes. */
function coerceRegToSize(r: RegState, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markUnbounded32(r);
  regBoundsSync(r);
}

/** `coerce_reg_to_size_sx`: a sign-extending load or move of `size` bytes. */
function coerceRegToSizeSx(r: RegState, size: number): void {
  const bits = BigInt(size * 8);
  if (tnumIsConst(r.varOff)) {
    markKnown(r, BigInt.asIntN(Number(bits), r.varOff.value));
    return;
  }
  const lo = -(1n << (bits - 1n)), hi = (1n << (bits - 1n)) - 1n;
  const sizeMask = (1n << bits) - 1n;
  let smin = lo, smax = hi;
  // A range that fits in `size` bytes without changing sign survives the extension.
  if ((r.umin & ~sizeMask) === (r.umax & ~sizeMask)) {
    const a = BigInt.asIntN(Number(bits), r.umin), b = BigInt.asIntN(Number(bits), r.umax);
    if (a <= b) {
      smin = a;
      smax = b;
    }
  }
  Object.assign(r, unboundedScalar());
  r.smin = smin;
  r.smax = smax;
  regBoundsSync(r);
}

/** `check_ptr_alignment`: the stack is always strict; other memory is not on x86-64. */
function checkPtrAlignment(idx: number, reg: RegState, off: number, size: number): void {
  if (reg.type !== 'fp' || size === 1) return;
  if (!tnumIsAligned(tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off))), size)) {
    const varOff = tnumIsConst(reg.varOff) ? s64(reg.varOff.value).toString() : tnumStr(reg.varOff);
    throw new Reject(idx, `misaligned stack access off ${varOff}+${reg.off}+${off} size ${size}`);
  }
}

type AccessKind = 'read' | 'write';

/** `check_mem_access`: a load or store of `size` bytes at reg + off. Returns the loaded value for reads. */
function checkMemAccess(env: Env, state: VerifierState, idx: number, regno: number, insnOff: number, size: number,
  kind: AccessKind, valueReg: RegState | null, scratch: Scratch): RegState | null {
  const reg = regOf(state, regno);
  checkPtrAlignment(idx, reg, insnOff, size);
  const off = insnOff + reg.off;
  const aux = env.aux[idx];
  const t: RegType | 'mixed' = aux.ptrType === undefined || aux.ptrType === reg.type ? reg.type : 'mixed';
  aux.ptrType = t;
  if (reg.maybeNull) throw new Reject(idx, `R${regno} invalid mem access '${regTypeStr(reg)}'`);
  switch (reg.type) {
    case 'fp':
      return checkStackAccess(env, state, idx, regno, reg, off, size, kind, valueReg, scratch);
    case 'ctx': {
      if (kind === 'write' && valueReg && isPointer(valueReg) && !env.privileged) throw new Reject(idx, `R${regno} leaks addr into ctx`);
      checkPtrOffReg(idx, regno, reg);
      const access = env.prog.ctxAccess(off, size, kind);
      if (!access) throw new Reject(idx, `invalid bpf_context access off=${off} size=${size}`);
      if (kind === 'write') return null;
      switch (access.regType) {
        case 'PTR_TO_PACKET': return pointer('pkt');
        case 'PTR_TO_PACKET_META': return pointer('pkt_meta');
        case 'PTR_TO_PACKET_END': return pointer('pkt_end');
        case 'SCALAR_VALUE': return loadedScalar(size);
        case 'PTR_TO_SOCKET': return pointer('sock');
        case 'PTR_TO_SOCKET_OR_NULL': return maybeNullPointer(env, 'sock');
        case 'PTR_TO_SOCK_COMMON_OR_NULL': return maybeNullPointer(env, 'sock_common');
        default: throw new Reject(idx, `context field ${access.field.name} (${access.regType}) is not supported by this verifier yet`);
      }
    }
    case 'pkt':
    case 'pkt_meta': {
      if (kind === 'write' && !env.prog.pktWrite) {
        throw new Reject(idx, 'cannot write into packet');
      }
      if (reg.smin < 0n) throw new Reject(idx, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      // The variable part was added before the bounds check that set `range`: only the fixed offset counts.
      // A pointer known to be at or past pkt_end (negative range) gets no access line, only the verdict.
      if (reg.range < 0) throw new Reject(idx, `R${regno} offset is outside of the packet`);
      if (off < 0 || off + size > reg.range) {
        throw new Reject(idx, `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${reg.range})\nR${regno} offset is outside of the packet`);
      }
      return kind === 'read' ? loadedScalar(size) : null;
    }
    case 'map_value': {
      const map = env.maps[reg.mapIndex];
      if (kind === 'write' && valueReg && isPointer(valueReg) && !env.privileged) throw new Reject(idx, `R${regno} leaks addr into map`);
      checkMapAccessType(idx, map, off, size, kind);
      checkMemRegionAccess(idx, regno, reg, off, size, map.valueSize, 'map value');
      if (map.spinLockOff !== undefined && reg.smin + BigInt(off) < BigInt(map.spinLockOff + 4) && BigInt(map.spinLockOff) < reg.umax + BigInt(off + size)) {
        throw new Reject(idx, 'bpf_spin_lock cannot be accessed directly by load/store');
      }
      // `map_direct_value_addr`: arrays of one element only.
      if (kind === 'read' && map.frozenValue && map.maxEntries === 1 && (map.flags ?? 0) & BPF_F_RDONLY_PROG && tnumIsConst(reg.varOff)) {
        return constScalar(readFrozen(map.frozenValue, off + Number(reg.varOff.value), size));
      }
      return kind === 'read' ? loadedScalar(size) : null;
    }
    case 'map_key': {
      const map = env.maps[reg.mapIndex];
      if (kind === 'write') throw new Reject(idx, `write to map key R${regno} is not allowed`);
      checkMemRegionAccess(idx, regno, reg, off, size, map.keySize, 'map key');
      return loadedScalar(size);
    }
    case 'mem': {
      if (kind === 'write' && reg.rdonly && reg.untrusted) throw new Reject(idx, `R${regno} cannot write into ${regTypeStr(reg)}`);
      if (kind === 'write' && reg.rdonly) throw new Reject(idx, `the access to R${regno} is read only`);
      // A pointer read out of a kernel struct to something not a struct: PROBE_MEM loads read it anywhere.
      if (reg.rdonly && reg.untrusted) return loadedScalar(size);
      checkMemRegionAccess(idx, regno, reg, off, size, reg.memSize, 'memory');
      return kind === 'read' ? loadedScalar(size) : null;
    }
    case 'sock_common':
    case 'sock':
    case 'tcp_sock':
    case 'xdp_sock': {
      if (kind === 'write') throw new Reject(idx, `R${regno} cannot write into ${regTypeStr(reg)}`);
      if (reg.smin < 0n) throw new Reject(idx, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      if (!sockAccessValid(reg.type, off, size)) throw new Reject(idx, `R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
      return loadedScalar(size);
    }
    case 'ptr_':
      return checkPtrToBtfAccess(env, idx, regno, reg, off, size, kind);
    case 'not_init':
      throw new Reject(idx, `R${regno} !read_ok`);
    default:
      throw new Reject(idx, `R${regno} invalid mem access '${regTypeStr(reg)}'`);
  }
}

/** `is_trusted_reg` for PTR_TO_BTF_ID: referenced, or PTR_TRUSTED with no unsafe flag. */
function isTrustedReg(r: RegState): boolean {
  return r.refObjId !== 0 || (r.trusted && !r.untrusted && !r.maybeNull && !r.rcu);
}

/**
 * `check_ptr_to_btf_access`: a load through PTR_TO_BTF_ID reads what the
 * struct's BTF says is there (btf-ptr.ts); a pointer member gives
 * PTR_TO_BTF_ID of its struct with the flags the kernel derives from the
 * base's trust. Stores are refused (no program type here has a
 * btf_struct_access that allows them for these structs).
 */
function checkPtrToBtfAccess(env: Env, idx: number, regno: number, reg: RegState, off: number, size: number,
  kind: AccessKind): RegState | null {
  const tname = btfTypeName(reg.btfId);
  if (!env.privileged) throw new Reject(idx, `'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (!env.gpl) throw new Reject(idx, `Cannot access kernel 'struct ${tname}' from non-GPL compatible program`);
  if (off < 0) throw new Reject(idx, `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    throw new Reject(idx, `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=${tnumStr(reg.varOff)}`);
  }
  if (kind === 'write') throw new Reject(idx, 'only read is supported');
  if (btfIsStub(reg.btfId)) throw new Reject(idx, `struct ${tname} is known to this verifier only by name: loads through ptr_${tname} are not supported yet`);
  const access = btfStructAccess(reg.btfId, off, size);
  switch (access.kind) {
    case 'error': throw new Reject(idx, access.message);
    case 'scalar': return loadedScalar(size);
    case 'mem': {
      // `mark_btf_ld_reg` of PTR_TO_MEM: a pointer to something not a struct, readable only by PROBE_MEM loads.
      const r = pointer('mem');
      r.rdonly = true;
      r.untrusted = true;
      return r;
    }
    case 'ptr': {
      const r = pointer('ptr_');
      r.btfId = access.id;
      r.untrusted = access.untrusted;
      if (reg.untrusted) r.untrusted = true;
      else if (isTrustedReg(reg) || reg.rcu) {
        // `in_rcu_cs`: a program that cannot sleep runs inside one. Only req->sk (`BTF_TYPE_SAFE_RCU_OR_NULL`)
        // of these structs keeps its trust, as RCU-protected and maybe NULL; walking other pointers loses it.
        if (env.sleepable) {
          r.untrusted = true;
        } else if (tname === 'request_sock' && access.fieldName === 'sk') {
          r.rcu = true;
          r.maybeNull = true;
          r.untrusted = false;
        }
      }
      if (r.maybeNull) r.id = ++env.idGen;
      return r;
    }
  }
}

/** A PTR_MAYBE_NULL load from the context: its own id, which a NULL check resolves for every copy. */
function maybeNullPointer(env: Env, type: RegType): RegState {
  const r = pointer(type);
  r.maybeNull = true;
  r.id = ++env.idGen;
  return r;
}

/** `bpf_map_direct_read`: `size` little-endian bytes of a frozen value, zero-extended. */
function readFrozen(value: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[off + i] ?? 0);
  return v;
}

/** `check_map_access_type`: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG maps. */
function checkMapAccessType(idx: number, map: MapDescriptor, off: number, size: number, kind: AccessKind): void {
  const flags = map.flags ?? 0;
  if (kind === 'write' && flags & BPF_F_RDONLY_PROG) throw new Reject(idx, `write into map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
  if (kind === 'read' && flags & BPF_F_WRONLY_PROG) throw new Reject(idx, `read from map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
}

/** What a load of 1, 2 and 4 bytes gives, by size: the same for every load, so built once. */
const loadedScalars: RegState[] = [];

function loadedScalar(size: number): RegState {
  if (size >= 8) return unknownScalar();
  let r = loadedScalars[size];
  if (!r) {
    r = unknownScalar();
    coerceRegToSize(r, size);
    loadedScalars[size] = r;
  }
  return copyReg(r);
}

/** `check_mem_region_access`: a fixed plus variable offset into an object of `memSize` bytes. */
function checkMemRegionAccess(idx: number, regno: number, reg: RegState, off: number, size: number, memSize: number, what: 'map value' | 'map key' | 'memory'): void {
  const describe = (o: bigint): string => {
    if (what === 'map value') return `invalid access to map value, value_size=${memSize} off=${o} size=${size}`;
    if (what === 'map key') return `invalid access to map key, key_size=${memSize} off=${o} size=${size}`;
    return `invalid access to memory, mem_size=${memSize} off=${o} size=${size}`;
  };
  const ok = (o: bigint): boolean => o >= 0n && size > 0 && o + BigInt(size) <= BigInt(memSize);
  if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt(off) + reg.smin !== BigInt.asIntN(32, BigInt(off) + reg.smin) || reg.smin + BigInt(off) < 0n)) {
    throw new Reject(idx, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const lo = reg.smin + BigInt(off);
  if (!ok(lo)) {
    throw new Reject(idx, `${describe(lo)}\nR${regno} min value is outside of the allowed memory range`);
  }
  if (reg.umax >= BigInt(BPF_MAX_VAR_OFF)) {
    throw new Reject(idx, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  }
  const hi = reg.umax + BigInt(off);
  if (!ok(hi)) throw new Reject(idx, describe(hi) + `\nR${regno} max value is outside of the allowed memory range`);
}

function frameOf(state: VerifierState, reg: RegState): FuncState {
  return state.frames.find((f) => f.frameno === reg.frameno) ?? cur(state);
}

function ensureSlots(f: FuncState, spi: number): void {
  while (f.stack.length <= spi) f.stack.push(emptySlot());
}

/** Stack loads and stores: `check_stack_access_within_bounds` then the fixed- or variable-offset read/write. */
function checkStackAccess(env: Env, state: VerifierState, idx: number, regno: number, reg: RegState, off: number,
  size: number, kind: AccessKind, valueReg: RegState | null, scratch: Scratch, helper = false): RegState | null {
  const frame = frameOf(state, reg);
  const constOff = tnumIsConst(reg.varOff);
  const minOff = constOff ? off + Number(s64(reg.varOff.value)) : off + Number(reg.smin);
  const maxOff = constOff ? minOff + size : off + Number(reg.smax) + size;
  const extra = kind === 'read' ? ' read from' : ' write to';
  if (!constOff && (reg.smin <= -BigInt(BPF_MAX_VAR_OFF) || reg.smax >= BigInt(BPF_MAX_VAR_OFF))) {
    throw new Reject(idx, `invalid unbounded variable-offset${extra} stack R${regno}`);
  }
  if (minOff < -MAX_BPF_STACK || maxOff > 0) {
    if (constOff) throw new Reject(idx, `invalid${extra} stack R${regno} off=${minOff} size=${size}`);
    throw new Reject(idx, `invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.varOff)} off=${off} size=${size}`);
  }
  const sub = frame.subprogno;
  env.stackDepth[sub] = Math.max(env.stackDepth[sub] ?? 0, -minOff);
  if (kind === 'write') {
    if (constOff) stackWriteFixed(env, frame, minOff, size, valueReg, scratch);
    else stackWriteVar(frame, minOff, maxOff, scratch);
    return null;
  }
  return constOff ? stackReadFixed(env, idx, frame, minOff, size, scratch)
    : stackReadVar(env, idx, regno, frame, minOff, maxOff, reg, off, size, helper ? null : scratch);
}

function slotIndex(off: number): { spi: number; j: number } {
  return { spi: Math.floor((-off - 1) / BPF_REG_SIZE), j: (-off - 1) % BPF_REG_SIZE };
}

/** `check_stack_write_fixed_off`: spills keep the register; other stores make bytes misc or zero. */
function stackWriteFixed(env: Env, f: FuncState, off: number, size: number, value: RegState | null, scratch: Scratch): void {
  const { spi } = slotIndex(off);
  ensureSlots(f, spi);
  scratch.slots.add(spi);
  const slot = f.stack[spi];
  const aligned = off % BPF_REG_SIZE === 0;
  // Only a whole slot written screens the reads after it from the ones before.
  if (aligned && size === BPF_REG_SIZE) env.liveStack.markWrite(f.frameno, spi);
  const spilled = slot.slotType[BPF_REG_SIZE - 1] === 'spill';
  // A store that overwrites part of a spilled register destroys the spill.
  if (spilled && !(aligned && size === BPF_REG_SIZE)) {
    for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.slotType[j] === 'spill') slot.slotType[j] = 'misc';
    slot.spilledPtr = notInit();
  }
  if (value && aligned && (value.type === 'scalar' ? env.privileged : size === BPF_REG_SIZE)) {
    if (value.type === 'scalar' && value.umax >> BigInt(size * 8) === 0n) assignScalarIdBeforeMov(env, value);
    slot.spilledPtr = copyReg(value);
    if (value.type === 'scalar' && value.umax >> BigInt(size * 8) !== 0n) slot.spilledPtr.id = 0;
    for (let j = BPF_REG_SIZE; j > BPF_REG_SIZE - size; j--) slot.slotType[j - 1] = 'spill';
    recordStackAccess(env, f.frameno, spi);
    return;
  }
  if (value && isPointer(value)) {
    throw new Reject(-1, 'invalid size of register spill');
  }
  // A plain store into a slot that held a spill scrubs it (`scrub_spilled_slot`): every initialised byte, zeros too, becomes misc.
  if (spilled) for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.slotType[j] !== 'invalid') slot.slotType[j] = 'misc';
  const zero = value !== null && value.type === 'scalar' && tnumIsConst(value.varOff) && value.varOff.value === 0n;
  for (let i = 0; i < size; i++) {
    const o = off + i;
    const s = slotIndex(o);
    ensureSlots(f, s.spi);
    const target = f.stack[s.spi];
    if (target.slotType[BPF_REG_SIZE - 1] === 'spill' && s.spi !== spi) {
      for (let j = 0; j < BPF_REG_SIZE; j++) if (target.slotType[j] === 'spill') target.slotType[j] = 'misc';
      target.spilledPtr = notInit();
    }
    target.slotType[s.j] = zero ? 'zero' : 'misc';
    scratch.slots.add(s.spi);
  }
}

/** A store at a variable offset: every byte it may touch becomes misc. */
function stackWriteVar(f: FuncState, minOff: number, maxOff: number, scratch: Scratch): void {
  for (let o = minOff; o < maxOff; o++) {
    const s = slotIndex(o);
    ensureSlots(f, s.spi);
    const slot = f.stack[s.spi];
    if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') {
      for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.slotType[j] === 'spill') slot.slotType[j] = 'misc';
      slot.spilledPtr = notInit();
    }
    slot.slotType[s.j] = 'misc';
    scratch.slots.add(s.spi);
  }
}

/** `check_stack_read_fixed_off`. */
function stackReadFixed(env: Env, idx: number, f: FuncState, off: number, size: number, scratch: Scratch): RegState {
  const { spi } = slotIndex(off);
  ensureSlots(f, spi);
  scratch.slots.add(spi);
  markStackRead(env, f.frameno, idx, spi);
  const slot = f.stack[spi];
  if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') {
    const spillSize = slot.slotType.filter((t) => t === 'spill').length;
    const spilled = slot.spilledPtr;
    if (size === BPF_REG_SIZE && spillSize === BPF_REG_SIZE) {
      recordStackAccess(env, f.frameno, spi);
      return copyReg(spilled);
    }
    if (spilled.type !== 'scalar') {
      if (size !== BPF_REG_SIZE) throw new Reject(idx, 'invalid size of register fill');
      throw new Reject(idx, 'corrupted spill memory');
    }
    if (size <= spillSize && off % BPF_REG_SIZE === 0) {
      const r = copyReg(spilled);
      if (spilled.umax >> BigInt(size * 8) !== 0n) {
        r.id = 0;
        r.addConst = false;
        r.off = 0;
      }
      if (size < 8) coerceRegToSize(r, size);
      recordStackAccess(env, f.frameno, spi);
      return r;
    }
  }
  let zeros = 0;
  let spills = 0;
  for (let i = 0; i < size; i++) {
    const s = slotIndex(off + i);
    ensureSlots(f, s.spi);
    const type = f.stack[s.spi].slotType[s.j];
    if (type === 'zero') zeros++;
    if (type === 'spill') spills++;
    if (type === 'invalid' && !env.privileged) throw new Reject(idx, `invalid read from stack off ${off}+${i} size ${size}`);
  }
  // Part of a spilled constant zero reads as zero, as zero bytes do.
  const spilled = slot.spilledPtr;
  if (spills === size && spilled.type === 'scalar' && tnumIsConst(spilled.varOff) && spilled.varOff.value === 0n) {
    recordStackAccess(env, f.frameno, spi);
    return constScalar(0n);
  }
  if (zeros === size) return constScalar(0n);
  return loadedScalar(size);
}

/** `check_stack_read_var_off`: every byte that may be read must be initialised (when privileged: exist). */
function stackReadVar(env: Env, idx: number, regno: number, f: FuncState, minOff: number, maxOff: number, reg: RegState, off: number, size: number,
  scratch: Scratch | null): RegState {
  let allZero = true;
  for (let o = minOff; o < maxOff; o++) {
    const s = slotIndex(o);
    const type = f.stack[s.spi]?.slotType[s.j] ?? 'invalid';
    // `mark_reg_stack_read` scratches the slots it looks at: up to the first byte that is not zero.
    if (allZero) scratch?.slots.add(s.spi);
    if (type !== 'zero') allZero = false;
    if (type === 'invalid' && !env.privileged) {
      throw new Reject(idx, `invalid variable-offset read from stack R${regno} var_off=${tnumStr(reg.varOff)} off=${off} size=${size}`);
    }
    markStackRead(env, f.frameno, idx, s.spi);
  }
  return allZero ? constScalar(0n) : loadedScalar(size);
}

/**
 * `save_aux_ptr_type`: a load or store that reads the context, a socket or
 * a kernel struct on one path is rewritten for that type, so no other path
 * may reach it with another pointer type.
 */
function checkAuxPtrType(idx: number, prev: RegType | 'mixed' | undefined, type: RegType): void {
  if (prev === undefined || prev === type) return;
  // `reg_type_mismatch_ok`: ctx and socket loads are rewritten, kernel struct loads become BPF_PROBE_MEM.
  const rewritten = (t: RegType | 'mixed'): boolean => t === 'ctx' || isSockType(t) || t === 'ptr_';
  if (rewritten(prev) || rewritten(type)) throw new Reject(idx, 'same insn cannot be used with different pointers');
}

function checkLdx(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): void {
  readReg(state, idx, ins.src, scratch);
  if (ins.dst === 10) throw new Reject(idx, 'frame pointer is read only');
  const size = sizeBytes(ins);
  const prevType = env.aux[idx].ptrType;
  const src = regOf(state, ins.src);
  const srcType = src.type;
  if (srcType === 'ptr_' || (srcType === 'mem' && src.untrusted)) env.aux[idx].probeMem = true;
  const value = checkMemAccess(env, state, idx, ins.src, ins.off, size, 'read', null, scratch) as RegState;
  checkAuxPtrType(idx, prevType, srcType);
  if ((ins.code & 0xe0) === BPF_MEMSX && value.type === 'scalar') {
    const r = unknownScalar();
    Object.assign(r, cloneBounds(value));
    coerceRegToSizeSx(r, size);
    writeReg(state, idx, ins.dst, r, scratch);
    return;
  }
  writeReg(state, idx, ins.dst, value, scratch);
}

function checkStore(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch, fromReg: boolean): void {
  const value = fromReg ? readReg(state, idx, ins.src, scratch) : constScalar(BigInt(ins.imm));
  const dst = readReg(state, idx, ins.dst, scratch);
  const size = sizeBytes(ins);
  // A register holding 0 stored where it is no spill makes the bytes STACK_ZERO: the register must be 0 for them to be.
  if (fromReg && value.type === 'scalar' && tnumIsConst(value.varOff) && value.varOff.value === 0n && dst.type === 'fp' &&
      tnumIsConst(dst.varOff) && (dst.off + Number(s64(dst.varOff.value)) + ins.off) % BPF_REG_SIZE !== 0) {
    demandPrecise(env, state, ins.src);
  }
  const prevType = env.aux[idx].ptrType;
  try {
    checkMemAccess(env, state, idx, ins.dst, ins.off, size, 'write', value, scratch);
    checkAuxPtrType(idx, prevType, dst.type);
  } catch (err) {
    if (err instanceof Reject && err.insn < 0) throw new Reject(idx, err.message);
    throw err;
  }
}

function checkAtomic(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): void {
  const size = sizeBytes(ins);
  if (size !== 4 && size !== 8) throw new Reject(idx, 'invalid atomic operand size');
  readReg(state, idx, ins.src, scratch);
  const dst = readReg(state, idx, ins.dst, scratch);
  if (ins.imm === BPF_CMPXCHG) readReg(state, idx, 0, scratch);
  const src = regOf(state, ins.src);
  if (isPointer(src) && !env.privileged) throw new Reject(idx, `R${ins.src} leaks addr into mem`);
  if (dst.type === 'ctx' || dst.type === 'pkt' || dst.type === 'pkt_meta' || isSockType(dst.type)) {
    throw new Reject(idx, `BPF_ATOMIC stores into R${ins.dst} ${regTypeStr(dst)} is not allowed`);
  }
  const fetch = (ins.imm & BPF_FETCH) !== 0 || ins.imm === BPF_XCHG || ins.imm === BPF_CMPXCHG;
  if (fetch && (ins.imm === BPF_CMPXCHG ? 0 : ins.src) === 10) throw new Reject(idx, 'frame pointer is read only');
  const loaded = checkMemAccess(env, state, idx, ins.dst, ins.off, size, 'read', null, scratch);
  checkMemAccess(env, state, idx, ins.dst, ins.off, size, 'write', null, scratch);
  if (!fetch) return;
  const target = ins.imm === BPF_CMPXCHG ? 0 : ins.src;
  // The old value as a load reads it: from the stack, what was spilled there (`check_atomic_rmw`'s second read).
  writeReg(state, idx, target, loaded ?? unknownScalar(), scratch);
}

/**
 * `check_ld_abs`: the legacy packet loads read the skb in R6 (and R<src> for
 * BPF_IND), may end the program, and leave R0 unknown and R1-R5 clobbered.
 */
function checkLdAbs(env: Env, state: VerifierState, idx: number, ins: Insn, row: Opcode, scratch: Scratch): void {
  if (!env.prog.spec.ldAbs) throw new Reject(idx, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const ind = row.format === 'ldind';
  if (ins.dst !== 0 || ins.off !== 0 || sizeBytes(ins) === 8 || (!ind && ins.src !== 0)) {
    throw new Reject(idx, 'BPF_LD_[ABS|IND] uses reserved fields');
  }
  const ctx = readReg(state, idx, 6, scratch);
  checkResourceLeak(state, idx, true, 'BPF_LD_[ABS|IND]');
  if (ctx.type !== 'ctx') throw new Reject(idx, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (ind) readReg(state, idx, ins.src, scratch);
  if (ctx.off) throw new Reject(idx, `dereference of modified ctx ptr R6 off=${ctx.off} disallowed`);
  const f = cur(state);
  for (let r = 1; r <= 5; r++) f.regs[r] = notInit();
  writeReg(state, idx, 0, unknownScalar(), scratch);
}

/**
 * `check_resource_leak`: what would end the program here (exit, tail call,
 * LD_ABS) may not hold a spin lock (when `checkLock`) or a reference.
 */
function checkResourceLeak(state: VerifierState, idx: number, checkLock: boolean, prefix: string): void {
  if (checkLock && state.refs.some((r) => r.lockMap !== undefined)) throw new Reject(idx, `${prefix} cannot be used inside bpf_spin_lock-ed region`);
  const ref = state.refs.find((r) => r.lockMap === undefined);
  if (ref) throw new Reject(idx, `Unreleased reference id=${ref.id} alloc_insn=${ref.insnIdx}\n${prefix} would lead to reference leak`);
}

function checkLdImm64(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): void {
  const value = imm64(ins, env.insns[idx + 1]);
  switch (ins.src) {
    case 0:
      writeReg(state, idx, ins.dst, constScalar(value), scratch);
      return;
    case BPF_PSEUDO_MAP_FD:
    case BPF_PSEUDO_MAP_IDX:
    case BPF_PSEUDO_MAP_VALUE:
    case BPF_PSEUDO_MAP_IDX_VALUE: {
      const mapIndex = ins.imm;
      // checkUsedMaps found every map before the walk.
      const map = env.maps[mapIndex]!;
      if (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_IDX) {
        const r = pointer('map_ptr');
        r.mapIndex = mapIndex;
        writeReg(state, idx, ins.dst, r, scratch);
        return;
      }
      const off = env.insns[idx + 1].imm;
      if (off < 0 || off >= map.valueSize) throw new Reject(idx, `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
      const r = pointer('map_value', off);
      r.mapIndex = mapIndex;
      writeReg(state, idx, ins.dst, r, scratch);
      return;
    }
    case BPF_PSEUDO_FUNC: {
      const start = idx + ins.imm + 1;
      if (!env.funcLinkage) throw new Reject(idx, 'missing btf func_info');
      if (env.funcLinkage.get(start) !== BTF_FUNC_STATIC) throw new Reject(idx, 'callback function not static');
      const r = pointer('func');
      r.subprogno = subprogOf(env, start);
      writeReg(state, idx, ins.dst, r, scratch);
      return;
    }
    default:
      throw new Reject(idx, `ld_imm64 with src ${ins.src} is not supported by this verifier yet`);
  }
}

function checkJmp(env: Env, state: VerifierState, idx: number, ins: Insn, row: Opcode, scratch: Scratch): Step {
  switch (row.format) {
    case 'ja':
    case 'ja32': {
      const target = idx + (row.format === 'ja' ? ins.off : ins.imm) + 1;
      env.path.push(idx, target, PATH_JUMP);
      return { kind: 'next', idx: target };
    }
    case 'exit':
      return checkExit(env, state, idx, scratch);
    case 'call_helper':
      if (state.refs.some((r) => r.lockMap !== undefined) && helperName(ins.imm) !== 'bpf_spin_unlock') {
        throw new Reject(idx, 'function calls are not allowed while holding a lock');
      }
      {
        const callback = checkHelperCall(env, state, idx, ins, scratch);
        if (callback) return { kind: 'branch', idx: idx + 1, other: callback.state, otherIdx: callback.idx };
      }
      return { kind: 'next', idx: idx + 1 };
    case 'call_local':
      return checkFuncCall(env, state, idx, ins, scratch);
    case 'jmp_reg':
    case 'jmp_imm':
      return checkCondJmpOp(env, state, idx, ins, scratch);
    case 'may_goto':
      return checkMayGoto(env, state, idx, ins);
    case 'callx':
      // The kernel's verifier does not know BPF_CALL|BPF_X.
      throw new Reject(idx, `unknown opcode ${ins.code.toString(16)}`);
    default:
      throw new Reject(idx, `${row.mnemonic} is not supported by this verifier yet`);
  }
}

/**
 * may_goto in `check_cond_jmp_op`: the walk follows the jump (the budget
 * spent, the loop left) and queues the fall-through, one iteration deeper;
 * scalars that differ from the previous iteration's and that nothing made
 * precise are widened to unknown there (`widen_imprecise_scalars`), so the
 * iterations converge by range instead of being unrolled.
 */
function checkMayGoto(env: Env, state: VerifierState, idx: number, ins: Insn): Step {
  // Against the checkpoint just taken here (`cur->parent`): an earlier iteration, not this one.
  const prev = env.walkHead ? findPrevEntry(env, idx, state, env.walkHead.dfsDepth) : undefined;
  const other = cloneState(state);
  other.mayGotoDepth = (state.mayGotoDepth ?? 0) + 1;
  if (prev) widenImpreciseScalars(prev, other);
  const target = idx + ins.off + 1;
  return { kind: 'branch', idx: target, other, otherIdx: idx + 1 };
}

/** `explored_state`: the hash bucket of the states at `idx` of the frame `state` runs in. */
function stateBucket(env: Env, idx: number, state: VerifierState): number {
  return ((idx ^ cur(state).callsite) >>> 0) % env.insns.length;
}

/**
 * `find_prev_entry`: the newest checkpoint at `idx` still on the walk
 * (branches left to explore) with the same call chain, below `depth` on the
 * path (`dfs_depth`: the path's last checkpoint has its own, the state walked
 * one more): the state of the previous iteration of the loop.
 */
function findPrevEntry(env: Env, idx: number, state: VerifierState, depth: number): Checkpoint | undefined {
  const list = env.explored.get(idx) ?? [];
  for (let k = list.length - 1; k >= 0; k--) {
    const cp = list[k];
    if (cp.branches > 0 && cp.dfsDepth < depth && sameCallsites(cp.state, state)) return cp;
  }
  return undefined;
}

function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  return a.frames.length === b.frames.length && a.frames.every((f, i) => f.callsite === b.frames[i].callsite);
}

/** `widen_imprecise_scalars`: every imprecise scalar of `cur` that is not exactly as in `prev` becomes unknown. */
function widenImpreciseScalars(prev: Checkpoint, cur: VerifierState): void {
  const exact = regsExactMatcher();
  const widen = (o: RegState, c: RegState): RegState => {
    if (o.type !== 'scalar' || c.type !== 'scalar' || o.precise || c.precise || exact(o, c)) return c;
    return unknownScalar();
  };
  prev.state.frames.forEach((fold, fr) => {
    const fcur = cur.frames[fr];
    for (let r = 0; r < 11; r++) fcur.regs[r] = widen(fold.regs[r], fcur.regs[r]);
    const slots = Math.min(fold.stack.length, fcur.stack.length);
    for (let spi = 0; spi < slots; spi++) {
      const os = fold.stack[spi], cs = fcur.stack[spi];
      if (os.slotType[BPF_REG_SIZE - 1] !== 'spill' || cs.slotType[BPF_REG_SIZE - 1] !== 'spill') continue;
      cs.spilledPtr = widen(os.spilledPtr, cs.spilledPtr);
    }
  });
}

/**
 * `check_func_call` of a global function: the arguments must match its BTF
 * prototype (`btf_check_func_arg_match`); the function itself is verified on
 * its own later, so the call returns an unknown scalar.
 */
function callGlobalFunc(env: Env, state: VerifierState, idx: number, subprog: number, global: GlobalFunc | string, scratch: Scratch): Step {
  const name = typeof global === 'string' ? '' : global.name;
  const invalid = (why: string) => new Reject(idx, `${why}\nCaller passes invalid args into func#${subprog} ('${name}')`);
  if (typeof global === 'string') throw invalid(global);
  global.args.forEach((arg, i) => {
    const regno = i + 1;
    const reg = readReg(state, idx, regno, scratch);
    if (arg.kind === 'scalar') {
      if (reg.type !== 'scalar') throw invalid(`R${regno} is not a scalar`);
    } else if (arg.kind === 'ctx') {
      if (reg.type !== 'ctx') throw invalid(`arg#${i} expects pointer to ctx`);
    } else if (!(reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n)) {
      try {
        checkHelperMemAccess(env, state, idx, regno, reg, arg.size, 'read', scratch);
      } catch (err) {
        throw err instanceof Reject ? invalid(err.message) : err;
      }
    }
  });
  if (state.refs.some((r) => r.lockMap !== undefined)) {
    throw new Reject(idx, 'global function calls are not allowed while holding a lock,\nuse static function instead');
  }
  if (env.changesPktData[subprog]) clearAllPktPointers(env, state);
  env.calledGlobals.add(subprog);
  const f = cur(state);
  for (let r = 1; r <= 5; r++) f.regs[r] = notInit();
  f.regs[0] = unknownScalar();
  scratch.regs.add(0);
  if (env.level === 0) return { kind: 'next', idx: idx + 1, print: 'log' };
  const onlyR0 = new Scratch();
  onlyR0.regs.add(0);
  const r0 = stateStr(env, f, onlyR0);
  return { kind: 'next', idx: idx + 1, log: `Func#${subprog} ('${name}') is global and assumed valid.\n${idx + 1}:${r0}\n`, print: 'log' };
}

/** `clear_all_pkt_pointers`: after a call that may move the packet, every packet pointer of every frame is a number. */
function clearAllPktPointers(env: Env, state: VerifierState): void {
  if (env.prog.spec.packetAccess === 'none') return;
  forEachReg(state, (r) => {
    if (isPkt(r) || r.type === 'pkt_end') Object.assign(r, unknownScalar());
  });
}

/** `btf_prepare_func_args`: the state a global function is verified from. */
function globalEntryState(env: Env, subprog: number, global: GlobalFunc): VerifierState {
  const frame = newFrame(0, -1, subprog);
  global.args.forEach((arg, i) => {
    if (arg.kind === 'scalar') frame.regs[i + 1] = unknownScalar();
    else if (arg.kind === 'ctx') frame.regs[i + 1] = pointer('ctx');
    else {
      const r = pointer('mem');
      r.memSize = arg.size;
      r.maybeNull = true;
      r.id = ++env.idGen;
      frame.regs[i + 1] = r;
    }
  });
  return { frames: [frame], refs: [] };
}

/** `do_check_subprogs`: each global function some verified path calls, on its own, until no new one is called. */
function checkGlobalFuncs(env: Env): void {
  const done = new Set<number>();
  for (let again = true; again;) {
    again = false;
    for (let sub = 1; sub < env.subprogStarts.length; sub++) {
      if (!env.calledGlobals.has(sub) || done.has(sub)) continue;
      done.add(sub);
      again = true;
      const global = globalFuncOf(env, sub) as GlobalFunc | string;
      if (typeof global === 'string') throw new Reject(env.subprogStarts[sub], global);
      env.verbose(`Validating ${global.name}() func#${sub}...\n`);
      env.explored.clear();
      env.bucketStates.clear();
      env.verifyingSubprog = sub;
      doCheck(env, globalEntryState(env, sub, global), env.subprogStarts[sub]);
      env.verbose(`Func#${sub} ('${global.name}') is safe for any args that match its prototype\n`);
    }
  }
}

/** `check_func_call`: a new frame with R1-R5 as arguments. */
function checkFuncCall(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): Step {
  const global = globalFuncOf(env, subprogOf(env, idx + ins.imm + 1));
  if (global !== undefined) return callGlobalFunc(env, state, idx, subprogOf(env, idx + ins.imm + 1), global, scratch);
  if (state.frames.length >= MAX_CALL_FRAMES) throw new Reject(idx, `the call stack of ${state.frames.length + 1} frames is too deep`);
  const target = idx + ins.imm + 1;
  const caller = cur(state);
  const callee = newFrame(state.frames.length, idx, subprogOf(env, target));
  // R1-R5 move to the callee and the caller's become not_init: the objects trade places, no copy.
  for (let r = 1; r <= 5; r++) {
    const arg = caller.regs[r];
    caller.regs[r] = callee.regs[r];
    callee.regs[r] = arg;
  }
  state.frames.push(callee);
  env.liveStack.resetCallchain();
  caller.regs[0] = notInit();
  const log = env.level > 0 ? `caller:\n${stateStr(env, caller, null)}\ncallee:\n${stateStr(env, callee, null)}\n` : undefined;
  env.path.push(idx, target, PATH_JUMP);
  return { kind: 'next', idx: target, log, print: 'state' };
}

function checkExit(env: Env, state: VerifierState, idx: number, scratch: Scratch): Step {
  if (state.frames.length > 1) {
    // The callee's marks are final for this path: they reach the caller's call instruction.
    env.liveStack.update(state);
    // `prepare_func_exit`: R0 goes back as it is (the caller checks it when it reads it), never a pointer into the dying frame.
    const r0 = regOf(state, 0);
    if (r0.type === 'fp' && r0.frameno >= cur(state).frameno) throw new Reject(idx, 'cannot return stack pointer to the caller');
    if (cur(state).inCallbackFn) return callbackReturn(env, state, idx, r0);
    const callee = state.frames.pop() as FuncState;
    const caller = cur(state);
    // The callee's frame is gone: R0 moves to the caller.
    caller.regs[0] = r0;
    const log = env.level > 0 ? `returning from callee:\n${stateStr(env, callee, null)}\nto caller at ${callee.callsite + 1}:\n${stateStr(env, caller, null)}\n` : undefined;
    env.path.push(idx, callee.callsite + 1, PATH_JUMP);
    return { kind: 'next', idx: callee.callsite + 1, log, print: 'from' };
  }
  const r0 = readReg(state, idx, 0, scratch);
  checkResourceLeak(state, idx, true, 'BPF_EXIT instruction in main prog');
  if (env.verifyingSubprog) {
    // A global function returns a scalar, whatever the program type.
    if (r0.type !== 'scalar') throw new Reject(idx, `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
    return { kind: 'exit' };
  }
  if (isPointer(r0) && !env.privileged) throw new Reject(idx, 'R0 leaks addr as return value');
  checkReturnCode(env, state, idx, r0);
  return { kind: 'exit' };
}

/**
 * `prepare_func_exit` for a callback: R0 is a scalar in [0, 1], and the walk
 * goes back to the helper call, which decides whether to call it again.
 */
function callbackReturn(env: Env, state: VerifierState, idx: number, r0: RegState): Step {
  if (r0.type !== 'scalar') throw new Reject(idx, 'R0 not a scalar value');
  demandPrecise(env, state, 0);
  checkScalarRange(idx, r0, [0, 1], 'At callback return the register R0');
  const callee = state.frames.pop() as FuncState;
  const log = env.level > 0 ? `returning from callee:\n${stateStr(env, callee, null)}\nto caller at ${callee.callsite}:\n${stateStr(env, cur(state), null)}\n` : undefined;
  // As for may_goto: what the callback changed and nothing made precise is widened, so its iterations converge by range.
  const prev = findPrevEntry(env, callee.callsite, state, env.walkHead ? env.walkHead.dfsDepth + 1 : 0);
  if (prev) widenImpreciseScalars(prev, state);
  return { kind: 'next', idx: callee.callsite, log, print: 'from' };
}

/** `check_return_code`: R0 at the main program's exit is in the program type's range. */
function checkReturnCode(env: Env, state: VerifierState, idx: number, r0: RegState): void {
  const range = env.prog.retval;
  if (!range) return;
  demandPrecise(env, state, 0);
  if (r0.type !== 'scalar') throw new Reject(idx, `At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
  checkScalarRange(idx, r0, range, 'At program exit the register R0');
}

/** `verbose_invalid_scalar`: `what` has a value outside [lo, hi]. */
function checkScalarRange(idx: number, r0: RegState, [lo, hi]: readonly [number, number], what: string): void {
  if (r0.smin >= BigInt(lo) && r0.smax <= BigInt(hi)) return;
  let text = `${what} has`;
  if (r0.smin > S64_MIN) text += ` smin=${r0.smin}`;
  if (r0.smax < (1n << 63n) - 1n) text += ` smax=${r0.smax}`;
  if (r0.smin === S64_MIN && r0.smax === (1n << 63n) - 1n) text += ' unknown scalar value';
  throw new Reject(idx, `${text} should have been in [${lo}, ${hi}]`);
}

/** Every register (all frames, spilled ones too). */
function forEachReg(state: VerifierState, fn: (r: RegState) => void): void {
  for (const f of state.frames) {
    f.regs.forEach(fn);
    for (const slot of f.stack) if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') fn(slot.spilledPtr);
  }
}

function forEachLiveReg(state: VerifierState, live: readonly number[], fn: (r: RegState) => void): void {
  state.frames.forEach((f, i) => {
    f.regs.forEach((r, regno) => {
      if (live[i] & (1 << regno)) fn(r);
    });
    for (const slot of f.stack) if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') fn(slot.spilledPtr);
  });
}

/** `mark_ptr_or_null_regs`: after `if (p == 0)`, every copy of p is either NULL or a valid pointer. */
function markPtrOrNullRegs(env: Env, state: VerifierState, id: number, isNull: boolean): void {
  let released = 0;
  forEachReg(state, (r) => {
    if (!r.maybeNull || r.id !== id) return;
    if (isNull) {
      // Only the acquired pointer itself: a cast of it (bpf_sk_fullsock) being NULL leaves the reference held.
      if (r.refObjId === id) released = id;
      Object.assign(r, constScalar(0n));
      return;
    }
    r.maybeNull = false;
    if (r.type === 'map_value' && env.innerMapOf[r.mapIndex] >= 0) {
      // A value of a map of maps is the inner map (CONST_PTR_TO_MAP).
      r.type = 'map_ptr';
      r.mapIndex = env.innerMapOf[r.mapIndex];
    } else if (r.type === 'map_value') {
      // `mark_ptr_not_null_reg`: what a socket map's lookup found is the socket, not a value.
      const sockType = SOCK_MAP_VALUE_TYPES[mapTypeOf(env.maps[r.mapIndex]) ?? ''];
      if (sockType) {
        r.type = sockType;
        r.mapIndex = -1;
      }
    }
    // The id of a value holding a spin lock names the lock (`reg_may_point_to_spin_lock`).
    if (!(r.type === 'map_value' && env.maps[r.mapIndex]?.spinLockOff !== undefined)) r.id = 0;
  });
  if (isNull && released) state.refs = state.refs.filter((ref) => ref.id !== released);
}

/** `find_good_pkt_pointers`: after `pkt + N <= pkt_end`, every pointer with that id may read N bytes. */
function findGoodPktPointers(state: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = rightOpen ? dst.off + 1 : dst.off;
  const { type, id } = dst;
  forEachReg(state, (r) => {
    if (r.type === type && r.id === id) r.range = Math.max(r.range, newRange);
  });
}

function markPktEnd(state: VerifierState, regno: number, rangeOpen: boolean): void {
  const reg = cur(state).regs[regno];
  // The kernel does not support pkt_meta here yet.
  if (reg.type === 'pkt') reg.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

const isPkt = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta';
const isInitPkt = (r: RegState): boolean => r.type === 'pkt' && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** `try_match_pkt_pointers`: `this` is the fall-through state, `other` the taken one. */
function tryMatchPktPointers(ins: Insn, dst: RegState, src: RegState, thisBranch: VerifierState, other: VerifierState): boolean {
  if (!srcX(ins) || cls(ins) === BPF_JMP32) return false;
  const dstIsData = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPkt(src));
  const srcIsData = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPkt(dst) && src.type === 'pkt_meta');
  const thisDst = cur(thisBranch).regs[ins.dst], thisSrc = cur(thisBranch).regs[ins.src];
  const otherDst = cur(other).regs[ins.dst], otherSrc = cur(other).regs[ins.src];
  switch (op(ins)) {
    case BPF_JGT:
      if (dstIsData) { findGoodPktPointers(thisBranch, thisDst, false); markPktEnd(other, ins.dst, true); }
      else if (srcIsData) { findGoodPktPointers(other, otherSrc, true); markPktEnd(thisBranch, ins.src, false); }
      else return false;
      return true;
    case BPF_JLT:
      if (dstIsData) { findGoodPktPointers(other, otherDst, true); markPktEnd(thisBranch, ins.dst, false); }
      else if (srcIsData) { findGoodPktPointers(thisBranch, thisSrc, false); markPktEnd(other, ins.src, true); }
      else return false;
      return true;
    case BPF_JGE:
      if (dstIsData) { findGoodPktPointers(thisBranch, thisDst, true); markPktEnd(other, ins.dst, false); }
      else if (srcIsData) { findGoodPktPointers(other, otherSrc, false); markPktEnd(thisBranch, ins.src, true); }
      else return false;
      return true;
    case BPF_JLE:
      if (dstIsData) { findGoodPktPointers(other, otherDst, false); markPktEnd(thisBranch, ins.dst, true); }
      else if (srcIsData) { findGoodPktPointers(thisBranch, thisSrc, true); markPktEnd(other, ins.src, false); }
      else return false;
      return true;
    default:
      return false;
  }
}

/** `is_pkt_ptr_branch_taken`. */
function isPktPtrBranchTaken(dst: RegState, src: RegState, opcode: number): -1 | 0 | 1 {
  let pkt: RegState;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') {
    pkt = src;
    opcode = flipOpcode(opcode);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (opcode) {
    case BPF_JLE:
    case BPF_JGT:
      if (pkt.range === BEYOND_PKT_END) return opcode === BPF_JGT ? 1 : 0;
      return -1;
    case BPF_JLT:
    case BPF_JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return opcode === BPF_JGE ? 1 : 0;
      return -1;
    default:
      return -1;
  }
}

/** `is_branch_taken` with pointers: only a non-null pointer against 0 is decided. */
function isBranchTaken(dst: RegState, src: RegState, opcode: number, jmp32: boolean): -1 | 0 | 1 {
  if ((isPkt(dst) || dst.type === 'pkt_end') && (isPkt(src) || src.type === 'pkt_end') && !jmp32) {
    return isPktPtrBranchTaken(dst, src, opcode);
  }
  if (isPointer(dst) || isPointer(src)) {
    let [p, s] = [dst, src];
    if (!(s.type === 'scalar' && isConst(s, jmp32))) {
      [p, s] = [s, p];
      opcode = flipOpcode(opcode);
    }
    if (!(s.type === 'scalar' && isConst(s, jmp32))) return -1;
    if (constValue(s, jmp32) !== 0n || p.maybeNull || p.type === 'scalar') return -1;
    // `reg_not_null`: a kernel struct pointer is known non-NULL only when trusted; untrusted memory never.
    if (p.type === 'ptr_' && !isTrustedReg(p)) return -1;
    if (p.type === 'mem' && p.untrusted) return -1;
    if (opcode === BPF_JEQ) return 0;
    if (opcode === BPF_JNE) return 1;
    return -1;
  }
  return isScalarBranchTaken(dst, src, opcode, jmp32);
}

/** LINKED_REGS_MAX: the most scalars one branch records as linked. */
const LINKED_REGS_MAX = 6;

/**
 * `collect_linked_regs` for a branch both ways: the live scalars (and spilled
 * ones) that share the id of a register it compares, whatever their offsets,
 * go into the path's history, so that the precision walk marks them together;
 * beyond LINKED_REGS_MAX a scalar is unlinked instead, as the kernel does.
 */
function recordLinkedRegs(env: Env, state: VerifierState, idx: number, ins: Insn, dst: RegState, src: RegState): void {
  const set: number[] = [];
  const live = liveMasks(env, state, idx);
  const collect = (id: number): void => {
    for (let fr = state.frames.length - 1; fr >= 0; fr--) {
      const f = state.frames[fr];
      const add = (r: RegState, e: number): void => {
        if (r.type !== 'scalar' || r.id !== id) return;
        if (set.length < LINKED_REGS_MAX) set.push(e);
        else r.id = 0;
      };
      for (let j = 0; j < 10; j++) if (live[fr] & (1 << j)) add(f.regs[j], linkedReg(fr, j, false));
      f.stack.forEach((slot, spi) => {
        if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') add(slot.spilledPtr, linkedReg(fr, spi, true));
      });
    }
  };
  if (srcX(ins) && src.type === 'scalar' && src.id) collect(src.id);
  if (dst.type === 'scalar' && dst.id) collect(dst.id);
  if (set.length < 2) return;
  env.linkedRegs.push(set);
  const flag = linkedRegsFlag(env.linkedRegs.length - 1);
  if (env.histVisit) {
    env.hist[env.hist.length - 1] += flag;
  } else {
    env.hist.push(idx, env.histPrev, flag);
    env.histVisit = true;
  }
}

/** `sync_linked_regs`: live registers tied by id learn what the branch taught `known`. */
function syncLinkedRegs(state: VerifierState, known: RegState, live: readonly number[]): void {
  if (!known.id) return;
  forEachLiveReg(state, live, (r) => {
    if (r === known || r.type !== 'scalar' || r.id !== known.id) return;
    const { off, addConst, id } = r;
    if (!known.addConst && !addConst) {
      Object.assign(r, cloneBounds(known));
      return;
    }
    const delta = BigInt(off - known.off);
    const b = cloneBounds(known);
    adjustScalarMinMaxVals(b, constScalar(delta), BPF_ADD, false);
    Object.assign(r, b);
    r.id = id;
    r.off = off;
    r.addConst = addConst;
  });
}

function checkCondJmpOp(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): Step {
  const jmp32 = cls(ins) === BPF_JMP32;
  const opcode = op(ins);
  // The kernel checks the destination first here (unlike ALU and stores).
  const dst = readReg(state, idx, ins.dst, scratch);
  if (srcX(ins)) readReg(state, idx, ins.src, scratch);
  const src = srcX(ins) ? regOf(state, ins.src) : constScalar(jmp32 ? BigInt(ins.imm >>> 0) : BigInt(ins.imm));
  if (srcX(ins) && isPointer(src) && !env.privileged && !(isPkt(src) || src.type === 'pkt_end')) {
    throw new Reject(idx, `R${ins.src} pointer comparison prohibited`);
  }
  const target = idx + ins.off + 1;
  const pred = isBranchTaken(dst, src, opcode, jmp32);
  // A branch decided by a scalar's value depends on that value.
  if (pred !== -1) {
    demandPrecise(env, state, ins.dst);
    if (srcX(ins)) demandPrecise(env, state, ins.src);
  }
  if (pred === 1) {
    env.path.push(idx, target, PATH_ALWAYS_TAKEN);
    return { kind: 'next', idx: target };
  }
  if (pred === 0) {
    env.path.push(idx, idx + 1, PATH_NEVER_TAKEN);
    return { kind: 'next', idx: idx + 1 };
  }
  if (env.privileged) recordLinkedRegs(env, state, idx, ins, dst, src);
  const other = cloneState(state);
  const oDst = cur(other).regs[ins.dst];
  const oSrc = srcX(ins) ? cur(other).regs[ins.src] : constScalar(BigInt(ins.imm));
  if (dst.type === 'scalar' && src.type === 'scalar') {
    // Fall-through: the reverse condition holds here.
    const fDst = dst, fSrc = srcX(ins) ? src : constScalar(BigInt(ins.imm));
    regsRefineCondOp(fDst, fSrc, revOpcode(opcode), jmp32);
    regBoundsSync(fDst);
    regBoundsSync(fSrc);
    regsRefineCondOp(oDst, oSrc, opcode, jmp32);
    regBoundsSync(oDst);
    regBoundsSync(oSrc);
    if ([fDst, fSrc, oDst, oSrc].some(boundsInconsistent)) {
      // The kernel treats impossible bounds as a verifier bug; reaching here means both branches are live.
      throw new Reject(idx, `REG INVARIANTS VIOLATION (${opcode === BPF_JEQ ? 'jeq' : 'cond'}): range bounds violation`);
    }
    if (env.privileged) {
      const live = liveMasks(env, state, idx);
      syncLinkedRegs(state, fDst, live);
      syncLinkedRegs(other, oDst, live);
      if (srcX(ins)) {
        syncLinkedRegs(state, fSrc, live);
        syncLinkedRegs(other, oSrc, live);
      }
    }
  } else if (!jmp32 && !srcX(ins) && ins.imm === 0 && (opcode === BPF_JEQ || opcode === BPF_JNE) && dst.maybeNull) {
    const id = dst.id;
    markPtrOrNullRegs(env, state, id, opcode === BPF_JNE);
    markPtrOrNullRegs(env, other, id, opcode === BPF_JEQ);
  } else if (!tryMatchPktPointers(ins, dst, src, state, other) && isPointer(dst) && !env.privileged) {
    throw new Reject(idx, `R${ins.dst} pointer comparison prohibited`);
  }
  return { kind: 'branch', idx: idx + 1, other, otherIdx: target };
}

const ARG_MEM_TYPES: readonly RegType[] = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem'];
const ARG_MEM_EXPECTED = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';


/** `check_helper_call`: arguments by prototype, then R0 and the clobbered R1-R5. */
function checkHelperCall(env: Env, state: VerifierState, idx: number, ins: Insn, scratch: Scratch): { state: VerifierState; idx: number } | undefined {
  const name = helperName(ins.imm);
  if (!name) throw new Reject(idx, `invalid func unknown#${ins.imm}`);
  const proto = env.prog.proto(ins.imm);
  // `bpf_sk_base_func_proto`: the socket casts return kernel memory, so only CAP_PERFMON may call them.
  if (!proto || (!env.privileged && name.startsWith('bpf_skc_to_'))) throw new Reject(idx, `program of this type cannot use helper ${name}#${ins.imm}`);
  if (proto.gplOnly && !env.gpl) throw new Reject(idx, 'cannot call GPL-restricted function from non-GPL compatible program');
  if (proto.mightSleep && !env.sleepable) throw new Reject(idx, 'helper call might sleep in a non-sleepable prog');
  let mapIndex = -1;
  let constSizeFor: { regno: number; reg: RegState; arg: HelperArg } | null = null;
  let releaseId = 0;
  let argRefObjId = 0;
  let callbackSubprog = -1;
  let constMapKey: bigint | undefined;
  const sizes: bigint[] = [];
  /** `msize_max_value`: the largest size a size argument allowed. */
  let msizeMax = 0n;
  proto.args.forEach((arg, i) => {
    const regno = i + 1;
    const reg = readReg(state, idx, regno, scratch);
    const nullable = arg.flags.includes('PTR_MAYBE_NULL');
    const typeError = (expected: string): Reject => new Reject(idx, `R${regno} type=${regTypeStr(reg)} expected=${expected}`);
    switch (arg.type) {
      case 'ARG_ANYTHING':
        if (isPointer(reg) && !env.privileged) throw new Reject(idx, `R${regno} leaks addr into helper function`);
        break;
      case 'ARG_CONST_MAP_PTR':
        if (reg.type !== 'map_ptr') throw typeError('map_ptr');
        mapIndex = reg.mapIndex;
        break;
      case 'ARG_PTR_TO_MAP_KEY':
      case 'ARG_PTR_TO_MAP_VALUE': {
        // ARG_PTR_TO_MAP_VALUE_OR_NULL (bpf_sk_storage_get's initial value): a known NULL passes unchecked.
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        if (!ARG_MEM_TYPES.includes(reg.type) || reg.maybeNull) throw typeError(ARG_MEM_EXPECTED);
        const map = env.maps[mapIndex];
        if (!map) throw new Reject(idx, `invalid map_ptr to access map->${arg.type === 'ARG_PTR_TO_MAP_KEY' ? 'key' : 'value'}`);
        checkHelperMemAccess(env, state, idx, regno, reg, arg.type === 'ARG_PTR_TO_MAP_KEY' ? map.keySize : map.valueSize, 'read', scratch);
        if (arg.type === 'ARG_PTR_TO_MAP_KEY' && canElideValueNullness(map) && env.privileged) constMapKey = constantMapKey(env, state, reg, map.keySize);
        break;
      }
      case 'ARG_PTR_TO_MEM': {
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        if (!ARG_MEM_TYPES.includes(reg.type) || reg.maybeNull) throw typeError(ARG_MEM_EXPECTED);
        if (arg.flags.includes('MEM_FIXED_SIZE')) {
          checkHelperMemAccess(env, state, idx, regno, reg, arg.size ?? 0, arg.flags.includes('MEM_UNINIT') ? 'write' : 'read', scratch);
        } else {
          constSizeFor = { regno, reg, arg };
        }
        break;
      }
      case 'ARG_CONST_SIZE':
      case 'ARG_CONST_SIZE_OR_ZERO': {
        if (reg.type !== 'scalar') throw typeError('scalar');
        if (reg.smin < 0n) throw new Reject(idx, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
        if (reg.umin === 0n && arg.type === 'ARG_CONST_SIZE') throw new Reject(idx, `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
        if (reg.umax >= BigInt(BPF_MAX_VAR_OFF)) throw new Reject(idx, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        msizeMax = reg.umax;
        const mem = constSizeFor as { regno: number; reg: RegState; arg: HelperArg } | null;
        // A size that can only be zero still needs a stack pointer inside the stack (check_stack_access_within_bounds).
        const zeroOnStack = mem !== null && reg.umax === 0n && mem.reg.type === 'fp' && tnumIsConst(mem.reg.varOff);
        if (mem && (reg.umax > 0n || zeroOnStack)) {
          checkHelperMemAccess(env, state, idx, mem.regno, mem.reg, Number(reg.umax), mem.arg.flags.includes('MEM_UNINIT') ? 'write' : 'read', scratch,
            zeroOnStack, !tnumIsConst(reg.varOff));
        }
        // `check_mem_size_reg`: the size is precise once the access it allows is checked.
        demandPrecise(env, state, regno);
        constSizeFor = null;
        break;
      }
      case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
        if (reg.type !== 'scalar' || !tnumIsConst(reg.varOff)) throw new Reject(idx, `R${regno} is not a known constant'`);
        sizes[regno] = reg.varOff.value;
        break;
      case 'ARG_PTR_TO_CTX':
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        if (reg.type !== 'ctx') throw typeError('ctx');
        checkPtrOffReg(idx, regno, reg);
        break;
      case 'ARG_PTR_TO_RINGBUF_MEM':
        if (reg.type !== 'mem' || !reg.ringbuf || reg.maybeNull) throw typeError('ringbuf_mem');
        if (!reg.refObjId) throw new Reject(idx, `R${regno} must be referenced when passed to release function`);
        if (reg.off || !tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
          throw new Reject(idx, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
        }
        releaseId = reg.refObjId;
        break;
      case 'ARG_PTR_TO_FUNC':
        if (reg.type !== 'func') throw typeError('func');
        callbackSubprog = reg.subprogno;
        break;
      case 'ARG_PTR_TO_STACK':
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        if (reg.type !== 'fp') throw typeError('fp');
        break;
      case 'ARG_PTR_TO_SOCK_COMMON':
        if (!isSockType(reg.type) || reg.maybeNull) throw typeError('sock_common, sock, tcp_sock, xdp_sock');
        argRefObjId = reg.refObjId;
        break;
      case 'ARG_PTR_TO_SOCKET':
        // `fullsock_types`; with PTR_MAYBE_NULL a NULL constant or a socket not yet NULL-checked passes too.
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        if (reg.type !== 'sock' || (reg.maybeNull && !nullable)) throw typeError('sock');
        break;
      case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': {
        if (nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) break;
        // `btf_id_sock_common_types`: the socket types, and PTR_TO_BTF_ID plain or trusted (a NULL where the argument allows it).
        const btfOk = reg.type === 'ptr_' && !reg.untrusted && !reg.rcu;
        if ((!isSockType(reg.type) && !btfOk) || (reg.maybeNull && !nullable)) throw typeError('sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
        const release = arg.flags.includes('OBJ_RELEASE');
        if (reg.type === 'ptr_') {
          // A release function other than bpf_sk_release takes only its own struct (a strict match).
          const want = btfStructId(arg.btfStruct ?? 'sock_common');
          if (want === undefined) throw new Reject(idx, `helper ${name} (argument struct ${arg.btfStruct}) is not supported by this verifier yet`);
          const match = btfStructIdsMatch(reg.btfId, reg.off, want, release && proto.helper !== 'bpf_sk_release');
          if (match !== true) {
            // The walk's own complaint, if it had one, is logged first.
            const walkLine = typeof match === 'string' ? `${match}\n` : '';
            throw new Reject(idx, `${walkLine}R${regno} is of type ${btfTypeName(reg.btfId)} but ${btfTypeName(want)} is expected`);
          }
          // `check_func_arg_reg_off`: the fixed offset was matched above (sock_common begins every socket struct, so
          // a moved pointer, a release's included, fails there); a variable offset never passes.
          if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
            throw new Reject(idx, `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
          }
        }
        if (reg.refObjId) argRefObjId = reg.refObjId;
        if (release) {
          if (!reg.refObjId) throw new Reject(idx, `R${regno} must be referenced when passed to release function`);
          releaseId = reg.refObjId;
        }
        break;
      }
      case 'ARG_PTR_TO_SPIN_LOCK':
        if (reg.type !== 'map_value' || reg.maybeNull) throw typeError('map_value');
        processSpinLock(env, state, idx, regno, reg, proto.helper === 'bpf_spin_lock');
        break;
      default:
        throw new Reject(idx, `helper ${name} (argument ${arg.type}) is not supported by this verifier yet`);
    }
    // Only ARG_ANYTHING takes a scalar whatever its value: an allocation size… depends on it (a size, once the
    // access it allows is checked, above). A NULL where NULL is allowed skips the type check, and the kernel
    // marks nothing (`register_is_null`).
    const allowedNull = nullable && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n;
    if (reg.type === 'scalar' && !allowedNull && arg.type !== 'ARG_ANYTHING' && arg.type !== 'ARG_CONST_SIZE' && arg.type !== 'ARG_CONST_SIZE_OR_ZERO') {
      demandPrecise(env, state, regno);
    }
  });
  if (proto.helper === 'bpf_tail_call') {
    // `record_func_key`, after the arguments: the map must be a prog array, and a constant index inside it is the known target.
    if (mapTypeOf(env.maps[mapIndex]) !== 'prog_array') {
      const err = new Reject(idx, 'expected prog array map for tail call');
      err.unterminated = true;
      throw err;
    }
    const key = regOf(state, 3);
    if (key.type === 'scalar' && tnumIsConst(key.varOff) && key.varOff.value < BigInt(env.maps[mapIndex].maxEntries)) demandPrecise(env, state, 3);
    checkResourceLeak(state, idx, true, 'tail_call');
  }
  // bpf_get_local_storage cannot fail, so it has no flags to refuse at run time: they must be 0 (`register_is_null`).
  if (proto.helper === 'bpf_get_local_storage') {
    const flags = regOf(state, 2);
    if (flags.type !== 'scalar' || !tnumIsConst(flags.varOff) || flags.varOff.value !== 0n) throw new Reject(idx, "get_local_storage() doesn't support non-zero flags");
  }
  if (releaseId) {
    if (!state.refs.some((r) => r.id === releaseId)) throw new Reject(idx, `R1 must be referenced when passed to release function`);
    state.refs = state.refs.filter((r) => r.id !== releaseId);
    forEachReg(state, (r) => {
      if (r.refObjId === releaseId) Object.assign(r, unknownScalar());
    });
  }
  // A tail call that happens does not come back; in a subprogram it returns to the caller from the tail-called
  // program, which may have changed the packet. The kernel walks that return as a branch of its own
  // (its log differs from ours there); invalidating the packet pointers of every frame here is as strict.
  if (proto.changesPktData || (proto.helper === 'bpf_tail_call' && state.frames.length > 1)) clearAllPktPointers(env, state);
  const callback = callbackSubprog >= 0 ? pushCallbackCall(env, state, idx, proto, callbackSubprog, scratch) : undefined;
  const f = cur(state);
  for (let r = 1; r <= 5; r++) {
    f.regs[r] = notInit();
  }
  let r0: RegState;
  let acquired = proto.refs.acquire === 'ret' && !proto.refs.acquireForMapTypes;
  switch (proto.ret.type) {
    case 'RET_INTEGER':
      r0 = unknownScalar();
      refineRetvalRange(env, proto.helper, r0, msizeMax);
      break;
    case 'RET_VOID':
      r0 = notInit();
      break;
    case 'RET_PTR_TO_MAP_VALUE':
      if (mapIndex < 0) throw new Reject(idx, `kernel subsystem misconfigured verifier`);
      // A lookup in a sockmap or sockhash holds the socket it finds (`is_acquire_function`); see markPtrOrNullRegs.
      acquired ||= proto.refs.acquireForMapTypes?.some((t) => t.toLowerCase() === mapTypeOf(env.maps[mapIndex])) ?? false;
      r0 = pointer('map_value');
      r0.mapIndex = mapIndex;
      break;
    case 'RET_PTR_TO_MEM': {
      r0 = pointer('mem');
      r0.memSize = Number(sizes[proto.ret.sizeArg ?? 0] ?? 0n);
      r0.ringbuf = proto.ret.flags.includes('MEM_RINGBUF');
      break;
    }
    case 'RET_PTR_TO_SOCKET':
      r0 = pointer('sock');
      break;
    case 'RET_PTR_TO_TCP_SOCK':
      r0 = pointer('tcp_sock');
      break;
    case 'RET_PTR_TO_SOCK_COMMON':
      r0 = pointer('sock_common');
      break;
    case 'RET_PTR_TO_BTF_ID': {
      const btfId = proto.ret.btfStruct === undefined ? undefined : btfStructId(proto.ret.btfStruct);
      if (btfId === undefined) throw new Reject(idx, `helper ${name} (result struct ${proto.ret.btfStruct ?? '?'}) is not supported by this verifier yet`);
      r0 = pointer('ptr_');
      r0.btfId = btfId;
      r0.trusted = proto.ret.flags.includes('PTR_TRUSTED');
      break;
    }
    default:
      throw new Reject(idx, `helper ${name} (result ${proto.ret.type}) is not supported by this verifier yet`);
  }
  // `is_ptr_cast_function`: the result is the argument's socket seen as another type, under its reference.
  if (PTR_CAST_HELPERS.has(proto.helper)) r0.refObjId = argRefObjId;
  // A constant key inside an array: the lookup cannot fail.
  const found = proto.helper === 'bpf_map_lookup_elem' && constMapKey !== undefined && constMapKey >= 0n && constMapKey < BigInt(env.maps[mapIndex].maxEntries);
  if (proto.ret.flags.includes('PTR_MAYBE_NULL') && !found) {
    r0.maybeNull = true;
    r0.id = ++env.idGen;
  }
  if (acquired) {
    const id = ++env.idGen;
    state.refs.push({ id, insnIdx: idx });
    r0.refObjId = id;
    r0.id = id;
  }
  // `check_map_func_compatibility` comes last in check_helper_call: the arguments' checks and precision come first.
  if (mapIndex >= 0) checkMapFuncCompat(env, idx, proto, mapIndex);
  f.regs[0] = r0;
  scratch.regs.add(0);
  return callback;
}

/** MAX_ERRNO: the most negative error a helper returns. */
const MAX_ERRNO = 4095;
/** Helpers that return at most their size argument, or an error. */
const SIZE_BOUNDED_RESULT = new Set(['bpf_get_stack', 'bpf_get_task_stack', 'bpf_probe_read_str', 'bpf_probe_read_kernel_str', 'bpf_probe_read_user_str']);

/** `do_refine_retval_range`: what some helpers' integer results are known to lie in. */
function refineRetvalRange(env: Env, helper: string, r0: RegState, msizeMax: bigint): void {
  let lo: number, hi: number;
  if (SIZE_BOUNDED_RESULT.has(helper)) {
    lo = -MAX_ERRNO;
    hi = Number(msizeMax);
  } else if (helper === 'bpf_get_smp_processor_id' && env.options.nrCpuIds !== undefined) {
    lo = 0;
    hi = env.options.nrCpuIds - 1;
    r0.umin = 0n;
    r0.u32Min = 0;
    r0.umax = BigInt(hi);
    r0.u32Max = hi;
  } else {
    return;
  }
  r0.smin = BigInt(lo);
  r0.s32Min = lo;
  r0.smax = BigInt(hi);
  r0.s32Max = hi;
  regBoundsSync(r0);
}

/** The pointer a non-NULL lookup in these map types gives. */
const SOCK_MAP_VALUE_TYPES: Readonly<Record<string, RegType>> = { sockmap: 'sock', sockhash: 'sock', xskmap: 'xdp_sock' };

/** `is_ptr_cast_function` (bpf_skc_to_unix_sock is not one: its result carries no reference). */
const PTR_CAST_HELPERS = new Set([
  'bpf_sk_fullsock', 'bpf_tcp_sock', 'bpf_skc_to_tcp_sock', 'bpf_skc_to_tcp6_sock', 'bpf_skc_to_udp6_sock', 'bpf_skc_to_mptcp_sock',
  'bpf_skc_to_tcp_timewait_sock', 'bpf_skc_to_tcp_request_sock',
]);

/** `__check_ptr_off_reg` for a context pointer: only its original, unmodified form may be used. */
function checkPtrOffReg(idx: number, regno: number, reg: RegState): void {
  if (reg.off < 0) throw new Reject(idx, `negative offset ctx ptr R${regno} off=${reg.off} disallowed`);
  if (reg.off) throw new Reject(idx, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) throw new Reject(idx, `variable ctx access var_off=${tnumStr(reg.varOff)} disallowed`);
}

/** The map's type as `mapTypeName` spells it (`array`, `sockmap`). */
function mapTypeOf(map: MapDescriptor): string | undefined {
  return typeof map.type === 'number' ? mapTypeName(map.type) : map.type.toLowerCase().replace(/^bpf_map_type_/, '');
}

/** `can_elide_value_nullness`: maps whose every key below max_entries has a value. */
function canElideValueNullness(map: MapDescriptor): boolean {
  const type = mapTypeOf(map);
  return type === 'array' || type === 'percpu_array';
}

/**
 * `get_constant_map_key`: the key a stack pointer points at, when the stack
 * holds it as a constant (zeroed bytes, or a spilled constant scalar of the
 * key's size); undefined otherwise.
 */
function constantMapKey(env: Env, state: VerifierState, key: RegState, keySize: number): bigint | undefined {
  if (key.type !== 'fp' || !tnumIsConst(key.varOff)) return undefined;
  const { spi, j } = slotIndex(key.off + Number(s64(key.varOff.value)));
  const slot = frameOf(state, key).stack[spi];
  if (!slot) return undefined;
  let zeros = 0;
  for (let i = j; i >= 0 && slot.slotType[i] === 'zero'; i--) zeros++;
  if (zeros >= keySize) return 0n;
  if (slot.slotType[BPF_REG_SIZE - 1] !== 'spill' || slot.spilledPtr.type !== 'scalar') return undefined;
  let spilled = 0;
  for (let i = j; i >= 0 && slot.slotType[i] === 'spill'; i--) spilled++;
  if (spilled !== keySize || !tnumIsConst(slot.spilledPtr.varOff)) return undefined;
  // The lookup's result depends on the key's value.
  const bt = new Backtrack(state.frames.length);
  bt.stack.add(frameOf(state, key).frameno * 64 + spi);
  markPrecise(env, bt);
  return s64(slot.spilledPtr.varOff.value);
}

/** Helpers that call a subprogram of the program (`is_callback_calling_function`, the synchronous ones). */
const CALLBACK_HELPERS = new Set(['bpf_loop', 'bpf_for_each_map_elem', 'bpf_find_vma', 'bpf_user_ringbuf_drain']);

/**
 * `push_callback_call` for bpf_loop: while fewer callbacks than R1 allows
 * have run on this path, a second path enters the callback (R1 the index, R2
 * the context), and comes back to this call when it exits; this path goes
 * on as if the loop were over.
 */
function pushCallbackCall(env: Env, state: VerifierState, idx: number, proto: BpfFuncProto, subprog: number, scratch: Scratch): { state: VerifierState; idx: number } | undefined {
  if (proto.helper !== 'bpf_loop' && proto.helper !== 'bpf_for_each_map_elem') {
    throw new Reject(idx, `helper ${proto.helper} (a callback) is not supported by this verifier yet`);
  }
  if (proto.helper === 'bpf_loop') {
    updateLoopInlineState(env, state, idx, subprog);
    // Whether the loop is over depends on R1's value.
    demandPrecise(env, state, 1);
  }
  const caller = cur(state);
  const depth = caller.callbackDepth ?? 0;
  // bpf_loop calls its callback at most R1 times; bpf_for_each_map_elem until the iterations converge.
  if (proto.helper === 'bpf_loop' && BigInt(depth) >= caller.regs[1].umax) {
    caller.callbackDepth = 0;
    env.verbose(env.level > 1 ? `frame${caller.frameno} bpf_loop iteration limit reached
` : '');
    return undefined;
  }
  if (state.frames.length >= MAX_CALL_FRAMES) throw new Reject(idx, `the call stack of ${state.frames.length + 1} frames is too deep`);
  const other = cloneState(state);
  const otherCaller = cur(other);
  otherCaller.callbackDepth = depth + 1;
  caller.callbackDepth = 0;
  const callee = newFrame(other.frames.length, idx, subprog);
  scratch.all();
  if (proto.helper === 'bpf_loop') {
    callee.regs[1] = unknownScalar();
    callee.regs[2] = copyReg(otherCaller.regs[3]);
  } else {
    setMapElemCallbackState(idx, env.maps[otherCaller.regs[1].mapIndex], otherCaller, callee);
  }
  callee.inCallbackFn = true;
  other.frames.push(callee);
  return { state: other, idx: env.subprogStarts[subprog] };
}

/**
 * `update_loop_inline_state`: a bpf_loop call stays fit for inlining while its
 * flags are 0 (which then must be precise: the inlined code relies on it) and
 * it always calls the same callback.
 */
function updateLoopInlineState(env: Env, state: VerifierState, idx: number, subprog: number): void {
  const loop = env.loopInline.get(idx);
  if (loop && !loop.fit) return;
  const r4 = regOf(state, 4);
  const flagIsZero = r4.type === 'scalar' && tnumIsConst(r4.varOff) && r4.varOff.value === 0n;
  if (flagIsZero) demandPrecise(env, state, 4);
  if (loop) loop.fit = flagIsZero && loop.subprog === subprog;
  else env.loopInline.set(idx, { fit: flagIsZero, subprog });
}

/** Maps whose elements bpf_for_each_map_elem can walk (`map_set_for_each_callback_args`). */
const FOR_EACH_MAPS = new Set(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array']);

/**
 * `set_map_elem_callback_state`: the callback is `(map, key, value, ctx)`,
 * key and value pointing into the map being walked.
 */
function setMapElemCallbackState(idx: number, map: MapDescriptor, caller: FuncState, callee: FuncState): void {
  const type = typeof map.type === 'number' ? mapTypeName(map.type) : map.type.toLowerCase().replace(/^bpf_map_type_/, '');
  if (!type || !FOR_EACH_MAPS.has(type)) throw new Reject(idx, 'callback function not allowed for map');
  callee.regs[1] = copyReg(caller.regs[1]);
  callee.regs[2] = pointer('map_key');
  callee.regs[2].mapIndex = caller.regs[1].mapIndex;
  callee.regs[3] = pointer('map_value');
  callee.regs[3].mapIndex = caller.regs[1].mapIndex;
  callee.regs[4] = copyReg(caller.regs[3]);
}

/** `process_spin_lock`: take or release the lock at a constant offset of a map value. */
function processSpinLock(env: Env, state: VerifierState, idx: number, regno: number, reg: RegState, lock: boolean): void {
  if (!tnumIsConst(reg.varOff)) {
    throw new Reject(idx, `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  }
  const map = env.maps[reg.mapIndex];
  if (map.spinLockOff === undefined) throw new Reject(idx, `map '${map.name ?? ''}' has no valid bpf_spin_lock`);
  const off = reg.varOff.value + BigInt(reg.off);
  if (off !== BigInt(map.spinLockOff)) {
    throw new Reject(idx, `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${map.spinLockOff}`);
  }
  const held = state.refs.findIndex((r) => r.lockMap !== undefined);
  if (lock) {
    if (held >= 0) throw new Reject(idx, 'Locking two bpf_spin_locks are not allowed');
    state.refs.push({ id: reg.id, insnIdx: idx, lockMap: reg.mapIndex });
    return;
  }
  if (held < 0) throw new Reject(idx, 'bpf_spin_unlock without taking a lock');
  const h = state.refs[held];
  if (h.id !== reg.id || h.lockMap !== reg.mapIndex) throw new Reject(idx, 'bpf_spin_unlock of different lock');
  state.refs.splice(held, 1);
}

function checkMapFuncCompat(env: Env, idx: number, proto: BpfFuncProto, mapIndex: number): void {
  const map = env.maps[mapIndex];
  const typeNum = typeof map.type === 'number' ? map.type : mapTypeByName(map.type);
  const name = typeNum === undefined ? undefined : mapTypeName(typeNum);
  if (!name || !mapFuncCompatible(proto.helper, name.toUpperCase() as MapTypeName, env.prog.spec.name, env.prog.attachType)) {
    throw new Reject(idx, `cannot pass map_type ${typeNum} into func ${proto.helper}#${proto.id}`);
  }
}

/** `check_helper_mem_access`: a helper reads or writes `size` bytes at the pointer. */
/**
 * A helper's memory argument. With `varSize` (a size not known exactly,
 * `check_mem_size_reg` drops raw mode) every stack slot it may touch counts
 * as read, even when the helper writes it.
 */
function checkHelperMemAccess(env: Env, state: VerifierState, idx: number, regno: number, reg: RegState, size: number, kind: AccessKind, scratch: Scratch,
  zeroSizeAllowed = false, varSize = false): void {
  switch (reg.type) {
    case 'fp': {
      const frame = frameOf(state, reg);
      if (!tnumIsConst(reg.varOff)) {
        checkStackAccess(env, state, idx, regno, reg, 0, size, 'read', null, scratch, true);
        return;
      }
      const off = reg.off + Number(s64(reg.varOff.value));
      if (off < -MAX_BPF_STACK || off + size > 0 || (size === 0 && (!zeroSizeAllowed || off > -1))) {
        throw new Reject(idx, `invalid ${kind === 'write' ? 'write to' : 'read from'} stack R${regno} off=${off} size=${size}`);
      }
      env.stackDepth[frame.subprogno] = Math.max(env.stackDepth[frame.subprogno] ?? 0, -off);
      for (let i = 0; i < size; i++) {
        const s = slotIndex(off + i);
        ensureSlots(frame, s.spi);
        const slot = frame.stack[s.spi];
        if (kind === 'write') {
          // A byte store into a spilled register scrubs the whole spill (`check_stack_write_fixed_off`).
          if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') {
            for (let j = 0; j < BPF_REG_SIZE; j++) if (slot.slotType[j] === 'spill') slot.slotType[j] = 'misc';
            slot.spilledPtr = notInit();
          }
          slot.slotType[s.j] = 'misc';
          // Raw mode writes byte by byte (`check_mem_access`, which scratches the slot); a variable size reads instead.
          if (varSize) markStackRead(env, frame.frameno, idx, s.spi);
          else scratch.slots.add(s.spi);
          continue;
        }
        if (slot.slotType[s.j] === 'invalid' && !env.privileged) {
          throw new Reject(idx, `invalid indirect read from stack R${regno} off ${off}+${i} size ${size}`);
        }
        markStackRead(env, frame.frameno, idx, s.spi);
      }
      return;
    }
    case 'pkt':
    case 'pkt_meta':
    case 'map_value':
    case 'map_key':
    case 'mem':
      checkMemAccess(env, state, idx, regno, 0, size, kind, null, scratch);
      return;
    default:
      throw new Reject(idx, `R${regno} type=${regTypeStr(reg)} expected=${ARG_MEM_EXPECTED}`);
  }
}
