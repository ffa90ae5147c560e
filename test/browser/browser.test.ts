/**
 * The core in Chromium (chromium.ts): the page imports dist/test/browser/page.js,
 * which imports the core entry as a browser application would, and runs the
 * same checks as Node.js does here — the conformance suite on the JIT and
 * the interpreter, over unshared and shared memory (wasm atomics on a
 * SharedArrayBuffer), and clang's objects loaded as collections and
 * test-run on both engines — and the results must be Node's, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeInsns } from '../../src/isa/index.js';
import { conformanceCases, negativeCases } from '../conformance-cases.js';
import { programArb, toInsns } from '../jit/gen.js';
import { acceptedGenPrograms } from '../jit/vdiff.js';
import { repoRoot } from '../paths.js';
import { browserPage } from './fixture.js';
import { differential, objectRuns, sandbox, type ConformanceCase, type DiffCase, type EngineName } from './page.js';

const browser = browserPage('/dist/test/browser/page.js');
const { skip } = browser;

test('the page is a cross-origin isolated Chromium page with SharedArrayBuffer', { skip }, async () => {
  const env = await browser.page.call<{ crossOriginIsolated: boolean; sharedArrayBuffer: boolean; userAgent: string }>('environment');
  assert.match(env.userAgent, /Chrome\//);
  assert.equal(env.crossOriginIsolated, true);
  assert.equal(env.sharedArrayBuffer, true);
  assert.deepEqual(browser.page.errors, []);
});

for (const engine of ['jit', 'interp'] as EngineName[]) {
  for (const shared of [false, true]) {
    test(`conformance tests/ in Chromium on the ${engine === 'jit' ? 'JIT' : 'interpreter'} (${shared ? 'shared' : 'unshared'} memory): 313 of 313`, { skip }, async () => {
      const cases = conformanceCases();
      assert.equal(cases.length, 313);
      assert.deepEqual(await browser.page.call('conformance', cases, engine, shared), { passed: 313, failures: [] });
    });
  }
}

test('conformance negative/ in Chromium: every raw program is refused with an InstructionError', { skip }, async () => {
  const cases = negativeCases();
  assert.ok(cases.length >= 40);
  for (const engine of ['jit', 'interp'] as EngineName[]) {
    assert.deepEqual(await browser.page.call('conformance', cases, engine, false), { passed: cases.length, failures: [] }, engine);
  }
});

test('a case that fails in the page is reported as a failure, not passed (the check can fail)', { skip }, async () => {
  const [first] = conformanceCases().filter((c) => c.result !== undefined);
  const wrong: ConformanceCase = { ...first, result: (BigInt(`0x${first.result!}`) ^ 1n).toString(16) };
  const out = await browser.page.call<{ passed: number; failures: string[] }>('conformance', [wrong], 'jit', false);
  assert.equal(out.passed, 0);
  assert.match(out.failures[0], new RegExp(`^${first.file}: r0=0x${first.result!}, expected`));
});

/**
 * clang's objects, each verified as a collection loads it (the JIT leaves out its run-time checks), but for two
 * our verifier refuses as a whole (a program of pkt_changes.o the kernel refuses too; programs.o's freplace
 * program): loaded unverified, with the checks. Programs a packet cannot run give their errors, compared too.
 */
const OBJECTS: [name: string, verify: boolean][] = [
  ['behaviour.o', true], ['bench.o', true], ['helpers.o', true], ['maps.o', true], ['subprogs.o', true], ['globals.o', true],
  ['sockets.o', true], ['pkt_changes.o', false], ['programs.o', false],
];
const packet = Array.from({ length: 96 }, (_, i) => (i * 37 + 11) & 0xff);

for (const [name, verify] of OBJECTS) {
  test(`${name} in Chromium${verify ? '' : ' (unverified)'}: every program's test runs and the maps after them are Node's, on the JIT and the interpreter`, { skip }, async () => {
    const object = Array.from(readFileSync(join(repoRoot, 'testdata', 'obj', name)));
    const node = objectRuns(object, 'interp', packet, verify);
    assert.equal(node.load, undefined, `${name} loads in Node: ${node.load}`);
    assert.ok(node.runs.some((r) => r.retval !== undefined), `${name}: some program runs`);
    assert.deepEqual(objectRuns(object, 'jit', packet, verify), node, `${name}: the JIT in Node`);
    for (const engine of ['jit', 'interp'] as EngineName[]) {
      assert.deepEqual(await browser.page.call('objectRuns', object, engine, packet, verify), node, `${name}: ${engine} in Chromium`);
    }
  });
}

test('the JIT\'s sandbox in Chromium, verifier off: stray stores land in the runtime\'s memory or trap, as in Node', { skip }, async () => {
  const node = sandbox();
  assert.ok(node.bystander && node.js && node.highWrote === '0', 'the check holds in Node (test/jit/runtime.test.ts)');
  assert.deepEqual(await browser.page.call('sandbox'), node);
});

test('the differential harness in Chromium: 1,000 random programs give on the JIT there what the interpreter gives in Node (outcome and memory)', { skip }, async () => {
  const cases: DiffCase[] = fc.sample(programArb(), { numRuns: 1000, seed: 6161 }).map((p) => ({ code: Array.from(encodeInsns(toInsns(p))), input: Array.from(p.input) }));
  const node = differential(cases, 'interp');
  assert.ok(node.some((r) => r.outcome.includes('"ok":false')) && node.some((r) => r.outcome.includes('"ok":true')), 'programs that fault and programs that finish');
  await sameOnTheJitInThePage(cases, node, false);
});

test('the verified differential harness in Chromium: the programs our verifier accepts, loaded as verified, give on the JIT there what the interpreter gives in Node', { skip }, async () => {
  const cases: DiffCase[] = acceptedGenPrograms(600, 6262).map((p) => ({ code: Array.from(encodeInsns(p.insns)), input: Array.from(p.input) }));
  assert.ok(cases.length >= 200, `only ${cases.length} accepted programs`);
  await sameOnTheJitInThePage(cases, differential(cases, 'interp', true), true);
});

/** differential() on the JIT in the page (500 cases a call: one call's arguments and results cross as JSON) must give `node`'s. */
async function sameOnTheJitInThePage(cases: readonly DiffCase[], node: readonly { outcome: string; memory: string }[], verified: boolean): Promise<void> {
  const jit: { outcome: string; memory: string }[] = [];
  for (let k = 0; k < cases.length; k += 500) jit.push(...await browser.page.call<{ outcome: string; memory: string }[]>('differential', cases.slice(k, k + 500), 'jit', verified));
  const first = jit.findIndex((r, k) => r.outcome !== node[k].outcome || r.memory !== node[k].memory);
  assert.equal(first, -1, first < 0 ? '' : `program ${first} on the JIT in Chromium: ${JSON.stringify(jit[first])}, in Node's interpreter: ${JSON.stringify(node[first])}`);
}
