//! Typed component values and functions: Rust values in, Rust values out, checked against
//! the component types once (when a [`TypedFunc`] is made, or a typed host function is
//! linked), in wasmtime's shape.
//!
//! Three traits, as wasmtime splits them: [`ComponentType`] (which component types a Rust
//! type stands for), [`Lower`] (a Rust value to a component value) and [`Lift`] (back).
//! `&str` and `&[T]` lower but do not lift; `String` and `Vec<T>` do both. Records,
//! variants and enums get them from `#[derive(ComponentType, Lift, Lower)]` with
//! `#[component(record)]` (`variant`, `enum`); flags from [`super::flags!`]. Values cross
//! through the dynamic [`Val`]: the canonical ABI's lifting and lowering is one code
//! whichever way a function is called.

use crate::prelude::*;
use core::marker::PhantomData;

use spindle_component::abi::{self as abi, FlatSource};
use spindle_component::{
    CoreType, CoreVal, Cx, FlatIter, FuncType, Memory as AbiMemory, ResourceId, Resources,
    Trap as AbiTrap, Type, TypeKind, Val,
};

use super::{components_of as components_of_store, Func};
use crate::store::AsContextMut;
use crate::{Error, Result};

/// A Rust type with a component value type.
pub trait ComponentType {
    /// Whether `ty` is a component type this Rust type stands for.
    fn typecheck(ty: &Type) -> bool;
}

/// The canonical ABI's context as typed lifting and lowering see it: the guest's memory
/// and `realloc`, the options, the handle hooks.
#[doc(hidden)]
pub type AbiCx<'a> = Cx<'a, dyn AbiMemory + 'a, dyn Resources + 'a>;

/// A canonical ABI trap as the embedder's error.
pub fn abi_trap(t: AbiTrap) -> Error {
    Error::msg(format!("canonical ABI: {t}"))
}

/// A Rust value that can be passed to a component (lowered).
///
/// Besides [`Lower::to_val`], the hidden methods lower straight into core values or guest
/// memory (no [`Val`] built); their defaults go through `to_val`, and the common types
/// (numbers, strings, lists, records, tuples) implement them directly.
pub trait Lower: ComponentType {
    /// The value as a component value.
    fn to_val(&self) -> Val;

    /// `lower_flat`: appends the core values of `self` as a `ty`.
    #[doc(hidden)]
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        abi::lower_flat_into(cx, &self.to_val(), ty, out)
    }

    /// `store` at `ptr`, whose range (`ty`'s size and alignment) has been checked.
    #[doc(hidden)]
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        abi::store_valid(cx, &self.to_val(), ty, ptr)
    }

    /// `store` of each of `items` (a list's elements, of type `elem`) from `ptr` on, in a
    /// checked range. Numbers override it to write the whole block at once (`list<u8>`
    /// is how bytes cross: streams, files, sockets).
    #[doc(hidden)]
    fn store_many(items: &[Self], cx: &mut AbiCx<'_>, elem: &Type, ptr: u32) -> Result<(), AbiTrap>
    where
        Self: Sized,
    {
        let size = elem.layout().size;
        for (i, item) in items.iter().enumerate() {
            item.store(cx, elem, ptr + i as u32 * size)?;
        }
        Ok(())
    }
}

/// A Rust value that can be received from a component (lifted).
///
/// As with [`Lower`], the hidden methods lift straight from core values or memory; their
/// defaults go through [`Lift::from_val`].
pub trait Lift: ComponentType + Sized {
    /// The value from a component value `v` of type `ty` (a type [`ComponentType::typecheck`]
    /// accepted).
    fn from_val(v: Val, ty: &Type) -> Result<Self>;

    /// `lift_flat`: a `ty` from core values.
    #[doc(hidden)]
    fn lift_flat(cx: &mut AbiCx<'_>, ty: &Type, src: &mut FlatIter<'_>) -> Result<Self> {
        let v = abi::lift_flat(cx, ty, src).map_err(abi_trap)?;
        Self::from_val(v, ty)
    }

    /// `load` from `ptr`, whose range has been checked.
    #[doc(hidden)]
    fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let v = abi::load_valid(cx, ty, ptr).map_err(abi_trap)?;
        Self::from_val(v, ty)
    }

    /// `len` elements of type `elem` from `ptr` on, in a checked range (numbers read the
    /// block at once).
    #[doc(hidden)]
    fn load_many(cx: &mut AbiCx<'_>, elem: &Type, ptr: u32, len: u32) -> Result<Vec<Self>> {
        let size = elem.layout().size;
        (0..len)
            .map(|i| Self::load(cx, elem, ptr + i * size))
            .collect()
    }
}

fn kind_mismatch(ty: &Type) -> AbiTrap {
    AbiTrap::TypeMismatch {
        expected: format!("{ty}"),
    }
}

/// The `N` bytes at `ptr` (in range by the caller's check; an error, never a panic, if not).
fn read_bytes<const N: usize>(cx: &AbiCx<'_>, ptr: u32) -> Result<[u8; N], AbiTrap> {
    cx.memory
        .bytes()
        .get(ptr as usize..ptr as usize + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(AbiTrap::OutOfBounds { ptr, len: N as u64 })
}

fn write_bytes(cx: &mut AbiCx<'_>, ptr: u32, bytes: &[u8]) -> Result<(), AbiTrap> {
    cx.memory
        .bytes_mut()
        .get_mut(ptr as usize..ptr as usize + bytes.len())
        .ok_or(AbiTrap::OutOfBounds {
            ptr,
            len: bytes.len() as u64,
        })?
        .copy_from_slice(bytes);
    Ok(())
}

fn next_i32(src: &mut FlatIter<'_>) -> Result<i32, AbiTrap> {
    match src.next(CoreType::I32)? {
        CoreVal::I32(x) => Ok(x),
        _ => Err(AbiTrap::FlatMismatch),
    }
}

fn mismatch<T: ?Sized>(v: &Val) -> Error {
    Error::msg(format!(
        "component value {v:?} is not a {}",
        core::any::type_name::<T>()
    ))
}

macro_rules! primitive {
    ($($t:ty => $kind:ident, $core:ident, $n:literal,
        |$x:ident| $to_core:expr, |$c:ident| $from_core:expr,
        |$b:ident| $from_bytes:expr);* $(;)?) => { $(
        impl ComponentType for $t {
            fn typecheck(ty: &Type) -> bool {
                matches!(ty.kind(), TypeKind::$kind)
            }
        }
        impl Lower for $t {
            fn to_val(&self) -> Val {
                Val::$kind(*self)
            }
            fn lower_flat(&self, _: &mut AbiCx<'_>, ty: &Type, out: &mut Vec<CoreVal>) -> Result<(), AbiTrap> {
                if !matches!(ty.kind(), TypeKind::$kind) {
                    return Err(kind_mismatch(ty));
                }
                let $x = *self;
                out.push(CoreVal::$core($to_core));
                Ok(())
            }
            fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
                if !matches!(ty.kind(), TypeKind::$kind) {
                    return Err(kind_mismatch(ty));
                }
                let $x = *self;
                let $c = $to_core;
                write_bytes(cx, ptr, &$c.to_le_bytes()[..$n])
            }
            fn store_many(items: &[Self], cx: &mut AbiCx<'_>, elem: &Type, ptr: u32) -> Result<(), AbiTrap> {
                if !matches!(elem.kind(), TypeKind::$kind) {
                    return Err(kind_mismatch(elem));
                }
                let len = items.len() as u64 * $n;
                let dst = cx
                    .memory
                    .bytes_mut()
                    .get_mut(ptr as usize..(u64::from(ptr) + len) as usize)
                    .ok_or(AbiTrap::OutOfBounds { ptr, len })?;
                for (chunk, item) in dst.chunks_exact_mut($n).zip(items) {
                    let $x = *item;
                    let $c = $to_core;
                    chunk.copy_from_slice(&$c.to_le_bytes()[..$n]);
                }
                Ok(())
            }
        }
        impl Lift for $t {
            fn from_val(v: Val, _: &Type) -> Result<Self> {
                match v {
                    Val::$kind(x) => Ok(x),
                    other => Err(mismatch::<$t>(&other)),
                }
            }
            fn lift_flat(_: &mut AbiCx<'_>, ty: &Type, src: &mut FlatIter<'_>) -> Result<Self> {
                if !matches!(ty.kind(), TypeKind::$kind) {
                    return Err(abi_trap(kind_mismatch(ty)));
                }
                match src.next(CoreType::$core).map_err(abi_trap)? {
                    CoreVal::$core($c) => $from_core,
                    _ => Err(abi_trap(AbiTrap::FlatMismatch)),
                }
            }
            fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
                if !matches!(ty.kind(), TypeKind::$kind) {
                    return Err(abi_trap(kind_mismatch(ty)));
                }
                let $b = read_bytes::<$n>(cx, ptr).map_err(abi_trap)?;
                $from_bytes
            }
            fn load_many(cx: &mut AbiCx<'_>, elem: &Type, ptr: u32, len: u32) -> Result<Vec<Self>> {
                if !matches!(elem.kind(), TypeKind::$kind) {
                    return Err(abi_trap(kind_mismatch(elem)));
                }
                let bytes = u64::from(len) * $n;
                let src = cx
                    .memory
                    .bytes()
                    .get(ptr as usize..(u64::from(ptr) + bytes) as usize)
                    .ok_or_else(|| abi_trap(AbiTrap::OutOfBounds { ptr, len: bytes }))?;
                let mut out = Vec::with_capacity(len as usize);
                for chunk in src.chunks_exact($n) {
                    let $b: [u8; $n] = chunk.try_into().unwrap_or([0; $n]);
                    let item: Result<Self> = $from_bytes;
                    out.push(item?);
                }
                Ok(out)
            }
        }
    )* };
}

fn char_of(i: u32) -> Result<char> {
    char::from_u32(i).ok_or_else(|| abi_trap(AbiTrap::InvalidChar(i)))
}

primitive!(
    bool => Bool, I32, 1, |x| i32::from(x), |c| Ok(c != 0), |b| Ok(b[0] != 0);
    i8 => S8, I32, 1, |x| i32::from(x), |c| Ok(c as i8), |b| Ok(b[0] as i8);
    u8 => U8, I32, 1, |x| i32::from(x), |c| Ok(c as u8), |b| Ok(b[0]);
    i16 => S16, I32, 2, |x| i32::from(x), |c| Ok(c as i16), |b| Ok(i16::from_le_bytes(b));
    u16 => U16, I32, 2, |x| i32::from(x), |c| Ok(c as u16), |b| Ok(u16::from_le_bytes(b));
    i32 => S32, I32, 4, |x| x, |c| Ok(c), |b| Ok(i32::from_le_bytes(b));
    u32 => U32, I32, 4, |x| x as i32, |c| Ok(c as u32), |b| Ok(u32::from_le_bytes(b));
    i64 => S64, I64, 8, |x| x, |c| Ok(c), |b| Ok(i64::from_le_bytes(b));
    u64 => U64, I64, 8, |x| x as i64, |c| Ok(c as u64), |b| Ok(u64::from_le_bytes(b));
    f32 => F32, F32, 4, |x| x.to_bits(), |c| Ok(f32::from_bits(c)), |b| Ok(f32::from_le_bytes(b));
    f64 => F64, F64, 8, |x| x.to_bits(), |c| Ok(f64::from_bits(c)), |b| Ok(f64::from_le_bytes(b));
    char => Char, I32, 4, |x| u32::from(x) as i32, |c| char_of(c as u32), |b| char_of(u32::from_le_bytes(b));
);

impl<T: ComponentType + ?Sized> ComponentType for &T {
    fn typecheck(ty: &Type) -> bool {
        T::typecheck(ty)
    }
}
impl<T: Lower + ?Sized> Lower for &T {
    fn to_val(&self) -> Val {
        (**self).to_val()
    }
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        (**self).lower_flat(cx, ty, out)
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        (**self).store(cx, ty, ptr)
    }
}

impl<T: ComponentType + ?Sized> ComponentType for Box<T> {
    fn typecheck(ty: &Type) -> bool {
        T::typecheck(ty)
    }
}
impl<T: Lower + ?Sized> Lower for Box<T> {
    fn to_val(&self) -> Val {
        (**self).to_val()
    }
}
impl<T: Lift> Lift for Box<T> {
    fn from_val(v: Val, ty: &Type) -> Result<Self> {
        T::from_val(v, ty).map(Box::new)
    }
}

impl ComponentType for str {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::String)
    }
}
impl Lower for str {
    fn to_val(&self) -> Val {
        Val::string(self)
    }
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        if !matches!(ty.kind(), TypeKind::String) {
            return Err(kind_mismatch(ty));
        }
        let (ptr, len) = abi::store_str(cx, self)?;
        out.push(CoreVal::I32(ptr as i32));
        out.push(CoreVal::I32(len as i32));
        Ok(())
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        if !matches!(ty.kind(), TypeKind::String) {
            return Err(kind_mismatch(ty));
        }
        let (p, len) = abi::store_str(cx, self)?;
        write_bytes(cx, ptr, &p.to_le_bytes())?;
        write_bytes(cx, ptr + 4, &len.to_le_bytes())
    }
}

impl ComponentType for String {
    fn typecheck(ty: &Type) -> bool {
        str::typecheck(ty)
    }
}
impl Lower for String {
    fn to_val(&self) -> Val {
        Val::string(self.as_str())
    }
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        self.as_str().lower_flat(cx, ty, out)
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        self.as_str().store(cx, ty, ptr)
    }
}
impl Lift for String {
    fn from_val(v: Val, _: &Type) -> Result<Self> {
        match v {
            Val::String(s) => Ok(s.into_string()),
            other => Err(mismatch::<String>(&other)),
        }
    }
    fn lift_flat(cx: &mut AbiCx<'_>, ty: &Type, src: &mut FlatIter<'_>) -> Result<Self> {
        if !matches!(ty.kind(), TypeKind::String) {
            return Err(abi_trap(kind_mismatch(ty)));
        }
        let ptr = next_i32(src).map_err(abi_trap)? as u32;
        let len = next_i32(src).map_err(abi_trap)? as u32;
        Ok(abi::load_string(cx, ptr, len)
            .map_err(abi_trap)?
            .into_string())
    }
    fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        if !matches!(ty.kind(), TypeKind::String) {
            return Err(abi_trap(kind_mismatch(ty)));
        }
        let p = u32::from_le_bytes(read_bytes(cx, ptr).map_err(abi_trap)?);
        let len = u32::from_le_bytes(read_bytes(cx, ptr + 4).map_err(abi_trap)?);
        Ok(abi::load_string(cx, p, len)
            .map_err(abi_trap)?
            .into_string())
    }
}

/// The element type of a list type (or of a fixed-length one).
fn list_elem(ty: &Type) -> Option<&Type> {
    match ty.kind() {
        TypeKind::List(e) | TypeKind::FixedList(e, _) => Some(e),
        _ => None,
    }
}

impl<T: ComponentType> ComponentType for [T] {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::List(e) if T::typecheck(e))
    }
}
impl<T: Lower> Lower for [T] {
    fn to_val(&self) -> Val {
        Val::List(self.iter().map(T::to_val).collect())
    }
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        let (ptr, len) = store_list(self, cx, ty)?;
        out.push(CoreVal::I32(ptr as i32));
        out.push(CoreVal::I32(len as i32));
        Ok(())
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        let (p, len) = store_list(self, cx, ty)?;
        write_bytes(cx, ptr, &p.to_le_bytes())?;
        write_bytes(cx, ptr + 4, &len.to_le_bytes())
    }
}

/// `store_list_into_range`: the elements in a block from `realloc`; its pointer and length.
fn store_list<T: Lower>(items: &[T], cx: &mut AbiCx<'_>, ty: &Type) -> Result<(u32, u32), AbiTrap> {
    let TypeKind::List(elem) = ty.kind() else {
        return Err(kind_mismatch(ty));
    };
    let l = elem.layout();
    let byte_length = items.len() as u64 * u64::from(l.size);
    let len = u32::try_from(items.len()).map_err(|_| AbiTrap::ListTooLong { byte_length })?;
    let size = u32::try_from(byte_length).map_err(|_| AbiTrap::ListTooLong { byte_length })?;
    let ptr = cx.memory.realloc(0, 0, l.align, size)?;
    abi::check_range(cx.memory, ptr, l.align, byte_length)?;
    T::store_many(items, cx, elem, ptr)?;
    Ok((ptr, len))
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> bool {
        <[T]>::typecheck(ty)
    }
}
impl<T: Lower> Lower for Vec<T> {
    fn to_val(&self) -> Val {
        self.as_slice().to_val()
    }
    fn lower_flat(
        &self,
        cx: &mut AbiCx<'_>,
        ty: &Type,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap> {
        self.as_slice().lower_flat(cx, ty, out)
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        self.as_slice().store(cx, ty, ptr)
    }
}
impl<T: Lift> Lift for Vec<T> {
    fn from_val(v: Val, ty: &Type) -> Result<Self> {
        let elem = list_elem(ty).ok_or_else(|| Error::msg("not a list type"))?;
        match v {
            Val::List(items) => items.into_iter().map(|v| T::from_val(v, elem)).collect(),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    fn lift_flat(cx: &mut AbiCx<'_>, ty: &Type, src: &mut FlatIter<'_>) -> Result<Self> {
        if !matches!(ty.kind(), TypeKind::List(_)) {
            return Err(abi_trap(kind_mismatch(ty)));
        }
        let ptr = next_i32(src).map_err(abi_trap)? as u32;
        let len = next_i32(src).map_err(abi_trap)? as u32;
        load_list(cx, ty, ptr, len)
    }
    fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        if !matches!(ty.kind(), TypeKind::List(_)) {
            return Err(abi_trap(kind_mismatch(ty)));
        }
        let p = u32::from_le_bytes(read_bytes(cx, ptr).map_err(abi_trap)?);
        let len = u32::from_le_bytes(read_bytes(cx, ptr + 4).map_err(abi_trap)?);
        load_list(cx, ty, p, len)
    }
}

/// `load_list_from_range`: `len` elements of list type `ty` at `ptr`.
fn load_list<T: Lift>(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32, len: u32) -> Result<Vec<T>> {
    let TypeKind::List(elem) = ty.kind() else {
        return Err(abi_trap(kind_mismatch(ty)));
    };
    let l = elem.layout();
    let byte_length = u64::from(len) * u64::from(l.size);
    abi::check_range(cx.memory, ptr, l.align, byte_length).map_err(abi_trap)?;
    T::load_many(cx, elem, ptr, len)
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Option(t) if T::typecheck(t))
    }
}
impl<T: Lower> Lower for Option<T> {
    fn to_val(&self) -> Val {
        Val::Option(self.as_ref().map(|v| Box::new(v.to_val())))
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        let TypeKind::Option(some) = ty.kind() else {
            return Err(kind_mismatch(ty));
        };
        match self {
            None => write_bytes(cx, ptr, &[0]),
            Some(v) => {
                write_bytes(cx, ptr, &[1])?;
                v.store(cx, some, ptr + ty.layout().payload_offset)
            }
        }
    }
}
impl<T: Lift> Lift for Option<T> {
    fn from_val(v: Val, ty: &Type) -> Result<Self> {
        let TypeKind::Option(some) = ty.kind() else {
            return Err(Error::msg("not an option type"));
        };
        match v {
            Val::Option(o) => o.map(|v| T::from_val(*v, some)).transpose(),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let TypeKind::Option(some) = ty.kind() else {
            return Err(abi_trap(kind_mismatch(ty)));
        };
        match read_bytes::<1>(cx, ptr).map_err(abi_trap)?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::load(cx, some, ptr + ty.layout().payload_offset)?)),
            d => Err(abi_trap(AbiTrap::InvalidDiscriminant {
                index: u32::from(d),
                cases: 2,
            })),
        }
    }
}

/// A payload of a `result` case: a value, or `()` for a case without one.
pub trait ResultCase: Sized {
    #[doc(hidden)]
    fn typecheck_case(ty: Option<&Type>) -> bool;
    #[doc(hidden)]
    fn case_to_val(&self) -> Option<Box<Val>>;
    #[doc(hidden)]
    fn case_from_val(v: Option<Box<Val>>, ty: Option<&Type>) -> Result<Self>;
    #[doc(hidden)]
    fn case_store(&self, cx: &mut AbiCx<'_>, ty: Option<&Type>, ptr: u32) -> Result<(), AbiTrap>;
    #[doc(hidden)]
    fn case_load(cx: &mut AbiCx<'_>, ty: Option<&Type>, ptr: u32) -> Result<Self>;
}

impl ResultCase for () {
    fn case_store(&self, _: &mut AbiCx<'_>, _: Option<&Type>, _: u32) -> Result<(), AbiTrap> {
        Ok(())
    }
    fn case_load(_: &mut AbiCx<'_>, _: Option<&Type>, _: u32) -> Result<Self> {
        Ok(())
    }
    fn typecheck_case(ty: Option<&Type>) -> bool {
        ty.is_none()
    }
    fn case_to_val(&self) -> Option<Box<Val>> {
        None
    }
    fn case_from_val(_: Option<Box<Val>>, _: Option<&Type>) -> Result<Self> {
        Ok(())
    }
}

impl<T: Lift + Lower> ResultCase for T {
    fn case_store(&self, cx: &mut AbiCx<'_>, ty: Option<&Type>, ptr: u32) -> Result<(), AbiTrap> {
        match ty {
            Some(t) => self.store(cx, t, ptr),
            None => Err(AbiTrap::FlatMismatch),
        }
    }
    fn case_load(cx: &mut AbiCx<'_>, ty: Option<&Type>, ptr: u32) -> Result<Self> {
        match ty {
            Some(t) => T::load(cx, t, ptr),
            None => Err(abi_trap(AbiTrap::FlatMismatch)),
        }
    }
    fn typecheck_case(ty: Option<&Type>) -> bool {
        ty.is_some_and(T::typecheck)
    }
    fn case_to_val(&self) -> Option<Box<Val>> {
        Some(Box::new(self.to_val()))
    }
    fn case_from_val(v: Option<Box<Val>>, ty: Option<&Type>) -> Result<Self> {
        match (v, ty) {
            (Some(v), Some(ty)) => T::from_val(*v, ty),
            _ => Err(Error::msg("a result case without its value")),
        }
    }
}

impl<T: ResultCase, E: ResultCase> ComponentType for core::result::Result<T, E> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Result { ok, err }
            if T::typecheck_case(ok.as_ref()) && E::typecheck_case(err.as_ref()))
    }
}
impl<T: ResultCase, E: ResultCase> Lower for core::result::Result<T, E> {
    fn to_val(&self) -> Val {
        Val::Result(match self {
            Ok(v) => Ok(v.case_to_val()),
            Err(e) => Err(e.case_to_val()),
        })
    }
    fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
        let TypeKind::Result { ok, err } = ty.kind() else {
            return Err(kind_mismatch(ty));
        };
        let payload = ptr + ty.layout().payload_offset;
        match self {
            Ok(v) => {
                write_bytes(cx, ptr, &[0])?;
                v.case_store(cx, ok.as_ref(), payload)
            }
            Err(e) => {
                write_bytes(cx, ptr, &[1])?;
                e.case_store(cx, err.as_ref(), payload)
            }
        }
    }
}
impl<T: ResultCase, E: ResultCase> Lift for core::result::Result<T, E> {
    fn from_val(v: Val, ty: &Type) -> Result<Self> {
        let TypeKind::Result { ok, err } = ty.kind() else {
            return Err(Error::msg("not a result type"));
        };
        match v {
            Val::Result(Ok(v)) => Ok(Ok(T::case_from_val(v, ok.as_ref())?)),
            Val::Result(Err(e)) => Ok(Err(E::case_from_val(e, err.as_ref())?)),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let TypeKind::Result { ok, err } = ty.kind() else {
            return Err(abi_trap(kind_mismatch(ty)));
        };
        let payload = ptr + ty.layout().payload_offset;
        match read_bytes::<1>(cx, ptr).map_err(abi_trap)?[0] {
            0 => Ok(Ok(T::case_load(cx, ok.as_ref(), payload)?)),
            1 => Ok(Err(E::case_load(cx, err.as_ref(), payload)?)),
            d => Err(abi_trap(AbiTrap::InvalidDiscriminant {
                index: u32::from(d),
                cases: 2,
            })),
        }
    }
}

/// A tuple of Rust types: a function's parameters or results.
pub trait ComponentNamedList {
    #[doc(hidden)]
    fn typecheck_list(types: &[&Type]) -> bool;
}

/// Parameters or results that lower (what a call passes to a guest, or a host function
/// returns).
#[doc(hidden)]
pub trait LowerList {
    fn lower_list(&self) -> Vec<Val>;
    /// The core values of the list as the tuple type `tuple`: flat, or when `spilled`,
    /// stored at `out_ptr` (results) or in a block from `realloc` whose pointer is the one
    /// core value (arguments).
    fn lower_typed(
        &self,
        cx: &mut AbiCx<'_>,
        tuple: &Type,
        spilled: bool,
        out_ptr: Option<u32>,
        out: &mut Vec<CoreVal>,
    ) -> Result<(), AbiTrap>;
}

/// Parameters or results that lift.
#[doc(hidden)]
pub trait LiftList: Sized {
    fn lift_list<'t>(vals: Vec<Val>, types: impl Iterator<Item = &'t Type>) -> Result<Self>;
    /// The list from core values as the tuple type `tuple` (when `spilled`, the first core
    /// value is the pointer to it in memory).
    fn lift_typed(
        cx: &mut AbiCx<'_>,
        tuple: &Type,
        spilled: bool,
        src: &mut FlatIter<'_>,
    ) -> Result<Self>;
}

fn tuple_types(tuple: &Type) -> &[Type] {
    match tuple.kind() {
        TypeKind::Tuple(ts) => ts,
        _ => &[],
    }
}

macro_rules! lists {
    ($( ($($n:ident)*) )*) => { $(
        #[allow(non_snake_case, unused_variables, unused_mut, clippy::unused_unit)]
        impl<$($n: ComponentType),*> ComponentNamedList for ($($n,)*) {
            fn typecheck_list(types: &[&Type]) -> bool {
                let mut it = types.iter();
                $( if !it.next().is_some_and(|t| $n::typecheck(t)) { return false; } )*
                it.next().is_none()
            }
        }
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
        impl<$($n: Lower),*> LowerList for ($($n,)*) {
            fn lower_list(&self) -> Vec<Val> {
                let ($($n,)*) = self;
                vec![$($n.to_val()),*]
            }
            fn lower_typed(
                &self,
                cx: &mut AbiCx<'_>,
                tuple: &Type,
                spilled: bool,
                out_ptr: Option<u32>,
                out: &mut Vec<CoreVal>,
            ) -> Result<(), AbiTrap> {
                let ($($n,)*) = self;
                let types = tuple_types(tuple);
                let mut i = 0;
                if spilled {
                    let l = tuple.layout();
                    let ptr = match out_ptr {
                        Some(p) => p,
                        None => {
                            let p = cx.memory.realloc(0, 0, l.align, l.size)?;
                            out.push(CoreVal::I32(p as i32));
                            p
                        }
                    };
                    abi::check_range(cx.memory, ptr, l.align, u64::from(l.size))?;
                    $(
                        let t = types.get(i).ok_or(AbiTrap::FlatMismatch)?;
                        $n.store(cx, t, ptr + l.field_offsets[i])?;
                        i += 1;
                    )*
                } else {
                    $(
                        let t = types.get(i).ok_or(AbiTrap::FlatMismatch)?;
                        $n.lower_flat(cx, t, out)?;
                        i += 1;
                    )*
                }
                Ok(())
            }
        }
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
        impl<$($n: Lift),*> LiftList for ($($n,)*) {
            fn lift_list<'t>(vals: Vec<Val>, types: impl Iterator<Item = &'t Type>) -> Result<Self> {
                let mut it = vals.into_iter().zip(types);
                $( let $n = {
                    let (v, t) = it.next().ok_or_else(|| Error::msg("too few values"))?;
                    $n::from_val(v, t)?
                }; )*
                Ok(($($n,)*))
            }
            fn lift_typed(cx: &mut AbiCx<'_>, tuple: &Type, spilled: bool, src: &mut FlatIter<'_>) -> Result<Self> {
                let types = tuple_types(tuple);
                let mut i = 0;
                if spilled {
                    let l = tuple.layout();
                    let ptr = next_i32(src).map_err(abi_trap)? as u32;
                    abi::check_range(cx.memory, ptr, l.align, u64::from(l.size)).map_err(abi_trap)?;
                    $( let $n = {
                        let t = types.get(i).ok_or_else(|| abi_trap(AbiTrap::FlatMismatch))?;
                        let v = $n::load(cx, t, ptr + l.field_offsets[i])?;
                        i += 1;
                        v
                    }; )*
                    Ok(($($n,)*))
                } else {
                    $( let $n = {
                        let t = types.get(i).ok_or_else(|| abi_trap(AbiTrap::FlatMismatch))?;
                        let v = $n::lift_flat(cx, t, src)?;
                        i += 1;
                        v
                    }; )*
                    Ok(($($n,)*))
                }
            }
        }
    )* };
}

lists!(
    ()
    (A1)
    (A1 A2)
    (A1 A2 A3)
    (A1 A2 A3 A4)
    (A1 A2 A3 A4 A5)
    (A1 A2 A3 A4 A5 A6)
    (A1 A2 A3 A4 A5 A6 A7)
    (A1 A2 A3 A4 A5 A6 A7 A8)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15)
    (A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16)
);

/// Tuples (of one or more elements) as the component type `tuple<...>`.
macro_rules! tuples {
    ($( ($($n:ident)+) )*) => { $(
        #[allow(non_snake_case)]
        impl<$($n: ComponentType),+> ComponentType for ($($n,)+) {
            fn typecheck(ty: &Type) -> bool {
                match ty.kind() {
                    TypeKind::Tuple(ts) => {
                        let ts: Vec<&Type> = ts.iter().collect();
                        <($($n,)+) as ComponentNamedList>::typecheck_list(&ts)
                    }
                    _ => false,
                }
            }
        }
        #[allow(non_snake_case, unused_assignments)]
        impl<$($n: Lower),+> Lower for ($($n,)+) {
            fn to_val(&self) -> Val {
                Val::Tuple(self.lower_list())
            }
            fn lower_flat(&self, cx: &mut AbiCx<'_>, ty: &Type, out: &mut Vec<CoreVal>) -> Result<(), AbiTrap> {
                let TypeKind::Tuple(ts) = ty.kind() else { return Err(kind_mismatch(ty)) };
                let ($($n,)+) = self;
                let mut i = 0;
                $( $n.lower_flat(cx, ts.get(i).ok_or_else(|| kind_mismatch(ty))?, out)?; i += 1; )+
                Ok(())
            }
            fn store(&self, cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<(), AbiTrap> {
                let TypeKind::Tuple(ts) = ty.kind() else { return Err(kind_mismatch(ty)) };
                let offsets = &ty.layout().field_offsets;
                let ($($n,)+) = self;
                let mut i = 0;
                $( $n.store(cx, ts.get(i).ok_or_else(|| kind_mismatch(ty))?, ptr + offsets[i])?; i += 1; )+
                Ok(())
            }
        }
        #[allow(non_snake_case, unused_assignments)]
        impl<$($n: Lift),+> Lift for ($($n,)+) {
            fn from_val(v: Val, ty: &Type) -> Result<Self> {
                match (v, ty.kind()) {
                    (Val::Tuple(vs), TypeKind::Tuple(ts)) => Self::lift_list(vs, ts.iter()),
                    (other, _) => Err(mismatch::<Self>(&other)),
                }
            }
            fn lift_flat(cx: &mut AbiCx<'_>, ty: &Type, src: &mut FlatIter<'_>) -> Result<Self> {
                let TypeKind::Tuple(ts) = ty.kind() else { return Err(abi_trap(kind_mismatch(ty))) };
                let mut i = 0;
                $( let $n = {
                    let t = ts.get(i).ok_or_else(|| abi_trap(kind_mismatch(ty)))?;
                    i += 1;
                    $n::lift_flat(cx, t, src)?
                }; )+
                Ok(($($n,)+))
            }
            fn load(cx: &mut AbiCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
                let TypeKind::Tuple(ts) = ty.kind() else { return Err(abi_trap(kind_mismatch(ty))) };
                let offsets = ty.layout().field_offsets.clone();
                let mut i = 0;
                $( let $n = {
                    let t = ts.get(i).ok_or_else(|| abi_trap(kind_mismatch(ty)))?;
                    let v = $n::load(cx, t, ptr + offsets[i])?;
                    i += 1;
                    v
                }; )+
                Ok(($($n,)+))
            }
        }
    )* };
}

tuples!(
    (A1)
    (A1 A2)
    (A1 A2 A3)
    (A1 A2 A3 A4)
    (A1 A2 A3 A4 A5)
    (A1 A2 A3 A4 A5 A6)
    (A1 A2 A3 A4 A5 A6 A7)
    (A1 A2 A3 A4 A5 A6 A7 A8)
);

/// Whether `ty` is a function of parameters `P` and results `R` (a typed host function).
pub(crate) fn typecheck_func<P: ComponentNamedList, R: ComponentNamedList>(
    ty: &FuncType,
) -> Result<()> {
    let params: Vec<&Type> = ty.params().iter().map(|(_, t)| t).collect();
    let results: Vec<&Type> = ty.results().iter().collect();
    if P::typecheck_list(&params) && R::typecheck_list(&results) {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "the function's type is {:?} -> {:?}, not {} -> {}",
            ty.params(),
            ty.results(),
            core::any::type_name::<P>(),
            core::any::type_name::<R>()
        )))
    }
}

// ---- What the derives and `flags!` call (in `__internal`) ----

/// A [`ComponentType::typecheck`] as a value.
pub type TypeCheck = fn(&Type) -> bool;

/// A record type with exactly these fields, in order, each accepted by its check.
pub fn typecheck_record(ty: &Type, fields: &[(&str, TypeCheck)]) -> bool {
    match ty.kind() {
        TypeKind::Record(fs) => {
            fs.len() == fields.len()
                && fs
                    .iter()
                    .zip(fields)
                    .all(|(f, (name, check))| f.name == *name && check(&f.ty))
        }
        _ => false,
    }
}

/// A variant type with exactly these cases, in order (`None`: a case without payload).
pub fn typecheck_variant(ty: &Type, cases: &[(&str, Option<TypeCheck>)]) -> bool {
    match ty.kind() {
        TypeKind::Variant(cs) => {
            cs.len() == cases.len()
                && cs
                    .iter()
                    .zip(cases)
                    .all(|(c, (name, check))| match (&c.ty, check) {
                        (None, None) => c.name == *name,
                        (Some(t), Some(check)) => c.name == *name && check(t),
                        _ => false,
                    })
        }
        _ => false,
    }
}

/// An enum type with exactly these labels, in order.
pub fn typecheck_enum(ty: &Type, labels: &[&str]) -> bool {
    matches!(ty.kind(), TypeKind::Enum(ls) if ls.iter().map(String::as_str).eq(labels.iter().copied()))
}

/// A flags type with exactly these labels, in order.
pub fn typecheck_flags(ty: &Type, labels: &[&str]) -> bool {
    matches!(ty.kind(), TypeKind::Flags(ls) if ls.iter().map(String::as_str).eq(labels.iter().copied()))
}

/// The fields of record type `ty`, which has `count` of them.
pub fn record_fields(ty: &Type, count: usize) -> Result<&[spindle_component::Field], AbiTrap> {
    match ty.kind() {
        TypeKind::Record(fs) if fs.len() == count => Ok(fs),
        _ => Err(kind_mismatch(ty)),
    }
}

/// Field `index` of record value `fields` (of record type `ty`), lifted.
pub fn lift_field<F: Lift>(fields: &mut [(String, Val)], ty: &Type, index: usize) -> Result<F> {
    let TypeKind::Record(fs) = ty.kind() else {
        return Err(Error::msg("not a record type"));
    };
    let (Some((_, v)), Some(f)) = (fields.get_mut(index), fs.get(index)) else {
        return Err(Error::msg("a record value without one of its fields"));
    };
    F::from_val(core::mem::replace(v, Val::Bool(false)), &f.ty)
}

/// The payload of case `index` of variant type `ty`, lifted.
pub fn lift_variant_payload<P: Lift>(
    payload: Option<Box<Val>>,
    ty: &Type,
    index: usize,
) -> Result<P> {
    let TypeKind::Variant(cs) = ty.kind() else {
        return Err(Error::msg("not a variant type"));
    };
    match (payload, cs.get(index).and_then(|c| c.ty.as_ref())) {
        (Some(v), Some(t)) => P::from_val(*v, t),
        _ => Err(Error::msg("a variant case without its payload")),
    }
}

/// The bits of a flags value: bit `i` for label `i` of `labels` that `v` sets.
pub fn lift_flags(v: Val, labels: &[&str]) -> Result<u32> {
    match v {
        Val::Flags(set) => {
            let mut bits = 0u32;
            for name in set {
                let i = labels
                    .iter()
                    .position(|l| *l == name)
                    .ok_or_else(|| Error::msg(format!("no flag `{name}`")))?;
                bits |= 1 << i;
            }
            Ok(bits)
        }
        other => Err(mismatch::<u32>(&other)),
    }
}

// ---- Resources ----

impl<R: 'static> ComponentType for super::Resource<R> {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Own(_) | TypeKind::Borrow(_))
    }
}
impl<R: 'static> Lower for super::Resource<R> {
    fn to_val(&self) -> Val {
        // An owned handle passed where a `borrow` is expected is lent for the call.
        Val::Own(self.rep())
    }
}
impl<R: 'static> Lift for super::Resource<R> {
    fn from_val(v: Val, _: &Type) -> Result<Self> {
        match v {
            Val::Own(rep) => Ok(super::Resource::new_own(rep)),
            Val::Borrow(rep) => Ok(super::Resource::new_borrow(rep)),
            other => Err(mismatch::<Self>(&other)),
        }
    }
}

/// A resource of any type (a guest's, typically) that the host holds: its type, its
/// representation and whether the host owns it. An owned one is the host's to pass back
/// to a guest or to drop with [`ResourceAny::resource_drop`] (which runs the resource's
/// destructor); one never dropped is leaked, as in wasmtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceAny {
    resource: ResourceId,
    rep: u32,
    owned: bool,
}

impl ResourceAny {
    /// Whether the host owns it (`own<T>`), rather than borrowing it for a call.
    pub fn owned(&self) -> bool {
        self.owned
    }

    /// Drops an owned resource: the destructor of its type, if it has one, runs with its
    /// representation. Dropping a borrowed one does nothing.
    pub fn resource_drop(self, mut store: impl AsContextMut) -> Result<()> {
        if !self.owned {
            return Ok(());
        }
        let cx = store.as_context_mut();
        let dtor = components_of_store(cx.inner)
            .and_then(|c| c.resources.get(self.resource as usize))
            .ok_or_else(|| Error::msg("a resource of a type this store does not have"))?
            .dtor;
        if let Some(dtor) = dtor {
            dtor.call(&mut store, &[crate::Val::I32(self.rep as i32)], &mut [])?;
        }
        Ok(())
    }
}

impl ComponentType for ResourceAny {
    fn typecheck(ty: &Type) -> bool {
        matches!(ty.kind(), TypeKind::Own(_) | TypeKind::Borrow(_))
    }
}
impl Lower for ResourceAny {
    fn to_val(&self) -> Val {
        if self.owned {
            Val::Own(self.rep)
        } else {
            Val::Borrow(self.rep)
        }
    }
}
impl Lift for ResourceAny {
    fn from_val(v: Val, ty: &Type) -> Result<Self> {
        match (v, ty.kind()) {
            (Val::Own(rep), TypeKind::Own(resource)) => Ok(ResourceAny {
                resource: *resource,
                rep,
                owned: true,
            }),
            (Val::Borrow(rep), TypeKind::Borrow(resource)) => Ok(ResourceAny {
                resource: *resource,
                rep,
                owned: false,
            }),
            (other, _) => Err(mismatch::<Self>(&other)),
        }
    }
}

// ---- Host data for `bindgen!`'s `add_to_linker` ----

/// How `add_to_linker` functions reach the host's implementation in the store's data:
/// `D::Data<'a>` is what `host_getter` returns (wasmtime's trait of the same name).
pub trait HasData: 'static {
    /// The view of the store's data the host functions get.
    type Data<'a>;
}

/// [`HasData`] whose view is `&mut T` itself: `add_to_linker::<_, HasSelf<_>>(&mut linker,
/// |state| state)`.
pub struct HasSelf<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized + 'static> HasData for HasSelf<T> {
    type Data<'a> = &'a mut T;
}

// ---- Typed functions ----

/// A component function with its parameter and result types known to Rust.
pub struct TypedFunc<P, R> {
    func: Func,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<P, R> TypedFunc<P, R>
where
    P: ComponentNamedList,
    R: ComponentNamedList,
{
    /// The typed view of `func`, or an error naming the function's type when `P` and `R`
    /// are not its parameters and results.
    pub fn new(mut store: impl AsContextMut, func: Func) -> Result<Self> {
        typecheck_func::<P, R>(&func.ty(&mut store))?;
        Ok(TypedFunc {
            func,
            _types: PhantomData,
        })
    }

    /// The typed view of `func` without checking its type (what `bindgen!`'s code uses
    /// for functions it checked when the instance was loaded). A wrong type is not unsafe
    /// here: the call fails with an error when values do not match.
    #[doc(hidden)]
    pub fn new_unchecked(func: Func) -> Self {
        TypedFunc {
            func,
            _types: PhantomData,
        }
    }

    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R>
    where
        P: LowerList,
        R: LiftList,
    {
        let f = self.func.lifted(store.as_context_mut().inner);
        let ty = &f.ty;
        let lower = |cx: &mut AbiCx<'_>, out: &mut Vec<spindle_component::CoreVal>| {
            params
                .lower_typed(cx, ty.params_tuple(), ty.params_spilled(), None, out)
                .map_err(abi_trap)
        };
        let lift = |cx: &mut AbiCx<'_>, flat: &[spindle_component::CoreVal]| {
            let mut src = FlatIter::new(flat);
            let out = R::lift_typed(cx, ty.results_tuple(), ty.results_spilled(), &mut src)?;
            if !src.rest().is_empty() {
                return Err(abi_trap(AbiTrap::FlatMismatch));
            }
            Ok(out)
        };
        if super::concurrent::in_use(store.as_context_mut().inner) {
            // Some component of the store uses the async ABI: through the scheduler.
            return super::concurrent::call_from_host_typed(
                &mut store.as_context_mut(),
                &f,
                lower,
                lift,
            );
        }
        super::func::call_lifted_with(&mut store, &f, None, lower, lift)
    }

    /// wasmtime's second step of a call; nothing is left to do here (see
    /// [`Func::post_return`]).
    pub fn post_return(&self, store: impl AsContextMut) -> Result<()> {
        self.func.post_return(store)
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}
