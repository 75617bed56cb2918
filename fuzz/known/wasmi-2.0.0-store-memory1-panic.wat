;; exec_diff finding (2026-11-30, with multi-memory and memory64 generated): wasmi 2.0.0
;; panics ("internal error: entered unreachable code", engine/translator/func/mod.rs:2583)
;; translating the i64.store8 to memory 1 below, where both operands sit in its register
;; (store_rr has no form for that memory/offset). Spindle runs the module.
(module
  (type (;0;) (func (result i32 i32)))
  (memory (;0;) i64 262144 262144 (pagesize 0x1))
  (memory (;1;) i64 0 0 (pagesize 0x10000))
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i32) i32.const 2000)
  (export "" (func 0))
  (export "1" (memory 0))
  (export "2" (memory 1))
  (export "3" (global 0))
  (func (;0;) (type 0) (result i32 i32)
    (local i64)
    global.get 1
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1
    local.get 0
    local.get 0
    i64.store8 1
    local.get 0
    local.get 0
    memory.size 1
    local.set 0
    i64.store8 1
    local.get 0
    local.get 0
    i64.store8 1
    local.get 0
    local.get 0
    i64.store 1
    local.get 0
    global.get 0
    i64.xor
    global.set 0
    i32.const 1023
    i32.const 1023
  )
)
