;; Exceptions: n rounds, each calling down a recursion of depth (i mod 16) that throws at the
;; bottom; a try_table at the top catches the payload (i), unwinding every frame between.
;; run(n) = the sum of the payloads caught (wrapping).
(module
  (tag $found (param i32))
  (func $descend (param $depth i32) (param $v i32) (result i32)
    (if (i32.eqz (local.get $depth))
      (then (throw $found (local.get $v))))
    (i32.add
      (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $v))
      (i32.const 1)))
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $sum
          (i32.add (local.get $sum)
            (block $caught (result i32)
              (try_table (catch $found $caught)
                (drop (call $descend (i32.and (local.get $i) (i32.const 15)) (local.get $i))))
              (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_s (local.get $i) (local.get $n)))))
    (local.get $sum)))
