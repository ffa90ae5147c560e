import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_EXIST, BPF_F_NO_PREALLOC, BPF_NOEXIST, LpmTrieMap } from '../../src/maps/index.js';
import { readU32, registry, throwsErrno, u32 } from './util.js';

/** struct bpf_lpm_trie_key_u8 for an IPv4 prefix `a.b.c.d/len`. */
function v4(cidr: string): Uint8Array {
  const [ip, len] = cidr.split('/');
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, Number(len), true);
  key.set(ip.split('.').map(Number), 4);
  return key;
}
const cidr = (k: Uint8Array) => `${[...k.slice(4)].join('.')}/${readU32(k)}`;

const trie = (maxEntries = 16) => registry().create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries, flags: BPF_F_NO_PREALLOC }) as LpmTrieMap;

test('lpm_trie: a lookup finds the longest matching prefix', () => {
  const map = trie();
  map.update(v4('192.168.0.0/16'), u32(1));
  map.update(v4('192.168.0.0/24'), u32(2));
  map.update(v4('192.168.128.0/24'), u32(3));
  map.update(v4('10.0.0.0/8'), u32(4));
  const at = (k: string) => {
    const v = map.lookup(v4(k));
    return v ? readU32(v) : undefined;
  };
  assert.equal(at('192.168.0.7/32'), 2);
  assert.equal(at('192.168.1.7/32'), 1);
  assert.equal(at('192.168.128.255/32'), 3);
  assert.equal(at('192.169.0.1/32'), undefined);
  assert.equal(at('10.200.0.1/32'), 4);
  assert.equal(at('192.168.0.0/12'), undefined, 'a shorter query prefix matches only shorter entries');
  assert.equal(at('10.0.0.0/33'), undefined, 'a prefix longer than the data is no match');
});

test('lpm_trie: next key is the kernel post-order, more specific first (the example of lpm_trie.c)', () => {
  const map = trie();
  for (const [i, k] of ['192.168.0.0/16', '192.168.0.0/24', '192.168.128.0/24', '192.168.1.0/24'].entries()) map.update(v4(k), u32(i));
  assert.deepEqual([...map.keys()].map(cidr), ['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
  assert.equal(cidr(map.nextKey(v4('1.2.3.4/32'))!), '192.168.0.0/24', 'a missing key restarts at the leftmost');
  assert.equal(map.nextKey(v4('192.168.0.0/16')), undefined);
  assert.equal(map.count(), 4);
});

test('lpm_trie: update flags, a full trie is ENOSPC for new prefixes but still replaces, deletes are exact', () => {
  const map = trie(2);
  throwsErrno(() => map.update(v4('10.0.0.0/8'), u32(0), BPF_EXIST), 'ENOENT');
  map.update(v4('10.0.0.0/8'), u32(1), BPF_NOEXIST);
  map.update(v4('10.1.0.0/16'), u32(2));
  throwsErrno(() => map.update(v4('10.2.0.0/16'), u32(3)), 'ENOSPC');
  map.update(v4('10.1.0.0/16'), u32(5));
  throwsErrno(() => map.update(v4('10.1.0.0/16'), u32(5), BPF_NOEXIST), 'EEXIST');
  throwsErrno(() => map.update(v4('10.1.0.0/33'), u32(5)), 'EINVAL');
  throwsErrno(() => map.update(v4('10.1.0.0/16'), u32(5), 4), 'EINVAL');
  throwsErrno(() => map.delete(v4('10.1.0.0/15')), 'ENOENT');
  map.delete(v4('10.1.0.0/16'));
  assert.equal(readU32(map.lookup(v4('10.1.2.3/32'))!), 1);
  throwsErrno(() => map.lookupAndDelete(v4('10.0.0.0/8')), 'ENOTSUPP');
});

test('lpm_trie: intermediate nodes come and go; deleting everything leaves an empty trie and every node reusable', () => {
  const map = trie(8);
  const prefixes = ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.0.0/22', '11.0.0.0/8', '10.0.0.128/25', '0.0.0.0/0'];
  for (let round = 0; round < 3; round++) {
    for (const [i, p] of prefixes.entries()) map.update(v4(p), u32(i));
    assert.equal([...map.keys()].length, 8);
    assert.equal(readU32(map.lookup(v4('10.0.0.200/32'))!), 6);
    assert.equal(readU32(map.lookup(v4('12.0.0.1/32'))!), 7);
    for (const p of [...prefixes].reverse()) map.delete(v4(p));
    assert.equal(map.nextKey(), undefined);
    assert.equal(map.count(), 0);
  }
});

test('lpm_trie: creation needs BPF_F_NO_PREALLOC and a key of 4 + 1..256 bytes', () => {
  const reg = registry();
  throwsErrno(() => reg.create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 1 }), 'EINVAL', 'BPF_MAP_CREATE');
  throwsErrno(() => reg.create({ type: 'lpm_trie', keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_NO_PREALLOC }), 'EINVAL');
  throwsErrno(() => reg.create({ type: 'lpm_trie', keySize: 261, valueSize: 4, maxEntries: 1, flags: BPF_F_NO_PREALLOC }), 'EINVAL');
  assert.ok(reg.create({ type: 'lpm_trie', keySize: 260, valueSize: 1, maxEntries: 1, flags: BPF_F_NO_PREALLOC }));
});

test('lpm_trie: a program lookup returns the matching value in the map storage', () => {
  const reg = registry();
  const map = reg.create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_PREALLOC }) as LpmTrieMap;
  map.update(v4('172.16.0.0/12'), u32(42));
  const at = reg.alloc('key', 8);
  reg.mem.u8.set(v4('172.20.1.1/32'), at);
  const value = map.lookupElem(at);
  assert.equal(readU32(reg.mem.u8.slice(value, value + 4)), 42);
  reg.mem.u8.set(u32(7), value);
  assert.equal(readU32(map.lookup(v4('172.16.0.0/12'))!), 7);
});
