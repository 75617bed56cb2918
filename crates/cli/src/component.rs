//! `spindle run COMPONENT --invoke 'name(args...)'`: a component's function called with
//! arguments in the WAVE text format, its results printed in WAVE.

use std::borrow::Cow;

use spindle::component::{Component, Linker, Type, TypeKind, Val};
use spindle::{Engine, Store};
use wasm_wave::untyped::UntypedFuncCall;
use wasm_wave::value::{Type as WaveType, Value};
use wasm_wave::wasm::{WasmTypeKind, WasmValue};

/// Whether `binary` is a component (version 0x0d, layer 1), not a core module.
pub fn is_component(binary: &[u8]) -> bool {
    binary.len() >= 8 && binary[4..8] == [0x0d, 0x00, 0x01, 0x00]
}

/// The WAVE type of a component value type.
fn wave_type(t: &Type) -> Result<WaveType, String> {
    let none = || format!("no WAVE type for {t:?}");
    Ok(match t.kind() {
        TypeKind::Bool => WaveType::BOOL,
        TypeKind::S8 => WaveType::S8,
        TypeKind::U8 => WaveType::U8,
        TypeKind::S16 => WaveType::S16,
        TypeKind::U16 => WaveType::U16,
        TypeKind::S32 => WaveType::S32,
        TypeKind::U32 => WaveType::U32,
        TypeKind::S64 => WaveType::S64,
        TypeKind::U64 => WaveType::U64,
        TypeKind::F32 => WaveType::F32,
        TypeKind::F64 => WaveType::F64,
        TypeKind::Char => WaveType::CHAR,
        TypeKind::String => WaveType::STRING,
        TypeKind::List(e) => WaveType::list(wave_type(e)?),
        TypeKind::FixedList(e, n) => WaveType::fixed_length_list(wave_type(e)?, *n),
        TypeKind::Record(fields) => WaveType::record(
            fields
                .iter()
                .map(|f| Ok((f.name.as_str(), wave_type(&f.ty)?)))
                .collect::<Result<Vec<_>, String>>()?,
        )
        .ok_or_else(none)?,
        TypeKind::Tuple(ts) => WaveType::tuple(
            ts.iter()
                .map(wave_type)
                .collect::<Result<Vec<_>, String>>()?,
        )
        .ok_or_else(none)?,
        TypeKind::Variant(cases) => WaveType::variant(
            cases
                .iter()
                .map(|c| Ok((c.name.as_str(), c.ty.as_ref().map(wave_type).transpose()?)))
                .collect::<Result<Vec<_>, String>>()?,
        )
        .ok_or_else(none)?,
        TypeKind::Enum(labels) => {
            WaveType::enum_ty(labels.iter().map(|l| l.as_str())).ok_or_else(none)?
        }
        TypeKind::Option(t) => WaveType::option(wave_type(t)?),
        TypeKind::Result { ok, err } => WaveType::result(
            ok.as_ref().map(wave_type).transpose()?,
            err.as_ref().map(wave_type).transpose()?,
        ),
        TypeKind::Flags(labels) => {
            WaveType::flags(labels.iter().map(|l| l.as_str())).ok_or_else(none)?
        }
        TypeKind::Own(_) | TypeKind::Borrow(_) => return Err("resources have no WAVE text".into()),
        TypeKind::Stream(_) | TypeKind::Future(_) | TypeKind::ErrorContext => {
            return Err("streams, futures and error contexts have no WAVE text".into())
        }
    })
}

/// A WAVE value as a component value.
fn from_wave(v: &Value) -> Result<Val, String> {
    let boxed = |v: Option<Cow<'_, Value>>| -> Result<Option<Box<Val>>, String> {
        v.map(|v| from_wave(&v).map(Box::new)).transpose()
    };
    Ok(match v.kind() {
        WasmTypeKind::Bool => Val::Bool(v.unwrap_bool()),
        WasmTypeKind::S8 => Val::S8(v.unwrap_s8()),
        WasmTypeKind::U8 => Val::U8(v.unwrap_u8()),
        WasmTypeKind::S16 => Val::S16(v.unwrap_s16()),
        WasmTypeKind::U16 => Val::U16(v.unwrap_u16()),
        WasmTypeKind::S32 => Val::S32(v.unwrap_s32()),
        WasmTypeKind::U32 => Val::U32(v.unwrap_u32()),
        WasmTypeKind::S64 => Val::S64(v.unwrap_s64()),
        WasmTypeKind::U64 => Val::U64(v.unwrap_u64()),
        WasmTypeKind::F32 => Val::F32(v.unwrap_f32()),
        WasmTypeKind::F64 => Val::F64(v.unwrap_f64()),
        WasmTypeKind::Char => Val::Char(v.unwrap_char()),
        WasmTypeKind::String => Val::string(v.unwrap_string().into_owned()),
        WasmTypeKind::List | WasmTypeKind::FixedLengthList => Val::List(
            v.unwrap_list()
                .map(|e| from_wave(&e))
                .collect::<Result<_, _>>()?,
        ),
        WasmTypeKind::Record => Val::Record(
            v.unwrap_record()
                .map(|(n, e)| Ok((n.into_owned(), from_wave(&e)?)))
                .collect::<Result<_, String>>()?,
        ),
        WasmTypeKind::Tuple => Val::Tuple(
            v.unwrap_tuple()
                .map(|e| from_wave(&e))
                .collect::<Result<_, _>>()?,
        ),
        WasmTypeKind::Variant => {
            let (name, payload) = v.unwrap_variant();
            Val::Variant(name.into_owned(), boxed(payload)?)
        }
        WasmTypeKind::Enum => Val::Enum(v.unwrap_enum().into_owned()),
        WasmTypeKind::Option => Val::Option(boxed(v.unwrap_option())?),
        WasmTypeKind::Result => Val::Result(match v.unwrap_result() {
            Ok(ok) => Ok(boxed(ok)?),
            Err(err) => Err(boxed(err)?),
        }),
        WasmTypeKind::Flags => Val::Flags(v.unwrap_flags().map(|f| f.into_owned()).collect()),
        other => return Err(format!("WAVE values of kind {other:?} are not taken")),
    })
}

/// A component value of type `t` as a WAVE value.
fn to_wave(v: &Val, t: &Type) -> Result<Value, String> {
    let wt = wave_type(t)?;
    let mismatch = || format!("value {v:?} does not have type {t:?}");
    let sub = |v: &Option<Box<Val>>, t: &Option<Type>| -> Result<Option<Value>, String> {
        match (v, t) {
            (Some(v), Some(t)) => Ok(Some(to_wave(v, t)?)),
            (None, _) => Ok(None),
            (Some(_), None) => Err(mismatch()),
        }
    };
    let e = |e: wasm_wave::wasm::WasmValueError| e.to_string();
    Ok(match (v, t.kind()) {
        (Val::Bool(x), _) => Value::make_bool(*x),
        (Val::S8(x), _) => Value::make_s8(*x),
        (Val::U8(x), _) => Value::make_u8(*x),
        (Val::S16(x), _) => Value::make_s16(*x),
        (Val::U16(x), _) => Value::make_u16(*x),
        (Val::S32(x), _) => Value::make_s32(*x),
        (Val::U32(x), _) => Value::make_u32(*x),
        (Val::S64(x), _) => Value::make_s64(*x),
        (Val::U64(x), _) => Value::make_u64(*x),
        (Val::F32(x), _) => Value::make_f32(*x),
        (Val::F64(x), _) => Value::make_f64(*x),
        (Val::Char(x), _) => Value::make_char(*x),
        (Val::String(s), _) => Value::make_string(Cow::Borrowed(s.as_str())),
        (Val::List(items), TypeKind::List(et) | TypeKind::FixedList(et, _)) => Value::make_list(
            &wt,
            items
                .iter()
                .map(|i| to_wave(i, et))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .map_err(e)?,
        (Val::Record(fields), TypeKind::Record(tys)) => Value::make_record(
            &wt,
            fields
                .iter()
                .zip(tys.iter())
                .map(|((n, v), f)| Ok((n.as_str(), to_wave(v, &f.ty)?)))
                .collect::<Result<Vec<_>, String>>()?,
        )
        .map_err(e)?,
        (Val::Tuple(items), TypeKind::Tuple(tys)) => Value::make_tuple(
            &wt,
            items
                .iter()
                .zip(tys.iter())
                .map(|(v, t)| to_wave(v, t))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .map_err(e)?,
        (Val::Variant(name, payload), TypeKind::Variant(cases)) => {
            let case = cases
                .iter()
                .find(|c| &c.name == name)
                .ok_or_else(mismatch)?;
            Value::make_variant(&wt, name, sub(payload, &case.ty)?).map_err(e)?
        }
        (Val::Enum(name), _) => Value::make_enum(&wt, name).map_err(e)?,
        (Val::Option(o), TypeKind::Option(t)) => {
            Value::make_option(&wt, sub(o, &Some(t.clone()))?).map_err(e)?
        }
        (Val::Result(r), TypeKind::Result { ok, err }) => Value::make_result(
            &wt,
            match r {
                Ok(v) => Ok(sub(v, ok)?),
                Err(v) => Err(sub(v, err)?),
            },
        )
        .map_err(e)?,
        (Val::Flags(f), _) => Value::make_flags(&wt, f.iter().map(|s| s.as_str())).map_err(e)?,
        _ => return Err(mismatch()),
    })
}

/// The store data of a component run: WASI 0.2 and the limits.
struct ComponentState {
    ctx: spindle_wasi::WasiCtx,
    table: spindle::component::ResourceTable,
    limits: spindle::StoreLimits,
}

impl spindle_wasi::WasiView for ComponentState {
    fn ctx(&mut self) -> spindle_wasi::WasiCtxView<'_> {
        spindle_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Runs a component with WASI 0.2 linked: a command's `wasi:cli/run` (its failure or
/// `exit` status is the process's), or with `--invoke`, the function it names with its
/// arguments (results printed in WAVE). `Ok(false)` when it traps or cannot run.
pub fn run(file: &str, binary: &[u8], options: &crate::RunOptions) -> Result<bool, String> {
    let mut config = spindle::Config::new();
    config
        .translation(options.translation)
        .parallel_compilation(options.parallel_compilation)
        .consume_fuel(options.fuel.is_some())
        .epoch_interruption(options.timeout.is_some());
    let engine = Engine::new(&config).map_err(|e| e.to_string())?;
    let component = Component::new(&engine, binary).map_err(|e| format!("{file}: {e}"))?;
    let builder = crate::wasi_builder(options).map_err(|crate::Fatal(m)| m)?;
    let mut store = Store::new(
        &engine,
        ComponentState {
            ctx: { builder }.build(),
            table: spindle::component::ResourceTable::new(),
            limits: crate::limits(options),
        },
    );
    crate::apply_limits(&mut store, &engine, options, |t| &mut t.limits)
        .map_err(|crate::Fatal(m)| m)?;
    let mut linker = Linker::new(&engine);
    spindle_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(|e| format!("cannot define WASI: {e}"))?;
    let instance = match linker.instantiate(&mut store, &component) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{file}: {e:#}");
            return Ok(false);
        }
    };
    let Some(call) = options.invoke.as_deref() else {
        return run_command(file, &mut store, &instance);
    };
    let parsed = UntypedFuncCall::parse(call).map_err(|e| format!("--invoke: {e}"))?;
    // A root export, or a function of an exported interface.
    let name = parsed.name();
    let func = instance.get_func(&mut store, name).or_else(|| {
        instance
            .export_names(&store)
            .iter()
            .filter_map(|iface| instance.get_export_index(&mut store, None, iface))
            .collect::<Vec<_>>()
            .into_iter()
            .find_map(|iface| {
                let f = instance.get_export_index(&mut store, Some(&iface), name)?;
                instance.get_func(&mut store, f)
            })
    });
    let func = func.ok_or_else(|| format!("{file} exports no function `{name}`"))?;
    let ty = func.ty(&mut store);
    let param_types = ty
        .params()
        .iter()
        .map(|(_, t)| wave_type(t))
        .collect::<Result<Vec<_>, _>>()?;
    let args: Vec<Value> = parsed
        .to_wasm_params(&param_types)
        .map_err(|e| format!("--invoke: {e}"))?;
    let args = args.iter().map(from_wave).collect::<Result<Vec<_>, _>>()?;
    let mut results = vec![Val::Bool(false); ty.results().len()];
    if let Err(e) = func.call(&mut store, &args, &mut results) {
        return exit_or_report(file, &e);
    }
    for (v, t) in results.iter().zip(ty.results()) {
        let w = to_wave(v, t)?;
        println!("{}", wasm_wave::to_string(&w).map_err(|e| e.to_string())?);
    }
    Ok(true)
}

/// Calls a command's `wasi:cli/run` (any 0.2.x version it exports).
fn run_command(
    file: &str,
    store: &mut Store<ComponentState>,
    instance: &spindle::component::Instance,
) -> Result<bool, String> {
    let iface = instance
        .export_names(&*store)
        .into_iter()
        .find(|n| n.starts_with("wasi:cli/run@0.2."))
        .ok_or_else(|| {
            format!(
                "{file} is a component but not a WASI command (it exports no `wasi:cli/run`): \
                 say what to call with --invoke 'name(args...)'"
            )
        })?;
    let run = instance
        .get_export_index(&mut *store, None, &iface)
        .and_then(|i| instance.get_export_index(&mut *store, Some(&i), "run"))
        .and_then(|f| instance.get_func(&mut *store, f))
        .ok_or_else(|| format!("{file}: `{iface}` has no function `run`"))?;
    let mut results = [Val::Bool(false)];
    match run.call(&mut *store, &[], &mut results) {
        Ok(()) => match &results[0] {
            Val::Result(Ok(_)) => Ok(true),
            _ => exit(1),
        },
        Err(e) => exit_or_report(file, &e),
    }
}

/// The guest called `exit`: its status becomes the process's. Otherwise the error is
/// reported and the run failed.
fn exit_or_report(file: &str, e: &spindle::Error) -> Result<bool, String> {
    match e.downcast_ref::<spindle::I32Exit>() {
        Some(spindle::I32Exit(0)) => Ok(true),
        Some(spindle::I32Exit(code)) => exit(*code),
        None => {
            eprintln!("{file}: {e:#}");
            Ok(false)
        }
    }
}

fn exit(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}
