//! Control flow, calls, returns, exceptions and wide arithmetic.

use super::*;

impl<'m> Translator<'m> {
    pub(super) fn visit_unreachable(&mut self) -> Result<()> {
        self.emit(Instr::Trap {
            code: TrapCode::Unreachable,
        });
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_block(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        self.materialize_all()?;
        self.push_ctrl(Kind::Block, sig, false);
        Ok(())
    }

    pub(super) fn visit_loop(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        self.materialize_all()?;
        self.last_result = None;
        self.push_ctrl(Kind::Loop, sig, false);
        // Branches back to the loop land on these checks.
        self.entry_checks();
        Ok(())
    }

    pub(super) fn visit_if(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        let cond = self.top_reg()?;
        self.pop_n(1);
        // `if (i32.eqz x)` skips its `then` when `x` is not zero, `if (a < b)` when `a >= b`.
        let negated = self.fusable_eqz(cond);
        let compare = match negated {
            Some(_) => None,
            None => self.fusable_compare(cond),
        };
        if negated.is_some() || compare.is_some() {
            self.unemit();
            self.last_result = None;
        }
        self.materialize_all()?;
        let at = match (negated, compare) {
            (Some(src), _) => self.emit(Instr::BrIfNez { cond: src, to: 0 }),
            (None, Some(cmp)) => self.emit(cmp.negated().branch(0)),
            (None, None) => self.emit(Instr::BrIfEqz { cond, to: 0 }),
        };
        self.push_ctrl(Kind::If, sig, false);
        self.ctrls.last_mut().expect("just pushed").else_patch = Some(at);
        Ok(())
    }

    pub(super) fn visit_else(&mut self) -> Result<()> {
        let i = self.ctrls.len() - 1;
        if self.ctrls[i].dead {
            return Ok(());
        }
        self.assigned.else_(self.reachable);
        self.equal.else_(self.reachable);
        if self.reachable {
            let (n, to) = (
                self.ctrls[i].results as usize,
                self.ctrls[i].height as usize,
            );
            self.copy_top_to(n, to)?;
            let at = self.emit(Instr::Br { to: 0 });
            self.ctrls[i].patches.push(at);
        }
        if let Some(at) = self.ctrls[i].else_patch.take() {
            let here = self.code.len() as u32;
            self.patch(at, here);
        }
        let ctrl = &mut self.ctrls[i];
        ctrl.kind = Kind::Else;
        let (height, params) = (ctrl.height as usize, ctrl.params_ty);
        self.truncate(height);
        self.push_temps(params)?;
        self.reachable = true;
        self.last_result = None;
        Ok(())
    }

    pub(super) fn visit_end(&mut self) -> Result<()> {
        let ctrl = self.ctrls.pop().expect("validated end");
        self.assigned.end(ctrl.kind, self.reachable, ctrl.dead);
        self.equal.end(ctrl.kind, self.reachable, ctrl.dead);
        if ctrl.dead {
            self.spare_patches.push(ctrl.patches);
            return Ok(());
        }
        let (n, height) = (ctrl.results as usize, ctrl.height as usize);
        if ctrl.kind == Kind::Func && ctrl.patches.is_empty() {
            // Nothing branches to the function's end: return the values where they are.
            if self.reachable {
                self.emit_return(n)?;
            }
            self.spare_patches.push(ctrl.patches);
            self.truncate(height);
            self.reachable = false;
            return Ok(());
        }
        if self.reachable {
            self.copy_top_to(n, height)?;
        }
        let here = self.code.len() as u32;
        if let Some(k) = ctrl.try_region {
            self.handlers[k as usize].end = here;
        }
        if ctrl.kind != Kind::Loop {
            for &at in &ctrl.patches {
                self.patch(at, here);
            }
        }
        if let Some(at) = ctrl.else_patch {
            self.patch(at, here);
        }
        self.spare_patches.push(ctrl.patches);
        self.truncate(height);
        self.push_temps(ctrl.results_ty)?;
        self.last_result = None;
        self.reachable = true;
        if ctrl.kind == Kind::Func {
            let src = Reg(self.slot(0)?);
            let len = self.top_width(n) as u16;
            self.emit(Instr::ret(src, len));
        }
        Ok(())
    }

    pub(super) fn visit_br(&mut self, depth: u32) -> Result<()> {
        self.place_branch_values(depth)?;
        self.branch_to(depth, |to| Instr::Br { to });
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_br_if(&mut self, depth: u32) -> Result<()> {
        let cond = self.top_reg()?;
        self.pop_n(1);
        if self.values_in_place(depth) {
            // Fuse with the comparison that produced the condition, if it came just before.
            if let Some(src) = self.fusable_eqz(cond) {
                self.unemit();
                self.branch_to(depth, |to| Instr::BrIfEqz { cond: src, to });
                self.last_result = None;
                return Ok(());
            }
            if let Some(cmp) = self.fusable_compare(cond) {
                self.unemit();
                self.branch_to(depth, |to| cmp.branch(to));
                self.last_result = None;
                return Ok(());
            }
        }
        self.conditional_branch(depth, |to, negated| match negated {
            false => Instr::BrIfNez { cond, to },
            true => Instr::BrIfEqz { cond, to },
        })
    }

    /// The operand of an `i32.eqz` that wrote `cond` as the last instruction, if the branch
    /// that consumes it can test the operand directly.
    pub(super) fn fusable_eqz(&self, cond: Reg) -> Option<Reg> {
        let i = self.last_result?;
        if i + 1 != self.code.len() || cond.0 < self.locals as u16 {
            return None;
        }
        match self.code[i] {
            Instr::I32Eqz { dst, src } if dst.0 == cond.0 => Some(src),
            _ => None,
        }
    }

    /// The comparison that wrote `cond` as the last instruction, if it can be fused with the
    /// branch that consumes it (the Temp was just popped, so nothing else reads it).
    pub(super) fn fusable_compare(&self, cond: Reg) -> Option<Compare> {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return None;
        }
        let i = self.last_result?;
        if i + 1 != self.code.len() || cond.0 < self.locals as u16 {
            return None;
        }
        let instr = &self.code[i];
        let (op, dst, cmp) = match (instr.as_binary(), instr.as_binary_imm()) {
            (Some((op, dst, a, b)), _) => (op, dst, Compare::Regs(op, a, b)),
            (_, Some((op, dst, a, imm))) => (op, dst, Compare::Imm(op, a, imm)),
            _ => return None,
        };
        (op.is_int_compare() && dst.0 == cond.0).then_some(cmp)
    }

    pub(super) fn visit_br_table(&mut self, targets: BrTable<'_>) -> Result<()> {
        let index = self.top_reg()?;
        self.pop_n(1);
        let len = targets.len();
        self.emit(Instr::BrTable { index, len });
        let mut trampolines: Vec<(u32, u32)> = Vec::new();
        for depth in targets.targets().chain(core::iter::once(targets.default())) {
            if self.values_in_place(depth) {
                self.branch_to(depth, |to| Instr::Br { to });
            } else {
                let at = self.emit(Instr::Br { to: 0 });
                trampolines.push((at, depth));
            }
        }
        for (at, depth) in trampolines {
            let here = self.code.len() as u32;
            self.patch(at, here);
            self.place_branch_values(depth)?;
            self.branch_to(depth, |to| Instr::Br { to });
        }
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_return(&mut self) -> Result<()> {
        let n = self.ctrls[0].results as usize;
        self.emit_return(n)?;
        self.reachable = false;
        Ok(())
    }

    pub(super) fn emit_return(&mut self, n: usize) -> Result<()> {
        let len = self.top_width(n) as u16;
        let src = if n == 1 {
            self.top_reg()?
        } else {
            let first = self.stack.len() - n;
            for h in first..self.stack.len() {
                self.materialize(h)?;
            }
            Reg(self.slot(first)?)
        };
        self.emit(Instr::ret(src, len));
        Ok(())
    }

    /// Puts the top `n` operands in their slots and returns the first slot.
    pub(super) fn call_args(&mut self, n: usize) -> Result<Reg> {
        let first = self.stack.len() - n;
        for h in first..self.stack.len() {
            self.materialize(h)?;
        }
        Ok(Reg(self.slot(first)?))
    }

    pub(super) fn after_call(&mut self, params: usize, results: &[ValType]) -> Result<()> {
        self.pop_n(params);
        self.push_temps(results)?;
        self.last_result = None;
        Ok(())
    }

    pub(super) fn visit_call(&mut self, func: u32) -> Result<()> {
        let (p, r) = self.func_sig(self.ctx.funcs[func as usize]);
        let base = self.call_args(p.len())?;
        self.gc_point();
        self.emit(Instr::Call { func, base });
        self.after_call(p.len(), r)
    }

    pub(super) fn visit_return_call(&mut self, func: u32) -> Result<()> {
        let (p, r) = self.func_sig(self.ctx.funcs[func as usize]);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        self.gc_point();
        self.emit(Instr::ReturnCall { func, base });
        self.emit(Instr::ret(base, len));
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_return_call_indirect(&mut self, type_index: u32, table: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let index = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.emit(Instr::ReturnCallIndirect {
            ty,
            table,
            index,
            base,
        });
        self.emit(Instr::ret(base, len));
        self.reachable = false;
        Ok(())
    }

    /// A wide-arithmetic operator: `n` operands in, two results (low, high) out, in the two
    /// slots from the first operand's.
    pub(super) fn wide(&mut self, n: usize, make: impl FnOnce(Dst, &[Reg]) -> Instr) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        let dst = self.push_temp()?;
        self.push_temp()?;
        // The handler reads every operand before writing, and writes the low half last, so
        // the accumulator holds `dst` as for any instruction with a result.
        self.emit(make(dst, &regs[..n]));
        Ok(())
    }

    pub(super) fn visit_i64_add128(&mut self) -> Result<()> {
        self.wide(4, |dst, r| Instr::I64Add128 {
            dst,
            a: r[0],
            b: r[1],
            c: r[2],
            d: r[3],
        })
    }

    pub(super) fn visit_i64_sub128(&mut self) -> Result<()> {
        self.wide(4, |dst, r| Instr::I64Sub128 {
            dst,
            a: r[0],
            b: r[1],
            c: r[2],
            d: r[3],
        })
    }

    pub(super) fn visit_i64_mul_wide_s(&mut self) -> Result<()> {
        self.wide(2, |dst, r| Instr::I64MulWideS {
            dst,
            a: r[0],
            b: r[1],
        })
    }

    pub(super) fn visit_i64_mul_wide_u(&mut self) -> Result<()> {
        self.wide(2, |dst, r| Instr::I64MulWideU {
            dst,
            a: r[0],
            b: r[1],
        })
    }

    /// `try_table`: a block whose body's instructions form a region of the function's
    /// handler table. Each catch clause gets a landing pad before the body, a `Br` to its
    /// label that the interpreter jumps to once it has put the payload (and the exception
    /// reference) in the label's slots.
    pub(super) fn visit_try_table(&mut self, table: spindle_decode::TryTable) -> Result<()> {
        let sig = self.block_sig(table.ty);
        self.materialize_all()?;
        // A catch leaves from wherever a throw happens inside, with whatever pairs hold
        // there: its branch out (below) and the body start with none.
        self.equal.forget();
        let skip = self.emit(Instr::Br { to: 0 });
        let mut catches = Vec::with_capacity(table.catches.len());
        for catch in &table.catches {
            use spindle_decode::Catch;
            let (tag, with_ref, label) = match *catch {
                Catch::One { tag, label } => (Some(tag), false, label),
                Catch::OneRef { tag, label } => (Some(tag), true, label),
                Catch::All { label } => (None, false, label),
                Catch::AllRef { label } => (None, true, label),
            };
            let target = &self.ctrls[self.ctrls.len() - 1 - label as usize];
            let slot = self.slot(target.height as usize)?;
            let pad = self.code.len() as u32;
            self.branch_to(label, |to| Instr::Br { to });
            catches.push(CatchClause {
                tag,
                with_ref,
                pad,
                slot,
            });
        }
        let here = self.code.len() as u32;
        self.patch(skip, here);
        self.push_ctrl(Kind::Block, sig, false);
        let k = self.handlers.len() as u32;
        self.handlers.push(TryRegion {
            start: here,
            end: here,
            catches: catches.into_boxed_slice(),
        });
        if let Some(ctrl) = self.ctrls.last_mut() {
            ctrl.try_region = Some(k);
        }
        self.last_result = None;
        Ok(())
    }

    pub(super) fn visit_throw(&mut self, tag: u32) -> Result<()> {
        let ty = self.ctx.tags[tag as usize];
        let (p, _) = self.func_sig(ty);
        let base = self.call_args(p.len())?;
        // A throw may collect garbage (it holds a new exception), as an allocation does.
        self.gc_point();
        self.emit(Instr::Throw { tag, base });
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_throw_ref(&mut self) -> Result<()> {
        let exn = self.top_reg()?;
        self.pop_n(1);
        self.emit(Instr::ThrowRef { exn });
        self.reachable = false;
        Ok(())
    }

    pub(super) fn visit_call_ref(&mut self, type_index: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let func = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        self.gc_point();
        self.emit(Instr::CallRef { func, base });
        self.after_call(p.len(), r)
    }

    pub(super) fn visit_return_call_ref(&mut self, type_index: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let func = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        self.gc_point();
        self.emit(Instr::ReturnCallRef { func, base });
        self.emit(Instr::ret(base, len));
        self.reachable = false;
        Ok(())
    }

    /// A tail call to a host function leaves its `results` in the registers from `base`
    /// (for the `Return` after it), which the frame must hold even when there are more
    /// results than arguments; nothing is pushed for them, so count them here. Returns
    /// the registers the results take.
    pub(super) fn reserve_results(&mut self, base: Reg, results: &[ValType]) -> u16 {
        let len = cells_of(results);
        let top = (base.0 as u32 - self.locals) + len;
        self.max_height = self.max_height.max(top);
        len as u16
    }

    /// Parameter and result types of function type `type_index`.
    pub(super) fn func_sig(&self, type_index: u32) -> (&'m [ValType], &'m [ValType]) {
        let ctx: &'m ModuleCtx = self.ctx;
        let ty = ctx
            .types
            .func_type(type_index)
            .expect("validated function type");
        (ty.params(), ty.results())
    }

    /// `ref.as_non_null`: the reference stays where it is; a null one traps.
    pub(super) fn visit_ref_as_non_null(&mut self) -> Result<()> {
        let r = self.top_reg()?;
        self.emit(Instr::BrIfNonNull { r, to: 2 });
        self.emit(Instr::Trap {
            code: TrapCode::NullReference,
        });
        Ok(())
    }

    /// `br_on_null`: branches without the reference when it is null, else keeps it.
    pub(super) fn visit_br_on_null(&mut self, depth: u32) -> Result<()> {
        let r = self.top_reg()?;
        let h = self.stack.len() - 1;
        let (operand, gc) = (self.stack[h].op, self.stack[h].gc);
        self.pop_n(1);
        // The label's values lie below the reference, in slots below its own, so placing
        // them leaves the reference intact for the fall-through path.
        self.conditional_branch(depth, |to, negated| match negated {
            false => Instr::BrIfNull { r, to },
            true => Instr::BrIfNonNull { r, to },
        })?;
        self.push_entry(operand, 1, gc)
    }

    /// `br_on_non_null`: branches with the reference (the label's last value) when it is not
    /// null, else drops it.
    pub(super) fn visit_br_on_non_null(&mut self, depth: u32) -> Result<()> {
        let r = self.top_reg()?;
        self.conditional_branch(depth, |to, negated| match negated {
            false => Instr::BrIfNonNull { r, to },
            true => Instr::BrIfNull { r, to },
        })?;
        self.pop_n(1);
        Ok(())
    }

    /// A branch out `depth` frames taken when a condition holds: `make(to, false)` is the
    /// instruction that branches when it holds, `make(to, true)` when it does not. When the
    /// label's values are in place that is one instruction; otherwise the negated one skips
    /// the copies that place them and the `Br` after them.
    pub(super) fn conditional_branch(
        &mut self,
        depth: u32,
        make: impl Fn(i32, bool) -> Instr,
    ) -> Result<()> {
        if self.values_in_place(depth) {
            self.branch_to(depth, |to| make(to, false));
        } else {
            let skip = self.emit(make(0, true));
            self.place_branch_values(depth)?;
            self.branch_to(depth, |to| Instr::Br { to });
            let here = self.code.len() as u32;
            self.patch(skip, here);
        }
        self.last_result = None;
        Ok(())
    }

    pub(super) fn visit_call_indirect(
        &mut self,
        type_index: u32,
        table: CompactIndex,
    ) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let index = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.emit(if table.index == 0 && spindle_ir::SUPERINSTRUCTIONS {
            Instr::CallIndirect0 { ty, index, base }
        } else {
            Instr::CallIndirect {
                ty,
                table: table.index,
                index,
                base,
            }
        });
        self.after_call(p.len(), r)
    }
}
