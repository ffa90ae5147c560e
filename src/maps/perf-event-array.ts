/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf ring buffer per slot (usually one
 * per CPU), written by bpf_perf_event_output and read by a userspace
 * consumer, as perf_event_open(PERF_COUNT_SW_BPF_OUTPUT) + mmap give them.
 *
 * A slot holds the address of its buffer's region (0 when none), laid out
 * as the kernel's perf mmap area:
 *
 *      0  4096  struct perf_event_mmap_page; the fields used:
 *                 1024 u64 data_head    (written by the producer)
 *                 1032 u64 data_tail    (written by the consumer)
 *                 1040 u64 data_offset  (4096)
 *                 1048 u64 data_size
 *               and, in the page's unused tail, the producer's state:
 *                 2048 u64 lost records not yet reported
 *                 2056 u32 the CPU the buffer belongs to
 *                 2060 u32 lock
 *                 2064 u32 wakeups (Atomics.notify'd)
 *   4096  data_size bytes of records (a power of two; records wrap around)
 *
 * Records are perf's: a PERF_RECORD_SAMPLE carrying PERF_SAMPLE_RAW
 * (header {u32 type=9, u16 misc, u16 size}, u32 raw size, the data, padding
 * to 8 bytes), and PERF_RECORD_LOST {header, u64 id, u64 lost} when
 * samples were dropped for want of room.
 */
import { ERRNO, MapError } from './errors.js';
import { FdArrayMap } from './fd-array.js';
import { fail } from './map.js';
import { isPowerOf2, u32At, type MapMemory } from './memory.js';

export const PERF_PAGE = Object.freeze({
  dataHead: 1024, dataTail: 1032, dataOffset: 1040, dataSize: 1048, lost: 2048, cpu: 2056, lock: 2060, wakeups: 2064,
  data: 4096,
});
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
const HEADER = 8;
const LOST_SIZE = 24;

export interface PerfBufferOptions {
  /** The CPU whose events go to this buffer (default: the slot's index). */
  cpu?: number;
  /** Data pages, a power of two (default 8). */
  pageCount?: number;
}

/** One perf ring buffer in linear memory, with the producer side (for the helper) and a consumer. */
export class PerfBuffer {
  constructor(readonly mem: MapMemory, readonly address: number) {}

  get cpu(): number {
    return this.mem.refresh().get(this.address + PERF_PAGE.cpu);
  }

  get dataSize(): number {
    return this.mem.refresh().get(this.address + PERF_PAGE.dataSize);
  }

  private pos(field: number): bigint {
    return Atomics.load(this.mem.i64, (this.address + field) >>> 3);
  }

  private setPos(field: number, value: bigint): void {
    Atomics.store(this.mem.i64, (this.address + field) >>> 3, value);
  }

  /** Copy `bytes` into the data area at position `pos`, wrapping. */
  private put(pos: bigint, bytes: Uint8Array): void {
    const size = this.dataSize, at = Number(pos % BigInt(size));
    const first = Math.min(bytes.length, size - at);
    const data = this.address + PERF_PAGE.data;
    this.mem.u8.set(bytes.subarray(0, first), data + at);
    if (first < bytes.length) this.mem.u8.set(bytes.subarray(first), data);
  }

  private get(pos: bigint, n: number): Uint8Array {
    const size = this.dataSize, at = Number(pos % BigInt(size));
    const out = new Uint8Array(n);
    const data = this.address + PERF_PAGE.data;
    const first = Math.min(n, size - at);
    out.set(this.mem.u8.subarray(data + at, data + at + first));
    if (first < n) out.set(this.mem.u8.subarray(data, data + n - first), first);
    return out;
  }

  /** perf_event_output of a raw sample: 0, or -ENOSPC when it does not fit (counted as lost). */
  output(data: Uint8Array): number {
    const mem = this.mem.refresh();
    const lockAt = this.address + PERF_PAGE.lock;
    const err = mem.lock(lockAt);
    if (err) return err;
    try {
      const rawSize = ((data.length + 4 + 7) & ~7) - 4;
      const sampleSize = HEADER + 4 + rawSize;
      const lost = this.pos(PERF_PAGE.lost);
      const need = sampleSize + (lost ? LOST_SIZE : 0);
      let head = this.pos(PERF_PAGE.dataHead);
      if (BigInt(this.dataSize) - (head - this.pos(PERF_PAGE.dataTail)) < BigInt(need) || sampleSize > 0xffff) {
        this.setPos(PERF_PAGE.lost, lost + 1n);
        return fail('ENOSPC');
      }
      if (lost) {
        const rec = new Uint8Array(LOST_SIZE);
        const dv = new DataView(rec.buffer);
        dv.setUint32(0, PERF_RECORD_LOST, true);
        dv.setUint16(6, LOST_SIZE, true);
        dv.setBigUint64(16, lost, true);
        this.put(head, rec);
        head += BigInt(LOST_SIZE);
        this.setPos(PERF_PAGE.lost, 0n);
      }
      const rec = new Uint8Array(sampleSize);
      const dv = new DataView(rec.buffer);
      dv.setUint32(0, PERF_RECORD_SAMPLE, true);
      dv.setUint16(6, sampleSize, true);
      dv.setUint32(8, rawSize, true);
      rec.set(data, 12);
      this.put(head, rec);
      this.setPos(PERF_PAGE.dataHead, head + BigInt(sampleSize));
      Atomics.add(mem.i32, (this.address + PERF_PAGE.wakeups) >>> 2, 1);
      if (mem.shared) Atomics.notify(mem.i32, (this.address + PERF_PAGE.wakeups) >>> 2);
      return 0;
    } finally {
      mem.unlock(lockAt);
    }
  }

  /**
   * Read every record written so far (perf_buffer__consume): `onSample`
   * gets each raw sample (its size as the record carries it, padding
   * included), `onLost` each count of dropped samples. Returns the records
   * read.
   */
  consume(onSample: (data: Uint8Array, cpu: number) => void, onLost?: (lost: bigint, cpu: number) => void): number {
    this.mem.refresh();
    const cpu = this.cpu;
    const head = this.pos(PERF_PAGE.dataHead);
    let tail = this.pos(PERF_PAGE.dataTail);
    let n = 0;
    while (tail < head) {
      const header = new DataView(this.get(tail, HEADER).buffer);
      const type = header.getUint32(0, true), size = header.getUint16(6, true);
      const rec = this.get(tail, size);
      const dv = new DataView(rec.buffer);
      if (type === PERF_RECORD_SAMPLE) onSample(rec.slice(12, 12 + dv.getUint32(8, true)), cpu);
      else if (type === PERF_RECORD_LOST) onLost?.(dv.getBigUint64(16, true), cpu);
      tail += BigInt(size);
      n++;
      this.setPos(PERF_PAGE.dataTail, tail);
    }
    return n;
  }
}

export class PerfEventArrayMap extends FdArrayMap {
  protected override readonly hasSysLookup = false;
  private readonly opened = new Map<number, PerfBuffer>();

  /**
   * Create a buffer for slot `index` (what perf_event_open + mmap +
   * BPF_MAP_UPDATE_ELEM do), replacing any buffer there.
   */
  open(index: number, options: PerfBufferOptions = {}): PerfBuffer {
    const cmd = 'BPF_MAP_UPDATE_ELEM';
    const pages = options.pageCount ?? 8;
    const cpu = options.cpu ?? index;
    if (!Number.isInteger(pages) || !isPowerOf2(pages)) throw new MapError(cmd, ERRNO.EINVAL, `${this.what()}: pageCount must be a power of two, got ${pages}`);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.nrCpus) throw new MapError(cmd, ERRNO.EINVAL, `${this.what()}: cpu ${cpu} is not one of the runtime's ${this.nrCpus} CPUs`);
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) throw this.error(cmd, fail('E2BIG'));
    const size = pages * 4096;
    const address = this.host.alloc(`perf:${this.name || this.id}[${index}]`, PERF_PAGE.data + size);
    const mem = this.mem.refresh();
    mem.dv.setBigUint64(address + PERF_PAGE.dataOffset, BigInt(PERF_PAGE.data), true);
    mem.dv.setBigUint64(address + PERF_PAGE.dataSize, BigInt(size), true);
    mem.set(address + PERF_PAGE.cpu, cpu);
    const buffer = new PerfBuffer(mem, address);
    this.opened.set(address, buffer);
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index, true);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, address, true);
    this.update(key, value);
    return buffer;
  }

  /** The buffer in slot `index`, or undefined. */
  buffer(index: number): PerfBuffer | undefined {
    const at = this.slotValue(index);
    return at ? this.opened.get(at) ?? new PerfBuffer(this.mem, at) : undefined;
  }

  override dispose(): void {
    for (const at of this.opened.keys()) this.host.free(at);
    this.opened.clear();
  }

  /** A slot takes the address of a buffer this map opened (the "perf event fd"). */
  protected override getPtr(value: Uint8Array): number {
    const at = u32At(value, 0);
    return this.opened.has(at) ? at : fail('EBADF');
  }

  protected override putPtr(ptr: number): void {
    if (this.opened.delete(ptr)) this.host.free(ptr);
  }

  protected override sysLookup(): number {
    return 0;
  }

  /** bpf_perf_event_output from a program on `cpu`: flags carry the slot index or BPF_F_CURRENT_CPU. */
  eventOutput(flags: bigint, data: Uint8Array, cpu: number): number {
    if (flags & ~0xffffffffn) return fail('EINVAL');
    let index = Number(flags);
    if (index === 0xffffffff) index = cpu;
    if (index >= this.maxEntries) return fail('E2BIG');
    const at = this.slotValue(index);
    if (!at) return fail('ENOENT');
    const buffer = new PerfBuffer(this.mem, at);
    if (buffer.cpu !== cpu) return fail('EOPNOTSUPP');
    return buffer.output(data);
  }
}
