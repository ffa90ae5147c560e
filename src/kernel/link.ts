/**
 * Attaching programs: BPF_LINK_CREATE for XDP, tcx and perf events, raw
 * tracepoints through BPF_RAW_TRACEPOINT_OPEN, and kprobes and tracepoints
 * as perf events (perf_event_open) with the program linked to them. A
 * `KernelLink` detaches when closed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_ATTACH_TYPE } from '../platform/index.js';
import { ATTR } from './attr.js';
import { KernelArgumentError, KernelError, errnoOf } from './errors.js';
import { Fd } from './fd.js';
import type { Kernel } from './kernel.js';
import type { KernelProgram } from './program.js';
import { resolveAttachType } from './program.js';
import { pinObject } from './objects.js';

/** flags of an XDP link (include/uapi/linux/if_link.h). */
export const XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
export const XDP_FLAGS_SKB_MODE = 1 << 1;
export const XDP_FLAGS_DRV_MODE = 1 << 2;
export const XDP_FLAGS_HW_MODE = 1 << 3;

/** flags of a tcx link: where it goes relative to `relativeFd`. */
export const BPF_F_REPLACE = 1 << 2;
export const BPF_F_BEFORE = 1 << 3;
export const BPF_F_AFTER = 1 << 4;
export const BPF_F_ID = 1 << 5;

/** perf_event_open(2) constants (include/uapi/linux/perf_event.h). */
const PERF_TYPE_TRACEPOINT = 2;
const PERF_FLAG_FD_CLOEXEC = 1 << 3;
/** PERF_ATTR_SIZE_VER5: every field we set is in it, and every kernel since 4.1 takes it. */
const PERF_ATTR_SIZE = 112;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;

export class KernelLink implements Disposable {
  /** `fds[0]` is the link (or the perf event when attached by ioctl); later ones are what it holds open. */
  constructor(readonly kernel: Kernel, readonly fds: readonly Fd[], readonly what: string) {}

  get fd(): Fd {
    return this.fds[0];
  }

  /** Pin a BPF link at `path` on a bpffs so that it outlives this process. */
  pin(path: string): void {
    pinObject(this.kernel, this.fd, path);
  }

  /** Detach: close the link and what it holds. */
  close(): void {
    for (const fd of [...this.fds].reverse()) fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface LinkCreateOptions {
  /** target_fd or target_ifindex (one field). */
  target: number;
  attachType: number | string;
  flags?: number;
  /** The attach-type-specific part: perf_event.bpf_cookie. */
  bpfCookie?: bigint;
  /** tcx/netkit: relative_fd (or relative_id with BPF_F_ID) and expected_revision. */
  relative?: number;
  expectedRevision?: bigint;
  targetBtfId?: number;
}

/** BPF_LINK_CREATE: the fd of a new link of `prog` to `target`. */
export function createLink(prog: KernelProgram, options: LinkCreateOptions, what: string): KernelLink {
  const kernel = prog.kernel;
  const a = ATTR.linkCreate;
  const attachType = resolveAttachType(options.attachType);
  using s = kernel.scratch();
  const attr = kernel.attr(s, a.end)
    .u32(a.progFd, prog.fd.value)
    .u32(a.targetFd, options.target)
    .u32(a.attachType, attachType)
    .u32(a.flags, options.flags ?? 0);
  if (attachType === BPF_ATTACH_TYPE.PERF_EVENT) attr.u64(a.perfEventBpfCookie, options.bpfCookie ?? 0n);
  else if (attachType === BPF_ATTACH_TYPE.TCX_INGRESS || attachType === BPF_ATTACH_TYPE.TCX_EGRESS) {
    attr.u32(a.tcxRelativeFd, options.relative ?? 0).u64(a.tcxExpectedRevision, options.expectedRevision ?? 0n);
  } else if (options.targetBtfId) attr.u32(a.targetBtfId, options.targetBtfId);
  const fd = kernel.bpf('LINK_CREATE', attr, what);
  return new KernelLink(kernel, [new Fd(kernel.sys, fd, `link ${what}`)], what);
}

/** The ifindex of a network interface of this process's network namespace. */
export function ifindexOf(name: string): number {
  const path = `/sys/class/net/${name}/ifindex`;
  if (!/^[^/\0]{1,15}$/.test(name) || !existsSync(path)) throw new KernelArgumentError(`no network interface '${name}' (looked for ${path})`);
  return Number(readFileSync(path, 'utf8').trim());
}

/** Attach an XDP program to the interface `ifindex` through a BPF link. */
export function attachXdp(prog: KernelProgram, ifindex: number, options: { flags?: number } = {}): KernelLink {
  return createLink(prog, { target: ifindex, attachType: BPF_ATTACH_TYPE.XDP, flags: options.flags }, `xdp on ifindex ${ifindex}`);
}

export interface TcxOptions {
  /** BPF_F_BEFORE / BPF_F_AFTER (with `relative`), BPF_F_REPLACE, BPF_F_ID. */
  flags?: number;
  relative?: number;
  expectedRevision?: bigint;
}

/** Attach a tc (SCHED_CLS) program to `ifindex`'s ingress or egress through a tcx link. */
export function attachTcx(prog: KernelProgram, ifindex: number, direction: 'ingress' | 'egress', options: TcxOptions = {}): KernelLink {
  const attachType = direction === 'ingress' ? BPF_ATTACH_TYPE.TCX_INGRESS : BPF_ATTACH_TYPE.TCX_EGRESS;
  return createLink(prog, { target: ifindex, attachType, ...options }, `tcx ${direction} on ifindex ${ifindex}`);
}

/** Attach a RAW_TRACEPOINT program to the raw tracepoint `name` (`sys_enter`, `sched_switch`). */
export function attachRawTracepoint(prog: KernelProgram, name: string, cookie = 0n): KernelLink {
  const kernel = prog.kernel;
  const a = ATTR.rawTracepoint;
  using s = kernel.scratch();
  const attr = kernel.attr(s, a.end).ptr(a.name, s.cstring(name)).u32(a.progFd, prog.fd.value).u64(a.cookie, cookie);
  const what = `raw_tracepoint ${name}`;
  const fd = kernel.bpf('RAW_TRACEPOINT_OPEN', attr, what);
  return new KernelLink(kernel, [new Fd(kernel.sys, fd, what)], what);
}

interface PerfEventSpec {
  type: number;
  config: bigint;
  /** config1: kprobe_func / uprobe_path (a string we pass by address). */
  config1String?: string;
  config2?: bigint;
}

/** perf_event_open(attr, pid = -1, cpu = 0): tracing events feed the program whatever the CPU. */
function perfEventOpen(kernel: Kernel, spec: PerfEventSpec, what: string): Fd {
  using s = kernel.scratch();
  const attr = kernel.attr(s, PERF_ATTR_SIZE)
    .u32(0, spec.type)
    .u32(4, PERF_ATTR_SIZE)
    .u64(8, spec.config)
    .u64(16, 1) // sample_period
    .u32(48, 1) // wakeup_events
    .ptr(56, spec.config1String === undefined ? undefined : s.cstring(spec.config1String))
    .u64(64, spec.config2 ?? 0n);
  const fd = kernel.sys.syscall('perf_event_open', [attr.mem.address, -1, 0, -1, PERF_FLAG_FD_CLOEXEC]);
  if (fd < 0) throw new KernelError('perf_event_open', -fd, what);
  return new Fd(kernel.sys, fd, `perf event ${what}`);
}

export interface PerfAttachOptions {
  /** 'link' (BPF_LINK_CREATE, 5.15+), 'ioctl' (PERF_EVENT_IOC_SET_BPF), or 'auto': link, else ioctl. */
  mode?: 'auto' | 'link' | 'ioctl';
  bpfCookie?: bigint;
}

/** Link `prog` to an open perf event; the link owns the event. */
function attachToPerfEvent(prog: KernelProgram, event: Fd, what: string, options: PerfAttachOptions): KernelLink {
  const kernel = prog.kernel;
  const mode = options.mode ?? 'auto';
  try {
    if (mode !== 'ioctl') {
      try {
        const link = createLink(prog, { target: event.value, attachType: BPF_ATTACH_TYPE.PERF_EVENT, bpfCookie: options.bpfCookie }, what);
        return new KernelLink(kernel, [link.fd, event], what);
      } catch (err) {
        // Kernels before 5.15 have no perf_event links: they say EINVAL.
        if (mode === 'link' || !(err instanceof KernelError) || err.errno !== errnoOf('EINVAL')) throw err;
      }
    }
    const set = kernel.sys.syscall('ioctl', [event.value, PERF_EVENT_IOC_SET_BPF, prog.fd.value]);
    if (set < 0) throw new KernelError('ioctl(PERF_EVENT_IOC_SET_BPF)', -set, what);
    const enable = kernel.sys.syscall('ioctl', [event.value, PERF_EVENT_IOC_ENABLE, 0]);
    if (enable < 0) throw new KernelError('ioctl(PERF_EVENT_IOC_ENABLE)', -enable, what);
    return new KernelLink(kernel, [event], what);
  } catch (err) {
    event.close();
    throw err;
  }
}

/** The mounted tracefs, from the kernel's list of places. */
function tracefsRoot(kernel: Kernel): string {
  const root = kernel.paths.tracefs.find((p) => existsSync(join(p, 'events')));
  if (!root) throw new KernelArgumentError(`tracefs is not mounted (looked in ${kernel.paths.tracefs.join(', ')}); mount it with 'mount -t tracefs nodev /sys/kernel/tracing'`);
  return root;
}

/** Attach a TRACEPOINT program to `category/name` (`syscalls/sys_enter_getppid`). */
export function attachTracepoint(prog: KernelProgram, category: string, name: string, options: PerfAttachOptions = {}): KernelLink {
  const kernel = prog.kernel;
  if (!/^[\w.-]+$/.test(category) || !/^[\w.-]+$/.test(name)) throw new KernelArgumentError(`bad tracepoint name '${category}/${name}'`);
  const idPath = join(tracefsRoot(kernel), 'events', category, name, 'id');
  if (!existsSync(idPath)) throw new KernelArgumentError(`no tracepoint ${category}/${name} (${idPath} does not exist)`);
  const id = BigInt(readFileSync(idPath, 'utf8').trim());
  const what = `tracepoint ${category}/${name}`;
  return attachToPerfEvent(prog, perfEventOpen(kernel, { type: PERF_TYPE_TRACEPOINT, config: id }, what), what, options);
}

/** The type number of a dynamic PMU (`kprobe`, `uprobe`) and the config bit of its `retprobe` format. */
function dynamicPmu(kernel: Kernel, pmu: string): { type: number; retprobeBit: number } {
  const dir = join(kernel.paths.eventSources, pmu);
  if (!existsSync(join(dir, 'type'))) {
    throw new KernelArgumentError(`this kernel has no ${pmu} PMU (${dir} does not exist: built without CONFIG_${pmu.toUpperCase()}S?)`);
  }
  const type = Number(readFileSync(join(dir, 'type'), 'utf8').trim());
  const format = existsSync(join(dir, 'format', 'retprobe')) ? readFileSync(join(dir, 'format', 'retprobe'), 'utf8').trim() : 'config:0';
  const bit = /^config:(\d+)$/.exec(format);
  return { type, retprobeBit: bit ? Number(bit[1]) : 0 };
}

export interface KprobeOptions extends PerfAttachOptions {
  /** Attach to the function's return (a kretprobe). */
  retprobe?: boolean;
  /** Bytes into the function. */
  offset?: bigint;
}

/** Attach a KPROBE program to the kernel function `symbol` through the kprobe PMU. */
export function attachKprobe(prog: KernelProgram, symbol: string, options: KprobeOptions = {}): KernelLink {
  const kernel = prog.kernel;
  if (!/^[\w.$]+$/.test(symbol)) throw new KernelArgumentError(`bad kernel symbol '${symbol}'`);
  const pmu = dynamicPmu(kernel, 'kprobe');
  const what = `${options.retprobe ? 'kretprobe' : 'kprobe'} ${symbol}`;
  const event = perfEventOpen(kernel, {
    type: pmu.type,
    config: options.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
    config1String: symbol,
    config2: options.offset ?? 0n,
  }, what);
  return attachToPerfEvent(prog, event, what, options);
}
