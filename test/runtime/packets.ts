/** Packets for the runtime tests: Ethernet / IPv4 / UDP with valid checksums. */

/** The one's complement sum of `bytes` as 16-bit big-endian words, folded and complemented. */
export function inetChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ip4 = (a: string): number[] => a.split('.').map(Number);

export interface UdpOptions {
  dstMac?: number[];
  src?: string;
  dst?: string;
  payload?: number[];
}

/** Ethernet + IPv4 + UDP, both checksums valid. */
export function udpPacket(o: UdpOptions = {}): Uint8Array {
  const payload = o.payload ?? [0x12, 0x34];
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const p = new Uint8Array(14 + ipLen);
  p.set(o.dstMac ?? [0, 0, 0, 0, 0, 0], 0);
  p.set([0x08, 0x00], 12);
  const ip = p.subarray(14, 34);
  ip.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0, 0, 64, 17, 0, 0, ...ip4(o.src ?? '10.0.0.1'), ...ip4(o.dst ?? '10.0.0.1')]);
  const ipSum = inetChecksum(ip);
  ip[10] = ipSum >> 8;
  ip[11] = ipSum & 0xff;
  const udp = p.subarray(34);
  udp.set([0x30, 0x39, 0x30, 0x39, udpLen >> 8, udpLen & 0xff, 0, 0, ...payload]);
  const pseudo = new Uint8Array([...ip.subarray(12, 20), 0, 17, udpLen >> 8, udpLen & 0xff]);
  const pseudoSum = (~inetChecksum(pseudo)) & 0xffff;
  const udpSum = inetChecksum(udp, pseudoSum);
  udp[6] = udpSum >> 8;
  udp[7] = udpSum & 0xff;
  return p;
}

/** Whether the IPv4 header and UDP checksums of an Ethernet frame verify. */
export function checksumsValid(p: Uint8Array): { ip: boolean; udp: boolean } {
  const ip = p.subarray(14, 34);
  const udp = p.subarray(34, 14 + ((ip[2] << 8) | ip[3]));
  const pseudo = new Uint8Array([...ip.subarray(12, 20), 0, 17, udp.length >> 8, udp.length & 0xff]);
  return { ip: inetChecksum(ip) === 0, udp: inetChecksum(udp, (~inetChecksum(pseudo)) & 0xffff) === 0 };
}

export const u32le = (...values: number[]): Uint8Array => new Uint8Array(new Uint32Array(values).buffer);
export const u64le = (...values: bigint[]): Uint8Array => new Uint8Array(new BigUint64Array(values).buffer);

/** A pcap file with `packets`, written in the given byte order and timestamp resolution. */
export function writePcap(packets: Uint8Array[], options: { le?: boolean; ns?: boolean } = {}): Uint8Array {
  const le = options.le ?? true;
  const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, options.ns ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 65535, le);
  v.setUint32(20, 1, le);
  let at = 24;
  packets.forEach((p, i) => {
    v.setUint32(at, 1700000000 + i, le);
    v.setUint32(at + 4, 500 + i, le);
    v.setUint32(at + 8, p.length, le);
    v.setUint32(at + 12, p.length + 10, le);
    out.set(p, at + 16);
    at += 16 + p.length;
  });
  return out;
}
