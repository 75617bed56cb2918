//! The Wasm 1.0 and 2.0 suites under lazy translation (bodies validated up front, translated
//! on first call): every directive passes, as under eager translation (`tests/spec.rs`).

use spindle_spec_tests::{exec::set_lazy_translation, run_suite};

#[test]
fn wasm_v1_and_v2_pass_with_lazy_translation() {
    set_lazy_translation(true);
    for suite in ["wasm-v1", "wasm-v2"] {
        let report = run_suite(suite);
        let total = report.counts().total();
        let failures: Vec<String> = report
            .scripts
            .iter()
            .flat_map(|s| s.directives.iter().map(move |d| (s, d)))
            .filter(|(_, d)| matches!(d.outcome, spindle_spec_tests::Outcome::Failed(_)))
            .take(10)
            .map(|(s, d)| format!("{}:{} {} {:?}", s.label, d.line, d.kind, d.outcome))
            .collect();
        println!(
            "{suite} (lazy): {} passed, {} failed, {} not run",
            total.passed, total.failed, total.not_run
        );
        assert_eq!(
            total.failed, 0,
            "{suite} under lazy translation: {failures:#?}"
        );
        assert!(
            total.passed > 20_000,
            "{suite}: only {} passed",
            total.passed
        );
        assert_eq!(total.unsupported, 0);
    }
}
