/** Assembly text ↔ instruction slots: the assembler (uBPF and kernel/LLVM syntax) and the disassembler. */
export { AsmError } from './errors.js';
export { assemble, type AssembleOptions } from './assemble.js';
export { disassemble, formatInsn, type DisasmFormat, type DisasmOptions } from './disasm.js';
