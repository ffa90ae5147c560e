/**
 * Helpers the JIT runs its own way instead of through the generic helper
 * import, which takes and returns BigInts (a wasm i64 crosses into JavaScript
 * as a BigInt) and costs a trip out of wasm.
 *
 * An intrinsic applies when `matches` accepts the runtime's table entry for
 * its id: the runtime's own implementation (isOwnHelper, or the base
 * helper's function itself), never one put in its place under the same
 * name, which the generic call runs as the interpreter does. It declares
 * the imports it needs (narrow signatures, built from the helper context)
 * and emits wasm that sets r0; it may fall back to the generic call for the
 * cases it does not handle, so its fast path can be narrow:
 *
 * - the base helpers ktime_get_ns, ktime_get_boot_ns, get_prandom_u32,
 *   get_smp_processor_id: one host call without BigInt arguments, applied
 *   only when the table holds exactly the base implementation;
 * - bpf_map_lookup_elem on a BPF_MAP_TYPE_ARRAY: a bounds check and an add
 *   on the map's descriptor and storage in linear memory (maps/array.ts),
 *   inline — with the map's size and storage as constants when the program
 *   loads its address with lddw, as the kernel's JIT inlines the lookup of
 *   a map known at load time; on a BPF_MAP_TYPE_HASH or LPM_TRIE: a call into the wasm of
 *   map-code.ts, which hashes the key and walks the bucket, or walks the
 *   trie; any other map goes to the helper;
 * - bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard: calls
 *   into map-code.ts, which reserves and commits records with the layout
 *   and locking of maps/ringbuf.ts;
 * - bpf_tail_call: the slot's program entered through the table of
 *   tail-code.ts, wasm to wasm;
 * - bpf_loop: the loop of loop-code.ts, the callback called through the
 *   program's table of callback entries, wasm to wasm.
 *
 * No JavaScript runs on these paths. (A descriptor is recognised by its
 * magic and type: an unverified program that forges one in writable memory
 * gets addresses computed from it, inside the sandbox, where the helper
 * would refuse the map.)
 */
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_ns,
  bpfGetPrandomU32, bpfGetSmpProcessorId, bpfKtimeGetBootNs, bpfKtimeGetNs,
  isOwnHelper, type HelperContext, type HelperDef, type HelperFn, type HelperTable,
} from '../helpers/index.js';
import { DESC, DESC_MAGIC, RINGBUF_DESC } from '../maps/index.js';
import type { AddressSpace } from '../memory/index.js';
import { BPF_MAP_TYPE } from '../platform/index.js';
import { fallbackFunction, wasmFunction, type FallbackShape, type HostFn } from './host-code.js';
import { mapCode, type MapCode } from './map-code.js';
import type { LoopCode } from './loop-code.js';
import { tailCodeOf } from './tail-code.js';
import { Op, ValType } from './wasm/opcodes.js';
import type { ByteWriter } from './wasm/writer.js';


/** enum bpf_func_id of the map helpers with intrinsics. */
const BPF_FUNC_map_lookup_elem = 1;
const BPF_FUNC_tail_call = 12;
const BPF_FUNC_loop = 181;
const BPF_FUNC_ringbuf_reserve = 131;
const BPF_FUNC_ringbuf_submit = 132;
const BPF_FUNC_ringbuf_discard = 133;

export interface IntrinsicImport {
  /** The import's name in the module ("env" namespace); unique across intrinsics. */
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** The wasm function the import binds to (a funcref table holds it), for one runtime and program; `host`: the Jit's (host-code.ts). */
  value(ctx: HelperContext, program: IntrinsicProgram, host: HostFn): (...args: never[]) => unknown;
  /** Whether `value` depends on the program: a module with this import holds one program (Jit.loadAll). */
  readonly perProgram?: boolean;
}

/** What an intrinsic's code generator can use. */
export interface IntrinsicEmitter {
  readonly w: ByteWriter;
  /** Push register r (an i64). */
  getReg(r: number): void;
  /** Pop an i64 into register r. */
  setReg(r: number): void;
  /** An i32 local the intrinsic may use (k = 0 or 1). */
  temp32(k: 0 | 1): number;
  /** Call one of the intrinsic's own imports, by name. */
  callImport(name: string): void;
  /** The generic helper call through the host import, which sets r0. */
  generic(): void;
  /** Push what a fallback import (host-code.ts, fallbackFunction) takes after the registers: the call's pc and the program's self. */
  site(): void;
  /** Enter the program a tail call made pending (tail-code.ts), as after a helper call. */
  takePendingTail(): void;
  /** What the generic call does around its import: publish the budget, frame and r0, r6–r9 (a callback starts from them) … */
  syncOut(): void;
  /** … and take the budget back (and a pending tail call). */
  syncIn(): void;
  /** The address (below 4 GiB) an lddw put in register r before the call, in its block, or undefined. */
  constAddress(r: number): number | undefined;
}

/**
 * The program a module is instantiated for, as the intrinsics' imports see
 * it. bpf_loop's imports are bound to it: a module instance shared by
 * several programs must bind them per program, or not use the intrinsic
 * (the table is indexed by the callback's pc, which only names an
 * instruction within one program).
 */
export interface IntrinsicProgram {
  /** Its callback entries for bpf_loop (loop-code.ts). */
  readonly loops: LoopCode;
}

export interface JitIntrinsic {
  /** The helper id (enum bpf_func_id). */
  readonly id: number;
  /** Whether the runtime's table entry is the helper this intrinsic stands for. */
  matches(def: HelperDef): boolean;
  readonly imports: readonly IntrinsicImport[];
  /** Whether its code depends on the descriptors at the program's constant addresses (the Jit keys its cache by them). */
  readonly knowsMaps?: boolean;
  /** The argument registers its code takes as 32-bit addresses (in an unverified program, a wider value goes to the helper). */
  readonly pointers?: readonly number[];
  /**
   * The bytes its inline code reads at a pointer argument with no check of its own (an array map's key):
   * a wasm out-of-bounds trap at its call is that read's fault.
   */
  readonly inlineRead?: number;
  /** Whether r0 is always NULL or an address in the memory after it (jit/pointers.ts relies on it). */
  readonly pointerResult?: boolean;
  /** Emit code that sets r0 from r1–r5 as the helper would. */
  emit(e: IntrinsicEmitter): void;
}

/** A helper without arguments whose value comes from one host call. */
function hostValue(id: number, fn: HelperFn, name: string, result: ValType, value: (ctx: HelperContext) => () => unknown): JitIntrinsic {
  return {
    id,
    matches: (def) => def.fn === fn,
    imports: [{ name, params: [], results: [result], value: (ctx) => wasmFunction(value(ctx), [], [result]) }],
    emit(e) {
      e.callImport(name);
      if (result === ValType.i32) e.w.byte(Op.i64ExtendI32U);
      e.setReg(0);
    },
  };
}

/** `i32.load offset=…` of the address in local `base`. */
function load32(w: ByteWriter, base: number, offset: number): void {
  w.byte2(Op.localGet, base);
  w.byte(Op.i32Load);
  w.byte(2);
  w.u32(offset);
}

/**
 * The descriptor fields the fast paths read end before this offset (the
 * ring buffer's wakeup counter is the last).
 */
const DESC_END = RINGBUF_DESC.wakeups + 4;

/**
 * Set local `m` to register `r` and local `t` to the map type of the
 * descriptor it points to, or -1 when it is no descriptor (it would not lie
 * wholly inside the memory — no trap on a wild pointer — or has no magic).
 */
function mapType(e: IntrinsicEmitter, m: number, t: number, r = 1): void {
  const { w } = e;
  e.getReg(r);
  w.byte(Op.i32WrapI64);
  w.byte2(Op.localTee, m);
  w.byte(Op.i32Const); w.s32(DESC_END);
  w.byte(Op.i32Add);
  w.byte2(Op.memorySize, 0);
  w.byte2(Op.i32Const, 16);
  w.byte(Op.i32Shl);
  w.byte(Op.i32LeU);
  w.byte2(Op.if, ValType.i32);
  load32(w, m, DESC.magic);
  w.byte(Op.i32Const); w.s32(DESC_MAGIC);
  w.byte(Op.i32Eq);
  w.byte2(Op.if, ValType.i32);
  load32(w, m, DESC.type);
  w.byte(Op.else);
  w.byte2(Op.i32Const, 0x7f);
  w.byte(Op.end);
  w.byte(Op.else);
  w.byte2(Op.i32Const, 0x7f);
  w.byte(Op.end);
  w.byte2(Op.localSet, t);
}

/** `if local == type` (a void block). */
function ifType(w: ByteWriter, t: number, type: number): void {
  w.byte2(Op.localGet, t);
  w.byte(Op.i32Const); w.s32(type);
  w.byte(Op.i32Eq);
  w.byte2(Op.if, ValType.void);
}

/**
 * An import of a map-code.ts fast path `fast` with helper `id` as its fallback (fallbackFunction):
 * fn(r1..rn, pc, self) → r0.
 */
function withFallback(name: string, id: number, shape: FallbackShape, fast: (code: MapCode) => (...args: never[]) => unknown): IntrinsicImport {
  return {
    name, params: [...shape.regs.map(() => ValType.i64), ValType.i32, ValType.externref], results: [ValType.i64],
    value: (ctx, _program, host) => fallbackFunction(fast(code(ctx)), host, id, shape),
  };
}

/** r0 = import `name` (withFallback) of r1..rn at this call. */
function callWithFallback(e: IntrinsicEmitter, name: string, n: number): void {
  for (let r = 1; r <= n; r++) e.getReg(r);
  e.site();
  e.callImport(name);
  e.setReg(0);
}

/** The map fast paths of this runtime's memory (map-code.ts). */
const code = (ctx: HelperContext) => mapCode(ctx.space.memory, ctx.space.shared);

/** What the fast paths read of a map's descriptor, when a program names the map by a constant address. */
export interface MapDescriptor {
  readonly type: number;
  readonly maxEntries: number;
  readonly storage: number;
  readonly valueSize: number;
}

/** The descriptors of a runtime's memory, by address (undefined: no descriptor there). */
export type Descriptors = (addr: number) => MapDescriptor | undefined;

/** The descriptor at `at` (a 32-bit address) of the memory `view` as it stands, if one is there (whole, with its magic). */
export function descriptorAt(view: DataView, at: number): MapDescriptor | undefined {
  if (at < 1 || at + DESC_END > view.byteLength) return undefined;
  if (view.getUint32(at + DESC.magic, true) !== DESC_MAGIC) return undefined;
  return {
    type: view.getUint32(at + DESC.type, true), maxEntries: view.getUint32(at + DESC.maxEntries, true),
    storage: view.getUint32(at + DESC.storage, true), valueSize: view.getUint32(at + DESC.valueSize, true),
  };
}

/**
 * The map register `r` points to, when it holds an address lddw loaded
 * where the runtime has a descriptor at compile time: that descriptor (the
 * code is specialised for it: the Jit keys its cache by it too). Else
 * undefined, with local `m` = the pointer and `t` = the map's type set at
 * run time (mapType).
 */
function mapOf(e: IntrinsicEmitter, known: Descriptors | undefined, m: number, t: number, r: number): MapDescriptor | undefined {
  const addr = known && e.constAddress(r);
  const desc = addr === undefined ? undefined : known!(addr);
  if (!desc) mapType(e, m, t, r);
  return desc;
}

/** r0 = the array element of the u32 key at r2, or 0 past max_entries; from the descriptor in local `m`, or from `desc`'s constants. */
function arrayLookup(e: IntrinsicEmitter, m: number, k: number, desc: MapDescriptor | undefined): void {
  const { w } = e;
  e.getReg(2);
  w.byte(Op.i32WrapI64);
  w.byte(Op.i32Load); w.byte(2); w.u32(0);
  w.byte2(Op.localTee, k);
  if (desc) { w.byte(Op.i32Const); w.s32(desc.maxEntries | 0); } else load32(w, m, DESC.maxEntries);
  w.byte(Op.i32LtU);
  w.byte2(Op.if, ValType.i64);
  if (desc) {
    w.byte(Op.i32Const); w.s32(desc.storage | 0);
    w.byte2(Op.localGet, k);
    w.byte(Op.i32Const); w.s32(((desc.valueSize + 7) & ~7) | 0);
  } else {
    load32(w, m, DESC.storage);
    w.byte2(Op.localGet, k);
    load32(w, m, DESC.valueSize);
    w.byte2(Op.i32Const, 7);
    w.byte(Op.i32Add);
    w.byte2(Op.i32Const, 0x78);
    w.byte(Op.i32And);
  }
  w.byte(Op.i32Mul);
  w.byte(Op.i32Add);
  w.byte(Op.i64ExtendI32U);
  w.byte(Op.else);
  w.byte2(Op.i64Const, 0);
  w.byte(Op.end);
  e.setReg(0);
}

/** A lookup's registers: the map and the key, 32-bit addresses. */
const LOOKUP: FallbackShape = { regs: [ValType.i32, ValType.i32], consts: [], answer: 'value' };

/**
 * bpf_map_lookup_elem(map, key). On a BPF_MAP_TYPE_ARRAY: storage + index
 * * elem_size, elem_size = round_up(value_size, 8) (maps/array.ts), or 0
 * past max_entries, inline — with the map's constants when the program
 * names it by a known address, as the kernel's JIT inlines it. On a
 * BPF_MAP_TYPE_HASH or LPM_TRIE: the wasm walks of map-code.ts. Any other
 * map goes to the helper.
 */
function mapLookup(known?: Descriptors): JitIntrinsic {
  return {
    id: BPF_FUNC_map_lookup_elem,
    matches: (def) => isOwnHelper(def) && def.name === 'bpf_map_lookup_elem',
    pointerResult: true,
    knowsMaps: known !== undefined,
    pointers: [1, 2],
    inlineRead: 4,
    imports: [
      withFallback('map_hash_lookup', BPF_FUNC_map_lookup_elem, LOOKUP, (c) => c.hashLookup),
      withFallback('map_lpm_lookup', BPF_FUNC_map_lookup_elem, LOOKUP, (c) => c.lpmLookup),
    ],
    emit(e) {
      const { w } = e;
      const m = e.temp32(0), k = e.temp32(1);
      const desc = mapOf(e, known, m, k, 1);
      if (desc) {
        if (desc.type === BPF_MAP_TYPE.ARRAY) arrayLookup(e, m, k, desc);
        else if (desc.type === BPF_MAP_TYPE.HASH) callWithFallback(e, 'map_hash_lookup', 2);
        else if (desc.type === BPF_MAP_TYPE.LPM_TRIE) callWithFallback(e, 'map_lpm_lookup', 2);
        else e.generic();
        return;
      }
      ifType(w, k, BPF_MAP_TYPE.ARRAY);
      arrayLookup(e, m, k, undefined);
      w.byte(Op.else);
      ifType(w, k, BPF_MAP_TYPE.HASH);
      callWithFallback(e, 'map_hash_lookup', 2);
      w.byte(Op.else);
      ifType(w, k, BPF_MAP_TYPE.LPM_TRIE);
      callWithFallback(e, 'map_lpm_lookup', 2);
      w.byte(Op.else);
      e.generic();
      w.byte(Op.end);
      w.byte(Op.end);
      w.byte(Op.end);
    },
  };
}

/** A reserve's registers: the ring's address, the size and the flags. */
const RESERVE: FallbackShape = { regs: [ValType.i32, ValType.i64, ValType.i64], consts: [], answer: 'value' };

/** bpf_ringbuf_reserve(ringbuf, size, flags) on a BPF_MAP_TYPE_RINGBUF: map-code.ts. */
function ringbufReserve(known?: Descriptors): JitIntrinsic {
  return {
    id: BPF_FUNC_ringbuf_reserve,
    matches: (def) => isOwnHelper(def) && def.name === 'bpf_ringbuf_reserve',
    pointerResult: true,
    knowsMaps: known !== undefined,
    pointers: [1],
    imports: [withFallback('ringbuf_reserve', BPF_FUNC_ringbuf_reserve, RESERVE, (c) => c.ringbufReserve)],
    emit(e) {
      const { w } = e;
      const m = e.temp32(0), t = e.temp32(1);
      const desc = mapOf(e, known, m, t, 1);
      if (desc) {
        if (desc.type === BPF_MAP_TYPE.RINGBUF) callWithFallback(e, 'ringbuf_reserve', 3); else e.generic();
        return;
      }
      ifType(w, t, BPF_MAP_TYPE.RINGBUF);
      callWithFallback(e, 'ringbuf_reserve', 3);
      w.byte(Op.else);
      e.generic();
      w.byte(Op.end);
    },
  };
}

/** bpf_ringbuf_submit / bpf_ringbuf_discard(sample, flags): map-code.ts, r0 = 0. */
function ringbufCommit(id: number, name: string, discard: boolean): JitIntrinsic {
  const imp = discard ? 'ringbuf_discard' : 'ringbuf_submit';
  return {
    id,
    matches: (def) => isOwnHelper(def) && def.name === name,
    imports: [withFallback(imp, id, { regs: [ValType.i64, ValType.i64], consts: [discard ? 1 : 0], answer: 'status' }, (c) => c.ringbufCommit)],
    emit(e) {
      callWithFallback(e, imp, 2);
    },
  };
}

/**
 * bpf_tail_call(ctx, prog_array, index): tail-code.ts checks the index and
 * the run's count and makes the slot's program pending, entered here as
 * after the helper; a slot whose program has no wasm entry yet goes to the
 * helper (which files one).
 */
function tailCall(known?: Descriptors): JitIntrinsic {
  return {
    id: BPF_FUNC_tail_call,
    matches: (def) => isOwnHelper(def) && def.name === 'bpf_tail_call',
    knowsMaps: known !== undefined,
    pointers: [2],
    imports: [{ name: 'tail_call', params: [ValType.i32, ValType.i32], results: [ValType.i32], value: (ctx) => tailCodeOf(ctx).exports.tailCall }],
    emit(e) {
      const { w } = e;
      const m = e.temp32(0), t = e.temp32(1);
      const desc = mapOf(e, known, m, t, 2);
      const fast = () => {
        e.getReg(2);
        w.byte(Op.i32WrapI64);
        e.getReg(3);
        w.byte(Op.i32WrapI64);
        e.callImport('tail_call');
        w.byte2(Op.localTee, t);
        w.byte2(Op.i32Const, 2);
        w.byte(Op.i32Eq);
        w.byte2(Op.if, ValType.void);
        e.generic();
        w.byte(Op.else);
        // 0 when taken, -ENOENT when not.
        w.byte2(Op.i64Const, 0);
        w.byte2(Op.i64Const, 0x7e);
        w.byte2(Op.localGet, t);
        w.byte(Op.i32Eqz);
        w.byte(Op.select);
        e.setReg(0);
        e.takePendingTail();
        w.byte(Op.end);
      };
      if (desc) {
        if (desc.type === BPF_MAP_TYPE.PROG_ARRAY) fast(); else e.generic();
        return;
      }
      ifType(w, t, BPF_MAP_TYPE.PROG_ARRAY);
      fast();
      w.byte(Op.else);
      e.generic();
      w.byte(Op.end);
    },
  };
}

/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags): the loop of
 * loop-code.ts, calling the callback's module through the program's table
 * (wasm to wasm), once the Jit has made that module; until then the helper.
 */
const loop: JitIntrinsic = {
  id: BPF_FUNC_loop,
  matches: (def) => isOwnHelper(def) && def.name === 'bpf_loop',
  imports: [
    { name: 'loop_ready', params: [ValType.i64], results: [ValType.i32], value: (_ctx, program) => program.loops.exports.ready, perProgram: true },
    { name: 'loop', params: [ValType.i64, ValType.i64, ValType.i64, ValType.i64], results: [ValType.i64], value: (_ctx, program) => program.loops.exports.loop, perProgram: true },
  ],
  emit(e) {
    const { w } = e;
    e.syncOut();
    e.getReg(2);
    e.callImport('loop_ready');
    w.byte2(Op.if, ValType.void);
    for (let r = 1; r <= 4; r++) e.getReg(r);
    e.callImport('loop');
    e.setReg(0);
    e.syncIn();
    w.byte(Op.else);
    e.generic();
    w.byte(Op.end);
  },
};

/** The intrinsics the JIT knows; `known`: a runtime's descriptors, for the map intrinsics to specialise on. */
function intrinsics(known?: Descriptors): readonly JitIntrinsic[] {
  return [
    hostValue(BPF_FUNC_ktime_get_ns, bpfKtimeGetNs, 'ktime_get_ns', ValType.i64, (ctx) => () => ctx.clock.monotonicNs()),
    hostValue(BPF_FUNC_ktime_get_boot_ns, bpfKtimeGetBootNs, 'ktime_get_boot_ns', ValType.i64, (ctx) => () => ctx.clock.bootNs()),
    // ToInt32 on the way into wasm is the `>>> 0` of the helper: the same 32 bits.
    hostValue(BPF_FUNC_get_prandom_u32, bpfGetPrandomU32, 'get_prandom_u32', ValType.i32, (ctx) => () => ctx.random()),
    hostValue(BPF_FUNC_get_smp_processor_id, bpfGetSmpProcessorId, 'get_smp_processor_id', ValType.i32, (ctx) => () => ctx.cpu),
    mapLookup(known),
    ringbufReserve(known),
    ringbufCommit(BPF_FUNC_ringbuf_submit, 'bpf_ringbuf_submit', false),
    ringbufCommit(BPF_FUNC_ringbuf_discard, 'bpf_ringbuf_discard', true),
    tailCall(known),
    loop,
  ];
}

/** The intrinsics the JIT knows, none specialised on a runtime's maps. */
export const INTRINSICS: readonly JitIntrinsic[] = intrinsics();

/** A cache, not state: each address space's intrinsics, specialised on its descriptors. */
const bySpace = new WeakMap<AddressSpace, readonly JitIntrinsic[]>();

/**
 * The intrinsic for helper `id` of `helpers`, or undefined. With `space`,
 * the map intrinsics specialise their code for maps a program names by a
 * constant address that holds a descriptor of `space` when it compiles.
 */
export function intrinsicFor(helpers: HelperTable, id: number, space?: AddressSpace): JitIntrinsic | undefined {
  const def = helpers.get(id);
  if (!def) return undefined;
  let list = INTRINSICS;
  if (space) {
    let known = bySpace.get(space);
    if (!known) bySpace.set(space, (known = intrinsics((addr) => descriptorAt(space.view, addr))));
    list = known;
  }
  for (let k = 0; k < list.length; k++) if (list[k].id === id && list[k].matches(def)) return list[k];
  return undefined;
}
