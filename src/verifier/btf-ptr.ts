/**
 * PTR_TO_BTF_ID: pointers to kernel structs, typed by the kernel's own BTF.
 * The structs are those of the shipped vmlinux subset (src/platform/sock-btf.ts:
 * the socket structs the bpf_skc_to_* helpers return and every struct within a
 * few pointer hops of them, with all they hold by value), parsed once on first use. What a load through such a pointer reads
 * is decided as kernel/bpf/btf.c decides it (`btf_struct_walk`,
 * `btf_struct_access`), and whether a pointer is a socket a helper takes as
 * `btf_struct_ids_match` does: a tcp_sock is a sock_common through its first
 * members.
 */
import { isModifier, parseBtf, skipModsAndTypedefs, typeByName, type Btf, type BtfComposite, type BtfType } from '../btf/index.js';
import { SOCK_BTF_BASE64 } from '../platform/index.js';

let parsed: Btf | undefined;

/** The shipped BTF, decoded on first use (atob: browsers and Node alike). */
export function sockBtf(): Btf {
  if (!parsed) {
    const text = atob(SOCK_BTF_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    parsed = parseBtf(bytes, 'vmlinux (sock subset)').btf;
  }
  return parsed;
}

/** The type id of kernel struct `name` in the shipped BTF, or undefined when the subset does not describe it. */
export function btfStructId(name: string): number | undefined {
  const btf = sockBtf();
  return typeByName(btf, name, 'struct') ?? typeByName(btf, name, 'union');
}

/** `btf_type_name`: the struct's name as the log prints it after `ptr_` (`(anon)` for a struct without one). */
export function btfTypeName(id: number): string {
  return sockBtf().types[id]?.name || '(anon)';
}

/** A struct beyond the subset's pointer-hop frontier: the subset keeps its name and size, not its members. */
export function btfIsStub(id: number): boolean {
  const t = sockBtf().types[id];
  return (t.kind === 'struct' || t.kind === 'union') && t.members.length === 0 && t.size > 0;
}

const isStruct = (t: BtfType): t is BtfComposite => t.kind === 'struct' || t.kind === 'union';

/** `__btf_resolve_size` of a member: its type under modifiers and arrays, its whole size, and the element's id and count. */
function resolveMember(btf: Btf, id: number): { mtype: BtfType; msize: number; elemType: BtfType; elemId: number; nelems: number } | undefined {
  let nelems = 1;
  let arrayType: BtfType | undefined;
  let t = btf.types[id];
  for (let n = 0; n < 64; n++) {
    if (isModifier(t)) id = t.type;
    else if (t.kind === 'array') {
      arrayType ??= t;
      nelems *= t.nelems;
      id = t.type;
    } else break;
    t = btf.types[id];
  }
  let size: number;
  if (t.kind === 'ptr') size = 8;
  else if (isStruct(t) || t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'float') size = t.size;
  else return undefined;
  return { mtype: arrayType ?? t, msize: nelems * size, elemType: t, elemId: id, nelems };
}

type Walk =
  | { kind: 'scalar' }
  | { kind: 'ptr'; id: number; fieldName: string }
  | { kind: 'ptrUntrusted' }
  | { kind: 'struct'; id: number }
  | { kind: 'error'; message: string };

/**
 * `btf_struct_walk`: what `size` bytes at `off` of struct `id` are — a
 * scalar, a pointer to a struct, a pointer to something else, or (at the
 * start of a nested struct) that struct. `flag.untrusted` is set when the
 * walk goes through a union of more than one member.
 */
function structWalk(btf: Btf, id: number, off: number, size: number, flag: { untrusted: boolean }): Walk {
  // The kernel compares the offset as a u32: a negative one is past every struct.
  off >>>= 0;
  let t = skipModsAndTypedefs(btf, id).type;
  for (;;) {
    const tname = t.name || '(anon)';
    if (!isStruct(t)) return { kind: 'error', message: `Type '${tname}' is not a struct` };
    const vlen = t.members.length;
    if (t.kind === 'union' && vlen !== 1) flag.untrusted = true;
    if (off + size > t.size) {
      // A flexible array at the end may be indexed past the struct's size.
      const last = t.members[vlen - 1];
      const arr = last && skipModsAndTypedefs(btf, last.type).type;
      const beyond = { kind: 'error' as const, message: `access beyond struct ${tname} at off ${off} size ${size}` };
      if (!arr || arr.kind !== 'array' || arr.nelems !== 0) return beyond;
      const moff = last.bitOffset / 8;
      if (off < moff) return beyond;
      const elem = skipModsAndTypedefs(btf, arr.type).type;
      if (elem.kind === 'int') return { kind: 'scalar' };
      if (!isStruct(elem)) return beyond;
      off = (off - moff) % elem.size;
      t = elem;
      continue;
    }
    let next: BtfType | undefined;
    for (const member of t.members) {
      let moff = Math.floor(member.bitOffset / 8);
      if (off + size <= moff) break;
      if (member.bitfieldSize) {
        const endBit = member.bitOffset + member.bitfieldSize;
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveMember(btf, member.type);
      const mname = member.name || '(anon)';
      if (!r) return { kind: 'error', message: `field ${mname} doesn't have size` };
      let { mtype, msize } = r;
      let mid = r.elemId;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      if (mtype.kind === 'array') {
        if (moff === mtrueEnd) continue;
        msize /= r.nelems;
        moff += Math.floor((off - moff) / msize) * msize;
        mtype = r.elemType;
        mid = r.elemId;
      }
      if (isStruct(mtype)) {
        if (off === moff) return { kind: 'struct', id: mid };
        off -= moff;
        next = mtype;
        break;
      }
      if (mtype.kind === 'ptr') {
        if (msize !== size || off !== moff) {
          return { kind: 'error', message: `cannot access ptr member ${mname} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
        }
        const target = skipModsAndTypedefs(btf, mtype.type);
        return isStruct(target.type) ? { kind: 'ptr', id: target.id, fieldName: member.name } : { kind: 'ptrUntrusted' };
      }
      if (off + size > mtrueEnd && !flag.untrusted) {
        return { kind: 'error', message: `access beyond the end of member ${mname} (mend:${mtrueEnd}) in struct ${tname} with off ${off} size ${size}` };
      }
      return { kind: 'scalar' };
    }
    if (!next) return { kind: 'error', message: `struct ${tname} doesn't have field at offset ${off}` };
    t = next;
  }
}

/** What a load through PTR_TO_BTF_ID reads (`btf_struct_access`). */
export type BtfAccess =
  | { kind: 'scalar' }
  /** PTR_TO_BTF_ID of struct `id`; `untrusted` when a union was walked on the way. */
  | { kind: 'ptr'; id: number; untrusted: boolean; fieldName: string }
  /** A pointer to something not a struct: PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED of size 0. */
  | { kind: 'mem' }
  | { kind: 'error'; message: string };

/** `btf_struct_access`: walk struct `id` down to the `size` bytes at `off`. */
export function btfStructAccess(id: number, off: number, size: number): BtfAccess {
  const btf = sockBtf();
  const flag = { untrusted: false };
  for (let depth = 0; depth < 64; depth++) {
    const w = structWalk(btf, id, off, size, flag);
    switch (w.kind) {
      case 'ptr': return { kind: 'ptr', id: w.id, untrusted: flag.untrusted, fieldName: w.fieldName };
      case 'ptrUntrusted': return { kind: 'mem' };
      case 'scalar': return w;
      case 'error': return w;
      case 'struct':
        id = w.id;
        off = 0;
    }
  }
  return { kind: 'error', message: `struct ${btfTypeName(id)} nests too deep` };
}

/**
 * `btf_struct_ids_match`: is struct `id` at `off` (or, unless `strict`, one
 * of the structs it begins with) the struct `want`? When not, the walk's
 * complaint (what the kernel logs before its own message), if it had one.
 */
export function btfStructIdsMatch(id: number, off: number, want: number, strict: boolean): true | false | string {
  if (off === 0 && id === want) return true;
  if (strict) return false;
  const btf = sockBtf();
  for (let depth = 0; depth < 64; depth++) {
    const w = structWalk(btf, id, off, 1, { untrusted: false });
    if (w.kind === 'error') return w.message;
    if (w.kind !== 'struct') return false;
    if (w.id === want) return true;
    id = w.id;
    off = 0;
  }
  return false;
}
