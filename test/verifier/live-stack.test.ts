/**
 * The live stack slots analysis (live-stack.ts) on the corpus cases modelled
 * on the kernel's selftests (verifier_live_stack.c): the lines it prints at
 * log level 2, in order, as Linux 6.18 printed them for the same programs
 * (trailing spaces included). Needs no kernel: the corpus test compares the
 * whole level-2 logs (`; log: exact`) with the running kernel's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verify } from '../../src/verifier/index.js';
import { parseCase } from './corpus.js';

/** The kernel's liveness lines per case, recorded from Linux 6.18. */
const KERNEL_LINES: Record<string, string[]> = {
  'live-read-write': [
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 1 +live -24 ',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 +live -8,-24 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-read-write-join': [
    '(0) frame 0 insn 4 +written -40 ',
    '(0) frame 0 insn 3 +written -32,-40 ',
    '(0) frame 0 insn 2 +live -8 ',
    '(0) frame 0 insn 2 +written -32,-40 ',
    '(0) frame 0 insn 1 +live -8 ',
    '(0) frame 0 insn 0 +live -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 7 +written -32 ',
    '(0) frame 0 insn 6 +live -16 ',
    '(0) frame 0 insn 6 +written -32 ',
    '(0) frame 0 insn 1 +live -16 ',
    '(0) frame 0 insn 1 +written -32 ',
    '(0) frame 0 insn 0 +live -16 ',
    '(0) frame 0 insn 0 +written -32 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-write-var-slot': [
    '(0) frame 0 insn 6 +written -16 ',
    '(0) frame 0 insn 4 +written -16 ',
    '(0) frame 0 insn 2 +written -16 ',
    '(0) frame 0 insn 1 +written -16 ',
    '(0) frame 0 insn 0 +written -16 ',
    '(0) live stack update done in 2 iterations',
    '(0) live stack update done in 1 iterations',
  ],
  'live-write-map-or-stack': [
    '(0) frame 0 insn 9 +written -16 ',
    '(0) frame 0 insn 6 +written -16 ',
    '(0) frame 0 insn 5 +live -8 ',
    '(0) frame 0 insn 5 +written -16 ',
    '(0) frame 0 insn 0 +written -8,-16 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-callee-writes-caller': [
    '(2,4) frame 0 insn 4 +written -8 ',
    '(2,4) live stack update done in 2 iterations',
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-callee-reads-caller': [
    '(2,7) frame 0 insn 7 +live -8 ',
    '(2,7) live stack update done in 2 iterations',
    '(0) frame 0 insn 2 +live -8 ',
    '(0) frame 0 insn 0 +live -8 ',
    '(0) live stack update done in 2 iterations',
    '(5,7) frame 0 insn 7 +live -16 ',
    '(5,7) live stack update done in 2 iterations',
    '(0) frame 0 insn 5 +live -16 ',
    '(0) frame 0 insn 3 +live -16 ',
    '(0) frame 0 insn 2 +live -16 ',
    '(0) frame 0 insn 0 +live -16 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-prune-dead-slot': [
    '(0) frame 0 insn 18 +live -8 ',
    '(0) frame 0 insn 17 +written -8 ',
    '(0) frame 0 insn 16 +written -8 ',
    '(0) frame 0 insn 14 +written -8 ',
    '(0) frame 0 insn 11 +written -8 ',
    '(0) frame 0 insn 10 +written -8 ',
    '(0) frame 0 insn 8 +written -8 ',
    '(0) frame 0 insn 6 +written -8 ',
    '(0) frame 0 insn 3 +written -8 ',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) live stack update done in 1 iterations',
  ],
  'live-callee-prune-dead-caller-slot': [
    '(9,11) frame 0 insn 11 +live -8 ',
    '(9,11) live stack update done in 2 iterations',
    '(0) frame 0 insn 9 +live -8 ',
    '(0) frame 0 insn 7 +live -8 ',
    '(0) frame 0 insn 6 +live -8 ',
    '(0) frame 0 insn 4 +written -8 ',
    '(0) frame 0 insn 2 +live -8 ',
    '(0) frame 0 insn 1 +live -8 ',
    '(0) frame 0 insn 0 +live -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 6 -live -8',
    '(0) frame 0 insn 6 +written -8 ',
    '(0) frame 0 insn 2 -live -8',
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 1 -live -8',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 -live -8',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-caller-slot-read-after-call': [
    '(0) frame 0 insn 4 +written -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 8 +live -8 ',
    '(0) frame 0 insn 7 +live -8 ',
    '(0) frame 0 insn 6 +live -8 ',
    '(0) frame 0 insn 2 +live -8 ',
    '(0) frame 0 insn 1 +live -8 ',
    '(0) frame 0 insn 0 +live -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 6 -live -8',
    '(0) frame 0 insn 6 +written -8 ',
    '(0) frame 0 insn 2 -live -8',
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 1 -live -8',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 -live -8',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
  ],
  'live-callee-overwrites-caller-slot': [
    '(16,20) frame 0 insn 21 +written -8 ',
    '(16,20) frame 0 insn 20 +written -8 ',
    '(16,20) live stack update done in 2 iterations',
    '(0) frame 0 insn 16 +written -8 ',
    '(0) frame 0 insn 14 +written -8 ',
    '(0) frame 0 insn 13 +written -8 ',
    '(0) frame 0 insn 11 +written -8 ',
    '(0) frame 0 insn 7 +written -8 ',
    '(0) frame 0 insn 6 +written -8 ',
    '(0) frame 0 insn 4 +written -8 ',
    '(0) frame 0 insn 2 +written -8 ',
    '(0) frame 0 insn 1 +written -8 ',
    '(0) frame 0 insn 0 +written -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) frame 0 insn 17 +live -8 ',
    '(0) live stack update done in 2 iterations',
    '(0) live stack update done in 1 iterations',
  ],
};

const liveLines = (log: string): string[] => log.split('\n').filter((l) => /^\([\d,]+\) (frame \d+ insn|live stack update)/.test(l));

for (const [name, expected] of Object.entries(KERNEL_LINES)) {
  test(`live stack lines of ${name} are the kernel's`, () => {
    const c = parseCase(`${name}.s`);
    const r = verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license, logLevel: 2 });
    assert.equal(r.accepted ? 'accept' : 'reject', c.result);
    assert.deepEqual(liveLines(r.log), expected);
  });
}
