/** Write a `Btf` back to raw BTF bytes (the layout the kernel's BTF_LOAD takes), in either byte order. */
import type { ByteOrder } from '../internal/bytes.js';
import { EbpfError } from '../internal/errors.js';
import { BTF_MAGIC, BTF_VERSION, kindNumber, type Btf, type BtfType } from './types.js';
import { BTF_HEADER_SIZE } from './parse.js';

/** Builds a deduplicated string table; offset 0 is the empty string. */
export class StringTableBuilder {
  private readonly offsets = new Map<string, number>([['', 0]]);
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly encoder = new TextEncoder();

  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const bytes = this.encoder.encode(s + '\0');
    const off = this.size;
    this.offsets.set(s, off);
    this.chunks.push(bytes);
    this.size += bytes.length;
    return off;
  }

  /** The offset of a string already added. */
  offsetOf(s: string): number | undefined {
    return this.offsets.get(s);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

export interface MarshalledBtf {
  bytes: Uint8Array;
  /** Offsets of every name in the string table, including `extraStrings`. */
  strings: StringTableBuilder;
}

function typeDataSize(t: BtfType): number {
  switch (t.kind) {
    case 'int': case 'var': case 'decl_tag': return 16;
    case 'array': return 24;
    case 'struct': case 'union': return 12 + 12 * t.members.length;
    case 'enum': return 12 + 8 * t.values.length;
    case 'enum64': return 12 + 12 * t.values.length;
    case 'func_proto': return 12 + 8 * t.params.length;
    case 'datasec': return 12 + 12 * t.vars.length;
    default: return 12;
  }
}

function vlenOf(t: BtfType): number {
  switch (t.kind) {
    case 'struct': case 'union': return t.members.length;
    case 'enum': case 'enum64': return t.values.length;
    case 'func_proto': return t.params.length;
    case 'datasec': return t.vars.length;
    case 'func': return t.linkage;
    default: return 0;
  }
}

function kindFlagOf(t: BtfType): boolean {
  switch (t.kind) {
    case 'struct': case 'union': return t.kindFlag;
    case 'enum': case 'enum64': return t.signed;
    case 'fwd': return t.union;
    default: return false;
  }
}

/**
 * Marshal `btf`. `extraStrings` are added to the string table too (file
 * names and source lines of line_info), so a loader can refer to them.
 */
export function marshalBtf(btf: Btf, order: ByteOrder = 'le', extraStrings: Iterable<string> = []): MarshalledBtf {
  const strings = new StringTableBuilder();
  const le = order === 'le';
  let typeLen = 0;
  for (let id = 1; id < btf.types.length; id++) typeLen += typeDataSize(btf.types[id]);
  const typeBytes = new Uint8Array(typeLen);
  const v = new DataView(typeBytes.buffer);
  let off = 0;
  const u32 = (x: number): void => { v.setUint32(off, x >>> 0, le); off += 4; };
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id];
    if (t.kind === 'void') throw new EbpfError('EBTF', `type [${id}] is void: only type 0 may be`);
    const vlen = vlenOf(t);
    if (vlen > 0xffff) throw new EbpfError('EBTF', `type [${id}] has ${vlen} entries, more than BTF's 65535`);
    u32(strings.add(t.name));
    u32(((kindFlagOf(t) ? 1 : 0) << 31) | (kindNumber(t) << 24) | vlen);
    switch (t.kind) {
      case 'int':
        u32(t.size);
        u32((t.encoding << 24) | (t.bitOffset << 16) | t.bits);
        break;
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'func': case 'type_tag':
        u32(t.type);
        break;
      case 'array':
        u32(0);
        u32(t.type);
        u32(t.indexType);
        u32(t.nelems);
        break;
      case 'struct': case 'union':
        u32(t.size);
        for (const m of t.members) {
          u32(strings.add(m.name));
          u32(m.type);
          u32(t.kindFlag ? (m.bitfieldSize << 24) | m.bitOffset : m.bitOffset);
        }
        break;
      case 'enum':
        u32(t.size);
        for (const e of t.values) {
          u32(strings.add(e.name));
          u32(e.value);
        }
        break;
      case 'enum64':
        u32(t.size);
        for (const e of t.values) {
          u32(strings.add(e.name));
          u32(e.valLo32);
          u32(e.valHi32);
        }
        break;
      case 'fwd':
        u32(0);
        break;
      case 'func_proto':
        u32(t.returnType);
        for (const p of t.params) {
          u32(strings.add(p.name));
          u32(p.type);
        }
        break;
      case 'var':
        u32(t.type);
        u32(t.linkage);
        break;
      case 'datasec':
        u32(t.size);
        for (const s of t.vars) {
          u32(s.type);
          u32(s.offset);
          u32(s.size);
        }
        break;
      case 'float':
        u32(t.size);
        break;
      case 'decl_tag':
        u32(t.type);
        u32(t.componentIdx);
        break;
    }
  }
  for (const s of extraStrings) strings.add(s);
  const strBytes = strings.bytes();
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strBytes.length);
  const h = new DataView(out.buffer);
  h.setUint16(0, BTF_MAGIC, le);
  h.setUint8(2, BTF_VERSION);
  h.setUint8(3, 0);
  h.setUint32(4, BTF_HEADER_SIZE, le);
  h.setUint32(8, 0, le);
  h.setUint32(12, typeLen, le);
  h.setUint32(16, typeLen, le);
  h.setUint32(20, strBytes.length, le);
  out.set(typeBytes, BTF_HEADER_SIZE);
  out.set(strBytes, BTF_HEADER_SIZE + typeLen);
  return { bytes: out, strings };
}
