//! A wasm-smith module with every proposal both run (`smith_all_config`) in Spindle and in
//! wasmtime 48 (Cranelift): results, traps, exported memories, globals and tables must
//! agree. `cargo fuzz run -s none --features wasmtime exec_wasmtime`.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(bytes) = spindle_fuzz::wasmtime_diff::smith_all_module(&mut u) else {
        return;
    };
    if let Err(disagreement) = spindle_fuzz::wasmtime_diff::run_case_wasmtime(&bytes) {
        panic!("{disagreement}");
    }
});
