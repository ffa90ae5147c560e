/**
 * A `Runtime`: one address space, one map registry, one helper table and
 * one engine (the interpreter or the JIT) shared by every program loaded
 * into it, as one kernel is shared by the programs of a system. Its clock
 * is virtual: time moves when the caller advances it (`runtime.clock`),
 * so runs are reproducible and bpf_timers fire when a test says so.
 *
 * Raw instructions enter through `load`, which verifies them first, as
 * BPF_PROG_LOAD does; `verify: false` is the explicit way around it.
 */
import { AddressSpace } from '../memory/index.js';
import { ArrayMap, MapRegistry, type BpfMap } from '../maps/index.js';
import {
  VirtualClock, contextHelpers, createHelperTable, tailCallHelpers, timerHelpers, type HelperDef, type HelperHost, type HelperTable,
} from '../helpers/index.js';
import { mapHelpers } from '../helpers/maps.js';
import { stackidHelpers } from '../helpers/stackid.js';
import { PacketRuns, packetHelpers } from '../helpers/packet.js';
import { skbResizeHelpers } from '../helpers/skb.js';
import { tunnelHelpers } from '../helpers/tunnel.js';
import { SocketTable, socketHelpers, type SocketSpec } from '../helpers/sock.js';
import { cgroupArrayHelpers } from '../helpers/cgroup-array.js';
import { CgroupStorageRuns, localStorageHelpers } from '../helpers/local-storage.js';
import { skStorageHelpers } from '../helpers/sk-storage.js';
import { syncookieHelpers } from '../helpers/syncookie.js';
import {
  BPF_DW, BPF_IMM, BPF_LD, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, type Insn,
} from '../isa/index.js';
import { probeLoads, verifyOrThrow, type SourceLine } from '../verifier/index.js';
import { CollectionError } from './errors.js';
import { Vm } from '../vm/index.js';
import { Jit } from '../jit/index.js';

export type LocalEngine = 'interp' | 'jit';

/** The engine a runtime, a collection and the CLI use unless told otherwise: the JIT passes everything the interpreter does. */
export const DEFAULT_ENGINE: LocalEngine = 'jit';

export interface RuntimeOptions {
  /** 'jit' (DEFAULT_ENGINE) or 'interp'. */
  engine?: LocalEngine;
  /** CPUs of the runtime: per-CPU maps keep this many slots (default 1). */
  nrCpus?: number;
  /** Randomness, CPU, current task, trace output for the helpers (the clock is `clock`). */
  host?: Omit<HelperHost, 'clock'>;
  /** The clock of bpf_ktime_get_*_ns and the timers (default: a VirtualClock at 0). */
  clock?: VirtualClock;
  /** Interpreter's checked mode (default true). */
  checked?: boolean;
  /**
   * Instruction budget of one run: a guard against a program that never ends. The interpreter
   * counts it for every program; the JIT only for unverified ones (`verify: false`), since the
   * verifier proves that a program terminates and the kernel has no such budget either.
   */
  maxInsns?: number;
  /** Helpers added to (or replacing) the runtime's table. */
  helpers?: Iterable<HelperDef>;
  /**
   * The sockets of the test world that bpf_sk_lookup_tcp/udp and
   * bpf_skc_lookup_tcp find (more with `runtime.sockets.add`); a bad
   * description throws SocketSpecError.
   */
  sockets?: Iterable<SocketSpec>;
}

/** How `Runtime.load` takes raw instructions. */
export interface LoadOptions {
  /** The program type the verifier checks the program as (`xdp`, `BPF_PROG_TYPE_XDP`, 6); default socket_filter. */
  type?: string | number;
  /**
   * Maps of this runtime the program refers to: LD_IMM64 with BPF_PSEUDO_MAP_FD or
   * BPF_PSEUDO_MAP_IDX takes the index into this list as imm (as fd_array does),
   * BPF_PSEUDO_MAP_VALUE / _IDX_VALUE the index and an offset into an array's value.
   */
  maps?: readonly BpfMap[];
  /** The program's license: GPL-only helpers need a GPL-compatible one (default "GPL"). */
  license?: string;
  /** BTF line_info, so that a rejection names the C source line. */
  lineInfo?: readonly SourceLine[];
  /**
   * false: skip the verifier. The program then runs unchecked by it — the
   * interpreter's checked mode and the JIT's wasm sandbox still keep it
   * inside the runtime's memory. Default true.
   */
  verify?: boolean;
}

const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

/** A program ready to run on the runtime's engine. */
export interface EngineProgram {
  run(options: { r1?: bigint; packet?: { data: number; dataEnd: number } }): { r0: bigint };
}

export class Runtime {
  readonly space: AddressSpace;
  readonly registry: MapRegistry;
  readonly helpers: HelperTable;
  readonly engine: LocalEngine;
  readonly clock: VirtualClock;
  /** The packet of the test run in progress, for the packet helpers. */
  readonly packets = new PacketRuns();
  /** The sockets the socket helpers find. */
  readonly sockets: SocketTable;
  /** The cgroup storages of the run in progress, for bpf_get_local_storage. */
  readonly cgroupStorages = new CgroupStorageRuns();
  private readonly vm: Vm | undefined;
  private readonly jit: Jit | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.engine = options.engine ?? DEFAULT_ENGINE;
    this.space = new AddressSpace();
    this.registry = new MapRegistry(this.space, { nrCpus: options.nrCpus ?? 1 });
    this.clock = options.clock ?? new VirtualClock();
    const r = this.registry;
    this.sockets = new SocketTable(this.space, options.sockets);
    r.sockets = this.sockets;
    this.sockets.onRelease = (address) => r.socketGone(address);
    this.helpers = createHelperTable([
      ...contextHelpers(), ...mapHelpers(r), ...tailCallHelpers(r), ...timerHelpers(this.clock, r), ...packetHelpers(this.packets),
      ...skbResizeHelpers(this.packets), ...tunnelHelpers(this.packets), ...stackidHelpers(r), ...socketHelpers(this.sockets, this.packets),
      ...cgroupArrayHelpers(r, this.sockets, this.packets), ...localStorageHelpers(r, this.cgroupStorages), ...syncookieHelpers(this.sockets),
      ...skStorageHelpers(r, this.sockets),
      ...(options.helpers ?? []),
    ]);
    const host: HelperHost = { ...options.host, clock: this.clock };
    if (this.engine === 'jit') {
      this.jit = new Jit(this.space, { helpers: this.helpers, host, maxInsns: options.maxInsns });
    } else {
      this.vm = new Vm(this.space, { helpers: this.helpers, host, checked: options.checked ?? true, maxInsns: options.maxInsns });
    }
  }

  /**
   * Verify raw instructions (unless `verify: false`), resolve their map
   * references to this runtime's maps and prepare them on the engine.
   * A rejection throws the verifier's VerifierError: the log, the failing
   * instruction and the explanation in its `summary`.
   */
  load(insns: readonly Insn[], options: LoadOptions = {}): EngineProgram {
    const maps = options.maps ?? [];
    const verified = options.verify ?? true;
    let probe: number[] | undefined;
    if (verified) {
      probe = probeLoads(verifyOrThrow(insns, {
        progType: options.type ?? 'socket_filter', license: options.license ?? 'GPL', lineInfo: options.lineInfo,
        maps: maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name })),
      }));
    }
    return this.prepare(resolveMapRefs(insns, maps), verified, probe);
  }

  /**
   * Prepare instructions that are already verified, linked and relocated to
   * this runtime's addresses (a Collection verifies its programs before it
   * relocates them) on the engine. It does not verify: raw instructions go
   * through `load`. `verified` says whether the verifier passed them (a
   * collection loaded with `verify: false` did not run it): the JIT then
   * runs them without the instruction budget, whose only use is to stop a
   * program that may not terminate.
   */
  prepare(insns: readonly Insn[], verified = false, probe?: readonly number[]): EngineProgram {
    return this.jit ? this.jit.load(insns, { verified }) : this.vm!.load(insns, probe);
  }

  /**
   * Prepare several programs at once: the JIT compiles the ones it has not seen into one module.
   * `probes[k]`: the BPF_PROBE_MEM loads of program k (see `prepare`).
   */
  prepareAll(list: readonly (readonly Insn[])[], verified = false, probes?: readonly (readonly number[])[]): EngineProgram[] {
    return this.jit ? this.jit.loadAll(list, { verified }) : list.map((insns, k) => this.vm!.load(insns, probes?.[k]));
  }

  /** The helper context the engine gives its helpers. */
  get helperContext() {
    return this.jit ? this.jit.context : this.vm!.context;
  }

  dispose(): void {
    this.vm?.dispose();
    this.jit?.dispose();
  }
}

/** LD_IMM64 map references (index into `maps`) as the addresses the engines use. */
function resolveMapRefs(insns: readonly Insn[], maps: readonly BpfMap[]): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  for (let i = 0; i + 1 < out.length; i++) {
    const ins = out[i];
    if (ins.code !== LD_IMM64) continue;
    const next = out[i + 1];
    i++;
    if (ins.src === 0) continue;
    const map = maps[ins.imm];
    if (!map) throw new CollectionError('load', `instruction ${i - 1}: LD_IMM64 refers to map ${ins.imm}, but ${maps.length} maps were given`);
    let address: number;
    switch (ins.src) {
      case BPF_PSEUDO_MAP_FD:
      case BPF_PSEUDO_MAP_IDX:
        address = map.address;
        break;
      case BPF_PSEUDO_MAP_VALUE:
      case BPF_PSEUDO_MAP_IDX_VALUE:
        if (!(map instanceof ArrayMap)) throw new CollectionError('load', `instruction ${i - 1}: map ${ins.imm} has no direct value address (not an array)`);
        address = map.valueAddress(0) + (next.imm >>> 0);
        break;
      default:
        throw new CollectionError('load', `instruction ${i - 1}: LD_IMM64 with source ${ins.src} is not something this loader resolves`);
    }
    out[i - 1] = { ...ins, src: 0, imm: address | 0 };
    out[i] = { ...next, imm: 0 };
  }
  return out;
}
