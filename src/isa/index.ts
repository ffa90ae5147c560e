export * from './constants.js';
export * from './table.js';
export * from './insn.js';
export * from './regs.js';
