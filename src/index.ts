/** The library API of `ebpf`. */
export * from './internal/errors.js';
export * as isa from './isa/index.js';
export * from './memory/index.js';
