//! Byte-level helpers for hand-made modules and for the mutators: LEB128 encoders (canonical,
//! padded and deliberately broken), section framing, and a top-level section splitter.

use core::ops::Range;

/// The 8-byte preamble of a core module: magic and version 1.
pub const HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// Unsigned LEB128, shortest form.
pub fn uleb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Signed LEB128, shortest form.
pub fn sleb(mut value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Unsigned LEB128 padded with continuation bytes to exactly `len` bytes (an "overlong"
/// encoding; valid in wasm as long as `len` stays within the type's maximum width).
pub fn uleb_padded(value: u64, len: usize) -> Vec<u8> {
    let mut out = uleb(value);
    assert!(out.len() <= len, "{value} needs more than {len} bytes");
    while out.len() < len {
        *out.last_mut().expect("uleb is never empty") |= 0x80;
        out.push(0);
    }
    out
}

/// A vector: `uleb(count)` then the items.
pub fn vec_of(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = uleb(items.len() as u64);
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

/// A name: `uleb(len)` then UTF-8 bytes.
pub fn name(s: &str) -> Vec<u8> {
    let mut out = uleb(s.len() as u64);
    out.extend_from_slice(s.as_bytes());
    out
}

/// One section: id, `uleb(payload length)`, payload.
pub fn section(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![id];
    out.extend(uleb(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

/// A module: [`HEADER`] then the sections, in the order given.
pub fn module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for (id, payload) in sections {
        out.extend(section(*id, payload));
    }
    out
}

/// One function body of the code section: `uleb(size)` then `body` (locals and expression).
pub fn func_body(body: &[u8]) -> Vec<u8> {
    let mut out = uleb(body.len() as u64);
    out.extend_from_slice(body);
    out
}

/// Interesting LEB128 encodings: boundaries of the limits, of 7-bit groups and of integer
/// widths, overlong forms that are still legal for a u32, and forms that are not (too long,
/// unused bits set).
pub fn extreme_lebs() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for v in [
        0u64,
        1,
        63,
        64,
        127,
        128,
        999,
        1000,
        1001,
        10_000,
        10_001,
        50_000,
        50_001,
        65_536,
        65_537,
        100_000,
        100_001,
        1_000_000,
        1_000_001,
        7_654_321,
        7_654_322,
        10_000_000,
        10_000_001,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fffc,
        0xffff_ffff,
        1 << 32,
        1 << 48,
        u64::MAX,
    ] {
        out.push(uleb(v));
    }
    for v in [
        -1i64,
        -64,
        -65,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        i64::MIN,
    ] {
        out.push(sleb(v));
    }
    out.push(uleb_padded(0, 5)); // overlong zero, legal for u32
    out.push(uleb_padded(1, 5));
    out.push(uleb_padded(0, 6)); // too long for u32
    out.push(uleb_padded(0, 10)); // legal only for u64
    out.push(uleb_padded(0, 11)); // too long for anything
    out.push(vec![0xff, 0xff, 0xff, 0xff, 0x1f]); // u32 with unused bits set
    out.push(vec![0x80, 0x80, 0x80, 0x80, 0x10]); // 2^32: one bit past u32
    out.push(vec![0xff, 0xff, 0xff, 0xff, 0x7f]); // -1 as an s32 (five bytes), unused bits set as a u32
    out.push(vec![0x80, 0x80, 0x80, 0x80, 0x70]); // signed, unused bits set
    out.push(vec![0x80; 5]); // unterminated
    out
}

/// Reads an unsigned LEB128 of at most `max_bytes` bytes at `pos`: `(value, length)`, or
/// `None` if it runs off the end, is too long, or overflows `u64`.
pub fn read_uleb(bytes: &[u8], pos: usize, max_bytes: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..max_bytes.min(10) {
        let byte = *bytes.get(pos + i)?;
        let low = u64::from(byte & 0x7f);
        let shift = 7 * i as u32;
        if shift == 63 && low > 1 {
            return None;
        }
        value |= low << shift;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The length of the LEB128-looking run at `pos`: continuation bytes up to and including the
/// first byte without the high bit, at most 10 bytes; at least 1 if `pos` is in bounds.
pub fn leb_span(bytes: &[u8], pos: usize) -> usize {
    let mut len = 0;
    while pos + len < bytes.len() && len < 10 {
        len += 1;
        if bytes[pos + len - 1] & 0x80 == 0 {
            break;
        }
    }
    len
}

/// One top-level section as found by [`sections`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionSpan {
    pub id: u8,
    /// The whole section: id byte, size, payload.
    pub range: Range<usize>,
    /// Where the payload starts (just after the size field).
    pub payload_start: usize,
}

/// The well-framed top-level sections after the 8-byte header, in order, up to the first
/// frame that does not parse or does not fit. Never panics.
pub fn sections(bytes: &[u8]) -> Vec<SectionSpan> {
    let mut out = Vec::new();
    let mut pos = HEADER.len();
    while pos < bytes.len() {
        let id = bytes[pos];
        let Some((size, size_len)) = read_uleb(bytes, pos + 1, 5) else {
            break;
        };
        let payload_start = pos + 1 + size_len;
        let Some(end) = usize::try_from(size)
            .ok()
            .and_then(|s| payload_start.checked_add(s))
        else {
            break;
        };
        if end > bytes.len() {
            break;
        }
        out.push(SectionSpan {
            id,
            range: pos..end,
            payload_start,
        });
        pos = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb_encoders_match_the_spec_examples() {
        assert_eq!(uleb(0), [0x00]);
        assert_eq!(uleb(127), [0x7f]);
        assert_eq!(uleb(128), [0x80, 0x01]);
        assert_eq!(uleb(624_485), [0xe5, 0x8e, 0x26]);
        assert_eq!(uleb(u64::from(u32::MAX)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(uleb(u64::MAX).len(), 10);
        assert_eq!(sleb(-1), [0x7f]);
        assert_eq!(sleb(63), [0x3f]);
        assert_eq!(sleb(64), [0xc0, 0x00]);
        assert_eq!(sleb(-64), [0x40]);
        assert_eq!(sleb(-65), [0xbf, 0x7f]);
        assert_eq!(sleb(-123_456), [0xc0, 0xbb, 0x78]);
        assert_eq!(uleb_padded(3, 5), [0x83, 0x80, 0x80, 0x80, 0x00]);
    }

    #[test]
    fn read_uleb_round_trips_and_rejects_bad_forms() {
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let enc = uleb(v);
            assert_eq!(read_uleb(&enc, 0, 10), Some((v, enc.len())));
        }
        assert_eq!(read_uleb(&uleb_padded(5, 5), 0, 5), Some((5, 5)));
        assert_eq!(read_uleb(&uleb_padded(5, 6), 0, 5), None);
        assert_eq!(read_uleb(&[0x80, 0x80], 0, 5), None);
        assert_eq!(
            read_uleb(
                &[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>(),
                0,
                10
            ),
            None
        );
    }

    #[test]
    fn leb_span_stops_at_the_terminator_or_the_end() {
        assert_eq!(leb_span(&[0x80, 0x81, 0x01, 0x05], 0), 3);
        assert_eq!(leb_span(&[0x80, 0x81], 0), 2);
        assert_eq!(leb_span(&[0x05], 0), 1);
        assert_eq!(leb_span(&[0x05], 1), 0);
        assert_eq!(leb_span(&[0xff; 20], 0), 10);
    }

    #[test]
    fn sections_frames_a_module_and_stops_at_damage() {
        let m = module(&[
            (1, vec![0x01, 0x60, 0x00, 0x00]),
            (3, vec![0x01, 0x00]),
            (10, vec![0x01, 0x02, 0x00, 0x0b]),
        ]);
        let s = sections(&m);
        assert_eq!(s.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 3, 10]);
        assert_eq!(s[0].range, 8..14);
        assert_eq!(s[0].payload_start, 10);
        assert_eq!(s[2].range.end, m.len());
        // Cut into the last section: only the first two remain framed.
        assert_eq!(sections(&m[..m.len() - 1]).len(), 2);
        // A size running past the end.
        let mut bad = m.clone();
        bad[9] = 0x7f;
        assert!(sections(&bad).is_empty());
        assert!(sections(&[]).is_empty());
    }

    #[test]
    fn extreme_lebs_include_the_limits() {
        let all = extreme_lebs();
        assert!(all.contains(&uleb(1_000_001)));
        assert!(all.contains(&vec![0xfc, 0xff, 0xff, 0xff, 0x0f]));
        assert!(all.contains(&uleb_padded(0, 6)));
    }
}
