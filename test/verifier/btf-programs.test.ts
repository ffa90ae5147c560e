/**
 * Verifier rules that need BTF or richer maps than the assembly corpus can
 * describe: spin locks (the lock's offset comes from the value's BTF), maps
 * of maps, read-only maps, bpf_loop and bpf_for_each_map_elem callbacks and global functions (both
 * need func_info). Each case has the kernel's verdict and message; ours is
 * checked against it everywhere, the kernel's where bpf(2) works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { marshalBtf, marshalFuncInfo, type Btf, type BtfType } from '../../src/btf/index.js';
import { createMap, loadBtf, verifyOnKernel, type Kernel, type KernelMap } from '../../src/kernel/index.js';
import { helperIdByName } from '../../src/platform/index.js';
import { verify, type MapDescriptor } from '../../src/verifier/index.js';
import { kernelOrSkip } from '../kernel/env.js';

/** BTF ids of the types below. */
const INT = 1, U32 = 2, PROTO_VOID = 3, PROTO_SCALARS = 4, LOCK = 5, VALUE = 6, PTR_INT = 7, PROTO_PTR = 8, FUNCS = 9;
const BPF_F_RDONLY_PROG = 1 << 7;

/** A function of the program: its name, where it starts, whether it is global, and its prototype. */
interface Func {
  name: string;
  insn: number;
  global?: boolean;
  proto?: number;
}

interface Case {
  name: string;
  text: string;
  prog?: string;
  funcs?: Func[];
  /** Maps by index (`ld_pseudo rN, 5, index`); `lock` gives the value struct value_with_lock BTF. */
  maps?: (MapDescriptor & { lock?: boolean })[];
  /** The kernel's verdict: `accept`, or its message. */
  expect: 'accept' | string;
  /** The kernel's processed-instruction count, where ours must prune as much (precision as exact as the kernel's). */
  processed?: number;
}

/**
 * r1 differs between the two paths that join before a bpf_loop call and goes
 * to the caller's fp-8; the callback copies `cbFirst`'s value to fp-16, which
 * becomes a map value offset after the loop.
 */
const callbackJoin = (cbFirst: string) => `
  call bpf_get_prandom_u32
  r9 = r0
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  ld_pseudo r1, 5, 0
  call bpf_map_lookup_elem
  if r0 == 0 goto +23
  r6 = r0
  r7 = 0
  *(u64 *)(r10 - 16) = r7
  r8 = 1
  r8 = 2
  r8 = 3
  r8 = 4
  r8 = 5
  if r9 > 4 goto +2
  r1 = 0
  goto +1
  r1 = 100
  *(u64 *)(r10 - 8) = r1
  r1 = 1
  ld_pseudo r2, 4, 10
  r3 = r10
  r3 += -8
  r4 = 0
  call bpf_loop
  r1 = *(u64 *)(r10 - 16)
  r6 += r1
  r0 = *(u8 *)(r6 + 0)
  r0 = 0
  exit
  ${cbFirst}
  *(u64 *)(r2 - 8) = r3
  r0 = 0
  exit`;

function btfOf(funcs: readonly Func[]): Btf {
  const types: BtfType[] = [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 },
    { kind: 'func_proto', name: '', returnType: INT, params: [] },
    { kind: 'func_proto', name: '', returnType: INT, params: [{ name: 'a', type: INT }, { name: 'b', type: INT }] },
    { kind: 'struct', name: 'bpf_spin_lock', size: 4, kindFlag: false, members: [{ name: 'val', type: U32, bitOffset: 0, bitfieldSize: 0 }] },
    {
      kind: 'struct', name: 'value_with_lock', size: 8, kindFlag: false,
      members: [{ name: 'lock', type: LOCK, bitOffset: 0, bitfieldSize: 0 }, { name: 'count', type: INT, bitOffset: 32, bitfieldSize: 0 }],
    },
    { kind: 'ptr', name: '', type: INT },
    { kind: 'func_proto', name: '', returnType: INT, params: [{ name: 'p', type: PTR_INT }] },
    ...funcs.map((f): BtfType => ({ kind: 'func', name: f.name, type: f.proto ?? PROTO_VOID, linkage: f.global ? 1 : 0 })),
  ];
  return { types };
}

const LOCKED: MapDescriptor & { lock: boolean } = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'locked', lock: true, spinLockOff: 0 };
const ARRAY: MapDescriptor = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, name: 'arr' };
const MAIN: Func = { name: 'main', insn: 0, global: true };

/** `r0 = lookup(map <index>, &key 0)` with the key at fp-4; `then` runs when it found one (r0 != 0). */
const lookup = (index: number, then: string) => `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  ld_pseudo r1, 5, ${index}
  call bpf_map_lookup_elem
  if r0 == 0 goto +${then.trim().split('\n').length}
  ${then.trim()}
  r0 = 0
  exit`;

/** bpf_for_each_map_elem over map 0 with the callback at insn 11 and fp-8 (zeroed) as its context; `cb` is the callback's body. */
const forEach = (cb: string) => `
  *(u64 *)(r10 - 8) = 0
  ld_pseudo r1, 5, 0
  ld_pseudo r2, 4, 7
  r3 = r10
  r3 += -8
  r4 = 0
  call bpf_for_each_map_elem
  r0 = 0
  exit
  ${cb.trim()}`;

function forEachCases(): Case[] {
  const HASH: MapDescriptor = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'h' };
  const funcs = [MAIN, { name: 'cb', insn: 11 }];
  return [
    {
      name: 'bpf_for_each_map_elem: the callback adds each value into the caller\'s stack',
      maps: [HASH], funcs, expect: 'accept',
      text: forEach('r0 = *(u64 *)(r3 + 0)\nr5 = *(u64 *)(r4 + 0)\nr5 += r0\n*(u64 *)(r4 + 0) = r5\nr0 = 0\nexit'),
    },
    {
      name: 'bpf_for_each_map_elem: the value pointer is bounded by value_size',
      maps: [HASH], funcs, expect: 'invalid access to map value, value_size=8 off=8 size=8\nR3 min value is outside of the allowed memory range',
      text: forEach('r0 = *(u64 *)(r3 + 8)\nr0 = 0\nexit'),
    },
    {
      name: 'bpf_for_each_map_elem: the key pointer is bounded by key_size',
      maps: [HASH], funcs, expect: 'invalid access to map key, key_size=4 off=0 size=8\nR2 min value is outside of the allowed memory range',
      text: forEach('r0 = *(u64 *)(r2 + 0)\nr0 = 0\nexit'),
    },
    {
      name: 'bpf_for_each_map_elem: an array\'s callback stops the walk with 1',
      maps: [ARRAY], funcs, expect: 'accept',
      text: forEach('r0 = *(u32 *)(r2 + 0)\nr0 &= 1\nexit'),
    },
    {
      name: 'bpf_for_each_map_elem: a callback returning 2',
      maps: [HASH], funcs, expect: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]',
      text: forEach('r0 = 2\nexit'),
    },
    {
      name: 'bpf_for_each_map_elem: a NULL context reaches the callback as a scalar',
      maps: [HASH], funcs, expect: 'R4 invalid mem access \'scalar\'',
      text: forEach('r0 = *(u64 *)(r4 + 0)\nr0 = 0\nexit').replace('r3 = r10\n  r3 += -8', 'r3 = 0\n  r3 += 0'),
    },
  ];
}

const CASES: Case[] = [
  {
    name: 'spin lock: a socket filter may not use a map that holds one',
    maps: [LOCKED], funcs: [MAIN], expect: 'socket filter progs cannot use bpf_spin_lock yet',
    text: lookup(0, 'r1 = r0\ncall bpf_spin_lock\nr1 = r0\ncall bpf_spin_unlock'),
  },
  {
    name: 'spin lock: lock, update the value, unlock',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'accept',
    text: lookup(0, 'r6 = r0\nr1 = r6\ncall bpf_spin_lock\nr2 = *(u32 *)(r6 + 4)\nr2 += 1\n*(u32 *)(r6 + 4) = r2\nr1 = r6\ncall bpf_spin_unlock'),
  },
  {
    name: 'spin lock: exit while holding it',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region',
    text: lookup(0, 'r1 = r0\ncall bpf_spin_lock'),
  },
  {
    name: 'spin lock: a helper call while holding it',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'function calls are not allowed while holding a lock',
    text: lookup(0, 'r6 = r0\nr1 = r0\ncall bpf_spin_lock\ncall bpf_get_prandom_u32\nr1 = r6\ncall bpf_spin_unlock'),
  },
  {
    name: 'spin lock: the lock itself read as data',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'bpf_spin_lock cannot be accessed directly by load/store',
    text: lookup(0, 'r1 = *(u32 *)(r0 + 0)'),
  },
  {
    name: 'spin lock: a pointer to another member',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'off 4 doesn\'t point to \'struct bpf_spin_lock\' that is at 0',
    text: lookup(0, 'r1 = r0\nr1 += 4\ncall bpf_spin_lock'),
  },
  {
    name: 'spin lock: unlock without lock',
    prog: 'sched_cls', maps: [LOCKED], funcs: [MAIN], expect: 'bpf_spin_unlock without taking a lock',
    text: lookup(0, 'r1 = r0\ncall bpf_spin_unlock'),
  },
  {
    name: 'map of maps: a lookup in the inner map the outer one returned',
    maps: [{ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, name: 'outer', innerMap: ARRAY }], expect: 'accept',
    text: lookup(0, 'r1 = r0\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem'),
  },
  {
    name: 'map of maps: the inner map before the NULL check',
    maps: [{ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, name: 'outer', innerMap: ARRAY }],
    expect: 'R1 type=map_value_or_null expected=map_ptr',
    text: '*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall bpf_map_lookup_elem\nr1 = r0\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem\nr0 = 0\nexit',
  },
  {
    name: 'read-only map: a store into its value',
    maps: [{ ...ARRAY, flags: BPF_F_RDONLY_PROG }], expect: 'write into map forbidden, value_size=8 off=0 size=4',
    text: lookup(0, '*(u32 *)(r0 + 0) = 1'),
  },
  {
    name: 'read-only map: a load from its value',
    maps: [{ ...ARRAY, flags: BPF_F_RDONLY_PROG }], expect: 'accept',
    text: lookup(0, 'r1 = *(u32 *)(r0 + 0)'),
  },
  {
    name: 'frozen read-only map: its constants decide a branch, the dead side is not walked',
    maps: [{ ...ARRAY, maxEntries: 1, flags: BPF_F_RDONLY_PROG, frozenValue: Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0) }], expect: 'accept',
    text: lookup(0, 'r1 = *(u32 *)(r0 + 0)\nif r1 < 4 goto +1\nr0 = *(u8 *)(r1 + 0)'),
  },
  {
    name: 'read-only map that is not frozen: its values are unknown',
    maps: [{ ...ARRAY, flags: BPF_F_RDONLY_PROG }], expect: 'R1 invalid mem access \'scalar\'',
    text: lookup(0, 'r1 = *(u32 *)(r0 + 0)\nif r1 < 4 goto +1\nr0 = *(u8 *)(r1 + 0)'),
  },
  {
    name: 'array lookup with a constant key below max_entries (a spill at the slot\'s start): never NULL',
    maps: [ARRAY], expect: 'accept',
    text: 'r1 = 3\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nld_pseudo r1, 5, 0\ncall bpf_map_lookup_elem\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'array lookup with a key stored as an immediate: a constant only when zero, so this may be NULL',
    maps: [ARRAY], expect: 'R0 invalid mem access \'map_value_or_null\'',
    text: '*(u32 *)(r10 - 4) = 3\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall bpf_map_lookup_elem\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'array lookup with a constant key past max_entries: may be NULL',
    maps: [ARRAY], expect: 'R0 invalid mem access \'map_value_or_null\'',
    text: 'r1 = 4\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nld_pseudo r1, 5, 0\ncall bpf_map_lookup_elem\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit',
  },
  {
    name: 'bpf_loop: a static callback that sums into the caller\'s stack',
    funcs: [MAIN, { name: 'cb', insn: 10 }], expect: 'accept',
    text: `
      *(u64 *)(r10 - 8) = 0
      r1 = 4
      ld_pseudo r2, 4, 7
      r3 = r10
      r3 += -8
      r4 = 0
      call bpf_loop
      r0 = 0
      exit
      r0 = *(u64 *)(r2 + 0)
      r0 += r1
      *(u64 *)(r2 + 0) = r0
      r0 = 0
      exit`,
  },
  {
    name: 'bpf_loop: a precise scalar flows out of the callback through the caller\'s stack (the walk enters the callback\'s frame)',
    funcs: [MAIN, { name: 'cb', insn: 35 }], maps: [ARRAY], processed: 58,
    expect: 'invalid access to map value, value_size=8 off=100 size=1\nR6 min value is outside of the allowed memory range',
    text: callbackJoin('r3 = *(u64 *)(r2 + 0)'),
  },
  {
    name: 'bpf_loop: the callback stores a constant, so the scalar before the loop stays imprecise and the second path is pruned',
    funcs: [MAIN, { name: 'cb', insn: 35 }], maps: [ARRAY], processed: 44, expect: 'accept',
    text: callbackJoin('r3 = 4'),
  },
  {
    name: 'bpf_loop: a global callback',
    funcs: [MAIN, { name: 'cb', insn: 8, global: true }], expect: 'callback function not static',
    text: 'r1 = 4\nld_pseudo r2, 4, 6\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = 0\nexit\nr0 = 0\nexit',
  },
  {
    name: 'bpf_loop: a callback returning 2',
    funcs: [MAIN, { name: 'cb', insn: 8 }], expect: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]',
    text: 'r1 = 4\nld_pseudo r2, 4, 6\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = 0\nexit\nr0 = 2\nexit',
  },
  ...forEachCases(),
  {
    name: 'global function: scalars in, a scalar out, verified on its own',
    funcs: [MAIN, { name: 'add', insn: 5, global: true, proto: PROTO_SCALARS }], expect: 'accept',
    text: 'r1 = 1\nr2 = 2\ncall pc+2\nr0 = 0\nexit\nr0 = r1\nr0 += r2\nexit',
  },
  {
    name: 'global function: a pointer where it takes a scalar',
    funcs: [MAIN, { name: 'add', insn: 5, global: true, proto: PROTO_SCALARS }],
    expect: 'R1 is not a scalar\nCaller passes invalid args into func#1 (\'add\')',
    text: 'r1 = r10\nr2 = 2\ncall pc+2\nr0 = 0\nexit\nr0 = r1\nr0 += r2\nexit',
  },
  {
    name: 'global function: its pointer argument may be NULL',
    funcs: [MAIN, { name: 'deref', insn: 6, global: true, proto: PROTO_PTR }], expect: 'R1 invalid mem access \'mem_or_null\'',
    text: '*(u32 *)(r10 - 4) = 0\nr1 = r10\nr1 += -4\ncall pc+2\nr0 = 0\nexit\nr0 = *(u32 *)(r1 + 0)\nexit',
  },
  {
    name: 'global function: its pointer argument after a NULL check',
    funcs: [MAIN, { name: 'deref', insn: 6, global: true, proto: PROTO_PTR }], expect: 'accept',
    text: '*(u32 *)(r10 - 4) = 0\nr1 = r10\nr1 += -4\ncall pc+2\nr0 = 0\nexit\nr0 = 0\nif r1 == 0 goto +1\nr0 = *(u32 *)(r1 + 0)\nexit',
  },
  {
    name: 'global function: too small a buffer for its argument',
    funcs: [MAIN, { name: 'deref', insn: 5, global: true, proto: PROTO_PTR }],
    expect: 'invalid read from stack R1 off=-2 size=4\nCaller passes invalid args into func#1 (\'deref\')',
    text: '*(u16 *)(r10 - 2) = 0\nr1 = r10\nr1 += -2\ncall pc+1\nexit\nr0 = 0\nexit',
  },
];

const insnsOf = (c: Case) => assemble(c.text, { helperId: helperIdByName });
const funcInfo = (c: Case) => (c.funcs ?? []).map((f, i) => ({ insnOff: f.insn, typeId: FUNCS + i }));

function ours(c: Case): { verdict: string; processed: number } {
  const r = verify(insnsOf(c), {
    progType: c.prog ?? 'socket_filter', maps: c.maps, logLevel: 1,
    ...(c.funcs ? { btf: btfOf(c.funcs), funcInfo: funcInfo(c) } : {}),
  });
  return { verdict: r.accepted ? 'accept' : r.error!.message, processed: r.processedInsns };
}

for (const c of CASES) {
  test(`${c.name}: ours`, () => {
    const r = ours(c);
    assert.equal(r.verdict, c.expect);
    if (c.processed !== undefined) assert.equal(r.processed, c.processed, 'processed insns');
  });
}

/** The kernel's verdict, its maps created with BTF where the case wants a spin lock. */
function kernelVerdict(kernel: Kernel, c: Case): { verdict: string; processed: number } {
  const btf = loadBtf(kernel, marshalBtf(btfOf(c.funcs ?? [])).bytes);
  const maps: KernelMap[] = [];
  try {
    for (const m of c.maps ?? []) {
      const inner = m.innerMap ? createMap(kernel, { type: m.innerMap.type, keySize: m.innerMap.keySize, valueSize: m.innerMap.valueSize, maxEntries: m.innerMap.maxEntries }) : undefined;
      maps.push(createMap(kernel, {
        type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, innerMapFd: inner?.fd.value,
        ...(m.lock ? { btfFd: btf.fd.value, btfKeyTypeId: U32, btfValueTypeId: VALUE } : {}),
      }));
      inner?.close();
      if (m.frozenValue) {
        maps.at(-1)!.update(new Uint8Array(4), m.frozenValue);
        maps.at(-1)!.freeze();
      }
    }
    const fi = funcInfo(c);
    const v = verifyOnKernel(kernel, insnsOf(c), {
      type: c.prog ?? 'socket_filter', logLevel: 1, fdArray: maps.map((m) => m.fd.value),
      ...(fi.length ? { btfFd: btf.fd.value, funcInfo: { recSize: 8, count: fi.length, bytes: marshalFuncInfo(fi) } } : {}),
    });
    return { verdict: v.accepted ? 'accept' : v.error!.message, processed: v.processedInsns };
  } finally {
    for (const m of maps) m.close();
    btf.close();
  }
}

test('the kernel agrees with every case', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const diffs = CASES.map((c) => {
    const k = kernelVerdict(kernel, c);
    return [c.name, k.verdict, c.expect, c.processed === undefined ? '' : `processed ${k.processed}, case ${c.processed}`];
  }).filter(([, k, e, p]) => k !== e || /processed (\d+), case (?!\1$)/.test(p));
  assert.deepEqual(diffs, []);
});
