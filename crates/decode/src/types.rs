//! Types of the core binary format (Wasm 3.0, with GC and the custom-descriptors extension)
//! and their decoders.
//!
//! Concrete heap types hold a module type index. Canonical identity (rec-group equivalence)
//! is the validator's business, not the decoder's.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::error::{DecodeError, Result};
use crate::limits;
use crate::reader::BinaryReader;

/// A value type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref(RefType),
}

/// A reference type: nullability plus heap type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

/// The abstract heap types.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AbstractHeapType {
    Func,
    NoFunc,
    Extern,
    NoExtern,
    Any,
    Eq,
    I31,
    Struct,
    Array,
    None,
    Exn,
    NoExn,
}

/// A heap type: abstract, or a type index of the module (optionally `exact`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum HeapType {
    Abstract(AbstractHeapType),
    /// `$t`: any subtype of the module's type `$t`.
    Concrete(u32),
    /// `exact $t` (custom descriptors): exactly type `$t`, no proper subtype.
    Exact(u32),
}

impl RefType {
    pub const FUNCREF: RefType = RefType::null(AbstractHeapType::Func);
    pub const EXTERNREF: RefType = RefType::null(AbstractHeapType::Extern);
    pub const EXNREF: RefType = RefType::null(AbstractHeapType::Exn);

    /// `(ref null <abstract>)`.
    pub const fn null(ty: AbstractHeapType) -> RefType {
        RefType {
            nullable: true,
            heap: HeapType::Abstract(ty),
        }
    }
}

impl ValType {
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);

    /// Whether the type has a default value (numbers, vectors, nullable references).
    pub fn is_defaultable(self) -> bool {
        match self {
            ValType::Ref(r) => r.nullable,
            _ => true,
        }
    }

    /// The reference type, if this is one.
    pub fn as_ref(self) -> Option<RefType> {
        match self {
            ValType::Ref(r) => Some(r),
            _ => None,
        }
    }
}

impl AbstractHeapType {
    fn name(self) -> &'static str {
        use AbstractHeapType::*;
        match self {
            Func => "func",
            NoFunc => "nofunc",
            Extern => "extern",
            NoExtern => "noextern",
            Any => "any",
            Eq => "eq",
            I31 => "i31",
            Struct => "struct",
            Array => "array",
            None => "none",
            Exn => "exn",
            NoExn => "noexn",
        }
    }

    /// The abstract heap type encoded by `byte`, if any.
    pub fn from_byte(byte: u8) -> Option<AbstractHeapType> {
        use AbstractHeapType::*;
        Some(match byte {
            0x70 => Func,
            0x73 => NoFunc,
            0x6F => Extern,
            0x72 => NoExtern,
            0x6E => Any,
            0x6D => Eq,
            0x6C => I31,
            0x6B => Struct,
            0x6A => Array,
            0x71 => None,
            0x69 => Exn,
            0x74 => NoExn,
            _ => return Option::None,
        })
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Abstract(a) => f.write_str(a.name()),
            HeapType::Concrete(i) => write!(f, "{i}"),
            HeapType::Exact(i) => write!(f, "(exact {i})"),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            write!(f, "(ref null {})", self.heap)
        } else {
            write!(f, "(ref {})", self.heap)
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
    }
}

/// The storage type of a struct field or array element.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum StorageType {
    I8,
    I16,
    Val(ValType),
}

impl StorageType {
    /// The type of the value an access reads or writes (packed types widen to `i32`).
    pub fn unpacked(self) -> ValType {
        match self {
            StorageType::I8 | StorageType::I16 => ValType::I32,
            StorageType::Val(v) => v,
        }
    }

    /// Bytes a value of this type takes in a data segment (`array.new_data`,
    /// `array.init_data`): packed types 1 and 2, references (never read from data) 4.
    pub fn data_bytes(self) -> u8 {
        match self {
            StorageType::I8 => 1,
            StorageType::I16 => 2,
            StorageType::Val(ValType::I64 | ValType::F64) => 8,
            StorageType::Val(ValType::V128) => 16,
            StorageType::Val(_) => 4,
        }
    }
}

/// A struct field or an array's element.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FieldType {
    pub storage: StorageType,
    pub mutable: bool,
}

/// A function type: parameters then results in one allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FuncType {
    params_results: Box<[ValType]>,
    len_params: usize,
}

impl FuncType {
    /// A function type from its parameters and results.
    pub fn new(params: &[ValType], results: &[ValType]) -> FuncType {
        let mut all = Vec::with_capacity(params.len() + results.len());
        all.extend_from_slice(params);
        all.extend_from_slice(results);
        FuncType {
            params_results: all.into_boxed_slice(),
            len_params: params.len(),
        }
    }

    pub fn params(&self) -> &[ValType] {
        &self.params_results[..self.len_params]
    }

    pub fn results(&self) -> &[ValType] {
        &self.params_results[self.len_params..]
    }
}

/// The shape of a defined type.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CompositeType {
    Func(FuncType),
    Struct(Box<[FieldType]>),
    Array(FieldType),
}

/// A defined type with its subtyping declaration.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SubType {
    pub is_final: bool,
    /// Declared supertypes (validation allows at most one).
    pub supertypes: Box<[u32]>,
    pub composite: CompositeType,
    /// `descriptor $t` (custom descriptors).
    pub descriptor: Option<u32>,
    /// `describes $t` (custom descriptors).
    pub describes: Option<u32>,
}

/// A recursion group: the unit in which types are defined and compared.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecGroup {
    /// Absolute byte offset of the group, for errors.
    pub offset: usize,
    /// Whether the group was written with `rec` (an implicit group holds one type).
    pub explicit: bool,
    pub types: Vec<SubType>,
}

/// Limits shared by memories and tables.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Limits {
    pub initial: u64,
    pub maximum: Option<u64>,
}

/// A table's type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TableType {
    pub element: RefType,
    pub table64: bool,
    pub shared: bool,
    pub limits: Limits,
}

/// A memory's type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct MemoryType {
    pub memory64: bool,
    pub shared: bool,
    pub limits: Limits,
    /// log2 of the page size when given explicitly (custom page sizes); 16 otherwise.
    pub page_size_log2: Option<u32>,
}

impl MemoryType {
    /// A 32-bit memory of `minimum` to `maximum` 64 KiB pages (wasmtime's constructor).
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            memory64: false,
            shared: false,
            limits: Limits {
                initial: minimum.into(),
                maximum: maximum.map(Into::into),
            },
            page_size_log2: None,
        }
    }

    /// A 64-bit memory of `minimum` to `maximum` 64 KiB pages.
    pub fn new64(minimum: u64, maximum: Option<u64>) -> MemoryType {
        MemoryType {
            memory64: true,
            limits: Limits {
                initial: minimum,
                maximum,
            },
            ..MemoryType::new(0, None)
        }
    }

    /// A shared 32-bit memory (threads) of `minimum` to `maximum` pages.
    pub fn shared(minimum: u32, maximum: u32) -> MemoryType {
        MemoryType {
            shared: true,
            ..MemoryType::new(minimum, Some(maximum))
        }
    }

    /// log2 of the page size in bytes.
    pub fn page_size_log2(&self) -> u32 {
        self.page_size_log2.unwrap_or(16)
    }

    /// The minimum size in pages.
    pub fn minimum(&self) -> u64 {
        self.limits.initial
    }

    /// The maximum size in pages, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.limits.maximum
    }

    /// Whether addresses are 64-bit.
    pub fn is_64(&self) -> bool {
        self.memory64
    }
}

impl TableType {
    /// A 32-bit table of `element` references, `minimum` to `maximum` elements (wasmtime's
    /// constructor).
    pub fn new(element: RefType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            table64: false,
            shared: false,
            limits: Limits {
                initial: minimum.into(),
                maximum: maximum.map(Into::into),
            },
        }
    }

    /// The element type.
    pub fn element(&self) -> RefType {
        self.element
    }

    /// The minimum number of elements.
    pub fn minimum(&self) -> u64 {
        self.limits.initial
    }

    /// The maximum number of elements, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.limits.maximum
    }
}

/// Whether a global can be set (wasmtime's name).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mutability {
    /// Immutable.
    Const,
    /// Mutable.
    Var,
}

impl GlobalType {
    /// A global holding `content`.
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutable: mutability == Mutability::Var,
            shared: false,
        }
    }

    /// The value type.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// Whether it can be set.
    pub fn mutability(&self) -> Mutability {
        if self.mutable {
            Mutability::Var
        } else {
            Mutability::Const
        }
    }
}

/// A global's type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct GlobalType {
    pub content: ValType,
    pub mutable: bool,
    pub shared: bool,
}

/// An exception tag's type: an index of a function type (its results must be empty).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TagType {
    pub func_type: u32,
}

/// The type of a block, loop, if or try_table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum BlockType {
    Empty,
    Value(ValType),
    /// A function type index: parameters and results.
    Func(u32),
}

impl<'a> BinaryReader<'a> {
    /// A heap type (after any `0x63`/`0x64` prefix).
    pub fn read_heap_type(&mut self) -> Result<HeapType> {
        let at = self.offset();
        let b = self.peek_u8()?;
        if let Some(a) = AbstractHeapType::from_byte(b) {
            self.read_u8()?;
            return Ok(HeapType::Abstract(a));
        }
        if b == 0x62 {
            self.read_u8()?;
            let idx = self.read_type_index()?;
            return Ok(HeapType::Exact(idx));
        }
        let v = self.read_var_s33()?;
        if v < 0 {
            return Err(DecodeError::new(at, "malformed heap type"));
        }
        if v as u64 >= limits::MAX_TYPES as u64 {
            return Err(DecodeError::new(at, "type index too large"));
        }
        Ok(HeapType::Concrete(v as u32))
    }

    fn read_type_index(&mut self) -> Result<u32> {
        let at = self.offset();
        let idx = self.read_var_u32()?;
        if idx as usize >= limits::MAX_TYPES {
            return Err(DecodeError::new(at, "type index too large"));
        }
        Ok(idx)
    }

    /// A reference type, in short or long form.
    pub fn read_ref_type(&mut self) -> Result<RefType> {
        let at = self.offset();
        let b = self.read_u8()?;
        match b {
            0x63 | 0x64 => Ok(RefType {
                nullable: b == 0x63,
                heap: self.read_heap_type()?,
            }),
            _ => match AbstractHeapType::from_byte(b) {
                Some(a) => Ok(RefType::null(a)),
                None => Err(DecodeError::new(at, "malformed reference type")),
            },
        }
    }

    /// A value type.
    pub fn read_val_type(&mut self) -> Result<ValType> {
        let at = self.offset();
        let b = self.peek_u8()?;
        let t = match b {
            0x7F => ValType::I32,
            0x7E => ValType::I64,
            0x7D => ValType::F32,
            0x7C => ValType::F64,
            0x7B => ValType::V128,
            0x63 | 0x64 => return Ok(ValType::Ref(self.read_ref_type()?)),
            _ => match AbstractHeapType::from_byte(b) {
                Some(a) => ValType::Ref(RefType::null(a)),
                None => return Err(DecodeError::new(at, "malformed value type")),
            },
        };
        self.read_u8()?;
        Ok(t)
    }

    /// A vector of value types of at most `limit` entries.
    pub fn read_val_types(&mut self, limit: usize, what: &str) -> Result<Vec<ValType>> {
        let n = self.read_count(limit, what)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.read_val_type()?);
        }
        Ok(v)
    }

    /// A block type: empty, one value type, or a type index (s33).
    pub fn read_block_type(&mut self) -> Result<BlockType> {
        let at = self.offset();
        let b = self.peek_u8()?;
        if b == 0x40 {
            self.read_u8()?;
            return Ok(BlockType::Empty);
        }
        // Value types are single negative bytes (or 0x63/0x64 prefixed), which as s33 are
        // negative; a non-negative s33 is a type index.
        if b & 0x80 == 0 && b & 0x40 != 0 {
            return Ok(BlockType::Value(self.read_val_type()?));
        }
        let v = self.read_var_s33()?;
        if v < 0 {
            return Err(DecodeError::new(at, "malformed block type"));
        }
        if v as u64 >= limits::MAX_TYPES as u64 {
            return Err(DecodeError::new(at, "type index too large"));
        }
        Ok(BlockType::Func(v as u32))
    }

    fn read_storage_type(&mut self) -> Result<StorageType> {
        match self.peek_u8()? {
            0x78 => {
                self.read_u8()?;
                Ok(StorageType::I8)
            }
            0x77 => {
                self.read_u8()?;
                Ok(StorageType::I16)
            }
            _ => Ok(StorageType::Val(self.read_val_type()?)),
        }
    }

    fn read_field_type(&mut self) -> Result<FieldType> {
        let storage = self.read_storage_type()?;
        let at = self.offset();
        let mutable = match self.read_u8()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::new(at, "malformed mutability")),
        };
        Ok(FieldType { storage, mutable })
    }

    /// A function type's body (after `0x60`).
    pub fn read_func_type(&mut self) -> Result<FuncType> {
        let params = self.read_val_types(limits::MAX_PARAMS, "parameter")?;
        let results = self.read_val_types(limits::MAX_PARAMS, "result")?;
        Ok(FuncType::new(&params, &results))
    }

    fn read_composite_type(
        &mut self,
        first: u8,
    ) -> Result<(CompositeType, Option<u32>, Option<u32>)> {
        let mut opcode = first;
        let mut describes = None;
        let mut descriptor = None;
        if opcode == 0x4C {
            describes = Some(self.read_type_index()?);
            opcode = self.read_u8()?;
        }
        if opcode == 0x4D {
            descriptor = Some(self.read_type_index()?);
            opcode = self.read_u8()?;
        }
        let at = self.offset() - 1;
        let composite = match opcode {
            0x60 => CompositeType::Func(self.read_func_type()?),
            0x5F => {
                let n = self.read_count(limits::MAX_STRUCT_FIELDS, "struct field")?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    fields.push(self.read_field_type()?);
                }
                CompositeType::Struct(fields.into_boxed_slice())
            }
            0x5E => CompositeType::Array(self.read_field_type()?),
            _ => crate::bail!(at, "malformed composite type: unknown form 0x{opcode:02x}"),
        };
        Ok((composite, describes, descriptor))
    }

    fn read_sub_type(&mut self) -> Result<SubType> {
        let first = self.read_u8()?;
        match first {
            0x50 | 0x4F => {
                let n = self.read_count(limits::MAX_SUPERTYPES, "supertype")?;
                let mut supertypes = Vec::with_capacity(n);
                for _ in 0..n {
                    supertypes.push(self.read_type_index()?);
                }
                let b = self.read_u8()?;
                let (composite, describes, descriptor) = self.read_composite_type(b)?;
                Ok(SubType {
                    is_final: first == 0x4F,
                    supertypes: supertypes.into_boxed_slice(),
                    composite,
                    descriptor,
                    describes,
                })
            }
            _ => {
                let (composite, describes, descriptor) = self.read_composite_type(first)?;
                Ok(SubType {
                    is_final: true,
                    supertypes: Box::new([]),
                    composite,
                    descriptor,
                    describes,
                })
            }
        }
    }

    /// A recursion group (explicit `rec` or a single sub type).
    pub fn read_rec_group(&mut self) -> Result<RecGroup> {
        let offset = self.offset();
        if self.peek_u8()? == 0x4E {
            self.read_u8()?;
            let n = self.read_count(limits::MAX_REC_GROUP_SIZE, "rec group type")?;
            let mut types = Vec::with_capacity(n);
            for _ in 0..n {
                types.push(self.read_sub_type()?);
            }
            Ok(RecGroup {
                offset,
                explicit: true,
                types,
            })
        } else {
            Ok(RecGroup {
                offset,
                explicit: false,
                types: alloc::vec![self.read_sub_type()?],
            })
        }
    }

    fn read_limits(&mut self, flags: u8, is64: bool) -> Result<Limits> {
        let initial = if is64 {
            self.read_var_u64()?
        } else {
            self.read_var_u32()? as u64
        };
        let maximum = if flags & 0x01 != 0 {
            Some(if is64 {
                self.read_var_u64()?
            } else {
                self.read_var_u32()? as u64
            })
        } else {
            None
        };
        Ok(Limits { initial, maximum })
    }

    /// A table type: reference type, then limits with flags (bit 0: max, bit 1: shared,
    /// bit 2: 64-bit index).
    pub fn read_table_type(&mut self) -> Result<TableType> {
        let element = self.read_ref_type()?;
        let at = self.offset();
        let flags = self.read_u8()?;
        if flags & !0x07 != 0 {
            crate::bail!(at, "malformed limits flags 0x{flags:02x}");
        }
        let table64 = flags & 0x04 != 0;
        let limits = self.read_limits(flags, table64)?;
        Ok(TableType {
            element,
            table64,
            shared: flags & 0x02 != 0,
            limits,
        })
    }

    /// A memory type: flags (bit 0: max, bit 1: shared, bit 2: 64-bit, bit 3: custom page
    /// size), limits, and the page size's log2 when bit 3 is set.
    pub fn read_memory_type(&mut self) -> Result<MemoryType> {
        let at = self.offset();
        let flags = self.read_u8()?;
        if flags & !0x0F != 0 {
            crate::bail!(at, "malformed limits flags 0x{flags:02x}");
        }
        let memory64 = flags & 0x04 != 0;
        let limits = self.read_limits(flags, memory64)?;
        let page_size_log2 = if flags & 0x08 != 0 {
            let at = self.offset();
            let p = self.read_var_u32()?;
            if p > 64 {
                crate::bail!(at, "malformed custom page size");
            }
            Some(p)
        } else {
            None
        };
        Ok(MemoryType {
            memory64,
            shared: flags & 0x02 != 0,
            limits,
            page_size_log2,
        })
    }

    /// A global type: value type and mutability (bit 0: mutable, bit 1: shared).
    pub fn read_global_type(&mut self) -> Result<GlobalType> {
        let content = self.read_val_type()?;
        let at = self.offset();
        let flags = self.read_u8()?;
        if flags & !0x01 != 0 {
            crate::bail!(at, "malformed mutability");
        }
        Ok(GlobalType {
            content,
            mutable: flags & 1 != 0,
            shared: false,
        })
    }

    /// A tag type: attribute 0 and a function type index.
    pub fn read_tag_type(&mut self) -> Result<TagType> {
        let at = self.offset();
        if self.read_u8()? != 0 {
            return Err(DecodeError::new(at, "malformed tag attribute"));
        }
        Ok(TagType {
            func_type: self.read_var_u32()?,
        })
    }
}
