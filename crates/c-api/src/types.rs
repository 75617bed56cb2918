//! Type objects: value, function, global, table, memory, extern, import and export types.
//!
//! `wasm_functype_t`, `wasm_globaltype_t`, `wasm_tabletype_t` and `wasm_memorytype_t` are
//! `#[repr(transparent)]` over [`wasm_externtype_t`] (always of their own kind), so the
//! header's `..._as_externtype` conversions are casts. Each keeps Spindle's exact type
//! (a typed reference, a 64-bit table) next to the header's coarser view of it.

use crate::vec::{declare_vec, wasm_byte_vec_t, Owned, Vector};
use spindle::{
    AbstractHeapType, Engine, ExternType, FuncType, GlobalType, HeapType, Limits, MemoryType,
    Mutability, RefType, TableType, ValType,
};

pub const WASM_I32: u8 = 0;
pub const WASM_I64: u8 = 1;
pub const WASM_F32: u8 = 2;
pub const WASM_F64: u8 = 3;
/// spindle.h: `SPINDLE_V128` (no `wasm_val_t` carries one).
pub const SPINDLE_V128: u8 = 4;
pub const WASM_EXTERNREF: u8 = 128;
pub const WASM_FUNCREF: u8 = 129;
/// spindle.h: `SPINDLE_OTHERREF`, a reference `wasm.h` has no kind for (`anyref`, GC
/// types, `exnref`).
pub const SPINDLE_OTHERREF: u8 = 130;

pub const WASM_EXTERN_FUNC: u8 = 0;
pub const WASM_EXTERN_GLOBAL: u8 = 1;
pub const WASM_EXTERN_TABLE: u8 = 2;
pub const WASM_EXTERN_MEMORY: u8 = 3;
/// spindle.h: `SPINDLE_EXTERN_TAG`, an exception tag.
pub const SPINDLE_EXTERN_TAG: u8 = 4;

// ---- value types ----------------------------------------------------------------------

#[derive(Clone)]
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

pub type wasm_valtype_vec_t = Vector<Option<Box<wasm_valtype_t>>>;

/// The header's kind of a value type.
pub fn valkind(ty: &ValType) -> u8 {
    match ty {
        ValType::I32 => WASM_I32,
        ValType::I64 => WASM_I64,
        ValType::F32 => WASM_F32,
        ValType::F64 => WASM_F64,
        ValType::V128 => SPINDLE_V128,
        ValType::Ref(r) => match r.heap {
            HeapType::Abstract(AbstractHeapType::Func | AbstractHeapType::NoFunc) => WASM_FUNCREF,
            HeapType::Abstract(AbstractHeapType::Extern | AbstractHeapType::NoExtern) => {
                WASM_EXTERNREF
            }
            _ => SPINDLE_OTHERREF,
        },
    }
}

/// The value type of a header kind; `None` for a kind no value type has.
pub fn kind_valtype(kind: u8) -> Option<ValType> {
    Some(match kind {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        SPINDLE_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::EXTERNREF,
        WASM_FUNCREF => ValType::FUNCREF,
        SPINDLE_OTHERREF => ValType::Ref(RefType::null(AbstractHeapType::Any)),
        _ => return None,
    })
}

fn boxed(ty: ValType) -> Option<Box<wasm_valtype_t>> {
    Some(Box::new(wasm_valtype_t { ty }))
}

declare_vec!(
    wasm_valtype_vec_t,
    Option<Box<wasm_valtype_t>>,
    wasm_valtype_vec_new_empty,
    wasm_valtype_vec_new_uninitialized,
    wasm_valtype_vec_new,
    wasm_valtype_vec_copy,
    wasm_valtype_vec_delete
);

/// A kind no value type has gives `NULL`.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_new(kind: u8) -> *mut wasm_valtype_t {
    match kind_valtype(kind) {
        Some(ty) => Box::into_raw(Box::new(wasm_valtype_t { ty })),
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_kind(t: *const wasm_valtype_t) -> u8 {
    // SAFETY: `t` is a live value type.
    valkind(unsafe { &(*t).ty })
}

/// `delete` and `copy` of a boxed type object.
macro_rules! owned_type {
    ($t:ty, $delete:ident, $copy:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $delete(t: *mut $t) {
            if !t.is_null() {
                // SAFETY: an owned type object made by this library, given back once.
                drop(unsafe { Box::from_raw(t) });
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $copy(t: *const $t) -> *mut $t {
            // SAFETY: `t` is a live type object.
            Box::into_raw(Box::new(unsafe { (*t).clone() }))
        }
    };
}

owned_type!(wasm_valtype_t, wasm_valtype_delete, wasm_valtype_copy);

// ---- extern types and their kinds -------------------------------------------------------

#[derive(Clone)]
pub struct FuncTypeData {
    pub(crate) params: Owned<Option<Box<wasm_valtype_t>>>,
    pub(crate) results: Owned<Option<Box<wasm_valtype_t>>>,
}

impl FuncTypeData {
    pub fn of(ty: &FuncType) -> Self {
        FuncTypeData {
            params: Owned::new(ty.params().map(boxed).collect()),
            results: Owned::new(ty.results().map(boxed).collect()),
        }
    }

    fn types(v: &Owned<Option<Box<wasm_valtype_t>>>) -> Option<Vec<ValType>> {
        v.as_slice()
            .iter()
            .map(|t| t.as_ref().map(|t| t.ty))
            .collect()
    }

    /// Spindle's function type in `engine`; `None` if an element is null.
    pub fn to_func_type(&self, engine: &Engine) -> Option<FuncType> {
        Some(FuncType::new(
            engine,
            Self::types(&self.params)?,
            Self::types(&self.results)?,
        ))
    }
}

#[derive(Clone)]
pub struct GlobalTypeData {
    pub(crate) content: wasm_valtype_t,
    pub(crate) mutability: u8,
}

#[derive(Clone)]
pub struct TableTypeData {
    pub(crate) element: wasm_valtype_t,
    pub(crate) limits: wasm_limits_t,
    pub(crate) ty: TableType,
}

#[derive(Clone)]
pub struct MemoryTypeData {
    pub(crate) limits: wasm_limits_t,
    pub(crate) ty: MemoryType,
}

#[derive(Clone)]
pub enum ExternTypeData {
    Func(FuncTypeData),
    Global(GlobalTypeData),
    Table(TableTypeData),
    Memory(MemoryTypeData),
    /// An exception tag (the header has no tag type to describe it with).
    Tag,
}

#[derive(Clone)]
pub struct wasm_externtype_t {
    pub(crate) which: ExternTypeData,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_limits_t {
    pub min: u32,
    pub max: u32,
}

const NO_MAX: u32 = u32::MAX;

/// The header's 32-bit limits of Spindle's (64-bit ones saturate).
fn c_limits(l: &Limits) -> wasm_limits_t {
    wasm_limits_t {
        min: l.initial.min(u64::from(u32::MAX)) as u32,
        max: l
            .maximum
            .map_or(NO_MAX, |m| m.min(u64::from(u32::MAX)) as u32),
    }
}

fn to_limits(l: &wasm_limits_t) -> Limits {
    Limits {
        initial: l.min.into(),
        maximum: (l.max != NO_MAX).then_some(l.max.into()),
    }
}

impl wasm_externtype_t {
    pub fn of(ty: &ExternType) -> Self {
        let which = match ty {
            ExternType::Func(f) => ExternTypeData::Func(FuncTypeData::of(f)),
            ExternType::Tag(_) => ExternTypeData::Tag,
            ExternType::Global(g) => ExternTypeData::Global(GlobalTypeData {
                content: wasm_valtype_t { ty: g.content },
                mutability: g.mutable as u8,
            }),
            ExternType::Table(t) => ExternTypeData::Table(TableTypeData {
                element: wasm_valtype_t {
                    ty: ValType::Ref(t.element),
                },
                limits: c_limits(&t.limits),
                ty: *t,
            }),
            ExternType::Memory(m) => ExternTypeData::Memory(MemoryTypeData {
                limits: c_limits(&m.limits),
                ty: *m,
            }),
        };
        wasm_externtype_t { which }
    }

    pub fn kind(&self) -> u8 {
        match self.which {
            ExternTypeData::Func(_) => WASM_EXTERN_FUNC,
            ExternTypeData::Global(_) => WASM_EXTERN_GLOBAL,
            ExternTypeData::Table(_) => WASM_EXTERN_TABLE,
            ExternTypeData::Memory(_) => WASM_EXTERN_MEMORY,
            ExternTypeData::Tag => SPINDLE_EXTERN_TAG,
        }
    }
}

pub type wasm_externtype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
declare_vec!(
    wasm_externtype_vec_t,
    Option<Box<wasm_externtype_t>>,
    wasm_externtype_vec_new_empty,
    wasm_externtype_vec_new_uninitialized,
    wasm_externtype_vec_new,
    wasm_externtype_vec_copy,
    wasm_externtype_vec_delete
);
owned_type!(
    wasm_externtype_t,
    wasm_externtype_delete,
    wasm_externtype_copy
);

#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_kind(t: *const wasm_externtype_t) -> u8 {
    // SAFETY: `t` is a live extern type.
    unsafe { (*t).kind() }
}

/// A kind of extern type: its C type, vector, and the casts to and from
/// `wasm_externtype_t` (the `as_` direction answers `NULL` for another kind).
macro_rules! extern_type_kind {
    ($t:ident, $variant:ident, $vec:ident,
     [$vne:ident, $vnu:ident, $vn:ident, $vc:ident, $vd:ident],
     $delete:ident, $copy:ident, $to_ext:ident, $to_ext_c:ident, $from_ext:ident, $from_ext_c:ident) => {
        #[repr(transparent)]
        #[derive(Clone)]
        pub struct $t {
            pub(crate) ext: wasm_externtype_t,
        }

        impl $t {
            pub(crate) fn data(&self) -> &<$t as KindData>::Data {
                match &self.ext.which {
                    ExternTypeData::$variant(d) => d,
                    // A `$t` is only ever made of its own kind (constructors and the
                    // checked cast below).
                    _ => unreachable!(concat!(stringify!($t), " of another kind")),
                }
            }
        }

        pub type $vec = Vector<Option<Box<$t>>>;
        declare_vec!($vec, Option<Box<$t>>, $vne, $vnu, $vn, $vc, $vd);
        owned_type!($t, $delete, $copy);

        #[no_mangle]
        pub unsafe extern "C" fn $to_ext(t: *mut $t) -> *mut wasm_externtype_t {
            t.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $to_ext_c(t: *const $t) -> *const wasm_externtype_t {
            t.cast()
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from_ext(t: *mut wasm_externtype_t) -> *mut $t {
            // SAFETY: `t` is a live extern type; `$t` is transparent over it.
            match unsafe { &(*t).which } {
                ExternTypeData::$variant(_) => t.cast(),
                _ => std::ptr::null_mut(),
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $from_ext_c(t: *const wasm_externtype_t) -> *const $t {
            // SAFETY: as above.
            match unsafe { &(*t).which } {
                ExternTypeData::$variant(_) => t.cast(),
                _ => std::ptr::null(),
            }
        }
    };
}

/// The data of each kind's variant (for `$t::data`).
pub trait KindData {
    type Data;
}
impl KindData for wasm_functype_t {
    type Data = FuncTypeData;
}
impl KindData for wasm_globaltype_t {
    type Data = GlobalTypeData;
}
impl KindData for wasm_tabletype_t {
    type Data = TableTypeData;
}
impl KindData for wasm_memorytype_t {
    type Data = MemoryTypeData;
}

extern_type_kind!(
    wasm_functype_t,
    Func,
    wasm_functype_vec_t,
    [
        wasm_functype_vec_new_empty,
        wasm_functype_vec_new_uninitialized,
        wasm_functype_vec_new,
        wasm_functype_vec_copy,
        wasm_functype_vec_delete
    ],
    wasm_functype_delete,
    wasm_functype_copy,
    wasm_functype_as_externtype,
    wasm_functype_as_externtype_const,
    wasm_externtype_as_functype,
    wasm_externtype_as_functype_const
);
extern_type_kind!(
    wasm_globaltype_t,
    Global,
    wasm_globaltype_vec_t,
    [
        wasm_globaltype_vec_new_empty,
        wasm_globaltype_vec_new_uninitialized,
        wasm_globaltype_vec_new,
        wasm_globaltype_vec_copy,
        wasm_globaltype_vec_delete
    ],
    wasm_globaltype_delete,
    wasm_globaltype_copy,
    wasm_globaltype_as_externtype,
    wasm_globaltype_as_externtype_const,
    wasm_externtype_as_globaltype,
    wasm_externtype_as_globaltype_const
);
extern_type_kind!(
    wasm_tabletype_t,
    Table,
    wasm_tabletype_vec_t,
    [
        wasm_tabletype_vec_new_empty,
        wasm_tabletype_vec_new_uninitialized,
        wasm_tabletype_vec_new,
        wasm_tabletype_vec_copy,
        wasm_tabletype_vec_delete
    ],
    wasm_tabletype_delete,
    wasm_tabletype_copy,
    wasm_tabletype_as_externtype,
    wasm_tabletype_as_externtype_const,
    wasm_externtype_as_tabletype,
    wasm_externtype_as_tabletype_const
);
extern_type_kind!(
    wasm_memorytype_t,
    Memory,
    wasm_memorytype_vec_t,
    [
        wasm_memorytype_vec_new_empty,
        wasm_memorytype_vec_new_uninitialized,
        wasm_memorytype_vec_new,
        wasm_memorytype_vec_copy,
        wasm_memorytype_vec_delete
    ],
    wasm_memorytype_delete,
    wasm_memorytype_copy,
    wasm_memorytype_as_externtype,
    wasm_memorytype_as_externtype_const,
    wasm_externtype_as_memorytype,
    wasm_externtype_as_memorytype_const
);

fn new_kind<T>(which: ExternTypeData) -> *mut T {
    // `T` is one of the transparent kind wrappers of `wasm_externtype_t`.
    Box::into_raw(Box::new(wasm_externtype_t { which })).cast()
}

/// Takes a C-owned vector's elements (the vector is moved in).
unsafe fn take_valtypes(v: *mut wasm_valtype_vec_t) -> Owned<Option<Box<wasm_valtype_t>>> {
    // SAFETY: `v` is an owned vector made by this library's constructors.
    Owned::new(unsafe { (*v).take() })
}

// ---- function types ---------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_new(
    params: *mut wasm_valtype_vec_t,
    results: *mut wasm_valtype_vec_t,
) -> *mut wasm_functype_t {
    // SAFETY: both vectors are owned by the caller and move in.
    let (params, results) = unsafe { (take_valtypes(params), take_valtypes(results)) };
    new_kind(ExternTypeData::Func(FuncTypeData { params, results }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_params(
    t: *const wasm_functype_t,
) -> *const wasm_valtype_vec_t {
    // SAFETY: `t` is a live function type; the vector lives as long as it.
    unsafe { &(*t).data().params.0 }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_results(
    t: *const wasm_functype_t,
) -> *const wasm_valtype_vec_t {
    // SAFETY: as above.
    unsafe { &(*t).data().results.0 }
}

// ---- global types -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_new(
    content: *mut wasm_valtype_t,
    mutability: u8,
) -> *mut wasm_globaltype_t {
    if content.is_null() {
        return std::ptr::null_mut();
    }
    if mutability > 1 {
        // SAFETY: the owned value type moved in; it is freed as the call fails.
        drop(unsafe { Box::from_raw(content) });
        return std::ptr::null_mut();
    }
    // SAFETY: an owned value type moves in.
    let content = *unsafe { Box::from_raw(content) };
    new_kind(ExternTypeData::Global(GlobalTypeData {
        content,
        mutability,
    }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_content(
    t: *const wasm_globaltype_t,
) -> *const wasm_valtype_t {
    // SAFETY: `t` is a live global type.
    unsafe { &(*t).data().content }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_mutability(t: *const wasm_globaltype_t) -> u8 {
    // SAFETY: `t` is a live global type.
    unsafe { (*t).data().mutability }
}

impl GlobalTypeData {
    pub fn to_global_type(&self) -> GlobalType {
        let m = if self.mutability == 1 {
            Mutability::Var
        } else {
            Mutability::Const
        };
        GlobalType::new(self.content.ty, m)
    }
}

// ---- table types --------------------------------------------------------------------------

/// `NULL` when the element type is not a reference type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_new(
    element: *mut wasm_valtype_t,
    limits: *const wasm_limits_t,
) -> *mut wasm_tabletype_t {
    if element.is_null() {
        return std::ptr::null_mut();
    }
    if limits.is_null() {
        // SAFETY: the owned value type moved in; it is freed as the call fails.
        drop(unsafe { Box::from_raw(element) });
        return std::ptr::null_mut();
    }
    // SAFETY: an owned value type moves in; `limits` is readable.
    let (element, limits_c) = (*unsafe { Box::from_raw(element) }, unsafe { *limits });
    let ValType::Ref(r) = element.ty else {
        return std::ptr::null_mut();
    };
    let ty = TableType {
        element: r,
        table64: false,
        shared: false,
        limits: to_limits(&limits_c),
    };
    new_kind(ExternTypeData::Table(TableTypeData {
        element,
        limits: limits_c,
        ty,
    }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_element(
    t: *const wasm_tabletype_t,
) -> *const wasm_valtype_t {
    // SAFETY: `t` is a live table type.
    unsafe { &(*t).data().element }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_limits(t: *const wasm_tabletype_t) -> *const wasm_limits_t {
    // SAFETY: `t` is a live table type.
    unsafe { &(*t).data().limits }
}

// ---- memory types -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_new(
    limits_c: *const wasm_limits_t,
) -> *mut wasm_memorytype_t {
    if limits_c.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `limits` is readable.
    let limits_c = unsafe { *limits_c };
    let mut ty = MemoryType::new(0, None);
    ty.limits = to_limits(&limits_c);
    new_kind(ExternTypeData::Memory(MemoryTypeData {
        limits: limits_c,
        ty,
    }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_limits(
    t: *const wasm_memorytype_t,
) -> *const wasm_limits_t {
    // SAFETY: `t` is a live memory type.
    unsafe { &(*t).data().limits }
}

// ---- import and export types --------------------------------------------------------------

#[derive(Clone)]
pub struct wasm_importtype_t {
    module: Owned<u8>,
    name: Owned<u8>,
    ty: wasm_externtype_t,
}

#[derive(Clone)]
pub struct wasm_exporttype_t {
    name: Owned<u8>,
    ty: wasm_externtype_t,
}

impl wasm_importtype_t {
    pub fn of(module: &str, name: &str, ty: &ExternType) -> Self {
        wasm_importtype_t {
            module: Owned::new(module.as_bytes().to_vec()),
            name: Owned::new(name.as_bytes().to_vec()),
            ty: wasm_externtype_t::of(ty),
        }
    }
}

impl wasm_exporttype_t {
    pub fn of(name: &str, ty: &ExternType) -> Self {
        wasm_exporttype_t {
            name: Owned::new(name.as_bytes().to_vec()),
            ty: wasm_externtype_t::of(ty),
        }
    }
}

pub type wasm_importtype_vec_t = Vector<Option<Box<wasm_importtype_t>>>;
pub type wasm_exporttype_vec_t = Vector<Option<Box<wasm_exporttype_t>>>;
declare_vec!(
    wasm_importtype_vec_t,
    Option<Box<wasm_importtype_t>>,
    wasm_importtype_vec_new_empty,
    wasm_importtype_vec_new_uninitialized,
    wasm_importtype_vec_new,
    wasm_importtype_vec_copy,
    wasm_importtype_vec_delete
);
declare_vec!(
    wasm_exporttype_vec_t,
    Option<Box<wasm_exporttype_t>>,
    wasm_exporttype_vec_new_empty,
    wasm_exporttype_vec_new_uninitialized,
    wasm_exporttype_vec_new,
    wasm_exporttype_vec_copy,
    wasm_exporttype_vec_delete
);
owned_type!(
    wasm_importtype_t,
    wasm_importtype_delete,
    wasm_importtype_copy
);
owned_type!(
    wasm_exporttype_t,
    wasm_exporttype_delete,
    wasm_exporttype_copy
);

/// Takes an owned name (moved in).
unsafe fn take_name(n: *mut wasm_byte_vec_t) -> Owned<u8> {
    // SAFETY: an owned vector made by this library's constructors.
    Owned::new(unsafe { (*n).take() })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_new(
    module: *mut wasm_byte_vec_t,
    name: *mut wasm_byte_vec_t,
    ty: *mut wasm_externtype_t,
) -> *mut wasm_importtype_t {
    // SAFETY: all three are owned by the caller and move in.
    unsafe {
        Box::into_raw(Box::new(wasm_importtype_t {
            module: take_name(module),
            name: take_name(name),
            ty: *Box::from_raw(ty),
        }))
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_module(
    t: *const wasm_importtype_t,
) -> *const wasm_byte_vec_t {
    // SAFETY: `t` is a live import type.
    unsafe { &(*t).module.0 }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_name(
    t: *const wasm_importtype_t,
) -> *const wasm_byte_vec_t {
    // SAFETY: `t` is a live import type.
    unsafe { &(*t).name.0 }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_type(
    t: *const wasm_importtype_t,
) -> *const wasm_externtype_t {
    // SAFETY: `t` is a live import type.
    unsafe { &(*t).ty }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_new(
    name: *mut wasm_byte_vec_t,
    ty: *mut wasm_externtype_t,
) -> *mut wasm_exporttype_t {
    // SAFETY: both are owned by the caller and move in.
    unsafe {
        Box::into_raw(Box::new(wasm_exporttype_t {
            name: take_name(name),
            ty: *Box::from_raw(ty),
        }))
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_name(
    t: *const wasm_exporttype_t,
) -> *const wasm_byte_vec_t {
    // SAFETY: `t` is a live export type.
    unsafe { &(*t).name.0 }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_type(
    t: *const wasm_exporttype_t,
) -> *const wasm_externtype_t {
    // SAFETY: `t` is a live export type.
    unsafe { &(*t).ty }
}
