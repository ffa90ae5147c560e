/** Helper implementations and the one dispatch table every engine calls through. */
export * from './errors.js';
export * from './context.js';
export * from './table.js';
export * from './printk.js';
export * from './base.js';

import { baseHelpers } from './base.js';
import { HelperTable, type HelperDef } from './table.js';

/** A table with the base helpers, plus `extra` (which may replace them). */
export function createHelperTable(extra: Iterable<HelperDef> = []): HelperTable {
  return new HelperTable([...baseHelpers(), ...extra]);
}

export * from './errno.js';
export * from './time.js';
export * from './task.js';
export * from './probe.js';
export * from './strings.js';
export * from './format.js';
export * from './loop.js';
export * from './tracing.js';
export * from './lock.js';
export * from './tail-call.js';
export * from './timer.js';
export * from './sock.js';
export * from './host-id.js';
export * from './sock-id.js';
export * from './cgroup-array.js';
export * from './local-storage.js';
export * from './sk-storage.js';
export * from './syncookie.js';
export * from './current-task.js';

import { currentTaskHelpers } from './current-task.js';
import { formatHelpers } from './format.js';
import { hostIdHelpers } from './host-id.js';
import { lockHelpers } from './lock.js';
import { loopHelpers } from './loop.js';
import { probeHelpers } from './probe.js';
import { stringHelpers } from './strings.js';
import { taskHelpers } from './task.js';
import { timeHelpers } from './time.js';
import { tracingHelpers } from './tracing.js';

/**
 * The helpers that need nothing but the context and the engine's hooks
 * (clocks, current task and its cgroup and pid namespace, probe_read,
 * strings, printf, bpf_loop, tracing, spin locks, the helpers that act on
 * the current task: signals, user memory, bpf_override_return). A runtime adds the groups bound to its objects:
 * `tailCallHelpers(registry)`, `timerHelpers(clock, registry)` and the map
 * and packet helpers.
 */
export function contextHelpers(): HelperDef[] {
  return [
    ...timeHelpers(), ...taskHelpers(), ...probeHelpers(), ...stringHelpers(), ...formatHelpers(), ...loopHelpers(),
    ...tracingHelpers(), ...lockHelpers(), ...hostIdHelpers(), ...currentTaskHelpers(),
  ];
}
