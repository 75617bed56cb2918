;; Imports and exports of every kind, for types.c.
(module
  (import "env" "f" (func (param i32 i64) (result f32)))
  (import "env" "g" (global (mut f64)))
  (import "env" "t" (table 2 10 funcref))
  (import "env" "m" (memory 1 4))
  (func (export "h") (param externref) (result funcref f64) (ref.null func) (f64.const 1))
  (global (export "c") i64 (i64.const 7))
  (table (export "tab") 3 externref)
  (memory (export "mem") 2))
