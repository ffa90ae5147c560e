/**
 * The browser benchmark's page (bench/browser-page.ts) in Chromium, small:
 * a compute program's r0 is Node's, so is each bench.o program's return
 * value, and the compile passes over large.o
 * load every program in each mode (so `npm run bench browser` cannot rot
 * unseen). No timing is checked here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchObject, benchObjectBytes } from '../../bench/bench-object.js';
import { JIT_PROGRAMS, OBJECT_PROGRAMS, benchInput, prepareBenchCollection } from '../../bench/jit-programs.js';
import { assemble } from '../../src/asm/index.js';
import { Jit } from '../../src/jit/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Collection } from '../../src/runtime/index.js';
import { browserPage } from './fixture.js';

const browser = browserPage('/dist/bench/browser-page.js');
const { skip } = browser;

test('each compute program gives in Chromium the r0 it gives in Node, and a time', { skip }, async () => {
  const input = benchInput();
  for (const p of JIT_PROGRAMS) {
    const space = new AddressSpace();
    const region = space.alloc('input', input.length, 'data');
    space.write(region.start, input);
    const r0 = new Jit(space).load(assemble(p.source), { verified: true }).run({ r1: BigInt(region.start), r2: BigInt(input.length) }).r0;
    const b = await browser.page.call<{ r0: string; ns: number }>('jitNsPerRun', p.source, Array.from(input), 1, 1);
    assert.equal(b.r0, r0.toString(), p.name);
    assert.ok(b.ns > 0, p.name);
  }
});

test('each bench.o program gives in Chromium the return value it gives in Node, and a time', { skip }, async () => {
  const input = benchInput();
  const c = Collection.load(benchObject(), { engine: 'jit' });
  try {
    prepareBenchCollection(c);
    const object = Array.from(benchObjectBytes());
    for (const p of OBJECT_PROGRAMS) {
      c.programs[p.program].testRun({ data: input });
      const retval = c.programs[p.program].testRun({ data: input }).retval;
      const b = await browser.page.call<{ retval: number; ns: number }>('objectNsPerRun', object, p.name, Array.from(input), 1, 1);
      assert.equal(b.retval, retval, p.name);
      assert.ok(b.ns > 0, p.name);
    }
  } finally {
    c.dispose();
  }
});

test('the compile passes in Chromium load all of large.o\'s programs in every mode', { skip }, async () => {
  const work = await browser.page.call<{ programs: number; insns: number }>('openCompileWork', '/testdata/obj/large.o.gz');
  assert.equal(work.programs, 56);
  // Each salted program is one instruction longer.
  const salted = work.insns + work.programs;
  for (const mode of ['one by one', 'all', 'alone', 'first run']) {
    assert.equal(await browser.page.call('compilePasses', mode, true, 1), salted, mode);
  }
  assert.equal(await browser.page.call('compilePasses', 'alone', false, 1, true), work.insns + work.programs + 2, 'the combined program: a head of a salt, a call each, an exit');
  await browser.page.call('rerun');
  await browser.page.call('release');
  assert.deepEqual(browser.page.errors, []);
});
