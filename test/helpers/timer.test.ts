import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, VirtualClock, timerHelpers } from '../../src/helpers/index.js';
import { mapHelpers } from '../../src/helpers/maps.js';
import { MapRegistry, u32Bytes } from '../../src/maps/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Bench, EBUSY, EDEADLK, EINVAL, slotOf } from './util.js';

/**
 * Values are struct { u64 count; struct bpf_timer timer; }. The callback
 * counts its calls in the value and logs (key, ktime) pairs to `log`
 * (u64 n, then the pairs), then runs `tail` (r8 = the value, r9 = the key).
 */
function setup(type: 'array' | 'hash' = 'array', tail = '') {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const clock = new VirtualClock({ startNs: 1000n });
  const map = registry.create({ type, keySize: 4, valueSize: 24, maxEntries: 8 });
  // Helper 1000 lets a program move the clock: timers then fire nested in its run.
  const advance = { id: 1000, name: 'test_advance', fn: (_ctx: unknown, ns: bigint) => BigInt(clock.advance(ns)) };
  const b = new Bench({ space, host: { clock }, extra: [...timerHelpers(clock, registry), ...mapHelpers(registry), advance] });
  const log = b.region(8 + 16 * 64);
  const cb = `
    cb:
      r8 = r3
      r9 = r2
      r1 = *(u64 *)(r8 + 0)
      r1 += 1
      *(u64 *)(r8 + 0) = r1
      r6 = ${log} ll
      r7 = *(u64 *)(r6 + 0)
      r1 = r7
      r1 += 1
      *(u64 *)(r6 + 0) = r1
      r7 <<= 4
      r7 += r6
      r1 = *(u32 *)(r9 + 0)
      *(u64 *)(r7 + 8) = r1
      call bpf_ktime_get_ns
      *(u64 *)(r7 + 16) = r0
      ${tail}
      r0 = 0
      exit`;
  /** Run `body` with r6 = the value of key r1 (looked up; userspace creates hash elements first), r7 = r2 of the run. */
  const run = (body: string, key: number, r2 = 0n) => {
    if (type === 'hash' && !map.lookup(u32Bytes(key))) map.update(u32Bytes(key), new Uint8Array(24));
    const text = `
      r7 = r2
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = ${map.address} ll
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r6 = r0
      ${body}
    out:
      exit
      ${cb}`;
    return BigInt.asIntN(64, b.run(text.replaceAll('CB', String(slotOf(text, 'cb'))), { r1: BigInt(key), r2 }));
  };
  const timer = 'r1 = r6\nr1 += 8';
  const init = (flags = 1) => `${timer}\nr2 = ${map.address} ll\nr3 = ${flags}\ncall bpf_timer_init`;
  const setCallback = `${timer}\nr2 = CB ll\ncall bpf_timer_set_callback`;
  const start = (flags = 0) => `${timer}\nr2 = r7\nr3 = ${flags}\ncall bpf_timer_start`;
  const cancel = `${timer}\ncall bpf_timer_cancel`;
  const arm = (flags = 0) => `${init()}\nif r0 != 0 goto out\n${setCallback}\nif r0 != 0 goto out\n${start(flags)}`;
  /** The value's count field, as userspace reads it. */
  const count = (key: number) => {
    const v = map.lookup(u32Bytes(key));
    return v ? new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) : undefined;
  };
  const entries = () => {
    const n = Number(b.u64(log));
    return Array.from({ length: n }, (_, k) => [b.u64(log + 8 + 16 * k), b.u64(log + 16 + 16 * k)]);
  };
  return { b, map, clock, run, init, setCallback, start, cancel, arm, count, entries, space };
}

test('timers fire in expiry order as the virtual clock advances, with the clock at their expiry', () => {
  const t = setup();
  const delays = [300n, 100n, 200n];
  delays.forEach((d, key) => assert.equal(t.run(t.arm(), key, d), 0n));
  assert.equal(t.clock.advance(50n), 0);
  assert.deepEqual(t.entries(), []);
  assert.equal(t.clock.advance(100n), 1);
  assert.deepEqual(t.entries(), [[1n, 1100n]]);
  assert.equal(t.clock.advance(1000n), 2);
  assert.deepEqual(t.entries(), [[1n, 1100n], [2n, 1200n], [0n, 1300n]]);
  assert.equal(t.clock.monotonicNs(), 2150n);
  assert.equal(t.count(0), 1n);
  assert.deepEqual(t.clock.pending(), []);
});

test('timer errors: init twice, a bad clock, no callback, not initialised; cancel answers whether it was armed', () => {
  const t = setup();
  assert.equal(t.run(t.setCallback, 0), -22n);
  assert.equal(t.run(t.start(), 0, 10n), -22n);
  assert.equal(t.run(t.cancel, 0), -22n);
  assert.equal(t.run(t.init(2), 0), -22n); // CLOCK_PROCESS_CPUTIME_ID
  assert.equal(t.run(t.init(16 | 1), 0), -22n);
  assert.equal(t.run(t.init(7), 0), 0n); // CLOCK_BOOTTIME
  assert.equal(t.run(t.init(), 0), -16n);
  assert.equal(t.run(t.start(), 0, 10n), -22n); // no callback yet
  assert.equal(t.run(t.setCallback, 0), 0n);
  assert.equal(t.run(t.start(4), 0, 10n), -22n); // unknown flag
  assert.equal(t.run(t.cancel, 0), 0n);
  assert.equal(t.run(t.start(), 0, 10n), 0n);
  assert.equal(t.run(t.cancel, 0), 1n);
  assert.equal(t.clock.advance(100n), 0);
  assert.equal(t.count(0), 0n);
  // A misplaced or missing timer argument is a RuntimeError naming the helper.
  assert.throws(() => t.run('r1 = 0\ncall bpf_timer_cancel', 0), (e: unknown) =>
    e instanceof RuntimeError && /bpf_timer_cancel: r1 \(timer\): invalid write of 16 bytes at 0x0/.test(e.message));
  assert.throws(() => t.run('r1 = r6\nr1 += 4\ncall bpf_timer_cancel', 0), /bpf_timer_cancel: struct bpf_timer at 0x[0-9a-f]+ is not 8-byte aligned/);
});

test('absolute expiry on the timer clock, re-arming from the callback, cancel from the callback', () => {
  const t = setup('array', 'r1 = r8\nr1 += 8\nr2 = 100\nr3 = 0\ncall bpf_timer_start');
  // BPF_F_TIMER_ABS on CLOCK_MONOTONIC: expires at 1500 (now 1000).
  assert.equal(t.run(t.arm(1), 0, 1500n), 0n);
  assert.equal(t.clock.advance(499n), 0);
  assert.equal(t.clock.advance(1n), 1);
  // The callback re-arms itself 100 ns later each time.
  assert.equal(t.clock.advance(1000n), 10);
  assert.deepEqual(t.entries().map(([, at]) => at), [1500n, 1600n, 1700n, 1800n, 1900n, 2000n, 2100n, 2200n, 2300n, 2400n, 2500n]);
  assert.equal(t.count(0), 11n);
  assert.equal(t.run(t.cancel, 0), 1n);
  assert.equal(t.clock.advance(1000n), 0);

  // A callback that cancels its own timer gets -EDEADLK (it stores the result in the value's count).
  const self = setup('array', 'r1 = r8\nr1 += 8\ncall bpf_timer_cancel\n*(u64 *)(r8 + 0) = r0');
  assert.equal(self.run(self.arm(), 1, 10n), 0n);
  assert.equal(self.clock.advance(10n), 1);
  assert.deepEqual(self.entries(), [[1n, 1010n]]);
  assert.equal(self.count(1), EDEADLK);
});

test('timers in hash map values get the element key; equal expiries fire in the order they were started', () => {
  const t = setup('hash');
  for (const key of [7, 3, 5]) assert.equal(t.run(t.arm(), key, 100n), 0n);
  assert.equal(t.clock.advance(100n), 3);
  assert.deepEqual(t.entries(), [[7n, 1100n], [3n, 1100n], [5n, 1100n]]);
  // Userspace rewriting the element drops its timer: it is no longer initialised.
  assert.equal(t.run(t.arm(), 3, 100n), -16n);
  assert.equal(t.run(t.start(), 3, 50n), 0n);
  t.map.update(u32Bytes(3), new Uint8Array(24));
  assert.equal(t.clock.advance(100n), 0);
  assert.equal(t.run(t.cancel, 3), -22n);
  assert.equal(EBUSY, BigInt.asUintN(64, -16n));
  assert.equal(EINVAL, BigInt.asUintN(64, -22n));
});

test('VirtualClock: boot and realtime offsets, and advance refuses bad input', () => {
  const clock = new VirtualClock({ startNs: 10n, bootOffsetNs: 5n, realtimeOffsetNs: 1_000n });
  assert.equal(clock.bootNs(), 15n);
  assert.equal(clock.realtimeNs(), 1_010n);
  assert.equal(clock.taiNs(), 1_010n + 37_000_000_000n);
  assert.throws(() => clock.advance(-1n), RuntimeError);
  assert.throws(() => clock.advance(5 as unknown as bigint), RuntimeError);
});

test('a timer that falls due while a program runs fires nested in that run, on a frame of its own', () => {
  const t = setup();
  assert.equal(t.run(t.arm(), 4, 100n), 0n);
  // r6 survives the nested callback; the helper returns how many timers fired.
  assert.equal(t.run('r1 = 500\ncall 1000\nr0 += r6\nr0 -= r6', 4), 1n);
  assert.deepEqual(t.entries(), [[4n, 1100n]]);
  assert.equal(t.clock.monotonicNs(), 1500n);
});
