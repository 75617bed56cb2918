//! Validation of component binaries (the Component Model's type checking), producing the
//! typed description later stages use: [`ComponentInfo`].
//!
//! [`validate_component`] takes a [`Component`] decoded by `spindle_decode::component` and
//! walks its sections in binary order, building the index spaces of each component (nested
//! ones included, and the component and instance types declared on the way), resolving every
//! defined type into the [`Types`] arena and checking each item as it is added: index
//! bounds, sorts and type kinds, canonical ABI signatures and options, instantiation
//! arguments (subtyping, resources substituted), aliases, import and export names, resource
//! rules, the start function and value size limits. Nested core modules are validated by
//! the core validator with [`Features::all`].
//!
//! The rules are wasmparser 0.263's (its `Validator` with every feature enabled is the
//! oracle of the differential tests): where the Component Model specification and
//! wasmparser differ (function and value subtyping is type equality there, for instance),
//! wasmparser is followed.

mod names;
mod state;
mod types;

pub use names::{
    check_interface_version, is_kebab, parse as parse_name, ExternName, NameKey, PlainName,
};
pub use state::{CoreTypeEntry, Kind};
pub use types::{
    Abi, AnyTypeId, ComponentType, CoreEntity, CoreInstanceType, DefinedEntry, DefinedType,
    EntityType, FuncType, InstanceType, Item, ModuleType, NameMap, TypeId, TypeInfo, Types,
    ValType, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, MAX_VALUE_BYTE_SIZE,
};

use alloc::vec::Vec;

use spindle_decode::component::{Component, SectionContents};
use spindle_decode::Module;

use crate::error::Result;
use crate::Features;
use state::{
    check_max, State, MAX_COMPONENTS, MAX_FUNCTIONS, MAX_INSTANCES, MAX_MODULES, MAX_TYPES,
};

/// Modules and components in one binary, nested ones included.
pub const MAX_MODULES_AND_COMPONENTS: usize = 1_000;

/// The index spaces of a validated component: the type of each entry (ids into
/// [`ComponentInfo::types`]).
#[derive(Clone, Debug, Default)]
pub struct IndexSpaces {
    /// Core types: core type indices of the global core type space, or module types.
    pub core_types: Vec<CoreTypeEntry>,
    /// Core functions: their core type (global core type space index).
    pub core_funcs: Vec<u32>,
    pub core_tables: Vec<spindle_decode::TableType>,
    pub core_memories: Vec<spindle_decode::MemoryType>,
    pub core_globals: Vec<spindle_decode::GlobalType>,
    /// Core tags: their function type (global core type space index).
    pub core_tags: Vec<u32>,
    /// Core modules: indices of [`Types::modules`].
    pub core_modules: Vec<u32>,
    /// Core instances: indices of [`Types::core_instances`].
    pub core_instances: Vec<u32>,
    pub types: Vec<AnyTypeId>,
    /// Component functions: function types.
    pub funcs: Vec<TypeId>,
    pub values: Vec<ValType>,
    /// Component instances: instance types.
    pub instances: Vec<TypeId>,
    /// Components: component types.
    pub components: Vec<TypeId>,
}

/// What validation of a component produces.
pub struct ComponentInfo {
    /// Every type, those of nested components included.
    pub types: Types,
    /// The component's type: imports and exports by name, with the resources it imports
    /// and defines.
    pub ty: ComponentType,
    /// The top-level component's index spaces.
    pub spaces: IndexSpaces,
    /// Each resource the top-level component defines with `(type (resource ...))`: its
    /// number, representation and destructor (a core function index).
    pub resources: Vec<ResourceDef>,
}

/// A resource type defined in the component itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceDef {
    pub resource: u32,
    pub rep: spindle_decode::ValType,
    pub destructor: Option<u32>,
}

/// Decodes and validates a component binary.
pub fn validate_component_bytes(bytes: &[u8]) -> Result<ComponentInfo> {
    let c = Component::parse(bytes)?;
    validate_component(&c)
}

/// Validates a decoded component.
pub fn validate_component(c: &Component<'_>) -> Result<ComponentInfo> {
    validate(c, true)
}

/// [`validate_component`] without the function bodies of nested core modules, for a caller
/// that validates each module's bodies itself when it compiles them (Spindle's
/// translator validates as it translates): everything else, module types included, is
/// checked.
pub fn validate_component_except_bodies(c: &Component<'_>) -> Result<ComponentInfo> {
    validate(c, false)
}

fn validate(c: &Component<'_>, bodies: bool) -> Result<ComponentInfo> {
    let mut v = Validator {
        types: Types::default(),
        stack: Vec::new(),
        modules_and_components: 0,
        resources: Vec::new(),
        bodies,
    };
    let (ty, spaces) = v.component(c, true)?;
    Ok(ComponentInfo {
        types: v.types,
        ty,
        spaces,
        resources: v.resources,
    })
}

struct Validator {
    types: Types,
    stack: Vec<State>,
    modules_and_components: usize,
    resources: Vec<ResourceDef>,
    /// Whether nested core modules' function bodies are validated.
    bodies: bool,
}

impl Validator {
    fn count_unit(&mut self, offset: usize) -> Result<()> {
        check_max(
            self.modules_and_components,
            1,
            MAX_MODULES_AND_COMPONENTS,
            "modules and components",
            offset,
        )?;
        self.modules_and_components += 1;
        Ok(())
    }

    fn component(&mut self, c: &Component<'_>, top: bool) -> Result<(ComponentType, IndexSpaces)> {
        self.count_unit(c.offset)?;
        self.stack.push(State::new(Kind::Component));
        let r = self.sections(c, top);
        let mut st = self.stack.pop().unwrap();
        r?;
        let end = c.offset + c.bytes.len();
        st.check_values_used(end)?;
        let ty = st.finish(&mut self.types, end)?;
        let spaces = if top {
            IndexSpaces {
                core_types: st.core_types,
                core_funcs: st.core_funcs,
                core_tables: st.core_tables,
                core_memories: st.core_memories,
                core_globals: st.core_globals,
                core_tags: st.core_tags,
                core_modules: st.core_modules,
                core_instances: st.core_instances,
                types: st.types,
                funcs: st.funcs,
                values: st.values.into_iter().map(|v| v.0).collect(),
                instances: st.instances,
                components: st.components,
            }
        } else {
            IndexSpaces::default()
        };
        Ok((ty, spaces))
    }

    fn cur(&mut self) -> &mut State {
        self.stack.last_mut().unwrap()
    }

    fn sections(&mut self, c: &Component<'_>, top: bool) -> Result<()> {
        for s in &c.sections {
            let at = s.offset;
            match &s.contents {
                SectionContents::Custom { .. } => {}
                SectionContents::CoreModule(m) => {
                    check_max(self.cur().core_modules.len(), 1, MAX_MODULES, "modules", at)?;
                    self.count_unit(m.offset)?;
                    let module = m.parse()?;
                    let mt = self.core_module(&module, m.offset)?;
                    self.types.modules.push(mt);
                    let id = self.types.modules.len() as u32 - 1;
                    self.cur().core_modules.push(id);
                }
                SectionContents::CoreInstances(items) => {
                    check_max(
                        self.cur().instance_count(),
                        items.len(),
                        MAX_INSTANCES,
                        "instances",
                        at,
                    )?;
                    for i in items {
                        let types = &mut self.types;
                        self.stack
                            .last_mut()
                            .unwrap()
                            .add_core_instance(types, &i.item, i.offset)?;
                    }
                }
                SectionContents::CoreTypes(items) => {
                    check_max(self.cur().type_count(), items.len(), MAX_TYPES, "types", at)?;
                    for t in items {
                        State::add_core_type(&mut self.stack, &mut self.types, &t.item, t.offset)?;
                    }
                }
                SectionContents::Component(inner) => {
                    check_max(
                        self.cur().components.len(),
                        1,
                        MAX_COMPONENTS,
                        "components",
                        at,
                    )?;
                    let (ty, _) = self.component(inner, false)?;
                    let id = self.types.push_component(ty);
                    self.cur().components.push(id);
                }
                SectionContents::Instances(items) => {
                    check_max(
                        self.cur().instance_count(),
                        items.len(),
                        MAX_INSTANCES,
                        "instances",
                        at,
                    )?;
                    for i in items {
                        let types = &mut self.types;
                        self.stack
                            .last_mut()
                            .unwrap()
                            .add_instance(types, &i.item, i.offset)?;
                    }
                }
                SectionContents::Aliases(items) => {
                    for a in items {
                        State::add_alias(&mut self.stack, &mut self.types, &a.item, a.offset)?;
                    }
                }
                SectionContents::Types(items) => {
                    check_max(self.cur().type_count(), items.len(), MAX_TYPES, "types", at)?;
                    for t in items {
                        State::add_type(
                            &mut self.stack,
                            &mut self.types,
                            &t.item,
                            t.offset,
                            false,
                        )?;
                        if top && self.stack.len() == 1 {
                            if let spindle_decode::component::ComponentType::Resource {
                                representation,
                                destructor,
                            } = &t.item
                            {
                                let st = self.stack.last().unwrap();
                                if let Some(AnyTypeId::Resource(r)) = st.types.last() {
                                    self.resources.push(ResourceDef {
                                        resource: r.index,
                                        rep: *representation,
                                        destructor: *destructor,
                                    });
                                }
                            }
                        }
                    }
                }
                SectionContents::Canonicals(items) => {
                    check_max(
                        self.cur().function_count(),
                        items.len(),
                        MAX_FUNCTIONS,
                        "functions",
                        at,
                    )?;
                    for f in items {
                        let types = &mut self.types;
                        self.stack
                            .last_mut()
                            .unwrap()
                            .canonical(types, &f.item, f.offset)?;
                    }
                }
                SectionContents::Start(st) => {
                    let types = &self.types;
                    let s = &st.item;
                    self.stack
                        .last_mut()
                        .unwrap()
                        .add_start(types, s.func, &s.args, s.results, st.offset)?;
                }
                SectionContents::Imports(items) => {
                    for i in items {
                        let types = &mut self.types;
                        let cur = self.stack.last_mut().unwrap();
                        let ty = cur.type_ref(types, &i.item.ty, i.offset)?;
                        cur.add_import(types, &i.item.name, ty, i.offset)?;
                    }
                }
                SectionContents::Exports(items) => {
                    check_max(
                        self.cur().exports.len(),
                        items.len(),
                        state::MAX_EXPORTS,
                        "exports",
                        at,
                    )?;
                    for e in items {
                        let types = &mut self.types;
                        let cur = self.stack.last_mut().unwrap();
                        let ex = &e.item;
                        let ty =
                            cur.export_entity(types, ex.sort, ex.index, ex.ty.as_ref(), e.offset)?;
                        cur.add_export(types, &ex.name, ty, e.offset, false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Validates a nested core module (every body included) and gives its module type.
    fn core_module(&mut self, m: &Module<'_>, offset: usize) -> Result<ModuleType> {
        let features = Features::all();
        let ctx = crate::check_module(m, &features).map_err(|e| e.shifted(offset))?;
        let imported = ctx.funcs.len() - m.functions.len();
        let mut fv = crate::FuncValidator::new(&ctx);
        let bodies = if self.bodies { &m.code[..] } else { &[] };
        for (i, body) in bodies.iter().enumerate() {
            let index = (imported + i) as u32;
            let ti = ctx.funcs[index as usize];
            fv.validate_body(ti, body.reader)
                .map_err(|e| e.in_function(index).shifted(offset))?;
        }
        state::module_type_of(&mut self.types, m, &ctx, offset)
    }
}
