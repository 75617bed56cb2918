//! GC: structs, arrays, `i31`, casts and descriptors.

use super::*;

/// Registers a field or element of storage type `s` takes.
fn storage_cells(s: StorageType) -> u32 {
    match s {
        StorageType::Val(ValType::V128) => 2,
        _ => 1,
    }
}

/// How a read of storage type `s` extends it (`signed` for `_s`).
fn read_ext(s: StorageType, signed: bool) -> u8 {
    use spindle_ir::gc_read as r;
    match (s, signed) {
        (StorageType::I8, true) => r::S8,
        (StorageType::I8, false) => r::U8,
        (StorageType::I16, true) => r::S16,
        (StorageType::I16, false) => r::U16,
        (StorageType::Val(ValType::V128), _) => r::V128,
        _ => r::Plain,
    }
}

impl<'m> Translator<'m> {
    pub(super) fn struct_fields(&self, type_index: u32) -> &'m [FieldType] {
        let ctx: &'m ModuleCtx = self.ctx;
        match &ctx.types.get(type_index).expect("validated type").composite {
            CompositeType::Struct(fields) => fields,
            _ => unreachable!("validated struct type"),
        }
    }

    pub(super) fn array_elem(&self, type_index: u32) -> StorageType {
        match &self
            .ctx
            .types
            .get(type_index)
            .expect("validated type")
            .composite
        {
            CompositeType::Array(f) => f.storage,
            _ => unreachable!("validated array type"),
        }
    }

    /// Pushes a new reference (a Temp the collector traces) and returns its register.
    pub(super) fn push_gc_temp(&mut self) -> Result<Dst> {
        let h = self.stack.len();
        self.push_entry(Operand::Temp, 1, true)?;
        Ok(Dst(self.slot(h)?))
    }

    /// Pushes a Temp of a field's (unpacked) type.
    pub(super) fn push_field(&mut self, s: StorageType) -> Result<Dst> {
        let h = self.stack.len();
        self.push_typed(Operand::Temp, s.unpacked())?;
        Ok(Dst(self.slot(h)?))
    }

    /// The registers of the top `n` operands (at most 5), in order, not yet popped.
    pub(super) fn top_regs(&mut self, n: usize) -> Result<[Reg; 5]> {
        let first = self.stack.len() - n;
        let mut regs = [Reg(0); 5];
        for (i, h) in (first..first + n).enumerate() {
            regs[i] = self.reg_at(h)?;
        }
        Ok(regs)
    }

    /// An allocation from the top `n` operands: records the collector's map with them
    /// still on the stack, emits, pops them and pushes the new reference.
    pub(super) fn alloc(
        &mut self,
        n: usize,
        make: impl FnOnce(Dst, &[Reg]) -> Instr,
    ) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.gc_point();
        self.pop_n(n);
        let dst = self.push_gc_temp()?;
        self.emit_result(make(dst, &regs[..n]));
        Ok(())
    }

    /// Cells the fields of struct type `type_index` take.
    fn struct_cells(&self, type_index: u32) -> u16 {
        let fields = self.struct_fields(type_index);
        fields.iter().map(|f| storage_cells(f.storage)).sum::<u32>() as u16
    }

    /// `struct.new` (its operands the fields, then the descriptor if `desc`).
    fn struct_new(&mut self, type_index: u32, desc: bool) -> Result<()> {
        let n = self.struct_fields(type_index).len() + usize::from(desc);
        let len = self.struct_cells(type_index);
        let base = self.call_args(n)?;
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.pop_n(n);
        let dst = self.push_gc_temp()?;
        self.emit_result(if desc {
            Instr::StructNewDesc { dst, base, len, ty }
        } else {
            Instr::StructNew { dst, base, len, ty }
        });
        Ok(())
    }

    pub(super) fn visit_struct_new(&mut self, type_index: u32) -> Result<()> {
        self.struct_new(type_index, false)
    }

    pub(super) fn visit_struct_new_default(&mut self, type_index: u32) -> Result<()> {
        let len = self.struct_cells(type_index);
        let ty = self.type_ids[type_index as usize];
        self.alloc(0, |dst, _| Instr::StructNewDefault { dst, len, ty })
    }

    /// The cell offset and storage type of field `field` of struct type `type_index` (a
    /// descriptor comes after the fields).
    pub(super) fn field_at(&self, type_index: u32, field: u32) -> (u32, StorageType) {
        let fields = self.struct_fields(type_index);
        let at: u32 = fields[..field as usize]
            .iter()
            .map(|f| storage_cells(f.storage))
            .sum();
        (at, fields[field as usize].storage)
    }

    pub(super) fn visit_struct_new_desc(&mut self, type_index: u32) -> Result<()> {
        self.struct_new(type_index, true)
    }

    pub(super) fn visit_struct_new_default_desc(&mut self, type_index: u32) -> Result<()> {
        let len = self.struct_cells(type_index);
        let ty = self.type_ids[type_index as usize];
        self.alloc(1, |dst, r| Instr::StructNewDefaultDesc {
            dst,
            desc: r[0],
            len,
            ty,
        })
    }

    pub(super) fn visit_ref_get_desc(&mut self, _type_index: u32) -> Result<()> {
        let obj = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::RefGetDesc { dst, obj });
        Ok(())
    }

    /// `ref.cast_desc_eq`: the reference stays where it is (the descriptor is popped); a
    /// mismatch traps.
    pub(super) fn ref_cast_desc(&mut self, nullable: bool) -> Result<()> {
        let (r, desc) = {
            let h = self.stack.len() - 1;
            (self.reg_at(h - 1)?, self.reg_at(h)?)
        };
        self.pop_n(1);
        let flags = if nullable {
            spindle_ir::cast::NULLABLE
        } else {
            0
        };
        self.emit(Instr::RefCastDescEq { r, desc, flags });
        Ok(())
    }

    pub(super) fn visit_ref_cast_desc_eq_non_null(&mut self, _hty: HeapType) -> Result<()> {
        self.ref_cast_desc(false)
    }

    pub(super) fn visit_ref_cast_desc_eq_nullable(&mut self, _hty: HeapType) -> Result<()> {
        self.ref_cast_desc(true)
    }

    /// `br_on_cast_desc_eq` (or `_fail`): pops the descriptor, then branches as `br_on_cast`
    /// does, with the descriptor test.
    pub(super) fn br_on_cast_desc(
        &mut self,
        cast: spindle_decode::BrOnCast,
        fail: bool,
    ) -> Result<()> {
        use spindle_ir::cast as c;
        let desc = self.top_reg()?;
        self.pop_n(1);
        let flags = if cast.to_nullable { c::NULLABLE } else { 0 } | if fail { c::FAIL } else { 0 };
        let r = self.top_reg()?;
        self.conditional_branch(cast.depth, |to, negated| Instr::BrOnCastDescEq {
            r,
            desc,
            flags: if negated { flags ^ c::FAIL } else { flags },
            to,
        })
    }

    pub(super) fn visit_br_on_cast_desc_eq(
        &mut self,
        cast: spindle_decode::BrOnCast,
    ) -> Result<()> {
        self.br_on_cast_desc(cast, false)
    }

    pub(super) fn visit_br_on_cast_desc_eq_fail(
        &mut self,
        cast: spindle_decode::BrOnCast,
    ) -> Result<()> {
        self.br_on_cast_desc(cast, true)
    }

    pub(super) fn struct_get(&mut self, type_index: u32, field: u32, signed: bool) -> Result<()> {
        let (at, storage) = self.field_at(type_index, field);
        let obj = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_field(storage)?;
        let ext = read_ext(storage, signed);
        self.emit_result(Instr::StructGet {
            dst,
            obj,
            field: at,
            ext,
        });
        Ok(())
    }

    pub(super) fn visit_struct_get(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, false)
    }

    pub(super) fn visit_struct_get_s(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, true)
    }

    pub(super) fn visit_struct_get_u(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, false)
    }

    pub(super) fn visit_struct_set(&mut self, type_index: u32, field: u32) -> Result<()> {
        let (at, storage) = self.field_at(type_index, field);
        let (obj, value) = self.pop2()?;
        self.emit(Instr::StructSet {
            obj,
            value,
            field: at,
            cells: storage_cells(storage) as u8,
        });
        Ok(())
    }

    pub(super) fn visit_array_new(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNew {
            dst,
            init: r[0],
            len: r[1],
            cells,
            ty,
        })
    }

    pub(super) fn visit_array_new_default(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        self.alloc(1, |dst, r| Instr::ArrayNewDefault {
            dst,
            len: r[0],
            cells,
            ty,
        })
    }

    pub(super) fn visit_array_new_fixed(&mut self, type_index: u32, n: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        let n_ops = n as usize;
        let base = self.call_args(n_ops)?;
        self.gc_point();
        self.pop_n(n_ops);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::ArrayNewFixed {
            dst,
            base,
            cells,
            n,
            ty,
        });
        Ok(())
    }

    pub(super) fn visit_array_new_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNewData {
            dst,
            offset: r[0],
            len: r[1],
            seg: data,
            ty,
        })
    }

    pub(super) fn visit_array_new_elem(&mut self, type_index: u32, elem: u32) -> Result<()> {
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNewElem {
            dst,
            offset: r[0],
            len: r[1],
            seg: elem,
            ty,
        })
    }

    pub(super) fn array_get(&mut self, type_index: u32, signed: bool) -> Result<()> {
        let storage = self.array_elem(type_index);
        let (arr, index) = self.pop2()?;
        let dst = self.push_field(storage)?;
        let ext = read_ext(storage, signed);
        self.emit_result(Instr::ArrayGet {
            dst,
            arr,
            index,
            ext,
        });
        Ok(())
    }

    pub(super) fn visit_array_get(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, false)
    }

    pub(super) fn visit_array_get_s(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, true)
    }

    pub(super) fn visit_array_get_u(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, false)
    }

    pub(super) fn visit_array_set(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let (arr, index, value) = self.pop3()?;
        self.emit(Instr::ArraySet {
            arr,
            index,
            value,
            cells,
        });
        Ok(())
    }

    pub(super) fn visit_array_len(&mut self) -> Result<()> {
        let arr = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::ArrayLen { dst, arr });
        Ok(())
    }

    pub(super) fn visit_array_fill(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayFill {
            arr: r[0],
            offset: r[1],
            value: r[2],
            len: r[3],
            cells,
        });
        Ok(())
    }

    pub(super) fn visit_array_copy(&mut self, dst_type: u32, _src_type: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(dst_type)) as u8;
        let r = self.top_regs(5)?;
        self.pop_n(5);
        self.emit(Instr::ArrayCopy {
            dst: r[0],
            dst_off: r[1],
            src: r[2],
            src_off: r[3],
            len: r[4],
            cells,
        });
        Ok(())
    }

    pub(super) fn visit_array_init_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let bytes = self.array_elem(type_index).data_bytes();
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayInitData {
            arr: r[0],
            dst_off: r[1],
            src_off: r[2],
            len: r[3],
            bytes,
            seg: data,
        });
        Ok(())
    }

    pub(super) fn visit_array_init_elem(&mut self, _type_index: u32, elem: u32) -> Result<()> {
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayInitElem {
            arr: r[0],
            dst_off: r[1],
            src_off: r[2],
            len: r[3],
            seg: elem,
        });
        Ok(())
    }

    pub(super) fn visit_ref_i31(&mut self) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::RefI31 { dst, src });
        Ok(())
    }

    pub(super) fn i31_get(&mut self, signed: u8) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::I31Get { dst, src, signed });
        Ok(())
    }

    pub(super) fn visit_i31_get_s(&mut self) -> Result<()> {
        self.i31_get(1)
    }

    pub(super) fn visit_i31_get_u(&mut self) -> Result<()> {
        self.i31_get(0)
    }

    /// `ref.eq`: references are equal exactly when their bits are.
    pub(super) fn visit_ref_eq(&mut self) -> Result<()> {
        self.binary(BinOp::I64Eq)
    }

    /// A cast target and the flags for casting to `hty` (`nullable` when null matches).
    pub(super) fn cast_target(&self, hty: HeapType, nullable: bool) -> (u8, u32) {
        use spindle_decode::AbstractHeapType as A;
        use spindle_ir::cast;
        let (target, hierarchy) = match hty {
            HeapType::Abstract(a) => (
                cast::ABSTRACT | a as u32,
                match a {
                    A::Func | A::NoFunc => cast::FUNC,
                    A::Exn | A::NoExn => cast::EXN,
                    _ => cast::ANY,
                },
            ),
            HeapType::Concrete(x) | HeapType::Exact(x) => (
                self.type_ids[x as usize],
                match self.ctx.types.get(x).map(|t| &t.composite) {
                    Some(CompositeType::Func(_)) => cast::FUNC,
                    _ => cast::ANY,
                } | if matches!(hty, HeapType::Exact(_)) {
                    cast::EXACT
                } else {
                    0
                },
            ),
        };
        (
            hierarchy | if nullable { cast::NULLABLE } else { 0 },
            target,
        )
    }

    pub(super) fn ref_test(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        let (flags, target) = self.cast_target(hty, nullable);
        let r = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::RefTest {
            dst,
            r,
            flags,
            target,
        });
        Ok(())
    }

    pub(super) fn visit_ref_test_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty, false)
    }

    pub(super) fn visit_ref_test_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty, true)
    }

    /// `ref.cast`: the reference stays where it is; a mismatch traps.
    pub(super) fn ref_cast(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        let (flags, target) = self.cast_target(hty, nullable);
        let r = self.top_reg()?;
        self.emit(Instr::RefCast { r, flags, target });
        Ok(())
    }

    pub(super) fn visit_ref_cast_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, false)
    }

    pub(super) fn visit_ref_cast_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, true)
    }

    /// `br_on_cast` (or `_fail` when `fail`): branches with the reference (the label's last
    /// value) when it matches (does not match); it stays on the stack either way.
    pub(super) fn br_on_cast(&mut self, cast: spindle_decode::BrOnCast, fail: bool) -> Result<()> {
        use spindle_ir::cast as c;
        let (flags, target) = self.cast_target(cast.to, cast.to_nullable);
        let flags = flags | if fail { c::FAIL } else { 0 };
        let r = self.top_reg()?;
        self.conditional_branch(cast.depth, |to, negated| Instr::BrOnCast {
            r,
            flags: if negated { flags ^ c::FAIL } else { flags },
            target,
            to,
        })
    }

    pub(super) fn visit_br_on_cast(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast(cast, false)
    }

    pub(super) fn visit_br_on_cast_fail(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast(cast, true)
    }

    /// `any.convert_extern` and `extern.convert_any` change no bits (see `spindle_exec::gc`).
    pub(super) fn visit_any_convert_extern(&mut self) -> Result<()> {
        Ok(())
    }

    pub(super) fn visit_extern_convert_any(&mut self) -> Result<()> {
        Ok(())
    }
}
