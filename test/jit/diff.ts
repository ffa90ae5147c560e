/**
 * The interpreter-vs-JIT differential harness: the same program, the same
 * inputs, the same host (a counting clock, a seeded random source), on two
 * address spaces built the same way, so that every address agrees. The
 * interpreter runs in unchecked mode, the JIT's semantics.
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
import { RuntimeError, createHelperTable, type HelperHost } from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { AddressSpace, type Region } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { Vm } from '../../src/vm/index.js';
import { HELPER_FAILS, HELPER_MIX, INPUT_SIZE, programArb, toInsns, type GenProgram } from './gen.js';

const MAX_INSNS = 200_000;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

export type Outcome =
  | { ok: true; r0: bigint; insns: number | undefined }
  | { ok: false; pc: number | undefined; what: string };

/** A memory fault's message without the address and the reason, which only the interpreter knows. */
const normalize = (detail: string) => detail.replace(/ at 0x[0-9a-f]+ \(.*\)$/, '').replace(/ \(outside the memory of \d+ bytes\)$/, '');

interface Engine {
  space: AddressSpace;
  input: Region;
  host: { calls: number; seed: number };
  run(insns: Insn[]): Outcome;
}

function engine(kind: 'interp' | 'jit', verified = false): Engine {
  const space = new AddressSpace();
  const host = { calls: 0, seed: 1 };
  const options: HelperHost = {
    clock: { monotonicNs: () => BigInt(1000 + ++host.calls), bootNs: () => BigInt(5000 + ++host.calls) },
    random: () => (host.seed = (Math.imul(host.seed, 1103515245) + 12345) >>> 0),
    cpu: 3,
  };
  const helpers = createHelperTable([
    { id: HELPER_MIX, name: 'test_mix', fn: (_ctx, a, b, c, d, e) => U64(a * 3n + (b ^ c) - d + (e << 1n)) },
    {
      id: HELPER_FAILS, name: 'test_fails',
      fn: (_ctx, a) => {
        if (a & 1n) throw new RuntimeError('test_fails refuses odd r1');
        return a >> 1n;
      },
    },
  ]);
  const exec = kind === 'interp' ? new Vm(space, { checked: false, helpers, host: options, maxInsns: MAX_INSNS }) : new Jit(space, { helpers, host: options, maxInsns: MAX_INSNS });
  const input = space.alloc('input', INPUT_SIZE, 'data');
  return {
    space,
    input,
    host,
    run(insns) {
      try {
        const r = (kind === 'jit' ? (exec as Jit).load(insns, { verified }) : exec.load(insns)).run({ r1: BigInt(input.start), r2: BigInt(INPUT_SIZE), packet: { data: input.start, dataEnd: input.start + INPUT_SIZE } });
        return { ok: true, r0: r.r0, insns: r.insns };
      } catch (e) {
        if (e instanceof RuntimeError) {
          const budget = /^instruction budget/.test(e.detail);
          return { ok: false, pc: budget ? undefined : e.pc, what: normalize(e.detail) };
        }
        throw e;
      }
    },
  };
}

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
      const outcomes = [a, b].map((e) => {
        e.space.bytes.fill(0);
        e.space.write(e.input.start, p.input);
        e.host.calls = 0;
        e.host.seed = 1;
        const o = e.run(insns);
        // A verified program runs without the JIT's budget, which alone counts instructions.
        return verified && o.ok ? { ...o, insns: undefined } : o;
      });
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
