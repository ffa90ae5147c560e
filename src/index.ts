/**
 * The library API of `ebpf`: the core, which runs unchanged in Node.js and in
 * browsers — loading objects, the interpreter, the JIT, maps, helpers and
 * live collections on our engines. The Linux backend (bpf(2), Node only) is
 * in the `ebpf/node` entry.
 */
export * from './internal/errors.js';
export * as isa from './isa/index.js';
export { decodeInsns, encodeInsns, decodeProgram, InstructionError, type Insn } from './isa/index.js';
export * from './asm/index.js';
export * from './memory/index.js';
export * from './platform/index.js';
export * as btf from './btf/index.js';
export { loadCollectionSpec, inspectCollection, formatInspection, getVariable, setVariable, type CollectionSpec, type ProgramSpec, type MapSpec } from './elf/index.js';
export * as maps from './maps/index.js';
export { MapError, MapRegistry } from './maps/index.js';
export { createHelperTable, HelperTable, RuntimeError, type HelperDef } from './helpers/index.js';
export * from './vm/index.js';
export { Jit, JitProgram, jitToWat } from './jit/index.js';
export { Runtime, type LoadOptions, type LocalEngine, type RuntimeOptions } from './runtime/runtime.js';
export { Collection, mapEntries, type CollectionOptions, type LiveMap, type LiveProgram, type LoadedCollection } from './runtime/collection.js';
export type { TestRunOptions, TestRunResult } from './runtime/test-run.js';
export { TestRunError, CollectionError } from './runtime/errors.js';
export { parsePcap, PcapError } from './runtime/pcap.js';
export { verify, verifyOrThrow, type MapDescriptor, type VerifyOptions, type VerifyResult } from './verifier/index.js';
export {
  ProgramVerifierError, UnsupportedProgramError, mapDescriptors, verifyCollectionSpec, verifyProgramSpec, verifyPrograms, type VerifySpecOptions,
} from './runtime/verify.js';
