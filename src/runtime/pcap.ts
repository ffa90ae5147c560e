/**
 * Classic libpcap capture files (not pcapng): the packets a test run can be
 * fed with. Both byte orders, microsecond (0xa1b2c3d4) and nanosecond
 * (0xa1b23c4d) timestamps.
 */
import { EbpfError } from '../internal/errors.js';

export interface PcapPacket {
  /** Timestamp in nanoseconds since the epoch. */
  timestampNs: bigint;
  /** The captured bytes (incl_len of them). */
  data: Uint8Array;
  /** The packet's length on the wire. */
  origLen: number;
}

export interface Pcap {
  /** LINKTYPE_* of the capture (1: Ethernet). */
  linkType: number;
  snapLen: number;
  nanoseconds: boolean;
  packets: PcapPacket[];
}

export class PcapError extends EbpfError {
  constructor(readonly offset: number, message: string) {
    super('EPCAP', `pcap at byte ${offset}: ${message}`);
  }
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const HEADER = 24;
const RECORD = 16;

export function parsePcap(bytes: Uint8Array): Pcap {
  if (bytes.length < HEADER) throw new PcapError(0, `a pcap file starts with a ${HEADER}-byte header; the file has ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) le = true;
  else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) le = false;
  else throw new PcapError(0, `bad magic 0x${magicBe.toString(16).padStart(8, '0')} (not a classic pcap file; pcapng is not read)`);
  const nanoseconds = v.getUint32(0, le) === MAGIC_NS;
  const major = v.getUint16(4, le);
  if (major !== 2) throw new PcapError(4, `version ${major}.${v.getUint16(6, le)} is not 2.x`);
  const snapLen = v.getUint32(16, le);
  const linkType = v.getUint32(20, le) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  let at = HEADER;
  while (at < bytes.length) {
    if (at + RECORD > bytes.length) throw new PcapError(at, `truncated record header (${bytes.length - at} of ${RECORD} bytes)`);
    const sec = v.getUint32(at, le);
    const frac = v.getUint32(at + 4, le);
    const incl = v.getUint32(at + 8, le);
    const orig = v.getUint32(at + 12, le);
    if (frac >= (nanoseconds ? 1e9 : 1e6)) throw new PcapError(at + 4, `sub-second timestamp ${frac} is out of range`);
    if (at + RECORD + incl > bytes.length) throw new PcapError(at + 8, `packet of ${incl} bytes runs past the end of the file`);
    packets.push({
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanoseconds ? 1n : 1000n),
      data: bytes.slice(at + RECORD, at + RECORD + incl),
      origLen: orig,
    });
    at += RECORD + incl;
  }
  return { linkType, snapLen, nanoseconds, packets };
}
