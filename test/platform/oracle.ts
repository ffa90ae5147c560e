/**
 * What the platform tests need to ask the running kernel: load options for
 * a described program type, instruction builders, and the facts about this
 * kernel (build options, lockdown, capabilities) that decide whether a helper
 * a type names is offered.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseBtf, typeByName, type Btf } from '../../src/btf/index.js';
import {
  BPF_ALU64, BPF_CALL, BPF_DW, BPF_EXIT, BPF_JMP, BPF_K, BPF_LDX, BPF_MEM, BPF_MOV, BPF_ST, BPF_STX, BPF_X, type Insn,
} from '../../src/isa/index.js';
import { verifyOnKernel, type Kernel, type KernelVerdict, type KernelVerifyOptions } from '../../src/kernel/index.js';
import { retvalRange, type HelperCondition, type ProgramTypeSpec, type AttachTypeName } from '../../src/platform/index.js';

export const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
export const MOV = (dst: number, imm: number) => I(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
export const MOVX = (dst: number, src: number) => I(BPF_ALU64 | BPF_MOV | BPF_X, dst, src);
export const CALL = (id: number) => I(BPF_JMP | BPF_CALL, 0, 0, 0, id);
export const EXIT = I(BPF_JMP | BPF_EXIT);
export const STDW0 = (base: number, off: number) => I(BPF_ST | BPF_MEM | BPF_DW, base, 0, off, 0);
/** Size bits of a load or store of `size` bytes. */
export const SIZE_BITS: Readonly<Record<number, number>> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
export const LDX = (size: number, dst: number, src: number, off: number) => I(BPF_LDX | BPF_MEM | SIZE_BITS[size], dst, src, off);
export const STX = (size: number, dst: number, src: number, off: number) => I(BPF_STX | BPF_MEM | SIZE_BITS[size], dst, src, off);

/** A program of this type and attach type, as the kernel wants it loaded. */
export interface LoadTarget {
  spec: ProgramTypeSpec;
  attachType?: AttachTypeName;
  /** attach_btf_id, for types that attach to a kernel function or tracepoint. */
  attachBtfId?: number;
}

export function targetName(t: LoadTarget): string {
  return `${t.spec.name.toLowerCase()}${t.attachType ? `/${t.attachType.toLowerCase()}` : ''}`;
}

/** A value the target's verifier accepts at exit. */
export function exitValue(t: LoadTarget): number {
  return retvalRange(t.spec, t.attachType)?.[0] ?? 0;
}

export function loadOptions(t: LoadTarget, extra: Partial<KernelVerifyOptions> = {}): KernelVerifyOptions {
  return {
    type: t.spec.type,
    flags: t.spec.loadFlags,
    ...(t.attachType ? { expectedAttachType: t.attachType.toLowerCase() } : {}),
    ...(t.attachBtfId !== undefined ? { attachBtfId: t.attachBtfId } : {}),
    ...extra,
  };
}

export function verify(kernel: Kernel, t: LoadTarget, insns: readonly Insn[], extra: Partial<KernelVerifyOptions> = {}): KernelVerdict {
  return verifyOnKernel(kernel, insns, loadOptions(t, extra));
}

/** The last line of a rejection, the kernel's reason. */
export function reason(v: KernelVerdict): string {
  return v.accepted ? 'accepted' : (v.error?.message.split('\n').filter(Boolean).pop() ?? '?');
}

let vmlinux: Btf | undefined;

/** The running kernel's BTF (parsed once per test process). */
export function vmlinuxBtf(): Btf {
  vmlinux ??= parseBtf(readFileSync('/sys/kernel/btf/vmlinux')).btf;
  return vmlinux;
}

/** Targets for BTF-attached types that this kernel loads without a trampoline: tp_btf and iterators. */
export function btfTargets(spec: ProgramTypeSpec): LoadTarget[] {
  if (spec.name !== 'TRACING') return [];
  const btf = vmlinuxBtf();
  const rawTp = typeByName(btf, 'btf_trace_sched_switch', 'typedef');
  const iter = typeByName(btf, 'bpf_iter_task', 'func');
  return [
    ...(rawTp !== undefined ? [{ spec, attachType: 'TRACE_RAW_TP' as const, attachBtfId: rawTp }] : []),
    ...(iter !== undefined ? [{ spec, attachType: 'TRACE_ITER' as const, attachBtfId: iter }] : []),
  ];
}

/** Every (type, attach type) of a description that loads without an attach target. */
export function plainTargets(spec: ProgramTypeSpec): LoadTarget[] {
  if (spec.attachBtf) return [];
  const attach: (AttachTypeName | undefined)[] = spec.attachTypeRequired ? [...spec.attachTypes] : [undefined, ...spec.attachTypes];
  return attach.map((attachType) => ({ spec, attachType }));
}

/** The kernel facts that decide HelperCondition, read where the kernel shows them; undefined where it does not. */
export interface KernelFacts {
  config?: ReadonlyMap<string, string>;
  lockdown?: 'none' | 'integrity' | 'confidentiality';
  capabilities?: bigint;
}

const CAP_BIT: Readonly<Record<NonNullable<HelperCondition['capability']>, bigint>> = { CAP_SYS_ADMIN: 21n, CAP_PERFMON: 38n, CAP_BPF: 39n };

function readConfig(): Map<string, string> | undefined {
  try {
    const text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
    return new Map(text.split('\n').filter((l) => l.startsWith('CONFIG_')).map((l) => {
      const eq = l.indexOf('=');
      return [l.slice(0, eq), l.slice(eq + 1)] as [string, string];
    }));
  } catch {
    return undefined;
  }
}

function readLockdown(config: ReadonlyMap<string, string> | undefined): KernelFacts['lockdown'] {
  try {
    const m = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/security/lockdown', 'utf8'));
    if (m) return m[1] as KernelFacts['lockdown'];
  } catch {
    // securityfs not mounted: the build options may still force a level.
  }
  if (config?.get('CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY') === 'y') return 'confidentiality';
  if (config?.get('CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY') === 'y') return 'integrity';
  if (config && !config.has('CONFIG_SECURITY_LOCKDOWN_LSM')) return 'none';
  return undefined;
}

export function kernelFacts(): KernelFacts {
  const config = readConfig();
  const caps = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return { config, lockdown: readLockdown(config), capabilities: caps ? BigInt(`0x${caps[1]}`) : undefined };
}

/** Whether this kernel offers a helper under `cond`: true, false, or undefined when the facts are unknown. */
export function offered(cond: HelperCondition, facts: KernelFacts): boolean | undefined {
  const answers: (boolean | undefined)[] = [];
  if (cond.config) answers.push(facts.config ? facts.config.has(cond.config) : undefined);
  if (cond.lockdown) {
    const level = { none: 0, integrity: 1, confidentiality: 2 };
    answers.push(facts.lockdown === undefined ? undefined : level[facts.lockdown] < level[cond.lockdown]);
  }
  if (cond.capability) answers.push(facts.capabilities === undefined ? undefined : ((facts.capabilities >> CAP_BIT[cond.capability]) & 1n) === 1n);
  if (answers.includes(false)) return false;
  return answers.includes(undefined) ? undefined : true;
}
