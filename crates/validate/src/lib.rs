//! Spindle's validator for WebAssembly 3.0 core modules.
//!
//! [`validate`] decodes and checks a whole module. Function bodies are checked by
//! [`FuncValidator`] through [`Visitor`], an operator visitor (see
//! [`spindle_decode::VisitOperator`]) generated from the decoder's operator table, so that a
//! translator can run fused with it in one pass over each body.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "component")]
pub mod component;
mod ctx;
mod error;
mod features;
mod func;
mod module;
mod types;

pub use ctx::ModuleCtx;
pub use error::{ErrorKind, Result, ValidateError};
pub use features::{check_compiled_in, compiled_in, other_memories_compiled_in, Features};
pub use func::{FuncValidator, Visitor};
pub use module::check_module;
pub use types::{abstract_sub, map_sub, TypeSpace};

/// Decodes and validates a whole module under `features`.
///
/// ```
/// let wasm = [0, b'a', b's', b'm', 1, 0, 0, 0];
/// assert!(spindle_validate::validate(&wasm, &spindle_validate::Features::default()).is_ok());
/// ```
pub fn validate(bytes: &[u8], features: &Features) -> Result<()> {
    module::validate_module(bytes, features)
}
