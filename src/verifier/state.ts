/**
 * The verifier's state, named as include/linux/bpf_verifier.h names it:
 * `bpf_reg_state` (a type plus the scalar bounds), per-frame registers and
 * stack slots at byte granularity, the references a path holds — and how the
 * kernel's log prints them (`R1=ctx() R10=fp0 fp-8=mmmmmmmm`).
 */
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, markKnown, type ScalarBounds } from './bounds.js';
import { btfTypeName } from './btf-ptr.js';
import type { SockRegType } from './sock.js';
import { tnumIsConst, tnumIsUnknown, tnumStr, tnumUnknown } from './tnum.js';

/** Base register types (`enum bpf_reg_type`), as the log spells them. */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'map_ptr' | 'map_value' | 'map_key' | 'fp'
  | 'pkt' | 'pkt_meta' | 'pkt_end' | 'mem' | 'func' | SockRegType
  /** PTR_TO_BTF_ID: a kernel struct of the shipped BTF (`btfId`), as the log spells it (`ptr_tcp_sock`). */
  | 'ptr_';

export interface RegState extends ScalarBounds {
  type: RegType;
  /** PTR_MAYBE_NULL: the pointer must be compared with 0 before use. */
  maybeNull: boolean;
  /** MEM_RINGBUF: memory from bpf_ringbuf_reserve. */
  ringbuf: boolean;
  /** MEM_RDONLY. */
  rdonly: boolean;
  /** PTR_UNTRUSTED: a pointer read by walking a union or another untrusted pointer (PROBE_MEM loads only). */
  untrusted: boolean;
  /** PTR_TRUSTED. */
  trusted: boolean;
  /** MEM_RCU: trusted inside an RCU read section. */
  rcu: boolean;
  /** PTR_TO_BTF_ID: the struct's type id in the shipped socket BTF (btf-ptr.ts); 0 otherwise. */
  btfId: number;
  /** Fixed offset of a pointer (the variable part is in the bounds). */
  off: number;
  /** Shared by copies of one value: null checks and linked scalars propagate through it. */
  id: number;
  /** For linked scalars, `id=1-3`: this register is the other one plus `delta` (BPF_ADD_CONST). */
  addConst: boolean;
  /** The reference this pointer carries (ringbuf reservation), 0 for none. */
  refObjId: number;
  /** Packet pointers: bytes known to be inside the packet from `off` on. */
  range: number;
  /** PTR_TO_MEM: its size. */
  memSize: number;
  /** Index of the map in the options' `maps` for map pointers and map values. */
  mapIndex: number;
  /** PTR_TO_STACK: the frame the pointer points into. */
  frameno: number;
  precise: boolean;
  /** PTR_TO_FUNC: the subprogram (index) the pointer names; -1 otherwise. */
  subprogno: number;
}

function reg(type: RegType): RegState {
  return {
    varOff: tnumUnknown, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32Min: S32_MIN, s32Max: S32_MAX, u32Min: 0, u32Max: U32_MAX,
    type, maybeNull: false, ringbuf: false, rdonly: false, untrusted: false, trusted: false, rcu: false, btfId: 0, off: 0, id: 0,
    addConst: false, refObjId: 0, range: 0, memSize: 0, mapIndex: -1, frameno: 0, precise: false,
    subprogno: -1,
  };
}

export function notInit(): RegState {
  return reg('not_init');
}

export function unknownScalar(): RegState {
  return reg('scalar');
}

export function constScalar(v: bigint): RegState {
  const r = unknownScalar();
  markKnown(r, v);
  return r;
}

/** A pointer of `type` with fixed offset `off` and no variable part. */
export function pointer(type: RegType, off = 0): RegState {
  const r = reg(type);
  r.off = off;
  markKnown(r, 0n);
  return r;
}

/**
 * Field by field, in the order reg() creates them: one object shape, and
 * faster than a spread. `Required` makes a field added to RegState (optional
 * or not) a compile error here until it is copied too.
 */
export function copyReg(r: RegState): RegState {
  const copy: Required<RegState> = {
    varOff: r.varOff, smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax,
    s32Min: r.s32Min, s32Max: r.s32Max, u32Min: r.u32Min, u32Max: r.u32Max,
    type: r.type, maybeNull: r.maybeNull, ringbuf: r.ringbuf, rdonly: r.rdonly, untrusted: r.untrusted, trusted: r.trusted,
    rcu: r.rcu, btfId: r.btfId, off: r.off, id: r.id,
    addConst: r.addConst, refObjId: r.refObjId, range: r.range, memSize: r.memSize, mapIndex: r.mapIndex,
    frameno: r.frameno, precise: r.precise, subprogno: r.subprogno,
  };
  return copy;
}

/** Byte kinds of a stack slot (`enum bpf_stack_slot_type`). */
export type SlotType = 'invalid' | 'spill' | 'misc' | 'zero';

export interface StackSlot {
  /** slotType[j] describes the byte at fp - 8*spi - 8 + j... as the kernel indexes: j = (-off - 1) % 8 counted from the top. */
  slotType: SlotType[];
  spilledPtr: RegState;
}

export const BPF_REG_SIZE = 8;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export interface FuncState {
  regs: RegState[];
  /** stack[spi] covers fp-8*(spi+1) .. fp-8*spi-1. */
  stack: StackSlot[];
  frameno: number;
  /** Where to return to in the caller. */
  callsite: number;
  subprogno: number;
  /** A callback a helper calls (bpf_loop…): its exit goes back to the helper call, which may call it again. */
  inCallbackFn?: boolean;
  /** The callbacks this frame's helper call has run on this path (`callback_depth`). */
  callbackDepth?: number;
}

export interface RefState {
  id: number;
  insnIdx: number;
  /** A held bpf_spin_lock (REF_TYPE_LOCK): the index of the map whose value holds it; `id` is the value's id. */
  lockMap?: number;
}

export interface VerifierState {
  frames: FuncState[];
  refs: RefState[];
  /** may_goto fall-throughs taken on this path (`may_goto_depth`): states of different depths are different loop iterations. */
  mayGotoDepth?: number;
}

/**
 * The not_init registers of every checkpoint's state: a checkpoint is only
 * compared with later states and has its scalars marked precise, never
 * written otherwise, so they share this one (frozen: a write would throw).
 * The spilled register of a slot that holds no spill shares it too, in every
 * state: it is only written in place while the slot holds a spill, and a
 * spill always stores a register of its own first.
 */
const sharedNotInit: RegState = Object.freeze(notInit());

export function emptySlot(): StackSlot {
  return { slotType: new Array<SlotType>(BPF_REG_SIZE).fill('invalid'), spilledPtr: sharedNotInit };
}

export function newFrame(frameno: number, callsite: number, subprogno: number): FuncState {
  const regs: RegState[] = [];
  for (let r = 0; r < 10; r++) regs.push(notInit());
  regs.push(pointer('fp'));
  regs[10].frameno = frameno;
  return { regs, stack: [], frameno, callsite, subprogno, inCallbackFn: false, callbackDepth: 0 };
}


/**
 * A deep copy, at every branch and checkpoint. Field by field as copyReg
 * (a spread of a frame costs more than all its registers); `Required` makes
 * a field added to FuncState a compile error here until it is copied too.
 * For a `checkpoint`, not_init registers are not copied.
 */
export function cloneState(s: VerifierState, checkpoint = false): VerifierState {
  const frames: FuncState[] = [];
  for (const f of s.frames) {
    const regs: RegState[] = [];
    for (let r = 0; r < f.regs.length; r++) {
      const reg = f.regs[r];
      regs.push(checkpoint && reg.type === 'not_init' ? sharedNotInit : copyReg(reg));
    }
    const stack: StackSlot[] = [];
    for (let spi = 0; spi < f.stack.length; spi++) {
      const slot = f.stack[spi];
      const ptr = slot.spilledPtr;
      const shared = ptr.type === 'not_init' && (checkpoint || slot.slotType[BPF_REG_SIZE - 1] !== 'spill');
      stack.push({ slotType: slot.slotType.slice(), spilledPtr: shared ? sharedNotInit : copyReg(ptr) });
    }
    const frame: Required<FuncState> = {
      regs, stack, frameno: f.frameno, callsite: f.callsite, subprogno: f.subprogno,
      inCallbackFn: f.inCallbackFn ?? false, callbackDepth: f.callbackDepth ?? 0,
    };
    frames.push(frame);
  }
  // A spread here: what else a VerifierState holds is a few numbers at most.
  return { ...s, frames, refs: s.refs.length ? s.refs.map((r) => ({ ...r })) : [] };
}

/** `verbose_snum`: numbers that fit an s16 in decimal, the others in hex. */
export function snum(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return s >= -32768n && s <= 32767n ? s.toString() : `0x${BigInt.asUintN(64, v).toString(16)}`;
}

/** `verbose_unum`. */
export function unum(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u <= 32767n ? u.toString() : `0x${u.toString(16)}`;
}

/** `reg_type_str`: flags as prefixes and `_or_null` (`or_null_` after `ptr_`). */
export function regTypeStr(r: RegState): string {
  if (r.type === 'not_init') return '?';
  const prefix = (r.rdonly ? 'rdonly_' : '') + (r.ringbuf ? 'ringbuf_' : '') + (r.rcu ? 'rcu_' : '') +
    (r.untrusted ? 'untrusted_' : '') + (r.trusted ? 'trusted_' : '');
  return prefix + r.type + (r.maybeNull ? (r.type === 'ptr_' ? 'or_null_' : '_or_null') : '');
}

/** A signed 32-bit bound as the log prints it: in decimal when short, else as its u32 bits (`smin32=0x80000001`). */
function s32Val(v: number): bigint {
  return v >= -32768 && v <= 32767 ? BigInt.asUintN(64, BigInt(v)) : BigInt(v >>> 0);
}

/** `print_scalar_ranges`: equal mins (or maxes) are printed once, `smin=smin32=0`. */
function scalarRanges(r: RegState): string[] {
  const m: Array<{ name: string; val: bigint; omit: boolean }> = [
    { name: 'smin', val: BigInt.asUintN(64, r.smin), omit: r.smin === -(1n << 63n) },
    { name: 'smax', val: BigInt.asUintN(64, r.smax), omit: r.smax === (1n << 63n) - 1n },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === (1n << 64n) - 1n },
    { name: 'smin32', val: s32Val(r.s32Min), omit: r.s32Min === -0x80000000 },
    { name: 'smax32', val: s32Val(r.s32Max), omit: r.s32Max === 0x7fffffff },
    { name: 'umin32', val: BigInt(r.u32Min), omit: r.u32Min === 0 },
    { name: 'umax32', val: BigInt(r.u32Max), omit: r.u32Max === 0xffffffff },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && BigInt.asIntN(64, m1.val) < 0n;
    let text = `${m1.name}=`;
    for (let k = i + 2; k < m.length; k += 2) {
      const m2 = m[k];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === 's' && BigInt.asIntN(64, m2.val) < 0n;
      if (neg1 !== neg2) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === 's' ? snum(m1.val) : unum(m1.val);
    out.push(text);
  }
  return out;
}

export interface MapInfo {
  name?: string;
  keySize: number;
  valueSize: number;
}

/** `print_reg_state`: one register's value as the log prints it after `R1=`. */
export function regStr(r: RegState, curFrameno: number, maps: readonly MapInfo[]): string {
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) return (r.precise ? 'P' : '') + snum(r.varOff.value);
  let s = (r.type === 'scalar' && r.precise ? 'P' : '') + regTypeStr(r);
  if (r.type === 'ptr_') s += btfTypeName(r.btfId);
  if (r.type === 'fp') {
    if (r.frameno !== curFrameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(BigInt.asUintN(64, r.varOff.value + BigInt(r.off)));
  }
  const parts: string[] = [];
  if (r.id) parts.push(r.addConst ? `id=${r.id}${r.off >= 0 ? '+' : ''}${r.off}` : `id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && maps[r.mapIndex]) {
    const map = maps[r.mapIndex];
    if (map.name) parts.push(`map=${map.name}`);
    parts.push(`ks=${map.keySize},vs=${map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) parts.push(`off=${r.off}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${unum(BigInt(r.range))}`);
  if (r.type === 'mem') parts.push(`sz=${r.memSize}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) parts.push(`imm=${r.varOff.value.toString(16)}`);
  } else {
    parts.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${s}(${parts.join(',')})`;
}

const SLOT_CHAR: Record<SlotType, string> = { invalid: '?', spill: 'r', misc: 'm', zero: '0' };

/** One stack slot as ` fp-8=…`, or '' when every byte is invalid. */
export function slotStr(slot: StackSlot, spi: number, curFrameno: number, maps: readonly MapInfo[]): string {
  if (slot.slotType.every((t) => t === 'invalid')) return '';
  const name = ` fp${-(spi + 1) * BPF_REG_SIZE}=`;
  if (slot.slotType[BPF_REG_SIZE - 1] === 'spill') {
    const rest = slot.slotType.filter((t) => t !== 'spill').map((t) => SLOT_CHAR[t]).join('');
    return name + rest + regStr(slot.spilledPtr, curFrameno, maps);
  }
  return name + slot.slotType.map((t) => SLOT_CHAR[t]).join('');
}
