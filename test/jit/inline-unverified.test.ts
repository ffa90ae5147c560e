/**
 * An unverified program's small leaf callees are compiled into their
 * callers too (compile.ts, inlinedCallees), keeping what a call does in the
 * interpreter's unchecked mode: the callee starts from the caller's r0 and
 * r6–r9, gets the next frame, counts its instructions into the budget, and
 * faults at its own pcs or, needing a frame beyond MAX_CALL_FRAMES, at the
 * call. Each case runs on the interpreter too, the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError, contextHelpers, createHelperTable, type HelperDef } from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { FRAME_SPAN } from '../../src/jit/compile.js';
import { Vm } from '../../src/vm/index.js';
import { asm } from '../helpers/util.js';
import { withCb } from '../helpers/hook-programs.js';

const space = new AddressSpace();

type Outcome = { r0: bigint; insns: number | undefined } | { pc: number | undefined; error: string };

/** The run's result, or its failure (the address of a fault left out: each engine has its own stack region). */
function outcome(run: () => { r0: bigint; insns?: number }): Outcome {
  try {
    const r = run();
    return { r0: r.r0, insns: r.insns };
  } catch (e) {
    if (e instanceof RuntimeError) return { pc: e.pc, error: e.detail.replace(/ at 0x[0-9a-f]+/, ' at …') };
    throw e;
  }
}

/**
 * A spent budget without its pc: the interpreter stops at the instruction that would exceed it, the JIT at
 * the next loop header or exit (compile.ts).
 */
const comparable = (o: Outcome): Outcome => ('error' in o && /^instruction budget/.test(o.error) ? { pc: undefined, error: o.error } : o);

/** The run of `text` (unverified) on the JIT and on the interpreter, which must agree; and the JIT's functions of eBPF code. */
function both(text: string, options: { maxInsns?: number; extra?: HelperDef[] } = {}): { out: Outcome; interp: Outcome; subs: string[]; inlined: number } {
  const insns: Insn[] = asm(text);
  const helpers = createHelperTable([...contextHelpers(), ...(options.extra ?? [])]);
  const jit = new Jit(space, { helpers, maxInsns: options.maxInsns });
  const vm = new Vm(space, { helpers, checked: false, maxInsns: options.maxInsns });
  try {
    const program = jit.load(insns);
    const out = outcome(() => program.run());
    const interp = outcome(() => vm.load(insns).run());
    assert.deepEqual(comparable(out), comparable(interp), 'the interpreter disagrees');
    return { out, interp, subs: program.compiled.funcNames.filter((n) => /^sub_/.test(n)), inlined: program.compiled.inlined.length / 3 };
  } finally {
    jit.dispose();
    vm.dispose();
  }
}

const r0Of = (o: Outcome): bigint => {
  assert.ok('r0' in o, `the run failed: ${'error' in o ? o.error : ''}`);
  return o.r0;
};

test('a leaf callee is compiled into its caller; it starts from the caller\'s r0 and r6-r9, and the caller\'s r6-r9 survive', () => {
  const { out, subs, inlined } = both(`
    r0 = 5
    r6 = 7
    r7 = 9
    r8 = 11
    r9 = 13
    call f
    r0 += r6
    r0 += r7
    r0 += r8
    r0 += r9
    r0 += r1
    exit
  f:
    r1 = r0
    r1 += r6
    r6 = 100
    r1 += r6
    r1 += r8
    r7 *= 2
    r1 += r7
    r0 = r1
    exit`);
  assert.deepEqual(subs, [], 'f is compiled into main');
  assert.equal(inlined, 1);
  // f: r1 = 5 + 7 + 100 + 11 + 18 = 141, its r0 too; main adds its own r6-r9 and f's r1.
  assert.equal(r0Of(out), 141n + 7n + 9n + 11n + 13n + 141n);
});

test('an inlined callee\'s r10 is the next frame\'s, even when the caller moved its own; its frame keeps what an earlier call left', () => {
  const frame = both(`
    r9 = r10
    r10 += 8
    call f
    r0 -= r9
    exit
  f:
    r0 = r10
    exit`);
  assert.deepEqual(frame.subs, []);
  assert.equal(r0Of(frame.out), BigInt(FRAME_SPAN));
  // The second call finds what the first stored in the callee's frame: a call does not zero it.
  const kept = both(`
    r1 = 1
    call f
    r1 = 0
    call f
    exit
  f:
    r0 = *(u64 *)(r10 - 8)
    if r1 == 0 goto out
    *(u64 *)(r10 - 8) = 77
  out:
    exit`);
  assert.deepEqual(kept.subs, []);
  assert.equal(kept.inlined, 2);
  assert.equal(r0Of(kept.out), 77n);
});

test('the budget counts the call, every callee instruction and its exit; it runs out as in the interpreter', () => {
  // f of one block (its count joins the caller's), g with a loop (which checks the budget), h calling a helper.
  const text = `
    r6 = 0
    r1 = 3
    call f
    r6 += r0
    r1 = 4
    call g
    r6 += r0
    call h
    r0 += r6
    exit
  f:
    r0 = r1
    r0 *= 2
    exit
  g:
    r0 = 0
  loop:
    r0 += r1
    r1 -= 1
    if r1 != 0 goto loop
    exit
  h:
    r1 = 6
    call bpf_get_prandom_u32
    r0 &= 0
    r0 += 1
    exit`;
  const { out, subs } = both(text);
  assert.deepEqual(subs, []);
  assert.equal(r0Of(out), 6n + 10n + 1n);
  assert.ok('insns' in out && out.insns !== undefined);
  const used = out.insns;
  assert.equal(used, 10 + 3 + (1 + 4 * 3 + 1) + 5);
  assert.deepEqual(both(text, { maxInsns: used }).out, out);
  // One instruction short: both stop at the last, main's exit.
  const short = both(text, { maxInsns: used - 1 });
  assert.deepEqual(short.out, { pc: 9, error: `instruction budget of ${used - 1} exhausted (option maxInsns)` });
  assert.deepEqual(short.interp, short.out);
  // Run out in g's loop: the same failure (the JIT notices at the loop header).
  const inLoop = both(text, { maxInsns: 12 }).out;
  assert.ok('error' in inLoop && /^instruction budget of 12 exhausted/.test(inLoop.error));
});

test('an inlined callee\'s exits of different counts leave the caller the same pending count', () => {
  // k reads no budget: its first exit's count is carried into main's, the other exit settles to it.
  const text = (x: number) => `
    r1 = ${x}
    call k
    r6 = r0
    r1 = 1
    call k
    r0 += r6
    exit
  k:
    if r1 > 2 goto big
    r0 = 1
    exit
  big:
    r0 = 2
    r0 += r1
    r0 *= 3
    exit`;
  for (const x of [0, 5]) {
    const { out, subs } = both(text(x));
    assert.deepEqual(subs, []);
    assert.ok('insns' in out && out.insns !== undefined);
    assert.equal(out.insns, 7 + 3 + (x > 2 ? 5 : 3));
    const short = both(text(x), { maxInsns: out.insns - 1 });
    assert.deepEqual(short.out, { pc: 6, error: `instruction budget of ${out.insns - 1} exhausted (option maxInsns)` });
    assert.deepEqual(short.interp, short.out);
  }
});

test('a leaf inlined in a subprogram faults at its call when it would need a frame beyond MAX_CALL_FRAMES', () => {
  // s recurses r1 times, then calls the leaf f: main is frame 1, s's calls frames 2.., f one more.
  const text = (n: number) => `
    r1 = ${n}
    call s
    exit
  s:
    r1 -= 1
    if r1 == 0 goto leaf
    call s
    exit
  leaf:
    call f
    exit
  f:
    r0 = r10
    r0 &= 0
    r0 += 42
    exit`;
  const deepest = both(text(6));
  assert.deepEqual(deepest.subs, ['sub_3']);
  assert.equal(deepest.inlined, 1);
  assert.equal(r0Of(deepest.out), 42n);
  assert.deepEqual(both(text(7)).out, { pc: 7, error: 'call to 9 needs frame 9: at most 8 frames' });
});

test('a callee with LD_ABS/LD_IND (which may end the run) or callx, or in a program that tail calls, stays a function', () => {
  const three: HelperDef = { id: 903, name: 'three', fn: () => 3n };
  for (const body of ['r0 = *(u8 *)skb[0]', 'r2 = 903\n    callx r2', 'r0 = 1']) {
    const tail = body === 'r0 = 1' ? 'r2 = 0\n    r3 = 0\n    call bpf_tail_call\n    ' : '';
    const { subs } = both(`
    r6 = r1
    call f
    ${tail}exit
  f:
    ${body}
    exit`, { extra: [three] });
    assert.equal(subs.length, 1, body);
  }
});

test('a fault in an inlined callee is at its instruction: a helper\'s, an address above 4 GiB, a misaligned atomic', () => {
  const fails: HelperDef = {
    id: 902, name: 'fails',
    fn: () => { throw new RuntimeError('fails refuses'); },
  };
  const helper = both(`
    call f
    exit
  f:
    r1 = 1
    call 902
    exit`, { extra: [fails] });
  assert.deepEqual(helper.subs, []);
  assert.deepEqual(helper.out, { pc: 3, error: 'fails refuses' });
  const above = both(`
    r1 = 0x100000000 ll
    call f
    exit
  f:
    r0 = *(u8 *)(r1 + 0)
    exit`).out;
  assert.deepEqual(above, { pc: 4, error: 'invalid read of 1 byte at … (address above 4 GiB)' });
  const atomic = both(`
    r1 = 1
    call f
    exit
  f:
    *(u64 *)(r10 - 16) = 0
    lock *(u32 *)(r10 - 10) += r1
    r0 = 0
    exit`).out;
  assert.deepEqual(atomic, { pc: 4, error: 'misaligned atomic access of 4 bytes at …' });
});

test('an inlined callee\'s helpers see its frame: the call chain has it and its caller, a callback runs one frame deeper', () => {
  const chains: bigint[][] = [];
  const record: HelperDef = { id: 901, name: 'record', fn: (ctx) => { chains.push(ctx.engine.callChain()); return 0n; } };
  const text = `
    call s
    exit
  s:
    r6 = 1
    call s2
    r0 += r6
    exit
  s2:
    call f
    exit
  f:
    call 901
    exit`;
  const { subs } = both(text, { extra: [record] });
  assert.deepEqual(subs, ['sub_2', 'sub_6'], 'f is compiled into s2');
  assert.equal(chains.length, 2);
  assert.deepEqual(chains[0], chains[1]);
  assert.deepEqual(chains[0], [8n * 8n, 6n * 8n, 3n * 8n, 0n]);
  // bpf_loop's callback from an inlined callee: its frame one up from the callee's, which is one up from main's.
  const cb = both(withCb(`
    r9 = r10
    call f
    r0 -= r9
    exit
  f:
    r1 = 1
    r2 = CB ll
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_loop
    r0 = *(u64 *)(r10 - 8)
    exit
  cb:
    *(u64 *)(r2 + 0) = r10
    r0 = 1
    exit`));
  assert.deepEqual(cb.subs, []);
  assert.equal(r0Of(cb.out), BigInt(2 * FRAME_SPAN));
});
