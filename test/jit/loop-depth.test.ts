/**
 * A bpf_loop callback that calls a helper the JIT does not inline: the
 * helper's call publishes the callback's frame depth, and the next
 * iteration must still run on the frame after the caller's, not one deeper
 * each time (which faulted at the eighth iteration: "needs frame 9").
 * Found by the verified differential harness (vdiff.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { Runtime } from '../../src/runtime/index.js';

// bpf_loop(20, callback at 7, 0, 0); the callback calls bpf_get_current_pid_tgid and counts in its frame.
const PROG = `
  r1 = 20
  r2 = 7 ll
  r3 = 0
  r4 = 0
  call 181
  exit
  call 14
  r1 = 1
  lock *(u64 *)(r10 - 8) += r1
  r0 = 0
  exit`;

for (const verified of [false, true]) {
  test(`bpf_loop: every iteration of a callback that calls a helper runs on the same frame (${verified ? 'verified' : 'unverified'})`, () => {
    const insns = assemble(PROG);
    const sides = (['interp', 'jit'] as const).map((engine) => {
      const rt = new Runtime({ engine });
      try {
        assert.equal(rt.prepare(insns, verified).run({}).r0, 20n, engine);
        return rt.space.bytes.slice();
      } finally {
        rt.dispose();
      }
    });
    assert.equal(Buffer.compare(sides[0], sides[1]), 0, 'the JIT writes the frames the interpreter does');
  });
}
