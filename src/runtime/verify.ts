/**
 * Verifying the programs of an object with our verifier, each as
 * loadCollection loads it: CO-RE applied (against the object's own BTF unless
 * a target is given), .kconfig resolved, every map of the spec described to
 * the verifier (global data sections as the array maps they become, maps of
 * maps with their inner map, values with a spin lock), and the program's
 * license, type, expected attach type, BTF and func_info.
 */
import type { Btf } from '../btf/index.js';
import type { CollectionSpec, MapSpec } from '../elf/index.js';
import { EbpfError, VerifierError } from '../internal/errors.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, PROGRAM_TYPES, progTypeName } from '../platform/index.js';
import type { Insn } from '../isa/index.js';
import { verify, type MapDescriptor, type VerifyOptions, type VerifyResult } from '../verifier/index.js';
import { initialValue, mapAttrs, relocateCore, spinLockOffset } from './collection.js';
import { localKconfig, resolveKconfig, type KconfigOptions } from './kconfig.js';

export interface VerifySpecOptions extends KconfigOptions {
  /** The BTF CO-RE relocations resolve against (default: the object's own BTF). */
  coreTarget?: Btf;
  /** 0: none; 1 (default): the failing path; 2: every instruction and state. */
  logLevel?: 0 | 1 | 2;
  unprivileged?: boolean;
  /** Possible CPUs, for perf event arrays sized by the loader (default 1). */
  nrCpus?: number;
}

/** A program our verifier cannot judge yet (or that no kernel would load), with the reason. */
export class UnsupportedProgramError extends EbpfError {
  constructor(readonly program: string, readonly reason: string, options?: { cause?: unknown }) {
    super('EUNSUPPORTED', `program ${program}: ${reason}`, options);
  }
}

/** The maps of a spec as the verifier sees them, in spec order (LD_IMM64 map indexes point into it). */
export function mapDescriptors(spec: CollectionSpec, nrCpus = 1): MapDescriptor[] {
  const describe = (m: MapSpec): MapDescriptor => ({
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, ...mapAttrs(m, nrCpus), flags: m.flags, name: m.name,
    ...(m.innerMap ? { innerMap: describe(m.innerMap) } : {}),
    // The loader freezes .rodata and .kconfig after writing them: the verifier reads their constants (little-endian, as the kernel).
    ...(m.frozen && m.type === BPF_MAP_TYPE.ARRAY && spec.byteOrder === 'le' ? { frozenValue: initialValue(m) } : {}),
    ...((off) => (off === undefined ? {} : { spinLockOff: off }))(spinLockOffset(spec.btf, m.btfValueTypeId)),
  });
  return spec.maps.map(describe);
}

/** Why our verifier does not judge a program of this type, or undefined when it does. */
function unsupportedReason(type: number): string | undefined {
  if (type === BPF_PROG_TYPE.UNSPEC) return 'its section names no program type (BPF_PROG_TYPE_UNSPEC), which the kernel refuses to load (EINVAL)';
  if (Object.values(PROGRAM_TYPES).some((p) => p.type === type)) return undefined;
  const name = progTypeName(type) ?? `number ${type}`;
  if (type === BPF_PROG_TYPE.STRUCT_OPS || type === BPF_PROG_TYPE.EXT) {
    return `${name} programs are verified against their attach target's BTF (attach_btf_id), which this verifier does not support yet`;
  }
  return `this verifier does not describe the ${name} program type yet`;
}

/**
 * The instructions and verifier options of one program of `spec`, as the
 * loader would hand it over. Throws UnsupportedProgramError for a program
 * type our verifier cannot judge, and the CollectionError of a relocation
 * that fails.
 */
export function verifierInput(spec: CollectionSpec, name: string, options: VerifySpecOptions = {}): { insns: Insn[]; options: VerifyOptions } {
  const program = spec.programs.find((p) => p.name === name);
  if (!program) throw new UnsupportedProgramError(name, 'the object has no such program');
  const reason = unsupportedReason(program.type);
  if (reason) throw new UnsupportedProgramError(name, reason);
  const prepared = resolveKconfig(relocateCore({ ...spec, programs: [program] }, options.coreTarget), localKconfig(options));
  const p = prepared.programs[0];
  return {
    insns: p.insns,
    options: {
      progType: p.type, expectedAttachType: p.expectedAttachType, license: p.license, logLevel: options.logLevel ?? 1,
      maps: mapDescriptors(prepared, options.nrCpus), unprivileged: options.unprivileged, lineInfo: p.lineInfo, progFlags: p.flags,
      ...(prepared.btf ? { btf: prepared.btf, funcInfo: p.funcInfo } : {}),
    },
  };
}

/** Verify one program of `spec` with our verifier (throws as verifierInput does). */
export function verifyProgramSpec(spec: CollectionSpec, name: string, options: VerifySpecOptions = {}): VerifyResult {
  const input = verifierInput(spec, name, options);
  return verify(input.insns, input.options);
}

/** Each program of `spec`, in spec order: our verifier's result, or why it was not verified. */
export function verifyCollectionSpec(spec: CollectionSpec, options: VerifySpecOptions = {}): { program: string; result?: VerifyResult; unsupported?: UnsupportedProgramError }[] {
  return spec.programs.map((p) => {
    try {
      return { program: p.name, result: verifyProgramSpec(spec, p.name, options) };
    } catch (err) {
      if (err instanceof UnsupportedProgramError) return { program: p.name, unsupported: err };
      throw err;
    }
  });
}

/** A program of an object our verifier rejected: the VerifierError, with the program's name. */
export class ProgramVerifierError extends VerifierError {
  constructor(readonly program: string, result: VerifyResult & { error: { insn: number; message: string } }) {
    super(`program ${program}: verifier rejected the program at insn ${result.error.insn}: ${result.error.message.split('\n')[0]}`, {
      insn: result.error.insn, log: result.log, summary: result.summary ?? result.error.message,
    });
  }
}

/**
 * The gate of a load onto our engines (the kernel engine has the kernel's
 * verifier): every program of `spec` verified, in spec order. A rejection
 * throws a ProgramVerifierError (log, failing instruction, our explanation
 * in `summary`, the program's name); a program our verifier cannot judge throws
 * UnsupportedProgramError, which says how to opt out.
 */
export function verifyPrograms(spec: CollectionSpec, options: VerifySpecOptions = {}): VerifyResult[] {
  const results: VerifyResult[] = [];
  for (const p of spec.programs) {
    let r: VerifyResult;
    try {
      r = verifyProgramSpec(spec, p.name, options);
    } catch (err) {
      if (err instanceof UnsupportedProgramError) {
        throw new UnsupportedProgramError(p.name, `our verifier cannot verify it yet: ${err.reason} (verify: false loads it unverified)`, { cause: err });
      }
      throw err;
    }
    if (r.error) throw new ProgramVerifierError(p.name, { ...r, error: r.error });
    results.push(r);
  }
  return results;
}
