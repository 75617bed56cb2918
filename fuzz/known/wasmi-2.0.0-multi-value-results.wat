;; exec_diff finding (2026-12-06, late afternoon): the first five of the sixteen results of
;; export ",,,,,,,,,,,,,,,,,,,,,,,,,," (twenty i32 zeros as arguments) differ. Spindle and
;; wasmtime (Python `wasmtime` from PyPI) both return
;;   2047 -129 4194304 -129 -16777217 -1414310314 -129 -129 -129 -1.6862690e38 -960089602
;;   -1566399747 -1566399838 -1566399745 741092396 741092396
;; wasmi 2.0.0's CLI returns 1065353216 8 0 0 8 2047 -129 4194304 -129 ... (the rest the
;; same), and under the fuzz harness other values in those five places (2818063,
;; 607125553, ...): its first results are stale stack slots, with the right values shifted
;; five places down. The function returns 16 values from nested blocks of twenty results.
;; Spindle's answer is the same at the session's first build (d79e9fd). Not minimal.
(module
  (type (;0;) (func (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type (;1;) (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 f32 i32 i32 i32 i32 i32 i32)))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i32) i32.const 2000)
  (export ",,,,,,,,,,,,,,,,,,,,,,,,,," (func 0))
  (export "" (func 1))
  (export "2" (func 2))
  (export "3" (global 0))
  (export "4" (global 1))
  (export "\u{7cb}" (global 2))
  (elem (;0;) func)
  (elem (;1;) funcref)
  (elem (;2;) externref)
  (func (;0;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 f32 i32 i32 i32 i32 i32 i32)
    (local i32 f32 f32 f32 f32 f64 f64)
    global.get 3
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 3
    i32.const 1
    i32.sub
    global.set 3
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @2
        block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @3
          block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @4
            block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @5
              block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @6
                block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @7
                  local.get 15
                  i32.clz
                  i64.extend_i32_s
                  i64.popcnt
                  i64.extend8_s
                  i64.extend8_s
                  i64.extend8_s
                  elem.drop 2
                  f32.convert_i64_u
                  f32.ceil
                  local.tee 21
                  f32.const nan (;=NaN;)
                  local.get 21
                  local.get 21
                  f32.eq
                  select
                  f32.ceil
                  local.tee 22
                  f32.const nan (;=NaN;)
                  local.get 22
                  local.get 22
                  f32.eq
                  select
                  f32.sqrt
                  local.tee 23
                  f32.const nan (;=NaN;)
                  local.get 23
                  local.get 23
                  f32.eq
                  select
                  f32.sqrt
                  local.tee 24
                  f32.const nan (;=NaN;)
                  local.get 24
                  local.get 24
                  f32.eq
                  select
                  f64.const -0x1.0f0100023b8p+400 (;=-2733592985229452000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
                  block (result f64) ;; label = @8
                    i32.const -1191331624
                    i32.ctz
                    i32.ctz
                    i32.ctz
                    local.set 16
                    f32.const 0x1.020202p-125 (;=0.000000000000000000000000000000000000023694278;)
                    f32.abs
                    i64.const -3
                    i64.const -3
                    i64.const -3
                    i64.const 18014398509481984
                    i64.rotl
                    i64.rotl
                    i64.rotl
                    i32.wrap_i64
                    f32.const -0x1p+121 (;=-2658456000000000000000000000000000000;)
                    i32.reinterpret_f32
                    local.set 0
                    i32.ctz
                    i32.const -2
                    i32.or
                    f64.convert_i32_u
                    f64.const -nan:0xffffffffffffd (;=NaN;)
                    i32.const 2047
                    call 2
                    br_table 1 (;@7;) 2 (;@6;) 3 (;@5;) 4 (;@4;) 5 (;@3;) 6 (;@2;) 7 (;@1;) 1 (;@7;)
                    i32.const 2047
                    call 2
                    br_table 1 (;@7;) 2 (;@6;) 3 (;@5;) 4 (;@4;) 5 (;@3;) 6 (;@2;) 7 (;@1;) 1 (;@7;)
                    i32.const 128
                    call 2
                    br_table 1 (;@7;) 2 (;@6;) 3 (;@5;) 4 (;@4;) 5 (;@3;) 6 (;@2;) 7 (;@1;) 6 (;@2;)
                    f64.nearest
                    local.tee 25
                    f64.const nan (;=NaN;)
                    local.get 25
                    local.get 25
                    f64.eq
                    select
                    f64.sub
                    local.tee 26
                    f64.const nan (;=NaN;)
                    local.get 26
                    local.get 26
                    f64.eq
                    select
                    loop ;; label = @9
                      global.get 3
                      i32.eqz
                      if ;; label = @10
                        unreachable
                      end
                      global.get 3
                      i32.const 1
                      i32.sub
                      global.set 3
                    end
                    unreachable
                  end
                  unreachable
                end
              end
            end
          end
        end
      end
    end
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    f32.const -0x1.fb717p+126 (;=-168626900000000000000000000000000000000;)
    i32.const -960089602
    i32.const -1566399747
    i32.const -1566399838
    i32.const -1566399745
    i32.const 741092396
    i32.const 741092396
  )
  (func (;1;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 f32 i32 i32 i32 i32 i32 i32)
    global.get 3
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 3
    i32.const 1
    i32.sub
    global.set 3
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      unreachable
    end
    drop
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    f32.const -nan:0x7fff7f (;=NaN;)
    i32.const -129
    i32.const -129
    i32.const -129
    i32.const -129
    i32.const -129
    i32.const -129
  )
  (func (;2;) (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 f64 f64 f64 f64 f64 f64 f64 f32)
    global.get 3
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 3
    i32.const 1
    i32.sub
    global.set 3
    ref.null func
    local.get 33
    f32.const 0x1.1fep-138 (;=0.000000000000000000000000000000000000000003227;)
    f32.neg
    i32.trunc_f32_s
    f64.const 0x1.c2c2c2c2c2c2cp-317 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000065947378298252455;)
    f64.ceil
    local.tee 37
    f64.const nan (;=NaN;)
    local.get 37
    local.get 37
    f64.eq
    select
    f64.ceil
    local.tee 38
    f64.const nan (;=NaN;)
    local.get 38
    local.get 38
    f64.eq
    select
    f64.ceil
    local.tee 39
    f64.const nan (;=NaN;)
    local.get 39
    local.get 39
    f64.eq
    select
    f64.ceil
    local.tee 40
    f64.const nan (;=NaN;)
    local.get 40
    local.get 40
    f64.eq
    select
    f64.ceil
    local.tee 41
    f64.const nan (;=NaN;)
    local.get 41
    local.get 41
    f64.eq
    select
    f64.ceil
    local.tee 42
    f64.const nan (;=NaN;)
    local.get 42
    local.get 42
    f64.eq
    select
    f64.trunc
    local.tee 43
    f64.const nan (;=NaN;)
    local.get 43
    local.get 43
    f64.eq
    select
    f64.const -0x1.2a2a22da22da2p-469 (;=-0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007640963761045373;)
    block ;; label = @1
      f32.const -inf (;=-inf;)
      f32.ceil
      local.tee 44
      f32.const nan (;=NaN;)
      local.get 44
      local.get 44
      f32.eq
      select
      i32.const -1565392990
      i32.const -1566399955
      i32.shr_u
      i32.const -1566399745
      i32.const 741092396
      local.tee 7
      local.tee 0
      global.get 0
      i32.xor
      global.set 0
      drop
      global.get 0
      i32.xor
      global.set 0
      i32.reinterpret_f32
      global.get 1
      i32.xor
      global.set 1
    end
    i64.reinterpret_f64
    global.get 2
    i64.xor
    global.set 2
    i64.reinterpret_f64
    global.get 2
    i64.xor
    global.set 2
    global.get 0
    i32.xor
    global.set 0
    global.get 0
    i32.xor
    global.set 0
    drop
    i32.const -129
    i32.const 4194304
    i32.const -129
    i32.const -16777217
    i32.const -1414310314
    i32.const -129
    i32.const -129
    i32.const -129
    i32.const 2097151
    i32.const -4194305
    i32.const 4
    i32.const 2
    i32.const 4
    i32.const 4
    i32.const 4
    i32.const 4
    i32.const 4
    i32.const -8388609
    i32.const -8388609
    i32.const -8388609
  )
)

;; disagreement: ",,,,,,,,,,,,,,,,,,,,,,,,,,"([I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0)]): Spindle returns [I32(2047), I32(-129), I32(4194304), I32(-129), I32(-16777217), I32(-1414310314), I32(-129), I32(-129), I32(-129), F32(4278040760), I32(-960089602), I32(-1566399747), I32(-1566399838), I32(-1566399745), I32(741092396), I32(741092396)], wasmi [I32(1065353216), I32(0), I32(0), I32(0), I32(0), I32(2047), I32(-129), I32(4194304), I32(-129), F32(4278040760), I32(-960089602), I32(-1566399747), I32(-1566399838), I32(-1566399745), I32(741092396), I32(741092396)]
