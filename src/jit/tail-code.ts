/**
 * Tail calls without a trip through JavaScript: a small wasm module per Jit
 * with a funcref table of tail-call targets — each the `enter` export of a
 * program's tail-form module (compile.ts), at the program id a prog_array
 * slot holds — and two functions:
 *
 * - tailCall(map, index) → i32, the bpf_tail_call intrinsic's fast path
 *   (helpers/tail-call.ts and Jit.tailCall are the specification): 1 when
 *   the index is past max_entries or the run's MAX_TAIL_CALL_CNT is spent
 *   (-ENOENT); 2 ("fall back") when the slot's program has no entry in the
 *   table yet — the helper then runs, and the Jit files the entry it
 *   prepares under the id noted in `miss`; 0 when taken: the count goes up
 *   and the target is pending.
 * - tail(r0..r9, depth, fuel), in the table's slot 0: the Jit's JavaScript
 *   entry, for a tail call the helper asked for.
 * - enter(r0..r9, depth, fuel, id): tail-calls (return_call_indirect) the
 *   entry of program `id` (-1: slot 0) in the table.
 *
 * A module that may tail-call imports `enter` and `pending` (compile.ts:
 * tailEnter, tailId) and, when its tail-call flag is up, enters `enter` with
 * the pending id: a wasm tail call (return_call) from a function whose
 * results are the target's (each target after the first in a chain), so
 * no frame is left waiting; a call from the main function and a verified
 * callee, which take the target's r0 as theirs. Not the
 * table itself: V8 keeps every instance that imports a table alive as long
 * as the table, so a Jit would keep every tail-calling module it loaded.
 */
import type { HelperContext } from '../helpers/index.js';
import { DESC } from '../maps/index.js';
import { SUB_PARAMS, SUB_RESULTS, TAIL_ENTER_PARAMS } from './compile.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** MAX_TAIL_CALL_CNT (helpers/tail-call.ts). */
const MAX_TAIL_CALL_CNT = 33;

export interface TailExports {
  tailCall(map: number, index: number): number;
  tail: (...args: never[]) => unknown;
  enter: (...args: never[]) => unknown;
}

export class TailCode {
  /** Tail-call targets' entries by program id. */
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
  /** tail_call_cnt: tail calls taken in this run. */
  readonly count = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
  /** The program id whose entry the fast path missed (-1: none). */
  readonly miss = new WebAssembly.Global({ value: 'i32', mutable: true }, -1);
  /** The program id of the pending tail call taken in wasm (-1: none). */
  readonly pending = new WebAssembly.Global({ value: 'i32', mutable: true }, -1);
  readonly exports: TailExports;

  constructor(memory: WebAssembly.Memory, shared: boolean, tailPending: WebAssembly.Global, jsTail: (...args: bigint[]) => unknown) {
    const instance = new WebAssembly.Instance(tailModule(shared), {
      env: { memory, table: this.table, tailPending, count: this.count, miss: this.miss, pending: this.pending, jsTail },
    });
    this.exports = instance.exports as unknown as TailExports;
    this.table.set(0, this.exports.tail as () => void);
  }

  /** A run failed: nothing pending or missed may outlive it. */
  abandon(): void {
    this.pending.value = -1;
    this.miss.value = -1;
  }

  /** The program id the fast path missed just before the helper ran (-1: it did not), cleared. */
  takeMiss(): number {
    const id = this.miss.value as number;
    if (id !== -1) this.miss.value = -1;
    return id;
  }

  /** The helper prepared `enter` for the slot the fast path missed (`id`, from takeMiss): file it there. */
  learn(id: number, enter: unknown): void {
    if (id <= 0) return;
    if (id >= this.table.length) this.table.grow(id + 1 - this.table.length);
    this.table.set(id, enter as () => void);
  }
}

/** One TailCode per helper context (one per Jit), for the intrinsic's import. */
const byContext = new WeakMap<HelperContext, TailCode>();

export function registerTailCode(ctx: HelperContext, code: TailCode): void {
  byContext.set(ctx, code);
}

export function tailCodeOf(ctx: HelperContext): TailCode {
  const code = byContext.get(ctx);
  if (!code) throw new Error('internal: a tail-call intrinsic in a module of a context without TailCode');
  return code;
}

/** A cache, not state: the compiled module, one per memory kind. */
const compiled = new Map<boolean, WebAssembly.Module>();

function tailModule(shared: boolean): WebAssembly.Module {
  const cached = compiled.get(shared);
  if (cached) return cached;
  const I32 = ValType.i32;
  const mb = new ModuleBuilder();
  const sub = mb.typeIndex(SUB_PARAMS, SUB_RESULTS);
  const jsTail = mb.importFunc('env', 'jsTail', sub);
  mb.importMemory('env', 'memory', shared ? { min: 0, max: 65536, shared: true } : { min: 0, shared: false });
  mb.importTable('env', 'table', 1);
  const tailPending = mb.importGlobal('env', 'tailPending', I32, true);
  const count = mb.importGlobal('env', 'count', I32, true);
  const miss = mb.importGlobal('env', 'miss', I32, true);
  const pending = mb.importGlobal('env', 'pending', I32, true);
  const glob = (w: ByteWriter, op: Op, g: number) => { w.byte(op); w.u32(g); };
  const i32 = (w: ByteWriter, n: number) => { w.byte(Op.i32Const); w.s32(n); };
  const load = (w: ByteWriter, offset: number) => { w.byte(Op.i32Load); w.byte(2); w.u32(offset); };
  const ret = (w: ByteWriter, n: number) => { i32(w, n); w.byte(Op.return); w.byte(Op.end); };

  // tailCall(map, index) → 0 taken, 1 -ENOENT, 2 fall back; local 2: the slot's program id.
  const tailCall = mb.declareFunc(mb.typeIndex([I32, I32], [I32]));
  const t = new ByteWriter(128);
  t.byte2(Op.localGet, 1); t.byte2(Op.localGet, 0); load(t, DESC.maxEntries); t.byte(Op.i32GeU);
  t.byte2(Op.if, ValType.void); ret(t, 1);
  glob(t, Op.globalGet, count); i32(t, MAX_TAIL_CALL_CNT); t.byte(Op.i32GeU);
  t.byte2(Op.if, ValType.void); ret(t, 1);
  t.byte2(Op.localGet, 0); load(t, DESC.storage);
  t.byte2(Op.localGet, 1); i32(t, 2); t.byte(Op.i32Shl); t.byte(Op.i32Add);
  // Present: 0 < id < table.size (slot 0 holds the JavaScript entry, id 0 is an empty slot) and the entry is there.
  load(t, 0); t.byte2(Op.localTee, 2); i32(t, 1); t.byte(Op.i32Sub);
  t.byte(0xfc); t.u32(0x10); t.byte(0); i32(t, 1); t.byte(Op.i32Sub);
  t.byte(Op.i32LtU);
  t.byte2(Op.if, I32);
  t.byte2(Op.localGet, 2); t.byte2(0x25, 0); t.byte(0xd1); t.byte(Op.i32Eqz);
  t.byte(Op.else); i32(t, 0); t.byte(Op.end);
  t.byte(Op.i32Eqz);
  t.byte2(Op.if, ValType.void);
  t.byte2(Op.localGet, 2); glob(t, Op.globalSet, miss); ret(t, 2);
  glob(t, Op.globalGet, count); i32(t, 1); t.byte(Op.i32Add); glob(t, Op.globalSet, count);
  t.byte2(Op.localGet, 2); glob(t, Op.globalSet, pending);
  i32(t, 1); glob(t, Op.globalSet, tailPending);
  i32(t, 0);
  mb.setBody(tailCall, [I32], t);

  // tail(r0..r9, depth, fuel): the Jit's JavaScript entry.
  const tail = mb.declareFunc(sub);
  const u = new ByteWriter(32);
  for (let k = 0; k < SUB_PARAMS.length; k++) u.byte2(Op.localGet, k);
  u.byte(Op.call); u.u32(jsTail);
  mb.setBody(tail, [], u);

  // enter(r0..r9, depth, fuel, id): slot id, or slot 0 for -1.
  const enter = mb.declareFunc(mb.typeIndex(TAIL_ENTER_PARAMS, SUB_RESULTS));
  const e = new ByteWriter(48);
  const id = SUB_PARAMS.length;
  for (let k = 0; k < id; k++) e.byte2(Op.localGet, k);
  e.byte2(Op.localGet, id); i32(e, 0); e.byte2(Op.localGet, id); i32(e, 0); e.byte(Op.i32GeS); e.byte(Op.select);
  // A wasm tail call: the caller's frame waits for the target's results, this one does not.
  e.byte(Op.returnCallIndirect); e.u32(sub); e.u32(0);
  mb.setBody(enter, [], e);

  mb.exportFunc('tailCall', tailCall);
  mb.exportFunc('enter', enter);
  mb.exportFunc('tail', tail);
  const module = new WebAssembly.Module(mb.finish().bytes as BufferSource);
  compiled.set(shared, module);
  return module;
}
