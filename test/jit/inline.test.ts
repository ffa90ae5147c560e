/**
 * A verified program's small leaf callees are compiled into their callers
 * (compile.ts, inlinedCallees): the callee keeps its own frame, r6–r9 and
 * exits, r1–r5 are what it left, and a fault in it is at its instruction.
 * Each case is also run on the interpreter, the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { RuntimeError } from '../../src/helpers/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { FRAME_SPAN, INLINE_MAX_INSNS } from '../../src/jit/compile.js';
import { Vm } from '../../src/vm/index.js';

const space = new AddressSpace();

/** r0 of a verified run on the JIT, with the functions the module has; and the interpreter's r0. */
function both(text: string): { jit: bigint; interp: bigint; functions: string[] } {
  const insns = assemble(text);
  const jit = new Jit(space);
  const vm = new Vm(space, { checked: false });
  try {
    const program = jit.load(insns, { verified: true });
    return { jit: program.run().r0, interp: vm.load(insns).run().r0, functions: [...program.compiled.funcNames] };
  } finally {
    jit.dispose();
    vm.dispose();
  }
}

test('an inlined callee has its own frame (the next one) and its own r6-r9; the caller\'s stack and r6-r9 survive', () => {
  const { jit, interp, functions } = both(`
    r6 = 7
    r7 = 9
    r9 = r10
    *(u64 *)(r10 - 8) = 100
    r1 = 3
    r2 = 4
    call f
    r8 = *(u64 *)(r10 - 8)
    r0 += r8
    r0 += r6
    r0 += r7
    exit
  f:
    *(u64 *)(r10 - 8) = r1
    r6 = r2
    r6 *= 10
    r7 = *(u64 *)(r10 - 8)
    r0 = r7
    r0 += r6
    exit`);
  assert.deepEqual(functions, ['main'], 'f is compiled into main');
  assert.equal(jit, 3n + 40n + 100n + 7n + 9n);
  assert.equal(jit, interp);
  // Its r10 is one frame up from the caller's, as the call would give it.
  const frame = both(`
    r9 = r10
    call f
    r0 -= r9
    exit
  f:
    r0 = r10
    exit`);
  assert.equal(frame.jit, BigInt(FRAME_SPAN));
  assert.equal(frame.jit, frame.interp);
});

test('an inlined callee clobbers r1-r5 as after a call, returns r0, and its exit ends only the callee', () => {
  const text = (x: number) => `
    r1 = ${x}
    r2 = 0
    r6 = 1000
    call f
    r0 += r1
    r0 += r2
    r0 += r6
    exit
  f:
    r2 = 50
    if r1 > 10 goto big
    r1 = 1
    r0 = 10
    exit
  big:
    r1 = 2
    r0 = 20
    exit`;
  for (const [x, want] of [[5, 10n + 1n + 50n + 1000n], [11, 20n + 2n + 50n + 1000n]] as const) {
    const { jit, interp, functions } = both(text(x));
    assert.deepEqual(functions, ['main']);
    assert.equal(jit, want, `r1 = ${x}`);
    assert.equal(jit, interp);
  }
});

test('leaf callees are inlined in a callee too; one that calls, or is larger than the threshold, stays a function', () => {
  const big = Array.from({ length: INLINE_MAX_INSNS }, () => 'r0 += 1').join('\n');
  const { jit, interp, functions } = both(`
    r1 = 2
    call f
    r6 = r0
    call big
    r0 += r6
    exit
  f:
    r6 = r1
    call g
    r0 += r6
    exit
  g:
    r0 = r1
    r0 *= 3
    exit
  big:
    r0 = 0
    ${big}
    exit`);
  assert.deepEqual(functions, ['main', 'callee_6', 'callee_13']);
  assert.equal(jit, 2n * 3n + 2n + BigInt(INLINE_MAX_INSNS));
  assert.equal(jit, interp);
});

test('a fault in an inlined callee is at the callee\'s instruction', () => {
  const insns = assemble(`
    r1 = 0xfffffff0 ll
    call f
    exit
  f:
    r0 = 1
    r0 = *(u64 *)(r1 + 0x100)
    exit`);
  const jit = new Jit(space);
  try {
    const program = jit.load(insns, { verified: true });
    assert.deepEqual([...program.compiled.funcNames], ['main']);
    assert.throws(() => program.run(), (e) => e instanceof RuntimeError && /^pc 5: invalid read of 8 bytes/.test(e.message));
    // A run-time check's fault (a misaligned atomic), on the callee's frame.
    const atomic = jit.load(assemble(`
      r1 = 1
      call f
      exit
    f:
      *(u64 *)(r10 - 16) = 0
      lock *(u32 *)(r10 - 10) += r1
      r0 = 0
      exit`), { verified: true });
    assert.deepEqual([...atomic.compiled.funcNames], ['main']);
    assert.throws(() => atomic.run(), (e) => e instanceof RuntimeError && /^pc 4: misaligned atomic access of 4 bytes/.test(e.message));
  } finally {
    jit.dispose();
  }
});
