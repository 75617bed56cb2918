//! Spindle's runtime core: compiled modules, the store of runtime entities, instantiation and
//! the interpreter of register bytecode.
//!
//! The public embedding API (`spindle` crate) wraps these types; this crate keeps the data
//! layout the interpreter works on directly.

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use crate::prelude::*;
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod fallible;
pub mod gc;
mod instantiate;
pub mod interp;
pub mod linear;
mod mapped;
pub mod module;
pub mod num;
pub mod platform;
pub mod shared;
pub mod simd;
pub mod store;
mod prelude {
    //! What std's prelude gives, for a `no_std` crate.
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}
pub mod types;

use core::fmt;

pub use instantiate::instantiate;
pub use interp::{
    call, call_resumable, effective_dispatch, memory_grow, park, resume, table_grow, unpark,
    Dispatch, ParkedCall, Refused, Suspension,
};
pub use mapped::ModuleBytes;
pub use module::{
    compile, compile_bytes, CodeOptions, CompiledModule, ExportKind, FuncCode, ImportDesc, Names,
    Translation,
};
pub use spindle_ir::TrapCode;
pub use store::*;
pub use types::{FuncType, TypeRegistry};

/// A runtime value.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// Bits of an `f32` (NaN payloads survive).
    F32(u32),
    /// Bits of an `f64`.
    F64(u64),
    V128(u128),
    /// A function reference: the store's function index, or null.
    FuncRef(Option<u32>),
    /// A host reference, or null.
    ExternRef(Option<u32>),
    /// An exception reference (its bits, see [`gc::exn`]), or null. Exceptions are
    /// collected: one the host alone keeps goes stale (detected, as an `AnyRef`'s).
    ExnRef(Option<u64>),
    /// A reference of the `any` hierarchy (a struct, an array, an `i31`, or a host
    /// reference made an `anyref`), or an `externref` made of one; or null.
    AnyRef(Option<AnyRef>),
}

/// A non-null reference of the `any` hierarchy, as the store encodes it (see
/// [`gc`](crate::gc)). A struct or array stays alive while Wasm code, a global, a table or
/// an exception holds it; a reference the host alone keeps past a collection goes stale
/// (detected: it no longer matches any type, and passing it in fails).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct AnyRef(pub u64);

impl AnyRef {
    /// The `i31` of the low 31 bits of `v`.
    pub fn i31(v: i32) -> AnyRef {
        AnyRef(gc::i31(v as u32))
    }

    /// Host reference number `n` as an `anyref`.
    pub fn host(n: u32) -> AnyRef {
        AnyRef(gc::host(n))
    }

    /// What the reference is.
    pub fn kind(self) -> gc::RefKind {
        gc::kind(self.0)
    }
}

/// Why a call did not complete.
#[derive(Debug)]
pub struct Trap {
    pub code: TrapCode,
    /// For host errors: what the host said.
    pub message: Option<String>,
    /// For `UncaughtException`: the exception (its index in `Store::exceptions`). A host
    /// function that returns such a trap throws the exception into its Wasm caller.
    pub exception: Option<u32>,
    /// For host errors: the error value the embedder's host function returned, carried
    /// through the interpreter untouched so the embedder gets it back (the embedding API
    /// decides what it is).
    pub payload: Option<Box<dyn core::any::Any + Send + Sync>>,
    /// The Wasm frames the trap stopped, innermost first: the trapping function, then its
    /// callers down to the outermost call into Wasm (through host functions that called
    /// back into Wasm; below them too, the frames of a suspended resumable call the
    /// embedder has not finished). Empty when none was captured: the trap did not stop Wasm
    /// code (a host function called by the embedder, an argument check) or is an exception
    /// that left the call (its frames were unwound looking for a handler).
    pub backtrace: Vec<FrameInfo>,
}

/// One Wasm frame of a [`Trap`]'s backtrace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FrameInfo {
    /// The function's index in its module's function index space (imports included).
    pub func_index: u32,
    /// The function's name in its module's `name` section, if it has one.
    pub func_name: Option<String>,
    /// The module's name in its `name` section, if it has one.
    pub module_name: Option<String>,
    /// Byte offset in the module binary of the Wasm instruction the frame stopped at: the
    /// one that trapped (innermost frame), or the call it is in (the others).
    pub module_offset: Option<usize>,
    /// The same place as an offset from the start of the function's body (its locals
    /// declarations, after the body's size).
    pub func_offset: Option<usize>,
}

/// wasmtime's accessors, for hosts that read frames through them.
impl FrameInfo {
    /// The function's index in its module.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }
    /// The function's name, if the module names it.
    pub fn func_name(&self) -> Option<&str> {
        self.func_name.as_deref()
    }
    /// The module's name, if it has one.
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }
    /// The byte offset in the module of the instruction the frame stopped at.
    pub fn module_offset(&self) -> Option<usize> {
        self.module_offset
    }
    /// The offset within the function's body.
    pub fn func_offset(&self) -> Option<usize> {
        self.func_offset
    }
}

impl fmt::Display for FrameInfo {
    /// `0x1a3 - m!f`: the offset, then the module's and the function's names (`func[3]`
    /// for a function without one; no `m!` for a module without one).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(offset) = self.module_offset {
            write!(f, "{offset:#x} - ")?;
        }
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(name) => f.write_str(name),
            None => write!(f, "func[{}]", self.func_index),
        }
    }
}

impl Trap {
    pub fn new(code: TrapCode) -> Self {
        Trap {
            code,
            message: None,
            exception: None,
            payload: None,
            backtrace: Vec::new(),
        }
    }

    /// A trap raised by a host function.
    pub fn host(message: impl Into<String>) -> Self {
        Trap {
            message: Some(message.into()),
            ..Trap::new(TrapCode::Host)
        }
    }

    /// A host function's error carrying `payload`, described by `message`.
    pub fn host_payload(
        message: impl Into<String>,
        payload: Box<dyn core::any::Any + Send + Sync>,
    ) -> Self {
        Trap {
            payload: Some(payload),
            ..Trap::host(message)
        }
    }

    /// Exception `exn` (an index in `Store::exceptions`) leaving a call, or thrown by a host
    /// function.
    pub fn exception(exn: u32) -> Self {
        Trap {
            exception: Some(exn),
            ..Trap::new(TrapCode::UncaughtException)
        }
    }

    /// The backtrace, one numbered frame a line (`     0: 0x1a3 - m!f`), innermost first;
    /// nothing when it is empty. (The trap's own `Display` is its message alone.)
    pub fn display_backtrace(&self) -> impl fmt::Display + '_ {
        struct Lines<'a>(&'a [FrameInfo]);
        impl fmt::Display for Lines<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, frame) in self.0.iter().enumerate() {
                    writeln!(f, "  {i:>4}: {frame}")?;
                }
                Ok(())
            }
        }
        Lines(&self.backtrace)
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Self {
        Trap::new(code)
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.code.message()),
            None => f.write_str(self.code.message()),
        }
    }
}

impl core::error::Error for Trap {}

/// An error from compiling, linking, instantiating or calling.
#[derive(Debug)]
pub enum Error {
    /// The module is malformed or invalid.
    Validate(spindle_validate::ValidateError),
    /// An import is missing or has the wrong type.
    Link(String),
    /// Execution trapped (a start function, a segment initialiser, or a call).
    Trap(Trap),
    /// A call was made with arguments or results of the wrong number or types.
    Call(String),
    /// A resource limit was reached (memories, tables, instances).
    Limit(String),
    /// A module file could not be read.
    Io(String),
    /// A module in the text format could not be parsed.
    Text(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validate(e) => write!(f, "{e}"),
            Error::Link(m) => write!(f, "link error: {m}"),
            Error::Trap(t) => write!(f, "{t}"),
            Error::Call(m) => write!(f, "call error: {m}"),
            Error::Limit(m) => write!(f, "limit reached: {m}"),
            Error::Io(m) => write!(f, "cannot read module: {m}"),
            Error::Text(m) => write!(f, "text format: {m}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<spindle_validate::ValidateError> for Error {
    fn from(e: spindle_validate::ValidateError) -> Self {
        Error::Validate(e)
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        Error::Trap(t)
    }
}
