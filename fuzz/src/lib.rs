//! Differential execution: run a wasm-smith module in Spindle and in wasmi, and compare what
//! every exported function returns (or whether it traps) and, after each call, the exported
//! memories and globals.
//!
//! The fuzz target `exec_diff` and the seeded `#[test]` below both call [`run_case`].

use arbitrary::Unstructured;

#[cfg(feature = "wasmtime")]
pub mod wasmtime_diff;

/// Initial value of the fuel global that wasm-smith's `ensure_termination` adds: every loop
/// iteration and function entry costs one unit, and running dry traps (`unreachable`).
pub const SMITH_FUEL: u32 = 2_000;

/// The wasm-smith configuration for what both engines execute: WebAssembly 2.0 without SIMD,
/// plus tail calls, extended constants, up to two small memories (32- or 64-bit, custom page
/// sizes) and wide arithmetic; no imports, everything exported, canonical NaNs.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        tail_call_enabled: true,
        memory64_enabled: true,
        wide_arithmetic_enabled: true,
        custom_page_sizes_enabled: true,
        custom_descriptors_enabled: false,
        extended_const_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        max_memories: 2,
        max_memory32_bytes: 4 * 65_536,
        max_memory64_bytes: 4 * 65_536,
        // A declared maximum keeps `memory.grow` from asking for gigabytes.
        memory_max_size_required: true,
        table_max_size_required: true,
        max_table_elements: 1_000,
        max_imports: 0,
        max_funcs: 20,
        max_instructions: 200,
        export_everything: true,
        canonicalize_nans: true,
        ..wasm_smith::Config::default()
    }
}

/// wasmi with the proposals of [`smith_config`] on (some are off by default).
fn wasmi_engine() -> wasmi::Engine {
    let mut config = wasmi::Config::default();
    config
        .wasm_tail_call(true)
        .wasm_extended_const(true)
        .wasm_multi_memory(true)
        .wasm_memory64(true)
        .wasm_custom_page_sizes(true)
        .wasm_wide_arithmetic(true);
    wasmi::Engine::new(&config)
}

/// A module from `u` under [`smith_config`], with termination ensured.
pub fn smith_exec_module(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut module = wasm_smith::Module::new(smith_config(), u)?;
    module
        .ensure_termination(SMITH_FUEL)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    Ok(module.to_bytes())
}

/// A value both engines agree on the meaning of: floats by bits, references by nullness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// A reference: `true` when null.
    Ref(bool),
    Other,
}

fn from_spindle(v: &spindle::Val) -> V {
    match *v {
        spindle::Val::I32(x) => V::I32(x),
        spindle::Val::I64(x) => V::I64(x),
        spindle::Val::F32(x) => V::F32(x),
        spindle::Val::F64(x) => V::F64(x),
        spindle::Val::FuncRef(r) => V::Ref(r.is_none()),
        spindle::Val::ExternRef(r) => V::Ref(r.is_none()),
        spindle::Val::ExnRef(r) => V::Ref(r.is_none()),
        spindle::Val::AnyRef(r) => V::Ref(r.is_none()),
        spindle::Val::V128(_) => V::Other,
    }
}

fn from_wasmi(v: &wasmi::Val) -> V {
    match v {
        wasmi::Val::I32(x) => V::I32(*x),
        wasmi::Val::I64(x) => V::I64(*x),
        wasmi::Val::F32(x) => V::F32(x.to_bits()),
        wasmi::Val::F64(x) => V::F64(x.to_bits()),
        wasmi::Val::FuncRef(r) => V::Ref(r.is_null()),
        wasmi::Val::ExternRef(r) => V::Ref(r.is_null()),
        _ => V::Other,
    }
}

/// The argument of value type `p` for a call, if it is a number or a vector: `simple`
/// picks a fixed non-zero value, else zero. Both differential targets start from it.
pub(crate) fn number_arg(p: &spindle::ValType, simple: bool) -> Option<spindle::Val> {
    Some(match p {
        spindle::ValType::I32 => spindle::Val::I32(if simple { 1 } else { 0 }),
        spindle::ValType::I64 => spindle::Val::I64(if simple { -1 } else { 0 }),
        spindle::ValType::F32 => spindle::Val::F32(if simple { 1.5f32 } else { 0.0 }.to_bits()),
        spindle::ValType::F64 => spindle::Val::F64(if simple { -2.25f64 } else { 0.0 }.to_bits()),
        spindle::ValType::V128 => spindle::Val::V128(if simple {
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210
        } else {
            0
        }),
        spindle::ValType::Ref(_) => return None,
    })
}

/// The arguments of one call, by value type: `simple` picks zeros or a fixed non-zero set.
fn args(params: &[spindle::ValType], simple: bool) -> Option<(Vec<spindle::Val>, Vec<wasmi::Val>)> {
    let mut s = Vec::new();
    let mut w = Vec::new();
    for p in params {
        let v = number_arg(p, simple)?;
        w.push(match v {
            spindle::Val::I32(x) => wasmi::Val::I32(x),
            spindle::Val::I64(x) => wasmi::Val::I64(x),
            spindle::Val::F32(x) => wasmi::Val::F32(f32::from_bits(x).into()),
            spindle::Val::F64(x) => wasmi::Val::F64(f64::from_bits(x).into()),
            _ => return None,
        });
        s.push(v);
    }
    Some((s, w))
}

fn wasmi_default(ty: &wasmi::ValType) -> wasmi::Val {
    wasmi::Val::default_for_ty(*ty)
}

/// How one side's call ended.
#[derive(Debug)]
enum Outcome {
    Values(Vec<V>),
    Trap(String),
}

/// Traps that are resource limits, where engines may legitimately differ (the spec leaves
/// call depth to the implementation).
fn is_exhaustion(o: &Outcome) -> bool {
    matches!(o, Outcome::Trap(m) if m.contains("stack") || m.contains("exhaust") || m.contains("fuel"))
}

/// Run `bytes` in both engines and compare. `Ok` when they agree (or the module is outside
/// what the comparison covers) with the number of calls compared; `Err` describes the first
/// disagreement.
pub fn run_case(bytes: &[u8]) -> Result<usize, String> {
    // `SPINDLE_DISPATCH=loop` fuzzes the portable backend (the default is the threaded one
    // where it is compiled in: build with `cargo fuzz run -O`, without debug assertions).
    let dispatch = match std::env::var("SPINDLE_DISPATCH").as_deref() {
        Ok("loop") => spindle::Dispatch::Loop,
        _ => spindle::Dispatch::Threaded,
    };
    // Every proposal on: custom page sizes is not part of Wasm 3.0.
    let mut s_config = spindle::Config::new();
    s_config
        .dispatch(dispatch)
        .features(spindle::Features::all());
    let s_engine = match spindle::Engine::new(&s_config) {
        Ok(e) => e,
        Err(e) => return Err(format!("Spindle's engine: {e}")),
    };
    let s_module = match spindle::Module::new(&s_engine, bytes) {
        Ok(m) => Some(m),
        Err(e) if format!("{e:#}").contains("not supported by the translator yet") => return Ok(0),
        Err(e) => {
            if wasmi::Module::new(&wasmi_engine(), bytes).is_ok() {
                return Err(format!(
                    "Spindle rejects the module ({e}); wasmi accepts it"
                ));
            }
            None
        }
    };
    let w_engine = wasmi_engine();
    let w_module = match wasmi::Module::new(&w_engine, bytes) {
        Ok(m) => m,
        Err(e) => {
            return match s_module {
                Some(_) => Err(format!(
                    "wasmi rejects the module ({e}); Spindle accepts it"
                )),
                None => Ok(0),
            }
        }
    };
    let Some(s_module) = s_module else {
        return Ok(0);
    };

    let mut s_store = spindle::Store::new(&s_engine, ());
    let mut w_store = wasmi::Store::new(&w_engine, ());
    let s_inst = spindle::Linker::<()>::new(&s_engine).instantiate(&mut s_store, &s_module);
    let w_inst = wasmi::Linker::<()>::new(&w_engine).instantiate_and_start(&mut w_store, &w_module);
    let (s_inst, w_inst) = match (s_inst, w_inst) {
        (Ok(s), Ok(w)) => (s, w),
        (Err(_), Err(_)) => return Ok(0),
        (Ok(_), Err(e)) => {
            return Err(format!(
                "instantiation: Spindle succeeds, wasmi fails ({e})"
            ))
        }
        (Err(e), Ok(_)) => {
            return Err(format!(
                "instantiation: Spindle fails ({e}), wasmi succeeds"
            ))
        }
    };

    let exports: Vec<(String, spindle::Extern)> = s_inst
        .exports(&s_store)
        .map(|e| (e.name().to_string(), e.into_extern()))
        .collect();
    compare_state(&exports, &s_store, &w_inst, &w_store, "after instantiation")?;
    let mut calls = 0;
    for (name, ext) in &exports {
        let spindle::Extern::Func(f) = ext else {
            continue;
        };
        let ty = f.ty(&s_store);
        let Some(wf) = w_inst.get_func(&w_store, name) else {
            return Err(format!("export {name:?}: a function in Spindle only"));
        };
        for simple in [false, true] {
            let Some((s_args, w_args)) = args(&ty.params, simple) else {
                break;
            };
            let mut s_res: Vec<spindle::Val> = vec![spindle::Val::I32(0); ty.results.len()];
            let s_out = match f.call(&mut s_store, &s_args, &mut s_res) {
                Ok(()) => Outcome::Values(s_res.iter().map(from_spindle).collect()),
                Err(e) => match e.downcast_ref::<spindle::Trap>() {
                    Some(code) => Outcome::Trap(code.message().to_string()),
                    None => Outcome::Trap(format!("non-trap error: {e}")),
                },
            };
            let w_ty = wf.ty(&w_store);
            let mut w_res: Vec<wasmi::Val> = w_ty.results().iter().map(wasmi_default).collect();
            let w_out = match wf.call(&mut w_store, &w_args, &mut w_res) {
                Ok(()) => Outcome::Values(w_res.iter().map(from_wasmi).collect()),
                Err(e) => Outcome::Trap(match e.as_trap_code() {
                    Some(c) => format!("{c:?}: {e}"),
                    None => format!("non-trap error: {e}"),
                }),
            };
            let call = format!("{name:?}({:?})", s_args);
            match (&s_out, &w_out) {
                _ if is_exhaustion(&s_out) || is_exhaustion(&w_out) => {
                    // Resource exhaustion may differ; later state is no longer comparable.
                    return Ok(calls);
                }
                (Outcome::Values(a), Outcome::Values(b)) if a != b => {
                    return Err(format!("{call}: Spindle returns {a:?}, wasmi {b:?}"));
                }
                (Outcome::Trap(_), Outcome::Trap(_)) | (Outcome::Values(_), Outcome::Values(_)) => {
                }
                _ => return Err(format!("{call}: Spindle {s_out:?}, wasmi {w_out:?}")),
            }
            compare_state(
                &exports,
                &s_store,
                &w_inst,
                &w_store,
                &format!("after {call}"),
            )?;
            calls += 1;
        }
    }
    Ok(calls)
}

fn compare_state(
    exports: &[(String, spindle::Extern)],
    s_store: &spindle::Store<()>,
    w_inst: &wasmi::Instance,
    w_store: &wasmi::Store<()>,
    when: &str,
) -> Result<(), String> {
    for (name, ext) in exports {
        match ext {
            // The generated modules have no threads (the peers run them single-threaded).
            spindle::Extern::SharedMemory(_) => {}
            spindle::Extern::Memory(m) => {
                let Some(wm) = w_inst.get_memory(w_store, name) else {
                    return Err(format!("{when}: memory {name:?} in Spindle only"));
                };
                let (a, b) = (m.data(s_store), wm.data(w_store));
                if a != b {
                    let first = a.iter().zip(b).position(|(x, y)| x != y);
                    return Err(format!(
                        "{when}: memory {name:?} differs: sizes {} vs {}, first differing byte {first:?}",
                        a.len(),
                        b.len()
                    ));
                }
            }
            spindle::Extern::Global(g) => {
                let Some(wg) = w_inst.get_global(w_store, name) else {
                    return Err(format!("{when}: global {name:?} in Spindle only"));
                };
                let (a, b) = (from_spindle(&g.get(s_store)), from_wasmi(&wg.get(w_store)));
                if a != b {
                    return Err(format!(
                        "{when}: global {name:?}: Spindle {a:?}, wasmi {b:?}"
                    ));
                }
            }
            spindle::Extern::Table(t) => {
                let Some(wt) = w_inst.get_table(w_store, name) else {
                    return Err(format!("{when}: table {name:?} in Spindle only"));
                };
                if t.size(s_store) != wt.size(w_store) {
                    return Err(format!(
                        "{when}: table {name:?} sizes: Spindle {}, wasmi {}",
                        t.size(s_store),
                        wt.size(w_store)
                    ));
                }
            }
            spindle::Extern::Func(_) | spindle::Extern::Tag(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator for seeded inputs.
    fn bytes_for(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn seeded_exec_diff() {
        let cases: u64 = std::env::var("SPINDLE_EXEC_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let mut failures = Vec::new();
        let mut calls = 0;
        for seed in 0..cases {
            let data = bytes_for(seed, 4096);
            let mut u = Unstructured::new(&data);
            let Ok(bytes) = smith_exec_module(&mut u) else {
                continue;
            };
            match run_case(&bytes) {
                Ok(n) => calls += n,
                Err(e) => failures.push(format!("seed {seed}: {e}")),
            }
        }
        eprintln!("{cases} cases, {calls} calls compared");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
