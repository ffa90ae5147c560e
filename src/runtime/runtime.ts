/**
 * A `Runtime`: one address space, one map registry, one helper table and
 * one engine (the interpreter or the JIT) shared by every program loaded
 * into it, as one kernel is shared by the programs of a system. Its clock
 * is virtual: time moves when the caller advances it (`runtime.clock`),
 * so runs are reproducible and bpf_timers fire when a test says so.
 */
import { AddressSpace } from '../memory/index.js';
import { MapRegistry } from '../maps/index.js';
import {
  VirtualClock, contextHelpers, createHelperTable, tailCallHelpers, timerHelpers, type HelperDef, type HelperHost, type HelperTable,
} from '../helpers/index.js';
import { mapHelpers } from '../helpers/maps.js';
import { stackidHelpers } from '../helpers/stackid.js';
import { PacketRuns, packetHelpers } from '../helpers/packet.js';
import type { Insn } from '../isa/index.js';
import { Vm } from '../vm/index.js';
import { Jit } from '../jit/index.js';

export type LocalEngine = 'interp' | 'jit';

export interface RuntimeOptions {
  /** 'interp' (default) or 'jit'. */
  engine?: LocalEngine;
  /** CPUs of the runtime: per-CPU maps keep this many slots (default 1). */
  nrCpus?: number;
  /** Randomness, CPU, current task, trace output for the helpers (the clock is `clock`). */
  host?: Omit<HelperHost, 'clock'>;
  /** The clock of bpf_ktime_get_*_ns and the timers (default: a VirtualClock at 0). */
  clock?: VirtualClock;
  /** Interpreter's checked mode (default true). */
  checked?: boolean;
  /** Instruction budget of one run. */
  maxInsns?: number;
  /** Helpers added to (or replacing) the runtime's table. */
  helpers?: Iterable<HelperDef>;
}

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
  private readonly vm: Vm | undefined;
  private readonly jit: Jit | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.engine = options.engine ?? 'interp';
    this.space = new AddressSpace();
    this.registry = new MapRegistry(this.space, { nrCpus: options.nrCpus ?? 1 });
    this.clock = options.clock ?? new VirtualClock();
    const r = this.registry;
    this.helpers = createHelperTable([
      ...contextHelpers(), ...mapHelpers(r), ...tailCallHelpers(r), ...timerHelpers(this.clock, r), ...packetHelpers(this.packets),
      ...stackidHelpers(r),
      ...(options.helpers ?? []),
    ]);
    const host: HelperHost = { ...options.host, clock: this.clock };
    if (this.engine === 'jit') {
      this.jit = new Jit(this.space, { helpers: this.helpers, host, maxInsns: options.maxInsns });
    } else {
      this.vm = new Vm(this.space, { helpers: this.helpers, host, checked: options.checked ?? true, maxInsns: options.maxInsns });
    }
  }

  /** Prepare instructions (linked, relocated to this runtime's addresses) on the engine. */
  prepare(insns: readonly Insn[]): EngineProgram {
    return this.jit ? this.jit.load(insns) : this.vm!.load(insns);
  }

  /** Prepare several programs at once: the JIT compiles the ones it has not seen into one module. */
  prepareAll(list: readonly (readonly Insn[])[]): EngineProgram[] {
    return this.jit ? this.jit.loadAll(list) : list.map((insns) => this.vm!.load(insns));
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
