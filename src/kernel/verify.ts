/**
 * The kernel's verdict on a program, in the shape of `ebpf verify --json`:
 * `{ accepted, processedInsns, error: { insn, message } | null, log }`.
 */
import { VerifierError } from '../internal/errors.js';
import type { Insn } from '../isa/index.js';
import { KernelError } from './errors.js';
import type { Kernel } from './kernel.js';
import { parseVerifierLog } from './log.js';
import { loadProgram, type ProgramLoadOptions } from './program.js';

export interface KernelVerdict {
  accepted: boolean;
  /** Instructions the verifier processed (the log's count, or bpf_prog_info.verified_insns). */
  processedInsns: number;
  /** Why it was rejected; `insn` is null when the kernel did not name one. */
  error: { insn: number | null; message: string } | null;
  /** The verifier's log (at least level 1 on rejection, so that the reason is in it). */
  log: string;
}

export interface KernelVerifyOptions extends Omit<ProgramLoadOptions, 'insns' | 'type'> {
  /** Default `socket_filter`. */
  type?: number | string;
}

/** Load `insns` into the kernel to get its verifier's verdict; the program is closed again. */
export function verifyOnKernel(kernel: Kernel, insns: readonly Insn[], options: KernelVerifyOptions = {}): KernelVerdict {
  try {
    using prog = loadProgram(kernel, { ...options, type: options.type ?? 'socket_filter', insns });
    const fromLog = parseVerifierLog(prog.log).processedInsns;
    return { accepted: true, processedInsns: fromLog ?? prog.info().verifiedInsns, error: null, log: prog.log };
  } catch (err) {
    if (err instanceof VerifierError) {
      const parsed = parseVerifierLog(err.log);
      return {
        accepted: false,
        processedInsns: parsed.processedInsns ?? 0,
        error: { insn: err.insn ?? null, message: err.summary },
        log: err.log,
      };
    }
    // Refused before verification (unknown program type, no privilege…): a rejection without a log.
    if (err instanceof KernelError) return { accepted: false, processedInsns: 0, error: { insn: null, message: err.message }, log: '' };
    throw err;
  }
}
