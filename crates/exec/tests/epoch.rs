//! Epoch interruption: code compiled with epoch checks stops when the store's epoch counter
//! reaches its deadline, at function entry or a loop header, on both dispatch backends and
//! with eager or lazy translation; the embedder's callback can extend the deadline, yield
//! (a resumable call suspends and resumes after the check) or fail; code compiled without
//! checks has no `Epoch` instruction at all.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spindle_exec::{
    call, call_resumable, compile, instantiate, memory_grow, resume, CompiledModule, Dispatch,
    EpochUpdate, Extern, Store, Translation, Trap, TrapCode, TypeRegistry, Val,
};
use spindle_ir::Instr;

const BACKENDS: [Dispatch; 2] = [Dispatch::Threaded, Dispatch::Loop];
const TRANSLATIONS: [Translation; 2] = [Translation::Eager, Translation::Lazy];

/// `sum(n)` is the sum of `0..n` (one loop); `spin` never returns (a loop); `forever`
/// never returns either, by tail calls (no loop: only its entry check stops it); `down(n)`
/// recurses `n` deep and returns `n` (no loop).
const PROGRAMS: &str = r#"
(module
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))
  (func (export "spin")
    (loop $l (br $l)))
  (func $forever (export "forever")
    (return_call $forever))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))
"#;

fn wasm(text: &str) -> Vec<u8> {
    let buffer = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).expect("parse");
    wat.encode().expect("encode")
}

fn compiled(
    store: &Store,
    text: &str,
    translation: Translation,
    fuel: bool,
    epoch: bool,
    dispatch: Dispatch,
) -> Arc<CompiledModule> {
    let features = spindle_validate::Features::default();
    let module = compile(
        &store.registry,
        &features,
        translation,
        spindle_exec::CodeOptions {
            fuel,
            epoch,
            canonicalize_nans: false,
            dispatch,
        },
        1,
        &wasm(text),
    )
    .expect("compile");
    Arc::new(module)
}

/// A store running `dispatch` with one instance of `text`.
fn instance(
    text: &str,
    dispatch: Dispatch,
    translation: Translation,
    fuel: bool,
    epoch: bool,
) -> (Store, u32) {
    let mut store = Store::new(Arc::new(TypeRegistry::default()), Box::new(()));
    store.fuel = u64::MAX;
    let module = compiled(&store, text, translation, fuel, epoch, dispatch);
    let inst = instantiate(&mut store, &module, &[]).expect("instantiate");
    (store, inst)
}

fn export(store: &Store, inst: u32, name: &str) -> u32 {
    match store.instances[inst as usize].exports.get(name) {
        Some(Extern::Func(f)) => *f,
        other => panic!("{name}: {other:?}"),
    }
}

fn sum_of(n: i64) -> i64 {
    n * (n - 1) / 2
}

/// Every combination of backend and translation, with `what` naming it in failures.
fn each_config(mut test: impl FnMut(Dispatch, Translation, &str)) {
    for dispatch in BACKENDS {
        for translation in TRANSLATIONS {
            test(
                dispatch,
                translation,
                &format!("{dispatch:?}, {translation:?}"),
            );
        }
    }
}

#[test]
fn the_trap_says_interrupt() {
    assert_eq!(TrapCode::Interrupt.message(), "interrupt");
    assert!(Trap::new(TrapCode::Interrupt)
        .to_string()
        .contains("interrupt"));
}

#[test]
fn an_infinite_loop_is_interrupted_by_a_timer_thread() {
    each_config(|dispatch, translation, what| {
        for fuel in [false, true] {
            let (mut store, inst) = instance(PROGRAMS, dispatch, translation, fuel, true);
            let spin = export(&store, inst, "spin");
            // The engine-wide counter, shared with another store's.
            let counter = Arc::new(AtomicU64::new(7));
            store.set_epoch_counter(counter.clone());
            store.epoch_deadline = 8;
            let start = Instant::now();
            let ticker = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                counter.fetch_add(1, Ordering::Relaxed);
            });
            let trap = call(&mut store, spin, &[], &mut []).expect_err(what);
            ticker.join().expect("ticker");
            assert_eq!(trap.code, TrapCode::Interrupt, "{what}");
            assert!(trap.to_string().contains("interrupt"), "{what}: {trap}");
            assert!(start.elapsed() >= Duration::from_millis(45), "{what}");
            // The store stays usable: with the deadline ahead, calls complete.
            store.epoch_deadline = u64::MAX;
            let sum = export(&store, inst, "sum");
            let mut r = [Val::I64(0)];
            call(&mut store, sum, &[Val::I32(1000)], &mut r).expect(what);
            assert_eq!(r, [Val::I64(sum_of(1000))], "{what}");
        }
    });
}

#[test]
fn infinite_tail_recursion_is_interrupted_at_function_entry() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let forever = export(&store, inst, "forever");
        store.epoch_deadline = store.epoch_counter().load(Ordering::Relaxed) + 1;
        let counter = store.epoch_counter().clone();
        let ticker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let trap = call(&mut store, forever, &[], &mut []).expect_err(what);
        ticker.join().expect("ticker");
        assert_eq!(trap.code, TrapCode::Interrupt, "{what}");
    });
}

#[test]
fn code_runs_to_completion_while_the_deadline_is_ahead() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let (sum, down) = (export(&store, inst, "sum"), export(&store, inst, "down"));
        store.epoch_counter().store(100, Ordering::Relaxed);
        store.epoch_deadline = 101;
        let mut r = [Val::I64(0)];
        call(&mut store, sum, &[Val::I32(100_000)], &mut r).expect(what);
        assert_eq!(r, [Val::I64(sum_of(100_000))], "{what}");
        let mut r = [Val::I32(0)];
        call(&mut store, down, &[Val::I32(500)], &mut r).expect(what);
        assert_eq!(r, [Val::I32(500)], "{what}");
    });
}

#[test]
fn the_default_deadline_interrupts_at_the_first_check() {
    each_config(|dispatch, translation, what| {
        // As in wasmtime: deadline 0, so code with checks stops at once until one is set.
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        assert_eq!(store.epoch_deadline, 0);
        let down = export(&store, inst, "down");
        let trap = call(&mut store, down, &[Val::I32(0)], &mut [Val::I32(0)]).expect_err(what);
        assert_eq!(trap.code, TrapCode::Interrupt, "{what}");
        // No callback: a resumable call traps too (nothing to resume from).
        let trap =
            call_resumable(&mut store, down, &[Val::I32(0)], &mut [Val::I32(0)]).expect_err(what);
        assert_eq!(trap.code, TrapCode::Interrupt, "{what}");
        // Code compiled without checks ignores the deadline.
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, false);
        let sum = export(&store, inst, "sum");
        let mut r = [Val::I64(0)];
        call(&mut store, sum, &[Val::I32(10)], &mut r).expect(what);
        assert_eq!(r, [Val::I64(45)], "{what}");
    });
}

#[test]
fn the_callback_extends_the_deadline_then_fails() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let spin = export(&store, inst, "spin");
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        // Deadline 0: every check reaches it; `Continue(0)` keeps it at the counter.
        store.epoch_callback = Some(Box::new(move |_store| {
            if seen.fetch_add(1, Ordering::Relaxed) < 4 {
                Ok(EpochUpdate::Continue(0))
            } else {
                Err(Trap::host("enough"))
            }
        }));
        let trap = call(&mut store, spin, &[], &mut []).expect_err(what);
        assert_eq!(calls.load(Ordering::Relaxed), 5, "{what}");
        assert_eq!(trap.code, TrapCode::Host, "{what}");
        assert_eq!(trap.message.as_deref(), Some("enough"), "{what}");
        // The callback went back into the store.
        assert!(store.epoch_callback.is_some(), "{what}");
    });
}

#[test]
fn the_new_deadline_counts_from_the_counter_after_the_callback() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let sum = export(&store, inst, "sum");
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        // Each call moves the counter on by 10 (time passing in the callback) and asks
        // for 3 more: the deadline is then 3 ahead of the counter, and nothing else moves
        // the counter, so the callback runs once.
        store.epoch_callback = Some(Box::new(move |store| {
            seen.fetch_add(1, Ordering::Relaxed);
            store.epoch_counter().fetch_add(10, Ordering::Relaxed);
            Ok(EpochUpdate::Continue(3))
        }));
        let mut r = [Val::I64(0)];
        call(&mut store, sum, &[Val::I32(1000)], &mut r).expect(what);
        assert_eq!(r, [Val::I64(sum_of(1000))], "{what}");
        assert_eq!(calls.load(Ordering::Relaxed), 1, "{what}");
        assert_eq!(store.epoch_deadline, 13, "{what}");
    });
}

#[test]
fn function_entry_checks_count_every_call() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let down = export(&store, inst, "down");
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        store.epoch_callback = Some(Box::new(move |_| {
            seen.fetch_add(1, Ordering::Relaxed);
            Ok(EpochUpdate::Continue(0))
        }));
        let mut r = [Val::I32(0)];
        call(&mut store, down, &[Val::I32(100)], &mut r).expect(what);
        assert_eq!(r, [Val::I32(100)], "{what}");
        // `down(100)` enters 101 times and has no loop.
        assert_eq!(calls.load(Ordering::Relaxed), 101, "{what}");
    });
}

#[test]
fn yield_suspends_a_resumable_call_which_resumes_after_the_check() {
    each_config(|dispatch, translation, what| {
        for fuel in [false, true] {
            let (mut store, inst) = instance(PROGRAMS, dispatch, translation, fuel, true);
            let sum = export(&store, inst, "sum");
            // Every check yields: at each of the loop's 101 headers (`sum` calls nothing,
            // so has no entry check).
            store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Yield(0))));
            let mut r = [Val::I64(0)];
            let mut s = call_resumable(&mut store, sum, &[Val::I32(100)], &mut r).expect(what);
            let mut suspensions = 0;
            while let Some(suspension) = s {
                assert!(suspension.interrupted(), "{what}");
                assert!(suspension.host_error().is_none(), "{what}");
                assert!(suspension.host_result_types().is_empty(), "{what}");
                suspensions += 1;
                // Resuming at the check again would yield again without progress.
                assert!(suspensions <= 101, "{what}: no progress");
                s = resume(&mut store, suspension, &[], &mut r).expect(what);
            }
            assert_eq!(suspensions, 101, "{what}, fuel {fuel}");
            assert_eq!(r, [Val::I64(sum_of(100))], "{what}, fuel {fuel}");
            // A call that cannot be resumed traps instead.
            let trap = call(&mut store, sum, &[Val::I32(100)], &mut r).expect_err(what);
            assert_eq!(trap.code, TrapCode::Interrupt, "{what}");
        }
    });
}

#[test]
fn yield_with_a_delta_suspends_once_per_deadline() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let sum = export(&store, inst, "sum");
        store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Yield(1))));
        let mut r = [Val::I64(0)];
        let mut s = call_resumable(&mut store, sum, &[Val::I32(1000)], &mut r).expect(what);
        let mut suspensions = 0;
        while let Some(suspension) = s {
            suspensions += 1;
            assert!(suspensions <= 5, "{what}");
            // One tick per suspension: the next check after it yields again.
            if suspensions < 3 {
                store.epoch_counter().fetch_add(1, Ordering::Relaxed);
            }
            s = resume(&mut store, suspension, &[], &mut r).expect(what);
        }
        assert_eq!(suspensions, 3, "{what}");
        assert_eq!(r, [Val::I64(sum_of(1000))], "{what}");
    });
}

const GC_BOX: &str = r#"
(module
  (type $box (struct (field (mut i64))))
  (func (export "boxed_sum") (param $n i32) (result i64)
    (local $b (ref null $box)) (local $i i32)
    (local.set $b (struct.new $box (i64.const 0)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (struct.set $box 0 (local.get $b)
          (i64.add (struct.get $box 0 (local.get $b)) (i64.extend_i32_u (local.get $i))))
        ;; garbage, which a collection frees and the next allocation may reuse
        (drop (struct.new $box (i64.const 1000000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (struct.get $box 0 (local.get $b))))
"#;

#[test]
fn the_collector_sees_the_frame_during_the_callback_and_while_suspended() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(GC_BOX, dispatch, translation, false, true);
        let f = export(&store, inst, "boxed_sum");
        store.epoch_callback = Some(Box::new(|store| {
            store.collect_garbage();
            Ok(EpochUpdate::Continue(0))
        }));
        let mut r = [Val::I64(0)];
        call(&mut store, f, &[Val::I32(50)], &mut r).expect(what);
        assert_eq!(
            r,
            [Val::I64(sum_of(50))],
            "{what}: box collected in the callback"
        );

        store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Yield(0))));
        let mut s = call_resumable(&mut store, f, &[Val::I32(50)], &mut r).expect(what);
        let mut suspensions = 0;
        while let Some(suspension) = s {
            suspensions += 1;
            assert!(suspensions <= 52, "{what}: no progress");
            store.collect_garbage();
            s = resume(&mut store, suspension, &[], &mut r).expect(what);
        }
        assert_eq!(
            r,
            [Val::I64(sum_of(50))],
            "{what}: box collected while suspended"
        );
    });
}

const GROWING: &str = r#"
(module
  (memory 1 100)
  (func (export "top_sum") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $addr i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; the last word of memory as it is now
        (local.set $addr (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
        (i32.store (local.get $addr) (local.get $i))
        (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $addr))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $sum))
  (func (export "triple") (param i32) (result i32)
    (local i32 i32)
    (local.set 1 (i32.add (local.get 0) (local.get 0)))
    (local.set 2 (i32.add (local.get 1) (local.get 0)))
    (local.get 2)))
"#;

#[test]
fn the_callback_may_grow_memory_and_call_wasm() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(GROWING, dispatch, translation, false, true);
        let f = export(&store, inst, "top_sum");
        let triple = export(&store, inst, "triple");
        let mem = store.instances[inst as usize].memories[0] as usize;
        let tripled = Arc::new(AtomicI64::new(0));
        let total = tripled.clone();
        store.epoch_callback = Some(Box::new(move |store| {
            if store.memories[mem].pages() < 20 {
                memory_grow(store, mem, 1);
            }
            // Wasm with checks called from here needs a deadline ahead of the counter
            // (the callback is out of the store while it runs).
            store.epoch_deadline = u64::MAX;
            let mut r = [Val::I32(0)];
            call(store, triple, &[Val::I32(5)], &mut r)?;
            let Val::I32(x) = r[0] else { unreachable!() };
            total.fetch_add(x as i64, Ordering::Relaxed);
            Ok(EpochUpdate::Continue(0))
        }));
        let mut r = [Val::I32(0)];
        call(&mut store, f, &[Val::I32(30)], &mut r).expect(what);
        assert_eq!(r, [Val::I32(sum_of(30) as i32)], "{what}");
        assert_eq!(store.memories[mem].pages(), 20, "{what}");
        // One callback at each of the 31 loop headers (`top_sum` calls nothing, so has no
        // entry check).
        assert_eq!(tripled.load(Ordering::Relaxed), 31 * 15, "{what}");
    });
}

#[test]
fn a_panicking_callback_leaves_the_store_usable() {
    each_config(|dispatch, translation, what| {
        let (mut store, inst) = instance(PROGRAMS, dispatch, translation, false, true);
        let sum = export(&store, inst, "sum");
        store.epoch_callback = Some(Box::new(|_| -> Result<EpochUpdate, Trap> {
            panic!("callback panicked")
        }));
        // The panic stops where the callback was called; the call ends as after a trap,
        // and the payload waits in the store for the embedding API to raise it again.
        let r = call(&mut store, sum, &[Val::I32(10)], &mut [Val::I64(0)]);
        assert!(r.is_err(), "{what}");
        let payload = store.panic.take().expect("the panic's payload");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"callback panicked"));
        assert!(store.epoch_callback.is_some(), "{what}");
        // Calls work, and a resumable one can suspend (the store is not left nested).
        store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Yield(u64::MAX))));
        let mut r = [Val::I64(0)];
        let s = call_resumable(&mut store, sum, &[Val::I32(10)], &mut r).expect(what);
        let s = s.expect("suspended at entry");
        assert!(s.interrupted(), "{what}");
        assert!(
            resume(&mut store, s, &[], &mut r).expect(what).is_none(),
            "{what}"
        );
        assert_eq!(r, [Val::I64(45)], "{what}");
        call(&mut store, sum, &[Val::I32(10)], &mut r).expect(what);
        assert_eq!(r, [Val::I64(45)], "{what}");
    });
}

#[test]
fn a_panicking_host_function_leaves_the_store_usable() {
    // A host function's panic is caught where Wasm called it, as a callback's: the call's
    // frames and nesting go, so suspensions work afterwards.
    let text = r#"
      (module
        (import "host" "boom" (func $boom (param i32)))
        (func (export "call_boom") (param i32) (call $boom (local.get 0)))
        (func (export "sum") (param $n i32) (result i64)
          (local $i i32) (local $acc i64)
          (block $done
            (loop $top
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $top)))
          (local.get $acc)))
    "#;
    each_config(|dispatch, translation, what| {
        let mut store = Store::new(Arc::new(TypeRegistry::default()), Box::new(()));
        store.epoch_deadline = u64::MAX;
        let ty = store.registry.intern(&spindle_exec::FuncType {
            params: vec![spindle_decode::ValType::I32],
            results: vec![],
        });
        let boom = store.add_host_func(ty, Arc::new(|_, _, _| panic!("host panicked")));
        let module = compiled(&store, text, translation, false, true, dispatch);
        let inst = instantiate(&mut store, &module, &[Extern::Func(boom)]).expect(what);
        let (call_boom, sum) = (
            export(&store, inst, "call_boom"),
            export(&store, inst, "sum"),
        );
        let r = call(&mut store, call_boom, &[Val::I32(1)], &mut []);
        assert!(r.is_err(), "{what}");
        let payload = store.panic.take().expect("the panic's payload");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"host panicked"));
        store.epoch_deadline = 0;
        store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Yield(u64::MAX))));
        let mut r = [Val::I64(0)];
        let s = call_resumable(&mut store, sum, &[Val::I32(10)], &mut r).expect(what);
        let s = s.expect("suspended at entry");
        assert!(
            resume(&mut store, s, &[], &mut r).expect(what).is_none(),
            "{what}"
        );
        assert_eq!(r, [Val::I64(45)], "{what}");
    });
}

/// The instructions of every defined function of `module` (translating lazy ones; compiled
/// for the portable loop, whose code keeps its opcodes).
fn code(module: &CompiledModule) -> Vec<Vec<Instr>> {
    (0..module.funcs.len())
        .map(|i| {
            let code = module.code_ref(i).expect("translate");
            code.instrs().expect("portable code").collect()
        })
        .collect()
}

#[test]
fn checks_are_emitted_at_function_entry_and_loop_headers_only_when_on() {
    let store = Store::new(Arc::new(TypeRegistry::default()), Box::new(()));
    for translation in TRANSLATIONS {
        for fuel in [false, true] {
            let off = code(&compiled(
                &store,
                PROGRAMS,
                translation,
                fuel,
                false,
                Dispatch::Loop,
            ));
            assert!(
                off.iter().flatten().all(|i| !matches!(i, Instr::Epoch {})),
                "{translation:?}, fuel {fuel}"
            );
            let on = code(&compiled(
                &store,
                PROGRAMS,
                translation,
                fuel,
                true,
                Dispatch::Loop,
            ));
            // Four functions, two of them with a loop and no call (`sum`, `spin`: a check
            // at the loop header only), two with calls and no loop (`forever`, `down`: a
            // check at entry only).
            let checks = on.iter().flatten().filter(|i| matches!(i, Instr::Epoch {}));
            assert_eq!(checks.count(), 4, "{translation:?}, fuel {fuel}");
            for (with, without) in on.iter().zip(&off) {
                // One check each: at entry (right after the fuel charge when there is one)
                // in the two that call.
                let checks = with.iter().filter(|i| matches!(i, Instr::Epoch {})).count();
                assert_eq!(checks, 1);
                if with.iter().any(Instr::is_call) {
                    assert_eq!(with[usize::from(fuel)], Instr::Epoch {});
                }
                let fuel_charges =
                    |c: &[Instr]| c.iter().filter(|i| matches!(i, Instr::Fuel { .. })).count();
                assert_eq!(fuel_charges(with), fuel_charges(without));
                // Nothing else changes but the branch offsets over the checks.
                let epochs = with.iter().filter(|i| matches!(i, Instr::Epoch {})).count();
                assert_eq!(with.len(), without.len() + epochs);
            }
        }
    }
}

#[test]
fn epoch_checks_run_in_constant_native_stack() {
    // A handler that did not end in a jump would use native stack per check executed and
    // overflow the 256 KiB thread long before a million iterations.
    if cfg!(all(
        not(debug_assertions),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        assert_eq!(
            spindle_exec::effective_dispatch(Dispatch::Threaded),
            Dispatch::Threaded
        );
    }
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            for dispatch in BACKENDS {
                for fuel in [false, true] {
                    let what = format!("{dispatch:?}, fuel {fuel}");
                    let (mut store, inst) =
                        instance(PROGRAMS, dispatch, Translation::Eager, fuel, true);
                    let sum = export(&store, inst, "sum");
                    store.epoch_deadline = u64::MAX;
                    let mut r = [Val::I64(0)];
                    call(&mut store, sum, &[Val::I32(1_000_000)], &mut r).expect(&what);
                    assert_eq!(r, [Val::I64(sum_of(1_000_000))], "{what}");
                    // The slow path at every check: the callback runs each time.
                    store.epoch_deadline = 0;
                    store.epoch_callback = Some(Box::new(|_| Ok(EpochUpdate::Continue(0))));
                    call(&mut store, sum, &[Val::I32(100_000)], &mut r).expect(&what);
                    assert_eq!(r, [Val::I64(sum_of(100_000))], "{what}");
                }
            }
        })
        .expect("spawn")
        .join()
        .expect("thread panicked");
}
