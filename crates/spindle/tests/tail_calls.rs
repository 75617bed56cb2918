//! Tail calls (`return_call`, `return_call_indirect`) run in constant Wasm and host stack:
//! a 1,000,000-deep chain of them completes with a call-depth limit of 16 frames on a
//! 256 KiB native stack, under both dispatch backends and both translation modes, while the
//! same chain made of ordinary calls is stopped by that limit. A tail call to a host function
//! returns its results to the caller.

use spindle::{
    Config, Dispatch, Engine, FuncType, Linker, Module, Store, StoreLimits, Translation, Val,
    ValType,
};

const MODULE: &str = r#"
(module
  (import "host" "twice" (func $twice (param i64) (result i64)))
  (type $step (func (param i64 i64) (result i64)))
  (table funcref (elem $even_indirect $odd_indirect))
  ;; even(n, acc): n steps alternating between two functions, acc counting them.
  (func $even (export "even") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $odd (i64.sub (local.get $n) (i64.const 1))
                              (i64.add (local.get $acc) (i64.const 1))))))
  (func $odd (param $n i64) (param $acc i64) (result i64) (local $pad i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $even (i64.sub (local.get $n) (i64.const 1))
                               (i64.add (local.get $acc) (i64.const 2))))))
  ;; The same through the table.
  (func $even_indirect (export "even_indirect") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $step)
              (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (i64.const 1))
              (i32.const 1)))))
  (func $odd_indirect (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $step)
              (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (i64.const 2))
              (i32.const 0)))))
  ;; Ordinary calls, for contrast.
  (func $deep (export "deep") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (call $deep (i64.sub (local.get $n) (i64.const 1))
                        (i64.add (local.get $acc) (i64.const 1))))))
  ;; A tail call to the host, one level below another function.
  (func $to_host (param i64) (result i64) (return_call $twice (local.get 0)))
  (func (export "via_host") (param i64) (result i64)
    (i64.add (call $to_host (local.get 0)) (i64.const 1)))
)
"#;

fn run(translation: Translation, dispatch: Dispatch) {
    let engine = Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
    let module = Module::from_wat(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimits {
        call_depth: 16,
        ..StoreLimits::default()
    });
    let mut linker = Linker::new(&engine);
    let ty = FuncType {
        params: vec![ValType::I64],
        results: vec![ValType::I64],
    };
    linker
        .func_new("host", "twice", ty, |_, args, results| {
            let Val::I64(x) = args[0] else { panic!() };
            results[0] = Val::I64(2 * x);
            Ok(())
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let mode = format!("{translation:?}/{dispatch:?}");
    let mut call = |name: &str, args: &[Val]| {
        let f = instance.get_func(&store, name).unwrap();
        let mut out = [Val::I64(0)];
        f.call(&mut store, args, &mut out).map(|()| out[0])
    };
    let n: i64 = 1_000_000;
    // Half the steps add 1, half add 2.
    let expected = Val::I64(n / 2 * 3);
    for name in ["even", "even_indirect"] {
        let got = call(name, &[Val::I64(n), Val::I64(0)]);
        assert_eq!(got.unwrap(), expected, "{name}, {mode}");
    }
    let err = call("deep", &[Val::I64(100), Val::I64(0)]).unwrap_err();
    assert!(
        err.to_string().contains("call stack exhausted"),
        "{mode}: {err}"
    );
    assert_eq!(
        call("deep", &[Val::I64(10), Val::I64(0)]).unwrap(),
        Val::I64(10)
    );
    assert_eq!(
        call("via_host", &[Val::I64(20)]).unwrap(),
        Val::I64(41),
        "{mode}"
    );
}

/// A tail call to a host function with more results than arguments, with operands below
/// the call, on a fresh store (whose register stack is exactly the first frame): the results
/// land inside the frame.
#[test]
fn a_tail_call_to_the_host_returns_more_results_than_it_took_arguments() {
    let text = r#"
      (module
        (import "env" "h" (func $h (result i32 i32 i32)))
        (func (export "t") (result i32 i32 i32)
          (i32.const 9) (i32.const 8) (return_call $h)))"#;
    for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
        let engine = Engine::new(Config::new().dispatch(dispatch)).unwrap();
        let module = Module::from_wat(&engine, text).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        let ty = FuncType {
            params: vec![],
            results: vec![ValType::I32; 3],
        };
        linker
            .func_new("env", "h", ty, |_, _, results| {
                results.copy_from_slice(&[Val::I32(1), Val::I32(2), Val::I32(3)]);
                Ok(())
            })
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let f = instance.get_func(&store, "t").unwrap();
        let mut out = [Val::I32(0); 3];
        f.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out, [Val::I32(1), Val::I32(2), Val::I32(3)], "{dispatch:?}");
    }
}

#[test]
fn a_million_tail_calls_run_in_constant_stack_in_every_mode() {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            for translation in [Translation::Eager, Translation::Lazy] {
                for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
                    run(translation, dispatch);
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("thread panicked");
}
