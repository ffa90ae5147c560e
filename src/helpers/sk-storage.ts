/**
 * bpf_sk_storage_get and bpf_sk_storage_delete (net/core/bpf_sk_storage.c):
 * a socket's storage in a BPF_MAP_TYPE_SK_STORAGE map. The socket is any
 * pointer of the socket table (a bpf_sock, a bpf_tcp_sock or a kernel
 * struct's address: all name the same socket); a socket that is not full
 * (a request or timewait socket) has no storage: get gives NULL and delete
 * -EINVAL, as the kernel's sk_fullsock test does, without looking for the
 * listener.
 *
 * The storage lives with its socket: a table socket's for the runtime's
 * life, a test run's own socket's (skb->sk) for that run only, shared by
 * its repetitions (SocketTable.onRelease tells the registry when the socket
 * goes).
 */
import { BPF_SK_STORAGE_GET_F_CREATE, SkStorageMap, type MapRegistry } from '../maps/index.js';
import { helperIdByName, mapTypeName } from '../platform/index.js';
import { argAccess, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import { RuntimeError } from './errors.js';
import { SocketTable, type Sock } from './sock.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_sk_storage_get = helperIdByName('sk_storage_get')!;
export const BPF_FUNC_sk_storage_delete = helperIdByName('sk_storage_delete')!;

/** r1 of both helpers: a socket storage map (a clear error for anything else, as only an unverified program passes one). */
function storageMap(registry: MapRegistry, helper: string, m: bigint): SkStorageMap {
  const map = registry.mapByAddress(m);
  if (map instanceof SkStorageMap) return map;
  const what = map ? `a ${mapTypeName(map.type) ?? `type ${map.type}`} map` : 'not a map';
  throw new RuntimeError(`${helper}: r1 (0x${m.toString(16)}) is ${what}, not a socket storage`, { addr: m });
}

/** r2: NULL (undefined), or a socket of the table. */
function socketArg(table: SocketTable, helper: string, sk: bigint): Sock | undefined {
  if (sk === 0n) return undefined;
  const found = table.resolve(sk);
  if (!found) throw new RuntimeError(`${helper}: r2 (0x${sk.toString(16)}) is not a socket of this runtime`, { addr: sk });
  return found.sock;
}

export function skStorageHelpers(registry: MapRegistry, table: SocketTable): HelperDef[] {
  return [
    {
      // void *bpf_sk_storage_get(struct bpf_map *map, void *sk, void *value, u64 flags).
      id: BPF_FUNC_sk_storage_get, name: 'bpf_sk_storage_get',
      fn: (ctx: HelperContext, m, sk, value, flags) => {
        const map = storageMap(registry, 'bpf_sk_storage_get', m);
        const sock = socketArg(table, 'bpf_sk_storage_get', sk);
        if (!sock || !SocketTable.fullsock(sock) || flags > BigInt(BPF_SK_STORAGE_GET_F_CREATE)) return 0n;
        const found = map.storageOf(sock.address);
        if (found) return BigInt(found);
        if (flags !== BigInt(BPF_SK_STORAGE_GET_F_CREATE)) return 0n;
        let init: Uint8Array | undefined;
        if (value !== 0n) {
          const at = argAccess(ctx, 'bpf_sk_storage_get: r3 (value)', value, map.valueSize, false);
          init = ctx.space.bytes.slice(at, at + map.valueSize);
        }
        return BigInt(map.createStorage(sock.address, init));
      },
    },
    {
      // long bpf_sk_storage_delete(struct bpf_map *map, void *sk).
      id: BPF_FUNC_sk_storage_delete, name: 'bpf_sk_storage_delete',
      fn: (_ctx: HelperContext, m, sk) => {
        const map = storageMap(registry, 'bpf_sk_storage_delete', m);
        const sock = socketArg(table, 'bpf_sk_storage_delete', sk);
        if (!sock || !SocketTable.fullsock(sock)) return helperErr('EINVAL');
        return map.deleteStorage(sock.address) ? helperErr('ENOENT') : 0n;
      },
    },
  ];
}
