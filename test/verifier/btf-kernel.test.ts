/**
 * Loads through every kernel struct the socket casts return, at offsets
 * across the whole struct and in every size, judged by our verifier and by
 * the running kernel's: the same verdict and the same message for each
 * (btf_struct_walk's refusals word for word). Then one level further,
 * through the pointer members: there the only differences allowed are loads
 * through a struct the shipped BTF knows only by name, which we refuse
 * (where the kernel accepts or refuses with its own words).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { verifyOnKernel } from '../../src/kernel/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { SOCK_BTF_SIZES } from '../../src/platform/index.js';
import { verify } from '../../src/verifier/index.js';
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
  const stubs: string[] = [];
  const judge = (helper: string, body: string[], what: string) => {
    const insns = assemble(program(helper, body), { helperId: helperIdByName });
    const k = verifyOnKernel(kernel, insns, { type: 'sched_cls', license: 'GPL', logLevel: 1 });
    const o = verify(insns, { progType: 'sched_cls', license: 'GPL', logLevel: 1 });
    const km = k.accepted ? 'accept' : k.error!.message.split('\n').pop()!;
    const om = o.accepted ? 'accept' : o.error!.message.split('\n').pop()!;
    compared++;
    if (km === om) return;
    if (/ is known to this verifier only by name/.test(om)) stubs.push(what);
    else differ.push(`${what}: kernel ${km} | ours ${om}`);
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
  assert.ok(stubs.length < compared / 10, `${stubs.length} loads through structs known only by name`);
});
