/** BTF: types, parse/marshal, .BTF.ext, queries and CO-RE relocation. */
export * from './types.js';
export * from './parse.js';
export * from './marshal.js';
export * from './ext.js';
export * from './query.js';
export * from './core.js';
