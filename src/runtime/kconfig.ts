/**
 * `.kconfig` externs filled before load, as libbpf fills them
 * (bpf_object__resolve_externs): `extern int CONFIG_HZ __kconfig;` gets the
 * value of the kernel configuration the collection runs against, the
 * virtual externs LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and
 * LINUX_HAS_SYSCALL_WRAPPER what the engine offers.
 *
 * Values are strings as a config file has them: `y`, `n`, `m` (bool,
 * tristate), a number (decimal, 0x hex, 0 octal), or a quoted string. How a
 * value is stored follows the extern's C type, as libbpf's kcfg types:
 *   bool                      y → 1, n → 0 (m, or a number > 1, is refused)
 *   char, u8, s8 (1 byte)     y/n/m → the character; a number → the byte
 *   enum libbpf_tristate      n → 0, y → 1, m → 2
 *   2-, 4-, 8-byte integers   a number that fits
 *   char arrays               a quoted string, cut to fit with its NUL
 * A strong extern nothing resolves is an error naming it; a `__weak` one
 * stays 0. This module is pure: the kernel path reads the host's config
 * (kconfig-host.ts) and passes it in.
 */
import { skipModsAndTypedefs, type Btf } from '../btf/index.js';
import type { CollectionSpec, VariableSpec } from '../elf/index.js';
import { CollectionError } from './errors.js';

/** What resolves the externs of one load. */
export interface KconfigSource {
  /** CONFIG_* values, as lines of /proc/config.gz have them: `{ CONFIG_HZ: '250', CONFIG_BPF: 'y' }`. */
  values?: Readonly<Record<string, string>>;
  /** More CONFIG_* values, asked for only when `values` leaves a CONFIG_* extern unset (the host's config). */
  fallback?: () => Readonly<Record<string, string>> | undefined;
  /** The kernel release (`uname -r`) LINUX_KERNEL_VERSION is computed from. */
  kernelRelease?: () => string | undefined;
  /** Whether bpf_get_attach_cookie is there (LINUX_HAS_BPF_COOKIE). */
  hasBpfCookie: () => boolean;
  /** Whether syscalls go through arch wrappers taking a pt_regs (LINUX_HAS_SYSCALL_WRAPPER). */
  hasSyscallWrapper: () => boolean;
}

type KcfgType = 'bool' | 'char' | 'tristate' | 'int' | 'chars';

interface Kcfg {
  type: KcfgType;
  size: number;
  signed: boolean;
}

const where = '.kconfig';

/** KERNEL_VERSION(a, b, c) of a release string such as `6.8.0-45-generic` (the patch level capped at 255, as libbpf). */
export function kernelVersion(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) throw new CollectionError(where, `LINUX_KERNEL_VERSION: cannot read a version from the release '${release}'`);
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (a > 255 || b > 255) throw new CollectionError(where, `LINUX_KERNEL_VERSION: release '${release}' does not fit KERNEL_VERSION()`);
  return a * 65536 + b * 256 + Math.min(c, 255);
}

/** The CONFIG_* lines of a kernel config file (`# CONFIG_X is not set` and other lines are skipped, as libbpf skips them). */
export function parseKconfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('CONFIG_')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq);
    if (!(name in out)) out[name] = line.slice(eq + 1).replace(/\r$/, '');
  }
  return out;
}

/** find_kcfg_type: how an extern of this BTF type is stored, or undefined for a type libbpf refuses. */
function kcfgType(btf: Btf, typeId: number): Kcfg | undefined {
  const t = skipModsAndTypedefs(btf, typeId).type;
  switch (t.kind) {
    case 'int': {
      if (t.encoding & 4) return t.size === 1 ? { type: 'bool', size: 1, signed: false } : undefined;
      const signed = (t.encoding & 1) !== 0;
      if (t.size === 1) return { type: 'char', size: 1, signed };
      if (![2, 4, 8].includes(t.size)) return undefined;
      return { type: 'int', size: t.size, signed };
    }
    case 'enum':
      return t.size === 4 && t.name === 'libbpf_tristate' ? { type: 'tristate', size: 4, signed: false } : undefined;
    case 'enum64':
      return t.name === 'libbpf_tristate' ? { type: 'tristate', size: t.size, signed: false } : undefined;
    case 'array': {
      if (t.nelems === 0 || kcfgType(btf, t.type)?.type !== 'char') return undefined;
      return { type: 'chars', size: t.nelems, signed: false };
    }
    default:
      return undefined;
  }
}

/** strtoull(value, &end, 0) that must consume the whole value (libbpf's parse_u64). */
function parseU64(name: string, value: string): bigint {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (!m) throw new CollectionError(where, `extern ${name}: value '${value}' is not an integer`);
  const digits = m[2];
  const n = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  if (n >= 1n << 64n) throw new CollectionError(where, `extern ${name}: value '${value}' does not fit 64 bits`);
  return m[1] === '-' ? BigInt.asUintN(64, -n) : n;
}

/** is_kcfg_value_in_range. */
function fits(k: Kcfg, v: bigint): boolean {
  if (k.size >= 8) return true;
  const bits = BigInt(k.size * 8);
  return k.signed ? BigInt.asUintN(64, v + (1n << (bits - 1n))) < 1n << bits : v >> bits === 0n;
}

function writeUint(out: Uint8Array, at: number, size: number, v: bigint): void {
  for (let i = 0; i < size; i++) out[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** set_kcfg_value_num. */
function setNum(name: string, k: Kcfg, out: Uint8Array, at: number, v: bigint): void {
  if (k.type !== 'int' && k.type !== 'char' && k.type !== 'bool') throw new CollectionError(where, `extern ${name}: value ${v} implies an integer, char or bool type`);
  if (k.type === 'bool' && v > 1n) throw new CollectionError(where, `extern ${name}: value ${v} is not a bool`);
  if (!fits(k, v)) throw new CollectionError(where, `extern ${name}: value ${v} does not fit in ${k.size} bytes`);
  writeUint(out, at, k.size, v);
}

/** set_kcfg_value_tri / _str / _num, by the value's first character as libbpf decides. */
function setValue(name: string, k: Kcfg, out: Uint8Array, at: number, value: string): void {
  const c = value[0];
  if (c === 'y' || c === 'n' || c === 'm') {
    if (k.type === 'bool') {
      if (c === 'm') throw new CollectionError(where, `extern ${name}: value 'm' implies a tristate or char type, not bool`);
      out[at] = c === 'y' ? 1 : 0;
    } else if (k.type === 'tristate') {
      writeUint(out, at, k.size, c === 'y' ? 1n : c === 'm' ? 2n : 0n);
    } else if (k.type === 'char') {
      out[at] = c.charCodeAt(0);
    } else {
      throw new CollectionError(where, `extern ${name}: value '${c}' implies a bool, tristate or char type`);
    }
    return;
  }
  if (c === '"') {
    if (k.type !== 'chars') throw new CollectionError(where, `extern ${name}: value ${value} implies a char array type`);
    if (value.length < 2 || !value.endsWith('"')) throw new CollectionError(where, `extern ${name}: invalid string value ${value}`);
    const bytes = new TextEncoder().encode(value.slice(1, -1)).subarray(0, k.size - 1);
    out.fill(0, at, at + k.size);
    out.set(bytes, at);
    return;
  }
  setNum(name, k, out, at, parseU64(name, value));
}

const isConfig = (name: string) => name.startsWith('CONFIG_');

/**
 * The spec with its .kconfig map's initial value holding the externs'
 * values (the spec itself is left as it is). A spec without .kconfig
 * externs comes back unchanged.
 */
export function resolveKconfig(spec: CollectionSpec, source: KconfigSource): CollectionSpec {
  const index = spec.maps.findIndex((m) => m.origin === 'kconfig');
  if (index < 0) return spec;
  const map = spec.maps[index];
  const btf = spec.btf;
  const externs = spec.variables.filter((v) => v.map === map.name && v.linkage === 'extern');
  if (!btf || externs.length === 0) return spec;
  const data = new Uint8Array(map.valueSize);
  if (map.data) data.set(map.data.subarray(0, map.valueSize));
  const typed = externs.map((v): [VariableSpec, Kcfg] => {
    const k = kcfgType(btf, v.typeId);
    if (!k) throw new CollectionError(where, `extern ${v.name}: type ${v.typeName} is not one libbpf fills (bool, char, an integer, enum libbpf_tristate, a char array)`);
    if (k.size !== v.size) throw new CollectionError(where, `extern ${v.name}: ${v.size} bytes in the section, ${k.size} by its type`);
    return [v, k];
  });
  const unset = new Set<string>();
  for (const [v, k] of typed) {
    if (isConfig(v.name)) {
      unset.add(v.name);
      continue;
    }
    let value: bigint | undefined;
    if (v.name === 'LINUX_KERNEL_VERSION') {
      const release = source.kernelRelease?.();
      if (release !== undefined) value = BigInt(kernelVersion(release));
    } else if (v.name === 'LINUX_HAS_BPF_COOKIE') {
      value = source.hasBpfCookie() ? 1n : 0n;
    } else if (v.name === 'LINUX_HAS_SYSCALL_WRAPPER') {
      value = source.hasSyscallWrapper() ? 1n : 0n;
    } else {
      throw new CollectionError(where, `extern ${v.name}: not a CONFIG_* value nor a virtual extern libbpf knows (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER)`);
    }
    if (value === undefined) unset.add(v.name);
    else setNum(v.name, k, data, v.offset, value);
  }
  const apply = (values: Readonly<Record<string, string>> | undefined) => {
    if (!values) return;
    for (const [v, k] of typed) {
      if (!unset.has(v.name) || !isConfig(v.name) || !Object.hasOwn(values, v.name)) continue;
      const value = values[v.name];
      if (typeof value !== 'string') throw new CollectionError(where, `kconfig value of ${v.name} must be a string, got ${typeof value}`);
      setValue(v.name, k, data, v.offset, value);
      unset.delete(v.name);
    }
  };
  apply(source.values);
  if ([...unset].some(isConfig)) apply(source.fallback?.());
  for (const [v] of typed) {
    if (unset.has(v.name) && !v.weak) throw new CollectionError(where, `extern ${v.name} (strong) has no value in the kernel config; declare it __weak to default to 0`);
  }
  const maps = spec.maps.slice();
  maps[index] = { ...map, data };
  return { ...spec, maps };
}

/** The kconfig options of a load. */
export interface KconfigOptions {
  /** CONFIG_* values for the object's .kconfig externs, as lines of /proc/config.gz (`{ CONFIG_HZ: '250' }`). */
  kconfig?: Readonly<Record<string, string>>;
  /** The kernel release LINUX_KERNEL_VERSION reports (`6.8.0-45-generic`); default: the host's on the kernel, LOCAL_KERNEL_RELEASE on our engines. */
  kernelRelease?: string;
}

/** The release our engines report by default: the platform's rules are Linux 6.18's (src/platform). */
export const LOCAL_KERNEL_RELEASE = '6.18.0';

/**
 * What our own engines resolve externs with: the given values only (there
 * is no host config to fall back on), the given release or
 * LOCAL_KERNEL_RELEASE, bpf_get_attach_cookie present, no syscall wrappers
 * (no kernel entry points to wrap).
 */
export function localKconfig(options: KconfigOptions): KconfigSource {
  return {
    values: options.kconfig,
    kernelRelease: () => options.kernelRelease ?? LOCAL_KERNEL_RELEASE,
    hasBpfCookie: () => true,
    hasSyscallWrapper: () => false,
  };
}
