/**
 * The kernel's LRU for LRU hash maps (kernel/bpf/bpf_lru_list.c), with its
 * lists in linear memory.
 *
 * Every element carries a `bpf_lru_node`; nodes move between doubly linked
 * circular lists whose heads live in the map's descriptor. A list entry is
 * the address of a node's `prev` word (element + 8) or of a list head; each
 * entry is { prev u32, next u32 }.
 *
 * Node (inside the hash element, see hash.ts): +0 prev, +4 next, +8 cpu
 * (u16), +10 type (u8), +11 ref (u8).
 *
 * Common LRU (the default): one global `bpf_lru_list` and, per CPU, a
 * `bpf_lru_locallist`. A CPU takes free nodes from its local free list,
 * refilled from the global free list `target_free` at a time (shrinking the
 * inactive list, i.e. evicting, when the global free list runs dry); new
 * nodes wait on the CPU's pending list until the next refill flushes them
 * into the global active/inactive lists. With BPF_F_NO_COMMON_LRU each CPU
 * has its own `bpf_lru_list` holding max_entries / nr_cpus nodes.
 *
 *   bpf_lru_list (40 bytes):  +0 active head, +8 inactive head, +16 free head,
 *                             +24 counts[active], +28 counts[inactive],
 *                             +32 next_inactive_rotation, +36 lock
 *   bpf_lru_locallist (24 bytes): +0 free head, +8 pending head, +16 next_steal, +20 lock
 *
 * Which node is evicted is the kernel's choice exactly: the same rotations,
 * the same scan limits, the same refill targets.
 */
import type { MapMemory } from './memory.js';

/** enum bpf_lru_list_type. */
export const LRU_ACTIVE = 0;
export const LRU_INACTIVE = 1;
export const LRU_FREE = 2;
export const LRU_LOCAL_FREE = 3;
export const LRU_LOCAL_PENDING = 4;

const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/** Offsets in a bpf_lru_list. */
const L = { lists: 0, counts: 24, nextInactiveRotation: 32, lock: 36, size: 40 } as const;
/** Offsets in a bpf_lru_locallist. */
const LOC = { free: 0, pending: 8, nextSteal: 16, lock: 20, size: 24 } as const;

/** Offsets of the LRU header that precedes the lists. */
const H = { targetFree: 0, nrScans: 4, percpu: 8, lists: 16 } as const;

/** Bytes of LRU state for `nrCpus` CPUs. */
export function lruStateSize(nrCpus: number, percpu: boolean): number {
  return H.lists + (percpu ? nrCpus * L.size : L.size + nrCpus * LOC.size);
}

/** Node field offsets from the node's address (element + 8). */
const N = { prev: 0, next: 4, cpu: 8, type: 10, ref: 11 } as const;

export class Lru {
  private readonly percpu: boolean;
  private readonly targetFree: number;
  private readonly nrScans: number;

  /**
   * `base`: the LRU state in the descriptor. `delFromHtab(node)` unlinks the
   * element of `node` from its bucket and says whether it was there.
   */
  constructor(
    private readonly mem: MapMemory,
    private readonly base: number,
    private readonly nrCpus: number,
    private readonly delFromHtab: (node: number) => boolean,
  ) {
    this.percpu = mem.get(base + H.percpu) !== 0;
    this.targetFree = mem.get(base + H.targetFree);
    this.nrScans = mem.get(base + H.nrScans);
  }

  /** bpf_lru_init + bpf_lru_populate: every node of `nodes` (addresses) onto the free lists. */
  static init(mem: MapMemory, base: number, nrCpus: number, percpu: boolean, nodes: number[]): void {
    mem.set(base + H.percpu, percpu ? 1 : 0);
    mem.set(base + H.nrScans, percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS);
    const lists = base + H.lists;
    const initList = (l: number) => {
      for (let t = 0; t < 3; t++) listInit(mem, l + 8 * t);
      mem.set(l + L.counts, 0);
      mem.set(l + L.counts + 4, 0);
      mem.set(l + L.nextInactiveRotation, l + 8 * LRU_INACTIVE);
      mem.set(l + L.lock, 0);
    };
    const setNode = (node: number, cpu: number) => {
      mem.dv.setUint16(node + N.cpu, cpu, true);
      mem.u8[node + N.type] = LRU_FREE;
      mem.u8[node + N.ref] = 0;
    };
    if (percpu) {
      for (let cpu = 0; cpu < nrCpus; cpu++) initList(lists + cpu * L.size);
      const perCpu = Math.floor(nodes.length / nrCpus);
      let i = 0;
      for (let cpu = 0; cpu < nrCpus && i < nodes.length; cpu++) {
        const l = lists + cpu * L.size;
        do {
          setNode(nodes[i], cpu);
          listAdd(mem, nodes[i], l + 8 * LRU_FREE);
          i++;
        } while (i < nodes.length && i % perCpu !== 0);
      }
      return;
    }
    initList(lists);
    for (let cpu = 0; cpu < nrCpus; cpu++) {
      const loc = lists + L.size + cpu * LOC.size;
      listInit(mem, loc + LOC.free);
      listInit(mem, loc + LOC.pending);
      mem.set(loc + LOC.nextSteal, cpu);
      mem.set(loc + LOC.lock, 0);
    }
    for (const node of nodes) {
      setNode(node, 0);
      listAdd(mem, node, lists + 8 * LRU_FREE);
    }
    mem.set(base + H.targetFree, Math.min(LOCAL_FREE_TARGET, Math.max(1, Math.floor(Math.floor(nodes.length / nrCpus) / 2))));
  }

  private list(cpu: number): number {
    return this.base + H.lists + (this.percpu ? cpu * L.size : 0);
  }

  private local(cpu: number): number {
    return this.base + H.lists + L.size + cpu * LOC.size;
  }

  private type(node: number): number {
    return this.mem.u8[node + N.type];
  }

  private isRef(node: number): boolean {
    return this.mem.u8[node + N.ref] !== 0;
  }

  private clearRef(node: number): void {
    this.mem.u8[node + N.ref] = 0;
  }

  private countAdd(l: number, type: number, delta: number): void {
    if (type < 2) this.mem.set(l + L.counts + 4 * type, this.mem.get(l + L.counts + 4 * type) + delta);
  }

  /** bpf_lru_node_set_ref: a program looked the element up. */
  static setRef(mem: MapMemory, node: number): void {
    if (mem.u8[node + N.ref] === 0) mem.u8[node + N.ref] = 1;
  }

  private moveToFree(l: number, node: number, freeList: number, tgtType: number): void {
    const mem = this.mem;
    if (node === mem.get(l + L.nextInactiveRotation)) mem.set(l + L.nextInactiveRotation, mem.get(node + N.prev));
    this.countAdd(l, this.type(node), -1);
    mem.u8[node + N.type] = tgtType;
    listMove(mem, node, freeList);
  }

  private moveIn(l: number, node: number, tgtType: number): void {
    this.countAdd(l, tgtType, 1);
    this.mem.u8[node + N.type] = tgtType;
    this.clearRef(node);
    listMove(this.mem, node, l + 8 * tgtType);
  }

  private move(l: number, node: number, tgtType: number): void {
    const mem = this.mem;
    const type = this.type(node);
    if (type !== tgtType) {
      this.countAdd(l, type, -1);
      this.countAdd(l, tgtType, 1);
      mem.u8[node + N.type] = tgtType;
    }
    this.clearRef(node);
    if (node === mem.get(l + L.nextInactiveRotation)) mem.set(l + L.nextInactiveRotation, mem.get(node + N.prev));
    listMove(mem, node, l + 8 * tgtType);
  }

  private rotateActive(l: number): void {
    const mem = this.mem;
    const active = l + 8 * LRU_ACTIVE;
    const first = mem.get(active + N.next);
    let i = 0;
    for (let node = mem.get(active + N.prev); node !== active;) {
      const prev = mem.get(node + N.prev);
      this.move(l, node, this.isRef(node) ? LRU_ACTIVE : LRU_INACTIVE);
      if (++i === this.nrScans || node === first) break;
      node = prev;
    }
  }

  private rotateInactive(l: number): void {
    const mem = this.mem;
    const inactive = l + 8 * LRU_INACTIVE;
    if (mem.get(inactive + N.next) === inactive) return;
    const rotation = mem.get(l + L.nextInactiveRotation);
    let last = mem.get(rotation + N.next);
    if (last === inactive) last = mem.get(last + N.next);
    let cur = rotation;
    let next = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = mem.get(cur + N.prev);
        continue;
      }
      next = mem.get(cur + N.prev);
      if (this.isRef(cur)) this.move(l, cur, LRU_ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    mem.set(l + L.nextInactiveRotation, next);
  }

  private shrinkInactive(l: number, target: number, freeList: number, tgtType: number): number {
    const mem = this.mem;
    const inactive = l + 8 * LRU_INACTIVE;
    let shrunk = 0, i = 0;
    for (let node = mem.get(inactive + N.prev); node !== inactive;) {
      const prev = mem.get(node + N.prev);
      if (this.isRef(node)) {
        this.move(l, node, LRU_ACTIVE);
      } else if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeList, tgtType);
        if (++shrunk === target) break;
      }
      if (++i === this.nrScans) break;
      node = prev;
    }
    return shrunk;
  }

  private rotate(l: number): void {
    const mem = this.mem;
    if (mem.get(l + L.counts + 4 * LRU_INACTIVE) < mem.get(l + L.counts + 4 * LRU_ACTIVE)) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrink(l: number, target: number, freeList: number, tgtType: number): number {
    const shrunk = this.shrinkInactive(l, target, freeList, tgtType);
    if (shrunk) return shrunk;
    const mem = this.mem;
    const inactive = l + 8 * LRU_INACTIVE;
    const force = mem.get(inactive + N.next) !== inactive ? inactive : l + 8 * LRU_ACTIVE;
    for (let node = mem.get(force + N.prev); node !== force;) {
      const prev = mem.get(node + N.prev);
      if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeList, tgtType);
        return 1;
      }
      node = prev;
    }
    return 0;
  }

  private flushLocal(l: number, loc: number): void {
    const mem = this.mem;
    const pending = loc + LOC.pending;
    for (let node = mem.get(pending + N.prev); node !== pending;) {
      const prev = mem.get(node + N.prev);
      this.moveIn(l, node, this.isRef(node) ? LRU_ACTIVE : LRU_INACTIVE);
      node = prev;
    }
  }

  private popFreeToLocal(loc: number): void {
    const mem = this.mem;
    const l = this.list(0);
    if (mem.lock(l + L.lock)) return;
    try {
      this.flushLocal(l, loc);
      this.rotate(l);
      const free = l + 8 * LRU_FREE;
      let nfree = 0;
      for (let node = mem.get(free + N.next); node !== free;) {
        const next = mem.get(node + N.next);
        this.moveToFree(l, node, loc + LOC.free, LRU_LOCAL_FREE);
        if (++nfree === this.targetFree) break;
        node = next;
      }
      if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, loc + LOC.free, LRU_LOCAL_FREE);
    } finally {
      mem.unlock(l + L.lock);
    }
  }

  private addPending(loc: number, cpu: number, node: number, hash: number): void {
    const mem = this.mem;
    mem.set(node - 4, hash);
    mem.dv.setUint16(node + N.cpu, cpu, true);
    mem.u8[node + N.type] = LRU_LOCAL_PENDING;
    mem.u8[node + N.ref] = 0;
    listAdd(mem, node, loc + LOC.pending);
  }

  private popLocalFree(loc: number): number {
    const mem = this.mem;
    const free = loc + LOC.free;
    const node = mem.get(free + N.next);
    if (node === free) return 0;
    listDel(mem, node);
    return node;
  }

  private popLocalPending(loc: number): number {
    const mem = this.mem;
    const pending = loc + LOC.pending;
    for (const force of [false, true]) {
      for (let node = mem.get(pending + N.prev); node !== pending; node = mem.get(node + N.prev)) {
        if ((!this.isRef(node) || force) && this.delFromHtab(node)) {
          listDel(mem, node);
          return node;
        }
      }
    }
    return 0;
  }

  private percpuPopFree(hash: number, cpu: number): number {
    const mem = this.mem;
    const l = this.list(cpu);
    if (mem.lock(l + L.lock)) return 0;
    try {
      this.rotate(l);
      const free = l + 8 * LRU_FREE;
      if (mem.get(free + N.next) === free) this.shrink(l, PERCPU_FREE_TARGET, free, LRU_FREE);
      const node = mem.get(free + N.next);
      if (node === free) return 0;
      mem.set(node - 4, hash);
      this.clearRef(node);
      this.move(l, node, LRU_INACTIVE);
      return node;
    } finally {
      mem.unlock(l + L.lock);
    }
  }

  private commonPopFree(hash: number, cpu: number): number {
    const mem = this.mem;
    const loc = this.local(cpu);
    if (mem.lock(loc + LOC.lock)) return 0;
    let node: number;
    try {
      node = this.popLocalFree(loc);
      if (!node) {
        this.popFreeToLocal(loc);
        node = this.popLocalFree(loc);
      }
      if (node) this.addPending(loc, cpu, node, hash);
    } finally {
      mem.unlock(loc + LOC.lock);
    }
    if (node) return node;

    const firstSteal = mem.get(loc + LOC.nextSteal);
    let steal = firstSteal;
    do {
      const victim = this.local(steal);
      if (!mem.lock(victim + LOC.lock)) {
        try {
          node = this.popLocalFree(victim) || this.popLocalPending(victim);
        } finally {
          mem.unlock(victim + LOC.lock);
        }
      }
      steal = (steal + 1) % this.nrCpus;
    } while (!node && steal !== firstSteal);
    mem.set(loc + LOC.nextSteal, steal);
    if (!node) return 0;
    if (mem.lock(loc + LOC.lock)) {
      mem.u8[node + N.type] = LRU_LOCAL_FREE;
      this.clearRef(node);
      listAdd(mem, node, loc + LOC.free);
      return 0;
    }
    try {
      this.addPending(loc, cpu, node, hash);
    } finally {
      mem.unlock(loc + LOC.lock);
    }
    return node;
  }

  /** bpf_lru_pop_free: a node for a new element of hash `hash`, evicting if needed; 0 when none can be had. */
  popFree(hash: number, cpu: number): number {
    return this.percpu ? this.percpuPopFree(hash, cpu) : this.commonPopFree(hash, cpu);
  }

  /** bpf_lru_push_free: the element of `node` was deleted (or never linked). */
  pushFree(node: number): void {
    const mem = this.mem;
    if (this.percpu) {
      const l = this.list(mem.dv.getUint16(node + N.cpu, true));
      if (mem.lock(l + L.lock)) return;
      try {
        this.move(l, node, LRU_FREE);
      } finally {
        mem.unlock(l + L.lock);
      }
      return;
    }
    const type = this.type(node);
    if (type === LRU_FREE || type === LRU_LOCAL_FREE) return;
    if (type === LRU_LOCAL_PENDING) {
      const loc = this.local(mem.dv.getUint16(node + N.cpu, true));
      if (mem.lock(loc + LOC.lock)) return;
      let moved = false;
      try {
        if (this.type(node) === LRU_LOCAL_PENDING) {
          mem.u8[node + N.type] = LRU_LOCAL_FREE;
          this.clearRef(node);
          listMove(mem, node, loc + LOC.free);
          moved = true;
        }
      } finally {
        mem.unlock(loc + LOC.lock);
      }
      if (moved) return;
    }
    const l = this.list(0);
    if (mem.lock(l + L.lock)) return;
    try {
      this.move(l, node, LRU_FREE);
    } finally {
      mem.unlock(l + L.lock);
    }
  }
}

function listInit(mem: MapMemory, h: number): void {
  mem.set(h + N.prev, h);
  mem.set(h + N.next, h);
}

/** list_add: insert `n` right after the head `h`. */
function listAdd(mem: MapMemory, n: number, h: number): void {
  const next = mem.get(h + N.next);
  mem.set(n + N.next, next);
  mem.set(n + N.prev, h);
  mem.set(next + N.prev, n);
  mem.set(h + N.next, n);
}

function listDel(mem: MapMemory, n: number): void {
  const prev = mem.get(n + N.prev), next = mem.get(n + N.next);
  mem.set(prev + N.next, next);
  mem.set(next + N.prev, prev);
}

function listMove(mem: MapMemory, n: number, h: number): void {
  listDel(mem, n);
  listAdd(mem, n, h);
}
