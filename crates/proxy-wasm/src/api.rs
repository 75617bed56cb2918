//! What a gateway needs of a filter runtime, as traits: the gateway is written against
//! them, so the same gateway and host code run over Spindle ([`crate::Filter`]) or, for
//! reference measurements, over wasmtime (`benches/runtimes` compiles `vm.rs` against it).

use crate::shared::{QueueNotifier, Shared};
use crate::types::{FilterConfig, HttpCallRequest, HttpCallResponse, Outcome, StreamData, VmError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A compiled filter that makes VMs.
pub trait ProxyFilter: Send + Sync + Sized + 'static {
    type Engine: Clone + Send + Sync;
    type Vm: ProxyVm;
    /// The engine filters compile in; `kind` picks a variant where the runtime has them
    /// (Spindle: `threaded` or `loop` dispatch; wasmtime: `cranelift` or `pulley`).
    fn engine(kind: &str) -> Result<Self::Engine, String>;
    fn compile(
        engine: &Self::Engine,
        wasm: &[u8],
        config: FilterConfig,
        shared: Arc<Shared>,
    ) -> Result<Self, String>;
    fn make_vm(&self, notifier: Option<QueueNotifier>) -> Result<Self::Vm, VmError>;
}

/// A VM of a filter (see [`crate::Vm`] for what each does).
pub trait ProxyVm {
    fn broken(&self) -> bool;
    fn period(&self) -> Option<Duration>;
    fn on_tick(&mut self) -> Result<(), VmError>;
    fn on_queue_ready(&mut self, queue_id: u32) -> Result<(), VmError>;
    fn open_stream(&mut self, properties: HashMap<String, Vec<u8>>) -> Result<u32, VmError>;
    fn stream_data(&mut self, id: u32) -> Option<&mut StreamData>;
    fn on_request_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError>;
    fn on_request_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError>;
    fn on_response_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError>;
    fn on_response_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError>;
    fn on_request_trailers(&mut self, id: u32) -> Result<Outcome, VmError>;
    fn on_response_trailers(&mut self, id: u32) -> Result<Outcome, VmError>;
    fn calls(&mut self) -> Vec<HttpCallRequest>;
    fn on_call_response(
        &mut self,
        call: &HttpCallRequest,
        response: Option<HttpCallResponse>,
    ) -> Result<(), VmError>;
    fn close_stream(&mut self, id: u32) -> Result<(), VmError>;
}
