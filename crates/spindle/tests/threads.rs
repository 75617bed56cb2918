//! Shared memories across host threads: each thread has its own store and instance, all
//! importing one `SharedMemory`. Litmus tests of the memory model (message passing, store
//! buffering, load buffering; with sequentially consistent atomics and with plain accesses)
//! run `SPINDLE_LITMUS_RUNS` times each (default 100,000) on two threads and check that only
//! outcomes the threads proposal's memory model allows occur; a wait is woken by another
//! thread's notify; growth is seen by every thread.

use std::sync::Arc;
use std::time::Duration;

use spindle::{Config, Engine, Linker, MemoryType, Module, SharedMemory, Store, Val};

/// An engine with the threads proposal on; `SPINDLE_DISPATCH=loop` picks the portable loop
/// (as the fuzz targets read it; sanitizer builds need it: without the optimiser's tail
/// calls between handlers, the threaded backend's long runs overflow the native stack).
fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    if std::env::var("SPINDLE_DISPATCH").as_deref() == Ok("loop") {
        config.dispatch(spindle::Dispatch::Loop);
    }
    Engine::new(&config).unwrap()
}

/// Where the litmus module keeps things: a barrier counter at 0, `x` and `y` on their own
/// cache lines, then the results (one `i32` per run and thread).
const X: u32 = 64;
const Y: u32 = 128;
const RESULTS: u32 = 65536;
const PAGES: u32 = 16;

/// The litmus module: `run(tid, n)` runs `n` rounds of `body0` (thread 0) or `body1`
/// (thread 1) between two barriers, each body leaving its observation in `$r`.
fn litmus_module(body0: &str, body1: &str) -> String {
    format!(
        r#"(module
          (import "env" "memory" (memory {PAGES} {PAGES} shared))
          ;; Waits until both threads have arrived at barrier `phase` (the counter at 0
          ;; reaches 2 * phase): spins, then sleeps in memory.atomic.wait (woken by the
          ;; thread that arrives last), so it also works when the threads share a core.
          (func $barrier (param $phase i32)
            (local $target i32) (local $seen i32) (local $spins i32)
            (local.set $target (i32.mul (local.get $phase) (i32.const 2)))
            (local.set $seen
              (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1)))
            (if (i32.ge_u (local.get $seen) (local.get $target))
              (then (drop (memory.atomic.notify (i32.const 0) (i32.const 2))) (return)))
            (loop $spin
              (local.set $seen (i32.atomic.load (i32.const 0)))
              (if (i32.lt_u (local.get $seen) (local.get $target))
                (then
                  (local.set $spins (i32.add (local.get $spins) (i32.const 1)))
                  (if (i32.gt_u (local.get $spins) (i32.const 2000))
                    (then (drop (memory.atomic.wait32
                      (i32.const 0) (local.get $seen) (i64.const 1000000)))))
                  (br $spin)))))
          (func (export "run") (param $tid i32) (param $n i32)
            (local $i i32) (local $r i32)
            (loop $round
              (if (i32.eqz (local.get $tid))
                (then (i32.store (i32.const {X}) (i32.const 0))
                      (i32.store (i32.const {Y}) (i32.const 0))))
              (call $barrier (i32.add (i32.mul (local.get $i) (i32.const 2)) (i32.const 1)))
              (if (i32.eqz (local.get $tid)) (then {body0}) (else {body1}))
              (i32.store
                (i32.add (i32.const {RESULTS})
                  (i32.mul (i32.add (i32.mul (local.get $i) (i32.const 2)) (local.get $tid))
                    (i32.const 4)))
                (local.get $r))
              (call $barrier (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))
              (br_if $round
                (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))"#
    )
}

/// An instance of `module` in a new store on this thread, importing `memory`.
fn instantiate(
    engine: &Engine,
    module: &Module,
    memory: &SharedMemory,
) -> (Store<()>, spindle::Instance) {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    linker
        .define(&store, "env", "memory", memory.clone())
        .unwrap();
    let instance = linker.instantiate(&mut store, module).unwrap();
    (store, instance)
}

/// Runs a litmus test `runs` times on two threads; the (thread 0, thread 1) observations.
fn litmus(engine: &Engine, body0: &str, body1: &str, runs: u32) -> Vec<(u32, u32)> {
    let module = Module::from_wat(engine, &litmus_module(body0, body1)).unwrap();
    let memory = SharedMemory::new(engine, MemoryType::shared(PAGES, PAGES)).unwrap();
    assert!(RESULTS as usize + runs as usize * 8 <= memory.data_size());
    let threads: Vec<_> = (0..2)
        .map(|tid| {
            let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, instance) = instantiate(&engine, &module, &memory);
                let run = instance.get_func(&store, "run").unwrap();
                run.call(&mut store, &[Val::I32(tid), Val::I32(runs as i32)], &mut [])
                    .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut bytes = vec![0u8; runs as usize * 8];
    memory.read(RESULTS as usize, &mut bytes).unwrap();
    bytes
        .chunks(8)
        .map(|c| {
            let word = |i: usize| u32::from_le_bytes(c[i..i + 4].try_into().unwrap());
            (word(0), word(4))
        })
        .collect()
}

fn runs() -> u32 {
    std::env::var("SPINDLE_LITMUS_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
        .min((PAGES * 65536 - RESULTS) / 8)
}

/// A histogram of outcomes, for the report.
fn histogram(outcomes: &[(u32, u32)]) -> std::collections::BTreeMap<(u32, u32), u32> {
    let mut h = std::collections::BTreeMap::new();
    for o in outcomes {
        *h.entry(*o).or_insert(0) += 1;
    }
    h
}

/// The three shapes, each with sequentially consistent atomics (`i32.atomic.load/store`)
/// and with plain accesses. One test function, so the two threads of one shape run alone.
#[test]
fn litmus_tests_show_only_outcomes_the_memory_model_allows() {
    let engine = engine();
    let runs = runs();
    for (load, store, atomic) in [
        ("i32.atomic.load", "i32.atomic.store", true),
        ("i32.load", "i32.store", false),
    ] {
        let st = |at: u32| format!("({store} (i32.const {at}) (i32.const 1))");
        let ld = |at: u32| format!("({load} (i32.const {at}))");
        // Message passing: thread 0 writes the data x, then the flag y; thread 1 reads the
        // flag, then the data (observation: flag * 2 + data). SC forbids flag 1, data 0.
        let mp = litmus(
            &engine,
            &format!("{} {} (local.set $r (i32.const 0))", st(X), st(Y)),
            &format!(
                "(local.set $r (i32.or (i32.shl {} (i32.const 1)) {}))",
                ld(Y),
                ld(X)
            ),
            runs,
        );
        // Store buffering: each writes its variable, then reads the other's. SC forbids
        // both reading 0.
        let sb = litmus(
            &engine,
            &format!("{} (local.set $r {})", st(X), ld(Y)),
            &format!("{} (local.set $r {})", st(Y), ld(X)),
            runs,
        );
        // Load buffering: each reads the other's variable, then writes its own. SC (and
        // any model without out-of-thin-air values) forbids both reading 1.
        let lb = litmus(
            &engine,
            &format!("(local.set $r {}) {}", ld(X), st(Y)),
            &format!("(local.set $r {}) {}", ld(Y), st(X)),
            runs,
        );
        let kind = if atomic {
            "seq-cst atomics"
        } else {
            "plain accesses"
        };
        println!("{runs} runs each, {kind}:");
        println!("  MP (thread 1: flag*2+data) {:?}", histogram(&mp));
        println!("  SB (thread 0, thread 1) {:?}", histogram(&sb));
        println!("  LB (thread 0, thread 1) {:?}", histogram(&lb));
        // Every observation is a value some thread wrote (0 or 1: no tearing, no
        // out-of-thin-air values), with or without atomics.
        assert!(mp.iter().all(|&(a, b)| a == 0 && b <= 3), "MP {kind}");
        assert!(sb.iter().all(|&(a, b)| a <= 1 && b <= 1), "SB {kind}");
        assert!(lb.iter().all(|&(a, b)| a <= 1 && b <= 1), "LB {kind}");
        assert_eq!(mp.len() as u32, runs);
        if atomic {
            let forbidden_mp = mp.iter().filter(|&&(_, b)| b == 2).count();
            let forbidden_sb = sb.iter().filter(|&&o| o == (0, 0)).count();
            let forbidden_lb = lb.iter().filter(|&&o| o == (1, 1)).count();
            assert_eq!(forbidden_mp, 0, "MP: data missed after the flag was seen");
            assert_eq!(forbidden_sb, 0, "SB: both threads read 0");
            assert_eq!(forbidden_lb, 0, "LB: both threads read 1");
            // The runs really interleave: more than one outcome shows up in SB.
            assert!(
                histogram(&sb).len() > 1,
                "SB never interleaved: {:?}",
                histogram(&sb)
            );
        } else {
            // Plain accesses may be reordered by the model; thin-air values (LB's (1, 1))
            // cannot come out of this interpreter, whose accesses follow program order.
            assert_eq!(lb.iter().filter(|&&o| o == (1, 1)).count(), 0);
        }
    }
}

/// A thread blocked in `memory.atomic.wait32` without a timeout is woken by another
/// thread's `memory.atomic.notify`, and sees the value stored before it.
#[test]
fn a_wait_is_woken_by_another_threads_notify() {
    let engine = engine();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "env" "memory" (memory 1 1 shared))
          ;; Waits at 0 while it holds 0; answers the wait's result * 100 + the value.
          (func (export "wait") (result i32)
            (i32.add
              (i32.mul (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))
                (i32.const 100))
              (i32.atomic.load (i32.const 0))))
          ;; Stores 7 at 0 and wakes one waiter: how many woke.
          (func (export "wake") (result i32)
            (i32.atomic.store (i32.const 0) (i32.const 7))
            (memory.atomic.notify (i32.const 0) (i32.const 1))))"#,
    )
    .unwrap();
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).unwrap();
    let waiter = {
        let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (mut store, instance) = instantiate(&engine, &module, &memory);
            let wait = instance.get_typed_func::<(), i32>(&store, "wait").unwrap();
            wait.call(&mut store, ()).unwrap()
        })
    };
    // Wait until the other thread sleeps in the wait (its store is on that thread).
    let start = std::time::Instant::now();
    while memory.waiters() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the wait never started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let (mut store, instance) = instantiate(&engine, &module, &memory);
    let wake = instance.get_typed_func::<(), i32>(&store, "wake").unwrap();
    assert_eq!(wake.call(&mut store, ()).unwrap(), 1, "one thread woken");
    // Woken (0), and the value stored before the notify is seen.
    assert_eq!(waiter.join().unwrap(), 7);
    // Nobody waits now: a notify wakes none.
    assert_eq!(memory.atomic_notify(0, 1).unwrap(), 0);
}

/// A wait with a timeout that nobody notifies times out (2) after about its timeout; a wait
/// whose value differs answers 1 at once.
#[test]
fn waits_time_out_and_mismatches_answer_at_once() {
    let engine = engine();
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "env" "memory" (memory 1 1 shared))
          (func (export "wait") (param i32 i64) (result i32)
            (memory.atomic.wait32 (i32.const 8) (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let (mut store, instance) = instantiate(&engine, &module, &memory);
    let wait = instance
        .get_typed_func::<(i32, i64), i32>(&store, "wait")
        .unwrap();
    let start = std::time::Instant::now();
    assert_eq!(wait.call(&mut store, (0, 20_000_000)).unwrap(), 2);
    assert!(
        start.elapsed() >= Duration::from_millis(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(wait.call(&mut store, (5, -1)).unwrap(), 1);
    // The host's view of the same wait.
    assert_eq!(
        memory
            .atomic_wait32(8, 0, Some(Duration::from_millis(1)))
            .unwrap(),
        spindle::WaitResult::TimedOut
    );
}

/// Concurrent growth from two threads: each `memory.grow` gets a distinct old size, and
/// every thread (and the host) sees the final size.
#[test]
fn growth_is_atomic_and_seen_by_every_thread() {
    let engine = engine();
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 2001)).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "env" "memory" (memory 1 2001 shared))
          (func (export "grow") (result i32) (memory.grow (i32.const 1)))
          (func (export "size") (result i32) (memory.size))
          (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 9))))"#,
    )
    .unwrap();
    let olds = Arc::new(std::sync::Mutex::new(Vec::new()));
    let both_grown = Arc::new(std::sync::Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (engine, module, memory, olds, both_grown) = (
                engine.clone(),
                module.clone(),
                memory.clone(),
                olds.clone(),
                both_grown.clone(),
            );
            std::thread::spawn(move || {
                let (mut store, instance) = instantiate(&engine, &module, &memory);
                let grow = instance.get_typed_func::<(), i32>(&store, "grow").unwrap();
                let mut mine = Vec::new();
                for _ in 0..1000 {
                    mine.push(grow.call(&mut store, ()).unwrap());
                }
                // Once both have grown it, the last page exists for this thread too
                // (its store's view of the size is not cached).
                both_grown.wait();
                let poke = instance.get_typed_func::<i32, ()>(&store, "poke").unwrap();
                poke.call(&mut store, 2001 * 65536 - 1).unwrap();
                olds.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut olds = olds.lock().unwrap().clone();
    olds.sort();
    assert_eq!(olds, (1..=2000).collect::<Vec<i32>>());
    assert_eq!(memory.size(), 2001);
    let (mut store, instance) = instantiate(&engine, &module, &memory);
    let size = instance.get_typed_func::<(), i32>(&store, "size").unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 2001);
    let grow = instance.get_typed_func::<(), i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, ()).unwrap(), -1, "at the maximum");
    let mut b = [0];
    memory.read(2001 * 65536 - 1, &mut b).unwrap();
    assert_eq!(b, [9]);
}

/// A module's own shared memory is exported as a `SharedMemory` (not a `Memory`) that a
/// store on another thread can import; stores are `Send`.
#[test]
fn an_instances_shared_memory_is_shared_with_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store<()>>();
    let engine = engine();
    let owner = Module::from_wat(
        &engine,
        r#"(module (memory (export "memory") 1 1 shared)
          (func (export "get") (result i32) (i32.atomic.load (i32.const 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &owner)
        .unwrap();
    assert!(instance.get_memory(&store, "memory").is_none());
    let memory = instance.get_shared_memory(&store, "memory").unwrap();
    let user = Module::from_wat(
        &engine,
        r#"(module (import "env" "memory" (memory 1 1 shared))
          (func (export "set") (i32.atomic.store (i32.const 0) (i32.const 1234))))"#,
    )
    .unwrap();
    std::thread::spawn({
        let (engine, memory) = (engine.clone(), memory.clone());
        move || {
            let (mut store, instance) = instantiate(&engine, &user, &memory);
            let set = instance.get_typed_func::<(), ()>(&store, "set").unwrap();
            set.call(&mut store, ()).unwrap();
        }
    })
    .join()
    .unwrap();
    let get = instance.get_typed_func::<(), i32>(&store, "get").unwrap();
    assert_eq!(get.call(&mut store, ()).unwrap(), 1234);
    // Memory::new refuses a shared type; SharedMemory::new an unshared one.
    assert!(spindle::Memory::new(&mut store, MemoryType::shared(1, 1)).is_err());
    assert!(SharedMemory::new(&engine, MemoryType::new(1, Some(1))).is_err());
}
