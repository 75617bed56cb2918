//! Spindle's embedding API: compile modules, link them with host functions and other
//! instances, and call into them. The names and shapes are wasmtime's wherever wasmtime has
//! the item, so porting a wasmtime host is mostly renaming the crate (`docs/PORTING.md`).
//!
//! ```
//! use spindle::{Caller, Config, Engine, Linker, Module, Store};
//!
//! struct Host { calls: u32 }
//!
//! let engine = Engine::new(Config::new().consume_fuel(true))?;
//! let module = Module::new(&engine, r#"(module
//!     (import "host" "add" (func $add (param i32 i32) (result i32)))
//!     (func (export "run") (param i32) (result i32)
//!         (call $add (local.get 0) (i32.const 1))))"#)?;
//!
//! let mut linker = Linker::<Host>::new(&engine);
//! linker.func_wrap("host", "add", |mut caller: Caller<'_, Host>, a: i32, b: i32| {
//!     caller.data_mut().calls += 1;
//!     a + b
//! })?;
//!
//! let mut store = Store::new(&engine, Host { calls: 0 });
//! store.set_fuel(10_000)?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 41)?, 42);
//! assert_eq!(store.data().calls, 1);
//! # Ok::<(), spindle::Error>(())
//! ```
//!
//! Handles ([`Func`], [`Memory`], [`Instance`], ...) name entities of one [`Store`] and
//! carry its id: used with another store they panic, never reaching the wrong object.
//! [`Engine`], [`Module`], [`Linker`] and [`InstancePre`] are `Send + Sync`; a [`Store`]
//! is `Send`. Errors are one [`Error`] type, downcast to find the cause (see [`error`]).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod prelude {
    //! What std's prelude gives, for a `no_std` crate.
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

#[cfg(feature = "component")]
pub mod component;
mod engine;
pub mod error;
mod func;
mod gc;
mod linker;
mod objects;
mod shared_memory;
mod store;
mod values;

pub use engine::{Config, Engine, EngineWeak, ExportType, ExternType, ImportType, Module};
pub use error::WasmBacktrace;
pub use error::{
    bail, ensure, format_err, Context, EngineError, Error, FrameInfo, I32Exit, Result,
    ThrownException, Trap,
};
pub use func::{
    Caller, Func, HostResult, IntoFunc, ResumableCall, ResumableInvocation, TypedFunc,
    TypedResumableCall, TypedResumableInvocation, WasmParams, WasmResults, WasmTy,
};
pub use gc::GcRoot;
pub use linker::{Export, Instance, InstancePre, Linker};
pub use objects::{Extern, Global, Memory, MemoryAccessError, Table, Tag};
pub use shared_memory::{SharedMemory, WaitResult};
pub use spindle_decode::{
    AbstractHeapType, GlobalType, HeapType, Limits, MemoryType, Mutability, RefType, TableType,
    ValType,
};
pub use spindle_exec::gc::RefKind as GcKind;
pub use spindle_exec::{Dispatch, FuncType, StoreLimits, Translation};
pub use spindle_validate::Features;
pub use store::{
    AsContext, AsContextMut, GcStats, Store, StoreContext, StoreContextMut, StoreLimitsBuilder,
    UpdateDeadline,
};
pub use values::{AnyRef, ExnRef, ExternRef, Val, V128};

/// The types every embedder wants to be `Send`/`Sync`, checked when the crate compiles.
const _: () = {
    const fn send_sync<X: Send + Sync>() {}
    const fn send<X: Send>() {}
    send_sync::<Engine>();
    send_sync::<Module>();
    send_sync::<Linker<()>>();
    send_sync::<InstancePre<()>>();
    send_sync::<Func>();
    send_sync::<TypedFunc<(i32,), i64>>();
    send_sync::<Memory>();
    send_sync::<Table>();
    send_sync::<Global>();
    send_sync::<Tag>();
    send_sync::<Instance>();
    send_sync::<Extern>();
    send_sync::<Val>();
    send_sync::<GcRoot>();
    send_sync::<Error>();
    send::<Store<()>>();
    send::<ResumableInvocation>();
    send::<TypedResumableInvocation<i32>>();
};
