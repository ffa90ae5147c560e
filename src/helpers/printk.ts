/**
 * The kernel's printf for BPF (bpf_bprintf_prepare + bstr_printf, as
 * bpf_trace_printk uses them): the same accepted specifiers, the same
 * rejections (-EINVAL), the same 512-byte scratch budget for arguments
 * (-ENOSPC) and the same 1024-byte output cut.
 *
 * Accepted: `%%`; flags `0 + - space` and a width; `%d %i %u %x %X` with
 * optional `l`/`ll`; `%c`; `%s`, `%pks`, `%pus` (followed by the end, a space
 * or punctuation); `%p` `%pK` `%px` `%ps` `%pS` `%pB`; `%pI4 %pi4 %pI6 %pi6`.
 * No precision, no `*`, no `#`.
 */

import { negErrno } from './errno.js';

/** Reads the formatter needs; `undefined` when the memory cannot be read (the kernel's nofault copies fail). */
export interface PrintfMemory {
  bytes(addr: bigint, size: number): Uint8Array | undefined;
  /** The bytes of the string at `addr`, up to (not including) its NUL or `max` bytes. */
  cString(addr: bigint, max: number): Uint8Array | undefined;
}

/** MAX_BPRINTF_BUF_LEN: scratch space for the arguments of one call. */
const ARG_BUF = 512;
/** MAX_BPRINTF_BUF: the formatted output, NUL included. */
const OUT_BUF = 1024;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPrint = (c: number) => c >= 0x20 && c <= 0x7e;
const isAlpha = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isPunct = (c: number) => isPrint(c) && c !== 0x20 && !isDigit(c) && !isAlpha(c);
const ch = (s: string) => s.charCodeAt(0);

interface Spec { left: boolean; zero: boolean; plus: boolean; space: boolean; width: number }

function pad(out: number[], body: number[], spec: Spec, sign = ''): void {
  const signBytes = [...sign].map(ch);
  const fill = Math.max(0, spec.width - body.length - signBytes.length);
  if (spec.left) {
    out.push(...signBytes, ...body);
    for (let i = 0; i < fill; i++) out.push(0x20);
  } else if (spec.zero) {
    out.push(...signBytes);
    for (let i = 0; i < fill; i++) out.push(0x30);
    out.push(...body);
  } else {
    for (let i = 0; i < fill; i++) out.push(0x20);
    out.push(...signBytes, ...body);
  }
}

const ascii = (s: string) => [...s].map(ch);

function ipText(kind: 'I4' | 'i4' | 'I6' | 'i6', b: Uint8Array): string {
  switch (kind) {
    case 'I4': return [...b].join('.');
    case 'i4': return [...b].map((x) => String(x).padStart(3, '0')).join('.');
    case 'I6': {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16).padStart(4, '0'));
      return groups.join(':');
    }
    case 'i6': return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  }
}

/**
 * Format `fmt` (its bytes before the NUL) with `args`. Returns the output
 * bytes (cut to 1023) and the length bstr_printf reports, or a negative errno.
 */
export function bprintf(fmt: Uint8Array, args: readonly bigint[], mem: PrintfMemory): { bytes: Uint8Array; length: number } | number {
  const out: number[] = [];
  let used = 0;
  let argIndex = 0;
  const at = (i: number) => (i < fmt.length ? fmt[i] : 0);
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c < 0x80 && !isPrint(c) && !isSpace(c)) return negErrno('EINVAL');
    if (c !== 0x25) { out.push(c); continue; }
    if (at(i + 1) === 0x25) { out.push(0x25); i++; continue; }
    if (argIndex >= args.length) return negErrno('EINVAL');
    const arg = BigInt.asUintN(64, args[argIndex++]);
    i++;
    if (at(i) >= 0x80) return negErrno('EINVAL');
    const spec: Spec = { left: false, zero: false, plus: false, space: false, width: 0 };
    for (;; i++) {
      const f = at(i);
      if (f === ch('0')) spec.zero = true;
      else if (f === ch('+')) spec.plus = true;
      else if (f === ch('-')) spec.left = true;
      else if (f === ch(' ')) spec.space = true;
      else break;
    }
    if (at(i) >= ch('1') && at(i) <= ch('9')) {
      while (isDigit(at(i))) spec.width = spec.width * 10 + at(i++) - 0x30;
    }
    const conv = at(i);
    const next = at(i + 1);
    const stringEnds = (k: number) => at(k) === 0 || isSpace(at(k)) || isPunct(at(k));

    const putPointer = () => {
      used = Math.ceil(used / 4) * 4;
      if (ARG_BUF - used < 8) return negErrno('ENOSPC');
      used += 8;
      return 0;
    };
    const putString = (addr: bigint): number => {
      if (used === ARG_BUF) return negErrno('ENOSPC');
      const s = mem.cString(addr, ARG_BUF - used - 1) ?? new Uint8Array(0);
      used += s.length + 1;
      pad(out, [...s], { ...spec, zero: false });
      return 0;
    };

    if (conv === ch('p')) {
      if ((next === ch('k') || next === ch('u')) && at(i + 2) === ch('s')) {
        i += 2;
        if (!stringEnds(i + 1)) return negErrno('EINVAL');
        const err = putString(arg);
        if (err) return err;
        continue;
      }
      if (next === 0 || isSpace(next) || isPunct(next) || [ch('K'), ch('x'), ch('s'), ch('S')].includes(next)) {
        if (next !== 0 && !isSpace(next) && !isPunct(next)) i++;
        const err = putPointer();
        if (err) return err;
        const symbolic = next === ch('s') || next === ch('S');
        if (symbolic) pad(out, ascii('0x' + arg.toString(16)), spec);
        else if (spec.width === 0) pad(out, ascii(arg.toString(16).padStart(16, '0')), spec);
        else pad(out, ascii(arg.toString(16)), spec);
        continue;
      }
      if (next === ch('B')) {
        i++;
        const text = '0x' + arg.toString(16);
        if (ARG_BUF - used < text.length + 1) return negErrno('ENOSPC');
        used += text.length + 1;
        pad(out, ascii(text), spec);
        continue;
      }
      const version = at(i + 2);
      if ((next !== ch('i') && next !== ch('I')) || (version !== ch('4') && version !== ch('6'))) return negErrno('EINVAL');
      i += 2;
      const size = version === ch('4') ? 4 : 16;
      if (ARG_BUF - used < size) return negErrno('ENOSPC');
      const raw = mem.bytes(arg, size) ?? new Uint8Array(size);
      const text = ipText(String.fromCharCode(next, version) as 'I4' | 'i4' | 'I6' | 'i6', raw);
      used += text.length + 1;
      pad(out, ascii(text), spec);
      continue;
    }
    if (conv === ch('s')) {
      if (!stringEnds(i + 1)) return negErrno('EINVAL');
      const err = putString(arg);
      if (err) return err;
      continue;
    }
    if (conv === ch('c')) {
      if (used === ARG_BUF) return negErrno('ENOSPC');
      used += 1;
      pad(out, [Number(arg & 0xffn)], { ...spec, zero: false });
      continue;
    }
    let bits = 32;
    if (at(i) === ch('l')) { bits = 64; i++; }
    if (at(i) === ch('l')) { i++; }
    const kind = at(i);
    if (![ch('i'), ch('d'), ch('u'), ch('x'), ch('X')].includes(kind)) return negErrno('EINVAL');
    used = Math.ceil(used / 4) * 4;
    if (ARG_BUF - used < bits / 8) return negErrno('ENOSPC');
    used += bits / 8;
    const value = BigInt.asUintN(bits, arg);
    if (kind === ch('x') || kind === ch('X')) {
      const hex = value.toString(16);
      pad(out, ascii(kind === ch('X') ? hex.toUpperCase() : hex), spec);
    } else if (kind === ch('u')) {
      pad(out, ascii(value.toString()), spec);
    } else {
      const signed = BigInt.asIntN(bits, value);
      const sign = signed < 0n ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
      pad(out, ascii((signed < 0n ? -signed : signed).toString()), spec, sign);
    }
  }
  return { bytes: Uint8Array.from(out.slice(0, OUT_BUF - 1)), length: out.length };
}
