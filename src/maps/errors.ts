/**
 * The errors of map operations. A map refuses an operation exactly as the
 * kernel's map does, with the kernel's errno: `MapError` carries its name
 * and number (`ENOENT`, 2), so that results compare one to one with the
 * kernel backend's `KernelError`.
 */
import { EbpfError } from '../internal/errors.js';

/** The errno numbers the kernel's map code returns (include/uapi/asm-generic/errno*.h, include/linux/errno.h). */
export const ERRNO = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EDEADLK: 35,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  /** The kernel-internal "operation not supported" that bpf(2) leaks for map commands a type lacks. */
  ENOTSUPP: 524,
});

export type ErrnoName = keyof typeof ERRNO;

const NAMES = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

/** `ENOENT` for 2; `E<n>` for a number outside the map code's set. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/**
 * A map operation the map refused: `BPF_MAP_UPDATE_ELEM: EEXIST (17): map
 * counters`. `code` is the errno name, so callers can switch on it.
 */
export class MapError extends EbpfError {
  readonly errno: number;
  readonly errnoName: string;
  /** The command that failed, named as the bpf(2) command (`BPF_MAP_LOOKUP_BATCH`). */
  readonly command: string;
  /** For batch commands: how many elements were processed before the error (the kernel's `batch.count`). */
  readonly count: number | undefined;

  constructor(command: string, errno: number, detail?: string, count?: number) {
    const name = errnoName(errno);
    super(name, `${command}: ${name} (${errno})${detail ? `: ${detail}` : ''}`);
    this.errno = errno;
    this.errnoName = name;
    this.command = command;
    this.count = count;
  }
}
