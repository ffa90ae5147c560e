/**
 * The benchmark programs, in the conformance suite's assembly syntax. Each
 * is a counted loop; N is the iteration count.
 */

export interface Loop {
  name: string;
  what: string;
  /** Assembly with N standing for the iteration count. */
  source: string;
  iterations: number;
  /** Bytes of input memory the program gets in r1 (address) and r2 (length). */
  input: number;
}

export const LOOPS: readonly Loop[] = [
  {
    name: 'alu',
    what: '64- and 32-bit add/sub/xor/shift/mul/and, one counted branch',
    iterations: 1_000_000,
    input: 0,
    source: `
      mov %r0, 0
      mov %r1, N
      mov %r2, 0x12345
    loop:
      add %r0, %r2
      xor %r2, %r0
      mov %r3, %r0
      lsh %r3, 3
      sub %r0, %r3
      mov32 %r4, %r2
      mul32 %r4, 7
      add %r0, %r4
      rsh %r2, 1
      or %r2, 0x100
      and %r0, 0x7fffffff
      sub %r1, 1
      jne %r1, 0, loop
      exit`,
  },
  {
    name: 'memory',
    what: 'loads and stores of every size on the stack and the input buffer',
    iterations: 1_000_000,
    input: 64,
    source: `
      mov %r6, %r1
      mov %r8, N
      mov %r0, 0
    loop:
      ldxdw %r3, [%r6]
      stxdw [%r10-8], %r3
      ldxw %r4, [%r10-8]
      stxw [%r6+8], %r4
      ldxb %r5, [%r6+3]
      stxb [%r10-16], %r5
      ldxh %r3, [%r10-16]
      add %r0, %r3
      stxdw [%r6+16], %r0
      ldxdw %r4, [%r6+16]
      sub %r8, 1
      jne %r8, 0, loop
      exit`,
  },
  {
    name: 'branch',
    what: 'a three-way branch on the loop counter, signed and unsigned compares',
    iterations: 1_500_000,
    input: 0,
    source: `
      mov %r0, 0
      mov %r1, N
    loop:
      mov %r3, %r1
      and %r3, 7
      jeq %r3, 0, low
      jgt %r3, 4, high
      add %r0, 1
      ja next
    low:
      add %r0, 2
      ja next
    high:
      jslt %r3, 6, next
      sub %r0, 1
    next:
      sub %r1, 1
      jne %r1, 0, loop
      exit`,
  },
];
