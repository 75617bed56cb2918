//! Criterion: start-up and boundary costs, Spindle against wasmi in the same run.
//!
//! - `translate/INPUT/...`: module creation (decode, validate, translate) in MB/s, eager and
//!   lazy (wasmi's lazy-translation mode also validates up front, like Spindle's lazy mode;
//!   Spindle's both on every core, its default, and on one thread), and fully lazy (bodies validated and translated at first call: wasmi's `Lazy`, Spindle's
//!   `LazyUnchecked`);
//! - `instantiate/...`: instantiating an already compiled workload module;
//! - `host_call/...`: 10,000 calls from Wasm to a host function `(i32) -> i32`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;
use std::time::Duration;

fn inputs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut v = Vec::new();
    for (name, rel) in [
        ("bigprog", "guests/bigprog.wasm"),
        ("sqlite3", "work/sqlite3.wasm"),
    ] {
        match std::fs::read(dir.join(rel)) {
            Ok(bytes) => v.push((name.to_string(), bytes)),
            Err(_) => eprintln!("note: {rel} is absent (run benches/setup.sh for SQLite); skipped"),
        }
    }
    v
}

fn translate(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        let mut g = c.benchmark_group(format!("translate/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64))
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        #[cfg(feature = "spindle")]
        for (label, t, parallel) in [
            ("spindle-eager", spindle::Translation::Eager, true),
            ("spindle-eager-1-thread", spindle::Translation::Eager, false),
            ("spindle-lazy", spindle::Translation::Lazy, true),
            ("spindle-lazy-1-thread", spindle::Translation::Lazy, false),
            (
                "spindle-lazy-unchecked",
                spindle::Translation::LazyUnchecked,
                true,
            ),
        ] {
            let mut config = spindle::Config::new();
            config.translation(t).parallel_compilation(parallel);
            let engine = spindle::Engine::new(&config).unwrap();
            g.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| black_box(spindle::Module::new(&engine, black_box(&bytes)).is_ok()))
            });
        }
        #[cfg(feature = "wasmi")]
        for (label, mode) in [
            ("wasmi-eager", wasmi::CompilationMode::Eager),
            (
                "wasmi-lazy-translation",
                wasmi::CompilationMode::LazyTranslation,
            ),
            ("wasmi-lazy", wasmi::CompilationMode::Lazy),
        ] {
            let mut config = wasmi::Config::default();
            config.compilation_mode(mode);
            let engine = wasmi::Engine::new(&config);
            g.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| black_box(wasmi::Module::new(&engine, black_box(&bytes[..])).is_ok()))
            });
        }
        g.finish();
    }
}

fn workload(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../workloads")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn instantiate(c: &mut Criterion) {
    let bytes = workload("sha256.wasm");
    let mut g = c.benchmark_group("instantiate/sha256");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    #[cfg(feature = "spindle")]
    {
        let engine = spindle::Engine::default();
        let module = spindle::Module::new(&engine, &bytes).unwrap();
        let linker = spindle::Linker::<()>::new(&engine);
        g.bench_function("spindle", |b| {
            b.iter(|| {
                let mut store = spindle::Store::new(&engine, ());
                black_box(linker.instantiate(&mut store, &module).is_ok())
            })
        });
    }
    #[cfg(feature = "wasmi")]
    {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &bytes[..]).unwrap();
        let linker = wasmi::Linker::<()>::new(&engine);
        g.bench_function("wasmi", |b| {
            b.iter(|| {
                let mut store = wasmi::Store::new(&engine, ());
                black_box(linker.instantiate_and_start(&mut store, &module).is_ok())
            })
        });
    }
    g.finish();
}

const HOST_CALLS: &str = r#"(module
  (import "env" "inc" (func $inc (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $inc (local.get $acc)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))"#;

fn host_call(c: &mut Criterion) {
    let bytes = wat::parse_str(HOST_CALLS).unwrap();
    let n = 10_000;
    let mut g = c.benchmark_group("host_call");
    g.throughput(Throughput::Elements(n as u64))
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    #[cfg(feature = "spindle")]
    {
        let engine = spindle::Engine::default();
        let module = spindle::Module::new(&engine, &bytes).unwrap();
        let mut store = spindle::Store::new(&engine, ());
        let inc = spindle::Func::wrap(&mut store, |_c: spindle::Caller<'_, ()>, x: i32| x + 1);
        let mut linker = spindle::Linker::new(&engine);
        linker.define(&store, "env", "inc", inc).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, n).unwrap(), n);
        g.bench_function("spindle", |b| {
            b.iter(|| black_box(run.call(&mut store, black_box(n)).unwrap()))
        });
    }
    #[cfg(feature = "wasmi")]
    {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &bytes[..]).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let mut linker = wasmi::Linker::<()>::new(&engine);
        linker.func_wrap("env", "inc", |x: i32| x + 1).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, n).unwrap(), n);
        g.bench_function("wasmi", |b| {
            b.iter(|| black_box(run.call(&mut store, black_box(n)).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(startup, translate, instantiate, host_call);
criterion_main!(startup);
