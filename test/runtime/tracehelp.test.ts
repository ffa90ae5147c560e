/**
 * The tracing helpers that act on the current task — bpf_send_signal,
 * bpf_send_signal_thread, bpf_probe_write_user, bpf_copy_from_user,
 * bpf_override_return — on both engines, with the host model's task; and
 * against the kernel where a test run reaches them: a raw_tracepoint or
 * syscall program's test run runs in this process's context, so the return
 * codes, and the bytes copied from and to this process's memory, must agree.
 *
 * No test sends a real signal: the kernel only ever gets signal 0 (the
 * permission check) or invalid numbers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import type { CollectionSpec } from '../../src/elf/index.js';
import { HostOptionError, RuntimeError, type HelperHost, type SentSignal } from '../../src/helpers/index.js';
import { BPF_F_SLEEPABLE, BPF_PROG_TYPE, helperIdByName } from '../../src/platform/index.js';
import { Collection, loadCollection, type TestRunResult } from '../../src/runtime/index.js';
import { verify } from '../../src/verifier/index.js';
import { KernelError, type Kernel } from '../../src/kernel/index.js';
import { runObjectProgram } from '../../src/cli/commands/run.js';
import { kernelOrSkip } from '../kernel/env.js';

const ENGINES = ['interp', 'jit'] as const;
const EPERM = -1;
const EFAULT = -14;
const EINVAL = -22;

/** A user task: the kind of current a raw_tp or syscall test run has. */
const TASK = { pid: 4321, tgid: 4320, uid: 1000, gid: 1000, comm: 'worker' };

type ProgType = 'raw_tracepoint' | 'syscall' | 'kprobe';
const TYPES = {
  raw_tracepoint: [BPF_PROG_TYPE.RAW_TRACEPOINT, 'raw_tp/sys_enter', 0],
  syscall: [BPF_PROG_TYPE.SYSCALL, 'syscall', BPF_F_SLEEPABLE],
  kprobe: [BPF_PROG_TYPE.KPROBE, 'kprobe/should_fail_alloc_page', 0],
} as const;

function spec(type: ProgType, text: string): CollectionSpec {
  const insns = assemble(text, { helperId: helperIdByName });
  const [progType, section, flags] = TYPES[type];
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, maps: [], variables: [], btf: null,
    programs: [{
      name: 'prog', sectionName: section, type: progType, expectedAttachType: 0, attachTo: '', flags, license: 'GPL', kernelVersion: 0, insns,
      functions: [{ name: 'prog', section, insnOff: 0, insnCnt: insns.length }], funcInfo: [], lineInfo: [], coreRelos: [],
    }],
  };
}

/** r0 = helper(args) and exit. */
const callExit = (helper: string, ...args: string[]): string => [...args.map((a, i) => `r${i + 1} = ${a}`), `call ${helper}`, 'exit'].join('\n');

/** One test run of `text` on one of our engines. */
function run(engine: 'interp' | 'jit', type: ProgType, text: string, host?: Omit<HelperHost, 'clock'>, ctx?: Uint8Array): TestRunResult {
  const c = Collection.load(spec(type, text), { engine, host });
  try {
    return c.programs.prog.testRun({ ctx });
  } finally {
    c.dispose();
  }
}

const retval = (r: TestRunResult) => r.retval | 0;

// ---- bpf_send_signal, bpf_send_signal_thread ---------------------------------------------------------------

test('send_signal: a user task takes signals 1 to 64; the run reports them, and the host hears of each', () => {
  for (const engine of ENGINES) {
    const heard: SentSignal[] = [];
    const host = { task: TASK, onSignal: (s: SentSignal) => heard.push(s) };
    const r = run(engine, 'raw_tracepoint', [
      'r1 = 10', 'call bpf_send_signal', 'r6 = r0',
      'r1 = 64', 'call bpf_send_signal_thread', 'r6 |= r0',
      'r1 = 1', 'call bpf_send_signal', 'r6 |= r0',
      'r0 = r6', 'exit',
    ].join('\n'), host);
    assert.equal(retval(r), 0, engine);
    const sent = [
      { pid: TASK.tgid, tid: TASK.pid, sig: 10, thread: false },
      { pid: TASK.tgid, tid: TASK.pid, sig: 64, thread: true },
      { pid: TASK.tgid, tid: TASK.pid, sig: 1, thread: false },
    ];
    assert.deepEqual(r.signals, sent, engine);
    assert.deepEqual(heard, sent, engine);
  }
});

test('send_signal: signal 0 checks and sends nothing; above 64 is -EINVAL; the number is a u32', () => {
  for (const engine of ENGINES) {
    for (const helper of ['bpf_send_signal', 'bpf_send_signal_thread']) {
      const heard: SentSignal[] = [];
      const host = { task: TASK, onSignal: (s: SentSignal) => heard.push(s) };
      const zero = run(engine, 'raw_tracepoint', callExit(helper, '0'), host);
      assert.equal(retval(zero), 0);
      assert.equal(zero.signals, undefined, `${engine} ${helper}: no signal sent`);
      assert.equal(retval(run(engine, 'raw_tracepoint', callExit(helper, '65'), host)), EINVAL);
      assert.equal(retval(run(engine, 'raw_tracepoint', callExit(helper, '-1'), host)), EINVAL);
      const wrapped = run(engine, 'raw_tracepoint', callExit(helper, '0x10000000c ll'), host);
      assert.equal(retval(wrapped), 0);
      assert.deepEqual(wrapped.signals?.map((s) => s.sig), [12], `${engine} ${helper}: the low 32 bits are the signal`);
      assert.deepEqual(heard.map((s) => s.sig), [12]);
    }
  }
});

test('send_signal: -EPERM from a kernel thread (the default idle task), an exiting task and init, before the signal is checked', () => {
  const tasks: [string, HelperHost['task'] | undefined][] = [
    ['the default idle task', undefined],
    ['a kernel thread', { ...TASK, kernelThread: true }],
    ['an exiting task', { ...TASK, exiting: true }],
    ['init', { ...TASK, pid: 1, tgid: 1 }],
  ];
  for (const engine of ENGINES) {
    for (const [what, task] of tasks) {
      const heard: SentSignal[] = [];
      const host = { ...(task ? { task } : {}), onSignal: (s: SentSignal) => heard.push(s) };
      for (const sig of ['0', '10', '65']) {
        const r = run(engine, 'raw_tracepoint', callExit('bpf_send_signal', sig), host);
        assert.equal(retval(r), EPERM, `${engine}: ${what}, signal ${sig}`);
        assert.equal(r.signals, undefined);
      }
      assert.equal(retval(run(engine, 'raw_tracepoint', callExit('bpf_send_signal_thread', '10'), host)), EPERM);
      assert.deepEqual(heard, []);
    }
    // A task with pid 0 that says it is no kernel thread is one the host made up: it takes signals.
    assert.equal(retval(run(engine, 'raw_tracepoint', callExit('bpf_send_signal', '10'), { task: { ...TASK, pid: 0, kernelThread: false } })), 0);
  }
});

test('send_signal: a test run starts with no signals; onSignal must be a function', () => {
  for (const engine of ENGINES) {
    const c = Collection.load(spec('raw_tracepoint', 'r1 = 0x64\nr1 &= 0x1f\nr1 += 1\ncall bpf_send_signal\nexit'), { engine, host: { task: TASK } });
    try {
      assert.deepEqual(c.programs.prog.testRun().signals?.length, 1);
      assert.deepEqual(c.programs.prog.testRun().signals?.map((s) => s.sig), [5], `${engine}: the second run reports its own signal only`);
    } finally {
      c.dispose();
    }
  }
  assert.throws(() => Collection.load(spec('raw_tracepoint', 'r0 = 0\nexit'), { host: { onSignal: 1 as unknown as () => void } }), HostOptionError);
  assert.throws(() => Collection.load(spec('raw_tracepoint', 'r0 = 0\nexit'), { host: { inInterrupt: 'yes' as unknown as boolean } }), HostOptionError);
});

// ---- bpf_probe_write_user, bpf_copy_from_user ---------------------------------------------------------------

/**
 * A syscall program whose ctx holds a user address at 0: it copies 16
 * bytes from it (bpf_copy_from_user, into a stack buffer first filled with
 * 0xff), then writes 8 bytes 0x1122334455667788 + `len` - 8 … to it with
 * bpf_probe_write_user (`len` bytes). The ctx comes back with: 8: copy's r0,
 * 16 and 24: the stack buffer, 32: the write's r0 (without `write`: the copy alone, 32 stays 0).
 */
const userProgram = (len = 8, write = true) => [
  'r6 = r1',
  'r7 = *(u64 *)(r6 + 0)',
  'r1 = -1', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1',
  'r1 = r10', 'r1 += -16', 'r2 = 16', 'r3 = r7', 'call bpf_copy_from_user',
  '*(u64 *)(r6 + 8) = r0',
  'r1 = *(u64 *)(r10 - 16)', '*(u64 *)(r6 + 16) = r1',
  'r1 = *(u64 *)(r10 - 8)', '*(u64 *)(r6 + 24) = r1',
  ...(write ? [
    'r1 = 0x1122334455667788 ll', '*(u64 *)(r10 - 24) = r1', '*(u64 *)(r10 - 32) = r1',
    'r1 = r7', 'r2 = r10', 'r2 += -32', `r3 = ${len}`, 'call bpf_probe_write_user',
    '*(u64 *)(r6 + 32) = r0',
  ] : []),
  'r0 = 0', 'exit',
].join('\n');

const USER_BYTES = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

interface UserRun { copy: number; copied: Uint8Array; write: number; user: Uint8Array }

function userCtx(address: bigint): Uint8Array {
  const ctx = new Uint8Array(40);
  new DataView(ctx.buffer).setBigUint64(0, address, true);
  return ctx;
}

function userResult(ctxOut: Uint8Array, user: Uint8Array): UserRun {
  const v = new DataView(ctxOut.buffer, ctxOut.byteOffset);
  return { copy: Number(v.getBigInt64(8, true)), copied: ctxOut.slice(16, 32), write: Number(v.getBigInt64(32, true)), user };
}

/**
 * userProgram on one of our engines, its user address a region of the
 * runtime holding USER_BYTES (`writable` or not), or `address` if given.
 */
function userRunOurs(engine: 'interp' | 'jit', o: { host?: Omit<HelperHost, 'clock'>; writable?: boolean; address?: bigint; len?: number; write?: boolean } = {}): UserRun {
  const c = Collection.load(spec('syscall', userProgram(o.len, o.write)), { engine, host: o.host ?? { task: TASK } });
  try {
    const region = c.runtime.space.alloc('user', 16, 'data', o.writable ?? true);
    c.runtime.space.write(region.start, USER_BYTES);
    const r = c.programs.prog.testRun({ ctx: userCtx(o.address ?? BigInt(region.start)) });
    return userResult(r.ctxOut, c.runtime.space.read(region.start, 16));
  } finally {
    c.dispose();
  }
}

const bytesOf = (v: bigint, n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b.subarray(0, n);
};
const WRITTEN = (len: number) => Uint8Array.from([...bytesOf(0x1122334455667788n, 8), ...bytesOf(0x1122334455667788n, 8)].slice(0, len));

test('copy_from_user and probe_write_user: the task\'s memory read and written', () => {
  for (const engine of ENGINES) {
    const r = userRunOurs(engine);
    assert.equal(r.copy, 0, engine);
    assert.deepEqual(r.copied, USER_BYTES, `${engine}: the 16 bytes copied`);
    assert.equal(r.write, 0, engine);
    assert.deepEqual(r.user, Uint8Array.from([...WRITTEN(8), ...USER_BYTES.subarray(8)]), `${engine}: 8 bytes written`);
    const all = userRunOurs(engine, { len: 16 });
    assert.deepEqual(all.user, WRITTEN(16), `${engine}: 16 bytes written`);
  }
});

test('copy_from_user and probe_write_user: -EFAULT where nothing is mapped (dst zeroed), a read-only destination, one past the end', () => {
  for (const engine of ENGINES) {
    const none = userRunOurs(engine, { address: 0n });
    assert.deepEqual([none.copy, none.write], [EFAULT, EFAULT], `${engine}: NULL`);
    assert.deepEqual(none.copied, new Uint8Array(16), `${engine}: a failed copy leaves zeros`);
    const high = userRunOurs(engine, { address: 1n << 40n });
    assert.deepEqual([high.copy, high.write], [EFAULT, EFAULT], `${engine}: above the address space`);
    const ro = userRunOurs(engine, { writable: false });
    assert.deepEqual([ro.copy, ro.write], [0, EFAULT], `${engine}: a read-only region is read, not written`);
    assert.deepEqual(ro.user, USER_BYTES);
    const past = userRunOurs(engine, { len: 17 });
    assert.equal(past.write, EFAULT, `${engine}: 17 bytes into a 16-byte region`);
    assert.deepEqual(past.user, USER_BYTES, `${engine}: nothing written`);
  }
});

test('probe_write_user: -EPERM from a kernel thread (the default idle task), an exiting task, in interrupt context; copy_from_user still copies', () => {
  for (const engine of ENGINES) {
    for (const host of [{}, { task: { ...TASK, kernelThread: true } }, { task: { ...TASK, exiting: true } }, { task: TASK, inInterrupt: true }]) {
      const r = userRunOurs(engine, { host });
      assert.equal(r.write, EPERM, `${engine}: ${JSON.stringify(host)}`);
      assert.deepEqual(r.user, USER_BYTES);
      assert.equal(r.copy, 0);
    }
    // init may write its memory: only signals are refused to it.
    assert.equal(userRunOurs(engine, { host: { task: { ...TASK, pid: 1, tgid: 1 } } }).write, 0);
  }
});

test('copy_from_user: only sleepable programs may call it (the verifier says so)', () => {
  const text = 'r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_copy_from_user\nr0 = 0\nexit';
  const insns = assemble(text, { helperId: helperIdByName });
  for (const progType of ['raw_tracepoint', 'kprobe', 'tracepoint']) {
    assert.equal(verify(insns, { progType, license: 'GPL' }).error?.message, 'helper call might sleep in a non-sleepable prog', progType);
  }
  assert.equal(verify(insns, { progType: 'syscall', license: 'GPL' }).error, null);
  assert.equal(verify(insns, { progType: 'tracing', expectedAttachType: 'BPF_TRACE_FENTRY', progFlags: BPF_F_SLEEPABLE, license: 'GPL' }).error, null, 'fentry.s');
  assert.equal(verify(insns, { progType: 'tracing', expectedAttachType: 'BPF_TRACE_FENTRY', license: 'GPL' }).error?.message, 'helper call might sleep in a non-sleepable prog');
});

// ---- bpf_override_return ------------------------------------------------------------------------------------

const PT_REGS_AX = 80;

test('override_return: a kprobe run reports the value the probed function returns instead, and regs->ax holds it', () => {
  for (const engine of ENGINES) {
    const text = ['r6 = r1', 'r1 = r6', 'r2 = -12', 'call bpf_override_return', 'r7 = r0', 'r1 = r6', 'r2 = -17', 'call bpf_override_return',
      `r0 = *(u64 *)(r6 + ${PT_REGS_AX})`, 'r0 += r7', 'exit'].join('\n');
    const regs = new Uint8Array(168);
    new DataView(regs.buffer).setBigUint64(PT_REGS_AX, 5n, true);
    const r = run(engine, 'kprobe', text, undefined, regs);
    assert.equal(r.overrideReturn, BigInt.asUintN(64, -17n), `${engine}: the last call's value`);
    assert.equal(retval(r), -17, `${engine}: ax after the calls, + the helper's 0`);
    const none = run(engine, 'kprobe', 'r0 = 0\nexit', undefined, regs);
    assert.equal(none.overrideReturn, undefined, `${engine}: no call, no override`);
  }
});

test('ebpf run reports the signals and the override of a run', () => {
  for (const engine of ENGINES) {
    const text = 'r6 = r1\nr1 = 12\ncall bpf_send_signal_thread\nr1 = r6\nr2 = -12\ncall bpf_override_return\nexit';
    const c = Collection.load(spec('kprobe', text), { engine, host: { task: TASK } });
    try {
      const [report] = runObjectProgram(c, 'prog', { packets: [undefined] });
      assert.deepEqual(report.signals, [{ pid: TASK.tgid, tid: TASK.pid, sig: 12, thread: true }], engine);
      assert.equal(report.overrideReturn, '0xfffffffffffffff4', engine);
    } finally {
      c.dispose();
    }
  }
});

test('override_return and probe_write_user on memory the verifier would not have let through: a RuntimeError naming the argument (checked interpreter)', () => {
  const cases: [string, RegExp][] = [
    ['r1 = 0\nr2 = 1\ncall bpf_override_return\nexit', /bpf_override_return: r1 \(regs\): invalid read of 8 bytes at 0x50/],
    ['r1 = r10\nr1 += -8\nr2 = 0\nr3 = 8\ncall bpf_probe_write_user\nexit', /bpf_probe_write_user: r2 \(src\): invalid read of 8 bytes at 0x0/],
  ];
  for (const [text, message] of cases) {
    const c = Collection.load(spec('kprobe', text), { engine: 'interp', verify: false, host: { task: TASK } });
    try {
      assert.throws(() => c.programs.prog.testRun({ ctx: new Uint8Array(168) }), (err: unknown) => err instanceof RuntimeError && message.test(err.message));
    } finally {
      c.dispose();
    }
  }
});

test('override_return: kprobe programs only', () => {
  const insns = assemble('r2 = 0\ncall bpf_override_return\nexit', { helperId: helperIdByName });
  assert.equal(verify(insns, { progType: 'kprobe', license: 'GPL' }).error, null);
  for (const progType of ['raw_tracepoint', 'tracepoint', 'perf_event']) {
    assert.equal(verify(insns, { progType, license: 'GPL' }).error?.message, 'program of this type cannot use helper bpf_override_return#58', progType);
  }
});

// ---- the kernel as the oracle --------------------------------------------------------------------------------

/** This process as the host model's current task. */
const SELF = { task: { pid: process.pid, tgid: process.pid, uid: 0, gid: 0, comm: 'node' } };

/** retval of one test run of `text` in the kernel (a raw_tp program unless `type` says otherwise); undefined after a skip. */
function kernelRetval(t: TestContext, text: string, type: ProgType = 'raw_tracepoint'): number | undefined {
  const kernel = kernelOrSkip(t);
  if (!kernel) return undefined;
  const c = loadCollection(spec(type, text), { engine: 'kernel', kernel });
  try {
    return c.programs.prog.testRun().retval | 0;
  } finally {
    c.dispose();
  }
}

/**
 * A raw_tp test run runs with preemption off, where the kernel checks the
 * signal itself and sends from an irq_work; a syscall program's runs
 * preemptible, where group_send_sig_info checks it: the same answers.
 */
test('kernel: send_signal return codes from raw_tp and syscall test runs (signal 0 and invalid ones only) match ours', (t) => {
  const cases = ['bpf_send_signal', 'bpf_send_signal_thread'].flatMap((h) => ['0', '65', '-1', '0x100000000 ll', '0x7fffffff'].map((sig) => callExit(h, sig)));
  for (const type of ['raw_tracepoint', 'syscall'] as const) {
    for (const text of cases) {
      const kernel = kernelRetval(t, text, type);
      if (kernel === undefined) return;
      for (const engine of ENGINES) assert.equal(retval(run(engine, type, text, SELF)), kernel, `${engine}, ${type} on\n${text}`);
    }
    assert.equal(kernelRetval(t, callExit('bpf_send_signal', '0'), type), 0, `the kernel, ${type}: the test process may be signalled`);
    assert.equal(kernelRetval(t, callExit('bpf_send_signal', '65'), type), EINVAL, `the kernel, ${type}: 65 is no signal`);
  }
});

/** The kernel's message when it withholds bpf_probe_write_user: without CAP_SYS_ADMIN, or locked down (integrity). */
const WITHHELD = /program of this type cannot use helper bpf_probe_write_user#36/;

/** Whether the kernel offers bpf_probe_write_user to this process's programs (a kernel in lockdown does not). */
function kernelOffersWriteUser(t: TestContext, kernel: Kernel): boolean {
  try {
    loadCollection(spec('syscall', userProgram()), { engine: 'kernel', kernel }).dispose();
    return true;
  } catch (err) {
    if (!WITHHELD.test(String((err as { log?: string }).log))) throw err;
    t.diagnostic('this kernel withholds bpf_probe_write_user (lockdown or no CAP_SYS_ADMIN): only bpf_copy_from_user is compared');
    return false;
  }
}

test('kernel: copy_from_user and probe_write_user on this process\'s memory from a syscall test run, as ours on a region', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const write = kernelOffersWriteUser(t, kernel);
  for (const len of [8, 16]) {
    const mem = kernel.sys.alloc(16);
    try {
      mem.bytes.set(USER_BYTES);
      const c = loadCollection(spec('syscall', userProgram(len, write)), { engine: 'kernel', kernel });
      let theirs: UserRun;
      try {
        theirs = userResult(c.programs.prog.testRun({ ctx: userCtx(mem.address) }).ctxOut, mem.bytes.slice());
      } finally {
        c.dispose();
      }
      assert.deepEqual(theirs.copied, USER_BYTES, 'the kernel copied the user memory');
      if (write) assert.deepEqual(theirs.user, Uint8Array.from([...WRITTEN(len), ...USER_BYTES.subarray(len)]), 'the kernel wrote the user memory');
      for (const engine of ENGINES) assert.deepEqual(userRunOurs(engine, { len, write }), theirs, `${engine}, ${len} bytes`);
    } finally {
      kernel.sys.free(mem);
    }
  }
  // NULL and the first page, never mapped (mmap_min_addr): -EFAULT, the buffer zeroed.
  for (const address of [0n, 16n]) {
    const c = loadCollection(spec('syscall', userProgram(8, write)), { engine: 'kernel', kernel });
    try {
      const theirs = userResult(c.programs.prog.testRun({ ctx: userCtx(address) }).ctxOut, new Uint8Array(16));
      assert.deepEqual([theirs.copy, theirs.write], [EFAULT, write ? EFAULT : 0]);
      assert.deepEqual(theirs.copied, new Uint8Array(16));
      // In our address space the first page is no region either, but the JIT's helpers read all of its memory (probe.ts): NULL alone for it.
      const engines = address === 0n ? ENGINES : (['interp'] as const);
      for (const engine of engines) {
        const ours = userRunOurs(engine, { address, write });
        assert.deepEqual({ ...ours, user: theirs.user }, theirs, `${engine}: address ${address}`);
      }
    } finally {
      c.dispose();
    }
  }
});

test('kernel: a raw_tp program may not call copy_from_user (might sleep), nor override_return; ours says the same', (t) => {
  const cases: [string, string][] = [
    ['r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_copy_from_user\nexit', 'helper call might sleep in a non-sleepable prog'],
    ['r2 = 0\ncall bpf_override_return\nexit', 'program of this type cannot use helper bpf_override_return#58'],
  ];
  for (const [text, message] of cases) {
    const kernel = kernelOrSkip(t);
    if (!kernel) return;
    assert.throws(() => loadCollection(spec('raw_tracepoint', text), { engine: 'kernel', kernel }), (err: unknown) => {
      assert.ok(err instanceof KernelError || err instanceof Error);
      assert.match(String((err as { log?: string }).log ?? (err as Error).message), new RegExp(message.replace(/[#()]/g, '\\$&')));
      return true;
    });
    assert.equal(verify(assemble(text, { helperId: helperIdByName }), { progType: 'raw_tracepoint', license: 'GPL' }).error?.message, message);
  }
});
