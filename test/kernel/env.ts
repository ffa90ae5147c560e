/**
 * Kernel tests: run where the kernel backend works, say why they skip where
 * it does not — and in CI (CI=true) a skip is a failure, because the CI
 * machines are Linux with root.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Kernel, kernelStatus, type KernelPaths } from '../../src/kernel/index.js';
import { marshalBtf, type BtfType } from '../../src/btf/index.js';

/** A Kernel, or undefined after skipping `t` with the reason. */
export function kernelOrSkip(t: TestContext, paths?: Partial<KernelPaths>): Kernel | undefined {
  const status = kernelStatus();
  if (status.available) return Kernel.open({ paths });
  if (process.env.CI === 'true') assert.fail(`kernel tests must run in CI, but: ${status.reason}`);
  t.skip(`kernel unavailable: ${status.reason}`);
  return undefined;
}

/** Mount a private `fstype` (bpf, tracefs) on a fresh directory; the returned function unmounts it. */
export function privateMount(fstype: string): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ebpf-${fstype}-`));
  execFileSync('mount', ['-t', fstype, fstype === 'bpf' ? 'bpf' : 'nodev', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmdirSync(dir);
    },
  };
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * BTF for func_info: `int`, a `int (void)` prototype and one FUNC per name
 * (the first global, the rest static), marshalled by src/btf — so the tests
 * that load it also check our marshaller against the kernel's BTF_LOAD.
 */
export function funcInfoBtf(names: readonly string[]): Uint8Array {
  const types: BtfType[] = [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    { kind: 'func_proto', name: '', returnType: 1, params: [] },
    ...names.map((name, i): BtfType => ({ kind: 'func', name, type: 2, linkage: i === 0 ? 1 : 0 })),
  ];
  return marshalBtf({ types }).bytes;
}
