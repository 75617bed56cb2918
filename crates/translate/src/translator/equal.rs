//! Which locals hold the same value because one was copied to the other, so that a copy
//! between two locals that are equal already is not emitted: a bytecode interpreter's loop
//! sets `cur = pc` at its head, and the cases that touch neither set it again before
//! jumping to the latch.
//!
//! A forward analysis in the translator's one pass over Wasm's structured control flow,
//! with the same steps as `assigned.rs`: the pairs equal on every path to the current
//! instruction; at a block's (or `if`'s, or `try_table`'s) end, the pairs equal on the
//! fall-through path and on every branch to the end; after an `if` without `else`, also on
//! its other path. Unlike assigned locals, equal pairs can be lost anywhere, so a loop's
//! head (which its back edges reach, not seen yet) starts with none, and so does a
//! `try_table` (its catches branch out from wherever a throw happens inside). Only a few
//! pairs are kept (the most recent), so each step costs a few comparisons.

use super::Kind;
use alloc::vec::Vec;

/// How many pairs are kept.
const PAIRS: usize = 4;

/// A set of pairs of local registers (scalar ones) holding the same value, each pair as
/// (lower, higher).
#[derive(Clone, Copy, Default)]
struct Pairs {
    pairs: [(u16, u16); PAIRS],
    len: u8,
}

impl Pairs {
    fn as_slice(&self) -> &[(u16, u16)] {
        &self.pairs[..self.len as usize]
    }

    fn holds(&self, a: u16, b: u16) -> bool {
        self.as_slice().contains(&(a.min(b), a.max(b)))
    }

    /// Keeps the pairs for which `keep` holds, in order.
    fn retain(&mut self, keep: impl Fn((u16, u16)) -> bool) {
        let mut kept = 0;
        for i in 0..self.len as usize {
            let p = self.pairs[i];
            if keep(p) {
                self.pairs[kept] = p;
                kept += 1;
            }
        }
        self.len = kept as u8;
    }

    /// The pairs in both.
    fn meet(mut self, other: &Pairs) -> Pairs {
        self.retain(|p| other.as_slice().contains(&p));
        self
    }
}

/// A control frame's pairs: at its entry (an `if`'s other path starts there), and at its
/// end over the branches to it so far (`None` before the first).
#[derive(Clone, Copy)]
struct Frame {
    entry: Pairs,
    end: Option<Pairs>,
}

#[derive(Default)]
pub(super) struct EqualLocals {
    /// The pairs equal on every path to here.
    cur: Pairs,
    frames: Vec<Frame>,
}

impl EqualLocals {
    /// Starts a function: no pairs.
    pub(super) fn begin(&mut self) {
        self.cur = Pairs::default();
        self.frames.clear();
    }

    /// Whether local registers `a` and `b` hold the same value here.
    #[inline]
    pub(super) fn holds(&self, a: u16, b: u16) -> bool {
        spindle_ir::SUPERINSTRUCTIONS && self.cur.holds(a, b)
    }

    /// Local register `x` is written (with anything but a copy of another local).
    #[inline]
    pub(super) fn write(&mut self, x: u16) {
        if spindle_ir::SUPERINSTRUCTIONS {
            self.cur.retain(|(a, b)| a != x && b != x);
        }
    }

    /// Local register `x` now holds local register `y`'s value.
    pub(super) fn copied(&mut self, x: u16, y: u16) {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        self.write(x);
        let cur = &mut self.cur;
        if cur.len as usize == PAIRS {
            // The oldest pair makes room.
            cur.pairs.copy_within(1.., 0);
            cur.len -= 1;
        }
        cur.pairs[cur.len as usize] = (x.min(y), x.max(y));
        cur.len += 1;
    }

    /// Forgets every pair (a `try_table`: its catches leave from any point inside it).
    pub(super) fn forget(&mut self) {
        self.cur = Pairs::default();
    }

    // The steps of the control instructions, as `Assigned`'s (called beside them).

    /// A control frame of kind `kind` opens (in unreachable code too).
    pub(super) fn push(&mut self, kind: Kind) {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        if kind == Kind::Loop {
            // Its head is also reached by its back edges, which come later.
            self.cur = Pairs::default();
        }
        self.frames.push(Frame {
            entry: self.cur,
            end: None,
        });
    }

    /// A branch from here to the end of frame `frame` (its index from the outermost), or to
    /// its head for a loop (whose head starts with no pairs anyway).
    pub(super) fn branch(&mut self, frame: usize, kind: Kind) {
        if !spindle_ir::SUPERINSTRUCTIONS || kind == Kind::Loop {
            return;
        }
        if let Some(f) = self.frames.get_mut(frame) {
            f.end = Some(match f.end {
                None => self.cur,
                Some(end) => end.meet(&self.cur),
            });
        }
    }

    /// `else`: the `then` path (if `reachable`) goes to the end; the `else` path starts
    /// from the pairs at the `if`.
    pub(super) fn else_(&mut self, reachable: bool) {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        let Some(frame) = self.frames.len().checked_sub(1) else {
            return;
        };
        if reachable {
            self.branch(frame, Kind::Block);
        }
        self.cur = self.frames[frame].entry;
    }

    /// The innermost frame, of kind `kind`, ends; `reachable` says whether its last
    /// instruction falls through, `dead` whether it was opened in unreachable code.
    pub(super) fn end(&mut self, kind: Kind, reachable: bool, dead: bool) {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        let Some(f) = self.frames.pop() else {
            return;
        };
        // (A loop's end is reached by falling through only.)
        if dead || kind == Kind::Loop {
            return;
        }
        let mut v = match (reachable, f.end) {
            (true, None) => self.cur,
            (true, Some(end)) => self.cur.meet(&end),
            (false, Some(end)) => end,
            // Nothing reaches the end: the code after it is unreachable.
            (false, None) => Pairs::default(),
        };
        if kind == Kind::If {
            // An `if` without `else` also ends by skipping its `then`.
            v = v.meet(&f.entry);
        }
        self.cur = v;
    }
}
