/** The WebAssembly JIT. */
export {
  Jit, JitProgram, JitCache, jitToWat, DEFAULT_MAX_INSNS,
  type JitOptions, type JitRunOptions, type JitRunResult, type JitPacket, type JitToWatOptions, type CachedModule,
} from './jit.js';
export { compileProgram, pcAt, BPF_MAX_LOOPS, type CompiledProgram, type CompileOptions } from './compile.js';
export { BASE_INTRINSICS, type JitIntrinsic, type IntrinsicImport, type IntrinsicEmitter } from './intrinsics.js';
export { buildCfg, type ProgramCfg } from './cfg.js';
export { printWat, type WatNames } from './wasm/wat.js';
export { RuntimeError } from '../helpers/index.js';
