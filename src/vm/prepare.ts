/**
 * Turning a program into the interpreter's form, once: validate it (every
 * slot defined, every jump and call landing on an instruction of the
 * program, no way to run off its end), then predecode each slot into three
 * parallel typed arrays so that the hot loop reads small integers and never
 * touches an object.
 *
 *   word[i]  bits 0-7: the dispatch code, bits 8-15: 2 * dst, bits 16-23:
 *            2 * src (registers are pairs of 32-bit halves)
 *   imm[i]   the immediate
 *   aux[i]   the memory offset, the absolute jump/call target, the high half
 *            of an lddw, or the width of a movsx
 *
 * The dispatch code is the opcode byte, except for the rows that share
 * their byte with another row (told apart by off or src) and are worth
 * their own case: those get an opcode byte the ISA leaves undefined
 * (DISPATCH). All codes stay below 0x100 so that the loop's switch is dense
 * enough for V8 to compile it into a jump table.
 */
import {
  BPF_ALU64, BPF_REG_10, InstructionError, bpfClass, jumpTarget, regsWritten, validateProgram,
  type Insn, type Opcode,
} from '../isa/index.js';

/**
 * Dispatch codes for the variant rows, taken from opcode bytes no row uses
 * (ALU op nibbles 0xe0 and 0xf0, JMP32/JMP op 0xe0/0xf0 with BPF_X).
 */
export const DISPATCH = {
  sdiv64imm: 0xe7, sdiv64reg: 0xef, sdiv32imm: 0xe4, sdiv32reg: 0xec,
  smod64imm: 0xf7, smod64reg: 0xff, smod32imm: 0xf4, smod32reg: 0xfc,
  movsx64: 0xee, movsx32: 0xe6,
  callLocal: 0xf5,
  /** An instruction whose only effect is to fault: a write to r10 in checked mode. */
  writesR10: 0xfd,
} as const;

/** The dispatch code of a row that shares its opcode byte, by mnemonic (without the 32 suffix) and width. */
function variantCode(row: Opcode): number | undefined {
  const is64 = bpfClass(row.code) === BPF_ALU64;
  const reg = row.format === 'alu_reg';
  if (row.mnemonic.startsWith('movsx')) return is64 ? DISPATCH.movsx64 : DISPATCH.movsx32;
  if (row.mnemonic.startsWith('sdiv')) return is64 ? (reg ? DISPATCH.sdiv64reg : DISPATCH.sdiv64imm) : (reg ? DISPATCH.sdiv32reg : DISPATCH.sdiv32imm);
  if (row.mnemonic.startsWith('smod')) return is64 ? (reg ? DISPATCH.smod64reg : DISPATCH.smod64imm) : (reg ? DISPATCH.smod32reg : DISPATCH.smod32imm);
  if (row.format === 'call_local') return DISPATCH.callLocal;
  return undefined;
}

export interface PreparedProgram {
  readonly insns: readonly Insn[];
  /** Each slot's row of the opcode table; null for the second half of an lddw. */
  readonly rows: readonly (Opcode | null)[];
  readonly word: Int32Array;
  readonly imm: Int32Array;
  readonly aux: Int32Array;
  /** 1 for a BPF_PROBE_MEM load: a read through a kernel struct pointer, which gives 0 where it faults. */
  readonly probe?: Uint8Array;
}

/** Validate and predecode. Throws InstructionError naming the slot for anything the interpreter cannot run. */
export function prepareProgram(insns: readonly Insn[], checked: boolean, probeLoads?: readonly number[]): PreparedProgram {
  const rows = validateProgram(insns);
  const n = insns.length;
  const word = new Int32Array(n);
  const imm = new Int32Array(n);
  const aux = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row === null) continue;
    const ins = insns[i];
    if (row.format === 'call_kfunc') {
      throw new InstructionError(i, `call kfunc (btf id ${ins.imm}): kernel functions exist only in the kernel, not in the interpreter`);
    }
    const to = jumpTarget(row, ins, i);
    let op = variantCode(row) ?? ins.code;
    if (checked && (regsWritten(ins, row) & (1 << BPF_REG_10)) !== 0) op = DISPATCH.writesR10;
    word[i] = op | (ins.dst << 9) | (ins.src << 17);
    imm[i] = ins.imm;
    if (to !== undefined) aux[i] = to;
    else if (row.format === 'lddw') aux[i] = insns[i + 1].imm;
    else aux[i] = ins.off;
  }
  let probe: Uint8Array | undefined;
  if (probeLoads?.length) {
    probe = new Uint8Array(n);
    for (const i of probeLoads) if (rows[i]?.format === 'ldx') probe[i] = 1;
  }
  return { insns, rows, word, imm, aux, ...(probe ? { probe } : {}) };
}

