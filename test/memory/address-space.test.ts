/** The address space's size limits: a bad one is an EINVAL naming it, before any memory is made. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EbpfError } from '../../src/internal/errors.js';
import { AddressSpace, MAX_SPACE_BYTES } from '../../src/memory/index.js';

const einval = (pattern: RegExp) => (e: unknown) => e instanceof EbpfError && e.code === 'EINVAL' && pattern.test(e.message);

test('an address space is at most 4 GiB less its last page (the JIT relies on it), and starts no larger than its maximum', () => {
  assert.throws(() => new AddressSpace({ maximumBytes: 2 ** 32 }), einval(/^maximumBytes must be an integer from 1 to 4294901760 \(4 GiB less the last 64 KiB page, never handed out\), got 4294967296$/));
  assert.throws(() => new AddressSpace({ maximumBytes: 1.5 }), einval(/maximumBytes must be an integer/));
  assert.throws(() => new AddressSpace({ maximumBytes: 1 << 20, initialBytes: 2 << 20 }), einval(/^initialBytes must be an integer from 0 to maximumBytes \(1048576\), got 2097152$/));
  assert.throws(() => new AddressSpace({ initialBytes: -1 }), einval(/initialBytes must be an integer/));
  // The largest is made (V8 reserves it, commits the initial 1 MiB) and grows.
  const space = new AddressSpace({ maximumBytes: MAX_SPACE_BYTES });
  assert.equal(space.memory.buffer.byteLength, 1 << 20);
  assert.ok(space.alloc('big', 2 << 20, 'data').start >= 1 << 16);
  // A small maximum still holds the first page, never handed out, and one more.
  assert.equal(new AddressSpace({ maximumBytes: 1, initialBytes: 0 }).memory.buffer.byteLength, 2 << 16);
});

test('the views follow the memory when it grows, shared or not, whoever grew it', () => {
  for (const shared of [false, true]) {
    const space = new AddressSpace({ shared, initialBytes: 2 << 16, maximumBytes: 8 << 16 });
    const before = space.bytes.length;
    // As wasm code or another thread holding the memory would.
    space.memory.grow(1);
    assert.equal(space.bytes.length, before + (1 << 16), `shared ${shared}: bytes`);
    assert.equal(space.view.byteLength, before + (1 << 16), `shared ${shared}: view`);
    space.bytes[before] = 7;
    assert.equal(space.view.getUint8(before), 7);
  }
});
