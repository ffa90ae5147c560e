/**
 * Whether the kernel backend works here, and if not, why, in one line: the
 * CLI prints it, and tests that need the kernel skip with it.
 */
import { VerifierError } from '../internal/errors.js';
import { BPF_ALU64, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV, type Insn } from '../isa/index.js';
import { BPF_PROG_TYPE } from '../platform/index.js';
import { errnoName, errnoOf, KernelError, KernelUnavailableError } from './errors.js';
import { Kernel } from './kernel.js';
import { loadProgram } from './program.js';
import type { Syscalls } from './sys.js';

/** `r0 = 0; exit`: the program every kernel with bpf(2) accepts. */
const MINIMAL: readonly Insn[] = [
  { code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: 0 },
  { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 },
];

export type KernelStatus = { available: true } | { available: false; reason: string };

/** Why bpf(2) failed, in the user's terms. */
function explain(errno: number): string {
  const name = `${errnoName(errno)} (${errno})`;
  if (errno === errnoOf('ENOSYS')) return `bpf(2) returned ${name}: the kernel has no BPF syscall (built without CONFIG_BPF_SYSCALL?)`;
  if (errno === errnoOf('EPERM') || errno === errnoOf('EACCES')) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    return `bpf(2) returned ${name}: loading programs needs root or CAP_BPF (running as uid ${uid})`;
  }
  return `bpf(2) returned ${name} for a minimal socket filter`;
}

/**
 * Try the kernel: load `r0 = 0; exit` as a socket filter. Available when
 * that works; otherwise the reason (not Linux, koffi failed to load, ENOSYS,
 * EPERM…). Never throws.
 */
export function kernelStatus(options: { sys?: Syscalls } = {}): KernelStatus {
  let kernel: Kernel;
  try {
    kernel = Kernel.open(options);
  } catch (err) {
    if (err instanceof KernelUnavailableError) return { available: false, reason: err.reason };
    return { available: false, reason: `cannot reach the kernel: ${(err as Error).message}` };
  }
  try {
    loadProgram(kernel, { type: BPF_PROG_TYPE.SOCKET_FILTER, insns: MINIMAL }).close();
  } catch (err) {
    if (err instanceof KernelError) return { available: false, reason: explain(err.errno) };
    const cause = err instanceof VerifierError && err.cause instanceof KernelError ? err.cause : undefined;
    return { available: false, reason: cause ? explain(cause.errno) : `a minimal program does not load: ${(err as Error).message}` };
  }
  return { available: true };
}

/** A Kernel, or KernelUnavailableError carrying the one-line reason. */
export function openKernel(options: { sys?: Syscalls } = {}): Kernel {
  const status = kernelStatus(options);
  if (!status.available) throw new KernelUnavailableError(status.reason);
  return Kernel.open(options);
}
