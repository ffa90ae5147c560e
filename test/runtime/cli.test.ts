/** The object commands of the `ebpf` CLI: run OBJ.o, map, inspect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/internal/bytes.js';
import { kernelOrSkip } from '../kernel/env.js';
import { repoRoot } from '../paths.js';
import { udpPacket, writePcap } from './packets.js';

const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const obj = join(repoRoot, 'testdata', 'obj', 'behaviour.o');

function ebpf(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const pkt = toHex(udpPacket());

test('run OBJ.o --program: retval, verdict and data out, as text and JSON', () => {
  const text = ebpf('run', obj, '--program', 'xdp_parse', '--data', pkt);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, `retval 3 (XDP_TX)\n  data_out ${pkt}\n`);
  const json = ebpf('run', obj, '--program', 'xdp_parse', '--data', pkt, '--json');
  const r = JSON.parse(json.stdout);
  assert.deepEqual([r.engine, r.program, r.retval, r.verdict, r.dataOut, r.ctxOut], ['jit', 'xdp_parse', 3, 'XDP_TX', pkt, '']);
});

test('run OBJ.o --set: a .rodata variable set before load', () => {
  const r = ebpf('run', obj, '--program', 'xdp_parse', '--data', pkt, '--set', 'min_len=100', '--json');
  assert.equal(JSON.parse(r.stdout).verdict, 'XDP_DROP', r.stderr);
  const bad = ebpf('run', obj, '--program', 'xdp_parse', '--data', pkt, '--set', 'nothing=1');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ebpf: --set nothing: /);
});

test('run OBJ.o --ctx: a context-only program and its ctx out', () => {
  const r = JSON.parse(ebpf('run', obj, '--program', 'syscall_square', '--ctx', '0500000000000000', '--json').stdout);
  assert.deepEqual([r.retval, r.ctxOut], [6, '0500000019000000']);
});

test('run OBJ.o --pcap: one result per packet; --dump-maps shows what the runs counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-pcap-'));
  const file = join(dir, 'in.pcap');
  const short = udpPacket().subarray(0, 18);
  writeFileSync(file, writePcap([udpPacket(), short, udpPacket()], { le: false, ns: true }));
  const r = ebpf('run', obj, '--program', 'xdp_parse', '--pcap', file, '--json', '--dump-maps');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.slice(0, 3).map((l) => [l.packet, l.retval]), [[0, 3], [1, 1], [2, 3]], 'the 18-byte packet is under min_len: XDP_DROP');
  assert.deepEqual(lines[3].maps.lengths.map((e: { value: string }) => e.value), ['2c000000', '12000000', '2c000000']);
  assert.deepEqual(lines[3].maps.seen_daddr, null, 'a bloom filter cannot be listed');
  assert.equal(readFileSync(file).length > 0, true);
});

test('map update runs the program after the change; lookup reads after the run', () => {
  const up = ebpf('map', 'update', obj, '--map', 'routes', '--key', '180000000a000000', '--value', '02000000', '--program', 'xdp_parse', '--data', pkt, '--json');
  assert.equal(up.code, 0, up.stderr);
  const u = JSON.parse(up.stdout);
  assert.equal(u.runs[0].retval, 2, 'the route decided the verdict');
  assert.deepEqual(u.entries, [{ key: '180000000a000000', value: '02000000' }]);
  const look = ebpf('map', 'lookup', obj, '--map', 'array_count', '--key', '01000000', '--program', 'xdp_parse', '--data', pkt);
  assert.equal(look.stdout, '2c00000000000000\n');
  const del = ebpf('map', 'delete', obj, '--map', 'array_count', '--key', '01000000');
  assert.equal(del.code, 1, 'array elements cannot be deleted');
  assert.match(del.stderr, /^ebpf: .*EINVAL/);
});

test('inspect OBJ: text and JSON', () => {
  const text = ebpf('inspect', obj);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /xdp_parse\s+xdp\s+xdp/);
  const json = JSON.parse(ebpf('inspect', obj, '--json').stdout);
  assert.equal(json.programs.length, 16);
  assert.ok(json.maps.some((m: { name: string; type: string }) => m.name === 'routes' && m.type === 'lpm_trie'));
});

test('object commands: one-line errors, exit 2 for bad usage or input, 1 for a refused run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-obj-'));
  const truncated = join(dir, 'cut.o');
  writeFileSync(truncated, readFileSync(obj).subarray(0, 100));
  const cases: [string[], number, RegExp][] = [
    [['run', obj, '--data', pkt], 2, /has 16 programs: name one with --program/],
    [['run', obj, '--program', 'nope', '--data', pkt], 2, /has no program 'nope'/],
    [['run', obj, '--program', 'xdp_parse', '--data', 'zz'], 2, /--data: 'zz' is not hex bytes/],
    [['run', obj, '--program', 'xdp_parse', '--data', '00', '--pcap', 'x'], 2, /give one of --data, --pcap/],
    [['run', obj, '--program', 'xdp_parse', '--data', '00'], 1, /ETH_HLEN.*\(EINVAL\)/],
    [['run', truncated, '--program', 'x'], 2, /cut\.o: .*section headers/],
    [['inspect', truncated], 2, /cut\.o: /],
    [['map', 'lookup', obj, '--map', 'nope', '--key', '00'], 2, /has no map 'nope'/],
    [['map', 'lookup', obj, '--map', 'array_count', '--key', '0100'], 2, /keys are 4 bytes, got 2/],
  ];
  for (const [args, code, message] of cases) {
    const r = ebpf(...args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('run OBJ.o --engine kernel gives the interpreter\'s result', (t) => {
  if (!kernelOrSkip(t)) return;
  for (const program of ['xdp_parse', 'tc_rewrite', 'socket_keep']) {
    const interp = JSON.parse(ebpf('run', obj, '--program', program, '--data', pkt, '--json').stdout);
    const kernel = JSON.parse(ebpf('run', obj, '--program', program, '--data', pkt, '--json', '--engine', 'kernel').stdout);
    assert.deepEqual([kernel.retval, kernel.dataOut, kernel.ctxOut], [interp.retval, interp.dataOut, interp.ctxOut], program);
  }
});

test('object commands run only what our verifier accepts: a rejection exits 1, an unverifiable type 2, --no-verify warns and runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-obj-'));
  // behaviour.o with xdp_parse's first load (r2 = xdp_md.data_end, at offset 4) moved to offset 24, past the end of xdp_md.
  const bytes = readFileSync(obj);
  const first = Buffer.from('6112040000000000', 'hex');
  const at = bytes.indexOf(first);
  assert.ok(at > 0 && bytes.indexOf(first, at + 1) < 0, 'xdp_parse\'s first instruction is found once');
  bytes[at + 2] = 24;
  const patched = join(dir, 'patched.o');
  writeFileSync(patched, bytes);
  for (const args of [['run', patched, '--program', 'xdp_parse', '--data', pkt], ['map', 'dump', patched, '--map', 'array_count']]) {
    for (const engine of ['interp', 'jit']) {
      const r = ebpf(...args, '--engine', engine);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^ebpf: .*patched\.o: program xdp_parse: verifier rejected the program at insn 0: invalid bpf_context access off=24 size=4\nrejected at insn 0: /);
      assert.match(r.stderr, /\(ebpf verify .*patched\.o --program xdp_parse prints the whole log; --no-verify runs it anyway\)\n$/);
    }
  }
  // The other programs of the object are not affected.
  assert.equal(ebpf('run', patched, '--program', 'socket_keep', '--data', pkt).code, 0);
  // --no-verify: one warning line, then the load and the dump.
  let r = ebpf('map', 'dump', patched, '--map', 'array_count', '--no-verify');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'ebpf: warning: --no-verify: running a program the verifier has not accepted\n');
  assert.match(r.stdout, /^map array_count /);
  // A program type our verifier cannot judge yet: exit 2, with the reason and the way out.
  const programs = join(repoRoot, 'testdata', 'obj', 'programs.o');
  r = ebpf('run', programs, '--program', 'struct_ops_prog');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ebpf: .*programs\.o: program struct_ops_prog: our verifier cannot verify it yet: struct_ops programs are verified against their attach target's BTF .* \(--no-verify runs it anyway\)\n$/);
});
