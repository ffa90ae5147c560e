/**
 * Reading a program named on the command line: assembly text (`.s`, either
 * syntax), raw instructions (`.bin`, 8 bytes a slot, little-endian unless
 * told otherwise), or an ELF object from clang (read into a CollectionSpec by
 * readObject). Any other input is told apart by its content.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { EbpfError } from '../internal/errors.js';
import type { ByteOrder } from '../internal/bytes.js';
import { decodeInsns, decodeProgram, type Insn } from '../isa/index.js';
import { assemble } from '../asm/index.js';
import { helperIdByName } from '../platform/helper-ids.js';
import { loadCollectionSpec, type CollectionSpec } from '../elf/index.js';
import { InputError, UsageError } from './report.js';

/**
 * The license of assembly and raw input, which carries none: GPL, as the
 * kernel backend loads such a program (and the kernel's selftests load
 * theirs), so that both engines judge GPL-only helpers and kernel struct
 * reads alike.
 */
export const RAW_LICENSE = 'GPL';

export type InputKind = 'asm' | 'raw';

export interface ProgramInput {
  file: string;
  kind: InputKind;
  insns: Insn[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function readFileOrFail(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Whether the bytes look like text: valid UTF-8 without control bytes other than white space. */
function looksLikeText(bytes: Uint8Array): boolean {
  for (const b of bytes.subarray(0, 4096)) if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  return true;
}

/** Whether the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

export function inputKind(file: string, bytes: Uint8Array): InputKind {
  const ext = extname(file).toLowerCase();
  if (ext === '.s' || ext === '.asm') return 'asm';
  if (ext === '.bin' || ext === '.raw') return 'raw';
  if (isElf(bytes)) {
    throw new UsageError(`${file} is an ELF object: this command takes assembly or raw instructions (ebpf run, ebpf map and ebpf inspect take objects)`);
  }
  return looksLikeText(bytes) ? 'asm' : 'raw';
}

/** Read an ELF object into its CollectionSpec; a malformed object is an InputError naming the file. */
export function readObject(file: string, bytes: Uint8Array = readFileOrFail(file)): CollectionSpec {
  if (!isElf(bytes)) throw new UsageError(`${file} is not an ELF object (no \\x7fELF magic)`);
  try {
    return loadCollectionSpec(bytes);
  } catch (err) {
    if (err instanceof EbpfError) throw new InputError(file, err);
    throw err;
  }
}

/** Read, assemble or decode, and validate a program. Errors name the file (and line:col for assembly). */
export function readProgram(file: string, order: ByteOrder = 'le'): ProgramInput {
  const bytes = readFileOrFail(file);
  const kind = inputKind(file, bytes);
  try {
    const insns = kind === 'asm'
      ? assemble(new TextDecoder().decode(bytes), { file, helperId: helperIdByName })
      : decodeInsns(bytes, order);
    decodeProgram(insns);
    return { file, kind, insns };
  } catch (err) {
    if (err instanceof EbpfError) throw new InputError(file, err);
    throw err;
  }
}
