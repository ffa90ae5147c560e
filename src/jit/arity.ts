/**
 * How many argument registers each call target of a verified program needs:
 * r1..rN, N the highest of r1–r5 that some path from the target's entry
 * reads before writing it (liveness over the program's blocks). Its callers
 * pass only those (compile.ts, callLocal): a callee of two arguments saves
 * three local.get at every call site and three parameters. The verifier has
 * proven that a callee reads no argument register its caller did not set,
 * and a helper none past its prototype's arguments, so a register left out
 * is one whose value nothing depends on (the callee's local holds 0).
 *
 * Reads and writes are the verifier's (isa's insnUseDef, the kernel's
 * compute_insn_live_regs), over-approximated where it is (LD_ABS reads every
 * register; an unknown helper reads all five): a larger N only costs bytes.
 */
import { insnUseDef } from '../isa/index.js';
import { helperProtosById } from '../platform/index.js';
import { Scratch, type ProgramCfg } from './cfg.js';

/** r1..r5 as bits (bit k: rk). */
const ARGS = 0x3e;

/** Bits r1..rn. */
const argBits = (n: number) => ((1 << (n + 1)) - 1) & ARGS;

/** A cache, not state: each helper id's argument count, the widest of its prototypes (5 when it has none). */
const helperArgs = new Map<number, number>();

function helperArity(id: number): number {
  let n = helperArgs.get(id);
  if (n === undefined) {
    const protos = helperProtosById(id);
    n = protos.length === 0 ? 5 : Math.max(...protos.map((p) => p.args.length));
    helperArgs.set(id, n);
  }
  return n;
}

/**
 * Each call target's argument count (0–5), by its first slot. Only the blocks a call target reaches are
 * scanned (a program's callees are usually a small part of it), each once: the call sites in them are
 * kept aside, as what they read depends on their targets' counts, which grow until nothing changes.
 */
export function calleeArities(cfg: ProgramCfg): Map<number, number> {
  const { blockCount, calls } = cfg;
  const arity = new Map<number, number>(calls.map((t) => [t, 0]));
  if (calls.length === 0) return arity;
  // The per-block sets from a reused buffer: four fresh arrays were a good part of what this costs.
  const scratch = Scratch.take(4 * blockCount + 32);
  try {
    return solveArities(cfg, arity, scratch);
  } finally {
    Scratch.release(scratch);
  }
}

function solveArities(cfg: ProgramCfg, arity: Map<number, number>, scratch: Scratch): Map<number, number> {
  const { insns, rows, blockCount, blockStart, blockEnd, blockOf, succ, calls } = cfg;
  const seen = scratch.u8(blockCount);
  const stack = calls.map((t) => blockOf[t]);
  for (const b of stack) seen[b] = 1;
  while (stack.length > 0) {
    const b = stack.pop()!;
    for (let k = 0; k < 2; k++) {
      const s = succ[2 * b + k];
      if (s >= 0 && !seen[s]) { seen[s] = 1; stack.push(s); }
    }
  }
  // The blocks reached, later ones first: liveness flows backwards, mostly from higher slots to lower.
  const order: number[] = [];
  for (let b = blockCount - 1; b >= 0; b--) if (seen[b]) order.push(b);
  const use = scratch.u8(blockCount), def = scratch.u8(blockCount), live = scratch.u8(blockCount);
  /** Call sites: [block, target, what the block wrote before the call] triples. */
  const sites: number[] = [];
  for (const b of order) {
    let u = 0, d = 0;
    for (let pc = blockStart[b]; pc < blockEnd[b]; pc++) {
      const row = rows[pc];
      if (row === null) continue;
      const ins = insns[pc];
      const ud = insnUseDef(ins, row, helperArity);
      if (row.format === 'call_local') sites.push(b, pc + ins.imm + 1, d);
      else u |= ud.use & ~d;
      d |= ud.def;
    }
    use[b] = u & ARGS;
    def[b] = d & ARGS;
  }
  for (;;) {
    for (let k = 0; k < sites.length; k += 3) use[sites[k]] |= argBits(arity.get(sites[k + 1])!) & ~sites[k + 2];
    for (let changed = true; changed;) {
      changed = false;
      for (const b of order) {
        let out = 0;
        if (succ[2 * b] >= 0) out |= live[succ[2 * b]];
        if (succ[2 * b + 1] >= 0) out |= live[succ[2 * b + 1]];
        const v = use[b] | (out & ~def[b]);
        if (v !== live[b]) { live[b] = v; changed = true; }
      }
    }
    let grew = false;
    for (const t of calls) {
      const v = live[blockOf[t]];
      const n = v === 0 ? 0 : 31 - Math.clz32(v);
      if (n > arity.get(t)!) { arity.set(t, n); grew = true; }
    }
    if (!grew) return arity;
  }
}
