/**
 * The specs an object file describes: plain, deterministic data (ARCHITECTURE
 * "Spec vs live"). Reading the same object gives the same spec everywhere;
 * nothing here depends on the host. Maps are referred to by their index in
 * `CollectionSpec.maps`: instructions load them with BPF_PSEUDO_MAP_IDX /
 * BPF_PSEUDO_MAP_IDX_VALUE, as libbpf's gen_loader does.
 */
import type { ByteOrder } from '../internal/bytes.js';
import type { Btf } from '../btf/types.js';
import type { CoreRelocation } from '../btf/core.js';
import type { Insn } from '../isa/insn.js';

/** `LIBBPF_PIN_*`. */
export const LIBBPF_PIN_NONE = 0;
export const LIBBPF_PIN_BY_NAME = 1;

/** Map flags the loader sets itself. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;

export interface FuncInfo {
  /** Instruction index in the program. */
  insnOff: number;
  /** A BTF FUNC type id. */
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

/** A function linked into a program: the program's own code first, then each subprogram it calls. */
export interface LinkedFunction {
  name: string;
  /** ELF section the function came from. */
  section: string;
  /** First instruction in the program. */
  insnOff: number;
  insnCnt: number;
}

export interface ProgramSpec {
  /** The function's symbol name. */
  name: string;
  /** ELF section, as written in SEC("..."). */
  sectionName: string;
  /** `enum bpf_prog_type` (0 when libbpf's table does not know the section). */
  type: number;
  /** `enum bpf_attach_type`, 0 when the section implies none. */
  expectedAttachType: number;
  /** What the section names after its prefix: a function, a tracepoint, a BTF name. */
  attachTo: string;
  /** BPF_F_SLEEPABLE / BPF_F_XDP_HAS_FRAGS. */
  flags: number;
  license: string;
  kernelVersion: number;
  /** Linked and relocated instructions (slots: lddw takes two). */
  insns: Insn[];
  functions: LinkedFunction[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  /** CO-RE relocations still to apply (applyCoreRelocations), by instruction index in `insns`. */
  coreRelos: CoreRelocation[];
}

/** A slot of an outer map or a prog array filled before load: `.values = { [1] = &inner }`. */
export interface InitSlot {
  index: number;
  /** A map name (map-in-map) or a program name (prog array). */
  name: string;
}

export type MapOrigin = 'btf' | 'legacy' | 'data' | 'kconfig';

export interface MapSpec {
  name: string;
  /** Where the definition came from: `.maps`, the legacy `maps` section, a data section, .kconfig externs. */
  origin: MapOrigin;
  /** The ELF section (or DATASEC) the map comes from. */
  section: string;
  /** `enum bpf_map_type`. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: number;
  pinning: number;
  /** BTF ids in CollectionSpec.btf (0: none): for global data, the value is the DATASEC. */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** Map-in-map: the template of the inner maps. */
  innerMap?: MapSpec;
  initSlots: InitSlot[];
  /** Global data: the initial value (the section's bytes). */
  data?: Uint8Array;
  /** Frozen after creation (read-only to userspace too): `.rodata`, `.kconfig`. */
  frozen: boolean;
}

export interface VariableSpec {
  name: string;
  /** The global data map (its name is the section name: `.data`, `.rodata`, `.kconfig`…). */
  map: string;
  offset: number;
  size: number;
  /** BTF type id of the variable's type (0 without BTF). */
  typeId: number;
  typeName: string;
  linkage: 'static' | 'global' | 'extern';
  /** An extern declared `__weak` (ELF STB_WEAK): a loader leaves it 0 when nothing resolves it. */
  weak?: boolean;
}

export interface CollectionSpec {
  byteOrder: ByteOrder;
  license: string;
  kernelVersion: number;
  programs: ProgramSpec[];
  maps: MapSpec[];
  variables: VariableSpec[];
  /** The object's BTF with DATASEC sizes and offsets fixed up from the ELF; null without .BTF. */
  btf: Btf | null;
}
