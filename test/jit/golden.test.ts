/**
 * Golden WAT: each test/jit/golden/NAME.s (assembly) against NAME.wat, the
 * text `jitToWat` prints for it (what `ebpf disasm --jited` shows). Review
 * a change as a diff; regenerate with UPDATE=1 npm test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit, jitToWat } from '../../src/jit/index.js';
import { repoRoot } from '../paths.js';

const dir = join(repoRoot, 'test', 'jit', 'golden');
const update = process.env.UPDATE === '1';

for (const source of readdirSync(dir).filter((f) => f.endsWith('.s')).sort()) {
  test(`golden WAT: ${source}`, () => {
    const insns = assemble(readFileSync(join(dir, source), 'utf8'), { file: source });
    const wat = jitToWat(insns);
    const file = join(dir, source.replace(/\.s$/, '.wat'));
    if (update) writeFileSync(file, wat);
    assert.equal(wat, readFileSync(file, 'utf8'), `${file} differs (UPDATE=1 regenerates it)`);
    // The text is of the module a Jit runs.
    const jit = new Jit(new AddressSpace());
    assert.equal(jit.load(insns).wat(), wat);
  });
}
