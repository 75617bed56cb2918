//! Errors, as in wasmtime: one [`Error`] type (`anyhow::Error`, one pointer wide) for
//! everything, whose cause is found by downcasting.
//!
//! - a trap: [`Trap`] (the trap code), with a [`WasmBacktrace`] as context;
//! - a host function's own error: whatever type the host function returned (`?` or
//!   `.into()` on any `core::error::Error + Send + Sync + 'static`), untouched;
//! - [`I32Exit`]: a guest asked to exit with a status (WASI's `proc_exit`);
//! - an uncaught exception: [`Trap::UncaughtException`] with a [`ThrownException`];
//! - compiling, linking, instantiating, limits: [`EngineError`] (validation errors keep
//!   their byte offset in [`EngineError::Validate`]).
//!
//! ```
//! use spindle::{Engine, Module, Store, Linker, Trap};
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"(module (func $boom (export "boom") unreachable))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let boom = instance.get_typed_func::<(), ()>(&mut store, "boom")?;
//! let err = boom.call(&mut store, ()).unwrap_err();
//! assert_eq!(err.downcast_ref::<Trap>(), Some(&Trap::Unreachable));
//! assert!(format!("{err:?}").contains("boom"));
//! # Ok::<(), spindle::Error>(())
//! ```

use crate::prelude::*;
use core::fmt;

pub use anyhow::{anyhow as format_err, bail, ensure, Context, Error, Result};
pub use spindle_exec::Error as EngineError;
pub use spindle_exec::TrapCode as Trap;

/// A guest's request to exit with a status (WASI's `proc_exit`), as the error a host
/// function returns to end the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl fmt::Display for I32Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exited with i32 exit status {}", self.0)
    }
}

impl core::error::Error for I32Exit {}

/// An exception that left Wasm (no handler caught it), or that a host function throws
/// ([`Caller::throw`](crate::Caller::throw)). [`Store::caught`](crate::Store::caught) reads
/// its tag and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrownException {
    pub(crate) store: u64,
    pub(crate) exn: u32,
}

impl fmt::Display for ThrownException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exception {} thrown", self.exn)
    }
}

impl core::error::Error for ThrownException {}

/// The Wasm frames a trap went through, innermost first: function index, name (from the
/// module's name section) and code offset. Attached to trap errors as context, so
/// `format!("{error:?}")` shows them and `error.downcast_ref::<WasmBacktrace>()` reads them.
///
/// Its `Display` starts with what the error underneath says, so `error.to_string()` of a
/// trap reads `out of bounds memory access` and then the frames.
#[derive(Clone, Debug, Default)]
pub struct WasmBacktrace {
    /// The message of the error the backtrace is attached to.
    message: String,
    frames: Vec<FrameInfo>,
}

/// One frame of a [`WasmBacktrace`].
pub use spindle_exec::FrameInfo;

impl WasmBacktrace {
    /// The frames, innermost first.
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nwasm backtrace:", self.message)?;
        for (i, frame) in self.frames.iter().enumerate() {
            write!(f, "\n  {i:>3}: {frame}")?;
        }
        Ok(())
    }
}

/// The embedder's error for a trap of store `store`.
pub(crate) fn from_trap(store: u64, mut t: spindle_exec::Trap) -> Error {
    let frames = core::mem::take(&mut t.backtrace);
    let payload = t.payload.take().map(|p| p.downcast::<Error>());
    let mut e = match (payload, t.exception) {
        (Some(Ok(e)), _) => *e,
        // The exception underneath, the trap code on top (its message is what shows).
        (_, Some(exn)) => Error::new(ThrownException { store, exn }).context(t.code),
        _ if t.code == Trap::Host => Error::msg(t.to_string()),
        _ => Error::new(t.code),
    };
    // A host function that returns the error of a Wasm call it made passes on a backtrace
    // that already has every frame (the capture reads the whole stack).
    if !frames.is_empty() && e.downcast_ref::<WasmBacktrace>().is_none() {
        let message = e.to_string();
        e = e.context(WasmBacktrace { message, frames });
    }
    e
}

/// An error from the interpreter layer (compile, link, instantiate, call).
pub(crate) fn from_exec(store: u64, e: spindle_exec::Error) -> Error {
    match e {
        spindle_exec::Error::Trap(t) => from_trap(store, t),
        e => Error::new(e),
    }
}

/// A host function's error as the interpreter carries it: an exception this store's host
/// threw stays an exception, anything else travels as an opaque payload.
pub(crate) fn to_trap(store: &spindle_exec::Store, e: Error) -> spindle_exec::Trap {
    if let Some(t) = e.downcast_ref::<ThrownException>() {
        if t.store == store.id && store.exception_is_live(t.exn) {
            return spindle_exec::Trap::exception(t.exn);
        }
    }
    spindle_exec::Trap::host_payload(e.to_string(), Box::new(e))
}

/// The tag and payload of the exception `error` carries, if it is one of `store`'s.
pub(crate) fn caught(
    store: &spindle_exec::Store,
    error: &Error,
) -> Option<(crate::Tag, Vec<crate::Val>)> {
    let t = error.downcast_ref::<ThrownException>()?;
    if t.store != store.id {
        return None;
    }
    let (tag, payload) = store.exception_of(&spindle_exec::Trap::exception(t.exn))?;
    let payload = payload
        .into_iter()
        .map(|v| crate::Val::from_exec(v, store.id))
        .collect();
    Some((crate::Tag::from_index(store.id, tag), payload))
}

/// Raises again a host function's panic that the interpreter caught, once the call is
/// back in the embedder's hands (the store is already as after a trap).
pub(crate) fn resume_panic(store: &mut spindle_exec::Store) {
    if let Some(payload) = store.panic.take() {
        spindle_exec::platform::resume_panic(payload);
    }
}
