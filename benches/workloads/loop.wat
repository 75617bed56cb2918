;; Tight integer loop: n iterations of i32 and i64 arithmetic on locals (multiply, add,
;; xor, rotate, shifts, masks, extension). run(n) = the mixed accumulators.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $a i32) (local $b i32) (local $c i32) (local $d i64)
    (local.set $a (i32.const 1))
    (local.set $b (i32.const 0x9e3779b9))
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $top
        ;; a = a * 1664525 + i
        (local.set $a (i32.add (i32.mul (local.get $a) (i32.const 1664525)) (local.get $i)))
        ;; b = rotl(b ^ a, 5)
        (local.set $b (i32.rotl (i32.xor (local.get $b) (local.get $a)) (i32.const 5)))
        ;; c = c + (b >>u 3) - (a & 0xff)
        (local.set $c
          (i32.sub
            (i32.add (local.get $c) (i32.shr_u (local.get $b) (i32.const 3)))
            (i32.and (local.get $a) (i32.const 0xff))))
        ;; d = d + zext(c) * 3
        (local.set $d
          (i64.add (local.get $d) (i64.mul (i64.extend_i32_u (local.get $c)) (i64.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $top (i32.lt_s (local.get $i) (local.get $n)))))
    (i32.xor
      (i32.xor (local.get $a) (local.get $b))
      (i32.xor (local.get $c) (i32.wrap_i64 (i64.shr_u (local.get $d) (i64.const 29)))))))
