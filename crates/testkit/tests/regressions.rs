//! Inputs that once broke the validator (found by fuzzing or by the differential tests),
//! kept as files in `tests/regressions/`: each must now be judged the same way by us and by
//! wasmparser, under every preset, without a panic.

use spindle_testkit::{check_agreement, Features};

#[test]
fn regressions_agree_with_wasmparser() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions folder") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("wasm") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read regression input");
        for features in [
            Features::wasm1(),
            Features::wasm2(),
            Features::wasm3(),
            Features::all(),
        ] {
            if let Err(d) = check_agreement(&bytes, &features) {
                panic!("{}: {d}", path.display());
            }
        }
        checked += 1;
    }
    assert!(
        checked > 0,
        "no regression inputs found in {}",
        dir.display()
    );
}
