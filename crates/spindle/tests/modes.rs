//! Eager and lazy translation give the same results; lazy translation defers translating a
//! body (and what only translation can reject) to its first call.

use spindle::{Config, Engine, Error, Linker, Module, Store, Translation};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

const FACT: &str = r#"
(module
  (func $fact (export "fact") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
  ;; Valid, but uses custom descriptors, which the translator does not handle yet: only
  ;; lazy translation can create this module, and calling it reports the translator's error.
  (rec (type $a (descriptor $b) (struct)) (type $b (describes $a) (struct)))
  (func (export "gc") (result i32)
    (ref.is_null (struct.new_default_desc $a (struct.new_default $b)))))
"#;

fn engine(translation: Translation) -> Engine {
    Engine::new(&Config {
        translation,
        features: spindle::Features::all(),
        ..Config::default()
    })
}

#[test]
fn eager_and_lazy_agree() {
    let lazy = engine(Translation::Lazy);
    let module = Module::new(&lazy, &wat(FACT)).unwrap();
    let mut store = Store::new(&lazy, ());
    let instance = Linker::new(&lazy).instantiate(&mut store, &module).unwrap();
    let fact = instance.get_typed_func::<i64, i64>(&store, "fact").unwrap();
    assert_eq!(
        fact.call(&mut store, 20).unwrap(),
        2_432_902_008_176_640_000
    );
    let gc = instance.get_typed_func::<(), i32>(&store, "gc").unwrap();
    match gc.call(&mut store, ()) {
        Err(Error::Trap(t)) => assert!(
            t.to_string()
                .contains("not supported by the translator yet"),
            "{t}"
        ),
        other => panic!("expected the translator's error, got {other:?}"),
    }
    // Eager translation rejects the module up front.
    let eager = engine(Translation::Eager);
    let err = Module::new(&eager, &wat(FACT))
        .err()
        .expect("eager translation rejects custom descriptors for now");
    assert!(err.to_string().contains("custom descriptors"), "{err}");
}

#[test]
fn lazy_mode_still_validates_every_body_up_front() {
    let lazy = engine(Translation::Lazy);
    let invalid = wat(r#"(module (func (export "f") (result i32) (i64.const 0)))"#);
    assert!(matches!(
        Module::new(&lazy, &invalid),
        Err(Error::Validate(_))
    ));
}
