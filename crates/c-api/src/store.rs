//! Config, engine and store; how every other object reaches its store's context.

use crate::refs::What;
use spindle::{Caller, Config, Engine, Store, StoreContextMut, StoreLimitsBuilder};
use std::cell::{RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::c_void;

pub struct wasm_config_t {
    pub(crate) config: Config,
}

pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

/// What a store holds for the C API besides Spindle's own state.
#[derive(Default)]
pub struct StoreData {
    /// The objects the embedder passed to Wasm as `externref`s: an `externref` is the
    /// index of its object here. They live as long as the store (the collector does not
    /// see host references).
    pub(crate) externrefs: Vec<What>,
    /// Each object's index above, by identity (an object passed again reuses it).
    pub(crate) externref_index: HashMap<crate::val::ObjectKey, u32>,
    pub(crate) wasi: Option<spindle_wasi::WasiP1Ctx>,
}

pub struct wasm_store_t {
    pub(crate) store: UnsafeCell<Store<StoreData>>,
    /// The `Caller`s of the host functions running now, innermost last (see the crate
    /// docs: while one runs, the store is reached through it).
    pub(crate) callers: RefCell<Vec<*mut c_void>>,
    /// Host info of the store's entities (functions, globals, tables, memories, tags,
    /// instances), by entity: finalized when replaced or with the store.
    pub(crate) host_info: RefCell<HashMap<crate::refs::EntityKey, crate::refs::HostInfo>>,
}

impl wasm_store_t {
    pub(crate) fn engine(&self) -> Engine {
        // Reading the engine through a shared borrow of the context.
        // SAFETY: see `ctx`; the engine handle is cloned out at once.
        unsafe { ctx(self as *const _ as *mut wasm_store_t) }
            .engine()
            .clone()
    }
}

/// The context of `store`: the innermost running host function's `Caller`, else the
/// store itself.
///
/// # Safety
/// `store` is live, and the context is not kept past the C call it serves (a host
/// function's `Caller` lives only while that function runs; no two contexts of one
/// store are used at once, which the single-threaded use of a store guarantees).
pub(crate) unsafe fn ctx<'a>(store: *mut wasm_store_t) -> StoreContextMut<'a, StoreData> {
    // SAFETY: `store` is live (contract).
    let s = unsafe { &*store };
    let innermost = s.callers.borrow().last().copied();
    match innermost {
        // SAFETY: the pointer was pushed by a running host function (`func.rs`) and is
        // popped before it returns, so it names a live `Caller` whose borrow of the store
        // is the one in use; we reborrow through it.
        Some(caller) => unsafe { &mut *(caller as *mut Caller<'a, StoreData>) }.into_context(),
        // SAFETY: no host function runs, so no other borrow of the store is live.
        None => spindle::AsContextMut::as_context_mut(unsafe { &mut *s.store.get() }),
    }
}

/// `Caller::as_context_mut` with the caller's lifetime (the reborrow above is as long as
/// the pointer's validity, which `ctx`'s contract bounds).
trait OwnedContext<'a> {
    fn into_context(self) -> StoreContextMut<'a, StoreData>;
}

impl<'a> OwnedContext<'a> for &'a mut Caller<'a, StoreData> {
    fn into_context(self) -> StoreContextMut<'a, StoreData> {
        spindle::AsContextMut::as_context_mut(self)
    }
}

// ---- config --------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_config_new() -> *mut wasm_config_t {
    Box::into_raw(Box::new(wasm_config_t {
        config: Config::new(),
    }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_config_delete(c: *mut wasm_config_t) {
    if !c.is_null() {
        // SAFETY: an owned config, given back once.
        drop(unsafe { Box::from_raw(c) });
    }
}

// ---- engine --------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_engine_new() -> *mut wasm_engine_t {
    Box::into_raw(Box::new(wasm_engine_t {
        engine: Engine::default(),
    }))
}

/// Takes the config. `NULL` if the config asks for what this build cannot do.
#[no_mangle]
pub unsafe extern "C" fn wasm_engine_new_with_config(c: *mut wasm_config_t) -> *mut wasm_engine_t {
    if c.is_null() {
        // SAFETY: no arguments.
        return unsafe { wasm_engine_new() };
    }
    // SAFETY: an owned config moves in.
    let c = unsafe { Box::from_raw(c) };
    match Engine::new(&c.config) {
        Ok(engine) => Box::into_raw(Box::new(wasm_engine_t { engine })),
        Err(_) => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_engine_delete(e: *mut wasm_engine_t) {
    if !e.is_null() {
        // SAFETY: an owned engine, given back once (stores keep their own handle).
        drop(unsafe { Box::from_raw(e) });
    }
}

// ---- store ---------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_store_new(e: *mut wasm_engine_t) -> *mut wasm_store_t {
    // SAFETY: `e` is a live engine.
    let engine = unsafe { &(*e).engine };
    let mut store = Store::new(engine, StoreData::default());
    // `wasm.h` has no limits: a store holds as many instances as the embedder makes
    // (`spindle_store_limiter` sets bounds).
    store.set_limits(StoreLimitsBuilder::new().instances(usize::MAX).build());
    Box::into_raw(Box::new(wasm_store_t {
        store: UnsafeCell::new(store),
        callers: RefCell::new(Vec::new()),
        host_info: RefCell::new(HashMap::new()),
    }))
}

/// Deletes the store and every Wasm object in it (host functions' finalizers run now).
#[no_mangle]
pub unsafe extern "C" fn wasm_store_delete(s: *mut wasm_store_t) {
    if !s.is_null() {
        // SAFETY: an owned store, given back once, with no host function running in it.
        drop(unsafe { Box::from_raw(s) });
    }
}
