//! A component's type index space, resolved to the canonical ABI's types.
//!
//! The instantiator walks a component's sections in order; every entry that adds to the
//! component-level type index space adds one [`TypeDef`] here. Value and function types
//! become `spindle_component` types (their layouts computed once, when the component is
//! loaded); the kinds the runtime does not take yet are kept as what they are, so that a
//! use of one is an error that says so.

use crate::prelude::*;
use spindle_component::{FuncType, Type};
use spindle_decode::component::{
    Alias, ComponentType, ComponentValType, DefinedType, OuterAliasKind, PrimitiveValType,
    TypeBounds, TypeDeclaration, TypeRef, VariantCase,
};

use crate::{Error, Result};

/// One entry of the component-level type index space.
#[derive(Clone, Debug)]
pub(crate) enum TypeDef {
    /// A defined value type.
    Value(Type),
    /// A function type.
    Func(FuncType),
    /// An instance type: its exports' names and types (functions, and types).
    Instance(Vec<(String, TypeDef)>),
    /// A resource type: the store's id for it.
    Resource(spindle_component::ResourceId),
    /// A type the runtime does not resolve yet (component, instance and resource types,
    /// imported and aliased types): `what` names it for the error.
    Other { what: &'static str },
}

/// Ids for the resources instance types declare abstractly, counted down from the top of
/// the id range (store resources count up from 0): each declaration gets its own, so an
/// import can replace each with the resource that satisfies it.
static NEXT_ABSTRACT: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(u32::MAX);

fn fresh_abstract() -> spindle_component::ResourceId {
    NEXT_ABSTRACT.fetch_sub(1, core::sync::atomic::Ordering::Relaxed)
}

/// Whether `id` is an abstract resource (declared by an instance type, not yet replaced
/// by the resource an import supplies).
pub(crate) fn is_abstract(id: spindle_component::ResourceId) -> bool {
    id > NEXT_ABSTRACT.load(core::sync::atomic::Ordering::Relaxed)
}

/// `t` with the resources of `map` (abstract id, real id) replaced.
pub(crate) fn substitute(t: &Type, map: &[(u32, u32)]) -> Result<Type> {
    use spindle_component::TypeKind as K;
    let sub = |t: &Type| substitute(t, map);
    let real = |id: &u32| map.iter().find(|(a, _)| a == id).map_or(*id, |(_, r)| *r);
    Ok(match t.kind() {
        K::Own(id) => Type::own(real(id)),
        K::Borrow(id) => Type::borrow(real(id)),
        K::List(e) => Type::list(sub(e)?),
        K::FixedList(e, n) => Type::fixed_list(sub(e)?, *n).map_err(abi)?,
        K::Record(fields) => Type::record(
            fields
                .iter()
                .map(|f| Ok((f.name.as_str(), sub(&f.ty)?)))
                .collect::<Result<Vec<_>>>()?,
        )
        .map_err(abi)?,
        K::Tuple(ts) => {
            Type::tuple(ts.iter().map(sub).collect::<Result<Vec<_>>>()?).map_err(abi)?
        }
        K::Variant(cases) => Type::variant(
            cases
                .iter()
                .map(|c| Ok((c.name.as_str(), c.ty.as_ref().map(sub).transpose()?)))
                .collect::<Result<Vec<_>>>()?,
        )
        .map_err(abi)?,
        K::Option(t) => Type::option(sub(t)?).map_err(abi)?,
        K::Result { ok, err } => Type::result(
            ok.as_ref().map(sub).transpose()?,
            err.as_ref().map(sub).transpose()?,
        )
        .map_err(abi)?,
        _ => t.clone(),
    })
}

/// A function type with the resources of `map` replaced.
pub(crate) fn substitute_func(f: &FuncType, map: &[(u32, u32)]) -> Result<FuncType> {
    FuncType::new(
        f.params()
            .iter()
            .map(|(n, t)| Ok((n.as_str(), substitute(t, map)?)))
            .collect::<Result<Vec<_>>>()?,
        f.results()
            .iter()
            .map(|t| substitute(t, map))
            .collect::<Result<Vec<_>>>()?,
    )
    .map_err(abi)
}

/// The type of a primitive.
pub(crate) fn primitive(p: PrimitiveValType) -> Result<Type> {
    Ok(match p {
        PrimitiveValType::Bool => Type::bool(),
        PrimitiveValType::S8 => Type::s8(),
        PrimitiveValType::U8 => Type::u8(),
        PrimitiveValType::S16 => Type::s16(),
        PrimitiveValType::U16 => Type::u16(),
        PrimitiveValType::S32 => Type::s32(),
        PrimitiveValType::U32 => Type::u32(),
        PrimitiveValType::S64 => Type::s64(),
        PrimitiveValType::U64 => Type::u64(),
        PrimitiveValType::F32 => Type::f32(),
        PrimitiveValType::F64 => Type::f64(),
        PrimitiveValType::Char => Type::char(),
        PrimitiveValType::String => Type::string(),
        PrimitiveValType::ErrorContext => Type::error_context(),
    })
}

/// The value type `t` names in `types`.
pub(crate) fn val_type(types: &[TypeDef], t: ComponentValType) -> Result<Type> {
    match t {
        ComponentValType::Primitive(p) => primitive(p),
        ComponentValType::Type(i) => match types.get(i as usize) {
            Some(TypeDef::Value(t)) => Ok(t.clone()),
            Some(TypeDef::Func(_) | TypeDef::Instance(_) | TypeDef::Resource(_)) => {
                Err(Error::msg(format!("type {i} is not a value type")))
            }
            Some(TypeDef::Other { what }) => Err(Error::msg(format!(
                "not supported by Spindle's components yet: {what} (type {i})"
            ))),
            None => Err(Error::msg(format!("unknown type {i}"))),
        },
    }
}

fn abi(e: spindle_component::TypeError) -> Error {
    Error::msg(format!("invalid component type: {e:?}"))
}

/// The entry a type-section item adds.
///
/// `outer` are the type spaces of the enclosing components, innermost last, for the
/// outer aliases of instance types.
pub(crate) fn define(
    types: &[TypeDef],
    outer: &[&[TypeDef]],
    ty: &ComponentType<'_>,
) -> Result<TypeDef> {
    let val = |t: &ComponentValType| val_type(types, *t);
    Ok(match ty {
        ComponentType::Defined(d) => TypeDef::Value(match d {
            DefinedType::Primitive(p) => primitive(*p)?,
            DefinedType::Record(fields) => Type::record(
                fields
                    .iter()
                    .map(|(n, t)| Ok((*n, val(t)?)))
                    .collect::<Result<Vec<_>>>()?,
            )
            .map_err(abi)?,
            DefinedType::Variant(cases) => Type::variant(
                cases
                    .iter()
                    .map(|VariantCase { name, ty }| Ok((*name, ty.as_ref().map(val).transpose()?)))
                    .collect::<Result<Vec<_>>>()?,
            )
            .map_err(abi)?,
            DefinedType::List(t) => Type::list(val(t)?),
            DefinedType::FixedLengthList(t, n) => Type::fixed_list(val(t)?, *n).map_err(abi)?,
            DefinedType::Tuple(ts) => {
                Type::tuple(ts.iter().map(val).collect::<Result<Vec<_>>>()?).map_err(abi)?
            }
            DefinedType::Flags(labels) => Type::flags(labels.iter().copied()).map_err(abi)?,
            DefinedType::Enum(labels) => Type::enum_(labels.iter().copied()).map_err(abi)?,
            DefinedType::Option(t) => Type::option(val(t)?).map_err(abi)?,
            DefinedType::Result { ok, err } => Type::result(
                ok.as_ref().map(val).transpose()?,
                err.as_ref().map(val).transpose()?,
            )
            .map_err(abi)?,
            // The canonical ABI lays a map out as the list of its entries.
            DefinedType::Map(k, v) => Type::list(Type::tuple([val(k)?, val(v)?]).map_err(abi)?),
            DefinedType::Own(r) => Type::own(resource(types, *r)?),
            DefinedType::Stream(t) => Type::stream(t.as_ref().map(val).transpose()?),
            DefinedType::Future(t) => Type::future(t.as_ref().map(val).transpose()?),
            DefinedType::Borrow(r) => Type::borrow(resource(types, *r)?),
        }),
        ComponentType::Func(f) => {
            let params = f
                .params
                .iter()
                .map(|(n, t)| Ok((*n, val(t)?)))
                .collect::<Result<Vec<_>>>()?;
            let results = f.result.as_ref().map(val).transpose()?;
            TypeDef::Func(
                FuncType::new(params, results)
                    .map_err(abi)?
                    .with_async(f.is_async),
            )
        }
        ComponentType::Component(_) => TypeDef::Other {
            what: "component types",
        },
        ComponentType::Instance(decls) => instance_type(types, outer, decls)?,
        ComponentType::Resource { .. } => TypeDef::Other {
            what: "resource types",
        },
    })
}

/// The store's id of resource type `index`.
fn resource(types: &[TypeDef], index: u32) -> Result<spindle_component::ResourceId> {
    match types.get(index as usize) {
        Some(TypeDef::Resource(id)) => Ok(*id),
        Some(TypeDef::Other { what }) => Err(Error::msg(format!(
            "not supported by Spindle's components yet: {what} (type {index})"
        ))),
        Some(_) => Err(Error::msg(format!("type {index} is not a resource type"))),
        None => Err(Error::msg(format!("unknown type {index}"))),
    }
}

/// An instance type from its declarations: a type space of its own, starting empty, whose
/// outer aliases (one level out) reach `enclosing`.
fn instance_type(
    enclosing: &[TypeDef],
    outer: &[&[TypeDef]],
    decls: &[spindle_decode::component::Located<TypeDeclaration<'_>>],
) -> Result<TypeDef> {
    let mut local: Vec<TypeDef> = Vec::new();
    let mut exports = Vec::new();
    for d in decls {
        match &d.item {
            TypeDeclaration::CoreType(_) => {}
            TypeDeclaration::Type(t) => {
                let mut levels = outer.to_vec();
                levels.push(enclosing);
                let def = define(&local, &levels, t)?;
                local.push(def);
            }
            TypeDeclaration::Alias(Alias::Outer {
                kind: OuterAliasKind::Type,
                count,
                index,
            }) if *count >= 1 => {
                // Count 1 is the component declaring the type, 2 its parent, and so on.
                let space = match *count as usize {
                    1 => Some(enclosing),
                    n => outer
                        .len()
                        .checked_sub(n - 1)
                        .and_then(|i| outer.get(i))
                        .copied(),
                };
                local.push(
                    space
                        .and_then(|types| types.get(*index as usize))
                        .cloned()
                        .ok_or_else(|| Error::msg(format!("unknown outer type {index}")))?,
                )
            }
            // Core types have an index space of their own.
            TypeDeclaration::Alias(Alias::Outer {
                kind: OuterAliasKind::CoreType,
                ..
            }) => {}
            TypeDeclaration::Alias(_) => local.push(TypeDef::Other {
                what: "aliases in instance types",
            }),
            TypeDeclaration::Export { name, ty } => match ty {
                TypeRef::Func(i) => match local.get(*i as usize) {
                    Some(f @ TypeDef::Func(_)) => exports.push((name.name.to_string(), f.clone())),
                    _ => {
                        return Err(Error::msg(format!(
                            "instance type export `{}`: type {i} is not a function type",
                            name.name
                        )))
                    }
                },
                TypeRef::Type(TypeBounds::Eq(i)) => {
                    let t = local
                        .get(*i as usize)
                        .cloned()
                        .ok_or_else(|| Error::msg(format!("unknown type {i}")))?;
                    exports.push((name.name.to_string(), t.clone()));
                    local.push(t);
                }
                // A resource the instance type only names: an abstract id, enough to type
                // its functions (an import satisfied by instantiation arguments carries
                // the real resource; the host does not provide resources yet).
                TypeRef::Type(TypeBounds::SubResource) => {
                    let id = fresh_abstract();
                    exports.push((name.name.to_string(), TypeDef::Resource(id)));
                    local.push(TypeDef::Resource(id))
                }
                _ => exports.push((
                    name.name.to_string(),
                    TypeDef::Other {
                        what: "instance exports other than functions and types",
                    },
                )),
            },
            TypeDeclaration::Import(_) => {
                return Err(Error::msg("an instance type cannot import"));
            }
        }
    }
    Ok(TypeDef::Instance(exports))
}
