/**
 * CO-RE ("compile once, run everywhere") relocation, as libbpf's relo_core.c
 * does it: each record names a root type of the object's BTF and an access
 * string; we find the same-named candidates in a target BTF (ignoring
 * `___flavor` suffixes), match the access path member by member, compute the
 * relocated value (offset, size, existence, signedness, shifts, type ids,
 * enum values) and patch the instruction. A relocation without a matching
 * candidate poisons its instruction with `call 0xbad2310`, as libbpf does, so
 * the verifier rejects it only if it is reachable.
 */
import type { ByteOrder } from '../internal/bytes.js';
import { LoadError } from '../internal/errors.js';
import type { Insn } from '../isa/insn.js';
import {
  BPF_ALU, BPF_ALU64, BPF_B, BPF_CALL, BPF_DW, BPF_H, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W, bpfClass,
} from '../isa/constants.js';
import { BPF_CORE, CORE_RELO_KIND_NAMES } from './ext.js';
import { resolveSize, skipModsAndTypedefs, typeById, WalkBudget } from './query.js';
import { BTF_INT_SIGNED, type Btf, type BtfType } from './types.js';

/** The helper id libbpf writes into a poisoned instruction: 0xbad2310, "bad relo". */
export const CORE_POISON_IMM = 0xbad2310;
const BPF_CORE_SPEC_MAX_LEN = 64;

export interface CoreRelocation {
  /** Index of the instruction (slot) in the program. */
  insn: number;
  typeId: number;
  accessStr: string;
  kind: number;
}

export interface CoreRelocationResult {
  insn: number;
  kind: string;
  /** The root type's name in the object's BTF. */
  typeName: string;
  accessStr: string;
  poisoned: boolean;
  /** The value the compiler wrote (computed from the local BTF). */
  origValue: bigint;
  /** The value written for the target. */
  newValue: bigint;
  /** The matching target type id, when one matched. */
  targetTypeId?: number;
}

/** A target BTF with the index of candidate names CO-RE needs; build once per target. */
export class CoreTarget {
  readonly btf: Btf;
  private index: Map<string, number[]> | undefined;

  constructor(btf: Btf) {
    this.btf = btf;
  }

  /** Ids of target types whose essential name (without `___flavor`) is `name`. */
  candidates(name: string): number[] {
    if (!this.index) {
      this.index = new Map();
      const types = this.btf.types;
      for (let id = 1; id < types.length; id++) {
        const n = types[id].name;
        if (!n) continue;
        const key = n.slice(0, essentialNameLength(n));
        const ids = this.index.get(key);
        if (ids) ids.push(id);
        else this.index.set(key, [id]);
      }
    }
    return this.index.get(name) ?? [];
  }
}

/** Length of `name` without a `___flavor` suffix (libbpf's bpf_core_essential_name_len). */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

const essential = (name: string): string => name.slice(0, essentialNameLength(name));

const isFieldBased = (kind: number): boolean => kind <= BPF_CORE.FIELD_RSHIFT_U64;
const isTypeBased = (kind: number): boolean =>
  kind === BPF_CORE.TYPE_ID_LOCAL || kind === BPF_CORE.TYPE_ID_TARGET || kind === BPF_CORE.TYPE_EXISTS ||
  kind === BPF_CORE.TYPE_SIZE || kind === BPF_CORE.TYPE_MATCHES;
const isEnumvalBased = (kind: number): boolean => kind === BPF_CORE.ENUMVAL_EXISTS || kind === BPF_CORE.ENUMVAL_VALUE;
const isComposite = (t: BtfType): boolean => t.kind === 'struct' || t.kind === 'union';
const isAnyEnum = (t: BtfType): boolean => t.kind === 'enum' || t.kind === 'enum64';
const kindsCompatible = (a: BtfType, b: BtfType): boolean => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));

interface Accessor {
  typeId: number;
  idx: number;
  /** Member or enumerator name; null for an array index. */
  name: string | null;
}

interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  accessors: Accessor[];
  raw: number[];
  bitOffset: number;
}

/** A relocation we cannot apply: the message goes into a LoadError. */
class CoreError extends Error {}

function isFlexArray(btf: Btf, parent: Accessor | undefined, nelems: number): boolean {
  if (!parent || parent.name === null || nelems > 0) return false;
  const t = typeById(btf, parent.typeId);
  return isComposite(t) && parent.idx === (t as { members: unknown[] }).members.length - 1;
}

function sizeOrFail(btf: Btf, id: number): number {
  try {
    return resolveSize(btf, id);
  } catch (e) {
    throw new CoreError(`type [${id}] has no size: ${(e as Error).message}`);
  }
}

/** bpf_core_parse_spec: the local access path. */
function parseSpec(btf: Btf, typeId: number, accessStr: string, kind: number): Spec {
  const spec: Spec = { btf, rootTypeId: typeId, kind, accessors: [], raw: [], bitOffset: 0 };
  if (accessStr === '' || accessStr[0] === ':') throw new CoreError(`bad access string '${accessStr}'`);
  if (isTypeBased(kind)) {
    if (accessStr !== '0') throw new CoreError(`type-based relocation with access string '${accessStr}', want '0'`);
    return spec;
  }
  for (const part of accessStr.split(':')) {
    if (!/^\d+$/.test(part)) throw new CoreError(`bad access string '${accessStr}'`);
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreError(`access string '${accessStr}' is longer than ${BPF_CORE_SPEC_MAX_LEN}`);
    spec.raw.push(Number(part));
  }
  let { id, type: t } = skipModsAndTypedefs(btf, typeId);
  let access = spec.raw[0];
  spec.accessors.push({ typeId: id, idx: access, name: null });
  if (isEnumvalBased(kind)) {
    if (t.kind !== 'enum' && t.kind !== 'enum64') throw new CoreError(`enum relocation on type [${id}], a ${t.kind}`);
    if (spec.raw.length > 1 || access >= t.values.length) throw new CoreError(`enumerator ${access} is out of range`);
    spec.accessors[0].name = t.values[access].name;
    return spec;
  }
  if (!isFieldBased(kind)) throw new CoreError(`unknown relocation kind ${kind}`);
  spec.bitOffset = access * sizeOrFail(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    ({ id, type: t } = skipModsAndTypedefs(btf, id));
    access = spec.raw[i];
    if (t.kind === 'struct' || t.kind === 'union') {
      if (access >= t.members.length) throw new CoreError(`member ${access} of [${id}] ${t.name} is out of range`);
      const m = t.members[access];
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.accessors.push({ typeId: id, idx: access, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      const flex = isFlexArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems);
      ({ id } = skipModsAndTypedefs(btf, t.type));
      if (!flex && access >= t.nelems) throw new CoreError(`index ${access} is out of range of array [${id}]`);
      spec.accessors.push({ typeId: id, idx: access, name: null });
      spec.bitOffset += access * sizeOrFail(btf, id) * 8;
    } else {
      throw new CoreError(`access ${i} of '${accessStr}' reaches type [${id}] of unexpected kind ${t.kind}`);
    }
  }
  return spec;
}

/** bpf_core_fields_are_compat. */
function fieldsCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(local, localId);
    const t = skipModsAndTypedefs(target, targetId);
    if (isComposite(l.type) && isComposite(t.type)) return true;
    if (!kindsCompatible(l.type, t.type)) return false;
    switch (l.type.kind) {
      case 'ptr': case 'float': return true;
      case 'fwd': case 'enum': case 'enum64': {
        const ln = essentialNameLength(l.type.name);
        const tn = essentialNameLength(t.type.name);
        return ln === 0 || tn === 0 || (ln === tn && l.type.name.slice(0, ln) === t.type.name.slice(0, tn));
      }
      case 'int':
        return l.type.bitOffset === 0 && (t.type as { bitOffset: number }).bitOffset === 0;
      case 'array':
        localId = l.type.type;
        targetId = (t.type as { type: number }).type;
        break;
      default:
        return false;
    }
  }
  throw new CoreError('field types nest too deep');
}

const MAX_DEPTH = 32;

/** __bpf_core_types_are_compat: for type-based relocations. */
function typesCompatible(local: Btf, localId: number, target: Btf, targetId: number, level: number, budget: WalkBudget): boolean {
  if (!kindsCompatible(typeById(local, localId), typeById(target, targetId))) return false;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!budget.step()) throw new CoreError('types are too large to compare');
    const l = skipModsAndTypedefs(local, localId);
    const t = skipModsAndTypedefs(target, targetId);
    if (!kindsCompatible(l.type, t.type)) return false;
    switch (l.type.kind) {
      case 'void': case 'struct': case 'union': case 'enum': case 'enum64': case 'fwd':
        return true;
      case 'int':
        return l.type.bitOffset === 0 && (t.type as { bitOffset: number }).bitOffset === 0;
      case 'ptr':
        localId = l.type.type;
        targetId = (t.type as { type: number }).type;
        break;
      case 'array':
        localId = l.type.type;
        targetId = (t.type as { type: number }).type;
        break;
      case 'func_proto': {
        const tp = t.type as typeof l.type;
        if (l.type.params.length !== tp.params.length) return false;
        for (let i = 0; i < l.type.params.length; i++) {
          if (level <= 0) throw new CoreError('function prototypes nest too deep');
          const lp = skipModsAndTypedefs(local, l.type.params[i].type).id;
          const tpp = skipModsAndTypedefs(target, tp.params[i].type).id;
          if (!typesCompatible(local, lp, target, tpp, level - 1, budget)) return false;
        }
        localId = skipModsAndTypedefs(local, l.type.returnType).id;
        targetId = skipModsAndTypedefs(target, tp.returnType).id;
        break;
      }
      default:
        return false;
    }
  }
  throw new CoreError('types nest too deep');
}

function namesMatch(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  const la = essentialNameLength(a);
  const lb = essentialNameLength(b);
  return la === lb && a.slice(0, la) === b.slice(0, lb);
}

/** __bpf_core_types_match: for TYPE_MATCHES, a stricter, layout-aware comparison. */
function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, behindPtr: boolean, level: number, budget: WalkBudget): boolean {
  if (level <= 0) throw new CoreError('types nest too deep');
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!budget.step()) throw new CoreError('types are too large to compare');
    const { type: l } = skipModsAndTypedefs(local, localId);
    const { type: t } = skipModsAndTypedefs(target, targetId);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case 'void':
        return t.kind === 'void';
      case 'fwd':
        if (behindPtr) {
          if (t.kind === 'fwd') return l.union === t.union;
          return (t.kind === 'struct' && !l.union) || (t.kind === 'union' && l.union);
        }
        return t.kind === 'fwd' && l.union === t.union;
      case 'enum': case 'enum64': {
        if (t.kind !== 'enum' && t.kind !== 'enum64') return false;
        if (l.size !== t.size || l.values.length > t.values.length) return false;
        return l.values.every((lv) => t.values.some((tv) => namesMatch(lv.name, tv.name)));
      }
      case 'struct': case 'union':
        if (behindPtr) {
          if (l.kind === t.kind) return true;
          return t.kind === 'fwd' && (l.kind === 'union') === t.union;
        }
        if (l.kind !== t.kind) return false;
        {
          const tm = (t as typeof l).members;
          if (l.members.length > tm.length) return false;
          for (const m of l.members) {
            let matched = false;
            for (const candidate of tm) {
              if (!namesMatch(m.name, candidate.name)) continue;
              if (typesMatch(local, m.type, target, candidate.type, behindPtr, level - 1, budget)) {
                matched = true;
                break;
              }
            }
            if (!matched) return false;
          }
          return true;
        }
      case 'int':
        return t.kind === 'int' && l.size === t.size && (l.encoding & BTF_INT_SIGNED) === (t.encoding & BTF_INT_SIGNED);
      case 'ptr':
        if (t.kind !== 'ptr') return false;
        behindPtr = true;
        localId = l.type;
        targetId = t.type;
        break;
      case 'array':
        if (t.kind !== 'array' || l.nelems !== t.nelems) return false;
        localId = l.type;
        targetId = t.type;
        break;
      case 'func_proto':
        if (t.kind !== 'func_proto' || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesMatch(local, l.params[i].type, target, t.params[i].type, behindPtr, level - 1, budget)) return false;
        }
        localId = l.returnType;
        targetId = t.returnType;
        break;
      default:
        return false;
    }
  }
  throw new CoreError('types nest too deep');
}

/** bpf_core_match_member: find the local member by name in the target, through anonymous members. */
function matchMember(local: Btf, acc: Accessor, target: Btf, targetId: number, spec: Spec, depth: number, budget: WalkBudget): { found: boolean; next: number } {
  if (depth > MAX_DEPTH) throw new CoreError('anonymous members nest too deep');
  if (!budget.step()) throw new CoreError('anonymous members are too many to search');
  const { id: tid, type: t } = skipModsAndTypedefs(target, targetId);
  if (t.kind !== 'struct' && t.kind !== 'union') return { found: false, next: 0 };
  const localType = typeById(local, acc.typeId);
  const localMember = (localType as { members: { name: string; type: number }[] }).members[acc.idx];
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreError('access path is too deep');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const inner = matchMember(local, acc, target, m.type, spec, depth + 1, budget);
      if (inner.found) return inner;
    } else if (m.name === localMember.name) {
      spec.accessors.push({ typeId: tid, idx: i, name: m.name });
      const ok = fieldsCompatible(local, localMember.type, target, m.type);
      if (!ok) spec.accessors.pop();
      return { found: ok, next: m.type };
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/** bpf_core_spec_match: does the target candidate satisfy the local spec? Fills `targ`. */
function specMatch(localSpec: Spec, target: Btf, targetId: number): Spec | null {
  const targ: Spec = { btf: target, rootTypeId: targetId, kind: localSpec.kind, accessors: [], raw: [], bitOffset: 0 };
  const kind = localSpec.kind;
  const budget = new WalkBudget();
  if (isTypeBased(kind)) {
    const ok = kind === BPF_CORE.TYPE_MATCHES
      ? typesMatch(localSpec.btf, localSpec.rootTypeId, target, targetId, false, MAX_DEPTH, budget)
      : typesCompatible(localSpec.btf, localSpec.rootTypeId, target, targetId, MAX_DEPTH, budget);
    return ok ? targ : null;
  }
  const localAcc = localSpec.accessors;
  if (isEnumvalBased(kind)) {
    const { id, type: t } = skipModsAndTypedefs(target, targetId);
    if (t.kind !== 'enum' && t.kind !== 'enum64') return null;
    const want = essential(localAcc[0].name ?? '');
    for (let i = 0; i < t.values.length; i++) {
      if (essential(t.values[i].name) === want) {
        targ.accessors.push({ typeId: id, idx: i, name: t.values[i].name });
        targ.raw.push(i);
        return targ;
      }
    }
    return null;
  }
  let tid = targetId;
  for (let i = 0; i < localAcc.length; i++) {
    const acc = localAcc[i];
    if (acc.name !== null) {
      const m = matchMember(localSpec.btf, acc, target, tid, targ, 0, budget);
      if (!m.found) return null;
      tid = m.next;
    } else {
      if (i > 0) {
        const s = skipModsAndTypedefs(target, tid);
        if (s.type.kind !== 'array') return null;
        const flex = isFlexArray(target, targ.accessors[targ.accessors.length - 1], s.type.nelems);
        if (!flex && acc.idx >= s.type.nelems) return null;
        tid = skipModsAndTypedefs(target, s.type.type).id;
      }
      if (targ.raw.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreError('access path is too deep');
      targ.accessors.push({ typeId: tid, idx: acc.idx, name: null });
      targ.raw.push(acc.idx);
      targ.bitOffset += acc.idx * sizeOrFail(target, tid) * 8;
    }
  }
  return targ;
}

interface RelocValue {
  value: bigint;
  /** Load/store size of the field (FIELD_BYTE_OFFSET of a non-bitfield), 0 otherwise. */
  size: number;
  typeId: number;
  /** Whether the instruction must hold exactly the local value. */
  validate: boolean;
}

const POISON = Symbol('poison');

/** bpf_core_calc_field_relo. */
function fieldRelo(kind: number, spec: Spec | null, order: ByteOrder): RelocValue | typeof POISON {
  if (kind === BPF_CORE.FIELD_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return POISON;
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1];
  if (acc.name === null) {
    if (kind === BPF_CORE.FIELD_BYTE_OFFSET) {
      return { value: BigInt(Math.floor(spec.bitOffset / 8)), size: sizeOrFail(btf, acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (kind === BPF_CORE.FIELD_BYTE_SIZE) return { value: BigInt(sizeOrFail(btf, acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new CoreError(`${CORE_RELO_KIND_NAMES[kind]} cannot be applied to an array access`);
  }
  const t = typeById(btf, acc.typeId) as { members: { type: number; bitfieldSize: number }[] };
  const m = t.members[acc.idx];
  const { id: fieldTypeId, type: mt } = skipModsAndTypedefs(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = (mt as { size?: number }).size ?? 0;
    if (byteSz <= 0) throw new CoreError(`bitfield of type [${fieldTypeId}] has no size`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError('bitfield cannot be read with a 64-bit load');
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = sizeOrFail(btf, fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  switch (kind) {
    case BPF_CORE.FIELD_BYTE_OFFSET:
      return { value: BigInt(byteOff), size: bitfield ? 0 : byteSz, typeId: bitfield ? 0 : fieldTypeId, validate: !bitfield };
    case BPF_CORE.FIELD_BYTE_SIZE:
      return { value: BigInt(byteSz), size: 0, typeId: 0, validate: !bitfield };
    case BPF_CORE.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && (mt as { signed: boolean }).signed) || (mt.kind === 'int' && (mt.encoding & BTF_INT_SIGNED) !== 0);
      return { value: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case BPF_CORE.FIELD_LSHIFT_U64: {
      const v = order === 'le' ? 64 - (bitOff + bitSz - byteOff * 8) : (8 - byteSz) * 8 + (bitOff - byteOff * 8);
      return { value: BigInt(v), size: 0, typeId: 0, validate: !bitfield };
    }
    case BPF_CORE.FIELD_RSHIFT_U64:
      return { value: BigInt(64 - bitSz), size: 0, typeId: 0, validate: true };
    default:
      throw new CoreError(`unknown field relocation kind ${kind}`);
  }
}

/** bpf_core_calc_type_relo. */
function typeRelo(kind: number, spec: Spec | null): RelocValue {
  if (!spec) return { value: 0n, size: 0, typeId: 0, validate: true };
  switch (kind) {
    case BPF_CORE.TYPE_ID_TARGET: case BPF_CORE.TYPE_ID_LOCAL:
      return { value: BigInt(spec.rootTypeId), size: 0, typeId: 0, validate: true };
    case BPF_CORE.TYPE_EXISTS: case BPF_CORE.TYPE_MATCHES:
      return { value: 1n, size: 0, typeId: 0, validate: true };
    case BPF_CORE.TYPE_SIZE:
      return { value: BigInt(sizeOrFail(spec.btf, spec.rootTypeId)), size: 0, typeId: 0, validate: true };
    default:
      throw new CoreError(`unknown type relocation kind ${kind}`);
  }
}

/** bpf_core_calc_enumval_relo. */
function enumRelo(kind: number, spec: Spec | null): RelocValue | typeof POISON {
  if (kind === BPF_CORE.ENUMVAL_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return POISON;
  const acc = spec.accessors[0];
  const t = typeById(spec.btf, acc.typeId);
  if (t.kind === 'enum') return { value: BigInt(t.values[acc.idx].value), size: 0, typeId: 0, validate: true };
  if (t.kind === 'enum64') {
    const v = t.values[acc.idx];
    const u = (BigInt(v.valHi32 >>> 0) << 32n) | BigInt(v.valLo32 >>> 0);
    return { value: t.signed ? BigInt.asIntN(64, u) : u, size: 0, typeId: 0, validate: true };
  }
  throw new CoreError(`enum relocation on a ${t.kind}`);
}

interface Outcome {
  poison: boolean;
  orig: RelocValue;
  /** Absent when poisoned. */
  next?: RelocValue;
  failMemszAdjust: boolean;
  targetTypeId?: number;
}

function calcValue(kind: number, spec: Spec | null, order: ByteOrder): RelocValue | typeof POISON {
  if (isFieldBased(kind)) return fieldRelo(kind, spec, order);
  if (isTypeBased(kind)) return typeRelo(kind, spec);
  if (isEnumvalBased(kind)) return enumRelo(kind, spec);
  throw new CoreError(`unrecognized CO-RE relocation kind ${kind}`);
}

/** bpf_core_calc_relo: local value, target value, and whether a load/store may change width. */
function calcRelo(local: Spec, targ: Spec | null, order: ByteOrder): Outcome {
  const orig = calcValue(local.kind, local, order);
  if (orig === POISON) throw new CoreError('the local type does not resolve');
  const next = calcValue(local.kind, targ, order);
  if (next === POISON) return { poison: true, orig, failMemszAdjust: false };
  let failMemszAdjust = false;
  if (isFieldBased(local.kind) && orig.size !== next.size && targ) {
    const ot = typeById(local.btf, orig.typeId);
    const nt = typeById(targ.btf, next.typeId);
    const unsignedInts = ot.kind === 'int' && nt.kind === 'int' && (ot.encoding & BTF_INT_SIGNED) === 0 && (nt.encoding & BTF_INT_SIGNED) === 0;
    if (!(ot.kind === 'ptr' && nt.kind === 'ptr') && !unsignedInts) failMemszAdjust = true;
  }
  return { poison: false, orig, next, failMemszAdjust, targetTypeId: targ?.rootTypeId };
}

/** bpf_core_calc_relo_insn: pick the one outcome all matching candidates agree on. */
function resolveRelocation(relo: CoreRelocation, local: Btf, target: CoreTarget, order: ByteOrder): Outcome {
  const localSpec = parseSpec(local, relo.typeId, relo.accessStr, relo.kind);
  if (relo.kind === BPF_CORE.TYPE_ID_LOCAL) {
    const v = { value: BigInt(localSpec.rootTypeId), size: 0, typeId: 0, validate: false };
    return { poison: false, orig: v, next: v, failMemszAdjust: false };
  }
  const root = typeById(local, relo.typeId);
  if (root.name === '') throw new CoreError(`relocation against an anonymous ${root.kind} [${relo.typeId}] is not supported`);
  let result: Outcome | undefined;
  let resultSpec: Spec | undefined;
  for (const candId of target.candidates(essential(root.name))) {
    if (!kindsCompatible(target.btf.types[candId], root)) continue;
    const targ = specMatch(localSpec, target.btf, candId);
    if (!targ) continue;
    const outcome = calcRelo(localSpec, targ, order);
    if (!result || !resultSpec) {
      result = outcome;
      resultSpec = targ;
    } else if (targ.bitOffset !== resultSpec.bitOffset) {
      throw new CoreError(`field offset ambiguity: ${resultSpec.bitOffset / 8} != ${targ.bitOffset / 8} (candidates [${resultSpec.rootTypeId}] and [${candId}])`);
    } else if (outcome.poison !== result.poison || (!outcome.poison && outcome.next!.value !== result.next!.value)) {
      throw new CoreError(`relocation decision ambiguity: candidates [${resultSpec.rootTypeId}] and [${candId}] disagree`);
    }
  }
  return result ?? calcRelo(localSpec, null, order);
}

const SIZE_BYTES: Record<number, number> = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4, [BPF_DW]: 8 };
const BYTES_SIZE: Record<number, number> = { 1: BPF_B, 2: BPF_H, 4: BPF_W, 8: BPF_DW };

function poison(insns: Insn[], i: number): void {
  const poisoned = (): Insn => ({ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
  const wasLdImm64 = insns[i].code === (BPF_LD | BPF_DW);
  insns[i] = poisoned();
  if (wasLdImm64 && i + 1 < insns.length) insns[i + 1] = poisoned();
}

/** bpf_core_patch_insn. */
function patchInsn(insns: Insn[], i: number, out: Outcome): boolean {
  const insn = insns[i];
  if (out.poison) {
    poison(insns, i);
    return true;
  }
  const orig = out.orig.value;
  const next = out.next!.value;
  const validate = out.orig.validate;
  const cls = bpfClass(insn.code);
  switch (cls) {
    case BPF_ALU: case BPF_ALU64:
      if ((insn.code & 0x08) !== BPF_K) throw new CoreError(`instruction ${i} (ALU with a register source) cannot take a CO-RE value`);
      if (validate && BigInt(insn.imm) !== orig) throw new CoreError(`instruction ${i} has imm ${insn.imm}, expected ${orig}`);
      insns[i] = { ...insn, imm: Number(BigInt.asIntN(32, next)) };
      return false;
    case BPF_LDX: case BPF_ST: case BPF_STX: {
      if (validate && BigInt(insn.off) !== orig) throw new CoreError(`instruction ${i} has offset ${insn.off}, expected ${orig}`);
      if (next > 0x7fffn) throw new CoreError(`instruction ${i}: offset ${next} does not fit 16 bits`);
      if (out.failMemszAdjust) {
        poison(insns, i);
        return true;
      }
      let code = insn.code;
      if (out.next!.size !== out.orig.size) {
        const width = SIZE_BYTES[insn.code & 0x18];
        if (width !== out.orig.size) throw new CoreError(`instruction ${i} accesses ${width} bytes, expected ${out.orig.size}`);
        const size = BYTES_SIZE[out.next!.size];
        if (size === undefined) throw new CoreError(`instruction ${i}: no load of ${out.next!.size} bytes`);
        code = (insn.code & ~0x18) | size;
      }
      insns[i] = { ...insn, code, off: Number(next) };
      return false;
    }
    case BPF_LD: {
      const hi = insns[i + 1];
      if (insn.code !== (BPF_LD | BPF_DW) || insn.src !== 0 || insn.off !== 0 || !hi || hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) {
        throw new CoreError(`instruction ${i} (lddw) has an unexpected form`);
      }
      const imm = (BigInt(hi.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      if (validate && imm !== BigInt.asUintN(64, orig)) throw new CoreError(`instruction ${i} loads ${imm}, expected ${orig}`);
      const v = BigInt.asUintN(64, next);
      insns[i] = { ...insn, imm: Number(BigInt.asIntN(32, v)) };
      insns[i + 1] = { ...hi, imm: Number(BigInt.asIntN(32, v >> 32n)) };
      return false;
    }
    default:
      throw new CoreError(`instruction ${i} (opcode 0x${insn.code.toString(16)}) cannot be relocated`);
  }
}

export interface RelocateCoreOptions {
  /** Byte order of the object: bitfield shifts depend on it. */
  order: ByteOrder;
  /** Names the program's section in errors. */
  section: string;
}

/**
 * Apply CO-RE relocations to a copy of `insns`. Returns the patched
 * instructions and one result per relocation. A relocation that cannot be
 * computed (bad access string, ambiguous candidates, an instruction of the
 * wrong form) is a LoadError naming the section and the instruction offset.
 */
export function relocateCore(
  insns: readonly Insn[], relos: readonly CoreRelocation[], local: Btf, target: CoreTarget, options: RelocateCoreOptions,
): { insns: Insn[]; results: CoreRelocationResult[] } {
  const out = insns.slice();
  const results: CoreRelocationResult[] = [];
  relos.forEach((relo, n) => {
    try {
      if (relo.insn < 0 || relo.insn >= out.length) throw new CoreError(`instruction ${relo.insn} is outside the program (${out.length} instructions)`);
      const outcome = resolveRelocation(relo, local, target, options.order);
      const poisoned = patchInsn(out, relo.insn, outcome);
      results.push({
        insn: relo.insn,
        kind: CORE_RELO_KIND_NAMES[relo.kind] ?? String(relo.kind),
        typeName: local.types[relo.typeId]?.name ?? '',
        accessStr: relo.accessStr,
        poisoned,
        origValue: outcome.orig.value,
        newValue: poisoned ? 0n : outcome.next!.value,
        ...(outcome.targetTypeId !== undefined && !poisoned ? { targetTypeId: outcome.targetTypeId } : {}),
      });
    } catch (e) {
      if (e instanceof CoreError || e instanceof LoadError) {
        const reason = e instanceof LoadError ? e.reason : e.message;
        const kind = CORE_RELO_KIND_NAMES[relo.kind] ?? `kind ${relo.kind}`;
        throw new LoadError(options.section, relo.insn * 8, `CO-RE relocation #${n} (${kind} of [${relo.typeId}] '${relo.accessStr}'): ${reason}`, { cause: e });
      }
      throw e;
    }
  });
  return { insns: out, results };
}
