/**
 * The differential harness for VERIFIED programs: what our verifier accepts
 * runs on the interpreter and on the JIT loaded with `{ verified: true }`
 * (no budget, calls passing only the arguments a callee reads, r6–r9 kept
 * in the caller's locals, tail calls through the module's `enter`). Two
 * sources:
 *
 * - gen: the JIT harness's generator in its verifier shape
 *   (verifiedProgramArb), filtered through `verify`, compared as diff.ts
 *   does (r0, faults, the whole memory);
 * - fuzz: the verifier fuzzer's programs near the accept/reject boundary
 *   (contexts, packets, maps), the accepted ones run through a Runtime of
 *   each engine as a test run on a random packet: retval, data and context
 *   out, and the whole memory afterwards (maps live in it) are compared.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { disassemble } from '../../src/asm/index.js';
import { BPF_CALL, BPF_DW, BPF_IMM, BPF_JMP, BPF_LD, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, type Insn } from '../../src/isa/index.js';
import { BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_INT_SIGNED, type Btf, type BtfType } from '../../src/btf/index.js';
import { programType } from '../../src/platform/index.js';
import { Runtime, prepareRun, type LocalEngine } from '../../src/runtime/index.js';
import { verify, type MapDescriptor, type VerifyOptions } from '../../src/verifier/index.js';
import { ProgramHandle, RuntimeError } from '../../src/helpers/index.js';
import { u32Bytes } from '../../src/maps/index.js';
import { EbpfError } from '../../src/internal/errors.js';
import { buildCfg } from '../../src/jit/index.js';
import { calleeArities } from '../../src/jit/arity.js';
import { fuzzCaseArb, fuzzInsns, type FuzzCase } from '../verifier/fuzz-gen.js';
import { harness } from './diff.js';
import { DIFF_MAPS, INPUT_SIZE, resolveMapFds } from './diff-engine.js';
import { toInsns, verifiedProgramArb, type GenProgram } from './gen.js';

export interface VerifiedStats {
  programs: number;
  accepted: number;
  /** Accepted programs with at least one bpf-to-bpf call. */
  withCalls: number;
  /** Callees of the accepted programs by the number of argument registers the JIT passes them (src/jit/arity.ts), 0–5. */
  arities: number[];
  /** Accepted programs with a call from a subprogram (nested calls). */
  nested: number;
  /** Accepted programs calling a helper. */
  withHelpers: number;
  /** Accepted programs with bpf_loop or a tail call. */
  withCallbacks: number;
  /** Accepted programs not compared: the interpreter's budget ran out first (may_goto loops without a bound). */
  budget: number;
  /** Accepted programs by source. */
  bySource: Record<'gen' | 'fuzz' | 'tail', { programs: number; accepted: number }>;
}

const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
const PROG_ARRAY: MapDescriptor = { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 };
/** bpf_tail_call and bpf_loop: the helpers that enter other code. */
const BPF_FUNC_TAIL_CALL = 12;
const BPF_FUNC_LOOP = 181;

/** Which call kinds a program has: bpf-to-bpf (and whether from a subprogram), helpers, callbacks. */
function callShape(insns: readonly Insn[]): { calls: boolean; nested: boolean; helpers: boolean; callbacks: boolean } {
  const subStarts = new Set<number>();
  insns.forEach((ins, i) => {
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) subStarts.add(i + ins.imm + 1);
  });
  const firstSub = Math.min(...subStarts, insns.length);
  let calls = false, nested = false, helpers = false, callbacks = false;
  insns.forEach((ins, i) => {
    if (ins.code !== (BPF_JMP | BPF_CALL)) return;
    if (ins.src === BPF_PSEUDO_CALL) {
      calls = true;
      if (i >= firstSub) nested = true;
    } else {
      helpers = true;
      if (ins.imm === BPF_FUNC_LOOP || ins.imm === BPF_FUNC_TAIL_CALL) callbacks = true;
    }
  });
  return { calls, nested, helpers, callbacks };
}

/**
 * BTF for a generated program's functions (main global, the subprograms
 * static): the verifier takes a callback's address (bpf_loop) only with it.
 */
export function funcInfoOf(insns: readonly Insn[]): { btf: Btf; funcInfo: { insnOff: number; typeId: number }[] } {
  const starts = new Set<number>();
  insns.forEach((ins, i) => {
    if ((ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) || (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC)) starts.add(i + ins.imm + 1);
  });
  const subs = [...starts].sort((a, b) => a - b);
  const types: BtfType[] = [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 },
    { kind: 'func_proto', name: '', returnType: 1, params: [] },
    { kind: 'func', name: 'main', type: 2, linkage: BTF_FUNC_GLOBAL },
    ...subs.map((_, j): BtfType => ({ kind: 'func', name: `sub${j}`, type: 2, linkage: BTF_FUNC_STATIC })),
  ];
  return { btf: { types }, funcInfo: [{ insnOff: 0, typeId: 3 }, ...subs.map((insnOff, j) => ({ insnOff, typeId: 4 + j }))] };
}

/** A callback's address as the local engines take it (relocateProgram): its instruction index, no longer relative. */
function resolveFuncs(insns: readonly Insn[]): Insn[] {
  return insns.map((ins, i) => (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC ? { ...ins, src: 0, imm: i + ins.imm + 1 } : ins));
}

interface Side {
  rt: Runtime;
  seed: number;
}

function side(engine: LocalEngine): Side {
  const s: Side = { rt: undefined as unknown as Runtime, seed: 1 };
  s.rt = new Runtime({
    engine, checked: false, maxInsns: 1_000_000,
    host: { random: () => (s.seed = (Math.imul(s.seed, 1103515245) + 12345) >>> 0), cpu: 0 },
  });
  return s;
}

type RunOutcome = { ok: true; retval: number; dataOut: string; ctxOut: string } | { ok: false; error: string };

/** One accepted fuzz case as a test run on a fresh runtime of `engine`; the memory afterwards is returned too. */
function fuzzRun(engine: LocalEngine, c: FuzzCase, insns: Insn[], data: Uint8Array): { outcome: RunOutcome; memory: Uint8Array } {
  const s = side(engine);
  try {
    const maps = c.maps.map((m) => s.rt.registry.create({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }));
    const prog = s.rt.load(insns, { type: c.prog, maps });
    const spec = programType(c.prog);
    let outcome: RunOutcome;
    try {
      const run = prepareRun({
        program: 'fuzz', type: spec.type, attachType: 0, space: s.rt.space, helpers: s.rt.helperContext, packets: s.rt.packets, sockets: s.rt.sockets,
        options: { data },
      });
      s.rt.packets.current = run.frame;
      try {
        const r0 = prog.run({ r1: run.r1, packet: run.packet }).r0;
        const out = run.finish(r0);
        outcome = { ok: true, retval: out.retval ?? Number(r0 & 0xffffffffn), dataOut: Buffer.from(out.dataOut).toString('hex'), ctxOut: Buffer.from(out.ctxOut).toString('hex') };
      } finally {
        s.rt.packets.current = undefined;
        run.release();
      }
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      outcome = { ok: false, error: `${e.code}: ${e.message}` };
    }
    return { outcome, memory: s.rt.space.bytes.slice() };
  } finally {
    s.rt.dispose();
  }
}

/** Check one accepted fuzz case; false when the interpreter spent its budget (a may_goto loop run to its end), which leaves nothing to compare. */
function checkFuzz(c: FuzzCase, insns: Insn[], data: Uint8Array): boolean {
  const a = fuzzRun('interp', c, insns, data);
  if (!a.outcome.ok && /instruction budget/.test(a.outcome.error)) return false;
  const b = fuzzRun('jit', c, insns, data);
  const where = () => `\n; prog: ${c.prog}; maps: ${JSON.stringify(c.maps)}; packet ${Buffer.from(data).toString('hex')}\n${c.text}\n${disassemble(insns, { indexes: true })}`;
  assert.deepEqual(b.outcome, a.outcome, `interp and jit (verified) disagree on the run${where()}`);
  assert.equal(a.memory.length, b.memory.length, `memory sizes differ${where()}`);
  if (Buffer.compare(a.memory, b.memory) !== 0) {
    let k = 0;
    while (a.memory[k] === b.memory[k]) k++;
    assert.fail(`memory differs first at 0x${k.toString(16)}: interp ${a.memory[k]}, jit ${b.memory[k]}${where()}`);
  }
  return true;
}

/**
 * A tail call from generated program `a` into `b` (slot 0 of a two-slot
 * prog_array; `a.tail` may name the empty slot 1 or slot 2, out of range)
 * on a fresh runtime of `engine`: r0 or the error, and the memory after.
 */
function tailRun(engine: LocalEngine, a: GenProgram, b: GenProgram): { outcome: { r0: string } | { error: string }; memory: Uint8Array } {
  const s = side(engine);
  try {
    const rt = s.rt;
    const input = rt.space.alloc('input', INPUT_SIZE, 'data');
    rt.space.write(input.start, a.input);
    const slots = rt.registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 });
    slots.update(u32Bytes(0), u32Bytes(rt.registry.registerProgram(new ProgramHandle('b', resolveFuncs(toInsns(b)), true))));
    const insns = resolveMapFds(resolveFuncs(toInsns(a)), [slots.address]);
    const prog = rt.prepare(insns, true);
    try {
      return { outcome: { r0: prog.run({ r1: BigInt(input.start), packet: { data: input.start, dataEnd: input.start + INPUT_SIZE } }).r0.toString(16) }, memory: rt.space.bytes.slice() };
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      return { outcome: { error: e.message }, memory: rt.space.bytes.slice() };
    }
  } finally {
    s.rt.dispose();
  }
}

function checkTail(a: GenProgram, b: GenProgram): void {
  const x = tailRun('interp', a, b);
  const y = tailRun('jit', a, b);
  const where = () => `\n; caller\n${disassemble(toInsns(a), { indexes: true })}\n; slot 0\n${disassemble(toInsns(b), { indexes: true })}`;
  assert.deepEqual(y.outcome, x.outcome, `interp and jit (verified) disagree on the tail-call run${where()}`);
  if (Buffer.compare(x.memory, y.memory) !== 0) {
    let k = 0;
    while (x.memory[k] === y.memory[k]) k++;
    assert.fail(`memory differs first at 0x${k.toString(16)}: interp ${x.memory[k]}, jit ${y.memory[k]}${where()}`);
  }
}

type Case =
  | { source: 'gen'; p: GenProgram }
  | { source: 'fuzz'; c: FuzzCase; data: Uint8Array }
  | { source: 'tail'; p: GenProgram; b: GenProgram };

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  verifiedProgramArb().map((p): Case => ({ source: 'gen', p })),
  fc.record({ p: verifiedProgramArb(12, false), b: verifiedProgramArb(12, false), tail: fc.constantFrom(0, 0, 0, 1, 2) })
    .map(({ p, b, tail }): Case => ({ source: 'tail', p: { ...p, tail }, b })),
  fc.record({ c: fuzzCaseArb(), data: fc.uint8Array({ minLength: 14, maxLength: 96 }) }).map(({ c, data }): Case => ({ source: 'fuzz', c, data })),
);

export function newVerifiedStats(): VerifiedStats {
  return {
    programs: 0, accepted: 0, budget: 0, withCalls: 0, arities: [0, 0, 0, 0, 0, 0], nested: 0, withHelpers: 0, withCallbacks: 0,
    bySource: { gen: { programs: 0, accepted: 0 }, fuzz: { programs: 0, accepted: 0 }, tail: { programs: 0, accepted: 0 } },
  };
}

/** Check `runs` random programs in verified mode (seeded when `seed` is given); the counts go to `stats`. */
export function runVerifiedDifferential(runs: number, seed?: number, stats = newVerifiedStats()): VerifiedStats {
  const h = harness(true);
  fc.assert(fc.property(caseArb, (k) => {
    const insns = k.source === 'fuzz' ? fuzzInsns(k.c) : toInsns(k.p);
    const opts = k.source === 'fuzz' ? { progType: k.c.prog, maps: k.c.maps } : { progType: 'socket_filter', ...funcInfoOf(insns), maps: k.source === 'tail' ? [PROG_ARRAY] : DIFF_MAPS };
    const ok = (list: Insn[], o: VerifyOptions) => verify(list, { ...o, license: 'GPL', logLevel: 0 }).accepted;
    const bInsns = k.source === 'tail' ? toInsns(k.b) : [];
    const accepted = ok(insns, opts) && (k.source !== 'tail' || ok(bInsns, { progType: 'socket_filter', ...funcInfoOf(bInsns) }));
    const count = (s: { programs: number; accepted: number }) => {
      s.programs++;
      if (accepted) s.accepted++;
    };
    count(stats);
    count(stats.bySource[k.source]);
    if (!accepted) return;
    const shape = callShape(insns);
    if (shape.calls) {
      stats.withCalls++;
      for (const n of calleeArities(buildCfg(insns)).values()) stats.arities[n]++;
    }
    if (shape.nested) stats.nested++;
    if (shape.helpers) stats.withHelpers++;
    if (shape.callbacks) stats.withCallbacks++;
    if (k.source === 'gen') h.check(k.p, resolveFuncs(insns));
    else if (k.source === 'tail') checkTail(k.p, k.b);
    else if (!checkFuzz(k.c, insns, k.data)) stats.budget++;
  }), { numRuns: runs, seed });
  return stats;
}

/**
 * `runs` programs of the generator in its verifier shape (seeded), those our verifier accepts as
 * socket_filter programs, as the engines take them (callbacks resolved), with their inputs: for a harness
 * run elsewhere (test/browser/).
 */
export function acceptedGenPrograms(runs: number, seed: number): { insns: Insn[]; input: Uint8Array }[] {
  const out: { insns: Insn[]; input: Uint8Array }[] = [];
  for (const p of fc.sample(verifiedProgramArb(), { numRuns: runs, seed })) {
    const insns = toInsns(p);
    if (verify(insns, { progType: 'socket_filter', ...funcInfoOf(insns), maps: DIFF_MAPS, license: 'GPL', logLevel: 0 }).accepted) out.push({ insns: resolveFuncs(insns), input: p.input });
  }
  return out;
}

export function formatVerifiedStats(s: VerifiedStats): string {
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
  return `${s.programs} programs, ${s.accepted} accepted by our verifier (gen ${s.bySource.gen.accepted}/${s.bySource.gen.programs}, `
    + `fuzz ${s.bySource.fuzz.accepted}/${s.bySource.fuzz.programs}, tail-call pairs ${s.bySource.tail.accepted}/${s.bySource.tail.programs}); of the accepted: bpf-to-bpf calls ${s.withCalls} (${pct(s.withCalls, s.accepted)}), `
    + `nested ${s.nested}, callees by arity 0–5 [${s.arities.join(', ')}], helper calls ${s.withHelpers}, bpf_loop/tail calls ${s.withCallbacks}; not compared (interpreter budget) ${s.budget}`;
}
