/**
 * What the JIT does at run time beyond plain arithmetic: faults located at
 * their pc, the instruction budget, bpf-to-bpf calls and their depth limit,
 * LD_ABS/LD_IND, may_goto, helpers (generic, intrinsic, replaced, failing),
 * atomics, irreducible control flow, the module cache, and the sandbox.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_ktime_get_ns, HelperTable, RuntimeError, contextHelpers, createHelperTable,
} from '../../src/helpers/index.js';
import {
  BPF_ABS, BPF_ADD, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_DW, BPF_H, BPF_IND, BPF_JCOND, BPF_JEQ, BPF_JMP, BPF_LD, BPF_STX,
  BPF_SUB, BPF_W, BPF_X, InstructionError, MAX_BPF_STACK, encodeInsns, insn, type Insn,
} from '../../src/isa/index.js';
import { EbpfError } from '../../src/internal/errors.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit, JitCache, JitProgram, type JitOptions, type JitRunOptions } from '../../src/jit/index.js';
import { bucketName, hashKey, sameInsns } from '../../src/jit/cache.js';
import { checkProgram } from '../../src/jit/cfg.js';
import { Fault } from '../../src/jit/compile.js';
import { BPF_MAX_LOOPS, Vm } from '../../src/vm/index.js';
import { alu64, alu64i, call, callLocal, exit, ja, jmp, ldx, lddw, mov, movr, st, stdw, stx } from '../vm/util.js';
import { withCb } from '../helpers/hook-programs.js';
import { asm } from '../helpers/util.js';
import { sandbox } from '../browser/page.js';

const shared = new AddressSpace();

/** Run on a fresh Jit over the shared space; `mem` becomes a region in r1 (address) and r2 (length). */
function run(insns: Insn[], options: JitOptions & { mem?: Uint8Array; run?: JitRunOptions } = {}) {
  const jit = new Jit(shared, options);
  const region = options.mem ? shared.alloc('mem', options.mem.length, 'data') : undefined;
  try {
    const args: JitRunOptions = { ...options.run };
    if (region) {
      shared.write(region.start, options.mem!);
      args.r1 ??= BigInt(region.start);
      args.r2 ??= BigInt(region.size);
    }
    return jit.load(insns).run(args);
  } finally {
    if (region) shared.release(region);
    jit.dispose();
  }
}

/** The interpreter's result in unchecked mode, the JIT's semantics. */
function interp(insns: Insn[], options: { run?: JitRunOptions; maxInsns?: number } = {}) {
  const vm = new Vm(shared, { checked: false, maxInsns: options.maxInsns });
  try {
    return vm.load(insns).run(options.run);
  } finally {
    vm.dispose();
  }
}

const runtimeError = (re: RegExp) => (e: unknown) => e instanceof RuntimeError && e.code === 'ERUNTIME' && re.test(e.message);

test('a load or store outside the memory is a RuntimeError at its pc, with the access it made', () => {
  const size = shared.memory.buffer.byteLength;
  assert.throws(() => run([...lddw(1, BigInt(size - 4)), mov(0, 0), ldx(BPF_DW, 0, 1, 0), exit()]),
    runtimeError(new RegExp(`^pc 3: invalid read of 8 bytes \\(outside the memory of ${size} bytes\\)$`)));
  assert.throws(() => run([mov(1, -1), mov(0, 0), stx(BPF_B, 1, 1, 0), exit()]), runtimeError(/^pc 2: invalid write of 1 byte at 0xffffffffffffffff \(address above 4 GiB\)$/));
  assert.throws(() => run([mov(1, 8), st(BPF_W, 1, -16, 7), exit()]), runtimeError(/^pc 1: invalid write of 4 bytes/), 'a negative offset wraps below 0');
  const e = (() => { try { run([mov(0, 0), mov(1, 0), ja(1), exit(), ldx(BPF_H, 0, 1, 0x7fff), stx(BPF_W, 1, 0, -4), exit()]); } catch (err) { return err; } })();
  assert.ok(e instanceof RuntimeError);
  assert.deepEqual([e.pc, e.size], [5, 4]);
});

test('with the verifier off, stray stores land inside the runtime memory or trap: other memory is untouched', () => {
  // The check itself is in test/browser/page.ts: test/browser/ runs it in Chromium too.
  const s = sandbox();
  assert.match(s.sweep, /^RuntimeError: pc 3: invalid write of 8 bytes \(outside the memory of \d+ bytes\)$/);
  assert.equal(s.landed, '1122334455667788');
  assert.ok(s.bystander, 'another runtime\'s memory');
  assert.ok(s.js, 'a JavaScript buffer');
  // A 64-bit address whose low half is inside the memory faults, as in the interpreter, and writes nothing.
  assert.match(s.high, /^RuntimeError: pc 2: invalid write of 8 bytes at 0xffff[0-9a-f]{12} \(address above 4 GiB\)$/);
  assert.equal(s.highWrote, '0');
});

test('a run-time check traps at a site the module records: no fault function, no left export, the same RuntimeError', () => {
  const jit = new Jit(shared);
  try {
    const prog = jit.load([mov(1, -1), mov(0, 0), stx(BPF_B, 1, 1, 0), exit()]);
    const { compiled } = prog;
    assert.deepEqual(compiled.funcNames, ['main']);
    assert.deepEqual(WebAssembly.Module.exports(new WebAssembly.Module(prog.wasm as BufferSource)).map((e) => e.name), ['run']);
    // The 4 GiB check of pc 2, then the budget check at the exit (pc 3): pairs [module offset, pc << 3 | kind].
    const sites = Array.from({ length: compiled.faults.length / 2 }, (_, k) => compiled.faults[2 * k + 1]);
    assert.deepEqual(sites, [2 << 3 | Fault.above4GiB, 3 << 3 | Fault.budget]);
    assert.equal(prog.wasm[compiled.faults[0]], 0x00, 'the site is an unreachable');
    for (let k = 0; k < 2; k++) {
      assert.throws(() => prog.run(), runtimeError(/^pc 2: invalid write of 1 byte at 0xffffffffffffffff \(address above 4 GiB\)$/));
    }
    // A loop of one jump has no instruction code before its check: the site alone locates it.
    assert.throws(() => run([ja(-1), exit()], { maxInsns: 100 }), runtimeError(/^pc 0: instruction budget of 100 exhausted \(option maxInsns\)$/));
    // The budget left after a run that counted: what the interpreter counts, and again after a fault.
    assert.deepEqual(jit.load([mov(0, 3), alu64i(BPF_ADD, 0, 4), exit()]).run(), { r0: 7n, insns: 3 });
  } finally {
    jit.dispose();
  }
});

test('a fault is located with Error.stackTraceLimit at 0 too (a run needs the trap\'s frame), and the limit is the user\'s again after', () => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    assert.throws(() => run([ja(-1), exit()], { maxInsns: 100 }), runtimeError(/^pc 0: instruction budget of 100 exhausted \(option maxInsns\)$/));
    assert.throws(() => run([mov(1, -1), mov(0, 0), stx(BPF_B, 1, 1, 0), exit()]), runtimeError(/^pc 2: invalid write of 1 byte at 0xffffffffffffffff \(address above 4 GiB\)$/));
    assert.equal(Error.stackTraceLimit, 0);
  } finally {
    Error.stackTraceLimit = limit;
  }
});

test('a run-time check that traps in a callback fails the run at the callback\'s instruction, as in the interpreter', () => {
  const loop = (body: string) => asm(withCb(`
      r1 = 3
      r2 = CB ll
      r3 = -1
      r4 = 0
      call bpf_loop
      exit
    cb:
      ${body}
      r0 = 0
      exit`));
  const helpers = createHelperTable(contextHelpers());
  const fails = (insns: Insn[], maxInsns?: number) => [new Jit(shared, { helpers, maxInsns }), new Vm(shared, { helpers, checked: false, maxInsns })].map((engine) => {
    try {
      engine.load(insns).run();
    } catch (e) {
      return e instanceof RuntimeError ? [e.message, e.pc] : e;
    } finally {
      engine.dispose();
    }
    return 'ran';
  });
  const [jitFault, interpFault] = fails(loop('r0 = *(u64 *)(r2 + 0)'));
  assert.deepEqual(jitFault, ['pc 7: invalid read of 8 bytes at 0xffffffffffffffff (address above 4 GiB)', 7]);
  assert.deepEqual(jitFault, interpFault);
  const [jitBudget] = fails(loop('l: goto l'), 1000);
  assert.match(String((jitBudget as unknown[])[0]), /^pc 7: instruction budget of 1000 exhausted \(option maxInsns\)$/);
});

test('an inlined callee\'s code copied to a second call site has its own fault sites, at the same pcs', () => {
  const jit = new Jit(shared);
  try {
    const prog = jit.load(assemble(`
      r1 = 0
      call f
      r1 = 2
      call f
      exit
    f:
      *(u64 *)(r10 - 16) = 0
      r2 = r10
      r2 += -16
      r2 += r1
      lock *(u32 *)(r2 + 0) += r1
      r0 = 0
      exit`), { verified: true });
    const { compiled } = prog;
    assert.deepEqual([...compiled.funcNames], ['main']);
    const sites = Array.from({ length: compiled.faults.length / 2 }, (_, k) => compiled.faults[2 * k + 1]);
    assert.deepEqual(sites, [9 << 3 | Fault.misaligned, 9 << 3 | Fault.misaligned]);
    assert.ok(compiled.faults[0] < compiled.faults[2]);
    const addr = jit.frameStart(1) + MAX_BPF_STACK - 14;
    assert.throws(() => prog.run(), runtimeError(new RegExp(`^pc 9: misaligned atomic access of 4 bytes at 0x${addr.toString(16)}$`)));
  } finally {
    jit.dispose();
  }
});

test('a base an lddw just loaded needs no 4 GiB check when its address is in range, and keeps it when it is not', () => {
  const jit = new Jit(shared);
  try {
    const addr = BigInt(jit.frameStart(0));
    const inRange = [...lddw(1, addr), stdw(1, 8, 7), ldx(BPF_DW, 0, 1, 8), exit()];
    const prog = jit.load(inRange);
    assert.deepEqual(prog.run(), { r0: 7n, insns: 4 });
    assert.deepEqual(Array.from(prog.compiled.faults).filter((_, k) => k % 2 === 1), [4 << 3 | Fault.budget]);
    // An address that wraps past 2^64 into the low 4 GiB is in range; one that wraps below 0 is not.
    const wraps = [...lddw(1, 2n ** 64n - 8n + addr), stdw(1, 16, 9), ldx(BPF_DW, 0, 1, 16), exit()];
    assert.deepEqual(run(wraps), interp(wraps));
    assert.equal(run(wraps).r0, 9n);
    assert.throws(() => run([...lddw(1, 8n), stdw(1, -16, 7), exit()]), runtimeError(/^pc 2: invalid write of 8 bytes at 0xfffffffffffffff8 \(address above 4 GiB\)$/));
    assert.throws(() => run([...lddw(1, 2n ** 32n - 8n), ldx(BPF_DW, 0, 1, 8), exit()]), runtimeError(/^pc 2: invalid read of 8 bytes at 0x100000000 \(address above 4 GiB\)$/));
    // Written between the lddw and the access: checked at run time.
    assert.throws(() => run([...lddw(1, 1n << 40n), mov(2, 0), alu64(BPF_ADD, 1, 2), stdw(1, 0, 1), exit()]), runtimeError(/^pc 4: invalid write of 8 bytes at 0x10000000000 \(address above 4 GiB\)$/));
  } finally {
    jit.dispose();
  }
});

test('the instruction budget: a runaway loop ends with a RuntimeError; counts agree with the interpreter', () => {
  assert.throws(() => run([mov(0, 0), ja(-1), exit()], { maxInsns: 1000 }), runtimeError(/^pc 1: instruction budget of 1000 exhausted \(option maxInsns\)$/));
  const ok = run([mov(0, 0), mov(0, 1), exit()], { maxInsns: 3 });
  assert.deepEqual([ok.r0, ok.insns], [1n, 3]);
  assert.throws(() => run([mov(0, 0), mov(0, 1), exit()], { maxInsns: 2 }), runtimeError(/budget of 2/));
  const loop = assemble(`
    mov %r0, 0
    mov %r1, 1000
  top:
    add %r0, %r1
    lddw %r2, 0x100000000
    sub %r1, 1
    jne %r1, 0, top
    exit`);
  assert.deepEqual(run(loop), interp(loop));
  assert.throws(() => run(loop, { maxInsns: 3000 }), runtimeError(/budget of 3000/));
  assert.throws(() => new Jit(shared, { maxInsns: 0 }), /maxInsns must be a positive integer/);
});

test('bpf-to-bpf calls: r1-r5 in, r0-r5 out, r6-r9 restored, a stack frame each; the 9th frame is a RuntimeError', () => {
  const main = [
    mov(6, 6), mov(7, 7), mov(8, 8), mov(9, 9), stdw(10, -8, 111), mov(1, 40), mov(2, 2),
    callLocal(8),
    ldx(BPF_DW, 3, 10, -8),
    alu64(BPF_ADD, 0, 3), alu64(BPF_ADD, 0, 6), alu64(BPF_ADD, 0, 7), alu64(BPF_ADD, 0, 8), alu64(BPF_ADD, 0, 9),
    alu64(BPF_ADD, 0, 1),
    exit(),
  ];
  const sub = [stdw(10, -8, 999), movr(0, 1), alu64(BPF_ADD, 0, 2), mov(6, 0), mov(7, 0), mov(8, 0), mov(9, 0), mov(1, 1000), exit()];
  assert.equal(run([...main, ...sub]).r0, 42n + 111n + 6n + 7n + 8n + 9n + 1000n);
  const f = [jmp(BPF_JEQ, 1, 0, 4), alu64i(BPF_SUB, 1, 1), callLocal(-3), alu64i(BPF_ADD, 0, 1), exit(), mov(0, 0), exit()];
  const prog = (n: number) => [mov(1, n), callLocal(1), exit(), ...f];
  assert.deepEqual(run(prog(6)), interp(prog(6)));
  assert.throws(() => run(prog(7)), runtimeError(/^pc 5: call to 3 needs frame 9: at most 8 frames$/));
  // Recursion into the main function's code, and a subprogram that jumps into main's exit.
  const again = [jmp(BPF_JEQ, 1, 0, 3), alu64i(BPF_SUB, 1, 1), alu64i(BPF_ADD, 0, 2), callLocal(-4), exit()];
  assert.deepEqual(run(again, { run: { r1: 5n } }), interp(again, { run: { r1: 5n } }));
});

test('LD_ABS/LD_IND read big-endian packet bytes; out of bounds ends the run with r0 = 0, from any frame', () => {
  const bytes = Uint8Array.from([0x45, 0x00, 0x00, 0x54, 0xaa, 0xbb, 0xcc, 0xdd]);
  const pkt = shared.alloc('packet', bytes.length, 'packet');
  shared.write(pkt.start, bytes);
  const packet = { data: pkt.start, dataEnd: pkt.start + bytes.length };
  const jit = new Jit(shared);
  try {
    const ldabs = (size: number, imm: number) => insn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm);
    const ldind = (size: number, src: number, imm: number) => insn(BPF_LD | BPF_IND | size, 0, src, 0, imm);
    const runPkt = (insns: Insn[]) => jit.load(insns).run({ packet });
    assert.equal(runPkt([ldabs(BPF_W, 4), exit()]).r0, 0xaabbccddn);
    assert.equal(runPkt([ldabs(BPF_H, 2), exit()]).r0, 0x54n);
    assert.equal(runPkt([ldabs(BPF_B, 0), exit()]).r0, 0x45n);
    assert.equal(runPkt([mov(6, 3), ldind(BPF_H, 6, 1), exit()]).r0, 0xaabbn);
    assert.deepEqual(runPkt([ldabs(BPF_W, 5), mov(0, 99), exit()]), { r0: 0n, insns: 1 });
    assert.equal(runPkt([mov(6, -3), ldind(BPF_B, 6, 1), mov(0, 99), exit()]).r0, 0n);
    assert.deepEqual(runPkt([callLocal(1), exit(), mov(0, 5), ldabs(BPF_W, 100), mov(0, 99), exit()]), { r0: 0n, insns: 3 });
    assert.throws(() => jit.load([ldabs(BPF_B, 0), exit()]).run(), runtimeError(/^pc 0: ld_abs\/ld_ind read the packet, but the run has none/));
    assert.throws(() => jit.load([exit()]).run({ packet: { data: 10, dataEnd: 5 } }), /packet: data \(10\) and dataEnd \(5\) must be/);
  } finally {
    jit.dispose();
    shared.release(pkt);
  }
});

test('may_goto falls through BPF_MAX_LOOPS times per function invocation, then jumps', () => {
  const mayGoto = (off: number) => insn(BPF_JMP | BPF_JCOND, 0, 0, off, 0);
  const loop = [mov(0, 0), mayGoto(2), alu64i(BPF_ADD, 0, 1), ja(-3), exit()];
  assert.deepEqual(run(loop), { r0: BigInt(BPF_MAX_LOOPS), insns: 1 + 3 * BPF_MAX_LOOPS + 1 + 1 });
  // Each call gets its own budget.
  const twice = [mov(6, 0), callLocal(4), alu64(BPF_ADD, 6, 0), callLocal(2), alu64(BPF_ADD, 0, 6), exit(), ...loop];
  assert.equal(run(twice).r0, BigInt(2 * BPF_MAX_LOOPS));
});

test('helpers: the host services, a replaced entry, failures located at the call, callx', () => {
  const host = { clock: { monotonicNs: () => 5_000_000_123n, bootNs: () => 7n }, random: () => 0xdeadbeef, cpu: 3 };
  const r0 = (id: number, options: JitOptions = {}) => run([call(id), exit()], { host, ...options }).r0;
  assert.equal(r0(BPF_FUNC_ktime_get_ns), 5_000_000_123n);
  assert.equal(r0(BPF_FUNC_get_prandom_u32), 0xdeadbeefn);
  assert.equal(r0(BPF_FUNC_get_smp_processor_id), 3n);
  assert.equal(r0(BPF_FUNC_get_prandom_u32, { intrinsics: false }), 0xdeadbeefn);
  const mine = createHelperTable([{ id: BPF_FUNC_get_prandom_u32, name: 'bpf_get_prandom_u32', fn: () => 4n }]);
  assert.equal(r0(BPF_FUNC_get_prandom_u32, { helpers: mine }), 4n, 'a replaced helper is called, not the intrinsic');
  const helpers = createHelperTable([
    { id: 1000, name: 'throws', fn: () => { throw new TypeError('boom'); } },
    { id: 1001, name: 'returns_number', fn: () => 5 as unknown as bigint },
    { id: 1002, name: 'args', fn: (_c, a, b, c, d, e) => a + b + c + d + (e << 1n) },
  ]);
  assert.throws(() => run([mov(0, 0), call(1000), exit()], { helpers }), (e: unknown) => e instanceof RuntimeError && e.message === 'pc 1: helper throws failed: boom');
  assert.throws(() => run([call(1001), exit()], { helpers }), /^RuntimeError: pc 0: helper returns_number returned number, not a bigint$/);
  assert.throws(() => run([mov(0, 0), call(9999), exit()]), (e: unknown) => e instanceof RuntimeError && e.message === 'pc 1: unknown helper #9999');
  assert.equal(run([mov(1, -1), mov(2, 1), mov(3, 0), mov(4, 0), mov(5, 1), call(1002), exit()], { helpers }).r0, 2n, 'arguments arrive unsigned');
  assert.equal(run([mov(2, BPF_FUNC_get_smp_processor_id), insn(BPF_JMP | BPF_CALL | BPF_X, 2), exit()], { host }).r0, 3n);
  assert.throws(() => run([...lddw(2, 1n << 32n), insn(BPF_JMP | BPF_CALL | BPF_X, 2), exit()]), (e: unknown) => e instanceof RuntimeError && e.message === 'pc 2: unknown helper #4294967296');
  assert.throws(() => run([call(BPF_FUNC_ktime_get_ns), exit()], { helpers: new HelperTable([]) }),
    (e: unknown) => e instanceof RuntimeError && e.message === 'pc 0: helper bpf_ktime_get_ns (#5) is not implemented by this runtime');
});

test('an intrinsic import the same for every program is made once per Jit: each module\'s table holds that one function', () => {
  let t = 0n;
  const jit = new Jit(shared, { host: { clock: { monotonicNs: () => ++t, bootNs: () => 0n } } });
  try {
    // Each used before the next load: a module each.
    const a = jit.load([mov(1, 0), call(BPF_FUNC_ktime_get_ns), exit()]);
    assert.equal(a.run().r0, 1n);
    const b = jit.load([mov(1, 1), call(BPF_FUNC_ktime_get_ns), exit()]);
    assert.equal(b.run().r0, 2n);
    assert.deepEqual(a.compiled.slots, ['host', 'ktime_get_ns']);
    assert.notEqual(a.compiled.bytes, b.compiled.bytes, 'two modules');
    const table = (p: JitProgram) => jit.functionTable(p.compiled, undefined as never);
    assert.equal(table(a).get(1), table(b).get(1));
    assert.notEqual(table(a), table(b));
    assert.notEqual(new Jit(shared).functionTable(a.compiled, undefined as never).get(1), table(a).get(1), 'another Jit, its own host');
  } finally {
    jit.dispose();
  }
});

test('atomics: misaligned accesses fault with the address, on shared memory too', () => {
  const atomic = (size: number, imm: number, dst: number, src: number, off: number) => insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, imm);
  const prog = [mov(1, 1), stdw(10, -16, 0), atomic(BPF_W, BPF_ADD, 10, 1, -10), mov(0, 0), exit()];
  const jit = new Jit(shared);
  const addr = jit.frameStart(0) + MAX_BPF_STACK - 10;
  assert.throws(() => jit.load(prog).run(), runtimeError(new RegExp(`^pc 2: misaligned atomic access of 4 bytes at 0x${addr.toString(16)}$`)));
  jit.dispose();
  const space = new AddressSpace({ shared: true });
  const sj = new Jit(space);
  assert.equal(sj.load([mov(1, 5), stdw(10, -8, 7), atomic(BPF_DW, BPF_ADD | 1, 10, 1, -8), ldx(BPF_DW, 0, 10, -8), alu64(BPF_ADD, 0, 1), exit()]).run().r0, 12n + 7n);
});

test('irreducible control flow runs through the dispatch loop, as the interpreter runs it', () => {
  // Two entries into the cycle 2 → 5 → 2: from 1 into 5 and from 0 into 2.
  const prog = assemble(`
    mov %r0, 0
    jeq %r1, 0, +3
    add %r0, 1
    jgt %r0, 20, +3
    ja +0
    add %r0, 3
    jlt %r0, 20, -5
    exit`);
  const jit = new Jit(shared);
  const p = jit.load(prog);
  assert.deepEqual(p.compiled.functions.map((f) => f.structured), [false]);
  for (const r1 of [0n, 1n]) assert.deepEqual(p.run({ r1 }), interp(prog, { run: { r1 } }));
  jit.dispose();
  assert.throws(() => run([mov(0, 0), jmp(BPF_JEQ, 1, 0, 1), ja(1), ja(-2), ja(-2)], { maxInsns: 10_000 }), runtimeError(/budget of 10000/));
});

test('r10 is writable (unchecked mode); frame accesses follow it', () => {
  const prog = [movr(0, 10), alu64i(BPF_SUB, 10, 8), stdw(10, 0, 3), ldx(BPF_DW, 1, 0, -8), alu64(BPF_SUB, 0, 10), alu64(BPF_ADD, 0, 1), exit()];
  assert.deepEqual(run(prog), { r0: 11n, insns: 7 });
  assert.deepEqual(run(prog), interp(prog));
});

test('modules are cached by program: loading again, or in another Jit sharing the cache, compiles nothing', () => {
  const cache = new JitCache();
  const a = new Jit(shared, { cache });
  const b = new Jit(shared, { cache });
  const prog = [mov(0, 1), exit()];
  const p1 = a.load(prog);
  const p2 = a.load(prog.map((i) => ({ ...i })));
  const p3 = b.load(prog);
  // A load compiles at the program's first use (here: compiled), with the other programs loaded before it.
  assert.equal(p1.compiled, p2.compiled);
  assert.equal(cache.size, 1);
  assert.equal(p1.compiled, p3.compiled);
  assert.equal(p3.run().r0, 1n);
  assert.ok(a.load([call(BPF_FUNC_get_prandom_u32), exit()]).compiled);
  const plain = new Jit(shared, { cache, intrinsics: false });
  assert.ok(plain.load([call(BPF_FUNC_get_prandom_u32), exit()]).compiled);
  plain.dispose();
  assert.equal(cache.size, 3, 'the intrinsics in use are part of the key');
  // dst 16 encodes as dst 0 in the key: the program is still refused, not given the valid one's module.
  assert.throws(() => a.load([{ ...mov(0, 1), dst: 16 }, exit()]), InstructionError);
  assert.throws(() => a.loadAll([prog, [{ ...mov(0, 1), dst: 16 }, exit()]]), InstructionError);
  a.dispose();
  b.dispose();
  const small = new JitCache(2);
  const c = new Jit(shared, { cache: small });
  const first = c.load([mov(0, 1), exit()]).compiled;
  assert.ok(c.load([mov(0, 2), exit()]).compiled);
  assert.equal(c.load([mov(0, 1), exit()]).compiled, first);
  assert.ok(c.load([mov(0, 3), exit()]).compiled);
  assert.equal(small.size, 2);
  assert.notEqual(c.load([mov(0, 1), exit()]).compiled, first, 'the oldest module was dropped');
  c.dispose();
});

test('loadAll compiles the programs it does not have into one module; each runs, faults and is cached as its own', () => {
  const cache = new JitCache();
  const jit = new Jit(shared, { cache });
  const helpers = createHelperTable([{ id: 1000, name: 'throws', fn: () => { throw new TypeError('boom'); } }]);
  const failing = new Jit(shared, { cache, helpers });
  const cached = [mov(0, 7), exit()];
  jit.load(cached);
  const looping = assemble(`
    mov %r0, 0
    mov %r1, 100
  top:
    add %r0, %r1
    sub %r1, 1
    jne %r1, 0, top
    exit`);
  const programs: Insn[][] = [
    cached,
    [mov(1, 2), callLocal(1), exit(), movr(0, 1), alu64i(BPF_ADD, 0, 40), exit()],
    looping,
    [...lddw(1, 0xffff_fff0n), ldx(BPF_W, 0, 1, 0), exit()],
    [call(BPF_FUNC_get_smp_processor_id), alu64i(BPF_ADD, 0, 1), exit()],
  ];
  const loaded = jit.loadAll(programs);
  assert.equal(cache.size, programs.length);
  assert.equal(new Set(loaded.slice(1).map((p) => p.compiled.bytes)).size, 1, 'the four new programs share one module');
  assert.deepEqual(loaded.map((p, k) => (k === 3 ? undefined : p.run().r0)), [7n, 42n, 5050n, undefined, 1n]);
  assert.deepEqual(loaded[2].run(), new Vm(shared).load(looping).run());
  assert.throws(() => loaded[3].run(), runtimeError(/^pc 2: invalid read of 4 bytes/));
  assert.equal(jit.load(programs[2]).compiled, loaded[2].compiled, 'a batch program is cached as its own');
  assert.equal(jit.load(programs[4]).run().r0, 1n, 'alone, a program of a batch module gets its own instance');
  // Each program's helper calls are its own: the failure is located in the program that called.
  const [plain, throwing] = failing.loadAll([[mov(0, 3), exit()], [mov(0, 0), mov(0, 0), call(1000), exit()]]);
  assert.equal(plain.run().r0, 3n);
  assert.throws(() => throwing.run(), (e: unknown) => e instanceof RuntimeError && e.message === 'pc 2: helper throws failed: boom');
  assert.throws(() => jit.loadAll([[mov(0, 1), exit()], [mov(0, 1)]]), InstructionError);
  jit.dispose();
  failing.dispose();
});

/** FNV-1a over the little-endian 32-bit words of `bytes`: what hashKey must give for their key. */
function fnv1aWords(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i + 4 <= bytes.length; i += 4) h = Math.imul(h ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)), 0x01000193);
  return h;
}

test('a cache key, made while the program is checked, is encodeInsns\' bytes as little-endian words; its hash is their FNV-1a; marks find the calls', () => {
  const prog = [
    mov(0, -1), mov(1, 0x7fffffff), stx(BPF_DW, 10, 1, -32768), jmp(BPF_JEQ, 1, 7, 3), call(BPF_FUNC_ktime_get_ns),
    ...lddw(3, 0xfedcba9876543210n), exit(),
  ];
  const marks: number[] = [];
  const key = new Int32Array(2 * prog.length);
  checkProgram(prog, marks, key);
  const bytes = encodeInsns(prog);
  const view = new DataView(bytes.buffer);
  assert.deepEqual(key, Int32Array.from({ length: bytes.length / 4 }, (_, k) => view.getInt32(4 * k, true)));
  assert.equal(bucketName(hashKey(key), key.length, 'uv1/run'), bucketName(fnv1aWords(bytes), key.length, 'uv1/run'));
  assert.deepEqual(marks, [3, 4, 5, 7], 'the jump, the call, the lddw and the exit');
  assert.ok(sameInsns(prog, key));
  assert.ok(!sameInsns([...prog.slice(0, -1), call(1)], key));
  for (const field of ['code', 'dst', 'src', 'off', 'imm'] as const) {
    assert.ok(!sameInsns([{ ...prog[0], [field]: prog[0][field] + 1 }, ...prog.slice(1)], key), `a change of ${field}`);
  }
  assert.throws(() => checkProgram(prog, [], new Int32Array(prog.length)), (e: unknown) => e instanceof EbpfError && e.code === 'EINVAL');
  assert.throws(() => checkProgram([{ ...call(1), src: 2 }, exit()]), (e: unknown) => e instanceof InstructionError && /^insn 0: call kfunc/.test(e.message));
});

test('programs loaded one by one compile at the first use of one of them, into one module; a changed or abandoned one fails at its use', () => {
  const jit = new Jit(shared);
  const programs = [1, 2, 3].map((k) => [mov(0, k), exit()]);
  const loaded = programs.map((p) => jit.load(p));
  const verified = jit.load([mov(0, 9), exit()], { verified: true });
  assert.equal(loaded[2].run().r0, 3n);
  assert.equal(new Set(loaded.map((p) => p.compiled.bytes)).size, 1, 'the three share one module');
  assert.notEqual(verified.compiled.bytes, loaded[0].compiled.bytes, 'verified programs have a module of their own');
  assert.deepEqual([...loaded, verified].map((p) => p.run().r0), [1n, 2n, 3n, 9n]);
  assert.equal(jit.load(programs[1]).compiled, loaded[1].compiled, 'each is cached as its own');
  const changed = [mov(0, 4), exit()];
  const early = jit.load(changed);
  const other = jit.load([mov(0, 5), exit()]);
  changed[0] = mov(0, 6);
  assert.throws(() => early.run(), (e: unknown) => e instanceof EbpfError && e.code === 'EINVAL' && /changed between its load and its first use/.test(e.message));
  assert.equal(other.run().r0, 5n, 'the others of its batch are not affected');
  assert.throws(() => jit.load([{ ...mov(0, 1), dst: 11 }, exit()]), InstructionError, 'validated at the load');
  const abandoned = jit.load([mov(0, 7), exit()]);
  jit.dispose();
  assert.throws(() => abandoned.run(), (e: unknown) => e instanceof EbpfError && e.code === 'EINVAL' && /disposed/.test(e.message));
});

test('the rotate idiom, address sums and byte-swapped 16-bit loads, which the JIT fuses, compute what the interpreter computes', () => {
  const cases: string[] = [];
  for (const k of [1, 13, 32, 63]) {
    for (const [first, second] of [[`r2 <<= ${k}`, `r1 >>= ${64 - k}`], [`r1 >>= ${64 - k}`, `r2 <<= ${k}`], [`r1 <<= ${k}`, `r2 >>= ${64 - k}`]]) {
      for (const or of ['r2 |= r1', 'r1 |= r2']) cases.push(`r1 = r2\n${first}\n${second}\n${or}`);
    }
  }
  // Near misses: shifts that do not add up to 64, an OR of other registers.
  cases.push('r1 = r2\nr2 <<= 13\nr1 >>= 50\nr2 |= r1', 'r1 = r2\nr2 <<= 13\nr1 >>= 51\nr3 |= r1');
  for (const body of cases) {
    const prog = assemble(`r2 = 0x8123456789abcdef ll\nr3 = 5\n${body}\nr0 = r1\nr0 *= 3\nr0 ^= r2\nr0 ^= r3\nexit`);
    assert.deepEqual(run(prog), interp(prog), body);
  }
  const memory = assemble(`
    r6 = r1
    r7 = 8
    r3 = r6
    r3 += r7
    r4 = *(u32 *)(r3 +0)
    *(u32 *)(r3 +4) = r4
    r5 = *(u16 *)(r3 -2)
    r5 = be16 r5
    r1 = *(u16 *)(r3 +6)
    r1 = bswap16 r1
    r5 += r1
    r3 += 4
    *(u64 *)(r3 +8) = r3
    r3 += r7
    r3 = *(u64 *)(r3 +0)
    r0 = r3
    r0 += r5
    r8 = r6
    r8 += -1
    *(u8 *)(r8 +9) = 7
    r9 = r10
    r9 += -16
    *(u64 *)(r9 +0) = r4
    r0 += r4
    r9 += r7
    r0 -= r9
    r0 += r10
    exit`);
  const mem = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + 3) & 0xff);
  const region = shared.alloc('mem', mem.length, 'data');
  try {
    const outcomes = [run, interp].map((engine) => {
      shared.write(region.start, mem);
      const r = engine(memory, { run: { r1: BigInt(region.start) } });
      return { r, mem: shared.read(region.start, mem.length) };
    });
    assert.deepEqual(outcomes[0], outcomes[1]);
  } finally {
    shared.release(region);
  }
});

test('load rejects what the interpreter rejects, with the same messages', () => {
  const rejects = (insns: Insn[], re: RegExp) => assert.throws(() => new Jit(shared).load(insns), (e: unknown) => e instanceof InstructionError && re.test(e.message));
  rejects([], /^insn 0: the program is empty$/);
  rejects([ja(5), exit()], /^insn 0: ja to 6 leaves the program \(instructions 0 to 1\)$/);
  rejects([jmp(BPF_JEQ, 1, 0, 1), ...lddw(0, 1n), exit()], /^insn 0: jeq to 2 lands in the middle of the lddw at 1$/);
  rejects([mov(0, 0)], /^insn 0: mov is the last instruction: execution would fall off the end/);
  rejects([insn(BPF_JMP | BPF_CALL, 0, 2, 0, 1234), exit()], /^insn 0: call kfunc \(btf id 1234\)/);
  rejects([insn(0x8f), exit()], /^insn 0: unknown opcode 0x8f$/);
});

test('runs do not nest and take bigint registers', () => {
  const programs: JitProgram[] = [];
  const jit = new Jit(shared, {
    helpers: createHelperTable([{ id: 1000, name: 'reenter', fn: (): bigint => programs[0].run().r0 }]),
  });
  const inner = jit.load([mov(0, 1), exit()]);
  programs.push(inner);
  assert.throws(() => jit.load([call(1000), exit()]).run(), /already running a program; runs do not nest/);
  assert.throws(() => inner.run({ r1: 1 as unknown as bigint }), /^EbpfError: r1 must be a bigint, got number$/);
  assert.equal(inner.run().r0, 1n, 'a failed run leaves the Jit usable');
  jit.dispose();
});
