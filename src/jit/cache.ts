/**
 * Compiled modules by program: the instruction bytes plus what else shapes
 * the code (shared memory, the intrinsics in use, the module's form).
 * Lookups hash the bytes and compare them in full. At most `maxEntries`
 * modules are kept; the oldest goes first. Each module gets a name unique
 * in its cache, which stack traces show: that is how a trap or a call chain
 * finds the module (and its pc map) a wasm frame belongs to.
 */
import { EbpfError } from '../internal/errors.js';
import type { Insn } from '../isa/index.js';
import type { CompiledProgram } from './compile.js';

/** A compiled program and its module, ready to instantiate against any runtime's memory. */
export interface CachedModule {
  readonly compiled: CompiledProgram;
  readonly module: WebAssembly.Module;
}

interface Entry {
  key: Int32Array;
  flags: string;
  entry: CachedModule;
}

export class JitCache {
  private readonly buckets = new Map<string, Entry[]>();
  /** Insertion order, for eviction. */
  private readonly order: { bucket: string; entry: CachedModule }[] = [];
  /** The programs of each module name (several for a batch module). */
  private readonly byName = new Map<string, CompiledProgram[]>();
  private serial = 0;

  constructor(readonly maxEntries = 256) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new EbpfError('EINVAL', `maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.order.length;
  }

  /** A module name no other module of this cache has. */
  nextName(): string {
    return `ebpf${this.serial++}`;
  }

  /** The compiled program of a cached module whose code holds function `func`, by the name its stack frames carry. */
  named(name: string, func: number): CompiledProgram | undefined {
    return this.byName.get(name)?.find((c) => c.functions.some((f) => f.index === func));
  }

  /** The module cached for `key` and `flags`, in `bucket` (bucketName of the key's hash, encodeKey). */
  get(key: Int32Array, flags: string, bucket: string): CachedModule | undefined {
    return this.buckets.get(bucket)?.find((e) => e.flags === flags && sameKeys(e.key, key))?.entry;
  }

  /** Cache `entry` for `key` and `flags`; `bucket` as get takes it. */
  set(key: Int32Array, flags: string, entry: CachedModule, bucket: string): void {
    if (this.order.length >= this.maxEntries) {
      const old = this.order.shift()!;
      const list = this.buckets.get(old.bucket)!.filter((e) => e.entry !== old.entry);
      if (list.length) this.buckets.set(old.bucket, list); else this.buckets.delete(old.bucket);
      const name = old.entry.compiled.name;
      if (name !== undefined) {
        const left = this.byName.get(name)!.filter((c) => c !== old.entry.compiled);
        if (left.length) this.byName.set(name, left); else this.byName.delete(name);
      }
    }
    const list = this.buckets.get(bucket) ?? [];
    list.push({ key, flags, entry });
    this.buckets.set(bucket, list);
    this.order.push({ bucket, entry });
    const name = entry.compiled.name;
    if (name !== undefined) {
      const named = this.byName.get(name);
      if (named) named.push(entry.compiled); else this.byName.set(name, [entry.compiled]);
    }
  }

  clear(): void {
    this.buckets.clear();
    this.order.length = 0;
    this.byName.clear();
  }
}

const FNV_BASIS = 0x811c9dc5, FNV_PRIME = 0x01000193;

/** The bucket of a key: its hash (hashKey), length and flags. */
export const bucketName = (hash: number, length: number, flags: string) => [(hash >>> 0).toString(16), length, flags].join(':');

/**
 * FNV-1a of a program's key: its slots as encodeInsns encodes them
 * (little-endian), in 32-bit words, two a slot, as validateProgram writes
 * them while it checks the program (one pass over the instructions for both).
 */
export function hashKey(key: Int32Array): number {
  let h = FNV_BASIS;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], FNV_PRIME);
  return h;
}

export function sameKeys(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `insns` still encode to `key` (hashKey): nothing allocated. */
export function sameInsns(insns: readonly Insn[], key: Int32Array): boolean {
  if (key.length !== insns.length * 2) return false;
  for (let i = 0, p = 0; i < insns.length; i++, p += 2) {
    const ins = insns[i];
    const w = (ins.code & 0xff) | ((ins.dst & 0xf) << 8) | ((ins.src & 0xf) << 12) | (ins.off << 16);
    if (key[p] !== w || key[p + 1] !== (ins.imm | 0)) return false;
  }
  return true;
}
