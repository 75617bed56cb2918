//! Canonical ABI round trips: generated component types (every kind of value type, nested
//! to depth 4) and values, lowered into a generated echo component and lifted back —
//! host → guest → host in each string encoding, and host → guest → guest → host across
//! every pair of encodings (the guests transcode between them). Every value must come back
//! equal. The cases are seeded (`SPINDLE_ROUNDTRIP_SEED`, `SPINDLE_ROUNDTRIP_CASES`), so a
//! failure replays; `fuzz/fuzz_targets/component_roundtrip.rs` runs the same generator
//! against wasmtime 48.

use arbitrary::Unstructured;
use spindle::component::{Component, Linker, Val};
use spindle::{Engine, Store};
use spindle_testkit::component_echo::{
    arbitrary_ty, arbitrary_value, composed_text, echo_text, echo_text_answering, flat_count,
    size_align, Answer, Ty, Value, ENCODINGS,
};
use spindle_testkit::Rng;

/// A generated value as Spindle's component value.
fn to_val(v: &Value) -> Val {
    let boxed = |v: &Option<Box<Value>>| v.as_deref().map(|v| Box::new(to_val(v)));
    match v {
        Value::Bool(x) => Val::Bool(*x),
        Value::S8(x) => Val::S8(*x),
        Value::U8(x) => Val::U8(*x),
        Value::S16(x) => Val::S16(*x),
        Value::U16(x) => Val::U16(*x),
        Value::S32(x) => Val::S32(*x),
        Value::U32(x) => Val::U32(*x),
        Value::S64(x) => Val::S64(*x),
        Value::U64(x) => Val::U64(*x),
        Value::F32(b) => Val::F32(f32::from_bits(*b)),
        Value::F64(b) => Val::F64(f64::from_bits(*b)),
        Value::Char(c) => Val::Char(*c),
        Value::String(s) => Val::string(s.as_str()),
        Value::List(vs) => Val::List(vs.iter().map(to_val).collect()),
        Value::Record(vs) => Val::Record(
            vs.iter()
                .enumerate()
                .map(|(i, v)| (format!("a{i}"), to_val(v)))
                .collect(),
        ),
        Value::Tuple(vs) => Val::Tuple(vs.iter().map(to_val).collect()),
        Value::Variant(i, p) => Val::Variant(format!("c{i}"), boxed(p)),
        Value::Enum(i) => Val::Enum(format!("e{i}")),
        Value::Option(o) => Val::Option(boxed(o)),
        Value::Result(Ok(v)) => Val::Result(Ok(boxed(v))),
        Value::Result(Err(v)) => Val::Result(Err(boxed(v))),
        Value::Flags(set) => Val::Flags(
            set.iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| format!("f{i}"))
                .collect(),
        ),
    }
}

fn pad() -> Val {
    let eight = || Val::Tuple(vec![Val::U8(0); 8]);
    Val::Tuple(vec![eight(), eight(), Val::U8(0)])
}

/// Calls `echo` (at the root, or in the exported instance `a`) of `text` with `value`.
fn echo(engine: &Engine, text: &str, value: &Val) -> spindle::Result<Val> {
    let component = Component::new(engine, text).inspect_err(|_| {
        if let Ok(path) = std::env::var("SPINDLE_ROUNDTRIP_DUMP") {
            let _ = std::fs::write(path, text);
        }
    })?;
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, &component)?;
    let f = match instance.get_func(&mut store, "echo") {
        Some(f) => f,
        None => {
            let a = instance.get_export_index(&mut store, None, "a").unwrap();
            let e = instance
                .get_export_index(&mut store, Some(&a), "echo")
                .unwrap();
            instance.get_func(&mut store, e).unwrap()
        }
    };
    let mut out = [Val::Bool(false)];
    f.call(&mut store, &[value.clone(), pad()], &mut out)?;
    let [out] = out;
    Ok(out)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn values_of_generated_types_round_trip_through_echo_components() {
    let seed = env_u64("SPINDLE_ROUNDTRIP_SEED", 0x5eed_ec40);
    let cases = env_u64("SPINDLE_ROUNDTRIP_CASES", 200);
    let engine = Engine::default();
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for case in 0..cases {
        let bytes = Rng::for_case(seed, case).bytes(4096);
        let mut u = Unstructured::new(&bytes);
        let (Ok(ty), mut u) = (arbitrary_ty(&mut u, 4), u) else {
            continue;
        };
        let Ok(value) = arbitrary_value(&mut u, &ty) else {
            continue;
        };
        count_kinds(&ty, &mut kinds);
        let val = to_val(&value);
        for enc in ENCODINGS {
            let got = echo(&engine, &echo_text(&ty, enc), &val)
                .unwrap_or_else(|e| panic!("case {case} ({enc}): {ty:?}: {e:#}"));
            assert_eq!(got, val, "case {case} ({enc}): {ty:?}");
        }
        // A result pointer the spec rejects gives its trap.
        if flat_count(&ty) > 1 {
            let e = echo(
                &engine,
                &echo_text_answering(&ty, "utf8", Answer::OutOfBounds),
                &val,
            )
            .expect_err("out of bounds");
            assert!(
                e.to_string().contains("out of bounds") || e.to_string().contains("out-of-bounds"),
                "case {case}: {e:#}"
            );
            *kinds.entry("trap-bounds").or_default() += 1;
            if size_align(&ty).1 > 1 {
                let e = echo(
                    &engine,
                    &echo_text_answering(&ty, "utf8", Answer::Misaligned),
                    &val,
                )
                .expect_err("misaligned");
                assert!(
                    e.to_string().contains("not aligned") || e.to_string().contains("unaligned"),
                    "case {case}: {e:#}"
                );
                *kinds.entry("trap-align").or_default() += 1;
            }
        }
        for outer in ENCODINGS {
            for inner in ENCODINGS {
                let got =
                    echo(&engine, &composed_text(&ty, outer, inner), &val).unwrap_or_else(|e| {
                        panic!("case {case} ({outer} over {inner}): {ty:?}: {e:#}")
                    });
                assert_eq!(got, val, "case {case} ({outer} over {inner}): {ty:?}");
            }
        }
    }
    // Every kind of type was generated (the test is not vacuous).
    for kind in [
        "bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char",
        "string", "list", "record", "tuple", "variant", "enum", "option", "result", "flags",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|n| *n > 0),
            "no {kind} in {kinds:?}"
        );
    }
    for k in ["depth4", "trap-bounds", "trap-align"] {
        assert!(kinds.get(k).is_some_and(|n| *n > 0), "no {k} in {kinds:?}");
    }
}

fn count_kinds(ty: &Ty, kinds: &mut std::collections::BTreeMap<&'static str, usize>) {
    fn walk(ty: &Ty, depth: usize, kinds: &mut std::collections::BTreeMap<&'static str, usize>) {
        let name = match ty {
            Ty::Bool => "bool",
            Ty::S8 => "s8",
            Ty::U8 => "u8",
            Ty::S16 => "s16",
            Ty::U16 => "u16",
            Ty::S32 => "s32",
            Ty::U32 => "u32",
            Ty::S64 => "s64",
            Ty::U64 => "u64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::Char => "char",
            Ty::String => "string",
            Ty::List(_) => "list",
            Ty::Record(_) => "record",
            Ty::Tuple(_) => "tuple",
            Ty::Variant(_) => "variant",
            Ty::Enum(_) => "enum",
            Ty::Option(_) => "option",
            Ty::Result(..) => "result",
            Ty::Flags(_) => "flags",
        };
        *kinds.entry(name).or_default() += 1;
        if depth == 4 {
            *kinds.entry("depth4").or_default() += 1;
        }
        let mut sub = |t: &Ty| walk(t, depth + 1, kinds);
        match ty {
            Ty::List(t) | Ty::Option(t) => sub(t),
            Ty::Record(ts) | Ty::Tuple(ts) => ts.iter().for_each(sub),
            Ty::Variant(cs) => cs.iter().flatten().for_each(sub),
            Ty::Result(o, e) => o.iter().chain(e.iter()).for_each(|t| sub(t)),
            _ => {}
        }
    }
    kinds.entry("depth4").or_default();
    walk(ty, 0, kinds);
}

// ---- The typed API over the same echo components ----

use spindle::component::{ComponentType, Lift, Lower};

type Pad = (
    (u8, u8, u8, u8, u8, u8, u8, u8),
    (u8, u8, u8, u8, u8, u8, u8, u8),
    u8,
);

fn typed_echo<T>(engine: &Engine, ty: &Ty, value: T)
where
    T: ComponentType + Lift + Lower + Clone + PartialEq + std::fmt::Debug + 'static,
{
    for enc in ENCODINGS {
        for text in [echo_text(ty, enc), composed_text(ty, enc, "utf16")] {
            let component = Component::new(engine, &text).unwrap();
            let mut store = Store::new(engine, ());
            let instance = Linker::new(engine)
                .instantiate(&mut store, &component)
                .unwrap();
            let index = match instance.get_export_index(&mut store, None, "a") {
                Some(a) => instance.get_export_index(&mut store, Some(&a), "echo"),
                None => instance.get_export_index(&mut store, None, "echo"),
            }
            .unwrap();
            let f = instance
                .get_typed_func::<(T, Pad), (T,)>(&mut store, &index)
                .unwrap_or_else(|e| panic!("{ty:?}: {e:#}"));
            let (got,) = f.call(&mut store, (value.clone(), Pad::default())).unwrap();
            assert_eq!(got, value, "{ty:?} in {enc}");
        }
    }
}

#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq)]
#[component(record)]
struct Rec {
    a0: u32,
    a1: String,
    a2: Vec<(u8, char)>,
}

#[test]
fn typed_values_round_trip_through_the_same_echo_components() {
    let engine = Engine::default();
    let s = || Box::new(Ty::String);
    typed_echo(&engine, &Ty::String, "héllo 中 😀 ÿ".to_string());
    typed_echo(
        &engine,
        &Ty::List(s()),
        vec!["a".to_string(), String::new(), "中😀".into()],
    );
    typed_echo(
        &engine,
        &Ty::List(Box::new(Ty::Tuple(vec![Ty::U8, Ty::String]))),
        vec![(1u8, "x".to_string()), (255, "ÿé".into())],
    );
    typed_echo(&engine, &Ty::Option(s()), Some("some".to_string()));
    typed_echo(&engine, &Ty::Option(s()), None::<String>);
    let result = Ty::Result(Some(s()), Some(Box::new(Ty::U32)));
    typed_echo(&engine, &result, Ok::<String, u32>("ok".into()));
    typed_echo(&engine, &result, Err::<String, u32>(7));
    typed_echo(
        &engine,
        &Ty::Tuple(vec![Ty::U64, Ty::F32, Ty::Char, Ty::Bool, Ty::S16]),
        (u64::MAX, -1.5f32, '😀', true, -3i16),
    );
    typed_echo(
        &engine,
        &Ty::List(Box::new(Ty::List(Box::new(Ty::U16)))),
        vec![vec![1u16, 2], vec![], vec![65535]],
    );
    typed_echo(
        &engine,
        &Ty::Record(vec![
            Ty::U32,
            Ty::String,
            Ty::List(Box::new(Ty::Tuple(vec![Ty::U8, Ty::Char]))),
        ]),
        Rec {
            a0: 42,
            a1: "rec 中".into(),
            a2: vec![(1, 'a'), (2, '😀')],
        },
    );
    typed_echo(&engine, &Ty::F64, -1.25e-300f64);
}
