//! The plugin host's throughput (issue 14): `on-post-creating` of the C plugin guest
//! (`examples/components/plugin`) through a pool of 4 instances, 8 threads each making
//! `--calls` calls (default 10,000), the same host code (`host.rs`) on Spindle and on
//! wasmtime 48 (Pulley and Cranelift). Prints calls/s; answers checked.
//!
//! `cargo run --release --features wasmtime --bin plugin`

mod spindle_side {
    use spindle as rt;
    include!("host.rs");
}

#[cfg(feature = "wasmtime")]
mod wasmtime_side {
    use wasmtime as rt;
    include!("host.rs");
}

const GUEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/components/plugin/plugin.wasm"
);

fn run(name: &str, calls: usize, slug: impl Fn(&str) -> Option<String> + Sync) {
    // Warm-up, and the answer checked.
    assert_eq!(slug("Hello World").as_deref(), Some("hello-world"));
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for t in 0..8 {
            let slug = &slug;
            s.spawn(move || {
                for i in 0..calls {
                    let got = slug(&format!("Post {t} {i}"));
                    assert_eq!(got.as_deref(), Some(format!("post-{t}-{i}").as_str()));
                }
            });
        }
    });
    let took = started.elapsed();
    let total = 8 * calls;
    println!(
        "| {name} | {total} | {:.1} ms | {:.0} calls/s |",
        took.as_secs_f64() * 1e3,
        total as f64 / took.as_secs_f64()
    );
}

fn main() {
    let calls: usize = std::env::args()
        .skip_while(|a| a != "--calls")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    println!("| runtime | calls | time | throughput |\n|---|---|---|---|");
    let engine = spindle::Engine::default();
    let pool = spindle_side::Pool::new(&engine, GUEST, 4);
    run("spindle", calls, |t| pool.slug(t));
    #[cfg(feature = "wasmtime")]
    for (name, pulley) in [("pulley", true), ("cranelift", false)] {
        let mut config = wasmtime::Config::new();
        if pulley {
            config.target("pulley64").unwrap();
        }
        let engine = wasmtime::Engine::new(&config).unwrap();
        let pool = wasmtime_side::Pool::new(&engine, GUEST, 4);
        run(name, calls, |t| pool.slug(t));
    }
}
