/**
 * The runs of testdata/src/helpers.c that test/runtime/helpers.test.ts
 * makes on every engine: each names the program, the packet and the
 * __sk_buff (or packet-borne) arguments; the test holds what the kernel
 * answered for each.
 */
import { inetChecksum, udpPacket, u32le } from './packets.js';

export interface HelperCase {
  name: string;
  program: string;
  data: Uint8Array;
  ctx?: Uint8Array;
  /** Runs on the same skb, which keeps what each run's helpers did to it. */
  repeat?: number;
}

/** __sk_buff offsets the cases fill. */
const MARK = 8, CB = 48;

/** A 192-byte __sk_buff with cb[0..] = `cb` and the given mark. */
export function skbArgs(cb: readonly number[], mark = 0): Uint8Array {
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  v.setUint32(MARK, mark >>> 0, true);
  cb.forEach((value, i) => v.setUint32(CB + 4 * i, value >>> 0, true));
  return ctx;
}

/** Ethernet + IPv6 + UDP with `payload` bytes (the UDP checksum is left 0: the helpers do not read it). */
export function udp6Packet(payload = 12, trafficClass = 0): Uint8Array {
  const p = new Uint8Array(14 + 40 + 8 + payload);
  p.set([0x86, 0xdd], 12);
  p.set([0x60 | (trafficClass >> 4), (trafficClass & 0xf) << 4, 0, 0, 0, 8 + payload, 17, 64], 14);
  p[14 + 8 + 15] = 1;
  p[14 + 24 + 15] = 2;
  p.set([0x30, 0x39, 0x30, 0x39, 0, 8 + payload], 54);
  for (let i = 0; i < payload; i++) p[62 + i] = i + 1;
  return p;
}

/** udpPacket with the IPv4 TOS byte set (and the header checksum fixed). */
function tosPacket(tos: number): Uint8Array {
  const p = udpPacket();
  p[15] = tos;
  p[24] = p[25] = 0;
  const sum = inetChecksum(p.subarray(14, 34));
  p[24] = sum >> 8;
  p[25] = sum & 0xff;
  return p;
}

/** A frame of another ethertype, `length` bytes. */
function etherFrame(type: number, length: number): Uint8Array {
  const p = new Uint8Array(length).map((_, i) => (i * 7 + 3) & 0xff);
  p[12] = type >> 8;
  p[13] = type & 0xff;
  return p;
}

/** udpPacket with an 802.1Q tag (VLAN `tci`) between the MACs and the IPv4 ethertype. */
function taggedPacket(tci: number): Uint8Array {
  const inner = udpPacket();
  return new Uint8Array([...inner.subarray(0, 12), 0x81, 0x00, tci >> 8, tci & 0xff, ...inner.subarray(12)]);
}

const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8;
const push = (proto: number, tci: number): number => ((proto << 16) | tci) >>> 0;
const POP = 0, NONE = 0xffffffff;
const ADJ = { NET: 0, MAC: 1 } as const;
const F = {
  FIXED_GSO: 1, ENCAP_L3_IPV4: 2, ENCAP_L3_IPV6: 4, ENCAP_L4_GRE: 8, ENCAP_L4_UDP: 16, NO_CSUM_RESET: 32, ENCAP_L2_ETH: 64,
  DECAP_L3_IPV4: 128, DECAP_L3_IPV6: 256,
} as const;
/** BPF_F_ADJ_ROOM_ENCAP_L2(len): the high word of the flags. */
const encapL2 = (len: number): number => (len & 0xff) << 24;
/** BPF_CSUM_LEVEL_*. */
const LEVEL = { QUERY: 0, INC: 1, DEC: 2, RESET: 3 } as const;
/** bpf_csum_level operations in the bytes of mark, 0xff-terminated. */
const levels = (...ops: number[]): number => [...ops, 0xff, 0xff, 0xff, 0xff].slice(0, 4).reduce((m, op, i) => m | (op << (8 * i)), 0) >>> 0;

export function helperCases(): HelperCase[] {
  const cases: HelperCase[] = [];
  const tc = (name: string, program: string, data: Uint8Array, cb: number[], mark = 0) => cases.push({ name, program, data, ctx: skbArgs(cb, mark) });
  const udp = udpPacket({ payload: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });

  // bpf_csum_diff: two 64-byte buffers from the packet, any sizes, seeds, NULL sides.
  const csumData = new Uint8Array(14 + 128).map((_, i) => (i * 37 + 11) & 0xff);
  const zeros = new Uint8Array(14 + 128);
  const diff: [number, number, number, number][] = [
    [20, 20, 0, 0], [4, 4, 0, 0], [0, 8, 0x1234, 0], [8, 0, 0x1234, 0], [1, 3, 0, 0], [3, 1, 0xffffffff, 0], [5, 7, 0xdeadbeef, 0],
    [64, 64, 0, 0], [63, 1, 0x80000000, 0], [0, 0, 0xabcdef, 0], [0, 16, 0xfffe, 1], [16, 0, 0xfffe, 2], [0, 0, 0x1ffff, 3],
    [2, 62, 0xffff, 0], [33, 31, 0x10001, 0],
  ];
  for (const [from, to, seed, mode] of diff) tc(`csum_diff ${from}/${to} seed 0x${seed.toString(16)} mode ${mode}`, 'csum_diff_tc', csumData, [from, to, seed, mode]);
  for (const [from, to] of [[8, 8], [0, 8], [8, 0], [0, 0]]) tc(`csum_diff zeros ${from}/${to}`, 'csum_diff_tc', zeros, [from, to, 0, 0]);
  cases.push({ name: 'csum_diff in xdp', program: 'csum_diff_xdp', data: udp });

  // bpf_skb_pull_data: a linear skb pulls anything up to its length.
  for (const len of [0, 10, udp.length, udp.length + 1, 0x7fffffff, 0xffffffff]) tc(`pull_data ${len}`, 'pull_data', udp, [len]);

  // bpf_csum_update (the test run's skb is never CHECKSUM_COMPLETE) and bpf_csum_level sequences.
  const levelRuns: number[][] = [
    [LEVEL.QUERY], [LEVEL.INC, LEVEL.QUERY], [LEVEL.INC, LEVEL.INC, LEVEL.INC, LEVEL.QUERY], [LEVEL.INC, LEVEL.DEC, LEVEL.QUERY],
    [LEVEL.INC, LEVEL.INC, LEVEL.DEC, LEVEL.QUERY], [LEVEL.INC, LEVEL.INC, LEVEL.RESET, LEVEL.QUERY], [LEVEL.DEC, LEVEL.RESET, LEVEL.QUERY],
    [4, 0x80, LEVEL.QUERY],
  ];
  for (const ops of levelRuns) tc(`csum_level ${ops.join(',')}`, 'csum_level', udp, [0x1234], levels(...ops));

  // bpf_skb_load_bytes_relative from the MAC and network headers, in tc (data at the MAC header) and a socket filter (after it).
  const rel: [number, number, number][] = [
    [0, 14, 0], [0, 16, 1], [14, 16, 0], [udp.length - 14 - 4, 4, 1], [udp.length - 14 - 3, 4, 1], [udp.length - 4, 4, 0],
    [udp.length - 3, 4, 0], [0x10000, 1, 0], [0xffff, 1, 0], [0, 4, 2],
  ];
  for (const [off, len, hdr] of rel) {
    tc(`load_bytes_relative tc ${off}+${len} hdr ${hdr}`, 'load_relative_tc', udp, [off, len - 1, hdr]);
    cases.push({ name: `load_bytes_relative socket ${off}+${len} hdr ${hdr}`, program: 'load_relative_sk', data: udp, ctx: skbArgs([off, len - 1, hdr]) });
  }

  // bpf_skb_change_tail: grow (zeroed), trim, the bounds (the network offset, SKB_MAX_ALLOC) and flags.
  for (const [len, flags] of [[udp.length, 0], [udp.length + 20, 0], [30, 0], [14, 0], [13, 0], [0, 0], [5000, 0], [16064, 0], [16065, 0], [60, 1], [60, 0xffffffff]]) {
    tc(`change_tail ${len} flags ${flags}`, 'change_tail', udp, [len], flags);
  }

  // bpf_skb_change_head: room in front of the MAC header, zeroed.
  for (const [room, flags] of [[0, 0], [14, 0], [4000, 0], [16064 - udp.length, 0], [16065 - udp.length, 0], [0x80000000, 0], [0xffffffff, 0], [8, 2]]) {
    tc(`change_head ${room} flags ${flags}`, 'change_head', udp, [room], flags);
  }

  // bpf_skb_adjust_room: cb = [len_diff, mode, flags low, flags high, csum_level INC first].
  const ip6 = udp6Packet(12);
  const adjust: [string, Uint8Array, number[]][] = [
    ['net +8', udp, [8, ADJ.NET, 0, 0, 0]],
    ['mac +8', udp, [8, ADJ.MAC, 0, 0, 0]],
    ['net -8', udp, [-8, ADJ.NET, 0, 0, 0]],
    ['net -18 (down to the IPv4 header)', udp, [-18, ADJ.NET, 0, 0, 0]],
    ['net -19 (into the IPv4 header)', udp, [-19, ADJ.NET, 0, 0, 0]],
    ['mac -4', udp, [-4, ADJ.MAC, 0, 0, 0]],
    ['mac -all', udp, [-(udp.length - 14), ADJ.MAC, 0, 0, 0]],
    ['0', udp, [0, ADJ.NET, 0, 0, 0]],
    ['mode 2', udp, [8, 2, 0, 0, 0]],
    ['unknown flag', udp, [8, ADJ.NET, 1 << 9, 0, 0]],
    ['+0xfff', udp, [0xfff, ADJ.NET, 0, 0, 0]],
    ['+0x1000', udp, [0x1000, ADJ.NET, 0, 0, 0]],
    ['-0x1000', udp, [-0x1000, ADJ.NET, 0, 0, 0]],
    ['not IP', etherFrame(0x0806, 60), [8, ADJ.NET, 0, 0, 0]],
    ['encap ipv4 udp', udp, [28, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L4_UDP, 0, 0]],
    ['encap ipv6 gre', udp, [44, ADJ.MAC, F.ENCAP_L3_IPV6 | F.ENCAP_L4_GRE, 0, 0]],
    ['encap ipv4 in ipv6', ip6, [20, ADJ.MAC, F.ENCAP_L3_IPV4, 0, 0]],
    ['encap both l3', udp, [28, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L3_IPV6, 0, 0]],
    ['encap both l4', udp, [28, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L4_GRE | F.ENCAP_L4_UDP, 0, 0]],
    ['encap l2 eth too short', udp, [50, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L4_UDP | F.ENCAP_L2_ETH, encapL2(10), 0]],
    ['encap l2 eth', udp, [50, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L4_UDP | F.ENCAP_L2_ETH, encapL2(14), 0]],
    ['encap l2 longer than the room', udp, [12, ADJ.MAC, F.ENCAP_L3_IPV4 | F.ENCAP_L2_ETH, encapL2(14), 0]],
    ['encap l2 without l3', udp, [28, ADJ.MAC, F.ENCAP_L2_ETH, encapL2(14), 0]],
    ['decap on grow', udp, [8, ADJ.MAC, F.DECAP_L3_IPV4, 0, 0]],
    ['decap both', ip6, [-20, ADJ.MAC, F.DECAP_L3_IPV4 | F.DECAP_L3_IPV6, 0, 0]],
    ['decap ipv6 to ipv4', ip6, [-20, ADJ.MAC, F.DECAP_L3_IPV4, 0, 0]],
    ['decap ipv4 to ipv6 too short', udp, [-4, ADJ.MAC, F.DECAP_L3_IPV6, 0, 0]],
    ['shrink with an encap flag', udp, [-4, ADJ.MAC, F.ENCAP_L3_IPV4, 0, 0]],
    ['csum level reset', udp, [8, ADJ.NET, 0, 0, 1]],
    ['csum level kept', udp, [8, ADJ.NET, F.NO_CSUM_RESET, 0, 1]],
    ['csum level kept on failure', udp, [8, 2, 0, 0, 1]],
    ['fixed gso', udp, [8, ADJ.NET, F.FIXED_GSO, 0, 0]],
  ];
  for (const [what, data, cb] of adjust) tc(`adjust_room ${what}`, 'adjust_room', data, cb);

  // VLAN tags: pushed into the skb's tag, the older one into the packet; popped from either.
  const tagged = taggedPacket(0x0123);
  const vlans: [string, Uint8Array, number[]][] = [
    ['push', udp, [push(ETH_P_8021Q, 5), NONE, NONE]],
    ['push 802.1ad', udp, [push(ETH_P_8021AD, 0xfff7), NONE, NONE]],
    ['push another proto', udp, [push(0x1234, 9), NONE, NONE]],
    ['push tci 0', udp, [push(ETH_P_8021Q, 0), NONE, NONE]],
    ['push push', udp, [push(ETH_P_8021Q, 5), push(ETH_P_8021AD, 6), NONE]],
    ['push push push', udp, [push(ETH_P_8021Q, 5), push(ETH_P_8021AD, 6), push(ETH_P_8021Q, 7)]],
    ['push pop', udp, [push(ETH_P_8021Q, 5), POP, NONE]],
    ['push push pop', udp, [push(ETH_P_8021Q, 5), push(ETH_P_8021AD, 6), POP]],
    ['pop untagged', udp, [POP, NONE, NONE]],
    ['pop tagged frame', tagged, [POP, NONE, NONE]],
    ['pop pop tagged frame', tagged, [POP, POP, NONE]],
    ['push onto tagged frame', tagged, [push(ETH_P_8021Q, 0x42), NONE, NONE]],
    ['push push onto tagged frame then pop', tagged, [push(ETH_P_8021Q, 0x42), push(ETH_P_8021Q, 0x43), POP]],
    ['pop short tagged frame', tagged.subarray(0, 17), [POP, NONE, NONE]],
  ];
  for (const [what, data, cb] of vlans) tc(`vlan ${what}`, 'vlan', data, cb);

  // bpf_skb_change_proto between IPv4 and IPv6.
  const protos: [string, Uint8Array, number, number][] = [
    ['4 to 6', udp, 0x86dd, 0], ['6 to 4', ip6, 0x0800, 0], ['4 to 4', udp, 0x0800, 0], ['6 to 6', ip6, 0x86dd, 0],
    ['flags', udp, 0x86dd, 1], ['to arp', udp, 0x0806, 0], ['arp to 6', etherFrame(0x0806, 60), 0x86dd, 0],
    ['short 6 to 4', etherFrame(0x86dd, 30), 0x0800, 0],
  ];
  for (const [what, data, proto, flags] of protos) tc(`change_proto ${what}`, 'change_proto', data, [proto], flags);

  // bpf_set_hash, bpf_set_hash_invalid, bpf_get_hash_recalc, BPF_F_INVALIDATE_HASH.
  for (const hash of [0xabcd, 0, 0xffffffff]) tc(`hashes 0x${hash.toString(16)}`, 'hashes', udp, [hash]);

  // bpf_skb_ecn_set_ce on every ECN codepoint, IPv6, other frames, a short one, a VLAN-tagged one.
  for (const tos of [0x00, 0x01, 0x02, 0x03, 0xfe, 0xb9]) cases.push({ name: `ecn_set_ce tos 0x${tos.toString(16)}`, program: 'ecn_set_ce', data: tosPacket(tos) });
  for (const tclass of [0x00, 0x01, 0x02, 0x03]) cases.push({ name: `ecn_set_ce ipv6 class ${tclass}`, program: 'ecn_set_ce', data: udp6Packet(4, tclass) });
  cases.push({ name: 'ecn_set_ce arp', program: 'ecn_set_ce', data: etherFrame(0x0806, 60) });
  cases.push({ name: 'ecn_set_ce short ipv4', program: 'ecn_set_ce', data: etherFrame(0x0800, 30) });
  cases.push({ name: 'ecn_set_ce short ipv6', program: 'ecn_set_ce', data: etherFrame(0x86dd, 50) });
  cases.push({ name: 'ecn_set_ce vlan-tagged ipv4', program: 'ecn_set_ce', data: taggedPacket(0x0102) });
  for (const [what, data] of [['ipv4 ect', tosPacket(0x02)], ['ipv4 not ect', tosPacket(0x00)], ['ipv6 ect', udp6Packet(4, 0x01)]] as const) {
    cases.push({ name: `ecn_set_ce cgroup_skb ${what}`, program: 'ecn_cgroup', data });
  }

  // bpf_check_mtu against lo (MTU 65536, hard_header_len 14).
  const mtu: [number, number, number, number][] = [
    [0, 0, 0, 0], [1, 0, 0, 0], [999999, 0, 0, 0], [0, 1500, 0, 0], [0, 65536, 0, 0], [0, 65537, 0, 0], [0, 0, 65550 - udp.length, 0],
    [0, 0, 65551 - udp.length, 0], [0, 0, -100, 0], [0, 65537, -1, 0], [0, 0, 0, 1], [0, 0, 8, 1], [0, 1500, 0, 1], [0, 0, 0, 2],
    [999999, 1500, 0, 4],
  ];
  for (const [ifindex, len, diff, flags] of mtu) {
    const name = `check_mtu ifindex ${ifindex} mtu_len ${len} len_diff ${diff} flags ${flags}`;
    tc(`${name} tc`, 'check_mtu_tc', udp, [ifindex, len, diff, flags]);
    const data = udp.slice();
    data.set(u32le(ifindex, len, diff >>> 0, flags), 12);
    cases.push({ name: `${name} xdp`, program: 'check_mtu_xdp', data });
  }

  tc('classid and realm', 'classid', udp, []);
  cases.push({ name: 'classid of the current task in xdp', program: 'classid_xdp', data: udp });

  // bpf_skb_change_type among PACKET_HOST..PACKET_OTHERHOST, from a frame to us (0) and to a multicast MAC (2).
  const multicast = udpPacket({ dstMac: [0x01, 0, 0x5e, 0, 0, 1] });
  for (const [what, data] of [['host', udp], ['multicast', multicast]] as const) {
    for (const type of [0, 1, 3, 4, 7, 0xffffffff]) tc(`change_type ${what} to ${type}`, 'change_type', data, [type]);
  }

  // Calls in a row: each sees the headers, protocol, tag and encapsulation the ones before it left.
  const op = (code: number, arg = 0): number => ((code << 24) | (arg & 0xffffff)) >>> 0;
  const HEAD = 1, TAIL = 2, NET = 3, MAC = 4, ENCAP = 5, PUSH = 6, POPV = 7, PROTO = 8, PULL = 9;
  const sequences: [string, Uint8Array, number[]][] = [
    ['head then mac room', udp, [op(HEAD, 14), op(MAC, 8)]],
    ['head then tail below the network header', udp, [op(HEAD, 14), op(TAIL, 27), op(TAIL, 28)]],
    ['encap twice', udp, [op(ENCAP, 28), op(ENCAP, 28)]],
    ['encap then tail', udp, [op(ENCAP, 28), op(TAIL, 100)]],
    ['encap then shrink below the outer header', udp, [op(ENCAP, 28), op(NET, -60 & 0xffff)]],
    ['push then adjust at mac', udp, [op(PUSH, 3), op(MAC, 4), op(POPV)]],
    ['push push then adjust at net', udp, [op(PUSH, 3), op(PUSH, 4), op(NET, 4)]],
    ['push push then proto', udp, [op(PUSH, 3), op(PUSH, 4), op(PROTO, 0x86dd)]],
    ['proto there and back', udp, [op(PROTO, 0x86dd), op(PROTO, 0x0800), op(PULL, 0)]],
    ['head then push push pop', udp, [op(HEAD, 6), op(PUSH, 1), op(PUSH, 2), op(POPV)]],
    ['grow past a page then shrink', udp, [op(TAIL, 5000), op(HEAD, 3000), op(NET, -0xfff & 0xffff), op(PULL, 8000)]],
    ['tagged frame pushed then adjusted', tagged, [op(PUSH, 9), op(PUSH, 10), op(MAC, 6), op(POPV)]],
  ];
  for (const [what, data, cb] of sequences) tc(`sequence ${what}`, 'sequence', data, cb);

  // Tunnel metadata: mark bits say which calls run (see helpers.c), cb = [set flags, set size, get flags, get size, option length].
  const T = { SET: 1, SET_OPT: 2, GET_OPT: 4, LABEL: 8, EXT: 16, V6: 32, SMALL: 64 } as const;
  const TUN = { IPV6: 1, ZERO_CSUM_TX: 2, DONT_FRAGMENT: 4, SEQ_NUMBER: 8, NO_TUNNEL_KEY: 16, FLAGS: 16 } as const;
  const tunnelData = udpPacket({ payload: Array.from({ length: 58 }, (_, i) => i) });
  const tunnels: [string, number, number[]][] = [
    ['get without a key', 0, [0, 44, 0, 44, 0]],
    ['set then get', T.SET, [0, 44, 0, 44, 0]],
    ['set then get with flags', T.SET, [0, 44, TUN.FLAGS, 44, 0]],
    ['set every flag then get with flags', T.SET, [TUN.ZERO_CSUM_TX | TUN.DONT_FRAGMENT | TUN.SEQ_NUMBER | TUN.NO_TUNNEL_KEY, 44, TUN.FLAGS, 44, 0]],
    ['set ipv4 get ipv6', T.SET, [0, 44, TUN.IPV6, 44, 0]],
    ['set ipv6 get ipv6', T.SET | T.V6 | T.LABEL, [TUN.IPV6, 44, TUN.IPV6, 44, 0]],
    ['set ipv6 get ipv4', T.SET | T.V6, [TUN.IPV6, 44, 0, 44, 0]],
    ['set ipv4 with a label', T.SET | T.LABEL, [0, 44, 0, 44, 0]],
    ['set with tunnel_ext', T.SET | T.EXT, [0, 44, 0, 44, 0]],
    ['set with an unknown flag', T.SET, [1 << 5, 44, 0, 44, 0]],
    ['get with an unknown flag', T.SET, [0, 44, 2, 44, 0]],
    ...[28, 24, 22, 8, 20].map((size): [string, number, number[]] => [`set size ${size}`, T.SET, [0, size, TUN.FLAGS, 44, 0]]),
    ...[28, 24, 22, 8, 20].map((size): [string, number, number[]] => [`get size ${size}`, T.SET, [0, 44, 0, size, 0]]),
    ['get size 8 of an ipv6 key', T.SET | T.V6, [TUN.IPV6, 44, TUN.IPV6, 8, 0]],
    ['options', T.SET | T.SET_OPT | T.GET_OPT, [0, 44, TUN.FLAGS, 44, 1]],
    ['options of 16', T.SET | T.SET_OPT | T.GET_OPT, [0, 44, 0, 44, 2]],
    ['options of 6', T.SET | T.SET_OPT | T.GET_OPT, [0, 44, 0, 44, 3]],
    ['options without a key', T.SET_OPT | T.GET_OPT, [0, 44, 0, 44, 1]],
    ['no options to get', T.SET | T.GET_OPT, [0, 44, 0, 44, 0]],
    ['options longer than the buffer', T.SET | T.SET_OPT | T.GET_OPT | T.SMALL, [0, 44, 0, 44, 1]],
    ['options of 4 into 4', T.SET | T.SET_OPT | T.GET_OPT | T.SMALL, [0, 44, 0, 44, 0]],
  ];
  for (const [what, mark, cb] of tunnels) tc(`tunnel ${what}`, 'tunnel', tunnelData, cb, mark);

  // Repeated runs: the kernel runs the program again on the skb the last run left.
  const repeated: [string, number[], number, number][] = [
    ['change_head', [4], 0, 3], ['change_tail', [200], 0, 2], ['vlan', [push(ETH_P_8021Q, 5), NONE, NONE], 0, 3],
    ['adjust_room', [1000, ADJ.NET, 0, 0, 0], 0, 5], ['csum_level', [0], levels(LEVEL.INC, LEVEL.INC, LEVEL.QUERY), 3],
  ];
  for (const [program, cb, mark, repeat] of repeated) cases.push({ name: `${program} repeated ${repeat} times`, program, data: ip6, ctx: skbArgs(cb, mark), repeat });
  // LD_ABS/LD_IND after a call that moved or resized the packet: the packet as the call left it.
  const resizes: [string, number[]][] = [
    ['change_head 4, word at 0', [0, 4, 0]], ['change_head 4, word at 4', [0, 4, 4]], ['change_head 8, word at 48', [0, 8, 48]],
    ['change_head 8, word at 56', [0, 8, 56]], ['change_tail 20, word at 16', [1, 20, 16]], ['change_tail 20, word at 17', [1, 20, 17]],
    ['change_tail 100, word at 96', [1, 100, 96]], ['adjust_room +8, word at 12', [2, 8, 12]], ['adjust_room +8, word at 22', [2, 8, 22]],
    ['adjust_room -4, word at 30', [2, -4 >>> 0, 30]], ['adjust_room -4, word at 46', [2, -4 >>> 0, 46]],
  ];
  for (const [what, cb] of resizes) tc(`ld_abs after ${what}`, 'ld_abs_after_resize', udp, cb);
  return cases;
}
