;; The module of hello.c: an imported callback, exports to call, memory to read, a trap.
(module
  (import "host" "add_one" (func $add_one (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm")
  (func (export "run") (param i32) (result i32)
    (call $add_one (i32.mul (local.get 0) (i32.const 2))))
  (func (export "store") (param i32 i32)
    (i32.store (local.get 0) (local.get 1)))
  (func $deep (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (else (unreachable))))
  (func (export "boom") (result i32) (call $deep (i32.const 3))))
