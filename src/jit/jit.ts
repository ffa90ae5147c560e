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
 */
import { EbpfError } from '../internal/errors.js';
import { disassemble } from '../asm/index.js';
import { BPF_CALL, BPF_JMP, MAX_BPF_STACK, MAX_CALL_FRAMES, bpfSize, encodeInsns, sizeBytes, type Insn } from '../isa/index.js';
import type { AddressSpace, Region } from '../memory/index.js';
import {
  RuntimeError, createHelperContext, createHelperTable, type HelperContext, type HelperDef, type HelperHost,
  type HelperTable,
} from '../helpers/index.js';
import { compileProgram, Fault, pcAt, STACK_GUARD, FRAME_SPAN, STACK_SIZE, type CompiledProgram } from './compile.js';
import { BASE_INTRINSICS, type JitIntrinsic } from './intrinsics.js';
import { printWat, type WatNames } from './wasm/wat.js';

export const DEFAULT_MAX_INSNS = 100_000_000;

/** The packet LD_ABS and LD_IND read: bytes [data, dataEnd) of the address space. */
export interface JitPacket {
  data: number;
  dataEnd: number;
}

export interface JitRunOptions {
  r1?: bigint;
  r2?: bigint;
  r3?: bigint;
  r4?: bigint;
  r5?: bigint;
  packet?: JitPacket;
}

export interface JitRunResult {
  /** r0 at exit, unsigned. */
  r0: bigint;
  /** Instructions executed (an lddw counts once), as the interpreter counts them. */
  insns: number;
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

/** A compiled program and its module, ready to instantiate against any runtime's memory. */
export interface CachedModule {
  readonly compiled: CompiledProgram;
  readonly module: WebAssembly.Module;
}

/**
 * Compiled modules by program: the instruction bytes plus what else shapes
 * the code (shared memory, the intrinsics in use). Lookups hash the bytes
 * and compare them in full. At most `maxEntries` modules are kept; the
 * oldest goes first.
 */
export class JitCache {
  private readonly buckets = new Map<string, { key: Uint8Array; flags: string; entry: CachedModule }[]>();
  /** Insertion order, for eviction. */
  private readonly order: { bucket: string; entry: CachedModule }[] = [];

  constructor(readonly maxEntries = 256) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new EbpfError('EINVAL', `maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.order.length;
  }

  get(key: Uint8Array, flags: string): CachedModule | undefined {
    return this.buckets.get(bucketOf(key, flags))?.find((e) => e.flags === flags && sameBytes(e.key, key))?.entry;
  }

  set(key: Uint8Array, flags: string, entry: CachedModule): void {
    if (this.order.length >= this.maxEntries) {
      const old = this.order.shift()!;
      const list = this.buckets.get(old.bucket)!.filter((e) => e.entry !== old.entry);
      if (list.length) this.buckets.set(old.bucket, list); else this.buckets.delete(old.bucket);
    }
    const bucket = bucketOf(key, flags);
    const list = this.buckets.get(bucket) ?? [];
    list.push({ key, flags, entry });
    this.buckets.set(bucket, list);
    this.order.push({ bucket, entry });
  }

  clear(): void {
    this.buckets.clear();
    this.order.length = 0;
  }
}

/** FNV-1a of the bytes, with the length and flags. */
function bucketOf(key: Uint8Array, flags: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return `${(h >>> 0).toString(16)}:${key.length}:${flags}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Thrown by the abort import (LD_ABS/LD_IND outside the packet, in a subprogram): the run ends with r0 = 0. */
class Abort {
  constructor(readonly fuel: bigint) {}
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** Call a helper as the interpreter does: unsigned arguments, errors located at `pc`, a bigint result. */
function invokeHelper(def: HelperDef, ctx: HelperContext, pc: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint {
  let ret: unknown;
  try {
    ret = def.fn(ctx, U64(a), U64(b), U64(c), U64(d), U64(e));
  } catch (err) {
    if (err instanceof RuntimeError) throw err.pc === undefined ? err.atPc(pc) : err;
    if (err instanceof EbpfError) throw err;
    throw new RuntimeError(`helper ${def.name} failed: ${err instanceof Error ? err.message : String(err)}`, { pc, cause: err });
  }
  if (typeof ret !== 'bigint') throw new RuntimeError(`helper ${def.name} returned ${typeof ret}, not a bigint`, { pc });
  return ret;
}

export class Jit {
  readonly space: AddressSpace;
  readonly maxInsns: number;
  readonly helpers: HelperTable;
  readonly context: HelperContext;
  readonly cache: JitCache;
  /** The region holding the call stacks, laid out as the interpreter's (frames between guard bytes). */
  readonly stackRegion: Region;
  private readonly useIntrinsics: boolean;
  /** @internal Set while a program of this Jit runs: runs do not nest. */
  running = false;

  constructor(space: AddressSpace, options: JitOptions = {}) {
    const maxInsns = options.maxInsns ?? DEFAULT_MAX_INSNS;
    if (!Number.isSafeInteger(maxInsns) || maxInsns < 1) {
      throw new EbpfError('EINVAL', `maxInsns must be a positive integer, got ${maxInsns}`);
    }
    this.space = space;
    this.maxInsns = maxInsns;
    this.helpers = options.helpers ?? createHelperTable();
    this.context = createHelperContext(space, { ...options.host, checked: false });
    this.cache = options.cache ?? new JitCache();
    this.useIntrinsics = options.intrinsics ?? true;
    this.stackRegion = space.alloc('stack', STACK_SIZE, 'stack');
  }

  /** The lowest address of frame k's MAX_BPF_STACK bytes of stack; r10 points just past them. */
  frameStart(k: number): number {
    return this.stackRegion.start + STACK_GUARD + k * FRAME_SPAN;
  }

  /** The intrinsic for helper `id` when this Jit's table holds the implementation it stands for. */
  intrinsicFor(id: number): JitIntrinsic | undefined {
    if (!this.useIntrinsics) return undefined;
    const fn = this.helpers.get(id)?.fn;
    return BASE_INTRINSICS.find((i) => i.id === id && i.fn === fn);
  }

  /** Validate and compile a program (or take it from the cache). Throws InstructionError naming the instruction. */
  load(insns: readonly Insn[]): JitProgram {
    const key = encodeInsns(insns);
    const ids = new Set<number>();
    for (const ins of insns) if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === 0 && this.intrinsicFor(ins.imm)) ids.add(ins.imm);
    const flags = `${this.space.shared ? 's' : 'u'}${[...ids].sort((a, b) => a - b).join(',')}`;
    let entry = this.cache.get(key, flags);
    if (!entry) {
      const compiled = compileProgram(insns, { shared: this.space.shared, intrinsic: (id) => this.intrinsicFor(id) });
      let module: WebAssembly.Module;
      try {
        module = new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>);
      } catch (err) {
        throw new EbpfError('EJIT', `the JIT's module for this program does not compile (${insns.length} slots, ${compiled.bytes.length} bytes of wasm): ${(err as Error).message}`, { cause: err });
      }
      entry = { compiled, module };
      this.cache.set(key, flags, entry);
    }
    return new JitProgram(this, insns, entry);
  }

  /** Give the call stacks back to the address space. */
  dispose(): void {
    this.space.release(this.stackRegion);
  }
}

interface Exports {
  run(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, budget: number, pktData: number, pktLen: number): bigint;
  left(): number;
}

export class JitProgram {
  readonly compiled: CompiledProgram;
  private readonly exports: Exports;

  constructor(readonly jit: Jit, readonly insns: readonly Insn[], entry: CachedModule) {
    this.compiled = entry.compiled;
    const instance = new WebAssembly.Instance(entry.module, { env: this.imports() });
    this.exports = instance.exports as unknown as Exports;
  }

  /** The wasm module's bytes. */
  get wasm(): Uint8Array {
    return this.compiled.bytes;
  }

  /** The module as WebAssembly text, each instruction's code under its eBPF disassembly. */
  wat(): string {
    return watOf(this.compiled, this.insns, (id) => this.jit.helpers.name(id));
  }

  private imports(): WebAssembly.ModuleImports {
    const { jit, compiled } = this;
    const ctx = jit.context;
    const env: WebAssembly.ModuleImports = {
      memory: jit.space.memory,
      frameTop: jit.frameStart(0) + MAX_BPF_STACK,
      stackStart: jit.stackRegion.start,
      stackSize: jit.stackRegion.size,
      fault: (pc: number, kind: Fault, arg: bigint) => {
        throw this.fault(pc, kind, arg);
      },
    };
    if (compiled.usesPacket) {
      env.abort = (fuel: bigint) => {
        throw new Abort(fuel);
      };
    }
    const callHelper = (pc: number, id: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
      const def = jit.helpers.get(id);
      if (!def) throw new RuntimeError(`unknown helper #${id}`, { pc });
      return invokeHelper(def, ctx, pc, a, b, c, d, e);
    };
    if (compiled.usesCallx) {
      env.callx = (pc: number, id: bigint, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => {
        const u = U64(id);
        if (u >= 0x80000000n) throw new RuntimeError(`unknown helper #${u}`, { pc });
        return callHelper(pc, Number(u), a, b, c, d, e);
      };
    }
    for (const id of compiled.helperIds) {
      env[`helper_${id}`] = (pc: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => callHelper(pc, id, a, b, c, d, e);
    }
    for (const intrinsic of compiled.intrinsics) {
      for (const imp of intrinsic.imports) env[imp.name] = imp.value(ctx);
    }
    return env;
  }

  private fault(pc: number, kind: Fault, arg: bigint): RuntimeError {
    switch (kind) {
      case Fault.budget:
        return new RuntimeError(`instruction budget of ${this.jit.maxInsns} exhausted (option maxInsns)`, { pc });
      case Fault.depth:
        return new RuntimeError(`call to ${arg} needs frame ${MAX_CALL_FRAMES + 1}: at most ${MAX_CALL_FRAMES} frames`, { pc });
      case Fault.misaligned: {
        const size = sizeBytes(bpfSize(this.insns[pc].code));
        return new RuntimeError(`misaligned atomic access of ${size} bytes at 0x${arg.toString(16)}`, { pc, addr: arg, size });
      }
      default:
        return new RuntimeError('ld_abs/ld_ind read the packet, but the run has none (pass packet: { data, dataEnd })', { pc });
    }
  }

  run(options: JitRunOptions = {}): JitRunResult {
    const { jit, exports: x } = this;
    if (jit.running) throw new RuntimeError('this Jit is already running a program; runs do not nest');
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
    jit.running = true;
    try {
      const r0 = x.run(r1, r2, r3, r4, r5, jit.maxInsns, pktData, pktLen);
      return { r0: U64(r0), insns: jit.maxInsns - x.left() };
    } catch (err) {
      if (err instanceof Abort) {
        if (err.fuel < 0n) throw new RuntimeError(`instruction budget of ${jit.maxInsns} exhausted (option maxInsns)`);
        return { r0: 0n, insns: jit.maxInsns - Number(err.fuel) };
      }
      if (err instanceof WebAssembly.RuntimeError) throw this.trapError(err);
      throw err;
    } finally {
      jit.running = false;
    }
  }

  /** A wasm trap as the interpreter reports the fault: located at its pc through the code-offset map. */
  private trapError(err: WebAssembly.RuntimeError): RuntimeError {
    const m = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(String(err.stack));
    const pc = m ? pcAt(this.compiled.pcMap, parseInt(m[1], 16)) : undefined;
    const row = pc === undefined ? null : this.compiled.cfg.rows[pc];
    if (pc !== undefined && row && /out of bounds/.test(err.message)) {
      const format = row.format;
      if (['ldx', 'st', 'stx', 'atomic', 'ldabs', 'ldind'].includes(format)) {
        const size = sizeBytes(bpfSize(this.insns[pc].code));
        const write = format === 'st' || format === 'stx' || format === 'atomic';
        const bytes = this.jit.space.memory.buffer.byteLength;
        return new RuntimeError(`invalid ${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} (outside the memory of ${bytes} bytes)`, { pc, size, cause: err });
      }
    }
    return new RuntimeError(`wasm trap: ${err.message}`, { pc, cause: err });
  }
}

/** Names and comments for the WAT of a compiled program. */
function watOf(compiled: CompiledProgram, insns: readonly Insn[], helperName: (id: number) => string | undefined): string {
  const funcs = ['fault'];
  if (compiled.usesPacket) funcs.push('abort');
  if (compiled.usesCallx) funcs.push('callx');
  for (const id of compiled.helperIds) funcs.push(helperName(id) ?? `helper_${id}`);
  for (const i of compiled.intrinsics) for (const imp of i.imports) funcs.push(imp.name);
  compiled.functions.forEach((f, k) => funcs.push(k === 0 ? 'main' : `sub_${f.entry}`));
  funcs.push('left');
  const r = (k: number) => `r${k}`;
  const temps = ['fuel', 'tmp_a', 'tmp_b', 'loops', 't32', 'fp', 'label', 'ea'];
  const mainLocals = [r(1), r(2), r(3), r(4), r(5), 'budget', 'pkt_data', 'pkt_len', r(0), r(6), r(7), r(8), r(9), r(10), ...temps];
  const subLocals = [...Array.from({ length: 10 }, (_, k) => r(k)), 'depth', 'fuel', r(10), ...temps.slice(1)];
  const lines = disassemble(insns, { indexes: true, helperName }).split('\n');
  const byPc = new Map<number, string>();
  let li = 0;
  compiled.cfg.rows.forEach((row, pc) => {
    if (row) byPc.set(pc, lines[li++].replace(/^\d+: /, ''));
  });
  const comments = new Map<number, string[]>();
  const map = compiled.pcMap;
  for (let k = 0; k < map.length; k += 2) {
    const list = comments.get(map[k]) ?? [];
    list.push(`${map[k + 1]}: ${byPc.get(map[k + 1])}`);
    comments.set(map[k], list);
  }
  const names: WatNames = {
    funcs,
    globals: ['frameTop', 'stackStart', 'stackSize', 'fuel', 'pktData', 'pktLen'],
    locals: compiled.functions.map((_, k) => (k === 0 ? mainLocals : subLocals)),
    comments,
  };
  return printWat(compiled.bytes, names);
}

export interface JitToWatOptions {
  /** The helper table whose names and intrinsics apply (default: the base helpers). */
  helpers?: HelperTable;
  /** Compile for a shared memory. */
  shared?: boolean;
}

/** The WebAssembly text the JIT makes of a program, for `disasm --jited` and golden tests. */
export function jitToWat(insns: readonly Insn[], options: JitToWatOptions = {}): string {
  const helpers = options.helpers ?? createHelperTable();
  const intrinsic = (id: number) => {
    const fn = helpers.get(id)?.fn;
    return BASE_INTRINSICS.find((i) => i.id === id && i.fn === fn);
  };
  const compiled = compileProgram(insns, { shared: options.shared ?? false, intrinsic });
  return watOf(compiled, insns, (id) => helpers.name(id));
}
