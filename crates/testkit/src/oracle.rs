//! The oracle: Spindle's validator and wasmparser's must agree on accept versus reject.

use core::fmt;
use spindle_validate::{Features, ValidateError};
use wasmparser::{BinaryReaderError, Validator, WasmFeatures, WasmFeaturesInflated};

/// The wasmparser feature set equivalent to `features`.
///
/// Proposals we know map one to one (the two that wasmparser splits in two,
/// `call_indirect_overlong` and `bulk_memory_opt`, follow reference types and bulk memory);
/// wasmparser's embedder switches that are not proposals (`floats`, `gc_types`) are on, as in
/// the spec; everything else (legacy exceptions, stack switching, shared-everything threads,
/// the component model, compact imports, ...) is off. Both structs are destructured in full,
/// so a new field on either side is a compile error here.
pub fn wasmparser_features(features: &Features) -> WasmFeatures {
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
    WasmFeatures::from_inflated(WasmFeaturesInflated {
        mutable_global,
        saturating_float_to_int,
        sign_extension,
        reference_types,
        multi_value,
        bulk_memory,
        simd,
        relaxed_simd,
        threads,
        shared_everything_threads: false,
        tail_call,
        floats: true,
        multi_memory,
        exceptions,
        memory64,
        extended_const,
        component_model: false,
        function_references,
        memory_control: false,
        gc,
        custom_page_sizes,
        legacy_exceptions: false,
        gc_types: true,
        stack_switching: false,
        wide_arithmetic,
        cm_values: false,
        cm_nested_names: false,
        cm_async: false,
        cm_async_stackful: false,
        cm_more_async_builtins: false,
        cm_threading: false,
        cm_error_context: false,
        cm_fixed_length_lists: false,
        cm_gc: false,
        // `from_inflated` sets the fields in this order, so these two, which share bits with
        // `reference_types` and `bulk_memory`, must repeat their values.
        call_indirect_overlong: reference_types,
        bulk_memory_opt: bulk_memory,
        custom_descriptors,
        compact_imports: false,
        cm_map: false,
        cm64: false,
        cm_implements: false,
        cm_canon_names: false,
        cm_forward: false,
        cm_accessors: false,
        acquire_release_atomics: false,
        multibyte_array_access: false,
    })
}

/// wasmparser's verdict: its full validator (`validate_all`) under the mapped features.
pub fn wasmparser_validate(bytes: &[u8], features: &Features) -> Result<(), BinaryReaderError> {
    Validator::new_with_features(wasmparser_features(features))
        .validate_all(bytes)
        .map(|_| ())
}

/// A short name for a feature set: `wasm1`, `wasm2`, `wasm3`, `all`, or `custom`.
pub fn features_name(features: &Features) -> &'static str {
    if *features == Features::wasm1() {
        "wasm1"
    } else if *features == Features::wasm2() {
        "wasm2"
    } else if *features == Features::wasm3() {
        "wasm3"
    } else if *features == Features::all() {
        "all"
    } else {
        "custom"
    }
}

/// Rejections by wasmparser 0.263 that the current spec tests contradict, with the reason:
/// when we accept and wasmparser rejects with one of these messages (under a feature set that
/// enables the proposal), the oracle is wrong, not us. Keep this list short and exact; a test
/// fails once wasmparser is fixed, so that the entry can go.
pub const KNOWN_WASMPARSER_BUGS: &[KnownBug] = &[KnownBug {
    message: "sub type with descriptor must have super type with descriptor",
    applies: |f| f.custom_descriptors,
    why: "custom-descriptors dropped this rule: \"If a subtype has a descriptor, its \
          supertype does not need to have a descriptor\" (proposal test descriptors.wast)",
}];

/// One entry of [`KNOWN_WASMPARSER_BUGS`].
#[derive(Debug)]
pub struct KnownBug {
    /// wasmparser's message (without its offset), matched exactly.
    pub message: &'static str,
    /// The feature sets the bug can show under.
    pub applies: fn(&Features) -> bool,
    pub why: &'static str,
}

/// The entry of [`KNOWN_WASMPARSER_BUGS`] that explains wasmparser rejecting with `theirs`
/// a module we accept, if any.
pub fn known_wasmparser_bug(
    theirs: &BinaryReaderError,
    features: &Features,
) -> Option<&'static KnownBug> {
    KNOWN_WASMPARSER_BUGS
        .iter()
        .find(|bug| theirs.message() == bug.message && (bug.applies)(features))
}

/// The two validators agree.
#[derive(Debug)]
pub enum Verdict {
    /// Both accept.
    Valid,
    /// Both reject (each with its own reason).
    Invalid {
        ours: ValidateError,
        theirs: BinaryReaderError,
    },
    /// We accept; wasmparser rejects because of one of [`KNOWN_WASMPARSER_BUGS`].
    OracleBug {
        theirs: BinaryReaderError,
        bug: &'static KnownBug,
    },
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }
}

/// The two validators disagree: exactly one of `ours` and `theirs` is `Ok`.
#[derive(Debug)]
pub struct Disagreement {
    pub features: Features,
    /// Length of the input, in bytes.
    pub len: usize,
    pub ours: Result<(), ValidateError>,
    pub theirs: Result<(), BinaryReaderError>,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "validators disagree on {} bytes under {}: spindle ",
            self.len,
            features_name(&self.features)
        )?;
        match &self.ours {
            Ok(()) => write!(f, "accepts")?,
            Err(e) => write!(f, "rejects ({e})")?,
        }
        write!(f, ", wasmparser ")?;
        match &self.theirs {
            Ok(()) => write!(f, "accepts"),
            Err(e) => write!(f, "rejects ({e})"),
        }
    }
}

impl std::error::Error for Disagreement {}

/// Runs both validators on `bytes` under `features`. `Ok` when they agree (with both
/// verdicts), `Err` describing both when one accepts and the other rejects (unless wasmparser
/// rejects because of one of [`KNOWN_WASMPARSER_BUGS`]: that is `Ok(Verdict::OracleBug)`).
///
/// A panic in either validator is not caught: it is a bug and must surface as one.
pub fn check_agreement(bytes: &[u8], features: &Features) -> Result<Verdict, Disagreement> {
    let ours = spindle_validate::validate(bytes, features);
    let theirs = wasmparser_validate(bytes, features);
    match (ours, theirs) {
        (Ok(()), Ok(())) => Ok(Verdict::Valid),
        (Err(ours), Err(theirs)) => Ok(Verdict::Invalid { ours, theirs }),
        (Ok(()), Err(theirs)) if known_wasmparser_bug(&theirs, features).is_some() => {
            let bug = known_wasmparser_bug(&theirs, features).expect("just found");
            Ok(Verdict::OracleBug { theirs, bug })
        }
        (ours, theirs) => Err(Disagreement {
            features: *features,
            len: bytes.len(),
            ours,
            theirs,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{module, HEADER};

    #[test]
    fn presets_map_to_wasmparsers_versions() {
        assert_eq!(wasmparser_features(&Features::wasm1()), WasmFeatures::WASM1);
        assert_eq!(wasmparser_features(&Features::wasm2()), WasmFeatures::WASM2);
        // wasmparser counts threads into 3.0; the spec (and we) do not.
        assert_eq!(
            wasmparser_features(&Features::wasm3()),
            WasmFeatures::WASM3.difference(WasmFeatures::THREADS)
        );
        assert_eq!(
            wasmparser_features(&Features::all()),
            WasmFeatures::WASM3
                | WasmFeatures::CUSTOM_PAGE_SIZES
                | WasmFeatures::WIDE_ARITHMETIC
                | WasmFeatures::CUSTOM_DESCRIPTORS
        );
    }

    #[test]
    fn each_flag_maps_to_its_own_wasmparser_flag() {
        let none = Features {
            mutable_global: false,
            ..Features::wasm1()
        };
        let base = wasmparser_features(&none);
        assert_eq!(base, WasmFeatures::FLOATS | WasmFeatures::GC_TYPES);
        type SetFlag = fn(&mut Features);
        let cases: [(SetFlag, WasmFeatures); 19] = [
            (|f| f.mutable_global = true, WasmFeatures::MUTABLE_GLOBAL),
            (|f| f.sign_extension = true, WasmFeatures::SIGN_EXTENSION),
            (
                |f| f.saturating_float_to_int = true,
                WasmFeatures::SATURATING_FLOAT_TO_INT,
            ),
            (|f| f.multi_value = true, WasmFeatures::MULTI_VALUE),
            (|f| f.bulk_memory = true, WasmFeatures::BULK_MEMORY),
            (|f| f.reference_types = true, WasmFeatures::REFERENCE_TYPES),
            (|f| f.simd = true, WasmFeatures::SIMD),
            (|f| f.relaxed_simd = true, WasmFeatures::RELAXED_SIMD),
            (|f| f.tail_call = true, WasmFeatures::TAIL_CALL),
            (
                |f| f.function_references = true,
                WasmFeatures::FUNCTION_REFERENCES,
            ),
            (|f| f.gc = true, WasmFeatures::GC),
            (|f| f.exceptions = true, WasmFeatures::EXCEPTIONS),
            (|f| f.memory64 = true, WasmFeatures::MEMORY64),
            (|f| f.multi_memory = true, WasmFeatures::MULTI_MEMORY),
            (|f| f.extended_const = true, WasmFeatures::EXTENDED_CONST),
            (|f| f.threads = true, WasmFeatures::THREADS),
            (
                |f| f.custom_page_sizes = true,
                WasmFeatures::CUSTOM_PAGE_SIZES,
            ),
            (|f| f.wide_arithmetic = true, WasmFeatures::WIDE_ARITHMETIC),
            (
                |f| f.custom_descriptors = true,
                WasmFeatures::CUSTOM_DESCRIPTORS,
            ),
        ];
        for (set, flag) in cases {
            let mut f = none;
            set(&mut f);
            assert_eq!(wasmparser_features(&f), base | flag, "{flag:?}");
        }
        // The split proposals carry both of their bits.
        let rt = wasmparser_features(&Features {
            reference_types: true,
            ..none
        });
        assert!(rt.call_indirect_overlong());
        assert!(!base.call_indirect_overlong());
        let bm = wasmparser_features(&Features {
            bulk_memory: true,
            ..none
        });
        assert!(bm.bulk_memory_opt());
        assert!(!base.bulk_memory_opt());
    }

    #[test]
    fn features_names() {
        assert_eq!(features_name(&Features::wasm1()), "wasm1");
        assert_eq!(features_name(&Features::wasm2()), "wasm2");
        assert_eq!(features_name(&Features::default()), "wasm3");
        assert_eq!(features_name(&Features::all()), "all");
        assert_eq!(
            features_name(&Features {
                simd: false,
                ..Features::wasm3()
            }),
            "custom"
        );
    }

    #[test]
    fn wasmparser_oracle_obeys_the_features() {
        // A shared memory: valid with threads only.
        let shared = module(&[(5, vec![0x01, 0x03, 0x01, 0x01])]);
        assert!(wasmparser_validate(&shared, &Features::all()).is_ok());
        assert!(wasmparser_validate(&shared, &Features::wasm3()).is_err());
        // Two memories: multi-memory (3.0) only.
        let two = module(&[(5, vec![0x02, 0x00, 0x01, 0x00, 0x01])]);
        assert!(wasmparser_validate(&two, &Features::wasm3()).is_ok());
        assert!(wasmparser_validate(&two, &Features::wasm2()).is_err());
        // The empty module is valid everywhere; a component never is.
        assert!(wasmparser_validate(&HEADER, &Features::wasm1()).is_ok());
        let component = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
        assert!(wasmparser_validate(&component, &Features::all()).is_err());
    }

    #[test]
    fn garbage_is_rejected_by_both() {
        for input in [
            &b""[..],
            b"\0asm",
            b"\x7fELF\x02\x01\x01\0",
            b"\0asm\x02\0\0\0",
        ] {
            let verdict = check_agreement(input, &Features::all()).expect("both reject");
            assert!(!verdict.is_valid());
        }
    }

    /// When this fails, wasmparser has caught up with the custom-descriptors proposal: remove
    /// the entry from `KNOWN_WASMPARSER_BUGS`.
    #[cfg(feature = "spec-corpus")]
    #[test]
    fn known_wasmparser_bug_is_still_there() {
        // From the proposal's descriptors.wast, where it is a valid `(module ...)`.
        let text = "(module (rec (type $A (sub (struct))) \
                    (type $B (sub $A (descriptor $B.desc) (struct))) \
                    (type $B.desc (sub (describes $B) (struct)))))";
        let buffer = wast::parser::ParseBuffer::new(text).unwrap();
        let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer).unwrap();
        let bytes = wat.encode().unwrap();
        let theirs = wasmparser_validate(&bytes, &Features::all()).unwrap_err();
        assert!(
            known_wasmparser_bug(&theirs, &Features::all()).is_some(),
            "{theirs}"
        );
        // Only under the proposal, and only that message.
        assert!(known_wasmparser_bug(&theirs, &Features::wasm3()).is_none());
        let other = wasmparser_validate(b"\0asm", &Features::all()).unwrap_err();
        assert!(known_wasmparser_bug(&other, &Features::all()).is_none());
    }

    #[test]
    fn disagreement_display_names_both_sides() {
        let d = Disagreement {
            features: Features::wasm3(),
            len: 8,
            ours: Err(ValidateError::invalid(3, "type mismatch")),
            theirs: Ok(()),
        };
        let text = d.to_string();
        assert!(text.contains("8 bytes under wasm3"), "{text}");
        assert!(
            text.contains("spindle rejects (invalid: type mismatch (at offset 0x3))"),
            "{text}"
        );
        assert!(text.ends_with("wasmparser accepts"), "{text}");
    }
}
