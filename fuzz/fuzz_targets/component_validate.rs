//! Raw bytes into the component decoder and validator: nothing panics, and our verdict
//! (decode, then validate) equals wasmparser's validator's (every feature on). A component
//! we reject whose nested modules need a core proposal Spindle lacks (stack switching,
//! shared-everything threads, legacy exceptions: wasmparser rejects it without them) is a
//! core validator gap, not a finding here.
//!
//! Inputs get the component preamble prepended when they lack one, so that the fuzzer
//! spends its time in the sections rather than in the 8 header bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spindle_validate::component::validate_component_bytes;

const PREAMBLE: &[u8] = b"\0asm\x0d\x00\x01\x00";

fuzz_target!(|data: &[u8]| {
    let owned;
    let bytes = if data.starts_with(b"\0asm") {
        data
    } else {
        owned = [PREAMBLE, data].concat();
        &owned[..]
    };
    let ours = validate_component_bytes(bytes);
    let theirs = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            if wasmparser::Parser::is_component(bytes) {
                Ok(())
            } else {
                Err("a core module".to_string())
            }
        });
    match (&ours, &theirs) {
        (Ok(_), Err(e)) => panic!("we accept, wasmparser rejects: {e}"),
        (Err(e), Ok(())) => {
            let reduced = wasmparser::WasmFeatures::all()
                - wasmparser::WasmFeatures::STACK_SWITCHING
                - wasmparser::WasmFeatures::SHARED_EVERYTHING_THREADS
                - wasmparser::WasmFeatures::LEGACY_EXCEPTIONS;
            let core_gap = wasmparser::Validator::new_with_features(reduced)
                .validate_all(bytes)
                .is_err();
            if !core_gap {
                panic!("we reject, wasmparser accepts: {e}");
            }
        }
        _ => {}
    }
});
