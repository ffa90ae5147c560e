(module
  (type (;0;) (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i32 i64) (result i64 i64 i64 i64 i64 i64 i64)))
  (type (;1;) (func (param i32 i32 i64 i64 i64 i64 i64 i64 externref) (result i64)))
  (type (;2;) (func (param i64 i64 i64 i64 i64 f64 i32 i32) (result i64)))
  (import "env" "fns" (table 1 funcref))
  (import "env" "memory" (memory 0))
  (import "env" "frameTop" (global $frameTop i32))
  (import "env" "fuel" (global $fuel (mut i64)))
  (import "env" "depth" (global $depth (mut i32)))
  (import "env" "r0" (global $r0 (mut i64)))
  (import "env" "r6" (global $r6 (mut i64)))
  (import "env" "r7" (global $r7 (mut i64)))
  (import "env" "r8" (global $r8 (mut i64)))
  (import "env" "r9" (global $r9 (mut i64)))
  (import "env" "pktData" (global $pktData (mut i32)))
  (import "env" "pktLen" (global $pktLen (mut i32)))
  (import "env" "self" (global $self externref))
  (export "run" (func $main))
  (func $main (type 2) (param $r1 i64) (param $r2 i64) (param $r3 i64) (param $r4 i64) (param $r5 i64) (param $budget f64) (param $pkt_data i32) (param $pkt_len i32) (result i64)
    (local $r0 i64) (local $r6 i64) (local $r7 i64) (local $r8 i64) (local $r9 i64) (local $r10 i64) (local $fuel i64) (local $tmp_a i64) (local $tmp_b i64) (local $loops i32) (local $t32 i32) (local $fp i32) (local $label i32) (local $ea i32)
    local.get $budget
    i64.trunc_f64_s
    local.set $fuel
    local.get $pkt_data
    global.set $pktData
    local.get $pkt_len
    global.set $pktLen
    global.get $frameTop
    i64.extend_i32_u
    local.set $r10
    local.get $r10
    i32.wrap_i64
    i32.const 512
    i32.sub
    local.set $fp
    ;; 0: (bf) r1 = r2
    ;; 1: (67) r2 <<= 13
    ;; 2: (77) r1 >>= 51
    ;; 3: (4f) r2 |= r1
    local.get $r2
    i64.const 13
    i64.rotl
    local.get $r2
    i64.const 51
    i64.shr_u
    local.set $r1
    local.set $r2
    ;; 4: (bf) r3 = r6
    local.get $r6
    local.tee $r3
    ;; 5: (0f) r3 += r7
    local.get $r7
    i64.add
    local.tee $r3
    ;; 6: (61) r4 = *(u32 *)(r3 +0)
    i64.const 32
    i64.shr_u
    i32.wrap_i64
    if  ;; label = @1
      local.get $r3
      global.set $fuel
      unreachable
    end
    local.get $r3
    i32.wrap_i64
    i64.load32_u
    local.set $r4
    ;; 7: (63) *(u32 *)(r3 +4) = r4
    local.get $r3
    i64.const 4
    i64.add
    local.tee $tmp_a
    i64.const 32
    i64.shr_u
    i32.wrap_i64
    if  ;; label = @1
      local.get $tmp_a
      global.set $fuel
      unreachable
    end
    local.get $tmp_a
    i32.wrap_i64
    local.get $r4
    i64.store32
    ;; 8: (69) r5 = *(u16 *)(r3 +8)
    local.get $r3
    i64.const 8
    i64.add
    local.tee $tmp_a
    i64.const 32
    i64.shr_u
    i32.wrap_i64
    if  ;; label = @1
      local.get $tmp_a
      global.set $fuel
      unreachable
    end
    local.get $tmp_a
    i32.wrap_i64
    i32.load16_u
    ;; 9: (dc) r5 = be16 r5
    i32.const 65537
    i32.mul
    i32.const 8
    i32.rotr
    i32.const 65535
    i32.and
    i64.extend_i32_u
    local.set $r5
    ;; 10: (bf) r0 = r2
    local.get $r2
    local.set $r0
    ;; 11: (95) exit
    local.get $fuel
    i64.const 12
    i64.sub
    local.tee $fuel
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      unreachable
    end
    local.get $fuel
    global.set $fuel
    local.get $r0
    return
    unreachable
  )
)
