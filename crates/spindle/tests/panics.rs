//! Finding 6 of the embedding API issue: a host function's panic reaches the embedder (as a
//! panic), and the store is left as after a trap — 2,000 of them change nothing. (Its own
//! test binary: it silences the panic hook, which is process-wide, while it panics.)

use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle::{Caller, Config, Engine, Func, Linker, Module, ResumableCall, Store, Val};

#[test]
fn host_panics_reach_the_embedder_and_leave_the_store_usable() {
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "maybe_panic" (func $maybe (param i32) (result i32)))
          (import "host" "reenter" (func $reenter (param i32) (result i32)))
          (func (export "call") (param i32) (result i32) (call $maybe (local.get 0)))
          (func (export "nested") (param i32) (result i32) (call $reenter (local.get 0)))
          (func (export "spin") (param i32) (result i32)
            (local $i i32)
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
            (local.get $i)))"#,
    )
    .unwrap();
    let mut linker = Linker::<Option<Func>>::new(&engine);
    linker
        .func_wrap("host", "maybe_panic", |x: i32| {
            if x < 0 {
                panic!("the host gave up on {x}");
            }
            x + 1
        })
        .unwrap();
    // Calls back into Wasm (`call`), which may panic two levels down.
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Option<Func>>, x: i32| -> spindle::Result<i32> {
                let f = caller.data().unwrap();
                let mut out = [Val::I32(0)];
                f.call(&mut caller, &[Val::I32(x)], &mut out)?;
                Ok(out[0].i32().unwrap() * 10)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, None);
    store.set_fuel(u64::MAX / 2).unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let call = inst.get_typed_func::<i32, i32>(&store, "call").unwrap();
    *store.data_mut() = Some(*call.func());
    let nested = inst.get_typed_func::<i32, i32>(&store, "nested").unwrap();
    // The 2,000 panics are expected: their messages would only be noise.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..2_000 {
        let f = if i % 2 == 0 { call } else { nested };
        let payload = catch_unwind(AssertUnwindSafe(|| f.call(&mut store, -i - 1)))
            .expect_err("the host function's panic reaches the embedder");
        let message = payload.downcast_ref::<String>().unwrap();
        assert_eq!(message, &format!("the host gave up on {}", -i - 1));
    }
    std::panic::set_hook(hook);
    // A correct nested call, two levels of re-entry deep.
    assert_eq!(nested.call(&mut store, 4).unwrap(), 50);
    // Resumable calls still suspend (a broken re-entry count stopped them).
    store.set_fuel(100).unwrap();
    let spin = inst.get_func(&store, "spin").unwrap();
    let mut out = [Val::I32(0)];
    let ResumableCall::OutOfFuel(inv) = spin
        .call_resumable(&mut store, &[Val::I32(100_000)], &mut out)
        .unwrap()
    else {
        panic!("expected to suspend for lack of fuel");
    };
    store.set_fuel(u64::MAX / 2).unwrap();
    assert!(matches!(
        inv.resume(&mut store, &mut out).unwrap(),
        ResumableCall::Finished
    ));
    assert_eq!(out[0], Val::I32(100_000));
}
