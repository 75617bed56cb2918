//! Loads, stores, atomics, and the memory and table operators.

use super::*;

impl<'m> Translator<'m> {
    pub(super) fn load(
        &mut self,
        make: impl FnOnce(Dst, Reg, u32) -> Instr,
        memarg: MemArg,
    ) -> Result<()> {
        let h = self.stack.len() - 1;
        let addr = self.top_reg()?;
        if !self.is_fast_memory(memarg.memory) {
            let mem = self.small_memory_index(memarg.memory)?;
            self.pop_n(1);
            let dst = self.push_temp()?;
            let (kind, ..) = make(dst, addr, 0).as_load().expect("a load");
            self.emit_result(Instr::LoadMem {
                dst,
                addr,
                kind,
                mem,
                offset: memarg.offset,
            });
            return Ok(());
        }
        let offset = memarg.offset as u32;
        let added = self.address_add(h);
        self.pop_n(1);
        let dst = self.push_temp()?;
        let load = make(dst, addr, offset);
        match added.and_then(|(a, imm)| load.with_address_add(a, imm)) {
            Some(fused) => {
                self.unemit();
                self.emit_result(fused);
            }
            None => self.emit_result(load),
        }
        Ok(())
    }

    pub(super) fn store(
        &mut self,
        make: impl FnOnce(Reg, Reg, u32) -> Instr,
        memarg: MemArg,
    ) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        if !self.is_fast_memory(memarg.memory) {
            let mem = self.small_memory_index(memarg.memory)?;
            let addr = self.reg_at(h - 1)?;
            self.pop_n(2);
            let (width, ..) = make(addr, value, 0).as_store().expect("a store");
            self.emit(Instr::StoreMem {
                addr,
                value,
                width,
                mem,
                offset: memarg.offset,
            });
            return Ok(());
        }
        let offset = memarg.offset as u32;
        // The address's add can be absorbed only if nothing came after it: the value must
        // not have needed an instruction of its own.
        let added = self.address_add(h - 1);
        let addr = self.reg_at(h - 1)?;
        self.pop_n(2);
        let store = make(addr, value, offset);
        match added.and_then(|(a, imm)| store.with_address_add(a, imm)) {
            Some(fused) if value.0 != addr.0 => {
                self.unemit();
                self.emit(fused);
            }
            _ => {
                self.emit(store);
            }
        }
        Ok(())
    }

    /// When operand `h` is a temporary that the last instruction computed as `a + imm`
    /// (`i32.add` of a constant), `(a, imm)`: a load or store taking it as its address can
    /// absorb that instruction. (Nothing else can read the temporary: its consumer is the
    /// access.)
    pub(super) fn address_add(&self, h: usize) -> Option<(Reg, i32)> {
        if !spindle_ir::SUPERINSTRUCTIONS {
            return None;
        }
        let i = self.last_result?;
        if i + 1 != self.code.len() || self.stack[h].op != Operand::Temp {
            return None;
        }
        match self.code[i] {
            Instr::I32AddImm { dst, a, imm } if dst.0 == self.slot(h).ok()? => Some((a, imm)),
            _ => None,
        }
    }

    /// An atomic memory operator (threads): an ordinary access of the `…Mem` kind marked
    /// atomic (so unaligned addresses trap), or a read-modify-write, compare-exchange,
    /// wait or notify. A store's memories are reached by one thread at a time, so plain
    /// accesses are atomic.
    pub(super) fn atomic(&mut self, op: Opcode, memarg: MemArg) -> Result<()> {
        use spindle_ir::{load as l, store as st, ATOMIC};
        use Opcode as O;
        let mem = self.small_memory_index(memarg.memory)?;
        let short_offset = || {
            u32::try_from(memarg.offset).map_err(|_| {
                unsupported(self.offset, "atomic accesses at offsets of 4 GiB or more")
            })
        };
        // Loads and stores: (load kind or store width, whether a store).
        let plain = match op {
            O::I32AtomicLoad => Some((l::I32Load, false)),
            O::I64AtomicLoad => Some((l::I64Load, false)),
            O::I32AtomicLoad8U => Some((l::I32Load8U, false)),
            O::I32AtomicLoad16U => Some((l::I32Load16U, false)),
            O::I64AtomicLoad8U => Some((l::I64Load8U, false)),
            O::I64AtomicLoad16U => Some((l::I64Load16U, false)),
            O::I64AtomicLoad32U => Some((l::I64Load32U, false)),
            O::I32AtomicStore => Some((st::I32Store, true)),
            O::I64AtomicStore => Some((st::I64Store, true)),
            O::I32AtomicStore8 | O::I64AtomicStore8 => Some((st::I32Store8, true)),
            O::I32AtomicStore16 | O::I64AtomicStore16 => Some((st::I32Store16, true)),
            O::I64AtomicStore32 => Some((st::I64Store32, true)),
            _ => None,
        };
        if let Some((kind, is_store)) = plain {
            if is_store {
                let (addr, value) = self.pop2()?;
                self.emit(Instr::StoreMem {
                    addr,
                    value,
                    width: kind | ATOMIC,
                    mem,
                    offset: memarg.offset,
                });
            } else {
                let addr = self.top_reg()?;
                self.pop_n(1);
                let dst = self.push_temp()?;
                self.emit(Instr::LoadMem {
                    dst,
                    addr,
                    kind: kind | ATOMIC,
                    mem,
                    offset: memarg.offset,
                });
            }
            return Ok(());
        }
        let offset = short_offset()?;
        match op {
            O::MemoryAtomicNotify => {
                let (addr, count) = self.pop2()?;
                let dst = self.push_temp()?;
                self.emit(Instr::AtomicNotify {
                    dst,
                    addr,
                    count,
                    mem,
                    offset,
                });
            }
            O::MemoryAtomicWait32 | O::MemoryAtomicWait64 => {
                let (addr, expected, timeout) = self.pop3()?;
                let dst = self.push_temp()?;
                self.emit(Instr::AtomicWait {
                    dst,
                    addr,
                    expected,
                    timeout,
                    wide: (op == O::MemoryAtomicWait64) as u8,
                    mem,
                    offset,
                });
            }
            _ => {
                let (rmw, log2) = atomic_rmw(op).expect("the threads operators are all listed");
                if rmw == RMW_CMPXCHG {
                    let (addr, expected, replacement) = self.pop3()?;
                    let dst = self.push_temp()?;
                    self.emit(Instr::AtomicCmpxchg {
                        dst,
                        addr,
                        expected,
                        replacement,
                        width: 1 << log2,
                        mem,
                        offset,
                    });
                } else {
                    let (addr, value) = self.pop2()?;
                    let dst = self.push_temp()?;
                    self.emit(Instr::AtomicRmw {
                        dst,
                        addr,
                        value,
                        op: rmw << 2 | log2,
                        mem,
                        offset,
                    });
                }
            }
        }
        Ok(())
    }

    /// The registers of the top two operands, popped.
    pub(super) fn pop2(&mut self) -> Result<(Reg, Reg)> {
        let h = self.stack.len() - 1;
        let b = self.reg_at(h)?;
        let a = self.reg_at(h - 1)?;
        self.pop_n(2);
        Ok((a, b))
    }

    /// Whether memory `mem` is a 32-bit unshared memory 0, which the interpreter keeps at
    /// hand (the fast instruction families, with plain pointer accesses); every other memory
    /// goes through the `…Mem` instructions (a shared memory's bytes are only accessed
    /// atomically: `spindle_exec::shared`).
    pub(super) fn is_fast_memory(&self, mem: u32) -> bool {
        // Without memory64, multi-memory and threads the validator admits no other kind
        // of memory, and this constant leaves the `…Mem` instructions out of the build.
        !spindle_validate::other_memories_compiled_in()
            || mem == 0
                && self
                    .ctx
                    .memories
                    .first()
                    .is_some_and(|m| !m.memory64 && !m.shared)
    }

    /// A memory index for `LoadMem`/`StoreMem` (one byte).
    pub(super) fn small_memory_index(&self, mem: u32) -> Result<u8> {
        u8::try_from(mem)
            .map_err(|_| unsupported(self.offset, "loads and stores of memory 256 or above"))
    }

    /// A memory index for the other `…Mem` instructions (two bytes).
    pub(super) fn memory_index(&self, mem: u32) -> Result<u16> {
        u16::try_from(mem).map_err(|_| unsupported(self.offset, "memory 65,536 or above"))
    }

    pub(super) fn visit_memory_size(&mut self, mem: CompactIndex) -> Result<()> {
        let dst = self.push_temp()?;
        if self.is_fast_memory(mem.index) {
            self.emit_result(Instr::MemorySize { dst });
        } else {
            let mem = self.memory_index(mem.index)?;
            self.emit_result(Instr::MemorySizeMem { dst, mem });
        }
        Ok(())
    }

    pub(super) fn visit_memory_grow(&mut self, mem: CompactIndex) -> Result<()> {
        let delta = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        if self.is_fast_memory(mem.index) {
            self.emit_result(Instr::MemoryGrow { dst, delta });
        } else {
            let mem = self.memory_index(mem.index)?;
            self.emit_result(Instr::MemoryGrowMem { dst, delta, mem });
        }
        Ok(())
    }

    /// The registers of the top three operands, popped.
    pub(super) fn pop3(&mut self) -> Result<(Reg, Reg, Reg)> {
        let h = self.stack.len() - 1;
        let c = self.reg_at(h)?;
        let b = self.reg_at(h - 1)?;
        let a = self.reg_at(h - 2)?;
        self.pop_n(3);
        Ok((a, b, c))
    }

    pub(super) fn visit_memory_fill(&mut self, mem: u32) -> Result<()> {
        let (dst, value, len) = self.pop3()?;
        if self.is_fast_memory(mem) {
            self.emit(Instr::MemoryFill { dst, value, len });
        } else {
            let mem = self.memory_index(mem)?;
            self.emit(Instr::MemoryFillMem {
                dst,
                value,
                len,
                mem,
            });
        }
        Ok(())
    }

    pub(super) fn visit_memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        if self.is_fast_memory(dst_mem) && self.is_fast_memory(src_mem) {
            self.emit(Instr::MemoryCopy { dst, src, len });
        } else {
            let (dst_mem, src_mem) = (self.memory_index(dst_mem)?, self.memory_index(src_mem)?);
            self.emit(Instr::MemoryCopyMem {
                dst,
                src,
                len,
                dst_mem,
                src_mem,
            });
        }
        Ok(())
    }

    pub(super) fn visit_memory_init(&mut self, data: u32, mem: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        if self.is_fast_memory(mem) {
            self.emit(Instr::MemoryInit {
                seg: data,
                dst,
                src,
                len,
            });
        } else {
            let mem = self.memory_index(mem)?;
            self.emit(Instr::MemoryInitMem {
                dst,
                src,
                len,
                mem,
                seg: data,
            });
        }
        Ok(())
    }

    pub(super) fn visit_data_drop(&mut self, data: u32) -> Result<()> {
        self.emit(Instr::DataDrop { seg: data });
        Ok(())
    }

    pub(super) fn visit_table_get(&mut self, table: u32) -> Result<()> {
        let index = self.top_reg()?;
        self.pop_n(1);
        let t = ValType::Ref(self.ctx.tables[table as usize].element);
        let dst = self.push_temp_typed(t)?;
        self.emit_result(Instr::TableGet { dst, table, index });
        Ok(())
    }

    pub(super) fn visit_table_set(&mut self, table: u32) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        let index = self.reg_at(h - 1)?;
        self.pop_n(2);
        self.emit(Instr::TableSet {
            table,
            index,
            value,
        });
        Ok(())
    }

    pub(super) fn visit_table_size(&mut self, table: u32) -> Result<()> {
        let dst = self.push_temp()?;
        self.emit_result(Instr::TableSize { dst, table });
        Ok(())
    }

    pub(super) fn visit_table_grow(&mut self, table: u32) -> Result<()> {
        let h = self.stack.len() - 1;
        let delta = self.reg_at(h)?;
        let init = self.reg_at(h - 1)?;
        self.pop_n(2);
        let dst = self.push_temp()?;
        self.emit_result(Instr::TableGrow {
            dst,
            table,
            init,
            delta,
        });
        Ok(())
    }

    pub(super) fn visit_table_fill(&mut self, table: u32) -> Result<()> {
        let (dst, value, len) = self.pop3()?;
        self.emit(Instr::TableFill {
            table,
            dst,
            value,
            len,
        });
        Ok(())
    }

    pub(super) fn visit_table_copy(&mut self, dst_table: u32, src_table: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        self.emit(Instr::TableCopy {
            dst_table,
            src_table,
            dst,
            src,
            len,
        });
        Ok(())
    }

    pub(super) fn visit_table_init(&mut self, elem: u32, table: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        self.emit(Instr::TableInit {
            seg: elem,
            table,
            dst,
            src,
            len,
        });
        Ok(())
    }

    pub(super) fn visit_elem_drop(&mut self, elem: u32) -> Result<()> {
        self.emit(Instr::ElemDrop { seg: elem });
        Ok(())
    }
}

/// `AtomicRmw`'s operations (`op >> 2`), in the order the interpreter decodes them.
const RMW_XCHG: u8 = 5;
/// Not an `AtomicRmw` operation: compare-exchange has its own instruction.
const RMW_CMPXCHG: u8 = 6;

/// The read-modify-write operation and log2 width of an atomic RMW operator.
fn atomic_rmw(op: Opcode) -> Option<(u8, u8)> {
    use Opcode as O;
    let by_name = |rmw: u8, w: [Opcode; 7]| {
        w.iter()
            .position(|&x| x == op)
            .map(|i| (rmw, [2, 3, 0, 1, 0, 1, 2][i]))
    };
    by_name(
        0,
        [
            O::I32AtomicRmwAdd,
            O::I64AtomicRmwAdd,
            O::I32AtomicRmw8AddU,
            O::I32AtomicRmw16AddU,
            O::I64AtomicRmw8AddU,
            O::I64AtomicRmw16AddU,
            O::I64AtomicRmw32AddU,
        ],
    )
    .or_else(|| {
        by_name(
            1,
            [
                O::I32AtomicRmwSub,
                O::I64AtomicRmwSub,
                O::I32AtomicRmw8SubU,
                O::I32AtomicRmw16SubU,
                O::I64AtomicRmw8SubU,
                O::I64AtomicRmw16SubU,
                O::I64AtomicRmw32SubU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            2,
            [
                O::I32AtomicRmwAnd,
                O::I64AtomicRmwAnd,
                O::I32AtomicRmw8AndU,
                O::I32AtomicRmw16AndU,
                O::I64AtomicRmw8AndU,
                O::I64AtomicRmw16AndU,
                O::I64AtomicRmw32AndU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            3,
            [
                O::I32AtomicRmwOr,
                O::I64AtomicRmwOr,
                O::I32AtomicRmw8OrU,
                O::I32AtomicRmw16OrU,
                O::I64AtomicRmw8OrU,
                O::I64AtomicRmw16OrU,
                O::I64AtomicRmw32OrU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            4,
            [
                O::I32AtomicRmwXor,
                O::I64AtomicRmwXor,
                O::I32AtomicRmw8XorU,
                O::I32AtomicRmw16XorU,
                O::I64AtomicRmw8XorU,
                O::I64AtomicRmw16XorU,
                O::I64AtomicRmw32XorU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            RMW_XCHG,
            [
                O::I32AtomicRmwXchg,
                O::I64AtomicRmwXchg,
                O::I32AtomicRmw8XchgU,
                O::I32AtomicRmw16XchgU,
                O::I64AtomicRmw8XchgU,
                O::I64AtomicRmw16XchgU,
                O::I64AtomicRmw32XchgU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            RMW_CMPXCHG,
            [
                O::I32AtomicRmwCmpxchg,
                O::I64AtomicRmwCmpxchg,
                O::I32AtomicRmw8CmpxchgU,
                O::I32AtomicRmw16CmpxchgU,
                O::I64AtomicRmw8CmpxchgU,
                O::I64AtomicRmw16CmpxchgU,
                O::I64AtomicRmw32CmpxchgU,
            ],
        )
    })
}
