/**
 * Questions about a `Btf`: lookup by name, sizeof, alignment, member offsets
 * (bitfields included), and C-like names for display. Walks are bounded, so
 * a malformed graph (a typedef loop) is an error, never a hang.
 */
import { LoadError } from '../internal/errors.js';
import type { Btf, BtfComposite, BtfKindName, BtfMember, BtfType } from './types.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED } from './types.js';

/** The kernel's limit on chains of modifiers and typedefs (MAX_RESOLVE_DEPTH). */
export const MAX_RESOLVE_DEPTH = 32;
/** Pointers are 64 bits wide on BPF. */
const BPF_PTR_SIZE = 8;

function fail(reason: string): never {
  throw new LoadError('.BTF', 0, reason);
}

/**
 * A bound on the type nodes one walk may visit. Depth limits alone do not
 * stop a hostile BTF whose members fan out to the same types at every level
 * (exponential work); a budget does.
 */
export class WalkBudget {
  private left: number;

  constructor(steps = 100_000) {
    this.left = steps;
  }

  /** Count one step; false once the budget is spent. */
  step(): boolean {
    return --this.left >= 0;
  }

  /** Count one step, or fail. */
  take(what: string): void {
    if (!this.step()) fail(`${what}: the type graph is too large to walk`);
  }
}

export function typeById(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (t === undefined) fail(`type id ${id} is out of range (${btf.types.length} types)`);
  return t;
}

/** A typedef or a qualifier (const, volatile, restrict, type tag): a name for the type it refers to. */
export const isModifier = (t: BtfType): t is Extract<BtfType, { kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag' }> =>
  t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag';

/** Follow typedefs and qualifiers (const, volatile, restrict, type tags) to the type they name. */
export function skipModsAndTypedefs(btf: Btf, id: number): { id: number; type: BtfType } {
  let t = typeById(btf, id);
  for (let depth = 0; isModifier(t); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) fail(`type [${id}]: more than ${MAX_RESOLVE_DEPTH} typedefs and qualifiers in a row (a loop?)`);
    id = t.type;
    t = typeById(btf, id);
  }
  return { id, type: t };
}

/** Like skipModsAndTypedefs, but keeps typedefs (only qualifiers are dropped). */
export function skipMods(btf: Btf, id: number): { id: number; type: BtfType } {
  let t = typeById(btf, id);
  for (let depth = 0; t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag'; depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) fail(`type [${id}]: more than ${MAX_RESOLVE_DEPTH} qualifiers in a row (a loop?)`);
    id = t.type;
    t = typeById(btf, id);
  }
  return { id, type: t };
}

/** The size in bytes of a value of the type (libbpf's btf__resolve_size). */
export function resolveSize(btf: Btf, id: number): number {
  let nelems = 1;
  let t = typeById(btf, id);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_RESOLVE_DEPTH) fail(`type [${id}]: size does not resolve within ${MAX_RESOLVE_DEPTH} steps (a loop?)`);
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float': {
        const size = t.size * nelems;
        if (size > 0xffffffff) fail(`type [${id}]: size ${size} overflows 32 bits`);
        return size;
      }
      case 'ptr': {
        const size = BPF_PTR_SIZE * nelems;
        if (size > 0xffffffff) fail(`type [${id}]: size ${size} overflows 32 bits`);
        return size;
      }
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'var': case 'decl_tag': case 'type_tag':
        t = typeById(btf, t.type);
        break;
      case 'array':
        nelems *= t.nelems;
        if (nelems > 0xffffffff) fail(`type [${id}]: array of ${nelems} elements overflows 32 bits`);
        t = typeById(btf, t.type);
        break;
      default:
        fail(`type [${id}] (${t.kind}) has no size`);
    }
  }
}

/** The alignment in bytes of the type (libbpf's btf__align_of). */
export function alignOf(btf: Btf, id: number, depth = 0, budget = new WalkBudget()): number {
  if (depth > MAX_RESOLVE_DEPTH) fail(`type [${id}]: alignment does not resolve within ${MAX_RESOLVE_DEPTH} steps`);
  budget.take(`alignment of type [${id}]`);
  const t = typeById(btf, id);
  switch (t.kind) {
    case 'int': case 'enum': case 'enum64': case 'float':
      return Math.min(BPF_PTR_SIZE, t.size);
    case 'ptr':
      return BPF_PTR_SIZE;
    case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'var':
      return alignOf(btf, t.type, depth + 1, budget);
    case 'array':
      return alignOf(btf, t.type, depth + 1, budget);
    case 'struct': case 'union': {
      let maxAlign = 1;
      for (const m of t.members) {
        const align = alignOf(btf, m.type, depth + 1, budget);
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return 1;
        maxAlign = Math.max(maxAlign, align);
      }
      return t.size % maxAlign === 0 ? maxAlign : 1;
    }
    default:
      fail(`type [${id}] (${t.kind}) has no alignment`);
  }
}

/** Ids of the types with exactly this name, optionally of one kind. */
export function findTypesByName(btf: Btf, name: string, kind?: BtfKindName): number[] {
  const out: number[] = [];
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id];
    if (t.name === name && (kind === undefined || t.kind === kind)) out.push(id);
  }
  return out;
}

/** The id of the one type with this name (and kind); undefined when there is none. */
export function typeByName(btf: Btf, name: string, kind?: BtfKindName): number | undefined {
  return findTypesByName(btf, name, kind)[0];
}

/** Names → ids, for many lookups in one large BTF (vmlinux). */
export function indexByName(btf: Btf): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let id = 1; id < btf.types.length; id++) {
    const name = btf.types[id].name;
    if (!name) continue;
    const ids = index.get(name);
    if (ids) ids.push(id);
    else index.set(name, [id]);
  }
  return index;
}

export interface FieldLocation {
  /** Offset from the start of the outer type, in bits. */
  bitOffset: number;
  /** Bitfield width, 0 for an ordinary member. */
  bitfieldSize: number;
  /** The member's type id. */
  type: number;
}

/**
 * Where a member is, by a dotted path (`a.b.c`) from a struct or union; anonymous
 * members are searched through, as C does. Undefined when there is no such member.
 */
export function memberOffset(btf: Btf, id: number, path: string): FieldLocation | undefined {
  let loc: FieldLocation = { bitOffset: 0, bitfieldSize: 0, type: id };
  for (const name of path.split('.')) {
    const { type } = skipModsAndTypedefs(btf, loc.type);
    if (type.kind !== 'struct' && type.kind !== 'union') return undefined;
    const found = findMember(btf, type, name, 0, new WalkBudget());
    if (!found) return undefined;
    loc = { bitOffset: loc.bitOffset + found.bitOffset, bitfieldSize: found.member.bitfieldSize, type: found.member.type };
  }
  return loc;
}

function findMember(btf: Btf, t: BtfComposite, name: string, depth: number, budget: WalkBudget): { member: BtfMember; bitOffset: number } | undefined {
  if (depth > MAX_RESOLVE_DEPTH) fail(`struct ${t.name}: anonymous members nest deeper than ${MAX_RESOLVE_DEPTH}`);
  budget.take(`members of struct ${t.name}`);
  for (const m of t.members) {
    if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    if (m.name === '') {
      const inner = skipModsAndTypedefs(btf, m.type).type;
      if (inner.kind === 'struct' || inner.kind === 'union') {
        const found = findMember(btf, inner, name, depth + 1, budget);
        if (found) return { member: found.member, bitOffset: m.bitOffset + found.bitOffset };
      }
    }
  }
  return undefined;
}

/** A C-like spelling of the type, for listings: `struct foo`, `unsigned int`, `char[16]`, `u64 *`. */
export function typeName(btf: Btf, id: number, depth = 0, budget = new WalkBudget(256)): string {
  if (depth > MAX_RESOLVE_DEPTH || !budget.step()) return '...';
  const t = btf.types[id];
  if (t === undefined) return `<bad type ${id}>`;
  switch (t.kind) {
    case 'void': return 'void';
    case 'int': case 'float': case 'typedef': return t.name;
    case 'struct': case 'union': return `${t.kind} ${t.name || '(anon)'}`;
    case 'enum': case 'enum64': return `enum ${t.name || '(anon)'}`;
    case 'fwd': return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'ptr': return `${typeName(btf, t.type, depth + 1, budget)} *`;
    case 'array': return `${typeName(btf, t.type, depth + 1, budget)}[${t.nelems}]`;
    case 'volatile': case 'const': case 'restrict': return `${t.kind} ${typeName(btf, t.type, depth + 1, budget)}`;
    case 'type_tag': return typeName(btf, t.type, depth + 1, budget);
    case 'func': case 'var': case 'datasec': case 'decl_tag': return t.name;
    case 'func_proto': return `${typeName(btf, t.returnType, depth + 1, budget)} (${t.params.map((p) => typeName(btf, p.type, depth + 1, budget)).join(', ')})`;
  }
}

/** Whether an int type is signed, a char or a bool. */
export function intEncoding(t: { encoding: number }): { signed: boolean; char: boolean; bool: boolean } {
  return { signed: (t.encoding & BTF_INT_SIGNED) !== 0, char: (t.encoding & BTF_INT_CHAR) !== 0, bool: (t.encoding & BTF_INT_BOOL) !== 0 };
}
