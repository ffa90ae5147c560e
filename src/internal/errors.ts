/**
 * The one error base of the project. Every error we raise on bad input is an
 * EbpfError with a stable `code`, so callers (and the CLI) can tell failures
 * apart without parsing messages.
 */
export class EbpfError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Prefix an error's message with the step that failed ("load maps: …"), keeping its type and code. */
export function wrapError<E extends Error>(context: string, err: E): E {
  err.message = `${context}: ${err.message}`;
  return err;
}

/**
 * A program the verifier rejected: ours or the kernel's. Keeps the whole log
 * and the failing instruction, and summarises the rejection in a line or two
 * (the log's last lines), as cilium/ebpf does.
 */
export class VerifierError extends EbpfError {
  /** Index of the instruction the verifier stopped at, when known. */
  readonly insn: number | undefined;
  readonly log: string;
  readonly summary: string;

  constructor(message: string, options: { insn?: number; log?: string; summary?: string; cause?: unknown } = {}) {
    super('EVERIFIER', message, { cause: options.cause });
    this.insn = options.insn;
    this.log = options.log ?? '';
    this.summary = options.summary ?? message;
  }
}

/**
 * An object file (ELF, BTF, .BTF.ext) we cannot load: says which section and
 * which byte offset in it, as in "section .maps, offset 0x38: symbol index 99
 * out of range (57 symbols)".
 */
export class LoadError extends EbpfError {
  readonly section: string;
  readonly offset: number;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(section: string, offset: number, reason: string, options?: { cause?: unknown }) {
    super('ELOAD', `section ${section || '<none>'}, offset 0x${Math.max(0, offset).toString(16)}: ${reason}`, options);
    this.section = section;
    this.offset = offset;
    this.reason = reason;
  }
}
