/**
 * What a helper may use besides its arguments: the runtime's address space
 * and the host services (clocks, randomness, the CPU number, the trace
 * output). A context is built per runtime from what the caller passes; there
 * is no module-level state, so two runtimes never share a clock or a sink.
 */
import type { Insn } from '../isa/index.js';
import type { AddressSpace } from '../memory/index.js';
import { EbpfError } from '../internal/errors.js';
import { RuntimeError, memoryFault } from './errors.js';

export interface Clock {
  /** CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns). */
  monotonicNs(): bigint;
  /** CLOCK_BOOTTIME in nanoseconds (bpf_ktime_get_boot_ns): like monotonic, plus time suspended. */
  bootNs(): bigint;
  /** CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns); default: monotonic rounded down to the last tick. */
  coarseNs?(): bigint;
  /** CLOCK_TAI (bpf_ktime_get_tai_ns); default: the wall clock plus the 37 s TAI is ahead of UTC. */
  taiNs?(): bigint;
}

/** The task a helper sees as `current` (bpf_get_current_*). */
export interface CurrentTask {
  /** The thread id (the kernel's pid). */
  pid: number;
  /** The process id (the kernel's tgid). */
  tgid: number;
  uid: number;
  gid: number;
  /** The task's name, at most TASK_COMM_LEN - 1 = 15 bytes. */
  comm: string;
  /** PF_KTHREAD: a kernel thread, which has no user memory to write nor signals to take; default: pid 0 (the idle tasks are). */
  kernelThread?: boolean;
  /** PF_EXITING: the task is exiting; default false. */
  exiting?: boolean;
}

/** A signal bpf_send_signal or bpf_send_signal_thread sent to the current task. */
export interface SentSignal {
  /** The process (the kernel's tgid) the signal went to. */
  pid: number;
  /** The thread (the kernel's pid) that was current. */
  tid: number;
  sig: number;
  /** bpf_send_signal_thread: to that thread alone (PIDTYPE_PID); else to the whole process (PIDTYPE_TGID). */
  thread: boolean;
}

/**
 * What the helpers that act on the current task did during a run, for the
 * run's result: the signals sent (in order) and the return value a kprobe
 * program put in place of the probed function's (bpf_override_return; the
 * last call's). A test run clears it before it starts.
 */
export interface TaskEffects {
  readonly signals: SentSignal[];
  overrideReturn: bigint | undefined;
}

/**
 * The pid namespace the current task is active in, as
 * bpf_get_ns_current_pid_tgid checks it: the nsfs device and inode that
 * stat(2) of /proc/PID/ns/pid reports, and the task's ids seen from it.
 */
export interface PidNamespace {
  /** st_dev of the namespace file (the nsfs mount's device); default NSFS_DEV. */
  dev?: number;
  /** st_ino of the namespace file; default PROC_PID_INIT_INO, the initial pid namespace. */
  ino?: bigint | number;
  /** The task's thread id seen from the namespace; default the task's pid (what the initial namespace sees). */
  pid?: number;
  /** The task's process id seen from the namespace; default the task's tgid. */
  tgid?: number;
}

/**
 * What a helper asks of the engine that runs the program. Both engines
 * implement these; a context made without an engine refuses them with a
 * RuntimeError naming the hook.
 */
export interface EngineHooks {
  /**
   * Call the subprogram that starts at instruction `pc` of the running
   * program (what an lddw of BPF_PSEUDO_FUNC holds once the runtime has
   * resolved it) with r1–r5 on a new frame, counting toward the
   * MAX_CALL_FRAMES limit; returns its r0.
   */
  callback(pc: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
  /** The subprogram at `pc` of the running program, to be called later, after this run (timer callbacks). */
  deferredCallback(pc: bigint): DeferredCallback;
  /**
   * bpf_tail_call, after its index check: when `target` is a program and the
   * run has taken fewer than MAX_TAIL_CALL_CNT tail calls, count this one
   * and make the engine replace the running function with `target` once the
   * helper returns. Returns whether the tail call will happen.
   */
  tailCall(target: ProgramHandle | undefined): boolean;
  /** The running call chain, innermost first: each frame's current instruction as a byte offset (bpf_get_stack). */
  callChain(): bigint[];
  /** A helper moved or resized the running skb's packet: LD_ABS and LD_IND read it where it now is, as in the kernel. */
  packetMoved(packet: PacketContext): void;
}

/** A subprogram kept for later: calling it runs it as a run of its own. */
export interface DeferredCallback {
  call(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
}

/**
 * A loaded program as prog_array slots hold it (the runtime registers one
 * per program with `MapRegistry.registerProgram`): its instructions, and
 * the form each engine runs, prepared once per engine on first use.
 */
export class ProgramHandle {
  private readonly prepared = new WeakMap<object, unknown>();

  /** `verified`: the program passed the verifier, so an engine may run it in its verified form (the JIT's, without the budget). */
  constructor(readonly name: string, readonly insns: readonly Insn[], readonly verified = false) {}

  /** The form `engine` runs this program in, made by `prepare` the first time `engine` asks. */
  preparedFor<T>(engine: object, prepare: (insns: readonly Insn[]) => T): T {
    if (this.prepared.has(engine)) return this.prepared.get(engine) as T;
    const made = prepare(this.insns);
    this.prepared.set(engine, made);
    return made;
  }
}

/** Values a run brings with it (bpf_get_func_ip, bpf_get_attach_cookie). */
export interface RunInfo {
  /** The address of the traced function (kprobe, fentry): what bpf_get_func_ip returns. */
  funcIp: bigint;
  /** The cookie the attachment was made with: what bpf_get_attach_cookie returns. */
  attachCookie: bigint;
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
  /** What bpf_get_numa_node_id returns. */
  numaNode?: number;
  /** The current task; default the idle task (pid 0, `swapper/<cpu>`), as in a softirq on an idle CPU. */
  task?: CurrentTask;
  /** The stack bpf_get_stack(…, BPF_F_USER_STACK) reports, innermost first; default none. */
  userStack?: () => bigint[];
  /**
   * The current task's cgroup (cgroup v2) as the ids of its path from the
   * root cgroup (level 0) down to its own: what bpf_get_current_cgroup_id
   * (the last) and bpf_get_current_ancestor_cgroup_id(level) return, and the
   * cgroup of the sockets the runtime makes on the task's behalf (the test
   * run's skb->sk, as cgroup_sk_alloc takes the creator's). Default
   * `[1n]`: the root cgroup (id 1), where the idle task is.
   */
  cgroup?: readonly (bigint | number)[];
  /** The current task's pid namespace (bpf_get_ns_current_pid_tgid); default the initial one, on nsfs device NSFS_DEV. */
  pidNamespace?: PidNamespace;
  /**
   * The cookie of the network namespace the runtime's sockets live in
   * (bpf_get_netns_cookie of an skb with a socket); default the initial
   * namespace's, initNetnsCookie.
   */
  netnsCookie?: bigint | number;
  /** The cookie of the initial network namespace (bpf_get_netns_cookie(NULL)); default INIT_NET_COOKIE. */
  initNetnsCookie?: bigint | number;
  /**
   * The secrets of the SYN cookies, 32 bytes per family: two SipHash keys
   * (the kernel's syncookie_secret and syncookie6_secret, random per boot).
   * Default DEFAULT_SYNCOOKIE_SECRET, fixed so that runs are reproducible.
   */
  syncookieSecret?: { ipv4?: Uint8Array; ipv6?: Uint8Array };
  /** The net.ipv4.tcp_syncookies sysctl of the runtime's sockets' namespace: 0 off, 1 on SYN queue overflow, 2 always; default 1, the kernel's. */
  tcpSyncookies?: number;
  /**
   * Called for each signal a program sends to the current task (the
   * runtime never sends a real one); the run's TaskEffects record them too.
   */
  onSignal?: (signal: SentSignal) => void;
  /**
   * Whether programs run in interrupt context (hard or soft irq, NMI: the
   * kernel's in_interrupt()), where bpf_probe_write_user refuses with -EPERM;
   * default false, the process context of a syscall or a test run (the
   * default task, the idle task of a softirq, is refused as a kernel thread).
   */
  inInterrupt?: boolean;
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
  readonly numaNode: number;
  readonly task: CurrentTask;
  readonly userStack: () => bigint[];
  /** The current task's cgroup path: ids from the root (level 0) to its own cgroup, at least one. */
  readonly cgroup: readonly bigint[];
  readonly pidNamespace: Readonly<Required<PidNamespace>> & { readonly ino: bigint };
  readonly netnsCookie: bigint;
  readonly initNetnsCookie: bigint;
  /** The engine's hooks (callbacks, tail calls, the call chain). */
  readonly engine: EngineHooks;
  /** This run's values; the engine sets them at the start of each run. */
  readonly run: RunInfo;
  /** Addresses of the bpf_spin_locks the running program holds (at most one, as the verifier allows). */
  readonly heldLocks: Set<number>;
  /** The SYN cookie secrets, 32 bytes per family. */
  readonly syncookieSecret: { readonly ipv4: Uint8Array; readonly ipv6: Uint8Array };
  /** net.ipv4.tcp_syncookies: 0, 1 or 2. */
  readonly tcpSyncookies: number;
  readonly onSignal: (signal: SentSignal) => void;
  readonly inInterrupt: boolean;
  /** The current run's signals and override; the test run clears them first. */
  readonly taskEffects: TaskEffects;
}

/** The id of the root cgroup of cgroup v2 (its kernfs node's). */
export const ROOT_CGROUP_ID = 1n;
/** PROC_PID_INIT_INO: the inode of the initial pid namespace, fixed by the kernel. */
export const PROC_PID_INIT_INO = 0xeffffffcn;
/**
 * The device of the nsfs mount: an anonymous device the kernel numbers at
 * boot, 4 (0:4) on the Linux 6.18 machines we checked; per machine, hence
 * the pidNamespace.dev option.
 */
export const NSFS_DEV = 4;
/**
 * The cookie of the initial network namespace. A counter hands namespace
 * cookies out as namespaces are made; Linux 6.18 numbers every kind of
 * namespace from one counter, and the initial network namespace gets 3
 * (older kernels number network namespaces alone and give it 1).
 */
export const INIT_NET_COOKIE = 3n;

/**
 * The SYN cookie secrets a runtime uses unless told otherwise: bytes 0x00
 * to 0x1f for IPv4 (its first key is the SipHash paper's test key), 0x20 to
 * 0x3f for IPv6. The kernel's are random per boot, so no value could match
 * a real kernel's cookies; a fixed one makes ours reproducible.
 */
export const DEFAULT_SYNCOOKIE_SECRET: Readonly<{ ipv4: Uint8Array; ipv6: Uint8Array }> = Object.freeze({
  ipv4: Uint8Array.from({ length: 32 }, (_, i) => i),
  ipv6: Uint8Array.from({ length: 32 }, (_, i) => 32 + i),
});

/** A bad host option: which one, and why. */
export class HostOptionError extends EbpfError {
  constructor(option: string, message: string) {
    super('EHOST', `host.${option}: ${message}`);
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** A u64 host value given as a bigint or a safe integer, checked to lie in [min, U64_MAX]. */
function u64Option(option: string, v: unknown, min: bigint): bigint {
  const big = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof big !== 'bigint' || big < min || big > U64_MAX) throw new HostOptionError(option, `must be an integer from ${min} to 2^64-1, got ${String(v)}`);
  return big;
}

function u32Option(option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new HostOptionError(option, `must be an integer from 0 to 2^32-1, got ${String(v)}`);
  return v;
}

/** A cgroup path (root first) as bigint ids: at least the root, every id positive. */
function cgroupPath(option: string, path: unknown): bigint[] {
  if (!Array.isArray(path) || path.length === 0) throw new HostOptionError(option, 'must list the cgroup ids from the root cgroup (level 0) down, at least one');
  return path.map((id, level) => u64Option(`${option}[${level}]`, id, 1n));
}

function pidNamespaceOf(ns: PidNamespace | undefined, task: CurrentTask): HelperContext['pidNamespace'] {
  if (ns !== undefined && (typeof ns !== 'object' || ns === null)) throw new HostOptionError('pidNamespace', 'must be an object { dev, ino, pid, tgid }');
  return {
    dev: ns?.dev === undefined ? NSFS_DEV : u32Option('pidNamespace.dev', ns.dev),
    ino: ns?.ino === undefined ? PROC_PID_INIT_INO : u64Option('pidNamespace.ino', ns.ino, 0n),
    pid: ns?.pid === undefined ? task.pid : u32Option('pidNamespace.pid', ns.pid),
    tgid: ns?.tgid === undefined ? task.tgid : u32Option('pidNamespace.tgid', ns.tgid),
  };
}

/** One family's SYN cookie secret: a copy of the 32 bytes given, or the default's. */
function syncookieKey(family: 'ipv4' | 'ipv6', given: unknown): Uint8Array {
  if (given === undefined) return DEFAULT_SYNCOOKIE_SECRET[family];
  if (!(given instanceof Uint8Array) || given.length !== 32) throw new HostOptionError(`syncookieSecret.${family}`, 'must be 32 bytes (two SipHash keys)');
  return given.slice();
}

function syncookieSecretOf(secret: HelperHost['syncookieSecret']): HelperContext['syncookieSecret'] {
  if (secret !== undefined && (typeof secret !== 'object' || secret === null)) throw new HostOptionError('syncookieSecret', 'must be an object { ipv4, ipv6 } of 32 bytes each');
  return { ipv4: syncookieKey('ipv4', secret?.ipv4), ipv6: syncookieKey('ipv6', secret?.ipv6) };
}

function tcpSyncookiesOf(v: unknown): number {
  if (v === undefined) return 1;
  if (v !== 0 && v !== 1 && v !== 2) throw new HostOptionError('tcpSyncookies', `must be 0, 1 or 2 (net.ipv4.tcp_syncookies), got ${String(v)}`);
  return v;
}

function onSignalOf(v: unknown): (signal: SentSignal) => void {
  if (v === undefined) return () => undefined;
  if (typeof v !== 'function') throw new HostOptionError('onSignal', `must be a function, got ${typeof v}`);
  return v as (signal: SentSignal) => void;
}

function booleanOption(option: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new HostOptionError(option, `must be true or false, got ${String(v)}`);
  return v;
}

/** Kconfig's default tick rate (HZ_250). */
const DEFAULT_HZ = 250;

/** TAI is ahead of UTC by 37 s since 2017. */
export const TAI_OFFSET_NS = 37_000_000_000n;

function performanceClock(): Clock {
  const now = () => BigInt(Math.round(performance.now() * 1e6));
  return { monotonicNs: now, bootNs: now, taiNs: () => BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS };
}

/** The hooks of a context no engine runs: every one is a clear error. */
function noEngine(): EngineHooks {
  const refuse = (what: string): never => {
    throw new RuntimeError(`${what}: this helper context has no engine hooks (create it with the engine's hooks)`);
  };
  return {
    callback: () => refuse('callback'),
    deferredCallback: () => refuse('callback'),
    tailCall: () => refuse('tail call'),
    callChain: () => refuse('call chain'),
    // Without an engine nothing reads the packet with LD_ABS.
    packetMoved: () => undefined,
  };
}

export function createHelperContext(
  space: AddressSpace, options: HelperHost & { checked?: boolean } = {}, engine: EngineHooks = noEngine(),
): HelperContext {
  const cpu = options.cpu ?? 0;
  const task = options.task ?? { pid: 0, tgid: 0, uid: 0, gid: 0, comm: `swapper/${cpu}` };
  const initNetnsCookie = options.initNetnsCookie === undefined ? INIT_NET_COOKIE : u64Option('initNetnsCookie', options.initNetnsCookie, 1n);
  return {
    space,
    checked: options.checked ?? true,
    clock: options.clock ?? performanceClock(),
    random: options.random ?? (() => Math.floor(Math.random() * 0x100000000)),
    cpu,
    hz: options.hz ?? DEFAULT_HZ,
    print: options.print ?? (() => undefined),
    numaNode: options.numaNode ?? 0,
    task,
    userStack: options.userStack ?? (() => []),
    cgroup: options.cgroup === undefined ? [ROOT_CGROUP_ID] : cgroupPath('cgroup', options.cgroup),
    pidNamespace: pidNamespaceOf(options.pidNamespace, task),
    netnsCookie: options.netnsCookie === undefined ? initNetnsCookie : u64Option('netnsCookie', options.netnsCookie, 1n),
    initNetnsCookie,
    engine,
    run: { funcIp: 0n, attachCookie: 0n },
    heldLocks: new Set(),
    syncookieSecret: syncookieSecretOf(options.syncookieSecret),
    tcpSyncookies: tcpSyncookiesOf(options.tcpSyncookies),
    onSignal: onSignalOf(options.onSignal),
    inInterrupt: booleanOption('inInterrupt', options.inInterrupt),
    taskEffects: { signals: [], overrideReturn: undefined },
  };
}

/**
 * helperAccess for an argument of a helper: a fault names the helper and
 * the argument (`bpf_probe_read: r1 (dst): invalid write of 8 bytes at 0x0 (no region)`).
 */
export function argAccess(ctx: HelperContext, where: string, addr: bigint, size: number, write: boolean): number {
  try {
    return helperAccess(ctx, addr, size, write);
  } catch (e) {
    if (e instanceof RuntimeError) throw new RuntimeError(`${where}: ${e.detail}`, { addr: e.addr, size: e.size });
    throw e;
  }
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

/** The packet LD_ABS and LD_IND read (every engine): bytes [data, dataEnd) of the address space. */
export interface PacketContext {
  data: number;
  dataEnd: number;
}

/** The instruction budget of one run on our engines, unless the caller sets another: long, but never a hang. */
export const DEFAULT_MAX_INSNS = 100_000_000;
