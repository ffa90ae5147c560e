/**
 * Programs that call one helper with arguments built from our prototype of
 * it: a context pointer where it wants ARG_PTR_TO_CTX, a map of a type it
 * accepts for ARG_CONST_MAP_PTR, stack memory (initialised unless
 * MEM_UNINIT) for memory, a constant for sizes, a callback for
 * ARG_PTR_TO_FUNC, a held socket, ring buffer record or lock where the
 * argument wants one... The kernel accepting such a call, and refusing it
 * when one argument is changed, is how the tests check a prototype.
 */
import { BPF_ALU64, BPF_ADD, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_K, BPF_X, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, type Insn } from '../../src/isa/index.js';
import { allowedHelpers, helperIdByName, mapFuncCompatible, type BpfFuncProto, type HelperArg, type MapTypeName } from '../../src/platform/index.js';
import { CALL, EXIT, I, LDX, MOV, MOVX, STDW0, exitValue, type LoadTarget } from './oracle.js';

/** One change from the call our prototype describes, to see the kernel refuse (or accept) it. */
export type Variant =
  | { kind: 'positive' }
  /** Argument `arg` is NULL (its size argument, if any, 0). */
  | { kind: 'null'; arg: number }
  /** Memory argument `arg` points into a read-only (frozen, BPF_F_RDONLY_PROG) map. */
  | { kind: 'rdonly'; arg: number }
  /** Size argument `arg` is 0. */
  | { kind: 'zero'; arg: number }
  /** Memory argument `arg` points into the packet (bounds checked for 64 bytes). */
  | { kind: 'packet'; arg: number };

/** The maps and kernel objects the built programs refer to, by fd or BTF id. */
export interface Resources {
  /** A map of each type we could create. */
  maps: ReadonlyMap<MapTypeName, number>;
  /** Array whose value (struct with a bpf_spin_lock at LOCK_OFF and a bpf_timer at TIMER_OFF) has BTF. */
  lockMap: number;
  /** Frozen BPF_F_RDONLY_PROG array of zeros: an empty constant string, and read-only memory. */
  rodata: number;
  /** Plain array with 64-byte values: memory that must be a map value. */
  values: number;
  /** A per-CPU kernel variable the kernel resolves (VAR in vmlinux BTF), for ARG_PTR_TO_PERCPU_BTF_ID. */
  percpuVar?: number;
}

export const LOCK_OFF = 4;
export const TIMER_OFF = 8;

/** Map types to try first for a helper that takes any map. */
const MAP_PREFERENCE: readonly MapTypeName[] = ['HASH', 'ARRAY'];

type Item = Insn | { label: string } | { jeqZero: number; to: string } | { jgt: [number, number]; to: string } | { ldFunc: number; to: string };

function assemble(items: readonly Item[]): Insn[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if ('label' in it) at.set(it.label, pc);
    else pc += 'ldFunc' in it ? 2 : 1;
  }
  const out: Insn[] = [];
  for (const it of items) {
    if ('label' in it) continue;
    if ('jeqZero' in it) out.push(I(BPF_JMP | BPF_JEQ | BPF_K, it.jeqZero, 0, at.get(it.to)! - out.length - 1, 0));
    else if ('jgt' in it) out.push(I(BPF_JMP | BPF_JGT | BPF_X, it.jgt[0], it.jgt[1], at.get(it.to)! - out.length - 1, 0));
    else if ('ldFunc' in it) out.push(I(0x18, it.ldFunc, BPF_PSEUDO_FUNC, 0, at.get(it.to)! - out.length - 1), I(0));
    else out.push(it);
  }
  return out;
}

const ADDI = (dst: number, imm: number) => I(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
const LD_MAP = (dst: number, fd: number): Insn[] => [I(0x18, dst, BPF_PSEUDO_MAP_FD, 0, fd), I(0)];
const LD_MAP_VALUE = (dst: number, fd: number, off: number): Insn[] => [I(0x18, dst, BPF_PSEUDO_MAP_VALUE, 0, fd), I(0, 0, 0, 0, off)];
const id = (name: string) => helperIdByName(name)!;

/** The stack buffer of argument `i`: 64 bytes at fp - 64 * (i + 1). */
const bufOff = (i: number) => -64 * (i + 1);
/** Zeroed scratch: map keys and socket tuples. */
const KEY_OFF = -64;
/** A dynptr (16 bytes). */
const DYNPTR_OFF = -32;

const has = (a: HelperArg, f: string) => (a.flags as readonly string[]).includes(f);
const isMem = (a: HelperArg) => a.type === 'ARG_PTR_TO_MEM' || a.type === 'ARG_PTR_TO_MAP_KEY' || a.type === 'ARG_PTR_TO_MAP_VALUE';
const isSize = (a: HelperArg | undefined) => !!a && (a.type === 'ARG_CONST_SIZE' || a.type === 'ARG_CONST_SIZE_OR_ZERO');

/** Where a context holds a socket pointer the verifier knows (`__sk_buff.sk`, `sk_msg_md.sk`, `bpf_sock_addr.sk`). */
const SOCKET_IN_CTX: Readonly<Partial<Record<string, number>>> = {
  SOCKET_FILTER: 168, SCHED_CLS: 168, SCHED_ACT: 168, CGROUP_SKB: 168, SK_SKB: 168, SK_MSG: 72, CGROUP_SOCK_ADDR: 64,
};

export interface Built {
  insns: Insn[];
  /** Index of the call under test. */
  call: number;
  /** Index of the callback subprogram, when an argument is a function. */
  callback?: number;
}

/** Why a prototype's call cannot be built, or undefined when it can. */
export function unbuildable(p: BpfFuncProto, t: LoadTarget, res: Resources): string | undefined {
  for (const a of p.args) {
    if (a.type === 'ARG_KPTR_XCHG_DEST') return 'needs a map value with a kptr field';
    if (a.type === 'ARG_PTR_TO_BTF_ID' && !has(a, 'PTR_MAYBE_NULL') && a.btfStruct !== 'task_struct') return `needs a ${a.btfStruct} pointer`;
    if (a.type === 'ARG_PTR_TO_PERCPU_BTF_ID' && res.percpuVar === undefined) return 'no per-CPU variable the kernel resolves (kallsyms lists data only with CONFIG_KALLSYMS_ALL)';
    const sock = a.type === 'ARG_PTR_TO_SOCK_COMMON' || a.type === 'ARG_PTR_TO_SOCKET'
      || (a.type === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON' && !has(a, 'PTR_MAYBE_NULL') && !has(a, 'OBJ_RELEASE'));
    if (sock && SOCKET_IN_CTX[t.spec.name] === undefined) return `no socket in the ${t.spec.ctx.struct} context`;
  }
  if (p.args.some((a) => a.type === 'ARG_CONST_MAP_PTR') && !p.args.some((a) => a.type === 'ARG_PTR_TO_TIMER') && !chooseMap(p, t, res)) {
    return 'no map of a type it takes';
  }
  return undefined;
}

/** The map a helper gets: the timer's own map, or the first created map type the helper takes. */
function chooseMap(p: BpfFuncProto, t: LoadTarget, res: Resources): MapTypeName | undefined {
  const ok = (m: MapTypeName) => res.maps.has(m) && mapFuncCompatible(p.helper, m, t.spec.name, t.attachType);
  return MAP_PREFERENCE.find(ok) ?? [...res.maps.keys()].find(ok);
}

/** The maps a call to `p` in `t` refers to, with the special fields of their values. */
export function mapsUsed(p: BpfFuncProto, t: LoadTarget, res: Resources): { type: MapTypeName; spinLock?: boolean; timer?: boolean }[] {
  const out: { type: MapTypeName; spinLock?: boolean; timer?: boolean }[] = [{ type: 'ARRAY' }];
  const lockOrTimer = p.args.some((a) => a.type === 'ARG_PTR_TO_SPIN_LOCK' || a.type === 'ARG_PTR_TO_TIMER');
  if (lockOrTimer) out.push({ type: 'ARRAY', spinLock: true, timer: true });
  const chosen = p.args.some((a) => a.type === 'ARG_CONST_MAP_PTR') && !lockOrTimer ? chooseMap(p, t, res) : undefined;
  if (chosen) out.push({ type: chosen });
  if (p.args.some((a) => a.type === 'ARG_PTR_TO_RINGBUF_MEM' || (a.type === 'ARG_PTR_TO_DYNPTR' && has(a, 'OBJ_RELEASE')))) out.push({ type: 'RINGBUF' });
  return out;
}

/**
 * The program calling `p` in `t` with arguments as `variant` says, or the
 * reason it cannot be built. `map` forces the map argument's type, or its fd.
 */
export function buildCall(p: BpfFuncProto, t: LoadTarget, res: Resources, variant: Variant, map: { type?: MapTypeName; fd?: number } = {}): Built | string {
  const why = unbuildable(p, t, res);
  if (why) return why;
  const items: Item[] = [MOVX(6, 1)];
  const post: Item[] = [];
  const args = p.args;
  const usesTimer = args.some((a) => a.type === 'ARG_PTR_TO_TIMER');
  const mapFd = usesTimer ? res.lockMap : (map.fd ?? res.maps.get(map.type ?? chooseMap(p, t, res)!)!);
  let callback = false;

  // Scratch key and socket tuple.
  for (let o = KEY_OFF; o < KEY_OFF + 32; o += 8) items.push(STDW0(10, o));
  const lookupInto = (reg: number, fd: number) => {
    items.push(...LD_MAP(1, fd), MOVX(2, 10), ADDI(2, KEY_OFF), CALL(id('map_lookup_elem')), { jeqZero: 0, to: 'out' }, MOVX(reg, 0));
  };

  // Calls that must come before the arguments are set (they clobber r1-r5): results in r7, r8, r9.
  if (args.some((a) => a.type === 'ARG_PTR_TO_SPIN_LOCK' || a.type === 'ARG_PTR_TO_TIMER')) {
    lookupInto(7, res.lockMap);
    if (p.helper === 'bpf_spin_unlock') items.push(MOVX(1, 7), ADDI(1, LOCK_OFF), CALL(id('spin_lock')));
    if (p.helper === 'bpf_spin_lock') post.push(MOVX(1, 7), ADDI(1, LOCK_OFF), CALL(id('spin_unlock')));
  }
  if (p.helper === 'bpf_dynptr_from_mem' || args.some((a) => a.type === 'ARG_PTR_TO_DYNPTR' && has(a, 'MEM_RDONLY'))) lookupInto(9, res.values);
  if (variant.kind === 'packet') {
    const data = t.spec.ctx.fields.find((f) => f.regType === 'PTR_TO_PACKET');
    const end = t.spec.ctx.fields.find((f) => f.regType === 'PTR_TO_PACKET_END');
    if (!data || !end) return `no packet in the ${t.spec.ctx.struct} context`;
    if (args.some((a) => a.type === 'ARG_PTR_TO_DYNPTR') || p.helper === 'bpf_dynptr_from_mem') return 'r9 holds the dynptr memory';
    items.push(LDX(data.size, 9, 6, data.offset), LDX(end.size, 2, 6, end.offset), MOVX(3, 9), ADDI(3, 64), { jgt: [3, 2], to: 'out' });
  }
  for (const a of args) {
    if (a.type === 'ARG_PTR_TO_BTF_ID' && !has(a, 'PTR_MAYBE_NULL')) items.push(CALL(id('get_current_task_btf')), MOVX(8, 0));
    if (a.type === 'ARG_PTR_TO_RINGBUF_MEM') {
      items.push(...LD_MAP(1, res.maps.get('RINGBUF')!), MOV(2, 8), MOV(3, 0), CALL(id('ringbuf_reserve')), { jeqZero: 0, to: 'out' }, MOVX(8, 0));
    }
    if (a.type === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON' && has(a, 'OBJ_RELEASE')) {
      if (!allowedHelpers(t.spec, t.attachType).some((h) => h.id === id('sk_lookup_tcp'))) return 'the socket to release comes from bpf_sk_lookup_tcp, which this type may not call';
      items.push(MOVX(1, 6), MOVX(2, 10), ADDI(2, KEY_OFF), MOV(3, 12), MOV(4, 0), MOV(5, 0), CALL(id('sk_lookup_tcp')), { jeqZero: 0, to: 'out' }, MOVX(8, 0));
    } else if (['ARG_PTR_TO_SOCK_COMMON', 'ARG_PTR_TO_SOCKET', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'].includes(a.type) && !has(a, 'PTR_MAYBE_NULL')) {
      items.push(LDX(8, 8, 6, SOCKET_IN_CTX[t.spec.name]!), { jeqZero: 8, to: 'out' });
    }
    if (a.type === 'ARG_PTR_TO_DYNPTR') {
      if (has(a, 'MEM_RDONLY')) items.push(MOVX(1, 9), MOV(2, 8), MOV(3, 0), MOVX(4, 10), ADDI(4, DYNPTR_OFF), CALL(id('dynptr_from_mem')));
      else if (has(a, 'OBJ_RELEASE')) items.push(...LD_MAP(1, res.maps.get('RINGBUF')!), MOV(2, 8), MOV(3, 0), MOVX(4, 10), ADDI(4, DYNPTR_OFF), CALL(id('ringbuf_reserve_dynptr')));
    }
  }

  // Stack memory the call reads is written first (unless the variant wants it unwritten).
  args.forEach((a, k) => {
    const i = k + 1;
    const stackMem = (isMem(a) || a.type === 'ARG_PTR_TO_STACK') && p.helper !== 'bpf_dynptr_from_mem';
    if (stackMem && !has(a, 'MEM_UNINIT')) {
      for (let o = 0; o < 64; o += 8) items.push(STDW0(10, bufOff(i) + o));
    }
  });

  args.forEach((a, k) => {
    const r = k + 1;
    const prev = args[k - 1];
    if (variant.kind === 'null' && variant.arg === r) return items.push(MOV(r, 0));
    if (variant.kind === 'zero' && variant.arg === r) return items.push(MOV(r, 0));
    if (variant.kind === 'null' && variant.arg === r - 1 && isSize(a)) return items.push(MOV(r, 0));
    if (variant.kind === 'rdonly' && variant.arg === r) return items.push(...LD_MAP_VALUE(r, res.rodata, 0));
    if (variant.kind === 'packet' && variant.arg === r) return items.push(MOVX(r, 9));
    switch (a.type) {
      case 'ARG_PTR_TO_CTX': return items.push(MOVX(r, 6));
      case 'ARG_ANYTHING': return items.push(MOV(r, 0));
      case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO': case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
        return items.push(MOV(r, prev?.size ?? 8));
      case 'ARG_CONST_MAP_PTR': return items.push(...LD_MAP(r, mapFd));
      case 'ARG_PTR_TO_CONST_STR': return items.push(...LD_MAP_VALUE(r, res.rodata, 0));
      case 'ARG_PTR_TO_FUNC':
        callback = true;
        return items.push({ ldFunc: r, to: 'callback' });
      case 'ARG_PTR_TO_SPIN_LOCK': return items.push(MOVX(r, 7), ADDI(r, LOCK_OFF));
      case 'ARG_PTR_TO_TIMER': return items.push(MOVX(r, 7), ADDI(r, TIMER_OFF));
      case 'ARG_PTR_TO_PERCPU_BTF_ID': return items.push(I(0x18, r, BPF_PSEUDO_BTF_ID, 0, res.percpuVar!), I(0));
      case 'ARG_PTR_TO_DYNPTR':
        if (has(a, 'DYNPTR_TYPE_RINGBUF') && has(a, 'MEM_UNINIT')) post.push(MOVX(1, 10), ADDI(1, DYNPTR_OFF), MOV(2, 0), CALL(id('ringbuf_discard_dynptr')));
        return items.push(MOVX(r, 10), ADDI(r, DYNPTR_OFF));
      case 'ARG_PTR_TO_RINGBUF_MEM': return items.push(MOVX(r, 8));
      case 'ARG_PTR_TO_BTF_ID': case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': case 'ARG_PTR_TO_SOCK_COMMON': case 'ARG_PTR_TO_SOCKET':
        return items.push(has(a, 'PTR_MAYBE_NULL') ? MOV(r, 0) : MOVX(r, 8));
      default:
        if (p.helper === 'bpf_dynptr_from_mem' && isMem(a)) return items.push(MOVX(r, 9));
        return items.push(MOVX(r, 10), ADDI(r, bufOff(r)));
    }
  });

  const call = assemble(items).length;
  items.push(CALL(p.id));
  if (p.refs.acquire === 'ret' && !p.refs.acquireForMapTypes) {
    const release = p.ret.flags.includes('MEM_RINGBUF') ? [MOV(2, 0), CALL(id('ringbuf_discard'))] : [CALL(id('sk_release'))];
    items.push({ jeqZero: 0, to: 'out' }, MOVX(1, 0), ...release);
  }
  items.push(...post, { label: 'out' }, MOV(0, exitValue(t)), EXIT);
  const main = assemble(items).length;
  if (callback) items.push({ label: 'callback' }, MOV(0, 0), EXIT);
  return { insns: assemble(items), call, ...(callback ? { callback: main } : {}) };
}
