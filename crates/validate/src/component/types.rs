//! The type arena of a validated component: defined value types, function types, instance
//! and component types, resources, core module and core instance types; the canonical ABI
//! facts validation needs (flattening, in-memory size, pointers, borrows); resource
//! substitution; and subtyping (the rules wasmparser 0.263 implements).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::PrimitiveValType;
use spindle_decode::{GlobalType, MemoryType, TableType, ValType as CoreValType};

use crate::error::{bail, Result};
use crate::types::TypeSpace;

/// Largest in-memory size (64-bit memories) of a value type, exclusive.
pub const MAX_VALUE_BYTE_SIZE: u64 = 1 << 28;
/// Largest "effective size" of a type (its nodes, counted through every reference), exclusive.
pub const MAX_TYPE_SIZE: u32 = 1_000_000;
/// Deepest nesting of types.
pub const MAX_TYPE_DEPTH: u32 = 100;
/// Flat parameters of a canonical ABI function (more go through memory).
pub const MAX_FLAT_PARAMS: usize = 16;
/// Flat parameters of an `async` lowered import.
pub const MAX_FLAT_ASYNC_PARAMS: usize = 4;
/// Flat results of a canonical ABI function.
pub const MAX_FLAT_RESULTS: usize = 1;

/// The id of a type in one of the arena's lists, with an alias stamp: every import or export
/// of a type gets a fresh stamp, so that "named" types are told apart from the definitions
/// they name while sharing their structure. Structure is looked up by `index`; identity (for
/// the sets of named types) is the pair.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TypeId {
    pub index: u32,
    pub alias: u32,
}

impl TypeId {
    pub const fn new(index: u32) -> TypeId {
        TypeId { index, alias: 0 }
    }
}

/// What a type index of the component type index space refers to. `Resource`'s `index` is
/// the resource's unique number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AnyTypeId {
    Resource(TypeId),
    Defined(TypeId),
    Func(TypeId),
    Instance(TypeId),
    Component(TypeId),
}

impl AnyTypeId {
    pub fn desc(&self) -> &'static str {
        match self {
            AnyTypeId::Resource(_) => "resource",
            AnyTypeId::Defined(_) => "defined type",
            AnyTypeId::Func(_) => "func",
            AnyTypeId::Instance(_) => "instance",
            AnyTypeId::Component(_) => "component",
        }
    }

    fn with_alias(self, alias: u32) -> AnyTypeId {
        let set = |mut id: TypeId| {
            id.alias = alias;
            id
        };
        match self {
            AnyTypeId::Resource(i) => AnyTypeId::Resource(set(i)),
            AnyTypeId::Defined(i) => AnyTypeId::Defined(set(i)),
            AnyTypeId::Func(i) => AnyTypeId::Func(set(i)),
            AnyTypeId::Instance(i) => AnyTypeId::Instance(set(i)),
            AnyTypeId::Component(i) => AnyTypeId::Component(set(i)),
        }
    }
}

/// A component value type: a primitive or a defined type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValType {
    Primitive(PrimitiveValType),
    Type(TypeId),
}

/// A defined value type, its references resolved to the arena.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DefinedType {
    Primitive(PrimitiveValType),
    Record(Vec<(String, ValType)>),
    Variant(Vec<(String, Option<ValType>)>),
    List(ValType),
    FixedLengthList(ValType, u32),
    Map(ValType, ValType),
    Tuple(Vec<ValType>),
    Flags(Vec<String>),
    Enum(Vec<String>),
    Option(ValType),
    Result {
        ok: Option<ValType>,
        err: Option<ValType>,
    },
    /// Of a resource (`TypeId::index` is the resource number).
    Own(TypeId),
    Borrow(TypeId),
    Future(Option<ValType>),
    Stream(Option<ValType>),
}

impl DefinedType {
    pub fn desc(&self) -> &'static str {
        match self {
            DefinedType::Primitive(_) => "primitive",
            DefinedType::Record(_) => "record",
            DefinedType::Variant(_) => "variant",
            DefinedType::List(_) | DefinedType::FixedLengthList(..) => "list",
            DefinedType::Map(..) => "map",
            DefinedType::Tuple(_) => "tuple",
            DefinedType::Flags(_) => "flags",
            DefinedType::Enum(_) => "enum",
            DefinedType::Option(_) => "option",
            DefinedType::Result { .. } => "result",
            DefinedType::Own(_) => "own",
            DefinedType::Borrow(_) => "borrow",
            DefinedType::Future(_) => "future",
            DefinedType::Stream(_) => "stream",
        }
    }
}

/// Size and nesting depth of a type, which bound the work of every walk over it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TypeInfo {
    pub size: u32,
    pub depth: u32,
}

impl TypeInfo {
    pub const fn new() -> TypeInfo {
        TypeInfo { size: 1, depth: 1 }
    }

    /// Accounts for `other` inside this type.
    pub fn combine(&mut self, other: TypeInfo, offset: usize) -> Result<()> {
        let depth = self.depth.max(other.depth.saturating_add(1));
        if depth > MAX_TYPE_DEPTH {
            bail!(offset, "type nesting is too deep");
        }
        self.size = combine_sizes(self.size, other.size, offset)?;
        self.depth = depth;
        Ok(())
    }
}

impl Default for TypeInfo {
    fn default() -> TypeInfo {
        TypeInfo::new()
    }
}

pub fn combine_sizes(a: u32, b: u32, offset: usize) -> Result<u32> {
    match a.checked_add(b) {
        Some(s) if s < MAX_TYPE_SIZE => Ok(s),
        _ => bail!(
            offset,
            "effective type size exceeds the limit of {MAX_TYPE_SIZE}"
        ),
    }
}

/// Canonical ABI facts of a value type: size and alignment in a 64-bit memory, whether it
/// contains a `borrow`, a handle, a pointer (string or list).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Abi {
    pub size: u32,
    pub align: u32,
    pub borrow: bool,
    pub handle: bool,
}

impl Abi {
    const fn of(size: u32, align: u32) -> Abi {
        Abi {
            size,
            align,
            borrow: false,
            handle: false,
        }
    }

    pub fn primitive(p: PrimitiveValType) -> Abi {
        use PrimitiveValType as P;
        match p {
            P::Bool | P::S8 | P::U8 => Abi::of(1, 1),
            P::S16 | P::U16 => Abi::of(2, 2),
            P::S32 | P::U32 | P::F32 | P::Char => Abi::of(4, 4),
            P::S64 | P::U64 | P::F64 => Abi::of(8, 8),
            P::String => Abi::of(16, 8),
            P::ErrorContext => Abi {
                handle: true,
                ..Abi::of(4, 4)
            },
        }
    }

    fn checked(size: u64, align: u32, borrow: bool, handle: bool, offset: usize) -> Result<Abi> {
        if size >= MAX_VALUE_BYTE_SIZE {
            bail!(
                offset,
                "value type's maximum in-memory size exceeds maximum byte size"
            );
        }
        Ok(Abi {
            size: size as u32,
            align,
            borrow,
            handle,
        })
    }

    fn discriminant(cases: usize) -> Abi {
        if cases <= 0x100 {
            Abi::of(1, 1)
        } else if cases <= 0x10000 {
            Abi::of(2, 2)
        } else {
            Abi::of(4, 4)
        }
    }

    fn record(fields: impl Iterator<Item = Abi>, offset: usize) -> Result<Abi> {
        let (mut size, mut align, mut borrow, mut handle) = (0u64, 1u32, false, false);
        for f in fields {
            size = align_to(size, f.align) + u64::from(f.size);
            align = align.max(f.align);
            borrow |= f.borrow;
            handle |= f.handle;
        }
        Abi::checked(align_to(size, align), align, borrow, handle, offset)
    }

    fn variant(cases: usize, payloads: impl Iterator<Item = Abi>, offset: usize) -> Result<Abi> {
        let d = Abi::discriminant(cases);
        let (mut psize, mut palign, mut borrow, mut handle) = (0u64, 1u32, false, false);
        for p in payloads {
            psize = psize.max(u64::from(p.size));
            palign = palign.max(p.align);
            borrow |= p.borrow;
            handle |= p.handle;
        }
        let align = d.align.max(palign);
        let size = align_to(u64::from(d.size), palign) + psize;
        Abi::checked(align_to(size, align), align, borrow, handle, offset)
    }

    fn list(e: Abi) -> Abi {
        Abi {
            borrow: e.borrow,
            handle: e.handle,
            ..Abi::of(16, 8)
        }
    }
}

fn align_to(n: u64, align: u32) -> u64 {
    let a = u64::from(align);
    (n + a - 1) & !(a - 1)
}

/// A defined type with its cached facts.
#[derive(Clone, Debug)]
pub struct DefinedEntry {
    pub ty: DefinedType,
    pub info: TypeInfo,
    pub abi: Abi,
}

/// A component function type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FuncType {
    pub is_async: bool,
    pub params: Vec<(String, ValType)>,
    pub result: Option<ValType>,
    pub info: TypeInfo,
}

/// The type of a component-level item (an import, an export, an instance's export, an
/// instantiation argument).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntityType {
    /// A core module of this module type.
    Module(u32),
    Func(TypeId),
    Value(ValType),
    /// A type: `referenced` is what was named, `created` the (aliased) identity the import or
    /// export introduces (the same type for a fresh resource).
    Type {
        referenced: AnyTypeId,
        created: AnyTypeId,
    },
    Instance(TypeId),
    Component(TypeId),
}

impl EntityType {
    pub fn desc(&self) -> &'static str {
        match self {
            EntityType::Module(_) => "module",
            EntityType::Func(_) => "func",
            EntityType::Value(_) => "value",
            EntityType::Type { .. } => "type",
            EntityType::Instance(_) => "instance",
            EntityType::Component(_) => "component",
        }
    }
}

/// An ordered map from names to items (declaration order is significant: resource paths are
/// positions in it).
#[derive(Clone, Debug)]
pub struct NameMap<V> {
    entries: Vec<(String, V)>,
    index: BTreeMap<String, usize>,
}

impl<V> Default for NameMap<V> {
    fn default() -> Self {
        NameMap {
            entries: Vec::new(),
            index: BTreeMap::new(),
        }
    }
}

impl<V> NameMap<V> {
    pub fn get(&self, name: &str) -> Option<&V> {
        self.index.get(name).map(|i| &self.entries[*i].1)
    }
    pub fn get_index(&self, i: usize) -> Option<(&str, &V)> {
        self.entries.get(i).map(|(k, v)| (k.as_str(), v))
    }
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
    /// Inserts unless present; false when the name was already there.
    pub fn insert(&mut self, name: String, v: V) -> bool {
        if self.index.contains_key(&name) {
            return false;
        }
        self.index.insert(name.clone(), self.entries.len());
        self.entries.push((name, v));
        true
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

/// An import or export: its type and the name options.
#[derive(Clone, Debug)]
pub struct Item {
    pub ty: EntityType,
    pub version_suffix: Option<String>,
}

/// An instance type (or the type of an instance).
#[derive(Clone, Debug, Default)]
pub struct InstanceType {
    pub exports: NameMap<Item>,
    /// Resources the type introduces (non-empty only for declared instance types).
    pub defined_resources: Vec<u32>,
    pub info: TypeInfo,
}

/// A component type (or the type of a component).
#[derive(Clone, Debug, Default)]
pub struct ComponentType {
    pub imports: NameMap<Item>,
    pub exports: NameMap<Item>,
    /// Each imported resource with its path: an import's position, then positions in the
    /// exports of the instance types it goes through.
    pub imported_resources: Vec<(u32, Vec<usize>)>,
    /// Each defined resource the exports mention, with the path of its explicit export.
    pub defined_resources: Vec<(u32, Vec<usize>)>,
    pub info: TypeInfo,
}

/// A core item's type. Function and tag types are indices of the global core [`TypeSpace`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CoreEntity {
    Func(u32),
    FuncExact(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    Tag(u32),
}

impl CoreEntity {
    pub fn desc(&self) -> &'static str {
        match self {
            CoreEntity::Func(_) => "func",
            CoreEntity::FuncExact(_) => "func_exact",
            CoreEntity::Table(_) => "table",
            CoreEntity::Memory(_) => "memory",
            CoreEntity::Global(_) => "global",
            CoreEntity::Tag(_) => "tag",
        }
    }
}

/// A core module type: imports by (module, name), exports by name.
#[derive(Clone, Debug, Default)]
pub struct ModuleType {
    pub imports: Vec<((String, String), CoreEntity)>,
    pub exports: NameMap<CoreEntity>,
}

/// A core instance's type: its exports.
#[derive(Clone, Debug, Default)]
pub struct CoreInstanceType {
    pub exports: NameMap<CoreEntity>,
}

/// Every type of a validation, components nested or not.
#[derive(Default)]
pub struct Types {
    /// Core types of every module, module type and core type section, canonicalised
    /// together so that equal indices' canonical ids mean equal types across modules.
    pub core: TypeSpace,
    /// Interned singleton function types (params, results) → core type index.
    core_funcs: BTreeMap<(Vec<CoreValType>, Vec<CoreValType>), u32>,
    pub modules: Vec<ModuleType>,
    pub core_instances: Vec<CoreInstanceType>,
    pub defined: Vec<DefinedEntry>,
    pub funcs: Vec<FuncType>,
    pub instances: Vec<InstanceType>,
    pub components: Vec<ComponentType>,
    /// Resources allocated so far.
    pub resource_count: u32,
    next_alias: u32,
}

/// Resource and type substitutions.
#[derive(Default, Debug)]
pub struct Remapping {
    pub resources: BTreeMap<u32, u32>,
    pub types: BTreeMap<AnyTypeId, AnyTypeId>,
}

impl Types {
    pub fn defined(&self, id: TypeId) -> &DefinedEntry {
        &self.defined[id.index as usize]
    }
    pub fn func(&self, id: TypeId) -> &FuncType {
        &self.funcs[id.index as usize]
    }
    pub fn instance(&self, id: TypeId) -> &InstanceType {
        &self.instances[id.index as usize]
    }
    pub fn component(&self, id: TypeId) -> &ComponentType {
        &self.components[id.index as usize]
    }

    pub fn push_defined(&mut self, e: DefinedEntry) -> TypeId {
        self.defined.push(e);
        TypeId::new(self.defined.len() as u32 - 1)
    }
    pub fn push_func(&mut self, f: FuncType) -> TypeId {
        self.funcs.push(f);
        TypeId::new(self.funcs.len() as u32 - 1)
    }
    pub fn push_instance(&mut self, t: InstanceType) -> TypeId {
        self.instances.push(t);
        TypeId::new(self.instances.len() as u32 - 1)
    }
    pub fn push_component(&mut self, t: ComponentType) -> TypeId {
        self.components.push(t);
        TypeId::new(self.components.len() as u32 - 1)
    }

    /// A fresh resource.
    pub fn alloc_resource(&mut self) -> TypeId {
        self.resource_count += 1;
        TypeId::new(self.resource_count - 1)
    }

    /// `id` with a fresh alias stamp.
    pub fn with_unique(&mut self, id: AnyTypeId) -> AnyTypeId {
        self.next_alias += 1;
        id.with_alias(self.next_alias)
    }

    /// The core type index of the function type `[params] -> [results]` in its own rec
    /// group (final, no supertype).
    pub fn core_func(&mut self, params: &[CoreValType], results: &[CoreValType]) -> u32 {
        let key = (params.to_vec(), results.to_vec());
        if let Some(i) = self.core_funcs.get(&key) {
            return *i;
        }
        let group = spindle_decode::RecGroup {
            offset: 0,
            explicit: false,
            types: alloc::vec![spindle_decode::SubType {
                is_final: true,
                supertypes: Vec::new().into(),
                composite: spindle_decode::CompositeType::Func(spindle_decode::FuncType::new(
                    params, results
                )),
                descriptor: None,
                describes: None,
            }],
        };
        let i = self.core.len();
        self.core.add_group(&group);
        self.core_funcs.insert(key, i);
        i
    }

    /// Whether core type `a` is the function type `[params] -> [results]` (the same
    /// canonical type, as wasmparser's interning compares).
    pub fn is_core_func(
        &mut self,
        a: u32,
        params: &[CoreValType],
        results: &[CoreValType],
    ) -> bool {
        let b = self.core_func(params, results);
        self.core.same(a, b)
    }

    /// Parameters and results of a core function type.
    pub fn core_sig(&self, idx: u32) -> (Vec<CoreValType>, Vec<CoreValType>) {
        match self.core.func_type(idx) {
            Some(f) => (f.params().to_vec(), f.results().to_vec()),
            None => (Vec::new(), Vec::new()),
        }
    }

    pub fn val_info(&self, t: ValType) -> TypeInfo {
        match t {
            ValType::Primitive(_) => TypeInfo::new(),
            ValType::Type(id) => self.defined(id).info,
        }
    }

    pub fn val_abi(&self, t: ValType) -> Abi {
        match t {
            ValType::Primitive(p) => Abi::primitive(p),
            ValType::Type(id) => self.defined(id).abi,
        }
    }

    pub fn entity_info(&self, t: &EntityType) -> TypeInfo {
        match t {
            EntityType::Module(_) => TypeInfo::new(),
            EntityType::Func(id) => self.func(*id).info,
            EntityType::Value(v) => self.val_info(*v),
            EntityType::Type { referenced, .. } => self.any_info(*referenced),
            EntityType::Instance(id) => self.instance(*id).info,
            EntityType::Component(id) => self.component(*id).info,
        }
    }

    pub fn any_info(&self, t: AnyTypeId) -> TypeInfo {
        match t {
            AnyTypeId::Resource(_) => TypeInfo::new(),
            AnyTypeId::Defined(id) => self.defined(id).info,
            AnyTypeId::Func(id) => self.func(id).info,
            AnyTypeId::Instance(id) => self.instance(id).info,
            AnyTypeId::Component(id) => self.component(id).info,
        }
    }

    /// Builds the cached facts of a defined type.
    pub fn make_defined(&self, ty: DefinedType, offset: usize) -> Result<DefinedEntry> {
        let mut info = TypeInfo::new();
        let abi = match &ty {
            DefinedType::Primitive(p) => Abi::primitive(*p),
            DefinedType::Record(fields) => {
                for (_, t) in fields {
                    info.combine(self.val_info(*t), offset)?;
                }
                Abi::record(fields.iter().map(|(_, t)| self.val_abi(*t)), offset)?
            }
            DefinedType::Variant(cases) => {
                for t in cases.iter().filter_map(|c| c.1) {
                    info.combine(self.val_info(t), offset)?;
                }
                Abi::variant(
                    cases.len(),
                    cases.iter().filter_map(|c| c.1).map(|t| self.val_abi(t)),
                    offset,
                )?
            }
            DefinedType::List(t) => {
                info.combine(self.val_info(*t), offset)?;
                Abi::list(self.val_abi(*t))
            }
            DefinedType::Map(k, v) => {
                info.combine(self.val_info(*k), offset)?;
                info.combine(self.val_info(*v), offset)?;
                let (k, v) = (self.val_abi(*k), self.val_abi(*v));
                Abi {
                    borrow: k.borrow || v.borrow,
                    handle: k.handle || v.handle,
                    ..Abi::of(16, 8)
                }
            }
            DefinedType::FixedLengthList(t, n) => {
                info.combine(self.val_info(*t), offset)?;
                let e = self.val_abi(*t);
                Abi::checked(
                    u64::from(e.size) * u64::from(*n),
                    e.align,
                    e.borrow,
                    e.handle,
                    offset,
                )?
            }
            DefinedType::Tuple(ts) => {
                for t in ts {
                    info.combine(self.val_info(*t), offset)?;
                }
                Abi::record(ts.iter().map(|t| self.val_abi(*t)), offset)?
            }
            DefinedType::Flags(names) => {
                if names.len() <= 8 {
                    Abi::of(1, 1)
                } else if names.len() <= 16 {
                    Abi::of(2, 2)
                } else {
                    Abi::of(4, 4)
                }
            }
            DefinedType::Enum(cases) => Abi::discriminant(cases.len()),
            DefinedType::Option(t) => {
                info.combine(self.val_info(*t), offset)?;
                Abi::variant(2, [self.val_abi(*t)].into_iter(), offset)?
            }
            DefinedType::Result { ok, err } => {
                for t in ok.iter().chain(err.iter()) {
                    info.combine(self.val_info(*t), offset)?;
                }
                Abi::variant(
                    2,
                    ok.iter().chain(err.iter()).map(|t| self.val_abi(*t)),
                    offset,
                )?
            }
            DefinedType::Own(_) => Abi {
                handle: true,
                ..Abi::of(4, 4)
            },
            DefinedType::Borrow(_) => Abi {
                handle: true,
                borrow: true,
                ..Abi::of(4, 4)
            },
            DefinedType::Future(t) | DefinedType::Stream(t) => {
                if let Some(t) = t {
                    info.combine(self.val_info(*t), offset)?;
                }
                Abi {
                    handle: true,
                    borrow: t.is_some_and(|t| self.val_abi(t).borrow),
                    ..Abi::of(4, 4)
                }
            }
        };
        Ok(DefinedEntry { ty, info, abi })
    }

    /// Whether values of `t` hold a pointer (a string or a list somewhere).
    pub fn contains_ptr(&self, t: ValType) -> bool {
        match t {
            ValType::Primitive(p) => p == PrimitiveValType::String,
            ValType::Type(id) => match &self.defined(id).ty {
                DefinedType::Primitive(p) => *p == PrimitiveValType::String,
                DefinedType::Record(fs) => fs.iter().any(|(_, t)| self.contains_ptr(*t)),
                DefinedType::Variant(cs) => cs
                    .iter()
                    .any(|(_, t)| t.is_some_and(|t| self.contains_ptr(t))),
                DefinedType::List(_) | DefinedType::Map(..) => true,
                DefinedType::Tuple(ts) => ts.iter().any(|t| self.contains_ptr(*t)),
                DefinedType::Option(t) | DefinedType::FixedLengthList(t, _) => {
                    self.contains_ptr(*t)
                }
                DefinedType::Result { ok, err } => {
                    ok.is_some_and(|t| self.contains_ptr(t))
                        || err.is_some_and(|t| self.contains_ptr(t))
                }
                DefinedType::Flags(_)
                | DefinedType::Enum(_)
                | DefinedType::Own(_)
                | DefinedType::Borrow(_)
                | DefinedType::Future(_)
                | DefinedType::Stream(_) => false,
            },
        }
    }

    /// Appends the flattened core types of `t` to `out`; false when more than `max` would be
    /// needed (what was appended is then meaningless).
    pub fn flatten(
        &self,
        t: ValType,
        ptr: CoreValType,
        out: &mut Vec<CoreValType>,
        max: usize,
    ) -> bool {
        use CoreValType as C;
        let push = |out: &mut Vec<C>, v: C| {
            if out.len() >= max {
                false
            } else {
                out.push(v);
                true
            }
        };
        match t {
            ValType::Primitive(p) => self.flatten_primitive(p, ptr, out, max),
            ValType::Type(id) => match &self.defined(id).ty {
                DefinedType::Primitive(p) => self.flatten_primitive(*p, ptr, out, max),
                DefinedType::Record(fs) => fs.iter().all(|(_, t)| self.flatten(*t, ptr, out, max)),
                DefinedType::Tuple(ts) => ts.iter().all(|t| self.flatten(*t, ptr, out, max)),
                DefinedType::Variant(cs) => {
                    self.flatten_variant(cs.iter().filter_map(|c| c.1), ptr, out, max)
                }
                DefinedType::List(_) | DefinedType::Map(..) => push(out, ptr) && push(out, ptr),
                DefinedType::FixedLengthList(t, n) => {
                    (0..*n).all(|_| self.flatten(*t, ptr, out, max))
                }
                DefinedType::Flags(names) => {
                    (0..names.len().div_ceil(32)).all(|_| push(out, C::I32))
                }
                DefinedType::Enum(_)
                | DefinedType::Own(_)
                | DefinedType::Borrow(_)
                | DefinedType::Future(_)
                | DefinedType::Stream(_) => push(out, C::I32),
                DefinedType::Option(t) => self.flatten_variant([*t].into_iter(), ptr, out, max),
                DefinedType::Result { ok, err } => {
                    self.flatten_variant(ok.iter().chain(err.iter()).copied(), ptr, out, max)
                }
            },
        }
    }

    fn flatten_primitive(
        &self,
        p: PrimitiveValType,
        ptr: CoreValType,
        out: &mut Vec<CoreValType>,
        max: usize,
    ) -> bool {
        use PrimitiveValType as P;
        let mut push = |v| {
            if out.len() >= max {
                false
            } else {
                out.push(v);
                true
            }
        };
        match p {
            P::S64 | P::U64 => push(CoreValType::I64),
            P::F32 => push(CoreValType::F32),
            P::F64 => push(CoreValType::F64),
            P::String => push(ptr) && push(ptr),
            _ => push(CoreValType::I32),
        }
    }

    fn flatten_variant(
        &self,
        cases: impl Iterator<Item = ValType>,
        ptr: CoreValType,
        out: &mut Vec<CoreValType>,
        max: usize,
    ) -> bool {
        if out.len() >= max {
            return false;
        }
        out.push(CoreValType::I32);
        let start = out.len();
        for t in cases {
            let mut temp = Vec::new();
            if !self.flatten(t, ptr, &mut temp, max) {
                return false;
            }
            for (i, v) in temp.into_iter().enumerate() {
                match out.get_mut(start + i) {
                    Some(prev) => *prev = join(*prev, v),
                    None => {
                        if out.len() >= max {
                            return false;
                        }
                        out.push(v);
                    }
                }
            }
        }
        true
    }

    // ---- resources: free variables, explicit export paths, substitution ----

    pub fn free_any(&self, t: AnyTypeId, set: &mut BTreeSet<u32>) {
        match t {
            AnyTypeId::Resource(r) => {
                set.insert(r.index);
            }
            AnyTypeId::Defined(id) => self.free_defined(id, set),
            AnyTypeId::Func(id) => self.free_func(id, set),
            AnyTypeId::Instance(id) => self.free_instance(id, set),
            AnyTypeId::Component(id) => self.free_component(id, set),
        }
    }

    fn free_val(&self, t: ValType, set: &mut BTreeSet<u32>) {
        if let ValType::Type(id) = t {
            self.free_defined(id, set)
        }
    }

    fn free_defined(&self, id: TypeId, set: &mut BTreeSet<u32>) {
        match &self.defined(id).ty {
            DefinedType::Primitive(_) | DefinedType::Flags(_) | DefinedType::Enum(_) => {}
            DefinedType::Record(fs) => fs.iter().for_each(|(_, t)| self.free_val(*t, set)),
            DefinedType::Tuple(ts) => ts.iter().for_each(|t| self.free_val(*t, set)),
            DefinedType::Variant(cs) => cs
                .iter()
                .filter_map(|c| c.1)
                .for_each(|t| self.free_val(t, set)),
            DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
                self.free_val(*t, set)
            }
            DefinedType::Map(k, v) => {
                self.free_val(*k, set);
                self.free_val(*v, set);
            }
            DefinedType::Result { ok, err } => ok
                .iter()
                .chain(err.iter())
                .for_each(|t| self.free_val(*t, set)),
            DefinedType::Own(r) | DefinedType::Borrow(r) => {
                set.insert(r.index);
            }
            DefinedType::Future(t) | DefinedType::Stream(t) => {
                t.iter().for_each(|t| self.free_val(*t, set))
            }
        }
    }

    fn free_func(&self, id: TypeId, set: &mut BTreeSet<u32>) {
        let f = self.func(id);
        for t in f.params.iter().map(|p| p.1).chain(f.result) {
            self.free_val(t, set);
        }
    }

    fn free_instance(&self, id: TypeId, set: &mut BTreeSet<u32>) {
        let i = self.instance(id);
        for item in i.exports.values() {
            self.free_entity(&item.ty, set);
        }
        for r in &i.defined_resources {
            set.remove(r);
        }
    }

    fn free_component(&self, id: TypeId, set: &mut BTreeSet<u32>) {
        let c = self.component(id);
        for item in c.imports.values().chain(c.exports.values()) {
            self.free_entity(&item.ty, set);
        }
        for (r, _) in c.imported_resources.iter().chain(&c.defined_resources) {
            set.remove(r);
        }
    }

    pub fn free_entity(&self, t: &EntityType, set: &mut BTreeSet<u32>) {
        match t {
            EntityType::Module(_) => {}
            EntityType::Func(id) => self.free_func(*id, set),
            EntityType::Instance(id) => self.free_instance(*id, set),
            EntityType::Component(id) => self.free_component(*id, set),
            EntityType::Type { created, .. } => self.free_any(*created, set),
            EntityType::Value(v) => self.free_val(*v, set),
        }
    }

    /// Where each of `resources` is exported as a type in `exports` (directly or through
    /// instances): the first path found for each.
    pub fn explicit_resource_paths(
        &self,
        exports: &NameMap<Item>,
        resources: impl IntoIterator<Item = u32>,
    ) -> BTreeMap<u32, Vec<usize>> {
        let mut remaining: BTreeSet<u32> = resources.into_iter().collect();
        let mut paths = BTreeMap::new();
        let mut visited = BTreeSet::new();
        self.search_resources(
            exports,
            &mut Vec::new(),
            &mut visited,
            &mut remaining,
            &mut paths,
        );
        paths
    }

    fn search_resources(
        &self,
        exports: &NameMap<Item>,
        path: &mut Vec<usize>,
        visited: &mut BTreeSet<TypeId>,
        remaining: &mut BTreeSet<u32>,
        paths: &mut BTreeMap<u32, Vec<usize>>,
    ) {
        for (i, item) in exports.values().enumerate() {
            if remaining.is_empty() {
                return;
            }
            path.push(i);
            match item.ty {
                EntityType::Type {
                    created: AnyTypeId::Resource(r),
                    ..
                } if remaining.remove(&r.index) => {
                    paths.insert(r.index, path.clone());
                }
                EntityType::Instance(id) if visited.insert(id) => {
                    let exports = &self.instance(id).exports;
                    self.search_resources(exports, path, visited, remaining, paths);
                }
                _ => {}
            }
            path.pop();
        }
    }

    fn remap_cached(&self, id: AnyTypeId, map: &Remapping) -> Option<(AnyTypeId, bool)> {
        let new = map.types.get(&id)?;
        Some((*new, *new != id))
    }

    fn record(&mut self, map: &mut Remapping, old: AnyTypeId, new: AnyTypeId) -> bool {
        map.types.insert(old, new);
        old != new
    }

    pub fn remap_any(&mut self, id: &mut AnyTypeId, map: &mut Remapping) -> bool {
        match id {
            AnyTypeId::Resource(r) => self.remap_resource(r, map),
            AnyTypeId::Defined(d) => self.remap_defined(d, map),
            AnyTypeId::Func(f) => self.remap_func(f, map),
            AnyTypeId::Instance(i) => self.remap_instance(i, map),
            AnyTypeId::Component(c) => self.remap_component(c, map),
        }
    }

    fn remap_resource(&mut self, id: &mut TypeId, map: &Remapping) -> bool {
        if let Some((new, changed)) = self.remap_cached(AnyTypeId::Resource(*id), map) {
            if let AnyTypeId::Resource(n) = new {
                *id = n;
            }
            return changed;
        }
        match map.resources.get(&id.index) {
            Some(new) => {
                id.index = *new;
                true
            }
            None => false,
        }
    }

    pub fn remap_val(&mut self, t: &mut ValType, map: &mut Remapping) -> bool {
        match t {
            ValType::Primitive(_) => false,
            ValType::Type(id) => self.remap_defined(id, map),
        }
    }

    fn remap_defined(&mut self, id: &mut TypeId, map: &mut Remapping) -> bool {
        if let Some((new, changed)) = self.remap_cached(AnyTypeId::Defined(*id), map) {
            if let AnyTypeId::Defined(n) = new {
                *id = n;
            }
            return changed;
        }
        let mut ty = self.defined(*id).ty.clone();
        let mut changed = false;
        match &mut ty {
            DefinedType::Primitive(_) | DefinedType::Flags(_) | DefinedType::Enum(_) => {}
            DefinedType::Record(fs) => {
                for (_, t) in fs.iter_mut() {
                    changed |= self.remap_val(t, map);
                }
            }
            DefinedType::Tuple(ts) => {
                for t in ts.iter_mut() {
                    changed |= self.remap_val(t, map);
                }
            }
            DefinedType::Variant(cs) => {
                for (_, t) in cs.iter_mut() {
                    if let Some(t) = t {
                        changed |= self.remap_val(t, map);
                    }
                }
            }
            DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
                changed |= self.remap_val(t, map)
            }
            DefinedType::Map(k, v) => {
                changed |= self.remap_val(k, map);
                changed |= self.remap_val(v, map);
            }
            DefinedType::Result { ok, err } => {
                if let Some(t) = ok {
                    changed |= self.remap_val(t, map);
                }
                if let Some(t) = err {
                    changed |= self.remap_val(t, map);
                }
            }
            DefinedType::Own(r) | DefinedType::Borrow(r) => changed |= self.remap_resource(r, map),
            DefinedType::Future(t) | DefinedType::Stream(t) => {
                if let Some(t) = t {
                    changed |= self.remap_val(t, map);
                }
            }
        }
        let old = *id;
        if changed {
            let mut e = self.defined(old).clone();
            e.ty = ty;
            *id = self.push_defined(e);
        }
        self.record(map, AnyTypeId::Defined(old), AnyTypeId::Defined(*id))
    }

    fn remap_func(&mut self, id: &mut TypeId, map: &mut Remapping) -> bool {
        if let Some((new, changed)) = self.remap_cached(AnyTypeId::Func(*id), map) {
            if let AnyTypeId::Func(n) = new {
                *id = n;
            }
            return changed;
        }
        let mut f = self.func(*id).clone();
        let mut changed = false;
        for (_, t) in f.params.iter_mut() {
            changed |= self.remap_val(t, map);
        }
        if let Some(t) = &mut f.result {
            changed |= self.remap_val(t, map);
        }
        let old = *id;
        if changed {
            *id = self.push_func(f);
        }
        self.record(map, AnyTypeId::Func(old), AnyTypeId::Func(*id))
    }

    fn remap_instance(&mut self, id: &mut TypeId, map: &mut Remapping) -> bool {
        if let Some((new, changed)) = self.remap_cached(AnyTypeId::Instance(*id), map) {
            if let AnyTypeId::Instance(n) = new {
                *id = n;
            }
            return changed;
        }
        let mut t = self.instance(*id).clone();
        let mut changed = false;
        for item in t.exports.values_mut() {
            changed |= self.remap_entity(&mut item.ty, map);
        }
        for r in t.defined_resources.iter_mut() {
            if let Some(new) = map.resources.get(r) {
                *r = *new;
                changed = true;
            }
        }
        let old = *id;
        if changed {
            *id = self.push_instance(t);
        }
        self.record(map, AnyTypeId::Instance(old), AnyTypeId::Instance(*id))
    }

    fn remap_component(&mut self, id: &mut TypeId, map: &mut Remapping) -> bool {
        if let Some((new, changed)) = self.remap_cached(AnyTypeId::Component(*id), map) {
            if let AnyTypeId::Component(n) = new {
                *id = n;
            }
            return changed;
        }
        let mut t = self.component(*id).clone();
        let mut changed = false;
        for item in t.imports.values_mut().chain(t.exports.values_mut()) {
            changed |= self.remap_entity(&mut item.ty, map);
        }
        for (r, _) in t
            .imported_resources
            .iter_mut()
            .chain(t.defined_resources.iter_mut())
        {
            if let Some(new) = map.resources.get(r) {
                *r = *new;
                changed = true;
            }
        }
        let old = *id;
        if changed {
            *id = self.push_component(t);
        }
        self.record(map, AnyTypeId::Component(old), AnyTypeId::Component(*id))
    }

    pub fn remap_entity(&mut self, t: &mut EntityType, map: &mut Remapping) -> bool {
        match t {
            EntityType::Module(_) => false,
            EntityType::Func(id) => self.remap_func(id, map),
            EntityType::Instance(id) => self.remap_instance(id, map),
            EntityType::Component(id) => self.remap_component(id, map),
            EntityType::Type {
                referenced,
                created,
            } => {
                let same = *referenced == *created;
                let mut changed = self.remap_any(referenced, map);
                if same {
                    *created = *referenced;
                } else {
                    changed |= self.remap_any(created, map);
                }
                changed
            }
            EntityType::Value(v) => self.remap_val(v, map),
        }
    }

    // ---- subtyping ----

    pub fn entity_sub(&mut self, a: &EntityType, b: &EntityType, offset: usize) -> Result<()> {
        use EntityType as E;
        match (a, b) {
            (E::Module(a), E::Module(b)) => self.module_sub(*a, *b, offset),
            (E::Func(a), E::Func(b)) => self.func_sub(*a, *b, offset),
            (E::Value(a), E::Value(b)) => self.val_sub(*a, *b, offset),
            (E::Type { referenced: a, .. }, E::Type { referenced: b, .. }) => {
                self.any_sub(*a, *b, offset)
            }
            (E::Instance(a), E::Instance(b)) => self.instance_sub(*a, *b, offset),
            (E::Component(a), E::Component(b)) => self.component_sub(*a, *b, offset),
            (a, b) => bail!(offset, "expected {}, found {}", b.desc(), a.desc()),
        }
    }

    pub fn any_sub(&mut self, a: AnyTypeId, b: AnyTypeId, offset: usize) -> Result<()> {
        use AnyTypeId as A;
        match (a, b) {
            (A::Resource(a), A::Resource(b)) => {
                if a.index != b.index {
                    bail!(offset, "resource types are not the same");
                }
                Ok(())
            }
            (A::Defined(a), A::Defined(b)) => self.defined_sub(a, b, offset),
            (A::Func(a), A::Func(b)) => self.func_sub(a, b, offset),
            (A::Instance(a), A::Instance(b)) => self.instance_sub(a, b, offset),
            (A::Component(a), A::Component(b)) => self.component_sub(a, b, offset),
            (a, b) => bail!(offset, "expected {}, found {}", b.desc(), a.desc()),
        }
    }

    pub fn func_sub(&self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        let (a, b) = (self.func(a), self.func(b));
        if a.is_async != b.is_async {
            bail!(offset, "type mismatch: sync and async functions");
        }
        if a.params.len() != b.params.len() {
            bail!(
                offset,
                "expected {} parameters, found {}",
                b.params.len(),
                a.params.len()
            );
        }
        for ((an, at), (bn, bt)) in a.params.iter().zip(&b.params) {
            if an != bn {
                bail!(offset, "expected parameter named `{bn}`, found `{an}`");
            }
            self.val_sub(*at, *bt, offset)?;
        }
        match (a.result, b.result) {
            (Some(a), Some(b)) => self.val_sub(a, b, offset),
            (None, None) => Ok(()),
            (Some(_), None) => bail!(offset, "expected a result, found none"),
            (None, Some(_)) => bail!(offset, "expected no result, found one"),
        }
    }

    pub fn val_sub(&self, a: ValType, b: ValType, offset: usize) -> Result<()> {
        match (a, b) {
            (ValType::Primitive(a), ValType::Primitive(b)) => prim_sub(a, b, offset),
            (ValType::Type(a), ValType::Type(b)) => self.defined_sub(a, b, offset),
            (ValType::Primitive(a), ValType::Type(b)) => match &self.defined(b).ty {
                DefinedType::Primitive(b) => prim_sub(a, *b, offset),
                b => bail!(offset, "expected {}, found {}", b.desc(), a.name()),
            },
            (ValType::Type(a), ValType::Primitive(b)) => match &self.defined(a).ty {
                DefinedType::Primitive(a) => prim_sub(*a, b, offset),
                a => bail!(offset, "expected {}, found {}", b.name(), a.desc()),
            },
        }
    }

    fn opt_sub(&self, a: Option<ValType>, b: Option<ValType>, offset: usize) -> Result<()> {
        match (a, b) {
            (None, None) => Ok(()),
            (Some(a), Some(b)) => self.val_sub(a, b, offset),
            _ => bail!(
                offset,
                "type mismatch: a payload is present in only one type"
            ),
        }
    }

    fn defined_sub(&self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        use DefinedType as D;
        match (&self.defined(a).ty, &self.defined(b).ty) {
            (D::Primitive(a), D::Primitive(b)) => prim_sub(*a, *b, offset),
            (D::Record(a), D::Record(b)) => {
                if a.len() != b.len() {
                    bail!(offset, "expected {} fields, found {}", b.len(), a.len());
                }
                for ((an, at), (bn, bt)) in a.iter().zip(b) {
                    if an != bn {
                        bail!(offset, "expected field name `{bn}`, found `{an}`");
                    }
                    self.val_sub(*at, *bt, offset)?;
                }
                Ok(())
            }
            (D::Variant(a), D::Variant(b)) => {
                if a.len() != b.len() {
                    bail!(offset, "expected {} cases, found {}", b.len(), a.len());
                }
                for ((an, at), (bn, bt)) in a.iter().zip(b) {
                    if an != bn {
                        bail!(offset, "expected case named `{bn}`, found `{an}`");
                    }
                    self.opt_sub(*at, *bt, offset)?;
                }
                Ok(())
            }
            (D::List(a), D::List(b)) | (D::Option(a), D::Option(b)) => self.val_sub(*a, *b, offset),
            (D::Map(ak, av), D::Map(bk, bv)) => {
                self.val_sub(*ak, *bk, offset)?;
                self.val_sub(*av, *bv, offset)
            }
            (D::FixedLengthList(a, an), D::FixedLengthList(b, bn)) => {
                if an != bn {
                    bail!(offset, "expected fixed-length {bn}, found size {an}");
                }
                self.val_sub(*a, *b, offset)
            }
            (D::Tuple(a), D::Tuple(b)) => {
                if a.len() != b.len() {
                    bail!(offset, "expected {} types, found {}", b.len(), a.len());
                }
                for (a, b) in a.iter().zip(b) {
                    self.val_sub(*a, *b, offset)?;
                }
                Ok(())
            }
            (D::Flags(a), D::Flags(b)) | (D::Enum(a), D::Enum(b)) => {
                if a != b {
                    bail!(offset, "mismatch in flags or enum elements");
                }
                Ok(())
            }
            (D::Result { ok: ao, err: ae }, D::Result { ok: bo, err: be }) => {
                self.opt_sub(*ao, *bo, offset)?;
                self.opt_sub(*ae, *be, offset)
            }
            (D::Own(a), D::Own(b)) | (D::Borrow(a), D::Borrow(b)) => {
                if a.index != b.index {
                    bail!(offset, "resource types are not the same");
                }
                Ok(())
            }
            (D::Future(a), D::Future(b)) | (D::Stream(a), D::Stream(b)) => {
                self.opt_sub(*a, *b, offset)
            }
            (a, b) => bail!(offset, "expected {}, found {}", b.desc(), a.desc()),
        }
    }

    pub fn instance_sub(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        let mut pairs = Vec::new();
        {
            let (ai, bi) = (self.instance(a), self.instance(b));
            for (name, bt) in bi.exports.iter() {
                match ai.exports.get(name) {
                    Some(at) => pairs.push((at.ty, bt.ty)),
                    None => bail!(offset, "missing expected export `{name}`"),
                }
            }
        }
        for (at, bt) in pairs {
            self.entity_sub(&at, &bt, offset)?;
        }
        Ok(())
    }

    pub fn component_sub(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        let b_imports: NameMap<EntityType> = {
            let mut m = NameMap::default();
            for (n, i) in self.component(b).imports.iter() {
                m.insert(String::from(n), i.ty);
            }
            m
        };
        let mut mapping = self.open_instance_type(&b_imports, a, true, offset)?;
        mapping.types.clear();
        let mut a_exports: NameMap<EntityType> = NameMap::default();
        let items: Vec<(String, EntityType)> = self
            .component(a)
            .exports
            .iter()
            .map(|(n, i)| (String::from(n), i.ty))
            .collect();
        for (n, mut t) in items {
            self.remap_entity(&mut t, &mut mapping);
            a_exports.insert(n, t);
        }
        self.open_instance_type(&a_exports, b, false, offset)?;
        Ok(())
    }

    /// Checks that the items `a` satisfy the imports (`imports`) or the exports of component
    /// type `b`, and returns the substitution of `b`'s imported (or defined) resources by
    /// those of `a`, with the renamings of `b`'s types to `a`'s.
    pub fn open_instance_type(
        &mut self,
        a: &NameMap<EntityType>,
        b: TypeId,
        imports: bool,
        offset: usize,
    ) -> Result<Remapping> {
        let ct = self.component(b).clone();
        let (entities, resources) = if imports {
            (&ct.imports, &ct.imported_resources)
        } else {
            (&ct.exports, &ct.defined_resources)
        };
        let mut mapping = Remapping::default();
        'outer: for (resource, path) in resources {
            let Some((name, item)) = entities.get_index(path[0]) else {
                continue;
            };
            let mut ty = item.ty;
            let mut arg = a.get(name).copied();
            for i in path.iter().skip(1).copied() {
                let EntityType::Instance(id) = ty else {
                    continue 'outer;
                };
                let Some((name, next)) = self.instance(id).exports.get_index(i) else {
                    continue 'outer;
                };
                let name = String::from(name);
                ty = next.ty;
                arg = match arg {
                    Some(EntityType::Instance(id)) => {
                        self.instance(id).exports.get(&name).map(|t| t.ty)
                    }
                    _ => continue 'outer,
                };
            }
            if let Some(EntityType::Type {
                created: AnyTypeId::Resource(r),
                ..
            }) = arg
            {
                mapping.resources.insert(*resource, r.index);
            }
        }
        let mut pairs = Vec::new();
        for (name, expected) in entities.iter() {
            match a.get(name) {
                Some(arg) => pairs.push((*arg, expected.ty)),
                None => bail!(
                    offset,
                    "missing {} named `{name}`",
                    if imports { "import" } else { "export" }
                ),
            }
        }
        let mut type_map = BTreeMap::new();
        for (actual, expected) in pairs {
            let mut expected = expected;
            self.remap_entity(&mut expected, &mut mapping);
            mapping.types.clear();
            self.entity_sub(&actual, &expected, offset)?;
            self.register_renamings(actual, expected, &mut type_map);
        }
        mapping.types = type_map;
        Ok(mapping)
    }

    fn register_renamings(
        &self,
        actual: EntityType,
        expected: EntityType,
        map: &mut BTreeMap<AnyTypeId, AnyTypeId>,
    ) {
        match (expected, actual) {
            (EntityType::Type { created: e, .. }, EntityType::Type { created: a, .. }) => {
                map.insert(e, a);
            }
            (EntityType::Instance(e), EntityType::Instance(a)) => {
                let pairs: Vec<(EntityType, EntityType)> = self
                    .instance(e)
                    .exports
                    .iter()
                    .filter_map(|(name, et)| {
                        self.instance(a).exports.get(name).map(|at| (at.ty, et.ty))
                    })
                    .collect();
                for (a, e) in pairs {
                    self.register_renamings(a, e, map);
                }
            }
            _ => {}
        }
    }

    pub fn module_sub(&self, a: u32, b: u32, offset: usize) -> Result<()> {
        let (am, bm) = (&self.modules[a as usize], &self.modules[b as usize]);
        for (k, at) in &am.imports {
            match bm.imports.iter().find(|(bk, _)| bk == k) {
                Some((_, bt)) => self.core_entity_sub(bt, at, offset)?,
                None => bail!(offset, "missing expected import `{}::{}`", k.0, k.1),
            }
        }
        for (k, bt) in bm.exports.iter() {
            match am.exports.get(k) {
                Some(at) => self.core_entity_sub(at, bt, offset)?,
                None => bail!(offset, "missing expected export `{k}`"),
            }
        }
        Ok(())
    }

    fn core_func_sub(&self, a: u32, b: u32, offset: usize) -> Result<()> {
        if self.core.is_sub_idx(a, b) {
            Ok(())
        } else {
            bail!(offset, "type mismatch: core function types differ")
        }
    }

    /// Core extern type matching (`a` matches `b`).
    pub fn core_entity_sub(&self, a: &CoreEntity, b: &CoreEntity, offset: usize) -> Result<()> {
        use CoreEntity as C;
        match (a, b) {
            (C::Func(a), C::Func(b)) | (C::FuncExact(a), C::Func(b)) => {
                self.core_func_sub(*a, *b, offset)
            }
            (C::FuncExact(a), C::FuncExact(b)) | (C::Tag(a), C::Tag(b)) => {
                self.core_func_sub(*b, *a, offset)?;
                self.core_func_sub(*a, *b, offset)
            }
            (C::Table(a), C::Table(b)) => table_sub(&self.core, a, b, offset),
            (C::Memory(a), C::Memory(b)) => memory_sub(a, b, offset),
            (C::Global(a), C::Global(b)) => {
                if a.mutable != b.mutable {
                    bail!(offset, "global types differ in mutability");
                }
                if a.shared != b.shared {
                    bail!(offset, "mismatch in the shared flag for globals");
                }
                let ok = if a.mutable {
                    self.core.is_sub(a.content, b.content) && self.core.is_sub(b.content, a.content)
                } else {
                    self.core.is_sub(a.content, b.content)
                };
                if !ok {
                    bail!(offset, "type mismatch: global content types differ");
                }
                Ok(())
            }
            (a, b) => bail!(offset, "expected {}, found {}", b.desc(), a.desc()),
        }
    }
}

fn prim_sub(a: PrimitiveValType, b: PrimitiveValType, offset: usize) -> Result<()> {
    if a != b {
        bail!(
            offset,
            "expected primitive `{}` found primitive `{}`",
            b.name(),
            a.name()
        );
    }
    Ok(())
}

fn join(a: CoreValType, b: CoreValType) -> CoreValType {
    use CoreValType as C;
    match (a, b) {
        (C::I32, C::I32) | (C::I64, C::I64) | (C::F32, C::F32) | (C::F64, C::F64) => a,
        (C::I32, C::F32) | (C::F32, C::I32) => C::I32,
        _ => C::I64,
    }
}

fn limits_match(ai: u64, amax: Option<u64>, bi: u64, bmax: Option<u64>) -> bool {
    ai >= bi
        && match bmax {
            Some(b) => amax.is_some_and(|a| a <= b),
            None => true,
        }
}

pub fn table_sub(core: &TypeSpace, a: &TableType, b: &TableType, offset: usize) -> Result<()> {
    let same_elem = a.element.nullable == b.element.nullable
        && core.eq_val(CoreValType::Ref(a.element), CoreValType::Ref(b.element));
    if !same_elem {
        bail!(offset, "type mismatch: table element types differ");
    }
    if a.shared != b.shared {
        bail!(offset, "mismatch in the shared flag for tables");
    }
    if a.table64 != b.table64 {
        bail!(offset, "mismatch in index type used for tables");
    }
    if !limits_match(
        a.limits.initial,
        a.limits.maximum,
        b.limits.initial,
        b.limits.maximum,
    ) {
        bail!(offset, "mismatch in table limits");
    }
    Ok(())
}

pub fn memory_sub(a: &MemoryType, b: &MemoryType, offset: usize) -> Result<()> {
    if a.shared != b.shared {
        bail!(offset, "mismatch in the shared flag for memories");
    }
    if a.memory64 != b.memory64 {
        bail!(offset, "mismatch in index type used for memories");
    }
    if a.page_size_log2() != b.page_size_log2() {
        bail!(offset, "mismatch in page size for memories");
    }
    if !limits_match(
        a.limits.initial,
        a.limits.maximum,
        b.limits.initial,
        b.limits.maximum,
    ) {
        bail!(offset, "mismatch in memory limits");
    }
    Ok(())
}
