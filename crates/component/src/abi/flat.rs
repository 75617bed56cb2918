//! `lift_flat`/`lower_flat`: values as sequences of core values, for calls.

use alloc::vec::Vec;

use super::cases::{
    case_payload, check_discriminant, flags_word, make_case, match_case, unpack_flags,
};
use super::load::{char_from_u32, f32_from_bits, f64_from_bits, load_list_from_range};
use super::store::store_list_into_range;
use super::string::{load_string, store_string_into_range};
use super::{type_mismatch, CoreVal, Cx, Memory, Trap};
use crate::layout::CoreType;
use crate::resources::Resources;
use crate::types::{Type, TypeKind};
use crate::values::Val;

/// Where `lift_flat` takes core values from, one at a time, each of the core type the
/// flat form says comes next.
pub trait FlatSource {
    fn next(&mut self, want: CoreType) -> Result<CoreVal, Trap>;
}

/// The spec's `CoreValueIter` over a slice: each value must be of the wanted core type
/// ([`Trap::FlatMismatch`] otherwise, or when the slice runs out).
#[derive(Clone, Debug)]
pub struct FlatIter<'a> {
    vals: &'a [CoreVal],
    pos: usize,
}

impl<'a> FlatIter<'a> {
    pub fn new(vals: &'a [CoreVal]) -> Self {
        FlatIter { vals, pos: 0 }
    }

    /// The values not taken yet.
    pub fn rest(&self) -> &'a [CoreVal] {
        &self.vals[self.pos..]
    }
}

fn core_type(v: CoreVal) -> CoreType {
    match v {
        CoreVal::I32(_) => CoreType::I32,
        CoreVal::I64(_) => CoreType::I64,
        CoreVal::F32(_) => CoreType::F32,
        CoreVal::F64(_) => CoreType::F64,
    }
}

impl FlatSource for FlatIter<'_> {
    fn next(&mut self, want: CoreType) -> Result<CoreVal, Trap> {
        let v = *self.vals.get(self.pos).ok_or(Trap::FlatMismatch)?;
        if core_type(v) != want {
            return Err(Trap::FlatMismatch);
        }
        self.pos += 1;
        Ok(v)
    }
}

fn next_i32(src: &mut dyn FlatSource) -> Result<u32, Trap> {
    match src.next(CoreType::I32)? {
        CoreVal::I32(x) => Ok(x as u32),
        _ => Err(Trap::FlatMismatch),
    }
}

fn next_i64(src: &mut dyn FlatSource) -> Result<u64, Trap> {
    match src.next(CoreType::I64)? {
        CoreVal::I64(x) => Ok(x as u64),
        _ => Err(Trap::FlatMismatch),
    }
}

/// The spec's `CoerceValueIter`: a variant's payload is lifted from the joined flat
/// types, each value converted back to the type the payload's own flat form wants.
struct Coerce<'s> {
    inner: &'s mut dyn FlatSource,
    joined: &'s [CoreType],
    pos: usize,
}

impl FlatSource for Coerce<'_> {
    fn next(&mut self, want: CoreType) -> Result<CoreVal, Trap> {
        let have = *self.joined.get(self.pos).ok_or(Trap::FlatMismatch)?;
        self.pos += 1;
        let x = self.inner.next(have)?;
        // Floats are kept as bits: lifting the f32/f64 canonicalizes NaNs afterwards,
        // which is what `decode_i32_as_float` does here in the spec.
        Ok(match (have, want, x) {
            (CoreType::I32, CoreType::F32, CoreVal::I32(i)) => CoreVal::F32(i as u32),
            (CoreType::I64, CoreType::I32, CoreVal::I64(i)) => CoreVal::I32(i as i32),
            (CoreType::I64, CoreType::F32, CoreVal::I64(i)) => CoreVal::F32(i as u32),
            (CoreType::I64, CoreType::F64, CoreVal::I64(i)) => CoreVal::F64(i as u64),
            _ if have == want => x,
            _ => return Err(Trap::FlatMismatch),
        })
    }
}

/// `lift_flat`: a value of type `ty` from core values.
pub fn lift_flat<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ty: &Type,
    src: &mut dyn FlatSource,
) -> Result<Val, Trap> {
    Ok(match ty.kind() {
        TypeKind::Bool => Val::Bool(next_i32(src)? != 0),
        TypeKind::U8 => Val::U8(next_i32(src)? as u8),
        TypeKind::S8 => Val::S8(next_i32(src)? as i8),
        TypeKind::U16 => Val::U16(next_i32(src)? as u16),
        TypeKind::S16 => Val::S16(next_i32(src)? as i16),
        TypeKind::U32 => Val::U32(next_i32(src)?),
        TypeKind::S32 => Val::S32(next_i32(src)? as i32),
        TypeKind::U64 => Val::U64(next_i64(src)?),
        TypeKind::S64 => Val::S64(next_i64(src)? as i64),
        TypeKind::F32 => match src.next(CoreType::F32)? {
            CoreVal::F32(b) => Val::F32(f32_from_bits(b)),
            _ => return Err(Trap::FlatMismatch),
        },
        TypeKind::F64 => match src.next(CoreType::F64)? {
            CoreVal::F64(b) => Val::F64(f64_from_bits(b)),
            _ => return Err(Trap::FlatMismatch),
        },
        TypeKind::Char => Val::Char(char_from_u32(next_i32(src)?)?),
        TypeKind::String => {
            let ptr = next_i32(src)?;
            let tagged = next_i32(src)?;
            Val::String(load_string(cx, ptr, tagged)?)
        }
        TypeKind::List(elem) => {
            let ptr = next_i32(src)?;
            let len = next_i32(src)?;
            load_list_from_range(cx, elem, ptr, len)?
        }
        TypeKind::FixedList(elem, n) => {
            let mut out = Vec::with_capacity(*n as usize);
            for _ in 0..*n {
                out.push(lift_flat(cx, elem, src)?);
            }
            Val::List(out)
        }
        TypeKind::Record(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for f in fields.iter() {
                out.push((f.name.clone(), lift_flat(cx, &f.ty, src)?));
            }
            Val::Record(out)
        }
        TypeKind::Tuple(ts) => {
            let mut out = Vec::with_capacity(ts.len());
            for t in ts.iter() {
                out.push(lift_flat(cx, t, src)?);
            }
            Val::Tuple(out)
        }
        TypeKind::Variant(_)
        | TypeKind::Enum(_)
        | TypeKind::Option(_)
        | TypeKind::Result { .. } => {
            let index = next_i32(src)?;
            let i = check_discriminant(ty, index)?;
            let joined = &ty.layout().flat[1..];
            let mut coerce = Coerce {
                inner: src,
                joined,
                pos: 0,
            };
            let payload = match case_payload(ty, i) {
                Some(t) => Some(lift_flat(cx, t, &mut coerce)?),
                None => None,
            };
            let used = coerce.pos;
            for &have in &joined[used..] {
                src.next(have)?;
            }
            make_case(ty, i, payload)
        }
        TypeKind::Flags(labels) => {
            let words = (0..ty.layout().flat.len())
                .map(|_| next_i32(src))
                .collect::<Result<Vec<u32>, Trap>>()?;
            Val::Flags(unpack_flags(labels, |w| words[w]))
        }
        TypeKind::Own(r) => {
            let h = next_i32(src)?;
            Val::Own(cx.resources.lift_own(*r, h)?)
        }
        TypeKind::Borrow(r) => {
            let h = next_i32(src)?;
            Val::Borrow(cx.resources.lift_borrow(*r, h)?)
        }
        TypeKind::Stream(_) | TypeKind::Future(_) | TypeKind::ErrorContext => {
            let h = next_i32(src)?;
            async_val(ty, cx.resources.lift_async(ty, h)?)
        }
    })
}

/// The value of async type `ty` (a stream, future or error context) with store id `id`.
pub(crate) fn async_val(ty: &Type, id: u32) -> Val {
    match ty.kind() {
        TypeKind::Stream(_) => Val::Stream(id),
        TypeKind::Future(_) => Val::Future(id),
        _ => Val::ErrorContext(id),
    }
}

/// A zero of a core type: the padding of a variant's flat form after a shorter payload.
fn zero(t: CoreType) -> CoreVal {
    match t {
        CoreType::I32 => CoreVal::I32(0),
        CoreType::I64 => CoreVal::I64(0),
        CoreType::F32 => CoreVal::F32(0),
        CoreType::F64 => CoreVal::F64(0),
    }
}

/// `lower_flat`, appending to `out`.
pub fn lower_flat_into<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    val: &Val,
    ty: &Type,
    out: &mut Vec<CoreVal>,
) -> Result<(), Trap> {
    match (ty.kind(), val) {
        (TypeKind::Bool, Val::Bool(b)) => out.push(CoreVal::I32(i32::from(*b))),
        (TypeKind::U8, Val::U8(x)) => out.push(CoreVal::I32(i32::from(*x))),
        (TypeKind::S8, Val::S8(x)) => out.push(CoreVal::I32(i32::from(*x))),
        (TypeKind::U16, Val::U16(x)) => out.push(CoreVal::I32(i32::from(*x))),
        (TypeKind::S16, Val::S16(x)) => out.push(CoreVal::I32(i32::from(*x))),
        (TypeKind::U32, Val::U32(x)) => out.push(CoreVal::I32(*x as i32)),
        (TypeKind::S32, Val::S32(x)) => out.push(CoreVal::I32(*x)),
        (TypeKind::U64, Val::U64(x)) => out.push(CoreVal::I64(*x as i64)),
        (TypeKind::S64, Val::S64(x)) => out.push(CoreVal::I64(*x)),
        (TypeKind::F32, Val::F32(x)) => out.push(CoreVal::F32(x.to_bits())),
        (TypeKind::F64, Val::F64(x)) => out.push(CoreVal::F64(x.to_bits())),
        (TypeKind::Char, Val::Char(c)) => out.push(CoreVal::I32(u32::from(*c) as i32)),
        (TypeKind::String, Val::String(s)) => {
            let (ptr, tagged) = store_string_into_range(cx, s)?;
            out.extend([CoreVal::I32(ptr as i32), CoreVal::I32(tagged as i32)]);
        }
        (TypeKind::List(elem), Val::List(vs)) => {
            let (ptr, len) = store_list_into_range(cx, vs, elem)?;
            out.extend([CoreVal::I32(ptr as i32), CoreVal::I32(len as i32)]);
        }
        (TypeKind::FixedList(elem, n), Val::List(vs)) => {
            if vs.len() != *n as usize {
                return Err(type_mismatch(ty));
            }
            for v in vs {
                lower_flat_into(cx, v, elem, out)?;
            }
        }
        (TypeKind::Record(fields), Val::Record(vs)) => {
            if vs.len() != fields.len() {
                return Err(type_mismatch(ty));
            }
            for (f, (name, v)) in fields.iter().zip(vs) {
                if f.name != *name {
                    return Err(type_mismatch(ty));
                }
                lower_flat_into(cx, v, &f.ty, out)?;
            }
        }
        (TypeKind::Tuple(ts), Val::Tuple(vs)) => {
            if vs.len() != ts.len() {
                return Err(type_mismatch(ty));
            }
            for (t, v) in ts.iter().zip(vs) {
                lower_flat_into(cx, v, t, out)?;
            }
        }
        (
            TypeKind::Variant(_)
            | TypeKind::Enum(_)
            | TypeKind::Option(_)
            | TypeKind::Result { .. },
            _,
        ) => {
            let (index, payload) = match_case(val, ty)?;
            out.push(CoreVal::I32(index as i32));
            let joined = &ty.layout().flat[1..];
            let start = out.len();
            let mut used = 0;
            if let Some((v, t)) = payload {
                lower_flat_into(cx, v, t, out)?;
                used = out.len() - start;
                for (slot, &want) in out[start..].iter_mut().zip(joined) {
                    *slot = match (*slot, want) {
                        (CoreVal::F32(b), CoreType::I32) => CoreVal::I32(b as i32),
                        (CoreVal::I32(x), CoreType::I64) => CoreVal::I64(i64::from(x as u32)),
                        (CoreVal::F32(b), CoreType::I64) => CoreVal::I64(i64::from(b)),
                        (CoreVal::F64(b), CoreType::I64) => CoreVal::I64(b as i64),
                        (v, _) => v,
                    };
                }
            }
            out.extend(joined[used..].iter().map(|&t| zero(t)));
        }
        (TypeKind::Flags(labels), Val::Flags(set)) => {
            let words = ty.layout().flat.len();
            if words == 0 {
                flags_word(set, labels, 0, ty)?;
            }
            for w in 0..words {
                out.push(CoreVal::I32(flags_word(set, labels, w, ty)? as i32));
            }
        }
        (TypeKind::Own(r), Val::Own(rep)) => {
            out.push(CoreVal::I32(cx.resources.lower_own(*r, *rep)? as i32));
        }
        // The host may lend a handle it owns for a `borrow` parameter.
        (TypeKind::Borrow(r), Val::Borrow(rep) | Val::Own(rep)) => {
            out.push(CoreVal::I32(cx.resources.lower_borrow(*r, *rep)? as i32));
        }
        (TypeKind::Stream(_), Val::Stream(id))
        | (TypeKind::Future(_), Val::Future(id))
        | (TypeKind::ErrorContext, Val::ErrorContext(id)) => {
            out.push(CoreVal::I32(cx.resources.lower_async(ty, *id)? as i32));
        }
        _ => return Err(type_mismatch(ty)),
    }
    Ok(())
}

/// `lower_flat`: the core values carrying `val` of type `ty`.
pub fn lower_flat<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    val: &Val,
    ty: &Type,
) -> Result<Vec<CoreVal>, Trap> {
    let mut out = Vec::with_capacity(ty.layout().flat.len());
    lower_flat_into(cx, val, ty, &mut out)?;
    Ok(out)
}
