/**
 * Loads through socket pointers (`check_sock_access`): which (offset, size)
 * reads of struct bpf_sock and struct bpf_tcp_sock (include/uapi/linux/bpf.h)
 * the kernel's bpf_sock_common_is_valid_access, bpf_sock_is_valid_access and
 * bpf_tcp_sock_is_valid_access (and bpf_xdp_sock's) allow (Linux 6.18). Sockets are read-only.
 */

/** The socket register types (`type_is_sk_pointer`), as the log spells them. */
export type SockRegType = 'sock_common' | 'sock' | 'tcp_sock' | 'xdp_sock';

/** `type_is_sk_pointer`. */
export function isSockType(type: string): type is SockRegType {
  return type === 'sock_common' || type === 'sock' || type === 'tcp_sock' || type === 'xdp_sock';
}

/** struct bpf_sock offsets. */
const SRC_IP4 = 24;
const SRC_IP6_END = 44;
const SRC_PORT = 44;
const DST_PORT = 48;
const DST_IP4 = 52;
const DST_IP6_END = 72;
const STATE = 72;
const RX_QUEUE_MAPPING = 76;
const SIZEOF_BPF_SOCK = 80;
/** Fields a bpf_sock may load narrow, from their start only. */
const NARROW_AT_START = new Set([4 /* family */, 8 /* type */, 12 /* protocol */, SRC_PORT, STATE, RX_QUEUE_MAPPING]);

/** `bpf_ctx_narrow_access_ok`. */
function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize;
}

/** `bpf_sock_is_valid_access`. */
function sockValid(off: number, size: number): boolean {
  if (off < 0 || off >= SIZEOF_BPF_SOCK || off % size !== 0) return false;
  // The addresses may be read in any aligned piece.
  if ((off >= SRC_IP4 && off < SRC_IP6_END) || (off >= DST_IP4 && off < DST_IP6_END)) return narrowOk(size, 4);
  if (NARROW_AT_START.has(off)) return narrowOk(size, 4);
  // dst_port is a __be16 also readable as a whole u32; the 16 bits of padding after it are not.
  if (off === DST_PORT || off === DST_PORT + 1) return narrowOk(size, size === 4 ? 4 : 2);
  if (off === DST_PORT + 2 || off === DST_PORT + 3) return false;
  return size === 4;
}

/** `bpf_sock_common_is_valid_access`: a sock_common lacks bpf_sock's type, protocol, mark and priority. */
function sockCommonValid(off: number, size: number): boolean {
  if (off >= 8 && off < 24) return false;
  return sockValid(off, size);
}

/** struct bpf_tcp_sock: u32 fields but for the two u64 byte counters, up to icsk_retransmits. */
const TCP_BYTES_RECEIVED = 80;
const TCP_BYTES_ACKED = 88;
const SIZEOF_BPF_TCP_SOCK = 112;

/** `bpf_tcp_sock_is_valid_access`: whole fields only. */
function tcpSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= SIZEOF_BPF_TCP_SOCK || off % size !== 0) return false;
  if (off === TCP_BYTES_RECEIVED || off === TCP_BYTES_ACKED) return size === 8;
  return size === 4;
}

/** May a program read `size` bytes at `off` of a socket of `type`? */
export function sockAccessValid(type: SockRegType, off: number, size: number): boolean {
  switch (type) {
    case 'sock_common': return sockCommonValid(off, size);
    case 'sock': return sockValid(off, size);
    case 'tcp_sock': return tcpSockValid(off, size);
    // `bpf_xdp_sock_is_valid_access`: struct bpf_xdp_sock is one u32, queue_id.
    case 'xdp_sock': return off === 0 && size === 4;
  }
}
