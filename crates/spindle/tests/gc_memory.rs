//! The collector bounds memory: `benches/workloads/gc.wasm` (binary trees of structs) run
//! `SPINDLE_GC_ROUNDS` times (default 1, about 1 GiB allocated; 10 rounds allocate over
//! 10 GiB) must give its known result each time while the process's peak resident memory
//! stays under 256 MiB. Its own test binary, so that the peak is this test's alone.

use spindle::{Engine, Linker, Module, Store, Val};

/// Peak resident set size of this process, in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn binary_trees_allocate_far_more_than_they_keep() {
    let rounds: u32 = std::env::var("SPINDLE_GC_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../benches/workloads/gc.wasm"
    );
    let engine = Engine::default();
    let module = Module::from_file(&engine, path).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let mut out = [Val::I32(0)];
        run.call(&mut store, &[Val::I32(16)], &mut out).unwrap();
        // The manifest's checksum for run(16).
        assert_eq!(out[0], Val::I32(14_594_735));
    }
    let stats = store.gc_stats();
    let peak = peak_rss_kib();
    println!(
        "{rounds} x run(16): {:.2} GiB allocated, {} collections, {} objects left, peak RSS {} MiB, {:.1?}",
        stats.allocated as f64 / (1u64 << 30) as f64,
        stats.collections,
        stats.objects,
        peak.map_or("unknown".into(), |k| (k / 1024).to_string()),
        start.elapsed()
    );
    assert!(stats.allocated > rounds as u64 * (1 << 30) / 2, "{stats:?}");
    assert!(stats.collections > 10, "{stats:?}");
    if let Some(kib) = peak {
        assert!(kib < 256 * 1024, "peak RSS {kib} KiB");
    }
}
