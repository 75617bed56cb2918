//! `store`: writing a value of a type into linear memory, allocating with `realloc`
//! for strings and lists.

use super::cases::{flags_word, match_case};
use super::string::store_string_into_range;
use super::{check_range, of, type_mismatch, Cx, Memory, PtrOf, Trap};
use crate::resources::Resources;
use crate::types::{Type, TypeKind};
use crate::values::Val;

pub(crate) fn write(mem: &mut [u8], ptr: u32, bytes: &[u8]) {
    let p = ptr as usize;
    mem[p..p + bytes.len()].copy_from_slice(bytes);
}

/// Stores `val` (of type `ty`) at `ptr`. Traps if `ptr` is misaligned or the value does
/// not fit in memory there, and on every trap storing the contents can cause.
pub fn store<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    val: &Val,
    ty: &Type,
    ptr: u32,
) -> Result<(), Trap> {
    let l = ty.layout();
    check_range(cx.memory, ptr, l.align, u64::from(l.size))?;
    store_valid(cx, val, ty, ptr)
}

/// Encodes elements of a scalar type into `bytes` in one pass; `false` if the element
/// type is not a scalar (then nothing is written).
fn store_scalars(elem: &Type, vals: &[Val], bytes: &mut [u8]) -> Result<bool, Trap> {
    macro_rules! each {
        ($n:literal, $pat:pat => $e:expr) => {{
            for (v, c) in vals.iter().zip(bytes.chunks_exact_mut($n)) {
                match v {
                    $pat => c.copy_from_slice(&$e),
                    _ => return Err(type_mismatch(elem)),
                }
            }
        }};
    }
    match elem.kind() {
        TypeKind::Bool => each!(1, Val::Bool(b) => [u8::from(*b)]),
        TypeKind::U8 => each!(1, Val::U8(x) => [*x]),
        TypeKind::S8 => each!(1, Val::S8(x) => x.to_le_bytes()),
        TypeKind::U16 => each!(2, Val::U16(x) => x.to_le_bytes()),
        TypeKind::S16 => each!(2, Val::S16(x) => x.to_le_bytes()),
        TypeKind::U32 => each!(4, Val::U32(x) => x.to_le_bytes()),
        TypeKind::S32 => each!(4, Val::S32(x) => x.to_le_bytes()),
        TypeKind::U64 => each!(8, Val::U64(x) => x.to_le_bytes()),
        TypeKind::S64 => each!(8, Val::S64(x) => x.to_le_bytes()),
        TypeKind::F32 => each!(4, Val::F32(x) => x.to_bits().to_le_bytes()),
        TypeKind::F64 => each!(8, Val::F64(x) => x.to_bits().to_le_bytes()),
        TypeKind::Char => each!(4, Val::Char(c) => u32::from(*c).to_le_bytes()),
        _ => return Ok(false),
    }
    Ok(true)
}

/// `store_list_into_valid_range`: the elements at `ptr`, whose range has been checked.
pub(crate) fn store_elements<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    vals: &[Val],
    elem: &Type,
    ptr: u32,
) -> Result<(), Trap> {
    let size = elem.layout().size;
    let start = ptr as usize;
    let end = start + size as usize * vals.len();
    if store_scalars(elem, vals, &mut cx.memory.bytes_mut()[start..end])? {
        return Ok(());
    }
    for (i, v) in vals.iter().enumerate() {
        store_valid(cx, v, elem, ptr + i as u32 * size)?;
    }
    Ok(())
}

/// `store_list_into_range`: allocates the elements' memory with `realloc` and stores
/// them; the (pointer, length) pair.
pub(crate) fn store_list_into_range<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    vals: &[Val],
    elem: &Type,
) -> Result<(u32, u32), Trap> {
    let l = elem.layout();
    let byte_length = vals.len() as u64 * u64::from(l.size);
    if byte_length >= 1 << 32 {
        return Err(Trap::ListTooLong { byte_length });
    }
    let ptr = cx.memory.realloc(0, 0, l.align, byte_length as u32)?;
    of(
        PtrOf::ReallocList,
        check_range(cx.memory, ptr, l.align, byte_length),
    )?;
    store_elements(cx, vals, elem, ptr)?;
    Ok((ptr, vals.len() as u32))
}

/// `store` after its (asserted) checks: `ptr` is aligned and `ty` fits in memory there.
pub fn store_valid<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    val: &Val,
    ty: &Type,
    ptr: u32,
) -> Result<(), Trap> {
    macro_rules! put {
        ($bytes:expr) => {
            write(cx.memory.bytes_mut(), ptr, &$bytes)
        };
    }
    match (ty.kind(), val) {
        (TypeKind::Bool, Val::Bool(b)) => put!([u8::from(*b)]),
        (TypeKind::U8, Val::U8(x)) => put!([*x]),
        (TypeKind::S8, Val::S8(x)) => put!(x.to_le_bytes()),
        (TypeKind::U16, Val::U16(x)) => put!(x.to_le_bytes()),
        (TypeKind::S16, Val::S16(x)) => put!(x.to_le_bytes()),
        (TypeKind::U32, Val::U32(x)) => put!(x.to_le_bytes()),
        (TypeKind::S32, Val::S32(x)) => put!(x.to_le_bytes()),
        (TypeKind::U64, Val::U64(x)) => put!(x.to_le_bytes()),
        (TypeKind::S64, Val::S64(x)) => put!(x.to_le_bytes()),
        // The spec may scramble a NaN's bits on the way out; keeping them is one of the
        // allowed outcomes, and the deterministic one.
        (TypeKind::F32, Val::F32(x)) => put!(x.to_bits().to_le_bytes()),
        (TypeKind::F64, Val::F64(x)) => put!(x.to_bits().to_le_bytes()),
        (TypeKind::Char, Val::Char(c)) => put!(u32::from(*c).to_le_bytes()),
        (TypeKind::String, Val::String(s)) => {
            let (begin, tagged) = store_string_into_range(cx, s)?;
            put!(begin.to_le_bytes());
            write(cx.memory.bytes_mut(), ptr + 4, &tagged.to_le_bytes());
        }
        (TypeKind::List(elem), Val::List(vs)) => {
            let (begin, len) = store_list_into_range(cx, vs, elem)?;
            put!(begin.to_le_bytes());
            write(cx.memory.bytes_mut(), ptr + 4, &len.to_le_bytes());
        }
        (TypeKind::FixedList(elem, n), Val::List(vs)) => {
            if vs.len() != *n as usize {
                return Err(type_mismatch(ty));
            }
            store_elements(cx, vs, elem, ptr)?;
        }
        (TypeKind::Record(fields), Val::Record(vs)) => {
            if vs.len() != fields.len() {
                return Err(type_mismatch(ty));
            }
            let offsets = ty.layout().field_offsets.clone();
            for ((f, (name, v)), off) in fields.iter().zip(vs).zip(offsets.iter()) {
                if f.name != *name {
                    return Err(type_mismatch(ty));
                }
                store_valid(cx, v, &f.ty, ptr + off)?;
            }
        }
        (TypeKind::Tuple(ts), Val::Tuple(vs)) => store_tuple(cx, vs, ty, ts, ptr)?,
        (
            TypeKind::Variant(_)
            | TypeKind::Enum(_)
            | TypeKind::Option(_)
            | TypeKind::Result { .. },
            _,
        ) => {
            let (index, payload) = match_case(val, ty)?;
            let l = ty.layout();
            let mem = cx.memory.bytes_mut();
            match l.discriminant_size {
                1 => write(mem, ptr, &[index as u8]),
                2 => write(mem, ptr, &(index as u16).to_le_bytes()),
                _ => write(mem, ptr, &index.to_le_bytes()),
            }
            if let Some((v, t)) = payload {
                store_valid(cx, v, t, ptr + l.payload_offset)?;
            }
        }
        (TypeKind::Flags(labels), Val::Flags(set)) => {
            let size = ty.layout().size;
            match size {
                0 => flags_word(set, labels, 0, ty).map(drop)?,
                1 => put!([flags_word(set, labels, 0, ty)? as u8]),
                2 => put!((flags_word(set, labels, 0, ty)? as u16).to_le_bytes()),
                _ => {
                    for w in 0..size / 4 {
                        let bits = flags_word(set, labels, w as usize, ty)?;
                        write(cx.memory.bytes_mut(), ptr + 4 * w, &bits.to_le_bytes());
                    }
                }
            }
        }
        (TypeKind::Own(r), Val::Own(rep)) => {
            let h = cx.resources.lower_own(*r, *rep)?;
            put!(h.to_le_bytes());
        }
        // The host may lend a handle it owns for a `borrow` parameter.
        (TypeKind::Borrow(r), Val::Borrow(rep) | Val::Own(rep)) => {
            let h = cx.resources.lower_borrow(*r, *rep)?;
            put!(h.to_le_bytes());
        }
        (TypeKind::Stream(_), Val::Stream(id))
        | (TypeKind::Future(_), Val::Future(id))
        | (TypeKind::ErrorContext, Val::ErrorContext(id)) => {
            let h = cx.resources.lower_async(ty, *id)?;
            put!(h.to_le_bytes());
        }
        _ => return Err(type_mismatch(ty)),
    }
    Ok(())
}

/// Stores the values of a tuple type's fields at their offsets (also used for spilled
/// parameters and results, which are stored as a tuple).
pub(crate) fn store_tuple<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    vals: &[Val],
    tuple: &Type,
    types: &[Type],
    ptr: u32,
) -> Result<(), Trap> {
    if vals.len() != types.len() {
        return Err(type_mismatch(tuple));
    }
    let offsets = tuple.layout().field_offsets.clone();
    for ((v, t), off) in vals.iter().zip(types).zip(offsets.iter()) {
        store_valid(cx, v, t, ptr + off)?;
    }
    Ok(())
}
