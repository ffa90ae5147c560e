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
    block  ;; label = @1
      ;; 0: (b7) r0 = 0
      i64.const 0
      local.set $r0
      ;; 1: (25) if r1 > 0xa goto pc+2
      local.get $r1
      i64.const 10
      i64.gt_u
      if  ;; label = @2
        ;; 4: (c6) if w1 s< 0x64 goto pc+1
        local.get $r1
        i32.wrap_i64
        i32.const 100
        i32.lt_s
        if  ;; label = @3
          local.get $fuel
          i64.const 1
          i64.add
          local.set $fuel
          br 2 (;@1;)
        end
        ;; 5: (b7) r0 = 2
        i64.const 2
        local.set $r0
        br 1 (;@1;)
      else
        ;; 2: (b7) r0 = 1
        i64.const 1
        local.set $r0
        br 1 (;@1;)
      end
    end
    block  ;; label = @1
      ;; 6: (15) if r2 == 0x0 goto pc+1
      local.get $r2
      i64.eqz
      br_if 0 (;@1;)
      ;; 7: (07) r0 += 10
      local.get $r0
      i64.const 10
      i64.add
      local.set $r0
      local.get $fuel
      i64.const 1
      i64.sub
      local.set $fuel
    end
    ;; 8: (95) exit
    local.get $fuel
    i64.const 6
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
