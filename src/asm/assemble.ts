/**
 * The assembler: text in either syntax (chosen per line, so both may be
 * mixed) → kernel instruction slots.
 *
 * A line holds at most one instruction, optionally preceded by labels
 * (`name:`), and by the index and opcode that the verifier log and bpftool
 * print (`12: (b7) r0 = 0`), so their output assembles again. Two passes:
 * parse every line (counting lddw as two slots), then resolve labels into
 * relative slot offsets and encode.
 */
import { ldImm64, type Insn } from '../isa/index.js';
import { Cursor } from './cursor.js';
import { AsmError } from './errors.js';
import { lexLine, type Token } from './lexer.js';
import { parseKernel } from './parse-kernel.js';
import { parseUbpf } from './parse-ubpf.js';
import type { ParsedInsn } from './parsed.js';
import { findRow } from './syntax.js';

export interface AssembleOptions {
  /** Named in errors. */
  file?: string;
  /** Resolves `call bpf_map_lookup_elem` to a helper id (src/platform's `helperIdByName`). */
  helperId?: (name: string) => number | undefined;
}

interface Pending {
  p: ParsedInsn;
  slot: number;
  line: number;
  /** The `(xx)` opcode written before the instruction, checked against its encoding. */
  prefix?: { code: number; column: number };
}

const CALL_LOCAL = findRow('call local', 'call_local')!;

/** `12:` and `(b7)` as the verifier log and `bpftool prog dump xlated` print them. */
const LOG_PREFIX = /^(\s*(?:\d+:\s*)?)(?:\(([0-9a-fA-F]{2})\)(?=\s|$))?/;

/** Words that start only kernel-syntax statements. */
const KERNEL_WORDS = new Set(['if', 'goto', 'gotol', 'ld_pseudo']);

function isKernelSyntax(tokens: readonly Token[]): boolean {
  const first = tokens[0];
  if (first.kind !== 'ident') return true;
  if (KERNEL_WORDS.has(first.text) || /^[rw][0-9]+$/.test(first.text)) return true;
  if (first.text === 'lock' && tokens[1]?.text === '*') return true;
  return tokens.some((t) => t.kind === 'punct' && t.text.includes('='));
}

/** Assemble `text` into instruction slots (lddw takes two). Throws AsmError with the line and column of the first problem. */
export function assemble(text: string, options: AssembleOptions = {}): Insn[] {
  const { file } = options;
  const pending: Pending[] = [];
  const labels = new Map<string, { slot: number; line: number }>();
  let slot = 0;
  let firstExit: number | undefined;

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const m = LOG_PREFIX.exec(raw)!;
    const prefix = m[2] === undefined ? undefined : { code: parseInt(m[2], 16), column: m[1].length + 1 };
    const lexed = lexLine(' '.repeat(m[0].length) + raw.slice(m[0].length), line, file);
    let tokens = lexed.tokens;
    while (!prefix && tokens.length >= 2 && tokens[0].kind === 'ident' && tokens[1].text === ':' && !tokens[0].text.startsWith('%')) {
      const name = tokens[0].text;
      const previous = labels.get(name);
      if (previous) throw new AsmError(`duplicate label '${name}' (first defined on line ${previous.line})`, line, tokens[0].column, file);
      labels.set(name, { slot, line });
      tokens = tokens.slice(2);
    }
    if (tokens.length === 0) {
      if (prefix) throw new AsmError(`expected an instruction after the opcode (${m[2]})`, line, prefix.column, file);
      return;
    }
    const c = new Cursor({ tokens, endColumn: lexed.endColumn }, line, file);
    const p = isKernelSyntax(tokens) || prefix ? parseKernel(c, prefix?.code) : parseUbpf(c);
    if (p.row.format === 'exit' && firstExit === undefined) firstExit = slot;
    pending.push({ p, slot, line, prefix });
    slot += p.row.format === 'lddw' ? 2 : 1;
  });

  if (pending.length === 0) throw new AsmError('empty program: no instructions', 1, 1, file);

  /** Labels, and `exit` for the first exit instruction as in the conformance suite's assembler. */
  const labelSlot = (name: string): number | undefined => labels.get(name)?.slot ?? (name === 'exit' ? firstExit : undefined);

  const out: Insn[] = [];
  for (const e of pending) {
    const { p } = e;
    if (p.callName) {
      const { name, column } = p.callName;
      if (labelSlot(name) !== undefined) {
        p.row = CALL_LOCAL;
        p.target = { kind: 'label', name, column };
      } else {
        const id = options.helperId?.(name);
        if (id === undefined) {
          const hint = options.helperId ? '' : ' (helpers are called by name only when a helperId resolver is given)';
          throw new AsmError(`unknown helper or label '${name}'${hint}`, e.line, column, file);
        }
        if (!Number.isInteger(id) || id < -(2 ** 31) || id >= 2 ** 31) {
          throw new AsmError(`helperId gave ${id} for '${name}', which is not a 32-bit helper id`, e.line, column, file);
        }
        p.imm = id;
      }
    }
    if (p.target) {
      const inImm = p.row.format === 'ja32' || p.row.format === 'call_local';
      let rel: number;
      if (p.target.kind === 'relative') {
        rel = p.target.value;
      } else {
        const to = labelSlot(p.target.name);
        if (to === undefined) throw new AsmError(`unknown label '${p.target.name}'`, e.line, p.target.column, file);
        rel = to - (e.slot + 1);
        if (!inImm && (rel < -32768 || rel > 32767)) {
          throw new AsmError(`label '${p.target.name}' is ${rel} slots away: too far for a 16-bit jump offset`, e.line, p.target.column, file);
        }
      }
      if (inImm) p.imm = rel; else p.off = rel;
    }
    const insns = encode(p);
    if (e.prefix && e.prefix.code !== insns[0].code) {
      throw new AsmError(`opcode (${hex2(e.prefix.code)}) does not match the instruction, which encodes as (${hex2(insns[0].code)})`, e.line, e.prefix.column, file);
    }
    out.push(...insns);
  }
  return out;
}

function hex2(code: number): string {
  return code.toString(16).padStart(2, '0');
}

/** The slots of one instruction: its row's opcode, its operands, and the row's discriminating field. */
function encode(p: ParsedInsn): Insn[] {
  if (p.row.format === 'lddw') return ldImm64(p.dst, p.imm64 ?? 0n, p.row.match!.value);
  const ins: Insn = { code: p.row.code, dst: p.dst, src: p.src, off: p.off, imm: p.imm };
  if (p.row.match) ins[p.row.match.field] = p.row.match.value;
  return [ins];
}
