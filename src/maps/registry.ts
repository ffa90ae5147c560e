/**
 * `MapRegistry`: the maps of one runtime. It creates maps in the runtime's
 * AddressSpace with BPF_MAP_CREATE's checks (the kernel's errno for every
 * attribute it refuses), and resolves a map pointer — a descriptor address,
 * what `lddw rX, map` puts in a register — back to its map for the helpers.
 *
 * Everything a map is lives in the linear memory, so a worker that shares
 * the memory (`new AddressSpace({ shared: true })`) opens the same maps with
 * `MapRegistry.attach(registry.share())` and updates them concurrently.
 *
 * Registry region (in the linear memory):
 *    0 magic 'BPFR'   4 next lock owner id   8 next map id   12 first descriptor
 * Descriptors are linked through their `next` field, so an attached
 * registry accepts exactly the addresses of maps that exist.
 */
import type { AddressSpace, Region } from '../memory/index.js';
import { OutOfMemoryError } from '../memory/index.js';
import { BPF_MAP_TYPE, mapTypeByName, mapTypeName } from '../platform/index.js';
import { ArrayMap, arrayLayout } from './array.js';
import { BloomFilterMap, BLOOM_DESC, bloomLayout } from './bloom-filter.js';
import { CGROUP_STORAGE_DESC, CGROUP_STORAGE_ID_KEY_SIZE, CGROUP_STORAGE_KEY_SIZE, CGROUP_STORAGE_MAX_VALUE_SIZE, CgroupStorageMap } from './cgroup-storage.js';
import { ERRNO, MapError, type ErrnoName } from './errors.js';
import { ArrayOfMapsMap, CgroupArrayMap, ProgArrayMap, fdArrayStorage } from './fd-array.js';
import { HashMap, hashLayout, initHash } from './hash.js';
import { LpmTrieMap, initLpm, lpmLayout } from './lpm-trie.js';
import { DESC, DESC_MAGIC, INNER, NO_SPIN_LOCK, SPIN_LOCK_SIZE, type BpfMap, type MapHost } from './map.js';
import { MapMemory, isPowerOf2, round8 } from './memory.js';
import { PerfEventArrayMap } from './perf-event-array.js';
import { QS_DESC, QueueStackMap, queueStackLayout } from './queue-stack.js';
import { RingBufMap, ringbufLayout } from './ringbuf.js';
import { SK_STORAGE_DESC, SkStorageMap } from './sk-storage.js';
import { SockMap, type SocketResolver } from './sockmap.js';
import { PERF_EVENT_MAX_STACK, STACK_DESC, StackTraceMap, stackTraceLayout } from './stack-trace.js';
import {
  BPF_F_ACCESS_MASK, BPF_F_CLONE, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_STACK_BUILD_ID, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED,
} from './uapi.js';

const REGISTRY_MAGIC = 0x52465042;
const REG = { magic: 0, nextOwner: 4, nextId: 8, first: 12, size: 16 } as const;

/** KMALLOC_MAX_SIZE on x86-64 (order-10 pages). */
const KMALLOC_MAX_SIZE = 1 << 22;
/** sizeof(struct htab_elem). */
const HTAB_ELEM_SIZE = 48;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32768;
const INT_MAX = 0x7fffffff;

/** BPF_MAP_CREATE's attributes. */
export interface MapCreateAttr {
  /** A `BPF_MAP_TYPE` number or its name (`hash`, `BPF_MAP_TYPE_ARRAY`). */
  type: number | string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Up to 15 characters: letters, digits, `_` and `.`. */
  name?: string;
  /** Bloom filter: the number of hash functions in the low 4 bits (0: 5). */
  mapExtra?: bigint;
  /** For array_of_maps and hash_of_maps: the inner map template (inner_map_fd). */
  innerMap?: BpfMap;
  /** Offset of a `struct bpf_spin_lock` in the value, as the value's BTF says. */
  spinLockOffset?: number;
  /** btf_key_type_id and btf_value_type_id: 0 or absent for a map without BTF (socket storage needs both). */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

export interface MapRegistryOptions {
  /** CPUs of the runtime: per-CPU maps keep this many slots (default 1). */
  nrCpus?: number;
  /** The CPU userspace commands run on (default 0). */
  cpu?: number;
}

/** What another worker needs to open a registry's maps (structured-cloneable). */
export interface SharedMaps {
  memory: WebAssembly.Memory;
  registry: number;
  nrCpus: number;
}

type MapClass = new (host: MapHost, address: number) => BpfMap;

const T = BPF_MAP_TYPE;
const CLASSES = new Map<number, MapClass>([
  [T.ARRAY, ArrayMap], [T.PERCPU_ARRAY, ArrayMap], [T.PROG_ARRAY, ProgArrayMap], [T.PERF_EVENT_ARRAY, PerfEventArrayMap],
  [T.ARRAY_OF_MAPS, ArrayOfMapsMap], [T.HASH, HashMap], [T.PERCPU_HASH, HashMap], [T.LRU_HASH, HashMap],
  [T.LRU_PERCPU_HASH, HashMap], [T.HASH_OF_MAPS, HashMap], [T.LPM_TRIE, LpmTrieMap], [T.QUEUE, QueueStackMap],
  [T.STACK, QueueStackMap], [T.BLOOM_FILTER, BloomFilterMap], [T.RINGBUF, RingBufMap], [T.STACK_TRACE, StackTraceMap],
  [T.SOCKMAP, SockMap], [T.CGROUP_ARRAY, CgroupArrayMap], [T.CGROUP_STORAGE, CgroupStorageMap], [T.PERCPU_CGROUP_STORAGE, CgroupStorageMap],
  [T.SK_STORAGE, SkStorageMap],
]);

const CREATE = 'BPF_MAP_CREATE';

class CreateError extends Error {
  constructor(readonly errno: ErrnoName, readonly why: string) {
    super(why);
  }
}

const refuse = (errno: ErrnoName, why: string): never => {
  throw new CreateError(errno, why);
};

const accessOk = (flags: number) => (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);

type Attrs = { keySize: number; valueSize: number; maxEntries: number; flags: number; mapExtra: bigint; btf?: boolean };

const needs = (ok: boolean, errno: ErrnoName, why: string): void => {
  if (!ok) refuse(errno, why);
};

const flagsApply = (flags: number, mask: number): void => {
  needs(!(flags & ~mask), 'EINVAL', `flags 0x${(flags & ~mask).toString(16)} do not apply to this map type`);
  needs(accessOk(flags), 'EINVAL', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude each other');
};

/** array_map_alloc_check. */
function checkArray(type: number, { keySize, valueSize, maxEntries, flags }: Attrs): void {
  const percpu = type === T.PERCPU_ARRAY;
  needs(maxEntries !== 0, 'EINVAL', 'max_entries must not be 0');
  needs(keySize === 4, 'EINVAL', `key_size must be 4, got ${keySize}`);
  needs(valueSize !== 0, 'EINVAL', 'value_size must not be 0');
  flagsApply(flags, BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP);
  needs(!(percpu && flags & BPF_F_NUMA_NODE), 'EINVAL', 'a per-CPU map has no NUMA node');
  needs(type === T.ARRAY || !(flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)), 'EINVAL', 'BPF_F_MMAPABLE and BPF_F_INNER_MAP are for arrays only');
  needs(type === T.PERF_EVENT_ARRAY || !(flags & BPF_F_PRESERVE_ELEMS), 'EINVAL', 'BPF_F_PRESERVE_ELEMS is for perf event arrays only');
  needs(valueSize <= INT_MAX, 'E2BIG', `value_size ${valueSize} is too large`);
  needs(!(percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE), 'E2BIG', `a per-CPU value is at most ${PCPU_MIN_UNIT_SIZE} bytes`);
}

/** htab_map_alloc_check and htab_map_alloc's size checks. */
function checkHash(type: number, { keySize, valueSize, maxEntries, flags }: Attrs): void {
  const percpu = type === T.PERCPU_HASH || type === T.LRU_PERCPU_HASH;
  const lru = type === T.LRU_HASH || type === T.LRU_PERCPU_HASH;
  flagsApply(flags, BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED);
  needs(lru || !(flags & BPF_F_NO_COMMON_LRU), 'EINVAL', 'BPF_F_NO_COMMON_LRU is for LRU maps only');
  needs(!lru || !(flags & BPF_F_NO_PREALLOC), 'ENOTSUPP', 'LRU maps are always preallocated');
  needs(!(flags & BPF_F_NUMA_NODE && (percpu || flags & BPF_F_NO_COMMON_LRU)), 'EINVAL', 'a per-CPU map has no NUMA node');
  needs(maxEntries !== 0 && keySize !== 0 && valueSize !== 0, 'EINVAL', 'max_entries, key_size and value_size must not be 0');
  needs(keySize + valueSize < KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE, 'E2BIG', 'key_size + value_size is too large');
  needs(!(percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE), 'E2BIG', `a per-CPU value is at most ${PCPU_MIN_UNIT_SIZE} bytes`);
  needs(maxEntries <= 2 ** 31, 'E2BIG', 'max_entries is above 2^31');
}

/** The map_alloc_check / map_alloc checks of each type, in the kernel's order. */
function checkAttr(type: number, a: Attrs): void {
  const { keySize, valueSize, maxEntries, flags } = a;
  switch (type) {
    case T.PROG_ARRAY: case T.PERF_EVENT_ARRAY: case T.ARRAY_OF_MAPS: case T.CGROUP_ARRAY:
      needs(valueSize === 4, 'EINVAL', `value_size must be 4 (a file descriptor), got ${valueSize}`);
      needs(!(flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)), 'EINVAL', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG do not apply');
      return checkArray(type, a);
    case T.ARRAY: case T.PERCPU_ARRAY:
      return checkArray(type, a);
    case T.SOCKMAP:
      // sock_map_alloc.
      needs(maxEntries !== 0 && keySize === 4 && (valueSize === 4 || valueSize === 8), 'EINVAL', `needs max_entries > 0, key_size 4 and value_size 4 or 8, got ${maxEntries}, ${keySize}, ${valueSize}`);
      flagsApply(flags, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
      return;
    case T.HASH_OF_MAPS:
      needs(valueSize === 4, 'EINVAL', `value_size must be 4 (a file descriptor), got ${valueSize}`);
      return checkHash(type, a);
    case T.HASH: case T.PERCPU_HASH: case T.LRU_HASH: case T.LRU_PERCPU_HASH:
      return checkHash(type, a);
    case T.LPM_TRIE:
      needs(maxEntries !== 0, 'EINVAL', 'max_entries must not be 0');
      needs((flags & BPF_F_NO_PREALLOC) !== 0, 'EINVAL', 'an LPM trie needs BPF_F_NO_PREALLOC');
      flagsApply(flags, BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
      needs(keySize >= 5 && keySize <= 260, 'EINVAL', `key_size must be 4 + 1..256 bytes of data, got ${keySize}`);
      needs(valueSize >= 1 && valueSize <= KMALLOC_MAX_SIZE - 256 - 24, 'EINVAL', `value_size ${valueSize} is out of range`);
      return;
    case T.QUEUE: case T.STACK:
      needs(maxEntries !== 0, 'EINVAL', 'max_entries must not be 0');
      needs(keySize === 0, 'EINVAL', `key_size must be 0, got ${keySize}`);
      needs(valueSize !== 0, 'EINVAL', 'value_size must not be 0');
      flagsApply(flags, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
      needs(valueSize <= KMALLOC_MAX_SIZE, 'E2BIG', `value_size ${valueSize} is too large`);
      return;
    case T.BLOOM_FILTER:
      needs(keySize === 0, 'EINVAL', `key_size must be 0, got ${keySize}`);
      needs(valueSize !== 0, 'EINVAL', 'value_size must not be 0');
      needs(maxEntries !== 0, 'EINVAL', 'max_entries must not be 0');
      flagsApply(flags, BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK);
      needs(!(a.mapExtra & ~0xfn), 'EINVAL', 'map_extra holds only the number of hash functions (0..15)');
      return;
    case T.RINGBUF:
      needs(!(flags & ~BPF_F_NUMA_NODE), 'EINVAL', 'flags do not apply to this map type');
      needs(keySize === 0 && valueSize === 0, 'EINVAL', 'key_size and value_size must be 0');
      needs(isPowerOf2(maxEntries) && maxEntries % 4096 === 0, 'EINVAL', `max_entries must be a power of two and a multiple of 4096, got ${maxEntries}`);
      return;
    case T.STACK_TRACE:
      needs(!(flags & ~(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID)), 'EINVAL', 'flags do not apply to this map type');
      needs(maxEntries !== 0 && keySize === 4 && valueSize >= 8 && valueSize % 8 === 0, 'EINVAL', `needs max_entries > 0, key_size 4 and value_size a multiple of 8, got ${maxEntries}, ${keySize}, ${valueSize}`);
      needs(valueSize / (flags & BPF_F_STACK_BUILD_ID ? 32 : 8) <= PERF_EVENT_MAX_STACK, 'EINVAL', `value_size ${valueSize} holds more than ${PERF_EVENT_MAX_STACK} frames`);
      needs(!(flags & BPF_F_STACK_BUILD_ID), 'EINVAL', 'BPF_F_STACK_BUILD_ID: this runtime has no build ids to store');
      needs(maxEntries <= 2 ** 31, 'E2BIG', `max_entries ${maxEntries} is more than 2^31`);
      return;
    case T.CGROUP_STORAGE: case T.PERCPU_CGROUP_STORAGE: {
      // cgroup_storage_map_alloc.
      const max = type === T.PERCPU_CGROUP_STORAGE ? Math.min(CGROUP_STORAGE_MAX_VALUE_SIZE, PCPU_MIN_UNIT_SIZE) : CGROUP_STORAGE_MAX_VALUE_SIZE;
      needs(keySize === CGROUP_STORAGE_KEY_SIZE || keySize === CGROUP_STORAGE_ID_KEY_SIZE, 'EINVAL', `key_size must be ${CGROUP_STORAGE_KEY_SIZE} (struct bpf_cgroup_storage_key) or ${CGROUP_STORAGE_ID_KEY_SIZE} (a cgroup id), got ${keySize}`);
      needs(valueSize !== 0, 'EINVAL', 'value_size must not be 0');
      needs(valueSize <= max, 'E2BIG', `value_size ${valueSize} is above ${max}`);
      flagsApply(flags, BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK);
      needs(maxEntries === 0, 'EINVAL', `max_entries must be 0 (elements come with attachments), got ${maxEntries}`);
      return;
    }
    case T.SK_STORAGE:
      // bpf_local_storage_map_alloc_check: one EINVAL for all of these; BTF is demanded for userspace's socket dumps.
      flagsApply(flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
      needs((flags & BPF_F_NO_PREALLOC) !== 0, 'EINVAL', 'socket storage needs BPF_F_NO_PREALLOC');
      needs(maxEntries === 0, 'EINVAL', `max_entries must be 0 (storage comes with sockets), got ${maxEntries}`);
      needs(keySize === 4, 'EINVAL', `key_size must be 4 (a socket), got ${keySize}`);
      needs(valueSize !== 0, 'EINVAL', 'value_size must not be 0');
      needs(a.btf === true, 'EINVAL', 'socket storage needs BTF for its key and value (btfKeyTypeId, btfValueTypeId)');
      needs(valueSize <= CGROUP_STORAGE_MAX_VALUE_SIZE, 'E2BIG', `value_size ${valueSize} is above ${CGROUP_STORAGE_MAX_VALUE_SIZE}`);
      return;
  }
}

/** Bytes of descriptor and storage for a map of `type`. */
function layout(type: number, a: Attrs, nrCpus: number): { desc: number; storage: number } {
  switch (type) {
    case T.ARRAY: case T.PERCPU_ARRAY: return arrayLayout(a.valueSize, a.maxEntries, nrCpus, type === T.PERCPU_ARRAY);
    case T.PROG_ARRAY: case T.PERF_EVENT_ARRAY: case T.ARRAY_OF_MAPS: case T.SOCKMAP: case T.CGROUP_ARRAY: return { desc: DESC.specific, storage: fdArrayStorage(a.maxEntries) };
    case T.LPM_TRIE: return lpmLayout(a.keySize, a.valueSize, a.maxEntries);
    case T.QUEUE: case T.STACK: return queueStackLayout(a.valueSize, a.maxEntries);
    case T.BLOOM_FILTER: return bloomLayout(a.maxEntries, a.mapExtra);
    case T.RINGBUF: return ringbufLayout(a.maxEntries);
    case T.STACK_TRACE: return stackTraceLayout(a.valueSize, a.maxEntries);
    case T.CGROUP_STORAGE: case T.PERCPU_CGROUP_STORAGE: return { desc: CGROUP_STORAGE_DESC.size, storage: 0 };
    case T.SK_STORAGE: return { desc: SK_STORAGE_DESC.size, storage: 0 };
    default: return hashLayout(type, a.keySize, a.valueSize, a.maxEntries, nrCpus, a.flags);
  }
}

const u32 = (what: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new MapError(CREATE, ERRNO.EINVAL, `${what} must be an unsigned 32-bit integer, got ${String(v)}`);
  }
  return v;
};

export class MapRegistry implements MapHost {
  readonly mem: MapMemory;
  readonly nrCpus: number;
  readonly cpu: number;
  /** The registry region's address. */
  readonly address: number;
  private readonly space: AddressSpace | undefined;
  private readonly byAddress = new Map<number, BpfMap>();
  private readonly regions = new Map<number, Region[]>();
  private readonly allocated = new Map<number, Region>();
  private readonly programs = new Map<number, unknown>();
  /** Maps whose user handle was closed (a handle closes once). */
  private readonly closed = new Set<number>();
  private nextProgram = 1;
  /** The runtime's sockets, for sockmaps (a runtime sets it to its socket table). */
  sockets: SocketResolver | undefined;

  /** A registry creating maps in `space`. */
  constructor(space: AddressSpace, options?: MapRegistryOptions);
  /** @internal MapRegistry.attach. */
  constructor(shared: SharedMaps, options: MapRegistryOptions, attach: true);
  constructor(where: AddressSpace | SharedMaps, options: MapRegistryOptions = {}, attach?: true) {
    const nrCpus = attach ? (where as SharedMaps).nrCpus : options.nrCpus ?? 1;
    if (!Number.isInteger(nrCpus) || nrCpus < 1 || nrCpus > 0xffff) throw new MapError(CREATE, ERRNO.EINVAL, `nrCpus must be an integer from 1 to 65535, got ${nrCpus}`);
    const cpu = options.cpu ?? 0;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= nrCpus) throw new MapError(CREATE, ERRNO.EINVAL, `cpu must be one of the ${nrCpus} CPUs, got ${cpu}`);
    this.nrCpus = nrCpus;
    this.cpu = cpu;
    if (attach) {
      const shared = where as SharedMaps;
      this.space = undefined;
      this.address = shared.registry;
      const probe = new MapMemory(shared.memory, 1);
      if (probe.get(shared.registry + REG.magic) !== REGISTRY_MAGIC) throw new MapError(CREATE, ERRNO.EINVAL, `no map registry at 0x${shared.registry.toString(16)}`);
      this.mem = new MapMemory(shared.memory, Atomics.add(probe.i32, (shared.registry + REG.nextOwner) >>> 2, 1));
      return;
    }
    const space = where as AddressSpace;
    this.space = space;
    this.address = space.alloc('maps:registry', REG.size, 'other', false).start;
    const mem = new MapMemory(space.memory, 1);
    mem.set(this.address + REG.magic, REGISTRY_MAGIC);
    mem.set(this.address + REG.nextOwner, 2);
    mem.set(this.address + REG.nextId, 1);
    this.mem = mem;
  }

  /** Open the maps of another thread's registry over the same shared memory. */
  static attach(shared: SharedMaps, options: Omit<MapRegistryOptions, 'nrCpus'> = {}): MapRegistry {
    return new MapRegistry(shared, options, true);
  }

  /** What to post to a worker so that it can `attach`. */
  share(): SharedMaps {
    return { memory: this.mem.memory, registry: this.address, nrCpus: this.nrCpus };
  }

  /** BPF_MAP_CREATE: a new map, or MapError with the kernel's errno for attributes it refuses. */
  create(attr: MapCreateAttr): BpfMap {
    if (!this.space) throw new MapError(CREATE, ERRNO.EPERM, 'an attached registry cannot create maps; create them where the memory was made');
    const type = this.resolveType(attr.type);
    const keySize = u32('keySize', attr.keySize), valueSize = u32('valueSize', attr.valueSize);
    let maxEntries = u32('maxEntries', attr.maxEntries);
    const flags = u32('flags', attr.flags ?? 0);
    const btfKey = u32('btfKeyTypeId', attr.btfKeyTypeId ?? 0), btfValue = u32('btfValueTypeId', attr.btfValueTypeId ?? 0);
    const mapExtra = attr.mapExtra ?? 0n;
    if (typeof mapExtra !== 'bigint' || mapExtra < 0n || mapExtra >= 1n << 64n) throw new MapError(CREATE, ERRNO.EINVAL, `mapExtra must be a u64 bigint, got ${String(mapExtra)}`);
    const name = attr.name ?? '';
    const what = `map ${name || mapTypeName(type) || type}`;
    try {
      if (name.length > 15 || !/^[A-Za-z0-9_.]*$/.test(name)) refuse('EINVAL', `name '${name}' is not up to 15 letters, digits, '_' or '.'`);
      if (type !== T.BLOOM_FILTER && mapExtra !== 0n) refuse('EINVAL', 'map_extra is for bloom filters only');
      if (flags & BPF_F_RDONLY && flags & BPF_F_WRONLY) refuse('EINVAL', 'BPF_F_RDONLY and BPF_F_WRONLY exclude each other');
      if (!CLASSES.has(type)) {
        if (type === 0 || type >= Object.keys(T).length) refuse('EINVAL', `map type ${type} does not exist`);
        refuse('ENOTSUPP', `map type ${mapTypeName(type)} is not supported by this runtime`);
      }
      checkAttr(type, { keySize, valueSize, maxEntries, flags, mapExtra, btf: btfKey !== 0 && btfValue !== 0 });
      if (type === T.ARRAY_OF_MAPS || type === T.HASH_OF_MAPS) this.checkInnerTemplate(attr.innerMap);
      if (attr.spinLockOffset !== undefined) this.checkSpinLock(type, flags, valueSize, attr.spinLockOffset);
      if (flags & BPF_F_NO_COMMON_LRU) {
        const rounded = Math.ceil(maxEntries / this.nrCpus) * this.nrCpus;
        maxEntries = rounded > 0xffffffff ? Math.floor(maxEntries / this.nrCpus) * this.nrCpus : rounded;
      }
      return this.build(type, { keySize, valueSize, maxEntries, flags, mapExtra }, name, attr);
    } catch (err) {
      if (err instanceof CreateError) throw new MapError(CREATE, ERRNO[err.errno], `${what}: ${err.why}`);
      if (err instanceof OutOfMemoryError) throw new MapError(CREATE, ERRNO.ENOMEM, `${what}: ${err.message}`);
      throw err;
    }
  }

  private resolveType(type: number | string): number {
    if (typeof type === 'string') {
      const n = mapTypeByName(type);
      if (n === undefined) throw new MapError(CREATE, ERRNO.EINVAL, `unknown map type '${type}'`);
      return n;
    }
    return u32('type', type);
  }

  /** bpf_map_meta_alloc: the inner map template must itself be a plain map. */
  private checkInnerTemplate(inner: BpfMap | undefined): void {
    if (!inner || this.byAddress.get(inner.address) !== inner) refuse('EINVAL', 'a map-in-map needs an inner map template from this registry (innerMap)');
    if (inner!.type === T.ARRAY_OF_MAPS || inner!.type === T.HASH_OF_MAPS) refuse('EINVAL', 'maps of maps do not nest');
    if (inner!.type === T.PROG_ARRAY) refuse('ENOTSUPP', 'a prog_array cannot be an inner map');
  }

  /** map_check_btf for a value holding a struct bpf_spin_lock. */
  private checkSpinLock(type: number, flags: number, valueSize: number, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 || offset + SPIN_LOCK_SIZE > valueSize) {
      refuse('EINVAL', `a bpf_spin_lock at offset ${offset} does not fit a ${valueSize}-byte value`);
    }
    if (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) refuse('EACCES', 'a map with a bpf_spin_lock must be readable and writable by programs');
    if (type !== T.HASH && type !== T.ARRAY && type !== T.CGROUP_STORAGE && type !== T.SK_STORAGE) refuse('EOPNOTSUPP', `a bpf_spin_lock is not allowed in a ${mapTypeName(type)} value`);
  }

  private build(type: number, a: Attrs, name: string, attr: MapCreateAttr): BpfMap {
    const space = this.space!;
    const size = layout(type, a, this.nrCpus);
    const label = name || mapTypeName(type) || String(type);
    const desc = space.alloc(`map:${label}`, size.desc, 'map', false);
    let storage: Region;
    try {
      storage = space.alloc(`map:${label}:values`, size.storage, 'map', !(a.flags & BPF_F_RDONLY_PROG));
    } catch (err) {
      space.release(desc);
      throw err;
    }
    const mem = this.mem.refresh();
    const d = desc.start;
    const id = mem.get(this.address + REG.nextId);
    mem.set(this.address + REG.nextId, id + 1);
    const header: [number, number][] = [
      [DESC.magic, DESC_MAGIC], [DESC.type, type], [DESC.keySize, a.keySize], [DESC.valueSize, a.valueSize],
      [DESC.maxEntries, a.maxEntries], [DESC.flags, a.flags], [DESC.id, id], [DESC.nrCpus, this.nrCpus],
      [DESC.storage, storage.start], [DESC.storageSize, size.storage], [DESC.spinLock, attr.spinLockOffset ?? NO_SPIN_LOCK],
      [DESC.refs, 1],
    ];
    for (const [off, v] of header) mem.set(d + off, v);
    mem.u8.set(new TextEncoder().encode(name), d + DESC.name);
    const inner = attr.innerMap;
    if (inner && (type === T.ARRAY_OF_MAPS || type === T.HASH_OF_MAPS)) {
      const t = d + DESC.inner;
      mem.set(t + INNER.type, inner.type);
      mem.set(t + INNER.keySize, inner.keySize);
      mem.set(t + INNER.valueSize, inner.valueSize);
      mem.set(t + INNER.flags, inner.flags);
      mem.set(t + INNER.maxEntries, inner.maxEntries);
      mem.set(t + INNER.spinLock, inner.spinLockOffset ?? NO_SPIN_LOCK);
    }
    this.initType(type, d, storage.start, a);
    mem.set(d + DESC.next, mem.get(this.address + REG.first));
    Atomics.store(mem.i32, (this.address + REG.first) >>> 2, d);
    const map = this.open(d);
    this.regions.set(d, [desc, storage]);
    return map;
  }

  private initType(type: number, d: number, storage: number, a: Attrs): void {
    const mem = this.mem;
    switch (type) {
      case T.LPM_TRIE: {
        const l = lpmLayout(a.keySize, a.valueSize, a.maxEntries);
        initLpm(mem, d, storage, a.keySize, l.nodeSize, l.nodes);
        return;
      }
      case T.QUEUE: case T.STACK:
        mem.set(d + QS_DESC.size, a.maxEntries + 1);
        return;
      case T.STACK_TRACE:
        mem.set(d + STACK_DESC.nBuckets, stackTraceLayout(a.valueSize, a.maxEntries).nBuckets);
        return;
      case T.BLOOM_FILTER: {
        const l = bloomLayout(a.maxEntries, a.mapExtra);
        mem.set(d + BLOOM_DESC.mask, l.mask);
        mem.set(d + BLOOM_DESC.seed, 0);
        mem.set(d + BLOOM_DESC.alignedWords, a.valueSize % 4 === 0 ? a.valueSize / 4 : 0);
        mem.set(d + BLOOM_DESC.nrHashFuncs, l.nrHashFuncs);
        return;
      }
      case T.HASH: case T.PERCPU_HASH: case T.LRU_HASH: case T.LRU_PERCPU_HASH: case T.HASH_OF_MAPS:
        initHash(mem, d, storage, type, a.flags, this.nrCpus, hashLayout(type, a.keySize, a.valueSize, a.maxEntries, this.nrCpus, a.flags));
        return;
    }
  }

  /** The map object for the descriptor at `d`. */
  private open(d: number): BpfMap {
    const cls = CLASSES.get(this.mem.get(d + DESC.type))!;
    const map = new cls(this, d);
    this.byAddress.set(d, map);
    return map;
  }

  /** Whether `d` is a descriptor in this registry's list. */
  private listed(d: number): boolean {
    const mem = this.mem.refresh();
    for (let at = Atomics.load(mem.i32, (this.address + REG.first) >>> 2); at; at = mem.get(at + DESC.next)) {
      if (at === d) return true;
    }
    return false;
  }

  /** The map whose descriptor is at `addr` (a map pointer's value), or undefined. */
  mapByAddress(addr: number | bigint): BpfMap | undefined {
    if (typeof addr === 'bigint') {
      if (addr <= 0n || addr >= 1n << 32n) return undefined;
      addr = Number(addr);
    }
    const known = this.byAddress.get(addr);
    if (known || this.space) return known;
    return this.listed(addr) ? this.open(addr) : undefined;
  }

  mapById(id: number): BpfMap | undefined {
    for (const map of this.maps()) if (map.id === id) return map;
    return undefined;
  }

  /** Every map, in creation order (from this thread's view, those it has opened as well). */
  maps(): BpfMap[] {
    if (!this.space) {
      const mem = this.mem.refresh();
      for (let at = Atomics.load(mem.i32, (this.address + REG.first) >>> 2); at; at = mem.get(at + DESC.next)) {
        if (!this.byAddress.has(at)) this.open(at);
      }
    }
    return [...this.byAddress.values()].sort((a, b) => a.id - b.id);
  }

  /** Register an opaque program handle for prog_array slots; returns its id. */
  registerProgram(handle: unknown): number {
    if (handle === undefined || handle === null) throw new MapError('BPF_PROG_LOAD', ERRNO.EINVAL, 'a program handle must be a value');
    const id = this.nextProgram++;
    this.programs.set(id, handle);
    return id;
  }

  program(id: number): unknown {
    return this.programs.get(id);
  }

  /** bpf_map_meta_equal (plus max_entries for arrays without BPF_F_INNER_MAP, array_map_meta_equal). */
  innerMapFits(outer: BpfMap, inner: BpfMap): number {
    const mem = this.mem.refresh();
    const t = outer.address + DESC.inner;
    const type = mem.get(t + INNER.type);
    const lock = mem.get(t + INNER.spinLock);
    const fits = inner.type === type && inner.keySize === mem.get(t + INNER.keySize) &&
      inner.valueSize === mem.get(t + INNER.valueSize) && inner.flags === mem.get(t + INNER.flags) &&
      (inner.spinLockOffset ?? NO_SPIN_LOCK) === lock &&
      (type !== T.ARRAY || mem.get(t + INNER.flags) & BPF_F_INNER_MAP || inner.maxEntries === mem.get(t + INNER.maxEntries));
    return fits ? 0 : -ERRNO.EINVAL;
  }

  retainInner(address: number, delta: number): void {
    const mem = this.mem.refresh();
    const refs = Atomics.add(mem.i32, (address + DESC.refs) >>> 2, delta) + delta;
    if (refs === 0) this.free(address);
  }

  releaseMap(map: BpfMap): void {
    if (this.byAddress.get(map.address) !== map || this.closed.has(map.address)) return;
    this.closed.add(map.address);
    this.retainInner(map.address, -1);
  }

  alloc(name: string, size: number): number {
    if (!this.space) throw new MapError(CREATE, ERRNO.EPERM, `${name}: an attached registry cannot allocate memory`);
    const region = this.space.alloc(name, size, 'map');
    this.allocated.set(region.start, region);
    return region.start;
  }

  /** A socket of the runtime is gone (sk_destruct's bpf_sk_storage_free): its storage in every socket storage map goes too. */
  socketGone(address: number): void {
    for (const map of this.maps()) if (map instanceof SkStorageMap) map.socketGone(address);
  }

  free(address: number): void {
    const regions = this.regions.get(address);
    if (regions) {
      const map = this.byAddress.get(address)!;
      map.dispose();
      this.unlist(address);
      this.byAddress.delete(address);
      this.regions.delete(address);
      this.closed.delete(address);
      for (const r of regions) this.space!.release(r);
      return;
    }
    const region = this.allocated.get(address);
    if (region) {
      this.allocated.delete(address);
      this.space!.release(region);
    }
  }

  private unlist(d: number): void {
    const mem = this.mem;
    let prev = this.address + REG.first;
    for (let at = mem.get(prev); at; prev = at + DESC.next, at = mem.get(at + DESC.next)) {
      if (at === d) {
        Atomics.store(mem.i32, prev >>> 2, mem.get(d + DESC.next));
        return;
      }
    }
  }
}
