/**
 * The map helpers, with the kernel's argument contracts and results: a map
 * argument is a map pointer (the descriptor address `lddw rX, map` loads),
 * resolved through the runtime's MapRegistry; errors come back as a
 * negative errno in r0, as in the kernel. What the verifier would have
 * refused (a pointer that is no map, memory the program may not touch) is a
 * RuntimeError instead.
 */
import { BPF_MAP_TYPE } from '../platform/index.js';
import { ERRNO, PerfEventArrayMap, RingBufMap, type BpfMap, type MapRegistry } from '../maps/index.js';
import type { HelperContext } from './context.js';
import { helperAccess } from './context.js';
import { RuntimeError } from './errors.js';
import { ownHelper, type HelperDef } from './table.js';

/** enum bpf_func_id, for the helpers defined here. */
export const BPF_FUNC_map_lookup_elem = 1;
export const BPF_FUNC_map_update_elem = 2;
export const BPF_FUNC_map_delete_elem = 3;
export const BPF_FUNC_perf_event_output = 25;
export const BPF_FUNC_map_push_elem = 87;
export const BPF_FUNC_map_pop_elem = 88;
export const BPF_FUNC_map_peek_elem = 89;
export const BPF_FUNC_ringbuf_output = 130;
export const BPF_FUNC_ringbuf_reserve = 131;
export const BPF_FUNC_ringbuf_submit = 132;
export const BPF_FUNC_ringbuf_discard = 133;
export const BPF_FUNC_ringbuf_query = 134;
export const BPF_FUNC_for_each_map_elem = 164;
export const BPF_FUNC_map_lookup_percpu_elem = 195;

/** r0 for a result that is 0 or -errno. */
const ret = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

/** A u64 flags argument as the map code compares it (values past 2^53 stay larger than any flag). */
const flagsOf = (v: bigint): number => (v > 0x1fffffffffffffn ? Number.MAX_SAFE_INTEGER : Number(v));

const hex = (v: bigint) => `0x${v.toString(16)}`;

export function mapHelpers(registry: MapRegistry): HelperDef[] {
  const mapArg = (helper: string, v: bigint): BpfMap => {
    const map = registry.mapByAddress(v);
    if (!map) throw new RuntimeError(`${helper}: r1 (${hex(v)}) is not a map pointer`);
    return map;
  };
  const cpuOf = (helper: string, ctx: HelperContext): number => {
    if (ctx.cpu >= registry.nrCpus) throw new RuntimeError(`${helper}: the program runs on CPU ${ctx.cpu}, but the maps have ${registry.nrCpus} CPUs`);
    return ctx.cpu;
  };
  /** The key's address after checking the program may read it. */
  const keyArg = (ctx: HelperContext, map: BpfMap, key: bigint): number => (map.keySize ? helperAccess(ctx, key, map.keySize, false) : Number(key & 0xffffffffn));
  const valueArg = (ctx: HelperContext, map: BpfMap, value: bigint, write: boolean): number => helperAccess(ctx, value, map.valueSize, write);
  const ringArg = (helper: string, v: bigint): RingBufMap => {
    const map = mapArg(helper, v);
    if (!(map instanceof RingBufMap)) throw new RuntimeError(`${helper}: r1 (${hex(v)}) is not a ring buffer`);
    return map;
  };
  /** The ring holding the reserved sample at `sample` (what bpf_ringbuf_restore_from_rec finds). */
  const ringOfSample = (helper: string, sample: bigint): RingBufMap => {
    const at = Number(sample & 0xffffffffn);
    for (const map of registry.maps()) if (map instanceof RingBufMap && sample < 1n << 32n && map.holds(at)) return map;
    throw new RuntimeError(`${helper}: r1 (${hex(sample)}) is not a sample reserved with bpf_ringbuf_reserve`);
  };

  return [
    ownHelper({
      id: BPF_FUNC_map_lookup_elem, name: 'bpf_map_lookup_elem',
      fn: (ctx, m, key) => {
        const map = mapArg('bpf_map_lookup_elem', m);
        return BigInt(map.lookupElem(keyArg(ctx, map, key), cpuOf('bpf_map_lookup_elem', ctx)));
      },
    }),
    {
      id: BPF_FUNC_map_update_elem, name: 'bpf_map_update_elem',
      fn: (ctx, m, key, value, flags) => {
        const map = mapArg('bpf_map_update_elem', m);
        const k = keyArg(ctx, map, key), v = valueArg(ctx, map, value, false);
        return ret(map.updateElem(k, v, flagsOf(flags), cpuOf('bpf_map_update_elem', ctx)));
      },
    },
    {
      id: BPF_FUNC_map_delete_elem, name: 'bpf_map_delete_elem',
      fn: (ctx, m, key) => {
        const map = mapArg('bpf_map_delete_elem', m);
        return ret(map.deleteElem(keyArg(ctx, map, key), cpuOf('bpf_map_delete_elem', ctx)));
      },
    },
    {
      id: BPF_FUNC_map_push_elem, name: 'bpf_map_push_elem',
      fn: (ctx, m, value, flags) => {
        const map = mapArg('bpf_map_push_elem', m);
        return ret(map.pushElem(valueArg(ctx, map, value, false), flagsOf(flags), cpuOf('bpf_map_push_elem', ctx)));
      },
    },
    {
      id: BPF_FUNC_map_pop_elem, name: 'bpf_map_pop_elem',
      fn: (ctx, m, value) => {
        const map = mapArg('bpf_map_pop_elem', m);
        return ret(map.popElem(valueArg(ctx, map, value, true), cpuOf('bpf_map_pop_elem', ctx)));
      },
    },
    {
      id: BPF_FUNC_map_peek_elem, name: 'bpf_map_peek_elem',
      fn: (ctx, m, value) => {
        const map = mapArg('bpf_map_peek_elem', m);
        // A bloom filter's peek only reads the value it tests.
        const write = map.type !== BPF_MAP_TYPE.BLOOM_FILTER;
        return ret(map.peekElem(valueArg(ctx, map, value, write), cpuOf('bpf_map_peek_elem', ctx)));
      },
    },
    {
      id: BPF_FUNC_map_lookup_percpu_elem, name: 'bpf_map_lookup_percpu_elem',
      fn: (ctx, m, key, cpu) => {
        const map = mapArg('bpf_map_lookup_percpu_elem', m);
        const c = cpu & 0xffffffffn;
        if (c >= BigInt(map.nrCpus)) return 0n;
        return BigInt(map.lookupPercpuElem(keyArg(ctx, map, key), Number(c)));
      },
    },
    {
      id: BPF_FUNC_perf_event_output, name: 'bpf_perf_event_output',
      fn: (ctx, _ctx, m, flags, data, size) => {
        const map = mapArg('bpf_perf_event_output', m);
        if (!(map instanceof PerfEventArrayMap)) throw new RuntimeError(`bpf_perf_event_output: r2 is not a perf event array`);
        const n = Number(size & 0xffffffffn);
        const at = helperAccess(ctx, data, n, false);
        return ret(map.eventOutput(flags, ctx.space.bytes.subarray(at, at + n), cpuOf('bpf_perf_event_output', ctx)));
      },
    },
    {
      id: BPF_FUNC_ringbuf_output, name: 'bpf_ringbuf_output',
      fn: (ctx, m, data, size, flags) => {
        const ring = ringArg('bpf_ringbuf_output', m);
        if (size > 0xffffffffn) return ret(-ERRNO.EAGAIN);
        const n = Number(size);
        const at = helperAccess(ctx, data, n, false);
        return ret(ring.output(ctx.space.bytes.slice(at, at + n), flagsOf(flags)));
      },
    },
    ownHelper({
      id: BPF_FUNC_ringbuf_reserve, name: 'bpf_ringbuf_reserve',
      fn: (_ctx, m, size, flags) => {
        const ring = ringArg('bpf_ringbuf_reserve', m);
        if (flags !== 0n || size > 0xffffffffn) return 0n;
        return BigInt(ring.reserve(Number(size)));
      },
    }),
    ownHelper({
      id: BPF_FUNC_ringbuf_submit, name: 'bpf_ringbuf_submit',
      fn: (_ctx, sample, flags) => {
        ringOfSample('bpf_ringbuf_submit', sample).commit(Number(sample), flagsOf(flags), false);
        return 0n;
      },
    }),
    ownHelper({
      id: BPF_FUNC_ringbuf_discard, name: 'bpf_ringbuf_discard',
      fn: (_ctx, sample, flags) => {
        ringOfSample('bpf_ringbuf_discard', sample).commit(Number(sample), flagsOf(flags), true);
        return 0n;
      },
    }),
    {
      id: BPF_FUNC_ringbuf_query, name: 'bpf_ringbuf_query',
      fn: (_ctx, m, flags) => BigInt(ringArg('bpf_ringbuf_query', m).query(flagsOf(flags))),
    },
    {
      id: BPF_FUNC_for_each_map_elem, name: 'bpf_for_each_map_elem',
      fn: (ctx, m, callbackFn, callbackCtx, flags) => {
        const map = mapArg('bpf_for_each_map_elem', m);
        const cpu = cpuOf('bpf_for_each_map_elem', ctx);
        const call = (key: number, value: number) => ctx.engine.callback(callbackFn, m, BigInt(key), BigInt(value), callbackCtx, 0n);
        return ret(map.forEachElem(call, flagsOf(flags), cpu));
      },
    },
  ];
}
