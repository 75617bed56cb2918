//! GC instructions (structs, arrays, i31, casts) and the custom-descriptors extension.

use spindle_decode::{
    AbstractHeapType as A, BrOnCast, CompositeType, FieldType, HeapType, RefType, StorageType,
    ValType,
};

use super::{FuncValidator, Ty};
use crate::error::{bail, Result};

fn rref(nullable: bool, heap: HeapType) -> ValType {
    ValType::Ref(RefType { nullable, heap })
}

impl<'m> FuncValidator<'m> {
    fn struct_fields(&self, ti: u32) -> Result<&'m [FieldType]> {
        let ctx = self.ctx;
        match ctx.types.get(ti).map(|t| &t.composite) {
            Some(CompositeType::Struct(f)) => Ok(f),
            Some(_) => bail!(self.offset, "type mismatch: type {ti} is not a struct type"),
            None => bail!(self.offset, "unknown type {ti}"),
        }
    }

    fn array_elem(&self, ti: u32) -> Result<FieldType> {
        match self.ctx.types.get(ti).map(|t| &t.composite) {
            Some(CompositeType::Array(f)) => Ok(*f),
            Some(_) => bail!(self.offset, "type mismatch: type {ti} is not an array type"),
            None => bail!(self.offset, "unknown type {ti}"),
        }
    }

    /// The reference type a `new` of type `ti` produces (exact when descriptors are on).
    fn new_ref(&self, ti: u32) -> ValType {
        if self.ctx.features.custom_descriptors {
            rref(false, HeapType::Exact(ti))
        } else {
            rref(false, HeapType::Concrete(ti))
        }
    }

    fn descriptor_of(&self, ti: u32) -> Option<u32> {
        self.ctx.types.get(ti).and_then(|t| t.descriptor)
    }

    fn pop_fields(&mut self, fields: &'m [FieldType]) -> Result<()> {
        for f in fields.iter().rev() {
            self.pop(f.storage.unpacked())?;
        }
        Ok(())
    }

    fn check_defaultable(&self, f: &FieldType) -> Result<()> {
        if !f.storage.unpacked().is_defaultable() {
            bail!(self.offset, "invalid type: field type is not defaultable");
        }
        Ok(())
    }

    pub(super) fn visit_struct_new(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index)?;
        if self.descriptor_of(type_index).is_some() {
            bail!(
                self.offset,
                "type with a descriptor requires a descriptor operand: use struct.new_desc"
            );
        }
        self.pop_fields(fields)?;
        self.push(self.new_ref(type_index));
        Ok(())
    }

    pub(super) fn visit_struct_new_default(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index)?;
        if self.descriptor_of(type_index).is_some() {
            bail!(
                self.offset,
                "type with a descriptor requires a descriptor operand: use struct.new_default_desc"
            );
        }
        for f in fields {
            self.check_defaultable(f)?;
        }
        self.push(self.new_ref(type_index));
        Ok(())
    }

    fn struct_field(&self, ti: u32, field: u32) -> Result<FieldType> {
        let fields = self.struct_fields(ti)?;
        match fields.get(field as usize) {
            Some(f) => Ok(*f),
            None => bail!(self.offset, "unknown field {field} of struct type {ti}"),
        }
    }

    fn check_packed(&self, f: &FieldType, signed_access: bool) -> Result<()> {
        let packed = matches!(f.storage, StorageType::I8 | StorageType::I16);
        if packed != signed_access {
            if packed {
                bail!(
                    self.offset,
                    "type mismatch: packed field requires a _s or _u access"
                );
            }
            bail!(
                self.offset,
                "type mismatch: _s and _u accesses need a packed field"
            );
        }
        Ok(())
    }

    fn struct_get(&mut self, ti: u32, field: u32, packed: bool) -> Result<()> {
        let f = self.struct_field(ti, field)?;
        self.check_packed(&f, packed)?;
        self.pop(rref(true, HeapType::Concrete(ti)))?;
        self.push(f.storage.unpacked());
        Ok(())
    }

    pub(super) fn visit_struct_get(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, false)
    }

    pub(super) fn visit_struct_get_s(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, true)
    }

    pub(super) fn visit_struct_get_u(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, true)
    }

    pub(super) fn visit_struct_set(&mut self, type_index: u32, field: u32) -> Result<()> {
        let f = self.struct_field(type_index, field)?;
        if !f.mutable {
            bail!(self.offset, "field is immutable: cannot set field {field}");
        }
        self.pop(f.storage.unpacked())?;
        self.pop(rref(true, HeapType::Concrete(type_index)))?;
        Ok(())
    }

    pub(super) fn visit_array_new(&mut self, type_index: u32) -> Result<()> {
        let e = self.array_elem(type_index)?;
        self.pop(ValType::I32)?;
        self.pop(e.storage.unpacked())?;
        self.push(self.new_ref(type_index));
        Ok(())
    }

    pub(super) fn visit_array_new_default(&mut self, type_index: u32) -> Result<()> {
        let e = self.array_elem(type_index)?;
        self.check_defaultable(&e)?;
        self.pop(ValType::I32)?;
        self.push(self.new_ref(type_index));
        Ok(())
    }

    pub(super) fn visit_array_new_fixed(&mut self, type_index: u32, len: u32) -> Result<()> {
        let e = self.array_elem(type_index)?.storage.unpacked();
        for _ in 0..len {
            let frame = self.frames.last().expect("a frame is open");
            if frame.unreachable && self.operands.len() <= frame.height {
                // The rest would all be bottom: no need to loop `len` times.
                break;
            }
            self.pop(e)?;
        }
        self.push(self.new_ref(type_index));
        Ok(())
    }

    fn check_numeric_elem(&self, e: &FieldType) -> Result<()> {
        if let StorageType::Val(ValType::Ref(_)) = e.storage {
            bail!(
                self.offset,
                "type mismatch: array element type must be numeric or vector for data segments"
            );
        }
        Ok(())
    }

    fn check_elem_fits(&self, elem: u32, e: &FieldType) -> Result<()> {
        let seg = self.elem_type(elem)?;
        match e.storage {
            StorageType::Val(v) if self.ctx.types.is_sub(ValType::Ref(seg), v) => Ok(()),
            _ => bail!(
                self.offset,
                "type mismatch: elem segment {elem} does not fit the array's elements"
            ),
        }
    }

    pub(super) fn visit_array_new_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let e = self.array_elem(type_index)?;
        self.check_numeric_elem(&e)?;
        self.check_data(data)?;
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.push(self.new_ref(type_index));
        Ok(())
    }

    pub(super) fn visit_array_new_elem(&mut self, type_index: u32, elem: u32) -> Result<()> {
        let e = self.array_elem(type_index)?;
        self.check_elem_fits(elem, &e)?;
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.push(self.new_ref(type_index));
        Ok(())
    }

    fn array_get(&mut self, ti: u32, packed: bool) -> Result<()> {
        let e = self.array_elem(ti)?;
        self.check_packed(&e, packed)?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(ti)))?;
        self.push(e.storage.unpacked());
        Ok(())
    }

    pub(super) fn visit_array_get(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, false)
    }

    pub(super) fn visit_array_get_s(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, true)
    }

    pub(super) fn visit_array_get_u(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, true)
    }

    fn mutable_array(&self, ti: u32) -> Result<FieldType> {
        let e = self.array_elem(ti)?;
        if !e.mutable {
            bail!(
                self.offset,
                "array is immutable: cannot modify array type {ti}"
            );
        }
        Ok(e)
    }

    pub(super) fn visit_array_set(&mut self, type_index: u32) -> Result<()> {
        let e = self.mutable_array(type_index)?;
        self.pop(e.storage.unpacked())?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(type_index)))?;
        Ok(())
    }

    pub(super) fn visit_array_len(&mut self) -> Result<()> {
        self.pop(rref(true, HeapType::Abstract(A::Array)))?;
        self.push(ValType::I32);
        Ok(())
    }

    pub(super) fn visit_array_fill(&mut self, type_index: u32) -> Result<()> {
        let e = self.mutable_array(type_index)?;
        self.pop(ValType::I32)?;
        self.pop(e.storage.unpacked())?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(type_index)))?;
        Ok(())
    }

    pub(super) fn visit_array_copy(&mut self, dst_type: u32, src_type: u32) -> Result<()> {
        let d = self.mutable_array(dst_type)?;
        let s = self.array_elem(src_type)?;
        let fits = match (s.storage, d.storage) {
            (StorageType::Val(a), StorageType::Val(b)) => self.ctx.types.is_sub(a, b),
            (a, b) => a == b,
        };
        if !fits {
            bail!(
                self.offset,
                "type mismatch: array.copy source elements do not fit the destination"
            );
        }
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(src_type)))?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(dst_type)))?;
        Ok(())
    }

    pub(super) fn visit_array_init_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let e = self.mutable_array(type_index)?;
        self.check_numeric_elem(&e)?;
        self.check_data(data)?;
        self.pop_array_init(type_index)
    }

    pub(super) fn visit_array_init_elem(&mut self, type_index: u32, elem: u32) -> Result<()> {
        let e = self.mutable_array(type_index)?;
        self.check_elem_fits(elem, &e)?;
        self.pop_array_init(type_index)
    }

    fn pop_array_init(&mut self, ti: u32) -> Result<()> {
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.pop(ValType::I32)?;
        self.pop(rref(true, HeapType::Concrete(ti)))?;
        Ok(())
    }

    /// Pops the operand of a cast to `hty`: any reference of the same hierarchy.
    fn pop_cast_operand(&mut self, hty: HeapType) -> Result<Option<RefType>> {
        self.check_heap_type(hty)?;
        let top = self.ctx.types.top_of(hty);
        match self.pop(rref(true, HeapType::Abstract(top)))? {
            Ty::Val(ValType::Ref(r)) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    fn ref_test(&mut self, hty: HeapType) -> Result<()> {
        self.pop_cast_operand(hty)?;
        self.push(ValType::I32);
        Ok(())
    }

    fn ref_cast(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        self.pop_cast_operand(hty)?;
        self.push(rref(nullable, hty));
        Ok(())
    }

    pub(super) fn visit_ref_test_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty)
    }

    pub(super) fn visit_ref_test_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty)
    }

    pub(super) fn visit_ref_cast_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, false)
    }

    pub(super) fn visit_ref_cast_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, true)
    }

    /// `br_on_cast` and friends: `on_fail` branches when the cast fails; `desc` pops a
    /// descriptor operand first.
    fn br_on_cast_common(&mut self, cast: BrOnCast, on_fail: bool, desc: bool) -> Result<()> {
        self.check_heap_type(cast.from)?;
        self.check_heap_type(cast.to)?;
        let from = RefType {
            nullable: cast.from_nullable,
            heap: cast.from,
        };
        let to = RefType {
            nullable: cast.to_nullable,
            heap: cast.to,
        };
        let related = if self.ctx.features.custom_descriptors {
            // Custom descriptors relax the rule: the target need only share the hierarchy.
            self.ctx.types.top_of(to.heap) == self.ctx.types.top_of(from.heap)
        } else {
            self.ctx.types.is_sub_ref(to, from)
        };
        if !related {
            bail!(
                self.offset,
                "type mismatch: cast target must be a subtype of the source type"
            );
        }
        if desc {
            self.pop_descriptor_for(cast.to)?;
        }
        self.pop(ValType::Ref(from))?;
        let diff = RefType {
            nullable: from.nullable && !to.nullable,
            heap: from.heap,
        };
        let (branch, fallthrough) = if on_fail { (diff, to) } else { (to, diff) };
        let types = self.label(cast.depth)?.label_types();
        let (last, rest) = match types.as_slice().split_last() {
            Some((ValType::Ref(last), rest)) => (*last, rest),
            _ => bail!(
                self.offset,
                "type mismatch: cast branch target must take a reference"
            ),
        };
        if !self.ctx.types.is_sub_ref(branch, last) {
            bail!(
                self.offset,
                "type mismatch: cast branch type does not match the label"
            );
        }
        self.pop_all(rest)?;
        self.push_all(rest);
        self.push(ValType::Ref(fallthrough));
        Ok(())
    }

    pub(super) fn visit_br_on_cast(&mut self, cast: BrOnCast) -> Result<()> {
        self.br_on_cast_common(cast, false, false)
    }

    pub(super) fn visit_br_on_cast_fail(&mut self, cast: BrOnCast) -> Result<()> {
        self.br_on_cast_common(cast, true, false)
    }

    pub(super) fn visit_any_convert_extern(&mut self) -> Result<()> {
        match self.pop(rref(true, HeapType::Abstract(A::Extern)))? {
            Ty::Val(ValType::Ref(r)) => self.push(rref(r.nullable, HeapType::Abstract(A::Any))),
            // Unknown input: the result is still an `any` reference (non-null is the most
            // permissive choice).
            _ => self.push(rref(false, HeapType::Abstract(A::Any))),
        }
        Ok(())
    }

    pub(super) fn visit_extern_convert_any(&mut self) -> Result<()> {
        match self.pop(rref(true, HeapType::Abstract(A::Any)))? {
            Ty::Val(ValType::Ref(r)) => self.push(rref(r.nullable, HeapType::Abstract(A::Extern))),
            _ => self.push(rref(false, HeapType::Abstract(A::Extern))),
        }
        Ok(())
    }

    pub(super) fn visit_ref_i31(&mut self) -> Result<()> {
        self.pop(ValType::I32)?;
        self.push(rref(false, HeapType::Abstract(A::I31)));
        Ok(())
    }

    fn i31_get(&mut self) -> Result<()> {
        self.pop(rref(true, HeapType::Abstract(A::I31)))?;
        self.push(ValType::I32);
        Ok(())
    }

    pub(super) fn visit_i31_get_s(&mut self) -> Result<()> {
        self.i31_get()
    }

    pub(super) fn visit_i31_get_u(&mut self) -> Result<()> {
        self.i31_get()
    }

    // ----- custom descriptors -----

    fn descriptor_required(&self, ti: u32) -> Result<u32> {
        match self.descriptor_of(ti) {
            Some(d) => Ok(d),
            None => bail!(self.offset, "type {ti} has no descriptor"),
        }
    }

    /// Pops the descriptor operand for a cast to `hty` (exact when the target is).
    fn pop_descriptor_for(&mut self, hty: HeapType) -> Result<()> {
        let (ti, exact) = match hty {
            HeapType::Concrete(i) => (i, false),
            HeapType::Exact(i) => (i, true),
            HeapType::Abstract(_) => bail!(
                self.offset,
                "type mismatch: descriptor casts need a concrete target type"
            ),
        };
        let d = self.descriptor_required(ti)?;
        let heap = if exact {
            HeapType::Exact(d)
        } else {
            HeapType::Concrete(d)
        };
        self.pop(rref(true, heap))?;
        Ok(())
    }

    pub(super) fn visit_struct_new_desc(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index)?;
        let d = self.descriptor_required(type_index)?;
        self.pop(rref(true, HeapType::Exact(d)))?;
        self.pop_fields(fields)?;
        self.push(rref(false, HeapType::Exact(type_index)));
        Ok(())
    }

    pub(super) fn visit_struct_new_default_desc(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index)?;
        let d = self.descriptor_required(type_index)?;
        for f in fields {
            self.check_defaultable(f)?;
        }
        self.pop(rref(true, HeapType::Exact(d)))?;
        self.push(rref(false, HeapType::Exact(type_index)));
        Ok(())
    }

    pub(super) fn visit_ref_get_desc(&mut self, type_index: u32) -> Result<()> {
        self.struct_fields(type_index)?;
        let d = self.descriptor_required(type_index)?;
        let popped = self.pop(rref(true, HeapType::Concrete(type_index)))?;
        // Only exact inputs of the inspected type (or bottom) give exact descriptors.
        let exact = match popped {
            Ty::Bot | Ty::BotRef => true,
            Ty::Val(ValType::Ref(RefType {
                heap: HeapType::Exact(i),
                ..
            })) => self.ctx.types.same(i, type_index),
            Ty::Val(ValType::Ref(RefType {
                heap: HeapType::Abstract(A::None),
                ..
            })) => true,
            Ty::Val(_) => false,
        };
        let heap = if exact {
            HeapType::Exact(d)
        } else {
            HeapType::Concrete(d)
        };
        self.push(rref(false, heap));
        Ok(())
    }

    fn ref_cast_desc(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        self.check_heap_type(hty)?;
        self.pop_descriptor_for(hty)?;
        self.pop_cast_operand(hty)?;
        self.push(rref(nullable, hty));
        Ok(())
    }

    pub(super) fn visit_ref_cast_desc_eq_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast_desc(hty, false)
    }

    pub(super) fn visit_ref_cast_desc_eq_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast_desc(hty, true)
    }

    pub(super) fn visit_br_on_cast_desc_eq(&mut self, cast: BrOnCast) -> Result<()> {
        self.br_on_cast_common(cast, false, true)
    }

    pub(super) fn visit_br_on_cast_desc_eq_fail(&mut self, cast: BrOnCast) -> Result<()> {
        self.br_on_cast_common(cast, true, true)
    }
}
