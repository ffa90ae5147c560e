/**
 * Structured WebAssembly control flow from a function's CFG.
 *
 * Reducible graphs (every loop entered only through its header, which is
 * what compilers produce and what the verifier's loop rules imply) go
 * through the algorithm of Norman Ramsey's "Beyond Relooper" (ICFP 2022),
 * also the shape of v86's control_flow.rs:
 *
 * - number the blocks in reverse postorder (RPO) and compute dominators;
 * - a block with a back edge into it is a loop header and is wrapped in a
 *   wasm `loop` (a back edge is a `br` to it);
 * - a block with two or more forward predecessors is a merge node: its
 *   immediate dominator's code is wrapped in a `block` that it follows (a
 *   forward edge to it is a `br` out of that block);
 * - any other block has a single forward predecessor and is emitted inline
 *   at the branch to it.
 *
 * Every block is emitted once, so each eBPF instruction's code appears once.
 * The generation runs on an explicit task stack: no recursion, whatever the
 * nesting depth.
 *
 * Irreducible graphs (possible in unverified programs: a jump into the middle
 * of a loop) fall back to a dispatch loop: the blocks in slot order, nested
 * so that a `br_table` on a label local enters any of them, fall-through to
 * the next block kept, forward jumps as `br`, backward jumps as "set label,
 * check the budget, continue the loop". It is correct for every graph.
 */
import { ByteWriter } from './wasm/writer.js';
import { Op, ValType } from './wasm/opcodes.js';
import { Scratch, Term, type ProgramCfg } from './cfg.js';

/**
 * What the structurer asks of the code generator, per block.
 *
 * The instruction budget is counted lazily: the generator keeps a
 * compile-time `pending` count of instructions entered but not yet
 * subtracted from the budget local (exact budget = local - pending), and
 * subtracts it only where the budget is read (a helper or bpf-to-bpf call,
 * LD_ABS/LD_IND, the exit) and on the edges where two paths with different
 * pending counts meet. A straight run of blocks then costs one subtraction,
 * and a loop one per back edge, instead of one per block.
 */
export interface BlockLowering {
  readonly w: ByteWriter;
  /**
   * Block b's code before its terminator, entered with `pending`
   * instructions not yet subtracted; a loop header also checks the budget.
   */
  body(block: number, loopHeader: boolean, pending: number): void;
  /** The pending count block b's code leaves when entered with `pending` (where it reads the budget, it subtracts). */
  pendingAfter(block: number, pending: number): number;
  /** Subtract `from - to` from the budget: an edge from code with `from` pending to code that expects `to`. */
  settle(from: number, to: number): void;
  /** The i32 condition of block b's conditional terminator: nonzero when the jump is taken. */
  condition(block: number): void;
  /**
   * Block b's exit instruction, inside `nesting` constructs of the function's code (a br that far leaves
   * it); `last`: no code follows it in the function (an inlined callee's exit then falls out of it).
   */
  exit(block: number, nesting: number, last: boolean): void;
  /** The budget check of a backward jump at `pc` in the dispatch loop (nothing pending). */
  budgetCheck(pc: number): void;
  /** An i32 local for the dispatch loop's label. */
  readonly labelLocal: number;
  /** Whether the code counts the budget at all (a verified program's does not: nothing is ever pending). */
  readonly counts: boolean;
}

export interface FunctionGraph {
  /**
   * The function's node count: the arrays below hold the graph in their
   * first n (2n, n + 1) entries. They are its GraphWork's, reused by the
   * next function of the program (a dozen typed arrays per function were a
   * good part of what a compile allocated).
   */
  readonly n: number;
  /** The function's blocks in reverse postorder; a block's position is its node number. */
  readonly nodes: Int32Array;
  /** Successor nodes, [2v] and [2v + 1] (-1: none), as in ProgramCfg.succ. */
  readonly succ: Int32Array;
  readonly idom: Int32Array;
  readonly loopHeader: Uint8Array;
  readonly merge: Uint8Array;
  /** Dominator-tree children of each node, in RPO: childList[childStart[v] .. childStart[v + 1]). */
  readonly childStart: Int32Array;
  readonly childList: Int32Array;
  /** Distinct predecessor nodes of each node: predList[predStart[v] .. predStart[v + 1]). */
  readonly predStart: Int32Array;
  readonly predList: Int32Array;
  readonly reducible: boolean;
  /** The arrays, with the structurer's. */
  readonly work: GraphWork;
}

/**
 * The arrays of functionGraph and emitStructured, `capacity` long (or 2, 1
 * more), for every function of programs of up to `capacity` blocks; kept
 * from one compile to the next (takeGraphWork).
 */
export interface GraphWork {
  readonly capacity: number;
  /** All -1 between uses. */
  readonly scratch: Int32Array;
  readonly disc: Int32Array;
  /** All 0 between uses. */
  readonly iter: Uint8Array;
  readonly stack: Int32Array;
  readonly post: Int32Array;
  // The graph's (FunctionGraph), and the ones functionGraph works with.
  readonly nodes: Int32Array;
  readonly succ: Int32Array;
  readonly predStart: Int32Array;
  readonly predList: Int32Array;
  readonly fill: Int32Array;
  readonly idom: Int32Array;
  readonly childStart: Int32Array;
  readonly childList: Int32Array;
  readonly cfill: Int32Array;
  readonly pre: Int32Array;
  readonly postNum: Int32Array;
  readonly it: Int32Array;
  readonly loopHeader: Uint8Array;
  readonly merge: Uint8Array;
  // emitStructured's.
  readonly loopAt: Int32Array;
  readonly blockAt: Int32Array;
  readonly pendIn: Float64Array;
  readonly pendOut: Float64Array;
  /** Its task stack: a function of n nodes pushes at most 9n + 1 tasks of three entries. */
  readonly tasks: Int32Array;
}

/** GraphWorks given back with releaseGraphWork, for takeGraphWork to reuse (a cache, not state: see GraphWork). */
const spareWork: GraphWork[] = [];
/** At most this many spare GraphWorks, none for more than this many blocks, are kept. */
const MAX_SPARE_WORK = 4, MAX_SPARE_WORK_BLOCKS = 1 << 16;

/**
 * A GraphWork for programs of up to `blockCount` blocks: a spare one when one is large enough (the two
 * dozen arrays carved and filled at every compile were a part of what a small program's compile costs).
 */
export function takeGraphWork(blockCount: number): GraphWork {
  for (let k = spareWork.length - 1; k >= 0; k--) {
    const work = spareWork[k];
    if (work.capacity < blockCount) continue;
    spareWork[k] = spareWork[spareWork.length - 1];
    spareWork.pop();
    return work;
  }
  const n = Math.max(64, blockCount);
  return graphWork(n, Scratch.take(212 * n + 512));
}

/** Give back a GraphWork from takeGraphWork that nothing uses any more (its scratch and iter as functionGraph leaves them). */
export function releaseGraphWork(work: GraphWork): void {
  if (spareWork.length < MAX_SPARE_WORK && work.capacity <= MAX_SPARE_WORK_BLOCKS) spareWork.push(work);
}

/** The arrays carved from `c`, which the GraphWork keeps (never released to Scratch). */
function graphWork(blockCount: number, c: Scratch): GraphWork {
  const n = blockCount;
  return {
    capacity: n, scratch: c.i32(n).fill(-1), disc: c.i32(n), stack: c.i32(n), post: c.i32(n),
    nodes: c.i32(n), succ: c.i32(2 * n), predStart: c.i32(n + 1), predList: c.i32(2 * n), fill: c.i32(n), idom: c.i32(n),
    childStart: c.i32(n + 1), childList: c.i32(n), cfill: c.i32(n), pre: c.i32(n), postNum: c.i32(n), it: c.i32(n),
    loopAt: c.i32(n), blockAt: c.i32(n), tasks: c.i32(27 * n + 3), pendIn: c.f64(n), pendOut: c.f64(n),
    iter: c.u8(n), loopHeader: c.u8(n), merge: c.u8(n),
  };
}

/** Whether successor k of node v is one (not -1) and not the same as successor 0. */
function distinctSucc(succ: Int32Array, v: number, k: number): boolean {
  return succ[2 * v + k] >= 0 && (k === 0 || succ[2 * v + 1] !== succ[2 * v]);
}

/**
 * The graph of the function entered at block `entry`: the blocks reachable
 * from it by jumps (not calls), in `work`'s arrays (valid until the next
 * call). `work`'s scratch arrays are left as they were found.
 */
export function functionGraph(cfg: ProgramCfg, entry: number, work: GraphWork): FunctionGraph {
  const { scratch } = work;
  // Depth-first search from the entry, iteratively, for the postorder (in the caller's arrays: no garbage per block).
  const { disc, iter, stack, post } = work;
  let found = 1, depth = 1, done = 0;
  stack[0] = 0;
  disc[0] = entry;
  scratch[entry] = 0;
  while (depth > 0) {
    const d = stack[depth - 1];
    const k = iter[d];
    if (k < 2) {
      iter[d] = k + 1;
      const s = cfg.succ[2 * disc[d] + k];
      if (s >= 0 && scratch[s] === -1) {
        scratch[s] = found;
        disc[found] = s;
        stack[depth++] = found++;
      }
    } else {
      depth--;
      post[done++] = d;
    }
  }
  const n = found;
  const { nodes, succ, predStart, predList, fill, idom, childStart, childList, cfill, pre, postNum, it, loopHeader, merge } = work;
  // In one loop (a typed array's fill is a call into C++, costlier than a small graph's loop): the nodes in
  // RPO, iter back to 0 for the next graph, this one's counts of predecessors and children, its dominators unknown.
  predStart[0] = 0;
  childStart[0] = 0;
  for (let i = 0; i < n; i++) {
    nodes[i] = disc[post[n - 1 - i]];
    scratch[nodes[i]] = i;
    iter[i] = 0;
    predStart[i + 1] = 0;
    childStart[i + 1] = 0;
    idom[i] = -1;
  }
  // The successors by node, counting each node's distinct predecessors (compressed rows, below).
  /** Whether some edge goes back (to its own node or an earlier one in RPO): without one the graph has no loop. */
  let back = false;
  for (let v = 0; v < n; v++) {
    const s0 = cfg.succ[2 * nodes[v]], s1 = cfg.succ[2 * nodes[v] + 1];
    const t0 = s0 < 0 ? -1 : scratch[s0], t1 = s1 < 0 ? -1 : scratch[s1];
    succ[2 * v] = t0;
    succ[2 * v + 1] = t1;
    if (t0 >= 0) {
      predStart[t0 + 1]++;
      if (t0 <= v) back = true;
    }
    if (t1 >= 0 && t1 !== t0) {
      predStart[t1 + 1]++;
      if (t1 <= v) back = true;
    }
  }

  // Predecessors (distinct), as compressed rows; scratch back to -1.
  for (let v = 0; v < n; v++) {
    scratch[nodes[v]] = -1;
    predStart[v + 1] += predStart[v];
    fill[v] = predStart[v];
  }
  for (let v = 0; v < n; v++) for (let k = 0; k < 2; k++) if (distinctSucc(succ, v, k)) predList[fill[succ[2 * v + k]]++] = v;

  // Immediate dominators (Cooper, Harvey and Kennedy: iterate in RPO to a fixed point).
  idom[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let v = 1; v < n; v++) {
      let best = -1;
      for (let j = predStart[v]; j < predStart[v + 1]; j++) {
        let p = predList[j];
        if (idom[p] === -1) continue;
        if (best === -1) { best = p; continue; }
        let q = best;
        while (p !== q) {
          while (p > q) p = idom[p];
          while (q > p) q = idom[q];
        }
        best = p;
      }
      if (idom[v] !== best) {
        idom[v] = best;
        changed = true;
      }
    }
    // Without a back edge every node's predecessors come before it in RPO: the first pass is the fixed point.
    if (!back) break;
  }

  // Dominator tree as compressed rows (children in RPO), and pre/post numbers for O(1) dominance tests (of back edges: none, none needed).
  for (let v = 1; v < n; v++) childStart[idom[v] + 1]++;
  for (let v = 0; v < n; v++) {
    childStart[v + 1] += childStart[v];
    cfill[v] = childStart[v];
  }
  for (let v = 1; v < n; v++) childList[cfill[idom[v]]++] = v;
  if (back) {
    let clock = 0, top = 1;
    // The dominator tree's path from the root: at most n deep.
    const st = work.stack;
    st[0] = 0;
    for (let v = 0; v < n; v++) it[v] = childStart[v];
    pre[0] = clock++;
    while (top > 0) {
      const v = st[top - 1];
      if (it[v] < childStart[v + 1]) {
        const c = childList[it[v]++];
        pre[c] = clock++;
        st[top++] = c;
      } else {
        postNum[v] = clock++;
        top--;
      }
    }
  }

  let reducible = true;
  for (let v = 0; v < n; v++) {
    let forward = 0;
    loopHeader[v] = 0;
    for (let j = predStart[v]; j < predStart[v + 1]; j++) {
      const p = predList[j];
      if (p < v) forward++;
      else {
        loopHeader[v] = 1;
        // v dominates p: p is in v's dominator subtree.
        if (!(pre[v] <= pre[p] && postNum[p] <= postNum[v])) reducible = false;
      }
    }
    merge[v] = forward >= 2 ? 1 : 0;
  }
  return { n, nodes, succ, idom, loopHeader, merge, childStart, childList, predStart, predList, reducible, work };
}

const enum Task { tree, within, endBlock, endLoop, branch, else, endIf }

/**
 * The state of emitStructured and its branch emitters (methods, not
 * closures made per function: V8 holds a closure's optimised code weakly,
 * and optimised it again after each collection that threw it away).
 */
class Structurer {
  /** The enclosing constructs (loop, block, if): the position the next one takes. */
  depth = 0;
  /** Tasks: [kind, a, b] triples on a stack (GraphWork.tasks), `top` entries; the first is the entry's tree. */
  tasks: Int32Array;
  top = 3;
  readonly w: ByteWriter;
  /** Where each node's loop and follow-block sit among the enclosing constructs. */
  readonly loopAt: Int32Array;
  readonly blockAt: Int32Array;
  readonly pendIn: Float64Array;
  readonly pendOut: Float64Array;

  constructor(readonly g: FunctionGraph, readonly out: BlockLowering) {
    const { n } = g;
    this.w = out.w;
    this.tasks = g.work.tasks;
    this.tasks[0] = Task.tree;
    this.tasks[1] = 0;
    this.tasks[2] = 0;
    this.loopAt = g.work.loopAt;
    this.blockAt = g.work.blockAt;
    for (let v = 0; v < n; v++) {
      this.loopAt[v] = -1;
      this.blockAt[v] = -1;
    }
    pendingCounts(g, out);
    this.pendIn = g.work.pendIn;
    this.pendOut = g.work.pendOut;
  }

  /** Push the task [kind, a, b]. */
  push(kind: Task, a: number, b: number): void {
    if (this.top + 3 > this.tasks.length) {
      const grown = new Int32Array(2 * this.tasks.length);
      grown.set(this.tasks);
      this.tasks = grown;
    }
    const { tasks } = this;
    tasks[this.top] = kind;
    tasks[this.top + 1] = a;
    tasks[this.top + 2] = b;
    this.top += 3;
  }

  /** The branch depth of the construct at position `pos`. */
  brDepth(pos: number): number {
    return this.depth - 1 - pos;
  }

  /** The label a branch x → t needs, or -1 when t is emitted inline. */
  labelFor(x: number, t: number): number {
    if (t <= x) return this.brDepth(this.loopAt[t]);
    if (this.g.merge[t]) return this.brDepth(this.blockAt[t]);
    return -1;
  }

  branch(x: number, t: number): void {
    const depth = this.labelFor(x, t);
    if (depth >= 0) {
      this.out.settle(this.pendOut[x], this.pendIn[t]);
      // Out of t's block just before its end (the next task ends it, and t's code follows): falls through.
      const next = this.top - 3;
      if (depth === 0 && this.tasks[next] === Task.endBlock && this.tasks[next + 1] === t) return;
      this.w.byte(Op.br);
      this.w.u32(depth);
    } else {
      this.push(Task.tree, t, 0);
    }
  }

  /** A conditional branch x → t on the condition on the stack, to label `depth`. */
  branchIf(x: number, t: number, depth: number): void {
    const { w } = this;
    if (this.pendOut[x] === this.pendIn[t]) {
      w.byte(Op.brIf);
      w.u32(depth);
      return;
    }
    w.byte2(Op.if, ValType.void);
    this.out.settle(this.pendOut[x], this.pendIn[t]);
    w.byte(Op.br);
    w.u32(depth + 1);
    w.byte(Op.end);
  }
}

/** Emit the function as structured control flow (the graph must be reducible). */
export function emitStructured(g: FunctionGraph, cfg: ProgramCfg, out: BlockLowering): void {
  const { w } = out;
  const st = new Structurer(g, out);
  const { loopAt, blockAt, pendIn } = st;

  while (st.top > 0) {
    const at = st.top -= 3;
    const kind = st.tasks[at] as Task, a = st.tasks[at + 1], b = st.tasks[at + 2];
    switch (kind) {
      case Task.tree: {
        if (g.loopHeader[a]) {
          w.byte2(Op.loop, ValType.void);
          loopAt[a] = st.depth++;
          st.push(Task.endLoop, a, 0);
        }
        // The merge children are wrapped last child outermost: scan the dominator-tree children from the end.
        st.push(Task.within, a, g.childStart[a + 1] - 1);
        break;
      }
      case Task.within: {
        let j = b;
        while (j >= g.childStart[a] && !g.merge[g.childList[j]]) j--;
        if (j >= g.childStart[a]) {
          const y = g.childList[j];
          w.byte2(Op.block, ValType.void);
          blockAt[y] = st.depth++;
          st.push(Task.tree, y, 0);
          st.push(Task.endBlock, y, 0);
          st.push(Task.within, a, j - 1);
          break;
        }
        const block = g.nodes[a];
        out.body(block, g.loopHeader[a] === 1, pendIn[a]);
        switch (cfg.term[block]) {
          case Term.exit:
            out.exit(block, st.depth, st.top === 0);
            break;
          case Term.fall: case Term.jump:
            st.branch(a, g.succ[2 * a]);
            break;
          default: {
            const taken = g.succ[2 * a], next = g.succ[2 * a + 1];
            out.condition(block);
            if (taken === next) {
              w.byte(Op.drop);
              st.branch(a, taken);
              break;
            }
            const lt = st.labelFor(a, taken);
            if (lt >= 0) {
              st.branchIf(a, taken, lt);
              st.branch(a, next);
              break;
            }
            const ln = st.labelFor(a, next);
            if (ln >= 0) {
              w.byte(Op.i32Eqz);
              st.branchIf(a, next, ln);
              st.push(Task.tree, taken, 0);
              break;
            }
            w.byte2(Op.if, ValType.void);
            st.depth++;
            st.push(Task.endIf, 0, 0);
            st.push(Task.branch, a, next);
            st.push(Task.else, 0, 0);
            st.push(Task.branch, a, taken);
          }
        }
        break;
      }
      case Task.branch:
        st.branch(a, b);
        break;
      case Task.else:
        w.byte(Op.else);
        break;
      case Task.endIf:
        st.depth--;
        w.byte(Op.end);
        break;
      case Task.endBlock:
        st.depth--;
        blockAt[a] = -1;
        w.byte(Op.end);
        break;
      case Task.endLoop:
        st.depth--;
        loopAt[a] = -1;
        w.byte(Op.end);
        break;
    }
  }
}

/**
 * The pending count (see BlockLowering) each node is entered with and
 * leaves with, in the graph's pendIn and pendOut. A node is entered with the count most of its forward
 * predecessors leave (the first of them on a tie; the entry with 0), so
 * that most forward edges subtract nothing; a back edge subtracts what the
 * loop's path spent. (Exported for compile.ts, which asks it what an
 * inlined callee's exits leave pending before lowering the callee.)
 */
export function pendingCounts(g: FunctionGraph, out: Pick<BlockLowering, 'counts' | 'pendingAfter'>): void {
  const { n } = g;
  const { pendIn, pendOut } = g.work;
  if (!out.counts) {
    for (let v = 0; v < n; v++) {
      pendIn[v] = 0;
      pendOut[v] = 0;
    }
    return;
  }
  for (let v = 0; v < n; v++) {
    let best = 0, bestVotes = 0;
    for (let j = g.predStart[v]; j < g.predStart[v + 1]; j++) {
      const p = g.predList[j];
      if (p >= v) continue;
      let votes = 0;
      for (let k = g.predStart[v]; k < g.predStart[v + 1]; k++) {
        const q = g.predList[k];
        if (q < v && pendOut[q] === pendOut[p]) votes++;
      }
      if (votes > bestVotes) { best = pendOut[p]; bestVotes = votes; }
    }
    const block = g.nodes[v];
    pendIn[v] = best;
    pendOut[v] = out.pendingAfter(block, best);
  }
}

/**
 * Emit the function as a dispatch loop over its blocks in slot order:
 *
 *   loop $dispatch
 *     block $bN-1 … block $b0
 *       br_table $b0 … $bN-1 (local $label)
 *     end  ;; code of b0, falling into b1
 *     end  ;; code of b1 …
 */
export function emitDispatch(g: FunctionGraph, cfg: ProgramCfg, out: BlockLowering): void {
  const { w } = out;
  const { n } = g;
  // Layout: blocks in slot order; the label starts at the entry's place.
  const order = Array.from(g.nodes.subarray(0, n).keys()).sort((x, y) => g.nodes[x] - g.nodes[y]);
  const slot = new Int32Array(n);
  order.forEach((v, k) => { slot[v] = k; });
  w.byte(Op.i32Const);
  w.s32(slot[0]);
  w.byte(Op.localSet);
  w.u32(out.labelLocal);
  w.byte2(Op.loop, ValType.void);
  for (let k = 0; k < n; k++) w.byte2(Op.block, ValType.void);
  w.byte(Op.localGet);
  w.u32(out.labelLocal);
  w.byte(Op.brTable);
  w.u32(n);
  for (let k = 0; k < n; k++) w.u32(k);
  w.u32(n - 1);
  /**
   * Jump from the code of layout slot k to node t: fall through, or br out
   * of t's block (code of slot k sits inside the blocks of slots k+1 … n-1,
   * then the loop), or dispatch backward.
   */
  const jump = (k: number, t: number, pc: number) => {
    const j = slot[t];
    if (j === k + 1) return;
    if (j > k) {
      w.byte(Op.br);
      w.u32(j - k - 1);
      return;
    }
    w.byte(Op.i32Const);
    w.s32(j);
    w.byte(Op.localSet);
    w.u32(out.labelLocal);
    out.budgetCheck(pc);
    w.byte(Op.br);
    w.u32(n - 1 - k);
  };
  for (let k = 0; k < n; k++) {
    w.byte(Op.end);
    const v = order[k];
    const block = g.nodes[v];
    out.body(block, false, 0);
    // Nothing stays pending across the dispatch: every jump starts from a settled budget.
    if (cfg.term[block] !== Term.exit) out.settle(out.pendingAfter(block, 0), 0);
    const pc = cfg.blockLast[block];
    switch (cfg.term[block]) {
      case Term.exit:
        // Inside the blocks of slots k+1 … n-1 and the loop.
        out.exit(block, n - k, false);
        break;
      case Term.fall: case Term.jump:
        jump(k, g.succ[2 * v], pc);
        break;
      default: {
        out.condition(block);
        w.byte2(Op.if, ValType.void);
        // Inside the if, one more construct encloses the code.
        const taken = g.succ[2 * v];
        const j = slot[taken];
        if (j > k) {
          w.byte(Op.br);
          w.u32(j - k);
        } else {
          w.byte(Op.i32Const);
          w.s32(j);
          w.byte(Op.localSet);
          w.u32(out.labelLocal);
          out.budgetCheck(pc);
          w.byte(Op.br);
          w.u32(n - k);
        }
        w.byte(Op.end);
        jump(k, g.succ[2 * v + 1], pc);
      }
    }
  }
  w.byte(Op.end);
}
