/**
 * BPF_MAP_TYPE_SOCKMAP (net/core/sock_map.c): an array of sockets. A
 * runtime has no file descriptors for its sockets, so the value userspace
 * writes names a socket of the runtime's table by its cookie (a u32 or u64,
 * as the map's value_size says, in place of the kernel's socket fd);
 * userspace reads back the cookie, as the kernel answers a u64 lookup. A
 * program's lookup returns the socket itself, holding a reference that it
 * must release with bpf_sk_release.
 *
 * Storage: `max_entries` u32 slots, each the socket's address or 0.
 */
import { FdArrayMap } from './fd-array.js';
import { fail } from './map.js';
import { u32At } from './memory.js';
import { BPF_EXIST, BPF_NOEXIST } from './uapi.js';

/** What a sockmap needs of the runtime's sockets (the helpers' SocketTable implements it). */
export interface SocketResolver {
  /** The address of the struct bpf_sock of the socket with this cookie, if the runtime has one that a sockmap may hold. */
  sockmapAddress(cookie: bigint): number | undefined;
  /** The address of the struct bpf_sock of the full socket with this cookie (one that has a file, for socket storage keys), if any. */
  sockAddress(cookie: bigint): number | undefined;
  /** The cookie of the socket at `address`. */
  cookieAt(address: number): bigint;
  /** A program took a reference on the socket at `address` (a lookup), to give back with bpf_sk_release. */
  acquire(address: number): void;
}

const S32_MAX = 0x7fffffffn;

export class SockMap extends FdArrayMap {
  private get sockets(): SocketResolver | undefined {
    return this.host.sockets;
  }

  /** sock_map_update_elem_sys: the cookie, then the socket it names; a state a sockmap refuses is EOPNOTSUPP. */
  protected override getPtr(value: Uint8Array): number {
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const cookie = this.valueSize === 8 ? v.getBigUint64(0, true) : BigInt(u32At(value, 0));
    if (cookie > S32_MAX) return fail('EINVAL');
    const address = this.sockets?.sockmapAddress(cookie);
    if (address === undefined) return fail('EBADF');
    return address || fail('EOPNOTSUPP');
  }

  protected override putPtr(): void {}

  protected override sysLookup(ptr: number): number {
    return Number(this.sockets?.cookieAt(ptr) ?? 0n);
  }

  /** A u64 cookie when the value is 8 bytes; a 4-byte value has no room for one (ENOSPC). */
  protected override opLookupSys(key: Uint8Array, out: Uint8Array): number {
    if (this.valueSize !== 8) return fail('ENOSPC');
    const index = u32At(key, 0);
    const ptr = this.slotValue(index);
    if (!ptr) return fail('ENOENT');
    new DataView(out.buffer, out.byteOffset, 8).setBigUint64(0, this.sockets?.cookieAt(ptr) ?? 0n, true);
    return 0;
  }

  /** sock_map_update_common's flags: BPF_NOEXIST on a taken slot is EEXIST, BPF_EXIST on an empty one ENOENT. */
  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return fail('EINVAL');
    const index = u32At(key, 0);
    if (index >= this.maxEntries) return fail('E2BIG');
    const ptr = this.getPtr(value);
    if (ptr < 0) return ptr;
    const old = this.slotValue(index);
    if (old && flags === BPF_NOEXIST) return fail('EEXIST');
    if (!old && flags === BPF_EXIST) return fail('ENOENT');
    Atomics.store(this.mem.refresh().i32, this.slot(index) >>> 2, ptr);
    return 0;
  }

  /** sock_map_delete_elem: an index past the end or an empty slot is EINVAL. */
  protected override opDelete(kb: Uint8Array, ko: number): number {
    const index = u32At(kb, ko);
    if (index >= this.maxEntries || !this.slotValue(index)) return fail('EINVAL');
    Atomics.store(this.mem.refresh().i32, this.slot(index) >>> 2, 0);
    return 0;
  }

  override deleteElem(key: number): number {
    return this.opDelete(this.mem.refresh().u8, key);
  }

  /** sock_map_lookup: the socket, with a reference taken for the program. */
  override lookupElem(key: number): number {
    const ptr = this.slotValue(u32At(this.mem.refresh().u8, key));
    if (ptr) this.sockets?.acquire(ptr);
    return ptr;
  }
}
