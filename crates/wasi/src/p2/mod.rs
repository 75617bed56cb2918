//! WASI 0.2 (preview 2) for components, over the same [`WasiCtx`] as preview 1:
//! [`add_to_linker_sync`] defines every interface of `wasi:cli/command`'s imports
//! (`wasi:cli`, `wasi:io`, `wasi:clocks`, `wasi:random`, `wasi:filesystem`,
//! `wasi:sockets`, version 0.2.12; a guest's imports of 0.2.0 and later resolve to them by
//! WIT's semver rule), and [`bindings::Command`] runs a command's `wasi:cli/run`.
//!
//! The guest's handles (streams, descriptors, sockets, pollables) are the host's values
//! in a [`ResourceTable`] next to the context ([`WasiView`] gives both); handles the guest
//! passes that are not in the table trap. Every bound the preview-1 side has holds here
//! too: [`MAX_RESOURCES`] handles, reads and writes of at most [`MAX_IO`] bytes per call.

use spindle::component::{HasData, Linker, Resource, ResourceTable};
use spindle::Result;

use crate::ctx::WasiCtx;

pub mod bindings;
mod cli;
mod filesystem;
mod io;
mod sockets;

pub use filesystem::{Descriptor, DirectoryEntryStream};
pub use io::{InputStream, IoError, OutputStream, Pollable};
pub use sockets::{
    IncomingDatagramStream, Network, OutgoingDatagramStream, ResolveAddressStream, TcpSocket,
    UdpSocket,
};

/// The most resources a guest may hold in its WASI table (further creations fail with an
/// error the guest sees, or trap where the interface has no error).
pub const MAX_RESOURCES: usize = 16 * 1024;

/// The most bytes one stream or file read or write moves (a guest asking for more gets
/// at most this many, so one call cannot make the host allocate without bound).
pub const MAX_IO: u64 = 4 * 1024 * 1024;

/// What the host functions get: the guest's context and its resources (wasmtime-wasi's
/// `WasiCtxView`).
pub struct WasiCtxView<'a> {
    pub ctx: &'a mut WasiCtx,
    pub table: &'a mut ResourceTable,
}

/// Store data that holds a WASI context and a resource table (wasmtime-wasi's
/// `WasiView`).
pub trait WasiView: Send {
    fn ctx(&mut self) -> WasiCtxView<'_>;
}

/// [`HasData`] for the WASI host functions: they see a [`WasiCtxView`].
pub struct HasWasi;

impl HasData for HasWasi {
    type Data<'a> = WasiCtxView<'a>;
}

/// The terminal resources (no operations in WASI 0.2; a standard stream has one when the
/// host's own stream is a terminal and inherited).
#[derive(Debug)]
pub struct TerminalInput;

#[derive(Debug)]
pub struct TerminalOutput;

impl WasiCtxView<'_> {
    /// Keeps `value` in the table, refusing past [`MAX_RESOURCES`].
    pub(crate) fn push<R: Send + 'static>(&mut self, value: R) -> Result<Resource<R>> {
        if self.table.len() >= MAX_RESOURCES {
            spindle::bail!("the guest holds too many WASI resources (at most {MAX_RESOURCES})");
        }
        self.table.push(value)
    }
}

/// Defines every interface of WASI 0.2's `wasi:cli/command` imports in `linker`
/// (wasmtime-wasi's `p2::add_to_linker_sync`).
pub fn add_to_linker_sync<T: WasiView + 'static>(linker: &mut Linker<T>) -> Result<()> {
    use bindings::wasi;
    fn view<T: WasiView>(t: &mut T) -> WasiCtxView<'_> {
        t.ctx()
    }
    wasi::io::error::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::io::poll::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::io::streams::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::clocks::monotonic_clock::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::clocks::wall_clock::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::random::random::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::random::insecure::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::random::insecure_seed::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::environment::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::exit::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::stdin::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::stdout::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::stderr::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::terminal_input::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::terminal_output::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::terminal_stdin::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::terminal_stdout::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::cli::terminal_stderr::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::filesystem::types::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::filesystem::preopens::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::network::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::instance_network::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::tcp::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::tcp_create_socket::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::udp::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::udp_create_socket::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    wasi::sockets::ip_name_lookup::add_to_linker::<T, HasWasi>(linker, view::<T>)?;
    Ok(())
}
