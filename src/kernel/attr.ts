/**
 * `union bpf_attr` and the other uAPI structs, built as bytes.
 *
 * Offsets come from include/uapi/linux/bpf.h as the running 6.18 kernel
 * lays it out (checked against its BTF, /sys/kernel/btf/vmlinux). Each
 * command passes only the bytes up to the last field it uses, as libbpf
 * does with offsetofend(): an older kernel with a shorter union still
 * accepts the call, a newer one zero-fills the rest.
 */
import type { NativeMemory } from './sys.js';
import type { Scratch } from './sys.js';

/** `enum bpf_cmd`. */
export const BPF_CMD = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  PROG_QUERY: 16,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  TASK_FD_QUERY: 20,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  BTF_GET_NEXT_ID: 23,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_GET_FD_BY_ID: 30,
  LINK_GET_NEXT_ID: 31,
  ENABLE_STATS: 32,
  ITER_CREATE: 33,
  LINK_DETACH: 34,
  PROG_BIND_MAP: 35,
} as const;

export type BpfCommandName = keyof typeof BPF_CMD;

/** Field offsets of the `union bpf_attr` members we use, and where each command's part ends. */
export const ATTR = {
  mapCreate: {
    mapType: 0, keySize: 4, valueSize: 8, maxEntries: 12, mapFlags: 16, innerMapFd: 20, numaNode: 24,
    mapName: 28, mapIfindex: 44, btfFd: 48, btfKeyTypeId: 52, btfValueTypeId: 56,
    btfVmlinuxValueTypeId: 60, mapExtra: 64, end: 72,
  },
  mapElem: { mapFd: 0, key: 8, value: 16, nextKey: 16, flags: 24, end: 32 },
  batch: { inBatch: 0, outBatch: 8, keys: 16, values: 24, count: 32, mapFd: 36, elemFlags: 40, flags: 48, end: 56 },
  progLoad: {
    progType: 0, insnCnt: 4, insns: 8, license: 16, logLevel: 24, logSize: 28, logBuf: 32, kernVersion: 40,
    progFlags: 44, progName: 48, progIfindex: 64, expectedAttachType: 68, progBtfFd: 72,
    funcInfoRecSize: 76, funcInfo: 80, funcInfoCnt: 88, lineInfoRecSize: 92, lineInfo: 96, lineInfoCnt: 104,
    attachBtfId: 108, attachProgFd: 112, coreReloCnt: 116, fdArray: 120, coreRelos: 128,
    coreReloRecSize: 136, logTrueSize: 140,
    /** Through log_true_size: the kernel reports the full log size there (6.4+). */
    end: 144,
  },
  obj: { pathname: 0, bpfFd: 8, fileFlags: 12, end: 16 },
  test: {
    progFd: 0, retval: 4, dataSizeIn: 8, dataSizeOut: 12, dataIn: 16, dataOut: 24, repeat: 32, duration: 36,
    ctxSizeIn: 40, ctxSizeOut: 44, ctxIn: 48, ctxOut: 56, flags: 64, cpu: 68, batchSize: 72, end: 76,
  },
  info: { bpfFd: 0, infoLen: 4, info: 8, end: 16 },
  rawTracepoint: { name: 0, progFd: 8, cookie: 16, end: 24 },
  btfLoad: { btf: 0, btfLogBuf: 8, btfSize: 16, btfLogSize: 20, btfLogLevel: 24, btfLogTrueSize: 28, end: 32 },
  linkCreate: {
    progFd: 0, targetFd: 4, targetIfindex: 4, attachType: 8, flags: 12,
    /** The per-attach-type union starts at 16: perf_event.bpf_cookie, tcx.relative_fd/expected_revision… */
    targetBtfId: 16, perfEventBpfCookie: 16, tcxRelativeFd: 16, tcxExpectedRevision: 24,
    /** Through the largest member we write (tcx). */
    end: 32,
  },
} as const;

/** An attr being built: little-endian fields over memory the kernel will read (and write back). */
export class Attr {
  readonly mem: NativeMemory;
  private readonly view: DataView;

  constructor(scratch: Scratch, readonly size: number) {
    this.mem = scratch.alloc(size);
    this.view = new DataView(this.mem.bytes.buffer, this.mem.bytes.byteOffset, size);
  }

  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  s32(offset: number, value: number): this {
    this.view.setInt32(offset, value, true);
    return this;
  }

  u64(offset: number, value: bigint | number): this {
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
    return this;
  }

  /** A pointer field: the address of `mem`, or NULL. */
  ptr(offset: number, mem: NativeMemory | undefined): this {
    return this.u64(offset, mem ? mem.address : 0n);
  }

  /** A fixed char[len] field, NUL-padded (object names are 16 bytes, the last one NUL). */
  chars(offset: number, len: number, text: string): this {
    const encoded = new TextEncoder().encode(text).subarray(0, len - 1);
    this.mem.bytes.set(encoded, offset);
    return this;
  }

  getU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  getU64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }
}

/** The text of a NUL-terminated buffer (all of it when no NUL). */
export function cstringOf(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}
