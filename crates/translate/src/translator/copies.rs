//! Copy folding: register copies between Wasm locals that a look at the control flow
//! around them shows to be unneeded.
//!
//! The translator gives each local its own register and turns `local.set a` of another
//! local's value into a `Copy`. Compiled C is full of them (`local.tee b; local.set a`,
//! `local.get b; local.set a`: a value given to two variables, a loop variable and its
//! next value), and a copy costs a dispatch like any instruction. Two kinds go:
//!
//! - a copy whose two registers already hold the same value on every path to it (a loop
//!   head copies `a <- b`, and a case that touches neither copies `a <- b` again);
//! - a copy `a <- b` right after the instruction that computed `b`, when every read of that
//!   `b` can read `a` instead (`b = x - 4; a = b` in a loop, `b` read after the loop):
//!   the instruction then writes `a`, and the reads read `a`.
//!
//! Only between locals: the later passes take a temporary's value to be read once, by the
//! instruction that pops it (`results_in_acc`, `fuse_indexed_loads`), which a read renamed
//! to a temporary would break. Not in functions with `try_table` handlers (a catch writes
//! its payload registers, and can come from any call) or collector maps (which name the
//! registers holding references). Each look is bounded, and so is a function's total.

use super::*;

/// How many instructions one look at a copy visits at most.
const LOOK: u32 = 256;

/// The control flow of a function's code, and the scratch of the looks at its copies.
/// Reused from one function to the next.
#[derive(Default)]
pub(super) struct Flow {
    /// `preds[pred_start[p]..pred_start[p + 1]]`: the instructions control goes to `p` from.
    pred_start: Vec<u32>,
    preds: Vec<u32>,
    /// Copies found unneeded: no-ops until the code is compacted.
    deleted: Vec<bool>,
    /// A look's marks per instruction (`0` none), and the instructions it marked.
    mark: Vec<u8>,
    marked: Vec<u32>,
    work: Vec<(u32, bool)>,
    /// The reads a coalescing renames, and the copies `y <- x` it finds (which then have
    /// no reader left).
    uses: Vec<u32>,
    resets: Vec<u32>,
    /// Instructions the looks may still visit in this function.
    budget: u32,
}

// A coalescing look's marks.
const CLEAN: u8 = 1;
const DIRTY: u8 = 2;
const STOP: u8 = 4;
const LIVE: u8 = 8;
const RESET: u8 = 16;

/// How an instruction writes a register.
#[derive(PartialEq)]
enum Write {
    No,
    /// Always, and nothing else of it (a scalar result).
    Must,
    /// Perhaps (a range of registers, a `v128`'s two).
    May,
}

/// Calls `f` with each instruction control can go to from `p`.
fn successors(code: &[Instr], p: usize, mut f: impl FnMut(usize)) {
    let n = code.len();
    let instr = &code[p];
    if let Some(len) = instr.table_len() {
        // The table jumps to one of the `Br`s that follow it.
        (p + 1..(p + 2 + len as usize).min(n)).for_each(f);
        return;
    }
    if let Some(t) = instr
        .branch_offset()
        .and_then(|to| p.checked_add_signed(to as isize))
    {
        if t < n {
            f(t);
        }
    }
    let falls_through = !matches!(
        instr,
        Instr::Br { .. }
            | Instr::Return { .. }
            | Instr::Return1 { .. }
            | Instr::Trap { .. }
            | Instr::Throw { .. }
            | Instr::ThrowRef { .. }
            | Instr::ReturnCall { .. }
            | Instr::ReturnCallIndirect { .. }
            | Instr::ReturnCallRef { .. }
    );
    if falls_through && p + 1 < n {
        f(p + 1);
    }
}

/// The first register of a call's frame: the callee's frame lies from there, over every
/// register the caller has from there.
fn call_base(instr: &Instr) -> Option<Reg> {
    match *instr {
        Instr::Call { base, .. }
        | Instr::CallModule { base, .. }
        | Instr::CallIndirect { base, .. }
        | Instr::CallRef { base, .. }
        | Instr::ReturnCall { base, .. }
        | Instr::ReturnCallIndirect { base, .. }
        | Instr::ReturnCallRef { base, .. }
        | Instr::Throw { base, .. } => Some(base),
        _ => None,
    }
}

/// Whether `instr` may read `reg`, knowing that a call reads its frame's registers and
/// its callee register only, and a return the registers it returns.
fn reads(instr: &Instr, reg: Reg) -> bool {
    match *instr {
        Instr::CallIndirect { index: r, base, .. }
        | Instr::ReturnCallIndirect { index: r, base, .. }
        | Instr::CallRef { func: r, base }
        | Instr::ReturnCallRef { func: r, base } => r == reg || reg.0 >= base.0,
        Instr::Return { src, len } | Instr::CopyMany { src, len, .. } => {
            (src.0..src.0.saturating_add(len)).contains(&reg.0)
        }
        _ => match call_base(instr) {
            Some(base) => reg.0 >= base.0,
            None => instr.may_read(reg),
        },
    }
}

/// How `instr` writes `reg`.
fn writes(instr: &Instr, reg: Reg) -> Write {
    if let Some(base) = call_base(instr) {
        return if reg.0 >= base.0 {
            Write::May
        } else {
            Write::No
        };
    }
    match { *instr }.dst_mut() {
        // A result that is not one scalar (a `v128`, `CopyMany`'s range) covers the
        // registers from its first.
        Some(d) if !instr.sets_acc() => {
            if reg.0 >= d.0 {
                Write::May
            } else {
                Write::No
            }
        }
        Some(d) if d.0 == reg.0 => Write::Must,
        _ => Write::No,
    }
}

impl Flow {
    /// Records the predecessors of every instruction of `code`, and clears the marks.
    fn build(&mut self, code: &[Instr]) {
        let n = code.len();
        self.pred_start.clear();
        self.pred_start.resize(n + 1, 0);
        for p in 0..n {
            successors(code, p, |s| self.pred_start[s + 1] += 1);
        }
        for p in 0..n {
            self.pred_start[p + 1] += self.pred_start[p];
        }
        self.preds.clear();
        self.preds.resize(self.pred_start[n] as usize, 0);
        // Filled from each instruction's end down (`pred_start[s + 1]` counts down to
        // `pred_start[s]`'s final value).
        for p in 0..n {
            successors(code, p, |s| {
                self.pred_start[s + 1] -= 1;
                self.preds[self.pred_start[s + 1] as usize] = p as u32;
            });
        }
        // Each `pred_start[s + 1]` now holds `s`'s first: shift down by one.
        self.pred_start.rotate_left(1);
        self.pred_start[n] = self.preds.len() as u32;
        self.deleted.clear();
        self.deleted.resize(n, false);
        self.mark.clear();
        self.mark.resize(n, 0);
        self.budget = 16 * n as u32 + 4096;
    }

    fn preds(&self, p: usize) -> &[u32] {
        &self.preds[self.pred_start[p] as usize..self.pred_start[p + 1] as usize]
    }

    fn clear_marks(&mut self) {
        for &p in &self.marked {
            self.mark[p as usize] = 0;
        }
        self.marked.clear();
    }

    /// Whether registers `x` and `y` hold the same value on every path to instruction `at`:
    /// walking back from it, every path meets a copy between the two before a write to
    /// either or the function's entry.
    fn equal_before(&mut self, code: &[Instr], at: usize, x: Reg, y: Reg) -> bool {
        let found = self.look_back(code, at, x, y);
        self.clear_marks();
        found
    }

    fn look_back(&mut self, code: &[Instr], at: usize, x: Reg, y: Reg) -> bool {
        if at == 0 {
            return false;
        }
        self.work.clear();
        let first = &self.preds[self.pred_start[at] as usize..self.pred_start[at + 1] as usize];
        self.work.extend(first.iter().map(|&q| (q, false)));
        let mut visits = 0;
        while let Some((q, _)) = self.work.pop() {
            let q = q as usize;
            if self.mark[q] != 0 {
                continue;
            }
            self.mark[q] = CLEAN;
            self.marked.push(q as u32);
            visits += 1;
            if visits > LOOK || self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            if !self.deleted[q] {
                let instr = &code[q];
                if let Instr::Copy { dst, src } = *instr {
                    let (d, s) = (Reg(dst.0), src);
                    if (d, s) == (x, y) || (d, s) == (y, x) {
                        continue;
                    }
                }
                if writes(instr, x) != Write::No || writes(instr, y) != Write::No {
                    return false;
                }
            }
            if q == 0 {
                // Back to the entry with neither written: parameters and locals as they
                // came, not known equal.
                return false;
            }
            for i in self.pred_start[q]..self.pred_start[q + 1] {
                self.work.push((self.preds[i as usize], false));
            }
        }
        true
    }

    /// Whether every read of the value register `from` has after instruction `at` (which
    /// falls through to the next) can read register `to` instead: on each path from `at`
    /// to the read, `to` holds the same value and `from` has no other (a coalescing's
    /// look, `from` the copy's source and `to` its destination, the copy then gone and
    /// the source's instruction writing the destination; or a propagation's, the other
    /// way round, the copy then gone). The reads are left in `uses`, and copies `from <-
    /// to` after which the reads see the same (then with no reader) in `resets`.
    fn renamable(&mut self, code: &[Instr], at: usize, from: Reg, to: Reg) -> bool {
        let found = self.look_forward(code, at, from, to) && self.reads_see_only_the_copy(at);
        self.clear_marks();
        found
    }

    /// Walks forward from `at` until `from` is written again, marking each instruction
    /// `CLEAN`, or `DIRTY` where `to` may have been written on some path since `at`, and
    /// `STOP` where `from` is written. Fails on a read of `from` that is dirty or cannot be
    /// renamed, or on a write of `from` that is not sure.
    fn look_forward(&mut self, code: &[Instr], at: usize, from: Reg, to: Reg) -> bool {
        self.uses.clear();
        self.resets.clear();
        self.work.clear();
        let n = code.len();
        if at + 1 >= n {
            return true;
        }
        self.work.push(((at + 1) as u32, false));
        let mut visits = 0;
        while let Some((p, dirty)) = self.work.pop() {
            let p = p as usize;
            let state = if dirty { DIRTY } else { CLEAN };
            let seen = self.mark[p];
            if seen & (CLEAN | DIRTY) >= state {
                continue;
            }
            if seen == 0 {
                self.marked.push(p as u32);
            }
            self.mark[p] = state;
            visits += 1;
            if visits > LOOK || self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            let mut dirty = dirty;
            if !self.deleted[p] {
                let instr = &code[p];
                if *instr
                    == (Instr::Copy {
                        dst: Dst(from.0),
                        src: to,
                    })
                {
                    // `from` written, but equal to `to` again: what follows reads it as `to`.
                    if seen == 0 {
                        self.resets.push(p as u32);
                    }
                    self.mark[p] |= RESET;
                    successors(code, p, |s| self.work.push((s as u32, false)));
                    continue;
                }
                if reads(instr, from) {
                    if dirty || instr.rename_read(from, to).is_none() {
                        return false;
                    }
                    if seen == 0 {
                        self.uses.push(p as u32);
                    }
                }
                match writes(instr, from) {
                    Write::Must => {
                        self.mark[p] |= STOP;
                        continue;
                    }
                    Write::May => return false,
                    Write::No => {}
                }
                dirty |= writes(instr, to) != Write::No;
            }
            successors(code, p, |s| self.work.push((s as u32, dirty)));
        }
        true
    }

    /// Whether `from` comes to each read in `uses` from `at` only: walking back from the
    /// reads through the instructions `look_forward` marked (where `from` is live), every
    /// predecessor is a marked instruction that does not write `from`, or `at`, and none
    /// is the first instruction (which the entry comes to as well).
    fn reads_see_only_the_copy(&mut self, at: usize) -> bool {
        self.work.clear();
        for &u in &self.uses {
            self.mark[u as usize] |= LIVE;
            self.work.push((u, false));
        }
        while let Some((p, _)) = self.work.pop() {
            if p == 0 {
                // The function's entry comes here too, with the parameters and locals as
                // they are at entry.
                return false;
            }
            for i in self.pred_start[p as usize]..self.pred_start[p as usize + 1] {
                let q = self.preds[i as usize] as usize;
                if q == at {
                    continue;
                }
                let m = self.mark[q];
                if m & (CLEAN | DIRTY) == 0 || m & STOP != 0 {
                    return false;
                }
                // Before a copy `from <- to`, that `from` is not read.
                if m & (LIVE | RESET) == 0 {
                    self.mark[q] |= LIVE;
                    self.work.push((q as u32, false));
                }
            }
        }
        true
    }
}

impl Flow {
    /// Renames the reads `renamable` found, and drops the copy at `at` and the copies it
    /// found that have no reader left.
    fn rename(&mut self, code: &mut [Instr], at: usize, from: Reg, to: Reg) {
        for &u in &self.uses {
            let u = u as usize;
            if let Some(renamed) = code[u].rename_read(from, to) {
                code[u] = renamed;
            }
        }
        self.deleted[at] = true;
        for &r in &self.resets {
            self.deleted[r as usize] = true;
        }
    }
}

impl Translator<'_> {
    /// Removes the copies between locals that are not needed (see the module's comment).
    /// First, before `thread_jumps`: a copy it would fuse with a `Br` into a `CopyBr` may
    /// go, and the `Br` then be threaded or its target copied.
    pub(super) fn fold_copies(&mut self) {
        // An optimisation of the same kind as the superinstructions, and off with them.
        if !spindle_ir::SUPERINSTRUCTIONS || !self.handlers.is_empty() || !self.gc_maps.is_empty() {
            return;
        }
        let locals = self.locals;
        let local_copy = |instr: &Instr| match *instr {
            Instr::Copy { dst, src } if u32::from(dst.0) < locals && u32::from(src.0) < locals => {
                Some((Reg(dst.0), src))
            }
            _ => None,
        };
        if !self.code.iter().any(|i| local_copy(i).is_some()) {
            return;
        }
        let flow = &mut self.flow;
        flow.build(&self.code);
        let n = self.code.len();
        let mut removed = false;
        // Copies of a value the two registers hold already. (Removing one changes no
        // register at any point, so the next look sees the same values.)
        for at in 0..n {
            let Some((x, y)) = local_copy(&self.code[at]) else {
                continue;
            };
            if x == y || flow.equal_before(&self.code, at, x, y) {
                flow.deleted[at] = true;
                removed = true;
            }
        }
        // Copies of the result just computed: the instruction computes it into the copy's
        // destination, and the source's reads read that. Each look sees the code as the
        // ones before left it.
        for at in 1..n {
            let Some((x, y)) = local_copy(&self.code[at]) else {
                continue;
            };
            let def = self.code[at - 1];
            let computes_y = (def.can_result_in_acc()
                || matches!(def, Instr::Const32 { .. } | Instr::Const64 { .. }))
                && { def }.dst_mut().is_some_and(|d| d.0 == y.0);
            if flow.deleted[at]
                || flow.deleted[at - 1]
                || !computes_y
                || flow.preds(at) != [at as u32 - 1]
                || !flow.renamable(&self.code, at, y, x)
            {
                continue;
            }
            if let Some(d) = self.code[at - 1].dst_mut() {
                *d = Dst(x.0);
            }
            flow.rename(&mut self.code, at, y, x);
            removed = true;
        }
        // Other copies: the destination's reads read the source.
        for at in 0..n {
            let Some((x, y)) = local_copy(&self.code[at]) else {
                continue;
            };
            if flow.deleted[at] || !flow.renamable(&self.code, at, x, y) {
                continue;
            }
            flow.rename(&mut self.code, at, x, y);
            removed = true;
        }
        if removed {
            self.remove_deleted();
        }
    }

    /// Drops the instructions `flow.deleted` marks, every branch, region and map
    /// following.
    fn remove_deleted(&mut self) {
        let n = self.code.len();
        let deleted = &self.flow.deleted;
        let new = &mut self.new_positions;
        new.clear();
        let mut next = 0u32;
        for &gone in deleted.iter() {
            new.push(next);
            next += u32::from(!gone);
        }
        new.push(next);
        self.move_positions();
        let mut kept = 0;
        for i in 0..n {
            if !self.flow.deleted[i] {
                self.code[kept] = self.code[i];
                self.offsets[kept] = self.offsets[i];
                kept += 1;
            }
        }
        self.code.truncate(kept);
        self.offsets.truncate(kept);
    }
}
