//! The Wasm 1.0 and 2.0 suites, and those of the proposals the interpreter runs in full
//! (tail calls, multiple memories, 64-bit memories, wide arithmetic, exceptions, threads'
//! atomics, SIMD, relaxed SIMD, annotations, GC, function references, custom descriptors,
//! extended constants, custom page sizes, bulk memory, all of Wasm 3.0; not reference types and mutable globals,
//! whose folders hold the 11 directives Wasm 3.0 reversed), in
//! the modes
//! `tests/spec.rs` does not cover: lazy translation (bodies validated up front, translated on
//! first call) and the portable loop dispatch, each combination run in full, and eager
//! threaded code with fuel and epoch checks compiled in and NaNs canonicalised
//! (deterministic mode). Every directive
//! that runs passes in each, as in the default mode.

// Needs every proposal (the default); `tests/wasm2.rs` runs the Wasm 2.0 build.
#![cfg(feature = "all-proposals")]

use spindle::{Dispatch, Translation};
use spindle_spec_tests::{
    exec::{set_checks, set_mode},
    run_suite,
};

#[test]
fn full_suites_pass_in_every_mode() {
    // (translation, dispatch, whether fuel and epoch checks are compiled in)
    let modes = [
        (Translation::Lazy, Dispatch::Threaded, false),
        (Translation::Eager, Dispatch::Loop, false),
        (Translation::Lazy, Dispatch::Loop, false),
        (Translation::Eager, Dispatch::Threaded, true),
    ];
    for (translation, dispatch, checks) in modes {
        set_mode(translation, dispatch);
        set_checks(checks);
        // (suite, directives that must pass, whether some may be unsupported)
        let suites = [
            ("wasm-v1", 20_000, false),
            ("wasm-v2", 20_000, false),
            ("tail-call", 120, false),
            ("multi-memory", 1_000, false),
            ("memory64", 1_740, false),
            ("wide-arithmetic", 110, false),
            ("exceptions", 115, false),
            ("threads", 780, false),
            ("simd", 26_400, false),
            ("relaxed-simd", 85, false),
            ("annotations", 670, false),
            ("gc", 880, false),
            ("function-references", 2_160, false),
            ("wasm-v3", 22_500, false),
            ("wasm-latest", 22_500, false),
            ("custom-descriptors", 960, false),
            ("extended-const", 370, false),
            ("custom-page-sizes", 240, false),
            ("bulk-memory", 7_600, false),
        ];
        for (suite, at_least, some_unsupported) in suites {
            let start = std::time::Instant::now();
            let report = run_suite(suite);
            let total = report.counts().total();
            let failures = report
                .directives_where(10, |o| matches!(o, spindle_spec_tests::Outcome::Failed(_)));
            let ran_on = spindle::Engine::new(spindle::Config::new().dispatch(dispatch))
                .expect("every configuration is accepted")
                .dispatch();
            println!(
                "{suite} ({translation:?}, {ran_on:?} dispatch, checks {checks}): {} passed, {} failed, {} not run, in {:.1?}",
                total.passed,
                total.failed,
                total.not_run,
                start.elapsed()
            );
            assert_eq!(
                total.failed, 0,
                "{suite} ({translation:?}, {dispatch:?}): {failures:#?}"
            );
            assert!(
                total.passed >= at_least,
                "{suite}: only {} passed",
                total.passed
            );
            if !some_unsupported {
                assert_eq!(total.unsupported, 0, "{suite}");
            }
        }
    }
}
