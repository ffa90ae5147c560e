/**
 * JavaScript functions as wasm functions, for the table of functions a
 * program's module calls out through (compile.ts, CompiledProgram.slots):
 * a funcref table holds only wasm functions. Each signature's module (one
 * function that calls its JavaScript import) is compiled once; an instance
 * per function binds it.
 *
 * That is also what keeps the wrapper compiling off the path of every
 * program: V8 compiles a wasm-to-JavaScript wrapper for each imported
 * function's signature when it compiles a module, and keeps it per module.
 * These modules are compiled once, so their wrappers are too.
 */
import { HOST_PARAMS } from './compile.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** The host import's JavaScript side (jit.ts): pc, kind, six arguments, the calling program's `self` import → r0. */
export type HostFn = (pc: number, kind: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, f: bigint, self: unknown) => bigint;

/** A cache, not state: the compiled module of each signature. */
const compiled = new Map<string, WebAssembly.Module>();

function callerModule(params: readonly ValType[], results: readonly ValType[]): WebAssembly.Module {
  const key = `${params.join(',')}>${results.join(',')}`;
  let module = compiled.get(key);
  if (module) return module;
  const mb = new ModuleBuilder();
  const type = mb.typeIndex(params, results);
  const js = mb.importFunc('env', 'js', type);
  const fn = mb.declareFunc(type);
  const w = new ByteWriter(24);
  for (let k = 0; k < params.length; k++) w.byte2(Op.localGet, k);
  w.byte(Op.call); w.u32(js);
  mb.setBody(fn, [], w);
  mb.exportFunc('fn', fn);
  module = new WebAssembly.Module(mb.finish().bytes as BufferSource);
  compiled.set(key, module);
  return module;
}

/** `fn` as a wasm function of the given signature. */
export function wasmFunction<F extends (...args: never[]) => unknown>(fn: F, params: readonly ValType[], results: readonly ValType[]): F {
  return new WebAssembly.Instance(callerModule(params, results), { env: { js: fn } }).exports.fn as unknown as F;
}

/** The host function (one per Jit: the calling program passes its `self`) as a wasm function. */
export function hostFunction(fn: HostFn): HostFn {
  return wasmFunction(fn, HOST_PARAMS, [ValType.i64]);
}

/**
 * How a fast path with the helper as its fallback is called (fallbackFunction): the registers r1..rn
 * it takes, each as its parameter type (an i32 takes the low 32 bits), then `consts` as i32 constants;
 * its answer, `value` (r0, unless it is -1: fall back) or `status` (0: done, r0 = 0; else fall back).
 */
export interface FallbackShape {
  readonly regs: readonly ValType[];
  readonly consts: readonly number[];
  readonly answer: 'value' | 'status';
}

/** A cache, not state: the compiled module of each shape and helper id. */
const fallbackModules = new Map<string, WebAssembly.Module>();

/**
 * `fast` and, when it falls back, helper `id` through the Jit's `host`, as
 * one wasm function: fn(r1..rn : i64, pc : i32, self) → r0. A call site
 * then holds its registers, its pc and its program's self, and no code of
 * the fallback (about 30 bytes of each map lookup in a module, 60
 * unverified). The helper gets r1..rn and 0 for the others, and the call
 * publishes neither the budget nor the frame nor r0, r6–r9: none of the
 * helpers with a fallback (lookups, ring buffer records) reads an argument
 * past its prototype's or runs a callback.
 */
export function fallbackFunction(fast: (...args: never[]) => unknown, host: HostFn, id: number, shape: FallbackShape): (...args: never[]) => unknown {
  const { regs, consts, answer } = shape;
  const key = `${regs.join(',')}|${consts.join(',')}|${answer}|${id}`;
  let module = fallbackModules.get(key);
  if (!module) {
    const mb = new ModuleBuilder();
    const I32 = ValType.i32, I64 = ValType.i64;
    const fastType = mb.typeIndex([...regs, ...consts.map(() => I32)], [answer === 'value' ? I64 : I32]);
    const fastFn = mb.importFunc('env', 'fast', fastType);
    const hostFn = mb.importFunc('env', 'host', mb.typeIndex(HOST_PARAMS, [I64]));
    const n = regs.length, pc = n, self = n + 1;
    const fn = mb.declareFunc(mb.typeIndex([...regs.map(() => I64), I32, ValType.externref], [I64]));
    const w = new ByteWriter(64);
    for (let k = 0; k < n; k++) {
      w.byte2(Op.localGet, k);
      if (regs[k] === I32) w.byte(Op.i32WrapI64);
    }
    for (const c of consts) { w.byte(Op.i32Const); w.s32(c); }
    w.byte(Op.call); w.u32(fastFn);
    if (answer === 'value') {
      const r0 = n + 2;
      w.byte2(Op.localTee, r0);
      w.byte2(Op.i64Const, 0x7f);
      w.byte(Op.i64Ne);
      w.byte2(Op.if, ValType.void);
      w.byte2(Op.localGet, r0);
      w.byte(Op.return);
      w.byte(Op.end);
    } else {
      w.byte(Op.i32Eqz);
      w.byte2(Op.if, ValType.void);
      w.byte2(Op.i64Const, 0);
      w.byte(Op.return);
      w.byte(Op.end);
    }
    w.byte2(Op.localGet, pc);
    w.byte(Op.i32Const); w.s32(id);
    for (let k = 0; k < 6; k++) {
      if (k < n) w.byte2(Op.localGet, k); else w.byte2(Op.i64Const, 0);
    }
    w.byte2(Op.localGet, self);
    w.byte(Op.call); w.u32(hostFn);
    mb.setBody(fn, answer === 'value' ? [I64] : [], w);
    mb.exportFunc('fn', fn);
    module = new WebAssembly.Module(mb.finish().bytes as BufferSource);
    fallbackModules.set(key, module);
  }
  return new WebAssembly.Instance(module, { env: { fast, host } }).exports.fn as (...args: never[]) => unknown;
}
