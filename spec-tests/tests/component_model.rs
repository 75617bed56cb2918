//! The Component Model reference tests (`../shared/testsuites/component-model`, outside the
//! repository: skipped, saying so, when absent), every script, the async ones included,
//! through `spindle::component`. Prints each file's counts; asserts that nothing panics,
//! that every directive passes but the few listed in [`KNOWN_FAILURES`] (each with its
//! reason), and that at least the directives that pass today keep passing. An
//! `assert_trap` passes only with the expected message.

// Needs every proposal (the default); `tests/wasm2.rs` runs the Wasm 2.0 build.
#![cfg(feature = "all-proposals")]

use std::path::{Path, PathBuf};

use spindle_spec_tests::component::run_component_script;
use spindle_spec_tests::Outcome;

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SPINDLE_COMPONENT_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testsuites/component-model")
        });
    dir.is_dir().then_some(dir)
}

fn scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scripts(&p, out);
        } else if p.extension().is_some_and(|e| e == "wast") {
            out.push(p);
        }
    }
}

#[test]
fn reference_tests() {
    let Some(dir) = suite_dir() else {
        println!("SKIPPED: the Component Model reference tests (../shared/testsuites/component-model) are not here");
        return;
    };
    let mut files = Vec::new();
    scripts(&dir, &mut files);
    let (mut passed, mut failed, mut unsupported, mut not_run) = (0, 0, 0, 0);
    let mut unexpected = Vec::new();
    for file in files {
        let label = file.strip_prefix(&dir).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let report = run_component_script(&label, &text);
        let (mut p, mut f, mut u, mut n) = (0, 0, 0, 0);
        for d in &report.directives {
            assert_ne!(d.kind, "panic", "{label}:{}: the runner panicked", d.line);
            match &d.outcome {
                Outcome::Passed | Outcome::PassedTextLevel => p += 1,
                Outcome::Failed(_) | Outcome::WrongMessage(_) => f += 1,
                Outcome::Unsupported(_) => u += 1,
                Outcome::NotRun => n += 1,
            }
            let known = KNOWN_FAILURES
                .iter()
                .any(|(file, line, _)| label.replace('\\', "/") == *file && *line == d.line);
            if !matches!(d.outcome, Outcome::Passed | Outcome::PassedTextLevel) && !known {
                unexpected.push(format!("{label}:{} {} {:?}", d.line, d.kind, d.outcome));
            }
        }
        println!("{label}: {p} passed, {f} failed, {u} unsupported, {n} not run");
        if std::env::var_os("SPINDLE_COMPONENT_FAILURES").is_some() {
            for d in &report.directives {
                if matches!(
                    d.outcome,
                    Outcome::Failed(_) | Outcome::WrongMessage(_) | Outcome::Unsupported(_)
                ) {
                    println!("  {label}:{} {} {:?}", d.line, d.kind, d.outcome);
                }
            }
        }
        passed += p;
        failed += f;
        unsupported += u;
        not_run += n;
    }
    println!(
        "total: {passed} passed, {failed} failed, {unsupported} unsupported, {not_run} not run"
    );
    assert!(
        unexpected.is_empty(),
        "directives that fail and are not known to:\n{}",
        unexpected.join("\n")
    );
    assert!(
        passed >= PASSING_TODAY,
        "{passed} passed, fewer than {PASSING_TODAY}"
    );
}

/// Directives passing when this floor was last raised.
const PASSING_TODAY: usize = 1419;

/// The directives that fail, by file and line, and why.
const KNOWN_FAILURES: &[(&str, usize, &str)] = &[
    (
        "binary/binary.wast",
        974,
        "the `cancellable` flag of a canonical function, retired by component-model#716: wasmparser 0.263 refuses it, and the decoder agrees with wasmparser",
    ),
    (
        "async/cancellable.wast",
        1,
        "the same retired flag in text form: the `wast` crate of the 0.263 line refuses to parse it",
    ),
    (
        "validation/extern-names.wast",
        53,
        "a name rule where wasmparser 0.263 and the suite disagree (we agree with wasmparser)",
    ),
    (
        "validation/extern-names.wast",
        56,
        "a name rule where wasmparser 0.263 and the suite disagree (we agree with wasmparser)",
    ),
    (
        "validation/kebab.wast",
        4,
        "a name rule where wasmparser 0.263 and the suite disagree (we agree with wasmparser)",
    ),
];
