//! Our `Features` as wasmparser's `WasmFeatures`, for the differential check.

use spindle_validate::Features;
use wasmparser::WasmFeatures;

/// The wasmparser feature set that accepts exactly what `features` should.
///
/// One flag per proposal. Besides those:
/// - `FLOATS` and `GC_TYPES` are always on: they are wasmparser's own embedder switches
///   (no proposal) that gate floats and `externref`/`anyref`, which the proposals enable;
/// - `REFERENCE_TYPES` carries `CALL_INDIRECT_OVERLONG` and `BULK_MEMORY` carries
///   `BULK_MEMORY_OPT` (both are parts of those proposals);
/// - everything else wasmparser knows (threads, custom page sizes, wide arithmetic and
///   custom descriptors unless asked for; shared-everything threads, legacy exceptions,
///   stack switching, memory control, compact imports, the component model, ...) is off.
pub fn wasmparser_features(features: &Features) -> WasmFeatures {
    // Destructured so that a new field in `Features` does not compile until mapped.
    let Features {
        mutable_global,
        sign_extension,
        saturating_float_to_int,
        multi_value,
        bulk_memory,
        reference_types,
        simd,
        relaxed_simd,
        tail_call,
        function_references,
        gc,
        exceptions,
        memory64,
        multi_memory,
        extended_const,
        threads,
        custom_page_sizes,
        wide_arithmetic,
        custom_descriptors,
    } = *features;
    let mut w = WasmFeatures::FLOATS | WasmFeatures::GC_TYPES;
    let flags = [
        (WasmFeatures::MUTABLE_GLOBAL, mutable_global),
        (WasmFeatures::SIGN_EXTENSION, sign_extension),
        (
            WasmFeatures::SATURATING_FLOAT_TO_INT,
            saturating_float_to_int,
        ),
        (WasmFeatures::MULTI_VALUE, multi_value),
        (WasmFeatures::BULK_MEMORY, bulk_memory),
        (WasmFeatures::REFERENCE_TYPES, reference_types),
        (WasmFeatures::SIMD, simd),
        (WasmFeatures::RELAXED_SIMD, relaxed_simd),
        (WasmFeatures::TAIL_CALL, tail_call),
        (WasmFeatures::FUNCTION_REFERENCES, function_references),
        (WasmFeatures::GC, gc),
        (WasmFeatures::EXCEPTIONS, exceptions),
        (WasmFeatures::MEMORY64, memory64),
        (WasmFeatures::MULTI_MEMORY, multi_memory),
        (WasmFeatures::EXTENDED_CONST, extended_const),
        (WasmFeatures::THREADS, threads),
        (WasmFeatures::CUSTOM_PAGE_SIZES, custom_page_sizes),
        (WasmFeatures::WIDE_ARITHMETIC, wide_arithmetic),
        (WasmFeatures::CUSTOM_DESCRIPTORS, custom_descriptors),
    ];
    for (flag, on) in flags {
        if on {
            w |= flag;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_map_to_wasmparser_presets() {
        assert_eq!(wasmparser_features(&Features::wasm1()), WasmFeatures::WASM1);
        assert_eq!(wasmparser_features(&Features::wasm2()), WasmFeatures::WASM2);
        // wasmparser's WASM3 includes threads, which 3.0 does not.
        assert_eq!(
            wasmparser_features(&Features::wasm3()),
            WasmFeatures::WASM3.difference(WasmFeatures::THREADS)
        );
    }

    #[test]
    fn extra_proposals_are_off_unless_asked_for() {
        let w = wasmparser_features(&Features::wasm3());
        for off in [
            WasmFeatures::THREADS,
            WasmFeatures::SHARED_EVERYTHING_THREADS,
            WasmFeatures::LEGACY_EXCEPTIONS,
            WasmFeatures::CUSTOM_PAGE_SIZES,
            WasmFeatures::WIDE_ARITHMETIC,
            WasmFeatures::CUSTOM_DESCRIPTORS,
            WasmFeatures::COMPACT_IMPORTS,
            WasmFeatures::STACK_SWITCHING,
            WasmFeatures::COMPONENT_MODEL,
            WasmFeatures::MEMORY_CONTROL,
        ] {
            assert!(!w.intersects(off), "{off:?} should be off");
        }
        let all = wasmparser_features(&Features::all());
        assert!(all.contains(
            WasmFeatures::THREADS
                | WasmFeatures::CUSTOM_PAGE_SIZES
                | WasmFeatures::WIDE_ARITHMETIC
                | WasmFeatures::CUSTOM_DESCRIPTORS
        ));
        assert!(!all.intersects(WasmFeatures::LEGACY_EXCEPTIONS | WasmFeatures::COMPACT_IMPORTS));
    }
}
