/**
 * What every map speaks, whoever holds it (our maps in src/maps, the
 * kernel's through src/kernel): the uAPI flags of BPF_MAP_CREATE and the
 * element commands (include/uapi/linux/bpf.h), and the batch commands' shape.
 */

/** Flags of BPF_MAP_UPDATE_ELEM and bpf_map_update_elem. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** map_flags of BPF_MAP_CREATE. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;

/** Options of the BPF_MAP_*_BATCH commands. */
export interface BatchOptions {
  /** Where to continue: the `cursor` of the previous batch; omit to start. */
  cursor?: Uint8Array;
  /** Most elements to process (default: max_entries). */
  count?: number;
  elemFlags?: number;
  flags?: number;
}

export interface BatchResult {
  keys: Uint8Array[];
  values: Uint8Array[];
  /** Pass back to continue; undefined once the walk reached the end (the kernel's ENOENT). */
  cursor: Uint8Array | undefined;
}
