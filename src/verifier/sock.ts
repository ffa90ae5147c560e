/**
 * Loads through socket pointers (`check_sock_access`): which (offset, size)
 * reads of struct bpf_sock and struct bpf_tcp_sock (include/uapi/linux/bpf.h)
 * the kernel's bpf_sock_common_is_valid_access, bpf_sock_is_valid_access and
 * bpf_tcp_sock_is_valid_access (and bpf_xdp_sock's) allow (Linux 6.18). Sockets are read-only;
 * struct bpf_sock is described once, in src/platform (BPF_SOCK, BPF_SOCK_COMMON).
 */
import { BPF_SOCK, BPF_SOCK_COMMON, ctxAccess } from '../platform/index.js';

/** The socket register types (`type_is_sk_pointer`), as the log spells them. */
export type SockRegType = 'sock_common' | 'sock' | 'tcp_sock' | 'xdp_sock';

/** `type_is_sk_pointer`. */
export function isSockType(type: string): type is SockRegType {
  return type === 'sock_common' || type === 'sock' || type === 'tcp_sock' || type === 'xdp_sock';
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
    case 'sock_common': return ctxAccess(BPF_SOCK_COMMON, off, size, 'read') !== undefined;
    case 'sock': return ctxAccess(BPF_SOCK, off, size, 'read') !== undefined;
    case 'tcp_sock': return tcpSockValid(off, size);
    // `bpf_xdp_sock_is_valid_access`: struct bpf_xdp_sock is one u32, queue_id.
    case 'xdp_sock': return off === 0 && size === 4;
  }
}
