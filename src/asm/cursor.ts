/**
 * A cursor over the tokens of one line, with the operand readers both
 * syntaxes share: registers, numbers with their range rules, jump targets.
 *
 * Ranges: a 32-bit immediate in decimal is signed (-2147483648..2147483647);
 * in hex it may also be written as its unsigned 32-bit pattern
 * (0x0..0xffffffff). Offsets are signed 16-bit in either radix. A 64-bit
 * immediate takes -2^63..2^64-1.
 */
import { BPF_REG_10 } from '../isa/index.js';
import { AsmError } from './errors.js';
import type { LexedLine, Token } from './lexer.js';

/** A jump or call target: a relative slot count already known, or a label to resolve. */
export type Target =
  | { kind: 'relative'; value: number }
  | { kind: 'label'; name: string; column: number };

/** A number as written, sign included, for range checks and messages. */
export interface Literal {
  value: bigint;
  hex: boolean;
  /** The text with its sign, e.g. `-0x10`. */
  text: string;
  column: number;
}

/** How registers are written: `%r1` (uBPF) or `r1`/`w1` (kernel, LLVM). */
export type RegisterStyle = 'ubpf' | 'kernel';

export interface Register {
  readonly reg: number;
  /** Written as `wN` (the 32-bit view). Always false in uBPF syntax. */
  readonly w: boolean;
  readonly column: number;
}

const S16 = { min: -(2n ** 15n), max: 2n ** 15n - 1n };
const S32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };

export class Cursor {
  private pos = 0;

  constructor(
    private readonly lexed: LexedLine,
    readonly line: number,
    readonly file: string | undefined,
  ) {}

  get tokens(): readonly Token[] {
    return this.lexed.tokens;
  }

  /** The token `ahead` positions from the cursor, or undefined past the end. */
  peek(ahead = 0): Token | undefined {
    return this.lexed.tokens[this.pos + ahead];
  }

  atEnd(): boolean {
    return this.pos >= this.lexed.tokens.length;
  }

  /** Column of the current token, or just past the line's text at the end. */
  column(): number {
    return this.peek()?.column ?? this.lexed.endColumn;
  }

  /** An error at the current token (or at the end of the line). */
  error(message: string, column = this.column()): AsmError {
    return new AsmError(message, this.line, column, this.file);
  }

  /** "got 'x'" or "got the end of the line", for messages. */
  found(tok = this.peek()): string {
    return tok ? `'${tok.text}'` : 'the end of the line';
  }

  next(): Token {
    const tok = this.peek();
    if (!tok) throw this.error('unexpected end of the line');
    this.pos++;
    return tok;
  }

  /** Consume the punctuation `text` if it is next. */
  accept(text: string): boolean {
    const tok = this.peek();
    if (tok && tok.kind === 'punct' && tok.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Consume the identifier `word` if it is next. */
  acceptWord(word: string): boolean {
    const tok = this.peek();
    if (tok && tok.kind === 'ident' && tok.text === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(text: string, what = `'${text}'`): Token {
    const tok = this.peek();
    if (!tok || tok.kind !== 'punct' || tok.text !== text) throw this.error(`expected ${what}, got ${this.found()}`);
    this.pos++;
    return tok;
  }

  expectWord(word: string): Token {
    const tok = this.peek();
    if (!tok || tok.kind !== 'ident' || tok.text !== word) throw this.error(`expected '${word}', got ${this.found()}`);
    this.pos++;
    return tok;
  }

  expectEnd(context: string): void {
    if (!this.atEnd()) throw this.error(`unexpected ${this.found()} after ${context}`);
  }

  /** Is the next token a register in this style (valid or not)? */
  isRegister(style: RegisterStyle, ahead = 0): boolean {
    const tok = this.peek(ahead);
    if (!tok || tok.kind !== 'ident') return false;
    return style === 'ubpf' ? /^%/.test(tok.text) : /^[rw][0-9]+$/.test(tok.text);
  }

  /** A register: `%rN` in uBPF syntax, `rN` or `wN` in kernel syntax; N in 0..10. */
  register(style: RegisterStyle): Register {
    const tok = this.peek();
    const example = style === 'ubpf' ? '%r1' : 'r1';
    const m = tok && tok.kind === 'ident' ? (style === 'ubpf' ? /^%r([0-9]+)$/ : /^([rw])([0-9]+)$/).exec(tok.text) : null;
    const n = m ? Number(m[m.length - 1]) : NaN;
    if (!tok || !m || !(n <= BPF_REG_10) || m[m.length - 1].length > 2) {
      const invalid = this.isRegister(style) ? 'Invalid register: ' : '';
      throw this.error(`${invalid}expected a register like ${example}, got ${this.found()}`);
    }
    this.pos++;
    return { reg: n, w: style === 'kernel' && m[1] === 'w', column: tok.column };
  }

  /** An optionally signed number literal (`+` and `-` may each appear once, as in the kernel's `skb[r1 + -4]`). */
  literal(what: string): Literal {
    const column = this.column();
    let negative = false;
    let sign = '';
    for (let signs = 0; signs < 2; signs++) {
      if (this.accept('-')) { negative = !negative; sign = '-'; continue; }
      if (this.accept('+')) continue;
      break;
    }
    const tok = this.peek();
    if (!tok || tok.kind !== 'number') throw this.error(`expected ${what}, got ${this.found()}`);
    this.pos++;
    return { value: negative ? -tok.value : tok.value, hex: tok.hex, text: `${negative ? sign : ''}${tok.text}`, column };
  }

  /** Is a (possibly signed) number next? */
  isLiteral(): boolean {
    let k = 0;
    while (k < 2 && this.peek(k)?.kind === 'punct' && /^[-+]$/.test(this.peek(k)!.text)) k++;
    return this.peek(k)?.kind === 'number';
  }

  /** A signed 32-bit immediate; hex may also be the unsigned pattern. */
  imm32(what = 'an immediate'): number {
    return checkImm32(this.literal(what), this.line, this.file);
  }

  /** A signed 16-bit offset. */
  off16(what = 'an offset'): number {
    const lit = this.literal(what);
    if (lit.value < S16.min || lit.value > S16.max) {
      throw new AsmError(`offset ${lit.text} does not fit in 16 bits (-32768..32767)`, this.line, lit.column, this.file);
    }
    return Number(lit.value);
  }

  /** A 64-bit immediate, returned as its unsigned pattern. */
  imm64(what = 'a 64-bit immediate'): bigint {
    const lit = this.literal(what);
    if (lit.value < -(2n ** 63n) || lit.value >= 2n ** 64n) {
      throw new AsmError(`immediate ${lit.text} does not fit in 64 bits`, this.line, lit.column, this.file);
    }
    return BigInt.asUintN(64, lit.value);
  }

  /**
   * A jump target: `+N`, `-N`, `pc+N`, `pc-N` (relative, in slots) or a label.
   * `bits` is the width of the field that will hold it (16 for off, 32 for imm).
   */
  target(bits: 16 | 32): Target {
    const tok = this.peek();
    if (tok?.kind === 'ident' && tok.text === 'pc' && this.peek(1)?.kind === 'punct' && /^[-+]$/.test(this.peek(1)!.text)) {
      this.pos++;
      return this.relative(bits);
    }
    if (tok?.kind === 'punct' && (tok.text === '+' || tok.text === '-')) return this.relative(bits);
    if (tok?.kind === 'ident' && !tok.text.startsWith('%')) {
      this.pos++;
      return { kind: 'label', name: tok.text, column: tok.column };
    }
    throw this.error(`expected a jump target like +3, -2 or a label, got ${this.found()}`);
  }

  private relative(bits: 16 | 32): Target {
    const lit = this.literal('a jump offset');
    const range = bits === 16 ? S16 : S32;
    if (lit.value < range.min || lit.value > range.max) {
      throw new AsmError(`jump offset ${lit.text} does not fit in ${bits} bits`, this.line, lit.column, this.file);
    }
    return { kind: 'relative', value: Number(lit.value) };
  }
}

/** Range-check a 32-bit immediate and return its signed value. `hint` is added to the message when it does not fit. */
export function checkImm32(lit: Literal, line: number, file: string | undefined, hint = ''): number {
  const max = lit.hex ? 2n ** 32n - 1n : S32.max;
  if (lit.value < S32.min || lit.value > max) {
    const range = lit.hex ? '-0x80000000..0xffffffff' : '-2147483648..2147483647';
    throw new AsmError(`immediate ${lit.text} does not fit in 32 bits (${range})${hint}`, line, lit.column, file);
  }
  return Number(BigInt.asIntN(32, lit.value));
}
