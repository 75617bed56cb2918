;; exec_diff finding (2026-12-06): wasmi 2.0.0 panics again at engine/translator/func/mod.rs:2583
;; ("internal error: entered unreachable code", choose_store_op_vt, with fuel metering on),
;; here translating the i32.store8 to memory 0 whose address and value are both local 2
;; (the same class as wasmi-2.0.0-store-memory1-panic.wat, on the default memory). Spindle
;; runs the module: run("", 0, 0, 0) traps "out of bounds memory access" at the first
;; i32.load (the select gives NaN, whose bits 0x7fc00000 are the address; the memory has
;; 244,471 bytes). Smaller modules with the same store did not make wasmi panic.
(module
  (type (;0;) (func (param f64 f64 i32) (result f64)))
  (memory (;0;) 244471 256775 (pagesize 0x1))
  (global (;0;) (mut i32) i32.const 2000)
  (export "" (func 0))
  (export "1" (func 1))
  (export "." (memory 0))
  (elem (;0;) funcref)
  (func (;0;) (type 0) (param f64 f64 i32) (result f64)
    (local f32)
    global.get 0
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 0
    i32.const 1
    i32.sub
    global.set 0
    f32.const 0x1.5c5c5cp-35 (;=0.000000000039604035;)
    f32.floor
    local.tee 3
    f32.const nan (;=NaN;)
    local.get 3
    local.get 3
    f32.eq
    select
    i32.reinterpret_f32
    i32.load offset=92814 align=2
    i64.load8_u offset=207144
    i64.const 3220892767440661224
    i64.lt_s
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.tee 2
    local.get 2
    i32.store8 offset=239910
    memory.size
    local.get 2
    i64.load offset=159293 align=2
    i64.store16 offset=159293
    i64.const 72057594037927936
    i64.const 256776
    i64.eqz
    i64.load8_u offset=159293
    i64.const -2251799813685249
    i64.eqz
    f32.load offset=41428 align=2
    unreachable
  )
  (func (;1;) (type 0) (param f64 f64 i32) (result f64)
    global.get 0
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 0
    i32.const 1
    i32.sub
    global.set 0
    unreachable
  )
)

