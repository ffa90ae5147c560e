/**
 * `Collection`: a CollectionSpec made live — its maps created with their
 * initial values, its programs relocated to those maps and prepared on an
 * engine — with one API whatever runs it: our interpreter, our JIT, or the
 * Linux kernel (kernel-collection.ts).
 *
 * Loading, step by step (each step's error names it):
 *   1. maps: each MapSpec created in the registry (an inner map template
 *      first for map-in-map), global data written, .rodata/.kconfig frozen;
 *   2. programs: CO-RE relocations applied (against the object's own BTF
 *      unless a target is given), LD_IMM64 pseudo sources resolved —
 *      BPF_PSEUDO_MAP_IDX to the map's descriptor address,
 *      BPF_PSEUDO_MAP_IDX_VALUE to its value's address plus the offset,
 *      BPF_PSEUDO_FUNC to the subprogram's instruction index — then
 *      prepared on the engine;
 *   3. initial slots: prog_array entries and map-in-map entries.
 */
import type { Btf } from '../btf/index.js';
import { applyCoreRelocations, type CollectionSpec, type MapSpec, type ProgramSpec } from '../elf/index.js';
import { EbpfError } from '../internal/errors.js';
import {
  BPF_DW, BPF_IMM, BPF_LD, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, type Insn,
} from '../isa/index.js';
import { ArrayMap, type BpfMap } from '../maps/index.js';
import { BPF_MAP_TYPE } from '../platform/index.js';
import { ProgramHandle } from '../helpers/index.js';
import { skipModsAndTypedefs } from '../btf/index.js';
import { CollectionError } from './errors.js';
import { localKconfig, resolveKconfig, type KconfigOptions } from './kconfig.js';
import { Runtime, type EngineProgram, type RuntimeOptions } from './runtime.js';
import { probeLoads } from '../verifier/index.js';
import { verifyPrograms } from './verify.js';
import { prepareRun, type TestRunOptions, type TestRunResult } from './test-run.js';

const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

/** The userspace map API every engine's maps share (the bpf(2) map commands). */
export interface LiveMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Bytes of a value as userspace reads it (every CPU's slot for per-CPU maps). */
  readonly valueBytes: number;
  /** BPF_MAP_LOOKUP_ELEM; for queues and stacks, without a key: peek. */
  lookup(key?: Uint8Array): Uint8Array | undefined;
  update(key: Uint8Array | undefined, value: Uint8Array, flags?: number): void;
  delete(key: Uint8Array): void;
  /** BPF_MAP_GET_NEXT_KEY: the first key without one. */
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM; for queues and stacks, without a key: pop. */
  lookupAndDelete(key?: Uint8Array): Uint8Array | undefined;
}

/**
 * Every key of a map in its iteration order, each with its value (undefined
 * when a lookup has none, as for fd arrays). Maps without keys (queue,
 * stack, bloom filter, ring buffer) have no entries to walk: empty.
 */
export function mapEntries(map: LiveMap): [Uint8Array, Uint8Array | undefined][] {
  const out: [Uint8Array, Uint8Array | undefined][] = [];
  if (map.keySize === 0) return out;
  const seen = new Set<string>();
  for (let key = map.nextKey(); key; key = map.nextKey(key)) {
    const id = key.join(',');
    if (seen.has(id)) break;
    seen.add(id);
    let value: Uint8Array | undefined;
    try {
      value = map.lookup(key);
    } catch (err) {
      if (!(err instanceof EbpfError)) throw err;
    }
    out.push([key, value]);
  }
  return out;
}

/** A program of a collection: run it as BPF_PROG_TEST_RUN would. */
export interface LiveProgram {
  readonly name: string;
  readonly spec: ProgramSpec;
  testRun(options?: TestRunOptions): TestRunResult;
}

export interface CollectionOptions extends RuntimeOptions, KconfigOptions {
  /** The BTF CO-RE relocations resolve against (default: the object's own BTF). */
  coreTarget?: Btf;
  /** Load only these programs (and those prog arrays name), not every program of the object. */
  programs?: readonly string[];
  /**
   * false: load the programs without our verifier's verdict (they still run
   * inside the runtime's memory: checked interpreter, wasm sandbox). Default
   * true: a rejection throws its VerifierError, a program type our verifier
   * cannot judge yet an UnsupportedProgramError.
   */
  verify?: boolean;
}

/** A map name the registry and the kernel accept: up to 15 letters, digits, `_` or `.`. */
export function objectName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/** The offset of a `struct bpf_spin_lock` member in a map value, from BTF. */
export function spinLockOffset(btf: Btf | null, valueTypeId: number): number | undefined {
  if (!btf || !valueTypeId) return undefined;
  const value = skipModsAndTypedefs(btf, valueTypeId).type;
  if (value.kind !== 'struct') return undefined;
  for (const m of value.members) {
    const t = skipModsAndTypedefs(btf, m.type).type;
    if (t.kind === 'struct' && t.name === 'bpf_spin_lock') return m.bitOffset / 8;
  }
  return undefined;
}

/** The maps a relocation can point at, by spec index. */
export interface MapTargets {
  /** The value of a map pointer. */
  pointer(index: number): { src: number; imm: number; high: number };
  /** The value of a pointer to byte `offset` of the map's value (global data). */
  value(index: number, offset: number): { src: number; imm: number; high: number };
}

/**
 * Resolve a program's LD_IMM64 pseudo sources. Local engines get absolute
 * values; the kernel gets BPF_PSEUDO_MAP_FD / _VALUE with descriptors, and
 * keeps BPF_PSEUDO_FUNC (`keepFunc`), which it resolves itself.
 */
export function relocateProgram(p: ProgramSpec, targets: MapTargets, keepFunc: boolean): Insn[] {
  const out = p.insns.map((i) => ({ ...i }));
  for (let i = 0; i < out.length; i++) {
    const ins = out[i];
    if (ins.code !== LD_IMM64 || i + 1 >= out.length) continue;
    const next = out[i + 1];
    let r: { src: number; imm: number; high: number } | undefined;
    switch (ins.src) {
      case 0: break;
      case BPF_PSEUDO_MAP_IDX: r = targets.pointer(ins.imm); break;
      case BPF_PSEUDO_MAP_IDX_VALUE: r = targets.value(ins.imm, next.imm); break;
      case BPF_PSEUDO_FUNC:
        if (!keepFunc) r = { src: 0, imm: i + ins.imm + 1, high: 0 };
        break;
      default:
        throw new CollectionError(`program ${p.name}`, `instruction ${i}: LD_IMM64 with source ${ins.src} is not something this loader resolves`);
    }
    if (r) {
      out[i] = { ...ins, src: r.src, imm: r.imm };
      out[i + 1] = { ...next, imm: r.high };
    }
    i++;
  }
  return out;
}

/** Apply CO-RE when a program has relocations. */
export function relocateCore(spec: CollectionSpec, target: Btf | undefined): CollectionSpec {
  if (!spec.programs.some((p) => p.coreRelos.length)) return spec;
  const btf = target ?? spec.btf;
  if (!btf) throw new CollectionError('CO-RE', 'the object has CO-RE relocations but no BTF');
  return applyCoreRelocations(spec, btf).spec;
}

/** The spec of a map, with what the loader fills in (perf event arrays get one slot per CPU). */
export function mapAttrs(m: MapSpec, nrCpus: number): { maxEntries: number } {
  return { maxEntries: m.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY && m.maxEntries === 0 ? nrCpus : m.maxEntries };
}

/** The value a data map starts with: the section's bytes, padded to the value size. */
export function initialValue(m: MapSpec): Uint8Array | undefined {
  if (!m.data) return undefined;
  const v = new Uint8Array(m.valueSize);
  v.set(m.data.subarray(0, m.valueSize));
  return v;
}

/** The programs to load: the ones asked for, and every program a prog array of the object names. */
export function selectPrograms(spec: CollectionSpec, names: readonly string[] | undefined): ProgramSpec[] {
  if (!names) return spec.programs;
  for (const n of names) {
    if (!spec.programs.some((p) => p.name === n)) throw new CollectionError('programs', `the object has no program ${n}`);
  }
  const wanted = new Set(names);
  for (const m of spec.maps) if (m.type === BPF_MAP_TYPE.PROG_ARRAY) for (const s of m.initSlots) wanted.add(s.name);
  return spec.programs.filter((p) => wanted.has(p.name));
}

const u32le = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/** What a loaded collection offers, whichever engine runs it. */
export interface LoadedCollection {
  readonly spec: CollectionSpec;
  readonly maps: Readonly<Record<string, LiveMap>>;
  readonly programs: Readonly<Record<string, LiveProgram>>;
  dispose(): void;
}

/** A collection on our own engines. */
export class Collection implements LoadedCollection {
  readonly runtime: Runtime;
  readonly spec: CollectionSpec;
  readonly maps: Readonly<Record<string, LiveMap>>;
  readonly programs: Readonly<Record<string, LiveProgram>>;
  private readonly ownsRuntime: boolean;

  private constructor(runtime: Runtime, ownsRuntime: boolean, spec: CollectionSpec, maps: Record<string, BpfMap>, programs: Record<string, LiveProgram>) {
    this.runtime = runtime;
    this.ownsRuntime = ownsRuntime;
    this.spec = spec;
    this.maps = maps;
    this.programs = programs;
  }

  /** Load `spec` into `runtime` (default: a new runtime made from the options). */
  static load(input: CollectionSpec, options: CollectionOptions & { runtime?: Runtime } = {}): Collection {
    if (input.byteOrder !== 'le') {
      throw new CollectionError('load', 'the object is big-endian (bpfeb); a runtime\'s memory is little-endian, as x86-64 and arm64 kernels are');
    }
    const runtime = options.runtime ?? new Runtime(options);
    try {
      const spec = resolveKconfig(relocateCore({ ...input, programs: selectPrograms(input, options.programs) }, options.coreTarget), localKconfig(options));
      const verified = options.verify ?? true;
      const results = verified ? verifyPrograms(spec, { kconfig: options.kconfig, kernelRelease: options.kernelRelease, nrCpus: runtime.registry.nrCpus }) : undefined;
      // The BPF_PROBE_MEM loads of each program (reads through kernel struct pointers), which the engines make fault-free.
      const probes = results?.map(probeLoads);
      const byIndex = createMaps(runtime, spec);
      const maps: Record<string, BpfMap> = {};
      spec.maps.forEach((m, i) => { maps[m.name] = byIndex[i]; });
      const targets: MapTargets = {
        pointer(index) {
          const map = byIndex[index];
          if (!map) throw new CollectionError('relocation', `no map ${index}`);
          return { src: 0, imm: map.address | 0, high: 0 };
        },
        value(index, offset) {
          const map = byIndex[index];
          if (!(map instanceof ArrayMap)) throw new CollectionError('relocation', `map ${index} has no direct value address (not an array)`);
          return { src: 0, imm: (map.valueAddress(0) + (offset >>> 0)) | 0, high: 0 };
        },
      };
      const programs: Record<string, LiveProgram> = {};
      const ids = new Map<string, number>();
      const failed = (p: ProgramSpec, err: unknown): never => {
        if (err instanceof CollectionError) throw err;
        throw new CollectionError(`program ${p.name}`, (err as Error).message, { cause: err });
      };
      const relocated = spec.programs.map((p) => {
        try {
          return relocateProgram(p, targets, false);
        } catch (err) {
          return failed(p, err);
        }
      });
      // All at once (the JIT compiles them into one module); after a failure, one by one, to name the program at fault.
      let all: EngineProgram[] | undefined;
      try {
        all = runtime.prepareAll(relocated, verified, probes);
      } catch {
        all = undefined;
      }
      spec.programs.forEach((p, k) => {
        const insns = relocated[k];
        let prepared: EngineProgram;
        try {
          prepared = all?.[k] ?? runtime.prepare(insns, verified, probes?.[k]);
        } catch (err) {
          return failed(p, err);
        }
        ids.set(p.name, runtime.registry.registerProgram(new ProgramHandle(p.name, insns, verified)));
        programs[p.name] = new LocalProgram(runtime, p, prepared, usedMaps(p, byIndex));
      });
      fillSlots(spec, (m) => maps[m], (name) => ids.get(name), (name) => maps[name]?.id);
      return new Collection(runtime, !options.runtime, spec, maps, programs);
    } catch (err) {
      if (!options.runtime) runtime.dispose();
      throw err;
    }
  }

  dispose(): void {
    for (const map of Object.values(this.maps)) (map as BpfMap).close();
    if (this.ownsRuntime) this.runtime.dispose();
  }
}

/** Create every map of the spec in the runtime's registry, in spec order. */
function createMaps(runtime: Runtime, spec: CollectionSpec): BpfMap[] {
  const registry = runtime.registry;
  const attr = (m: MapSpec, inner?: BpfMap) => ({
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, ...mapAttrs(m, registry.nrCpus), flags: m.flags,
    name: objectName(m.name), mapExtra: BigInt(m.mapExtra), innerMap: inner, spinLockOffset: spinLockOffset(spec.btf, m.btfValueTypeId),
    ...(spec.btf && m.origin !== 'legacy' ? { btfKeyTypeId: m.btfKeyTypeId, btfValueTypeId: m.btfValueTypeId } : {}),
  });
  return spec.maps.map((m) => {
    try {
      const template = m.innerMap ? registry.create(attr(m.innerMap)) : undefined;
      const map = registry.create(attr(m, template));
      if (template) template.close();
      const value = initialValue(m);
      if (value) map.update(new Uint8Array(4), value);
      if (m.frozen) map.freeze();
      return map;
    } catch (err) {
      throw new CollectionError(`map ${m.name}`, (err as Error).message, { cause: err });
    }
  });
}

/** Write the initial slots of prog arrays (program ids) and maps of maps (inner map ids). */
export function fillSlots(
  spec: CollectionSpec, mapOf: (name: string) => LiveMap | undefined,
  programId: (name: string) => number | undefined, mapId: (name: string) => number | undefined,
): void {
  for (const m of spec.maps) {
    if (!m.initSlots.length) continue;
    const map = mapOf(m.name)!;
    for (const slot of m.initSlots) {
      const id = m.type === BPF_MAP_TYPE.PROG_ARRAY ? programId(slot.name) : mapId(slot.name);
      if (id === undefined) throw new CollectionError(`map ${m.name}`, `slot ${slot.index} names ${slot.name}, which the collection does not have`);
      try {
        map.update(u32le(slot.index), u32le(id));
      } catch (err) {
        throw new CollectionError(`map ${m.name}`, `slot ${slot.index} (${slot.name}): ${(err as Error).message}`, { cause: err });
      }
    }
  }
}

/** The maps a program's LD_IMM64 instructions name (`used_maps`), in the order they first appear. */
function usedMaps(p: ProgramSpec, byIndex: readonly BpfMap[]): BpfMap[] {
  const used = new Set<BpfMap>();
  p.insns.forEach((ins) => {
    if (ins.code === LD_IMM64 && (ins.src === BPF_PSEUDO_MAP_IDX || ins.src === BPF_PSEUDO_MAP_IDX_VALUE) && byIndex[ins.imm]) used.add(byIndex[ins.imm]);
  });
  return [...used];
}

class LocalProgram implements LiveProgram {
  readonly name: string;

  constructor(private readonly runtime: Runtime, readonly spec: ProgramSpec, private readonly prepared: EngineProgram, private readonly maps: readonly BpfMap[]) {
    this.name = spec.name;
  }

  testRun(options: TestRunOptions = {}): TestRunResult {
    const rt = this.runtime;
    const run = prepareRun({
      program: this.name, type: this.spec.type, attachType: this.spec.expectedAttachType, space: rt.space,
      helpers: rt.helperContext, packets: rt.packets, sockets: rt.sockets, options,
    });
    const effects = rt.helperContext.taskEffects;
    effects.signals.length = 0;
    effects.overrideReturn = undefined;
    rt.packets.current = run.frame;
    // bpf_test_run: fresh cgroup storages for this run, shared by its repetitions and freed after.
    const leaveStorages = rt.cgroupStorages.testRun(this.maps);
    try {
      let r0 = 0n;
      const start = performance.now();
      for (let i = 0; i < run.repeat; i++) {
        run.reset?.();
        r0 = this.prepared.run({ r1: run.r1, packet: run.packet }).r0;
      }
      const durationNs = Math.round(((performance.now() - start) * 1e6) / run.repeat);
      const { dataOut, ctxOut, retval } = run.finish(r0);
      const { signals, overrideReturn } = effects;
      return {
        retval: retval ?? Number(r0 & 0xffffffffn), dataOut, ctxOut, durationNs,
        ...(signals.length ? { signals: signals.slice() } : {}), ...(overrideReturn === undefined ? {} : { overrideReturn }),
      };
    } finally {
      rt.packets.current = undefined;
      leaveStorages();
      run.release();
    }
  }
}
