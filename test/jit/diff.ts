/**
 * The interpreter-vs-JIT differential harness: the same program, the same
 * inputs, the same host, on the two engines of diff-engine.ts.
 *
 * Compared: r0 and the instruction count on success; on failure the pc and
 * the message, less the address and reason of a memory fault (the JIT
 * knows the faulting instruction, not the address it computed); and the
 * whole memory afterwards. A spent budget is compared as just that: the
 * interpreter stops at the instruction that would exceed it, the JIT at the
 * next loop header or exit, so the pc and what the extra instructions
 * stored may differ.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { disassemble } from '../../src/asm/index.js';
import type { Insn } from '../../src/isa/index.js';
import { engine, runCase } from './diff-engine.js';
import { programArb, toInsns, type GenProgram } from './gen.js';

export interface Harness {
  /**
   * Run one generated program on both engines; throws an assertion error naming the first difference.
   * `insns`: the program as the engines take it, when that is not toInsns(p) itself.
   */
  check(p: GenProgram, insns?: Insn[]): void;
}

/** `verified`: the JIT loads every program as verified (the caller has checked that our verifier accepts it). */
export function harness(verified = false): Harness {
  const a = engine('interp');
  const b = engine('jit', verified);
  return {
    check(p, insns = toInsns(p)) {
      const outcomes = [a, b].map((e) => runCase(e, insns, p.input, verified));
      const where = () => `\n${disassemble(insns, { indexes: true })}`;
      assert.deepEqual(outcomes[1], outcomes[0], `interp and jit disagree on the run${where()}`);
      if (!outcomes[0].ok && outcomes[0].what.startsWith('instruction budget')) return;
      const ma = a.space.bytes, mb = b.space.bytes;
      assert.equal(ma.length, mb.length, `memory sizes differ${where()}`);
      if (Buffer.compare(ma, mb) !== 0) {
        let k = 0;
        while (ma[k] === mb[k]) k++;
        assert.fail(`memory differs first at 0x${k.toString(16)}: interp ${ma[k]}, jit ${mb[k]}${where()}`);
      }
    },
  };
}

/** Check `runs` random programs (seeded when `seed` is given). */
export function runDifferential(runs: number, seed?: number): void {
  const h = harness();
  fc.assert(fc.property(programArb(), (p) => h.check(p)), { numRuns: runs, seed });
}
