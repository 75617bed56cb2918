//! A pool of stateful instances shared by threads, with module hot reload.
//!
//! One `Engine` and one `Linker` serve everything. Each module version is compiled once
//! and resolved once into an `InstancePre`, kept behind an `RwLock`. The pool holds N slots,
//! each its own `Store` and instance behind a `Mutex`; 8 threads call into the slots round-
//! robin. The guest keeps a counter, so a slot's instance is stateful between calls.
//!
//! Midway, the main thread "reloads": it compiles a new version of the module (different
//! behaviour), swaps the `InstancePre`, and each slot rebuilds its instance the next time
//! it is used. Calls that start after the reload must see the new version, and no call may
//! fail.
//!
//! Run: `cargo run --release -p spindle --example pool`

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::Duration;

use spindle::{Caller, Engine, InstancePre, Linker, Module, Store, TypedFunc};

/// The guest, version `version`: `handle(x)` counts its calls and returns
/// `(version, calls so far, x * factor)`; it also tells the host of each call.
fn guest(version: i32, factor: i32) -> String {
    format!(
        r#"(module $handler_v{version}
  (import "host" "tick" (func $tick))
  (global $calls (mut i32) (i32.const 0))
  (func (export "handle") (param $x i32) (result i32 i32 i32)
    (call $tick)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.const {version})
    (global.get $calls)
    (i32.mul (local.get $x) (i32.const {factor}))))"#
    )
}

/// Per-store host data: how many calls the host saw from this store's instance.
#[derive(Default)]
struct SlotData {
    ticks: u32,
}

/// A compiled, linked module version.
struct Version {
    number: i32,
    pre: InstancePre<SlotData>,
}

type Handle = TypedFunc<i32, (i32, i32, i32)>;

/// One pooled instance: its store, and the version it was built from.
struct Slot {
    version: i32,
    store: Store<SlotData>,
    handle: Handle,
}

/// What one call observed.
struct Outcome {
    slot: usize,
    started_after_reload: bool,
    version: i32,
    calls: i32,
    value: i32,
    x: i32,
}

struct Pool {
    engine: Engine,
    linker: Linker<SlotData>,
    current: RwLock<Arc<Version>>,
    slots: Vec<Mutex<Option<Slot>>>,
    next: AtomicUsize,
}

impl Pool {
    fn new(engine: &Engine, size: usize, wat: &str) -> spindle::Result<Pool> {
        let mut linker = Linker::new(engine);
        linker.func_wrap("host", "tick", |mut caller: Caller<'_, SlotData>| {
            caller.data_mut().ticks += 1;
        })?;
        let module = Module::new(engine, wat)?;
        let pre = linker.instantiate_pre(&module)?;
        Ok(Pool {
            engine: engine.clone(),
            linker,
            current: RwLock::new(Arc::new(Version { number: 1, pre })),
            slots: (0..size).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        })
    }

    /// Compiles and links a new version; slots switch to it as they are next used.
    fn reload(&self, number: i32, wat: &str) -> spindle::Result<()> {
        // Compile and link outside the lock: callers keep going meanwhile.
        let module = Module::new(&self.engine, wat)?;
        let pre = self.linker.instantiate_pre(&module)?;
        *self.current.write().unwrap() = Arc::new(Version { number, pre });
        Ok(())
    }

    /// An instance of `version` in a fresh store.
    fn build(version: &Version) -> spindle::Result<Slot> {
        let mut store = Store::new(version.pre.module().engine(), SlotData::default());
        let instance = version.pre.instantiate(&mut store)?;
        let handle = instance.get_typed_func(&store, "handle")?;
        Ok(Slot {
            version: version.number,
            store,
            handle,
        })
    }

    /// Calls `handle(x)` on the next slot, round-robin, rebuilding it first if the module
    /// was reloaded since it was built.
    fn call(&self, x: i32, reloaded: &AtomicBool) -> spindle::Result<Outcome> {
        let started_after_reload = reloaded.load(Ordering::Acquire);
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[index].lock().unwrap();
        let current = self.current.read().unwrap().clone();
        if slot.as_ref().map(|s| s.version) != Some(current.number) {
            *slot = Some(Pool::build(&current)?);
        }
        let slot = slot.as_mut().expect("built above");
        let (version, calls, value) = slot.handle.call(&mut slot.store, x)?;
        // The host function ran once per call, in this slot's own store.
        assert_eq!(slot.store.data().ticks, calls as u32);
        Ok(Outcome {
            slot: index,
            started_after_reload,
            version,
            calls,
            value,
            x,
        })
    }
}

const THREADS: usize = 8;
const SLOTS: usize = 4;
/// Calls before the reload, then calls after it, at least.
const CALLS_EACH_SIDE: usize = 2_000;

pub fn main() -> spindle::Result<()> {
    let engine = Engine::default();
    let pool = Arc::new(Pool::new(&engine, SLOTS, &guest(1, 2))?);
    let reloaded = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));

    println!("pool: {SLOTS} instances, {THREADS} threads, version 1 doubles");
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (pool, reloaded, stop, done) =
                (pool.clone(), reloaded.clone(), stop.clone(), done.clone());
            thread::spawn(move || {
                let mut outcomes = Vec::new();
                let mut failures = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let x = (t * 1_000_000 + i) as i32;
                    match pool.call(x, &reloaded) {
                        Ok(outcome) => outcomes.push(outcome),
                        Err(e) => failures.push(format!("{e:?}")),
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                (outcomes, failures)
            })
        })
        .collect();

    let wait_for = |calls: usize| {
        while done.load(Ordering::Relaxed) < calls {
            thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for(CALLS_EACH_SIDE);
    println!("reload: version 2 triples");
    pool.reload(2, &guest(2, 3))?;
    reloaded.store(true, Ordering::Release);
    let at_reload = done.load(Ordering::Relaxed);
    wait_for(at_reload + CALLS_EACH_SIDE);
    stop.store(true, Ordering::Relaxed);

    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for worker in workers {
        let (o, f) = worker.join().expect("workers do not panic");
        outcomes.extend(o);
        failures.extend(f);
    }

    // No call failed.
    assert!(failures.is_empty(), "failed calls: {failures:?}");
    // Calls that started after the reload saw version 2; each version behaved as its own.
    for o in &outcomes {
        if o.started_after_reload {
            assert_eq!(o.version, 2, "a call after the reload ran version 1");
        }
        let factor = if o.version == 1 { 2 } else { 3 };
        assert_eq!(o.value, o.x.wrapping_mul(factor));
    }
    // Each instance was stateful and used by one thread at a time: per slot and version,
    // the counters seen are exactly 1, 2, ..., n.
    let mut counters: BTreeMap<(usize, i32), Vec<i32>> = BTreeMap::new();
    for o in &outcomes {
        counters
            .entry((o.slot, o.version))
            .or_default()
            .push(o.calls);
    }
    for ((slot, version), seen) in &mut counters {
        seen.sort_unstable();
        let expected: Vec<i32> = (1..=seen.len() as i32).collect();
        assert_eq!(*seen, expected, "slot {slot}, version {version}");
        println!(
            "  slot {slot}, version {version}: {} calls, counter 1..={}",
            seen.len(),
            seen.len()
        );
    }
    let v1 = outcomes.iter().filter(|o| o.version == 1).count();
    let v2 = outcomes.len() - v1;
    println!(
        "{} calls: {v1} on version 1, {v2} on version 2",
        outcomes.len()
    );
    // The calls done before the swap all ran version 1; of those done after it, only the
    // few in flight at the swap (one per thread at most) may have.
    assert!(v1 >= CALLS_EACH_SIDE, "{v1}");
    assert!(v2 >= CALLS_EACH_SIDE - THREADS, "{v2}");
    assert!(counters.keys().all(|&(slot, _)| slot < SLOTS));
    println!("pool: all checks passed");
    Ok(())
}
