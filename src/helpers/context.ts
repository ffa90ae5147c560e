/**
 * What a helper may use besides its arguments: the runtime's address space
 * and the host services (clocks, randomness, the CPU number, the trace
 * output). A context is built per runtime from what the caller passes; there
 * is no module-level state, so two runtimes never share a clock or a sink.
 */
import type { AddressSpace } from '../memory/index.js';
import { memoryFault } from './errors.js';

export interface Clock {
  /** CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns). */
  monotonicNs(): bigint;
  /** CLOCK_BOOTTIME in nanoseconds (bpf_ktime_get_boot_ns): like monotonic, plus time suspended. */
  bootNs(): bigint;
}

/** Host services a runtime hands to its helpers; every field has a default. */
export interface HelperHost {
  clock?: Clock;
  /** A uniformly distributed unsigned 32-bit integer (bpf_get_prandom_u32). */
  random?: () => number;
  /** What bpf_get_smp_processor_id returns. */
  cpu?: number;
  /** The kernel tick rate CONFIG_HZ, for bpf_jiffies64. */
  hz?: number;
  /** Where bpf_trace_printk writes each formatted message (the kernel's trace_pipe). */
  print?: (text: string) => void;
}

export interface HelperContext {
  readonly space: AddressSpace;
  /** Whether memory a helper touches must lie inside one region (the engine's checked mode). */
  readonly checked: boolean;
  readonly clock: Clock;
  readonly random: () => number;
  readonly cpu: number;
  readonly hz: number;
  readonly print: (text: string) => void;
}

/** Kconfig's default tick rate (HZ_250). */
const DEFAULT_HZ = 250;

function performanceClock(): Clock {
  const now = () => BigInt(Math.round(performance.now() * 1e6));
  return { monotonicNs: now, bootNs: now };
}

export function createHelperContext(space: AddressSpace, options: HelperHost & { checked?: boolean } = {}): HelperContext {
  return {
    space,
    checked: options.checked ?? true,
    clock: options.clock ?? performanceClock(),
    random: options.random ?? (() => Math.floor(Math.random() * 0x100000000)),
    cpu: options.cpu ?? 0,
    hz: options.hz ?? DEFAULT_HZ,
    print: options.print ?? (() => undefined),
  };
}

/**
 * The offset of `size` bytes at `addr` that a helper is about to read or
 * write, after the same check the engine makes for the program's own
 * accesses: inside one region (writable for a write) in checked mode, inside
 * the memory otherwise. Throws the RuntimeError the engine reports.
 */
export function helperAccess(ctx: HelperContext, addr: bigint, size: number, write: boolean): number {
  if (addr < 0n || addr + BigInt(size) > 0x100000000n) throw memoryFault(write, addr, size, 'address above 4 GiB');
  const offset = Number(addr);
  if (ctx.checked) {
    const region = ctx.space.find(offset, size);
    if (!region) throw memoryFault(write, addr, size, 'no region');
    if (write && !region.writable) throw memoryFault(write, addr, size, `region ${region.name} is read-only`);
  } else if (offset + size > ctx.space.memory.buffer.byteLength) {
    throw memoryFault(write, addr, size, `outside the memory of ${ctx.space.memory.buffer.byteLength} bytes`);
  }
  return offset;
}
