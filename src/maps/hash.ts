/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and
 * HASH_OF_MAPS (kernel/bpf/hashtab.c), the whole table in linear memory.
 *
 * Descriptor, type-specific part:
 *
 *    64  4   n_buckets (roundup_pow_of_two(max_entries))
 *    68  4   elem_size
 *    72  4   hashrnd (the jhash seed; 0, as with BPF_F_ZERO_SEED)
 *    76  4   nr_elems: elements in the pool
 *    80  4   count: live elements (what max_entries limits; not for LRU maps)
 *    84  4   free list lock
 *    88  4   free list head (element address, 0 when empty; linked through `next`)
 *    92  4   address of element 0
 *    96  …   LRU state (lru.ts), for the LRU types
 *
 * Storage: n_buckets buckets, then nr_elems elements.
 *
 *   bucket (8 bytes):  +0 head (address of the first element, 0 when empty), +4 lock
 *   element:           +0 next (next element of the bucket, or of the free list)
 *                      +4 hash
 *                      +8 bpf_lru_node (12 bytes, LRU types)
 *                     +24 key, round_up(key_size, 8) bytes
 *                     +24+round_up(key_size, 8): value, round_up(value_size, 8)
 *                          bytes; per-CPU maps: nr_cpus such slots;
 *                          hash of maps: the inner map's descriptor address (u32)
 *
 * bucket = hash & (n_buckets - 1), hash = htab_map_hash(key) (jhash2 or
 * jhash). New elements go to the head of their bucket and a replaced element
 * is a new element at the head, as in the kernel, so BPF_MAP_GET_NEXT_KEY
 * and the batch commands walk the kernel's order. A lookup is: hash, load
 * the bucket head, follow `next` comparing hash and key — under the bucket
 * lock, as every operation here but bpf_for_each_map_elem's walk (which,
 * like the kernel's RCU walk, holds no lock while its callback runs).
 *
 * Pool sizes: max_entries, plus nr_cpus spares for the plain hash (the
 * kernel's extra_elems: replacing an element of a full map must not fail).
 * BPF_F_NO_PREALLOC maps are preallocated too: from outside, only memory
 * use tells them apart.
 */
import { BPF_MAP_TYPE } from '../platform/index.js';
import { htabMapHash } from './jhash.js';
import { Lru, lruStateSize } from './lru.js';
import { DESC, BpfMap, fail, type BatchOptions, type BatchResult, type ForEachCallback, type MapHost } from './map.js';
import { ERRNO, MapError } from './errors.js';
import { round8, roundupPowerOf2, u32At, type MapMemory } from './memory.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_NOEXIST } from './uapi.js';

const D = DESC.specific;
export const HASH_DESC = Object.freeze({
  nBuckets: D, elemSize: D + 4, hashrnd: D + 8, nrElems: D + 12, count: D + 16, freeLock: D + 20, freeHead: D + 24,
  elems: D + 28, lru: D + 32,
});
/** Element field offsets. */
export const ELEM = Object.freeze({ next: 0, hash: 4, lruNode: 8, key: 24 });

const isPercpuType = (type: number) => type === BPF_MAP_TYPE.PERCPU_HASH || type === BPF_MAP_TYPE.LRU_PERCPU_HASH;
const isLruType = (type: number) => type === BPF_MAP_TYPE.LRU_HASH || type === BPF_MAP_TYPE.LRU_PERCPU_HASH;

export interface HashGeometry {
  nBuckets: number;
  elemSize: number;
  nrElems: number;
  desc: number;
  storage: number;
}

/** The descriptor and storage sizes of a hash map with these attributes. */
export function hashLayout(type: number, keySize: number, valueSize: number, maxEntries: number, nrCpus: number, flags: number): HashGeometry {
  const percpu = isPercpuType(type), lru = isLruType(type);
  const nBuckets = roundupPowerOf2(maxEntries);
  const elemSize = ELEM.key + round8(keySize) + round8(valueSize) * (percpu ? nrCpus : 1);
  const extra = !percpu && !lru && type !== BPF_MAP_TYPE.HASH_OF_MAPS;
  const nrElems = maxEntries + (extra ? nrCpus : 0);
  const desc = HASH_DESC.lru + (lru ? lruStateSize(nrCpus, (flags & BPF_F_NO_COMMON_LRU) !== 0) : 0);
  return { nBuckets, elemSize, nrElems, desc, storage: nBuckets * 8 + nrElems * elemSize };
}

/** Initialise a new hash map's descriptor fields, free list or LRU lists. */
export function initHash(mem: MapMemory, desc: number, storage: number, type: number, flags: number, nrCpus: number, g: HashGeometry): void {
  mem.set(desc + HASH_DESC.nBuckets, g.nBuckets);
  mem.set(desc + HASH_DESC.elemSize, g.elemSize);
  mem.set(desc + HASH_DESC.hashrnd, 0);
  mem.set(desc + HASH_DESC.nrElems, g.nrElems);
  const elems = storage + g.nBuckets * 8;
  mem.set(desc + HASH_DESC.elems, elems);
  if (isLruType(type)) {
    const nodes: number[] = [];
    for (let i = 0; i < g.nrElems; i++) nodes.push(elems + i * g.elemSize + ELEM.lruNode);
    Lru.init(mem, desc + HASH_DESC.lru, nrCpus, (flags & BPF_F_NO_COMMON_LRU) !== 0, nodes);
    return;
  }
  let head = 0;
  for (let i = g.nrElems - 1; i >= 0; i--) {
    const e = elems + i * g.elemSize;
    mem.set(e + ELEM.next, head);
    head = e;
  }
  mem.set(desc + HASH_DESC.freeHead, head);
}

export class HashMap extends BpfMap {
  readonly percpu: boolean;
  readonly lru: Lru | undefined;
  readonly ofMaps: boolean;
  readonly nBuckets: number;
  readonly elemSize: number;
  readonly hashrnd: number;
  /** Offset of the value in an element. */
  readonly valueOffset: number;
  private readonly buckets: number;

  constructor(host: MapHost, address: number) {
    super(host, address);
    const mem = this.mem;
    this.percpu = isPercpuType(this.type);
    this.ofMaps = this.type === BPF_MAP_TYPE.HASH_OF_MAPS;
    this.nBuckets = mem.get(address + HASH_DESC.nBuckets);
    this.elemSize = mem.get(address + HASH_DESC.elemSize);
    this.hashrnd = mem.get(address + HASH_DESC.hashrnd);
    this.valueOffset = ELEM.key + round8(this.keySize);
    this.buckets = this.storage;
    this.lru = isLruType(this.type)
      ? new Lru(mem, address + HASH_DESC.lru, this.nrCpus, (node) => this.delFromHtab(node - ELEM.lruNode))
      : undefined;
  }

  protected override userValueSize(): number {
    return isPercpuType(this.type) ? round8(this.valueSize) * this.nrCpus : this.valueSize;
  }

  private bucket(hash: number): number {
    return this.buckets + (hash & (this.nBuckets - 1)) * 8;
  }

  /** The element of key (kb, ko) with `hash` in bucket `b` (whose lock the caller holds), or 0. */
  private find(b: number, hash: number, kb: Uint8Array, ko: number): number {
    const mem = this.mem, u8 = mem.u8, n = this.keySize;
    for (let e = mem.get(b); e !== 0; e = mem.get(e + ELEM.next)) {
      if (mem.get(e + ELEM.hash) !== hash) continue;
      let i = 0;
      const k = e + ELEM.key;
      while (i < n && u8[k + i] === kb[ko + i]) i++;
      if (i === n) return e;
    }
    return 0;
  }

  private unlink(b: number, target: number): boolean {
    const mem = this.mem;
    let prev = b;
    for (let e = mem.get(b); e !== 0; prev = e + ELEM.next, e = mem.get(e + ELEM.next)) {
      if (e === target) {
        mem.set(prev, mem.get(e + ELEM.next));
        return true;
      }
    }
    return false;
  }

  private linkHead(b: number, e: number): void {
    this.mem.set(e + ELEM.next, this.mem.get(b));
    this.mem.set(b, e);
  }

  /** htab_lru_map_delete_node: the LRU evicts `e` if it is still in its bucket. */
  private delFromHtab(e: number): boolean {
    const mem = this.mem;
    const b = this.bucket(mem.get(e + ELEM.hash));
    if (mem.lock(b + 4)) return false;
    try {
      return this.unlink(b, e);
    } finally {
      mem.unlock(b + 4);
    }
  }

  /** Run `body` holding bucket `b`'s lock; a lock failure is its errno. */
  private locked(b: number, body: () => number): number {
    const err = this.mem.lock(b + 4);
    if (err) return err;
    try {
      return body();
    } finally {
      this.mem.unlock(b + 4);
    }
  }

  // ---- element allocation (non-LRU types) --------------------------------------------------

  /** Reserve a slot under max_entries: false when the map is full. */
  private takeCount(): boolean {
    const i32 = this.mem.i32, at = (this.address + HASH_DESC.count) >>> 2;
    for (;;) {
      const n = Atomics.load(i32, at);
      if (n >= this.maxEntries) return false;
      if (Atomics.compareExchange(i32, at, n, n + 1) === n) return true;
    }
  }

  private popFreeList(): number {
    const mem = this.mem, lockAt = this.address + HASH_DESC.freeLock;
    if (mem.lock(lockAt)) return 0;
    try {
      const e = mem.get(this.address + HASH_DESC.freeHead);
      if (e) mem.set(this.address + HASH_DESC.freeHead, mem.get(e + ELEM.next));
      return e;
    } finally {
      mem.unlock(lockAt);
    }
  }

  private pushFreeList(e: number): void {
    const mem = this.mem, lockAt = this.address + HASH_DESC.freeLock;
    // Held for two loads and stores by whoever has it: failing to get it means a thread died holding it.
    if (mem.lock(lockAt)) return;
    mem.set(e + ELEM.next, mem.get(this.address + HASH_DESC.freeHead));
    mem.set(this.address + HASH_DESC.freeHead, e);
    mem.unlock(lockAt);
  }

  /** alloc_htab_elem's pool part: a free element, counted against max_entries unless it replaces one. 0 = E2BIG. */
  private allocElem(replacing: boolean): number {
    if (!replacing && !this.takeCount()) return 0;
    const e = this.popFreeList();
    if (!e && !replacing) Atomics.sub(this.mem.i32, (this.address + HASH_DESC.count) >>> 2, 1);
    return e;
  }

  /** free_htab_elem / htab_lru_push_free: an unlinked element goes back to the pool. */
  private freeElem(e: number, replaced: boolean): void {
    if (this.lru) {
      this.lru.pushFree(e + ELEM.lruNode);
      return;
    }
    if (!replaced) Atomics.sub(this.mem.i32, (this.address + HASH_DESC.count) >>> 2, 1);
    this.pushFreeList(e);
  }

  private setKey(e: number, kb: Uint8Array, ko: number, hash: number): void {
    const mem = this.mem;
    mem.u8.set(kb.subarray(ko, ko + this.keySize), e + ELEM.key);
    mem.set(e + ELEM.hash, hash);
  }

  // ---- per-CPU values ------------------------------------------------------------------------

  /**
   * pcpu_copy_value: from userspace, every CPU's slot whole (padding
   * included, copy_map_value_long); from a program, value_size bytes of its
   * CPU's slot.
   */
  private pcpuCopy(e: number, vb: Uint8Array, vo: number, onAllCpus: boolean, cpu: number): void {
    const mem = this.mem, base = e + this.valueOffset, slot = round8(this.valueSize);
    if (!onAllCpus) {
      this.copyValue(mem.u8, base + cpu * slot, vb, vo);
      return;
    }
    mem.u8.set(vb.subarray(vo, vo + slot * this.nrCpus), base);
  }

  /** pcpu_init_value: a new element from a program zeroes the other CPUs' slots. */
  private pcpuInit(e: number, vb: Uint8Array, vo: number, onAllCpus: boolean, cpu: number): void {
    if (onAllCpus) {
      this.pcpuCopy(e, vb, vo, true, cpu);
      return;
    }
    const mem = this.mem, base = e + this.valueOffset, slot = round8(this.valueSize);
    for (let c = 0; c < this.nrCpus; c++) {
      if (c === cpu) this.copyValue(mem.u8, base + c * slot, vb, vo);
      else mem.u8.fill(0, base + c * slot, base + c * slot + this.valueSize);
    }
  }

  /** The userspace value of element `e` into `out` (copy_map_value, or every CPU's slot whole). */
  private readValue(e: number, out: Uint8Array, at: number, flags: number): number {
    const mem = this.mem, v = e + this.valueOffset;
    if (this.ofMaps) {
      const inner = this.host.mapByAddress(mem.get(v));
      new DataView(out.buffer, out.byteOffset + at, 4).setUint32(0, inner ? inner.id : 0, true);
      return 0;
    }
    return this.copyValueOut(v, out, at, flags, this.percpu ? this.valueBytes : 0);
  }

  // ---- the update paths of hashtab.c ---------------------------------------------------------

  private checkExist(old: number, flags: number): number {
    if (old && (flags & ~BPF_F_LOCK) === BPF_NOEXIST) return fail('EEXIST');
    if (!old && (flags & ~BPF_F_LOCK) === BPF_EXIST) return fail('ENOENT');
    return 0;
  }

  /** htab_map_update_elem (plain hash). */
  private updatePlain(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return fail('EINVAL');
    const mem = this.mem.refresh();
    const hash = htabMapHash(kb, ko, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    if (flags & BPF_F_LOCK && this.spinLockOffset === undefined) return fail('EINVAL');
    let old = 0, replacedBy = 0;
    const err = this.locked(b, () => {
      old = this.find(b, hash, kb, ko);
      const err = this.checkExist(old, flags);
      if (err) return err;
      if (old && flags & BPF_F_LOCK) return this.copyValueLocked(old + this.valueOffset, vb, vo, true);
      const e = this.allocElem(old !== 0);
      if (!e) return fail('E2BIG');
      this.setKey(e, kb, ko, hash);
      if (flags & BPF_F_LOCK) {
        const lockErr = this.copyValueLocked(e + this.valueOffset, vb, vo, true);
        if (lockErr) {
          this.freeElem(e, old !== 0);
          return lockErr;
        }
      } else {
        this.copyValue(mem.u8, e + this.valueOffset, vb, vo);
      }
      this.linkHead(b, e);
      if (old) {
        this.unlink(b, old);
        replacedBy = e;
      }
      return 0;
    });
    if (!err && replacedBy) this.freeElem(old, true);
    return err;
  }

  /** htab_lru_map_update_elem: take a node from the LRU first (evicting), then link it. */
  private updateLru(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number {
    if (flags > BPF_EXIST) return fail('EINVAL');
    const mem = this.mem.refresh();
    const lru = this.lru!;
    const hash = htabMapHash(kb, ko, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    const node = lru.popFree(hash, cpu);
    if (!node) return fail('ENOMEM');
    const e = node - ELEM.lruNode;
    mem.u8.set(kb.subarray(ko, ko + this.keySize), e + ELEM.key);
    this.copyValue(mem.u8, e + this.valueOffset, vb, vo);
    let old = 0;
    const err = this.locked(b, () => {
      old = this.find(b, hash, kb, ko);
      const err = this.checkExist(old, flags);
      if (err) return err;
      this.linkHead(b, e);
      if (old) {
        Lru.setRef(mem, e + ELEM.lruNode);
        this.unlink(b, old);
      }
      return 0;
    });
    if (err) lru.pushFree(node);
    else if (old) lru.pushFree(old + ELEM.lruNode);
    return err;
  }

  /** htab_map_update_elem_in_place (per-CPU hash, hash of maps) and the LRU per-CPU variant. */
  private updateInPlace(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, onAllCpus: boolean, cpu: number): number {
    if (flags > BPF_EXIST) return fail('EINVAL');
    const mem = this.mem.refresh();
    const hash = htabMapHash(kb, ko, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    const lru = this.lru;
    let node = 0;
    if (lru && flags !== BPF_EXIST) {
      node = lru.popFree(hash, cpu);
      if (!node) return fail('ENOMEM');
      mem.u8.set(kb.subarray(ko, ko + this.keySize), node - ELEM.lruNode + ELEM.key);
    }
    let replacedInner = 0;
    const err = this.locked(b, () => {
      const old = this.find(b, hash, kb, ko);
      const err = this.checkExist(old, flags);
      if (err) return err;
      if (old) {
        if (lru) Lru.setRef(mem, old + ELEM.lruNode);
        if (this.percpu) {
          this.pcpuCopy(old, vb, vo, onAllCpus, cpu);
        } else {
          replacedInner = mem.get(old + this.valueOffset);
          mem.set(old + this.valueOffset, u32At(vb, vo));
        }
        return 0;
      }
      let e: number;
      if (lru) {
        e = node - ELEM.lruNode;
        node = 0;
      } else {
        e = this.allocElem(false);
        if (!e) return fail('E2BIG');
        this.setKey(e, kb, ko, hash);
      }
      if (this.percpu) this.pcpuInit(e, vb, vo, onAllCpus, cpu);
      else mem.set(e + this.valueOffset, u32At(vb, vo));
      this.linkHead(b, e);
      return 0;
    });
    if (node) lru!.pushFree(node);
    if (replacedInner) this.host.retainInner(replacedInner, -1);
    return err;
  }

  private updateAny(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, onAllCpus: boolean, cpu: number): number {
    if (this.percpu || this.ofMaps) return this.updateInPlace(kb, ko, vb, vo, flags, onAllCpus, cpu);
    if (this.lru) return this.updateLru(kb, ko, vb, vo, flags, cpu);
    return this.updatePlain(kb, ko, vb, vo, flags);
  }

  /** bpf_fd_htab_map_update_elem: the value is the id of a map that fits the inner map template. */
  private innerMapValue(value: Uint8Array): { err: number; value: Uint8Array } {
    const inner = this.host.mapById(u32At(value, 0));
    if (!inner) return { err: fail('EBADF'), value };
    const err = this.host.innerMapFits(this, inner);
    if (err) return { err, value };
    const addr = new Uint8Array(4);
    new DataView(addr.buffer).setUint32(0, inner.address, true);
    return { err: 0, value: addr };
  }

  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (this.ofMaps) {
      const inner = this.innerMapValue(value);
      if (inner.err) return inner.err;
      const err = this.updateAny(key, 0, inner.value, 0, flags, false, this.host.cpu);
      if (!err) this.host.retainInner(u32At(inner.value, 0), +1);
      return err;
    }
    return this.updateAny(key, 0, value, 0, flags, true, this.host.cpu);
  }

  protected override opLookupSys(key: Uint8Array, out: Uint8Array, flags: number): number {
    this.mem.refresh();
    const hash = htabMapHash(key, 0, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    return this.locked(b, () => {
      const e = this.find(b, hash, key, 0);
      return e ? this.readValue(e, out, 0, flags) : fail('ENOENT');
    });
  }

  private remove(kb: Uint8Array, ko: number, out: Uint8Array | undefined, flags: number): number {
    this.mem.refresh();
    const hash = htabMapHash(kb, ko, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    let found = 0;
    const err = this.locked(b, () => {
      const e = this.find(b, hash, kb, ko);
      if (!e) return fail('ENOENT');
      if (out) {
        const err = this.readValue(e, out, 0, flags);
        if (err) return err;
      }
      this.unlink(b, e);
      found = e;
      return 0;
    });
    if (found) this.release(found);
    return err;
  }

  /** An element left the table: its inner map reference goes, then the element. */
  private release(e: number): void {
    if (this.ofMaps) this.host.retainInner(this.mem.get(e + this.valueOffset), -1);
    this.freeElem(e, false);
  }

  protected override opDelete(kb: Uint8Array, ko: number): number {
    return this.remove(kb, ko, undefined, 0);
  }

  protected override opLookupAndDelete(key: Uint8Array, out: Uint8Array, flags: number): number {
    if (this.ofMaps) return fail('ENOTSUPP');
    return this.remove(key, 0, out, flags);
  }

  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const mem = this.mem.refresh();
    let i = 0;
    if (key) {
      const hash = htabMapHash(key, 0, this.keySize, this.hashrnd);
      const b = this.bucket(hash);
      let next = 0, found = false;
      const err = this.locked(b, () => {
        const e = this.find(b, hash, key, 0);
        if (e) {
          found = true;
          next = mem.get(e + ELEM.next);
          if (next) out.set(mem.u8.subarray(next + ELEM.key, next + ELEM.key + this.keySize));
        }
        return 0;
      });
      if (err) return err;
      if (next) return 0;
      if (found) i = (hash & (this.nBuckets - 1)) + 1;
    }
    for (; i < this.nBuckets; i++) {
      const b = this.buckets + i * 8;
      let got = false;
      const err = this.locked(b, () => {
        const e = mem.get(b);
        if (e) {
          out.set(mem.u8.subarray(e + ELEM.key, e + ELEM.key + this.keySize));
          got = true;
        }
        return 0;
      });
      if (err) return err;
      if (got) return 0;
    }
    return fail('ENOENT');
  }

  protected override batchOps() {
    return { lookup: 'own', lookupAndDelete: 'own', update: 'generic', delete: 'generic' } as const;
  }

  /** __htab_map_lookup_and_delete_batch: whole buckets at a time; the cursor is a bucket index. */
  protected override ownLookupBatch(options: BatchOptions, doDelete: boolean, cmd: string): BatchResult {
    const elemFlags = options.elemFlags ?? 0;
    const fails = (err: number, count: number) => this.error(cmd, err, count);
    if (elemFlags & ~BPF_F_LOCK || (elemFlags & BPF_F_LOCK && this.spinLockOffset === undefined)) throw fails(fail('EINVAL'), 0);
    if (options.flags) throw fails(fail('EINVAL'), 0);
    const maxCount = options.count ?? this.maxEntries;
    const result: BatchResult = { keys: [], values: [], cursor: options.cursor };
    if (maxCount === 0) return result;
    if (options.cursor && options.cursor.length < 4) throw new MapError(cmd, ERRNO.EFAULT, `${this.what()}: cursor is ${options.cursor.length} bytes, a bucket index is 4`);
    let batch = options.cursor ? u32At(options.cursor, 0) : 0;
    const cursorOf = (n: number) => {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, n, true);
      return c;
    };
    if (batch >= this.nBuckets) return { keys: [], values: [], cursor: undefined };
    const mem = this.mem.refresh();
    for (;;) {
      const b = this.buckets + batch * 8;
      const removed: number[] = [];
      let err = 0;
      const lockErr = this.locked(b, () => {
        let cnt = 0;
        for (let e = mem.get(b); e; e = mem.get(e + ELEM.next)) cnt++;
        if (cnt > maxCount - result.keys.length) {
          err = result.keys.length === 0 ? fail('ENOSPC') : 1;
          return 0;
        }
        for (let e = mem.get(b); e; e = mem.get(e + ELEM.next)) {
          const value = new Uint8Array(this.valueBytes);
          const copyErr = this.readValue(e, value, 0, elemFlags);
          if (copyErr) return copyErr;
          result.keys.push(mem.u8.slice(e + ELEM.key, e + ELEM.key + this.keySize));
          result.values.push(value);
          if (doDelete) removed.push(e);
        }
        for (const e of removed) this.unlink(b, e);
        return 0;
      });
      for (const e of removed) this.release(e);
      if (lockErr) throw fails(lockErr, result.keys.length);
      if (err < 0) throw fails(err, 0);
      if (err > 0) {
        result.cursor = cursorOf(batch);
        return result;
      }
      batch++;
      if (batch >= this.nBuckets) {
        result.cursor = undefined;
        return result;
      }
    }
  }

  // ---- program side --------------------------------------------------------------------------

  /** The element of the key at address `key`, or 0 (LRU: marks it referenced). */
  private lookupProg(key: number): number {
    const mem = this.mem.refresh();
    const hash = htabMapHash(mem.u8, key, this.keySize, this.hashrnd);
    const b = this.bucket(hash);
    let found = 0;
    this.locked(b, () => {
      found = this.find(b, hash, mem.u8, key);
      return 0;
    });
    if (found && this.lru) Lru.setRef(mem, found + ELEM.lruNode);
    return found;
  }

  override lookupElem(key: number, cpu: number): number {
    const e = this.lookupProg(key);
    if (!e) return 0;
    if (this.ofMaps) return this.mem.get(e + this.valueOffset);
    return this.percpu ? this.cpuSlot(e + this.valueOffset, cpu) : e + this.valueOffset;
  }

  override lookupPercpuElem(key: number, cpu: number): number {
    if (!this.percpu || cpu >= this.nrCpus) return 0;
    const e = this.lookupProg(key);
    return e ? this.cpuSlot(e + this.valueOffset, cpu) : 0;
  }

  override updateElem(key: number, value: number, flags: number, cpu: number): number {
    if (this.ofMaps) return fail('EINVAL');
    const u8 = this.mem.refresh().u8;
    return this.updateAny(u8, key, u8, value, flags, false, cpu);
  }

  override deleteElem(key: number): number {
    return this.remove(this.mem.refresh().u8, key, undefined, 0);
  }

  /** bpf_for_each_hash_elem: bucket by bucket, no lock held while the callback runs. */
  override forEachElem(callback: ForEachCallback, flags: number, cpu: number): number {
    if (flags !== 0) return fail('EINVAL');
    let n = 0;
    for (let i = 0; i < this.nBuckets; i++) {
      const b = this.buckets + i * 8;
      for (let e = this.mem.refresh().get(b); e;) {
        const next = this.mem.get(e + ELEM.next);
        const value = this.percpu ? this.cpuSlot(e + this.valueOffset, cpu) : e + this.valueOffset;
        n++;
        if (callback(e + ELEM.key, value) !== 0n) return n;
        e = next;
      }
    }
    return n;
  }

  override dispose(): void {
    if (!this.ofMaps) return;
    const mem = this.mem.refresh();
    for (let i = 0; i < this.nBuckets; i++) {
      for (let e = mem.get(this.buckets + i * 8); e; e = mem.get(e + ELEM.next)) this.host.retainInner(mem.get(e + this.valueOffset), -1);
    }
  }

  /** Live elements (for tests and tools; LRU maps count what their buckets hold). */
  count(): number {
    const mem = this.mem.refresh();
    let n = 0;
    for (let i = 0; i < this.nBuckets; i++) {
      this.locked(this.buckets + i * 8, () => {
        for (let e = mem.get(this.buckets + i * 8); e; e = mem.get(e + ELEM.next)) n++;
        return 0;
      });
    }
    return n;
  }
}

