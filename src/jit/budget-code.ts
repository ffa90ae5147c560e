/**
 * What a run left of its budget, read from JavaScript: the `fuel` global
 * that every module of a Jit shares (compile.ts, SHARED_GLOBALS), through a
 * wasm function of one small module per Jit. A call of it costs JavaScript
 * far less than reading the Global's value (a BigInt), and made once per
 * Jit it is no function more in each program's module, which costs V8 more
 * when it compiles the module than that function's code.
 */
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** A cache, not state: the module, compiled at its first use. */
let compiled: WebAssembly.Module | undefined;

function leftModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const mb = new ModuleBuilder();
  const fuel = mb.importGlobal('env', 'fuel', ValType.i64, true);
  const left = mb.declareFunc(mb.typeIndex([], [ValType.f64]));
  const w = new ByteWriter(8);
  w.byte(Op.globalGet); w.u32(fuel);
  w.byte(Op.f64ConvertI64S);
  mb.setBody(left, [], w);
  mb.exportFunc('left', left);
  return (compiled = new WebAssembly.Module(mb.finish().bytes as BufferSource));
}

/** left() → the value of `fuel` (an i64 global), as a number. */
export function budgetReader(fuel: WebAssembly.Global): () => number {
  return new WebAssembly.Instance(leftModule(), { env: { fuel } }).exports.left as () => number;
}
