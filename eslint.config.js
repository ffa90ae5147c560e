// The layer rule of ARCHITECTURE.md: each folder of src/ may import only the
// folders listed for it, so the dependency graph stays a DAG. The core (below
// runtime/) must run in a browser, so it may not import node: modules.
import tseslint from 'typescript-eslint';

/** folder → the src/ folders it may import (besides itself). */
const layers = {
  internal: [],
  isa: ['internal'],
  asm: ['internal', 'isa'],
  btf: ['internal', 'isa', 'asm'],
  elf: ['internal', 'isa', 'asm', 'btf', 'platform'],
  platform: ['internal', 'isa'],
  verifier: ['internal', 'isa', 'asm', 'btf', 'platform'],
  memory: ['internal'],
  maps: ['internal', 'memory', 'platform', 'isa'],
  helpers: ['internal', 'maps', 'memory', 'platform', 'isa'],
  vm: ['internal', 'isa', 'asm', 'helpers', 'memory', 'maps', 'platform'],
  jit: ['internal', 'isa', 'asm', 'helpers', 'memory', 'maps', 'platform'],
  kernel: ['internal', 'isa', 'asm', 'btf', 'elf', 'platform'],
  runtime: ['internal', 'isa', 'asm', 'btf', 'elf', 'platform', 'verifier', 'memory', 'maps', 'helpers', 'vm', 'jit', 'kernel'],
  hooks: ['internal', 'isa', 'asm', 'btf', 'elf', 'platform', 'verifier', 'memory', 'maps', 'helpers', 'vm', 'jit', 'kernel', 'runtime'],
  cli: null,
};
const nodeAllowed = new Set(['kernel', 'runtime', 'hooks', 'cli']);

const layerRules = Object.entries(layers).map(([folder, allowed]) => {
  const forbidden = allowed === null ? [] : Object.keys(layers).filter((f) => f !== folder && !allowed.includes(f));
  const patterns = forbidden.map((f) => ({
    group: [`../${f}/*`, `../${f}/**`, `../../${f}/*`],
    message: `src/${folder}/ may not import src/${f}/ (see the layer table in docs/architecture.md).`,
  }));
  if (!nodeAllowed.has(folder)) {
    patterns.push({ group: ['node:*'], message: `src/${folder}/ is core code that must run in a browser: no node: imports.` });
  }
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: patterns.length ? { 'no-restricted-imports': ['error', { patterns }] } : {},
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'testdata/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
);
