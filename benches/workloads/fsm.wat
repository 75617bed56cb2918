;; A br_table-driven state machine: n steps of an 8-state automaton fed by a xorshift32
;; stream. Each step dispatches on the state with one br_table (two in states 0 and 7,
;; which also dispatch on a 2-bit input class), updates an accumulator and picks the next
;; state from the input. run(n) = accumulator + final state.
;;
;; Layout of one step: `block $sK ... end` nests so that after `end $sK` comes the code
;; of state K, which ends with `br $next`.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x i32) (local $s i32) (local $acc i32)
    (local.set $x (i32.const 0x2545f491))
    (local.set $acc (i32.const 7))
    (block $exit
      (br_if $exit (i32.le_s (local.get $n) (i32.const 0)))
      (loop $top
        ;; x = xorshift32(x)
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        block $next
        block $s7
        block $s6
        block $s5
        block $s4
        block $s3
        block $s2
        block $s1
        block $s0
          (br_table $s0 $s1 $s2 $s3 $s4 $s5 $s6 $s7 (local.get $s))
        end $s0
          ;; state 0: class-dependent update, next = x >> 29
          block $c3
          block $c2
          block $c1
          block $c0
            (br_table $c0 $c1 $c2 $c3 (i32.and (local.get $x) (i32.const 3)))
          end $c0
            (local.set $acc (i32.add (local.get $acc) (local.get $x)))
            (br $c3)
          end $c1
            (local.set $acc (i32.xor (local.get $acc) (local.get $x)))
            (br $c3)
          end $c2
            (local.set $acc (i32.sub (local.get $acc) (i32.const 12345)))
          end $c3
          (local.set $s (i32.shr_u (local.get $x) (i32.const 29)))
          (br $next)
        end $s1
          ;; state 1: acc ^= x >> 3, next = 2 + (acc & 3)
          (local.set $acc (i32.xor (local.get $acc) (i32.shr_u (local.get $x) (i32.const 3))))
          (local.set $s (i32.add (i32.const 2) (i32.and (local.get $acc) (i32.const 3))))
          (br $next)
        end $s2
          ;; state 2: acc = rotl(acc, 7), next = x odd ? 5 : 3
          (local.set $acc (i32.rotl (local.get $acc) (i32.const 7)))
          (local.set $s
            (select (i32.const 5) (i32.const 3) (i32.and (local.get $x) (i32.const 1))))
          (br $next)
        end $s3
          ;; state 3: acc -= x & 0xffff, next = (x >> 7) & 7
          (local.set $acc
            (i32.sub (local.get $acc) (i32.and (local.get $x) (i32.const 0xffff))))
          (local.set $s (i32.and (i32.shr_u (local.get $x) (i32.const 7)) (i32.const 7)))
          (br $next)
        end $s4
          ;; state 4: acc += acc << 2, next = acc < 0 ? 6 : 1
          (local.set $acc (i32.add (local.get $acc) (i32.shl (local.get $acc) (i32.const 2))))
          (if (i32.lt_s (local.get $acc) (i32.const 0))
            (then (local.set $s (i32.const 6)))
            (else (local.set $s (i32.const 1))))
          (br $next)
        end $s5
          ;; state 5: acc *= 16777619, next = 4 | ((x >> 13) & 3)
          (local.set $acc (i32.mul (local.get $acc) (i32.const 16777619)))
          (local.set $s
            (i32.or (i32.const 4)
              (i32.and (i32.shr_u (local.get $x) (i32.const 13)) (i32.const 3))))
          (br $next)
        end $s6
          ;; state 6: acc += i, next = (x & 0x30) == 0 ? 0 : 7
          (local.set $acc (i32.add (local.get $acc) (local.get $i)))
          (local.set $s
            (select (i32.const 7) (i32.const 0) (i32.and (local.get $x) (i32.const 0x30))))
          (br $next)
        end $s7
          ;; state 7: class-dependent update, next = (x >> 20) & 7
          block $d3
          block $d2
          block $d1
          block $d0
            (br_table $d0 $d1 $d2 $d3 (i32.shr_u (local.get $x) (i32.const 30)))
          end $d0
            (local.set $acc
              (i32.xor (local.get $acc) (i32.shr_u (local.get $acc) (i32.const 15))))
            (br $d3)
          end $d1
            (local.set $acc (i32.add (local.get $acc) (i32.const 0x7f4a7c15)))
            (br $d3)
          end $d2
            (local.set $acc (i32.rotl (local.get $acc) (i32.const 13)))
          end $d3
          (local.set $s (i32.and (i32.shr_u (local.get $x) (i32.const 20)) (i32.const 7)))
        end $next
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $top (i32.lt_s (local.get $i) (local.get $n)))))
    (i32.add (local.get $acc) (local.get $s))))
