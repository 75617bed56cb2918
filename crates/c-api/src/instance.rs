//! Instances: instantiate with an ordered vector of imports, list exports.

use crate::extern_::{wasm_extern_t, wasm_extern_vec_t};
use crate::module::wasm_module_t;
use crate::refs::{ref_type, RefObject, What};
use crate::store::{ctx, wasm_store_t};
use crate::trap::{new_trap, trap_from_error, wasm_trap_t, TrapData};
use crate::vec::Vector;
use spindle::Instance;

ref_type!(
    wasm_instance_t,
    |w| matches!(w, What::Instance(_)),
    [
        wasm_instance_delete,
        wasm_instance_copy,
        wasm_instance_same,
        wasm_instance_get_host_info,
        wasm_instance_set_host_info,
        wasm_instance_set_host_info_with_finalizer
    ],
    wasm_instance_as_ref,
    wasm_instance_as_ref_const,
    wasm_ref_as_instance,
    wasm_ref_as_instance_const
);

impl wasm_instance_t {
    pub(crate) fn instance(&self) -> Instance {
        match self.r.what {
            What::Instance(i) => i,
            _ => unreachable!("an instance handle of another kind"),
        }
    }
}

/// Reports `message` through `trap` (when the caller asked for it) and answers `NULL`.
unsafe fn failed(
    store: *mut wasm_store_t,
    trap: *mut *mut wasm_trap_t,
    t: *mut wasm_trap_t,
) -> *mut wasm_instance_t {
    if trap.is_null() {
        // SAFETY: an owned trap nobody asked for.
        unsafe { crate::trap::wasm_trap_delete(t) };
    } else {
        // SAFETY: `trap` is writable.
        unsafe { trap.write(t) };
    }
    let _ = store;
    std::ptr::null_mut()
}

/// Instantiates `module` with `imports` in the module's import order. On failure (a link
/// error, a trap in the start function) answers `NULL` and, if `trap` is not null, stores
/// a trap saying why there.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new(
    store: *mut wasm_store_t,
    module: *const wasm_module_t,
    imports: *const wasm_extern_vec_t,
    trap: *mut *mut wasm_trap_t,
) -> *mut wasm_instance_t {
    if !trap.is_null() {
        // SAFETY: `trap` is writable.
        unsafe { trap.write(std::ptr::null_mut()) };
    }
    // SAFETY: `module` is live; `imports` is null or a live vector of live (or null)
    // externs.
    let module = &unsafe { (*module).data() }.module;
    let imports = unsafe { imports.as_ref().map_or(&[][..], |v| v.as_slice()) };
    let fail = |msg: String| new_trap(store, TrapData::message(msg));
    let mut externs = Vec::with_capacity(imports.len());
    for (i, e) in imports.iter().enumerate() {
        let Some(e) = e.as_deref() else {
            return unsafe { failed(store, trap, fail(format!("import {i} is null"))) };
        };
        if e.r.store != store {
            return unsafe {
                failed(
                    store,
                    trap,
                    fail(format!("import {i} belongs to another store")),
                )
            };
        }
        match e.r.what.extern_() {
            Some(x) => externs.push(x),
            None => {
                return unsafe { failed(store, trap, fail(format!("import {i} is not an extern"))) }
            }
        }
    }
    match Instance::new(unsafe { ctx(store) }, module, &externs) {
        Ok(instance) => RefObject::boxed(store, What::Instance(instance)),
        Err(e) => unsafe { failed(store, trap, trap_from_error(store, e)) },
    }
}

/// The exports, in the module's export order.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_exports(
    i: *const wasm_instance_t,
    out: *mut wasm_extern_vec_t,
) {
    // SAFETY: `i` is live, and so is its store; `out` is writable.
    let i = unsafe { &*i };
    let store = i.r.store;
    let exports: Vec<Option<Box<wasm_extern_t>>> = i
        .instance()
        .exports(unsafe { ctx(store) })
        .map(|e| {
            Some(Box::new(wasm_extern_t {
                r: RefObject::new(store, What::of_extern(e.into_extern())?),
            }))
        })
        .collect();
    unsafe { out.write(Vector::from_vec(exports)) }
}
