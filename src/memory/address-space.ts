/**
 * The address space of one runtime (ARCHITECTURE.md, "The memory model"):
 * a single WebAssembly.Memory in which stacks, contexts, packets and map
 * storage are regions. A pointer in a register is a 64-bit value whose low 32
 * bits are an offset into this memory; offset 0 is never handed out, so NULL
 * stays NULL. The interpreter and the JIT read the same bytes.
 */
import { EbpfError } from '../internal/errors.js';

const WASM_PAGE = 65536;
/** Allocations start past the first page: low addresses stay unmapped so that small offsets from NULL fault. */
const FIRST_ADDRESS = WASM_PAGE;
/**
 * The largest space: 4 GiB less the last page, so that every address handed out is in [64 KiB,
 * 4 GiB - 64 KiB) and one plus an instruction's offset is below 4 GiB (the JIT relies on it: jit/pointers.ts).
 */
export const MAX_SPACE_BYTES = 2 ** 32 - WASM_PAGE;
const ALIGN = 8;

export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map' | 'data' | 'other';

export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  readonly start: number;
  readonly size: number;
  /** Whether programs may store into it (a read-only region faults on store in checked mode). */
  readonly writable: boolean;
}

export interface AddressSpaceOptions {
  /** Initial size in bytes (rounded up to 64 KiB pages). */
  initialBytes?: number;
  /** Largest size in bytes the space may grow to. */
  maximumBytes?: number;
  /** Back the memory with a SharedArrayBuffer so that workers can run programs on it. */
  shared?: boolean;
}

export class OutOfMemoryError extends EbpfError {
  constructor(message: string) {
    super('ENOMEM', message);
  }
}

interface FreeBlock { start: number; size: number }

export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private readonly maximumPages: number;
  private bytesView: Uint8Array;
  private dataView: DataView;
  /** Regions sorted by start, for binary search. */
  private readonly sorted: Region[] = [];
  private readonly free: FreeBlock[] = [];
  private top = FIRST_ADDRESS;

  constructor(options: AddressSpaceOptions = {}) {
    const initialBytes = options.initialBytes ?? 1 << 20, maximumBytes = options.maximumBytes ?? 1 << 30;
    if (!Number.isSafeInteger(maximumBytes) || maximumBytes < 1 || maximumBytes > MAX_SPACE_BYTES) {
      throw new EbpfError('EINVAL', `maximumBytes must be an integer from 1 to ${MAX_SPACE_BYTES} (4 GiB less the last 64 KiB page, never handed out), got ${maximumBytes}`);
    }
    if (!Number.isSafeInteger(initialBytes) || initialBytes < 0 || initialBytes > maximumBytes) {
      throw new EbpfError('EINVAL', `initialBytes must be an integer from 0 to maximumBytes (${maximumBytes}), got ${initialBytes}`);
    }
    this.maximumPages = Math.max(2, Math.ceil(maximumBytes / WASM_PAGE));
    const initialPages = Math.max(2, Math.ceil(initialBytes / WASM_PAGE));
    this.shared = options.shared ?? false;
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: this.maximumPages, shared: this.shared });
    this.bytesView = new Uint8Array(this.memory.buffer);
    this.dataView = new DataView(this.memory.buffer);
  }

  /** All bytes of the space. Re-read after any allocation: growing replaces the buffer. */
  get bytes(): Uint8Array {
    this.refreshViews();
    return this.bytesView;
  }

  get view(): DataView {
    this.refreshViews();
    return this.dataView;
  }

  /** Allocate a zeroed region. */
  alloc(name: string, size: number, kind: RegionKind, writable = true): Region {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`alloc ${name}: bad size ${size}`);
    const want = Math.max(ALIGN, Math.ceil(size / ALIGN) * ALIGN);
    let start = -1;
    const fit = this.free.findIndex((b) => b.size >= want);
    if (fit >= 0) {
      const block = this.free[fit];
      start = block.start;
      if (block.size === want) this.free.splice(fit, 1);
      else { block.start += want; block.size -= want; }
    } else {
      start = this.top;
      this.ensure(start + want);
      this.top = start + want;
    }
    this.bytes.fill(0, start, start + want);
    const region: Region = Object.freeze({ name, kind, start, size, writable });
    this.sorted.splice(this.insertionPoint(start), 0, region);
    return region;
  }

  /** Give a region back; its bytes may be handed out again. */
  release(region: Region): void {
    const i = this.sorted.indexOf(region);
    if (i < 0) return;
    this.sorted.splice(i, 1);
    const size = Math.max(ALIGN, Math.ceil(region.size / ALIGN) * ALIGN);
    this.free.push({ start: region.start, size });
    this.free.sort((a, b) => a.start - b.start);
    for (let j = this.free.length - 1; j > 0; j--) {
      const a = this.free[j - 1], b = this.free[j];
      if (a.start + a.size === b.start) { a.size += b.size; this.free.splice(j, 1); }
    }
  }

  /** The region that holds [addr, addr + size), or undefined. */
  find(addr: number, size: number): Region | undefined {
    const list = this.sorted;
    let lo = 0, hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = list[mid];
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.start + Math.max(r.size, 1)) lo = mid + 1;
      else return addr + size <= r.start + r.size ? r : undefined;
    }
    return undefined;
  }

  /** The regions currently allocated, by address. */
  regions(): readonly Region[] {
    return this.sorted;
  }

  /** Copy bytes into a region (or any range of the space). */
  write(addr: number, data: Uint8Array): void {
    this.bytes.set(data, addr);
  }

  /** A copy of `size` bytes at `addr`. */
  read(addr: number, size: number): Uint8Array {
    return this.bytes.slice(addr, addr + size);
  }

  private insertionPoint(start: number): number {
    let lo = 0, hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid].start < start) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / WASM_PAGE);
    if (have / WASM_PAGE + pages > this.maximumPages) {
      throw new OutOfMemoryError(`address space full: ${end} bytes needed, at most ${this.maximumPages * WASM_PAGE}`);
    }
    this.memory.grow(pages);
    this.refreshViews();
  }

  /**
   * New views when the memory has grown: its `buffer` is then a new object, shared or not (the JS API
   * refreshes a shared memory's buffer object whenever its length changed, on any thread).
   */
  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (this.bytesView.buffer !== buffer) {
      this.bytesView = new Uint8Array(buffer);
      this.dataView = new DataView(buffer);
    }
  }
}
