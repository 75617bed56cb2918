//! `json-processor [--fuel N] [GUEST.wasm] [JSON]`: formats JSON with a json-processor
//! plugin (default: the C guest in `examples/components/json-processor`) under a fuel
//! budget (default the guides' 1,000,000) and prints the result and the fuel left. A
//! guest out of fuel is reported, with exit status 1.

use std::process::ExitCode;

const DEFAULT_GUEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../components/json-processor/json-processor.wasm"
);
const DEFAULT_INPUT: &str = r#"{"name":"spindle","tags":["wasm","interpreter"],"fast":true}"#;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut fuel = json_processor::FUEL;
    if let Some(i) = args.iter().position(|a| a == "--fuel") {
        match args.get(i + 1).and_then(|n| n.parse().ok()) {
            Some(n) => fuel = n,
            None => {
                eprintln!("json-processor: --fuel needs a number");
                return ExitCode::from(2);
            }
        }
        args.drain(i..i + 2);
    }
    let (guest, input) = match args.as_slice() {
        [] => (DEFAULT_GUEST.to_string(), DEFAULT_INPUT.to_string()),
        [g] if g.ends_with(".wasm") => (g.clone(), DEFAULT_INPUT.to_string()),
        [json] => (DEFAULT_GUEST.to_string(), json.clone()),
        [g, json, ..] => (g.clone(), json.clone()),
    };
    let plugin = match json_processor::Plugin::load(&guest) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("json-processor: {guest}: {e:#}");
            return ExitCode::from(2);
        }
    };
    match plugin.format(&input, fuel) {
        Ok(out) => {
            match &out.result {
                Ok(text) => println!("{text}"),
                Err(message) => println!("error: {message}"),
            }
            println!("fuel left: {} of {fuel}", out.fuel_left);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("json-processor: the plugin failed: {e:#}");
            ExitCode::from(1)
        }
    }
}
