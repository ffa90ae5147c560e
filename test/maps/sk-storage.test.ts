/**
 * BPF_MAP_TYPE_SK_STORAGE from userspace: BPF_MAP_CREATE's checks (compared
 * with the kernel where it is reachable, each map with a BTF whose value type
 * has the map's value size), then the commands on the storage of the
 * sockets of a runtime's table, keyed by their cookies (the kernel keys them
 * by socket fd, which a runtime has not: there the commands are not
 * compared), and the storage's lifetime with its socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marshalBtf, type Btf } from '../../src/btf/index.js';
import { SocketTable } from '../../src/helpers/index.js';
import { createMap, loadBtf } from '../../src/kernel/index.js';
import { KernelError } from '../../src/kernel/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_MAP_TYPE } from '../../src/platform/index.js';
import {
  BPF_EXIST, BPF_F_CLONE, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_NOEXIST, MapError, MapRegistry, SkStorageMap,
} from '../../src/maps/index.js';
import { kernelOrSkip } from '../kernel/env.js';

const T = BPF_MAP_TYPE;

function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof MapError || err instanceof KernelError) return err.errnoName ?? 'error';
    throw err;
  }
}

/** BTF of an `int` key (type 1) and a value of `valueSize` bytes, an array of unsigned char (type 3). */
const storageBtf = (valueSize: number): Btf => ({
  types: [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    { kind: 'int', name: 'unsigned char', size: 1, encoding: 0, bitOffset: 0, bits: 8 },
    { kind: 'array', name: '', type: 2, indexType: 1, nelems: valueSize },
  ],
});

const NP = BPF_F_NO_PREALLOC;
/** [key_size, value_size, max_entries, flags, with BTF] and the kernel's answer. */
const CREATE_CASES: [number, number, number, number, boolean, string][] = [
  [4, 8, 0, NP, true, 'ok'], [4, 8, 0, 0, true, 'EINVAL'], [4, 8, 0, NP | BPF_F_CLONE, true, 'ok'], [4, 8, 0, NP | 0x4, true, 'EINVAL'],
  [4, 8, 0, NP | 0x8, true, 'EINVAL'], [4, 8, 1, NP, true, 'EINVAL'], [8, 8, 0, NP, true, 'EINVAL'], [4, 0, 0, NP, true, 'EINVAL'],
  [4, 8, 0, NP, false, 'EINVAL'], [4, 65407, 0, NP, true, 'ok'], [4, 65408, 0, NP, true, 'E2BIG'], [4, 65408, 1, NP, true, 'EINVAL'],
];

test('BPF_MAP_CREATE: bpf_local_storage_map_alloc_check, with the kernel\'s errnos', (t) => {
  const r = new MapRegistry(new AddressSpace());
  const ours = CREATE_CASES.map(([keySize, valueSize, maxEntries, flags, btf]) => outcome(() =>
    r.create({ type: T.SK_STORAGE, keySize, valueSize, maxEntries, flags, ...(btf ? { btfKeyTypeId: 1, btfValueTypeId: 3 } : {}) }).close()));
  assert.deepEqual(ours, CREATE_CASES.map((c) => c[5]));
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const theirs = CREATE_CASES.map(([keySize, valueSize, maxEntries, flags, withBtf]) => {
    const btf = loadBtf(kernel, marshalBtf(storageBtf(valueSize || 1)).bytes);
    try {
      return outcome(() => createMap(kernel, {
        type: T.SK_STORAGE, keySize, valueSize, maxEntries, flags, ...(withBtf ? { btfFd: btf.fd.value, btfKeyTypeId: 1, btfValueTypeId: 3 } : {}),
      }).close());
    } finally {
      btf.close();
    }
  });
  assert.deepEqual(ours, theirs);
});

test('the refusals say what is wrong; a bpf_spin_lock may be in the value', () => {
  const r = new MapRegistry(new AddressSpace());
  const base = { type: 'sk_storage', keySize: 4, valueSize: 8, maxEntries: 0, flags: NP, btfKeyTypeId: 1, btfValueTypeId: 3 };
  assert.throws(() => r.create({ ...base, flags: 0 }), /socket storage needs BPF_F_NO_PREALLOC/);
  assert.throws(() => r.create({ ...base, btfValueTypeId: 0 }), /needs BTF for its key and value/);
  assert.throws(() => r.create({ ...base, keySize: 8 }), /key_size must be 4 \(a socket\), got 8/);
  assert.equal(r.create({ ...base, spinLockOffset: 4 }).spinLockOffset, 4);
});

/** A registry whose sockets are a table of three: two full sockets (cookies 1 and 2) and a timewait one (cookie 3). */
function world() {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const table = new SocketTable(space, [
    { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80 },
    { protocol: 'udp', localIp: '10.0.0.1', localPort: 53 },
    { protocol: 'tcp', localIp: '10.0.0.1', localPort: 80, remoteIp: '10.0.0.2', remotePort: 4000, state: 'time_wait' },
  ]);
  registry.sockets = table;
  const create = (extra: object = {}) => registry.create({
    type: 'sk_storage', keySize: 4, valueSize: 8, maxEntries: 0, flags: NP, btfKeyTypeId: 1, btfValueTypeId: 3, ...extra,
  }) as SkStorageMap;
  return { space, registry, table, create };
}

const key = (cookie: number) => Uint8Array.of(cookie, 0, 0, 0);
const value = (...b: number[]) => Uint8Array.from({ length: 8 }, (_, i) => b[i] ?? 0);
const errno = (f: () => unknown) => outcome(f);

test('userspace commands: keyed by a socket\'s cookie, with bpf_local_storage_update\'s flags', () => {
  const { create } = world();
  const map = create();
  assert.equal(map.lookup(key(1)), undefined);
  assert.equal(errno(() => map.update(key(1), value(1), BPF_EXIST)), 'ENOENT');
  map.update(key(1), value(1), BPF_NOEXIST);
  assert.deepEqual(map.lookup(key(1)), value(1));
  assert.equal(errno(() => map.update(key(1), value(2), BPF_NOEXIST)), 'EEXIST');
  map.update(key(1), value(2), BPF_EXIST);
  map.update(key(2), value(7), 0);
  assert.deepEqual(map.lookup(key(1)), value(2));
  assert.deepEqual(map.lookup(key(2)), value(7), 'each socket has its own storage');
  assert.equal(errno(() => map.update(key(1), value(3), 3)), 'EINVAL');
  assert.equal(errno(() => map.update(key(1), value(3), BPF_F_LOCK)), 'EINVAL', 'BPF_F_LOCK without a bpf_spin_lock');
  map.delete(key(1));
  assert.equal(map.lookup(key(1)), undefined);
  assert.equal(errno(() => map.delete(key(1))), 'ENOENT');
  assert.equal(errno(() => map.nextKey()), 'ENOTSUPP');
});

test('a cookie that names no full socket of the table is EBADF, as a bad socket fd is', () => {
  const { create } = world();
  const map = create();
  for (const cookie of [0, 9, 3]) {
    assert.equal(errno(() => map.lookup(key(cookie))), 'EBADF', `lookup ${cookie}`);
    assert.equal(errno(() => map.update(key(cookie), value(1), 0)), 'EBADF', `update ${cookie}`);
    assert.equal(errno(() => map.delete(key(cookie))), 'EBADF', `delete ${cookie}`);
  }
});

test('BPF_F_LOCK updates and reads under the value\'s lock, never showing the lock word', () => {
  const { create, registry } = world();
  const map = create({ spinLockOffset: 4 });
  map.update(key(1), value(1, 2, 3, 4, 5, 6, 7, 8), BPF_NOEXIST | BPF_F_LOCK);
  assert.deepEqual(map.lookup(key(1)), value(1, 2, 3, 4), 'a new storage\'s lock word is zero');
  map.update(key(1), value(9, 9, 9, 9, 5, 6, 7, 8), BPF_EXIST | BPF_F_LOCK);
  assert.deepEqual(map.lookup(key(1), BPF_F_LOCK), value(9, 9, 9, 9));
  assert.equal(errno(() => map.update(key(1), value(1), BPF_NOEXIST | BPF_F_LOCK)), 'EEXIST');
  const sock = registry.sockets!.sockAddress(1n)!;
  assert.ok(map.storageOf(sock) > 0);
});

test('storage lives with its socket: gone with it, and with the map', () => {
  const { space, registry, table, create } = world();
  const a = create(), b = create();
  const regions = space.regions().length;
  a.update(key(1), value(1), 0);
  b.update(key(1), value(2), 0);
  a.update(key(2), value(3), 0);
  assert.equal(space.regions().length, regions + 3);
  registry.socketGone(table.list()[0].address);
  assert.equal(a.lookup(key(1)), undefined);
  assert.equal(b.lookup(key(1)), undefined);
  assert.deepEqual(a.lookup(key(2)), value(3), 'the other socket keeps its storage');
  assert.equal(space.regions().length, regions + 1);
  a.close();
  assert.equal(space.regions().length, regions - 2, 'closing a map frees it and its storages');
});
