/**
 * Helpers the JIT runs its own way instead of through the generic helper
 * import, which takes and returns BigInts (a wasm i64 crosses into JavaScript
 * as a BigInt). An intrinsic applies only when the runtime's helper table
 * holds exactly the implementation it stands for (`fn`, compared by
 * identity), so it never changes a program's meaning: a table that replaces
 * the helper gets its own function called.
 *
 * An intrinsic declares the imports it needs (narrow signatures, built from
 * the helper context) and emits wasm that leaves r0 on the stack. The same
 * mechanism takes helpers whose data lives in linear memory (array and hash
 * map lookups, ring buffer reserve/submit) entirely into wasm: their
 * `emit` reads r1–r5 and the map's storage in memory, with no import at all.
 */
import {
  BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_ns,
  bpfGetPrandomU32, bpfGetSmpProcessorId, bpfKtimeGetBootNs, bpfKtimeGetNs,
  type HelperContext, type HelperFn,
} from '../helpers/index.js';
import { Op, ValType } from './wasm/opcodes.js';
import type { ByteWriter } from './wasm/writer.js';

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
  /** Call one of the intrinsic's own imports, by name. */
  callImport(name: string): void;
}

export interface JitIntrinsic {
  /** The helper id (enum bpf_func_id). */
  readonly id: number;
  /** The implementation it stands for. */
  readonly fn: HelperFn;
  readonly imports: readonly IntrinsicImport[];
  /** Emit code that leaves the helper's result (r0, an i64) on the stack. */
  emit(e: IntrinsicEmitter): void;
}

/** A helper without arguments whose value comes from one host call. */
function hostValue(id: number, fn: HelperFn, name: string, result: ValType, value: IntrinsicImport['value']): JitIntrinsic {
  return {
    id,
    fn,
    imports: [{ name, params: [], results: [result], value }],
    emit(e) {
      e.callImport(name);
      if (result === ValType.i32) e.w.byte(Op.i64ExtendI32U);
    },
  };
}

/** The intrinsics of the base helpers. */
export const BASE_INTRINSICS: readonly JitIntrinsic[] = [
  hostValue(BPF_FUNC_ktime_get_ns, bpfKtimeGetNs, 'ktime_get_ns', ValType.i64, (ctx) => () => ctx.clock.monotonicNs()),
  hostValue(BPF_FUNC_ktime_get_boot_ns, bpfKtimeGetBootNs, 'ktime_get_boot_ns', ValType.i64, (ctx) => () => ctx.clock.bootNs()),
  // ToInt32 on the way into wasm is the `>>> 0` of the helper: the same 32 bits.
  hostValue(BPF_FUNC_get_prandom_u32, bpfGetPrandomU32, 'get_prandom_u32', ValType.i32, (ctx) => () => ctx.random()),
  hostValue(BPF_FUNC_get_smp_processor_id, bpfGetSmpProcessorId, 'get_smp_processor_id', ValType.i32, (ctx) => () => ctx.cpu),
];
