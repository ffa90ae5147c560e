/**
 * Typed views of the runtime's linear memory for the maps, and the lock
 * every map uses to serialise its updates across workers.
 *
 * Maps live in a WebAssembly.Memory that several workers may share (a
 * SharedArrayBuffer). Every mutable word of a map is in that memory, so a
 * map opened in another worker from its descriptor address is the same map.
 *
 * The lock is a 32-bit word: 0 when free, else the owner id of the thread
 * (one `MapMemory` per thread) that holds it. Like the kernel's resilient
 * spinlock (rqspinlock) it never hangs: taking a lock the caller already
 * holds is -EDEADLK at once, and waiting longer than two seconds for
 * another thread is -ETIMEDOUT.
 */
import { ERRNO } from './errors.js';

/**
 * How long a waiter waits for another thread. The kernel's rqspinlock gives
 * up after a quarter second (RES_DEF_TIMEOUT), but its holder runs with
 * preemption off; ours is a JS thread that the OS may deschedule or its
 * garbage collector pause inside the critical section, which on a loaded
 * machine takes longer than that: a timeout must mean a deadlock, not a
 * busy machine.
 */
const LOCK_TIMEOUT_MS = 2000;
/** CAS attempts before a waiter starts sleeping between attempts. */
const SPINS = 128;
/** How long (ms) a waiter sleeps between attempts once it stops spinning. */
const NAP_MS = 0.05;

export class MapMemory {
  readonly memory: WebAssembly.Memory;
  /** Whether other threads can see this memory (SharedArrayBuffer). */
  readonly shared: boolean;
  /** This thread's lock owner id (never 0). */
  readonly owner: number;
  u8!: Uint8Array;
  dv!: DataView;
  i32!: Int32Array;
  u32!: Uint32Array;
  i64!: BigInt64Array;
  private canWait: boolean | undefined;

  constructor(memory: WebAssembly.Memory, owner: number) {
    this.memory = memory;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.owner = owner;
    this.remap();
  }

  /** Re-read the memory's buffer when it grew; call at the start of every operation. */
  refresh(): this {
    const buf = this.memory.buffer;
    if (this.u8.buffer !== buf || this.u8.byteLength !== buf.byteLength) this.remap();
    return this;
  }

  private remap(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.i64 = new BigInt64Array(buf);
  }

  /** The aligned u32 at `addr`. */
  get(addr: number): number {
    return this.u32[addr >>> 2];
  }

  set(addr: number, value: number): void {
    this.u32[addr >>> 2] = value;
  }

  /** Take the lock word at `addr` (4-aligned): 0, or -EDEADLK / -ETIMEDOUT. */
  lock(addr: number): number {
    const i = addr >>> 2, a = this.i32, me = this.owner;
    let seen = Atomics.compareExchange(a, i, 0, me);
    if (seen === 0) return 0;
    if (seen === me || !this.shared) return -ERRNO.EDEADLK;
    const deadline = performance.now() + LOCK_TIMEOUT_MS;
    for (let spin = 0; ; spin++) {
      if (spin >= SPINS) {
        if (performance.now() > deadline) return -ERRNO.ETIMEDOUT;
        this.nap(i, seen);
      }
      seen = Atomics.compareExchange(a, i, 0, me);
      if (seen === 0) return 0;
    }
  }

  /** Release a lock taken with `lock`. */
  unlock(addr: number): void {
    Atomics.store(this.i32, addr >>> 2, 0);
  }

  /**
   * Take the `struct bpf_spin_lock` of a map value at `addr`: 0 when free,
   * 1 when held — the protocol of the bpf_spin_lock helper, whose holder is
   * a program rather than a thread. 0, -EDEADLK (held, and no other thread
   * can release it) or -ETIMEDOUT.
   */
  lockValue(addr: number): number {
    const i = addr >>> 2, a = this.i32;
    if (Atomics.compareExchange(a, i, 0, 1) === 0) return 0;
    if (!this.shared) return -ERRNO.EDEADLK;
    const deadline = performance.now() + LOCK_TIMEOUT_MS;
    for (let spin = 0; Atomics.compareExchange(a, i, 0, 1) !== 0; spin++) {
      if (spin >= SPINS) {
        if (performance.now() > deadline) return -ERRNO.ETIMEDOUT;
        this.nap(i, 1);
      }
    }
    return 0;
  }

  /** Release a value's spin lock, waking a thread that sleeps on it. */
  unlockValue(addr: number): void {
    Atomics.store(this.i32, addr >>> 2, 0);
    if (this.shared) Atomics.notify(this.i32, addr >>> 2, 1);
  }

  /** Sleep briefly while the word still holds `seen`; threads that may not block (a browser's main thread) spin. */
  private nap(i: number, seen: number): void {
    if (this.canWait === undefined) {
      try {
        Atomics.wait(this.i32, i, seen + 1, 0);
        this.canWait = true;
      } catch {
        this.canWait = false;
      }
    }
    if (this.canWait) Atomics.wait(this.i32, i, seen, NAP_MS);
  }
}

export const round8 = (n: number): number => (n + 7) & ~7;
export const isPowerOf2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** roundup_pow_of_two for n ≤ 2^31. */
export function roundupPowerOf2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The little-endian u32 at `at` of `b` (keys and values are bytes, at any alignment). */
export const u32At = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/** Four little-endian bytes of `n`. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
