/** testdata/obj/bench.o, read from the repository (Node.js): the object of jit-programs.ts's OBJECT_PROGRAMS. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCollectionSpec, type CollectionSpec } from '../src/elf/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The object's bytes (browser.ts hands them to the page). */
export function benchObjectBytes(): Uint8Array {
  return new Uint8Array(readFileSync(join(repoRoot, 'testdata', 'obj', 'bench.o')));
}

/** testdata/obj/bench.o, parsed. */
export function benchObject(): CollectionSpec {
  return loadCollectionSpec(benchObjectBytes());
}
