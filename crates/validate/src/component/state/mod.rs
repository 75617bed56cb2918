//! The index spaces of one component (or of a component or instance type being declared),
//! and the rules applied as each item is added to them.
//!
//! This module holds [`State`] itself: its index spaces, the limits on them and the index
//! lookups every rule uses. The rules are in submodules, one concern each, all adding
//! methods to `State`:
//!
//! - `typedefs`: defined value types, function types, the type section (component and
//!   instance types declared in it) and type references;
//! - `core_types`: core type sections, core module types and the types of nested core
//!   modules, interned into the global core type space;
//! - `externs`: imports and exports (entities entering the index spaces), the named-type
//!   rules and extern names;
//! - `instances`: aliases and instantiation (core and component, argument matching);
//! - `canon`: canonical functions (`lift`, `lower`, resource and async built-ins) and their
//!   options;
//! - `finish`: the start function and the checks completing a component.

mod canon;
mod core_types;
mod externs;
mod finish;
mod instances;
mod typedefs;

pub use core_types::module_type_of;

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use spindle_decode::{GlobalType, MemoryType, TableType, ValType as CoreValType};

use super::names::NameKey;
use super::types::*;
use crate::error::{bail, Result};
use externs::ResourceNames;

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
}
