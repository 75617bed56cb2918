//! Prints a table of decode+validate throughput, Spindle against wasmparser, on every
//! input: the median of N timed runs each (`N` is the first argument, default 11).
//!
//! `cargo run -p spindle-benches --release --bin throughput [-- N]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use spindle_benches::{inputs, wasmparser_features, Features};

/// Median wall time of `runs` calls of `f` (after one warm-up call).
fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64().max(1e-12)
}

fn main() {
    let runs: usize = match std::env::args().nth(1) {
        None => 11,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: throughput [RUNS]   (RUNS > 0, default 11)");
                std::process::exit(2);
            }
        },
    };
    let features = Features::wasm3();
    let wp_features = wasmparser_features(&features);
    println!("decode+validate, WebAssembly 3.0 features, median of {runs} runs");
    println!(
        "{:<14} {:>12} {:>14} {:>16} {:>8}  spindle result",
        "input", "bytes", "spindle MB/s", "wasmparser MB/s", "ratio"
    );
    for input in inputs() {
        let bytes = input.bytes.as_slice();
        let ours = spindle_validate::validate(bytes, &features);
        let theirs = wasmparser::Validator::new_with_features(wp_features).validate_all(bytes);
        let t_ours = median_time(runs, || {
            black_box(spindle_validate::validate(black_box(bytes), &features).is_ok());
        });
        let t_theirs = median_time(runs, || {
            let mut validator = wasmparser::Validator::new_with_features(wp_features);
            black_box(validator.validate_all(black_box(bytes)).is_ok());
        });
        let (s, w) = (
            mb_per_s(bytes.len(), t_ours),
            mb_per_s(bytes.len(), t_theirs),
        );
        let result = match &ours {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        };
        println!(
            "{:<14} {:>12} {:>14.1} {:>16.1} {:>8.2}  {}",
            input.name,
            bytes.len(),
            s,
            w,
            s / w,
            result
        );
        if let Err(e) = theirs {
            println!("  (wasmparser rejects {}: {e})", input.name);
        }
    }
}
