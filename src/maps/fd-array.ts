/**
 * The arrays whose values are references to other objects
 * (kernel/bpf/arraymap.c, "fd arrays"): BPF_MAP_TYPE_PROG_ARRAY (programs,
 * for tail calls), BPF_MAP_TYPE_ARRAY_OF_MAPS (inner maps),
 * BPF_MAP_TYPE_CGROUP_ARRAY (cgroups) and, in perf-event-array.ts,
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY (event buffers).
 *
 * Storage: `max_entries` u32 slots, 0 when empty:
 *   prog_array:     the id of a program handle registered with the registry
 *   array_of_maps:  the inner map's descriptor address (what a program's
 *                   lookup returns: slot(i) = storage + 4 * i)
 *   cgroup_array:   the cgroup's id
 *
 * Userspace writes a slot with a u32 the way bpf(2) takes a file
 * descriptor: here a program id, a map id or a cgroup id (a runtime has no
 * cgroup files to open); a lookup answers with the id, as the kernel answers
 * with the object's id.
 */
import { arrayNextKey } from './array.js';
import { BpfMap, fail } from './map.js';
import { u32At } from './memory.js';
import { BPF_ANY } from './uapi.js';

/** Bytes of storage an fd array needs. */
export const fdArrayStorage = (maxEntries: number): number => 4 * maxEntries;

export abstract class FdArrayMap extends BpfMap {
  /** Whether BPF_MAP_LOOKUP_ELEM answers for this type (map_fd_sys_lookup_elem), or is ENOTSUPP. */
  protected readonly hasSysLookup: boolean = true;

  protected slot(index: number): number {
    return this.storage + 4 * index;
  }

  /** The slot's content for `value` (map_fd_get_ptr), or -errno. */
  protected abstract getPtr(value: Uint8Array): number;

  /** A slot's content stopped being referenced (map_fd_put_ptr). */
  protected abstract putPtr(ptr: number): void;

  /** What userspace reads for a slot's content (map_fd_sys_lookup_elem). */
  protected abstract sysLookup(ptr: number): number;

  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    return arrayNextKey(this.maxEntries, key, out);
  }

  protected override opLookupSys(key: Uint8Array, out: Uint8Array): number {
    if (!this.hasSysLookup) return fail('ENOTSUPP');
    const index = u32At(key, 0);
    const ptr = index < this.maxEntries ? this.mem.refresh().get(this.slot(index)) : 0;
    if (!ptr) return fail('ENOENT');
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, this.sysLookup(ptr), true);
    return 0;
  }

  /** bpf_fd_array_map_update_elem. */
  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return fail('EINVAL');
    const index = u32At(key, 0);
    if (index >= this.maxEntries) return fail('E2BIG');
    const ptr = this.getPtr(value);
    if (ptr < 0) return ptr;
    const old = Atomics.exchange(this.mem.refresh().i32, this.slot(index) >>> 2, ptr) >>> 0;
    if (old) this.putPtr(old);
    return 0;
  }

  /** fd_array_map_delete_elem. */
  protected override opDelete(kb: Uint8Array, ko: number): number {
    const index = u32At(kb, ko);
    if (index >= this.maxEntries) return fail('E2BIG');
    const old = Atomics.exchange(this.mem.refresh().i32, this.slot(index) >>> 2, 0) >>> 0;
    if (!old) return fail('ENOENT');
    this.putPtr(old);
    return 0;
  }

  /** What slot `index` holds (0 when empty or out of range). */
  slotValue(index: number): number {
    return index >= 0 && index < this.maxEntries ? this.mem.refresh().get(this.slot(index)) : 0;
  }
}

/** BPF_MAP_TYPE_PROG_ARRAY: program handles by index, for the engines' tail calls. */
export class ProgArrayMap extends FdArrayMap {
  protected override getPtr(value: Uint8Array): number {
    const id = u32At(value, 0);
    return this.host.program(id) === undefined ? fail('EBADF') : id;
  }

  protected override putPtr(): void {}

  protected override sysLookup(ptr: number): number {
    return ptr;
  }

  /** The program handle at `index` (what bpf_tail_call jumps to), or undefined. */
  program(index: number): unknown {
    const id = this.slotValue(index);
    return id ? this.host.program(id) : undefined;
  }
}

/** BPF_MAP_TYPE_ARRAY_OF_MAPS: a program's lookup yields the inner map itself. */
export class ArrayOfMapsMap extends FdArrayMap {
  protected override getPtr(value: Uint8Array): number {
    const inner = this.host.mapById(u32At(value, 0));
    if (!inner) return fail('EBADF');
    const err = this.host.innerMapFits(this, inner);
    if (err) return err;
    this.host.retainInner(inner.address, +1);
    return inner.address;
  }

  protected override putPtr(ptr: number): void {
    this.host.retainInner(ptr, -1);
  }

  protected override sysLookup(ptr: number): number {
    return ptr ? this.host.mapByAddress(ptr)?.id ?? 0 : 0;
  }

  protected override batchOps() {
    return { lookup: 'generic', update: 'generic' } as const;
  }

  override lookupElem(key: number): number {
    return this.slotValue(u32At(this.mem.refresh().u8, key));
  }

  override dispose(): void {
    for (let i = 0; i < this.maxEntries; i++) {
      const ptr = this.slotValue(i);
      if (ptr) this.putPtr(ptr);
    }
  }

  /** The inner map at `index`, or undefined. */
  inner(index: number): BpfMap | undefined {
    const ptr = this.slotValue(index);
    return ptr ? this.host.mapByAddress(ptr) : undefined;
  }
}

/**
 * BPF_MAP_TYPE_CGROUP_ARRAY: cgroups by index, for bpf_skb_under_cgroup and
 * bpf_current_task_under_cgroup. Userspace writes a cgroup's id (cgroup v2,
 * the inode number of its directory) where the kernel takes an fd of the
 * directory, so an id must fit the u32 value; userspace cannot read a slot
 * back (ENOTSUPP), as in the kernel.
 */
export class CgroupArrayMap extends FdArrayMap {
  protected override readonly hasSysLookup = false;

  protected override getPtr(value: Uint8Array): number {
    const id = u32At(value, 0);
    return id === 0 ? fail('EBADF') : id;
  }

  protected override putPtr(): void {}

  protected override sysLookup(ptr: number): number {
    return ptr;
  }

  /** The id of the cgroup at `index`, or undefined for an empty slot. */
  cgroupId(index: number): bigint | undefined {
    const id = this.slotValue(index);
    return id ? BigInt(id) : undefined;
  }
}
