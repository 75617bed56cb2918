//! The proxy-wasm gateway under load (issue 13): `examples/proxy-gateway` with the `auth`
//! + `rewrite` C filters chained before the demo backend, 8 client threads, 100,000
//! requests (`--requests N`), 2 workers: on Spindle, and with `--features wasmtime` the
//! same gateway and the same host code (`crates/proxy-wasm/src/vm.rs`, compiled here
//! against wasmtime 48) on Pulley and Cranelift. Prints requests/s and latency
//! percentiles; every response is checked (a lost or wrong one fails the run).
//!
//! `cargo run --release --features proxy,wasmtime --bin proxy`

use proxy_gateway::{demo, load, Config};
use std::path::Path;

/// The host code over wasmtime: `vm.rs` with `rt` = wasmtime, beside the runtime-free
/// parts of `spindle-proxy-wasm` it uses.
#[cfg(feature = "wasmtime")]
mod wasmtime_side {
    pub use spindle_proxy_wasm::{shared, types, ProxyFilter, ProxyVm};
    use wasmtime as rt;

    fn make_engine(kind: &str) -> rt::Result<rt::Engine> {
        let mut config = rt::Config::new();
        config.consume_fuel(true);
        if kind == "pulley" {
            config.target("pulley64")?;
        }
        rt::Engine::new(&config)
    }

    #[allow(clippy::clone_on_copy, dead_code)]
    pub mod vm {
        include!("../../../../crates/proxy-wasm/src/vm.rs");
    }
}

fn measure<F: spindle_proxy_wasm::ProxyFilter>(label: &str, kind: &str, requests: u64) {
    let backend = demo::backend("127.0.0.1:0").expect("backend");
    let auth = demo::auth("127.0.0.1:0").expect("auth");
    let filters = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/proxy-wasm/filters"
    );
    let text = load::config_text(2, backend.addr, auth.addr, filters);
    let config = Config::parse(&text, Path::new(".")).expect("config");
    let g = proxy_gateway::start_with::<F>(config, kind).expect("gateway");
    let warm = load::run(g.addr(), 8, 200, "/public/load", 0);
    let report = load::run(g.addr(), 8, requests / 8, "/public/load", warm.requests);
    println!("{label:<22} {report}");
    g.stop();
    assert_eq!(report.ok, report.requests, "{label}: {report}");
    assert_eq!(report.hits_mismatch, 0, "{label}: {report}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let requests = args
        .iter()
        .position(|a| a == "--requests")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000u64);
    measure::<spindle_proxy_wasm::Filter>("spindle (threaded)", "threaded", requests);
    measure::<spindle_proxy_wasm::Filter>("spindle (loop)", "loop", requests);
    #[cfg(feature = "wasmtime")]
    {
        measure::<wasmtime_side::vm::Filter>("wasmtime 48 pulley", "pulley", requests);
        measure::<wasmtime_side::vm::Filter>("wasmtime 48 cranelift", "cranelift", requests);
    }
}
