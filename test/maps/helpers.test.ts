/** The map helpers, through the interpreter, in hand-written programs that lddw a map's descriptor address. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/helpers/index.js';
import { mapHelpers } from '../../src/helpers/maps.js';
import { AddressSpace } from '../../src/memory/index.js';
import {
  ArrayMap, BPF_F_NO_PREALLOC, MapRegistry, PerfEventArrayMap, RingBufMap, type MapRegistryOptions,
} from '../../src/maps/index.js';
import { Bench, EINVAL, ENOENT, errno, slotOf } from '../helpers/util.js';
import { hex, readU32, u32, u64 } from './util.js';

function bench(options: MapRegistryOptions & { cpu?: number } = {}) {
  const space = new AddressSpace();
  const registry = new MapRegistry(space, { nrCpus: options.nrCpus });
  const b = new Bench({ space, extra: mapHelpers(registry), host: { cpu: options.cpu ?? 0 } });
  return { b, registry };
}

const EEXIST = errno(17);

test('update, lookup and delete from a program; the value pointer aliases the map', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
  const prog = `
    *(u32 *)(r10 - 4) = 7          ; key
    *(u64 *)(r10 - 16) = 100       ; value
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    if r0 != 0 goto out
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 5
    lock *(u64 *)(r0 + 0) += r1    ; an atomic add through the value pointer
    r0 = *(u64 *)(r0 + 0)
  out:
    exit`;
  assert.equal(b.run(prog), 105n);
  assert.equal(hex(map.lookup(u32(7))), hex(u64(105n)));
  const again = `
    *(u32 *)(r10 - 4) = 7
    *(u64 *)(r10 - 16) = 1
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 1                         ; BPF_NOEXIST
    call bpf_map_update_elem
    exit`;
  assert.equal(b.run(again), EEXIST);
  const del = `
    *(u32 *)(r10 - 4) = 7
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    call bpf_map_delete_elem
    r6 = r0
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    call bpf_map_delete_elem
    r0 += r6
    exit`;
  assert.equal(b.run(del), ENOENT);
  assert.equal(map.lookup(u32(7)), undefined);
});

test('a lookup that misses is NULL; unknown update flags are -EINVAL', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 });
  const lookup = (index: number) => `
    *(u32 *)(r10 - 4) = ${index}
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    exit`;
  assert.equal(b.run(lookup(1)), BigInt((map as ArrayMap).valueAddress(1)));
  assert.equal(b.run(lookup(2)), 0n);
  const update = `
    *(u32 *)(r10 - 4) = 0
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -4
    r4 = 8
    call bpf_map_update_elem
    exit`;
  assert.equal(b.run(update), EINVAL);
});

test('per-CPU maps: a program sees its CPU slot; bpf_map_lookup_percpu_elem reaches any CPU', () => {
  const { b, registry } = bench({ nrCpus: 4, cpu: 2 });
  const map = registry.create({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  map.update(u32(0), Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]));
  const prog = (cpu: number | undefined) => `
    *(u32 *)(r10 - 4) = 0
    r1 = ${map.address} ll
    r2 = r10
    r2 += -4
    ${cpu === undefined ? 'call bpf_map_lookup_elem' : `r3 = ${cpu}\n    call bpf_map_lookup_percpu_elem`}
    if r0 == 0 goto out
    r0 = *(u32 *)(r0 + 0)
  out:
    exit`;
  assert.equal(b.run(prog(undefined)), 3n, 'CPU 2');
  assert.equal(b.run(prog(0)), 1n);
  assert.equal(b.run(prog(3)), 4n);
  assert.equal(b.run(prog(4)), 0n, 'no CPU 4');
  const { b: wrong, registry: r2 } = bench({ nrCpus: 2, cpu: 5 });
  const m2 = r2.create({ type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => wrong.run(prog(undefined).replace(String(map.address), String(m2.address))),
    (e: unknown) => e instanceof RuntimeError && /runs on CPU 5, but the maps have 2 CPUs/.test(e.message));
});

test('queue push, pop and peek; bloom filter push and peek', () => {
  const { b, registry } = bench();
  const q = registry.create({ type: 'queue', keySize: 0, valueSize: 8, maxEntries: 4 });
  const bloom = registry.create({ type: 'bloom_filter', keySize: 0, valueSize: 8, maxEntries: 16 });
  const prog = `
    *(u64 *)(r10 - 8) = 11
    r1 = ${q.address} ll
    r2 = r10
    r2 += -8
    r3 = 0
    call bpf_map_push_elem
    *(u64 *)(r10 - 8) = 22
    r1 = ${q.address} ll
    r2 = r10
    r2 += -8
    r3 = 0
    call bpf_map_push_elem
    r1 = ${q.address} ll
    r2 = r10
    r2 += -8
    call bpf_map_pop_elem
    r6 = *(u64 *)(r10 - 8)         ; 11
    r1 = ${q.address} ll
    r2 = r10
    r2 += -8
    call bpf_map_peek_elem
    r7 = *(u64 *)(r10 - 8)         ; 22
    *(u64 *)(r10 - 8) = 99
    r1 = ${bloom.address} ll
    r2 = r10
    r2 += -8
    r3 = 0
    call bpf_map_push_elem
    r1 = ${bloom.address} ll
    r2 = r10
    r2 += -8
    call bpf_map_peek_elem
    r0 *= 1000
    r7 *= 100
    r0 += r7
    r0 += r6
    exit`;
  assert.equal(b.run(prog), 2211n, 'peek 0 (maybe in the set), then 22 and 11');
  assert.equal(readU32(q.lookupAndDelete()!), 22);
});

test('ring buffer helpers: reserve, submit, discard, output and query, read by the consumer', () => {
  const { b, registry } = bench();
  const rb = registry.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
  const prog = `
    r1 = ${rb.address} ll
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r1 = 0x1122334455667788 ll
    *(u64 *)(r0 + 0) = r1
    r1 = r0
    r2 = 0
    call bpf_ringbuf_submit
    r1 = ${rb.address} ll
    r2 = 4
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r1 = r0
    r2 = 0
    call bpf_ringbuf_discard
    *(u32 *)(r10 - 4) = 0xabcd
    r1 = ${rb.address} ll
    r2 = r10
    r2 += -4
    r3 = 4
    r4 = 0
    call bpf_ringbuf_output
    r6 = r0
    r1 = ${rb.address} ll
    r2 = 0                         ; BPF_RB_AVAIL_DATA
    call bpf_ringbuf_query
    r0 += r6
  out:
    exit`;
  assert.equal(b.run(prog), 48n, 'three records of 16 bytes, none consumed yet');
  const samples: string[] = [];
  rb.consume((s) => void samples.push(hex(s)));
  assert.deepEqual(samples, ['8877665544332211', 'cdab0000']);
  const bad = `
    r1 = ${rb.address} ll
    r2 = 8
    r3 = 1
    call bpf_ringbuf_reserve
    exit`;
  assert.equal(b.run(bad), 0n, 'reserve with flags is NULL');
  assert.throws(() => b.run(`
    r1 = ${rb.storage + 64} ll
    r2 = 0
    call bpf_ringbuf_submit
    exit`), (e: unknown) => e instanceof RuntimeError && /not a sample reserved/.test(e.message));
});

test('bpf_perf_event_output writes to the current CPU buffer', () => {
  const { b, registry } = bench({ nrCpus: 2, cpu: 1 });
  const map = registry.create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2 }) as PerfEventArrayMap;
  const buffer = map.open(1, { pageCount: 1 });
  const prog = `
    *(u32 *)(r10 - 4) = 0x01020304
    r2 = ${map.address} ll
    r3 = 0xffffffff ll             ; BPF_F_CURRENT_CPU
    r4 = r10
    r4 += -4
    r5 = 4
    call bpf_perf_event_output
    exit`;
  assert.equal(b.run(prog), 0n);
  const got: string[] = [];
  buffer.consume((d, cpu) => void got.push(`${cpu} ${hex(d)}`));
  assert.deepEqual(got, ['1 04030201']);
});

test('maps of maps: a program looks up the inner map, then its value', () => {
  const { b, registry } = bench();
  const inner = registry.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_PREALLOC });
  inner.update(u32(3), u32(33));
  const outer = registry.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner });
  outer.update(u32(1), u32(inner.id));
  const prog = `
    *(u32 *)(r10 - 4) = 1
    r1 = ${outer.address} ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    *(u32 *)(r10 - 8) = 3
    r1 = r0
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 = *(u32 *)(r0 + 0)
  out:
    exit`;
  assert.equal(b.run(prog), 33n);
});

test('for_each_map_elem over a hash visits every element with its key and value', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
  for (const k of [1, 2, 3]) map.update(u32(k), u64(BigInt(k * 10)));
  const text = `
    *(u64 *)(r10 - 8) = 0
    r1 = ${map.address} ll
    r2 = CB ll
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_for_each_map_elem
    r1 = *(u64 *)(r10 - 8)
    r0 *= 1000
    r0 += r1
    exit
  cb:
    r2 = *(u32 *)(r2 + 0)          ; key
    r3 = *(u64 *)(r3 + 0)          ; value
    r3 += r2
    r1 = *(u64 *)(r4 + 0)
    r1 += r3
    *(u64 *)(r4 + 0) = r1
    r0 = 0
    exit`;
  assert.equal(b.run(text.replace('CB', String(slotOf(text, 'cb')))), 3066n, '3 elements, sum of keys and values 66');
});

test('what the verifier would refuse is a RuntimeError: a pointer that is no map, a key outside memory', () => {
  const { b, registry } = bench();
  const map = registry.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => b.run(`
    r1 = ${map.address + 8} ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    exit`), (e: unknown) => e instanceof RuntimeError && e.pc === 4 && /is not a map pointer/.test(e.message));
  assert.throws(() => b.run(`
    r1 = ${map.address} ll
    r2 = 16
    call bpf_map_lookup_elem
    exit`), (e: unknown) => e instanceof RuntimeError && /invalid read of 4 bytes at 0x10/.test(e.message));
});
