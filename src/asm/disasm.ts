/**
 * The disassembler: one formatter, three dialects.
 *
 * - 'kernel': exactly as the Linux verifier log and `bpftool prog dump
 *   xlated` print (kernel/bpf/disasm.c, print_bpf_insn): `(bf) r2 = r10`,
 *   `(07) r1 += -8`, `(15) if r1 == 0x0 goto pc+2`, `(85) call
 *   bpf_map_lookup_elem#1`. Where the kernel's text loses a field, we print
 *   bpftool's form or a spelling our assembler reads back:
 *   64-bit loads of a pseudo source use bpftool's `map[id:N]`,
 *   `map[id:N][0]+V` and `subprog[+N]`, and LLVM's `ld_pseudo rD, src, imm`
 *   for the others; callx prints `callx rN` (the kernel would print
 *   `call bpf_unspec#0`, dropping the register).
 * - 'llvm': as `llvm-objdump -d --mcpu=v4` prints (without the byte
 *   columns): hex immediates, `w` registers for 32-bit accesses. LLVM prints
 *   every call as `call imm`; local calls print `call pc+0x3` and kfunc
 *   calls `call kernel-function#N` so they stay apart from helper calls.
 * - 'ubpf': the conformance-suite syntax, `ldxb %r0, [%r1+2]`.
 *
 * Every dialect assembles back to the same slots; the one exception is the
 * BTF fd index (off) of a kfunc call, which only 'ubpf' shows, as neither the
 * kernel nor LLVM print it.
 */
import {
  BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, InstructionError, decodeProgram, imm64,
  lookupOpcode, type Insn, type Opcode,
} from '../isa/index.js';
import { ALU_OPERATORS, ATOMIC_OPERATORS, JMP_OPERATORS, rowShape } from './syntax.js';

export type DisasmFormat = 'kernel' | 'llvm' | 'ubpf';

export interface DisasmOptions {
  /** Default 'kernel'. */
  format?: DisasmFormat;
  /** The name of a helper id (`bpf_map_lookup_elem` for 1), or undefined; the kernel format prints `unknown#id` without one. */
  helperName?: (id: number) => string | undefined;
  /** Prefix each line with its slot index, `12: `, as the verifier log does (lddw uses two indexes). */
  indexes?: boolean;
  /**
   * The kernel format's text for the value of a 64-bit load of a pseudo source (the kernel's
   * `cb_imm`): the verifier log prints the address the load was resolved to. Default bpftool's names.
   */
  pseudoImm?: (ins: Insn, next: Insn) => string;
}

/** Disassemble a whole program, one line per instruction. Throws InstructionError for a slot that is not a valid instruction. */
export function disassemble(insns: readonly Insn[], options: DisasmOptions = {}): string {
  const rows = decodeProgram(insns);
  const lines: string[] = [];
  rows.forEach((row, i) => {
    if (!row) return;
    const text = formatRow(row, insns, i, options);
    lines.push(options.indexes ? `${i}: ${text}` : text);
  });
  return lines.join('\n');
}

/** One instruction (both slots for lddw), without the index prefix. */
export function formatInsn(insns: readonly Insn[], index: number, options: DisasmOptions = {}): string {
  const ins = insns[index];
  if (!ins) throw new InstructionError(index, `no instruction at index ${index}: the program has ${insns.length} slots`);
  const width = lookupOpcode(ins.code, ins.src, ins.off, ins.imm)?.format === 'lddw' ? 2 : 1;
  let row: Opcode | null;
  try {
    row = decodeProgram(insns.slice(index, index + width))[0];
  } catch (err) {
    if (err instanceof InstructionError) throw new InstructionError(index + err.index, err.reason);
    throw err;
  }
  return formatRow(row!, insns, index, options);
}

function formatRow(row: Opcode, insns: readonly Insn[], index: number, options: DisasmOptions): string {
  const ins = insns[index];
  switch (options.format ?? 'kernel') {
    case 'kernel': return `(${ins.code.toString(16).padStart(2, '0')}) ${kernelText(row, ins, insns[index + 1], options)}`;
    case 'llvm': return llvmText(row, ins, insns[index + 1]);
    case 'ubpf': return ubpfText(row, ins, insns[index + 1]);
  }
}

/** `%+d`. */
function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** LLVM's signed hex: `0x10`, `-0x8`. */
function shex(n: number | bigint): string {
  return n < 0 ? `-0x${(-BigInt(n)).toString(16)}` : `0x${n.toString(16)}`;
}

/** LLVM's jump offsets: `+0x3`, `-0x1`. */
function jhex(n: number): string {
  return n < 0 ? shex(n) : `+${shex(n)}`;
}

/** LLVM's `r1 + 0x8` / `r1 - 0x8`. */
function llvmAddress(reg: number, off: number): string {
  return `r${reg} ${off < 0 ? '-' : '+'} 0x${Math.abs(off).toString(16)}`;
}

function kernelText(row: Opcode, ins: Insn, next: Insn | undefined, { helperName, pseudoImm }: DisasmOptions): string {
  const s = rowShape(row);
  const r = s.wide ? 'r' : 'w';
  const { dst, src, off, imm } = ins;
  switch (row.format) {
    case 'alu_reg':
      return s.base === 'movsx' ? `${r}${dst} = (s${s.bits})${r}${src}` : `${r}${dst} ${ALU_OPERATORS[s.base]} ${r}${src}`;
    case 'alu_imm': return `${r}${dst} ${ALU_OPERATORS[s.base]} ${imm}`;
    case 'neg': return `${r}${dst} = -${r}${dst}`;
    case 'endian': return `r${dst} = ${s.base}${s.bits} r${dst}`;
    case 'jmp_reg': return `if ${r}${dst} ${JMP_OPERATORS[s.base]} ${r}${src} goto pc${signed(off)}`;
    case 'jmp_imm': return `if ${r}${dst} ${JMP_OPERATORS[s.base]} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
    case 'ja': return `goto pc${signed(off)}`;
    case 'ja32': return `gotol pc${signed(imm)}`;
    case 'may_goto': return `may_goto pc${signed(off)}`;
    case 'call_helper': return `call ${helperName?.(imm) ?? 'unknown'}#${imm}`;
    case 'call_local': return `call pc${signed(imm)}`;
    case 'call_kfunc': return `call kernel-function#${imm}`;
    case 'callx': return `callx r${dst}`;
    case 'exit': return 'exit';
    case 'lddw': return pseudoImm && ins.src !== 0 ? `r${dst} = ${pseudoImm(ins, next!)}` : kernelLddw(row, ins, next!);
    case 'ldx': return `r${dst} = *(${s.signed ? 's' : 'u'}${s.bits} *)(r${src} ${signed(off)})`;
    case 'st': return `*(u${s.bits} *)(r${dst} ${signed(off)}) = ${imm}`;
    case 'stx': return `*(u${s.bits} *)(r${dst} ${signed(off)}) = r${src}`;
    case 'atomic': {
      const mem = `(u${s.bits} *)(r${dst} ${signed(off)})`;
      const w = s.wide ? '64' : '';
      if (s.base === 'cmpxchg') return `r0 = atomic${w}_cmpxchg(${mem}, r0, r${src})`;
      if (s.base === 'xchg') return `r${src} = atomic${w}_xchg(${mem}, r${src})`;
      if (s.fetch) return `r${src} = atomic${w}_fetch_${s.base}(${mem}, r${src})`;
      return `lock *${mem} ${ATOMIC_OPERATORS[s.base]} r${src}`;
    }
    case 'ldabs': return `r0 = *(u${s.bits} *)skb[${imm}]`;
    case 'ldind': return `r0 = *(u${s.bits} *)skb[r${src} + ${imm}]`;
  }
}

/** `r1 = 0x…`; bpftool's names for map and subprogram loads; LLVM's `ld_pseudo` for the rest. */
function kernelLddw(row: Opcode, ins: Insn, next: Insn): string {
  const value = imm64(ins, next!);
  const kind = row.match!.value;
  const d = `r${ins.dst}`;
  if (kind === 0) return `${d} = 0x${value.toString(16)}`;
  if (kind === BPF_PSEUDO_MAP_FD && next.imm === 0) return `${d} = map[id:${ins.imm >>> 0}]`;
  if (kind === BPF_PSEUDO_MAP_VALUE) return `${d} = map[id:${ins.imm >>> 0}][0]+${next.imm >>> 0}`;
  if (kind === BPF_PSEUDO_FUNC && next.imm === 0) return `${d} = subprog[${signed(ins.imm)}]`;
  return `ld_pseudo ${d}, ${kind}, 0x${value.toString(16)}`;
}

function llvmText(row: Opcode, ins: Insn, next: Insn | undefined): string {
  const s = rowShape(row);
  const r = s.wide ? 'r' : 'w';
  const { dst, src, off, imm } = ins;
  switch (row.format) {
    case 'alu_reg':
      return s.base === 'movsx' ? `${r}${dst} = (s${s.bits})${r}${src}` : `${r}${dst} ${ALU_OPERATORS[s.base]} ${r}${src}`;
    case 'alu_imm': return `${r}${dst} ${ALU_OPERATORS[s.base]} ${shex(imm)}`;
    case 'neg': return `${r}${dst} = -${r}${dst}`;
    case 'endian': return `r${dst} = ${s.base}${s.bits} r${dst}`;
    case 'jmp_reg': return `if ${r}${dst} ${JMP_OPERATORS[s.base]} ${r}${src} goto ${jhex(off)}`;
    case 'jmp_imm': return `if ${r}${dst} ${JMP_OPERATORS[s.base]} ${shex(imm)} goto ${jhex(off)}`;
    case 'ja': return `goto ${jhex(off)}`;
    case 'ja32': return `gotol ${jhex(imm)}`;
    case 'may_goto': return `may_goto ${jhex(off)}`;
    case 'call_helper': return `call ${shex(imm)}`;
    case 'call_local': return `call pc${jhex(imm)}`;
    case 'call_kfunc': return `call kernel-function#${imm}`;
    case 'callx': return `callx r${dst}`;
    case 'exit': return 'exit';
    case 'lddw': {
      const value = imm64(ins, next!);
      const kind = row.match!.value;
      return kind === 0 ? `r${dst} = ${shex(BigInt.asIntN(64, value))} ll` : `ld_pseudo r${dst}, ${shex(kind)}, 0x${value.toString(16)}`;
    }
    case 'ldx': {
      const reg = !s.signed && s.bits <= 32 ? 'w' : 'r';
      return `${reg}${dst} = *(${s.signed ? 's' : 'u'}${s.bits} *)(${llvmAddress(src, off)})`;
    }
    case 'st': return `*(u${s.bits} *)(${llvmAddress(dst, off)}) = ${shex(imm)}`;
    case 'stx': return `*(u${s.bits} *)(${llvmAddress(dst, off)}) = ${s.bits <= 32 ? 'w' : 'r'}${src}`;
    case 'atomic': {
      const addr = llvmAddress(dst, off);
      if (s.base === 'cmpxchg') return s.wide ? `r0 = cmpxchg_64(${addr}, r0, r${src})` : `w0 = cmpxchg32_32(${addr}, w0, w${src})`;
      if (s.base === 'xchg') return s.wide ? `r${src} = xchg_64(${addr}, r${src})` : `w${src} = xchg32_32(${addr}, w${src})`;
      if (s.fetch) return `${r}${src} = atomic_fetch_${s.base}((u${s.bits} *)(${addr}), ${r}${src})`;
      return `lock *(u${s.bits} *)(${addr}) ${ATOMIC_OPERATORS[s.base]} ${r}${src}`;
    }
    case 'ldabs': return `r0 = *(u${s.bits} *)skb[${shex(imm)}]`;
    case 'ldind': {
      // LLVM has no immediate here (`skb[r1]`); a non-zero one is shown as an addend.
      const addend = imm === 0 ? '' : ` ${imm < 0 ? '-' : '+'} 0x${Math.abs(imm).toString(16)}`;
      return `r0 = *(u${s.bits} *)skb[r${src}${addend}]`;
    }
  }
}

function ubpfText(row: Opcode, ins: Insn, next: Insn | undefined): string {
  const m = row.mnemonic;
  const { dst, src, off, imm } = ins;
  switch (row.format) {
    case 'alu_reg': return `${m} %r${dst}, %r${src}`;
    case 'alu_imm': return `${m} %r${dst}, ${imm}`;
    case 'neg': case 'endian': return `${m} %r${dst}`;
    case 'jmp_reg': return `${m} %r${dst}, %r${src}, ${signed(off)}`;
    case 'jmp_imm': return `${m} %r${dst}, ${imm}, ${signed(off)}`;
    case 'ja': case 'may_goto': return `${m} ${signed(off)}`;
    case 'ja32': return `${m} ${signed(imm)}`;
    case 'call_helper': return `call ${imm}`;
    case 'call_local': return `call local ${signed(imm)}`;
    case 'call_kfunc': return off === 0 ? `call kfunc ${imm}` : `call kfunc ${imm}, ${off}`;
    // The conformance suite writes callx as `call %rN`.
    case 'callx': return `call %r${dst}`;
    case 'exit': return m;
    case 'lddw': {
      const kind = row.match!.value;
      return `lddw %r${dst}, 0x${imm64(ins, next!).toString(16)}${kind === 0 ? '' : `, ${kind}`}`;
    }
    case 'ldx': return `${m} %r${dst}, [%r${src}${signed(off)}]`;
    case 'st': return `${m} [%r${dst}${signed(off)}], ${imm}`;
    case 'stx': case 'atomic': return `${m} [%r${dst}${signed(off)}], %r${src}`;
    case 'ldabs': return `${m} ${imm}`;
    case 'ldind': return `${m} %r${src}, ${imm}`;
  }
}
