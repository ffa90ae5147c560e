/**
 * Compute-bound programs for the JIT benchmark, in assembly, each run with
 * the conformance contract (r1 = a 64-byte input, r2 = its length) so that
 * the same program runs on the interpreter, the JIT and the kernel (wrapped
 * by KernelRunner as an XDP program whose input is a map value). Every loop
 * count is a constant the kernel's verifier can follow iteration by
 * iteration within its one-million-instruction budget.
 *
 * Of issue 6's twelve-program suite these are the ones that need no maps
 * and no helpers: ALU loops, hashing (FNV-1a, SipHash), packet parsing to L4
 * with bounds checks, the Internet checksum, sorting in a stack array,
 * string matching. The hash-map counter, array-map histogram, LPM lookup,
 * bpf_loop, tail-call chain and ring buffer programs are C, in
 * testdata/src/bench.c (OBJECT_PROGRAMS below): they need maps, so they
 * load as a collection on each engine.
 */
import { toHex } from '../src/internal/bytes.js';
import { RingBufMap } from '../src/maps/index.js';
import { Collection, mapEntries, type LoadedCollection, type LiveMap } from '../src/runtime/collection.js';
import { LOOPS } from './loops.js';

export interface BenchProgram {
  name: string;
  what: string;
  /** Kernel-syntax or uBPF assembly. */
  source: string;
}

/** Bytes of input every program gets (what the kernel wrapper's map value holds). */
export const INPUT_SIZE = 64;

/** The three interpreter loops at a count the kernel verifier can walk (its budget is 1M instructions). */
const LOOP_ITERATIONS = 10_000;

export const JIT_PROGRAMS: readonly BenchProgram[] = [
  ...LOOPS.map((l) => ({ name: `${l.name} loop`, what: l.what, source: l.source.replace(/\bN\b/g, String(LOOP_ITERATIONS)) })),
  {
    name: 'fnv1a',
    what: 'FNV-1a 64 over the input bytes, 200 times',
    source: `
      r6 = r1
      r0 = 0xcbf29ce484222325 ll
      r9 = 0x100000001b3 ll
      r8 = 200
    outer:
      r7 = 0
    inner:
      r3 = r6
      r3 += r7
      r4 = *(u8 *)(r3 +0)
      r0 ^= r4
      r0 *= r9
      r7 += 1
      if r7 < 64 goto inner
      r8 -= 1
      if r8 != 0 goto outer
      exit`,
  },
  {
    name: 'siphash',
    what: 'SipHash-2-4 compression of the input as eight u64 words, 60 times',
    source: `
      r9 = r1
      r8 = 60
      r0 = 0
    again:
      r1 = 0x736f6d6570736575 ll
      r2 = 0x646f72616e646f6d ll
      r3 = 0x6c7967656e657261 ll
      r4 = 0x7465646279746573 ll
      r7 = 0
    word:
      r6 = r9
      r6 += r7
      r6 = *(u64 *)(r6 +0)
      *(u64 *)(r10 -8) = r6
      r4 ^= r6
      r5 = 2
    round:
      r1 += r2
      r6 = r2
      r2 <<= 13
      r6 >>= 51
      r2 |= r6
      r2 ^= r1
      r6 = r1
      r1 <<= 32
      r6 >>= 32
      r1 |= r6
      r3 += r4
      r6 = r4
      r4 <<= 16
      r6 >>= 48
      r4 |= r6
      r4 ^= r3
      r1 += r4
      r6 = r4
      r4 <<= 21
      r6 >>= 43
      r4 |= r6
      r4 ^= r1
      r3 += r2
      r6 = r2
      r2 <<= 17
      r6 >>= 47
      r2 |= r6
      r2 ^= r3
      r6 = r3
      r3 <<= 32
      r6 >>= 32
      r3 |= r6
      r5 -= 1
      if r5 != 0 goto round
      r6 = *(u64 *)(r10 -8)
      r1 ^= r6
      r7 += 8
      if r7 < 64 goto word
      r0 += r1
      r0 ^= r2
      r0 += r3
      r0 ^= r4
      r8 -= 1
      if r8 != 0 goto again
      exit`,
  },
  {
    name: 'checksum',
    what: 'the Internet checksum (RFC 1071) of the input, 300 times',
    source: `
      r6 = r1
      r8 = 300
      r0 = 0
    outer:
      r2 = 0
      r7 = 0
    inner:
      r3 = r6
      r3 += r7
      r4 = *(u16 *)(r3 +0)
      r4 = be16 r4
      r2 += r4
      r7 += 2
      if r7 < 64 goto inner
      r3 = r2
      r3 >>= 16
      r2 &= 0xffff
      r2 += r3
      r3 = r2
      r3 >>= 16
      r2 += r3
      r2 &= 0xffff
      r2 ^= 0xffff
      r0 += r2
      r8 -= 1
      if r8 != 0 goto outer
      exit`,
  },
  {
    name: 'parse',
    what: 'Ethernet, IPv4 (with options) and TCP/UDP ports, each header checked against the length, 1000 times',
    source: `
      r6 = r1
      r9 = r2
      r8 = 1000
      r0 = 0
    again:
      if r9 < 34 goto next
      r4 = *(u16 *)(r6 +12)
      if r4 != 0x8 goto next
      r4 = *(u8 *)(r6 +14)
      r4 &= 0xf
      r4 <<= 2
      if r4 < 20 goto next
      r3 = r4
      r3 += 18
      if r3 > r9 goto next
      if r4 > 44 goto next
      r1 = *(u8 *)(r6 +23)
      r5 = r6
      r5 += r4
      r4 = *(u16 *)(r5 +14)
      r4 = be16 r4
      r3 = *(u16 *)(r5 +16)
      r3 = be16 r3
      if r1 == 6 goto tcp
      if r1 != 17 goto next
      r0 += r3
      goto next
    tcp:
      r0 += r4
    next:
      r8 -= 1
      if r8 != 0 goto again
      exit`,
  },
  {
    name: 'sort',
    what: 'bubble sort of the input as sixteen u32 in a stack array, 4 times',
    source: `
      r9 = r1
      r8 = 4
      r0 = 0
    again:
      r7 = 0
    copy:
      r3 = r9
      r3 += r7
      r4 = *(u32 *)(r3 +0)
      r4 ^= r8
      r3 = r10
      r3 += -64
      r3 += r7
      *(u32 *)(r3 +0) = r4
      r7 += 4
      if r7 < 64 goto copy
      r6 = 60
    pass:
      r7 = 0
    step:
      r3 = r10
      r3 += -64
      r3 += r7
      r4 = *(u32 *)(r3 +0)
      r5 = *(u32 *)(r3 +4)
      if r4 <= r5 goto keep
      *(u32 *)(r3 +0) = r5
      *(u32 *)(r3 +4) = r4
    keep:
      r7 += 4
      if r7 < r6 goto step
      r6 -= 4
      if r6 != 0 goto pass
      r4 = *(u32 *)(r10 -64)
      r0 += r4
      r4 = *(u32 *)(r10 -4)
      r0 += r4
      r8 -= 1
      if r8 != 0 goto again
      exit`,
  },
  {
    name: 'strmatch',
    what: 'count the places a 3-byte needle (the input\'s first bytes) occurs in the input, 10 times',
    source: `
      r9 = r1
      r8 = 10
      r0 = 0
      r1 = *(u8 *)(r9 +0)
      r2 = *(u8 *)(r9 +1)
      r5 = *(u8 *)(r9 +2)
    again:
      r7 = 0
    at:
      r3 = r9
      r3 += r7
      r4 = *(u8 *)(r3 +0)
      if r4 != r1 goto miss
      r4 = *(u8 *)(r3 +1)
      if r4 != r2 goto miss
      r4 = *(u8 *)(r3 +2)
      if r4 != r5 goto miss
      r0 += 1
    miss:
      r7 += 1
      if r7 < 62 goto at
      r8 -= 1
      if r8 != 0 goto again
      exit`,
  },
];

/** The input: an Ethernet/IPv4/TCP header, then bytes that repeat the needle now and then. */
export function benchInput(): Uint8Array {
  const b = new Uint8Array(INPUT_SIZE);
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 0xff;
  b.set([0x45, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06], 14);
  b.set([0x08, 0x00], 12);
  b.set([0x1f, 0x90, 0x00, 0x50], 34);
  b.set([b[0], b[1], b[2]], 40);
  b.set([b[0], b[1], b[2]], 55);
  return b;
}

/** A helper- or map-heavy program of testdata/obj/bench.o: an XDP program run on benchInput(). */
export interface ObjectBenchProgram {
  name: string;
  what: string;
  /** The program the run starts in. */
  program: string;
  /** The maps it reads or writes, whose contents the engines must agree on after every run. */
  maps: readonly string[];
  /** The ring buffer it fills, and the bytes one run adds to it (runs between drains are capped to fit). */
  ring?: { map: string; bytesPerRun: number };
}

/** struct record of bench.c and its 8-byte ring buffer header. */
const RECORD_BYTES = 16 + 8;

export const OBJECT_PROGRAMS: readonly ObjectBenchProgram[] = [
  { name: 'hash counter', what: '64 lookups in a BPF_MAP_TYPE_HASH, an atomic add on each hit, an update per new key', program: 'hash_counter', maps: ['counters'] },
  { name: 'array histogram', what: '256 lookups in a BPF_MAP_TYPE_ARRAY, one bucket per payload byte', program: 'array_histogram', maps: ['histogram'] },
  { name: 'lpm route', what: '32 longest-prefix lookups in a BPF_MAP_TYPE_LPM_TRIE of 224 routes', program: 'lpm_route', maps: ['routes'] },
  { name: 'bpf_loop', what: 'bpf_loop over 512 callback calls mixing packet words', program: 'loop_mix', maps: [] },
  { name: 'tail-call chain', what: 'eight programs chained by bpf_tail_call through a prog array', program: 'chain_0', maps: ['chain_acc'] },
  {
    name: 'ringbuf output', what: 'eight 16-byte records reserved and submitted to a BPF_MAP_TYPE_RINGBUF', program: 'ringbuf_output', maps: [],
    ring: { map: 'records', bytesPerRun: 8 * RECORD_BYTES },
  },
];

/**
 * The routes of lpm_route: for the 32 destinations it looks up (the
 * packet's IPv4 destination plus i * 1.1.1.1), a /24, /16 or /12 around
 * three in four of them, and 200 more /20s spread over the address space.
 */
export function benchRoutes(input: Uint8Array = benchInput()): [Uint8Array, Uint8Array][] {
  const dst = new DataView(input.buffer, input.byteOffset).getUint32(30);
  const routes = new Map<string, [Uint8Array, Uint8Array]>();
  const add = (addr: number, prefixlen: number, hop: number) => {
    const key = new Uint8Array(8);
    const dv = new DataView(key.buffer);
    const masked = prefixlen === 0 ? 0 : (addr & (0xffffffff << (32 - prefixlen))) >>> 0;
    dv.setUint32(0, prefixlen, true);
    dv.setUint32(4, masked);
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, hop, true);
    routes.set(key.join(','), [key, value]);
  };
  for (let i = 0; i < 32; i++) {
    const len = [24, 16, 12, 0][i % 4];
    if (len) add((dst + i * 0x01010101) >>> 0, len, 1000 + i);
  }
  for (let i = 0; routes.size < 224; i++) add(Math.imul(i + 1, 0x9e3779b9) >>> 0, 20, i + 1);
  return [...routes.values()];
}

/** Install what the programs expect in a freshly loaded bench.o: the routes. */
export function prepareBenchCollection(c: LoadedCollection): void {
  for (const [key, value] of benchRoutes()) c.maps.routes.update(key, value);
}

const hex = (b: Uint8Array | undefined) => (b ? toHex(b) : '-');

/** A map's contents as sorted "key=value" lines (the kernel seeds its hash differently: order is not compared). */
export function mapSnapshot(map: LiveMap): string[] {
  return mapEntries(map).map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
}

/**
 * The most runs of `p` between two drains of its ring buffer (Infinity without one): a timed batch has no
 * consumer, so the ring must hold every record of the batch (the kernel's holds two runs already).
 */
export function ringMaxRuns(c: LoadedCollection, p: ObjectBenchProgram): number {
  return p.ring ? Math.floor(c.maps[p.ring.map].maxEntries / p.ring.bytesPerRun) - 2 : Infinity;
}

/** The records a ring buffer of one of our collections holds, consumed (the ring is empty afterwards). */
export function drainRing(c: LoadedCollection, name: string): string[] {
  const ring = c.maps[name];
  if (!(c instanceof Collection) || !(ring instanceof RingBufMap)) throw new Error(`${name}: not a ring buffer of a local collection`);
  const records: string[] = [];
  ring.consume((sample) => { records.push(hex(sample)); });
  return records;
}
