//! Exceptions through the embedding API: a `try_table` catches what a callee throws (payload
//! and reference), tags match by identity across instances (a tag exported by one instance
//! and imported by another is the same tag; two tags of one type are not), `throw_ref`
//! rethrows, an exception nobody catches ends the call with "uncaught exception", which the
//! host reads, and leaves the store usable; exceptions cross host frames both ways (a host
//! function throws into Wasm; a host function catches what the Wasm it called threw and
//! throws it on). Both dispatch backends, both translation modes.

use spindle::{
    Caller, Config, Dispatch, Engine, Extern, Func, FuncType, Linker, Module, Store, Translation,
    Val, ValType,
};

const THROWER: &str = r#"
(module
  (tag $e (export "e") (param i32))
  (tag $other (export "other") (param i32))
  (func (export "throw_e") (param i32) (throw $e (local.get 0)))
  (func (export "throw_other") (param i32) (throw $other (local.get 0))))
"#;

const CATCHER: &str = r#"
(module
  (import "t" "e" (tag $e (param i32)))
  (import "t" "throw_e" (func $throw_e (param i32)))
  (import "t" "throw_other" (func $throw_other (param i32)))
  (import "host" "throw" (func $host_throw (param i32)))
  (import "host" "relay" (func $host_relay (param i32)))
  (import "host" "bad_throw" (func $host_bad_throw))
  (import "host" "forged" (func $host_forged))
  (global $count (mut i32) (i32.const 0))
  ;; 100 + payload when $e arrives, -1 for anything else.
  (func $deep (param i32 i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (if (local.get 1)
      (then (call $throw_other (local.get 0)))
      (else (call $throw_e (local.get 0)))))
  (func (export "catch") (param i32 i32) (result i32)
    (block $other
      (block $got (result i32)
        (try_table (catch $e $got) (catch_all $other)
          (call $deep (local.get 0) (local.get 1)))
        (return (i32.const -2)))
      (return (i32.add (i32.const 100))))
    (i32.const -1))
  ;; Catches with the reference and throws it again: the caller of this one sees it.
  (func (export "rethrow") (param i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (call $throw_e (local.get 0)))
      (return))
    (throw_ref))
  (func (export "count") (result i32) (global.get $count))
  ;; What the host throws, caught here; and what Wasm threw, relayed by the host.
  (func (export "from_host") (param i32) (result i32)
    (block $got (result i32)
      (try_table (catch $e $got) (call $host_throw (local.get 0)))
      (return (i32.const -2)))
    (i32.add (i32.const 200)))
  ;; A tail call to a throwing host function: the tail-caller's handler is gone with its
  ;; frame; its caller's catches the exception.
  (func $tailer (param i32)
    (block $c (try_table (catch_all $c) (return_call $host_throw (local.get 0)))))
  (func (export "tail_from_host") (param i32) (result i32)
    (block $got (result i32)
      (try_table (catch $e $got) (call $tailer (local.get 0)))
      (return (i32.const -2)))
    (i32.add (i32.const 400)))
  (func (export "bad_throw") (block $c (try_table (catch_all $c) (call $host_bad_throw))))
  (func (export "forged") (block $c (try_table (catch_all $c) (call $host_forged))))
  (func (export "relayed") (param i32) (result i32)
    (block $got (result i32)
      (try_table (catch $e $got) (call $host_relay (local.get 0)))
      (return (i32.const -2)))
    (i32.add (i32.const 300))))
"#;

fn run(translation: Translation, dispatch: Dispatch) {
    let mode = format!("{translation:?}/{dispatch:?}");
    let engine = Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let thrower = Module::from_wat(&engine, THROWER).unwrap();
    let t = linker.instantiate(&mut store, &thrower).unwrap();
    linker.instance(&store, "t", t).unwrap();
    let Some(Extern::Tag(e)) = t.get_export(&store, "e") else {
        panic!("no tag export")
    };
    let Some(Extern::Func(throw_e)) = t.get_export(&store, "throw_e") else {
        panic!("no function export")
    };
    let i32_to_none = FuncType {
        params: vec![ValType::I32],
        results: vec![],
    };
    let host_throw = Func::new(
        &mut store,
        i32_to_none.clone(),
        move |mut caller: Caller<'_, ()>, args: &[Val], _: &mut [Val]| Err(caller.throw(e, args)),
    );
    // Calls Wasm that throws, checks what it caught, and throws it on.
    let host_relay = Func::new(
        &mut store,
        i32_to_none,
        move |mut caller: Caller<'_, ()>, args: &[Val], _: &mut [Val]| {
            let trap = throw_e.call(&mut caller, args, &mut []).unwrap_err();
            let (tag, payload) = caller.caught(&trap).expect("an exception");
            assert_eq!((tag, payload), (e, args.to_vec()));
            Err(trap)
        },
    );
    // A payload that does not fit the tag, and an exception index the host made up: host
    // errors, not exceptions.
    let none = FuncType {
        params: vec![],
        results: vec![],
    };
    let bad_throw = Func::new(
        &mut store,
        none.clone(),
        move |mut caller: Caller<'_, ()>, _: &[Val], _: &mut [Val]| Err(caller.throw(e, &[])),
    );
    // An exception of another store: it names nothing here.
    let other = std::sync::Mutex::new(Store::new(&engine, ()));
    let other_tag = spindle::Tag::new(&mut *other.lock().unwrap(), none.clone()).unwrap();
    let forged = Func::new(&mut store, none, move |_, _: &[Val], _: &mut [Val]| {
        let mut other = other.lock().unwrap();
        let thrower = Func::wrap(
            &mut *other,
            move |mut c: Caller<'_, ()>| -> spindle::Result<()> { Err(c.throw(other_tag, &[])) },
        );
        Err(thrower.call(&mut *other, &[], &mut []).unwrap_err())
    });
    linker
        .define(&store, "host", "bad_throw", bad_throw)
        .unwrap();
    linker.define(&store, "host", "forged", forged).unwrap();
    linker.define(&store, "host", "throw", host_throw).unwrap();
    linker.define(&store, "host", "relay", host_relay).unwrap();
    let catcher = Module::from_wat(&engine, CATCHER).unwrap();
    let c = linker.instantiate(&mut store, &catcher).unwrap();
    // The host reads what a call left uncaught.
    let rethrow = c.get_func(&store, "rethrow").unwrap();
    match rethrow.call(&mut store, &[Val::I32(9)], &mut []) {
        Err(t) => assert_eq!(store.caught(&t), Some((e, vec![Val::I32(9)])), "{mode}"),
        other => panic!("{mode}: {other:?}"),
    }
    let mut call = |name: &str, args: &[Val], results: usize| {
        let f = c.get_func(&store, name).unwrap();
        let mut out = vec![Val::I32(0); results];
        f.call(&mut store, args, &mut out)
            .map(|()| out)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        call("catch", &[Val::I32(7), Val::I32(0)], 1),
        Ok(vec![Val::I32(107)]),
        "{mode}"
    );
    assert_eq!(
        call("catch", &[Val::I32(7), Val::I32(1)], 1),
        Ok(vec![Val::I32(-1)]),
        "{mode}"
    );
    let err = call("rethrow", &[Val::I32(3)], 0).unwrap_err();
    assert!(err.contains("uncaught exception"), "{mode}: {err}");
    assert_eq!(
        call("from_host", &[Val::I32(5)], 1),
        Ok(vec![Val::I32(205)]),
        "{mode}"
    );
    assert_eq!(
        call("relayed", &[Val::I32(6)], 1),
        Ok(vec![Val::I32(306)]),
        "{mode}"
    );
    assert_eq!(
        call("tail_from_host", &[Val::I32(4)], 1),
        Ok(vec![Val::I32(404)]),
        "{mode}"
    );
    let err = call("bad_throw", &[], 0).unwrap_err();
    assert!(err.contains("carries values"), "{mode}: {err}");
    let err = call("forged", &[], 0).unwrap_err();
    assert!(err.contains("uncaught exception"), "{mode}: {err}");
    // The store still runs calls, and the frames the exception left are gone.
    assert_eq!(
        call("catch", &[Val::I32(1), Val::I32(0)], 1),
        Ok(vec![Val::I32(101)]),
        "{mode}"
    );
    assert_eq!(call("count", &[], 1), Ok(vec![Val::I32(3)]), "{mode}");
}

/// Host values are checked against the types they are stored as.
#[test]
fn host_values_must_have_the_type_of_their_global_or_table() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = spindle::GlobalType {
        content: ValType::Ref(spindle::RefType {
            nullable: true,
            heap: spindle::HeapType::Abstract(spindle::AbstractHeapType::Func),
        }),
        mutable: true,
        shared: false,
    };
    assert!(spindle::Global::new(&mut store, ty, Val::I32(1)).is_err());
    assert!(spindle::Global::new(&mut store, ty, Val::ExternRef(Some(1))).is_err());
    let g = spindle::Global::new(&mut store, ty, Val::FuncRef(None)).unwrap();
    assert!(
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let other = spindle::Func::wrap(&mut Store::new(&engine, ()), || {});
            g.set(&mut store, Val::FuncRef(Some(other)))
        }))
        .is_err(),
        "a function of another store"
    );
    assert!(g.set(&mut store, Val::ExnRef(None)).is_err());
    assert!(spindle::Tag::new(
        &mut store,
        FuncType {
            params: vec![],
            results: vec![ValType::I32]
        }
    )
    .is_err());
}

/// A loop that throws and catches a million exceptions without taking references keeps the
/// store's exceptions from piling up; those caught with a reference stay.
#[test]
fn exceptions_caught_without_a_reference_are_freed() {
    let text = r#"
      (module
        (tag $e (param i32))
        (func (export "spin") (param $n i32) (result i32) (local $sum i32)
          (loop $next
            (block $caught (result i32)
              (try_table (catch $e $caught) (throw $e (local.get $n)))
              (unreachable))
            (local.set $sum (i32.add (local.get $sum)))
            (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $sum))
        (func (export "keep") (result exnref)
          (block $caught (result exnref)
            (try_table (catch_all_ref $caught) (throw $e (i32.const 1)))
            (unreachable))))"#;
    for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
        let engine = Engine::new(Config::new().dispatch(dispatch)).unwrap();
        let module = Module::from_wat(&engine, text).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let spin = instance.get_func(&store, "spin").unwrap();
        let mut out = [Val::I32(0)];
        spin.call(&mut store, &[Val::I32(1_000_000)], &mut out)
            .unwrap();
        // 1 + 2 + ... + 1,000,000, wrapped to 32 bits.
        let expected = (1_000_000u64 * 1_000_001 / 2) as u32 as i32;
        assert_eq!(out, [Val::I32(expected)], "{dispatch:?}");
        assert!(
            store.exceptions_held() <= 1,
            "{dispatch:?}: {}",
            store.exceptions_held()
        );
        let keep = instance.get_func(&store, "keep").unwrap();
        let mut out = [Val::ExnRef(None)];
        keep.call(&mut store, &[], &mut out).unwrap();
        assert!(matches!(out[0], Val::ExnRef(Some(_))), "{dispatch:?}");
        assert!(store.exceptions_held() >= 1, "{dispatch:?}");
    }
}

#[test]
fn exceptions_are_caught_by_tag_identity_across_instances_in_every_mode() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            run(translation, dispatch);
        }
    }
}
