/** Small builders for the map tests. */
import assert from 'node:assert/strict';
import { AddressSpace } from '../../src/memory/index.js';
import { MapError, MapRegistry, type MapRegistryOptions } from '../../src/maps/index.js';

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
export const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
export const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : 'undefined');
export const readU32 = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

/** A registry over a fresh address space. */
export function registry(options: MapRegistryOptions = {}): MapRegistry {
  return new MapRegistry(new AddressSpace({ maximumBytes: 64 << 20 }), options);
}

/** Assert that `f` throws a MapError with this errno name (and, when given, command). */
export function throwsErrno(f: () => unknown, errno: string, command?: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof MapError, `expected a MapError, got ${String(e)}`);
    assert.equal(e.errnoName, errno, e.message);
    if (command) assert.equal(e.command, command);
    return true;
  });
}

/** The keys of a map in iteration order, as hex. */
export const keysOf = (map: { keys(): Iterable<Uint8Array> }): string[] => [...map.keys()].map(hex);
