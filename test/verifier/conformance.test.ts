/**
 * The BPF conformance suite's programs, verified as socket filters by us and
 * by the running kernel: the verdicts and the messages must agree.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assemble } from '../../src/asm/index.js';
import { parseConformanceData } from '../../src/cli/conformance-data.js';
import { verifyOnKernel, type Kernel } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { conformanceTests } from '../paths.js';
import { lastLines } from './corpus.js';

const programs = readdirSync(conformanceTests).filter((f) => f.endsWith('.data')).sort().flatMap((f) => {
  const data = parseConformanceData(readFileSync(join(conformanceTests, f), 'utf8'));
  return data.asm ? [{ name: f, insns: assemble(data.asm.text, { file: f }) }] : [];
});

test('conformance programs: our verdict and message equal the kernel\'s', (t) => {
  assert.ok(programs.length > 300);
  const kernel: Kernel | undefined = kernelOrSkip(t);
  if (!kernel) return;
  const disagreements: string[] = [];
  for (const p of programs) {
    const ours = verify(p.insns, { logLevel: 1 });
    const theirs = verifyOnKernel(kernel, p.insns, { logLevel: 1 });
    const ourMessage = ours.error ? lastLines(ours.error.message) : null;
    if (ours.accepted !== theirs.accepted || ourMessage !== (theirs.error?.message ?? null)) {
      disagreements.push(`${p.name}: ours ${ourMessage ?? 'accept'}, kernel ${theirs.error?.message ?? 'accept'}`);
    }
  }
  assert.deepEqual(disagreements, []);
});
