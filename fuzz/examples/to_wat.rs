//! Turn an `exec_diff` artifact into WAT, and re-run the comparison on it:
//! `cargo run --example to_wat -- artifacts/exec_diff/crash-<hash> [out.wasm]`.

use arbitrary::Unstructured;

fn main() {
    let mut argv = std::env::args().skip(1);
    let path = argv.next().expect("usage: to_wat <artifact> [out.wasm]");
    let data = std::fs::read(&path).expect("read the artifact");
    let bytes = spindle_fuzz::smith_exec_module(&mut Unstructured::new(&data))
        .expect("wasm-smith accepts the artifact");
    if let Some(out) = argv.next() {
        std::fs::write(&out, &bytes).expect("write the module");
    }
    println!(
        "{}",
        wasmprinter::print_bytes(&bytes).expect("print the module")
    );
    match spindle_fuzz::run_case(&bytes) {
        Ok(calls) => println!(";; engines agree ({calls} calls compared)"),
        Err(e) => println!(";; disagreement: {e}"),
    }
}
