/**
 * Maps an object defines: BTF-defined maps in `.maps` (libbpf's
 * parse_btf_map_def), legacy `struct bpf_map_def` in `maps`, global data
 * sections as single-entry arrays, and `.kconfig` externs.
 */
import { LoadError } from '../internal/errors.js';
import { ByteReader } from '../internal/reader.js';
import { alignOf, resolveSize, skipModsAndTypedefs, typeById } from '../btf/query.js';
import { BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_STATIC, type Btf, type BtfComposite, type BtfDatasec } from '../btf/types.js';
import { BPF_MAP_TYPE } from '../platform/uapi.js';
import { R_BPF_64_ABS64, SHF_EXECINSTR, SHT_NOBITS, SHT_PROGBITS, STT_FUNC, STT_SECTION, type ElfSection } from './elf.js';
import { definitionKey, sectionByName, type LoadContext } from './context.js';
import {
  BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, LIBBPF_PIN_BY_NAME, LIBBPF_PIN_NONE, type MapSpec,
} from './spec.js';

const BPF_MAP_DEF_SIZE = 20;
/** A bound on a global data section, far above any map value the kernel accepts (KMALLOC_MAX_SIZE). */
const MAX_DATA_SECTION = 1 << 26;

function emptyMap(name: string, origin: MapSpec['origin'], section: string): MapSpec {
  return {
    name, origin, section, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0,
    pinning: LIBBPF_PIN_NONE, btfKeyTypeId: 0, btfValueTypeId: 0, initSlots: [], frozen: false,
  };
}

export function findDatasec(btf: Btf | null, name: string): { id: number; type: BtfDatasec } | undefined {
  if (!btf) return undefined;
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id];
    if (t.kind === 'datasec' && t.name === name) return { id, type: t };
  }
  return undefined;
}

/** The legacy `maps` section: one `struct bpf_map_def` per symbol. */
export function loadLegacyMaps(ctx: LoadContext): void {
  const sec = sectionByName(ctx, 'maps');
  if (!sec || sec.size === 0) return;
  const r: ByteReader = new ByteReader(sec.data, ctx.order, sec.name);
  if (sec.type === SHT_NOBITS) r.fail(0, 'legacy maps section has no contents (SHT_NOBITS)');
  const syms = ctx.elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) r.fail(0, 'legacy maps section has no map symbols');
  const evenSize = Math.floor(sec.size / syms.length);
  for (const sym of syms) {
    const size = sym.size || evenSize;
    if (size < BPF_MAP_DEF_SIZE) r.fail(sym.value, `map ${sym.name}: definition of ${size} bytes is smaller than struct bpf_map_def (${BPF_MAP_DEF_SIZE})`);
    r.check(sym.value, size, `map ${sym.name} definition`);
    for (let off = sym.value + BPF_MAP_DEF_SIZE; off < sym.value + size; off++) {
      if (sec.data[off] !== 0) r.fail(off, `map ${sym.name}: unrecognized non-zero bytes after struct bpf_map_def`);
    }
    const m = emptyMap(sym.name, 'legacy', sec.name);
    m.type = r.u32(sym.value);
    m.keySize = r.u32(sym.value + 4);
    m.valueSize = r.u32(sym.value + 8);
    m.maxEntries = r.u32(sym.value + 12);
    m.flags = r.u32(sym.value + 16);
    addMap(ctx, m, definitionKey(sec.index, sym.value), r, sym.value);
  }
}

function addMap(ctx: LoadContext, m: MapSpec, key: string | null, r: ByteReader, offset: number): number {
  if (ctx.maps.some((other) => other.name === m.name)) r.fail(offset, `a second map named ${m.name}`);
  const index = ctx.maps.length;
  ctx.maps.push(m);
  if (key !== null) ctx.mapByDefinition.set(key, index);
  return index;
}

const isMapInMap = (type: number): boolean => type === BPF_MAP_TYPE.ARRAY_OF_MAPS || type === BPF_MAP_TYPE.HASH_OF_MAPS;

/** `__uint(name, N)` is `int (*name)[N]`: the number is the array's length. */
function mapFieldInt(btf: Btf, mapName: string, field: string, typeId: number, fail: (reason: string) => never): number {
  const { type: t } = skipModsAndTypedefs(btf, typeId);
  if (t.kind !== 'ptr') fail(`map ${mapName}: attribute ${field} should be a pointer to an array (__uint), got ${t.kind}`);
  const arr = typeById(btf, t.type);
  if (arr.kind !== 'array') fail(`map ${mapName}: attribute ${field} should point to an array (__uint), got ${arr.kind}`);
  return arr.nelems;
}

/** `map_extra` may also be `__ulong(name, N)`: a pointer to an enum whose one value is N. */
function mapFieldLong(btf: Btf, mapName: string, field: string, typeId: number, fail: (reason: string) => never): number {
  const { type: t } = skipModsAndTypedefs(btf, typeId);
  if (t.kind === 'ptr') {
    const target = typeById(btf, t.type);
    if (target.kind === 'enum' && target.values.length === 1) return target.values[0].value >>> 0;
    if (target.kind === 'enum64' && target.values.length === 1) {
      const v = target.values[0];
      const n = v.valHi32 * 2 ** 32 + (v.valLo32 >>> 0);
      if (!Number.isSafeInteger(n)) fail(`map ${mapName}: ${field} ${n} is too large`);
      return n;
    }
  }
  return mapFieldInt(btf, mapName, field, typeId, fail);
}

/** parse_btf_map_def: the struct of a `.maps` variable. `inner` is true for a map-in-map's `values` template. */
function parseBtfMapDef(
  btf: Btf, name: string, def: BtfComposite, inner: boolean, origin: MapSpec['origin'], section: string,
  fail: (reason: string) => never,
): MapSpec {
  const m = emptyMap(name, origin, section);
  let keyType = 0;
  let valueType = 0;
  def.members.forEach((member, i) => {
    const field = member.name;
    if (!field) fail(`map ${name}: member ${i} has no name`);
    const int = (): number => mapFieldInt(btf, name, field, member.type, fail);
    switch (field) {
      case 'type': m.type = int(); break;
      case 'max_entries': m.maxEntries = int(); break;
      case 'map_flags': m.flags = int(); break;
      case 'numa_node': m.numaNode = int(); break;
      case 'map_extra': m.mapExtra = mapFieldLong(btf, name, field, member.type, fail); break;
      case 'key_size': case 'value_size': {
        const size = int();
        const prev = field === 'key_size' ? m.keySize : m.valueSize;
        if (prev && prev !== size) fail(`map ${name}: conflicting ${field} ${prev} != ${size}`);
        if (field === 'key_size') m.keySize = size;
        else m.valueSize = size;
        break;
      }
      case 'key': case 'value': {
        const { type: t } = skipModsAndTypedefs(btf, member.type);
        if (t.kind !== 'ptr') fail(`map ${name}: ${field} should be a pointer (__type), got ${t.kind}`);
        const size = resolveSize(btf, t.type);
        const prev = field === 'key' ? m.keySize : m.valueSize;
        if (prev && prev !== size) fail(`map ${name}: conflicting ${field} size ${prev} != ${size}`);
        if (field === 'key') {
          m.keySize = size;
          keyType = t.type;
        } else {
          m.valueSize = size;
          valueType = t.type;
        }
        break;
      }
      case 'pinning': {
        const pinning = int();
        if (pinning !== LIBBPF_PIN_NONE && pinning !== LIBBPF_PIN_BY_NAME) fail(`map ${name}: invalid pinning value ${pinning}`);
        m.pinning = pinning;
        break;
      }
      case 'values': {
        if (inner) fail(`map ${name}: multi-level inner maps are not supported`);
        if (i !== def.members.length - 1) fail(`map ${name}: 'values' must be the last member`);
        const isProgArray = m.type === BPF_MAP_TYPE.PROG_ARRAY;
        if (!isMapInMap(m.type) && !isProgArray) fail(`map ${name}: 'values' needs a map-in-map or prog array type`);
        if (m.valueSize && m.valueSize !== 4) fail(`map ${name}: conflicting value size ${m.valueSize} != 4`);
        m.valueSize = 4;
        const arr = typeById(btf, member.type);
        if (arr.kind !== 'array' || arr.nelems !== 0) fail(`map ${name}: 'values' should be an array with no size (__array)`);
        const ptr = skipModsAndTypedefs(btf, arr.type).type;
        if (ptr.kind !== 'ptr') fail(`map ${name}: 'values' elements should be pointers, got ${ptr.kind}`);
        const target = skipModsAndTypedefs(btf, ptr.type).type;
        if (isProgArray) {
          if (target.kind !== 'func_proto') fail(`map ${name}: prog array values should point to functions, got ${target.kind}`);
          break;
        }
        if (target.kind !== 'struct') fail(`map ${name}: the inner map definition should be a struct, got ${target.kind}`);
        m.innerMap = parseBtfMapDef(btf, `${name}.inner`, target, true, origin, section, fail);
        break;
      }
      default:
        fail(`map ${name}: unknown field '${field}'`);
    }
  });
  if (m.type === 0) fail(`map ${name}: map type is not specified`);
  m.btfKeyTypeId = keyType;
  m.btfValueTypeId = valueType;
  return m;
}

/** BTF-defined maps: the variables of the `.maps` DATASEC. */
export function loadBtfMaps(ctx: LoadContext): void {
  const sec = sectionByName(ctx, '.maps');
  if (!sec) return;
  const r: ByteReader = new ByteReader(sec.data, ctx.order, sec.name);
  const btf = ctx.btf;
  if (!btf) r.fail(0, "'.maps' needs the object's BTF, and there is no .BTF section");
  const datasec = findDatasec(btf, '.maps');
  if (!datasec) {
    if (sec.size === 0) return;
    r.fail(0, "BTF has no DATASEC '.maps'");
  }
  for (const vi of datasec.type.vars) {
    const v = typeById(btf, vi.type);
    const fail: (reason: string) => never = (reason) => r.fail(vi.offset, reason);
    if (v.kind !== 'var') fail(`DATASEC '.maps' holds a ${v.kind}, not a variable`);
    const name = v.name;
    if (!name) fail('map variable has no name');
    if (v.linkage !== BTF_VAR_GLOBAL_ALLOCATED && v.linkage !== BTF_VAR_STATIC) fail(`map ${name}: unsupported linkage ${v.linkage}`);
    const def = skipModsAndTypedefs(btf, v.type).type;
    if (def.kind !== 'struct') fail(`map ${name}: definition should be a struct, got ${def.kind}`);
    if (vi.offset + vi.size > sec.size) fail(`map ${name}: definition (${vi.size} bytes at ${vi.offset}) is outside the section (${sec.size} bytes)`);
    const m = parseBtfMapDef(btf, name, def, false, 'btf', sec.name, fail);
    addMap(ctx, m, definitionKey(sec.index, vi.offset), r, vi.offset);
  }
}

/** Whether a section holds global data libbpf turns into a map. */
export function isDataSection(s: ElfSection): boolean {
  if (s.flags & SHF_EXECINSTR || s.size === 0) return false;
  const is = (prefix: string): boolean => s.name === prefix || s.name.startsWith(prefix + '.');
  if (s.type === SHT_PROGBITS) return is('.data') || is('.rodata');
  if (s.type === SHT_NOBITS) return is('.bss');
  return false;
}

/** libbpf makes a data map mmapable when its DATASEC has a non-static variable. */
function hasNonStaticVar(btf: Btf | null, datasec: BtfDatasec | undefined): boolean {
  if (!btf || !datasec) return false;
  return datasec.vars.some((vi) => {
    const v = btf.types[vi.type];
    return v.kind === 'var' && v.linkage !== BTF_VAR_STATIC;
  });
}

/** `.data`, `.rodata`, `.bss` and their `.name` variants: one-entry arrays holding the section. */
export function loadDataSections(ctx: LoadContext): void {
  for (const sec of ctx.elf.sections) {
    if (!isDataSection(sec)) continue;
    if (sec.size > MAX_DATA_SECTION) {
      throw new LoadError(sec.name, 0, `${sec.size} bytes of global data is more than a map value can hold (${MAX_DATA_SECTION})`);
    }
    const readonly = sec.name === '.rodata' || sec.name.startsWith('.rodata.');
    const datasec = findDatasec(ctx.btf, sec.name);
    const m = emptyMap(sec.name, 'data', sec.name);
    m.type = BPF_MAP_TYPE.ARRAY;
    m.keySize = 4;
    m.valueSize = sec.size;
    m.maxEntries = 1;
    m.flags = (readonly ? BPF_F_RDONLY_PROG : 0) | (hasNonStaticVar(ctx.btf, datasec?.type) ? BPF_F_MMAPABLE : 0);
    m.btfValueTypeId = datasec?.id ?? 0;
    m.data = sec.type === SHT_NOBITS ? new Uint8Array(sec.size) : sec.data.slice();
    m.frozen = readonly;
    const index = addMap(ctx, m, null, new ByteReader(sec.data, ctx.order, sec.name), 0);
    ctx.dataMapBySection.set(sec.index, index);
  }
}

/**
 * `.kconfig` externs (`extern int CONFIG_HZ __kconfig;`): laid out as libbpf
 * does (by alignment, then size, then name) in one read-only array. Their
 * values depend on the kernel, so the spec holds zeros; a loader fills them.
 */
export function loadKconfig(ctx: LoadContext): void {
  const btf = ctx.btf;
  const datasec = findDatasec(btf, '.kconfig');
  if (!btf || !datasec) return;
  const fail: (reason: string) => never = (reason) => { throw new LoadError('.BTF', 0, `DATASEC .kconfig: ${reason}`); };
  const externs = datasec.type.vars.map((vi) => {
    const v = typeById(btf, vi.type);
    if (v.kind !== 'var') fail(`holds a ${v.kind}, not a variable`);
    return { vi, name: v.name, size: resolveSize(btf, v.type), align: Math.max(1, alignOf(btf, v.type)) };
  });
  if (externs.length === 0) return;
  externs.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const offsets = new Map<string, number>();
  let off = 0;
  for (const e of externs) {
    off = Math.ceil(off / e.align) * e.align;
    e.vi.offset = off;
    e.vi.size = e.size;
    offsets.set(e.name, off);
    off += e.size;
  }
  datasec.type.vars.sort((a, b) => a.offset - b.offset);
  datasec.type.size = off;
  const m = emptyMap('.kconfig', 'kconfig', '.kconfig');
  m.type = BPF_MAP_TYPE.ARRAY;
  m.keySize = 4;
  m.valueSize = off;
  m.maxEntries = 1;
  m.flags = BPF_F_RDONLY_PROG | (hasNonStaticVar(btf, datasec.type) ? BPF_F_MMAPABLE : 0);
  m.btfValueTypeId = datasec.id;
  m.data = new Uint8Array(off);
  m.frozen = true;
  const index = addMap(ctx, m, null, new ByteReader(new Uint8Array(0), ctx.order, '.kconfig'), 0);
  ctx.kconfig = { mapIndex: index, offsets };
}

/**
 * `.rel.maps`: the initial values of outer maps and prog arrays
 * (`.values = { [0] = &inner_map }`), R_BPF_64_ABS64 relocations against
 * the `values` slots. Needs the programs (a prog array names them).
 */
export function loadMapInitialValues(ctx: LoadContext, isProgram: (section: number, offset: number, name: string) => boolean): void {
  const sec = sectionByName(ctx, '.maps');
  if (!sec) return;
  const rel = ctx.elf.relocations.get(sec.index);
  if (!rel) return;
  const r: ByteReader = new ByteReader(sec.data, ctx.order, sec.name);
  const btf = ctx.btf;
  const datasec = findDatasec(btf, '.maps');
  if (!btf || !datasec) r.fail(0, "relocations in '.maps' without BTF maps");
  for (const reloc of rel.relocations) {
    const fail: (reason: string) => never = (reason) => r.fail(reloc.offset, reason);
    if (reloc.type !== R_BPF_64_ABS64) fail(`relocation type ${reloc.type} in '.maps' (only R_BPF_64_ABS64 fills map values)`);
    const vi = datasec.type.vars.find((v) => v.offset <= reloc.offset && reloc.offset + 8 <= v.offset + v.size);
    if (!vi) fail('relocation is not inside any map definition');
    const index = ctx.mapByDefinition.get(definitionKey(sec.index, vi.offset));
    if (index === undefined) fail('relocation is not inside any map definition');
    const m = ctx.maps[index];
    const sym = ctx.elf.symbols[reloc.symbol];
    const v = typeById(btf, vi.type) as { type: number };
    const def = skipModsAndTypedefs(btf, v.type).type as BtfComposite;
    const last = def.members[def.members.length - 1];
    if (!last || last.name !== 'values') fail(`map ${m.name}: relocation outside its 'values' member`);
    const valuesOff = last.bitOffset / 8;
    const slotOff = reloc.offset - vi.offset - valuesOff;
    if (slotOff < 0 || slotOff % 8 !== 0) fail(`map ${m.name}: relocation at a misaligned 'values' slot`);
    const slot = slotOff / 8;
    if (slot >= m.maxEntries) fail(`map ${m.name}: initial value for slot ${slot}, but max_entries is ${m.maxEntries}`);
    const addend = r.u64(reloc.offset, 'relocation addend');
    if (addend !== 0n) fail(`map ${m.name}: slot ${slot} points ${addend} bytes past its target`);
    if (isMapInMap(m.type)) {
      if (sym.shndx !== sec.index) fail(`map ${m.name}: slot ${slot} refers to ${sym.name || 'a symbol'} outside '.maps'`);
      const target = ctx.mapByDefinition.get(definitionKey(sec.index, sym.value));
      if (target === undefined || ctx.maps[target].name !== sym.name) fail(`map ${m.name}: slot ${slot} refers to ${sym.name}, which is not a map`);
    } else if (m.type === BPF_MAP_TYPE.PROG_ARRAY) {
      if (sym.type !== STT_FUNC || !isProgram(sym.shndx, sym.value, sym.name)) fail(`map ${m.name}: slot ${slot} refers to ${sym.name}, which is not a program`);
    } else {
      fail(`map ${m.name}: initial values need a map-in-map or prog array`);
    }
    m.initSlots = m.initSlots.filter((s) => s.index !== slot);
    m.initSlots.push({ index: slot, name: sym.name });
    m.initSlots.sort((a, b) => a.index - b.index);
  }
}
