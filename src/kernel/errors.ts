/**
 * Errors of the kernel backend: a failed syscall names its command and the
 * errno the kernel gave; an unavailable kernel says why in one line.
 */
import { constants } from 'node:os';
import { EbpfError } from '../internal/errors.js';

/**
 * Errno values the kernel returns that libc does not name: they leak out of
 * the kernel's internals (include/linux/errno.h), and bpf(2) does return
 * ENOTSUPP for some unsupported features.
 */
const KERNEL_INTERNAL_ERRNO: Record<number, string> = {
  512: 'ERESTARTSYS',
  513: 'ERESTARTNOINTR',
  514: 'ERESTARTNOHAND',
  515: 'ENOIOCTLCMD',
  516: 'ERESTART_RESTARTBLOCK',
  517: 'EPROBE_DEFER',
  518: 'EOPENSTALE',
  519: 'ENOPARAM',
  521: 'EBADHANDLE',
  522: 'ENOTSYNC',
  523: 'EBADCOOKIE',
  524: 'ENOTSUPP',
  525: 'ETOOSMALL',
  526: 'ESERVERFAULT',
  527: 'EBADTYPE',
  528: 'EJUKEBOX',
  529: 'EIOCBQUEUED',
  530: 'ERECALLCONFLICT',
};

/** The kernel's spelling where libc has two names for one number. */
const PREFERRED = new Set(['EAGAIN', 'EOPNOTSUPP', 'EDEADLK']);

/** `EINVAL` for 22, from the running platform's errno table; `E123` when unnamed. */
export function errnoName(errno: number): string {
  let found: string | undefined;
  for (const [name, value] of Object.entries(constants.errno)) {
    if (value !== errno) continue;
    if (found === undefined || PREFERRED.has(name)) found = name;
  }
  return found ?? KERNEL_INTERNAL_ERRNO[errno] ?? `E${errno}`;
}

/** The errno number of a name such as `ENOENT` (for comparisons in callers and tests). */
export function errnoOf(name: string): number {
  const n = (constants.errno as Record<string, number>)[name];
  if (n !== undefined) return n;
  const internal = Object.entries(KERNEL_INTERNAL_ERRNO).find(([, v]) => v === name);
  if (!internal) throw new EbpfError('EERRNO', `unknown errno name ${name}`);
  return Number(internal[0]);
}

/** A syscall the kernel refused: `BPF_MAP_CREATE: EINVAL (22)`. */
export class KernelError extends EbpfError {
  readonly errno: number;
  readonly errnoName: string;
  /** The command or syscall that failed (`BPF_PROG_LOAD`, `perf_event_open`). */
  readonly command: string;
  /** The kernel's log for the call, when it keeps one (BPF_BTF_LOAD). */
  readonly log: string;

  constructor(command: string, errno: number, detail?: string, options?: { cause?: unknown; log?: string }) {
    const name = errnoName(errno);
    super('EKERNEL', `${command}: ${name} (${errno})${detail ? `: ${detail}` : ''}`, { cause: options?.cause });
    this.errno = errno;
    this.errnoName = name;
    this.command = command;
    this.log = options?.log ?? '';
  }
}

/** The kernel backend cannot be used here; `reason` is one line saying why. */
export class KernelUnavailableError extends EbpfError {
  readonly reason: string;

  constructor(reason: string) {
    super('ENOKERNEL', `kernel backend unavailable: ${reason}`);
    this.reason = reason;
  }
}

/** A call the backend refuses before reaching the kernel: a wrong key size, an unknown type name. */
export class KernelArgumentError extends EbpfError {
  constructor(message: string) {
    super('EKERNELARG', message);
  }
}
