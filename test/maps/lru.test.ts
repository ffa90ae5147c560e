/**
 * LRU eviction, worked by hand through kernel/bpf/bpf_lru_list.c and
 * checked on the running kernel.
 *
 * Common LRU, one CPU, max_entries 4: target_free = (4 / 1) / 2 = 2, so a
 * CPU takes free nodes two at a time and, once the global free list is dry,
 * evicts two at a time from the tail of the inactive list. New elements sit
 * on the CPU's pending list until the next refill flushes them (oldest
 * first) to the head of the inactive list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMap, type KernelMap } from '../../src/kernel/index.js';
import { BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, HashMap, type BpfMap } from '../../src/maps/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { pinToCpu0 } from './kernel-diff.js';
import { registry, throwsErrno, u32 } from './util.js';

const keys = (map: { keys(): Iterable<Uint8Array> }) => [...map.keys()].map((k) => String.fromCharCode(k[0])).sort().join('');
const key = (c: string) => u32(c.charCodeAt(0));
const insert = (map: BpfMap, names: string) => {
  for (const c of names) map.update(key(c), u32(0));
};

test('common LRU: a full map evicts target_free (here 2) of the oldest at a time', () => {
  const map = registry({ nrCpus: 1 }).create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4 });
  insert(map, 'ABCD');
  assert.equal(keys(map), 'ABCD');
  insert(map, 'E');
  assert.equal(keys(map), 'CDE', 'A and B, the tail of the inactive list, went together');
  insert(map, 'F');
  assert.equal(keys(map), 'CDEF', "F took the node B's eviction freed");
  insert(map, 'G');
  assert.equal(keys(map), 'EFG');
});

test('common LRU: an element a program looked up is referenced and survives the next eviction; userspace lookups do not count', () => {
  const reg = registry({ nrCpus: 1 });
  const map = reg.create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4 }) as HashMap;
  insert(map, 'ABCD');
  map.lookup(key('B'));
  const scratch = reg.alloc('key', 4);
  reg.mem.u8.set(key('A'), scratch);
  assert.notEqual(map.lookupElem(scratch, 0), 0);
  insert(map, 'E');
  assert.equal(keys(map), 'ADE', 'A moved to the active list; B and C were evicted');
});

test('common LRU: updating an existing key of a full map takes a free node first, which may evict that very key', () => {
  const map = registry({ nrCpus: 1 }).create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4 });
  insert(map, 'ABCD');
  throwsErrno(() => map.update(key('A'), u32(1), BPF_EXIST), 'ENOENT');
  assert.equal(keys(map), 'CD', 'A and B were evicted to make room, then A was gone for BPF_EXIST');
  map.update(key('C'), u32(1), BPF_EXIST);
  assert.equal(keys(map), 'CD');
});

test('BPF_F_NO_COMMON_LRU: each CPU owns max_entries / nr_cpus nodes and refills 4 at a time from its own lists', () => {
  const map = registry({ nrCpus: 2 }).create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_COMMON_LRU });
  insert(map, 'AB');
  assert.equal(keys(map), 'AB');
  insert(map, 'C');
  assert.equal(keys(map), 'C', "CPU 0 has two nodes; shrinking for C evicts both of CPU 0's elements");
  insert(map, 'DE');
  assert.equal(keys(map), 'E');
  const odd = registry({ nrCpus: 2 }).create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 3, flags: BPF_F_NO_COMMON_LRU });
  assert.equal(odd.maxEntries, 4, 'max_entries is rounded up to a multiple of the CPUs');
});

/** Scenarios of userspace commands, run on our map and the kernel's; the keys after each step must agree. */
const SCENARIOS: { name: string; maxEntries: number; flags: number; steps: string[] }[] = [
  { name: 'common LRU fills and evicts', maxEntries: 4, flags: 0, steps: ['ABCD', 'E', 'F', 'G', 'HIJK'] },
  { name: 'common LRU, larger', maxEntries: 16, flags: 0, steps: ['ABCDEFGHIJKLMNOP', 'Q', 'RSTU', 'VWXYZ'] },
  { name: 'updates of existing keys', maxEntries: 4, flags: 0, steps: ['ABCD', 'A', 'B', 'CDEF'] },
  { name: 'per-CPU lists', maxEntries: 4, flags: BPF_F_NO_COMMON_LRU, steps: ['AB', 'C', 'DE', 'FGH'] },
  { name: 'per-CPU lists, larger', maxEntries: 12, flags: BPF_F_NO_COMMON_LRU, steps: ['ABCDEF', 'GH', 'IJKL'] },
];

test('LRU evictions agree with the kernel step by step', async (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  pinToCpu0();
  const reg = registry({ nrCpus: kernel.possibleCpus() });
  for (const s of SCENARIOS) {
    await t.test(s.name, () => {
      const attr = { type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: s.maxEntries, flags: s.flags | BPF_F_ZERO_SEED };
      const theirs: KernelMap = createMap(kernel, attr);
      const ours = reg.create(attr);
      try {
        for (const step of s.steps) {
          for (const c of step) {
            theirs.update(key(c), u32(0));
            ours.update(key(c), u32(0));
          }
          assert.equal(keys(ours), keys(theirs), `after ${step}`);
        }
      } finally {
        theirs.close();
        ours.close();
      }
    });
  }
});
