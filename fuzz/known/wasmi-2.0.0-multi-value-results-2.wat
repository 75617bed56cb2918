(module
  (type (;0;) (func (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type (;1;) (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (table (;0;) i64 0 419 externref)
  (memory (;0;) i64 8027 14060 (pagesize 0x1))
  (memory (;1;) i64 8153 18848 (pagesize 0x1))
  (global (;0;) (mut f64) f64.const -0x1.f8f8f8f8f8f8fp-775 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009926157570794601;))
  (global (;1;) (mut f64) f64.const 0x1.1f1f1f1f1ep-1035 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000304635380061;))
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut i64) i64.const 0)
  (global (;5;) (mut i64) i64.const 0)
  (global (;6;) (mut i32) i32.const 2000)
  (export "" (func 0))
  (export "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (func 4))
  (export "5" (func 5))
  (export "6" (func 6))
  (export "7" (func 7))
  (export "8" (func 8))
  (export "9" (func 9))
  (export "10" (func 10))
  (export "11" (func 11))
  (export "12" (func 12))
  (export "13" (func 13))
  (export "14" (func 14))
  (export "15" (func 15))
  (export "16" (func 16))
  (export "17" (func 17))
  (export "18" (func 18))
  (export "19" (func 19))
  (export "20" (table 0))
  (export "21" (memory 0))
  (export "22" (memory 1))
  (export "23" (global 0))
  (export "24" (global 1))
  (export "25" (global 2))
  (export "26" (global 3))
  (export "\u{19}\u{0}" (global 4))
  (export "\u{2}l\u{a}?\u{6}" (global 5))
  (elem (;0;) (table 0) (i64.const 0) externref)
  (elem (;1;) (table 0) (i64.const 0) externref)
  (elem (;2;) (table 0) (i64.const 0) externref)
  (func (;0;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    call 15
    br_if 0
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    drop
    global.get 2
    i32.xor
    global.set 2
    drop
    drop
    drop
    global.get 2
    i32.xor
    global.set 2
    drop
    drop
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
  )
  (func (;1;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 externref i32 i32 externref externref externref externref externref externref f64 f64 f64 f64 f64 f64 f64 f64 f64 i32 f64 f64 f64 f64 externref externref f32 externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;2;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;3;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    unreachable
  )
  (func (;4;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;5;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    call 15
    br_if 0
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
  )
  (func (;6;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @2
        block ;; label = @3
          block ;; label = @4
            block ;; label = @5
              f64.const 0x1.p-1039 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000169759663277;)
              i32.trunc_sat_f64_u
              i32.const -74
              call 15
              br_table 3 (;@2;) 4 (;@1;) 3 (;@2;)
              f32.reinterpret_i32
              f32.ceil
              local.tee 17
              f32.const nan (;=NaN;)
              local.get 17
              local.get 17
              f32.eq
              select
              f32.ceil
              local.tee 18
              f32.const nan (;=NaN;)
              local.get 18
              local.get 18
              f32.eq
              select
              f32.ceil
              local.tee 19
              f32.const nan (;=NaN;)
              local.get 19
              local.get 19
              f32.eq
              select
              f32.sqrt
              local.tee 20
              f32.const nan (;=NaN;)
              local.get 20
              local.get 20
              f32.eq
              select
              f32.sqrt
              local.tee 21
              f32.const nan (;=NaN;)
              local.get 21
              local.get 21
              f32.eq
              select
              f32.sqrt
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
              f32.sqrt
              local.tee 25
              f32.const nan (;=NaN;)
              local.get 25
              local.get 25
              f32.eq
              select
              f32.sqrt
              local.tee 26
              f32.const nan (;=NaN;)
              local.get 26
              local.get 26
              f32.eq
              select
              f32.sqrt
              local.tee 27
              f32.const nan (;=NaN;)
              local.get 27
              local.get 27
              f32.eq
              select
              block ;; label = @6
              end
              f32.sqrt
              local.tee 28
              f32.const nan (;=NaN;)
              local.get 28
              local.get 28
              f32.eq
              select
              f32.sqrt
              local.tee 29
              f32.const nan (;=NaN;)
              local.get 29
              local.get 29
              f32.eq
              select
              f32.sqrt
              local.tee 30
              f32.const nan (;=NaN;)
              local.get 30
              local.get 30
              f32.eq
              select
              block ;; label = @6
                global.get 0
                global.set 0
                global.get 0
                global.set 0
                global.get 0
                global.set 0
                global.get 0
                global.set 0
                global.get 0
                global.set 0
                memory.size
                i32.load offset=7196 align=2
                call 15
                call 7
                call 15
                call 2
                return
                br_table 0 (;@6;) 1 (;@5;) 2 (;@4;) 3 (;@3;) 6 6
                call 15
                call 7
                select
                br_table 0 (;@6;) 1 (;@5;) 2 (;@4;) 3 (;@3;) 6 0 (;@6;)
                return
                br_table 0 (;@6;) 1 (;@5;) 2 (;@4;) 3 (;@3;) 6 0 (;@6;)
                return
                return
                return
                return
                i32.clz
                elem.drop 0
                elem.drop 0
                elem.drop 0
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                return
                i32.const -98
                return
                return
                return
                return
                return
                local.tee 0
                br_table 0 (;@6;) 1 (;@5;) 2 (;@4;) 3 (;@3;) 6 2 (;@4;)
                br 2 (;@4;)
                br 2 (;@4;)
                unreachable
                global.get 2
                i32.xor
                global.set 2
                global.get 2
                i32.xor
                global.set 2
                drop
                global.get 2
                i32.xor
                global.set 2
                global.get 2
                i32.xor
                global.set 2
              end
              i32.reinterpret_f32
              global.get 3
              i32.xor
              global.set 3
            end
          end
        end
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 18864
        i32.const 0
        i32.const 14052
        i32.const 18864
        i32.const 18864
        i32.const 8161
      end
    end
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
  )
  (func (;7;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    ref.null extern
    i64.const -54606145481867292
    i64.load32_u 1 offset=303 align=1
    i64.load32_u 1 offset=512 align=1
    i64.load32_u 1 offset=303 align=1
    i64.load32_u 1 offset=2668 align=1
    unreachable
  )
  (func (;8;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @2
        block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @3
          block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @4
            block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @5
              call 15
              br 3 (;@2;)
              call 15
              local.tee 3
              br 0 (;@5;)
              block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @6
                block ;; label = @7
                  global.get 1
                  table.size 0
                  memory.size
                  i64.lt_s
                  call 15
                  return_call 8
                  local.tee 3
                  return
                  i64.const 34359738368
                  memory.size 1
                  i64.shl
                  memory.size
                  i32.load8_u offset=2400
                  i32.clz
                  f64.convert_i32_s
                  i64.trunc_sat_f64_u
                  i32.load8_u 1 offset=303
                  f64.convert_i32_s
                  i64.trunc_sat_f64_u
                  i64.shl
                  memory.size 1
                  i64.shl
                  memory.size 1
                  i64.shl
                  memory.size 1
                  i64.shl
                  memory.size 1
                  i64.shl
                  block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @8
                    call 15
                    br 3 (;@5;)
                    call 15
                    br 3 (;@5;)
                    elem.drop 0
                    f32.const 0x1.26cp-135 (;=0.000000000000000000000000000000000000000026434;)
                    i32.trunc_sat_f32_u
                    i32.extend16_s
                    i32.extend16_s
                    i32.extend16_s
                    unreachable
                  end
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  drop
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  drop
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 4
                  i64.xor
                  global.set 4
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  global.get 2
                  i32.xor
                  global.set 2
                  i64.reinterpret_f64
                  global.get 5
                  i64.xor
                  global.set 5
                end
                unreachable
              end
            end
          end
        end
      end
    end
    unreachable
  )
  (func (;9;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 f32 i32 i32 f64)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    ref.null extern
    i64.const -1953184666628070172
    i32.load16_s offset=2400 align=1
    f32.convert_i32_u
    i64.trunc_f32_s
    i64.load32_u 1 offset=109 align=1
    i64.load32_u 1 offset=303 align=1
    i64.load32_u 1 offset=512 align=1
    i64.load32_u 1 offset=303 align=1
    i64.load32_u 1 offset=2668 align=1
    unreachable
  )
  (func (;10;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @2
        block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @3
          block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @4
            block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @5
              call 15
              br 3 (;@2;)
              call 15
            end
            br 3 (;@1;)
            block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @5
              block ;; label = @6
                block ;; label = @7
                  block ;; label = @8
                    block ;; label = @9
                      block ;; label = @10
                      end
                    end
                  end
                end
              end
              i32.const -1
              i32.const 18864
              i32.const 18864
              i32.const 18864
              i32.const 18864
              i32.const 18864
              i32.const 1073741823
              i32.const -1229539658
              i32.const -1229539658
              i32.const -1
              i32.const 18864
              i32.const 18864
              i32.const 18864
              i32.const -1
              i32.const 1073741823
              i32.const -1229539658
              i32.const -1229539658
              i32.const -4802890
              i32.const 18864
              i32.const 18864
            end
          end
        end
      end
    end
    unreachable
  )
  (func (;11;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 externref externref externref externref externref externref f64 f64 f64 f64 f64 f64 f64 f64 f64 i32 f64 f64 f64 f64 externref externref f32 externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref externref i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;12;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;13;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    unreachable
  )
  (func (;14;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
  )
  (func (;15;) (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    i64.const -9007199254740993
    global.get 4
    i64.xor
    global.set 4
    i32.const -1229584833
    i32.const -1229539658
    i32.const -1229539658
    i32.const -1229539658
    i32.const -1229539658
    i32.const -1229539658
    i32.const 18864
    i32.const 18864
    i32.const 18864
    i32.const 18864
    i32.const 18864
    i32.const -1
    i32.const 1073741823
    i32.const -1229539658
    i32.const -1
    i32.const 18864
    i32.const 18864
    i32.const 18864
    i32.const 1073741823
    i32.const -1229539658
  )
  (func (;16;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local f64)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    block (type 0) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) ;; label = @1
      local.get 12
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      i32.eqz
      loop ;; label = @2
        global.get 6
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 6
        i32.const 1
        i32.sub
        global.set 6
        global.get 0
        global.set 0
        global.get 0
        global.set 0
        global.get 0
        global.set 0
        global.get 0
        global.set 0
        global.get 0
        global.set 0
        f64.const 0x1.c1c1c1c1c1c1cp-574 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002841321139066013;)
        global.set 0
        global.get 0
        global.set 0
        f64.const 0x1.p-1039 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000169759663277;)
        f64.floor
        local.tee 17
        f64.const nan (;=NaN;)
        local.get 17
        local.get 17
        f64.eq
        select
        global.set 0
        global.get 0
        table.size 0
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.store offset=2400 align=1
        f32.demote_f64
        i32.trunc_sat_f32_s
        table.size 0
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.shl
        memory.size 1
        i64.lt_s
        call 15
        br_table 0 (;@2;) 2 0 (;@2;)
        br_table 0 (;@2;) 2 0 (;@2;)
        br_table 0 (;@2;) 2 2
        data.drop 1
        local.set 0
        br_if 2
        if (result f32) ;; label = @3
          br 3
          unreachable
        else
          f32.const 0x1.p-148 (;=0.000000000000000000000000000000000000000000003;)
        end
        i32.reinterpret_f32
        global.get 3
        i32.xor
        global.set 3
        global.get 2
        i32.xor
        global.set 2
        drop
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
        global.get 2
        i32.xor
        global.set 2
      end
      unreachable
    end
    unreachable
  )
  (func (;17;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    table.size 0
    memory.size 1
    i32.load8_u offset=2400
    i32.clz
    i32.clz
    i32.clz
    i32.clz
    i32.clz
    i32.clz
    i32.clz
    i32.clz
    f64.convert_i32_s
    i64.trunc_sat_f64_u
    i64.shl
    memory.size 1
    i64.shl
    memory.size
    unreachable
  )
  (func (;18;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32 f32 f32 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    unreachable
    call 15
    f32.convert_i32_s
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
    f32.sqrt
    local.tee 25
    f32.const nan (;=NaN;)
    local.get 25
    local.get 25
    f32.eq
    select
    block ;; label = @1
      global.get 0
      global.set 0
      global.get 0
      global.set 0
      global.get 0
      global.set 0
      global.get 0
      global.set 0
      global.get 0
      global.set 1
      global.get 0
      global.set 0
      global.get 0
      global.set 0
      global.get 0
      global.set 0
      br 1
      block ;; label = @2
        data.drop 1
        nop
        block ;; label = @3
          f32.const 0x1.fffep-28 (;=0.000000007450467;)
          i64.trunc_sat_f32_s
          unreachable
          global.get 4
          i64.xor
          global.set 4
        end
      end
    end
    i32.reinterpret_f32
    global.get 3
    i32.xor
    global.set 3
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
    global.get 2
    i32.xor
    global.set 2
  )
  (func (;19;) (type 1) (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    table.size 0
    i64.load16_s offset=3944 align=1
    i64.load16_s offset=3942 align=1
    i64.load16_s offset=3942 align=1
    i64.load16_s offset=1115
    i32.load16_s 1 offset=233
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i64.trunc_sat_f32_s
    i64.load16_s offset=3942 align=1
    i32.load16_s 1 offset=233
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f32.convert_i32_s
    i32.reinterpret_f32
    f64.convert_i32_u
    i32.trunc_sat_f64_s
    f64.convert_i32_u
    i32.trunc_sat_f64_s
    f64.convert_i32_u
    i32.trunc_sat_f64_s
    f64.convert_i32_u
    i32.trunc_sat_f64_s
    f64.convert_i32_u
    i32.trunc_sat_f64_s
    f64.convert_i32_u
    table.size 0
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    i64.shl
    memory.size 1
    table.size 0
    i64.mul_wide_s
    i64.mul_wide_s
    i64.mul_wide_s
    f32.load offset=3942 align=1
    i32.trunc_sat_f32_s
    i32.clz
    i32.clz
    i32.clz
    f32.convert_i32_s
    table.size 0
    block ;; label = @1
      block ;; label = @2
        block ;; label = @3
          block ;; label = @4
            block ;; label = @5
              block ;; label = @6
              end
            end
            elem.drop 1
            block ;; label = @5
              block (result i32) ;; label = @6
                call 15
                br_if 3 (;@3;)
                br_table 1 (;@5;) 2 (;@4;) 3 (;@3;) 4 (;@2;) 5 (;@1;) 6 3 (;@3;)
                br_if 3 (;@3;)
                br_table 1 (;@5;) 2 (;@4;) 3 (;@3;) 4 (;@2;) 5 (;@1;) 6 3 (;@3;)
                i32.le_u
                i32.clz
                i32.extend16_s
                br_table 1 (;@5;) 2 (;@4;) 3 (;@3;) 4 (;@2;) 5 (;@1;) 6 4 (;@2;)
                call 15
                call 4
                call 14
                call 15
                br_if 4 (;@2;)
                call 4
                call 15
                call 4
                call 15
                call 4
                call 15
                call 4
                return
                return
                loop ;; label = @7
                  global.get 6
                  i32.eqz
                  if ;; label = @8
                    unreachable
                  end
                  global.get 6
                  i32.const 1
                  i32.sub
                  global.set 6
                end
                unreachable
              end
              drop
            end
          end
        end
      end
    end
    unreachable
  )
  (data (;0;) "\e9\c7\c7\c7\c7\c7\c7\c7\c7\8f\8f\8f\8f\8f\8f\8f$\8f\8f\8f\8f\8f\8f\8f\8f\c7\c7\c7")
  (data (;1;) (memory 1) (i64.const 0) "\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\c7\19\19\19\19\fd\ff?")
)

;; disagreement: after "6"([I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0), I32(0)]): global "25": Spindle I32(1229584777), wasmi I32(-1229566010)
