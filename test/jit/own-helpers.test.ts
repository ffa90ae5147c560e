/**
 * The JIT runs the runtime's own map lookup, ring buffer, tail call and
 * bpf_loop helpers its own way (intrinsics), but a helper a user puts in
 * their place under the same name is called, on the JIT as on the
 * interpreter: the intrinsic stands for the runtime's implementation only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgramHandle, type HelperDef } from '../../src/helpers/index.js';
import { u32Bytes } from '../../src/maps/index.js';
import { Runtime, type EngineProgram } from '../../src/runtime/index.js';
import { asm } from '../helpers/util.js';
import { loopProg } from '../helpers/hook-programs.js';

/**
 * Each helper id's replacement: it counts its calls and answers 77; bpf_loop's calls the callback once
 * (as the JIT's fast path would have it filed).
 */
function replacement(id: number, name: string, calls: number[]): HelperDef {
  return {
    id, name,
    fn: (ctx, _r1, r2, r3) => {
      calls.push(id);
      if (id === 181) ctx.engine.callback(r2, 0n, r3, 0n, 0n, 0n);
      return 77n;
    },
  };
}

test('a helper put in place of one the JIT runs its own way is called, on the JIT as on the interpreter', () => {
  const key = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4';
  const reserve = (ring: bigint) => `r1 = ${ring} ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto +3\nr1 = r0\nr2 = 0`;
  /** The helper replaced, and the program (of an array, a ring buffer and a prog_array's addresses) whose r0 is its answer. */
  const cases: [number, string, (m: { array: bigint; ring: bigint; progs: bigint }) => string][] = [
    [1, 'bpf_map_lookup_elem', (m) => `${key}\nr1 = ${m.array} ll\ncall bpf_map_lookup_elem\nexit`],
    [131, 'bpf_ringbuf_reserve', (m) => `r1 = ${m.ring} ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nexit`],
    [132, 'bpf_ringbuf_submit', (m) => `${reserve(m.ring)}\ncall bpf_ringbuf_submit\nexit`],
    [133, 'bpf_ringbuf_discard', (m) => `${reserve(m.ring)}\ncall bpf_ringbuf_discard\nexit`],
    [12, 'bpf_tail_call', (m) => `r2 = ${m.progs} ll\nr3 = 0\ncall bpf_tail_call\nexit`],
    [181, 'bpf_loop', () => loopProg(1, 99)],
  ];
  for (const [id, name, text] of cases) {
    const answers = (['interp', 'jit'] as const).map((engine) => {
      const calls: number[] = [];
      const rt = new Runtime({ engine, helpers: [replacement(id, name, calls)] });
      try {
        const array = BigInt(rt.registry.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 }).address);
        const ring = BigInt(rt.registry.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }).address);
        const slots = rt.registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 });
        slots.update(u32Bytes(0), u32Bytes(rt.registry.registerProgram(new ProgramHandle('target', asm('r0 = 42\nexit')))));
        const progs = BigInt(slots.address);
        const ctx = BigInt(rt.space.alloc('ctx', 8, 'data').start);
        // Twice: the JIT files some fast paths (bpf_loop's callback entry) at the first run, for the later ones.
        const prog = rt.prepare(asm(text({ array, ring, progs }))) as EngineProgram;
        const r0 = [prog.run({ r1: ctx }).r0, prog.run({ r1: ctx }).r0];
        return { r0, calls };
      } finally {
        rt.dispose();
      }
    });
    assert.deepEqual(answers[0], { r0: [77n, 77n], calls: [id, id] }, `${name} on the interpreter`);
    assert.deepEqual(answers[1], answers[0], `${name} on the JIT`);
  }
});
