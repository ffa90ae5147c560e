/**
 * The traced run: the same loop, one instruction at a time, so that the
 * untraced path pays nothing for tracing.
 */
import { u64Hex, u64FromHalves } from '../internal/bytes.js';
import type { HelperTable } from '../helpers/index.js';
import type { Machine } from './machine.js';
import { regsWritten } from './prepare.js';

export function traceRun(m: Machine, limit: number, sink: (line: string) => void, _helpers: HelperTable): boolean {
  const prog = m.prog!;
  for (;;) {
    if (m.count >= limit) return false;
    const i = m.pc;
    const exited = m.exec(m.count + 1);
    const row = prog.rows[i]!;
    const regs = regsWritten(prog.insns[i], row).map((r) => `r${r}=${u64Hex(u64FromHalves(m.R[2 * r], m.R[2 * r + 1]))}`);
    sink(`${i}: ${row.mnemonic}${regs.length ? ' ; ' + regs.join(' ') : ''}`);
    if (exited) return true;
  }
}
