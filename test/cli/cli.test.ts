import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceNegative, conformanceTests, repoRoot } from '../paths.js';

const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const example = (name: string) => join(repoRoot, 'examples', name);

function ebpf(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('conformance: the whole suite passes on the interpreter, nothing skipped', () => {
  const r = ebpf('conformance', conformanceTests, '--engine', 'interp');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines, ['313 passed, 0 failed']);
});

test('conformance: the whole suite passes on the JIT too', () => {
  const r = ebpf('conformance', conformanceTests, '--engine', 'jit');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '313 passed, 0 failed\n');
});

test('run --engine jit gives the interpreter\'s results; disasm --jited prints the module', () => {
  const frame = readFileSync(example('udp-frame.hex'), 'utf8');
  for (const [name, data] of [['fib.s', '14'], ['sum-bytes.s', '0102030405'], ['ipv4-proto.s', frame]]) {
    const interp = JSON.parse(ebpf('run', example(name), '--data', data, '--json', '--no-verify').stdout);
    const jit = JSON.parse(ebpf('run', example(name), '--data', data, '--json', '--engine', 'jit', '--no-verify').stdout);
    assert.equal(jit.engine, 'jit');
    assert.deepEqual([jit.retval, jit.dataOut], [interp.retval, interp.dataOut], name);
  }
  const wat = ebpf('disasm', '--jited', example('fib.s'));
  assert.equal(wat.code, 0, wat.stderr);
  assert.match(wat.stdout, /^\(module\n/);
  assert.match(wat.stdout, /\(import "env" "memory" \(memory /);
});

test('conformance: every negative file is rejected, each with its own reason', () => {
  const r = ebpf('conformance', conformanceNegative);
  assert.equal(r.code, 1);
  const files = readdirSync(conformanceNegative).filter((f) => f.endsWith('.data'));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), `0 passed, ${files.length} failed`);
  for (const f of files) {
    const line = lines.find((l) => l.startsWith(`FAIL ${f}: `));
    assert.ok(line, `no FAIL line for ${f}`);
    assert.ok(line.length > `FAIL ${f}: `.length + 10, `reason too thin: ${line}`);
  }
  assert.match(r.stdout, /FAIL invalid_register\.data: 4:9: .*%r50/);
  assert.match(r.stdout, /FAIL unused-exit-imm\.data: insn 0: exit .* imm=1/);
  assert.match(r.stdout, /FAIL incorrect_return_value_high_bits\.data: expected 0x8977665544332211, got 0x8877665544332211/);
});

test('conformance --json gives the counts and each result', () => {
  const r = ebpf('conformance', conformanceNegative, '--json');
  const out = JSON.parse(r.stdout);
  assert.equal(out.engine, 'jit', 'the JIT is the default engine');
  assert.equal(out.passed, 0);
  assert.equal(out.failed, out.results.length);
  assert.ok(out.results.every((x: { status: string; reason: string }) => x.status === 'fail' && x.reason));
});

test('run: examples give their results, and --json has the documented shape', () => {
  // The examples use the raw-run contract (r1 = memory, r2 = its length), which no kernel program type has.
  assert.equal(ebpf('run', example('sum-bytes.s'), '--data', '01 02 03 04', '--no-verify').stdout, '0xa\n');
  assert.equal(ebpf('run', example('fib.s'), '--no-verify').stdout, '0x37\n');
  const frame = readFileSync(example('udp-frame.hex'), 'utf8');
  const r = ebpf('run', example('ipv4-proto.s'), '--data', frame, '--json', '--repeat', '3', '--no-verify');
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['engine', 'retval', 'durationNs', 'dataOut']);
  assert.equal(out.engine, 'jit');
  assert.equal(out.retval, '17');
  assert.equal(out.dataOut, frame.replace(/\s+/g, ''));
  assert.ok(Number.isInteger(out.durationNs) && out.durationNs >= 0);
});

test('run: retval is the unsigned 64-bit r0 in decimal; dataOut shows stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  const src = join(dir, 'p.s');
  writeFileSync(src, 'stb [%r1+1], 0x7f\nmov %r0, -1\nexit\n');
  const out = JSON.parse(ebpf('run', src, '--data', '0000', '--json', '--no-verify').stdout);
  assert.equal(out.retval, '18446744073709551615');
  assert.equal(out.dataOut, '007f');
});

test('asm -o then disasm of the raw file, and re-assembly of each format, give the same bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  for (const name of ['fib.s', 'sum-bytes.s', 'ipv4-proto.s']) {
    const bin = join(dir, name + '.bin');
    assert.equal(ebpf('asm', example(name), '-o', bin).code, 0);
    const original = readFileSync(bin);
    for (const format of ['kernel', 'llvm', 'ubpf']) {
      const text = ebpf('disasm', bin, '--format', format).stdout;
      const again = join(dir, `${name}.${format}.s`);
      writeFileSync(again, text);
      const bin2 = join(dir, `${name}.${format}.bin`);
      assert.equal(ebpf('asm', again, '-o', bin2).code, 0, `${name} ${format}`);
      assert.deepEqual(readFileSync(bin2), original, `${name} via ${format}`);
    }
  }
});

test('errors: one line, a location where there is one, exit 2 for usage and unreadable input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  const bad = join(dir, 'bad.s');
  writeFileSync(bad, 'mov %r0, 1\nor %r0, %r50\nexit\n');
  let r = ebpf('run', bad);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`^ebpf: ${bad.replace(/[/.]/g, '\\$&')}:2:9: .*%r50`));
  assert.equal(r.stderr.trim().split('\n').length, 1);

  r = ebpf('run', join(dir, 'missing.s'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ebpf: cannot read .*missing\.s: no such file\n$/);

  r = ebpf('run', example('fib.s'), '--repeat', 'x');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--repeat takes a whole number/);

  r = ebpf('run', example('fib.s'), '--bogus');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);

  r = ebpf('conformance', join(dir, 'nowhere'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ebpf: cannot read .*nowhere/);
});

test('errors: a runtime fault names the pc and address; --debug adds the stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  const src = join(dir, 'fault.s');
  writeFileSync(src, 'mov %r1, 0\nldxdw %r0, [%r1+16]\nexit\n');
  // The interpreter's checked mode locates a stray access; the JIT only keeps it inside the runtime's memory.
  let r = ebpf('run', src, '--no-verify', '--engine', 'interp');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ebpf: warning: --no-verify: .*\nebpf: pc 1: .*0x10/);
  assert.equal(r.stderr.trim().split('\n').length, 2);
  r = ebpf('run', src, '--debug', '--no-verify', '--engine', 'interp');
  assert.match(r.stderr, /\n\s+at /);
});

test('run verifies a raw program first: a rejection is refused with the message and the explanation, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  const fault = join(dir, 'fault.s');
  writeFileSync(fault, 'mov %r1, 0\nldxdw %r0, [%r1+16]\nexit\n');
  for (const engine of ['interp', 'jit']) {
    const r = ebpf('run', fault, '--engine', engine);
    assert.equal(r.code, 1, engine);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ebpf: .*fault\.s: the verifier rejected the program \(as socket_filter\) at insn 1: R1 invalid mem access 'scalar'\nrejected at insn 1: \(79\) r0 = \*\(u64 \*\)\(r1 \+16\)\n/);
    assert.match(r.stderr, /\n {2}hint: R1 holds a number, not a pointer/);
    assert.match(r.stderr, /--no-verify runs it anyway\)\n$/);
  }
  // Accepted: it runs, nothing on stderr.
  const ok = join(dir, 'ok.s');
  writeFileSync(ok, 'r0 = *(u32 *)(r1 + 0)\nr0 = 7\nexit\n');
  let r = ebpf('run', ok, '--data', '01020304');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '0x7\n', '']);
  // --type picks the program type it is verified as: xdp_md has no field at offset 24.
  const ctx = join(dir, 'ctx.s');
  writeFileSync(ctx, 'r0 = *(u32 *)(r1 + 24)\nr0 = 2\nexit\n');
  assert.equal(ebpf('run', ctx, '--data', '00'.repeat(32)).code, 0);
  r = ebpf('run', ctx, '--data', '00'.repeat(32), '--type', 'xdp');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\(as xdp\) at insn 0: invalid bpf_context access off=24 size=4\n/);
  assert.equal(ebpf('run', ctx, '--type', 'nonsense').code, 2);
  // --no-verify: one warning line, then the run.
  r = ebpf('run', ctx, '--data', '00'.repeat(32), '--type', 'xdp', '--no-verify');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '0x2\n', 'ebpf: warning: --no-verify: running a program the verifier has not accepted\n']);
});

test('verify with our verifier: no privileges needed, the kernel\'s words and exit codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  const ok = join(dir, 'ok.s');
  writeFileSync(ok, 'r0 = 0\nexit\n');
  let r = ebpf('verify', ok, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    accepted: true, processedInsns: 2, error: null,
    log: 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n', summary: null,
  });
  const bad = join(dir, 'bad.s');
  writeFileSync(bad, 'r0 = *(u64 *)(r1 + 0)\nexit\n');
  r = ebpf('verify', bad, '--type', 'xdp', '--engine', 'ours');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^0: R1=ctx\(\) R10=fp0\n0: \(79\) r0 = \*\(u64 \*\)\(r1 \+0\)\ninvalid bpf_context access off=0 size=8\n/);
  assert.match(r.stdout, /rejected: invalid bpf_context access off=0 size=8\n$/);
  // The log is the kernel's format untouched; the explanation follows it, set apart.
  const json = JSON.parse(ebpf('verify', bad, '--type', 'xdp', '--json').stdout);
  assert.deepEqual(Object.keys(json), ['accepted', 'processedInsns', 'error', 'log', 'summary']);
  assert.equal(r.stdout, `${json.log}-- explanation (not part of the verifier log) --\n${json.summary}rejected: invalid bpf_context access off=0 size=8\n`);
  assert.match(json.summary, /^rejected at insn 0: \(79\) r0 = \*\(u64 \*\)\(r1 \+0\)\n/);
  assert.match(json.summary, /hint: xdp_md\.data has 4 bytes at offset 0: an 8-byte access at 0 runs past it\n$/);
});

test('verify on an ELF object: one verdict per program, --program picks one, JSON gives an array', () => {
  const obj = (name: string) => join(repoRoot, 'testdata', 'obj', name);
  let r = ebpf('verify', obj('subprogs.o'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'calls_static: accepted\ncalls_global: accepted\nuses_loop: accepted\nno_calls: accepted\n');
  r = ebpf('verify', obj('subprogs.o'), '--json');
  const all = JSON.parse(r.stdout);
  assert.deepEqual(all.map((v: { program: string; accepted: boolean }) => [v.program, v.accepted]), [
    ['calls_static', true], ['calls_global', true], ['uses_loop', true], ['no_calls', true],
  ]);
  r = ebpf('verify', obj('subprogs.o'), '--program', 'calls_global', '--log-level', '2');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Func#1 \('global_twice'\) is global and assumed valid\.\n/);
  assert.match(r.stdout, /Validating global_add\(\) func#2\.\.\.\n/);
  assert.match(r.stdout, /calls_global: accepted\n$/);
  // A program type our verifier cannot judge yet is named, and the exit code says so.
  r = ebpf('verify', obj('programs.o'));
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^struct_ops_prog: not verified: struct_ops programs are verified against their attach target's BTF/m);
  assert.match(r.stdout, /^xdp_pass: accepted$/m);
  // A program that cannot be loaded (its CO-RE relocation fails against the object's own BTF) is named too; the others are verified.
  r = ebpf('verify', obj('core.o'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^core_types: not verified: .*CO-RE relocation #1 .*ambiguity/m);
  assert.match(r.stdout, /^core_fields: accepted$/m);
  r = ebpf('verify', obj('subprogs.o'), '--program', 'nope');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the object has no program nope \(it has: calls_static, calls_global, uses_loop, no_calls\)/);
  r = ebpf('verify', obj('subprogs.o'), '--type', 'xdp');
  assert.equal(r.code, 2);
});

test('every subcommand has --help', () => {
  for (const cmd of ['asm', 'disasm', 'run', 'conformance', 'verify', 'inspect', 'map']) {
    const r = ebpf(cmd, '--help');
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`Usage: ebpf ${cmd}`));
  }
});
