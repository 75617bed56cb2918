//! Dynamic component values, and the check of a value against a type.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Deref;

use crate::abi::StringEncoding;
use crate::types::{Type, TypeKind};

/// Where a lifted string came from: the encoding of the memory it was read out of and the
/// tagged code-unit count read there. Lowering it again into a guest follows the spec's
/// transcoding for that source encoding, including the sizes it asks `realloc` for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StringOrigin {
    pub encoding: StringEncoding,
    pub tagged_code_units: u32,
}

/// A string value. Strings made by the host have no origin and count as UTF-8; strings
/// lifted from a guest remember their [`StringOrigin`]. Equality compares the text only.
#[derive(Clone, Debug)]
pub struct StringVal {
    text: String,
    origin: Option<StringOrigin>,
}

impl StringVal {
    /// A lifted string. `origin` must describe `text` (the lifting code guarantees it).
    pub(crate) fn lifted(text: String, origin: StringOrigin) -> StringVal {
        StringVal {
            text,
            origin: Some(origin),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }

    /// The guest encoding this string was lifted from, if it was.
    pub fn origin(&self) -> Option<StringOrigin> {
        self.origin
    }
}

impl PartialEq for StringVal {
    fn eq(&self, other: &StringVal) -> bool {
        self.text == other.text
    }
}

impl Deref for StringVal {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<String> for StringVal {
    fn from(text: String) -> StringVal {
        StringVal { text, origin: None }
    }
}

impl From<&str> for StringVal {
    fn from(text: &str) -> StringVal {
        StringVal {
            text: text.into(),
            origin: None,
        }
    }
}

/// A component value.
///
/// Fixed-length lists are `List`s of the right length. Handles hold the number the
/// [`crate::Resources`] hooks give and take (a representation, or a host table index).
#[derive(Clone, Debug)]
pub enum Val {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Char(char),
    String(StringVal),
    List(Vec<Val>),
    Record(Vec<(String, Val)>),
    Tuple(Vec<Val>),
    Variant(String, Option<Box<Val>>),
    Enum(String),
    Option(Option<Box<Val>>),
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// The labels that are set.
    Flags(Vec<String>),
    Own(u32),
    Borrow(u32),
    /// A stream's readable end, by the store's id of the stream (what the implementation
    /// puts here, as for handles).
    Stream(u32),
    /// A future's readable end, by the store's id of the future.
    Future(u32),
    /// An error context, by the store's id.
    ErrorContext(u32),
}

impl Val {
    pub fn string(s: impl Into<StringVal>) -> Val {
        Val::String(s.into())
    }
}

fn float_eq32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn float_eq64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Structural equality, where any NaN equals any NaN (lifting canonicalizes NaNs, so a
/// round trip keeps NaN-ness, not payloads), `-0.0` differs from `0.0`, and flags compare
/// as sets.
impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::S8(a), Val::S8(b)) => a == b,
            (Val::U8(a), Val::U8(b)) => a == b,
            (Val::S16(a), Val::S16(b)) => a == b,
            (Val::U16(a), Val::U16(b)) => a == b,
            (Val::S32(a), Val::S32(b)) => a == b,
            (Val::U32(a), Val::U32(b)) => a == b,
            (Val::S64(a), Val::S64(b)) => a == b,
            (Val::U64(a), Val::U64(b)) => a == b,
            (Val::F32(a), Val::F32(b)) => float_eq32(*a, *b),
            (Val::F64(a), Val::F64(b)) => float_eq64(*a, *b),
            (Val::Char(a), Val::Char(b)) => a == b,
            (Val::String(a), Val::String(b)) => a == b,
            (Val::List(a), Val::List(b)) | (Val::Tuple(a), Val::Tuple(b)) => a == b,
            (Val::Record(a), Val::Record(b)) => a == b,
            (Val::Variant(a, x), Val::Variant(b, y)) => a == b && x == y,
            (Val::Enum(a), Val::Enum(b)) => a == b,
            (Val::Option(a), Val::Option(b)) => a == b,
            (Val::Result(a), Val::Result(b)) => a == b,
            (Val::Flags(a), Val::Flags(b)) => a.len() == b.len() && a.iter().all(|l| b.contains(l)),
            (Val::Own(a), Val::Own(b))
            | (Val::Borrow(a), Val::Borrow(b))
            | (Val::Stream(a), Val::Stream(b))
            | (Val::Future(a), Val::Future(b))
            | (Val::ErrorContext(a), Val::ErrorContext(b)) => a == b,
            _ => false,
        }
    }
}

/// Where a value does not fit a type: a path of field/case/element steps and what the
/// type wanted there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeMismatch {
    pub path: String,
    pub expected: String,
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "value does not have type {}", self.expected)
        } else {
            write!(
                f,
                "value at {} does not have type {}",
                self.path, self.expected
            )
        }
    }
}

fn mismatch(path: &str, ty: &Type) -> TypeMismatch {
    TypeMismatch {
        path: path.into(),
        expected: alloc::format!("{ty}"),
    }
}

fn check_opt(
    v: &Option<Box<Val>>,
    t: &Option<Type>,
    path: &str,
    whole: &Type,
) -> Result<(), TypeMismatch> {
    match (v, t) {
        (None, None) => Ok(()),
        (Some(v), Some(t)) => check(v, t, path),
        _ => Err(mismatch(path, whole)),
    }
}

fn check(val: &Val, ty: &Type, path: &str) -> Result<(), TypeMismatch> {
    let ok = match (val, ty.kind()) {
        (Val::Bool(_), TypeKind::Bool)
        | (Val::S8(_), TypeKind::S8)
        | (Val::U8(_), TypeKind::U8)
        | (Val::S16(_), TypeKind::S16)
        | (Val::U16(_), TypeKind::U16)
        | (Val::S32(_), TypeKind::S32)
        | (Val::U32(_), TypeKind::U32)
        | (Val::S64(_), TypeKind::S64)
        | (Val::U64(_), TypeKind::U64)
        | (Val::F32(_), TypeKind::F32)
        | (Val::F64(_), TypeKind::F64)
        | (Val::Char(_), TypeKind::Char)
        | (Val::String(_), TypeKind::String)
        | (Val::Own(_), TypeKind::Own(_))
        | (Val::Borrow(_) | Val::Own(_), TypeKind::Borrow(_))
        | (Val::Stream(_), TypeKind::Stream(_))
        | (Val::Future(_), TypeKind::Future(_))
        | (Val::ErrorContext(_), TypeKind::ErrorContext) => true,
        (Val::List(vs), TypeKind::List(t)) => {
            for (i, v) in vs.iter().enumerate() {
                check(v, t, &alloc::format!("{path}[{i}]"))?;
            }
            true
        }
        (Val::List(vs), TypeKind::FixedList(t, n)) => {
            if vs.len() != *n as usize {
                return Err(mismatch(path, ty));
            }
            for (i, v) in vs.iter().enumerate() {
                check(v, t, &alloc::format!("{path}[{i}]"))?;
            }
            true
        }
        (Val::Record(vs), TypeKind::Record(fields)) => {
            if vs.len() != fields.len() {
                return Err(mismatch(path, ty));
            }
            for ((name, v), f) in vs.iter().zip(fields.iter()) {
                if *name != f.name {
                    return Err(mismatch(path, ty));
                }
                check(v, &f.ty, &alloc::format!("{path}.{name}"))?;
            }
            true
        }
        (Val::Tuple(vs), TypeKind::Tuple(ts)) => {
            if vs.len() != ts.len() {
                return Err(mismatch(path, ty));
            }
            for (i, (v, t)) in vs.iter().zip(ts.iter()).enumerate() {
                check(v, t, &alloc::format!("{path}.{i}"))?;
            }
            true
        }
        (Val::Variant(name, v), TypeKind::Variant(cases)) => {
            let Some(c) = cases.iter().find(|c| c.name == *name) else {
                return Err(mismatch(path, ty));
            };
            check_opt(v, &c.ty, &alloc::format!("{path}#{name}"), ty)?;
            true
        }
        (Val::Enum(name), TypeKind::Enum(labels)) => labels.contains(name),
        (Val::Option(v), TypeKind::Option(t)) => {
            if let Some(v) = v {
                check(v, t, &alloc::format!("{path}#some"))?;
            }
            true
        }
        (Val::Result(r), TypeKind::Result { ok, err }) => {
            match r {
                Ok(v) => check_opt(v, ok, &alloc::format!("{path}#ok"), ty)?,
                Err(v) => check_opt(v, err, &alloc::format!("{path}#err"), ty)?,
            }
            true
        }
        (Val::Flags(set), TypeKind::Flags(labels)) => set.iter().all(|l| labels.contains(l)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(mismatch(path, ty))
    }
}

impl Val {
    /// Whether this value has type `ty`, all the way down.
    pub fn type_check(&self, ty: &Type) -> Result<(), TypeMismatch> {
        check(self, ty, "")
    }
}
