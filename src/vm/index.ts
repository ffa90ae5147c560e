/** The reference interpreter. */
export { Vm, VmProgram, DEFAULT_MAX_INSNS, type VmOptions, type RunOptions, type RunResult } from './vm.js';
export { BPF_MAX_LOOPS, type PacketContext } from './machine.js';
export { prepareProgram, regsWritten, type PreparedProgram } from './prepare.js';
export { RuntimeError } from '../helpers/index.js';
