/** Live objects: a Runtime, collections and their maps and programs on 'interp', 'jit' or 'kernel'. */
import type { CollectionSpec } from '../elf/index.js';
import { Collection, type CollectionOptions, type LoadedCollection } from './collection.js';
import { KernelCollection, type KernelCollectionOptions } from './kernel-collection.js';
import { DEFAULT_ENGINE } from './runtime.js';

export * from './errors.js';
export * from './runtime.js';
export * from './test-run.js';
export * from './collection.js';
export * from './kernel-collection.js';
export * from './pcap.js';
export * from './kconfig.js';
export * from './verify.js';

export type EngineKind = 'interp' | 'jit' | 'kernel';

/**
 * Load a collection on any engine: one API for our interpreter, our JIT and
 * the kernel. Our engines run only what our verifier accepts (`verify: false`
 * opts out); the kernel runs its own verifier, whatever `verify` says.
 */
export function loadCollection(spec: CollectionSpec, options: Omit<CollectionOptions, 'engine'> & KernelCollectionOptions & { engine?: EngineKind } = {}): LoadedCollection {
  const { engine = DEFAULT_ENGINE, programs, kernel, verify, ...rest } = options;
  return engine === 'kernel' ? KernelCollection.load(spec, { ...rest, programs, kernel }) : Collection.load(spec, { ...rest, programs, engine, verify });
}
