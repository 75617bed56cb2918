//! The WASI 0.2 interfaces as Rust (`bindgen!` over `wit/`, the published WIT): a `Host`
//! trait per imported interface (implemented in this crate over [`super::WasiCtxView`]),
//! and [`Command`] to run a command component's `wasi:cli/run`.
//!
//! Resources are the host's own types (the `with` table): what the guest holds is an
//! index into the store's [`ResourceTable`](spindle::component::ResourceTable).

spindle::component::bindgen!({
    path: "wit",
    world: "spindle:wasi/command",
    imports: { default: trappable },
    with: {
        "wasi:io/error.error": crate::p2::IoError,
        "wasi:io/poll.pollable": crate::p2::Pollable,
        "wasi:io/streams.input-stream": crate::p2::InputStream,
        "wasi:io/streams.output-stream": crate::p2::OutputStream,
        "wasi:cli/terminal-input.terminal-input": crate::p2::TerminalInput,
        "wasi:cli/terminal-output.terminal-output": crate::p2::TerminalOutput,
        "wasi:filesystem/types.descriptor": crate::p2::Descriptor,
        "wasi:filesystem/types.directory-entry-stream": crate::p2::DirectoryEntryStream,
        "wasi:sockets/network.network": crate::p2::Network,
        "wasi:sockets/tcp.tcp-socket": crate::p2::TcpSocket,
        "wasi:sockets/udp.udp-socket": crate::p2::UdpSocket,
        "wasi:sockets/udp.incoming-datagram-stream": crate::p2::IncomingDatagramStream,
        "wasi:sockets/udp.outgoing-datagram-stream": crate::p2::OutgoingDatagramStream,
        "wasi:sockets/ip-name-lookup.resolve-address-stream": crate::p2::ResolveAddressStream,
    },
});

/// The same bindings under wasmtime-wasi's path for synchronous hosts
/// (`bindings::sync::Command`).
pub mod sync {
    pub use super::*;
}
