/**
 * BPF_MAP_TYPE_SK_STORAGE (net/core/bpf_sk_storage.c on
 * kernel/bpf/bpf_local_storage.c): value_size bytes of storage per socket,
 * made by bpf_sk_storage_get with BPF_SK_STORAGE_GET_F_CREATE or by a
 * userspace update, and gone with its socket.
 *
 * The kernel's userspace key is a socket's file descriptor (key_size 4). A
 * runtime has no file descriptors, so the key is the u32 cookie of a socket
 * of the runtime's table, as the value of our sockmaps is: a cookie that
 * names no socket is EBADF, as a bad descriptor is. Only full sockets have a
 * file, so a request or timewait socket of the table cannot be named either.
 * A test run's own socket (skb->sk) is in no table: userspace never sees its
 * storage. There is no order to walk: get_next_key is ENOTSUPP.
 *
 * Element (a region of its own, from the registry's allocator), linked from
 * the descriptor newest first:
 *
 *    0  4   next element (0: last)
 *    4  4   the socket's address (its struct bpf_sock)
 *    8  …   the value, value_size bytes
 *
 * Descriptor, type-specific part:
 *
 *    96  4   first element (0: none)
 */
import { OutOfMemoryError } from '../memory/index.js';
import { DESC, BpfMap, fail } from './map.js';
import { u32At } from './memory.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from './uapi.js';

export const SK_STORAGE_DESC = Object.freeze({ first: DESC.specific, size: DESC.specific + 4 });
/** A socket's storage: `next` its first word, as BpfMap.freeList walks the list. */
const ELEM = Object.freeze({ next: 0, sock: 4, value: 8 });

/** BPF_SK_STORAGE_GET_F_CREATE: bpf_sk_storage_get makes the storage when the socket has none. */
export const BPF_SK_STORAGE_GET_F_CREATE = 1;

export class SkStorageMap extends BpfMap {
  /** The element of the socket at `sock` (its bpf_sock address), or 0. */
  private find(sock: number): number {
    const mem = this.mem.refresh();
    for (let e = mem.get(this.address + SK_STORAGE_DESC.first); e; e = mem.get(e + ELEM.next)) {
      if (mem.get(e + ELEM.sock) === sock) return e;
    }
    return 0;
  }

  /** bpf_sk_storage_lookup: the address of the value of the socket at `sock`, or 0 when it has none. */
  storageOf(sock: number): number {
    const e = this.find(sock);
    return e && e + ELEM.value;
  }

  /**
   * A new storage for the socket at `sock` (which has none), its value
   * copied from `init` (the lock word left zero) or zeroed; returns the
   * value's address, or 0 when memory is out (the kernel's ENOMEM).
   */
  createStorage(sock: number, init?: Uint8Array): number {
    let e: number;
    try {
      e = this.host.alloc(`map:${this.name || this.id}:sk-storage`, ELEM.value + this.valueSize);
    } catch (err) {
      if (err instanceof OutOfMemoryError) return 0;
      throw err;
    }
    const mem = this.mem.refresh();
    mem.u8.fill(0, e, e + ELEM.value + this.valueSize);
    if (init) this.copyValue(mem.u8, e + ELEM.value, init, 0);
    mem.set(e + ELEM.sock, sock);
    mem.set(e + ELEM.next, mem.get(this.address + SK_STORAGE_DESC.first));
    mem.set(this.address + SK_STORAGE_DESC.first, e);
    return e + ELEM.value;
  }

  /** bpf_sk_storage_del: 0, or -ENOENT when the socket at `sock` has no storage. */
  deleteStorage(sock: number): number {
    const mem = this.mem.refresh();
    let prev = this.address + SK_STORAGE_DESC.first;
    for (let e = mem.get(prev); e; prev = e + ELEM.next, e = mem.get(prev)) {
      if (mem.get(e + ELEM.sock) === sock) {
        mem.set(prev, mem.get(e + ELEM.next));
        this.host.free(e);
        return 0;
      }
    }
    return fail('ENOENT');
  }

  /** bpf_sk_storage_free: the socket at `sock` is gone, and its storage with it. */
  socketGone(sock: number): void {
    this.deleteStorage(sock);
  }

  /** sockfd_lookup for a userspace key: the address of the full socket whose cookie the key holds, or -EBADF. */
  private socketOfKey(key: Uint8Array): number {
    return this.host.sockets?.sockAddress(BigInt(u32At(key, 0))) ?? fail('EBADF');
  }

  /** bpf_fd_sk_storage_lookup_elem. */
  protected override opLookupSys(key: Uint8Array, out: Uint8Array, flags: number): number {
    const sock = this.socketOfKey(key);
    if (sock < 0) return sock;
    const at = this.storageOf(sock);
    return at ? this.copyValueOut(at, out, 0, flags) : fail('ENOENT');
  }

  /** bpf_fd_sk_storage_update_elem: bpf_local_storage_update's flags (BPF_F_LOCK updates in place under the lock). */
  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    const sock = this.socketOfKey(key);
    if (sock < 0) return sock;
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return fail('EINVAL');
    const at = this.storageOf(sock);
    const mode = flags & ~BPF_F_LOCK;
    if (at && mode === BPF_NOEXIST) return fail('EEXIST');
    if (!at && mode === BPF_EXIST) return fail('ENOENT');
    if (!at) return this.createStorage(sock, value) ? 0 : fail('ENOMEM');
    if (flags & BPF_F_LOCK) return this.copyValueLocked(at, value, 0, true);
    this.copyValue(this.mem.refresh().u8, at, value, 0);
    return 0;
  }

  /** bpf_fd_sk_storage_delete_elem. */
  protected override opDelete(kb: Uint8Array, ko: number): number {
    const sock = this.socketOfKey(kb.subarray(ko, ko + 4));
    return sock < 0 ? sock : this.deleteStorage(sock);
  }

  /** notsupp_get_next_key. */
  protected override opNextKey(): number {
    return fail('ENOTSUPP');
  }

  override dispose(): void {
    this.freeList(this.address + SK_STORAGE_DESC.first);
  }
}
