export * from './uapi.js';
