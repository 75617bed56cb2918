//! Traps carry the Wasm frames they stopped (`Trap::backtrace`), innermost first, with the
//! functions' indices and names and the offsets of the instructions they stopped at; under
//! both dispatch backends and both translation modes. (`Dispatch::Threaded` is compiled in
//! optimised builds only; elsewhere it runs as `Loop`.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use spindle_decode::ValType;
use spindle_exec::{
    call, compile, instantiate, Dispatch, Extern, FrameInfo, FuncType, Store, Translation, Trap,
    TrapCode, TypeRegistry, Val,
};
use spindle_validate::Features;

fn wat(src: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(src).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat<'_>>(&buf).expect("parses");
    module.encode().expect("encodes")
}

/// Every configuration a backtrace must come out the same under.
fn configs() -> impl Iterator<Item = (Translation, Dispatch)> {
    if cfg!(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        not(debug_assertions)
    )) {
        assert_eq!(
            spindle_exec::effective_dispatch(Dispatch::Threaded),
            Dispatch::Threaded
        );
    }
    [Translation::Eager, Translation::Lazy]
        .into_iter()
        .flat_map(|t| [Dispatch::Loop, Dispatch::Threaded].map(move |d| (t, d)))
}

struct Instance {
    store: Store,
    inst: u32,
}

impl Instance {
    /// Compiles and instantiates `bytes`; `imports` adds the host functions it imports.
    fn new(
        bytes: &[u8],
        (translation, dispatch): (Translation, Dispatch),
        fuel: bool,
        imports: impl FnOnce(&mut Store) -> Vec<Extern>,
    ) -> Instance {
        let registry = Arc::new(TypeRegistry::default());
        let module = compile(
            &registry,
            &Features::default(),
            translation,
            spindle_exec::CodeOptions {
                fuel,
                dispatch,
                ..Default::default()
            },
            1,
            bytes,
        )
        .expect("compiles");
        let mut store = Store::new(registry, Box::new(()));
        store.fuel = u64::MAX;
        let imports = imports(&mut store);
        let inst = instantiate(&mut store, &Arc::new(module), &imports).expect("instantiates");
        Instance { store, inst }
    }

    fn func(&self, name: &str) -> u32 {
        match self.store.instances[self.inst as usize].exports.get(name) {
            Some(Extern::Func(f)) => *f,
            other => panic!("no function export {name}: {other:?}"),
        }
    }

    fn trap(&mut self, name: &str, args: &[Val], results: usize) -> Trap {
        let f = self.func(name);
        let mut out = vec![Val::I32(0); results];
        call(&mut self.store, f, args, &mut out).expect_err("traps")
    }
}

/// The frames as (index, name, byte at the offset in `bytes`).
fn summary(bytes: &[u8], frames: &[FrameInfo]) -> Vec<(u32, Option<String>, u8)> {
    frames
        .iter()
        .map(|f| {
            let at = f.module_offset.expect("every frame has an offset");
            (f.func_index, f.func_name.clone(), bytes[at])
        })
        .collect()
}

fn named(s: &str) -> Option<String> {
    Some(s.to_string())
}

const UNREACHABLE: u8 = 0x00;
const CALL: u8 = 0x10;

#[test]
fn unreachable_three_calls_deep() {
    let bytes = wat(r#"
        (module $m
          (func $a (export "a") (param i32) (result i32)
            local.get 0
            call $b)
          (func $b (param i32) (result i32)
            local.get 0
            i32.const 1
            i32.add
            call $c
            i32.const 2
            i32.mul)
          (func $c (param i32) (result i32)
            unreachable))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, false, |_| vec![]);
        let t = i.trap("a", &[Val::I32(5)], 1);
        assert_eq!(t.code, TrapCode::Unreachable);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [
                (2, named("c"), UNREACHABLE),
                (1, named("b"), CALL),
                (0, named("a"), CALL),
            ],
            "{config:?}"
        );
        assert!(t.backtrace.iter().all(|f| f.module_name == named("m")));
        let offsets: Vec<_> = t
            .backtrace
            .iter()
            .map(|f| f.module_offset.unwrap())
            .collect();
        assert_eq!(
            t.backtrace[0].to_string(),
            format!("{:#x} - m!c", offsets[0])
        );
        assert_eq!(
            t.display_backtrace().to_string(),
            format!(
                "     0: {:#x} - m!c\n     1: {:#x} - m!b\n     2: {:#x} - m!a\n",
                offsets[0], offsets[1], offsets[2]
            )
        );
        // The store stays usable and a second trap gets its own backtrace.
        let again = i.trap("a", &[Val::I32(5)], 1);
        assert_eq!(again.backtrace, t.backtrace);
    }
}

#[test]
fn divide_by_zero_points_at_the_division() {
    let bytes = wat(r#"
        (module
          (func $outer (export "f") (param i32 i32) (result i32)
            local.get 0
            local.get 1
            call $div)
          (func $div (param i32 i32) (result i32)
            local.get 0
            local.get 1
            i32.div_s))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, false, |_| vec![]);
        let t = i.trap("f", &[Val::I32(7), Val::I32(0)], 1);
        assert_eq!(t.code, TrapCode::IntegerDivisionByZero);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(1, named("div"), 0x6d), (0, named("outer"), CALL)],
            "{config:?}"
        );
        // No `(module $name)`: no module name.
        assert!(t.backtrace.iter().all(|f| f.module_name.is_none()));
    }
}

#[test]
fn functions_without_names() {
    let bytes = wat(r#"
        (module
          (func (export "f")
            call 1)
          (func
            i32.const 1
            i32.const 0
            i32.rem_u
            drop))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, false, |_| vec![]);
        let t = i.trap("f", &[], 0);
        assert_eq!(t.code, TrapCode::IntegerDivisionByZero);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(1, None, 0x70), (0, None, CALL)],
            "{config:?}"
        );
        let shown = t.backtrace[0].to_string();
        assert!(shown.ends_with(" - func[1]"), "{shown}");
    }
}

#[test]
fn out_of_bounds_load_and_store() {
    // The loads and stores of memory 0 are fused with the address's add and with the
    // instructions around them; the offset still names the access.
    let bytes = wat(r#"
        (module
          (memory 1)
          (func $load (export "load") (param i32) (result i32)
            local.get 0
            i32.const 4
            i32.add
            i32.load offset=8)
          (func $indexed (export "indexed") (param i32 i32) (result i32)
            local.get 1
            local.get 0
            i32.const 2
            i32.shl
            i32.add
            i32.load)
          (func $store (export "store") (param i32)
            local.get 0
            i32.const 1
            i32.add
            i32.const 9
            i64.extend_i32_u
            i64.store))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, false, |_| vec![]);
        let t = i.trap("load", &[Val::I32(65_530)], 1);
        assert_eq!(t.code, TrapCode::MemoryOutOfBounds);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(0, named("load"), 0x28)],
            "{config:?}"
        );
        let t = i.trap("indexed", &[Val::I32(1 << 20), Val::I32(1024)], 1);
        assert_eq!(t.code, TrapCode::MemoryOutOfBounds);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(1, named("indexed"), 0x28)],
            "{config:?}"
        );
        let t = i.trap("store", &[Val::I32(65_534)], 0);
        assert_eq!(t.code, TrapCode::MemoryOutOfBounds);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(2, named("store"), 0x37)],
            "{config:?}"
        );
    }
}

/// A host function type `[i32] -> []` in `store`'s registry.
fn host_type(store: &Store) -> u32 {
    store.registry.intern(&FuncType {
        params: vec![ValType::I32],
        results: vec![],
    })
}

#[test]
fn host_error_gives_the_wasm_callers() {
    let bytes = wat(r#"
        (module $m
          (import "env" "fail" (func $fail (param i32)))
          (func $a (export "a")
            i32.const 3
            call $b)
          (func $b (param i32)
            local.get 0
            call $fail))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, false, |store| {
            let ty = host_type(store);
            let f = store.add_host_func(ty, Arc::new(|_, _, _| Err(Trap::host("no"))));
            vec![Extern::Func(f)]
        });
        let t = i.trap("a", &[], 0);
        assert_eq!(t.code, TrapCode::Host);
        assert_eq!(t.message.as_deref(), Some("no"));
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(2, named("b"), CALL), (1, named("a"), CALL)],
            "{config:?}"
        );
    }
}

#[test]
fn trap_below_a_host_function_that_called_back_into_wasm() {
    // $outer calls the host, which calls $inner, which calls $boom: the trap's frames are
    // $boom, $inner, then the frames stopped below the host function ($outer's call of it,
    // $entry's call of $outer).
    let bytes = wat(r#"
        (module $m
          (import "env" "reenter" (func $reenter (param i32)))
          (func $entry (export "entry")
            call $outer)
          (func $outer
            i32.const 0
            call $reenter)
          (func $inner (export "inner")
            nop
            call $boom)
          (func $boom
            unreachable))
    "#);
    for config in configs() {
        let inner = Arc::new(AtomicU32::new(u32::MAX));
        let target = inner.clone();
        let mut i = Instance::new(&bytes, config, false, |store| {
            let ty = host_type(store);
            let f = store.add_host_func(
                ty,
                Arc::new(move |store: &mut Store, _: &[Val], _: &mut [Val]| {
                    call(store, target.load(Ordering::Relaxed), &[], &mut [])
                }),
            );
            vec![Extern::Func(f)]
        });
        inner.store(i.func("inner"), Ordering::Relaxed);
        // Unoptimised builds take about 350 KiB of native stack for the re-entry, more than
        // the default budget (a few KiB in optimised builds).
        i.store.limits.native_stack = 1 << 20;
        let t = i.trap("entry", &[], 0);
        assert_eq!(t.code, TrapCode::Unreachable);
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [
                (4, named("boom"), UNREACHABLE),
                (3, named("inner"), CALL),
                (2, named("outer"), CALL),
                (1, named("entry"), CALL),
            ],
            "{config:?}"
        );
    }
}

#[test]
fn call_stack_exhausted_and_out_of_fuel() {
    let bytes = wat(r#"
        (module
          (func $recurse (export "recurse")
            call $recurse)
          (func $spin (export "spin")
            (loop $l
              br $l)))
    "#);
    for config in configs() {
        let mut i = Instance::new(&bytes, config, true, |_| vec![]);
        i.store.limits.call_depth = 50;
        let t = i.trap("recurse", &[], 0);
        assert_eq!(t.code, TrapCode::StackOverflow);
        // The entry frame and 50 frames of calls, each stopped at its call.
        assert_eq!(t.backtrace.len(), 51, "{config:?}");
        for frame in summary(&bytes, &t.backtrace) {
            assert_eq!(frame, (0, named("recurse"), CALL));
        }

        i.store.fuel = 1_000;
        let t = i.trap("spin", &[], 0);
        assert_eq!(t.code, TrapCode::OutOfFuel);
        // Stopped at the loop's charge, which stands for the `loop` operator.
        assert_eq!(
            summary(&bytes, &t.backtrace),
            [(1, named("spin"), 0x03)],
            "{config:?}"
        );
    }
}

#[test]
fn traps_outside_wasm_code_have_no_backtrace() {
    let bytes = wat(r#"(module (func (export "f") (param i32)))"#);
    let mut i = Instance::new(
        &bytes,
        (Translation::Eager, Dispatch::Loop),
        false,
        |_| vec![],
    );
    let f = i.func("f");
    // Wrong arguments: refused before anything runs.
    let t = call(&mut i.store, f, &[], &mut []).expect_err("refused");
    assert!(t.backtrace.is_empty());
    assert!(Trap::new(TrapCode::Unreachable).backtrace.is_empty());
}
