/**
 * Loads through every kernel struct the socket casts return, at offsets
 * across the whole struct and in every size, judged by our verifier and by
 * the running kernel's: the same verdict and the same message for each
 * (btf_struct_walk's refusals word for word). Then one level further,
 * through the pointer members. Then through pointer chains up to the
 * shipped BTF's frontier (SOCK_BTF_DEPTH hops, every struct there kept whole):
 * loads across a sample of the structs at each hop, the same verdict and
 * message; one hop beyond, the structs are known only by name and every load
 * through them is refused with our clear "not supported yet".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { verifyOnKernel } from '../../src/kernel/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { SOCK_BTF_SIZES } from '../../src/platform/index.js';
import { btfStructAccess, btfStructId, btfTypeName, sockBtf, verify } from '../../src/verifier/index.js';
import { SOCK_BTF_DEPTH } from '../btf/gen-sock-btf.js';
import { kernelOrSkip } from '../kernel/env.js';

const CASTS = [
  ['bpf_skc_to_tcp_sock', 'tcp_sock'], ['bpf_skc_to_tcp6_sock', 'tcp6_sock'], ['bpf_skc_to_udp6_sock', 'udp6_sock'],
  ['bpf_skc_to_tcp_timewait_sock', 'tcp_timewait_sock'], ['bpf_skc_to_tcp_request_sock', 'tcp_request_sock'],
  ['bpf_skc_to_unix_sock', 'unix_sock'], ['bpf_skc_to_mptcp_sock', 'mptcp_sock'],
] as const;
const SIZE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/** skb->sk cast by `helper`, then `body` on the result in r0. */
function program(helper: string, body: string[]): string {
  return ['r1 = *(u64 *)(r1 + 168)', `if r1 == 0 goto +${body.length + 2}`, `call ${helper}`, `if r0 == 0 goto +${body.length}`, ...body, 'r0 = 0', 'exit'].join('\n');
}

test('every load through a cast\'s struct (offsets across it, every size): the kernel\'s verdict and message', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  let compared = 0;
  const differ: string[] = [];
  const judge = (helper: string, body: string[], what: string) => {
    const insns = assemble(program(helper, body), { helperId: helperIdByName });
    const k = verifyOnKernel(kernel, insns, { type: 'sched_cls', license: 'GPL', logLevel: 1 });
    const o = verify(insns, { progType: 'sched_cls', license: 'GPL', logLevel: 1 });
    const km = k.accepted ? 'accept' : k.error!.message.split('\n').pop()!;
    const om = o.accepted ? 'accept' : o.error!.message.split('\n').pop()!;
    compared++;
    if (km !== om) differ.push(`${what}: kernel ${km} | ours ${om}`);
  };
  for (const [helper, struct] of CASTS) {
    // A prime step walks every alignment; the ends of the struct are always in.
    const size = SOCK_BTF_SIZES[struct];
    for (let off = -8; off < size + 8; off += off < 16 || off > size - 16 ? 1 : 19) {
      for (const sz of [1, 2, 4, 8] as const) judge(helper, [`r1 = *(${SIZE[sz]} *)(r0 + ${off})`], `${struct} +${off} ${SIZE[sz]}`);
    }
    for (let off = 0; off < size; off += 8) judge(helper, ['r1 = *(u64 *)(r0 + ' + off + ')', 'r2 = *(u32 *)(r1 + 8)'], `${struct} +${off} -> +8 u32`);
  }
  assert.deepEqual(differ, [], `${differ.length} of ${compared} loads differ`);
  assert.ok(compared > 3000, `${compared} loads compared`);
});

/** A struct first reached from a cast by loading the pointers at `chain` (offsets, one per hop). */
interface Reached { helper: string; id: number; chain: number[] }

/** For each hop 1..SOCK_BTF_DEPTH+1, the structs first reached there (by the cast and offsets found first). */
function structsByHop(): Reached[][] {
  const seen = new Set<number>();
  let frontier: Reached[] = CASTS.map(([helper, name]) => ({ helper, id: btfStructId(name)!, chain: [] }));
  for (const r of frontier) seen.add(r.id);
  const hops: Reached[][] = [];
  for (let hop = 1; hop <= SOCK_BTF_DEPTH + 1; hop++) {
    const next: Reached[] = [];
    for (const r of frontier) {
      const t = sockBtf().types[r.id];
      const size = t.kind === 'struct' || t.kind === 'union' ? t.size : 0;
      for (let off = 0; off + 8 <= size; off += 8) {
        const a = btfStructAccess(r.id, off, 8);
        if (a.kind !== 'ptr' || seen.has(a.id)) continue;
        seen.add(a.id);
        next.push({ helper: r.helper, id: a.id, chain: [...r.chain, off] });
      }
    }
    hops.push(next);
    frontier = next;
  }
  return hops;
}

/** The loads that walk `chain` from the cast's result in r0, leaving the last pointer in r1. */
const walk = (chain: number[]): string[] => chain.map((off, i) => `r1 = *(u64 *)(r${i ? 1 : 0} + ${off})`);

test('loads through pointer chains up to the shipped BTF\'s frontier: the kernel\'s verdict and message; beyond it, "not supported yet"', (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  const hops = structsByHop();
  let compared = 0;
  let accepted = 0;
  const differ: string[] = [];
  const judge = (r: Reached, off: number, sz: 1 | 2 | 4 | 8): { kernel: string; ours: string } => {
    const insns = assemble(program(r.helper, [...walk(r.chain), `r2 = *(${SIZE[sz]} *)(r1 + ${off})`]), { helperId: helperIdByName });
    const k = verifyOnKernel(kernel, insns, { type: 'sched_cls', license: 'GPL', logLevel: 1 });
    const o = verify(insns, { progType: 'sched_cls', license: 'GPL', logLevel: 1 });
    compared++;
    return { kernel: k.accepted ? 'accept' : k.error!.message.split('\n').pop()!, ours: o.accepted ? 'accept' : o.error!.message.split('\n').pop()! };
  };
  for (let hop = 1; hop <= SOCK_BTF_DEPTH; hop++) {
    // Every struct of the first hop, an even sample of the later ones; sixteen loads across each, sizes in turn.
    const all = hops[hop - 1];
    const sample = all.filter((_, i) => hop === 1 || i % Math.ceil(all.length / 30) === 0);
    for (const r of sample) {
      const t = sockBtf().types[r.id];
      const size = t.kind === 'struct' || t.kind === 'union' ? t.size : 0;
      const step = Math.max(1, Math.floor(size / 16)) | 1;
      for (let i = 0, off = 0; off < size + 4; i++, off += step) {
        const sz = ([1, 2, 4, 8] as const)[i % 4];
        const v = judge(r, off, sz);
        if (v.kernel === 'accept') accepted++;
        if (v.kernel !== v.ours) differ.push(`hop ${hop} ${btfTypeName(r.id)} (${r.chain.join(' -> ')}) +${off} ${SIZE[sz]}: kernel ${v.kernel} | ours ${v.ours}`);
      }
    }
  }
  assert.deepEqual(differ, [], `${differ.length} of ${compared} loads differ`);
  assert.ok(compared > 1000 && accepted > compared / 8, `${compared} loads compared, ${accepted} accepted`);
  // One hop beyond: a stub; a load through it is refused by name, whatever the kernel says.
  const beyond = hops[SOCK_BTF_DEPTH];
  let stubs = 0;
  for (const r of beyond.slice(0, 12)) {
    const v = judge(r, 0, 8);
    if (/ is known to this verifier only by name: loads through ptr_\S+ are not supported yet$/.test(v.ours)) stubs++;
    else assert.equal(v.ours, v.kernel, `hop ${SOCK_BTF_DEPTH + 1} ${btfTypeName(r.id)} is kept whole: the kernel's verdict`);
  }
  assert.ok(stubs > 0, 'some struct one hop beyond the frontier is known only by name');
});

test('the frontier: every struct within SOCK_BTF_DEPTH hops is whole; one hop beyond, a load through a stub is refused by name', () => {
  const hops = structsByHop();
  const isStub = (id: number) => {
    const t = sockBtf().types[id];
    return (t.kind === 'struct' || t.kind === 'union') && t.members.length === 0 && t.size > 0;
  };
  for (let hop = 1; hop <= SOCK_BTF_DEPTH; hop++) {
    assert.deepEqual(hops[hop - 1].filter((r) => isStub(r.id)).map((r) => btfTypeName(r.id)), [], `hop ${hop}: structs without members`);
  }
  const stubs = hops[SOCK_BTF_DEPTH].filter((r) => isStub(r.id));
  assert.ok(stubs.length > 0, `hop ${SOCK_BTF_DEPTH + 1} has stubs`);
  for (const r of stubs) {
    const insns = assemble(program(r.helper, [...walk(r.chain), 'r2 = *(u8 *)(r1 + 0)']), { helperId: helperIdByName });
    const o = verify(insns, { progType: 'sched_cls', license: 'GPL', logLevel: 1 });
    const name = btfTypeName(r.id);
    assert.equal(o.error?.message.split('\n').pop(), `struct ${name} is known to this verifier only by name: loads through ptr_${name} are not supported yet`);
  }
});
