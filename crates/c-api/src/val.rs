//! `wasm_val_t` and its conversions to and from Spindle's values.
//!
//! A function reference travels as a `wasm_ref_t` of the function. An `externref` is any
//! reference object the embedder passes (a foreign object, a function, ...): Spindle's
//! `externref` is a number, the index of that object in the store's table
//! ([`StoreData::externrefs`]), and it comes back out as a new handle of the same object.

use crate::refs::{wasm_ref_t, RefObject, What};
use crate::store::{wasm_store_t, StoreData};
use crate::types::{
    valkind, SPINDLE_OTHERREF, WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64,
};
use crate::vec::{declare_vec, Elem, Vector};
use spindle::{AbstractHeapType, HeapType, Val, ValType};
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    pub i32: i32,
    pub i64: i64,
    pub f32: f32,
    pub f64: f64,
    pub ref_: *mut wasm_ref_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_val_t {
    pub kind: u8,
    pub of: wasm_val_union,
}

impl wasm_val_t {
    fn is_ref(&self) -> bool {
        self.kind >= WASM_EXTERNREF
    }

    pub fn null(kind: u8) -> Self {
        wasm_val_t {
            kind,
            of: wasm_val_union {
                ref_: std::ptr::null_mut(),
            },
        }
    }
}

impl Elem for wasm_val_t {
    fn blank() -> Self {
        wasm_val_t {
            kind: WASM_I64,
            of: wasm_val_union { i64: 0 },
        }
    }
    fn deep_copy(&self) -> Self {
        let mut out = wasm_val_t::blank();
        // SAFETY: `self` is an initialised value of this library's making or the
        // embedder's (whose reference, if any, is a live handle).
        unsafe { wasm_val_copy(&mut out, self) };
        out
    }
    fn release(mut self) {
        // SAFETY: as above; the value is released once.
        unsafe { wasm_val_delete(&mut self) }
    }
}

pub type wasm_val_vec_t = Vector<wasm_val_t>;
declare_vec!(
    wasm_val_vec_t,
    wasm_val_t,
    wasm_val_vec_new_empty,
    wasm_val_vec_new_uninitialized,
    wasm_val_vec_new,
    wasm_val_vec_copy,
    wasm_val_vec_delete
);

/// Releases the reference a value owns (numbers own nothing).
#[no_mangle]
pub unsafe extern "C" fn wasm_val_delete(v: *mut wasm_val_t) {
    // SAFETY: `v` is a live value; a reference in it is an owned handle or null.
    let v = unsafe { &mut *v };
    if v.is_ref() {
        let r = unsafe { v.of.ref_ };
        if !r.is_null() {
            unsafe { crate::refs::wasm_ref_delete(r) };
            v.of.ref_ = std::ptr::null_mut();
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_val_copy(out: *mut wasm_val_t, v: *const wasm_val_t) {
    // SAFETY: `v` is live and `out` writable; a reference is copied to a new handle.
    let v = unsafe { *v };
    let mut copy = v;
    if v.is_ref() {
        let r = unsafe { v.of.ref_ };
        if !r.is_null() {
            copy.of.ref_ = unsafe { crate::refs::wasm_ref_copy(r) };
        }
    }
    unsafe { out.write(copy) }
}

/// What does not convert.
pub struct Unrepresentable(pub String);

fn hierarchy(ty: &ValType) -> Option<AbstractHeapType> {
    let ValType::Ref(r) = ty else { return None };
    Some(match r.heap {
        HeapType::Abstract(AbstractHeapType::Func | AbstractHeapType::NoFunc) => {
            AbstractHeapType::Func
        }
        HeapType::Abstract(AbstractHeapType::Extern | AbstractHeapType::NoExtern) => {
            AbstractHeapType::Extern
        }
        HeapType::Abstract(AbstractHeapType::Exn | AbstractHeapType::NoExn) => {
            AbstractHeapType::Exn
        }
        _ => AbstractHeapType::Any,
    })
}

/// Spindle's value of the C value `v`, which must be of type `ty`; an `externref`'s object
/// is entered in the store's table.
///
/// # Safety
/// A reference in `v` is null or a live handle.
pub unsafe fn to_val(
    store: *mut wasm_store_t,
    data: &mut StoreData,
    v: &wasm_val_t,
    ty: &ValType,
) -> Result<Val, Unrepresentable> {
    let kind = valkind(ty);
    if v.kind != kind || kind == SPINDLE_OTHERREF {
        return Err(Unrepresentable(format!(
            "a value of kind {} where {ty:?} is expected",
            v.kind
        )));
    }
    // SAFETY: the union is read by its kind.
    Ok(unsafe {
        match v.kind {
            WASM_I32 => Val::I32(v.of.i32),
            WASM_I64 => Val::I64(v.of.i64),
            WASM_F32 => Val::F32(v.of.f32.to_bits()),
            WASM_F64 => Val::F64(v.of.f64.to_bits()),
            _ => {
                let r = v.of.ref_.as_ref();
                // A store's entity used with another store is refused here (Spindle's
                // handles panic on it, and a panic cannot cross into C).
                if r.is_some_and(|r| r.r.what.extern_().is_some() && r.r.store != store) {
                    return Err(Unrepresentable("a reference of another store".into()));
                }
                let what = r.map(|r| &r.r.what);
                match (hierarchy(ty), what) {
                    (Some(AbstractHeapType::Func), None) => Val::FuncRef(None),
                    (Some(AbstractHeapType::Func), Some(What::Func(f))) => Val::FuncRef(Some(*f)),
                    (Some(AbstractHeapType::Extern), None) => Val::ExternRef(None),
                    (Some(AbstractHeapType::Extern), Some(w)) => {
                        Val::ExternRef(Some(externref_index(data, w)))
                    }
                    _ => {
                        return Err(Unrepresentable(
                            "a reference of another kind than the type's".into(),
                        ))
                    }
                }
            }
        }
    })
}

/// The `externref` number of object `w`: its index in the store's table, entered once
/// (by identity), so passing the same object again does not grow the table.
fn externref_index(data: &mut StoreData, w: &What) -> u32 {
    let key = identity(w);
    if let Some(&i) = data.externref_index.get(&key) {
        return i;
    }
    let i = data.externrefs.len() as u32;
    data.externref_index.insert(key, i);
    data.externrefs.push(w.clone());
    i
}

/// What makes an object itself: a store entity's handle, or the shared allocation of a
/// module, trap or foreign object (kept alive by the table, so the address stays its own).
fn identity(w: &What) -> ObjectKey {
    match w {
        What::Module(m) => ObjectKey::Shared(Arc::as_ptr(m) as *const () as usize),
        What::Trap(t) => ObjectKey::Shared(Arc::as_ptr(t) as *const () as usize),
        What::Foreign(f) => ObjectKey::Shared(Arc::as_ptr(f) as *const () as usize),
        other => ObjectKey::Entity(
            other
                .entity_key()
                .expect("the remaining kinds are store entities"),
        ),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKey {
    Entity(crate::refs::EntityKey),
    Shared(usize),
}

/// The C value of `v` (a reference becomes a new handle, owned by whoever receives it).
pub fn from_val(
    store: *mut wasm_store_t,
    data: &StoreData,
    v: &Val,
) -> Result<wasm_val_t, Unrepresentable> {
    let r = |what: Option<What>, kind| {
        let mut out = wasm_val_t::null(kind);
        if let Some(w) = what {
            out.of.ref_ = RefObject::boxed(store, w);
        }
        out
    };
    Ok(match v {
        Val::I32(x) => wasm_val_t {
            kind: WASM_I32,
            of: crate::val::wasm_val_union { i32: *x },
        },
        Val::I64(x) => wasm_val_t {
            kind: WASM_I64,
            of: wasm_val_union { i64: *x },
        },
        Val::F32(x) => wasm_val_t {
            kind: WASM_F32,
            of: wasm_val_union {
                f32: f32::from_bits(*x),
            },
        },
        Val::F64(x) => wasm_val_t {
            kind: WASM_F64,
            of: wasm_val_union {
                f64: f64::from_bits(*x),
            },
        },
        Val::FuncRef(f) => r(f.map(What::Func), WASM_FUNCREF),
        Val::ExternRef(None) => r(None, WASM_EXTERNREF),
        Val::ExternRef(Some(i)) => match data.externrefs.get(*i as usize) {
            Some(w) => r(Some(w.clone()), WASM_EXTERNREF),
            None => return Err(Unrepresentable(format!("externref {i} of another host"))),
        },
        Val::AnyRef(None) | Val::ExnRef(None) => r(None, SPINDLE_OTHERREF),
        Val::V128(_) => return Err(Unrepresentable("a v128 value".into())),
        Val::AnyRef(Some(_)) | Val::ExnRef(Some(_)) => {
            return Err(Unrepresentable("a GC or exception reference".into()))
        }
    })
}
