/**
 * stackZeroing (compile.ts): the part of the stack a run (and a tail call,
 * its frame's part) must zero so that whatever the program can read before
 * writing it is zero, as the interpreter's fresh stack is — and no more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BPF_STACK } from '../../src/isa/index.js';
import { buildCfg, stackZeroing } from '../../src/jit/index.js';
import { asm } from '../helpers/util.js';

const zeroing = (text: string) => stackZeroing(buildCfg(asm(text)));
/** Frame 0 and its guards, relative to r10 (what any escape of r10 gets). */
const whole = (z: ReturnType<typeof stackZeroing>) => Array.isArray(z) && z[0] <= -MAX_BPF_STACK && z[1] > 0;

test('constant offsets from r10: the window they touch', () => {
  assert.deepEqual(zeroing('*(u32 *)(r10 - 4) = 1\nr0 = *(u64 *)(r10 - 24)\nexit'), [-24, 0]);
  assert.equal(zeroing('r0 = 0\nexit'), null);
});

test('a copy of r10 moved and offset within a block: its accesses; passed to a helper: up from its offset', () => {
  assert.deepEqual(zeroing('r2 = r10\nr2 += -16\nr0 = *(u8 *)(r2 + 3)\nexit'), [-16, -8]);
  const z = zeroing('*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0 ll\ncall bpf_map_lookup_elem\nexit');
  assert.ok(Array.isArray(z) && z[0] === -8 && z[1] > 0 && !whole(z), `a key at r10 - 4 given to a helper: ${JSON.stringify(z)}`);
  assert.deepEqual(zeroing('r2 = r10\nr2 -= 8\nr2 = 5\nr0 = *(u64 *)(r10 - 8)\nexit'), [-8, 0], 'an overwritten copy is no copy');
});

test('r10 escaping: stored, combined, kept past its block, or written: frame 0 and its guards', () => {
  for (const text of [
    'r2 = r10\n*(u64 *)(r10 - 8) = r2\nr0 = 0\nexit',
    'r2 = r10\nr2 &= -16\nr0 = *(u64 *)(r2 + 0)\nexit',
    'w2 = w10\nr0 = 0\nexit',
    'r6 = r10\nr6 += -8\nif r1 == 0 goto out\nr0 = *(u64 *)(r6 + 0)\nout:\nexit',
    'r10 = 0\nexit',
  ]) assert.ok(whole(zeroing(text)), text);
});

test('bpf-to-bpf calls: the whole region', () => {
  assert.equal(zeroing('call sub\nexit\nsub:\nr0 = 1\nexit'), 'all');
});
