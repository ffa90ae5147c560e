/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c):
 * a circular buffer of `max_entries + 1` slots, so that head == tail means
 * empty and head + 1 == tail means full.
 *
 * Descriptor, type-specific part:  96 lock, 100 head, 104 tail, 108 size (max_entries + 1)
 * Storage: `size` slots of exactly value_size bytes (slot i at storage + i * value_size).
 *
 * Push writes at head; a queue pops at tail, a stack below head. Pushing
 * with BPF_EXIST into a full map first drops the oldest element (the tail),
 * for a stack too.
 */
import { DESC, BpfMap, fail } from './map.js';
import { BPF_EXIST, BPF_NOEXIST } from './uapi.js';
import { BPF_MAP_TYPE } from '../platform/index.js';

export const QS_DESC = Object.freeze({ lock: DESC.specific, head: DESC.specific + 4, tail: DESC.specific + 8, size: DESC.specific + 12 });

export function queueStackLayout(valueSize: number, maxEntries: number): { desc: number; storage: number } {
  return { desc: QS_DESC.size + 4, storage: (maxEntries + 1) * valueSize };
}

export class QueueStackMap extends BpfMap {
  readonly isStack = this.type === BPF_MAP_TYPE.STACK;

  protected override isQueueOrStack(): boolean {
    return true;
  }

  private field(f: number): number {
    return this.mem.get(this.address + f);
  }

  private setField(f: number, v: number): void {
    this.mem.set(this.address + f, v);
  }

  /** Run `body` under the map's lock (-EBUSY when it cannot be had, as raw_res_spin_lock fails). */
  private locked(body: () => number): number {
    const mem = this.mem.refresh();
    const lockAt = this.address + QS_DESC.lock;
    if (mem.lock(lockAt)) return fail('EBUSY');
    try {
      return body();
    } finally {
      mem.unlock(lockAt);
    }
  }

  /** __queue_map_get / __stack_map_get: copy the next element to (out, at); remove it when `remove`. */
  private get(out: Uint8Array, at: number, remove: boolean): number {
    return this.locked(() => {
      const head = this.field(QS_DESC.head), tail = this.field(QS_DESC.tail), size = this.field(QS_DESC.size);
      if (head === tail) {
        out.fill(0, at, at + this.valueSize);
        return fail('ENOENT');
      }
      let index: number;
      if (this.isStack) {
        index = head === 0 ? size - 1 : head - 1;
        if (remove) this.setField(QS_DESC.head, index);
      } else {
        index = tail;
        if (remove) this.setField(QS_DESC.tail, tail + 1 >= size ? 0 : tail + 1);
      }
      const src = this.storage + index * this.valueSize;
      out.set(this.mem.u8.subarray(src, src + this.valueSize), at);
      return 0;
    });
  }

  /** queue_stack_map_push_elem. */
  private push(vb: Uint8Array, vo: number, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return fail('EINVAL');
    return this.locked(() => {
      const size = this.field(QS_DESC.size);
      let head = this.field(QS_DESC.head);
      const tail = this.field(QS_DESC.tail);
      if ((head + 1 >= size ? 0 : head + 1) === tail) {
        if (!(flags & BPF_EXIST)) return fail('E2BIG');
        this.setField(QS_DESC.tail, tail + 1 >= size ? 0 : tail + 1);
      }
      this.mem.u8.set(vb.subarray(vo, vo + this.valueSize), this.storage + head * this.valueSize);
      head = head + 1 >= size ? 0 : head + 1;
      this.setField(QS_DESC.head, head);
      return 0;
    });
  }

  protected override opLookupSys(_key: Uint8Array, out: Uint8Array): number {
    return this.get(out, 0, false);
  }

  protected override opUpdateSys(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, 0, flags);
  }

  protected override opLookupAndDelete(_key: Uint8Array, out: Uint8Array): number {
    return this.get(out, 0, true);
  }

  override pushElem(value: number, flags: number): number {
    return this.push(this.mem.refresh().u8, value, flags);
  }

  override popElem(value: number): number {
    return this.get(this.mem.refresh().u8, value, true);
  }

  override peekElem(value: number): number {
    return this.get(this.mem.refresh().u8, value, false);
  }
}
