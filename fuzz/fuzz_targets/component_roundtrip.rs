//! Canonical ABI round trips, Spindle against wasmtime 48: a generated value type (every
//! kind, depth 4) and value (`testkit::component_echo`), an echo component for it (alone
//! in one of three string encodings, or behind a forwarding component in another: guest to
//! guest), and sometimes a result pointer the spec rejects. Both runtimes must agree: the
//! same value back, or both trap.
//!
//! `cargo fuzz run -s none component_roundtrip --features wasmtime` (wasmtime builds only
//! with that feature; it never enters `cargo test`).

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use spindle_testkit::component_echo::{
    arbitrary_ty, arbitrary_value, composed_text, echo_text_answering, flat_count, Answer,
    Value, ENCODINGS,
};

/// A value as both runtimes can be compared on: labels as names, floats as bits.
#[derive(Debug)]
enum N {
    B(bool),
    I(i128),
    F32(u32),
    F64(u64),
    C(char),
    S(String),
    L(Vec<N>),
    Rec(Vec<(String, N)>),
    Tup(Vec<N>),
    Var(String, Option<Box<N>>),
    En(String),
    Opt(Option<Box<N>>),
    Res(Result<Option<Box<N>>, Option<Box<N>>>),
    Fl(Vec<String>),
}

impl PartialEq for N {
    fn eq(&self, o: &N) -> bool {
        use N::*;
        match (self, o) {
            (B(a), B(b)) => a == b,
            (I(a), I(b)) => a == b,
            (F32(a), F32(b)) => a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan()),
            (F64(a), F64(b)) => a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan()),
            (C(a), C(b)) => a == b,
            (S(a), S(b)) => a == b,
            (L(a), L(b)) | (Tup(a), Tup(b)) => a == b,
            (Rec(a), Rec(b)) => a == b,
            (Var(a, x), Var(b, y)) => a == b && x == y,
            (En(a), En(b)) => a == b,
            (Opt(a), Opt(b)) => a == b,
            (Res(a), Res(b)) => a == b,
            (Fl(a), Fl(b)) => a == b,
            _ => false,
        }
    }
}

fn from_spindle(v: &spindle::component::Val) -> N {
    use spindle::component::Val as V;
    let b = |v: &Option<Box<V>>| v.as_deref().map(|v| Box::new(from_spindle(v)));
    match v {
        V::Bool(x) => N::B(*x),
        V::S8(x) => N::I((*x).into()),
        V::U8(x) => N::I((*x).into()),
        V::S16(x) => N::I((*x).into()),
        V::U16(x) => N::I((*x).into()),
        V::S32(x) => N::I((*x).into()),
        V::U32(x) => N::I((*x).into()),
        V::S64(x) => N::I((*x).into()),
        V::U64(x) => N::I((*x).into()),
        V::F32(x) => N::F32(x.to_bits()),
        V::F64(x) => N::F64(x.to_bits()),
        V::Char(c) => N::C(*c),
        V::String(s) => N::S(s.to_string()),
        V::List(vs) => N::L(vs.iter().map(from_spindle).collect()),
        V::Record(fs) => N::Rec(fs.iter().map(|(n, v)| (n.clone(), from_spindle(v))).collect()),
        V::Tuple(vs) => N::Tup(vs.iter().map(from_spindle).collect()),
        V::Variant(n, p) => N::Var(n.clone(), b(p)),
        V::Enum(n) => N::En(n.clone()),
        V::Option(o) => N::Opt(b(o)),
        V::Result(Ok(x)) => N::Res(Ok(b(x))),
        V::Result(Err(x)) => N::Res(Err(b(x))),
        V::Flags(fs) => N::Fl(fs.clone()),
        V::Own(_) | V::Borrow(_) => unreachable!("no handles are generated"),
    }
}

fn from_wasmtime(v: &wasmtime::component::Val) -> N {
    use wasmtime::component::Val as V;
    let b = |v: &Option<Box<V>>| v.as_deref().map(|v| Box::new(from_wasmtime(v)));
    match v {
        V::Bool(x) => N::B(*x),
        V::S8(x) => N::I((*x).into()),
        V::U8(x) => N::I((*x).into()),
        V::S16(x) => N::I((*x).into()),
        V::U16(x) => N::I((*x).into()),
        V::S32(x) => N::I((*x).into()),
        V::U32(x) => N::I((*x).into()),
        V::S64(x) => N::I((*x).into()),
        V::U64(x) => N::I((*x).into()),
        V::Float32(x) => N::F32(x.to_bits()),
        V::Float64(x) => N::F64(x.to_bits()),
        V::Char(c) => N::C(*c),
        V::String(s) => N::S(s.clone()),
        V::List(vs) => N::L(vs.iter().map(from_wasmtime).collect()),
        V::Record(fs) => N::Rec(fs.iter().map(|(n, v)| (n.clone(), from_wasmtime(v))).collect()),
        V::Tuple(vs) => N::Tup(vs.iter().map(from_wasmtime).collect()),
        V::Variant(n, p) => N::Var(n.clone(), b(p)),
        V::Enum(n) => N::En(n.clone()),
        V::Option(o) => N::Opt(b(o)),
        V::Result(Ok(x)) => N::Res(Ok(b(x))),
        V::Result(Err(x)) => N::Res(Err(b(x))),
        V::Flags(fs) => N::Fl(fs.clone()),
        other => unreachable!("not generated: {other:?}"),
    }
}

macro_rules! convert {
    ($name:ident, $V:path, $f32:ident, $f64:ident, $string:expr) => {
        fn $name(v: &Value) -> $V {
            use $V as V;
            let b = |v: &Option<Box<Value>>| v.as_deref().map(|v| Box::new($name(v)));
            match v {
                Value::Bool(x) => V::Bool(*x),
                Value::S8(x) => V::S8(*x),
                Value::U8(x) => V::U8(*x),
                Value::S16(x) => V::S16(*x),
                Value::U16(x) => V::U16(*x),
                Value::S32(x) => V::S32(*x),
                Value::U32(x) => V::U32(*x),
                Value::S64(x) => V::S64(*x),
                Value::U64(x) => V::U64(*x),
                Value::F32(x) => V::$f32(f32::from_bits(*x)),
                Value::F64(x) => V::$f64(f64::from_bits(*x)),
                Value::Char(c) => V::Char(*c),
                Value::String(s) => $string(s),
                Value::List(vs) => V::List(vs.iter().map($name).collect()),
                Value::Record(vs) => V::Record(
                    vs.iter().enumerate().map(|(i, v)| (format!("a{i}"), $name(v))).collect(),
                ),
                Value::Tuple(vs) => V::Tuple(vs.iter().map($name).collect()),
                Value::Variant(i, p) => V::Variant(format!("c{i}"), b(p)),
                Value::Enum(i) => V::Enum(format!("e{i}")),
                Value::Option(o) => V::Option(b(o)),
                Value::Result(Ok(x)) => V::Result(Ok(b(x))),
                Value::Result(Err(x)) => V::Result(Err(b(x))),
                Value::Flags(set) => V::Flags(
                    set.iter()
                        .enumerate()
                        .filter(|(_, on)| **on)
                        .map(|(i, _)| format!("f{i}"))
                        .collect(),
                ),
            }
        }
    };
}

convert!(to_spindle, spindle::component::Val, F32, F64, |s: &String| {
    spindle::component::Val::string(s.as_str())
});
convert!(to_wasmtime, wasmtime::component::Val, Float32, Float64, |s: &String| {
    wasmtime::component::Val::String(s.clone())
});

fn pad_tuple<V: Clone>(tuple: fn(Vec<V>) -> V, byte: V) -> V {
    let eight = tuple(vec![byte.clone(); 8]);
    tuple(vec![eight.clone(), eight, byte])
}

fn run_spindle(wasm: &[u8], x: &Value) -> Result<N, String> {
    use spindle::component::{Component, Linker, Val};
    let engine = spindle::Engine::default();
    let component = Component::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
    let mut store = spindle::Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .map_err(|e| format!("instantiate: {e}"))?;
    let index = match instance.get_export_index(&mut store, None, "a") {
        Some(a) => instance.get_export_index(&mut store, Some(&a), "echo"),
        None => instance.get_export_index(&mut store, None, "echo"),
    }
    .expect("echo");
    let f = instance.get_func(&mut store, index).expect("echo");
    let mut out = [Val::Bool(false)];
    f.call(&mut store, &[to_spindle(x), pad_tuple(Val::Tuple, Val::U8(0))], &mut out)
        .map_err(|e| e.to_string())?;
    Ok(from_spindle(&out[0]))
}

fn run_wasmtime(wasm: &[u8], x: &Value) -> Result<N, String> {
    use wasmtime::component::{Component, Linker, Val};
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.target("pulley64").map_err(|e| e.to_string())?;
    let engine = wasmtime::Engine::new(&config).map_err(|e| e.to_string())?;
    let component = Component::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .map_err(|e| format!("instantiate: {e}"))?;
    let index = match instance.get_export_index(&mut store, None, "a") {
        Some(a) => instance.get_export_index(&mut store, Some(&a), "echo"),
        None => instance.get_export_index(&mut store, None, "echo"),
    }
    .expect("echo");
    let f = instance.get_func(&mut store, index).expect("echo");
    let mut out = [Val::Bool(false)];
    f.call(&mut store, &[to_wasmtime(x), pad_tuple(Val::Tuple, Val::U8(0))], &mut out)
        .map_err(|e| format!("{e:?}"))?;
    Ok(from_wasmtime(&out[0]))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(ty) = arbitrary_ty(&mut u, 4) else { return };
    let Ok(x) = arbitrary_value(&mut u, &ty) else { return };
    let Ok(pick) = u.int_in_range(0u8..=15) else { return };
    let enc = ENCODINGS[usize::from(pick % 3)];
    let (text, echoes) = match pick {
        0..=2 => (composed_text(&ty, enc, ENCODINGS[usize::from(pick / 3 + 1) % 3]), true),
        3 if flat_count(&ty) > 1 => (echo_text_answering(&ty, enc, Answer::OutOfBounds), false),
        // With an alignment of 1 the pointer is valid, only off by one: the runtimes must
        // still agree on what they read there.
        4 if flat_count(&ty) > 1 => (echo_text_answering(&ty, enc, Answer::Misaligned), false),
        _ => (echo_text_answering(&ty, enc, Answer::Echo), true),
    };
    let wasm = wast::parser::ParseBuffer::new(&text)
        .and_then(|b| wast::parser::parse::<wast::Wat<'_>>(&b).and_then(|mut w| w.encode()))
        .expect("the generated text parses");
    let ours = run_spindle(&wasm, &x);
    let theirs = run_wasmtime(&wasm, &x);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{ty:?}\n{text}");
            if echoes {
                assert_eq!(a, &from_spindle(&to_spindle(&x)), "not an echo: {ty:?}");
            }
        }
        (Err(_), Err(_)) => {}
        _ => panic!("disagreement on {ty:?}:\nspindle:  {ours:?}\nwasmtime: {theirs:?}\n{text}"),
    }
});
