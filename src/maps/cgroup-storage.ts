/**
 * BPF_MAP_TYPE_CGROUP_STORAGE and BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
 * (kernel/bpf/local_storage.c): one value per (cgroup, attach type) a
 * program using the map is attached to, which the program reaches with
 * bpf_get_local_storage — never through a key. Userspace cannot create or
 * delete an element: attaching creates it, and lookup/update only reach the
 * elements that exist.
 *
 * The key is a struct bpf_cgroup_storage_key { u64 cgroup_inode_id; u32
 * attach_type; } (16 bytes with padding), or a bare u64 cgroup id (8 bytes):
 * then one element serves every attach type of the cgroup (shared storage).
 *
 * Element (a region of its own, from the registry's allocator), linked from
 * the descriptor newest first, as the kernel's list_add puts it:
 *
 *    0  4   next element (0: last)
 *    4  4   attach_type
 *    8  8   cgroup id
 *   16  …   the value: value_size bytes, or nr_cpus slots of
 *           round_up(value_size, 8) bytes for the per-CPU type (CPU k's slot
 *           at 16 + k * round_up(value_size, 8), as our other per-CPU maps)
 *
 * Descriptor, type-specific part:
 *
 *    96  4   first element (0: none)
 *
 * A test run's storages (bpf_cgroup_storage_alloc in bpf_test_run) have the
 * element's layout but are linked nowhere: userspace never sees them.
 */
import { BPF_MAP_TYPE } from '../platform/index.js';
import { ERRNO, MapError } from './errors.js';
import { DESC, BpfMap, fail } from './map.js';
import { round8 } from './memory.js';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK } from './uapi.js';

/** sizeof(struct bpf_cgroup_storage_key). */
export const CGROUP_STORAGE_KEY_SIZE = 16;
/** The key of shared storage: the cgroup's id alone. */
export const CGROUP_STORAGE_ID_KEY_SIZE = 8;
/**
 * BPF_LOCAL_STORAGE_MAX_VALUE_SIZE on x86-64: U16_MAX less the 128 bytes of
 * struct bpf_local_storage_elem (measured on Linux 6.18: 65407 passes, 65408 is E2BIG).
 */
export const CGROUP_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;

/** enum bpf_cgroup_storage_type: which of a program's two storages a map is. */
export const BPF_CGROUP_STORAGE_SHARED = 0;
export const BPF_CGROUP_STORAGE_PERCPU = 1;

export const CGROUP_STORAGE_DESC = Object.freeze({ first: DESC.specific, size: DESC.specific + 4 });
/** A storage: `next` its first word, as BpfMap.freeList walks the list. */
const ELEM = Object.freeze({ next: 0, attachType: 4, cgroupId: 8, value: 16 });

/** cgroup_storage_type: the storage type of a map of `type`. */
export const cgroupStorageType = (type: number): number =>
  (type === BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE ? BPF_CGROUP_STORAGE_PERCPU : BPF_CGROUP_STORAGE_SHARED);

export class CgroupStorageMap extends BpfMap {
  readonly percpu = this.type === BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE;
  /** BPF_CGROUP_STORAGE_SHARED or BPF_CGROUP_STORAGE_PERCPU. */
  readonly storageType = cgroupStorageType(this.type);
  private readonly elemSize = round8(this.valueSize);

  /** Called by BpfMap's constructor, before this class's fields exist. */
  protected override userValueSize(): number {
    return this.type === BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE ? round8(this.valueSize) * this.nrCpus : this.valueSize;
  }

  /** The address of the value a program on `cpu` reaches in the storage at `storage` (an element's or a run's). */
  valueAddress(storage: number, cpu = 0): number {
    return storage + ELEM.value + (this.percpu ? cpu * this.elemSize : 0);
  }

  /** Bytes of one storage: the header and every CPU's value. */
  private storageBytes(): number {
    return ELEM.value + (this.percpu ? this.elemSize * this.nrCpus : this.valueSize);
  }

  /** The element of (cgroup, attach type) — the attach type does not count with 8-byte keys — or 0. */
  private find(cgroupId: bigint, attachType: number): number {
    const mem = this.mem.refresh();
    const view = new DataView(mem.u8.buffer);
    for (let e = mem.get(this.address + CGROUP_STORAGE_DESC.first); e; e = mem.get(e + ELEM.next)) {
      if (view.getBigUint64(e + ELEM.cgroupId, true) !== cgroupId) continue;
      if (this.keySize === CGROUP_STORAGE_ID_KEY_SIZE || mem.get(e + ELEM.attachType) === attachType) return e;
    }
    return 0;
  }

  /** cgroup_storage_lookup for a userspace key. */
  private findKey(key: Uint8Array): number {
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    return this.find(view.getBigUint64(0, true), this.keySize === CGROUP_STORAGE_KEY_SIZE ? view.getUint32(8, true) : 0);
  }

  /**
   * What attaching a program that uses this map to a cgroup does
   * (bpf_cgroup_storages_alloc, then bpf_cgroup_storage_link): the element
   * of (cgroupId, attachType), made zeroed when there is none yet. Returns
   * the storage's address (see valueAddress).
   */
  linkStorage(cgroupId: bigint, attachType: number): number {
    this.checkCgroupId('linkStorage', cgroupId);
    if (!Number.isInteger(attachType) || attachType < 0 || attachType > 0xffffffff) {
      throw new MapError('linkStorage', ERRNO.EINVAL, `${this.what()}: attachType must be a u32 (enum bpf_attach_type), got ${String(attachType)}`);
    }
    const found = this.find(cgroupId, attachType);
    if (found) return found;
    const e = this.allocStorage();
    const mem = this.mem.refresh();
    new DataView(mem.u8.buffer).setBigUint64(e + ELEM.cgroupId, cgroupId, true);
    mem.set(e + ELEM.attachType, this.keySize === CGROUP_STORAGE_KEY_SIZE ? attachType : 0);
    mem.set(e + ELEM.next, mem.get(this.address + CGROUP_STORAGE_DESC.first));
    mem.set(this.address + CGROUP_STORAGE_DESC.first, e);
    return e;
  }

  /** What removing a cgroup does to this map (cgroup_bpf_release: bpf_cgroup_storage_unlink and free): its elements go. */
  unlinkCgroup(cgroupId: bigint): void {
    this.checkCgroupId('unlinkCgroup', cgroupId);
    const mem = this.mem.refresh();
    const view = new DataView(mem.u8.buffer);
    let prev = this.address + CGROUP_STORAGE_DESC.first;
    for (let e = mem.get(prev); e; e = mem.get(prev)) {
      if (view.getBigUint64(e + ELEM.cgroupId, true) === cgroupId) {
        mem.set(prev, mem.get(e + ELEM.next));
        this.host.free(e);
      } else {
        prev = e + ELEM.next;
      }
    }
  }

  private checkCgroupId(command: string, cgroupId: unknown): void {
    if (typeof cgroupId !== 'bigint' || cgroupId < 1n || cgroupId >= 1n << 64n) {
      throw new MapError(command, ERRNO.EINVAL, `${this.what()}: a cgroup id is a u64 bigint from 1, got ${String(cgroupId)}`);
    }
  }

  /** bpf_cgroup_storage_alloc: a zeroed storage linked nowhere (a test run's); give it back with freeStorage. */
  allocStorage(): number {
    return this.host.alloc(`map:${this.name || this.id}:cgroup-storage`, this.storageBytes());
  }

  /** bpf_cgroup_storage_free of a storage allocStorage made. */
  freeStorage(storage: number): void {
    this.host.free(storage);
  }

  protected override opLookupSys(key: Uint8Array, out: Uint8Array, flags: number): number {
    const e = this.findKey(key);
    if (!e) return fail('ENOENT');
    this.mem.refresh();
    // bpf_percpu_cgroup_storage_copy: every CPU's slot of round_up(value_size, 8) bytes.
    return this.copyValueOut(this.valueAddress(e), out, 0, flags, this.percpu ? this.elemSize * this.nrCpus : 0);
  }

  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (this.percpu) {
      // bpf_percpu_cgroup_storage_update.
      if (flags !== BPF_ANY && flags !== BPF_EXIST) return fail('EINVAL');
      const e = this.findKey(key);
      if (!e) return fail('ENOENT');
      this.mem.refresh().u8.set(value.subarray(0, this.elemSize * this.nrCpus), this.valueAddress(e));
      return 0;
    }
    // cgroup_storage_update_elem: an element always exists, so BPF_NOEXIST can never hold.
    if (flags & ~(BPF_F_LOCK | BPF_EXIST)) return fail('EINVAL');
    if (flags & BPF_F_LOCK && this.spinLockOffset === undefined) return fail('EINVAL');
    const e = this.findKey(key);
    if (!e) return fail('ENOENT');
    const at = this.valueAddress(e);
    if (flags & BPF_F_LOCK) return this.copyValueLocked(at, value, 0, true);
    this.copyValue(this.mem.refresh().u8, at, value, 0);
    return 0;
  }

  /** cgroup_storage_get_next_key: the elements newest first; a key that is no element's is ENOENT. */
  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const mem = this.mem.refresh();
    let e = mem.get(this.address + CGROUP_STORAGE_DESC.first);
    if (key) {
      const at = this.findKey(key);
      e = at ? mem.get(at + ELEM.next) : 0;
    }
    if (!e) return fail('ENOENT');
    out.set(mem.u8.subarray(e + ELEM.cgroupId, e + ELEM.cgroupId + 8));
    if (this.keySize === CGROUP_STORAGE_KEY_SIZE) {
      new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(8, mem.get(e + ELEM.attachType), true);
    }
    return 0;
  }

  override dispose(): void {
    this.freeList(this.address + CGROUP_STORAGE_DESC.first);
  }
}
