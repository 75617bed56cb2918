//! The Wasm 2.0 build: Spindle without any proposal beyond WebAssembly 2.0 (the cargo
//! features `std` and `simd` alone; no tail calls, function references, memory64,
//! multi-memory, wide arithmetic, relaxed SIMD, GC, exceptions or threads) runs the 1.0 and 2.0 suites
//! as the full build does: every directive that runs passes, eagerly and lazily translated.
//! `.ci/run` runs it: `cargo test -p spindle-spec-tests --no-default-features --test wasm2`.
//! With the default features (every proposal) it is not compiled.

#![cfg(not(feature = "all-proposals"))]

use spindle::{Dispatch, Translation};
use spindle_spec_tests::{exec::set_mode, run_suite, Outcome};

#[test]
fn wasm2_build_passes_the_1_0_and_2_0_suites() {
    // Left out of this build: a module of a later proposal is refused for it.
    assert!(!spindle_validate::compiled_in(
        spindle_decode::Proposal::TailCall
    ));
    assert!(!spindle_validate::other_memories_compiled_in());
    assert!(!spindle_validate::compiled_in(
        spindle_decode::Proposal::RelaxedSimd
    ));
    for translation in [Translation::Eager, Translation::Lazy] {
        set_mode(translation, Dispatch::default());
        for suite in ["wasm-v1", "wasm-v2"] {
            let report = run_suite(suite);
            let total = report.counts().total();
            let failures = report.directives_where(10, |o| {
                !matches!(
                    o,
                    Outcome::Passed | Outcome::PassedTextLevel | Outcome::NotRun
                )
            });
            println!(
                "{suite} ({translation:?}): {} passed, {} failed, {} not run",
                total.passed, total.failed, total.not_run
            );
            assert!(
                failures.is_empty(),
                "{suite} ({translation:?}): {failures:#?}"
            );
            // As many as the full build passes (`expected/results.json`, which
            // `tests/spec.rs` keeps true).
            assert_eq!(
                total.passed,
                full_build_passed(suite),
                "{suite}: passed in the Wasm 2.0 build and in the full build"
            );
        }
    }
}

/// The directives of `suite` the full build passes, from `expected/results.json`.
fn full_build_passed(suite: &str) -> u64 {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/expected/results.json");
    let text = std::fs::read_to_string(path).expect("expected/results.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    json["suites"][suite]["counts"]["passed"]
        .as_u64()
        .expect("a count of passed directives")
}
