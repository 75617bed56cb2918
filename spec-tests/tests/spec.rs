//! Runs every spec suite and compares with `expected/results.json`.
//! `SPINDLE_BLESS=1 cargo test -p spindle-spec-tests` rewrites that file.

// Needs every proposal (the default); `tests/wasm2.rs` runs the Wasm 2.0 build.
#![cfg(feature = "all-proposals")]

use std::path::PathBuf;

use spindle_spec_tests::report::{compare_expectations, expectations, render_table, to_json};
use spindle_spec_tests::run_all_suites;

#[test]
fn spec_suites_match_expectations() {
    // Optimised builds on x86_64 and aarch64 run the threaded backend; `tests/modes.rs`
    // runs the portable one.
    let dispatch = spindle::Engine::default().dispatch();
    println!("dispatch: {dispatch:?}");
    if cfg!(all(
        not(debug_assertions),
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        assert_eq!(dispatch, spindle::Dispatch::Threaded);
    }
    let start = std::time::Instant::now();
    let suites = run_all_suites();
    println!("{}", render_table(&suites));
    println!("ran in {:.1?}", start.elapsed());

    // The full dump, with every failure's reason, for people to read.
    let dump = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-results.json");
    let text = serde_json::to_string_pretty(&to_json(&suites)).unwrap();
    std::fs::write(&dump, text + "\n").unwrap();
    println!("full results with reasons: {}", dump.display());

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("expected/results.json");
    let actual = expectations(&suites);
    if std::env::var_os("SPINDLE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
        println!("blessed {}", path.display());
        return;
    }
    let expected_text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (bless with SPINDLE_BLESS=1)",
            path.display()
        )
    });
    let expected: serde_json::Value = serde_json::from_str(&expected_text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let diff = compare_expectations(&expected, &actual);
    assert!(
        diff.is_empty(),
        "spec results differ from {} (if the change is intended, rerun with SPINDLE_BLESS=1):\n{}",
        path.display(),
        diff.join("\n")
    );
}
