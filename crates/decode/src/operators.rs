//! The one table of every operator, and what is generated from it.
//!
//! [`for_each_operator!`] lists every opcode of WebAssembly 3.0 and of the proposals in the
//! official test suite, one line each:
//!
//! ```text
//! Proposal  prefix code  Name  visit_name  { immediate: Type, ... }  [validation]
//! ```
//!
//! * `Proposal`: the [`Proposal`] that introduced the operator (feature-gated by validators).
//! * `prefix`: `0x00` for single-byte opcodes, else `0xFB`..`0xFE`; `code` follows the prefix
//!   as a LEB128 `u32`.
//! * `{ immediates }`: decoded in order by [`Immediate::read`].
//! * `[validation]`: the operator's typing, which validators use instead of hand-written code:
//!   - `[A B -> C]`: pops `A B` (`B` on top), pushes `C`; types are `I32 I64 F32 F64 V128`;
//!   - `[mem N A.. -> R..]`: a memory access of natural alignment `2^N`: the address (typed by
//!     the memory's index type) and then `A..` are popped;
//!   - `[atomic N A.. -> R..]`: the same, but the alignment must be exactly `2^N`;
//!   - `[lane L A.. -> R..]`: as `[A.. -> R..]` with a lane index below `L`;
//!   - `[lane_mem N L A.. -> R..]`: a memory access that also has a lane index below `L`;
//!   - `[custom]`: typed by hand-written code in the validator.
//!
//! From the table, [`Opcode`] (an enum with a `name`, the `proposal` and `is_constant`
//! queries), the [`VisitOperator`] trait (one method per operator) and [`read_operator`]
//! (decodes one operator and calls the visitor) are generated here; validators and
//! translators generate their visitor implementations from the same table.

use alloc::vec::Vec;

use crate::error::{DecodeError, Result};
use crate::limits;
use crate::reader::BinaryReader;
use crate::types::{BlockType, HeapType, ValType};

/// The proposal (or Wasm version) an operator belongs to, for feature gating.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proposal {
    Mvp,
    SignExt,
    SatConv,
    Bulk,
    RefTypes,
    Simd,
    RelaxedSimd,
    Threads,
    TailCall,
    FuncRefs,
    Gc,
    Exceptions,
    WideArith,
    CustomDesc,
    /// 64-bit memories and tables (no operator of its own: it widens addresses).
    Memory64,
    /// More than one memory (no operator of its own: memory indices in immediates).
    MultiMemory,
}

/// A memory access's immediate: alignment (log2), memory index and offset.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemArg {
    /// log2 of the alignment hint.
    pub align: u8,
    /// Whether the memory index was given explicitly (flag bit 6, multi-memory).
    pub explicit_memory: bool,
    /// Whether the offset was encoded as a valid 32-bit LEB128 (at most 5 bytes, below 2^32),
    /// as it must be without memory64.
    pub offset_is_u32: bool,
    pub memory: u32,
    pub offset: u64,
}

/// `br_table`'s targets: kept as bytes and decoded on demand, so no allocation is sized by
/// the (untrusted) target count.
#[derive(Clone, Copy, Debug)]
pub struct BrTable<'a> {
    reader: BinaryReader<'a>,
    count: u32,
    default: u32,
}

impl<'a> BrTable<'a> {
    /// Number of targets, not counting the default.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether there are no targets but the default.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The default target.
    pub fn default(&self) -> u32 {
        self.default
    }

    /// The targets (not the default), in order.
    pub fn targets(&self) -> BrTableTargets<'a> {
        BrTableTargets {
            reader: self.reader,
            left: self.count,
        }
    }
}

/// Iterator over the targets of a [`BrTable`].
#[derive(Clone, Debug)]
pub struct BrTableTargets<'a> {
    reader: BinaryReader<'a>,
    left: u32,
}

impl Iterator for BrTableTargets<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The bytes were read once already when the immediate was decoded: they are valid.
        self.reader.read_var_u32().ok()
    }
}

/// One catch clause of `try_table`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Catch {
    /// `catch $tag $label`
    One { tag: u32, label: u32 },
    /// `catch_ref $tag $label`
    OneRef { tag: u32, label: u32 },
    /// `catch_all $label`
    All { label: u32 },
    /// `catch_all_ref $label`
    AllRef { label: u32 },
}

/// `try_table`'s immediate: block type and catch clauses.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TryTable {
    pub ty: BlockType,
    pub catches: Vec<Catch>,
}

/// The immediate of `br_on_cast`, `br_on_cast_fail` and their descriptor forms.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BrOnCast {
    pub depth: u32,
    pub from_nullable: bool,
    pub from: HeapType,
    pub to_nullable: bool,
    pub to: HeapType,
}

/// The type annotation of a typed `select`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SelectType(pub ValType);

/// An `f32` constant, as bits (so NaN payloads survive).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ieee32(pub u32);

/// An `f64` constant, as bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ieee64(pub u64);

/// A `v128` constant, little-endian bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct V128(pub [u8; 16]);

/// `i8x16.shuffle`'s sixteen lane indices.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Shuffle(pub [u8; 16]);

/// A memory or table index that older encodings fixed to the single byte `0x00`
/// (`memory.size`, `memory.grow`, `call_indirect`): validators without multi-memory or
/// reference types require that exact byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CompactIndex {
    pub index: u32,
    /// Whether the index was encoded as the single byte `0x00`.
    pub is_zero_byte: bool,
}

impl<'a> Immediate<'a> for CompactIndex {
    #[inline]
    fn read(r: &mut BinaryReader<'a>) -> Result<CompactIndex> {
        let is_zero_byte = r.peek_u8()? == 0;
        let index = r.read_var_u32()?;
        Ok(CompactIndex {
            index,
            is_zero_byte,
        })
    }
}

/// A reserved byte that must be zero (`atomic.fence`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ZeroByte;

/// An immediate operand that can be decoded from the operator stream.
pub trait Immediate<'a>: Sized {
    fn read(reader: &mut BinaryReader<'a>) -> Result<Self>;
}

impl<'a> Immediate<'a> for u32 {
    #[inline(always)]
    fn read(r: &mut BinaryReader<'a>) -> Result<u32> {
        r.read_var_u32()
    }
}

impl<'a> Immediate<'a> for u8 {
    #[inline]
    fn read(r: &mut BinaryReader<'a>) -> Result<u8> {
        r.read_u8()
    }
}

impl<'a> Immediate<'a> for i32 {
    #[inline(always)]
    fn read(r: &mut BinaryReader<'a>) -> Result<i32> {
        r.read_var_i32()
    }
}

impl<'a> Immediate<'a> for i64 {
    #[inline]
    fn read(r: &mut BinaryReader<'a>) -> Result<i64> {
        r.read_var_i64()
    }
}

impl<'a> Immediate<'a> for Ieee32 {
    fn read(r: &mut BinaryReader<'a>) -> Result<Ieee32> {
        r.read_u32_le().map(Ieee32)
    }
}

impl<'a> Immediate<'a> for Ieee64 {
    fn read(r: &mut BinaryReader<'a>) -> Result<Ieee64> {
        r.read_u64_le().map(Ieee64)
    }
}

fn read_16_bytes(r: &mut BinaryReader<'_>) -> Result<[u8; 16]> {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(r.read_bytes(16)?);
    Ok(bytes)
}

impl<'a> Immediate<'a> for V128 {
    fn read(r: &mut BinaryReader<'a>) -> Result<V128> {
        read_16_bytes(r).map(V128)
    }
}

impl<'a> Immediate<'a> for Shuffle {
    fn read(r: &mut BinaryReader<'a>) -> Result<Shuffle> {
        read_16_bytes(r).map(Shuffle)
    }
}

impl<'a> Immediate<'a> for ZeroByte {
    fn read(r: &mut BinaryReader<'a>) -> Result<ZeroByte> {
        let at = r.offset();
        match r.read_u8()? {
            0 => Ok(ZeroByte),
            _ => Err(DecodeError::new(
                at,
                "malformed reserved byte: zero byte expected",
            )),
        }
    }
}

impl<'a> Immediate<'a> for BlockType {
    #[inline]
    fn read(r: &mut BinaryReader<'a>) -> Result<BlockType> {
        r.read_block_type()
    }
}

impl<'a> Immediate<'a> for HeapType {
    fn read(r: &mut BinaryReader<'a>) -> Result<HeapType> {
        r.read_heap_type()
    }
}

impl<'a> Immediate<'a> for MemArg {
    #[inline(always)]
    fn read(r: &mut BinaryReader<'a>) -> Result<MemArg> {
        // Fast path: alignment and offset of one byte each, memory 0 (the common case).
        let bytes = r.remaining_bytes();
        if let [flags, offset, ..] = *bytes {
            if flags < 0x40 && offset < 0x80 {
                r.skip(2)?;
                return Ok(MemArg {
                    align: flags,
                    explicit_memory: false,
                    offset_is_u32: true,
                    memory: 0,
                    offset: offset as u64,
                });
            }
        }
        Self::read_slow(r)
    }
}

impl MemArg {
    #[inline(never)]
    fn read_slow(r: &mut BinaryReader<'_>) -> Result<MemArg> {
        let at = r.offset();
        let flags = r.read_var_u32()?;
        if flags >= 1 << 7 {
            return Err(DecodeError::new(at, "malformed memop flags"));
        }
        let memory = if flags & (1 << 6) != 0 {
            r.read_var_u32()?
        } else {
            0
        };
        let offset_at = r.offset();
        let offset = r.read_var_u64()?;
        let offset_is_u32 = r.offset() - offset_at <= 5 && offset <= u32::MAX as u64;
        Ok(MemArg {
            align: (flags & 0x3F) as u8,
            explicit_memory: flags & (1 << 6) != 0,
            offset_is_u32,
            memory,
            offset,
        })
    }
}

impl<'a> Immediate<'a> for BrTable<'a> {
    fn read(r: &mut BinaryReader<'a>) -> Result<BrTable<'a>> {
        let count = r.read_count(limits::MAX_BR_TABLE_TARGETS, "br_table target")? as u32;
        let start = *r;
        for _ in 0..count {
            r.read_var_u32()?;
        }
        let default = r.read_var_u32()?;
        Ok(BrTable {
            reader: start,
            count,
            default,
        })
    }
}

impl<'a> Immediate<'a> for TryTable {
    fn read(r: &mut BinaryReader<'a>) -> Result<TryTable> {
        let ty = r.read_block_type()?;
        let n = r.read_count(limits::MAX_CATCHES, "catch")?;
        let mut catches = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.offset();
            let catch = match r.read_u8()? {
                0 => Catch::One {
                    tag: r.read_var_u32()?,
                    label: r.read_var_u32()?,
                },
                1 => Catch::OneRef {
                    tag: r.read_var_u32()?,
                    label: r.read_var_u32()?,
                },
                2 => Catch::All {
                    label: r.read_var_u32()?,
                },
                3 => Catch::AllRef {
                    label: r.read_var_u32()?,
                },
                k => crate::bail!(at, "malformed catch clause kind 0x{k:02x}"),
            };
            catches.push(catch);
        }
        Ok(TryTable { ty, catches })
    }
}

impl<'a> Immediate<'a> for BrOnCast {
    fn read(r: &mut BinaryReader<'a>) -> Result<BrOnCast> {
        let at = r.offset();
        let flags = r.read_u8()?;
        if flags > 3 {
            crate::bail!(at, "malformed cast flags 0x{flags:02x}");
        }
        let depth = r.read_var_u32()?;
        let from = r.read_heap_type()?;
        let to = r.read_heap_type()?;
        Ok(BrOnCast {
            depth,
            from_nullable: flags & 1 != 0,
            from,
            to_nullable: flags & 2 != 0,
            to,
        })
    }
}

impl<'a> Immediate<'a> for SelectType {
    fn read(r: &mut BinaryReader<'a>) -> Result<SelectType> {
        let at = r.offset();
        let n = r.read_var_u32()?;
        if n != 1 {
            return Err(DecodeError::new(
                at,
                "invalid result arity for typed select",
            ));
        }
        r.read_val_type().map(SelectType)
    }
}

/// Calls macro `$m` with the operator table (see the [module docs](self) for its format).
///
/// Other crates generate their visitors from it, e.g.
/// `spindle_decode::for_each_operator!(define_my_visitor);`.
#[macro_export]
macro_rules! for_each_operator {
    ($m:ident) => {
        $m! {
            Mvp         0x00 0x00  Unreachable                   visit_unreachable                         {} [custom]
            Mvp         0x00 0x01  Nop                           visit_nop                                 {} [->]
            Mvp         0x00 0x02  Block                         visit_block                               { blockty: $crate::BlockType } [custom]
            Mvp         0x00 0x03  Loop                          visit_loop                                { blockty: $crate::BlockType } [custom]
            Mvp         0x00 0x04  If                            visit_if                                  { blockty: $crate::BlockType } [custom]
            Mvp         0x00 0x05  Else                          visit_else                                {} [custom]
            Exceptions  0x00 0x08  Throw                         visit_throw                               { tag: u32 } [custom]
            Exceptions  0x00 0x0A  ThrowRef                      visit_throw_ref                           {} [custom]
            Mvp         0x00 0x0B  End                           visit_end                                 {} [custom]
            Mvp         0x00 0x0C  Br                            visit_br                                  { depth: u32 } [custom]
            Mvp         0x00 0x0D  BrIf                          visit_br_if                               { depth: u32 } [custom]
            Mvp         0x00 0x0E  BrTable                       visit_br_table                            { targets: $crate::BrTable<'a> } [custom]
            Mvp         0x00 0x0F  Return                        visit_return                              {} [custom]
            Mvp         0x00 0x10  Call                          visit_call                                { func: u32 } [custom]
            Mvp         0x00 0x11  CallIndirect                  visit_call_indirect                       { type_index: u32, table: $crate::CompactIndex } [custom]
            TailCall    0x00 0x12  ReturnCall                    visit_return_call                         { func: u32 } [custom]
            TailCall    0x00 0x13  ReturnCallIndirect            visit_return_call_indirect                { type_index: u32, table: u32 } [custom]
            FuncRefs    0x00 0x14  CallRef                       visit_call_ref                            { type_index: u32 } [custom]
            FuncRefs    0x00 0x15  ReturnCallRef                 visit_return_call_ref                     { type_index: u32 } [custom]
            Mvp         0x00 0x1A  Drop                          visit_drop                                {} [custom]
            Mvp         0x00 0x1B  Select                        visit_select                              {} [custom]
            RefTypes    0x00 0x1C  TypedSelect                   visit_typed_select                        { ty: $crate::SelectType } [custom]
            Exceptions  0x00 0x1F  TryTable                      visit_try_table                           { table: $crate::TryTable } [custom]
            Mvp         0x00 0x20  LocalGet                      visit_local_get                           { local: u32 } [custom]
            Mvp         0x00 0x21  LocalSet                      visit_local_set                           { local: u32 } [custom]
            Mvp         0x00 0x22  LocalTee                      visit_local_tee                           { local: u32 } [custom]
            Mvp         0x00 0x23  GlobalGet                     visit_global_get                          { global: u32 } [custom]
            Mvp         0x00 0x24  GlobalSet                     visit_global_set                          { global: u32 } [custom]
            RefTypes    0x00 0x25  TableGet                      visit_table_get                           { table: u32 } [custom]
            RefTypes    0x00 0x26  TableSet                      visit_table_set                           { table: u32 } [custom]
            Mvp         0x00 0x28  I32Load                       visit_i32_load                            { memarg: $crate::MemArg } [mem 2 -> I32]
            Mvp         0x00 0x29  I64Load                       visit_i64_load                            { memarg: $crate::MemArg } [mem 3 -> I64]
            Mvp         0x00 0x2A  F32Load                       visit_f32_load                            { memarg: $crate::MemArg } [mem 2 -> F32]
            Mvp         0x00 0x2B  F64Load                       visit_f64_load                            { memarg: $crate::MemArg } [mem 3 -> F64]
            Mvp         0x00 0x2C  I32Load8S                     visit_i32_load8_s                         { memarg: $crate::MemArg } [mem 0 -> I32]
            Mvp         0x00 0x2D  I32Load8U                     visit_i32_load8_u                         { memarg: $crate::MemArg } [mem 0 -> I32]
            Mvp         0x00 0x2E  I32Load16S                    visit_i32_load16_s                        { memarg: $crate::MemArg } [mem 1 -> I32]
            Mvp         0x00 0x2F  I32Load16U                    visit_i32_load16_u                        { memarg: $crate::MemArg } [mem 1 -> I32]
            Mvp         0x00 0x30  I64Load8S                     visit_i64_load8_s                         { memarg: $crate::MemArg } [mem 0 -> I64]
            Mvp         0x00 0x31  I64Load8U                     visit_i64_load8_u                         { memarg: $crate::MemArg } [mem 0 -> I64]
            Mvp         0x00 0x32  I64Load16S                    visit_i64_load16_s                        { memarg: $crate::MemArg } [mem 1 -> I64]
            Mvp         0x00 0x33  I64Load16U                    visit_i64_load16_u                        { memarg: $crate::MemArg } [mem 1 -> I64]
            Mvp         0x00 0x34  I64Load32S                    visit_i64_load32_s                        { memarg: $crate::MemArg } [mem 2 -> I64]
            Mvp         0x00 0x35  I64Load32U                    visit_i64_load32_u                        { memarg: $crate::MemArg } [mem 2 -> I64]
            Mvp         0x00 0x36  I32Store                      visit_i32_store                           { memarg: $crate::MemArg } [mem 2 I32 ->]
            Mvp         0x00 0x37  I64Store                      visit_i64_store                           { memarg: $crate::MemArg } [mem 3 I64 ->]
            Mvp         0x00 0x38  F32Store                      visit_f32_store                           { memarg: $crate::MemArg } [mem 2 F32 ->]
            Mvp         0x00 0x39  F64Store                      visit_f64_store                           { memarg: $crate::MemArg } [mem 3 F64 ->]
            Mvp         0x00 0x3A  I32Store8                     visit_i32_store8                          { memarg: $crate::MemArg } [mem 0 I32 ->]
            Mvp         0x00 0x3B  I32Store16                    visit_i32_store16                         { memarg: $crate::MemArg } [mem 1 I32 ->]
            Mvp         0x00 0x3C  I64Store8                     visit_i64_store8                          { memarg: $crate::MemArg } [mem 0 I64 ->]
            Mvp         0x00 0x3D  I64Store16                    visit_i64_store16                         { memarg: $crate::MemArg } [mem 1 I64 ->]
            Mvp         0x00 0x3E  I64Store32                    visit_i64_store32                         { memarg: $crate::MemArg } [mem 2 I64 ->]
            Mvp         0x00 0x3F  MemorySize                    visit_memory_size                         { mem: $crate::CompactIndex } [custom]
            Mvp         0x00 0x40  MemoryGrow                    visit_memory_grow                         { mem: $crate::CompactIndex } [custom]
            Mvp         0x00 0x41  I32Const                      visit_i32_const                           { value: i32 } [-> I32]
            Mvp         0x00 0x42  I64Const                      visit_i64_const                           { value: i64 } [-> I64]
            Mvp         0x00 0x43  F32Const                      visit_f32_const                           { value: $crate::Ieee32 } [-> F32]
            Mvp         0x00 0x44  F64Const                      visit_f64_const                           { value: $crate::Ieee64 } [-> F64]
            Mvp         0x00 0x45  I32Eqz                        visit_i32_eqz                             {} [I32 -> I32]
            Mvp         0x00 0x46  I32Eq                         visit_i32_eq                              {} [I32 I32 -> I32]
            Mvp         0x00 0x47  I32Ne                         visit_i32_ne                              {} [I32 I32 -> I32]
            Mvp         0x00 0x48  I32LtS                        visit_i32_lt_s                            {} [I32 I32 -> I32]
            Mvp         0x00 0x49  I32LtU                        visit_i32_lt_u                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4A  I32GtS                        visit_i32_gt_s                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4B  I32GtU                        visit_i32_gt_u                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4C  I32LeS                        visit_i32_le_s                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4D  I32LeU                        visit_i32_le_u                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4E  I32GeS                        visit_i32_ge_s                            {} [I32 I32 -> I32]
            Mvp         0x00 0x4F  I32GeU                        visit_i32_ge_u                            {} [I32 I32 -> I32]
            Mvp         0x00 0x50  I64Eqz                        visit_i64_eqz                             {} [I64 -> I32]
            Mvp         0x00 0x51  I64Eq                         visit_i64_eq                              {} [I64 I64 -> I32]
            Mvp         0x00 0x52  I64Ne                         visit_i64_ne                              {} [I64 I64 -> I32]
            Mvp         0x00 0x53  I64LtS                        visit_i64_lt_s                            {} [I64 I64 -> I32]
            Mvp         0x00 0x54  I64LtU                        visit_i64_lt_u                            {} [I64 I64 -> I32]
            Mvp         0x00 0x55  I64GtS                        visit_i64_gt_s                            {} [I64 I64 -> I32]
            Mvp         0x00 0x56  I64GtU                        visit_i64_gt_u                            {} [I64 I64 -> I32]
            Mvp         0x00 0x57  I64LeS                        visit_i64_le_s                            {} [I64 I64 -> I32]
            Mvp         0x00 0x58  I64LeU                        visit_i64_le_u                            {} [I64 I64 -> I32]
            Mvp         0x00 0x59  I64GeS                        visit_i64_ge_s                            {} [I64 I64 -> I32]
            Mvp         0x00 0x5A  I64GeU                        visit_i64_ge_u                            {} [I64 I64 -> I32]
            Mvp         0x00 0x5B  F32Eq                         visit_f32_eq                              {} [F32 F32 -> I32]
            Mvp         0x00 0x5C  F32Ne                         visit_f32_ne                              {} [F32 F32 -> I32]
            Mvp         0x00 0x5D  F32Lt                         visit_f32_lt                              {} [F32 F32 -> I32]
            Mvp         0x00 0x5E  F32Gt                         visit_f32_gt                              {} [F32 F32 -> I32]
            Mvp         0x00 0x5F  F32Le                         visit_f32_le                              {} [F32 F32 -> I32]
            Mvp         0x00 0x60  F32Ge                         visit_f32_ge                              {} [F32 F32 -> I32]
            Mvp         0x00 0x61  F64Eq                         visit_f64_eq                              {} [F64 F64 -> I32]
            Mvp         0x00 0x62  F64Ne                         visit_f64_ne                              {} [F64 F64 -> I32]
            Mvp         0x00 0x63  F64Lt                         visit_f64_lt                              {} [F64 F64 -> I32]
            Mvp         0x00 0x64  F64Gt                         visit_f64_gt                              {} [F64 F64 -> I32]
            Mvp         0x00 0x65  F64Le                         visit_f64_le                              {} [F64 F64 -> I32]
            Mvp         0x00 0x66  F64Ge                         visit_f64_ge                              {} [F64 F64 -> I32]
            Mvp         0x00 0x67  I32Clz                        visit_i32_clz                             {} [I32 -> I32]
            Mvp         0x00 0x68  I32Ctz                        visit_i32_ctz                             {} [I32 -> I32]
            Mvp         0x00 0x69  I32Popcnt                     visit_i32_popcnt                          {} [I32 -> I32]
            Mvp         0x00 0x6A  I32Add                        visit_i32_add                             {} [I32 I32 -> I32]
            Mvp         0x00 0x6B  I32Sub                        visit_i32_sub                             {} [I32 I32 -> I32]
            Mvp         0x00 0x6C  I32Mul                        visit_i32_mul                             {} [I32 I32 -> I32]
            Mvp         0x00 0x6D  I32DivS                       visit_i32_div_s                           {} [I32 I32 -> I32]
            Mvp         0x00 0x6E  I32DivU                       visit_i32_div_u                           {} [I32 I32 -> I32]
            Mvp         0x00 0x6F  I32RemS                       visit_i32_rem_s                           {} [I32 I32 -> I32]
            Mvp         0x00 0x70  I32RemU                       visit_i32_rem_u                           {} [I32 I32 -> I32]
            Mvp         0x00 0x71  I32And                        visit_i32_and                             {} [I32 I32 -> I32]
            Mvp         0x00 0x72  I32Or                         visit_i32_or                              {} [I32 I32 -> I32]
            Mvp         0x00 0x73  I32Xor                        visit_i32_xor                             {} [I32 I32 -> I32]
            Mvp         0x00 0x74  I32Shl                        visit_i32_shl                             {} [I32 I32 -> I32]
            Mvp         0x00 0x75  I32ShrS                       visit_i32_shr_s                           {} [I32 I32 -> I32]
            Mvp         0x00 0x76  I32ShrU                       visit_i32_shr_u                           {} [I32 I32 -> I32]
            Mvp         0x00 0x77  I32Rotl                       visit_i32_rotl                            {} [I32 I32 -> I32]
            Mvp         0x00 0x78  I32Rotr                       visit_i32_rotr                            {} [I32 I32 -> I32]
            Mvp         0x00 0x79  I64Clz                        visit_i64_clz                             {} [I64 -> I64]
            Mvp         0x00 0x7A  I64Ctz                        visit_i64_ctz                             {} [I64 -> I64]
            Mvp         0x00 0x7B  I64Popcnt                     visit_i64_popcnt                          {} [I64 -> I64]
            Mvp         0x00 0x7C  I64Add                        visit_i64_add                             {} [I64 I64 -> I64]
            Mvp         0x00 0x7D  I64Sub                        visit_i64_sub                             {} [I64 I64 -> I64]
            Mvp         0x00 0x7E  I64Mul                        visit_i64_mul                             {} [I64 I64 -> I64]
            Mvp         0x00 0x7F  I64DivS                       visit_i64_div_s                           {} [I64 I64 -> I64]
            Mvp         0x00 0x80  I64DivU                       visit_i64_div_u                           {} [I64 I64 -> I64]
            Mvp         0x00 0x81  I64RemS                       visit_i64_rem_s                           {} [I64 I64 -> I64]
            Mvp         0x00 0x82  I64RemU                       visit_i64_rem_u                           {} [I64 I64 -> I64]
            Mvp         0x00 0x83  I64And                        visit_i64_and                             {} [I64 I64 -> I64]
            Mvp         0x00 0x84  I64Or                         visit_i64_or                              {} [I64 I64 -> I64]
            Mvp         0x00 0x85  I64Xor                        visit_i64_xor                             {} [I64 I64 -> I64]
            Mvp         0x00 0x86  I64Shl                        visit_i64_shl                             {} [I64 I64 -> I64]
            Mvp         0x00 0x87  I64ShrS                       visit_i64_shr_s                           {} [I64 I64 -> I64]
            Mvp         0x00 0x88  I64ShrU                       visit_i64_shr_u                           {} [I64 I64 -> I64]
            Mvp         0x00 0x89  I64Rotl                       visit_i64_rotl                            {} [I64 I64 -> I64]
            Mvp         0x00 0x8A  I64Rotr                       visit_i64_rotr                            {} [I64 I64 -> I64]
            Mvp         0x00 0x8B  F32Abs                        visit_f32_abs                             {} [F32 -> F32]
            Mvp         0x00 0x8C  F32Neg                        visit_f32_neg                             {} [F32 -> F32]
            Mvp         0x00 0x8D  F32Ceil                       visit_f32_ceil                            {} [F32 -> F32]
            Mvp         0x00 0x8E  F32Floor                      visit_f32_floor                           {} [F32 -> F32]
            Mvp         0x00 0x8F  F32Trunc                      visit_f32_trunc                           {} [F32 -> F32]
            Mvp         0x00 0x90  F32Nearest                    visit_f32_nearest                         {} [F32 -> F32]
            Mvp         0x00 0x91  F32Sqrt                       visit_f32_sqrt                            {} [F32 -> F32]
            Mvp         0x00 0x92  F32Add                        visit_f32_add                             {} [F32 F32 -> F32]
            Mvp         0x00 0x93  F32Sub                        visit_f32_sub                             {} [F32 F32 -> F32]
            Mvp         0x00 0x94  F32Mul                        visit_f32_mul                             {} [F32 F32 -> F32]
            Mvp         0x00 0x95  F32Div                        visit_f32_div                             {} [F32 F32 -> F32]
            Mvp         0x00 0x96  F32Min                        visit_f32_min                             {} [F32 F32 -> F32]
            Mvp         0x00 0x97  F32Max                        visit_f32_max                             {} [F32 F32 -> F32]
            Mvp         0x00 0x98  F32Copysign                   visit_f32_copysign                        {} [F32 F32 -> F32]
            Mvp         0x00 0x99  F64Abs                        visit_f64_abs                             {} [F64 -> F64]
            Mvp         0x00 0x9A  F64Neg                        visit_f64_neg                             {} [F64 -> F64]
            Mvp         0x00 0x9B  F64Ceil                       visit_f64_ceil                            {} [F64 -> F64]
            Mvp         0x00 0x9C  F64Floor                      visit_f64_floor                           {} [F64 -> F64]
            Mvp         0x00 0x9D  F64Trunc                      visit_f64_trunc                           {} [F64 -> F64]
            Mvp         0x00 0x9E  F64Nearest                    visit_f64_nearest                         {} [F64 -> F64]
            Mvp         0x00 0x9F  F64Sqrt                       visit_f64_sqrt                            {} [F64 -> F64]
            Mvp         0x00 0xA0  F64Add                        visit_f64_add                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA1  F64Sub                        visit_f64_sub                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA2  F64Mul                        visit_f64_mul                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA3  F64Div                        visit_f64_div                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA4  F64Min                        visit_f64_min                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA5  F64Max                        visit_f64_max                             {} [F64 F64 -> F64]
            Mvp         0x00 0xA6  F64Copysign                   visit_f64_copysign                        {} [F64 F64 -> F64]
            Mvp         0x00 0xA7  I32WrapI64                    visit_i32_wrap_i64                        {} [I64 -> I32]
            Mvp         0x00 0xA8  I32TruncF32S                  visit_i32_trunc_f32_s                     {} [F32 -> I32]
            Mvp         0x00 0xA9  I32TruncF32U                  visit_i32_trunc_f32_u                     {} [F32 -> I32]
            Mvp         0x00 0xAA  I32TruncF64S                  visit_i32_trunc_f64_s                     {} [F64 -> I32]
            Mvp         0x00 0xAB  I32TruncF64U                  visit_i32_trunc_f64_u                     {} [F64 -> I32]
            Mvp         0x00 0xAC  I64ExtendI32S                 visit_i64_extend_i32_s                    {} [I32 -> I64]
            Mvp         0x00 0xAD  I64ExtendI32U                 visit_i64_extend_i32_u                    {} [I32 -> I64]
            Mvp         0x00 0xAE  I64TruncF32S                  visit_i64_trunc_f32_s                     {} [F32 -> I64]
            Mvp         0x00 0xAF  I64TruncF32U                  visit_i64_trunc_f32_u                     {} [F32 -> I64]
            Mvp         0x00 0xB0  I64TruncF64S                  visit_i64_trunc_f64_s                     {} [F64 -> I64]
            Mvp         0x00 0xB1  I64TruncF64U                  visit_i64_trunc_f64_u                     {} [F64 -> I64]
            Mvp         0x00 0xB2  F32ConvertI32S                visit_f32_convert_i32_s                   {} [I32 -> F32]
            Mvp         0x00 0xB3  F32ConvertI32U                visit_f32_convert_i32_u                   {} [I32 -> F32]
            Mvp         0x00 0xB4  F32ConvertI64S                visit_f32_convert_i64_s                   {} [I64 -> F32]
            Mvp         0x00 0xB5  F32ConvertI64U                visit_f32_convert_i64_u                   {} [I64 -> F32]
            Mvp         0x00 0xB6  F32DemoteF64                  visit_f32_demote_f64                      {} [F64 -> F32]
            Mvp         0x00 0xB7  F64ConvertI32S                visit_f64_convert_i32_s                   {} [I32 -> F64]
            Mvp         0x00 0xB8  F64ConvertI32U                visit_f64_convert_i32_u                   {} [I32 -> F64]
            Mvp         0x00 0xB9  F64ConvertI64S                visit_f64_convert_i64_s                   {} [I64 -> F64]
            Mvp         0x00 0xBA  F64ConvertI64U                visit_f64_convert_i64_u                   {} [I64 -> F64]
            Mvp         0x00 0xBB  F64PromoteF32                 visit_f64_promote_f32                     {} [F32 -> F64]
            Mvp         0x00 0xBC  I32ReinterpretF32             visit_i32_reinterpret_f32                 {} [F32 -> I32]
            Mvp         0x00 0xBD  I64ReinterpretF64             visit_i64_reinterpret_f64                 {} [F64 -> I64]
            Mvp         0x00 0xBE  F32ReinterpretI32             visit_f32_reinterpret_i32                 {} [I32 -> F32]
            Mvp         0x00 0xBF  F64ReinterpretI64             visit_f64_reinterpret_i64                 {} [I64 -> F64]
            SignExt     0x00 0xC0  I32Extend8S                   visit_i32_extend8_s                       {} [I32 -> I32]
            SignExt     0x00 0xC1  I32Extend16S                  visit_i32_extend16_s                      {} [I32 -> I32]
            SignExt     0x00 0xC2  I64Extend8S                   visit_i64_extend8_s                       {} [I64 -> I64]
            SignExt     0x00 0xC3  I64Extend16S                  visit_i64_extend16_s                      {} [I64 -> I64]
            SignExt     0x00 0xC4  I64Extend32S                  visit_i64_extend32_s                      {} [I64 -> I64]
            RefTypes    0x00 0xD0  RefNull                       visit_ref_null                            { hty: $crate::HeapType } [custom]
            RefTypes    0x00 0xD1  RefIsNull                     visit_ref_is_null                         {} [custom]
            RefTypes    0x00 0xD2  RefFunc                       visit_ref_func                            { func: u32 } [custom]
            Gc          0x00 0xD3  RefEq                         visit_ref_eq                              {} [custom]
            FuncRefs    0x00 0xD4  RefAsNonNull                  visit_ref_as_non_null                     {} [custom]
            FuncRefs    0x00 0xD5  BrOnNull                      visit_br_on_null                          { depth: u32 } [custom]
            FuncRefs    0x00 0xD6  BrOnNonNull                   visit_br_on_non_null                      { depth: u32 } [custom]
            Gc          0xFB 0x00  StructNew                     visit_struct_new                          { type_index: u32 } [custom]
            Gc          0xFB 0x01  StructNewDefault              visit_struct_new_default                  { type_index: u32 } [custom]
            Gc          0xFB 0x02  StructGet                     visit_struct_get                          { type_index: u32, field: u32 } [custom]
            Gc          0xFB 0x03  StructGetS                    visit_struct_get_s                        { type_index: u32, field: u32 } [custom]
            Gc          0xFB 0x04  StructGetU                    visit_struct_get_u                        { type_index: u32, field: u32 } [custom]
            Gc          0xFB 0x05  StructSet                     visit_struct_set                          { type_index: u32, field: u32 } [custom]
            Gc          0xFB 0x06  ArrayNew                      visit_array_new                           { type_index: u32 } [custom]
            Gc          0xFB 0x07  ArrayNewDefault               visit_array_new_default                   { type_index: u32 } [custom]
            Gc          0xFB 0x08  ArrayNewFixed                 visit_array_new_fixed                     { type_index: u32, len: u32 } [custom]
            Gc          0xFB 0x09  ArrayNewData                  visit_array_new_data                      { type_index: u32, data: u32 } [custom]
            Gc          0xFB 0x0A  ArrayNewElem                  visit_array_new_elem                      { type_index: u32, elem: u32 } [custom]
            Gc          0xFB 0x0B  ArrayGet                      visit_array_get                           { type_index: u32 } [custom]
            Gc          0xFB 0x0C  ArrayGetS                     visit_array_get_s                         { type_index: u32 } [custom]
            Gc          0xFB 0x0D  ArrayGetU                     visit_array_get_u                         { type_index: u32 } [custom]
            Gc          0xFB 0x0E  ArraySet                      visit_array_set                           { type_index: u32 } [custom]
            Gc          0xFB 0x0F  ArrayLen                      visit_array_len                           {} [custom]
            Gc          0xFB 0x10  ArrayFill                     visit_array_fill                          { type_index: u32 } [custom]
            Gc          0xFB 0x11  ArrayCopy                     visit_array_copy                          { dst_type: u32, src_type: u32 } [custom]
            Gc          0xFB 0x12  ArrayInitData                 visit_array_init_data                     { type_index: u32, data: u32 } [custom]
            Gc          0xFB 0x13  ArrayInitElem                 visit_array_init_elem                     { type_index: u32, elem: u32 } [custom]
            Gc          0xFB 0x14  RefTestNonNull                visit_ref_test_non_null                   { hty: $crate::HeapType } [custom]
            Gc          0xFB 0x15  RefTestNullable               visit_ref_test_nullable                   { hty: $crate::HeapType } [custom]
            Gc          0xFB 0x16  RefCastNonNull                visit_ref_cast_non_null                   { hty: $crate::HeapType } [custom]
            Gc          0xFB 0x17  RefCastNullable               visit_ref_cast_nullable                   { hty: $crate::HeapType } [custom]
            Gc          0xFB 0x18  BrOnCast                      visit_br_on_cast                          { cast: $crate::BrOnCast } [custom]
            Gc          0xFB 0x19  BrOnCastFail                  visit_br_on_cast_fail                     { cast: $crate::BrOnCast } [custom]
            Gc          0xFB 0x1A  AnyConvertExtern              visit_any_convert_extern                  {} [custom]
            Gc          0xFB 0x1B  ExternConvertAny              visit_extern_convert_any                  {} [custom]
            Gc          0xFB 0x1C  RefI31                        visit_ref_i31                             {} [custom]
            Gc          0xFB 0x1D  I31GetS                       visit_i31_get_s                           {} [custom]
            Gc          0xFB 0x1E  I31GetU                       visit_i31_get_u                           {} [custom]
            CustomDesc  0xFB 0x20  StructNewDesc                 visit_struct_new_desc                     { type_index: u32 } [custom]
            CustomDesc  0xFB 0x21  StructNewDefaultDesc          visit_struct_new_default_desc             { type_index: u32 } [custom]
            CustomDesc  0xFB 0x22  RefGetDesc                    visit_ref_get_desc                        { type_index: u32 } [custom]
            CustomDesc  0xFB 0x23  RefCastDescEqNonNull          visit_ref_cast_desc_eq_non_null           { hty: $crate::HeapType } [custom]
            CustomDesc  0xFB 0x24  RefCastDescEqNullable         visit_ref_cast_desc_eq_nullable           { hty: $crate::HeapType } [custom]
            CustomDesc  0xFB 0x25  BrOnCastDescEq                visit_br_on_cast_desc_eq                  { cast: $crate::BrOnCast } [custom]
            CustomDesc  0xFB 0x26  BrOnCastDescEqFail            visit_br_on_cast_desc_eq_fail             { cast: $crate::BrOnCast } [custom]
            SatConv     0xFC 0x00  I32TruncSatF32S               visit_i32_trunc_sat_f32_s                 {} [F32 -> I32]
            SatConv     0xFC 0x01  I32TruncSatF32U               visit_i32_trunc_sat_f32_u                 {} [F32 -> I32]
            SatConv     0xFC 0x02  I32TruncSatF64S               visit_i32_trunc_sat_f64_s                 {} [F64 -> I32]
            SatConv     0xFC 0x03  I32TruncSatF64U               visit_i32_trunc_sat_f64_u                 {} [F64 -> I32]
            SatConv     0xFC 0x04  I64TruncSatF32S               visit_i64_trunc_sat_f32_s                 {} [F32 -> I64]
            SatConv     0xFC 0x05  I64TruncSatF32U               visit_i64_trunc_sat_f32_u                 {} [F32 -> I64]
            SatConv     0xFC 0x06  I64TruncSatF64S               visit_i64_trunc_sat_f64_s                 {} [F64 -> I64]
            SatConv     0xFC 0x07  I64TruncSatF64U               visit_i64_trunc_sat_f64_u                 {} [F64 -> I64]
            Bulk        0xFC 0x08  MemoryInit                    visit_memory_init                         { data: u32, mem: u32 } [custom]
            Bulk        0xFC 0x09  DataDrop                      visit_data_drop                           { data: u32 } [custom]
            Bulk        0xFC 0x0A  MemoryCopy                    visit_memory_copy                         { dst_mem: u32, src_mem: u32 } [custom]
            Bulk        0xFC 0x0B  MemoryFill                    visit_memory_fill                         { mem: u32 } [custom]
            Bulk        0xFC 0x0C  TableInit                     visit_table_init                          { elem: u32, table: u32 } [custom]
            Bulk        0xFC 0x0D  ElemDrop                      visit_elem_drop                           { elem: u32 } [custom]
            Bulk        0xFC 0x0E  TableCopy                     visit_table_copy                          { dst_table: u32, src_table: u32 } [custom]
            RefTypes    0xFC 0x0F  TableGrow                     visit_table_grow                          { table: u32 } [custom]
            RefTypes    0xFC 0x10  TableSize                     visit_table_size                          { table: u32 } [custom]
            RefTypes    0xFC 0x11  TableFill                     visit_table_fill                          { table: u32 } [custom]
            WideArith   0xFC 0x13  I64Add128                     visit_i64_add128                          {} [I64 I64 I64 I64 -> I64 I64]
            WideArith   0xFC 0x14  I64Sub128                     visit_i64_sub128                          {} [I64 I64 I64 I64 -> I64 I64]
            WideArith   0xFC 0x15  I64MulWideS                   visit_i64_mul_wide_s                      {} [I64 I64 -> I64 I64]
            WideArith   0xFC 0x16  I64MulWideU                   visit_i64_mul_wide_u                      {} [I64 I64 -> I64 I64]
            Simd        0xFD 0x00  V128Load                      visit_v128_load                           { memarg: $crate::MemArg } [mem 4 -> V128]
            Simd        0xFD 0x01  V128Load8x8S                  visit_v128_load8x8_s                      { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x02  V128Load8x8U                  visit_v128_load8x8_u                      { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x03  V128Load16x4S                 visit_v128_load16x4_s                     { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x04  V128Load16x4U                 visit_v128_load16x4_u                     { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x05  V128Load32x2S                 visit_v128_load32x2_s                     { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x06  V128Load32x2U                 visit_v128_load32x2_u                     { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x07  V128Load8Splat                visit_v128_load8_splat                    { memarg: $crate::MemArg } [mem 0 -> V128]
            Simd        0xFD 0x08  V128Load16Splat               visit_v128_load16_splat                   { memarg: $crate::MemArg } [mem 1 -> V128]
            Simd        0xFD 0x09  V128Load32Splat               visit_v128_load32_splat                   { memarg: $crate::MemArg } [mem 2 -> V128]
            Simd        0xFD 0x0A  V128Load64Splat               visit_v128_load64_splat                   { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x0B  V128Store                     visit_v128_store                          { memarg: $crate::MemArg } [mem 4 V128 ->]
            Simd        0xFD 0x0C  V128Const                     visit_v128_const                          { value: $crate::V128 } [-> V128]
            Simd        0xFD 0x0D  I8x16Shuffle                  visit_i8x16_shuffle                       { lanes: $crate::Shuffle } [custom]
            Simd        0xFD 0x0E  I8x16Swizzle                  visit_i8x16_swizzle                       {} [V128 V128 -> V128]
            Simd        0xFD 0x0F  I8x16Splat                    visit_i8x16_splat                         {} [I32 -> V128]
            Simd        0xFD 0x10  I16x8Splat                    visit_i16x8_splat                         {} [I32 -> V128]
            Simd        0xFD 0x11  I32x4Splat                    visit_i32x4_splat                         {} [I32 -> V128]
            Simd        0xFD 0x12  I64x2Splat                    visit_i64x2_splat                         {} [I64 -> V128]
            Simd        0xFD 0x13  F32x4Splat                    visit_f32x4_splat                         {} [F32 -> V128]
            Simd        0xFD 0x14  F64x2Splat                    visit_f64x2_splat                         {} [F64 -> V128]
            Simd        0xFD 0x15  I8x16ExtractLaneS             visit_i8x16_extract_lane_s                { lane: u8 } [lane 16 V128 -> I32]
            Simd        0xFD 0x16  I8x16ExtractLaneU             visit_i8x16_extract_lane_u                { lane: u8 } [lane 16 V128 -> I32]
            Simd        0xFD 0x17  I8x16ReplaceLane              visit_i8x16_replace_lane                  { lane: u8 } [lane 16 V128 I32 -> V128]
            Simd        0xFD 0x18  I16x8ExtractLaneS             visit_i16x8_extract_lane_s                { lane: u8 } [lane 8 V128 -> I32]
            Simd        0xFD 0x19  I16x8ExtractLaneU             visit_i16x8_extract_lane_u                { lane: u8 } [lane 8 V128 -> I32]
            Simd        0xFD 0x1A  I16x8ReplaceLane              visit_i16x8_replace_lane                  { lane: u8 } [lane 8 V128 I32 -> V128]
            Simd        0xFD 0x1B  I32x4ExtractLane              visit_i32x4_extract_lane                  { lane: u8 } [lane 4 V128 -> I32]
            Simd        0xFD 0x1C  I32x4ReplaceLane              visit_i32x4_replace_lane                  { lane: u8 } [lane 4 V128 I32 -> V128]
            Simd        0xFD 0x1D  I64x2ExtractLane              visit_i64x2_extract_lane                  { lane: u8 } [lane 2 V128 -> I64]
            Simd        0xFD 0x1E  I64x2ReplaceLane              visit_i64x2_replace_lane                  { lane: u8 } [lane 2 V128 I64 -> V128]
            Simd        0xFD 0x1F  F32x4ExtractLane              visit_f32x4_extract_lane                  { lane: u8 } [lane 4 V128 -> F32]
            Simd        0xFD 0x20  F32x4ReplaceLane              visit_f32x4_replace_lane                  { lane: u8 } [lane 4 V128 F32 -> V128]
            Simd        0xFD 0x21  F64x2ExtractLane              visit_f64x2_extract_lane                  { lane: u8 } [lane 2 V128 -> F64]
            Simd        0xFD 0x22  F64x2ReplaceLane              visit_f64x2_replace_lane                  { lane: u8 } [lane 2 V128 F64 -> V128]
            Simd        0xFD 0x23  I8x16Eq                       visit_i8x16_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0x24  I8x16Ne                       visit_i8x16_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0x25  I8x16LtS                      visit_i8x16_lt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x26  I8x16LtU                      visit_i8x16_lt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x27  I8x16GtS                      visit_i8x16_gt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x28  I8x16GtU                      visit_i8x16_gt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x29  I8x16LeS                      visit_i8x16_le_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x2A  I8x16LeU                      visit_i8x16_le_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x2B  I8x16GeS                      visit_i8x16_ge_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x2C  I8x16GeU                      visit_i8x16_ge_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x2D  I16x8Eq                       visit_i16x8_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0x2E  I16x8Ne                       visit_i16x8_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0x2F  I16x8LtS                      visit_i16x8_lt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x30  I16x8LtU                      visit_i16x8_lt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x31  I16x8GtS                      visit_i16x8_gt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x32  I16x8GtU                      visit_i16x8_gt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x33  I16x8LeS                      visit_i16x8_le_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x34  I16x8LeU                      visit_i16x8_le_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x35  I16x8GeS                      visit_i16x8_ge_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x36  I16x8GeU                      visit_i16x8_ge_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x37  I32x4Eq                       visit_i32x4_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0x38  I32x4Ne                       visit_i32x4_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0x39  I32x4LtS                      visit_i32x4_lt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3A  I32x4LtU                      visit_i32x4_lt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3B  I32x4GtS                      visit_i32x4_gt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3C  I32x4GtU                      visit_i32x4_gt_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3D  I32x4LeS                      visit_i32x4_le_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3E  I32x4LeU                      visit_i32x4_le_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x3F  I32x4GeS                      visit_i32x4_ge_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0x40  I32x4GeU                      visit_i32x4_ge_u                          {} [V128 V128 -> V128]
            Simd        0xFD 0x41  F32x4Eq                       visit_f32x4_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0x42  F32x4Ne                       visit_f32x4_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0x43  F32x4Lt                       visit_f32x4_lt                            {} [V128 V128 -> V128]
            Simd        0xFD 0x44  F32x4Gt                       visit_f32x4_gt                            {} [V128 V128 -> V128]
            Simd        0xFD 0x45  F32x4Le                       visit_f32x4_le                            {} [V128 V128 -> V128]
            Simd        0xFD 0x46  F32x4Ge                       visit_f32x4_ge                            {} [V128 V128 -> V128]
            Simd        0xFD 0x47  F64x2Eq                       visit_f64x2_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0x48  F64x2Ne                       visit_f64x2_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0x49  F64x2Lt                       visit_f64x2_lt                            {} [V128 V128 -> V128]
            Simd        0xFD 0x4A  F64x2Gt                       visit_f64x2_gt                            {} [V128 V128 -> V128]
            Simd        0xFD 0x4B  F64x2Le                       visit_f64x2_le                            {} [V128 V128 -> V128]
            Simd        0xFD 0x4C  F64x2Ge                       visit_f64x2_ge                            {} [V128 V128 -> V128]
            Simd        0xFD 0x4D  V128Not                       visit_v128_not                            {} [V128 -> V128]
            Simd        0xFD 0x4E  V128And                       visit_v128_and                            {} [V128 V128 -> V128]
            Simd        0xFD 0x4F  V128Andnot                    visit_v128_andnot                         {} [V128 V128 -> V128]
            Simd        0xFD 0x50  V128Or                        visit_v128_or                             {} [V128 V128 -> V128]
            Simd        0xFD 0x51  V128Xor                       visit_v128_xor                            {} [V128 V128 -> V128]
            Simd        0xFD 0x52  V128Bitselect                 visit_v128_bitselect                      {} [V128 V128 V128 -> V128]
            Simd        0xFD 0x53  V128AnyTrue                   visit_v128_any_true                       {} [V128 -> I32]
            Simd        0xFD 0x54  V128Load8Lane                 visit_v128_load8_lane                     { memarg: $crate::MemArg, lane: u8 } [lane_mem 0 16 V128 -> V128]
            Simd        0xFD 0x55  V128Load16Lane                visit_v128_load16_lane                    { memarg: $crate::MemArg, lane: u8 } [lane_mem 1 8 V128 -> V128]
            Simd        0xFD 0x56  V128Load32Lane                visit_v128_load32_lane                    { memarg: $crate::MemArg, lane: u8 } [lane_mem 2 4 V128 -> V128]
            Simd        0xFD 0x57  V128Load64Lane                visit_v128_load64_lane                    { memarg: $crate::MemArg, lane: u8 } [lane_mem 3 2 V128 -> V128]
            Simd        0xFD 0x58  V128Store8Lane                visit_v128_store8_lane                    { memarg: $crate::MemArg, lane: u8 } [lane_mem 0 16 V128 ->]
            Simd        0xFD 0x59  V128Store16Lane               visit_v128_store16_lane                   { memarg: $crate::MemArg, lane: u8 } [lane_mem 1 8 V128 ->]
            Simd        0xFD 0x5A  V128Store32Lane               visit_v128_store32_lane                   { memarg: $crate::MemArg, lane: u8 } [lane_mem 2 4 V128 ->]
            Simd        0xFD 0x5B  V128Store64Lane               visit_v128_store64_lane                   { memarg: $crate::MemArg, lane: u8 } [lane_mem 3 2 V128 ->]
            Simd        0xFD 0x5C  V128Load32Zero                visit_v128_load32_zero                    { memarg: $crate::MemArg } [mem 2 -> V128]
            Simd        0xFD 0x5D  V128Load64Zero                visit_v128_load64_zero                    { memarg: $crate::MemArg } [mem 3 -> V128]
            Simd        0xFD 0x5E  F32x4DemoteF64x2Zero          visit_f32x4_demote_f64x2_zero             {} [V128 -> V128]
            Simd        0xFD 0x5F  F64x2PromoteLowF32x4          visit_f64x2_promote_low_f32x4             {} [V128 -> V128]
            Simd        0xFD 0x60  I8x16Abs                      visit_i8x16_abs                           {} [V128 -> V128]
            Simd        0xFD 0x61  I8x16Neg                      visit_i8x16_neg                           {} [V128 -> V128]
            Simd        0xFD 0x62  I8x16Popcnt                   visit_i8x16_popcnt                        {} [V128 -> V128]
            Simd        0xFD 0x63  I8x16AllTrue                  visit_i8x16_all_true                      {} [V128 -> I32]
            Simd        0xFD 0x64  I8x16Bitmask                  visit_i8x16_bitmask                       {} [V128 -> I32]
            Simd        0xFD 0x65  I8x16NarrowI16x8S             visit_i8x16_narrow_i16x8_s                {} [V128 V128 -> V128]
            Simd        0xFD 0x66  I8x16NarrowI16x8U             visit_i8x16_narrow_i16x8_u                {} [V128 V128 -> V128]
            Simd        0xFD 0x67  F32x4Ceil                     visit_f32x4_ceil                          {} [V128 -> V128]
            Simd        0xFD 0x68  F32x4Floor                    visit_f32x4_floor                         {} [V128 -> V128]
            Simd        0xFD 0x69  F32x4Trunc                    visit_f32x4_trunc                         {} [V128 -> V128]
            Simd        0xFD 0x6A  F32x4Nearest                  visit_f32x4_nearest                       {} [V128 -> V128]
            Simd        0xFD 0x6B  I8x16Shl                      visit_i8x16_shl                           {} [V128 I32 -> V128]
            Simd        0xFD 0x6C  I8x16ShrS                     visit_i8x16_shr_s                         {} [V128 I32 -> V128]
            Simd        0xFD 0x6D  I8x16ShrU                     visit_i8x16_shr_u                         {} [V128 I32 -> V128]
            Simd        0xFD 0x6E  I8x16Add                      visit_i8x16_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0x6F  I8x16AddSatS                  visit_i8x16_add_sat_s                     {} [V128 V128 -> V128]
            Simd        0xFD 0x70  I8x16AddSatU                  visit_i8x16_add_sat_u                     {} [V128 V128 -> V128]
            Simd        0xFD 0x71  I8x16Sub                      visit_i8x16_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0x72  I8x16SubSatS                  visit_i8x16_sub_sat_s                     {} [V128 V128 -> V128]
            Simd        0xFD 0x73  I8x16SubSatU                  visit_i8x16_sub_sat_u                     {} [V128 V128 -> V128]
            Simd        0xFD 0x74  F64x2Ceil                     visit_f64x2_ceil                          {} [V128 -> V128]
            Simd        0xFD 0x75  F64x2Floor                    visit_f64x2_floor                         {} [V128 -> V128]
            Simd        0xFD 0x76  I8x16MinS                     visit_i8x16_min_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0x77  I8x16MinU                     visit_i8x16_min_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0x78  I8x16MaxS                     visit_i8x16_max_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0x79  I8x16MaxU                     visit_i8x16_max_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0x7A  F64x2Trunc                    visit_f64x2_trunc                         {} [V128 -> V128]
            Simd        0xFD 0x7B  I8x16AvgrU                    visit_i8x16_avgr_u                        {} [V128 V128 -> V128]
            Simd        0xFD 0x7C  I16x8ExtaddPairwiseI8x16S     visit_i16x8_extadd_pairwise_i8x16_s       {} [V128 -> V128]
            Simd        0xFD 0x7D  I16x8ExtaddPairwiseI8x16U     visit_i16x8_extadd_pairwise_i8x16_u       {} [V128 -> V128]
            Simd        0xFD 0x7E  I32x4ExtaddPairwiseI16x8S     visit_i32x4_extadd_pairwise_i16x8_s       {} [V128 -> V128]
            Simd        0xFD 0x7F  I32x4ExtaddPairwiseI16x8U     visit_i32x4_extadd_pairwise_i16x8_u       {} [V128 -> V128]
            Simd        0xFD 0x80  I16x8Abs                      visit_i16x8_abs                           {} [V128 -> V128]
            Simd        0xFD 0x81  I16x8Neg                      visit_i16x8_neg                           {} [V128 -> V128]
            Simd        0xFD 0x82  I16x8Q15mulrSatS              visit_i16x8_q15mulr_sat_s                 {} [V128 V128 -> V128]
            Simd        0xFD 0x83  I16x8AllTrue                  visit_i16x8_all_true                      {} [V128 -> I32]
            Simd        0xFD 0x84  I16x8Bitmask                  visit_i16x8_bitmask                       {} [V128 -> I32]
            Simd        0xFD 0x85  I16x8NarrowI32x4S             visit_i16x8_narrow_i32x4_s                {} [V128 V128 -> V128]
            Simd        0xFD 0x86  I16x8NarrowI32x4U             visit_i16x8_narrow_i32x4_u                {} [V128 V128 -> V128]
            Simd        0xFD 0x87  I16x8ExtendLowI8x16S          visit_i16x8_extend_low_i8x16_s            {} [V128 -> V128]
            Simd        0xFD 0x88  I16x8ExtendHighI8x16S         visit_i16x8_extend_high_i8x16_s           {} [V128 -> V128]
            Simd        0xFD 0x89  I16x8ExtendLowI8x16U          visit_i16x8_extend_low_i8x16_u            {} [V128 -> V128]
            Simd        0xFD 0x8A  I16x8ExtendHighI8x16U         visit_i16x8_extend_high_i8x16_u           {} [V128 -> V128]
            Simd        0xFD 0x8B  I16x8Shl                      visit_i16x8_shl                           {} [V128 I32 -> V128]
            Simd        0xFD 0x8C  I16x8ShrS                     visit_i16x8_shr_s                         {} [V128 I32 -> V128]
            Simd        0xFD 0x8D  I16x8ShrU                     visit_i16x8_shr_u                         {} [V128 I32 -> V128]
            Simd        0xFD 0x8E  I16x8Add                      visit_i16x8_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0x8F  I16x8AddSatS                  visit_i16x8_add_sat_s                     {} [V128 V128 -> V128]
            Simd        0xFD 0x90  I16x8AddSatU                  visit_i16x8_add_sat_u                     {} [V128 V128 -> V128]
            Simd        0xFD 0x91  I16x8Sub                      visit_i16x8_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0x92  I16x8SubSatS                  visit_i16x8_sub_sat_s                     {} [V128 V128 -> V128]
            Simd        0xFD 0x93  I16x8SubSatU                  visit_i16x8_sub_sat_u                     {} [V128 V128 -> V128]
            Simd        0xFD 0x94  F64x2Nearest                  visit_f64x2_nearest                       {} [V128 -> V128]
            Simd        0xFD 0x95  I16x8Mul                      visit_i16x8_mul                           {} [V128 V128 -> V128]
            Simd        0xFD 0x96  I16x8MinS                     visit_i16x8_min_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0x97  I16x8MinU                     visit_i16x8_min_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0x98  I16x8MaxS                     visit_i16x8_max_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0x99  I16x8MaxU                     visit_i16x8_max_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0x9B  I16x8AvgrU                    visit_i16x8_avgr_u                        {} [V128 V128 -> V128]
            Simd        0xFD 0x9C  I16x8ExtmulLowI8x16S          visit_i16x8_extmul_low_i8x16_s            {} [V128 V128 -> V128]
            Simd        0xFD 0x9D  I16x8ExtmulHighI8x16S         visit_i16x8_extmul_high_i8x16_s           {} [V128 V128 -> V128]
            Simd        0xFD 0x9E  I16x8ExtmulLowI8x16U          visit_i16x8_extmul_low_i8x16_u            {} [V128 V128 -> V128]
            Simd        0xFD 0x9F  I16x8ExtmulHighI8x16U         visit_i16x8_extmul_high_i8x16_u           {} [V128 V128 -> V128]
            Simd        0xFD 0xA0  I32x4Abs                      visit_i32x4_abs                           {} [V128 -> V128]
            Simd        0xFD 0xA1  I32x4Neg                      visit_i32x4_neg                           {} [V128 -> V128]
            Simd        0xFD 0xA3  I32x4AllTrue                  visit_i32x4_all_true                      {} [V128 -> I32]
            Simd        0xFD 0xA4  I32x4Bitmask                  visit_i32x4_bitmask                       {} [V128 -> I32]
            Simd        0xFD 0xA7  I32x4ExtendLowI16x8S          visit_i32x4_extend_low_i16x8_s            {} [V128 -> V128]
            Simd        0xFD 0xA8  I32x4ExtendHighI16x8S         visit_i32x4_extend_high_i16x8_s           {} [V128 -> V128]
            Simd        0xFD 0xA9  I32x4ExtendLowI16x8U          visit_i32x4_extend_low_i16x8_u            {} [V128 -> V128]
            Simd        0xFD 0xAA  I32x4ExtendHighI16x8U         visit_i32x4_extend_high_i16x8_u           {} [V128 -> V128]
            Simd        0xFD 0xAB  I32x4Shl                      visit_i32x4_shl                           {} [V128 I32 -> V128]
            Simd        0xFD 0xAC  I32x4ShrS                     visit_i32x4_shr_s                         {} [V128 I32 -> V128]
            Simd        0xFD 0xAD  I32x4ShrU                     visit_i32x4_shr_u                         {} [V128 I32 -> V128]
            Simd        0xFD 0xAE  I32x4Add                      visit_i32x4_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0xB1  I32x4Sub                      visit_i32x4_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0xB5  I32x4Mul                      visit_i32x4_mul                           {} [V128 V128 -> V128]
            Simd        0xFD 0xB6  I32x4MinS                     visit_i32x4_min_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0xB7  I32x4MinU                     visit_i32x4_min_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0xB8  I32x4MaxS                     visit_i32x4_max_s                         {} [V128 V128 -> V128]
            Simd        0xFD 0xB9  I32x4MaxU                     visit_i32x4_max_u                         {} [V128 V128 -> V128]
            Simd        0xFD 0xBA  I32x4DotI16x8S                visit_i32x4_dot_i16x8_s                   {} [V128 V128 -> V128]
            Simd        0xFD 0xBC  I32x4ExtmulLowI16x8S          visit_i32x4_extmul_low_i16x8_s            {} [V128 V128 -> V128]
            Simd        0xFD 0xBD  I32x4ExtmulHighI16x8S         visit_i32x4_extmul_high_i16x8_s           {} [V128 V128 -> V128]
            Simd        0xFD 0xBE  I32x4ExtmulLowI16x8U          visit_i32x4_extmul_low_i16x8_u            {} [V128 V128 -> V128]
            Simd        0xFD 0xBF  I32x4ExtmulHighI16x8U         visit_i32x4_extmul_high_i16x8_u           {} [V128 V128 -> V128]
            Simd        0xFD 0xC0  I64x2Abs                      visit_i64x2_abs                           {} [V128 -> V128]
            Simd        0xFD 0xC1  I64x2Neg                      visit_i64x2_neg                           {} [V128 -> V128]
            Simd        0xFD 0xC3  I64x2AllTrue                  visit_i64x2_all_true                      {} [V128 -> I32]
            Simd        0xFD 0xC4  I64x2Bitmask                  visit_i64x2_bitmask                       {} [V128 -> I32]
            Simd        0xFD 0xC7  I64x2ExtendLowI32x4S          visit_i64x2_extend_low_i32x4_s            {} [V128 -> V128]
            Simd        0xFD 0xC8  I64x2ExtendHighI32x4S         visit_i64x2_extend_high_i32x4_s           {} [V128 -> V128]
            Simd        0xFD 0xC9  I64x2ExtendLowI32x4U          visit_i64x2_extend_low_i32x4_u            {} [V128 -> V128]
            Simd        0xFD 0xCA  I64x2ExtendHighI32x4U         visit_i64x2_extend_high_i32x4_u           {} [V128 -> V128]
            Simd        0xFD 0xCB  I64x2Shl                      visit_i64x2_shl                           {} [V128 I32 -> V128]
            Simd        0xFD 0xCC  I64x2ShrS                     visit_i64x2_shr_s                         {} [V128 I32 -> V128]
            Simd        0xFD 0xCD  I64x2ShrU                     visit_i64x2_shr_u                         {} [V128 I32 -> V128]
            Simd        0xFD 0xCE  I64x2Add                      visit_i64x2_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0xD1  I64x2Sub                      visit_i64x2_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0xD5  I64x2Mul                      visit_i64x2_mul                           {} [V128 V128 -> V128]
            Simd        0xFD 0xD6  I64x2Eq                       visit_i64x2_eq                            {} [V128 V128 -> V128]
            Simd        0xFD 0xD7  I64x2Ne                       visit_i64x2_ne                            {} [V128 V128 -> V128]
            Simd        0xFD 0xD8  I64x2LtS                      visit_i64x2_lt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0xD9  I64x2GtS                      visit_i64x2_gt_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0xDA  I64x2LeS                      visit_i64x2_le_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0xDB  I64x2GeS                      visit_i64x2_ge_s                          {} [V128 V128 -> V128]
            Simd        0xFD 0xDC  I64x2ExtmulLowI32x4S          visit_i64x2_extmul_low_i32x4_s            {} [V128 V128 -> V128]
            Simd        0xFD 0xDD  I64x2ExtmulHighI32x4S         visit_i64x2_extmul_high_i32x4_s           {} [V128 V128 -> V128]
            Simd        0xFD 0xDE  I64x2ExtmulLowI32x4U          visit_i64x2_extmul_low_i32x4_u            {} [V128 V128 -> V128]
            Simd        0xFD 0xDF  I64x2ExtmulHighI32x4U         visit_i64x2_extmul_high_i32x4_u           {} [V128 V128 -> V128]
            Simd        0xFD 0xE0  F32x4Abs                      visit_f32x4_abs                           {} [V128 -> V128]
            Simd        0xFD 0xE1  F32x4Neg                      visit_f32x4_neg                           {} [V128 -> V128]
            Simd        0xFD 0xE3  F32x4Sqrt                     visit_f32x4_sqrt                          {} [V128 -> V128]
            Simd        0xFD 0xE4  F32x4Add                      visit_f32x4_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0xE5  F32x4Sub                      visit_f32x4_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0xE6  F32x4Mul                      visit_f32x4_mul                           {} [V128 V128 -> V128]
            Simd        0xFD 0xE7  F32x4Div                      visit_f32x4_div                           {} [V128 V128 -> V128]
            Simd        0xFD 0xE8  F32x4Min                      visit_f32x4_min                           {} [V128 V128 -> V128]
            Simd        0xFD 0xE9  F32x4Max                      visit_f32x4_max                           {} [V128 V128 -> V128]
            Simd        0xFD 0xEA  F32x4Pmin                     visit_f32x4_pmin                          {} [V128 V128 -> V128]
            Simd        0xFD 0xEB  F32x4Pmax                     visit_f32x4_pmax                          {} [V128 V128 -> V128]
            Simd        0xFD 0xEC  F64x2Abs                      visit_f64x2_abs                           {} [V128 -> V128]
            Simd        0xFD 0xED  F64x2Neg                      visit_f64x2_neg                           {} [V128 -> V128]
            Simd        0xFD 0xEF  F64x2Sqrt                     visit_f64x2_sqrt                          {} [V128 -> V128]
            Simd        0xFD 0xF0  F64x2Add                      visit_f64x2_add                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF1  F64x2Sub                      visit_f64x2_sub                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF2  F64x2Mul                      visit_f64x2_mul                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF3  F64x2Div                      visit_f64x2_div                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF4  F64x2Min                      visit_f64x2_min                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF5  F64x2Max                      visit_f64x2_max                           {} [V128 V128 -> V128]
            Simd        0xFD 0xF6  F64x2Pmin                     visit_f64x2_pmin                          {} [V128 V128 -> V128]
            Simd        0xFD 0xF7  F64x2Pmax                     visit_f64x2_pmax                          {} [V128 V128 -> V128]
            Simd        0xFD 0xF8  I32x4TruncSatF32x4S           visit_i32x4_trunc_sat_f32x4_s             {} [V128 -> V128]
            Simd        0xFD 0xF9  I32x4TruncSatF32x4U           visit_i32x4_trunc_sat_f32x4_u             {} [V128 -> V128]
            Simd        0xFD 0xFA  F32x4ConvertI32x4S            visit_f32x4_convert_i32x4_s               {} [V128 -> V128]
            Simd        0xFD 0xFB  F32x4ConvertI32x4U            visit_f32x4_convert_i32x4_u               {} [V128 -> V128]
            Simd        0xFD 0xFC  I32x4TruncSatF64x2SZero       visit_i32x4_trunc_sat_f64x2_s_zero        {} [V128 -> V128]
            Simd        0xFD 0xFD  I32x4TruncSatF64x2UZero       visit_i32x4_trunc_sat_f64x2_u_zero        {} [V128 -> V128]
            Simd        0xFD 0xFE  F64x2ConvertLowI32x4S         visit_f64x2_convert_low_i32x4_s           {} [V128 -> V128]
            Simd        0xFD 0xFF  F64x2ConvertLowI32x4U         visit_f64x2_convert_low_i32x4_u           {} [V128 -> V128]
            RelaxedSimd 0xFD 0x100 I8x16RelaxedSwizzle           visit_i8x16_relaxed_swizzle               {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x101 I32x4RelaxedTruncF32x4S       visit_i32x4_relaxed_trunc_f32x4_s         {} [V128 -> V128]
            RelaxedSimd 0xFD 0x102 I32x4RelaxedTruncF32x4U       visit_i32x4_relaxed_trunc_f32x4_u         {} [V128 -> V128]
            RelaxedSimd 0xFD 0x103 I32x4RelaxedTruncF64x2SZero   visit_i32x4_relaxed_trunc_f64x2_s_zero    {} [V128 -> V128]
            RelaxedSimd 0xFD 0x104 I32x4RelaxedTruncF64x2UZero   visit_i32x4_relaxed_trunc_f64x2_u_zero    {} [V128 -> V128]
            RelaxedSimd 0xFD 0x105 F32x4RelaxedMadd              visit_f32x4_relaxed_madd                  {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x106 F32x4RelaxedNmadd             visit_f32x4_relaxed_nmadd                 {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x107 F64x2RelaxedMadd              visit_f64x2_relaxed_madd                  {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x108 F64x2RelaxedNmadd             visit_f64x2_relaxed_nmadd                 {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x109 I8x16RelaxedLaneselect        visit_i8x16_relaxed_laneselect            {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10A I16x8RelaxedLaneselect        visit_i16x8_relaxed_laneselect            {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10B I32x4RelaxedLaneselect        visit_i32x4_relaxed_laneselect            {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10C I64x2RelaxedLaneselect        visit_i64x2_relaxed_laneselect            {} [V128 V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10D F32x4RelaxedMin               visit_f32x4_relaxed_min                   {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10E F32x4RelaxedMax               visit_f32x4_relaxed_max                   {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x10F F64x2RelaxedMin               visit_f64x2_relaxed_min                   {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x110 F64x2RelaxedMax               visit_f64x2_relaxed_max                   {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x111 I16x8RelaxedQ15mulrS          visit_i16x8_relaxed_q15mulr_s             {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x112 I16x8RelaxedDotI8x16I7x16S    visit_i16x8_relaxed_dot_i8x16_i7x16_s     {} [V128 V128 -> V128]
            RelaxedSimd 0xFD 0x113 I32x4RelaxedDotI8x16I7x16AddS visit_i32x4_relaxed_dot_i8x16_i7x16_add_s {} [V128 V128 V128 -> V128]
            Threads     0xFE 0x00  MemoryAtomicNotify            visit_memory_atomic_notify                { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x01  MemoryAtomicWait32            visit_memory_atomic_wait32                { memarg: $crate::MemArg } [atomic 2 I32 I64 -> I32]
            Threads     0xFE 0x02  MemoryAtomicWait64            visit_memory_atomic_wait64                { memarg: $crate::MemArg } [atomic 3 I64 I64 -> I32]
            Threads     0xFE 0x03  AtomicFence                   visit_atomic_fence                        { flags: $crate::ZeroByte } [custom]
            Threads     0xFE 0x10  I32AtomicLoad                 visit_i32_atomic_load                     { memarg: $crate::MemArg } [atomic 2 -> I32]
            Threads     0xFE 0x11  I64AtomicLoad                 visit_i64_atomic_load                     { memarg: $crate::MemArg } [atomic 3 -> I64]
            Threads     0xFE 0x12  I32AtomicLoad8U               visit_i32_atomic_load8_u                  { memarg: $crate::MemArg } [atomic 0 -> I32]
            Threads     0xFE 0x13  I32AtomicLoad16U              visit_i32_atomic_load16_u                 { memarg: $crate::MemArg } [atomic 1 -> I32]
            Threads     0xFE 0x14  I64AtomicLoad8U               visit_i64_atomic_load8_u                  { memarg: $crate::MemArg } [atomic 0 -> I64]
            Threads     0xFE 0x15  I64AtomicLoad16U              visit_i64_atomic_load16_u                 { memarg: $crate::MemArg } [atomic 1 -> I64]
            Threads     0xFE 0x16  I64AtomicLoad32U              visit_i64_atomic_load32_u                 { memarg: $crate::MemArg } [atomic 2 -> I64]
            Threads     0xFE 0x17  I32AtomicStore                visit_i32_atomic_store                    { memarg: $crate::MemArg } [atomic 2 I32 ->]
            Threads     0xFE 0x18  I64AtomicStore                visit_i64_atomic_store                    { memarg: $crate::MemArg } [atomic 3 I64 ->]
            Threads     0xFE 0x19  I32AtomicStore8               visit_i32_atomic_store8                   { memarg: $crate::MemArg } [atomic 0 I32 ->]
            Threads     0xFE 0x1A  I32AtomicStore16              visit_i32_atomic_store16                  { memarg: $crate::MemArg } [atomic 1 I32 ->]
            Threads     0xFE 0x1B  I64AtomicStore8               visit_i64_atomic_store8                   { memarg: $crate::MemArg } [atomic 0 I64 ->]
            Threads     0xFE 0x1C  I64AtomicStore16              visit_i64_atomic_store16                  { memarg: $crate::MemArg } [atomic 1 I64 ->]
            Threads     0xFE 0x1D  I64AtomicStore32              visit_i64_atomic_store32                  { memarg: $crate::MemArg } [atomic 2 I64 ->]
            Threads     0xFE 0x1E  I32AtomicRmwAdd               visit_i32_atomic_rmw_add                  { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x1F  I64AtomicRmwAdd               visit_i64_atomic_rmw_add                  { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x20  I32AtomicRmw8AddU             visit_i32_atomic_rmw8_add_u               { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x21  I32AtomicRmw16AddU            visit_i32_atomic_rmw16_add_u              { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x22  I64AtomicRmw8AddU             visit_i64_atomic_rmw8_add_u               { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x23  I64AtomicRmw16AddU            visit_i64_atomic_rmw16_add_u              { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x24  I64AtomicRmw32AddU            visit_i64_atomic_rmw32_add_u              { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x25  I32AtomicRmwSub               visit_i32_atomic_rmw_sub                  { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x26  I64AtomicRmwSub               visit_i64_atomic_rmw_sub                  { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x27  I32AtomicRmw8SubU             visit_i32_atomic_rmw8_sub_u               { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x28  I32AtomicRmw16SubU            visit_i32_atomic_rmw16_sub_u              { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x29  I64AtomicRmw8SubU             visit_i64_atomic_rmw8_sub_u               { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x2A  I64AtomicRmw16SubU            visit_i64_atomic_rmw16_sub_u              { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x2B  I64AtomicRmw32SubU            visit_i64_atomic_rmw32_sub_u              { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x2C  I32AtomicRmwAnd               visit_i32_atomic_rmw_and                  { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x2D  I64AtomicRmwAnd               visit_i64_atomic_rmw_and                  { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x2E  I32AtomicRmw8AndU             visit_i32_atomic_rmw8_and_u               { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x2F  I32AtomicRmw16AndU            visit_i32_atomic_rmw16_and_u              { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x30  I64AtomicRmw8AndU             visit_i64_atomic_rmw8_and_u               { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x31  I64AtomicRmw16AndU            visit_i64_atomic_rmw16_and_u              { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x32  I64AtomicRmw32AndU            visit_i64_atomic_rmw32_and_u              { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x33  I32AtomicRmwOr                visit_i32_atomic_rmw_or                   { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x34  I64AtomicRmwOr                visit_i64_atomic_rmw_or                   { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x35  I32AtomicRmw8OrU              visit_i32_atomic_rmw8_or_u                { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x36  I32AtomicRmw16OrU             visit_i32_atomic_rmw16_or_u               { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x37  I64AtomicRmw8OrU              visit_i64_atomic_rmw8_or_u                { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x38  I64AtomicRmw16OrU             visit_i64_atomic_rmw16_or_u               { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x39  I64AtomicRmw32OrU             visit_i64_atomic_rmw32_or_u               { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x3A  I32AtomicRmwXor               visit_i32_atomic_rmw_xor                  { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x3B  I64AtomicRmwXor               visit_i64_atomic_rmw_xor                  { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x3C  I32AtomicRmw8XorU             visit_i32_atomic_rmw8_xor_u               { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x3D  I32AtomicRmw16XorU            visit_i32_atomic_rmw16_xor_u              { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x3E  I64AtomicRmw8XorU             visit_i64_atomic_rmw8_xor_u               { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x3F  I64AtomicRmw16XorU            visit_i64_atomic_rmw16_xor_u              { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x40  I64AtomicRmw32XorU            visit_i64_atomic_rmw32_xor_u              { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x41  I32AtomicRmwXchg              visit_i32_atomic_rmw_xchg                 { memarg: $crate::MemArg } [atomic 2 I32 -> I32]
            Threads     0xFE 0x42  I64AtomicRmwXchg              visit_i64_atomic_rmw_xchg                 { memarg: $crate::MemArg } [atomic 3 I64 -> I64]
            Threads     0xFE 0x43  I32AtomicRmw8XchgU            visit_i32_atomic_rmw8_xchg_u              { memarg: $crate::MemArg } [atomic 0 I32 -> I32]
            Threads     0xFE 0x44  I32AtomicRmw16XchgU           visit_i32_atomic_rmw16_xchg_u             { memarg: $crate::MemArg } [atomic 1 I32 -> I32]
            Threads     0xFE 0x45  I64AtomicRmw8XchgU            visit_i64_atomic_rmw8_xchg_u              { memarg: $crate::MemArg } [atomic 0 I64 -> I64]
            Threads     0xFE 0x46  I64AtomicRmw16XchgU           visit_i64_atomic_rmw16_xchg_u             { memarg: $crate::MemArg } [atomic 1 I64 -> I64]
            Threads     0xFE 0x47  I64AtomicRmw32XchgU           visit_i64_atomic_rmw32_xchg_u             { memarg: $crate::MemArg } [atomic 2 I64 -> I64]
            Threads     0xFE 0x48  I32AtomicRmwCmpxchg           visit_i32_atomic_rmw_cmpxchg              { memarg: $crate::MemArg } [atomic 2 I32 I32 -> I32]
            Threads     0xFE 0x49  I64AtomicRmwCmpxchg           visit_i64_atomic_rmw_cmpxchg              { memarg: $crate::MemArg } [atomic 3 I64 I64 -> I64]
            Threads     0xFE 0x4A  I32AtomicRmw8CmpxchgU         visit_i32_atomic_rmw8_cmpxchg_u           { memarg: $crate::MemArg } [atomic 0 I32 I32 -> I32]
            Threads     0xFE 0x4B  I32AtomicRmw16CmpxchgU        visit_i32_atomic_rmw16_cmpxchg_u          { memarg: $crate::MemArg } [atomic 1 I32 I32 -> I32]
            Threads     0xFE 0x4C  I64AtomicRmw8CmpxchgU         visit_i64_atomic_rmw8_cmpxchg_u           { memarg: $crate::MemArg } [atomic 0 I64 I64 -> I64]
            Threads     0xFE 0x4D  I64AtomicRmw16CmpxchgU        visit_i64_atomic_rmw16_cmpxchg_u          { memarg: $crate::MemArg } [atomic 1 I64 I64 -> I64]
            Threads     0xFE 0x4E  I64AtomicRmw32CmpxchgU        visit_i64_atomic_rmw32_cmpxchg_u          { memarg: $crate::MemArg } [atomic 2 I64 I64 -> I64]
        }
    };
}

macro_rules! define_opcode {
    ($( $prop:ident $prefix:literal $code:literal $name:ident $visit:ident
        { $($imm:ident : $ity:ty),* } [$($sig:tt)*] )*) => {
        /// Every operator, named as in the table.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum Opcode {
            $( $name, )*
        }

        impl Opcode {
            /// The operator's name in the table (`i32_add` for `i32.add`).
            pub fn name(self) -> &'static str {
                // One string and a table of 16-bit ends rather than a `&str` per operator:
                // 16 bytes each, and relocated at load time in a position-independent binary.
                // The visit methods' names less their `visit_` prefix, cut at compile time.
                const PREFIX: usize = "visit_".len();
                const VISIT_NAMES: &str = concat!($( stringify!($visit), )*);
                const LENS: [usize; Opcode::COUNT] = [$( stringify!($visit).len(), )*];
                const NAMES_LEN: usize = VISIT_NAMES.len() - PREFIX * Opcode::COUNT;
                const NAMES: [u8; NAMES_LEN] = {
                    let from = VISIT_NAMES.as_bytes();
                    let mut names = [0u8; NAMES_LEN];
                    let (mut i, mut read, mut written) = (0, 0, 0);
                    while i < LENS.len() {
                        let mut j = PREFIX;
                        while j < LENS[i] {
                            names[written] = from[read + j];
                            written += 1;
                            j += 1;
                        }
                        read += LENS[i];
                        i += 1;
                    }
                    names
                };
                const ENDS: [u16; Opcode::COUNT] = {
                    let mut ends = [0u16; Opcode::COUNT];
                    let mut i = 0;
                    let mut end = 0;
                    while i < LENS.len() {
                        end += LENS[i] - PREFIX;
                        assert!(end <= u16::MAX as usize);
                        ends[i] = end as u16;
                        i += 1;
                    }
                    ends
                };
                let i = self as usize;
                let start = if i == 0 { 0 } else { ENDS[i - 1] as usize };
                // ASCII: every name is valid UTF-8, so this never gives "".
                NAMES
                    .get(start..ENDS[i] as usize)
                    .and_then(|n| core::str::from_utf8(n).ok())
                    .unwrap_or("")
            }

            /// How many operators the table has.
            pub const COUNT: usize = [$( Opcode::$name, )*].len();

            /// The proposal that introduced the operator.
            pub fn proposal(self) -> Proposal {
                // A table, not a `match`: callers that test the answer against the enabled
                // features got the match as a jump table with an arm per operator.
                static PROPOSALS: [Proposal; Opcode::COUNT] = [$( Proposal::$prop, )*];
                PROPOSALS[self as usize]
            }

            /// The operator with this prefix (`0` for none) and code.
            pub fn from_code(prefix: u8, code: u32) -> Option<Opcode> {
                // One table per prefix, indexed by code, made at compile time: a `match`
                // over the pairs compiled to jump tables and an arm per operator (about 7
                // KB in a small build, against 1.2 KB of tables).
                const CODES: [(u8, u32, Opcode); Opcode::COUNT] = [$( ($prefix, $code, Opcode::$name), )*];
                const fn len(prefix: u8) -> usize {
                    let mut n = 0;
                    let mut i = 0;
                    while i < CODES.len() {
                        if CODES[i].0 == prefix && CODES[i].1 as usize >= n {
                            n = CODES[i].1 as usize + 1;
                        }
                        i += 1;
                    }
                    n
                }
                const fn table<const N: usize>(prefix: u8) -> [Option<Opcode>; N] {
                    let mut t = [None; N];
                    let mut i = 0;
                    while i < CODES.len() {
                        if CODES[i].0 == prefix {
                            t[CODES[i].1 as usize] = Some(CODES[i].2);
                        }
                        i += 1;
                    }
                    t
                }
                const PREFIXES: [u8; 5] = [0, 0xFB, 0xFC, 0xFD, 0xFE];
                const _: () = {
                    // Every operator has one of the prefixes below.
                    let mut i = 0;
                    while i < CODES.len() {
                        let mut j = 0;
                        while PREFIXES[j] != CODES[i].0 {
                            j += 1;
                        }
                        i += 1;
                    }
                };
                static PLAIN: [Option<Opcode>; len(0)] = table(0);
                static GC: [Option<Opcode>; len(0xFB)] = table(0xFB);
                static MISC: [Option<Opcode>; len(0xFC)] = table(0xFC);
                static SIMD: [Option<Opcode>; len(0xFD)] = table(0xFD);
                static ATOMIC: [Option<Opcode>; len(0xFE)] = table(0xFE);
                let codes: &[Option<Opcode>] = match prefix {
                    0 => &PLAIN,
                    0xFB => &GC,
                    0xFC => &MISC,
                    0xFD => &SIMD,
                    0xFE => &ATOMIC,
                    _ => return None,
                };
                codes.get(code as usize).copied().flatten()
            }
        }

        /// A visitor over decoded operators: one method per operator, with its immediates.
        pub trait VisitOperator<'a> {
            /// What each visit returns (typically `Result<(), E>`).
            type Output;
            $(
                fn $visit(&mut self $(, $imm: $ity)*) -> Self::Output;
            )*
        }

        /// Decodes one operator from `reader` and calls the matching method of `visitor`.
        #[inline]
        pub fn read_operator<'a, V: VisitOperator<'a> + ?Sized>(
            reader: &mut BinaryReader<'a>,
            visitor: &mut V,
        ) -> Result<V::Output> {
            let at = reader.offset();
            let (prefix, code) = read_opcode_bytes(reader)?;
            match (prefix, code) {
                $(
                    ($prefix, $code) => {
                        $( let $imm = <$ity as Immediate<'a>>::read(reader)?; )*
                        Ok(visitor.$visit($($imm),*))
                    }
                )*
                _ => Err(unknown_opcode(at, prefix, code)),
            }
        }

        /// Like [`read_operator`] for visitors that return `Result<(), E>`: decoding errors
        /// become `E`, and the visitor's result is returned as is (one `Result`, not two, on
        /// the validator's hot path).
        #[inline]
        pub fn visit_operator<'a, E, V>(reader: &mut BinaryReader<'a>, visitor: &mut V) -> core::result::Result<(), E>
        where
            E: From<DecodeError>,
            V: VisitOperator<'a, Output = core::result::Result<(), E>> + ?Sized,
        {
            let at = reader.offset();
            let (prefix, code) = read_opcode_bytes(reader)?;
            match (prefix, code) {
                $(
                    ($prefix, $code) => {
                        $( let $imm = <$ity as Immediate<'a>>::read(reader)?; )*
                        visitor.$visit($($imm),*)
                    }
                )*
                _ => Err(unknown_opcode(at, prefix, code).into()),
            }
        }
    };
}

for_each_operator!(define_opcode);

#[inline]
fn read_opcode_bytes(reader: &mut BinaryReader<'_>) -> Result<(u8, u32)> {
    let b = reader.read_u8()?;
    Ok(match b {
        0xFB..=0xFE => (b, reader.read_var_u32()?),
        _ => (0, b as u32),
    })
}

#[cold]
fn unknown_opcode(at: usize, prefix: u8, code: u32) -> DecodeError {
    if prefix == 0 {
        DecodeError::fmt(at, format_args!("illegal opcode 0x{code:02x}"))
    } else {
        DecodeError::fmt(at, format_args!("illegal opcode 0x{prefix:02x} 0x{code:x}"))
    }
}

/// The opcode of the next operator, without consuming it.
pub fn peek_opcode(reader: &BinaryReader<'_>) -> Result<Opcode> {
    let mut r = *reader;
    let at = r.offset();
    let (prefix, code) = read_opcode_bytes(&mut r)?;
    Opcode::from_code(prefix, code).ok_or_else(|| unknown_opcode(at, prefix, code))
}

impl Opcode {
    /// Whether the operator may appear in a constant expression (given its proposal is on;
    /// the extended-const arithmetic is reported here and gated by the validator).
    pub fn is_constant(self) -> bool {
        use Opcode::*;
        matches!(
            self,
            I32Const
                | I64Const
                | F32Const
                | F64Const
                | V128Const
                | RefNull
                | RefFunc
                | GlobalGet
                | End
                | I32Add
                | I32Sub
                | I32Mul
                | I64Add
                | I64Sub
                | I64Mul
                | StructNew
                | StructNewDefault
                | StructNewDesc
                | StructNewDefaultDesc
                | ArrayNew
                | ArrayNewDefault
                | ArrayNewFixed
                | RefI31
                | AnyConvertExtern
                | ExternConvertAny
        )
    }

    /// Whether the operator is one of extended-const's arithmetic operators.
    pub fn is_extended_constant(self) -> bool {
        use Opcode::*;
        matches!(self, I32Add | I32Sub | I32Mul | I64Add | I64Sub | I64Mul)
    }
}
