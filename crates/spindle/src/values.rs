//! Values as the embedder sees them: numbers, and references that know their store.
//!
//! The interpreter keeps values as register bits (`spindle_exec::Val` names store entities
//! by bare index); here every reference to a store entity carries the store's id, so that
//! one given to another store is caught (with a panic that says so) instead of naming
//! whatever that store has at the same index.

use spindle_exec::gc::RefKind;

use crate::func::Func;
use crate::store::check_store;

/// A WebAssembly value.
///
/// ```
/// use spindle::Val;
/// let v = Val::from(1.5f32);
/// assert_eq!(v, Val::F32(1.5f32.to_bits()));
/// assert_eq!(v.f32(), Some(1.5));
/// assert_eq!(Val::I32(7).unwrap_i32(), 7);
/// assert_eq!(Val::I32(7).i64(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// The bits of an `f32` (NaN payloads survive; `f32::from_bits` gives the number).
    F32(u32),
    /// The bits of an `f64`.
    F64(u64),
    /// A `v128`, little-endian lanes from the low bits.
    V128(u128),
    /// A function reference, or null.
    FuncRef(Option<Func>),
    /// A host reference (a number the host chose), or null.
    ExternRef(Option<u32>),
    /// A reference of the `any` hierarchy (struct, array, `i31`, or a host reference made
    /// an `anyref`), or an `externref` made of one; or null.
    AnyRef(Option<AnyRef>),
    /// An exception reference, or null.
    ExnRef(Option<ExnRef>),
}

impl Val {
    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(x) => Some(*x),
            _ => None,
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(x) => Some(*x),
            _ => None,
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        match self {
            Val::F32(x) => Some(f32::from_bits(*x)),
            _ => None,
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Val::F64(x) => Some(f64::from_bits(*x)),
            _ => None,
        }
    }

    /// The `i32`; panics if this is not one.
    #[track_caller]
    pub fn unwrap_i32(&self) -> i32 {
        self.i32().expect("the value is not an i32")
    }

    /// The `i64`; panics if this is not one.
    #[track_caller]
    pub fn unwrap_i64(&self) -> i64 {
        self.i64().expect("the value is not an i64")
    }

    /// The `f32`; panics if this is not one.
    #[track_caller]
    pub fn unwrap_f32(&self) -> f32 {
        self.f32().expect("the value is not an f32")
    }

    /// The `f64`; panics if this is not one.
    #[track_caller]
    pub fn unwrap_f64(&self) -> f64 {
        self.f64().expect("the value is not an f64")
    }

    /// The function reference, if this is one (`Some(None)` for a null one).
    pub fn funcref(&self) -> Option<Option<&Func>> {
        match self {
            Val::FuncRef(f) => Some(f.as_ref()),
            _ => None,
        }
    }

    /// The function reference (`None` for a null one); panics if this is not a function
    /// reference.
    #[track_caller]
    pub fn unwrap_funcref(&self) -> Option<&Func> {
        self.funcref().expect("the value is not a funcref")
    }

    /// A null `funcref`.
    pub fn null_func_ref() -> Val {
        Val::FuncRef(None)
    }

    /// A null `externref`.
    pub fn null_extern_ref() -> Val {
        Val::ExternRef(None)
    }

    /// A null `anyref`.
    pub fn null_any_ref() -> Val {
        Val::AnyRef(None)
    }

    /// The interpreter's form of the value. Panics if a reference belongs to another store.
    #[track_caller]
    pub(crate) fn to_exec(self, store: u64) -> spindle_exec::Val {
        use spindle_exec::Val as E;
        match self {
            Val::I32(x) => E::I32(x),
            Val::I64(x) => E::I64(x),
            Val::F32(x) => E::F32(x),
            Val::F64(x) => E::F64(x),
            Val::V128(x) => E::V128(x),
            Val::FuncRef(f) => E::FuncRef(f.map(|f| f.index(store))),
            Val::ExternRef(r) => E::ExternRef(r),
            Val::AnyRef(r) => E::AnyRef(r.map(|r| r.to_exec(store))),
            Val::ExnRef(r) => E::ExnRef(r.map(|r| {
                check_store(r.store, store);
                r.bits
            })),
        }
    }

    /// The embedder's form of an interpreter value of store `store`.
    pub(crate) fn from_exec(v: spindle_exec::Val, store: u64) -> Val {
        use spindle_exec::Val as E;
        match v {
            E::I32(x) => Val::I32(x),
            E::I64(x) => Val::I64(x),
            E::F32(x) => Val::F32(x),
            E::F64(x) => Val::F64(x),
            E::V128(x) => Val::V128(x),
            E::FuncRef(f) => Val::FuncRef(f.map(|index| Func::from_index(store, index))),
            E::ExternRef(r) => Val::ExternRef(r),
            E::AnyRef(r) => Val::AnyRef(r.map(|r| AnyRef::from_exec(r, store))),
            E::ExnRef(r) => Val::ExnRef(r.map(|bits| ExnRef { store, bits })),
        }
    }
}

impl From<i32> for Val {
    fn from(x: i32) -> Val {
        Val::I32(x)
    }
}
impl From<i64> for Val {
    fn from(x: i64) -> Val {
        Val::I64(x)
    }
}
impl From<f32> for Val {
    fn from(x: f32) -> Val {
        Val::F32(x.to_bits())
    }
}
impl From<f64> for Val {
    fn from(x: f64) -> Val {
        Val::F64(x.to_bits())
    }
}
impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

/// A non-null reference of the `any` hierarchy: a struct or array of a store's GC heap, an
/// `i31`, or a host reference made an `anyref`.
///
/// A struct or array stays alive while Wasm code, a global, a table, an exception or a
/// host root ([`Store::gc_root`](crate::Store::gc_root)) holds it; one the host alone keeps
/// past a collection goes stale (detected: using it fails).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AnyRef {
    /// The store of a heap object (0 for `i31` and host references, which are plain values
    /// any store accepts).
    store: u64,
    bits: u64,
}

impl AnyRef {
    /// The `i31` of the low 31 bits of `v`.
    pub fn i31(v: i32) -> AnyRef {
        AnyRef {
            store: 0,
            bits: spindle_exec::AnyRef::i31(v).0,
        }
    }

    /// Host reference number `n` as an `anyref`.
    pub fn host(n: u32) -> AnyRef {
        AnyRef {
            store: 0,
            bits: spindle_exec::AnyRef::host(n).0,
        }
    }

    /// The reference's bits as the interpreter encodes them (for tests of forged
    /// references: the store refuses bits that name no live object).
    #[doc(hidden)]
    pub fn to_raw(self) -> u64 {
        self.bits
    }

    /// A reference from raw bits, of no particular store: every use checks that the bits
    /// name a live object (see [`AnyRef::to_raw`]).
    #[doc(hidden)]
    pub fn from_raw(bits: u64) -> AnyRef {
        AnyRef { store: 0, bits }
    }

    /// What the reference is.
    pub fn kind(self) -> RefKind {
        spindle_exec::gc::kind(self.bits)
    }

    /// The interpreter's form; panics if the object belongs to another store.
    #[track_caller]
    pub(crate) fn to_exec(self, store: u64) -> spindle_exec::AnyRef {
        if self.store != 0 {
            check_store(self.store, store);
        }
        spindle_exec::AnyRef(self.bits)
    }

    pub(crate) fn from_exec(r: spindle_exec::AnyRef, store: u64) -> AnyRef {
        let heap = matches!(
            spindle_exec::gc::kind(r.0),
            RefKind::Struct | RefKind::Array
        );
        AnyRef {
            store: if heap { store } else { 0 },
            bits: r.0,
        }
    }
}

/// A non-null exception reference: an exception the store holds. The collector frees
/// exceptions no Wasm code, global, table, object or other exception references (as it
/// frees structs and arrays): one the host alone keeps past a collection goes stale, and
/// passing it back in fails (detected by the reference's generation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ExnRef {
    pub(crate) store: u64,
    pub(crate) bits: u64,
}

/// A `v128` for typed functions ([`WasmTy`](crate::WasmTy)); [`Val::V128`] holds the same
/// bits as a `u128`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct V128(u128);

impl V128 {
    /// The 128 bits.
    pub fn as_u128(self) -> u128 {
        self.0
    }
}

impl From<u128> for V128 {
    fn from(x: u128) -> V128 {
        V128(x)
    }
}

/// A non-null `externref` for typed functions: the number the host chose for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ExternRef(pub u32);
