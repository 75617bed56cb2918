//! The component model's async ABI through `spindle::component`: guest threads that block
//! and resume out of order, futures and streams between components, cancellation, the
//! deadlock trap, and the rule that a synchronously typed task may not block.

use spindle::component::{Component, Linker, Val};
use spindle::{Engine, Store};

fn run(text: &str, export: &str) -> spindle::Result<Vec<Val>> {
    run_in_turn(text, &[export])
}

/// `$C.wait(f)` is a stackful async function that blocks in a synchronous `future.read`
/// and returns the value read. `$D.run` starts two calls of it (both block: their threads
/// are parked), resolves the second call's future first, waits for that call, then for the
/// first: the two parked threads resume in the other order than they blocked.
const OUT_OF_ORDER: &str = r#"(component
  (component $C
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (type $FT (future u32))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "future.read" (func $read (param i32 i32) (result i32)))
      (import "" "future.drop-readable" (func $drop (param i32)))
      (import "" "task.return" (func $return (param i32)))
      (func (export "wait") (param $r i32)
        (local $at i32)
        (local.set $at (i32.add (i32.const 16) (i32.shl (local.get $r) (i32.const 2))))
        ;; Blocks this thread until the caller writes the future.
        (if (i32.ne (call $read (local.get $r) (local.get $at)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (call $drop (local.get $r))
        (call $return (i32.load (local.get $at)))))
    (canon future.read $FT (memory (core memory $mem "mem")) (core func $read))
    (canon future.drop-readable $FT (core func $drop))
    (canon task.return (result u32) (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem"))
      (export "future.read" (func $read))
      (export "future.drop-readable" (func $drop))
      (export "task.return" (func $return))))))
    (func (export "wait") async (param "f" $FT) (result u32)
      (canon lift (core func $m "wait") async)))
  (component $D
    (type $FT (future u32))
    (import "wait" (func $wait async (param "f" $FT) (result u32)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "wait" (func $wait (param i32 i32) (result i32)))
      (import "" "future.new" (func $new (result i64)))
      (import "" "future.write" (func $write (param i32 i32) (result i32)))
      (import "" "future.drop-writable" (func $drop-w (param i32)))
      (import "" "waitable-set.new" (func $set-new (result i32)))
      (import "" "waitable-set.wait" (func $set-wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask-drop (param i32)))
      ;; Waits in `ws` for subtask `s` to return.
      (func $await (param $ws i32) (param $s i32)
        (call $join (local.get $s) (local.get $ws))
        (if (i32.ne (call $set-wait (local.get $ws) (i32.const 300)) (i32.const 1 (; SUBTASK ;)))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 300)) (local.get $s)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 304)) (i32.const 2 (; RETURNED ;))) (then unreachable))
        (call $subtask-drop (local.get $s)))
      (func (export "run") (result i32)
        (local $f1 i64) (local $f2 i64) (local $s1 i32) (local $s2 i32) (local $ret i32)
        (local $ws i32)
        (i64.store (i32.const 100) (i64.const 0))
        (local.set $f1 (call $new))
        (local.set $f2 (call $new))
        ;; Both calls block at once: STARTED, with a subtask each.
        (local.set $ret (call $wait (i32.wrap_i64 (local.get $f1)) (i32.const 100)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1)) (then unreachable))
        (local.set $s1 (i32.shr_u (local.get $ret) (i32.const 4)))
        (local.set $ret (call $wait (i32.wrap_i64 (local.get $f2)) (i32.const 104)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1)) (then unreachable))
        (local.set $s2 (i32.shr_u (local.get $ret) (i32.const 4)))
        (local.set $ws (call $set-new))
        ;; The second first: its reader waits at the rendezvous, so the write completes.
        (i32.store (i32.const 200) (i32.const 22))
        (if (call $write (i32.wrap_i64 (i64.shr_u (local.get $f2) (i64.const 32))) (i32.const 200))
          (then unreachable))
        (call $drop-w (i32.wrap_i64 (i64.shr_u (local.get $f2) (i64.const 32))))
        (call $await (local.get $ws) (local.get $s2))
        (if (i32.ne (i32.load (i32.const 104)) (i32.const 22)) (then unreachable))
        ;; The first has not run since it blocked.
        (if (i32.ne (i32.load (i32.const 100)) (i32.const 0)) (then unreachable))
        (i32.store (i32.const 200) (i32.const 11))
        (if (call $write (i32.wrap_i64 (i64.shr_u (local.get $f1) (i64.const 32))) (i32.const 200))
          (then unreachable))
        (call $drop-w (i32.wrap_i64 (i64.shr_u (local.get $f1) (i64.const 32))))
        (call $await (local.get $ws) (local.get $s1))
        (i32.add (i32.mul (i32.load (i32.const 100)) (i32.const 100)) (i32.load (i32.const 104)))))
    (canon lower (func $wait) async (memory (core memory $mem "mem")) (core func $wait'))
    (canon future.new $FT (core func $new))
    (canon future.write $FT async (memory (core memory $mem "mem")) (core func $write))
    (canon future.drop-writable $FT (core func $drop-w))
    (canon waitable-set.new (core func $set-new))
    (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $set-wait))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask-drop))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem"))
      (export "wait" (func $wait'))
      (export "future.new" (func $new))
      (export "future.write" (func $write))
      (export "future.drop-writable" (func $drop-w))
      (export "waitable-set.new" (func $set-new))
      (export "waitable-set.wait" (func $set-wait))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask-drop))))))
    (func (export "run") async (result u32) (canon lift (core func $m "run"))))
  (instance $c (instantiate $C))
  (instance $d (instantiate $D (with "wait" (func $c "wait"))))
  (export "run" (func $d "run")))"#;

#[test]
fn parked_threads_resume_in_another_order_than_they_blocked() {
    assert_eq!(run(OUT_OF_ORDER, "run").unwrap(), [Val::U32(1122)]);
}

/// `$C.sum(s)` reads a `stream<u8>` synchronously until the writer drops it and returns
/// the sum. `$D.run` writes 3 bytes, then 2 more, then drops its end: the reader's one
/// read (16 bytes wide) takes both writes, as it stays at the rendezvous until its event
/// is delivered, and ends with DROPPED and 5 values.
const STREAM: &str = r#"(component
  (component $C
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (type $ST (stream u8))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "stream.read" (func $read (param i32 i32 i32) (result i32)))
      (import "" "stream.drop-readable" (func $drop (param i32)))
      (import "" "task.return" (func $return (param i32)))
      (func (export "sum") (param $r i32)
        (local $ret i32) (local $i i32) (local $sum i32)
        (local.set $ret (call $read (local.get $r) (i32.const 64) (i32.const 16)))
        ;; DROPPED (1) with 5 values.
        (if (i32.ne (local.get $ret) (i32.const 0x51)) (then unreachable))
        (loop $add
          (local.set $sum (i32.add (local.get $sum)
            (i32.load8_u offset=64 (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $add (i32.lt_u (local.get $i) (i32.const 5))))
        (call $drop (local.get $r))
        (call $return (local.get $sum))))
    (canon stream.read $ST (memory (core memory $mem "mem")) (core func $read))
    (canon stream.drop-readable $ST (core func $drop))
    (canon task.return (result u32) (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem"))
      (export "stream.read" (func $read))
      (export "stream.drop-readable" (func $drop))
      (export "task.return" (func $return))))))
    (func (export "sum") async (param "s" $ST) (result u32)
      (canon lift (core func $m "sum") async)))
  (component $D
    (type $ST (stream u8))
    (import "sum" (func $sum async (param "s" $ST) (result u32)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "sum" (func $sum (param i32 i32) (result i32)))
      (import "" "stream.new" (func $new (result i64)))
      (import "" "stream.write" (func $write (param i32 i32 i32) (result i32)))
      (import "" "stream.drop-writable" (func $drop-w (param i32)))
      (import "" "waitable-set.new" (func $set-new (result i32)))
      (import "" "waitable-set.wait" (func $set-wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (data (i32.const 8) "\01\02\03\04\05")
      (func (export "run") (result i32)
        (local $s i64) (local $w i32) (local $ret i32) (local $sub i32) (local $ws i32)
        (local.set $s (call $new))
        (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $s) (i64.const 32))))
        (local.set $ret (call $sum (i32.wrap_i64 (local.get $s)) (i32.const 100)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1)) (then unreachable))
        (local.set $sub (i32.shr_u (local.get $ret) (i32.const 4)))
        ;; COMPLETED with 3, then with 2.
        (if (i32.ne (call $write (local.get $w) (i32.const 8) (i32.const 3)) (i32.const 0x30))
          (then unreachable))
        (if (i32.ne (call $write (local.get $w) (i32.const 11) (i32.const 2)) (i32.const 0x20))
          (then unreachable))
        (call $drop-w (local.get $w))
        (local.set $ws (call $set-new))
        (call $join (local.get $sub) (local.get $ws))
        (if (i32.ne (call $set-wait (local.get $ws) (i32.const 300)) (i32.const 1))
          (then unreachable))
        (i32.load (i32.const 100))))
    (canon lower (func $sum) async (memory (core memory $mem "mem")) (core func $sum'))
    (canon stream.new $ST (core func $new))
    (canon stream.write $ST async (memory (core memory $mem "mem")) (core func $write))
    (canon stream.drop-writable $ST (core func $drop-w))
    (canon waitable-set.new (core func $set-new))
    (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $set-wait))
    (canon waitable.join (core func $join))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem"))
      (export "sum" (func $sum'))
      (export "stream.new" (func $new))
      (export "stream.write" (func $write))
      (export "stream.drop-writable" (func $drop-w))
      (export "waitable-set.new" (func $set-new))
      (export "waitable-set.wait" (func $set-wait))
      (export "waitable.join" (func $join))))))
    (func (export "run") async (result u32) (canon lift (core func $m "run"))))
  (instance $c (instantiate $C))
  (instance $d (instantiate $D (with "sum" (func $c "sum"))))
  (export "run" (func $d "run")))"#;

#[test]
fn a_stream_carries_bytes_between_components_until_the_writer_drops_it() {
    assert_eq!(run(STREAM, "run").unwrap(), [Val::U32(15)]);
}

/// `$C.sleep` is a callback task that waits on an empty waitable set; on cancellation its
/// callback cancels the task. Called from the host, nothing can wake it: the deadlock
/// trap. Called and then cancelled by `$D.run`, it resolves cancelled at once.
const SLEEP: &str = r#"(component
  (component $C
    (core module $M
      (import "" "waitable-set.new" (func $set-new (result i32)))
      (import "" "task.cancel" (func $cancel))
      (func (export "sleep") (result i32)
        (i32.or (i32.const 2 (; WAIT ;)) (i32.shl (call $set-new) (i32.const 4))))
      (func (export "sleep-cb") (param $code i32) (param i32 i32) (result i32)
        (if (i32.ne (local.get $code) (i32.const 6 (; TASK_CANCELLED ;))) (then unreachable))
        (call $cancel)
        (i32.const 0 (; EXIT ;))))
    (canon waitable-set.new (core func $set-new))
    (canon task.cancel (core func $cancel))
    (core instance $m (instantiate $M (with "" (instance
      (export "waitable-set.new" (func $set-new))
      (export "task.cancel" (func $cancel))))))
    (func (export "sleep") async (result u32)
      (canon lift (core func $m "sleep") async (callback (core func $m "sleep-cb")))))
  (component $D
    (import "sleep" (func $sleep async (result u32)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (core module $M
      (import "" "sleep" (func $sleep (param i32) (result i32)))
      (import "" "subtask.cancel" (func $cancel (param i32) (result i32)))
      (import "" "subtask.drop" (func $drop (param i32)))
      (func (export "run") (result i32)
        (local $ret i32) (local $s i32)
        (local.set $ret (call $sleep (i32.const 8)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1)) (then unreachable))
        (local.set $s (i32.shr_u (local.get $ret) (i32.const 4)))
        ;; CANCELLED_BEFORE_RETURNED, without blocking.
        (local.set $ret (call $cancel (local.get $s)))
        (call $drop (local.get $s))
        (local.get $ret)))
    (canon lower (func $sleep) async (memory (core memory $mem "mem")) (core func $sleep'))
    (canon subtask.cancel (core func $cancel))
    (canon subtask.drop (core func $drop))
    (core instance $m (instantiate $M (with "" (instance
      (export "sleep" (func $sleep'))
      (export "subtask.cancel" (func $cancel))
      (export "subtask.drop" (func $drop))))))
    (func (export "run") async (result u32) (canon lift (core func $m "run"))))
  (instance $c (instantiate $C))
  (instance $d (instantiate $D (with "sleep" (func $c "sleep"))))
  (export "run" (func $d "run"))
  (export "sleep" (func $c "sleep")))"#;

#[test]
fn cancellation_reaches_a_waiting_callback_task() {
    assert_eq!(run(SLEEP, "run").unwrap(), [Val::U32(4)]);
}

#[test]
fn waiting_with_nothing_to_wake_the_task_is_the_deadlock_trap() {
    let err = run(SLEEP, "sleep").unwrap_err();
    assert!(format!("{err:#}").contains("deadlock detected"), "{err:#}");
}

/// A function whose type is not async may not block before it returns; nor may a
/// post-return call out of its instance.
#[test]
fn a_synchronously_typed_task_may_not_block() {
    let text = r#"(component
      (core module $Mem (memory (export "mem") 1))
      (core instance $mem (instantiate $Mem))
      (core module $M
        (import "" "waitable-set.new" (func $set-new (result i32)))
        (import "" "waitable-set.wait" (func $set-wait (param i32 i32) (result i32)))
        (func (export "block") (result i32)
          (call $set-wait (call $set-new) (i32.const 0))))
      (canon waitable-set.new (core func $set-new))
      (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $set-wait))
      (core instance $m (instantiate $M (with "" (instance
        (export "waitable-set.new" (func $set-new))
        (export "waitable-set.wait" (func $set-wait))))))
      (func (export "block") (result u32) (canon lift (core func $m "block"))))"#;
    let err = run(text, "block").unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot block a synchronous task before returning"),
        "{err:#}"
    );
}

/// Context slots belong to the running task's thread: set in the call, read in its
/// post-return, fresh in the next call.
#[test]
fn context_slots_last_for_the_task() {
    let text = r#"(component
      (core module $M
        (import "" "get" (func $get (result i32)))
        (import "" "set" (func $set (param i32)))
        (global $seen (mut i32) (i32.const -1))
        (func (export "f") (result i32)
          (local $before i32)
          (local.set $before (call $get))
          (call $set (i32.const 42))
          (local.get $before))
        (func (export "f-post") (param i32) (global.set $seen (call $get)))
        (func (export "seen") (result i32) (global.get $seen)))
      (canon context.get i32 0 (core func $get))
      (canon context.set i32 0 (core func $set))
      (core instance $m (instantiate $M (with "" (instance
        (export "get" (func $get)) (export "set" (func $set))))))
      (func (export "f") (result u32)
        (canon lift (core func $m "f") (post-return (core func $m "f-post"))))
      (func (export "seen") (result u32) (canon lift (core func $m "seen"))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, text).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let mut out = [Val::Bool(false)];
    for _ in 0..2 {
        let f = instance.get_func(&mut store, "f").unwrap();
        f.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out[0], Val::U32(0), "a new task's slot starts at 0");
        let seen = instance.get_func(&mut store, "seen").unwrap();
        seen.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out[0], Val::U32(42), "the post-return saw the call's slot");
    }
}

/// A callback task yields forever: with nothing else to run, the callback runs again and
/// again from the scheduler's loop (a recursive implementation would overflow the native
/// stack long before the fuel runs out), until the fuel is gone.
#[test]
fn a_callback_yielding_forever_runs_out_of_fuel_not_stack() {
    let text = r#"(component
      (core module $M
        (func (export "spin") (result i32) (i32.const 1 (; YIELD ;)))
        (func (export "spin-cb") (param i32 i32 i32) (result i32) (i32.const 1)))
      (core instance $m (instantiate $M))
      (func (export "spin") async (result u32)
        (canon lift (core func $m "spin") async (callback (core func $m "spin-cb")))))"#;
    let engine = Engine::new(spindle::Config::new().consume_fuel(true)).unwrap();
    let component = Component::new(&engine, text).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    store.set_fuel(1_000_000).unwrap();
    let f = instance.get_func(&mut store, "spin").unwrap();
    let err = f.call(&mut store, &[], &mut [Val::U32(0)]).unwrap_err();
    assert!(format!("{err:#}").contains("fuel"), "{err:#}");
    assert_eq!(store.get_fuel().unwrap(), 0);
}

/// A thread that `thread.new-indirect` made in a call from the embedder outlives that
/// call: later calls (of a synchronously typed function) switch to it and back, and it
/// keeps its state and its own (resolved, async-typed) task across them: its synchronous
/// call of an async-typed host function is allowed, which it would not be in the caller's
/// task.
#[test]
fn a_thread_outlives_the_call_that_made_it() {
    let text = r#"(component
      (import "tick" (func $tick async))
      (core func $tick (canon lower (func $tick)))
      (core module $Table (table (export "t") 1 funcref))
      (core instance $table (instantiate $Table))
      (core module $M
        (import "" "task.return" (func $return (param i32)))
        (import "" "new" (func $new (param i32 i32) (result i32)))
        (import "" "switch" (func $switch (param i32) (result i32)))
        (import "" "index" (func $index (result i32)))
        (import "" "tick" (func $tick))
        (import "" "t" (table 1 funcref))
        (global $x (mut i32) (i32.const 0))
        (global $caller (mut i32) (i32.const 0))
        (global $rounds (mut i32) (i32.const 0))
        ;; The long-lived thread: counts a round, switches back to whoever switched to it.
        (func $x (param i32)
          (loop $forever
            (call $tick)
            (global.set $rounds (i32.add (global.get $rounds) (i32.const 1)))
            (drop (call $switch (global.get $caller)))
            (br $forever)))
        (elem (table 0) (i32.const 0) func $x)
        (func (export "setup") (result i32)
          (global.set $x (call $new (i32.const 0) (i32.const 0)))
          (call $return (i32.const 1))
          (i32.const 0 (; EXIT ;)))
        (func (export "setup-cb") (param i32 i32 i32) (result i32) unreachable)
        (func (export "poke") (result i32)
          (global.set $caller (call $index))
          (drop (call $switch (global.get $x)))
          (global.get $rounds)))
      (core type $start (func (param i32)))
      (alias core export $table "t" (core table $t))
      (core func $new (canon thread.new-indirect $start (core table $t)))
      (canon task.return (result u32) (core func $return))
      (canon thread.suspend-then-resume (core func $switch))
      (canon thread.index (core func $index))
      (core instance $m (instantiate $M (with "" (instance
        (export "task.return" (func $return))
        (export "new" (func $new))
        (export "switch" (func $switch))
        (export "index" (func $index))
        (export "tick" (func $tick))
        (export "t" (table $t))))))
      (func (export "setup") async (result u32)
        (canon lift (core func $m "setup") async (callback (core func $m "setup-cb"))))
      (func (export "poke") (result u32) (canon lift (core func $m "poke"))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, text).unwrap();
    let mut store = Store::new(&engine, 0u32);
    let mut linker = Linker::new(&engine);
    linker
        .root()
        .func_new("tick", |mut store, _, _| {
            *store.data_mut() += 1;
            Ok(())
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let mut out = [Val::Bool(false)];
    let setup = instance.get_func(&mut store, "setup").unwrap();
    setup.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::U32(1));
    let poke = instance.get_func(&mut store, "poke").unwrap();
    for round in 1..=3 {
        poke.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out[0], Val::U32(round));
    }
    assert_eq!(*store.data(), 3);
}

/// Typed calls (`TypedFunc`, what `bindgen!` generates) go through the scheduler too when
/// the store's components use the async ABI.
#[test]
fn typed_calls_run_components_that_use_the_async_abi() {
    let engine = Engine::default();
    let component = Component::new(&engine, OUT_OF_ORDER).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let run = instance
        .get_typed_func::<(), (u32,)>(&mut store, "run")
        .unwrap();
    for _ in 0..3 {
        assert_eq!(run.call(&mut store, ()).unwrap(), (1122,));
    }
}

/// A handle lent for an async call is lent until the call resolves, then its owner's
/// again: `$D` lends its own `R` to `$C.peek` (which blocks until `$D` writes a future),
/// cannot drop it meanwhile, and drops it once the call returned.
const LEND: &str = r#"(component
  (component $P
    (type $R' (resource (rep i32)))
    (core func $new (canon resource.new $R'))
    (core module $Make (import "" "new" (func $new (param i32) (result i32)))
      (func (export "make") (result i32) (call $new (i32.const 7))))
    (core instance $make (instantiate $Make (with "" (instance (export "new" (func $new))))))
    (export $R "r" (type $R'))
    (func (export "make") (result (own $R)) (canon lift (core func $make "make"))))
  (instance $p (instantiate $P))
  (alias export $p "r" (type $R))
  (component $C
    (import "r" (type $R (sub resource)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (type $FT (future))
    (core module $M
      (import "" "future.read" (func $read (param i32 i32) (result i32)))
      (import "" "future.drop-readable" (func $drop (param i32)))
      (import "" "task.return" (func $return (param i32)))
      (import "" "drop-borrow" (func $drop-borrow (param i32)))
      (func (export "peek") (param $h i32) (param $f i32)
        (drop (call $read (local.get $f) (i32.const 0)))
        (call $drop (local.get $f))
        (call $drop-borrow (local.get $h))
        (call $return (i32.const 7))))
    (canon resource.drop $R (core func $drop-borrow))
    (canon future.read $FT (memory (core memory $mem "mem")) (core func $read))
    (canon future.drop-readable $FT (core func $drop))
    (canon task.return (result u32) (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "future.read" (func $read))
      (export "future.drop-readable" (func $drop))
      (export "task.return" (func $return))
      (export "drop-borrow" (func $drop-borrow))))))
    (func (export "peek") async (param "x" (borrow $R)) (param "f" $FT) (result u32)
      (canon lift (core func $m "peek") async)))
  (component $D
    (import "r" (type $R (sub resource)))
    (import "make" (func $make (result (own $R))))
    (type $FT (future))
    (import "peek" (func $peek async (param "x" (borrow $R)) (param "f" $FT) (result u32)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "make" (func $make (result i32)))
      (import "" "peek" (func $peek (param i32 i32 i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (import "" "future.new" (func $new (result i64)))
      (import "" "future.write" (func $write (param i32 i32) (result i32)))
      (import "" "future.drop-writable" (func $drop-w (param i32)))
      (import "" "waitable-set.new" (func $set-new (result i32)))
      (import "" "waitable-set.wait" (func $set-wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (global $h (mut i32) (i32.const 0))
      (global $s (mut i32) (i32.const 0))
      (global $w (mut i32) (i32.const 0))
      ;; Starts the call; it blocks in $C.
      (func (export "start") (result i32)
        (local $f i64) (local $ret i32)
        (global.set $h (call $make))
        (local.set $f (call $new))
        (global.set $w (i32.wrap_i64 (i64.shr_u (local.get $f) (i64.const 32))))
        (local.set $ret (call $peek (global.get $h) (i32.wrap_i64 (local.get $f)) (i32.const 8)))
        (global.set $s (i32.shr_u (local.get $ret) (i32.const 4)))
        (i32.and (local.get $ret) (i32.const 0xf)))
      ;; Drops the handle (traps while it is lent).
      (func (export "drop") (call $drop (global.get $h)))
      ;; Lets the call finish, waits for it, then drops the handle.
      (func (export "finish") (result i32)
        (local $ws i32)
        (drop (call $write (global.get $w) (i32.const 0)))
        (call $drop-w (global.get $w))
        (local.set $ws (call $set-new))
        (call $join (global.get $s) (local.get $ws))
        (drop (call $set-wait (local.get $ws) (i32.const 16)))
        (call $drop (global.get $h))
        (i32.load (i32.const 8))))
    (core func $make' (canon lower (func $make)))
    (canon lower (func $peek) async (memory (core memory $mem "mem")) (core func $peek'))
    (canon resource.drop $R (core func $drop))
    (canon future.new $FT (core func $new))
    (canon future.write $FT async (memory (core memory $mem "mem")) (core func $write))
    (canon future.drop-writable $FT (core func $drop-w))
    (canon waitable-set.new (core func $set-new))
    (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $set-wait))
    (canon waitable.join (core func $join))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem"))
      (export "make" (func $make'))
      (export "peek" (func $peek'))
      (export "drop" (func $drop))
      (export "future.new" (func $new))
      (export "future.write" (func $write))
      (export "future.drop-writable" (func $drop-w))
      (export "waitable-set.new" (func $set-new))
      (export "waitable-set.wait" (func $set-wait))
      (export "waitable.join" (func $join))))))
    (func (export "start") async (result u32) (canon lift (core func $m "start")))
    (func (export "drop") async (canon lift (core func $m "drop")))
    (func (export "finish") async (result u32) (canon lift (core func $m "finish"))))
  (instance $c (instantiate $C (with "r" (type $R))))
  (instance $d (instantiate $D (with "r" (type $R)) (with "make" (func $p "make"))
    (with "peek" (func $c "peek"))))
  (export "start" (func $d "start"))
  (export "drop" (func $d "drop"))
  (export "finish" (func $d "finish")))"#;

#[test]
fn a_handle_lent_to_an_async_call_is_the_owners_again_once_it_resolves() {
    let engine = Engine::default();
    let component = Component::new(&engine, LEND).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let mut out = [Val::Bool(false)];
    let call = |store: &mut Store<()>, name: &str, out: &mut [Val]| {
        let f = instance.get_func(&mut *store, name).unwrap();
        f.call(&mut *store, &[], out)
    };
    call(&mut store, "start", &mut out).unwrap();
    assert_eq!(out[0], Val::U32(1), "STARTED: the call blocked in $C");
    call(&mut store, "finish", &mut out).unwrap();
    assert_eq!(
        out[0],
        Val::U32(7),
        "the call returned, and the handle was dropped after"
    );
    // While lent the drop traps (another instance of the same component shows it).
    let instance2 = linker.instantiate(&mut store, &component).unwrap();
    let start2 = instance2.get_func(&mut store, "start").unwrap();
    start2.call(&mut store, &[], &mut out).unwrap();
    let drop2 = instance2.get_func(&mut store, "drop").unwrap();
    let err = drop2.call(&mut store, &[], &mut []).unwrap_err();
    assert!(format!("{err:#}").contains("borrowed"), "{err:#}");
}

/// `$Work.work` is synchronously typed but hands its stack to a helper thread three times
/// (`thread.suspend-then-resume`); the helper, of the resolved async task `setup`, makes
/// the caller ready again and suspends. `$Trap.arm` leaves a ready thread that traps if
/// it ever runs. `$Driver.run` calls `arm`, then `work`.
const SYNC_CALL_STACK: &str = r#"(component
  (component $Work
    (core module $T (table (export "t") 1 funcref))
    (core instance $t (instantiate $T))
    (core module $M
      (import "" "t" (table 1 funcref))
      (import "" "task.return" (func $return (param i32)))
      (import "" "thread.new-indirect" (func $new (param i32 i32) (result i32)))
      (import "" "thread.index" (func $index (result i32)))
      (import "" "thread.resume-later" (func $later (param i32)))
      (import "" "thread.suspend" (func $suspend (result i32)))
      (import "" "thread.suspend-then-resume" (func $switch (param i32) (result i32)))
      (global $helper (mut i32) (i32.const 0))
      (global $caller (mut i32) (i32.const 0))
      (global $rounds (mut i32) (i32.const 0))
      (func $helper (param i32)
        (loop $again
          (global.set $rounds (i32.add (global.get $rounds) (i32.const 1)))
          (call $later (global.get $caller))
          (drop (call $suspend))
          (br $again)))
      (elem (table 0) (i32.const 0) func $helper)
      (func (export "setup") (result i32)
        (global.set $helper (call $new (i32.const 0) (i32.const 0)))
        (call $return (i32.const 0))
        (i32.const 0 (; EXIT ;)))
      (func (export "cb") (param i32 i32 i32) (result i32) unreachable)
      (func (export "work") (result i32)
        (global.set $caller (call $index))
        (drop (call $switch (global.get $helper)))
        (drop (call $switch (global.get $helper)))
        (drop (call $switch (global.get $helper)))
        (global.get $rounds))
      (func (export "stuck") (drop (call $suspend)) unreachable))
    (core type $start (func (param i32)))
    (alias core export $t "t" (core table $tbl))
    (canon task.return (result u32) (core func $return))
    (canon thread.new-indirect $start (core table $tbl) (core func $new))
    (canon thread.index (core func $index))
    (canon thread.resume-later (core func $later))
    (canon thread.suspend (core func $suspend))
    (canon thread.suspend-then-resume (core func $switch))
    (core instance $m (instantiate $M (with "" (instance
      (export "t" (table $tbl))
      (export "task.return" (func $return))
      (export "thread.new-indirect" (func $new))
      (export "thread.index" (func $index))
      (export "thread.resume-later" (func $later))
      (export "thread.suspend" (func $suspend))
      (export "thread.suspend-then-resume" (func $switch))))))
    (func (export "setup") async (result u32)
      (canon lift (core func $m "setup") async (callback (core func $m "cb"))))
    (func (export "work") (result u32) (canon lift (core func $m "work")))
    (func (export "stuck") (canon lift (core func $m "stuck"))))
  (component $Trap
    (core module $T (table (export "t") 1 funcref))
    (core instance $t (instantiate $T))
    (core module $M
      (import "" "t" (table 1 funcref))
      (import "" "thread.new-indirect" (func $new (param i32 i32) (result i32)))
      (import "" "thread.resume-later" (func $later (param i32)))
      (func $never (param i32) unreachable)
      (elem (table 0) (i32.const 0) func $never)
      (func (export "arm") (call $later (call $new (i32.const 0) (i32.const 0)))))
    (core type $start (func (param i32)))
    (alias core export $t "t" (core table $tbl))
    (canon thread.new-indirect $start (core table $tbl) (core func $new))
    (canon thread.resume-later (core func $later))
    (core instance $m (instantiate $M (with "" (instance
      (export "t" (table $tbl))
      (export "thread.new-indirect" (func $new))
      (export "thread.resume-later" (func $later))))))
    (func (export "arm") (canon lift (core func $m "arm"))))
  (component $Driver
    (import "work" (func $work (result u32)))
    (import "arm" (func $arm))
    (core func $work' (canon lower (func $work)))
    (core func $arm' (canon lower (func $arm)))
    (core module $M
      (import "" "work" (func $work (result i32)))
      (import "" "arm" (func $arm))
      (func (export "run") (result i32) (call $arm) (call $work)))
    (core instance $m (instantiate $M (with "" (instance
      (export "work" (func $work'))
      (export "arm" (func $arm'))))))
    (func (export "run") (result u32) (canon lift (core func $m "run"))))
  (instance $work (instantiate $Work))
  (instance $trap (instantiate $Trap))
  (instance $driver (instantiate $Driver
    (with "work" (func $work "work"))
    (with "arm" (func $trap "arm"))))
  (func (export "setup") (alias export $work "setup"))
  (func (export "stuck") (alias export $work "stuck"))
  (func (export "arm") (alias export $trap "arm"))
  (func (export "run") (alias export $driver "run")))"#;

/// Calls `exports` in order on one instance of `text`, each with no arguments: the last
/// call's outcome.
fn run_in_turn(text: &str, exports: &[&str]) -> spindle::Result<Vec<Val>> {
    let engine = Engine::default();
    let component = Component::new(&engine, text)?;
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
    let mut out = Vec::new();
    for &export in exports {
        let f = instance.get_func(&mut store, export).expect("exported");
        out = vec![Val::Bool(false); f.ty(&mut store).results().len()];
        f.call(&mut store, &[], &mut out)?;
    }
    Ok(out)
}

/// While a synchronously typed call is in progress, only threads that can run on its
/// stack do: the thread it waits on and threads of its own instance, never the ready
/// thread another instance left behind (it traps if run).
#[test]
fn a_synchronous_call_runs_only_threads_of_its_own_instance() {
    let out = run_in_turn(SYNC_CALL_STACK, &["setup", "run"]).unwrap();
    assert_eq!(out, [Val::U32(3)]);
}

/// A synchronously typed task may block while another thread of its component is ready;
/// if no thread that may run on its stack becomes ready, that is the deadlock trap, and
/// with no ready thread at all it may not block.
#[test]
fn a_synchronous_task_blocks_only_while_others_are_ready() {
    let err = run_in_turn(SYNC_CALL_STACK, &["arm", "stuck"]).unwrap_err();
    assert!(format!("{err:#}").contains("deadlock detected"), "{err:#}");
    let err = run_in_turn(SYNC_CALL_STACK, &["stuck"]).unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot block a synchronous task before returning"),
        "{err:#}"
    );
}
