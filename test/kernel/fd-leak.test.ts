/**
 * Descriptors are given back: 10,000 cycles of creating a map, loading a
 * program that uses it, running it and closing both (with a rejected load
 * every hundredth cycle) leave the process with the descriptors it had.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifierError } from '../../src/internal/errors.js';
import { BPF_ALU64, BPF_DW, BPF_EXIT, BPF_JMP, BPF_K, BPF_LDX, BPF_MEM, BPF_MOV, BPF_PSEUDO_MAP_VALUE, ldImm64 } from '../../src/isa/index.js';
import { createMap, loadProgram } from '../../src/kernel/index.js';
import { kernelOrSkip, openFds } from './env.js';

const CYCLES = 10_000;

test(`no descriptor leak over ${CYCLES} load/close cycles`, (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const before = openFds();
  let rejected = 0;
  for (let i = 0; i < CYCLES; i++) {
    using map = createMap(kernel, { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    // r1 = &map[0]; r0 = *(u64 *)(r1 + 0), or + 8 (out of bounds) every hundredth cycle.
    const insns = [
      ...ldImm64(1, BigInt(map.fd.value), BPF_PSEUDO_MAP_VALUE),
      { code: BPF_LDX | BPF_MEM | BPF_DW, dst: 0, src: 1, off: i % 100 === 99 ? 8 : 0, imm: 0 },
      { code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: 0 },
      { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    try {
      using prog = loadProgram(kernel, { type: 'socket_filter', insns });
      prog.testRun({ data: new Uint8Array(14) });
    } catch (err) {
      if (!(err instanceof VerifierError)) throw err;
      rejected++;
    }
  }
  const after = openFds();
  t.diagnostic(`${CYCLES} cycles (${rejected} rejected loads): ${before} descriptors before, ${after} after`);
  assert.equal(rejected, CYCLES / 100);
  assert.equal(after, before);
});
