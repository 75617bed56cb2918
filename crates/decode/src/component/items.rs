//! Sorts, extern names and descriptions, imports (section 10), exports (11), aliases (6),
//! core instances (2), component instances (5) and the start function (9).

use alloc::vec::Vec;

use super::read_vec;
use super::types::{read_val_type, ComponentValType};
use crate::error::Result;
use crate::limits;
use crate::module::{Export as CoreExport, ExternalKind as CoreSort};
use crate::reader::BinaryReader;

/// The sort of a component-level item (what an export, import, alias or argument refers to).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Sort {
    /// `0x00 0x11`: the only core sort allowed at the component level.
    CoreModule,
    Func,
    Value,
    Type,
    Component,
    Instance,
}

impl Sort {
    /// The name in the text format.
    pub fn name(self) -> &'static str {
        match self {
            Sort::CoreModule => "core module",
            Sort::Func => "func",
            Sort::Value => "value",
            Sort::Type => "type",
            Sort::Component => "component",
            Sort::Instance => "instance",
        }
    }
}

/// The sort from its byte, and its second byte when the first is 0x00 (a core sort).
fn sort_from_bytes(first: u8, core: Option<u8>, at: usize) -> Result<Sort> {
    Ok(match (first, core) {
        (0x00, Some(0x11)) => Sort::CoreModule,
        (0x00, Some(b)) => crate::bail!(
            at + 1,
            "malformed sort: core sort 0x{b:02x} where only a core module (0x11) is allowed"
        ),
        (0x01, _) => Sort::Func,
        (0x02, _) => Sort::Value,
        (0x03, _) => Sort::Type,
        (0x04, _) => Sort::Component,
        (0x05, _) => Sort::Instance,
        (b, _) => crate::bail!(at, "malformed sort 0x{b:02x}"),
    })
}

pub(super) fn read_sort(r: &mut BinaryReader<'_>) -> Result<Sort> {
    let at = r.offset();
    let first = r.read_u8()?;
    let core = if first == 0x00 {
        Some(r.read_u8()?)
    } else {
        None
    };
    sort_from_bytes(first, core, at)
}

/// The name of an import or export. The name's rules (kebab-case, interface names,
/// versions) are checked by validation; here it is kept as written, with its form byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExternName<'a> {
    /// 0x00 or 0x01 (a plain name; 0x01 is the former interface-name form), or 0x02 (a
    /// name followed by options).
    pub form: u8,
    pub name: &'a str,
    /// Option 0x00 (form 0x02 only).
    pub implements: Option<&'a str>,
    /// Option 0x01 (form 0x02 only).
    pub version_suffix: Option<&'a str>,
    /// Option 0x02 (form 0x02 only).
    pub external_id: Option<&'a str>,
}

pub(super) fn read_extern_name<'a>(r: &mut BinaryReader<'a>) -> Result<ExternName<'a>> {
    let at = r.offset();
    let form = r.read_u8()?;
    if form > 0x02 {
        crate::bail!(at, "malformed extern name: unknown form 0x{form:02x}");
    }
    let mut name = ExternName {
        form,
        name: r.read_string()?,
        implements: None,
        version_suffix: None,
        external_id: None,
    };
    if form == 0x02 {
        // Nothing is allocated from this count, and each option consumes at least 2 bytes.
        let count = r.read_var_u32()?;
        for _ in 0..count {
            let option_at = r.offset();
            let option = r.read_u8()?;
            let (slot, what) = match option {
                0x00 => (&mut name.implements, "implements"),
                0x01 => (&mut name.version_suffix, "version-suffix"),
                0x02 => (&mut name.external_id, "external-id"),
                b => crate::bail!(option_at, "malformed name option 0x{b:02x}"),
            };
            if slot.is_some() {
                crate::bail!(option_at, "duplicate '{what}' option in name");
            }
            *slot = Some(r.read_string()?);
        }
    }
    Ok(name)
}

/// The bound of an imported or exported type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TypeBounds {
    /// Equal to the type at this index.
    Eq(u32),
    /// A fresh resource type.
    SubResource,
}

/// What an import or export declares (`externdesc`): the sort and its type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TypeRef {
    /// A core module of the core type at this index.
    CoreModule(u32),
    Func(u32),
    Value(ComponentValType),
    Type(TypeBounds),
    Component(u32),
    Instance(u32),
}

pub(super) fn read_type_ref(r: &mut BinaryReader<'_>) -> Result<TypeRef> {
    Ok(match read_sort(r)? {
        Sort::CoreModule => TypeRef::CoreModule(r.read_var_u32()?),
        Sort::Func => TypeRef::Func(r.read_var_u32()?),
        Sort::Value => TypeRef::Value(read_val_type(r)?),
        Sort::Type => {
            let at = r.offset();
            TypeRef::Type(match r.read_u8()? {
                0x00 => TypeBounds::Eq(r.read_var_u32()?),
                0x01 => TypeBounds::SubResource,
                b => crate::bail!(at, "malformed type bound 0x{b:02x}"),
            })
        }
        Sort::Component => TypeRef::Component(r.read_var_u32()?),
        Sort::Instance => TypeRef::Instance(r.read_var_u32()?),
    })
}

/// An import (section 10, and in component types).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Import<'a> {
    pub name: ExternName<'a>,
    pub ty: TypeRef,
}

pub(super) fn read_import<'a>(r: &mut BinaryReader<'a>) -> Result<Import<'a>> {
    Ok(Import {
        name: read_extern_name(r)?,
        ty: read_type_ref(r)?,
    })
}

/// An export (section 11).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Export<'a> {
    pub name: ExternName<'a>,
    pub sort: Sort,
    pub index: u32,
    /// The type the export is given (ascribed), if any.
    pub ty: Option<TypeRef>,
}

pub(super) fn read_export<'a>(r: &mut BinaryReader<'a>) -> Result<Export<'a>> {
    let name = read_extern_name(r)?;
    let sort = read_sort(r)?;
    let index = r.read_var_u32()?;
    let at = r.offset();
    let ty = match r.read_u8()? {
        0x00 => None,
        0x01 => Some(read_type_ref(r)?),
        b => crate::bail!(
            at,
            "malformed export type ascription: 0x{b:02x} (expected 0x00 or 0x01)"
        ),
    };
    Ok(Export {
        name,
        sort,
        index,
        ty,
    })
}

/// What an outer alias refers to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum OuterAliasKind {
    CoreModule,
    CoreType,
    Type,
    Component,
}

/// An alias (section 6, and in component and instance types).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Alias<'a> {
    /// An export of a component instance (target 0x00).
    InstanceExport {
        sort: Sort,
        instance: u32,
        name: &'a str,
    },
    /// An export of a core instance (target 0x01).
    CoreInstanceExport {
        kind: CoreSort,
        instance: u32,
        name: &'a str,
    },
    /// An item of an enclosing component, `count` levels out (target 0x02).
    Outer {
        kind: OuterAliasKind,
        count: u32,
        index: u32,
    },
}

pub(super) fn read_alias<'a>(r: &mut BinaryReader<'a>) -> Result<Alias<'a>> {
    let at = r.offset();
    let first = r.read_u8()?;
    let core = if first == 0x00 {
        Some(r.read_u8()?)
    } else {
        None
    };
    let target_at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => Alias::InstanceExport {
            sort: sort_from_bytes(first, core, at)?,
            instance: r.read_var_u32()?,
            name: r.read_string()?,
        },
        0x01 => {
            let kind = match core {
                None => crate::bail!(
                    at,
                    "malformed alias: a core export alias needs a core sort (0x00 prefix), \
                     found 0x{first:02x}"
                ),
                Some(b) => match core_sort_from_byte(b, at + 1)? {
                    Some(kind) => kind,
                    None => {
                        crate::bail!(at + 1, "exact type is not allowed in core export aliases")
                    }
                },
            };
            Alias::CoreInstanceExport {
                kind,
                instance: r.read_var_u32()?,
                name: r.read_string()?,
            }
        }
        0x02 => {
            let kind = match (first, core) {
                (0x00, Some(0x10)) => OuterAliasKind::CoreType,
                (0x00, Some(0x11)) => OuterAliasKind::CoreModule,
                (0x00, Some(b)) => crate::bail!(
                    at + 1,
                    "malformed outer alias: core sort 0x{b:02x} (only core types and modules)"
                ),
                (0x03, _) => OuterAliasKind::Type,
                (0x04, _) => OuterAliasKind::Component,
                (b, _) => crate::bail!(
                    at,
                    "malformed outer alias: sort 0x{b:02x} (only types and components)"
                ),
            };
            Alias::Outer {
                kind,
                count: r.read_var_u32()?,
                index: r.read_var_u32()?,
            }
        }
        b => crate::bail!(target_at, "malformed alias target 0x{b:02x}"),
    })
}

/// A core sort byte; `None` for 0x20 (an exact function, which only imports may name).
fn core_sort_from_byte(byte: u8, at: usize) -> Result<Option<CoreSort>> {
    Ok(Some(match byte {
        0x00 => CoreSort::Func,
        0x01 => CoreSort::Table,
        0x02 => CoreSort::Memory,
        0x03 => CoreSort::Global,
        0x04 => CoreSort::Tag,
        0x20 => return Ok(None),
        b => crate::bail!(at, "malformed core sort 0x{b:02x}"),
    }))
}

/// An argument of a core instantiation: a core instance, by name (the sort byte is 0x12).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CoreInstantiationArg<'a> {
    pub name: &'a str,
    pub instance: u32,
}

/// An entry of the core instance section.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CoreInstance<'a> {
    Instantiate {
        module: u32,
        args: Vec<CoreInstantiationArg<'a>>,
    },
    /// An instance made of core exports (the core `Export`'s `offset` is that of its name).
    FromExports(Vec<CoreExport<'a>>),
}

pub(super) fn read_core_instance<'a>(r: &mut BinaryReader<'a>) -> Result<CoreInstance<'a>> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => CoreInstance::Instantiate {
            module: r.read_var_u32()?,
            args: read_vec(
                r,
                limits::MAX_INSTANTIATION_ARGS,
                "core instantiation argument",
                |r| {
                    let name = r.read_string()?;
                    let sort_at = r.offset();
                    match r.read_u8()? {
                        0x12 => {}
                        b => crate::bail!(
                            sort_at,
                            "malformed core instantiation argument: sort 0x{b:02x} (only \
                             instances, 0x12)"
                        ),
                    }
                    Ok(CoreInstantiationArg {
                        name,
                        instance: r.read_var_u32()?,
                    })
                },
            )?,
        },
        0x01 => CoreInstance::FromExports(read_vec(
            r,
            limits::MAX_INSTANTIATION_ARGS,
            "core instance export",
            |r| {
                let offset = r.offset();
                let name = r.read_string()?;
                let kind_at = r.offset();
                let kind = match core_sort_from_byte(r.read_u8()?, kind_at)? {
                    Some(kind) => kind,
                    None => crate::bail!(kind_at, "exact type is not allowed in exports"),
                };
                Ok(CoreExport {
                    offset,
                    name,
                    kind,
                    index: r.read_var_u32()?,
                })
            },
        )?),
        b => crate::bail!(at, "malformed core instance: unknown form 0x{b:02x}"),
    })
}

/// An argument of a component instantiation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InstantiationArg<'a> {
    pub name: &'a str,
    pub sort: Sort,
    pub index: u32,
}

/// An export of an instance made of exports (no type ascription).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InlineExport<'a> {
    pub name: ExternName<'a>,
    pub sort: Sort,
    pub index: u32,
}

/// An entry of the instance section.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Instance<'a> {
    Instantiate {
        component: u32,
        args: Vec<InstantiationArg<'a>>,
    },
    FromExports(Vec<InlineExport<'a>>),
}

pub(super) fn read_instance<'a>(r: &mut BinaryReader<'a>) -> Result<Instance<'a>> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => Instance::Instantiate {
            component: r.read_var_u32()?,
            args: read_vec(
                r,
                limits::MAX_INSTANTIATION_ARGS,
                "instantiation argument",
                |r| {
                    Ok(InstantiationArg {
                        name: r.read_string()?,
                        sort: read_sort(r)?,
                        index: r.read_var_u32()?,
                    })
                },
            )?,
        },
        0x01 => Instance::FromExports(read_vec(
            r,
            limits::MAX_INSTANCE_EXPORTS,
            "instance export",
            |r| {
                Ok(InlineExport {
                    name: read_extern_name(r)?,
                    sort: read_sort(r)?,
                    index: r.read_var_u32()?,
                })
            },
        )?),
        b => crate::bail!(at, "malformed instance: unknown form 0x{b:02x}"),
    })
}

/// The start function: a function index, the value indices passed, and how many values it
/// returns.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StartFunction {
    pub func: u32,
    pub args: Vec<u32>,
    pub results: u32,
}

pub(super) fn read_start_function(r: &mut BinaryReader<'_>) -> Result<StartFunction> {
    let func = r.read_var_u32()?;
    let args = read_vec(r, limits::MAX_START_ARGS, "start function argument", |r| {
        r.read_var_u32()
    })?;
    let at = r.offset();
    let results = r.read_var_u32()?;
    if results as usize > limits::MAX_START_RESULTS {
        crate::bail!(
            at,
            "start function result count {results} exceeds the limit of {}",
            limits::MAX_START_RESULTS
        );
    }
    Ok(StartFunction {
        func,
        args,
        results,
    })
}
