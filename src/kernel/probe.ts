/**
 * `ebpf feature probe`: what the running kernel offers, found as bpftool
 * finds it — by loading minimal programs and creating minimal maps — and
 * printed in bpftool's words.
 *
 * Helper names come from the kernel itself: the verifier prints each call
 * as `(85) call bpf_map_lookup_elem#1`, so whatever the kernel's version,
 * the names are its own.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { VerifierError } from '../internal/errors.js';
import {
  BPF_ALU, BPF_ALU64, BPF_DIV, BPF_EXIT, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_K, BPF_MOV, BPF_SUB, BPF_CALL,
  type Insn,
} from '../isa/index.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, UAPI_ENUMS, mapTypeName, progTypeName } from '../platform/index.js';
import { KernelError, errnoOf } from './errors.js';
import type { Kernel } from './kernel.js';
import { BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, createMap, type MapCreateOptions } from './map.js';
import { loadBtf } from './objects.js';
import { BPF_F_SLEEPABLE, BPF_LOG_LEVEL2, loadProgram, type ProgramLoadOptions } from './program.js';

export interface ProbedType {
  name: string;
  value: number;
  available: boolean;
  /** Why not, when not: the kernel's error. */
  reason?: string;
}

export interface FeatureProbe {
  kernelRelease: string;
  /** Sysctls that decide who may use BPF and how it runs. */
  system: { name: string; value: string }[];
  progTypes: ProbedType[];
  mapTypes: ProbedType[];
  /** Per program type that loads, the helpers it may call (ids and the kernel's names). */
  helpers: { progType: string; helpers: { id: number; name: string }[] }[];
  misc: { name: string; available: boolean }[];
}

export interface ProbeOptions {
  /** Probe helpers too (a load per program type and helper: the slow part). Default true. */
  helpers?: boolean;
  /** Only these program types for helpers (bpftool's `prog_type` filter), by name. */
  helperProgTypes?: readonly string[];
}

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const EXIT = ins(BPF_JMP | BPF_EXIT);
const R0_ZERO = ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);

/** What a program type needs besides `r0 = 0; exit` to reach the verifier. */
const PROG_LOAD_EXTRA: Readonly<Record<string, Partial<ProgramLoadOptions>>> = {
  CGROUP_SOCK_ADDR: { expectedAttachType: 'cgroup_inet4_connect' },
  CGROUP_SOCKOPT: { expectedAttachType: 'cgroup_getsockopt' },
  SK_LOOKUP: { expectedAttachType: 'sk_lookup' },
  NETFILTER: { expectedAttachType: 'netfilter' },
  LIRC_MODE2: { expectedAttachType: 'lirc_mode2' },
  SYSCALL: { flags: BPF_F_SLEEPABLE },
  // These attach to a BTF object; id 1 is never a valid target, but a kernel
  // that has the type says so in the verifier's log.
  TRACING: { expectedAttachType: 'trace_raw_tp', attachBtfId: 1 },
  STRUCT_OPS: { attachBtfId: 1 },
  EXT: { attachBtfId: 1 },
  LSM: { expectedAttachType: 'lsm_mac', attachBtfId: 1 },
};

interface LoadProbe {
  loaded: boolean;
  /** The kernel verified (or began to verify) the program: the type exists. */
  reachedVerifier: boolean;
  log: string;
  error?: string;
}

function tryLoad(kernel: Kernel, options: ProgramLoadOptions): LoadProbe {
  try {
    using prog = loadProgram(kernel, options);
    return { loaded: true, reachedVerifier: true, log: prog.log };
  } catch (err) {
    if (err instanceof VerifierError) return { loaded: false, reachedVerifier: true, log: err.log, error: err.summary };
    if (err instanceof KernelError) return { loaded: false, reachedVerifier: false, log: '', error: err.message };
    throw err;
  }
}

function probeProgTypes(kernel: Kernel): ProbedType[] {
  const out: ProbedType[] = [];
  UAPI_ENUMS.bpf_prog_type.forEach((_, value) => {
    if (value === BPF_PROG_TYPE.UNSPEC) return;
    const key = Object.keys(BPF_PROG_TYPE).find((k) => BPF_PROG_TYPE[k as keyof typeof BPF_PROG_TYPE] === value)!;
    const r = tryLoad(kernel, { type: value, insns: [R0_ZERO, EXIT], ...PROG_LOAD_EXTRA[key] });
    out.push({ name: progTypeName(value)!, value, available: r.reachedVerifier, ...(r.reachedVerifier ? {} : { reason: r.error }) });
  });
  return out;
}

/**
 * BTF for the local-storage maps, which want a BTF-described value:
 * [1] int, [2] struct bpf_spin_lock { int val; }, [3] struct val { int cnt; struct bpf_spin_lock l; }.
 */
function storageBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0bpf_spin_lock\0val\0cnt\0l\0');
  const name = (s: string) => new TextDecoder().decode(strings).indexOf(`\0${s}\0`) + 1;
  const words = [
    name('int'), 1 << 24, 4, (1 << 24) | 32, // INT, signed, 32 bits
    name('bpf_spin_lock'), (4 << 24) | 1, 4, name('val'), 1, 0, // STRUCT, one member
    name('val'), (4 << 24) | 2, 8, name('cnt'), 1, 0, name('l'), 2, 32,
  ];
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  out.set(strings, 24 + typeLen);
  return out;
}

function probeMapTypes(kernel: Kernel): ProbedType[] {
  const T = BPF_MAP_TYPE;
  const localStorage = new Set<number>([T.SK_STORAGE, T.INODE_STORAGE, T.TASK_STORAGE, T.CGRP_STORAGE]);
  const out: ProbedType[] = [];
  UAPI_ENUMS.bpf_map_type.forEach((_, value) => {
    if (value === T.UNSPEC) return;
    const base: MapCreateOptions = { type: value, keySize: 4, valueSize: 4, maxEntries: 1 };
    const extra: Partial<MapCreateOptions> = (() => {
      switch (value) {
        case T.STACK_TRACE: return { valueSize: 8 };
        case T.LPM_TRIE: return { keySize: 8, valueSize: 8, flags: BPF_F_NO_PREALLOC };
        case T.CGROUP_STORAGE: case T.PERCPU_CGROUP_STORAGE: return { keySize: 8, valueSize: 8, maxEntries: 0 };
        case T.QUEUE: case T.STACK: case T.BLOOM_FILTER: return { keySize: 0 };
        case T.RINGBUF: case T.USER_RINGBUF: return { keySize: 0, valueSize: 0, maxEntries: 4096 };
        case T.ARENA: return { keySize: 0, valueSize: 0, flags: BPF_F_MMAPABLE };
        case T.STRUCT_OPS: return { valueSize: 256, btfVmlinuxValueTypeId: 1 };
        default: return localStorage.has(value) ? { valueSize: 8, maxEntries: 0, flags: BPF_F_NO_PREALLOC, btfKeyTypeId: 1, btfValueTypeId: 3 } : {};
      }
    })();
    const held: { close(): void }[] = [];
    let result: ProbedType;
    try {
      if (localStorage.has(value)) {
        const btf = loadBtf(kernel, storageBtf());
        held.push(btf);
        extra.btfFd = btf.fd.value;
      }
      if (value === T.ARRAY_OF_MAPS || value === T.HASH_OF_MAPS) {
        const inner = createMap(kernel, { type: T.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
        held.push(inner);
        extra.innerMapFd = inner.fd.value;
      }
      createMap(kernel, { ...base, ...extra }).close();
      result = { name: mapTypeName(value)!, value, available: true };
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      // struct_ops maps need a real kernel struct: an unknown one is ENOTSUPP, an unknown map type EINVAL.
      const exists = value === T.STRUCT_OPS && err.errno === errnoOf('ENOTSUPP');
      result = { name: mapTypeName(value)!, value, available: exists, ...(exists ? {} : { reason: err.message }) };
    } finally {
      for (const h of held.reverse()) h.close();
    }
    out.push(result);
  });
  return out;
}

const CALL_LINE = /\(85\) call ([A-Za-z_]\w*)#(\d+)/;
const REFUSED = [/invalid func /, /unknown func /, /program of this type cannot use helper /];

/** The kernel's helper ids and names: walk ids up until the kernel no longer knows one. */
function probeHelpers(kernel: Kernel, progTypes: readonly ProbedType[], only?: readonly string[]): FeatureProbe['helpers'] {
  const names = new Map<number, string>();
  const loadable = progTypes.filter((p) => {
    if (!p.available || (only && !only.includes(p.name))) return false;
    const key = p.name.toUpperCase();
    // Types that only load against a BTF target cannot run the plain probe program.
    return !PROG_LOAD_EXTRA[key]?.attachBtfId;
  });
  const result: FeatureProbe['helpers'] = loadable.map((p) => ({ progType: p.name, helpers: [] }));
  // Ids are dense below the kernel's __BPF_FUNC_MAX_ID; the bound only guards against a kernel that never says no.
  for (let id = 1; id < 1 << 16; id++) {
    let known = false;
    loadable.forEach((p, i) => {
      const key = p.name.toUpperCase();
      const r = tryLoad(kernel, { type: p.value, insns: [ins(BPF_JMP | BPF_CALL, 0, 0, 0, id), EXIT], logLevel: BPF_LOG_LEVEL2, logSize: 4096, ...PROG_LOAD_EXTRA[key] });
      if (r.reachedVerifier && !/invalid func unknown#/.test(r.log)) known = true;
      const call = CALL_LINE.exec(r.log);
      if (call && call[1] !== 'unknown') names.set(id, call[1]);
      const named = /unknown func (\w+)#/.exec(r.log);
      if (named) names.set(id, named[1]);
      if (r.reachedVerifier && !REFUSED.some((re) => re.test(r.log))) result[i].helpers.push({ id, name: '' });
    });
    if (!known || loadable.length === 0) break;
  }
  for (const entry of result) {
    for (const h of entry.helpers) h.name = names.get(h.id) ?? `helper#${h.id}`;
  }
  return result;
}

function probeMisc(kernel: Kernel): FeatureProbe['misc'] {
  const accepts = (insns: Insn[], type: number = BPF_PROG_TYPE.SOCKET_FILTER) => tryLoad(kernel, { type, insns }).loaded;
  const large: Insn[] = Array.from({ length: 4096 }, () => ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
  return [
    { name: 'large_insn_limit', available: accepts([...large, EXIT], BPF_PROG_TYPE.SCHED_CLS) },
    {
      name: 'bounded_loops',
      available: accepts([ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 10), ins(BPF_ALU64 | BPF_SUB | BPF_K, 0, 0, 0, 1), ins(BPF_JMP | BPF_JNE | BPF_K, 0, 0, -2, 0), EXIT]),
    },
    { name: 'isa_v2_ext', available: accepts([R0_ZERO, ins(BPF_JMP | BPF_JLT | BPF_K, 0, 0, 1, 0), ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1), EXIT]) },
    { name: 'isa_v3_ext', available: accepts([R0_ZERO, ins(BPF_JMP32 | BPF_JLT | BPF_K, 0, 0, 1, 0), ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1), EXIT]) },
    { name: 'isa_v4_ext', available: accepts([ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 7), ins(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 1, -1), EXIT]) },
  ];
}

function sysctl(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Probe the kernel: program types, map types, helpers per program type, ISA extensions. */
export function probeFeatures(kernel: Kernel, options: ProbeOptions = {}): FeatureProbe {
  const progTypes = probeProgTypes(kernel);
  return {
    kernelRelease: release(),
    system: [
      { name: 'bpf_jit_enable', value: sysctl('/proc/sys/net/core/bpf_jit_enable') },
      { name: 'bpf_jit_harden', value: sysctl('/proc/sys/net/core/bpf_jit_harden') },
      { name: 'unprivileged_bpf_disabled', value: sysctl('/proc/sys/kernel/unprivileged_bpf_disabled') },
    ],
    progTypes,
    mapTypes: probeMapTypes(kernel),
    helpers: options.helpers === false ? [] : probeHelpers(kernel, progTypes, options.helperProgTypes),
    misc: probeMisc(kernel),
  };
}

const MISC_TEXT: Record<string, string> = {
  large_insn_limit: 'Large program size limit',
  bounded_loops: 'Bounded loop support',
  isa_v2_ext: 'ISA extension v2',
  isa_v3_ext: 'ISA extension v3',
  isa_v4_ext: 'ISA extension v4',
};

/** The probe as `bpftool feature probe` prints it. */
export function formatFeatures(probe: FeatureProbe): string {
  const lines: string[] = [];
  const avail = (ok: boolean) => (ok ? 'is available' : 'is NOT available');
  lines.push('Scanning system configuration...');
  lines.push(`Kernel release is ${probe.kernelRelease}`);
  for (const s of probe.system) lines.push(`${s.name} is ${s.value}`);
  lines.push('', 'Scanning eBPF program types...');
  for (const p of probe.progTypes) lines.push(`eBPF program_type ${p.name} ${avail(p.available)}${p.reason ? ` (${p.reason})` : ''}`);
  lines.push('', 'Scanning eBPF map types...');
  for (const m of probe.mapTypes) lines.push(`eBPF map_type ${m.name} ${avail(m.available)}${m.reason ? ` (${m.reason})` : ''}`);
  if (probe.helpers.length) {
    lines.push('', 'Scanning eBPF helper functions...');
    for (const h of probe.helpers) {
      lines.push(`eBPF helpers supported for program type ${h.progType}:`);
      for (const f of h.helpers) lines.push(`\t- ${f.name}`);
    }
  }
  lines.push('', 'Scanning miscellaneous eBPF features...');
  for (const m of probe.misc) lines.push(`${MISC_TEXT[m.name] ?? m.name} ${avail(m.available)}`);
  return lines.join('\n') + '\n';
}
