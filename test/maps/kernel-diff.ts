/**
 * The differential harness for maps: the same random sequence of commands
 * on one of our maps and on a kernel map created with the same attributes,
 * compared command by command (results and errno names), then the final
 * contents. Both sides run on CPU 0 (the thread is pinned), which makes
 * the kernel's LRU evictions deterministic.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { ATTR, KernelError, createMap, type Kernel, type KernelMap } from '../../src/kernel/index.js';
import { BPF_MAP_TYPE, mapTypeName } from '../../src/platform/index.js';
import { MapError, type BloomFilterMap, type BpfMap, type MapCreateAttr, type MapRegistry } from '../../src/maps/index.js';

const T = BPF_MAP_TYPE;

/** Pin the calling thread to CPU 0, so the kernel's per-CPU LRU lists are CPU 0's as ours are. */
export function pinToCpu0(): void {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi').default;
  const setAffinity = koffi.load('libc.so.6').func('int sched_setaffinity(int pid, size_t len, const uint8_t *mask)');
  const mask = new Uint8Array(128);
  mask[0] = 1;
  if (setAffinity(0, mask.length, mask) !== 0) throw new Error('sched_setaffinity failed');
}

export interface MapCase {
  type: number;
  /** For maps of maps: the inner maps' type. */
  inner?: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra?: bigint;
}

export type Op =
  | { op: 'update'; key?: Uint8Array; value: Uint8Array; flags: number }
  | { op: 'updateInner'; key: Uint8Array; inner: number; flags: number }
  | { op: 'lookup'; key?: Uint8Array; flags: number }
  | { op: 'has'; value: Uint8Array }
  | { op: 'delete'; key?: Uint8Array }
  | { op: 'nextKey'; key?: Uint8Array }
  | { op: 'lookupAndDelete'; key?: Uint8Array; flags: number }
  | { op: 'lookupBatch' | 'lookupAndDeleteBatch'; count: number; restart: boolean; elemFlags: number }
  | { op: 'updateBatch'; keys: Uint8Array[]; values: Uint8Array[]; elemFlags: number }
  | { op: 'deleteBatch'; keys: Uint8Array[] }
  | { op: 'freeze' };

/** How many commands of each kind a run compared. */
export type OpCounts = Record<string, number>;

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '-');
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

const isKeyless = (t: number) => t === T.QUEUE || t === T.STACK || t === T.BLOOM_FILTER || t === T.RINGBUF;
const isMapInMap = (t: number) => t === T.ARRAY_OF_MAPS || t === T.HASH_OF_MAPS;
const isPerCpu = (t: number) => t === T.PERCPU_ARRAY || t === T.PERCPU_HASH || t === T.LRU_PERCPU_HASH;

/** One side of the comparison: runs a command and says what happened, as text. */
interface Side {
  run(op: Op): string;
  contents(): string;
}

function outcome(f: () => string): string {
  try {
    return f();
  } catch (err) {
    if (err instanceof KernelError || err instanceof MapError) return `error ${err.errnoName}`;
    throw err;
  }
}

const batchText = (r: { keys: Uint8Array[]; values: Uint8Array[] }, valueText: (v: Uint8Array) => string) =>
  r.keys.map((k, i) => `${hex(k)}=${valueText(r.values[i])}`).join(',');

const errorText = (err: unknown): string | undefined =>
  err instanceof KernelError || err instanceof MapError ? `error ${err.errnoName}` : undefined;

/** Our side. Inner maps of a map-in-map are named by their index in `inner`. */
function ourSide(map: BpfMap, inner: BpfMap[]): Side {
  const innerText = (v: Uint8Array) => String(inner.findIndex((m) => m.id === new DataView(v.buffer, v.byteOffset).getUint32(0, true)));
  const valueText = isMapInMap(map.type) ? innerText : hex;
  let cursor: Uint8Array | undefined;
  const batch = (op: 'lookupBatch' | 'lookupAndDeleteBatch', count: number, restart: boolean, elemFlags: number) => {
    if (restart) cursor = undefined;
    const r = map[op]({ count, cursor, elemFlags });
    cursor = r.cursor;
    return `${batchText(r, valueText)} ${r.cursor ? 'more' : 'end'}`;
  };
  return {
    run: (op) => outcome(() => {
      switch (op.op) {
        case 'update': map.update(op.key, op.value, op.flags); return 'ok';
        case 'updateInner': map.update(op.key, u32(inner[op.inner].id), op.flags); return 'ok';
        case 'lookup': { const v = map.lookup(op.key, op.flags); return v ? valueText(v) : 'ENOENT'; }
        case 'has': return String((map as BloomFilterMap).has(op.value));
        case 'delete': map.delete(op.key ?? new Uint8Array()); return 'ok';
        case 'nextKey': return hex(map.nextKey(op.key));
        case 'lookupAndDelete': { const v = map.lookupAndDelete(op.key, op.flags); return v ? valueText(v) : 'ENOENT'; }
        case 'lookupBatch': case 'lookupAndDeleteBatch': return batch(op.op, op.count, op.restart, op.elemFlags);
        case 'updateBatch':
          try {
            return `stored ${map.updateBatch(op.keys, op.values, { elemFlags: op.elemFlags })}`;
          } catch (err) {
            return errorText(err) ?? String(err);
          }
        case 'deleteBatch':
          try {
            return `deleted ${map.deleteBatch(op.keys)}`;
          } catch (err) {
            return errorText(err) ?? String(err);
          }
        case 'freeze': map.freeze(); return 'ok';
      }
    }),
    contents: () => outcome(() => contents(map.type, () => map.keys(), (k) => map.lookup(k), () => map.lookupAndDelete(), valueText)),
  };
}

/** bpf(BPF_MAP_LOOKUP_ELEM) on a bloom filter with the value to test (KernelMap.lookup sends zeros). */
function kernelBloomHas(km: KernelMap, value: Uint8Array): boolean {
  const a = ATTR.mapElem;
  using s = km.kernel.scratch();
  const attr = km.kernel.attr(s, a.end).u32(a.mapFd, km.fd.value).ptr(a.value, s.copy(value));
  const ret = km.kernel.tryBpf('MAP_LOOKUP_ELEM', attr);
  if (ret === -2) return false;
  if (ret < 0) throw new KernelError('BPF_MAP_LOOKUP_ELEM', -ret);
  return true;
}

function kernelSide(km: KernelMap, inner: KernelMap[], innerIds: number[]): Side {
  const innerText = (v: Uint8Array) => String(innerIds.indexOf(new DataView(v.buffer, v.byteOffset).getUint32(0, true)));
  const valueText = isMapInMap(km.type) ? innerText : hex;
  const empty = new Uint8Array();
  let cursor: Uint8Array | undefined;
  const batch = (op: 'lookupBatch' | 'lookupAndDeleteBatch', count: number, restart: boolean, elemFlags: number) => {
    if (restart) cursor = undefined;
    const r = km[op]({ count, cursor, elemFlags });
    cursor = r.cursor;
    return `${batchText(r, valueText)} ${r.cursor ? 'more' : 'end'}`;
  };
  return {
    run: (op) => outcome(() => {
      switch (op.op) {
        case 'update': km.update(op.key, op.value, op.flags); return 'ok';
        case 'updateInner': km.update(op.key, u32(inner[op.inner].fd.value), op.flags); return 'ok';
        case 'lookup': { const v = km.lookup(op.key ?? empty, op.flags); return v ? valueText(v) : 'ENOENT'; }
        case 'has': return String(kernelBloomHas(km, op.value));
        case 'delete': km.delete(op.key ?? empty); return 'ok';
        case 'nextKey': return hex(km.getNextKey(op.key));
        case 'lookupAndDelete': { const v = km.lookupAndDelete(op.key, op.flags); return v ? valueText(v) : 'ENOENT'; }
        case 'lookupBatch': case 'lookupAndDeleteBatch': return batch(op.op, op.count, op.restart, op.elemFlags);
        case 'updateBatch':
          try {
            return `stored ${km.updateBatch(op.keys, op.values, { elemFlags: op.elemFlags })}`;
          } catch (err) {
            return errorText(err) ?? String(err);
          }
        case 'deleteBatch':
          try {
            return `deleted ${km.deleteBatch(op.keys)}`;
          } catch (err) {
            return errorText(err) ?? String(err);
          }
        case 'freeze': km.freeze(); return 'ok';
      }
    }),
    contents: () => outcome(() => contents(km.type, () => km.keys(), (k) => km.lookup(k), () => km.lookupAndDelete(), valueText)),
  };
}

/** The whole map as text: keys in iteration order with their values; queues and stacks popped empty. */
function contents(type: number, keys: () => Iterable<Uint8Array>, lookup: (k: Uint8Array) => Uint8Array | undefined,
  pop: () => Uint8Array | undefined, valueText: (v: Uint8Array) => string): string {
  if (type === T.QUEUE || type === T.STACK) {
    const out: string[] = [];
    for (let v = pop(); v; v = pop()) out.push(hex(v));
    return out.join(',');
  }
  if (isKeyless(type) || type === T.PERF_EVENT_ARRAY) return '';
  const out: string[] = [];
  for (const k of keys()) {
    const v = outcome(() => {
      const value = lookup(k);
      return value ? valueText(value) : 'ENOENT';
    });
    out.push(`${hex(k)}=${v}`);
  }
  return out.join(',');
}

export interface CaseResult {
  /** Commands compared (the final contents count as one). */
  counts: OpCounts;
  mismatch?: string;
}

/**
 * The inner maps of a map-of-maps case: the template, one just like it, one
 * that differs only in max_entries (which only plain arrays refuse) and one
 * that does not fit.
 */
const INNER_SHAPES: Record<number, MapCreateAttr[]> = {
  [T.ARRAY]: [
    { type: T.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, { type: T.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: T.ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 }, { type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
  ],
  [T.PERCPU_ARRAY]: [
    { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 }, { type: T.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  ],
  [T.HASH]: [
    { type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, { type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 9 }, { type: T.HASH, keySize: 4, valueSize: 12, maxEntries: 4 },
  ],
  [T.QUEUE]: [
    { type: T.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 }, { type: T.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 },
    { type: T.QUEUE, keySize: 0, valueSize: 4, maxEntries: 8 }, { type: T.STACK, keySize: 0, valueSize: 4, maxEntries: 2 },
  ],
};

const kernelAttr = (c: MapCase) => ({ type: c.type, keySize: c.keySize, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: c.flags, mapExtra: c.mapExtra });

/** Run `ops` on both sides and compare; the maps are closed afterwards. */
export function runCase(kernel: Kernel, registry: MapRegistry, c: MapCase, ops: readonly Op[]): CaseResult {
  const counts: OpCounts = {};
  const kInner: KernelMap[] = [];
  const oInner: BpfMap[] = [];
  const closers: (() => void)[] = [];
  try {
    if (isMapInMap(c.type)) {
      for (const shape of INNER_SHAPES[c.inner ?? T.ARRAY]) {
        const k = createMap(kernel, shape);
        const o = registry.create(shape);
        kInner.push(k);
        oInner.push(o);
        closers.push(() => k.close(), () => o.close());
      }
    }
    const km = createMap(kernel, { ...kernelAttr(c), innerMapFd: kInner[0]?.fd.value });
    closers.unshift(() => km.close());
    const om = registry.create({ ...kernelAttr(c), innerMap: oInner[0] });
    closers.unshift(() => om.close());
    const innerIds = kInner.map((k) => idOfKernelMap(kernel, k));
    const ours = ourSide(om, oInner), theirs = kernelSide(km, kInner, innerIds);
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      counts[op.op] = (counts[op.op] ?? 0) + 1;
      const a = ours.run(op), b = theirs.run(op);
      if (a !== b) {
        const before = ops.slice(0, i).map((o, j) => `  ${j}: ${describe(o)}`).join('\n');
        return { counts, mismatch: `command ${i} ${describe(op)}: ours ${a}, kernel ${b}\nafter:\n${before}` };
      }
    }
    counts.contents = 1;
    const a = ours.contents(), b = theirs.contents();
    if (a !== b) return { counts, mismatch: `final contents: ours ${a}, kernel ${b}` };
    return { counts };
  } finally {
    for (const close of closers) close();
  }
}

/** A map's id, as the kernel reports it for a map-in-map lookup (through an outer map of our own making). */
function idOfKernelMap(kernel: Kernel, inner: KernelMap): number {
  const probe = createMap(kernel, { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMapFd: inner.fd.value });
  try {
    probe.update(u32(0), u32(inner.fd.value));
    return new DataView(probe.lookup(u32(0))!.buffer).getUint32(0, true);
  } finally {
    probe.close();
  }
}

export function describe(op: Op): string {
  const parts = Object.entries(op).map(([k, v]) => `${k}=${v instanceof Uint8Array ? hex(v) : Array.isArray(v) ? `[${v.map((x) => hex(x as Uint8Array)).join(',')}]` : String(v)}`);
  return parts.join(' ');
}

export function caseName(c: MapCase): string {
  const inner = c.inner === undefined ? '' : ` of ${mapTypeName(c.inner)}`;
  return `${mapTypeName(c.type)}${inner} key ${c.keySize} value ${c.valueSize} max ${c.maxEntries} flags 0x${c.flags.toString(16)}`;
}

// ---- generators -------------------------------------------------------------------------------

/** Commands for map `c` whose keys come from a small pool, so that they hit, miss and collide. */
export function opsFor(c: MapCase, nrCpus: number, length: number): fc.Arbitrary<Op[]> {
  const valueBytes = isPerCpu(c.type) ? ((c.valueSize + 7) & ~7) * nrCpus : c.valueSize;
  const flags = fc.constantFrom(0, 0, 0, 1, 2, 3, 4);
  let value = fc.uint8Array({ minLength: valueBytes, maxLength: valueBytes });
  if (c.type === T.BLOOM_FILTER) {
    // A small pool, so that tests hit values that were added.
    value = fc.integer({ min: 0, max: 7 }).map((i) => Uint8Array.from({ length: valueBytes }, (_, b) => (i * 29 + b) & 0xff));
  } else if (c.type === T.PROG_ARRAY || c.type === T.PERF_EVENT_ARRAY) {
    // No program or event on either side: a descriptor that names nothing.
    value = fc.constant(u32(0xffffffff));
  }
  if (isKeyless(c.type)) {
    const ops: fc.Arbitrary<Op>[] = [
      fc.record({ op: fc.constant('update' as const), value, flags }),
      fc.record({ op: fc.constant('lookup' as const), flags: fc.constantFrom(0, 0, 4) }),
      fc.record({ op: fc.constant('lookupAndDelete' as const), flags: fc.constantFrom(0, 0, 4) }),
      fc.constant({ op: 'delete' as const, key: new Uint8Array() }),
      fc.constant({ op: 'nextKey' as const }),
      fc.record({ op: fc.constant('lookupBatch' as const), count: fc.integer({ min: 1, max: 4 }), restart: fc.constant(true), elemFlags: fc.constant(0) }),
    ];
    if (c.type === T.BLOOM_FILTER) ops.push(fc.record({ op: fc.constant('has' as const), value }));
    return sequence(ops, length);
  }
  const key = keyPool(c);
  const keys = fc.array(key, { minLength: 1, maxLength: 4 });
  const ops: fc.Arbitrary<Op>[] = [
    fc.record({ op: fc.constant('lookup' as const), key, flags: fc.constantFrom(0, 0, 0, 1, 4) }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.record({ op: fc.constant('nextKey' as const), key: fc.option(key, { nil: undefined }) }),
    fc.record({ op: fc.constant('lookupAndDelete' as const), key, flags: fc.constantFrom(0, 0, 4) }),
    fc.record({ op: fc.constantFrom('lookupBatch' as const, 'lookupAndDeleteBatch' as const), count: fc.integer({ min: 1, max: c.maxEntries + 1 }), restart: fc.boolean(), elemFlags: fc.constantFrom(0, 0, 0, 4) }),
    fc.record({ op: fc.constant('deleteBatch' as const), keys }),
  ];
  if (isMapInMap(c.type)) {
    ops.push(fc.record({ op: fc.constant('updateInner' as const), key, inner: fc.integer({ min: 0, max: 3 }), flags }));
  } else {
    const update = fc.record({ op: fc.constant('update' as const), key, value, flags });
    ops.push(update, update, update);
    ops.push(fc.integer({ min: 1, max: 4 }).chain((n) => fc.record({
      op: fc.constant('updateBatch' as const),
      keys: fc.array(key, { minLength: n, maxLength: n }),
      values: fc.array(value, { minLength: n, maxLength: n }),
      elemFlags: fc.constantFrom(0, 0, 0, 1, 4),
    })));
  }
  return sequence(ops, length);
}

/** Up to `length` of `ops`, with now and then a BPF_MAP_FREEZE (after which every write is EPERM). */
function sequence(ops: fc.Arbitrary<Op>[], length: number): fc.Arbitrary<Op[]> {
  const weighted = [...ops.map((arbitrary) => ({ arbitrary, weight: 20 })), { arbitrary: fc.constant<Op>({ op: 'freeze' }), weight: 1 }];
  return fc.array(fc.oneof(...weighted), { minLength: 1, maxLength: length, size: 'max' });
}

/** Keys: indexes just past the end for arrays, a pool of 2 × max_entries for hashes, overlapping prefixes for tries. */
function keyPool(c: MapCase): fc.Arbitrary<Uint8Array> {
  if (c.keySize === 4 && [T.ARRAY, T.PERCPU_ARRAY, T.PROG_ARRAY, T.PERF_EVENT_ARRAY, T.ARRAY_OF_MAPS].includes(c.type)) {
    return fc.integer({ min: 0, max: c.maxEntries + 1 }).map(u32);
  }
  if (c.type === T.LPM_TRIE) {
    const dataSize = c.keySize - 4;
    return fc.tuple(
      fc.integer({ min: 0, max: dataSize * 8 + 1 }),
      fc.array(fc.constantFrom(0x00, 0x80, 0xc0, 0x0a, 0x0b, 0xff), { minLength: dataSize, maxLength: dataSize }),
    ).map(([prefixlen, data]) => {
      const k = new Uint8Array(c.keySize);
      new DataView(k.buffer).setUint32(0, prefixlen, true);
      k.set(data, 4);
      return k;
    });
  }
  return fc.integer({ min: 0, max: 2 * c.maxEntries }).map((i) => {
    const k = new Uint8Array(c.keySize);
    for (let b = 0; b < c.keySize; b++) k[b] = (i * 37 + b * 11 + (b === 0 ? i : 0)) & 0xff;
    k[0] = i;
    return k;
  });
}

/** Map attributes per type, small enough that keys collide and maps fill up. */
export function casesFor(type: number): fc.Arbitrary<MapCase> {
  const maxEntries = fc.integer({ min: 1, max: 12 });
  const valueSize = fc.integer({ min: 1, max: 20 });
  const innerType = fc.constantFrom(T.ARRAY, T.PERCPU_ARRAY, T.HASH, T.QUEUE);
  /** `base`, mostly; sometimes with BPF_F_RDONLY, BPF_F_WRONLY or BPF_F_RDONLY_PROG. */
  const access = (base: number) => fc.constantFrom(base, base, base, base | 0x8, base | 0x10, base | 0x80);
  switch (type) {
    case T.ARRAY: case T.PERCPU_ARRAY:
      return fc.record({ type: fc.constant(type), keySize: fc.constant(4), valueSize, maxEntries, flags: access(0) });
    case T.HASH: case T.PERCPU_HASH:
      return fc.record({
        type: fc.constant(type), keySize: fc.integer({ min: 1, max: 9 }), valueSize, maxEntries,
        flags: fc.oneof(fc.constantFrom(0x40, 0x41), access(0x40)),
      });
    case T.LRU_HASH: case T.LRU_PERCPU_HASH:
      return fc.record({
        type: fc.constant(type), keySize: fc.integer({ min: 1, max: 9 }), valueSize, maxEntries: fc.integer({ min: 1, max: 40 }),
        flags: fc.constantFrom(0x40, 0x42),
      });
    case T.LPM_TRIE:
      return fc.record({ type: fc.constant(type), keySize: fc.integer({ min: 5, max: 7 }), valueSize, maxEntries, flags: fc.constant(1) });
    case T.QUEUE: case T.STACK:
      return fc.record({ type: fc.constant(type), keySize: fc.constant(0), valueSize, maxEntries: fc.integer({ min: 1, max: 5 }), flags: access(0) });
    case T.BLOOM_FILTER:
      return fc.record({
        type: fc.constant(type), keySize: fc.constant(0), valueSize, maxEntries: fc.integer({ min: 1, max: 4 }), flags: fc.constant(0x40),
        mapExtra: fc.bigInt({ min: 0n, max: 15n }),
      });
    case T.RINGBUF:
      return fc.record({ type: fc.constant(type), keySize: fc.constant(0), valueSize: fc.constant(0), maxEntries: fc.constant(4096), flags: fc.constant(0) });
    case T.PROG_ARRAY: case T.PERF_EVENT_ARRAY:
      return fc.record({ type: fc.constant(type), keySize: fc.constant(4), valueSize: fc.constant(4), maxEntries, flags: fc.constant(0) });
    case T.ARRAY_OF_MAPS:
      return fc.record({ type: fc.constant(type), keySize: fc.constant(4), valueSize: fc.constant(4), maxEntries, flags: fc.constant(0), inner: innerType });
    case T.HASH_OF_MAPS:
      return fc.record({ type: fc.constant(type), keySize: fc.integer({ min: 1, max: 6 }), valueSize: fc.constant(4), maxEntries, flags: fc.constant(0x40), inner: innerType });
    default:
      throw new Error(`no cases for map type ${type}`);
  }
}

/** The map types userspace can drive, each compared with the kernel's. */
export const DIFF_TYPES: readonly number[] = [
  T.ARRAY, T.PERCPU_ARRAY, T.HASH, T.PERCPU_HASH, T.LRU_HASH, T.LRU_PERCPU_HASH, T.LPM_TRIE, T.QUEUE, T.STACK,
  T.BLOOM_FILTER, T.RINGBUF, T.PROG_ARRAY, T.PERF_EVENT_ARRAY, T.ARRAY_OF_MAPS, T.HASH_OF_MAPS,
];
