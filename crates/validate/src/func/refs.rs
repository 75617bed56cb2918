//! Reference instructions of reference types and function references.

use spindle_decode::{AbstractHeapType, HeapType, RefType, ValType};

use super::{FuncValidator, Ty};
use crate::error::{bail, Result};

impl<'m> FuncValidator<'m> {
    pub(super) fn visit_ref_null(&mut self, hty: HeapType) -> Result<()> {
        self.check_heap_type(hty)?;
        self.push(ValType::Ref(RefType {
            nullable: true,
            heap: hty,
        }));
        Ok(())
    }

    pub(super) fn visit_ref_is_null(&mut self) -> Result<()> {
        self.pop_ref()?;
        self.push(ValType::I32);
        Ok(())
    }

    pub(super) fn visit_ref_func(&mut self, func: u32) -> Result<()> {
        let ty = match self.ctx.funcs.get(func as usize) {
            Some(t) => *t,
            None => bail!(self.offset, "unknown function {func}"),
        };
        if self.const_mode.is_some() {
            self.const_refs.push(func);
        } else if !self
            .ctx
            .declared
            .get(func as usize)
            .copied()
            .unwrap_or(false)
        {
            bail!(self.offset, "undeclared function reference {func}");
        }
        let exact = self
            .ctx
            .funcs_exact
            .get(func as usize)
            .copied()
            .unwrap_or(false);
        let heap = if self.ctx.features.custom_descriptors && exact {
            HeapType::Exact(ty)
        } else if self.ctx.features.function_references {
            HeapType::Concrete(ty)
        } else {
            HeapType::Abstract(AbstractHeapType::Func)
        };
        self.push(ValType::Ref(RefType {
            nullable: false,
            heap,
        }));
        Ok(())
    }

    pub(super) fn visit_ref_eq(&mut self) -> Result<()> {
        let eqref = ValType::Ref(RefType::null(AbstractHeapType::Eq));
        self.pop(eqref)?;
        self.pop(eqref)?;
        self.push(ValType::I32);
        Ok(())
    }

    pub(super) fn visit_ref_as_non_null(&mut self) -> Result<()> {
        match self.pop_ref()? {
            Some(r) => self.push(ValType::Ref(RefType {
                nullable: false,
                heap: r.heap,
            })),
            None => self.push_ty(Ty::BotRef),
        }
        Ok(())
    }
}
