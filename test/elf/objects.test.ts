import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyCoreRelocations, formatInspection, getVariable, inspectCollection, loadCollectionSpec, setVariable,
  BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, LIBBPF_PIN_BY_NAME, type CollectionSpec, type ProgramSpec,
} from '../../src/elf/index.js';
import { CORE_POISON_IMM, marshalBtf, memberOffset, parseBtf, typeByName, typeName } from '../../src/btf/index.js';
import {
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
} from '../../src/isa/index.js';
import { BPF_ATTACH_TYPE, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, BPF_MAP_TYPE, BPF_PROG_TYPE } from '../../src/platform/index.js';
import { manifest, objDir, objectBytes, objectFiles, testdataDir } from './testdata.js';

const load = (file: string): CollectionSpec => loadCollectionSpec(objectBytes(file));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const prog = (spec: CollectionSpec, name: string): ProgramSpec => {
  const p = spec.programs.find((x) => x.name === name);
  assert.ok(p, `program ${name}`);
  return p;
};
/** The maps a program's lddw instructions refer to, in order: `name` or `name+off`. */
const mapRefs = (spec: CollectionSpec, p: ProgramSpec): string[] =>
  p.insns.flatMap((ins, i) => {
    if (ins.code !== 0x18) return [];
    if (ins.src === BPF_PSEUDO_MAP_IDX) return [spec.maps[ins.imm].name];
    if (ins.src === BPF_PSEUDO_MAP_IDX_VALUE) return [`${spec.maps[ins.imm].name}+${p.insns[i + 1].imm}`];
    return [];
  });

test('the committed objects are fresh: sources and objects match testdata/obj/manifest.json', () => {
  const m = manifest();
  const sources = readdirSync(join(testdataDir, 'src')).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  for (const f of [...sources, 'gen-large.sh', 'build.sh']) {
    const path = f.endsWith('.sh') ? join(testdataDir, f) : join(testdataDir, 'src', f);
    assert.equal(m.sources[f], sha256(readFileSync(path)), `${f} changed since the objects were built: run testdata/build.sh`);
  }
  for (const [obj, entry] of Object.entries(m.objects)) {
    assert.ok(m.sources[entry.source], `${obj}: its source ${entry.source} is in the manifest`);
    assert.equal(sha256(objectBytes(obj)), entry.sha256, `${obj} does not match the manifest: run testdata/build.sh`);
  }
  const onDisk = readdirSync(objDir).filter((f) => f.endsWith('.o') || f.endsWith('.o.gz')).sort();
  assert.deepEqual(onDisk, objectFiles());
});

for (const file of objectFiles()) {
  test(`${file} loads, deterministically, into JSON-serialisable data`, () => {
    const a = load(file);
    const b = load(file);
    assert.deepEqual(a, b);
    assert.doesNotThrow(() => JSON.stringify(a));
    for (const p of a.programs) {
      assert.ok(p.insns.length > 0);
      assert.equal(p.functions[0].name, p.name);
      assert.equal(p.functions[0].insnOff, 0);
      if (p.funcInfo.length) assert.deepEqual(p.funcInfo.map((f) => f.insnOff), p.functions.map((f) => f.insnOff), `${p.name}: one func_info per linked function`);
    }
  });

  test(`${file}: BTF marshals and parses back unchanged, in both byte orders`, () => {
    const spec = load(file);
    if (!spec.btf) return;
    for (const order of ['le', 'be'] as const) {
      const { bytes } = marshalBtf(spec.btf, order);
      const back = parseBtf(bytes);
      assert.equal(back.order, order);
      assert.deepEqual(back.btf, spec.btf);
    }
  });
}

test('programs.o: libbpf section names give program type, attach type, target and flags', () => {
  const spec = load('programs.o');
  assert.equal(spec.license, 'Dual MIT/GPL');
  assert.equal(spec.kernelVersion, 0x060c00);
  const want: Record<string, [keyof typeof BPF_PROG_TYPE, keyof typeof BPF_ATTACH_TYPE | null, string, number]> = {
    xdp_pass: ['XDP', 'XDP', '', 0],
    xdp_second: ['XDP', 'XDP', '', 0],
    xdp_frags: ['XDP', 'XDP', '', BPF_F_XDP_HAS_FRAGS],
    xdp_devmap: ['XDP', 'XDP_DEVMAP', '', 0],
    tc_prog: ['SCHED_CLS', null, '', 0],
    classifier_prog: ['SCHED_CLS', null, '', 0],
    tcx_in: ['SCHED_CLS', 'TCX_INGRESS', '', 0],
    tcx_out: ['SCHED_CLS', 'TCX_EGRESS', '', 0],
    socket_prog: ['SOCKET_FILTER', null, '', 0],
    kprobe_prog: ['KPROBE', null, 'do_unlinkat', 0],
    kretprobe_prog: ['KPROBE', null, 'do_unlinkat', 0],
    uprobe_prog: ['KPROBE', null, '/bin/bash:readline', 0],
    uretprobe_prog: ['KPROBE', null, '/bin/bash:readline', 0],
    tracepoint_prog: ['TRACEPOINT', null, 'syscalls/sys_enter_openat', 0],
    tp_prog: ['TRACEPOINT', null, 'sched/sched_switch', 0],
    raw_tracepoint_prog: ['RAW_TRACEPOINT', null, 'sys_enter', 0],
    raw_tp_prog: ['RAW_TRACEPOINT', null, 'sys_exit', 0],
    tp_btf_prog: ['TRACING', 'TRACE_RAW_TP', 'sched_switch', 0],
    fentry_prog: ['TRACING', 'TRACE_FENTRY', 'do_unlinkat', 0],
    fexit_prog: ['TRACING', 'TRACE_FEXIT', 'do_unlinkat', 0],
    fmod_ret_prog: ['TRACING', 'MODIFY_RETURN', 'security_file_open', 0],
    fentry_sleepable: ['TRACING', 'TRACE_FENTRY', 'do_unlinkat', BPF_F_SLEEPABLE],
    perf_event_prog: ['PERF_EVENT', null, '', 0],
    cgroup_skb_in: ['CGROUP_SKB', 'CGROUP_INET_INGRESS', '', 0],
    cgroup_skb_out: ['CGROUP_SKB', 'CGROUP_INET_EGRESS', '', 0],
    cgroup_connect4: ['CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT', '', 0],
    cgroup_sock_create: ['CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', '', 0],
    sk_skb_parser: ['SK_SKB', 'SK_SKB_STREAM_PARSER', '', 0],
    sk_skb_verdict: ['SK_SKB', 'SK_SKB_STREAM_VERDICT', '', 0],
    sk_msg_prog: ['SK_MSG', 'SK_MSG_VERDICT', '', 0],
    lsm_prog: ['LSM', 'LSM_MAC', 'file_open', 0],
    lsm_sleepable: ['LSM', 'LSM_MAC', 'bprm_committed_creds', BPF_F_SLEEPABLE],
    syscall_prog: ['SYSCALL', null, '', BPF_F_SLEEPABLE],
    sk_lookup_prog: ['SK_LOOKUP', 'SK_LOOKUP', '', 0],
    flow_dissector_prog: ['FLOW_DISSECTOR', 'FLOW_DISSECTOR', '', 0],
    sockops_prog: ['SOCK_OPS', 'CGROUP_SOCK_OPS', '', 0],
    iter_prog: ['TRACING', 'TRACE_ITER', 'task', 0],
    freplace_prog: ['EXT', null, 'handler', 0],
    struct_ops_prog: ['STRUCT_OPS', null, 'tcp_init', 0],
    netfilter_prog: ['NETFILTER', 'NETFILTER', '', 0],
    unknown_prog: ['UNSPEC', null, '', 0],
  };
  assert.deepEqual(spec.programs.map((p) => p.name).sort(), Object.keys(want).sort());
  for (const [name, [type, attach, attachTo, flags]] of Object.entries(want)) {
    const p = prog(spec, name);
    assert.equal(p.type, BPF_PROG_TYPE[type], `${name} type`);
    assert.equal(p.expectedAttachType, attach === null ? 0 : BPF_ATTACH_TYPE[attach], `${name} attach type`);
    assert.equal(p.attachTo, attachTo, `${name} target`);
    assert.equal(p.flags, flags, `${name} flags`);
    assert.equal(p.license, 'Dual MIT/GPL');
  }
  assert.equal(prog(spec, 'classifier_prog').insns.length, 5);
  assert.equal(prog(spec, 'xdp_second').sectionName, 'xdp');
});

test('maps.o: BTF maps of every kind, map-in-map, prog array initial values, pinning', () => {
  const spec = load('maps.o');
  const btf = spec.btf!;
  const byName = Object.fromEntries(spec.maps.map((m) => [m.name, m]));
  const shape = (name: string): unknown => {
    const m = byName[name];
    return [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags];
  };
  assert.deepEqual(shape('locked_hash'), [BPF_MAP_TYPE.HASH, 4, 24, 1024, 1]);
  assert.deepEqual(shape('pinned_array'), [BPF_MAP_TYPE.ARRAY, 4, 8, 16, 0]);
  assert.deepEqual(shape('percpu_sized'), [BPF_MAP_TYPE.PERCPU_ARRAY, 4, 24, 4, 0]);
  assert.deepEqual(shape('lru'), [BPF_MAP_TYPE.LRU_HASH, 8, 4, 128, 4]);
  assert.deepEqual(shape('events'), [BPF_MAP_TYPE.RINGBUF, 0, 0, 4096, 0]);
  assert.deepEqual(shape('perf_events'), [BPF_MAP_TYPE.PERF_EVENT_ARRAY, 4, 4, 0, 0]);
  assert.deepEqual(shape('routes'), [BPF_MAP_TYPE.LPM_TRIE, 8, 4, 64, 1]);
  assert.deepEqual(shape('queue'), [BPF_MAP_TYPE.QUEUE, 0, 4, 8, 0]);
  assert.deepEqual(shape('bloom'), [BPF_MAP_TYPE.BLOOM_FILTER, 0, 8, 100, 0]);
  assert.equal(byName.bloom.mapExtra, 3);
  assert.equal(byName.pinned_array.pinning, LIBBPF_PIN_BY_NAME);
  assert.equal(byName.locked_hash.pinning, 0);
  assert.equal(typeName(btf, byName.locked_hash.btfKeyTypeId), '__u32');
  assert.equal(typeName(btf, byName.locked_hash.btfValueTypeId), 'struct value_with_lock');
  assert.equal(typeName(btf, byName.routes.btfKeyTypeId), 'struct lpm_key');
  assert.equal(byName.percpu_sized.btfKeyTypeId, 0, 'key_size gives no BTF key type');

  const outer = byName.outer_array;
  assert.deepEqual(shape('outer_array'), [BPF_MAP_TYPE.ARRAY_OF_MAPS, 4, 4, 4, 0]);
  assert.deepEqual(outer.initSlots, [{ index: 0, name: 'inner_a' }, { index: 2, name: 'inner_b' }]);
  assert.equal(outer.innerMap?.name, 'outer_array.inner');
  assert.deepEqual([outer.innerMap?.type, outer.innerMap?.keySize, outer.innerMap?.valueSize, outer.innerMap?.maxEntries], [BPF_MAP_TYPE.ARRAY, 4, 4, 1]);
  const outerHash = byName.outer_hash;
  assert.equal(outerHash.type, BPF_MAP_TYPE.HASH_OF_MAPS);
  assert.deepEqual([outerHash.innerMap?.type, outerHash.innerMap?.valueSize, outerHash.innerMap?.maxEntries], [BPF_MAP_TYPE.HASH, 8, 32]);
  assert.deepEqual(outerHash.initSlots, []);
  assert.deepEqual(byName.jump_table.initSlots, [{ index: 0, name: 'tail_a' }, { index: 1, name: 'tail_b' }]);
  assert.equal(byName.jump_table.valueSize, 4);

  const entry = prog(spec, 'entry');
  assert.deepEqual(mapRefs(spec, entry), ['locked_hash', 'pinned_array', 'outer_array', 'events', 'queue', 'jump_table']);
  assert.equal(entry.insns[entry.insns.findIndex((i) => i.src === BPF_PSEUDO_MAP_IDX) + 1].imm, 0);
});

test('legacy.o: struct bpf_map_def in the maps section', () => {
  const spec = load('legacy.o');
  assert.deepEqual(spec.maps.map((m) => [m.name, m.origin, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ['counters', 'legacy', BPF_MAP_TYPE.ARRAY, 4, 8, 256, 0],
    ['flows', 'legacy', BPF_MAP_TYPE.HASH, 8, 16, 1000, 1],
  ]);
  assert.deepEqual(mapRefs(spec, prog(spec, 'count_packets')), ['counters', 'flows']);
});

for (const file of ['globals.o', 'globals.eb.o']) {
  test(`${file}: global data maps, variables, kconfig, and lddw of their addresses`, () => {
    const spec = load(file);
    const le = spec.byteOrder === 'le';
    assert.equal(spec.byteOrder, file.includes('.eb') ? 'be' : 'le');
    assert.deepEqual(spec.maps.map((m) => [m.name, m.origin, m.valueSize, m.flags, m.frozen]), [
      ['.data', 'data', 16, BPF_F_MMAPABLE, false],
      ['.rodata', 'data', 26, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, true],
      ['.data.custom', 'data', 4, BPF_F_MMAPABLE, false],
      ['.rodata.custom', 'data', 4, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, true],
      ['.bss', 'data', 48, BPF_F_MMAPABLE, false],
      ['.kconfig', 'kconfig', 8, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, true],
    ]);
    for (const m of spec.maps) {
      assert.deepEqual([m.type, m.keySize, m.maxEntries, m.btfKeyTypeId], [BPF_MAP_TYPE.ARRAY, 4, 1, 0]);
      assert.equal(spec.btf!.types[m.btfValueTypeId].kind, 'datasec');
      assert.equal(m.data?.length, m.valueSize);
    }
    const vars = Object.fromEntries(spec.variables.map((v) => [v.name, [v.map, v.offset, v.size, v.typeName, v.linkage]]));
    assert.deepEqual(vars.counter, ['.data', 0, 4, 'int', 'global']);
    assert.deepEqual(vars.big_counter, ['.data', 8, 8, '__u64', 'global']);
    assert.deepEqual(vars.threshold, ['.rodata', 0, 4, 'const volatile __u32', 'global']);
    assert.deepEqual(vars.cfg, ['.rodata', 4, 8, 'const volatile struct config', 'global']);
    assert.deepEqual(vars.custom_value, ['.data.custom', 0, 4, 'int', 'global']);
    assert.deepEqual(vars.custom_const, ['.rodata.custom', 0, 4, 'const volatile int', 'global']);
    assert.deepEqual(vars.hits, ['.bss', 0, 8, '__u64', 'global']);
    assert.deepEqual(vars.histogram, ['.bss', 8, 32, '__u32[8]', 'global']);
    assert.deepEqual(vars.static_bss, ['.bss', 40, 8, 'volatile __u64', 'static']);
    assert.deepEqual(vars.CONFIG_HZ, ['.kconfig', 0, 4, 'int', 'extern']);
    assert.deepEqual(vars.LINUX_KERNEL_VERSION, ['.kconfig', 4, 4, 'unsigned int', 'extern']);

    const u32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, le);
    assert.equal(u32(getVariable(spec, 'counter')), 5);
    assert.equal(new DataView(getVariable(spec, 'big_counter').buffer).getBigUint64(0, le), 0x1122334455667788n);
    assert.equal(u32(getVariable(spec, 'threshold')), 42);
    assert.equal(u32(getVariable(spec, 'cfg')), 1000);
    setVariable(spec, 'threshold', 7);
    assert.equal(u32(getVariable(spec, 'threshold')), 7);
    setVariable(spec, 'big_counter', -1n);
    assert.deepEqual([...getVariable(spec, 'big_counter')], [255, 255, 255, 255, 255, 255, 255, 255]);
    assert.throws(() => setVariable(spec, 'histogram', 1), /32 bytes: give its bytes/);
    assert.throws(() => setVariable(spec, 'counter', new Uint8Array(2)), /4 bytes, got 2/);
    assert.throws(() => getVariable(spec, 'nope'), /no global variable nope/);

    const refs = mapRefs(spec, prog(spec, 'use_globals'));
    for (const want of ['.rodata+0', '.bss+0', '.bss+8', '.data+0', '.bss+40', '.rodata+4', '.data+8', '.data.custom+0', '.rodata.custom+0', '.kconfig+4', '.kconfig+0', '.rodata+12']) {
      assert.ok(refs.includes(want), `use_globals loads ${want} (has ${refs.join(' ')})`);
    }
  });
}

test('globals: the big-endian object gives the same instructions and variables as the little-endian one', () => {
  const le = load('globals.o');
  const be = load('globals.eb.o');
  assert.deepEqual(be.programs.map((p) => p.insns), le.programs.map((p) => p.insns));
  assert.deepEqual(be.variables, le.variables);
  assert.deepEqual(be.btf, le.btf);
});

for (const file of ['subprogs.o', 'subprogs.eb.o']) {
  test(`${file}: subprograms linked per program, calls and callbacks point at their functions`, () => {
    const spec = load(file);
    const layout = (name: string): string[] => prog(spec, name).functions.map((f) => `${f.name}@${f.insnOff}+${f.insnCnt}`);
    assert.deepEqual(layout('calls_static'), ['calls_static@0+5', 'sum_squares@5+7', 'square@12+3']);
    assert.deepEqual(layout('calls_global'), ['calls_global@0+7', 'global_twice@7+3', 'global_add@10+7', 'square@17+3']);
    assert.deepEqual(layout('uses_loop'), ['uses_loop@0+24', 'loop_step@24+7', 'other_step@31+16', 'sum_squares@47+7', 'square@54+3']);
    assert.deepEqual(layout('no_calls'), ['no_calls@0+2']);
    assert.equal(spec.programs.some((p) => p.name === 'square' || p.name === 'global_add'), false, '.text functions are subprograms');
    for (const p of spec.programs) {
      const starts = new Map(p.functions.map((f) => [f.insnOff, f.name]));
      let calls = 0;
      p.insns.forEach((ins, i) => {
        if ((ins.code === 0x85 && ins.src === BPF_PSEUDO_CALL) || (ins.code === 0x18 && ins.src === BPF_PSEUDO_FUNC)) {
          calls++;
          assert.ok(starts.has(i + ins.imm + 1), `${p.name} insn ${i} targets the start of a function`);
        }
      });
      assert.equal(calls > 0, p.functions.length > 1);
    }
    const loop = prog(spec, 'uses_loop');
    const callbacks = loop.insns.flatMap((ins, i) => (ins.code === 0x18 && ins.src === BPF_PSEUDO_FUNC ? [loop.functions.find((f) => f.insnOff === i + ins.imm + 1)!.name] : []));
    assert.deepEqual(callbacks, ['loop_step', 'other_step']);
    assert.deepEqual(mapRefs(spec, prog(spec, 'calls_global')), ['.bss+0']);
    assert.equal(loop.lineInfo[0].insnOff, 0);
    assert.ok(loop.lineInfo.every((l, i, a) => i === 0 || a[i - 1].insnOff <= l.insnOff));
    assert.match(loop.lineInfo[0].fileName, /subprogs\.c$/);
  });
}

test('subprogs: big- and little-endian objects link to the same instructions', () => {
  assert.deepEqual(load('subprogs.eb.o').programs.map((p) => p.insns), load('subprogs.o').programs.map((p) => p.insns));
});

test('core.o: CO-RE against core_target.o relocates offsets, sizes, existence, enums and bitfields', () => {
  const spec = load('core.o');
  const target = load('core_target.o').btf!;
  assert.equal(spec.programs.reduce((n, p) => n + p.coreRelos.length, 0), 27);
  const { spec: out, report } = applyCoreRelocations(spec, target);
  assert.ok(out.programs.every((p) => p.coreRelos.length === 0));
  assert.equal(spec.programs[0].coreRelos.length, 6, 'the input spec is unchanged');
  const results = Object.fromEntries(report.map((r) => [r.program, r.results.map((x) => `${x.kind} ${x.typeName} ${x.accessStr} ${x.poisoned ? 'poison' : `${x.origValue}->${x.newValue}`}`)]));
  assert.deepEqual(results.core_fields, [
    'byte_off task_struct 0:0 0->12', 'byte_off task_struct 0:2 8->48', 'byte_off task_struct 0:1 4->8',
    'field_exists task_struct 0:3 1->1', 'byte_sz task_struct 0:3 16->32', 'field_exists task_struct___renamed 0:0 1->0',
  ]);
  assert.deepEqual(results.core_types, [
    'type_exists task_struct 0 1->1', 'type_size task_struct 0 32->56', 'type_exists core_absent 0 1->0',
    'type_size task_struct___renamed 0 4->56', 'local_type_id task_struct 0 2->2', 'target_type_id task_struct 0 2->1',
  ]);
  assert.deepEqual(results.core_enums, ['enumval_exists core_state 1 1->1', 'enumval_value core_state 1 2->20', 'enumval_exists core_state 2 1->0']);
  assert.deepEqual(results.core_bitfields.slice(0, 6), [
    'byte_off core_bits 0:1 0->8', 'byte_sz core_bits 0:1 4->4', 'lshift_u64 core_bits 0:1 52->47',
    'signed core_bits 0:1 0->0', 'rshift_u64 core_bits 0:1 55->55', 'rshift_u64 core_bits 0:1 55->55',
  ]);
  const fields = out.programs.find((p) => p.name === 'core_fields')!;
  assert.equal(fields.insns[1].imm, 12, 'r1 = offsetof(task_struct, pid) in the target');
  const enums = out.programs.find((p) => p.name === 'core_enums')!;
  assert.deepEqual([enums.insns[5].imm, enums.insns[6].imm], [20, 0], 'lddw of the enum value');
});

test('core.o: against the running kernel BTF, offsets are those of vmlinux and missing targets poison', (t) => {
  let raw: Uint8Array;
  try {
    raw = readFileSync('/sys/kernel/btf/vmlinux');
  } catch {
    t.skip('/sys/kernel/btf/vmlinux is missing (kernel without CONFIG_DEBUG_INFO_BTF)');
    return;
  }
  const vmlinux = parseBtf(raw, 'vmlinux').btf;
  const task = typeByName(vmlinux, 'task_struct', 'struct')!;
  const { spec, report } = applyCoreRelocations(load('core.o'), vmlinux);
  const fields = spec.programs.find((p) => p.name === 'core_fields')!;
  assert.equal(fields.insns[1].imm, memberOffset(vmlinux, task, 'pid')!.bitOffset / 8);
  const enums = report.find((r) => r.program === 'core_enums')!.results;
  assert.equal(enums[1].poisoned, true, 'enum core_state is not in vmlinux: enumval_value poisons');
  const poisoned = spec.programs.find((p) => p.name === 'core_enums')!.insns;
  assert.deepEqual([poisoned[5].code, poisoned[5].imm, poisoned[6].code, poisoned[6].imm], [0x85, CORE_POISON_IMM, 0x85, CORE_POISON_IMM]);
});

test('large.o.gz (the benchmark object) loads with all its programs and maps', () => {
  const spec = load('large.o.gz');
  assert.equal(spec.programs.length, 56);
  assert.equal(spec.maps.filter((m) => m.origin === 'btf').length, 48);
  assert.ok(spec.programs.every((p) => p.functions.some((f) => f.name === 'mix')));
});

test('inspect lists programs, maps and variables, as data and as text', () => {
  const spec = load('maps.o');
  const info = inspectCollection(spec);
  assert.deepEqual(info.programs.find((p) => p.name === 'entry'), {
    name: 'entry', section: 'tc', type: 'sched_cls', attachType: '', attachTo: '', insns: 64, functions: [],
  });
  assert.deepEqual(info.maps.find((m) => m.name === 'outer_array'), {
    name: 'outer_array', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, pinning: 'none', inner: 'array',
    initSlots: [{ index: 0, name: 'inner_a' }, { index: 2, name: 'inner_b' }],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  const text = formatInspection(info);
  assert.match(text, /^ {2}entry +tc +sched_cls +64$/m);
  assert.match(text, /^ {2}pinned_array +array +4 +8 +16 +0x0 +by_name$/m);
  const globals = formatInspection(inspectCollection(load('globals.o')));
  assert.match(globals, /^ {2}\.rodata +cfg +4 +8 +const volatile struct config$/m);
});
