//! A wasm-smith module (Wasm 2.0 minus SIMD, see `spindle_fuzz::smith_config`) run in
//! Spindle and in wasmi: results, traps, exported memories and globals must agree.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A crash that kills the process before libFuzzer can save the input (a native stack
    // overflow without a sanitizer's alternate signal stack) leaves it here.
    if let Some(path) = std::env::var_os("SPINDLE_FUZZ_LAST_INPUT") {
        let _ = std::fs::write(path, data);
    }
    let mut u = Unstructured::new(data);
    let Ok(bytes) = spindle_fuzz::smith_exec_module(&mut u) else {
        return;
    };
    if let Err(disagreement) = spindle_fuzz::run_case(&bytes) {
        panic!("{disagreement}");
    }
});
