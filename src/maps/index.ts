/** Every map type, in the runtime's linear memory, with the kernel's semantics and errors. */
export * from './errors.js';
export * from './uapi.js';
export * from './memory.js';
export * from './jhash.js';
export * from './map.js';
export * from './array.js';
export * from './fd-array.js';
export * from './perf-event-array.js';
export * from './hash.js';
export * from './lru.js';
export * from './lpm-trie.js';
export * from './queue-stack.js';
export * from './bloom-filter.js';
export * from './ringbuf.js';
export * from './stack-trace.js';
export * from './sockmap.js';
export * from './registry.js';
