/**
 * `BpfMap`: what every map type shares — its descriptor in linear memory,
 * the userspace API (the bpf(2) map commands, with their argument checks
 * and errors in the kernel's order) and the program-side entry points the
 * helpers call. Each map type implements the kernel's `bpf_map_ops` that it
 * has; an op a type lacks answers as the kernel does (-ENOTSUPP, -EINVAL…).
 *
 * Descriptor (the address `lddw rX, map` loads; read-only to programs):
 *
 *   off size field
 *     0  4   magic 'BPFM' (0x4d465042)
 *     4  4   map_type
 *     8  4   key_size
 *    12  4   value_size
 *    16  4   max_entries (as the map uses it: rounded for BPF_F_NO_COMMON_LRU)
 *    20  4   map_flags
 *    24  4   id
 *    28  4   nr_cpus (slots of per-CPU values)
 *    32  4   address of the storage region (values, elements, buckets…)
 *    36  4   size of the storage region
 *    40  4   offset of the bpf_spin_lock in a value, or 0xffffffff
 *    44  4   frozen (BPF_MAP_FREEZE)
 *    48  4   references: the user's handle and every map-in-map slot holding it
 *    52  4   the next descriptor in its registry's list (registry.ts)
 *    56 16   name (NUL-padded)
 *    72 24   inner map template of a map-in-map (bpf_map_meta): map_type
 *            (0: none), key_size, value_size, map_flags, max_entries,
 *            spin lock offset
 *    96  …   type-specific fields (see each map type)
 *
 * Keys and values inside the map code are (bytes, offset) pairs, so one
 * implementation serves userspace (its own arrays) and programs (addresses
 * in the linear memory).
 */
import { ERRNO, MapError } from './errors.js';
import type { MapMemory } from './memory.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY } from './uapi.js';
import type { BatchOptions, BatchResult } from '../platform/index.js';

export type { BatchOptions, BatchResult } from '../platform/index.js';

export const DESC_MAGIC = 0x4d465042;
export const DESC = Object.freeze({
  magic: 0, type: 4, keySize: 8, valueSize: 12, maxEntries: 16, flags: 20, id: 24, nrCpus: 28,
  storage: 32, storageSize: 36, spinLock: 40, frozen: 44, refs: 48, next: 52, name: 56, inner: 72, specific: 96,
});
/** Fields of the inner map template, from DESC.inner. */
export const INNER = Object.freeze({ type: 0, keySize: 4, valueSize: 8, flags: 12, maxEntries: 16, spinLock: 20 });
export const NO_SPIN_LOCK = 0xffffffff;
/** The bytes of struct bpf_spin_lock. */
export const SPIN_LOCK_SIZE = 4;

/** What a map needs from the registry it belongs to. */
import type { SocketResolver } from './sockmap.js';

export interface MapHost {
  readonly mem: MapMemory;
  /** The CPU userspace commands run on (the LRU lists and per-CPU free lists they use). */
  readonly cpu: number;
  mapByAddress(addr: number): BpfMap | undefined;
  mapById(id: number): BpfMap | undefined;
  /** The program handle registered under `id` (prog_array values), or undefined. */
  program(id: number): unknown;
  /** A zeroed region of linear memory (perf buffers); only the registry that owns the memory's allocator can. */
  alloc(name: string, size: number): number;
  /** Give back a region `alloc` returned. */
  free(address: number): void;
  /** bpf_map_meta_equal: 0 when `inner` fits `outer`'s inner map template, else -EINVAL. */
  innerMapFits(outer: BpfMap, inner: BpfMap): number;
  /** A map-in-map slot took (+1) or dropped (-1) the map whose descriptor is at `address`. */
  retainInner(address: number, delta: number): void;
  /** The user's handle on `map` is closed: release its memory once nothing refers to it. */
  releaseMap(map: BpfMap): void;
  /** The runtime's sockets, which sockmaps hold (none: a sockmap update is EBADF). */
  readonly sockets?: SocketResolver;
}


/** A for_each callback: gets the key and value addresses, returns 0 to go on or 1 to stop. */
export type ForEachCallback = (key: number, value: number) => bigint;

/** `-errno` results of map ops are plain negative numbers, as in the kernel. */
export const fail = (name: keyof typeof ERRNO): number => -ERRNO[name];

const EMPTY = new Uint8Array(0);

export abstract class BpfMap {
  readonly host: MapHost;
  /** The descriptor's address: the value of a map pointer in a register. */
  readonly address: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly id: number;
  readonly nrCpus: number;
  readonly name: string;
  /** Where the map's values, elements or buckets live. */
  readonly storage: number;
  readonly storageSize: number;
  /** Offset of the bpf_spin_lock in a value, or undefined. */
  readonly spinLockOffset: number | undefined;
  /** Bytes of a value as userspace reads and writes it (all CPUs' slots for per-CPU maps). */
  readonly valueBytes: number;

  constructor(host: MapHost, address: number) {
    this.host = host;
    this.address = address;
    const mem = host.mem.refresh();
    const at = (off: number) => mem.get(address + off);
    this.type = at(DESC.type);
    this.keySize = at(DESC.keySize);
    this.valueSize = at(DESC.valueSize);
    this.maxEntries = at(DESC.maxEntries);
    this.flags = at(DESC.flags);
    this.id = at(DESC.id);
    this.nrCpus = at(DESC.nrCpus);
    this.storage = at(DESC.storage);
    this.storageSize = at(DESC.storageSize);
    const lock = at(DESC.spinLock);
    this.spinLockOffset = lock === NO_SPIN_LOCK ? undefined : lock;
    const nameBytes = mem.u8.subarray(address + DESC.name, address + DESC.name + 16);
    const nul = nameBytes.indexOf(0);
    this.name = new TextDecoder().decode(nameBytes.subarray(0, nul < 0 ? 16 : nul));
    this.valueBytes = this.userValueSize();
  }

  get mem(): MapMemory {
    return this.host.mem;
  }

  /** The value size userspace sees; per-CPU maps override. */
  protected userValueSize(): number {
    return this.valueSize;
  }

  /** A per-CPU map's value slot of `cpu` inside a per-CPU value at `base`. */
  protected cpuSlot(base: number, cpu: number): number {
    return base + cpu * ((this.valueSize + 7) & ~7);
  }

  get frozen(): boolean {
    return this.mem.get(this.address + DESC.frozen) !== 0;
  }

  protected what(): string {
    return `map ${this.name || this.id}`;
  }

  protected error(command: string, errno: number, count?: number): MapError {
    return new MapError(command, -errno, this.what(), count);
  }

  // ---- bpf_map_ops: what each map type implements --------------------------------------------

  /** map_get_next_key. */
  protected opNextKey(_key: Uint8Array | undefined, _out: Uint8Array): number {
    return fail('EINVAL');
  }

  /** bpf_map_copy_value for this type: the userspace value of `key` into `out`. */
  protected abstract opLookupSys(key: Uint8Array, out: Uint8Array, flags: number): number;

  /** bpf_map_update_value for this type. */
  protected abstract opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number;

  /** map_delete_elem. */
  protected opDelete(_kb: Uint8Array, _ko: number): number {
    return fail('EINVAL');
  }

  /** The BPF_MAP_LOOKUP_AND_DELETE_ELEM command for this type (only hashes, queues and stacks have it). */
  protected opLookupAndDelete(_key: Uint8Array, _out: Uint8Array, _flags: number): number {
    return fail('ENOTSUPP');
  }

  /** Which batch commands this type has, and how (generic_map_* or its own). */
  protected batchOps(): { lookup?: 'generic' | 'own'; lookupAndDelete?: 'own'; update?: 'generic'; delete?: 'generic' } {
    return {};
  }

  /** The type's own lookup (and delete) batch (hash maps). */
  protected ownLookupBatch(_options: BatchOptions, _doDelete: boolean, command: string): BatchResult {
    throw this.error(command, fail('ENOTSUPP'));
  }

  // ---- program side: the helpers' entry points (addresses in linear memory) ------------------

  /** bpf_map_lookup_elem: the value's address, or 0. */
  lookupElem(_key: number, _cpu: number): number {
    return 0;
  }

  /** bpf_map_update_elem: 0 or -errno. */
  updateElem(_key: number, _value: number, _flags: number, _cpu: number): number {
    return fail('EINVAL');
  }

  /** bpf_map_delete_elem: 0 or -errno. */
  deleteElem(_key: number, _cpu: number): number {
    return fail('EINVAL');
  }

  /** bpf_map_push_elem. */
  pushElem(_value: number, _flags: number, _cpu: number): number {
    return fail('ENOTSUPP');
  }

  /** bpf_map_pop_elem. */
  popElem(_value: number, _cpu: number): number {
    return fail('ENOTSUPP');
  }

  /** bpf_map_peek_elem. */
  peekElem(_value: number, _cpu: number): number {
    return fail('ENOTSUPP');
  }

  /** bpf_map_lookup_percpu_elem: the value slot of `cpu`, or 0. */
  lookupPercpuElem(_key: number, _cpu: number): number {
    return 0;
  }

  /** bpf_for_each_map_elem: elements visited, or -errno. */
  forEachElem(_callback: ForEachCallback, _flags: number, _cpu: number): number {
    return fail('ENOTSUPP');
  }

  // ---- value copies that honour a bpf_spin_lock in the value ----------------------------------

  /** copy_map_value: `valueSize` bytes, skipping the spin lock. */
  protected copyValue(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number): void {
    const lock = this.spinLockOffset;
    if (lock === undefined) {
      dst.set(src.subarray(srcAt, srcAt + this.valueSize), dstAt);
      return;
    }
    dst.set(src.subarray(srcAt, srcAt + lock), dstAt);
    dst.set(src.subarray(srcAt + lock + SPIN_LOCK_SIZE, srcAt + this.valueSize), dstAt + lock + SPIN_LOCK_SIZE);
  }

  /** check_and_init_map_value: userspace never sees a lock word. */
  protected clearSpecial(out: Uint8Array, at: number): void {
    if (this.spinLockOffset !== undefined) out.fill(0, at + this.spinLockOffset, at + this.spinLockOffset + SPIN_LOCK_SIZE);
  }

  /**
   * Give back every element of a list linked through each element's first word, from the word at
   * `head` (the map's storages: cgroup and socket storage), and empty it.
   */
  protected freeList(head: number): void {
    const mem = this.mem.refresh();
    for (let e = mem.get(head); e;) {
      const next = mem.get(e);
      this.host.free(e);
      e = next;
    }
    mem.set(head, 0);
  }

  /**
   * A value copied out to userspace at `at` of `out` (under its spin lock with BPF_F_LOCK), the lock
   * word cleared: 0 or -errno. A per-CPU map's value is every CPU's slot whole: `percpuBytes` of them,
   * copied as they are (bpf_percpu_*_copy). The caller has refreshed the memory views.
   */
  protected copyValueOut(mapValue: number, out: Uint8Array, at: number, flags: number, percpuBytes = 0): number {
    if (percpuBytes) {
      out.set(this.mem.u8.subarray(mapValue, mapValue + percpuBytes), at);
      return 0;
    }
    if (flags & BPF_F_LOCK) {
      const err = this.copyValueLocked(mapValue, out, at, false);
      if (err) return err;
    } else {
      this.copyValue(out, at, this.mem.u8, mapValue);
    }
    this.clearSpecial(out, at);
    return 0;
  }

  /**
   * copy_map_value_locked: copy while holding the spin lock of the map-side
   * value (`mapValue`, an address): the destination when `toMap`.
   */
  protected copyValueLocked(mapValue: number, other: Uint8Array, otherAt: number, toMap: boolean): number {
    const mem = this.mem;
    const lockAt = mapValue + (this.spinLockOffset ?? 0);
    const err = mem.lockValue(lockAt);
    if (err) return err;
    try {
      if (toMap) this.copyValue(mem.u8, mapValue, other, otherAt);
      else this.copyValue(other, otherAt, mem.u8, mapValue);
    } finally {
      mem.unlockValue(lockAt);
    }
    return 0;
  }

  // ---- the userspace API: the bpf(2) map commands -----------------------------------------------

  private canRead(): boolean {
    return (this.flags & BPF_F_WRONLY) === 0;
  }

  private canWrite(): boolean {
    return (this.flags & BPF_F_RDONLY) === 0 && !this.frozen;
  }

  private checkKey(command: string, key: Uint8Array | undefined): number {
    if (this.keySize === 0) return key === undefined ? 0 : fail('EINVAL');
    if (!(key instanceof Uint8Array)) throw new MapError(command, ERRNO.EFAULT, `${this.what()}: a key of ${this.keySize} bytes is required`);
    if (key.length !== this.keySize) throw new MapError(command, ERRNO.EINVAL, `${this.what()}: key is ${key.length} bytes, the map's keys are ${this.keySize}`);
    return 0;
  }

  private checkValue(command: string, value: Uint8Array): void {
    if (!(value instanceof Uint8Array) || value.length !== this.valueBytes) {
      const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
      throw new MapError(command, ERRNO.EINVAL, `${this.what()}: value is ${got}, the map's values are ${this.valueBytes} bytes`);
    }
  }

  private lockFlagOk(flags: number): boolean {
    return !(flags & BPF_F_LOCK) || this.spinLockOffset !== undefined;
  }

  private checkFlags(command: string, flags: number): void {
    if (!Number.isSafeInteger(flags) || flags < 0) throw new MapError(command, ERRNO.EINVAL, `${this.what()}: flags must be a non-negative integer, got ${flags}`);
  }

  /** BPF_MAP_LOOKUP_ELEM: the value under `key`, or undefined when there is none (ENOENT). */
  lookup(key?: Uint8Array, flags = 0): Uint8Array | undefined {
    const cmd = 'BPF_MAP_LOOKUP_ELEM';
    this.checkFlags(cmd, flags);
    let err = flags & ~BPF_F_LOCK ? fail('EINVAL') : 0;
    if (!err && !this.canRead()) err = fail('EPERM');
    if (!err && !this.lockFlagOk(flags)) err = fail('EINVAL');
    if (!err) err = this.checkKey(cmd, key);
    const out = new Uint8Array(this.valueBytes);
    if (!err) err = this.opLookupSys(key ?? EMPTY, out, flags);
    if (err === fail('ENOENT')) return undefined;
    if (err) throw this.error(cmd, err);
    return out;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM on a bloom filter: whether `value` may be in the set
   * (the kernel reads the value to test from the command's value buffer).
   */
  protected lookupValue(value: Uint8Array, flags: number): boolean {
    const cmd = 'BPF_MAP_LOOKUP_ELEM';
    this.checkFlags(cmd, flags);
    this.checkValue(cmd, value);
    let err = flags & ~BPF_F_LOCK ? fail('EINVAL') : 0;
    if (!err && !this.canRead()) err = fail('EPERM');
    if (!err && !this.lockFlagOk(flags)) err = fail('EINVAL');
    if (!err) err = this.opLookupSys(EMPTY, value.slice(), flags);
    if (err === fail('ENOENT')) return false;
    if (err) throw this.error(cmd, err);
    return true;
  }

  /** BPF_MAP_UPDATE_ELEM (flags BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). Keyless maps (queue, stack, bloom filter) push. */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = 0): void {
    const cmd = 'BPF_MAP_UPDATE_ELEM';
    this.checkFlags(cmd, flags);
    this.checkValue(cmd, value);
    let err = this.canWrite() ? 0 : fail('EPERM');
    if (!err && !this.lockFlagOk(flags)) err = fail('EINVAL');
    if (!err) err = this.checkKey(cmd, key);
    if (!err) err = this.opUpdateSys(key ?? EMPTY, value, flags);
    if (err) throw this.error(cmd, err);
  }

  /** BPF_MAP_DELETE_ELEM; a missing key is ENOENT. */
  delete(key: Uint8Array | undefined): void {
    const cmd = 'BPF_MAP_DELETE_ELEM';
    let err = this.canWrite() ? 0 : fail('EPERM');
    if (!err) err = this.checkKey(cmd, key);
    if (!err) err = this.opDelete(key ?? EMPTY, 0);
    if (err) throw this.error(cmd, err);
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key without one), or undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const cmd = 'BPF_MAP_GET_NEXT_KEY';
    let err = this.canRead() ? 0 : fail('EPERM');
    if (!err && key !== undefined) err = this.checkKey(cmd, key);
    const out = new Uint8Array(this.keySize);
    if (!err) err = this.opNextKey(key, out);
    if (err === fail('ENOENT')) return undefined;
    if (err) throw this.error(cmd, err);
    return out;
  }

  /** Every key, in the kernel's order. */
  *keys(): Generator<Uint8Array> {
    for (let key = this.nextKey(); key; key = this.nextKey(key)) yield key;
  }

  /** Every (key, value); elements deleted while walking are skipped. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value) yield [key, value];
    }
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: remove and return the value under `key`; queues and stacks pop. Undefined when there is none. */
  lookupAndDelete(key?: Uint8Array, flags = 0): Uint8Array | undefined {
    const cmd = 'BPF_MAP_LOOKUP_AND_DELETE_ELEM';
    this.checkFlags(cmd, flags);
    let err = flags & ~BPF_F_LOCK ? fail('EINVAL') : 0;
    if (!err && !(this.canRead() && this.canWrite())) err = fail('EPERM');
    if (!err && flags && this.keySize === 0 && this.isQueueOrStack()) err = fail('EINVAL');
    if (!err && !this.lockFlagOk(flags)) err = fail('EINVAL');
    if (!err) err = this.checkKey(cmd, key);
    const out = new Uint8Array(this.valueBytes);
    if (!err) err = this.opLookupAndDelete(key ?? EMPTY, out, flags);
    if (err === fail('ENOENT')) return undefined;
    if (err) throw this.error(cmd, err);
    return out;
  }

  protected isQueueOrStack(): boolean {
    return false;
  }

  /** BPF_MAP_FREEZE: userspace may no longer write the map. */
  freeze(): void {
    const cmd = 'BPF_MAP_FREEZE';
    let err = this.spinLockOffset !== undefined ? fail('ENOTSUPP') : 0;
    if (!err && !this.canWrite()) err = fail('EPERM');
    if (err) throw this.error(cmd, err);
    this.mem.refresh().set(this.address + DESC.frozen, 1);
  }

  private batchPerms(command: string, read: boolean, write: boolean): void {
    if ((read && !this.canRead()) || (write && !this.canWrite())) throw this.error(command, fail('EPERM'), 0);
  }

  private checkBatch(command: string, options: BatchOptions): void {
    for (const [name, v] of [['count', options.count], ['elemFlags', options.elemFlags], ['flags', options.flags]] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new MapError(command, ERRNO.EINVAL, `${this.what()}: ${name} must be a non-negative integer, got ${v}`);
    }
  }

  /** BPF_MAP_LOOKUP_BATCH: up to `count` elements from `cursor` on. */
  lookupBatch(options: BatchOptions = {}): BatchResult {
    const cmd = 'BPF_MAP_LOOKUP_BATCH';
    this.checkBatch(cmd, options);
    this.batchPerms(cmd, true, false);
    const kind = this.batchOps().lookup;
    if (kind === undefined) throw this.error(cmd, fail('ENOTSUPP'), 0);
    return kind === 'own' ? this.ownLookupBatch(options, false, cmd) : this.genericLookupBatch(options, cmd);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, removing what it returns. */
  lookupAndDeleteBatch(options: BatchOptions = {}): BatchResult {
    const cmd = 'BPF_MAP_LOOKUP_AND_DELETE_BATCH';
    this.checkBatch(cmd, options);
    this.batchPerms(cmd, true, true);
    if (this.batchOps().lookupAndDelete === undefined) throw this.error(cmd, fail('ENOTSUPP'), 0);
    return this.ownLookupBatch(options, true, cmd);
  }

  /** BPF_MAP_UPDATE_BATCH; returns how many elements were stored. On an error, `MapError.count` says how many were. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], options: { elemFlags?: number; flags?: number } = {}): number {
    const cmd = 'BPF_MAP_UPDATE_BATCH';
    this.checkBatch(cmd, options);
    if (keys.length !== values.length) throw new MapError(cmd, ERRNO.EINVAL, `${this.what()}: ${keys.length} keys but ${values.length} values`);
    keys.forEach((k) => this.checkKey(cmd, k));
    values.forEach((v) => this.checkValue(cmd, v));
    this.batchPerms(cmd, false, true);
    if (this.batchOps().update === undefined) throw this.error(cmd, fail('ENOTSUPP'), 0);
    const elemFlags = options.elemFlags ?? 0;
    if (elemFlags & ~BPF_F_LOCK || !this.lockFlagOk(elemFlags)) throw this.error(cmd, fail('EINVAL'), 0);
    for (let cp = 0; cp < keys.length; cp++) {
      const err = this.opUpdateSys(keys[cp], values[cp], elemFlags);
      if (err) throw this.error(cmd, err, cp);
    }
    return keys.length;
  }

  /** BPF_MAP_DELETE_BATCH; returns how many elements were deleted. On an error, `MapError.count` says how many were. */
  deleteBatch(keys: readonly Uint8Array[], options: { elemFlags?: number; flags?: number } = {}): number {
    const cmd = 'BPF_MAP_DELETE_BATCH';
    this.checkBatch(cmd, options);
    keys.forEach((k) => this.checkKey(cmd, k));
    this.batchPerms(cmd, false, true);
    if (this.batchOps().delete === undefined) throw this.error(cmd, fail('ENOTSUPP'), 0);
    if ((options.elemFlags ?? 0) & ~BPF_F_LOCK) throw this.error(cmd, fail('EINVAL'), 0);
    for (let cp = 0; cp < keys.length; cp++) {
      const err = this.opDelete(keys[cp], 0);
      if (err) throw this.error(cmd, err, cp);
    }
    return keys.length;
  }

  /** generic_map_lookup_batch: walk with get_next_key from the cursor (a key), copying each value. */
  private genericLookupBatch(options: BatchOptions, cmd: string): BatchResult {
    const elemFlags = options.elemFlags ?? 0;
    if (elemFlags & ~BPF_F_LOCK || !this.lockFlagOk(elemFlags)) throw this.error(cmd, fail('EINVAL'), 0);
    const maxCount = options.count ?? this.maxEntries;
    const result: BatchResult = { keys: [], values: [], cursor: options.cursor };
    if (maxCount === 0) return result;
    let prev = options.cursor ? options.cursor.slice(0, this.keySize) : undefined;
    if (prev && prev.length < this.keySize) throw new MapError(cmd, ERRNO.EFAULT, `${this.what()}: cursor is ${prev.length} bytes, the map's keys are ${this.keySize}`);
    let err = 0;
    while (result.keys.length < maxCount) {
      const key = new Uint8Array(this.keySize);
      err = this.opNextKey(prev, key);
      if (err) break;
      const value = new Uint8Array(this.valueBytes);
      err = this.opLookupSys(key, value, elemFlags);
      if (err && err !== fail('ENOENT')) throw this.error(cmd, err, result.keys.length);
      if (!err) {
        result.keys.push(key);
        result.values.push(value);
      }
      prev = key;
    }
    if (result.keys.length) result.cursor = prev;
    if (err === fail('ENOENT')) result.cursor = undefined;
    else if (err) throw this.error(cmd, err, result.keys.length);
    return result;
  }

  /** Give the map's memory back (once nothing else, such as an outer map, refers to it). */
  close(): void {
    this.host.releaseMap(this);
  }

  /** The map's memory is about to be released: drop what it refers to (inner maps, buffers). */
  dispose(): void {}
}
