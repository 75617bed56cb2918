//! The README's command for the json-processor example: the C guest formats the default
//! document within the guides' fuel; the JavaScript guest runs out of it (reported, exit
//! status 1).

use std::process::Command;

#[test]
fn the_host_formats_and_reports_fuel() {
    let out = Command::new(env!("CARGO_BIN_EXE_json-processor"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("{\n  \"fast\": true,"), "{text}");
    assert!(
        text.contains("fuel left: ") && text.ends_with(" of 1000000\n"),
        "{text}"
    );
    let js = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../components/json-processor-js/json-processor-js.wasm"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_json-processor"))
        .arg(js)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fuel"));
}
