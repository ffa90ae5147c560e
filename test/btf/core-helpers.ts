/** The btf/ API under test, and a one-relocation shorthand. */
import { CoreTarget, relocateCore, type CoreRelocation } from '../../src/btf/index.js';
import type { Btf } from '../../src/btf/index.js';
import type { Insn } from '../../src/isa/index.js';

export * from '../../src/btf/index.js';

/** Apply one relocation to `insns` against `target`. */
export function applyCoreRelocationsTo(insns: Insn[], relo: CoreRelocation, local: Btf, target: Btf): Insn[] {
  return relocateCore(insns, [relo], local, new CoreTarget(target), { order: 'le', section: 'test' }).insns;
}
