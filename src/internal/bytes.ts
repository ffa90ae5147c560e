/** Byte and integer helpers shared by the loaders, the assembler and the engines. */

export type ByteOrder = 'le' | 'be';

const HEX_BYTE = /^[0-9a-fA-F]{2}$/;

/**
 * Parse hex bytes written as `aa bb cc`, `aabbcc` or `0xaabbcc` (white space
 * anywhere). Returns null when the text is not an even run of hex digits.
 */
export function parseHexBytes(text: string): Uint8Array | null {
  let digits = text.replace(/\s+/g, '');
  if (digits.startsWith('0x') || digits.startsWith('0X')) digits = digits.slice(2);
  if (digits.length % 2 !== 0) return null;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = digits.slice(2 * i, 2 * i + 2);
    if (!HEX_BYTE.test(pair)) return null;
    out[i] = parseInt(pair, 16);
  }
  return out;
}

/** Lower-case hex of the bytes, no separators. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** `0x`-prefixed hex of an unsigned 64-bit value. */
export function u64Hex(value: bigint): string {
  return '0x' + BigInt.asUintN(64, value).toString(16);
}

/** The unsigned 64-bit value of two 32-bit halves. */
export function u64FromHalves(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
