/**
 * The backend against the running kernel: maps of several types with the
 * single and batch commands, program load with every log level, test runs
 * with data and context, BTF, bpffs pins, the verifier's verdict, the
 * feature probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { VerifierError } from '../../src/internal/errors.js';
import {
  BPF_ALU64, BPF_ADD, BPF_ATOMIC, BPF_DW, BPF_EXIT, BPF_JMP, BPF_K, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MOV, BPF_OR,
  BPF_PSEUDO_MAP_FD, BPF_ST, BPF_STX, BPF_W, BPF_X, ldImm64, type Insn,
} from '../../src/isa/index.js';
import {
  BPF_EXIST, BPF_LOG_STATS, BPF_NOEXIST, KernelError, createMap, formatFeatures, getPinned, loadBtf, loadProgram,
  mapInfo, openPinnedMap, openPinnedProgram, probeFeatures, runOnKernel, verifyOnKernel,
} from '../../src/kernel/index.js';
import { funcInfoBtf, kernelOrSkip, privateMount } from './env.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const MOV = (dst: number, imm: number) => I(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
const EXIT = I(BPF_JMP | BPF_EXIT);
const u32 = (n: number) => new Uint8Array(Uint32Array.of(n).buffer);
const u64 = (n: bigint) => new Uint8Array(BigUint64Array.of(n).buffer);
const readU64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

test('hash map: update, lookup, flags, delete, iterate, as the kernel answers', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using map = createMap(kernel, { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'test_hash' });
  for (let i = 0; i < 5; i++) map.update(u32(i), u64(BigInt(i * 100)));
  assert.equal(readU64(map.lookup(u32(3))!), 300n);
  assert.equal(map.lookup(u32(9)), undefined);
  assert.throws(() => map.update(u32(3), u64(1n), BPF_NOEXIST), (e: unknown) => e instanceof KernelError && e.errnoName === 'EEXIST');
  assert.throws(() => map.update(u32(9), u64(1n), BPF_EXIST), (e: unknown) => e instanceof KernelError && e.errnoName === 'ENOENT');
  map.delete(u32(0));
  assert.throws(() => map.delete(u32(0)), /BPF_MAP_DELETE_ELEM: ENOENT \(2\)/);
  const keys = [...map.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort();
  assert.deepEqual(keys, [1, 2, 3, 4]);
  assert.deepEqual(new Map([...map.entries()].map(([k, v]) => [k[0], readU64(v)])), new Map([[1, 100n], [2, 200n], [3, 300n], [4, 400n]]));
  const info = mapInfo(kernel, map.fd);
  assert.deepEqual({ ...info, id: 0 }, { type: 1, id: 0, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, name: 'test_hash' });
});

test('array, per-CPU array and queue maps keep the kernel\'s semantics', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using array = createMap(kernel, { type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 });
  assert.deepEqual(array.lookup(u32(1)), new Uint8Array(4), 'array slots exist and start zeroed');
  assert.throws(() => array.update(u32(2), u32(1)), (e: unknown) => e instanceof KernelError && e.errnoName === 'E2BIG');
  assert.throws(() => array.delete(u32(0)), (e: unknown) => e instanceof KernelError && e.errnoName === 'EINVAL');

  using percpu = createMap(kernel, { type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  const cpus = kernel.possibleCpus();
  assert.equal(percpu.valueBytes, 8 * cpus, 'one 8-byte-rounded slot per possible CPU');
  const all = new Uint8Array(8 * cpus).map((_, i) => i);
  percpu.update(u32(0), all);
  assert.deepEqual(percpu.lookup(u32(0)), all, 'each CPU\'s whole rounded slot goes in and out');

  using queue = createMap(kernel, { type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 });
  queue.update(undefined, u32(7));
  queue.update(undefined, u32(8));
  assert.deepEqual(queue.lookup(new Uint8Array()), u32(7), 'peek');
  assert.deepEqual(queue.lookupAndDelete(), u32(7));
  assert.deepEqual(queue.lookupAndDelete(), u32(8));
  assert.equal(queue.lookupAndDelete(), undefined);
});

test('batch commands walk, update and delete a hash map', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using map = createMap(kernel, { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 128 });
  const keys = Array.from({ length: 100 }, (_, i) => u32(i * 3));
  assert.equal(map.updateBatch(keys, keys.map((_, i) => u64(BigInt(i)))), 100);
  const seen = new Map<number, bigint>();
  let cursor: Uint8Array | undefined;
  let batches = 0;
  do {
    const r = map.lookupBatch({ cursor, count: 7 });
    r.keys.forEach((k, i) => seen.set(new DataView(k.buffer).getUint32(0, true), readU64(r.values[i])));
    cursor = r.cursor;
    batches++;
  } while (cursor && batches < 100);
  assert.equal(seen.size, 100);
  assert.equal(seen.get(297), 99n);
  assert.equal(map.deleteBatch(keys.slice(0, 40)), 40);
  const rest = map.lookupAndDeleteBatch();
  assert.equal(rest.keys.length, 60);
  assert.equal(rest.cursor, undefined);
  assert.equal(map.getNextKey(), undefined, 'empty after lookup-and-delete');
});

test('a program that reads a map by fd, run with data in and out', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using map = createMap(kernel, { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  map.update(u32(0), u64(0x1234n));
  // r0 = map[0]; data[0] = 0x55; return 3 (XDP_TX) — through bpf_map_lookup_elem.
  const insns: Insn[] = [
    I(BPF_ALU64 | BPF_MOV | 0x08, 6, 1), // r6 = ctx
    I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
    ...ldImm64(1, BigInt(map.fd.value), BPF_PSEUDO_MAP_FD),
    I(BPF_ALU64 | BPF_MOV | 0x08, 2, 10), I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
    I(BPF_JMP | 0x80, 0, 0, 0, 1), // call bpf_map_lookup_elem
    I(BPF_JMP | 0x15, 0, 0, 1, 0), // if r0 == 0 goto +1
    I(BPF_LDX | BPF_MEM | BPF_DW, 7, 0, 0), // r7 = *(u64 *)(r0 + 0)
    I(BPF_LDX | BPF_MEM | BPF_W, 2, 6, 0), I(BPF_LDX | BPF_MEM | BPF_W, 3, 6, 4), // data, data_end
    I(BPF_ALU64 | BPF_MOV | 0x08, 4, 2), I(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 1),
    I(BPF_JMP | 0x2d, 4, 3, 1), // if r4 > r3 goto +1
    I(BPF_ST | BPF_MEM | 0x10, 2, 0, 0, 0x55), // *(u8 *)(r2 + 0) = 0x55
    MOV(0, 3), EXIT,
  ];
  using prog = loadProgram(kernel, { type: 'xdp', insns, name: 'map_reader', logLevel: 1 });
  assert.match(prog.log, /processed \d+ insns/);
  const data = new Uint8Array(64).fill(1);
  const r = prog.testRun({ data, repeat: 10 });
  assert.equal(r.retval, 3);
  assert.equal(r.dataOut.length, 64);
  assert.equal(r.dataOut[0], 0x55);
  assert.equal(r.dataOut[1], 1);
  const info = prog.info();
  assert.equal(info.name, 'map_reader');
  assert.match(info.tag, /^[0-9a-f]{16}$/);
  assert.ok(info.verifiedInsns > 0);
});

test('a tc program run with an __sk_buff context in and out', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  // skb->mark += 1; return skb->mark
  const insns = [I(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 8), I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1), I(BPF_STX | BPF_MEM | BPF_W, 1, 0, 8), EXIT];
  using prog = loadProgram(kernel, { type: 'sched_cls', insns });
  const ctx = new Uint8Array(192);
  new DataView(ctx.buffer).setUint32(8, 41, true);
  const r = prog.testRun({ data: new Uint8Array(64), ctx });
  assert.equal(r.retval, 42);
  assert.equal(new DataView(r.ctxOut.buffer).getUint32(8, true), 42);
});

test('log levels: statistics, the walk, every state; a small buffer still returns the whole log', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const insns: Insn[] = [];
  for (let i = 0; i < 300; i++) insns.push(MOV(i % 10, i));
  insns.push(MOV(0, 0), EXIT);
  const stats = loadProgram(kernel, { type: 'socket_filter', insns, logLevel: BPF_LOG_STATS });
  assert.match(stats.log, /^verification time/m);
  assert.doesNotMatch(stats.log, /\(b7\)/);
  stats.close();
  const big = loadProgram(kernel, { type: 'socket_filter', insns, logLevel: 2, logSize: 1 << 22 });
  const small = loadProgram(kernel, { type: 'socket_filter', insns, logLevel: 2, logSize: 256 });
  assert.match(big.log, /^299: \(b7\) r9 = 299/m);
  assert.ok(big.log.length > 10_000);
  const normalise = (log: string) => log.replace(/verification time \d+ usec/, '');
  assert.equal(normalise(small.log), normalise(big.log));
  big.close();
  small.close();
});

test('a verifier rejection is a VerifierError with the kernel log, its instruction and reason', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const insns = [MOV(0, 1), I(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, 8), EXIT];
  assert.throws(() => loadProgram(kernel, { type: 'socket_filter', insns }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.insn, 1);
    assert.match(e.summary, /invalid read from stack/);
    assert.match(e.log, /^1: \(79\) r0 = \*\(u64 \*\)\(r10 \+8\)/m);
    assert.ok(e.cause instanceof KernelError && e.cause.errnoName === 'EACCES');
    return true;
  });
  const verdict = verifyOnKernel(kernel, insns, { logLevel: 1 });
  assert.equal(verdict.accepted, false);
  assert.equal(verdict.error?.insn, 1);
  assert.ok(verdict.processedInsns >= 2);
  const ok = verifyOnKernel(kernel, [MOV(0, 0), EXIT]);
  assert.deepEqual({ ...ok, log: '' }, { accepted: true, processedInsns: 2, error: null, log: '' });
  const unknownType = verifyOnKernel(kernel, [MOV(0, 0), EXIT], { type: 999 });
  assert.equal(unknownType.accepted, false);
  assert.match(unknownType.error!.message, /BPF_PROG_LOAD: EINVAL/);
});

/** BTF with [1] int and [2] struct pair { int a; int b; }. */
function smallBtf(magic = 0xeb9f): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0pair\0a\0b\0');
  const types = Uint32Array.of(1, 1 << 24, 4, (1 << 24) | 32, 5, (4 << 24) | 2, 8, 10, 1, 0, 12, 1, 32);
  const out = new Uint8Array(24 + types.byteLength + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, magic, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, types.byteLength, true);
  v.setUint32(16, types.byteLength, true);
  v.setUint32(20, strings.length, true);
  out.set(new Uint8Array(types.buffer), 24);
  out.set(strings, 24 + types.byteLength);
  return out;
}

test('BTF_LOAD: raw BTF describes a map; bad BTF is refused with the kernel\'s reason', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using btf = loadBtf(kernel, smallBtf(), { logLevel: 1 });
  using map = createMap(kernel, { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, btfFd: btf.fd.value, btfKeyTypeId: 1, btfValueTypeId: 2 });
  map.update(u32(1), u64(5n));
  assert.throws(() => loadBtf(kernel, smallBtf(0x1234)), (e: unknown) => e instanceof KernelError && e.command === 'BPF_BTF_LOAD' && e.errnoName === 'EINVAL');
  const truncated = smallBtf().subarray(0, 40);
  assert.throws(() => loadBtf(kernel, truncated), (e: unknown) => {
    assert.ok(e instanceof KernelError && e.command === 'BPF_BTF_LOAD');
    assert.ok(e.log.length > 0, 'the BTF verifier\'s log comes with the error');
    assert.ok(e.message.endsWith(e.log.trim().split('\n').pop()!));
    return true;
  });
  assert.throws(() => createMap(kernel, { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, btfFd: btf.fd.value, btfKeyTypeId: 1, btfValueTypeId: 2 }),
    (e: unknown) => e instanceof KernelError && e.command === 'BPF_MAP_CREATE', 'value size 4 does not match struct pair');
});

test('OBJ_PIN and OBJ_GET on a bpffs', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const bpffs = privateMount('bpf');
  t.after(bpffs.unmount);
  {
    using map = createMap(kernel, { type: 'array', keySize: 4, valueSize: 4, maxEntries: 3, name: 'pinned' });
    map.update(u32(2), u32(99));
    map.pin(join(bpffs.dir, 'm'));
    using prog = loadProgram(kernel, { type: 'socket_filter', insns: [MOV(0, 0), EXIT], name: 'pinned_prog' });
    prog.pin(join(bpffs.dir, 'p'));
    assert.throws(() => map.pin(join(bpffs.dir, 'm')), (e: unknown) => e instanceof KernelError && e.errnoName === 'EEXIST');
  }
  using again = openPinnedMap(kernel, join(bpffs.dir, 'm'));
  assert.equal(again.name, 'pinned');
  assert.deepEqual(again.lookup(u32(2)), u32(99));
  using prog = openPinnedProgram(kernel, join(bpffs.dir, 'p'));
  assert.equal(prog.name, 'pinned_prog');
  assert.equal(prog.type, 1);
  assert.throws(() => getPinned(kernel, join(bpffs.dir, 'missing')), (e: unknown) => e instanceof KernelError && e.errnoName === 'ENOENT');
});

test('feature probe finds program types, map types, helpers and ISA extensions', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const probe = probeFeatures(kernel, { helperProgTypes: ['socket_filter', 'xdp'] });
  const prog = new Map(probe.progTypes.map((p) => [p.name, p.available]));
  assert.equal(prog.get('socket_filter'), true);
  assert.equal(prog.get('xdp'), true);
  const maps = new Map(probe.mapTypes.map((m) => [m.name, m.available]));
  for (const name of ['hash', 'array', 'ringbuf', 'queue', 'lpm_trie', 'array_of_maps']) assert.equal(maps.get(name), true, name);
  const xdp = probe.helpers.find((h) => h.progType === 'xdp')!.helpers.map((h) => h.name);
  assert.ok(xdp.includes('bpf_map_lookup_elem') && xdp.includes('bpf_xdp_adjust_head'));
  const socket = probe.helpers.find((h) => h.progType === 'socket_filter')!.helpers.map((h) => h.name);
  assert.ok(!socket.includes('bpf_xdp_adjust_head'), 'socket filters cannot call XDP helpers');
  assert.deepEqual(probe.misc.filter((m) => m.available).map((m) => m.name).sort(), ['bounded_loops', 'isa_v2_ext', 'isa_v3_ext', 'isa_v4_ext', 'large_insn_limit']);
  const text = formatFeatures(probe);
  assert.match(text, /^eBPF program_type xdp is available$/m);
  assert.match(text, /^eBPF map_type hash is available$/m);
  assert.match(text, /^eBPF helpers supported for program type xdp:\n(\t- \w+\n)+/m);
});

test('runOnKernel: r1 = memory, r2 = its length, the whole 64-bit r0, the memory back, repeat', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  // mem[0] += 1 (atomically); r0 = (r2 << 40) | mem[0..8] as u64 (low 40 bits)
  const insns = [
    MOV(3, 1), I(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 3, 0, BPF_ADD),
    I(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 0),
    I(BPF_ALU64 | BPF_LSH | BPF_K, 2, 0, 0, 40), I(BPF_ALU64 | BPF_OR | BPF_X, 0, 2),
    EXIT,
  ];
  const mem = new Uint8Array(24).fill(0);
  const once = runOnKernel(kernel, insns, mem);
  assert.ok(once.ok, !once.ok ? once.reason : '');
  assert.equal(once.r0, (24n << 40n) | 1n);
  assert.equal(once.dataOut[0], 1);
  assert.equal(mem[0], 0, 'the caller\'s memory is not changed');
  const five = runOnKernel(kernel, insns, mem, { repeat: 5 });
  assert.ok(five.ok);
  assert.equal(five.dataOut[0], 5, 'repeated runs share the memory');
  assert.equal(five.r0, (24n << 40n) | 5n);
  const rejected = runOnKernel(kernel, [I(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 20), EXIT], mem);
  assert.deepEqual(rejected.ok ? undefined : rejected.reason.split(':')[0], 'kernel verifier rejects it at insn 0');
});

test('PROG_LOAD with a BTF fd and func_info; a func_info naming a non-function is refused', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using btf = loadBtf(kernel, funcInfoBtf(['prog']));
  const funcInfo = (typeId: number) => ({ recSize: 8, count: 1, bytes: new Uint8Array(Uint32Array.of(0, typeId).buffer) });
  using prog = loadProgram(kernel, { type: 'socket_filter', insns: [MOV(0, 0), EXIT], btfFd: btf.fd.value, funcInfo: funcInfo(3), logLevel: 2 });
  assert.match(prog.log, /^func#0 @0$/m);
  assert.throws(() => loadProgram(kernel, { type: 'socket_filter', insns: [MOV(0, 0), EXIT], btfFd: btf.fd.value, funcInfo: funcInfo(1) }),
    (e: unknown) => e instanceof VerifierError && e.summary === 'invalid type id 1 in func info');
});
