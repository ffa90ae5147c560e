/**
 * Doing something inside another network namespace: an XDP or tc link names
 * its interface by ifindex, which the kernel resolves in the namespace of
 * the calling thread. setns(2) moves only the calling thread, so the rest of
 * the process (libuv's threads) never leaves its namespace.
 */
import { closeSync, openSync } from 'node:fs';
import { KernelArgumentError, KernelError } from './errors.js';
import type { Kernel } from './kernel.js';

const CLONE_NEWNET = 0x40000000;

/**
 * Run `fn` with this thread in the network namespace at `path`
 * (`/run/netns/NAME` as `ip netns add` makes them), and come back even when
 * it throws. `fn` must be synchronous: an await would run elsewhere.
 */
export function inNetns<T>(kernel: Kernel, path: string, fn: () => T): T {
  let target: number;
  try {
    target = openSync(path, 'r');
  } catch (err) {
    throw new KernelArgumentError(`cannot open network namespace ${path}: ${(err as Error).message}`);
  }
  const home = openSync('/proc/thread-self/ns/net', 'r');
  try {
    const ret = kernel.sys.syscall('setns', [target, CLONE_NEWNET]);
    if (ret < 0) throw new KernelError('setns', -ret, path);
    try {
      return fn();
    } finally {
      const back = kernel.sys.syscall('setns', [home, CLONE_NEWNET]);
      if (back < 0) throw new KernelError('setns', -back, 'returning to the original network namespace');
    }
  } finally {
    closeSync(home);
    closeSync(target);
  }
}
