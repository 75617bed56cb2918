//! Fuel metering: loops and calls charge fuel, running out traps cleanly, refuelling lets
//! the store go on; without metering there is no fuel to set.

use spindle::{Config, Engine, Error, Linker, Module, Store, TrapCode};

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parse");
    module.encode().expect("encode")
}

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
    let engine = Engine::new(&Config {
        consume_fuel: true,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(LOOPS)).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    store.set_fuel(10_000).unwrap();
    let forever = instance
        .get_typed_func::<(), ()>(&store, "forever")
        .unwrap();
    match forever.call(&mut store, ()) {
        Err(Error::Trap(t)) => assert_eq!(t.code, TrapCode::OutOfFuel),
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
    let engine = Engine::new(&Config {
        consume_fuel: true,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(LOOPS)).unwrap();
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
