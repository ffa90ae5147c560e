/**
 * A growable byte buffer with the encodings of the WebAssembly binary
 * format: LEB128 (unsigned 32-bit, signed 32-bit, signed 64-bit from two
 * 32-bit halves so that constants never go through BigInt), and fixed-width
 * five-byte placeholders that are patched once a size is known.
 */

const utf8 = new TextEncoder();

/** Writers given back with ByteWriter.release, for take to reuse. */
const spare: ByteWriter[] = [];
/**
 * At most this many spare writers (a batch of programs holds a body for each
 * of its functions until its module is built), none larger than this many
 * bytes, and this many bytes in all, are kept.
 */
const MAX_SPARE = 1024, MAX_SPARE_BYTES = 1 << 20, MAX_SPARE_TOTAL = 1 << 22;
/** The bytes of the spare writers' buffers. */
let spareBytes = 0;

export class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }

  /**
   * An empty writer with room for `capacity` bytes, reused when one was
   * released: a fresh buffer for every function body and module (an
   * off-heap allocation, and external memory that brings the collector
   * sooner) is a good part of what a small program's compile costs.
   */
  static take(capacity: number): ByteWriter {
    const w = spare.pop();
    if (!w) return new ByteWriter(capacity);
    spareBytes -= w.bytes.length;
    w.length = 0;
    w.ensure(capacity);
    return w;
  }

  /** Give back writers from take whose bytes nothing reads any more. */
  static release(writers: readonly ByteWriter[]): void {
    for (const w of writers) {
      if (spare.length < MAX_SPARE && w.bytes.length <= MAX_SPARE_BYTES && spareBytes + w.bytes.length <= MAX_SPARE_TOTAL) {
        spare.push(w);
        spareBytes += w.bytes.length;
      }
    }
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(b: number): void {
    if (this.length === this.bytes.length) this.ensure(1);
    this.bytes[this.length++] = b;
  }

  /** Two bytes: an opcode and a one-byte immediate (a local index below 128, a block type). */
  byte2(a: number, b: number): void {
    if (this.length + 2 > this.bytes.length) this.ensure(2);
    this.bytes[this.length++] = a;
    this.bytes[this.length++] = b;
  }

  raw(data: Uint8Array): void {
    const n = data.length;
    this.ensure(n);
    // A few bytes (the compiler's fixed sequences) by a loop: set is a builtin call, costlier than them.
    if (n <= 16) {
      const { bytes } = this;
      for (let k = 0; k < n; k++) bytes[this.length + k] = data[k];
    } else {
      this.bytes.set(data, this.length);
    }
    this.length += n;
  }

  /** Append a copy of what was written at [from, to) (no copy of it made on the way). */
  copyWithin(from: number, to: number): void {
    this.ensure(to - from);
    this.bytes.copyWithin(this.length, from, to);
    this.length += to - from;
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  u32(v: number): void {
    // Most are one byte (a local, a global, a branch depth) or two (a stack offset); the rest out of line: V8 then inlines this.
    if (v >= 0 && v < 0x80) this.byte(v);
    else if (v >= 0x80 && v < 0x4000) this.byte2((v & 0x7f) | 0x80, v >>> 7);
    else this.u32Wide(v);
  }

  private u32Wide(v: number): void {
    this.ensure(5);
    v >>>= 0;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): void {
    // Most are one byte (small constants) or two (a pc).
    if (v >= -0x40 && v < 0x40) this.byte(v & 0x7f);
    else if (v >= -0x2000 && v < 0x2000) this.byte2((v & 0x7f) | 0x80, (v >> 7) & 0x7f);
    else this.s32Wide(v);
  }

  private s32Wide(v: number): void {
    this.ensure(5);
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.bytes[this.length++] = b;
        return;
      }
      this.bytes[this.length++] = b | 0x80;
    }
  }

  /** Signed LEB128 of the 64-bit integer hi:lo (two 32-bit halves). */
  s64(lo: number, hi: number): void {
    // Most constants are 32-bit sign extensions: their encoding is s32's.
    if ((hi | 0) === (lo | 0) >> 31) this.s32(lo | 0);
    else this.s64Wide(lo | 0, hi | 0);
  }

  private s64Wide(lo: number, hi: number): void {
    this.ensure(10);
    for (;;) {
      const b = lo & 0x7f;
      lo = (lo >>> 7) | (hi << 25);
      hi >>= 7;
      if ((hi === 0 && lo === 0 && (b & 0x40) === 0) || (hi === -1 && lo === -1 && (b & 0x40) !== 0)) {
        this.bytes[this.length++] = b;
        return;
      }
      this.bytes[this.length++] = b | 0x80;
    }
  }

  /** A name: its UTF-8 length, then the bytes (ASCII written directly: the JIT's names all are). */
  name(text: string): void {
    let ascii = true;
    for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
    if (ascii) {
      this.u32(text.length);
      this.ensure(text.length);
      for (let i = 0; i < text.length; i++) this.bytes[this.length++] = text.charCodeAt(i);
      return;
    }
    const data = utf8.encode(text);
    this.u32(data.length);
    this.raw(data);
  }

  /** Five bytes to be patched with patchU32; returns their position. */
  placeholder(): number {
    const at = this.length;
    this.ensure(5);
    // Stores, not fill: a builtin call per section cost more than the section.
    const { bytes } = this;
    bytes[at] = 0x80;
    bytes[at + 1] = 0x80;
    bytes[at + 2] = 0x80;
    bytes[at + 3] = 0x80;
    bytes[at + 4] = 0;
    this.length += 5;
    return at;
  }

  /** Write `v` at a placeholder as a five-byte (padded) unsigned LEB128. */
  patchU32(at: number, v: number): void {
    for (let k = 0; k < 4; k++) {
      this.bytes[at + k] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[at + 4] = v & 0x7f;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
