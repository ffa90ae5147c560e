/** CO-RE for a whole collection: every program's relocations against one target BTF. */
import { LoadError } from '../internal/errors.js';
import { CoreTarget, relocateCore, type CoreRelocationResult } from '../btf/core.js';
import type { Btf } from '../btf/types.js';
import type { CollectionSpec, ProgramSpec } from './spec.js';

export interface CoreReport {
  program: string;
  results: CoreRelocationResult[];
}

/**
 * Apply every program's CO-RE relocations against `target` (the kernel's
 * /sys/kernel/btf/vmlinux, or a BTF describing our own contexts). Returns a
 * new spec whose programs have patched instructions and no pending
 * relocations, and what each relocation did; the input spec is unchanged, so
 * the same spec can be relocated for several targets.
 */
export function applyCoreRelocations(spec: CollectionSpec, target: Btf | CoreTarget): { spec: CollectionSpec; report: CoreReport[] } {
  const coreTarget = target instanceof CoreTarget ? target : new CoreTarget(target);
  const report: CoreReport[] = [];
  const programs = spec.programs.map((p): ProgramSpec => {
    if (p.coreRelos.length === 0) return p;
    if (!spec.btf) throw new LoadError(p.sectionName, 0, `program ${p.name} has CO-RE relocations but the object has no BTF`);
    const { insns, results } = relocateCore(p.insns, p.coreRelos, spec.btf, coreTarget, { order: spec.byteOrder, section: p.sectionName });
    report.push({ program: p.name, results });
    return { ...p, insns, coreRelos: [] };
  });
  return { spec: { ...spec, programs }, report };
}
