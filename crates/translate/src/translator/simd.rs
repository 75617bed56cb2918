//! SIMD: lane operators, `v128` constants, shuffles, loads and stores.

use super::*;

impl Translator<'_> {
    /// The SIMD operator of kind `op` from the IR's register-operand families
    /// (`Instr::simd_of`): its `n` operands on top of the stack, its result a `v128`
    /// (`wide`) or a scalar, lane `lane` for the lane families. Out of line, so that each
    /// operator's arm is one call with constants.
    #[inline(never)]
    pub(super) fn simd_op(
        &mut self,
        op: spindle_ir::Opcode,
        n: usize,
        wide: bool,
        lane: u8,
    ) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        // Every SIMD handler reads all its operands before it writes its result, so the
        // result may take the operands' registers.
        let dst = if wide {
            self.push_temp128()?
        } else {
            self.push_temp()?
        };
        let Some(instr) = Instr::simd_of(op, dst, &regs[..n], lane) else {
            // The table's SIMD signatures are those of these families.
            return Err(unsupported(self.offset, "this SIMD operator"));
        };
        self.emit_result(instr);
        self.canonicalize_nans(op)
    }

    pub(super) fn visit_v128_const(&mut self, value: spindle_decode::V128) -> Result<()> {
        let v = u128::from_le_bytes(value.0);
        let dst = self.push_temp128()?;
        self.emit_result(Instr::V128Const { dst, lo: v as u64 });
        self.push_code(Instr::Data {
            value: (v >> 64) as u64,
        });
        Ok(())
    }

    pub(super) fn visit_i8x16_shuffle(&mut self, lanes: spindle_decode::Shuffle) -> Result<()> {
        let v = u128::from_le_bytes(lanes.0);
        let make = |dst, r: &[Reg]| Instr::I8x16Shuffle {
            dst,
            a: r[0],
            b: r[1],
            lo: v as u64,
        };
        self.simd_with_data(2, make, (v >> 64) as u64)
    }

    /// [`Translator::simd`] of an instruction with a `v128` result and a second 64-bit
    /// immediate, `data` (the `Data` after it). `last_result` stays the instruction (see
    /// [`Translator::is_last`]).
    pub(super) fn simd_with_data(
        &mut self,
        n: usize,
        make: impl FnOnce(Dst, &[Reg]) -> Instr,
        data: u64,
    ) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        let dst = self.push_temp128()?;
        // As in `simd`: the result may take the operands' registers.
        let instr = make(dst, &regs[..n]);
        self.emit_result(instr);
        self.push_code(Instr::Data { value: data });
        self.canonicalize_nans(instr.opcode())
    }

    /// A `v128` load: of the `vload` family on a 32-bit memory 0 (`fast`), else
    /// `V128LoadMem` of kind `kind`.
    pub(super) fn v_load(
        &mut self,
        fast: impl FnOnce(Dst, Reg, i32, u32) -> Instr,
        kind: VLoadKind,
        memarg: MemArg,
    ) -> Result<()> {
        let h = self.stack.len() - 1;
        let added = self.address_add(h);
        let addr = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp128()?;
        match u32::try_from(memarg.offset) {
            Ok(offset) if self.is_fast_memory(memarg.memory) => match added {
                Some((a, imm)) => {
                    self.unemit();
                    self.emit_result(fast(dst, a, imm, offset));
                }
                None => self.emit_result(fast(dst, addr, 0, offset)),
            },
            _ => {
                let mem = self.small_memory_index(memarg.memory)?;
                self.emit_result(Instr::V128LoadMem {
                    dst,
                    addr,
                    kind: kind as u8,
                    mem,
                    offset: memarg.offset,
                });
            }
        }
        Ok(())
    }

    pub(super) fn visit_v128_store(&mut self, memarg: MemArg) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        // The address's add can be absorbed only if nothing came after it (see `store`).
        let added = self.address_add(h - 1).filter(|(a, _)| a.0 != value.0);
        let addr = self.reg_at(h - 1)?;
        self.pop_n(2);
        match u32::try_from(memarg.offset) {
            Ok(offset) if self.is_fast_memory(memarg.memory) => {
                let (addr, imm) = match added {
                    Some(a) => {
                        self.unemit();
                        a
                    }
                    None => (addr, 0),
                };
                self.emit(Instr::V128Store {
                    addr,
                    value,
                    imm,
                    offset,
                });
            }
            _ => {
                let mem = self.small_memory_index(memarg.memory)?;
                self.emit(Instr::V128StoreMem {
                    addr,
                    value,
                    mem,
                    offset: memarg.offset,
                });
            }
        }
        Ok(())
    }

    /// `v128.loadN_lane` (`log2` of the lane's width in bytes).
    pub(super) fn v_load_lane(&mut self, log2: u8, memarg: MemArg, lane: u8) -> Result<()> {
        let mem = self.small_memory_index(memarg.memory)?;
        let make = |dst, r: &[Reg]| Instr::V128LoadLane {
            dst,
            src: r[1],
            addr: r[0],
            width: 1 << log2,
            lane,
            mem,
        };
        self.simd_with_data(2, make, memarg.offset)
    }

    /// `v128.storeN_lane`.
    pub(super) fn v_store_lane(&mut self, log2: u8, memarg: MemArg, lane: u8) -> Result<()> {
        let mem = self.small_memory_index(memarg.memory)?;
        let (addr, value) = self.pop2()?;
        self.emit(Instr::V128StoreLane {
            addr,
            value,
            width: 1 << log2,
            lane,
            mem,
        });
        self.push_code(Instr::Data {
            value: memarg.offset,
        });
        Ok(())
    }
}
