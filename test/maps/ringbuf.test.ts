import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_F_CURRENT_CPU, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, PerfEventArrayMap, RingBufMap,
} from '../../src/maps/index.js';
import { hex, registry, throwsErrno, u32 } from './util.js';

const ring = (size = 4096) => {
  const reg = registry();
  return { reg, rb: reg.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: size }) as RingBufMap };
};

test('ringbuf: reserve, write, submit; the consumer gets samples in order and skips discarded ones', () => {
  const { reg, rb } = ring();
  const a = rb.reserve(5), b = rb.reserve(3), c = rb.reserve(8);
  assert.equal(b - a, 16, 'records are 8-byte headers plus samples rounded up to 8');
  reg.mem.u8.set([1, 2, 3, 4, 5], a);
  reg.mem.u8.set([6, 7, 8], b);
  assert.equal(reg.mem.get(a - 8), (5 | BPF_RINGBUF_BUSY_BIT) >>> 0, 'the header says busy until committed');
  assert.equal(reg.mem.get(a - 4), (a - 8 - rb.storage) >>> 12, 'pg_off: the header page from the start of the ring');
  rb.commit(b, 0, false);
  const got: string[] = [];
  assert.equal(rb.consume((s) => void got.push(hex(s))), 0, 'a busy record holds back the ones behind it');
  rb.commit(a, 0, false);
  rb.commit(c, 0, true);
  assert.equal(reg.mem.get(c - 8), (8 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
  assert.equal(rb.consume((s) => void got.push(hex(s))), 2);
  assert.deepEqual(got, ['0102030405', '060708']);
  assert.equal(rb.query(BPF_RB_AVAIL_DATA), 0);
  assert.equal(rb.query(BPF_RB_CONS_POS), 48);
  assert.equal(rb.query(BPF_RB_PROD_POS), 48);
  assert.equal(rb.query(BPF_RB_RING_SIZE), 4096);
  assert.equal(rb.query(99), 0);
});

test('ringbuf: records wrap around the end of the ring and read back whole', () => {
  const { rb } = ring(4096);
  let sent = 0, seen = 0;
  for (let round = 0; round < 40; round++) {
    const data = Uint8Array.from({ length: 700 + round }, (_, i) => (i + round) & 0xff);
    assert.equal(rb.output(data, 0), 0);
    sent++;
    if (round % 3 === 2) {
      rb.consume((s) => {
        assert.equal(s.length, 700 + seen);
        assert.ok(s.every((v, i) => v === ((i + seen) & 0xff)), `sample ${seen} intact`);
        seen++;
      });
    }
  }
  rb.consume(() => void seen++);
  assert.equal(seen, sent);
  assert.ok(rb.producerPos > 4 * 4096, 'the positions went round the ring several times');
});

test('ringbuf: a full ring refuses reservations; bpf_ringbuf_output then fails with EAGAIN', () => {
  const { rb } = ring(4096);
  assert.equal(rb.reserve(4096), 0, 'a record must leave room for its header');
  assert.equal(rb.reserve(0x40000000), 0, 'above RINGBUF_MAX_RECORD_SZ');
  const big = rb.reserve(4000);
  assert.notEqual(big, 0);
  assert.equal(rb.output(new Uint8Array(200), 0), -11);
  rb.commit(big, 0, false);
  assert.equal(rb.consume(() => undefined), 1);
  assert.equal(rb.output(new Uint8Array(200), 0), 0);
  assert.equal(rb.output(new Uint8Array(1), 4), -22, 'unknown flags');
});

test('ringbuf: wake-ups when the consumer has caught up, unless BPF_RB_NO_WAKEUP; always with BPF_RB_FORCE_WAKEUP', () => {
  const { rb } = ring();
  rb.output(u32(1), 0);
  assert.equal(rb.wakeups, 1, 'the consumer was waiting at this record');
  rb.output(u32(2), 0);
  assert.equal(rb.wakeups, 1, 'not at the consumer position: no wake-up');
  rb.output(u32(3), BPF_RB_FORCE_WAKEUP);
  assert.equal(rb.wakeups, 2);
  rb.consume(() => undefined);
  rb.output(u32(4), BPF_RB_NO_WAKEUP);
  assert.equal(rb.wakeups, 2);
});

test('ringbuf: a consumer callback returning a negative number stops after that sample', () => {
  const { rb } = ring();
  for (let i = 0; i < 3; i++) rb.output(u32(i), 0);
  assert.equal(rb.consume(() => -1), 0);
  assert.equal(rb.consume(() => undefined), 2);
});

test('ringbuf: the map commands are ENOTSUPP', () => {
  const { rb } = ring();
  throwsErrno(() => rb.lookup(), 'ENOTSUPP');
  throwsErrno(() => rb.update(undefined, new Uint8Array()), 'ENOTSUPP');
  throwsErrno(() => rb.nextKey(), 'ENOTSUPP');
  throwsErrno(() => rb.delete(undefined), 'ENOTSUPP');
  throwsErrno(() => rb.delete(new Uint8Array()), 'EINVAL');
  throwsErrno(() => registry().create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 12288 }), 'EINVAL');
});

test('perf_event_array: samples go to the buffer of the current CPU as PERF_RECORD_SAMPLEs', () => {
  const reg = registry({ nrCpus: 2 });
  const map = reg.create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2 }) as PerfEventArrayMap;
  assert.equal(map.eventOutput(BPF_F_CURRENT_CPU, new Uint8Array(4), 0), -2, 'no buffer yet: ENOENT');
  const cpu0 = map.open(0, { pageCount: 1 });
  const cpu1 = map.open(1, { pageCount: 1 });
  assert.equal(map.eventOutput(BPF_F_CURRENT_CPU, Uint8Array.from([1, 2, 3, 4, 5]), 0), 0);
  assert.equal(map.eventOutput(1n, Uint8Array.from([9]), 1), 0);
  assert.equal(map.eventOutput(1n, Uint8Array.from([9]), 0), -95, 'the buffer of another CPU: EOPNOTSUPP');
  assert.equal(map.eventOutput(2n, Uint8Array.from([9]), 0), -7, 'past max_entries: E2BIG');
  assert.equal(map.eventOutput(1n << 32n, Uint8Array.from([9]), 0), -22, 'high flag bits: EINVAL');
  const samples: string[] = [];
  assert.equal(cpu0.consume((d, cpu) => void samples.push(`${cpu}:${hex(d)}`)), 1);
  assert.equal(cpu1.consume((d, cpu) => void samples.push(`${cpu}:${hex(d)}`)), 1);
  assert.deepEqual(samples, ['0:010203040500000000000000', '1:09000000'], 'the raw size (u32) plus data is padded to 8 bytes');
  throwsErrno(() => map.lookup(u32(0)), 'ENOTSUPP');
  throwsErrno(() => map.update(u32(0), u32(12345)), 'EBADF');
  map.delete(u32(1));
  assert.equal(map.buffer(1), undefined);
  throwsErrno(() => map.delete(u32(1)), 'ENOENT');
});

test('perf_event_array: a full buffer drops samples (ENOSPC) and reports them in a PERF_RECORD_LOST', () => {
  const reg = registry();
  const map = reg.create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 1 }) as PerfEventArrayMap;
  const buf = map.open(0, { pageCount: 1 });
  const data = new Uint8Array(1000);
  let written = 0;
  while (map.eventOutput(0n, data, 0) === 0) written++;
  assert.equal(written, 4);
  assert.equal(map.eventOutput(0n, data, 0), -28);
  let samples = 0, lost = 0n;
  buf.consume(() => void samples++, (n) => void (lost += n));
  assert.equal(samples, 4);
  assert.equal(map.eventOutput(0n, data, 0), 0);
  buf.consume(() => void samples++, (n) => void (lost += n));
  assert.equal(samples, 5);
  assert.equal(lost, 2n);
});
