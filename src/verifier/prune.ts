/**
 * State pruning: `states_equal`, `regsafe`, `stacksafe`, `refsafe`. A state
 * reaching an instruction is safe without being explored when an already
 * explored state there covers it: every value it may hold, the old one could
 * hold too, for every register and stack slot that may still be read.
 *
 * As the kernel, imprecise scalars (those no decision below the old state
 * depended on, precision.ts) match anything; precise ones are compared.
 */
import { BPF_REG_SIZE, unknownScalar, type FuncState, type RegState, type StackSlot, type VerifierState } from './state.js';
import { tnumIn, tnumSame } from './tnum.js';

/** old_id → cur_id, as `check_ids` builds it: one old id may stand for one current id only. */
class IdMap {
  /** Built on the first pair of ids: most comparisons meet none. */
  private map: Map<number, number> | undefined;
  private used: Set<number> | undefined;
  /** Fresh ids for scalars without one, above any id a verification hands out. */
  private tmpIdGen = 1 << 30;

  check(oldId: number, curId: number): boolean {
    if (!oldId && !curId) return true;
    if (!oldId || !curId) return false;
    const map = this.map ??= new Map();
    const used = this.used ??= new Set();
    const seen = map.get(oldId);
    if (seen !== undefined) return seen === curId;
    if (used.has(curId)) return false;
    map.set(oldId, curId);
    used.add(curId);
    return true;
  }

  /** `check_scalar_ids`: a scalar without id gets a fresh one, so two id-less scalars never alias. */
  checkScalar(oldId: number, curId: number): boolean {
    if (!oldId && !curId) return true;
    return this.check(oldId || ++this.tmpIdGen, curId || ++this.tmpIdGen);
  }
}

function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32Min <= c.u32Min && o.u32Max >= c.u32Max && o.s32Min <= c.s32Min && o.s32Max >= c.s32Max;
}

function regsExact(o: RegState, c: RegState, idmap: IdMap): boolean {
  return o.type === c.type && o.maybeNull === c.maybeNull && o.ringbuf === c.ringbuf && o.rdonly === c.rdonly &&
    o.untrusted === c.untrusted && o.trusted === c.trusted && o.rcu === c.rcu && o.btfId === c.btfId && o.off === c.off && o.addConst === c.addConst && o.range === c.range && o.memSize === c.memSize &&
    o.mapIndex === c.mapIndex && o.frameno === c.frameno && tnumSame(o.varOff, c.varOff) &&
    o.umin === c.umin && o.umax === c.umax && o.smin === c.smin && o.smax === c.smax &&
    o.u32Min === c.u32Min && o.u32Max === c.u32Max && o.s32Min === c.s32Min && o.s32Max === c.s32Max &&
    idmap.check(o.id, c.id) && idmap.check(o.refObjId, c.refObjId) && o.subprogno === c.subprogno;
}

/**
 * `regsafe`: is every value `cur` may hold one that `old` may hold (and was
 * proven safe with)? With `imprecise`, a scalar `old` holds that no decision
 * depended on (not `precise`) matches any scalar.
 */
export function regsafe(o: RegState, c: RegState, idmap: IdMap, exact: boolean, imprecise = false): boolean {
  if (o.type === 'not_init') return !exact || c.type === 'not_init';
  if (exact) return regsExact(o, c, idmap);
  if (o.type !== c.type || o.maybeNull !== c.maybeNull || o.ringbuf !== c.ringbuf || o.rdonly !== c.rdonly ||
    o.untrusted !== c.untrusted || o.trusted !== c.trusted || o.rcu !== c.rcu) return false;
  switch (o.type) {
    case 'scalar':
      if (imprecise && !o.precise) return true;
      return o.addConst === c.addConst && (!o.addConst || o.off === c.off) &&
        rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && idmap.checkScalar(o.id, c.id);
    case 'pkt':
    case 'pkt_meta':
      if (o.off !== c.off) return false;
      if (o.range < 0 || c.range < 0) {
        if (o.range !== c.range) return false;
      } else if (o.range > c.range) return false;
      return idmap.check(o.id, c.id) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'fp':
      return o.frameno === c.frameno && o.off === c.off && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'map_value':
    case 'map_key':
    case 'mem':
      return o.off === c.off && o.mapIndex === c.mapIndex && o.memSize === c.memSize && rangeWithin(o, c) &&
        tnumIn(o.varOff, c.varOff) && idmap.check(o.id, c.id) && idmap.check(o.refObjId, c.refObjId);
    default:
      return regsExact(o, c, idmap);
  }
}

/** What a 64-bit load of an all-misc slot gives: a scalar nothing is known about, never precise. */
const UNBOUND: RegState = Object.freeze(unknownScalar());

/**
 * `scalar_reg_for_stack`: the scalar a 64-bit load of the slot gives, when it gives one: the spilled
 * scalar, or UNBOUND for bytes that are all misc (or uninitialised, where that may be read).
 */
function scalarRegForStack(s: StackSlot, allowUninit: boolean): RegState | undefined {
  if (s.slotType[0] === 'spill' && s.spilledPtr.type === 'scalar') return s.spilledPtr;
  return s.slotType.every((t) => t === 'misc' || (t === 'invalid' && allowUninit)) ? UNBOUND : undefined;
}

/**
 * `stacksafe`. With `allowUninit` (privileged), misc bytes stand for anything, uninitialised included.
 * A spilled scalar and all-misc bytes compare as the scalars a load of them gives (either way round).
 */
function stacksafe(o: FuncState, c: FuncState, idmap: IdMap, exact: boolean, allowUninit: boolean, imprecise: boolean): boolean {
  for (let spi = 0; spi < o.stack.length; spi++) {
    const os = o.stack[spi];
    const cs = c.stack[spi];
    let scalars = false;
    for (let j = 0; j < BPF_REG_SIZE; j++) {
      const ot = os.slotType[j];
      const ct = cs ? cs.slotType[j] : 'invalid';
      if (exact) {
        if (ot !== ct) return false;
        continue;
      }
      if (ot === 'invalid') continue;
      if (allowUninit && ot === 'misc') continue;
      if (!cs) return false;
      const oldReg = scalarRegForStack(os, allowUninit), curReg = oldReg && scalarRegForStack(cs, allowUninit);
      if (oldReg && curReg) {
        if (!regsafe(oldReg, curReg, idmap, exact, imprecise)) return false;
        scalars = true;
        break;
      }
      if (ot === 'misc' && ct === 'zero') continue;
      if (ot !== ct) return false;
    }
    if (!scalars && os.slotType[BPF_REG_SIZE - 1] === 'spill' && !regsafe(os.spilledPtr, cs.spilledPtr, idmap, exact, imprecise)) return false;
  }
  if (exact && c.stack.length > o.stack.length) {
    return c.stack.slice(o.stack.length).every((s) => s.slotType.every((t) => t === 'invalid'));
  }
  return true;
}

/**
 * `states_equal`: may the walk stop at `cur` because `old` (explored from the
 * same instruction) covers it? `live[f]` are the live registers of frame f.
 */
export function statesEqual(old: VerifierState, cur: VerifierState, live: readonly number[], exact: boolean, allowUninit: boolean, imprecise = false): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const idmap = new IdMap();
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f], cf = cur.frames[f];
    if (of.callsite !== cf.callsite) return false;
    for (let r = 0; r < 10; r++) {
      if (!exact && !(live[f] & (1 << r))) continue;
      if (!regsafe(of.regs[r], cf.regs[r], idmap, exact, imprecise)) return false;
    }
    if (!stacksafe(of, cf, idmap, exact, allowUninit, imprecise)) return false;
  }
  if (old.refs.length !== cur.refs.length) return false;
  return old.refs.every((r, i) => r.lockMap === cur.refs[i].lockMap && idmap.check(r.id, cur.refs[i].id));
}

/** `regs_exact` with one id map for a whole comparison, as `widen_imprecise_scalars` uses it. */
export function regsExactMatcher(): (o: RegState, c: RegState) => boolean {
  const idmap = new IdMap();
  return (o, c) => regsExact(o, c, idmap);
}
