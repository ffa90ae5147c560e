/**
 * What the verifier needs to know about a program type, all from
 * src/platform/program-types.ts: the context, the helpers it may call, the
 * range its return value must be in, whether it may write the packet.
 */
import type { ContextSpec } from '../platform/contexts.js';
import type { BpfFuncProto } from '../platform/helper-protos.js';
import {
  PlatformError, funcProto, programCtxAccess, programType, retvalRange, type ProgramTypeSpec,
} from '../platform/program-types.js';
import { BPF_ATTACH_TYPE, attachTypeName, type AttachTypeName } from '../platform/uapi.js';
import type { CtxAccessResult, CtxAccessType } from '../platform/contexts.js';

export interface ProgramTypeInfo {
  spec: ProgramTypeSpec;
  ctx: ContextSpec;
  /** `may_access_direct_pkt_data` for stores. */
  pktWrite: boolean;
  /** The expected attach type it was loaded with (undefined: the type's default). */
  attachType: AttachTypeName | undefined;
  /** `check_return_code`'s range, or null when any scalar goes. */
  retval: readonly [number, number] | null;
  /** The prototype this type gets for a helper id (`get_func_proto`), or undefined. */
  proto(id: number): BpfFuncProto | undefined;
  ctxAccess(off: number, size: number, type: CtxAccessType): CtxAccessResult | undefined;
}

/** funcProto filters the type's helper list on every call: each type and attach type asks once per helper id, for every verification. */
const protoCache = new WeakMap<ProgramTypeSpec, Map<string, Map<number, BpfFuncProto | undefined>>>();

/**
 * The program type named `xdp`, `BPF_PROG_TYPE_XDP` or 6, loaded with an
 * expected attach type (a number or a name); src/platform's typed error for
 * a type it does not describe.
 */
export function programTypeInfo(progType: string | number, expectedAttachType?: string | number): ProgramTypeInfo {
  const spec = programType(progType);
  const attach = attachTypeOf(expectedAttachType);
  let byAttach = protoCache.get(spec);
  if (!byAttach) protoCache.set(spec, byAttach = new Map());
  let protos = byAttach.get(attach ?? '');
  if (!protos) byAttach.set(attach ?? '', protos = new Map());
  return {
    spec,
    ctx: spec.ctx,
    pktWrite: spec.packetAccess === 'read-write',
    attachType: attach,
    retval: retvalRange(spec, attach),
    proto: (id) => {
      if (!protos.has(id)) protos.set(id, funcProto(spec, id, attach));
      return protos.get(id);
    },
    ctxAccess: (off, size, type) => programCtxAccess(spec, off, size, type, attach),
  };
}

/** The uAPI name of an attach type given as a number or a name; undefined for 0 or none (the type's default). */
function attachTypeOf(type: string | number | undefined): AttachTypeName | undefined {
  if (type === undefined || type === 0 || type === '') return undefined;
  const name = typeof type === 'number' ? attachTypeName(type)?.toUpperCase() : type.toUpperCase().replace(/^BPF_/, '');
  if (name === undefined || !(name in BPF_ATTACH_TYPE)) throw new PlatformError(`unknown expected attach type ${JSON.stringify(type)}`);
  return name as AttachTypeName;
}
