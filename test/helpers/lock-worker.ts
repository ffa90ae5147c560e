/**
 * A worker for the spin-lock contention test: runs a program on a Vm over
 * the main thread's shared memory. The core has no way yet to open an
 * AddressSpace from another thread, so this worker wraps the shared memory
 * and the regions the main thread allocated in the few members the Vm and
 * the helpers use.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { contextHelpers, createHelperTable } from '../../src/helpers/index.js';
import type { AddressSpace, Region } from '../../src/memory/index.js';
import { Vm } from '../../src/vm/index.js';
import { asm } from './util.js';

export interface LockWorkerData {
  memory: WebAssembly.Memory;
  /** The main thread's regions; the one named `stack:<worker>` is this worker's call stack. */
  regions: Region[];
  worker: number;
  program: string;
  value: number;
  iterations: number;
}

const data = workerData as LockWorkerData;
const regions = data.regions.map((r) => ({ ...r }));
const stack = regions.find((r) => r.name === `stack:${data.worker}`)!;
const memory = data.memory;
const attached = {
  memory,
  shared: true,
  get bytes() { return new Uint8Array(memory.buffer); },
  get view() { return new DataView(memory.buffer); },
  alloc: (_name: string, size: number) => {
    if (size > stack.size) throw new Error(`stack of ${size} bytes asked, ${stack.size} provided`);
    return stack;
  },
  release: () => undefined,
  find: (addr: number, size: number) => regions.find((r) => addr >= r.start && addr + size <= r.start + r.size),
  regions: () => regions,
} as unknown as AddressSpace;

const vm = new Vm(attached, { helpers: createHelperTable(contextHelpers()) });
const prog = vm.load(asm(data.program));
for (let i = 0; i < data.iterations; i++) prog.run({ r1: BigInt(data.value) });
parentPort!.postMessage('done');
