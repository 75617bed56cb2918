//! The json-processor host of the component-model plugin-host guides, on Spindle:
//! bindings of the `json-processor` world from `bindgen!`
//! (`example:json-tools/json-processor@1.0.0`), WASI 0.2 linked, a store with a fuel
//! budget, the component loaded from a file, `format` called with an options record, the
//! result and the fuel left reported.
//!
//! Written as the guides' wasmtime host is: with `wasmtime` renamed `spindle` and
//! `wasmtime_wasi` renamed `spindle_wasi` it is the same program (see `docs/PORTING.md`).

use spindle::component::{Component, Linker, ResourceTable};
use spindle::{Config, Engine, Store};
use spindle_wasi::{WasiCtx, WasiCtxView, WasiView};

spindle::component::bindgen!({
    world: "json-processor",
    path: "../components/json-processor/wit",
});

use exports::example::json_tools::formatter::FormatOptions;

/// The guides' fuel budget.
pub const FUEL: u64 = 1_000_000;

/// The store's data: WASI's context and the guest's resources.
pub struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// What one `format` call gave: the guest's answer and the fuel it left.
#[derive(Debug)]
pub struct Formatted {
    pub result: Result<String, String>,
    pub fuel_left: u64,
}

/// A loaded plugin: the engine (with fuel) and the compiled component, and a linker with
/// WASI, ready to instantiate for each call.
pub struct Plugin {
    engine: Engine,
    component: Component,
    linker: Linker<Host>,
}

impl Plugin {
    /// Loads the component at `path`.
    pub fn load(path: impl AsRef<std::path::Path>) -> spindle::Result<Plugin> {
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config)?;
        let component = Component::from_file(&engine, path)?;
        let mut linker = Linker::new(&engine);
        spindle_wasi::p2::add_to_linker_sync(&mut linker)?;
        Ok(Plugin {
            engine,
            component,
            linker,
        })
    }

    /// Formats `input` (indent 2, keys sorted) in a fresh instance with `fuel`. An
    /// error is the guest's trap (out of fuel, say): the plugin stays usable.
    pub fn format(&self, input: &str, fuel: u64) -> spindle::Result<Formatted> {
        let host = Host {
            ctx: WasiCtx::builder().inherit_stderr().build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, host);
        store.set_fuel(fuel)?;
        let bindings = JsonProcessor::instantiate(&mut store, &self.component, &self.linker)?;
        let options = FormatOptions {
            indent: 2,
            sort_keys: true,
        };
        let result = bindings.example_json_tools_formatter().call_format(
            &mut store,
            input,
            Some(options),
        )?;
        Ok(Formatted {
            result,
            fuel_left: store.get_fuel()?,
        })
    }
}
