/**
 * A Jit keeps no program alive that nothing else holds: the modules of
 * tail-calling programs reach the Jit-wide tail-call code through an
 * imported function, not its table (V8 keeps every instance that imports a
 * table alive as long as the table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BPF_FUNC_tail_call } from '../../src/helpers/index.js';
import { Jit, type JitProgram } from '../../src/jit/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { call, exit, mov } from '../vm/util.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The wasm function a program runs: alive exactly as long as its instance. */
function runFunction(program: JitProgram): object {
  return (program as unknown as { exports: { run: object } }).exports.run;
}

test('a tail-calling program nobody holds is collected while its Jit lives', async () => {
  const jit = new Jit(new AddressSpace());
  const refs = Array.from({ length: 4 }, (_, k) => {
    const program = jit.load([mov(0, k), call(BPF_FUNC_tail_call), exit()]);
    assert.ok(program.compiled.tailImport);
    return new WeakRef(runFunction(program));
  });
  // A WeakRef's target lives to the end of the job that made it.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true, true]);
  jit.dispose();
});
