//! Reference objects: one representation ([`RefObject`]) behind every `wasm.h` reference
//! type, the functions `WASM_DECLARE_REF` gives each, and foreign objects.

use crate::store::wasm_store_t;
use crate::trap::TrapData;
use spindle::{Global, Instance, Memory, Table, Tag};
use std::ffi::c_void;
use std::sync::Arc;

/// What a reference object names.
#[derive(Clone)]
pub enum What {
    Func(spindle::Func),
    Global(Global),
    Table(Table),
    Memory(Memory),
    Tag(Tag),
    Instance(Instance),
    Module(Arc<crate::module::ModuleData>),
    Trap(Arc<TrapData>),
    /// A foreign object: identity only (its host info is the embedder's).
    Foreign(Arc<Foreign>),
}

/// A foreign object: its identity, and the host info the embedder attached.
#[derive(Default)]
pub struct Foreign {
    pub(crate) host_info: HostInfoCell,
}

impl What {
    fn same(&self, other: &What) -> bool {
        match (self, other) {
            (What::Func(a), What::Func(b)) => a == b,
            (What::Global(a), What::Global(b)) => a == b,
            (What::Table(a), What::Table(b)) => a == b,
            (What::Memory(a), What::Memory(b)) => a == b,
            (What::Tag(a), What::Tag(b)) => a == b,
            (What::Instance(a), What::Instance(b)) => a == b,
            (What::Module(a), What::Module(b)) => Arc::ptr_eq(a, b),
            (What::Trap(a), What::Trap(b)) => Arc::ptr_eq(a, b),
            (What::Foreign(a), What::Foreign(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn extern_(&self) -> Option<spindle::Extern> {
        Some(match self {
            What::Func(f) => (*f).into(),
            What::Global(g) => (*g).into(),
            What::Table(t) => (*t).into(),
            What::Memory(m) => (*m).into(),
            What::Tag(t) => (*t).into(),
            _ => return None,
        })
    }

    /// The object of a store entity; `None` for a shared memory, which the standard C API
    /// has no object for (an instance's export of one reads as null).
    pub fn of_extern(e: spindle::Extern) -> Option<What> {
        Some(match e {
            spindle::Extern::Func(f) => What::Func(f),
            spindle::Extern::Global(g) => What::Global(g),
            spindle::Extern::Table(t) => What::Table(t),
            spindle::Extern::Memory(m) => What::Memory(m),
            spindle::Extern::Tag(t) => What::Tag(t),
            spindle::Extern::SharedMemory(_) => return None,
        })
    }

    /// The key of a store entity's host info (`None` for modules, traps and foreign
    /// objects).
    pub fn entity_key(&self) -> Option<EntityKey> {
        Some(match self {
            What::Func(f) => EntityKey::Func(*f),
            What::Global(g) => EntityKey::Global(*g),
            What::Table(t) => EntityKey::Table(*t),
            What::Memory(m) => EntityKey::Memory(*m),
            What::Tag(t) => EntityKey::Tag(*t),
            What::Instance(i) => EntityKey::Instance(*i),
            _ => return None,
        })
    }
}

/// The embedder's pointer on an object, and the finalizer it gets when the object goes
/// (with its store, or with the last handle of a module, trap or foreign object) or the
/// info is replaced. Host info belongs to the object, not to a handle: every handle of the
/// object (copies, values read back from Wasm) sees it.
pub struct HostInfo {
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

// SAFETY: the pointer is the embedder's and is only handed back to it (and to its
// finalizer); a module, trap or foreign object may be dropped on another thread than the
// one that set it, which the embedder's data must then allow, as with any object it shares.
unsafe impl Send for HostInfo {}
// SAFETY: as above: the pointer is never dereferenced here.
unsafe impl Sync for HostInfo {}

/// Where an object that is not a store entity keeps its host info.
pub type HostInfoCell = std::sync::Mutex<Option<HostInfo>>;

/// A store entity, as the key of its host info in the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKey {
    Func(spindle::Func),
    Global(spindle::Global),
    Table(spindle::Table),
    Memory(spindle::Memory),
    Tag(spindle::Tag),
    Instance(Instance),
}

impl Drop for HostInfo {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the embedder gave this finalizer for this pointer.
            unsafe { f(self.data) }
        }
    }
}

pub struct RefObject {
    /// The store the object belongs to (a module's: the store it was made with).
    pub(crate) store: *mut wasm_store_t,
    pub(crate) what: What,
}

impl RefObject {
    pub fn new(store: *mut wasm_store_t, what: What) -> Self {
        RefObject { store, what }
    }

    /// A new handle of `what` as the C type `T` (one of the transparent wrappers).
    pub fn boxed<T>(store: *mut wasm_store_t, what: What) -> *mut T {
        Box::into_raw(Box::new(RefObject::new(store, what))).cast()
    }
}

/// `wasm_ref_t`: any reference object.
#[repr(transparent)]
pub struct wasm_ref_t {
    pub(crate) r: RefObject,
}

/// The functions of `WASM_DECLARE_REF_BASE(name)`.
macro_rules! ref_base {
    ($t:ident, $delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $delete(p: *mut $t) {
            if !p.is_null() {
                // SAFETY: every reference handle is a boxed `RefObject` (transparent
                // wrappers), given back once.
                drop(unsafe { Box::from_raw(p.cast::<$crate::refs::RefObject>()) });
            }
        }

        /// A new handle of the same object (which keeps its host info).
        #[no_mangle]
        pub unsafe extern "C" fn $copy(p: *const $t) -> *mut $t {
            // SAFETY: `p` is a live handle.
            let r = unsafe { &*p.cast::<$crate::refs::RefObject>() };
            $crate::refs::RefObject::boxed(r.store, r.what.clone())
        }

        #[no_mangle]
        pub unsafe extern "C" fn $same(a: *const $t, b: *const $t) -> bool {
            // SAFETY: both are live handles.
            unsafe { $crate::refs::same(a.cast(), b.cast()) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $get(p: *const $t) -> *mut std::ffi::c_void {
            // SAFETY: `p` is a live handle.
            unsafe { $crate::refs::get_host_info(p.cast()) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $set(p: *mut $t, info: *mut std::ffi::c_void) {
            // SAFETY: `p` is a live handle.
            unsafe { $crate::refs::set_host_info(p.cast(), info, None) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $set_fin(
            p: *mut $t,
            info: *mut std::ffi::c_void,
            finalizer: Option<unsafe extern "C" fn(*mut std::ffi::c_void)>,
        ) {
            // SAFETY: `p` is a live handle.
            unsafe { $crate::refs::set_host_info(p.cast(), info, finalizer) }
        }
    };
}
pub(crate) use ref_base;

/// The functions of `WASM_DECLARE_REF(name)`: the base, and the casts to and from
/// `wasm_ref_t` (`NULL` for a reference of another kind).
macro_rules! ref_type {
    ($t:ident, |$w:ident| $is:expr,
     [$delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident],
     $as_ref:ident, $as_ref_c:ident, $from_ref:ident, $from_ref_c:ident) => {
        #[repr(transparent)]
        pub struct $t {
            pub(crate) r: $crate::refs::RefObject,
        }

        $crate::refs::ref_base!($t, $delete, $copy, $same, $get, $set, $set_fin);

        impl $t {
            fn is(what: &$crate::refs::What) -> bool {
                let $w = what;
                $is
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $as_ref(p: *mut $t) -> *mut $crate::refs::wasm_ref_t {
            p.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $as_ref_c(p: *const $t) -> *const $crate::refs::wasm_ref_t {
            p.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from_ref(p: *mut $crate::refs::wasm_ref_t) -> *mut $t {
            // SAFETY: `p` is null or a live handle; the types are transparent wrappers of
            // one representation, and the kind is checked.
            match unsafe { p.as_ref() } {
                Some(r) if $t::is(&r.r.what) => p.cast(),
                _ => std::ptr::null_mut(),
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from_ref_c(p: *const $crate::refs::wasm_ref_t) -> *const $t {
            // SAFETY: as above.
            match unsafe { p.as_ref() } {
                Some(r) if $t::is(&r.r.what) => p.cast(),
                _ => std::ptr::null(),
            }
        }
    };
}
pub(crate) use ref_type;

pub unsafe fn same(a: *const RefObject, b: *const RefObject) -> bool {
    // SAFETY: both are live handles (caller).
    unsafe { (*a).what.same(&(*b).what) }
}

/// Runs `f` on the host info of `p`'s object: in the object itself (modules, traps,
/// foreign objects) or in its store (store entities).
unsafe fn with_host_info<R>(p: *const RefObject, f: impl FnOnce(&mut Option<HostInfo>) -> R) -> R {
    // SAFETY: `p` is live (caller), and so is its store.
    let r = unsafe { &*p };
    let cell = match &r.what {
        What::Module(m) => &m.host_info,
        What::Trap(t) => &t.host_info,
        What::Foreign(x) => &x.host_info,
        other => {
            let key = other.entity_key().expect("a store entity");
            let store = unsafe { &*r.store };
            let mut map = store.host_info.borrow_mut();
            let mut slot = map.remove(&key);
            let out = f(&mut slot);
            if let Some(info) = slot {
                map.insert(key, info);
            }
            return out;
        }
    };
    let mut guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

pub unsafe fn get_host_info(p: *const RefObject) -> *mut c_void {
    // SAFETY: `p` is live (caller).
    unsafe { with_host_info(p, |h| h.as_ref().map_or(std::ptr::null_mut(), |i| i.data)) }
}

pub unsafe fn set_host_info(
    p: *const RefObject,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: `p` is live (caller). The old info is taken out and dropped (its finalizer
    // run) after the lock or borrow is released, so a finalizer may use the API.
    let old = unsafe { with_host_info(p, |h| h.replace(HostInfo { data, finalizer })) };
    drop(old);
}

ref_base!(
    wasm_ref_t,
    wasm_ref_delete,
    wasm_ref_copy,
    wasm_ref_same,
    wasm_ref_get_host_info,
    wasm_ref_set_host_info,
    wasm_ref_set_host_info_with_finalizer
);

// ---- foreign objects --------------------------------------------------------------------------

ref_type!(
    wasm_foreign_t,
    |w| matches!(w, What::Foreign(_)),
    [
        wasm_foreign_delete,
        wasm_foreign_copy,
        wasm_foreign_same,
        wasm_foreign_get_host_info,
        wasm_foreign_set_host_info,
        wasm_foreign_set_host_info_with_finalizer
    ],
    wasm_foreign_as_ref,
    wasm_foreign_as_ref_const,
    wasm_ref_as_foreign,
    wasm_ref_as_foreign_const
);

/// A new object with identity only, for the embedder to pass as an `externref`.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_new(store: *mut wasm_store_t) -> *mut wasm_foreign_t {
    RefObject::boxed(store, What::Foreign(Arc::new(Foreign::default())))
}
