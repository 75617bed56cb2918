//! Execution benchmarks of Spindle against peer WebAssembly runtimes.
//!
//! The workloads live in `../workloads` (C and WAT sources, the built `.wasm` beside them,
//! and `manifest.txt` with each workload's parameter and expected checksum). Every module
//! exports `run(i32) -> i32` and imports nothing, so every runtime runs exactly the same
//! bytes and must return exactly the same checksum.
//!
//! Each runtime is behind a cargo feature; [`Runtime::available`] tells which were built.
//! [`with_instance`] loads a module into one runtime and hands back a closure that calls
//! `run` once; [`measure`] times it (setup, first call, then repeated calls).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One line of `../workloads/manifest.txt`.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short name (`fib`, `sha256`, ...).
    pub name: String,
    /// The module's file name inside the workloads folder.
    pub file: String,
    /// The argument passed to `run`.
    pub param: i32,
    /// The value `run(param)` must return.
    pub checksum: i32,
    /// Needs the bulk memory proposal (wasm3 has none).
    pub needs_bulk_memory: bool,
    /// Needs the exception-handling proposal (among the peers only wasmtime has it).
    pub needs_exceptions: bool,
    /// Needs 128-bit SIMD.
    pub needs_simd: bool,
    /// Needs GC (structs, arrays): Spindle and wasmtime.
    pub needs_gc: bool,
}

impl Workload {
    /// The path of the module.
    pub fn path(&self) -> PathBuf {
        workloads_dir().join(&self.file)
    }

    /// Reads the module's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        let path = self.path();
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// `benches/workloads`, found from this crate's manifest directory.
pub fn workloads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads")
}

/// Parses the manifest text: `name file param checksum needs` per line, `#` comments.
pub fn parse_manifest(text: &str) -> Result<Vec<Workload>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [name, file, param, checksum, needs] = cols.as_slice() else {
            return Err(format!("manifest line {}: expected 5 columns", i + 1));
        };
        let num = |s: &str| {
            s.parse::<i32>()
                .map_err(|e| format!("manifest line {}: {s}: {e}", i + 1))
        };
        let (needs_bulk_memory, needs_exceptions, needs_simd, needs_gc) = match *needs {
            "-" => (false, false, false, false),
            "bulk-memory" => (true, false, false, false),
            "exceptions" => (false, true, false, false),
            "simd" => (false, false, true, false),
            "gc" => (false, false, false, true),
            other => return Err(format!("manifest line {}: unknown need {other}", i + 1)),
        };
        out.push(Workload {
            name: name.to_string(),
            file: file.to_string(),
            param: num(param)?,
            checksum: num(checksum)?,
            needs_bulk_memory,
            needs_exceptions,
            needs_simd,
            needs_gc,
        });
    }
    Ok(out)
}

/// Reads and parses `../workloads/manifest.txt`.
pub fn load_manifest() -> Result<Vec<Workload>, String> {
    let path = workloads_dir().join("manifest.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_manifest(&text)
}

/// A runtime (and configuration) that can run the workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Spindle, its default: eager translation (feature `spindle`).
    Spindle,
    /// Spindle with lazy translation (validate up front, translate on first call).
    SpindleLazy,
    /// Spindle (eager) with `Config::epoch_interruption(true)` and a deadline never reached:
    /// the cost of the epoch checks. Opt-in (`--runtimes`), not in the default set.
    SpindleEpoch,
    /// Spindle (eager) on the portable loop backend (`Dispatch::Loop`), the one targets
    /// without the threaded backend run. Opt-in (`--runtimes`).
    SpindleLoop,
    /// wasmi 2.x, eager translation (feature `wasmi`).
    WasmiEager,
    /// wasmi 2.x, its default: validate up front, translate each function on first call.
    WasmiLazy,
    /// makepad-stitch 0.1.0 (feature `stitch`).
    Stitch,
    /// wasm3 0.3.1 through its Rust bindings (feature `wasm3`).
    Wasm3,
    /// tinywasm 0.10 (feature `tinywasm`).
    Tinywasm,
    /// wasmtime 48 with the Pulley interpreter (feature `wasmtime`).
    Pulley,
    /// wasmtime 48 with Cranelift: native code, the compiled reference (feature `wasmtime`).
    Cranelift,
}

impl Runtime {
    /// Every runtime, in table order.
    pub const ALL: [Runtime; 11] = [
        Runtime::Spindle,
        Runtime::SpindleLazy,
        Runtime::SpindleEpoch,
        Runtime::SpindleLoop,
        Runtime::WasmiEager,
        Runtime::WasmiLazy,
        Runtime::Stitch,
        Runtime::Wasm3,
        Runtime::Tinywasm,
        Runtime::Pulley,
        Runtime::Cranelift,
    ];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Spindle => "spindle",
            Runtime::SpindleLazy => "spindle-lazy",
            Runtime::SpindleEpoch => "spindle-epoch",
            Runtime::SpindleLoop => "spindle-loop",
            Runtime::WasmiEager => "wasmi-eager",
            Runtime::WasmiLazy => "wasmi-lazy",
            Runtime::Stitch => "stitch",
            Runtime::Wasm3 => "wasm3",
            Runtime::Tinywasm => "tinywasm",
            Runtime::Pulley => "pulley",
            Runtime::Cranelift => "cranelift",
        }
    }

    /// The runtime named `name` (as printed by [`Runtime::name`]).
    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether this build includes the runtime (its cargo feature is on).
    pub fn available(self) -> bool {
        match self {
            Runtime::Spindle
            | Runtime::SpindleLazy
            | Runtime::SpindleEpoch
            | Runtime::SpindleLoop => {
                cfg!(feature = "spindle")
            }
            Runtime::WasmiEager | Runtime::WasmiLazy => cfg!(feature = "wasmi"),
            Runtime::Stitch => cfg!(feature = "stitch"),
            Runtime::Wasm3 => cfg!(feature = "wasm3"),
            Runtime::Tinywasm => cfg!(feature = "tinywasm"),
            Runtime::Pulley | Runtime::Cranelift => cfg!(feature = "wasmtime"),
        }
    }

    /// Whether the runtime is measured only when asked for by name (`table --runtimes`):
    /// configuration variants that answer one question (`spindle-epoch`).
    pub fn opt_in(self) -> bool {
        matches!(self, Runtime::SpindleEpoch | Runtime::SpindleLoop)
    }

    /// The runtimes in this build, without the opt-in ones (the default set of the table
    /// and of the criterion bench).
    pub fn available_all() -> Vec<Runtime> {
        Runtime::ALL
            .into_iter()
            .filter(|r| r.available() && !r.opt_in())
            .collect()
    }

    /// Whether the runtime implements everything the workload uses.
    pub fn supports(self, w: &Workload) -> bool {
        let exceptions = matches!(
            self,
            Runtime::Spindle
                | Runtime::SpindleLazy
                | Runtime::SpindleEpoch
                | Runtime::SpindleLoop
                | Runtime::Pulley
                | Runtime::Cranelift
        );
        let simd = match self {
            Runtime::Spindle
            | Runtime::SpindleLazy
            | Runtime::SpindleEpoch
            | Runtime::SpindleLoop
            | Runtime::Pulley
            | Runtime::Cranelift => true,
            Runtime::WasmiEager | Runtime::WasmiLazy => cfg!(feature = "wasmi-simd"),
            Runtime::Tinywasm => true,
            Runtime::Stitch | Runtime::Wasm3 => false,
        };
        !(self == Runtime::Wasm3 && w.needs_bulk_memory)
            && (exceptions || !w.needs_exceptions)
            && (simd || !w.needs_simd)
            && (exceptions || !w.needs_gc)
    }

    /// Whether the runtime interprets (every one but Cranelift).
    pub fn is_interpreter(self) -> bool {
        self != Runtime::Cranelift
    }
}

/// Calls the module's `run` once with the given argument and returns its result.
pub type RunFn<'a> = dyn FnMut(i32) -> Result<i32, String> + 'a;

/// Loads `wasm` into `rt`, instantiates it without imports and calls `body` with a function
/// that calls the export `run`. Everything before `body` (decode, validate, translate or
/// compile, instantiate) is the runtime's setup.
pub fn with_instance(
    rt: Runtime,
    wasm: &[u8],
    body: &mut dyn FnMut(&mut RunFn<'_>),
) -> Result<(), String> {
    let _ = (&wasm, &body);
    match rt {
        #[cfg(feature = "spindle")]
        Runtime::Spindle => peers::spindle(wasm, |_| {}, body),
        #[cfg(feature = "spindle")]
        Runtime::SpindleLazy => peers::spindle(
            wasm,
            |c| {
                c.translation(spindle::Translation::Lazy);
            },
            body,
        ),
        #[cfg(feature = "spindle")]
        Runtime::SpindleEpoch => peers::spindle(
            wasm,
            |c| {
                c.epoch_interruption(true);
            },
            body,
        ),
        #[cfg(feature = "spindle")]
        Runtime::SpindleLoop => peers::spindle(
            wasm,
            |c| {
                c.dispatch(spindle::Dispatch::Loop);
            },
            body,
        ),
        #[cfg(feature = "wasmi")]
        Runtime::WasmiEager => peers::wasmi(wasm, true, body),
        #[cfg(feature = "wasmi")]
        Runtime::WasmiLazy => peers::wasmi(wasm, false, body),
        #[cfg(feature = "stitch")]
        Runtime::Stitch => peers::stitch(wasm, body),
        #[cfg(feature = "wasm3")]
        Runtime::Wasm3 => peers::wasm3(wasm, body),
        #[cfg(feature = "tinywasm")]
        Runtime::Tinywasm => peers::tinywasm(wasm, body),
        #[cfg(feature = "wasmtime")]
        Runtime::Pulley => peers::wasmtime(wasm, true, body),
        #[cfg(feature = "wasmtime")]
        Runtime::Cranelift => peers::wasmtime(wasm, false, body),
        #[allow(unreachable_patterns)]
        _ => Err(format!(
            "{} is not in this build (cargo feature off)",
            rt.name()
        )),
    }
}

/// What [`measure`] found for one runtime and one workload.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// What `run` returned (the same on every call, or [`measure`] fails).
    pub checksum: i32,
    /// Decode, validate, translate or compile, and instantiate.
    pub setup: Duration,
    /// The first call (includes lazy translation where the runtime does it).
    pub first: Duration,
    /// Each later call.
    pub samples: Vec<Duration>,
}

impl Measurement {
    /// The median of [`Measurement::samples`].
    pub fn median(&self) -> Duration {
        median(&self.samples)
    }
}

/// The median of some durations (the mean of the middle two for an even count).
pub fn median(d: &[Duration]) -> Duration {
    if d.is_empty() {
        return Duration::ZERO;
    }
    let mut v = d.to_vec();
    v.sort();
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

/// Sets up `wasm` in `rt`, calls `run(param)` once (timed as `first`), then `samples` more
/// times, each timed alone. Fails if the runtime fails or two calls disagree.
pub fn measure(
    rt: Runtime,
    wasm: &[u8],
    param: i32,
    samples: usize,
) -> Result<Measurement, String> {
    let start = Instant::now();
    let mut result: Result<Measurement, String> = Err("runtime never called back".into());
    with_instance(rt, wasm, &mut |run| {
        let setup = start.elapsed();
        result = (|| {
            let t = Instant::now();
            let checksum = run(param)?;
            let first = t.elapsed();
            let mut times = Vec::with_capacity(samples);
            for _ in 0..samples {
                let t = Instant::now();
                let got = run(param)?;
                times.push(t.elapsed());
                if got != checksum {
                    return Err(format!("run returned {checksum}, then {got}"));
                }
            }
            Ok(Measurement {
                checksum,
                setup,
                first,
                samples: times,
            })
        })();
    })?;
    result
}

/// The geometric mean of positive numbers (1.0 for none).
pub fn geomean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 1.0;
    }
    (xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp()
}

mod peers;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_parses_and_modules_exist() {
        let ws = load_manifest().unwrap();
        assert!(ws.len() >= 10);
        for w in &ws {
            let bytes = w.bytes().unwrap();
            assert_eq!(&bytes[..4], b"\0asm", "{}", w.name);
        }
    }

    #[test]
    fn median_and_geomean() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&x| Duration::from_millis(x))
                .collect::<Vec<_>>()
        };
        assert_eq!(median(&ms(&[3, 1, 2])), Duration::from_millis(2));
        assert_eq!(median(&ms(&[4, 1, 2, 3])), Duration::from_micros(2500));
        assert!((geomean(&[2.0, 8.0]) - 4.0).abs() < 1e-12);
    }

    /// Every runtime in this build (opt-in ones too) returns every workload's expected
    /// checksum. Slow in a debug build: run with `--release`.
    #[test]
    fn every_runtime_agrees_with_the_manifest() {
        let ws = load_manifest().unwrap();
        let mut failures = Vec::new();
        for rt in Runtime::ALL.into_iter().filter(|r| r.available()) {
            for w in ws.iter().filter(|w| rt.supports(w)) {
                let bytes = w.bytes().unwrap();
                match measure(rt, &bytes, w.param, 0) {
                    Ok(m) if m.checksum == w.checksum => {}
                    Ok(m) => failures.push(format!(
                        "{} {}: got {}, expected {}",
                        rt.name(),
                        w.name,
                        m.checksum,
                        w.checksum
                    )),
                    Err(e) => failures.push(format!("{} {}: {e}", rt.name(), w.name)),
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
