//! Declared locals start at zero even though a call zeroes only those the code may read
//! before writing (the translator's definite-assignment analysis): each case below reads
//! a local that some path leaves unwritten, right after `dirty` left non-zero values in
//! the same registers (both are called from the host, so their frames start at the same
//! register). A case the analysis got wrong would read `dirty`'s values.

use spindle::{Config, Dispatch, Engine, Linker, Module, Store, Translation};

const MODULE: &str = r#"
(module
  (tag $oops)
  (func $throw (throw $oops))
  ;; Fills its locals (the registers the cases' locals take) with non-zero values.
  (func (export "dirty") (param $p i32) (result i32)
    (local $a i32) (local $b i64) (local $c i32) (local $d i32) (local $e i32)
    (local $f i32) (local $g i32) (local $h i32) (local $v v128) (local $w v128)
    (local.set $a (i32.const -1)) (local.set $b (i64.const -1)) (local.set $c (i32.const -1))
    (local.set $d (i32.const -1)) (local.set $e (i32.const -1)) (local.set $f (i32.const -1))
    (local.set $g (i32.const -1)) (local.set $h (i32.const -1))
    (local.set $v (v128.const i64x2 -1 -1)) (local.set $w (v128.const i64x2 -1 -1))
    (i32.add (local.get $p) (local.get $a)))

  ;; `if` without `else`: written on one path only.
  (func (export "if_then") (param $p i32) (result i32) (local $x i32)
    (if (local.get $p) (then (local.set $x (i32.const 5))))
    (local.get $x))

  ;; `if` / `else`, written in `then` only.
  (func (export "if_else") (param $p i32) (result i32) (local $y i64) (local $x i32)
    (if (local.get $p)
      (then (local.set $x (i32.const 5)))
      (else (local.set $y (i64.const 1))))
    (i32.add (local.get $x) (i32.wrap_i64 (local.get $y))))

  ;; A `br_if` out of the block before the write.
  (func (export "br_if") (param $p i32) (result i32) (local $a i32) (local $x i32)
    (block $out
      (br_if $out (local.get $p))
      (local.set $x (i32.const 7)))
    (local.get $x))

  ;; `br_table`: one target skips the write.
  (func (export "br_table") (param $p i32) (result i32) (local $a i32) (local $b i32) (local $x i32)
    (block $skip
      (block $write
        (br_table $write $skip (local.get $p)))
      (local.set $x (i32.const 9)))
    (local.get $x))

  ;; A loop reads before it writes: the first iteration sees zero.
  (func (export "loop") (param $p i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $x i32) (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (local.get $x)))
      (local.set $x (i32.const 100))
      (br_if $again (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
    (local.get $sum))

  ;; A throw skips the write; the catch reads it.
  (func (export "catch") (param $p i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $x i32)
    (block $handler
      (try_table (catch_all $handler)
        (if (local.get $p) (then (call $throw)))
        (local.set $x (i32.const 3))))
    (local.get $x))

  ;; A `v128` local, written on one path.
  (func (export "v128") (param $p i32) (result i32)
    (local $a i64) (local $b i64) (local $c i32) (local $v v128)
    (if (local.get $p) (then (local.set $v (v128.const i32x4 1 1 1 1))))
    (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))

  ;; Written on every path before the read: the only case whose local need not be zeroed.
  (func (export "always") (param $p i32) (result i32) (local $x i32)
    (if (local.get $p)
      (then (local.set $x (i32.const 1)))
      (else (local.set $x (i32.const 2))))
    (local.get $x)))
"#;

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

#[test]
fn locals_read_before_written_start_at_zero() {
    let bytes = wat(MODULE);
    // (export, argument, expected): each argument takes the path that skips the write.
    let cases = [
        ("if_then", 0, 0),
        ("if_then", 1, 5),
        ("if_else", 0, 1),
        ("if_else", 1, 5),
        ("br_if", 1, 0),
        ("br_if", 0, 7),
        ("br_table", 1, 0),
        ("br_table", 0, 9),
        ("loop", 1, 0),
        ("loop", 3, 200),
        ("catch", 1, 0),
        ("catch", 0, 3),
        ("v128", 0, 0),
        ("v128", 1, 2),
        ("always", 0, 2),
        ("always", 1, 1),
    ];
    for translation in [
        Translation::Eager,
        Translation::Lazy,
        Translation::LazyUnchecked,
    ] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            let engine =
                Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
            let module = Module::new(&engine, &bytes).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine)
                .instantiate(&mut store, &module)
                .unwrap();
            let dirty = instance
                .get_typed_func::<i32, i32>(&store, "dirty")
                .unwrap();
            for (name, arg, expected) in cases {
                assert_eq!(dirty.call(&mut store, 1).unwrap(), 0);
                let f = instance.get_typed_func::<i32, i32>(&store, name).unwrap();
                let got = f.call(&mut store, arg).unwrap();
                assert_eq!(
                    got, expected,
                    "{name}({arg}), {translation:?}, {dispatch:?}"
                );
            }
        }
    }
}
