/**
 * The shipped vmlinux subset (src/platform/sock-btf.ts): it parses, its
 * tables agree with its BTF, and on the machine it was generated from it is
 * exactly what the generator makes of /sys/kernel/btf/vmlinux.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { memberOffset, resolveSize, typeByName } from '../../src/btf/index.js';
import { SOCK_BTF_FIELDS, SOCK_BTF_KERNEL, SOCK_BTF_SIZES } from '../../src/platform/index.js';
import { btfStructAccess, btfStructId, btfStructIdsMatch, sockBtf } from '../../src/verifier/index.js';
import { repoRoot } from '../paths.js';
import { renderSockBtf, SOCK_BTF_ROOTS } from './gen-sock-btf.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

test('the shipped socket BTF parses and describes every root struct at its size', () => {
  const btf = sockBtf();
  for (const name of SOCK_BTF_ROOTS) {
    const id = typeByName(btf, name, 'struct');
    assert.ok(id, `struct ${name}`);
    assert.equal(resolveSize(btf, id), SOCK_BTF_SIZES[name], `sizeof(struct ${name})`);
  }
  for (const [struct, fields] of Object.entries(SOCK_BTF_FIELDS)) {
    for (const [name, f] of Object.entries(fields)) {
      const path = name.startsWith('skc_') ? `__sk_common.${name}` : name.startsWith('icsk_') ? `inet_conn.${name}` : name;
      assert.equal(memberOffset(btf, typeByName(btf, struct, 'struct')!, path)!.bitOffset / 8, f.offset, `${struct}.${name}`);
    }
  }
});

test('btf_struct_ids_match: every socket struct begins with a sock_common, and nothing else does', () => {
  const common = btfStructId('sock_common')!;
  for (const name of SOCK_BTF_ROOTS) assert.equal(btfStructIdsMatch(btfStructId(name)!, 0, common, false), true, name);
  assert.equal(btfStructIdsMatch(btfStructId('tcp_sock')!, 0, common, true), false, 'strict: only the struct itself');
  assert.equal(btfStructIdsMatch(btfStructId('list_head')!, 0, common, false), 'cannot access ptr member next with moff 0 in struct list_head with off 0 size 1');
  assert.match(String(btfStructIdsMatch(btfStructId('tcp_sock')!, -8, common, false)), /^access beyond struct tcp_sock at off 4294967288 size 1$/);
});

test('btf_struct_access: scalars, pointers to structs, pointers to anything else, and the three refusals', () => {
  const tcp = btfStructId('tcp_sock')!;
  const f = SOCK_BTF_FIELDS.tcp_sock.snd_cwnd;
  assert.deepEqual(btfStructAccess(tcp, f.offset, 4), { kind: 'scalar' });
  assert.match((btfStructAccess(tcp, f.offset, 8) as { message: string }).message, /^access beyond the end of member snd_cwnd/);
  assert.match((btfStructAccess(tcp, SOCK_BTF_SIZES.tcp_sock, 1) as { message: string }).message, /^access beyond struct tcp_sock/);
  const p = btfStructAccess(tcp, 24, 8);
  assert.equal(p.kind, 'ptr');
  assert.equal(p.kind === 'ptr' && p.untrusted, true, 'a pointer inside a union of several members is untrusted');
  assert.equal(btfStructAccess(btfStructId('sock')!, 656, 8).kind, 'mem', 'sk_user_data is a void *');
});

test('on the machine it was generated from, the shipped BTF is what the generator makes of vmlinux', (t) => {
  if (!existsSync(VMLINUX) || release() !== SOCK_BTF_KERNEL) {
    t.skip(`needs ${VMLINUX} of Linux ${SOCK_BTF_KERNEL} (this is ${release()})`);
    return;
  }
  const shipped = readFileSync(join(repoRoot, 'src', 'platform', 'sock-btf.ts'), 'utf8');
  assert.equal(renderSockBtf(readFileSync(VMLINUX), release()), shipped, 'regenerate with node dist/test/btf/gen-sock-btf.js');
});
