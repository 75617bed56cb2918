//! The component binary format (the Component Model's `Binary.md`), decoded into
//! [`Component`]: every section, in binary order, each item with its absolute byte offset.
//!
//! Decoding only: index spaces, types, names and the canonical options' combinations are a
//! later stage's business. A binary is rejected here only when it is malformed: bad LEB128,
//! counts beyond the limits or the bytes left, unknown opcodes and discriminants, sections
//! whose contents do not fill their size exactly, invalid UTF-8, a core module where a
//! component is expected (or the reverse), nesting deeper than
//! [`limits::MAX_COMPONENT_NESTING`].
//!
//! Nested core modules stay as byte ranges ([`NestedModule`], decoded on demand by
//! [`Module::parse`], which the core validator does anyway); only their preamble is checked
//! here, so a component whose nested module is malformed decodes, and the error comes from
//! [`NestedModule::parse`]. This keeps the component decoder apart from the core decoder's
//! proposal coverage. Nested components are decoded recursively.
//!
//! The byte-level encoding is wasmparser 0.263's, which is the one the tool chain emits; it
//! trails `Binary.md` in two places, and we follow wasmparser: `resource.drop async`
//! (canon 0x07) is not decoded, nor is the value section (id 12).

mod canon;
mod items;
mod types;

pub use canon::*;
pub use items::*;
pub use types::*;

use canon::read_canonical_function;
use items::read_start_function;
use items::{read_alias, read_core_instance, read_export, read_import, read_instance};
use types::{read_component_type, read_core_type};

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::{DecodeError, Result};
use crate::limits;
use crate::module::Module;
use crate::reader::BinaryReader;

/// The version field of a component's preamble (pre-standard; 1 once standardised).
pub const COMPONENT_VERSION: u16 = 0x0d;
/// The layer field of a component's preamble (a core module's is 0).
pub const COMPONENT_LAYER: u16 = 0x01;

/// What a preamble says a binary is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    /// Version 1, layer 0.
    Module,
    /// Version 0x0d, layer 1.
    Component,
}

/// Reads the 8-byte preamble (magic, version, layer) and says what follows.
pub fn read_preamble(r: &mut BinaryReader<'_>) -> Result<Encoding> {
    let start = r.offset();
    let magic = r.read_bytes(4)?;
    if magic != b"\0asm" {
        return Err(DecodeError::new(start, "magic header not detected"));
    }
    let version = r.read_u32_le()?;
    match ((version & 0xffff) as u16, (version >> 16) as u16) {
        (1, 0) => Ok(Encoding::Module),
        (COMPONENT_VERSION, COMPONENT_LAYER) => Ok(Encoding::Component),
        (v, layer) => crate::bail!(
            start + 4,
            "unknown binary version 0x{v:04x} and layer 0x{layer:04x}"
        ),
    }
}

/// An item of a section with the absolute offset of its first byte.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Located<T> {
    pub offset: usize,
    pub item: T,
}

/// A core module nested in a component: its bytes (preamble included), not decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NestedModule<'a> {
    /// Absolute offset of the module's first byte (its magic number).
    pub offset: usize,
    pub bytes: &'a [u8],
}

impl<'a> NestedModule<'a> {
    /// Decodes the module. Errors carry absolute offsets; offsets inside the returned
    /// [`Module`] are relative to [`NestedModule::offset`].
    pub fn parse(&self) -> Result<Module<'a>> {
        Module::parse(self.bytes).map_err(|e| e.shifted(self.offset))
    }
}

/// One section of a component.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Section<'a> {
    /// Absolute offset of the section's id byte.
    pub offset: usize,
    /// Absolute offset one past the section's last byte.
    pub end: usize,
    pub contents: SectionContents<'a>,
}

/// What a section holds, by section id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SectionContents<'a> {
    /// 0: a custom section's name and the bytes after it.
    Custom { name: &'a str, data: &'a [u8] },
    /// 1: a core module.
    CoreModule(NestedModule<'a>),
    /// 2: core instances.
    CoreInstances(Vec<Located<CoreInstance<'a>>>),
    /// 3: core types (rec groups and module types).
    CoreTypes(Vec<Located<CoreType<'a>>>),
    /// 4: a nested component.
    Component(Box<Component<'a>>),
    /// 5: component instances.
    Instances(Vec<Located<Instance<'a>>>),
    /// 6: aliases.
    Aliases(Vec<Located<Alias<'a>>>),
    /// 7: component types.
    Types(Vec<Located<ComponentType<'a>>>),
    /// 8: canonical functions.
    Canonicals(Vec<Located<CanonicalFunction>>),
    /// 9: the start function (at most one start section per component).
    Start(Located<StartFunction>),
    /// 10: imports.
    Imports(Vec<Located<Import<'a>>>),
    /// 11: exports.
    Exports(Vec<Located<Export<'a>>>),
}

/// A decoded component: its sections in binary order, which is the order in which the
/// index spaces are built (component sections may repeat and interleave).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Component<'a> {
    /// Absolute offset of the preamble: 0 at the top level.
    pub offset: usize,
    /// The component's bytes, preamble included.
    pub bytes: &'a [u8],
    pub sections: Vec<Section<'a>>,
}

impl<'a> Component<'a> {
    /// Decodes a component binary. A core module is rejected: decode it with
    /// [`Module::parse`] (see [`read_preamble`] to tell which one a binary is).
    pub fn parse(bytes: &'a [u8]) -> Result<Component<'a>> {
        if bytes.len() > limits::MAX_MODULE_SIZE {
            crate::bail!(
                0,
                "component size {} exceeds the limit of {}",
                bytes.len(),
                limits::MAX_MODULE_SIZE
            );
        }
        let mut r = BinaryReader::new(bytes, 0);
        read_component(&mut r, 0)
    }

    /// The core modules nested directly in this component, in order.
    pub fn modules(&self) -> impl Iterator<Item = &NestedModule<'a>> + '_ {
        self.sections.iter().filter_map(|s| match &s.contents {
            SectionContents::CoreModule(m) => Some(m),
            _ => None,
        })
    }

    /// The components nested directly in this component, in order.
    pub fn components(&self) -> impl Iterator<Item = &Component<'a>> + '_ {
        self.sections.iter().filter_map(|s| match &s.contents {
            SectionContents::Component(c) => Some(&**c),
            _ => None,
        })
    }
}

/// Section ids of the component binary format.
mod id {
    pub const CUSTOM: u8 = 0;
    pub const CORE_MODULE: u8 = 1;
    pub const CORE_INSTANCE: u8 = 2;
    pub const CORE_TYPE: u8 = 3;
    pub const COMPONENT: u8 = 4;
    pub const INSTANCE: u8 = 5;
    pub const ALIAS: u8 = 6;
    pub const TYPE: u8 = 7;
    pub const CANON: u8 = 8;
    pub const START: u8 = 9;
    pub const IMPORT: u8 = 10;
    pub const EXPORT: u8 = 11;
    pub const VALUE: u8 = 12;
}

/// Reads a whole component from `r` (all of it: a nested component fills its section).
/// `depth` is 0 at the top level.
fn read_component<'a>(r: &mut BinaryReader<'a>, depth: usize) -> Result<Component<'a>> {
    let offset = r.offset();
    let bytes = r.remaining_bytes();
    if read_preamble(r)? == Encoding::Module {
        crate::bail!(
            offset,
            "expected a component, found a core module (version 1, layer 0)"
        );
    }
    let mut sections = Vec::new();
    let mut has_start = false;
    while !r.eof() {
        let section_start = r.offset();
        let section_id = r.read_u8()?;
        let size_at = r.offset();
        let size = r.read_var_u32()? as usize;
        if size > r.remaining() {
            crate::bail!(
                size_at,
                "section size mismatch: section {section_id} of {size} bytes goes past the end \
                 ({} bytes left)",
                r.remaining()
            );
        }
        let mut s = r.split(size)?;
        let contents = match section_id {
            id::CUSTOM => {
                let name = s.read_string()?;
                let data = s.read_bytes(s.remaining())?;
                SectionContents::Custom { name, data }
            }
            id::CORE_MODULE => {
                let module = NestedModule {
                    offset: s.offset(),
                    bytes: s.remaining_bytes(),
                };
                if read_preamble(&mut s)? == Encoding::Component {
                    crate::bail!(
                        module.offset,
                        "expected a core module, found a component (version 0x0d, layer 1)"
                    );
                }
                s.skip(s.remaining())?;
                SectionContents::CoreModule(module)
            }
            id::CORE_INSTANCE => SectionContents::CoreInstances(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "core instance",
                read_core_instance,
            )?),
            id::CORE_TYPE => SectionContents::CoreTypes(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "core type",
                read_core_type,
            )?),
            id::COMPONENT => {
                if depth + 1 > limits::MAX_COMPONENT_NESTING {
                    crate::bail!(
                        section_start,
                        "components nested too deeply (the limit is {})",
                        limits::MAX_COMPONENT_NESTING
                    );
                }
                SectionContents::Component(Box::new(read_component(&mut s, depth + 1)?))
            }
            id::INSTANCE => SectionContents::Instances(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "instance",
                read_instance,
            )?),
            id::ALIAS => SectionContents::Aliases(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "alias",
                read_alias,
            )?),
            id::TYPE => SectionContents::Types(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "type",
                |r| read_component_type(r, 0),
            )?),
            id::CANON => SectionContents::Canonicals(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "canonical function",
                read_canonical_function,
            )?),
            id::START => {
                if has_start {
                    crate::bail!(
                        section_start,
                        "a component cannot have more than one start section"
                    );
                }
                has_start = true;
                let at = s.offset();
                SectionContents::Start(Located {
                    offset: at,
                    item: read_start_function(&mut s)?,
                })
            }
            id::IMPORT => SectionContents::Imports(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "import",
                read_import,
            )?),
            id::EXPORT => SectionContents::Exports(read_items(
                &mut s,
                limits::MAX_COMPONENT_SECTION_ITEMS,
                "export",
                read_export,
            )?),
            id::VALUE => crate::bail!(section_start, "value sections (id 12) are not supported"),
            _ => crate::bail!(section_start, "malformed section id {section_id}"),
        };
        if !s.eof() {
            crate::bail!(
                s.offset(),
                "section size mismatch: {} bytes left at the end of section {section_id}",
                s.remaining()
            );
        }
        sections.push(Section {
            offset: section_start,
            end: s.offset(),
            contents,
        });
    }
    Ok(Component {
        offset,
        bytes,
        sections,
    })
}

/// A counted vector of items, each with its offset. The count is checked against `limit`
/// and the bytes left before anything is reserved.
fn read_items<'a, T>(
    r: &mut BinaryReader<'a>,
    limit: usize,
    what: &str,
    mut read: impl FnMut(&mut BinaryReader<'a>) -> Result<T>,
) -> Result<Vec<Located<T>>> {
    let n = r.read_count(limit, what)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = r.offset();
        items.push(Located {
            offset,
            item: read(r)?,
        });
    }
    Ok(items)
}

/// A counted vector of items, the count checked against `limit` and the bytes left.
fn read_vec<'a, T>(
    r: &mut BinaryReader<'a>,
    limit: usize,
    what: &str,
    mut read: impl FnMut(&mut BinaryReader<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = r.read_count(limit, what)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(read(r)?);
    }
    Ok(items)
}

/// A boolean byte: 0 or 1.
fn read_bool(r: &mut BinaryReader<'_>, what: &str) -> Result<bool> {
    let at = r.offset();
    match r.read_u8()? {
        0 => Ok(false),
        1 => Ok(true),
        b => crate::bail!(at, "malformed {what}: 0x{b:02x} is not a boolean (0 or 1)"),
    }
}
