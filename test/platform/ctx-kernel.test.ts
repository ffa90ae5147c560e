/**
 * Context access against the running kernel: for each described program
 * type, a load (`r0 = *(uN *)(r1 + off)`) and a store (`*(uN *)(r1 + off) =
 * r2`) of every size at every offset of the context and a little past it is
 * accepted by the kernel's verifier exactly when our description says so,
 * and a load gives the register type we say. Each further expected attach
 * type is checked at the edges of every field. Large raw contexts
 * (tracepoint records, syscall buffers) are checked at their edges and at a
 * stride in between. Last, each type reads and writes its packet directly,
 * and uses LD_ABS, as far as we say it may.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipModsAndTypedefs, typeById, type Btf } from '../../src/btf/index.js';
import {
  PROGRAM_TYPES, btfFuncContext, ctxAccess, programCtxAccess, type BtfArgKind, type ContextSpec, type CtxAccessType, type CtxRegType,
} from '../../src/platform/index.js';
import type { Kernel } from '../../src/kernel/index.js';
import { kernelOrSkip } from '../kernel/env.js';
import { BPF_ABS, BPF_ADD, BPF_ALU64, BPF_B, BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_X } from '../../src/isa/index.js';
import { EXIT, I, LDX, MOV, MOVX, STX, btfTargets, exitValue, plainTargets, reason, targetName, verify, vmlinuxBtf, type LoadTarget } from './oracle.js';

const ADDI = (dst: number, imm: number) => I(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
const JGT = (dst: number, src: number, off: number) => I(BPF_JMP | BPF_JGT | BPF_X, dst, src, off);

/** The largest offset one instruction can reach (off is a signed 16-bit field). */
const MAX_INSN_OFF = 0x7fff;

/** Offsets to try: all of a small context and 8 bytes past it; edges and a stride for a large one. */
function allOffsets(size: number): number[] {
  const end = Math.min(size + 8, MAX_INSN_OFF + 1);
  if (end <= 512) return Array.from({ length: end }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < 128; i++) out.add(i);
  for (let i = end - 72; i < end; i++) out.add(i);
  for (let i = 128; i < end - 72; i += 1021) out.add(i);
  return [...out].sort((a, b) => a - b);
}

/** The edges of every field and of the context: enough to see a field appear, vanish or change its sizes. */
function edgeOffsets(ctx: ContextSpec): number[] {
  const out = new Set<number>([ctx.size - 1, ctx.size]);
  for (const f of ctx.fields) {
    for (const o of [f.offset, f.offset + f.size - 1, ...(f.size > 4 ? [f.offset + 4] : [])]) {
      if (o <= Math.min(ctx.size, MAX_INSN_OFF)) out.add(o);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** How the verifier log prints a register of this type (reg_type_str). */
const REG_TYPE_LOG: Readonly<Record<CtxRegType, RegExp>> = {
  SCALAR_VALUE: /^(scalar|\d|-\d)/,
  PTR_TO_PACKET: /^pkt\(/,
  PTR_TO_PACKET_META: /^pkt_meta\(/,
  PTR_TO_PACKET_END: /^pkt_end\(/,
  PTR_TO_SOCK_COMMON_OR_NULL: /^sock_common_or_null\(/,
  PTR_TO_SOCKET: /^sock\(/,
  PTR_TO_SOCKET_OR_NULL: /^sock_or_null\(/,
  PTR_TO_FLOW_KEYS: /^flow_keys\(/,
  PTR_TO_BTF_ID: /^(trusted_|rcu_|untrusted_)?ptr_/,
};

/** R0's type after instruction 0: on its log line, or on the state line of instruction 1 when the verifier said more in between. */
function r0AfterFirstInsn(log: string): string | undefined {
  const lines = log.split('\n');
  const at = lines.findIndex((l) => /^0: \(\w\w\)/.test(l));
  const line = lines.slice(at).find((l, i) => (i === 0 && l.includes('R0')) || /^1: R/.test(l));
  return line ? /R0(?:_w)?=(\S+)/.exec(line)?.[1] : undefined;
}

interface CtxCheck {
  target: LoadTarget;
  ours: (off: number, size: number, type: CtxAccessType) => ReturnType<typeof ctxAccess>;
  offsets: readonly number[];
}

function checkContext(kernel: Kernel, c: CtxCheck): { failures: string[]; accepted: number; tried: number } {
  const failures: string[] = [];
  let accepted = 0;
  let tried = 0;
  const ret = exitValue(c.target);
  for (const off of c.offsets) {
    for (const size of [1, 2, 4, 8]) {
      for (const type of ['read', 'write'] as const) {
        const insns = type === 'read'
          ? [LDX(size, 0, 1, off), MOV(0, ret), EXIT]
          : [MOV(2, 0), STX(size, 1, 2, off), MOV(0, ret), EXIT];
        const ours = c.ours(off, size, type);
        const v = verify(kernel, c.target, insns, { logLevel: ours && type === 'read' ? 2 : 1, logSize: 4096 });
        tried++;
        if (v.accepted) accepted++;
        const where = `${targetName(c.target)}: ${type} of ${size} at ${off}`;
        if (v.accepted !== (ours !== undefined)) {
          failures.push(`${where}: kernel ${v.accepted ? 'accepts' : `rejects (${reason(v)})`}, we ${ours ? `say field ${ours.field.name}` : 'reject'}`);
        } else if (ours && type === 'read') {
          const got = r0AfterFirstInsn(v.log);
          if (got === undefined || !REG_TYPE_LOG[ours.regType].test(got)) failures.push(`${where}: loads ${got ?? '(no state in the log)'}, we say ${ours.regType}`);
        }
      }
    }
  }
  return { failures, accepted, tried };
}

test('context access: every described type and attach type, load and store, every size and offset', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const failures: string[] = [];
  let accepted = 0;
  let tried = 0;
  for (const spec of Object.values(PROGRAM_TYPES)) {
    // Every offset for the first attach type; the edges of every field for the others, where only availability can change.
    plainTargets(spec).forEach((target, i) => {
      const r = checkContext(kernel, {
        target,
        offsets: i === 0 ? allOffsets(spec.ctx.size) : edgeOffsets(spec.ctx),
        ours: (off, size, type) => programCtxAccess(spec, off, size, type, target.attachType),
      });
      failures.push(...r.failures);
      accepted += r.accepted;
      tried += r.tried;
    });
  }
  t.diagnostic(`${tried} accesses, ${accepted} accepted`);
  assert.ok(accepted > 1000, 'a good share of accesses is valid');
  assert.deepEqual(failures, []);
});

/** The argument kinds of a tp_btf target: the typedef's function prototype after its leading context pointer. */
function rawTpArgs(btf: Btf, typedefId: number): BtfArgKind[] {
  const ptr = skipModsAndTypedefs(btf, typedefId).type;
  assert.equal(ptr.kind, 'ptr');
  const proto = typeById(btf, (ptr as { type: number }).type);
  assert.equal(proto.kind, 'func_proto');
  return (proto as { params: { type: number }[] }).params.slice(1).map((p) => {
    const k = skipModsAndTypedefs(btf, p.type).type.kind;
    return k === 'ptr' ? 'pointer' : 'scalar';
  });
}

test('context access: BTF-traced functions (tp_btf), slot by slot as btfFuncContext lays them out', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const btf = vmlinuxBtf();
  const target = btfTargets(PROGRAM_TYPES.TRACING!).find((x) => x.attachType === 'TRACE_RAW_TP');
  assert.ok(target?.attachBtfId, 'btf_trace_sched_switch in vmlinux BTF');
  const kinds = rawTpArgs(btf, target.attachBtfId);
  assert.ok(kinds.includes('pointer') && kinds.includes('scalar'), `sched_switch passes both kinds: ${kinds}`);
  const ctx: ContextSpec = btfFuncContext(kinds);
  const r = checkContext(kernel, { target, offsets: allOffsets(kinds.length * 8), ours: (off, size, type) => ctxAccess(ctx, off, size, type) });
  assert.ok(r.accepted > kinds.length, 'slot loads accepted');
  assert.deepEqual(r.failures, []);
});

test('context access: trampoline attach types (fentry, fexit, lsm) load here, or the kernel refuses them all', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const btf = vmlinuxBtf();
  const fentryTest = btf.types.findIndex((x) => x.kind === 'func' && x.name === 'bpf_fentry_test1');
  const fileOpen = btf.types.findIndex((x) => x.kind === 'func' && x.name === 'bpf_lsm_file_open');
  assert.ok(fentryTest > 0 && fileOpen > 0, 'bpf_fentry_test1 and bpf_lsm_file_open in vmlinux BTF');
  const targets: [LoadTarget, ContextSpec][] = [
    [{ spec: PROGRAM_TYPES.TRACING!, attachType: 'TRACE_FENTRY', attachBtfId: fentryTest }, btfFuncContext(['scalar'])],
    [{ spec: PROGRAM_TYPES.TRACING!, attachType: 'TRACE_FEXIT', attachBtfId: fentryTest }, btfFuncContext(['scalar'], 'scalar')],
    [{ spec: PROGRAM_TYPES.LSM!, attachType: 'LSM_MAC', attachBtfId: fileOpen }, btfFuncContext(['pointer'], 'scalar')],
  ];
  const loads = targets.map(([target]) => verify(kernel, target, [MOV(0, 0), EXIT]));
  if (loads.every((v) => !v.accepted && !v.log)) {
    t.diagnostic(`this kernel refuses trampoline programs before verifying them (${loads[0].error?.message}): fentry, fexit and lsm contexts are checked where it does not`);
    return;
  }
  targets.forEach(([target, ctx]) => {
    const r = checkContext(kernel, { target, offsets: allOffsets(24), ours: (off, size, type) => ctxAccess(ctx, off, size, type) });
    assert.deepEqual(r.failures, []);
  });
});

test('direct packet access and LD_ABS: what each type may do with its packet', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const failures: string[] = [];
  for (const spec of Object.values(PROGRAM_TYPES)) {
    const target = spec.attachBtf ? btfTargets(spec)[0] : plainTargets(spec)[0];
    if (!target) continue;
    const ret = exitValue(target);
    const data = spec.ctx.fields.find((f) => f.regType === 'PTR_TO_PACKET');
    const end = spec.ctx.fields.find((f) => f.regType === 'PTR_TO_PACKET_END');
    if (data && end) {
      // r2 = data; r3 = data_end; if (r2 + 1 > r3) skip; access the first byte.
      const bounds = [LDX(data.size, 2, 1, data.offset), LDX(end.size, 3, 1, end.offset), MOVX(4, 2), ADDI(4, 1), JGT(4, 3, 1)];
      const read = verify(kernel, target, [...bounds, LDX(1, 0, 2, 0), MOV(0, ret), EXIT]);
      const write = verify(kernel, target, [MOV(5, 0), ...bounds, STX(1, 2, 5, 0), MOV(0, ret), EXIT]);
      if (read.accepted !== (spec.packetAccess !== 'none')) failures.push(`${spec.name}: packet read ${read.accepted ? 'accepted' : `rejected (${reason(read)})`}, we say ${spec.packetAccess}`);
      if (write.accepted !== (spec.packetAccess === 'read-write')) failures.push(`${spec.name}: packet write ${write.accepted ? 'accepted' : `rejected (${reason(write)})`}, we say ${spec.packetAccess}`);
    } else if (spec.packetAccess !== 'none') {
      failures.push(`${spec.name}: ${spec.packetAccess} packet access, but no packet pointer in ${spec.ctx.struct}`);
    }
    const ldAbs = verify(kernel, target, [MOVX(6, 1), I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 0), MOV(0, ret), EXIT]);
    if (ldAbs.accepted !== spec.ldAbs) failures.push(`${spec.name}: LD_ABS ${ldAbs.accepted ? 'accepted' : `rejected (${reason(ldAbs)})`}, we say ${spec.ldAbs}`);
  }
  assert.deepEqual(failures, []);
});
