;; exec_diff finding (2026-11-30, portable-loop run): wasmi 2.0.0 returns the wrong operand of
;; `select` here. With $x = 1 the condition (i32.eqz 1) is 0, so `select` must return its
;; second operand, 1: Spindle returns 1, wasmi returns 10 (the first). With $x = 0 the same
;; inversion makes the fuzzer's module skip an `unreachable`. Replacing the first operand by
;; the constant 10, or dropping the `i32.extend8_s`, makes wasmi agree, so the fault seems to
;; sit in wasmi's folding of constant unary chains into a `select` with a negated condition.
(module
  (func (export "a") (param $x i32) (result i32)
    (select
      (i32.extend8_s (i32.popcnt (i32.const 1174409468)))  ;; 10
      (local.get $x)
      (i32.eqz (local.get $x)))))
