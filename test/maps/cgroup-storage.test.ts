/**
 * BPF_MAP_TYPE_CGROUP_STORAGE and PERCPU_CGROUP_STORAGE from userspace:
 * BPF_MAP_CREATE's checks, the commands on an empty map, and the elements
 * that attaching programs to cgroups makes — each compared with the kernel
 * where it is reachable (there, programs using the map are attached to two
 * fresh cgroup v2 directories with BPF_PROG_ATTACH), and with the kernel's
 * answers recorded from Linux 6.18 everywhere.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { KernelError, createMap, loadProgram, type Kernel, type KernelMap } from '../../src/kernel/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, helperIdByName } from '../../src/platform/index.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, CgroupStorageMap, MapError, MapRegistry } from '../../src/maps/index.js';
import { kernelOrSkip } from '../kernel/env.js';

const T = BPF_MAP_TYPE;
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '-');

/** A command's result: its value in hex, '-' for none (not found), 'ok' for a command without one, or the errno. */
function outcome(f: () => unknown): string {
  try {
    const v = f();
    return v instanceof Uint8Array ? hex(v) : v === undefined ? '-' : String(v);
  } catch (err) {
    if (err instanceof MapError || err instanceof KernelError) return err.errnoName ?? 'error';
    throw err;
  }
}

const done = (_: void) => 'ok';

const registry = (nrCpus = 1) => new MapRegistry(new AddressSpace(), { nrCpus });

/** [type, key_size, value_size, max_entries, flags] and the kernel's answer (Linux 6.18, x86-64). */
const CREATE_CASES: [number, number, number, number, number, string][] = [
  [T.CGROUP_STORAGE, 16, 8, 0, 0, 'ok'], [T.CGROUP_STORAGE, 8, 8, 0, 0, 'ok'], [T.CGROUP_STORAGE, 4, 8, 0, 0, 'EINVAL'],
  [T.CGROUP_STORAGE, 12, 8, 0, 0, 'EINVAL'], [T.CGROUP_STORAGE, 0, 0, 0, 0, 'EINVAL'], [T.CGROUP_STORAGE, 16, 0, 0, 0, 'EINVAL'],
  [T.CGROUP_STORAGE, 16, 8, 1, 0, 'EINVAL'], [T.CGROUP_STORAGE, 16, 65407, 0, 0, 'ok'], [T.CGROUP_STORAGE, 16, 65408, 0, 0, 'E2BIG'],
  [T.CGROUP_STORAGE, 16, 32769, 0, 0, 'ok'], [T.CGROUP_STORAGE, 16, 70000, 1, 0, 'E2BIG'], [T.CGROUP_STORAGE, 16, 8, 0, 0x4, 'ok'],
  [T.CGROUP_STORAGE, 16, 8, 0, 0x8, 'ok'], [T.CGROUP_STORAGE, 16, 8, 0, 0x10, 'ok'], [T.CGROUP_STORAGE, 16, 8, 0, 0x18, 'EINVAL'],
  [T.CGROUP_STORAGE, 16, 8, 0, 0x80, 'ok'], [T.CGROUP_STORAGE, 16, 8, 0, 0x100, 'ok'], [T.CGROUP_STORAGE, 16, 8, 0, 0x180, 'EINVAL'],
  [T.CGROUP_STORAGE, 16, 8, 0, 0x1, 'EINVAL'], [T.CGROUP_STORAGE, 16, 8, 0, 0x40, 'EINVAL'], [T.CGROUP_STORAGE, 16, 8, 1, 0x1, 'EINVAL'],
  [T.PERCPU_CGROUP_STORAGE, 16, 8, 0, 0, 'ok'], [T.PERCPU_CGROUP_STORAGE, 8, 8, 0, 0, 'ok'], [T.PERCPU_CGROUP_STORAGE, 4, 8, 0, 0, 'EINVAL'],
  [T.PERCPU_CGROUP_STORAGE, 16, 32768, 0, 0, 'ok'], [T.PERCPU_CGROUP_STORAGE, 16, 32769, 0, 0, 'E2BIG'], [T.PERCPU_CGROUP_STORAGE, 16, 65407, 0, 0, 'E2BIG'],
  [T.PERCPU_CGROUP_STORAGE, 16, 8, 1, 0, 'EINVAL'], [T.PERCPU_CGROUP_STORAGE, 16, 8, 0, 0x4, 'ok'], [T.PERCPU_CGROUP_STORAGE, 16, 8, 0, 0x40, 'EINVAL'],
];

test('BPF_MAP_CREATE: cgroup_storage_map_alloc\'s checks, in its order, with the kernel\'s errnos', (t) => {
  const r = registry();
  const ours = CREATE_CASES.map(([type, keySize, valueSize, maxEntries, flags]) =>
    outcome(() => done(r.create({ type, keySize, valueSize, maxEntries, flags }).close())));
  assert.deepEqual(ours, CREATE_CASES.map((c) => c[5]));
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const theirs = CREATE_CASES.map(([type, keySize, valueSize, maxEntries, flags]) =>
    outcome(() => done(createMap(kernel, { type, keySize, valueSize, maxEntries, flags }).close())));
  assert.deepEqual(ours, theirs);
});

test('the refusals say what is wrong', () => {
  const r = registry();
  assert.throws(() => r.create({ type: 'cgroup_storage', keySize: 4, valueSize: 8, maxEntries: 0 }), /key_size must be 16 \(struct bpf_cgroup_storage_key\) or 8/);
  assert.throws(() => r.create({ type: 'cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 4 }), /max_entries must be 0/);
  assert.throws(() => r.create({ type: 'percpu_cgroup_storage', keySize: 16, valueSize: 40000, maxEntries: 0 }), /value_size 40000 is above 32768/);
});

/** One side of a comparison: the commands of a map, as the kernel's KernelMap or our BpfMap offer them. */
interface Side {
  lookup(key: Uint8Array, flags?: number): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags: number): void;
  delete(key: Uint8Array): void;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined;
}

const ourSide = (m: CgroupStorageMap): Side => m;
const kernelSide = (m: KernelMap): Side => ({
  lookup: (k, f) => m.lookup(k, f), update: (k, v, f) => m.update(k, v, f), delete: (k) => m.delete(k),
  nextKey: (k) => m.getNextKey(k), lookupAndDelete: (k) => m.lookupAndDelete(k),
});

function key16(id: bigint, attachType: number, padding = 0): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setBigUint64(0, id, true);
  v.setUint32(8, attachType, true);
  v.setUint32(12, padding, true);
  return k;
}

/** The commands on a map no program has been attached with: nothing to find, nothing to make. */
function emptyMapCommands(m: Side, valueBytes: number): string[] {
  const key = key16(1n, 0);
  const value = new Uint8Array(valueBytes);
  return [
    outcome(() => m.lookup(key)), outcome(() => done(m.update(key, value, 0))), outcome(() => done(m.update(key, value, BPF_NOEXIST))),
    outcome(() => done(m.update(key, value, BPF_EXIST))), outcome(() => done(m.update(key, value, 3))), outcome(() => done(m.update(key, value, BPF_F_LOCK))),
    outcome(() => m.lookup(key, BPF_F_LOCK)), outcome(() => done(m.delete(key))), outcome(() => m.nextKey()), outcome(() => m.nextKey(key)),
    outcome(() => m.lookupAndDelete(key)),
  ];
}

test('an empty map: lookup finds nothing, update ENOENT (BPF_NOEXIST EINVAL), delete EINVAL, as the kernel', (t) => {
  const r = registry(2);
  const shared = r.create({ type: 'cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
  const percpu = r.create({ type: 'percpu_cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
  const expected = ['-', 'ENOENT', 'EINVAL', 'ENOENT', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', '-', '-', 'ENOTSUPP'];
  assert.deepEqual(emptyMapCommands(ourSide(shared), 8), expected);
  assert.deepEqual(emptyMapCommands(ourSide(percpu), 16), expected);
  assert.throws(() => shared.lookupBatch(), (e: unknown) => e instanceof MapError && e.errnoName === 'ENOTSUPP');
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  for (const type of [T.CGROUP_STORAGE, T.PERCPU_CGROUP_STORAGE]) {
    const m = createMap(kernel, { type, keySize: 16, valueSize: 8, maxEntries: 0 });
    try {
      assert.deepEqual(emptyMapCommands(kernelSide(m), m.valueBytes), expected, `kernel, map type ${type}`);
    } finally {
      m.close();
    }
  }
});

/**
 * Programs using the map attached to cgroups A and B: (A, ingress), (B,
 * ingress), (A, egress) by a second program, (A, egress) again. Then what
 * userspace sees: the keys in get_next_key order, lookups and updates by
 * key (padding bytes of the key do not count), delete.
 */
function attachedScenario(m: Side, keySize: number, ids: readonly bigint[], attach: (cgroup: number, attachType: number) => void): string[] {
  const { CGROUP_INET_INGRESS: IN, CGROUP_INET_EGRESS: OUT } = BPF_ATTACH_TYPE;
  attach(0, IN);
  attach(1, IN);
  attach(0, OUT);
  attach(0, OUT);
  const name = (k: Uint8Array) => {
    const v = new DataView(k.buffer, k.byteOffset, k.byteLength);
    const cg = ids.indexOf(v.getBigUint64(0, true));
    return keySize === 16 ? `${cg}/${v.getUint32(8, true)}/${v.getUint32(12, true)}` : `${cg}`;
  };
  const keys: string[] = [];
  for (let k = m.nextKey(); k; k = m.nextKey(k)) keys.push(name(k));
  const key = (cg: number, type: number, padding = 0) => (keySize === 16 ? key16(ids[cg], type, padding) : key16(ids[cg], 0).subarray(0, 8));
  const value = (fill: number) => new Uint8Array(8).fill(fill);
  return [
    keys.join(' '),
    outcome(() => m.lookup(key(0, OUT))),
    outcome(() => done(m.update(key(0, OUT), value(1), BPF_NOEXIST))),
    outcome(() => done(m.update(key(0, OUT), value(2), BPF_EXIST))),
    outcome(() => done(m.update(key(1, IN), value(3), 0))),
    outcome(() => m.lookup(key(0, OUT))),
    outcome(() => m.lookup(key(0, OUT, 0xffff))),
    outcome(() => m.lookup(key(1, IN))),
    outcome(() => m.lookup(key(1, 5))),
    outcome(() => done(m.delete(key(0, IN)))),
    outcome(() => m.lookup(key(0, IN))),
  ];
}

const EXPECTED_16 = ['0/1/0 1/0/0 0/0/0', '0000000000000000', 'EINVAL', 'ok', 'ok', '0202020202020202', '0202020202020202', '0303030303030303', '-', 'EINVAL', '0000000000000000'];
// With u64 cgroup id keys one element serves both attach types: (A, egress) is A's element, (1, 5) is B's.
const EXPECTED_8 = ['1 0', '0000000000000000', 'EINVAL', 'ok', 'ok', '0202020202020202', '0202020202020202', '0303030303030303', '0303030303030303', 'EINVAL', '0202020202020202'];

test('attached cgroups\' elements: newest first, found by (cgroup, attach type) or by cgroup alone with 8-byte keys', () => {
  const ids = [823n, 842n];
  for (const [keySize, expected] of [[16, EXPECTED_16], [8, EXPECTED_8]] as const) {
    const m = registry().create({ type: 'cgroup_storage', keySize, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
    assert.deepEqual(attachedScenario(m, keySize, ids, (cg, type) => void m.linkStorage(ids[cg], type)), expected, `key size ${keySize}`);
  }
});

test('a per-CPU element: every CPU\'s slot, rounded up to 8 bytes; BPF_NOEXIST refused', () => {
  const m = registry(3).create({ type: 'percpu_cgroup_storage', keySize: 8, valueSize: 4, maxEntries: 0 }) as CgroupStorageMap;
  const e = m.linkStorage(5n, 0);
  const key = key16(5n, 0).subarray(0, 8);
  assert.equal(m.valueBytes, 24);
  const value = new Uint8Array(24);
  value.set([1, 2, 3, 4], 0);
  value.set([5, 6, 7, 8], 8);
  value.set([9, 10, 11, 12], 16);
  m.update(key, value, BPF_EXIST);
  assert.deepEqual([...m.mem.refresh().u8.subarray(m.valueAddress(e, 1), m.valueAddress(e, 1) + 4)], [5, 6, 7, 8]);
  assert.deepEqual(m.lookup(key), value);
  assert.equal(outcome(() => done(m.update(key, value, BPF_NOEXIST))), 'EINVAL');
  assert.equal(outcome(() => done(m.update(key, value, BPF_F_LOCK))), 'EINVAL');
});

test('removing a cgroup removes its elements; closing the map gives every element\'s memory back', () => {
  const space = new AddressSpace();
  const r = new MapRegistry(space);
  const regions = space.regions().length;
  const m = r.create({ type: 'cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
  m.linkStorage(1n, 0);
  m.linkStorage(2n, 0);
  m.linkStorage(1n, 1);
  m.unlinkCgroup(1n);
  assert.deepEqual([...m.keys()].map((k) => new DataView(k.buffer).getBigUint64(0, true)), [2n]);
  m.close();
  assert.equal(space.regions().length, regions);
});

test('linkStorage and unlinkCgroup refuse what is no cgroup id or attach type with EINVAL', () => {
  const m = registry().create({ type: 'cgroup_storage', keySize: 16, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
  const einval = (e: unknown) => e instanceof MapError && e.errnoName === 'EINVAL';
  assert.throws(() => m.linkStorage(0n, 0), einval);
  assert.throws(() => m.linkStorage(1n << 64n, 0), einval);
  assert.throws(() => m.linkStorage(5 as unknown as bigint, 0), einval);
  assert.throws(() => m.linkStorage(5n, -1), einval);
  assert.throws(() => m.linkStorage(5n, 1.5), einval);
  assert.throws(() => m.unlinkCgroup(-1n), /a cgroup id is a u64 bigint from 1/);
  assert.equal(m.nextKey(), undefined);
});

test('a bpf_spin_lock in a shared cgroup storage value: BPF_F_LOCK updates and lookups', () => {
  const r = registry();
  const m = r.create({ type: 'cgroup_storage', keySize: 8, valueSize: 16, maxEntries: 0, spinLockOffset: 0 }) as CgroupStorageMap;
  const key = key16(3n, 0).subarray(0, 8);
  m.linkStorage(3n, 0);
  m.update(key, new Uint8Array(16).fill(7), BPF_F_LOCK);
  assert.deepEqual([...m.lookup(key, BPF_F_LOCK)!], [0, 0, 0, 0, ...new Array(12).fill(7)]);
  assert.throws(() => r.create({ type: 'percpu_cgroup_storage', keySize: 8, valueSize: 16, maxEntries: 0, spinLockOffset: 0 }), /not allowed/);
});

// ---- the kernel's elements ------------------------------------------------------------------------------

/** The cgroup v2 mount, or undefined. */
function cgroupV2Mount(): string | undefined {
  const line = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
  return line?.split(' ')[1];
}

/** A cgroup_skb program that uses `map` (its storage), loaded in the kernel. */
function storageProgram(kernel: Kernel, map: KernelMap) {
  const insns = assemble('r2 = 0\nr1 = 0 ll\ncall bpf_get_local_storage\nr0 = 1\nexit', { helperId: helperIdByName })
    .map((ins) => (ins.code === 0x18 ? { ...ins, src: 1, imm: map.fd.value } : ins));
  return loadProgram(kernel, { type: 'cgroup_skb', insns, license: 'GPL' });
}

/** BPF_PROG_ATTACH / BPF_PROG_DETACH of a program to a cgroup directory (BPF_F_ALLOW_MULTI). */
function progAttach(kernel: Kernel, command: 'PROG_ATTACH' | 'PROG_DETACH', cgroupFd: number, progFd: number, attachType: number): void {
  const s = kernel.scratch();
  try {
    kernel.bpf(command, kernel.attr(s, 16).u32(0, cgroupFd).u32(4, progFd).u32(8, attachType).u32(12, command === 'PROG_ATTACH' ? 2 : 0), 'cgroup');
  } finally {
    s[Symbol.dispose]();
  }
}

test('kernel: attaching programs to two cgroups makes the same elements, seen the same way', (t: TestContext) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const mount = cgroupV2Mount();
  if (!mount) {
    t.skip('no cgroup v2 mount');
    return;
  }
  for (const [keySize, expected] of [[16, EXPECTED_16], [8, EXPECTED_8]] as const) {
    const dirs: string[] = [0, 1].map((i) => join(mount, `ebpf-cgstorage-${process.pid}-${keySize}-${i}`));
    const map = createMap(kernel, { type: T.CGROUP_STORAGE, keySize, valueSize: 8, maxEntries: 0 });
    const progs = [storageProgram(kernel, map), storageProgram(kernel, map)];
    const attached: [number, number, number][] = [];
    const fds: number[] = [];
    const made: string[] = [];
    try {
      for (const d of dirs) {
        mkdirSync(d);
        made.push(d);
        fds.push(openSync(d, 'r'));
      }
      const ids: bigint[] = dirs.map((d) => statSync(d, { bigint: true }).ino);
      let n = 0;
      const attach = (cg: number, type: number) => {
        // The third attachment is the second program's; the fourth the first's again (its storage is already there).
        const prog = progs[n++ === 2 ? 1 : 0];
        progAttach(kernel, 'PROG_ATTACH', fds[cg], prog.fd.value, type);
        attached.push([fds[cg], prog.fd.value, type]);
      };
      assert.deepEqual(attachedScenario(kernelSide(map), keySize, ids, attach), expected, `kernel, key size ${keySize}`);
      // Our side with the kernel's cgroup ids gives the same.
      const ours = registry().create({ type: 'cgroup_storage', keySize, valueSize: 8, maxEntries: 0 }) as CgroupStorageMap;
      assert.deepEqual(attachedScenario(ours, keySize, ids, (cg, type) => void ours.linkStorage(ids[cg], type)), expected);
    } finally {
      for (const [cg, prog, type] of attached.reverse()) progAttach(kernel, 'PROG_DETACH', cg, prog, type);
      fds.forEach((fd) => closeSync(fd));
      made.forEach((d) => rmdirSync(d));
      progs.forEach((p) => p.close());
      map.close();
    }
  }
});
