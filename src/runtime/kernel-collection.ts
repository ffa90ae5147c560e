/**
 * The kernel path of a Collection: the same CollectionSpec loaded into Linux
 * through bpf(2), as libbpf loads an object — the object's BTF, each map
 * created with the same attributes and initial values (and the BTF of its
 * key and value, which spin locks need), map references rewritten to
 * descriptors (BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE), func_info and
 * line_info with the programs, then the initial slots of prog arrays and
 * maps of maps. CO-RE relocates against the running kernel's BTF.
 */
import { readFileSync } from 'node:fs';
import { marshalBtf, marshalFuncInfo, marshalLineInfo, parseBtf, typeByName, type Btf } from '../btf/index.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../elf/index.js';
import {
  ATTR, KernelError, createMap, loadBtf, loadProgram, openKernel, type Kernel, type KernelBtf, type KernelMap, type KernelProgram,
} from '../kernel/index.js';
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, BPF_PROG_TYPE } from '../platform/index.js';
import { CollectionError } from './errors.js';
import { resolveKconfig, type KconfigOptions } from './kconfig.js';
import { kernelKconfig } from './kconfig-host.js';
import {
  fillSlots, initialValue, mapAttrs, objectName, relocateCore, relocateProgram, selectPrograms,
  type LiveMap, type LiveProgram, type LoadedCollection,
} from './collection.js';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../isa/index.js';
import { VerifierError } from '../internal/errors.js';
import { parseVerifierLog, type KernelVerdict } from '../kernel/index.js';
import type { TestRunOptions, TestRunResult } from './test-run.js';

export interface KernelCollectionOptions extends KconfigOptions {
  kernel?: Kernel;
  /** Load only these programs (and those prog arrays name), not every program of the object. */
  programs?: readonly string[];
  /** The BTF CO-RE relocations resolve against (default: /sys/kernel/btf/vmlinux). */
  coreTarget?: Btf;
  /** The verifier log each program is loaded with (default 0: a log only when the kernel rejects one). */
  logLevel?: number;
}

const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';
/** BTF_VAR_GLOBAL_ALLOCATED and BTF_VAR_GLOBAL_EXTERN. */
const VAR_GLOBAL = 1;
const VAR_EXTERN = 2;

/** Map types libbpf creates without key/value BTF (the kernel refuses it for them). */
const NO_BTF_TYPES = new Set<number>([
  BPF_MAP_TYPE.PERF_EVENT_ARRAY, BPF_MAP_TYPE.CGROUP_ARRAY, BPF_MAP_TYPE.STACK_TRACE, BPF_MAP_TYPE.ARRAY_OF_MAPS,
  BPF_MAP_TYPE.HASH_OF_MAPS, BPF_MAP_TYPE.DEVMAP, BPF_MAP_TYPE.DEVMAP_HASH, BPF_MAP_TYPE.CPUMAP, BPF_MAP_TYPE.XSKMAP,
  BPF_MAP_TYPE.SOCKMAP, BPF_MAP_TYPE.SOCKHASH, BPF_MAP_TYPE.QUEUE, BPF_MAP_TYPE.STACK,
]);

/** The object's BTF as the kernel takes it: extern variables (.kconfig) become allocated globals, as libbpf makes them. */
function sanitizeBtf(btf: Btf): Btf {
  return { types: btf.types.map((t) => (t.kind === 'var' && t.linkage === VAR_EXTERN ? { ...t, linkage: VAR_GLOBAL } : t)) };
}

/** A kernel map behind the collection's map API. */
class KernelLiveMap implements LiveMap {
  constructor(readonly map: KernelMap, readonly name: string) {}
  get type() { return this.map.type; }
  get keySize() { return this.map.keySize; }
  get valueSize() { return this.map.valueSize; }
  get maxEntries() { return this.map.maxEntries; }
  get flags() { return this.map.flags; }
  get valueBytes() { return this.map.valueBytes; }
  lookup(key?: Uint8Array): Uint8Array | undefined {
    return this.map.lookup(key ?? new Uint8Array());
  }
  update(key: Uint8Array | undefined, value: Uint8Array, flags?: number): void {
    this.map.update(key, value, flags);
  }
  delete(key: Uint8Array): void {
    this.map.delete(key);
  }
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    return this.map.getNextKey(key);
  }
  lookupAndDelete(key?: Uint8Array): Uint8Array | undefined {
    return this.map.lookupAndDelete(key);
  }
}

/** The types whose test run writes a context back to ctx_out (the others refuse a ctx_out). */
const CTX_OUT_TYPES = new Set<number>([
  BPF_PROG_TYPE.XDP, BPF_PROG_TYPE.SCHED_CLS, BPF_PROG_TYPE.SCHED_ACT, BPF_PROG_TYPE.SOCKET_FILTER, BPF_PROG_TYPE.CGROUP_SKB,
  BPF_PROG_TYPE.LWT_IN, BPF_PROG_TYPE.LWT_OUT, BPF_PROG_TYPE.LWT_XMIT, BPF_PROG_TYPE.SK_LOOKUP,
]);

class KernelLiveProgram implements LiveProgram {
  readonly name: string;
  constructor(readonly program: KernelProgram, readonly spec: ProgramSpec) {
    this.name = spec.name;
  }

  testRun(options: TestRunOptions = {}): TestRunResult {
    if (this.spec.type === BPF_PROG_TYPE.SYSCALL) return this.syscallRun(options);
    const r = this.program.testRun({
      data: options.data, ctx: options.ctx, repeat: options.repeat, flags: options.flags,
      ...(CTX_OUT_TYPES.has(this.spec.type) ? {} : { ctxSizeOut: 0 }),
    });
    return { retval: r.retval, dataOut: r.dataOut, ctxOut: r.ctxOut, durationNs: r.duration };
  }

  /** A syscall program's test run writes the context back into ctx_in: read it from there. */
  private syscallRun(options: TestRunOptions): TestRunResult {
    const { kernel, fd } = this.program;
    const t = ATTR.test;
    using s = kernel.scratch();
    const ctx = options.ctx?.length ? s.copy(options.ctx) : undefined;
    const attr = kernel.attr(s, t.end)
      .u32(t.progFd, fd.value)
      .u32(t.dataSizeIn, options.data?.length ?? 0)
      .ptr(t.dataIn, options.data?.length ? s.copy(options.data) : undefined)
      .u32(t.repeat, options.repeat ?? 0)
      .u32(t.flags, options.flags ?? 0)
      .u32(t.ctxSizeIn, options.ctx?.length ?? 0)
      .ptr(t.ctxIn, ctx);
    const ret = kernel.tryBpf('PROG_TEST_RUN', attr);
    if (ret < 0) throw new KernelError('BPF_PROG_TEST_RUN', -ret, fd.what);
    return { retval: attr.getU32(t.retval), dataOut: new Uint8Array(), ctxOut: ctx ? ctx.bytes.slice() : new Uint8Array(), durationNs: attr.getU32(t.duration) };
  }
}

/**
 * Where a tracing or LSM program attaches, as libbpf finds it in the
 * kernel's BTF: the function it traces, the btf_trace_<tp> typedef of a
 * BTF tracepoint, bpf_iter_<target>, bpf_lsm_<hook>. Undefined for the
 * types that need no attach_btf_id.
 */
function attachBtfId(p: ProgramSpec, vmlinux: () => Btf): number | undefined {
  if (p.type !== BPF_PROG_TYPE.TRACING && p.type !== BPF_PROG_TYPE.LSM) return undefined;
  const A = BPF_ATTACH_TYPE;
  const target: Record<number, [string, 'func' | 'typedef']> = {
    [A.TRACE_FENTRY]: [p.attachTo, 'func'], [A.TRACE_FEXIT]: [p.attachTo, 'func'], [A.MODIFY_RETURN]: [p.attachTo, 'func'],
    [A.TRACE_RAW_TP]: [`btf_trace_${p.attachTo}`, 'typedef'], [A.TRACE_ITER]: [`bpf_iter_${p.attachTo}`, 'func'],
    [A.LSM_MAC]: [`bpf_lsm_${p.attachTo}`, 'func'], [A.LSM_CGROUP]: [`bpf_lsm_${p.attachTo}`, 'func'],
  };
  const want = target[p.expectedAttachType];
  if (!want) throw new CollectionError(`program ${p.name}`, `section ${p.sectionName} attaches to something this loader cannot find in the kernel's BTF`);
  const id = typeByName(vmlinux(), want[0], want[1]);
  if (id === undefined) throw new CollectionError(`program ${p.name}`, `the kernel's BTF has no ${want[1]} ${want[0]} to attach to`);
  return id;
}

function vmlinuxBtf(): Btf {
  try {
    return parseBtf(readFileSync(VMLINUX_BTF)).btf;
  } catch (err) {
    throw new CollectionError('CO-RE', `cannot read the kernel's BTF at ${VMLINUX_BTF}: ${(err as Error).message}`, { cause: err });
  }
}

export class KernelCollection implements LoadedCollection {
  private constructor(
    readonly spec: CollectionSpec,
    readonly maps: Readonly<Record<string, LiveMap>>,
    readonly programs: Readonly<Record<string, LiveProgram>>,
    private readonly owned: { close(): void }[],
  ) {}

  static load(input: CollectionSpec, options: KernelCollectionOptions = {}): KernelCollection {
    const kernel = options.kernel ?? openKernel();
    const owned: { close(): void }[] = [];
    try {
      let kernelBtf: Btf | undefined;
      const vmlinux = () => (kernelBtf ??= vmlinuxBtf());
      const selected = { ...input, programs: selectPrograms(input, options.programs) };
      const needsCore = selected.programs.some((p) => p.coreRelos.length);
      const spec = resolveKconfig(relocateCore(selected, needsCore ? options.coreTarget ?? vmlinux() : undefined), kernelKconfig(kernel, options));
      const lines = spec.programs.flatMap((p) => p.lineInfo.flatMap((l) => [l.fileName, l.line]));
      const marshalled = spec.btf ? marshalBtf(sanitizeBtf(spec.btf), 'le', lines) : undefined;
      let btf: KernelBtf | undefined;
      if (marshalled) {
        btf = loadBtf(kernel, marshalled.bytes);
        owned.push(btf);
      }
      const byIndex = spec.maps.map((m) => {
        const map = createKernelMap(kernel, m, btf);
        owned.push(map);
        return map;
      });
      const maps: Record<string, LiveMap> = {};
      spec.maps.forEach((m, i) => { maps[m.name] = new KernelLiveMap(byIndex[i], m.name); });
      const fdOf = (index: number): number => {
        const map = byIndex[index];
        if (!map) throw new CollectionError('relocation', `no map ${index}`);
        return map.fd.value;
      };
      const programs: Record<string, LiveProgram> = {};
      const progs = new Map<string, KernelProgram>();
      for (const p of spec.programs) {
        const insns = relocateProgram(p, {
          pointer: (index) => ({ src: BPF_PSEUDO_MAP_FD, imm: fdOf(index), high: 0 }),
          value: (index, offset) => ({ src: BPF_PSEUDO_MAP_VALUE, imm: fdOf(index), high: offset }),
        }, true);
        const withBtf = btf && marshalled && p.funcInfo.length;
        const attachBtf = attachBtfId(p, vmlinux);
        const prog = loadProgram(kernel, {
          ...(attachBtf === undefined ? {} : { attachBtfId: attachBtf }),
          type: p.type, insns, license: p.license, expectedAttachType: p.expectedAttachType, name: objectName(p.name),
          flags: p.flags, kernVersion: p.kernelVersion, logLevel: options.logLevel,
          ...(withBtf ? {
            btfFd: btf!.fd.value,
            funcInfo: { recSize: 8, count: p.funcInfo.length, bytes: marshalFuncInfo(p.funcInfo) },
            ...(p.lineInfo.length ? {
              lineInfo: { recSize: 16, count: p.lineInfo.length, bytes: marshalLineInfo(p.lineInfo, (s) => marshalled!.strings.offsetOf(s) ?? 0) },
            } : {}),
          } : {}),
        });
        owned.push(prog);
        progs.set(p.name, prog);
        programs[p.name] = new KernelLiveProgram(prog, p);
      }
      fillSlots(spec, (name) => maps[name], (name) => progs.get(name)?.fd.value, (name) => {
        const i = spec.maps.findIndex((m) => m.name === name);
        return i < 0 ? undefined : byIndex[i].fd.value;
      });
      return new KernelCollection(spec, maps, programs, owned);
    } catch (err) {
      for (const o of owned.reverse()) o.close();
      throw err;
    }
  }

  dispose(): void {
    for (const o of this.owned.reverse()) o.close();
    this.owned.length = 0;
  }
}

function createKernelMap(kernel: Kernel, m: MapSpec, btf: KernelBtf | undefined): KernelMap {
  const withBtf = btf && m.btfValueTypeId && m.origin !== 'legacy' && !NO_BTF_TYPES.has(m.type);
  const attrs = (s: MapSpec, inner?: number) => ({
    type: s.type, keySize: s.keySize, valueSize: s.valueSize, ...mapAttrs(s, kernel.possibleCpus()), flags: s.flags,
    name: objectName(s.name), numaNode: s.numaNode, mapExtra: BigInt(s.mapExtra), innerMapFd: inner,
  });
  try {
    const template = m.innerMap ? createMap(kernel, attrs(m.innerMap)) : undefined;
    try {
      const map = createMap(kernel, {
        ...attrs(m, template?.fd.value),
        ...(withBtf ? { btfFd: btf.fd.value, btfKeyTypeId: m.btfKeyTypeId, btfValueTypeId: m.btfValueTypeId } : {}),
      });
      const value = initialValue(m);
      if (value) map.update(new Uint8Array(4), value);
      if (m.frozen) map.freeze();
      return map;
    } finally {
      template?.close();
    }
  } catch (err) {
    throw new CollectionError(`map ${m.name}`, (err as Error).message, { cause: err });
  }
}

/**
 * The kernel's verdict on one program of `spec`, loaded as loadCollection
 * loads it on the kernel (its maps, and the programs its prog arrays name),
 * in the shape of our verifier's result. A failure before verification
 * (no attach target, no privilege…) is thrown as it comes (KernelError,
 * CollectionError).
 */
export function verifyProgramOnKernel(spec: CollectionSpec, name: string, options: KernelCollectionOptions = {}): KernelVerdict {
  const logLevel = options.logLevel ?? 1;
  let collection: KernelCollection;
  try {
    collection = KernelCollection.load(spec, { ...options, logLevel, programs: [name] });
  } catch (err) {
    if (!(err instanceof VerifierError)) throw err;
    return { accepted: false, processedInsns: parseVerifierLog(err.log).processedInsns ?? 0, error: { insn: err.insn ?? null, message: err.summary }, log: err.log };
  }
  try {
    const prog = (collection.programs[name] as KernelLiveProgram).program;
    return { accepted: true, processedInsns: parseVerifierLog(prog.log).processedInsns ?? prog.info().verifiedInsns, error: null, log: prog.log };
  } finally {
    collection.dispose();
  }
}
