/**
 * Helper prototypes against the running kernel. For every prototype some
 * described program type gets, a call built from the prototype (see
 * proto-program.ts) must load, and R0 after it must have the type our
 * return type says. Then one argument at a time is changed, and the kernel
 * must accept or refuse the call as the argument's flags say:
 *   - NULL: accepted only with PTR_MAYBE_NULL;
 *   - a pointer into a read-only map: refused only with MEM_WRITE;
 *   - a zero size: accepted only for ARG_CONST_SIZE_OR_ZERO and allocation sizes;
 *   - a packet pointer for memory: accepted only with pkt_access;
 *   - the call from a program that is not GPL: refused only when gpl_only;
 *   - the call from a program that may not sleep: refused only when might_sleep.
 * (MEM_UNINIT cannot be seen this way: a program loaded with CAP_PERFMON may
 * read stack it never wrote, so unwritten memory passes either way.)
 * Every helper that takes a map is called with a map of every type, and the
 * kernel refuses exactly the types check_map_func_compatibility refuses by
 * our tables; and each type may refer to exactly the maps
 * check_map_prog_compatibility allows by our description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { marshalBtf, BTF_INT_SIGNED, type BtfType } from '../../src/btf/index.js';
import { BPF_PSEUDO_MAP_FD } from '../../src/isa/index.js';
import {
  createMap, loadBtf, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, type Kernel, type KernelMap, type KernelVerifyOptions, type MapCreateOptions,
} from '../../src/kernel/index.js';
import {
  BPF_MAP_TYPE, HELPER_PROTOS, PROG_OWNER_MAP_TYPES, PROGRAM_TYPES, allowedHelpers, mapFuncCompatible, mapProgCompatible, type BpfFuncProto, type HelperArg,
  type MapTypeName, type ProgTypeName,
} from '../../src/platform/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import {
  EXIT, I, MOV, btfTargets, exitValue, kernelFacts, offered, plainTargets, reason, targetName, verify, vmlinuxBtf, type KernelFacts, type LoadTarget,
} from './oracle.js';
import { buildCall, mapsUsed, type Built, type Resources, type Variant } from './proto-program.js';

/** Where to try a prototype first: types whose contexts hold sockets, then the rest. */
const PREFERENCE: readonly ProgTypeName[] = [
  'SCHED_CLS', 'XDP', 'SOCKET_FILTER', 'CGROUP_SKB', 'SK_SKB', 'SK_MSG', 'CGROUP_SOCK_ADDR', 'FLOW_DISSECTOR', 'KPROBE',
  'TRACEPOINT', 'PERF_EVENT', 'RAW_TRACEPOINT', 'TRACING', 'SYSCALL', 'SCHED_ACT', 'LSM', 'CGROUP_SOCK', 'SOCK_OPS', 'SK_LOOKUP', 'NETFILTER',
];

/** The loadable targets that offer `p`, the one that suits it best first. */
function targetsFor(p: BpfFuncProto, facts: KernelFacts, res: Resources): LoadTarget[] {
  const targets = Object.values(PROGRAM_TYPES)
    .flatMap((spec) => [...plainTargets(spec), ...btfTargets(spec)])
    .filter((t) => allowedHelpers(t.spec, t.attachType).some((h) => h.proto === p.name && offered(h, facts) === true))
    .filter((t) => mapsUsed(p, t, res).every((m) => mapProgCompatible(t.spec, m.type, m)));
  const rank = (t: LoadTarget) => (p.mightSleep && !sleepable(t) ? 100 : 0) + PREFERENCE.indexOf(t.spec.name);
  return targets.sort((a, b) => rank(a) - rank(b));
}

const sleepable = (t: LoadTarget) => t.spec.loadFlags !== 0;

/** How the verifier refuses a call the prototype's `allowed` hook rules out. */
const NOT_ALLOWED = /not allowed|not supported for program type|supported only for/;

/** Whether the prototype's `allowed` hook rules out calls from this target. */
const ruledOut = (p: BpfFuncProto, t: LoadTarget) => !!p.allowed && !(t.attachType && p.allowed.attachTypes.includes(t.attachType));

/** The verdict our description expects for the call our prototype describes. */
function checkLoad(p: BpfFuncProto, t: LoadTarget, accepted: boolean, why: string): string | undefined {
  const where = `${p.name} in ${targetName(t)}`;
  if (p.mightSleep && !sleepable(t)) return accepted || !/might sleep/.test(why) ? `${where}: a helper that might sleep, in a program that may not, ${accepted ? 'is accepted' : `is rejected: ${why}`}` : undefined;
  if (ruledOut(p, t)) return accepted || !NOT_ALLOWED.test(why) ? `${where}: our allowed hook rules the call out, the kernel ${accepted ? 'accepts it' : `says ${why}`}` : undefined;
  return accepted ? undefined : `${where}: the call our prototype describes is rejected: ${why}`;
}

/** How the verifier log prints R0 after a call returning this type. */
function retPattern(p: BpfFuncProto): RegExp | null {
  const r = p.ret;
  const f = (x: string) => (r.flags as readonly string[]).includes(x);
  const orNull = f('PTR_MAYBE_NULL') ? '_or_null' : '';
  switch (r.type) {
    case 'RET_INTEGER': return /^(scalar|-?\d)/;
    case 'RET_VOID': return null;
    case 'RET_PTR_TO_MAP_VALUE': return new RegExp(`^map_value${orNull}\\(`);
    case 'RET_PTR_TO_SOCKET': return new RegExp(`^sock${orNull}\\(`);
    case 'RET_PTR_TO_TCP_SOCK': return new RegExp(`^tcp_sock${orNull}\\(`);
    case 'RET_PTR_TO_SOCK_COMMON': return new RegExp(`^sock_common${orNull}\\(`);
    case 'RET_PTR_TO_MEM': return new RegExp(`^${f('MEM_RDONLY') ? 'rdonly_' : ''}${f('MEM_RINGBUF') ? 'ringbuf_' : ''}mem${orNull}\\(`);
    case 'RET_PTR_TO_MEM_OR_BTF_ID': return new RegExp(`^rdonly_mem${orNull}\\(`);
    case 'RET_PTR_TO_BTF_ID': return new RegExp(`^${f('PTR_TRUSTED') ? 'trusted_' : ''}ptr${orNull}_${r.btfStruct ?? '\\w+'}\\(`);
  }
}

/** R0 after the call at `index`: on its line, or on a state line printed before the next instruction. */
function r0After(log: string, index: number): string | undefined {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${index}: (85) call`));
  if (at < 0) return undefined;
  const r0 = (l: string) => /R0(?:_w)?=(\S+)/.exec(l)?.[1];
  if (lines[at].includes(' R0')) return r0(lines[at]);
  for (const l of lines.slice(at + 1)) {
    if (/^\d+: \(/.test(l)) return undefined;
    if (l.startsWith(`${index + 1}: R`)) return r0(l);
  }
  return undefined;
}

const has = (a: HelperArg, f: string) => (a.flags as readonly string[]).includes(f);
const isMem = (a: HelperArg) => a.type === 'ARG_PTR_TO_MEM' || a.type === 'ARG_PTR_TO_MAP_KEY' || a.type === 'ARG_PTR_TO_MAP_VALUE';
const NULLABLE_KINDS = new Set([
  'ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_STACK', 'ARG_PTR_TO_FUNC',
  'ARG_PTR_TO_CONST_STR', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_SPIN_LOCK', 'ARG_PTR_TO_TIMER', 'ARG_PTR_TO_SOCK_COMMON',
  'ARG_PTR_TO_SOCKET', 'ARG_PTR_TO_RINGBUF_MEM', 'ARG_PTR_TO_DYNPTR', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_BTF_ID',
]);

/** The changed calls to try for a prototype, each with whether our flags say the kernel accepts it. */
function variants(p: BpfFuncProto): { variant: Variant; accepted: boolean; why: string }[] {
  const out: { variant: Variant; accepted: boolean; why: string }[] = [];
  p.args.forEach((a, k) => {
    const arg = k + 1;
    const next = p.args[k + 1];
    const sizedByNext = isMem(a) && !!next && (next.type === 'ARG_CONST_SIZE' || next.type === 'ARG_CONST_SIZE_OR_ZERO');
    if (NULLABLE_KINDS.has(a.type) && !(has(a, 'PTR_MAYBE_NULL') && (a.type === 'ARG_PTR_TO_BTF_ID' || a.type === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'))) {
      const ok = has(a, 'PTR_MAYBE_NULL') && (!sizedByNext || next.type === 'ARG_CONST_SIZE_OR_ZERO');
      out.push({ variant: { kind: 'null', arg }, accepted: ok, why: `arg${arg} NULL` });
    }
    const stackMem = isMem(a) && p.helper !== 'bpf_dynptr_from_mem';
    if (stackMem && a.type !== 'ARG_PTR_TO_MAP_KEY') out.push({ variant: { kind: 'rdonly', arg }, accepted: !has(a, 'MEM_WRITE'), why: `arg${arg} in a read-only map` });
    if (stackMem && !has(a, 'MEM_FIXED_SIZE')) out.push({ variant: { kind: 'packet', arg }, accepted: p.pktAccess, why: `arg${arg} in the packet` });
    if (a.type === 'ARG_CONST_SIZE' || a.type === 'ARG_CONST_SIZE_OR_ZERO' || a.type === 'ARG_CONST_ALLOC_SIZE_OR_ZERO') {
      out.push({ variant: { kind: 'zero', arg }, accepted: a.type !== 'ARG_CONST_SIZE', why: `arg${arg} zero` });
    }
  });
  return out;
}

/** How to create a small map of each type we test against (key 4, value 8, one entry unless said). */
function mapOptions(type: MapTypeName, btfFd: number, innerFd: number): Partial<MapCreateOptions> {
  const word = ['PROG_ARRAY', 'PERF_EVENT_ARRAY', 'CGROUP_ARRAY', 'DEVMAP', 'DEVMAP_HASH', 'CPUMAP', 'XSKMAP', 'SOCKMAP', 'SOCKHASH', 'REUSEPORT_SOCKARRAY'];
  if (word.includes(type)) return { valueSize: 4 };
  switch (type) {
    case 'LPM_TRIE': return { keySize: 8, flags: BPF_F_NO_PREALLOC };
    case 'CGROUP_STORAGE': case 'PERCPU_CGROUP_STORAGE': return { keySize: 8, maxEntries: 0 };
    case 'QUEUE': case 'STACK': case 'BLOOM_FILTER': return { keySize: 0 };
    case 'RINGBUF': case 'USER_RINGBUF': return { keySize: 0, valueSize: 0, maxEntries: 4096 };
    case 'ARRAY_OF_MAPS': case 'HASH_OF_MAPS': return { valueSize: 4, innerMapFd: innerFd };
    case 'SK_STORAGE': case 'INODE_STORAGE': case 'TASK_STORAGE': case 'CGRP_STORAGE':
      return { maxEntries: 0, flags: BPF_F_NO_PREALLOC, btfFd, btfKeyTypeId: 1, btfValueTypeId: 7 };
    default: return {};
  }
}

/**
 * [1] int, [2] bpf_spin_lock, [3] u64, [4] u64[2], [5] bpf_timer, [6] struct val { cnt; lock; timer },
 * [7] struct st { a; b }, [8] int (void), [9] func main, [10] func cb, [11] struct lk { cnt; lock },
 * [12] struct tm { timer }: map values and the func_info callbacks need.
 */
function testBtf(): Uint8Array {
  const int = (name: string, size: number, encoding: number): BtfType => ({ kind: 'int', name, size, encoding, bitOffset: 0, bits: size * 8 });
  const member = (name: string, type: number, bitOffset: number) => ({ name, type, bitOffset, bitfieldSize: 0 });
  const struct = (name: string, size: number, members: ReturnType<typeof member>[]): BtfType => ({ kind: 'struct', name, size, kindFlag: false, members });
  return marshalBtf({
    types: [
      { kind: 'void', name: '' },
      int('int', 4, BTF_INT_SIGNED),
      struct('bpf_spin_lock', 4, [member('val', 1, 0)]),
      int('long long unsigned int', 8, 0),
      { kind: 'array', name: '', type: 3, indexType: 1, nelems: 2 },
      struct('bpf_timer', 16, [member('__opaque', 4, 0)]),
      struct('val', 24, [member('cnt', 1, 0), member('lock', 2, 32), member('timer', 5, 64)]),
      struct('st', 8, [member('a', 1, 0), member('b', 1, 32)]),
      { kind: 'func_proto', name: '', returnType: 1, params: [] },
      { kind: 'func', name: 'main', type: 8, linkage: 0 },
      { kind: 'func', name: 'cb', type: 8, linkage: 0 },
      struct('lk', 8, [member('cnt', 1, 0), member('lock', 2, 32)]),
      struct('tm', 16, [member('timer', 5, 0)]),
    ],
  }).bytes;
}

/** Create the maps and objects the calls refer to; `close` releases them. */
/** A per-CPU variable the kernel can resolve as a ksym: in vmlinux BTF and in kallsyms (which lists data only with CONFIG_KALLSYMS_ALL). */
function percpuVar(): number | undefined {
  const data = new Set(readFileSync('/proc/kallsyms', 'utf8').split('\n').filter((l) => / [dDbB] /.test(l)).map((l) => l.split(' ')[2]));
  const btf = vmlinuxBtf();
  const id = btf.types.findIndex((x) => x.kind === 'var' && data.has(x.name));
  return id > 0 ? id : undefined;
}

function resources(kernel: Kernel): Resources & { close(): void; skipped: string[]; btf: number; lockOnly: number; timerOnly: number } {
  const held: { close(): void }[] = [];
  const keep = <T extends { close(): void }>(x: T) => (held.push(x), x);
  const btf = keep(loadBtf(kernel, testBtf()));
  const inner = keep(createMap(kernel, { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1 }));
  const maps = new Map<MapTypeName, number>();
  const skipped: string[] = [];
  for (const name of Object.keys(BPF_MAP_TYPE) as MapTypeName[]) {
    if (name === 'UNSPEC' || name === 'STRUCT_OPS' || name === 'ARENA') continue;
    try {
      const m: KernelMap = keep(createMap(kernel, { type: BPF_MAP_TYPE[name], keySize: 4, valueSize: 8, maxEntries: 1, ...mapOptions(name, btf.fd.value, inner.fd.value) }));
      maps.set(name, m.fd.value);
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  const lockMap = keep(createMap(kernel, { type: 'array', keySize: 4, valueSize: 24, maxEntries: 1, btfFd: btf.fd.value, btfKeyTypeId: 1, btfValueTypeId: 6 }));
  const rodata = keep(createMap(kernel, { type: 'array', keySize: 4, valueSize: 64, maxEntries: 1, flags: BPF_F_RDONLY_PROG }));
  // An empty string: a format that takes any number of arguments, and a constant string.
  rodata.update(new Uint8Array(4), new Uint8Array(64));
  rodata.freeze();
  const values = keep(createMap(kernel, { type: 'array', keySize: 4, valueSize: 64, maxEntries: 1 }));
  const withBtf = (valueSize: number, btfValueTypeId: number) =>
    keep(createMap(kernel, { type: 'array', keySize: 4, valueSize, maxEntries: 1, btfFd: btf.fd.value, btfKeyTypeId: 1, btfValueTypeId })).fd.value;
  return {
    maps, lockMap: lockMap.fd.value, rodata: rodata.fd.value, values: values.fd.value, percpuVar: percpuVar(), skipped, btf: btf.fd.value,
    lockOnly: withBtf(8, 11), timerOnly: withBtf(16, 12),
    close: () => { for (const h of held.reverse()) h.close(); },
  };
}

/** BTF func_info for a program with a callback subprogram (the verifier wants it for callbacks). */
function funcInfo(b: Built, btfFd: number): Partial<KernelVerifyOptions> {
  if (b.callback === undefined) return {};
  const bytes = new Uint8Array(new Uint32Array([0, 9, b.callback, 10]).buffer);
  return { btfFd, funcInfo: { recSize: 8, count: 2, bytes } };
}

interface Tested {
  proto: BpfFuncProto;
  target: LoadTarget;
}

test('helper prototypes: calls built from them load, R0 has their return type, and each argument\'s flags hold', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const facts = kernelFacts();
  const res = resources(kernel);
  t.after(() => res.close());
  const failures: string[] = [];
  const skipped: string[] = [];
  const tested: Tested[] = [];
  let variantsRun = 0;
  let alsoLoaded = 0;
  for (const proto of Object.values(HELPER_PROTOS)) {
    const [target, ...others] = targetsFor(proto, facts, res);
    if (!target) {
      skipped.push(`${proto.name}: no program type this kernel loads offers it`);
      continue;
    }
    const built = buildCall(proto, target, res, { kind: 'positive' });
    if (typeof built === 'string') {
      skipped.push(`${proto.name}: ${built}`);
      continue;
    }
    const v = verify(kernel, target, built.insns, { logLevel: 2, ...funcInfo(built, res.btf) });
    const where = `${proto.name} in ${targetName(target)}`;
    // The same call in every other type that gets this prototype, and in each attach type where the allowed hook decides
    // (tail calls need a fresh program array: it binds to its first caller's type).
    const seen = new Set([target.spec.name]);
    for (const other of others.filter((o) => proto.allowed || (!seen.has(o.spec.name) && seen.add(o.spec.name)))) {
      using progArray = proto.helper === 'bpf_tail_call' ? createMap(kernel, { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1 }) : undefined;
      const b = buildCall(proto, other, res, { kind: 'positive' }, { fd: progArray?.fd.value });
      if (typeof b === 'string') continue;
      const r = verify(kernel, other, b.insns, funcInfo(b, res.btf));
      alsoLoaded++;
      const f = checkLoad(proto, other, r.accepted, reason(r));
      if (f) failures.push(f);
    }
    const f = checkLoad(proto, target, v.accepted, reason(v));
    if (f) failures.push(f);
    if (!v.accepted) {
      if (!f) skipped.push(`${proto.name}: only for ${proto.allowed!.attachTypes.join(', ').toLowerCase()}`);
      continue;
    }
    tested.push({ proto, target });
    const pattern = retPattern(proto);
    const r0 = r0After(v.log, built.call);
    if (pattern ? !r0 || !pattern.test(r0) : r0 !== undefined) failures.push(`${where}: R0 after the call is ${r0 ?? 'not set'}, we say ${proto.ret.type} ${proto.ret.flags.join('|')}`);
    // gpl_only: the same call from a program that is not GPL.
    const mit = verify(kernel, target, built.insns, { ...funcInfo(built, res.btf), license: 'MIT' });
    variantsRun++;
    if (mit.accepted === proto.gplOnly) failures.push(`${where}: a non-GPL program's call is ${mit.accepted ? 'accepted' : `rejected (${reason(mit)})`}, we say gpl_only ${proto.gplOnly}`);
    for (const { variant, accepted, why } of variants(proto)) {
      const b = buildCall(proto, target, res, variant);
      if (typeof b === 'string') continue;
      const r = verify(kernel, target, b.insns, funcInfo(b, res.btf));
      variantsRun++;
      if (r.accepted !== accepted) failures.push(`${where}, ${why}: the kernel ${r.accepted ? 'accepts' : `rejects (${reason(r)})`}, our flags say it ${accepted ? 'accepts' : 'rejects'}`);
      else if (!r.accepted && r.error?.insn !== b.call) failures.push(`${where}, ${why}: rejected elsewhere than the call: insn ${r.error?.insn}: ${reason(r)}`);
    }
  }
  t.diagnostic(`${tested.length} prototypes loaded (and ${alsoLoaded} times in other types), ${variantsRun} argument variants; not built: ${skipped.length}`);
  for (const s of [...skipped, ...res.skipped]) t.diagnostic(`  ${s}`);
  assert.ok(tested.length >= 120, `most prototypes are checked (${tested.length})`);
  assert.deepEqual(failures, []);

  const compat: string[] = [];
  let definite = 0;
  let undecided = 0;
  for (const { proto, target } of tested) {
    if (!proto.args.some((a) => a.type === 'ARG_CONST_MAP_PTR') || proto.args.some((a) => a.type === 'ARG_PTR_TO_TIMER')) continue;
    for (const mapType of [...res.maps.keys()].filter((m) => mapProgCompatible(target.spec, m))) {
      const b = buildCall(proto, target, res, { kind: 'positive' }, { type: mapType });
      assert.ok(typeof b !== 'string');
      const r = verify(kernel, target, b.insns, funcInfo(b, res.btf));
      const refused = /cannot pass map_type \d+ into func/.test(r.log);
      // A rejection at the call for another reason says nothing about the map type.
      if (!r.accepted && !refused && r.error?.insn === b.call) {
        undecided++;
        continue;
      }
      definite++;
      const ours = mapFuncCompatible(proto.helper, mapType, target.spec.name, target.attachType);
      if (ours === refused) compat.push(`${proto.name} in ${targetName(target)} with ${mapType}: the kernel ${refused ? 'refuses' : 'takes'} it, we say it ${ours ? 'takes' : 'refuses'} it`);
    }
  }
  t.diagnostic(`${definite} helper and map type pairs decided, ${undecided} refused at the call for another reason`);
  assert.ok(definite > 300);
  assert.deepEqual(compat, []);
});

test('map use: each type may refer to the map types, and to maps with spin locks and timers, that we say', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const res = resources(kernel);
  t.after(() => res.close());
  const maps: { name: string; type: MapTypeName; fd: number; spinLock?: boolean; timer?: boolean }[] = [
    ...[...res.maps].filter(([type]) => !PROG_OWNER_MAP_TYPES.includes(type)).map(([type, fd]) => ({ name: type, type, fd })),
    { name: 'ARRAY with a bpf_spin_lock', type: 'ARRAY', fd: res.lockOnly, spinLock: true },
    { name: 'ARRAY with a bpf_timer', type: 'ARRAY', fd: res.timerOnly, timer: true },
  ];
  const failures: string[] = [];
  for (const spec of Object.values(PROGRAM_TYPES)) {
    const target = spec.attachBtf ? btfTargets(spec)[0] : plainTargets(spec)[0];
    if (!target) continue;
    const fresh = PROG_OWNER_MAP_TYPES.map((type) => createMap(kernel, { type: BPF_MAP_TYPE[type], keySize: 4, valueSize: 4, maxEntries: 1 }));
    try {
      const all: typeof maps = [...maps, ...fresh.map((f, i) => ({ name: PROG_OWNER_MAP_TYPES[i], type: PROG_OWNER_MAP_TYPES[i], fd: f.fd.value }))];
      for (const m of all) {
        const v = verify(kernel, target, [I(0x18, 1, BPF_PSEUDO_MAP_FD, 0, m.fd), I(0), MOV(0, exitValue(target)), EXIT]);
        const ours = mapProgCompatible(spec, m.type, m);
        if (v.accepted !== ours) failures.push(`${targetName(target)} referring to ${m.name}: the kernel ${v.accepted ? 'accepts' : `rejects (${reason(v)})`}, we say it ${ours ? 'may' : 'may not'}`);
      }
    } finally {
      for (const f of fresh) f.close();
    }
  }
  assert.deepEqual(failures, []);
});
