//! One adapter per runtime: load the module, instantiate it with no imports, find `run`,
//! and hand `body` a closure that calls it. Each uses the runtime's typed call where it has
//! one. Errors become strings (the table prints them).

#![allow(dead_code, unused_imports)]

use crate::RunFn;
use std::fmt::Display;

fn err(e: impl Display) -> String {
    e.to_string()
}

/// Spindle's embedding API (`crates/spindle`), its default `Config` changed by `configure`:
/// lazy translation (each function translated on its first call), the portable loop
/// backend, or epoch checks (`Config::epoch_interruption`: the engine checks the epoch at
/// every function entry and loop iteration, here with a deadline never reached, to
/// measure what the checks cost).
#[cfg(feature = "spindle")]
pub(crate) fn spindle(
    wasm: &[u8],
    configure: impl FnOnce(&mut spindle::Config),
    body: &mut dyn FnMut(&mut RunFn<'_>),
) -> Result<(), String> {
    let mut config = spindle::Config::new();
    configure(&mut config);
    let epoch = config.epoch_enabled();
    let engine = spindle::Engine::new(&config).map_err(err)?;
    let module = spindle::Module::new(&engine, wasm).map_err(err)?;
    let mut store = spindle::Store::new(&engine, ());
    if epoch {
        store.set_epoch_deadline(u64::MAX / 2);
    }
    let linker = spindle::Linker::<()>::new(&engine);
    let instance = linker.instantiate(&mut store, &module).map_err(err)?;
    let run = instance.get_func(&store, "run").ok_or("no export `run`")?;
    let mut results = [spindle::Val::I32(0)];
    body(&mut |n| {
        run.call(&mut store, &[spindle::Val::I32(n)], &mut results)
            .map_err(err)?;
        match results[0] {
            spindle::Val::I32(v) => Ok(v),
            ref other => Err(format!("run returned {other:?}")),
        }
    });
    Ok(())
}

/// wasmi 2.x; `eager` picks `CompilationMode::Eager`, else its default `LazyTranslation`.
#[cfg(feature = "wasmi")]
pub(crate) fn wasmi(
    wasm: &[u8],
    eager: bool,
    body: &mut dyn FnMut(&mut RunFn<'_>),
) -> Result<(), String> {
    use wasmi::{CompilationMode, Config, Engine, Linker, Module, Store};
    let mut config = Config::default();
    config.compilation_mode(if eager {
        CompilationMode::Eager
    } else {
        CompilationMode::LazyTranslation
    });
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).map_err(err)?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(err)?;
    let run = instance
        .get_typed_func::<i32, i32>(&store, "run")
        .map_err(err)?;
    body(&mut |n| run.call(&mut store, n).map_err(err));
    Ok(())
}

/// makepad-stitch 0.1.0 (untyped calls only).
#[cfg(feature = "stitch")]
pub(crate) fn stitch(wasm: &[u8], body: &mut dyn FnMut(&mut RunFn<'_>)) -> Result<(), String> {
    use makepad_stitch::{Engine, Linker, Module, Store, Val};
    let engine = Engine::new();
    let module = Module::new(&engine, wasm).map_err(err)?;
    let mut store = Store::new(engine);
    let linker = Linker::new();
    let instance = linker.instantiate(&mut store, &module).map_err(err)?;
    let run = instance.exported_func("run").ok_or("no export `run`")?;
    let mut results = [Val::I32(0)];
    body(&mut |n| {
        run.call(&mut store, &[Val::I32(n)], &mut results)
            .map_err(err)?;
        match results[0] {
            Val::I32(v) => Ok(v),
            _ => Err("run returned a non-i32".into()),
        }
    });
    Ok(())
}

/// wasm3 0.3.1: a value stack of 128 Ki slots (1 MiB).
#[cfg(feature = "wasm3")]
pub(crate) fn wasm3(wasm: &[u8], body: &mut dyn FnMut(&mut RunFn<'_>)) -> Result<(), String> {
    let env = wasm3::Environment::new().map_err(err)?;
    let runtime = env.create_runtime(128 * 1024).map_err(err)?;
    runtime.parse_and_load_module(wasm.to_vec()).map_err(err)?;
    let run = runtime.find_function::<i32, i32>("run").map_err(err)?;
    body(&mut |n| run.call(n).map_err(err));
    Ok(())
}

/// tinywasm 0.10 (default engine settings).
#[cfg(feature = "tinywasm")]
pub(crate) fn tinywasm(wasm: &[u8], body: &mut dyn FnMut(&mut RunFn<'_>)) -> Result<(), String> {
    use tinywasm::{ModuleInstance, Store};
    let module = tinywasm::parse_bytes(wasm).map_err(err)?;
    let mut store = Store::default();
    let instance = ModuleInstance::instantiate(&mut store, &module, None).map_err(err)?;
    let run = instance.func::<i32, i32>(&store, "run").map_err(err)?;
    body(&mut |n| run.call(&mut store, n).map_err(err));
    Ok(())
}

/// wasmtime 48: `pulley` targets its Pulley interpreter (`pulley64`), else Cranelift
/// compiles native code for the host.
#[cfg(feature = "wasmtime")]
pub(crate) fn wasmtime(
    wasm: &[u8],
    pulley: bool,
    body: &mut dyn FnMut(&mut RunFn<'_>),
) -> Result<(), String> {
    use wasmtime::{Config, Engine, Instance, Module, Store};
    let mut config = Config::new();
    // Exception handling (the `exceptions` workload) needs wasmtime's GC support.
    config.wasm_exceptions(true);
    config.wasm_function_references(true);
    config.wasm_gc(true);
    if pulley {
        config.target("pulley64").map_err(err)?;
    }
    let engine = Engine::new(&config).map_err(err)?;
    let module = Module::new(&engine, wasm).map_err(err)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).map_err(err)?;
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .map_err(err)?;
    body(&mut |n| run.call(&mut store, n).map_err(err));
    Ok(())
}
