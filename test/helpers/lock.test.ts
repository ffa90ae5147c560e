import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../../src/helpers/index.js';
import { ArrayMap, MapRegistry } from '../../src/maps/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Bench } from './util.js';

/** Value: struct { struct bpf_spin_lock lock; u32 pad; u64 counter; }; one increment under the lock, with a slow read-modify-write. */
const increment = `
  r6 = r1
  r1 = r6
  call bpf_spin_lock
  r2 = *(u64 *)(r6 + 8)
  r3 = 20
spin:
  r3 -= 1
  if r3 != 0 goto spin
  r2 += 1
  *(u64 *)(r6 + 8) = r2
  r1 = r6
  call bpf_spin_unlock
  r0 = 0
  exit`;

test('spin lock: lock and unlock; the verifier\'s rules as RuntimeErrors instead of hangs', () => {
  const b = new Bench();
  const value = b.region(16);
  assert.equal(b.run(increment, { r1: BigInt(value) }), 0n);
  assert.equal(b.u64(value + 8), 1n);
  assert.equal(b.space.view.getUint32(value, true), 0);
  const is = (text: string) => (e: unknown) => e instanceof RuntimeError && e.message.includes(text);
  const hex = `0x${value.toString(16)}`;
  assert.throws(() => b.run('r6 = r1\ncall bpf_spin_lock\nr1 = r6\ncall bpf_spin_lock\nexit', { r1: BigInt(value) }),
    is(`pc 3: bpf_spin_lock: the program already holds the lock at ${hex}`));
  assert.equal(b.space.view.getUint32(value, true), 0, 'a failed run gives its locks back');
  assert.throws(() => b.run('r6 = r1\ncall bpf_spin_lock\nr1 = r6\nr1 += 4\ncall bpf_spin_lock\nexit', { r1: BigInt(value) }),
    is(`bpf_spin_lock: the program holds the lock at ${hex}; one lock at a time`));
  assert.throws(() => b.run('call bpf_spin_unlock\nexit', { r1: BigInt(value) }), is(`pc 0: bpf_spin_unlock: the program does not hold the lock at ${hex}`));
  assert.throws(() => b.run('call bpf_spin_lock\nexit', { r1: BigInt(value) }), is(`pc 1: the program exited holding the bpf_spin_lock at ${hex} (released)`));
  assert.equal(b.space.view.getUint32(value, true), 0);
  assert.throws(() => b.run('r1 += 2\ncall bpf_spin_lock\nexit', { r1: BigInt(value) }), is('is not 4-byte aligned'));
  assert.throws(() => b.run('r1 = 0\ncall bpf_spin_lock\nexit'), is('bpf_spin_lock: r1 (lock): invalid write of 4 bytes at 0x0'));
  // Taken by someone else in memory no other thread can see: nobody could release it.
  b.space.view.setUint32(value, 1, true);
  assert.throws(() => b.run(increment, { r1: BigInt(value) }), is('the memory is not shared: nobody can release it'));
});

test('spin lock: workers on a shared memory increment one map value under its lock without losing an update', async () => {
  const space = new AddressSpace({ shared: true });
  const registry = new MapRegistry(space);
  const map = registry.create({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, spinLockOffset: 0 }) as ArrayMap;
  const value = map.valueAddress(0);
  // Enough iterations that unlocked increments from these workers do lose updates.
  const workers = 3, iterations = 5000;
  const stacks = Array.from({ length: workers }, (_, k) => space.alloc(`stack:${k}`, 8192, 'stack'));
  const regions = space.regions().map((r) => ({ ...r }));
  const url = new URL('./lock-worker.js', import.meta.url);
  await Promise.all(Array.from({ length: workers }, (_, worker) => new Promise<void>((resolve, reject) => {
    const w = new Worker(url, { workerData: { memory: space.memory, regions, worker, program: increment, value, iterations } });
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${worker} exited with ${code}`))));
  })));
  assert.equal(space.view.getBigUint64(value + 8, true), BigInt(workers * iterations));
  assert.equal(space.view.getUint32(value, true), 0);
  for (const s of stacks) space.release(s);
});
