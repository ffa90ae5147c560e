import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  alignOf, applyCoreRelocationsTo, marshalFuncInfo, marshalLineInfo, BPF_CORE, CORE_POISON_IMM, CoreTarget, essentialNameLength, marshalBtf, memberOffset,
  parseBtf, parseBtfExt, relocateCore, resolveSize, typeByName, typeName, BTF_INT_SIGNED, BTF_INT_CHAR,
  type Btf, type BtfType, type CoreRelocation,
} from './core-helpers.js';
import { LoadError } from '../../src/internal/errors.js';
import { UAPI_ENUMS } from '../../src/platform/index.js';
import type { Insn } from '../../src/isa/index.js';

/** One type of every kind. */
function everyKind(): Btf {
  const types: BtfType[] = [
    { kind: 'void', name: '' },
    { kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 },
    { kind: 'int', name: 'char', size: 1, encoding: BTF_INT_CHAR, bitOffset: 0, bits: 8 },
    { kind: 'ptr', name: '', type: 1 },
    { kind: 'array', name: '', type: 1, indexType: 1, nelems: 4 },
    {
      kind: 'struct', name: 's', size: 16, kindFlag: true, members: [
        { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
        { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 3 },
        { name: 'c', type: 1, bitOffset: 35, bitfieldSize: 5 },
        { name: '', type: 6, bitOffset: 64, bitfieldSize: 0 },
      ],
    },
    { kind: 'union', name: '', size: 4, kindFlag: false, members: [{ name: 'x', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'y', type: 2, bitOffset: 0, bitfieldSize: 0 }] },
    { kind: 'enum', name: 'e', size: 4, signed: true, values: [{ name: 'A', value: -1 }, { name: 'B', value: 2 }] },
    { kind: 'enum64', name: 'e64', size: 8, signed: false, values: [{ name: 'BIG', valLo32: 1, valHi32: 0x80000000 }] },
    { kind: 'fwd', name: 'fw', union: true },
    { kind: 'typedef', name: 't', type: 5 },
    { kind: 'volatile', name: '', type: 10 },
    { kind: 'const', name: '', type: 11 },
    { kind: 'restrict', name: '', type: 3 },
    { kind: 'func_proto', name: '', returnType: 1, params: [{ name: 'p', type: 3 }, { name: '', type: 0 }] },
    { kind: 'func', name: 'f', type: 14, linkage: 1 },
    { kind: 'var', name: 'v', type: 1, linkage: 1 },
    { kind: 'datasec', name: '.data', size: 4, vars: [{ type: 16, offset: 0, size: 4 }] },
    { kind: 'float', name: 'double', size: 8 },
    { kind: 'decl_tag', name: 'tag', type: 5, componentIdx: 1 },
    { kind: 'type_tag', name: 'user', type: 1 },
    { kind: 'ptr', name: '', type: 20 },
  ];
  return { types };
}

test('BTF of every kind marshals and parses back, in both byte orders', () => {
  const btf = everyKind();
  for (const order of ['le', 'be'] as const) {
    const { bytes } = marshalBtf(btf, order);
    assert.equal(bytes[0], order === 'le' ? 0x9f : 0xeb);
    const back = parseBtf(bytes);
    assert.equal(back.order, order);
    assert.deepEqual(back.btf, btf);
  }
});

test('sizes, alignments, member offsets (bitfields, anonymous members) and names', () => {
  const btf = everyKind();
  assert.equal(resolveSize(btf, 5), 16);
  assert.equal(resolveSize(btf, 12), 16, 'through const, volatile and typedef');
  assert.equal(resolveSize(btf, 4), 16);
  assert.equal(resolveSize(btf, 3), 8);
  assert.equal(resolveSize(btf, 16), 4, 'a var has its type\'s size');
  assert.throws(() => resolveSize(btf, 15), LoadError, 'a func has no size');
  assert.equal(alignOf(btf, 5), 4);
  assert.equal(alignOf(btf, 8), 8);
  assert.deepEqual(memberOffset(btf, 5, 'c'), { bitOffset: 35, bitfieldSize: 5, type: 1 });
  assert.deepEqual(memberOffset(btf, 12, 'y'), { bitOffset: 64, bitfieldSize: 0, type: 2 });
  assert.equal(memberOffset(btf, 5, 'nope'), undefined);
  assert.equal(typeByName(btf, 's', 'struct'), 5);
  assert.equal(typeName(btf, 12), 'const volatile t');
  assert.equal(typeName(btf, 21), 'int *');
  assert.equal(typeName(btf, 4), 'int[4]');
  assert.equal(typeName(btf, 14), 'int (int *, void)');
});

test('malformed BTF gives LoadErrors: loops are detected, references checked', () => {
  const loop: Btf = { types: [{ kind: 'void', name: '' }, { kind: 'typedef', name: 'a', type: 2 }, { kind: 'typedef', name: 'b', type: 1 }] };
  assert.throws(() => resolveSize(loop, 1), /does not resolve/);
  const { bytes } = marshalBtf({ types: [{ kind: 'void', name: '' }, { kind: 'ptr', name: '', type: 7 }] });
  assert.throws(() => parseBtf(bytes), /ptr \[1\] refers to type \[7\], but there are only 2 types/);
  assert.throws(() => parseBtf(bytes.subarray(0, 30)), LoadError);
  assert.throws(() => parseBtf(new Uint8Array([1, 2, 3])), /bad BTF magic/);
});

test('a hostile BTF that fans out at every level is refused, not walked for ever', () => {
  // 40 structs, each with two members of the next: 2^40 paths from the first.
  const types: BtfType[] = [{ kind: 'void', name: '' }, int('int', 4)];
  for (let i = 0; i < 40; i++) {
    const next = i === 39 ? 1 : types.length + 1;
    types.push(struct(`s${i}`, [['a', next, 0], ['b', next, 0]], 4));
  }
  const btf: Btf = { types };
  assert.throws(() => alignOf(btf, 2), /too large to walk|deeper than|does not resolve/);
  assert.equal(typeof typeName(btf, 2), 'string');
});

test('.BTF.ext: bad headers and record sizes are LoadErrors', () => {
  const { strings } = parseBtf(marshalBtf(everyKind()).bytes);
  const ext = new Uint8Array(32);
  const v = new DataView(ext.buffer);
  v.setUint16(0, 0xeb9f, true);
  ext[2] = 1;
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, 8, true);
  v.setUint32(24, 3, true);
  assert.throws(() => parseBtfExt(ext, strings), /func_info: bad record size 3/);
  v.setUint32(12, 100, true);
  assert.throws(() => parseBtfExt(ext, strings), /func_info \(100 bytes\) runs past the end/);
});

test('func_info and line_info marshal for BPF_PROG_LOAD, strings resolved through the marshalled BTF', () => {
  const lines = [{ insnOff: 3, fileName: 'a.c', line: 'return 0;', lineNum: 12, lineCol: 5 }];
  const { bytes, strings } = marshalBtf(everyKind(), 'le', ['a.c', 'return 0;']);
  const offset = (s: string): number => strings.offsetOf(s)!;
  const li = new DataView(marshalLineInfo(lines, offset).buffer);
  assert.deepEqual([li.getUint32(0, true), li.getUint32(12, true)], [3, (12 << 10) | 5]);
  const { strings: parsed } = parseBtf(bytes);
  assert.equal(parsed.get(li.getUint32(4, true), 0, 'file'), 'a.c');
  assert.equal(parsed.get(li.getUint32(8, true), 0, 'line'), 'return 0;');
  assert.deepEqual([...marshalFuncInfo([{ insnOff: 0, typeId: 15 }, { insnOff: 9, typeId: 15 }], 'be')], [0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 9, 0, 0, 0, 15]);
});

test('flavors: the name before ___ is what CO-RE looks up', () => {
  assert.equal(essentialNameLength('task_struct___old'), 'task_struct'.length);
  assert.equal(essentialNameLength('task_struct'), 'task_struct'.length);
  assert.equal(essentialNameLength('a____b'), 'a____b'.length);
  assert.equal(essentialNameLength('___x'), 4);
});

/** `r0 = imm` (ALU64 MOV K), `exit`. */
const movExit = (imm: number): Insn[] => [{ code: 0xb7, dst: 0, src: 0, off: 0, imm }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
const int = (name: string, size: number, signed = true): BtfType => ({ kind: 'int', name, size, encoding: signed ? BTF_INT_SIGNED : 0, bitOffset: 0, bits: size * 8 });
const struct = (name: string, members: [string, number, number][], size: number): BtfType =>
  ({ kind: 'struct', name, size, kindFlag: false, members: members.map(([n, type, off]) => ({ name: n, type, bitOffset: off * 8, bitfieldSize: 0 })) });

test('TYPE_MATCHES: members must match by name and type; flavors are ignored', () => {
  const local: Btf = { types: [{ kind: 'void', name: '' }, int('int', 4), struct('thing___v2', [['a', 1, 0]], 4)] };
  const relo: CoreRelocation = { insn: 0, typeId: 2, accessStr: '0', kind: BPF_CORE.TYPE_MATCHES };
  const run = (target: Btf): number => relocateCore(movExit(1), [relo], local, new CoreTarget(target), { order: 'le', section: 'x' }).insns[0].imm;
  assert.equal(run({ types: [{ kind: 'void', name: '' }, int('int', 4), struct('thing', [['b', 1, 0], ['a', 1, 4]], 8)] }), 1);
  assert.equal(run({ types: [{ kind: 'void', name: '' }, int('unsigned int', 4, false), struct('thing', [['a', 1, 0]], 4)] }), 0, 'signedness differs');
  assert.equal(run({ types: [{ kind: 'void', name: '' }, int('int', 4), struct('other', [['a', 1, 0]], 4)] }), 0, 'no candidate');
});

test('a relocation without a candidate poisons its instruction; lddw poisons both halves', () => {
  const local: Btf = { types: [{ kind: 'void', name: '' }, { kind: 'enum', name: 'state', size: 4, signed: false, values: [{ name: 'ON', value: 1 }] }] };
  const insns: Insn[] = [{ code: 0x18, dst: 1, src: 0, off: 0, imm: 1 }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }, ...movExit(0)];
  const relo: CoreRelocation = { insn: 0, typeId: 1, accessStr: '0', kind: BPF_CORE.ENUMVAL_VALUE };
  const out = relocateCore(insns, [relo], local, new CoreTarget({ types: [{ kind: 'void', name: '' }] }), { order: 'le', section: 'prog' });
  assert.deepEqual(out.insns.slice(0, 2).map((i) => [i.code, i.imm]), [[0x85, CORE_POISON_IMM], [0x85, CORE_POISON_IMM]]);
  assert.equal(out.results[0].poisoned, true);
  assert.deepEqual(insns[0].imm, 1, 'the input is not modified');
});

test('CO-RE failures that are not "no candidate" are LoadErrors naming the program section and instruction', () => {
  const local: Btf = { types: [{ kind: 'void', name: '' }, int('int', 4), struct('thing', [['a', 1, 0]], 4)] };
  const target = new CoreTarget(local);
  const bad = (relo: CoreRelocation, re: RegExp, insns = movExit(0)): void => {
    assert.throws(() => relocateCore(insns, [relo], local, target, { order: 'le', section: 'kprobe/x' }), (e: unknown) => e instanceof LoadError && e.section === 'kprobe/x' && re.test(e.message));
  };
  bad({ insn: 0, typeId: 2, accessStr: '0:9', kind: BPF_CORE.FIELD_BYTE_OFFSET }, /offset 0x0: .*member 9 .* out of range/);
  bad({ insn: 0, typeId: 2, accessStr: 'x', kind: BPF_CORE.FIELD_BYTE_OFFSET }, /bad access string/);
  bad({ insn: 1, typeId: 2, accessStr: '0:0', kind: BPF_CORE.FIELD_BYTE_OFFSET }, /offset 0x8: .*cannot be relocated/);
  bad({ insn: 0, typeId: 2, accessStr: '0:0', kind: BPF_CORE.FIELD_BYTE_OFFSET }, /has imm 1, expected 0/, movExit(1));
  bad({ insn: 5, typeId: 2, accessStr: '0:0', kind: BPF_CORE.FIELD_BYTE_OFFSET }, /outside the program/);
});

test('a load of a field that changes width is resized for unsigned ints', () => {
  const local: Btf = { types: [{ kind: 'void', name: '' }, int('u32', 4, false), struct('hdr', [['len', 1, 4]], 8)] };
  const target: Btf = { types: [{ kind: 'void', name: '' }, int('u16', 2, false), struct('hdr', [['pad', 1, 0], ['len', 1, 6]], 8)] };
  const ldxw: Insn[] = [{ code: 0x61, dst: 0, src: 1, off: 4, imm: 0 }, movExit(0)[1]];
  const out = applyCoreRelocationsTo(ldxw, { insn: 0, typeId: 2, accessStr: '0:0', kind: BPF_CORE.FIELD_BYTE_OFFSET }, local, target);
  assert.deepEqual([out[0].code, out[0].off], [0x69, 6], 'ldxw r0, [r1+4] becomes ldxh r0, [r1+6]');
});

test('the kernel BTF parses, and UAPI_ENUMS agree with its enums', (t) => {
  let raw: Uint8Array;
  try {
    raw = readFileSync('/sys/kernel/btf/vmlinux');
  } catch {
    t.skip('/sys/kernel/btf/vmlinux is missing (kernel without CONFIG_DEBUG_INFO_BTF)');
    return;
  }
  const { btf } = parseBtf(raw, 'vmlinux');
  assert.ok(btf.types.length > 10000);
  assert.deepEqual(parseBtf(marshalBtf(btf).bytes).btf.types.length, btf.types.length);
  for (const [enumName, ours] of Object.entries(UAPI_ENUMS)) {
    const id = typeByName(btf, enumName, 'enum');
    assert.ok(id, `enum ${enumName} in vmlinux`);
    const kernel = btf.types[id] as Extract<BtfType, { kind: 'enum' }>;
    const values = new Map(kernel.values.map((v) => [v.name, v.value]));
    ours.forEach((name, value) => {
      if (values.has(name)) assert.equal(values.get(name), value, `${name} is ${values.get(name)} in the kernel, ${value} in uapi.ts`);
    });
    const known = new Set(ours);
    // Aliases (BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED) share a known value; only new values are missing.
    const missing = kernel.values.filter((v) => !known.has(v.name) && v.value >= ours.length && !v.name.startsWith('__MAX') && !v.name.startsWith('MAX_'));
    assert.deepEqual(missing.map((v) => v.name), [], `uapi.ts lacks ${enumName} values the kernel has`);
  }
});
