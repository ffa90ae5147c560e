/**
 * BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): stack ids → the stacks
 * bpf_get_stackid stored. The key is a u32 stack id, the value
 * value_size / 8 instruction pointers (u64), zero past the stack's depth.
 * Programs only add stacks (bpf_get_stackid); userspace looks them up,
 * deletes them and walks the ids in order, and cannot update.
 *
 * Descriptor, type-specific part:
 *
 *    96  4   n_buckets (roundup_pow_of_two(max_entries))
 *   100  4   lock
 *   104  4   stacks held (at most max_entries: the kernel's preallocated elements)
 *
 * Storage: n_buckets buckets; bucket i (the stack of id i) at
 * storage + i * (16 + value_size):
 *
 *    +0  4   present (0: the id is empty)
 *    +4  4   hash (jhash2 of the stored ips)
 *    +8  4   nr (ips stored)
 *   +16  …   ips, value_size bytes
 */
import { DESC, BpfMap, fail } from './map.js';
import { jhash2 } from './jhash.js';
import { roundupPowerOf2, u32At } from './memory.js';

const D = DESC.specific;
export const STACK_DESC = Object.freeze({ nBuckets: D, lock: D + 4, count: D + 8, size: D + 12 });
const BUCKET = Object.freeze({ present: 0, hash: 4, nr: 8, data: 16 });

/** sysctl_perf_event_max_stack's default: the deepest stack a map or bpf_get_stackid keeps. */
export const PERF_EVENT_MAX_STACK = 127;

/** bpf_get_stackid's flags (the skip count in the low byte, as bpf_get_stack). */
export const BPF_F_FAST_STACK_CMP = 1 << 9;
export const BPF_F_REUSE_STACKID = 1 << 10;

const bucketSize = (valueSize: number) => BUCKET.data + valueSize;

export function stackTraceLayout(valueSize: number, maxEntries: number): { desc: number; storage: number; nBuckets: number } {
  const nBuckets = roundupPowerOf2(maxEntries);
  return { desc: STACK_DESC.size, storage: nBuckets * bucketSize(valueSize), nBuckets };
}

export class StackTraceMap extends BpfMap {
  get nBuckets(): number {
    return this.mem.get(this.address + STACK_DESC.nBuckets);
  }

  private bucket(id: number): number {
    return this.storage + id * bucketSize(this.valueSize);
  }

  private present(id: number): boolean {
    return this.mem.get(this.bucket(id) + BUCKET.present) !== 0;
  }

  /** Run `body` under the map's lock (-EBUSY when it cannot be had). */
  private locked(body: () => number): number {
    const mem = this.mem.refresh();
    const lockAt = this.address + STACK_DESC.lock;
    if (mem.lock(lockAt)) return fail('EBUSY');
    try {
      return body();
    } finally {
      mem.unlock(lockAt);
    }
  }

  private stackId(key: Uint8Array): number {
    return u32At(key, 0);
  }

  /** bpf_stackmap_copy: the stack of the id, zero-padded; -ENOENT for an empty or out-of-range id. */
  protected override opLookupSys(key: Uint8Array, out: Uint8Array): number {
    const id = this.stackId(key);
    return this.locked(() => {
      if (id >= this.nBuckets || !this.present(id)) return fail('ENOENT');
      const b = this.bucket(id);
      const len = this.mem.get(b + BUCKET.nr) * 8;
      out.fill(0);
      out.set(this.mem.u8.subarray(b + BUCKET.data, b + BUCKET.data + len));
      return 0;
    });
  }

  /** stack_map_update_elem: stacks come only from bpf_get_stackid. */
  protected override opUpdateSys(): number {
    return fail('EINVAL');
  }

  /** stack_map_delete_elem: -E2BIG past the buckets, -ENOENT for an empty id. */
  protected override opDelete(key: Uint8Array): number {
    const id = this.stackId(key);
    if (id >= this.nBuckets) return fail('E2BIG');
    return this.locked(() => {
      if (!this.present(id)) return fail('ENOENT');
      this.mem.set(this.bucket(id) + BUCKET.present, 0);
      this.mem.set(this.address + STACK_DESC.count, this.mem.get(this.address + STACK_DESC.count) - 1);
      return 0;
    });
  }

  /** stack_map_get_next_key: the next id holding a stack; an unknown id starts over from 0. */
  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const n = this.nBuckets;
    let id = 0;
    if (key) {
      const k = this.stackId(key);
      id = k >= n || !this.present(k) ? 0 : k + 1;
    }
    while (id < n && !this.present(id)) id++;
    if (id >= n) return fail('ENOENT');
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, id, true);
    return 0;
  }

  /**
   * __bpf_get_stackid: store `ips` (already skipped and cut to the map's
   * depth) under jhash2(ips) & (n_buckets - 1). Returns the id, or -EEXIST
   * when that id holds another stack and BPF_F_REUSE_STACKID is not set,
   * -ENOMEM when max_entries stacks are held.
   */
  storeStack(ips: readonly bigint[], flags: number): number {
    const words = new Uint8Array(ips.length * 8);
    const view = new DataView(words.buffer);
    ips.forEach((ip, k) => view.setBigUint64(8 * k, BigInt.asUintN(64, ip), true));
    const hash = jhash2(words, 0, ips.length * 2, 0);
    const id = hash & (this.nBuckets - 1);
    return this.locked(() => {
      const mem = this.mem;
      const b = this.bucket(id);
      const present = this.present(id);
      const hashMatches = present && mem.get(b + BUCKET.hash) === hash;
      if (hashMatches && flags & BPF_F_FAST_STACK_CMP) return id;
      if (hashMatches && mem.get(b + BUCKET.nr) === ips.length) {
        const stored = mem.u8.subarray(b + BUCKET.data, b + BUCKET.data + words.length);
        if (stored.every((byte, i) => byte === words[i])) return id;
      }
      if (present && !(flags & BPF_F_REUSE_STACKID)) return fail('EEXIST');
      // The kernel takes a fresh element even to replace a stack, so a full map refuses both.
      const count = mem.get(this.address + STACK_DESC.count);
      if (count >= this.maxEntries) return fail('ENOMEM');
      if (!present) mem.set(this.address + STACK_DESC.count, count + 1);
      mem.set(b + BUCKET.hash, hash);
      mem.set(b + BUCKET.nr, ips.length);
      mem.u8.fill(0, b + BUCKET.data, b + BUCKET.data + this.valueSize);
      mem.u8.set(words, b + BUCKET.data);
      mem.set(b + BUCKET.present, 1);
      return id;
    });
  }
}
