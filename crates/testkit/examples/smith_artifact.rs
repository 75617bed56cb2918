//! Turns an input of the `validate_smith` fuzz target into the module it generates, and
//! checks it again:
//!
//! ```text
//! cargo run -p spindle-testkit --example smith_artifact -- fuzz/artifacts/validate_smith/crash-<hash> out.wasm
//! ```

use arbitrary::Unstructured;
use spindle_testkit::smith::smith_module;
use spindle_testkit::{arbitrary_preset, check_agreement, features_name};

fn main() -> std::io::Result<()> {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [input, output] = &args[..] else {
        eprintln!("usage: smith_artifact <fuzz input> <output.wasm>");
        std::process::exit(2);
    };
    let data = std::fs::read(input)?;
    // The same two calls as the fuzz target.
    let mut u = Unstructured::new(&data);
    let generated = arbitrary_preset(&mut u)
        .and_then(|features| Ok((features, smith_module(&features, &mut u)?)));
    let Ok((features, bytes)) = generated else {
        eprintln!("this input generates no module");
        std::process::exit(1);
    };
    std::fs::write(output, &bytes)?;
    println!("{} bytes under {}", bytes.len(), features_name(&features));
    match check_agreement(&bytes, &features) {
        Ok(verdict) => println!("validators agree: {verdict:?}"),
        Err(disagreement) => println!("{disagreement}"),
    }
    Ok(())
}
