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
