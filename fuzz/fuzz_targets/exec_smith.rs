//! A wasm-smith module with every proposal (GC, SIMD, exceptions, tail calls, custom
//! descriptors, ...) runs in Spindle without an oracle: every export is called with zero
//! arguments under a fuel budget, with collections between calls, in both translation
//! modes. Traps and errors are fine; a panic, abort or hang is a bug (GC bookkeeping errors
//! show up as panics: a freed object reached through a reference).

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use spindle::{Config, Engine, Features, Linker, Module, Store, Translation, Val, ValType};
use spindle_testkit::smith::smith_module;

/// A zero value of `t`, if it has one (non-nullable references have none).
fn zero(t: ValType) -> Option<Val> {
    Some(match t {
        ValType::I32 => Val::I32(0),
        ValType::I64 => Val::I64(0),
        ValType::F32 => Val::F32(0),
        ValType::F64 => Val::F64(0),
        ValType::V128 => Val::V128(0),
        ValType::Ref(r) if r.nullable => spindle_exec_null(r),
        ValType::Ref(_) => return None,
    })
}

fn spindle_exec_null(r: spindle::RefType) -> Val {
    use spindle::{AbstractHeapType as A, HeapType};
    match r.heap {
        HeapType::Abstract(A::Extern | A::NoExtern) => Val::ExternRef(None),
        HeapType::Abstract(A::Exn | A::NoExn) => Val::ExnRef(None),
        HeapType::Abstract(A::Func | A::NoFunc) => Val::FuncRef(None),
        HeapType::Abstract(_) => Val::AnyRef(None),
        _ => Val::FuncRef(None),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let features = Features::all();
    let Ok(bytes) = smith_module(&features, &mut u) else {
        return;
    };
    for translation in [Translation::Eager, Translation::Lazy] {
        let mut config = Config::new();
        config
            .features(features)
            .translation(translation)
            .consume_fuel(true);
        let engine = Engine::new(&config).expect("every configuration makes an engine");
        let Ok(module) = Module::new(&engine, &bytes) else {
            return;
        };
        if module.imports().next().is_some() {
            return;
        }
        let mut store = Store::new(&engine, ());
        store.set_limits(spindle::StoreLimits {
            gc_heap: 16 << 20,
            memory_size: 16 << 20,
            table_elements: 100_000,
            ..Default::default()
        });
        store.set_fuel(100_000).unwrap();
        let Ok(instance) = Linker::new(&engine).instantiate(&mut store, &module) else {
            continue;
        };
        for export in instance.exports(&store) {
            let Some(f) = export.into_func() else {
                continue;
            };
            let ty = f.ty(&store);
            let Some(args) = ty
                .params
                .iter()
                .map(|t| zero(*t))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let mut results: Vec<Val> = ty.results.iter().map(|_| Val::I32(0)).collect();
            store.set_fuel(100_000).unwrap();
            let _ = f.call(&mut store, &args, &mut results);
            store.collect_garbage();
        }
    }
});
