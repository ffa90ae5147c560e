/**
 * The platform description on its own (no kernel): its invariants, the
 * lookups consumers use, and that it is plain, frozen, JSON-serialisable data.
 * What it says about the kernel is checked against the kernel in the
 * *-kernel tests next to this one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EbpfError } from '../../src/internal/errors.js';
import {
  ARG_TYPES, BPF_FUNC_NAMES, HELPER_PROTOS, PROGRAM_TYPES, TYPE_FLAGS, PlatformError, allowedHelpers, btfFuncContext, ctxAccess,
  funcProto, helperIdByName, helperProto, helperProtosById, mapFuncCompatible, mapProgCompatible, mapTypesForHelper,
  programCtxAccess, programType, retvalRange, type HelperArg,
} from '../../src/platform/index.js';

const argSizedBy = (next: HelperArg | undefined) => !!next && ['ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO'].includes(next.type);

test('helper prototypes: well-formed, named after the kernel, one per name', () => {
  const protos = Object.entries(HELPER_PROTOS);
  assert.ok(protos.length >= 150, `${protos.length} prototypes`);
  for (const [key, p] of protos) {
    assert.equal(p.name, key);
    assert.equal(p.helper, BPF_FUNC_NAMES[p.id], `${key}: id ${p.id} is ${BPF_FUNC_NAMES[p.id]}`);
    assert.ok(p.args.length <= 5, `${key}: at most five arguments`);
    p.args.forEach((a, i) => {
      assert.ok((ARG_TYPES as readonly string[]).includes(a.type), `${key} arg${i + 1}`);
      assert.deepEqual(a.flags, TYPE_FLAGS.filter((f) => a.flags.includes(f)), `${key} arg${i + 1}: flags in the kernel's order`);
      // check_arg_pair_ok: memory of unknown size is followed by its size; fixed-size memory says its size.
      if (a.type === 'ARG_PTR_TO_MEM') {
        if (a.flags.includes('MEM_FIXED_SIZE')) assert.ok(a.size && a.size > 0, `${key} arg${i + 1}: fixed size`);
        else assert.ok(argSizedBy(p.args[i + 1]), `${key} arg${i + 1}: memory followed by its size`);
      }
    });
    const release = p.args.findIndex((a) => a.flags.includes('OBJ_RELEASE'));
    assert.equal(p.refs.release, release >= 0 ? release + 1 : undefined, `${key}: the released argument`);
    if (p.ret.sizeArg) assert.equal(p.args[p.ret.sizeArg - 1]?.type, 'ARG_CONST_ALLOC_SIZE_OR_ZERO', `${key}: the size of the returned memory`);
  }
});

test('helper prototypes: every helper of issue 4 and the common ones are described', () => {
  const wanted = [
    'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem', 'ktime_get_ns',
    'ktime_get_boot_ns', 'ktime_get_coarse_ns', 'ktime_get_tai_ns', 'jiffies64', 'get_prandom_u32', 'get_smp_processor_id',
    'get_numa_node_id', 'trace_printk', 'trace_vprintk', 'snprintf', 'tail_call', 'get_current_pid_tgid', 'get_current_uid_gid',
    'get_current_comm', 'probe_read', 'probe_read_kernel', 'probe_read_user', 'probe_read_str', 'probe_read_kernel_str',
    'probe_read_user_str', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query',
    'perf_event_output', 'redirect', 'redirect_map', 'xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta', 'xdp_load_bytes',
    'xdp_store_bytes', 'skb_load_bytes', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'csum_diff', 'get_hash_recalc',
    'loop', 'for_each_map_elem', 'strncmp', 'strtol', 'strtoul', 'get_func_ip', 'get_attach_cookie', 'get_stack', 'get_stackid',
    'spin_lock', 'spin_unlock', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'skb_change_head',
    'skb_change_tail', 'skb_adjust_room', 'skb_pull_data', 'set_hash', 'skb_vlan_push', 'skb_vlan_pop', 'skb_under_cgroup',
    'get_socket_cookie', 'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'get_current_task', 'get_current_task_btf',
    'send_signal', 'override_return',
  ];
  for (const h of wanted) assert.ok(helperProtosById(helperIdByName(h)!).length > 0, `bpf_${h} has a prototype`);
  assert.deepEqual(helperProtosById(helperIdByName('perf_event_output')!).map((p) => p.name), ['bpf_perf_event_output']);
  assert.deepEqual(helperProtosById(helperIdByName('get_socket_cookie')!).map((p) => p.name), ['bpf_get_socket_cookie', 'bpf_get_socket_ptr_cookie']);
  assert.equal(helperProto('bpf_nope'), undefined);
  assert.equal(helperProto('toString'), undefined, 'no prototype inherited from Object');
});

test('helper prototypes: the kernel\'s contracts for the common cases', () => {
  const p = (name: string) => helperProto(name)!;
  assert.deepEqual(p('bpf_map_lookup_elem').ret, { type: 'RET_PTR_TO_MAP_VALUE', flags: ['PTR_MAYBE_NULL'] });
  assert.deepEqual(p('bpf_map_lookup_elem').args.map((a) => a.type), ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY']);
  assert.deepEqual(p('bpf_ringbuf_reserve').ret, { type: 'RET_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RINGBUF'], sizeArg: 2 });
  assert.deepEqual(p('bpf_ringbuf_reserve').refs, { acquire: 'ret' });
  assert.deepEqual(p('bpf_ringbuf_submit').args[0], { type: 'ARG_PTR_TO_RINGBUF_MEM', flags: ['OBJ_RELEASE'] });
  assert.deepEqual(p('bpf_ringbuf_submit').refs, { release: 1 });
  assert.deepEqual(p('bpf_sk_release').refs, { release: 1 });
  assert.deepEqual(p('bpf_sk_lookup_tcp').refs, { acquire: 'ret' });
  assert.deepEqual(p('bpf_map_lookup_elem').refs, { acquire: 'ret', acquireForMapTypes: ['SOCKMAP', 'SOCKHASH'] });
  assert.deepEqual(p('bpf_get_current_comm').args[0], { type: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] });
  assert.deepEqual(p('bpf_strtol').args[3], { type: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_FIXED_SIZE', 'MEM_ALIGNED', 'MEM_WRITE'], size: 8 });
  assert.deepEqual(p('bpf_get_current_task_btf').ret, { type: 'RET_PTR_TO_BTF_ID', flags: ['PTR_TRUSTED'], btfStruct: 'task_struct' });
  assert.equal(p('bpf_trace_printk').gplOnly, true);
  assert.equal(p('bpf_map_lookup_elem').pktAccess, true);
  assert.equal(p('bpf_copy_from_user').mightSleep, true);
  assert.deepEqual(p('bpf_get_func_ip_tracing').allowed?.attachTypes, ['TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN']);
});

test('program types: the types of issue 4 and the brief, each helper entry naming a prototype of its id', () => {
  for (const name of [
    'SOCKET_FILTER', 'KPROBE', 'SCHED_CLS', 'SCHED_ACT', 'TRACEPOINT', 'XDP', 'PERF_EVENT', 'CGROUP_SKB', 'RAW_TRACEPOINT',
    'SYSCALL', 'SK_SKB', 'SK_MSG', 'CGROUP_SOCK_ADDR', 'FLOW_DISSECTOR', 'TRACING', 'LSM',
  ] as const) {
    const spec = PROGRAM_TYPES[name];
    assert.ok(spec, name);
    assert.ok(spec.helpers.length >= 70, `${name}: ${spec.helpers.length} helpers`);
    assert.deepEqual(spec.helpers.map((h) => h.id), [...new Set(spec.helpers.map((h) => h.id))].sort((a, b) => a - b), `${name}: ids sorted, once each`);
    for (const h of spec.helpers) assert.equal(HELPER_PROTOS[h.proto]?.id, h.id, `${name}: ${h.proto} for id ${h.id}`);
    let end = 0;
    for (const f of spec.ctx.fields) {
      assert.ok(f.offset >= end && f.offset + f.size <= spec.ctx.size, `${name}: ${f.name} in order, inside ${spec.ctx.struct}`);
      end = f.offset + f.size;
      assert.ok(!f.regType || f.read, `${name}: ${f.name} gives a register only when read`);
    }
    for (const r of spec.retval.slice(0, -1)) assert.ok(r.attachTypes?.length, `${name}: only the last return rule is the default`);
    assert.equal(spec.retval.at(-1)?.attachTypes, undefined);
  }
});

test('program types: lookups by number and name, and a typed error for the rest', () => {
  assert.equal(programType('xdp'), PROGRAM_TYPES.XDP);
  assert.equal(programType('BPF_PROG_TYPE_SCHED_CLS'), PROGRAM_TYPES.SCHED_CLS);
  assert.equal(programType(6), PROGRAM_TYPES.XDP);
  for (const bad of ['lirc_mode2', 'nope', 999, -1]) {
    assert.throws(() => programType(bad), (e: unknown) => e instanceof PlatformError && e instanceof EbpfError && e.code === 'EPLATFORM' && /not described/.test(e.message));
  }
});

test('contexts: what loads give, narrow loads, alignment, read-only fields, attach types', () => {
  const xdp = programType('xdp');
  assert.equal(programCtxAccess(xdp, 0, 4, 'read')?.regType, 'PTR_TO_PACKET');
  assert.equal(programCtxAccess(xdp, 4, 4, 'read')?.regType, 'PTR_TO_PACKET_END');
  assert.equal(programCtxAccess(xdp, 0, 2, 'read'), undefined, 'xdp_md loads are whole');
  assert.equal(programCtxAccess(xdp, 0, 4, 'write'), undefined, 'xdp_md is read-only');
  assert.equal(programCtxAccess(xdp, 20, 4, 'read'), undefined, 'egress_ifindex is for devmap programs');
  assert.equal(programCtxAccess(xdp, 20, 4, 'read', 'XDP_DEVMAP')?.field.name, 'egress_ifindex');
  const tc = programType('sched_cls');
  assert.equal(programCtxAccess(tc, 8, 1, 'read')?.field.name, 'mark', 'narrow load of a u32');
  assert.equal(programCtxAccess(tc, 9, 2, 'read'), undefined, 'misaligned');
  assert.equal(programCtxAccess(tc, 8, 4, 'write')?.field.name, 'mark');
  assert.equal(programCtxAccess(tc, 8, 2, 'write'), undefined, 'stores are whole');
  assert.equal(programCtxAccess(tc, 0, 4, 'write'), undefined, 'len is read-only');
  assert.equal(programCtxAccess(tc, 56, 8, 'read')?.field.name, 'cb', 'wide load inside cb');
  assert.equal(programCtxAccess(tc, 64, 8, 'read'), undefined, 'past the end of cb');
  assert.equal(programCtxAccess(tc, 168, 8, 'read')?.regType, 'PTR_TO_SOCK_COMMON_OR_NULL');
  assert.equal(programCtxAccess(tc, 192, 1, 'read'), undefined, 'past __sk_buff');
  const cg = programType('cgroup_skb');
  assert.equal(retvalRange(cg)?.join(), '0,1');
  assert.equal(retvalRange(cg, 'CGROUP_INET_EGRESS')?.join(), '0,3');
  const addr = programType('cgroup_sock_addr');
  assert.equal(programCtxAccess(addr, 16, 8, 'write', 'CGROUP_INET6_CONNECT')?.field.name, 'user_ip6');
  assert.equal(programCtxAccess(addr, 16, 8, 'write', 'CGROUP_INET4_CONNECT'), undefined);
  assert.equal(retvalRange(addr, 'CGROUP_UDP4_RECVMSG')?.join(), '1,1');
  assert.equal(retvalRange(programType('xdp')), null);
  const tp = programType('tracepoint');
  assert.equal(programCtxAccess(tp, 0, 8, 'read'), undefined, 'the common fields are hidden');
  assert.equal(programCtxAccess(tp, 8, 8, 'read')?.field.name, 'record');
  const args = btfFuncContext(['scalar', 'pointer'], 'scalar');
  assert.equal(ctxAccess(args, 0, 1, 'read')?.regType, 'SCALAR_VALUE', 'narrow scalar argument');
  assert.equal(ctxAccess(args, 8, 8, 'read')?.regType, 'PTR_TO_BTF_ID');
  assert.equal(ctxAccess(args, 8, 4, 'read'), undefined, 'pointers are whole');
  assert.equal(ctxAccess(args, 4, 4, 'read'), undefined, 'loads start at a slot');
  assert.equal(ctxAccess(args, 16, 8, 'read')?.field.name, 'retval');
});

test('helpers per type: get_func_proto\'s variants and attach-type cases', () => {
  const id = (h: string) => helperIdByName(h)!;
  assert.equal(funcProto(programType('sched_cls'), id('get_socket_cookie'))?.name, 'bpf_get_socket_cookie');
  assert.equal(funcProto(programType('syscall'), id('get_socket_cookie'))?.name, 'bpf_get_socket_ptr_cookie');
  assert.equal(funcProto(programType('kprobe'), id('get_func_ip'))?.name, 'bpf_get_func_ip_kprobe');
  assert.equal(funcProto(programType('socket_filter'), id('skb_store_bytes')), undefined);
  const addr = programType('cgroup_sock_addr');
  assert.ok(funcProto(addr, id('bind'), 'CGROUP_INET4_CONNECT'));
  assert.equal(funcProto(addr, id('bind'), 'CGROUP_INET4_BIND'), undefined);
  assert.ok(funcProto(addr, id('set_retval'), 'CGROUP_INET4_BIND'));
  assert.equal(funcProto(addr, id('set_retval'), 'CGROUP_UDP4_RECVMSG'), undefined);
  const kprobe = allowedHelpers(programType('kprobe'));
  assert.deepEqual(kprobe.find((h) => h.id === id('override_return')), { id: id('override_return'), proto: 'bpf_override_return', config: 'CONFIG_BPF_KPROBE_OVERRIDE' });
  assert.equal(kprobe.find((h) => h.id === id('probe_write_user'))?.lockdown, 'integrity');
});

test('maps: helper and program compatibility as check_map_func_compatibility and check_map_prog_compatibility say', () => {
  assert.deepEqual(mapTypesForHelper('redirect_map', 'XDP'), ['DEVMAP', 'CPUMAP', 'XSKMAP', 'DEVMAP_HASH']);
  assert.deepEqual(mapTypesForHelper('bpf_tail_call', 'SCHED_CLS'), ['PROG_ARRAY']);
  assert.ok(mapFuncCompatible('map_lookup_elem', 'HASH', 'KPROBE'));
  assert.ok(!mapFuncCompatible('map_lookup_elem', 'RINGBUF', 'KPROBE'), 'ring buffers only go to ringbuf helpers');
  assert.ok(!mapFuncCompatible('map_lookup_elem', 'QUEUE', 'XDP'));
  assert.ok(mapFuncCompatible('map_peek_elem', 'BLOOM_FILTER', 'XDP'));
  assert.ok(!mapFuncCompatible('map_pop_elem', 'BLOOM_FILTER', 'XDP'));
  assert.ok(mapFuncCompatible('map_update_elem', 'SOCKMAP', 'SCHED_CLS'));
  assert.ok(!mapFuncCompatible('map_update_elem', 'SOCKMAP', 'KPROBE'), 'may_update_sockmap');
  assert.ok(mapFuncCompatible('map_delete_elem', 'SOCKHASH', 'SOCK_OPS'));
  assert.ok(mapFuncCompatible('map_update_elem', 'SOCKHASH', 'TRACING', 'TRACE_ITER'));
  assert.ok(!mapProgCompatible(programType('kprobe'), 'ARRAY', { spinLock: true }));
  assert.ok(!mapProgCompatible(programType('socket_filter'), 'ARRAY', { spinLock: true }));
  assert.ok(mapProgCompatible(programType('socket_filter'), 'ARRAY', { timer: true }));
  assert.ok(!mapProgCompatible(programType('syscall'), 'PERF_EVENT_ARRAY'), 'sleepable programs');
  assert.ok(mapProgCompatible(programType('syscall'), 'HASH'));
});

test('the description is plain, frozen, JSON-serialisable data', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(PROGRAM_TYPES)), PROGRAM_TYPES);
  assert.deepEqual(JSON.parse(JSON.stringify(HELPER_PROTOS)), HELPER_PROTOS);
  const xdp = PROGRAM_TYPES.XDP!;
  assert.ok(Object.isFrozen(PROGRAM_TYPES) && Object.isFrozen(xdp) && Object.isFrozen(xdp.helpers) && Object.isFrozen(xdp.helpers[0]));
  assert.ok(Object.isFrozen(xdp.ctx) && Object.isFrozen(xdp.ctx.fields[0]) && Object.isFrozen(HELPER_PROTOS.bpf_map_lookup_elem));
  assert.throws(() => {
    (xdp.helpers as unknown as unknown[]).push({});
  }, TypeError);
});
