//! The json-processor host of the component-model plugin-host guides, on Spindle: load the
//! `json-processor` component (world `example:json-tools/json-processor@1.0.0`, a C guest
//! in `examples/components/json-processor`), give the store a fuel budget, call
//! `formatter.format` with options, print the result and the fuel left.
//!
//! `cargo run --release -p spindle --example json_processor [JSON]`
//!
//! (The guides' host uses `bindgen!`; until Spindle has it, this host calls the exported
//! interface through the dynamic API: the same calls, values as `component::Val`.)

use spindle::component::{Component, Linker, Val};
use spindle::{Config, Engine, Store};

const GUEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/components/json-processor/json-processor.wasm"
);

/// What is formatted when no JSON is given.
pub const DEFAULT_INPUT: &str = r#"{"name":"spindle","tags":["wasm","interpreter"],"fast":true}"#;

#[allow(dead_code)] // `tests/examples.rs` calls `run`.
pub fn main() -> spindle::Result<()> {
    let input = std::env::args().nth(1);
    run(input.as_deref().unwrap_or(DEFAULT_INPUT))
}

/// Formats `input` with the guest and prints the result and the fuel left.
pub fn run(input: &str) -> spindle::Result<()> {
    let engine = Engine::new(Config::new().consume_fuel(true))?;
    let component = Component::new(&engine, std::fs::read(GUEST)?)?;
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    store.set_fuel(1_000_000)?;
    let instance = linker.instantiate(&mut store, &component)?;
    let formatter = instance
        .get_export_index(&mut store, None, "example:json-tools/formatter@1.0.0")
        .ok_or_else(|| spindle::Error::msg("the component does not export formatter"))?;
    let format = instance
        .get_export_index(&mut store, Some(&formatter), "format")
        .and_then(|f| instance.get_func(&mut store, f))
        .ok_or_else(|| spindle::Error::msg("formatter has no format"))?;

    // format(input, some({indent: 2, sort-keys: true})) -> result<string, string>
    let options = Val::Option(Some(Box::new(Val::Record(vec![
        ("indent".into(), Val::U32(2)),
        ("sort-keys".into(), Val::Bool(true)),
    ]))));
    let mut result = [Val::Bool(false)];
    format.call(&mut store, &[Val::string(input), options], &mut result)?;
    let fuel_left = store.get_fuel()?;
    match &result[0] {
        Val::Result(Ok(Some(text))) => match &**text {
            Val::String(s) => println!("{}", s.as_str()),
            other => println!("{other:?}"),
        },
        Val::Result(Err(Some(message))) => match &**message {
            Val::String(s) => println!("error: {}", s.as_str()),
            other => println!("error: {other:?}"),
        },
        other => println!("{other:?}"),
    }
    println!("fuel left: {fuel_left} of 1000000");
    assert!(fuel_left < 1_000_000, "the call used fuel");
    if input == DEFAULT_INPUT {
        assert!(
            matches!(&result[0], Val::Result(Ok(Some(text))) if **text == Val::string("{\n  \"fast\": true,\n  \"name\": \"spindle\",\n  \"tags\": [\n    \"wasm\",\n    \"interpreter\"\n  ]\n}")),
            "{:?}",
            result[0]
        );
    }
    Ok(())
}
