/**
 * `Kernel`: one handle on the running kernel's BPF subsystem. It owns the
 * `Syscalls` (the only way out to the kernel) and makes every bpf(2) call;
 * maps, programs, BTF and links made through it keep a reference to it.
 * Create as many as you like: it holds no state besides what it is given.
 */
import { readFileSync } from 'node:fs';
import { EbpfError } from '../internal/errors.js';
import { Attr, BPF_CMD, type BpfCommandName } from './attr.js';
import { KernelError } from './errors.js';
import { libcSyscalls, Scratch, type Syscalls } from './sys.js';

export interface KernelOptions {
  /** The syscalls to use; the real ones (libc through koffi) by default. */
  sys?: Syscalls;
  /** Where bpffs, tracefs and sysfs live (tests point them elsewhere). */
  paths?: Partial<KernelPaths>;
}

export interface KernelPaths {
  /** The list of possible CPUs, `0-3` (per-CPU map values have one slot per possible CPU). */
  possibleCpus: string;
  /** tracefs, for tracepoint ids. */
  tracefs: string[];
  /** The PMUs of perf_event_open (`kprobe`, `uprobe`). */
  eventSources: string;
}

const DEFAULT_PATHS: KernelPaths = {
  possibleCpus: '/sys/devices/system/cpu/possible',
  tracefs: ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'],
  eventSources: '/sys/bus/event_source/devices',
};

/** Parse a CPU list such as `0-3,6,8-9` into its count. */
export function countCpuList(text: string): number {
  let n = 0;
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new EbpfError('ECPULIST', `cannot read CPU list '${text.trim()}'`);
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n;
}

export class Kernel {
  readonly sys: Syscalls;
  readonly paths: KernelPaths;
  private cpus: number | undefined;

  constructor(sys: Syscalls, paths: Partial<KernelPaths> = {}) {
    this.sys = sys;
    this.paths = { ...DEFAULT_PATHS, ...paths };
  }

  /** The real kernel (or the given syscalls). Throws KernelUnavailableError with the reason. */
  static open(options: KernelOptions = {}): Kernel {
    return new Kernel(options.sys ?? libcSyscalls(), options.paths);
  }

  /** A scratch arena for one call's buffers; free it with `using`. */
  scratch(): Scratch {
    return new Scratch(this.sys);
  }

  /** An attr of `size` bytes in `scratch`. */
  attr(scratch: Scratch, size: number): Attr {
    return new Attr(scratch, size);
  }

  /** bpf(cmd, attr, size): the result, or -errno. Every bpf(2) call of the backend goes through here. */
  tryBpf(cmd: BpfCommandName, attr: Attr): number {
    return this.sys.syscall('bpf', [BPF_CMD[cmd], attr.mem.address, attr.size]);
  }

  /** bpf(cmd, attr, size), throwing KernelError (`BPF_MAP_CREATE: EINVAL (22)`) on failure. */
  bpf(cmd: BpfCommandName, attr: Attr, detail?: string): number {
    const ret = this.tryBpf(cmd, attr);
    if (ret < 0) throw new KernelError(`BPF_${cmd}`, -ret, detail);
    return ret;
  }

  /** How many CPUs the kernel may ever bring up (`num_possible_cpus()`). */
  possibleCpus(): number {
    if (this.cpus === undefined) {
      let text: string;
      try {
        text = readFileSync(this.paths.possibleCpus, 'utf8');
      } catch (err) {
        throw new EbpfError('ECPULIST', `cannot read ${this.paths.possibleCpus}: ${(err as Error).message}`);
      }
      this.cpus = countCpuList(text);
    }
    return this.cpus;
  }
}
