(module
  (type (;0;) (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i32 i64) (result i64 i64 i64 i64 i64 i64 i64)))
  (type (;1;) (func (param i32 i32 i64 i64 i64 i64 i64 i64 externref) (result i64)))
  (type (;2;) (func (result i32)))
  (type (;3;) (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i32 i64 i32) (result i64 i64 i64 i64 i64 i64 i64)))
  (type (;4;) (func (param i64 i64 i64 i64 i64 f64 i32 i32) (result i64)))
  (import "env" "fns" (table 2 funcref))
  (import "env" "tailEnter" (func $tailEnter (type 3) (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i32 i64 i32) (result i64 i64 i64 i64 i64 i64 i64)))
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
  (import "env" "tailPending" (global $tailPending (mut i32)))
  (import "env" "tailId" (global $tailId (mut i32)))
  (import "env" "tailCount" (global $tailCount (mut i32)))
  (import "env" "self" (global $self externref))
  (export "run" (func $main))
  (func $main (type 4) (param $r1 i64) (param $r2 i64) (param $r3 i64) (param $r4 i64) (param $r5 i64) (param $budget f64) (param $pkt_data i32) (param $pkt_len i32) (result i64)
    (local $r0 i64) (local $r6 i64) (local $r7 i64) (local $r8 i64) (local $r9 i64) (local $r10 i64) (local $fuel i64) (local $tmp_a i64) (local $tmp_b i64) (local $loops i32) (local $t32 i32) (local $fp i32) (local $label i32) (local $ea i32)
    local.get $budget
    i64.trunc_f64_s
    local.set $fuel
    local.get $pkt_data
    global.set $pktData
    local.get $pkt_len
    global.set $pktLen
    i32.const 0
    global.set $tailCount
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
    ;; 0: (b7) r1 = 5
    i64.const 5
    local.set $r1
    ;; 1: (85) call pc+7
    local.get $r0
    local.get $r1
    local.get $r2
    local.get $r3
    local.get $r4
    local.get $r5
    local.get $r6
    local.get $r7
    local.get $r8
    local.get $r9
    i32.const 1
    local.get $fuel
    i64.const 2
    i64.sub
    call $sub_9
    local.set $fuel
    local.set $r5
    local.set $r4
    local.set $r3
    local.set $r2
    local.set $r1
    local.tee $r0
    ;; 2: (bf) r6 = r0
    local.set $r6
    ;; 3: (85) call bpf_get_prandom_u32#7
    local.get $fuel
    i64.const 7
    i64.sub
    local.set $fuel
    i32.const 1
    call_indirect (type 2)  ;; $get_prandom_u32
    i64.extend_i32_u
    local.set $r0
    ;; 4: (0f) r6 += r0
    local.get $r6
    local.get $r0
    i64.add
    local.set $r6
    ;; 5: (b7) r2 = 8
    i64.const 8
    local.set $r2
    ;; 6: (8d) callx r2
    local.get $fuel
    global.set $fuel
    i32.const 0
    global.set $depth
    local.get $r0
    global.set $r0
    local.get $r6
    global.set $r6
    local.get $r7
    global.set $r7
    local.get $r8
    global.set $r8
    local.get $r9
    global.set $r9
    i32.const 6
    i32.const -1
    local.get $r2
    local.get $r1
    local.get $r2
    local.get $r3
    local.get $r4
    local.get $r5
    global.get $self
    i32.const 0
    call_indirect (type 1)  ;; $host
    local.set $r0
    global.get $fuel
    local.set $fuel
    global.get $tailPending
    if  ;; label = @1
      global.get $tailId
      local.set $t32
      i32.const -1
      global.set $tailId
      i32.const 0
      global.set $tailPending
      local.get $r0
      local.get $r1
      local.get $r2
      local.get $r3
      local.get $r4
      local.get $r5
      local.get $r6
      local.get $r7
      local.get $r8
      local.get $r9
      i32.const 0
      local.get $fuel
      local.get $t32
      call $tailEnter
      local.set $fuel
      local.set $r5
      local.set $r4
      local.set $r3
      local.set $r2
      local.set $r1
      local.set $r0
      local.get $fuel
      i64.const 0
      i64.lt_s
      if  ;; label = @2
        unreachable
      end
      local.get $fuel
      global.set $fuel
      local.get $r0
      return
    end
    ;; 7: (0f) r0 += r6
    local.get $r0
    local.get $r6
    i64.add
    local.set $r0
    ;; 8: (95) exit
    local.get $fuel
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
  (func $sub_9 (type 0) (param $r0 i64) (param $r1 i64) (param $r2 i64) (param $r3 i64) (param $r4 i64) (param $r5 i64) (param $r6 i64) (param $r7 i64) (param $r8 i64) (param $r9 i64) (param $depth i32) (param $fuel i64) (result i64 i64 i64 i64 i64 i64 i64)
    (local $r10 i64) (local $tmp_a i64) (local $tmp_b i64) (local $loops i32) (local $t32 i32) (local $fp i32) (local $label i32) (local $ea i32)
    global.get $frameTop
    local.get $depth
    i32.const 576
    i32.mul
    i32.add
    i64.extend_i32_u
    local.set $r10
    local.get $r10
    i32.wrap_i64
    i32.const 512
    i32.sub
    local.set $fp
    ;; 9: (bf) r0 = r1
    local.get $r1
    local.tee $r0
    ;; 10: (67) r0 <<= 1
    i64.const 1
    i64.shl
    local.set $r0
    ;; 11: (bf) r1 = r10
    local.get $r10
    local.set $r1
    ;; 12: (b7) r2 = 4
    i64.const 4
    local.set $r2
    ;; 13: (85) call bpf_trace_printk#6
    local.get $fuel
    i64.const 6
    i64.sub
    local.tee $fuel
    global.set $fuel
    local.get $depth
    global.set $depth
    local.get $r0
    global.set $r0
    local.get $r6
    global.set $r6
    local.get $r7
    global.set $r7
    local.get $r8
    global.set $r8
    local.get $r9
    global.set $r9
    i32.const 13
    i32.const 6
    local.get $r1
    local.get $r2
    local.get $r3
    local.get $r4
    local.get $r5
    i64.const 0
    global.get $self
    i32.const 0
    call_indirect (type 1)  ;; $host
    local.set $r0
    global.get $fuel
    local.set $fuel
    global.get $tailPending
    if  ;; label = @1
      global.get $tailId
      local.set $t32
      i32.const -1
      global.set $tailId
      i32.const 0
      global.set $tailPending
      local.get $r0
      local.get $r1
      local.get $r2
      local.get $r3
      local.get $r4
      local.get $r5
      local.get $r6
      local.get $r7
      local.get $r8
      local.get $r9
      local.get $depth
      local.get $fuel
      local.get $t32
      return_call $tailEnter
    end
    ;; 14: (95) exit
    local.get $r0
    local.get $r1
    local.get $r2
    local.get $r3
    local.get $r4
    local.get $r5
    local.get $fuel
    return
    unreachable
  )
)
