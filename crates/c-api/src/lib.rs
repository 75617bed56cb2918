//! The standard WebAssembly C API (`include/wasm.h`) and Spindle's extensions
//! (`include/spindle.h`), over the public `spindle` API only.
//!
//! Built as `libspindle_c_api.{so,a}`; `build-lib.sh` installs it as `libspindle` with the
//! headers and `spindle.pc`. The C programs in `tests/c` are its tests (run by
//! `tests/c_programs.rs`, under valgrind where the machine has it).
//!
//! # Objects
//!
//! Every reference object of `wasm.h` (func, global, table, memory, extern, instance,
//! module, trap, foreign, ref) is one Rust type, [`refs::RefObject`]: the store it
//! belongs to, what it names, and the host info the embedder attached. The C types are
//! `#[repr(transparent)]` wrappers of it, so the header's `wasm_func_as_extern`,
//! `wasm_ref_as_func`, ... are pointer casts (checked by kind where the header allows a
//! null answer), as the header intends. Deleting a handle frees the handle only: the
//! Wasm object lives as long as its store.
//!
//! # Safety
//!
//! Every exported function is `unsafe extern "C"`: its contract is the header's. Pointers
//! are non-null and point to live objects of the named type unless the header says an
//! argument may be null; an `own` argument is not used again by the caller; a store and
//! its objects are used by one thread at a time and are deleted store-last. Within those
//! rules nothing here is undefined behaviour, and nothing unwinds into C: Spindle's
//! errors become traps, `NULL` or `false`, as the header provides.
//!
//! Re-entrance: a host function (`wasm_func_new`) may call back into Wasm and touch any
//! object of its store. While it runs, the store is borrowed by the call in progress, so
//! the store's context is then reached through that call's `Caller` (the innermost one,
//! kept on a stack in [`store::wasm_store_t`]), never through a second `&mut Store`.

#![allow(non_camel_case_types)]
// The C header is the safety documentation of every exported function (see above).
#![allow(clippy::missing_safety_doc)]

mod extern_;
mod func;
mod instance;
mod module;
mod refs;
mod spindle_ext;
mod store;
mod trap;
mod types;
mod val;
mod vec;
