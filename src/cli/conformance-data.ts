/**
 * The `.data` format of the BPF conformance suite (../shared/conformance):
 * sections opened by `-- NAME`, `#` comments anywhere on a line.
 */
import { EbpfError } from '../internal/errors.js';
import { parseHexBytes } from '../internal/bytes.js';

export interface ConformanceCase {
  /** Assembly text (uBPF syntax), with the line in the file where it starts. */
  asm?: { text: string; line: number };
  /** Raw 64-bit instruction words, when `-- raw` is given (it overrides asm). */
  raw?: bigint[];
  mem?: Uint8Array;
  /** Expected r0 as an unsigned 64-bit value. */
  result?: bigint;
  /** The run must fail; the text (possibly empty) is the expected message. */
  error?: string;
}

export class ConformanceFormatError extends EbpfError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('ECONFORMANCE', message);
    this.line = line;
  }
}

/** Sections that only document the test. */
const INFORMATIONAL = new Set(['c', 'no register offset']);
const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error', ...INFORMATIONAL]);

function parseNumber(text: string, line: number, what: string): bigint {
  const t = text.trim();
  if (!/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) throw new ConformanceFormatError(line, `${what}: '${t}' is not a number`);
  const neg = t.startsWith('-');
  const v = BigInt(neg ? t.slice(1) : t);
  return BigInt.asUintN(64, neg ? -v : v);
}

/** Parse one `.data` file. Throws ConformanceFormatError with the line for what it cannot read. */
export function parseConformanceData(text: string): ConformanceCase {
  const sections = new Map<string, { lines: string[]; line: number }>();
  let current: { lines: string[]; line: number } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const header = /^--\s*(.*?)\s*$/.exec(raw);
    if (header) {
      const name = header[1];
      if (!KNOWN.has(name)) throw new ConformanceFormatError(i + 1, `unknown section '-- ${name}'`);
      current = { lines: [], line: i + 2 };
      sections.set(name, current);
      return;
    }
    current?.lines.push(raw);
  });

  const body = (name: string) => sections.get(name);
  const stripped = (lines: string[]) => lines.map((l) => l.replace(/#.*$/, '')).join('\n');
  const out: ConformanceCase = {};
  const asm = body('asm');
  if (asm) out.asm = { text: asm.lines.join('\n'), line: asm.line };
  const raw = body('raw');
  if (raw) {
    const tokens = stripped(raw.lines).split(/\s+/).filter(Boolean);
    // A raw section is either 64-bit words (0x…) or little-endian bytes, eight to a line.
    if (tokens.every((t) => /^0x[0-9a-fA-F]{1,16}$/.test(t))) {
      out.raw = tokens.map((t) => BigInt(t));
    } else {
      const bytes = parseHexBytes(tokens.join(''));
      if (!bytes || bytes.length % 8 !== 0) throw new ConformanceFormatError(raw.line, 'raw: expected 64-bit words or whole 8-byte instructions of hex bytes');
      const view = new DataView(bytes.buffer);
      out.raw = Array.from({ length: bytes.length / 8 }, (_, k) => view.getBigUint64(k * 8, true));
    }
  }
  const mem = body('mem');
  if (mem) {
    const bytes = parseHexBytes(stripped(mem.lines));
    if (!bytes) throw new ConformanceFormatError(mem.line, 'mem: expected hex bytes');
    out.mem = bytes;
  }
  const result = body('result');
  if (result) {
    const t = stripped(result.lines).trim();
    if (t) out.result = parseNumber(t, result.line, 'result');
  }
  const error = body('error');
  if (error) out.error = stripped(error.lines).trim();
  if (!out.asm && !out.raw) throw new ConformanceFormatError(1, 'no program: the file has neither an asm nor a raw section');
  if (out.result === undefined && out.error === undefined) throw new ConformanceFormatError(1, 'no expectation: the file has neither a result nor an error section');
  return out;
}

/** The raw words of a `-- raw` section as instruction bytes (each word little-endian). */
export function rawWordsToBytes(words: readonly bigint[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, w, true));
  return bytes;
}
