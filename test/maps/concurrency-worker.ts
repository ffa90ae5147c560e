/**
 * A worker of the concurrency test: it attaches to the main thread's maps
 * over the shared memory and, as CPU `cpu`, hammers them with the commands
 * of its task, through the userspace API and the program-side entry points
 * (keys and values at addresses of its own scratch region).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BPF_EXIST, BPF_NOEXIST, MapRegistry, type SharedMaps } from '../../src/maps/index.js';

export interface ConcurrencyTask {
  shared: SharedMaps;
  cpu: number;
  /** Maps by their descriptor address. */
  hash: number;
  percpu: number;
  lru: number;
  /** 64 bytes of memory for this worker's keys and values. */
  scratch: number;
  /** Keys [own, own + count) are this worker's alone. */
  own: number;
  count: number;
  /** Keys [0, sharedKeys) are everyone's counters. */
  sharedKeys: number;
  rounds: number;
}

const task = workerData as ConcurrencyTask;
const registry = MapRegistry.attach(task.shared, { cpu: task.cpu });
const hash = registry.mapByAddress(task.hash)!;
const percpu = registry.mapByAddress(task.percpu)!;
const lru = registry.mapByAddress(task.lru)!;
const mem = registry.mem;
const key = task.scratch, value = task.scratch + 8;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok && failures.length < 10) failures.push(what);
};

for (let round = 0; round < task.rounds; round++) {
  // Userspace: this worker's keys come and go, and are replaced in between.
  for (let i = 0; i < task.count; i++) hash.update(u32(task.own + i), u64(round), round === 0 ? BPF_NOEXIST : 0);
  for (let i = 0; i < task.count; i += 2) hash.update(u32(task.own + i), u64(round + 1), BPF_EXIST);
  if (round < task.rounds - 1) for (let i = 1; i < task.count; i += 2) hash.delete(u32(task.own + i));

  // A program on this CPU: bump every shared counter with an atomic add through the value pointer.
  for (let k = 0; k < task.sharedKeys; k++) {
    mem.refresh().set(key, k);
    const at = hash.lookupElem(key, task.cpu);
    check(at !== 0, `shared key ${k} missing`);
    if (at) Atomics.add(mem.i32, at >>> 2, 1);

    // Per-CPU hash: the first program to see the key inserts it; then each bumps its own slot.
    mem.dv.setBigUint64(value, 1n, true);
    const err = percpu.updateElem(key, value, BPF_NOEXIST, task.cpu);
    check(err === 0 || err === -17, `percpu insert of ${k}: ${err}`);
    if (err === -17) {
      const slot = percpu.lookupElem(key, task.cpu);
      mem.dv.setBigUint64(slot, mem.dv.getBigUint64(slot, true) + 1n, true);
    }
  }

  // LRU churn: keys shared by all workers, far more than the map holds.
  for (let i = 0; i < task.count; i++) {
    const k = (i * 7 + round * 13 + task.cpu) % (task.count * 4);
    lru.update(u32(k), u64(k * 3));
    const v = lru.lookup(u32(k));
    check(v === undefined || new DataView(v.buffer).getUint32(0, true) === k * 3, `lru value of ${k}`);
  }
}
parentPort!.postMessage(failures);
