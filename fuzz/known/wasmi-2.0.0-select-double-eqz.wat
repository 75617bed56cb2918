;; exec_diff finding (2026-12-05, threaded-backend run): wasmi 2.0.0 returns the wrong operand
;; of `select` when its condition is a double `i32.eqz`. With $x = 1 the condition
;; (i32.eqz (i32.eqz 1)) is 1, so `select` must return its first operand, $z = 0: Spindle
;; returns 0, wasmi returns 1 (the second). (The fuzzer's module computed a global through
;; three such `select`s and an `i32.div_s`: Spindle 0, wasmi 1.) The same family as
;; `wasmi-2.0.0-select-eqz.wat`: wasmi folds a negated condition into its `select` and here
;; seems to cancel one negation too many.
(module
  (func (export "a") (param $x i32) (result i32)
    (local $z i32)
    (select (local.get $z) (local.get $x) (i32.eqz (i32.eqz (local.get $x))))))
