//! Raw bytes as a component, run: what Spindle validates, it instantiates (with fuel and no
//! imports) and calls, each exported function with values made from its type. Nothing
//! may panic, abort or hang: every failure is an error returned to the host, and the store
//! stays usable for the next call.
//!
//! Inputs get the component preamble prepended when they lack one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spindle::component::{Component, Linker, Type, TypeKind, Val};
use spindle::{Config, Engine, Store};

const PREAMBLE: &[u8] = b"\0asm\x0d\x00\x01\x00";

/// A value of type `t` (the first case, empty lists, zeros), or `None` for resources.
fn value_of(t: &Type) -> Option<Val> {
    Some(match t.kind() {
        TypeKind::Bool => Val::Bool(true),
        TypeKind::S8 => Val::S8(-1),
        TypeKind::U8 => Val::U8(1),
        TypeKind::S16 => Val::S16(-1),
        TypeKind::U16 => Val::U16(1),
        TypeKind::S32 => Val::S32(-1),
        TypeKind::U32 => Val::U32(1),
        TypeKind::S64 => Val::S64(-1),
        TypeKind::U64 => Val::U64(1),
        TypeKind::F32 => Val::F32(1.5),
        TypeKind::F64 => Val::F64(-0.5),
        TypeKind::Char => Val::Char('é'),
        TypeKind::String => Val::string("fuzz ✓"),
        TypeKind::List(_) => Val::List(Vec::new()),
        TypeKind::FixedList(e, n) if *n <= 64 => {
            Val::List((0..*n).map(|_| value_of(e)).collect::<Option<_>>()?)
        }
        TypeKind::FixedList(..) => return None,
        TypeKind::Record(fields) => Val::Record(
            fields
                .iter()
                .map(|f| Some((f.name.clone(), value_of(&f.ty)?)))
                .collect::<Option<_>>()?,
        ),
        TypeKind::Tuple(ts) => Val::Tuple(ts.iter().map(value_of).collect::<Option<_>>()?),
        TypeKind::Variant(cases) => {
            let c = &cases[0];
            let payload = match &c.ty {
                Some(t) => Some(Box::new(value_of(t)?)),
                None => None,
            };
            Val::Variant(c.name.clone(), payload)
        }
        TypeKind::Enum(labels) => Val::Enum(labels[0].clone()),
        TypeKind::Option(_) => Val::Option(None),
        TypeKind::Result { .. } => Val::Result(Ok(None)),
        TypeKind::Flags(labels) => Val::Flags(labels.iter().take(1).cloned().collect()),
        TypeKind::Own(_)
        | TypeKind::Borrow(_)
        | TypeKind::Stream(_)
        | TypeKind::Future(_)
        | TypeKind::ErrorContext => return None,
    })
}

fuzz_target!(|data: &[u8]| {
    let owned;
    let bytes = if data.starts_with(b"\0asm") {
        data
    } else {
        owned = [PREAMBLE, data].concat();
        &owned[..]
    };
    let engine = Engine::new(Config::new().consume_fuel(true)).unwrap();
    let Ok(component) = Component::new(&engine, bytes) else {
        return;
    };
    let mut store = Store::new(&engine, ());
    store.set_fuel(100_000).unwrap();
    let Ok(instance) = Linker::new(&engine).instantiate(&mut store, &component) else {
        return;
    };
    for name in instance.export_names(&store) {
        let Some(func) = instance.get_func(&mut store, name.as_str()) else {
            continue;
        };
        let ty = func.ty(&mut store);
        let Some(args) = ty
            .params()
            .iter()
            .map(|(_, t)| value_of(t))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        store.set_fuel(100_000).unwrap();
        let mut results = vec![Val::Bool(false); ty.results().len()];
        let _ = func.call(&mut store, &args, &mut results);
    }
});
