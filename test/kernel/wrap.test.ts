/**
 * The conformance wrapper: prologue, exits of main redirected to the
 * epilogue, and every jump and call still landing where it did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, disassemble } from '../../src/asm/index.js';
import { decodeProgram } from '../../src/isa/index.js';
import { inexpressibleReason, wrapForKernel } from '../../src/kernel/index.js';

test('main\'s exits jump to the epilogue, placed before the first subprogram; calls are relocated', () => {
  const insns = assemble([
    'mov %r0, 1',
    'jeq %r2, 0, +1',
    'exit',
    'call local sub',
    'exit',
    'sub:',
    'mov %r0, 2',
    'exit',
  ].join('\n'));
  const wrapped = wrapForKernel(insns, decodeProgram(insns), 7, 16, 9);
  assert.equal(wrapped.offset, 3);
  assert.equal(disassemble(wrapped.insns, { indexes: true }), [
    '0: (18) r1 = map[id:7][0]+0',
    '2: (b7) r2 = 16',
    '3: (b7) r0 = 1',
    '4: (15) if r2 == 0x0 goto pc+1',
    '5: (05) goto pc+2',
    '6: (85) call pc+6',
    '7: (05) goto pc+0',
    '8: (18) r1 = map[id:9][0]+0',
    '10: (7b) *(u64 *)(r1 +0) = r0',
    '11: (b7) r0 = 2',
    '12: (95) exit',
    '13: (b7) r0 = 2',
    '14: (95) exit',
  ].join('\n'));
  assert.deepEqual([0, 2, 3, 6, 7, 8, 12, 13, 14].map((slot) => wrapped.original(slot)), [undefined, undefined, 0, 3, 4, undefined, undefined, 5, 6]);
});

test('without input memory, r1 and r2 are 0', () => {
  const insns = assemble('mov %r0, %r1\nexit');
  const wrapped = wrapForKernel(insns, decodeProgram(insns), undefined, 0, 9);
  assert.equal(disassemble(wrapped.insns.slice(0, 2)), '(b7) r1 = 0\n(b7) r2 = 0');
});

test('what the contract cannot express in the kernel is named before trying', () => {
  const reason = (text: string) => {
    const insns = assemble(text);
    return inexpressibleReason(insns, decodeProgram(insns));
  };
  assert.equal(reason('mov %r0, 0\nexit'), null);
  assert.match(reason('mov %r2, 5\ncallx %r2\nexit')!, /^insn 1: callx is not part of the Linux ISA$/);
  assert.match(reason('call 5\nexit')!, /^insn 0: calls helper 5/);
  assert.match(reason('ldabsb 0\nexit')!, /reads an skb/);
});
