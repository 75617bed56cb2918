//! A host that cannot provide memory: this test binary's allocator refuses every single
//! allocation over 256 MiB, and on Linux, where linear memories are mappings of the
//! operating system's rather than allocations, the process's address space is limited to
//! 384 MiB more than it holds when the tests start. What Wasm asks for beyond that
//! (growing a memory or a table, a GC array, a module's initial memory, table or global)
//! must come back as -1, a trap or an error, with the store still usable, never as an
//! abort.

use spindle::{Config, Engine, Linker, Module, Store, StoreLimitsBuilder, Val};
use std::alloc::{GlobalAlloc, Layout, System};

const REFUSED_OVER: usize = 256 << 20;

struct Refusing;

// SAFETY: every call is forwarded unchanged to the system allocator, except that requests
// over `REFUSED_OVER` bytes answer null, which `GlobalAlloc` allows for any request.
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > REFUSED_OVER {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > REFUSED_OVER {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > REFUSED_OVER {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

/// Limits the process's address space (once): linear memories are anonymous mappings on
/// Linux, which the allocator above does not see.
fn limit_address_space() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let kib: u64 = status
                .lines()
                .find(|l| l.starts_with("VmSize:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
                .expect("VmSize in /proc/self/status");
            let limit = (kib << 10) + (384 << 20);
            let r = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            // SAFETY: `setrlimit` reads the `rlimit` it is given, which lives across the call.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &r) }, 0);
        });
    }
}

/// A store whose own limits would allow far more than the allocator gives.
fn store(engine: &Engine) -> Store<()> {
    limit_address_space();
    let mut store = Store::new(engine, ());
    store.set_limits(
        StoreLimitsBuilder::new()
            .memory_size(8 << 30)
            .table_elements(usize::MAX)
            .gc_heap(usize::MAX)
            .build(),
    );
    store
}

const MODULE: &str = r#"(module
    (type $bytes (array (mut i64)))
    (memory (export "memory") 1 65536)
    (table (export "table") 1 funcref)
    (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "grow_table") (param i32) (result i32)
      (table.grow (ref.null func) (local.get 0)))
    (func (export "new_array") (param i32) (result i32)
      (array.len (array.new_default $bytes (local.get 0))))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#;

fn call(
    store: &mut Store<()>,
    instance: &spindle::Instance,
    name: &str,
    args: &[Val],
) -> spindle::Result<i32> {
    let f = instance.get_func(&mut *store, name).unwrap();
    let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
    f.call(&mut *store, args, &mut out)?;
    Ok(out.first().map_or(0, Val::unwrap_i32))
}

#[test]
fn growth_the_host_cannot_back_gives_minus_one_or_a_trap() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = store(&engine);
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();

    // 512 MiB more memory: refused, -1; the memory unchanged and usable.
    assert_eq!(
        call(&mut store, &instance, "grow_memory", &[Val::I32(8192)]).unwrap(),
        -1
    );
    assert_eq!(
        call(&mut store, &instance, "grow_memory", &[Val::I32(1)]).unwrap(),
        1
    );
    call(
        &mut store,
        &instance,
        "store",
        &[Val::I32(65536 + 8), Val::I32(42)],
    )
    .unwrap();
    assert_eq!(
        call(&mut store, &instance, "load", &[Val::I32(65536 + 8)]).unwrap(),
        42
    );

    // 64 M table elements (512 MiB): -1.
    assert_eq!(
        call(&mut store, &instance, "grow_table", &[Val::I32(64 << 20)]).unwrap(),
        -1
    );
    assert_eq!(
        call(&mut store, &instance, "grow_table", &[Val::I32(10)]).unwrap(),
        1
    );

    // A 100 M element array (800 MB): a trap, and the store goes on.
    let err = call(&mut store, &instance, "new_array", &[Val::I32(100_000_000)]).unwrap_err();
    assert_eq!(
        err.downcast_ref::<spindle::Trap>(),
        Some(&spindle::Trap::GcHeapExhausted),
        "{err:?}"
    );
    assert_eq!(
        call(&mut store, &instance, "new_array", &[Val::I32(1000)]).unwrap(),
        1000
    );

    // Through the embedding API too.
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert!(memory.grow(&mut store, 8192).is_err());
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 2);
    let table = instance.get_table(&mut store, "table").unwrap();
    assert!(table
        .grow(&mut store, 64 << 20, Val::null_func_ref())
        .is_err());
    // Host-made ones too.
    let ty = spindle::MemoryType::new(8192, None);
    assert!(spindle::Memory::new(&mut store, ty).is_err());
    assert!(spindle::Memory::new(&mut store, spindle::MemoryType::new(1, None)).is_ok());
}

#[test]
fn instantiation_the_host_cannot_back_is_an_error() {
    let engine = Engine::new(&Config::new()).unwrap();
    for (wat, what) in [
        ("(module (memory 8192))", "memory"),
        ("(module (table 50000000 funcref))", "table"),
        (
            "(module (type $a (array i64)) (global (ref $a) (array.new_default $a (i32.const 100000000))))",
            "array",
        ),
    ] {
        let module = Module::new(&engine, wat).unwrap();
        let mut store = store(&engine);
        let err = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .err()
            .unwrap_or_else(|| panic!("{what}: instantiated"));
        let text = format!("{err:#}");
        assert!(
            text.contains("out of host memory") || text.contains("GC heap"),
            "{what}: {text}"
        );
        // The store is still usable.
        let small = Module::new(&engine, "(module (memory 1))").unwrap();
        Linker::new(&engine).instantiate(&mut store, &small).unwrap();
    }
}
