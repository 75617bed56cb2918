//! A host written against wasmtime's API, run on Spindle by renaming the crate (the one
//! line below). It is the embedding API issue's acceptance host: one linker for many
//! stores; closures with and without `Caller`, ten parameters, `(i64,)`; guest memory read
//! and written from host functions; a host error type of its own, downcast by the
//! embedder; a trap's `Debug` naming its function; fuel, then epoch interruption from
//! another thread; 2,000 caught host panics, then a correct nested call; a handle used with
//! another store panics; `InstancePre` on 4 threads; a pool of 4 stateful instances shared
//! by 8 threads.
//!
//! Only wasmtime items (names and shapes) are used below this line.
use spindle as wasmtime;

use std::sync::{Arc, Mutex};

use wasmtime::{
    Caller, Config, Engine, Error, Extern, Func, Instance, InstancePre, Linker, Module, Result,
    Store, Trap, TypedFunc, Val,
};

const GUEST: &str = r#"(module $guest
  (import "host" "log" (func $log (param i32 i32)))
  (import "host" "fill" (func $fill (param i32 i32) (result i32)))
  (import "host" "sum10" (func $sum10 (param i32 i64 i32 i64 i32 i64 i32 i64 f32 f64) (result i64)))
  (import "host" "double" (func $double (param i64) (result i64)))
  (import "host" "check" (func $check (param i32) (result i32)))
  (import "host" "maybe_panic" (func $maybe_panic (param i32) (result i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 64) "hello, host")
  (func (export "greet") (call $log (i32.const 64) (i32.const 11)))
  (func (export "fill_and_sum") (param $len i32) (result i32)
    (local $i i32) (local $n i32) (local $acc i32)
    (local.set $n (call $fill (i32.const 1024) (local.get $len)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=1024 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func (export "ten") (result i64)
    (call $sum10 (i32.const 1) (i64.const 2) (i32.const 3) (i64.const 4) (i32.const 5)
                 (i64.const 6) (i32.const 7) (i64.const 8) (f32.const 9) (f64.const 10)))
  (func (export "double") (param i64) (result i64) (call $double (local.get 0)))
  (func (export "checked") (param i32) (result i32) (call $check (local.get 0)))
  (func $divide (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))
  (func $panicky (export "panicky") (param i32) (result i32) (call $maybe_panic (local.get 0)))
  (func (export "nested") (param i32) (result i32) (call $reenter (local.get 0))))"#;

/// The store's data: a log and the function a host function calls back.
#[derive(Default)]
struct Host {
    log: Vec<String>,
    callback: Option<Func>,
}

/// The host's own error type.
#[derive(Debug, PartialEq)]
struct Refused(i32);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused {}", self.0)
    }
}

impl std::error::Error for Refused {}

fn memory(caller: &mut Caller<'_, Host>) -> Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(Error::msg("no exported memory")),
    }
}

fn linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    linker.func_wrap(
        "host",
        "log",
        |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<()> {
            let mem = memory(&mut caller)?;
            let mut buf = vec![0u8; len as usize];
            mem.read(&caller, ptr as usize, &mut buf)?;
            caller.data_mut().log.push(String::from_utf8(buf)?);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "host",
        "fill",
        |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<i32> {
            let mem = memory(&mut caller)?;
            let bytes: Vec<u8> = (1..=len as u8).collect();
            mem.write(&mut caller, ptr as usize, &bytes)?;
            Ok(len)
        },
    )?;
    linker.func_wrap(
        "host",
        "sum10",
        |a: i32, b: i64, c: i32, d: i64, e: i32, f: i64, g: i32, h: i64, i: f32, j: f64| {
            (a + c + e + g) as i64 + b + d + f + h + i as i64 + j as i64
        },
    )?;
    linker.func_wrap("host", "double", |x: i64| x * 2)?;
    linker.func_wrap("host", "check", |x: i32| -> Result<i32> {
        if x < 0 {
            return Err(Refused(x).into());
        }
        Ok(x)
    })?;
    linker.func_wrap("host", "maybe_panic", |x: i32| -> i32 {
        if x < 0 {
            panic!("host panic {x}");
        }
        x
    })?;
    linker.func_wrap(
        "host",
        "reenter",
        |mut caller: Caller<'_, Host>, x: i32| -> Result<i32> {
            let f = caller.data().callback.expect("set by the embedder");
            let typed = f.typed::<i32, i32>(&caller)?;
            Ok(typed.call(&mut caller, x)? + 1)
        },
    )?;
    Ok(linker)
}

fn new_store(engine: &Engine) -> Store<Host> {
    let mut store = Store::new(engine, Host::default());
    store.set_fuel(u64::MAX / 4).unwrap();
    store.set_epoch_deadline(u64::MAX / 4);
    store
}

fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(true).epoch_interruption(true);
    Engine::new(&config)
}

#[test]
fn a_wasmtime_host_runs_on_spindle() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let linker = linker(&engine)?;

    // One linker, many stores.
    for _ in 0..3 {
        let mut store = new_store(&engine);
        let instance = linker.instantiate(&mut store, &module)?;
        let greet = instance.get_typed_func::<(), ()>(&mut store, "greet")?;
        greet.call(&mut store, ())?;
        assert_eq!(store.data().log, ["hello, host"]);
    }

    let mut store = new_store(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    // Guest memory written by a host function, read back by the guest.
    let fill = instance.get_typed_func::<i32, i32>(&mut store, "fill_and_sum")?;
    assert_eq!(fill.call(&mut store, 10)?, 55);
    // Ten parameters; `(i64,)`.
    let ten = instance.get_typed_func::<(), i64>(&mut store, "ten")?;
    assert_eq!(ten.call(&mut store, ())?, 55);
    let double: TypedFunc<(i64,), i64> = instance.get_typed_func(&mut store, "double")?;
    assert_eq!(double.call(&mut store, (21,))?, 42);
    // The host's own error, downcast by the embedder.
    let checked = instance.get_typed_func::<i32, i32>(&mut store, "checked")?;
    assert_eq!(checked.call(&mut store, 5)?, 5);
    let err = checked.call(&mut store, -7).unwrap_err();
    assert_eq!(err.downcast_ref::<Refused>(), Some(&Refused(-7)));
    // A trap: its code, and its Debug names the function.
    let divide = instance.get_typed_func::<(i32, i32), i32>(&mut store, "divide")?;
    let err = divide.call(&mut store, (1, 0)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::IntegerDivisionByZero)
    );
    assert!(format!("{err:?}").contains("divide"), "{err:?}");
    // Dynamic calls with `Val`.
    let f = instance.get_func(&mut store, "divide").unwrap();
    let mut results = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(9), Val::I32(3)], &mut results)?;
    assert_eq!(results[0].unwrap_i32(), 3);
    Ok(())
}

#[test]
fn fuel_then_epoch_interruption_from_another_thread() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let linker = linker(&engine)?;
    let mut store = Store::new(&engine, Host::default());
    store.set_epoch_deadline(u64::MAX / 4);
    store.set_fuel(10_000)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
    assert_eq!(store.get_fuel()?, 0);
    // Plenty of fuel now; an epoch tick from another thread stops the loop.
    store.set_fuel(u64::MAX / 4)?;
    store.set_epoch_deadline(1);
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            engine.increment_epoch();
        })
    };
    let err = spin.call(&mut store, ()).unwrap_err();
    ticker.join().unwrap();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    assert!(format!("{err:?}").contains("interrupt"), "{err:?}");
    // The store goes on.
    store.set_epoch_deadline(1);
    let count = instance.get_typed_func::<(), i32>(&mut store, "count")?;
    assert_eq!(count.call(&mut store, ())?, 1);
    Ok(())
}

#[test]
fn caught_host_panics_then_a_correct_nested_call() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let linker = linker(&engine)?;
    let mut store = new_store(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    let panicky = instance.get_typed_func::<i32, i32>(&mut store, "panicky")?;
    store.data_mut().callback = Some(*panicky.func());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..2_000 {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            panicky.call(&mut store, -1 - i)
        }));
        assert!(r.is_err(), "the panic reaches the embedder");
    }
    std::panic::set_hook(hook);
    let nested = instance.get_typed_func::<i32, i32>(&mut store, "nested")?;
    assert_eq!(nested.call(&mut store, 41)?, 42);
    Ok(())
}

#[test]
fn a_handle_used_with_another_store_panics() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let linker = linker(&engine)?;
    let mut a = new_store(&engine);
    let mut b = new_store(&engine);
    let ia = linker.instantiate(&mut a, &module)?;
    linker.instantiate(&mut b, &module)?;
    let count = ia.get_typed_func::<(), i32>(&mut a, "count")?;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| count.call(&mut b, ())));
    let payload = r.expect_err("a handle of another store");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("wrong store"), "{message}");
    assert_eq!(count.call(&mut a, ())?, 1);
    Ok(())
}

#[test]
fn instance_pre_on_four_threads() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let pre: InstancePre<Host> = linker(&engine)?.instantiate_pre(&module)?;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (engine, pre) = (engine.clone(), pre.clone());
            std::thread::spawn(move || -> Result<i32> {
                let mut total = 0;
                for _ in 0..25 {
                    let mut store = new_store(&engine);
                    let instance = pre.instantiate(&mut store)?;
                    let fill = instance.get_typed_func::<i32, i32>(&mut store, "fill_and_sum")?;
                    total += fill.call(&mut store, t + 1)?;
                }
                Ok(total)
            })
        })
        .collect();
    let totals: Vec<i32> = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect::<Result<_>>()?;
    assert_eq!(totals, [25, 75, 150, 250]);
    Ok(())
}

#[test]
fn a_pool_of_four_stateful_instances_shared_by_eight_threads() -> Result<()> {
    let engine = engine()?;
    let module = Module::new(&engine, GUEST)?;
    let pre = linker(&engine)?.instantiate_pre(&module)?;
    type Slot = Mutex<(Store<Host>, Instance)>;
    let pool: Arc<Vec<Slot>> = Arc::new(
        (0..4)
            .map(|_| -> Result<_> {
                let mut store = new_store(&engine);
                let instance = pre.instantiate(&mut store)?;
                Ok(Mutex::new((store, instance)))
            })
            .collect::<Result<_>>()?,
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (pool, next) = (pool.clone(), next.clone());
            std::thread::spawn(move || -> Result<()> {
                for _ in 0..100 {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4;
                    let mut guard = pool[i].lock().unwrap();
                    let (store, instance) = &mut *guard;
                    let count = instance.get_typed_func::<(), i32>(&mut *store, "count")?;
                    count.call(&mut *store, ())?;
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap()?;
    }
    // 800 calls round-robin over 4 instances, each keeping its own count.
    for slot in pool.iter() {
        let mut guard = slot.lock().unwrap();
        let (store, instance) = &mut *guard;
        let count = instance.get_typed_func::<(), i32>(&mut *store, "count")?;
        assert_eq!(count.call(&mut *store, ())?, 201);
    }
    Ok(())
}
