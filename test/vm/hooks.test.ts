import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TAIL_CALL_CNT, ProgramHandle, RuntimeError, tailCallHelpers } from '../../src/helpers/index.js';
import { mapHelpers } from '../../src/helpers/maps.js';
import { MapRegistry, u32Bytes } from '../../src/maps/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { Bench, E2BIG, EINVAL, asm } from '../helpers/util.js';
import {
  callInCallbackProg, forEachProg, framesProg, loopProg, nestedProg, tailJump, tailSelfProg, tailTargetProg,
} from '../helpers/hook-programs.js';

const fails = (pc: number | undefined, text: string) => (e: unknown) =>
  e instanceof RuntimeError && e.pc === pc && e.message.includes(text);

test('bpf_loop calls the callback nr_loops times, or until it returns 1 (then i + 1)', () => {
  const b = new Bench();
  const sum = b.region(8);
  assert.equal(b.run(loopProg(10, 99), { r1: BigInt(sum) }), 10n);
  assert.equal(b.u64(sum), 45n);
  b.space.view.setBigUint64(sum, 0n, true);
  assert.equal(b.run(loopProg(10, 3), { r1: BigInt(sum) }), 4n);
  assert.equal(b.u64(sum), 6n);
  assert.equal(b.run(loopProg(0, 0), { r1: BigInt(sum) }), 0n);
  assert.equal(b.run(loopProg(1, 0, 1), { r1: BigInt(sum) }), EINVAL);
  assert.equal(b.run(loopProg(8 * 1024 * 1024 + 1, 0), { r1: BigInt(sum) }), E2BIG & 0xffffffffn); // as the kernel's inlined bpf_loop gives it
});

test('a callback runs on its own frame: the caller keeps r6-r9, r10 and its stack', () => {
  const b = new Bench();
  assert.equal(b.run(framesProg), 0x1234n + 0x66n + 0x77n);
  // The same through the traced loop.
  const lines: string[] = [];
  const traced = new Bench({ vm: { trace: (l) => lines.push(l) } });
  assert.equal(traced.run(framesProg), 0x1234n + 0x66n + 0x77n);
  assert.ok(lines.some((l) => l.includes('call bpf_loop')));
});

test('callbacks nest up to the 8-frame limit, then the call is a RuntimeError', () => {
  const b = new Bench();
  const depth = b.region(8);
  // Frames 1 to 7 run a callback each.
  assert.equal(b.run(nestedProg(7), { r1: BigInt(depth) }), 1n);
  assert.equal(b.u64(depth), 7n);
  b.space.view.setBigUint64(depth, 0n, true);
  assert.throws(() => b.run(nestedProg(8), { r1: BigInt(depth) }), fails(18, 'callback at 7 needs frame 9: at most 8 frames'));
  assert.equal(b.u64(depth), 7n);
  // A bpf-to-bpf call inside a callback takes a frame too.
  assert.equal(b.run(callInCallbackProg), 1n);
});

test('a callback address that is not an instruction, and a callback past the budget, are RuntimeErrors', () => {
  const b = new Bench();
  assert.throws(() => b.run('r1 = 1\nr2 = 100\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit'), fails(4, 'callback at 100: not an instruction of the program (0 to 5)'));
  // Slot 2 is the second half of the lddw.
  assert.throws(() => b.run('r1 = 1\nr2 = 2 ll\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit'), fails(5, 'callback at 2: not an instruction'));
  const small = new Bench({ vm: { maxInsns: 1000 } });
  const sum = small.region(8);
  assert.throws(() => small.run(loopProg(1000, 9999), { r1: BigInt(sum) }), (e: unknown) =>
    e instanceof RuntimeError && /instruction budget of 1000 exhausted/.test(e.message));
});

test('for_each_map_elem calls back through the same hook', () => {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const map = registry.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  [5n, 6n, 7n, 8n].forEach((v, k) => {
    const value = new Uint8Array(8);
    new DataView(value.buffer).setBigUint64(0, v, true);
    map.update(u32Bytes(k), value);
  });
  const b = new Bench({ space, extra: mapHelpers(registry) });
  const sum = b.region(8);
  assert.equal(b.run(forEachProg(map.address), { r1: BigInt(sum) }), 4n);
  assert.equal(b.u64(sum), 26n);
});

/** A runtime with a prog_array of 4 slots and the tail-call helper. */
function tailBench() {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const progs = registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });
  const b = new Bench({ space, extra: [...tailCallHelpers(registry), ...mapHelpers(registry)] });
  const install = (slot: number, name: string, text: string) =>
    progs.update(u32Bytes(slot), u32Bytes(registry.registerProgram(new ProgramHandle(name, asm(text)))));
  /** Tail call to `index` of `map` (default: the prog_array); 99 when it falls through. */
  const jump = (index: number, map = progs.address) => tailJump(map, index);
  return { b, registry, progs, install, jump };
}

test('a tail call replaces the program, keeps the context in r1 and gives it a fresh stack', () => {
  const { b, install, jump } = tailBench();
  install(1, 'target', tailTargetProg);
  const ctx = b.region(8);
  b.space.view.setBigUint64(ctx, 40n, true);
  assert.equal(b.run(`*(u64 *)(r10 - 8) = 1000\n${jump(1)}`, { r1: BigInt(ctx) }), 40n);
  // The trace follows the program into the target.
  const lines: string[] = [];
  const traced = new Vm(b.space, { helpers: b.vm.helpers, trace: (l) => lines.push(l) });
  assert.equal(traced.load(asm(jump(1))).run({ r1: BigInt(ctx) }).r0, 40n);
  assert.deepEqual(lines.slice(2).map((l) => l.replace(/\s+;.*$/, '')), [
    '3: (85) call bpf_tail_call#12', '0: (79) r0 = *(u64 *)(r10 -8)', '1: (79) r2 = *(u64 *)(r1 +0)', '2: (0f) r0 += r2', '3: (95) exit',
  ]);
  traced.dispose();
  // An empty slot and an index past max_entries fall through.
  assert.equal(b.run(jump(2), { r1: BigInt(ctx) }), 99n);
  assert.equal(b.run(jump(4), { r1: BigInt(ctx) }), 99n);
  assert.equal(b.run(jump(-1), { r1: BigInt(ctx) }), 99n); // index 0xffffffff
});

test('tail calls: at most 33 per run; an empty slot spends none', () => {
  const { b, progs, install, jump } = tailBench();
  const self = tailSelfProg(progs.address);
  install(0, 'self', self);
  const ctx = b.region(8);
  assert.equal(b.run(self, { r1: BigInt(ctx) }), 99n);
  assert.equal(b.u64(ctx), BigInt(MAX_TAIL_CALL_CNT) + 1n);
  // The count is per run.
  b.space.view.setBigUint64(ctx, 0n, true);
  b.run(self, { r1: BigInt(ctx) });
  assert.equal(b.u64(ctx), 34n);
  // Slot 3 is empty: failed attempts do not count, as on the kernel (see test/helpers/kernel.test.ts).
  install(1, 'seven', 'r0 = 7\nexit');
  const attempts = (n: number) => `
    r6 = r1
    r7 = 0
  again:
    r1 = r6
    ${jump(3).replace('r0 = 99\n    exit', '')}
    r7 += 1
    if r7 < ${n} goto again
    r1 = r6
    ${jump(1)}`;
  assert.equal(b.run(attempts(100), { r1: BigInt(ctx) }), 7n);
});

test('tail calls: a wrong map is a RuntimeError naming the helper; a tail call in a subprogram returns to its caller', () => {
  const { b, registry, install, jump } = tailBench();
  const array = registry.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.throws(() => b.run(jump(0, array.address)), fails(3, `bpf_tail_call: r2 = 0x${array.address.toString(16)} is a array map, not a prog_array`));
  assert.throws(() => b.run(jump(0, 16)), fails(3, 'bpf_tail_call: r2 = 0x10 is not a map'));
  install(2, 'seven', 'r0 = 7\nexit');
  const text = `
    call sub
    r0 += 100
    exit
  sub:
    ${jump(2)}`;
  assert.equal(b.run(text), 107n);
});
