import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeError } from '../../src/helpers/index.js';
import { Bench, EFAULT, EINVAL, ERANGE, asm } from './util.js';

const clock = { monotonicNs: () => 5_123_456_789n, bootNs: () => 6_000_000_000n };
const faultAt = (pc: number, text: string) => (e: unknown) => e instanceof RuntimeError && e.pc === pc && e.message.includes(text);

test('clocks: coarse is monotonic cut to the last tick, tai is the wall clock + 37 s; numa node from the host', () => {
  const b = new Bench({ host: { clock, hz: 250, numaNode: 2 } });
  assert.equal(b.run('call bpf_ktime_get_coarse_ns\nexit'), 5_120_000_000n);
  assert.equal(b.run('call bpf_get_numa_node_id\nexit'), 2n);
  const tai = new Bench({ host: { clock: { ...clock, taiNs: () => 1_700_000_037_000_000_000n } } });
  assert.equal(tai.run('call bpf_ktime_get_tai_ns\nexit'), 1_700_000_037_000_000_000n);
  // A host clock without wall time: the monotonic time shifted by the TAI offset.
  assert.equal(b.run('call bpf_ktime_get_tai_ns\nexit'), 5_123_456_789n + 37_000_000_000n);
  // The default clock: TAI is 37 s ahead of Date.now().
  const now = BigInt(Date.now()) * 1_000_000n;
  const wall = new Bench().run('call bpf_ktime_get_tai_ns\nexit') - 37_000_000_000n;
  assert.ok(wall >= now && wall - now < 60_000_000_000n);
});

test('current task: pid_tgid is tgid << 32 | pid, uid_gid is gid << 32 | uid, comm is cut and NUL-padded', () => {
  const task = { pid: 1234, tgid: 1200, uid: 1000, gid: 100, comm: 'a-very-long-task-name' };
  const b = new Bench({ host: { task } });
  assert.equal(b.run('call bpf_get_current_pid_tgid\nexit'), (1200n << 32n) | 1234n);
  assert.equal(b.run('call bpf_get_current_uid_gid\nexit'), (100n << 32n) | 1000n);
  const buf = b.region(new Uint8Array(24).fill(0xff));
  assert.equal(b.run('r2 = 24\ncall bpf_get_current_comm\nexit', { r1: BigInt(buf) }), 0n);
  // TASK_COMM_LEN - 1 = 15 bytes of name, then NULs to the end of the buffer.
  assert.deepEqual(b.read(buf, 24), Uint8Array.from([...new TextEncoder().encode('a-very-long-tas'), ...new Uint8Array(9)]));
  assert.equal(b.run('r2 = 4\ncall bpf_get_current_comm\nexit', { r1: BigInt(buf) }), 0n);
  assert.deepEqual(b.read(buf, 5), Uint8Array.from([0x61, 0x2d, 0x76, 0, 0x72]));
  // The default is the idle task of the runtime's CPU.
  const idle = new Bench({ host: { cpu: 1 } });
  assert.equal(idle.run('call bpf_get_current_pid_tgid\nexit'), 0n);
  const name = idle.region(16);
  idle.run('r2 = 16\ncall bpf_get_current_comm\nexit', { r1: BigInt(name) });
  assert.equal(new TextDecoder().decode(idle.read(name, 9)), 'swapper/1');
  assert.throws(() => b.run('r1 = 0\nr2 = 16\ncall bpf_get_current_comm\nexit'),
    faultAt(2, 'bpf_get_current_comm: r1 (buf): invalid write of 16 bytes at 0x0 (no region)'));
});

test('func ip and attach cookie come with the run', () => {
  const b = new Bench();
  assert.equal(b.run('call bpf_get_func_ip\nexit', { funcIp: 0xffffffff81000000n }), 0xffffffff81000000n);
  assert.equal(b.run('call bpf_get_attach_cookie\nexit', { attachCookie: 42n }), 42n);
  assert.equal(b.run('call bpf_get_attach_cookie\nexit'), 0n);
});

test('probe_read copies readable memory; an unreadable source is -EFAULT with dst zero-filled', () => {
  for (const checked of [true, false]) {
    const b = new Bench({ vm: { checked } });
    const src = b.region('secret!!', false);
    const dst = b.region(new Uint8Array(8).fill(0xaa));
    for (const helper of ['bpf_probe_read', 'bpf_probe_read_kernel', 'bpf_probe_read_user']) {
      b.space.write(dst, new Uint8Array(8).fill(0xaa));
      assert.equal(b.run(`r2 = 8\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: BigInt(src) }), 0n);
      assert.equal(new TextDecoder().decode(b.read(dst, 8)), 'secret!!');
      b.space.write(dst, new Uint8Array(8).fill(0xaa));
      assert.equal(b.run(`r2 = 8\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: 0n }), EFAULT);
      assert.deepEqual(b.read(dst, 8), new Uint8Array(8));
      // Above 4 GiB: never readable.
      assert.equal(b.run(`r2 = 8\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: 1n << 40n }), EFAULT);
    }
    // Running off the end of the source's region faults, in either mode (the JIT's helpers run unchecked);
    // so does a source in the memory but in no region (the first 64 KiB are none's).
    assert.equal(b.run('r2 = 8\ncall bpf_probe_read\nexit', { r1: BigInt(dst), r3: BigInt(src + 4) }), EFAULT);
    assert.equal(b.run('r2 = 8\ncall bpf_probe_read_user\nexit', { r1: BigInt(dst), r3: 0x100n }), EFAULT);
    if (checked) {
      assert.throws(() => b.run('r2 = 8\ncall bpf_probe_read\nexit', { r1: BigInt(src), r3: BigInt(dst) }),
        faultAt(1, `bpf_probe_read: r1 (dst): invalid write of 8 bytes at 0x${src.toString(16)} (region data is read-only)`));
    }
    assert.equal(b.run('r2 = 0\ncall bpf_probe_read\nexit', { r1: 0n, r3: 0n }), 0n);
  }
});

test('probe_read_str: the length with its NUL, a cut string ends in a NUL, a fault is -EFAULT and zeroes', () => {
  const b = new Bench();
  const src = b.region('hello\0world');
  const dst = b.region(16);
  for (const helper of ['bpf_probe_read_str', 'bpf_probe_read_kernel_str', 'bpf_probe_read_user_str']) {
    b.space.write(dst, new Uint8Array(16).fill(0xaa));
    assert.equal(b.run(`r2 = 16\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: BigInt(src) }), 6n);
    assert.deepEqual(b.read(dst, 8), Uint8Array.from([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0xaa, 0xaa]));
    assert.equal(b.run(`r2 = 3\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: BigInt(src) }), 3n);
    assert.deepEqual(b.read(dst, 3), Uint8Array.from([0x68, 0x65, 0]));
    // 'world' has no NUL before its region ends: the copy faults.
    assert.equal(b.run(`r2 = 16\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: BigInt(src + 6) }), EFAULT);
    assert.deepEqual(b.read(dst, 16), new Uint8Array(16));
    // … unless the buffer is full first.
    assert.equal(b.run(`r2 = 5\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: BigInt(src + 6) }), 5n);
    assert.equal(b.run(`r2 = 8\ncall ${helper}\nexit`, { r1: BigInt(dst), r3: 8n }), EFAULT);
  }
});

test('strncmp compares at most s1_sz bytes and answers -1, 0 or 1', () => {
  const b = new Bench();
  const s1 = b.region('abcdef');
  const s2 = (s: string) => BigInt(b.region(`${s}\0`, false));
  const cmp = (n: number, other: string) => BigInt.asIntN(64, b.run(`r2 = ${n}\ncall bpf_strncmp\nexit`, { r1: BigInt(s1), r3: s2(other) }));
  assert.equal(cmp(6, 'abcdef'), 0n);
  assert.equal(cmp(3, 'abcxyz'), 0n);
  assert.equal(cmp(4, 'abcxyz'), -1n);
  assert.equal(cmp(6, 'abcdeA'), 1n);
  assert.equal(cmp(6, 'abc'), 1n);
  assert.equal(cmp(0, 'zzz'), 0n);
  assert.throws(() => cmp(7, 'abcdefg'), faultAt(1, 'bpf_strncmp: r1 (s1): invalid read of 7 bytes'));
  const noNul = BigInt(b.region('xyz', false));
  assert.throws(() => b.run('r2 = 3\ncall bpf_strncmp\nexit', { r1: BigInt(s1), r3: noNul }), faultAt(1, 'bpf_strncmp: r3 (s2): no NUL'));
});

test('strtol / strtoul: the kernel base rules, signs, overflow and errors', () => {
  const b = new Bench();
  const res = b.region(8);
  const parse = (helper: string, text: string, flags = 0, len = text.length) => {
    b.space.view.setBigUint64(res, 0xdeadn, true);
    const buf = b.region(text);
    const r0 = BigInt.asIntN(64, b.run(`r2 = ${len}\nr3 = ${flags}\ncall ${helper}\nexit`, { r1: BigInt(buf), r4: BigInt(res) }));
    return [r0, BigInt.asIntN(64, b.u64(res))];
  };
  const strtol = (text: string, flags = 0, len?: number) => parse('bpf_strtol', text, flags, len);
  const strtoul = (text: string, flags = 0, len?: number) => parse('bpf_strtoul', text, flags, len);
  assert.deepEqual(strtol('  -42xyz'), [5n, -42n]);
  assert.deepEqual(strtol('0x1F'), [4n, 31n]);
  assert.deepEqual(strtol('0x1F', 16), [4n, 31n]);
  assert.deepEqual(strtol('1F', 16), [2n, 31n]);
  assert.deepEqual(strtol('0755'), [4n, 493n]);
  assert.deepEqual(strtol('0x'), [1n, 0n]); // base 0: '0x' without a hex digit is octal 0
  assert.deepEqual(strtol('089', 0), [1n, 0n]);
  assert.deepEqual(strtol('089', 10), [3n, 89n]);
  assert.deepEqual(strtol('12345', 10, 3), [3n, 123n]);
  assert.deepEqual(strtol('\t\n 7'), [4n, 7n]);
  assert.deepEqual(strtol('9223372036854775807'), [19n, 9223372036854775807n]);
  assert.deepEqual(strtol('-9223372036854775808'), [20n, -9223372036854775808n]);
  assert.deepEqual(strtol('9223372036854775808'), [BigInt(-34), 0n]);
  assert.deepEqual(strtol('-9223372036854775809'), [BigInt(-34), 0n]);
  assert.deepEqual(strtol('99999999999999999999'), [BigInt(-34), 0n]);
  assert.deepEqual(strtol('xyz'), [-22n, 0n]);
  assert.deepEqual(strtol('   '), [-22n, 0n]);
  assert.deepEqual(strtol('-'), [-22n, 0n]);
  assert.deepEqual(strtol('0x', 16), [-22n, 0n]);
  assert.deepEqual(strtol('12', 2), [-22n, 0n]); // base 2 is not one of 0, 8, 10, 16
  assert.deepEqual(strtol('12', 0x20), [-22n, 0n]); // no flags besides the base
  assert.deepEqual(strtoul('18446744073709551615'), [20n, -1n]);
  assert.deepEqual(strtoul('18446744073709551616'), [BigInt(-34), 0n]);
  assert.deepEqual(strtoul('-1'), [-22n, 0n]);
  assert.deepEqual(strtoul('+1'), [-22n, 0n]);
  assert.equal(BigInt.asUintN(64, strtol('x')[0]), EINVAL);
  assert.equal(BigInt.asUintN(64, strtol('99999999999999999999')[0]), ERANGE);
  assert.throws(() => b.run('r2 = 4\nr3 = 0\ncall bpf_strtol\nexit', { r1: BigInt(res), r4: 0n }), faultAt(2, 'bpf_strtol: r4 (res): invalid write of 8 bytes at 0x0'));
});

test('snprintf: the whole length + 1, output cut to the buffer; the kernel printf rules and errors', () => {
  const b = new Bench();
  const out = b.region(64);
  const ip = b.region(Uint8Array.from([192, 168, 1, 7]));
  const name = b.region('eth0\0');
  const snprintf = (fmt: string, args: bigint[], size = 64) => {
    b.space.write(out, new Uint8Array(64).fill(0xaa));
    const f = b.region(`${fmt}\0`, false);
    const data = b.region(args.length * 8 || 1);
    args.forEach((a, k) => b.space.view.setBigUint64(data + 8 * k, BigInt.asUintN(64, a), true));
    const r0 = BigInt.asIntN(64, b.run(`r2 = ${size}\nr5 = ${args.length * 8}\ncall bpf_snprintf\nexit`, { r1: BigInt(out), r3: BigInt(f), r4: BigInt(data) }));
    const bytes = b.read(out, 64);
    const nul = bytes.indexOf(0);
    return { r0, text: new TextDecoder().decode(bytes.subarray(0, nul < 0 ? 0 : nul)) };
  };
  assert.deepEqual(snprintf('%d %u %x %05lld', [-5n, 7n, 255n, 42n]), { r0: 14n, text: '-5 7 ff 00042' });
  assert.deepEqual(snprintf('%pI4 on %s', [BigInt(ip), BigInt(name)]), { r0: 20n, text: '192.168.1.7 on eth0' });
  assert.deepEqual(snprintf('%s-%c', [BigInt(name), 0x41n]), { r0: 7n, text: 'eth0-A' });
  assert.deepEqual(snprintf('0123456789', [], 5), { r0: 11n, text: '0123' });
  assert.equal(snprintf('%d', [1n, 2n]).r0, 2n); // more arguments than conversions is fine
  assert.equal(snprintf('%d %d', [1n]).r0, -22n); // fewer is -EINVAL
  assert.equal(snprintf('%n', [1n]).r0, -22n);
  assert.equal(snprintf('%.2d', [1n]).r0, -22n);
  // str_size 0: nothing written, the needed length returned.
  const f = b.region('abc\0', false);
  assert.equal(b.run('r1 = 0\nr2 = 0\nr4 = 0\nr5 = 0\ncall bpf_snprintf\nexit', { r3: BigInt(f) }), 4n);
  // data_len must be a multiple of 8, at most 12 arguments.
  assert.equal(b.run('r2 = 8\nr5 = 4\ncall bpf_snprintf\nexit', { r1: BigInt(out), r3: BigInt(f), r4: BigInt(out) }), EINVAL);
  assert.equal(b.run('r2 = 8\nr5 = 104\ncall bpf_snprintf\nexit', { r1: BigInt(out), r3: BigInt(f), r4: BigInt(out) }), EINVAL);
  assert.equal(b.run('r2 = 8\nr4 = 0\nr5 = 8\ncall bpf_snprintf\nexit', { r1: BigInt(out), r3: BigInt(f) }), EINVAL);
  assert.throws(() => b.run('r2 = 8\nr5 = 0\ncall bpf_snprintf\nexit', { r1: BigInt(f), r3: BigInt(f) }),
    faultAt(2, 'bpf_snprintf: r1 (str): invalid write of 8 bytes'));
});

test('trace_vprintk prints with up to 12 arguments from memory', () => {
  const lines: string[] = [];
  const b = new Bench({ host: { print: (t) => lines.push(t) } });
  const fmt = b.region('%d+%d=%d\0', false);
  const data = b.region(24);
  [2n, 3n, 5n].forEach((v, k) => b.space.view.setBigUint64(data + 8 * k, v, true));
  assert.equal(b.run('r2 = 9\nr4 = 24\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: BigInt(data) }), 5n);
  assert.deepEqual(lines, ['2+3=5']);
  assert.equal(b.run('r2 = 9\nr4 = 12\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: BigInt(data) }), EINVAL);
  assert.equal(b.run('r2 = 0\nr4 = 24\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: BigInt(data) }), EINVAL);
  assert.equal(b.run('r2 = 4\nr4 = 24\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: BigInt(data) }), EINVAL); // no NUL within fmt_size
  assert.equal(b.run('r2 = 9\nr4 = 8\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: BigInt(data) }), EINVAL); // 3 conversions, 1 argument
  assert.throws(() => b.run('r2 = 9\nr4 = 24\ncall bpf_trace_vprintk\nexit', { r1: BigInt(fmt), r3: 8n }), faultAt(2, 'bpf_trace_vprintk: r3 (data): invalid read of 24 bytes at 0x8'));
});

test('get_stack: the call chain innermost first, skip, zero fill, and the kernel errors', () => {
  const b = new Bench({ host: { userStack: () => [0x401000n, 0x402000n] } });
  const buf = b.region(32);
  // main calls f at slot 2; f calls bpf_get_stack at slot 8.
  const prog = (flags: number, size = 32) => `
    r6 = r1
    r1 = r6
    call f
    exit
    r0 = 0
    exit
  f:
    r2 = r1
    r1 = 0
    r3 = ${size}
    r4 = ${flags}
    call bpf_get_stack
    exit`;
  const run = (flags: number, size?: number) => {
    b.space.write(buf, new Uint8Array(32).fill(0xaa));
    const r0 = BigInt.asIntN(64, b.run(prog(flags, size), { r1: BigInt(buf) }));
    return { r0, ips: [0, 1, 2, 3].map((k) => b.u64(buf + 8 * k)) };
  };
  assert.deepEqual(run(0), { r0: 16n, ips: [10n * 8n, 2n * 8n, 0n, 0n] });
  assert.deepEqual(run(1), { r0: 8n, ips: [2n * 8n, 0n, 0n, 0n] });
  assert.deepEqual(run(2), { r0: 0n, ips: [0n, 0n, 0n, 0n] });
  assert.deepEqual(run(3), { r0: -14n, ips: [0n, 0n, 0n, 0n] });
  assert.deepEqual(run(0, 8), { r0: 8n, ips: [80n, 0xaaaaaaaaaaaaaaaan, 0xaaaaaaaaaaaaaaaan, 0xaaaaaaaaaaaaaaaan] });
  assert.deepEqual(run(0x100), { r0: 16n, ips: [0x401000n, 0x402000n, 0n, 0n] });
  assert.equal(run(0, 12).r0, -22n);
  assert.equal(run(0x800).r0, -22n); // build ids only for the user stack
  assert.equal(run(0x1000).r0, -22n);
  const ids = run(0x900);
  assert.equal(ids.r0, 32n);
  assert.equal(b.space.view.getInt32(buf, true), 2); // BPF_STACK_BUILD_ID_IP
  assert.equal(ids.ips[3], 0x401000n);
});

test('assembled programs used by the tests are what they say', () => {
  assert.equal(asm('r1 = 5 ll\nexit').length, 3);
});
