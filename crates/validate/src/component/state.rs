//! The index spaces of one component (or of a component or instance type being declared),
//! and the rules applied as each item is added to them.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{
    Alias, CanonicalFunction, CanonicalOption, ComponentType as DecodedType,
    ComponentValType as DecodedValType, CoreInstance, CoreType, DefinedType as DecodedDefined,
    ExternName as DecodedName, FuncType as DecodedFunc, Instance, ModuleTypeDeclaration,
    OuterAliasKind, PrimitiveValType, Sort, TypeBounds, TypeDeclaration, TypeRef,
};
use spindle_decode::{
    CompositeType, ExternalKind, GlobalType, HeapType, ImportKind, MemoryType, RecGroup, RefType,
    SubType, TableType, ValType as CoreValType,
};

use super::names::{self, Accessor, ExternName, NameKey, ResourceFunc};
use super::types::*;
use crate::error::{bail, Result};

pub const MAX_TYPES: usize = 1_000_000;
pub const MAX_FUNCTIONS: usize = 1_000_000;
pub const MAX_EXPORTS: usize = 1_000_000;
pub const MAX_MODULES: usize = 1_000;
pub const MAX_COMPONENTS: usize = 1_000;
pub const MAX_INSTANCES: usize = 4_096;
pub const MAX_VALUES: usize = 1_000;
pub const MAX_CORE_ITEMS: usize = 1_000_000;
pub const MAX_FIXED_LENGTH_LIST: u32 = 1 << 30;

pub fn check_max(len: usize, add: usize, max: usize, what: &str, offset: usize) -> Result<()> {
    if len.checked_add(add).is_none_or(|n| n > max) {
        bail!(offset, "{what} count exceeds limit of {max}");
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Component,
    InstanceType,
    ComponentType,
}

/// An entry of the core type index space.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CoreTypeEntry {
    /// A core type (an index of the global core type space).
    Sub(u32),
    /// A module type.
    Module(u32),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExternKind {
    Import,
    Export,
}

impl ExternKind {
    fn desc(self) -> &'static str {
        match self {
            ExternKind::Import => "import",
            ExternKind::Export => "export",
        }
    }
}

/// Names of the top-level resources of one side (imports or exports), for the
/// `[constructor]`/`[method]`/`[static]` rules.
#[derive(Default, Clone)]
struct ResourceNames {
    /// Resource (with its alias stamp) → its name.
    by_id: BTreeMap<TypeId, String>,
    all: BTreeSet<String>,
}

/// The state of a component, component type or instance type being validated.
pub struct State {
    pub kind: Kind,
    pub core_types: Vec<CoreTypeEntry>,
    pub core_funcs: Vec<u32>,
    pub core_tables: Vec<TableType>,
    pub core_memories: Vec<MemoryType>,
    pub core_globals: Vec<GlobalType>,
    pub core_tags: Vec<u32>,
    pub core_modules: Vec<u32>,
    pub core_instances: Vec<u32>,
    pub types: Vec<AnyTypeId>,
    pub funcs: Vec<TypeId>,
    pub values: Vec<(ValType, bool)>,
    pub instances: Vec<TypeId>,
    pub components: Vec<TypeId>,
    pub imports: NameMap<Item>,
    import_names: BTreeSet<NameKey>,
    pub exports: NameMap<Item>,
    export_names: BTreeSet<NameKey>,
    has_start: bool,
    type_info: TypeInfo,
    outer_alias_size: u32,
    pub imported_resources: Vec<(u32, Vec<usize>)>,
    /// Defined resources with their representation when known (`None` for those of
    /// instantiated components and of types).
    pub defined_resources: Vec<(u32, Option<CoreValType>)>,
    exported_types: BTreeSet<AnyTypeId>,
    imported_types: BTreeSet<AnyTypeId>,
    exported_resource_names: ResourceNames,
    imported_resource_names: ResourceNames,
    context_type: Option<CoreValType>,
}

/// Canonical options, checked.
#[derive(Clone, Copy, Default)]
struct Options {
    memory: Option<(u32, bool)>,
    realloc: Option<u32>,
    post_return: Option<u32>,
    is_async: bool,
    callback: Option<u32>,
    core_type: Option<u32>,
    gc: bool,
}

impl Options {
    fn ptr(&self) -> CoreValType {
        match self.memory {
            Some((_, true)) => CoreValType::I64,
            _ => CoreValType::I32,
        }
    }
    fn require_memory(&self, offset: usize) -> Result<()> {
        if self.memory.is_none() {
            bail!(offset, "canonical option `memory` is required");
        }
        Ok(())
    }
    fn require_realloc(&self, offset: usize) -> Result<()> {
        self.require_memory(offset)?;
        if self.realloc.is_none() {
            bail!(offset, "canonical option `realloc` is required");
        }
        Ok(())
    }
    fn require_sync(&self, offset: usize, what: &str) -> Result<()> {
        if self.is_async {
            bail!(offset, "cannot specify `async` option on `{what}`");
        }
        Ok(())
    }
    fn check_lower(&self, offset: usize) -> Result<()> {
        if self.post_return.is_some() {
            bail!(
                offset,
                "canonical option `post-return` cannot be specified for lowerings"
            );
        }
        if self.is_async && self.callback.is_some() {
            bail!(
                offset,
                "canonical option `callback` cannot be specified for lowerings"
            );
        }
        if self.gc && self.core_type.is_none() {
            bail!(
                offset,
                "cannot specify `gc` without also specifying a `core-type` for lowerings"
            );
        }
        Ok(())
    }
}

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
    pub fn new(kind: Kind) -> State {
        State {
            kind,
            core_types: Vec::new(),
            core_funcs: Vec::new(),
            core_tables: Vec::new(),
            core_memories: Vec::new(),
            core_globals: Vec::new(),
            core_tags: Vec::new(),
            core_modules: Vec::new(),
            core_instances: Vec::new(),
            types: Vec::new(),
            funcs: Vec::new(),
            values: Vec::new(),
            instances: Vec::new(),
            components: Vec::new(),
            imports: NameMap::default(),
            import_names: BTreeSet::new(),
            exports: NameMap::default(),
            export_names: BTreeSet::new(),
            has_start: false,
            type_info: TypeInfo::new(),
            outer_alias_size: 0,
            imported_resources: Vec::new(),
            defined_resources: Vec::new(),
            exported_types: BTreeSet::new(),
            imported_types: BTreeSet::new(),
            exported_resource_names: ResourceNames::default(),
            imported_resource_names: ResourceNames::default(),
            context_type: None,
        }
    }

    pub fn type_count(&self) -> usize {
        self.core_types.len() + self.types.len()
    }
    pub fn instance_count(&self) -> usize {
        self.core_instances.len() + self.instances.len()
    }
    pub fn function_count(&self) -> usize {
        self.core_funcs.len() + self.funcs.len()
    }

    // ---- index lookups ----

    pub fn core_type_at(&self, i: u32, offset: usize) -> Result<CoreTypeEntry> {
        match self.core_types.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown type {i}: type index out of bounds"),
        }
    }
    pub fn type_at(&self, i: u32, offset: usize) -> Result<AnyTypeId> {
        match self.types.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown type {i}: type index out of bounds"),
        }
    }
    fn defined_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.type_at(i, offset)? {
            AnyTypeId::Defined(id) => Ok(id),
            _ => bail!(offset, "type index {i} is not a defined type"),
        }
    }
    fn func_type_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.type_at(i, offset)? {
            AnyTypeId::Func(id) => Ok(id),
            _ => bail!(offset, "type index {i} is not a function type"),
        }
    }
    fn resource_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.type_at(i, offset)? {
            AnyTypeId::Resource(id) => Ok(id),
            _ => bail!(offset, "type index {i} is not a resource type"),
        }
    }
    fn function_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.funcs.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown function {i}: function index out of bounds"),
        }
    }
    pub fn component_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.components.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(
                offset,
                "unknown component {i}: component index out of bounds"
            ),
        }
    }
    fn instance_at(&self, i: u32, offset: usize) -> Result<TypeId> {
        match self.instances.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown instance {i}: instance index out of bounds"),
        }
    }
    fn value_at(&mut self, i: u32, offset: usize) -> Result<ValType> {
        match self.values.get_mut(i as usize) {
            Some((t, used)) if !*used => {
                *used = true;
                Ok(*t)
            }
            Some(_) => bail!(offset, "value {i} cannot be used more than once"),
            None => bail!(offset, "unknown value {i}: value index out of bounds"),
        }
    }
    fn core_func_at(&self, i: u32, offset: usize) -> Result<u32> {
        match self.core_funcs.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(
                offset,
                "unknown core function {i}: function index out of bounds"
            ),
        }
    }
    pub fn module_at(&self, i: u32, offset: usize) -> Result<u32> {
        match self.core_modules.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown module {i}: module index out of bounds"),
        }
    }
    fn core_instance_at(&self, i: u32, offset: usize) -> Result<u32> {
        match self.core_instances.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(
                offset,
                "unknown core instance {i}: instance index out of bounds"
            ),
        }
    }
    fn memory_at(&self, i: u32, offset: usize) -> Result<MemoryType> {
        match self.core_memories.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown memory {i}: memory index out of bounds"),
        }
    }
    fn table_at(&self, i: u32, offset: usize) -> Result<TableType> {
        match self.core_tables.get(i as usize) {
            Some(t) => Ok(*t),
            None => bail!(offset, "unknown table {i}: table index out of bounds"),
        }
    }

    /// A memory the canonical ABI may use: unshared; says whether it is 64-bit.
    fn cabi_memory_at(&self, i: u32, offset: usize) -> Result<bool> {
        let m = self.memory_at(i, offset)?;
        if m.shared {
            bail!(offset, "mismatch in the shared flag for memories");
        }
        Ok(m.memory64)
    }

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

    // ---- core types ----

    pub fn add_core_type(
        stack: &mut [State],
        types: &mut Types,
        t: &CoreType<'_>,
        offset: usize,
    ) -> Result<()> {
        let count = match t {
            CoreType::Rec(g) => g.types.len(),
            CoreType::Module(_) => 1,
        };
        check_max(
            stack.last().unwrap().type_count(),
            count,
            MAX_TYPES,
            "types",
            offset,
        )?;
        match t {
            CoreType::Rec(g) => {
                let cur = stack.last_mut().unwrap();
                let local: Vec<Option<u32>> = cur
                    .core_types
                    .iter()
                    .map(|e| match e {
                        CoreTypeEntry::Sub(i) => Some(*i),
                        CoreTypeEntry::Module(_) => None,
                    })
                    .collect();
                let start = intern_group(types, &local, g, offset)?;
                for j in 0..g.types.len() as u32 {
                    cur.core_types.push(CoreTypeEntry::Sub(start + j));
                }
            }
            CoreType::Module(decls) => {
                let m = Self::module_type(stack, types, decls, offset)?;
                types.modules.push(m);
                let id = types.modules.len() as u32 - 1;
                stack
                    .last_mut()
                    .unwrap()
                    .core_types
                    .push(CoreTypeEntry::Module(id));
            }
        }
        Ok(())
    }

    fn module_type(
        stack: &[State],
        types: &mut Types,
        decls: &[spindle_decode::component::Located<ModuleTypeDeclaration<'_>>],
        offset: usize,
    ) -> Result<ModuleType> {
        let mut local: Vec<Option<u32>> = Vec::new();
        let mut imports: Vec<((String, String), CoreEntity)> = Vec::new();
        let mut exports = NameMap::default();
        for d in decls {
            let at = d.offset;
            let _ = at;
            match &d.item {
                ModuleTypeDeclaration::Type(g) => {
                    let start = intern_group(types, &local, g, offset)?;
                    for j in 0..g.types.len() as u32 {
                        local.push(Some(start + j));
                    }
                }
                ModuleTypeDeclaration::OuterAlias { count, index } => {
                    let t = if *count == 0 {
                        match local.get(*index as usize) {
                            Some(Some(t)) => *t,
                            _ => bail!(offset, "unknown type {index}: type index out of bounds"),
                        }
                    } else {
                        let c = *count as usize - 1;
                        if c >= stack.len() {
                            bail!(offset, "invalid outer alias count of {c}");
                        }
                        match stack[stack.len() - c - 1].core_type_at(*index, offset)? {
                            CoreTypeEntry::Sub(t) => t,
                            CoreTypeEntry::Module(_) => bail!(
                                offset,
                                "not implemented: aliasing core module types into a core module's types index space"
                            ),
                        }
                    };
                    check_max(local.len(), 1, MAX_TYPES, "types", offset)?;
                    local.push(Some(t));
                }
                ModuleTypeDeclaration::Import(imp) => {
                    let e = core_entity_of(types, &local, &imp.kind, offset)?;
                    imports.push(((String::from(imp.module), String::from(imp.name)), e));
                }
                ModuleTypeDeclaration::Export { name, ty } => {
                    let e = core_entity_of(types, &local, ty, offset)?;
                    if !exports.insert(String::from(*name), e) {
                        bail!(offset, "duplicate export name `{name}` already defined");
                    }
                }
            }
        }
        check_unique_imports(&imports, offset)?;
        Ok(ModuleType { imports, exports })
    }

    // ---- imports, exports, entities ----

    pub fn add_import(
        &mut self,
        types: &mut Types,
        name: &DecodedName<'_>,
        mut ty: EntityType,
        offset: usize,
    ) -> Result<()> {
        self.add_entity(
            types,
            &mut ty,
            Some((name.name, ExternKind::Import)),
            offset,
        )?;
        let names = core::mem::take(&mut self.imported_resource_names);
        let mut kind_names = core::mem::take(&mut self.import_names);
        let mut items = core::mem::take(&mut self.imports);
        let r = validate_extern(
            &names,
            types,
            name,
            ExternKind::Import,
            &ty,
            offset,
            &mut kind_names,
            &mut items,
            &mut self.type_info,
        );
        self.imported_resource_names = names;
        self.import_names = kind_names;
        self.imports = items;
        r
    }

    pub fn add_export(
        &mut self,
        types: &mut Types,
        name: &DecodedName<'_>,
        mut ty: EntityType,
        offset: usize,
        check_limit: bool,
    ) -> Result<()> {
        if check_limit {
            check_max(self.exports.len(), 1, MAX_EXPORTS, "exports", offset)?;
        }
        self.add_entity(
            types,
            &mut ty,
            Some((name.name, ExternKind::Export)),
            offset,
        )?;
        let names = core::mem::take(&mut self.exported_resource_names);
        let mut kind_names = core::mem::take(&mut self.export_names);
        let mut items = core::mem::take(&mut self.exports);
        let r = validate_extern(
            &names,
            types,
            name,
            ExternKind::Export,
            &ty,
            offset,
            &mut kind_names,
            &mut items,
            &mut self.type_info,
        );
        self.exported_resource_names = names;
        self.export_names = kind_names;
        self.exports = items;
        r
    }

    fn add_entity(
        &mut self,
        types: &mut Types,
        ty: &mut EntityType,
        name_kind: Option<(&str, ExternKind)>,
        offset: usize,
    ) -> Result<()> {
        let kind = name_kind.map(|x| x.1);
        let (len, max, what) = match ty {
            EntityType::Module(id) => {
                self.core_modules.push(*id);
                (self.core_modules.len(), MAX_MODULES, "modules")
            }
            EntityType::Component(id) => {
                self.components.push(*id);
                (self.components.len(), MAX_COMPONENTS, "components")
            }
            EntityType::Instance(id) => {
                match kind {
                    Some(ExternKind::Import) => self.prepare_instance_import(id, types),
                    Some(ExternKind::Export) => self.prepare_instance_export(id, types),
                    None => {}
                }
                self.instances.push(*id);
                (self.instance_count(), MAX_INSTANCES, "instances")
            }
            EntityType::Func(id) => {
                self.funcs.push(*id);
                (self.function_count(), MAX_FUNCTIONS, "functions")
            }
            EntityType::Value(v) => {
                let used = kind == Some(ExternKind::Export);
                if used && types.val_abi(*v).borrow {
                    bail!(offset, "exported value type cannot contain a `borrow` type");
                }
                self.values.push((*v, used));
                (self.values.len(), MAX_VALUES, "values")
            }
            EntityType::Type {
                created,
                referenced,
            } => {
                self.types.push(*created);
                if let AnyTypeId::Resource(id) = *created {
                    if created == referenced {
                        match kind {
                            Some(ExternKind::Import) => self
                                .imported_resources
                                .push((id.index, alloc::vec![self.imports.len()])),
                            Some(ExternKind::Export) => {
                                self.defined_resources.push((id.index, None))
                            }
                            None => {}
                        }
                    }
                }
                (self.types.len(), MAX_TYPES, "types")
            }
        };
        check_max(len, 0, max, what, offset)?;
        if let Some((name, kind)) = name_kind {
            if !self.register_named_types(Some(name), kind, ty, types) {
                bail!(
                    offset,
                    "{} not valid to be used as {}",
                    ty.desc(),
                    kind.desc()
                );
            }
        }
        Ok(())
    }

    fn register_named_types(
        &mut self,
        toplevel: Option<&str>,
        kind: ExternKind,
        ty: &EntityType,
        types: &Types,
    ) -> bool {
        if let (
            EntityType::Type {
                created: AnyTypeId::Resource(id),
                ..
            },
            Some(name),
        ) = (ty, toplevel)
        {
            let cx = match kind {
                ExternKind::Import => &mut self.imported_resource_names,
                ExternKind::Export => &mut self.exported_resource_names,
            };
            cx.by_id.insert(*id, String::from(name));
            cx.all.insert(String::from(name));
        }
        if self.kind == Kind::InstanceType {
            return true;
        }
        match ty {
            EntityType::Type {
                created,
                referenced,
            } => {
                if kind == ExternKind::Import
                    && self.exported_types.contains(referenced)
                    && !self.imported_types.contains(referenced)
                {
                    return false;
                }
                let set = match kind {
                    ExternKind::Import => &mut self.imported_types,
                    ExternKind::Export => &mut self.exported_types,
                };
                if !all_named(types, *referenced, set) {
                    return false;
                }
                match kind {
                    ExternKind::Import => {
                        self.imported_types.insert(*created);
                        self.exported_types.insert(*created);
                    }
                    ExternKind::Export => {
                        self.exported_types.insert(*created);
                    }
                }
                true
            }
            EntityType::Instance(i) => {
                let items: Vec<EntityType> =
                    types.instance(*i).exports.values().map(|x| x.ty).collect();
                items
                    .iter()
                    .all(|t| self.register_named_types(None, kind, t, types))
            }
            EntityType::Func(id) => {
                let set = match kind {
                    ExternKind::Import => &self.imported_types,
                    ExternKind::Export => &self.exported_types,
                };
                func_named(types, *id, set)
            }
            EntityType::Value(v) => {
                let set = match kind {
                    ExternKind::Import => &self.imported_types,
                    ExternKind::Export => &self.exported_types,
                };
                val_named(types, *v, set)
            }
            EntityType::Component(_) | EntityType::Module(_) => true,
        }
    }

    fn prepare_instance_import(&mut self, id: &mut TypeId, types: &mut Types) {
        let ty = types.instance(*id).clone();
        if ty.defined_resources.is_empty() {
            return;
        }
        let paths =
            types.explicit_resource_paths(&ty.exports, ty.defined_resources.iter().copied());
        let mut mapping = Remapping::default();
        for old in &ty.defined_resources {
            let new = types.alloc_resource();
            mapping.resources.insert(*old, new.index);
            let mut path = alloc::vec![self.imports.len()];
            if let Some(p) = paths.get(old) {
                path.extend(p);
            }
            self.imported_resources.push((new.index, path));
        }
        let mut new_ty = ty;
        new_ty.defined_resources.clear();
        for item in new_ty.exports.values_mut() {
            types.remap_entity(&mut item.ty, &mut mapping);
        }
        *id = types.push_instance(new_ty);
    }

    fn prepare_instance_export(&mut self, id: &mut TypeId, types: &mut Types) {
        let ty = types.instance(*id).clone();
        if ty.defined_resources.is_empty() {
            return;
        }
        let mut mapping = Remapping::default();
        for old in &ty.defined_resources {
            let new = types.alloc_resource();
            mapping.resources.insert(*old, new.index);
            self.defined_resources.push((new.index, None));
        }
        let mut new_ty = ty;
        new_ty.defined_resources.clear();
        for item in new_ty.exports.values_mut() {
            types.remap_entity(&mut item.ty, &mut mapping);
        }
        *id = types.push_instance(new_ty);
    }

    /// The entity an export names, checked against its ascribed type if any.
    pub fn export_entity(
        &mut self,
        types: &mut Types,
        sort: Sort,
        index: u32,
        ascribed: Option<&TypeRef>,
        offset: usize,
    ) -> Result<EntityType> {
        let actual = match sort {
            Sort::CoreModule => EntityType::Module(self.module_at(index, offset)?),
            Sort::Func => EntityType::Func(self.function_at(index, offset)?),
            Sort::Value => EntityType::Value(self.value_at(index, offset)?),
            Sort::Type => {
                let referenced = self.type_at(index, offset)?;
                let created = types.with_unique(referenced);
                EntityType::Type {
                    referenced,
                    created,
                }
            }
            Sort::Instance => EntityType::Instance(self.instance_at(index, offset)?),
            Sort::Component => EntityType::Component(self.component_at(index, offset)?),
        };
        let Some(t) = ascribed else {
            return Ok(actual);
        };
        let ascribed = self.type_ref(types, t, offset)?;
        types.entity_sub(&actual, &ascribed, offset)?;
        Ok(ascribed)
    }

    /// Completes a component (or component type): its type.
    pub fn finish(&mut self, types: &mut Types, offset: usize) -> Result<ComponentType> {
        let mut ty = ComponentType {
            imports: self.imports.clone(),
            exports: self.exports.clone(),
            imported_resources: core::mem::take(&mut self.imported_resources),
            defined_resources: Vec::new(),
            info: self.type_info,
        };
        let mut free = BTreeSet::new();
        for item in ty.imports.values() {
            types.free_entity(&item.ty, &mut free);
        }
        for (r, _) in &self.defined_resources {
            if free.contains(r) {
                bail!(offset, "local resource type found in imports");
            }
        }
        free.clear();
        for item in ty.exports.values() {
            types.free_entity(&item.ty, &mut free);
        }
        let defined: Vec<u32> = core::mem::take(&mut self.defined_resources)
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| free.contains(r))
            .collect();
        let mut paths = types.explicit_resource_paths(&ty.exports, defined.iter().copied());
        for r in defined {
            match paths.remove(&r) {
                Some(p) => ty.defined_resources.push((r, p)),
                None => bail!(
                    offset,
                    "local resource type found in export but not exported itself"
                ),
            }
        }
        Ok(ty)
    }

    /// Checks that every value was used (at the end of a component).
    pub fn check_values_used(&self, offset: usize) -> Result<()> {
        if let Some(i) = self.values.iter().position(|(_, used)| !*used) {
            bail!(
                offset,
                "value index {i} was not used as part of an instantiation, start function, or export"
            );
        }
        Ok(())
    }

    // ---- aliases ----

    pub fn add_alias(
        stack: &mut [State],
        types: &mut Types,
        a: &Alias<'_>,
        offset: usize,
    ) -> Result<()> {
        let cur = stack.last().unwrap();
        if cur.kind != Kind::Component {
            let ok = matches!(
                a,
                Alias::InstanceExport {
                    sort: Sort::Type | Sort::Instance,
                    ..
                } | Alias::Outer {
                    kind: OuterAliasKind::Type | OuterAliasKind::CoreType,
                    ..
                }
            );
            if !ok {
                bail!(
                    offset,
                    "aliases in a component or instance type may only refer to types or instances"
                );
            }
        }
        match *a {
            Alias::InstanceExport {
                sort,
                instance,
                name,
            } => {
                let cur = stack.last_mut().unwrap();
                let inst = cur.instance_at(instance, offset)?;
                let Some(item) = types.instance(inst).exports.get(name) else {
                    bail!(offset, "instance {instance} has no export named `{name}`");
                };
                let mut ty = item.ty;
                let ok = matches!(
                    (ty, sort),
                    (EntityType::Module(_), Sort::CoreModule)
                        | (EntityType::Component(_), Sort::Component)
                        | (EntityType::Func(_), Sort::Func)
                        | (EntityType::Instance(_), Sort::Instance)
                        | (EntityType::Value(_), Sort::Value)
                        | (EntityType::Type { .. }, Sort::Type)
                );
                if !ok {
                    bail!(
                        offset,
                        "export `{name}` for instance {instance} is not a {}",
                        sort.name()
                    );
                }
                cur.add_entity(types, &mut ty, None, offset)
            }
            Alias::CoreInstanceExport {
                kind,
                instance,
                name,
            } => {
                let cur = stack.last_mut().unwrap();
                let inst = cur.core_instance_at(instance, offset)?;
                let Some(e) = types.core_instances[inst as usize]
                    .exports
                    .get(name)
                    .copied()
                else {
                    bail!(
                        offset,
                        "core instance {instance} has no export named `{name}`"
                    );
                };
                let mismatch = |what: &str| -> Result<()> {
                    bail!(
                        offset,
                        "export `{name}` for core instance {instance} is not a {what}"
                    )
                };
                match (kind, e) {
                    (ExternalKind::Func, CoreEntity::Func(t) | CoreEntity::FuncExact(t)) => {
                        check_max(cur.function_count(), 1, MAX_FUNCTIONS, "functions", offset)?;
                        cur.core_funcs.push(t);
                    }
                    (ExternalKind::Func, _) => mismatch("function")?,
                    (ExternalKind::Table, CoreEntity::Table(t)) => {
                        check_max(cur.core_tables.len(), 1, MAX_CORE_ITEMS, "tables", offset)?;
                        cur.core_tables.push(t);
                    }
                    (ExternalKind::Table, _) => mismatch("table")?,
                    (ExternalKind::Memory, CoreEntity::Memory(t)) => {
                        check_max(
                            cur.core_memories.len(),
                            1,
                            MAX_CORE_ITEMS,
                            "memories",
                            offset,
                        )?;
                        cur.core_memories.push(t);
                    }
                    (ExternalKind::Memory, _) => mismatch("memory")?,
                    (ExternalKind::Global, CoreEntity::Global(t)) => {
                        check_max(cur.core_globals.len(), 1, MAX_CORE_ITEMS, "globals", offset)?;
                        cur.core_globals.push(t);
                    }
                    (ExternalKind::Global, _) => mismatch("global")?,
                    (ExternalKind::Tag, CoreEntity::Tag(t)) => {
                        check_max(cur.core_tags.len(), 1, MAX_CORE_ITEMS, "tags", offset)?;
                        cur.core_tags.push(t);
                    }
                    (ExternalKind::Tag, _) => mismatch("tag")?,
                }
                Ok(())
            }
            Alias::Outer { kind, count, index } => {
                let c = count as usize;
                if c >= stack.len() {
                    bail!(offset, "invalid outer alias count of {count}");
                }
                let target = stack.len() - c - 1;
                match kind {
                    OuterAliasKind::CoreModule => {
                        let t = stack[target].module_at(index, offset)?;
                        let cur = stack.last_mut().unwrap();
                        check_max(cur.core_modules.len(), 1, MAX_MODULES, "modules", offset)?;
                        cur.core_modules.push(t);
                    }
                    OuterAliasKind::Component => {
                        let t = stack[target].component_at(index, offset)?;
                        let cur = stack.last_mut().unwrap();
                        check_max(
                            cur.components.len(),
                            1,
                            MAX_COMPONENTS,
                            "components",
                            offset,
                        )?;
                        cur.components.push(t);
                    }
                    OuterAliasKind::CoreType => {
                        let t = stack[target].core_type_at(index, offset)?;
                        let cur = stack.last_mut().unwrap();
                        check_max(cur.type_count(), 1, MAX_TYPES, "types", offset)?;
                        cur.core_types.push(t);
                    }
                    OuterAliasKind::Type => {
                        let t = stack[target].type_at(index, offset)?;
                        let after = stack.len() - c;
                        if let Some(s) = stack.get_mut(after) {
                            if s.kind == Kind::Component {
                                s.outer_alias_size = combine_sizes(
                                    s.outer_alias_size,
                                    types.any_info(t).size,
                                    offset,
                                )?;
                                let mut free = BTreeSet::new();
                                types.free_any(t, &mut free);
                                if !free.is_empty() {
                                    bail!(
                                        offset,
                                        "cannot alias outer type which transitively refers to resources not defined in the current component"
                                    );
                                }
                            }
                        }
                        let cur = stack.last_mut().unwrap();
                        check_max(cur.type_count(), 1, MAX_TYPES, "types", offset)?;
                        cur.types.push(t);
                    }
                }
                Ok(())
            }
        }
    }

    // ---- instances ----

    pub fn add_core_instance(
        &mut self,
        types: &mut Types,
        inst: &CoreInstance<'_>,
        offset: usize,
    ) -> Result<()> {
        let ty = match inst {
            CoreInstance::Instantiate { module, args } => {
                let m = self.module_at(*module, offset)?;
                let mut by_name: BTreeMap<&str, u32> = BTreeMap::new();
                for a in args {
                    let i = self.core_instance_at(a.instance, offset)?;
                    if by_name.insert(a.name, i).is_some() {
                        bail!(
                            offset,
                            "duplicate module instantiation argument named `{}`",
                            a.name
                        );
                    }
                }
                let mt = types.modules[m as usize].clone();
                for ((module, name), expected) in &mt.imports {
                    let Some(i) = by_name.get(module.as_str()) else {
                        bail!(
                            offset,
                            "missing module instantiation argument named `{module}`"
                        );
                    };
                    let Some(actual) = types.core_instances[*i as usize].exports.get(name).copied()
                    else {
                        bail!(
                            offset,
                            "module instantiation argument `{module}` does not export an item named `{name}`"
                        );
                    };
                    types.core_entity_sub(&actual, expected, offset)?;
                }
                CoreInstanceType {
                    exports: mt.exports,
                }
            }
            CoreInstance::FromExports(exports) => {
                let mut out = NameMap::default();
                for e in exports {
                    let t = match e.kind {
                        ExternalKind::Func => CoreEntity::Func(self.core_func_at(e.index, offset)?),
                        ExternalKind::Table => CoreEntity::Table(self.table_at(e.index, offset)?),
                        ExternalKind::Memory => {
                            CoreEntity::Memory(self.memory_at(e.index, offset)?)
                        }
                        ExternalKind::Global => match self.core_globals.get(e.index as usize) {
                            Some(g) => CoreEntity::Global(*g),
                            None => bail!(
                                offset,
                                "unknown global {}: global index out of bounds",
                                e.index
                            ),
                        },
                        ExternalKind::Tag => match self.core_tags.get(e.index as usize) {
                            Some(t) => CoreEntity::Tag(*t),
                            None => {
                                bail!(offset, "unknown tag {}: tag index out of bounds", e.index)
                            }
                        },
                    };
                    if !out.insert(String::from(e.name), t) {
                        bail!(
                            offset,
                            "duplicate instantiation export name `{}` already defined",
                            e.name
                        );
                    }
                }
                CoreInstanceType { exports: out }
            }
        };
        types.core_instances.push(ty);
        self.core_instances
            .push(types.core_instances.len() as u32 - 1);
        Ok(())
    }

    pub fn add_instance(
        &mut self,
        types: &mut Types,
        inst: &Instance<'_>,
        offset: usize,
    ) -> Result<()> {
        let id = match inst {
            Instance::Instantiate { component, args } => {
                let ct_id = self.component_at(*component, offset)?;
                let mut map: NameMap<EntityType> = NameMap::default();
                for a in args {
                    let t = match a.sort {
                        Sort::CoreModule => EntityType::Module(self.module_at(a.index, offset)?),
                        Sort::Component => {
                            EntityType::Component(self.component_at(a.index, offset)?)
                        }
                        Sort::Instance => EntityType::Instance(self.instance_at(a.index, offset)?),
                        Sort::Func => EntityType::Func(self.function_at(a.index, offset)?),
                        Sort::Value => EntityType::Value(self.value_at(a.index, offset)?),
                        Sort::Type => {
                            let t = self.type_at(a.index, offset)?;
                            EntityType::Type {
                                referenced: t,
                                created: t,
                            }
                        }
                    };
                    if !map.insert(String::from(a.name), t) {
                        bail!(
                            offset,
                            "instantiation argument `{}` conflicts with previous argument",
                            a.name
                        );
                    }
                }
                let ct = types.component(ct_id).clone();
                let mut info = TypeInfo::new();
                for item in ct.exports.values() {
                    info.combine(types.entity_info(&item.ty), offset)?;
                }
                let mut mapping = types.open_instance_type(&map, ct_id, true, offset)?;
                let mut fresh = Vec::new();
                for (old, _) in &ct.defined_resources {
                    let new = types.alloc_resource().index;
                    mapping.resources.insert(*old, new);
                    fresh.push(new);
                }
                let mut exports = ct.exports.clone();
                for item in exports.values_mut() {
                    types.remap_entity(&mut item.ty, &mut mapping);
                }
                for r in fresh {
                    self.defined_resources.push((r, None));
                }
                types.push_instance(InstanceType {
                    exports,
                    defined_resources: Vec::new(),
                    info,
                })
            }
            Instance::FromExports(exports) => {
                let mut info = TypeInfo::new();
                let mut items = NameMap::default();
                let mut kind_names = BTreeSet::new();
                let names = ResourceNames::default();
                for e in exports {
                    let ty = match e.sort {
                        Sort::CoreModule => EntityType::Module(self.module_at(e.index, offset)?),
                        Sort::Component => {
                            EntityType::Component(self.component_at(e.index, offset)?)
                        }
                        Sort::Instance => EntityType::Instance(self.instance_at(e.index, offset)?),
                        Sort::Func => EntityType::Func(self.function_at(e.index, offset)?),
                        Sort::Value => {
                            let v = self.value_at(e.index, offset)?;
                            if types.val_abi(v).borrow {
                                bail!(offset, "exported value type cannot contain a `borrow` type");
                            }
                            EntityType::Value(v)
                        }
                        Sort::Type => {
                            let t = self.type_at(e.index, offset)?;
                            EntityType::Type {
                                referenced: t,
                                created: t,
                            }
                        }
                    };
                    validate_extern(
                        &names,
                        types,
                        &e.name,
                        ExternKind::Export,
                        &ty,
                        offset,
                        &mut kind_names,
                        &mut items,
                        &mut info,
                    )?;
                }
                types.push_instance(InstanceType {
                    exports: items,
                    defined_resources: Vec::new(),
                    info,
                })
            }
        };
        self.instances.push(id);
        Ok(())
    }

    // ---- start ----

    pub fn add_start(
        &mut self,
        types: &Types,
        func: u32,
        args: &[u32],
        results: u32,
        offset: usize,
    ) -> Result<()> {
        if self.has_start {
            bail!(offset, "component cannot have more than one start function");
        }
        let f = types.func(self.function_at(func, offset)?).clone();
        if f.params.len() != args.len() {
            bail!(
                offset,
                "component start function requires {} arguments but was given {}",
                f.params.len(),
                args.len()
            );
        }
        if u32::from(f.result.is_some()) != results {
            bail!(offset, "component start function has a result count of {results} but the function type has a different one");
        }
        for ((_, t), a) in f.params.iter().zip(args) {
            let v = self.value_at(*a, offset)?;
            types.val_sub(v, *t, offset)?;
        }
        if let Some(t) = f.result {
            self.values.push((t, false));
        }
        self.has_start = true;
        Ok(())
    }

    // ---- canonical functions ----

    fn options(&self, types: &Types, opts: &[CanonicalOption], offset: usize) -> Result<Options> {
        let mut o = Options::default();
        let mut encoding = false;
        for opt in opts {
            match *opt {
                CanonicalOption::Utf8 | CanonicalOption::Utf16 | CanonicalOption::CompactUtf16 => {
                    if encoding {
                        bail!(
                            offset,
                            "canonical encoding option conflicts with a previous encoding option"
                        );
                    }
                    encoding = true;
                }
                CanonicalOption::Memory(i) => {
                    if o.memory.is_some() {
                        bail!(
                            offset,
                            "canonical option `memory` is specified more than once"
                        );
                    }
                    o.memory = Some((i, self.cabi_memory_at(i, offset)?));
                }
                CanonicalOption::Realloc(i) => {
                    if o.realloc.is_some() {
                        bail!(
                            offset,
                            "canonical option `realloc` is specified more than once"
                        );
                    }
                    o.realloc = Some(i);
                }
                CanonicalOption::PostReturn(i) => {
                    if o.post_return.is_some() {
                        bail!(
                            offset,
                            "canonical option `post-return` is specified more than once"
                        );
                    }
                    o.post_return = Some(i);
                }
                CanonicalOption::Async => {
                    if o.is_async {
                        bail!(
                            offset,
                            "canonical option `async` is specified more than once"
                        );
                    }
                    o.is_async = true;
                }
                CanonicalOption::Callback(i) => {
                    if o.callback.is_some() {
                        bail!(
                            offset,
                            "canonical option `callback` is specified more than once"
                        );
                    }
                    o.callback = Some(i);
                }
                CanonicalOption::CoreType(i) => {
                    if o.core_type.is_some() {
                        bail!(
                            offset,
                            "canonical option `core type` is specified more than once"
                        );
                    }
                    match self.core_type_at(i, offset)? {
                        CoreTypeEntry::Sub(t) if types.core.func_type(t).is_some() => {
                            o.core_type = Some(t)
                        }
                        _ => bail!(
                            offset,
                            "canonical option `core type` must reference a core function type"
                        ),
                    }
                }
                CanonicalOption::Gc => {
                    if o.gc {
                        bail!(offset, "canonical option `gc` is specified more than once");
                    }
                    o.gc = true;
                }
            }
        }
        if !o.is_async && o.callback.is_some() {
            bail!(offset, "cannot specify callback without async");
        }
        if o.is_async && o.post_return.is_some() {
            bail!(offset, "cannot specify post-return function in async");
        }
        if !o.gc && o.core_type.is_some() {
            bail!(offset, "cannot specify `core-type` without `gc`");
        }
        if let Some(r) = o.realloc {
            let Some((_, m64)) = o.memory else {
                bail!(
                    offset,
                    "canonical option `realloc` requires `memory` to also be specified"
                );
            };
            let a = if m64 {
                CoreValType::I64
            } else {
                CoreValType::I32
            };
            let t = self.core_func_at(r, offset)?;
            let (p, res) = types.core_sig(t);
            if p != [a, a, a, a] || res != [a] {
                bail!(
                    offset,
                    "canonical option `realloc` uses a core function with an incorrect signature"
                );
            }
        }
        Ok(o)
    }

    /// The core signature of function type `f` lifted (`lift`) or lowered under `o`,
    /// checking the options the ABI requires.
    fn lower_sig(
        types: &Types,
        f: &FuncType,
        o: &Options,
        lift: bool,
        offset: usize,
    ) -> Result<(Vec<CoreValType>, Vec<CoreValType>)> {
        let ptr = o.ptr();
        let require_realloc_if = |c: bool| {
            if o.realloc.is_none() && c {
                o.require_realloc(offset)
            } else {
                Ok(())
            }
        };
        let require_memory_if = |c: bool| {
            if o.memory.is_none() && c {
                o.require_memory(offset)
            } else {
                Ok(())
            }
        };
        let mut max_params = MAX_FLAT_PARAMS;
        if !lift && o.is_async {
            max_params = MAX_FLAT_ASYNC_PARAMS;
        }
        let mut params = Vec::new();
        for (_, t) in &f.params {
            if lift {
                require_realloc_if(types.contains_ptr(*t))?;
            } else {
                require_memory_if(types.contains_ptr(*t))?;
            }
            if !types.flatten(*t, ptr, &mut params, max_params) {
                params.clear();
                params.push(ptr);
                o.require_memory(offset)?;
                if lift {
                    o.require_realloc(offset)?;
                }
                break;
            }
        }
        if let Some(t) = f.result {
            require_realloc_if(!lift && types.contains_ptr(t))?;
        }
        let mut results = Vec::new();
        match (lift, o.is_async) {
            (_, false) => {
                if let Some(t) = f.result {
                    if !types.flatten(t, ptr, &mut results, MAX_FLAT_RESULTS) {
                        results.clear();
                        o.require_memory(offset)?;
                        if lift {
                            results.push(ptr);
                        } else {
                            params.push(ptr);
                        }
                    }
                }
            }
            (false, true) => {
                if f.result.is_some() {
                    params.push(ptr);
                    o.require_memory(offset)?;
                }
                results.push(CoreValType::I32);
            }
            (true, true) => {
                if let Some(t) = f.result {
                    let overflow = !types.flatten(t, ptr, &mut Vec::new(), MAX_FLAT_PARAMS);
                    require_memory_if(overflow || types.contains_ptr(t))?;
                }
                if o.callback.is_some() {
                    results.push(CoreValType::I32);
                }
            }
        }
        Ok((params, results))
    }

    fn check_core_type(
        &self,
        types: &mut Types,
        o: &Options,
        params: &[CoreValType],
        results: &[CoreValType],
        offset: usize,
    ) -> Result<u32> {
        if let Some(t) = o.core_type {
            let (p, r) = types.core_sig(t);
            if p != params || r != results {
                bail!(
                    offset,
                    "declared core type does not match the lowering's signature"
                );
            }
            return Ok(t);
        }
        Ok(types.core_func(params, results))
    }

    pub fn canonical(
        &mut self,
        types: &mut Types,
        f: &CanonicalFunction,
        offset: usize,
    ) -> Result<()> {
        use CanonicalFunction as F;
        use CoreValType::{I32, I64};
        let simple = |s: &mut State,
                      types: &mut Types,
                      p: &[CoreValType],
                      r: &[CoreValType]|
         -> Result<()> {
            let t = types.core_func(p, r);
            s.core_funcs.push(t);
            Ok(())
        };
        match f {
            F::Lift {
                core_func,
                ty,
                options,
            } => {
                let fid = self.func_type_at(*ty, offset)?;
                let ft = types.func(fid).clone();
                let core = self.core_func_at(*core_func, offset)?;
                let o = self.options(types, options, offset)?;
                if let Some(pr) = o.post_return {
                    let prt = self.core_func_at(pr, offset)?;
                    let (pp, prr) = types.core_sig(prt);
                    let (_, cr) = types.core_sig(core);
                    if pp != cr || !prr.is_empty() {
                        bail!(offset, "canonical option `post-return` uses a core function with an incorrect signature");
                    }
                }
                if o.is_async {
                    if let Some(cb) = o.callback {
                        let cbt = self.core_func_at(cb, offset)?;
                        let (p, r) = types.core_sig(cbt);
                        if p != [I32, I32, I32] || r != [I32] {
                            bail!(offset, "canonical option `callback` uses a core function with an incorrect signature");
                        }
                    }
                }
                if o.core_type.is_some() {
                    bail!(
                        offset,
                        "canonical option `core-type` is not allowed in `canon lift`"
                    );
                }
                if o.is_async && !ft.is_async {
                    bail!(
                        offset,
                        "the `async` canonical option requires an async function type"
                    );
                }
                if o.gc {
                    // The GC ABI's lifting rules are not implemented: reject.
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, true, offset)?;
                if types.core.func_type(core).is_none() || !types.is_core_func(core, &p, &r) {
                    bail!(offset, "lowered function type does not match the type of core function {core_func}");
                }
                self.funcs.push(fid);
            }
            F::Lower { func, options } => {
                let fid = self.function_at(*func, offset)?;
                let ft = types.func(fid).clone();
                let o = self.options(types, options, offset)?;
                o.check_lower(offset)?;
                if o.is_async && !ft.is_async {
                    bail!(
                        offset,
                        "the `async` canonical option requires an async function type"
                    );
                }
                if o.gc {
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, false, offset)?;
                let t = types.core_func(&p, &r);
                self.core_funcs.push(t);
            }
            F::ResourceNew { resource } => {
                let rep = self.local_resource(*resource, offset)?;
                simple(self, types, &[rep], &[I32])?;
            }
            F::ResourceDrop { resource } => {
                self.resource_at(*resource, offset)?;
                simple(self, types, &[I32], &[])?;
            }
            F::ResourceRep { resource } => {
                let rep = self.local_resource(*resource, offset)?;
                simple(self, types, &[I32], &[rep])?;
            }
            F::ThreadSpawnRef { func_ty } | F::ThreadSpawnIndirect { func_ty, .. } => {
                match self.core_type_at(*func_ty, offset)? {
                    CoreTypeEntry::Sub(_) => {}
                    CoreTypeEntry::Module(_) => bail!(offset, "expected a core function type"),
                }
                // Shared types (shared-everything threads) are not representable here.
                bail!(offset, "spawn type must be shared");
            }
            F::ThreadAvailableParallelism => simple(self, types, &[], &[I32])?,
            F::BackpressureInc | F::BackpressureDec | F::TaskCancel => {
                simple(self, types, &[], &[])?
            }
            F::TaskReturn { result, options } => {
                let mut params = Vec::new();
                if let Some(t) = result {
                    let t = self.val_type(*t, offset)?;
                    if types.val_abi(t).borrow {
                        bail!(
                            offset,
                            "`task.return` result cannot contain a `borrow` type"
                        );
                    }
                    params.push((String::from("v"), t));
                }
                let ft = FuncType {
                    is_async: false,
                    params,
                    result: None,
                    info: TypeInfo::new(),
                };
                let o = self.options(types, options, offset)?;
                if o.realloc.is_some() {
                    bail!(offset, "cannot specify `realloc` option on `task.return`");
                }
                if o.post_return.is_some() {
                    bail!(
                        offset,
                        "cannot specify `post-return` option on `task.return`"
                    );
                }
                o.check_lower(offset)?;
                o.require_sync(offset, "task.return")?;
                if o.gc {
                    bail!(
                        offset,
                        "the `gc` canonical option is not supported by this validator"
                    );
                }
                let (p, r) = Self::lower_sig(types, &ft, &o, false, offset)?;
                let t = types.core_func(&p, &r);
                self.core_funcs.push(t);
            }
            F::ContextGet { ty, slot } | F::ContextSet { ty, slot } => {
                let what = if matches!(f, F::ContextGet { .. }) {
                    "context.get"
                } else {
                    "context.set"
                };
                if *ty != I32 && *ty != I64 {
                    bail!(offset, "`{what}` only supports `i32` or `i64`");
                }
                match self.context_type {
                    None => self.context_type = Some(*ty),
                    Some(t) if t != *ty => {
                        bail!(offset, "`{what}` type must match previous context type")
                    }
                    _ => {}
                }
                if *slot > 1 {
                    bail!(offset, "`{what}` immediate must be zero or one: {slot}");
                }
                if matches!(f, F::ContextGet { .. }) {
                    simple(self, types, &[], &[*ty])?;
                } else {
                    simple(self, types, &[*ty], &[])?;
                }
            }
            F::SubtaskDrop => simple(self, types, &[I32], &[])?,
            F::SubtaskCancel { .. } => simple(self, types, &[I32], &[I32])?,
            F::StreamNew { ty } | F::FutureNew { ty } => {
                self.stream_or_future(types, *ty, matches!(f, F::StreamNew { .. }), offset)?;
                simple(self, types, &[], &[I64])?;
            }
            F::StreamRead { ty, options }
            | F::StreamWrite { ty, options }
            | F::FutureRead { ty, options }
            | F::FutureWrite { ty, options } => {
                let stream = matches!(f, F::StreamRead { .. } | F::StreamWrite { .. });
                let read = matches!(f, F::StreamRead { .. } | F::FutureRead { .. });
                let elem = self.stream_or_future(types, *ty, stream, offset)?;
                let o = self.options(types, options, offset)?;
                let ptr = o.ptr();
                if o.memory.is_none() && elem.is_some() {
                    o.require_memory(offset)?;
                }
                if read && o.realloc.is_none() && elem.is_some_and(|t| types.contains_ptr(t)) {
                    o.require_realloc(offset)?;
                }
                o.check_lower(offset)?;
                let (p, r) = if stream {
                    (alloc::vec![I32, ptr, ptr], alloc::vec![ptr])
                } else {
                    (alloc::vec![I32, ptr], alloc::vec![I32])
                };
                let t = self.check_core_type(types, &o, &p, &r, offset)?;
                self.core_funcs.push(t);
            }
            F::StreamForward { ty } | F::FutureForward { ty } => {
                self.stream_or_future(types, *ty, matches!(f, F::StreamForward { .. }), offset)?;
                simple(self, types, &[I32, I32], &[])?;
            }
            F::StreamCancelRead { ty, .. }
            | F::StreamCancelWrite { ty, .. }
            | F::FutureCancelRead { ty, .. }
            | F::FutureCancelWrite { ty, .. } => {
                let stream = matches!(f, F::StreamCancelRead { .. } | F::StreamCancelWrite { .. });
                self.stream_or_future(types, *ty, stream, offset)?;
                simple(self, types, &[I32], &[I32])?;
            }
            F::StreamDropReadable { ty }
            | F::StreamDropWritable { ty }
            | F::FutureDropReadable { ty }
            | F::FutureDropWritable { ty } => {
                let stream = matches!(
                    f,
                    F::StreamDropReadable { .. } | F::StreamDropWritable { .. }
                );
                self.stream_or_future(types, *ty, stream, offset)?;
                simple(self, types, &[I32], &[])?;
            }
            F::ErrorContextNew { options } | F::ErrorContextDebugMessage { options } => {
                let new = matches!(f, F::ErrorContextNew { .. });
                let o = self.options(types, options, offset)?;
                let ptr = o.ptr();
                o.require_memory(offset)?;
                if !new {
                    o.require_realloc(offset)?;
                }
                o.require_sync(
                    offset,
                    if new {
                        "error-context.new"
                    } else {
                        "error-context.debug-message"
                    },
                )?;
                o.check_lower(offset)?;
                let (p, r) = if new {
                    (alloc::vec![ptr, ptr], alloc::vec![I32])
                } else {
                    (alloc::vec![I32, ptr], alloc::vec![])
                };
                let t = self.check_core_type(types, &o, &p, &r, offset)?;
                self.core_funcs.push(t);
            }
            F::ErrorContextDrop => simple(self, types, &[I32], &[])?,
            F::WaitableSetNew => simple(self, types, &[], &[I32])?,
            F::WaitableSetWait { memory } | F::WaitableSetPoll { memory } => {
                let m64 = self.cabi_memory_at(*memory, offset)?;
                let p = if m64 { I64 } else { I32 };
                simple(self, types, &[I32, p], &[I32])?;
            }
            F::WaitableSetDrop => simple(self, types, &[I32], &[])?,
            F::WaitableJoin => simple(self, types, &[I32, I32], &[])?,
            F::ThreadIndex => simple(self, types, &[], &[I32])?,
            F::ThreadNewIndirect { func_ty, table } => {
                let t = match self.core_type_at(*func_ty, offset)? {
                    CoreTypeEntry::Sub(t) => t,
                    CoreTypeEntry::Module(_) => bail!(offset, "expected a core function type"),
                };
                let Some(ft) = types.core.func_type(t) else {
                    bail!(offset, "start type must be a function");
                };
                let closure = match ft.params() {
                    [I32] => I32,
                    [I64] => I64,
                    _ => bail!(
                        offset,
                        "start function must take a single `i32` argument (currently)"
                    ),
                };
                if !ft.results().is_empty() {
                    bail!(offset, "start function must not return any values");
                }
                let tt = self.table_at(*table, offset)?;
                if tt.element != RefType::FUNCREF || tt.shared {
                    bail!(offset, "table is not a 32-bit table of (ref null (func))");
                }
                let idx = if tt.table64 { I64 } else { I32 };
                simple(self, types, &[idx, closure], &[I32])?;
            }
            F::ThreadResumeLater => simple(self, types, &[I32], &[])?,
            F::ThreadSuspend | F::ThreadYield => simple(self, types, &[], &[I32])?,
            F::ThreadSuspendThenResume
            | F::ThreadYieldThenResume
            | F::ThreadSuspendThenPromote
            | F::ThreadYieldThenPromote => simple(self, types, &[I32], &[I32])?,
        }
        Ok(())
    }

    /// The payload of stream (or future) type `ty`.
    fn stream_or_future(
        &self,
        types: &Types,
        ty: u32,
        stream: bool,
        offset: usize,
    ) -> Result<Option<ValType>> {
        let id = self.defined_at(ty, offset)?;
        match (&types.defined(id).ty, stream) {
            (DefinedType::Stream(t), true) | (DefinedType::Future(t), false) => Ok(*t),
            (_, true) => bail!(offset, "`stream` built-ins require a stream type"),
            (_, false) => bail!(offset, "`future` built-ins require a future type"),
        }
    }

    fn local_resource(&self, i: u32, offset: usize) -> Result<CoreValType> {
        let r = self.resource_at(i, offset)?;
        match self.defined_resources.iter().find(|(d, _)| *d == r.index) {
            Some((_, Some(rep))) => Ok(*rep),
            _ => bail!(offset, "type {i} is not a local resource"),
        }
    }
}

fn check_unique_imports(imports: &[((String, String), CoreEntity)], offset: usize) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (k, _) in imports {
        if !seen.insert(k) {
            bail!(
                offset,
                "module has a duplicate import name `{}:{}` that is not allowed in components",
                k.0,
                k.1
            );
        }
    }
    Ok(())
}

/// Interns rec group `g`, whose indices refer to the local core type space `local` (entries
/// `None` are module types, which core types may not name) and to the group itself, into
/// the global core type space; returns the global index of its first type.
pub fn intern_group(
    types: &mut Types,
    local: &[Option<u32>],
    g: &RecGroup,
    offset: usize,
) -> Result<u32> {
    let base_local = local.len() as u32;
    let start = types.core.len();
    let n = g.types.len() as u32;
    let mut err = None;
    let mut map = |i: u32| -> u32 {
        if i >= base_local {
            if i - base_local < n {
                return start + (i - base_local);
            }
            err.get_or_insert(i);
            return 0;
        }
        match local[i as usize] {
            Some(t) => t,
            None => {
                err.get_or_insert(i);
                0
            }
        }
    };
    let mapped: Vec<SubType> = g
        .types
        .iter()
        .map(|t| crate::types::map_sub(t, &mut map))
        .collect();
    if let Some(i) = err {
        bail!(offset, "unknown type {i}: type index out of bounds");
    }
    let group = RecGroup {
        offset: g.offset,
        explicit: g.explicit,
        types: mapped,
    };
    types.core.add_group(&group);
    types.core.check_group(start, offset, true, true)?;
    Ok(start)
}

/// A core import's or module type export's type, its type indices local to `local`.
fn core_entity_of(
    types: &Types,
    local: &[Option<u32>],
    k: &ImportKind,
    offset: usize,
) -> Result<CoreEntity> {
    let ty = |i: u32| -> Result<u32> {
        match local.get(i as usize) {
            Some(Some(t)) => Ok(*t),
            _ => bail!(offset, "unknown type {i}: type index out of bounds"),
        }
    };
    let func = |i: u32| -> Result<u32> {
        let t = ty(i)?;
        if types.core.func_type(t).is_none() {
            bail!(offset, "type {i} is not a function type");
        }
        Ok(t)
    };
    let map_ref = |r: RefType| -> Result<RefType> {
        Ok(RefType {
            nullable: r.nullable,
            heap: match r.heap {
                HeapType::Concrete(i) => HeapType::Concrete(ty(i)?),
                HeapType::Exact(i) => HeapType::Exact(ty(i)?),
                h => h,
            },
        })
    };
    let map_val = |v: CoreValType| -> Result<CoreValType> {
        Ok(match v {
            CoreValType::Ref(r) => CoreValType::Ref(map_ref(r)?),
            v => v,
        })
    };
    Ok(match *k {
        ImportKind::Func(i) => CoreEntity::Func(func(i)?),
        ImportKind::FuncExact(i) => CoreEntity::FuncExact(func(i)?),
        ImportKind::Table(t) => {
            // Shared tables need shared element types, which the core decoder cannot express.
            if t.shared {
                bail!(offset, "shared tables must have a shared element type");
            }
            check_limits(
                t.limits.initial,
                t.limits.maximum,
                if t.table64 { u64::MAX } else { u32::MAX as u64 },
                offset,
            )?;
            CoreEntity::Table(TableType {
                element: map_ref(t.element)?,
                ..t
            })
        }
        ImportKind::Memory(m) => {
            if let Some(p) = m.page_size_log2 {
                if p != 0 && p != 16 {
                    bail!(offset, "invalid custom page size");
                }
            }
            if m.shared && m.limits.maximum.is_none() {
                bail!(offset, "shared memory must have maximum size");
            }
            let bound = if m.memory64 {
                if m.page_size_log2() == 0 {
                    u64::MAX
                } else {
                    1u64 << (64 - m.page_size_log2())
                }
            } else {
                1u64 << (32 - m.page_size_log2())
            };
            check_limits(m.limits.initial, m.limits.maximum, bound, offset)?;
            CoreEntity::Memory(m)
        }
        ImportKind::Global(g) if g.shared && matches!(g.content, CoreValType::Ref(_)) => {
            bail!(offset, "shared globals must have a shared value type")
        }
        ImportKind::Global(g) => CoreEntity::Global(GlobalType {
            content: map_val(g.content)?,
            ..g
        }),
        ImportKind::Tag(t) => {
            let f = func(t.func_type)?;
            if types
                .core
                .func_type(f)
                .is_some_and(|f| !f.results().is_empty())
            {
                bail!(offset, "invalid exception type: tag results must be empty");
            }
            CoreEntity::Tag(f)
        }
    })
}

fn check_limits(initial: u64, max: Option<u64>, bound: u64, offset: usize) -> Result<()> {
    if initial > bound || max.is_some_and(|m| m > bound) {
        bail!(offset, "size exceeds the limit");
    }
    if max.is_some_and(|m| m < initial) {
        bail!(offset, "size minimum must not be greater than maximum");
    }
    Ok(())
}

/// The module type of a validated core module, its types moved into the global space.
pub fn module_type_of(
    types: &mut Types,
    m: &spindle_decode::Module<'_>,
    ctx: &crate::ModuleCtx,
    offset: usize,
) -> Result<ModuleType> {
    // Every rec group of the module, into the global space.
    let mut map: Vec<u32> = Vec::with_capacity(ctx.types.len() as usize);
    let mut i = 0;
    while i < ctx.types.len() {
        let (start, len) = ctx.types.group_of(i);
        let gstart = types.core.len();
        let mut f = |x: u32| {
            if x >= start {
                gstart + (x - start)
            } else {
                map[x as usize]
            }
        };
        let group = RecGroup {
            offset: 0,
            explicit: len > 1,
            types: (start..start + len)
                .map(|j| crate::types::map_sub(ctx.types.get(j).unwrap(), &mut f))
                .collect(),
        };
        types.core.add_group(&group);
        for j in 0..len {
            map.push(gstart + j);
        }
        i = start + len;
    }
    let g = |x: u32| map[x as usize];
    let gref = |r: RefType| RefType {
        nullable: r.nullable,
        heap: match r.heap {
            HeapType::Concrete(i) => HeapType::Concrete(g(i)),
            HeapType::Exact(i) => HeapType::Exact(g(i)),
            h => h,
        },
    };
    let gval = |v: CoreValType| match v {
        CoreValType::Ref(r) => CoreValType::Ref(gref(r)),
        v => v,
    };
    let entity = |k: ExternalKind, idx: u32| -> CoreEntity {
        let idx = idx as usize;
        match k {
            ExternalKind::Func if ctx.funcs_exact[idx] => CoreEntity::FuncExact(g(ctx.funcs[idx])),
            ExternalKind::Func => CoreEntity::Func(g(ctx.funcs[idx])),
            ExternalKind::Table => {
                let t = ctx.tables[idx];
                CoreEntity::Table(TableType {
                    element: gref(t.element),
                    ..t
                })
            }
            ExternalKind::Memory => CoreEntity::Memory(ctx.memories[idx]),
            ExternalKind::Global => {
                let t = ctx.globals[idx];
                CoreEntity::Global(GlobalType {
                    content: gval(t.content),
                    ..t
                })
            }
            ExternalKind::Tag => CoreEntity::Tag(g(ctx.tags[idx])),
        }
    };
    let mut imports = Vec::new();
    for imp in &m.imports {
        let e = match imp.kind {
            ImportKind::Func(t) => CoreEntity::Func(g(t)),
            ImportKind::FuncExact(t) => CoreEntity::FuncExact(g(t)),
            ImportKind::Table(t) => CoreEntity::Table(TableType {
                element: gref(t.element),
                ..t
            }),
            ImportKind::Memory(mt) => CoreEntity::Memory(mt),
            ImportKind::Global(gt) => CoreEntity::Global(GlobalType {
                content: gval(gt.content),
                ..gt
            }),
            ImportKind::Tag(t) => CoreEntity::Tag(g(t.func_type)),
        };
        imports.push(((String::from(imp.module), String::from(imp.name)), e));
    }
    check_unique_imports(&imports, offset)?;
    let mut exports = NameMap::default();
    for ex in &m.exports {
        exports.insert(String::from(ex.name), entity(ex.kind, ex.index));
    }
    let _ = CompositeType::Array;
    Ok(ModuleType { imports, exports })
}

// ---- named types ----

fn all_named(types: &Types, id: AnyTypeId, set: &mut BTreeSet<AnyTypeId>) -> bool {
    match id {
        AnyTypeId::Resource(_) | AnyTypeId::Component(_) => true,
        AnyTypeId::Defined(d) => defined_named(types, d, set),
        AnyTypeId::Func(f) => func_named(types, f, set),
        AnyTypeId::Instance(i) => instance_named(types, i, set),
    }
}

fn instance_named(types: &Types, id: TypeId, set: &mut BTreeSet<AnyTypeId>) -> bool {
    let mut added = Vec::new();
    let items: Vec<EntityType> = types.instance(id).exports.values().map(|x| x.ty).collect();
    let mut ret = true;
    for t in items {
        let ok = match t {
            EntityType::Module(_) | EntityType::Component(_) => true,
            EntityType::Func(f) => func_named(types, f, set),
            EntityType::Type { created, .. } => {
                let named = all_named(types, created, set);
                if named && set.insert(created) {
                    added.push(created);
                }
                named
            }
            EntityType::Value(ValType::Type(d)) => defined_named(types, d, set),
            EntityType::Value(ValType::Primitive(_)) => true,
            EntityType::Instance(i) => instance_named(types, i, set),
        };
        if !ok {
            ret = false;
            break;
        }
    }
    for a in added {
        set.remove(&a);
    }
    ret
}

/// Whether the types a defined type refers to (one level down) are named.
fn defined_named(types: &Types, id: TypeId, set: &BTreeSet<AnyTypeId>) -> bool {
    match &types.defined(id).ty {
        DefinedType::Primitive(_) | DefinedType::Flags(_) | DefinedType::Enum(_) => true,
        DefinedType::Record(fs) => fs.iter().all(|(_, t)| val_named(types, *t, set)),
        DefinedType::Tuple(ts) => ts.iter().all(|t| val_named(types, *t, set)),
        DefinedType::Variant(cs) => cs
            .iter()
            .filter_map(|c| c.1)
            .all(|t| val_named(types, t, set)),
        DefinedType::Result { ok, err } => ok
            .iter()
            .chain(err.iter())
            .all(|t| val_named(types, *t, set)),
        DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
            val_named(types, *t, set)
        }
        DefinedType::Map(k, v) => val_named(types, *k, set) && val_named(types, *v, set),
        DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
        DefinedType::Future(t) | DefinedType::Stream(t) => {
            t.iter().all(|t| val_named(types, *t, set))
        }
    }
}

fn func_named(types: &Types, id: TypeId, set: &BTreeSet<AnyTypeId>) -> bool {
    let f = types.func(id);
    f.params
        .iter()
        .map(|p| p.1)
        .chain(f.result)
        .all(|t| val_named(types, t, set))
}

/// Whether a value type is named where it must be (records, variants, flags and enums must
/// be named types; the others are checked through).
fn val_named(types: &Types, t: ValType, set: &BTreeSet<AnyTypeId>) -> bool {
    let ValType::Type(id) = t else { return true };
    match &types.defined(id).ty {
        DefinedType::Primitive(_) => true,
        DefinedType::Flags(_)
        | DefinedType::Enum(_)
        | DefinedType::Record(_)
        | DefinedType::Variant(_) => set.contains(&AnyTypeId::Defined(id)),
        DefinedType::Tuple(ts) => ts.iter().all(|t| val_named(types, *t, set)),
        DefinedType::Result { ok, err } => ok
            .iter()
            .chain(err.iter())
            .all(|t| val_named(types, *t, set)),
        DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
            val_named(types, *t, set)
        }
        DefinedType::Map(k, v) => val_named(types, *k, set) && val_named(types, *v, set),
        DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
        DefinedType::Future(t) | DefinedType::Stream(t) => {
            t.iter().all(|t| val_named(types, *t, set))
        }
    }
}

// ---- extern names ----

#[allow(clippy::too_many_arguments)]
fn validate_extern(
    cx: &ResourceNames,
    types: &Types,
    name: &DecodedName<'_>,
    kind: ExternKind,
    ty: &EntityType,
    offset: usize,
    kind_names: &mut BTreeSet<NameKey>,
    items: &mut NameMap<Item>,
    info: &mut TypeInfo,
) -> Result<()> {
    let parsed = match names::parse(name.name) {
        Ok(p) => p,
        Err(e) => bail!(
            offset,
            "{} name `{}` is not a valid extern name: {e}",
            kind.desc(),
            name.name
        ),
    };
    if let Some(suffix) = name.version_suffix {
        if !matches!(ty, EntityType::Instance(_)) {
            bail!(offset, "only instances can have a `version-suffix`");
        }
        if suffix.is_empty() {
            bail!(offset, "version suffix cannot be empty");
        }
        if name.implements.is_none() && !matches!(parsed, ExternName::Interface(_)) {
            bail!(
                offset,
                "`version-suffix` requires an interface name or `implements`"
            );
        }
    }
    if let Some(implements) = name.implements {
        match &parsed {
            ExternName::Plain(p) if p.is_bare() => {}
            _ => bail!(
                offset,
                "name `{}` is not valid with `implements`",
                name.name
            ),
        }
        if !matches!(ty, EntityType::Instance(_)) {
            bail!(offset, "only instances can have an `implements`");
        }
        match names::parse(implements) {
            Ok(ExternName::Interface(i)) => {
                if let Err(e) = names::check_interface_version(i, name.version_suffix) {
                    bail!(offset, "invalid interface version: {e}");
                }
            }
            Ok(_) => bail!(offset, "name `{implements}` must be an interface"),
            Err(e) => bail!(offset, "`{implements}` is not a valid name: {e}"),
        }
    }
    validate_name(cx, types, &parsed, name.version_suffix, ty, offset)?;
    if !kind_names.insert(parsed.key()) {
        bail!(
            offset,
            "{} name `{}` conflicts with previous name",
            kind.desc(),
            name.name
        );
    }
    if let ExternName::Plain(p) = &parsed {
        if p.accessor == Some(Accessor::Set) {
            let getter = p.getter_for_setter();
            let Some(g) = items.get(&getter) else {
                bail!(
                    offset,
                    "{} name `{}` requires a preceding {} named `{getter}`",
                    kind.desc(),
                    name.name,
                    kind.desc()
                );
            };
            let (EntityType::Func(setter), EntityType::Func(getter_f)) = (*ty, g.ty) else {
                bail!(offset, "item is not a func");
            };
            let Some((_, spty)) = types.func(setter).params.last() else {
                bail!(offset, "setter function should have parameters");
            };
            let Some(grty) = types.func(getter_f).result else {
                bail!(offset, "getter function should return a value");
            };
            let prop = match grty {
                ValType::Type(id) => match &types.defined(id).ty {
                    DefinedType::Result { ok: Some(ok), .. } => *ok,
                    DefinedType::Result { ok: None, .. } => {
                        bail!(offset, "getter result has no value type")
                    }
                    _ => grty,
                },
                _ => grty,
            };
            if types.val_sub(*spty, prop, offset).is_err()
                || types.val_sub(prop, *spty, offset).is_err()
            {
                bail!(
                    offset,
                    "{} `{}`'s parameter type must match the return type of `{getter}`",
                    kind.desc(),
                    name.name
                );
            }
        }
    }
    if !items.insert(
        String::from(name.name),
        Item {
            ty: *ty,
            version_suffix: name.version_suffix.map(String::from),
        },
    ) {
        bail!(
            offset,
            "{} name `{}` conflicts with previous name",
            kind.desc(),
            name.name
        );
    }
    info.combine(types.entity_info(ty), offset)?;
    Ok(())
}

fn validate_name(
    cx: &ResourceNames,
    types: &Types,
    name: &ExternName<'_>,
    version_suffix: Option<&str>,
    ty: &EntityType,
    offset: usize,
) -> Result<()> {
    let func = || -> Result<&FuncType> {
        match ty {
            EntityType::Func(id) => Ok(types.func(*id)),
            _ => bail!(offset, "item is not a func"),
        }
    };
    let resource_name = |id: TypeId, expected: &str| -> Result<()> {
        match cx.by_id.get(&id) {
            None => bail!(
                offset,
                "resource used in function does not have a name in this context"
            ),
            Some(n) if n != expected => {
                bail!(
                    offset,
                    "function does not match expected resource name `{n}`"
                )
            }
            Some(_) => Ok(()),
        }
    };
    match name {
        ExternName::Interface(i) => {
            if let Err(e) = names::check_interface_version(i, version_suffix) {
                bail!(offset, "invalid interface version: {e}");
            }
        }
        ExternName::Plain(p) => {
            match p.resource_func {
                Some(ResourceFunc::Constructor) => {
                    let f = func()?;
                    if f.is_async {
                        bail!(offset, "constructor function cannot be async");
                    }
                    let Some(r) = f.result else {
                        bail!(offset, "function should return one value");
                    };
                    let res = match r {
                        ValType::Primitive(_) => None,
                        ValType::Type(id) => match &types.defined(id).ty {
                            DefinedType::Own(r) => Some(*r),
                            DefinedType::Result {
                                ok: Some(ValType::Type(ok)),
                                ..
                            } => match &types.defined(*ok).ty {
                                DefinedType::Own(r) => Some(*r),
                                _ => None,
                            },
                            _ => None,
                        },
                    };
                    let Some(res) = res else {
                        bail!(
                            offset,
                            "function should return `(own $T)` or `(result (own $T))`"
                        );
                    };
                    resource_name(res, p.resource().unwrap_or(""))?;
                }
                Some(ResourceFunc::Method) => {
                    let f = func()?;
                    let Some((pname, pty)) = f.params.first() else {
                        bail!(offset, "function should have at least one argument");
                    };
                    if pname != "self" {
                        bail!(
                            offset,
                            "function should have a first argument called `self`"
                        );
                    }
                    let id = match pty {
                        ValType::Type(t) => match &types.defined(*t).ty {
                            DefinedType::Borrow(r) => Some(*r),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(id) = id else {
                        bail!(
                            offset,
                            "function should take a first argument of `(borrow $T)`"
                        );
                    };
                    resource_name(id, p.resource().unwrap_or(""))?;
                }
                Some(ResourceFunc::Static) => {
                    func()?;
                    if !cx.all.contains(p.resource().unwrap_or("")) {
                        bail!(offset, "static resource name is not known in this context");
                    }
                }
                None => {}
            }
            if let Some(acc) = p.accessor {
                let f = func()?;
                if f.is_async {
                    bail!(offset, "accessor function cannot be async");
                }
                let own = match p.resource_func {
                    Some(ResourceFunc::Method) => f.params.len() - 1,
                    _ => f.params.len(),
                };
                match acc {
                    Accessor::Get => {
                        if own != 0 {
                            bail!(offset, "getter function should have no parameters");
                        }
                        match f.result {
                            None => bail!(offset, "getter function should return a value"),
                            Some(ValType::Type(id)) => {
                                if let DefinedType::Result { ok: None, .. } = types.defined(id).ty {
                                    bail!(offset, "if a getter function returns a result, that result must have a value type");
                                }
                            }
                            Some(_) => {}
                        }
                    }
                    Accessor::Set => {
                        if own != 1 {
                            bail!(offset, "setter function should have exactly one parameter");
                        }
                        let ok = match f.result {
                            None => true,
                            Some(ValType::Primitive(_)) => false,
                            Some(ValType::Type(id)) => {
                                matches!(types.defined(id).ty, DefinedType::Result { ok: None, .. })
                            }
                        };
                        if !ok {
                            bail!(
                                offset,
                                "setter function should return nothing or `(result (error $E)?)`"
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
