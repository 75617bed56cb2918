//! Fuel metering: loops and calls charge fuel, running out traps cleanly, refuelling lets
//! the store go on; without metering there is no fuel to set.

use spindle::{Config, Engine, Linker, Module, Store, Trap};

const LOOPS: &str = r#"
(module
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "forever") (loop $l (global.set $g (i32.add (global.get $g) (i32.const 1))) (br $l)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
"#;

#[test]
fn running_out_of_fuel_traps_and_refuelling_resumes_work() {
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let module = Module::from_wat(&engine, LOOPS).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    store.set_fuel(10_000).unwrap();
    let forever = instance
        .get_typed_func::<(), ()>(&store, "forever")
        .unwrap();
    match forever.call(&mut store, ()) {
        Err(e) => assert_eq!(e.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel)),
        other => panic!("expected out of fuel, got {other:?}"),
    }
    assert_eq!(store.get_fuel().unwrap(), 0);
    // The loop made progress before it ran out, and that progress is kept.
    let g = instance.get_global(&store, "g").unwrap().get(&store);
    assert!(matches!(g, spindle::Val::I32(n) if n > 100), "{g:?}");
    store.set_fuel(1_000_000).unwrap();
    let count = instance
        .get_typed_func::<i32, i32>(&store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    let left = store.get_fuel().unwrap();
    assert!(
        left < 1_000_000 - 1000,
        "each iteration charges: {left} left"
    );
}

#[test]
fn fuel_is_unavailable_without_metering() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(1).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn a_call_out_of_fuel_resumes_where_it_stopped() {
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let module = Module::from_wat(&engine, LOOPS).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let count = instance.get_func(&store, "count").unwrap();
    let mut out = [spindle::Val::I32(0)];
    store.set_fuel(500).unwrap();
    let mut call = count
        .call_resumable(&mut store, &[spindle::Val::I32(100_000)], &mut out)
        .unwrap();
    let mut suspensions = 0;
    loop {
        match call {
            spindle::ResumableCall::Finished => break,
            spindle::ResumableCall::HostTrap(_) | spindle::ResumableCall::Interrupted(_) => {
                panic!("no host functions or epochs here")
            }
            spindle::ResumableCall::OutOfFuel(invocation) => {
                suspensions += 1;
                assert_eq!(store.get_fuel().unwrap(), 0);
                // Other calls still work while one is suspended.
                let ok = instance
                    .get_typed_func::<i32, i32>(&store, "count")
                    .unwrap();
                store.set_fuel(10_000).unwrap();
                assert_eq!(ok.call(&mut store, 3).unwrap(), 3);
                store.set_fuel(50_000).unwrap();
                call = invocation.resume(&mut store, &mut out).unwrap();
            }
        }
    }
    assert!(suspensions >= 5, "{suspensions} suspensions");
    assert_eq!(
        out,
        [spindle::Val::I32(100_000)],
        "the loop finished with the right count"
    );
}

const YIELDING: &str = r#"
(module
  (import "host" "ask" (func $ask (param i32) (result i32)))
  (global $calls (mut i32) (i32.const 0))
  (func (export "sum_answers") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $next
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (local.set $sum (i32.add (local.get $sum) (call $ask (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
  (func (export "calls") (result i32) (global.get $calls)))
"#;

/// A linker with `host.ask(q)`: odd questions are answered by the host function itself
/// (`q * 10`); even ones need the embedder, so the function "yields" by failing.
fn asking_linker(engine: &Engine) -> Linker<()> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "ask", |_: spindle::Caller<'_, ()>, q: i32| {
            if q % 2 == 1 {
                Ok(q * 10)
            } else {
                Err(spindle::Error::msg(format!("need answer {q}")))
            }
        })
        .unwrap();
    linker
}

#[test]
fn a_host_function_error_suspends_a_resumable_call_which_resumes_with_its_results() {
    let engine = Engine::default();
    let module = Module::from_wat(&engine, YIELDING).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = asking_linker(&engine);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "sum_answers").unwrap();
    let mut out = [spindle::Val::I32(0)];
    let mut call = f
        .call_resumable(&mut store, &[spindle::Val::I32(6)], &mut out)
        .unwrap();
    let mut asked = Vec::new();
    loop {
        match call {
            spindle::ResumableCall::Finished => break,
            spindle::ResumableCall::OutOfFuel(_) | spindle::ResumableCall::Interrupted(_) => {
                panic!("fuel and epochs are off")
            }
            spindle::ResumableCall::HostTrap(invocation) => {
                let message = invocation.host_error().unwrap().to_string();
                assert_eq!(invocation.host_result_types(), [spindle::ValType::I32]);
                let q: i32 = message.rsplit(' ').next().unwrap().parse().unwrap();
                asked.push(q);
                // Another call runs while this one waits.
                let calls = instance.get_typed_func::<(), i32>(&store, "calls").unwrap();
                assert_eq!(calls.call(&mut store, ()).unwrap(), q + 1);
                call = invocation
                    .resume_with(&mut store, &[spindle::Val::I32(q * 100)], &mut out)
                    .unwrap();
            }
        }
    }
    assert_eq!(asked, [0, 2, 4]);
    // Odd: 10 + 30 + 50; even: 0 + 200 + 400.
    assert_eq!(out, [spindle::Val::I32(690)]);

    // Resuming with values of the wrong type cancels the call; the store goes on.
    let call = f
        .call_resumable(&mut store, &[spindle::Val::I32(1)], &mut out)
        .unwrap();
    let spindle::ResumableCall::HostTrap(invocation) = call else {
        panic!("expected a host trap")
    };
    assert!(invocation
        .resume_with(&mut store, &[spindle::Val::I64(1)], &mut out)
        .is_err());
    let plain = instance
        .get_typed_func::<i32, i32>(&store, "sum_answers")
        .unwrap();
    assert!(plain.call(&mut store, 2).is_err(), "a plain call unwinds");
    let calls = instance.get_typed_func::<(), i32>(&store, "calls").unwrap();
    assert_eq!(calls.call(&mut store, ()).unwrap(), 6 + 1 + 1);
}

/// A call suspended two calls deep keeps every frame's registers while the embedder runs
/// other calls beside it: those start above the suspended call's innermost frame.
#[test]
fn calls_beside_a_suspended_call_leave_its_frames_intact() {
    let engine = Engine::default();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "host" "ask" (func $ask (param i32) (result i32)))
          (func $inner (param $x i32) (result i32) (local $a i32) (local $b i32)
            (local.set $a (i32.mul (local.get $x) (i32.const 3)))
            (local.set $b (i32.add (local.get $x) (i32.const 7)))
            (i32.add (i32.add (call $ask (local.get $x)) (local.get $a)) (local.get $b)))
          (func $middle (param $x i32) (result i32) (local $keep i32)
            (local.set $keep (i32.mul (local.get $x) (i32.const 1000)))
            (i32.add (call $inner (i32.add (local.get $x) (i32.const 1))) (local.get $keep)))
          (func (export "outer") (param $x i32) (result i32) (local $k i32)
            (local.set $k (i32.const 5))
            (i32.add (call $middle (local.get $x)) (local.get $k)))
          ;; Writes -1 to 24 registers of its own frame, wherever the frame starts.
          (func (export "clobber") (result i64)
            (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (local.set 0 (i64.const -1)) (local.set 1 (i64.const -1)) (local.set 2 (i64.const -1))
            (local.set 3 (i64.const -1)) (local.set 4 (i64.const -1)) (local.set 5 (i64.const -1))
            (local.set 6 (i64.const -1)) (local.set 7 (i64.const -1)) (local.set 8 (i64.const -1))
            (local.set 9 (i64.const -1)) (local.set 10 (i64.const -1)) (local.set 11 (i64.const -1))
            (local.set 12 (i64.const -1)) (local.set 13 (i64.const -1)) (local.set 14 (i64.const -1))
            (local.set 15 (i64.const -1)) (local.set 16 (i64.const -1)) (local.set 17 (i64.const -1))
            (local.set 18 (i64.const -1)) (local.set 19 (i64.const -1)) (local.set 20 (i64.const -1))
            (local.set 21 (i64.const -1)) (local.set 22 (i64.const -1)) (local.set 23 (i64.const -1))
            (local.get 23)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let linker = asking_linker(&engine);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let outer = instance.get_func(&store, "outer").unwrap();
    let clobber = instance
        .get_typed_func::<(), i64>(&store, "clobber")
        .unwrap();
    let mut out = [spindle::Val::I32(0)];
    // A first call that the host answers itself: the calls between the functions then
    // take the fast path (their first calls resolved the callees).
    let call = outer
        .call_resumable(&mut store, &[spindle::Val::I32(2)], &mut out)
        .unwrap();
    assert!(matches!(call, spindle::ResumableCall::Finished));
    // inner(3) = 30 + 9 + 10; middle(2) = inner(3) + 2000; outer(2) = middle(2) + 5.
    assert_eq!(out, [spindle::Val::I32(49 + 2000 + 5)]);
    let call = outer
        .call_resumable(&mut store, &[spindle::Val::I32(1)], &mut out)
        .unwrap();
    let spindle::ResumableCall::HostTrap(invocation) = call else {
        panic!("expected the host function to suspend the call")
    };
    for _ in 0..3 {
        assert_eq!(clobber.call(&mut store, ()).unwrap(), -1);
    }
    let done = invocation
        .resume_with(&mut store, &[spindle::Val::I32(100)], &mut out)
        .unwrap();
    assert!(matches!(done, spindle::ResumableCall::Finished));
    // inner(2) = 100 + 6 + 9; middle(1) = inner(2) + 1000; outer(1) = middle(1) + 5.
    assert_eq!(out, [spindle::Val::I32(115 + 1000 + 5)]);
}
