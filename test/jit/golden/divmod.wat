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
    ;; 0: (bf) r0 = r1
    local.get $r1
    local.set $r0
    ;; 1: (3f) r0 /= r2
    local.get $r2
    i64.eqz
    if (result i64)  ;; label = @1
      i64.const 0
    else
      local.get $r0
      local.get $r2
      i64.div_u
    end
    local.set $r0
    ;; 2: (9f) r0 s%= r2
    local.get $r2
    i64.eqz
    i32.eqz
    if  ;; label = @1
      local.get $r0
      local.get $r2
      i64.rem_s
      local.set $r0
    end
    ;; 3: (3c) w0 s/= w2
    local.get $r2
    i32.wrap_i64
    i32.eqz
    if (result i32)  ;; label = @1
      i32.const 0
    else
      local.get $r2
      i32.wrap_i64
      i32.const -1
      i32.eq
      if (result i32)  ;; label = @2
        i32.const 0
        local.get $r0
        i32.wrap_i64
        i32.sub
      else
        local.get $r0
        i32.wrap_i64
        local.get $r2
        i32.wrap_i64
        i32.div_s
      end
    end
    i64.extend_i32_u
    local.set $r0
    ;; 4: (37) r0 /= 0
    i64.const 0
    local.set $r0
    ;; 5: (37) r0 s/= -1
    i64.const 0
    local.get $r0
    i64.sub
    local.tee $r0
    ;; 6: (dc) r0 = be16 r0
    i32.wrap_i64
    i32.const 65535
    i32.and
    i32.const 65537
    i32.mul
    i32.const 8
    i32.rotr
    i32.const 65535
    i32.and
    i64.extend_i32_u
    local.tee $r0
    ;; 7: (d7) r0 = bswap64 r0
    local.tee $tmp_a
    i64.const 8
    i64.shr_u
    i64.const 71777214294589695
    i64.and
    local.get $tmp_a
    i64.const 71777214294589695
    i64.and
    i64.const 8
    i64.shl
    i64.or
    local.tee $tmp_a
    i64.const 16
    i64.shr_u
    i64.const 281470681808895
    i64.and
    local.get $tmp_a
    i64.const 281470681808895
    i64.and
    i64.const 16
    i64.shl
    i64.or
    i64.const 32
    i64.rotl
    local.set $r0
    ;; 8: (28) r0 = *(u16 *)skb[2]
    local.get $fuel
    i64.const 10
    i64.sub
    local.set $fuel
    global.get $pktLen
    i32.const 0
    i32.lt_s
    if  ;; label = @1
      unreachable
    end
    i32.const 2
    local.tee $t32
    i32.const 0
    i32.lt_s
    local.get $t32
    i32.const 2
    i32.add
    global.get $pktLen
    i32.gt_u
    i32.or
    if  ;; label = @1
      local.get $fuel
      i64.const 1
      i64.add
      local.set $fuel
      i64.const 0
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
    global.get $pktData
    local.get $t32
    i32.add
    i32.load16_u
    i32.const 65537
    i32.mul
    i32.const 8
    i32.rotr
    i32.const 65535
    i32.and
    i64.extend_i32_u
    local.set $r0
    ;; 9: (95) exit
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
)
