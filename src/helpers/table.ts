/**
 * The helper dispatch table, one per runtime, shared by every engine.
 *
 * A helper takes r1–r5 as unsigned 64-bit BigInts and returns r0. BigInt is
 * the natural currency of both engines at this boundary: a WebAssembly import
 * of type (i64, …) → i64 receives and returns exactly these BigInts, so the
 * JIT can hand a table entry to its module as is, and the interpreter pays
 * the conversion only on calls, never on its ALU path.
 */
import { EbpfError } from '../internal/errors.js';
import type { HelperContext } from './context.js';

export type HelperFn = (ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

export interface HelperDef {
  /** The kernel's helper id (enum bpf_func_id). */
  readonly id: number;
  /** The kernel's name, `bpf_…`. */
  readonly name: string;
  readonly fn: HelperFn;
}

/** The functions ownHelper marked, by identity: a def that wraps one, or replaces it under its name, is not among them. */
const OWN = new WeakSet<HelperFn>();

/** Mark `def` as the runtime's own implementation of its helper, which an engine may run its own way (jit/intrinsics.ts). */
export function ownHelper(def: HelperDef): HelperDef {
  OWN.add(def.fn);
  return def;
}

/** Whether `def` is the runtime's own implementation of its helper (ownHelper): a helper put in its place is called as any other. */
export function isOwnHelper(def: HelperDef): boolean {
  return OWN.has(def.fn);
}

export class HelperTable {
  private readonly byId: (HelperDef | undefined)[] = [];

  constructor(defs: Iterable<HelperDef> = []) {
    for (const def of defs) this.set(def);
  }

  /** Add a helper, or replace the one with the same id. */
  set(def: HelperDef): this {
    if (!Number.isInteger(def.id) || def.id < 0) throw new EbpfError('EINVAL', `helper ${def.name}: bad id ${def.id}`);
    this.byId[def.id] = def;
    return this;
  }

  get(id: number): HelperDef | undefined {
    return this.byId[id];
  }

  /** The kernel name of helper `id`, for disassembly and traces. */
  name(id: number): string | undefined {
    return this.byId[id]?.name;
  }

  /** Every helper, by id. */
  list(): HelperDef[] {
    return this.byId.filter((d): d is HelperDef => d !== undefined);
  }
}
