/**
 * The backend against scripted syscalls: the attr bytes it builds, how it
 * turns errnos into errors, how it grows the verifier log, and that every
 * buffer and descriptor it takes is given back. No kernel needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VerifierError } from '../../src/internal/errors.js';
import {
  ATTR, BPF_CMD, BPF_NOEXIST, FdClosedError, Kernel, KernelArgumentError, KernelError, countCpuList, createMap,
  errnoName, errnoOf, kernelStatus, loadProgram, verifyOnKernel,
} from '../../src/kernel/index.js';
import { FakeSys } from './fake-sys.js';

/** The error `fn` throws, checked to be a `type`. */
function thrown<E>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ${type.name}, nothing was thrown`);
}

const EXIT_PROG = [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];

test('MAP_CREATE lays out union bpf_attr as the uAPI does, and close() closes once', () => {
  let seen: DataView | undefined;
  let name = '';
  const fake = new FakeSys((call, args, sys) => {
    if (call === 'close') return 0;
    assert.equal(call, 'bpf');
    assert.equal(args[0], BigInt(BPF_CMD.MAP_CREATE));
    assert.equal(args[2], BigInt(ATTR.mapCreate.end));
    seen = new DataView(sys.bytesAt(args[1]).slice().buffer);
    name = new TextDecoder().decode(sys.bytesAt(args[1]).subarray(28, 44)).replace(/\0+$/, '');
    return 42;
  });
  const map = createMap(new Kernel(fake), { type: 'lru_hash', keySize: 4, valueSize: 16, maxEntries: 128, flags: 2, name: 'a_very_long_map_name', mapExtra: 7n });
  assert.ok(seen);
  assert.deepEqual(
    [0, 4, 8, 12, 16].map((o) => seen!.getUint32(o, true)),
    [9, 4, 16, 128, 2],
  );
  assert.equal(seen.getBigUint64(64, true), 7n);
  assert.equal(name, 'a_very_long_map', 'the name is cut to 15 bytes and a NUL');
  assert.equal(map.fd.value, 42);
  map.close();
  map.close();
  assert.deepEqual(fake.calls.filter((c) => c.name === 'close').map((c) => c.args[0]), [42n]);
  assert.throws(() => map.fd.value, FdClosedError);
  assert.equal(fake.live.size, 0, 'every scratch buffer was freed');
});

test('an errno becomes a KernelError naming the command', () => {
  const fake = new FakeSys(() => -errnoOf('EINVAL'));
  const e = thrown(() => createMap(new Kernel(fake), { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'counters' }), KernelError);
  assert.equal(e.message, 'BPF_MAP_CREATE: EINVAL (22): map counters');
  assert.equal(e.code, 'EKERNEL');
  assert.equal(e.errno, 22);
  assert.equal(e.errnoName, 'EINVAL');
  assert.equal(e.command, 'BPF_MAP_CREATE');
  assert.equal(fake.live.size, 0);
});

test('errno names come from the platform, kernel-internal ones from the kernel', () => {
  assert.equal(errnoName(2), 'ENOENT');
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoName(4000), 'E4000');
  assert.equal(errnoOf('ENOTSUPP'), 524);
});

test('map element calls: ENOENT is "absent" for lookup and getNextKey, the kernel\'s error for delete', () => {
  const { MAP_LOOKUP_ELEM, MAP_DELETE_ELEM, MAP_GET_NEXT_KEY, MAP_UPDATE_ELEM } = BPF_CMD;
  const stored = new Map<number, Uint8Array>([[1, Uint8Array.of(1, 2, 3, 4)]]);
  const fake = new FakeSys((call, args, sys) => {
    if (call === 'close') return 0;
    const attr = sys.view(args[1]);
    const key = () => sys.view(attr.getBigUint64(8, true)).getUint32(0, true);
    switch (Number(args[0])) {
      case BPF_CMD.MAP_CREATE: return 3;
      case MAP_LOOKUP_ELEM: {
        const v = stored.get(key());
        if (!v) return -errnoOf('ENOENT');
        sys.bytesAt(attr.getBigUint64(16, true)).set(v);
        return 0;
      }
      case MAP_UPDATE_ELEM:
        if (attr.getBigUint64(24, true) === BigInt(BPF_NOEXIST) && stored.has(key())) return -errnoOf('EEXIST');
        stored.set(key(), sys.bytesAt(attr.getBigUint64(16, true)).slice());
        return 0;
      case MAP_DELETE_ELEM: return stored.delete(key()) ? 0 : -errnoOf('ENOENT');
      case MAP_GET_NEXT_KEY: {
        const keys = [...stored.keys()].sort();
        const cur = attr.getBigUint64(8, true) === 0n ? -1 : key();
        const next = keys.find((k) => k > cur);
        if (next === undefined) return -errnoOf('ENOENT');
        sys.view(attr.getBigUint64(16, true)).setUint32(0, next, true);
        return 0;
      }
      default: return -errnoOf('EINVAL');
    }
  });
  using map = createMap(new Kernel(fake), { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
  const k = (n: number) => Uint8Array.of(n, 0, 0, 0);
  assert.deepEqual(map.lookup(k(1)), Uint8Array.of(1, 2, 3, 4));
  assert.equal(map.lookup(k(2)), undefined);
  map.update(k(2), Uint8Array.of(9, 9, 9, 9));
  assert.throws(() => map.update(k(2), Uint8Array.of(0, 0, 0, 0), BPF_NOEXIST), /BPF_MAP_UPDATE_ELEM: EEXIST \(17\)/);
  assert.deepEqual([...map.keys()].map((key) => key[0]), [1, 2]);
  assert.deepEqual([...map.entries()].map(([key, v]) => [key[0], v[0]]), [[1, 1], [2, 9]]);
  map.delete(k(1));
  assert.throws(() => map.delete(k(1)), (e: unknown) => e instanceof KernelError && e.errnoName === 'ENOENT' && e.command === 'BPF_MAP_DELETE_ELEM');
  assert.throws(() => map.lookup(Uint8Array.of(1)), KernelArgumentError);
  assert.throws(() => map.update(k(1), Uint8Array.of(1)), /value is 1 bytes, the map's values are 4/);
  map.close();
  assert.equal(fake.live.size, 0);
});

test('bad arguments are refused before the kernel sees them', () => {
  const fake = new FakeSys(() => 3);
  const kernel = new Kernel(fake);
  assert.throws(() => createMap(kernel, { type: 'no_such_map', keySize: 4, valueSize: 4, maxEntries: 1 }), /unknown map type 'no_such_map'/);
  assert.throws(() => createMap(kernel, { type: 'hash', keySize: -1, valueSize: 4, maxEntries: 1 }), KernelArgumentError);
  assert.throws(() => loadProgram(kernel, { type: 'no_such_prog', insns: EXIT_PROG }), /unknown program type 'no_such_prog'/);
  assert.equal(fake.calls.length, 0);
});

/** A fake verifier: rejects with a log of `lines`, honouring log_size the way the kernel does (ENOSPC, log_true_size). */
function verifierFake(log: string, sizes: number[], errno = errnoOf('EACCES')): FakeSys {
  const full = new TextEncoder().encode(log);
  return new FakeSys((call, args, sys) => {
    if (call !== 'bpf' || args[0] !== BigInt(BPF_CMD.PROG_LOAD)) return 0;
    const a = ATTR.progLoad;
    const attr = sys.view(args[1]);
    const level = attr.getUint32(a.logLevel, true);
    const size = attr.getUint32(a.logSize, true);
    if (!level) return -errno;
    sizes.push(size);
    const buf = sys.bytesAt(attr.getBigUint64(a.logBuf, true));
    attr.setUint32(a.logTrueSize, full.length + 1, true);
    if (full.length + 1 > size) {
      buf.set(full.subarray(0, size - 1));
      return -errnoOf('ENOSPC');
    }
    buf.set(full);
    return -errno;
  });
}

test('PROG_LOAD grows the log buffer until the whole log fits, and a rejection is a VerifierError', () => {
  const walk = Array.from({ length: 3000 }, (_, i) => `${i}: (b7) r0 = ${i}                        ; R0_w=${i}`).join('\n');
  const log = `${walk}\n3000: (71) r0 = *(u8 *)(r1 +70000)\ninvalid access to packet, off=70000 size=1, R1(id=0,off=70000,r=0)\nR1 offset is outside of the packet\nprocessed 3001 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`;
  const sizes: number[] = [];
  const fake = verifierFake(log, sizes);
  const err = thrown(() => loadProgram(new Kernel(fake), { type: 'xdp', insns: EXIT_PROG, logLevel: 2, logSize: 1024 }), VerifierError);
  assert.equal(err.log, log, 'the whole log, not a truncated one');
  assert.equal(err.insn, 3000);
  assert.equal(err.summary, 'invalid access to packet, off=70000 size=1, R1(id=0,off=70000,r=0)\nR1 offset is outside of the packet');
  assert.match(err.message, /^BPF_PROG_LOAD: EACCES \(13\): .*at insn 3000: invalid access to packet/);
  assert.ok(err.cause instanceof KernelError && err.cause.errno === 13);
  assert.equal(sizes[0], 1024);
  assert.ok(sizes.length >= 2 && sizes.at(-1)! >= log.length + 1, `sizes grew: ${sizes.join(', ')}`);
  assert.equal(fake.live.size, 0);
});

test('without a log level, a failed load is retried with one so that the error has the kernel\'s reason', () => {
  const sizes: number[] = [];
  const fake = verifierFake('0: R1=ctx() R10=fp0\n0: (bf) r0 = r3\nR3 !read_ok\nprocessed 1 insns\n', sizes);
  const verdict = verifyOnKernel(new Kernel(fake), EXIT_PROG);
  assert.deepEqual(verdict.error, { insn: 0, message: 'R3 !read_ok' });
  assert.equal(verdict.accepted, false);
  assert.equal(verdict.processedInsns, 1);
  assert.equal(sizes.length, 1);
});

test('a refusal with no verifier text stays a KernelError', () => {
  const fake = verifierFake('processed 0 insns (limit 1000000)\n', [], errnoOf('EPERM'));
  assert.throws(() => loadProgram(new Kernel(fake), { type: 'ext', insns: EXIT_PROG }), (e: unknown) => e instanceof KernelError && e.errnoName === 'EPERM');
});

test('kernelStatus says in one line why the kernel is not usable', () => {
  const eperm = kernelStatus({ sys: new FakeSys(() => -errnoOf('EPERM')) });
  assert.equal(eperm.available, false);
  assert.match(!eperm.available ? eperm.reason : '', /^bpf\(2\) returned EPERM \(1\): loading programs needs root or CAP_BPF \(running as uid \d+\)$/);
  const enosys = kernelStatus({ sys: new FakeSys(() => -errnoOf('ENOSYS')) });
  assert.match(!enosys.available ? enosys.reason : '', /ENOSYS.*no BPF syscall/);
  assert.deepEqual(kernelStatus({ sys: new FakeSys(() => 5) }), { available: true });
});

test('PROG_TEST_RUN retries with the output size the kernel asked for', () => {
  const t = ATTR.test;
  const offered: number[] = [];
  const fake = new FakeSys((call, args, sys) => {
    if (call === 'close') return 0;
    if (args[0] === BigInt(BPF_CMD.PROG_LOAD)) return 7;
    const attr = sys.view(args[1]);
    const out = attr.getUint32(t.dataSizeOut, true);
    offered.push(out);
    if (out < 600) {
      attr.setUint32(t.dataSizeOut, 600, true);
      return -errnoOf('ENOSPC');
    }
    sys.bytesAt(attr.getBigUint64(t.dataOut, true)).fill(0xab, 0, 600);
    attr.setUint32(t.retval, 2, true);
    attr.setUint32(t.duration, 15, true);
    return 0;
  });
  using prog = loadProgram(new Kernel(fake), { type: 'xdp', insns: EXIT_PROG });
  const r = prog.testRun({ data: new Uint8Array(100) });
  assert.deepEqual(offered, [356, 600]);
  assert.equal(r.retval, 2);
  assert.equal(r.duration, 15);
  assert.equal(r.dataOut.length, 600);
  assert.equal(r.dataOut[599], 0xab);
  prog.close();
  assert.equal(fake.live.size, 0);
});

test('CPU lists count the possible CPUs', () => {
  assert.equal(countCpuList('0-3\n'), 4);
  assert.equal(countCpuList('0,2-3,8-9'), 5);
  assert.throws(() => countCpuList('zero'), /cannot read CPU list/);
});
