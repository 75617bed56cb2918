//! Decode+validate throughput: Spindle's validator and wasmparser's, on the same inputs,
//! with the same features (WebAssembly 3.0). Run with `cargo bench -p spindle-benches`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spindle_benches::{inputs, wasmparser_features, Features};

fn decode_validate(c: &mut Criterion) {
    let features = Features::wasm3();
    let wp_features = wasmparser_features(&features);
    for input in inputs() {
        let bytes = input.bytes.as_slice();
        let mut group = c.benchmark_group(format!("decode_validate/{}", input.name));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        if bytes.len() > (4 << 20) {
            group.sample_size(10);
        }
        group.bench_function("spindle", |b| {
            b.iter(|| black_box(spindle_validate::validate(black_box(bytes), &features)))
        });
        group.bench_function("wasmparser", |b| {
            b.iter(|| {
                let mut validator = wasmparser::Validator::new_with_features(wp_features);
                black_box(validator.validate_all(black_box(bytes)).is_ok())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode_validate);
criterion_main!(benches);
