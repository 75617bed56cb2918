//! Differential execution against wasmtime 48 (Cranelift) for all of Wasm 3.0 that both
//! run: GC, exceptions, function references, tail calls, SIMD, memory64, multi-memory,
//! extended constants, wide arithmetic, custom page sizes. Every export is called with
//! two argument sets; results, traps, and the exported memories, globals and tables
//! after each call must agree. References compare by nullness, floats and vectors by bits
//! (NaNs canonicalised by wasm-smith).
//!
//! `SPINDLE_DETERMINISTIC=1`: both engines in their deterministic modes (Spindle's
//! `Config::deterministic`, wasmtime's NaN canonicalisation and deterministic relaxed
//! SIMD), wasm-smith's own NaN canonicalisation off and relaxed SIMD on: NaN bits and
//! relaxed SIMD results are then compared exactly.

use arbitrary::Unstructured;

/// The wasm-smith configuration: [`crate::smith_config`] (no imports, everything exported,
/// canonical NaNs) with SIMD, GC and exceptions added (relaxed SIMD and threads stay out:
/// their results may legitimately differ).
pub fn smith_all_config() -> wasm_smith::Config {
    let config = wasm_smith::Config {
        simd_enabled: true,
        gc_enabled: true,
        exceptions_enabled: true,
        ..crate::smith_config()
    };
    if deterministic() {
        return wasm_smith::Config {
            canonicalize_nans: false,
            relaxed_simd_enabled: true,
            ..config
        };
    }
    config
}

/// Whether this run compares the engines' deterministic modes (`SPINDLE_DETERMINISTIC`).
fn deterministic() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("SPINDLE_DETERMINISTIC").is_ok_and(|v| v == "1"))
}

/// A module from `u` under [`smith_all_config`], with termination ensured.
pub fn smith_all_module(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut module = wasm_smith::Module::new(smith_all_config(), u)?;
    module
        .ensure_termination(crate::SMITH_FUEL)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    Ok(module.to_bytes())
}

fn engine() -> wasmtime::Engine {
    let mut c = wasmtime::Config::new();
    c.wasm_gc(true)
        .wasm_function_references(true)
        .wasm_exceptions(true)
        .wasm_tail_call(true)
        .wasm_simd(true)
        .wasm_memory64(true)
        .wasm_multi_memory(true)
        .wasm_extended_const(true)
        .wasm_wide_arithmetic(true)
        .wasm_custom_page_sizes(true);
    if deterministic() {
        c.cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .wasm_relaxed_simd(true);
    }
    wasmtime::Engine::new(&c).expect("wasmtime's engine")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// A reference: `true` when null.
    Ref(bool),
}

fn from_spindle(v: &spindle::Val) -> V {
    match *v {
        spindle::Val::I32(x) => V::I32(x),
        spindle::Val::I64(x) => V::I64(x),
        spindle::Val::F32(x) => V::F32(x),
        spindle::Val::F64(x) => V::F64(x),
        spindle::Val::V128(x) => V::V128(x),
        spindle::Val::FuncRef(r) => V::Ref(r.is_none()),
        spindle::Val::ExternRef(r) => V::Ref(r.is_none()),
        spindle::Val::ExnRef(r) => V::Ref(r.is_none()),
        spindle::Val::AnyRef(r) => V::Ref(r.is_none()),
    }
}

fn from_wasmtime(v: &wasmtime::Val) -> V {
    match v {
        wasmtime::Val::I32(x) => V::I32(*x),
        wasmtime::Val::I64(x) => V::I64(*x),
        wasmtime::Val::F32(x) => V::F32(*x),
        wasmtime::Val::F64(x) => V::F64(*x),
        wasmtime::Val::V128(x) => V::V128(x.as_u128()),
        wasmtime::Val::FuncRef(r) => V::Ref(r.is_none()),
        wasmtime::Val::ExternRef(r) => V::Ref(r.is_none()),
        wasmtime::Val::AnyRef(r) => V::Ref(r.is_none()),
        wasmtime::Val::ExnRef(r) => V::Ref(r.is_none()),
        wasmtime::Val::ContRef(r) => V::Ref(r.is_none()),
    }
}

/// The arguments of one call (`simple`: a fixed non-zero set), or `None` when a
/// parameter is a reference that cannot be null here.
fn args(
    params: &[spindle::ValType],
    wt: &[wasmtime::ValType],
    simple: bool,
) -> Option<(Vec<spindle::Val>, Vec<wasmtime::Val>)> {
    let mut s = Vec::new();
    let mut w = Vec::new();
    for (p, q) in params.iter().zip(wt) {
        if let Some(v) = crate::number_arg(p, simple) {
            w.push(match v {
                spindle::Val::I32(x) => wasmtime::Val::I32(x),
                spindle::Val::I64(x) => wasmtime::Val::I64(x),
                spindle::Val::F32(x) => wasmtime::Val::F32(x),
                spindle::Val::F64(x) => wasmtime::Val::F64(x),
                spindle::Val::V128(x) => wasmtime::Val::V128(x.into()),
                _ => return None,
            });
            s.push(v);
            continue;
        }
        match p {
            // A nullable abstract reference: null on both sides.
            spindle::ValType::Ref(r) if r.nullable => {
                use spindle_decode::types::{AbstractHeapType as A, HeapType};
                let wasmtime::ValType::Ref(wr) = q else {
                    return None;
                };
                let HeapType::Abstract(a) = r.heap else {
                    return None;
                };
                s.push(match a {
                    A::Func | A::NoFunc => spindle::Val::FuncRef(None),
                    A::Extern | A::NoExtern => spindle::Val::ExternRef(None),
                    A::Exn | A::NoExn => spindle::Val::ExnRef(None),
                    _ => spindle::Val::AnyRef(None),
                });
                w.push(wasmtime::Val::null_ref(wr.heap_type()));
            }
            _ => return None,
        }
    }
    Some((s, w))
}

#[derive(Debug)]
enum Outcome {
    Values(Vec<V>),
    Trap(String),
}

/// Resource limits, where engines may legitimately differ (the spec leaves call depth and
/// heap sizes to the implementation).
fn exhausted(m: &str) -> bool {
    m.contains("stack")
        || m.contains("exhaust")
        || m.contains("fuel")
        || m.contains("allocation")
        || m.contains("heap limit")
        || m.contains("out of memory")
}

fn is_exhaustion(o: &Outcome) -> bool {
    matches!(o, Outcome::Trap(m) if exhausted(m))
}

/// Runs `bytes` in Spindle and wasmtime and compares; `Ok` with the calls compared when
/// they agree (or the module is outside what both take), `Err` with the first difference.
pub fn run_case_wasmtime(bytes: &[u8]) -> Result<usize, String> {
    // `SPINDLE_DISPATCH=loop` runs the portable backend, `SPINDLE_TRANSLATION=lazy`
    // translates each function on its first call: one configuration per fuzz run.
    let mut s_config = spindle::Config::new();
    s_config.features(spindle::Features::all());
    if std::env::var("SPINDLE_DISPATCH").as_deref() == Ok("loop") {
        s_config.dispatch(spindle::Dispatch::Loop);
    }
    if std::env::var("SPINDLE_TRANSLATION").as_deref() == Ok("lazy") {
        s_config.translation(spindle::Translation::Lazy);
    }
    s_config.deterministic(deterministic());
    let s_engine = spindle::Engine::new(&s_config).map_err(|e| e.to_string())?;
    let w_engine = engine();
    let s_module = spindle::Module::new(&s_engine, bytes);
    let w_module = wasmtime::Module::new(&w_engine, bytes);
    let (s_module, w_module) = match (s_module, w_module) {
        (Ok(s), Ok(w)) => (s, w),
        (Err(e), _) if format!("{e:#}").contains("not supported by the translator yet") => {
            return Ok(0)
        }
        (Err(_), Err(_)) => return Ok(0),
        (Ok(_), Err(e)) => return Err(format!("wasmtime rejects ({e:#}); Spindle accepts")),
        (Err(e), Ok(_)) => return Err(format!("Spindle rejects ({e:#}); wasmtime accepts")),
    };
    let mut s_store = spindle::Store::new(&s_engine, ());
    // wasmtime's memories and GC heap bounded too: unbounded, it grants a module's 4 GiB
    // `array.new_default` at instantiation (found by this target; Spindle's GC heap limit
    // refuses it), and the run dies out of memory instead of comparing.
    let mut w_store = wasmtime::Store::new(
        &w_engine,
        wasmtime::StoreLimitsBuilder::new()
            .memory_size(256 << 20)
            .build(),
    );
    w_store.limiter(|l| l);
    let s_inst = spindle::Linker::<()>::new(&s_engine).instantiate(&mut s_store, &s_module);
    let w_inst = wasmtime::Linker::new(&w_engine).instantiate(&mut w_store, &w_module);
    let (s_inst, w_inst) = match (s_inst, w_inst) {
        (Ok(s), Ok(w)) => (s, w),
        (Err(_), Err(_)) => return Ok(0),
        (Ok(_), Err(e)) if exhausted(&format!("{e:#}")) => return Ok(0),
        (Err(e), Ok(_)) if exhausted(&format!("{e:#}")) => return Ok(0),
        (Ok(_), Err(e)) => return Err(format!("instantiation: wasmtime fails ({e:#})")),
        (Err(e), Ok(_)) => return Err(format!("instantiation: Spindle fails ({e:#})")),
    };
    let exports: Vec<(String, spindle::Extern)> = s_inst
        .exports(&s_store)
        .map(|e| (e.name().to_string(), e.into_extern()))
        .collect();
    compare(
        &exports,
        &s_store,
        &w_inst,
        &mut w_store,
        "after instantiation",
    )?;
    let mut calls = 0;
    for (name, ext) in &exports {
        let spindle::Extern::Func(f) = ext else {
            continue;
        };
        let ty = f.ty(&s_store);
        let Some(wf) = w_inst.get_func(&mut w_store, name) else {
            return Err(format!("export {name:?}: a function in Spindle only"));
        };
        let w_ty = wf.ty(&w_store);
        let w_params: Vec<wasmtime::ValType> = w_ty.params().collect();
        for simple in [false, true] {
            let Some((s_args, w_args)) = args(&ty.params, &w_params, simple) else {
                break;
            };
            let mut s_res = vec![spindle::Val::I32(0); ty.results.len()];
            let s_out = match f.call(&mut s_store, &s_args, &mut s_res) {
                Ok(()) => Outcome::Values(s_res.iter().map(from_spindle).collect()),
                Err(e) => Outcome::Trap(format!("{e:#}")),
            };
            let mut w_res = vec![wasmtime::Val::I32(0); w_ty.results().len()];
            let w_out = match wf.call(&mut w_store, &w_args, &mut w_res) {
                Ok(()) => Outcome::Values(w_res.iter().map(from_wasmtime).collect()),
                Err(e) => Outcome::Trap(format!("{e:#}")),
            };
            let call = format!("{name:?}({s_args:?})");
            match (&s_out, &w_out) {
                _ if is_exhaustion(&s_out) || is_exhaustion(&w_out) => return Ok(calls),
                (Outcome::Values(a), Outcome::Values(b)) if a != b => {
                    return Err(format!("{call}: Spindle returns {a:?}, wasmtime {b:?}"))
                }
                (Outcome::Trap(_), Outcome::Trap(_)) | (Outcome::Values(_), Outcome::Values(_)) => {
                }
                _ => return Err(format!("{call}: Spindle {s_out:?}, wasmtime {w_out:?}")),
            }
            compare(
                &exports,
                &s_store,
                &w_inst,
                &mut w_store,
                &format!("after {call}"),
            )?;
            calls += 1;
        }
    }
    Ok(calls)
}

fn compare(
    exports: &[(String, spindle::Extern)],
    s_store: &spindle::Store<()>,
    w_inst: &wasmtime::Instance,
    w_store: &mut wasmtime::Store<wasmtime::StoreLimits>,
    when: &str,
) -> Result<(), String> {
    for (name, ext) in exports {
        match ext {
            // The generated modules have no threads (the peers run them single-threaded).
            spindle::Extern::SharedMemory(_) => {}
            spindle::Extern::Memory(m) => {
                let Some(wm) = w_inst.get_memory(&mut *w_store, name) else {
                    return Err(format!("{when}: memory {name:?} in Spindle only"));
                };
                let (a, b) = (m.data(s_store), wm.data(&*w_store));
                if a != b {
                    let first = a.iter().zip(b).position(|(x, y)| x != y);
                    return Err(format!(
                        "{when}: memory {name:?}: sizes {} vs {}, first differing byte {first:?}",
                        a.len(),
                        b.len()
                    ));
                }
            }
            spindle::Extern::Global(g) => {
                let Some(wg) = w_inst.get_global(&mut *w_store, name) else {
                    return Err(format!("{when}: global {name:?} in Spindle only"));
                };
                let (a, b) = (
                    from_spindle(&g.get(s_store)),
                    from_wasmtime(&wg.get(&mut *w_store)),
                );
                if a != b {
                    return Err(format!(
                        "{when}: global {name:?}: Spindle {a:?}, wasmtime {b:?}"
                    ));
                }
            }
            spindle::Extern::Table(t) => {
                let Some(wt) = w_inst.get_table(&mut *w_store, name) else {
                    return Err(format!("{when}: table {name:?} in Spindle only"));
                };
                if t.size(s_store) != wt.size(&*w_store) {
                    return Err(format!(
                        "{when}: table {name:?} sizes: Spindle {}, wasmtime {}",
                        t.size(s_store),
                        wt.size(&*w_store)
                    ));
                }
            }
            spindle::Extern::Func(_) | spindle::Extern::Tag(_) => {}
        }
    }
    Ok(())
}
