/**
 * `ebpf run --socket`: the sockets of the test world on the command line,
 * for testdata/src/sockets.c (a tc program that looks up the packet's TCP
 * socket, one that reads skb->sk, an sk_lookup program).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { toHex } from '../../src/internal/bytes.js';
import { ipv4Frame, skLookupCtx } from '../helpers/sock-util.js';
import { repoRoot } from '../paths.js';

const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const object = join(repoRoot, 'testdata', 'obj', 'sockets.o');

function ebpf(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A TCP segment from 10.0.0.9:40000 to 127.0.0.1:8080. */
function tcpFrame(): string {
  const f = ipv4Frame('10.0.0.9', '127.0.0.1');
  new DataView(f.buffer).setUint32(34, (40000 << 16) | 8080, false);
  return toHex(f).replace(/\s/g, '');
}

const run = (program: string, ...extra: string[]) => {
  const r = ebpf('run', object, '--program', program, '--json', ...extra);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { engine: string; retval: number };
};

test('run --socket: a tc program finds the described sockets, on the interpreter and the JIT', () => {
  const data = ['--data', tcpFrame()];
  const both = ['--socket', 'tcp 127.0.0.1:8080', 'tcp 127.0.0.1:8080 10.0.0.9:40000 tcp.snd_cwnd=20'];
  for (const engine of ['interp', 'jit']) {
    assert.equal(run('tc_find_socket', ...data, '--engine', engine, ...both).retval, 1_108_080, `${engine}: the established socket, its own congestion window`);
  }
  assert.equal(run('tc_find_socket', ...data).retval, 0, 'no sockets: nothing found');
  assert.equal(run('tc_find_socket', ...data, '--socket', 'tcp 127.0.0.1:8080').retval, 10_008_080, 'the listener (state 10)');
  assert.equal(run('tc_skb_sk', ...data).retval, 21, 'skb->sk: AF_INET, TCP_CLOSE');
});

test('run --socket: sk_lookup test runs take their context from --ctx', () => {
  const ctx = (port: number) => toHex(skLookupCtx({ family: 2, protocol: 6, remoteIp: '10.0.0.9', remotePort: 40000, localIp: '127.0.0.1', localPort: port })).replace(/\s/g, '');
  const r = ebpf('run', object, '--program', 'sk_lookup_none', '--ctx', ctx(8080), '--socket', 'tcp 127.0.0.1:8080');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^retval 1 \(SK_PASS\)/);
});

test('run --socket: a bad description is a usage error naming it; the kernel engine and raw programs refuse the option', () => {
  const bad = ebpf('run', object, '--program', 'tc_find_socket', '--data', tcpFrame(), '--socket', 'tcp 127.0.0.1:8080', 'udp 1.2.3.4:99999');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--socket 2: socket 'udp 1.2.3.4:99999': localPort must be an integer from 0 to 65535/);
  const word = ebpf('run', object, '--program', 'tc_find_socket', '--data', tcpFrame(), '--socket', 'tcp 127.0.0.1:8080 sideways');
  assert.equal(word.code, 2);
  assert.match(word.stderr, /'sideways' is neither a remote ADDR:PORT, a state/);
  const kernel = ebpf('run', object, '--program', 'tc_find_socket', '--data', tcpFrame(), '--engine', 'kernel', '--socket', 'tcp 127.0.0.1:8080');
  assert.equal(kernel.code, 2);
  assert.match(kernel.stderr, /the kernel looks up the machine's real sockets/);
  const raw = ebpf('run', join(repoRoot, 'examples', 'fib.s'), '--data', '0a', '--socket', 'tcp 127.0.0.1:8080');
  assert.equal(raw.code, 2);
  assert.match(raw.stderr, /--socket is for ELF objects/);
});

test('map update --socket: a sockmap slot names a socket by its cookie; the sk_lookup program steers to it', () => {
  const ctx = toHex(skLookupCtx({ family: 2, protocol: 6, remoteIp: '10.0.0.9', remotePort: 40000, localIp: '127.0.0.1', localPort: 8080 })).replace(/\s/g, '');
  const r = ebpf('map', 'update', object, '--map', 'redir_map', '--key', '00000000', '--value', '0700000000000000', '--program', 'sk_lookup_redirect',
    '--ctx', ctx, '--socket', 'tcp 127.0.0.1:8080 cookie=7', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { entries: { key: string; value: string }[]; runs: { retval: number; ctxOut: string }[] };
  assert.equal(out.entries[0].value.replace(/\s/g, ''), '0700000000000000', 'userspace reads the cookie back');
  assert.equal(out.runs[0].retval, 1, 'SK_PASS');
  assert.match(out.runs[0].ctxOut.replace(/\s/g, ''), /^0700000000000000/, 'ctx_out: the selected socket\'s cookie');
  const none = ebpf('map', 'update', object, '--map', 'redir_map', '--key', '00000000', '--value', '0700000000000000');
  assert.equal(none.code, 1, 'no socket 7 in an empty world');
  assert.match(none.stderr, /EBADF/);
});
