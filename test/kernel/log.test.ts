/** Reading the kernel verifier's log, on logs as the kernel writes them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVerifierLog } from '../../src/kernel/index.js';

test('the failing instruction is the last one the walk printed; the reason follows it', () => {
  const log = [
    'func#0 @0',
    '0: R1=ctx() R10=fp0',
    '0: (b7) r0 = 0                        ; R0_w=0',
    '1: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2_w=pkt(r=0)',
    '2: (71) r0 = *(u8 *)(r2 +2)',
    'invalid access to packet, off=2 size=1, R2(id=0,off=2,r=0)',
    'R2 offset is outside of the packet',
    'processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    '',
  ].join('\n');
  assert.deepEqual(parseVerifierLog(log), {
    insn: 2,
    summary: 'invalid access to packet, off=2 size=1, R2(id=0,off=2,r=0)\nR2 offset is outside of the packet',
    processedInsns: 3,
  });
});

test('errors found before the walk name their instruction', () => {
  assert.equal(parseVerifierLog('unreachable insn 2\nprocessed 0 insns (limit 1000000)\n').insn, 2);
  assert.equal(parseVerifierLog('jump out of range from insn 1 to 7\nprocessed 0 insns\n').insn, 1);
  assert.equal(parseVerifierLog('back-edge from insn 5 to 3\n').insn, 5);
  const last = parseVerifierLog('last insn is not an exit or jmp\nprocessed 0 insns\n', 4);
  assert.deepEqual(last, { insn: 3, summary: 'last insn is not an exit or jmp', processedInsns: 0 });
});

test('a message the kernel did not end with a newline is still the summary', () => {
  assert.deepEqual(parseVerifierLog('invalid type id 1 in func infoprocessed 0 insns (limit 1000000) max_states_per_insn 0\n'), {
    insn: undefined, summary: 'invalid type id 1 in func info', processedInsns: 0,
  });
});

test('a log of statistics only has no reason and no instruction', () => {
  assert.deepEqual(parseVerifierLog('verification time 12 usec\nstack depth 0\nprocessed 2 insns (limit 1000000)\n'), {
    insn: undefined, summary: '', processedInsns: 2,
  });
  assert.deepEqual(parseVerifierLog(''), { insn: undefined, summary: '', processedInsns: undefined });
});
