/**
 * Programs loaded as verified (the verifier proved that they terminate)
 * run without the instruction budget, as in the kernel; the code the JIT
 * makes for them has no budget accounting at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { RuntimeError } from '../../src/helpers/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit, compileProgram } from '../../src/jit/index.js';
import { Runtime } from '../../src/runtime/index.js';

/** 3,000 iterations of a four-instruction loop with a forward merge in it: some 12,000 instructions. */
const LOOP = `
  r0 = 0
  r1 = 3000
loop:
  if r1 > 1500 goto big
  r0 += 1
  goto next
big:
  r0 += 2
next:
  r1 -= 1
  if r1 != 0 goto loop
  exit`;

test('a verified program runs past maxInsns and reports no count; unverified, the same program is stopped', () => {
  const space = new AddressSpace();
  const jit = new Jit(space, { maxInsns: 1000 });
  try {
    const insns = assemble(LOOP);
    assert.deepEqual(jit.load(insns, { verified: true }).run(), { r0: 4500n, insns: undefined });
    assert.throws(() => jit.load(insns).run(), (e) => e instanceof RuntimeError && /instruction budget of 1000 exhausted/.test(e.message));
  } finally {
    jit.dispose();
  }
});

test('the verified module has no budget code: no fuel checks, no per-edge subtractions', () => {
  const space = new AddressSpace();
  const jit = new Jit(space);
  try {
    const insns = assemble(LOOP);
    const verified = jit.load(insns, { verified: true }), budgeted = jit.load(insns);
    assert.equal(verified.compiled.budget, false);
    assert.equal(budgeted.compiled.budget, true);
    // The run's budget goes to the global (a tail-call target without the verifier's word counts from it); no fuel local is read.
    assert.doesNotMatch(verified.wat(), /local\.get \$fuel|i64\.lt_s\s+if\b.*\n\s+unreachable/);
    assert.match(budgeted.wat(), /local\.get \$fuel[\s\S]*i64\.lt_s\s+if\b.*\n\s+unreachable/);
    assert.ok(verified.wasm.length < budgeted.wasm.length);
  } finally {
    jit.dispose();
  }
});

/** The globals a module imports, by name, in order. */
const importedGlobals = (bytes: Uint8Array) =>
  WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).filter((i) => i.kind === 'global').map((i) => i.name);

test('a module imports only the globals its code uses: r0 and r6–r9 where registers are published, the tail-call ones where a tail call may be taken', () => {
  const space = new AddressSpace();
  const jit = new Jit(space);
  try {
    const helper = assemble('r1 = 0\ncall 5\nexit');
    const base = ['frameTop', 'fuel', 'depth'], regs = ['r0', 'r6', 'r7', 'r8', 'r9'], pkt = ['pktData', 'pktLen'];
    // Verified code does not publish its registers around a helper call; unverified code does (a callback starts from them).
    assert.deepEqual(importedGlobals(jit.load(helper, { verified: true }).wasm), [...base, ...pkt, 'self']);
    assert.deepEqual(importedGlobals(jit.load(helper).wasm), [...base, ...regs, ...pkt, 'self']);
    const tail = assemble('r2 = 0\nr3 = 0\ncall 12\nr0 = 1\nexit');
    assert.deepEqual(importedGlobals(jit.load(tail, { verified: true }).wasm), [...base, ...pkt, 'tailPending', 'tailId', 'tailCount', 'self']);
    // A callback module starts from the caller's registers: it imports them, verified or not.
    const callback = compileProgram(assemble('r0 = 0\nexit\nr0 = 1\nexit'), { shared: false, verified: true, form: { kind: 'callback', pc: 2 } });
    assert.deepEqual(importedGlobals(callback.bytes), [...base, ...regs, ...pkt, 'self']);
    // None imports the call-stack region's start and size: a fixed offset from frameTop, a constant.
    assert.match(jit.load(assemble('call sub\nexit\nsub:\nr0 = 0\nexit')).wat(), /global\.get \$frameTop\n\s+i32\.const 576\n\s+i32\.sub\n\s+i32\.const 0\n\s+i32\.const 4672\n\s+memory\.fill/);
  } finally {
    jit.dispose();
  }
});

test('a runtime passes the verifier\'s verdict on: verified loads ignore maxInsns on the JIT, verify: false keeps it', () => {
  const rt = new Runtime({ engine: 'jit', maxInsns: 1000 });
  try {
    const insns = assemble(LOOP);
    assert.equal(rt.load(insns).run({}).r0, 4500n);
    assert.throws(() => rt.load(insns, { verify: false }).run({}), (e) => e instanceof RuntimeError && /instruction budget/.test(e.message));
  } finally {
    rt.dispose();
  }
});
