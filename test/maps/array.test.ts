import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../src/memory/index.js';
import {
  ArrayMap, MapRegistry, BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_NOEXIST,
} from '../../src/maps/index.js';
import { bytes, hex, readU32, registry, throwsErrno, u32 } from './util.js';

test('array: values start zeroed, update and lookup by index, BPF_NOEXIST is EEXIST, delete is EINVAL', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 3, maxEntries: 4, name: 'counts' });
  assert.ok(map instanceof ArrayMap);
  assert.equal(hex(map.lookup(u32(2))), '000000');
  map.update(u32(2), bytes(1, 2, 3));
  map.update(u32(2), bytes(4, 5, 6), BPF_EXIST);
  assert.equal(hex(map.lookup(u32(2))), '040506');
  throwsErrno(() => map.update(u32(1), bytes(0, 0, 0), BPF_NOEXIST), 'EEXIST', 'BPF_MAP_UPDATE_ELEM');
  throwsErrno(() => map.update(u32(4), bytes(0, 0, 0), BPF_ANY), 'E2BIG');
  throwsErrno(() => map.update(u32(0), bytes(0, 0, 0), 3), 'EINVAL');
  throwsErrno(() => map.delete(u32(0)), 'EINVAL', 'BPF_MAP_DELETE_ELEM');
  assert.equal(map.lookup(u32(4)), undefined, 'an index past the end is ENOENT');
  throwsErrno(() => map.lookupAndDelete(u32(0)), 'ENOTSUPP');
});

test('array: next key walks 0..max-1 and restarts at 0 from a missing index', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 3 });
  assert.deepEqual([...map.keys()].map((k) => readU32(k)), [0, 1, 2]);
  assert.equal(readU32(map.nextKey(u32(1))!), 2);
  assert.equal(map.nextKey(u32(2)), undefined);
  assert.equal(readU32(map.nextKey(u32(77))!), 0);
});

test('array: a value pointer aliases the map storage, as the JIT reads it', () => {
  const reg = registry();
  const map = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 }) as ArrayMap;
  map.update(u32(3), bytes(9, 8, 7, 6, 5, 4, 3, 2));
  const at = map.valueAddress(3);
  assert.equal(at, map.storage + 3 * 8);
  assert.equal(hex(reg.mem.u8.slice(at, at + 8)), '0908070605040302');
  reg.mem.u8[at] = 0xaa;
  assert.equal(hex(map.lookup(u32(3))), 'aa08070605040302');
});

test('percpu_array: userspace sees one 8-byte-rounded slot per CPU; a program sees its own', () => {
  const reg = registry({ nrCpus: 3 });
  const map = reg.create({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 2 }) as ArrayMap;
  assert.equal(map.valueBytes, 24);
  const v = Uint8Array.from({ length: 24 }, (_, i) => i);
  map.update(u32(1), v);
  assert.equal(hex(map.lookup(u32(1))), hex(v), 'the padding round-trips, as the kernel copies whole slots');
  assert.equal(map.valueAddress(1, 2), map.storage + (1 * 3 + 2) * 8);
  throwsErrno(() => map.update(u32(0), v, BPF_F_LOCK), 'EINVAL');
  throwsErrno(() => map.update(u32(0), v, BPF_NOEXIST), 'EEXIST');
  throwsErrno(() => map.update(u32(0), new Uint8Array(8)), 'EINVAL');
});

test('array: batch lookup walks with a key cursor; update batch stores, delete batches are ENOTSUPP', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 5 });
  assert.equal(map.updateBatch([u32(0), u32(4)], [u32(10), u32(14)]), 2);
  const first = map.lookupBatch({ count: 3 });
  assert.deepEqual(first.keys.map((k) => readU32(k)), [0, 1, 2]);
  assert.equal(readU32(first.cursor!), 2);
  const rest = map.lookupBatch({ count: 3, cursor: first.cursor });
  assert.deepEqual(rest.values.map((v) => readU32(v)), [0, 14]);
  assert.equal(rest.cursor, undefined, 'the walk reached the end');
  throwsErrno(() => map.lookupAndDeleteBatch(), 'ENOTSUPP');
  throwsErrno(() => map.deleteBatch([u32(0)]), 'ENOTSUPP');
  throwsErrno(() => map.updateBatch([u32(0)], [u32(0)], { elemFlags: BPF_NOEXIST }), 'EINVAL');
  throwsErrno(() => map.updateBatch([u32(1), u32(9)], [u32(1), u32(9)]), 'E2BIG');
  assert.equal(readU32(map.lookup(u32(1))!), 1, 'elements before the failing one were stored');
});

test('array with a bpf_spin_lock: BPF_F_LOCK copies around the lock, which userspace never sees', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 1, spinLockOffset: 4 });
  map.update(u32(0), bytes(1, 1, 1, 1, 9, 9, 9, 9, 2, 2, 2, 2), BPF_F_LOCK);
  assert.equal(hex(map.lookup(u32(0), BPF_F_LOCK)), '010101010000000002020202');
  map.update(u32(0), bytes(3, 3, 3, 3, 9, 9, 9, 9, 4, 4, 4, 4));
  assert.equal(hex(map.lookup(u32(0))), '030303030000000004040404');
  const plain = registry().create({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 1 });
  throwsErrno(() => plain.update(u32(0), new Uint8Array(12), BPF_F_LOCK), 'EINVAL');
  throwsErrno(() => plain.lookup(u32(0), BPF_F_LOCK), 'EINVAL');
  throwsErrno(() => map.freeze(), 'ENOTSUPP');
});

test('a held value lock makes BPF_F_LOCK fail rather than hang when no other thread can release it', () => {
  const reg = registry();
  const map = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, spinLockOffset: 0 }) as ArrayMap;
  reg.mem.set(map.valueAddress(0), 1);
  throwsErrno(() => map.update(u32(0), new Uint8Array(8), BPF_F_LOCK), 'EDEADLK');
  reg.mem.set(map.valueAddress(0), 0);
  map.update(u32(0), new Uint8Array(8), BPF_F_LOCK);
});

test('BPF_F_MMAPABLE: the values as a view of the linear memory', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 3, flags: BPF_F_MMAPABLE }) as ArrayMap;
  const view = map.mmap();
  assert.equal(view.length, 24);
  view[8] = 7;
  assert.equal(readU32(map.lookup(u32(1))!), 7);
  map.update(u32(2), u32(5));
  assert.equal(view[16], 5);
});

test('access flags: BPF_F_RDONLY refuses writes, BPF_F_WRONLY reads, freezing refuses writes; RDONLY_PROG values are read-only memory', () => {
  const space = new AddressSpace();
  const reg = new MapRegistry(space);
  const ro = reg.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY });
  throwsErrno(() => ro.update(u32(0), u32(1)), 'EPERM');
  assert.equal(readU32(ro.lookup(u32(0))!), 0);
  const wo = reg.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_WRONLY });
  throwsErrno(() => wo.lookup(u32(0)), 'EPERM');
  throwsErrno(() => wo.nextKey(), 'EPERM');
  wo.update(u32(0), u32(1));
  const frozen = reg.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  frozen.update(u32(0), u32(3));
  frozen.freeze();
  throwsErrno(() => frozen.update(u32(0), u32(1)), 'EPERM');
  throwsErrno(() => frozen.freeze(), 'EPERM');
  throwsErrno(() => ro.freeze(), 'EPERM');
  const prog = reg.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY_PROG }) as ArrayMap;
  assert.equal(space.find(prog.valueAddress(0), 4)?.writable, false, 'a program store faults in checked mode');
  assert.equal(space.find(frozen.address, 4)?.writable, false, 'descriptors are read-only to programs');
  prog.update(u32(0), u32(2));
  assert.equal(readU32(prog.lookup(u32(0))!), 2, 'userspace still writes it');
});

test('userspace arguments of the wrong size are EINVAL naming the sizes', () => {
  const map = registry().create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, name: 'sizes' });
  assert.throws(() => map.lookup(bytes(1, 2)), /BPF_MAP_LOOKUP_ELEM: EINVAL \(22\): map sizes: key is 2 bytes, the map's keys are 4/);
  assert.throws(() => map.update(u32(0), u32(0)), /value is 4 bytes, the map's values are 8 bytes/);
  throwsErrno(() => map.lookup(u32(0), -1), 'EINVAL');
  throwsErrno(() => map.lookup(undefined), 'EFAULT');
});
