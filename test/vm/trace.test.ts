import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { RuntimeError, Vm } from '../../src/vm/index.js';

const program = assemble(`
mov %r1, %r10
add %r1, -8
stdw [%r1], 5
ldxdw %r0, [%r1]
call 5
call local f
exit
f:
lock fetch add [%r10-8], %r0
exit
`);

test('trace: one line per executed instruction, kernel log format, then the registers written', () => {
  const lines: string[] = [];
  const vm = new Vm(new AddressSpace(), { trace: (l) => lines.push(l), host: { clock: { monotonicNs: () => 77n, bootNs: () => 77n } } });
  const top = (vm.frameStart(0) + 512).toString(16);
  const r = vm.load(program).run();
  assert.equal(r.r0, 0n, 'the callee adds to its own zeroed stack slot and returns the old value');
  assert.deepEqual(lines, [
    `0: (bf) r1 = r10                      ; r1=0x${top}`,
    `1: (07) r1 += -8                      ; r1=0x${(parseInt(top, 16) - 8).toString(16)}`,
    '2: (7a) *(u64 *)(r1 +0) = 5',
    '3: (79) r0 = *(u64 *)(r1 +0)          ; r0=0x5',
    '4: (85) call bpf_ktime_get_ns#5       ; r0=0x4d',
    '5: (85) call pc+1',
    '7: (db) r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)          ; r0=0x0',
    '8: (95) exit',
    '6: (95) exit',
  ]);
  assert.equal(r.insns, lines.length);
});

test('trace: the faulting instruction is the last line; the budget still applies', () => {
  const lines: string[] = [];
  const vm = new Vm(new AddressSpace(), { trace: (l) => lines.push(l), maxInsns: 5 });
  assert.throws(() => vm.load(assemble('mov %r1, 0\nldxw %r0, [%r1+4]\nexit')).run(), RuntimeError);
  assert.deepEqual(lines, ['0: (b7) r1 = 0                        ; r1=0x0', '1: (61) r0 = *(u32 *)(r1 +4)']);
  lines.length = 0;
  assert.throws(() => vm.load(assemble('l:\nja l\nexit')).run(), /budget of 5 exhausted/);
  assert.equal(lines.length, 5);
});
