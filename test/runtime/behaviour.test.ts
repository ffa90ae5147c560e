/**
 * testdata/src/behaviour.c on every engine: each program's test run (retval,
 * data out, ctx out) and the maps after the runs, asserted against the
 * values the kernel's semantics give — on the interpreter, the JIT and,
 * where bpf(2) works, the kernel itself.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionSpec, setVariable, type CollectionSpec } from '../../src/elf/index.js';
import { loadCollection, mapEntries, TestRunError, type EngineKind, type LiveMap, type LoadedCollection } from '../../src/runtime/index.js';
import { KernelError, type Kernel } from '../../src/kernel/index.js';
import { toHex } from '../../src/internal/bytes.js';
import { repoRoot } from '../paths.js';
import { kernelOrSkip } from '../kernel/env.js';
import { checksumsValid, u32le, u64le, udpPacket } from './packets.js';

const object = join(repoRoot, 'testdata', 'obj', 'behaviour.o');
const freshSpec = (): CollectionSpec => loadCollectionSpec(readFileSync(object));

const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, TC_ACT_OK = 0, TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7;

const skbCtx = (fields: Record<number, number>): Uint8Array => {
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  for (const [off, value] of Object.entries(fields)) v.setUint32(Number(off), value, true);
  return ctx;
};

/** Open the collection on `engine`, or skip `t` when that engine is the kernel and it is unreachable. */
function open(t: TestContext, engine: EngineKind, spec: CollectionSpec): { c: LoadedCollection; kernel?: Kernel } | undefined {
  if (engine !== 'kernel') return { c: loadCollection(spec, { engine }) };
  const kernel = kernelOrSkip(t);
  if (!kernel) return undefined;
  return { c: loadCollection(spec, { engine, kernel }), kernel };
}

/** A per-CPU value summed over its CPUs' 8-byte slots, so engines with different CPU counts compare. */
function perCpuSum(map: LiveMap, value: Uint8Array): bigint {
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let sum = 0n;
  for (let at = 0; at + 8 <= value.length; at += 8) sum += v.getBigUint64(at, true);
  assert.equal(value.length % 8, 0, `${map.name}: per-CPU value of ${value.length} bytes`);
  return sum;
}

function entries(map: LiveMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of mapEntries(map)) out[toHex(k)] = v ? toHex(v) : '-';
  return out;
}

function drain(map: LiveMap): string[] {
  const out: string[] = [];
  for (let v = map.lookupAndDelete(); v; v = map.lookupAndDelete()) out.push(toHex(v));
  return out;
}

const lookupOrMiss = (map: LiveMap, key: Uint8Array): Uint8Array | undefined => {
  try {
    return map.lookup(key);
  } catch (err) {
    if ((err as { errnoName?: string }).errnoName === 'ENOENT' || (err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
};

for (const engine of ['interp', 'jit', 'kernel'] as const) {
  test(`behaviour.o on ${engine}: retval, data out, ctx out and maps after the runs`, (t) => {
    const opened = open(t, engine, freshSpec());
    if (!opened) return;
    const { c } = opened;
    try {
      const pkt = udpPacket();
      const run = (name: string, options: Parameters<LoadedCollection['programs'][string]['testRun']>[0]) => c.programs[name].testRun(options);

      const parsed = run('xdp_parse', { data: pkt });
      assert.equal(parsed.retval, XDP_TX, 'UDP is transmitted back');
      assert.deepEqual(parsed.dataOut, pkt);
      // A route for 10.0.0.0/24 makes the parser return the route's verdict.
      c.maps.routes.update(u32le(24, 0x0000000a), u32le(XDP_PASS));
      assert.equal(run('xdp_parse', { data: pkt }).retval, XDP_PASS);

      const adjusted = run('xdp_adjust', { data: pkt });
      assert.equal(adjusted.retval, XDP_PASS);
      assert.equal(toHex(adjusted.dataOut), toHex(new Uint8Array([...u64le(0x1122334455667788n), ...pkt.subarray(14), 0, 0, 0, 0])));

      // 4000 bytes: 3520 in the linear part, the rest in a fragment whose tail grows by 4 zeroed bytes.
      const jumbo = new Uint8Array(4000).fill(7, 3500);
      const multi = run('xdp_adjust', { data: jumbo });
      assert.equal(multi.retval, XDP_PASS);
      assert.equal(toHex(multi.dataOut), toHex(new Uint8Array([...u64le(0x1122334455667788n), ...jumbo.subarray(14), 0, 0, 0, 0])));
      // Exactly the linear part: no room to grow the tail.
      assert.equal(run('xdp_adjust', { data: new Uint8Array(3520) }).retval, 0, 'XDP_ABORTED');

      const marked = udpPacket({ dstMac: [0xde, 0xad, 0xbe, 0xef, 0, 1] });
      const copied = run('xdp_bytes', { data: marked });
      assert.equal(copied.retval, XDP_TX, 'EFAULT above 0xffff, EINVAL past the packet');
      assert.equal(toHex(copied.dataOut.subarray(0, 8)), 'deadbeefdeadbeef');

      assert.equal(run('xdp_ctx', { data: pkt }).retval, 1000, 'lo (ifindex 1), no metadata');
      const withMeta = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, ...pkt]);
      const xdpMd = u32le(8, withMeta.length, 0, 1, 0, 0);
      const metaRun = run('xdp_ctx', { data: withMeta, ctx: xdpMd });
      assert.equal(metaRun.retval, 1080);
      assert.deepEqual(metaRun.dataOut, withMeta, 'data_out starts at data_meta');
      assert.equal(toHex(metaRun.ctxOut), toHex(u32le(8, withMeta.length, 0, 1, 0, 0)));
      // data_end short of the packet: a 10-byte linear part (8 of them metadata), the rest in a fragment.
      const split = run('xdp_adjust', { data: withMeta, ctx: u32le(8, 10, 0, 0, 0, 0) });
      assert.equal(split.retval, 0, 'adjust_head cannot pass data_end: XDP_ABORTED');
      assert.deepEqual(split.dataOut, withMeta);
      assert.equal(toHex(split.ctxOut), toHex(u32le(8, 10, 0, 0, 0, 0)));

      const rewritten = run('tc_rewrite', { data: pkt, ctx: skbCtx({ 8: 5 }) });
      assert.equal(rewritten.retval, TC_ACT_OK);
      assert.equal(toHex(rewritten.dataOut.subarray(30, 34)), '0a000002', 'new destination');
      assert.deepEqual(checksumsValid(rewritten.dataOut), { ip: true, udp: true }, 'l3/l4_csum_replace kept both checksums valid');
      assert.equal(toHex(rewritten.ctxOut), toHex(skbCtx({ 8: 6, 32: 7, 40: 1, 48: pkt.length, 64: 0x0008, 160: pkt.length })));

      assert.equal(run('tc_fields', { data: pkt }).retval, 2, 'without ctx_in, wire_len is 0');
      assert.equal(run('tc_fields', { data: pkt, ctx: skbCtx({ 36: 3 }) }).retval, 103);
      assert.equal(run('tc_redirect', { data: pkt }).retval, TC_ACT_REDIRECT);
      assert.equal(run('tc_redirect', { data: pkt, ctx: skbCtx({ 8: 1 }) }).retval, TC_ACT_SHOT, 'bad flags');

      const kept = run('socket_keep', { data: pkt });
      assert.equal(kept.retval, 20, 'bytes to keep');
      assert.equal(toHex(kept.dataOut), toHex(new Uint8Array([...new Uint8Array(14), ...pkt.subarray(14)])), 'MAC header comes back zeroed');

      assert.equal(run('cgroup_count', { data: pkt }).retval, 1);
      assert.equal(run('raw_tp_sum', { ctx: u64le(1n, 2n, 3n) }).retval, 14);
      const sq = run('syscall_square', { ctx: u32le(5, 0) });
      assert.equal(sq.retval, 6);
      assert.equal(toHex(sq.ctxOut), toHex(u32le(5, 25)));

      const tcErrors = run('tc_errors', { data: pkt });
      assert.equal(tcErrors.retval, 0x3ff, `every error return as the kernel's (bits 0x${tcErrors.retval.toString(16)})`);
      assert.equal(toHex(tcErrors.dataOut.subarray(6, 12)), '000203040506', 'the store landed, with the byte the failed load zeroed');
      assert.equal(toHex(tcErrors.dataOut.subarray(40, 42)), '0000', 'a zero UDP checksum stays zero with BPF_F_MARK_MANGLED_0');
      const xdpErrors = run('xdp_errors', { data: new Uint8Array(142) });
      assert.equal(xdpErrors.retval, 0x1ff, `every error return as the kernel's (bits 0x${xdpErrors.retval.toString(16)})`);
      assert.equal(xdpErrors.dataOut.length, 142 + 100 - 2, '100 bytes of headroom taken, 2 of tail given back');

      // The kernel has no test run for kprobe, tracepoint and perf_event programs (ENOTSUPP); the runtime runs them on ctx_in.
      const regs = new Uint8Array(168);
      new DataView(regs.buffer).setBigUint64(112, 7n, true);
      new DataView(regs.buffer).setBigUint64(104, 3n, true);
      const record = u32le(0, 0, 21);
      const perf = new Uint8Array([...new Uint8Array(168), ...u64le(99n, 0n)]);
      const tracing: [string, Uint8Array, number][] = [['kprobe_args', regs, 37], ['tracepoint_field', record, 42], ['perf_period', perf, 100]];
      for (const [name, ctx, retval] of tracing) {
        if (engine === 'kernel') assert.throws(() => run(name, { ctx }), (err: Error) => err instanceof KernelError && err.errnoName === 'ENOTSUPP', name);
        else assert.equal(run(name, { ctx }).retval, retval, name);
      }

      const m = c.maps;
      assert.deepEqual(entries(m.proto_count), { '11000000': toHex(u64le(2n)) });
      assert.deepEqual(Object.fromEntries(mapEntries(m.percpu_hash_count).map(([k, v]) => [toHex(k), perCpuSum(m.percpu_hash_count, v!)])), { '01000000': 2n });
      assert.deepEqual(entries(m.array_count), {
        '00000000': toHex(u64le(0n)), '01000000': toHex(u64le(BigInt(2 * pkt.length))), '02000000': toHex(u64le(0n)), '03000000': toHex(u64le(BigInt(pkt.length - 14))),
      });
      assert.deepEqual(mapEntries(m.percpu_count).map(([, v]) => perCpuSum(m.percpu_count, v!)), [2n, 0n]);
      assert.deepEqual(entries(m.lru_seen), { '0a000001': toHex(u32le(pkt.length)) });
      assert.deepEqual(drain(m.lengths), [toHex(u32le(pkt.length)), toHex(u32le(pkt.length))]);
      assert.deepEqual(drain(m.marks), [toHex(u32le(6))]);
      assert.deepEqual(entries(m.inner_counter), { '00000000': toHex(u64le(200n)) });
      assert.equal(lookupOrMiss(m.outer, u32le(0)), undefined);
      assert.ok(lookupOrMiss(m.outer, u32le(1)), 'slot 1 holds inner_counter');
      assert.deepEqual(entries(m['.bss']), { '00000000': toHex(new Uint8Array([...u64le(2n), ...u32le(pkt.length)])) });
      assert.deepEqual(entries(m['.rodata']), { '00000000': toHex(u32le(20)) });
    } finally {
      c.dispose();
    }
  });

  test(`behaviour.o on ${engine}: a .rodata variable set before load changes the verdict`, (t) => {
    const spec = freshSpec();
    setVariable(spec, 'min_len', 100);
    const opened = open(t, engine, spec);
    if (!opened) return;
    try {
      assert.equal(opened.c.programs.xdp_parse.testRun({ data: udpPacket() }).retval, XDP_DROP);
    } finally {
      opened.c.dispose();
    }
  });

  test(`behaviour.o on ${engine}: test-run inputs the kernel refuses, with its errno`, (t) => {
    const opened = open(t, engine, freshSpec());
    if (!opened) return;
    const { c } = opened;
    const errnoOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        if (err instanceof TestRunError) return err.errno;
        if (err instanceof KernelError) return err.errnoName;
        throw err;
      }
      return 'ok';
    };
    try {
      const pkt = udpPacket();
      const p = c.programs;
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt.subarray(0, 13) })), 'EINVAL', 'shorter than ETH_HLEN');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: new Uint8Array(3520 + 17 * 4096 + 1) })), 'ENOMEM', 'more than MAX_SKB_FRAGS fragments');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, ctx: u32le(0, pkt.length + 1, 0, 0, 0, 0) })), 'EINVAL', 'data_end past the packet');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, ctx: u32le(220, pkt.length, 0, 0, 0, 0) })), 'EINVAL', 'metadata eating the xdp_frame room');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt.subarray(0, 20), ctx: u32le(8, 20, 0, 0, 0, 0) })), 'EINVAL', 'less than ETH_HLEN after the metadata');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, ctx: u32le(3, pkt.length, 0, 0, 0, 0) })), 'EINVAL', 'metadata not a multiple of 4');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, ctx: u32le(0, pkt.length, 0, 0, 0, 0, 7) })), 'E2BIG', 'bytes past xdp_md');
      assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, ctx: u32le(0, pkt.length, 0, 0, 1, 0) })), 'EINVAL', 'rx queue without a device');
      assert.equal(errnoOf(() => p.tc_fields.testRun({ data: pkt, ctx: skbCtx({ 0: 5 }) })), 'EINVAL', '__sk_buff.len is not an input');
      assert.equal(errnoOf(() => p.tc_fields.testRun({ data: pkt, ctx: skbCtx({ 160: 3 }) })), 'EINVAL', 'wire_len below the length');
      assert.equal(errnoOf(() => p.tc_fields.testRun({ data: pkt, flags: 1 })), 'EINVAL', 'skb runs take no flags');
      assert.equal(errnoOf(() => p.raw_tp_sum.testRun({ data: pkt })), 'EINVAL', 'raw_tracepoint takes no data');
      assert.equal(errnoOf(() => p.raw_tp_sum.testRun({ ctx: new Uint8Array(104) })), 'EINVAL', 'more than 12 arguments');
      assert.equal(errnoOf(() => p.syscall_square.testRun({ ctx: u32le(1, 0), repeat: 2 })), 'EINVAL', 'syscall takes no repeat');
      if (engine !== 'kernel') {
        assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: 'aa' as unknown as Uint8Array })), 'EINVAL', 'data that is no byte array');
        assert.equal(errnoOf(() => p.xdp_parse.testRun({ data: pkt, flags: -1 })), 'EINVAL', 'flags that are no u32');
      }
    } finally {
      c.dispose();
    }
  });
}
