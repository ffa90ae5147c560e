import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_NOEXIST, ELEM, HashMap, htabMapHash,
} from '../../src/maps/index.js';
import { bytes, hex, keysOf, readU32, registry, throwsErrno, u32 } from './util.js';

/** Keys 0, 1, 2… whose u32 hash lands in `bucket` of `nBuckets`. */
function keysInBucket(bucket: number, nBuckets: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; out.length < n; i++) {
    if ((htabMapHash(u32(i), 0, 4, 0) & (nBuckets - 1)) === bucket) out.push(u32(i));
  }
  return out;
}

test('hash: insert, replace, delete with the update flags and their errors', () => {
  const map = registry().create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 2 });
  throwsErrno(() => map.update(u32(1), u32(10), BPF_EXIST), 'ENOENT');
  map.update(u32(1), u32(10), BPF_NOEXIST);
  throwsErrno(() => map.update(u32(1), u32(11), BPF_NOEXIST), 'EEXIST');
  map.update(u32(1), u32(11), BPF_EXIST);
  assert.equal(readU32(map.lookup(u32(1))!), 11);
  throwsErrno(() => map.update(u32(1), u32(0), 3), 'EINVAL');
  throwsErrno(() => map.update(u32(1), u32(0), BPF_F_LOCK), 'EINVAL', 'BPF_MAP_UPDATE_ELEM');
  map.delete(u32(1));
  throwsErrno(() => map.delete(u32(1)), 'ENOENT', 'BPF_MAP_DELETE_ELEM');
  assert.equal(map.lookup(u32(1)), undefined);
});

test('hash: a full map refuses new keys with E2BIG but still replaces existing ones (with and without prealloc)', () => {
  for (const flags of [0, BPF_F_NO_PREALLOC]) {
    const map = registry({ nrCpus: 2 }).create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 3, flags }) as HashMap;
    for (let i = 0; i < 3; i++) map.update(u32(i), u32(i));
    throwsErrno(() => map.update(u32(9), u32(9)), 'E2BIG');
    for (let round = 0; round < 5; round++) map.update(u32(round % 3), u32(100 + round));
    assert.equal(map.count(), 3);
    map.delete(u32(0));
    map.update(u32(9), u32(9));
    assert.deepEqual([...map.entries()].map(([k, v]) => [readU32(k), readU32(v)]).sort((a, b) => a[0] - b[0]), [[1, 104], [2, 102], [9, 9]]);
  }
});

test('hash: a bucket lists its newest element first, and a replaced element becomes the newest', () => {
  const map = registry().create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
  const [a, b, c] = keysInBucket(2, 4, 3);
  map.update(a, u32(1));
  map.update(b, u32(2));
  map.update(c, u32(3));
  assert.deepEqual(keysOf(map), [c, b, a].map(hex));
  map.update(a, u32(4));
  assert.deepEqual(keysOf(map), [a, c, b].map(hex));
  assert.equal(hex(map.nextKey(b)), 'undefined', 'the last key has no next');
  assert.equal(hex(map.nextKey(u32(999))), hex(a), 'a missing key restarts from the first');
});

test('hash: the bucket a key lands in is jhash2 (or jhash) of it, seed 0, masked to the buckets', () => {
  const map = registry().create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 5 }) as HashMap;
  assert.equal(map.nBuckets, 8);
  const reg = map.host;
  map.update(u32(7), u32(70));
  const bucket = htabMapHash(u32(7), 0, 4, 0) & 7;
  const elem = reg.mem.get(map.storage + bucket * 8);
  assert.notEqual(elem, 0);
  assert.equal(reg.mem.get(elem + ELEM.hash), htabMapHash(u32(7), 0, 4, 0));
  assert.equal(readU32(reg.mem.u8.slice(elem + map.valueOffset, elem + map.valueOffset + 4)), 70);
});

test('hash: lookupAndDelete returns and removes; hash of maps refuses it', () => {
  const map = registry().create({ type: 'hash', keySize: 2, valueSize: 3, maxEntries: 4 });
  map.update(bytes(1, 2), bytes(7, 8, 9));
  assert.equal(hex(map.lookupAndDelete(bytes(1, 2))), '070809');
  assert.equal(map.lookupAndDelete(bytes(1, 2)), undefined);
  throwsErrno(() => map.lookupAndDelete(bytes(1, 2), 1), 'EINVAL');
});

test('hash: batches are whole buckets; a bucket larger than the room left ends the batch, or is ENOSPC when first', () => {
  const map = registry().create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 });
  const [a, b, c] = keysInBucket(1, 4, 3);
  const [d] = keysInBucket(3, 4, 1);
  for (const [i, k] of [a, b, c, d].entries()) map.update(k, u32(i));
  throwsErrno(() => map.lookupBatch({ count: 2 }), 'ENOSPC', 'BPF_MAP_LOOKUP_BATCH');
  const first = map.lookupBatch({ count: 3 });
  assert.deepEqual(first.keys.map(hex), [c, b, a].map(hex));
  assert.equal(readU32(first.cursor!), 3, 'the cursor is the bucket that did not fit (empty ones skipped)');
  const second = map.lookupAndDeleteBatch({ count: 3, cursor: first.cursor });
  assert.deepEqual(second.keys.map(hex), [hex(d)]);
  assert.equal(second.cursor, undefined);
  assert.deepEqual(keysOf(map), [c, b, a].map(hex));
  assert.equal(map.deleteBatch([a, b]), 2);
  throwsErrno(() => map.deleteBatch([c, d]), 'ENOENT');
  assert.deepEqual(keysOf(map), []);
  assert.deepEqual(map.lookupBatch({ cursor: u32(4) }), { keys: [], values: [], cursor: undefined });
  throwsErrno(() => map.lookupBatch({ flags: 1 }), 'EINVAL');
});

test('percpu_hash: userspace writes every CPU slot; a program update writes its own and zeroes the others on insert', () => {
  const reg = registry({ nrCpus: 2 });
  const map = reg.create({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 2 }) as HashMap;
  map.update(u32(1), bytes(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
  const scratch = reg.alloc('scratch', 16);
  reg.mem.u8.set(u32(2), scratch);
  reg.mem.u8.set(bytes(9, 9, 9, 9), scratch + 4);
  assert.equal(map.updateElem(scratch, scratch + 4, 0, 1), 0);
  assert.equal(hex(map.lookup(u32(2))), '00000000000000000909090900000000');
  reg.mem.u8.set(u32(1), scratch);
  assert.equal(map.updateElem(scratch, scratch + 4, BPF_EXIST, 0), 0);
  assert.equal(hex(map.lookup(u32(1))), '09090909000000000200000000000000');
  const slot1 = map.lookupElem(scratch, 1);
  assert.equal(readU32(reg.mem.u8.slice(slot1, slot1 + 4)), 2);
  assert.equal(map.lookupPercpuElem(scratch, 0), slot1 - 8);
  assert.equal(map.lookupPercpuElem(scratch, 2), 0, 'no such CPU');
});

test('hash with a bpf_spin_lock: BPF_F_LOCK updates an element in place (it keeps its place in the bucket)', () => {
  const map = registry().create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, spinLockOffset: 0 });
  map.update(u32(1), bytes(0, 0, 0, 0, 5, 5, 5, 5), BPF_F_LOCK);
  map.update(u32(1), bytes(7, 7, 7, 7, 6, 6, 6, 6), BPF_F_LOCK | BPF_EXIST);
  assert.equal(hex(map.lookup(u32(1), BPF_F_LOCK)), '0000000006060606');
  throwsErrno(() => map.update(u32(1), new Uint8Array(8), BPF_F_LOCK | BPF_NOEXIST), 'EEXIST');
  throwsErrno(() => map.update(u32(2), new Uint8Array(8), BPF_F_LOCK), 'E2BIG');
});

test('hash keys of any size hash with jhash over bytes', () => {
  const map = registry().create({ type: 'hash', keySize: 7, valueSize: 1, maxEntries: 64 });
  for (let i = 0; i < 64; i++) map.update(bytes(i, i, i, i, i, i, 255 - i), bytes(i));
  assert.equal([...map.keys()].length, 64);
  for (let i = 0; i < 64; i++) assert.equal(map.lookup(bytes(i, i, i, i, i, i, 255 - i))![0], i);
});
