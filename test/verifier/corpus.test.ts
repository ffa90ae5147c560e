import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Kernel } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { comparableLog, corpusFiles, hostNrCpuIds, kernelVerdict, lastLines, parseCase, processedInsns } from './corpus.js';

const cases = corpusFiles().map(parseCase);
/** Ours bounds bpf_get_smp_processor_id as the kernel here does. */
const nrCpuIds = hostNrCpuIds();

/** Cases that run to the 1,000,000-instruction limit take seconds on either side: only with EBPF_VERIFIER_SLOW=1. */
function skipSlow(t: TestContext, slow: boolean): boolean {
  if (!slow || process.env.EBPF_VERIFIER_SLOW === '1') return false;
  t.skip('walks 1,000,000 instructions (seconds); set EBPF_VERIFIER_SLOW=1');
  return true;
}
/** One kernel handle for the whole corpus. */
let kernelHandle: Kernel | undefined;

test('the corpus is annotated', () => {
  assert.ok(cases.length > 0);
  for (const c of cases) {
    assert.ok(c.result, `${c.file}: no result header`);
    assert.equal(c.result === 'reject', c.error.length > 0, `${c.file}: a rejection needs its error, an acceptance none`);
  }
});

for (const c of cases) {
  test(`corpus ${c.name}: ours`, (t) => {
    if (skipSlow(t, c.slow)) return;
    const r = verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license, nrCpuIds, logLevel: 1 });
    assert.equal(r.accepted ? 'accept' : 'reject', c.result, `${c.file}: ${r.error?.message ?? 'accepted'}\n${r.log}`);
    if (c.known) t.diagnostic(`message not compared: ${c.known}`);
    else if (c.result === 'reject') assert.equal(lastLines(r.error?.message ?? ''), c.error.join('\n'), `${c.file}\n${r.log}`);
    if (c.processed !== undefined) assert.equal(processedInsns(r.log), c.processed, `${c.file}: processed insns\n${r.log}`);
  });

  test(`corpus ${c.name}: kernel`, (t) => {
    if (skipSlow(t, c.slow)) return;
    const kernel = kernelHandle ?? (kernelHandle = kernelOrSkip(t));
    if (!kernel) return;
    const v = kernelVerdict(kernel, c);
    assert.equal(v.accepted ? 'accept' : 'reject', c.result, `${c.file}: the kernel says ${v.error?.message ?? 'accepted'}`);
    if (c.result === 'reject') assert.equal(v.error?.message, c.error.join('\n'));
    if (c.processed !== undefined) assert.equal(processedInsns(v.log), c.processed, `${c.file}: the kernel's processed insns`);
    // Every case's level-1 log (the failing path, the statistics) is the kernel's.
    const level1 = verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license, nrCpuIds, logLevel: 1 });
    assert.equal(comparableLog(level1.log), comparableLog(v.log), `${c.file}: the level-1 log`);
    if (c.exactLog) {
      // A second load at level 2: there the kernel's message also takes in the precision lines before it.
      const ours = verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license, nrCpuIds, logLevel: 2 });
      assert.equal(comparableLog(ours.log), comparableLog(kernelVerdict(kernel, c, 2).log));
    }
  });
}
