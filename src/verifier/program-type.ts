/**
 * What the verifier needs to know about a program type, all from
 * src/platform/program-types.ts: the context, the helpers it may call, the
 * range its return value must be in, whether it may write the packet.
 */
import type { ContextSpec } from '../platform/contexts.js';
import type { BpfFuncProto } from '../platform/helper-protos.js';
import { funcProto, programCtxAccess, programType, retvalRange, type ProgramTypeSpec } from '../platform/program-types.js';
import type { CtxAccessResult, CtxAccessType } from '../platform/contexts.js';

export interface ProgramTypeInfo {
  spec: ProgramTypeSpec;
  ctx: ContextSpec;
  /** `may_access_direct_pkt_data` for stores. */
  pktWrite: boolean;
  /** `check_return_code`'s range, or null when any scalar goes. */
  retval: readonly [number, number] | null;
  /** The prototype this type gets for a helper id (`get_func_proto`), or undefined. */
  proto(id: number): BpfFuncProto | undefined;
  ctxAccess(off: number, size: number, type: CtxAccessType): CtxAccessResult | undefined;
}

/** funcProto filters the type's helper list on every call: each type asks once per helper id, for every verification. */
const protoCache = new WeakMap<ProgramTypeSpec, Map<number, BpfFuncProto | undefined>>();

/** The program type named `xdp`, `BPF_PROG_TYPE_XDP` or 6; src/platform's typed error for one it does not describe. */
export function programTypeInfo(progType: string | number): ProgramTypeInfo {
  const spec = programType(progType);
  let protos = protoCache.get(spec);
  if (!protos) protoCache.set(spec, protos = new Map());
  return {
    spec,
    ctx: spec.ctx,
    pktWrite: spec.packetAccess === 'read-write',
    retval: retvalRange(spec),
    proto: (id) => {
      if (!protos.has(id)) protos.set(id, funcProto(spec, id));
      return protos.get(id);
    },
    ctxAccess: (off, size, type) => programCtxAccess(spec, off, size, type),
  };
}
