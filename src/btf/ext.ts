/**
 * `.BTF.ext`: per-section func_info, line_info and CO-RE relocation records
 * (struct btf_ext_header and friends in libbpf's btf.h). Instruction offsets
 * are kept in bytes from the start of the ELF section, as stored; the ELF
 * loader turns them into instruction indexes of each program.
 */
import { LoadError } from '../internal/errors.js';
import { ByteReader } from '../internal/reader.js';
import { btfByteOrder, type StringTable } from './parse.js';

export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

export interface LineInfoRecord {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

/** `enum bpf_core_relo_kind`. */
export const BPF_CORE = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

export const CORE_RELO_KIND_NAMES = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

export interface CoreRelocationRecord {
  insnOff: number;
  /** The root type in the local (the object's) BTF. */
  typeId: number;
  /** The access string: `0:1:2` (indexes of members and array elements). */
  accessStr: string;
  kind: number;
}

export interface BtfExtSection<T> {
  section: string;
  records: T[];
}

export interface BtfExt {
  funcInfo: BtfExtSection<FuncInfoRecord>[];
  lineInfo: BtfExtSection<LineInfoRecord>[];
  coreRelos: BtfExtSection<CoreRelocationRecord>[];
}

const MIN_FUNC_INFO = 8;
const MIN_LINE_INFO = 16;
const MIN_CORE_RELO = 16;

/** Parse `.BTF.ext`; names are looked up in the object's BTF string table. */
export function parseBtfExt(bytes: Uint8Array, strings: StringTable, section = '.BTF.ext'): BtfExt {
  const order = btfByteOrder(bytes);
  if (!order) throw new LoadError(section, 0, 'bad .BTF.ext magic');
  const r = new ByteReader(bytes, order, section);
  const version = r.u8(2, '.BTF.ext version');
  if (version !== 1) r.fail(2, `unsupported .BTF.ext version ${version}`);
  const hdrLen = r.u32(4, '.BTF.ext header length');
  if (hdrLen < 24) r.fail(4, `.BTF.ext header length ${hdrLen} is shorter than 24`);
  r.check(0, hdrLen, '.BTF.ext header');
  const info = <T>(offField: number, min: number, what: string, read: (off: number, where: number) => T): BtfExtSection<T>[] => {
    if (offField + 8 > hdrLen) return [];
    const start = hdrLen + r.u32(offField, `${what} offset`);
    const len = r.u32(offField + 4, `${what} length`);
    if (len === 0) return [];
    r.check(start, len, what);
    return readInfo(r, strings, start, len, min, what, read);
  };
  const funcInfo = info<FuncInfoRecord>(8, MIN_FUNC_INFO, 'func_info', (off) => ({
    insnOff: r.u32(off), typeId: r.u32(off + 4),
  }));
  const lineInfo = info<LineInfoRecord>(16, MIN_LINE_INFO, 'line_info', (off) => {
    const col = r.u32(off + 12);
    return {
      insnOff: r.u32(off),
      fileName: strings.get(r.u32(off + 4), off + 4, 'line_info file name'),
      line: strings.get(r.u32(off + 8), off + 8, 'line_info line'),
      lineNum: col >>> 10,
      lineCol: col & 0x3ff,
    };
  });
  const coreRelos = info<CoreRelocationRecord>(24, MIN_CORE_RELO, 'CO-RE relocations', (off) => ({
    insnOff: r.u32(off),
    typeId: r.u32(off + 4),
    accessStr: strings.get(r.u32(off + 8), off + 8, 'CO-RE access string'),
    kind: r.u32(off + 12),
  }));
  return { funcInfo, lineInfo, coreRelos };
}

function readInfo<T>(
  r: ByteReader, strings: StringTable, start: number, len: number, min: number, what: string,
  read: (off: number, where: number) => T,
): BtfExtSection<T>[] {
  const end = start + len;
  if (len < 4) r.fail(start, `${what}: ${len} bytes is too short for the record size`);
  const recSize = r.u32(start, `${what} record size`);
  if (recSize < min || recSize % 4 !== 0) r.fail(start, `${what}: bad record size ${recSize} (at least ${min}, a multiple of 4)`);
  const out: BtfExtSection<T>[] = [];
  let off = start + 4;
  while (off < end) {
    if (off + 8 > end) r.fail(off, `${what}: truncated section header`);
    const section = strings.get(r.u32(off), off, `${what} section name`);
    const n = r.u32(off + 4);
    off += 8;
    if (n === 0) r.fail(off - 4, `${what} for section ${section} has no records`);
    if (n > (end - off) / recSize) r.fail(off - 4, `${what} for section ${section}: ${n} records of ${recSize} bytes run past the end`);
    const records: T[] = new Array(n);
    for (let i = 0; i < n; i++, off += recSize) records[i] = read(off, off);
    out.push({ section, records });
  }
  return out;
}

/**
 * `struct bpf_func_info` records for BPF_PROG_LOAD (prog_btf_fd,
 * func_info, func_info_rec_size = 8): instruction indexes, not bytes.
 */
export function marshalFuncInfo(records: readonly { insnOff: number; typeId: number }[], order: 'le' | 'be' = 'le'): Uint8Array {
  const out = new Uint8Array(records.length * 8);
  const v = new DataView(out.buffer);
  records.forEach((r, i) => {
    v.setUint32(i * 8, r.insnOff, order === 'le');
    v.setUint32(i * 8 + 4, r.typeId, order === 'le');
  });
  return out;
}

/**
 * `struct bpf_line_info` records for BPF_PROG_LOAD (line_info_rec_size = 16);
 * `stringOffset` gives the offset of a file name or source line in the BTF
 * that is loaded with them (marshalBtf's `strings`, given these as extra strings).
 */
export function marshalLineInfo(
  records: readonly { insnOff: number; fileName: string; line: string; lineNum: number; lineCol: number }[],
  stringOffset: (s: string) => number,
  order: 'le' | 'be' = 'le',
): Uint8Array {
  const out = new Uint8Array(records.length * 16);
  const v = new DataView(out.buffer);
  const le = order === 'le';
  records.forEach((r, i) => {
    v.setUint32(i * 16, r.insnOff, le);
    v.setUint32(i * 16 + 4, stringOffset(r.fileName), le);
    v.setUint32(i * 16 + 8, stringOffset(r.line), le);
    v.setUint32(i * 16 + 12, ((r.lineNum << 10) | (r.lineCol & 0x3ff)) >>> 0, le);
  });
  return out;
}
