/**
 * An unverified program's addresses are 64-bit and the JIT's wasm ones
 * 32-bit: wherever the two differ, the JIT must do what the interpreter
 * does. A sum that wraps past 2^64 into the memory is that address; a
 * pointer of 4 GiB or more passed to a helper the JIT runs as an intrinsic
 * faults in the helper, as in the interpreter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/helpers/index.js';
import { Runtime, type EngineProgram } from '../../src/runtime/index.js';
import { engine } from './diff-engine.js';
import { asm } from '../helpers/util.js';

test('an access whose 64-bit sum wraps past 2^64 into the memory reads and writes there, as in the interpreter', () => {
  const programs = {
    ldx: 'r1 = -4\nr0 = *(u32 *)(r1 + 12)\nexit',
    stx: 'r1 = -4\nr2 = 5\n*(u32 *)(r1 + 12) = r2\nr0 = *(u32 *)(r1 + 12)\nexit',
    st: 'r1 = -8\n*(u64 *)(r1 + 16) = 7\nr0 = *(u64 *)(r1 + 16)\nexit',
    atomic: 'r1 = -8\nr2 = 3\nlock *(u64 *)(r1 + 16) += r2\nr0 = *(u64 *)(r1 + 16)\nexit',
    lddw: 'r1 = 0xfffffffffffffff8 ll\n*(u64 *)(r1 + 16) = 9\nr0 = *(u64 *)(r1 + 16)\nexit',
    frame: 'r1 = r10\nr1 += -8\nr2 = 0x100000000 ll\nr1 += r2\nr0 = *(u64 *)(r1 + 0)\nexit',
    // A copy of r10 is a pointer into the frame only while the program has not moved r10.
    moved: 'r10 = 0x100000008 ll\nr1 = r10\nr0 = *(u64 *)(r1 - 8)\nexit',
  };
  for (const [name, text] of Object.entries(programs)) {
    const [interp, jit] = (['interp', 'jit'] as const).map((kind) => engine(kind).run(asm(text)));
    assert.deepEqual(jit, interp, name);
  }
  assert.deepEqual(engine('jit').run(asm(programs.atomic)), { ok: true, r0: 3n, insns: 5 });
  assert.deepEqual(engine('jit').run(asm(programs.frame)), { ok: false, pc: 5, what: 'invalid read of 8 bytes' });
  assert.deepEqual(engine('jit').run(asm(programs.moved)), { ok: false, pc: 3, what: 'invalid read of 8 bytes' });
});

/** The error of `text` (a function of the map's address) on each engine of a fresh runtime, or its r0. */
function outcomes(text: (map: bigint) => string, map: { type: string; keySize: number; valueSize: number; maxEntries: number }): string[] {
  return (['interp', 'jit'] as const).map((kind) => {
    const rt = new Runtime({ engine: kind });
    try {
      const m = rt.registry.create(map as Parameters<typeof rt.registry.create>[0]);
      const prog = rt.prepare(asm(text(BigInt(m.address)))) as EngineProgram;
      try {
        return String(prog.run({ r1: 0n }).r0);
      } catch (e) {
        if (!(e instanceof RuntimeError)) throw e;
        return e.message;
      }
    } finally {
      rt.dispose();
    }
  });
}

test('an unverified program\'s pointer of 4 GiB or more to a helper the JIT inlines faults in the helper, as in the interpreter', () => {
  const hash = { type: 'hash', keySize: 8, valueSize: 8, maxEntries: 4 };
  const array = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 };
  const key = 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8';
  const high = (r: number) => `r3 = 1 ll\nr3 <<= 32\nr${r} += r3`;
  const cases: [string, (map: bigint) => string, typeof hash][] = [
    ['hash lookup, key above 4 GiB', (m) => `${key}\n${high(2)}\nr1 = ${m} ll\ncall bpf_map_lookup_elem\nexit`, hash],
    ['array lookup, key above 4 GiB', (m) => `${key}\n${high(2)}\nr1 = ${m} ll\ncall bpf_map_lookup_elem\nexit`, array],
    ['lookup, map above 4 GiB', (m) => `${key}\nr1 = ${m} ll\n${high(1)}\ncall bpf_map_lookup_elem\nexit`, hash],
    ['ringbuf reserve, map above 4 GiB', (m) => `r1 = ${m} ll\n${high(1)}\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nexit`, { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }],
    ['tail call, prog_array above 4 GiB', (m) => `r2 = ${m} ll\n${high(2)}\nr3 = 0\ncall bpf_tail_call\nr0 = 7\nexit`, { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 }],
  ];
  for (const [name, text, map] of cases) {
    const [interp, jit] = outcomes(text, map);
    assert.match(interp, /above 4 GiB|0x1[0-9a-f]{8}\)? is not a map/, `${name}: the interpreter faults`);
    assert.equal(jit, interp, name);
  }
  // Below 4 GiB but past the end of the memory: the inline array lookup's read of the key traps, reported as the helper's fault.
  const far = { ...array, maxEntries: 1 };
  const [interp, jit] = outcomes((m) => `r2 = 0x100000 ll\nr2 += -2\nr1 = ${m} ll\ncall bpf_map_lookup_elem\nexit`, far);
  assert.match(interp, /^pc 5: invalid read of 4 bytes at 0xffffe /);
  assert.equal(jit, 'pc 5: invalid read of 4 bytes (outside the memory of 1048576 bytes)');
  // In range, the intrinsic runs: a key in the frame needs no check, and finds nothing in the empty map.
  assert.deepEqual(outcomes((m) => `${key}\nr1 = ${m} ll\ncall bpf_map_lookup_elem\nexit`, hash), ['0', '0']);
});
