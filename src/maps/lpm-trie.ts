/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix match over
 * keys `struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[]; }` (data is
 * big-endian: bit 0 is the top bit of data[0]). The trie is the kernel's —
 * same node shapes, intermediate nodes, replacement and deletion — so
 * BPF_MAP_GET_NEXT_KEY walks it in the kernel's post-order.
 *
 * Descriptor, type-specific part:
 *    96 lock    100 root (node address, 0 when empty)   104 n_entries
 *   108 data_size   112 max_prefixlen   116 free list head   120 node_size
 * Storage: 2 * max_entries + 1 nodes of node_size bytes (enough for every
 * entry and the intermediate nodes between them, plus the one a replacement
 * takes before it frees the old):
 *
 *   node:  +0 child[0]  +4 child[1]  +8 prefixlen  +12 flags (1: intermediate)
 *          +16 data[data_size]  +16+data_size value[value_size]
 *
 * A program's lookup returns node + 16 + data_size. Every operation runs
 * under the trie's lock, as the kernel's updates do.
 */
import { DESC, BpfMap, fail } from './map.js';
import { round8, u32At } from './memory.js';
import { BPF_EXIST, BPF_NOEXIST } from './uapi.js';

export const LPM_DESC = Object.freeze({
  lock: DESC.specific, root: DESC.specific + 4, nEntries: DESC.specific + 8, dataSize: DESC.specific + 12,
  maxPrefixlen: DESC.specific + 16, freeHead: DESC.specific + 20, nodeSize: DESC.specific + 24,
});
const NODE = { child0: 0, child1: 4, prefixlen: 8, flags: 12, data: 16 } as const;
const FLAG_IM = 1;

export function lpmLayout(keySize: number, valueSize: number, maxEntries: number): { desc: number; storage: number; nodeSize: number; nodes: number } {
  const nodeSize = round8(NODE.data + keySize - 4 + valueSize);
  const nodes = 2 * maxEntries + 1;
  return { desc: LPM_DESC.nodeSize + 4, storage: nodes * nodeSize, nodeSize, nodes };
}

/** Thread the nodes onto the free list. */
export function initLpm(mem: { set(a: number, v: number): void }, desc: number, storage: number, keySize: number, nodeSize: number, nodes: number): void {
  mem.set(desc + LPM_DESC.dataSize, keySize - 4);
  mem.set(desc + LPM_DESC.maxPrefixlen, (keySize - 4) * 8);
  mem.set(desc + LPM_DESC.nodeSize, nodeSize);
  let head = 0;
  for (let i = nodes - 1; i >= 0; i--) {
    const n = storage + i * nodeSize;
    mem.set(n + NODE.child0, head);
    head = n;
  }
  mem.set(desc + LPM_DESC.freeHead, head);
}

export class LpmTrieMap extends BpfMap {
  readonly dataSize = this.mem.get(this.address + LPM_DESC.dataSize);
  readonly maxPrefixlen = this.mem.get(this.address + LPM_DESC.maxPrefixlen);

  private get(a: number): number {
    return this.mem.get(a);
  }

  private set(a: number, v: number): void {
    this.mem.set(a, v);
  }

  /** Bits that node `n`'s data and the key's data (kb, ko + 4) share, up to both prefix lengths. */
  private longestPrefixMatch(n: number, kb: Uint8Array, ko: number): number {
    const u8 = this.mem.u8;
    const limit = Math.min(this.get(n + NODE.prefixlen), u32At(kb, ko));
    let len = 0;
    for (let i = 0; i < this.dataSize && len < limit; i++) {
      const diff = u8[n + NODE.data + i] ^ kb[ko + 4 + i];
      if (diff) return Math.min(limit, len + Math.clz32(diff) - 24);
      len += 8;
    }
    return Math.min(len, limit);
  }

  private static bit(data: Uint8Array, at: number, index: number): number {
    return (data[at + (index >>> 3)] >>> (7 - (index & 7))) & 1;
  }

  private locked(body: () => number): number {
    const mem = this.mem.refresh();
    const lockAt = this.address + LPM_DESC.lock;
    const err = mem.lock(lockAt);
    if (err) return err;
    try {
      return body();
    } finally {
      mem.unlock(lockAt);
    }
  }

  private allocNode(): number {
    const head = this.get(this.address + LPM_DESC.freeHead);
    if (head) this.set(this.address + LPM_DESC.freeHead, this.get(head + NODE.child0));
    return head;
  }

  private freeNode(n: number): void {
    this.set(n + NODE.child0, this.get(this.address + LPM_DESC.freeHead));
    this.set(this.address + LPM_DESC.freeHead, n);
  }

  /** trie_lookup_elem: the node of the longest matching prefix, or 0. */
  private lookupNode(kb: Uint8Array, ko: number): number {
    if (u32At(kb, ko) > this.maxPrefixlen) return 0;
    let found = 0;
    for (let n = this.get(this.address + LPM_DESC.root); n;) {
      const matchlen = this.longestPrefixMatch(n, kb, ko);
      if (matchlen === this.maxPrefixlen) return n;
      if (matchlen < this.get(n + NODE.prefixlen)) break;
      if (!(this.get(n + NODE.flags) & FLAG_IM)) found = n;
      n = this.get(n + 4 * LpmTrieMap.bit(kb, ko + 4, this.get(n + NODE.prefixlen)));
    }
    return found;
  }

  private valueAt(n: number): number {
    return n + NODE.data + this.dataSize;
  }

  /** trie_check_add_elem. */
  private checkAdd(flags: number): number {
    if (flags === BPF_EXIST) return fail('ENOENT');
    const at = this.address + LPM_DESC.nEntries;
    if (this.get(at) === this.maxEntries) return fail('ENOSPC');
    this.set(at, this.get(at) + 1);
    return 0;
  }

  /** trie_update_elem. */
  private updateTrie(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number): number {
    if (flags > BPF_EXIST) return fail('EINVAL');
    const prefixlen = u32At(kb, ko);
    if (prefixlen > this.maxPrefixlen) return fail('EINVAL');
    return this.locked(() => {
      const u8 = this.mem.u8;
      const fresh = this.allocNode();
      if (!fresh) return fail('ENOMEM');
      let freeAfter = 0;
      const ret = ((): number => {
        this.set(fresh + NODE.child0, 0);
        this.set(fresh + NODE.child1, 0);
        this.set(fresh + NODE.prefixlen, prefixlen);
        this.set(fresh + NODE.flags, 0);
        u8.set(kb.subarray(ko + 4, ko + 4 + this.dataSize), fresh + NODE.data);
        u8.set(vb.subarray(vo, vo + this.valueSize), this.valueAt(fresh));

        let slot = this.address + LPM_DESC.root;
        let node = 0, matchlen = 0;
        while ((node = this.get(slot))) {
          matchlen = this.longestPrefixMatch(node, kb, ko);
          const np = this.get(node + NODE.prefixlen);
          if (np !== matchlen || np === prefixlen) break;
          slot = node + 4 * LpmTrieMap.bit(kb, ko + 4, np);
        }
        if (!node) {
          const err = this.checkAdd(flags);
          if (!err) this.set(slot, fresh);
          return err;
        }
        if (this.get(node + NODE.prefixlen) === matchlen) {
          if (!(this.get(node + NODE.flags) & FLAG_IM)) {
            if (flags === BPF_NOEXIST) return fail('EEXIST');
          } else {
            const err = this.checkAdd(flags);
            if (err) return err;
          }
          this.set(fresh + NODE.child0, this.get(node + NODE.child0));
          this.set(fresh + NODE.child1, this.get(node + NODE.child1));
          this.set(slot, fresh);
          freeAfter = node;
          return 0;
        }
        const err = this.checkAdd(flags);
        if (err) return err;
        if (matchlen === prefixlen) {
          this.set(fresh + 4 * LpmTrieMap.bit(u8, node + NODE.data, matchlen), node);
          this.set(slot, fresh);
          return 0;
        }
        const im = this.allocNode();
        if (!im) {
          this.set(this.address + LPM_DESC.nEntries, this.get(this.address + LPM_DESC.nEntries) - 1);
          return fail('ENOMEM');
        }
        this.set(im + NODE.prefixlen, matchlen);
        this.set(im + NODE.flags, FLAG_IM);
        u8.copyWithin(im + NODE.data, node + NODE.data, node + NODE.data + this.dataSize);
        const right = LpmTrieMap.bit(kb, ko + 4, matchlen);
        this.set(im + NODE.child0, right ? node : fresh);
        this.set(im + NODE.child1, right ? fresh : node);
        this.set(slot, im);
        return 0;
      })();
      if (ret) this.freeNode(fresh);
      if (freeAfter) this.freeNode(freeAfter);
      return ret;
    });
  }

  /** trie_delete_elem. */
  private deleteTrie(kb: Uint8Array, ko: number): number {
    const prefixlen = u32At(kb, ko);
    if (prefixlen > this.maxPrefixlen) return fail('EINVAL');
    return this.locked(() => {
      let trim = this.address + LPM_DESC.root, trim2 = trim, parent = 0;
      let node = 0, matchlen = 0;
      while ((node = this.get(trim))) {
        matchlen = this.longestPrefixMatch(node, kb, ko);
        const np = this.get(node + NODE.prefixlen);
        if (np !== matchlen || np === prefixlen) break;
        parent = node;
        trim2 = trim;
        trim = node + 4 * LpmTrieMap.bit(kb, ko + 4, np);
      }
      if (!node || this.get(node + NODE.prefixlen) !== prefixlen || this.get(node + NODE.prefixlen) !== matchlen ||
        this.get(node + NODE.flags) & FLAG_IM) {
        return fail('ENOENT');
      }
      this.set(this.address + LPM_DESC.nEntries, this.get(this.address + LPM_DESC.nEntries) - 1);
      const c0 = this.get(node + NODE.child0), c1 = this.get(node + NODE.child1);
      if (c0 && c1) {
        this.set(node + NODE.flags, this.get(node + NODE.flags) | FLAG_IM);
        return 0;
      }
      if (parent && this.get(parent + NODE.flags) & FLAG_IM && !c0 && !c1) {
        const p0 = this.get(parent + NODE.child0);
        this.set(trim2, node === p0 ? this.get(parent + NODE.child1) : p0);
        this.freeNode(parent);
        this.freeNode(node);
        return 0;
      }
      this.set(trim, c0 || c1);
      this.freeNode(node);
      return 0;
    });
  }

  /** trie_get_next_key: post-order, more specific prefixes first; a missing key restarts at the leftmost. */
  protected override opNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    return this.locked(() => {
      const root = this.get(this.address + LPM_DESC.root);
      if (!root) return fail('ENOENT');
      let searchRoot = root;
      let next = 0;
      const leftmost = (from: number): number => {
        let found = 0;
        for (let n = from; n;) {
          if (this.get(n + NODE.flags) & FLAG_IM) {
            n = this.get(n + NODE.child0);
          } else {
            found = n;
            n = this.get(n + NODE.child0) || this.get(found + NODE.child1);
          }
        }
        return found;
      };
      if (key && u32At(key, 0) <= this.maxPrefixlen) {
        const stack: number[] = [];
        const prefixlen = u32At(key, 0);
        let node = root, matchlen = 0;
        for (; node;) {
          stack.push(node);
          matchlen = this.longestPrefixMatch(node, key, 0);
          const np = this.get(node + NODE.prefixlen);
          if (np !== matchlen || np === prefixlen) break;
          node = this.get(node + 4 * LpmTrieMap.bit(key, 4, np));
        }
        if (node && this.get(node + NODE.prefixlen) === matchlen && !(this.get(node + NODE.flags) & FLAG_IM)) {
          searchRoot = 0;
          node = stack[stack.length - 1];
          for (let sp = stack.length - 1; sp > 0 && !next && !searchRoot; sp--) {
            const parent = stack[sp - 1];
            if (this.get(parent + NODE.child0) === node) searchRoot = this.get(parent + NODE.child1);
            if (!searchRoot && !(this.get(parent + NODE.flags) & FLAG_IM)) next = parent;
            node = parent;
          }
          if (!next && !searchRoot) return fail('ENOENT');
        }
      }
      if (!next) next = leftmost(searchRoot);
      new DataView(out.buffer, out.byteOffset, 4).setUint32(0, this.get(next + NODE.prefixlen), true);
      out.set(this.mem.u8.subarray(next + NODE.data, next + NODE.data + this.dataSize), 4);
      return 0;
    });
  }

  protected override opLookupSys(key: Uint8Array, out: Uint8Array): number {
    return this.locked(() => {
      const n = this.lookupNode(key, 0);
      if (!n) return fail('ENOENT');
      out.set(this.mem.u8.subarray(this.valueAt(n), this.valueAt(n) + this.valueSize));
      return 0;
    });
  }

  protected override opUpdateSys(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateTrie(key, 0, value, 0, flags);
  }

  protected override opDelete(kb: Uint8Array, ko: number): number {
    return this.deleteTrie(kb, ko);
  }

  protected override batchOps() {
    return { lookup: 'generic', update: 'generic', delete: 'generic' } as const;
  }

  override lookupElem(key: number): number {
    let n = 0;
    this.locked(() => {
      n = this.lookupNode(this.mem.u8, key);
      return 0;
    });
    return n ? this.valueAt(n) : 0;
  }

  override updateElem(key: number, value: number, flags: number): number {
    const u8 = this.mem.refresh().u8;
    return this.updateTrie(u8, key, u8, value, flags);
  }

  override deleteElem(key: number): number {
    return this.deleteTrie(this.mem.refresh().u8, key);
  }

  /** Entries in the trie (n_entries). */
  count(): number {
    return this.mem.refresh().get(this.address + LPM_DESC.nEntries);
  }
}
