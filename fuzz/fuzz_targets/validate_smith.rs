//! A wasm-smith module under one of the preset feature sets (chosen by the input):
//! Spindle's validator and wasmparser's must agree.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use spindle_testkit::smith::smith_module;
use spindle_testkit::{arbitrary_preset, check_agreement};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(features) = arbitrary_preset(&mut u) else {
        return;
    };
    let Ok(bytes) = smith_module(&features, &mut u) else {
        return;
    };
    if let Err(disagreement) = check_agreement(&bytes, &features) {
        panic!("{disagreement}");
    }
});
