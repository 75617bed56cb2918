//! Spindle's decoder for the WebAssembly 3.0 core binary format.
//!
//! * [`BinaryReader`]: a bounds-checked cursor with LEB128 and the primitive encodings.
//! * [`types`]: value, reference, heap, composite and rec-group types and their readers.
//! * [`module`]: the section structure of a module, decoded into [`Module`]; function bodies
//!   and constant expressions stay as byte ranges, walked later by an operator visitor.
//! * [`operators`]: the one table of every opcode, from which the [`Opcode`] enum, the
//!   [`VisitOperator`] trait and the reader [`read_operator`] are generated.
//! * [`component`] (feature `component`): the component binary format, decoded into
//!   [`component::Component`]; nested core modules stay as byte ranges for [`Module::parse`].
//!
//! No `unsafe`, `no_std` + `alloc`, and no allocation sized by an unchecked count.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "component")]
pub mod component;
mod error;
pub mod limits;
pub mod module;
pub mod operators;
mod reader;
pub mod types;

pub use error::{DecodeError, Result};
pub use module::*;
pub use operators::*;
pub use reader::BinaryReader;
pub use types::*;
