//! Type definitions: defined value types (records, variants, lists, maps, handles, futures,
//! streams...), function types, the type section with the component and instance types
//! declared in it, and type references (the types of imports and exports).
//!
//! Separate from the other rules because it only builds types (into the arena) from what is
//! already in the index spaces; the declarations of component and instance types recurse into
//! the other rules through a nested `State`.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{
    ComponentType as DecodedType, ComponentValType as DecodedValType,
    DefinedType as DecodedDefined, FuncType as DecodedFunc, PrimitiveValType, TypeBounds,
    TypeDeclaration, TypeRef,
};
use spindle_decode::ValType as CoreValType;

use super::{check_max, CoreTypeEntry, Kind, State, MAX_FIXED_LENGTH_LIST, MAX_TYPES};
use crate::component::names;
use crate::component::types::*;
use crate::error::{bail, Result};

fn kebab(s: &str, what: &str, offset: usize) -> Result<String> {
    if !names::is_kebab(s) {
        if s.is_empty() {
            bail!(offset, "{what} name cannot be empty");
        }
        bail!(offset, "{what} name `{s}` is not in kebab case");
    }
    Ok(String::from(s))
}

impl State {
    // ---- value types ----

    pub fn val_type(&self, t: DecodedValType, offset: usize) -> Result<ValType> {
        Ok(match t {
            DecodedValType::Primitive(p) => ValType::Primitive(p),
            DecodedValType::Type(i) => ValType::Type(self.defined_at(i, offset)?),
        })
    }

    fn prim_of(types: &Types, t: ValType) -> Option<PrimitiveValType> {
        match t {
            ValType::Primitive(p) => Some(p),
            ValType::Type(id) => match types.defined(id).ty {
                DefinedType::Primitive(p) => Some(p),
                _ => None,
            },
        }
    }

    pub fn defined_type(
        &self,
        types: &Types,
        ty: &DecodedDefined<'_>,
        offset: usize,
    ) -> Result<DefinedEntry> {
        let vt = |t: DecodedValType| self.val_type(t, offset);
        let d = match ty {
            DecodedDefined::Primitive(p) => DefinedType::Primitive(*p),
            DecodedDefined::Record(fields) => {
                if fields.is_empty() {
                    bail!(offset, "record type must have at least one field");
                }
                let mut seen = BTreeSet::new();
                let mut out = Vec::new();
                for (name, t) in fields {
                    let n = kebab(name, "record field", offset)?;
                    let t = vt(*t)?;
                    if !seen.insert(names::kebab_key(name)) {
                        bail!(
                            offset,
                            "record field name `{name}` conflicts with previous field name"
                        );
                    }
                    out.push((n, t));
                }
                DefinedType::Record(out)
            }
            DecodedDefined::Variant(cases) => {
                if cases.is_empty() {
                    bail!(offset, "variant type must have at least one case");
                }
                let mut seen = BTreeSet::new();
                let mut out = Vec::new();
                for c in cases {
                    let n = kebab(c.name, "variant case", offset)?;
                    let t = c.ty.map(vt).transpose()?;
                    if !seen.insert(names::kebab_key(c.name)) {
                        bail!(
                            offset,
                            "variant case name `{}` conflicts with previous case name",
                            c.name
                        );
                    }
                    out.push((n, t));
                }
                DefinedType::Variant(out)
            }
            DecodedDefined::List(t) => DefinedType::List(vt(*t)?),
            DecodedDefined::Map(k, v) => {
                let k = vt(*k)?;
                use PrimitiveValType as P;
                match Self::prim_of(types, k) {
                    Some(P::F32 | P::F64 | P::ErrorContext) | None => {
                        bail!(offset, "invalid map key type")
                    }
                    _ => {}
                }
                let v = vt(*v)?;
                if types.val_abi(v).handle {
                    bail!(offset, "map value type cannot contain a handle");
                }
                DefinedType::Map(k, v)
            }
            DecodedDefined::FixedLengthList(t, n) => {
                if *n < 1 {
                    bail!(
                        offset,
                        "Fixed-length lists must have more than zero elements"
                    );
                }
                if *n > MAX_FIXED_LENGTH_LIST {
                    bail!(offset, "fixed-length list element count exceeds limit");
                }
                DefinedType::FixedLengthList(vt(*t)?, *n)
            }
            DecodedDefined::Tuple(ts) => {
                if ts.is_empty() {
                    bail!(offset, "tuple type must have at least one type");
                }
                DefinedType::Tuple(ts.iter().map(|t| vt(*t)).collect::<Result<_>>()?)
            }
            DecodedDefined::Flags(ns) => {
                if ns.is_empty() {
                    bail!(offset, "flags must have at least one entry");
                }
                if ns.len() > 32 {
                    bail!(offset, "cannot have more than 32 flags");
                }
                DefinedType::Flags(Self::unique_names(ns, "flag", offset)?)
            }
            DecodedDefined::Enum(ns) => {
                if ns.is_empty() {
                    bail!(offset, "enum type must have at least one variant");
                }
                DefinedType::Enum(Self::unique_names(ns, "enum tag", offset)?)
            }
            DecodedDefined::Option(t) => DefinedType::Option(vt(*t)?),
            DecodedDefined::Result { ok, err } => DefinedType::Result {
                ok: ok.map(vt).transpose()?,
                err: err.map(vt).transpose()?,
            },
            DecodedDefined::Own(i) => DefinedType::Own(self.resource_at(*i, offset)?),
            DecodedDefined::Borrow(i) => DefinedType::Borrow(self.resource_at(*i, offset)?),
            DecodedDefined::Future(t) => {
                let t = t.map(vt).transpose()?;
                if t.is_some_and(|t| types.val_abi(t).borrow) {
                    bail!(offset, "`future` payload cannot contain a `borrow` type");
                }
                DefinedType::Future(t)
            }
            DecodedDefined::Stream(t) => {
                let t = t.map(vt).transpose()?;
                if let Some(t) = t {
                    if Self::prim_of(types, t) == Some(PrimitiveValType::Char) {
                        bail!(offset, "`stream<char>` is not valid at this time");
                    }
                    if types.val_abi(t).borrow {
                        bail!(offset, "`stream` payload cannot contain a `borrow` type");
                    }
                }
                DefinedType::Stream(t)
            }
        };
        types.make_defined(d, offset)
    }

    fn unique_names(ns: &[&str], what: &str, offset: usize) -> Result<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for n in ns {
            out.push(kebab(n, what, offset)?);
            if !seen.insert(names::kebab_key(n)) {
                bail!(offset, "{what} name `{n}` conflicts with a previous name");
            }
        }
        Ok(out)
    }

    pub fn func_type(&self, types: &Types, f: &DecodedFunc<'_>, offset: usize) -> Result<FuncType> {
        let mut info = TypeInfo::new();
        let mut seen = BTreeSet::new();
        let mut params = Vec::new();
        for (name, t) in &f.params {
            let n = kebab(name, "function parameter", offset)?;
            if !seen.insert(names::kebab_key(name)) {
                bail!(
                    offset,
                    "function parameter name `{name}` conflicts with a previous parameter name"
                );
            }
            let t = self.val_type(*t, offset)?;
            info.combine(types.val_info(t), offset)?;
            params.push((n, t));
        }
        let result = match f.result {
            Some(t) => {
                let t = self.val_type(t, offset)?;
                if types.val_abi(t).borrow {
                    bail!(offset, "function result cannot contain a `borrow` type");
                }
                info.combine(types.val_info(t), offset)?;
                Some(t)
            }
            None => None,
        };
        Ok(FuncType {
            is_async: f.is_async,
            params,
            result,
            info,
        })
    }

    // ---- types ----

    /// `type_section` is true in a type section (whose count was checked up front).
    pub fn add_type(
        stack: &mut Vec<State>,
        types: &mut Types,
        ty: &DecodedType<'_>,
        offset: usize,
        check_limit: bool,
    ) -> Result<()> {
        let id = match ty {
            DecodedType::Defined(d) => {
                let e = stack.last().unwrap().defined_type(types, d, offset)?;
                AnyTypeId::Defined(types.push_defined(e))
            }
            DecodedType::Func(f) => {
                let f = stack.last().unwrap().func_type(types, f, offset)?;
                AnyTypeId::Func(types.push_func(f))
            }
            DecodedType::Component(decls) => {
                let t = Self::component_type(stack, types, decls, offset)?;
                AnyTypeId::Component(types.push_component(t))
            }
            DecodedType::Instance(decls) => {
                let t = Self::instance_type(stack, types, decls, offset)?;
                AnyTypeId::Instance(types.push_instance(t))
            }
            DecodedType::Resource {
                representation,
                destructor,
            } => {
                let cur = stack.last_mut().unwrap();
                if cur.kind != Kind::Component {
                    bail!(
                        offset,
                        "resources can only be defined within a concrete component"
                    );
                }
                let rep = *representation;
                if rep != CoreValType::I32 && rep != CoreValType::I64 {
                    bail!(
                        offset,
                        "resources can only be represented by `i32` or `i64`"
                    );
                }
                if let Some(d) = destructor {
                    let f = cur.core_func_at(*d, offset)?;
                    let (p, r) = types.core_sig(f);
                    if types.core.func_type(f).is_none() || p != [rep] || !r.is_empty() {
                        bail!(
                            offset,
                            "core function {d} has wrong signature for a destructor"
                        );
                    }
                }
                let id = types.alloc_resource();
                cur.defined_resources.push((id.index, Some(rep)));
                AnyTypeId::Resource(id)
            }
        };
        let cur = stack.last_mut().unwrap();
        if check_limit {
            check_max(cur.type_count(), 1, MAX_TYPES, "types", offset)?;
        }
        cur.types.push(id);
        Ok(())
    }

    fn component_type(
        stack: &mut Vec<State>,
        types: &mut Types,
        decls: &[spindle_decode::component::Located<TypeDeclaration<'_>>],
        offset: usize,
    ) -> Result<ComponentType> {
        stack.push(State::new(Kind::ComponentType));
        let r = Self::declarations(stack, types, decls, offset);
        let mut st = stack.pop().unwrap();
        r?;
        st.finish(types, offset)
    }

    fn instance_type(
        stack: &mut Vec<State>,
        types: &mut Types,
        decls: &[spindle_decode::component::Located<TypeDeclaration<'_>>],
        offset: usize,
    ) -> Result<InstanceType> {
        stack.push(State::new(Kind::InstanceType));
        let r = Self::declarations(stack, types, decls, offset);
        let st = stack.pop().unwrap();
        r?;
        Ok(InstanceType {
            exports: st.exports,
            defined_resources: st.defined_resources.iter().map(|(r, _)| *r).collect(),
            info: st.type_info,
        })
    }

    fn declarations(
        stack: &mut Vec<State>,
        types: &mut Types,
        decls: &[spindle_decode::component::Located<TypeDeclaration<'_>>],
        offset: usize,
    ) -> Result<()> {
        let _ = offset;
        for d in decls {
            let at = d.offset;
            match &d.item {
                TypeDeclaration::CoreType(t) => Self::add_core_type(stack, types, t, at)?,
                TypeDeclaration::Type(t) => Self::add_type(stack, types, t, at, true)?,
                TypeDeclaration::Alias(a) => Self::add_alias(stack, types, a, at)?,
                TypeDeclaration::Import(i) => {
                    let cur = stack.last_mut().unwrap();
                    let ty = cur.type_ref(types, &i.ty, at)?;
                    cur.add_import(types, &i.name, ty, at)?;
                }
                TypeDeclaration::Export { name, ty } => {
                    let cur = stack.last_mut().unwrap();
                    let ty = cur.type_ref(types, ty, at)?;
                    cur.add_export(types, name, ty, at, true)?;
                }
            }
        }
        Ok(())
    }

    pub fn type_ref(
        &mut self,
        types: &mut Types,
        t: &TypeRef,
        offset: usize,
    ) -> Result<EntityType> {
        Ok(match *t {
            TypeRef::CoreModule(i) => match self.core_type_at(i, offset)? {
                CoreTypeEntry::Module(m) => EntityType::Module(m),
                CoreTypeEntry::Sub(_) => bail!(offset, "core type index {i} is not a module type"),
            },
            TypeRef::Func(i) => EntityType::Func(self.func_type_at(i, offset)?),
            TypeRef::Value(v) => EntityType::Value(self.val_type(v, offset)?),
            TypeRef::Type(TypeBounds::Eq(i)) => {
                let referenced = self.type_at(i, offset)?;
                let created = types.with_unique(referenced);
                EntityType::Type {
                    referenced,
                    created,
                }
            }
            TypeRef::Type(TypeBounds::SubResource) => {
                let id = AnyTypeId::Resource(types.alloc_resource());
                EntityType::Type {
                    referenced: id,
                    created: id,
                }
            }
            TypeRef::Instance(i) => match self.type_at(i, offset)? {
                AnyTypeId::Instance(id) => EntityType::Instance(id),
                _ => bail!(offset, "type index {i} is not an instance type"),
            },
            TypeRef::Component(i) => match self.type_at(i, offset)? {
                AnyTypeId::Component(id) => EntityType::Component(id),
                _ => bail!(offset, "type index {i} is not a component type"),
            },
        })
    }
}
