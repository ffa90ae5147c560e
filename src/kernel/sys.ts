/**
 * The one door to the kernel. Every raw syscall of the backend goes through
 * `Syscalls.syscall`, and every buffer the kernel reads or writes comes from
 * `Syscalls.alloc`, so a test can hand a `Kernel` a fake and see (or script)
 * each call.
 *
 * The real implementation calls libc's `syscall(2)` through koffi (prebuilt
 * binaries in its npm package: no compiler on the user's machine). koffi is
 * loaded lazily, when `libcSyscalls()` is called, so importing this module
 * works everywhere.
 */
import { createRequire } from 'node:module';
import { KernelUnavailableError } from './errors.js';

export type SyscallName = 'bpf' | 'perf_event_open' | 'ioctl' | 'close' | 'setns';

/** Syscall numbers of the architectures we support (arch/x86/entry/syscalls, include/uapi/asm-generic/unistd.h). */
export const SYSCALL_NUMBERS: Readonly<Record<'x64' | 'arm64', Readonly<Record<SyscallName, number>>>> = {
  x64: { bpf: 321, perf_event_open: 298, ioctl: 16, close: 3, setns: 308 },
  arm64: { bpf: 280, perf_event_open: 241, ioctl: 29, close: 57, setns: 268 },
};

/** Memory both sides can see: the kernel through `address`, we through `bytes`. */
export interface NativeMemory {
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

export interface Syscalls {
  /**
   * One raw syscall with integer arguments (addresses from `alloc` as
   * bigint). Returns the result when it is ≥ 0, or -errno.
   */
  syscall(name: SyscallName, args: readonly (number | bigint)[]): number;
  /** Zero-filled memory the kernel may read and write, valid until `free`. */
  alloc(size: number): NativeMemory;
  free(mem: NativeMemory): void;
}

type Koffi = typeof import('koffi').default;

/** Load koffi without letting a missing or broken native module throw at import time. */
function loadKoffi(): Koffi {
  const require = createRequire(import.meta.url);
  try {
    const mod = require('koffi') as Koffi | { default: Koffi };
    return 'default' in mod && mod.default ? mod.default : (mod as Koffi);
  } catch (err) {
    throw new KernelUnavailableError(`koffi failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * The real syscalls, through libc. Throws KernelUnavailableError (with the
 * one-line reason) on a platform where they cannot exist.
 */
export function libcSyscalls(): Syscalls {
  if (process.platform !== 'linux') throw new KernelUnavailableError(`not Linux (platform is ${process.platform})`);
  const arch = process.arch;
  if (arch !== 'x64' && arch !== 'arm64') {
    throw new KernelUnavailableError(`architecture ${arch} is not supported (bpf(2) is wired for x64 and arm64)`);
  }
  const numbers = SYSCALL_NUMBERS[arch];
  const koffi = loadKoffi();
  let raw: (...args: (number | bigint)[]) => number | bigint;
  try {
    const libc = koffi.load('libc.so.6');
    // glibc's syscall() is variadic but only moves integer registers, so a fixed
    // seven-long prototype is call-compatible on x86-64 and aarch64.
    raw = libc.func('long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)');
  } catch (err) {
    throw new KernelUnavailableError(`libc's syscall() is not reachable through koffi: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    syscall(name, args) {
      const a = args.slice(0, 6);
      while (a.length < 6) a.push(0);
      const ret = Number(raw(numbers[name], ...a));
      return ret === -1 ? -koffi.errno() : ret;
    },
    alloc(size) {
      // Never zero bytes: koffi.alloc needs a length, and a 0-sized view still needs an address.
      const n = Math.max(1, size);
      const ptr = koffi.alloc('uint8_t', n) as bigint;
      const bytes = new Uint8Array(koffi.view(ptr, n), 0, size);
      bytes.fill(0);
      return { address: ptr, bytes };
    },
    free(mem) {
      koffi.free(mem.address);
    },
  };
}

/**
 * The buffers of one call: allocated as the attr is built, freed together
 * when the call is done (`using scratch = new Scratch(sys)`).
 */
export class Scratch {
  private readonly held: NativeMemory[] = [];

  constructor(private readonly sys: Syscalls) {}

  /** Zeroed memory of `size` bytes. */
  alloc(size: number): NativeMemory {
    const mem = this.sys.alloc(size);
    this.held.push(mem);
    return mem;
  }

  /** A copy of `bytes` the kernel can read. */
  copy(bytes: Uint8Array): NativeMemory {
    const mem = this.alloc(bytes.length);
    mem.bytes.set(bytes);
    return mem;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(text: string): NativeMemory {
    const encoded = new TextEncoder().encode(text);
    const mem = this.alloc(encoded.length + 1);
    mem.bytes.set(encoded);
    return mem;
  }

  [Symbol.dispose](): void {
    for (const mem of this.held.splice(0)) this.sys.free(mem);
  }
}
