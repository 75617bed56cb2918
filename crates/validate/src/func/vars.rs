//! Locals, globals and tables.

use spindle_decode::{RefType, ValType};

use super::FuncValidator;
use crate::error::{bail, Result};

impl<'m> FuncValidator<'m> {
    pub(super) fn visit_local_get(&mut self, local: u32) -> Result<()> {
        let t = self.local(local)?;
        if !self.local_init[local as usize] {
            bail!(
                self.offset,
                "uninitialized local {local}: a non-defaultable local must be set before use"
            );
        }
        self.push(t);
        Ok(())
    }

    fn mark_init(&mut self, local: u32) {
        if !self.local_init[local as usize] {
            self.local_init[local as usize] = true;
            self.init_log.push(local);
        }
    }

    pub(super) fn visit_local_set(&mut self, local: u32) -> Result<()> {
        let t = self.local(local)?;
        self.pop(t)?;
        self.mark_init(local);
        Ok(())
    }

    pub(super) fn visit_local_tee(&mut self, local: u32) -> Result<()> {
        let t = self.local(local)?;
        self.pop(t)?;
        self.mark_init(local);
        self.push(t);
        Ok(())
    }

    pub(super) fn visit_global_get(&mut self, global: u32) -> Result<()> {
        let g = match self.ctx.globals.get(global as usize) {
            Some(g) => *g,
            None => bail!(self.offset, "unknown global {global}"),
        };
        if let Some(mode) = self.const_mode {
            if global >= mode.globals {
                bail!(
                    self.offset,
                    "unknown global {global}: constant expressions may only read earlier globals"
                );
            }
            if g.mutable {
                bail!(
                    self.offset,
                    "constant expression required: global {global} is mutable"
                );
            }
        }
        self.push(g.content);
        Ok(())
    }

    pub(super) fn visit_global_set(&mut self, global: u32) -> Result<()> {
        let g = match self.ctx.globals.get(global as usize) {
            Some(g) => *g,
            None => bail!(self.offset, "unknown global {global}"),
        };
        if !g.mutable {
            bail!(
                self.offset,
                "global is immutable: cannot set global {global}"
            );
        }
        self.pop(g.content)?;
        Ok(())
    }

    /// The element type and index type of table `table`.
    fn table(&self, table: u32) -> Result<(RefType, ValType)> {
        match self.ctx.tables.get(table as usize) {
            Some(t) => Ok((
                t.element,
                if t.table64 {
                    ValType::I64
                } else {
                    ValType::I32
                },
            )),
            None => bail!(self.offset, "unknown table {table}"),
        }
    }

    pub(super) fn visit_table_get(&mut self, table: u32) -> Result<()> {
        let (elem, idx) = self.table(table)?;
        self.pop(idx)?;
        self.push(ValType::Ref(elem));
        Ok(())
    }

    pub(super) fn visit_table_set(&mut self, table: u32) -> Result<()> {
        let (elem, idx) = self.table(table)?;
        self.pop(ValType::Ref(elem))?;
        self.pop(idx)?;
        Ok(())
    }

    pub(super) fn visit_table_size(&mut self, table: u32) -> Result<()> {
        let (_, idx) = self.table(table)?;
        self.push(idx);
        Ok(())
    }

    pub(super) fn visit_table_grow(&mut self, table: u32) -> Result<()> {
        let (elem, idx) = self.table(table)?;
        self.pop(idx)?;
        self.pop(ValType::Ref(elem))?;
        self.push(idx);
        Ok(())
    }

    pub(super) fn visit_table_fill(&mut self, table: u32) -> Result<()> {
        let (elem, idx) = self.table(table)?;
        self.pop(idx)?;
        self.pop(ValType::Ref(elem))?;
        self.pop(idx)?;
        Ok(())
    }

    pub(super) fn visit_table_copy(&mut self, dst_table: u32, src_table: u32) -> Result<()> {
        let (dst, dst_idx) = self.table(dst_table)?;
        let (src, src_idx) = self.table(src_table)?;
        if !self.ctx.types.is_sub_ref(src, dst) {
            bail!(
                self.offset,
                "type mismatch: table.copy source elements do not fit the destination"
            );
        }
        // The length is 64-bit only when both tables are.
        let len = if dst_idx == ValType::I64 && src_idx == ValType::I64 {
            ValType::I64
        } else {
            ValType::I32
        };
        self.pop(len)?;
        self.pop(src_idx)?;
        self.pop(dst_idx)?;
        Ok(())
    }

    pub(super) fn elem_type(&self, elem: u32) -> Result<RefType> {
        match self.ctx.elems.get(elem as usize) {
            Some(t) => Ok(*t),
            None => bail!(self.offset, "unknown elem segment {elem}"),
        }
    }

    pub(super) fn visit_table_init(&mut self, elem: u32, table: u32) -> Result<()> {
        let (t, idx) = self.table(table)?;
        let e = self.elem_type(elem)?;
        if !self.ctx.types.is_sub_ref(e, t) {
            bail!(
                self.offset,
                "type mismatch: elem segment {elem} does not fit table {table}"
            );
        }
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.pop(idx)?;
        Ok(())
    }

    pub(super) fn visit_elem_drop(&mut self, elem: u32) -> Result<()> {
        self.elem_type(elem)?;
        Ok(())
    }
}
