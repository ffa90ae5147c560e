/**
 * The engines of the interpreter-vs-JIT differential harness (diff.ts),
 * with no Node.js module, so that a browser page runs them too
 * (test/browser/page.ts): the same host on both (a counting clock, a seeded
 * random source, two test helpers, the map helpers on the maps of
 * DIFF_MAPS), two address spaces built the same way, so that every address
 * agrees. The interpreter runs in unchecked mode, the JIT's semantics.
 */
import { RuntimeError, createHelperTable, type HelperHost } from '../../src/helpers/index.js';
import { mapHelpers } from '../../src/helpers/maps.js';
import { BPF_DW, BPF_IMM, BPF_LD, BPF_PSEUDO_MAP_FD, type Insn } from '../../src/isa/index.js';
import { MapRegistry, type MapCreateAttr } from '../../src/maps/index.js';
import { AddressSpace, type Region } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { Vm } from '../../src/vm/index.js';

/** Bytes of input memory (also the packet). */
export const INPUT_SIZE = 64;
/** Helper ids the programs call besides the base ones. */
export const HELPER_MIX = 1000;
export const HELPER_FAILS = 1001;

const MAX_INSNS = 200_000;
const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

export type Outcome =
  | { ok: true; r0: bigint; insns: number | undefined }
  | { ok: false; pc: number | undefined; what: string };

/**
 * The maps a program may name, by index (an lddw of BPF_PSEUDO_MAP_FD): one of each type the JIT
 * looks up in wasm (an array inline, a hash and an LPM trie through map-code.ts).
 */
export const DIFF_MAPS: readonly MapCreateAttr[] = [
  { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 },
  { type: 'hash', keySize: 8, valueSize: 8, maxEntries: 6 },
  { type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 6, flags: 1 /* BPF_F_NO_PREALLOC */ },
];

/** Each lddw of BPF_PSEUDO_MAP_FD k as the address of map k (`addresses[k]`), as a runtime resolves it. */
export function resolveMapFds(insns: readonly Insn[], addresses: readonly number[]): Insn[] {
  return insns.map((ins) => (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_MAP_FD ? { ...ins, src: 0, imm: addresses[ins.imm] } : ins));
}

/** A memory fault's message without the address and the reason, which only the interpreter knows. */
const normalize = (detail: string) => detail.replace(/ at 0x[0-9a-f]+ \(.*\)$/, '').replace(/ \(outside the memory of \d+ bytes\)$/, '');

export interface Engine {
  space: AddressSpace;
  input: Region;
  host: { calls: number; seed: number };
  /** The memory every run starts from: the maps empty, the rest zero. */
  initial: Uint8Array;
  run(insns: Insn[]): Outcome;
}

export function engine(kind: 'interp' | 'jit', verified = false): Engine {
  const space = new AddressSpace();
  const host = { calls: 0, seed: 1 };
  const options: HelperHost = {
    clock: { monotonicNs: () => BigInt(1000 + ++host.calls), bootNs: () => BigInt(5000 + ++host.calls) },
    random: () => (host.seed = (Math.imul(host.seed, 1103515245) + 12345) >>> 0),
    cpu: 3,
  };
  const registry = new MapRegistry(space, { nrCpus: 4 });
  const helpers = createHelperTable([
    ...mapHelpers(registry),
    { id: HELPER_MIX, name: 'test_mix', fn: (_ctx, a, b, c, d, e) => U64(a * 3n + (b ^ c) - d + (e << 1n)) },
    {
      id: HELPER_FAILS, name: 'test_fails',
      fn: (_ctx, a) => {
        if (a & 1n) throw new RuntimeError('test_fails refuses odd r1');
        return a >> 1n;
      },
    },
  ]);
  const exec = kind === 'interp' ? new Vm(space, { checked: false, helpers, host: options, maxInsns: MAX_INSNS }) : new Jit(space, { helpers, host: options, maxInsns: MAX_INSNS });
  const maps = DIFF_MAPS.map((m) => registry.create(m));
  const input = space.alloc('input', INPUT_SIZE, 'data');
  return {
    space,
    input,
    host,
    initial: space.bytes.slice(),
    run(program) {
      const insns = resolveMapFds(program, maps.map((m) => m.address));
      try {
        const r = (kind === 'jit' ? (exec as Jit).load(insns, { verified }) : exec.load(insns)).run({ r1: BigInt(input.start), r2: BigInt(INPUT_SIZE), packet: { data: input.start, dataEnd: input.start + INPUT_SIZE } });
        return { ok: true, r0: r.r0, insns: r.insns };
      } catch (e) {
        if (e instanceof RuntimeError) {
          const budget = /^instruction budget/.test(e.detail);
          return { ok: false, pc: budget ? undefined : e.pc, what: normalize(e.detail) };
        }
        throw e;
      }
    },
  };
}

/**
 * Run `insns` on `e` from the state every run starts from (memory zeroed, `input` in place, the host's
 * clock and random source reset). A verified program runs without the JIT's budget, which alone counts
 * instructions: its count is left out.
 */
export function runCase(e: Engine, insns: Insn[], input: Uint8Array, verified: boolean): Outcome {
  const bytes = e.space.bytes;
  bytes.set(e.initial);
  bytes.fill(0, e.initial.length);
  e.space.write(e.input.start, input);
  e.host.calls = 0;
  e.host.seed = 1;
  const o = e.run(insns);
  return verified && o.ok ? { ...o, insns: undefined } : o;
}
