/**
 * Tracing attachments on the running kernel: a tracepoint (through a
 * perf_event link and through PERF_EVENT_IOC_SET_BPF), a raw tracepoint,
 * and a kprobe where the kernel has kprobes. Each program counts this
 * process's getppid() calls in a map; `process.ppid` makes one each time.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_ALU64, BPF_ADD, BPF_ATOMIC, BPF_CALL, BPF_DW, BPF_EXIT, BPF_JEQ, BPF_JMP, BPF_JNE, BPF_K, BPF_LDX, BPF_MEM,
  BPF_MOV, BPF_PSEUDO_MAP_FD, BPF_RSH, BPF_ST, BPF_STX, BPF_W, BPF_X, ldImm64, type Insn,
} from '../../src/isa/index.js';
import {
  Kernel, KernelArgumentError, attachKprobe, attachRawTracepoint, attachTracepoint, createMap, loadProgram,
  type KernelMap, type KernelProgram,
} from '../../src/kernel/index.js';
import { kernelOrSkip, privateMount } from './env.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const BPF_FUNC_map_lookup_elem = 1;
const BPF_FUNC_get_current_pid_tgid = 14;
const NR_GETPPID = process.arch === 'arm64' ? 173 : 110;

/**
 * if (current tgid == our pid [&& ctx->args[1] == nr]) counts[0] += 1; return 0.
 * `syscallNrAt`: where the raw tracepoint context holds the syscall number.
 */
function counter(map: KernelMap, syscallNrAt?: number): Insn[] {
  const out: Insn[] = [];
  out.push(I(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1)); // r6 = ctx
  out.push(I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid));
  out.push(I(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 32));
  const tail: Insn[] = [
    I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
    ...ldImm64(1, BigInt(map.fd.value), BPF_PSEUDO_MAP_FD),
    I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10), I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
    I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
    I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0),
    I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
    I(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
  ];
  const check: Insn[] = syscallNrAt === undefined ? [] : [
    I(BPF_LDX | BPF_MEM | BPF_DW, 1, 6, syscallNrAt),
    I(BPF_JMP | BPF_JNE | BPF_K, 1, 0, tail.length, NR_GETPPID),
  ];
  out.push(I(BPF_JMP | BPF_JNE | BPF_K, 0, 0, check.length + tail.length, process.pid));
  out.push(...check, ...tail);
  out.push(I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), I(BPF_JMP | BPF_EXIT));
  return out;
}

function count(map: KernelMap): bigint {
  return new DataView(map.lookup(new Uint8Array(4))!.buffer).getBigUint64(0, true);
}

/** Calls getppid `n` times and returns how much the counter moved. */
function triggered(map: KernelMap, n: number): bigint {
  const before = count(map);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += process.ppid;
  assert.ok(sum > 0);
  return count(map) - before;
}

/** The counter map and program, closed when the test ends. */
function setup(t: TestContext, kernel: Kernel, type: string, syscallNrAt?: number): { map: KernelMap; prog: KernelProgram } {
  const map = createMap(kernel, { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, name: 'calls' });
  const prog = loadProgram(kernel, { type, insns: counter(map, syscallNrAt) });
  t.after(() => {
    prog.close();
    map.close();
  });
  return { map, prog };
}

test('a tracepoint through a perf_event link, and through PERF_EVENT_IOC_SET_BPF', (t) => {
  const real = kernelOrSkip(t);
  if (!real) return;
  const tracefs = privateMount('tracefs');
  t.after(tracefs.unmount);
  const kernel = new Kernel(real.sys, { tracefs: [tracefs.dir] });
  const { map, prog } = setup(t, kernel, 'tracepoint');
  for (const mode of ['link', 'ioctl'] as const) {
    const link = attachTracepoint(prog, 'syscalls', 'sys_enter_getppid', { mode });
    assert.equal(triggered(map, 25), 25n, mode);
    link.close();
    assert.equal(triggered(map, 5), 0n, `${mode}: detached when closed`);
  }
  assert.throws(() => attachTracepoint(prog, 'syscalls', 'no_such_event'), KernelArgumentError);
});

test('tracepoints need tracefs, and the error says where it looked', (t) => {
  const kernel = kernelOrSkip(t, { tracefs: ['/nonexistent/tracing'] });
  if (!kernel) return;
  const { prog } = setup(t, kernel, 'tracepoint');
  assert.throws(() => attachTracepoint(prog, 'syscalls', 'sys_enter_getppid'), /tracefs is not mounted \(looked in \/nonexistent\/tracing\)/);
});

test('a raw tracepoint (BPF_RAW_TRACEPOINT_OPEN) on sys_enter', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  // struct bpf_raw_tracepoint_args { __u64 args[]; }: sys_enter(regs, id).
  const { map, prog } = setup(t, kernel, 'raw_tracepoint', 8);
  const link = attachRawTracepoint(prog, 'sys_enter');
  assert.equal(triggered(map, 30), 30n);
  link.close();
  assert.equal(triggered(map, 5), 0n);
});

test('a kprobe where the kernel has the kprobe PMU; a clear error where it has not', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const { map, prog } = setup(t, kernel, 'kprobe');
  const symbol = process.arch === 'arm64' ? '__arm64_sys_getppid' : '__x64_sys_getppid';
  let link;
  try {
    link = attachKprobe(prog, symbol);
  } catch (err) {
    assert.ok(err instanceof KernelArgumentError, String(err));
    assert.match(err.message, /this kernel has no kprobe PMU \(\/sys\/bus\/event_source\/devices\/kprobe does not exist/);
    t.diagnostic(`kprobes: ${err.message}`);
    return;
  }
  assert.equal(triggered(map, 20), 20n);
  link.close();
  assert.equal(triggered(map, 5), 0n);
});
