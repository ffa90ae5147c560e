/**
 * One parsed instruction before labels are resolved, and the pieces of
 * syntax both parsers share (calls, the row a mnemonic names).
 */
import type { Format, Opcode } from '../isa/index.js';
import type { Cursor, RegisterStyle, Target } from './cursor.js';
import { findRow } from './syntax.js';

export interface ParsedInsn {
  row: Opcode;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** lddw: the 64-bit value spread over both slots. */
  imm64?: bigint;
  /** A jump or local-call target; goes to `imm` for ja32 and local calls, to `off` otherwise. */
  target?: Target;
  /**
   * `call name`: a local call when `name` is a label of the program, else a
   * helper looked up by name. Decided once all labels are known.
   */
  callName?: { name: string; column: number };
}

export function insnOf(row: Opcode, fields: Partial<Omit<ParsedInsn, 'row'>> = {}): ParsedInsn {
  return { row, dst: 0, src: 0, off: 0, imm: 0, ...fields };
}

/** The row `mnemonic` names with `format`; a missing one is a bug in the table or in a parser. */
export function rowOf(c: Cursor, mnemonic: string, format: Format, column = c.column(), src?: number): Opcode {
  const row = findRow(mnemonic, format, src);
  if (!row) throw c.error(`'${mnemonic}' has no ${format.replace('_', ' ')} form`, column);
  return row;
}

/** The register of callx, written `%r2` or `r2`. */
export function callxRegister(c: Cursor): number {
  const r = c.register(c.isRegister('kernel') ? 'kernel' : 'ubpf');
  if (r.w) throw c.error(`callx takes a 64-bit register like r${r.reg}, got 'w${r.reg}'`, r.column);
  return r.reg;
}

/**
 * The operand of a plain `call` in every syntax: `call 5` (helper id),
 * `call bpf_map_lookup_elem` (helper by name, or a local function when a
 * label has that name), `call bpf_map_lookup_elem#1` and `call unknown#7`
 * (the kernel's log), `call kernel-function#123` (kfunc), `call pc+4`
 * (bpf-to-bpf), and `call %r2` (callx, as the conformance suite writes it).
 */
export function parseCallOperands(c: Cursor, style: RegisterStyle): ParsedInsn {
  const column = c.column();
  if (c.isRegister('ubpf') || c.isRegister('kernel')) {
    return insnOf(rowOf(c, 'callx', 'callx', column), { dst: callxRegister(c) });
  }
  const tok = c.peek();
  if (tok?.kind === 'ident' && tok.text === 'pc' && c.peek(1)?.kind === 'punct') {
    return insnOf(rowOf(c, 'call local', 'call_local', column), { target: c.target(32) });
  }
  if (c.isLiteral()) return insnOf(rowOf(c, 'call', 'call_helper', column), { imm: c.imm32('a helper id') });
  if (tok?.kind === 'ident' && !tok.text.startsWith('%')) {
    c.next();
    if (c.peek()?.text === '#' && !c.peek()!.spaced) {
      c.next();
      if (tok.text === 'kernel-function') {
        return insnOf(rowOf(c, 'call kfunc', 'call_kfunc', column), { imm: c.imm32('a BTF id') });
      }
      return insnOf(rowOf(c, 'call', 'call_helper', column), { imm: c.imm32('a helper id') });
    }
    return insnOf(rowOf(c, 'call', 'call_helper', column), { callName: { name: tok.text, column: tok.column } });
  }
  const example = style === 'ubpf' ? "'call 1', 'call local fn' or 'call %r2'" : "'call 1', 'call bpf_map_lookup_elem' or 'call pc+2'";
  throw c.error(`expected a call target like ${example}, got ${c.found()}`);
}
