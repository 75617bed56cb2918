//! The embedding API as a host uses it: one test per finding of the embedding API issue
//! (each failed, or did not compile, before the API was reshaped).

use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle::{
    AsContextMut, Caller, Config, Engine, Error, Extern, Func, FuncType, Global, GlobalType,
    Instance, Linker, Memory, MemoryType, Module, Mutability, RefType, ResumableCall, Store, Table,
    TableType, Tag, Trap, Val, ValType,
};

const COUNTER: &str = r#"(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $n (export "n") (mut i32) (i32.const 0))
  (table (export "table") 2 funcref)
  (tag (export "tag") (param i32))
  (data (i32.const 100) "hello from wasm")
  (func $bump (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "say") (call $log (i32.const 100) (i32.const 15)))
  (func (export "spin") (param i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $i)))"#;

/// Log lines the host function collected from guest memory.
type Log = Vec<String>;

fn logging_linker(engine: &Engine) -> Linker<Log> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "env",
            "log",
            |mut caller: Caller<'_, Log>, ptr: i32, len: i32| -> spindle::Result<()> {
                let memory = caller
                    .get_export("memory")
                    .and_then(Extern::into_memory)
                    .ok_or_else(|| Error::msg("no memory"))?;
                let mut bytes = vec![0; len as usize];
                memory.read(&caller, ptr as usize, &mut bytes)?;
                let line = String::from_utf8(bytes)?;
                caller.data_mut().push(line);
                Ok(())
            },
        )
        .unwrap();
    linker
}

fn fuel_engine() -> Engine {
    Engine::new(Config::new().consume_fuel(true)).unwrap()
}

fn expect_wrong_store_panic(what: &str, f: impl FnOnce()) {
    let r = catch_unwind(AssertUnwindSafe(f));
    let payload = r.expect_err(what);
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("wrong store"), "{what}: {message}");
}

/// Finding 1: resuming a suspension of store A on store B used a freed function's code.
#[test]
fn f01_resuming_on_another_store_is_an_error_whether_or_not_the_first_lives() {
    let engine = fuel_engine();
    let module = Module::new(&engine, COUNTER).unwrap();
    let linker = logging_linker(&engine);
    for drop_first in [false, true] {
        let mut a = Store::new(&engine, Log::new());
        a.set_fuel(1_000).unwrap();
        let spin = linker
            .instantiate(&mut a, &module)
            .unwrap()
            .get_func(&a, "spin")
            .unwrap();
        let mut out = [Val::I32(0)];
        let ResumableCall::OutOfFuel(inv) = spin
            .call_resumable(&mut a, &[Val::I32(1_000_000)], &mut out)
            .unwrap()
        else {
            panic!("expected to run out of fuel")
        };
        let mut b = Store::new(&engine, Log::new());
        b.set_fuel(1_000_000_000).unwrap();
        linker.instantiate(&mut b, &module).unwrap();
        if drop_first {
            drop(a);
        }
        let err = inv.resume(&mut b, &mut out).unwrap_err();
        assert!(err.to_string().contains("its own store"), "{err}");
    }
}

/// Finding 2: handles were bare indices; another store's objects answered for them.
#[test]
fn f02_every_handle_used_with_another_store_panics() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).unwrap();
    let linker = logging_linker(&engine);
    let mut a = Store::new(&engine, Log::new());
    let inst = linker.instantiate(&mut a, &module).unwrap();
    let memory = inst.get_memory(&a, "memory").unwrap();
    let bump = inst.get_func(&a, "bump").unwrap();
    let typed = bump.typed::<(), i32>(&a).unwrap();
    let global = inst.get_global(&a, "n").unwrap();
    let table = inst.get_table(&a, "table").unwrap();
    let tag = inst.get_tag(&a, "tag").unwrap();
    // B has as many entities of each kind, so an index would name one of B's.
    let mut b = Store::new(&engine, Log::new());
    linker.instantiate(&mut b, &module).unwrap();
    expect_wrong_store_panic("Memory", || {
        memory.data(&b);
    });
    expect_wrong_store_panic("Memory::write", || {
        let _ = memory.write(&mut b, 0, b"x");
    });
    expect_wrong_store_panic("Func", || {
        let _ = bump.call(&mut b, &[], &mut [Val::I32(0)]);
    });
    expect_wrong_store_panic("TypedFunc", || {
        let _ = typed.call(&mut b, ());
    });
    expect_wrong_store_panic("Global", || {
        global.get(&b);
    });
    expect_wrong_store_panic("Table", || {
        table.size(&b);
    });
    expect_wrong_store_panic("Tag", || {
        tag.ty(&b);
    });
    expect_wrong_store_panic("Instance", || {
        inst.get_export(&b, "bump");
    });
    expect_wrong_store_panic("a function reference in a value", || {
        let _ = table.set(&mut b, 0, Val::FuncRef(Some(bump)));
    });
    // A linker definition of A's, used to instantiate into B.
    let mut with_global = logging_linker(&engine);
    with_global.define(&a, "env", "g", global).unwrap();
    let importer =
        Module::new(&engine, r#"(module (import "env" "g" (global (mut i32))))"#).unwrap();
    expect_wrong_store_panic("Linker definition", || {
        let _ = with_global.instantiate(&mut b, &importer);
    });
    // Defining an entity of another store fails at once.
    expect_wrong_store_panic("Linker::define", || {
        let _ = logging_linker(&engine).define(&b, "env", "g", global);
    });
    // On an empty store: the same message, not an index error inside the library.
    let empty = Store::new(&engine, Log::new());
    expect_wrong_store_panic("empty store", || {
        global.get(&empty);
    });
    // GC references and roots.
    let gc_module = Module::new(
        &engine,
        r#"(module (type $s (struct (field i32)))
             (func (export "make") (result anyref) (struct.new $s (i32.const 7))))"#,
    )
    .unwrap();
    let gc_inst = Linker::<Log>::new(&engine)
        .instantiate(&mut a, &gc_module)
        .unwrap();
    let made = gc_inst
        .get_typed_func::<(), Option<spindle::AnyRef>>(&a, "make")
        .unwrap()
        .call(&mut a, ())
        .unwrap()
        .unwrap();
    let root = a.gc_root(made).unwrap();
    assert_eq!(a.struct_get(made, 0).unwrap(), Val::I32(7));
    expect_wrong_store_panic("AnyRef", || {
        let _ = b.struct_get(made, 0);
    });
    expect_wrong_store_panic("GcRoot", || {
        b.gc_rooted(root);
    });
    // A still works after all that.
    assert_eq!(typed.call(&mut a, ()).unwrap(), 1);
}

/// Finding 3: host functions could not reach guest memory or exports.
#[test]
fn f03_host_functions_read_and_write_guest_memory_through_the_caller() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).unwrap();
    let mut linker = logging_linker(&engine);
    linker.allow_shadowing(true);
    // A second host function writes into guest memory and reads the store data at once.
    linker
        .func_wrap(
            "env",
            "log",
            |mut caller: Caller<'_, Log>, ptr: i32, len: i32| {
                let memory = caller.get_export("memory").unwrap().into_memory().unwrap();
                let (bytes, log) = memory.data_and_store_mut(&mut caller);
                let range = ptr as usize..(ptr + len) as usize;
                log.push(String::from_utf8_lossy(&bytes[range.clone()]).into_owned());
                bytes[range].make_ascii_uppercase();
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, Log::new());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let say = inst.get_typed_func::<(), ()>(&store, "say").unwrap();
    say.call(&mut store, ()).unwrap();
    say.call(&mut store, ()).unwrap();
    assert_eq!(store.data(), &["hello from wasm", "HELLO FROM WASM"]);
    let memory = inst.get_memory(&store, "memory").unwrap();
    let mut buf = [0; 5];
    memory.read(&store, 100, &mut buf).unwrap();
    assert_eq!(&buf, b"HELLO");
    // Out of bounds: an error, never a panic.
    assert!(memory.read(&store, 65_534, &mut buf).is_err());
    assert!(memory.write(&mut store, usize::MAX, b"x").is_err());
}

/// Finding 4: stores and suspensions were not `Send`; a pool shared by threads did not
/// compile.
#[test]
fn f04_stores_and_suspensions_move_between_threads() {
    let engine = fuel_engine();
    let module = Module::new(&engine, COUNTER).unwrap();
    let pre = logging_linker(&engine).instantiate_pre(&module).unwrap();
    let mut store = Store::new(&engine, Log::new());
    store.set_fuel(100).unwrap();
    let inst = pre.instantiate(&mut store).unwrap();
    let spin = inst.get_typed_func::<i32, i32>(&store, "spin").unwrap();
    let spindle::TypedResumableCall::OutOfFuel(inv) =
        spin.call_resumable(&mut store, 10_000).unwrap()
    else {
        panic!("expected to run out of fuel")
    };
    // Both go to another thread, which finishes the call.
    let done = std::thread::spawn(move || {
        store.set_fuel(1_000_000).unwrap();
        match inv.resume(&mut store).unwrap() {
            spindle::TypedResumableCall::Finished(n) => (n, store),
            _ => panic!("expected to finish"),
        }
    })
    .join()
    .unwrap();
    assert_eq!(done.0, 10_000);
    let mut store = done.1;
    assert_eq!(spin.call(&mut store, 3).unwrap(), 3);
}

/// Finding 5: a linker was tied to one store and there was no pre-resolved instantiation.
#[test]
fn f05_one_linker_and_one_instance_pre_serve_many_stores() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).unwrap();
    let linker = logging_linker(&engine);
    let pre = linker.instantiate_pre(&module).unwrap();
    for i in 0..50 {
        let mut store = Store::new(&engine, Log::new());
        let inst = if i % 2 == 0 {
            pre.instantiate(&mut store).unwrap()
        } else {
            linker.instantiate(&mut store, &module).unwrap()
        };
        inst.get_typed_func::<(), ()>(&store, "say")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        assert_eq!(store.into_data(), ["hello from wasm"]);
    }
    // Instantiating many times in one store shares one entity per host function.
    let mut store = Store::new(&engine, Log::new());
    let first = pre.instantiate(&mut store).unwrap();
    let second = pre.instantiate(&mut store).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        linker.get(&mut store, "env", "log"),
        linker.get(&mut store, "env", "log")
    );
}

/// Finding 7: dropped out-of-fuel suspensions kept their frames; after 10,000 the store
/// refused calls.
#[test]
fn f07_dropped_suspensions_release_their_frames() {
    let engine = fuel_engine();
    let module = Module::new(&engine, COUNTER).unwrap();
    let mut store = Store::new(&engine, Log::new());
    let inst = logging_linker(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let spin = inst.get_func(&store, "spin").unwrap();
    let bump = inst.get_typed_func::<(), i32>(&store, "bump").unwrap();
    for _ in 0..20_000 {
        store.set_fuel(50).unwrap();
        let mut out = [Val::I32(0)];
        match spin
            .call_resumable(&mut store, &[Val::I32(1_000_000)], &mut out)
            .unwrap()
        {
            ResumableCall::OutOfFuel(inv) => drop(inv),
            other => panic!("expected to run out of fuel, got {other:?}"),
        }
    }
    store.set_fuel(1_000).unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1);
    // Two suspensions: dropping the newer one lets the older resume.
    store.set_fuel(50).unwrap();
    let mut out = [Val::I32(0)];
    let ResumableCall::OutOfFuel(older) = spin
        .call_resumable(&mut store, &[Val::I32(200)], &mut out)
        .unwrap()
    else {
        panic!()
    };
    store.set_fuel(50).unwrap();
    let ResumableCall::OutOfFuel(newer) = spin
        .call_resumable(&mut store, &[Val::I32(1_000_000)], &mut out)
        .unwrap()
    else {
        panic!()
    };
    drop(newer);
    store.set_fuel(1_000_000).unwrap();
    assert!(matches!(
        older.resume(&mut store, &mut out).unwrap(),
        ResumableCall::Finished
    ));
    assert_eq!(out[0], Val::I32(200));
}

/// Finding 8: a lazily translated module kept its file mapped; truncating the file killed
/// the process with SIGBUS.
#[test]
fn f08_a_module_file_changed_after_loading_does_not_matter() {
    let engine = Engine::new(Config::new().translation(spindle::Translation::Lazy)).unwrap();
    let wasm = wat::parse_str(COUNTER);
    let path = std::env::temp_dir().join(format!("spindle-f08-{}.wasm", std::process::id()));
    std::fs::write(&path, wasm).unwrap();
    let module = Module::from_file(&engine, &path).unwrap();
    std::fs::File::create(&path).unwrap().set_len(0).unwrap();
    let mut store = Store::new(&engine, Log::new());
    let inst = logging_linker(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let spin = inst.get_typed_func::<i32, i32>(&store, "spin").unwrap();
    assert_eq!(spin.call(&mut store, 7).unwrap(), 7);
    std::fs::remove_file(&path).unwrap();
}

/// The wast crate's text-to-binary, as the tests need bytes.
mod wat {
    pub fn parse_str(text: &str) -> Vec<u8> {
        let buffer = wast::parser::ParseBuffer::new(text).unwrap();
        let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).unwrap();
        wat.encode().unwrap()
    }
}

/// An error type of the host's own.
#[derive(Debug, PartialEq)]
struct Denied {
    what: String,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "denied: {}", self.what)
    }
}

impl std::error::Error for Denied {}

/// Finding 9: typed API gaps.
#[test]
fn f09_typed_api_the_way_wasmtime_hosts_write_it() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
          (import "env" "ten" (func $ten (param i32 i64 f32 f64 i32 i32 i32 i32 i32 i32) (result i64)))
          (import "env" "one" (func $one (param i64) (result i64)))
          (import "env" "deny" (func $deny (param i32)))
          (import "env" "pick" (func $pick (param funcref) (result funcref)))
          (func $seven (export "seven") (result i32) (i32.const 7))
          (elem declare func $seven)
          (func (export "ten") (result i64)
            (call $ten (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4)
              (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.const 10)))
          (func (export "one") (param i64) (result i64) (call $one (local.get 0)))
          (func (export "deny") (param i32) (call $deny (local.get 0)))
          (func (export "pick") (result funcref) (call $pick (ref.func $seven))))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    // Ten parameters, no Caller.
    linker
        .func_wrap(
            "env",
            "ten",
            |a: i32, b: i64, c: f32, d: f64, e: i32, f: i32, g: i32, h: i32, i: i32, j: i32| {
                a as i64 + b + c as i64 + d as i64 + (e + f + g + h + i + j) as i64
            },
        )
        .unwrap();
    linker.func_wrap("env", "one", |x: i64| x * 3).unwrap();
    linker
        .func_wrap("env", "deny", |x: i32| -> spindle::Result<()> {
            Err(Denied {
                what: format!("request {x}"),
            })?
        })
        .unwrap();
    linker
        .func_wrap("env", "pick", |f: Option<Func>| f)
        .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    // `(i64,)` and a bare `i64` are both parameter lists; `typed` takes two type arguments.
    let one = inst.get_func(&store, "one").unwrap();
    assert_eq!(
        one.typed::<(i64,), i64>(&store)
            .unwrap()
            .call(&mut store, (5,))
            .unwrap(),
        15
    );
    assert_eq!(
        one.typed::<i64, (i64,)>(&store)
            .unwrap()
            .call(&mut store, 5)
            .unwrap(),
        (15,)
    );
    let ten = inst.get_typed_func::<(), i64>(&store, "ten").unwrap();
    assert_eq!(ten.call(&mut store, ()).unwrap(), 55);
    // The host's own error comes back to the embedder, downcast to its type.
    let deny = inst.get_typed_func::<i32, ()>(&store, "deny").unwrap();
    let err = deny.call(&mut store, 4).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Denied>(),
        Some(&Denied {
            what: "request 4".into()
        })
    );
    assert!(format!("{err:?}").contains("denied: request 4"), "{err:?}");
    // A function reference becomes a `Func` that can be called.
    let picked = inst
        .get_typed_func::<(), Option<Func>>(&store, "pick")
        .unwrap()
        .call(&mut store, ())
        .unwrap()
        .expect("a function");
    assert_eq!(
        picked
            .typed::<(), i32>(&store)
            .unwrap()
            .call(&mut store, ())
            .unwrap(),
        7
    );
    let mut out = [Val::I32(0)];
    let pick = inst.get_func(&store, "pick").unwrap();
    pick.call(&mut store, &[], &mut out).unwrap();
    let f = out[0].unwrap_funcref().copied().unwrap();
    assert_eq!(f, picked);
    // Constructors of memory, table and global types.
    let memory = Memory::new(&mut store, MemoryType::new(1, Some(3))).unwrap();
    assert_eq!(memory.size(&store), 1);
    memory.write(&mut store, 10, &[1, 2, 3]).unwrap();
    let mut three = [0; 3];
    memory.read(&store, 10, &mut three).unwrap();
    assert_eq!(three, [1, 2, 3]);
    let table = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 2, None),
        Val::FuncRef(Some(f)),
    )
    .unwrap();
    assert_eq!(table.get(&store, 1), Some(Val::FuncRef(Some(f))));
    let global = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(3),
    )
    .unwrap();
    assert!(global.set(&mut store, Val::I32(4)).is_err());
    // Link errors name the expected and found types.
    let mut wrong = Linker::<()>::new(&engine);
    wrong.func_wrap("env", "ten", |x: i32| x).unwrap();
    let err = match wrong.instantiate(&mut store, &module) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("linked a function of the wrong type"),
    };
    assert!(
        err.contains("expected func (func (param i32 i64 f32 f64"),
        "{err}"
    );
    assert!(
        err.contains("found func (func (param i32) (result i32))"),
        "{err}"
    );
    let mut store2 = Store::new(&engine, ());
    let bad_memory = Memory::new(&mut store2, MemoryType::new(1, None)).unwrap();
    let err = Instance::new(
        &mut store2,
        &Module::new(&engine, r#"(module (import "m" "g" (global i32)))"#).unwrap(),
        &[bad_memory.into()],
    )
    .unwrap_err();
    assert!(err.to_string().contains("expected global"), "{err}");
    assert!(err.to_string().contains("found memory"), "{err}");
    // Tags from the host, dynamic functions from the host.
    let tag = Tag::new(&mut store, FuncType::new(&engine, [ValType::I32], [])).unwrap();
    assert_eq!(tag.ty(&store).params, [ValType::I32]);
}

/// Finding 9 again: traps keep their code and name the function they stopped in.
#[test]
fn f09_traps_carry_their_code_and_a_wasm_backtrace() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module $m
          (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
          (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let outer = inst.get_typed_func::<i32, i32>(&store, "outer").unwrap();
    let err = outer.call(&mut store, 0).unwrap_err();
    assert_eq!(
        err.downcast_ref::<Trap>(),
        Some(&Trap::IntegerDivisionByZero)
    );
    let debug = format!("{err:?}");
    assert!(debug.contains("m!inner"), "{debug}");
    assert!(debug.contains("m!outer"), "{debug}");
    let bt = err.downcast_ref::<spindle::WasmBacktrace>().unwrap();
    let names: Vec<_> = bt
        .frames()
        .iter()
        .map(|f| f.func_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["inner", "outer"]);
    assert_eq!(outer.call(&mut store, 2).unwrap(), 0);
}

/// The module's imports and exports, with their types.
#[test]
fn module_imports_and_exports_have_types() {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER).unwrap();
    let imports: Vec<_> = module
        .imports()
        .map(|i| (i.module().to_string(), i.name().to_string(), i.ty()))
        .collect();
    assert_eq!(
        imports,
        [(
            "env".to_string(),
            "log".to_string(),
            spindle::ExternType::Func(FuncType::new(&engine, [ValType::I32, ValType::I32], []))
        )]
    );
    let exports: Vec<_> = module.exports().map(|e| e.name().to_string()).collect();
    assert_eq!(
        exports,
        ["memory", "n", "table", "tag", "bump", "say", "spin"]
    );
    assert_eq!(
        module.get_export("memory"),
        Some(spindle::ExternType::Memory(MemoryType::new(1, None)))
    );
    assert!(matches!(
        module.get_export("n"),
        Some(spindle::ExternType::Global(g)) if g.mutability() == Mutability::Var
    ));
}

/// `define_unknown_imports_as_traps`: a module that imports more than it uses links.
#[test]
fn unknown_imports_can_be_defined_as_traps() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "wasi" "missing" (func $m))
             (func (export "fine") (result i32) (i32.const 1))
             (func (export "calls_it") (call $m)))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown import: `wasi::missing` has not been defined"),
        "{err}"
    );
    linker.define_unknown_imports_as_traps(&module).unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let fine = inst.get_typed_func::<(), i32>(&store, "fine").unwrap();
    assert_eq!(fine.call(&mut store, ()).unwrap(), 1);
    let calls = inst.get_typed_func::<(), ()>(&store, "calls_it").unwrap();
    let err = calls.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("wasi::missing"), "{err}");
    // A second definition is an error unless shadowing is allowed.
    assert!(linker.func_wrap("wasi", "missing", || {}).is_err());
    linker.allow_shadowing(true);
    assert!(linker.func_wrap("wasi", "missing", || {}).is_ok());
}

/// An exit status from a host function (WASI's `proc_exit`) comes back as `I32Exit`.
#[test]
fn an_exit_status_comes_back_to_the_embedder() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "wasi" "exit" (func $exit (param i32)))
             (func (export "_start") (call $exit (i32.const 3)) unreachable))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("wasi", "exit", |code: i32| -> spindle::Result<()> {
            Err(spindle::I32Exit(code).into())
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let start = inst.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert_eq!(
        err.downcast_ref::<spindle::I32Exit>(),
        Some(&spindle::I32Exit(3))
    );
}

/// Finding 10: fuel was the only way to stop a guest. Epochs: a deadline reached traps with
/// "interrupt"; a callback can extend the deadline, fail, or suspend a resumable call.
#[test]
fn f10_epoch_interruption_traps_continues_or_suspends() {
    let engine = Engine::new(Config::new().epoch_interruption(true)).unwrap();
    let module = Module::new(&engine, COUNTER).unwrap();
    let linker = logging_linker(&engine);
    let mut store = Store::new(&engine, Log::new());
    store.set_epoch_deadline(1);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let spin = inst.get_typed_func::<i32, i32>(&store, "spin").unwrap();
    // Not reached: runs to the end.
    assert_eq!(spin.call(&mut store, 100_000).unwrap(), 100_000);
    // Reached (the clock ticked): the next check stops the call.
    engine.increment_epoch();
    let err = spin.call(&mut store, 100_000).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    assert!(err.to_string().contains("interrupt"), "{err}");
    // A callback that yields: the call suspends at each tick and resumes where it stopped.
    store.set_epoch_deadline(0);
    store.epoch_deadline_callback(|mut ctx| {
        ctx.data_mut().push("tick".into());
        Ok(spindle::UpdateDeadline::Yield(1))
    });
    let mut call = spin.call_resumable(&mut store, 1_000).unwrap();
    let mut yields = 0;
    let result = loop {
        match call {
            spindle::TypedResumableCall::Finished(n) => break n,
            spindle::TypedResumableCall::Interrupted(inv) => {
                yields += 1;
                if yields % 2 == 0 {
                    engine.increment_epoch();
                }
                call = inv.resume(&mut store).unwrap();
            }
            _ => panic!("expected only epoch yields"),
        }
    };
    assert_eq!(result, 1_000);
    assert!(yields >= 1, "{yields}");
    assert_eq!(store.data().len(), yields);
    // Back to trapping.
    store.epoch_deadline_trap();
    store.set_epoch_deadline(0);
    let err = spin.call(&mut store, 10).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
}

/// A deadline a host function sets while Wasm runs takes effect at the next check of the
/// same run (the interpreter keeps a copy of the deadline and reads it again after host
/// code), both ways: brought forward and pushed back.
#[test]
fn f10_a_deadline_set_by_a_host_function_applies_to_the_running_call() {
    let engine = Engine::new(Config::new().epoch_interruption(true)).unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "h" "tick" (func $tick (param i32)))
          (func (export "run") (param $n i32) (result i32)
            (local $i i32)
            (loop $l
              (call $tick (local.get $i))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.get $i)))"#,
    )
    .unwrap();
    type Plan = Option<(i32, u64, bool)>;
    let mut linker = Linker::<Plan>::new(&engine);
    linker
        .func_wrap("h", "tick", |mut caller: Caller<'_, Plan>, i: i32| {
            // At iteration `at`, maybe tick the clock twice, then set the deadline `ticks`
            // beyond now.
            if let Some((at, ticks, tick_clock)) = *caller.data() {
                if i == at {
                    if tick_clock {
                        caller.engine().increment_epoch();
                        caller.engine().increment_epoch();
                    }
                    caller.as_context_mut().set_epoch_deadline(ticks);
                }
            }
        })
        .unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    // Brought forward to now: the loop header check after iteration 100 stops the call.
    store.set_epoch_deadline(10);
    *store.data_mut() = Some((100, 0, false));
    let err = run.call(&mut store, 1_000).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    // Pushed back as the clock passes the old deadline: the call runs to its end.
    store.set_epoch_deadline(1);
    *store.data_mut() = Some((0, 10, true));
    assert_eq!(run.call(&mut store, 1_000).unwrap(), 1_000);
}

/// From review: the caller's instance, results of host functions the host calls, the
/// results of a resumed call, and a trap's backtrace through a host function.
#[test]
fn host_called_host_functions_resume_checks_and_one_backtrace() {
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let mut store = Store::new(&engine, Log::new());
    store.set_fuel(1_000_000).unwrap();
    // A host function the host calls directly has no calling instance, even when a host
    // function that Wasm called is the one calling it.
    let probe = Func::wrap(&mut store, |caller: Caller<'_, Log>| {
        i32::from(caller.get_export("memory").is_some())
    });
    let mut linker = logging_linker(&engine);
    linker
        .func_wrap(
            "env",
            "probe",
            move |mut caller: Caller<'_, Log>| -> spindle::Result<i32> {
                let from_wasm = i32::from(caller.get_export("memory").is_some());
                let nested = probe.typed::<(), i32>(&caller)?.call(&mut caller, ())?;
                Ok(from_wasm * 10 + nested)
            },
        )
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "env" "probe" (func $probe (result i32)))
          (import "env" "fail" (func $fail))
          (memory (export "memory") 1)
          (func $inner (call $fail))
          (func (export "outer") (call $inner))
          (func (export "probe") (result i32) (call $probe))
          (func (export "spin") (param i32) (result i32)
            (local $i i32)
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
            (local.get $i)))"#,
    )
    .unwrap();
    // `fail` calls Wasm that traps and passes the error on.
    let unreachable = Module::new(
        &engine,
        r#"(module (func $deep (export "deep") unreachable))"#,
    )
    .unwrap();
    let deep_inst = Linker::<Log>::new(&engine)
        .instantiate(&mut store, &unreachable)
        .unwrap();
    let deep = deep_inst.get_typed_func::<(), ()>(&store, "deep").unwrap();
    linker
        .func_wrap(
            "env",
            "fail",
            move |mut caller: Caller<'_, Log>| -> spindle::Result<()> {
                deep.call(&mut caller, ())
            },
        )
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let probe_export = inst.get_typed_func::<(), i32>(&store, "probe").unwrap();
    assert_eq!(probe_export.call(&mut store, ()).unwrap(), 10);
    assert_eq!(
        probe
            .typed::<(), i32>(&store)
            .unwrap()
            .call(&mut store, ())
            .unwrap(),
        0
    );
    // One backtrace with every frame, innermost first.
    let outer = inst.get_typed_func::<(), ()>(&store, "outer").unwrap();
    let err = outer.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
    let bt = err.downcast_ref::<spindle::WasmBacktrace>().unwrap();
    let names: Vec<_> = bt
        .frames()
        .iter()
        .map(|f| f.func_name().map(String::from))
        .collect();
    assert_eq!(names.first(), Some(&Some("deep".to_string())), "{names:?}");
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(
        err.to_string().matches("wasm backtrace").count(),
        1,
        "{err}"
    );
    // A host function the host calls must give results of its type.
    let liar = Func::new(
        &mut store,
        FuncType::new(&engine, [], [ValType::I32]),
        |_, _, results| {
            results[0] = Val::I64(1);
            Ok(())
        },
    );
    let err = liar.call(&mut store, &[], &mut [Val::I32(0)]).unwrap_err();
    assert!(err.to_string().contains("does not have type"), "{err}");
    assert!(liar
        .typed::<(), i32>(&store)
        .unwrap()
        .call(&mut store, ())
        .is_err());
    // Resuming with room for the wrong number of results is an error, not a lost result.
    let spin = inst.get_func(&store, "spin").unwrap();
    store.set_fuel(100).unwrap();
    let mut out = [Val::I32(0)];
    let ResumableCall::OutOfFuel(inv) = spin
        .call_resumable(&mut store, &[Val::I32(100_000)], &mut out)
        .unwrap()
    else {
        panic!("expected to run out of fuel")
    };
    store.set_fuel(1_000_000).unwrap();
    let err = inv.resume(&mut store, &mut []).unwrap_err();
    assert!(err.to_string().contains("1 results"), "{err}");
    assert_eq!(
        spin.call(&mut store, &[Val::I32(5)], &mut out)
            .map(|()| out[0])
            .unwrap(),
        Val::I32(5)
    );
}
