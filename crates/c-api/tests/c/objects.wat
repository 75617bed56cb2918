;; For objects.c: externref and funcref round trips, a table and global the host reads,
;; a call back into the host that calls back into Wasm, and a host trap passing through.
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "fail" (func $fail))
  (table $t (export "table") 4 funcref)
  (global $count (export "count") (mut i32) (i32.const 0))
  (func $double (export "double") (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.mul (local.get 0) (i32.const 2)))
  (func (export "echo_extern") (param externref) (result externref) (local.get 0))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "echo_func") (param funcref) (result funcref) (local.get 0))
  (func (export "call_table") (param i32 i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 1) (local.get 0)))
  (func (export "outer") (param i32) (result i32) (call $reenter (local.get 0)))
  (func (export "call_fail") (call $fail))
  (elem (i32.const 0) $double))
