/** Classic pcap files: both byte orders, micro- and nanosecond timestamps, and one clear error for bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePcap, PcapError } from '../../src/runtime/index.js';
import { writePcap } from './packets.js';

const packets = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), Uint8Array.from({ length: 60 }, (_, i) => i)];

for (const le of [true, false]) {
  for (const ns of [false, true]) {
    test(`pcap ${le ? 'little' : 'big'}-endian, ${ns ? 'nanosecond' : 'microsecond'} timestamps`, () => {
      const pcap = parsePcap(writePcap(packets, { le, ns }));
      assert.equal(pcap.linkType, 1);
      assert.equal(pcap.snapLen, 65535);
      assert.equal(pcap.nanoseconds, ns);
      assert.deepEqual(pcap.packets.map((p) => p.data), packets);
      assert.deepEqual(pcap.packets.map((p) => p.origLen), [13, 10, 70]);
      assert.equal(pcap.packets[2].timestampNs, 1700000002n * 1_000_000_000n + 502n * (ns ? 1n : 1000n));
    });
  }
}

test('pcap: bad magic, truncated header, truncated record, a packet past the end', () => {
  const good = writePcap(packets);
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 10), /at byte 0: .*24-byte header/],
    [Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...good.subarray(4)]), /bad magic 0x0a0d0d0a .*pcapng/],
    [good.subarray(0, 24 + 8), /at byte 24: truncated record header/],
    [good.subarray(0, good.length - 1), /packet of 60 bytes runs past the end/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => parsePcap(bytes), (err: Error) => err instanceof PcapError && err.code === 'EPCAP' && message.test(err.message));
  }
});
