//! Control instructions, calls, exceptions and the parametric `drop`/`select`.

use spindle_decode::{
    AbstractHeapType, BlockType, BrTable, Catch, CompactIndex, FuncType, HeapType, RefType,
    SelectType, TryTable, ValType,
};

use super::{FrameKind, FuncValidator, Ty, TypeList};
use crate::error::{bail, Result};

impl<'m> FuncValidator<'m> {
    pub(super) fn visit_unreachable(&mut self) -> Result<()> {
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn visit_block(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_types(bt)?;
        self.pop_all(params.as_slice())?;
        self.push_frame(FrameKind::Block, params, results)
    }

    pub(super) fn visit_loop(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_types(bt)?;
        self.pop_all(params.as_slice())?;
        self.push_frame(FrameKind::Loop, params, results)
    }

    pub(super) fn visit_if(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_types(bt)?;
        self.pop(ValType::I32)?;
        self.pop_all(params.as_slice())?;
        self.push_frame(FrameKind::If, params, results)
    }

    pub(super) fn visit_else(&mut self) -> Result<()> {
        match self.frames.last() {
            Some(f) if f.kind == FrameKind::If => {}
            _ => bail!(self.offset, "else found outside an if block"),
        }
        let frame = self.pop_frame()?;
        self.push_frame(FrameKind::Else, frame.params, frame.results)
    }

    pub(super) fn visit_end(&mut self) -> Result<()> {
        let frame = self.pop_frame()?;
        if frame.kind == FrameKind::If {
            // An `if` without `else` passes its parameters through the missing branch.
            let (p, r) = (frame.params.as_slice(), frame.results.as_slice());
            if p.len() != r.len() || p.iter().zip(r).any(|(a, b)| !self.ctx.types.is_sub(*a, *b)) {
                bail!(
                    self.offset,
                    "type mismatch: if without else must have matching parameters and results"
                );
            }
        }
        if frame.kind != FrameKind::Func {
            self.push_all(frame.results.as_slice());
        } else if self.const_mode.is_none() && !self.frames.is_empty() {
            bail!(self.offset, "function frame was not the outermost");
        }
        Ok(())
    }

    pub(super) fn visit_br(&mut self, depth: u32) -> Result<()> {
        let types = self.label(depth)?.label_types();
        self.pop_all(types.as_slice())?;
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn visit_br_if(&mut self, depth: u32) -> Result<()> {
        self.pop(ValType::I32)?;
        let types = self.label(depth)?.label_types();
        self.pop_all(types.as_slice())?;
        self.push_all(types.as_slice());
        Ok(())
    }

    pub(super) fn visit_br_table(&mut self, targets: BrTable<'_>) -> Result<()> {
        self.pop(ValType::I32)?;
        let default = self.label(targets.default())?.label_types();
        let arity = default.as_slice().len();
        for depth in targets.targets() {
            let types = self.label(depth)?.label_types();
            if types.as_slice().len() != arity {
                bail!(
                    self.offset,
                    "type mismatch: br_table targets have different arities"
                );
            }
            self.pop_push_label(types.as_slice())?;
        }
        self.pop_all(default.as_slice())?;
        self.set_unreachable();
        Ok(())
    }

    fn function_results(&self) -> Result<TypeList<'m>> {
        if self.const_mode.is_some() {
            bail!(self.offset, "constant expression required");
        }
        Ok(self.frames[0].results)
    }

    pub(super) fn visit_return(&mut self) -> Result<()> {
        let results = self.function_results()?;
        self.pop_all(results.as_slice())?;
        self.set_unreachable();
        Ok(())
    }

    fn func_of(&self, func: u32) -> Result<&'m FuncType> {
        let ctx = self.ctx;
        match ctx.funcs.get(func as usize) {
            Some(&ty) => self.func_type_at(ty),
            None => bail!(self.offset, "unknown function {func}"),
        }
    }

    fn call_type(&mut self, ty: &'m FuncType) -> Result<()> {
        self.pop_all(ty.params())?;
        self.push_all(ty.results());
        Ok(())
    }

    /// A tail call: the callee's results must match the caller's.
    fn return_call_type(&mut self, ty: &'m FuncType) -> Result<()> {
        let results = self.function_results()?;
        let (mine, theirs) = (results.as_slice(), ty.results());
        if mine.len() != theirs.len()
            || theirs
                .iter()
                .zip(mine)
                .any(|(a, b)| !self.ctx.types.is_sub(*a, *b))
        {
            bail!(
                self.offset,
                "type mismatch: tail call's results do not match the function's"
            );
        }
        self.pop_all(ty.params())?;
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn visit_call(&mut self, func: u32) -> Result<()> {
        let ty = self.func_of(func)?;
        self.call_type(ty)
    }

    pub(super) fn visit_return_call(&mut self, func: u32) -> Result<()> {
        let ty = self.func_of(func)?;
        self.return_call_type(ty)
    }

    fn indirect_type(&mut self, type_index: u32, table: u32) -> Result<&'m FuncType> {
        let ctx = self.ctx;
        let t = match ctx.tables.get(table as usize) {
            Some(t) => *t,
            None => bail!(self.offset, "unknown table {table}"),
        };
        let funcref = RefType {
            nullable: true,
            heap: HeapType::Abstract(AbstractHeapType::Func),
        };
        if !ctx.types.is_sub_ref(t.element, funcref) {
            bail!(
                self.offset,
                "type mismatch: indirect calls need a table of function references"
            );
        }
        let ty = self.func_type_at(type_index)?;
        self.pop(if t.table64 {
            ValType::I64
        } else {
            ValType::I32
        })?;
        Ok(ty)
    }

    pub(super) fn visit_call_indirect(
        &mut self,
        type_index: u32,
        table: CompactIndex,
    ) -> Result<()> {
        let table = self.compact_index(table, self.ctx.features.reference_types)?;
        let ty = self.indirect_type(type_index, table)?;
        self.call_type(ty)
    }

    pub(super) fn visit_return_call_indirect(&mut self, type_index: u32, table: u32) -> Result<()> {
        let ty = self.indirect_type(type_index, table)?;
        self.return_call_type(ty)
    }

    fn ref_callee(&mut self, type_index: u32) -> Result<&'m FuncType> {
        let ty = self.func_type_at(type_index)?;
        self.pop(ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::Concrete(type_index),
        }))?;
        Ok(ty)
    }

    pub(super) fn visit_call_ref(&mut self, type_index: u32) -> Result<()> {
        let ty = self.ref_callee(type_index)?;
        self.call_type(ty)
    }

    pub(super) fn visit_return_call_ref(&mut self, type_index: u32) -> Result<()> {
        self.check_proposal(spindle_decode::Proposal::TailCall)?;
        let ty = self.ref_callee(type_index)?;
        self.return_call_type(ty)
    }

    pub(super) fn visit_drop(&mut self) -> Result<()> {
        self.pop_any()?;
        Ok(())
    }

    pub(super) fn visit_select(&mut self) -> Result<()> {
        self.pop(ValType::I32)?;
        let a = self.pop_any()?;
        let b = self.pop_any()?;
        let is_num = |t: Ty| match t {
            Ty::Bot => true,
            Ty::BotRef => false,
            Ty::Val(v) => !matches!(v, ValType::Ref(_)),
        };
        if !is_num(a) || !is_num(b) {
            bail!(
                self.offset,
                "type mismatch: select without a type needs numeric or vector operands"
            );
        }
        match (a, b) {
            (Ty::Bot, t) | (t, Ty::Bot) => self.push_ty(t),
            (Ty::Val(x), Ty::Val(y)) if x == y => self.push(x),
            _ => bail!(self.offset, "type mismatch: select operands differ"),
        }
        Ok(())
    }

    pub(super) fn visit_typed_select(&mut self, ty: SelectType) -> Result<()> {
        let t = ty.0;
        self.check_val_type(t, self.offset)?;
        self.pop(ValType::I32)?;
        self.pop(t)?;
        self.pop(t)?;
        self.push(t);
        Ok(())
    }

    pub(super) fn visit_br_on_null(&mut self, depth: u32) -> Result<()> {
        let r = self.pop_ref()?;
        let types = self.label(depth)?.label_types();
        self.pop_all(types.as_slice())?;
        self.push_all(types.as_slice());
        match r {
            Some(r) => self.push(ValType::Ref(RefType {
                nullable: false,
                heap: r.heap,
            })),
            None => self.push_ty(Ty::BotRef),
        }
        Ok(())
    }

    pub(super) fn visit_br_on_non_null(&mut self, depth: u32) -> Result<()> {
        let r = self.pop_ref()?;
        let types = self.label(depth)?.label_types();
        let (last, rest) = match types.as_slice().split_last() {
            Some((ValType::Ref(last), rest)) => (*last, rest),
            _ => bail!(
                self.offset,
                "type mismatch: br_on_non_null target must take a reference"
            ),
        };
        if let Some(r) = r {
            let nn = RefType {
                nullable: false,
                heap: r.heap,
            };
            if !self.ctx.types.is_sub_ref(nn, last) {
                bail!(
                    self.offset,
                    "type mismatch: br_on_non_null operand does not match the label"
                );
            }
        }
        self.pop_all(rest)?;
        self.push_all(rest);
        Ok(())
    }

    // ----- exceptions -----

    fn tag_type(&self, tag: u32) -> Result<&'m FuncType> {
        match self.ctx.tags.get(tag as usize) {
            Some(&ty) => self.func_type_at(ty),
            None => bail!(self.offset, "unknown tag {tag}"),
        }
    }

    pub(super) fn visit_throw(&mut self, tag: u32) -> Result<()> {
        let ty = self.tag_type(tag)?;
        self.pop_all(ty.params())?;
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn visit_throw_ref(&mut self) -> Result<()> {
        self.pop(ValType::Ref(RefType::EXNREF))?;
        self.set_unreachable();
        Ok(())
    }

    pub(super) fn visit_try_table(&mut self, table: TryTable) -> Result<()> {
        let (params, results) = self.block_types(table.ty)?;
        let exnref = ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Abstract(AbstractHeapType::Exn),
        });
        for catch in &table.catches {
            let (label, tag, with_ref) = match *catch {
                Catch::One { tag, label } => (label, Some(tag), false),
                Catch::OneRef { tag, label } => (label, Some(tag), true),
                Catch::All { label } => (label, None, false),
                Catch::AllRef { label } => (label, None, true),
            };
            let target = self.label(label)?.label_types();
            let target = target.as_slice();
            let carried: &[ValType] = match tag {
                Some(t) => {
                    let ty = self.tag_type(t)?;
                    if !ty.results().is_empty() {
                        bail!(
                            self.offset,
                            "invalid exception tag type: results must be empty"
                        );
                    }
                    ty.params()
                }
                None => &[],
            };
            let n = carried.len() + with_ref as usize;
            if target.len() != n {
                bail!(
                    self.offset,
                    "type mismatch: catch handler's values do not match label {label}"
                );
            }
            for (a, b) in carried.iter().zip(target) {
                if !self.ctx.types.is_sub(*a, *b) {
                    bail!(
                        self.offset,
                        "type mismatch: catch handler's values do not match label {label}"
                    );
                }
            }
            if with_ref && !self.ctx.types.is_sub(exnref, target[n - 1]) {
                bail!(
                    self.offset,
                    "type mismatch: catch_ref label must take an exnref"
                );
            }
        }
        self.pop_all(params.as_slice())?;
        self.push_frame(FrameKind::TryTable, params, results)
    }
}
