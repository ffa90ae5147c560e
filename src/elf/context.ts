/** What the loading steps share: the parsed ELF, BTF, and the maps found so far. */
import type { ByteOrder } from '../internal/bytes.js';
import type { BtfExt } from '../btf/ext.js';
import type { Btf } from '../btf/types.js';
import type { ElfFile, ElfSection, ElfSymbol } from './elf.js';
import type { MapSpec } from './spec.js';

export interface LoadContext {
  elf: ElfFile;
  order: ByteOrder;
  btf: Btf | null;
  ext: BtfExt | null;
  maps: MapSpec[];
  /** Map index by `sectionIndex:offset` of its definition (BTF and legacy maps). */
  mapByDefinition: Map<string, number>;
  /** Global data map index by section index. */
  dataMapBySection: Map<number, number>;
  /** The .kconfig map and each extern's offset in it. */
  kconfig: { mapIndex: number; offsets: Map<string, number> } | null;
  /** Index of `.text`, where subprograms live; -1 when there is none. */
  textIndex: number;
}

export const definitionKey = (section: number, offset: number): string => `${section}:${offset}`;

export function sectionByName(ctx: LoadContext, name: string): ElfSection | undefined {
  return ctx.elf.sections.find((s) => s.name === name);
}

/** A symbol's printable name: a section symbol has none and is named after its section. */
export function symbolName(ctx: LoadContext, sym: ElfSymbol): string {
  if (sym.name) return sym.name;
  const sec = ctx.elf.sections[sym.shndx];
  return sec ? sec.name : `#${sym.index}`;
}
