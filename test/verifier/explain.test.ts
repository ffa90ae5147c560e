import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/asm/index.js';
import type { Btf } from '../../src/btf/index.js';
import { loadCollectionSpec } from '../../src/elf/index.js';
import { helperIdByName } from '../../src/platform/helper-ids.js';
import { verify, type VerifyOptions, type VerifyResult } from '../../src/verifier/index.js';
import { objDir } from '../elf/testdata.js';
import { parseCase } from './corpus.js';

const asm = (text: string) => assemble(text, { helperId: helperIdByName });

/** Verify a corpus case: its kernel message must still be in the log, unchanged, next to our summary. */
function corpus(file: string): VerifyResult {
  const c = parseCase(file);
  const r = verify(c.insns, { progType: c.prog, maps: c.maps, license: c.license });
  assert.equal(r.accepted, false, file);
  // A case whose message differs from the kernel's for a known reason (`; known:`) keeps ours.
  if (!c.known) for (const line of c.error) assert.ok(r.log.includes(`${line}\n`), `${file}: the log keeps the kernel's '${line}'`);
  assert.ok(r.explanation && r.summary, file);
  assert.equal(r.explanation.message, r.error?.message);
  assert.ok(r.summary.includes(`hint: ${r.explanation.hint}`), file);
  return r;
}

/** Each common rejection, on a real failing program of the corpus, and the hint it gets. */
const HINTS: [string, RegExp][] = [
  ['pkt-no-check.s', /^add `if \(data \+ 1 > data_end\) return XDP_DROP;` before this read/],
  ['pkt-check-off-by-one.s', /proves only 14 bytes \(data \+ 14 <= data_end\) but this access needs 15: make it `if \(data \+ 15 > data_end\) return XDP_DROP;`/],
  ['pkt-check-wrong-branch.s', /^the bounds check at insn 4 \(`if r4 > r3 goto pc\+1`\) is there, but this path is its failing side \(the jump was taken\): do the access on the other side, and return XDP_DROP on this one$/],
  ['pkt-check-jmp32.s', /^the comparison at insn 4 \(`if w4 > w3 goto pc\+1`\) is 32-bit: .* compare the pointers themselves, `if \(data \+ 4 > data_end\) return XDP_DROP;`$/],
  ['pkt-negative-off.s', /R2 points before data/],
  ['pkt-write-cgroup-skb.s', /^cgroup_skb programs may only read the packet; types that may write it: .*xdp/],
  ['pkt-invalidated-by-store-bytes.s', /^bpf_skb_store_bytes \(insn 13\) may change the packet.*redo the bounds check/],
  ['pkt-end-deref.s', /never read through it/],
  ['map-lookup-no-null-check.s', /^bpf_map_lookup_elem \(insn 6\) may return NULL: test it before using it — `if \(!ptr\) return 0;`/],
  ['map-lookup-arith-before-check.s', /^bpf_map_lookup_elem \(insn 6\) may return NULL/],
  ['ringbuf-no-null-check.s', /^bpf_ringbuf_reserve \(insn 4\) may return NULL/],
  ['map-null-branch-null.s', /^on this path R0 is NULL: bpf_map_lookup_elem \(insn 6\) returned NULL/],
  ['reg-uninit-read.s', /^R2 is read before anything was written to it/],
  ['call-clobbers-r1.s', /^the call at insn 1 clobbered R1-R5/],
  ['ringbuf-reserve-submit.s', /^the call at insn 4 clobbered R1-R5.*bpf_ringbuf_submit takes 2 arguments/],
  ['reg-r0-not-init.s', /^R0 holds the return value: set it on every path before exit/],
  ['map-value-oob.s', /^this load reads bytes 4\.\.11; valid are offsets 0\.\.0 for an 8-byte access \(the map value has 8 bytes\)$/],
  ['map-value-var-oob.s', /^R0 is at offset 0 plus an index in \[0, 15\], reaching offset 15.*bound the index, e\.g\. `if \(i > 7\) return 0;`/],
  ['map-value-var-unbounded.s', /no upper bound the verifier can see \(\[0, 4294967295\]\)/],
  ['map-value-negative.s', /bytes -1\.\.-1; valid are offsets 0\.\.7/],
  ['ringbuf-oob.s', /^this store writes bytes 8\.\.15; valid are offsets 0\.\.0 for an 8-byte access \(the memory has 8 bytes\)/],
  ['stack-read-oob.s', /^an 8-byte read at fp-520; the stack of a frame is fp-512\.\.fp-1, so an 8-byte access must start between fp-512 and fp-8$/],
  ['stack-write-oob-below.s', /^an 8-byte write at fp-520/],
  ['map-key-oob.s', /^bpf_map_lookup_elem reads 4 bytes through R2, at fp-2; .* between fp-512 and fp-4$/],
  ['map-arg-not-map.s', /^argument 1 of bpf_map_lookup_elem must be a map/],
  ['map-key-scalar.s', /^argument 2 of bpf_map_lookup_elem must be a pointer to a key .*R2 holds scalar — pass an address/],
  ['helper-ctx-arg.s', /^argument 1 of bpf_get_socket_cookie must be the program's context pointer/],
  ['ringbuf-double-submit.s', /^R1 is no longer a reservation/],
  ['ringbuf-var-size.s', /^the size argument of bpf_ringbuf_reserve must be a constant/],
  ['ctx-xdp-write.s', /^xdp_md\.ingress_ifindex is read-only for xdp programs$/],
  ['ctx-skb-write-len.s', /^__sk_buff\.len is read-only for socket_filter programs$/],
  ['ctx-skb-data-socket-filter.s', /^__sk_buff\.data is not readable for socket_filter programs$/],
  ['ctx-xdp-narrow.s', /^xdp_md\.ingress_ifindex \(offset 12, 4 bytes\) takes loads of 4 bytes, aligned: this is a 2-byte load at offset 12$/],
  ['ctx-skb-past-end.s', /^struct __sk_buff has 192 bytes: offset 192 is outside it/],
  ['ctx-xdp-egress.s', /expected attach type XDP_DEVMAP/],
  ['ptr-ctx-deref-modified.s', /constant offset from the context pointer itself/],
  ['ringbuf-leak.s', /^the reference from bpf_ringbuf_reserve \(insn 4\) is still held at this exit: .*call bpf_ringbuf_submit or bpf_ringbuf_discard before returning/],
  ['ringbuf-leak-one-path.s', /^the reference from bpf_ringbuf_reserve \(insn 4\) is still held/],
  ['cfg-infinite-loop.s', /^the path came back to insn 1 in the same state: the loop makes no progress/],
  ['ret-cgroup-skb-2.s', /^cgroup_skb programs must return a value in \[0, 1\]: drop \(0\), allow \(1\)/],
  ['ret-cgroup-skb-pointer.s', /^return a number/],
  ['alu-div-zero-imm.s', /^this divides by the constant 0/],
  ['alu-mod-zero-imm.s', /^this divides by the constant 0/],
  ['alu-shift-too-big.s', /^a shift by the constant 64: the amount must be 0\.\.63/],
  ['alu32-shift-too-big.s', /the amount must be 0\.\.31 for a 32-bit shift/],
  ['ptr-alu32-on-pointer.s', /^pointers only move with 64-bit arithmetic/],
  ['ptr-bitwise.s', /^only \+ and - of a number are allowed on pointers/],
  ['ptr-mul.s', /^only \+ and - of a number are allowed on pointers/],
  ['ptr-add-ptr.s', /^two pointers cannot be combined/],
  ['ptr-unbounded-add.s', /^the number added to the fp pointer may be as far as -2147483648/],
  ['ptr-scalar-minus-ptr.s', /^a number minus a pointer is not a pointer/],
  ['ptr-pkt-end-arith.s', /^a pkt_end cannot be moved/],
  ['reg-write-r10.s', /^R10 \(the frame pointer\) cannot be written/],
  ['helper-gpl-only.s', /GPL-compatible license/],
  ['helper-not-for-type.s', /^bpf_xdp_adjust_head is not available to socket_filter programs; it is to: xdp$/],
  ['call-depth.s', /nest at most 8 deep/],
  ['call-combined-stack.s', /add up to more than 512/],
  ['stack-misaligned.s', /aligned to their size/],
  ['cfg-unreachable.s', /^no path reaches this instruction/],
];

for (const [file, hint] of HINTS) {
  test(`explain ${file}: the kernel's message stays in the log, the summary hints`, () => {
    const r = corpus(file);
    assert.match(r.explanation?.hint ?? '', hint);
  });
}

test('an uninitialised stack read passed to a helper names the bytes never written', () => {
  const insns = asm('*(u32 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nld_pseudo r1, 5, 0\ncall bpf_map_lookup_elem\nr0 = 0\nexit');
  const r = verify(insns, { unprivileged: true, maps: [{ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 4 }] });
  assert.equal(r.error?.message, 'invalid indirect read from stack R2 off -8+4 size 8');
  assert.ok(r.log.includes('invalid indirect read from stack R2 off -8+4 size 8\n'));
  assert.match(r.explanation?.hint ?? '', /^bpf_map_lookup_elem reads 8 bytes at fp-8, but fp-4\.\.fp-1 were never written on this path: initialise the whole object first/);
});

test('the summary names the C source line from line_info and the registers involved', () => {
  const insns = asm('r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 14)\nr0 = 2\nexit');
  const lineInfo = [
    { insnOff: 0, fileName: 'xdp.c', line: 'void *data = (void *)(long)ctx->data;', lineNum: 5, lineCol: 15 },
    { insnOff: 2, fileName: 'xdp.c', line: '\t__u8 proto = ((__u8 *)data)[14];', lineNum: 9, lineCol: 21 },
    { insnOff: 3, fileName: 'xdp.c', line: 'return XDP_PASS;', lineNum: 10, lineCol: 2 },
  ];
  const opts: VerifyOptions = { progType: 'xdp', lineInfo };
  const r = verify(insns, opts);
  assert.deepEqual(r.explanation?.source, lineInfo[1]);
  assert.deepEqual(r.explanation?.registers, [
    { regno: 2, state: 'pkt(r=0)', meaning: 'a packet pointer, data + 0; no byte of it is proven inside the packet (no bounds check covers it)' },
  ]);
  assert.equal(r.summary, [
    'rejected at insn 2: (71) r0 = *(u8 *)(r2 +14)',
    '  source: xdp.c:9:21: __u8 proto = ((__u8 *)data)[14];',
    '  error: invalid access to packet, off=14 size=1, R2(id=0,off=14,r=0); R2 offset is outside of the packet',
    '  path: straight from the start, no conditional jump',
    '  R2=pkt(r=0): a packet pointer, data + 0; no byte of it is proven inside the packet (no bounds check covers it)',
    '  hint: add `if (data + 15 > data_end) return XDP_DROP;` before this read (it touches bytes 14..14 of the packet)',
    '',
  ].join('\n'));
  // The log names each source line before its first instruction, as the kernel's does; without line_info, the same log without them.
  assert.match(r.log, /\n; __u8 proto = \(\(__u8 \*\)data\)\[14\]; @ xdp\.c:9\n2: \(71\) r0 = \*\(u8 \*\)\(r2 \+14\)\n/);
  const plain = verify(insns, { progType: 'xdp' });
  assert.equal(plain.explanation?.source, null);
  assert.equal(plain.log, r.log.split('\n').filter((l) => !l.startsWith('; ')).join('\n'));
});

test('clang\'s line_info names the C line: a tc program of behaviour.o verified as a socket filter', () => {
  const spec = loadCollectionSpec(readFileSync(join(objDir, 'behaviour.o')));
  const p = spec.programs.find((x) => x.name === 'tc_fields');
  assert.ok(p);
  const r = verify(p.insns, { progType: 'socket_filter', license: p.license, lineInfo: p.lineInfo });
  assert.equal(r.error?.message, 'invalid bpf_context access off=80 size=4');
  // behaviour.c:242 is `void *data_end = (void *)(long)skb->data_end;`, column 38 the `skb->data_end`.
  assert.deepEqual(r.explanation?.source && [r.explanation.source.fileName, r.explanation.source.lineNum, r.explanation.source.lineCol], ['testdata/src/behaviour.c', 242, 38]);
  assert.match(r.summary ?? '', /\n {2}source: testdata\/src\/behaviour\.c:242:38\n/);
  assert.equal(r.explanation?.hint, '__sk_buff.data_end is not readable for socket_filter programs');
});

test('the path lists the failing path\'s jumps: taken or not, and whether the verifier knew', () => {
  const insns = asm('r0 = 0\nif r1 == 0 goto +2\nr2 = *(u32 *)(r1 + 0)\nif r2 > 10 goto +1\nexit\nr0 = r3\nexit');
  const r = verify(insns);
  assert.equal(r.error?.message, 'R3 !read_ok');
  assert.deepEqual(r.explanation?.path, [
    { from: 1, to: 2, taken: false, decided: true },
    { from: 3, to: 5, taken: true, decided: false },
  ]);
  assert.match(r.summary ?? '', /\n {2}path: 1->2 \(never taken\), 3->5 \(taken\)\n/);
});

test('a loop\'s repeated back edge prints once with a count', () => {
  const r = corpus('loop-stack-oob.s');
  assert.match(r.summary ?? '', /path: .*6->1 \(always taken\) x\d+/);
});

test('uninitialised registers: a callee\'s own registers, and a value set only on another path', () => {
  const callee = verify(asm('call pc+2\nr0 = 0\nexit\nr0 = r6\nexit'));
  assert.equal(callee.error?.message, 'R6 !read_ok');
  assert.match(callee.explanation?.hint ?? '', /^R6 is not set in this function/);
  assert.deepEqual(callee.explanation?.callChain, [0]);
  const other = verify(asm('r2 = *(u32 *)(r1 + 0)\nif r2 > 10 goto +1\nr3 = 1\nr0 = r3\nexit'));
  assert.equal(other.error?.message, 'R3 !read_ok');
  assert.match(other.explanation?.hint ?? '', /^R3 is written at insn 2, but not on the path that reaches here/);
});

test('too many pending branches: the hint is about paths, the kernel\'s message unchanged', () => {
  // 8,200 times `if r1 == 0x5 goto pc+0` (BPF_JMP | BPF_JEQ | BPF_K): each leaves one more branch pending.
  const jumps = Array.from({ length: 8200 }, () => ({ code: 0x15, dst: 1, src: 0, off: 0, imm: 5 }));
  const r = verify([...jumps, ...asm('r0 = 0\nexit')], { logLevel: 0 });
  assert.match(r.error?.message ?? '', /^The sequence of 8193 jumps is too complex\.$/);
  assert.match(r.explanation?.hint ?? '', /^the verifier had to walk too many paths/);
  // Only the latest jumps are kept, the others counted.
  assert.equal(r.explanation?.path?.length, 256);
  assert.equal(r.explanation?.pathOmitted, 8193 - 256);
  assert.deepEqual(r.explanation?.path?.at(-1), { from: 8192, to: 8193, taken: false, decided: false });
  assert.match(r.summary ?? '', /\n {2}path: \(8181 earlier jumps\) 8181->8182 \(not taken\), .*, 8192->8193 \(not taken\)\n/);
});

test('structural rejections have no path; accepted programs have no summary', () => {
  const r = corpus('cfg-unreachable.s');
  assert.equal(r.explanation?.path, null);
  assert.doesNotMatch(r.summary ?? '', /path:/);
  const ok = verify(asm('r0 = 0\nexit'));
  assert.equal(ok.explanation, null);
  assert.equal(ok.summary, null);
});

test('the frames on the failing path: a callback names the helper that calls it; a global function is verified on its own', () => {
  // main (global), cb (static callback) and g (global, no arguments) as BTF FUNCs over `int f(void)`.
  const btf: Btf = {
    types: [
      { kind: 'void', name: '' },
      { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
      { kind: 'func_proto', name: '', returnType: 1, params: [] },
      { kind: 'func', name: 'main', type: 2, linkage: 1 },
      { kind: 'func', name: 'cb', type: 2, linkage: 0 },
      { kind: 'func', name: 'g', type: 2, linkage: 1 },
    ],
  };
  const callback = verify(asm('r1 = 4\nld_pseudo r2, 4, 6\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = 0\nexit\nr0 = r6\nexit'), {
    btf, funcInfo: [{ insnOff: 0, typeId: 3 }, { insnOff: 8, typeId: 4 }],
  });
  assert.equal(callback.error?.message, 'R6 !read_ok');
  assert.deepEqual(callback.explanation?.frames, [{ callsite: 5, kind: 'callback', helper: 'bpf_loop' }]);
  assert.match(callback.summary ?? '', /\n {2}called from: insn 5 \(bpf_loop callback\)\n/);
  assert.equal(callback.explanation?.globalFunc, null);

  const global = verify(asm('call pc+2\nr0 = 0\nexit\nr0 = r6\nexit'), { btf, funcInfo: [{ insnOff: 0, typeId: 3 }, { insnOff: 3, typeId: 5 }] });
  assert.equal(global.error?.message, 'R6 !read_ok');
  assert.equal(global.explanation?.globalFunc, 1);
  assert.match(global.summary ?? '', /\n {2}in: global function func#1, verified on its own/);
});
