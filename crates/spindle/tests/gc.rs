//! The garbage collector: it runs by itself as a program allocates, frees what nothing
//! holds, and never what something does: references in locals and operand-stack registers
//! (of the running frame, of callers, of frames stopped in a host call), in globals, tables,
//! exception payloads and other objects. A reference the host kept past its object's
//! collection is detected as stale. Both dispatch backends, both translation modes.

use std::sync::{Arc, Mutex};

use spindle::{
    AnyRef, Caller, Config, Dispatch, Engine, Extern, Func, FuncType, GcKind, Linker, Module,
    Store, Translation, Val, ValType,
};

const MODULE: &str = r#"
(module
  (type $box (struct (field (mut i32)) (field (mut (ref null $box)))))
  (type $arr (array (mut (ref null $box))))
  (import "host" "churn" (func $host_churn (param i32)))
  (tag $t (param (ref null $box)))
  (global $g (mut (ref null $box)) (ref.null $box))
  (table $tab 4 (ref null $box))
  (type $churn_t (func (param i32)))
  (table $funcs funcref (elem $churn))

  ;; Allocates `n` garbage objects (each a box pointing at the previous one, then dropped
  ;; every 16): many collections.
  (func $churn (export "churn") (param $n i32)
    (local $b (ref null $box))
    (loop $l
      (local.set $b (struct.new $box (local.get $n)
        (if (result (ref null $box)) (i32.and (local.get $n) (i32.const 15))
          (then (local.get $b)) (else (ref.null $box)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))

  ;; A chain of `len` boxes holding len, len-1, ... 1.
  (func $chain (param $len i32) (result (ref null $box))
    (local $b (ref null $box))
    (loop $l
      (local.set $b (struct.new $box (local.get $len) (local.get $b)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $len) (i32.const 0))))
    (local.get $b))

  ;; The sum of a chain's values.
  (func $sum (param $b (ref null $box)) (result i32)
    (local $s i32)
    (block $done
      (loop $l
        (br_if $done (ref.is_null (local.get $b)))
        (local.set $s (i32.add (local.get $s) (struct.get $box 0 (local.get $b))))
        (local.set $b (struct.get $box 1 (local.get $b)))
        (br $l)))
    (local.get $s))

  ;; Holds chains in every kind of root while garbage is made (in Wasm and, through a
  ;; host function, in a nested call), then sums them: each chain of 100 sums to 5050.
  (func (export "roots") (result i32)
    (local $local (ref null $box)) (local $arr (ref null $arr)) (local $s i32)
    (local $wide (ref null $box))
    (local.set $local (call $chain (i32.const 100)))
    ;; A local held across a `call_indirect` (a wide instruction: the collector finds the
    ;; call's register map from its frame's return address all the same).
    (local.set $wide (call $chain (i32.const 100)))
    (call_indirect $funcs (type $churn_t) (i32.const 200000) (i32.const 0))
    (global.set $g (call $chain (i32.const 100)))
    (table.set $tab (i32.const 1) (call $chain (i32.const 100)))
    (local.set $arr (array.new $arr (call $chain (i32.const 100)) (i32.const 3)))
    ;; An operand-stack temporary (the first argument) alive across the calls that follow.
    (local.set $s
      (i32.add
        (call $sum (call $chain (i32.const 100)))
        (block (result i32)
          (call $churn (i32.const 200000))
          (call $host_churn (i32.const 200000))
          (i32.const 0))))
    ;; A payload held by an exception in flight while its handler's code makes garbage.
    (local.set $s (i32.add (local.get $s)
      (call $sum
        (block $h (result (ref null $box))
          (try_table (catch $t $h)
            (throw $t (call $chain (i32.const 100))))
          (unreachable)))))
    (call $churn (i32.const 100000))
    (i32.add (i32.add (local.get $s) (call $sum (local.get $wide)))
      (i32.add (call $sum (local.get $local))
        (i32.add (call $sum (global.get $g))
          (i32.add (call $sum (table.get $tab (i32.const 1)))
            (call $sum (array.get $arr (local.get $arr) (i32.const 2))))))))

  (func (export "make") (param i32) (result (ref null $box)) (call $chain (local.get 0)))
  (func (export "sum") (param (ref null $box)) (result i32) (call $sum (local.get 0))))
"#;

fn setup(translation: Translation, dispatch: Dispatch) -> (Store<()>, spindle::Instance) {
    let engine = Engine::new(Config::new().translation(translation).dispatch(dispatch)).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    // Calls back into the module's `churn` (a host frame below, Wasm frames above it),
    // found once the instance exists.
    let target: Arc<Mutex<Option<Func>>> = Arc::default();
    let found = target.clone();
    let churn = Func::new(
        &mut store,
        FuncType {
            params: vec![ValType::I32],
            results: vec![],
        },
        move |mut caller: Caller<'_, ()>, args: &[Val], _: &mut [Val]| {
            let f = found.lock().unwrap().expect("set after instantiation");
            f.call(&mut caller, args, &mut [])
        },
    );
    linker.define(&store, "host", "churn", churn).unwrap();
    let module = Module::from_wat(&engine, MODULE).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let Some(Extern::Func(f)) = instance.get_export(&store, "churn") else {
        panic!("no churn export")
    };
    *target.lock().unwrap() = Some(f);
    (store, instance)
}

#[test]
fn what_is_held_survives_collections_and_garbage_goes() {
    for translation in [Translation::Eager, Translation::Lazy] {
        for dispatch in [Dispatch::Threaded, Dispatch::Loop] {
            let mode = format!("{translation:?}/{dispatch:?}");
            let (mut store, inst) = setup(translation, dispatch);
            let roots = inst.get_func(&store, "roots").unwrap();
            let mut out = [Val::I32(0)];
            roots.call(&mut store, &[], &mut out).unwrap();
            assert_eq!(out[0], Val::I32(7 * 5050), "{mode}");
            let stats = store.gc_stats();
            assert!(stats.collections >= 3, "{mode}: {stats:?}");
            // What is left: the chains held by the global, the table (and its array), and
            // no more than a threshold's worth of garbage since the last collection.
            store.collect_garbage();
            let left = store.gc_stats();
            assert!(left.objects <= 4 * 100 + 1, "{mode}: {left:?}");
            assert!(left.objects >= 2 * 100, "{mode}: {left:?}");
        }
    }
}

#[test]
fn a_reference_the_host_kept_past_its_collection_is_stale() {
    let (mut store, inst) = setup(Translation::Eager, Dispatch::Threaded);
    let make = inst.get_func(&store, "make").unwrap();
    let sum = inst.get_func(&store, "sum").unwrap();
    let mut out = [Val::I32(0)];
    let mut chain = [Val::AnyRef(None)];
    make.call(&mut store, &[Val::I32(10)], &mut chain).unwrap();
    let Val::AnyRef(Some(r)) = chain[0] else {
        panic!("{chain:?}")
    };
    assert_eq!(r.kind(), GcKind::Struct);
    // Alive while nothing collected: the host may pass it back.
    sum.call(&mut store, &chain, &mut out).unwrap();
    assert_eq!(out[0], Val::I32(55));
    // Nothing but the host holds it: a collection frees it, and passing it in fails
    // instead of reading whatever the slot holds next.
    store.collect_garbage();
    make.call(&mut store, &[Val::I32(3)], &mut [Val::AnyRef(None)])
        .unwrap();
    let err = sum.call(&mut store, &chain, &mut out).unwrap_err();
    assert!(err.to_string().contains("does not have type"), "{err}");
    // i31 and host references need no heap: never stale.
    let i31 = Val::AnyRef(Some(AnyRef::i31(-5)));
    assert_eq!(AnyRef::i31(-5).kind(), GcKind::I31(-5));
    store.collect_garbage();
    let eq = Module::from_wat(
        store.engine(),
        r#"(module (func (export "get") (param anyref) (result i32)
             (i31.get_s (ref.cast (ref i31) (local.get 0)))))"#,
    )
    .unwrap();
    let linker = Linker::new(store.engine());
    let e = linker.instantiate(&mut store, &eq).unwrap();
    let get = e.get_func(&store, "get").unwrap();
    get.call(&mut store, &[i31], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(-5));
}

#[test]
fn the_host_creates_reads_and_roots_gc_objects() {
    let (mut store, inst) = setup(Translation::Eager, Dispatch::Threaded);
    let module = Module::from_wat(store.engine(), MODULE).unwrap();
    // Type 0 of MODULE is $box (i32, (ref null $box)); the instance's module has the same
    // types, so a box the host makes is a $box to the instance.
    let tail = store
        .struct_new(&module, 0, &[Val::I32(40), Val::AnyRef(None)])
        .unwrap();
    let head = store
        .struct_new(&module, 0, &[Val::I32(2), Val::AnyRef(Some(tail))])
        .unwrap();
    assert_eq!(store.struct_get(head, 0).unwrap(), Val::I32(2));
    assert_eq!(store.struct_get(head, 1).unwrap(), Val::AnyRef(Some(tail)));
    store.struct_set(tail, 0, Val::I32(-2)).unwrap();
    assert!(store.struct_set(tail, 0, Val::I64(1)).is_err());
    let sum = inst.get_func(&store, "sum").unwrap();
    let mut out = [Val::I32(0)];
    sum.call(&mut store, &[Val::AnyRef(Some(head))], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::I32(0));
    // Rooted, the chain survives collections; unrooted, it goes.
    let root = store.gc_root(head).unwrap();
    store.collect_garbage();
    let churn = inst.get_func(&store, "churn").unwrap();
    churn
        .call(&mut store, &[Val::I32(300_000)], &mut [])
        .unwrap();
    assert!(store.gc_stats().collections >= 2);
    assert_eq!(store.gc_rooted(root), Some(head));
    assert_eq!(store.struct_get(tail, 0).unwrap(), Val::I32(-2));
    store.gc_unroot(root);
    assert_eq!(store.gc_rooted(root), None);
    store.collect_garbage();
    assert!(store.struct_get(head, 0).is_err());
    assert!(store.gc_root(head).is_err());
    // Arrays: made, read, written, bounds-checked.
    let boxes = store
        .array_new(&module, 1, &[Val::AnyRef(None), Val::AnyRef(None)])
        .unwrap();
    assert_eq!(boxes.kind(), GcKind::Array);
    assert_eq!(store.array_len(boxes).unwrap(), 2);
    let b = store
        .struct_new(&module, 0, &[Val::I32(7), Val::AnyRef(None)])
        .unwrap();
    store.array_set(boxes, 1, Val::AnyRef(Some(b))).unwrap();
    assert_eq!(store.array_get(boxes, 1).unwrap(), Val::AnyRef(Some(b)));
    assert!(store.array_get(boxes, 2).is_err());
    assert!(store.struct_get(boxes, 0).is_err());
}

#[test]
fn a_call_suspended_out_of_fuel_keeps_its_references_across_collections() {
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let mut store = Store::new(&engine, ());
    let module = Module::from_wat(
        &engine,
        r#"(module
          (type $box (struct (field i32)))
          ;; Holds a box in a local (and one as an operand) through a long loop, then
          ;; reads them.
          (func (export "hold") (param $n i32) (result i32)
            (local $b (ref null $box))
            (local.set $b (struct.new $box (i32.const 7)))
            (struct.new $box (i32.const 8))
            (loop $l
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))
            (struct.get $box 0)
            (i32.add (struct.get $box 0 (local.get $b))))
          (func (export "churn") (param $n i32)
            (loop $l
              (drop (struct.new $box (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))))"#,
    )
    .unwrap();
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let hold = inst.get_func(&store, "hold").unwrap();
    let churn = inst.get_func(&store, "churn").unwrap();
    store.set_fuel(1_000).unwrap();
    let mut out = [Val::I32(0)];
    let spindle::ResumableCall::OutOfFuel(inv) = hold
        .call_resumable(&mut store, &[Val::I32(100_000)], &mut out)
        .unwrap()
    else {
        panic!("expected to run out of fuel")
    };
    // Garbage and collections while the call waits, its boxes held only by its frame.
    store.set_fuel(u64::MAX / 2).unwrap();
    churn
        .call(&mut store, &[Val::I32(300_000)], &mut [])
        .unwrap();
    store.collect_garbage();
    assert!(store.gc_stats().collections >= 2);
    let r = inv.resume(&mut store, &mut out).unwrap();
    assert!(matches!(r, spindle::ResumableCall::Finished));
    assert_eq!(out[0], Val::I32(15));
}

/// Values of reference type that sit in registers the collector must read: a block's single
/// result, a loop parameter entered with `ref.null` and carried by back edges.
#[test]
fn block_results_and_loop_parameters_are_roots() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::from_wat(
        &engine,
        r#"(module
          (type $node (struct (field (ref null $node)) (field i32)))
          (func $churn (param $n i32)
            (loop $l
              (drop (struct.new $node (ref.null $node) (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n))))
          (func $sum (param $p (ref null $node)) (result i32) (local $s i32)
            (block $done
              (loop $l
                (br_if $done (ref.is_null (local.get $p)))
                (local.set $s (i32.add (local.get $s) (struct.get $node 1 (local.get $p))))
                (local.set $p (struct.get $node 0 (local.get $p)))
                (br $l)))
            (local.get $s))
          (func (export "block_result") (result i32)
            (block (result (ref $node)) (struct.new $node (ref.null $node) (i32.const 42)))
            (call $churn (i32.const 200000))
            (struct.get $node 1))
          (func (export "loop_chain") (param $n i32) (result i32)
            (ref.null $node)
            (loop $l (param (ref null $node)) (result (ref null $node))
              (local.get $n)
              (struct.new $node)
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))
            (call $sum)))"#,
    )
    .unwrap();
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let mut out = [Val::I32(0)];
    let f = inst.get_func(&store, "block_result").unwrap();
    f.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(42));
    let f = inst.get_func(&store, "loop_chain").unwrap();
    f.call(&mut store, &[Val::I32(200_000)], &mut out).unwrap();
    assert_eq!(out[0], Val::I32((200_000u64 * 200_001 / 2) as u32 as i32));
    assert!(store.gc_stats().collections >= 2);
}

/// A struct the host makes keeps alive a field object only the host held, even when the
/// allocation itself collects.
#[test]
fn host_allocations_root_their_fields() {
    let (mut store, inst) = setup(Translation::Eager, Dispatch::Threaded);
    let module = Module::from_wat(store.engine(), MODULE).unwrap();
    let a = store
        .struct_new(&module, 0, &[Val::I32(5), Val::AnyRef(None)])
        .unwrap();
    let start = store.gc_stats().collections;
    let mut b = a;
    while store.gc_stats().collections == start {
        b = store
            .struct_new(&module, 0, &[Val::I32(1), Val::AnyRef(Some(a))])
            .unwrap();
    }
    assert_eq!(store.struct_get(b, 1).unwrap(), Val::AnyRef(Some(a)));
    assert_eq!(store.struct_get(a, 0).unwrap(), Val::I32(5));
    let sum = inst.get_func(&store, "sum").unwrap();
    let mut out = [Val::I32(0)];
    sum.call(&mut store, &[Val::AnyRef(Some(b))], &mut out)
        .unwrap();
    assert_eq!(out[0], Val::I32(6));
}

/// A subtype that adds a descriptor keeps its supertype's fields where they were.
#[test]
fn a_descriptor_moves_no_field_of_the_supertype() {
    let engine = Engine::new(Config::new().features(spindle::Features::all())).unwrap();
    let mut store = Store::new(&engine, ());
    let module = Module::from_wat(
        &engine,
        r#"(module
          (rec
            (type $super (sub (struct (field (mut i32)))))
            (type $sub (sub $super (descriptor $desc) (struct (field (mut i32)))))
            (type $desc (describes $sub) (struct)))
          (func (export "f") (result i32) (local $o (ref null $super))
            (local.set $o (struct.new_desc $sub (i32.const 7) (struct.new $desc)))
            (struct.set $super 0 (local.get $o) (i32.add (struct.get $super 0 (local.get $o)) (i32.const 1)))
            (i32.add (struct.get $super 0 (local.get $o))
              (ref.is_null (ref.get_desc $sub (ref.cast (ref $sub) (local.get $o)))))))"#,
    )
    .unwrap();
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = inst.get_func(&store, "f").unwrap();
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(8));
}

/// Forged references are refused; a small heap limit collects before it refuses; a
/// constant expression past the limit fails instantiation.
#[test]
fn forged_references_and_heap_limits() {
    let (mut store, inst) = setup(Translation::Eager, Dispatch::Threaded);
    let make = inst.get_func(&store, "make").unwrap();
    let sum = inst.get_func(&store, "sum").unwrap();
    let mut chain = [Val::AnyRef(None)];
    make.call(&mut store, &[Val::I32(3)], &mut chain).unwrap();
    let Val::AnyRef(Some(r)) = chain[0] else {
        panic!()
    };
    let mut out = [Val::I32(0)];
    let bits = r.to_raw();
    for forged in [bits | 4, 2, bits ^ 1 << 50] {
        let v = Val::AnyRef(Some(AnyRef::from_raw(forged)));
        assert!(sum.call(&mut store, &[v], &mut out).is_err(), "{forged:#x}");
    }
    sum.call(&mut store, &chain, &mut out).unwrap();
    assert_eq!(out[0], Val::I32(6));
    // 2 MiB of heap: the churn collects as it goes and never passes it.
    store.set_limits(spindle::StoreLimits {
        gc_heap: 2 << 20,
        ..Default::default()
    });
    let churn = inst.get_func(&store, "churn").unwrap();
    churn
        .call(&mut store, &[Val::I32(300_000)], &mut [])
        .unwrap();
    assert!(store.gc_stats().bytes <= 2 << 20);
    let big = Module::from_wat(
        store.engine(),
        r#"(module (type $a (array i64))
             (global (ref $a) (array.new_default $a (i32.const 1000000))))"#,
    )
    .unwrap();
    let err = Linker::new(store.engine())
        .instantiate(&mut store, &big)
        .unwrap_err();
    assert!(err.to_string().contains("GC heap"), "{err}");
}
