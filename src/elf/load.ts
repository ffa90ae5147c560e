/**
 * `loadCollectionSpec`: an ELF object from `clang -target bpf` → a
 * CollectionSpec. A named pipeline, as cilium/ebpf's elf_reader: ELF →
 * BTF → legacy maps → BTF maps → data sections → programs (relocations and
 * linking) → map initial values. Each step's error is prefixed with its name
 * ("load BTF maps: section .maps, offset 0x38: …"), and every failure on any
 * input is a LoadError.
 */
import { EbpfError, LoadError, wrapError } from '../internal/errors.js';
import { ByteReader, decodeUtf8 } from '../internal/reader.js';
import { parseBtfExt } from '../btf/ext.js';
import { parseBtf } from '../btf/parse.js';
import type { Btf } from '../btf/types.js';
import { BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC } from '../btf/types.js';
import { typeName } from '../btf/query.js';
import { parseElf, STB_GLOBAL, STB_WEAK, SHN_UNDEF, STT_SECTION, type ElfFile, type ElfSymbol } from './elf.js';
import { sectionByName, type LoadContext } from './context.js';
import { findDatasec, loadBtfMaps, loadDataSections, loadKconfig, loadLegacyMaps, loadMapInitialValues } from './maps.js';
import { loadPrograms } from './programs.js';
import type { CollectionSpec, VariableSpec } from './spec.js';

/** Run one step; anything but a LoadError (a bug of ours) becomes one too, so callers see a single error type. */
function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LoadError) throw wrapError(`load ${name}`, e);
    const reason = e instanceof EbpfError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    throw new LoadError('', 0, `load ${name}: ${reason}`, { cause: e });
  }
}

/** Read a BPF ELF object into a spec. Pure: the same bytes always give the same spec. */
export function loadCollectionSpec(bytes: Uint8Array): CollectionSpec {
  const elf = step('ELF', () => parseElf(bytes));
  const ctx: LoadContext = {
    elf, order: elf.order, btf: null, ext: null, maps: [], mapByDefinition: new Map(), dataMapBySection: new Map(),
    kconfig: null, textIndex: elf.sections.find((s) => s.name === '.text')?.index ?? -1,
  };
  step('BTF', () => loadBtf(ctx));
  const license = step('license', () => readLicense(ctx));
  const kernelVersion = step('version', () => readVersion(ctx));
  step('legacy maps', () => loadLegacyMaps(ctx));
  step('BTF maps', () => loadBtfMaps(ctx));
  step('data sections', () => {
    loadDataSections(ctx);
    loadKconfig(ctx);
  });
  const { programs, isProgram } = step('programs', () => loadPrograms(ctx, license, kernelVersion));
  step('map initial values', () => loadMapInitialValues(ctx, isProgram));
  const variables = step('variables', () => collectVariables(ctx));
  return { byteOrder: elf.order, license, kernelVersion, programs, maps: ctx.maps, variables, btf: ctx.btf };
}

function loadBtf(ctx: LoadContext): void {
  const sec = sectionByName(ctx, '.BTF');
  if (!sec) return;
  const parsed = parseBtf(sec.data, '.BTF');
  if (parsed.order !== ctx.order) throw new LoadError('.BTF', 0, `BTF is ${parsed.order === 'le' ? 'little' : 'big'}-endian, the ELF is not`);
  ctx.btf = parsed.btf;
  fixupDatasecs(ctx.elf, parsed.btf);
  const extSec = sectionByName(ctx, '.BTF.ext');
  if (extSec) ctx.ext = parseBtfExt(extSec.data, parsed.strings, '.BTF.ext');
}

/**
 * clang leaves DATASEC sizes and variable offsets to the loader (libbpf's
 * btf_fixup_datasec): take them from the ELF section and symbols, then sort
 * the variables by offset.
 */
function fixupDatasecs(elf: ElfFile, btf: Btf): void {
  const globals = new Map<string, ElfSymbol[]>();
  for (const s of elf.symbols) {
    if (s.type === STT_SECTION || (s.bind !== STB_GLOBAL && s.bind !== STB_WEAK) || !s.name) continue;
    const list = globals.get(s.name);
    if (list) list.push(s);
    else globals.set(s.name, [s]);
  }
  for (const t of btf.types) {
    if (t.kind !== 'datasec' || t.name === '.kconfig' || t.name === '.ksyms') continue;
    const sec = elf.sections.find((s) => s.name === t.name);
    if (!sec) continue;
    t.size = sec.size;
    for (const vi of t.vars) {
      const v = btf.types[vi.type];
      if (v.kind !== 'var' || v.linkage === BTF_VAR_STATIC || v.linkage === BTF_VAR_GLOBAL_EXTERN) continue;
      const sym = globals.get(v.name)?.find((s) => s.shndx === sec.index);
      if (!sym) throw new LoadError('.BTF', 0, `DATASEC ${t.name}: variable ${v.name} has no symbol in section ${sec.name}`);
      vi.offset = sym.value;
    }
    for (const vi of t.vars) {
      if (vi.offset + vi.size > t.size) throw new LoadError('.BTF', 0, `DATASEC ${t.name}: variable [${vi.type}] (${vi.size} bytes at ${vi.offset}) is outside the section (${t.size} bytes)`);
    }
    t.vars.sort((a, b) => a.offset - b.offset);
  }
}

function readLicense(ctx: LoadContext): string {
  const sec = sectionByName(ctx, 'license');
  if (!sec) return '';
  const end = sec.data.indexOf(0);
  return decodeUtf8(sec.data, 0, end < 0 ? sec.data.length : end);
}

function readVersion(ctx: LoadContext): number {
  const sec = sectionByName(ctx, 'version');
  if (!sec) return 0;
  const r: ByteReader = new ByteReader(sec.data, ctx.order, sec.name);
  if (sec.data.length !== 4) r.fail(0, `version section is ${sec.data.length} bytes, want 4`);
  return r.u32(0);
}

/** Global variables of every data map: from BTF DATASECs, else from ELF symbols. */
function collectVariables(ctx: LoadContext): VariableSpec[] {
  const out: VariableSpec[] = [];
  const btf = ctx.btf;
  for (const m of ctx.maps) {
    if (m.origin !== 'data' && m.origin !== 'kconfig') continue;
    const datasec = findDatasec(btf, m.name);
    if (btf && datasec) {
      for (const vi of datasec.type.vars) {
        const v = btf.types[vi.type];
        if (v.kind !== 'var') continue;
        out.push({
          name: v.name, map: m.name, offset: vi.offset, size: vi.size, typeId: v.type, typeName: typeName(btf, v.type),
          linkage: v.linkage === BTF_VAR_STATIC ? 'static' : v.linkage === BTF_VAR_GLOBAL_EXTERN ? 'extern' : 'global',
          ...(v.linkage === BTF_VAR_GLOBAL_EXTERN ? { weak: ctx.elf.symbols.some((s) => s.name === v.name && s.bind === STB_WEAK) } : {}),
        });
      }
      continue;
    }
    const sec = sectionByName(ctx, m.name);
    if (!sec) continue;
    for (const s of ctx.elf.symbols) {
      if (s.shndx !== sec.index || s.shndx === SHN_UNDEF || s.type === STT_SECTION || !s.name || s.size === 0) continue;
      out.push({ name: s.name, map: m.name, offset: s.value, size: s.size, typeId: 0, typeName: '', linkage: s.bind === STB_GLOBAL || s.bind === STB_WEAK ? 'global' : 'static' });
    }
  }
  return out;
}
