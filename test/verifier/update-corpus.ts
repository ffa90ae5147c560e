/**
 * Rewrite the `result` and `error` headers of the corpus from the running
 * kernel's verifier (review the diff). Usage: node dist/test/verifier/update-corpus.js [file...]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel } from '../../src/kernel/index.js';
import { corpusDir, corpusFiles, kernelVerdict, parseCase } from './corpus.js';

const kernel = Kernel.open();
const files = process.argv.length > 2 ? process.argv.slice(2) : corpusFiles();
for (const file of files) {
  const c = parseCase(file);
  const v = kernelVerdict(kernel, c);
  const head = [`; result: ${v.accepted ? 'accept' : 'reject'}`, ...(v.error ? v.error.message.split('\n').map((l) => `; error: ${l}`) : [])];
  const body = c.text.split('\n').filter((l) => !/^;\s*(result|error):/.test(l));
  const at = body.findIndex((l) => !l.startsWith(';'));
  body.splice(at < 0 ? body.length : at, 0, ...head);
  writeFileSync(join(corpusDir, file), body.join('\n'));
  console.log(`${file}: ${v.accepted ? 'accept' : `reject: ${v.error?.message.split('\n').join(' | ')}`}`);
}
