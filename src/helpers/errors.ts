/**
 * The error every engine raises when a running program does something it may
 * not: a memory fault, an unknown helper, a call chain too deep, a spent
 * instruction budget. It lives here, below vm/ and jit/, so that both engines
 * and the helpers they call raise the same type.
 */
import { EbpfError } from '../internal/errors.js';
import { helperName } from '../platform/helper-ids.js';

export interface RuntimeErrorDetails {
  /** Index of the instruction that failed (slots, as the verifier log counts). */
  pc?: number;
  /** The address of a faulting access. */
  addr?: bigint;
  /** The size in bytes of a faulting access. */
  size?: number;
  cause?: unknown;
}

export class RuntimeError extends EbpfError {
  readonly pc: number | undefined;
  readonly addr: bigint | undefined;
  readonly size: number | undefined;
  /** The message without the `pc N: ` prefix. */
  readonly detail: string;

  constructor(detail: string, details: RuntimeErrorDetails = {}) {
    super('ERUNTIME', details.pc === undefined ? detail : `pc ${details.pc}: ${detail}`, { cause: details.cause });
    this.detail = detail;
    this.pc = details.pc;
    this.addr = details.addr;
    this.size = details.size;
  }

  /** The same error located at `pc` (helpers raise theirs without one; the engine knows where it was). */
  atPc(pc: number): RuntimeError {
    return new RuntimeError(this.detail, { pc, addr: this.addr, size: this.size, cause: this.cause });
  }
}

/**
 * The fault for an access the memory model refuses, worded as the engines
 * report it: `invalid read of 8 bytes at 0x10ff8 (no region)`.
 */
export function memoryFault(write: boolean, addr: bigint, size: number, why: string, pc?: number): RuntimeError {
  const what = `invalid ${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at 0x${BigInt.asUintN(64, addr).toString(16)}`;
  return new RuntimeError(`${what} (${why})`, { pc, addr: BigInt.asUintN(64, addr), size });
}

/**
 * A call of a helper the engine's table lacks: one of the kernel's that this
 * runtime does not implement (the verifier may well accept the call), or an
 * id the kernel does not have.
 */
export function missingHelper(id: number | bigint, pc: number): RuntimeError {
  const name = typeof id === 'number' || id <= 0xffffffffn ? helperName(Number(id)) : undefined;
  return new RuntimeError(name ? `helper ${name} (#${id}) is not implemented by this runtime` : `unknown helper #${id}`, { pc });
}
