//! Criterion: `run(param)` of every workload on every runtime in this build, one group per
//! workload (`execution/WORKLOAD/RUNTIME`). Everything runs in this one process: for a run
//! that a crashing runtime cannot end, use the `table` bin. Each instance is checked
//! against the manifest's checksum before it is timed.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use spindle_bench_runtimes::{load_manifest, with_instance, Runtime};
use std::time::Duration;

fn execution(c: &mut Criterion) {
    let workloads = load_manifest().expect("read ../workloads/manifest.txt");
    for w in &workloads {
        let bytes = w.bytes().expect("read the module");
        let mut group = c.benchmark_group(format!("execution/{}", w.name));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        for rt in Runtime::available_all() {
            if !rt.supports(w) {
                continue;
            }
            let result = with_instance(rt, &bytes, &mut |run| {
                match run(w.param) {
                    Ok(got) if got == w.checksum => {}
                    Ok(got) => panic!(
                        "{} on {}: run returned {got}, expected {}",
                        rt.name(),
                        w.name,
                        w.checksum
                    ),
                    Err(e) => panic!("{} on {}: {e}", rt.name(), w.name),
                }
                group.bench_function(rt.name(), |b| {
                    b.iter(|| run(black_box(w.param)).expect("run"))
                });
            });
            if let Err(e) = result {
                eprintln!("skipping {} on {}: {e}", rt.name(), w.name);
            }
        }
        group.finish();
    }
}

criterion_group!(benches, execution);
criterion_main!(benches);
