//! WASI for Spindle guests, in wasmtime-wasi's shapes: a [`WasiCtxBuilder`] says what a
//! guest may see (arguments, environment, standard streams, clocks, randomness, preopened
//! directories, network addresses), the resulting context lives in the store's data, and
//! - [`p2::add_to_linker_sync`] defines every WASI 0.2 interface (`wasi:cli`, `wasi:io`,
//!   `wasi:clocks`, `wasi:random`, `wasi:filesystem`, `wasi:sockets`; 0.2.12's WIT,
//!   older 0.2.x imports accepted) for components, over a [`WasiView`];
//!   [`p2::bindings::sync::Command`] runs a command's `wasi:cli/run`;
//! - [`p1::add_to_linker_sync`] defines `wasi_snapshot_preview1` for core modules over the
//!   same context and the same filesystem code (`fs`).
//!
//! Paths are resolved by `cap-std` beneath the preopens (nothing outside is reachable);
//! sockets reach only addresses the builder allows; hostile arguments are errors the
//! guest sees (or traps where an interface has no error), never host panics; handles
//! and per-call buffers are bounded.

#![forbid(unsafe_code)]

mod ctx;
mod fs;
pub mod p1;
pub mod p2;
pub mod pipe;

pub use ctx::{
    DirPerms, FilePerms, FsPerms, HostMonotonicClock, HostWallClock, RandomSource, SocketAddrUse,
    WasiCtx, WasiCtxBuilder,
};
pub use p1::WasiP1Ctx;
pub use p2::{WasiCtxView, WasiView};
pub use spindle::component::ResourceTable;
pub use spindle::I32Exit;
