//! The translator's fused and accumulator-only forms keep Wasm's semantics at their edges:
//! loads and stores that absorb an `i32.add` of a constant wrap the add at 2^32 but not the
//! offset, indexed loads (index from a register or from the accumulator), stores taking
//! their address from the accumulator, results that go only to the accumulator, and
//! adjacent moves paired into one instruction (call arguments, with branches landing
//! beside and jumping over the pairs), and loop latches (an increment and the branch on it
//! in one instruction, with a 16-bit or a 32-bit increment), and `select` on negated conditions (an `i32.eqz` chain through the
//! accumulator), and a `br_table` on an index less a constant (a `switch` whose cases do not
//! start at 0: the add fused into the table jump, wrapping at 2^32), and `call_indirect`
//! through table 0 in its one-slot form, its traps included, and a copy of the result just
//! computed taken from the accumulator (32 and 64 bits), as a return, a `select`'s
//! condition and a global's new value take it. Each
//! case runs under both dispatch backends and both translation modes, and the test first
//! checks that the translator did emit the form it is about.

use spindle::{Config, Dispatch, Engine, Module, Store, Translation, Val};

const MODULE: &str = r#"
(module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
  ;; i32.load (a + imm): the add wraps, the offset does not.
  (func (export "load_minus4") (param $a i32) (result i32)
    (i32.load (i32.add (local.get $a) (i32.const -4))))
  (func (export "load_plus1_offset4") (param $a i32) (result i32)
    (i32.load offset=4 (i32.add (local.get $a) (i32.const 1))))
  ;; i32.store (a + imm) v, then read back.
  (func (export "store_minus8") (param $a i32) (param $v i32) (result i32)
    (i32.store (i32.add (local.get $a) (i32.const -8)) (local.get $v))
    (i32.load (i32.const 100)))
  ;; store with its address computed just before (from the accumulator).
  (func (export "store_addr_acc") (param $a i32) (param $v i32) (result i32)
    (i32.store offset=4 (i32.mul (local.get $a) (i32.const 4)) (local.get $v))
    (i32.load (i32.const 104)))
  ;; a[i] with the index in a register, then with the index computed just before.
  (func (export "indexed") (param $i i32) (param $base i32) (result i32)
    (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
  (func (export "indexed_acc") (param $i i32) (param $base i32) (result i32)
    (i32.load (i32.add (local.get $base)
                       (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))))
  ;; Moves placing call arguments (the translator pairs adjacent ones), a branch landing
  ;; just before them, and a loop whose backward branch jumps over pairs.
  (func $sum4 (param i32 i32 i32 i32) (result i32)
    (i32.add
      (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 10)))
      (i32.add (i32.mul (local.get 2) (i32.const 100)) (i32.mul (local.get 3) (i32.const 1000)))))
  (func (export "moves") (param $a i32) (param $b i32) (result i32) (local $x i32)
    (local.set $x (i32.const 5))
    (block $skip
      (br_if $skip (local.get $a))
      (local.set $x (i32.const 7)))
    (call $sum4 (local.get $b) (local.get $x) (i32.const 3) (local.get $b)))
  (func (export "moves_loop") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $again
      (local.set $acc
        (call $sum4 (local.get $i) (i32.const 1) (i32.and (local.get $acc) (i32.const 255))
                    (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; Counted loops whose increment and the branch on it the translator fuses into one
  ;; latch: counting down to zero, up to a bound (`ne`, signed `lt`, across the wrap from
  ;; i32::MAX), and a bound that is the counter itself (read after the increment wrote it:
  ;; `latch_self` is 1, and would be 100 if the bound were read first).
  (func (export "latch_nez") (param $n i32) (result i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (br_if $again (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $s))
  (func (export "latch_ne") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 3)))
      (br_if $again (i32.ne (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "latch_lt_s") (param $i i32) (param $n i32) (result i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $s))
  ;; The same with increments that do not fit in 16 bits (the latches with a 32-bit
  ;; immediate), and with the least 16-bit one.
  (func (export "latch_ne_wide") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 100000)))
      (br_if $again (i32.ne (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "latch_lt_s_wide") (param $i i32) (param $n i32) (result i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 70000)))
      (br_if $again (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "latch_ne_min16") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $again
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const -32768)))
      (br_if $again (i32.ne (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "latch_self") (result i32) (local $i i32) (local $s i32)
    (block $out
      (loop $again
        (br_if $out (i32.ge_u (local.get $s) (i32.const 100)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br_if $again
          (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $i)))))
    (local.get $s))
  ;; `select` on a negated and a doubly negated condition (shapes wasmi 2.0.0 gets wrong:
  ;; fuzz/known/wasmi-2.0.0-select-*.wat).
  (func (export "select_eqz") (param $x i32) (result i32)
    (select (i32.const 42) (local.get $x) (i32.eqz (local.get $x))))
  (func (export "select_eqz_eqz") (param $x i32) (result i32)
    (select (i32.const 42) (local.get $x) (i32.eqz (i32.eqz (local.get $x)))))
  ;; A switch on x - 43 (cases 43..=46, then the default), x read back from memory so that
  ;; it is in the accumulator: the add (or sub) into the accumulator fuses with the table
  ;; jump. x - 43 wraps for x < 43 (an index of 2^31 or more: the default).
  (func (export "switch_add") (param $x i32) (result i32)
    (i32.store (i32.const 200) (local.get $x))
    (block $default
      (block $c3
        (block $c2
          (block $c1
            (block $c0
              (br_table $c0 $c1 $c2 $c3 $default
                (i32.add (i32.load (i32.const 200)) (i32.const -43))))
            (return (i32.const 100)))
          (return (i32.const 101)))
        (return (i32.const 102)))
      (return (i32.const 103)))
    (i32.const -1))
  (func (export "switch_sub") (param $x i32) (result i32)
    (i32.store (i32.const 200) (local.get $x))
    (block $default
      (block $c1
        (block $c0
          (br_table $c0 $c1 $default
            (i32.sub (i32.load (i32.const 200)) (i32.const 43))))
        (return (i32.const 100)))
      (return (i32.const 101)))
    (i32.const -1))
  ;; A chain of results read only through the accumulator, and a result that is both
  ;; read through the accumulator and kept in a local.
  (func (export "chain") (param $x i32) (result i32) (local $t i32)
    (i32.xor
      (i32.add (i32.mul (local.tee $t (i32.add (local.get $x) (i32.const 3))) (i32.const 5))
               (i32.const 7))
      (local.get $t)))
  ;; A value carried from one local to another, the copy right after the instruction
  ;; that computed it (`CopyAcc` takes it from the accumulator), in 32 and 64 bits.
  (func (export "copy_acc") (param $n i32) (result i32) (local $p i32) (local $q i32)
    (loop $again
      (local.set $q (i32.add (local.get $p) (i32.const 3)))
      (local.set $p (local.get $q))
      (br_if $again (i32.lt_u (local.get $p) (local.get $n))))
    (i32.add (local.get $p) (local.get $q)))
  (func (export "copy_acc64") (param $n i32) (result i64) (local $p i64) (local $q i64)
    (loop $again
      (local.set $q (i64.add (local.get $p) (i64.const 0x100000003)))
      (local.set $p (local.get $q))
      (br_if $again (i32.lt_u (i32.wrap_i64 (local.get $p)) (local.get $n))))
    (i64.add (local.get $p) (local.get $q)))
  ;; A result returned, a condition selected on and a global set, each the instruction
  ;; just before's result (`Return1Acc`, `SelectAcc`, `GlobalSetAcc`).
  (global $g (mut i64) (i64.const 0))
  (func (export "acc_consumers") (param $x i32) (result i32) (local $seven i32) (local $nine i32)
    (local.set $seven (i32.const 7))
    (local.set $nine (i32.const 9))
    (global.set $g (i64.mul (i64.extend_i32_s (local.get $x)) (i64.const 0x100000001)))
    (i32.add
      (select (local.get $seven) (local.get $nine) (i32.lt_s (local.get $x) (i32.const 5)))
      (i32.wrap_i64 (i64.shr_u (global.get $g) (i64.const 32)))))
  ;; call_indirect through table 0 (`CallIndirect0`, one slot) and through table 1 (the
  ;; general form, two), each followed by more work in the caller: the return lands on the
  ;; instruction after the call. Index 2 of table 0 is null, index 1 has another type.
  (type $bin (func (param i32 i32) (result i32)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (table 3 funcref)
  (elem (table 0) (i32.const 0) func $sub $neg)
  (table $t1 1 funcref)
  (elem (table $t1) (i32.const 0) func $sub)
  (func (export "indirect0") (param $i i32) (param $x i32) (result i32)
    (i32.mul
      (call_indirect (type $bin) (local.get $x) (i32.const 2) (local.get $i))
      (i32.const 3)))
  (func (export "indirect1") (param $x i32) (result i32)
    (i32.mul
      (call_indirect $t1 (type $bin) (local.get $x) (i32.const 2) (i32.const 0))
      (i32.const 3)))
)
"#;

fn instance(translation: Translation, dispatch: Dispatch) -> (Store<()>, spindle::Instance) {
    let engine = Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
    let module = Module::from_wat(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = spindle::Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

/// `Ok(result)` or `Err(trap message)`.
fn call(
    store: &mut Store<()>,
    instance: &spindle::Instance,
    name: &str,
    args: &[i32],
) -> Result<i32, String> {
    let f = instance.get_func(&*store, name).unwrap();
    let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let mut out = [Val::I32(0)];
    match f.call(store, &args, &mut out) {
        Ok(()) => match out[0] {
            Val::I32(v) => Ok(v),
            other => panic!("unexpected result {other:?}"),
        },
        Err(e) => Err(e
            .downcast_ref::<spindle::Trap>()
            .map_or(e.to_string(), |t| t.to_string())),
    }
}

const OOB: &str = "out of bounds memory access";

#[test]
fn the_translator_emits_the_forms_under_test() {
    // The portable loop's code keeps the opcodes a listing needs.
    let engine = Engine::new(Config::new().dispatch(Dispatch::Loop)).unwrap();
    let ir = Module::from_wat(&engine, MODULE).unwrap().disassemble();
    for form in [
        "I32LoadAddImm",
        "I32StoreAddImm",
        "I32StoreAccAddr",
        "I32LoadIndexed ",
        "I32LoadIndexedAcc",
        "dst=acc",
        "Copy2 ",
        "Const32Copy",
        "I32AddImmBrIfNez",
        "I32AddImmBrIfNe ",
        "I32AddImmBrIfLtS",
        "I32AddImm16BrIfNe ",
        "I32AddImm16BrIfLtS",
        "BrTableAccAddImm",
        "CallIndirect0",
        "CopyAcc",
        "Return1Acc",
        "SelectAcc",
        "GlobalSetAcc",
        "CallIndirect ty",
    ] {
        assert!(ir.contains(form), "no {form} in:\n{ir}");
    }
}

#[test]
fn fused_forms_match_wasm_semantics_in_every_mode() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            let mode = format!("{translation:?}/{dispatch:?}");
            let (mut s, i) = instance(translation, dispatch);
            let s = &mut s;
            // a - 4, wrapping: 8 - 4 = 4 reads the second word; 0 - 4 = 0xfffffffc is out of
            // bounds (an add folded into the non-wrapping offset would read 0 + ... too).
            assert_eq!(call(s, &i, "load_minus4", &[8]), Ok(2), "{mode}");
            assert_eq!(call(s, &i, "load_minus4", &[0]), Err(OOB.into()), "{mode}");
            assert_eq!(call(s, &i, "load_minus4", &[65536]), Ok(0), "{mode}");
            assert_eq!(
                call(s, &i, "load_minus4", &[65537]),
                Err(OOB.into()),
                "{mode}"
            );
            // (-1 + 1) wraps to 0, then offset 4: the second word.
            assert_eq!(call(s, &i, "load_plus1_offset4", &[-1]), Ok(2), "{mode}");
            assert_eq!(call(s, &i, "load_plus1_offset4", &[7]), Ok(4), "{mode}");
            // 65531 + 1 + 4 = 65536: the first byte past the end.
            assert_eq!(
                call(s, &i, "load_plus1_offset4", &[65531]),
                Err(OOB.into()),
                "{mode}"
            );
            assert_eq!(call(s, &i, "store_minus8", &[108, 77]), Ok(77), "{mode}");
            assert_eq!(
                call(s, &i, "store_minus8", &[4, 1]),
                Err(OOB.into()),
                "{mode}"
            );
            // The trapped store wrote nothing: the word at 100 still holds 77.
            assert_eq!(call(s, &i, "store_minus8", &[108, 77]), Ok(77), "{mode}");
            assert_eq!(call(s, &i, "store_addr_acc", &[25, 99]), Ok(99), "{mode}");
            assert_eq!(
                call(s, &i, "store_addr_acc", &[16383, 1]),
                Err(OOB.into()),
                "{mode}"
            );
            for k in 0..4 {
                assert_eq!(call(s, &i, "indexed", &[k, 0]), Ok(k + 1), "{mode}");
                assert_eq!(call(s, &i, "indexed", &[0, 4 * k]), Ok(k + 1), "{mode}");
                assert_eq!(call(s, &i, "indexed_acc", &[k + 1, 0]), Ok(k + 1), "{mode}");
            }
            for (a, b) in [(1, 2), (0, 2), (1, -3), (0, 0)] {
                let x = if a != 0 { 5 } else { 7 };
                let want = b + 10 * x + 300 + 1000 * b;
                assert_eq!(call(s, &i, "moves", &[a, b]), Ok(want), "{mode}");
            }
            let mut acc = 0i32;
            for k in 0..50 {
                acc = k + 10 + 100 * (acc & 255);
            }
            assert_eq!(call(s, &i, "moves_loop", &[50]), Ok(acc), "{mode}");
            // Index 2^30 shifts to 0 (wrapping), index 16384 is past the end.
            assert_eq!(call(s, &i, "indexed", &[1 << 30, 0]), Ok(1), "{mode}");
            assert_eq!(call(s, &i, "indexed", &[-1, 8]), Ok(2), "{mode}");
            assert_eq!(
                call(s, &i, "indexed", &[16384, 0]),
                Err(OOB.into()),
                "{mode}"
            );
            assert_eq!(
                call(s, &i, "indexed_acc", &[0, 0]),
                Err(OOB.into()),
                "{mode}"
            );
            assert_eq!(call(s, &i, "latch_nez", &[10]), Ok(55), "{mode}");
            assert_eq!(call(s, &i, "latch_nez", &[1]), Ok(1), "{mode}");
            assert_eq!(call(s, &i, "latch_ne", &[30]), Ok(135), "{mode}");
            assert_eq!(call(s, &i, "latch_lt_s", &[0, 7]), Ok(7), "{mode}");
            assert_eq!(call(s, &i, "latch_lt_s", &[5, 0]), Ok(1), "{mode}");
            // i32::MAX + 1 wraps to i32::MIN, which is less than i32::MIN + 3.
            assert_eq!(
                call(s, &i, "latch_lt_s", &[i32::MAX, i32::MIN + 3]),
                Ok(4),
                "{mode}"
            );
            assert_eq!(
                call(s, &i, "latch_ne_wide", &[300000]),
                Ok(300000),
                "{mode}"
            );
            assert_eq!(
                call(s, &i, "latch_lt_s_wide", &[0, 200000]),
                Ok(3),
                "{mode}"
            );
            // i32::MAX - 69999 + 70000 wraps to i32::MIN: one iteration more.
            assert_eq!(
                call(s, &i, "latch_lt_s_wide", &[i32::MAX - 69999, i32::MIN + 3]),
                Ok(2),
                "{mode}"
            );
            assert_eq!(call(s, &i, "latch_ne_min16", &[-98304]), Ok(3), "{mode}");
            assert_eq!(call(s, &i, "latch_self", &[]), Ok(1), "{mode}");
            let cases = [
                43,
                44,
                45,
                46,
                47,
                42,
                0,
                -1,
                i32::MIN + 43,
                i32::MAX,
                i32::MIN,
            ];
            for x in cases {
                let case = |n: i32| match x.wrapping_sub(43) {
                    k @ 0.. if k < n => 100 + k,
                    _ => -1,
                };
                assert_eq!(call(s, &i, "switch_add", &[x]), Ok(case(4)), "{mode} x={x}");
                assert_eq!(call(s, &i, "switch_sub", &[x]), Ok(case(2)), "{mode} x={x}");
            }
            for x in [0, 1, -7] {
                let (eqz, eqz_eqz) = if x == 0 { (42, 0) } else { (x, 42) };
                assert_eq!(call(s, &i, "select_eqz", &[x]), Ok(eqz), "{mode} x={x}");
                assert_eq!(
                    call(s, &i, "select_eqz_eqz", &[x]),
                    Ok(eqz_eqz),
                    "{mode} x={x}"
                );
            }
            for x in [0, 1, -3, 1000, i32::MAX] {
                let t = x.wrapping_add(3);
                let expected = t.wrapping_mul(5).wrapping_add(7) ^ t;
                assert_eq!(call(s, &i, "chain", &[x]), Ok(expected), "{mode} x={x}");
            }
            for x in [4, 5, -1, i32::MIN] {
                let picked = if x < 5 { 7 } else { 9 };
                let high = ((x as i64).wrapping_mul(0x100000001) as u64 >> 32) as i32;
                let want = picked + high;
                assert_eq!(call(s, &i, "acc_consumers", &[x]), Ok(want), "{mode} x={x}");
            }
            assert_eq!(call(s, &i, "copy_acc", &[10]), Ok(24), "{mode}");
            assert_eq!(call(s, &i, "copy_acc", &[0]), Ok(6), "{mode}");
            let f = i.get_func(&*s, "copy_acc64").unwrap();
            let mut out = [Val::I64(0)];
            f.call(&mut *s, &[Val::I32(10)], &mut out).unwrap();
            // Four iterations: p = 4 * 0x100000003, returned twice.
            assert_eq!(out[0].unwrap_i64(), 8 * 0x100000003, "{mode}");
            assert_eq!(call(s, &i, "indirect0", &[0, 10]), Ok(24), "{mode}");
            assert_eq!(call(s, &i, "indirect1", &[10]), Ok(24), "{mode}");
            let mismatch = "indirect call type mismatch";
            assert_eq!(
                call(s, &i, "indirect0", &[1, 10]),
                Err(mismatch.into()),
                "{mode}"
            );
            let null = "uninitialized element";
            let got = call(s, &i, "indirect0", &[2, 10]).unwrap_err();
            assert!(got.contains(null), "{mode}: {got}");
            let past = "undefined element";
            let got = call(s, &i, "indirect0", &[3, 10]).unwrap_err();
            assert!(got.contains(past), "{mode}: {got}");
            // The store is usable after the traps.
            assert_eq!(call(s, &i, "indirect0", &[0, -1]), Ok(-9), "{mode}");
        }
    }
}
