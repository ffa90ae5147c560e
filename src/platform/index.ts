export * from './uapi.js';
export * from './section-names.js';
