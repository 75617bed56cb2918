//! The section structure of a core module, decoded into [`Module`].
//!
//! Sections are checked for order, size and count; their entries are decoded into vectors
//! (never sized by a count that was not checked against the limits and the bytes left).
//! Function bodies and constant expressions stay as byte ranges: they are walked with
//! [`read_operator`](crate::read_operator) by the validator (fused with the translator).

use alloc::vec::Vec;

use crate::error::{DecodeError, Result};
use crate::limits;
use crate::operators::read_operator;
use crate::reader::BinaryReader;
use crate::types::*;

/// What an import brings in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ImportKind {
    /// A function of the given type index.
    Func(u32),
    /// A function of exactly the given type (custom descriptors).
    FuncExact(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    Tag(TagType),
}

/// One import.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Import<'a> {
    pub offset: usize,
    pub module: &'a str,
    pub name: &'a str,
    pub kind: ImportKind,
}

/// The kind of an exported (or imported) entity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExternalKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

/// One export.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Export<'a> {
    pub offset: usize,
    pub name: &'a str,
    pub kind: ExternalKind,
    pub index: u32,
}

/// A constant expression: the bytes of its operators, `end` included.
#[derive(Clone, Copy, Debug)]
pub struct ConstExpr<'a> {
    pub reader: BinaryReader<'a>,
}

/// A table definition with its initialiser.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    pub offset: usize,
    pub ty: TableType,
    /// `None`: every element starts null.
    pub init: Option<ConstExpr<'a>>,
}

/// A global definition.
#[derive(Clone, Copy, Debug)]
pub struct Global<'a> {
    pub offset: usize,
    pub ty: GlobalType,
    pub init: ConstExpr<'a>,
}

/// How an element or data segment is used.
#[derive(Clone, Copy, Debug)]
pub enum SegmentMode<'a> {
    /// Copied into the table or memory `index` at `offset` when instantiating.
    Active { index: u32, offset: ConstExpr<'a> },
    /// Used by `table.init`/`memory.init` and friends.
    Passive,
    /// Only declares functions for `ref.func` (element segments only).
    Declared,
}

/// The items of an element segment.
#[derive(Clone, Debug)]
pub enum ElementItems<'a> {
    /// Function indices (the segment's type is `funcref`).
    Functions(Vec<u32>),
    /// Constant expressions of the given type.
    Exprs(RefType, Vec<ConstExpr<'a>>),
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct Element<'a> {
    pub offset: usize,
    pub mode: SegmentMode<'a>,
    pub items: ElementItems<'a>,
}

impl Element<'_> {
    /// The segment's element type.
    pub fn ty(&self) -> RefType {
        match &self.items {
            ElementItems::Functions(_) => RefType {
                nullable: false,
                heap: HeapType::Abstract(AbstractHeapType::Func),
            },
            ElementItems::Exprs(t, _) => *t,
        }
    }
}

/// A data segment.
#[derive(Clone, Copy, Debug)]
pub struct Data<'a> {
    pub offset: usize,
    pub mode: SegmentMode<'a>,
    pub bytes: &'a [u8],
}

/// A function body: the locals declarations then the operators.
#[derive(Clone, Copy, Debug)]
pub struct FunctionBody<'a> {
    pub reader: BinaryReader<'a>,
}

impl<'a> FunctionBody<'a> {
    /// Absolute offset of the body (after its size).
    pub fn offset(&self) -> usize {
        self.reader.offset()
    }
}

/// A custom section.
#[derive(Clone, Copy, Debug)]
pub struct CustomSection<'a> {
    pub offset: usize,
    pub name: &'a str,
    pub data: &'a [u8],
}

/// A decoded core module. Entries keep their absolute byte offsets for error messages.
#[derive(Clone, Debug, Default)]
pub struct Module<'a> {
    pub types: Vec<RecGroup>,
    pub imports: Vec<Import<'a>>,
    /// Type index of each defined function.
    pub functions: Vec<u32>,
    pub tables: Vec<Table<'a>>,
    pub memories: Vec<(usize, MemoryType)>,
    pub tags: Vec<(usize, TagType)>,
    pub globals: Vec<Global<'a>>,
    pub exports: Vec<Export<'a>>,
    /// The start function and the offset of its section.
    pub start: Option<(usize, u32)>,
    pub elements: Vec<Element<'a>>,
    pub data_count: Option<u32>,
    pub code: Vec<FunctionBody<'a>>,
    pub data: Vec<Data<'a>>,
    pub customs: Vec<CustomSection<'a>>,
    /// Function names from the `name` section (absolute index, name), when it decodes.
    pub function_names: Vec<(u32, &'a str)>,
    /// The module's name from the `name` section, when it decodes.
    pub module_name: Option<&'a str>,
    /// Offset of the function section (or of the code section when that is absent).
    pub function_section_offset: usize,
}

/// Section ids in the order the binary format requires.
const SECTION_ORDER: [u8; 12] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10];

fn order_of(id: u8) -> Option<usize> {
    if id == 11 {
        return Some(12);
    }
    SECTION_ORDER.iter().position(|&s| s == id)
}

impl<'a> Module<'a> {
    /// Decodes the structure of a module.
    pub fn parse(bytes: &'a [u8]) -> Result<Module<'a>> {
        if bytes.len() > limits::MAX_MODULE_SIZE {
            crate::bail!(
                0,
                "module size {} exceeds the limit of {}",
                bytes.len(),
                limits::MAX_MODULE_SIZE
            );
        }
        let mut r = BinaryReader::new(bytes, 0);
        let magic = r
            .read_bytes(4)
            .map_err(|_| DecodeError::new(0, "magic header not detected"))?;
        if magic != b"\0asm" {
            return Err(DecodeError::new(0, "magic header not detected"));
        }
        let version = r
            .read_bytes(4)
            .map_err(|_| DecodeError::new(4, "unexpected end: missing version"))?;
        if version != [1, 0, 0, 0] {
            return Err(DecodeError::new(4, "unknown binary version"));
        }
        let mut m = Module::default();
        let mut last_order: Option<usize> = None;
        let mut function_count: Option<usize> = None;
        while !r.eof() {
            let section_start = r.offset();
            let id = r.read_u8()?;
            let size = r.read_var_u32()? as usize;
            let mut s = r.split(size).map_err(|_| {
                DecodeError::new(section_start, "section size mismatch: unexpected end")
            })?;
            if id == 0 {
                m.parse_custom(&mut s, section_start)?;
                continue;
            }
            let order = match order_of(id) {
                Some(o) => o,
                None => crate::bail!(section_start, "malformed section id {id}"),
            };
            if let Some(last) = last_order {
                if order <= last {
                    crate::bail!(
                        section_start,
                        "unexpected section: section id {id} out of order or duplicated"
                    );
                }
            }
            last_order = Some(order);
            match id {
                1 => {
                    let n = s.read_count(limits::MAX_TYPES, "type")?;
                    m.types.reserve(n);
                    let mut total = 0usize;
                    for _ in 0..n {
                        let g = s.read_rec_group()?;
                        total += g.types.len();
                        if total > limits::MAX_TYPES {
                            crate::bail!(
                                g.offset,
                                "type count exceeds the limit of {}",
                                limits::MAX_TYPES
                            );
                        }
                        m.types.push(g);
                    }
                }
                2 => {
                    let n = s.read_count(limits::MAX_IMPORTS, "import")?;
                    m.imports.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        let module = s.read_string()?;
                        let name = s.read_string()?;
                        let kind_at = s.offset();
                        let kind = match s.read_u8()? {
                            0x00 => ImportKind::Func(s.read_var_u32()?),
                            0x01 => ImportKind::Table(s.read_table_type()?),
                            0x02 => ImportKind::Memory(s.read_memory_type()?),
                            0x03 => ImportKind::Global(s.read_global_type()?),
                            0x04 => ImportKind::Tag(s.read_tag_type()?),
                            0x20 => ImportKind::FuncExact(s.read_var_u32()?),
                            b => crate::bail!(kind_at, "malformed import kind 0x{b:02x}"),
                        };
                        m.imports.push(Import {
                            offset,
                            module,
                            name,
                            kind,
                        });
                    }
                }
                3 => {
                    m.function_section_offset = section_start;
                    let n = s.read_count(limits::MAX_FUNCTIONS, "function")?;
                    m.functions.reserve(n);
                    for _ in 0..n {
                        m.functions.push(s.read_var_u32()?);
                    }
                    function_count = Some(n);
                }
                4 => {
                    let n = s.read_count(limits::MAX_TABLES, "table")?;
                    m.tables.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        if s.peek_u8()? == 0x40 {
                            s.read_u8()?;
                            let at = s.offset();
                            if s.read_u8()? != 0 {
                                crate::bail!(at, "malformed table: reserved byte must be zero");
                            }
                            let ty = s.read_table_type()?;
                            let init = read_const_expr(&mut s)?;
                            m.tables.push(Table {
                                offset,
                                ty,
                                init: Some(init),
                            });
                        } else {
                            let ty = s.read_table_type()?;
                            m.tables.push(Table {
                                offset,
                                ty,
                                init: None,
                            });
                        }
                    }
                }
                5 => {
                    let n = s.read_count(limits::MAX_MEMORIES, "memory")?;
                    m.memories.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        m.memories.push((offset, s.read_memory_type()?));
                    }
                }
                13 => {
                    let n = s.read_count(limits::MAX_TAGS, "tag")?;
                    m.tags.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        m.tags.push((offset, s.read_tag_type()?));
                    }
                }
                6 => {
                    let n = s.read_count(limits::MAX_GLOBALS, "global")?;
                    m.globals.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        let ty = s.read_global_type()?;
                        let init = read_const_expr(&mut s)?;
                        m.globals.push(Global { offset, ty, init });
                    }
                }
                7 => {
                    let n = s.read_count(limits::MAX_EXPORTS, "export")?;
                    m.exports.reserve(n);
                    for _ in 0..n {
                        let offset = s.offset();
                        let name = s.read_string()?;
                        let kind_at = s.offset();
                        let kind = match s.read_u8()? {
                            0x00 => ExternalKind::Func,
                            0x01 => ExternalKind::Table,
                            0x02 => ExternalKind::Memory,
                            0x03 => ExternalKind::Global,
                            0x04 => ExternalKind::Tag,
                            b => crate::bail!(kind_at, "malformed export kind 0x{b:02x}"),
                        };
                        let index = s.read_var_u32()?;
                        m.exports.push(Export {
                            offset,
                            name,
                            kind,
                            index,
                        });
                    }
                }
                8 => {
                    m.start = Some((section_start, s.read_var_u32()?));
                }
                9 => {
                    let n = s.read_count(limits::MAX_ELEMENT_SEGMENTS, "element segment")?;
                    m.elements.reserve(n);
                    for _ in 0..n {
                        m.elements.push(read_element(&mut s)?);
                    }
                }
                12 => {
                    m.data_count = Some(s.read_var_u32()?);
                }
                10 => {
                    let n = s.read_count(limits::MAX_FUNCTIONS, "function body")?;
                    if function_count.unwrap_or(0) != n {
                        crate::bail!(
                            section_start,
                            "function and code section have inconsistent lengths"
                        );
                    }
                    if function_count.is_none() {
                        m.function_section_offset = section_start;
                    }
                    m.code.reserve(n);
                    for _ in 0..n {
                        let at = s.offset();
                        let size = s.read_var_u32()? as usize;
                        if size > limits::MAX_FUNCTION_SIZE {
                            crate::bail!(
                                at,
                                "function body size {size} exceeds the limit of {}",
                                limits::MAX_FUNCTION_SIZE
                            );
                        }
                        let body = s.split(size)?;
                        m.code.push(FunctionBody { reader: body });
                    }
                }
                11 => {
                    let n = s.read_count(limits::MAX_DATA_SEGMENTS, "data segment")?;
                    if let Some(c) = m.data_count {
                        if c as usize != n {
                            crate::bail!(
                                section_start,
                                "data count and data section have inconsistent lengths"
                            );
                        }
                    }
                    m.data.reserve(n);
                    for _ in 0..n {
                        m.data.push(read_data(&mut s)?);
                    }
                }
                _ => unreachable!("section ids were checked by order_of"),
            }
            if !s.eof() {
                crate::bail!(
                    s.offset(),
                    "section size mismatch: {} bytes left at the end of section {id}",
                    s.remaining()
                );
            }
        }
        if function_count.unwrap_or(0) != m.code.len() {
            crate::bail!(
                bytes.len(),
                "function and code section have inconsistent lengths"
            );
        }
        if let Some(c) = m.data_count {
            if c as usize != m.data.len() {
                crate::bail!(
                    bytes.len(),
                    "data count and data section have inconsistent lengths"
                );
            }
        }
        Ok(m)
    }

    fn parse_custom(&mut self, s: &mut BinaryReader<'a>, offset: usize) -> Result<()> {
        let name = s.read_string()?;
        let data = s.remaining_bytes();
        if name == "name" {
            // A malformed name section does not make the module malformed: ignore it.
            (self.module_name, self.function_names) =
                parse_names(BinaryReader::new(data, s.offset())).unwrap_or_default();
        }
        self.customs.push(CustomSection { offset, name, data });
        Ok(())
    }

    /// The name of function `index` from the name section, if present.
    pub fn function_name(&self, index: u32) -> Option<&'a str> {
        self.function_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.function_names[i].1)
    }
}

/// The module name (subsection 0) and function names (subsection 1) of a `name` section.
type Names<'a> = (Option<&'a str>, Vec<(u32, &'a str)>);

fn parse_names(mut r: BinaryReader<'_>) -> Result<Names<'_>> {
    let mut module = None;
    while !r.eof() {
        let id = r.read_u8()?;
        let size = r.read_var_u32()? as usize;
        let mut sub = r.split(size)?;
        if id == 0 {
            module = Some(sub.read_string()?);
        } else if id == 1 {
            let n = sub.read_count(limits::MAX_FUNCTIONS, "function name")?;
            let mut names: Vec<(u32, &str)> = Vec::with_capacity(n);
            for _ in 0..n {
                let idx = sub.read_var_u32()?;
                let name = sub.read_string()?;
                // A name map's indices increase (the name section's rule): one out of order
                // or repeated makes the section malformed, and it is ignored. (So lookups can
                // search the map as it is: no sort, which in a small build is 3.5 KB of
                // code.)
                if names.last().is_some_and(|&(last, _)| last >= idx) {
                    return Err(DecodeError::new(
                        sub.offset(),
                        "function names out of order",
                    ));
                }
                names.push((idx, name));
            }
            // Subsections come in order of id: nothing read after this one is needed.
            return Ok((module, names));
        }
    }
    Ok((module, Vec::new()))
}

/// One operator of a constant expression, as a runtime evaluates it ([`read_const_op`]).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
    /// GC allocations (module type indices).
    StructNew(u32),
    StructNewDefault(u32),
    ArrayNew(u32),
    ArrayNewDefault(u32),
    ArrayNewFixed(u32, u32),
    RefI31,
    /// `struct.new_desc` and `struct.new_default_desc` (custom descriptors).
    StructNewDesc(u32),
    StructNewDefaultDesc(u32),
    /// `any.convert_extern` and `extern.convert_any` (no change of bits).
    Convert,
    /// The expression's `end`.
    End,
}

/// Reads one operator: a constant one as its [`ConstOp`], any other as `None` (its
/// immediates skipped). Every other arm returns the same value, so the arms that read the
/// same immediates are one code (21 KB less at `opt-level = "z"` than returning `Opcode`).
struct ConstReader;

macro_rules! const_op {
    (I32Const, ($v:ident)) => { Some(ConstOp::I32($v)) };
    (I64Const, ($v:ident)) => { Some(ConstOp::I64($v)) };
    (F32Const, ($v:ident)) => { Some(ConstOp::F32($v.0)) };
    (F64Const, ($v:ident)) => { Some(ConstOp::F64($v.0)) };
    (V128Const, ($v:ident)) => { Some(ConstOp::V128(u128::from_le_bytes($v.0))) };
    (RefNull, ($v:ident)) => { { let _ = $v; Some(ConstOp::RefNull) } };
    (RefFunc, ($v:ident)) => { Some(ConstOp::RefFunc($v)) };
    (GlobalGet, ($v:ident)) => { Some(ConstOp::GlobalGet($v)) };
    (I32Add, ()) => { Some(ConstOp::I32Add) };
    (I32Sub, ()) => { Some(ConstOp::I32Sub) };
    (I32Mul, ()) => { Some(ConstOp::I32Mul) };
    (I64Add, ()) => { Some(ConstOp::I64Add) };
    (I64Sub, ()) => { Some(ConstOp::I64Sub) };
    (I64Mul, ()) => { Some(ConstOp::I64Mul) };
    (StructNew, ($t:ident)) => { Some(ConstOp::StructNew($t)) };
    (StructNewDefault, ($t:ident)) => { Some(ConstOp::StructNewDefault($t)) };
    (ArrayNew, ($t:ident)) => { Some(ConstOp::ArrayNew($t)) };
    (ArrayNewDefault, ($t:ident)) => { Some(ConstOp::ArrayNewDefault($t)) };
    (ArrayNewFixed, ($t:ident, $n:ident)) => { Some(ConstOp::ArrayNewFixed($t, $n)) };
    (RefI31, ()) => { Some(ConstOp::RefI31) };
    (StructNewDesc, ($t:ident)) => { Some(ConstOp::StructNewDesc($t)) };
    (StructNewDefaultDesc, ($t:ident)) => { Some(ConstOp::StructNewDefaultDesc($t)) };
    (AnyConvertExtern, ()) => { Some(ConstOp::Convert) };
    (ExternConvertAny, ()) => { Some(ConstOp::Convert) };
    (End, ()) => { Some(ConstOp::End) };
    ($other:ident, ($($v:ident),*)) => { { $( let _ = $v; )* None } };
}

macro_rules! define_const_reader {
    ($( $prop:ident $prefix:literal $code:literal $name:ident $visit:ident
        { $($imm:ident : $ity:ty),* } [$($sig:tt)*] )*) => {
        impl<'a> crate::operators::VisitOperator<'a> for ConstReader {
            type Output = Option<ConstOp>;
            $(
                fn $visit(&mut self $(, $imm: $ity)*) -> Option<ConstOp> {
                    const_op!($name, ($($imm),*))
                }
            )*
        }
    };
}
crate::for_each_operator!(define_const_reader);

/// Reads one operator of a constant expression: `Some` for the operators a runtime
/// evaluates (and `end`), `None` for any other, whose immediates are skipped (the validator
/// refuses those in constant expressions).
pub fn read_const_op(r: &mut BinaryReader<'_>) -> Result<Option<ConstOp>> {
    read_operator(r, &mut ConstReader)
}

/// Reads a constant expression up to and including its first `end`.
pub fn read_const_expr<'a>(r: &mut BinaryReader<'a>) -> Result<ConstExpr<'a>> {
    let start = *r;
    while read_const_op(r)? != Some(ConstOp::End) {}
    let len = r.offset() - start.offset();
    let mut body = start;
    let reader = body.split(len)?;
    Ok(ConstExpr { reader })
}

fn read_elem_kind(r: &mut BinaryReader<'_>) -> Result<()> {
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(()),
        b => crate::bail!(at, "malformed element kind 0x{b:02x}"),
    }
}

fn read_func_indices(r: &mut BinaryReader<'_>) -> Result<Vec<u32>> {
    let n = r.read_count(limits::MAX_ELEMENT_ITEMS, "element")?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(r.read_var_u32()?);
    }
    Ok(v)
}

fn read_expr_items<'a>(r: &mut BinaryReader<'a>) -> Result<Vec<ConstExpr<'a>>> {
    let n = r.read_count(limits::MAX_ELEMENT_ITEMS, "element")?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(read_const_expr(r)?);
    }
    Ok(v)
}

fn read_element<'a>(r: &mut BinaryReader<'a>) -> Result<Element<'a>> {
    let offset = r.offset();
    let flags = r.read_var_u32()?;
    let (mode, items) = match flags {
        0 => {
            let off = read_const_expr(r)?;
            (
                SegmentMode::Active {
                    index: 0,
                    offset: off,
                },
                ElementItems::Functions(read_func_indices(r)?),
            )
        }
        1 | 3 => {
            read_elem_kind(r)?;
            let mode = if flags == 1 {
                SegmentMode::Passive
            } else {
                SegmentMode::Declared
            };
            (mode, ElementItems::Functions(read_func_indices(r)?))
        }
        2 => {
            let index = r.read_var_u32()?;
            let off = read_const_expr(r)?;
            read_elem_kind(r)?;
            (
                SegmentMode::Active { index, offset: off },
                ElementItems::Functions(read_func_indices(r)?),
            )
        }
        4 => {
            let off = read_const_expr(r)?;
            (
                SegmentMode::Active {
                    index: 0,
                    offset: off,
                },
                ElementItems::Exprs(RefType::FUNCREF, read_expr_items(r)?),
            )
        }
        5 | 7 => {
            let ty = r.read_ref_type()?;
            let mode = if flags == 5 {
                SegmentMode::Passive
            } else {
                SegmentMode::Declared
            };
            (mode, ElementItems::Exprs(ty, read_expr_items(r)?))
        }
        6 => {
            let index = r.read_var_u32()?;
            let off = read_const_expr(r)?;
            let ty = r.read_ref_type()?;
            (
                SegmentMode::Active { index, offset: off },
                ElementItems::Exprs(ty, read_expr_items(r)?),
            )
        }
        _ => crate::bail!(offset, "malformed elements segment kind {flags}"),
    };
    Ok(Element {
        offset,
        mode,
        items,
    })
}

fn read_data<'a>(r: &mut BinaryReader<'a>) -> Result<Data<'a>> {
    let offset = r.offset();
    let flags = r.read_var_u32()?;
    let mode = match flags {
        0 => SegmentMode::Active {
            index: 0,
            offset: read_const_expr(r)?,
        },
        1 => SegmentMode::Passive,
        2 => {
            let index = r.read_var_u32()?;
            SegmentMode::Active {
                index,
                offset: read_const_expr(r)?,
            }
        }
        _ => crate::bail!(offset, "malformed data segment kind {flags}"),
    };
    let len = r.read_var_u32()? as usize;
    let bytes = r.read_bytes(len)?;
    Ok(Data {
        offset,
        mode,
        bytes,
    })
}
