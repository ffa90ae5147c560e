/** Locations shared by the tests: the repository root and the shared conformance suite beside it. */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** Tests run from dist/test/, two levels below the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const conformanceDir = resolve(repoRoot, '..', 'shared', 'conformance', 'bpf_conformance');
export const conformanceTests = join(conformanceDir, 'tests');
export const conformanceNegative = join(conformanceDir, 'negative');
