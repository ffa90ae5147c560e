/**
 * The running kernel's side of .kconfig (kconfig.ts): its config from
 * /proc/config.gz or /boot/config-$(uname -r) — where libbpf looks — its
 * release, and the two features libbpf probes for the virtual externs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { BPF_CALL, BPF_EXIT, BPF_JMP } from '../isa/index.js';
import { loadProgram, type Kernel } from '../kernel/index.js';
import { BPF_PROG_TYPE } from '../platform/index.js';
import { CollectionError } from './errors.js';
import { parseKconfig, type KconfigOptions, type KconfigSource } from './kconfig.js';

const BPF_FUNC_get_attach_cookie = 174;

/** The host kernel's config, or undefined when neither file is there. */
export function hostKconfig(): Record<string, string> | undefined {
  const boot = `/boot/config-${release()}`;
  try {
    if (existsSync('/proc/config.gz')) return parseKconfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'));
    if (existsSync(boot)) return parseKconfig(readFileSync(boot, 'utf8'));
  } catch (err) {
    throw new CollectionError('.kconfig', `cannot read the kernel config: ${(err as Error).message}`, { cause: err });
  }
  return undefined;
}

/** libbpf's probe_kern_bpf_cookie: a tracepoint program calling bpf_get_attach_cookie loads. */
function probeBpfCookie(kernel: Kernel): boolean {
  try {
    loadProgram(kernel, {
      type: BPF_PROG_TYPE.TRACEPOINT, license: 'GPL',
      insns: [{ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: BPF_FUNC_get_attach_cookie }, { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 }],
    }).close();
    return true;
  } catch {
    return false;
  }
}

/** The arch prefix of syscall entry points (libbpf's arch_specific_syscall_pfx). */
const SYSCALL_PREFIX: Readonly<Record<string, string>> = { x64: 'x64', ia32: 'ia32', arm64: 'arm64', s390x: 's390x', riscv64: 'riscv', ppc64: 'powerpc', arm: 'arm' };

/** Whether the kernel has the `__<arch>_sys_bpf` wrapper (what libbpf's probe kprobes). */
function hasSyscallWrapper(): boolean {
  const prefix = SYSCALL_PREFIX[arch()];
  if (!prefix) return false;
  try {
    return new RegExp(`^[0-9a-f]+ \\w __${prefix}_sys_bpf$`, 'm').test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
}

/** The kernel path's kconfig source: the given values first, then the host's config; the host's release unless one is given. */
export function kernelKconfig(kernel: Kernel, options: KconfigOptions): KconfigSource {
  return {
    values: options.kconfig,
    fallback: hostKconfig,
    kernelRelease: () => options.kernelRelease ?? release(),
    hasBpfCookie: () => probeBpfCookie(kernel),
    hasSyscallWrapper,
  };
}
