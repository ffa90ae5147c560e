/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array set by
 * `nr_hash_funcs` jhash functions of the value, seeds hash_seed + i. Same
 * hash, same bit count, same seed (0, as with BPF_F_ZERO_SEED) as the
 * kernel: the same values test positive, false positives included.
 *
 * Descriptor, type-specific part:
 *    96 bitset_mask (bits - 1)
 *   100 hash_seed
 *   104 aligned_u32_count (value_size / 4 when a multiple of 4, else 0: jhash2 or jhash)
 *   108 nr_hash_funcs
 * Storage: the bit array; bit h is bit (h & 7) of byte h >> 3 (set_bit on
 * little-endian longs), set with Atomics.or.
 */
import { DESC, BpfMap, fail } from './map.js';
import { jhash, jhash2 } from './jhash.js';
import { roundupPowerOf2 } from './memory.js';
import { BPF_ANY } from './uapi.js';

export const BLOOM_DESC = Object.freeze({ mask: DESC.specific, seed: DESC.specific + 4, alignedWords: DESC.specific + 8, nrHashFuncs: DESC.specific + 12 });

/** bloom_map_alloc's sizing: nr_bits = max_entries * nr_hash_funcs * 7 / 5, a power of two, at least 64. */
export function bloomLayout(maxEntries: number, mapExtra: bigint): { desc: number; storage: number; mask: number; nrHashFuncs: number } {
  const nrHashFuncs = Number(mapExtra & 0xfn) || 5;
  let nrBits = maxEntries * nrHashFuncs;
  let bytes: number, mask: number;
  // check_mul_overflow on u32s, or more than 2^31 bits: the whole 2^32-bit range.
  if (nrBits > 0xffffffff || Math.floor(nrBits / 5) * 7 > 2 ** 31) {
    bytes = 2 ** 29;
    mask = 0xffffffff;
  } else {
    nrBits = Math.floor(nrBits / 5) * 7;
    nrBits = nrBits <= 64 ? 64 : roundupPowerOf2(nrBits);
    bytes = nrBits / 8;
    mask = nrBits - 1;
  }
  return { desc: BLOOM_DESC.nrHashFuncs + 4, storage: Math.ceil(bytes / 8) * 8, mask, nrHashFuncs };
}

export class BloomFilterMap extends BpfMap {
  private readonly mask = this.mem.get(this.address + BLOOM_DESC.mask);
  private readonly seed = this.mem.get(this.address + BLOOM_DESC.seed);
  private readonly alignedWords = this.mem.get(this.address + BLOOM_DESC.alignedWords);
  readonly nrHashFuncs = this.mem.get(this.address + BLOOM_DESC.nrHashFuncs);

  private hash(vb: Uint8Array, vo: number, index: number): number {
    const h = this.alignedWords
      ? jhash2(vb, vo, this.alignedWords, (this.seed + index) >>> 0)
      : jhash(vb, vo, this.valueSize, (this.seed + index) >>> 0);
    return (h & this.mask) >>> 0;
  }

  /** bloom_map_peek_elem: 0 when every bit of the value is set (maybe present), else -ENOENT. */
  private peek(vb: Uint8Array, vo: number): number {
    const u8 = this.mem.refresh().u8;
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(vb, vo, i);
      if (!(Atomics.load(u8, this.storage + (h >>> 3)) & (1 << (h & 7)))) return fail('ENOENT');
    }
    return 0;
  }

  /** bloom_map_push_elem. */
  private push(vb: Uint8Array, vo: number, flags: number): number {
    if (flags !== BPF_ANY) return fail('EINVAL');
    const u8 = this.mem.refresh().u8;
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(vb, vo, i);
      Atomics.or(u8, this.storage + (h >>> 3), 1 << (h & 7));
    }
    return 0;
  }

  /** Whether `value` may have been added (BPF_MAP_LOOKUP_ELEM with the value to test). */
  has(value: Uint8Array, flags = 0): boolean {
    return this.lookupValue(value, flags);
  }

  protected override opLookupSys(_key: Uint8Array, out: Uint8Array): number {
    return this.peek(out, 0);
  }

  protected override opUpdateSys(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.push(value, 0, flags);
  }

  protected override opNextKey(): number {
    return fail('EOPNOTSUPP');
  }

  protected override opDelete(): number {
    return fail('EOPNOTSUPP');
  }

  override pushElem(value: number, flags: number): number {
    return this.push(this.mem.refresh().u8, value, flags);
  }

  override popElem(): number {
    return fail('EOPNOTSUPP');
  }

  override peekElem(value: number): number {
    return this.peek(this.mem.refresh().u8, value);
  }
}
