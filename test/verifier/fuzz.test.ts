/**
 * The differential verifier fuzzer in `npm test`: a fixed-seed run of
 * boundary programs against the kernel (no unsafe accept, at least 99% of
 * verdicts equal), and, everywhere, that each template really sits on the
 * boundary (our verdicts on it are mixed) and that the classifier sorts
 * disagreements as it should. `npm run fuzz:verifier` runs the long version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { verify } from '../../src/verifier/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { classify, formatFuzzReport, newReport, runFuzz } from './fuzz.js';
import { TEMPLATES, fuzzCaseArb, fuzzInsns } from './fuzz-gen.js';

const SEED = 20261121;

test('400 boundary programs: our verdicts equal the kernel\'s, and we never accept what it rejects for safety', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const report = runFuzz(newReport(SEED, false), 400, SEED, kernel);
  t.diagnostic(formatFuzzReport(report, false));
  assert.equal(report.programs, 400);
  assert.equal(report.byKind['unsafe-accept'], 0, formatFuzzReport(report));
  assert.ok(report.verdictAgree >= 0.99 * report.programs, formatFuzzReport(report));
});

test('ours alone: every boundary program gets a verdict, every rejection a message', () => {
  const report = runFuzz(newReport(SEED, true), 300, SEED + 1);
  assert.equal(report.programs, 300);
  assert.ok(report.accepted > 0 && report.accepted < 300, formatFuzzReport(report));
});

for (const template of TEMPLATES) {
  test(`template ${template} sits on the boundary: we accept some of its programs and reject others`, () => {
    const cases = fc.sample(fuzzCaseArb([template]), { numRuns: 150, seed: SEED });
    const accepted = cases.filter((c) => verify(fuzzInsns(c), { progType: c.prog, maps: c.maps, license: 'GPL', logLevel: 0 }).accepted).length;
    assert.ok(accepted >= 10 && accepted <= 140, `${template}: ${accepted} of 150 accepted`);
  });
}

test('the classifier: a safety rejection we accept is unsafe, a limit is not, a stricter rejection is its own class', () => {
  assert.equal(classify(true, 'accept', true, 'accept'), undefined);
  assert.equal(classify(false, 'R0 !read_ok', false, 'R0 !read_ok'), undefined);
  assert.equal(classify(false, 'R0 !read_ok', false, 'R1 !read_ok'), 'message');
  assert.equal(classify(true, 'accept', false, 'R0 invalid mem access \'map_value_or_null\''), 'unsafe-accept');
  assert.equal(classify(true, 'accept', false, 'BPF program is too large. Processed 1000001 insn'), 'limit-accept');
  assert.equal(classify(true, 'accept', false, 'The sequence of 8193 jumps is too complex.'), 'limit-accept');
  assert.equal(classify(false, 'R0 invalid mem access \'scalar\'', true, 'accept'), 'strict-reject');
});
