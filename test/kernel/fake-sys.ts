/**
 * A scripted `Syscalls` for tests without a kernel: memory from `alloc` is
 * plain JS memory at made-up addresses, so a handler can read the attr the
 * backend built and write back what the kernel would.
 */
import type { NativeMemory, SyscallName, Syscalls } from '../../src/kernel/index.js';

export type Handler = (name: SyscallName, args: readonly bigint[], sys: FakeSys) => number;

export class FakeSys implements Syscalls {
  private nextAddress = 0x10000n;
  /** Live allocations by address. */
  readonly live = new Map<bigint, Uint8Array>();
  readonly calls: { name: SyscallName; args: bigint[] }[] = [];

  constructor(public handler: Handler) {}

  syscall(name: SyscallName, args: readonly (number | bigint)[]): number {
    const big = args.map((a) => BigInt(a));
    this.calls.push({ name, args: big });
    return this.handler(name, big, this);
  }

  alloc(size: number): NativeMemory {
    const bytes = new Uint8Array(size);
    const address = this.nextAddress;
    this.nextAddress += BigInt(Math.ceil((size + 1) / 16) * 16 + 16);
    this.live.set(address, bytes);
    return { address, bytes };
  }

  free(mem: NativeMemory): void {
    if (!this.live.delete(mem.address)) throw new Error(`free of ${mem.address}: not allocated`);
  }

  /** The allocation that starts at `address`. */
  bytesAt(address: bigint): Uint8Array {
    const bytes = this.live.get(address);
    if (!bytes) throw new Error(`no allocation at ${address}`);
    return bytes;
  }

  view(address: bigint): DataView {
    const b = this.bytesAt(address);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  cstring(address: bigint): string {
    const b = this.bytesAt(address);
    const end = b.indexOf(0);
    return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
  }

  /** The bpf(2) calls, by command number. */
  bpfCalls(cmd: number): bigint[][] {
    return this.calls.filter((c) => c.name === 'bpf' && c.args[0] === BigInt(cmd)).map((c) => c.args);
  }
}
