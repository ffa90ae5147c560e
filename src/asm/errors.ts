import { EbpfError } from '../internal/errors.js';

/**
 * Assembly text we cannot read. `message` says what was expected and what
 * was found; the place is in `line` and `column` (1-based, counted in the
 * text given to `assemble`) and `file` when the caller named one, so a
 * caller that prints `file:line:column: message` does not repeat it.
 */
export class AsmError extends EbpfError {
  readonly line: number;
  readonly column: number;
  readonly file: string | undefined;

  constructor(message: string, line: number, column: number, file?: string) {
    super('EASM', message);
    this.line = line;
    this.column = column;
    this.file = file;
  }
}
