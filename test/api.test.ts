import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as ebpf from '../src/index.js';
import { repoRoot } from './paths.js';

test('the core entry loads a clang object and runs it on the interpreter and the JIT', () => {
  const spec = ebpf.loadCollectionSpec(readFileSync(join(repoRoot, 'testdata', 'obj', 'behaviour.o')));
  const frame = Uint8Array.from(readFileSync(join(repoRoot, 'examples', 'udp-frame.hex'), 'utf8').trim().split(/\s+/).join('').match(/../g)!.map((h) => parseInt(h, 16)));
  for (const engine of ['interp', 'jit'] as const) {
    const coll = ebpf.Collection.load(spec, { engine, programs: ['xdp_parse'] });
    const out = coll.programs.xdp_parse.testRun({ data: frame });
    assert.equal(out.retval, 3, engine);
    assert.equal(ebpf.mapEntries(coll.maps.proto_count).length, 1, engine);
  }
});

test('the package entry gives the core API', () => {
  const insns = ebpf.assemble('r0 = 42\nexit');
  assert.equal(ebpf.disassemble(insns, { indexes: true }), '0: (b7) r0 = 42\n1: (95) exit');
  assert.equal(new ebpf.Vm(new ebpf.AddressSpace()).load(insns).run().r0, 42n);
  assert.equal(ebpf.BPF_PROG_TYPE.XDP, 6);
  assert.equal(typeof ebpf.isa.lookupOpcode, 'function');
});

/** Every module the compiled file imports, transitively (relative specifiers resolved; others kept as written). */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith('/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      queue.push(spec.startsWith('.') ? resolve(dirname(file), spec) : spec);
    }
  }
  return seen;
}

test('the core entry never reaches node: modules or koffi, so it runs in a browser', () => {
  const graph = importGraph(join(repoRoot, 'dist', 'src', 'index.js'));
  const external = [...graph].filter((m) => !m.startsWith('/'));
  assert.deepEqual(external, []);
  assert.ok([...graph].some((m) => m.endsWith('/vm/index.js')));
  const node = importGraph(join(repoRoot, 'dist', 'src', 'node.js'));
  assert.ok([...node].some((m) => m.startsWith('node:')), 'the node entry is the one with the kernel backend');
});
