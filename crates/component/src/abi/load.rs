//! `load`: reading a value of a type out of linear memory.

use alloc::vec::Vec;

use super::cases::{check_discriminant, make_case, unpack_flags};
use super::string::load_string;
use super::{check_align, check_bounds, check_range, of, Cx, Memory, PtrOf, Trap};
use crate::resources::Resources;
use crate::types::{Type, TypeKind};
use crate::values::Val;

const CANONICAL_NAN32: u32 = 0x7fc0_0000;
const CANONICAL_NAN64: u64 = 0x7ff8_0000_0000_0000;

/// `decode_i32_as_float`: NaNs are canonicalized when lifted.
pub(crate) fn f32_from_bits(bits: u32) -> f32 {
    let f = f32::from_bits(bits);
    if f.is_nan() {
        f32::from_bits(CANONICAL_NAN32)
    } else {
        f
    }
}

/// `decode_i64_as_float`.
pub(crate) fn f64_from_bits(bits: u64) -> f64 {
    let f = f64::from_bits(bits);
    if f.is_nan() {
        f64::from_bits(CANONICAL_NAN64)
    } else {
        f
    }
}

/// `convert_i32_to_char`: surrogates and values past 0x10FFFF trap.
pub(crate) fn char_from_u32(i: u32) -> Result<char, Trap> {
    char::from_u32(i).ok_or(Trap::InvalidChar(i))
}

pub(crate) fn read<const N: usize>(mem: &[u8], ptr: u32) -> [u8; N] {
    let p = ptr as usize;
    mem[p..p + N]
        .try_into()
        .expect("range checked by the caller")
}

pub(crate) fn read_u32(mem: &[u8], ptr: u32) -> u32 {
    u32::from_le_bytes(read(mem, ptr))
}

/// Loads `ty` at `ptr`. Traps if `ptr` is misaligned for `ty` or the value is out of
/// bounds (the spec asserts these, as its callers have checked; here the caller may be
/// anyone), and on every trap the value's contents can cause.
pub fn load<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ty: &Type,
    ptr: u32,
) -> Result<Val, Trap> {
    let l = ty.layout();
    check_range(cx.memory, ptr, l.align, u64::from(l.size))?;
    load_valid(cx, ty, ptr)
}

/// Decodes elements of a scalar type from `bytes` into `out` in one pass; `false` if
/// the element type is not a scalar (then nothing is pushed).
fn load_scalars(kind: &TypeKind, bytes: &[u8], out: &mut Vec<Val>) -> Result<bool, Trap> {
    macro_rules! each {
        ($n:literal, $f:expr) => {{
            for c in bytes.chunks_exact($n) {
                let a: [u8; $n] = c.try_into().expect("chunks_exact");
                out.push($f(a)?);
            }
        }};
    }
    match kind {
        TypeKind::Bool => each!(1, |a: [u8; 1]| Ok::<_, Trap>(Val::Bool(a[0] != 0))),
        TypeKind::U8 => out.extend(bytes.iter().map(|&b| Val::U8(b))),
        TypeKind::S8 => out.extend(bytes.iter().map(|&b| Val::S8(b as i8))),
        TypeKind::U16 => each!(2, |a| Ok::<_, Trap>(Val::U16(u16::from_le_bytes(a)))),
        TypeKind::S16 => each!(2, |a| Ok::<_, Trap>(Val::S16(i16::from_le_bytes(a)))),
        TypeKind::U32 => each!(4, |a| Ok::<_, Trap>(Val::U32(u32::from_le_bytes(a)))),
        TypeKind::S32 => each!(4, |a| Ok::<_, Trap>(Val::S32(i32::from_le_bytes(a)))),
        TypeKind::U64 => each!(8, |a| Ok::<_, Trap>(Val::U64(u64::from_le_bytes(a)))),
        TypeKind::S64 => each!(8, |a| Ok::<_, Trap>(Val::S64(i64::from_le_bytes(a)))),
        TypeKind::F32 => each!(4, |a| Ok::<_, Trap>(Val::F32(f32_from_bits(
            u32::from_le_bytes(a)
        )))),
        TypeKind::F64 => each!(8, |a| Ok::<_, Trap>(Val::F64(f64_from_bits(
            u64::from_le_bytes(a)
        )))),
        TypeKind::Char => each!(4, |a| char_from_u32(u32::from_le_bytes(a)).map(Val::Char)),
        _ => return Ok(false),
    }
    Ok(true)
}

/// `load_list_from_valid_range`: `len` elements at `ptr`, whose range has been checked.
pub(crate) fn load_elements<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    elem: &Type,
    ptr: u32,
    len: u32,
) -> Result<Vec<Val>, Trap> {
    let size = elem.layout().size;
    let mut out = Vec::with_capacity(len as usize);
    let start = ptr as usize;
    let end = start + size as usize * len as usize;
    if load_scalars(elem.kind(), &cx.memory.bytes()[start..end], &mut out)? {
        return Ok(out);
    }
    for i in 0..len {
        out.push(load_valid(cx, elem, ptr + i * size)?);
    }
    Ok(out)
}

/// `load_list_from_range`: checks the element range read from the guest.
pub(crate) fn load_list_from_range<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    elem: &Type,
    ptr: u32,
    len: u32,
) -> Result<Val, Trap> {
    let l = elem.layout();
    check_align(ptr, l.align)?;
    of(
        PtrOf::List,
        check_bounds(
            cx.memory.bytes().len(),
            ptr,
            u64::from(len) * u64::from(l.size),
        ),
    )?;
    Ok(Val::List(load_elements(cx, elem, ptr, len)?))
}

/// `load` after its (asserted) checks: `ptr` is aligned and `ty` fits in memory there.
pub fn load_valid<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ty: &Type,
    ptr: u32,
) -> Result<Val, Trap> {
    let mem = cx.memory.bytes();
    Ok(match ty.kind() {
        TypeKind::Bool => Val::Bool(read::<1>(mem, ptr)[0] != 0),
        TypeKind::U8 => Val::U8(read::<1>(mem, ptr)[0]),
        TypeKind::S8 => Val::S8(read::<1>(mem, ptr)[0] as i8),
        TypeKind::U16 => Val::U16(u16::from_le_bytes(read(mem, ptr))),
        TypeKind::S16 => Val::S16(i16::from_le_bytes(read(mem, ptr))),
        TypeKind::U32 => Val::U32(read_u32(mem, ptr)),
        TypeKind::S32 => Val::S32(i32::from_le_bytes(read(mem, ptr))),
        TypeKind::U64 => Val::U64(u64::from_le_bytes(read(mem, ptr))),
        TypeKind::S64 => Val::S64(i64::from_le_bytes(read(mem, ptr))),
        TypeKind::F32 => Val::F32(f32_from_bits(read_u32(mem, ptr))),
        TypeKind::F64 => Val::F64(f64_from_bits(u64::from_le_bytes(read(mem, ptr)))),
        TypeKind::Char => Val::Char(char_from_u32(read_u32(mem, ptr))?),
        TypeKind::String => {
            let (begin, tagged) = (read_u32(mem, ptr), read_u32(mem, ptr + 4));
            Val::String(load_string(cx, begin, tagged)?)
        }
        TypeKind::List(elem) => {
            let (begin, len) = (read_u32(mem, ptr), read_u32(mem, ptr + 4));
            load_list_from_range(cx, elem, begin, len)?
        }
        TypeKind::FixedList(elem, n) => Val::List(load_elements(cx, elem, ptr, *n)?),
        TypeKind::Record(fields) => {
            let offsets = ty.layout().field_offsets.clone();
            let mut out = Vec::with_capacity(fields.len());
            for (f, off) in fields.iter().zip(offsets.iter()) {
                out.push((f.name.clone(), load_valid(cx, &f.ty, ptr + off)?));
            }
            Val::Record(out)
        }
        TypeKind::Tuple(ts) => {
            let offsets = ty.layout().field_offsets.clone();
            let mut out = Vec::with_capacity(ts.len());
            for (t, off) in ts.iter().zip(offsets.iter()) {
                out.push(load_valid(cx, t, ptr + off)?);
            }
            Val::Tuple(out)
        }
        TypeKind::Variant(_)
        | TypeKind::Enum(_)
        | TypeKind::Option(_)
        | TypeKind::Result { .. } => {
            let l = ty.layout();
            let index = match l.discriminant_size {
                1 => u32::from(read::<1>(mem, ptr)[0]),
                2 => u32::from(u16::from_le_bytes(read(mem, ptr))),
                _ => read_u32(mem, ptr),
            };
            let i = check_discriminant(ty, index)?;
            let payload = match super::cases::case_payload(ty, i) {
                Some(t) => Some(load_valid(cx, t, ptr + l.payload_offset)?),
                None => None,
            };
            make_case(ty, i, payload)
        }
        TypeKind::Flags(labels) => {
            let size = ty.layout().size;
            Val::Flags(unpack_flags(labels, |w| match size {
                1 => u32::from(read::<1>(mem, ptr)[0]),
                2 => u32::from(u16::from_le_bytes(read(mem, ptr))),
                _ => read_u32(mem, ptr + 4 * w as u32),
            }))
        }
        TypeKind::Own(r) => {
            let h = read_u32(mem, ptr);
            Val::Own(cx.resources.lift_own(*r, h)?)
        }
        TypeKind::Borrow(r) => {
            let h = read_u32(mem, ptr);
            Val::Borrow(cx.resources.lift_borrow(*r, h)?)
        }
        TypeKind::Stream(_) | TypeKind::Future(_) | TypeKind::ErrorContext => {
            let h = read_u32(mem, ptr);
            super::flat::async_val(ty, cx.resources.lift_async(ty, h)?)
        }
    })
}
