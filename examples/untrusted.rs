//! Running an untrusted guest: fuel, epochs and store limits.
//!
//! - Fuel: a budget per store; a runaway loop ends with `Trap::OutOfFuel` and the store
//!   goes on once refuelled.
//! - Epochs: a ticker thread calls `Engine::increment_epoch`; a store whose deadline passes
//!   stops with `Trap::Interrupt`, however the guest loops.
//! - An epoch deadline callback: the guest gets a few time slices, then the callback fails
//!   the call with the host's own error.
//! - Store limits (`StoreLimitsBuilder` and `Store::limiter`): `memory.grow` past the
//!   limit returns -1 to the guest, which can carry on.
//! - A trap's backtrace, printed with `{:?}` and read as a `WasmBacktrace`.
//!
//! Run: `cargo run --release -p spindle --example untrusted`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use spindle::{
    Config, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline,
    WasmBacktrace,
};

const GUEST: &str = r#"(module $untrusted
  (memory (export "memory") 1)

  ;; Never returns.
  (func (export "spin_forever")
    (loop $forever (br $forever)))

  ;; Sums 0..n: finite work.
  (func (export "sum_to") (param $n i64) (result i64)
    (local $i i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum) (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $sum))

  ;; memory.grow as the guest sees it: the old size in pages, or -1.
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))

  ;; A trap three calls deep.
  (func $parse_header (param $len i32) (result i32)
    (i32.div_u (i32.const 4096) (local.get $len)))
  (func $parse (param $len i32) (result i32)
    (call $parse_header (local.get $len)))
  (func $handle_request (export "handle_request") (param $len i32) (result i32)
    (call $parse (local.get $len))))"#;

/// What the host keeps per untrusted store.
struct Tenant {
    limits: StoreLimits,
    slices: u32,
}

/// The host's verdict when a guest used up its time slices.
#[derive(Debug)]
struct TooManySlices(u32);

impl std::fmt::Display for TooManySlices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the guest used all {} of its time slices", self.0)
    }
}

impl std::error::Error for TooManySlices {}

const PAGE: usize = 65_536;

/// A store with the tenant's limits installed: at most 4 pages of memory, 2 instances.
fn tenant_store(engine: &Engine) -> Store<Tenant> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(4 * PAGE)
        .instances(2)
        .build();
    let mut store = Store::new(engine, Tenant { limits, slices: 0 });
    store.limiter(|tenant| &mut tenant.limits);
    store
}

/// Runs `f` while a thread advances `engine`'s epoch every `period`.
fn with_ticker<R>(engine: &Engine, period: Duration, f: impl FnOnce() -> R) -> R {
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (engine, stop) = (engine.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(period);
                engine.increment_epoch();
            }
        })
    };
    let r = f();
    stop.store(true, Ordering::Relaxed);
    ticker.join().expect("the ticker thread does not panic");
    r
}

pub fn main() -> spindle::Result<()> {
    // One engine for every tenant, with both kinds of metering on.
    let engine = Engine::new(Config::new().consume_fuel(true).epoch_interruption(true))?;
    let module = Module::new(&engine, GUEST)?;
    let linker = Linker::<Tenant>::new(&engine);
    let pre = linker.instantiate_pre(&module)?;

    let mut store = tenant_store(&engine);
    // With epochs on, a store's deadline starts at "now": give it room before calling.
    // The epoch only moves while a ticker runs, so this is plenty until then.
    store.set_epoch_deadline(1_000);
    let instance = pre.instantiate(&mut store)?;
    let spin_forever = instance.get_typed_func::<(), ()>(&store, "spin_forever")?;
    let sum_to = instance.get_typed_func::<u64, u64>(&store, "sum_to")?;
    let grow = instance.get_typed_func::<u32, i32>(&store, "grow")?;
    let handle_request = instance.get_typed_func::<u32, u32>(&store, "handle_request")?;

    // 1. Fuel: a runaway loop spends its budget and traps; the store goes on.
    println!("fuel: a runaway loop with a budget of 100,000");
    store.set_fuel(100_000)?;
    let err = spin_forever.call(&mut store, ()).unwrap_err();
    println!("  stopped: {}", err.root_cause());
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
    assert_eq!(store.get_fuel()?, 0);
    store.set_fuel(10_000_000)?;
    let sum = sum_to.call(&mut store, 1_000)?;
    let spent = 10_000_000 - store.get_fuel()?;
    println!("  refuelled: sum_to(1000) = {sum}, for {spent} fuel");
    assert_eq!(sum, 499_500);
    assert!(spent > 1_000, "every iteration costs fuel: {spent}");

    // Fuel enough for the rest: the epoch is what stops the guest from now on.
    store.set_fuel(u64::MAX)?;

    // 2. Epoch interruption: a ticker thread advances the epoch every 5 ms; the store's
    //    deadline is 4 ticks away.
    println!("epochs: an infinite loop with a deadline 4 ticks of 5 ms away");
    let (err, elapsed) = with_ticker(&engine, Duration::from_millis(5), || {
        store.set_epoch_deadline(4);
        let started = Instant::now();
        let err = spin_forever.call(&mut store, ()).unwrap_err();
        (err, started.elapsed())
    });
    println!("  stopped after {elapsed:?}: {}", err.root_cause());
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    assert!(elapsed >= Duration::from_millis(10), "{elapsed:?}");
    store.set_epoch_deadline(1_000);
    assert_eq!(sum_to.call(&mut store, 10)?, 45);

    // 3. A deadline callback: three more slices of one tick each, then the host says no.
    println!("epoch callback: the guest gets 3 extra time slices, then the call fails");
    store.epoch_deadline_callback(|mut ctx| {
        let tenant = ctx.data_mut();
        tenant.slices += 1;
        if tenant.slices <= 3 {
            println!("  slice {} used up: one more tick", tenant.slices);
            Ok(UpdateDeadline::Continue(1))
        } else {
            Err(TooManySlices(3).into())
        }
    });
    let err = with_ticker(&engine, Duration::from_millis(2), || {
        store.set_epoch_deadline(1);
        spin_forever.call(&mut store, ()).unwrap_err()
    });
    println!("  stopped: {}", err.root_cause());
    assert!(err.downcast_ref::<TooManySlices>().is_some(), "{err:?}");
    assert_eq!(store.data().slices, 4);
    // Back to trapping at the deadline.
    store.epoch_deadline_trap();
    store.set_epoch_deadline(1_000);

    // 4. A memory limit: 4 pages. The guest asks for more and gets -1, not a trap.
    println!("limits: memory may grow to 4 pages");
    let memory = instance.get_memory(&store, "memory").expect("exported");
    assert_eq!(grow.call(&mut store, 2)?, 1); // 1 -> 3 pages
    let refused = grow.call(&mut store, 2)?; // 3 -> 5 pages: over the limit
    println!("  grow(2) at 3 pages: {refused}");
    assert_eq!(refused, -1);
    assert_eq!(memory.size(&store), 3);
    assert_eq!(grow.call(&mut store, 1)?, 3); // 3 -> 4 pages: within it
    assert_eq!(memory.data_size(&store), 4 * PAGE);
    // The host's own `Memory::grow` gets an error for the same request.
    assert!(memory.grow(&mut store, 1).is_err());
    // The instance limit too: a second instance fits, a third does not.
    pre.instantiate(&mut store)?;
    let err = pre.instantiate(&mut store).unwrap_err();
    println!("  a third instance: {err}");
    assert!(
        err.downcast_ref::<spindle::EngineError>().is_some(),
        "{err:?}"
    );

    // 5. A trap's backtrace: the frames from the trap outwards, with function names.
    println!("backtrace: a division by zero three calls deep");
    let err = handle_request.call(&mut store, 0).unwrap_err();
    println!("{err:?}");
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::IntegerDivisionByZero)
    );
    let backtrace = err
        .downcast_ref::<WasmBacktrace>()
        .expect("traps carry a backtrace");
    let names: Vec<_> = backtrace
        .frames()
        .iter()
        .map(|frame| frame.func_name.as_deref().unwrap_or("?"))
        .collect();
    assert_eq!(names, ["parse_header", "parse", "handle_request"]);
    assert_eq!(handle_request.call(&mut store, 16)?, 256);

    println!("untrusted: all checks passed");
    Ok(())
}
