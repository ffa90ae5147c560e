/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-producer,
 * single-consumer ring of variable-size records, with the kernel's memory
 * layout and record format, so a consumer written for libbpf's ring_buffer
 * reads it unchanged.
 *
 * Storage (page offsets as in the kernel's mmap of the map):
 *
 *       0  u64 consumer_pos   (the consumer's page)
 *    4096  u64 producer_pos   (the producer's page)
 *    8192  data: max_entries bytes (a power of two, a multiple of 4096),
 *          then as many again
 *
 * The kernel maps the data pages twice in a row so that a record that wraps
 * is contiguous; we keep a second copy's worth of bytes after the data and
 * a record that runs past the end is folded back to the start on submit
 * (the space check guarantees nothing live is there).
 *
 * Record: an 8-byte header {u32 len, u32 pg_off} then the sample, padded to
 * 8 bytes. len has BPF_RINGBUF_BUSY_BIT while reserved and
 * BPF_RINGBUF_DISCARD_BIT when discarded; pg_off is the header's page
 * offset from the start of the storage.
 *
 * Descriptor, type-specific part: 96 lock, 104 u64 pending_pos, 112 wakeups
 * (incremented and Atomics.notify'd when the consumer should wake).
 */
import { DESC, BpfMap, fail } from './map.js';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ,
} from './uapi.js';

export const RINGBUF_DESC = Object.freeze({ lock: DESC.specific, pendingPos: DESC.specific + 8, wakeups: DESC.specific + 16 });
export const RINGBUF_PAGE = Object.freeze({ consumerPos: 0, producerPos: 4096, data: 8192 });
/** RINGBUF_MAX_RECORD_SZ. */
const MAX_RECORD = Math.floor(0xffffffff / 4);

export function ringbufLayout(maxEntries: number): { desc: number; storage: number } {
  return { desc: RINGBUF_DESC.wakeups + 4, storage: RINGBUF_PAGE.data + 2 * maxEntries };
}

const roundup8 = (n: number) => (n + 7) & ~7;

export class RingBufMap extends BpfMap {
  private get mask(): number {
    return this.maxEntries - 1;
  }

  private get data(): number {
    return this.storage + RINGBUF_PAGE.data;
  }

  private pos(addr: number): number {
    return Number(Atomics.load(this.mem.i64, addr >>> 3));
  }

  private setPos(addr: number, v: number): void {
    Atomics.store(this.mem.i64, addr >>> 3, BigInt(v));
  }

  get consumerPos(): number {
    this.mem.refresh();
    return this.pos(this.storage + RINGBUF_PAGE.consumerPos);
  }

  get producerPos(): number {
    this.mem.refresh();
    return this.pos(this.storage + RINGBUF_PAGE.producerPos);
  }

  /** __bpf_ringbuf_reserve: the address of a `size`-byte sample, or 0 when there is no room. */
  reserve(size: number): number {
    if (size > MAX_RECORD) return 0;
    const len = roundup8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.maxEntries) return 0;
    const mem = this.mem.refresh();
    const consPos = this.pos(this.storage + RINGBUF_PAGE.consumerPos);
    const lockAt = this.address + RINGBUF_DESC.lock;
    if (mem.lock(lockAt)) return 0;
    try {
      let pendPos = this.pos(this.address + RINGBUF_DESC.pendingPos);
      const prodPos = this.pos(this.storage + RINGBUF_PAGE.producerPos);
      const newProdPos = prodPos + len;
      while (pendPos < prodPos) {
        const hdrLen = Atomics.load(mem.u32, (this.data + (pendPos % this.maxEntries)) >>> 2);
        if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
        pendPos += roundup8((hdrLen & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
      }
      this.setPos(this.address + RINGBUF_DESC.pendingPos, pendPos);
      if (newProdPos - consPos > this.mask || newProdPos - pendPos > this.mask) return 0;
      const hdr = this.data + (prodPos % this.maxEntries);
      Atomics.store(mem.u32, hdr >>> 2, (size | BPF_RINGBUF_BUSY_BIT) >>> 0);
      mem.set(hdr + 4, (hdr - this.storage) >>> 12);
      this.setPos(this.storage + RINGBUF_PAGE.producerPos, newProdPos);
      return hdr + BPF_RINGBUF_HDR_SZ;
    } finally {
      mem.unlock(lockAt);
    }
  }

  /** Whether `sample` is the address of a sample reserved in this ring and not yet committed. */
  holds(sample: number): boolean {
    const hdr = sample - BPF_RINGBUF_HDR_SZ;
    if (hdr < this.data || hdr >= this.data + this.maxEntries || (hdr - this.data) % 8) return false;
    return (this.mem.refresh().get(hdr) & BPF_RINGBUF_BUSY_BIT) !== 0;
  }

  /** bpf_ringbuf_commit: submit or discard the reserved sample at `sample`. */
  commit(sample: number, flags: number, discard: boolean): void {
    const mem = this.mem.refresh();
    const hdr = sample - BPF_RINGBUF_HDR_SZ;
    const len = mem.get(hdr) & ~BPF_RINGBUF_BUSY_BIT;
    const end = hdr + roundup8(len + BPF_RINGBUF_HDR_SZ);
    if (end > this.data + this.maxEntries) {
      mem.u8.copyWithin(this.data, this.data + this.maxEntries, end);
    }
    Atomics.store(mem.u32, hdr >>> 2, (len | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0);
    const recPos = hdr - this.data;
    const consPos = this.pos(this.storage + RINGBUF_PAGE.consumerPos) % this.maxEntries;
    if (flags & BPF_RB_FORCE_WAKEUP || (consPos === recPos && !(flags & BPF_RB_NO_WAKEUP))) this.wakeUp();
  }

  private wakeUp(): void {
    const mem = this.mem;
    const at = (this.address + RINGBUF_DESC.wakeups) >>> 2;
    Atomics.add(mem.i32, at, 1);
    if (mem.shared) Atomics.notify(mem.i32, at);
  }

  /** How many times producers asked the consumer to wake up. */
  get wakeups(): number {
    return this.mem.refresh().get(this.address + RINGBUF_DESC.wakeups);
  }

  /** bpf_ringbuf_output: copy `data` in as one record; 0 or -errno. */
  output(data: Uint8Array, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return fail('EINVAL');
    const rec = this.reserve(data.length);
    if (!rec) return fail('EAGAIN');
    this.mem.u8.set(data, rec);
    this.commit(rec, flags, false);
    return 0;
  }

  /** bpf_ringbuf_query. */
  query(flags: number): number {
    this.mem.refresh();
    const cons = this.pos(this.storage + RINGBUF_PAGE.consumerPos), prod = this.pos(this.storage + RINGBUF_PAGE.producerPos);
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return prod - cons;
      case BPF_RB_RING_SIZE: return this.maxEntries;
      case BPF_RB_CONS_POS: return cons;
      case BPF_RB_PROD_POS: return prod;
      default: return 0;
    }
  }

  /**
   * The consumer (libbpf's ring_buffer__consume): hand each committed,
   * non-discarded sample to `onSample` in order, stopping at a record still
   * being written or when `onSample` returns a negative number. Returns the
   * samples consumed.
   */
  consume(onSample: (data: Uint8Array) => number | void, limit = Infinity): number {
    const mem = this.mem.refresh();
    const consAt = this.storage + RINGBUF_PAGE.consumerPos;
    let consPos = this.pos(consAt);
    let count = 0;
    for (;;) {
      let progressed = false;
      const prodPos = this.pos(this.storage + RINGBUF_PAGE.producerPos);
      while (consPos < prodPos) {
        const len = Atomics.load(mem.u32, (this.data + (consPos % this.maxEntries)) >>> 2);
        if (len & BPF_RINGBUF_BUSY_BIT) return count;
        progressed = true;
        const samplePos = consPos + BPF_RINGBUF_HDR_SZ;
        consPos += roundup8((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
        if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
          const ret = onSample(this.readWrapped(samplePos, len));
          if (typeof ret === 'number' && ret < 0) {
            this.setPos(consAt, consPos);
            return count;
          }
          count++;
        }
        this.setPos(consAt, consPos);
        if (count >= limit) return count;
      }
      if (!progressed) return count;
    }
  }

  /** `n` bytes from ring position `pos`, wrapping at the end of the data. */
  private readWrapped(pos: number, n: number): Uint8Array {
    const u8 = this.mem.u8, start = pos % this.maxEntries;
    const out = new Uint8Array(n);
    const first = Math.min(n, this.maxEntries - start);
    out.set(u8.subarray(this.data + start, this.data + start + first));
    if (first < n) out.set(u8.subarray(this.data, this.data + n - first), first);
    return out;
  }

  protected override opLookupSys(): number {
    return fail('ENOTSUPP');
  }

  protected override opUpdateSys(): number {
    return fail('ENOTSUPP');
  }

  protected override opDelete(): number {
    return fail('ENOTSUPP');
  }

  protected override opNextKey(): number {
    return fail('ENOTSUPP');
  }
}
