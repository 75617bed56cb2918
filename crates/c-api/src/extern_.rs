//! Globals, tables, memories, and externs (any of them, or a tag).

use crate::refs::{ref_type, wasm_ref_t, RefObject, What};
use crate::store::{ctx, wasm_store_t};
use crate::types::{
    wasm_externtype_t, wasm_globaltype_t, wasm_memorytype_t, wasm_tabletype_t, SPINDLE_EXTERN_TAG,
    WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE,
};
use crate::val::{from_val, to_val, wasm_val_t};
use crate::vec::{declare_vec, Vector};
use spindle::{AsContext, Global, Memory, Table, Val, ValType};

ref_type!(
    wasm_global_t,
    |w| matches!(w, What::Global(_)),
    [
        wasm_global_delete,
        wasm_global_copy,
        wasm_global_same,
        wasm_global_get_host_info,
        wasm_global_set_host_info,
        wasm_global_set_host_info_with_finalizer
    ],
    wasm_global_as_ref,
    wasm_global_as_ref_const,
    wasm_ref_as_global,
    wasm_ref_as_global_const
);
ref_type!(
    wasm_table_t,
    |w| matches!(w, What::Table(_)),
    [
        wasm_table_delete,
        wasm_table_copy,
        wasm_table_same,
        wasm_table_get_host_info,
        wasm_table_set_host_info,
        wasm_table_set_host_info_with_finalizer
    ],
    wasm_table_as_ref,
    wasm_table_as_ref_const,
    wasm_ref_as_table,
    wasm_ref_as_table_const
);
ref_type!(
    wasm_memory_t,
    |w| matches!(w, What::Memory(_)),
    [
        wasm_memory_delete,
        wasm_memory_copy,
        wasm_memory_same,
        wasm_memory_get_host_info,
        wasm_memory_set_host_info,
        wasm_memory_set_host_info_with_finalizer
    ],
    wasm_memory_as_ref,
    wasm_memory_as_ref_const,
    wasm_ref_as_memory,
    wasm_ref_as_memory_const
);
ref_type!(
    wasm_extern_t,
    |w| w.extern_().is_some(),
    [
        wasm_extern_delete,
        wasm_extern_copy,
        wasm_extern_same,
        wasm_extern_get_host_info,
        wasm_extern_set_host_info,
        wasm_extern_set_host_info_with_finalizer
    ],
    wasm_extern_as_ref,
    wasm_extern_as_ref_const,
    wasm_ref_as_extern,
    wasm_ref_as_extern_const
);

/// A handle's entity, by kind (a handle of type `$t` names one of its kind).
macro_rules! entity {
    ($h:expr, $variant:ident) => {
        match $h.r.what {
            What::$variant(x) => x,
            _ => unreachable!(concat!(
                "a handle of another kind than ",
                stringify!($variant)
            )),
        }
    };
}

// ---- globals -----------------------------------------------------------------------------------

/// `NULL` if the value does not match the type.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_new(
    store: *mut wasm_store_t,
    ty: *const wasm_globaltype_t,
    val: *const wasm_val_t,
) -> *mut wasm_global_t {
    // SAFETY: all three are live (contract).
    let ty = unsafe { (*ty).data() }.to_global_type();
    let mut cx = unsafe { ctx(store) };
    let Ok(v) = (unsafe { to_val(store, cx.data_mut(), &*val, &ty.content) }) else {
        return std::ptr::null_mut();
    };
    match Global::new(&mut cx, ty, v) {
        Ok(g) => RefObject::boxed(store, What::Global(g)),
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_global_type(g: *const wasm_global_t) -> *mut wasm_globaltype_t {
    // SAFETY: `g` is live, and so is its store.
    let g = unsafe { &*g };
    let ty = entity!(g, Global).ty(unsafe { ctx(g.r.store) }.as_context());
    Box::into_raw(Box::new(wasm_externtype_t::of(
        &spindle::ExternType::Global(ty),
    )))
    .cast()
}

/// A value this API cannot represent (a `v128`, a GC reference) reads as a null
/// `SPINDLE_OTHERREF`.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_get(g: *const wasm_global_t, out: *mut wasm_val_t) {
    // SAFETY: `g` is live, and so is its store; `out` is writable.
    let g = unsafe { &*g };
    let cx = unsafe { ctx(g.r.store) };
    let v = entity!(g, Global).get(&cx);
    let c = from_val(g.r.store, cx.data(), &v)
        .unwrap_or_else(|_| wasm_val_t::null(crate::types::SPINDLE_OTHERREF));
    unsafe { out.write(c) }
}

/// Does nothing if the global is immutable or the value of another type.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set(g: *mut wasm_global_t, val: *const wasm_val_t) {
    // SAFETY: `g` and `val` are live, and so is the store.
    let g = unsafe { &*g };
    let mut cx = unsafe { ctx(g.r.store) };
    let global = entity!(g, Global);
    let ty = global.ty(&cx);
    if let Ok(v) = unsafe { to_val(g.r.store, cx.data_mut(), &*val, &ty.content) } {
        let _ = global.set(&mut cx, v);
    }
}

// ---- tables --------------------------------------------------------------------------------------

/// The table value of a nullable reference handle for an element type `elem`.
unsafe fn ref_val(store: *mut wasm_store_t, r: *const wasm_ref_t, elem: ValType) -> Option<Val> {
    let kind = crate::types::valkind(&elem);
    let c = wasm_val_t {
        kind,
        of: crate::val::wasm_val_union {
            ref_: r as *mut wasm_ref_t,
        },
    };
    // SAFETY: `r` is null or a live handle; the store is live.
    unsafe { to_val(store, ctx(store).data_mut(), &c, &elem) }.ok()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_new(
    store: *mut wasm_store_t,
    ty: *const wasm_tabletype_t,
    init: *mut wasm_ref_t,
) -> *mut wasm_table_t {
    // SAFETY: `store` and `ty` are live; `init` is null or live.
    let ty = unsafe { (*ty).data() }.ty;
    let Some(init) = (unsafe { ref_val(store, init, ValType::Ref(ty.element)) }) else {
        return std::ptr::null_mut();
    };
    match Table::new(unsafe { ctx(store) }, ty, init) {
        Ok(t) => RefObject::boxed(store, What::Table(t)),
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_type(t: *const wasm_table_t) -> *mut wasm_tabletype_t {
    // SAFETY: `t` is live, and so is its store.
    let t = unsafe { &*t };
    let ty = entity!(t, Table).ty(unsafe { ctx(t.r.store) }.as_context());
    Box::into_raw(Box::new(wasm_externtype_t::of(
        &spindle::ExternType::Table(ty),
    )))
    .cast()
}

/// `NULL` for a null element or an index out of bounds.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_get(t: *const wasm_table_t, index: u32) -> *mut wasm_ref_t {
    // SAFETY: `t` is live, and so is its store.
    let t = unsafe { &*t };
    let cx = unsafe { ctx(t.r.store) };
    let Some(v) = entity!(t, Table).get(&cx, index.into()) else {
        return std::ptr::null_mut();
    };
    match from_val(t.r.store, cx.data(), &v) {
        Ok(c) => unsafe { c.of.ref_ },
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_set(
    t: *mut wasm_table_t,
    index: u32,
    r: *mut wasm_ref_t,
) -> bool {
    // SAFETY: `t` is live, and so is its store; `r` is null or live.
    let t = unsafe { &*t };
    let table = entity!(t, Table);
    let elem = table.ty(unsafe { ctx(t.r.store) }.as_context()).element;
    let Some(v) = (unsafe { ref_val(t.r.store, r, ValType::Ref(elem)) }) else {
        return false;
    };
    table
        .set(unsafe { ctx(t.r.store) }, index.into(), v)
        .is_ok()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_size(t: *const wasm_table_t) -> u32 {
    // SAFETY: `t` is live, and so is its store.
    let t = unsafe { &*t };
    let size = entity!(t, Table).size(unsafe { ctx(t.r.store) }.as_context());
    size.min(u64::from(u32::MAX)) as u32
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow(
    t: *mut wasm_table_t,
    delta: u32,
    init: *mut wasm_ref_t,
) -> bool {
    // SAFETY: `t` is live, and so is its store; `init` is null or live.
    let t = unsafe { &*t };
    let table = entity!(t, Table);
    let elem = table.ty(unsafe { ctx(t.r.store) }.as_context()).element;
    let Some(v) = (unsafe { ref_val(t.r.store, init, ValType::Ref(elem)) }) else {
        return false;
    };
    table
        .grow(unsafe { ctx(t.r.store) }, delta.into(), v)
        .is_ok()
}

// ---- memories ----------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new(
    store: *mut wasm_store_t,
    ty: *const wasm_memorytype_t,
) -> *mut wasm_memory_t {
    // SAFETY: `store` and `ty` are live.
    let ty = unsafe { (*ty).data() }.ty;
    match Memory::new(unsafe { ctx(store) }, ty) {
        Ok(m) => RefObject::boxed(store, What::Memory(m)),
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_type(m: *const wasm_memory_t) -> *mut wasm_memorytype_t {
    // SAFETY: `m` is live, and so is its store.
    let m = unsafe { &*m };
    let ty = entity!(m, Memory).ty(unsafe { ctx(m.r.store) }.as_context());
    Box::into_raw(Box::new(wasm_externtype_t::of(
        &spindle::ExternType::Memory(ty),
    )))
    .cast()
}

/// The memory's bytes, valid until the memory grows (or the store is deleted).
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data(m: *mut wasm_memory_t) -> *mut u8 {
    // SAFETY: `m` is live, and so is its store.
    let m = unsafe { &*m };
    entity!(m, Memory)
        .data_mut(unsafe { ctx(m.r.store) })
        .as_mut_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data_size(m: *const wasm_memory_t) -> usize {
    // SAFETY: `m` is live, and so is its store.
    let m = unsafe { &*m };
    entity!(m, Memory).data_size(unsafe { ctx(m.r.store) }.as_context())
}

/// Pages (of the memory's page size).
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_size(m: *const wasm_memory_t) -> u32 {
    // SAFETY: `m` is live, and so is its store.
    let m = unsafe { &*m };
    let pages = entity!(m, Memory).size(unsafe { ctx(m.r.store) }.as_context());
    pages.min(u64::from(u32::MAX)) as u32
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow(m: *mut wasm_memory_t, delta: u32) -> bool {
    // SAFETY: `m` is live, and so is its store.
    let m = unsafe { &*m };
    entity!(m, Memory)
        .grow(unsafe { ctx(m.r.store) }, delta.into())
        .is_ok()
}

// ---- externs -----------------------------------------------------------------------------------

pub type wasm_extern_vec_t = Vector<Option<Box<wasm_extern_t>>>;

impl Clone for wasm_extern_t {
    fn clone(&self) -> Self {
        wasm_extern_t {
            r: RefObject::new(self.r.store, self.r.what.clone()),
        }
    }
}

declare_vec!(
    wasm_extern_vec_t,
    Option<Box<wasm_extern_t>>,
    wasm_extern_vec_new_empty,
    wasm_extern_vec_new_uninitialized,
    wasm_extern_vec_new,
    wasm_extern_vec_copy,
    wasm_extern_vec_delete
);

#[no_mangle]
pub unsafe extern "C" fn wasm_extern_kind(e: *const wasm_extern_t) -> u8 {
    // SAFETY: `e` is live.
    match unsafe { &(*e).r.what } {
        What::Func(_) => WASM_EXTERN_FUNC,
        What::Global(_) => WASM_EXTERN_GLOBAL,
        What::Table(_) => WASM_EXTERN_TABLE,
        What::Memory(_) => WASM_EXTERN_MEMORY,
        _ => SPINDLE_EXTERN_TAG,
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_extern_type(e: *const wasm_extern_t) -> *mut wasm_externtype_t {
    // SAFETY: `e` is live, and so is its store.
    let e = unsafe { &*e };
    let Some(x) = e.r.what.extern_() else {
        return std::ptr::null_mut();
    };
    let ty = x.ty(unsafe { ctx(e.r.store) }.as_context());
    Box::into_raw(Box::new(wasm_externtype_t::of(&ty)))
}

/// Casts between an extern and its kinds (`NULL` from an extern of another kind).
macro_rules! extern_casts {
    ($t:ident, $variant:ident, $to:ident, $to_c:ident, $from:ident, $from_c:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $to(p: *mut $t) -> *mut wasm_extern_t {
            p.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $to_c(p: *const $t) -> *const wasm_extern_t {
            p.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from(e: *mut wasm_extern_t) -> *mut $t {
            // SAFETY: `e` is null or live; one representation, kind checked.
            match unsafe { e.as_ref() } {
                Some(x) if matches!(x.r.what, What::$variant(_)) => e.cast(),
                _ => std::ptr::null_mut(),
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from_c(e: *const wasm_extern_t) -> *const $t {
            // SAFETY: as above.
            match unsafe { e.as_ref() } {
                Some(x) if matches!(x.r.what, What::$variant(_)) => e.cast(),
                _ => std::ptr::null(),
            }
        }
    };
}

extern_casts!(
    wasm_func_t,
    Func,
    wasm_func_as_extern,
    wasm_func_as_extern_const,
    wasm_extern_as_func,
    wasm_extern_as_func_const
);
extern_casts!(
    wasm_global_t,
    Global,
    wasm_global_as_extern,
    wasm_global_as_extern_const,
    wasm_extern_as_global,
    wasm_extern_as_global_const
);
extern_casts!(
    wasm_table_t,
    Table,
    wasm_table_as_extern,
    wasm_table_as_extern_const,
    wasm_extern_as_table,
    wasm_extern_as_table_const
);
extern_casts!(
    wasm_memory_t,
    Memory,
    wasm_memory_as_extern,
    wasm_memory_as_extern_const,
    wasm_extern_as_memory,
    wasm_extern_as_memory_const
);

use crate::func::wasm_func_t;
