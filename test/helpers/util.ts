/** Running hand-written programs (kernel assembly syntax) on the interpreter with the helpers under test. */
import { assemble } from '../../src/asm/index.js';
import {
  contextHelpers, createHelperTable, type HelperDef, type HelperHost,
} from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { AddressSpace, type Region } from '../../src/memory/index.js';
import { helperIdByName } from '../../src/platform/index.js';
import { Vm, type RunOptions, type VmOptions } from '../../src/vm/index.js';

export const asm = (text: string): Insn[] => assemble(text, { helperId: helperIdByName });

/** The slot a label starts at: the instructions before it, an lddw (`… ll`) counting two. */
export function slotOf(text: string, label: string): number {
  let slot = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(;|\/\/).*$/, '').trim();
    if (line.startsWith(`${label}:`)) return slot;
    const body = line.replace(/^\w+:\s*/, '');
    if (body) slot += /\bll$/.test(body) ? 2 : 1;
  }
  throw new Error(`no label ${label}`);
}

/** A test's runtime: one address space, a Vm with the context helpers plus `extra`. */
export class Bench {
  readonly space: AddressSpace;
  readonly vm: Vm;
  private readonly regions: Region[] = [];

  constructor(options: { extra?: HelperDef[]; host?: HelperHost; space?: AddressSpace; vm?: VmOptions } = {}) {
    this.space = options.space ?? new AddressSpace();
    this.vm = new Vm(this.space, { helpers: createHelperTable([...contextHelpers(), ...(options.extra ?? [])]), host: options.host, ...options.vm });
  }

  /** A region holding `bytes` (a string gets no NUL added), or `size` zero bytes. */
  region(bytes: Uint8Array | string | number, writable = true, name = 'data'): number {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : typeof bytes === 'number' ? new Uint8Array(bytes) : bytes;
    const r = this.space.alloc(name, Math.max(1, data.length), 'data', writable);
    this.space.write(r.start, data);
    this.regions.push(r);
    return r.start;
  }

  read(addr: number, size: number): Uint8Array {
    return this.space.read(addr, size);
  }

  u64(addr: number): bigint {
    return this.space.view.getBigUint64(addr, true);
  }

  run(text: string, options: RunOptions = {}): bigint {
    return this.vm.load(asm(text)).run(options).r0;
  }
}

/** -errno as the u64 r0 a program sees. */
export const errno = (n: number): bigint => BigInt.asUintN(64, BigInt(-n));
export const EFAULT = errno(14);
export const EINVAL = errno(22);
export const E2BIG = errno(7);
export const ERANGE = errno(34);
export const EBUSY = errno(16);
export const EDEADLK = errno(35);
export const ENOENT = errno(2);
