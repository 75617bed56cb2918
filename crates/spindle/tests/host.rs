//! Host functions from typed closures: arguments and results converted, the store's data
//! reachable through `Caller`, and a host error becoming a trap.

use spindle::{Caller, Engine, Func, Linker, Module, Store};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

#[test]
fn typed_host_functions_see_the_store_data() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        wat(r#"(module
          (import "env" "add_and_count" (func $h (param i32 i64) (result i64)))
          (import "env" "check" (func $check (param i32)))
          (func (export "run") (param i32) (result i64)
            (call $check (local.get 0))
            (call $h (local.get 0) (i64.const 40))))"#),
    )
    .unwrap();
    let mut store: Store<Vec<i32>> = Store::new(&engine, Vec::new());
    let add = Func::wrap(
        &mut store,
        |mut caller: Caller<'_, Vec<i32>>, a: i32, b: i64| {
            caller.data_mut().push(a);
            a as i64 + b
        },
    );
    let check = Func::wrap(
        &mut store,
        |_caller: Caller<'_, Vec<i32>>, a: i32| -> spindle::Result<()> {
            if a < 0 {
                return Err(spindle::Error::msg("negative"));
            }
            Ok(())
        },
    );
    let mut linker = Linker::new(&engine);
    linker
        .define(&store, "env", "add_and_count", add)
        .unwrap()
        .define(&store, "env", "check", check)
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 2).unwrap(), 42);
    assert_eq!(run.call(&mut store, 5).unwrap(), 45);
    assert_eq!(store.data(), &vec![2, 5]);
    match run.call(&mut store, -1) {
        Err(e) => assert_eq!(e.root_cause().to_string(), "negative"),
        Ok(v) => panic!("expected the host's error, got {v:?}"),
    }
    assert_eq!(
        store.data(),
        &vec![2, 5],
        "the failing call recorded nothing"
    );
    // A typed view with the wrong signature is refused.
    assert!(instance.get_typed_func::<i64, i64>(&store, "run").is_err());
}

/// A host function called from deep inside Wasm calls back into Wasm deeper still, so the
/// store's frame records grow (and move) under the outer calls' own; those then return
/// through their records, and a call after them still finds its way. (The run keeps the
/// top record's address and the records' limit, set again after every host call; a debug
/// build checks the address at each return.)
#[test]
fn a_callback_that_grows_the_frames_leaves_the_outer_returns_intact() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        wat(r#"(module
          (import "env" "deep" (func $deep (param i32) (result i32)))
          (func $down (export "down") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (i32.const 1)
                (call $down (i32.sub (local.get 0) (i32.const 1)))))))
          ;; `n` frames of its own, the host's callback below them, then back up.
          (func $outer (export "outer") (param i32 i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (call $deep (local.get 1)))
              (else (i32.add (i32.const 1000)
                (call $outer (i32.sub (local.get 0) (i32.const 1)) (local.get 1)))))))"#),
    )
    .unwrap();
    let mut store: Store<()> = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "deep",
            |mut caller: Caller<'_, ()>, n: i32| -> spindle::Result<i32> {
                let down = caller.get_export("down").unwrap().into_func().unwrap();
                let down = down.typed::<i32, i32>(&caller)?;
                // Twice: the second call runs on records the first one grew.
                Ok(down.call(&mut caller, n)? + down.call(&mut caller, n / 2)?)
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let outer = instance
        .get_typed_func::<(i32, i32), i32>(&store, "outer")
        .unwrap();
    for (own, deep) in [(3, 9_000), (40, 9_000), (40, 10), (0, 9_900)] {
        assert_eq!(
            outer.call(&mut store, (own, deep)).unwrap(),
            own * 1000 + deep + deep / 2,
            "{own} frames, then {deep} below the host's"
        );
    }
}
