/**
 * An ELF64 relocatable-object reader for BPF (EM_BPF), both byte orders:
 * header, section headers, the symbol table and REL sections. Everything is
 * bounds-checked; a malformed file is a LoadError naming the section and the
 * offset in it.
 */
import type { ByteOrder } from '../internal/bytes.js';
import { LoadError } from '../internal/errors.js';
import { ByteReader } from '../internal/reader.js';

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

/** LLVM's BPF relocation types (Documentation/bpf/llvm_reloc.rst). */
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
/** More sections than any real object has: a bound on the work a hostile header can ask for. */
const MAX_SECTIONS = 65536;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents. */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** The contents (empty for SHT_NOBITS: read `size` instead). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  shndx: number;
}

export interface ElfRelocation {
  /** Byte offset in the target section. */
  offset: number;
  symbol: number;
  type: number;
}

export interface ElfRelSection {
  /** The REL section itself. */
  section: ElfSection;
  /** The section the relocations apply to (sh_info). */
  target: ElfSection;
  relocations: ElfRelocation[];
}

export interface ElfFile {
  order: ByteOrder;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** REL sections by the index of the section they relocate. */
  relocations: Map<number, ElfRelSection>;
}

/** Parse a BPF ELF64 relocatable object. */
export function parseElf(bytes: Uint8Array): ElfFile {
  const head = new ByteReader(bytes, 'le', '(ELF header)');
  head.check(0, 16, 'ELF identification');
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) head.fail(0, 'not an ELF file (bad magic)');
  if (bytes[4] !== 2) head.fail(4, `ELF class ${bytes[4]} is not ELFCLASS64`);
  if (bytes[5] !== 1 && bytes[5] !== 2) head.fail(5, `unknown ELF data encoding ${bytes[5]}`);
  if (bytes[6] !== 1) head.fail(6, `unknown ELF version ${bytes[6]}`);
  const order: ByteOrder = bytes[5] === 1 ? 'le' : 'be';
  const file = new ByteReader(bytes, order, '(ELF header)');
  file.check(0, EHDR_SIZE, 'ELF header');
  const type = file.u16(16);
  if (type !== ET_REL) file.fail(16, `ELF type ${type} is not ET_REL (a relocatable object, as clang -c makes)`);
  const machine = file.u16(18);
  if (machine !== EM_BPF) file.fail(18, `machine ${machine} is not EM_BPF (${EM_BPF})`);
  const shoff = file.u64n(40, 'e_shoff');
  const shentsize = file.u16(58);
  let shnum = file.u16(60);
  let shstrndx = file.u16(62);
  if (shoff === 0) file.fail(40, 'no section header table');
  if (shentsize !== SHDR_SIZE) file.fail(58, `section header size ${shentsize}, want ${SHDR_SIZE}`);
  const table = new ByteReader(bytes, order, '(section headers)');
  table.check(shoff, SHDR_SIZE, 'section header 0');
  if (shnum === 0) shnum = table.u64n(shoff + 32, 'extended section count');
  if (shstrndx === SHN_XINDEX) shstrndx = table.u32(shoff + 40, 'extended string table index');
  if (shnum > MAX_SECTIONS) file.fail(60, `${shnum} sections is more than ${MAX_SECTIONS}`);
  table.check(shoff, shnum * SHDR_SIZE, `${shnum} section headers`);
  if (shstrndx >= shnum) file.fail(62, `section name table index ${shstrndx} is out of range (${shnum} sections)`);

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const p = shoff + i * SHDR_SIZE;
    const shType = table.u32(p + 4);
    const offset = table.u64n(p + 24, 'sh_offset');
    const size = table.u64n(p + 32, 'sh_size');
    if (shType !== SHT_NOBITS && shType !== SHT_NULL && !(offset + size <= bytes.length)) {
      table.fail(p, `section ${i}: contents at 0x${offset.toString(16)}, ${size} bytes, run past the end of the file (${bytes.length} bytes)`);
    }
    raw.push({
      nameOff: table.u32(p), type: shType, flags: table.u64Halves(p + 8, 'sh_flags').lo, offset, size,
      link: table.u32(p + 40), info: table.u32(p + 44), entsize: table.u64n(p + 56, 'sh_entsize'),
    });
  }
  const strtab = raw[shstrndx];
  if (strtab.type !== SHT_STRTAB) table.fail(shoff + shstrndx * SHDR_SIZE, `section name table (section ${shstrndx}) is not SHT_STRTAB`);
  const names = new ByteReader(bytes.subarray(strtab.offset, strtab.offset + strtab.size), order, '.shstrtab');
  const sections: ElfSection[] = raw.map((s, index) => ({
    index,
    name: index === 0 ? '' : names.cstring(s.nameOff, `name of section ${index}`),
    type: s.type,
    flags: s.flags,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    entsize: s.entsize,
    data: s.type === SHT_NOBITS || s.type === SHT_NULL ? new Uint8Array(0) : bytes.subarray(s.offset, s.offset + s.size),
  }));

  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) throw new LoadError(symtabs[1].name, 0, 'more than one symbol table');
  const symbols = symtabs.length ? readSymbols(symtabs[0], sections, order) : [];

  const relocations = new Map<number, ElfRelSection>();
  for (const s of sections) {
    if (s.type === SHT_RELA) throw new LoadError(s.name, 0, 'SHT_RELA relocations are not used by BPF objects (LLVM emits SHT_REL)');
    if (s.type !== SHT_REL) continue;
    if (s.info >= sections.length || s.info === 0) throw new LoadError(s.name, 0, `relocates section ${s.info}, which does not exist (${sections.length} sections)`);
    if (symtabs.length === 0 || s.link !== symtabs[0].index) throw new LoadError(s.name, 0, `its symbol table (section ${s.link}) is not the object's symbol table`);
    if (relocations.has(s.info)) throw new LoadError(s.name, 0, `a second relocation section for section ${sections[s.info].name}`);
    relocations.set(s.info, { section: s, target: sections[s.info], relocations: readRelocations(s, symbols.length, order) });
  }
  return { order, sections, symbols, relocations };
}

function readSymbols(symtab: ElfSection, sections: ElfSection[], order: ByteOrder): ElfSymbol[] {
  const r: ByteReader = new ByteReader(symtab.data, order, symtab.name);
  if (symtab.entsize !== SYM_SIZE) r.fail(0, `symbol size ${symtab.entsize}, want ${SYM_SIZE}`);
  if (symtab.size % SYM_SIZE !== 0) r.fail(0, `symbol table size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
  if (symtab.link >= sections.length || sections[symtab.link].type !== SHT_STRTAB) {
    r.fail(0, `its string table (section ${symtab.link}) is not a string table`);
  }
  const strtab = sections[symtab.link];
  const names = new ByteReader(strtab.data, order, strtab.name);
  const n = symtab.size / SYM_SIZE;
  const out: ElfSymbol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * SYM_SIZE;
    const info = r.u8(p + 4);
    const shndx = r.u16(p + 6);
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.length) {
      r.fail(p + 6, `symbol ${i}: section index ${shndx} out of range (${sections.length} sections)`);
    }
    if (shndx === SHN_XINDEX) r.fail(p + 6, `symbol ${i}: extended section indexes (SHN_XINDEX) are not supported`);
    const nameOff = r.u32(p);
    out[i] = {
      index: i,
      name: nameOff === 0 ? '' : names.cstring(nameOff, `name of symbol ${i}`),
      value: r.u64n(p + 8, 'st_value'),
      size: r.u64n(p + 16, 'st_size'),
      bind: info >> 4,
      type: info & 0xf,
      shndx,
    };
  }
  return out;
}

function readRelocations(s: ElfSection, nsyms: number, order: ByteOrder): ElfRelocation[] {
  const r: ByteReader = new ByteReader(s.data, order, s.name);
  if (s.entsize !== REL_SIZE) r.fail(0, `relocation size ${s.entsize}, want ${REL_SIZE}`);
  if (s.size % REL_SIZE !== 0) r.fail(0, `size ${s.size} is not a multiple of ${REL_SIZE}`);
  const n = s.size / REL_SIZE;
  const out: ElfRelocation[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * REL_SIZE;
    const info = r.u64Halves(p + 8, 'r_info');
    if (info.hi >= nsyms) r.fail(p + 8, `symbol index ${info.hi} out of range (${nsyms} symbols)`);
    out[i] = { offset: r.u64n(p, 'r_offset'), symbol: info.hi, type: info.lo };
  }
  return out;
}
