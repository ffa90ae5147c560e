/**
 * bpf_spin_lock / bpf_spin_unlock on the 4-byte `struct bpf_spin_lock` in a
 * map value: a compare-and-swap on the lock word of the runtime's memory,
 * so programs on several workers sharing the memory exclude each other.
 *
 * The verifier lets a program hold one lock at a time and never exit
 * holding it; an unverified program that breaks those rules gets a
 * RuntimeError instead of a hang, and a waiter gives up with a
 * RuntimeError after LOCK_TIMEOUT_MS.
 */
import { argAccess, type HelperContext } from './context.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_spin_lock = 93;
export const BPF_FUNC_spin_unlock = 94;

/** How long a waiter may wait for a lock before it is a RuntimeError. */
export const LOCK_TIMEOUT_MS = 1000;
/** CAS attempts before a waiter starts sleeping between attempts. */
const SPINS = 256;
const LOCKED = 1;

const hex = (n: number) => `0x${n.toString(16)}`;

function lockWord(ctx: HelperContext, lock: bigint, helper: string): { i32: Int32Array; index: number; at: number } {
  const at = argAccess(ctx, `${helper}: r1 (lock)`, lock, 4, true);
  if (at % 4 !== 0) throw new RuntimeError(`${helper}: struct bpf_spin_lock at ${hex(at)} is not 4-byte aligned`, { addr: lock });
  return { i32: new Int32Array(ctx.space.memory.buffer), index: at >>> 2, at };
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
function canWait(i32: Int32Array, index: number): boolean {
  try {
    Atomics.wait(i32, index, ~Atomics.load(i32, index), 0);
    return true;
  } catch {
    return false;
  }
}

/** long bpf_spin_lock(struct bpf_spin_lock *lock): 0, once the lock is ours. */
function spinLock(ctx: HelperContext, lock: bigint): bigint {
  const { i32, index, at } = lockWord(ctx, lock, 'bpf_spin_lock');
  if (ctx.heldLocks.has(at)) throw new RuntimeError(`bpf_spin_lock: the program already holds the lock at ${hex(at)}`, { addr: lock });
  if (ctx.heldLocks.size > 0) {
    throw new RuntimeError(`bpf_spin_lock: the program holds the lock at ${hex([...ctx.heldLocks][0])}; one lock at a time`, { addr: lock });
  }
  if (Atomics.compareExchange(i32, index, 0, LOCKED) !== 0) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && ctx.space.memory.buffer instanceof SharedArrayBuffer;
    if (!shared) throw new RuntimeError(`bpf_spin_lock: the lock at ${hex(at)} is taken and the memory is not shared: nobody can release it`, { addr: lock });
    const deadline = performance.now() + LOCK_TIMEOUT_MS;
    let sleep: boolean | undefined;
    for (let spin = 1; Atomics.compareExchange(i32, index, 0, LOCKED) !== 0; spin++) {
      if (spin < SPINS) continue;
      if (performance.now() > deadline) {
        throw new RuntimeError(`bpf_spin_lock: the lock at ${hex(at)} stayed taken for ${LOCK_TIMEOUT_MS} ms`, { addr: lock });
      }
      sleep ??= canWait(i32, index);
      if (sleep) Atomics.wait(i32, index, LOCKED, 1);
    }
  }
  ctx.heldLocks.add(at);
  return 0n;
}

/** long bpf_spin_unlock(struct bpf_spin_lock *lock): 0; the lock must be one this program holds. */
function spinUnlock(ctx: HelperContext, lock: bigint): bigint {
  const { i32, index, at } = lockWord(ctx, lock, 'bpf_spin_unlock');
  if (!ctx.heldLocks.delete(at)) throw new RuntimeError(`bpf_spin_unlock: the program does not hold the lock at ${hex(at)}`, { addr: lock });
  Atomics.store(i32, index, 0);
  Atomics.notify(i32, index, 1);
  return 0n;
}

/**
 * Give back the locks a run still holds when it ends (a program the
 * verifier would refuse): returns their addresses so the engine can
 * report them.
 */
export function releaseHeldLocks(ctx: HelperContext): number[] {
  const held = [...ctx.heldLocks];
  const i32 = new Int32Array(ctx.space.memory.buffer);
  for (const at of held) {
    Atomics.store(i32, at >>> 2, 0);
    Atomics.notify(i32, at >>> 2, 1);
  }
  ctx.heldLocks.clear();
  return held;
}

export function lockHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_spin_lock, name: 'bpf_spin_lock', fn: spinLock },
    { id: BPF_FUNC_spin_unlock, name: 'bpf_spin_unlock', fn: spinUnlock },
  ];
}
