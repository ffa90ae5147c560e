/**
 * Bob Jenkins' lookup3 hash as include/linux/jhash.h has it: `jhash` over
 * bytes and `jhash2` over 32-bit words. Hash maps pick their bucket with it
 * and bloom filters their bits, so using the same function (and seed) is
 * what makes our iteration order and false positives the kernel's.
 *
 * Words are read little-endian: the kernel reads them in CPU order, and the
 * machines we compare against are little-endian.
 */

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

const word = (k: Uint8Array, at: number): number => k[at] | (k[at + 1] << 8) | (k[at + 2] << 16) | (k[at + 3] << 24);

/** __jhash_final: the last mix; returns c. */
function final(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c >>> 0;
}

/** jhash(key, length, initval) over `length` bytes of `k` from `at`. */
export function jhash(k: Uint8Array, at: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0, b = a, c = a;
  while (length > 12) {
    a = (a + word(k, at)) | 0;
    b = (b + word(k, at + 4)) | 0;
    c = (c + word(k, at + 8)) | 0;
    a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
    length -= 12;
    at += 12;
  }
  if (length === 0) return c >>> 0;
  for (let i = length - 1; i >= 0; i--) {
    const byte = k[at + i] << ((i & 3) * 8);
    if (i >= 8) c = (c + byte) | 0; else if (i >= 4) b = (b + byte) | 0; else a = (a + byte) | 0;
  }
  return final(a, b, c);
}

/** jhash2(k, length, initval) over `length` little-endian 32-bit words of `k` from `at`. */
export function jhash2(k: Uint8Array, at: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + (length << 2) + initval) | 0, b = a, c = a;
  while (length > 3) {
    a = (a + word(k, at)) | 0;
    b = (b + word(k, at + 4)) | 0;
    c = (c + word(k, at + 8)) | 0;
    a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
    length -= 3;
    at += 12;
  }
  if (length === 0) return c >>> 0;
  if (length === 3) c = (c + word(k, at + 8)) | 0;
  if (length >= 2) b = (b + word(k, at + 4)) | 0;
  a = (a + word(k, at)) | 0;
  return final(a, b, c);
}

/** htab_map_hash: jhash2 when the key is whole words, jhash otherwise. */
export function htabMapHash(k: Uint8Array, at: number, keySize: number, hashrnd: number): number {
  return keySize % 4 === 0 ? jhash2(k, at, keySize / 4, hashrnd) : jhash(k, at, keySize, hashrnd);
}
