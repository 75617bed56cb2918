//! Typed host functions of numbers and vectors take the interpreter's registers directly
//! (no `Val` on the way): every type at its edges, the widest signature, re-entry that
//! moves the register stack, errors and panics, and the same functions called by the
//! embedder rather than by Wasm. References still go through values.

use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle::{
    Caller, Engine, Func, Instance, Linker, Module, Store, TypedFunc, Val, WasmParams, WasmResults,
    V128,
};

const NAN_PAYLOAD: u32 = 0x7fa0_0001;

/// Instantiates `wat` with the host functions `define` adds, and the typed export "run".
fn setup<P: WasmParams, R: WasmResults>(
    wat: &str,
    define: impl FnOnce(&mut Linker<()>),
) -> (Store<()>, Instance, TypedFunc<P, R>) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    define(&mut linker);
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<P, R>(&mut store, "run").unwrap();
    (store, instance, run)
}

#[test]
fn every_numeric_type_crosses_by_register_from_wasm() {
    let (mut store, instance, run) = setup::<(), V128>(
        r#"(module
          (import "h" "mix" (func $mix (param i32 i64 f32 f64 v128 i32)
                                       (result v128 f32 i64 i32 f64)))
          (global $f (export "f") (mut f32) (f32.const 0))
          (global $d (export "d") (mut f64) (f64.const 0))
          (global $i (export "i") (mut i64) (i64.const 0))
          (global $j (export "j") (mut i32) (i32.const 0))
          (func (export "run") (result v128)
            (local $v v128)
            (call $mix (i32.const -7) (i64.const -9000000000) (f32.reinterpret_i32 (i32.const 0x7fa00001))
                       (f64.const -0.5) (v128.const i64x2 0x0102030405060708 0x1112131415161718)
                       (i32.const -1))
            (global.set $d)
            (global.set $j)
            (global.set $i)
            (global.set $f)))"#,
        |linker| {
            linker
                .func_wrap(
                    "h",
                    "mix",
                    |a: i32,
                     b: i64,
                     c: f32,
                     d: f64,
                     e: V128,
                     f: u32|
                     -> (V128, f32, i64, i32, f64) {
                        assert_eq!((a, b, d, f), (-7, -9_000_000_000, -0.5, u32::MAX));
                        assert_eq!(c.to_bits(), NAN_PAYLOAD, "an f32's bits, NaN payload kept");
                        assert_eq!(e.as_u128(), 0x1112131415161718_0102030405060708);
                        // Results in another order, each changed.
                        let swapped = V128::from(e.as_u128().rotate_left(64));
                        (
                            swapped,
                            f32::from_bits(c.to_bits() + 1),
                            b - 1,
                            a * 2,
                            d * 4.0,
                        )
                    },
                )
                .unwrap();
        },
    );
    let v = run.call(&mut store, ()).unwrap();
    assert_eq!(v.as_u128(), 0x0102030405060708_1112131415161718);
    let global = |store: &mut Store<()>, name: &str| {
        instance
            .get_global(&mut *store, name)
            .unwrap()
            .get(&mut *store)
    };
    assert_eq!(global(&mut store, "f"), Val::F32(NAN_PAYLOAD + 1));
    assert_eq!(global(&mut store, "i"), Val::I64(-9_000_000_001));
    assert_eq!(global(&mut store, "j"), Val::I32(-14));
    assert_eq!(global(&mut store, "d"), Val::F64((-2.0f64).to_bits()));
}

#[test]
fn the_widest_signature_sixteen_vectors() {
    let engine = Engine::default();
    let params = "v128 ".repeat(16);
    let args: String = (1..=16u64)
        .map(|i| format!("(v128.const i64x2 {i} {})", i << 40))
        .collect();
    let module = Module::new(
        &engine,
        format!(
            r#"(module
              (import "h" "xor" (func $xor (param {params}) (result v128)))
              (func (export "run") (result v128) (call $xor {args})))"#
        ),
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap(
            "h",
            "xor",
            |a: V128,
             b: V128,
             c: V128,
             d: V128,
             e: V128,
             f: V128,
             g: V128,
             h: V128,
             i: V128,
             j: V128,
             k: V128,
             l: V128,
             m: V128,
             n: V128,
             o: V128,
             p: V128| {
                let all = [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p];
                // Weighted so that a swapped or shifted argument changes the sum.
                let sum = all.iter().enumerate().fold(0u128, |s, (i, v)| {
                    s.wrapping_add(v.as_u128().wrapping_mul(i as u128 + 1))
                });
                V128::from(sum)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), V128>(&mut store, "run")
        .unwrap();
    let want = (1..=16u128).fold(0u128, |s, i| {
        let v = i | (i << 40) << 64;
        s.wrapping_add(v.wrapping_mul(i))
    });
    assert_eq!(run.call(&mut store, ()).unwrap().as_u128(), want);
}

#[test]
fn re_entry_that_grows_the_register_stack_returns_results_to_the_right_place() {
    let (mut store, _, run) = setup::<i32, i32>(
        r#"(module
          (import "h" "reenter" (func $reenter (param i32 i64) (result i64 i32)))
          ;; Deep enough to need more registers than a fresh store has.
          (func $deep (export "deep") (param i32) (result i32)
            (local i64 i64 i64 i64 i64 i64 i64 i64)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (i32.const 1)
                      (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
          (func (export "run") (param i32) (result i32)
            (local $keep i64) (local $k i64) (local $d i32)
            (local.set $keep (i64.const 0x5555))
            (call $reenter (local.get 0) (i64.const 40))
            (local.set $d)
            (local.set $k)
            (i32.add (i32.add (local.get $d) (i32.wrap_i64 (local.get $k)))
                     (i32.wrap_i64 (local.get $keep)))))"#,
        |linker| {
            linker
                .func_wrap(
                    "h",
                    "reenter",
                    |mut caller: Caller<'_, ()>, n: i32, k: i64| -> spindle::Result<(i64, i32)> {
                        let deep = caller
                            .get_export("deep")
                            .and_then(|e| e.into_func())
                            .unwrap()
                            .typed::<i32, i32>(&caller)?;
                        let depth = deep.call(&mut caller, n)?;
                        Ok((k, depth))
                    },
                )
                .unwrap();
        },
    );
    for n in [0, 1, 2000] {
        assert_eq!(run.call(&mut store, n).unwrap(), n + 40 + 0x5555);
    }
}

#[derive(Debug)]
struct Refused(u32);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused {}", self.0)
    }
}

impl std::error::Error for Refused {}

#[test]
fn errors_and_panics_of_register_host_functions_reach_the_embedder() {
    let (mut store, _, run) = setup::<i32, i32>(
        r#"(module
          (import "h" "check" (func $check (param i32) (result i32)))
          (func (export "run") (param i32) (result i32) (call $check (local.get 0))))"#,
        |linker| {
            linker
                .func_wrap("h", "check", |x: u32| -> spindle::Result<u32> {
                    match x {
                        0 => panic!("zero"),
                        x if x > 100 => Err(Refused(x).into()),
                        x => Ok(x + 1),
                    }
                })
                .unwrap();
        },
    );
    let e = run.call(&mut store, 101).unwrap_err();
    assert_eq!(e.downcast_ref::<Refused>().map(|r| r.0), Some(101));
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = catch_unwind(AssertUnwindSafe(|| run.call(&mut store, 0)));
    std::panic::set_hook(hook);
    let payload = panicked.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"zero"));
    // The store is as after a trap.
    assert_eq!(run.call(&mut store, 41).unwrap(), 42);
}

#[test]
fn the_embedder_calls_register_host_functions_directly_and_typed() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let f = Func::wrap(&mut store, |a: f64, v: V128, b: i32| -> (i32, V128, f64) {
        (b + 1, V128::from(!v.as_u128()), a * 2.0)
    });
    let mut out = [Val::I32(0), Val::V128(0), Val::F64(0)];
    f.call(
        &mut store,
        &[Val::F64(1.5f64.to_bits()), Val::V128(5), Val::I32(-3)],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], Val::I32(-2));
    assert_eq!(out[1], Val::V128(!5));
    assert_eq!(out[2], Val::F64(3.0f64.to_bits()));
    let typed = f
        .typed::<(f64, V128, i32), (i32, V128, f64)>(&store)
        .unwrap();
    let (x, v, y) = typed
        .call(&mut store, (0.25, V128::from(u128::MAX), 9))
        .unwrap();
    assert_eq!((x, v.as_u128(), y), (10, 0, 0.5));
}

#[test]
fn references_still_cross_as_values() {
    let (mut store, _, run) = setup::<(), (i32, i32, i32)>(
        r#"(module
          (import "h" "is_set" (func $is_set (param funcref i32) (result i32 funcref)))
          (func $f (export "f"))
          (elem declare func $f)
          (func (export "run") (result i32 i32 i32)
            (call $is_set (ref.func $f) (i32.const 3))
            (ref.is_null)
            (call $is_set (ref.null func) (i32.const 4))
            (drop)))"#,
        |linker| {
            linker
                .func_wrap("h", "is_set", |f: Option<Func>, x: i32| {
                    (x * 10 + f.is_some() as i32, f)
                })
                .unwrap();
        },
    );
    // First call: 31 and a non-null reference back; second: 40 (its reference dropped).
    assert_eq!(run.call(&mut store, ()).unwrap(), (31, 0, 40));
}
