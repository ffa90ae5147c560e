/**
 * bpf_tail_call: jump to the program in a prog_array slot. The helper checks
 * the map and the index; the engine counts the attempt and swaps the
 * program in once the helper returns (EngineHooks.tailCall).
 */
import { ProgArrayMap, type MapRegistry } from '../maps/index.js';
import { mapTypeName } from '../platform/index.js';
import { ProgramHandle, type HelperContext } from './context.js';
import { RuntimeError } from './errors.js';
import { ownHelper, type HelperDef } from './table.js';

export const BPF_FUNC_tail_call = 12;

/** MAX_TAIL_CALL_CNT: tail calls one run may take. */
export const MAX_TAIL_CALL_CNT = 33;

const ENOENT = 2n;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

/**
 * The prog_array at `addr`, or a RuntimeError naming the helper (the
 * verifier refuses any other map; an unverified program gets this).
 */
function progArray(registry: MapRegistry, addr: bigint): ProgArrayMap {
  const map = addr < 0x100000000n ? registry.mapByAddress(Number(addr)) : undefined;
  if (map instanceof ProgArrayMap) return map;
  const what = map ? `a ${mapTypeName(map.type) ?? `type ${map.type}`} map, not a prog_array` : 'not a map';
  throw new RuntimeError(`bpf_tail_call: r2 = 0x${addr.toString(16)} is ${what}`, { addr });
}

/**
 * long bpf_tail_call(void *ctx, struct bpf_map *prog_array_map, u32 index):
 * on success it does not return. On failure (index out of range, an empty
 * slot, the MAX_TAIL_CALL_CNT budget spent — only tail calls taken spend
 * it, as the kernel counts) execution continues after the call; r0 is then
 * unreadable to a verified program, and we make it -ENOENT.
 */
function tailCall(registry: MapRegistry) {
  return (ctx: HelperContext, _ctx: bigint, map: bigint, index: bigint): bigint => {
    const array = progArray(registry, map);
    const i = Number(index & 0xffffffffn);
    if (i >= array.maxEntries) return U64(-ENOENT);
    const handle = array.program(i);
    if (handle !== undefined && !(handle instanceof ProgramHandle)) {
      throw new RuntimeError(`bpf_tail_call: slot ${i} of ${array.name || 'the prog_array'} holds a ${typeof handle}, not a ProgramHandle`);
    }
    return ctx.engine.tailCall(handle) ? 0n : U64(-ENOENT);
  };
}

export function tailCallHelpers(registry: MapRegistry): HelperDef[] {
  return [ownHelper({ id: BPF_FUNC_tail_call, name: 'bpf_tail_call', fn: tailCall(registry) })];
}
