export * from './address-space.js';
