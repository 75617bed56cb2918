//! wasm-smith modules shaped by our [`Features`].

use crate::rng::Rng;
use arbitrary::Unstructured;
use spindle_validate::Features;
use wasm_smith::{Config, Module};

/// A wasm-smith configuration that generates the proposals `features` enables and none of the
/// others, with its size knobs drawn from `u` (kept small: debug builds run thousands).
///
/// wasm-smith has one switch for function references and GC together, so it generates either
/// only when `features` has both (and reference types, which they build on).
pub fn smith_config(features: &Features, u: &mut Unstructured<'_>) -> arbitrary::Result<Config> {
    let gc = features.gc && features.function_references && features.reference_types;
    let simd = features.simd;
    let config = Config {
        // Proposals.
        saturating_float_to_int_enabled: features.saturating_float_to_int,
        sign_extension_ops_enabled: features.sign_extension,
        multi_value_enabled: features.multi_value,
        bulk_memory_enabled: features.bulk_memory,
        reference_types_enabled: features.reference_types,
        simd_enabled: simd,
        relaxed_simd_enabled: simd && features.relaxed_simd,
        tail_call_enabled: features.tail_call,
        gc_enabled: gc,
        exceptions_enabled: features.exceptions,
        memory64_enabled: features.memory64,
        extended_const_enabled: features.extended_const,
        threads_enabled: features.threads,
        custom_page_sizes_enabled: features.custom_page_sizes,
        wide_arithmetic_enabled: features.wide_arithmetic,
        custom_descriptors_enabled: gc && features.custom_descriptors,
        // Not ours.
        compact_imports_enabled: false,
        shared_everything_threads_enabled: false,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        // Multi-memory and multiple tables are expressed through the limits.
        max_memories: if features.multi_memory {
            u.int_in_range(1..=4)?
        } else {
            1
        },
        max_tables: if features.reference_types {
            u.int_in_range(1..=4)?
        } else {
            1
        },
        // Shape.
        max_types: u.int_in_range(0..=16)?,
        max_imports: u.int_in_range(0..=8)?,
        max_funcs: u.int_in_range(0..=16)?,
        max_globals: u.int_in_range(0..=8)?,
        max_exports: u.int_in_range(0..=8)?,
        max_tags: u.int_in_range(0..=4)?,
        max_element_segments: u.int_in_range(0..=4)?,
        max_elements: u.int_in_range(0..=16)?,
        max_data_segments: u.int_in_range(0..=4)?,
        max_instructions: u.int_in_range(0..=128)?,
        max_nesting_depth: u.int_in_range(0..=10)?,
        max_type_size: 200,
        // Sometimes overlong LEBs everywhere (still valid).
        min_uleb_size: if u.ratio(1, 8)? {
            u.int_in_range(1..=5)?
        } else {
            1
        },
        // Sometimes bodies that need not validate: exercises rejection agreement.
        allow_invalid_funcs: u.ratio(1, 8)?,
        generate_custom_sections: u.ratio(1, 4)?,
        export_everything: u.ratio(1, 4)?,
        disallow_traps: u.ratio(1, 8)?,
        canonicalize_nans: u.ratio(1, 8)?,
        ..Config::default()
    };
    Ok(config)
}

/// A module built from `u` under `features`: configuration first, then the module.
pub fn smith_module(features: &Features, u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let config = smith_config(features, u)?;
    Ok(Module::new(config, u)?.to_bytes())
}

/// A module from `seed`: random bytes of a random length (up to 16 KiB) fed to
/// [`smith_module`]. Retries with more bytes in the rare case wasm-smith gives up.
pub fn smith_module_from_seed(features: &Features, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut len = rng.range(16, 16 * 1024);
    loop {
        let data = rng.bytes(len);
        if let Ok(bytes) = smith_module(features, &mut Unstructured::new(&data)) {
            return bytes;
        }
        len = len.saturating_mul(2).min(1 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::wasmparser_validate;
    use crate::PRESETS;

    #[test]
    fn generation_is_deterministic() {
        for seed in 0..8 {
            let a = smith_module_from_seed(&Features::all(), seed);
            let b = smith_module_from_seed(&Features::all(), seed);
            assert_eq!(a, b);
        }
        let distinct: std::collections::HashSet<Vec<u8>> = (0..16)
            .map(|s| smith_module_from_seed(&Features::all(), s))
            .collect();
        assert!(
            distinct.len() > 12,
            "only {} distinct modules",
            distinct.len()
        );
    }

    /// With invalid bodies off, wasm-smith's output must be valid under the features we asked
    /// for: this checks that the configuration never asks for a proposal `features` lacks.
    #[test]
    fn valid_configs_stay_within_the_features() {
        let mut checked = 0;
        for &(features, _) in &PRESETS {
            for seed in 0..40u64 {
                let mut rng = Rng::new(seed);
                let len = rng.range(64, 8192);
                let data = rng.bytes(len);
                let mut u = Unstructured::new(&data);
                let mut config = smith_config(&features, &mut u).unwrap();
                config.allow_invalid_funcs = false;
                let Ok(module) = Module::new(config, &mut u) else {
                    continue;
                };
                let bytes = module.to_bytes();
                if let Err(e) = wasmparser_validate(&bytes, &features) {
                    panic!("seed {seed} under {features:?}: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 150, "only {checked} modules generated");
    }
}
