//! Spindle's canonical ABI core for the Component Model.
//!
//! * [`types`]: component value types ([`Type`], `Arc`-shared, each with its [`Layout`])
//!   and function types ([`FuncType`]).
//! * [`layout`]: size, alignment, discriminants, flags, `flatten_type` and
//!   `flatten_functype` with the [`MAX_FLAT_PARAMS`]/[`MAX_FLAT_RESULTS`] limits.
//! * [`values`]: the dynamic [`Val`] and its type check.
//! * [`abi`]: `load`/`store`, `lift_flat`/`lower_flat`, strings with transcoding, and the
//!   function-level lifting and lowering with spilling, over a caller's [`Memory`].
//! * [`resources`]: the [`Resources`] hooks for `own`/`borrow` and a [`HandleTable`].
//!
//! This crate knows values and memory layouts only: not binaries, stores or the
//! interpreter. Callers bring the memory, `realloc` and the handle tables.
//!
//! No `unsafe`, `no_std` + `alloc`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod layout;
pub mod resources;
pub mod types;
pub mod values;

pub use abi::{
    lift_args, lift_flat, lift_results, lift_values_limited, load, lower_args, lower_flat,
    lower_results, store, store_values, CoreVal, Cx, FlatIter, FlatSource, Memory, Options,
    StringEncoding, Trap,
};
pub use layout::{
    flatten_functype, CoreFuncType, CoreType, FlatContext, Layout, MAX_FLAT_PARAMS,
    MAX_FLAT_RESULTS,
};
pub use resources::{HandleTable, NoResources, Other, Resources};
pub use types::{Case, Field, FuncType, ResourceId, Type, TypeError, TypeKind};
pub use values::{StringOrigin, StringVal, TypeMismatch, Val};
