//! A host of the proxy-wasm ABI (0.2.1, 0.2.0 and 0.1.0) on Spindle: what an API gateway
//! needs to run filters built with the proxy-wasm SDKs (or written against the ABI).
//!
//! - [`Filter`]: a filter compiled once, with its configuration and limits (fuel per
//!   callback, memory); makes [`Vm`]s.
//! - [`Vm`]: one instance in its own store, for one worker thread (as gateways run them):
//!   the root context (started and configured when made), HTTP stream contexts
//!   ([`Vm::new_stream`], the header/body/trailer callbacks, [`Vm::finish_stream`]), ticks,
//!   callouts ([`Vm::take_http_calls`], [`Vm::http_call_response`]), queue notifications.
//!   A trap breaks the VM ([`VmError`]): the gateway answers 500 and makes a new one.
//! - [`Shared`]: what every VM of a gateway shares: the key-value store with
//!   compare-and-swap, named queues, metrics, the log.
//!
//! The host functions are written against the API Spindle shares with wasmtime (`rt`), so
//! the same code runs over wasmtime for reference measurements (`benches/runtimes`).

mod api;
pub mod shared;
pub mod types;
/// A filter compiled once ([`Filter`]) and its VMs ([`Vm`]): the host functions of the
/// ABI and the calls into the filter, written against the runtime API Spindle shares with
/// wasmtime (`rt`); `benches/runtimes` compiles the same file over wasmtime 48.
// `.clone()` of typed functions: Copy in Spindle, only Clone in wasmtime.
#[allow(clippy::clone_on_copy)]
mod vm;

use spindle as rt;

/// Spindle's engine for filters: fuel counted (each filter sets its budget per callback);
/// `kind` `loop` runs the portable interpreter loop, anything else the threaded one.
fn make_engine(kind: &str) -> rt::Result<rt::Engine> {
    let mut config = rt::Config::new();
    config.consume_fuel(true);
    if kind == "loop" {
        config.dispatch(rt::Dispatch::Loop);
    }
    rt::Engine::new(&config)
}

pub use api::{ProxyFilter, ProxyVm};
pub use shared::{LogEntry, Metric, MetricType, QueueNotifier, Shared};
pub use types::{
    AbiVersion, Action, FilterConfig, Headers, HttpCallRequest, HttpCallResponse, LocalResponse,
    LogLevel, Outcome, StreamData, VmError,
};
pub use vm::{Filter, Vm};
