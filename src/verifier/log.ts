import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, imm64, type Insn } from '../isa/index.js';

/**
 * The verifier's log as a list of chunks. At level 1 the kernel keeps only
 * the failing path: popping a branch rewinds the log to where the branch was
 * pushed. Rewinding one long string (slice) copies it whole every time, so a
 * walk with many branches would be quadratic in its log's size; dropping
 * chunks is not.
 */
export class VerifierLog {
  private readonly chunks: string[] = [];

  /** A position to rewind to: what has been written so far. */
  get pos(): number {
    return this.chunks.length;
  }

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** The last chunk ends a line (or nothing was written). */
  get atLineStart(): boolean {
    return this.chunks.length === 0 || this.chunks[this.chunks.length - 1].endsWith('\n');
  }

  write(text: string): void {
    if (text) this.chunks.push(text);
  }

  /** Forget what was written after `pos`. */
  rewind(pos: number): void {
    this.chunks.length = pos;
  }

  /** Replace the last chunk written (a state printed after its instruction, not on a line of its own). */
  replaceLast(text: string): void {
    this.chunks[this.chunks.length - 1] = text;
  }

  toString(): string {
    return this.chunks.join('');
  }
}

/**
 * The address the log prints for the map at `index` in the program's map list. The kernel prints
 * the `struct bpf_map` pointer that resolving the load wrote into it: a kernel address that differs
 * on every load. Ours is derived from the map's position so that the log stays deterministic (golden
 * files, diffs); it lies in x86-64's direct map as the kernel's does, so that a comparison with the
 * kernel's log masks both alike.
 */
export function logMapAddress(index: number): bigint {
  return 0xffff888100000000n + BigInt(index) * 0x10000n;
}

/** Where an array map's values start after the map's header (`bpf_array.value`), for the same reason. */
const MAP_VALUE_OFFSET = 0x200n;

/**
 * The kernel's text for a 64-bit load of a pseudo source, once resolved: a map load prints the
 * map's address, a map value load the value's address plus its offset, other kinds their raw
 * 64-bit immediate. Without CAP_PERFMON (`allow_ptr_leaks`) the kernel prints 0 for the fd kinds,
 * and not for the index kinds, which disasm.c does not count as pointers.
 */
export function logPseudoImm(privileged: boolean): (ins: Insn, next: Insn) => string {
  return (ins, next) => {
    let value = imm64(ins, next);
    if (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_IDX) value = logMapAddress(ins.imm);
    if (ins.src === BPF_PSEUDO_MAP_VALUE || ins.src === BPF_PSEUDO_MAP_IDX_VALUE) value = logMapAddress(ins.imm) + MAP_VALUE_OFFSET + BigInt(next.imm >>> 0);
    if (!privileged && (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_VALUE)) value = 0n;
    return `0x${value.toString(16)}`;
  };
}
