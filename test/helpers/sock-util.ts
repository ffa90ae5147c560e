/** Programs that look sockets up, and collections that run them as BPF_PROG_TEST_RUN does, on any engine. */
import net from 'node:net';
import type { CollectionSpec } from '../../src/elf/index.js';
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '../../src/platform/index.js';
import { parseIp } from '../../src/helpers/index.js';
import { asm } from './util.js';

/** A one-program collection of `type` (sched_cls, xdp, sk_lookup) from kernel-syntax assembly. */
export function programSpec(type: 'sched_cls' | 'xdp' | 'sk_lookup', text: string): CollectionSpec {
  const insns = asm(text);
  const progType = { sched_cls: BPF_PROG_TYPE.SCHED_CLS, xdp: BPF_PROG_TYPE.XDP, sk_lookup: BPF_PROG_TYPE.SK_LOOKUP }[type];
  return {
    byteOrder: 'le', license: 'GPL', kernelVersion: 0, maps: [], variables: [], btf: null,
    programs: [{
      name: 'prog', sectionName: type === 'sched_cls' ? 'tc' : type, type: progType,
      expectedAttachType: type === 'sk_lookup' ? BPF_ATTACH_TYPE.SK_LOOKUP : 0, attachTo: '', flags: 0, license: 'GPL',
      kernelVersion: 0, insns, functions: [{ name: 'prog', section: type, insnOff: 0, insnCnt: insns.length }],
      funcInfo: [], lineInfo: [], coreRelos: [],
    }],
  };
}

export interface Tuple {
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

/** Stores that write `tuple` as a struct bpf_sock_tuple at r10 - 40 (36 bytes, zeros after an IPv4 tuple); its size. */
export function tupleStores(tuple: Tuple): { text: string; size: number } {
  const s = parseIp(tuple.saddr)!, d = parseIp(tuple.daddr)!;
  const bytes = new Uint8Array(40);
  bytes.set(s, 0);
  bytes.set(d, s.length);
  const ports = new DataView(bytes.buffer, 2 * s.length, 4);
  ports.setUint16(0, tuple.sport, false);
  ports.setUint16(2, tuple.dport, false);
  const v = new DataView(bytes.buffer);
  const lines: string[] = [];
  for (let at = 0; at < 40; at += 4) lines.push(`r2 = ${v.getInt32(at, true)}`, `*(u32 *)(r10 - ${40 - at}) = r2`);
  return { text: lines.join('\n'), size: s.length === 4 ? 12 : 36 };
}

export interface LookupOptions {
  helper?: 'bpf_sk_lookup_tcp' | 'bpf_sk_lookup_udp' | 'bpf_skc_lookup_tcp';
  size?: number;
  /** Assembly setting r4 (netns_id); default BPF_F_CURRENT_NETNS. */
  netns?: string;
  flags?: number;
  /** Instructions that set r8 from the socket in r7 (r6 is the context); the program returns r8, or -1 when the lookup fails. */
  body: string;
}

/** A program that looks `tuple` up, runs `body` on the socket, releases it and returns r8. */
export function lookupProgram(tuple: Tuple, o: LookupOptions): string {
  const t = tupleStores(tuple);
  return `
    r6 = r1
    ${t.text}
    r1 = r6
    r2 = r10
    r2 += -40
    r3 = ${o.size ?? t.size}
    ${o.netns ?? 'r4 = -1'}
    r5 = ${o.flags ?? 0}
    call ${o.helper ?? 'bpf_sk_lookup_tcp'}
    if r0 == 0 goto miss
    r7 = r0
    ${o.body}
    r1 = r7
    call bpf_sk_release
    r0 = r8
    exit
  miss:
    r0 = -1
    exit`;
}

/** Offsets of struct bpf_sock members. */
export const SOCK_FIELDS: Readonly<Record<string, number>> = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6_0: 28, src_ip6_3: 40,
  src_ip6_2: 36, src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6_0: 56, dst_ip6_2: 64, dst_ip6_3: 68, state: 72, rx_queue_mapping: 76,
};

/** An Ethernet + IPv4 + TCP frame from saddr to daddr. */
export function ipv4Frame(saddr: string, daddr: string): Uint8Array {
  const f = new Uint8Array(64);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 6;
  f.set(parseIp(saddr)!, 26);
  f.set(parseIp(daddr)!, 30);
  return f;
}

/** struct bpf_sk_lookup as ctx_in: family, protocol, addresses, remote_port (__be16) and local_port (host order). */
export function skLookupCtx(o: { family: number; protocol: number; remoteIp: string; remotePort: number; localIp: string; localPort: number }): Uint8Array {
  const ctx = new Uint8Array(72);
  const v = new DataView(ctx.buffer);
  v.setUint32(8, o.family, true);
  v.setUint32(12, o.protocol, true);
  const r = parseIp(o.remoteIp)!, l = parseIp(o.localIp)!;
  ctx.set(r, r.length === 4 ? 16 : 20);
  v.setUint16(36, o.remotePort, false);
  ctx.set(l, l.length === 4 ? 40 : 44);
  v.setUint32(60, o.localPort, true);
  return ctx;
}

/** A TCP listener of this process on `host` (a port the system picks); `ipv6Only` for an IPv6 host. */
export async function listenTcp(host: string, ipv6Only?: boolean): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ port: 0, host, ipv6Only }, resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A listener on 127.0.0.1 and one connection to it, made and accepted: both ends of it. */
export async function loopbackConnection(): Promise<{ server: net.Server; port: number; client: net.Socket; peer: net.Socket }> {
  const { server, port } = await listenTcp('127.0.0.1');
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return { server, port, client, peer: await accepted };
}
