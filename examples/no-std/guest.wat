;; The guest `main.c` runs through the no_std library: a host function import, a memory the
;; host reads, a loop and recursion.
(module
  (import "host" "report" (func $report (param i32 i32)))
  (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; Writes fib(0..n) as i32s from address 0, reports each, returns fib(n).
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $v i32)
    (loop $next
      (local.set $v (call $fib (local.get $i)))
      (i32.store (i32.mul (local.get $i) (i32.const 4)) (local.get $v))
      (call $report (local.get $i) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.le_u (local.get $i) (local.get $n))))
    (call $fib (local.get $n)))
  ;; Traps (an unreachable): the host sees the error and the store stays usable.
  (func (export "trap") (result i32) unreachable))
