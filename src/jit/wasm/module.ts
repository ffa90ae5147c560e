/**
 * A WebAssembly module builder for what the JIT needs: function types,
 * imports (functions, the runtime's memory, globals), globals, exports and
 * function bodies written elsewhere. Sizes are written after their contents
 * so that nothing is copied twice; the module offset of each function's
 * code is reported, so that a trap's byte offset maps back to an eBPF pc.
 */
import { ByteWriter } from './writer.js';
import { Op, ValType } from './opcodes.js';

const enum Section { type = 1, import = 2, function = 3, global = 6, export = 7, code = 10 }
const enum ExternKind { func = 0, table = 1, memory = 2, global = 3 }

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface MemoryImport {
  /** Minimum pages. */
  min: number;
  /** Maximum pages (required for shared memory). */
  max?: number;
  shared: boolean;
}

export interface GlobalDef {
  type: ValType;
  mutable: boolean;
  /** Initial value (defined globals only). */
  init?: number;
}

interface Import {
  module: string;
  name: string;
  kind: ExternKind;
  type?: number;
  memory?: MemoryImport;
  global?: GlobalDef;
  /** Minimum entries of an imported funcref table. */
  tableMin?: number;
}

interface Body {
  /** Types of the locals after the parameters, in order. */
  locals: readonly ValType[];
  code: ByteWriter;
}

export interface BuiltModule {
  bytes: Uint8Array;
  /** For each defined function, the module offset of its first instruction. */
  codeStarts: number[];
}

export class ModuleBuilder {
  readonly types: FuncType[] = [];
  readonly imports: Import[] = [];
  private importedFuncs = 0;
  private importedGlobals = 0;
  /** Defined functions: their type index. */
  readonly funcs: number[] = [];
  private readonly bodies: (Body | undefined)[] = [];
  readonly globals: GlobalDef[] = [];
  readonly exports: { name: string; kind: ExternKind; index: number }[] = [];
  private names: { module: string; funcs: readonly string[] } | undefined;

  /** The index of the function type, added if new (a module has a handful: a scan, no string keys). */
  typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    for (let k = 0; k < this.types.length; k++) {
      const t = this.types[k];
      if (sameTypes(t.params, params) && sameTypes(t.results, results)) return k;
    }
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  /** Import a function; all imports must come before the first declareFunc. Returns its function index. */
  importFunc(module: string, name: string, type: number): number {
    if (this.funcs.length > 0) throw new Error('internal: function import after a defined function');
    this.imports.push({ module, name, kind: ExternKind.func, type });
    return this.importedFuncs++;
  }

  importMemory(module: string, name: string, memory: MemoryImport): void {
    this.imports.push({ module, name, kind: ExternKind.memory, memory });
  }

  /** Import a funcref table (the module's table 0). */
  importTable(module: string, name: string, min: number): void {
    this.imports.push({ module, name, kind: ExternKind.table, tableMin: min });
  }

  /** Import a global; all before the first defineGlobal. Returns its global index. */
  importGlobal(module: string, name: string, type: ValType, mutable: boolean): number {
    if (this.globals.length > 0) throw new Error('internal: global import after a defined global');
    this.imports.push({ module, name, kind: ExternKind.global, global: { type, mutable } });
    return this.importedGlobals++;
  }

  defineGlobal(def: GlobalDef): number {
    this.globals.push(def);
    return this.importedGlobals + this.globals.length - 1;
  }

  /** Reserve a function index; its body comes with setBody. */
  declareFunc(type: number): number {
    this.funcs.push(type);
    this.bodies.push(undefined);
    return this.importedFuncs + this.funcs.length - 1;
  }

  setBody(funcIndex: number, locals: readonly ValType[], code: ByteWriter): void {
    this.bodies[funcIndex - this.importedFuncs] = { locals, code };
  }

  exportFunc(name: string, funcIndex: number): void {
    this.exports.push({ name, kind: ExternKind.func, index: funcIndex });
  }

  exportGlobal(name: string, globalIndex: number): void {
    this.exports.push({ name, kind: ExternKind.global, index: globalIndex });
  }

  /** Name the module and its defined functions (in declaration order), for stack traces. */
  setNames(module: string, funcs: readonly string[]): void {
    this.names = { module, funcs };
  }

  finish(): BuiltModule {
    let total = 8;
    for (const b of this.bodies) total += (b?.code.length ?? 0) + 16;
    const out = ByteWriter.take(total + 1024);
    out.raw(PREAMBLE);

    // Sections written in line (closures made per module lose their optimised code to each collection).
    const w = out;
    let at = this.begin(out, Section.type, this.types.length);
    for (const t of this.types) {
      w.byte(0x60);
      w.u32(t.params.length);
      for (const p of t.params) w.byte(p);
      w.u32(t.results.length);
      for (const r of t.results) w.byte(r);
    }
    this.end(out, at);
    at = this.begin(out, Section.import, this.imports.length);
    for (const imp of this.imports) {
      w.name(imp.module);
      w.name(imp.name);
      w.byte(imp.kind);
      if (imp.kind === ExternKind.func) w.u32(imp.type!);
      else if (imp.kind === ExternKind.memory) {
        const m = imp.memory!;
        w.byte((m.max !== undefined ? 1 : 0) | (m.shared ? 2 : 0));
        w.u32(m.min);
        if (m.max !== undefined) w.u32(m.max);
      } else if (imp.kind === ExternKind.table) {
        w.byte(0x70);
        w.byte(0);
        w.u32(imp.tableMin!);
      } else {
        w.byte(imp.global!.type);
        w.byte(imp.global!.mutable ? 1 : 0);
      }
    }
    this.end(out, at);
    at = this.begin(out, Section.function, this.funcs.length);
    for (const t of this.funcs) w.u32(t);
    this.end(out, at);
    at = this.begin(out, Section.global, this.globals.length);
    for (const g of this.globals) {
      w.byte(g.type);
      w.byte(g.mutable ? 1 : 0);
      if (g.type === ValType.i64) {
        w.byte(Op.i64Const);
        w.s64(g.init ?? 0, (g.init ?? 0) < 0 ? -1 : 0);
      } else {
        w.byte(Op.i32Const);
        w.s32(g.init ?? 0);
      }
      w.byte(Op.end);
    }
    this.end(out, at);
    at = this.begin(out, Section.export, this.exports.length);
    for (const e of this.exports) {
      w.name(e.name);
      w.byte(e.kind);
      w.u32(e.index);
    }
    this.end(out, at);

    const codeStarts: number[] = [];
    at = this.begin(out, Section.code, this.bodies.length);
    for (let k = 0; k < this.bodies.length; k++) {
      const b = this.bodies[k];
      if (!b) throw new Error(`internal: function ${k + this.importedFuncs} has no body`);
      const decl = localDecls(b.locals);
      w.u32(decl.length + b.code.length + 1);
      w.raw(decl);
      codeStarts.push(w.length);
      w.raw(b.code.bytes.subarray(0, b.code.length));
      w.byte(Op.end);
    }
    this.end(out, at);
    if (this.names) this.nameSection(out, this.names.module, this.names.funcs);
    const bytes = out.finish();
    ByteWriter.release([out]);
    return { bytes, codeStarts };
  }

  /** The custom "name" section: the module name (subsection 0) and function names (subsection 1). */
  private nameSection(out: ByteWriter, module: string, funcs: readonly string[]): void {
    out.byte(0);
    const size = out.placeholder();
    const start = out.length;
    out.name('name');
    out.byte(0);
    const moduleSize = out.placeholder();
    const moduleStart = out.length;
    out.name(module);
    out.patchU32(moduleSize, out.length - moduleStart);
    out.byte(1);
    const funcSize = out.placeholder();
    const funcStart = out.length;
    out.u32(funcs.length);
    funcs.forEach((name, k) => {
      out.u32(this.importedFuncs + k);
      out.name(name);
    });
    out.patchU32(funcSize, out.length - funcStart);
    out.patchU32(size, out.length - start);
  }

  /**
   * Start a section: id, size placeholder, count; returns where the
   * placeholder is (end patches it), or -1 for an empty section, left out.
   */
  private begin(out: ByteWriter, id: Section, count: number): number {
    if (count === 0) return -1;
    out.byte(id);
    const size = out.placeholder();
    out.u32(count);
    return size;
  }

  /** End the section begin started: its size. */
  private end(out: ByteWriter, size: number): void {
    if (size < 0) return;
    out.patchU32(size, out.length - size - 5);
  }
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The module's magic number and version. */
const PREAMBLE = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

/** A cache, not state: the encoded declarations of each list of locals (the compiler's are a few constant lists). */
const declsOf = new WeakMap<readonly ValType[], Uint8Array>();
/** The list localDecls was last asked about, and its declarations (most bodies of a module have the same locals). */
let lastLocals: readonly ValType[] | undefined;
let lastDecl: Uint8Array = new Uint8Array(0);

/** A body's local declarations: the count of runs of consecutive locals of one type, then each run's count and type. */
function localDecls(locals: readonly ValType[]): Uint8Array {
  if (locals === lastLocals) return lastDecl;
  let decl = declsOf.get(locals);
  if (!decl) decl = encodeLocals(locals);
  lastLocals = locals;
  lastDecl = decl;
  return decl;
}

function encodeLocals(locals: readonly ValType[]): Uint8Array {
  const runs: number[] = [];
  for (const t of locals) {
    if (runs.length > 0 && runs[runs.length - 1] === t) runs[runs.length - 2]++;
    else runs.push(1, t);
  }
  const w = new ByteWriter(16);
  w.u32(runs.length / 2);
  for (let r = 0; r < runs.length; r += 2) {
    w.u32(runs[r]);
    w.byte(runs[r + 1]);
  }
  const decl = w.finish();
  declsOf.set(locals, decl);
  return decl;
}
