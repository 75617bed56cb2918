//! Calls in every translation mode and on both dispatch backends. Calls inside a module go
//! through the module's code table (shared by every instance and store of the module), yet
//! run in the caller's instance: with its memory, globals and table. A call zeroes only the
//! declared locals its callee may read before writing them (the translator's definite
//! assignment), yet every local reads as zero until written.

use spindle::{Config, Dispatch, Engine, Instance, Linker, Module, Store, Translation};

/// An engine for each translation mode and dispatch backend, with its name.
fn every_mode() -> Vec<(String, Engine)> {
    let mut engines = Vec::new();
    for translation in [
        Translation::Eager,
        Translation::Lazy,
        Translation::LazyUnchecked,
    ] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            let engine =
                Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
            engines.push((format!("{translation:?}, {dispatch:?}"), engine));
        }
    }
    engines
}

/// `probe()` calls `$read` (a function of the module) and `$imported` (an import), each
/// of which reads the memory, a global and a table entry of *its* instance: the result
/// packs `$read`'s view in the low 16 bits and the import's above. `bump()` moves this
/// instance's state on (it calls itself through `$read` too), so that instances differ.
const MODULE: &str = r#"
(module
  (import "env" "imported" (func $imported (result i32)))
  (type $v (func (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (table 1 funcref)
  (elem (i32.const 0) $one)
  (elem declare func $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  ;; memory[0] * 100 + global * 10 + table[0]()
  (func $read (export "read") (result i32)
    (i32.add
      (i32.add
        (i32.mul (i32.load (i32.const 0)) (i32.const 100))
        (i32.mul (global.get $g) (i32.const 10)))
      (call_indirect (type $v) (i32.const 0))))
  (func (export "probe") (result i32)
    (i32.or
      (call $read)
      (i32.shl (call $imported) (i32.const 16))))
  ;; deep recursion inside the module, every level reading through $read
  (func $depth (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $read))
      (else (i32.sub (call $depth (i32.sub (local.get $n) (i32.const 1))) (call $read)))))
  (func (export "depth") (param i32) (result i32) (call $depth (local.get 0)))
  (func (export "set") (param $mem i32) (param $g i32) (param $two i32)
    (i32.store (i32.const 0) (local.get $mem))
    (global.set $g (local.get $g))
    (if (local.get $two) (then (table.set (i32.const 0) (ref.func $two))))))
"#;

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// A store holding one instance of `bytes`, a module without imports.
fn instantiate(engine: &Engine, bytes: &[u8]) -> (Store<()>, Instance) {
    let module = Module::new(engine, bytes).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

struct Pair {
    store: Store<()>,
    first: Instance,
    second: Instance,
}

/// Two instances of one module in one store: the first imports a host function
/// returning 7, the second imports the first's `read`.
fn pair(engine: &Engine, module: &Module) -> Pair {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    linker.func_wrap("env", "imported", || 7i32).unwrap();
    let first = linker.instantiate(&mut store, module).unwrap();
    let read = first.get_func(&mut store, "read").unwrap();
    let mut linker = Linker::new(engine);
    linker.define(&store, "env", "imported", read).unwrap();
    let second = linker.instantiate(&mut store, module).unwrap();
    Pair {
        store,
        first,
        second,
    }
}

fn call_i32(p: &mut Pair, second: bool, name: &str) -> i32 {
    let inst = if second { p.second } else { p.first };
    let f = inst.get_typed_func::<(), i32>(&p.store, name).unwrap();
    f.call(&mut p.store, ()).unwrap()
}

fn set(p: &mut Pair, second: bool, mem: i32, g: i32, two: i32) {
    let inst = if second { p.second } else { p.first };
    let f = inst
        .get_typed_func::<(i32, i32, i32), ()>(&p.store, "set")
        .unwrap();
    f.call(&mut p.store, (mem, g, two)).unwrap();
}

fn depth(p: &mut Pair, second: bool, n: i32) -> i32 {
    let inst = if second { p.second } else { p.first };
    let f = inst.get_typed_func::<i32, i32>(&p.store, "depth").unwrap();
    f.call(&mut p.store, n).unwrap()
}

#[test]
fn calls_inside_a_module_run_in_the_callers_instance() {
    let bytes = wat(MODULE);
    for (what, engine) in every_mode() {
        let module = Module::new(&engine, &bytes).unwrap();
        // Two stores of the same module: the code table is shared by both.
        let mut a = pair(&engine, &module);
        let mut b = pair(&engine, &module);
        // Fresh instances: memory 0, global 0, table[0] = $one.
        assert_eq!(call_i32(&mut a, false, "probe"), 1 | 7 << 16, "{what}");
        set(&mut a, false, 3, 4, 0); // first of a: 341
        set(&mut a, true, 5, 6, 1); // second of a: 562
        set(&mut b, false, 8, 9, 1); // first of b: 892
        assert_eq!(call_i32(&mut a, false, "probe"), 341 | 7 << 16, "{what}");
        assert_eq!(call_i32(&mut a, true, "probe"), 562 | 341 << 16, "{what}");
        assert_eq!(call_i32(&mut b, false, "probe"), 892 | 7 << 16, "{what}");
        assert_eq!(call_i32(&mut b, true, "probe"), 1 | 892 << 16, "{what}");
        // 50 levels of calls inside the module: read - 50 * read.
        assert_eq!(depth(&mut a, true, 50), 562 - 50 * 562, "{what}");
        assert_eq!(depth(&mut b, false, 50), 892 - 50 * 892, "{what}");
    }
}

/// The depth limit holds for calls inside a module: a runaway recursion traps with stack
/// exhaustion, and the store stays usable.
#[test]
fn recursion_inside_a_module_is_bounded() {
    let bytes = wat(r#"
(module
  (func $down (export "down") (param i32) (result i32)
    (call $down (i32.add (local.get 0) (i32.const 1))))
  (func (export "ok") (result i32) (i32.const 5)))
"#);
    for (what, engine) in every_mode() {
        let (mut store, instance) = instantiate(&engine, &bytes);
        let down = instance.get_typed_func::<i32, i32>(&store, "down").unwrap();
        let err = down.call(&mut store, 0).unwrap_err();
        assert!(
            err.to_string().contains("call stack exhausted"),
            "{what}: {err}"
        );
        let ok = instance.get_typed_func::<(), i32>(&store, "ok").unwrap();
        assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
    }
}

const LOCALS: &str = r#"
(module
  (tag $oops)
  (func $throw (throw $oops))
  ;; Fills its locals (the registers the cases' locals take) with non-zero values.
  (func $dirty (export "dirty") (param $p i32) (result i32)
    (local $a i32) (local $b i64) (local $c i32) (local $d i32) (local $e i32)
    (local $f i32) (local $g i32) (local $h i32) (local $v v128) (local $w v128)
    (local.set $a (i32.const -1)) (local.set $b (i64.const -1)) (local.set $c (i32.const -1))
    (local.set $d (i32.const -1)) (local.set $e (i32.const -1)) (local.set $f (i32.const -1))
    (local.set $g (i32.const -1)) (local.set $h (i32.const -1))
    (local.set $v (v128.const i64x2 -1 -1)) (local.set $w (v128.const i64x2 -1 -1))
    (i32.add (local.get $p) (local.get $a)))

  ;; `if` without `else`: written on one path only.
  (func $if_then (export "if_then") (param $p i32) (result i32) (local $x i32)
    (if (local.get $p) (then (local.set $x (i32.const 5))))
    (local.get $x))

  ;; `if` / `else`, written in `then` only.
  (func $if_else (export "if_else") (param $p i32) (result i32) (local $y i64) (local $x i32)
    (if (local.get $p)
      (then (local.set $x (i32.const 5)))
      (else (local.set $y (i64.const 1))))
    (i32.add (local.get $x) (i32.wrap_i64 (local.get $y))))

  ;; A `br_if` out of the block before the write.
  (func $br_if (export "br_if") (param $p i32) (result i32) (local $a i32) (local $x i32)
    (block $out
      (br_if $out (local.get $p))
      (local.set $x (i32.const 7)))
    (local.get $x))

  ;; `br_table`: one target skips the write.
  (func $br_table (export "br_table") (param $p i32) (result i32) (local $a i32) (local $b i32) (local $x i32)
    (block $skip
      (block $write
        (br_table $write $skip (local.get $p)))
      (local.set $x (i32.const 9)))
    (local.get $x))

  ;; A loop reads before it writes: the first iteration sees zero.
  (func $loop (export "loop") (param $p i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $x i32) (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (local.get $x)))
      (local.set $x (i32.const 100))
      (br_if $again (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
    (local.get $sum))

  ;; A throw skips the write; the catch reads it.
  (func $catch (export "catch") (param $p i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $x i32)
    (block $handler
      (try_table (catch_all $handler)
        (if (local.get $p) (then (call $throw)))
        (local.set $x (i32.const 3))))
    (local.get $x))

  ;; A `v128` local, written on one path.
  (func $v128 (export "v128") (param $p i32) (result i32)
    (local $a i64) (local $b i64) (local $c i32) (local $v v128)
    (if (local.get $p) (then (local.set $v (v128.const i32x4 1 1 1 1))))
    (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))

  ;; Written on every path before the read: the only case whose local need not be zeroed.
  (func $always (export "always") (param $p i32) (result i32) (local $x i32)
    (if (local.get $p)
      (then (local.set $x (i32.const 1)))
      (else (local.set $x (i32.const 2))))
    (local.get $x))

  ;; Each case called from Wasm right after `dirty`, whose frame its own overlaps: a call
  ;; inside the module (the interpreter's own path, not the host's) zeroes the locals too.
  (func (export "call_if_then") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $if_then (local.get $p)))
  (func (export "call_if_else") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $if_else (local.get $p)))
  (func (export "call_br_if") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $br_if (local.get $p)))
  (func (export "call_br_table") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $br_table (local.get $p)))
  (func (export "call_loop") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $loop (local.get $p)))
  (func (export "call_catch") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $catch (local.get $p)))
  (func (export "call_v128") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $v128 (local.get $p)))
  (func (export "call_always") (param $p i32) (result i32)
    (drop (call $dirty (i32.const 1))) (call $always (local.get $p))))
"#;

#[test]
fn locals_read_before_written_start_at_zero() {
    let bytes = wat(LOCALS);
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
    for (what, engine) in every_mode() {
        let (mut store, instance) = instantiate(&engine, &bytes);
        let dirty = instance
            .get_typed_func::<i32, i32>(&store, "dirty")
            .unwrap();
        for (name, arg, expected) in cases {
            assert_eq!(dirty.call(&mut store, 1).unwrap(), 0);
            let f = instance.get_typed_func::<i32, i32>(&store, name).unwrap();
            let got = f.call(&mut store, arg).unwrap();
            assert_eq!(got, expected, "{name}({arg}), {what}");
            let call = format!("call_{name}");
            let f = instance.get_typed_func::<i32, i32>(&store, &call).unwrap();
            let got = f.call(&mut store, arg).unwrap();
            assert_eq!(got, expected, "{call}({arg}), {what}");
        }
    }
}

/// `call_indirect` keeps the last table it used (see `Ctx::indirect_table`); `table.grow`
/// moves the table's elements, and the calls after it must see the table as it is. (A
/// cache of the elements' address would not: under AddressSanitizer this test reports
/// the read of the old ones.)
const GROWN: &str = r#"
(module
  (type $v (func (result i32)))
  (table $t 300 funcref)
  (elem (table $t) (i32.const 150) func $one)
  (elem declare func $two $three)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))
  (func $at (param i32) (result i32) (call_indirect (type $v) (local.get 0)))
  ;; The sum of: the call of entry 150 before the growth (1), after it with entry 150
  ;; replaced (2) and of the new last entry (3), each weighted, and the old size; the
  ;; table grown by `n` in between. (The references are taken first, so that nothing
  ;; between the growth and the calls after it leaves the interpreter's fast path, which
  ;; would forget the table anyway.)
  (func (export "run") (param $n i32) (result i32)
    (local $sum i32) (local $old i32) (local $two funcref) (local $three funcref)
    (local.set $two (ref.func $two))
    (local.set $three (ref.func $three))
    (local.set $sum (call $at (i32.const 150)))
    (local.set $old (table.grow $t (ref.null func) (local.get $n)))
    (table.set $t (i32.const 150) (local.get $two))
    (table.set $t (i32.add (local.get $old) (i32.sub (local.get $n) (i32.const 1)))
      (local.get $three))
    (local.set $sum (i32.add (local.get $sum) (i32.mul (call $at (i32.const 150)) (i32.const 10))))
    (local.set $sum (i32.add (local.get $sum)
      (i32.mul (call $at (i32.add (local.get $old) (i32.sub (local.get $n) (i32.const 1))))
        (i32.const 100))))
    (i32.add (local.get $sum) (i32.mul (local.get $old) (i32.const 1000)))))
"#;

#[test]
fn call_indirect_sees_a_table_grown_under_it() {
    let bytes = wat(GROWN);
    for (what, engine) in every_mode() {
        let (mut store, instance) = instantiate(&engine, &bytes);
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        // The first growth by 10,000 moves the elements; the second call starts with the
        // grown table and grows it again.
        assert_eq!(
            run.call(&mut store, 10_000).unwrap(),
            1 + 320 + 300_000,
            "{what}"
        );
        assert_eq!(
            run.call(&mut store, 20_000).unwrap(),
            2 + 320 + 10_300_000,
            "{what}"
        );
    }
}
