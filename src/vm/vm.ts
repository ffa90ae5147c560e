/**
 * The reference interpreter's public face: a Vm owns its call stacks in an
 * address space and runs programs prepared for it.
 */
import { EbpfError } from '../internal/errors.js';
import { u64FromHalves } from '../internal/bytes.js';
import type { Insn } from '../isa/index.js';
import type { AddressSpace, Region } from '../memory/index.js';
import {
  DEFAULT_MAX_INSNS, RuntimeError, createHelperContext, createHelperTable, releaseHeldLocks, type DeferredCallback, type EngineHooks, type HelperContext,
  type HelperHost, type HelperTable, type PacketContext,
} from '../helpers/index.js';
import { Machine } from './machine.js';
import { prepareProgram, type PreparedProgram } from './prepare.js';
import { traceRun } from './trace.js';

export interface VmOptions {
  /** The helper table (default: the base helpers). */
  helpers?: HelperTable;
  /**
   * Checked mode (the default): every load and store must lie inside one
   * region of the address space (stores: a writable one) and r10 is
   * read-only. Unchecked: any access inside the memory is allowed, as for
   * JIT-compiled code inside the wasm sandbox.
   */
  checked?: boolean;
  /** Instruction budget of one run (default 100 million). */
  maxInsns?: number;
  /** Receives one line per executed instruction: `pc: insn ; registers written`. */
  trace?: (line: string) => void;
  /** Clocks, randomness, CPU number and trace_printk output for the helpers. */
  host?: HelperHost;
}

export interface RunOptions {
  r1?: bigint;
  r2?: bigint;
  r3?: bigint;
  r4?: bigint;
  r5?: bigint;
  /** The packet LD_ABS/LD_IND read. */
  packet?: PacketContext;
  /** What bpf_get_func_ip returns in this run (default 0). */
  funcIp?: bigint;
  /** What bpf_get_attach_cookie returns in this run (default 0). */
  attachCookie?: bigint;
}

export interface RunResult {
  /** r0 at exit, unsigned. */
  r0: bigint;
  /** Instructions executed (an lddw counts once). */
  insns: number;
}

export { DEFAULT_MAX_INSNS };

export class Vm {
  readonly space: AddressSpace;
  readonly checked: boolean;
  readonly maxInsns: number;
  readonly helpers: HelperTable;
  readonly context: HelperContext;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly machine: Machine;
  private running = false;

  constructor(space: AddressSpace, options: VmOptions = {}) {
    const maxInsns = options.maxInsns ?? DEFAULT_MAX_INSNS;
    if (!Number.isSafeInteger(maxInsns) || maxInsns < 1) {
      throw new EbpfError('EINVAL', `maxInsns must be a positive integer, got ${maxInsns}`);
    }
    this.space = space;
    this.checked = options.checked ?? true;
    this.maxInsns = maxInsns;
    this.helpers = options.helpers ?? createHelperTable();
    this.context = createHelperContext(space, { ...options.host, checked: this.checked }, this.hooks());
    this.trace = options.trace;
    this.machine = new Machine(space, this.checked, this.helpers, this.context);
  }

  /**
   * Validate and predecode a program. Throws InstructionError naming the instruction.
   * `probe`: the indexes of its BPF_PROBE_MEM loads (from the verifier), which read 0 where they fault.
   */
  load(insns: readonly Insn[], probe?: readonly number[]): VmProgram {
    return new VmProgram(this, prepareProgram(insns, this.checked, probe));
  }

  /** The region holding the call stacks (frames separated by guard bytes). */
  get stackRegion(): Region {
    return this.machine.stack;
  }

  /** The lowest address of frame k's MAX_BPF_STACK bytes of stack; r10 points just past them. */
  frameStart(k: number): number {
    return this.machine.frameStart(k);
  }

  /** Give the call stacks back to the address space. */
  dispose(): void {
    this.space.release(this.machine.stack);
  }

  /** The engine hooks helpers call: callbacks, tail calls and the call chain act on the running machine. */
  private hooks(): EngineHooks {
    const running = (what: string) => {
      if (!this.running) throw new RuntimeError(`${what}: no program is running on this Vm`);
      return this.machine;
    };
    return {
      callback: (pc, r1, r2, r3, r4, r5) => {
        const m = running('callback');
        return m.callback(m.prog!, pc, [r1, r2, r3, r4, r5]);
      },
      deferredCallback: (pc) => this.deferred(running('callback').prog!, pc),
      tailCall: (target) => running('tail call').tailCall(target),
      callChain: () => running('call chain').callChain(),
      packetMoved: (packet) => {
        if (this.running && this.machine.packet) this.machine.packet = { data: packet.data, dataEnd: packet.dataEnd };
      },
    };
  }

  /** A callback kept past its run (timers): called while a run is under way it nests in it, otherwise it is a run of its own. */
  private deferred(prog: PreparedProgram, pc: bigint): DeferredCallback {
    return {
      call: (r1, r2, r3, r4, r5) => {
        const args = [r1, r2, r3, r4, r5];
        if (this.running) return this.machine.callback(prog, pc, args);
        if (pc < 0n || pc >= BigInt(prog.insns.length) || prog.rows[Number(pc)] === null) {
          throw new RuntimeError(`callback at ${pc}: not an instruction of the program (0 to ${prog.insns.length - 1})`);
        }
        return this.execute(prog, { r1, r2, r3, r4, r5 }, Number(pc)).r0;
      },
    };
  }

  /** @internal VmProgram.run; `start` is where a deferred callback begins. */
  execute(prog: PreparedProgram, options: RunOptions, start = 0): RunResult {
    if (this.running) throw new RuntimeError('this Vm is already running a program; runs do not nest');
    const { packet } = options;
    if (packet && !(Number.isInteger(packet.data) && Number.isInteger(packet.dataEnd) && packet.data >= 0 && packet.data <= packet.dataEnd && packet.dataEnd <= 2 ** 32)) {
      throw new EbpfError('EINVAL', `packet: data (${packet.data}) and dataEnd (${packet.dataEnd}) must be addresses below 2^32 with data <= dataEnd`);
    }
    const args = [options.r1 ?? 0n, options.r2 ?? 0n, options.r3 ?? 0n, options.r4 ?? 0n, options.r5 ?? 0n];
    args.forEach((v, k) => {
      if (typeof v !== 'bigint') throw new EbpfError('EINVAL', `r${k + 1} must be a bigint, got ${typeof v}`);
    });
    for (const [name, v] of [['funcIp', options.funcIp], ['attachCookie', options.attachCookie]] as const) {
      if (v !== undefined && typeof v !== 'bigint') throw new EbpfError('EINVAL', `${name} must be a bigint, got ${typeof v}`);
    }
    this.context.run.funcIp = BigInt.asUintN(64, options.funcIp ?? 0n);
    this.context.run.attachCookie = BigInt.asUintN(64, options.attachCookie ?? 0n);
    const m = this.machine;
    this.running = true;
    try {
      m.reset(prog, args, packet, this.maxInsns, start);
      const exited = this.trace ? traceRun(m, this.maxInsns, this.trace, this.helpers) : m.exec(this.maxInsns);
      if (!exited) throw new RuntimeError(`instruction budget of ${this.maxInsns} exhausted (option maxInsns)`, { pc: m.pc });
      const held = releaseHeldLocks(this.context);
      if (held.length) throw new RuntimeError(`the program exited holding the bpf_spin_lock at 0x${held[0].toString(16)} (released)`, { pc: m.pc });
      return { r0: u64FromHalves(m.R[0], m.R[1]), insns: m.count };
    } finally {
      releaseHeldLocks(this.context);
      this.running = false;
    }
  }
}

export class VmProgram {
  constructor(readonly vm: Vm, readonly prepared: PreparedProgram) {}

  get insns(): readonly Insn[] {
    return this.prepared.insns;
  }

  run(options: RunOptions = {}): RunResult {
    return this.vm.execute(this.prepared, options);
  }
}
