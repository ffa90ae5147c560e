/** Objects from clang: ELF → CollectionSpec, CO-RE, global variables, inspection. */
export * from './spec.js';
export * from './elf.js';
export { loadCollectionSpec } from './load.js';
export { applyCoreRelocations, type CoreReport } from './core.js';
export { findVariable, getVariable, setVariable } from './variables.js';
export * from './inspect.js';
