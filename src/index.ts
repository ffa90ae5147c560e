/**
 * The library API of `ebpf`: the core, which runs unchanged in Node.js and in
 * browsers. The Linux backend (bpf(2), Node only) is the `ebpf/kernel` entry.
 */
export * from './internal/errors.js';
export * as isa from './isa/index.js';
export { decodeInsns, encodeInsns, decodeProgram, InstructionError, type Insn } from './isa/index.js';
export * from './asm/index.js';
export * from './memory/index.js';
export * from './platform/index.js';
export { createHelperTable, HelperTable, RuntimeError, type HelperDef } from './helpers/index.js';
export * from './vm/index.js';
