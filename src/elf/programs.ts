/**
 * Programs: every function of every executable section, its relocations
 * (maps, global data, function pointers, bpf-to-bpf calls) applied, and
 * each program linked with the subprograms it calls, the callee code
 * appended and call offsets fixed as libbpf's bpf_object__reloc_code does.
 */
import { LoadError } from '../internal/errors.js';
import { ByteReader } from '../internal/reader.js';
import type { CoreRelocation } from '../btf/core.js';
import type { BtfExtSection } from '../btf/ext.js';
import { BPF_CALL, BPF_DW, BPF_IMM, BPF_JMP, BPF_LD, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../isa/constants.js';
import { decodeInsns, type Insn } from '../isa/insn.js';
import { programTypeForSection } from '../platform/section-names.js';
import {
  R_BPF_64_32, R_BPF_64_64, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHT_PROGBITS, STB_GLOBAL, STB_LOCAL, STB_WEAK,
  STT_FUNC, STT_SECTION, type ElfSection, type ElfSymbol,
} from './elf.js';
import { definitionKey, symbolName, type LoadContext } from './context.js';
import type { FuncInfo, LineInfo, LinkedFunction, ProgramSpec } from './spec.js';

const INSN_SIZE = 8;
const CALL = BPF_JMP | BPF_CALL;
const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

/** One function of an executable section, relocated but not yet linked. */
interface Func {
  name: string;
  section: ElfSection;
  symbol: ElfSymbol;
  /** First instruction in the section. */
  start: number;
  insns: Insn[];
  /** Calls and function pointers: instruction index in the function → callee. */
  calls: Map<number, Func>;
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelos: CoreRelocation[];
  /** Whether a program already holds this function's instruction objects. */
  taken: boolean;
}

interface SectionFuncs {
  section: ElfSection;
  reader: ByteReader;
  /** Sorted by start. */
  funcs: Func[];
}

export interface LoadedPrograms {
  programs: ProgramSpec[];
  /** Whether a symbol is a program (not a subprogram): for prog array initial values. */
  isProgram: (section: number, offset: number, name: string) => boolean;
}

export function loadPrograms(ctx: LoadContext, license: string, kernelVersion: number): LoadedPrograms {
  const sections = collectFunctions(ctx);
  for (const sf of sections.values()) relocateSection(ctx, sf, sections);
  for (const sf of sections.values()) resolveLocalCalls(sf);
  attachBtfExt(ctx, sections);
  const programs: ProgramSpec[] = [];
  const programFuncs = new Set<Func>();
  for (const sf of sections.values()) {
    if (sf.section.index === ctx.textIndex) continue;
    for (const f of sf.funcs) {
      programFuncs.add(f);
      programs.push(link(f, license, kernelVersion, sf.reader));
    }
  }
  const isProgram = (section: number, offset: number, name: string): boolean => {
    const sf = sections.get(section);
    return !!sf && sf.funcs.some((f) => programFuncs.has(f) && f.start * INSN_SIZE === offset && f.name === name);
  };
  return { programs, isProgram };
}

function collectFunctions(ctx: LoadContext): Map<number, SectionFuncs> {
  const out = new Map<number, SectionFuncs>();
  for (const sec of ctx.elf.sections) {
    if (!(sec.flags & SHF_EXECINSTR) || sec.type !== SHT_PROGBITS || sec.size === 0) continue;
    const reader: ByteReader = new ByteReader(sec.data, ctx.order, sec.name);
    if (sec.size % INSN_SIZE !== 0) reader.fail(0, `size ${sec.size} is not a multiple of ${INSN_SIZE} (instructions)`);
    const all = decodeInsns(sec.data, ctx.order);
    const syms = ctx.elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value);
    const funcs: Func[] = [];
    let end = 0;
    for (const sym of syms) {
      const fail: (reason: string) => never = (reason) => reader.fail(sym.value, `function ${sym.name || '#' + sym.index}: ${reason}`);
      if (!sym.name) fail('no name');
      if (sym.value % INSN_SIZE || sym.size % INSN_SIZE) fail(`offset ${sym.value} or size ${sym.size} is not a multiple of ${INSN_SIZE}`);
      if (sym.size === 0) fail('size 0');
      if (sym.value + sym.size > sec.size) fail(`${sym.size} bytes at ${sym.value} run past the end of the section (${sec.size} bytes)`);
      if (sym.value < end) fail('overlaps the previous function');
      if (sec.index !== ctx.textIndex && sym.bind === STB_LOCAL) fail(`is static: programs must be global (only ${'.text'} may hold static functions)`);
      end = sym.value + sym.size;
      const start = sym.value / INSN_SIZE;
      funcs.push({
        name: sym.name, section: sec, symbol: sym, start, insns: all.slice(start, start + sym.size / INSN_SIZE),
        calls: new Map(), funcInfo: [], lineInfo: [], coreRelos: [], taken: false,
      });
    }
    out.set(sec.index, { section: sec, reader, funcs });
  }
  return out;
}

/** The function holding instruction `idx` of its section. */
function funcAt(sf: SectionFuncs, idx: number): Func | undefined {
  let lo = 0;
  let hi = sf.funcs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = sf.funcs[mid];
    if (idx < f.start) hi = mid - 1;
    else if (idx >= f.start + f.insns.length) lo = mid + 1;
    else return f;
  }
  return undefined;
}

/** The function starting exactly at instruction `idx` of a section, or an error. */
function calleeAt(sections: Map<number, SectionFuncs>, shndx: number, idx: number, fail: (reason: string) => never): Func {
  const sf = sections.get(shndx);
  if (!sf) fail(`target section ${shndx} holds no code`);
  const f = funcAt(sf, idx);
  if (!f) fail(`no function at instruction ${idx} of section ${sf.section.name}`);
  if (f.start !== idx) fail(`target is instruction ${idx - f.start} inside function ${f.name}, not its start`);
  return f;
}

/**
 * `insn` with a new src and imm, written out field by field: an object spread gives the copy another hidden
 * class than decodeInsns' objects, and every consumer's accesses to the instruction fields become polymorphic.
 */
function withFields(insn: Insn, src: number, imm: number): Insn {
  return { code: insn.code, dst: insn.dst, src, off: insn.off, imm };
}

function relocateSection(ctx: LoadContext, sf: SectionFuncs, sections: Map<number, SectionFuncs>): void {
  const rel = ctx.elf.relocations.get(sf.section.index);
  if (!rel) return;
  const r = sf.reader;
  for (const reloc of rel.relocations) {
    const fail: (reason: string) => never = (reason) => r.fail(reloc.offset, reason);
    if (reloc.offset % INSN_SIZE !== 0 || reloc.offset >= sf.section.size) fail(`relocation at a bad offset (section of ${sf.section.size} bytes)`);
    const sym = ctx.elf.symbols[reloc.symbol];
    if (sym.shndx >= SHN_LORESERVE) fail(`relocation against symbol ${sym.name || '#' + sym.index} with special section index 0x${sym.shndx.toString(16)}`);
    const idx = reloc.offset / INSN_SIZE;
    const f = funcAt(sf, idx);
    if (!f) continue;
    const i = idx - f.start;
    const insn = f.insns[i];
    const name = symbolName(ctx, sym);
    if (insn.code === CALL) {
      if (reloc.type !== R_BPF_64_32) fail(`call relocation of type ${reloc.type}, want R_BPF_64_32 (${R_BPF_64_32})`);
      if (insn.src !== BPF_PSEUDO_CALL) fail(`relocation against ${name} on a call with src ${insn.src}, not BPF_PSEUDO_CALL`);
      if (sym.shndx === SHN_UNDEF) fail(`call to extern function ${name} (kfuncs are not supported)`);
      if (sym.value % INSN_SIZE) fail(`call target ${name} at misaligned offset ${sym.value}`);
      const target = sym.value / INSN_SIZE + insn.imm + 1;
      f.calls.set(i, calleeAt(sections, sym.shndx, target, fail));
      continue;
    }
    if (insn.code !== LD_IMM64) fail(`relocation against ${name} on instruction 0x${insn.code.toString(16)}, which is neither lddw nor call`);
    if (reloc.type !== R_BPF_64_64) fail(`lddw relocation of type ${reloc.type}, want R_BPF_64_64 (${R_BPF_64_64})`);
    if (i + 1 >= f.insns.length) fail(`lddw against ${name} is missing its second half`);
    const hi = f.insns[i + 1];
    if (sym.shndx === SHN_UNDEF) {
      if (sym.bind !== STB_GLOBAL && sym.bind !== STB_WEAK) fail(`relocation against undefined local symbol ${name}`);
      const off = ctx.kconfig?.offsets.get(sym.name);
      if (off === undefined || !ctx.kconfig) fail(`extern ${name} is not a .kconfig variable (ksyms are not supported)`);
      f.insns[i] = withFields(insn, BPF_PSEUDO_MAP_IDX_VALUE, ctx.kconfig.mapIndex);
      f.insns[i + 1] = withFields(hi, hi.src, off);
      continue;
    }
    if (sections.has(sym.shndx) && (sym.type === STT_FUNC || sym.type === STT_SECTION)) {
      // clang leaves src 0 here; the loader marks the lddw as a function address (libbpf's RELO_SUBPROG_ADDR).
      if (insn.src !== 0 && insn.src !== BPF_PSEUDO_FUNC) fail(`lddw of function ${name} with src ${insn.src}`);
      const byteOff = sym.value + insn.imm;
      if (byteOff % INSN_SIZE) fail(`function pointer to ${name}+${insn.imm} is not instruction-aligned`);
      f.calls.set(i, calleeAt(sections, sym.shndx, byteOff / INSN_SIZE, fail));
      f.insns[i] = withFields(insn, BPF_PSEUDO_FUNC, 0);
      continue;
    }
    const mapIndex = ctx.mapByDefinition.get(definitionKey(sym.shndx, sym.value));
    const targetSection = ctx.elf.sections[sym.shndx];
    if (targetSection.name === '.maps' || targetSection.name === 'maps') {
      if (mapIndex === undefined) fail(`no map defined at offset ${sym.value} of ${targetSection.name} (symbol ${name})`);
      f.insns[i] = withFields(insn, BPF_PSEUDO_MAP_IDX, mapIndex);
      continue;
    }
    const dataIndex = ctx.dataMapBySection.get(sym.shndx);
    if (dataIndex === undefined) fail(`relocation against ${name} in section ${targetSection.name}, which is neither a map nor global data`);
    const valueOff = insn.imm + sym.value;
    if (valueOff < 0 || valueOff > 0x7fffffff) fail(`global data offset ${valueOff} into ${targetSection.name} is out of range`);
    f.insns[i] = withFields(insn, BPF_PSEUDO_MAP_IDX_VALUE, dataIndex);
    f.insns[i + 1] = withFields(hi, hi.src, valueOff);
  }
}

/**
 * Calls with no relocation go to a function of the same section, the offset
 * relative to the call; lddw of a function always has a relocation.
 */
function resolveLocalCalls(sf: SectionFuncs): void {
  const sections = new Map([[sf.section.index, sf]]);
  for (const f of sf.funcs) {
    f.insns.forEach((insn, i) => {
      if (f.calls.has(i)) return;
      const at = (f.start + i) * INSN_SIZE;
      const fail: (reason: string) => never = (reason) => sf.reader.fail(at, reason);
      if (insn.code === CALL && insn.src === BPF_PSEUDO_CALL) {
        f.calls.set(i, calleeAt(sections, sf.section.index, f.start + i + insn.imm + 1, fail));
      } else if (insn.code === LD_IMM64 && insn.src === BPF_PSEUDO_FUNC) {
        fail('lddw of a function (BPF_PSEUDO_FUNC) without a relocation');
      }
    });
  }
}

/** Hand each function its func_info, line_info and CO-RE records, with instruction indexes relative to it. */
function attachBtfExt(ctx: LoadContext, sections: Map<number, SectionFuncs>): void {
  const ext = ctx.ext;
  const btf = ctx.btf;
  if (!ext || !btf) return;
  const bySection = new Map<string, SectionFuncs>();
  for (const sf of sections.values()) bySection.set(sf.section.name, sf);
  const each = <T extends { insnOff: number }>(infos: BtfExtSection<T>[], what: string, add: (f: Func, i: number, rec: T) => void): void => {
    for (const { section, records } of infos) {
      const sf = bySection.get(section);
      if (!sf) continue;
      for (const rec of records) {
        if (rec.insnOff % INSN_SIZE) throw new LoadError('.BTF.ext', 0, `${what} for ${section}: instruction offset ${rec.insnOff} is not a multiple of ${INSN_SIZE}`);
        const idx = rec.insnOff / INSN_SIZE;
        const f = funcAt(sf, idx);
        if (f) add(f, idx - f.start, rec);
      }
    }
  };
  each(ext.funcInfo, 'func_info', (f, i, rec) => {
    const t = btf.types[rec.typeId];
    if (!t || t.kind !== 'func') throw new LoadError('.BTF.ext', 0, `func_info of ${f.name}: type [${rec.typeId}] is not a FUNC`);
    f.funcInfo.push({ insnOff: i, typeId: rec.typeId });
  });
  each(ext.lineInfo, 'line_info', (f, i, rec) => {
    f.lineInfo.push({ insnOff: i, fileName: rec.fileName, line: rec.line, lineNum: rec.lineNum, lineCol: rec.lineCol });
  });
  each(ext.coreRelos, 'CO-RE relocation', (f, i, rec) => {
    if (!btf.types[rec.typeId]) throw new LoadError('.BTF.ext', 0, `CO-RE relocation in ${f.name}: type [${rec.typeId}] does not exist`);
    f.coreRelos.push({ insn: i, typeId: rec.typeId, accessStr: rec.accessStr, kind: rec.kind });
  });
}

/** One program: its own code, then every subprogram it reaches, in the order libbpf appends them. */
function link(main: Func, license: string, kernelVersion: number, reader: ByteReader): ProgramSpec {
  const insns: Insn[] = [];
  const placed = new Map<Func, number>();
  const functions: LinkedFunction[] = [];
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  const coreRelos: CoreRelocation[] = [];
  const place = (f: Func): number => {
    const base = insns.length;
    placed.set(f, base);
    // The first program to take a function takes its instruction objects; later ones copy them.
    if (f.taken) for (const insn of f.insns) insns.push({ code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm });
    else for (const insn of f.insns) insns.push(insn);
    f.taken = true;
    functions.push({ name: f.name, section: f.section.name, insnOff: base, insnCnt: f.insns.length });
    for (const fi of f.funcInfo) funcInfo.push({ insnOff: fi.insnOff + base, typeId: fi.typeId });
    for (const li of f.lineInfo) lineInfo.push({ insnOff: li.insnOff + base, fileName: li.fileName, line: li.line, lineNum: li.lineNum, lineCol: li.lineCol });
    for (const cr of f.coreRelos) coreRelos.push({ insn: cr.insn + base, typeId: cr.typeId, accessStr: cr.accessStr, kind: cr.kind });
    return base;
  };
  // Depth-first, appending a callee at its first call and walking it before
  // the caller goes on: an explicit stack, so deep call chains cannot overflow.
  const stack: { f: Func; base: number; calls: [number, Func][]; next: number }[] = [];
  const push = (f: Func): void => {
    const base = place(f);
    stack.push({ f, base, calls: [...f.calls.entries()].sort((a, b) => a[0] - b[0]), next: 0 });
  };
  push(main);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.calls.length) {
      stack.pop();
      continue;
    }
    const [i, callee] = frame.calls[frame.next++];
    if (!placed.has(callee)) push(callee);
    const at = frame.base + i;
    insns[at] = withFields(insns[at], insns[at].src, placed.get(callee)! - at - 1);
  }
  const def = programTypeForSection(main.section.name);
  if (insns.length > 0x7fffffff) reader.fail(main.start * INSN_SIZE, 'program too large');
  return {
    name: main.name,
    sectionName: main.section.name,
    type: def?.progType ?? 0,
    expectedAttachType: def?.expectedAttachType ?? 0,
    attachTo: def?.attachTo ?? '',
    flags: def?.progFlags ?? 0,
    license,
    kernelVersion,
    insns,
    functions,
    funcInfo,
    lineInfo,
    coreRelos,
  };
}
