export * from './uapi.js';
export * from './section-names.js';
export * from './helper-ids.js';
export * from './helper-protos.js';
export * from './contexts.js';
export * from './program-types.js';
export * from './map-api.js';
export * from './sock-btf.js';
