/**
 * The Node.js entry of `ebpf`: everything of the core entry, plus the Linux
 * kernel backend (bpf(2) through koffi) and `loadCollection`, which loads the
 * same object on our interpreter, our JIT or the kernel.
 */
export * from './index.js';
export * as kernel from './kernel/index.js';
export { openKernel, kernelStatus, KernelError, KernelUnavailableError, type Kernel } from './kernel/index.js';
export { KernelCollection, loadCollection, verifyProgramOnKernel, type EngineKind } from './runtime/index.js';
