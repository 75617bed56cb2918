//! Traps and frames. A trap carries its message, the Wasm frames it went through, and the
//! Spindle error it came from (so a trap a host function passes on keeps its cause: an
//! exit status, an exception, fuel).

use crate::refs::{ref_type, RefObject, What};
use crate::store::wasm_store_t;
use crate::vec::{declare_vec, wasm_byte_vec_t, Vector};
use spindle::{Error, FrameInfo, WasmBacktrace};
use std::sync::{Arc, Mutex};

pub struct TrapData {
    pub(crate) message: String,
    pub(crate) frames: Vec<FrameInfo>,
    pub(crate) error: Mutex<Option<Error>>,
    /// What `spindle_trap_code` and `spindle_trap_exit_status` answer, kept apart from
    /// `error` (which a host function passing the trap on takes).
    pub(crate) code: Option<spindle::Trap>,
    pub(crate) exit: Option<i32>,
    pub(crate) host_info: crate::refs::HostInfoCell,
}

impl TrapData {
    /// A trap with `message` only (made by the host, or by the C API for a wrong call).
    pub fn message(message: String) -> TrapData {
        TrapData {
            message,
            frames: Vec::new(),
            error: Mutex::new(None),
            code: None,
            exit: None,
            host_info: Default::default(),
        }
    }

    pub fn from_error(e: Error) -> TrapData {
        let frames = e
            .downcast_ref::<WasmBacktrace>()
            .map(|b| b.frames().to_vec())
            .unwrap_or_default();
        // The message without the frames (`WasmBacktrace`'s display appends them).
        let full = e.to_string();
        let message = full
            .split_once("\nwasm backtrace:")
            .map_or(full.as_str(), |(m, _)| m)
            .to_string();
        TrapData {
            message,
            frames,
            code: e.downcast_ref::<spindle::Trap>().copied(),
            exit: e.downcast_ref::<spindle::I32Exit>().map(|x| x.0),
            error: Mutex::new(Some(e)),
            host_info: Default::default(),
        }
    }

    /// The error to raise for this trap (its original one the first time).
    pub fn to_error(&self) -> Error {
        let original = self.error.lock().ok().and_then(|mut e| e.take());
        original.unwrap_or_else(|| Error::msg(self.message.clone()))
    }
}

ref_type!(
    wasm_trap_t,
    |w| matches!(w, What::Trap(_)),
    [
        wasm_trap_delete,
        wasm_trap_copy,
        wasm_trap_same,
        wasm_trap_get_host_info,
        wasm_trap_set_host_info,
        wasm_trap_set_host_info_with_finalizer
    ],
    wasm_trap_as_ref,
    wasm_trap_as_ref_const,
    wasm_ref_as_trap,
    wasm_ref_as_trap_const
);

impl wasm_trap_t {
    pub(crate) fn data(&self) -> &Arc<TrapData> {
        match &self.r.what {
            What::Trap(t) => t,
            // Only traps are made as `wasm_trap_t` (constructors and checked casts).
            _ => unreachable!("a trap handle of another kind"),
        }
    }
}

pub fn new_trap(store: *mut wasm_store_t, data: TrapData) -> *mut wasm_trap_t {
    RefObject::boxed(store, What::Trap(Arc::new(data)))
}

pub fn trap_from_error(store: *mut wasm_store_t, e: Error) -> *mut wasm_trap_t {
    new_trap(store, TrapData::from_error(e))
}

/// A trap with `message` (a trailing NUL, as the header's messages have, is not part of
/// it).
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new(
    store: *mut wasm_store_t,
    message: *const wasm_byte_vec_t,
) -> *mut wasm_trap_t {
    // SAFETY: `message` is a live vector.
    let bytes = unsafe { message.as_ref().map(|m| m.as_slice()).unwrap_or(&[]) };
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let message = String::from_utf8_lossy(bytes).into_owned();
    new_trap(store, TrapData::message(message))
}

/// The message, NUL-terminated (the NUL counted in the size), as the header specifies.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_message(t: *const wasm_trap_t, out: *mut wasm_byte_vec_t) {
    // SAFETY: `t` is a live trap and `out` writable.
    let mut bytes = unsafe { (*t).data() }.message.clone().into_bytes();
    bytes.push(0);
    unsafe { out.write(Vector::from_vec(bytes)) }
}

/// The innermost frame; `NULL` for a trap with none (made by the host).
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_origin(t: *const wasm_trap_t) -> *mut wasm_frame_t {
    // SAFETY: `t` is a live trap.
    match unsafe { (*t).data() }.frames.first() {
        Some(f) => Box::into_raw(Box::new(wasm_frame_t::of(f))),
        None => std::ptr::null_mut(),
    }
}

/// The frames, innermost first.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_trace(t: *const wasm_trap_t, out: *mut wasm_frame_vec_t) {
    // SAFETY: `t` is a live trap and `out` writable.
    let frames = unsafe { (*t).data() }
        .frames
        .iter()
        .map(|f| Some(Box::new(wasm_frame_t::of(f))))
        .collect();
    unsafe { out.write(Vector::from_vec(frames)) }
}

// ---- frames ----------------------------------------------------------------------------------

#[derive(Clone)]
pub struct wasm_frame_t {
    func_index: u32,
    func_offset: usize,
    module_offset: usize,
}

impl wasm_frame_t {
    fn of(f: &FrameInfo) -> Self {
        wasm_frame_t {
            func_index: f.func_index(),
            func_offset: f.func_offset().unwrap_or(0),
            module_offset: f.module_offset().unwrap_or(0),
        }
    }
}

pub type wasm_frame_vec_t = Vector<Option<Box<wasm_frame_t>>>;
declare_vec!(
    wasm_frame_vec_t,
    Option<Box<wasm_frame_t>>,
    wasm_frame_vec_new_empty,
    wasm_frame_vec_new_uninitialized,
    wasm_frame_vec_new,
    wasm_frame_vec_copy,
    wasm_frame_vec_delete
);

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_delete(f: *mut wasm_frame_t) {
    if !f.is_null() {
        // SAFETY: an owned frame, given back once.
        drop(unsafe { Box::from_raw(f) });
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_copy(f: *const wasm_frame_t) -> *mut wasm_frame_t {
    // SAFETY: `f` is a live frame.
    Box::into_raw(Box::new(unsafe { (*f).clone() }))
}

/// Always `NULL`: Spindle's frames name their function and offsets, not an instance
/// handle the embedder owns.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_instance(
    _f: *const wasm_frame_t,
) -> *mut crate::instance::wasm_instance_t {
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_index(f: *const wasm_frame_t) -> u32 {
    // SAFETY: `f` is a live frame.
    unsafe { (*f).func_index }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_offset(f: *const wasm_frame_t) -> usize {
    // SAFETY: `f` is a live frame.
    unsafe { (*f).func_offset }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_module_offset(f: *const wasm_frame_t) -> usize {
    // SAFETY: `f` is a live frame.
    unsafe { (*f).module_offset }
}
