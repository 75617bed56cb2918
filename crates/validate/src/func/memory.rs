//! Memories, lanes and the remaining SIMD and atomic special cases.

use spindle_decode::{CompactIndex, MemArg, Shuffle, ValType, ZeroByte};

use super::FuncValidator;
use crate::error::{bail, Result};

impl<'m> FuncValidator<'m> {
    /// Checks a memory access's immediate; returns the memory's address type.
    #[inline]
    pub(super) fn check_memarg(
        &self,
        memarg: &MemArg,
        natural_align: u8,
        exact: bool,
    ) -> Result<ValType> {
        let mem = match self.ctx.memories.get(memarg.memory as usize) {
            Some(m) => m,
            None => bail!(self.offset, "unknown memory {}", memarg.memory),
        };
        if memarg.explicit_memory && !self.ctx.features.multi_memory {
            return Err(crate::ValidateError::from(
                spindle_decode::DecodeError::new(self.offset, "malformed memop flags"),
            ));
        }
        if !memarg.offset_is_u32 && !self.ctx.features.memory64 {
            return Err(crate::ValidateError::from(
                spindle_decode::DecodeError::new(
                    self.offset,
                    "integer representation too long: offset is not a 32-bit LEB128",
                ),
            ));
        }
        if exact {
            if memarg.align != natural_align {
                bail!(
                    self.offset,
                    "alignment must be equal to the natural alignment of an atomic access"
                );
            }
        } else if memarg.align > natural_align {
            bail!(self.offset, "alignment must not be larger than natural");
        }
        if mem.memory64 {
            Ok(ValType::I64)
        } else {
            if memarg.offset > u32::MAX as u64 {
                bail!(
                    self.offset,
                    "offset out of range: must be below 2^32 for 32-bit memories"
                );
            }
            Ok(ValType::I32)
        }
    }

    #[inline]
    pub(super) fn check_lane(&self, lane: u8, lanes: u8) -> Result<()> {
        if lane >= lanes {
            bail!(self.offset, "invalid lane index {lane}");
        }
        Ok(())
    }

    fn memory(&self, mem: u32) -> Result<ValType> {
        match self.ctx.memory_index_type(mem) {
            Some(t) => Ok(t),
            None => bail!(self.offset, "unknown memory {mem}"),
        }
    }

    /// Before multi-memory, the memory index of `memory.size`/`memory.grow` was one zero byte.
    pub(crate) fn compact_index(&self, idx: CompactIndex, feature: bool) -> Result<u32> {
        if !feature && !idx.is_zero_byte {
            return Err(crate::ValidateError::from(
                spindle_decode::DecodeError::new(self.offset, "zero byte expected"),
            ));
        }
        Ok(idx.index)
    }

    pub(super) fn visit_memory_size(&mut self, mem: CompactIndex) -> Result<()> {
        let mem = self.compact_index(mem, self.ctx.features.multi_memory)?;
        let t = self.memory(mem)?;
        self.push(t);
        Ok(())
    }

    pub(super) fn visit_memory_grow(&mut self, mem: CompactIndex) -> Result<()> {
        let mem = self.compact_index(mem, self.ctx.features.multi_memory)?;
        let t = self.memory(mem)?;
        self.pop(t)?;
        self.push(t);
        Ok(())
    }

    pub(super) fn check_data(&self, data: u32) -> Result<()> {
        match self.ctx.data_count {
            None => bail!(self.offset, "data count section required"),
            Some(n) if data >= n => bail!(self.offset, "unknown data segment {data}"),
            Some(_) => Ok(()),
        }
    }

    pub(super) fn visit_memory_init(&mut self, data: u32, mem: u32) -> Result<()> {
        let t = self.memory(mem)?;
        self.check_data(data)?;
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.pop(t)?;
        Ok(())
    }

    pub(super) fn visit_data_drop(&mut self, data: u32) -> Result<()> {
        self.check_data(data)
    }

    pub(super) fn visit_memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> Result<()> {
        let dst = self.memory(dst_mem)?;
        let src = self.memory(src_mem)?;
        let len = if dst == ValType::I64 && src == ValType::I64 {
            ValType::I64
        } else {
            ValType::I32
        };
        self.pop(len)?;
        self.pop(src)?;
        self.pop(dst)?;
        Ok(())
    }

    pub(super) fn visit_memory_fill(&mut self, mem: u32) -> Result<()> {
        let t = self.memory(mem)?;
        self.pop(t)?;
        self.pop(ValType::I32)?;
        self.pop(t)?;
        Ok(())
    }

    pub(super) fn visit_i8x16_shuffle(&mut self, lanes: Shuffle) -> Result<()> {
        for &l in lanes.0.iter() {
            self.check_lane(l, 32)?;
        }
        self.pop(ValType::V128)?;
        self.pop(ValType::V128)?;
        self.push(ValType::V128);
        Ok(())
    }

    pub(super) fn visit_atomic_fence(&mut self, _flags: ZeroByte) -> Result<()> {
        Ok(())
    }
}
