/** The committed test objects of testdata/obj and their manifest. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../paths.js';

export const testdataDir = join(repoRoot, 'testdata');
export const objDir = join(testdataDir, 'obj');

export interface Manifest {
  clang: string;
  sources: Record<string, string>;
  objects: Record<string, { source: string; target: string; sha256: string }>;
}

export function manifest(): Manifest {
  return JSON.parse(readFileSync(join(objDir, 'manifest.json'), 'utf8')) as Manifest;
}

/** An object's bytes; `.o.gz` objects are decompressed. */
export function objectBytes(file: string): Uint8Array {
  const raw = readFileSync(join(objDir, file));
  return new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
}

/** Every object of the manifest. */
export function objectFiles(): string[] {
  return Object.keys(manifest().objects).sort();
}
