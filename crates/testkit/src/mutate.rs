//! Mutators: small, targeted damage to a module, most of it near something the validator
//! must look at (LEB128 counts and sizes, section framing and order).

use crate::encode::{extreme_lebs, leb_span, sections, uleb};
use crate::rng::Rng;

/// Bytes the byte-level mutators prefer: opcodes and type codes that change meaning, and the
/// edges of LEB128 groups.
const INTERESTING_BYTES: [u8; 16] = [
    0x00, 0x01, 0x02, 0x0b, 0x1c, 0x40, 0x41, 0x60, 0x6f, 0x70, 0x7f, 0x80, 0xc0, 0xfb, 0xfd, 0xff,
];

/// A mutated module and what was done to it (for the failure report).
#[derive(Clone, Debug)]
pub struct Mutated {
    pub bytes: Vec<u8>,
    pub steps: Vec<String>,
}

/// Applies 1 to 4 mutations (usually 1) to a copy of `input`.
pub fn mutate(input: &[u8], rng: &mut Rng) -> Mutated {
    let mut bytes = input.to_vec();
    let mut steps = Vec::new();
    let count = match rng.below(8) {
        0..=4 => 1,
        5 | 6 => 2,
        _ => rng.range(3, 4),
    };
    for _ in 0..count {
        steps.push(mutate_once(&mut bytes, rng));
    }
    Mutated { bytes, steps }
}

/// Applies one mutation in place and describes it.
pub fn mutate_once(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    // Mutations that need something to work on fall through to insertion.
    loop {
        let choice = rng.below(12);
        let done = match choice {
            0 => flip_bit(bytes, rng),
            1 => set_byte(bytes, rng),
            2 => insert_bytes(bytes, rng),
            3 => delete_bytes(bytes, rng),
            4 | 5 => overwrite_leb(bytes, rng),
            6 => section_count(bytes, rng),
            7 => section_size(bytes, rng),
            8 => duplicate_section(bytes, rng),
            9 => swap_sections(bytes, rng),
            10 => delete_section(bytes, rng),
            _ => splice(bytes, rng),
        };
        if let Some(step) = done {
            return step;
        }
    }
}

fn flip_bit(bytes: &mut [u8], rng: &mut Rng) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let pos = rng.below(bytes.len());
    let bit = rng.below(8);
    bytes[pos] ^= 1 << bit;
    Some(format!("flip bit {bit} at {pos}"))
}

fn set_byte(bytes: &mut [u8], rng: &mut Rng) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let pos = rng.below(bytes.len());
    let value = if rng.chance(1, 2) {
        *rng.pick(&INTERESTING_BYTES)
    } else {
        rng.byte()
    };
    bytes[pos] = value;
    Some(format!("set byte {pos} to 0x{value:02x}"))
}

fn insert_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let pos = rng.range(0, bytes.len());
    let len = rng.range(1, 4);
    let new: Vec<u8> = (0..len)
        .map(|_| {
            if rng.chance(1, 2) {
                *rng.pick(&INTERESTING_BYTES)
            } else {
                rng.byte()
            }
        })
        .collect();
    bytes.splice(pos..pos, new.iter().copied());
    Some(format!("insert {new:02x?} at {pos}"))
}

fn delete_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let pos = rng.below(bytes.len());
    let len = rng.range(1, 8).min(bytes.len() - pos);
    bytes.drain(pos..pos + len);
    Some(format!("delete {len} bytes at {pos}"))
}

/// Replaces the LEB128-looking run at `pos` with an extreme encoding.
fn replace_leb_at(bytes: &mut Vec<u8>, pos: usize, rng: &mut Rng) -> String {
    let old = leb_span(bytes, pos);
    let lebs = extreme_lebs();
    let new = rng.pick(&lebs).clone();
    bytes.splice(pos..pos + old, new.iter().copied());
    format!("LEB at {pos} ({old} bytes) := {new:02x?}")
}

fn overwrite_leb(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let pos = rng.below(bytes.len());
    Some(replace_leb_at(bytes, pos, rng))
}

/// The first LEB of a section's payload: the item count of every vector section.
fn section_count(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let secs = sections(bytes);
    let nonempty: Vec<_> = secs
        .iter()
        .filter(|s| s.payload_start < s.range.end)
        .collect();
    if nonempty.is_empty() {
        return None;
    }
    let s = rng.pick(&nonempty);
    let id = s.id;
    let step = replace_leb_at(bytes, s.payload_start, rng);
    Some(format!("section {id} count: {step}"))
}

/// A section's size field: an extreme, or off by a little.
fn section_size(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let secs = sections(bytes);
    if secs.is_empty() {
        return None;
    }
    let s = rng.pick(&secs).clone();
    let pos = s.range.start + 1;
    if rng.chance(1, 2) {
        let step = replace_leb_at(bytes, pos, rng);
        return Some(format!("section {} size: {step}", s.id));
    }
    let size = (s.range.end - s.payload_start) as i64;
    let delta = *rng.pick(&[-2i64, -1, 1, 2]);
    let new = (size + delta).max(0) as u64;
    let old = s.payload_start - pos;
    bytes.splice(pos..pos + old, uleb(new));
    Some(format!("section {} size {size} -> {new}", s.id))
}

fn duplicate_section(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let secs = sections(bytes);
    if secs.is_empty() {
        return None;
    }
    let s = rng.pick(&secs).clone();
    let copy = bytes[s.range.clone()].to_vec();
    // Right after itself, or at another section boundary.
    let at = if rng.chance(1, 2) {
        s.range.end
    } else {
        rng.pick(&secs).range.start
    };
    bytes.splice(at..at, copy);
    Some(format!("duplicate section {} to {at}", s.id))
}

fn swap_sections(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let secs = sections(bytes);
    if secs.len() < 2 {
        return None;
    }
    let i = rng.below(secs.len() - 1);
    // Neighbours usually (order violations), sometimes far apart.
    let j = if rng.chance(2, 3) {
        i + 1
    } else {
        rng.range(i + 1, secs.len() - 1)
    };
    let (a, b) = (&secs[i], &secs[j]);
    let mut out = bytes[..a.range.start].to_vec();
    out.extend_from_slice(&bytes[b.range.clone()]);
    out.extend_from_slice(&bytes[a.range.end..b.range.start]);
    out.extend_from_slice(&bytes[a.range.clone()]);
    out.extend_from_slice(&bytes[b.range.end..]);
    let step = format!("swap sections {} and {}", a.id, b.id);
    *bytes = out;
    Some(step)
}

fn delete_section(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let secs = sections(bytes);
    if secs.is_empty() {
        return None;
    }
    let s = rng.pick(&secs);
    bytes.drain(s.range.clone());
    Some(format!("delete section {}", s.id))
}

/// Copies a chunk of the module over, or into, another place in it.
fn splice(bytes: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    if bytes.len() < 2 {
        return None;
    }
    let from = rng.below(bytes.len());
    let len = rng.range(1, 16).min(bytes.len() - from);
    let chunk = bytes[from..from + len].to_vec();
    let to = rng.range(0, bytes.len());
    if rng.chance(1, 2) {
        bytes.splice(to..to, chunk);
        Some(format!("splice-insert {len} bytes from {from} at {to}"))
    } else {
        let end = (to + len).min(bytes.len());
        bytes.splice(to..end, chunk);
        Some(format!("splice-overwrite {len} bytes from {from} at {to}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::module;

    fn sample() -> Vec<u8> {
        // type (func), func 0, export "f", code: nop end.
        module(&[
            (1, vec![0x01, 0x60, 0x00, 0x00]),
            (3, vec![0x01, 0x00]),
            (7, vec![0x01, 0x01, b'f', 0x00, 0x00]),
            (10, vec![0x01, 0x03, 0x00, 0x01, 0x0b]),
        ])
    }

    #[test]
    fn mutation_is_deterministic_and_changes_the_input() {
        let input = sample();
        let mut changed = 0;
        for seed in 0..500 {
            let a = mutate(&input, &mut Rng::new(seed));
            let b = mutate(&input, &mut Rng::new(seed));
            assert_eq!(a.bytes, b.bytes);
            assert_eq!(a.steps, b.steps);
            assert!(!a.steps.is_empty() && a.steps.len() <= 4);
            if a.bytes != input {
                changed += 1;
            }
        }
        // A few mutations can be no-ops (a byte set to its own value, two equal sections
        // swapped); nearly all are not.
        assert!(changed > 450, "only {changed} of 500 changed the input");
    }

    #[test]
    fn every_mutator_fires() {
        let input = sample();
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..2000 {
            for step in mutate(&input, &mut Rng::new(seed)).steps {
                let kind: String = step
                    .split(|c: char| c.is_ascii_digit() || c == '[')
                    .next()
                    .unwrap()
                    .into();
                kinds.insert(kind);
            }
        }
        for expected in [
            "flip bit ",
            "set byte ",
            "insert ",
            "delete ",
            "LEB at ",
            "section ",
            "duplicate section ",
            "swap sections ",
            "delete section ",
            "splice-insert ",
            "splice-overwrite ",
        ] {
            assert!(
                kinds.contains(expected),
                "{expected:?} never fired: {kinds:?}"
            );
        }
    }

    #[test]
    fn section_mutators_keep_the_framing() {
        let input = sample();
        let mut rng = Rng::new(9);
        for _ in 0..200 {
            let mut b = input.clone();
            assert!(swap_sections(&mut b, &mut rng).is_some());
            assert_eq!(b.len(), input.len());
            assert_eq!(sections(&b).len(), 4);
            let mut b = input.clone();
            assert!(duplicate_section(&mut b, &mut rng).is_some());
            assert_eq!(sections(&b).len(), 5);
            let mut b = input.clone();
            assert!(delete_section(&mut b, &mut rng).is_some());
            assert_eq!(sections(&b).len(), 3);
        }
    }

    #[test]
    fn mutators_survive_tiny_inputs() {
        for len in 0..10 {
            let input = vec![0x80; len];
            for seed in 0..50 {
                let m = mutate(&input, &mut Rng::new(seed));
                assert!(!m.steps.is_empty());
            }
        }
    }

    #[test]
    fn leb_replacement_swaps_exactly_the_run() {
        let lebs = extreme_lebs();
        for seed in 0..100 {
            let mut b = vec![0x01, 0x85, 0x80, 0x00, 0x07];
            replace_leb_at(&mut b, 1, &mut Rng::new(seed));
            assert_eq!(b[0], 0x01);
            assert_eq!(*b.last().unwrap(), 0x07);
            assert!(lebs.contains(&b[1..b.len() - 1].to_vec()), "{b:02x?}");
        }
        // The count LEB of a section is the run replaced.
        let input = sample();
        let mut b = input.clone();
        let step = section_count(&mut b, &mut Rng::new(1)).unwrap();
        assert!(
            step.starts_with("section ") && step.contains("count: LEB at "),
            "{step}"
        );
        let pos: usize = step
            .split("LEB at ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            sections(&input).iter().any(|s| s.payload_start == pos),
            "{step}"
        );
    }
}
