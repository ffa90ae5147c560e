/**
 * A collection's programs prepared at once (Runtime.prepareAll, Jit.loadAll)
 * with the intrinsics that depend on the program or the run: bpf_loop's
 * table of the program's callbacks, tail calls through the Jit's table.
 * Each side, interpreter and JIT, runs every program several times (the
 * first run files the wasm entries the later ones use) and must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgramHandle } from '../../src/helpers/index.js';
import { u32Bytes } from '../../src/maps/index.js';
import { Runtime, type EngineProgram } from '../../src/runtime/index.js';
import type { JitProgram } from '../../src/jit/index.js';
import { asm } from '../helpers/util.js';
import { framesProg, loopProg } from '../helpers/hook-programs.js';

const BPF_FUNC_tail_call = 12;
const BPF_FUNC_loop = 181;

test('prepareAll: bpf_loop programs keep their own callback tables, tail calls and the rest share one module', () => {
  const sides = [new Runtime({ engine: 'interp' }), new Runtime({ engine: 'jit' })];
  try {
    const inputs = sides.map((rt) => rt.space.alloc('input', 8, 'data'));
    const slots = sides.map((rt) => rt.registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 }));
    sides.forEach((rt, i) => {
      const id = rt.registry.registerProgram(new ProgramHandle('target', asm('r0 = 42\nexit')));
      slots[i].update(u32Bytes(0), u32Bytes(id));
    });
    // Slot *r1 (a byte of the input) of the prog array: 42 from the target, 7 when the slot is empty.
    const tail = `
      r6 = r1
      r2 = ${slots[0].address} ll
      r3 = *(u8 *)(r6 + 0)
      call bpf_tail_call
      r0 = 7
      exit`;
    assert.equal(slots[1].address, slots[0].address, 'both runtimes lay their maps out alike');
    // The two loop programs have their callback at the same pc, with different code: a table shared
    // between them would run the first one's callback for the second.
    const texts = [loopProg(10, 99), loopProg(10, 3), framesProg, tail, 'r0 = 5\nexit'];
    const prepared = sides.map((rt) => rt.prepareAll(texts.map(asm)));
    const jitted = prepared[1] as JitProgram[];
    assert.ok(jitted[0].compiled.intrinsics.some((x) => x.id === BPF_FUNC_loop), 'bpf_loop runs as an intrinsic');
    assert.ok(jitted[3].compiled.intrinsics.some((x) => x.id === BPF_FUNC_tail_call), 'bpf_tail_call runs as an intrinsic');
    const modules = jitted.map((p) => p.compiled.bytes);
    assert.equal(new Set(modules).size, 4, 'each bpf_loop program has a module of its own');
    assert.equal(modules[3], modules[4], 'the others share one');
    const run = (k: number, byte: number): bigint => {
      const outcome = sides.map((rt, i) => {
        rt.space.write(inputs[i].start, Uint8Array.of(byte, 0, 0, 0, 0, 0, 0, 0));
        const r0 = (prepared[i][k] as EngineProgram).run({ r1: BigInt(inputs[i].start) }).r0;
        return [r0, new DataView(rt.space.bytes.slice(inputs[i].start, inputs[i].start + 8).buffer).getBigUint64(0, true)];
      });
      assert.deepEqual(outcome[1], outcome[0], `program ${k}: the JIT returns and writes what the interpreter does`);
      return outcome[0][0];
    };
    for (let round = 0; round < 3; round++) {
      assert.equal(run(0, 0), 10n);
      assert.equal(run(1, 0), 4n);
      assert.equal(run(2, 0), 0x1234n + 0x66n + 0x77n);
      assert.equal(run(3, 0), 42n);
      assert.equal(run(3, 1), 7n);
      assert.equal(run(4, 0), 5n);
    }
  } finally {
    for (const rt of sides) rt.dispose();
  }
});
