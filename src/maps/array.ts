/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c).
 *
 * Storage: `max_entries` elements of `elem_size = round_up(value_size, 8)`
 * bytes, zero-filled at creation. A per-CPU array keeps `nr_cpus` slots per
 * element, element-major, so element i's userspace value (all slots) is one
 * contiguous run:
 *
 *   array:         value(i)          = storage + i * elem_size
 *   percpu_array:  value(i, on cpu k) = storage + (i * nr_cpus + k) * elem_size
 *
 * Descriptor, type-specific part:
 *
 *    64  4   elem_size
 *    68  4×nr_cpus  key scratch: the u32 key bpf_for_each_map_elem passes, one per CPU
 *
 * A lookup is a bounds check and an add, with no locking: the JIT may inline it.
 */
import { BPF_MAP_TYPE } from '../platform/index.js';
import { DESC, BpfMap, fail, type ForEachCallback } from './map.js';
import { round8, u32At } from './memory.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from './uapi.js';

export const ARRAY_DESC = Object.freeze({ elemSize: DESC.specific, keyScratch: DESC.specific + 4 });

/** Bytes of descriptor and storage an array of these attributes needs. */
export function arrayLayout(valueSize: number, maxEntries: number, nrCpus: number, percpu: boolean): { desc: number; storage: number } {
  return { desc: ARRAY_DESC.keyScratch + 4 * nrCpus, storage: round8(valueSize) * maxEntries * (percpu ? nrCpus : 1) };
}

/** array_map_get_next_key: the index after `key`; a missing or out-of-range key restarts at 0. */
export function arrayNextKey(maxEntries: number, key: Uint8Array | undefined, out: Uint8Array): number {
  const index = key ? u32At(key, 0) : 0xffffffff;
  let next = 0;
  if (index < maxEntries) {
    if (index === maxEntries - 1) return fail('ENOENT');
    next = index + 1;
  }
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, next, true);
  return 0;
}

export class ArrayMap extends BpfMap {
  readonly elemSize = round8(this.valueSize);
  readonly percpu = this.type === BPF_MAP_TYPE.PERCPU_ARRAY;

  protected override userValueSize(): number {
    return this.type === BPF_MAP_TYPE.PERCPU_ARRAY ? round8(this.valueSize) * this.nrCpus : this.valueSize;
  }

  /** Address of element `index`'s value (on `cpu` for a per-CPU array). */
  valueAddress(index: number, cpu = 0): number {
    return this.percpu ? this.storage + (index * this.nrCpus + cpu) * this.elemSize : this.storage + index * this.elemSize;
  }

  /**
   * The values of a BPF_F_MMAPABLE array as a view of the linear memory:
   * writes through it are the map's values. Take a new view after the
   * memory grows.
   */
  mmap(): Uint8Array {
    const mem = this.mem.refresh();
    return mem.u8.subarray(this.storage, this.storage + this.elemSize * this.maxEntries);
  }

  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    return arrayNextKey(this.maxEntries, key, out);
  }

  protected override opLookupSys(key: Uint8Array, out: Uint8Array, flags: number): number {
    const index = u32At(key, 0);
    if (index >= this.maxEntries) return fail('ENOENT');
    this.mem.refresh();
    return this.copyValueOut(this.valueAddress(index), out, 0, flags, this.percpu ? this.elemSize * this.nrCpus : 0);
  }

  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    const index = u32At(key, 0);
    if (this.percpu) {
      if (flags > BPF_EXIST) return fail('EINVAL');
      if (index >= this.maxEntries) return fail('E2BIG');
      if (flags === BPF_NOEXIST) return fail('EEXIST');
      const mem = this.mem.refresh();
      mem.u8.set(value.subarray(0, this.elemSize * this.nrCpus), this.valueAddress(index));
      return 0;
    }
    return this.update1(value, 0, index, flags, 0);
  }

  /** array_map_update_elem: one value (this CPU's slot of a per-CPU array). */
  private update1(vb: Uint8Array, vo: number, index: number, flags: number, cpu: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return fail('EINVAL');
    if (index >= this.maxEntries) return fail('E2BIG');
    if (flags & BPF_NOEXIST) return fail('EEXIST');
    if (flags & BPF_F_LOCK && this.spinLockOffset === undefined) return fail('EINVAL');
    const mem = this.mem.refresh();
    const at = this.valueAddress(index, cpu);
    if (flags & BPF_F_LOCK) return this.copyValueLocked(at, vb, vo, true);
    this.copyValue(mem.u8, at, vb, vo);
    return 0;
  }

  protected override batchOps() {
    return { lookup: 'generic', update: 'generic' } as const;
  }

  override lookupElem(key: number, cpu: number): number {
    const index = u32At(this.mem.refresh().u8, key);
    return index < this.maxEntries ? this.valueAddress(index, cpu) : 0;
  }

  override updateElem(key: number, value: number, flags: number, cpu: number): number {
    const mem = this.mem.refresh();
    return this.update1(mem.u8, value, u32At(mem.u8, key), flags, cpu);
  }

  override lookupPercpuElem(key: number, cpu: number): number {
    if (!this.percpu || cpu >= this.nrCpus) return 0;
    return this.lookupElem(key, cpu);
  }

  override forEachElem(callback: ForEachCallback, flags: number, cpu: number): number {
    if (flags !== 0) return fail('EINVAL');
    const keyAt = this.address + ARRAY_DESC.keyScratch + 4 * cpu;
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      this.mem.refresh().set(keyAt, i);
      n++;
      if (callback(keyAt, this.valueAddress(i, cpu)) !== 0n) break;
    }
    return n;
  }

}
