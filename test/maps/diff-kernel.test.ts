/**
 * Differential test: random command sequences on every map type userspace
 * can drive, on our maps and on the kernel's, compared command by command
 * and by final contents. Also random MAP_CREATE attributes, compared by
 * their verdict.
 *
 * MAPS_DIFF_RUNS sets the sequences per map type (default 15, a few
 * seconds in all), MAPS_DIFF_LENGTH the most commands in one (default 40),
 * MAPS_DIFF_TYPES a comma-separated list of types to run (`lru_hash,queue`),
 * MAPS_DIFF_SEED replays a run. `npm run build && MAPS_DIFF_RUNS=2000 node
 * --test dist/test/maps/diff-kernel.test.js` is the long run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KernelError, createMap } from '../../src/kernel/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { BPF_MAP_TYPE, mapTypeByName, mapTypeName } from '../../src/platform/index.js';
import { BPF_F_STACK_BUILD_ID, MapError, MapRegistry } from '../../src/maps/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { DIFF_TYPES, caseName, casesFor, opsFor, pinToCpu0, runCase, type OpCounts } from './kernel-diff.js';

const RUNS = Number(process.env.MAPS_DIFF_RUNS ?? 15);
const LENGTH = Number(process.env.MAPS_DIFF_LENGTH ?? 40);
const SEED = process.env.MAPS_DIFF_SEED === undefined ? undefined : Number(process.env.MAPS_DIFF_SEED);
const ONLY = process.env.MAPS_DIFF_TYPES?.split(',').map((n) => mapTypeByName(n.trim()));

test('maps agree with the kernel command by command on every map type', async (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  pinToCpu0();
  const nrCpus = kernel.possibleCpus();
  const space = new AddressSpace({ maximumBytes: 256 << 20 });
  const registry = new MapRegistry(space, { nrCpus, cpu: 0 });
  const total: OpCounts = {};
  let sequences = 0;
  for (const type of DIFF_TYPES) {
    if (ONLY && !ONLY.includes(type)) continue;
    await t.test(mapTypeName(type)!, () => {
      const perType: OpCounts = {};
      fc.assert(
        fc.property(casesFor(type).chain((c) => fc.tuple(fc.constant(c), opsFor(c, nrCpus, LENGTH))), ([c, ops]) => {
          const result = runCase(kernel, registry, c, ops);
          for (const [k, n] of Object.entries(result.counts)) perType[k] = (perType[k] ?? 0) + n;
          if (result.mismatch) throw new Error(`${caseName(c)}: ${result.mismatch}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: false },
      );
      sequences += RUNS;
      for (const [k, n] of Object.entries(perType)) total[k] = (total[k] ?? 0) + n;
      t.diagnostic(`${mapTypeName(type)}: ${Object.values(perType).reduce((a, b) => a + b, 0)} commands agree`);
    });
  }
  const commands = Object.values(total).reduce((a, b) => a + b, 0);
  t.diagnostic(`${sequences} sequences, ${commands} commands, all agreeing: ${Object.entries(total).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.equal(registry.maps().length, 0, 'every map of the run was released');
});

test('MAP_CREATE accepts and refuses the same attributes as the kernel, with the same errno', async (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const registry = new MapRegistry(new AddressSpace({ maximumBytes: 256 << 20 }), { nrCpus: kernel.possibleCpus() });
  const T = BPF_MAP_TYPE;
  const types = [
    T.HASH, T.ARRAY, T.PROG_ARRAY, T.PERF_EVENT_ARRAY, T.PERCPU_HASH, T.PERCPU_ARRAY, T.LRU_HASH, T.LRU_PERCPU_HASH,
    T.LPM_TRIE, T.QUEUE, T.STACK, T.RINGBUF, T.BLOOM_FILTER, T.STACK_TRACE, 0, 40,
  ];
  const edge = fc.constantFrom(0, 1, 3, 5, 260, 261, 4096, 8192, 32768, 32769);
  const keySize = fc.oneof({ arbitrary: fc.constantFrom(0, 4, 8), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 64 }), weight: 1 }, { arbitrary: edge, weight: 1 });
  const valueSize = fc.oneof({ arbitrary: fc.constantFrom(0, 4, 8, 16), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 64 }), weight: 1 }, { arbitrary: edge, weight: 1 });
  const flagBits = fc.array(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), { maxLength: 3 }).map((bits) => bits.reduce<number>((f, b) => f | (1 << b), 0));
  const attrs = fc.record({
    type: fc.constantFrom(...types),
    keySize,
    valueSize,
    maxEntries: fc.oneof(fc.constantFrom(0, 1, 4096, 8192, 12288), fc.integer({ min: 0, max: 64 })),
    flags: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: flagBits, weight: 1 }),
    mapExtra: fc.constantFrom(0n, 0n, 0n, 3n, 16n),
  });
  let compared = 0, accepted = 0;
  fc.assert(
    fc.property(attrs, (a) => {
      // Stay within what the test's address space holds (the kernel would accept larger maps).
      fc.pre((a.keySize + a.valueSize + 64) * Math.max(a.maxEntries, 1) * 2 < 64 << 20);
      // Our stack trace maps refuse BPF_F_STACK_BUILD_ID (no build ids to store); the kernel takes it.
      fc.pre(!(a.type === T.STACK_TRACE && a.flags & BPF_F_STACK_BUILD_ID));
      const verdict = (f: () => { close(): void }) => {
        try {
          f().close();
          return 'ok';
        } catch (err) {
          if (err instanceof KernelError || err instanceof MapError) return err.errnoName;
          throw err;
        }
      };
      const theirs = verdict(() => createMap(kernel, a));
      const ours = verdict(() => registry.create(a));
      compared++;
      if (theirs === 'ok') accepted++;
      assert.equal(ours, theirs, `${JSON.stringify({ ...a, mapExtra: String(a.mapExtra) })}`);
    }),
    { numRuns: RUNS * 40, seed: SEED },
  );
  t.diagnostic(`${compared} attribute sets, ${accepted} accepted by both, the rest refused with the same errno`);
});
