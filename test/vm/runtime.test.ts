import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_ABS, BPF_ADD, BPF_B, BPF_CALL, BPF_DW, BPF_H, BPF_IND, BPF_JCOND, BPF_JEQ, BPF_JMP, BPF_LD, BPF_SUB, BPF_W,
  InstructionError, insn, MAX_BPF_STACK,
} from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_MAX_LOOPS, RuntimeError, Vm } from '../../src/vm/index.js';
import { alu64, alu64i, callLocal, exit, ja, jmp, ldx, lddw, mov, movr, run, st, stdw, stx } from './util.js';

const runtimeError = (re: RegExp) => (e: unknown) => e instanceof RuntimeError && e.code === 'ERUNTIME' && re.test(e.message);

test('bpf-to-bpf calls: r1-r5 in, r0 out, r6-r9 restored, each frame its own stack', () => {
  const main = [
    mov(6, 6), mov(7, 7), mov(8, 8), mov(9, 9), stdw(10, -8, 111), mov(1, 40), mov(2, 2),
    callLocal(7), // the subprogram at 15
    ldx(BPF_DW, 3, 10, -8), // the caller's slot survives the callee's store at its own r10 - 8
    alu64(BPF_ADD, 0, 3), alu64(BPF_ADD, 0, 6), alu64(BPF_ADD, 0, 7), alu64(BPF_ADD, 0, 8), alu64(BPF_ADD, 0, 9),
    exit(),
  ];
  const sub = [stdw(10, -8, 999), movr(0, 1), alu64(BPF_ADD, 0, 2), mov(6, 0), mov(7, 0), mov(8, 0), mov(9, 0), exit()];
  assert.equal(run([...main, ...sub]).r0, 42n + 111n + 6n + 7n + 8n + 9n);
});

test('the call chain is at most 8 frames deep: the 9th call is a RuntimeError', () => {
  // f(n): if n == 0 return 0; return f(n - 1) + 1   — main calls f(depth)
  const f = [jmp(BPF_JEQ, 1, 0, 4), alu64i(BPF_SUB, 1, 1), callLocal(-3), alu64i(BPF_ADD, 0, 1), exit(), mov(0, 0), exit()];
  const prog = (n: number) => [mov(1, n), callLocal(1), exit(), ...f];
  assert.equal(run(prog(6)).r0, 6n, 'main + 7 frames');
  assert.throws(() => run(prog(7)), runtimeError(/^pc 5: call to 3 needs frame 9: at most 8 frames$/));
});

test('exit in a subprogram returns to its caller, which continues', () => {
  assert.equal(run([callLocal(2), alu64i(BPF_ADD, 0, 1), exit(), mov(0, 41), exit()]).r0, 42n);
});

test('the instruction budget ends a runaway program with a RuntimeError naming it', () => {
  assert.throws(() => run([mov(0, 0), ja(-1), exit()], { maxInsns: 1000 }),
    runtimeError(/^pc 1: instruction budget of 1000 exhausted \(option maxInsns\)$/));
  const ok = run([mov(0, 0), mov(0, 1), exit()], { maxInsns: 3 });
  assert.deepEqual([ok.r0, ok.insns], [1n, 3]);
  assert.throws(() => run([mov(0, 0), mov(0, 1), exit()], { maxInsns: 2 }), runtimeError(/budget of 2/));
});

test('checked mode: faults name the pc, the access and the address', () => {
  const space = new AddressSpace();
  const vm = new Vm(space);
  const top = vm.frameStart(0) + MAX_BPF_STACK;
  const fault = (insns: Parameters<Vm['load']>[0], re: RegExp) => assert.throws(() => vm.load(insns).run(), runtimeError(re));
  fault([mov(0, 0), ldx(BPF_DW, 0, 10, 0), exit()],
    new RegExp(`^pc 1: invalid read of 8 bytes at 0x${top.toString(16)} \\(stack guard above frame 0\\)$`));
  fault([mov(0, 0), ldx(BPF_DW, 0, 10, -4), exit()], /^pc 1: invalid read of 8 bytes at 0x[0-9a-f]+ \(crosses the top of frame 0's stack\)$/);
  fault([mov(0, 0), ldx(BPF_DW, 0, 10, -520), exit()], /^pc 1: invalid read of 8 bytes at 0x[0-9a-f]+ \(stack guard below frame 0\)$/);
  fault([mov(0, 0), stdw(10, 100, 1), exit()], /^pc 1: invalid write of 8 bytes at 0x[0-9a-f]+ \(frame 1's stack is not in use \(the program is in frame 0\)\)$/);
  // A callee may use its caller's stack through a pointer, not the other way round.
  fault([movr(1, 10), callLocal(2), ldx(BPF_DW, 0, 1, -8), exit(), stdw(1, -8, 7), movr(1, 10), exit()],
    /^pc 2: invalid read of 8 bytes at 0x[0-9a-f]+ \(frame 1's stack is not in use \(the program is in frame 0\)\)$/);
  assert.equal(vm.load([movr(1, 10), callLocal(2), ldx(BPF_DW, 0, 10, -8), exit(), stdw(1, -8, 7), exit()]).run().r0, 7n);
  fault([mov(1, 0), ldx(BPF_B, 0, 1, 0), exit()], /^pc 1: invalid read of 1 byte at 0x0 \(no region\)$/);
  fault([mov(1, 0), st(BPF_W, 1, 16, 1), exit()], /^pc 1: invalid write of 4 bytes at 0x10 \(no region\)$/);
  fault([...lddw(1, 1n << 32n), ldx(BPF_W, 0, 1, 0), exit()], /^pc 2: invalid read of 4 bytes at 0x100000000 \(address above 4 GiB\)$/);
  const ro = space.alloc('rodata', 16, 'data', false);
  fault([...lddw(1, BigInt(ro.start)), ldx(BPF_W, 0, 1, 0), stx(BPF_W, 1, 0, 0), exit()],
    new RegExp(`^pc 3: invalid write of 4 bytes at 0x${ro.start.toString(16)} \\(rodata is read-only\\)$`));
  const e = (() => { try { vm.load([mov(1, 0), ldx(BPF_H, 0, 1, 8), exit()]).run(); } catch (err) { return err; } })();
  assert.ok(e instanceof RuntimeError);
  assert.deepEqual([e.pc, e.addr, e.size], [1, 8n, 2]);
});

test('checked mode: r10 is read-only; unchecked mode lets the program write it', () => {
  const prog = [movr(0, 10), alu64i(BPF_SUB, 10, 8), alu64(BPF_SUB, 0, 10), exit()];
  assert.throws(() => run(prog), runtimeError(/^pc 1: r10 \(the frame pointer\) is read-only$/));
  assert.equal(run(prog, { checked: false }).r0, 8n);
});

test('unchecked mode: any address inside the memory; outside it a RuntimeError, never a RangeError', () => {
  const space = new AddressSpace();
  const vm = new Vm(space, { checked: false });
  assert.equal(vm.load([mov(1, 0x20), st(BPF_W, 1, 0, 7), ldx(BPF_W, 0, 1, 0), exit()]).run().r0, 7n);
  const size = space.memory.buffer.byteLength;
  assert.throws(() => vm.load([...lddw(1, BigInt(size - 4)), ldx(BPF_DW, 0, 1, 0), exit()]).run(),
    runtimeError(new RegExp(`^pc 2: invalid read of 8 bytes at 0x${(size - 4).toString(16)} \\(outside the memory of ${size} bytes\\)$`)));
  assert.throws(() => vm.load([mov(1, -1), stx(BPF_B, 1, 1, 0), exit()]).run(), runtimeError(/^pc 1: invalid write of 1 byte at 0xffffffffffffffff/));
});

test('LD_ABS/LD_IND read big-endian packet bytes; out of bounds ends the program with r0 = 0', () => {
  const space = new AddressSpace();
  const bytes = Uint8Array.from([0x45, 0x00, 0x00, 0x54, 0xaa, 0xbb, 0xcc, 0xdd]);
  const pkt = space.alloc('packet', bytes.length, 'packet');
  space.write(pkt.start, bytes);
  const packet = { data: pkt.start, dataEnd: pkt.start + bytes.length };
  const vm = new Vm(space);
  const ldabs = (size: number, imm: number) => insn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm);
  const ldind = (size: number, src: number, imm: number) => insn(BPF_LD | BPF_IND | size, 0, src, 0, imm);
  const runPkt = (insns: Parameters<Vm['load']>[0]) => vm.load(insns).run({ packet }).r0;
  assert.equal(runPkt([ldabs(BPF_W, 4), exit()]), 0xaabbccddn);
  assert.equal(runPkt([ldabs(BPF_H, 2), exit()]), 0x54n);
  assert.equal(runPkt([ldabs(BPF_B, 0), exit()]), 0x45n);
  assert.equal(runPkt([mov(6, 3), ldind(BPF_H, 6, 1), exit()]), 0xaabbn);
  assert.equal(runPkt([ldabs(BPF_W, 5), mov(0, 99), exit()]), 0n, 'the instruction after the failed load never runs');
  assert.equal(runPkt([mov(6, -3), ldind(BPF_B, 6, 1), mov(0, 99), exit()]), 0n, 'negative offsets are out of bounds');
  assert.equal(runPkt([callLocal(1), exit(), ldabs(BPF_W, 100), mov(0, 99), exit()]), 0n, 'from a subprogram too');
  assert.throws(() => vm.load([ldabs(BPF_B, 0), exit()]).run(), runtimeError(/pc 0: ld_abs\/ld_ind read the packet, but the run has none/));
});

test('may_goto falls through BPF_MAX_LOOPS times per function invocation, then jumps', () => {
  const mayGoto = (off: number) => insn(BPF_JMP | BPF_JCOND, 0, 0, off, 0);
  // r0 = 0; loop: may_goto +2; r0 += 1; ja loop; exit
  const loop = [mov(0, 0), mayGoto(2), alu64i(BPF_ADD, 0, 1), ja(-3), exit()];
  const r = run(loop);
  assert.equal(r.r0, BigInt(BPF_MAX_LOOPS));
  assert.equal(r.insns, 1 + 3 * BPF_MAX_LOOPS + 1 + 1);
});

test('prepare rejects jumps out of the program, into an lddw, falling off the end, and kfuncs', () => {
  const rejects = (insns: Parameters<Vm['load']>[0], re: RegExp) =>
    assert.throws(() => new Vm(new AddressSpace()).load(insns), (e: unknown) => e instanceof InstructionError && re.test(e.message));
  rejects([], /^insn 0: the program is empty$/);
  rejects([ja(5), exit()], /^insn 0: ja to 6 leaves the program \(instructions 0 to 1\)$/);
  rejects([ja(-2), exit()], /^insn 0: ja to -1 leaves the program/);
  rejects([jmp(BPF_JEQ, 1, 0, 1), ...lddw(0, 1n), exit()], /^insn 0: jeq to 2 lands in the middle of the lddw at 1$/);
  rejects([callLocal(5), exit()], /^insn 0: call local to 6 leaves the program/);
  rejects([mov(0, 0)], /^insn 0: mov is the last instruction: execution would fall off the end/);
  rejects([mov(0, 0), ...lddw(0, 1n)], /^insn 1: lddw is the last instruction/);
  rejects([exit(), jmp(BPF_JEQ, 0, 0, -2)], /^insn 1: jeq is the last instruction/);
  rejects([insn(BPF_JMP | BPF_CALL, 0, 2, 0, 1234), exit()], /^insn 0: call kfunc \(btf id 1234\): kernel functions exist only in the kernel/);
  rejects([insn(0x8f), exit()], /^insn 0: unknown opcode 0x8f$/);
});

test('a Vm can run programs again and again; runs start from a zeroed stack', () => {
  const vm = new Vm(new AddressSpace());
  const p = vm.load([ldx(BPF_DW, 0, 10, -8), stdw(10, -8, 5), exit()]);
  assert.equal(p.run().r0, 0n);
  assert.equal(p.run().r0, 0n);
  const q = vm.load([movr(0, 1), alu64(BPF_ADD, 0, 2), alu64(BPF_ADD, 0, 5), exit()]);
  assert.equal(q.run({ r1: 1n, r2: 2n, r5: 1n << 40n }).r0, 3n + (1n << 40n));
  assert.throws(() => q.run({ r1: 1 as unknown as bigint }), /^EbpfError: r1 must be a bigint, got number$/);
  assert.throws(() => q.run({ packet: { data: 10, dataEnd: 5 } }), /packet: data \(10\) and dataEnd \(5\) must be/);
});
