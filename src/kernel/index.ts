/** The Linux kernel backend: bpf(2) through koffi, maps, programs, links, and the oracle functions. */
export * from './errors.js';
export * from './sys.js';
export * from './attr.js';
export * from './fd.js';
export * from './kernel.js';
export * from './map.js';
export * from './program.js';
export * from './objects.js';
export * from './log.js';
export * from './run.js';
export * from './link.js';
export * from './netns.js';
export * from './status.js';
export * from './verify.js';
export * from './probe.js';
