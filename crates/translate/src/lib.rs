//! Translation of Wasm function bodies into Spindle's register bytecode, in one pass fused
//! with validation.
//!
//! The Wasm operand stack maps onto registers: slot `h` of the stack is register
//! `locals + h`. The translator keeps a compile-time stack of [`Operand`]s so that
//! `local.get` and constants cost no instruction: they are used in place (as the register of
//! the local, or as an immediate) until something forces them into their slot
//! ("materialising"): a block boundary, a call's arguments, or a write to that local.
//! Results are written straight to their slot, and `local.set`/`local.tee` of a fresh result
//! retargets the instruction that produced it instead of copying.
//!
//! Every operator is first checked by the validator (`spindle_validate::Visitor`), then
//! translated; the visitor that does both is generated from the decoder's operator table.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod translator;

use alloc::boxed::Box;

pub use translator::{translate_function, Translator};

use spindle_ir::Instr;

/// A translated function. Its instructions are the translator's, borrowed until the next
/// body (the interpreter encodes them into its own form at once: no copy in between).
#[derive(Clone, Debug)]
pub struct CompiledFunc<'t> {
    /// The instructions; branch targets index into it.
    pub code: &'t [Instr],
    /// Registers the frame needs: parameters, locals and the deepest operand stack.
    pub frame_size: u32,
    /// Parameters (the first registers of the frame, filled by the caller).
    pub params: u32,
    /// Parameters plus declared locals, in registers.
    pub locals: u32,
    /// The registers after the parameters that must start zeroed (`params..params +
    /// zeroed`): the declared locals up to the last one the code may read before writing
    /// it (the others are written first on every path).
    pub zeroed: u32,
    /// Results (returned in the frame's first registers).
    pub results: u32,
    /// The `try_table` regions, in the order their blocks start (so an inner region comes
    /// after the regions that contain it).
    pub handlers: Box<[TryRegion]>,
    /// The collector's maps, by instruction (ascending).
    pub gc_maps: Box<[GcMap]>,
    /// The module offset of the Wasm operator each instruction came from (for backtraces).
    pub offsets: OffsetTable,
    /// Module offset of the function's body (its locals declarations, after the size):
    /// backtraces give offsets within the function from it.
    pub body_offset: u32,
}

/// For each instruction of a function, the byte offset in the module binary of the Wasm
/// operator it was translated from (an instruction that fuses several operators takes the
/// offset of the one that may trap: a fused indexed load, the load's).
///
/// Only a trap reads it, so it is stored for size: each entry is the difference from the
/// previous one (the first from 0), zigzag-encoded in LEB128. Instructions come in operator
/// order, so nearly every difference is a small positive number (0 for the second and
/// later instructions of one operator), one byte. Every [`OffsetTable::STRIDE`] entries a
/// checkpoint (where the entry's bytes start, and the offset before it) bounds a lookup to
/// decoding at most that many entries: a backtrace through thousands of frames of a long
/// function stays cheap.
///
/// One heap block per table, since every translated function has one (a big module has
/// thousands): the number of checkpoints `k` (4 bytes), the checkpoints (8 bytes each: the
/// entry's first byte, counted from the end of the checkpoints, and the offset before it),
/// then the entries' bytes; all little-endian. (`OffsetTable::default()` has no block, and
/// no entries.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetTable {
    block: Box<[u8]>,
}

impl OffsetTable {
    /// Entries between checkpoints.
    pub const STRIDE: usize = 64;

    /// The table of `offsets`, one per instruction.
    pub fn new(offsets: &[u32]) -> OffsetTable {
        // The header (the checkpoint count, then the checkpoints) and the entries' bytes
        // are put together apart, then the entries appended to the header.
        let checkpoints = offsets.len().div_ceil(Self::STRIDE) as u32;
        let mut block = alloc::vec::Vec::with_capacity(4 + 8 * checkpoints as usize);
        block.extend_from_slice(&checkpoints.to_le_bytes());
        let mut bytes = alloc::vec::Vec::with_capacity(offsets.len() + 4);
        let mut prev = 0u32;
        // Each stride's bytes are put together in a local buffer (room for the longest,
        // five bytes an entry), then appended: no capacity check per byte.
        let mut buf = [0u8; Self::STRIDE * 5];
        for stride in offsets.chunks(Self::STRIDE) {
            block.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            block.extend_from_slice(&prev.to_le_bytes());
            let mut len = 0;
            for &o in stride {
                let delta = o.wrapping_sub(prev) as i32;
                prev = o;
                // Zigzag: small differences of either sign take few bits.
                let mut z = ((delta << 1) ^ (delta >> 31)) as u32;
                while z >= 0x80 {
                    buf[len] = (z & 0x7f) as u8 | 0x80;
                    len += 1;
                    z >>= 7;
                }
                buf[len] = z as u8;
                len += 1;
            }
            bytes.extend_from_slice(&buf[..len]);
        }
        block.extend_from_slice(&bytes);
        OffsetTable {
            block: block.into_boxed_slice(),
        }
    }

    /// The little-endian `u32` at `at` in the block, if the block has one there.
    fn word(&self, at: usize) -> Option<u32> {
        let bytes = self.block.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// The entries' bytes (after the checkpoints).
    fn entries(&self) -> &[u8] {
        let checkpoints = self.word(0).unwrap_or(0) as usize;
        self.block.get(4 + 8 * checkpoints..).unwrap_or(&[])
    }

    /// The offsets from the entry whose bytes start at `at`, the offset before it `prev`.
    fn decode_from(&self, at: usize, mut prev: u32) -> impl Iterator<Item = u32> + '_ {
        let mut rest = self.entries().get(at..).unwrap_or(&[]);
        core::iter::from_fn(move || {
            let mut z = 0u32;
            let mut shift = 0;
            loop {
                let (&byte, tail) = rest.split_first()?;
                rest = tail;
                // A `u32` takes at most five groups; `checked_shl` keeps a sixth harmless.
                z |= u32::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
                shift += 7;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            let delta = ((z >> 1) as i32) ^ -((z & 1) as i32);
            prev = prev.wrapping_add(delta as u32);
            Some(prev)
        })
    }

    /// Every instruction's offset, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.decode_from(0, 0)
    }

    /// The offset of instruction `index`, if the table has one.
    pub fn get(&self, index: usize) -> Option<u32> {
        let k = index / Self::STRIDE;
        if k >= self.word(0)? as usize {
            return None;
        }
        let at = self.word(4 + 8 * k)?;
        let prev = self.word(8 + 8 * k)?;
        self.decode_from(at as usize, prev)
            .nth(index % Self::STRIDE)
    }

    /// Bytes the table takes (its heap part).
    pub fn size_in_bytes(&self) -> usize {
        self.block.len()
    }
}

/// The registers of a frame that hold references the garbage collector traces (of the
/// `any` and `extern` hierarchies), at one instruction that may collect: an allocation or
/// a call. The frame's other registers hold no such reference there (precise roots).
#[derive(Clone, Debug)]
pub struct GcMap {
    /// The instruction.
    pub at: u32,
    pub regs: Box<[u16]>,
}

/// The instructions of a `try_table` body and its catch clauses, tried in order.
#[derive(Clone, Debug)]
pub struct TryRegion {
    /// First instruction of the body.
    pub start: u32,
    /// One past the body's last instruction.
    pub end: u32,
    pub catches: Box<[CatchClause]>,
}

/// One catch clause of a `try_table`.
#[derive(Clone, Copy, Debug)]
pub struct CatchClause {
    /// The module's tag index; `None` catches everything.
    pub tag: Option<u32>,
    /// Whether the exception reference goes to the label too (after the payload).
    pub with_ref: bool,
    /// The `Br` to the clause's label: where execution goes once the values are placed.
    pub pad: u32,
    /// The register of the label's first value.
    pub slot: u16,
}

#[cfg(test)]
mod tests {
    use super::OffsetTable;
    use alloc::vec::Vec;

    #[test]
    fn offset_table_round_trips() {
        let offsets = [
            0,
            9,
            9,
            9,
            12,
            7,
            200,
            100_000,
            3,
            u32::MAX,
            0,
            1 << 30,
            (1 << 30) - 1,
        ];
        let table = OffsetTable::new(&offsets);
        assert_eq!(table.iter().collect::<Vec<_>>(), offsets);
        for (i, o) in offsets.iter().enumerate() {
            assert_eq!(table.get(i), Some(*o));
        }
        assert_eq!(table.get(offsets.len()), None);
        assert_eq!(OffsetTable::new(&[]).get(0), None);
        // Small steps forward take one byte each.
        let steps: Vec<u32> = (0..1000).map(|i| 5000 + i * 3).collect();
        let table = OffsetTable::new(&steps);
        // (Plus a checkpoint of 8 bytes for every 64 entries, and their number.)
        assert_eq!(table.size_in_bytes(), 2 + 999 + 16 * 8 + 4);
        assert_eq!(table.iter().collect::<Vec<_>>(), steps);
        // Lookups across checkpoints, and past the end at and off a checkpoint.
        for (i, o) in steps.iter().enumerate() {
            assert_eq!(table.get(i), Some(*o), "entry {i}");
        }
        assert_eq!(table.get(1000), None);
        let exact: Vec<u32> = (0..128).collect();
        assert_eq!(OffsetTable::new(&exact).get(128), None);
        assert_eq!(OffsetTable::new(&exact).get(127), Some(127));
        // Every entry five bytes (steps of 2^30 either way), strides full.
        let far: Vec<u32> = (0..300).map(|i| (i % 2) << 30).collect();
        let table = OffsetTable::new(&far);
        assert_eq!(table.iter().collect::<Vec<_>>(), far);
        assert_eq!(table.get(299), Some(1 << 30));
        assert_eq!(table.get(128), Some(0));
    }
}
