/** Any sequence of instructions gets a verdict: never a crash, never a hang. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OPCODES, type Insn } from '../../src/isa/index.js';
import { verify } from '../../src/verifier/index.js';

const insn: fc.Arbitrary<Insn> = fc.record({
  row: fc.constantFrom(...OPCODES),
  dst: fc.integer({ min: 0, max: 10 }),
  src: fc.integer({ min: 0, max: 10 }),
  off: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(-8, -16, -512, 0, 4, 8, 76, 80)),
  imm: fc.oneof(fc.integer({ min: -4, max: 64 }), fc.constantFrom(0, 1, 5, 8, 14, 32, -1)),
}).map(({ row, dst, src, off, imm }) => {
  const m = row.match;
  return {
    code: row.code,
    dst,
    src: m?.field === 'src' ? m.value : src,
    off: m?.field === 'off' ? m.value : off,
    imm: m?.field === 'imm' ? m.value : imm,
  };
});

test('random programs always get a verdict with a message', () => {
  fc.assert(fc.property(fc.array(insn, { minLength: 1, maxLength: 12 }), fc.constantFrom('socket_filter', 'xdp', 'sched_cls', 'kprobe'), fc.boolean(),
    (insns, progType, unprivileged) => {
      const program = [...insns, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
      const r = verify(program, { progType, unprivileged, logLevel: 2 });
      assert.equal(typeof r.accepted, 'boolean');
      if (!r.accepted) assert.ok(r.error && r.error.message.length > 0);
      assert.ok(r.processedInsns <= 1_000_001);
    }), { numRuns: 400 });
});
