/** The conformance suite's files as plain data (test/browser/page.ts runs them, in Node.js and in a browser). */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceProgram } from '../src/cli/conformance.js';
import { parseConformanceData, rawWordsToBytes } from '../src/cli/conformance-data.js';
import { encodeInsns } from '../src/isa/index.js';
import type { ConformanceCase } from './browser/page.js';
import { conformanceNegative, conformanceTests } from './paths.js';

const dataFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

/** Every program of tests/ with its memory and expected r0 (or error). */
export function conformanceCases(): ConformanceCase[] {
  return dataFiles(conformanceTests).map((file) => {
    const c = conformanceProgram(file, readFileSync(join(conformanceTests, file), 'utf8'));
    return {
      file, code: Array.from(encodeInsns(c.insns)), ...(c.mem ? { mem: Array.from(c.mem) } : {}),
      ...(c.error !== undefined ? { error: true } : { result: c.result!.toString(16) }),
    };
  });
}

/** Every raw program of negative/ (instructions a load must refuse), as a case that must fail. */
export function negativeCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const file of dataFiles(conformanceNegative)) {
    const text = readFileSync(join(conformanceNegative, file), 'utf8');
    if (!/^-- raw/m.test(text)) continue;
    out.push({ file, code: Array.from(rawWordsToBytes(parseConformanceData(text).raw!)), error: true, errorClass: 'InstructionError' });
  }
  return out;
}
