/**
 * Maps in the kernel: BPF_MAP_CREATE and the element commands, single and
 * batched. Keys and values are bytes, exactly as the kernel stores them;
 * errors are the kernel's, named after the command.
 */
import { BPF_MAP_TYPE, mapTypeByName, mapTypeName } from '../platform/index.js';
import { ATTR } from './attr.js';
import { KernelArgumentError, KernelError, errnoOf } from './errors.js';
import { Fd } from './fd.js';
import type { Kernel } from './kernel.js';
import { getPinned, mapInfo, pinObject } from './objects.js';
import { BPF_ANY, type BatchOptions, type BatchResult } from '../platform/index.js';

export {
  BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE, BPF_F_RDONLY,
  BPF_F_WRONLY, BPF_F_STACK_BUILD_ID, BPF_F_ZERO_SEED, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_CLONE, BPF_F_MMAPABLE,
  BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP, type BatchOptions, type BatchResult,
} from '../platform/index.js';

export interface MapCreateOptions {
  /** A `BPF_MAP_TYPE` number or its name (`hash`, `BPF_MAP_TYPE_ARRAY`). */
  type: number | string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Up to 15 characters (the kernel keeps 16 bytes with the NUL). */
  name?: string;
  innerMapFd?: number;
  numaNode?: number;
  ifindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  /** Bloom filter hash count, arena address… (map_extra). */
  mapExtra?: bigint;
}

/** Map types whose userspace value holds one slot per possible CPU, each rounded up to 8 bytes. */
const PER_CPU_TYPES = new Set<number>([
  BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.LRU_PERCPU_HASH, BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE,
]);

function resolveMapType(type: number | string): number {
  if (typeof type === 'number') {
    if (!Number.isInteger(type) || type < 0) throw new KernelArgumentError(`map type ${type} is not a map type number`);
    return type;
  }
  const n = mapTypeByName(type);
  if (n === undefined) throw new KernelArgumentError(`unknown map type '${type}'`);
  return n;
}

function checkU32(what: string, v: number | undefined): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new KernelArgumentError(`${what} must be an unsigned 32-bit integer, got ${v}`);
  return n;
}

/** Create a map (BPF_MAP_CREATE). */
export function createMap(kernel: Kernel, options: MapCreateOptions): KernelMap {
  const type = resolveMapType(options.type);
  const a = ATTR.mapCreate;
  using s = kernel.scratch();
  const attr = kernel.attr(s, a.end)
    .u32(a.mapType, type)
    .u32(a.keySize, checkU32('keySize', options.keySize))
    .u32(a.valueSize, checkU32('valueSize', options.valueSize))
    .u32(a.maxEntries, checkU32('maxEntries', options.maxEntries))
    .u32(a.mapFlags, checkU32('flags', options.flags))
    .u32(a.innerMapFd, checkU32('innerMapFd', options.innerMapFd))
    .u32(a.numaNode, checkU32('numaNode', options.numaNode))
    .chars(a.mapName, 16, options.name ?? '')
    .u32(a.mapIfindex, checkU32('ifindex', options.ifindex))
    .u32(a.btfFd, checkU32('btfFd', options.btfFd))
    .u32(a.btfKeyTypeId, checkU32('btfKeyTypeId', options.btfKeyTypeId))
    .u32(a.btfValueTypeId, checkU32('btfValueTypeId', options.btfValueTypeId))
    .u32(a.btfVmlinuxValueTypeId, checkU32('btfVmlinuxValueTypeId', options.btfVmlinuxValueTypeId))
    .u64(a.mapExtra, options.mapExtra ?? 0n);
  const what = `map ${options.name || mapTypeName(type) || type}`;
  const fd = kernel.bpf('MAP_CREATE', attr, what);
  return new KernelMap(kernel, new Fd(kernel.sys, fd, what), {
    type, keySize: options.keySize, valueSize: options.valueSize, maxEntries: options.maxEntries,
    flags: options.flags ?? 0, name: options.name ?? '',
  });
}

/** The map pinned at `path` (BPF_OBJ_GET), described by the kernel's bpf_map_info. */
export function openPinnedMap(kernel: Kernel, path: string, fileFlags = 0): KernelMap {
  const fd = getPinned(kernel, path, fileFlags);
  try {
    const info = mapInfo(kernel, fd);
    return new KernelMap(kernel, fd, info);
  } catch (err) {
    fd.close();
    throw err;
  }
}

export interface MapInfo {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

export class KernelMap implements Disposable {
  readonly type: number;
  readonly keySize: number;
  /** The value size the map was created with (one CPU's slot for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Bytes of a value as userspace reads and writes it (all CPUs' slots for per-CPU maps). */
  readonly valueBytes: number;

  constructor(readonly kernel: Kernel, readonly fd: Fd, info: MapInfo) {
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.flags;
    this.name = info.name;
    this.valueBytes = PER_CPU_TYPES.has(info.type)
      ? Math.ceil(info.valueSize / 8) * 8 * kernel.possibleCpus()
      : info.valueSize;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length !== this.keySize) throw new KernelArgumentError(`${this.fd.what}: key is ${key.length} bytes, the map's keys are ${this.keySize}`);
  }

  private checkValue(value: Uint8Array): void {
    if (value.length !== this.valueBytes) throw new KernelArgumentError(`${this.fd.what}: value is ${value.length} bytes, the map's values are ${this.valueBytes}`);
  }

  /** The value stored under `key`, or undefined when there is none (ENOENT). */
  lookup(key: Uint8Array, flags = 0): Uint8Array | undefined {
    return this.elemWithValueOut('MAP_LOOKUP_ELEM', key, flags);
  }

  /** Remove and return the value under `key`; queues and stacks pop with no key. Undefined when empty. */
  lookupAndDelete(key?: Uint8Array, flags = 0): Uint8Array | undefined {
    return this.elemWithValueOut('MAP_LOOKUP_AND_DELETE_ELEM', key, flags);
  }

  private elemWithValueOut(cmd: 'MAP_LOOKUP_ELEM' | 'MAP_LOOKUP_AND_DELETE_ELEM', key: Uint8Array | undefined, flags: number): Uint8Array | undefined {
    if (key !== undefined || this.keySize !== 0) this.checkKey(key ?? new Uint8Array());
    const a = ATTR.mapElem;
    using s = this.kernel.scratch();
    const value = s.alloc(this.valueBytes);
    const attr = this.kernel.attr(s, a.end)
      .u32(a.mapFd, this.fd.value)
      .ptr(a.key, key && key.length ? s.copy(key) : undefined)
      .ptr(a.value, value)
      .u64(a.flags, flags);
    const ret = this.kernel.tryBpf(cmd, attr);
    if (ret === -errnoOf('ENOENT')) return undefined;
    if (ret < 0) throw new KernelError(`BPF_${cmd}`, -ret, this.fd.what);
    return value.bytes.slice();
  }

  /** Store `value` under `key` (flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). Queues and stacks push with no key. */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = BPF_ANY): void {
    if (key !== undefined || this.keySize !== 0) this.checkKey(key ?? new Uint8Array());
    this.checkValue(value);
    const a = ATTR.mapElem;
    using s = this.kernel.scratch();
    const attr = this.kernel.attr(s, a.end)
      .u32(a.mapFd, this.fd.value)
      .ptr(a.key, key && key.length ? s.copy(key) : undefined)
      .ptr(a.value, s.copy(value))
      .u64(a.flags, flags);
    this.kernel.bpf('MAP_UPDATE_ELEM', attr, this.fd.what);
  }

  /** Delete the element under `key`; a missing key is the kernel's ENOENT error. */
  delete(key: Uint8Array): void {
    this.checkKey(key);
    const a = ATTR.mapElem;
    using s = this.kernel.scratch();
    const attr = this.kernel.attr(s, a.end).u32(a.mapFd, this.fd.value).ptr(a.key, s.copy(key));
    this.kernel.bpf('MAP_DELETE_ELEM', attr, this.fd.what);
  }

  /** The key after `key` (the first key without one), or undefined at the end. */
  getNextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key) this.checkKey(key);
    const a = ATTR.mapElem;
    using s = this.kernel.scratch();
    const next = s.alloc(this.keySize);
    const attr = this.kernel.attr(s, a.end)
      .u32(a.mapFd, this.fd.value)
      .ptr(a.key, key ? s.copy(key) : undefined)
      .ptr(a.nextKey, next);
    const ret = this.kernel.tryBpf('MAP_GET_NEXT_KEY', attr);
    if (ret === -errnoOf('ENOENT')) return undefined;
    if (ret < 0) throw new KernelError('BPF_MAP_GET_NEXT_KEY', -ret, this.fd.what);
    return next.bytes.slice();
  }

  /** Every key, in the kernel's order. */
  *keys(): Generator<Uint8Array> {
    for (let key = this.getNextKey(); key; key = this.getNextKey(key)) yield key;
  }

  /** Every (key, value); elements deleted while walking are skipped. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value) yield [key, value];
    }
  }

  /** Make the map read-only for userspace (BPF_MAP_FREEZE). */
  freeze(): void {
    using s = this.kernel.scratch();
    const attr = this.kernel.attr(s, ATTR.mapElem.mapFd + 4).u32(ATTR.mapElem.mapFd, this.fd.value);
    this.kernel.bpf('MAP_FREEZE', attr, this.fd.what);
  }

  /** BPF_MAP_LOOKUP_BATCH: up to `count` elements from `cursor` on. */
  lookupBatch(options: BatchOptions = {}): BatchResult {
    return this.batchOut('MAP_LOOKUP_BATCH', options);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, removing what it returns. */
  lookupAndDeleteBatch(options: BatchOptions = {}): BatchResult {
    return this.batchOut('MAP_LOOKUP_AND_DELETE_BATCH', options);
  }

  /** The batch cursor is opaque: a bucket index for hash maps (4 bytes), a key for arrays. */
  private get cursorSize(): number {
    return Math.max(this.keySize, 4);
  }

  private batchOut(cmd: 'MAP_LOOKUP_BATCH' | 'MAP_LOOKUP_AND_DELETE_BATCH', options: BatchOptions): BatchResult {
    const count = checkU32('count', options.count ?? this.maxEntries);
    if (options.cursor && options.cursor.length !== this.cursorSize) {
      throw new KernelArgumentError(`${this.fd.what}: batch cursor is ${options.cursor.length} bytes, expected ${this.cursorSize}`);
    }
    const b = ATTR.batch;
    using s = this.kernel.scratch();
    const keys = s.alloc(count * this.keySize);
    const values = s.alloc(count * this.valueBytes);
    const out = s.alloc(this.cursorSize);
    const attr = this.kernel.attr(s, b.end)
      .ptr(b.inBatch, options.cursor ? s.copy(options.cursor) : undefined)
      .ptr(b.outBatch, out)
      .ptr(b.keys, keys)
      .ptr(b.values, values)
      .u32(b.count, count)
      .u32(b.mapFd, this.fd.value)
      .u64(b.elemFlags, options.elemFlags ?? 0)
      .u64(b.flags, options.flags ?? 0);
    const ret = this.kernel.tryBpf(cmd, attr);
    // ENOENT means the walk reached the end; the elements up to `count` are still valid.
    const done = ret === -errnoOf('ENOENT');
    if (ret < 0 && !done) throw new KernelError(`BPF_${cmd}`, -ret, this.fd.what);
    const got = attr.getU32(b.count);
    const result: BatchResult = { keys: [], values: [], cursor: done ? undefined : out.bytes.slice() };
    for (let i = 0; i < got; i++) {
      result.keys.push(keys.bytes.slice(i * this.keySize, (i + 1) * this.keySize));
      result.values.push(values.bytes.slice(i * this.valueBytes, (i + 1) * this.valueBytes));
    }
    return result;
  }

  /** BPF_MAP_UPDATE_BATCH; returns how many elements were stored. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], options: { elemFlags?: number; flags?: number } = {}): number {
    if (keys.length !== values.length) throw new KernelArgumentError(`${this.fd.what}: ${keys.length} keys but ${values.length} values`);
    keys.forEach((k) => this.checkKey(k));
    values.forEach((v) => this.checkValue(v));
    const b = ATTR.batch;
    using s = this.kernel.scratch();
    const attr = this.kernel.attr(s, b.end)
      .ptr(b.keys, s.copy(concat(keys)))
      .ptr(b.values, s.copy(concat(values)))
      .u32(b.count, keys.length)
      .u32(b.mapFd, this.fd.value)
      .u64(b.elemFlags, options.elemFlags ?? 0)
      .u64(b.flags, options.flags ?? 0);
    this.kernel.bpf('MAP_UPDATE_BATCH', attr, this.fd.what);
    return attr.getU32(b.count);
  }

  /** BPF_MAP_DELETE_BATCH; returns how many elements were deleted. */
  deleteBatch(keys: readonly Uint8Array[], options: { elemFlags?: number; flags?: number } = {}): number {
    keys.forEach((k) => this.checkKey(k));
    const b = ATTR.batch;
    using s = this.kernel.scratch();
    const attr = this.kernel.attr(s, b.end)
      .ptr(b.keys, s.copy(concat(keys)))
      .u32(b.count, keys.length)
      .u32(b.mapFd, this.fd.value)
      .u64(b.elemFlags, options.elemFlags ?? 0)
      .u64(b.flags, options.flags ?? 0);
    this.kernel.bpf('MAP_DELETE_BATCH', attr, this.fd.what);
    return attr.getU32(b.count);
  }

  /** Pin the map at `path` on a bpffs (BPF_OBJ_PIN). */
  pin(path: string): void {
    pinObject(this.kernel, this.fd, path);
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
