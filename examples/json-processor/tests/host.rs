//! The json-processor host with its three guests: C (wit-bindgen), JavaScript
//! (componentize-js: the StarlingMonkey engine as a component, with WASI), and one that
//! loops forever; fuel bounds each call and the host goes on after one runs out.

use json_processor::{Plugin, FUEL};

fn guest(path: &str) -> String {
    format!("{}/../components/{path}", env!("CARGO_MANIFEST_DIR"))
}

const INPUT: &str = r#"{"name":"spindle","tags":["wasm","interpreter"],"fast":true}"#;
const FORMATTED: &str = "{\n  \"fast\": true,\n  \"name\": \"spindle\",\n  \"tags\": [\n    \"wasm\",\n    \"interpreter\"\n  ]\n}";

#[test]
fn the_c_guest_formats_within_the_guides_fuel_budget() {
    let plugin = Plugin::load(guest("json-processor/json-processor.wasm")).unwrap();
    let out = plugin.format(INPUT, FUEL).unwrap();
    assert_eq!(out.result.as_deref(), Ok(FORMATTED));
    assert!(
        out.fuel_left > 0 && out.fuel_left < FUEL,
        "{}",
        out.fuel_left
    );
    // Invalid JSON is the guest's `err`, not a trap.
    let out = plugin.format("{\"a\": ", FUEL).unwrap();
    assert!(out.result.is_err(), "{:?}", out.result);
}

#[test]
fn the_javascript_guest_gives_the_same_answer_and_runs_out_of_the_guides_budget() {
    let plugin = Plugin::load(guest("json-processor-js/json-processor-js.wasm")).unwrap();
    // An engine interpreted by an interpreter needs more than the guides' million.
    let e = plugin.format(INPUT, FUEL).unwrap_err();
    assert!(format!("{e:#}").contains("fuel"), "{e:#}");
    // The same plugin goes on, with a budget that fits.
    let out = plugin.format(INPUT, 200_000_000).unwrap();
    assert_eq!(out.result.as_deref(), Ok(FORMATTED));
    let err = plugin
        .format("{oops", 200_000_000)
        .unwrap()
        .result
        .unwrap_err();
    assert!(err.starts_with("invalid JSON"), "{err}");
}

#[test]
fn a_guest_that_loops_forever_ends_out_of_fuel_and_the_host_goes_on() {
    let spin = Plugin::load(guest("json-processor/json-processor-spin.wasm")).unwrap();
    for _ in 0..3 {
        let e = spin.format(INPUT, FUEL).unwrap_err();
        assert!(format!("{e:#}").contains("fuel"), "{e:#}");
    }
    let c = Plugin::load(guest("json-processor/json-processor.wasm")).unwrap();
    assert_eq!(
        c.format(INPUT, FUEL).unwrap().result.as_deref(),
        Ok(FORMATTED)
    );
}
