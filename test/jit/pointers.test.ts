/**
 * In an unverified program the JIT checks that an access's 64-bit address
 * is below 4 GiB, except through a register that holds an address in the
 * memory (src/jit/pointers.ts): a map lookup's value or a constant
 * address, followed across blocks and into callees. Where that is not
 * known the check stays; either way the run is the interpreter's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, type HelperDef } from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { Fault } from '../../src/jit/compile.js';
import { Jit, JitCache } from '../../src/jit/index.js';
import type { AddressSpace } from '../../src/memory/index.js';
import { Runtime, type EngineProgram } from '../../src/runtime/index.js';
import { asm } from '../helpers/util.js';

const ARRAY = { type: 'array', keySize: 4, valueSize: 16, maxEntries: 2 } as const;

/** Key 0 of the map at `m` looked up: r0 its value's address or NULL (slots 0–6). */
const lookup = (m: bigint) => `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = ${m} ll\ncall bpf_map_lookup_elem`;

/** A runtime on `engine` (the interpreter unchecked, as the JIT runs an unverified program) with ARRAY, and `text` of its address. */
function withArray<T>(engine: 'interp' | 'jit', text: (m: bigint) => string, use: (rt: Runtime, insns: Insn[]) => T, helpers: HelperDef[] = []): T {
  const rt = new Runtime({ engine, checked: false, helpers });
  try {
    const map = rt.registry.create(ARRAY);
    return use(rt, asm(text(BigInt(map.address))));
  } finally {
    rt.dispose();
  }
}

/** r0 of `text`, or its error, on each engine. */
function outcomes(text: (m: bigint) => string, helpers?: HelperDef[]): string[] {
  return (['interp', 'jit'] as const).map((engine) => withArray(engine, text, (rt, insns) => {
    try {
      return String((rt.prepare(insns) as EngineProgram).run({ r1: 0n }).r0);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      return e.message;
    }
  }, helpers));
}

/** The pcs of the 4 GiB checks in the JIT's code of `insns` (unverified: an inlined callee's at each of its call sites) on `rt`'s helpers, or a shared `cache`'s. */
function checkedPcs(rt: Runtime, insns: readonly Insn[], cache = new JitCache()): number[] {
  const jit = new Jit(rt.space, { helpers: rt.helpers, cache });
  try {
    const { faults } = jit.load(insns).compiled;
    const pcs = new Set<number>();
    for (let k = 1; k < faults.length; k += 2) if ((faults[k] & 7) === Fault.above4GiB) pcs.add(faults[k] >> 3);
    return [...pcs].sort((a, b) => a - b);
  } finally {
    jit.dispose();
  }
}

test('an access through a map lookup\'s value in a later block, or in a callee it is passed to, has no 4 GiB check', () => {
  /** Name, program, the pcs checked, r0 (undefined: the bytes of a descriptor, the engines' alike). */
  const cases: [string, (m: bigint) => string, number[], string | undefined][] = [
    // 7: r6 = r0; 8: the null check ends the block; 10 and 11: the accesses, a block later.
    ['a later block', (m) => `${lookup(m)}\nr6 = r0\nif r6 == 0 goto +4\nr1 = 5\n*(u64 *)(r6 + 8) = r1\nr0 = *(u64 *)(r6 + 8)\nexit\nr0 = 7\nexit`, [], '5'],
    // NULL plus a non-negative offset is below 4 GiB too: no null check needed; a negative one is checked (11).
    ['a moved value', (m) => `${lookup(m)}\nr6 = r0\nr6 += 8\nif r6 == 0 goto +0\nr0 = *(u64 *)(r6 - 8)\nr0 = *(u64 *)(r6 - 16)\nexit`, [11], undefined],
    // Two paths with different offsets (r6 + 0, r6 + 8) meet: the access after them (10) is checked.
    ['a merge', (m) => `${lookup(m)}\nr6 = r0\nif r6 == 0 goto +1\nr6 += 8\nr0 = *(u64 *)(r6 + 0)\nexit`, [10], '0'],
    // A constant address (the map's descriptor) before a loop that keeps it: known round the loop, at its
    // head (3) and after it (6).
    ['a constant through a loop', (m) => `r6 = ${m} ll\nr7 = 3\nr0 = *(u64 *)(r6 + 0)\nr7 += -1\nif r7 != 0 goto -3\nr0 = *(u64 *)(r6 + 0)\nexit`, [], undefined],
    // Two loops, one in the other, and a copy made in the inner one: still the constant.
    ['nested loops', (m) => `r6 = ${m} ll\nr7 = 2\nr8 = 2\nr1 = r6\nr0 = *(u64 *)(r1 + 0)\nr8 += -1\nif r8 != 0 goto -4\nr7 += -1\nif r7 != 0 goto -7\nr0 = *(u64 *)(r6 + 8)\nexit`, [], undefined],
    // A value that is NULL (a constant) on the first round and the lookup's on the next: maybe NULL at the head.
    ['a lookup in a loop', (m) => `r6 = 0\nr7 = 2\nr0 = *(u64 *)(r6 + 0)\n${lookup(m)}\nr6 = r0\nr7 += -1\nif r7 != 0 goto -11\nexit`, [], undefined],
    // A pointer that moves in a loop is not known at its head: checked (3).
    ['a walk in a loop', (m) => `r6 = ${m} ll\nr7 = 3\nr0 = *(u64 *)(r6 + 0)\nr6 += 8\nr7 += -1\nif r7 != 0 goto -4\nexit`, [3], undefined],
    // Into a callee (9: the call; the callee at 13 reads its r1), from its only call site.
    ['a callee\'s argument', (m) => `${lookup(m)}\nr1 = r0\nif r1 == 0 goto +2\ncall pc+3\nexit\nr0 = 0\nexit\nr0 = *(u64 *)(r1 + 8)\nexit`, [], '0'],
  ];
  for (const [name, text, checked, r0] of cases) {
    assert.deepEqual(withArray('jit', text, (rt, insns) => checkedPcs(rt, insns)), checked, `${name}: checked pcs`);
    const [interp, jit] = outcomes(text);
    assert.equal(jit, interp, name);
    if (r0 !== undefined) assert.equal(interp, r0, name);
  }
});

test('where an argument or a helper\'s result may be 4 GiB or more, the check stays and the access faults as in the interpreter', () => {
  // The callee's second call site passes the value's address plus 4 GiB: its access is checked (15), and faults there.
  const wide = (m: bigint) => `${lookup(m)}\nr6 = r0\nr1 = r6\ncall pc+5\nr1 = 0x100000000 ll\nr1 += r6\ncall pc+1\nexit\nr0 = *(u64 *)(r1 + 8)\nexit`;
  assert.deepEqual(withArray('jit', wide, (rt, insns) => checkedPcs(rt, insns)), [15]);
  const [interp, jit] = outcomes(wide);
  assert.match(interp, /^pc 15: invalid read of 8 bytes at 0x1[0-9a-f]{8} \(address above 4 GiB\)/);
  assert.equal(jit, interp);

  // What a callee leaves in r1–r5 is the caller's after the call (3); a copy of r10 where the program moves r10 (5).
  const others: [string, (m: bigint) => string, number[], RegExp][] = [
    ['a callee\'s r1', (m) => `r1 = ${m} ll\ncall pc+2\nr0 = *(u64 *)(r1 + 0)\nexit\nr1 = ${(1n << 32n) + m} ll\nexit`, [3], /^pc 3: invalid read of 8 bytes at 0x1[0-9a-f]{8} \(address above 4 GiB\)/],
    ['a moved r10', (m) => `r10 = ${(1n << 32n) + m + 8n} ll\nr1 = r10\nif r1 == 0 goto +0\nr0 = *(u64 *)(r1 - 8)\nexit`, [4], /^pc 4: invalid read of 8 bytes at 0x1[0-9a-f]{8} \(address above 4 GiB\)/],
  ];
  for (const [name, text, checked, fault] of others) {
    assert.deepEqual(withArray('jit', text, (rt, insns) => checkedPcs(rt, insns)), checked, `${name}: checked pcs`);
    const [i, j] = outcomes(text);
    assert.match(i, fault, name);
    assert.equal(j, i, name);
  }

  // A helper of the same name in the runtime's place may return anything: its result's accesses are checked.
  const valueAt = (space: AddressSpace) => space.alloc('value', 16, 'data').start;
  let at = 0;
  const replaced: HelperDef = { id: 1, name: 'bpf_map_lookup_elem', fn: () => (1n << 32n) + BigInt(at) };
  const read = (m: bigint) => `${lookup(m)}\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit`;
  const results = (['interp', 'jit'] as const).map((engine) => withArray(engine, read, (rt, insns) => {
    at = valueAt(rt.space);
    if (engine === 'jit') assert.deepEqual(checkedPcs(rt, insns), [8], 'a replaced lookup');
    try {
      return String((rt.prepare(insns) as EngineProgram).run({ r1: 0n }).r0);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      return e.message;
    }
  }, [replaced]));
  assert.match(results[0], /^pc 8: invalid read of 8 bytes at 0x1[0-9a-f]{8} \(address above 4 GiB\)/);
  assert.equal(results[1], results[0]);
});

test('a module cached for the runtime\'s own lookup is not the one of a table that replaced it', () => {
  const cache = new JitCache();
  const text = (m: bigint) => `${lookup(m)}\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit`;
  const replaced: HelperDef = { id: 1, name: 'bpf_map_lookup_elem', fn: () => 0n };
  // The same instructions (the map is at the same address in both runtimes), one cache.
  const own = withArray('jit', text, (rt, insns) => checkedPcs(rt, insns, cache));
  const other = withArray('jit', text, (rt, insns) => checkedPcs(rt, insns, cache), [replaced]);
  assert.deepEqual([own, other], [[], [8]]);
});
