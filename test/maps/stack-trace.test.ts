/** BPF_MAP_TYPE_STACK_TRACE and bpf_get_stackid, through the interpreter, and its userspace commands against the kernel's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError, createMap } from '../../src/kernel/index.js';
import { stackidHelpers } from '../../src/helpers/stackid.js';
import { AddressSpace } from '../../src/memory/index.js';
import {
  BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, BPF_F_STACK_BUILD_ID, MapError, MapRegistry, StackTraceMap, jhash2,
} from '../../src/maps/index.js';
import { Runtime } from '../../src/runtime/index.js';
import { Bench, EFAULT, EINVAL, asm, errno } from '../helpers/util.js';
import { kernelOrSkip } from '../kernel/env.js';
import { hex, throwsErrno, u32 } from './util.js';

const EEXIST = errno(17);
const ENOMEM = errno(12);
const USER = 0x100;

function bench(userStack: () => bigint[] = () => []) {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const b = new Bench({ space, extra: stackidHelpers(registry), host: { userStack } });
  return { b, registry };
}

const ipsBytes = (ips: bigint[], valueSize: number) => {
  const out = new Uint8Array(valueSize);
  ips.forEach((ip, k) => new DataView(out.buffer).setBigUint64(8 * k, ip, true));
  return out;
};

const bucketOf = (ips: bigint[], nBuckets: number) => jhash2(ipsBytes(ips, ips.length * 8), 0, ips.length * 2, 0) & (nBuckets - 1);

/** main calls f at slot 2 or g at slot 4; f calls bpf_get_stackid at slot 10, g at slot 15. */
const twoPaths = (map: number, flags: number) => `
    r6 = r1
    if r6 == 1 goto other
    call f
    exit
  other:
    call g
    exit
  f:
    r1 = 0
    r2 = ${map} ll
    r3 = ${flags}
    call bpf_get_stackid
    exit
  g:
    r1 = 0
    r2 = ${map} ll
    r3 = ${flags}
    call bpf_get_stackid
    exit`;

test('create: the kernel checks, buckets a power of two, an empty map answers as the kernel', () => {
  const { registry } = bench();
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 8, valueSize: 8, maxEntries: 4 }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 12, maxEntries: 4 }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 0, maxEntries: 4 }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 8, maxEntries: 0 }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 128 * 8, maxEntries: 4 }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_STACK_BUILD_ID }), 'EINVAL');
  throwsErrno(() => registry.create({ type: 'stack_trace', keySize: 4, valueSize: 8, maxEntries: 4, flags: 1 << 7 /* RDONLY_PROG */ }), 'EINVAL');
  const map = registry.create({ type: 'stack_trace', keySize: 4, valueSize: 16, maxEntries: 5 });
  assert.ok(map instanceof StackTraceMap);
  assert.equal(map.nBuckets, 8);
  assert.equal(map.lookup(u32(0)), undefined);
  assert.equal(map.lookup(u32(100)), undefined);
  assert.equal(map.nextKey(), undefined);
  throwsErrno(() => map.delete(u32(3)), 'ENOENT');
  throwsErrno(() => map.delete(u32(8)), 'E2BIG');
  throwsErrno(() => map.update(u32(0), new Uint8Array(16)), 'EINVAL', 'BPF_MAP_UPDATE_ELEM');
});

test('get_stackid: distinct call paths get distinct ids holding their call chains; the same path the same id', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'stack_trace', keySize: 4, valueSize: 32, maxEntries: 1024 }) as StackTraceMap;
  const viaF = [10n * 8n, 2n * 8n], viaG = [16n * 8n, 4n * 8n];
  const idF = Number(b.run(twoPaths(map.address, 0), { r1: 0n }));
  const idG = Number(b.run(twoPaths(map.address, 0), { r1: 1n }));
  assert.equal(idF, bucketOf(viaF, 1024));
  assert.equal(idG, bucketOf(viaG, 1024));
  assert.notEqual(idF, idG);
  assert.equal(Number(b.run(twoPaths(map.address, 0), { r1: 0n })), idF);
  assert.equal(hex(map.lookup(u32(idF))), hex(ipsBytes(viaF, 32)));
  assert.equal(hex(map.lookup(u32(idG))), hex(ipsBytes(viaG, 32)));
  assert.deepEqual([...map.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)), [idF, idG].sort((x, y) => x - y));
  // skip 1 drops the innermost frame: the stack [caller] alone.
  const skipped = Number(b.run(twoPaths(map.address, 1), { r1: 0n }));
  assert.equal(skipped, bucketOf([2n * 8n], 1024));
  assert.equal(hex(map.lookup(u32(skipped))), hex(ipsBytes([2n * 8n], 32)));
  assert.equal(b.run(twoPaths(map.address, 2), { r1: 0n }), EFAULT);
  assert.equal(b.run(twoPaths(map.address, 1 << 11), { r1: 0n }), EINVAL);
  map.delete(u32(idF));
  assert.equal(map.lookup(u32(idF)), undefined);
});

test('get_stackid: a map stores as many frames as its value holds', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'stack_trace', keySize: 4, valueSize: 8, maxEntries: 16 });
  const id = Number(b.run(twoPaths(map.address, 0), { r1: 1n }));
  assert.equal(id, bucketOf([16n * 8n], 16));
  assert.equal(hex(map.lookup(u32(id))), hex(ipsBytes([16n * 8n], 8)));
});

test('get_stackid: a taken bucket is -EEXIST, BPF_F_REUSE_STACKID replaces it, BPF_F_FAST_STACK_CMP trusts the hash; a full map is -ENOMEM', () => {
  let stack: bigint[] = [];
  const { b, registry } = bench(() => stack);
  const one = registry.create({ type: 'stack_trace', keySize: 4, valueSize: 16, maxEntries: 1 });
  const call = (map: number, flags: number) => b.run(`r1 = 0\nr2 = ${map} ll\nr3 = ${flags}\ncall bpf_get_stackid\nexit`);
  assert.equal(call(one.address, USER), EFAULT); // an empty user stack
  stack = [0x401000n, 0x402000n];
  assert.equal(call(one.address, USER), 0n);
  assert.equal(call(one.address, USER | BPF_F_FAST_STACK_CMP), 0n);
  stack = [0x501000n];
  assert.equal(call(one.address, USER), EEXIST);
  assert.equal(call(one.address, USER | BPF_F_FAST_STACK_CMP), EEXIST); // another hash
  assert.equal(hex(one.lookup(u32(0))), hex(ipsBytes([0x401000n, 0x402000n], 16)));
  // A one-entry map holds its one stack: even replacing it needs a free element, as in the kernel.
  assert.equal(call(one.address, USER | BPF_F_REUSE_STACKID), ENOMEM);
  const two = registry.create({ type: 'stack_trace', keySize: 4, valueSize: 16, maxEntries: 3 });
  assert.equal(call(two.address, USER | BPF_F_REUSE_STACKID), BigInt(bucketOf([0x501000n], 4)));
  const other = [0x601000n];
  let k = 0x601000n;
  while (bucketOf([k], 4) !== bucketOf([0x501000n], 4)) k += 0x1000n;
  other[0] = k;
  stack = other;
  const id = BigInt(bucketOf(other, 4));
  assert.equal(call(two.address, USER), EEXIST);
  assert.equal(call(two.address, USER | BPF_F_REUSE_STACKID), id);
  assert.equal(hex(two.lookup(u32(Number(id)))), hex(ipsBytes(other, 16)));
});

test('a runtime has bpf_get_stackid on the interpreter and the JIT, with the same ids and stacks', () => {
  const results = (['interp', 'jit'] as const).map((engine) => {
    const rt = new Runtime({ engine });
    try {
      const map = rt.registry.create({ type: 'stack_trace', keySize: 4, valueSize: 16, maxEntries: 64 });
      const ids = [0n, 1n].map((path) => rt.prepare(asm(twoPaths(map.address, 0))).run({ r1: path }).r0);
      return { ids, stacks: ids.map((id) => hex(map.lookup(u32(Number(id))))) };
    } finally {
      rt.dispose();
    }
  });
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[0].ids, [BigInt(bucketOf([10n * 8n, 2n * 8n], 64)), BigInt(bucketOf([16n * 8n, 4n * 8n], 64))]);
});

test('a non-map or a map of another type is a RuntimeError', () => {
  const { b, registry } = bench();
  const hash = registry.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
  assert.throws(() => b.run(`r1 = 0\nr2 = ${hash.address} ll\nr3 = 0\ncall bpf_get_stackid\nexit`), /bpf_get_stackid: r2 .* is not a stack trace map/);
});

test('MAP_CREATE checks and the commands of an empty stack trace map agree with the kernel', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const { registry } = bench();
  const verdict = (f: () => unknown) => {
    try {
      f();
      return 'ok';
    } catch (err) {
      if (err instanceof KernelError || err instanceof MapError) return err.errnoName;
      throw err;
    }
  };
  const attrs = [
    [4, 8, 4, 0], [8, 8, 4, 0], [4, 12, 4, 0], [4, 0, 4, 0], [4, 8, 0, 0], [4, 127 * 8, 1, 0], [4, 128 * 8, 1, 0],
    [4, 8, 4, 1 << 7], [4, 8, 4, 1 << 3], [4, 8, 4, 1 << 4], [4, 8, 4, 1 << 2], [4, 8, 2 ** 31 + 1, 0], [4, 16, 5, 0],
  ];
  for (const [keySize, valueSize, maxEntries, flags] of attrs) {
    const a = { type: 'stack_trace', keySize, valueSize, maxEntries, flags };
    const theirs = verdict(() => createMap(kernel, a).close());
    const ours = verdict(() => registry.create(a).close());
    assert.equal(ours, theirs, JSON.stringify(a));
  }
  const a = { type: 'stack_trace', keySize: 4, valueSize: 16, maxEntries: 5 };
  const theirs = createMap(kernel, a);
  const ours = registry.create(a);
  try {
    for (const id of [0, 3, 7, 8, 100]) {
      assert.equal(verdict(() => ours.lookup(u32(id))), verdict(() => theirs.lookup(u32(id))), `lookup ${id}`);
      assert.equal(hex(ours.lookup(u32(id))), hex(theirs.lookup(u32(id))), `lookup ${id}`);
      assert.equal(verdict(() => ours.delete(u32(id))), verdict(() => theirs.delete(u32(id))), `delete ${id}`);
      assert.equal(verdict(() => ours.update(u32(id), new Uint8Array(16))), verdict(() => theirs.update(u32(id), new Uint8Array(16))), `update ${id}`);
      assert.equal(hex(ours.nextKey(u32(id))), hex(theirs.getNextKey(u32(id))), `nextKey ${id}`);
    }
    assert.equal(hex(ours.nextKey()), hex(theirs.getNextKey()));
  } finally {
    theirs.close();
    ours.close();
  }
});
