/**
 * XDP and tcx on a real interface: two network namespaces of our own joined
 * by a veth pair (192.0.2.0/24, TEST-NET-1), an XDP program on one end that
 * counts UDP packets in an array map and drops those to one port, and a tcx
 * ingress program behind it that counts what XDP let through. Traffic goes
 * only between the two namespaces; they are deleted even when the test fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BPF_ADD, BPF_ALU64, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_DW, BPF_EXIT, BPF_H, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_JNE, BPF_JA,
  BPF_K, BPF_LDX, BPF_MEM, BPF_MOV, BPF_PSEUDO_MAP_FD, BPF_STX, BPF_W, BPF_X, ldImm64, type Insn,
} from '../../src/isa/index.js';
import { attachTcx, attachXdp, createMap, inNetns, loadProgram, type KernelMap } from '../../src/kernel/index.js';
import { kernelOrSkip } from './env.js';

/** iproute2's `ip`, wherever the distribution put it (undefined: not installed). */
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));
const PEER = fileURLToPath(new URL('./udp-peer.js', import.meta.url));
const DROP_PORT = 9999;
const PASS_PORT = 7777;
const N_DROP = 17;
const N_PASS = 23;
const XDP_DROP = 1;
const XDP_PASS = 2;
const TCX_PASS = 0;
/** Counter slots: UDP to the drop port, UDP to the pass port, anything else. */
const SLOT_DROP = 0;
const SLOT_PASS = 1;
const SLOT_OTHER = 2;

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
type Line = Insn | Insn[] | { label: string } | { jump: Insn; to: string };

/** Resolve labels into jump offsets. */
function link(lines: Line[]): Insn[] {
  const labels = new Map<string, number>();
  let slot = 0;
  for (const l of lines) {
    if ('label' in l) labels.set(l.label, slot);
    else slot += Array.isArray(l) ? l.length : 1;
  }
  const out: Insn[] = [];
  for (const l of lines) {
    if ('label' in l) continue;
    if ('jump' in l) out.push({ ...l.jump, off: labels.get(l.to)! - out.length - 1 });
    else out.push(...(Array.isArray(l) ? l : [l]));
  }
  return out;
}

const htons = (n: number) => ((n & 0xff) << 8) | (n >> 8);

/**
 * Count the packet in `map` by class and return `drop` for UDP/IPv4 to the
 * drop port, `pass` otherwise. `dataOff`/`dataEndOff`: where the context
 * keeps the packet's bounds (xdp_md: 0/4, __sk_buff: 76/80).
 */
function classifier(map: KernelMap, ctx: { dataOff: number; dataEndOff: number }, verdict: { drop: number; pass: number }): Insn[] {
  const jne = (dst: number, imm: number) => I(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm);
  return link([
    I(BPF_LDX | BPF_MEM | BPF_W, 2, 1, ctx.dataOff), // r2 = data
    I(BPF_LDX | BPF_MEM | BPF_W, 3, 1, ctx.dataEndOff), // r3 = data_end
    I(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, SLOT_OTHER),
    I(BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, 0, verdict.pass),
    I(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2), I(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 14 + 20 + 8),
    { jump: I(BPF_JMP | BPF_JGT | BPF_X, 4, 3), to: 'count' }, // shorter than Ethernet + IPv4 + UDP
    I(BPF_LDX | BPF_MEM | BPF_H, 4, 2, 12), { jump: jne(4, htons(0x0800)), to: 'count' }, // EtherType IPv4
    I(BPF_LDX | BPF_MEM | BPF_B, 4, 2, 14), { jump: jne(4, 0x45), to: 'count' }, // version 4, no options
    I(BPF_LDX | BPF_MEM | BPF_B, 4, 2, 23), { jump: jne(4, 17), to: 'count' }, // UDP
    I(BPF_LDX | BPF_MEM | BPF_H, 4, 2, 36), // destination port
    { jump: I(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 0, htons(DROP_PORT)), to: 'drop' },
    { jump: jne(4, htons(PASS_PORT)), to: 'count' },
    I(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, SLOT_PASS),
    { jump: I(BPF_JMP | BPF_JA), to: 'count' },
    { label: 'drop' },
    I(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, SLOT_DROP),
    I(BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, 0, verdict.drop),
    { label: 'count' },
    I(BPF_STX | BPF_MEM | BPF_W, 10, 7, -4), // key = r7
    ldImm64(1, BigInt(map.fd.value), BPF_PSEUDO_MAP_FD),
    I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10), I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
    I(BPF_JMP | BPF_CALL, 0, 0, 0, 1), // bpf_map_lookup_elem
    { jump: I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, 0), to: 'out' },
    I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
    I(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD), // lock *(u64 *)(r0 + 0) += 1
    { label: 'out' },
    I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 8),
    I(BPF_JMP | BPF_EXIT),
  ]);
}

function counters(map: KernelMap): number[] {
  return [SLOT_DROP, SLOT_PASS, SLOT_OTHER].map((slot) => Number(new DataView(map.lookup(Uint8Array.of(slot, 0, 0, 0))!.buffer).getBigUint64(0, true)));
}

const ip = (...args: string[]) => execFileSync(IP!, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** Start the receiver in `ns` and resolve once its sockets are bound; `done` resolves with its counts. */
function startReceiver(ns: string): Promise<{ done: Promise<Record<string, number>> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(IP!, ['netns', 'exec', ns, process.execPath, PEER, 'receive', '192.0.2.1', `${PASS_PORT},${DROP_PORT}`, String(N_PASS)]);
    let out = '';
    let err = '';
    const done = new Promise<Record<string, number>>((res, rej) => {
      child.on('close', (code) => {
        const last = out.trim().split('\n').pop() ?? '';
        if (code === 0 && last.startsWith('{')) res(JSON.parse(last) as Record<string, number>);
        else rej(new Error(`receiver exited with ${code}: ${err || out}`));
      });
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve({ done });
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    done.catch(reject);
  });
}

test('XDP drops UDP to one port on a veth in our own namespace, and counts what it saw', async (t) => {
  const kernel = kernelOrSkip(t);
  if (!kernel) return;
  if (!IP) {
    if (process.env.CI === 'true') assert.fail('iproute2 (ip) is missing: scripts/ensure-system-deps.sh installs it');
    t.skip('iproute2 (ip) is not installed');
    return;
  }
  const nsA = `ebpf-test-${process.pid}-a`;
  const nsB = `ebpf-test-${process.pid}-b`;
  const cleanups: (() => void)[] = [];
  // Every cleanup runs, whatever failed before it; the first failure is reported.
  t.after(() => {
    const errors: unknown[] = [];
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  });
  for (const ns of [nsA, nsB]) {
    ip('netns', 'add', ns);
    cleanups.push(() => { ip('netns', 'del', ns); });
  }
  ip('link', 'add', 'va', 'netns', nsA, 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB);
  ip('-n', nsA, 'addr', 'add', '192.0.2.1/24', 'dev', 'va');
  ip('-n', nsB, 'addr', 'add', '192.0.2.2/24', 'dev', 'vb');
  ip('-n', nsA, 'link', 'set', 'va', 'up');
  ip('-n', nsB, 'link', 'set', 'vb', 'up');
  const va = (JSON.parse(ip('-n', nsA, '-j', 'link', 'show', 'dev', 'va')) as { ifindex: number; address: string }[])[0];
  // A permanent neighbour entry: no ARP exchange to race the first datagrams.
  ip('-n', nsB, 'neigh', 'add', '192.0.2.1', 'lladdr', va.address, 'dev', 'vb', 'nud', 'permanent');

  const xdpCounts = createMap(kernel, { type: 'array', keySize: 4, valueSize: 8, maxEntries: 3, name: 'xdp_counts' });
  const tcCounts = createMap(kernel, { type: 'array', keySize: 4, valueSize: 8, maxEntries: 3, name: 'tc_counts' });
  cleanups.push(() => { xdpCounts.close(); tcCounts.close(); });
  const xdp = loadProgram(kernel, { type: 'xdp', insns: classifier(xdpCounts, { dataOff: 0, dataEndOff: 4 }, { drop: XDP_DROP, pass: XDP_PASS }), name: 'xdp_udp_drop' });
  const tc = loadProgram(kernel, { type: 'sched_cls', insns: classifier(tcCounts, { dataOff: 76, dataEndOff: 80 }, { drop: TCX_PASS, pass: TCX_PASS }), name: 'tc_count' });
  cleanups.push(() => { xdp.close(); tc.close(); });
  const links = inNetns(kernel, `/run/netns/${nsA}`, () => [attachXdp(xdp, va.ifindex), attachTcx(tc, va.ifindex, 'ingress')]);
  cleanups.push(() => { for (const l of links) l.close(); });

  const receiver = await startReceiver(nsA);
  const send = (port: number, n: number) => execFileSync(IP, ['netns', 'exec', nsB, process.execPath, PEER, 'send', '192.0.2.1', String(port), String(n)]);
  send(DROP_PORT, N_DROP);
  send(PASS_PORT, N_PASS);
  const received = await receiver.done;

  assert.deepEqual(received, { [PASS_PORT]: N_PASS, [DROP_PORT]: 0 }, 'the dropped datagrams never arrived, the others all did');
  const [xdpDrop, xdpPass] = counters(xdpCounts);
  assert.deepEqual([xdpDrop, xdpPass], [N_DROP, N_PASS], 'XDP counted every datagram it saw');
  const [tcDrop, tcPass] = counters(tcCounts);
  assert.deepEqual([tcDrop, tcPass], [0, N_PASS], 'behind XDP, tc saw only what XDP passed');
});
