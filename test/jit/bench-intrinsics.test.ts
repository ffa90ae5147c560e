/**
 * The JIT's map intrinsics (src/jit/intrinsics.ts, map-code.ts) against the
 * JavaScript maps they stand for: two runtimes, one interpreting and one
 * JIT-compiling, get the same maps and the same programs and inputs, and
 * must return the same r0 and leave byte-identical map memory (descriptor
 * and storage), ring buffer records and wakeups; tail calls and bpf_loop
 * taken in wasm (tail-code.ts, loop-code.ts) run what the helpers would —
 * each program run several times, since the first run files the wasm
 * entries the later ones use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_MAX_LOOPS, ProgramHandle, RuntimeError } from '../../src/helpers/index.js';
import { RINGBUF_DESC, RingBufMap, u32Bytes, type BpfMap, type MapCreateAttr } from '../../src/maps/index.js';
import type { Region } from '../../src/memory/index.js';
import { Runtime, type EngineProgram } from '../../src/runtime/index.js';
import { Jit, JitCache, type JitProgram } from '../../src/jit/index.js';
import { asm } from '../helpers/util.js';
import { callInCallbackProg, framesProg, loopProg, nestedProg } from '../helpers/hook-programs.js';

/** A deterministic generator (xorshift32). */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Bytes of the descriptor the fast paths read (its type-specific part included). */
const DESC_BYTES = 128;

class Twin {
  readonly sides = [new Runtime({ engine: 'interp' }), new Runtime({ engine: 'jit' })];
  private readonly inputs: Region[] = this.sides.map((rt) => rt.space.alloc('input', 256, 'data'));

  create(attr: MapCreateAttr): [BpfMap, BpfMap] {
    const [a, b] = this.sides.map((rt) => rt.registry.create(attr));
    assert.equal(a.address, b.address, 'both runtimes lay their maps out alike');
    return [a, b];
  }

  private readonly prepared = new Map<string, EngineProgram[]>();

  /** `text` prepared on both, once: later runs reuse what the first filed (callback and tail-call entries). */
  private prepare(text: string): EngineProgram[] {
    let progs = this.prepared.get(text);
    if (!progs) {
      const insns = asm(text);
      progs = this.sides.map((rt) => rt.prepare(insns));
      this.prepared.set(text, progs);
    }
    return progs;
  }

  /** Run `text` on both with r1 = the input holding `bytes`; the common r0 (or the common error). */
  run(text: string, bytes: Uint8Array, intrinsics: readonly number[] = []): bigint {
    const progs = this.prepare(text);
    const outcome = this.sides.map((rt, i) => {
      rt.space.write(this.inputs[i].start, bytes);
      const prog = progs[i];
      if (rt.engine === 'jit') {
        const used = (prog as JitProgram).compiled.intrinsics.map((x) => x.id);
        for (const id of intrinsics) assert.ok(used.includes(id), `helper #${id} runs as an intrinsic`);
      }
      try {
        return prog.run({ r1: BigInt(this.inputs[i].start) }).r0;
      } catch (err) {
        return err instanceof RuntimeError ? `${err.message}` : err;
      }
    });
    assert.deepEqual(outcome[1], outcome[0], 'the JIT returns (or fails) as the interpreter does');
    if (typeof outcome[0] !== 'bigint') throw new Error(String(outcome[0]));
    return outcome[0];
  }

  /** Run `text` on both and return the common error message. */
  fails(text: string, bytes: Uint8Array): string {
    try {
      this.run(text, bytes);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      return (err as Error).message;
    }
    assert.fail('the program ran to its end');
  }

  /** `n` bytes of the input as each side left them, the same on both. */
  input(n: number): Uint8Array {
    const [a, b] = this.sides.map((rt, i) => rt.space.bytes.slice(this.inputs[i].start, this.inputs[i].start + n));
    assert.deepEqual(b, a, 'the input memory');
    return a;
  }

  /** The map's descriptor and storage are the same bytes on both sides. */
  sameMemory([a, b]: [BpfMap, BpfMap], what: string): void {
    const bytes = (rt: Runtime, m: BpfMap) => [
      rt.space.bytes.slice(m.address, m.address + DESC_BYTES),
      rt.space.bytes.slice(m.storage, m.storage + m.storageSize),
    ];
    assert.deepEqual(bytes(this.sides[1], b), bytes(this.sides[0], a), `${what}: the map's memory`);
  }

  dispose(): void {
    for (const rt of this.sides) rt.dispose();
  }
}

const LOOKUP = (map: number) => `
  r2 = r1
  r1 = ${map} ll
  call bpf_map_lookup_elem
  exit`;

test('hash map lookups in wasm: jhash and jhash2 for every key size, found or not, and the types that use the helper', () => {
  const twin = new Twin();
  try {
    const rnd = random(7);
    for (const [type, keySize] of [
      ['hash', 1], ['hash', 3], ['hash', 4], ['hash', 6], ['hash', 8], ['hash', 12], ['hash', 13], ['hash', 16], ['hash', 27], ['hash', 40],
      ['lru_hash', 4], ['percpu_hash', 8],
    ] as const) {
      const maps = twin.create({ type, keySize, valueSize: 8, maxEntries: 64 });
      const keys: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        const key = Uint8Array.from({ length: keySize }, () => rnd(keySize < 3 ? 256 : 4));
        const value = Uint8Array.from({ length: 8 }, () => rnd(256));
        for (const m of maps) m.update(key, value);
        keys.push(key);
      }
      for (let i = 0; i < 120; i++) {
        const key = i % 2 ? keys[rnd(keys.length)] : Uint8Array.from({ length: keySize }, () => rnd(keySize < 3 ? 256 : 4));
        const r0 = twin.run(LOOKUP(maps[0].address), key, type === 'hash' ? [1] : []);
        const value = maps[0].lookup(key);
        if (type !== 'percpu_hash') {
          assert.deepEqual(r0 === 0n ? undefined : twin.sides[0].space.bytes.slice(Number(r0), Number(r0) + 8), value, `${type} ${keySize}: lookup ${key}`);
        }
      }
      twin.sameMemory(maps, `${type}, key size ${keySize}`);
    }
  } finally {
    twin.dispose();
  }
});

test('array lookups in wasm: the map named by a constant (its size and storage compiled in) or by a pointer from memory, in range or past it', () => {
  const twin = new Twin();
  try {
    const arrays = [twin.create({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 5 }), twin.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 64 })];
    // r0 = the value's offset in its map (or -1 when the lookup misses); the key is input byte 0, the map pointer input bytes 8-15.
    const named = (map: number, constant: boolean) => `
      r6 = r1
      r2 = *(u8 *)(r6 + 0)
      *(u32 *)(r10 - 4) = r2
      ${constant ? `r1 = ${map} ll` : 'r1 = *(u64 *)(r6 + 8)'}
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto miss
      r1 = ${map === arrays[0][0].address ? arrays[0][0].storage : arrays[1][0].storage} ll
      r0 -= r1
      exit
    miss:
      r0 = -1
      exit`;
    for (const [a] of arrays) {
      for (const constant of [true, false]) {
        for (const key of [0, 1, 4, 5, 63, 64, 255]) {
          const input = new Uint8Array(16);
          input[0] = key;
          new DataView(input.buffer).setBigUint64(8, BigInt(a.address), true);
          const elem = (a.valueSize + 7) & ~7;
          const expect = key < a.maxEntries ? BigInt(key * elem) : BigInt.asUintN(64, -1n);
          assert.equal(twin.run(named(a.address, constant), input, [1]), expect, `key ${key} of ${a.maxEntries}, ${constant ? 'constant' : 'from memory'}`);
        }
      }
    }
  } finally {
    twin.dispose();
  }
});

test('a module specialised on a map is not reused for another map at the same address', () => {
  const sides = [2, 8].map((maxEntries) => {
    const rt = new Runtime({ engine: 'jit' });
    return { rt, map: rt.registry.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries }) };
  });
  try {
    assert.equal(sides[0].map.address, sides[1].map.address, 'both runtimes lay their maps out alike');
    const cache = new JitCache();
    const text = `
      *(u32 *)(r10 - 4) = 5
      r1 = ${sides[0].map.address} ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      exit`;
    const r0 = sides.map(({ rt }) => {
      const jit = new Jit(rt.space, { helpers: rt.helpers, cache });
      try {
        return jit.load(asm(text)).run({}).r0;
      } finally {
        jit.dispose();
      }
    });
    assert.equal(r0[0], 0n, 'key 5 is past the first map\'s 2 entries');
    assert.equal(r0[1], BigInt(sides[1].map.storage + 5 * 8), 'and within the second\'s 8');
    assert.equal(cache.size, 2);
  } finally {
    for (const { rt } of sides) rt.dispose();
  }
});

test('a hash lookup whose bucket is locked goes to the helper, which answers as the map does', () => {
  const twin = new Twin();
  try {
    const maps = twin.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
    const key = Uint8Array.of(1, 2, 3, 4);
    for (const m of maps) m.update(key, new Uint8Array(8).fill(5));
    // Every bucket's lock word held by this thread (its owner id): the helper answers -EDEADLK, so NULL.
    for (const [i, rt] of twin.sides.entries()) {
      const m = maps[i];
      for (let b = 0; b < 4; b++) rt.space.view.setUint32(m.storage + b * 8 + 4, rt.registry.mem.owner, true);
    }
    assert.equal(twin.run(LOOKUP(maps[0].address), key, [1]), 0n);
    twin.sameMemory(maps, 'locked hash');
  } finally {
    twin.dispose();
  }
});

test('a ring buffer reserve whose ring lock is held goes to the helper through the same import, with its pc', () => {
  const twin = new Twin();
  try {
    const rings = twin.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
    const reserve = (flags: number) => `
      r1 = ${rings[0].address} ll
      r2 = 8
      r3 = ${flags}
      call bpf_ringbuf_reserve
      if r0 == 0 goto out
      r1 = r0
      r2 = 0
      call bpf_ringbuf_submit
      r0 = 1
    out:
      exit`;
    assert.equal(twin.run(reserve(0), new Uint8Array(8), [131, 132]), 1n, 'reserved and submitted in wasm');
    // The lock word held by this thread (its owner id): the fast path falls back, and the helper answers as the map does.
    for (const [i, rt] of twin.sides.entries()) rt.space.view.setUint32(rings[i].address + RINGBUF_DESC.lock, rt.registry.mem.owner, true);
    assert.equal(twin.run(reserve(0), new Uint8Array(8), [131, 132]), 0n, 'no sample while the lock is held');
    twin.sameMemory(rings, 'locked ring');
  } finally {
    twin.dispose();
  }
});

test('LPM trie lookups in wasm: the longest matching prefix, for IPv4- and IPv6-sized keys', () => {
  const twin = new Twin();
  try {
    const rnd = random(11);
    for (const dataSize of [4, 16]) {
      const max = dataSize * 8;
      const maps = twin.create({ type: 'lpm_trie', keySize: 4 + dataSize, valueSize: 4, maxEntries: 128, flags: 1 });
      const routes: { len: number; data: Uint8Array; hop: number }[] = [];
      const key = (len: number, data: Uint8Array) => {
        const k = new Uint8Array(4 + dataSize);
        new DataView(k.buffer).setUint32(0, len, true);
        k.set(data, 4);
        return k;
      };
      // Prefixes under a few common stems, so that the trie has depth and intermediate nodes.
      const stems = Array.from({ length: 4 }, () => Uint8Array.from({ length: dataSize }, () => rnd(256)));
      const near = () => {
        const d = stems[rnd(stems.length)].slice();
        for (let i = rnd(dataSize); i < dataSize; i++) d[i] = rnd(256);
        return d;
      };
      for (let i = 0; i < 100; i++) {
        const route = { len: rnd(max + 1), data: near(), hop: i + 1 };
        const value = new Uint8Array(new Uint32Array([route.hop]).buffer);
        for (const m of maps) m.update(key(route.len, route.data), value);
        routes.push(route);
      }
      const bit = (d: Uint8Array, i: number) => (d[i >>> 3] >>> (7 - (i & 7))) & 1;
      const matches = (r: { len: number; data: Uint8Array }, len: number, d: Uint8Array) => {
        if (r.len > len) return false;
        for (let i = 0; i < r.len; i++) if (bit(r.data, i) !== bit(d, i)) return false;
        return true;
      };
      for (let i = 0; i < 200; i++) {
        const len = i % 10 === 0 ? max + 1 + rnd(8) : i % 3 === 0 ? rnd(max + 1) : max;
        const data = near();
        const r0 = twin.run(LOOKUP(maps[0].address), key(len, data), [1]);
        const hop = r0 === 0n ? 0 : twin.sides[0].space.view.getUint32(Number(r0), true);
        // The last route written for the longest matching prefix wins (an update replaces).
        let best: { len: number; hop: number } | undefined;
        for (const r of routes) if (len <= max && matches(r, len, data) && (!best || r.len >= best.len)) best = r;
        assert.equal(hop, best?.hop ?? 0, `lookup /${len}`);
      }
      twin.sameMemory(maps, `lpm, data size ${dataSize}`);
    }
  } finally {
    twin.dispose();
  }
});

test('ring buffer reserve, submit and discard in wasm: records, wrap-around, wakeups, two rings in turn', () => {
  const twin = new Twin();
  try {
    const rnd = random(3);
    const rings = twin.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
    const other = twin.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
    // input: +0 size, +4 discard?, +8 flags, +16 a marker written into the sample.
    const one = `
      r6 = r1
      r1 = ${rings[0].address} ll
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 20)
      call bpf_ringbuf_reserve
      if r0 == 0 goto out
      r7 = r0
      r1 = *(u64 *)(r6 + 16)
      *(u64 *)(r7 + 0) = r1
      r1 = r7
      r2 = *(u64 *)(r6 + 8)
      r3 = *(u32 *)(r6 + 4)
      if r3 != 0 goto discard
      call bpf_ringbuf_submit
      r0 = 1
      exit
    discard:
      call bpf_ringbuf_discard
      r0 = 2
    out:
      exit`;
    const both = `
      r6 = r1
      r1 = ${rings[0].address} ll
      r2 = 16
      r3 = 0
      call bpf_ringbuf_reserve
      if r0 == 0 goto out
      r7 = r0
      r1 = ${other[0].address} ll
      r2 = 24
      r3 = 0
      call bpf_ringbuf_reserve
      if r0 == 0 goto undo
      r8 = r0
      *(u64 *)(r7 + 8) = r8
      *(u64 *)(r8 + 16) = r7
      r1 = r7
      r2 = 0
      call bpf_ringbuf_submit
      r1 = r8
      r2 = 0
      call bpf_ringbuf_discard
      r0 = 3
      exit
    undo:
      r1 = r7
      r2 = 0
      call bpf_ringbuf_discard
    out:
      exit`;
    const consume = (limit: number) => {
      const got = twin.sides.map((_, i) => {
        const out: string[] = [];
        for (const r of [rings[i], other[i]] as RingBufMap[]) r.consume((s) => { out.push(Buffer.from(s).toString('hex')); }, limit);
        return out;
      });
      assert.deepEqual(got[1], got[0], 'the consumed records');
    };
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 600; i++) {
      const input = new Uint8Array(24);
      const dv = new DataView(input.buffer);
      dv.setUint32(0, i % 50 === 7 ? 5000 : 8 + rnd(700));
      dv.setUint32(0, dv.getUint32(0), true);
      dv.setUint32(4, rnd(3) === 0 ? 1 : 0, true);
      dv.setUint32(8, [0, 0, 1, 2, 3, 4][rnd(6)], true);
      dv.setUint32(16, i, true);
      dv.setUint32(20, i % 97 === 5 ? 1 : 0, true);
      const r0 = i % 5 === 0 ? twin.run(both, input, [131, 132, 133]) : twin.run(one, input, [131, 132, 133]);
      counts[Number(r0)]++;
      if (rnd(4) === 0) consume(1 + rnd(6));
    }
    consume(Infinity);
    assert.ok(counts.every((n) => n > 0), `every outcome happened: ${counts}`);
    twin.sameMemory(rings, 'ring');
    twin.sameMemory(other, 'other ring');
    assert.ok((rings[0] as RingBufMap).wakeups > 0);
  } finally {
    twin.dispose();
  }
});

test('tail calls in wasm: the 33-call budget, empty and out-of-range slots, a slot given another program', () => {
  const twin = new Twin();
  try {
    const counter = twin.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    const slots = twin.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });
    // Count a visit, then tail-call slot r1's first input byte, again and again; what is left when a tail call fails.
    const visit = (mark: number) => `
      r6 = r1
      r1 = ${counter[0].address} ll
      r2 = r10
      r2 += -4
      *(u32 *)(r10 - 4) = 0
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = *(u64 *)(r0 + 0)
      r1 += ${mark}
      *(u64 *)(r0 + 0) = r1
      r1 = r6
      r2 = ${slots[0].address} ll
      r3 = *(u8 *)(r6 + 0)
      call bpf_tail_call
      r1 = ${counter[0].address} ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r0 = *(u64 *)(r0 + 0)
    out:
      exit`;
    const ids = twin.sides.map((rt) => [1, 1000].map((mark) => rt.registry.registerProgram(new ProgramHandle(`visit${mark}`, asm(visit(mark))))));
    const set = (slot: number, which: number) => twin.sides.forEach((_, i) => slots[i].update(u32Bytes(slot), u32Bytes(ids[i][which])));
    const zero = () => counter.forEach((m) => m.update(u32Bytes(0), new Uint8Array(8)));
    set(0, 0);
    // The entry and 33 tail calls: 34 visits.
    assert.equal(twin.run(visit(1), Uint8Array.of(0), [12]), 34n);
    zero();
    assert.equal(twin.run(visit(1), Uint8Array.of(1), [12]), 1n, 'an empty slot falls through');
    zero();
    assert.equal(twin.run(visit(1), Uint8Array.of(9), [12]), 1n, 'an index past max_entries falls through');
    zero();
    set(0, 1);
    assert.equal(twin.run(visit(1), Uint8Array.of(0), [12]), 1n + 33n * 1000n, 'the slot\'s new program runs');
    set(2, 0);
    set(0, 0);
    zero();
    assert.equal(twin.run(visit(1), Uint8Array.of(2), [12]), 34n);
  } finally {
    twin.dispose();
  }
});

test('a tail call in wasm zeroes what the target can read of its frame before writing it, as the interpreter does', () => {
  const twin = new Twin();
  try {
    const counter = twin.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
    const slots = twin.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 });
    // Reads its stack unwritten: directly, and as a key it gives the helper.
    const target = `
      r6 = *(u64 *)(r10 - 16)
      r1 = ${counter[0].address} ll
      r2 = r10
      r2 += -8
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r0 = *(u64 *)(r0 + 0)
      r0 += r6
    out:
      exit`;
    const ids = twin.sides.map((rt) => rt.registry.registerProgram(new ProgramHandle('target', asm(target))));
    twin.sides.forEach((_, i) => {
      slots[i].update(u32Bytes(0), u32Bytes(ids[i]));
      counter[i].update(u32Bytes(0), Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 0));
      counter[i].update(u32Bytes(1), Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0));
    });
    // Fill the frame with ones (key 1 at r10 - 8, garbage at r10 - 16), then tail-call slot 0.
    const caller = `
      r6 = r1
      r2 = 1
      *(u64 *)(r10 - 8) = r2
      *(u64 *)(r10 - 16) = r2
      *(u64 *)(r10 - 512) = r2
      r1 = r6
      r2 = ${slots[0].address} ll
      r3 = 0
      call bpf_tail_call
      r0 = 99
      exit`;
    for (let k = 0; k < 3; k++) assert.equal(twin.run(caller, Uint8Array.of(0), [12]), 7n, 'key 0 and 0 read: the frame was zeroed');
  } finally {
    twin.dispose();
  }
});

test('bpf_loop in wasm: every count, early stops, bad flags, nesting to the frame limit, calls inside callbacks', () => {
  const twin = new Twin();
  try {
    const zero = new Uint8Array(8);
    for (const [text, r0, sum] of [
      [loopProg(10, 99), 10n, 45n], [loopProg(10, 3), 4n, 6n], [loopProg(0, 0), 0n, 0n], [loopProg(300, 299), 300n, 44850n],
      [loopProg(10, 3, 1), BigInt.asUintN(64, -22n), 0n], [loopProg(BPF_MAX_LOOPS + 1, 0), 0xfffffff9n, 0n],
      [nestedProg(7), 1n, 7n],
    ] as const) {
      for (let run = 0; run < 3; run++) {
        assert.equal(twin.run(text, zero, [181]), r0);
        assert.equal(new DataView(twin.input(8).buffer).getBigUint64(0, true), sum);
      }
    }
    for (let run = 0; run < 3; run++) {
      assert.equal(twin.run(framesProg, zero), 0x1234n + 0x66n + 0x77n);
      twin.run(callInCallbackProg, zero);
      assert.match(twin.fails(nestedProg(8), zero), /^pc 18: callback at 7 needs frame 9: at most 8 frames$/);
    }
  } finally {
    twin.dispose();
  }
});
