/**
 * The verifier's log as a list of chunks. At level 1 the kernel keeps only
 * the failing path: popping a branch rewinds the log to where the branch was
 * pushed. Rewinding one long string (slice) copies it whole every time, so a
 * walk with many branches would be quadratic in its log's size; dropping
 * chunks is not.
 */
export class VerifierLog {
  private readonly chunks: string[] = [];

  /** A position to rewind to: what has been written so far. */
  get pos(): number {
    return this.chunks.length;
  }

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** The last chunk ends a line (or nothing was written). */
  get atLineStart(): boolean {
    return this.chunks.length === 0 || this.chunks[this.chunks.length - 1].endsWith('\n');
  }

  write(text: string): void {
    if (text) this.chunks.push(text);
  }

  /** Forget what was written after `pos`. */
  rewind(pos: number): void {
    this.chunks.length = pos;
  }

  /** Replace the last chunk written (a state printed after its instruction, not on a line of its own). */
  replaceLast(text: string): void {
    this.chunks[this.chunks.length - 1] = text;
  }

  toString(): string {
    return this.chunks.join('');
  }
}
