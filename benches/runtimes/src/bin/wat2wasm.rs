//! `wat2wasm IN.wat OUT.wasm`: the text-to-binary step of `../workloads/build.sh`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: wat2wasm IN.wat OUT.wasm");
        return ExitCode::from(2);
    };
    let bytes = match wat::parse_file(input) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("wat2wasm: {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(output, bytes) {
        eprintln!("wat2wasm: {output}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
