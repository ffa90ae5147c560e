/**
 * The kernel as the oracle for the string helpers: the same program runs
 * on the interpreter and, where the kernel backend works, as a
 * socket_filter through BPF_PROG_TEST_RUN; output bytes and r0 must agree.
 *
 * Memory: OUT is a writable 256-byte array value (output at 0, arguments at
 * 128, the helper's result slot at 240, r0 stored at 248); RO is a frozen
 * BPF_F_RDONLY_PROG value (what ARG_PTR_TO_CONST_STR needs) holding the
 * case's strings.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ProgramHandle, tailCallHelpers } from '../../src/helpers/index.js';
import { ldImm64, type Insn } from '../../src/isa/index.js';
import { BPF_F_RDONLY_PROG, createMap, loadBtf, loadProgram } from '../../src/kernel/index.js';
import { MapRegistry, u32Bytes } from '../../src/maps/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { funcInfoBtf, kernelOrSkip } from '../kernel/env.js';
import { Bench, asm, slotOf } from './util.js';

const VALUE = 256;
/** Marks a pointer into OUT (1) or RO (2) in the assembled text: hi 32 bits of the lddw constant. */
const MARK = { out: 0x0ec0_0001, ro: 0x0ec0_0002, func: 0x0ec0_0003, progs: 0x0ec0_0004 } as const;
const BPF_PSEUDO_MAP_VALUE = 2;
const BPF_PSEUDO_FUNC = 4;
const BPF_PSEUDO_MAP_FD = 1;

type Ptr = (which: 'out' | 'ro', off: number) => string;
interface Case { name: string; ro: Uint8Array; program: (ptr: Ptr) => string }

const bytes = (parts: [number, string | Uint8Array][]): Uint8Array => {
  const b = new Uint8Array(VALUE);
  for (const [at, p] of parts) b.set(typeof p === 'string' ? new TextEncoder().encode(p) : p, at);
  return b;
};

/** r0 of the helper goes to OUT + 248; the program returns 0. */
const finish = (ptr: Ptr) => `r9 = ${ptr('out', 0)}\n*(u64 *)(r9 + 248) = r0\nr0 = 0\nexit`;

function snprintfCase(fmt: string, args: (bigint | { ro: number })[], size: number, extra: [number, string | Uint8Array][] = []): Case {
  return {
    name: `snprintf ${JSON.stringify(fmt)} size ${size}`,
    ro: bytes([[0, `${fmt}\0`], ...extra]),
    program: (ptr) => `
      r9 = ${ptr('out', 0)}
      ${args.map((a, k) => `r1 = ${typeof a === 'bigint' ? `${BigInt.asUintN(64, a)} ll` : ptr('ro', a.ro)}\n*(u64 *)(r9 + ${128 + 8 * k}) = r1`).join('\n')}
      r1 = r9
      r2 = ${size}
      r3 = ${ptr('ro', 0)}
      r4 = r9
      r4 += 128
      r5 = ${args.length * 8}
      call bpf_snprintf
      ${finish(ptr)}`,
  };
}

function strtoxCase(helper: 'bpf_strtol' | 'bpf_strtoul', text: string, flags: number): Case {
  return {
    name: `${helper} ${JSON.stringify(text)} flags ${flags}`,
    ro: bytes([[128, text]]),
    program: (ptr) => `
      r1 = ${ptr('ro', 128)}
      r2 = ${text.length}
      r3 = ${flags}
      r4 = ${ptr('out', 240)}
      call ${helper}
      ${finish(ptr)}`,
  };
}

function strncmpCase(s1: string, n: number, s2: string): Case {
  return {
    name: `strncmp ${JSON.stringify(s1)} ${n} ${JSON.stringify(s2)}`,
    ro: bytes([[128, s1], [192, `${s2}\0`]]),
    program: (ptr) => `
      r1 = ${ptr('ro', 128)}
      r2 = ${n}
      r3 = ${ptr('ro', 192)}
      call bpf_strncmp
      ${finish(ptr)}`,
  };
}

const CASES: Case[] = [
  snprintfCase('%d %u %x %X %05lld|%-6d|%+d', [-5n, 7n, 255n, 255n, 42n, 3n, 9n], 64),
  snprintfCase('%lu %ld %llx %i', [-1n, -1n, -1n, 1n << 32n], 80),
  snprintfCase('%pI4 %pi4 %s|%-6s|%4c', [{ ro: 112 }, { ro: 112 }, { ro: 96 }, { ro: 96 }, 0x41n], 64, [[96, 'eth0\0'], [112, Uint8Array.of(10, 0, 0, 1)]]),
  snprintfCase('%pI6', [{ ro: 112 }], 64, [[112, Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)]]),
  snprintfCase('0123456789abcdef', [], 5),
  snprintfCase('%d%%', [1n, 2n], 1),
  // Not compared: %p and %pK, which the kernel hashes with a per-boot key, and %pus, which reads user memory (our
  // runtime has one address space, so a "user" pointer reads what a kernel one does).
  snprintfCase('[%s] [%px] [%8px] [%-4px]', [0n, 0x1234n, 0xabcn, 0x5n], 128),
  snprintfCase('%pks:', [{ ro: 96 }], 64, [[96, 'eth0\0']]),
  strtoxCase('bpf_strtol', '  -0x1f!', 0),
  strtoxCase('bpf_strtol', '0755', 0),
  strtoxCase('bpf_strtol', '0x', 0),
  strtoxCase('bpf_strtol', '1F', 16),
  strtoxCase('bpf_strtol', '9223372036854775808', 10),
  strtoxCase('bpf_strtol', '-9223372036854775808', 10),
  strtoxCase('bpf_strtol', 'zz', 0),
  strtoxCase('bpf_strtol', '0x', 16),
  strtoxCase('bpf_strtol', `  ${'0'.repeat(70)}12`, 10),
  strtoxCase('bpf_strtol', '\t\v\f 42', 8),
  strtoxCase('bpf_strtol', '12', 2),
  strtoxCase('bpf_strtoul', '-1', 0),
  strtoxCase('bpf_strtoul', '18446744073709551615', 0),
  strtoxCase('bpf_strtoul', '18446744073709551616', 0),
  strncmpCase('abcdef', 6, 'abcdef'),
  strncmpCase('abcdef', 4, 'abcx'),
  strncmpCase('abcdef', 6, 'abc'),
  strncmpCase('ab\0def', 6, 'ab'),
];

/** OUT after the run on the interpreter. */
function onInterpreter(c: Case): Uint8Array {
  const b = new Bench();
  const out = b.region(VALUE);
  const ro = b.region(c.ro, false);
  b.run(c.program((which, off) => `${(which === 'out' ? out : ro) + off} ll`));
  return b.read(out, VALUE);
}

/** Turn the marked lddw constants into BPF_PSEUDO_MAP_VALUE loads of the kernel maps. */
function relocate(insns: Insn[], fds: { out: number; ro: number }): Insn[] {
  const copy = insns.map((i) => ({ ...i }));
  for (let i = 0; i + 1 < copy.length; i++) {
    if (copy[i].code !== 0x18) continue;
    const which = copy[i + 1].imm === MARK.out ? 'out' : copy[i + 1].imm === MARK.ro ? 'ro' : undefined;
    if (!which) continue;
    const [lo, hi] = ldImm64(copy[i].dst, BigInt(fds[which]) | (BigInt(copy[i].imm) << 32n), BPF_PSEUDO_MAP_VALUE);
    copy[i] = lo;
    copy[i + 1] = hi;
    i++;
  }
  return copy;
}

function onKernel(t: TestContext, c: Case): Uint8Array | undefined {
  const kernel = kernelOrSkip(t);
  if (!kernel) return undefined;
  const key = new Uint8Array(4);
  using out = createMap(kernel, { type: 'array', keySize: 4, valueSize: VALUE, maxEntries: 1 });
  using ro = createMap(kernel, { type: 'array', keySize: 4, valueSize: VALUE, maxEntries: 1, flags: BPF_F_RDONLY_PROG });
  ro.update(key, c.ro);
  ro.freeze();
  const text = c.program((which, off) => `${(BigInt(MARK[which]) << 32n) | BigInt(off)} ll`);
  using prog = loadProgram(kernel, { type: 'socket_filter', insns: relocate(asm(text), { out: out.fd.value, ro: ro.fd.value }) });
  prog.testRun({ data: new Uint8Array(64) });
  return out.lookup(key);
}

for (const c of CASES) {
  test(`kernel agrees: ${c.name}`, (t) => {
    const ours = onInterpreter(c);
    const theirs = onKernel(t, c);
    if (!theirs) return;
    const view = (b: Uint8Array) => ({
      r0: new DataView(b.buffer, b.byteOffset).getBigInt64(248, true),
      res: new DataView(b.buffer, b.byteOffset).getBigInt64(240, true),
      text: new TextDecoder().decode(b.subarray(0, 128)).replace(/\0+$/, ''),
    });
    assert.deepEqual(view(ours), view(theirs));
  });
}

/**
 * bpf_loop(nr, cb, &sum on main's stack, flags), cb adding its index to the
 * sum and returning 1 at index `stop`; OUT gets r0 at 248 and the sum at 240.
 */
function loopText(nr: number, stop: number, flags: number, out: string, cb: string): string {
  return `
    *(u64 *)(r10 - 8) = 0
    r1 = ${nr} ll
    r2 = ${cb}
    r3 = r10
    r3 += -8
    r4 = ${flags}
    call bpf_loop
    r9 = ${out}
    *(u64 *)(r9 + 248) = r0
    r1 = *(u64 *)(r10 - 8)
    *(u64 *)(r9 + 240) = r1
    r0 = 0
    exit
  cb:
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r0 = 0
    if r1 != ${stop} goto +1
    r0 = 1
    exit`;
}

for (const [nr, stop, flags] of [[10, 99, 0], [10, 3, 0], [0, 0, 0], [5, 0, 1], [8 * 1024 * 1024 + 1, 0, 0]]) {
  test(`kernel agrees: bpf_loop(${nr}) stopping at ${stop}, flags ${flags}`, (t) => {
    const b = new Bench();
    const outAddr = b.region(VALUE);
    const ours = loopText(nr, stop, flags, `${outAddr} ll`, 'CB ll');
    b.run(ours.replace('CB', String(slotOf(ours, 'cb'))));
    const mine = b.read(outAddr, VALUE);

    const kernel = kernelOrSkip(t);
    if (!kernel) return;
    const key = new Uint8Array(4);
    using out = createMap(kernel, { type: 'array', keySize: 4, valueSize: VALUE, maxEntries: 1 });
    using btf = loadBtf(kernel, funcInfoBtf(['main', 'cb']));
    const text = loopText(nr, stop, flags, `${BigInt(MARK.out) << 32n} ll`, `${BigInt(MARK.func) << 32n} ll`);
    const cbSlot = slotOf(text, 'cb');
    const insns = relocate(asm(text), { out: out.fd.value, ro: -1 }).map((ins, i, all) => {
      if (ins.code !== 0x18 || all[i + 1]?.imm !== MARK.func) return ins;
      return { ...ins, src: BPF_PSEUDO_FUNC, imm: cbSlot - (i + 1) };
    });
    const fix = insns.findIndex((ins) => ins.src === BPF_PSEUDO_FUNC);
    insns[fix + 1] = { ...insns[fix + 1], imm: 0 };
    const funcInfo = { recSize: 8, count: 2, bytes: new Uint8Array(Uint32Array.of(0, 3, cbSlot, 4).buffer) };
    using prog = loadProgram(kernel, { type: 'socket_filter', insns, btfFd: btf.fd.value, funcInfo });
    prog.testRun({ data: new Uint8Array(64) });
    const theirs = out.lookup(key)!;
    const view = (x: Uint8Array) => [248, 240].map((at) => new DataView(x.buffer, x.byteOffset).getBigInt64(at, true));
    assert.deepEqual(view(mine), view(theirs));
  });
}

/** A program that counts its runs in OUT[0] and tail calls slot 0 of PROGS: itself, once installed there. */
const selfCall = (out: string, progs: string) => `
  r6 = r1
  r9 = ${out}
  r2 = *(u64 *)(r9 + 0)
  r2 += 1
  *(u64 *)(r9 + 0) = r2
  r1 = r6
  r2 = ${progs}
  r3 = 0
  call bpf_tail_call
  r0 = 0
  exit`;

/** `n` tail calls to the empty slot 3, then one to slot 1 (which stores 7 in OUT[8]); falling through stores 99. */
const attempts = (n: number, out: string, progs: string) => `
  r6 = r1
  r7 = 0
again:
  r1 = r6
  r2 = ${progs}
  r3 = 3
  call bpf_tail_call
  r7 += 1
  if r7 < ${n} goto again
  r1 = r6
  r2 = ${progs}
  r3 = 1
  call bpf_tail_call
  r9 = ${out}
  *(u64 *)(r9 + 8) = 99
  r0 = 0
  exit`;
const seven = (out: string) => `r9 = ${out}\n*(u64 *)(r9 + 8) = 7\nr0 = 0\nexit`;

test('kernel agrees: tail calls stop after 33; attempts on an empty slot do not count', (t) => {
  // The interpreter.
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const progs = registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });
  const b = new Bench({ space, extra: tailCallHelpers(registry) });
  const outAddr = b.region(VALUE);
  const install = (slot: number, text: string) => progs.update(u32Bytes(slot), u32Bytes(registry.registerProgram(new ProgramHandle(`p${slot}`, asm(text)))));
  const out = `${outAddr} ll`, pa = `${progs.address} ll`;
  install(0, selfCall(out, pa));
  install(1, seven(out));
  const ours: bigint[] = [];
  b.run(selfCall(out, pa));
  ours.push(b.u64(outAddr));
  for (const n of [32, 33, 100]) {
    b.run(attempts(n, out, pa));
    ours.push(b.u64(outAddr + 8));
  }
  assert.deepEqual(ours, [34n, 7n, 7n, 7n]);

  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const key = new Uint8Array(4);
  using outMap = createMap(kernel, { type: 'array', keySize: 4, valueSize: VALUE, maxEntries: 1 });
  using progArray = createMap(kernel, { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });
  const markOut = `${BigInt(MARK.out) << 32n} ll`, markProgs = `${BigInt(MARK.progs) << 32n} ll`;
  using btf = loadBtf(kernel, funcInfoBtf(['main', 'cb']));
  /** Load with func_info when the program has a subprogram at label `sub`. */
  const load = (text: string) => loadProgram(kernel, {
    type: 'socket_filter',
    ...(text.includes('sub:') ? {
      btfFd: btf.fd.value,
      funcInfo: { recSize: 8, count: 2, bytes: new Uint8Array(Uint32Array.of(0, 3, slotOf(text, 'sub'), 4).buffer) },
    } : {}),
    insns: relocate(asm(text), { out: outMap.fd.value, ro: -1 }).map((ins, i, all) =>
      ins.code === 0x18 && all[i + 1]?.imm === MARK.progs ? { ...ins, src: BPF_PSEUDO_MAP_FD, imm: progArray.fd.value } : ins)
      .map((ins, i, all) => (i > 0 && all[i - 1].code === 0x18 && all[i - 1].src === BPF_PSEUDO_MAP_FD && ins.code === 0 ? { ...ins, imm: 0 } : ins)),
  });
  using self = load(selfCall(markOut, markProgs));
  using sevenProg = load(seven(markOut));
  progArray.update(key, u32Bytes(self.fd.value));
  progArray.update(u32Bytes(1), u32Bytes(sevenProg.fd.value));
  const theirs: bigint[] = [];
  const read = (at: number) => new DataView(outMap.lookup(key)!.buffer).getBigUint64(at, true);
  self.testRun({ data: new Uint8Array(64) });
  theirs.push(read(0));
  for (const n of [32, 33, 100]) {
    using main = load(attempts(n, markOut, markProgs));
    main.testRun({ data: new Uint8Array(64) });
    theirs.push(read(8));
  }
  assert.deepEqual(ours, theirs);

  // A tail call made in a subprogram replaces the subprogram only: its caller gets the target's r0.
  const fromSub = (outRef: string, progsRef: string) => `
    r6 = r1
    call sub
    r0 += 100
    r9 = ${outRef}
    *(u64 *)(r9 + 16) = r0
    r0 = 0
    exit
  sub:
    r2 = ${progsRef}
    r3 = 2
    call bpf_tail_call
    r0 = 1
    exit`;
  install(2, 'r0 = 7\nexit');
  b.run(fromSub(out, pa));
  assert.equal(b.u64(outAddr + 16), 107n);
  using returnsSeven = load('r0 = 7\nexit');
  progArray.update(u32Bytes(2), u32Bytes(returnsSeven.fd.value));
  using main = load(fromSub(markOut, markProgs));
  main.testRun({ data: new Uint8Array(64) });
  assert.equal(read(16), 107n);
});
