/**
 * How the `ebpf` command reports failure: one line on stderr, a non-zero exit
 * code, and a stack trace only with --debug. Errors that know where they
 * happened print as `file:line:col: message`.
 */
import { EbpfError } from '../internal/errors.js';

/** Exit codes: 1 for a failed run or check, 2 for bad usage or input that cannot be read. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A wrong command line: unknown option, missing argument, bad value. */
export class UsageError extends EbpfError {
  constructor(message: string) {
    super('EUSAGE', message);
  }
}

/** Wraps an error with the input file it came from, so the one-line report can name it. */
export class InputError extends EbpfError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(file: string, cause: Error & { line?: number; column?: number }, lineOffset = 0) {
    super(cause instanceof EbpfError ? cause.code : 'EINPUT', cause.message, { cause });
    this.file = file;
    this.line = cause.line === undefined ? undefined : cause.line + lineOffset;
    this.column = cause.column;
  }
}

/** The one line that describes `err` to a user; `withFile: false` leaves out the file name (when the caller prints it). */
export function describeError(err: unknown, { withFile = true } = {}): string {
  if (err instanceof InputError) {
    const where = [withFile ? err.file : undefined, err.line, err.line !== undefined ? err.column : undefined]
      .filter((p) => p !== undefined).join(':');
    return where ? `${where}: ${err.message}` : err.message;
  }
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}

/** Exit code for an error that ended a command: input that cannot be read or assembled is a usage error. */
export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError || err instanceof InputError ? EXIT_USAGE : EXIT_FAILURE;
}
