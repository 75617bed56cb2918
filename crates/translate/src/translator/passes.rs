//! The passes over a function's finished code: the entry epoch check dropped where not
//! needed, jumps threaded, pairs fused, wide instructions given their `Ext` slot, the
//! accumulator put to use and indexed loads fused.

use super::*;

impl Translator<'_> {
    /// Removes the function-entry `Epoch` of a function that calls nothing. The entry check
    /// exists to stop unbounded chains of calls (recursion has no loop header to check
    /// at); every function in such a chain calls, so keeps its check, and a function that
    /// calls nothing runs for a bounded time except around its loops, whose headers check.
    /// (The check is the first instruction, or the second after a fuel charge: no branch
    /// crosses it, so removing it shifts every later position by one and leaves every
    /// relative branch as it is.)
    pub(super) fn drop_needless_entry_epoch(&mut self) {
        let at = usize::from(self.fuel);
        if !self.epoch
            || !matches!(self.code.get(at), Some(Instr::Epoch {}))
            || self.code.iter().any(Instr::is_call)
        {
            return;
        }
        self.code.remove(at);
        self.offsets.remove(at);
        let at = at as u32;
        self.gc_maps.retain(|m| m.at != at);
        let shift = |i: &mut u32| {
            if *i > at {
                *i -= 1;
            }
        };
        for map in &mut self.gc_maps {
            shift(&mut map.at);
        }
        for region in &mut self.handlers {
            shift(&mut region.start);
            shift(&mut region.end);
            for catch in region.catches.iter_mut() {
                shift(&mut catch.pad);
            }
        }
    }

    /// Branches that land on a `Br` go straight to its target, and a `Copy` followed by a
    /// `Br` becomes one `CopyBr` (the `Br` stays in place for branches that land on it).
    pub(super) fn thread_jumps(&mut self) {
        let n = self.code.len();
        for i in 0..n {
            let Some(first) = self.code[i].branch_offset() else {
                continue;
            };
            let mut to = first;
            // A few hops at most: chains are short, and a loop of `Br`s must not hang us.
            for _ in 0..4 {
                let Some(t) = i.checked_add_signed(to as isize).filter(|t| *t < n) else {
                    break;
                };
                match self.code[t] {
                    Instr::Br { to: next } if t != i => to += next,
                    _ => break,
                }
            }
            // (Most branches land on no `Br`: no second lookup of the field for them.)
            if to != first {
                if let Some(slot) = self.code[i].branch_offset_mut() {
                    *slot = to;
                }
            }
        }
        // A jump to a `Return` returns in place (a `Return` means the same anywhere), but a
        // `br_table` entry stays a `Br` to it: the interpreter follows every entry without
        // asking what it is (`follow_table_entry`), its head carrying the target's handler.
        let mut table_entries = 0..0;
        for i in 0..n {
            if let Some(len) = self.code[i].table_len() {
                table_entries = i + 1..i + 2 + len as usize;
                continue;
            }
            if table_entries.contains(&i) {
                continue;
            }
            if let Instr::Br { to } = self.code[i] {
                let t = i.checked_add_signed(to as isize).filter(|t| *t < n);
                if let Some(ret @ (Instr::Return { .. } | Instr::Return1 { .. })) =
                    t.map(|t| self.code[t])
                {
                    self.code[i] = ret;
                }
            }
        }
        for i in 0..n.saturating_sub(1) {
            // A copy whose only use is returning it returns its source: nothing after a
            // return reads the copy. (What jumps to the `Return` is unchanged.)
            if let (Instr::Copy { dst, src }, Instr::Return1 { src: r }) =
                (self.code[i], self.code[i + 1])
            {
                if r.0 == dst.0 {
                    self.code[i] = Instr::Return1 { src };
                }
                continue;
            }
            if let (true, Instr::Copy { dst, src }, Instr::Br { to }) = (
                spindle_ir::SUPERINSTRUCTIONS,
                self.code[i],
                self.code[i + 1],
            ) {
                self.code[i] = Instr::CopyBr {
                    dst,
                    src,
                    to: to + 1,
                };
            }
        }
    }

    /// Tail duplication: an unconditional `Br` to a short straight run of code that ends
    /// in a jump becomes a copy of that run, one dispatch less each time it runs. This is
    /// the shape of a bytecode interpreter's loop (every case jumps back to the shared
    /// fetch and table jump) and of a loop whose cases jump to its latch.
    ///
    /// The run ends in a table jump (its entries copied with it), a `Br` back, or a
    /// conditional branch back (the copy then gets a `Br` to where that fell through). It
    /// has at most `MAX_RUN` instructions and a table of at most `MAX_TABLE` entries, and neither
    /// calls, throws nor collects: no instruction of it has a GC map, and a `try_table`
    /// region, which the copy may lie outside, matters only to what can throw. Nor does it
    /// check the epoch: those checks stay one per loop header (`tests/epoch.rs`). A `Br`
    /// inside its own run (a loop's back edge) is left alone: copying would only unroll the
    /// loop once. The copies add at most the code's length and 64 slots.
    ///
    /// Before `use_accumulator`, which then pairs and fuses in the copies as anywhere
    /// (nothing branches into a copy), and after `thread_jumps` (a `Br` to a `Br` was
    /// threaded, a `Copy` and a `Br` made one `CopyBr`, left as it is: copying its run
    /// would save no dispatch).
    pub(super) fn duplicate_short_tails(&mut self) {
        // An optimisation of the same kind as the superinstructions, and off with them:
        // the small builds leave its code out.
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        const MAX_RUN: usize = 8;
        const MAX_TABLE: usize = 64;
        // `short_run` finds a run's maps by a binary search: the maps are recorded in code
        // order as the code is emitted, and this makes sure of it.
        if !self.gc_maps.is_sorted_by_key(|m| m.at) {
            return;
        }
        let n = self.code.len();
        let mut budget = n + 64;
        // (the `Br`, its run's start and end, whether a `Br` to the end follows the copy)
        let mut plan: Vec<(usize, usize, usize, bool)> = Vec::new();
        let mut entries = 0..0;
        for i in 0..n {
            if let Some(len) = self.code[i].table_len() {
                entries = i + 1..i + 2 + len as usize;
                continue;
            }
            let Instr::Br { to } = self.code[i] else {
                continue;
            };
            if entries.contains(&i) {
                continue;
            }
            let Some(start) = i.checked_add_signed(to as isize).filter(|t| *t < n) else {
                continue;
            };
            let Some((end, fall)) = self.short_run(start, MAX_RUN, MAX_TABLE) else {
                continue;
            };
            let len = end - start + usize::from(fall);
            if (start..end).contains(&i) || len - 1 > budget {
                continue;
            }
            budget -= len - 1;
            plan.push((i, start, end, fall));
        }
        if plan.is_empty() {
            return;
        }
        // Each old position's new place (one past the end included): a planned `Br`'s
        // slot becomes its copy.
        let new = &mut self.new_positions;
        new.clear();
        new.resize(n + 1, 0);
        let mut next = 0u32;
        let mut planned = plan.iter().peekable();
        for (i, place) in new.iter_mut().enumerate().take(n) {
            *place = next;
            next += match planned.next_if(|p| p.0 == i) {
                Some(&(_, start, end, fall)) => (end - start + usize::from(fall)) as u32,
                None => 1,
            };
        }
        new[n] = next;
        self.move_positions();
        let old_code = core::mem::take(&mut self.code);
        let old_offsets = core::mem::take(&mut self.offsets);
        let new = &self.new_positions;
        // `move_positions` made each branch offset count from its instruction's new place,
        // `new[j]`; a copy at `at` counts from there.
        let retarget = |j: usize, to: i32, at: usize| new[j] as i32 + to - at as i32;
        self.code.reserve(next as usize);
        self.offsets.reserve(next as usize);
        let mut planned = plan.iter().peekable();
        for (i, instr) in old_code.iter().enumerate() {
            let Some(&(_, start, end, fall)) = planned.next_if(|p| p.0 == i) else {
                self.code.push(*instr);
                self.offsets.push(old_offsets[i]);
                continue;
            };
            for j in start..end {
                let mut copy = old_code[j];
                let at = self.code.len();
                if let Some(to) = copy.branch_offset_mut() {
                    *to = retarget(j, *to, at);
                }
                self.code.push(copy);
                self.offsets.push(old_offsets[j]);
            }
            if fall {
                let at = self.code.len();
                self.code.push(Instr::Br {
                    to: new[end] as i32 - at as i32,
                });
                self.offsets.push(old_offsets[end - 1]);
            }
        }
        debug_assert_eq!(self.code.len(), next as usize);
    }

    /// Where the run of code from `start` ends (one past its last instruction, with a
    /// table jump's entries) and whether it falls through there, if it is a run that
    /// `duplicate_short_tails` copies.
    fn short_run(&self, start: usize, max_run: usize, max_table: usize) -> Option<(usize, bool)> {
        let n = self.code.len();
        for j in start..n.min(start + max_run) {
            let instr = &self.code[j];
            if instr.is_call()
                || matches!(
                    instr,
                    Instr::Throw { .. } | Instr::ThrowRef { .. } | Instr::Epoch {}
                )
            {
                return None;
            }
            let end = if let Some(len) = instr.table_len() {
                if len as usize > max_table {
                    return None;
                }
                Some((j + 2 + len as usize, false))
            } else if let Instr::Br { to } = instr {
                // Only back to a loop's head (a forward jump ends if-else joins, which
                // copying would grow the code by several percent for little).
                if *to >= 0 {
                    return None;
                }
                Some((j + 1, false))
            } else if instr.branch_offset().is_some_and(|to| to < 0) {
                // A backward branch, a loop's latch, taken but on the loop's last round:
                // the copy's `Br` to where it falls through then runs once. (Copying a
                // forward branch, which mostly falls through, would run that `Br` instead
                // of the one it replaces.)
                Some((j + 1, true))
            } else if instr.is_branch() {
                return None;
            } else {
                None
            };
            if let Some((end, fall)) = end {
                // The maps are in code order (checked by the caller): the first at or
                // after `start` decides.
                let first = self.gc_maps.partition_point(|m| (m.at as usize) < start);
                let collects = self
                    .gc_maps
                    .get(first)
                    .is_some_and(|m| (m.at as usize) < end);
                return (end <= n && !collects).then_some((end, fall));
            }
        }
        None
    }

    /// The last pass, one walk over the code doing two things.
    ///
    /// Pairing: two adjacent instructions become one (`Instr::fused_pair`) where no branch
    /// lands on the second: moves (`Copy`, `Const32`) into `Copy2`, `Const32x2`,
    /// `CopyConst32`, `Const32Copy` (a quarter of compiled C's instructions are such moves,
    /// mostly placing call arguments: SQLite's shell, 12,500 fewer of 177,000), and a
    /// counted loop's increment and the branch on it into one latch instruction (one
    /// dispatch less per iteration). Last, because a pair has two results, which the passes
    /// before would have to know about. The pair keeps the first instruction's Wasm offset
    /// (neither kind of pair can trap, so no backtrace needs the second's).
    ///
    /// Widening: every wide instruction (fields of more than 8 bytes, `slot::WIDE`) gets
    /// the [`Instr::Ext`] slot after it that holds the rest of its fields in the
    /// interpreter's code. (A fused indexed load already has one: `fuse_indexed_loads` puts
    /// it in the first slot it skips.)
    ///
    /// Positions move (down after a pair, up after an `Ext`), so every branch offset,
    /// `try_table` region, catch pad and GC map follows, through one `move_positions`. The
    /// branch targets are `use_accumulator`'s: nothing since has moved an instruction or a
    /// branch.
    pub(super) fn fuse_pairs_and_widen(&mut self) {
        let n = self.code.len();
        let wide = |instr: &Instr| spindle_ir::slot::WIDE[instr.opcode() as usize];
        let targets = &self.branch_targets;
        debug_assert_eq!(targets.len(), n + 1);
        // Each position's place afterwards (one past the end included). The second of a
        // pair gets its successor's place, so that "kept" is `new[i + 1] != new[i]` and
        // "an `Ext` follows" is `new[i + 1] == new[i] + 2`.
        let new = &mut self.new_positions;
        new.clear();
        new.resize(n + 1, 0);
        let mut next = 0u32;
        let mut changed = false;
        let mut i = 0;
        while i < n {
            new[i] = next;
            let pair = if spindle_ir::SUPERINSTRUCTIONS && i + 1 < n && !targets[i + 1] {
                Instr::fused_pair(self.code[i], self.code[i + 1])
            } else {
                None
            };
            if let Some(p) = pair {
                self.code[i] = p;
                next += 1 + u32::from(wide(&p));
                new[i + 1] = next;
                changed = true;
                i += 2;
            } else {
                let instr = &self.code[i];
                let ext = wide(instr) && !matches!(self.code.get(i + 1), Some(Instr::Ext {}));
                next += 1 + u32::from(ext);
                changed |= ext;
                i += 1;
            }
        }
        new[n] = next;
        if !changed {
            return;
        }
        self.move_positions();
        // The code moves in place, in two walks (no second buffer: for SQLite's largest
        // function that would be another 0.4 MB): the pairs' second halves dropped from the
        // front (instructions only move down), then the `Ext` slots opened from the back
        // (they only move up).
        let new = &self.new_positions;
        let mut kept = 0;
        for r in 0..n {
            if new[r + 1] != new[r] {
                self.code[kept] = self.code[r];
                self.offsets[kept] = self.offsets[r];
                kept += 1;
            }
        }
        self.code.resize(next as usize, Instr::Ext {});
        self.offsets.resize(next as usize, 0);
        for r in (0..n).rev() {
            let step = new[r + 1] - new[r];
            if step == 0 {
                continue;
            }
            // Instruction `r` is the `kept`-th kept one, and goes to `new[r] >= kept`: every
            // one not moved yet lies below.
            kept -= 1;
            let (instr, offset) = (self.code[kept], self.offsets[kept]);
            let at = new[r] as usize;
            self.code[at] = instr;
            self.offsets[at] = offset;
            if step == 2 {
                self.code[at + 1] = Instr::Ext {};
                self.offsets[at + 1] = offset;
            }
        }
        debug_assert_eq!(kept, 0);
    }

    /// Points every branch, handler region, catch pad and collector map at the positions
    /// `new_positions` gives the instructions (one entry each, and one past the end), before
    /// the code itself is moved.
    pub(super) fn move_positions(&mut self) {
        let new = &self.new_positions;
        let n = self.code.len();
        for (i, instr) in self.code.iter_mut().enumerate() {
            let Some(slot) = instr.branch_offset_mut() else {
                continue;
            };
            if let Some(t) = i.checked_add_signed(*slot as isize).filter(|t| *t <= n) {
                *slot = new[t] as i32 - new[i] as i32;
            }
        }
        let moved = |p: &mut u32| *p = new[(*p as usize).min(n)];
        for region in &mut self.handlers {
            moved(&mut region.start);
            moved(&mut region.end);
            for catch in region.catches.iter_mut() {
                moved(&mut catch.pad);
            }
        }
        for map in &mut self.gc_maps {
            moved(&mut map.at);
        }
    }

    /// Marks in `branch_targets` (an entry per instruction, and one past the end) where
    /// control can arrive other than from the instruction before: branch targets and catch
    /// pads.
    pub(super) fn mark_entries(&mut self) {
        let targets = &mut self.branch_targets;
        targets.clear();
        targets.resize(self.code.len() + 1, false);
        for (i, instr) in self.code.iter().enumerate() {
            let to = instr.branch_offset();
            if let Some(t) = to.and_then(|to| i.checked_add_signed(to as isize)) {
                if let Some(slot) = targets.get_mut(t) {
                    *slot = true;
                }
            }
        }
        for catch in self.handlers.iter().flat_map(|r| r.catches.iter()) {
            if let Some(slot) = targets.get_mut(catch.pad as usize) {
                *slot = true;
            }
        }
    }

    /// Rewrites each instruction that reads the result of the instruction just before it
    /// to take that operand from the interpreter's accumulator, which holds the last result
    /// in a machine register (no store-to-load round trip through the frame on chains of
    /// operations). Only where control cannot arrive from elsewhere: not at branch targets.
    pub(super) fn use_accumulator(&mut self) {
        self.mark_entries();
        if !spindle_ir::SUPERINSTRUCTIONS {
            return;
        }
        self.acc_readers.clear();
        for i in 1..self.code.len() {
            let prev = self.code[i - 1];
            // (The cheap questions first: a table lookup each, where the result register
            // is a match over every kind.)
            if self.branch_targets[i] || !self.code[i].has_acc_form() || !prev.sets_acc() {
                continue;
            }
            let Some(dst) = { prev }.dst_mut().map(|d| d.0) else {
                continue;
            };
            if let Some(with_acc) = self.code[i].to_acc(Reg(dst)) {
                self.code[i] = with_acc;
                self.acc_readers.push(i as u32);
            }
        }
        self.fuse_indexed_loads();
        self.results_in_acc();
    }

    /// A numeric result that the next instruction takes from the accumulator and that
    /// nothing reads from its register afterwards goes to the accumulator only
    /// ([`Dst::ACC`]): no store to the frame.
    ///
    /// "Nothing reads it": for a temporary (a register above the locals, holding one slot
    /// of the Wasm operand stack) the consumer popped that slot, and a slot is read only
    /// while it holds a value, so nothing does until it is written again. (A value left in
    /// its slot for a label is consumed after the label: when a branch targets the label,
    /// `use_accumulator` does not fuse across it; when nothing does, falling through is the
    /// only way there, so the fused consumer is the value's only reader.) For a local it is
    /// proved on the straight line after the consumer: the register is overwritten before
    /// any instruction that may read it, branch, call or return, within a few instructions;
    /// otherwise the store stays.
    pub(super) fn results_in_acc(&mut self) {
        const SCAN: usize = 16;
        let locals = self.locals;
        // Only an instruction that `use_accumulator` gave its `…Acc` form reads the
        // accumulator (or the indexed load that took the place of one).
        for r in 0..self.acc_readers.len() {
            let i = self.acc_readers[r] as usize - 1;
            let producer = self.code[i];
            if !producer.can_result_in_acc() || !self.code[i + 1].reads_acc() {
                continue;
            }
            let Some(dst) = { producer }.dst_mut().map(|d| *d) else {
                continue;
            };
            let reg = Reg(dst.0);
            let dead = u32::from(dst.0) >= locals
                || self.code[i + 1..]
                    .iter()
                    .take(SCAN)
                    .map(|instr| {
                        if instr.is_branch() || ends_block(instr) || instr.may_read(reg) {
                            Some(false)
                        } else if { *instr }.dst_mut().is_some_and(|d| *d == dst) {
                            Some(true)
                        } else {
                            None
                        }
                    })
                    .find_map(|verdict| verdict)
                    .unwrap_or(false);
            if dead {
                if let Some(d) = self.code[i].dst_mut() {
                    *d = Dst::ACC;
                }
            }
        }
    }

    /// `tmp = index << k; sum = base + tmp; dst = i32.load (sum)` (after the accumulator
    /// pass: the add and the load take their operand from the accumulator, so neither is a
    /// branch target) becomes one `I32LoadIndexed` in the first slot, which skips the other
    /// two; `I32LoadIndexedAcc` when the index came from the accumulator too.
    pub(super) fn fuse_indexed_loads(&mut self) {
        let n = self.code.len();
        // The add is one that `use_accumulator` gave its `…Acc` form.
        for r in 0..self.acc_readers.len() {
            let i = self.acc_readers[r] as usize - 1;
            if i + 2 >= n {
                break;
            }
            let (tmp, index, imm) = match self.code[i] {
                Instr::I32ShlImm { dst, a, imm } => (dst, Some(a), imm),
                Instr::I32ShlImmAcc { dst, imm } => (dst, None, imm),
                _ => continue,
            };
            let (sum, base) = match self.code[i + 1] {
                Instr::I32AddAcc { dst, b } => (dst, b),
                Instr::I32AddAccB { dst, a } => (dst, a),
                _ => continue,
            };
            let Instr::I32LoadAcc { dst, offset } = self.code[i + 2] else {
                continue;
            };
            // The fused instruction writes neither `tmp` nor `sum`: each must be a
            // temporary, which its consumer (the add, the load) popped, or be overwritten
            // by the load (see `results_in_acc`).
            // `base` is read after `tmp` is written, so it must not be `tmp`.
            let dead = |d: Dst| d == dst || u32::from(d.0) >= self.locals;
            if !dead(tmp) || !dead(sum) || base.0 == tmp.0 || !(0..32).contains(&imm) {
                continue;
            }
            let shift = imm as u8;
            // The fused instruction traps where the load did: it takes the load's offset.
            self.offsets[i] = self.offsets[i + 2];
            // It is wide: the first slot it skips holds the rest of its fields.
            self.code[i + 1] = Instr::Ext {};
            self.code[i] = match index {
                Some(index) => Instr::I32LoadIndexed {
                    dst,
                    index,
                    base,
                    shift,
                    offset,
                },
                None => Instr::I32LoadIndexedAcc {
                    dst,
                    base,
                    shift,
                    offset,
                },
            };
        }
    }
}
