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
    (local $r0 i64) (local $r6 i64) (local $r7 i64) (local $r8 i64) (local $r9 i64) (local $r10 i64) (local $fuel i64) (local $tmp_a i64) (local $tmp_b i64) (local $loops i32) (local $t32 i32) (local $fp i32) (local $label i32) (local $ea i32) (local $in_r6 i64) (local $in_r7 i64) (local $in_r8 i64) (local $in_r9 i64) (local $in_r10 i64) (local $in_fp i32)
    local.get $budget
    i64.trunc_f64_s
    local.set $fuel
    local.get $pkt_data
    global.set $pktData
    local.get $pkt_len
    global.set $pktLen
    global.get $frameTop
    i32.const 576
    i32.sub
    i32.const 0
    i32.const 4672
    memory.fill
    global.get $frameTop
    i64.extend_i32_u
    local.set $r10
    local.get $r10
    i32.wrap_i64
    i32.const 512
    i32.sub
    local.set $fp
    ;; 0: (b7) r6 = 3
    i64.const 3
    local.set $r6
    ;; 1: (b7) r7 = 4
    i64.const 4
    local.set $r7
    ;; 2: (b7) r1 = 5
    i64.const 5
    local.set $r1
    ;; 3: (85) call pc+7
    local.get $r7
    local.set $in_r7
    ;; 11: (bf) r7 = r1
    local.get $r1
    local.tee $in_r7
    ;; 12: (2f) r7 *= r6
    local.get $r6
    i64.mul
    local.tee $in_r7
    ;; 13: (bf) r0 = r7
    local.set $r0
    ;; 14: (95) exit
    ;; 4: (bf) r1 = r0
    local.get $r0
    local.set $r1
    ;; 5: (85) call pc+5
    local.get $r7
    local.set $in_r7
    ;; 11: (bf) r7 = r1
    local.get $r1
    local.tee $in_r7
    ;; 12: (2f) r7 *= r6
    local.get $r6
    i64.mul
    local.tee $in_r7
    ;; 13: (bf) r0 = r7
    local.set $r0
    ;; 14: (95) exit
    ;; 6: (bf) r6 = r0
    local.get $r0
    local.set $r6
    ;; 7: (85) call pc+7
    local.get $r10
    i64.const 576
    i64.add
    local.tee $in_r10
    i32.wrap_i64
    i32.const 512
    i32.sub
    local.set $in_fp
    block  ;; label = @1
      block  ;; label = @2
        ;; 15: (b7) r0 = 0
        i64.const 0
        local.set $r0
        ;; 16: (15) if r1 == 0x0 goto pc+2
        local.get $r1
        i64.eqz
        br_if 0 (;@2;)
        ;; 17: (7b) *(u64 *)(r10 -8) = r1
        local.get $in_fp
        local.get $r1
        i64.store offset=504
        ;; 18: (79) r0 = *(u64 *)(r10 -8)
        local.get $in_fp
        i64.load offset=504
        local.set $r0
        local.get $fuel
        i64.const 2
        i64.sub
        local.set $fuel
      end
      ;; 19: (95) exit
    end
    ;; 8: (0f) r0 += r6
    local.get $r0
    local.get $r6
    i64.add
    local.tee $r0
    ;; 9: (0f) r0 += r7
    local.get $r7
    i64.add
    local.set $r0
    ;; 10: (95) exit
    local.get $fuel
    i64.const 22
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
