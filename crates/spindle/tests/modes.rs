//! Eager and lazy translation give the same results; lazy translation defers translating a
//! body (and what only translation can reject) to its first call.

use spindle::{Config, Engine, EngineError, Linker, Module, Store, Translation};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// `fact`, and a function that is valid but past a limit of the translator (33,000 `v128`
/// locals take 66,000 registers, a frame holds at most 65,535): only lazy translation can
/// create this module, and calling that function reports the translator's error.
fn fact_module() -> String {
    format!(
        r#"
(module
  (func $fact (export "fact") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "big") (result i32) (local{}) (i32.const 1)))
"#,
        " v128".repeat(33_000)
    )
}

fn engine(translation: Translation) -> Engine {
    Engine::new(
        Config::new()
            .translation(translation)
            .features(spindle::Features::all()),
    )
    .unwrap()
}

#[test]
fn eager_and_lazy_agree() {
    let lazy = engine(Translation::Lazy);
    let module = Module::new(&lazy, wat(&fact_module())).unwrap();
    let mut store = Store::new(&lazy, ());
    let instance = Linker::new(&lazy).instantiate(&mut store, &module).unwrap();
    let fact = instance.get_typed_func::<i64, i64>(&store, "fact").unwrap();
    assert_eq!(
        fact.call(&mut store, 20).unwrap(),
        2_432_902_008_176_640_000
    );
    let big = instance.get_typed_func::<(), i32>(&store, "big").unwrap();
    match big.call(&mut store, ()) {
        Err(e) => assert!(
            e.to_string()
                .contains("not supported by the translator yet"),
            "{e}"
        ),
        other => panic!("expected the translator's error, got {other:?}"),
    }
    // Eager translation rejects the module up front.
    let eager = engine(Translation::Eager);
    let err = Module::new(&eager, wat(&fact_module()))
        .err()
        .expect("eager translation rejects the frame up front");
    assert!(err.to_string().contains("65,534 registers"), "{err}");
}

#[test]
fn lazy_mode_still_validates_every_body_up_front() {
    let lazy = engine(Translation::Lazy);
    let invalid = wat(r#"(module (func (export "f") (result i32) (i64.const 0)))"#);
    assert!(matches!(
        Module::new(&lazy, &invalid),
        Err(e) if matches!(e.downcast_ref::<EngineError>(), Some(EngineError::Validate(_)))
    ));
}

/// Fully lazy mode defers validation too: a module with an invalid body is created, its
/// valid functions run, and the invalid one is reported at its first call (from the host
/// and from Wasm) with its function index and byte offset, every time; the store stays
/// usable.
#[test]
fn lazy_unchecked_mode_reports_an_invalid_body_at_its_call() {
    let unchecked = engine(Translation::LazyUnchecked);
    // Function 1's body leaves an i64 where an i32 is due; function 2 calls it.
    let bytes = wat(r#"(module
          (func (export "ok") (result i32) (i32.const 7))
          (func $bad (export "bad") (result i32) (i64.const 0))
          (func (export "calls_bad") (result i32) (call $bad)))"#);
    // Eager and lazy modes reject the module up front.
    assert!(Module::new(&engine(Translation::Lazy), &bytes).is_err());
    let module = Module::new(&unchecked, &bytes).expect("bodies are not validated up front");
    let mut store = Store::new(&unchecked, ());
    let instance = Linker::new(&unchecked)
        .instantiate(&mut store, &module)
        .unwrap();
    let ok = instance.get_typed_func::<(), i32>(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 7);
    for name in ["bad", "calls_bad", "bad"] {
        let f = instance.get_typed_func::<(), i32>(&store, name).unwrap();
        let err = f.call(&mut store, ()).expect_err("an invalid body");
        let text = format!("{err:?}");
        assert!(text.contains("type mismatch"), "{name}: {text}");
        assert!(text.contains("function 1"), "{name}: {text}");
        assert!(text.contains("offset"), "{name}: {text}");
    }
    assert_eq!(ok.call(&mut store, ()).unwrap(), 7);
    // A valid module behaves as in the other modes.
    let module = Module::new(&unchecked, wat(&fact_module())).unwrap();
    let instance = Linker::new(&unchecked)
        .instantiate(&mut store, &module)
        .unwrap();
    let fact = instance.get_typed_func::<i64, i64>(&store, "fact").unwrap();
    assert_eq!(fact.call(&mut store, 10).unwrap(), 3_628_800);
}
