/**
 * Return values and test runs against the running kernel: a program that
 * returns a value at the edge of our range (and just past it) is accepted
 * (rejected) by the verifier as we say, for every expected attach type; the
 * types we say BPF_PROG_TEST_RUN cannot run are refused with ENOTSUPP, the
 * others run; and __sk_buff and xdp_md contexts given to a test run follow
 * our ctx_in and ctx_out rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError, loadProgram, type Kernel } from '../../src/kernel/index.js';
import { PROGRAM_TYPES, retvalRange, programType, type ContextSpec, type ProgramTypeSpec } from '../../src/platform/index.js';
import { BPF_ALU, BPF_K, BPF_MOV, ldImm64 } from '../../src/isa/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { EXIT, I, MOV, btfTargets, loadOptions, plainTargets, reason, targetName, verify, type LoadTarget } from './oracle.js';

/** `r0 = value` for any 64-bit value. */
function setR0(value: bigint) {
  if (value >= -(2n ** 31n) && value < 2n ** 31n) return [MOV(0, Number(value))];
  if (value >= 0n && value < 2n ** 32n) return [I(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, Number(BigInt.asIntN(32, value)))];
  return ldImm64(0, value);
}

function returns(kernel: Kernel, t: LoadTarget, value: bigint): { accepted: boolean; why: string } {
  const v = verify(kernel, t, [...setR0(value), EXIT]);
  return { accepted: v.accepted, why: reason(v) };
}

test('return values: the range each type and attach type enforces, at its edges and just past them', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const failures: string[] = [];
  let checked = 0;
  const targets = Object.values(PROGRAM_TYPES).flatMap((spec) => [...plainTargets(spec), ...btfTargets(spec)]);
  for (const target of targets) {
    const range = retvalRange(target.spec, target.attachType);
    const cases: [bigint, boolean][] = range
      ? [[BigInt(range[0]), true], [BigInt(range[1]), true], [BigInt(range[0]) - 1n, false], [BigInt(range[1]) + 1n, false]]
      : [[0n, true], [-1n, true], [0xffffffffn, true], [0x7fffffffffffffffn, true], [-(2n ** 63n), true]];
    for (const [value, ok] of cases) {
      const r = returns(kernel, target, value);
      checked++;
      if (r.accepted !== ok) failures.push(`${targetName(target)}: returning ${value} is ${r.accepted ? 'accepted' : `rejected (${r.why})`}, we say ${ok ? 'accepted' : 'rejected'}`);
      else if (!ok && !/should have been in/.test(r.why)) failures.push(`${targetName(target)}: returning ${value} rejected for another reason: ${r.why}`);
    }
  }
  assert.ok(checked > 100);
  assert.deepEqual(failures, []);
});

const PACKET = new Uint8Array(64).map((_, i) => (i < 12 ? 0xff : i === 12 ? 0x08 : i));

/** Run a program of this type that returns 0; the kernel's error when it will not. */
function testRun(kernel: Kernel, t: LoadTarget, options: { data?: Uint8Array; ctx?: Uint8Array; ctxSizeOut?: number }) {
  using prog = loadProgram(kernel, { ...loadOptions(t), type: t.spec.type, insns: [MOV(0, 0), EXIT] });
  return prog.testRun(options);
}

/** The ctx_in a type's test run cannot do without: sk_lookup looks up an IPv4 TCP flow (AF_INET, IPPROTO_TCP). */
function requiredCtx(spec: ProgramTypeSpec): { ctx?: Uint8Array } {
  if (spec.name !== 'SK_LOOKUP') return {};
  const ctx = new Uint8Array(spec.ctx.size);
  const view = new DataView(ctx.buffer);
  view.setUint32(fieldOf(spec.ctx, 'family').offset, 2, true);
  view.setUint32(fieldOf(spec.ctx, 'protocol').offset, 6, true);
  return { ctx };
}

function runError(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof KernelError) return err.errnoName;
    throw err;
  }
}

test('test runs: the types we say the kernel cannot run are refused with ENOTSUPP, the others run', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  for (const spec of Object.values(PROGRAM_TYPES)) {
    const target = spec.attachBtf ? btfTargets(spec)[0] : plainTargets(spec)[0];
    if (!target) continue;
    const err = runError(() => testRun(kernel, target, { ...(spec.testRun?.data ? { data: PACKET } : {}), ...requiredCtx(spec) }));
    if (spec.testRun === null) assert.equal(err, 'ENOTSUPP', `${spec.name} has no test run`);
    else if (spec.name !== 'TRACING') assert.equal(err, undefined, `${spec.name} runs`);
  }
});

function fieldOf(ctx: ContextSpec, name: string) {
  const f = ctx.fields.find((x) => x.name === name);
  assert.ok(f, `${ctx.struct}.${name}`);
  return f;
}

test('test runs: __sk_buff from ctx_in, field by field, and back in ctx_out', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const spec = programType('sched_cls');
  const rules = spec.testRun?.ctx;
  assert.ok(rules);
  for (const f of spec.ctx.fields) {
    const ctx = new Uint8Array(spec.ctx.size);
    const view = new DataView(ctx.buffer);
    // A value each accepted field takes: wire_len no shorter than the packet, ifindex 1 (lo), one segment.
    const value = f.name === 'wire_len' ? PACKET.length : 1;
    if (f.size >= 4) view.setUint32(f.offset, value, true);
    else ctx[f.offset] = value;
    const err = runError(() => testRun(kernel, { spec }, { data: PACKET, ctx, ctxSizeOut: spec.ctx.size }));
    assert.equal(err === undefined, rules.in.includes(f.name), `${f.name} set in ctx_in: ${err ?? 'accepted'}`);
  }
  const ctx = new Uint8Array(spec.ctx.size);
  const view = new DataView(ctx.buffer);
  view.setUint32(fieldOf(spec.ctx, 'mark').offset, 0x1234, true);
  view.setUint32(fieldOf(spec.ctx, 'priority').offset, 7, true);
  view.setUint32(fieldOf(spec.ctx, 'cb').offset + 8, 0xabcd, true);
  const out = testRun(kernel, { spec }, { data: PACKET, ctx, ctxSizeOut: spec.ctx.size });
  assert.ok(out.ctxOut, 'ctx_out written');
  const outView = new DataView(out.ctxOut.buffer, out.ctxOut.byteOffset);
  assert.equal(outView.getUint32(fieldOf(spec.ctx, 'mark').offset, true), 0x1234);
  assert.equal(outView.getUint32(fieldOf(spec.ctx, 'priority').offset, true), 7);
  assert.equal(outView.getUint32(fieldOf(spec.ctx, 'cb').offset + 8, true), 0xabcd);
  assert.equal(outView.getUint32(fieldOf(spec.ctx, 'wire_len').offset, true), PACKET.length, 'wire_len defaults to the data length');
  for (const f of spec.ctx.fields.filter((x) => !rules.out.includes(x.name))) {
    assert.ok(out.ctxOut.subarray(f.offset, f.offset + f.size).every((b) => b === 0), `${f.name} is not written back`);
  }
});

test('test runs: xdp_md from ctx_in follows the metadata and length rules', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const spec = programType('xdp');
  const rules = spec.testRun?.ctx;
  assert.ok(rules);
  const md = (fields: Record<string, number>) => {
    const ctx = new Uint8Array(spec.ctx.size);
    const view = new DataView(ctx.buffer);
    for (const [name, v] of Object.entries(fields)) view.setUint32(fieldOf(spec.ctx, name).offset, v, true);
    return ctx;
  };
  const run = (fields: Record<string, number>, data = PACKET) => runError(() => testRun(kernel, { spec }, { data, ctx: md(fields), ctxSizeOut: spec.ctx.size }));
  const len = PACKET.length;
  const big = new Uint8Array(512);
  assert.equal(run({ data: 0, data_end: len }), undefined, 'no metadata');
  assert.equal(run({ data: 216, data_end: big.length }, big), undefined, '216 bytes of metadata');
  assert.equal(run({ data: 220, data_end: big.length }, big), 'EINVAL', 'metadata that leaves no room for struct xdp_frame in the headroom');
  assert.equal(run({ data: len - 16, data_end: len }), undefined, 'metadata that leaves 16 bytes of packet');
  assert.equal(run({ data: len - 12, data_end: len }), 'EINVAL', 'metadata that leaves less than an Ethernet header');
  assert.equal(run({ data: 6, data_end: len }), 'EINVAL', 'metadata not a multiple of 4');
  assert.equal(run({ data: 0, data_end: len - 10 }), undefined, 'data_end short of the data: the rest goes to fragments');
  assert.equal(run({ data: 8, data_end: 4 }), 'EINVAL', 'data_end before data');
  assert.equal(run({ data: 0, data_end: len + 1 }), 'EINVAL', 'data_end past the data');
  assert.equal(run({ data: 0, data_end: len, data_meta: 4 }), 'EINVAL', 'data_meta must be 0');
  assert.equal(run({ data: 0, data_end: len, egress_ifindex: 1 }), 'EINVAL', 'egress_ifindex must be 0');
  assert.equal(run({ data: 0, data_end: len, rx_queue_index: 1 }), 'EINVAL', 'a queue needs a device');
  const out = testRun(kernel, { spec }, { data: PACKET, ctx: md({ data: 8, data_end: len }), ctxSizeOut: spec.ctx.size });
  const view = new DataView(out.ctxOut!.buffer, out.ctxOut!.byteOffset);
  assert.equal(view.getUint32(fieldOf(spec.ctx, 'data').offset, true), 8, 'data: the metadata length, back');
  assert.equal(view.getUint32(fieldOf(spec.ctx, 'data_end').offset, true), len, 'data_end: counted from data_meta');
  assert.ok(rules.out.includes('data') && rules.out.includes('data_end'));
});

test('test runs: flow dissector ctx_in takes only the flags of struct bpf_flow_keys', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const spec = programType('flow_dissector');
  assert.deepEqual(spec.testRun?.ctx?.in, ['flags']);
  const keys = (offset: number) => {
    const ctx = new Uint8Array(56);
    ctx[offset] = 1;
    return ctx;
  };
  assert.equal(runError(() => testRun(kernel, { spec }, { data: PACKET, ctx: keys(48) })), undefined, 'flags');
  for (const offset of [0, 9, 16, 52]) assert.equal(runError(() => testRun(kernel, { spec }, { data: PACKET, ctx: keys(offset) })), 'EINVAL', `byte ${offset}`);
});
