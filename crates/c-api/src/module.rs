//! Modules: compile, validate, describe, share between stores, serialize.
//!
//! A serialized module is a short header (`SERIALIZED_MAGIC`) and the module's binary;
//! deserializing validates and translates it again (Spindle keeps no translated form on
//! disk), so a serialized module is exactly as trustworthy as a binary.

use crate::refs::{ref_type, RefObject, What};
use crate::store::wasm_store_t;
use crate::types::{
    wasm_exporttype_t, wasm_exporttype_vec_t, wasm_importtype_t, wasm_importtype_vec_t,
};
use crate::vec::{wasm_byte_vec_t, Vector};
use spindle::Module;
use std::sync::Arc;

pub struct ModuleData {
    pub(crate) module: Module,
    binary: Vec<u8>,
    pub(crate) host_info: crate::refs::HostInfoCell,
}

const SERIALIZED_MAGIC: &[u8] = b"spindle-module\0\x01";

ref_type!(
    wasm_module_t,
    |w| matches!(w, What::Module(_)),
    [
        wasm_module_delete,
        wasm_module_copy,
        wasm_module_same,
        wasm_module_get_host_info,
        wasm_module_set_host_info,
        wasm_module_set_host_info_with_finalizer
    ],
    wasm_module_as_ref,
    wasm_module_as_ref_const,
    wasm_ref_as_module,
    wasm_ref_as_module_const
);

impl wasm_module_t {
    pub(crate) fn data(&self) -> &Arc<ModuleData> {
        match &self.r.what {
            What::Module(m) => m,
            _ => unreachable!("a module handle of another kind"),
        }
    }
}

/// A module handle that any store of the module's engine can obtain.
pub struct wasm_shared_module_t {
    data: Arc<ModuleData>,
}

unsafe fn bytes<'a>(v: *const wasm_byte_vec_t) -> &'a [u8] {
    // SAFETY: `v` is null or a live vector (caller).
    unsafe { v.as_ref().map_or(&[][..], |v| v.as_slice()) }
}

/// A new module handle, or why the binary is refused.
pub fn compile(store: *mut wasm_store_t, binary: &[u8]) -> spindle::Result<*mut wasm_module_t> {
    // SAFETY: the store is live (callers' contract).
    let engine = unsafe { &*store }.engine();
    let module = Module::from_binary(&engine, binary)?;
    Ok(RefObject::boxed(
        store,
        What::Module(Arc::new(ModuleData {
            module,
            binary: binary.to_vec(),
            host_info: Default::default(),
        })),
    ))
}

/// `NULL` if the binary is malformed or invalid (`spindle_module_new` says why).
#[no_mangle]
pub unsafe extern "C" fn wasm_module_new(
    store: *mut wasm_store_t,
    binary: *const wasm_byte_vec_t,
) -> *mut wasm_module_t {
    // SAFETY: forwarded contract.
    compile(store, unsafe { bytes(binary) }).unwrap_or(std::ptr::null_mut())
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate(
    store: *mut wasm_store_t,
    binary: *const wasm_byte_vec_t,
) -> bool {
    // SAFETY: forwarded contract.
    let engine = unsafe { &*store }.engine();
    Module::validate(&engine, unsafe { bytes(binary) }).is_ok()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_imports(
    m: *const wasm_module_t,
    out: *mut wasm_importtype_vec_t,
) {
    // SAFETY: `m` is live and `out` writable.
    let module = &unsafe { (*m).data() }.module;
    let v = module
        .imports()
        .map(|i| {
            Some(Box::new(wasm_importtype_t::of(
                i.module(),
                i.name(),
                &i.ty(),
            )))
        })
        .collect();
    unsafe { out.write(Vector::from_vec(v)) }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_exports(
    m: *const wasm_module_t,
    out: *mut wasm_exporttype_vec_t,
) {
    // SAFETY: `m` is live and `out` writable.
    let module = &unsafe { (*m).data() }.module;
    let v = module
        .exports()
        .map(|e| Some(Box::new(wasm_exporttype_t::of(e.name(), &e.ty()))))
        .collect();
    unsafe { out.write(Vector::from_vec(v)) }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_serialize(m: *const wasm_module_t, out: *mut wasm_byte_vec_t) {
    // SAFETY: `m` is live and `out` writable.
    let data = unsafe { (*m).data() };
    let mut v = SERIALIZED_MAGIC.to_vec();
    v.extend_from_slice(&data.binary);
    unsafe { out.write(Vector::from_vec(v)) }
}

/// `NULL` unless the bytes came from `wasm_module_serialize` (and still validate).
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize(
    store: *mut wasm_store_t,
    bytes_: *const wasm_byte_vec_t,
) -> *mut wasm_module_t {
    // SAFETY: forwarded contract.
    match unsafe { bytes(bytes_) }.strip_prefix(SERIALIZED_MAGIC) {
        Some(binary) => compile(store, binary).unwrap_or(std::ptr::null_mut()),
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_share(m: *const wasm_module_t) -> *mut wasm_shared_module_t {
    // SAFETY: `m` is live.
    let data = unsafe { (*m).data() }.clone();
    Box::into_raw(Box::new(wasm_shared_module_t { data }))
}

/// `NULL` if the store's engine is not the module's.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_obtain(
    store: *mut wasm_store_t,
    shared: *const wasm_shared_module_t,
) -> *mut wasm_module_t {
    // SAFETY: both are live.
    let data = unsafe { &(*shared).data };
    let engine = unsafe { &*store }.engine();
    if !spindle::Engine::same(&engine, data.module.engine()) {
        return std::ptr::null_mut();
    }
    RefObject::boxed(store, What::Module(data.clone()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_shared_module_delete(s: *mut wasm_shared_module_t) {
    if !s.is_null() {
        // SAFETY: an owned shared module, given back once.
        drop(unsafe { Box::from_raw(s) });
    }
}
