/**
 * Global functions, as `btf_prepare_func_args` sees them: the kernel verifies
 * a non-static function once, on its own, from what its BTF prototype says
 * about its arguments — a scalar, the program's context, or a pointer to
 * memory of the pointee's size that may be NULL — and callers only check
 * that they pass such arguments.
 */
import { resolveSize, skipModsAndTypedefs, typeById, type Btf, type BtfType } from '../btf/index.js';

/** enum btf_func_linkage. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
/** MAX_BPF_FUNC_REG_ARGS. */
const MAX_FUNC_REG_ARGS = 5;

/** What one argument register holds on entry (`bpf_subprog_arg_info`). */
export type GlobalArg = { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number };

export interface GlobalFunc {
  name: string;
  args: GlobalArg[];
}

/** `btf_type_str`: the kind's name in capitals (`STRUCT`, `FWD`); void is kind 0, `UNKNOWN`. */
function typeStr(t: BtfType): string {
  return t.kind === 'void' ? 'UNKNOWN' : t.kind.toUpperCase();
}

/**
 * The arguments of the global function whose BTF FUNC is `funcTypeId`, for a
 * program whose context is `struct <ctxStruct>`; the kernel's message when
 * its prototype is one the verifier does not take.
 */
export function prepareFuncArgs(btf: Btf, funcTypeId: number, ctxStruct: string): GlobalFunc | string {
  const func = typeById(btf, funcTypeId);
  if (func.kind !== 'func') return `func_info names type ${funcTypeId}, which is not a FUNC`;
  const proto = typeById(btf, func.type);
  if (proto.kind !== 'func_proto') return `${func.name}() has no function prototype`;
  const ret = skipModsAndTypedefs(btf, proto.returnType).type;
  if (ret.kind !== 'void' && ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64') {
    return `Global function ${func.name}() doesn't return scalar. Only those are supported.`;
  }
  if (proto.params.length > MAX_FUNC_REG_ARGS) {
    return `Global function ${func.name}() with ${proto.params.length} > ${MAX_FUNC_REG_ARGS} args. Buggy compiler.`;
  }
  const args: GlobalArg[] = [];
  for (const [i, p] of proto.params.entries()) {
    const t = skipModsAndTypedefs(btf, p.type).type;
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') {
      args.push({ kind: 'scalar' });
      continue;
    }
    if (t.kind !== 'ptr') return `Arg#${i} type ${typeStr(t)} in ${func.name}() is not supported yet.`;
    const pointee = skipModsAndTypedefs(btf, t.type).type;
    // `btf_is_prog_ctx_type`: a pointer to the context struct (a forward declaration of it is not one).
    if ((pointee.kind === 'struct' || pointee.kind === 'union') && pointee.name === ctxStruct) {
      args.push({ kind: 'ctx' });
      continue;
    }
    try {
      args.push({ kind: 'mem', size: resolveSize(btf, t.type) });
    } catch {
      return `arg#${i} reference type('${typeStr(pointee)} ${pointee.name}') size cannot be determined: -22`;
    }
  }
  return { name: func.name, args };
}
