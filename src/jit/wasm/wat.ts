/**
 * The WebAssembly text of a module the JIT built, read back from its binary
 * (so the text is what runs, not what we meant to emit). Flat instruction
 * syntax, labels as wasm2wat prints them (`block  ;; label = @2`,
 * `br 1 (;@1;)`), names and per-instruction comments from the compiler.
 * Only the sections and instructions the JIT emits are understood.
 */
import { EbpfError } from '../../internal/errors.js';
import { OP_INFO, ValType } from './opcodes.js';

export interface WatNames {
  /** Function names by function index (imports first). */
  funcs?: readonly string[];
  /** Global names by global index. */
  globals?: readonly string[];
  /** Local names of each defined function, by local index. */
  locals?: readonly (readonly string[])[];
  /** Comment lines to print before the instruction at a module offset. */
  comments?: ReadonlyMap<number, readonly string[]>;
  /** Names of the functions in the slots of the imported table, noted at each call_indirect whose slot is a constant. */
  slots?: readonly string[];
}

const TYPE_NAMES: Readonly<Record<number, string>> = { [ValType.i32]: 'i32', [ValType.i64]: 'i64', [ValType.f64]: 'f64', [ValType.externref]: 'externref' };

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new EbpfError('EWASM', `wasm text: unexpected end of module at offset ${this.at}`);
    return this.bytes[this.at++];
  }
  u32(): number {
    let v = 0, shift = 0, b;
    do {
      b = this.byte();
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  }
  sleb(): bigint {
    let v = 0n, shift = 0n, b;
    do {
      b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    if (b & 0x40) v -= 1n << shift;
    return v;
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  type(): string {
    const t = this.byte();
    const name = TYPE_NAMES[t];
    if (!name) throw new EbpfError('EWASM', `wasm text: unknown value type 0x${t.toString(16)} at offset ${this.at - 1}`);
    return name;
  }
}

/** Natural alignment (log2 bytes) of a memory instruction, from its name. */
function naturalAlign(name: string): number {
  const m = /(?:load|store|rmw)(8|16|32)/.exec(name);
  if (m) return Math.log2(Number(m[1]) / 8);
  return name.startsWith('i64') ? 3 : 2;
}

/** Print a module as WAT. */
export function printWat(bytes: Uint8Array, names: WatNames = {}): string {
  const r = new Reader(bytes);
  r.at = 8;
  const out: string[] = ['(module'];
  const types: { params: string[]; results: string[] }[] = [];
  const funcTypes: number[] = [];
  let importedFuncs = 0;
  let importedGlobals = 0;
  const fname = (i: number) => `$${names.funcs?.[i] ?? `f${i}`}`;
  const gname = (i: number) => `$${names.globals?.[i] ?? `g${i}`}`;
  const sig = (t: number) => {
    const ty = types[t];
    return `(type ${t})${ty.params.length ? ` (param ${ty.params.join(' ')})` : ''}${ty.results.length ? ` (result ${ty.results.join(' ')})` : ''}`;
  };
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 1) {
      for (let n = r.u32(), k = 0; k < n; k++) {
        r.byte();
        const params = Array.from({ length: r.u32() }, () => r.type());
        const results = Array.from({ length: r.u32() }, () => r.type());
        types.push({ params, results });
        out.push(`  (type (;${k};) (func${params.length ? ` (param ${params.join(' ')})` : ''}${results.length ? ` (result ${results.join(' ')})` : ''}))`);
      }
    } else if (id === 2) {
      for (let n = r.u32(), k = 0; k < n; k++) {
        const mod = r.name(), field = r.name(), kind = r.byte();
        let desc: string;
        if (kind === 0) {
          const t = r.u32();
          funcTypes.push(t);
          desc = `(func ${fname(importedFuncs++)} ${sig(t)})`;
        } else if (kind === 1) {
          r.byte();
          const flags = r.byte();
          const min = r.u32();
          const max = flags & 1 ? ` ${r.u32()}` : '';
          desc = `(table ${min}${max} funcref)`;
        } else if (kind === 2) {
          const flags = r.byte();
          const min = r.u32();
          const max = flags & 1 ? ` ${r.u32()}` : '';
          desc = `(memory ${min}${max}${flags & 2 ? ' shared' : ''})`;
        } else {
          const t = r.type();
          const mut = r.byte();
          desc = `(global ${gname(importedGlobals++)} ${mut ? `(mut ${t})` : t})`;
        }
        out.push(`  (import "${mod}" "${field}" ${desc})`);
      }
    } else if (id === 3) {
      for (let n = r.u32(), k = 0; k < n; k++) funcTypes.push(r.u32());
    } else if (id === 6) {
      for (let n = r.u32(), k = 0; k < n; k++) {
        const t = r.type();
        const mut = r.byte();
        const op = r.byte();
        const init = op === 0x42 || op === 0x41 ? r.sleb() : 0n;
        r.byte();
        out.push(`  (global ${gname(importedGlobals + k)} ${mut ? `(mut ${t})` : t} (${t}.const ${init}))`);
      }
    } else if (id === 7) {
      for (let n = r.u32(), k = 0; k < n; k++) {
        const name = r.name(), kind = r.byte(), index = r.u32();
        out.push(`  (export "${name}" (${kind === 0 ? 'func' : kind === 3 ? 'global' : 'memory'} ${kind === 0 ? fname(index) : kind === 3 ? gname(index) : index}))`);
      }
    } else if (id === 10) {
      for (let n = r.u32(), k = 0; k < n; k++) {
        const bodySize = r.u32();
        const bodyEnd = r.at + bodySize;
        const index = importedFuncs + k;
        const type = types[funcTypes[index]];
        const localNames = names.locals?.[k] ?? [];
        const lname = (i: number) => `$${localNames[i] ?? `l${i}`}`;
        const head = [`  (func ${fname(index)} (type ${funcTypes[index]})`];
        type.params.forEach((p, i) => head.push(`(param ${lname(i)} ${p})`));
        if (type.results.length) head.push(`(result ${type.results.join(' ')})`);
        out.push(head.join(' '));
        let local = type.params.length;
        const decls: string[] = [];
        for (let runs = r.u32(), j = 0; j < runs; j++) {
          const count = r.u32();
          const t = r.type();
          for (let c = 0; c < count; c++) decls.push(`(local ${lname(local++)} ${t})`);
        }
        if (decls.length) out.push(`    ${decls.join(' ')}`);
        printCode(r, bodyEnd, out, names, fname, gname, lname);
        out.push('  )');
      }
    }
    r.at = end;
  }
  out.push(')');
  return out.join('\n') + '\n';
}

function printCode(
  r: Reader, end: number, out: string[], names: WatNames,
  fname: (i: number) => string, gname: (i: number) => string, lname: (i: number) => string,
): void {
  let depth = 0;
  /** The value of the i32.const just before, if the last instruction was one (a call_indirect's slot). */
  let slot: bigint | undefined;
  const label = (n: number) => `${n} (;@${depth - n};)`;
  while (r.at < end) {
    const offset = r.at;
    for (const line of names.comments?.get(offset) ?? []) out.push(`${'  '.repeat(depth + 2)};; ${line}`);
    let code = r.byte();
    if (code === 0xfc || code === 0xfe) code = (code << 8) | r.u32();
    const info = OP_INFO.get(code);
    if (!info) throw new EbpfError('EWASM', `wasm text: unknown opcode 0x${code.toString(16)} at offset ${offset}`);
    const [name, imm] = info;
    if (name === 'end' && r.at === end) return;
    if (name === 'end' || name === 'else') depth--;
    let text = name;
    const constant = slot;
    slot = undefined;
    switch (imm) {
      case 'block': {
        const t = r.byte();
        depth++;
        text += `${t === ValType.void ? '' : ` (result ${TYPE_NAMES[t]})`}  ;; label = @${depth}`;
        break;
      }
      case 'label': text += ` ${label(r.u32())}`; break;
      case 'table': {
        const n = r.u32();
        const targets = Array.from({ length: n + 1 }, () => label(r.u32()));
        text += ` ${targets.join(' ')}`;
        break;
      }
      case 'func': text += ` ${fname(r.u32())}`; break;
      case 'indirect': {
        const type = r.u32();
        const table = r.u32();
        text += ` ${table ? `${table} ` : ''}(type ${type})`;
        const callee = constant === undefined ? undefined : names.slots?.[Number(constant)];
        if (callee !== undefined) text += `  ;; $${callee}`;
        break;
      }
      case 'local': text += ` ${lname(r.u32())}`; break;
      case 'global': text += ` ${gname(r.u32())}`; break;
      case 'memarg': {
        const align = r.u32();
        const off = r.u32();
        if (off) text += ` offset=${off}`;
        if (align !== naturalAlign(name)) text += ` align=${2 ** align}`;
        break;
      }
      case 'i32': case 'i64': {
        const v = r.sleb();
        text += ` ${v}`;
        if (imm === 'i32') slot = v;
        break;
      }
      case 'memory': r.byte(); break;
      case 'none': break;
    }
    out.push(`${'  '.repeat(depth + 2 - (imm === 'block' ? 1 : 0))}${text}`);
    if (name === 'else') depth++;
  }
}
