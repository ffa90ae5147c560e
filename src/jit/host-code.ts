/**
 * The host import of a program's module as a wasm function: a one-function
 * module, compiled once, whose instance calls the JavaScript host closure.
 *
 * V8 compiles a wasm-to-JavaScript wrapper for every JavaScript function a
 * module imports, and keeps it per compiled module: importing the closure
 * directly costs each new program module a wrapper compile, about as much
 * as instantiating the module itself. Instances of this module share one
 * compiled wrapper, and a wasm import of another instance's function needs
 * none, so a program's instantiation does no compiling at all.
 */
import { HOST_PARAMS } from './compile.js';
import { ModuleBuilder } from './wasm/module.js';
import { Op, ValType } from './wasm/opcodes.js';
import { ByteWriter } from './wasm/writer.js';

/** The host import's JavaScript side (jit.ts): pc, kind, six arguments → r0. */
export type HostFn = (pc: number, kind: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, f: bigint) => bigint;

/** A cache, not state: the compiled module. */
let compiled: WebAssembly.Module | undefined;

function hostModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const mb = new ModuleBuilder();
  const type = mb.typeIndex(HOST_PARAMS, [ValType.i64]);
  const js = mb.importFunc('env', 'js', type);
  const host = mb.declareFunc(type);
  const w = new ByteWriter(24);
  for (let k = 0; k < HOST_PARAMS.length; k++) w.byte2(Op.localGet, k);
  w.byte(Op.call); w.u32(js);
  mb.setBody(host, [], w);
  mb.exportFunc('host', host);
  compiled = new WebAssembly.Module(mb.finish().bytes as BufferSource);
  return compiled;
}

/** `fn` as a wasm function, to import into a program's module. */
export function hostFunction(fn: HostFn): HostFn {
  return new WebAssembly.Instance(hostModule(), { env: { js: fn } }).exports.host as unknown as HostFn;
}
