//! `load [REQUESTS] [THREADS] [WORKERS] [threaded|loop]`: the gateway on Spindle with the
//! `auth` + `rewrite` chain in front of the demo backend, loaded by client threads
//! (default 100,000 requests from 8 threads, 2 workers). Prints requests/s, latency
//! percentiles, and whether any request was lost or wrong. The same run over wasmtime is
//! `benches/runtimes`' `proxy` binary.

use proxy_gateway::{demo, load, Config};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (requests, threads, workers) = (arg(0, 100_000), arg(1, 8) as usize, arg(2, 2) as usize);
    let kind = args.get(3).cloned().unwrap_or_else(|| "threaded".into());
    let backend = demo::backend("127.0.0.1:0").expect("backend");
    let auth = demo::auth("127.0.0.1:0").expect("auth");
    let filters = format!(
        "{}/../../crates/proxy-wasm/filters",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = Config::parse(
        &load::config_text(workers, backend.addr, auth.addr, &filters),
        Path::new("."),
    )
    .expect("config");
    let g =
        proxy_gateway::start_with::<spindle_proxy_wasm::Filter>(config, &kind).expect("gateway");
    // Warm-up: connections and VMs.
    let warm = load::run(g.addr(), threads, 200, "/public/load", 0);
    let report = load::run(
        g.addr(),
        threads,
        requests / threads as u64,
        "/public/load",
        warm.requests,
    );
    println!("spindle ({kind}): {report}");
    g.stop();
    if report.ok != report.requests || report.hits_mismatch != 0 {
        std::process::exit(1);
    }
}
