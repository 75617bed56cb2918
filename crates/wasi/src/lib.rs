//! WASI for Spindle guests, in wasmtime-wasi's shapes: a [`WasiCtxBuilder`] says what a
//! guest may see (arguments, environment, standard streams, clocks, randomness), the
//! resulting context lives in the store's data, and [`p1::add_to_linker_sync`] defines
//! `wasi_snapshot_preview1` over it.
//!
//! Built so far (issue 12, first part), preview 1: arguments, environment, standard
//! input/output/error (inherited, or in-memory pipes the host reads and fills), clocks
//! (real, or fixed for deterministic runs), randomness (the OS's, or a seeded generator),
//! `proc_exit`, `poll_oneoff` on clocks, `sched_yield`, and files beneath preopened
//! directories ([`WasiCtxBuilder::preopened_dir`], read-only or read-write ([`FsPerms`]); paths
//! resolved by `cap-std` so nothing outside is reachable): open with every flag, read,
//! write, pread/pwrite, seek, stat, readdir, mkdir, rmdir, unlink, rename, symlinks.
//! Sockets and the remaining calls (`fd_advise`, times, links, ...) answer `ENOSYS`;
//! preview 2 is to be built on the same [`WasiCtx`].
//!
//! Hostile arguments are errors the guest sees (`EFAULT` for pointers outside its memory,
//! `EBADF` for unknown descriptors, `EOVERFLOW` for sizes), never host panics.

#![forbid(unsafe_code)]

mod ctx;
mod fs;
pub mod p1;
pub mod p2;
pub mod pipe;

pub use ctx::{DirPerms, FilePerms, FsPerms, SocketAddrUse, WasiCtx, WasiCtxBuilder};
pub use p1::WasiP1Ctx;
pub use p2::{WasiCtxView, WasiView};
pub use spindle::component::ResourceTable;
pub use spindle::I32Exit;
