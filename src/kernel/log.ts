/**
 * Reading the kernel verifier's log: which instruction it stopped at, the
 * line or two that say why, and how many instructions it processed.
 *
 * The log prints each instruction it checks as `12: (bf) r1 = r6` (index:
 * (opcode) disassembly), so the failing instruction is the last one printed
 * before the error; errors found before the walk name their instruction
 * themselves (`unreachable insn 5`, `jump out of range from insn 1 to 9`).
 */

export interface VerifierLogSummary {
  /** The instruction the verifier rejected, when the log says. */
  insn: number | undefined;
  /** The reason: the log's last one or two lines that are not statistics. */
  summary: string;
  /** From `processed N insns`, when the log has it. */
  processedInsns: number | undefined;
}

const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;
const NAMED_INSN = [
  /unreachable insn (\d+)/,
  /jump out of range from insn (\d+)/,
  /jump to reserved code from insn (\d+)/,
  /back-edge from insn (\d+)/,
  /invalid (?:BPF_LD_IMM|bpf_ld_imm64) insn/,
  /insn (\d+) cannot be called from callback/,
  /call to invalid destination/,
  /^(\d+): .*(?:invalid|unknown|not allowed|not supported)/,
];
/** Lines that report on the verification rather than the error. */
const STATS = [/^processed \d+ insns/, /^verification time/, /^stack depth/, /^Live regs before insn/, /^func#\d+ @\d+/, /^\s*$/];

/** `insnCount`: slots of the program, to place errors about its end. */
export function parseVerifierLog(log: string, insnCount?: number): VerifierLogSummary {
  // Some messages end without a newline, and the statistics line runs on after them.
  const lines = log.replace(/([^\n])(processed \d+ insns)/g, '$1\n$2').split('\n');
  const processed = /processed (\d+) insns/.exec(log);
  let lastInsnLine = -1;
  let insn: number | undefined;
  lines.forEach((line, i) => {
    const m = INSN_LINE.exec(line);
    if (m) {
      lastInsnLine = i;
      insn = Number(m[1]);
    }
  });
  const tail = lines.slice(lastInsnLine + 1).filter((l) => !STATS.some((re) => re.test(l)));
  const reasons = tail.length ? tail : lines.filter((l) => !STATS.some((re) => re.test(l)));
  if (lastInsnLine < 0) {
    for (const line of reasons) {
      for (const re of NAMED_INSN) {
        const m = re.exec(line);
        if (m && m[1] !== undefined) {
          insn = Number(m[1]);
          break;
        }
      }
      if (insn !== undefined) break;
    }
  }
  if (insn === undefined && insnCount && /last insn is not an exit or jmp/.test(log)) insn = insnCount - 1;
  return {
    insn,
    summary: reasons.slice(-2).join('\n').trim(),
    processedInsns: processed ? Number(processed[1]) : undefined,
  };
}
