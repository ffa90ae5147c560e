/**
 * Programs near the verifier's accept/reject boundary, for the differential
 * fuzzer (fuzz.ts) and the soundness property (sound.test.ts). Each template
 * is a small, realistic program shape whose random parameters sit right
 * around the line the verifier draws:
 *
 * - pkt:     `data + N > data_end` checks in every comparison form, with the
 *            access size and offset around N, on the right or the wrong
 *            branch, through copies, after a variable offset; data_meta too;
 * - null:    map lookups with and without a null check, with the check on a
 *            copy, on the wrong register, after arithmetic on the maybe-null;
 * - stack:   accesses around -512 and 0, of every size, aligned or not,
 *            after partial initialisation, through a moved frame pointer;
 * - mapval:  map value accesses with constant offsets around value_size and
 *            variable offsets bounded by masks or comparisons around it;
 * - loop:    bounded and unbounded loops (step, limit and comparison random);
 * - maygoto: `while (1)` loops that may_goto ends, with or without a bound of
 *            their own, writing a stack array or a map value at an index
 *            masked, bounded or neither, maybe nested, maybe in a subprogram;
 * - helper:  helper arguments: key and value pointers into the stack near the
 *            edges, sizes in registers bounded or not, uninitialised buffers;
 * - ctx:     context loads and stores at offsets and sizes around each field;
 * - ptr:     pointer arithmetic of every kind of pointer, then a dereference.
 *
 * A program is assembly text (so a finding prints as a corpus case) plus the
 * program type and the maps it references (`ld_pseudo rN, 5, <index>`).
 */
import fc from 'fast-check';
import { assemble } from '../../src/asm/index.js';
import type { Insn } from '../../src/isa/index.js';
import { programType } from '../../src/platform/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import type { MapDescriptor } from '../../src/verifier/index.js';

export interface FuzzCase {
  template: string;
  prog: string;
  maps: MapDescriptor[];
  text: string;
}

export const TEMPLATES = ['pkt', 'null', 'stack', 'mapval', 'loop', 'maygoto', 'helper', 'ctx', 'ptr'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

const SIZES = [1, 2, 4, 8] as const;
const W: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const size = fc.constantFrom(...SIZES);
/** A value near `centre`: most draws within a few units of it. */
const near = (centre: number, spread = 3) => fc.integer({ min: centre - spread, max: centre + spread });

/** `data`, `data_end` and `data_meta` in the context of a packet program type. */
const PKT_CTX: Record<string, { data: number; end: number; meta?: number }> = {
  xdp: { data: 0, end: 4, meta: 8 },
  sched_cls: { data: 76, end: 80, meta: 140 },
};

function lines(...ls: (string | false | null | undefined)[]): string {
  return ls.filter((l): l is string => typeof l === 'string').join('\n');
}

/** A load (into r0) or a store (of an immediate or of r7) of `sz` bytes at `reg + off`. */
function access(reg: string, off: number, sz: number, kind: 'load' | 'store' | 'storeReg'): string {
  const at = `*(${W[sz]} *)(${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
  if (kind === 'load') return `r0 = ${at}`;
  if (kind === 'store') return `${at} = 7`;
  return `r7 = 7\n${at} = r7`;
}
const accessKind = fc.constantFrom<'load' | 'store' | 'storeReg'>('load', 'load', 'store', 'storeReg');

/** Comparison forms of `if data + N > data_end`, as (insn, whether the access sits on the jump's target). */
const PKT_CHECKS = [
  { cmp: 'if r4 > r3 goto bad', good: 'fall' },
  { cmp: 'if r4 >= r3 goto bad', good: 'fall' },
  { cmp: 'if r3 < r4 goto bad', good: 'fall' },
  { cmp: 'if r3 <= r4 goto bad', good: 'fall' },
  { cmp: 'if r4 <= r3 goto good', good: 'target' },
  { cmp: 'if r4 < r3 goto good', good: 'target' },
  { cmp: 'if r3 >= r4 goto good', good: 'target' },
  { cmp: 'if r3 > r4 goto good', good: 'target' },
  { cmp: 'if w4 > w3 goto bad', good: 'fall' },
  { cmp: 'if r4 s> r3 goto bad', good: 'fall' },
  { cmp: 'if r4 == r3 goto bad', good: 'fall' },
  { cmp: 'if r4 != r3 goto good', good: 'target' },
] as const;

const pkt: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('xdp', 'xdp', 'sched_cls', 'sched_cls', 'socket_filter'),
  n: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0xffff, 0x10000, -1)),
  check: fc.constantFrom(...PKT_CHECKS),
  wrongSide: fc.constantFrom(false, false, true),
  sz: size,
  offDelta: fc.integer({ min: -3, max: 1 }),
  kind: accessKind,
  via: fc.constantFrom('r2', 'r2', 'r4', 'copy'),
  meta: fc.boolean(),
  variable: fc.option(fc.record({ mask: fc.constantFrom(0, 1, 3, 7, 15, 31, 0xff, 0xffff), recheck: fc.boolean() }), { freq: 4 }),
}).map(({ prog, n, check, wrongSide, sz, offDelta, kind, via, meta, variable }): FuzzCase => {
  const ctx = PKT_CTX[prog] ?? PKT_CTX.sched_cls;
  const useMeta = meta && ctx.meta !== undefined && prog === 'xdp';
  // The access's offset, relative to the register it goes through, lands around the checked range.
  const base = via === 'r4' ? -sz : 0;
  const off = Math.min(0x7fff, (via === 'r4' ? 0 : n - sz) + base + offDelta);
  const reg = via === 'copy' ? 'r5' : via;
  const body = access(reg, off, sz, kind);
  const onGood = !wrongSide;
  const fall = check.good === 'fall';
  const text = lines(
    useMeta ? `r2 = *(u32 *)(r1 + ${ctx.meta})` : `r2 = *(u32 *)(r1 + ${ctx.data})`,
    useMeta ? `r3 = *(u32 *)(r1 + ${ctx.data})` : `r3 = *(u32 *)(r1 + ${ctx.end})`,
    variable && 'r6 = *(u8 *)(r1 + 0)',
    variable && variable.mask !== 0 && `r6 &= ${variable.mask}`,
    variable && 'r2 += r6',
    via === 'copy' && 'r5 = r2',
    'r4 = r2',
    `r4 += ${n}`,
    variable?.recheck === false && 'r4 = r2\nr4 += 1',
    check.cmp,
    fall === onGood && body,
    'r0 = 1',
    'exit',
    fall ? 'bad:' : 'good:',
    fall !== onGood && body,
    'r0 = 2',
    'exit',
  );
  return { template: 'pkt', prog, maps: [], text };
});

const MAP_TYPES = ['hash', 'array', 'lru_hash', 'percpu_array'] as const;
const valueSize = fc.constantFrom(1, 4, 8, 12, 16, 24, 48, 64);

/** A lookup of key 0 (or `keyOff`) in map 0; the result is in r0. */
function lookup(keyOff = -4): string {
  return lines('r1 = 0', `*(u32 *)(r10 ${keyOff})` + ' = r1', 'r2 = r10', `r2 += ${keyOff}`, 'ld_pseudo r1, 5, 0', 'call bpf_map_lookup_elem');
}

const NULL_CHECKS = ['none', 'eq', 'ne', 'copy', 'copyCheckOrig', 'wrongReg', 'arithFirst', 'checkThenClobber', 'jmp32', 'nonzeroConst'] as const;

const nullCheck: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'sched_cls', 'kprobe'),
  mapType: fc.constantFrom(...MAP_TYPES),
  vs: valueSize,
  check: fc.constantFrom(...NULL_CHECKS),
  sz: size,
  offDelta: near(0, 2),
  kind: accessKind,
}).map(({ prog, mapType, vs, check, sz, offDelta, kind }): FuzzCase => {
  const off = Math.max(0, vs - sz) + offDelta;
  const body = (reg: string) => access(reg, off, sz, kind);
  let tail: string;
  switch (check) {
    case 'none': tail = body('r0'); break;
    case 'eq': tail = lines('if r0 == 0 goto out', body('r0')); break;
    case 'ne': tail = lines('if r0 != 0 goto ok', 'r0 = 0', 'exit', 'ok:', body('r0')); break;
    case 'copy': tail = lines('r6 = r0', 'if r6 == 0 goto out', body('r0')); break;
    case 'copyCheckOrig': tail = lines('r6 = r0', 'if r0 == 0 goto out', body('r6')); break;
    case 'wrongReg': tail = lines('r6 = r0', 'r0 = 1', 'if r0 == 0 goto out', body('r6')); break;
    case 'arithFirst': tail = lines('r0 += 0', 'if r0 == 0 goto out', body('r0')); break;
    case 'checkThenClobber': tail = lines('if r0 == 0 goto out', 'r6 = r0', 'call bpf_get_prandom_u32', body('r6')); break;
    case 'jmp32': tail = lines('if w0 == 0 goto out', body('r0')); break;
    default: tail = lines('if r0 == 1 goto out', body('r0'));
  }
  return {
    template: 'null', prog,
    maps: [{ type: mapType, keySize: 4, valueSize: vs, maxEntries: 4 }],
    text: lines(lookup(), tail, 'out:', 'r0 = 0', 'exit'),
  };
});

const stack: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'kprobe'),
  off: fc.oneof(near(-512, 4), near(-8, 8), fc.integer({ min: -520, max: 4 })),
  sz: size,
  kind: fc.constantFrom<'load' | 'store' | 'storeReg' | 'init-then-load'>('load', 'store', 'storeReg', 'init-then-load', 'init-then-load'),
  initSize: size,
  initDelta: near(0, 4),
  moved: fc.option(fc.integer({ min: -520, max: 8 }), { freq: 3 }),
  variable: fc.option(fc.constantFrom(1, 3, 7, 15, 63, 255), { freq: 5 }),
}).map(({ prog, off, sz, kind, initSize, initDelta, moved, variable }): FuzzCase => {
  const ls: string[] = [];
  let reg = 'r10';
  let at = off;
  if (moved !== null || variable !== null) {
    ls.push('r2 = r10');
    if (moved !== null) {
      ls.push(`r2 += ${moved}`);
      at = off - moved;
    }
    if (variable !== null) ls.push('r6 = *(u32 *)(r1 + 0)', `r6 &= ${variable}`, 'r2 += r6');
    reg = 'r2';
  }
  if (kind === 'init-then-load') {
    ls.push(access('r10', off + initDelta, initSize, 'storeReg'), access(reg, at, sz, 'load'), 'r0 += 0');
  } else ls.push(access(reg, at, sz, kind));
  return { template: 'stack', prog, maps: [], text: lines(...ls, 'r0 = 0', 'exit') };
});

const mapval: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'sched_cls', 'kprobe'),
  mapType: fc.constantFrom(...MAP_TYPES),
  vs: valueSize,
  sz: size,
  kind: accessKind,
  offset: fc.oneof(
    fc.record({ k: fc.constant('const' as const), delta: near(0, 3) }),
    fc.record({ k: fc.constant('mask' as const), delta: near(0, 2) }),
    fc.record({ k: fc.constantFrom('jgt' as const, 'jge' as const, 'jsgt' as const, 'jlt' as const, 'w-jgt' as const, 'jsgt-noneg' as const), delta: near(0, 2) }),
  ),
  constOff: fc.integer({ min: -2, max: 4 }),
}).map(({ prog, mapType, vs, sz, kind, offset, constOff }): FuzzCase => {
  const limit = vs - sz + offset.delta;
  let tail: string;
  switch (offset.k) {
    case 'const': tail = access('r0', limit, sz, kind); break;
    case 'mask': tail = lines('r6 = *(u32 *)(r0 + 0)', `r6 &= ${Math.max(0, limit)}`, 'r0 += r6', access('r0', 0, sz, kind)); break;
    default: {
      const jump = {
        jgt: `if r6 > ${limit} goto out`, jge: `if r6 >= ${limit + 1} goto out`, jsgt: `if r6 s> ${limit} goto out`,
        jlt: `if r6 < ${limit + 1} goto ok\nr0 = 0\nexit\nok:`, 'w-jgt': `if w6 > ${limit} goto out`,
        'jsgt-noneg': `if r6 s> ${limit} goto out\nif r6 s< 0 goto out`,
      }[offset.k];
      const load = offset.k === 'jsgt' || offset.k === 'jsgt-noneg' ? 'r6 = *(u64 *)(r0 + 0)' : 'r6 = *(u32 *)(r0 + 0)';
      tail = lines(vs >= (load.includes('u64') ? 8 : 4) ? load : 'r6 = *(u32 *)(r1 + 0)', jump, 'r0 += r6', access('r0', constOff, sz, kind));
    }
  }
  return {
    template: 'mapval', prog,
    maps: [{ type: mapType, keySize: 4, valueSize: vs, maxEntries: 4 }],
    text: lines(lookup(), 'if r0 == 0 goto out', tail, 'out:', 'r0 = 0', 'exit'),
  };
});

/**
 * Loops that end within a few thousand instructions, or that the verifier
 * sees repeating exactly ("infinite loop detected"): a loop that runs to the
 * 1,000,000-instruction limit takes seconds on either side, so the counter
 * always moves towards its limit (or does not move at all, with nothing else
 * changing).
 */
const loop: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'kprobe'),
  start: fc.constantFrom(0, 0, 1, 5),
  step: fc.constantFrom(1, 1, 2, 3, 0),
  goDown: fc.boolean(),
  limit: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(50, 64, 100)),
  cmp: fc.constantFrom('<', '<=', '!=', 's<', 's<='),
  w32: fc.boolean(),
  stackWrite: fc.boolean(),
  stackRange: fc.constantFrom(63, 64, 127, 511, 512),
  unknownStart: fc.constantFrom(false, false, true),
}).map(({ prog, start, step, goDown, limit: limitDrawn, cmp, w32, stackWrite, stackRange, unknownStart: unknownDrawn }): FuzzCase => {
  const r = w32 ? 'w1' : 'r1';
  // A counter that does not move from an unknown start is no exact repeat to the kernel: it walks to the limit.
  const unknownStart = unknownDrawn && step !== 0;
  // An unknown start only counts up (down, it could wrap below zero and run forever).
  const down = goDown && !unknownStart;
  // Counting down, the limit stays at least one step above zero: an unsigned counter must not wrap.
  const limit = down ? Math.max(limitDrawn, step) : limitDrawn;
  const first = down ? limit + start + step * 3 : start;
  // The first comparison sees first ± step: `!=` ends only if some later value is the limit.
  const distance = down ? first - limit : limit - first;
  const reachable = cmp !== '!=' || (step > 0 && distance > 0 && distance % step === 0 && !unknownStart);
  const up = reachable ? cmp : '<';
  const down_ = { '<': '>', '<=': '>=', '!=': '!=', 's<': 's>', 's<=': 's>=' }[up];
  return {
    template: 'loop', prog, maps: [],
    text: lines(
      'r0 = 0',
      unknownStart ? 'r1 = *(u8 *)(r1 + 0)' : `${r} = ${first}`,
      'l:',
      step !== 0 && 'r0 += 1',
      stackWrite && `r2 = r10\nr2 += -${stackRange + 1}\nr3 = r1\nr3 &= ${stackRange}\nr2 += r3\n*(u8 *)(r2 + 0) = 1`,
      `${r} ${down ? '-' : '+'}= ${step}`,
      `if ${r} ${down ? down_ : up} ${limit} goto l`,
      'exit',
    ),
  };
});

/**
 * may_goto loops: the verifier widens the scalars an iteration changed and
 * nothing made precise, and stops when an iteration stays within the ranges
 * of an earlier one; an index compared with a bound stays precise and the
 * loop unrolls to it. Unbounded loops run until may_goto's budget is spent
 * (8M iterations), so most draws also have a bound of their own.
 */
const maygoto: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'kprobe'),
  target: fc.constantFrom('stack', 'stack', 'map', 'count'),
  bound: fc.oneof(fc.constant(null), near(16, 3), near(64, 2)),
  cmp: fc.constantFrom('>=', '>', 's>='),
  step: fc.constantFrom(1, 1, 2),
  range: fc.constantFrom(15, 63, 64, 127),
  mask: fc.constantFrom(null, 7, 15, 63, 64, 127),
  vs: fc.constantFrom(8, 16, 64, 65),
  nullCheck: fc.constantFrom(true, true, false),
  nested: fc.constantFrom(false, false, true),
  inSubprog: fc.constantFrom(false, false, true),
}).map(({ prog, target, bound: boundDrawn, cmp, step, range, mask, vs, nullCheck, nested: nestedDrawn, inSubprog }): FuzzCase => {
  // A masked index in an address is precise, so the iterations never converge: without a bound the walk runs to
  // the instruction limit (seconds on either side), and so does an inner loop under an outer one that unrolls.
  const bound = mask !== null && target !== 'count' ? boundDrawn ?? 16 : boundDrawn;
  const nested = nestedDrawn && target === 'count';
  const index = lines('r3 = r7', mask !== null && `r3 &= ${mask}`);
  const body = {
    stack: lines(index, 'r2 = r10', `r2 += -${range + 1}`, 'r2 += r3', '*(u8 *)(r2 + 0) = 1'),
    map: lines(lookup(-8), nullCheck && 'if r0 == 0 goto next', index, 'r0 += r3', '*(u8 *)(r0 + 0) = 1'),
    count: lines('r6 += r7'),
  }[target];
  const inner = nested && lines('r8 = 0', 'inner:', 'may_goto inner_out', 'r8 += 1', 'r6 += r8', 'goto inner', 'inner_out:');
  const loop = lines(
    'r6 = 0', 'r7 = 0', 'l:', 'may_goto out', bound !== null && `if r7 ${cmp} ${bound} goto out`,
    body, 'next:', inner, `r7 += ${step}`, 'goto l', 'out:',
  );
  return {
    template: 'maygoto', prog, maps: target === 'map' ? [{ type: 'array', keySize: 4, valueSize: vs, maxEntries: 4 }] : [],
    text: inSubprog
      ? lines('call sub', 'r0 = 0', 'exit', 'sub:', loop, 'r0 = 0', 'exit')
      : lines(loop, 'r0 = 0', 'exit'),
  };
});

const HELPER_CASES = ['lookupKey', 'updateValue', 'probeRead', 'probeReadVar', 'comm', 'skbLoad', 'adjustHead', 'printk', 'ringbufOutput'] as const;

const helper: fc.Arbitrary<FuzzCase> = fc.record({
  which: fc.constantFrom(...HELPER_CASES),
  bufOff: fc.oneof(near(-8, 4), near(-512, 4), near(-16, 8)),
  len: fc.oneof(near(8, 4), near(16, 4), fc.constantFrom(0, 512, 513, -1)),
  init: fc.constantFrom('none', 'part', 'full'),
  vs: valueSize,
  mask: fc.constantFrom(7, 15, 16, 31, 63, 255),
  lenCheck: fc.boolean(),
}).map(({ which, bufOff, len, init, vs, mask, lenCheck }): FuzzCase => {
  // Byte stores that initialise none, half or all of the `n` bytes at fp+off (only those inside the stack).
  const initBuf = (off: number, n: number): string[] => {
    const count = init === 'none' ? 0 : init === 'part' ? n >> 1 : n;
    const out: string[] = [];
    for (let i = off; i < off + Math.min(count, 64); i++) if (i < 0 && i >= -512) out.push(`*(u8 *)(r10 - ${-i}) = 0`);
    return out;
  };
  const m = (type: string, k: number, v: number, n = 4): MapDescriptor[] => [{ type, keySize: k, valueSize: v, maxEntries: n }];
  switch (which) {
    case 'lookupKey':
      return { template: 'helper', prog: 'socket_filter', maps: m('hash', 4, vs), text: lines(...initBuf(bufOff, 4), 'r2 = r10', `r2 += ${bufOff}`, 'ld_pseudo r1, 5, 0', 'call bpf_map_lookup_elem', 'r0 = 0', 'exit') };
    case 'updateValue':
      return {
        template: 'helper', prog: 'xdp', maps: m('hash', 4, vs),
        text: lines('*(u32 *)(r10 - 4) = 0', ...initBuf(bufOff, vs), 'r2 = r10', 'r2 += -4', 'r3 = r10', `r3 += ${bufOff}`, 'r4 = 0', 'ld_pseudo r1, 5, 0', 'call bpf_map_update_elem', 'r0 = 0', 'exit'),
      };
    case 'probeRead':
      return { template: 'helper', prog: 'kprobe', maps: [], text: lines('r3 = *(u64 *)(r1 + 112)', 'r1 = r10', `r1 += ${bufOff}`, `r2 = ${len}`, 'call bpf_probe_read_kernel', 'r0 = 0', 'exit') };
    case 'probeReadVar':
      return {
        template: 'helper', prog: 'kprobe', maps: [],
        text: lines('r3 = *(u64 *)(r1 + 112)', 'r2 = *(u64 *)(r1 + 104)', lenCheck ? `if r2 > ${len} goto out` : `r2 &= ${mask}`, 'r1 = r10', `r1 += ${bufOff}`, 'call bpf_probe_read_kernel', 'out:', 'r0 = 0', 'exit'),
      };
    case 'comm':
      return { template: 'helper', prog: 'kprobe', maps: [], text: lines('r1 = r10', `r1 += ${bufOff}`, `r2 = ${len}`, 'call bpf_get_current_comm', 'r0 = 0', 'exit') };
    case 'skbLoad':
      return { template: 'helper', prog: 'sched_cls', maps: [], text: lines('r2 = 0', 'r3 = r10', `r3 += ${bufOff}`, `r4 = ${len}`, 'call bpf_skb_load_bytes', 'r0 = 0', 'exit') };
    case 'adjustHead':
      return {
        template: 'helper', prog: 'xdp', maps: [],
        text: lines('r6 = r1', 'r2 = *(u32 *)(r6 + 0)', 'r3 = *(u32 *)(r6 + 4)', 'r4 = r2', `r4 += ${Math.max(1, len & 63)}`, 'if r4 > r3 goto out',
          lenCheck ? 'r1 = r6\nr2 = 4\ncall bpf_xdp_adjust_head' : 'r0 = 0', 'r0 = *(u8 *)(r2 + 0)', 'out:', 'r0 = 2', 'exit'),
      };
    case 'printk':
      return { template: 'helper', prog: 'kprobe', maps: [], text: lines(...initBuf(bufOff, 8), 'r1 = r10', `r1 += ${bufOff}`, `r2 = ${len}`, 'call bpf_trace_printk', 'r0 = 0', 'exit') };
    default:
      return {
        template: 'helper', prog: 'socket_filter', maps: m('ringbuf', 0, 0, 4096),
        text: lines(...initBuf(bufOff, 8), 'r2 = r10', `r2 += ${bufOff}`, `r3 = ${len}`, 'r4 = 0', 'ld_pseudo r1, 5, 0', 'call bpf_ringbuf_output', 'r0 = 0', 'exit'),
      };
  }
});

const ctx: fc.Arbitrary<FuzzCase> = fc.record({
  prog: fc.constantFrom('socket_filter', 'xdp', 'sched_cls', 'kprobe'),
  pick: fc.nat(),
  delta: fc.constantFrom(0, 0, 0, 1, 2, 4, -1, -4),
  sz: size,
  kind: fc.constantFrom<'load' | 'store' | 'storeReg'>('load', 'load', 'load', 'store', 'storeReg'),
  viaCopy: fc.boolean(),
}).map(({ prog, pick, delta, sz, kind, viaCopy }): FuzzCase => {
  const spec = programType(prog).ctx;
  const fields = spec.fields;
  const off = fields.length ? fields[pick % fields.length].offset + delta : (pick % (spec.size + 8)) + delta;
  return {
    template: 'ctx', prog, maps: [],
    text: lines(viaCopy && 'r6 = r1\nr6 += 0', access(viaCopy ? 'r6' : 'r1', off, sz, kind), 'r0 = 0', 'exit'),
  };
});

const PTR_KINDS = ['ctx', 'stack', 'mapval', 'pkt'] as const;
const PTR_OPS = ['+= K', '-= K', '+= reg', '-= reg', '+= unbounded', '*= 2', '&= -8', '<<= 1', 'neg', 'w+= K', '+= ptr', '-= ptr', '= -ptr'] as const;

const ptr: fc.Arbitrary<FuzzCase> = fc.record({
  kind: fc.constantFrom(...PTR_KINDS),
  op: fc.constantFrom(...PTR_OPS),
  k: fc.constantFrom(0, 1, 4, 8, -8, 16, 1 << 29, -(1 << 29)),
  mask: fc.constantFrom(0, 3, 7, 255),
  sz: size,
  deref: fc.boolean(),
}).map(({ kind, op, k, mask, sz, deref }): FuzzCase => {
  const setup = {
    ctx: ['r6 = r1'],
    stack: ['*(u64 *)(r10 - 16) = 0', '*(u64 *)(r10 - 8) = 0', 'r6 = r10', 'r6 += -16'],
    mapval: [lookup(), 'if r0 == 0 goto out', 'r6 = r0'],
    pkt: ['r6 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r6', 'r4 += 16', 'if r4 > r3 goto out'],
  }[kind];
  const scalar = lines('r7 = *(u8 *)(r10 - 1)', mask ? `r7 &= ${mask}` : undefined);
  const opText = {
    '+= K': `r6 += ${k}`, '-= K': `r6 -= ${k}`, '+= reg': `${scalar}\nr6 += r7`, '-= reg': `${scalar}\nr6 -= r7`,
    '+= unbounded': 'r7 = *(u64 *)(r10 - 16)\nr6 += r7', '*= 2': 'r6 *= 2', '&= -8': 'r6 &= -8', '<<= 1': 'r6 <<= 1',
    neg: 'r6 = -r6', 'w+= K': `w6 += ${k}`, '+= ptr': 'r6 += r10', '-= ptr': 'r8 = r6\nr6 -= r8', '= -ptr': 'r8 = r10\nr8 -= r6\nr6 = r8',
  }[op];
  const prog = kind === 'pkt' ? 'xdp' : 'socket_filter';
  return {
    template: 'ptr', prog,
    maps: kind === 'mapval' ? [{ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }] : [],
    text: lines(
      kind !== 'stack' && '*(u64 *)(r10 - 16) = 0\n*(u64 *)(r10 - 8) = 0',
      ...setup, opText, deref ? access('r6', 0, sz, 'load') : 'r0 = 0',
      'out:', 'r0 = 0', 'exit',
    ),
  };
});

const ARBS: Record<TemplateName, fc.Arbitrary<FuzzCase>> = { pkt, null: nullCheck, stack, mapval, loop, maygoto, helper, ctx, ptr };

/** A program from any template (or only from `only`). */
export function fuzzCaseArb(only?: readonly TemplateName[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof(...(only ?? TEMPLATES).map((t) => ARBS[t]));
}

export function fuzzInsns(c: FuzzCase): Insn[] {
  return assemble(c.text, { file: `fuzz-${c.template}.s`, helperId: helperIdByName });
}

/** A case as a corpus file (its `result` and `error` headers come from update-corpus.ts). */
export function corpusText(c: FuzzCase, title: string): string {
  const maps = c.maps.map((m) => `${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries}`).join(', ');
  return lines(`; ${title}`, `; prog: ${c.prog}`, maps && `; maps: ${maps}`, c.text) + '\n';
}
