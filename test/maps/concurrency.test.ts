/**
 * Workers sharing one AddressSpace update the same hash, per-CPU hash and
 * LRU hash at once: no update is lost, no element torn, no structure broken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { AddressSpace } from '../../src/memory/index.js';
import { HashMap, MapRegistry } from '../../src/maps/index.js';
import type { ConcurrencyTask } from './concurrency-worker.js';
import { readU32, u32 } from './util.js';

const WORKERS = 4;
const COUNT = 200;
const SHARED = 16;
const ROUNDS = 30;

function runWorker(task: ConcurrencyTask): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./concurrency-worker.js', import.meta.url), { workerData: task });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

test('workers updating a hash, a per-CPU hash and an LRU hash at once lose nothing', async () => {
  const space = new AddressSpace({ shared: true });
  const registry = new MapRegistry(space, { nrCpus: WORKERS });
  const hash = registry.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: SHARED + WORKERS * COUNT }) as HashMap;
  const percpu = registry.create({ type: 'percpu_hash', keySize: 4, valueSize: 8, maxEntries: SHARED }) as HashMap;
  const lru = registry.create({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: COUNT }) as HashMap;
  for (let k = 0; k < SHARED; k++) hash.update(u32(k), new Uint8Array(8));

  const failures = await Promise.all(Array.from({ length: WORKERS }, (_, cpu) => runWorker({
    shared: registry.share(), cpu, hash: hash.address, percpu: percpu.address, lru: lru.address,
    scratch: space.alloc(`scratch:${cpu}`, 64, 'data').start, own: 1000 + cpu * COUNT, count: COUNT,
    sharedKeys: SHARED, rounds: ROUNDS,
  })));
  assert.deepEqual(failures.flat(), []);

  for (let k = 0; k < SHARED; k++) {
    assert.equal(readU32(hash.lookup(u32(k))!), WORKERS * ROUNDS, `every worker's atomic adds to counter ${k}`);
    const slots = percpu.lookup(u32(k))!;
    for (let cpu = 0; cpu < WORKERS; cpu++) assert.equal(readU32(slots, cpu * 8), ROUNDS, `CPU ${cpu}'s slot of key ${k}`);
  }
  for (let cpu = 0; cpu < WORKERS; cpu++) {
    for (let i = 0; i < COUNT; i++) {
      const v = hash.lookup(u32(1000 + cpu * COUNT + i));
      assert.ok(v, `key ${1000 + cpu * COUNT + i} of worker ${cpu}`);
      assert.equal(readU32(v), i % 2 === 0 ? ROUNDS : ROUNDS - 1);
    }
  }
  assert.equal(hash.count(), SHARED + WORKERS * COUNT);
  assert.equal([...hash.keys()].length, SHARED + WORKERS * COUNT);

  const lruKeys = [...lru.keys()];
  assert.ok(lruKeys.length > 0 && lruKeys.length <= COUNT, `${lruKeys.length} LRU elements`);
  for (const k of lruKeys) assert.equal(readU32(lru.lookup(k)!), readU32(k) * 3);
  assert.equal(new Set(lruKeys.map((k) => readU32(k))).size, lruKeys.length, 'no key twice');
});
