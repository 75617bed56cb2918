//! Unbounded recursion ends in a clean trap on a small native stack, and every kind of trap
//! leaves the store usable with the writes made before it.

use spindle::{
    Caller, Engine, Error, Func, FuncType, Linker, Module, Store, StoreLimits, Trap, Val, ValType,
};

fn trap_code(e: Error) -> Trap {
    match e.downcast_ref::<Trap>() {
        Some(t) => *t,
        None => panic!("expected a trap, got {e:?}"),
    }
}

const RECURSION: &str = r#"
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $via_table)
  (type $t (func (param i32) (result i32)))
  (func $direct (export "direct") (param i32) (result i32)
    (i32.add (call $direct (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func $via_table (export "indirect") (param i32) (result i32)
    (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0)) (i32.const 1)))
  (func (export "through_host") (param i32) (result i32)
    (call $reenter (local.get 0)))
  (func (export "ok") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 2))))
"#;

/// Runs `f` on a thread with a 256 KiB native stack.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("thread panicked");
}

#[test]
fn unbounded_recursion_traps_on_a_256k_stack_and_the_store_recovers() {
    on_small_stack(|| {
        let engine = Engine::default();
        let module = Module::from_wat(&engine, RECURSION).unwrap();
        let mut store: Store<Option<Func>> = Store::new(&engine, None);
        let mut linker = Linker::new(&engine);
        let ty = FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::I32],
        };
        linker
            .func_new(
                "host",
                "reenter",
                ty,
                |mut caller: Caller<'_, Option<Func>>, args, results| {
                    let f = caller.data().expect("set after instantiation");
                    f.call(&mut caller, args, results)
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let through_host = instance.get_func(&store, "through_host").unwrap();
        *store.data_mut() = Some(through_host);
        for name in ["direct", "indirect", "through_host"] {
            let f = instance.get_func(&store, name).unwrap();
            let mut out = [Val::I32(0)];
            let err = f.call(&mut store, &[Val::I32(0)], &mut out).unwrap_err();
            assert_eq!(trap_code(err), Trap::StackOverflow, "{name}");
            assert_eq!(Trap::StackOverflow.message(), "call stack exhausted");
            // The store still runs the next call correctly.
            let ok = instance.get_typed_func::<i32, i32>(&store, "ok").unwrap();
            assert_eq!(ok.call(&mut store, 21).unwrap(), 42, "after {name}");
        }
    });
}

const TRAPS: &str = r#"
(module
  (import "host" "fail" (func $fail))
  (memory (export "mem") 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  (func $recurse (call $recurse))
  ;; Writes `v` to memory[0..4] and to $g, then traps in the way `kind` says.
  (func (export "write_then_trap") (param $v i32) (param $kind i32)
    (i32.store (i32.const 0) (local.get $v))
    (global.set $g (local.get $v))
    (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3 $b4 $b5 (local.get $kind)))
      ;; 0: out of bounds
      (drop (i32.load (i32.const 65536))) (return))
      ;; 1: divide by zero
      (drop (i32.div_s (i32.const 1) (i32.const 0))) (return))
      ;; 2: unreachable
      (unreachable))
      ;; 3: call stack exhausted
      (call $recurse) (return))
      ;; 4: host error
      (call $fail) (return))
    ;; 5: growth denied by the store's limits, then a trap
    (if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) (then (unreachable))))
  (func (export "read_mem") (result i32) (i32.load (i32.const 0)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
"#;

#[test]
fn after_every_kind_of_trap_the_instance_keeps_its_writes_and_runs_again() {
    let engine = Engine::default();
    let module = Module::from_wat(&engine, TRAPS).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimits {
        memory_size: 4 << 16,
        ..StoreLimits::default()
    });
    let mut linker = Linker::new(&engine);
    let ty = FuncType {
        params: vec![],
        results: vec![],
    };
    linker
        .func_new("host", "fail", ty, |_caller, _args, _results| {
            Err(spindle::Error::msg("the host said no"))
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let write = instance
        .get_typed_func::<(i32, i32), ()>(&store, "write_then_trap")
        .unwrap();
    let read_mem = instance
        .get_typed_func::<(), i32>(&store, "read_mem")
        .unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .unwrap();
    let global = instance.get_global(&store, "g").unwrap();
    let memory = instance.get_memory(&store, "mem").unwrap();
    let expected = [
        Trap::MemoryOutOfBounds,
        Trap::IntegerDivisionByZero,
        Trap::Unreachable,
        Trap::StackOverflow,
        Trap::Host,
        Trap::Unreachable,
    ];
    for (kind, code) in expected.iter().enumerate() {
        let v = 1000 + kind as i32;
        let err = write.call(&mut store, (v, kind as i32)).unwrap_err();
        if *code == Trap::Host {
            // The host function's own error comes back as it was made.
            assert_eq!(
                err.root_cause().to_string(),
                "the host said no",
                "kind {kind}"
            );
        } else {
            assert_eq!(trap_code(err), *code, "kind {kind}");
        }
        assert_eq!(
            read_mem.call(&mut store, ()).unwrap(),
            v,
            "memory after kind {kind}"
        );
        assert_eq!(global.get(&store), Val::I32(v), "global after kind {kind}");
        assert_eq!(
            &memory.data(&store)[..4],
            &v.to_le_bytes(),
            "host view after kind {kind}"
        );
        assert_eq!(memory.size(&store), 1, "the denied growth changed nothing");
        assert_eq!(
            add.call(&mut store, (40, 2)).unwrap(),
            42,
            "another export after kind {kind}"
        );
    }
}
