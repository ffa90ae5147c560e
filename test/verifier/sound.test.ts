/**
 * Soundness as a property: every program our verifier accepts runs in the
 * interpreter's checked mode (every access inside one region, stores only to
 * writable ones, r10 read-only) over random packets, contexts and map
 * contents without a single memory fault. The programs are the fuzzer's
 * boundary templates (fuzz-gen.ts), half of them with one instruction's
 * offset or immediate nudged, which walks them across the boundary.
 *
 * EBPF_SOUND_RUNS=N runs N programs instead of the default.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../src/elf/index.js';
import type { Insn } from '../../src/isa/index.js';
import { programType } from '../../src/platform/index.js';
import { mapTypeByName } from '../../src/platform/uapi.js';
import { Collection, Runtime } from '../../src/runtime/index.js';
import { RuntimeError } from '../../src/vm/index.js';
import { verify, type MapDescriptor } from '../../src/verifier/index.js';
import { fuzzCaseArb, fuzzInsns, type FuzzCase } from './fuzz-gen.js';

const RUNS = Number(process.env.EBPF_SOUND_RUNS ?? 300);
/** The kernel refuses test runs of packet programs shorter than an Ethernet header. */
const ETH_HLEN = 14;

function mapSpec(d: MapDescriptor, i: number): MapSpec {
  const type = typeof d.type === 'number' ? d.type : mapTypeByName(d.type);
  if (type === undefined) throw new Error(`unknown map type ${d.type}`);
  return {
    name: `m${i}`, origin: 'legacy', section: 'maps', type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries,
    flags: 0, numaNode: 0, mapExtra: 0, pinning: 0, btfKeyTypeId: 0, btfValueTypeId: 0, initSlots: [], frozen: false,
  };
}

function collectionSpec(c: FuzzCase, insns: Insn[]): CollectionSpec {
  const program: ProgramSpec = {
    name: 'prog', sectionName: c.prog, type: programType(c.prog).type, expectedAttachType: 0, attachTo: '', flags: 0,
    license: 'GPL', kernelVersion: 0, insns, functions: [{ name: 'prog', section: c.prog, insnOff: 0, insnCnt: insns.length }],
    funcInfo: [], lineInfo: [], coreRelos: [],
  };
  return { byteOrder: 'le', license: 'GPL', kernelVersion: 0, programs: [program], maps: c.maps.map(mapSpec), variables: [], btf: null };
}

/** One instruction's offset or immediate moved by a little. */
const nudge = fc.record({ at: fc.nat(), field: fc.constantFrom<'off' | 'imm'>('off', 'imm'), delta: fc.constantFrom(-8, -4, -2, -1, 1, 2, 4, 8) });

function nudged(insns: Insn[], n: { at: number; field: 'off' | 'imm'; delta: number }): Insn[] {
  const at = n.at % insns.length;
  // Not the second half of an lddw; not a jump's offset (a backward jump makes a loop that runs to the instruction limit).
  const cls = insns[at].code & 7;
  if ((at > 0 && insns[at - 1].code === 0x18) || (n.field === 'off' && (cls === 0x05 || cls === 0x06))) return insns;
  const out = insns.map((i) => ({ ...i }));
  out[at][n.field] += n.delta;
  return out;
}

type Input = { data: Uint8Array; regs: Uint8Array; values: Uint8Array[]; present: boolean };

/** Random values in every array slot; the hash key 0 present or absent. */
function fillMaps(coll: Collection, inp: Input): void {
  const ARRAYS = [mapTypeByName('array'), mapTypeByName('percpu_array')];
  const HASHES = [mapTypeByName('hash'), mapTypeByName('lru_hash')];
  for (const m of Object.values(coll.maps)) {
    const isArray = ARRAYS.includes(m.type);
    if (!isArray && !HASHES.includes(m.type)) continue;
    const key = (k: number) => {
      const b = new Uint8Array(m.keySize);
      new DataView(b.buffer).setUint32(0, k, true);
      return b;
    };
    const value = (k: number) => new Uint8Array(m.valueBytes).map((_, j) => inp.values[k % inp.values.length][j % 64]);
    if (isArray) for (let k = 0; k < m.maxEntries; k++) m.update(key(k), value(k));
    else if (inp.present) m.update(key(0), value(0));
    else if (m.lookup(key(0))) m.delete(key(0));
  }
}

const input: fc.Arbitrary<Input> = fc.record({
  data: fc.uint8Array({ minLength: ETH_HLEN, maxLength: 96 }),
  regs: fc.uint8Array({ minLength: 168, maxLength: 168 }),
  values: fc.array(fc.uint8Array({ minLength: 64, maxLength: 64 }), { minLength: 4, maxLength: 4 }),
  present: fc.boolean(),
});

test(`soundness: ${RUNS} accepted-or-not boundary programs; every accepted one runs in checked mode without a memory fault`, (t) => {
  let accepted = 0;
  const unsupported = new Set<string>();
  // One runtime (one address space) for every program: a collection's maps and packets are released after its runs.
  const runtime = new Runtime();
  fc.assert(fc.property(fuzzCaseArb(), fc.option(nudge, { freq: 2 }), fc.array(input, { minLength: 3, maxLength: 3 }), (c, n, inputs) => {
    const base = fuzzInsns(c);
    // A nudged loop step can turn a loop into one that runs to the instruction limit (seconds): loops stay as drawn.
    const insns = n && c.template !== 'loop' ? nudged(base, n) : base;
    const v = verify(insns, { progType: c.prog, maps: c.maps, license: 'GPL', logLevel: 0 });
    if (!v.accepted) return;
    accepted++;
    const coll = Collection.load(collectionSpec(c, insns), { runtime });
    try {
      const prog = coll.programs.prog;
      for (const inp of inputs) {
        fillMaps(coll, inp);
        if (c.prog === 'kprobe') prog.testRun({ ctx: inp.regs });
        else prog.testRun({ data: inp.data });
      }
    } catch (err) {
      // Only a memory fault (or a write to r10) says the verifier let something unsafe through; a helper
      // this runtime does not implement is a limit of the runtime, counted and shown.
      if (err instanceof RuntimeError && err.addr === undefined && !/r10/.test(err.detail)) {
        unsupported.add(err.detail);
        return;
      }
      assert.fail(`an accepted program faulted: ${(err as Error).message}\n; prog: ${c.prog}\n; maps: ${JSON.stringify(c.maps)}\n${c.text}${n ? `\n(nudged: ${JSON.stringify(n)})` : ''}`);
    } finally {
      coll.dispose();
    }
  }), { numRuns: RUNS, seed: 20261121 });
  runtime.dispose();
  if (unsupported.size) t.diagnostic(`runs stopped by the runtime, not by a fault: ${[...unsupported].join('; ')}`);
  assert.ok(accepted > RUNS / 10, `only ${accepted} of ${RUNS} programs were accepted: the property checked too little`);
});
