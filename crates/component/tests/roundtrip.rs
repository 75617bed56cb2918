//! Property tests: values of generated types (every kind, nested up to depth 4) survive
//! `store`+`load`, `lower_flat`+`lift_flat`, the function-level lowering and lifting
//! (spilled and not), and strings survive every pair of encodings.

mod common;

use common::VecMemory;
use proptest::prelude::*;
use spindle_component::abi::UTF16_TAG;
use spindle_component::{
    lift_args, lift_flat, lift_results, load, lower_args, lower_flat, lower_results, store,
    CoreType, CoreVal, Cx, FlatIter, FuncType, HandleTable, Options, StringEncoding, Type,
    TypeKind, Val,
};

const ENCODINGS: [StringEncoding; 3] = [
    StringEncoding::Utf8,
    StringEncoding::Utf16,
    StringEncoding::CompactUtf16,
];

fn encoding() -> impl Strategy<Value = StringEncoding> {
    prop::sample::select(&ENCODINGS[..])
}

fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn leaf() -> impl Strategy<Value = Type> {
    prop_oneof![
        Just(Type::bool()),
        Just(Type::s8()),
        Just(Type::u8()),
        Just(Type::s16()),
        Just(Type::u16()),
        Just(Type::s32()),
        Just(Type::u32()),
        Just(Type::s64()),
        Just(Type::u64()),
        Just(Type::f32()),
        Just(Type::f64()),
        Just(Type::char()),
        Just(Type::string()),
        (0u32..3).prop_map(Type::own),
        (0u32..3).prop_map(Type::borrow),
        (1usize..6).prop_map(|n| Type::enum_(labels("e", n)).unwrap()),
        (0usize..70).prop_map(|n| Type::flags(labels("f", n)).unwrap()),
    ]
}

/// Types of every kind, nested up to depth 4.
fn ty() -> impl Strategy<Value = Type> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            (inner.clone(), 1u32..4).prop_map(|(t, n)| Type::fixed_list(t, n).unwrap()),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|ts| {
                Type::record(
                    ts.into_iter()
                        .enumerate()
                        .map(|(i, t)| (format!("r{i}"), t)),
                )
                .unwrap()
            }),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|ts| Type::tuple(ts).unwrap()),
            prop::collection::vec(prop::option::of(inner.clone()), 1..4).prop_map(|cs| {
                Type::variant(
                    cs.into_iter()
                        .enumerate()
                        .map(|(i, t)| (format!("v{i}"), t)),
                )
                .unwrap()
            }),
            inner.clone().prop_map(|t| Type::option(t).unwrap()),
            (prop::option::of(inner.clone()), prop::option::of(inner))
                .prop_map(|(ok, err)| Type::result(ok, err).unwrap()),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    // ASCII, Latin-1 and everything: each string encoding path is taken.
    let ch = prop_oneof![
        (0x20u8..0x7f).prop_map(char::from),
        (0x80u8..=0xff).prop_map(char::from),
        any::<char>(),
    ];
    prop::collection::vec(ch, 0..12).prop_map(String::from_iter)
}

fn boxed(v: Option<Val>) -> Option<Box<Val>> {
    v.map(Box::new)
}

fn opt_val(t: &Option<Type>) -> BoxedStrategy<Option<Val>> {
    match t {
        Some(t) => val(t).prop_map(Some).boxed(),
        None => Just(None).boxed(),
    }
}

/// Values of a type.
fn val(ty: &Type) -> BoxedStrategy<Val> {
    match ty.kind() {
        TypeKind::Bool => any::<bool>().prop_map(Val::Bool).boxed(),
        TypeKind::S8 => any::<i8>().prop_map(Val::S8).boxed(),
        TypeKind::U8 => any::<u8>().prop_map(Val::U8).boxed(),
        TypeKind::S16 => any::<i16>().prop_map(Val::S16).boxed(),
        TypeKind::U16 => any::<u16>().prop_map(Val::U16).boxed(),
        TypeKind::S32 => any::<i32>().prop_map(Val::S32).boxed(),
        TypeKind::U32 => any::<u32>().prop_map(Val::U32).boxed(),
        TypeKind::S64 => any::<i64>().prop_map(Val::S64).boxed(),
        TypeKind::U64 => any::<u64>().prop_map(Val::U64).boxed(),
        TypeKind::F32 => prop::num::f32::ANY.prop_map(Val::F32).boxed(),
        TypeKind::F64 => prop::num::f64::ANY.prop_map(Val::F64).boxed(),
        TypeKind::Char => any::<char>().prop_map(Val::Char).boxed(),
        TypeKind::String => text().prop_map(Val::string).boxed(),
        TypeKind::List(t) => prop::collection::vec(val(t), 0..4)
            .prop_map(Val::List)
            .boxed(),
        TypeKind::FixedList(t, n) => prop::collection::vec(val(t), *n as usize)
            .prop_map(Val::List)
            .boxed(),
        TypeKind::Record(fields) => {
            let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
            fields
                .iter()
                .map(|f| val(&f.ty))
                .collect::<Vec<_>>()
                .prop_map(move |vs| Val::Record(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        TypeKind::Tuple(ts) => ts
            .iter()
            .map(val)
            .collect::<Vec<_>>()
            .prop_map(Val::Tuple)
            .boxed(),
        TypeKind::Variant(cases) => {
            let options: Vec<BoxedStrategy<Val>> = cases
                .iter()
                .map(|c| {
                    let name = c.name.clone();
                    opt_val(&c.ty)
                        .prop_map(move |v| Val::Variant(name.clone(), boxed(v)))
                        .boxed()
                })
                .collect();
            prop::strategy::Union::new(options).boxed()
        }
        TypeKind::Enum(labels) => prop::sample::select(labels.to_vec())
            .prop_map(Val::Enum)
            .boxed(),
        TypeKind::Option(t) => prop::option::of(val(t))
            .prop_map(|v| Val::Option(boxed(v)))
            .boxed(),
        TypeKind::Result { ok, err } => prop_oneof![
            opt_val(ok).prop_map(|v| Val::Result(Ok(boxed(v)))),
            opt_val(err).prop_map(|v| Val::Result(Err(boxed(v)))),
        ]
        .boxed(),
        TypeKind::Flags(labels) => {
            let labels = labels.to_vec();
            prop::collection::vec(any::<bool>(), labels.len())
                .prop_map(move |bits| {
                    Val::Flags(
                        labels
                            .iter()
                            .zip(bits)
                            .filter(|(_, b)| *b)
                            .map(|(l, _)| l.clone())
                            .collect(),
                    )
                })
                .boxed()
        }
        TypeKind::Own(_) => any::<u32>().prop_map(Val::Own).boxed(),
        TypeKind::Borrow(_) => any::<u32>().prop_map(Val::Borrow).boxed(),
        TypeKind::Stream(_) => any::<u32>().prop_map(Val::Stream).boxed(),
        TypeKind::Future(_) => any::<u32>().prop_map(Val::Future).boxed(),
        TypeKind::ErrorContext => any::<u32>().prop_map(Val::ErrorContext).boxed(),
    }
}

fn typed_val() -> impl Strategy<Value = (Type, Val)> {
    ty().prop_flat_map(|t| {
        let v = val(&t);
        (Just(t), v)
    })
}

fn core_type(v: &CoreVal) -> CoreType {
    match v {
        CoreVal::I32(_) => CoreType::I32,
        CoreVal::I64(_) => CoreType::I64,
        CoreVal::F32(_) => CoreType::F32,
        CoreVal::F64(_) => CoreType::F64,
    }
}

fn opts(string_encoding: StringEncoding) -> Options {
    Options { string_encoding }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn store_then_load((t, v) in typed_val(), enc in encoding()) {
        prop_assert!(v.type_check(&t).is_ok());
        let mut mem = VecMemory::new();
        let mut table = HandleTable::new();
        let l = t.layout().clone();
        let ptr = mem.alloc(l.align, l.size);
        let mut cx = Cx::new(&mut mem, opts(enc), &mut table);
        store(&mut cx, &v, &t, ptr).unwrap();
        let back = load(&mut cx, &t, ptr).unwrap();
        prop_assert_eq!(&back, &v, "type {}", t);
        prop_assert!(back.type_check(&t).is_ok());
    }

    #[test]
    fn lower_flat_then_lift_flat((t, v) in typed_val(), enc in encoding()) {
        let mut mem = VecMemory::new();
        let mut table = HandleTable::new();
        let mut cx = Cx::new(&mut mem, opts(enc), &mut table);
        let flat = lower_flat(&mut cx, &v, &t).unwrap();
        let types: Vec<CoreType> = flat.iter().map(core_type).collect();
        prop_assert_eq!(&types[..], &*t.layout().flat, "flat types of {}", t);
        let mut it = FlatIter::new(&flat);
        let back = lift_flat(&mut cx, &t, &mut it).unwrap();
        prop_assert!(it.rest().is_empty());
        prop_assert_eq!(&back, &v, "type {}", t);
    }

    /// A guest calls an import through the host: the host lowers the arguments into the
    /// callee (`lower_args`), the callee passes them on as core values to another
    /// import (`lift_args`), whose results go back (`lower_results`, `lift_results`).
    #[test]
    fn function_arguments_and_results(
        params in prop::collection::vec(typed_val(), 0..6),
        padding in 0usize..20,
        results in prop::collection::vec(typed_val(), 0..3),
        enc in encoding(),
    ) {
        let mut params = params;
        // Enough flat parameters to spill, some of the time.
        params.extend((0..padding).map(|i| (Type::u64(), Val::U64(i as u64))));
        let ft = FuncType::new(
            params.iter().enumerate().map(|(i, (t, _))| (format!("p{i}"), t.clone())),
            results.iter().map(|(t, _)| t.clone()),
        ).unwrap();
        let args: Vec<Val> = params.into_iter().map(|(_, v)| v).collect();
        let rets: Vec<Val> = results.into_iter().map(|(_, v)| v).collect();
        let mut mem = VecMemory::new();
        let mut table = HandleTable::new();
        let mut cx = Cx::new(&mut mem, opts(enc), &mut table);

        let mut flat_args = lower_args(&mut cx, &ft, &args).unwrap();
        prop_assert_eq!(flat_args.len() == 1 && ft.params_spilled(), ft.params_spilled());
        let ret_ptr = if ft.results_spilled() {
            let l = ft.results_tuple().layout().clone();
            let p = cx.memory.alloc(l.align, l.size);
            flat_args.push(CoreVal::I32(p as i32));
            Some(p)
        } else {
            None
        };
        let lifted = lift_args(&mut cx, &ft, &flat_args).unwrap();
        prop_assert_eq!(&lifted, &args);

        let flat_results = lower_results(&mut cx, &ft, &rets, &flat_args).unwrap();
        let flat_results = match ret_ptr {
            Some(p) => {
                prop_assert!(flat_results.is_empty());
                vec![CoreVal::I32(p as i32)]
            }
            None => flat_results,
        };
        let back = lift_results(&mut cx, &ft, &flat_results).unwrap();
        prop_assert_eq!(&back, &rets);
    }

    /// A string lowered into a guest with one encoding, lifted from it, lowered into
    /// another guest with another encoding (transcoding from the first), and lifted
    /// again, is the same string; its length fields are the destination's.
    #[test]
    fn strings_transcode_between_guests(s in text(), from in encoding(), to in encoding()) {
        let t = Type::string();
        let mut table = HandleTable::new();
        let mut a = VecMemory::new();
        let mut cx = Cx::new(&mut a, opts(from), &mut table);
        let flat = lower_flat(&mut cx, &Val::string(s.as_str()), &t).unwrap();
        let lifted = lift_flat(&mut cx, &t, &mut FlatIter::new(&flat)).unwrap();
        let Val::String(ref sv) = lifted else { panic!("not a string") };
        prop_assert_eq!(sv.as_str(), s.as_str());
        prop_assert_eq!(sv.origin().map(|o| o.encoding), Some(from));

        let mut b = VecMemory::new();
        let mut cx = Cx::new(&mut b, opts(to), &mut table);
        let flat = lower_flat(&mut cx, &lifted, &t).unwrap();
        let [CoreVal::I32(_), CoreVal::I32(len)] = flat[..] else { panic!("not a pointer and length") };
        let len = len as u32;
        let expected = match to {
            StringEncoding::Utf8 => s.len() as u32,
            StringEncoding::Utf16 => s.encode_utf16().count() as u32,
            StringEncoding::CompactUtf16 if s.chars().all(|c| (c as u32) < 256) => s.chars().count() as u32,
            StringEncoding::CompactUtf16 => s.encode_utf16().count() as u32 | UTF16_TAG,
        };
        prop_assert_eq!(len, expected);
        let back = lift_flat(&mut cx, &t, &mut FlatIter::new(&flat)).unwrap();
        prop_assert_eq!(back, Val::string(s.as_str()));
    }
}
