/**
 * The tracing helpers that act on the current task (HelperHost.task):
 * bpf_send_signal and bpf_send_signal_thread signal it, bpf_probe_write_user
 * writes its user memory, bpf_copy_from_user reads it, and
 * bpf_override_return makes the probed function return another value.
 *
 * The runtime sends no real signal and probes no real function: a signal
 * goes to HelperHost.onSignal and, like an override, into the run's
 * TaskEffects, which the test run returns. "User memory" is the runtime's
 * one address space, as bpf_probe_read_user reads it (probe.ts).
 */
import { argAccess, type HelperContext, type SentSignal } from './context.js';
import { helperErr } from './errno.js';
import { probeRead } from './probe.js';
import type { HelperDef, HelperFn } from './table.js';

export const BPF_FUNC_probe_write_user = 36;
export const BPF_FUNC_override_return = 58;
export const BPF_FUNC_send_signal = 109;
export const BPF_FUNC_send_signal_thread = 117;
export const BPF_FUNC_copy_from_user = 148;

/** _NSIG: the highest signal number; valid_signal accepts 0 to _NSIG. */
export const NSIG = 64;

/** The offset of `ax` in the x86-64 pt_regs a kprobe program gets: the register a function returns in. */
const PT_REGS_AX = 10 * 8;

/** PF_KTHREAD: the task's flag, or the default (the idle tasks, pid 0, are kernel threads). */
const isKernelThread = (ctx: HelperContext): boolean => ctx.task.kernelThread ?? ctx.task.pid === 0;

/**
 * bpf_send_signal_common: -EPERM when current is a kernel thread, is
 * exiting, or is init (tgid 1, whose death would panic the kernel);
 * -EINVAL for a signal above _NSIG; signal 0 checks only, and sends
 * nothing. (Where preemption is off the kernel sends from irq_work and may
 * say -EBUSY while the last one is pending; ours sends at once, never busy.)
 */
const sendSignal = (thread: boolean): HelperFn => (ctx, sigArg) => {
  const task = ctx.task;
  if (isKernelThread(ctx) || task.exiting) return helperErr('EPERM');
  if (task.tgid === 1) return helperErr('EPERM');
  const sig = Number(sigArg & 0xffffffffn);
  if (sig > NSIG) return helperErr('EINVAL');
  if (sig === 0) return 0n;
  const signal: SentSignal = { pid: task.tgid, tid: task.pid, sig, thread };
  ctx.taskEffects.signals.push(signal);
  ctx.onSignal({ ...signal });
  return 0n;
};

/**
 * long bpf_probe_write_user(void *dst, const void *src, u32 len): -EPERM
 * in interrupt context or from a kernel thread or an exiting task; -EFAULT
 * unless all `len` bytes at `dst` lie in one writable region (the user
 * pages the task may write; nothing is written then — the kernel may have
 * written a part before its fault); else the copy, and 0.
 */
function probeWriteUser(ctx: HelperContext, dst: bigint, src: bigint, lenArg: bigint): bigint {
  if (ctx.inInterrupt || isKernelThread(ctx) || ctx.task.exiting) return helperErr('EPERM');
  const len = Number(lenArg & 0xffffffffn);
  const from = argAccess(ctx, 'bpf_probe_write_user: r2 (src)', src, len, false);
  if (dst === 0n || dst + BigInt(len) > 0x100000000n) return helperErr('EFAULT');
  const region = ctx.space.find(Number(dst), len);
  if (!region?.writable) return helperErr('EFAULT');
  ctx.space.bytes.copyWithin(Number(dst), from, from + len);
  return 0n;
}

/**
 * long bpf_override_return(struct pt_regs *regs, u64 rc): the probed
 * function returns `rc` instead of running: regs->ax takes it (what the
 * program reads from the context afterwards) and the run's TaskEffects
 * record it. 0.
 */
function overrideReturn(ctx: HelperContext, regs: bigint, rc: bigint): bigint {
  const at = argAccess(ctx, 'bpf_override_return: r1 (regs)', regs + BigInt(PT_REGS_AX), 8, false);
  ctx.space.view.setBigUint64(at, rc, true);
  ctx.taskEffects.overrideReturn = rc;
  return 0n;
}

export function currentTaskHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_probe_write_user, name: 'bpf_probe_write_user', fn: probeWriteUser },
    { id: BPF_FUNC_override_return, name: 'bpf_override_return', fn: overrideReturn },
    { id: BPF_FUNC_send_signal, name: 'bpf_send_signal', fn: sendSignal(false) },
    { id: BPF_FUNC_send_signal_thread, name: 'bpf_send_signal_thread', fn: sendSignal(true) },
    // copy_from_user: 0, or -EFAULT with dst zeroed — bpf_probe_read_user's contract, on the same memory.
    { id: BPF_FUNC_copy_from_user, name: 'bpf_copy_from_user', fn: probeRead('bpf_copy_from_user') },
  ];
}
