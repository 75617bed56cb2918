;; exec_diff finding (2026-11-30, threaded run; the earlier SIGSEGV without an artifact): wasmi
;; 2.0.0 overflows the native stack (8 MiB main thread) running this module, whose loop
;; executes ~70,000 memory.grow in one call: its memory.grow handler appears to call the next
;; handler (a `call *` in its machine code) instead of jumping, so each one nests. Spindle runs
;; it in constant native stack and traps on the fuzzer's fuel check ("unreachable"). Found by
;; SPINDLE_FUZZ_LAST_INPUT.
(module
  (type (;0;) (func (param f64) (result externref)))
  (memory (;0;) 1 1)
  (global (;0;) (mut i32) i32.const 2000)
  (export "" (func 0))
  (export "1" (memory 0))
  (func (;0;) (type 0) (param f64) (result externref)
    (local i64 f64)
    global.get 0
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 0
    i32.const 1
    i32.sub
    global.set 0
    loop (result i32) ;; label = @1
      global.get 0
      i32.eqz
      if ;; label = @2
        unreachable
      end
      global.get 0
      i32.const 1
      i32.sub
      global.set 0
      memory.size
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.grow
      memory.size
      memory.grow
      i32.lt_u
      br_if 0 (;@1;)
      i32.const 370546198
      br_if 0 (;@1;)
      i32.const 370546198
      br_if 0 (;@1;)
      i32.const -16385
      memory.grow
      memory.grow
      memory.grow
      i64.load8_s offset=46080
      f64.const -nan:0xf000000000000 (;=NaN;)
      f64.sqrt
      local.tee 2
      f64.const nan (;=NaN;)
      local.get 2
      local.get 2
      f64.eq
      select
      block ;; label = @2
      end
      unreachable
    end
    unreachable
  )
)
