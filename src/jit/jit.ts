/**
 * The JIT's public face, shaped like the interpreter's: a Jit owns its call
 * stacks in an address space and loads programs into JitPrograms whose
 * `run` takes r1–r5 (and a packet) and returns r0.
 *
 * A JIT-compiled program has the interpreter's unchecked-mode semantics
 * (compile.ts says where they differ): the wasm sandbox bounds every access
 * to the runtime's memory, and a trap becomes a RuntimeError at the eBPF pc
 * of the faulting instruction. Atomics are wasm atomics on either kind of
 * memory: on a shared AddressSpace they are atomic between workers, on an
 * unshared one a run is single-threaded and they are plain read-modify-write.
 *
 * The engine hooks helpers use (helpers/context.ts) work across modules: a
 * callback (bpf_loop, for_each_map_elem, timers) runs a module compiled for
 * its entry pc on the next frame; a tail call runs the target's module in
 * the caller's frame; the call chain (bpf_get_stack) is read from the wasm
 * frames of a stack trace, each module naming itself in it.
 */
import { EbpfError } from '../internal/errors.js';
import {
  MAX_BPF_STACK, MAX_CALL_FRAMES, bpfSize, sizeBytes, type Insn, type Opcode,
} from '../isa/index.js';
import type { AddressSpace, Region } from '../memory/index.js';
import {
  BPF_FUNC_tail_call, DEFAULT_MAX_INSNS, MAX_TAIL_CALL_CNT, RuntimeError, createHelperContext, createHelperTable, memoryFault, missingHelper, releaseHeldLocks, type DeferredCallback,
  type EngineHooks, type HelperContext, type HelperDef, type HelperHost, type HelperTable, type PacketContext, type ProgramHandle,
} from '../helpers/index.js';
import { JitCache, bucketName, hashKey, sameKeys, sameInsns, type CachedModule } from './cache.js';
import { checkProgram } from './cfg.js';
import {
  compileBatch, compileProgram, Fault, faultAt, HostCall, pcAt, SHARED_GLOBALS, STACK_GUARD, FRAME_SPAN, STACK_SIZE, type CompiledProgram, type ModuleForm,
} from './compile.js';
import { budgetReader } from './budget-code.js';
import { hostFunction, type HostFn } from './host-code.js';
import { descriptorAt, intrinsicFor, type IntrinsicImport, type IntrinsicProgram, type JitIntrinsic } from './intrinsics.js';
import { LoopCode } from './loop-code.js';
import { TailCode, registerTailCode } from './tail-code.js';
import { watOf } from './text.js';
import { ValType } from './wasm/opcodes.js';

export { DEFAULT_MAX_INSNS };

export interface JitRunOptions {
  r1?: bigint;
  r2?: bigint;
  r3?: bigint;
  r4?: bigint;
  r5?: bigint;
  packet?: PacketContext;
  /** What bpf_get_func_ip returns in this run (default 0). */
  funcIp?: bigint;
  /** What bpf_get_attach_cookie returns in this run (default 0). */
  attachCookie?: bigint;
}

export interface JitRunResult {
  /** r0 at exit, unsigned. */
  r0: bigint;
  /**
   * Instructions executed (an lddw counts once), as the interpreter counts them; undefined for a
   * program loaded as verified, which runs without a budget (compile.ts).
   */
  insns?: number;
}

/** How Jit.load takes a program. */
export interface JitLoadOptions {
  /**
   * The program passed the verifier, which proved that it terminates: it runs without the
   * instruction budget (maxInsns), as in the kernel, and faster (default false).
   */
  verified?: boolean;
}

export interface JitOptions {
  /** The helper table (default: the base helpers). */
  helpers?: HelperTable;
  /** Instruction budget of one run (default 100 million). */
  maxInsns?: number;
  /** Clocks, randomness, CPU number and trace_printk output for the helpers. */
  host?: HelperHost;
  /** Where compiled modules are kept; share one between Jits to compile each program once (default: one per Jit). */
  cache?: JitCache;
  /** Run the helpers that have an intrinsic (intrinsics.ts) as wasm and narrow host calls (default true). */
  intrinsics?: boolean;
}

/** Thrown by the abort import (LD_ABS/LD_IND outside the packet, in a subprogram): the run ends with r0 = 0. */
class Abort {
  constructor(readonly fuel: bigint) {}
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** Jit.traceLimit when the run left Error.stackTraceLimit as it was. */
const NO_TRACE_LIMIT = Symbol('no trace limit');

/** A wasm frame of a stack trace: the module's name, the function index and the byte offset. */
const FRAME = /wasm:\/\/wasm\/(?:([A-Za-z0-9_]+)-)?[0-9a-f]+:wasm-function\[(\d+)\]:0x([0-9a-f]+)/g;

/**
 * A run-time check's fault at `pc` as the interpreter reports it: `arg` the address (4 GiB, misaligned) or
 * the callback's entry pc (callback depth); a call's target is its instruction's.
 */
function faultError(jit: Jit, insns: readonly Insn[], rows: readonly (Opcode | null)[], pc: number, kind: Fault, arg: bigint): RuntimeError {
  switch (kind) {
    case Fault.budget:
      return new RuntimeError(`instruction budget of ${jit.maxInsns} exhausted (option maxInsns)`, { pc });
    case Fault.depth:
      return new RuntimeError(`call to ${pc + insns[pc].imm + 1} needs frame ${MAX_CALL_FRAMES + 1}: at most ${MAX_CALL_FRAMES} frames`, { pc });
    case Fault.misaligned: {
      const size = sizeBytes(bpfSize(insns[pc].code));
      return new RuntimeError(`misaligned atomic access of ${size} bytes at 0x${arg.toString(16)}`, { pc, addr: arg, size });
    }
    case Fault.callbackDepth:
      return new RuntimeError(`callback at ${arg} needs frame ${MAX_CALL_FRAMES + 1}: at most ${MAX_CALL_FRAMES} frames`, { pc: jit.currentPc });
    case Fault.above4GiB:
      return memoryFault(rows[pc]?.format !== 'ldx', arg, sizeBytes(bpfSize(insns[pc].code)), 'address above 4 GiB', pc);
    default:
      return new RuntimeError('ld_abs/ld_ind read the packet, but the run has none (pass packet: { data, dataEnd })', { pc });
  }
}

/** Call a helper as the interpreter does: unsigned arguments, errors located at `pc`, a bigint result. */
function invokeHelper(def: HelperDef, ctx: HelperContext, pc: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint {
  let ret: unknown;
  try {
    ret = def.fn(ctx, U64(a), U64(b), U64(c), U64(d), U64(e));
  } catch (err) {
    if (err instanceof RuntimeError) throw err.pc === undefined ? err.atPc(pc) : err;
    if (err instanceof EbpfError || err instanceof Abort || err instanceof WebAssembly.RuntimeError) throw err;
    throw new RuntimeError(`helper ${def.name} failed: ${err instanceof Error ? err.message : String(err)}`, { pc, cause: err });
  }
  if (typeof ret !== 'bigint') throw new RuntimeError(`helper ${def.name} returned ${typeof ret}, not a bigint`, { pc });
  return ret;
}

interface Exports {
  run(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, budget: number, pktData: number, pktLen: number): bigint;
  callback(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
  entry: unknown;
  enter(...args: (bigint | number)[]): bigint[];
}

/** The instructions of one program and the callback modules made for it, by entry pc. */
class ProgramCode implements IntrinsicProgram {
  readonly callbacks = new Map<number, JitModule>();
  private loopCode: LoopCode | undefined;
  /** `shared`: the Jit's shared globals (compile.ts, SHARED_GLOBALS), which the bpf_loop intrinsic reads. */
  constructor(
    readonly insns: readonly Insn[], readonly rows: readonly (Opcode | null)[], private readonly shared: Record<string, WebAssembly.Global>, readonly verified: boolean,
  ) {}

  /** The bpf_loop intrinsic's table of this program's callback entries (made when a module first imports it). */
  get loops(): LoopCode {
    return (this.loopCode ??= new LoopCode(this.insns.length, this.shared));
  }

  /** A callback module was made for `pc`: its entry goes in the table, if there is one. */
  fileCallback(pc: number, mod: JitModule): void {
    this.loopCode?.file(pc, mod.exports.entry);
  }
}

/** A program Jit.load validated and has not compiled yet (Jit.flush compiles every pending one at once). */
interface PendingLoad {
  readonly program: JitProgram;
  readonly insns: readonly Insn[];
  /** What checkProgram returned for insns at the load (the compile does not check them again). */
  readonly rows: readonly (Opcode | null)[];
  /** The cache's key and flags (Jit.cacheKey); the key also says what the instructions were at the load. */
  readonly key: Int32Array;
  readonly flags: string;
  /** bucketName(hashKey(key), its length, flags). */
  readonly bucket: string;
  readonly verified: boolean;
}

/** What Jit.cacheKey finds for a program: its key in the cache, and its rows (checkProgram). */
interface ProgramKey {
  readonly key: Int32Array;
  readonly flags: string;
  /** bucketName(hashKey(key), its length, flags). */
  readonly bucket: string;
  /** Whether an intrinsic the program uses has a per-program import (Jit.flush). */
  readonly perProgram: boolean;
  readonly rows: readonly (Opcode | null)[];
}

/** Whether `list` holds a load of the same program as `p`. */
function hasTwin(list: readonly PendingLoad[], p: PendingLoad): boolean {
  for (const q of list) if (q.flags === p.flags && sameKeys(q.key, p.key)) return true;
  return false;
}

/** A module as the value of a `self` import: an externref global takes any JavaScript value (TypeScript's ImportValue lists only wasm objects). */
const selfImport = (m: JitModule) => m as unknown as WebAssembly.ImportValue;

/**
 * One program's view of an instantiated module: its imports bound to the
 * Jit and to the program it was compiled from. A module compiled for a
 * batch of programs is instantiated once for all of them (JitModule.batch),
 * each program's `self` import its own JitModule; alone, a program of a
 * batch module gets an instance whose `self` imports are all its own.
 */
class JitModule {
  /** Set once the module is instantiated (at once, or by JitModule.batch). */
  exports!: Exports;

  constructor(readonly jit: Jit, readonly code: ProgramCode, readonly compiled: CompiledProgram, module?: WebAssembly.Module) {
    if (!module) return;
    const env = this.imports();
    for (let k = 1; k < compiled.hosts; k++) env[`self${k}`] = selfImport(this);
    this.bind(new WebAssembly.Instance(module, { env }));
  }

  private bind(instance: WebAssembly.Instance): void {
    const x = instance.exports;
    const { compiled } = this;
    this.exports = (compiled.exportName === 'run' || compiled.form.kind !== 'run' ? x : { run: x[compiled.exportName] }) as unknown as Exports;
  }

  /**
   * The programs of one batch module (codes[k] compiled as compiled[k]) on one instance: the intrinsic
   * imports, bound once, are the first program's, so none may be per-program (Jit.loadAll keeps those apart).
   */
  static batch(jit: Jit, codes: readonly ProgramCode[], compiled: readonly CompiledProgram[], module: WebAssembly.Module): JitModule[] {
    const mods: JitModule[] = [];
    for (let k = 0; k < compiled.length; k++) mods.push(new JitModule(jit, codes[k], compiled[k]));
    const env = mods[0].imports();
    for (let k = 1; k < mods.length; k++) env[`self${k}`] = selfImport(mods[k]);
    const instance = new WebAssembly.Instance(module, { env });
    for (const m of mods) m.bind(instance);
    return mods;
  }

  /** The module's imports: its own table and self, on the Jit's (Jit.env: a module looks up only those it imports). */
  private imports(): WebAssembly.ModuleImports {
    const env = Object.create(this.jit.env) as WebAssembly.ModuleImports;
    env.fns = this.jit.functionTable(this.compiled, this.code);
    env.self = selfImport(this);
    return env;
  }

  /** @internal A host call of this module's program (compile.ts, through the Jit's host function): its helper calls, callx, aborts and faults. */
  host(pc: number, kind: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, f: bigint): bigint {
    if (kind >= 0) return this.call(pc, kind, a, b, c, d, e);
    if (kind === HostCall.callx) {
      const id = U64(a);
      if (id >= 0x80000000n) throw missingHelper(id, pc);
      return this.call(pc, Number(id), b, c, d, e, f);
    }
    if (kind === HostCall.abort) throw new Abort(a);
    throw faultError(this.jit, this.code.insns, this.code.rows, pc, HostCall.fault - kind, a);
  }

  /** Call helper `id` from instruction `pc` of this module's program; hooks see both. */
  private call(pc: number, id: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint {
    const { jit } = this;
    const def = jit.helpers.get(id);
    if (!def) throw missingHelper(id, pc);
    const outer = jit.current, outerPc = jit.currentPc;
    jit.current = this;
    jit.currentPc = pc;
    try {
      return invokeHelper(def, jit.context, pc, a, b, c, d, e);
    } finally {
      jit.current = outer;
      jit.currentPc = outerPc;
    }
  }
}

export class Jit {
  readonly space: AddressSpace;
  readonly maxInsns: number;
  readonly helpers: HelperTable;
  readonly context: HelperContext;
  readonly cache: JitCache;
  /** The region holding the call stacks, laid out as the interpreter's (frames between guard bytes). */
  readonly stackRegion: Region;
  /** @internal The globals every module of this Jit imports (compile.ts, SHARED_GLOBALS). */
  readonly shared: Record<string, WebAssembly.Global>;
  /** @internal The value of the shared fuel global: what the last run of an unverified program left of its budget. */
  readonly left: () => number;
  /** @internal The module whose helper call is under way, and that call's pc (for the hooks). */
  current: JitModule | undefined;
  /** @internal */
  currentPc = 0;
  /** @internal Set while a program of this Jit runs: runs do not nest. */
  running = false;
  /** The user's Error.stackTraceLimit while a run raises it to 1 (begin), else NO_TRACE_LIMIT. */
  private traceLimit: unknown = NO_TRACE_LIMIT;
  /** @internal Tail calls in wasm (tail-code.ts): the run's tail_call_cnt, the targets' entries. */
  readonly tails: TailCode;
  /**
   * @internal What every module of this Jit may import but its table and self (compile.ts, moduleGlobals;
   * JitModule.imports): the memory, frameTop, the shared globals and the tail-call ones.
   */
  readonly env: WebAssembly.ModuleImports;
  /** @internal The host import of every module (compile.ts): the calling program passes its JitModule. */
  readonly hostFn: HostFn = hostFunction((pc, kind, a, b, c, d, e, f, self) => (self as JitModule).host(pc, kind, a, b, c, d, e, f));
  /** The tail call the helper asked for. */
  private pendingTail: JitModule | undefined;
  /** Programs loaded and not yet compiled (flush). */
  private pending: PendingLoad[] = [];
  private readonly useIntrinsics: boolean;

  constructor(space: AddressSpace, options: JitOptions = {}) {
    const maxInsns = options.maxInsns ?? DEFAULT_MAX_INSNS;
    if (!Number.isSafeInteger(maxInsns) || maxInsns < 1) {
      throw new EbpfError('EINVAL', `maxInsns must be a positive integer, got ${maxInsns}`);
    }
    this.space = space;
    this.maxInsns = maxInsns;
    this.helpers = options.helpers ?? createHelperTable();
    this.context = createHelperContext(space, { ...options.host, checked: false }, this.hooks());
    this.cache = options.cache ?? new JitCache();
    this.useIntrinsics = options.intrinsics ?? true;
    this.stackRegion = space.alloc('stack', STACK_SIZE, 'stack');
    this.shared = Object.fromEntries(SHARED_GLOBALS.map(([name, type]) =>
      [name, new WebAssembly.Global({ value: type === ValType.i64 ? 'i64' : 'i32', mutable: true }, type === ValType.i64 ? 0n : 0)]));
    this.left = budgetReader(this.shared.fuel);
    this.tails = new TailCode(space.memory, space.shared, this.shared.tailPending, (...args) => this.enterTail(args));
    registerTailCode(this.context, this.tails);
    this.env = { memory: space.memory, frameTop: this.frameStart(0) + MAX_BPF_STACK };
    for (const [name] of SHARED_GLOBALS) this.env[name] = this.shared[name];
    this.env.tailEnter = this.tails.exports.enter;
    this.env.tailId = this.tails.pending;
    this.env.tailCount = this.tails.count;
  }

  /**
   * @internal The table of functions a module calls out through (compile.ts, CompiledProgram.slots): the
   * host function and the intrinsics' imports. A table of its own for each module: a table keeps every
   * instance that imports it alive (V8 updates their dispatch tables when it changes), so one shared
   * between the modules of a Jit would keep every module it ever loaded.
   */
  functionTable(compiled: CompiledProgram, code: ProgramCode): WebAssembly.Table {
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: compiled.slots.length });
    // In the order compile.ts gives the slots: host, then each intrinsic's imports.
    let k = 0;
    table.set(k++, this.hostFn as unknown as () => void);
    for (const intrinsic of compiled.intrinsics) {
      for (const imp of intrinsic.imports) {
        let value = imp.perProgram ? undefined : this.importValues.get(imp);
        if (!value) {
          value = imp.value(this.context, code, this.hostFn) as () => void;
          if (!imp.perProgram) this.importValues.set(imp, value);
        }
        table.set(k++, value);
      }
    }
    return table;
  }

  /**
   * The values of the intrinsics' imports that are the same for every program (not perProgram), made
   * once per Jit: some are a wasm function made of a JavaScript one, an instance each.
   */
  private readonly importValues = new Map<IntrinsicImport, () => void>();

  /** The lowest address of frame k's MAX_BPF_STACK bytes of stack; r10 points just past them. */
  frameStart(k: number): number {
    return this.stackRegion.start + STACK_GUARD + k * FRAME_SPAN;
  }

  /** intrinsicFor, as the compiler takes it (made once). */
  private readonly intrinsicOf = (id: number) => this.intrinsicFor(id);

  /** The intrinsic for helper `id` when this Jit's table holds the helper it stands for. */
  intrinsicFor(id: number): JitIntrinsic | undefined {
    return this.useIntrinsics ? intrinsicFor(this.helpers, id, this.space) : undefined;
  }

  /**
   * Validate a program and take it (throws InstructionError naming the
   * instruction). Its module comes from the cache, or it is compiled at its
   * first use (a run, `compiled`, `wasm`, `wat`) together with every other
   * program loaded since (flush): V8's cost per module (compiling it,
   * instantiating it) is then paid once for all of them, as Jit.loadAll
   * pays it for a collection. A program's instructions must not change
   * between its load and its first use (if they do, that use fails).
   */
  load(insns: readonly Insn[], options: JitLoadOptions = {}): JitProgram {
    const taken = this.take(insns, options.verified ?? false);
    if (taken instanceof JitProgram) return taken;
    this.pending.push(taken);
    return taken.program;
  }

  /** Give the call stacks back to the address space; a program loaded but never used fails at its first use. */
  dispose(): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.program.bind(undefined, new EbpfError('EINVAL', 'the Jit was disposed before the program\'s first use compiled it'));
    this.space.release(this.stackRegion);
  }

  /**
   * Validate and compile several programs (or take them from the cache):
   * load each, then compile them (with any other program loaded and not
   * yet used) at once (flush). Throws InstructionError naming the
   * instruction (not the program: load each to find which), and then
   * takes none of them.
   */
  loadAll(programs: readonly (readonly Insn[])[], options: JitLoadOptions = {}): JitProgram[] {
    const verified = options.verified ?? false;
    const taken: (JitProgram | PendingLoad)[] = [];
    for (let k = 0; k < programs.length; k++) taken.push(this.take(programs[k], verified));
    const loaded: JitProgram[] = [];
    for (const t of taken) {
      if (t instanceof JitProgram) loaded.push(t);
      else {
        this.pending.push(t);
        loaded.push(t.program);
      }
    }
    this.flush();
    return loaded;
  }

  /**
   * A program from the cache (validated), one compiled alone now (it has a
   * per-program intrinsic import: see flush), or the validated program
   * waiting for flush.
   */
  private take(insns: readonly Insn[], verified: boolean): JitProgram | PendingLoad {
    const k = this.cacheKey(insns, { kind: 'run' }, verified);
    const entry = this.cache.get(k.key, k.flags, k.bucket);
    if (entry) return new JitProgram(this, this.moduleOf(insns, entry, verified));
    if (k.perProgram) return new JitProgram(this, this.instantiate(insns, { kind: 'run' }, undefined, verified, k));
    return { program: new JitProgram(this, undefined, insns), insns, rows: k.rows, key: k.key, flags: k.flags, bucket: k.bucket, verified };
  }

  /**
   * @internal Compile the programs loaded and not yet used, into one module
   * for the verified ones and one for the others (compileBatch; one
   * instance each), cache them one by one as a compile alone would, and
   * give each program its module. A program whose instructions changed
   * since its load, or whose module does not compile, fails at its use.
   *
   * A program with a per-program intrinsic import (bpf_loop's table of its
   * callbacks) is never pending (take compiles it alone): one instance
   * binds each import once, so a batch module could not give two programs
   * their own tables, and naming such imports per program (as the self
   * imports are) would spread through the compiler, the text printer and
   * every instantiation for what is, in a collection, a rare program.
   */
  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    for (const verified of [true, false]) {
      const missing: PendingLoad[] = [];
      const twins: PendingLoad[] = [];
      const seen = new Map<string, PendingLoad[]>();
      for (const p of pending) {
        if (p.verified !== verified) continue;
        if (!sameInsns(p.insns, p.key)) {
          p.program.bind(undefined, new EbpfError('EINVAL', `the program's instructions changed between its load and its first use (${p.insns.length} slots)`));
          continue;
        }
        const entry = this.cache.get(p.key, p.flags, p.bucket);
        if (entry) {
          p.program.bind(this.moduleOf(p.insns, entry, verified));
          continue;
        }
        // The same program loaded twice before its first use: compiled once, as load would have.
        const same = seen.get(p.bucket);
        if (same && hasTwin(same, p)) twins.push(p);
        else {
          missing.push(p);
          if (same) same.push(p); else seen.set(p.bucket, [p]);
        }
      }
      if (missing.length > 0) this.compileLoads(missing, verified);
      for (const p of twins) {
        const entry = this.cache.get(p.key, p.flags, p.bucket);
        if (entry) p.program.bind(this.moduleOf(p.insns, entry, verified));
        else this.compileLoads([p], verified);
      }
    }
  }

  /** Compile `loads` (validated, unchanged, not in the cache) into one module and bind each program to it. */
  private compileLoads(loads: readonly PendingLoad[], verified: boolean): void {
    let compiled: CompiledProgram[], module: WebAssembly.Module;
    const insns: (readonly Insn[])[] = [], checked: (readonly (Opcode | null)[])[] = [];
    for (const p of loads) {
      insns.push(p.insns);
      checked.push(p.rows);
    }
    try {
      compiled = compileBatch(insns, { shared: this.space.shared, intrinsic: this.intrinsicOf, name: this.cache.nextName(), verified, checked });
      const what = loads.length === 1 ? `this program (${loads[0].insns.length} slots)` : `these ${loads.length} programs`;
      module = this.compileModule(compiled[0].bytes, what);
    } catch (err) {
      for (const p of loads) p.program.bind(undefined, err as Error);
      return;
    }
    const codes: ProgramCode[] = [];
    for (let j = 0; j < loads.length; j++) codes.push(new ProgramCode(loads[j].insns, compiled[j].cfg.rows, this.shared, verified));
    const mods = JitModule.batch(this, codes, compiled, module);
    for (let j = 0; j < loads.length; j++) {
      const p = loads[j];
      this.cache.set(p.key, p.flags, { compiled: compiled[j], module }, p.bucket);
      p.program.bind(mods[j]);
    }
  }

  /** A cached module instantiated for `insns`. */
  private moduleOf(insns: readonly Insn[], entry: CachedModule, verified: boolean): JitModule {
    return new JitModule(this, new ProgramCode(insns, entry.compiled.cfg.rows, this.shared, verified), entry.compiled, entry.module);
  }

  /**
   * Validate a program (checkProgram: throws InstructionError naming the instruction) and find what
   * the cache keys its module by, from the same pass: its bytes (hashKey), and the flags that shape
   * its code; and whether an intrinsic it uses has a per-program import (loadAll). The key holds
   * each field only to its width (a dst of 16 encodes as 0), so a cache hit is for a valid program
   * only because the program is validated first.
   */
  private cacheKey(insns: readonly Insn[], form: ModuleForm, verified: boolean): ProgramKey {
    const marks: number[] = [];
    const key = new Int32Array(2 * insns.length);
    const rows = checkProgram(insns, marks, key);
    /** The helpers the program calls (each looked up once), and those of them that have an intrinsic. */
    const called: number[] = [], ids: number[] = [];
    let perProgram = false, knowsMaps = false;
    for (let k = 0; k < marks.length; k++) {
      const pc = marks[k];
      if (rows[pc]!.format !== 'call_helper') continue;
      const id = insns[pc].imm;
      if (called.includes(id)) continue;
      called.push(id);
      const intrinsic = this.intrinsicFor(id);
      if (!intrinsic) continue;
      ids.push(id);
      if (intrinsic.imports.some((imp) => imp.perProgram)) perProgram = true;
      if (intrinsic.knowsMaps) knowsMaps = true;
    }
    // Joined, not built by `+=`: that makes a chain of small strings (one per piece), each an object the
    // collector copies for as long as the cache keeps the program (a hundred a program of large.o).
    const parts = [this.space.shared ? 's' : 'u', verified ? 'v' : '', ids.sort((a, b) => a - b).join(','), '/', form.kind, form.kind === 'callback' ? String(form.pc) : ''];
    if (knowsMaps) this.descriptorsKey(insns, rows, marks, parts);
    const flags = parts.join('');
    return { key, flags, bucket: bucketName(hashKey(key), key.length, flags), perProgram, rows };
  }

  /**
   * The descriptors at the addresses the program's lddw load (among `marks`, checkProgram's), as the map
   * intrinsics may specialise on them: appended to `parts`.
   */
  private descriptorsKey(insns: readonly Insn[], rows: readonly (Opcode | null)[], marks: readonly number[], parts: string[]): void {
    const view = this.space.view;
    /**
     * Each map once (the key holds the instructions: a program loads a map's address at each of its uses),
     * looked for among the maps found so far: most lddw of an object load global data, not a map.
     */
    const seen: number[] = [];
    for (let k = 0; k < marks.length; k++) {
      const pc = marks[k];
      if (rows[pc]!.format !== 'lddw') continue;
      // No descriptor is at 0 or at 4 GiB and above (beyond any memory).
      const addr = insns[pc].imm >>> 0;
      if (insns[pc + 1].imm !== 0 || addr === 0) continue;
      const desc = descriptorAt(view, addr);
      if (!desc || seen.includes(addr)) continue;
      seen.push(addr);
      parts.push(`@${addr}:${desc.type}:${desc.maxEntries}:${desc.storage}:${desc.valueSize}`);
    }
  }

  private compileModule(bytes: Uint8Array, what: string): WebAssembly.Module {
    try {
      return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (err) {
      throw new EbpfError('EJIT', `the JIT's module for ${what} does not compile (${bytes.length} bytes of wasm): ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * @internal The module of `insns` (or of `code`, a program already loaded) in `form`, compiled or
   * from the cache, instantiated for this Jit; `k`: the program's cacheKey in `form`, when the caller has it.
   */
  instantiate(insns: readonly Insn[], form: ModuleForm, code?: ProgramCode, verified = code?.verified ?? false, k = this.cacheKey(insns, form, verified)): JitModule {
    const { key, flags, bucket } = k;
    let entry: CachedModule | undefined = this.cache.get(key, flags, bucket);
    if (!entry) {
      const compiled = compileProgram(insns, {
        shared: this.space.shared, intrinsic: this.intrinsicOf, form, name: this.cache.nextName(), verified, checked: [k.rows],
      });
      entry = { compiled, module: this.compileModule(compiled.bytes, `this program (${insns.length} slots)`) };
      this.cache.set(key, flags, entry, bucket);
    }
    return new JitModule(this, code ?? new ProgramCode(insns, entry.compiled.cfg.rows, this.shared, verified), entry.compiled, entry.module);
  }

  /** The engine hooks helpers call (helpers/context.ts). */
  private hooks(): EngineHooks {
    const running = (what: string): JitModule => {
      if (!this.running || !this.current) throw new RuntimeError(`${what}: no program is running on this Jit`);
      return this.current;
    };
    return {
      callback: (pc, r1, r2, r3, r4, r5) => this.callback(running('callback').code, pc, [r1, r2, r3, r4, r5]),
      deferredCallback: (pc) => this.deferred(running('callback').code, pc),
      tailCall: (target) => {
        running('tail call');
        return this.tailCall(target);
      },
      callChain: () => {
        running('call chain');
        return this.callChain();
      },
      // LD_ABS/LD_IND read the packet through these globals (a run without a packet has pktLen -1).
      packetMoved: (packet) => {
        if (!this.running || this.shared.pktLen.value === -1) return;
        this.shared.pktData.value = packet.data | 0;
        this.shared.pktLen.value = Math.min(packet.dataEnd - packet.data, 0x7fffffff);
      },
    };
  }

  /** The callback module of `code` at `pc` (a RuntimeError at the calling helper when pc is not an instruction). */
  private callbackModule(code: ProgramCode, pc: bigint): JitModule {
    const n = code.insns.length;
    if (pc < 0n || pc >= BigInt(n) || code.rows[Number(pc)] === null) {
      throw new RuntimeError(`callback at ${pc}: not an instruction of the program (0 to ${n - 1})`, { pc: this.currentPc });
    }
    const at = Number(pc);
    let mod = code.callbacks.get(at);
    if (!mod) {
      mod = this.instantiate(code.insns, { kind: 'callback', pc: at }, code);
      code.callbacks.set(at, mod);
      code.fileCallback(at, mod);
    }
    return mod;
  }

  /** Run the function at `pc` of `code` on the next frame, from inside a helper: returns its r0. */
  private callback(code: ProgramCode, pc: bigint, args: readonly bigint[]): bigint {
    const mod = this.callbackModule(code, pc);
    const outer = this.current, outerPc = this.currentPc;
    try {
      return U64(mod.exports.callback(args[0], args[1], args[2], args[3], args[4]));
    } finally {
      this.current = outer;
      this.currentPc = outerPc;
    }
  }

  /** A callback kept past its run (timers): nested in a run under way, otherwise a run of its own. */
  private deferred(code: ProgramCode, pc: bigint): DeferredCallback {
    return {
      call: (r1, r2, r3, r4, r5) => {
        if (this.running) return this.callback(code, pc, [r1, r2, r3, r4, r5]);
        const mod = this.callbackModule(code, pc);
        return this.execute(() => {
          this.space.bytes.fill(0, this.stackRegion.start, this.stackRegion.start + this.stackRegion.size);
          const s = this.shared;
          s.depth.value = -1;
          for (const r of ['r0', 'r6', 'r7', 'r8', 'r9']) s[r].value = 0n;
          s.fuel.value = BigInt(this.maxInsns);
          s.pktLen.value = -1;
          const r0 = mod.exports.callback(r1, r2, r3, r4, r5);
          const left = Number(s.fuel.value as bigint);
          if (left < 0) throw new RuntimeError(`instruction budget of ${this.maxInsns} exhausted (option maxInsns)`);
          return { r0: U64(r0), insns: this.maxInsns - left };
        }, {}).r0;
      },
    };
  }

  private tailCall(target: ProgramHandle | undefined): boolean {
    if (!this.current!.compiled.usesTail) {
      throw new RuntimeError(`a tail call from helper code the JIT did not expect it from: tail calls are taken after bpf_tail_call (#${BPF_FUNC_tail_call}) or callx`, { pc: this.currentPc });
    }
    const miss = this.tails.takeMiss();
    const count = this.tails.count.value as number;
    if (count >= MAX_TAIL_CALL_CNT) return false;
    this.tails.count.value = count + 1;
    if (target === undefined) return false;
    this.pendingTail = target.preparedFor(this, (insns) => this.instantiate(insns, { kind: 'tail' }, undefined, target.verified));
    this.tails.learn(miss, this.pendingTail.exports.enter);
    this.shared.tailPending.value = 1;
    return true;
  }

  /** @internal The tail import: run the program a tail call asked for in the caller's frame; its results are the caller's. */
  enterTail(args: readonly bigint[]): bigint[] {
    const target = this.pendingTail!;
    this.pendingTail = undefined;
    this.shared.tailPending.value = 0;
    return target.exports.enter(...args.slice(0, 10), Number(args[10]), args[11]);
  }

  /**
   * The call chain, innermost first, as instruction byte offsets: the wasm
   * frames of a stack trace, each mapped through its module's pc map (a
   * frame in an inlined callee's code stands for two: the callee's and its
   * caller's at the call, CompiledProgram.inlined). A frame waiting in a
   * tail call is not there in the interpreter (the target replaced it), so
   * it is left out.
   */
  private callChain(): bigint[] {
    const limit = Error.stackTraceLimit;
    let stack: string;
    try {
      Error.stackTraceLimit = 1000;
      stack = String(new Error().stack);
    } finally {
      Error.stackTraceLimit = limit;
    }
    const chain: bigint[] = [];
    for (const m of stack.matchAll(FRAME)) {
      const at = this.locate(m[1], Number(m[2]), parseInt(m[3], 16));
      if (!at || at.compiled.tailSites.has(at.offset)) continue;
      chain.push(BigInt(at.pc * 8));
      // In an inlined callee's code: the callee's frame, then its caller's at the call.
      const inlined = at.compiled.inlined;
      for (let k = 0; k < inlined.length; k += 3) {
        if (at.offset >= inlined[k] && at.offset < inlined[k + 1]) chain.push(BigInt(inlined[k + 2] * 8));
      }
    }
    return chain;
  }

  /** @internal The eBPF instruction a wasm frame is at, or undefined for a frame that is not eBPF code of this Jit. */
  locate(name: string | undefined, func: number, offset: number): { compiled: CompiledProgram; pc: number; offset: number } | undefined {
    const compiled = name === undefined ? undefined : this.cache.named(name, func);
    if (!compiled) return undefined;
    const pc = pcAt(compiled.pcMap, offset);
    return pc === undefined ? undefined : { compiled, pc, offset };
  }

  /**
   * @internal Run `body` as one run of this Jit: no nesting, fresh tail-call
   * state, the run's values for the helpers, spin locks released, and
   * failures reported as the interpreter reports them.
   */
  execute(body: () => JitRunResult, options: { funcIp?: bigint; attachCookie?: bigint }): JitRunResult {
    this.begin(options);
    try {
      const result = body();
      this.returned();
      return result;
    } catch (err) {
      return this.failed(err);
    } finally {
      this.end();
    }
  }

  /**
   * @internal The start of a run (execute, JitProgram.run: no closure on the path of every run).
   * `tails`: whether the run may take a tail call, whose count then starts again (a global's
   * value set from JavaScript costs about as much as running a short program: skipped when no
   * tail call can follow).
   */
  begin(options: { funcIp?: bigint; attachCookie?: bigint }, tails = true): void {
    if (this.running) throw new RuntimeError('this Jit is already running a program; runs do not nest');
    const { funcIp, attachCookie } = options;
    if (funcIp !== undefined && typeof funcIp !== 'bigint') throw new EbpfError('EINVAL', `funcIp must be a bigint, got ${typeof funcIp}`);
    if (attachCookie !== undefined && typeof attachCookie !== 'bigint') throw new EbpfError('EINVAL', `attachCookie must be a bigint, got ${typeof attachCookie}`);
    const { run } = this.context;
    run.funcIp = funcIp === undefined ? 0n : U64(funcIp);
    run.attachCookie = attachCookie === undefined ? 0n : U64(attachCookie);
    this.running = true;
    if (tails) this.tails.count.value = 0;
    // A trap is located by the wasm frame at the top of its stack trace (trapError): a run needs that one frame.
    const limit = Error.stackTraceLimit;
    if (!(limit >= 1)) {
      this.traceLimit = limit;
      Error.stackTraceLimit = 1;
    }
  }

  /** @internal A run returned: holding a spin lock is its error. */
  returned(): void {
    if (this.context.heldLocks.size > 0) {
      const held = releaseHeldLocks(this.context);
      throw new RuntimeError(`the program exited holding the bpf_spin_lock at 0x${held[0].toString(16)} (released)`);
    }
  }

  /** @internal A run threw `err`: no tail call left pending; the result of an abort, or the failure as the interpreter reports it. */
  failed(err: unknown): JitRunResult {
    this.tails.abandon();
    this.shared.tailPending.value = 0;
    if (err instanceof Abort) {
      if (err.fuel < 0n) throw new RuntimeError(`instruction budget of ${this.maxInsns} exhausted (option maxInsns)`);
      return { r0: 0n, insns: this.maxInsns - Number(err.fuel) };
    }
    if (err instanceof WebAssembly.RuntimeError) throw this.trapError(err);
    throw err;
  }

  /** @internal After every run: locks released, tail-call state and the running flag cleared. */
  end(): void {
    if (this.context.heldLocks.size > 0) releaseHeldLocks(this.context);
    if (this.pendingTail) {
      this.pendingTail = undefined;
      this.shared.tailPending.value = 0;
    }
    this.current = undefined;
    this.running = false;
    if (this.traceLimit !== NO_TRACE_LIMIT) {
      Error.stackTraceLimit = this.traceLimit as number;
      this.traceLimit = NO_TRACE_LIMIT;
    }
  }

  /**
   * A wasm trap as the interpreter reports the fault: located at its pc through the module's pc map; a
   * run-time check's trap by its site (CompiledProgram.faults), its argument in the fuel global.
   */
  private trapError(err: WebAssembly.RuntimeError): RuntimeError {
    FRAME.lastIndex = 0;
    const m = FRAME.exec(String(err.stack));
    FRAME.lastIndex = 0;
    const compiled = m && m[1] !== undefined ? this.cache.named(m[1], Number(m[2])) : undefined;
    const offset = m ? parseInt(m[3], 16) : 0;
    // A check's site by its offset alone (the pc map may have no instruction before it: a loop of one jump).
    const site = compiled ? faultAt(compiled.faults, offset) : undefined;
    if (compiled && site !== undefined) {
      return faultError(this, compiled.cfg.insns, compiled.cfg.rows, site >> 3, site & 7, this.shared.fuel.value as bigint);
    }
    const pc = compiled ? pcAt(compiled.pcMap, offset) : undefined;
    if (compiled && pc !== undefined && /out of bounds/.test(err.message)) {
      const ins = compiled.cfg.insns[pc];
      const format = compiled.cfg.rows[pc]?.format ?? '';
      // The access's own, or at a helper call what its intrinsic read inline (JitIntrinsic.inlineRead).
      const size = ['ldx', 'st', 'stx', 'atomic', 'ldabs', 'ldind'].includes(format) ? sizeBytes(bpfSize(ins.code))
        : format === 'call_helper' ? compiled.intrinsics.find((x) => x.id === ins.imm)?.inlineRead : undefined;
      if (size !== undefined) {
        const write = format === 'st' || format === 'stx' || format === 'atomic';
        const bytes = this.space.memory.buffer.byteLength;
        return new RuntimeError(`invalid ${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} (outside the memory of ${bytes} bytes)`, { pc, size, cause: err });
      }
    }
    return new RuntimeError(`wasm trap: ${err.message}`, { pc, cause: err });
  }
}

export class JitProgram {
  private main: JitModule | undefined;
  private exports: Exports | undefined;
  /** Why the program has no module: its compile failed (Jit.flush). */
  private failure: Error | undefined;

  /** @internal `main` undefined: the program waits for Jit.flush, which binds it. */
  constructor(readonly jit: Jit, main: JitModule | undefined, private readonly source?: readonly Insn[]) {
    if (main) this.bind(main);
  }

  /** @internal The program's module, or why it has none. */
  bind(main: JitModule | undefined, failure?: Error): void {
    this.main = main;
    this.exports = main?.exports;
    this.failure = failure;
  }

  /** The module, compiled now if the program waits for one (Jit.flush). */
  private ready(): JitModule {
    if (!this.main && !this.failure) this.jit.flush();
    if (this.failure) throw this.failure;
    return this.main!;
  }

  get compiled(): CompiledProgram {
    return this.ready().compiled;
  }

  get insns(): readonly Insn[] {
    return this.main ? this.main.code.insns : this.source!;
  }

  /** The wasm module's bytes. */
  get wasm(): Uint8Array {
    return this.compiled.bytes;
  }

  /** The module as WebAssembly text, each instruction's code under its eBPF disassembly. */
  wat(): string {
    return watOf(this.compiled, this.insns, (id) => this.jit.helpers.name(id));
  }

  run(options: JitRunOptions = {}): JitRunResult {
    const { jit } = this;
    const x = this.exports ?? this.ready().exports;
    const { packet } = options;
    if (packet && !(Number.isInteger(packet.data) && Number.isInteger(packet.dataEnd) && packet.data >= 0 && packet.data <= packet.dataEnd && packet.dataEnd <= 2 ** 32)) {
      throw new EbpfError('EINVAL', `packet: data (${packet.data}) and dataEnd (${packet.dataEnd}) must be addresses below 2^32 with data <= dataEnd`);
    }
    const r1 = options.r1 ?? 0n, r2 = options.r2 ?? 0n, r3 = options.r3 ?? 0n, r4 = options.r4 ?? 0n, r5 = options.r5 ?? 0n;
    if (typeof r1 !== 'bigint' || typeof r2 !== 'bigint' || typeof r3 !== 'bigint' || typeof r4 !== 'bigint' || typeof r5 !== 'bigint') {
      const k = [r1, r2, r3, r4, r5].findIndex((v) => typeof v !== 'bigint');
      throw new EbpfError('EINVAL', `r${k + 1} must be a bigint, got ${typeof [r1, r2, r3, r4, r5][k]}`);
    }
    // Offsets are signed 32-bit, so a packet length beyond 2^31 - 1 changes nothing.
    const pktData = packet ? packet.data | 0 : 0;
    const pktLen = packet ? Math.min(packet.dataEnd - packet.data, 0x7fffffff) : -1;
    // The run function zeroes the tail-call count itself.
    jit.begin(options, false);
    try {
      const r0 = x.run(r1, r2, r3, r4, r5, jit.maxInsns, pktData, pktLen);
      const result = { r0: U64(r0), insns: this.main!.compiled.budget ? jit.maxInsns - jit.left() : undefined };
      jit.returned();
      return result;
    } catch (err) {
      const result = jit.failed(err);
      return this.main!.compiled.budget ? result : { r0: result.r0 };
    } finally {
      jit.end();
    }
  }
}
