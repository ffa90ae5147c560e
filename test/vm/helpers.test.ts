import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_CALL, BPF_JMP, BPF_X, insn } from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_jiffies64, BPF_FUNC_ktime_get_boot_ns,
  BPF_FUNC_ktime_get_ns, BPF_FUNC_trace_printk, HelperTable, bprintf, createHelperContext, createHelperTable,
  type PrintfMemory,
} from '../../src/helpers/index.js';
import { RuntimeError, Vm } from '../../src/vm/index.js';
import { call, exit, lddw, mov, run } from './util.js';

/** Linux's EINVAL, which bprintf returns negated. */
const EINVAL = 22;

const host = {
  clock: { monotonicNs: () => 5_000_000_123n, bootNs: () => 7_000_000_000n },
  random: () => 0xdeadbeef,
  cpu: 3,
  hz: 1000,
};

test('time, random and cpu helpers return the host services the runtime passed', () => {
  const r0 = (id: number) => run([call(id), exit()], { host }).r0;
  assert.equal(r0(BPF_FUNC_ktime_get_ns), 5_000_000_123n);
  assert.equal(r0(BPF_FUNC_ktime_get_boot_ns), 7_000_000_000n);
  assert.equal(r0(BPF_FUNC_get_prandom_u32), 0xdeadbeefn);
  assert.equal(r0(BPF_FUNC_get_smp_processor_id), 3n);
  // INITIAL_JIFFIES (2^32 - 300 s of ticks) + 5 s at HZ=1000.
  assert.equal(r0(BPF_FUNC_jiffies64), 0x1_0000_0000n - 300_000n + 5000n);
});

test('callx calls the helper whose id is in the register; unknown ids are RuntimeErrors with the pc', () => {
  assert.equal(run([mov(2, BPF_FUNC_get_smp_processor_id), insn(BPF_JMP | BPF_CALL | BPF_X, 2), exit()], { host }).r0, 3n);
  assert.throws(() => run([mov(0, 0), call(9999), exit()]), (e: unknown) => e instanceof RuntimeError && e.message === 'pc 1: unknown helper #9999');
  assert.throws(() => run([...lddw(2, 1n << 32n), insn(BPF_JMP | BPF_CALL | BPF_X, 2), exit()]),
    (e: unknown) => e instanceof RuntimeError && e.message === 'pc 2: unknown helper #4294967296');
  // One of the kernel's helpers that the table lacks is named.
  assert.throws(() => run([call(BPF_FUNC_ktime_get_ns), exit()], { helpers: new HelperTable([]) }),
    (e: unknown) => e instanceof RuntimeError && e.message === 'pc 0: helper bpf_ktime_get_ns (#5) is not implemented by this runtime');
});

test('a helper table is per runtime: replacing an entry does not touch another table', () => {
  const mine = createHelperTable([{ id: BPF_FUNC_get_prandom_u32, name: 'bpf_get_prandom_u32', fn: () => 4n }]);
  assert.equal(run([call(BPF_FUNC_get_prandom_u32), exit()], { helpers: mine }).r0, 4n);
  assert.equal(run([call(BPF_FUNC_get_prandom_u32), exit()], { host }).r0, 0xdeadbeefn);
  assert.equal(mine.name(BPF_FUNC_trace_printk), 'bpf_trace_printk');
  assert.equal(new HelperTable().get(BPF_FUNC_ktime_get_ns), undefined);
});

test('helper failures are located at the calling instruction', () => {
  const helpers = createHelperTable([
    { id: 1000, name: 'throws', fn: () => { throw new TypeError('boom'); } },
    { id: 1001, name: 'returns_number', fn: () => 5 as unknown as bigint },
  ]);
  assert.throws(() => run([mov(0, 0), call(1000), exit()], { helpers }), (e: unknown) =>
    e instanceof RuntimeError && e.message === 'pc 1: helper throws failed: boom');
  assert.throws(() => run([call(1001), exit()], { helpers }), /pc 0: helper returns_number returned number, not a bigint/);
  // trace_printk's format is checked like any access of the program's.
  assert.throws(() => run([mov(1, 0), mov(2, 4), call(BPF_FUNC_trace_printk), exit()]), (e: unknown) =>
    e instanceof RuntimeError && e.message === 'pc 2: invalid read of 4 bytes at 0x0 (no region)');
});

const text = (s: string) => new TextEncoder().encode(s);
const noMemory: PrintfMemory = { bytes: () => undefined, cString: () => undefined };
const fmt = (f: string, ...args: bigint[]) => {
  const out = bprintf(text(f), args, noMemory);
  return typeof out === 'number' ? out : new TextDecoder().decode(out.bytes);
};

test('bprintf: integer conversions, sizes, flags and widths as the kernel prints them', () => {
  const m1 = 0xffff_ffff_ffff_ffffn;
  assert.equal(fmt('%d %i %u', m1, 5n, m1), '-1 5 4294967295');
  assert.equal(fmt('%x %X %lx', 0xabcdef12_3456789an, 0xabcn, 0xabcdef12_3456789an), '3456789a ABC abcdef123456789a');
  assert.equal(fmt('%ld %lld %llu', m1, 1n << 40n, m1), '-1 1099511627776 18446744073709551615');
  assert.equal(fmt('[%5d|%-5d|%05d]', 42n, 42n, BigInt.asUintN(64, -42n)), '[   42|42   |-0042]');
  assert.equal(fmt('[%+d|% d|%+u]', 7n, 7n, 7n), '[+7| 7|7]');
  assert.equal(fmt('100%% %c%c', 0x6fn, 0x6bn), '100% ok');
  assert.equal(fmt('%p %px', 0x10ff8n, 0x10n), '0000000000010ff8 0000000000000010');
});

test('bprintf: what the kernel refuses is -EINVAL', () => {
  assert.equal(fmt('%d %d %d %d', 1n, 2n, 3n), -EINVAL, 'more specifiers than arguments');
  assert.equal(fmt('%q', 1n), -EINVAL);
  assert.equal(fmt('%.2d', 1n), -EINVAL, 'no precision');
  assert.equal(fmt('%lc', 1n), -EINVAL);
  assert.equal(fmt('%sa', 1n), -EINVAL, '%s must be followed by the end, a space or punctuation');
  assert.equal(fmt('%pZ', 1n), -EINVAL);
  assert.equal(fmt('abc%', 1n), -EINVAL);
  assert.equal(fmt('a\x01b'), -EINVAL, 'control characters');
  assert.equal(fmt('caf\u00e9 %d', 1n), 'café 1', 'UTF-8 in plain text is allowed');
});

test('bpf_trace_printk end to end: reads the format and %s strings from the address space, prints, returns the length', () => {
  const lines: string[] = [];
  const space = new AddressSpace();
  const data = space.alloc('rodata', 64, 'data', false);
  const format = text('pid %d says %s, ip %pI4\n\0');
  const name = text('hello\0');
  const ip = Uint8Array.from([10, 0, 0, 1]);
  space.write(data.start, format);
  space.write(data.start + 32, name);
  space.write(data.start + 48, ip);
  const vm = new Vm(space, { host: { print: (t) => lines.push(t) } });
  const base = BigInt(data.start);
  const r = vm.load([
    ...lddw(1, base), mov(2, format.length), mov(3, 42), ...lddw(4, base + 32n), ...lddw(5, base + 48n),
    call(BPF_FUNC_trace_printk), exit(),
  ]).run();
  assert.deepEqual(lines, ['pid 42 says hello, ip 10.0.0.1\n']);
  assert.equal(r.r0, BigInt(lines[0].length));
  // A format without its NUL inside fmt_size is refused and prints nothing.
  const bad = vm.load([...lddw(1, base), mov(2, 4), call(BPF_FUNC_trace_printk), exit()]).run();
  assert.equal(bad.r0, BigInt.asUintN(64, BigInt(-EINVAL)));
  assert.equal(lines.length, 1);
  // A %s pointer that cannot be read prints as an empty string, as the kernel's nofault copy does.
  space.write(data.start, text('[%s]\0'));
  vm.load([...lddw(1, base), mov(2, 5), mov(3, 8), call(BPF_FUNC_trace_printk), exit()]).run();
  assert.equal(lines[1], '[]');
});

test('createHelperContext fills in defaults', () => {
  const ctx = createHelperContext(new AddressSpace());
  assert.equal(ctx.checked, true);
  assert.equal(ctx.cpu, 0);
  const r = ctx.random();
  assert.ok(Number.isInteger(r) && r >= 0 && r < 2 ** 32);
  assert.ok(ctx.clock.monotonicNs() >= 0n);
});
