/**
 * The helpers each described program type may call, against the running
 * kernel: for every type and expected attach type, a program calling each
 * helper id is loaded, and the kernel either refuses the id for the type
 * (`program of this type cannot use helper`, `invalid func`, `unknown func`)
 * or goes on to check the call. Our list must be exactly the ids it goes on
 * with, except helpers whose condition (build option, lockdown, capability)
 * this kernel does not meet, and those whose condition cannot be read here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeFeatures, type Kernel } from '../../src/kernel/index.js';
import { BPF_FUNC_NAMES, PROGRAM_TYPES, allowedHelpers, progTypeName, type HelperEntry } from '../../src/platform/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import {
  CALL, EXIT, MOV, btfTargets, exitValue, kernelFacts, offered, plainTargets, targetName, verify, type KernelFacts, type LoadTarget,
} from './oracle.js';

const REFUSED = [/invalid func /, /unknown func /, /program of this type cannot use helper /];

/** The helper ids the kernel lets this target call (it checks their arguments rather than refusing the id). */
function kernelHelpers(kernel: Kernel, t: LoadTarget): number[] {
  const ids: number[] = [];
  for (let id = 1; id < BPF_FUNC_NAMES.length; id++) {
    const v = verify(kernel, t, [CALL(id), MOV(0, exitValue(t)), EXIT], { logLevel: 1, logSize: 4096 });
    assert.ok(v.log, `${targetName(t)}: the kernel gave no log for helper ${id} (${v.error?.message})`);
    if (!REFUSED.some((re) => re.test(v.log))) ids.push(id);
  }
  return ids;
}

/** Our list where this kernel's facts decide; helpers whose condition is unknown are left out of both sides. */
function compare(ours: readonly HelperEntry[], kernelIds: readonly number[], facts: KernelFacts): { unknown: number[]; diff: string[] } {
  const unknown: number[] = [];
  const expected = new Set<number>();
  for (const h of ours) {
    const o = offered(h, facts);
    if (o === undefined) unknown.push(h.id);
    else if (o) expected.add(h.id);
  }
  const diff: string[] = [];
  for (const id of expected) if (!kernelIds.includes(id)) diff.push(`we list ${BPF_FUNC_NAMES[id]}#${id}, the kernel refuses it`);
  for (const id of kernelIds) if (!expected.has(id) && !unknown.includes(id)) diff.push(`the kernel offers ${BPF_FUNC_NAMES[id]}#${id}, we do not list it`);
  return { unknown, diff };
}

test('allowed helpers: bpftool\'s feature probe finds exactly our lists for the default attach types', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const facts = kernelFacts();
  const specs = Object.values(PROGRAM_TYPES).filter((s) => !s.attachBtf && !s.attachTypeRequired);
  const probe = probeFeatures(kernel, { helperProgTypes: specs.map((s) => progTypeName(s.type)!) });
  const failures: string[] = [];
  for (const spec of specs) {
    const found = probe.helpers.find((h) => h.progType === progTypeName(spec.type));
    assert.ok(found, `the probe did not cover ${spec.name}`);
    const { unknown, diff } = compare(allowedHelpers(spec), found.helpers.map((h) => h.id), facts);
    failures.push(...diff.map((d) => `${spec.name}: ${d}`));
    if (unknown.length) t.diagnostic(`${spec.name}: conditions unknown here for ${unknown.map((id) => BPF_FUNC_NAMES[id]).join(', ')}`);
  }
  assert.deepEqual(failures, []);
});

test('allowed helpers: every expected attach type, and the BTF-attached types this kernel loads', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const facts = kernelFacts();
  const targets = Object.values(PROGRAM_TYPES).flatMap((spec) => [...plainTargets(spec).filter((x) => x.attachType), ...btfTargets(spec)]);
  assert.ok(targets.length > 20, 'attach-type variants to check');
  const failures: string[] = [];
  for (const target of targets) {
    const { diff } = compare(allowedHelpers(target.spec, target.attachType), kernelHelpers(kernel, target), facts);
    failures.push(...diff.map((d) => `${targetName(target)}: ${d}`));
  }
  assert.deepEqual(failures, []);
});
