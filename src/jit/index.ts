/**
 * The WebAssembly JIT. Its names do not clash with the interpreter's, so
 * both can be exported from one entry point (RuntimeError and the budget
 * and loop constants are the interpreter's, from vm/ and helpers/).
 */
export { Jit, JitProgram, type JitLoadOptions, type JitOptions, type JitRunOptions, type JitRunResult } from './jit.js';
export type { PacketContext } from '../helpers/index.js';
export { JitCache, type CachedModule } from './cache.js';
export { jitToWat, watOf, type JitToWatOptions } from './text.js';
export { compileProgram, compileBatch, stackZeroing, pcAt, type CompiledProgram, type CompileOptions, type ModuleForm } from './compile.js';
export { INTRINSICS, intrinsicFor, type JitIntrinsic, type IntrinsicImport, type IntrinsicEmitter } from './intrinsics.js';
export { buildCfg, type ProgramCfg } from './cfg.js';
export { printWat, type WatNames } from './wasm/wat.js';
