//! What the WASI test files share: running a WASI 0.2 command component.

use spindle::component::{Component, ResourceTable};
use spindle::{Engine, Store};
use spindle_wasi::p2::bindings::sync::Command;
use spindle_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

pub struct Host {
    pub ctx: WasiCtx,
    pub table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Instantiates the command component `wasm` with WASI 0.2 over the context `b` builds
/// and calls its `wasi:cli/run`: `Ok` if it returned `ok`, `Err` with `I32Exit` if it
/// exited (or returned `err`: status 1).
pub fn run_command(wasm: &[u8], b: &mut WasiCtxBuilder) -> spindle::Result<()> {
    let engine = Engine::default();
    let component = Component::new(&engine, wasm).unwrap();
    let mut linker = spindle::component::Linker::new(&engine);
    spindle_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let host = Host {
        ctx: b.build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);
    let command = Command::instantiate(&mut store, &component, &linker).unwrap();
    match command.wasi_cli_run().call_run(&mut store)? {
        Ok(()) => Ok(()),
        Err(()) => Err(I32Exit(1).into()),
    }
}
