/**
 * The traced run: the same loop, stepped one instruction at a time, so the
 * untraced path pays nothing for tracing. Each line is the instruction as
 * the kernel's verifier log prints it, then, after the log's `;` column, the
 * registers the instruction wrote:
 *
 *   3: (07) r1 += -8                      ; r1=0x10ff8
 */
import { formatInsn } from '../asm/index.js';
import { u64FromHalves, u64Hex } from '../internal/bytes.js';
import { regsWritten } from '../isa/index.js';
import type { HelperTable } from '../helpers/index.js';
import type { Machine } from './machine.js';

/** BPF_LOG_ALIGNMENT and BPF_LOG_MIN_ALIGNMENT of the verifier log. */
const LOG_ALIGNMENT = 40;
const LOG_MIN_ALIGNMENT = 8;

/** Pad an instruction line to the column where the verifier log puts its `;` (vlog_alignment). */
function alignState(line: string): string {
  const pos = line.length + 1;
  const column = Math.ceil(Math.max(pos + LOG_MIN_ALIGNMENT / 2, LOG_ALIGNMENT) / LOG_MIN_ALIGNMENT) * LOG_MIN_ALIGNMENT - 2;
  return line.padEnd(column) + ';';
}

export function traceRun(m: Machine, limit: number, sink: (line: string) => void, helpers: HelperTable): boolean {
  const helperName = (id: number) => helpers.name(id);
  for (;;) {
    if (m.count >= limit) return false;
    // A tail call or a subprogram's exit after one may change the program.
    const prog = m.prog!;
    const i = m.pc;
    const line = `${i}: ${formatInsn(prog.insns, i, { format: 'kernel', helperName })}`;
    let exited: boolean;
    try {
      exited = m.exec(m.count + 1);
    } catch (e) {
      sink(line);
      throw e;
    }
    const written = regsWritten(prog.insns[i], prog.rows[i]!);
    let regs = '';
    for (let r = 0; r <= 10; r++) if ((written & (1 << r)) !== 0) regs += ` r${r}=${u64Hex(u64FromHalves(m.R[2 * r], m.R[2 * r + 1]))}`;
    sink(regs === '' ? line : alignState(line) + regs);
    if (exited) return true;
  }
}
