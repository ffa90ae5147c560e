/**
 * The engine hooks on the JIT: callbacks (bpf_loop, for_each_map_elem,
 * deferred timers), tail calls and the call chain, each program run on the
 * interpreter too (unchecked mode) and the two results compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_TAIL_CALL_CNT, ProgramHandle, RuntimeError, contextHelpers, createHelperTable, tailCallHelpers, type DeferredCallback,
  type HelperDef,
} from '../../src/helpers/index.js';
import { mapHelpers } from '../../src/helpers/maps.js';
import { ArrayMap, MapRegistry, u32Bytes } from '../../src/maps/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Jit } from '../../src/jit/index.js';
import { Vm } from '../../src/vm/index.js';
import { asm } from '../helpers/util.js';
import {
  callInCallbackProg, forEachProg, framesProg, loopProg, nestedProg, tailJump, tailSelfProg, tailTargetProg, withCb,
} from '../helpers/hook-programs.js';

/** Both engines over one address space, with the context helpers plus `extra`. */
class Pair {
  readonly space: AddressSpace;
  readonly jit: Jit;
  readonly vm: Vm;

  constructor(options: { space?: AddressSpace; extra?: HelperDef[]; maxInsns?: number } = {}) {
    this.space = options.space ?? new AddressSpace();
    const helpers = createHelperTable([...contextHelpers(), ...(options.extra ?? [])]);
    this.jit = new Jit(this.space, { helpers, maxInsns: options.maxInsns });
    this.vm = new Vm(this.space, { helpers, checked: false, maxInsns: options.maxInsns });
  }

  region(size: number): number {
    return this.space.alloc('data', size, 'data').start;
  }

  u64(addr: number): bigint {
    return this.space.view.getBigUint64(addr, true);
  }

  /**
   * r0 on the JIT (loaded as `verified`: the program must keep the verifier's rules); the interpreter must
   * agree (`reset` restores the memory it reads between the two).
   */
  run(text: string, r1 = 0n, reset: () => void = () => undefined, verified = false): bigint {
    reset();
    const jit = this.jit.load(asm(text), { verified }).run({ r1 }).r0;
    reset();
    assert.equal(this.vm.load(asm(text)).run({ r1 }).r0, jit, 'the interpreter disagrees');
    return jit;
  }

  /** The error the JIT raises; the interpreter must raise the same message. */
  fails(text: string): RuntimeError {
    const catchOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      assert.fail('the program ran to its end');
    };
    const j = catchOf(() => this.jit.load(asm(text)).run());
    const v = catchOf(() => this.vm.load(asm(text)).run());
    assert.ok(j instanceof RuntimeError && v instanceof RuntimeError);
    assert.equal(j.message, v.message);
    return j;
  }
}

test('bpf_loop: the callback runs on the JIT as on the interpreter, each call a frame of its own', () => {
  const p = new Pair();
  const sum = p.region(8);
  const zero = () => p.space.view.setBigUint64(sum, 0n, true);
  assert.equal(p.run(loopProg(10, 99), BigInt(sum), zero), 10n);
  assert.equal(p.u64(sum), 45n);
  assert.equal(p.run(loopProg(10, 3), BigInt(sum), zero), 4n);
  assert.equal(p.u64(sum), 6n);
  assert.equal(p.run(framesProg), 0x1234n + 0x66n + 0x77n);
});

test('callbacks nest to the 8-frame limit; a bad callback address and a spent budget are the interpreter\'s errors', () => {
  const p = new Pair();
  const depth = p.region(8);
  const zero = () => p.space.view.setBigUint64(depth, 0n, true);
  assert.equal(p.run(nestedProg(7), BigInt(depth), zero), 1n);
  assert.equal(p.u64(depth), 7n);
  zero();
  assert.throws(() => p.jit.load(asm(nestedProg(8))).run({ r1: BigInt(depth) }), (e: unknown) =>
    e instanceof RuntimeError && e.pc === 18 && e.message.includes('callback at 7 needs frame 9: at most 8 frames'));
  assert.equal(p.fails('r1 = 1\nr2 = 100\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit').message, 'pc 4: callback at 100: not an instruction of the program (0 to 5)');
  assert.match(p.fails('r1 = 1\nr2 = 2 ll\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit').message, /^pc 5: callback at 2: not an instruction/);
  const small = new Pair({ maxInsns: 1000 });
  const sum = small.region(8);
  assert.throws(() => small.jit.load(asm(loopProg(1000, 9999))).run({ r1: BigInt(sum) }), /instruction budget of 1000 exhausted/);
  // A bpf-to-bpf call inside a callback takes a frame too, and the counts agree.
  assert.deepEqual(p.jit.load(asm(callInCallbackProg)).run(), p.vm.load(asm(callInCallbackProg)).run());
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
  const p = new Pair({ space, extra: mapHelpers(registry) });
  const sum = p.region(8);
  assert.equal(p.run(forEachProg(map.address), BigInt(sum), () => p.space.view.setBigUint64(sum, 0n, true)), 4n);
  assert.equal(p.u64(sum), 26n);
});

test('a deferred callback runs nested in a run, or as a run of its own afterwards', () => {
  let kept: DeferredCallback | undefined;
  const keep: HelperDef = { id: 900, name: 'keep', fn: (ctx, pc) => { kept = ctx.engine.deferredCallback(pc); return 0n; } };
  const p = new Pair({ extra: [keep] });
  const text = withCb(`
    r1 = CB ll
    call 900
    r0 = 1
    exit
  cb:
    r0 = r1
    r0 += r2
    r6 = 0
    *(u64 *)(r10 - 8) = r0
    r0 = *(u64 *)(r10 - 8)
    exit`);
  assert.equal(p.jit.load(asm(text)).run().r0, 1n);
  assert.equal(kept!.call(40n, 2n, 0n, 0n, 0n), 42n);
  p.vm.load(asm(text)).run();
  assert.equal(kept!.call(40n, 2n, 0n, 0n, 0n), 42n);
});

/** Two engines with a prog_array of 4 slots and the tail-call helper. */
function tailPair() {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const progs = registry.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });
  const p = new Pair({ space, extra: [...tailCallHelpers(registry), ...mapHelpers(registry)] });
  const install = (slot: number, name: string, text: string) =>
    progs.update(u32Bytes(slot), u32Bytes(registry.registerProgram(new ProgramHandle(name, asm(text)))));
  const jump = (index: number, map = progs.address) => tailJump(map, index);
  return { p, registry, progs, install, jump };
}

test('tail calls: the target replaces the program with the context in r1 and a fresh stack; empty slots fall through', () => {
  const { p, install, jump } = tailPair();
  install(1, 'target', tailTargetProg);
  const ctx = p.region(8);
  p.space.view.setBigUint64(ctx, 40n, true);
  assert.equal(p.run(`*(u64 *)(r10 - 8) = 1000\n${jump(1)}`, BigInt(ctx)), 40n);
  assert.equal(p.run(jump(2), BigInt(ctx)), 99n);
  assert.equal(p.run(jump(4), BigInt(ctx)), 99n);
  assert.equal(p.run(jump(-1), BigInt(ctx)), 99n);
});

test('tail calls: at most 33 per run, counted per run; from a subprogram the target returns to the caller', () => {
  const { p, progs, install, jump } = tailPair();
  const self = tailSelfProg(progs.address);
  install(0, 'self', self);
  const ctx = p.region(8);
  const zero = () => p.space.view.setBigUint64(ctx, 0n, true);
  assert.equal(p.run(self, BigInt(ctx), zero), 99n);
  assert.equal(p.u64(ctx), BigInt(MAX_TAIL_CALL_CNT) + 1n);
  assert.equal(p.run(self, BigInt(ctx), zero), 99n);
  assert.equal(p.u64(ctx), 34n);
  install(2, 'seven', 'r0 = 7\nexit');
  assert.equal(p.run(`call sub\nr0 += 100\nexit\nsub:\n${jump(2)}`), 107n);
  const other = tailPair();
  const array = other.registry.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.match(other.p.fails(other.jump(0, array.address)).message, /^pc 3: bpf_tail_call: r2 = 0x[0-9a-f]+ is a array map, not a prog_array$/);
});

test('verified: a call passes r1-r5 and returns r0, the caller keeps r6-r9; in callbacks, tail calls and callback nests too', () => {
  const { p, install, jump } = tailPair();
  const calls = `
    r6 = 5
    r7 = 6
    r1 = 3
    r2 = 4
    call f
    r0 += r6
    r0 += r7
    exit
  f:
    r6 = r1
    r6 *= r2
    *(u64 *)(r10 - 8) = r6
    r7 = 100
    r1 = r10
    r1 += -8
    call g
    r0 += r7
    exit
  g:
    r0 = *(u64 *)(r1 + 0)
    r0 += 1
    exit`;
  assert.equal(p.run(calls, 0n, undefined, true), 124n);
  const compiled = p.jit.load(asm(calls), { verified: true }).compiled;
  // g, a small leaf, is compiled into f (compile.ts, inlinedCallees).
  assert.deepEqual(compiled.funcNames.filter((n) => /^(callee|sub)_/.test(n)), ['callee_8']);
  install(2, 'seven', 'r0 = 7\nexit');
  assert.equal(p.run(`call sub\nr0 += 100\nexit\nsub:\n${jump(2)}`, 0n, undefined, true), 107n);
  assert.equal(p.run(`call sub\nr0 += 100\nexit\nsub:\n${jump(3)}`, 0n, undefined, true), 199n);
  // The target counts the budget (it has not the verifier's word): the run's, whichever function of it calls.
  install(1, 'loop', 'r0 = 0\nr1 = 100\nloop:\nr0 += 1\nr1 -= 1\nif r1 != 0 goto loop\nexit');
  assert.equal(p.run(`call sub\nr0 += 100\nexit\nsub:\n${jump(1)}`, 0n, undefined, true), 200n);
  assert.equal(p.run(`r6 = 1\ncall sub\nr0 += r6\nexit\nsub:\ncall sub2\nexit\nsub2:\n${jump(1)}`, 0n, undefined, true), 101n);
  assert.equal(p.run(framesProg, 0n, undefined, true), 0x1234n + 0x66n + 0x77n);
  assert.equal(p.run(callInCallbackProg, 0n, undefined, true), p.run(callInCallbackProg));
  const depth = p.region(8);
  assert.equal(p.run(nestedProg(7), BigInt(depth), () => p.space.view.setBigUint64(depth, 0n, true), true), 1n);
  assert.equal(p.u64(depth), 7n);
});

test('the call chain (bpf_get_stack\'s frames) is the interpreter\'s: innermost first, across calls and callbacks', () => {
  const chains: bigint[][] = [];
  const record: HelperDef = { id: 901, name: 'record', fn: (ctx) => { chains.push(ctx.engine.callChain()); return 0n; } };
  const p = new Pair({ extra: [record] });
  const text = withCb(`
    call f
    exit
  f:
    r1 = 1
    r2 = CB ll
    r3 = 0
    r4 = 0
    call bpf_loop
    call 901
    exit
  cb:
    call 901
    call g
    r0 = 0
    exit
  g:
    call 901
    exit`);
  p.jit.load(asm(text)).run();
  const jitChains = chains.splice(0);
  p.vm.load(asm(text)).run();
  assert.deepEqual(jitChains, chains);
  assert.equal(jitChains.length, 3);
  assert.equal(jitChains[2].length, 2, 'f at its call of 901, main at its call of f');
  // Verified, g is compiled into cb, and f into main (compile.ts, inlinedCallees): the chains are the same.
  chains.splice(0);
  const verified = p.jit.load(asm(text), { verified: true });
  assert.deepEqual(verified.compiled.funcNames, ['main']);
  verified.run();
  assert.deepEqual(chains.splice(0), jitChains);
});

test('bpf_map_lookup_elem on an array runs inline; other maps, and what is not a map, go to the helper', () => {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const array = registry.create({ type: 'array', keySize: 4, valueSize: 12, maxEntries: 3 }) as ArrayMap;
  const percpu = registry.create({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 3 }) as ArrayMap;
  const hash = registry.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 3 });
  hash.update(u32Bytes(1), new Uint8Array(8).fill(9));
  const p = new Pair({ space, extra: mapHelpers(registry) });
  const lookup = (map: number, key: number) => `
    *(u32 *)(r10 - 4) = ${key}
    r1 = ${map} ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    exit`;
  const inline = p.jit.load(asm(lookup(array.address, 0)));
  assert.ok(inline.compiled.intrinsics.some((i) => i.id === 1), 'the lookup is an intrinsic');
  for (const key of [0, 1, 2, 3, -1]) assert.equal(p.run(lookup(array.address, key)), BigInt(key >>> 0 < 3 ? array.valueAddress(key) : 0));
  for (const key of [0, 2, 5]) assert.equal(p.run(lookup(percpu.address, key)), BigInt(key < 3 ? percpu.valueAddress(key) : 0));
  assert.notEqual(p.run(lookup(hash.address, 1)), 0n);
  assert.equal(p.run(lookup(hash.address, 2)), 0n);
  assert.match(p.fails(lookup(0x10, 0)).message, /^pc 5: bpf_map_lookup_elem: /);
  assert.match(p.fails(lookup(space.memory.buffer.byteLength - 8, 0)).message, /^pc 5: bpf_map_lookup_elem: /);
});
