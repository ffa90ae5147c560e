/** .kconfig externs filled before load, as libbpf fills them, on the interpreter and the kernel (testdata/src/kconfig.c). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { loadCollectionSpec, type CollectionSpec } from '../../src/elf/index.js';
import {
  CollectionError, LOCAL_KERNEL_RELEASE, kernelVersion, loadCollection, parseKconfig, type EngineKind, type KconfigOptions,
} from '../../src/runtime/index.js';
import { hostKconfig } from '../../src/runtime/kconfig-host.js';
import { repoRoot } from '../paths.js';
import { kernelOrSkip } from '../kernel/env.js';
import { udpPacket } from './packets.js';

const spec = (): CollectionSpec => loadCollectionSpec(readFileSync(join(repoRoot, 'testdata', 'obj', 'kconfig.o')));
const XDP_DROP = 1, XDP_PASS = 2;

/** struct seen of kconfig.c, read back from .bss after a run. */
interface Seen {
  kernelVersion: number; bpfSyscall: number; hz: number; missing: number; nrCpus: bigint;
  hasCookie: number; hasWrapper: number; bpf: number; jit: string; hostname: string; retval: number;
}

function run(engine: EngineKind, options: KconfigOptions, s = spec()): Seen {
  const c = loadCollection(s, { engine, ...options });
  try {
    const retval = c.programs.read_kconfig.testRun({ data: udpPacket() }).retval;
    const v = c.maps['.bss'].lookup(new Uint8Array(4))!;
    const dv = new DataView(v.buffer, v.byteOffset);
    const name = v.subarray(28, 36);
    const nul = name.indexOf(0);
    return {
      kernelVersion: dv.getUint32(0, true), bpfSyscall: dv.getUint32(4, true), hz: dv.getInt32(8, true), missing: dv.getInt32(12, true),
      nrCpus: dv.getBigUint64(16, true), hasCookie: v[24], hasWrapper: v[25], bpf: v[26], jit: String.fromCharCode(v[27]),
      hostname: new TextDecoder().decode(name.subarray(0, nul < 0 ? 8 : nul)), retval,
    };
  } finally {
    c.dispose();
  }
}

test('kernelVersion is KERNEL_VERSION(a, b, c) of a release, the patch level capped at 255', () => {
  assert.equal(kernelVersion('6.8.0-45-generic'), 0x060800);
  assert.equal(kernelVersion('5.15.3'), 0x050f03);
  assert.equal(kernelVersion('4.9.337'), 0x0409ff);
  assert.equal(kernelVersion('6.1'), 0x060100);
  assert.throws(() => kernelVersion('linux'), (e: Error) => e instanceof CollectionError && /LINUX_KERNEL_VERSION/.test(e.message));
});

test('parseKconfig keeps the CONFIG_ lines of a config file', () => {
  const text = '#\n# General setup\nCONFIG_HZ=250\n# CONFIG_DEBUG is not set\nCONFIG_BPF=y\nCONFIG_LOCALVERSION="-x"\n\nCONFIG_HZ=100\n';
  assert.deepEqual(parseKconfig(text), { CONFIG_HZ: '250', CONFIG_BPF: 'y', CONFIG_LOCALVERSION: '"-x"' });
});

test('interpreter: CONFIG_* values stored per the extern\'s type, the virtual externs, __weak ones left 0', () => {
  const kconfig = {
    CONFIG_BPF: 'y', CONFIG_BPF_SYSCALL: 'm', CONFIG_BPF_JIT: 'y', CONFIG_HZ: '0x3e8', CONFIG_NR_CPUS: '0777',
    CONFIG_DEFAULT_HOSTNAME: '"a-long-hostname"', CONFIG_UNUSED: 'not looked at',
  };
  assert.deepEqual(run('interp', { kconfig, kernelRelease: '5.15.3-arch1' }), {
    kernelVersion: 0x050f03, bpfSyscall: 2, hz: 1000, missing: 0, nrCpus: 0o777n, hasCookie: 1, hasWrapper: 0, bpf: 1, jit: 'y',
    hostname: 'a-long-', retval: XDP_DROP,
  });
  const yes = run('interp', { kconfig: { ...kconfig, CONFIG_BPF_SYSCALL: 'y', CONFIG_HZ: '-1' } });
  assert.equal(yes.bpfSyscall, 1);
  assert.equal(yes.hz, -1);
  assert.equal(yes.kernelVersion, kernelVersion(LOCAL_KERNEL_RELEASE));
  assert.equal(yes.retval, XDP_PASS);
});

test('interpreter: without a config every __weak CONFIG_* extern is 0', () => {
  assert.deepEqual(run('interp', {}), {
    kernelVersion: kernelVersion(LOCAL_KERNEL_RELEASE), bpfSyscall: 0, hz: 0, missing: 0, nrCpus: 0n, hasCookie: 1, hasWrapper: 0, bpf: 0,
    jit: '\0', hostname: '', retval: XDP_DROP,
  });
});

test('values that do not fit the extern\'s type, and a strong extern without a value, are CollectionErrors naming the extern', () => {
  const refused = (kconfig: Record<string, string>, pattern: RegExp, s?: CollectionSpec) =>
    assert.throws(() => run('interp', { kconfig }, s), (e: Error) => e instanceof CollectionError && pattern.test(e.message), JSON.stringify(kconfig));
  refused({ CONFIG_BPF: 'm' }, /CONFIG_BPF: value 'm' implies a tristate or char type/);
  refused({ CONFIG_BPF: '2' }, /CONFIG_BPF: value 2 is not a bool/);
  refused({ CONFIG_HZ: 'y' }, /CONFIG_HZ: value 'y' implies a bool, tristate or char type/);
  refused({ CONFIG_HZ: '12abc' }, /CONFIG_HZ: value '12abc' is not an integer/);
  refused({ CONFIG_HZ: '4294967296' }, /CONFIG_HZ: value 4294967296 does not fit in 4 bytes/);
  refused({ CONFIG_HZ: '"250"' }, /CONFIG_HZ: value "250" implies a char array type/);
  refused({ CONFIG_DEFAULT_HOSTNAME: '42' }, /CONFIG_DEFAULT_HOSTNAME: value 42 implies an integer/);
  refused({ CONFIG_DEFAULT_HOSTNAME: '"open' }, /CONFIG_DEFAULT_HOSTNAME: invalid string value/);
  assert.throws(() => run('interp', { kernelRelease: 'unknown' }), /LINUX_KERNEL_VERSION: cannot read a version from the release 'unknown'/);
  const strong = spec();
  strong.variables = strong.variables.map((v) => (v.name === 'CONFIG_HZ' ? { ...v, weak: false } : v));
  refused({ CONFIG_BPF: 'y' }, /extern CONFIG_HZ \(strong\) has no value/, strong);
  assert.equal(run('interp', { kconfig: { CONFIG_HZ: '300' } }, strong).hz, 300);
});

test('kernel: the host\'s config, release and features fill the externs; a given value wins over the host\'s', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const host = hostKconfig();
  if (!host) {
    t.skip('the host has neither /proc/config.gz nor /boot/config-$(uname -r)');
    return;
  }
  const tri = (v: string | undefined) => (v === 'y' ? 1 : v === 'm' ? 2 : 0);
  const seen = run('kernel', {});
  assert.equal(seen.kernelVersion, kernelVersion(release()));
  assert.equal(seen.bpf, host.CONFIG_BPF === 'y' ? 1 : 0);
  assert.equal(seen.bpfSyscall, tri(host.CONFIG_BPF_SYSCALL));
  assert.equal(seen.jit, host.CONFIG_BPF_JIT?.[0] ?? '\0');
  assert.equal(seen.hz, Number(host.CONFIG_HZ ?? 0));
  assert.equal(seen.nrCpus, BigInt(host.CONFIG_NR_CPUS ?? 0));
  assert.equal(seen.hostname, (host.CONFIG_DEFAULT_HOSTNAME ?? '""').slice(1, -1).slice(0, 7));
  assert.equal(seen.missing, 0);
  assert.equal(seen.hasCookie, 1, 'Linux 6.18 has bpf_get_attach_cookie');
  assert.equal(seen.retval, host.CONFIG_BPF === 'y' && host.CONFIG_BPF_SYSCALL === 'y' ? XDP_PASS : XDP_DROP);
  // The same explicit values give the same program-visible results on both engines (but the syscall wrapper, which only the kernel has).
  const kconfig = { CONFIG_HZ: '1000', CONFIG_BPF: 'y', CONFIG_BPF_SYSCALL: 'm', CONFIG_BPF_JIT: 'n', CONFIG_NR_CPUS: '8', CONFIG_DEFAULT_HOSTNAME: '"box"' };
  const onKernel = run('kernel', { kconfig, kernelRelease: '6.1.2' });
  const onInterp = run('interp', { kconfig, kernelRelease: '6.1.2' });
  assert.deepEqual({ ...onKernel, hasWrapper: 0 }, onInterp);
  assert.equal(onKernel.hz, 1000);
  assert.equal(onKernel.kernelVersion, 0x060102);
});
