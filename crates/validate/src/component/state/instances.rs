//! Aliases and instantiation: instance-export, core-instance-export and outer aliases; core
//! instances (module instantiation with its arguments checked against the module's imports, or
//! bundles of core exports) and component instances (component instantiation with argument
//! subtyping and resource substitution, or bundles of exports).
//!
//! Separate because these are the rules that move items between index spaces (of instances,
//! and of enclosing components) rather than define new ones.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{Alias, CoreInstance, Instance, OuterAliasKind, Sort};
use spindle_decode::ExternalKind;

use super::externs::{validate_extern, ExternKind, ResourceNames};
use super::{
    check_max, Kind, State, MAX_COMPONENTS, MAX_CORE_ITEMS, MAX_FUNCTIONS, MAX_MODULES, MAX_TYPES,
};
use crate::component::types::*;
use crate::error::{bail, Result};

impl State {
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
}
