/**
 * Bounds-checked reads from a byte buffer in either byte order. Every read
 * outside the buffer is a LoadError naming the section and the offset, so
 * parsers of untrusted objects never see a RangeError.
 */
import type { ByteOrder } from './bytes.js';
import { LoadError } from './errors.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly le: boolean;
  /** Section named in errors. */
  readonly section: string;

  constructor(bytes: Uint8Array, order: ByteOrder, section: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = order === 'le';
    this.section = section;
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(offset: number, reason: string): never {
    throw new LoadError(this.section, offset, reason);
  }

  /** Check that `size` bytes at `offset` are inside the buffer. */
  check(offset: number, size: number, what: string): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.bytes.length)) {
      this.fail(offset, `${what} (${size} bytes) runs past the end of the section (${this.bytes.length} bytes)`);
    }
  }

  u8(offset: number, what = 'u8'): number {
    this.check(offset, 1, what);
    return this.bytes[offset];
  }

  u16(offset: number, what = 'u16'): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, this.le);
  }

  u32(offset: number, what = 'u32'): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, this.le);
  }

  i32(offset: number, what = 'i32'): number {
    this.check(offset, 4, what);
    return this.view.getInt32(offset, this.le);
  }

  /** An unsigned 64-bit field that must fit a JS number (offsets and sizes). */
  u64n(offset: number, what = 'u64'): number {
    const { lo, hi } = this.u64Halves(offset, what);
    if (hi > 0x1fffff) this.fail(offset, `${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`);
    return hi * 0x100000000 + lo;
  }

  /** The two 32-bit halves of a 64-bit field, without BigInt (hot paths: symbols, relocations). */
  u64Halves(offset: number, what = 'u64'): { lo: number; hi: number } {
    this.check(offset, 8, what);
    const a = this.view.getUint32(offset, this.le);
    const b = this.view.getUint32(offset + 4, this.le);
    return this.le ? { lo: a, hi: b } : { lo: b, hi: a };
  }

  u64(offset: number, what = 'u64'): bigint {
    this.check(offset, 8, what);
    return this.view.getBigUint64(offset, this.le);
  }

  /** A view of `size` bytes at `offset` (no copy). */
  sub(offset: number, size: number, what: string): Uint8Array {
    this.check(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }

  /** The NUL-terminated string at `offset`, decoded as UTF-8. */
  cstring(offset: number, what = 'string'): string {
    if (!(offset >= 0 && offset < this.bytes.length)) {
      this.fail(offset, `${what} offset ${offset} is outside the string table (${this.bytes.length} bytes)`);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) this.fail(offset, `${what} at ${offset} is not NUL-terminated`);
    return decodeUtf8(this.bytes, offset, end);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 text of bytes[start, end); ASCII (the common case) without the decoder. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}
