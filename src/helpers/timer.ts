/**
 * bpf_timer_* on a virtual clock: a test (or a simulation) moves time with
 * `VirtualClock.advance(ns)`, and every timer that falls due on the way
 * fires, in expiry order, through the engine's callback hook — as
 * hrtimers fire their BPF callbacks in softirq context.
 *
 * A `struct bpf_timer` (16 bytes in a map value) holds the timer's id in
 * its first u32; the timer's state lives in the clock. A bpf_timer whose
 * word no longer holds its id (userspace rewrote or deleted the element)
 * is no longer initialised, and its pending expiry is dropped.
 */
import { ArrayMap, HashMap, ELEM, HASH_DESC, type BpfMap, type MapRegistry } from '../maps/index.js';
import { TAI_OFFSET_NS, argAccess, type Clock, type DeferredCallback, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_timer_init = 169;
export const BPF_FUNC_timer_set_callback = 170;
export const BPF_FUNC_timer_start = 171;
export const BPF_FUNC_timer_cancel = 172;

/** sizeof(struct bpf_timer). */
export const BPF_TIMER_SIZE = 16;
/** bpf_timer_start flags. */
export const BPF_F_TIMER_ABS = 1;
export const BPF_F_TIMER_CPU_PIN = 2;
/** The clocks bpf_timer_init accepts. */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;
const MAX_CLOCKS = 16;

interface TimerState {
  readonly id: number;
  /** Address of the struct bpf_timer. */
  readonly addr: number;
  readonly clockId: number;
  /** The map pointer, key pointer and value pointer the callback gets. */
  readonly args: readonly [bigint, bigint, bigint];
  callback: DeferredCallback | undefined;
  /** Monotonic expiry when armed. */
  expires: bigint | undefined;
  /** Arming order, to fire timers due at the same instant in the order they were started. */
  seq: number;
  /** Inside its own callback (bpf_timer_cancel then is -EDEADLK). */
  running: boolean;
  /** Whether the element holding the timer is still the map's element for its key. */
  readonly inMap: () => boolean;
  readonly ctx: HelperContext;
}

export interface VirtualClockOptions {
  /** CLOCK_MONOTONIC at creation (default 0). */
  startNs?: bigint;
  /** CLOCK_BOOTTIME - CLOCK_MONOTONIC (time spent suspended; default 0). */
  bootOffsetNs?: bigint;
  /** CLOCK_REALTIME - CLOCK_MONOTONIC (default 0: the epoch at boot). */
  realtimeOffsetNs?: bigint;
}

/** A clock that moves only when told to, and the bpf_timers armed on it. */
export class VirtualClock implements Clock {
  private now: bigint;
  private readonly bootOffset: bigint;
  private readonly realtimeOffset: bigint;
  private readonly timers = new Map<number, TimerState>();
  private nextId = 1;
  private nextSeq = 1;

  constructor(options: VirtualClockOptions = {}) {
    this.now = options.startNs ?? 0n;
    this.bootOffset = options.bootOffsetNs ?? 0n;
    this.realtimeOffset = options.realtimeOffsetNs ?? 0n;
  }

  monotonicNs(): bigint { return this.now; }
  bootNs(): bigint { return this.now + this.bootOffset; }
  realtimeNs(): bigint { return this.now + this.realtimeOffset; }
  taiNs(): bigint { return this.now + this.realtimeOffset + TAI_OFFSET_NS; }

  /** The time of `clockId` now. */
  clockNs(clockId: number): bigint {
    return clockId === CLOCK_BOOTTIME ? this.bootNs() : clockId === CLOCK_REALTIME ? this.realtimeNs() : this.now;
  }

  /**
   * Move time forward by `ns`, firing each timer that falls due on the
   * way, earliest first (the clock reads the expiry time inside its
   * callback). Returns how many callbacks ran.
   */
  advance(ns: bigint): number {
    if (typeof ns !== 'bigint' || ns < 0n) throw new RuntimeError(`VirtualClock.advance: ns must be a non-negative bigint, got ${String(ns)}`);
    const target = this.now + ns;
    let fired = 0;
    for (let t = this.due(target); t; t = this.due(target)) {
      this.now = t.expires!;
      t.expires = undefined;
      if (!this.live(t) || !t.callback) continue;
      t.running = true;
      try {
        t.callback.call(t.args[0], t.args[1], t.args[2], 0n, 0n);
      } finally {
        t.running = false;
      }
      fired++;
    }
    this.now = target;
    return fired;
  }

  /** Timers armed now, earliest first. */
  pending(): { addr: number; expiresNs: bigint }[] {
    return [...this.timers.values()]
      .filter((t) => t.expires !== undefined)
      .sort((a, b) => (a.expires! < b.expires! ? -1 : a.expires! > b.expires! ? 1 : a.seq - b.seq))
      .map((t) => ({ addr: t.addr, expiresNs: t.expires! }));
  }

  private due(target: bigint): TimerState | undefined {
    let best: TimerState | undefined;
    for (const t of this.timers.values()) {
      if (t.expires === undefined || t.expires > target) continue;
      if (!best || t.expires < best.expires! || (t.expires === best.expires && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Whether the bpf_timer still holds this timer's id. */
  private live(t: TimerState): boolean {
    const bytes = t.ctx.space.memory.buffer;
    return new Uint32Array(bytes, t.addr, 1)[0] === t.id && t.inMap();
  }

  /** @internal The timer the bpf_timer at `addr` holds, if it is initialised. */
  timerAt(ctx: HelperContext, addr: number): TimerState | undefined {
    const t = this.timers.get(ctx.space.view.getUint32(addr, true));
    if (t && t.addr === addr && this.live(t)) return t;
    return undefined;
  }

  /** @internal bpf_timer_init's new timer. */
  create(ctx: HelperContext, addr: number, clockId: number, args: readonly [bigint, bigint, bigint], inMap: () => boolean): void {
    for (const [id, old] of this.timers) if (old.addr === addr) this.timers.delete(id);
    const t: TimerState = { id: this.nextId++, addr, clockId, args, callback: undefined, expires: undefined, seq: 0, running: false, inMap, ctx };
    this.timers.set(t.id, t);
    ctx.space.view.setUint32(addr, t.id, true);
  }

  /** @internal Arm (or re-arm) `t` to expire at `expires` on the monotonic clock. */
  arm(t: TimerState, expires: bigint): void {
    t.expires = expires;
    t.seq = this.nextSeq++;
  }
}

const notInMap = (addr: number, map: BpfMap) =>
  new RuntimeError(`bpf_timer_init: the bpf_timer at 0x${addr.toString(16)} is not in a value of map ${map.name || map.id}`, { addr: BigInt(addr) });

/** The value and key pointers of the element holding `addr` (kernel: from timer_off; here from the map's layout). */
function element(ctx: HelperContext, map: BpfMap, addr: number): { key: bigint; value: bigint; inMap: () => boolean } {
  if (map instanceof ArrayMap && !map.percpu) {
    const index = Math.floor((addr - map.storage) / map.elemSize);
    if (index < 0 || index >= map.maxEntries) throw notInMap(addr, map);
    const key = ctx.space.alloc(`timer:key:${map.name}[${index}]`, 4, 'other', false);
    ctx.space.view.setUint32(key.start, index, true);
    return { key: BigInt(key.start), value: BigInt(map.valueAddress(index)), inMap: () => true };
  }
  if (map instanceof HashMap && !map.percpu) {
    const elems = ctx.space.view.getUint32(map.address + HASH_DESC.elems, true);
    const index = Math.floor((addr - elems) / map.elemSize);
    if (index < 0 || index >= ctx.space.view.getUint32(map.address + HASH_DESC.nrElems, true)) throw notInMap(addr, map);
    const elem = elems + index * map.elemSize;
    // An update replaces the element and a delete frees it: either way the key no longer leads here.
    const value = elem + map.valueOffset;
    return { key: BigInt(elem + ELEM.key), value: BigInt(value), inMap: () => map.lookupElem(elem + ELEM.key, 0) === value };
  }
  throw new RuntimeError(`bpf_timer_init: a bpf_timer may live in an array, hash or lru_hash value, not in ${map.name || 'this map'}`);
}

function timerArg(ctx: HelperContext, timer: bigint, helper: string): number {
  const at = argAccess(ctx, `${helper}: r1 (timer)`, timer, BPF_TIMER_SIZE, true);
  if (at % 8 !== 0) throw new RuntimeError(`${helper}: struct bpf_timer at 0x${at.toString(16)} is not 8-byte aligned`, { addr: timer });
  return at;
}

/**
 * The timer helpers, for timers on `clock` in the maps of `registry`.
 * Give the same clock to the helper context (HelperHost.clock) so that
 * bpf_ktime_get_ns and the timers agree.
 */
export function timerHelpers(clock: VirtualClock, registry: MapRegistry): HelperDef[] {
  /** long bpf_timer_init(struct bpf_timer *timer, struct bpf_map *map, u64 flags). */
  const init = (ctx: HelperContext, timer: bigint, mapPtr: bigint, flags: bigint): bigint => {
    const at = timerArg(ctx, timer, 'bpf_timer_init');
    const clockId = Number(flags & BigInt(MAX_CLOCKS - 1));
    if (flags >= BigInt(MAX_CLOCKS) || ![CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME].includes(clockId)) return helperErr('EINVAL');
    const map = mapPtr < 0x100000000n ? registry.mapByAddress(Number(mapPtr)) : undefined;
    if (!map) throw new RuntimeError(`bpf_timer_init: r2 = 0x${mapPtr.toString(16)} is not a map`, { addr: mapPtr });
    if (clock.timerAt(ctx, at)) return helperErr('EBUSY');
    const { key, value, inMap } = element(ctx, map, at);
    clock.create(ctx, at, clockId, [mapPtr, key, value], inMap);
    return 0n;
  };
  /** long bpf_timer_set_callback(struct bpf_timer *timer, void *callback_fn). */
  const setCallback = (ctx: HelperContext, timer: bigint, fn: bigint): bigint => {
    const t = clock.timerAt(ctx, timerArg(ctx, timer, 'bpf_timer_set_callback'));
    if (!t) return helperErr('EINVAL');
    t.callback = ctx.engine.deferredCallback(fn);
    return 0n;
  };
  /** long bpf_timer_start(struct bpf_timer *timer, u64 nsecs, u64 flags): relative, or absolute on the timer's clock. */
  const start = (ctx: HelperContext, timer: bigint, nsecs: bigint, flags: bigint): bigint => {
    const at = timerArg(ctx, timer, 'bpf_timer_start');
    if (flags & ~BigInt(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) return helperErr('EINVAL');
    const t = clock.timerAt(ctx, at);
    if (!t || !t.callback) return helperErr('EINVAL');
    const now = clock.monotonicNs();
    const ns = BigInt.asIntN(64, nsecs);
    clock.arm(t, flags & BigInt(BPF_F_TIMER_ABS) ? ns - (clock.clockNs(t.clockId) - now) : now + ns);
    return 0n;
  };
  /** long bpf_timer_cancel(struct bpf_timer *timer): 1 if it was armed, 0 if not; -EDEADLK from its own callback. */
  const cancel = (ctx: HelperContext, timer: bigint): bigint => {
    const t = clock.timerAt(ctx, timerArg(ctx, timer, 'bpf_timer_cancel'));
    if (!t) return helperErr('EINVAL');
    if (t.running) return helperErr('EDEADLK');
    const armed = t.expires !== undefined;
    t.expires = undefined;
    return armed ? 1n : 0n;
  };
  return [
    { id: BPF_FUNC_timer_init, name: 'bpf_timer_init', fn: init },
    { id: BPF_FUNC_timer_set_callback, name: 'bpf_timer_set_callback', fn: setCallback },
    { id: BPF_FUNC_timer_start, name: 'bpf_timer_start', fn: start },
    { id: BPF_FUNC_timer_cancel, name: 'bpf_timer_cancel', fn: cancel },
  ];
}
