/**
 * The map fast paths of the JIT's intrinsics (intrinsics.ts), as one small
 * WebAssembly module that imports the runtime's memory: a JIT-compiled
 * program imports these functions, and V8 calls one wasm instance from
 * another directly, without a trip through JavaScript or BigInts.
 *
 * Each function walks a map's layout in linear memory exactly as the
 * JavaScript map does (maps/hash.ts, maps/ringbuf.ts, maps/jhash.ts: those
 * are the specification) and answers "fall back" (-1 or 1) for every case
 * it does not cover, where the intrinsic calls the helper instead:
 *
 * - hashLookup(map, key) → i64: bpf_map_lookup_elem on a BPF_MAP_TYPE_HASH:
 *   htab_map_hash (jhash2 or jhash), the bucket's lock taken and released
 *   as the JavaScript lookup does, the chain walked comparing hash and key.
 *   The value's address, 0, or -1 (the key is outside the memory, the
 *   bucket is locked).
 * - lpmLookup(map, key) → i64: bpf_map_lookup_elem on a
 *   BPF_MAP_TYPE_LPM_TRIE: the trie walked under its lock; the same
 *   answers as hashLookup.
 * - ringbufReserve(map, size, flags) → i64: __bpf_ringbuf_reserve; the
 *   sample's address, 0, or -1 (the ring's lock is held).
 * - ringbufCommit(sample, flags, discard) → i32: bpf_ringbuf_submit /
 *   discard of a sample of the ring last reserved from (the helper finds
 *   any other ring): 0 when done, 1 to fall back.
 *
 * Locks are taken with an owner id no MapMemory has (the registry counts
 * them up from 2) and always released before returning, so JavaScript never
 * sees one held by this module on its own thread.
 */
import { DESC, ELEM, HASH_DESC, LPM_DESC, RINGBUF_DESC, RINGBUF_PAGE } from '../maps/index.js';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from '../maps/index.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

const I32 = ValType.i32, I64 = ValType.i64;
/** The lock owner id of code running in this module. */
const JIT_LOCK_OWNER = -1;
/** JHASH_INITVAL. */
const JHASH_INITVAL = 0xdeadbeef | 0;
/** RINGBUF_MAX_RECORD_SZ. */
const MAX_RECORD = Math.floor(0xffffffff / 4);

/** Instructions the JIT's own code does not use (threads, bulk memory, clz). */
const enum Ext {
  atomicNotify = 0xfe00, i32AtomicLoad = 0xfe10, i64AtomicLoad = 0xfe11, i32AtomicStore = 0xfe17, i64AtomicStore = 0xfe18,
  i32AtomicRmwAdd = 0xfe1e, i32AtomicRmwCmpxchg = 0xfe48, memoryCopy = 0xfc0a, i32Clz = 0x67,
}

/** A function body: locals after the parameters, and short-hands for the instructions this module needs. */
class Body {
  readonly w = new ByteWriter(512);
  readonly locals: ValType[] = [];
  constructor(private readonly params: number) {}

  local(type: ValType): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  op(...ops: number[]): this {
    for (const op of ops) {
      if (op > 0xff) {
        this.w.byte(op >>> 8);
        this.w.u32(op & 0xff);
      } else {
        this.w.byte(op);
      }
    }
    return this;
  }

  get(l: number): this { this.w.byte2(Op.localGet, l); return this; }
  set(l: number): this { this.w.byte2(Op.localSet, l); return this; }
  tee(l: number): this { this.w.byte2(Op.localTee, l); return this; }
  i32(n: number): this { this.w.byte(Op.i32Const); this.w.s32(n | 0); return this; }
  i64(n: number): this { this.w.byte(Op.i64Const); this.w.s64(n | 0, n < 0 ? -1 : Math.floor(n / 2 ** 32)); return this; }
  globalGet(g: number): this { this.w.byte(Op.globalGet); this.w.u32(g); return this; }
  globalSet(g: number): this { this.w.byte(Op.globalSet); this.w.u32(g); return this; }

  /** A load or store (plain or atomic) with its alignment exponent and offset. */
  mem(op: number, align: number, offset = 0): this {
    this.op(op);
    this.w.u32(align);
    this.w.u32(offset);
    return this;
  }

  /** `if` with a block type, `else`, `end`, `br_if`, `br`, `call`. */
  if(type: ValType = ValType.void): this { this.w.byte2(Op.if, type); return this; }
  else(): this { return this.op(Op.else); }
  end(): this { return this.op(Op.end); }
  block(): this { this.w.byte2(Op.block, ValType.void); return this; }
  loop(): this { this.w.byte2(Op.loop, ValType.void); return this; }
  brIf(depth: number): this { this.w.byte2(Op.brIf, depth); return this; }
  br(depth: number): this { this.w.byte2(Op.br, depth); return this; }
  call(f: number): this { this.w.byte(Op.call); this.w.u32(f); return this; }

  /** x += y (i32 locals). */
  add(x: number, y: number): this { return this.get(x).get(y).op(Op.i32Add).set(x); }
  /** x -= y; x ^= rol32(y, k): one step of __jhash_mix. */
  subXorRol(x: number, y: number, k: number): this {
    return this.get(x).get(y).op(Op.i32Sub).get(y).i32(k).op(Op.i32Rotl, Op.i32Xor).set(x);
  }
  /** x ^= y; x -= rol32(y, k): one step of __jhash_final. */
  xorSubRol(x: number, y: number, k: number): this {
    return this.get(x).get(y).op(Op.i32Xor).get(y).i32(k).op(Op.i32Rotl, Op.i32Sub).set(x);
  }
  /** x += the little-endian u32 at p + offset. */
  addWord(x: number, p: number, offset: number): this {
    return this.get(x).get(p).mem(Op.i32Load, 0, offset).op(Op.i32Add).set(x);
  }
}

/** __jhash_mix(a, b, c). */
function mix(f: Body, a: number, b: number, c: number): void {
  f.subXorRol(a, c, 4).add(c, b);
  f.subXorRol(b, a, 6).add(a, c);
  f.subXorRol(c, b, 8).add(b, a);
  f.subXorRol(a, c, 16).add(c, b);
  f.subXorRol(b, a, 19).add(a, c);
  f.subXorRol(c, b, 4).add(b, a);
}

/** __jhash_final(a, b, c), leaving c on the stack. */
function final(f: Body, a: number, b: number, c: number): void {
  f.xorSubRol(c, b, 14).xorSubRol(a, c, 11).xorSubRol(b, a, 25).xorSubRol(c, b, 16);
  f.xorSubRol(a, c, 4).xorSubRol(b, a, 14).xorSubRol(c, b, 24).get(c);
}

/** jhash2(p, words, initval) → i32, as maps/jhash.ts. */
function jhash2(): Body {
  const f = new Body(3);
  const p = 0, n = 1;
  const a = f.local(I32), b = f.local(I32), c = f.local(I32);
  f.i32(JHASH_INITVAL).get(n).i32(2).op(Op.i32Shl, Op.i32Add).get(2).op(Op.i32Add).tee(a).tee(b).set(c);
  f.block().loop();
  f.get(n).i32(3).op(Op.i32LeU).brIf(1);
  f.addWord(a, p, 0).addWord(b, p, 4).addWord(c, p, 8);
  mix(f, a, b, c);
  f.get(n).i32(3).op(Op.i32Sub).set(n);
  f.get(p).i32(12).op(Op.i32Add).set(p);
  f.br(0).end().end();
  f.get(n).op(Op.i32Eqz).if().get(c).op(Op.return).end();
  f.get(n).i32(3).op(Op.i32Eq).if().addWord(c, p, 8).end();
  f.get(n).i32(2).op(Op.i32GeU).if().addWord(b, p, 4).end();
  f.addWord(a, p, 0);
  final(f, a, b, c);
  return f;
}

/** jhash(p, length, initval) → i32 over bytes, as maps/jhash.ts. */
function jhash(): Body {
  const f = new Body(3);
  const p = 0, n = 1;
  const a = f.local(I32), b = f.local(I32), c = f.local(I32), i = f.local(I32);
  f.i32(JHASH_INITVAL).get(n).op(Op.i32Add).get(2).op(Op.i32Add).tee(a).tee(b).set(c);
  f.block().loop();
  f.get(n).i32(12).op(Op.i32LeU).brIf(1);
  f.addWord(a, p, 0).addWord(b, p, 4).addWord(c, p, 8);
  mix(f, a, b, c);
  f.get(n).i32(12).op(Op.i32Sub).set(n);
  f.get(p).i32(12).op(Op.i32Add).set(p);
  f.br(0).end().end();
  f.get(n).op(Op.i32Eqz).if().get(c).op(Op.return).end();
  // The tail, byte i into a, b or c at bit (i & 3) * 8.
  f.get(n).set(i);
  f.block().loop();
  f.get(i).op(Op.i32Eqz).brIf(1);
  f.get(i).i32(1).op(Op.i32Sub).set(i);
  f.get(p).get(i).op(Op.i32Add).mem(Op.i32Load8U, 0).get(i).i32(3).op(Op.i32And).i32(3).op(Op.i32Shl, Op.i32Shl);
  const byte = f.local(I32);
  f.set(byte);
  f.get(i).i32(8).op(Op.i32GeU).if().add(c, byte).else();
  f.get(i).i32(4).op(Op.i32GeU).if().add(b, byte).else().add(a, byte).end();
  f.end();
  f.br(0).end().end();
  final(f, a, b, c);
  return f;
}

/** memeq(x, y, n) → i32: whether n bytes at x and y are equal. */
function memeq(): Body {
  const f = new Body(3);
  const x = 0, y = 1, n = 2;
  f.block().loop();
  f.get(n).i32(4).op(Op.i32LtU).brIf(1);
  f.get(x).mem(Op.i32Load, 0).get(y).mem(Op.i32Load, 0).op(Op.i32Ne).if().i32(0).op(Op.return).end();
  f.get(x).i32(4).op(Op.i32Add).set(x);
  f.get(y).i32(4).op(Op.i32Add).set(y);
  f.get(n).i32(4).op(Op.i32Sub).set(n);
  f.br(0).end().end();
  f.block().loop();
  f.get(n).op(Op.i32Eqz).brIf(1);
  f.get(x).mem(Op.i32Load8U, 0).get(y).mem(Op.i32Load8U, 0).op(Op.i32Ne).if().i32(0).op(Op.return).end();
  f.get(x).i32(1).op(Op.i32Add).set(x);
  f.get(y).i32(1).op(Op.i32Add).set(y);
  f.get(n).i32(1).op(Op.i32Sub).set(n);
  f.br(0).end().end();
  return f.i32(1);
}

/** Push whether [at, at + size) lies inside the memory (i64 arithmetic: no wrap-around). */
function inMemory(f: Body, at: number, size: number): void {
  f.get(at).op(Op.i64ExtendI32U).get(size).op(Op.i64ExtendI32U, Op.i64Add);
  f.w.byte2(Op.memorySize, 0);
  f.op(Op.i64ExtendI32U).i64(16).op(Op.i64Shl, Op.i64LeU);
}

/** Take the lock word at `addr` for this module, or return `busy` from the function. */
function lockOrReturn(f: Body, addr: number, offset: number, busy: () => void): void {
  f.get(addr).i32(0).i32(JIT_LOCK_OWNER).mem(Ext.i32AtomicRmwCmpxchg, 2, offset).if();
  busy();
  f.op(Op.return).end();
}

function unlock(f: Body, addr: number, offset: number): void {
  f.get(addr).i32(0).mem(Ext.i32AtomicStore, 2, offset);
}

/** hashLookup(map, key) → i64 (maps/hash.ts lookupProg + lookupElem for BPF_MAP_TYPE_HASH). */
function hashLookup(fn: { jhash: number; jhash2: number; memeq: number }): Body {
  const f = new Body(2);
  const m = 0, key = 1;
  const ks = f.local(I32), h = f.local(I32), b = f.local(I32), e = f.local(I32);
  f.get(m).mem(Op.i32Load, 2, DESC.keySize).set(ks);
  inMemory(f, key, ks);
  f.op(Op.i32Eqz).if().i64(-1).op(Op.return).end();
  f.get(ks).i32(3).op(Op.i32And, Op.i32Eqz).if(I32);
  f.get(key).get(ks).i32(2).op(Op.i32ShrU).get(m).mem(Op.i32Load, 2, HASH_DESC.hashrnd).call(fn.jhash2);
  f.else();
  f.get(key).get(ks).get(m).mem(Op.i32Load, 2, HASH_DESC.hashrnd).call(fn.jhash);
  f.end().set(h);
  // bucket = storage + (hash & (n_buckets - 1)) * 8
  f.get(m).mem(Op.i32Load, 2, DESC.storage);
  f.get(h).get(m).mem(Op.i32Load, 2, HASH_DESC.nBuckets).i32(1).op(Op.i32Sub, Op.i32And).i32(3).op(Op.i32Shl, Op.i32Add).set(b);
  lockOrReturn(f, b, 4, () => f.i64(-1));
  f.get(b).mem(Op.i32Load, 2, 0).set(e);
  f.block().loop();
  f.get(e).op(Op.i32Eqz).brIf(1);
  f.get(e).mem(Op.i32Load, 2, ELEM.hash).get(h).op(Op.i32Eq).if();
  f.get(e).i32(ELEM.key).op(Op.i32Add).get(key).get(ks).call(fn.memeq).brIf(2);
  f.end();
  f.get(e).mem(Op.i32Load, 2, ELEM.next).set(e);
  f.br(0).end().end();
  unlock(f, b, 4);
  f.get(e).if(I64);
  f.get(e).i32(ELEM.key).op(Op.i32Add).get(ks).i32(7).op(Op.i32Add).i32(-8).op(Op.i32And, Op.i32Add, Op.i64ExtendI32U);
  f.else().i64(0).end();
  return f;
}

/** Node fields of maps/lpm-trie.ts. */
const LPM_NODE = { child0: 0, prefixlen: 8, flags: 12, data: 16 } as const;
const LPM_FLAG_IM = 1;

/** lpmLookup(map, key) → i64 (maps/lpm-trie.ts lookupNode under the trie's lock, then the value's address). */
function lpmLookup(): Body {
  const f = new Body(2);
  const m = 0, key = 1;
  const ds = f.local(I32), max = f.local(I32), kp = f.local(I32), n = f.local(I32), found = f.local(I32);
  const limit = f.local(I32), len = f.local(I32), i = f.local(I32), diff = f.local(I32), np = f.local(I32);
  f.get(m).mem(Op.i32Load, 2, LPM_DESC.dataSize).tee(ds).i32(4).op(Op.i32Add).set(i);
  inMemory(f, key, i);
  f.op(Op.i32Eqz).if().i64(-1).op(Op.return).end();
  f.get(key).mem(Op.i32Load, 0).tee(kp).get(m).mem(Op.i32Load, 2, LPM_DESC.maxPrefixlen).tee(max).op(Op.i32GtU).if().i64(0).op(Op.return).end();
  lockOrReturn(f, m, LPM_DESC.lock, () => f.i64(-1));
  f.get(m).mem(Op.i32Load, 2, LPM_DESC.root).set(n);
  f.block().loop();
  f.get(n).op(Op.i32Eqz).brIf(1);
  f.get(n).mem(Op.i32Load, 2, LPM_NODE.prefixlen).set(np);
  // longestPrefixMatch: limit = min(node prefixlen, key prefixlen), then byte by byte.
  f.get(np).get(kp).get(np).get(kp).op(Op.i32LtU, Op.select).set(limit);
  f.i32(0).set(len);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(ds).op(Op.i32GeU).get(len).get(limit).op(Op.i32GeU, Op.i32Or).brIf(1);
  f.get(n).get(i).op(Op.i32Add).mem(Op.i32Load8U, 0, LPM_NODE.data).get(key).get(i).op(Op.i32Add).mem(Op.i32Load8U, 0, 4).op(Op.i32Xor).tee(diff);
  f.if().get(len).get(diff).op(Ext.i32Clz).op(Op.i32Add).i32(24).op(Op.i32Sub).set(len).br(2).end();
  f.get(len).i32(8).op(Op.i32Add).set(len);
  f.get(i).i32(1).op(Op.i32Add).set(i);
  f.br(0).end().end();
  f.get(len).get(limit).get(len).get(limit).op(Op.i32LtU, Op.select).tee(len);
  // A whole-key match is the answer; a match shorter than the node's prefix ends the walk.
  f.get(max).op(Op.i32Eq).if().get(n).set(found).br(2).end();
  f.get(len).get(np).op(Op.i32LtU).brIf(1);
  f.get(n).mem(Op.i32Load, 2, LPM_NODE.flags).i32(LPM_FLAG_IM).op(Op.i32And, Op.i32Eqz).if().get(n).set(found).end();
  // Down the child that the key's bit number `prefixlen` picks.
  f.get(n);
  f.get(key).get(np).i32(3).op(Op.i32ShrU, Op.i32Add).mem(Op.i32Load8U, 0, 4).i32(7).get(np).i32(7).op(Op.i32And, Op.i32Sub, Op.i32ShrU);
  f.i32(1).op(Op.i32And).i32(2).op(Op.i32Shl, Op.i32Add).mem(Op.i32Load, 2, LPM_NODE.child0).set(n);
  f.br(0).end().end();
  unlock(f, m, LPM_DESC.lock);
  f.get(found).if(I64).get(found).get(ds).op(Op.i32Add).i32(LPM_NODE.data).op(Op.i32Add, Op.i64ExtendI32U).else().i64(0).end();
  return f;
}

/** ringbufReserve(map, size, flags) → i64 (the helper's checks, then maps/ringbuf.ts reserve). */
function ringbufReserve(lastRing: number): Body {
  const f = new Body(3);
  const m = 0, size = 1, flags = 2;
  const len = f.local(I32), mask = f.local(I32), storage = f.local(I32), hdr = f.local(I32), hl = f.local(I32);
  const cons = f.local(I64), pend = f.local(I64), prod = f.local(I64), next = f.local(I64);
  f.get(flags).op(Op.i64Eqz).get(size).i64(MAX_RECORD).op(Op.i64LeU, Op.i32And, Op.i32Eqz).if().i64(0).op(Op.return).end();
  f.get(size).op(Op.i32WrapI64).i32(BPF_RINGBUF_HDR_SZ + 7).op(Op.i32Add).i32(-8).op(Op.i32And).tee(len);
  f.get(m).mem(Op.i32Load, 2, DESC.maxEntries).tee(mask).op(Op.i32GtU).if().i64(0).op(Op.return).end();
  f.get(mask).i32(1).op(Op.i32Sub).set(mask);
  f.get(m).mem(Op.i32Load, 2, DESC.storage).tee(storage).mem(Ext.i64AtomicLoad, 3, RINGBUF_PAGE.consumerPos).set(cons);
  lockOrReturn(f, m, RINGBUF_DESC.lock, () => f.i64(-1));
  f.get(m).mem(Ext.i64AtomicLoad, 3, RINGBUF_DESC.pendingPos).set(pend);
  f.get(storage).mem(Ext.i64AtomicLoad, 3, RINGBUF_PAGE.producerPos).set(prod);
  f.block().loop();
  f.get(pend).get(prod).op(Op.i64GeS).brIf(1);
  f.get(storage).get(pend).op(Op.i32WrapI64).get(mask).op(Op.i32And, Op.i32Add).mem(Ext.i32AtomicLoad, 2, RINGBUF_PAGE.data).tee(hl);
  f.i32(BPF_RINGBUF_BUSY_BIT).op(Op.i32And).brIf(1);
  f.get(pend).get(hl).i32(~BPF_RINGBUF_DISCARD_BIT).op(Op.i32And).i32(BPF_RINGBUF_HDR_SZ + 7).op(Op.i32Add).i32(-8).op(Op.i32And);
  f.op(Op.i64ExtendI32U, Op.i64Add).set(pend);
  f.br(0).end().end();
  f.get(m).get(pend).mem(Ext.i64AtomicStore, 3, RINGBUF_DESC.pendingPos);
  f.get(prod).get(len).op(Op.i64ExtendI32U, Op.i64Add).set(next);
  f.get(next).get(cons).op(Op.i64Sub).get(mask).op(Op.i64ExtendI32U, Op.i64GtS);
  f.get(next).get(pend).op(Op.i64Sub).get(mask).op(Op.i64ExtendI32U, Op.i64GtS, Op.i32Or).if();
  unlock(f, m, RINGBUF_DESC.lock);
  f.i64(0).op(Op.return).end();
  f.get(storage).i32(RINGBUF_PAGE.data).op(Op.i32Add).get(prod).op(Op.i32WrapI64).get(mask).op(Op.i32And, Op.i32Add).tee(hdr);
  f.get(size).op(Op.i32WrapI64).i32(BPF_RINGBUF_BUSY_BIT).op(Op.i32Or).mem(Ext.i32AtomicStore, 2, 0);
  f.get(hdr).get(hdr).get(storage).op(Op.i32Sub).i32(12).op(Op.i32ShrU).mem(Op.i32Store, 2, 4);
  f.get(storage).get(next).mem(Ext.i64AtomicStore, 3, RINGBUF_PAGE.producerPos);
  unlock(f, m, RINGBUF_DESC.lock);
  f.get(m).globalSet(lastRing);
  f.get(hdr).i32(BPF_RINGBUF_HDR_SZ).op(Op.i32Add, Op.i64ExtendI32U);
  return f;
}

/** ringbufCommit(sample, flags, discard) → i32 (the helper's ring lookup, then maps/ringbuf.ts commit). */
function ringbufCommit(lastRing: number): Body {
  const f = new Body(3);
  const sample = 0, flags = 1, discard = 2;
  const ring = f.local(I32), hdr = f.local(I32), data = f.local(I32), size = f.local(I32), len = f.local(I32), end = f.local(I32);
  const fallBack = () => f.if().i32(1).op(Op.return).end();
  f.get(sample).i64(32).op(Op.i64ShrU).get(flags).i64(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP).op(Op.i64GtU, Op.i64ExtendI32U, Op.i64Or);
  f.op(Op.i64Eqz).globalGet(lastRing).tee(ring).op(Op.i32Eqz, Op.i32Eqz, Op.i32And, Op.i32Eqz);
  fallBack();
  // holds(sample): the header inside the ring's data, 8-aligned, still busy.
  f.get(sample).op(Op.i32WrapI64).i32(BPF_RINGBUF_HDR_SZ).op(Op.i32Sub).tee(hdr);
  f.get(ring).mem(Op.i32Load, 2, DESC.storage).i32(RINGBUF_PAGE.data).op(Op.i32Add).tee(data).op(Op.i32Sub);
  f.get(ring).mem(Op.i32Load, 2, DESC.maxEntries).tee(size).op(Op.i32GeU);
  f.get(hdr).get(data).op(Op.i32Sub).i32(7).op(Op.i32And, Op.i32Or);
  fallBack();
  f.get(hdr).mem(Ext.i32AtomicLoad, 2, 0).tee(len).i32(BPF_RINGBUF_BUSY_BIT).op(Op.i32And, Op.i32Eqz);
  fallBack();
  f.get(len).i32(~BPF_RINGBUF_BUSY_BIT).op(Op.i32And).set(len);
  // A record that runs past the end is folded back to the start.
  f.get(hdr).get(len).i32(BPF_RINGBUF_HDR_SZ + 7).op(Op.i32Add).i32(-8).op(Op.i32And, Op.i32Add).tee(end);
  f.get(data).get(size).op(Op.i32Add).op(Op.i32GtU).if();
  f.get(data).get(data).get(size).op(Op.i32Add).get(end).get(data).get(size).op(Op.i32Add, Op.i32Sub).op(Ext.memoryCopy);
  f.w.byte2(0, 0);
  f.end();
  f.get(hdr).get(len).i32(BPF_RINGBUF_DISCARD_BIT).i32(0).get(discard).op(Op.select, Op.i32Or).mem(Ext.i32AtomicStore, 2, 0);
  // Wake the consumer when forced, or when this record is the next it reads (unless told not to).
  f.get(flags).op(Op.i32WrapI64).i32(BPF_RB_FORCE_WAKEUP).op(Op.i32And);
  f.get(ring).mem(Op.i32Load, 2, DESC.storage).mem(Ext.i64AtomicLoad, 3, RINGBUF_PAGE.consumerPos).op(Op.i32WrapI64);
  f.get(size).i32(1).op(Op.i32Sub, Op.i32And).get(hdr).get(data).op(Op.i32Sub, Op.i32Eq);
  f.get(flags).op(Op.i32WrapI64).i32(BPF_RB_NO_WAKEUP).op(Op.i32And, Op.i32Eqz, Op.i32And, Op.i32Or).if();
  f.get(ring).i32(1).mem(Ext.i32AtomicRmwAdd, 2, RINGBUF_DESC.wakeups).op(Op.drop);
  f.get(ring).i32(-1).mem(Ext.atomicNotify, 2, RINGBUF_DESC.wakeups).op(Op.drop);
  f.end();
  return f.i32(0);
}

export interface MapCode {
  hashLookup(map: number, key: number): bigint;
  lpmLookup(map: number, key: number): bigint;
  ringbufReserve(map: number, size: bigint, flags: bigint): bigint;
  ringbufCommit(sample: bigint, flags: bigint, discard: number): number;
}

function build(shared: boolean): WebAssembly.Module {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', shared ? { min: 0, max: 65536, shared: true } : { min: 0, shared: false });
  const lastRing = mb.defineGlobal({ type: I32, mutable: true, init: 0 });
  const hashType = mb.typeIndex([I32, I32, I32], [I32]);
  const fn = { jhash: mb.declareFunc(hashType), jhash2: mb.declareFunc(hashType), memeq: mb.declareFunc(hashType) };
  const lookup = mb.declareFunc(mb.typeIndex([I32, I32], [I64]));
  const lpm = mb.declareFunc(mb.typeIndex([I32, I32], [I64]));
  const reserve = mb.declareFunc(mb.typeIndex([I32, I64, I64], [I64]));
  const commit = mb.declareFunc(mb.typeIndex([I64, I64, I32], [I32]));
  const bodies: [number, Body][] = [
    [fn.jhash, jhash()], [fn.jhash2, jhash2()], [fn.memeq, memeq()],
    [lookup, hashLookup(fn)], [lpm, lpmLookup()], [reserve, ringbufReserve(lastRing)], [commit, ringbufCommit(lastRing)],
  ];
  for (const [index, body] of bodies) mb.setBody(index, body.locals, body.w);
  mb.exportFunc('hashLookup', lookup);
  mb.exportFunc('lpmLookup', lpm);
  mb.exportFunc('ringbufReserve', reserve);
  mb.exportFunc('ringbufCommit', commit);
  return new WebAssembly.Module(mb.finish().bytes as BufferSource);
}

/**
 * Caches, not state: the compiled module (one per memory kind) and its
 * instance per memory, which every program of a runtime shares.
 */
const modules = new Map<boolean, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, MapCode>();

/** The map fast paths bound to `memory`. */
export function mapCode(memory: WebAssembly.Memory, shared: boolean): MapCode {
  let code = instances.get(memory);
  if (!code) {
    let module = modules.get(shared);
    if (!module) modules.set(shared, (module = build(shared)));
    code = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as MapCode;
    instances.set(memory, code);
  }
  return code;
}
