/**
 * BTF types as plain data (include/uapi/linux/btf.h). A `Btf` is the list of
 * its types indexed by type id: `types[0]` is `void`, and every reference to
 * another type is that type's id. Names are resolved strings, so a Btf is
 * JSON-serialisable and independent of any string table; `marshalBtf` builds
 * the table again.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;

/** `BTF_KIND_*` in kind-number order. */
export const BTF_KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17,
  TYPE_TAG: 18, ENUM64: 19,
} as const;

/** `BTF_INT_*` encoding bits. */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** Linkage of a FUNC (`enum btf_func_linkage`) and of a VAR (`BTF_VAR_*`). */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

export interface BtfVoid { kind: 'void'; name: '' }
export interface BtfInt { kind: 'int'; name: string; size: number; encoding: number; bitOffset: number; bits: number }
export interface BtfPtr { kind: 'ptr'; name: string; type: number }
export interface BtfArray { kind: 'array'; name: string; type: number; indexType: number; nelems: number }
export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield in bits, 0 for an ordinary member. */
  bitfieldSize: number;
}
export interface BtfComposite {
  kind: 'struct' | 'union';
  name: string;
  size: number;
  /** BTF's kind_flag: member offsets carry bitfield sizes. */
  kindFlag: boolean;
  members: BtfMember[];
}
export interface BtfEnumValue { name: string; value: number }
export interface BtfEnum { kind: 'enum'; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
/** An ENUM64 value as the kernel stores it: two 32-bit halves (JSON has no 64-bit integers). */
export interface BtfEnum64Value { name: string; valLo32: number; valHi32: number }
export interface BtfEnum64 { kind: 'enum64'; name: string; size: number; signed: boolean; values: BtfEnum64Value[] }
export interface BtfFwd { kind: 'fwd'; name: string; union: boolean }
export interface BtfTypedef { kind: 'typedef'; name: string; type: number }
export interface BtfQualifier { kind: 'volatile' | 'const' | 'restrict'; name: string; type: number }
export interface BtfFunc { kind: 'func'; name: string; type: number; linkage: number }
export interface BtfParam { name: string; type: number }
export interface BtfFuncProto { kind: 'func_proto'; name: string; returnType: number; params: BtfParam[] }
export interface BtfVar { kind: 'var'; name: string; type: number; linkage: number }
export interface BtfVarSecinfo { type: number; offset: number; size: number }
export interface BtfDatasec { kind: 'datasec'; name: string; size: number; vars: BtfVarSecinfo[] }
export interface BtfFloat { kind: 'float'; name: string; size: number }
export interface BtfDeclTag { kind: 'decl_tag'; name: string; type: number; componentIdx: number }
export interface BtfTypeTag { kind: 'type_tag'; name: string; type: number }

export type BtfType =
  | BtfVoid | BtfInt | BtfPtr | BtfArray | BtfComposite | BtfEnum | BtfEnum64 | BtfFwd | BtfTypedef
  | BtfQualifier | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag | BtfTypeTag;

export type BtfKindName = BtfType['kind'];

export interface Btf {
  /** Indexed by type id; `types[0]` is void. */
  types: BtfType[];
}

/** The BTF_KIND_* number of a type. */
export function kindNumber(t: BtfType): number {
  switch (t.kind) {
    case 'void': return BTF_KIND.UNKN;
    case 'int': return BTF_KIND.INT;
    case 'ptr': return BTF_KIND.PTR;
    case 'array': return BTF_KIND.ARRAY;
    case 'struct': return BTF_KIND.STRUCT;
    case 'union': return BTF_KIND.UNION;
    case 'enum': return BTF_KIND.ENUM;
    case 'fwd': return BTF_KIND.FWD;
    case 'typedef': return BTF_KIND.TYPEDEF;
    case 'volatile': return BTF_KIND.VOLATILE;
    case 'const': return BTF_KIND.CONST;
    case 'restrict': return BTF_KIND.RESTRICT;
    case 'func': return BTF_KIND.FUNC;
    case 'func_proto': return BTF_KIND.FUNC_PROTO;
    case 'var': return BTF_KIND.VAR;
    case 'datasec': return BTF_KIND.DATASEC;
    case 'float': return BTF_KIND.FLOAT;
    case 'decl_tag': return BTF_KIND.DECL_TAG;
    case 'type_tag': return BTF_KIND.TYPE_TAG;
    case 'enum64': return BTF_KIND.ENUM64;
  }
}

/** The 64-bit value of an ENUM64 entry, signed when the enum is. */
export function enum64Value(e: BtfEnum64, v: BtfEnum64Value): bigint {
  const u = (BigInt(v.valHi32 >>> 0) << 32n) | BigInt(v.valLo32 >>> 0);
  return e.signed ? BigInt.asIntN(64, u) : u;
}
