//! The WASI benchmark (issue 12): three preview-1 C programs (`guests/wasi`) on Spindle
//! and the peers' WASI layers, in one process, one after another: 1,000,000 short lines
//! to standard output (a file), a 100 MiB file read in 64 KiB chunks, 100,000
//! open/fstat/close. Each cell: the median of `--rounds` runs (instantiate + `_start`;
//! compiling the module is outside), after one warm-up run. Outputs are compared across
//! runtimes.
//!
//! `cargo run --release --features wasi --bin wasi` (Spindle, wasmi);
//! `--features wasi-wasmtime` adds wasmtime 48 with wasmtime-wasi (Pulley, Cranelift).
//! With `--p2`, the same programs also run as WASI 0.2 components (adapted with the
//! preview-1 command adapter: `guests/wasi/*.component.wasm`) on Spindle's and
//! wasmtime-wasi's WASI 0.2 (`wasi:cli/run`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WORKLOADS: [&str; 3] = ["lines", "readfile", "openstat"];

fn guest(name: &str) -> Vec<u8> {
    let p = format!("{}/guests/wasi/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The data directory the guests see as `/data`.
fn setup(root: &Path) -> PathBuf {
    let data = root.join("data");
    if data.join("big.bin").exists() {
        return data;
    }
    std::fs::create_dir_all(data.join("small")).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let big: Vec<u8> = (0..100 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(data.join("big.bin"), big).unwrap();
    for i in 0..100 {
        std::fs::write(data.join(format!("small/f{i}")), vec![b'x'; 100 + i]).unwrap();
    }
    data
}

/// One run of a compiled guest: stdout to `out`; its wall time.
type Runner<'a> = Box<dyn FnMut(&Path) -> Duration + 'a>;

fn spindle_runner<'a>(wasm: &[u8], data: &'a Path) -> Runner<'a> {
    use spindle::{Engine, Linker, Module, Store};
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    Box::new(move |out: &Path| {
        let started = Instant::now();
        let mut b = spindle_wasi::WasiCtxBuilder::new();
        b.arg("guest")
            .stdout_file(std::fs::File::create(out).unwrap())
            .preopened_dir(data, "/data", spindle_wasi::FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(&engine, b.build_p1());
        let mut linker = Linker::new(&engine);
        spindle_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        if let Err(e) = start.call(&mut store, ()) {
            let code = e.downcast_ref::<spindle::I32Exit>().map(|c| c.0);
            assert_eq!(code, Some(0), "{e:#}");
        }
        started.elapsed()
    })
}

/// Spindle's WASI 0.2 running the adapted component's `wasi:cli/run`.
fn spindle_p2_runner<'a>(wasm: &[u8], data: &'a Path) -> Runner<'a> {
    use spindle::component::{Component, Linker, ResourceTable};
    use spindle::{Engine, Store};
    struct Host(spindle_wasi::WasiCtx, ResourceTable);
    impl spindle_wasi::WasiView for Host {
        fn ctx(&mut self) -> spindle_wasi::WasiCtxView<'_> {
            spindle_wasi::WasiCtxView {
                ctx: &mut self.0,
                table: &mut self.1,
            }
        }
    }
    let engine = Engine::default();
    let component = Component::new(&engine, wasm).unwrap();
    let mut linker = Linker::new(&engine);
    spindle_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    Box::new(move |out: &Path| {
        let started = Instant::now();
        let mut b = spindle_wasi::WasiCtxBuilder::new();
        b.arg("guest")
            .stdout_file(std::fs::File::create(out).unwrap())
            .preopened_dir(data, "/data", spindle_wasi::FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(&engine, Host(b.build(), ResourceTable::new()));
        let command =
            spindle_wasi::p2::bindings::sync::Command::instantiate(&mut store, &component, &linker)
                .unwrap();
        match command.wasi_cli_run().call_run(&mut store) {
            Ok(r) => assert_eq!(r, Ok(())),
            Err(e) => {
                let code = e.downcast_ref::<spindle::I32Exit>().map(|c| c.0);
                assert_eq!(code, Some(0), "{e:#}");
            }
        }
        started.elapsed()
    })
}

fn wasmi_runner<'a>(wasm: &[u8], data: &'a Path) -> Runner<'a> {
    use wasmi::{Engine, Linker, Module, Store};
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    Box::new(move |out: &Path| {
        let started = Instant::now();
        let file = cap_std3::fs::File::from_std(std::fs::File::create(out).unwrap());
        let dir = cap_std3::fs::Dir::open_ambient_dir(data, cap_std3::ambient_authority()).unwrap();
        let wasi = wasmi_wasi::WasiCtxBuilder::new()
            .arg("guest")
            .unwrap()
            .stdout(Box::new(wasmi_wasi::sync::file::File::from_cap_std(file)))
            .preopened_dir(dir, "/data")
            .unwrap()
            .build();
        let mut store = Store::new(&engine, wasi);
        let mut linker = Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
        if let Err(e) = start.call(&mut store, ()) {
            let code = e.i32_exit_status();
            assert_eq!(code, Some(0), "{e}");
        }
        started.elapsed()
    })
}

#[cfg(feature = "wasi-wasmtime")]
fn wasmtime_runner<'a>(wasm: &[u8], data: &'a Path, pulley: bool) -> Runner<'a> {
    use wasmtime::{Config, Engine, Linker, Module, Store};
    let mut config = Config::new();
    if pulley {
        config.target("pulley64").unwrap();
    }
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wasm).unwrap();
    Box::new(move |out: &Path| {
        let started = Instant::now();
        let mut b = wasmtime_wasi::WasiCtxBuilder::new();
        b.arg("guest")
            .stdout(wasmtime_wasi::cli::OutputFile::new(
                std::fs::File::create(out).unwrap(),
            ))
            .preopened_dir(data, "/data", wasmtime_wasi::FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(&engine, b.build_p1());
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        if let Err(e) = start.call(&mut store, ()) {
            let code = e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|c| c.0);
            assert_eq!(code, Some(0), "{e:#}");
        }
        started.elapsed()
    })
}

/// wasmtime-wasi's WASI 0.2 running the adapted component's `wasi:cli/run`.
#[cfg(feature = "wasi-wasmtime")]
fn wasmtime_p2_runner<'a>(wasm: &[u8], data: &'a Path, pulley: bool) -> Runner<'a> {
    use wasmtime::component::{Component, Linker, ResourceTable};
    use wasmtime::{Config, Engine, Store};
    struct Host(wasmtime_wasi::WasiCtx, ResourceTable);
    impl wasmtime_wasi::WasiView for Host {
        fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
            wasmtime_wasi::WasiCtxView {
                ctx: &mut self.0,
                table: &mut self.1,
            }
        }
    }
    let mut config = Config::new();
    if pulley {
        config.target("pulley64").unwrap();
    }
    let engine = Engine::new(&config).unwrap();
    let component = Component::new(&engine, wasm).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    Box::new(move |out: &Path| {
        let started = Instant::now();
        let mut b = wasmtime_wasi::WasiCtxBuilder::new();
        b.arg("guest")
            .stdout(wasmtime_wasi::cli::OutputFile::new(
                std::fs::File::create(out).unwrap(),
            ))
            .preopened_dir(data, "/data", wasmtime_wasi::FsPerms::ReadWrite)
            .unwrap();
        let mut store = Store::new(&engine, Host(b.build(), ResourceTable::new()));
        let command = wasmtime_wasi::p2::bindings::sync::Command::instantiate(
            &mut store, &component, &linker,
        )
        .unwrap();
        match command.wasi_cli_run().call_run(&mut store) {
            Ok(r) => assert_eq!(r, Ok(())),
            Err(e) => {
                let code = e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|c| c.0);
                assert_eq!(code, Some(0), "{e:#}");
            }
        }
        started.elapsed()
    })
}

fn main() {
    let rounds: usize = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let root = std::env::temp_dir().join("spindle-wasi-bench");
    let data = setup(&root);
    let mut names = vec!["spindle", "wasmi"];
    if cfg!(feature = "wasi-wasmtime") {
        names.extend(["pulley", "cranelift"]);
    }
    let p2 = std::env::args().any(|a| a == "--p2");
    if p2 {
        names.push("spindle-p2");
        if cfg!(feature = "wasi-wasmtime") {
            names.extend(["pulley-p2", "cranelift-p2"]);
        }
    }
    println!("| workload | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(names.len()));
    // `--only WORKLOAD` runs one row.
    let only: Option<String> = std::env::args().skip_while(|a| a != "--only").nth(1);
    for w in WORKLOADS {
        if only.as_deref().is_some_and(|o| o != w) {
            continue;
        }
        let wasm = guest(&format!("{w}.wasm"));
        let component = guest(&format!("{w}.component.wasm"));
        let mut cells = Vec::new();
        let mut first_output: Option<Vec<u8>> = None;
        for name in &names {
            let mut run: Runner<'_> = match *name {
                "spindle" => spindle_runner(&wasm, &data),
                "wasmi" => wasmi_runner(&wasm, &data),
                #[cfg(feature = "wasi-wasmtime")]
                "pulley" => wasmtime_runner(&wasm, &data, true),
                #[cfg(feature = "wasi-wasmtime")]
                "cranelift" => wasmtime_runner(&wasm, &data, false),
                "spindle-p2" => spindle_p2_runner(&component, &data),
                #[cfg(feature = "wasi-wasmtime")]
                "pulley-p2" => wasmtime_p2_runner(&component, &data, true),
                #[cfg(feature = "wasi-wasmtime")]
                "cranelift-p2" => wasmtime_p2_runner(&component, &data, false),
                _ => unreachable!(),
            };
            let out = root.join(format!("out-{name}-{w}"));
            run(&out);
            let mut times: Vec<Duration> = (0..rounds).map(|_| run(&out)).collect();
            times.sort();
            let output = std::fs::read(&out).unwrap();
            match &first_output {
                None => first_output = Some(output),
                Some(o) => assert!(o == &output, "{name} on {w}: different output"),
            }
            cells.push(times[times.len() / 2]);
        }
        let base = cells[0].as_secs_f64();
        let shown: Vec<String> = cells
            .iter()
            .map(|t| {
                format!(
                    "{:.1} ms ({:.2})",
                    t.as_secs_f64() * 1e3,
                    base / t.as_secs_f64()
                )
            })
            .collect();
        println!("| {w} | {} |", shown.join(" | "));
    }
    println!(
        "\n(in parentheses: Spindle's time / that runtime's time; below 1, Spindle is faster)"
    );
}
