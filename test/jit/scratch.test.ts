/** The compile's scratch buffers: every array carved is zeroed, however the buffer's last use left it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scratch } from '../../src/jit/cfg.js';

test('a scratch taken again carves zeroed arrays, within the room asked for and past it', () => {
  const zero = (a: ArrayLike<number>) => Array.prototype.every.call(a, (v: number) => v === 0);
  // Several rounds, each asking for less or more room than the last wrote, and carving past it.
  for (const [asked, carved] of [[4096, 900], [64, 900], [2000, 100], [100, 2000], [8192, 3000], [16, 16]]) {
    const taken: Scratch[] = [];
    for (let k = 0; k < 2; k++) {
      const s = Scratch.take(asked);
      taken.push(s);
      const arrays = [s.u8(carved % 97 + 1), s.i32(carved), s.f64(carved >> 3), s.u8(carved), s.i32(7)];
      for (const a of arrays) {
        assert.ok(zero(a), `asked ${asked}, carved ${carved}`);
        a.fill(-1);
      }
    }
    for (const s of taken) Scratch.release(s);
  }
});
