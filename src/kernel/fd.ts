/** A file descriptor the backend owns: closed once, by `close()` or `using`. */
import { EbpfError } from '../internal/errors.js';
import { KernelError } from './errors.js';
import type { Syscalls } from './sys.js';

export class FdClosedError extends EbpfError {
  constructor(what: string) {
    super('ECLOSED', `${what} is closed`);
  }
}

export class Fd implements Disposable {
  private fd: number;

  /** `what` names the object in errors ("map counters", "program xdp_count"). */
  constructor(private readonly sys: Syscalls, value: number, readonly what: string) {
    this.fd = value;
  }

  /** The descriptor number; throws FdClosedError after close. */
  get value(): number {
    if (this.fd < 0) throw new FdClosedError(this.what);
    return this.fd;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** Close the descriptor. Closing twice is allowed and does nothing. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    const ret = this.sys.syscall('close', [fd]);
    if (ret < 0) throw new KernelError('close', -ret, `${this.what} (fd ${fd})`);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
