/**
 * Programs in the kernel: BPF_PROG_LOAD with the verifier's whole log, and
 * BPF_PROG_TEST_RUN.
 */
import { VerifierError } from '../internal/errors.js';
import { encodeInsns, type Insn } from '../isa/index.js';
import { BPF_ATTACH_TYPE, progTypeByName, progTypeName } from '../platform/index.js';
import { ATTR, cstringOf } from './attr.js';
import { KernelArgumentError, KernelError, errnoOf } from './errors.js';
import { Fd } from './fd.js';
import type { Kernel } from './kernel.js';
import { parseVerifierLog } from './log.js';
import { getPinned, pinObject, progInfo, type KernelProgInfo } from './objects.js';

export {
  BPF_F_STRICT_ALIGNMENT, BPF_F_ANY_ALIGNMENT, BPF_F_TEST_RND_HI32, BPF_F_TEST_STATE_FREQ, BPF_F_SLEEPABLE,
  BPF_F_XDP_HAS_FRAGS, BPF_F_XDP_DEV_BOUND_ONLY,
} from '../platform/index.js';

/** log_level bits: the instruction walk, every state, and statistics only. */
export const BPF_LOG_LEVEL1 = 1;
export const BPF_LOG_LEVEL2 = 2;
export const BPF_LOG_STATS = 4;

/** flags of BPF_PROG_TEST_RUN. */
export const BPF_F_TEST_RUN_ON_CPU = 1 << 0;
export const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;

/** The kernel's bounds on log_size (kernel/bpf/log.c). */
const LOG_SIZE_MAX = 0xffffffff >>> 2;
const LOG_SIZE_MIN = 128;

export interface ProgramLoadOptions {
  /** A `BPF_PROG_TYPE` number or its name (`xdp`, `socket_filter`, `BPF_PROG_TYPE_KPROBE`). */
  type: number | string;
  insns: readonly Insn[];
  /** Default `GPL`, which every helper accepts. */
  license?: string;
  /** A `BPF_ATTACH_TYPE` number or its name (`xdp`, `tcx_ingress`). */
  expectedAttachType?: number | string;
  /** 0 (default): no log unless the load fails; 1: the walk; 2: every state; | 4: statistics. */
  logLevel?: number;
  /** First log buffer size; it grows until the whole log fits. */
  logSize?: number;
  kernVersion?: number;
  flags?: number;
  /** Up to 15 characters. */
  name?: string;
  ifindex?: number;
  btfFd?: number;
  /** `.BTF.ext` func_info records (bpf_func_info), `count` of `recSize` bytes each. */
  funcInfo?: { recSize: number; count: number; bytes: Uint8Array };
  lineInfo?: { recSize: number; count: number; bytes: Uint8Array };
  attachBtfId?: number;
  /** attach_prog_fd / attach_btf_obj_fd (one field in the union). */
  attachFd?: number;
  /** fd_array: maps and BTF objects that BPF_PSEUDO_MAP_IDX and kfunc calls index. */
  fdArray?: readonly number[];
}

function resolveProgType(type: number | string): number {
  if (typeof type === 'number') {
    if (!Number.isInteger(type) || type < 0) throw new KernelArgumentError(`program type ${type} is not a program type number`);
    return type;
  }
  const n = progTypeByName(type);
  if (n === undefined) throw new KernelArgumentError(`unknown program type '${type}'`);
  return n;
}

/** An attach type number from a number or a name (`xdp`, `BPF_TCX_INGRESS`). */
export function resolveAttachType(type: number | string): number {
  if (typeof type === 'number') return type;
  const key = type.toUpperCase().replace(/^BPF_/, '') as keyof typeof BPF_ATTACH_TYPE;
  const n = BPF_ATTACH_TYPE[key];
  if (n === undefined) throw new KernelArgumentError(`unknown attach type '${type}'`);
  return n;
}

interface Attempt {
  ret: number;
  log: string;
  trueSize: number;
}

function attemptLoad(kernel: Kernel, options: ProgramLoadOptions, type: number, code: Uint8Array, logLevel: number, logSize: number): Attempt {
  const a = ATTR.progLoad;
  using s = kernel.scratch();
  const log = logLevel ? s.alloc(logSize) : undefined;
  const attr = kernel.attr(s, a.end)
    .u32(a.progType, type)
    .u32(a.insnCnt, code.length / 8)
    .ptr(a.insns, s.copy(code))
    .ptr(a.license, s.cstring(options.license ?? 'GPL'))
    .u32(a.logLevel, logLevel)
    .u32(a.logSize, log ? logSize : 0)
    .ptr(a.logBuf, log)
    .u32(a.kernVersion, options.kernVersion ?? 0)
    .u32(a.progFlags, options.flags ?? 0)
    .chars(a.progName, 16, options.name ?? '')
    .u32(a.progIfindex, options.ifindex ?? 0)
    .u32(a.expectedAttachType, options.expectedAttachType === undefined ? 0 : resolveAttachType(options.expectedAttachType))
    .u32(a.progBtfFd, options.btfFd ?? 0)
    .u32(a.attachBtfId, options.attachBtfId ?? 0)
    .u32(a.attachProgFd, options.attachFd ?? 0);
  if (options.funcInfo) {
    attr.u32(a.funcInfoRecSize, options.funcInfo.recSize).ptr(a.funcInfo, s.copy(options.funcInfo.bytes)).u32(a.funcInfoCnt, options.funcInfo.count);
  }
  if (options.lineInfo) {
    attr.u32(a.lineInfoRecSize, options.lineInfo.recSize).ptr(a.lineInfo, s.copy(options.lineInfo.bytes)).u32(a.lineInfoCnt, options.lineInfo.count);
  }
  if (options.fdArray?.length) {
    const fds = new Uint8Array(options.fdArray.length * 4);
    const v = new DataView(fds.buffer);
    options.fdArray.forEach((fd, i) => v.setInt32(i * 4, fd, true));
    attr.ptr(a.fdArray, s.copy(fds));
  }
  let ret = kernel.tryBpf('PROG_LOAD', attr);
  // The verifier may be interrupted (EAGAIN); libbpf retries a few times too.
  for (let i = 0; i < 5 && ret === -errnoOf('EAGAIN'); i++) ret = kernel.tryBpf('PROG_LOAD', attr);
  return { ret, log: log ? cstringOf(log.bytes) : '', trueSize: attr.getU32(a.logTrueSize) };
}

/** Load with a log at `logLevel`, growing the buffer until the whole log fits (ENOSPC means it did not). */
function loadWithLog(kernel: Kernel, options: ProgramLoadOptions, type: number, code: Uint8Array, logLevel: number): Attempt {
  let size = Math.min(LOG_SIZE_MAX, Math.max(LOG_SIZE_MIN, options.logSize ?? (logLevel & BPF_LOG_LEVEL2 ? 1 << 20 : 1 << 16)));
  for (;;) {
    const r = attemptLoad(kernel, options, type, code, logLevel, size);
    if (r.ret !== -errnoOf('ENOSPC') || size >= LOG_SIZE_MAX) return r;
    size = Math.min(LOG_SIZE_MAX, Math.max(size * 4, r.trueSize + 1));
  }
}

/**
 * Load a program (BPF_PROG_LOAD). A rejection by the verifier throws
 * VerifierError with the kernel's whole log, the failing instruction and a
 * summary (when no log was asked for, the load is retried with one to get
 * it); any other failure throws KernelError.
 */
export function loadProgram(kernel: Kernel, options: ProgramLoadOptions): KernelProgram {
  const type = resolveProgType(options.type);
  const code = encodeInsns(options.insns, 'le');
  const level = options.logLevel ?? 0;
  let r = level ? loadWithLog(kernel, options, type, code, level) : attemptLoad(kernel, options, type, code, 0, 0);
  if (r.ret < 0 && !level) {
    const logged = loadWithLog(kernel, options, type, code, BPF_LOG_LEVEL1);
    r = logged.ret >= 0 ? logged : { ...r, log: logged.log };
  }
  const name = options.name || progTypeName(type) || `type ${type}`;
  if (r.ret < 0) throw loadError(-r.ret, r.log, name, options.insns.length);
  return new KernelProgram(kernel, new Fd(kernel.sys, r.ret, `program ${name}`), {
    type, name: options.name ?? '', log: r.log, insnCount: options.insns.length,
  });
}

/** VerifierError when the kernel gave a log (its verdict), KernelError otherwise. */
function loadError(errno: number, log: string, name: string, insnCount: number): Error {
  const cause = new KernelError('BPF_PROG_LOAD', errno, `program ${name}`);
  const parsed = parseVerifierLog(log, insnCount);
  // A log with nothing but statistics: refused before the verifier said anything.
  if (!parsed.summary) return cause;
  const at = parsed.insn === undefined ? '' : ` at insn ${parsed.insn}`;
  return new VerifierError(`${cause.message}: kernel verifier rejected the program${at}: ${parsed.summary.replace(/\n/g, '; ')}`, {
    insn: parsed.insn, log, summary: parsed.summary, cause,
  });
}

/** The program pinned at `path` (BPF_OBJ_GET), described by the kernel's bpf_prog_info. */
export function openPinnedProgram(kernel: Kernel, path: string): KernelProgram {
  const fd = getPinned(kernel, path);
  try {
    const info = progInfo(kernel, fd);
    return new KernelProgram(kernel, fd, { type: info.type, name: info.name, log: '', insnCount: info.xlatedInsns });
  } catch (err) {
    fd.close();
    throw err;
  }
}

export interface TestRunOptions {
  /** The packet (data_in). */
  data?: Uint8Array;
  /** Room for data_out; default data.length + 256, grown if the kernel says it needs more. */
  dataSizeOut?: number;
  /** The context (ctx_in): struct __sk_buff, xdp_md, … as the program type defines. */
  ctx?: Uint8Array;
  /** Room for ctx_out; default the size of ctx. */
  ctxSizeOut?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

export interface TestRunResult {
  /** The program's return value (the low 32 bits of r0). */
  retval: number;
  /** Average run time in nanoseconds, as the kernel measured it. */
  duration: number;
  dataOut: Uint8Array;
  ctxOut: Uint8Array;
}

export interface ProgramInfo {
  type: number;
  name: string;
  log: string;
  insnCount: number;
}

export class KernelProgram implements Disposable {
  readonly type: number;
  readonly name: string;
  /** The verifier's log, when a log level was asked for. */
  readonly log: string;
  /** Instruction slots loaded (for a pinned program: as the kernel rewrote them). */
  readonly insnCount: number;

  constructor(readonly kernel: Kernel, readonly fd: Fd, info: ProgramInfo) {
    this.type = info.type;
    this.name = info.name;
    this.log = info.log;
    this.insnCount = info.insnCount;
  }

  /** bpf_prog_info: id, tag, verified instruction count. */
  info(): KernelProgInfo {
    return progInfo(this.kernel, this.fd);
  }

  /** Run the program once (or `repeat` times) on the given input (BPF_PROG_TEST_RUN). */
  testRun(options: TestRunOptions = {}): TestRunResult {
    let dataSizeOut = options.dataSizeOut ?? (options.data ? options.data.length + 256 : 0);
    let ctxSizeOut = options.ctxSizeOut ?? options.ctx?.length ?? 0;
    for (;;) {
      const t = ATTR.test;
      using s = this.kernel.scratch();
      const dataOut = dataSizeOut ? s.alloc(dataSizeOut) : undefined;
      const ctxOut = ctxSizeOut ? s.alloc(ctxSizeOut) : undefined;
      const attr = this.kernel.attr(s, t.end)
        .u32(t.progFd, this.fd.value)
        .u32(t.dataSizeIn, options.data?.length ?? 0)
        .u32(t.dataSizeOut, dataSizeOut)
        .ptr(t.dataIn, options.data?.length ? s.copy(options.data) : undefined)
        .ptr(t.dataOut, dataOut)
        .u32(t.repeat, options.repeat ?? 0)
        .u32(t.ctxSizeIn, options.ctx?.length ?? 0)
        .u32(t.ctxSizeOut, ctxSizeOut)
        .ptr(t.ctxIn, options.ctx?.length ? s.copy(options.ctx) : undefined)
        .ptr(t.ctxOut, ctxOut)
        .u32(t.flags, options.flags ?? 0)
        .u32(t.cpu, options.cpu ?? 0)
        .u32(t.batchSize, options.batchSize ?? 0);
      const ret = this.kernel.tryBpf('PROG_TEST_RUN', attr);
      const gotData = attr.getU32(t.dataSizeOut);
      const gotCtx = attr.getU32(t.ctxSizeOut);
      // ENOSPC: an output did not fit; the kernel wrote the size it needed.
      if (ret === -errnoOf('ENOSPC') && (gotData > dataSizeOut || gotCtx > ctxSizeOut)) {
        dataSizeOut = Math.max(dataSizeOut, gotData);
        ctxSizeOut = Math.max(ctxSizeOut, gotCtx);
        continue;
      }
      if (ret < 0) throw new KernelError('BPF_PROG_TEST_RUN', -ret, this.fd.what);
      return {
        retval: attr.getU32(t.retval),
        duration: attr.getU32(t.duration),
        dataOut: dataOut ? dataOut.bytes.slice(0, Math.min(gotData, dataSizeOut)) : new Uint8Array(),
        ctxOut: ctxOut ? ctxOut.bytes.slice(0, Math.min(gotCtx, ctxSizeOut)) : new Uint8Array(),
      };
    }
  }

  /** Pin the program at `path` on a bpffs. */
  pin(path: string): void {
    pinObject(this.kernel, this.fd, path);
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
