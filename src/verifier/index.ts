/** The static verifier: decides as the Linux verifier decides and writes its log. */
export {
  BPF_COMPLEXITY_LIMIT_INSNS, BPF_COMPLEXITY_LIMIT_JMP_SEQ, probeLoads, verify, verifyOrThrow, type InsnAux, type MapDescriptor,
  type SourceLine, type VerifyOptions, type VerifyResult,
} from './verifier.js';
export * from './tnum.js';
export * from './bounds.js';
export * from './scalar.js';
export type { RegState, RegType, SlotType, StackSlot, FuncState, VerifierState } from './state.js';
export { btfStructAccess, btfStructId, btfStructIdsMatch, btfTypeName, sockBtf, type BtfAccess } from './btf-ptr.js';
export { explainRejection, formatExplanation, type Explanation, type PathStep, type RegisterFact } from './explain.js';
