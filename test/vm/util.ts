/** Small builders for the interpreter tests: instructions composed from the uAPI constants. */
import {
  BPF_ALU, BPF_ALU64, BPF_CALL, BPF_DW, BPF_EXIT, BPF_JA, BPF_JMP, BPF_K, BPF_LDX, BPF_MEM, BPF_MOV, BPF_PSEUDO_CALL,
  BPF_ST, BPF_STX, BPF_X, insn, ldImm64, type Insn,
} from '../../src/isa/index.js';
import { AddressSpace } from '../../src/memory/index.js';
import { Vm, type RunOptions, type RunResult, type VmOptions } from '../../src/vm/index.js';

export const alu64 = (op: number, dst: number, src: number, off = 0): Insn => insn(BPF_ALU64 | op | BPF_X, dst, src, off);
export const alu64i = (op: number, dst: number, imm: number, off = 0): Insn => insn(BPF_ALU64 | op | BPF_K, dst, 0, off, imm);
export const alu32 = (op: number, dst: number, src: number, off = 0): Insn => insn(BPF_ALU | op | BPF_X, dst, src, off);
export const alu32i = (op: number, dst: number, imm: number, off = 0): Insn => insn(BPF_ALU | op | BPF_K, dst, 0, off, imm);
export const mov = (dst: number, imm: number): Insn => alu64i(BPF_MOV, dst, imm);
export const movr = (dst: number, src: number): Insn => alu64(BPF_MOV, dst, src);
export const lddw = (dst: number, value: bigint, src = 0): Insn[] => ldImm64(dst, value, src);
export const jmp = (op: number, dst: number, imm: number, off: number): Insn => insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
export const jmpr = (op: number, dst: number, src: number, off: number): Insn => insn(BPF_JMP | op | BPF_X, dst, src, off);
export const ja = (off: number): Insn => insn(BPF_JMP | BPF_JA, 0, 0, off);
export const call = (id: number): Insn => insn(BPF_JMP | BPF_CALL, 0, 0, 0, id);
export const callLocal = (rel: number): Insn => insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, rel);
export const exit = (): Insn => insn(BPF_JMP | BPF_EXIT);
export const ldx = (size: number, dst: number, src: number, off: number, mode = BPF_MEM): Insn => insn(BPF_LDX | mode | size, dst, src, off);
export const stx = (size: number, dst: number, src: number, off: number): Insn => insn(BPF_STX | BPF_MEM | size, dst, src, off);
export const st = (size: number, dst: number, off: number, imm: number): Insn => insn(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
export const stdw = (dst: number, off: number, imm: number): Insn => st(BPF_DW, dst, off, imm);

/**
 * One address space for the quick runs of a test file: every wasm memory
 * reserves a large range of virtual addresses, and hundreds of them alive
 * at once (before the collector runs) can exhaust it.
 */
const shared = new AddressSpace();

/**
 * Run `insns` on a fresh Vm; `mem` becomes a data region passed as r1
 * (address) and r2 (length). The Vm's stacks and the region are released
 * afterwards.
 */
export function run(insns: Insn[], options: VmOptions & { mem?: Uint8Array; run?: RunOptions } = {}): RunResult {
  const vm = new Vm(shared, options);
  const region = options.mem ? shared.alloc('mem', options.mem.length, 'data') : undefined;
  try {
    const args: RunOptions = { ...options.run };
    if (region) {
      shared.write(region.start, options.mem!);
      args.r1 ??= BigInt(region.start);
      args.r2 ??= BigInt(region.size);
    }
    return vm.load(insns).run(args);
  } finally {
    if (region) shared.release(region);
    vm.dispose();
  }
}
