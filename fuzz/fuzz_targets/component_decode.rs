//! Raw bytes into the component decoder: it never panics, and whatever wasmparser's
//! validator (every feature) accepts as a component, it decodes.
//!
//! Inputs get the component preamble prepended when they lack one, so that the fuzzer
//! spends its time in the sections rather than in the 8 header bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spindle_decode::component::Component;

const PREAMBLE: &[u8] = b"\0asm\x0d\x00\x01\x00";

fuzz_target!(|data: &[u8]| {
    let owned;
    let bytes = if data.starts_with(b"\0asm") {
        data
    } else {
        owned = [PREAMBLE, data].concat();
        &owned[..]
    };
    let ours = Component::parse(bytes);
    let valid = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .is_ok()
        && wasmparser::Parser::is_component(bytes);
    if let (Err(e), true) = (&ours, valid) {
        panic!("wasmparser validates this component, the decoder rejects it: {e}");
    }
    if let Ok(component) = &ours {
        // The nested modules' byte ranges are the input's bytes at their offsets.
        for module in component.modules() {
            assert_eq!(
                &bytes[module.offset..module.offset + module.bytes.len()],
                module.bytes
            );
            let _ = module.parse();
        }
    }
});
