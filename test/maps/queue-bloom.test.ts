import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_EXIST, BPF_NOEXIST, BloomFilterMap, jhash, jhash2 } from '../../src/maps/index.js';
import { bytes, readU32, registry, throwsErrno, u32 } from './util.js';

const drain = (map: { lookupAndDelete(): Uint8Array | undefined }) => {
  const out: number[] = [];
  for (let v = map.lookupAndDelete(); v; v = map.lookupAndDelete()) out.push(readU32(v));
  return out;
};

test('queue: first in, first out; full is E2BIG, BPF_EXIST drops the oldest', () => {
  const q = registry().create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 3 });
  for (const n of [1, 2, 3]) q.update(undefined, u32(n));
  throwsErrno(() => q.update(undefined, u32(4)), 'E2BIG');
  q.update(undefined, u32(4), BPF_EXIST);
  assert.equal(readU32(q.lookup()!), 2, 'peek');
  assert.deepEqual(drain(q), [2, 3, 4]);
  assert.equal(q.lookup(), undefined);
  throwsErrno(() => q.update(undefined, u32(1), BPF_NOEXIST), 'EINVAL');
  throwsErrno(() => q.lookupAndDelete(undefined, 4), 'EINVAL');
  throwsErrno(() => q.delete(new Uint8Array()), 'EINVAL');
  throwsErrno(() => q.nextKey(), 'EINVAL');
  throwsErrno(() => q.lookup(u32(0)), 'EINVAL', 'BPF_MAP_LOOKUP_ELEM');
  throwsErrno(() => q.lookupBatch(), 'ENOTSUPP');
});

test('stack: last in, first out; BPF_EXIST on a full stack drops the bottom element', () => {
  const s = registry().create({ type: 'stack', keySize: 0, valueSize: 4, maxEntries: 3 });
  for (const n of [1, 2, 3]) s.update(undefined, u32(n));
  s.update(undefined, u32(4), BPF_EXIST);
  assert.deepEqual(drain(s), [4, 3, 2]);
  for (let n = 0; n < 10; n++) s.update(undefined, u32(n), BPF_EXIST);
  assert.deepEqual(drain(s), [9, 8, 7]);
});

test('queue and stack from a program: push, pop and peek through value addresses', () => {
  const reg = registry();
  const q = reg.create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 2 });
  const at = reg.alloc('value', 4);
  reg.mem.u8.set(u32(5), at);
  assert.equal(q.pushElem(at, 0, 0), 0);
  reg.mem.u8.set(u32(6), at);
  assert.equal(q.pushElem(at, 0, 0), 0);
  assert.equal(q.pushElem(at, 0, 0), -7, 'E2BIG');
  assert.equal(q.peekElem(at, 0), 0);
  assert.equal(reg.mem.get(at), 5);
  assert.equal(q.popElem(at, 0), 0);
  assert.equal(q.popElem(at, 0), 0);
  assert.equal(reg.mem.get(at), 6);
  reg.mem.set(at, 77);
  assert.equal(q.popElem(at, 0), -2, 'ENOENT');
  assert.equal(reg.mem.get(at), 0, 'an empty pop zeroes the value, as the kernel does');
});

test('jhash and jhash2 are lookup3 (the vectors of lookup3.c driver5)', () => {
  const text = new TextEncoder().encode('Four score and seven years ago');
  assert.equal(jhash(new Uint8Array(), 0, 0, 0), 0xdeadbeef);
  assert.equal(jhash(new Uint8Array(), 0, 0, 0xdeadbeef), 0xbd5b7dde);
  assert.equal(jhash(text, 0, 30, 0), 0x17770551);
  assert.equal(jhash(text, 0, 30, 1), 0xcd628161);
  const words = bytes(1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0);
  assert.equal(jhash2(words, 0, 4, 7), jhash(words, 0, 16, 7), 'jhash2 over words is jhash over their little-endian bytes');
});

test('bloom_filter: added values test positive, others mostly negative, with the kernel bit count and hashes', () => {
  const map = registry().create({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 3n }) as BloomFilterMap;
  assert.equal(map.nrHashFuncs, 3);
  assert.equal(map.storageSize, 512 / 8, '100 * 3 / 5 * 7 = 420 bits, rounded up to 512');
  for (let i = 0; i < 100; i++) map.update(undefined, u32(i * 7919));
  for (let i = 0; i < 100; i++) assert.equal(map.has(u32(i * 7919)), true);
  let falsePositives = 0;
  for (let i = 0; i < 1000; i++) if (map.has(u32(1_000_000 + i))) falsePositives++;
  assert.ok(falsePositives < 300, `${falsePositives} false positives in 1000`);
  throwsErrno(() => map.update(undefined, u32(1), BPF_EXIST), 'EINVAL');
  throwsErrno(() => map.lookupAndDelete(), 'ENOTSUPP');
  throwsErrno(() => map.nextKey(), 'EOPNOTSUPP');
  throwsErrno(() => map.delete(undefined), 'EOPNOTSUPP');
  const five = registry().create({ type: 'bloom_filter', keySize: 0, valueSize: 3, maxEntries: 1 }) as BloomFilterMap;
  assert.equal(five.nrHashFuncs, 5, 'map_extra 0 means 5 hash functions');
  assert.equal(five.storageSize, 8, 'at least 64 bits');
});
