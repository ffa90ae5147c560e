/**
 * The BPF conformance suite in the kernel, through the conformance-contract
 * runner: every program the kernel can express gives the expected r0; the
 * rest are listed with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import { parseConformanceData, rawWordsToBytes } from '../../src/cli/conformance-data.js';
import { u64Hex } from '../../src/internal/bytes.js';
import { decodeInsns } from '../../src/isa/index.js';
import { KernelRunner } from '../../src/kernel/index.js';
import { conformanceTests } from '../paths.js';
import { kernelOrSkip } from './env.js';

test('the conformance suite on the kernel: every expressible test passes', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  using runner = new KernelRunner(kernel);
  const files = readdirSync(conformanceTests).filter((f) => f.endsWith('.data')).sort();
  const failures: string[] = [];
  const inexpressible: string[] = [];
  let passed = 0;
  for (const file of files) {
    const c = parseConformanceData(readFileSync(join(conformanceTests, file), 'utf8'));
    const insns = c.raw ? decodeInsns(rawWordsToBytes(c.raw)) : assemble(c.asm!.text, { file });
    const r = runner.run(insns, c.mem);
    if (!r.ok) {
      assert.ok(r.reason.length > 0);
      inexpressible.push(`${file}: ${r.reason}`);
    } else if (c.result !== undefined && r.r0 === c.result) passed++;
    else failures.push(`${file}: kernel r0 = ${u64Hex(r.r0)}, expected ${c.result === undefined ? `error ${c.error}` : u64Hex(c.result)}`);
  }
  t.diagnostic(`${files.length} tests: ${passed} passed in the kernel, ${failures.length} failed, ${inexpressible.length} not expressible:`);
  for (const line of inexpressible) t.diagnostic(`  ${line}`);
  assert.deepEqual(failures, []);
  assert.ok(passed >= files.length * 0.9, `only ${passed} of ${files.length} ran in the kernel`);
});
