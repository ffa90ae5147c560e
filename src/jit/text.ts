/** The WebAssembly text of a compiled program, each instruction's code under its eBPF disassembly. */
import { disassemble } from '../asm/index.js';
import type { Insn } from '../isa/index.js';
import { createHelperTable, type HelperTable } from '../helpers/index.js';
import { compileProgram, moduleGlobals, type CompiledProgram } from './compile.js';
import { intrinsicFor } from './intrinsics.js';
import { printWat, type WatNames } from './wasm/wat.js';

/** Names and comments for the WAT of a compiled program. */
export function watOf(compiled: CompiledProgram, insns: readonly Insn[], helperName: (id: number) => string | undefined): string {
  const r = (k: number) => `r${k}`;
  const temps = ['fuel', 'tmp_a', 'tmp_b', 'loops', 't32', 'fp', 'label', 'ea'];
  // An inlined callee's own registers and fp follow a function's locals (compile.ts, INLINE_LOCALS).
  const inlined = ['in_r6', 'in_r7', 'in_r8', 'in_r9', 'in_r10', 'in_fp'];
  const mainLocals = [r(1), r(2), r(3), r(4), r(5), 'budget', 'pkt_data', 'pkt_len', r(0), r(6), r(7), r(8), r(9), r(10), ...temps, ...inlined];
  const subLocals = [...Array.from({ length: 10 }, (_, k) => r(k)), 'depth', 'fuel', r(10), ...temps.slice(1), ...inlined];
  const calleeLocals = ['depth', r(1), r(2), r(3), r(4), r(5), r(0), r(6), r(7), r(8), r(9), r(10), ...temps, ...inlined];
  const lines = disassemble(insns, { indexes: true, helperName }).split('\n');
  const byPc = new Map<number, string>();
  let li = 0;
  compiled.cfg.rows.forEach((row, pc) => {
    if (row) byPc.set(pc, lines[li++].replace(/^\d+: /, ''));
  });
  const comments = new Map<number, string[]>();
  const map = compiled.pcMap;
  for (let k = 0; k < map.length; k += 2) {
    const list = comments.get(map[k]) ?? [];
    list.push(`${map[k + 1]}: ${byPc.get(map[k + 1])}`);
    comments.set(map[k], list);
  }
  const names: WatNames = {
    funcs: compiled.tailImport ? ['tailEnter', ...compiled.funcNames] : compiled.funcNames,
    slots: compiled.slots,
    globals: [
      ...moduleGlobals(!compiled.budget, compiled.form, compiled.tailImport).map(([name]) => name),
      ...Array.from({ length: compiled.hosts }, (_, p) => (p === 0 ? 'self' : `self${p}`)),
    ],
    locals: compiled.funcNames.map((name) => (/(^|_)main$/.test(name) ? mainLocals : /(^|_)sub_\d+$/.test(name) ? subLocals : /(^|_)callee_\d+$/.test(name) ? calleeLocals : [])),
    comments,
  };
  return printWat(compiled.bytes, names);
}

export interface JitToWatOptions {
  /** The helper table whose names and intrinsics apply (default: the base helpers). */
  helpers?: HelperTable;
  /** Compile for a shared memory. */
  shared?: boolean;
}

/** The WebAssembly text the JIT makes of a program, for `disasm --jited` and golden tests. */
export function jitToWat(insns: readonly Insn[], options: JitToWatOptions = {}): string {
  const helpers = options.helpers ?? createHelperTable();
  const compiled = compileProgram(insns, { shared: options.shared ?? false, intrinsic: (id) => intrinsicFor(helpers, id) });
  return watOf(compiled, insns, (id) => helpers.name(id));
}
