//! Truncations: prefixes of a module, all of them for small modules, a sample for big ones.

use crate::encode::sections;
use crate::rng::Rng;

/// Lengths of the proper prefixes of `bytes` to check (each `< bytes.len()`), sorted, without
/// duplicates, at most `max` of them.
///
/// If there are at most `max` prefixes, all of them. Otherwise always the first bytes (the
/// header and the first section's frame), each section boundary and its neighbours, and the
/// last byte cut off; then random lengths up to `max`.
pub fn truncation_points(bytes: &[u8], max: usize, rng: &mut Rng) -> Vec<usize> {
    let len = bytes.len();
    if len <= max {
        return (0..len).collect();
    }
    let mut points = std::collections::BTreeSet::new();
    let add = |p: usize, points: &mut std::collections::BTreeSet<usize>| {
        if p < len && points.len() < max {
            points.insert(p);
        }
    };
    add(len - 1, &mut points);
    for p in 0..12 {
        add(p, &mut points);
    }
    for s in sections(bytes) {
        for p in [
            s.range.start,
            s.range.start + 1,
            s.payload_start,
            s.payload_start + 1,
        ] {
            add(p, &mut points);
        }
        add(s.range.end.saturating_sub(1), &mut points);
    }
    while points.len() < max {
        points.insert(rng.below(len));
    }
    points.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::module;

    #[test]
    fn small_modules_get_every_prefix() {
        let m = module(&[(1, vec![0x01, 0x60, 0x00, 0x00])]);
        let points = truncation_points(&m, 100, &mut Rng::new(0));
        assert_eq!(points, (0..m.len()).collect::<Vec<_>>());
    }

    #[test]
    fn big_modules_get_a_sample_with_the_boundaries() {
        let big = vec![0xaa; 1000];
        let m = module(&[
            (0, [vec![0x01, b'x'], big].concat()),
            (1, vec![0x01, 0x60, 0x00, 0x00]),
        ]);
        let points = truncation_points(&m, 64, &mut Rng::new(3));
        assert_eq!(points.len(), 64);
        assert!(points.windows(2).all(|w| w[0] < w[1]));
        assert!(points.iter().all(|&p| p < m.len()));
        let secs = sections(&m);
        for must in [
            0,
            7,
            8,
            9,
            secs[1].range.start,
            secs[1].payload_start,
            m.len() - 1,
        ] {
            assert!(points.contains(&must), "{must} missing");
        }
        // Deterministic.
        assert_eq!(points, truncation_points(&m, 64, &mut Rng::new(3)));
    }
}
