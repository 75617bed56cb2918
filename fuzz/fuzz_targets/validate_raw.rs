//! Raw bytes: Spindle's validator and wasmparser's must agree, under every proposal we know
//! and under WebAssembly 3.0.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spindle_testkit::{check_agreement, Features};

fuzz_target!(|data: &[u8]| {
    for features in [Features::all(), Features::wasm3()] {
        if let Err(disagreement) = check_agreement(data, &features) {
            panic!("{disagreement}");
        }
    }
});
