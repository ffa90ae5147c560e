/** The reference interpreter. */
export { Vm, VmProgram, DEFAULT_MAX_INSNS, type VmOptions, type RunOptions, type RunResult } from './vm.js';
export { BPF_MAX_LOOPS } from './machine.js';
export type { PacketContext } from '../helpers/index.js';
export { prepareProgram, type PreparedProgram } from './prepare.js';
export { RuntimeError } from '../helpers/index.js';
