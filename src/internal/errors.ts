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
