/**
 * Our verifier on the objects clang produces: every program of every
 * testdata object, verified as loadCollection loads it. Our verdicts are
 * checked against the table below everywhere (no kernel needed), and
 * against the live kernel's where bpf(2) works — the same instructions,
 * maps and BTF, CO-RE relocated against the object's own BTF on both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Btf } from '../../src/btf/index.js';
import { loadCollectionSpec, type CollectionSpec } from '../../src/elf/index.js';
import { KernelError } from '../../src/kernel/index.js';
import { UnsupportedProgramError, verifyProgramOnKernel, verifyProgramSpec } from '../../src/runtime/index.js';
import { hostKconfig } from '../../src/runtime/kconfig-host.js';
import { kernelOrSkip } from '../kernel/env.js';
import { repoRoot } from '../paths.js';
import { comparableLog } from './corpus.js';

const objDir = join(repoRoot, 'testdata', 'obj');

/** `accept`, `reject: <our message>`, or `unsupported` (our verifier does not judge the type). */
type Expected = 'accept' | `reject: ${string}` | 'unsupported';

/** Our verdict on every program; a program missing here fails the test, so new testdata gets a verdict. */
const EXPECTED: Record<string, Record<string, Expected>> = {
  'programs.o': {
    xdp_pass: 'accept', xdp_frags: 'accept', xdp_devmap: 'accept', tc_prog: 'accept', classifier_prog: 'accept',
    tcx_in: 'accept', tcx_out: 'accept', socket_prog: 'accept', kprobe_prog: 'accept', kretprobe_prog: 'accept',
    uprobe_prog: 'accept', uretprobe_prog: 'accept', tracepoint_prog: 'accept', tp_prog: 'accept',
    raw_tracepoint_prog: 'accept', raw_tp_prog: 'accept', tp_btf_prog: 'accept', fentry_prog: 'accept',
    fexit_prog: 'accept', fmod_ret_prog: 'accept', fentry_sleepable: 'accept', perf_event_prog: 'accept',
    cgroup_skb_in: 'accept', cgroup_skb_out: 'accept', cgroup_connect4: 'accept', cgroup_sock_create: 'accept',
    sk_skb_parser: 'accept', sk_skb_verdict: 'accept', sk_msg_prog: 'accept', lsm_prog: 'accept', lsm_sleepable: 'accept',
    syscall_prog: 'accept', sk_lookup_prog: 'accept', flow_dissector_prog: 'accept', sockops_prog: 'accept',
    iter_prog: 'accept', freplace_prog: 'unsupported', struct_ops_prog: 'unsupported', netfilter_prog: 'accept',
    unknown_prog: 'unsupported', xdp_second: 'accept',
  },
  'subprogs.o': { calls_static: 'accept', calls_global: 'accept', uses_loop: 'accept', no_calls: 'accept' },
  'maps.o': { tail_a: 'accept', tail_b: 'accept', entry: 'accept' },
  'behaviour.o': {
    xdp_parse: 'accept', xdp_adjust: 'accept', xdp_bytes: 'accept', xdp_ctx: 'accept', xdp_errors: 'accept',
    tc_rewrite: 'accept', tc_fields: 'accept', tc_redirect: 'accept', tc_errors: 'accept', socket_keep: 'accept',
    cgroup_count: 'accept', raw_tp_sum: 'accept', syscall_square: 'accept', kprobe_args: 'accept',
    tracepoint_field: 'accept', perf_period: 'accept',
  },
  'bench.o': {
    hash_counter: 'accept', array_histogram: 'accept', lpm_route: 'accept', loop_mix: 'accept', chain_0: 'accept',
    chain_1: 'accept', chain_2: 'accept', chain_3: 'accept', chain_4: 'accept', chain_5: 'accept', chain_6: 'accept',
    chain_7: 'accept', ringbuf_output: 'accept',
  },
  'globals.o': { use_globals: 'accept' },
  'kconfig.o': { read_kconfig: 'accept' },
  'sockets.o': { tc_find_socket: 'accept', tc_skb_sk: 'accept', sk_lookup_none: 'accept', sk_lookup_redirect: 'accept' },
  'legacy.o': { count_packets: 'accept' },
  'helpers.o': Object.fromEntries(
    ['csum_diff_tc', 'csum_diff_xdp', 'pull_data', 'csum_level', 'load_relative_tc', 'load_relative_sk', 'change_tail', 'change_head', 'adjust_room', 'vlan', 'change_proto', 'hashes', 'ecn_set_ce', 'check_mtu_tc', 'check_mtu_xdp', 'classid', 'ecn_cgroup', 'sequence', 'change_type', 'classid_xdp', 'tunnel', 'ld_abs_after_resize'].map((p) => [p, 'accept']),
  ),
  'core.o': { core_fields: 'accept', core_types: 'accept', core_enums: 'accept', core_bitfields: 'accept' },
  'pkt_changes.o': {
    via_static_tail: "reject: R6 invalid mem access 'scalar'", via_global_tail: "reject: R6 invalid mem access 'scalar'",
    via_global_plain: 'accept', via_global_hash: 'accept', via_global_pull: "reject: R6 invalid mem access 'scalar'",
    via_global_outer: "reject: R6 invalid mem access 'scalar'", direct_tail: 'accept', after_set_hash: 'accept',
    after_load_bytes: 'accept', after_store_bytes: "reject: R7 invalid mem access 'scalar'",
  },
};
EXPECTED['subprogs.eb.o'] = EXPECTED['subprogs.o'];
EXPECTED['globals.eb.o'] = EXPECTED['globals.o'];

/**
 * Programs the kernel cannot load for a reason that is not its verifier's,
 * with the reason; the test checks that the load does fail before verifying.
 */
const KERNEL_CANNOT_LOAD: Record<string, string> = {
  'programs.o/fentry_prog': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/fexit_prog': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/fmod_ret_prog': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/fentry_sleepable': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/lsm_prog': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/lsm_sleepable': 'runs from a BPF trampoline, which this kernel refuses (EPERM before verifying)',
  'programs.o/freplace_prog': 'replaces a function of a loaded program (attach_prog_fd), which the object does not name',
  'programs.o/struct_ops_prog': 'belongs to a struct_ops map (tcp_congestion_ops), which the object does not define',
  'programs.o/unknown_prog': 'its section names no program type (BPF_PROG_TYPE_UNSPEC: EINVAL)',
};
/**
 * Programs whose level-2 log differs from the kernel's, and why; every other
 * program the kernel loads has the kernel's log, line for line.
 */
const LOG_DIFFERS: Record<string, string> = {
  'kconfig.o/read_kconfig': 'LINUX_HAS_SYSCALL_WRAPPER is 1 on the kernel and 0 on our engines, which have no syscall entry points',
  'pkt_changes.o/via_static_tail': 'the kernel walks a tail call in a subprogram as a return to the caller (R0 unknown, packet pointers invalid) and the failed tail call as a branch of its own; our verifier invalidates the packet pointers at the call and goes on (same verdict)',
};

/** Big-endian objects: a little-endian kernel does not load them. */
const bigEndian = (file: string): boolean => file.endsWith('.eb.o');

/** CO-RE relocates against core_target.o (as test/runtime does), on both sides, so both verify the same instructions. */
let coreTargetBtf: Btf | undefined;
function coreTarget(spec: CollectionSpec): Btf | undefined {
  if (!spec.programs.some((p) => p.coreRelos.length)) return undefined;
  coreTargetBtf ??= loadCollectionSpec(new Uint8Array(readFileSync(join(objDir, 'core_target.o')))).btf!;
  return coreTargetBtf;
}

function objects(): { file: string; spec: CollectionSpec }[] {
  return readdirSync(objDir).filter((f) => f.endsWith('.o') || f.endsWith('.o.gz')).sort().map((file) => {
    const bytes = readFileSync(join(objDir, file));
    const spec = loadCollectionSpec(new Uint8Array(file.endsWith('.gz') ? gunzipSync(bytes) : bytes));
    return { file: file.replace(/\.gz$/, ''), spec };
  });
}

/** Our verdict in the table's words. */
function ours(spec: CollectionSpec, name: string): { verdict: Expected; message?: string; log: string } {
  try {
    const r = verifyProgramSpec(spec, name, { coreTarget: coreTarget(spec) });
    return r.accepted ? { verdict: 'accept', log: r.log } : { verdict: `reject: ${r.error!.message}`, message: r.error!.message, log: r.log };
  } catch (err) {
    if (err instanceof UnsupportedProgramError) return { verdict: 'unsupported', log: '' };
    throw err;
  }
}

/** The generated object (large.o) accepts every program; its table is that rule. */
function expected(file: string, name: string): Expected | undefined {
  if (file === 'large.o') return 'accept';
  return EXPECTED[file]?.[name];
}

for (const { file, spec } of objects()) {
  test(`${file}: our verdicts`, () => {
    const names = spec.programs.map((p) => p.name);
    if (file !== 'large.o') assert.deepEqual(names.slice().sort(), Object.keys(EXPECTED[file] ?? {}).sort(), `${file}: the table lists every program`);
    for (const name of names) {
      const r = ours(spec, name);
      assert.equal(r.verdict, expected(file, name), `${file}/${name}\n${r.log}`);
    }
  });

  test(`${file}: our verdicts agree with the kernel's`, (t) => {
    if (bigEndian(file)) {
      t.skip('a big-endian object: the little-endian kernel does not load it (its little-endian twin is compared)');
      return;
    }
    const kernel = kernelOrSkip(t);
    if (!kernel) return;
    for (const p of spec.programs) {
      const key = `${file}/${p.name}`;
      const cannot = KERNEL_CANNOT_LOAD[key];
      if (cannot) {
        assert.throws(() => verifyProgramOnKernel(spec, p.name, { kernel, coreTarget: coreTarget(spec) }), KernelError, `${key}: ${cannot}`);
        continue;
      }
      const k = verifyProgramOnKernel(spec, p.name, { kernel, coreTarget: coreTarget(spec) });
      const r = ours(spec, p.name);
      assert.equal(r.verdict === 'accept', k.accepted, `${key}: ours ${r.verdict}, the kernel's ${k.accepted ? 'accept' : k.error?.message}\n${k.log}`);
      if (!k.accepted) assert.equal(r.message, k.error?.message, `${key}: the kernel's words`);
    }
  });

  test(`${file}: our level-2 logs are the kernel's`, (t) => {
    if (bigEndian(file)) {
      t.skip('a big-endian object: the little-endian kernel does not load it');
      return;
    }
    const kernel = kernelOrSkip(t);
    if (!kernel) return;
    for (const p of spec.programs) {
      const key = `${file}/${p.name}`;
      if (KERNEL_CANNOT_LOAD[key] || LOG_DIFFERS[key]) continue;
      const k = verifyProgramOnKernel(spec, p.name, { kernel, coreTarget: coreTarget(spec), logLevel: 2 });
      let ours: string;
      try {
        // .kconfig as the kernel's loader fills it: from this machine's config and release.
        ours = verifyProgramSpec(spec, p.name, { coreTarget: coreTarget(spec), logLevel: 2, kconfig: hostKconfig(), kernelRelease: release() }).log;
      } catch (err) {
        if (err instanceof UnsupportedProgramError) continue;
        throw err;
      }
      assert.equal(comparableLog(ours), comparableLog(k.log), key);
    }
  });
}
