//! Differential tests: Spindle's validator against wasmparser's on generated, mutated and
//! truncated modules, and on the spec suite's own modules.
//!
//! Each test is a deterministic seeded loop. `SPINDLE_DIFF_CASES` sets the cases of every kind
//! (defaults: [`SMITH_CASES`], [`MUTATE_CASES`], [`TRUNCATE_CASES`], sized so that the file
//! runs in well under a minute in a debug build), `SPINDLE_DIFF_SEED` the base seed. Run with
//! `-- --nocapture` to see the counts. A failing test lists the first disagreements and saves
//! their inputs to `target/diff-failures/`.

use spindle_testkit::corpus::{spec_corpus, SeedModule};
use spindle_testkit::harness::{base_seed, case_count, DiffRun};
use spindle_testkit::mutate::mutate;
use spindle_testkit::smith::smith_module_from_seed;
use spindle_testkit::truncate::truncation_points;
use spindle_testkit::{features_name, pick_preset, Features, Rng};

/// Cases per kind when `SPINDLE_DIFF_CASES` is not set. Generating with wasm-smith costs
/// most (about 3 ms a module in a debug build); mutants and truncations are cheap.
const SMITH_CASES: usize = 8_000;
const MUTATE_CASES: usize = 30_000;
const TRUNCATE_CASES: usize = 30_000;

/// Distinct streams per test, so the kinds do not share inputs.
const SMITH: u64 = 1;
const MUTATE: u64 = 2;
const TRUNCATE: u64 = 3;

/// A seed module for mutation or truncation: from the spec corpus (3 in 4) or from
/// wasm-smith, with a label saying which.
fn seed_module(rng: &mut Rng, corpus: &[SeedModule]) -> (Vec<u8>, String) {
    if rng.chance(3, 4) {
        let m = rng.pick(corpus);
        (m.bytes.clone(), m.origin.clone())
    } else {
        let features = pick_preset(rng);
        let seed = rng.next_u64();
        let bytes = smith_module_from_seed(&features, seed);
        (
            bytes,
            format!("smith({}, seed 0x{seed:x})", features_name(&features)),
        )
    }
}

#[test]
fn spec_corpus_agrees() {
    let mut run = DiffRun::new("corpus");
    for m in spec_corpus() {
        for features in [Features::wasm3(), Features::all()] {
            run.check(&m.bytes, &features, || m.origin.clone());
        }
    }
    run.finish();
}

#[test]
fn smith_modules_agree() {
    let cases = case_count(SMITH_CASES);
    let seed = base_seed();
    let mut run = DiffRun::new("smith");
    for i in 0..cases as u64 {
        let mut rng = Rng::for_case(seed ^ SMITH, i);
        let features = pick_preset(&mut rng);
        let module_seed = rng.next_u64();
        let bytes = smith_module_from_seed(&features, module_seed);
        run.check(&bytes, &features, || {
            format!(
                "smith case {i} (seed 0x{seed:x}): smith_module_from_seed({}, 0x{module_seed:x})",
                features_name(&features)
            )
        });
    }
    assert_eq!(run.checked(), cases as u64);
    run.finish();
}

#[test]
fn mutated_modules_agree() {
    let cases = case_count(MUTATE_CASES);
    let seed = base_seed();
    let corpus = spec_corpus();
    let mut run = DiffRun::new("mutate");
    for i in 0..cases as u64 {
        let mut rng = Rng::for_case(seed ^ MUTATE, i);
        let (original, origin) = seed_module(&mut rng, corpus);
        let features = pick_preset(&mut rng);
        let mutated = mutate(&original, &mut rng);
        run.check(&mutated.bytes, &features, || {
            format!(
                "mutate case {i} (seed 0x{seed:x}): {origin} with {}",
                mutated.steps.join("; ")
            )
        });
    }
    assert_eq!(run.checked(), cases as u64);
    run.finish();
}

#[test]
fn truncated_modules_agree() {
    /// Prefixes per module: all of them up to this length, a sample beyond.
    const PER_MODULE: usize = 48;
    let cases = case_count(TRUNCATE_CASES);
    let seed = base_seed();
    let corpus = spec_corpus();
    let mut run = DiffRun::new("truncate");
    let mut modules = 0u64;
    while run.checked() < cases as u64 {
        let mut rng = Rng::for_case(seed ^ TRUNCATE, modules);
        modules += 1;
        let (original, origin) = seed_module(&mut rng, corpus);
        let features = pick_preset(&mut rng);
        let left = cases - run.checked() as usize;
        for len in truncation_points(&original, PER_MODULE.min(left), &mut rng) {
            run.check(&original[..len], &features, || {
                format!(
                    "truncate module {} (seed 0x{seed:x}): {origin} cut to {len} of {} bytes",
                    modules - 1,
                    original.len()
                )
            });
        }
    }
    println!("truncate: {modules} modules cut");
    assert_eq!(run.checked(), cases as u64);
    run.finish();
}
