/**
 * Commands on any BPF object: pin and get on bpffs (BPF_OBJ_PIN/OBJ_GET),
 * object info (BPF_OBJ_GET_INFO_BY_FD), and raw BTF (BPF_BTF_LOAD).
 */
import { ATTR, cstringOf } from './attr.js';
import { KernelError, errnoOf } from './errors.js';
import { Fd } from './fd.js';
import type { Kernel } from './kernel.js';

/** Pin the object behind `fd` at `path`, which must be on a bpffs. */
export function pinObject(kernel: Kernel, fd: Fd, path: string): void {
  const a = ATTR.obj;
  using s = kernel.scratch();
  const attr = kernel.attr(s, a.end).ptr(a.pathname, s.cstring(path)).u32(a.bpfFd, fd.value);
  kernel.bpf('OBJ_PIN', attr, `${fd.what} at ${path}`);
}

/** A new descriptor for the object pinned at `path` (BPF_OBJ_GET; file_flags BPF_F_RDONLY/BPF_F_WRONLY). */
export function getPinned(kernel: Kernel, path: string, fileFlags = 0): Fd {
  const a = ATTR.obj;
  using s = kernel.scratch();
  const attr = kernel.attr(s, a.end).ptr(a.pathname, s.cstring(path)).u32(a.fileFlags, fileFlags);
  return new Fd(kernel.sys, kernel.bpf('OBJ_GET', attr, path), `pinned object ${path}`);
}

/** The raw info struct of an object (bpf_map_info, bpf_prog_info, …), `size` bytes of it. */
export function objectInfo(kernel: Kernel, fd: Fd, size: number): DataView {
  const a = ATTR.info;
  using s = kernel.scratch();
  const info = s.alloc(size);
  const attr = kernel.attr(s, a.end).u32(a.bpfFd, fd.value).u32(a.infoLen, size).ptr(a.info, info);
  kernel.bpf('OBJ_GET_INFO_BY_FD', attr, fd.what);
  const copy = info.bytes.slice();
  return new DataView(copy.buffer);
}

function cString(view: DataView, offset: number, len: number): string {
  return cstringOf(new Uint8Array(view.buffer, view.byteOffset + offset, len));
}

/** The fields of `struct bpf_map_info` we use. */
export interface KernelMapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

export function mapInfo(kernel: Kernel, fd: Fd): KernelMapInfo {
  const v = objectInfo(kernel, fd, 104);
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), keySize: v.getUint32(8, true),
    valueSize: v.getUint32(12, true), maxEntries: v.getUint32(16, true), flags: v.getUint32(20, true),
    name: cString(v, 24, 16),
  };
}

/** The fields of `struct bpf_prog_info` we use. */
export interface KernelProgInfo {
  type: number;
  id: number;
  /** The program's tag (SHA of its instructions), hex. */
  tag: string;
  name: string;
  /** Instructions the verifier processed (0 before 5.16). */
  verifiedInsns: number;
  /** Slots of the program as the kernel rewrote it (xlated_prog_len / 8). */
  xlatedInsns: number;
}

export function progInfo(kernel: Kernel, fd: Fd): KernelProgInfo {
  const v = objectInfo(kernel, fd, 232);
  let tag = '';
  for (let i = 0; i < 8; i++) tag += v.getUint8(8 + i).toString(16).padStart(2, '0');
  return { type: v.getUint32(0, true), id: v.getUint32(4, true), tag, name: cString(v, 64, 16), verifiedInsns: v.getUint32(216, true), xlatedInsns: v.getUint32(20, true) / 8 };
}

/** BTF in the kernel (BPF_BTF_LOAD): its fd goes into map and program loads. */
export class KernelBtf implements Disposable {
  constructor(readonly fd: Fd, readonly log: string) {}

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface BtfLoadOptions {
  /** 0: no log; 1 or 2: return the BTF verifier's log (and put it in errors). */
  logLevel?: number;
}

/** Load raw BTF bytes (header, types, strings). A rejection carries the kernel's BTF log. */
export function loadBtf(kernel: Kernel, bytes: Uint8Array, options: BtfLoadOptions = {}): KernelBtf {
  const attempt = (logLevel: number, logSize: number): { fd: number; log: string; trueSize: number } => {
    const a = ATTR.btfLoad;
    using s = kernel.scratch();
    const log = logLevel ? s.alloc(logSize) : undefined;
    const attr = kernel.attr(s, a.end)
      .ptr(a.btf, s.copy(bytes))
      .u32(a.btfSize, bytes.length)
      .ptr(a.btfLogBuf, log)
      .u32(a.btfLogSize, log ? logSize : 0)
      .u32(a.btfLogLevel, logLevel);
    const fd = kernel.tryBpf('BTF_LOAD', attr);
    const text = log ? cstringOf(log.bytes) : '';
    return { fd, log: text, trueSize: attr.getU32(a.btfLogTrueSize) };
  };
  // Grow the log buffer until the whole log fits (ENOSPC says it did not).
  const withLog = (logLevel: number) => {
    let size = 64 * 1024;
    let r = attempt(logLevel, size);
    while (r.fd === -errnoOf('ENOSPC') && size < 1 << 28) {
      size = Math.max(size * 4, r.trueSize + 1);
      r = attempt(logLevel, size);
    }
    return r;
  };
  const level = options.logLevel ?? 0;
  let r = level ? withLog(level) : attempt(0, 0);
  // Without a log, ask again with one so that the error carries the kernel's reason.
  if (r.fd < 0 && level === 0) {
    const again = withLog(1);
    r = again.fd >= 0 ? again : { ...r, log: again.log };
  }
  if (r.fd < 0) {
    const last = r.log.trim().split('\n').pop();
    throw new KernelError('BPF_BTF_LOAD', -r.fd, last ? `BTF rejected: ${last}` : undefined, { log: r.log });
  }
  return new KernelBtf(new Fd(kernel.sys, r.fd, 'BTF'), r.log);
}
