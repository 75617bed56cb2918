//! Layout vectors worked out by hand from the specification's `alignment`, `elem_size`
//! and `flatten_type` (record padding, variant joins, discriminant and flags sizes).

use spindle_component::layout::{discriminant_size, flatten_functype, FlatContext};
use spindle_component::{CoreType, FuncType, Type, TypeError};

use CoreType::{F32, F64, I32, I64};

fn check(ty: &Type, size: u32, align: u32, flat: &[CoreType]) {
    let l = ty.layout();
    assert_eq!((l.size, l.align), (size, align), "size/align of {ty}");
    assert_eq!(&*l.flat, flat, "flat of {ty}");
}

fn labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("f{i}")).collect()
}

#[test]
fn scalars() {
    check(&Type::bool(), 1, 1, &[I32]);
    check(&Type::s8(), 1, 1, &[I32]);
    check(&Type::u8(), 1, 1, &[I32]);
    check(&Type::s16(), 2, 2, &[I32]);
    check(&Type::u16(), 2, 2, &[I32]);
    check(&Type::s32(), 4, 4, &[I32]);
    check(&Type::u32(), 4, 4, &[I32]);
    check(&Type::s64(), 8, 8, &[I64]);
    check(&Type::u64(), 8, 8, &[I64]);
    check(&Type::f32(), 4, 4, &[F32]);
    check(&Type::f64(), 8, 8, &[F64]);
    check(&Type::char(), 4, 4, &[I32]);
    check(&Type::string(), 8, 4, &[I32, I32]);
    check(&Type::list(Type::u64()), 8, 4, &[I32, I32]);
    check(&Type::own(3), 4, 4, &[I32]);
    check(&Type::borrow(3), 4, 4, &[I32]);
}

#[test]
fn records_and_tuples_pad_to_field_alignment() {
    // a@0, b@4 (padded from 1), c@8; 10 bytes rounded up to align 4.
    let r = Type::record([("a", Type::u8()), ("b", Type::u32()), ("c", Type::u16())]).unwrap();
    check(&r, 12, 4, &[I32, I32, I32]);
    assert_eq!(&*r.layout().field_offsets, &[0, 4, 8]);
    // a@0, b@8: 9 bytes rounded up to 16.
    let r = Type::record([("a", Type::u64()), ("b", Type::u8())]).unwrap();
    check(&r, 16, 8, &[I64, I32]);
    assert_eq!(&*r.layout().field_offsets, &[0, 8]);
    let t = Type::tuple([Type::u8(), Type::u16(), Type::u8()]).unwrap();
    check(&t, 6, 2, &[I32, I32, I32]);
    assert_eq!(&*t.layout().field_offsets, &[0, 2, 4]);
    // u8@0, list<u8, 3>@1..4, u16@4: 6.
    let t = Type::tuple([
        Type::u8(),
        Type::fixed_list(Type::u8(), 3).unwrap(),
        Type::u16(),
    ])
    .unwrap();
    check(&t, 6, 2, &[I32; 5]);
    // option<u64> inside a record: aligned to 8 at offset 8, 16 bytes.
    let r = Type::record([("a", Type::u8()), ("b", Type::option(Type::u64()).unwrap())]).unwrap();
    check(&r, 24, 8, &[I32, I32, I64]);
    check(&Type::tuple([]).unwrap(), 0, 1, &[]);
    check(
        &Type::tuple([Type::string(), Type::f64()]).unwrap(),
        16,
        8,
        &[I32, I32, F64],
    );
}

#[test]
fn options_and_results() {
    // Discriminant u8, payload at 8 (the u64's alignment).
    let o = Type::option(Type::u64()).unwrap();
    check(&o, 16, 8, &[I32, I64]);
    assert_eq!(o.layout().payload_offset, 8);
    check(&Type::option(Type::u8()).unwrap(), 2, 1, &[I32, I32]);
    check(
        &Type::option(Type::option(Type::u8()).unwrap()).unwrap(),
        3,
        1,
        &[I32, I32, I32],
    );
    // result<_, string>: payload at 4, 12 bytes.
    let r = Type::result(None, Some(Type::string())).unwrap();
    check(&r, 12, 4, &[I32, I32, I32]);
    assert_eq!(r.layout().payload_offset, 4);
    check(&Type::result(None, None).unwrap(), 1, 1, &[I32]);
    // Joins: i32 with f32 is i32; f32 with i64 or f64 is i64.
    check(
        &Type::result(Some(Type::u32()), Some(Type::f32())).unwrap(),
        8,
        4,
        &[I32, I32],
    );
    check(
        &Type::result(Some(Type::u64()), Some(Type::f32())).unwrap(),
        16,
        8,
        &[I32, I64],
    );
    check(
        &Type::result(Some(Type::f32()), Some(Type::f64())).unwrap(),
        16,
        8,
        &[I32, I64],
    );
    check(
        &Type::result(Some(Type::f32()), Some(Type::f32())).unwrap(),
        8,
        4,
        &[I32, F32],
    );
    check(
        &Type::result(Some(Type::f64()), None).unwrap(),
        16,
        8,
        &[I32, F64],
    );
}

#[test]
fn variants_join_per_position() {
    // Payload flats [i32] and [f32, i32] join to [i32, i32].
    let v = Type::variant([
        ("a", Some(Type::u8())),
        ("b", Some(Type::tuple([Type::f32(), Type::u32()]).unwrap())),
        ("c", None),
    ])
    .unwrap();
    check(&v, 12, 4, &[I32, I32, I32]);
    // Nested: option<f64> is [i32, f64] (16, 8); result<u32, string> is [i32, i32, i32]
    // (12, 4). Joined: [i32, join(f64, i32) = i64, i32].
    let v = Type::variant([
        ("x", Some(Type::option(Type::f64()).unwrap())),
        (
            "y",
            Some(Type::result(Some(Type::u32()), Some(Type::string())).unwrap()),
        ),
    ])
    .unwrap();
    check(&v, 24, 8, &[I32, I32, I64, I32]);
    assert_eq!(v.layout().payload_offset, 8);
    let v = Type::variant([("a", Some(Type::f32())), ("b", Some(Type::f64()))]).unwrap();
    check(&v, 16, 8, &[I32, I64]);
    check(&Type::enum_(["a", "b", "c"]).unwrap(), 1, 1, &[I32]);
}

#[test]
fn discriminant_sizes() {
    assert_eq!(discriminant_size(1), 1);
    assert_eq!(discriminant_size(256), 1);
    assert_eq!(discriminant_size(257), 2);
    assert_eq!(discriminant_size(65536), 2);
    assert_eq!(discriminant_size(65537), 4);
    check(&Type::enum_(labels(256)).unwrap(), 1, 1, &[I32]);
    let e = Type::enum_(labels(257)).unwrap();
    check(&e, 2, 2, &[I32]);
    assert_eq!(e.layout().discriminant_size, 2);
    // A u16 discriminant with a u8 payload: payload at 2, size 3 rounded to 4.
    let cases: Vec<(String, Option<Type>)> = (0..300)
        .map(|i| (format!("c{i}"), (i == 0).then(Type::u8)))
        .collect();
    check(&Type::variant(cases).unwrap(), 4, 2, &[I32, I32]);
}

#[test]
fn flags_sizes() {
    check(&Type::flags(labels(0)).unwrap(), 0, 1, &[]);
    check(&Type::flags(labels(1)).unwrap(), 1, 1, &[I32]);
    check(&Type::flags(labels(8)).unwrap(), 1, 1, &[I32]);
    check(&Type::flags(labels(9)).unwrap(), 2, 2, &[I32]);
    check(&Type::flags(labels(16)).unwrap(), 2, 2, &[I32]);
    check(&Type::flags(labels(17)).unwrap(), 4, 4, &[I32]);
    check(&Type::flags(labels(32)).unwrap(), 4, 4, &[I32]);
    // Past 32: one i32 per 32 labels (the earlier representation, kept for callers that
    // accept more than 32 labels).
    check(&Type::flags(labels(33)).unwrap(), 8, 4, &[I32, I32]);
    check(&Type::flags(labels(64)).unwrap(), 8, 4, &[I32, I32]);
    check(&Type::flags(labels(65)).unwrap(), 12, 4, &[I32, I32, I32]);
}

#[test]
fn fixed_lists() {
    check(&Type::fixed_list(Type::u8(), 3).unwrap(), 3, 1, &[I32; 3]);
    check(
        &Type::fixed_list(Type::u32(), 2).unwrap(),
        8,
        4,
        &[I32, I32],
    );
    let elem = Type::record([("a", Type::u8()), ("b", Type::u16())]).unwrap();
    check(&Type::fixed_list(elem, 2).unwrap(), 8, 2, &[I32; 4]);
    check(
        &Type::fixed_list(Type::option(Type::f32()).unwrap(), 2).unwrap(),
        16,
        4,
        &[I32, F32, I32, F32],
    );
}

#[test]
fn type_errors() {
    assert_eq!(
        Type::fixed_list(Type::u8(), 0),
        Err(TypeError::EmptyFixedList)
    );
    assert_eq!(
        Type::variant(Vec::<(String, Option<Type>)>::new()),
        Err(TypeError::NoCases)
    );
    assert_eq!(Type::enum_(Vec::<String>::new()), Err(TypeError::NoCases));
    assert_eq!(
        Type::record([("a", Type::u8()), ("a", Type::u8())]),
        Err(TypeError::DuplicateName("a".into()))
    );
    // 2^16 elements of 2^16 bytes: 2^32 bytes do not fit a u32 size.
    let big = Type::fixed_list(Type::u8(), 1 << 16).unwrap();
    assert_eq!(Type::fixed_list(big, 1 << 16), Err(TypeError::TooLarge));
    // The largest fixed list the component model allows (2^28 - 1 bytes) has a layout,
    // computed without walking its elements; its flat form is cut but still spills.
    let huge = Type::fixed_list(Type::u8(), (1 << 28) - 1).unwrap();
    assert_eq!(huge.layout().size, (1 << 28) - 1);
    assert!(huge.layout().flat.len() > spindle_component::MAX_FLAT_PARAMS);
    let f = spindle_component::FuncType::new([("x", huge)], []).unwrap();
    assert_eq!(
        spindle_component::flatten_functype(&f, spindle_component::FlatContext::Lift).params,
        [spindle_component::CoreType::I32]
    );
}

#[test]
fn functype_spilling() {
    let u32s = |n: usize| {
        (0..n)
            .map(|i| (format!("p{i}"), Type::u32()))
            .collect::<Vec<_>>()
    };
    // 16 flat parameters are passed flat; one result is returned flat.
    let ft = FuncType::new(u32s(16), [Type::u64()]).unwrap();
    let lift = flatten_functype(&ft, FlatContext::Lift);
    assert_eq!((lift.params.len(), &lift.results[..]), (16, &[I64][..]));
    assert!(!ft.params_spilled() && !ft.results_spilled());
    // 17 become one pointer.
    let ft = FuncType::new(u32s(17), []).unwrap();
    assert_eq!(flatten_functype(&ft, FlatContext::Lift).params, vec![I32]);
    assert!(ft.params_spilled());
    // Two flat results: lift returns a pointer; lower takes one as a last parameter.
    let ft = FuncType::new(u32s(2), [Type::string()]).unwrap();
    let lift = flatten_functype(&ft, FlatContext::Lift);
    assert_eq!((lift.params, lift.results), (vec![I32, I32], vec![I32]));
    let lower = flatten_functype(&ft, FlatContext::Lower);
    assert_eq!((lower.params, lower.results), (vec![I32, I32, I32], vec![]));
    // Both spilled, lowering: [params pointer, results pointer].
    let ft = FuncType::new(u32s(20), [Type::u8(), Type::u8()]).unwrap();
    let lower = flatten_functype(&ft, FlatContext::Lower);
    assert_eq!((lower.params, lower.results), (vec![I32, I32], vec![]));
    // The spilled tuple's layout: 20 u32s.
    assert_eq!(ft.params_tuple().layout().size, 80);
}
