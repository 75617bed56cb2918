;; A small module for `spindle validate`: iterative and recursive Fibonacci.
(module
  (func $fib_rec (export "fib_rec") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (i64.add
          (call $fib_rec (i64.sub (local.get $n) (i64.const 1)))
          (call $fib_rec (i64.sub (local.get $n) (i64.const 2)))))))
  (func (export "fib_iter") (param $n i64) (result i64)
    (local $a i64) (local $b i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $b (i64.add (local.get $a) (local.tee $a (local.get $b))))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $a)))
