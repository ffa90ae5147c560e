/** Runtime.load and loadCollection: programs are verified before our engines run them, unless the caller opts out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { VerifierError } from '../../src/internal/errors.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionSpec } from '../../src/elf/index.js';
import { CollectionError, loadCollection, ProgramVerifierError, Runtime, UnsupportedProgramError } from '../../src/runtime/index.js';
import { repoRoot } from '../paths.js';

const asm = (text: string) => assemble(text, { helperId: helperIdByName });

/** Reads 8 bytes at offset 8 of an 8-byte map value: the verifier refuses it, the engines would read the next value. */
const outOfBounds = asm(`
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  ld_pseudo r1, 5, 0
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r0 = *(u64 *)(r0 + 8)
  exit
out:
  r0 = 0
  exit`);

for (const engine of ['interp', 'jit'] as const) {
  test(`${engine}: load verifies, resolves map references and runs`, () => {
    const rt = new Runtime({ engine });
    try {
      const map = rt.registry.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 2 });
      map.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]));
      map.update(new Uint8Array([0, 0, 0, 0]), new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]));
      const ok = rt.load(asm(`
        *(u32 *)(r10 - 4) = 0
        r2 = r10
        r2 += -4
        ld_pseudo r1, 5, 0
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r0 = *(u64 *)(r0 + 0)
        exit
      out:
        r0 = 0
        exit`), { maps: [map] });
      assert.equal(ok.run({}).r0, 42n);

      assert.throws(() => rt.load(outOfBounds, { maps: [map] }), (err: unknown) => {
        assert.ok(err instanceof VerifierError);
        assert.equal(err.code, 'EVERIFIER');
        assert.equal(err.insn, 7);
        assert.match(err.log, /invalid access to map value, value_size=8 off=8 size=8\nR0 min value is outside of the allowed memory range\n/);
        assert.match(err.summary, /hint: this load reads bytes 8\.\.15; valid are offsets 0\.\.0 for an 8-byte access/);
        return true;
      });
      // The explicit opt-out: it runs, and reads the neighbouring value as the kernel's JIT would.
      assert.equal(rt.load(outOfBounds, { maps: [map], verify: false }).run({}).r0, 7n);
    } finally {
      rt.dispose();
    }
  });
}

test('load checks the program type it is given, and map references it cannot resolve', () => {
  const rt = new Runtime();
  try {
    const ctxRead = asm('r0 = *(u32 *)(r1 + 24)\nr0 = 0\nexit');
    rt.load(ctxRead);
    assert.throws(() => rt.load(ctxRead, { type: 'xdp' }), /insn 0: invalid bpf_context access off=24 size=4/);
    assert.throws(() => rt.load(outOfBounds, { verify: false }), CollectionError);
  } finally {
    rt.dispose();
  }
});

/** A testdata object's spec. */
const specOf = (name: string) => loadCollectionSpec(new Uint8Array(readFileSync(join(repoRoot, 'testdata', 'obj', name))));

for (const engine of ['interp', 'jit'] as const) {
  test(`${engine}: loadCollection verifies every program it loads; verify: false opts out`, () => {
    const spec = specOf('legacy.o');
    const [p] = spec.programs;
    // r2 is not initialised at entry: the verifier refuses to read it.
    const bad = { ...spec, programs: [{ ...p, insns: asm('r0 = r2\nexit'), funcInfo: [], lineInfo: [] }] };
    assert.throws(() => loadCollection(bad, { engine }), (err: unknown) => {
      assert.ok(err instanceof ProgramVerifierError && err instanceof VerifierError);
      assert.equal(err.program, p.name);
      assert.equal(err.insn, 0);
      assert.match(err.message, new RegExp(`^program ${p.name}: verifier rejected the program at insn 0: R2 !read_ok$`));
      assert.match(err.log, /R2 !read_ok\n/);
      assert.ok(err.summary.length > 0);
      return true;
    });
    const c = loadCollection(bad, { engine, verify: false });
    try {
      assert.deepEqual(Object.keys(c.programs), [p.name]);
    } finally {
      c.dispose();
    }
  });

  test(`${engine}: a program type our verifier cannot judge is refused with the way out`, () => {
    const spec = specOf('programs.o');
    assert.throws(() => loadCollection(spec, { engine }), (err: unknown) => {
      assert.ok(err instanceof UnsupportedProgramError);
      assert.equal(err.code, 'EUNSUPPORTED');
      assert.equal(err.program, 'freplace_prog');
      assert.match(err.message, /^program freplace_prog: our verifier cannot verify it yet: .*attach target's BTF.* \(verify: false loads it unverified\)$/);
      assert.ok(err.cause instanceof UnsupportedProgramError);
      return true;
    });
    const c = loadCollection(spec, { engine, programs: ['xdp_pass', 'socket_prog'] });
    try {
      assert.deepEqual(Object.keys(c.programs).sort(), ['socket_prog', 'xdp_pass']);
    } finally {
      c.dispose();
    }
  });
}
