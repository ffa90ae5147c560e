/**
 * Splits one line of assembly into tokens. Both syntaxes share it: the uBPF
 * one (`ldxb %r0, [%r1+2]`) and the kernel/LLVM one
 * (`r0 = *(u8 *)(r1 + 2)`, `w0 s/= w1`, `call bpf_map_lookup_elem#1`).
 *
 * Comments: `;` and `//` anywhere; `#` at the start of the line or after
 * white space (so the `#` of `bpf_map_lookup_elem#1` stays a token).
 */
import { AsmError } from './errors.js';

export type TokenKind = 'ident' | 'number' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written. */
  readonly text: string;
  /** 1-based column of the first character. */
  readonly column: number;
  /** Numbers: the value (always non-negative: a sign is its own token). */
  readonly value: bigint;
  /** Numbers: written in hex. */
  readonly hex: boolean;
  /** White space (or the start of the line) comes right before the token. */
  readonly spaced: boolean;
}

/**
 * Multi-character operators, longest first. The `s`-prefixed ones are the
 * kernel's signed operators (`s>>=`, `s/=`, `s<`); they are only operators
 * where a token starts, so identifiers beginning with `s` are unaffected.
 */
const OPERATORS = [
  's>>=', '<<=', '>>=', 's/=', 's%=', 's<=', 's>=', 's<', 's>',
  '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
];

/** Identifiers: names, `%r1` registers, labels like `.LBB0_1`, and `kernel-function`. */
const IDENT = /^(?:[A-Za-z_.$]|%(?=[A-Za-z]))[A-Za-z0-9_.$]*(?:-[A-Za-z_][A-Za-z0-9_.$]*)*/;
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|[0-9]+)/;
const IDENT_CHAR = /[A-Za-z0-9_.$]/;

export interface LexedLine {
  readonly tokens: Token[];
  /** Column just past the last character before any comment, for "expected … at end of line" errors. */
  readonly endColumn: number;
}

/** Tokenize `text` (one line, 1-based line number `line` for errors). */
export function lexLine(text: string, line: number, file?: string): LexedLine {
  const tokens: Token[] = [];
  let i = 0;
  let end = text.length;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\r') { i++; continue; }
    const spaced = i === 0 || /\s/.test(text[i - 1]);
    if (ch === ';' || (ch === '/' && text[i + 1] === '/') || (ch === '#' && spaced)) { end = i; break; }
    const rest = text.slice(i);
    const column = i + 1;
    const number = NUMBER.exec(rest);
    if (number) {
      const after = rest[number[0].length];
      if (after !== undefined && IDENT_CHAR.test(after)) {
        const word = /^[A-Za-z0-9_.$]+/.exec(rest)![0];
        throw new AsmError(`malformed number '${word}'`, line, column, file);
      }
      const hex = /^0[xX]/.test(number[0]);
      tokens.push({ kind: 'number', text: number[0], column, value: BigInt(number[0]), hex, spaced });
      i += number[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      tokens.push({ kind: 'punct', text: op, column, value: 0n, hex: false, spaced });
      i += op.length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], column, value: 0n, hex: false, spaced });
      i += ident[0].length;
      continue;
    }
    tokens.push({ kind: 'punct', text: ch, column, value: 0n, hex: false, spaced });
    i++;
  }
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return { tokens, endColumn: end + 1 };
}
