/**
 * The WebAssembly instructions the JIT emits (the wasm ISA, not eBPF's):
 * their codes for the emitter, and their text names and immediates for the
 * WAT printer. Prefixed instructions (0xFC bulk memory, 0xFE atomics) carry
 * the prefix in their high byte.
 */

export const enum Op {
  unreachable = 0x00, block = 0x02, loop = 0x03, if = 0x04, else = 0x05, end = 0x0b,
  br = 0x0c, brIf = 0x0d, brTable = 0x0e, return = 0x0f, call = 0x10, callIndirect = 0x11, returnCall = 0x12, returnCallIndirect = 0x13,
  drop = 0x1a, select = 0x1b,
  localGet = 0x20, localSet = 0x21, localTee = 0x22, globalGet = 0x23, globalSet = 0x24, memorySize = 0x3f,
  i32Load = 0x28, i64Load = 0x29, i32Load8U = 0x2d, i32Load16U = 0x2f,
  i64Load8S = 0x30, i64Load8U = 0x31, i64Load16S = 0x32, i64Load16U = 0x33, i64Load32S = 0x34, i64Load32U = 0x35,
  i32Store = 0x36, i64Store = 0x37, i32Store8 = 0x3a, i32Store16 = 0x3b,
  i64Store8 = 0x3c, i64Store16 = 0x3d, i64Store32 = 0x3e,
  i32Const = 0x41, i64Const = 0x42,
  i32Eqz = 0x45, i32Eq = 0x46, i32Ne = 0x47, i32LtS = 0x48, i32LtU = 0x49, i32GtS = 0x4a, i32GtU = 0x4b,
  i32LeS = 0x4c, i32LeU = 0x4d, i32GeS = 0x4e, i32GeU = 0x4f,
  i64Eqz = 0x50, i64Eq = 0x51, i64Ne = 0x52, i64LtS = 0x53, i64LtU = 0x54, i64GtS = 0x55, i64GtU = 0x56,
  i64LeS = 0x57, i64LeU = 0x58, i64GeS = 0x59, i64GeU = 0x5a,
  i32Add = 0x6a, i32Sub = 0x6b, i32Mul = 0x6c, i32DivS = 0x6d, i32DivU = 0x6e, i32RemS = 0x6f, i32RemU = 0x70,
  i32And = 0x71, i32Or = 0x72, i32Xor = 0x73, i32Shl = 0x74, i32ShrS = 0x75, i32ShrU = 0x76, i32Rotl = 0x77, i32Rotr = 0x78,
  i64Add = 0x7c, i64Sub = 0x7d, i64Mul = 0x7e, i64DivS = 0x7f, i64DivU = 0x80, i64RemS = 0x81, i64RemU = 0x82,
  i64And = 0x83, i64Or = 0x84, i64Xor = 0x85, i64Shl = 0x86, i64ShrS = 0x87, i64ShrU = 0x88, i64Rotl = 0x89, i64Rotr = 0x8a,
  i32WrapI64 = 0xa7, i64ExtendI32S = 0xac, i64ExtendI32U = 0xad, i64TruncF64S = 0xb0, f64ConvertI64S = 0xb9,
  i32Extend8S = 0xc0, i32Extend16S = 0xc1, i64Extend8S = 0xc2, i64Extend16S = 0xc3, i64Extend32S = 0xc4,
  memoryFill = 0xfc0b,
  i64AtomicRmwAdd = 0xfe1f, i64AtomicRmw32AddU = 0xfe24,
  i64AtomicRmwAnd = 0xfe2d, i64AtomicRmw32AndU = 0xfe32,
  i64AtomicRmwOr = 0xfe34, i64AtomicRmw32OrU = 0xfe39,
  i64AtomicRmwXor = 0xfe3b, i64AtomicRmw32XorU = 0xfe40,
  i64AtomicRmwXchg = 0xfe42, i64AtomicRmw32XchgU = 0xfe47,
  i64AtomicRmwCmpxchg = 0xfe49, i64AtomicRmw32CmpxchgU = 0xfe4e,
}

/** Value types and the empty block type. */
export const enum ValType {
  i32 = 0x7f,
  i64 = 0x7e,
  f64 = 0x7c,
  /** A JavaScript value, opaque to wasm (the reference-types proposal, in every engine since 2021). */
  externref = 0x6f,
  void = 0x40,
}

/** What follows an opcode in the binary. */
export type Immediate =
  | 'none' | 'block' | 'label' | 'table' | 'func' | 'indirect' | 'local' | 'global' | 'memarg' | 'i32' | 'i64' | 'memory';

/** Text name and immediate of every Op, for the WAT printer. */
export const OP_INFO: ReadonlyMap<number, readonly [string, Immediate]> = new Map<number, readonly [string, Immediate]>([
  [Op.unreachable, ['unreachable', 'none']], [Op.block, ['block', 'block']], [Op.loop, ['loop', 'block']],
  [Op.if, ['if', 'block']], [Op.else, ['else', 'none']], [Op.end, ['end', 'none']],
  [Op.br, ['br', 'label']], [Op.brIf, ['br_if', 'label']], [Op.brTable, ['br_table', 'table']],
  [Op.return, ['return', 'none']], [Op.call, ['call', 'func']], [Op.callIndirect, ['call_indirect', 'indirect']],
  [Op.returnCall, ['return_call', 'func']], [Op.returnCallIndirect, ['return_call_indirect', 'indirect']], [Op.drop, ['drop', 'none']], [Op.select, ['select', 'none']],
  [Op.localGet, ['local.get', 'local']], [Op.localSet, ['local.set', 'local']], [Op.localTee, ['local.tee', 'local']],
  [Op.globalGet, ['global.get', 'global']], [Op.globalSet, ['global.set', 'global']], [Op.memorySize, ['memory.size', 'memory']],
  [Op.i32Load, ['i32.load', 'memarg']], [Op.i64Load, ['i64.load', 'memarg']],
  [Op.i32Load8U, ['i32.load8_u', 'memarg']], [Op.i32Load16U, ['i32.load16_u', 'memarg']],
  [Op.i64Load8S, ['i64.load8_s', 'memarg']], [Op.i64Load8U, ['i64.load8_u', 'memarg']],
  [Op.i64Load16S, ['i64.load16_s', 'memarg']], [Op.i64Load16U, ['i64.load16_u', 'memarg']],
  [Op.i64Load32S, ['i64.load32_s', 'memarg']], [Op.i64Load32U, ['i64.load32_u', 'memarg']],
  [Op.i32Store, ['i32.store', 'memarg']], [Op.i64Store, ['i64.store', 'memarg']],
  [Op.i32Store8, ['i32.store8', 'memarg']], [Op.i32Store16, ['i32.store16', 'memarg']],
  [Op.i64Store8, ['i64.store8', 'memarg']], [Op.i64Store16, ['i64.store16', 'memarg']], [Op.i64Store32, ['i64.store32', 'memarg']],
  [Op.i32Const, ['i32.const', 'i32']], [Op.i64Const, ['i64.const', 'i64']],
  [Op.i32Eqz, ['i32.eqz', 'none']], [Op.i32Eq, ['i32.eq', 'none']], [Op.i32Ne, ['i32.ne', 'none']],
  [Op.i32LtS, ['i32.lt_s', 'none']], [Op.i32LtU, ['i32.lt_u', 'none']], [Op.i32GtS, ['i32.gt_s', 'none']],
  [Op.i32GtU, ['i32.gt_u', 'none']], [Op.i32LeS, ['i32.le_s', 'none']], [Op.i32LeU, ['i32.le_u', 'none']],
  [Op.i32GeS, ['i32.ge_s', 'none']], [Op.i32GeU, ['i32.ge_u', 'none']],
  [Op.i64Eqz, ['i64.eqz', 'none']], [Op.i64Eq, ['i64.eq', 'none']], [Op.i64Ne, ['i64.ne', 'none']],
  [Op.i64LtS, ['i64.lt_s', 'none']], [Op.i64LtU, ['i64.lt_u', 'none']], [Op.i64GtS, ['i64.gt_s', 'none']],
  [Op.i64GtU, ['i64.gt_u', 'none']], [Op.i64LeS, ['i64.le_s', 'none']], [Op.i64LeU, ['i64.le_u', 'none']],
  [Op.i64GeS, ['i64.ge_s', 'none']], [Op.i64GeU, ['i64.ge_u', 'none']],
  [Op.i32Add, ['i32.add', 'none']], [Op.i32Sub, ['i32.sub', 'none']], [Op.i32Mul, ['i32.mul', 'none']],
  [Op.i32DivS, ['i32.div_s', 'none']], [Op.i32DivU, ['i32.div_u', 'none']], [Op.i32RemS, ['i32.rem_s', 'none']],
  [Op.i32RemU, ['i32.rem_u', 'none']], [Op.i32And, ['i32.and', 'none']], [Op.i32Or, ['i32.or', 'none']],
  [Op.i32Xor, ['i32.xor', 'none']], [Op.i32Shl, ['i32.shl', 'none']], [Op.i32ShrS, ['i32.shr_s', 'none']],
  [Op.i32ShrU, ['i32.shr_u', 'none']], [Op.i32Rotl, ['i32.rotl', 'none']], [Op.i32Rotr, ['i32.rotr', 'none']],
  [Op.i64Add, ['i64.add', 'none']], [Op.i64Sub, ['i64.sub', 'none']], [Op.i64Mul, ['i64.mul', 'none']],
  [Op.i64DivS, ['i64.div_s', 'none']], [Op.i64DivU, ['i64.div_u', 'none']], [Op.i64RemS, ['i64.rem_s', 'none']],
  [Op.i64RemU, ['i64.rem_u', 'none']], [Op.i64And, ['i64.and', 'none']], [Op.i64Or, ['i64.or', 'none']],
  [Op.i64Xor, ['i64.xor', 'none']], [Op.i64Shl, ['i64.shl', 'none']], [Op.i64ShrS, ['i64.shr_s', 'none']],
  [Op.i64ShrU, ['i64.shr_u', 'none']], [Op.i64Rotl, ['i64.rotl', 'none']], [Op.i64Rotr, ['i64.rotr', 'none']],
  [Op.i32WrapI64, ['i32.wrap_i64', 'none']], [Op.i64ExtendI32S, ['i64.extend_i32_s', 'none']],
  [Op.i64ExtendI32U, ['i64.extend_i32_u', 'none']], [Op.i64TruncF64S, ['i64.trunc_f64_s', 'none']],
  [Op.f64ConvertI64S, ['f64.convert_i64_s', 'none']],
  [Op.i32Extend8S, ['i32.extend8_s', 'none']], [Op.i32Extend16S, ['i32.extend16_s', 'none']],
  [Op.i64Extend8S, ['i64.extend8_s', 'none']], [Op.i64Extend16S, ['i64.extend16_s', 'none']],
  [Op.i64Extend32S, ['i64.extend32_s', 'none']],
  [Op.memoryFill, ['memory.fill', 'memory']],
  [Op.i64AtomicRmwAdd, ['i64.atomic.rmw.add', 'memarg']], [Op.i64AtomicRmw32AddU, ['i64.atomic.rmw32.add_u', 'memarg']],
  [Op.i64AtomicRmwAnd, ['i64.atomic.rmw.and', 'memarg']], [Op.i64AtomicRmw32AndU, ['i64.atomic.rmw32.and_u', 'memarg']],
  [Op.i64AtomicRmwOr, ['i64.atomic.rmw.or', 'memarg']], [Op.i64AtomicRmw32OrU, ['i64.atomic.rmw32.or_u', 'memarg']],
  [Op.i64AtomicRmwXor, ['i64.atomic.rmw.xor', 'memarg']], [Op.i64AtomicRmw32XorU, ['i64.atomic.rmw32.xor_u', 'memarg']],
  [Op.i64AtomicRmwXchg, ['i64.atomic.rmw.xchg', 'memarg']], [Op.i64AtomicRmw32XchgU, ['i64.atomic.rmw32.xchg_u', 'memarg']],
  [Op.i64AtomicRmwCmpxchg, ['i64.atomic.rmw.cmpxchg', 'memarg']],
  [Op.i64AtomicRmw32CmpxchgU, ['i64.atomic.rmw32.cmpxchg_u', 'memarg']],
]);

/** The prefix byte of a prefixed opcode, or 0. */
export const opPrefix = (op: number): number => (op > 0xff ? op >>> 8 : 0);
