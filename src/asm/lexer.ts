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

/** Identifiers: names, `%r1` registers, labels like `.LBB0_1`, and `kernel-function`. Sticky: matched where the lexer stands. */
const IDENT = /(?:[A-Za-z_.$]|%(?=[A-Za-z]))[A-Za-z0-9_.$]*(?:-[A-Za-z_][A-Za-z0-9_.$]*)*/y;
const NUMBER = /0[xX][0-9a-fA-F]+|[0-9]+/y;
const WORD = /[A-Za-z0-9_.$]+/y;
const IDENT_CHAR = /[A-Za-z0-9_.$]/;
const SPACE = /\s/;

/** The sticky `re`'s match at `i`, or undefined. */
function matchAt(re: RegExp, text: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(text)?.[0];
}

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
    const spaced = i === 0 || SPACE.test(text[i - 1]);
    if (ch === ';' || (ch === '/' && text[i + 1] === '/') || (ch === '#' && spaced)) { end = i; break; }
    const column = i + 1;
    const number = matchAt(NUMBER, text, i);
    if (number) {
      const after = text[i + number.length];
      if (after !== undefined && IDENT_CHAR.test(after)) {
        throw new AsmError(`malformed number '${matchAt(WORD, text, i)}'`, line, column, file);
      }
      const hex = number.length > 1 && (number[1] === 'x' || number[1] === 'X');
      tokens.push({ kind: 'number', text: number, column, value: BigInt(number), hex, spaced });
      i += number.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    const ident = op ? undefined : matchAt(IDENT, text, i);
    const tokenText = op ?? ident ?? ch;
    tokens.push({ kind: ident ? 'ident' : 'punct', text: tokenText, column, value: 0n, hex: false, spaced });
    i += tokenText.length;
  }
  while (end > 0 && SPACE.test(text[end - 1])) end--;
  return { tokens, endColumn: end + 1 };
}
