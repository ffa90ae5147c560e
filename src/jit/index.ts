/** The WebAssembly JIT. */
export {
  Jit, JitProgram, DEFAULT_MAX_INSNS, type JitOptions, type JitRunOptions, type JitRunResult, type JitPacket,
} from './jit.js';
export { JitCache, type CachedModule } from './cache.js';
export { jitToWat, watOf, type JitToWatOptions } from './text.js';
export { compileProgram, stackZeroing, pcAt, BPF_MAX_LOOPS, type CompiledProgram, type CompileOptions, type ModuleForm } from './compile.js';
export { INTRINSICS, intrinsicFor, type JitIntrinsic, type IntrinsicImport, type IntrinsicEmitter } from './intrinsics.js';
export { buildCfg, type ProgramCfg } from './cfg.js';
export { printWat, type WatNames } from './wasm/wat.js';
export { RuntimeError } from '../helpers/index.js';
