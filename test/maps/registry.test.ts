import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../src/memory/index.js';
import {
  ArrayOfMapsMap, BPF_ANY, BPF_F_INNER_MAP, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY,
  BPF_NOEXIST, HashMap, MapError, MapRegistry, ProgArrayMap,
} from '../../src/maps/index.js';
import { readU32, registry, throwsErrno, u32 } from './util.js';

test('MAP_CREATE refuses bad attributes with the kernel errno and says what is wrong', () => {
  const reg = registry({ nrCpus: 2 });
  assert.throws(() => reg.create({ type: 'nosuch', keySize: 4, valueSize: 4, maxEntries: 1 }), /BPF_MAP_CREATE: EINVAL \(22\): unknown map type 'nosuch'/);
  assert.throws(() => reg.create({ type: 'devmap', keySize: 4, valueSize: 4, maxEntries: 1 }), /ENOTSUPP.*devmap is not supported by this runtime/);
  assert.throws(() => reg.create({ type: 'hash', keySize: 4, valueSize: 0, maxEntries: 1, name: 'h' }), /EINVAL \(22\): map h: max_entries, key_size and value_size must not be 0/);
  throwsErrno(() => reg.create({ type: 'array', keySize: 8, valueSize: 4, maxEntries: 1 }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, mapExtra: 1n }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY | BPF_F_WRONLY }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_NO_PREALLOC }), 'ENOTSUPP');
  throwsErrno(() => reg.create({ type: 'percpu_hash', keySize: 4, valueSize: 32769, maxEntries: 1 }), 'E2BIG');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'a name too long!' }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'bad name' }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'percpu_hash', keySize: 4, valueSize: 8, maxEntries: 1, spinLockOffset: 0 }), 'EOPNOTSUPP');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, spinLockOffset: 0, flags: BPF_F_RDONLY_PROG }), 'EACCES');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, spinLockOffset: 6 }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 << 24 }), 'ENOMEM');
  throwsErrno(() => reg.create({ type: 'hash', keySize: -1, valueSize: 4, maxEntries: 1 }), 'EINVAL');
});

test('a map pointer resolves to its map; ids, names and the list of maps', () => {
  const reg = registry();
  const a = reg.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, name: 'first' });
  const h = reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'second.map' });
  assert.equal(reg.mapByAddress(a.address), a);
  assert.equal(reg.mapByAddress(BigInt(h.address)), h);
  assert.equal(reg.mapByAddress(h.address + 4), undefined);
  assert.equal(reg.mapByAddress(1n << 40n), undefined);
  assert.equal(reg.mapById(h.id), h);
  assert.deepEqual(reg.maps().map((m) => m.name), ['first', 'second.map']);
  assert.ok(h instanceof HashMap);
});

test('closing a map gives its memory back; a map another map holds lives until it is dropped there', () => {
  const space = new AddressSpace();
  const reg = new MapRegistry(space);
  const before = space.regions().length;
  const inner = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  const outer = reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner }) as ArrayOfMapsMap;
  outer.update(u32(0), u32(inner.id));
  inner.update(u32(1), new Uint8Array(8).fill(5));
  inner.close();
  inner.close();
  assert.equal(outer.inner(0), inner, 'still alive in the slot');
  assert.equal(reg.mapByAddress(inner.address), inner);
  outer.delete(u32(0));
  assert.equal(reg.mapByAddress(inner.address), undefined, 'released with its last reference');
  outer.close();
  assert.equal(space.regions().length, before);
});

test('array_of_maps: inner maps must match the template (max_entries too, unless BPF_F_INNER_MAP)', () => {
  const reg = registry();
  const template = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  const outer = reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, innerMap: template }) as ArrayOfMapsMap;
  const same = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  const longer = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 5 });
  const hash = reg.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
  outer.update(u32(0), u32(same.id));
  throwsErrno(() => outer.update(u32(1), u32(longer.id)), 'EINVAL');
  throwsErrno(() => outer.update(u32(1), u32(hash.id)), 'EINVAL');
  throwsErrno(() => outer.update(u32(1), u32(9999)), 'EBADF');
  throwsErrno(() => outer.update(u32(1), u32(same.id), BPF_NOEXIST), 'EINVAL');
  throwsErrno(() => outer.update(u32(4), u32(same.id)), 'E2BIG');
  assert.equal(readU32(outer.lookup(u32(0))!), same.id, 'userspace reads the inner map id');
  assert.equal(outer.lookup(u32(1)), undefined);
  const scratch = reg.alloc('key', 4);
  reg.mem.u8.set(u32(0), scratch);
  assert.equal(outer.lookupElem(scratch), same.address, 'a program reads the inner map pointer');
  const flexible = reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_INNER_MAP });
  const anySize = reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: flexible });
  anySize.update(u32(0), u32(reg.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 64, flags: BPF_F_INNER_MAP }).id));
  throwsErrno(() => reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1 }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: outer }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: reg.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 }) }), 'ENOTSUPP');
});

test('hash_of_maps: keys name inner maps, updated in place', () => {
  const reg = registry();
  const t = reg.create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 2 });
  const q2 = reg.create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 8 });
  const map = reg.create({ type: 'hash_of_maps', keySize: 8, valueSize: 4, maxEntries: 2, innerMap: t });
  const key = new Uint8Array(8).fill(1);
  map.update(key, u32(t.id), BPF_ANY);
  map.update(key, u32(q2.id));
  assert.equal(readU32(map.lookup(key)!), q2.id, 'queues compare without max_entries');
  throwsErrno(() => map.update(key, u32(t.id), BPF_NOEXIST), 'EEXIST');
  throwsErrno(() => map.lookupAndDelete(key), 'ENOTSUPP');
  t.close();
  assert.ok(reg.mapByAddress(t.address) === undefined, 'replaced out of the map and closed: gone');
  map.delete(key);
  throwsErrno(() => map.delete(key), 'ENOENT');
});

test('prog_array: slots hold program handles registered with the registry', () => {
  const reg = registry();
  const map = reg.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
  const handle = { name: 'tail' };
  const id = reg.registerProgram(handle);
  map.update(u32(2), u32(id));
  assert.equal(map.program(2), handle);
  assert.equal(map.program(1), undefined);
  assert.equal(readU32(map.lookup(u32(2))!), id);
  throwsErrno(() => map.update(u32(1), u32(id + 1)), 'EBADF');
  throwsErrno(() => map.lookupBatch(), 'ENOTSUPP');
  assert.throws(() => reg.registerProgram(undefined), MapError);
});

test('an attached registry opens the same maps over the same memory, and only those', () => {
  const space = new AddressSpace({ shared: true });
  const reg = new MapRegistry(space, { nrCpus: 2 });
  const map = reg.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, name: 'shared' });
  map.update(u32(1), u32(10));
  const other = MapRegistry.attach(reg.share(), { cpu: 1 });
  const same = other.mapByAddress(map.address)!;
  assert.equal(same.name, 'shared');
  assert.equal(readU32(same.lookup(u32(1))!), 10);
  same.update(u32(2), u32(20));
  assert.equal(readU32(map.lookup(u32(2))!), 20);
  assert.equal(other.mapByAddress(map.storage), undefined, 'an address that is no descriptor of the registry');
  assert.notEqual(other.mem.owner, reg.mem.owner, 'each thread has its own lock owner id');
  throwsErrno(() => other.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }), 'EPERM');
  assert.equal(other.nrCpus, 2);
  map.close();
  assert.equal(other.mapByAddress(map.address), same, 'an attached registry keeps what it opened');
  assert.equal(MapRegistry.attach(reg.share()).mapByAddress(map.address), undefined);
});
