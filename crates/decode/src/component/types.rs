//! Component types (section 7) and core types (section 3): value types, defined types,
//! function types, component and instance types with their declarations, resource types,
//! and core module types.

use alloc::vec::Vec;

use super::items::{read_alias, read_extern_name, read_import, read_type_ref};
use super::items::{Alias, ExternName, Import, TypeRef};
use super::{read_items, read_vec, Located};
use crate::error::Result;
use crate::limits;
use crate::module::{Import as CoreImport, ImportKind as CoreTypeRef};
use crate::reader::BinaryReader;
use crate::types::{GlobalType, RecGroup, ValType};

/// The primitive value types (one byte each).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PrimitiveValType {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    ErrorContext,
}

impl PrimitiveValType {
    /// The primitive type a byte stands for, if any.
    pub fn from_byte(byte: u8) -> Option<PrimitiveValType> {
        use PrimitiveValType::*;
        Some(match byte {
            0x7f => Bool,
            0x7e => S8,
            0x7d => U8,
            0x7c => S16,
            0x7b => U16,
            0x7a => S32,
            0x79 => U32,
            0x78 => S64,
            0x77 => U64,
            0x76 => F32,
            0x75 => F64,
            0x74 => Char,
            0x73 => String,
            0x64 => ErrorContext,
            _ => return None,
        })
    }

    /// The name in the text format.
    pub fn name(self) -> &'static str {
        use PrimitiveValType::*;
        match self {
            Bool => "bool",
            S8 => "s8",
            U8 => "u8",
            S16 => "s16",
            U16 => "u16",
            S32 => "s32",
            U32 => "u32",
            S64 => "s64",
            U64 => "u64",
            F32 => "f32",
            F64 => "f64",
            Char => "char",
            String => "string",
            ErrorContext => "error-context",
        }
    }
}

/// A value type where one is expected: a primitive, or the index of a defined type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ComponentValType {
    Primitive(PrimitiveValType),
    Type(u32),
}

/// A case of a variant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VariantCase<'a> {
    pub name: &'a str,
    pub ty: Option<ComponentValType>,
}

/// A defined value type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DefinedType<'a> {
    Primitive(PrimitiveValType),
    Record(Vec<(&'a str, ComponentValType)>),
    Variant(Vec<VariantCase<'a>>),
    List(ComponentValType),
    /// A list of exactly `.1` elements.
    FixedLengthList(ComponentValType, u32),
    /// Keys, values.
    Map(ComponentValType, ComponentValType),
    Tuple(Vec<ComponentValType>),
    Flags(Vec<&'a str>),
    Enum(Vec<&'a str>),
    Option(ComponentValType),
    Result {
        ok: Option<ComponentValType>,
        err: Option<ComponentValType>,
    },
    /// An owned handle of the resource type at this index.
    Own(u32),
    /// A borrowed handle of the resource type at this index.
    Borrow(u32),
    Future(Option<ComponentValType>),
    Stream(Option<ComponentValType>),
}

/// A component function type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FuncType<'a> {
    /// Form 0x43 (`async`) rather than 0x40.
    pub is_async: bool,
    pub params: Vec<(&'a str, ComponentValType)>,
    pub result: Option<ComponentValType>,
}

/// A declaration inside a component type (0x41) or an instance type (0x42).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TypeDeclaration<'a> {
    CoreType(CoreType<'a>),
    Type(ComponentType<'a>),
    Alias(Alias<'a>),
    /// Only in component types.
    Import(Import<'a>),
    Export {
        name: ExternName<'a>,
        ty: TypeRef,
    },
}

/// An entry of the type section.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ComponentType<'a> {
    Defined(DefinedType<'a>),
    Func(FuncType<'a>),
    Component(Vec<Located<TypeDeclaration<'a>>>),
    Instance(Vec<Located<TypeDeclaration<'a>>>),
    /// A resource type: its core representation and optional destructor (a core function).
    Resource {
        representation: ValType,
        destructor: Option<u32>,
    },
}

/// An entry of the core type section.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CoreType<'a> {
    Rec(RecGroup),
    Module(Vec<Located<ModuleTypeDeclaration<'a>>>),
}

/// A declaration inside a core module type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ModuleTypeDeclaration<'a> {
    Import(CoreImport<'a>),
    Type(RecGroup),
    /// An outer alias of a core type.
    OuterAlias {
        count: u32,
        index: u32,
    },
    Export {
        name: &'a str,
        ty: CoreTypeRef,
    },
}

/// A value type: a primitive byte, or a non-negative s33 type index.
pub(super) fn read_val_type(r: &mut BinaryReader<'_>) -> Result<ComponentValType> {
    let at = r.offset();
    let first = r.peek_u8()?;
    if let Some(p) = PrimitiveValType::from_byte(first) {
        r.read_u8()?;
        return Ok(ComponentValType::Primitive(p));
    }
    match u32::try_from(r.read_var_s33()?) {
        Ok(index) => Ok(ComponentValType::Type(index)),
        Err(_) => crate::bail!(
            at,
            "malformed component value type: unknown form 0x{first:02x}"
        ),
    }
}

/// `0x00` (absent) or `0x01` and a value type.
pub(super) fn read_optional_val_type(r: &mut BinaryReader<'_>) -> Result<Option<ComponentValType>> {
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(None),
        0x01 => Ok(Some(read_val_type(r)?)),
        b => crate::bail!(
            at,
            "malformed optional value type: 0x{b:02x} (expected 0x00 or 0x01)"
        ),
    }
}

/// A function's result list: `0x00 t` (one result) or `0x01 0x00` (none).
pub(super) fn read_result_list(r: &mut BinaryReader<'_>) -> Result<Option<ComponentValType>> {
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(Some(read_val_type(r)?)),
        0x01 => {
            let at = r.offset();
            match r.read_u8()? {
                0x00 => Ok(None),
                b => crate::bail!(
                    at,
                    "malformed result list: {b} named results (only 0 is allowed)"
                ),
            }
        }
        b => crate::bail!(at, "malformed result list: unknown form 0x{b:02x}"),
    }
}

/// An entry of the type section (or a type declaration). `depth` counts the component and
/// instance types around it, for [`limits::MAX_COMPONENT_TYPE_NESTING`].
pub(super) fn read_component_type<'a>(
    r: &mut BinaryReader<'a>,
    depth: usize,
) -> Result<ComponentType<'a>> {
    let at = r.offset();
    let form = r.read_u8()?;
    Ok(match form {
        0x3f => {
            let representation = r.read_val_type()?;
            let destructor_at = r.offset();
            let destructor = match r.read_u8()? {
                0x00 => None,
                0x01 => Some(r.read_var_u32()?),
                b => crate::bail!(
                    destructor_at,
                    "malformed resource destructor: 0x{b:02x} (expected 0x00 or 0x01)"
                ),
            };
            ComponentType::Resource {
                representation,
                destructor,
            }
        }
        0x40 | 0x43 => ComponentType::Func(read_func_type(r, form == 0x43)?),
        0x41 => ComponentType::Component(read_declarations(r, depth, true)?),
        0x42 => ComponentType::Instance(read_declarations(r, depth, false)?),
        _ => ComponentType::Defined(read_defined_type(r, form, at)?),
    })
}

fn read_func_type<'a>(r: &mut BinaryReader<'a>, is_async: bool) -> Result<FuncType<'a>> {
    let params = read_vec(
        r,
        limits::MAX_COMPONENT_FUNCTION_PARAMS,
        "component function parameter",
        |r| Ok((r.read_string()?, read_val_type(r)?)),
    )?;
    let result = read_result_list(r)?;
    Ok(FuncType {
        is_async,
        params,
        result,
    })
}

/// The body of a defined type whose form byte (at `at`) was already read.
fn read_defined_type<'a>(r: &mut BinaryReader<'a>, form: u8, at: usize) -> Result<DefinedType<'a>> {
    if let Some(p) = PrimitiveValType::from_byte(form) {
        return Ok(DefinedType::Primitive(p));
    }
    Ok(match form {
        0x72 => DefinedType::Record(read_vec(
            r,
            limits::MAX_RECORD_FIELDS,
            "record field",
            |r| Ok((r.read_string()?, read_val_type(r)?)),
        )?),
        0x71 => DefinedType::Variant(read_vec(
            r,
            limits::MAX_VARIANT_CASES,
            "variant case",
            read_variant_case,
        )?),
        0x70 => DefinedType::List(read_val_type(r)?),
        0x67 => DefinedType::FixedLengthList(read_val_type(r)?, r.read_var_u32()?),
        0x63 => DefinedType::Map(read_val_type(r)?, read_val_type(r)?),
        0x6f => DefinedType::Tuple(read_vec(
            r,
            limits::MAX_TUPLE_TYPES,
            "tuple type",
            read_val_type,
        )?),
        0x6e => DefinedType::Flags(read_vec(r, limits::MAX_FLAGS, "flag", |r| r.read_string())?),
        0x6d => DefinedType::Enum(read_vec(r, limits::MAX_ENUM_CASES, "enum case", |r| {
            r.read_string()
        })?),
        0x6b => DefinedType::Option(read_val_type(r)?),
        0x6a => DefinedType::Result {
            ok: read_optional_val_type(r)?,
            err: read_optional_val_type(r)?,
        },
        0x69 => DefinedType::Own(r.read_var_u32()?),
        0x68 => DefinedType::Borrow(r.read_var_u32()?),
        0x66 => DefinedType::Stream(read_optional_val_type(r)?),
        0x65 => DefinedType::Future(read_optional_val_type(r)?),
        _ => crate::bail!(at, "malformed component type: unknown form 0x{form:02x}"),
    })
}

/// A variant case: name, optional type, and a zero byte (the retired `refines` field).
fn read_variant_case<'a>(r: &mut BinaryReader<'a>) -> Result<VariantCase<'a>> {
    let name = r.read_string()?;
    let ty = read_optional_val_type(r)?;
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(VariantCase { name, ty }),
        b => crate::bail!(
            at,
            "malformed variant case: 0x{b:02x} where a zero byte is required"
        ),
    }
}

/// The declarations of a component type (`imports` allowed) or an instance type; `depth`
/// is that of the type holding them.
fn read_declarations<'a>(
    r: &mut BinaryReader<'a>,
    depth: usize,
    imports: bool,
) -> Result<Vec<Located<TypeDeclaration<'a>>>> {
    if depth >= limits::MAX_COMPONENT_TYPE_NESTING {
        crate::bail!(
            r.offset(),
            "component type nesting is too deep (the limit is {})",
            limits::MAX_COMPONENT_TYPE_NESTING
        );
    }
    let (limit, what) = if imports {
        (
            limits::MAX_COMPONENT_TYPE_DECLARATIONS,
            "component type declaration",
        )
    } else {
        (
            limits::MAX_INSTANCE_TYPE_DECLARATIONS,
            "instance type declaration",
        )
    };
    read_items(r, limit, what, |r| read_declaration(r, depth + 1, imports))
}

fn read_declaration<'a>(
    r: &mut BinaryReader<'a>,
    depth: usize,
    imports: bool,
) -> Result<TypeDeclaration<'a>> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => TypeDeclaration::CoreType(read_core_type(r)?),
        0x01 => TypeDeclaration::Type(read_component_type(r, depth)?),
        0x02 => TypeDeclaration::Alias(read_alias(r)?),
        0x03 if imports => TypeDeclaration::Import(read_import(r)?),
        0x04 => TypeDeclaration::Export {
            name: read_extern_name(r)?,
            ty: read_type_ref(r)?,
        },
        b => crate::bail!(
            at,
            "malformed {} type declaration: unknown form 0x{b:02x}",
            if imports { "component" } else { "instance" }
        ),
    })
}

/// An entry of the core type section: a rec group, or (0x50) a module type. A rec group may
/// not start with 0x50 (a non-final sub type) without a 0x00 prefix, which resolves the
/// clash with the module type's form.
pub(super) fn read_core_type<'a>(r: &mut BinaryReader<'a>) -> Result<CoreType<'a>> {
    match r.peek_u8()? {
        0x00 => {
            r.read_u8()?;
            let at = r.offset();
            let next = r.peek_u8()?;
            if next != 0x50 {
                crate::bail!(
                    at,
                    "malformed core type: 0x00 must be followed by a non-final sub type \
                     (0x50), found 0x{next:02x}"
                );
            }
            Ok(CoreType::Rec(r.read_rec_group()?))
        }
        0x50 => {
            r.read_u8()?;
            Ok(CoreType::Module(read_items(
                r,
                limits::MAX_MODULE_TYPE_DECLARATIONS,
                "module type declaration",
                read_module_type_declaration,
            )?))
        }
        _ => Ok(CoreType::Rec(r.read_rec_group()?)),
    }
}

fn read_module_type_declaration<'a>(r: &mut BinaryReader<'a>) -> Result<ModuleTypeDeclaration<'a>> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => {
            let offset = r.offset();
            ModuleTypeDeclaration::Import(CoreImport {
                offset,
                module: r.read_string()?,
                name: r.read_string()?,
                kind: read_core_type_ref(r)?,
            })
        }
        0x01 => ModuleTypeDeclaration::Type(r.read_rec_group()?),
        0x02 => {
            let kind_at = r.offset();
            let kind = r.read_u8()?;
            if kind != 0x10 {
                crate::bail!(
                    kind_at,
                    "malformed outer alias in a module type: kind 0x{kind:02x} (only core \
                     types, 0x10)"
                );
            }
            let target_at = r.offset();
            let target = r.read_u8()?;
            if target != 0x01 {
                crate::bail!(
                    target_at,
                    "malformed outer alias in a module type: target 0x{target:02x} (expected \
                     0x01)"
                );
            }
            ModuleTypeDeclaration::OuterAlias {
                count: r.read_var_u32()?,
                index: r.read_var_u32()?,
            }
        }
        0x03 => ModuleTypeDeclaration::Export {
            name: r.read_string()?,
            ty: read_core_type_ref(r)?,
        },
        b => crate::bail!(
            at,
            "malformed module type declaration: unknown form 0x{b:02x}"
        ),
    })
}

/// What a core import or a module type's export declares (a core `externtype`).
fn read_core_type_ref(r: &mut BinaryReader<'_>) -> Result<CoreTypeRef> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => CoreTypeRef::Func(r.read_var_u32()?),
        0x01 => CoreTypeRef::Table(r.read_table_type()?),
        0x02 => CoreTypeRef::Memory(r.read_memory_type()?),
        0x03 => {
            // Read here rather than by `read_global_type`: the shared bit (shared-everything
            // threads) is well-formed in a type, whether or not a validator accepts it.
            let content = r.read_val_type()?;
            let flags_at = r.offset();
            let flags = r.read_u8()?;
            if flags > 0b11 {
                crate::bail!(flags_at, "malformed global flags 0x{flags:02x}");
            }
            CoreTypeRef::Global(GlobalType {
                content,
                mutable: flags & 0b01 != 0,
                shared: flags & 0b10 != 0,
            })
        }
        0x04 => CoreTypeRef::Tag(r.read_tag_type()?),
        0x20 => CoreTypeRef::FuncExact(r.read_var_u32()?),
        b => crate::bail!(at, "malformed core external kind 0x{b:02x}"),
    })
}
