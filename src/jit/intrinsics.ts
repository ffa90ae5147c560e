/**
 * Helpers the JIT runs its own way instead of through the generic helper
 * import, which takes and returns BigInts (a wasm i64 crosses into JavaScript
 * as a BigInt) and costs a trip out of wasm.
 *
 * An intrinsic applies when `matches` accepts the runtime's table entry for
 * its id. It declares the imports it needs (narrow signatures, built from
 * the helper context) and emits wasm that sets r0; it may fall back to the
 * generic call for the cases it does not handle, so its fast path can be
 * narrow:
 *
 * - the base helpers ktime_get_ns, ktime_get_boot_ns, get_prandom_u32,
 *   get_smp_processor_id: one host call without BigInt arguments, applied
 *   only when the table holds exactly the base implementation;
 * - bpf_map_lookup_elem on a BPF_MAP_TYPE_ARRAY: a bounds check and an add
 *   on the map's descriptor and storage in linear memory (maps/array.ts),
 *   no JavaScript at all; any other map goes to the helper. (The descriptor
 *   is recognised by its magic and type: an unverified program that forges
 *   one in writable memory gets an address computed from it, inside the
 *   sandbox, where the helper would refuse the map.)
 *
 * Hash map lookups and ring buffer reserve/submit fit the same shape: an
 * `emit` that walks the map's memory layout, falling back to the helper.
 */
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_ns,
  bpfGetPrandomU32, bpfGetSmpProcessorId, bpfKtimeGetBootNs, bpfKtimeGetNs,
  type HelperContext, type HelperDef, type HelperFn, type HelperTable,
} from '../helpers/index.js';
import { DESC, DESC_MAGIC } from '../maps/index.js';
import { BPF_MAP_TYPE } from '../platform/index.js';
import { Op, ValType } from './wasm/opcodes.js';
import type { ByteWriter } from './wasm/writer.js';

/** enum bpf_func_id: bpf_map_lookup_elem. */
const BPF_FUNC_map_lookup_elem = 1;

export interface IntrinsicImport {
  /** The import's name in the module ("env" namespace); unique across intrinsics. */
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** The JavaScript function the import binds to, for one runtime. */
  value(ctx: HelperContext): (...args: never[]) => unknown;
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
}

export interface JitIntrinsic {
  /** The helper id (enum bpf_func_id). */
  readonly id: number;
  /** Whether the runtime's table entry is the helper this intrinsic stands for. */
  matches(def: HelperDef): boolean;
  readonly imports: readonly IntrinsicImport[];
  /** Emit code that sets r0 from r1–r5 as the helper would. */
  emit(e: IntrinsicEmitter): void;
}

/** A helper without arguments whose value comes from one host call. */
function hostValue(id: number, fn: HelperFn, name: string, result: ValType, value: IntrinsicImport['value']): JitIntrinsic {
  return {
    id,
    matches: (def) => def.fn === fn,
    imports: [{ name, params: [], results: [result], value }],
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

/** The descriptor fields the array fast path reads end before this offset. */
const ARRAY_DESC_END = DESC.storage + 4;

/**
 * bpf_map_lookup_elem(map, key) on a BPF_MAP_TYPE_ARRAY: storage + index *
 * elem_size, elem_size = round_up(value_size, 8) (maps/array.ts), or 0 past
 * max_entries.
 */
const arrayLookup: JitIntrinsic = {
  id: BPF_FUNC_map_lookup_elem,
  matches: (def) => def.name === 'bpf_map_lookup_elem',
  imports: [],
  emit(e) {
    const { w } = e;
    const m = e.temp32(0), k = e.temp32(1);
    // A descriptor lies wholly inside the memory: r1 + ARRAY_DESC_END <= memory.size * 64 KiB (no trap on a wild r1).
    e.getReg(1);
    w.byte(Op.i32WrapI64);
    w.byte2(Op.localTee, m);
    w.byte(Op.i32Const); w.s32(ARRAY_DESC_END);
    w.byte(Op.i32Add);
    w.byte2(Op.memorySize, 0);
    w.byte2(Op.i32Const, 16);
    w.byte(Op.i32Shl);
    w.byte(Op.i32LeU);
    w.byte2(Op.if, ValType.i32);
    // magic and map_type, the first 8 bytes of the descriptor, as one little-endian i64.
    w.byte2(Op.localGet, m);
    w.byte(Op.i64Load); w.byte(3); w.u32(DESC.magic);
    w.byte(Op.i64Const); w.s64(DESC_MAGIC, BPF_MAP_TYPE.ARRAY);
    w.byte(Op.i64Eq);
    w.byte(Op.else);
    w.byte2(Op.i32Const, 0);
    w.byte(Op.end);
    w.byte2(Op.if, ValType.void);
    e.getReg(2);
    w.byte(Op.i32WrapI64);
    w.byte(Op.i32Load); w.byte(2); w.u32(0);
    w.byte2(Op.localTee, k);
    load32(w, m, DESC.maxEntries);
    w.byte(Op.i32LtU);
    w.byte2(Op.if, ValType.i64);
    load32(w, m, DESC.storage);
    w.byte2(Op.localGet, k);
    load32(w, m, DESC.valueSize);
    w.byte2(Op.i32Const, 7);
    w.byte(Op.i32Add);
    w.byte2(Op.i32Const, 0x78);
    w.byte(Op.i32And);
    w.byte(Op.i32Mul);
    w.byte(Op.i32Add);
    w.byte(Op.i64ExtendI32U);
    w.byte(Op.else);
    w.byte2(Op.i64Const, 0);
    w.byte(Op.end);
    e.setReg(0);
    w.byte(Op.else);
    e.generic();
    w.byte(Op.end);
  },
};

/** The intrinsics the JIT knows. */
export const INTRINSICS: readonly JitIntrinsic[] = [
  hostValue(BPF_FUNC_ktime_get_ns, bpfKtimeGetNs, 'ktime_get_ns', ValType.i64, (ctx) => () => ctx.clock.monotonicNs()),
  hostValue(BPF_FUNC_ktime_get_boot_ns, bpfKtimeGetBootNs, 'ktime_get_boot_ns', ValType.i64, (ctx) => () => ctx.clock.bootNs()),
  // ToInt32 on the way into wasm is the `>>> 0` of the helper: the same 32 bits.
  hostValue(BPF_FUNC_get_prandom_u32, bpfGetPrandomU32, 'get_prandom_u32', ValType.i32, (ctx) => () => ctx.random()),
  hostValue(BPF_FUNC_get_smp_processor_id, bpfGetSmpProcessorId, 'get_smp_processor_id', ValType.i32, (ctx) => () => ctx.cpu),
  arrayLookup,
];

/** The intrinsic for helper `id` of `helpers`, or undefined. */
export function intrinsicFor(helpers: HelperTable, id: number): JitIntrinsic | undefined {
  const def = helpers.get(id);
  return def ? INTRINSICS.find((i) => i.id === id && i.matches(def)) : undefined;
}
