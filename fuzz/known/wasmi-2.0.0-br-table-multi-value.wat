;; exec_diff finding (crash.wasm, export "2"): reduced by hand. `br_table` with two distinct
;; targets that both take three i32 results, inside an inner block entered with one extra
;; value (`i32.const 0`) already on the stack below it. Called with $i = 0 or 1, Spindle,
;; wasmtime 48 (Cranelift and Pulley) return 1 2 3; wasmi 2.0.0's CLI
;; (`wasmi run --invoke 2 FILE 0`, every --compilation-mode) returns <garbage> 1 3, e.g.
;; -1753873520 1 3: a stale slot first, then the right values shifted one place down and
;; the last one kept. Without the extra `i32.const 0`/`drop`, or with one target (`br_table 1 1`
;; and a single outer block), wasmi is right.
(module
  (func (export "2") (param $i i32) (result i32 i32 i32)
    block (result i32 i32 i32)
      block (result i32 i32 i32)
        i32.const 0
        block
          i32.const 1
          i32.const 2
          i32.const 3
          local.get $i
          br_table 1 2
        end
        drop
        i32.const 4
        i32.const 5
        i32.const 6
      end
    end)
)
