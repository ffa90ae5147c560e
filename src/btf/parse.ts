/**
 * Parse raw BTF (`.BTF`, /sys/kernel/btf/vmlinux) of either byte order into
 * a `Btf`. Every bound is checked and every type reference validated, so the
 * queries that follow can walk the graph without further checks.
 */
import type { ByteOrder } from '../internal/bytes.js';
import { LoadError } from '../internal/errors.js';
import { ByteReader, decodeUtf8 } from '../internal/reader.js';
import {
  BTF_KIND, BTF_MAGIC, type Btf, type BtfMember, type BtfType,
} from './types.js';

export const BTF_HEADER_SIZE = 24;
const BTF_TYPE_SIZE = 12;
/** The kernel's limit on type ids (BTF_MAX_TYPE). */
const BTF_MAX_TYPE = 0xfffff;

/** The byte order of BTF or .BTF.ext data, told by its magic; null when the magic is wrong. */
export function btfByteOrder(bytes: Uint8Array): ByteOrder | null {
  if (bytes.length < 2) return null;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) return 'le';
  if (bytes[0] === 0xeb && bytes[1] === 0x9f) return 'be';
  return null;
}

/**
 * A string table: offsets to NUL-terminated strings. An all-ASCII table (the
 * usual case) is decoded once and sliced, which keeps parsing vmlinux fast.
 */
export class StringTable {
  private readonly reader: ByteReader;
  private readonly base: number;
  private readonly size: number;
  /** The whole table as text when it is ASCII, so byte offsets are string offsets. */
  private readonly ascii: string | null;

  constructor(reader: ByteReader, base: number, size: number) {
    this.reader = reader;
    this.base = base;
    this.size = size;
    const bytes = reader.bytes.subarray(base, base + size);
    this.ascii = isAscii(bytes) ? latin1.decode(bytes) : null;
  }

  get(offset: number, where: number, what: string): string {
    if (!(offset < this.size)) {
      this.reader.fail(where, `${what}: string offset ${offset} is outside the string section (${this.size} bytes)`);
    }
    if (this.ascii !== null) {
      const end = this.ascii.indexOf('\0', offset);
      if (end < 0) this.reader.fail(where, `${what}: string at offset ${offset} is not NUL-terminated`);
      return this.ascii.slice(offset, end);
    }
    const start = this.base + offset;
    const end = this.reader.bytes.indexOf(0, start);
    if (end < 0 || end >= this.base + this.size) this.reader.fail(where, `${what}: string at offset ${offset} is not NUL-terminated`);
    return decodeUtf8(this.reader.bytes, start, end);
  }
}

const latin1 = new TextDecoder('latin1');

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

export interface ParsedBtf {
  btf: Btf;
  order: ByteOrder;
  /** The string table, for .BTF.ext records that name strings by offset. */
  strings: StringTable;
}

/** Parse BTF bytes. `section` names the data in errors (`.BTF`, `vmlinux`). */
export function parseBtf(bytes: Uint8Array, section = '.BTF'): ParsedBtf {
  const order = btfByteOrder(bytes);
  if (!order) {
    throw new LoadError(section, 0, bytes.length < 2 ? 'BTF is empty' : `bad BTF magic 0x${toHex16(bytes)} (want 0x${BTF_MAGIC.toString(16)})`);
  }
  const r = new ByteReader(bytes, order, section);
  const version = r.u8(2, 'BTF version');
  if (version !== 1) r.fail(2, `unsupported BTF version ${version}`);
  const hdrLen = r.u32(4, 'BTF header length');
  if (hdrLen < BTF_HEADER_SIZE) r.fail(4, `BTF header length ${hdrLen} is shorter than ${BTF_HEADER_SIZE}`);
  r.check(0, hdrLen, 'BTF header');
  for (let off = BTF_HEADER_SIZE; off < hdrLen; off++) {
    if (bytes[off] !== 0) r.fail(off, 'unknown non-zero byte in the BTF header');
  }
  const typeOff = r.u32(8);
  const typeLen = r.u32(12);
  const strOff = r.u32(16);
  const strLen = r.u32(20);
  const typeStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  r.check(typeStart, typeLen, 'BTF type section');
  r.check(strStart, strLen, 'BTF string section');
  if (typeLen % 4 !== 0) r.fail(12, `BTF type section length ${typeLen} is not a multiple of 4`);
  if (typeStart < strStart + strLen && strStart < typeStart + typeLen) r.fail(8, 'BTF type and string sections overlap');
  if (strLen === 0 || bytes[strStart] !== 0) r.fail(strStart, 'BTF string section must start with an empty string');
  if (bytes[strStart + strLen - 1] !== 0) r.fail(strStart + strLen - 1, 'BTF string section is not NUL-terminated');
  const strings = new StringTable(r, strStart, strLen);
  const types = parseTypes(r, strings, typeStart, typeLen);
  checkReferences(types, section);
  return { btf: { types }, order, strings };
}

function toHex16(bytes: Uint8Array): string {
  return ((bytes[0] << 8) | bytes[1]).toString(16);
}

function truncated(r: ByteReader, where: number, id: number, what: string): never {
  r.fail(where, `type [${id}] (${what}): its data runs past the end of the type section`);
}

function parseTypes(r: ByteReader, strings: StringTable, start: number, len: number): BtfType[] {
  const types: BtfType[] = [{ kind: 'void', name: '' }];
  const v = r.view;
  const le = r.le;
  const end = start + len;
  let off = start;
  while (off < end) {
    if (types.length > BTF_MAX_TYPE) r.fail(off, `more than ${BTF_MAX_TYPE} types`);
    if (off + BTF_TYPE_SIZE > end) r.fail(off, `type [${types.length}] is truncated`);
    const nameOff = v.getUint32(off, le);
    const info = v.getUint32(off + 4, le);
    const sizeOrType = v.getUint32(off + 8, le);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kindFlag = (info >>> 31) === 1;
    const where = off;
    const id = types.length;
    const name = nameOff === 0 ? '' : strings.get(nameOff, where, `type [${id}] name`);
    off += BTF_TYPE_SIZE;
    switch (kind) {
      case BTF_KIND.INT: {
        if (off + 4 > end) truncated(r, where, id, 'int');
        const enc = v.getUint32(off, le);
        off += 4;
        const bits = enc & 0xff;
        const bitOffset = (enc >>> 16) & 0xff;
        if (enc & 0xf000ff00) r.fail(where, `int [${id}] has reserved bits set`);
        if (bits > 128 || bitOffset + bits > sizeOrType * 8) r.fail(where, `int [${id}] has ${bits} bits at offset ${bitOffset} in ${sizeOrType} bytes`);
        types.push({ kind: 'int', name, size: sizeOrType, encoding: (enc >>> 24) & 0x0f, bitOffset, bits });
        break;
      }
      case BTF_KIND.PTR:
        types.push({ kind: 'ptr', name, type: sizeOrType });
        break;
      case BTF_KIND.ARRAY: {
        if (off + 12 > end) truncated(r, where, id, 'array');
        types.push({ kind: 'array', name, type: v.getUint32(off, le), indexType: v.getUint32(off + 4, le), nelems: v.getUint32(off + 8, le) });
        off += 12;
        break;
      }
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION: {
        if (off + vlen * 12 > end) truncated(r, where, id, kind === BTF_KIND.STRUCT ? 'struct' : 'union');
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0; i < vlen; i++, off += 12) {
          const mname = v.getUint32(off, le);
          const moff = v.getUint32(off + 8, le);
          members[i] = {
            name: mname === 0 ? '' : strings.get(mname, off, `type [${id}] member ${i} name`),
            type: v.getUint32(off + 4, le),
            bitOffset: kindFlag ? moff & 0xffffff : moff,
            bitfieldSize: kindFlag ? moff >>> 24 : 0,
          };
        }
        types.push({ kind: kind === BTF_KIND.STRUCT ? 'struct' : 'union', name, size: sizeOrType, kindFlag, members });
        break;
      }
      case BTF_KIND.ENUM: {
        if (off + vlen * 8 > end) truncated(r, where, id, 'enum');
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++, off += 8) {
          const vname = v.getUint32(off, le);
          values[i] = {
            name: vname === 0 ? '' : strings.get(vname, off, `enum [${id}] value ${i} name`),
            value: kindFlag ? v.getInt32(off + 4, le) : v.getUint32(off + 4, le),
          };
        }
        types.push({ kind: 'enum', name, size: sizeOrType, signed: kindFlag, values });
        break;
      }
      case BTF_KIND.ENUM64: {
        if (off + vlen * 12 > end) truncated(r, where, id, 'enum64');
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++, off += 12) {
          const vname = v.getUint32(off, le);
          values[i] = {
            name: vname === 0 ? '' : strings.get(vname, off, `enum64 [${id}] value ${i} name`),
            valLo32: v.getUint32(off + 4, le),
            valHi32: v.getUint32(off + 8, le),
          };
        }
        types.push({ kind: 'enum64', name, size: sizeOrType, signed: kindFlag, values });
        break;
      }
      case BTF_KIND.FWD:
        types.push({ kind: 'fwd', name, union: kindFlag });
        break;
      case BTF_KIND.TYPEDEF:
        types.push({ kind: 'typedef', name, type: sizeOrType });
        break;
      case BTF_KIND.VOLATILE:
        types.push({ kind: 'volatile', name, type: sizeOrType });
        break;
      case BTF_KIND.CONST:
        types.push({ kind: 'const', name, type: sizeOrType });
        break;
      case BTF_KIND.RESTRICT:
        types.push({ kind: 'restrict', name, type: sizeOrType });
        break;
      case BTF_KIND.FUNC:
        types.push({ kind: 'func', name, type: sizeOrType, linkage: vlen });
        break;
      case BTF_KIND.FUNC_PROTO: {
        if (off + vlen * 8 > end) truncated(r, where, id, 'func_proto');
        const params = new Array(vlen);
        for (let i = 0; i < vlen; i++, off += 8) {
          const pname = v.getUint32(off, le);
          params[i] = { name: pname === 0 ? '' : strings.get(pname, off, `func_proto [${id}] param ${i} name`), type: v.getUint32(off + 4, le) };
        }
        types.push({ kind: 'func_proto', name, returnType: sizeOrType, params });
        break;
      }
      case BTF_KIND.VAR:
        if (off + 4 > end) truncated(r, where, id, 'var');
        types.push({ kind: 'var', name, type: sizeOrType, linkage: v.getUint32(off, le) });
        off += 4;
        break;
      case BTF_KIND.DATASEC: {
        if (off + vlen * 12 > end) truncated(r, where, id, 'datasec');
        const vars = new Array(vlen);
        for (let i = 0; i < vlen; i++, off += 12) {
          vars[i] = { type: v.getUint32(off, le), offset: v.getUint32(off + 4, le), size: v.getUint32(off + 8, le) };
        }
        types.push({ kind: 'datasec', name, size: sizeOrType, vars });
        break;
      }
      case BTF_KIND.FLOAT:
        types.push({ kind: 'float', name, size: sizeOrType });
        break;
      case BTF_KIND.DECL_TAG:
        if (off + 4 > end) truncated(r, where, id, 'decl_tag');
        types.push({ kind: 'decl_tag', name, type: sizeOrType, componentIdx: v.getInt32(off, le) });
        off += 4;
        break;
      case BTF_KIND.TYPE_TAG:
        types.push({ kind: 'type_tag', name, type: sizeOrType });
        break;
      default:
        r.fail(where, `type [${id}] has unknown kind ${kind}`);
    }
  }
  return types;
}

/** Every type id a type refers to, with what it is for errors. */
export function typeReferences(t: BtfType): number[] {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'func':
    case 'var': case 'decl_tag': case 'type_tag':
      return [t.type];
    case 'array': return [t.type, t.indexType];
    case 'struct': case 'union': return t.members.map((m) => m.type);
    case 'func_proto': return [t.returnType, ...t.params.map((p) => p.type)];
    case 'datasec': return t.vars.map((v) => v.type);
    default: return [];
  }
}

function checkReferences(types: BtfType[], section: string): void {
  const n = types.length;
  for (let id = 1; id < n; id++) {
    const t = types[id];
    for (const ref of typeReferences(t)) {
      if (ref >= n) throw new LoadError(section, 0, `${t.kind} [${id}] refers to type [${ref}], but there are only ${n} types`);
    }
    if (t.kind === 'func' && types[t.type].kind !== 'func_proto') {
      throw new LoadError(section, 0, `func [${id}] ${t.name}: its type [${t.type}] is a ${types[t.type].kind}, not a func_proto`);
    }
    if (t.kind === 'datasec') {
      for (const v of t.vars) {
        if (types[v.type].kind !== 'var' && types[v.type].kind !== 'func') {
          throw new LoadError(section, 0, `datasec [${id}] ${t.name} holds type [${v.type}], a ${types[v.type].kind}, not a var`);
        }
      }
    }
  }
}
