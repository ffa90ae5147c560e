/**
 * Running a conformance-style program in the kernel: the program gets r1 =
 * the input memory, r2 = its length, and what we want back is the whole
 * 64-bit r0 and the memory as the program left it.
 *
 * The kernel runs programs only on contexts of its program types, so we
 * wrap the program (an XDP program run with BPF_PROG_TEST_RUN):
 *
 *   prologue   r1 = &mem_map[0]   (lddw, BPF_PSEUDO_MAP_VALUE: a map value of exactly len bytes)
 *              r2 = len
 *   program    unchanged, except that each `exit` of the main function becomes `ja epilogue`
 *   epilogue   r1 = &r0_map[0]; *(u64 *)(r1 + 0) = r0; r0 = XDP_PASS; exit
 *
 * The input lives in a one-element array map whose value is exactly the
 * input, so the verifier checks every access against the input's real
 * bounds, atomics on it are allowed (they are not on packets), and we read
 * it back with one lookup. With no input, r1 = r2 = 0 as the suite says.
 * The epilogue sits just before the first subprogram, so it belongs to the
 * main function as the verifier wants; jumps and calls across it are
 * relocated.
 */
import { VerifierError } from '../internal/errors.js';
import {
  BPF_ALU64, BPF_DW, BPF_EXIT, BPF_JA, BPF_JMP, BPF_K, BPF_MEM, BPF_MOV, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_VALUE, BPF_STX, decodeProgram, jumpTarget, ldImm64, type Insn, type Opcode,
} from '../isa/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE } from '../platform/index.js';
import type { Kernel } from './kernel.js';
import { createMap, type KernelMap } from './map.js';
import { loadProgram } from './program.js';

/** What the epilogue returns (the XDP verdict does not matter: nothing is attached). */
const XDP_PASS = 2;
/** XDP's test run wants at least an Ethernet header of packet; the program never sees it. */
const DUMMY_PACKET = new Uint8Array(14);

export type KernelRunOutcome =
  /** `durationNs`: the kernel's mean time of one run (BPF_PROG_TEST_RUN's duration). */
  | { ok: true; r0: bigint; dataOut: Uint8Array; durationNs: number }
  | { ok: false; reason: string; log?: string };

export interface KernelRunOptions {
  /** Run this many times on the same memory (BPF_PROG_TEST_RUN's repeat); r0 is the last run's. */
  repeat?: number;
}

/** Why the kernel cannot run a program of the conformance contract before trying, or null. */
export function inexpressibleReason(insns: readonly Insn[], rows: readonly (Opcode | null)[]): string | null {
  for (let i = 0; i < insns.length; i++) {
    const row = rows[i];
    if (!row) continue;
    if (row.format === 'callx') return `insn ${i}: callx is not part of the Linux ISA`;
    if (row.format === 'call_helper') return `insn ${i}: calls helper ${insns[i].imm}; the suite's helpers are not the kernel's`;
    if (row.format === 'call_kfunc') return `insn ${i}: calls a kfunc, which needs kernel BTF`;
    if (row.format === 'ldabs' || row.format === 'ldind') return `insn ${i}: ${row.mnemonic} reads an skb, which this contract has not`;
    if (row.format === 'lddw' && insns[i].src !== 0 && insns[i].src !== BPF_PSEUDO_FUNC) {
      return `insn ${i}: lddw src=${insns[i].src} refers to a map, which the contract has not`;
    }
  }
  return null;
}

/** The slot the instruction at `i` refers to, pc-relative: a jump's or call's target, or a function pointer's. */
function targetOf(ins: Insn, row: Opcode, i: number): number | undefined {
  if (row.format === 'lddw') return ins.src === BPF_PSEUDO_FUNC ? i + 1 + ins.imm : undefined;
  return jumpTarget(row, ins, i);
}

/**
 * Insert `extra` at slot `at`, keeping every jump, call and function
 * reference pointing at the same instruction it did.
 */
export function insertInsns(insns: readonly Insn[], rows: readonly (Opcode | null)[], at: number, extra: readonly Insn[]): Insn[] {
  const moved = (slot: number) => (slot >= at ? slot + extra.length : slot);
  const out: Insn[] = [];
  insns.forEach((ins, i) => {
    if (i === at) out.push(...extra);
    const row = rows[i];
    const target = row ? targetOf(ins, row, i) : undefined;
    if (row && target !== undefined) {
      const rel = moved(target) - moved(i) - 1;
      const usesImm = row.format === 'ja32' || row.format === 'call_local' || row.format === 'lddw';
      out.push(usesImm ? { ...ins, imm: rel } : { ...ins, off: rel });
    } else {
      out.push({ ...ins });
    }
  });
  if (at >= insns.length) out.push(...extra);
  return out;
}

/** The first slot of a subprogram other than main: the lowest bpf-to-bpf call or function-pointer target. */
function firstSubprogram(insns: readonly Insn[], rows: readonly (Opcode | null)[]): number {
  let first = insns.length;
  rows.forEach((row, i) => {
    if (!row) return;
    const isFuncRef = (row.format === 'call_local' && insns[i].src === BPF_PSEUDO_CALL) || (row.format === 'lddw' && insns[i].src === BPF_PSEUDO_FUNC);
    if (isFuncRef) {
      const t = targetOf(insns[i], row, i)!;
      if (t > 0 && t < first) first = t;
    }
  });
  return first;
}

export interface WrapResult {
  insns: Insn[];
  /** Where the user's program starts in `insns`. */
  offset: number;
  /** The user's slot of a slot of `insns`, or undefined for the wrapper's own. */
  original(slot: number): number | undefined;
}

/**
 * The wrapped program: prologue, the user's program with its main-function
 * exits redirected, epilogue. `memFd` is the input map (undefined: no input).
 */
export function wrapForKernel(insns: readonly Insn[], rows: readonly (Opcode | null)[], memFd: number | undefined, memLength: number, r0Fd: number): WrapResult {
  const end = firstSubprogram(insns, rows);
  const epilogue: Insn[] = [
    ...ldImm64(1, BigInt(r0Fd), BPF_PSEUDO_MAP_VALUE),
    { code: BPF_STX | BPF_MEM | BPF_DW, dst: 1, src: 0, off: 0, imm: 0 },
    { code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: XDP_PASS },
    { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  // The main function's slots keep their places; each of its exits jumps to the epilogue at `end`.
  const body = insertInsns(insns, rows, end, epilogue).map((ins, i) =>
    i < end && rows[i]?.format === 'exit' ? { code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: end - i - 1, imm: 0 } : ins);
  const prologue: Insn[] = memFd === undefined
    ? [{ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 1, src: 0, off: 0, imm: 0 }]
    : [...ldImm64(1, BigInt(memFd), BPF_PSEUDO_MAP_VALUE)];
  prologue.push({ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 2, src: 0, off: 0, imm: memLength });
  const offset = prologue.length;
  const original = (slot: number): number | undefined => {
    const i = slot - offset;
    if (i < 0 || i >= body.length || (i >= end && i < end + epilogue.length)) return undefined;
    return i < end ? i : i - epilogue.length;
  };
  return { insns: [...prologue, ...body], offset, original };
}

/**
 * Runs conformance-contract programs in one kernel, keeping the small maps
 * it needs between runs. Close it (or `using`) when done.
 */
export class KernelRunner implements Disposable {
  private r0Map: KernelMap | undefined;
  /** Input maps by input length: a map's value size is fixed at creation. */
  private readonly memMaps = new Map<number, KernelMap>();

  constructor(readonly kernel: Kernel) {}

  private resultMap(): KernelMap {
    this.r0Map ??= createMap(this.kernel, { type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'conf_r0' });
    return this.r0Map;
  }

  private inputMap(length: number): KernelMap {
    let map = this.memMaps.get(length);
    if (!map) {
      map = createMap(this.kernel, { type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: length, maxEntries: 1, name: 'conf_mem' });
      this.memMaps.set(length, map);
    }
    return map;
  }

  /**
   * Run `insns` with r1 = `mem` and r2 = its length. Returns r0 and the
   * memory afterwards, or why the kernel cannot run the program (the
   * verifier's summary when it rejects it).
   */
  run(insns: readonly Insn[], mem: Uint8Array = new Uint8Array(), options: KernelRunOptions = {}): KernelRunOutcome {
    let rows: (Opcode | null)[];
    try {
      rows = decodeProgram(insns);
    } catch (err) {
      return { ok: false, reason: `not a valid program: ${(err as Error).message}` };
    }
    const inexpressible = inexpressibleReason(insns, rows);
    if (inexpressible) return { ok: false, reason: inexpressible };
    const key = new Uint8Array(4);
    const memMap = mem.length ? this.inputMap(mem.length) : undefined;
    const r0Map = this.resultMap();
    const wrapped = wrapForKernel(insns, rows, memMap?.fd.value, mem.length, r0Map.fd.value);
    let prog;
    try {
      prog = loadProgram(this.kernel, { type: BPF_PROG_TYPE.XDP, expectedAttachType: 'xdp', insns: wrapped.insns, name: 'conformance' });
    } catch (err) {
      if (err instanceof VerifierError) {
        const at = err.insn === undefined ? undefined : wrapped.original(err.insn);
        const where = at === undefined ? '' : ` at insn ${at}`;
        return { ok: false, reason: `kernel verifier rejects it${where}: ${err.summary.replace(/\n/g, '; ')}`, log: err.log };
      }
      throw err;
    }
    try {
      if (memMap) memMap.update(key, mem);
      const { duration } = prog.testRun({ data: DUMMY_PACKET, repeat: options.repeat ?? 1 });
      const r0 = r0Map.lookup(key)!;
      const dataOut = memMap ? memMap.lookup(key)! : new Uint8Array();
      return { ok: true, r0: new DataView(r0.buffer).getBigUint64(0, true), dataOut, durationNs: duration };
    } finally {
      prog.close();
    }
  }

  close(): void {
    this.r0Map?.close();
    this.r0Map = undefined;
    for (const map of this.memMaps.values()) map.close();
    this.memMaps.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** One run in a fresh runner (for many runs, keep a KernelRunner). */
export function runOnKernel(kernel: Kernel, insns: readonly Insn[], mem?: Uint8Array, options?: KernelRunOptions): KernelRunOutcome {
  using runner = new KernelRunner(kernel);
  return runner.run(insns, mem, options);
}
