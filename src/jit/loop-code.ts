/**
 * bpf_loop without a trip through JavaScript: per program, a funcref table
 * of its callback entries (the `entry` export of each callback-form
 * module, compile.ts: the callback's function itself, called as the
 * module's `callback` wrapper would call it, from the shared registers,
 * frame depth and budget) by instruction index, filled as the Jit makes them,
 * and a small wasm module that runs the loop of helpers/loop.ts (the
 * specification) calling the callback through that table:
 *
 *   ready(callback_fn) → i32: whether the table has callback_fn's entry
 *   (when not, the helper runs the loop, and the Jit's callback hook files
 *   the entry it makes) and the callback's frame fits under
 *   MAX_CALL_FRAMES (when not, the helper's call reports the fault at its
 *   pc, as the interpreter does);
 *   loop(nr_loops, callback_fn, callback_ctx, flags) → r0, once ready.
 */
import { BPF_MAX_LOOPS } from '../helpers/index.js';
import { MAX_CALL_FRAMES } from '../isa/index.js';
import { SUB_PARAMS, SUB_RESULTS } from './compile.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** -EINVAL as r0, and (u32)-E2BIG as the inlined bpf_loop returns it. */
const EINVAL = -22;
const E2BIG_U32 = 0xfffffff9;

export interface LoopExports {
  ready(callbackFn: bigint): number;
  loop(nrLoops: bigint, callbackFn: bigint, callbackCtx: bigint, flags: bigint): bigint;
}

/** A program's callback entries, and its loop bound to them. */
export class LoopCode {
  readonly table: WebAssembly.Table;
  private instance: LoopExports | undefined;

  /** `shared`: the Jit's shared globals (compile.ts, SHARED_GLOBALS): the calling frame's depth, registers and budget. */
  constructor(insns: number, private readonly shared: Record<string, WebAssembly.Global>) {
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: insns });
  }

  /** File the callback entry made for instruction `pc`. */
  file(pc: number, entry: unknown): void {
    if (pc < this.table.length) this.table.set(pc, entry as () => void);
  }

  get exports(): LoopExports {
    return (this.instance ??= new WebAssembly.Instance(loopModule(), { env: { table: this.table, ...this.shared } }).exports as unknown as LoopExports);
  }
}

/** A cache, not state: the compiled module. */
let compiled: WebAssembly.Module | undefined;

function loopModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const I32 = ValType.i32, I64 = ValType.i64;
  const mb = new ModuleBuilder();
  mb.importTable('env', 'table', 0);
  const depth = mb.importGlobal('env', 'depth', I32, true);
  const fuel = mb.importGlobal('env', 'fuel', I64, true);
  const regs = ['r0', 'r6', 'r7', 'r8', 'r9'].map((r) => mb.importGlobal('env', r, I64, true));
  const entry = mb.typeIndex(SUB_PARAMS, SUB_RESULTS);
  const loop = mb.declareFunc(mb.typeIndex([I64, I64, I64, I64], [I64]));
  const w = new ByteWriter(160);
  const nr = 0, fn = 1, ctx = 2, flags = 3, n = 4, i = 5, pc = 6, next = 7;
  const i64 = (v: number) => { w.byte(Op.i64Const); w.s64(v | 0, v < 0 ? -1 : 0); };
  w.byte2(Op.localGet, flags); w.byte(Op.i64Eqz); w.byte(Op.i32Eqz);
  w.byte2(Op.if, ValType.void); i64(EINVAL); w.byte(Op.return); w.byte(Op.end);
  w.byte2(Op.localGet, nr); w.byte(Op.i32WrapI64); w.byte2(Op.localTee, n);
  w.byte(Op.i32Const); w.s32(BPF_MAX_LOOPS); w.byte(Op.i32GtU);
  w.byte2(Op.if, ValType.void); w.byte(Op.i64Const); w.s64(E2BIG_U32 | 0, 0); w.byte(Op.return); w.byte(Op.end);
  w.byte2(Op.localGet, fn); w.byte(Op.i32WrapI64); w.byte2(Op.localSet, pc);
  // The callback's frame, read once: the helpers it calls publish their own depth in the global.
  w.byte(Op.globalGet); w.u32(depth); w.byte2(Op.i32Const, 1); w.byte(Op.i32Add); w.byte2(Op.localSet, next);
  w.byte2(Op.block, ValType.void); w.byte2(Op.loop, ValType.void);
  w.byte2(Op.localGet, i); w.byte2(Op.localGet, n); w.byte(Op.i32GeU); w.byte2(Op.brIf, 1);
  // entry(r0 = the caller's, i, ctx, 0, 0, 0, r6..r9 = the caller's, the next frame, the budget).
  w.byte(Op.globalGet); w.u32(regs[0]);
  w.byte2(Op.localGet, i); w.byte(Op.i64ExtendI32U);
  w.byte2(Op.localGet, ctx); i64(0); i64(0); i64(0);
  for (const g of regs.slice(1)) { w.byte(Op.globalGet); w.u32(g); }
  w.byte2(Op.localGet, next);
  w.byte(Op.globalGet); w.u32(fuel);
  w.byte2(Op.localGet, pc);
  w.byte(0x11); w.u32(entry); w.byte(0);
  w.byte(Op.globalSet); w.u32(fuel);
  for (let k = 0; k < 5; k++) w.byte(Op.drop);
  w.byte(Op.i64Eqz); w.byte(Op.i32Eqz);
  w.byte2(Op.if, ValType.void);
  w.byte2(Op.localGet, i); w.byte2(Op.i32Const, 1); w.byte(Op.i32Add); w.byte(Op.i64ExtendI32U); w.byte(Op.return);
  w.byte(Op.end);
  w.byte2(Op.localGet, i); w.byte2(Op.i32Const, 1); w.byte(Op.i32Add); w.byte2(Op.localSet, i);
  w.byte2(Op.br, 0);
  w.byte(Op.end); w.byte(Op.end);
  w.byte2(Op.localGet, n); w.byte(Op.i64ExtendI32U);
  mb.setBody(loop, [I32, I32, I32, I32], w);
  const ready = mb.declareFunc(mb.typeIndex([I64], [I32]));
  const r = new ByteWriter(32);
  r.byte2(Op.localGet, 0); r.byte(0xfc); r.u32(0x10); r.byte(0); r.byte(Op.i64ExtendI32U); r.byte(Op.i64LtU);
  r.byte2(Op.if, I32);
  r.byte2(Op.localGet, 0); r.byte(Op.i32WrapI64); r.byte2(0x25, 0); r.byte(0xd1); r.byte(Op.i32Eqz);
  r.byte(Op.globalGet); r.u32(depth); r.byte2(Op.i32Const, 1); r.byte(Op.i32Add); r.byte(Op.i32Const); r.s32(MAX_CALL_FRAMES); r.byte(Op.i32LtS);
  r.byte(Op.i32And);
  r.byte(Op.else);
  r.byte2(Op.i32Const, 0);
  r.byte(Op.end);
  mb.setBody(ready, [], r);
  mb.exportFunc('loop', loop);
  mb.exportFunc('ready', ready);
  compiled = new WebAssembly.Module(mb.finish().bytes as BufferSource);
  return compiled;
}
