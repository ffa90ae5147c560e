/**
 * The compile benchmark's workload, the same in Node.js (jit.ts,
 * compileRows) and in a browser page (browser-page.ts): the 56 programs of
 * testdata/obj/large.o as a collection relocates them, loaded into a fresh
 * Jit in one of the LoadModes. It imports no Node.js module; the caller
 * brings the object's bytes and its own clock.
 */
import { loadCollectionSpec } from '../src/elf/index.js';
import { BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV, BPF_PSEUDO_CALL, type Insn } from '../src/isa/index.js';
import { ProgramHandle, RuntimeError } from '../src/helpers/index.js';
import { Jit, JitCache, type JitProgram } from '../src/jit/index.js';
import { Collection } from '../src/runtime/collection.js';

/**
 * How a pass loads the batch: one by one (Jit.load), each program then
 * used once (its `compiled`): the first use compiles every program loaded
 * before it, into one module; each used right after its load (a module
 * each: V8's fixed cost per module, paid 56 times); each run once right
 * after its load (a module each, and the machine code V8 makes at the
 * first call: what a user of one program at a time waits for); or all at
 * once (Jit.loadAll, as a collection loads them).
 */
export type LoadMode = 'one by one' | 'alone' | 'first run' | 'all';

/** A pass's programs, loaded on their own Jit (dispose it when done with them). */
export interface Loaded {
  jit: Jit;
  programs: JitProgram[];
}

export class CompileWork {
  /** The programs as a collection runs them: its maps made, each lddw of a map relocated to the map's address. */
  readonly programs: (readonly Insn[])[] = [];
  /** Their instructions, all told. */
  readonly total: number;
  private readonly collection: Collection;
  /** The programs' context: zeros. */
  private readonly ctx: bigint;
  private salt = 0;

  constructor(large: Uint8Array) {
    this.collection = Collection.load(loadCollectionSpec(large), { engine: 'interp', verify: false });
    const { space, registry } = this.collection.runtime;
    // The instructions the collection registered for its programs, ids 1 to n.
    for (let id = 1; registry.program(id) instanceof ProgramHandle; id++) this.programs.push((registry.program(id) as ProgramHandle).insns);
    this.total = this.programs.reduce((n, p) => n + p.length, 0);
    this.ctx = BigInt(space.alloc('ctx', 4096, 'ctx').start);
  }

  /** `r0 = salt`, a new salt each time: a program made unique, so that no cache, ours or V8's, helps. */
  private mov0(): Insn {
    return { code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: this.salt++ };
  }

  /** The programs, each made unique. */
  salted(): Insn[][] {
    return this.programs.map((p) => [this.mov0(), ...p]);
  }

  /** One program made of all of them: main calls each as a subprogram. */
  combined(): Insn[][] {
    const head: Insn[] = [this.mov0()];
    let at = this.programs.length + 2;
    for (const p of this.programs) {
      head.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: BPF_PSEUDO_CALL, off: 0, imm: at - head.length - 1 });
      at += p.length;
    }
    head.push({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
    return [[...head, ...this.programs.flat()]];
  }

  /** Load `batch` into a fresh Jit as `mode` says: when this returns, every program is ready to run. */
  load(batch: readonly (readonly Insn[])[], mode: LoadMode, verified: boolean): Loaded {
    const { space, helpers } = this.collection.runtime;
    const jit = new Jit(space, { cache: new JitCache(), helpers });
    let programs: JitProgram[];
    if (mode === 'all') {
      programs = jit.loadAll(batch, { verified });
    } else {
      programs = [];
      for (const insns of batch) {
        const p = jit.load(insns, { verified });
        if (mode === 'alone') void p.compiled;
        else if (mode === 'first run') this.runOnce(p);
        programs.push(p);
      }
      if (mode === 'one by one') for (const p of programs) void p.compiled;
    }
    return { jit, programs };
  }

  /** Run a program once on the zeroed context (a fault of the program's own is a result like another). */
  runOnce(p: JitProgram): void {
    try {
      p.run({ r1: this.ctx });
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
    }
  }

  dispose(): void {
    this.collection.dispose();
  }
}
