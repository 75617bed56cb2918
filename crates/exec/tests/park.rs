//! Parked calls: suspended calls moved off the store's stacks resume in any order, keep
//! their registers (and the references in them, through collections) while other calls run,
//! and only calls made on empty stacks can be parked or unparked.

use std::sync::Arc;

use spindle_exec::{
    call, call_resumable, compile, instantiate, park, resume, unpark, CompiledModule, Dispatch,
    Extern, ParkedCall, Store, Translation, TypeRegistry, Val,
};

const BACKENDS: [Dispatch; 2] = [Dispatch::Threaded, Dispatch::Loop];

/// `work(n)` = the sum of `i * i + n` for `i` in `0..n`, through three frames with live
/// locals; `hold(n)` keeps a struct holding `n` in a local across a long loop and returns its
/// field; `churn(k)` allocates `k` structs and drops them.
const PROGRAMS: &str = r#"
(module
  (type $box (struct (field i64)))
  (func $inner (param $i i64) (param $n i64) (result i64)
    (local $sq i64)
    (local.set $sq (i64.mul (local.get $i) (local.get $i)))
    (i64.add (local.get $sq) (local.get $n)))
  (func $middle (param $n i64) (result i64) (local $i i64) (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (call $inner (local.get $i) (local.get $n))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $top)))
    (local.get $acc))
  (func (export "work") (param $n i64) (result i64) (local $keep i64)
    (local.set $keep (i64.mul (local.get $n) (i64.const 1000000)))
    (i64.sub (i64.add (call $middle (local.get $n)) (local.get $keep))
             (i64.mul (local.get $n) (i64.const 1000000))))
  (func (export "hold") (param $n i64) (result i64) (local $b (ref null $box)) (local $i i32)
    (local.set $b (struct.new $box (local.get $n)))
    (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const 2000))))
    (struct.get $box 0 (local.get $b)))
  (func (export "churn") (param $k i32)
    (loop $again
      (drop (struct.new $box (i64.extend_i32_u (local.get $k))))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $again (i32.gt_s (local.get $k) (i32.const 0))))))
"#;

fn wasm(text: &str) -> Vec<u8> {
    let buffer = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).expect("parse");
    wat.encode().expect("encode")
}

/// A store running `dispatch` with one instance of `PROGRAMS`, compiled with fuel metering
/// (running out of fuel suspends a resumable call).
fn instance(dispatch: Dispatch) -> (Store, u32) {
    let mut store = Store::new(Arc::new(TypeRegistry::default()), Box::new(()));
    let features = spindle_validate::Features::default();
    let module: CompiledModule = compile(
        &store.registry,
        &features,
        Translation::Eager,
        spindle_exec::CodeOptions {
            fuel: true,
            epoch: false,
            canonicalize_nans: false,
            dispatch,
        },
        1,
        &wasm(PROGRAMS),
    )
    .expect("compile");
    let inst = instantiate(&mut store, &Arc::new(module), &[]).expect("instantiate");
    (store, inst)
}

fn export(store: &Store, inst: u32, name: &str) -> u32 {
    match store.instances[inst as usize].exports.get(name) {
        Some(Extern::Func(f)) => *f,
        other => panic!("{name}: {other:?}"),
    }
}

fn i64_of(v: &Val) -> i64 {
    match v {
        Val::I64(x) => *x,
        other => panic!("expected an i64, got {other:?}"),
    }
}

fn work(n: i64) -> i64 {
    (0..n).map(|i| i * i + n).sum()
}

/// A call of `func(arg)` started with `fuel`: parked if it ran out, else its result.
fn start(store: &mut Store, func: u32, arg: i64, fuel: u64) -> Result<ParkedCall, i64> {
    store.fuel = fuel;
    let mut out = [Val::I64(0)];
    match call_resumable(store, func, &[Val::I64(arg)], &mut out).expect("runs") {
        Some(s) => Ok(park(store, s).map_err(|r| r.why).expect("parks")),
        None => Err(i64_of(&out[0])),
    }
}

/// Unparks `p` and resumes it with `fuel`: parked again, or its result.
fn step(store: &mut Store, p: ParkedCall, fuel: u64) -> Result<ParkedCall, i64> {
    let s = unpark(store, p).map_err(|r| r.why).expect("unparks");
    store.fuel = fuel;
    let mut out = [Val::I64(0)];
    match resume(store, s, &[], &mut out).expect("resumes") {
        Some(s) => Ok(park(store, s).map_err(|r| r.why).expect("parks")),
        None => Err(i64_of(&out[0])),
    }
}

#[test]
fn parked_calls_resume_in_any_order() {
    for dispatch in BACKENDS {
        let (mut store, inst) = instance(dispatch);
        let f = export(&store, inst, "work");
        // Three calls, each stopped many times; resumed in a shuffled order every round.
        let args = [40i64, 55, 70];
        let mut calls: Vec<(usize, ParkedCall)> = args
            .iter()
            .enumerate()
            .map(|(k, &n)| (k, start(&mut store, f, n, 50).expect("stops early")))
            .collect();
        let mut results = [None; 3];
        let mut round = 0usize;
        let mut stops = 0;
        while !calls.is_empty() {
            round += 1;
            // Rotate and reverse by round, so no order repeats the suspension order.
            let len = calls.len();
            calls.rotate_left(round % len);
            if round.is_multiple_of(2) {
                calls.reverse();
            }
            let mut next = Vec::new();
            for (k, p) in calls {
                match step(&mut store, p, 37 + (round as u64 % 5) * 11) {
                    Ok(p) => {
                        stops += 1;
                        next.push((k, p));
                    }
                    Err(v) => results[k] = Some(v),
                }
            }
            calls = next;
            // A plain call runs between rounds, on the empty stacks.
            store.fuel = u64::MAX;
            let mut out = [Val::I64(0)];
            call(&mut store, f, &[Val::I64(9)], &mut out).expect("a call beside");
            assert_eq!(out[0], Val::I64(work(9)), "{dispatch:?}");
        }
        assert!(stops > 30, "{dispatch:?}: only {stops} stops");
        for (k, &n) in args.iter().enumerate() {
            assert_eq!(results[k], Some(work(n)), "{dispatch:?}: work({n})");
        }
    }
}

#[test]
fn a_parked_call_keeps_its_references_across_collections() {
    for dispatch in BACKENDS {
        let (mut store, inst) = instance(dispatch);
        let (hold, churn) = (export(&store, inst, "hold"), export(&store, inst, "churn"));
        let mut p = start(&mut store, hold, 4242, 200).expect("stops in the loop");
        let collections_before = store.gc.collections;
        loop {
            // Enough garbage for collections while the call is parked.
            store.fuel = u64::MAX;
            call(&mut store, churn, &[Val::I32(20_000)], &mut []).expect("churns");
            match step(&mut store, p, 500) {
                Ok(again) => p = again,
                Err(v) => {
                    assert_eq!(v, 4242, "{dispatch:?}");
                    break;
                }
            }
        }
        assert!(
            store.gc.collections > collections_before,
            "{dispatch:?}: no collection ran"
        );
    }
}

#[test]
fn only_calls_on_empty_stacks_park_and_unpark() {
    let (mut store, inst) = instance(Dispatch::Threaded);
    let f = export(&store, inst, "work");
    // A suspended call left on the stacks: a call made above it cannot be parked.
    store.fuel = 50;
    let mut out = [Val::I64(0)];
    let below = call_resumable(&mut store, f, &[Val::I64(30)], &mut out)
        .unwrap()
        .expect("stops");
    store.fuel = 50;
    let above = call_resumable(&mut store, f, &[Val::I64(30)], &mut out)
        .unwrap()
        .expect("stops");
    let refused = park(&mut store, above).expect_err("not on empty stacks");
    let (above, why) = (refused.call, refused.why);
    assert!(why.to_string().contains("empty stacks"), "{why}");
    // Nor can one below another: the one above is in the way.
    let refused = park(&mut store, below).expect_err("not the top");
    let (below, why) = (refused.call, refused.why);
    assert!(why.to_string().contains("above it"), "{why}");
    // Finish the top one, then the one below parks.
    store.fuel = u64::MAX;
    assert!(resume(&mut store, above, &[], &mut out).unwrap().is_none());
    assert_eq!(out[0], Val::I64(work(30)));
    let parked = park(&mut store, below)
        .map_err(|r| r.why)
        .expect("parks now");
    // A call suspended on the stacks keeps a parked one from coming back.
    store.fuel = 50;
    let blocking = call_resumable(&mut store, f, &[Val::I64(30)], &mut out)
        .unwrap()
        .expect("stops");
    let refused = unpark(&mut store, parked).expect_err("stacks not empty");
    let (parked, why) = (refused.call, refused.why);
    assert!(why.to_string().contains("suspended on the stacks"), "{why}");
    // Dropping the blocking call abandons it; then the parked one comes back and finishes.
    drop(blocking);
    let s = unpark(&mut store, parked)
        .map_err(|r| r.why)
        .expect("unparks");
    store.fuel = u64::MAX;
    assert!(resume(&mut store, s, &[], &mut out).unwrap().is_none());
    assert_eq!(out[0], Val::I64(work(30)));
}
