//! `v128` values everywhere a value can go, beside scalars (a `v128` takes two registers, so
//! everything after one moves): host function arguments and results, exported function
//! parameters and results, Wasm-to-Wasm calls and tail calls, block parameters and branch
//! values that must move, `select`, `local.tee`, globals made by the host and by the module,
//! exception payloads thrown and read by the host and by Wasm, and a resumable host failure
//! resumed with a `v128` result. Both dispatch backends, both translation modes.

use spindle::{
    Caller, Config, Dispatch, Engine, Extern, Func, FuncType, Global, GlobalType, Linker, Module,
    ResumableCall, Store, Translation, Val, ValType,
};

const MODULE: &str = r#"
(module
  (import "host" "mix" (func $mix (param i32 v128 i64) (result v128 f32)))
  (import "host" "throw" (func $host_throw (param v128)))
  (import "host" "ask" (func $ask (param i32) (result v128 i32)))
  (import "host" "g" (global $hg (mut v128)))
  (tag $t (export "t") (param i64 v128 i32))
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))

  (func (export "call_host") (param v128) (result v128 f32 i32)
    (call $mix (i32.const 7) (local.get 0) (i64.const -1))
    (i32.const 99))

  (func $swap (param i32 v128 v128 i64) (result v128 i64 v128 i32)
    (local.get 2) (local.get 3) (local.get 1) (local.get 0))
  (func (export "swap") (param i32 v128 v128 i64) (result v128 i64 v128 i32)
    (call $swap (local.get 0) (local.get 1) (local.get 2) (local.get 3)))

  ;; A chain of tail calls carrying a v128 and a counter.
  (func $count (param v128 i32) (result v128)
    (if (result v128) (i32.eqz (local.get 1))
      (then (local.get 0))
      (else
        (return_call $count
          (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))
          (i32.sub (local.get 1) (i32.const 1))))))
  (func (export "count") (param i32) (result v128)
    (call $count (v128.const i64x2 0 0) (local.get 0)))

  ;; A loop whose parameters are (i32, v128): each branch back moves both; then a block
  ;; result chosen by br_table among labels whose values sit at different heights.
  (func (export "loop") (param i32 v128) (result v128 i32)
    (local $acc v128)
    (local.get 0) (local.get 1)
    (loop $l (param i32 v128) (result i32 v128)
      (local.set $acc)
      (local.set 0)
      (local.set $acc (i64x2.add (local.tee $acc (local.get $acc)) (local.get $acc)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (local.get 0) (local.get $acc)
      (br_if $l (i32.ne (i32.const 0) (call $id (local.get 0)))))
    (call $pick (local.get 0)))
  (func $id (param i32) (result i32) (local.get 0))
  (func $pick (param i32 v128 i32) (result v128 i32)
    (block $a (result v128 i32)
      (block $b (result i32)
        (i32.const 5)
        (local.get 1) (local.get 0)
        (br_table $a $a (i32.and (local.get 2) (i32.const 1))))
      (drop)
      (v128.const i32x4 -1 -1 -1 -1) (i32.const 0)))

  (func (export "select") (param v128 v128 i32) (result v128)
    (select (local.get 0) (local.get 1) (local.get 2)))

  (func (export "globals") (result v128)
    (global.set $hg (i64x2.add (global.get $hg) (global.get $g)))
    (global.get $hg))

  (func $throw_it (param v128)
    (throw $t (i64.const 5) (local.get 0) (i32.const 6)))
  (func (export "throw") (param v128) (call $throw_it (local.get 0)))
  ;; Catches what Wasm throws, or what the host throws.
  (func (export "catch") (param v128 i32) (result i64 v128 i32)
    (block $h (result i64 v128 i32)
      (try_table (catch $t $h)
        (if (local.get 1)
          (then (call $host_throw (local.get 0)))
          (else (call $throw_it (local.get 0)))))
      (unreachable)))

  (func (export "ask") (param i32) (result v128 i32 i32)
    (call $ask (local.get 0))
    (i32.const 3)))
"#;

fn v(lanes: [u32; 4]) -> u128 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |acc, (i, l)| acc | (*l as u128) << (32 * i))
}

fn run(translation: Translation, dispatch: Dispatch) {
    let mode = format!("{translation:?}/{dispatch:?}");
    let engine = Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let mix = Func::new(
        &mut store,
        FuncType {
            params: vec![ValType::I32, ValType::V128, ValType::I64],
            results: vec![ValType::V128, ValType::F32],
        },
        |_: Caller<'_, ()>, args: &[Val], results: &mut [Val]| {
            let (Val::I32(a), Val::V128(x), Val::I64(b)) = (args[0], args[1], args[2]) else {
                panic!("{args:?}")
            };
            results[0] = Val::V128(x.rotate_left(8) ^ a as u128);
            results[1] = Val::F32((b as f32 * 2.5).to_bits());
            Ok(())
        },
    );
    linker.define(&store, "host", "mix", mix).unwrap();
    let hg = Global::new(
        &mut store,
        GlobalType {
            content: ValType::V128,
            mutable: true,
            shared: false,
        },
        Val::V128(v([10, 20, 30, 40])),
    )
    .unwrap();
    linker.define(&store, "host", "g", hg).unwrap();
    let ask = Func::new(
        &mut store,
        FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::V128, ValType::I32],
        },
        |_: Caller<'_, ()>, _: &[Val], _: &mut [Val]| Err(spindle::Error::msg("ask the embedder")),
    );
    linker.define(&store, "host", "ask", ask).unwrap();
    // The tag is the module's own: defined once the instance exists, through a cell the
    // host function reads.
    let tag_cell: std::sync::Arc<std::sync::Mutex<Option<spindle::Tag>>> = Default::default();
    let tag_for_host = tag_cell.clone();
    let host_throw = Func::new(
        &mut store,
        FuncType {
            params: vec![ValType::V128],
            results: vec![],
        },
        move |mut caller: Caller<'_, ()>, args: &[Val], _: &mut [Val]| {
            let tag = tag_for_host.lock().unwrap().expect("tag set");
            Err(caller.throw(tag, &[Val::I64(-8), args[0], Val::I32(-9)]))
        },
    );
    linker.define(&store, "host", "throw", host_throw).unwrap();
    let module = Module::from_wat(&engine, MODULE).unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let Some(Extern::Tag(tag)) = inst.get_export(&store, "t") else {
        panic!("no tag")
    };
    *tag_cell.lock().unwrap() = Some(tag);
    let call = |store: &mut Store<()>, name: &str, args: &[Val], n: usize| {
        let f = inst.get_func(&*store, name).unwrap();
        let mut out = vec![Val::I32(0); n];
        f.call(store, args, &mut out).map(|()| out)
    };
    let x = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
    let y = v([5, 6, 7, 8]);

    assert_eq!(
        call(&mut store, "call_host", &[Val::V128(x)], 3).unwrap(),
        vec![
            Val::V128(x.rotate_left(8) ^ 7),
            Val::F32((-2.5f32).to_bits()),
            Val::I32(99)
        ],
        "{mode}"
    );
    assert_eq!(
        call(
            &mut store,
            "swap",
            &[Val::I32(-3), Val::V128(x), Val::V128(y), Val::I64(1 << 40)],
            4
        )
        .unwrap(),
        vec![Val::V128(y), Val::I64(1 << 40), Val::V128(x), Val::I32(-3)],
        "{mode}"
    );
    assert_eq!(
        call(&mut store, "count", &[Val::I32(100_000)], 1).unwrap(),
        vec![Val::V128(v([100_000, 200_000, 300_000, 400_000]))],
        "{mode}"
    );
    // 3 rounds double the accumulator (starting from x, as i64x2); the counter ends at 0,
    // even, so br_table takes $a with (acc, 0).
    let lanes = |x: u128| [x as u64, (x >> 64) as u64];
    let doubled = |x: u128, k: u32| {
        let [lo, hi] = lanes(x);
        (lo.wrapping_shl(k) as u128) | (hi.wrapping_shl(k) as u128) << 64
    };
    assert_eq!(
        call(&mut store, "loop", &[Val::I32(3), Val::V128(x)], 2).unwrap(),
        vec![Val::V128(doubled(x, 3)), Val::I32(0)],
        "{mode}"
    );
    for (cond, want) in [(1, x), (0, y), (-5, x)] {
        assert_eq!(
            call(
                &mut store,
                "select",
                &[Val::V128(x), Val::V128(y), Val::I32(cond)],
                1
            )
            .unwrap(),
            vec![Val::V128(want)],
            "{mode}"
        );
    }
    // Globals: the host's and the module's, added as i64x2, written back to the host's.
    let sum = v([11, 22, 33, 44]);
    assert_eq!(
        call(&mut store, "globals", &[], 1).unwrap(),
        vec![Val::V128(sum)],
        "{mode}"
    );
    assert_eq!(hg.get(&store), Val::V128(sum), "{mode}");
    let Some(Extern::Global(g)) = inst.get_export(&store, "g") else {
        panic!("no global")
    };
    g.set(&mut store, Val::V128(x)).unwrap();
    assert_eq!(g.get(&store), Val::V128(x), "{mode}");
    // Exceptions: Wasm throws, the host reads; Wasm catches what Wasm and the host throw.
    match call(&mut store, "throw", &[Val::V128(y)], 0) {
        Err(t) => assert_eq!(
            store.caught(&t),
            Some((tag, vec![Val::I64(5), Val::V128(y), Val::I32(6)])),
            "{mode}"
        ),
        other => panic!("{mode}: {other:?}"),
    }
    assert_eq!(
        call(&mut store, "catch", &[Val::V128(x), Val::I32(0)], 3).unwrap(),
        vec![Val::I64(5), Val::V128(x), Val::I32(6)],
        "{mode}"
    );
    assert_eq!(
        call(&mut store, "catch", &[Val::V128(x), Val::I32(1)], 3).unwrap(),
        vec![Val::I64(-8), Val::V128(x), Val::I32(-9)],
        "{mode}"
    );
    // Arguments of the wrong types are refused on every entry (they would misplace the
    // registers of the others).
    let select = inst.get_func(&store, "select").unwrap();
    let mut one = [Val::I32(0)];
    let wrong = [Val::I32(1), Val::I32(2), Val::I32(3)];
    assert!(
        select.call_resumable(&mut store, &wrong, &mut one).is_err(),
        "{mode}"
    );
    assert!(select.call(&mut store, &wrong, &mut one).is_err(), "{mode}");
    // A host failure resumed with a v128 result.
    let ask = inst.get_func(&store, "ask").unwrap();
    let mut out = vec![Val::I32(0); 3];
    let ResumableCall::HostTrap(inv) = ask
        .call_resumable(&mut store, &[Val::I32(1)], &mut out)
        .unwrap()
    else {
        panic!("{mode}: expected the host's failure")
    };
    assert_eq!(inv.host_result_types(), &[ValType::V128, ValType::I32]);
    let r = inv
        .resume_with(&mut store, &[Val::V128(y), Val::I32(-1)], &mut out)
        .unwrap();
    assert!(matches!(r, ResumableCall::Finished), "{mode}");
    assert_eq!(out, vec![Val::V128(y), Val::I32(-1), Val::I32(3)], "{mode}");
}

#[test]
fn v128_values_cross_every_boundary() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            run(translation, dispatch);
        }
    }
}
