//! Every trap the specification names, provoked at least once, giving exactly that error;
//! and the `realloc` requests of string transcoding (worst case, then shrink).

mod common;

use common::VecMemory;
use spindle_component::abi::UTF16_TAG;
use spindle_component::{
    lift_args, lift_flat, lift_results, load, lower_args, lower_flat, lower_results, store,
    CoreVal, Cx, FlatIter, FuncType, HandleTable, NoResources, Options, Resources, StringEncoding,
    Trap, Type, Val,
};

fn opts(string_encoding: StringEncoding) -> Options {
    Options { string_encoding }
}

fn put(mem: &mut VecMemory, ptr: u32, bytes: &[u8]) {
    let end = ptr as usize + bytes.len();
    if mem.bytes.len() < end {
        mem.bytes.resize(end, 0);
    }
    mem.bytes[ptr as usize..end].copy_from_slice(bytes);
}

fn pair(a: u32, b: u32) -> Vec<u8> {
    [a.to_le_bytes(), b.to_le_bytes()].concat()
}

fn load_with(mem: &mut VecMemory, enc: StringEncoding, ty: &Type, ptr: u32) -> Result<Val, Trap> {
    let mut res = NoResources;
    load(&mut Cx::new(mem, opts(enc), &mut res), ty, ptr)
}

fn lift_with(
    enc: StringEncoding,
    mem: &mut VecMemory,
    ty: &Type,
    flat: &[CoreVal],
) -> Result<Val, Trap> {
    let mut res = NoResources;
    lift_flat(
        &mut Cx::new(mem, opts(enc), &mut res),
        ty,
        &mut FlatIter::new(flat),
    )
}

fn i32s(xs: &[u32]) -> Vec<CoreVal> {
    xs.iter().map(|&x| CoreVal::I32(x as i32)).collect()
}

#[test]
fn misaligned_list_pointer() {
    let mut mem = VecMemory::new();
    put(&mut mem, 0, &pair(2, 1));
    let ty = Type::list(Type::u32());
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &ty, 0),
        Err(Trap::Misaligned { ptr: 2, align: 4 })
    );
    assert_eq!(
        lift_with(StringEncoding::Utf8, &mut mem, &ty, &i32s(&[6, 1])),
        Err(Trap::Misaligned { ptr: 6, align: 4 })
    );
}

#[test]
fn misaligned_or_out_of_bounds_load_and_store() {
    let mut mem = VecMemory::new();
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &Type::u64(), 4),
        Err(Trap::Misaligned { ptr: 4, align: 8 })
    );
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &Type::u64(), 64),
        Err(Trap::OutOfBounds { ptr: 64, len: 8 })
    );
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    assert_eq!(
        store(&mut cx, &Val::U32(1), &Type::u32(), 62),
        Err(Trap::Misaligned { ptr: 62, align: 4 })
    );
    assert_eq!(
        store(&mut cx, &Val::U32(1), &Type::u32(), 64),
        Err(Trap::OutOfBounds { ptr: 64, len: 4 })
    );
}

#[test]
fn out_of_bounds_string_and_list() {
    let mut mem = VecMemory::new();
    put(&mut mem, 0, &pair(60, 10));
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &Type::string(), 0),
        Err(Trap::StringOutOfBounds { ptr: 60, len: 10 })
    );
    // 2^29 u64s are 2^32 bytes: computed without wrapping, and out of bounds.
    assert_eq!(
        lift_with(
            StringEncoding::Utf8,
            &mut mem,
            &Type::list(Type::u64()),
            &i32s(&[8, 1 << 29])
        ),
        Err(Trap::ListOutOfBounds {
            ptr: 8,
            len: 1 << 32
        })
    );
    // A UTF-16 length of 2^31 code units is 2^32 bytes.
    assert_eq!(
        lift_with(
            StringEncoding::Utf16,
            &mut mem,
            &Type::string(),
            &i32s(&[8, 1 << 31])
        ),
        Err(Trap::StringOutOfBounds {
            ptr: 8,
            len: 1 << 32
        })
    );
}

#[test]
fn latin1_utf16_tagged_lengths() {
    let mut mem = VecMemory::new();
    let compact = StringEncoding::CompactUtf16;
    // Untagged: 4 Latin-1 bytes fit at 60; tagged: 4 UTF-16 units are 8 bytes and do not.
    put(&mut mem, 60, &[b'a', 0xe9, b'c', b'd']);
    assert_eq!(
        lift_with(compact, &mut mem, &Type::string(), &i32s(&[60, 4])),
        Ok(Val::string("a\u{e9}cd"))
    );
    assert_eq!(
        lift_with(
            compact,
            &mut mem,
            &Type::string(),
            &i32s(&[60, 4 | UTF16_TAG])
        ),
        Err(Trap::StringOutOfBounds { ptr: 60, len: 8 })
    );
    // Either form needs a 2-aligned pointer.
    assert_eq!(
        lift_with(compact, &mut mem, &Type::string(), &i32s(&[61, 1])),
        Err(Trap::Misaligned { ptr: 61, align: 2 })
    );
    // The largest tagged length: 2 * (2^31 - 1) bytes.
    assert_eq!(
        lift_with(compact, &mut mem, &Type::string(), &i32s(&[0, u32::MAX])),
        Err(Trap::StringOutOfBounds {
            ptr: 0,
            len: 2 * ((1 << 31) - 1)
        })
    );
}

#[test]
fn invalid_chars() {
    let mut mem = VecMemory::new();
    for bad in [0xD800, 0xDFFF, 0x11_0000, u32::MAX] {
        assert_eq!(
            lift_with(StringEncoding::Utf8, &mut mem, &Type::char(), &i32s(&[bad])),
            Err(Trap::InvalidChar(bad))
        );
    }
    put(&mut mem, 8, &0xDC00u32.to_le_bytes());
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &Type::char(), 8),
        Err(Trap::InvalidChar(0xDC00))
    );
    // Inside a list of chars, loaded in bulk.
    put(&mut mem, 16, &pair(8, 1));
    assert_eq!(
        load_with(
            &mut mem,
            StringEncoding::Utf8,
            &Type::list(Type::char()),
            16
        ),
        Err(Trap::InvalidChar(0xDC00))
    );
}

#[test]
fn bad_discriminants() {
    let mut mem = VecMemory::new();
    let opt = Type::option(Type::u8()).unwrap();
    assert_eq!(
        lift_with(StringEncoding::Utf8, &mut mem, &opt, &i32s(&[2, 0])),
        Err(Trap::InvalidDiscriminant { index: 2, cases: 2 })
    );
    let e = Type::enum_(["a", "b", "c"]).unwrap();
    put(&mut mem, 8, &[3]);
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &e, 8),
        Err(Trap::InvalidDiscriminant { index: 3, cases: 3 })
    );
    let r = Type::result(Some(Type::u32()), None).unwrap();
    put(&mut mem, 16, &[0xff, 0, 0, 0]);
    assert_eq!(
        load_with(&mut mem, StringEncoding::Utf8, &r, 16),
        Err(Trap::InvalidDiscriminant {
            index: 255,
            cases: 2
        })
    );
}

#[test]
fn bool_and_flags_do_not_trap_on_extra_bits() {
    // The specification converts any nonzero i32 to true and ignores flag bits past the
    // last label.
    let mut mem = VecMemory::new();
    assert_eq!(
        lift_with(StringEncoding::Utf8, &mut mem, &Type::bool(), &i32s(&[7])),
        Ok(Val::Bool(true))
    );
    let f = Type::flags(["a", "b"]).unwrap();
    assert_eq!(
        lift_with(StringEncoding::Utf8, &mut mem, &f, &i32s(&[0xffff_fffe])),
        Ok(Val::Flags(vec!["b".into()]))
    );
}

#[test]
fn invalid_string_encodings() {
    let mut mem = VecMemory::new();
    put(&mut mem, 8, &[b'a', 0xff]);
    assert_eq!(
        lift_with(
            StringEncoding::Utf8,
            &mut mem,
            &Type::string(),
            &i32s(&[8, 2])
        ),
        Err(Trap::InvalidUtf8)
    );
    // A lone high surrogate, then a lone low one.
    put(&mut mem, 16, &[0x00, 0xD8, b'a', 0]);
    assert_eq!(
        lift_with(
            StringEncoding::Utf16,
            &mut mem,
            &Type::string(),
            &i32s(&[16, 2])
        ),
        Err(Trap::InvalidUtf16)
    );
    put(&mut mem, 24, &[0x00, 0xDC]);
    assert_eq!(
        lift_with(
            StringEncoding::CompactUtf16,
            &mut mem,
            &Type::string(),
            &i32s(&[24, 1 | UTF16_TAG])
        ),
        Err(Trap::InvalidUtf16)
    );
}

#[test]
fn realloc_results_are_checked() {
    let t = Type::list(Type::u8());
    let v = Val::List(vec![Val::U8(1), Val::U8(2)]);
    let mut mem = VecMemory::new();
    mem.force = Some(63);
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    assert_eq!(
        lower_flat(&mut cx, &v, &t),
        Err(Trap::ReallocListOutOfBounds { ptr: 63, len: 2 })
    );
    // A misaligned block for u32 elements.
    cx.memory.force = Some(2);
    let v = Val::List(vec![Val::U32(1)]);
    assert_eq!(
        lower_flat(&mut cx, &v, &Type::list(Type::u32())),
        Err(Trap::ReallocMisaligned { ptr: 2, align: 4 })
    );
    // Strings: a UTF-16 block must be 2-aligned; a UTF-8 one in bounds.
    cx.options = opts(StringEncoding::Utf16);
    cx.memory.force = Some(3);
    assert_eq!(
        lower_flat(&mut cx, &Val::string("hi"), &Type::string()),
        Err(Trap::ReallocMisaligned { ptr: 3, align: 2 })
    );
    cx.options = opts(StringEncoding::Utf8);
    cx.memory.force = Some(u32::MAX);
    assert_eq!(
        lower_flat(&mut cx, &Val::string("hi"), &Type::string()),
        Err(Trap::ReallocOutOfBounds {
            ptr: u32::MAX,
            len: 2
        })
    );
    // A trap inside realloc comes through as it is.
    cx.memory.force = None;
    cx.memory.fail = true;
    assert_eq!(
        lower_flat(&mut cx, &Val::string("hi"), &Type::string()),
        Err(Trap::Guest("realloc: out of memory".into()))
    );
}

#[test]
fn list_byte_length_over_32_bits() {
    // 2^13 elements of 2^19 bytes: 2^32 bytes. The length is checked before any element
    // is looked at, so the elements need not even be values of the element type.
    let elem = Type::fixed_list(Type::u64(), 1 << 16).unwrap();
    let v = Val::List(vec![Val::Bool(false); 1 << 13]);
    let mut mem = VecMemory::new();
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    assert_eq!(
        lower_flat(&mut cx, &v, &Type::list(elem)),
        Err(Trap::ListTooLong {
            byte_length: 1 << 32
        })
    );
    assert!(mem.log.is_empty(), "no allocation before the check");
}

#[test]
fn spilled_pointers_are_checked() {
    let params: Vec<(String, Type)> = (0..17).map(|i| (format!("p{i}"), Type::u32())).collect();
    let ft = FuncType::new(params, [Type::u64(), Type::u64()]).unwrap();
    let mut mem = VecMemory::new();
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    // Parameters tuple: 17 u32s, 4-aligned, 68 bytes.
    assert_eq!(
        lift_args(&mut cx, &ft, &i32s(&[2, 8])),
        Err(Trap::Misaligned { ptr: 2, align: 4 })
    );
    assert_eq!(
        lift_args(&mut cx, &ft, &i32s(&[8, 8])),
        Err(Trap::OutOfBounds { ptr: 8, len: 68 })
    );
    // Results tuple: two u64s, 8-aligned, 16 bytes.
    assert_eq!(
        lift_results(&mut cx, &ft, &i32s(&[4])),
        Err(Trap::Misaligned { ptr: 4, align: 8 })
    );
    assert_eq!(
        lift_results(&mut cx, &ft, &i32s(&[56])),
        Err(Trap::OutOfBounds { ptr: 56, len: 16 })
    );
    let rets = [Val::U64(1), Val::U64(2)];
    assert_eq!(
        lower_results(&mut cx, &ft, &rets, &i32s(&[8, 60])),
        Err(Trap::Misaligned { ptr: 60, align: 8 })
    );
    // A realloc'd block for spilled arguments is checked too.
    cx.memory.force = Some(1);
    let args: Vec<Val> = (0..17).map(Val::U32).collect();
    assert_eq!(
        lower_args(&mut cx, &ft, &args),
        Err(Trap::Misaligned { ptr: 1, align: 4 })
    );
}

#[test]
fn spilled_arguments_go_through_realloc() {
    let params: Vec<(String, Type)> = (0..17).map(|i| (format!("p{i}"), Type::u8())).collect();
    let ft = FuncType::new(params, []).unwrap();
    let mut mem = VecMemory::new();
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    let args: Vec<Val> = (0..17).map(Val::U8).collect();
    let flat = lower_args(&mut cx, &ft, &args).unwrap();
    assert_eq!(mem.log, vec![(0, 0, 1, 17)]);
    let [CoreVal::I32(p)] = flat[..] else {
        panic!("one pointer")
    };
    assert_eq!(
        &mem.bytes[p as usize..p as usize + 17],
        &(0..17).collect::<Vec<u8>>()[..]
    );
}

#[test]
fn mismatched_values_and_core_values() {
    let mut mem = VecMemory::new();
    let mut res = NoResources;
    let mut cx = Cx::new(&mut mem, Options::default(), &mut res);
    assert!(matches!(
        lower_flat(&mut cx, &Val::U8(1), &Type::u32()),
        Err(Trap::TypeMismatch { .. })
    ));
    let e = Type::enum_(["a"]).unwrap();
    assert!(matches!(
        lower_flat(&mut cx, &Val::Enum("z".into()), &e),
        Err(Trap::TypeMismatch { .. })
    ));
    assert_eq!(
        lift_flat(
            &mut cx,
            &Type::u32(),
            &mut FlatIter::new(&[CoreVal::I64(1)])
        ),
        Err(Trap::FlatMismatch)
    );
    assert_eq!(
        lift_flat(&mut cx, &Type::u32(), &mut FlatIter::new(&[])),
        Err(Trap::FlatMismatch)
    );
}

/// The requests each transcoding makes of `realloc`, checked against the algorithms of
/// the specification: the source's size first, the worst case at the first character
/// that needs it, then a shrink to the real size.
#[test]
fn transcoding_realloc_requests() {
    fn transcode(
        s: &str,
        from: StringEncoding,
        to: StringEncoding,
    ) -> (Vec<(u32, u32, u32, u32)>, u32) {
        let t = Type::string();
        let mut res = NoResources;
        let mut a = VecMemory::new();
        let mut cx = Cx::new(&mut a, opts(from), &mut res);
        let flat = lower_flat(&mut cx, &Val::string(s), &t).unwrap();
        let lifted = lift_flat(&mut cx, &t, &mut FlatIter::new(&flat)).unwrap();
        let mut b = VecMemory::new();
        let mut cx = Cx::new(&mut b, opts(to), &mut res);
        let flat = lower_flat(&mut cx, &lifted, &t).unwrap();
        let CoreVal::I32(len) = flat[1] else { panic!() };
        // Blocks move as they grow, so the old pointer is only told apart as none (0) or
        // some (1).
        let log = b
            .log
            .iter()
            .map(|&(p, o, a, n)| (u32::from(p != 0), o, a, n))
            .collect();
        (log, len as u32)
    }
    use StringEncoding::{CompactUtf16 as Compact, Utf16, Utf8};
    // Host (UTF-8) strings: "h\u{e9}llo" is 6 UTF-8 bytes, 5 UTF-16 units.
    let s = "h\u{e9}llo";
    assert_eq!(transcode(s, Utf8, Utf8), (vec![(0, 0, 1, 6)], 6));
    // utf8 -> utf16: 2 bytes per source byte, shrunk to 10.
    assert_eq!(
        transcode(s, Utf8, Utf16),
        (vec![(0, 0, 2, 12), (1, 12, 2, 10)], 5)
    );
    // utf8 -> latin1+utf16: one byte per source byte, shrunk to the 5 Latin-1 bytes.
    assert_eq!(
        transcode(s, Utf8, Compact),
        (vec![(0, 0, 2, 6), (1, 6, 2, 5)], 5)
    );
    // utf16 -> utf8: the source's 5 units, grown to 3 per unit at the "\u{e9}", shrunk to 6.
    assert_eq!(
        transcode(s, Utf16, Utf8),
        (vec![(0, 0, 1, 5), (1, 5, 1, 15), (1, 15, 1, 6)], 6)
    );
    // latin1 -> utf8: grown to 2 per unit.
    assert_eq!(
        transcode(s, Compact, Utf8),
        (vec![(0, 0, 1, 5), (1, 5, 1, 10), (1, 10, 1, 6)], 6)
    );
    // ASCII needs no growth.
    assert_eq!(transcode("abc", Utf16, Utf8), (vec![(0, 0, 1, 3)], 3));
    // latin1 -> utf16 and utf16 -> utf16 copy 2 bytes per unit.
    assert_eq!(transcode(s, Compact, Utf16), (vec![(0, 0, 2, 10)], 5));
    assert_eq!(transcode(s, Utf16, Utf16), (vec![(0, 0, 2, 10)], 5));
    // latin1 -> latin1+utf16 copies bytes.
    assert_eq!(transcode(s, Compact, Compact), (vec![(0, 0, 2, 5)], 5));
    // utf16 -> latin1+utf16: one byte per unit; fits Latin-1 so no growth, no shrink.
    assert_eq!(transcode(s, Utf16, Compact), (vec![(0, 0, 2, 5)], 5));
    // Past Latin-1 ("\u{3b1}" is 2 UTF-8 bytes): from utf8, 7 bytes, grown to 14 at the
    // "\u{3b1}" (widening the "ab" before it), shrunk to 5 units = 10 bytes.
    let g = "ab\u{3b1}cd";
    assert_eq!(
        transcode(g, Utf8, Compact),
        (
            vec![(0, 0, 2, 6), (1, 6, 2, 12), (1, 12, 2, 10)],
            5 | UTF16_TAG
        )
    );
    // From utf16 (5 units): grown to exactly 10 bytes, so no shrink.
    assert_eq!(
        transcode(g, Utf16, Compact),
        (vec![(0, 0, 2, 5), (1, 5, 2, 10)], 5 | UTF16_TAG)
    );
    // From a UTF-16-tagged latin1+utf16 string: copied as UTF-16 and kept.
    assert_eq!(
        transcode(g, Compact, Compact),
        (vec![(0, 0, 2, 10)], 5 | UTF16_TAG)
    );
    // A non-BMP character: utf8 -> utf16 is 4 bytes -> 2 units.
    assert_eq!(
        transcode("\u{1F600}", Utf8, Utf16),
        (vec![(0, 0, 2, 8), (1, 8, 2, 4)], 2)
    );
}

/// A latin1+utf16 guest may store a string that fits Latin-1 as UTF-16; lowering it
/// into another latin1+utf16 guest narrows it in place and shrinks the block.
#[test]
fn utf16_tagged_latin1_text_is_narrowed() {
    let mut mem = VecMemory::new();
    put(&mut mem, 8, &[b'h', 0, 0xe9, 0]);
    let lifted = lift_with(
        StringEncoding::CompactUtf16,
        &mut mem,
        &Type::string(),
        &i32s(&[8, 2 | UTF16_TAG]),
    )
    .unwrap();
    let mut b = VecMemory::new();
    let mut res = NoResources;
    let mut cx = Cx::new(&mut b, opts(StringEncoding::CompactUtf16), &mut res);
    let flat = lower_flat(&mut cx, &lifted, &Type::string()).unwrap();
    let [CoreVal::I32(p), CoreVal::I32(len)] = flat[..] else {
        panic!()
    };
    assert_eq!(len, 2);
    assert_eq!(b.log, vec![(0, 0, 2, 4), (8, 4, 1, 2)]);
    assert_eq!(&b.bytes[p as usize..p as usize + 2], &[b'h', 0xe9]);
}

#[test]
fn resource_traps() {
    let own = Type::own(1);
    let borrow = Type::borrow(1);
    let mut mem = VecMemory::new();
    let mut table = HandleTable::new();
    let lift = |table: &mut HandleTable, mem: &mut VecMemory, ty: &Type, h: u32| {
        lift_flat(
            &mut Cx::new(mem, Options::default(), table),
            ty,
            &mut FlatIter::new(&i32s(&[h])),
        )
    };
    assert_eq!(
        lift(&mut table, &mut mem, &own, 0),
        Err(Trap::UnknownHandle(0))
    );
    assert_eq!(
        lift(&mut table, &mut mem, &own, 5),
        Err(Trap::UnknownHandle(5))
    );
    let h = table.new_own(2, 40);
    assert_eq!(
        lift(&mut table, &mut mem, &own, h),
        Err(Trap::WrongResourceType {
            handle: h,
            expected: 1,
            found: 2
        })
    );
    // Lending an own handle for a call: it cannot move or be dropped until the call ends.
    let h = table.new_own(1, 41);
    assert_eq!(lift(&mut table, &mut mem, &borrow, h), Ok(Val::Borrow(41)));
    assert_eq!(
        lift(&mut table, &mut mem, &own, h),
        Err(Trap::HandleLent(h))
    );
    assert_eq!(table.drop_handle(1, h), Err(Trap::HandleLent(h)));
    table.end_call_as_caller();
    assert_eq!(lift(&mut table, &mut mem, &own, h), Ok(Val::Own(41)));
    assert_eq!(
        lift(&mut table, &mut mem, &own, h),
        Err(Trap::UnknownHandle(h))
    );
    // A borrow handle is not an own.
    let b = table.lower_borrow(1, 42).unwrap();
    assert_eq!(
        lift(&mut table, &mut mem, &own, b),
        Err(Trap::NotAnOwnHandle(b))
    );
    // The callee must drop the borrows it received before returning.
    assert_eq!(table.end_call_as_callee(), Err(Trap::BorrowsOutstanding(1)));
    assert_eq!(table.drop_handle(1, b), Ok(42));
    assert_eq!(table.end_call_as_callee(), Ok(()));
}

#[test]
fn handles_round_trip_through_the_table() {
    let ty = Type::tuple([Type::own(7), Type::borrow(7)]).unwrap();
    let mut mem = VecMemory::new();
    let mut table = HandleTable::new();
    let mut cx = Cx::new(&mut mem, Options::default(), &mut table);
    let v = Val::Tuple(vec![Val::Own(100), Val::Borrow(200)]);
    let flat = lower_flat(&mut cx, &v, &ty).unwrap();
    // Index 0 is never a handle: the first two are 1 and 2.
    assert_eq!(flat, i32s(&[1, 2]));
    assert_eq!(lift_flat(&mut cx, &ty, &mut FlatIter::new(&flat)), Ok(v));
    // The own moved out; the borrow stays until dropped.
    assert_eq!(table.len(), 1);
    assert_eq!(table.rep(7, 2), Ok(200));
}
