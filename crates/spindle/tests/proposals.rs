//! Proposals a build can leave out (the cargo features `simd`, `relaxed-simd`, `gc`, `exceptions`,
//! `threads`, `tail-call`, `function-references`, `memory64`, `multi-memory` and
//! `wide-arithmetic`): a module using one runs when its feature is compiled in, and is
//! refused at load, with an error that names the feature, when it is not. The workspace's tests run
//! this with every feature; `.ci/run` runs it again with none
//! (`cargo test -p spindle --no-default-features --features std --test proposals`).

use spindle::{Config, Dispatch, Engine, Instance, Module, Store};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// Loads `text` and calls its `run: [] -> [i32]`, or says why it could not load.
fn run(text: &str) -> Result<i32, String> {
    // Every proposal asked for (threads and wide arithmetic are not in Wasm 3.0, the
    // default): what is refused is refused for being left out of the build.
    let mut config = Config::new();
    config.wasm_threads(true).wasm_wide_arithmetic(true);
    let engine = Engine::new(&config).expect("engine");
    let module = Module::new(&engine, wat(text)).map_err(|e| format!("{e:#}"))?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<(), i32>(&store, "run")
        .expect("exports run");
    Ok(f.call(&mut store, ()).expect("runs"))
}

/// Checks a module of a proposal against whether its feature is compiled in.
fn check(feature: &str, compiled: bool, text: &str, expected: i32) {
    match run(text) {
        Ok(v) => {
            assert!(compiled, "`{feature}` is left out, yet its module ran");
            assert_eq!(v, expected, "`{feature}`");
        }
        Err(e) => {
            assert!(!compiled, "`{feature}` is compiled in, yet: {e}");
            assert!(
                e.contains("not compiled into this build") && e.contains(feature),
                "the error names the missing feature `{feature}`: {e}"
            );
        }
    }
}

#[test]
fn the_core_always_runs() {
    let text = r#"(module
      (memory 1)
      (func (export "run") (result i32)
        (i32.store (i32.const 8) (i32.const 40))
        (i32.add (i32.load (i32.const 8)) (i32.extend8_s (i32.const 2)))))"#;
    assert_eq!(run(text), Ok(42));
}

#[test]
fn simd() {
    let text = r#"(module
      (func (export "run") (result i32)
        (i32x4.extract_lane 2
          (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 39 40)))))"#;
    check("simd", cfg!(feature = "simd"), text, 42);
}

#[test]
fn simd_in_a_signature_alone() {
    // No SIMD operator, only the type: refused too when SIMD is left out.
    let text = r#"(module
      (func $id (param v128) (result v128) (local.get 0))
      (func (export "run") (result i32) (i32.const 42)))"#;
    check("simd", cfg!(feature = "simd"), text, 42);
}

#[test]
fn relaxed_simd() {
    // An all-ones or all-zeros mask makes `relaxed_laneselect` deterministic.
    let text = r#"(module
      (func (export "run") (result i32)
        (i32x4.extract_lane 0
          (i32x4.relaxed_laneselect
            (v128.const i32x4 42 0 0 0) (v128.const i32x4 7 0 0 0) (v128.const i32x4 -1 0 0 0)))))"#;
    // Without SIMD, `v128.const` is refused first, for `simd`.
    let feature = if cfg!(feature = "simd") {
        "relaxed-simd"
    } else {
        "simd"
    };
    check(feature, cfg!(feature = "relaxed-simd"), text, 42);
}

#[test]
fn gc() {
    let text = r#"(module
      (type $pair (struct (field i32) (field (mut i32))))
      (func (export "run") (result i32)
        (local $p (ref $pair))
        (local.set $p (struct.new $pair (i32.const 40) (i32.const 0)))
        (struct.set $pair 1 (local.get $p) (i32.const 2))
        (i32.add (struct.get $pair 0 (local.get $p)) (struct.get $pair 1 (local.get $p)))))"#;
    check("gc", cfg!(feature = "gc"), text, 42);
}

#[test]
fn exceptions() {
    let text = r#"(module
      (tag $e (param i32))
      (func (export "run") (result i32)
        (block $h (result i32)
          (try_table (catch $e $h) (throw $e (i32.const 42)))
          (i32.const 0))))"#;
    check("exceptions", cfg!(feature = "exceptions"), text, 42);
}

#[test]
fn threads() {
    let text = r#"(module
      (memory 1 1 shared)
      (func (export "run") (result i32)
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 40)))
        (i32.atomic.rmw.add (i32.const 0) (i32.const 2))
        (drop)
        (i32.atomic.load (i32.const 0))))"#;
    check("threads", cfg!(feature = "threads"), text, 42);
}

#[test]
fn tail_call() {
    let text = r#"(module
      (func $sum (param $n i32) (param $acc i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then (local.get $acc))
          (else (return_call $sum
            (i32.sub (local.get $n) (i32.const 1))
            (i32.add (local.get $acc) (local.get $n))))))
      (func (export "run") (result i32)
        ;; 1 + 2 + ... + 8 = 36, + 6.
        (i32.add (call $sum (i32.const 8) (i32.const 0)) (i32.const 6))))"#;
    check("tail-call", cfg!(feature = "tail-call"), text, 42);
}

#[test]
fn function_references() {
    let text = r#"(module
      (type $f (func (result i32)))
      (func $forty_two (type $f) (i32.const 42))
      (elem declare func $forty_two)
      (func (export "run") (result i32)
        (call_ref $f (ref.func $forty_two))))"#;
    check_function_references(text);
}

/// `check` of a function-references module whose `run` gives 42.
fn check_function_references(text: &str) {
    check(
        "function-references",
        cfg!(feature = "function-references"),
        text,
        42,
    );
}

#[test]
fn function_references_in_types_alone() {
    // No operator of the proposal: a non-nullable reference in a signature, and a concrete
    // reference inside the type section (checked apart from other types).
    let signature = r#"(module
      (func $id (param (ref func)) (result (ref func)) (local.get 0))
      (func (export "run") (result i32) (i32.const 42)))"#;
    let type_definition = r#"(module
      (type $f (func (result i32)))
      (type $g (func (param (ref null $f))))
      (func (export "run") (result i32) (i32.const 42)))"#;
    for text in [signature, type_definition] {
        check_function_references(text);
    }
}

#[test]
fn memory64() {
    let text = r#"(module
      (memory i64 1)
      (func (export "run") (result i32)
        (i32.store (i64.const 65532) (i32.const 42))
        (i32.load (i64.const 65532))))"#;
    check("memory64", cfg!(feature = "memory64"), text, 42);
}

#[test]
fn multi_memory() {
    let text = r#"(module
      (memory $a 1)
      (memory $b 1)
      (func (export "run") (result i32)
        (i32.store $b (i32.const 4) (i32.const 40))
        (i32.store $a (i32.const 4) (i32.const 2))
        (i32.add (i32.load $a (i32.const 4)) (i32.load $b (i32.const 4)))))"#;
    check("multi-memory", cfg!(feature = "multi-memory"), text, 42);
}

#[test]
fn wide_arithmetic() {
    let text = r#"(module
      (func (export "run") (result i32)
        ;; (2^64 - 1) + 43 = 2^64 + 42: low 42, high 1.
        (i64.add128 (i64.const -1) (i64.const 0) (i64.const 43) (i64.const 0))
        (i64.add)
        (i32.wrap_i64)
        (i32.const 1)
        (i32.sub)))"#;
    check(
        "wide-arithmetic",
        cfg!(feature = "wide-arithmetic"),
        text,
        42,
    );
}

/// The translator's superinstructions (cargo feature `superinstructions`, not a proposal):
/// with it, a counted loop over memory gets accumulator, immediate, fused-branch and
/// address-plus-immediate forms; without it, only plain instructions, and the same result.
#[test]
fn superinstructions_follow_their_feature() {
    let text = r#"(module
      (memory 1)
      (func (export "run") (result i32) (local $i i32) (local $sum i32)
        (loop $next
          (i32.store offset=4 (i32.add (local.get $i) (i32.const 8)) (local.get $i))
          (local.set $sum (i32.add (local.get $sum)
            (i32.load offset=4 (i32.add (local.get $i) (i32.const 8)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $next (i32.lt_s (local.get $i) (i32.const 40))))
        ;; 0 + 4 + ... + 36 = 180; minus 138.
        (i32.sub (local.get $sum) (i32.const 138))))"#;
    assert_eq!(run(text), Ok(42));
    // The portable loop's code keeps the opcodes a listing needs.
    let engine = Engine::new(Config::new().dispatch(Dispatch::Loop)).unwrap();
    let ir = Module::new(&engine, wat(text))
        .expect("loads")
        .disassemble();
    // Each instruction's name, the first word after "NNNN: ".
    let names: Vec<&str> = ir
        .lines()
        .filter_map(|l| l.trim_start().split_once(": "))
        .filter_map(|(at, rest)| at.parse::<u32>().ok().and(rest.split(' ').next()))
        .collect();
    // (`Return1Acc` with superinstructions: the result computed just before.)
    assert!(names.iter().any(|n| n.starts_with("Return1")), "{ir}");
    let fused: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            [
                "Acc",
                "Imm",
                "BrIfI32",
                "BrIfI64",
                "Copy2",
                "CopyBr",
                "Const32x2",
                "Indexed",
            ]
            .iter()
            .any(|form| n.contains(form))
                || n.starts_with("CopyConst")
                || n.starts_with("Const32Copy")
        })
        .collect();
    if cfg!(feature = "superinstructions") {
        assert!(fused.len() >= 3, "superinstructions expected: {ir}");
    } else {
        assert!(
            fused.is_empty(),
            "plain instructions only: {fused:?} in {ir}"
        );
    }
}
