//! Which declared locals a function may read before it writes them. Wasm starts every
//! declared local at zero, and a call zeroes the callee's locals' registers; a local that
//! every path writes before reading needs no zeroing, and code compiled from C writes
//! nearly all of its locals first. So the translator finds, in its one pass, the locals that
//! a `local.get` may read unwritten, and the call zeroes registers only up to the last of
//! them (`CompiledFunc::zeroed`).
//!
//! The analysis is definite assignment over Wasm's structured control flow: the set of
//! locals written on every path to the current instruction; at a block's (or `if`'s, or
//! `try_table`'s) end, the intersection of the fall-through set and the sets of the
//! branches to the end; after an `if` without `else`, also the set at the `if` (its other
//! path). A loop's back edges need nothing: every path round the loop starts from the set
//! at its entry and only adds to it. A `try_table`'s catch branches out with the set at its
//! entry, which every throw inside it has at least. Locals of traced (reference) types
//! are always zeroed: the collector reads them.
//!
//! The sets are bit vectors, copied at each control instruction, so a function with more
//! than [`MAX_TRACKED`] locals is not analysed (all its locals are zeroed), which keeps the
//! cost linear for hostile ones.

use super::Kind;
use alloc::vec::Vec;

/// The most locals (parameters included) a function may have for the analysis to run.
pub(super) const MAX_TRACKED: usize = 1024;

#[derive(Default)]
pub(super) struct Assigned {
    /// Words in each set; 0 when the function is not analysed.
    words: usize,
    /// Locals written on every path to here.
    cur: Vec<u64>,
    /// For each open control frame, its set at entry then its end's set (all ones until a
    /// branch to the end comes: the intersection over no paths).
    frames: Vec<u64>,
    /// One past the last register (counted from the frame's start) that must start zeroed.
    zero_end: u32,
}

impl Assigned {
    /// Starts a function with `locals` locals, of which the first `params` are parameters;
    /// `regs` gives each local's first register and width, `traced` whether the collector
    /// reads it. `frame_locals` is the registers the locals take.
    pub(super) fn begin(
        &mut self,
        params: usize,
        locals: impl ExactSizeIterator<Item = ((u16, u32), bool)>,
        frame_locals: u32,
    ) {
        let n = locals.len();
        self.frames.clear();
        self.cur.clear();
        self.zero_end = 0;
        if n > MAX_TRACKED || n == params {
            // Not analysed: every declared local is zeroed (none, without any).
            self.words = 0;
            self.zero_end = frame_locals;
            return;
        }
        self.words = n.div_ceil(64);
        self.cur.resize(self.words, 0);
        for i in 0..params {
            self.cur[i / 64] |= 1 << (i % 64);
        }
        for ((reg, width), traced) in locals {
            if traced {
                self.zero_end = self.zero_end.max(reg as u32 + width);
            }
        }
    }

    /// The registers after the parameters' that a call must zero: those up to the last
    /// local that may be read before it is written.
    pub(super) fn zeroed(&self, params: u32) -> u32 {
        self.zero_end.saturating_sub(params)
    }

    /// `local.get` of local `i` (first register `reg`, `width` registers).
    #[inline]
    pub(super) fn read(&mut self, i: u32, reg: u16, width: u32) {
        let i = i as usize;
        // (`cur` is empty when the function is not analysed.)
        if self
            .cur
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) == 0)
        {
            self.zero_end = self.zero_end.max(reg as u32 + width);
        }
    }

    /// `local.set` or `local.tee` of local `i`.
    #[inline]
    pub(super) fn write(&mut self, i: u32) {
        let i = i as usize;
        if let Some(w) = self.cur.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    // The control-instruction steps below are kept out of line: inlined into the fused
    // visitor's arms they cost 2.6 KB of code for 0.2% of SQLite's load (callgrind).

    /// A control frame opens (every kind, in unreachable code too, to stay in step with
    /// the translator's frames).
    #[inline(never)]
    pub(super) fn push(&mut self) {
        match self.words {
            0 => {}
            // (Most functions have at most 64 locals: no copying loop for them.)
            1 => self.frames.extend([self.cur[0], u64::MAX]),
            w => {
                self.frames.extend_from_slice(&self.cur);
                self.frames.extend(core::iter::repeat_n(u64::MAX, w));
            }
        }
    }

    /// A branch to the end of frame `frame` (its index from the outermost), or to its start
    /// for a loop, from the current path.
    #[inline(never)]
    pub(super) fn branch(&mut self, frame: usize, kind: Kind) {
        if self.words == 0 || kind == Kind::Loop {
            return;
        }
        let end = (2 * frame + 1) * self.words;
        for (e, c) in self.frames[end..end + self.words].iter_mut().zip(&self.cur) {
            *e &= c;
        }
    }

    /// `else`: the `then` path (if `reachable`) goes to the end; the `else` path starts from
    /// the set at the `if`.
    #[inline(never)]
    pub(super) fn else_(&mut self, reachable: bool) {
        if self.words == 0 {
            return;
        }
        let frame = self.frames.len() / (2 * self.words) - 1;
        if reachable {
            self.branch(frame, Kind::Block);
        }
        let entry = 2 * frame * self.words;
        self.cur
            .copy_from_slice(&self.frames[entry..entry + self.words]);
    }

    /// The innermost frame, of kind `kind`, ends; `reachable` says whether its last
    /// instruction falls through, `dead` whether it was opened in unreachable code.
    #[inline(never)]
    pub(super) fn end(&mut self, kind: Kind, reachable: bool, dead: bool) {
        let w = self.words;
        if w == 0 {
            return;
        }
        let entry = self.frames.len() - 2 * w;
        // (A loop's end is reached by falling through only; a dead frame's end is still
        // unreachable: the set stays as it is.)
        if !dead && kind != Kind::Loop {
            for i in 0..w {
                // The fall-through path, if any, and the branches to the end; an `if`
                // without `else` also ends by skipping its `then`.
                let end_set = self.frames[entry + w + i];
                let mut v = if reachable {
                    self.cur[i] & end_set
                } else {
                    end_set
                };
                if kind == Kind::If {
                    v &= self.frames[entry + i];
                }
                self.cur[i] = v;
            }
        }
        self.frames.truncate(entry);
    }
}
