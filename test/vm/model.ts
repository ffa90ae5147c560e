/**
 * A BigInt model of the ALU instructions, written from RFC 9669 and the
 * kernel's semantics and independently of the interpreter: registers are
 * plain unsigned 64-bit BigInts and every operation is spelled out on them.
 * It is the specification the property test holds the fast path to.
 */
import { BPF_ALU64, bpfClass, type Insn, type Opcode } from '../../src/isa/index.js';

const u = (bits: number, v: bigint) => BigInt.asUintN(bits, v);
const s = (bits: number, v: bigint) => BigInt.asIntN(bits, v);

function byteSwap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let k = 0; k < bits / 8; k++) out = (out << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
  return out;
}

/** The value of dst after `ins` (whose row is `row`), given the registers before it. */
export function modelAlu(regs: readonly bigint[], row: Opcode, ins: Insn): bigint {
  const dst = regs[ins.dst];
  if (row.format === 'endian') {
    const width = ins.imm;
    if (row.mnemonic.startsWith('le')) return u(width, dst);
    return byteSwap(u(width, dst), width);
  }
  const movsx = /^movsx(8|16|32)(32|64)$/.exec(row.mnemonic);
  if (movsx) return u(Number(movsx[2]), s(Number(movsx[1]), regs[ins.src]));
  const bits = bpfClass(row.code) === BPF_ALU64 ? 64 : 32;
  const name = bits === 32 ? row.mnemonic.replace(/32$/, '') : row.mnemonic;
  const a = u(bits, dst);
  const b = row.format === 'alu_reg' ? u(bits, regs[ins.src]) : u(bits, BigInt(ins.imm));
  const sa = s(bits, a), sb = s(bits, b);
  const shift = b & BigInt(bits - 1);
  let r: bigint;
  switch (name) {
    case 'add': r = a + b; break;
    case 'sub': r = a - b; break;
    case 'mul': r = a * b; break;
    case 'div': r = b === 0n ? 0n : a / b; break;
    case 'sdiv': r = sb === 0n ? 0n : sa / sb; break;
    case 'mod': r = b === 0n ? a : a % b; break;
    case 'smod': r = sb === 0n ? a : sa % sb; break;
    case 'or': r = a | b; break;
    case 'and': r = a & b; break;
    case 'xor': r = a ^ b; break;
    case 'lsh': r = a << shift; break;
    case 'rsh': r = a >> shift; break;
    case 'arsh': r = sa >> shift; break;
    case 'mov': r = b; break;
    case 'neg': r = -a; break;
    default: throw new Error(`model: no semantics for ${row.mnemonic}`);
  }
  return u(bits, r);
}
