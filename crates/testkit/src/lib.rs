//! Generators and oracles for checking Spindle's validator against wasmparser's.
//!
//! The oracle is [`check_agreement`]: both validators see the same bytes under the same
//! [`Features`] and must give the same verdict (accept or reject; the messages may differ).
//! The generators feed it: [`smith`] builds modules with wasm-smith, [`mutate`] damages
//! existing modules, [`truncate`] cuts them short, and [`corpus`] supplies the modules of the
//! official spec suite as seeds. [`harness`] runs seeded loops of these and reports.
//!
//! Everything is deterministic from a `u64` seed ([`rng::Rng`]), so a failing case can be
//! replayed exactly.

#![forbid(unsafe_code)]

pub mod component_echo;
#[cfg(feature = "spec-corpus")]
pub mod component_suite;
#[cfg(feature = "spec-corpus")]
pub mod corpus;
pub mod encode;
pub mod harness;
pub mod mutate;
pub mod oracle;
pub mod rng;
pub mod smith;
pub mod truncate;

pub use oracle::{
    check_agreement, features_name, wasmparser_features, wasmparser_validate, Disagreement, Verdict,
};
pub use rng::Rng;
pub use spindle_validate::Features;

/// The feature sets the seeded loops and the fuzz targets draw from, with their weights: the
/// two full sets most often, the older versions sometimes (to exercise feature gating).
pub const PRESETS: [(Features, u32); 4] = [
    (Features::wasm1(), 1),
    (Features::wasm2(), 1),
    (Features::wasm3(), 3),
    (Features::all(), 3),
];

/// Picks one of [`PRESETS`] by weight.
pub fn pick_preset(rng: &mut Rng) -> Features {
    let total: u32 = PRESETS.iter().map(|&(_, w)| w).sum();
    let mut ticket = rng.below(total as usize) as u32;
    for &(features, weight) in &PRESETS {
        if ticket < weight {
            return features;
        }
        ticket -= weight;
    }
    unreachable!("ticket below the total weight")
}

/// Picks one of [`PRESETS`] from fuzzer input.
pub fn arbitrary_preset(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Features> {
    let total: u32 = PRESETS.iter().map(|&(_, w)| w).sum();
    let mut ticket = u.int_in_range(0..=total - 1)?;
    for &(features, weight) in &PRESETS {
        if ticket < weight {
            return Ok(features);
        }
        ticket -= weight;
    }
    unreachable!("ticket below the total weight")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_preset_draws_every_preset_by_weight() {
        let mut rng = Rng::new(7);
        let mut counts = [0u32; 4];
        for _ in 0..8000 {
            let f = pick_preset(&mut rng);
            let i = PRESETS.iter().position(|&(p, _)| p == f).unwrap();
            counts[i] += 1;
        }
        // Expected 1000, 1000, 3000, 3000.
        assert!(counts[0] > 800 && counts[0] < 1200, "{counts:?}");
        assert!(counts[1] > 800 && counts[1] < 1200, "{counts:?}");
        assert!(counts[2] > 2700 && counts[2] < 3300, "{counts:?}");
        assert!(counts[3] > 2700 && counts[3] < 3300, "{counts:?}");
    }

    #[test]
    fn arbitrary_preset_reaches_every_preset() {
        let mut seen = [false; 4];
        for b in 0..=255u8 {
            let data = [b; 8];
            let mut u = arbitrary::Unstructured::new(&data);
            let f = arbitrary_preset(&mut u).unwrap();
            seen[PRESETS.iter().position(|&(p, _)| p == f).unwrap()] = true;
        }
        assert_eq!(seen, [true; 4]);
    }
}
