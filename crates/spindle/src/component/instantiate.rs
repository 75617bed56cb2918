//! Instantiation: a component's sections run in order against the store, each adding to
//! the index spaces later sections refer to.

use crate::prelude::*;
use alloc::collections::BTreeMap;

use alloc::sync::Arc;

use spindle_component::HandleTable;
use spindle_decode::component::{
    Alias, CanonicalFunction, CanonicalOption, Component as Decoded, ComponentType, CoreInstance,
    Instance as DecodedInstance, OuterAliasKind, SectionContents, Sort, TypeBounds, TypeRef,
};
use spindle_decode::ExternalKind as CoreSort;

use super::concurrent::builtins::{builtin, Builtin};
use super::func::{
    has_handles, host_resource, lower, resource_builtin, CanonOptions, LiftedFunc, LowerTarget,
    ResourceBuiltin, StoreResource,
};
use super::types::{define, substitute_func, TypeDef};
use super::{
    check_host_func, components_mut, unsupported, Component, Definition, ExportItem,
    ExportedInstance, Func, HostFunc, Instance,
};
use crate::store::{AsContextMut, StoreContextMut};
use crate::{Error, Extern, Result};

/// A component function while instantiating: the host's (from the linker) or lifted.
enum FuncDef<T> {
    Host(HostFunc<T>, spindle_component::FuncType),
    Lifted(Func),
}

impl<T> Clone for FuncDef<T> {
    fn clone(&self) -> Self {
        match self {
            FuncDef::Host(f, t) => FuncDef::Host(f.clone(), t.clone()),
            FuncDef::Lifted(f) => FuncDef::Lifted(*f),
        }
    }
}

/// A component instance while instantiating: named items.
type Items<'d, T> = Vec<(String, Item<'d, T>)>;

enum Item<'d, T> {
    Func(FuncDef<T>),
    Instance(Items<'d, T>),
    Type(TypeDef),
    Component(ComponentDef<'d>),
    CoreModule(crate::Module),
}

impl<T> Clone for Item<'_, T> {
    fn clone(&self) -> Self {
        match self {
            Item::Func(f) => Item::Func(f.clone()),
            Item::Instance(i) => Item::Instance(i.clone()),
            Item::Type(t) => Item::Type(t.clone()),
            Item::Component(c) => Item::Component(c.clone()),
            Item::CoreModule(m) => Item::CoreModule(m.clone()),
        }
    }
}

/// A nested component: its sections, its core modules and components compiled, and the
/// enclosing components' items its outer aliases can reach, as they were where it was
/// defined (outer aliases are static: a component exported and instantiated elsewhere
/// still sees the items of the instantiation that defined it).
#[derive(Clone)]
struct ComponentDef<'d> {
    decoded: &'d Decoded<'d>,
    compiled: Arc<Compiled>,
    env: Arc<Vec<Level<'d>>>,
}

impl Clone for Level<'_> {
    fn clone(&self) -> Self {
        Level {
            core_modules: self.core_modules.clone(),
            types: self.types.clone(),
            components: self.components.clone(),
        }
    }
}

/// What an outer alias can reach in one enclosing component: its core modules, types and
/// components defined so far.
struct Level<'d> {
    core_modules: Vec<crate::Module>,
    types: Vec<TypeDef>,
    components: Vec<ComponentDef<'d>>,
}

/// Where a component's imports come from: the linker (the outermost component), or the
/// arguments of the instantiation that made it (a nested one).
enum Imports<'a, 'd, T> {
    Linker(&'a BTreeMap<String, Definition<T>>),
    Args(BTreeMap<&'d str, Item<'d, T>>),
}

/// A core instance: a module's instance, or one made of exports.
enum CoreInst {
    Module(crate::Instance),
    Exports(BTreeMap<String, Extern>),
}

/// The index spaces of the component being instantiated.
struct Spaces<'d, T> {
    core_modules: Vec<crate::Module>,
    core_instances: Vec<CoreInst>,
    core_funcs: Vec<crate::Func>,
    core_tables: Vec<crate::Table>,
    core_memories: Vec<crate::Memory>,
    core_globals: Vec<crate::Global>,
    core_tags: Vec<crate::Tag>,
    types: Vec<TypeDef>,
    funcs: Vec<FuncDef<T>>,
    instances: Vec<Items<'d, T>>,
    components: Vec<ComponentDef<'d>>,
    /// The value index space: the results of start functions (value imports are not
    /// supported).
    values: Vec<spindle_component::Val>,
}

fn out_of_range(what: &str, index: u32) -> Error {
    Error::msg(format!("unknown {what} {index}"))
}

fn get<'a, X>(v: &'a [X], what: &str, index: u32) -> Result<&'a X> {
    v.get(index as usize)
        .ok_or_else(|| out_of_range(what, index))
}

impl<'d, T: 'static> Spaces<'d, T> {
    fn core_export(
        &self,
        instance: u32,
        name: &str,
        s: &mut StoreContextMut<'_, T>,
    ) -> Result<Extern> {
        let found = match get(&self.core_instances, "core instance", instance)? {
            CoreInst::Module(i) => i.get_export(&mut *s, name),
            CoreInst::Exports(map) => map.get(name).cloned(),
        };
        found.ok_or_else(|| Error::msg(format!("core instance {instance} has no export `{name}`")))
    }

    fn core_item(&self, kind: CoreSort, index: u32) -> Result<Extern> {
        Ok(match kind {
            CoreSort::Func => Extern::Func(*get(&self.core_funcs, "core func", index)?),
            CoreSort::Table => Extern::Table(*get(&self.core_tables, "core table", index)?),
            CoreSort::Memory => Extern::Memory(*get(&self.core_memories, "core memory", index)?),
            CoreSort::Global => Extern::Global(*get(&self.core_globals, "core global", index)?),
            CoreSort::Tag => Extern::Tag(*get(&self.core_tags, "core tag", index)?),
        })
    }

    fn push_core(&mut self, e: Extern) -> Result<()> {
        match e {
            Extern::Func(f) => self.core_funcs.push(f),
            Extern::Table(t) => self.core_tables.push(t),
            Extern::Memory(m) => self.core_memories.push(m),
            Extern::SharedMemory(_) => return Err(unsupported("shared memories in components")),
            Extern::Global(g) => self.core_globals.push(g),
            Extern::Tag(t) => self.core_tags.push(t),
        }
        Ok(())
    }

    fn item(&self, sort: Sort, index: u32) -> Result<Item<'d, T>> {
        Ok(match sort {
            Sort::Func => Item::Func(get(&self.funcs, "function", index)?.clone()),
            Sort::Instance => Item::Instance(get(&self.instances, "instance", index)?.clone()),
            Sort::Type => Item::Type(get(&self.types, "type", index)?.clone()),
            Sort::Component => Item::Component(get(&self.components, "component", index)?.clone()),
            Sort::CoreModule => {
                Item::CoreModule(get(&self.core_modules, "core module", index)?.clone())
            }
            Sort::Value => return Err(unsupported("values")),
        })
    }

    fn push(&mut self, item: Item<'d, T>) {
        match item {
            Item::Func(f) => self.funcs.push(f),
            Item::Instance(i) => self.instances.push(i),
            Item::Type(t) => self.types.push(t),
            Item::Component(c) => self.components.push(c),
            Item::CoreModule(m) => self.core_modules.push(m),
        }
    }

    fn options(&self, options: &[CanonicalOption]) -> Result<CanonOptions> {
        let mut out = CanonOptions::default();
        for o in options {
            match *o {
                CanonicalOption::Utf8 => out.encoding = spindle_component::StringEncoding::Utf8,
                CanonicalOption::Utf16 => out.encoding = spindle_component::StringEncoding::Utf16,
                CanonicalOption::CompactUtf16 => {
                    out.encoding = spindle_component::StringEncoding::CompactUtf16
                }
                CanonicalOption::Memory(i) => {
                    out.memory = Some(*get(&self.core_memories, "core memory", i)?)
                }
                CanonicalOption::Realloc(i) => {
                    out.realloc = Some(*get(&self.core_funcs, "core func", i)?)
                }
                CanonicalOption::PostReturn(i) => {
                    out.post_return = Some(*get(&self.core_funcs, "core func", i)?)
                }
                CanonicalOption::Async => out.is_async = true,
                CanonicalOption::Callback(i) => {
                    out.callback = Some(*get(&self.core_funcs, "core func", i)?)
                }
                // The core type only names the signature validation checked.
                CanonicalOption::CoreType(_) => {}
                CanonicalOption::Gc => return Err(unsupported("the `gc` canonical option")),
            }
        }
        Ok(out)
    }

    /// The value type at type index `index` (a stream's or future's type for their
    /// built-ins).
    fn value_type(&self, index: u32) -> Result<spindle_component::Type> {
        match get(&self.types, "type", index)? {
            TypeDef::Value(t) => Ok(t.clone()),
            TypeDef::Other { what } => Err(unsupported(&format!("{what} (type {index})"))),
            _ => Err(Error::msg(format!("type {index} is not a value type"))),
        }
    }

    fn func_type(&self, index: u32) -> Result<spindle_component::FuncType> {
        match get(&self.types, "type", index)? {
            TypeDef::Func(f) => Ok(f.clone()),
            TypeDef::Value(_) | TypeDef::Instance(_) | TypeDef::Resource(_) => {
                Err(Error::msg(format!("type {index} is not a function type")))
            }
            TypeDef::Other { what } => Err(unsupported(&format!("{what} (type {index})"))),
        }
    }
}

/// The linker's definition for an import, as an item of type `ty`.
fn import<'d, T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    spaces: &Spaces<'d, T>,
    name: &str,
    ty: &TypeRef,
    def: Option<&Definition<T>>,
) -> Result<Item<'d, T>> {
    let missing = || {
        Error::msg(format!(
            "component import `{name}` is not defined in the linker"
        ))
    };
    match ty {
        TypeRef::Func(t) => match def.ok_or_else(missing)? {
            Definition::Func(f) => {
                let ty = spaces.func_type(*t)?;
                check_host_func(f, name, &ty)?;
                Ok(Item::Func(FuncDef::Host(f.clone(), ty)))
            }
            _ => Err(Error::msg(format!(
                "component import `{name}`: the linker does not define a function under this name"
            ))),
        },
        TypeRef::Instance(t) => {
            // An interface of types only (records shared by other interfaces) needs no
            // definition: there is nothing to call.
            if def.is_none() {
                if let TypeDef::Instance(exports) = get(&spaces.types, "type", *t)? {
                    if exports
                        .iter()
                        .all(|(_, ty)| !matches!(ty, TypeDef::Func(_)))
                    {
                        return Ok(Item::Instance(
                            exports
                                .iter()
                                .map(|(n, ty)| (n.clone(), Item::Type(ty.clone())))
                                .collect(),
                        ));
                    }
                }
            }
            let Definition::Instance(map) = def.ok_or_else(missing)? else {
                return Err(Error::msg(format!(
                    "component import `{name}`: the linker defines a function, the component imports an instance"
                )));
            };
            let exports = match get(&spaces.types, "type", *t)? {
                TypeDef::Instance(exports) => exports,
                TypeDef::Other { what } => return Err(unsupported(&format!("{what} (type {t})"))),
                _ => return Err(Error::msg(format!("type {t} is not an instance type"))),
            };
            // The resources the instance type declares are the linker's host resources:
            // their ids replace the abstract ones in the functions' types.
            let mut subst = Vec::new();
            for (export, ty) in exports {
                // A resource the type names by equality with one already known (another
                // import's, as `use` in WIT makes) needs no definition here.
                if let TypeDef::Resource(abstract_id) = ty {
                    if !super::types::is_abstract(*abstract_id) {
                        continue;
                    }
                    match map.get(export) {
                        Some(Definition::Resource(rt, dtor)) => {
                            subst.push((*abstract_id, host_resource(store, *rt, dtor)))
                        }
                        _ => {
                            return Err(Error::msg(format!(
                                "component import `{name}`: resource `{export}` is not defined in the linker"
                            )))
                        }
                    }
                }
            }
            // Every export the instance type declares, from the linker's definitions.
            let mut items = Vec::new();
            for (export, ty) in exports {
                let item = match ty {
                    TypeDef::Resource(id) => Item::Type(TypeDef::Resource(
                        subst.iter().find(|(a, _)| a == id).map_or(*id, |(_, r)| *r),
                    )),
                    TypeDef::Func(ft) => match map.get(export) {
                        Some(Definition::Func(f)) => {
                            let ty = substitute_func(ft, &subst)?;
                            check_host_func(f, &format!("{name}#{export}"), &ty)?;
                            Item::Func(FuncDef::Host(f.clone(), ty))
                        }
                        _ => {
                            return Err(Error::msg(format!(
                                "component import `{name}`: function `{export}` is not defined in the linker"
                            )))
                        }
                    },
                    other => Item::Type(other.clone()),
                };
                items.push((export.clone(), item));
            }
            Ok(Item::Instance(items))
        }
        TypeRef::Type(TypeBounds::Eq(t)) => Ok(Item::Type(get(&spaces.types, "type", *t)?.clone())),
        TypeRef::Type(TypeBounds::SubResource) => match def {
            Some(Definition::Resource(rt, dtor)) => Ok(Item::Type(TypeDef::Resource(
                host_resource(store, *rt, dtor),
            ))),
            Some(_) => Err(Error::msg(format!(
                "component import `{name}`: the linker does not define a resource under this name"
            ))),
            None => Err(missing()),
        },
        TypeRef::CoreModule(_) => Err(unsupported("imports of core modules")),
        TypeRef::Component(_) => Err(unsupported("imports of components")),
        TypeRef::Value(_) => Err(unsupported("value imports")),
    }
}

pub(crate) fn instantiate<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    component: &Component,
    linker: &BTreeMap<String, Definition<T>>,
) -> Result<Instance> {
    let decoded = Decoded::parse(&component.inner.bytes)
        .map_err(|e| Error::msg(format!("malformed component: {e}")))?;
    let exports = run(
        &mut store,
        &decoded,
        &component.inner.compiled,
        Imports::Linker(linker),
        &Arc::new(Vec::new()),
        None,
    )?;
    let root = export_instance(store.inner, exports)?;
    Ok(Instance {
        store: store.inner.id,
        index: root,
    })
}

/// The linker's definition for import `name`: the one of that exact name, or else one of
/// a semver-compatible version (WIT's rule, as wasmtime applies it: `a:b/c@0.2.1` is
/// satisfied by `a:b/c@0.2.3` and the reverse; versions `1.x` match each other, `0.0.x`
/// only themselves, pre-releases only themselves), the newest if several.
pub(crate) fn linker_lookup<'l, T>(
    linker: &'l BTreeMap<String, Definition<T>>,
    name: &str,
) -> Option<&'l Definition<T>> {
    if let Some(d) = linker.get(name) {
        return Some(d);
    }
    let names: Vec<&String> = linker.keys().collect();
    let i = compatible_position(names.iter().map(|n| n.as_str()), name)?;
    linker.get(names[i])
}

/// The position among `names` of the one semver-compatible with `name` (the newest if
/// several are).
pub(crate) fn compatible_position<'n>(
    names: impl Iterator<Item = &'n str>,
    name: &str,
) -> Option<usize> {
    let (base, key) = compatible_key(name)?;
    names
        .enumerate()
        .filter_map(|(i, n)| {
            let (b, k) = compatible_key(n)?;
            (b == base && k == key).then(|| (version_of(n), i))
        })
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, i)| i)
}

/// The numbers of `name`'s `@major.minor.patch`.
fn version_of(name: &str) -> Option<(u64, u64, u64)> {
    let (_, v) = name.rsplit_once('@')?;
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// `(name without version, compatibility key)` for a versioned name whose version has a
/// compatible range: `("a:b/c", "0.2")` for `a:b/c@0.2.1`, `("a:b/c", "1")` for `@1.4.0`.
fn compatible_key(name: &str) -> Option<(&str, String)> {
    let (base, v) = name.rsplit_once('@')?;
    if v.contains(['-', '+']) {
        return None;
    }
    let (major, minor, _) = version_of(name)?;
    match (major, minor) {
        (0, 0) => None,
        (0, m) => Some((base, format!("0.{m}"))),
        (m, _) => Some((base, m.to_string())),
    }
}

/// The core modules and nested components of a component, compiled, in section order.
pub(crate) struct Compiled {
    pub modules: Vec<crate::Module>,
    pub components: Vec<Arc<Compiled>>,
}

/// Compiles the core modules of `decoded` and of the components nested in it.
pub(crate) fn compile(engine: &crate::Engine, decoded: &Decoded<'_>) -> Result<Compiled> {
    let mut out = Compiled {
        modules: Vec::new(),
        components: Vec::new(),
    };
    for section in &decoded.sections {
        match &section.contents {
            SectionContents::CoreModule(m) => {
                out.modules
                    .push(crate::Module::from_binary(engine, m.bytes).map_err(|e| {
                        Error::msg(format!(
                            "core module at offset {:#x} of the component: {e}",
                            m.offset
                        ))
                    })?)
            }
            SectionContents::Component(c) => out.components.push(Arc::new(compile(engine, c)?)),
            _ => {}
        }
    }
    Ok(out)
}

/// Runs the sections of one component (the outermost, or a nested one, whose enclosing
/// components' items are `env`, innermost last); its exports.
fn run<'d, T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    decoded: &'d Decoded<'d>,
    compiled: &Arc<Compiled>,
    imports: Imports<'_, 'd, T>,
    env: &Arc<Vec<Level<'d>>>,
    parent: Option<u32>,
) -> Result<Items<'d, T>> {
    let mut store = store.as_context_mut();
    let mut spaces = Spaces::<T> {
        values: Vec::new(),
        core_modules: Vec::new(),
        core_instances: Vec::new(),
        core_funcs: Vec::new(),
        core_tables: Vec::new(),
        core_memories: Vec::new(),
        core_globals: Vec::new(),
        core_tags: Vec::new(),
        types: Vec::new(),
        funcs: Vec::new(),
        instances: Vec::new(),
        components: Vec::new(),
    };
    let (mut next_module, mut next_component) = (0, 0);
    let mut exports: Items<'d, T> = Vec::new();
    // This component instance's handle table.
    let table = {
        let c = components_mut(store.inner);
        c.tables.push(Some(Box::new(HandleTable::new())));
        c.parents.push(parent);
        (c.tables.len() - 1) as u32
    };
    for section in &decoded.sections {
        match &section.contents {
            SectionContents::Custom { .. } | SectionContents::CoreTypes(_) => {}
            SectionContents::CoreModule(_) => {
                spaces
                    .core_modules
                    .push(compiled.modules[next_module].clone());
                next_module += 1;
            }
            SectionContents::Component(c) => {
                let mut inner_env: Vec<Level<'d>> = Vec::with_capacity(env.len() + 1);
                for level in env.iter() {
                    inner_env.push(level.clone());
                }
                inner_env.push(Level {
                    core_modules: spaces.core_modules.clone(),
                    types: spaces.types.clone(),
                    components: spaces.components.clone(),
                });
                spaces.components.push(ComponentDef {
                    decoded: c,
                    compiled: compiled.components[next_component].clone(),
                    env: Arc::new(inner_env),
                });
                next_component += 1;
            }
            SectionContents::CoreInstances(list) => {
                for inst in list {
                    let made = match &inst.item {
                        CoreInstance::Instantiate { module, args } => {
                            let module = get(&spaces.core_modules, "core module", *module)?.clone();
                            let mut imports = Vec::new();
                            for i in module.imports() {
                                let arg = args.iter().find(|a| a.name == i.module()).ok_or_else(|| {
                                    Error::msg(format!(
                                        "core module import `{}::{}`: no instantiation argument `{}`",
                                        i.module(),
                                        i.name(),
                                        i.module()
                                    ))
                                })?;
                                imports.push(spaces.core_export(
                                    arg.instance,
                                    i.name(),
                                    &mut store,
                                )?);
                            }
                            CoreInst::Module(crate::Instance::new(&mut store, &module, &imports)?)
                        }
                        CoreInstance::FromExports(list) => {
                            let mut map = BTreeMap::new();
                            for e in list {
                                map.insert(e.name.to_string(), spaces.core_item(e.kind, e.index)?);
                            }
                            CoreInst::Exports(map)
                        }
                    };
                    spaces.core_instances.push(made);
                }
            }
            SectionContents::Instances(list) => {
                for inst in list {
                    match &inst.item {
                        DecodedInstance::Instantiate { component, args } => {
                            let def = get(&spaces.components, "component", *component)?.clone();
                            let mut given = BTreeMap::new();
                            for a in args {
                                given.insert(a.name, spaces.item(a.sort, a.index)?);
                            }
                            let made = run(
                                &mut store,
                                def.decoded,
                                &def.compiled,
                                Imports::Args(given),
                                &def.env,
                                Some(table),
                            )?;
                            spaces.instances.push(made);
                        }
                        DecodedInstance::FromExports(list) => {
                            let mut items = Vec::new();
                            for e in list {
                                items
                                    .push((e.name.name.to_string(), spaces.item(e.sort, e.index)?));
                            }
                            spaces.instances.push(items);
                        }
                    }
                }
            }
            SectionContents::Aliases(list) => {
                for alias in list {
                    match alias.item {
                        Alias::CoreInstanceExport { instance, name, .. } => {
                            let e = spaces.core_export(instance, name, &mut store)?;
                            spaces.push_core(e)?;
                        }
                        Alias::InstanceExport { instance, name, .. } => {
                            let items = get(&spaces.instances, "instance", instance)?;
                            let item = items
                                .iter()
                                .find(|(n, _)| n == name)
                                .map(|(_, i)| i.clone())
                                .ok_or_else(|| {
                                    Error::msg(format!(
                                        "instance {instance} has no export `{name}`"
                                    ))
                                })?;
                            spaces.push(item);
                        }
                        Alias::Outer { kind, count, index } => {
                            // Count 0 is this component, so far; n, the component n levels
                            // out, as it was where this one was defined.
                            let (modules, types, components) = if count == 0 {
                                (&spaces.core_modules, &spaces.types, &spaces.components)
                            } else {
                                let level = env
                                    .len()
                                    .checked_sub(count as usize)
                                    .and_then(|i| env.get(i))
                                    .ok_or_else(|| Error::msg(format!("outer alias {count} levels out of the outermost component")))?;
                                (&level.core_modules, &level.types, &level.components)
                            };
                            let item = match kind {
                                OuterAliasKind::CoreModule => {
                                    Item::CoreModule(get(modules, "core module", index)?.clone())
                                }
                                OuterAliasKind::Type => {
                                    Item::Type(get(types, "type", index)?.clone())
                                }
                                OuterAliasKind::Component => {
                                    Item::Component(get(components, "component", index)?.clone())
                                }
                                OuterAliasKind::CoreType => continue,
                            };
                            spaces.push(item);
                        }
                    }
                }
            }
            SectionContents::Types(list) => {
                for ty in list {
                    let def = match &ty.item {
                        // A fresh resource type for each instance of the component.
                        ComponentType::Resource { destructor, .. } => {
                            let dtor = destructor
                                .map(|i| get(&spaces.core_funcs, "core func", i).copied())
                                .transpose()?;
                            let c = components_mut(store.inner);
                            Arc::make_mut(&mut c.resources)
                                .push(StoreResource { owner: table, dtor });
                            TypeDef::Resource((c.resources.len() - 1) as u32)
                        }
                        other => {
                            let outer: Vec<&[TypeDef]> =
                                env.iter().map(|level| level.types.as_slice()).collect();
                            define(&spaces.types, &outer, other)?
                        }
                    };
                    spaces.types.push(def);
                }
            }
            SectionContents::Canonicals(list) => {
                for canon in list {
                    match &canon.item {
                        CanonicalFunction::Lift {
                            core_func,
                            ty,
                            options,
                        } => {
                            let ty = spaces.func_type(*ty)?;
                            if options.contains(&CanonicalOption::Async) {
                                components_mut(store.inner).uses_async = true;
                            }
                            let lifted = LiftedFunc {
                                core: *get(&spaces.core_funcs, "core func", *core_func)?,
                                has_handles: ty.params().iter().any(|(_, t)| has_handles(t))
                                    || ty.results().iter().any(has_handles),
                                ty,
                                options: spaces.options(options)?,
                                table,
                            };
                            let f = Func::add(store.inner, lifted);
                            spaces.funcs.push(FuncDef::Lifted(f));
                        }
                        CanonicalFunction::Lower { func, options } => {
                            let options = spaces.options(options)?;
                            if options.is_async {
                                components_mut(store.inner).uses_async = true;
                            }
                            let (target, ty) = match get(&spaces.funcs, "function", *func)? {
                                FuncDef::Host(f, ty) => (LowerTarget::Host(f.clone()), ty.clone()),
                                FuncDef::Lifted(f) => {
                                    let lifted = f.lifted(store.inner);
                                    let ty = lifted.ty.clone();
                                    (LowerTarget::Lifted(lifted), ty)
                                }
                            };
                            let core = lower(store.as_context_mut(), target, ty, options, table);
                            spaces.core_funcs.push(core);
                        }
                        CanonicalFunction::ResourceNew { resource }
                        | CanonicalFunction::ResourceRep { resource }
                        | CanonicalFunction::ResourceDrop { resource } => {
                            let kind = match &canon.item {
                                CanonicalFunction::ResourceNew { .. } => ResourceBuiltin::New,
                                CanonicalFunction::ResourceRep { .. } => ResourceBuiltin::Rep,
                                _ => ResourceBuiltin::Drop,
                            };
                            let id = match get(&spaces.types, "type", *resource)? {
                                TypeDef::Resource(id) => *id,
                                TypeDef::Other { what } => {
                                    return Err(unsupported(&format!("{what} (type {resource})")))
                                }
                                _ => {
                                    return Err(Error::msg(format!(
                                        "type {resource} is not a resource type"
                                    )))
                                }
                            };
                            let core = resource_builtin(store.as_context_mut(), kind, id, table);
                            spaces.core_funcs.push(core);
                        }
                        other => {
                            let b = async_builtin(&spaces, other)?;
                            components_mut(store.inner).uses_async = true;
                            let core = builtin(store.as_context_mut(), b, table);
                            spaces.core_funcs.push(core);
                        }
                    }
                }
            }
            SectionContents::Start(start) => {
                // The start function runs where its section is, with values (each used
                // once, as validation checked) and giving values.
                let start = &start.item;
                let args = start
                    .args
                    .iter()
                    .map(|i| get(&spaces.values, "value", *i).cloned())
                    .collect::<Result<Vec<_>>>()?;
                let results = match get(&spaces.funcs, "function", start.func)? {
                    FuncDef::Lifted(f) => {
                        let lifted = f.lifted(store.inner);
                        super::func::call_lifted(&mut store, &lifted, &args, None)?
                    }
                    FuncDef::Host(f, ty) => {
                        let mut out = vec![spindle_component::Val::Bool(false); ty.results().len()];
                        (f.call)(store.as_context_mut(), ty, &args, &mut out)?;
                        out
                    }
                };
                if results.len() != start.results as usize {
                    return Err(Error::msg(format!(
                        "the start function gave {} results, not {}",
                        results.len(),
                        start.results
                    )));
                }
                spaces.values.extend(results);
            }
            SectionContents::Imports(list) => {
                for i in list {
                    let name = i.item.name.name;
                    let item = match &imports {
                        Imports::Linker(linker) => {
                            let def = linker_lookup(linker, name);
                            import(&mut store, &spaces, name, &i.item.ty, def)?
                        }
                        Imports::Args(given) => given.get(name).cloned().ok_or_else(|| {
                            Error::msg(format!("missing instantiation argument `{name}`"))
                        })?,
                    };
                    spaces.push(item);
                }
            }
            SectionContents::Exports(list) => {
                for e in list {
                    let item = spaces.item(e.item.sort, e.item.index)?;
                    exports.push((e.item.name.name.to_string(), item.clone()));
                    spaces.push(item);
                }
            }
        }
    }
    Ok(exports)
}

/// The async built-in `canon` defines, its types and options resolved.
fn async_builtin<T: 'static>(spaces: &Spaces<'_, T>, canon: &CanonicalFunction) -> Result<Builtin> {
    use CanonicalFunction as C;
    let elem = |ty: &u32| -> Result<(bool, Option<spindle_component::Type>)> {
        let t = spaces.value_type(*ty)?;
        Ok((
            matches!(t.kind(), spindle_component::TypeKind::Future(_)),
            super::concurrent::copy_elem(&t),
        ))
    };
    Ok(match canon {
        C::TaskReturn { result, options } => Builtin::TaskReturn {
            result: result
                .map(|t| super::types::val_type(&spaces.types, t))
                .transpose()?,
            options: spaces.options(options)?,
        },
        C::TaskCancel => Builtin::TaskCancel,
        C::ContextGet { slot, .. } => Builtin::ContextGet(*slot),
        C::ContextSet { slot, .. } => Builtin::ContextSet(*slot),
        C::BackpressureInc => Builtin::BackpressureInc,
        C::BackpressureDec => Builtin::BackpressureDec,
        C::ThreadYield => Builtin::ThreadYield,
        C::ThreadIndex => Builtin::ThreadIndex,
        C::ThreadNewIndirect { table, .. } => Builtin::ThreadNewIndirect {
            table: *get(&spaces.core_tables, "core table", *table)?,
        },
        C::ThreadSuspend => Builtin::ThreadSuspend,
        C::ThreadResumeLater => Builtin::ThreadResumeLater,
        C::ThreadSuspendThenResume => Builtin::ThreadSuspendThenResume,
        C::ThreadYieldThenResume => Builtin::ThreadYieldThenResume,
        C::WaitableSetNew => Builtin::SetNew,
        C::WaitableSetWait { memory } => Builtin::SetWait {
            memory: Some(*get(&spaces.core_memories, "core memory", *memory)?),
        },
        C::WaitableSetPoll { memory } => Builtin::SetPoll {
            memory: Some(*get(&spaces.core_memories, "core memory", *memory)?),
        },
        C::WaitableSetDrop => Builtin::SetDrop,
        C::WaitableJoin => Builtin::Join,
        C::SubtaskCancel { is_async } => Builtin::SubtaskCancel {
            is_async: *is_async,
        },
        C::SubtaskDrop => Builtin::SubtaskDrop,
        C::StreamNew { ty } | C::FutureNew { ty } => {
            let (future, elem) = elem(ty)?;
            Builtin::New { future, elem }
        }
        C::StreamRead { ty, options }
        | C::StreamWrite { ty, options }
        | C::FutureRead { ty, options }
        | C::FutureWrite { ty, options } => {
            let (future, elem) = elem(ty)?;
            Builtin::Copy {
                future,
                readable: matches!(canon, C::StreamRead { .. } | C::FutureRead { .. }),
                elem,
                options: spaces.options(options)?,
            }
        }
        C::StreamCancelRead { ty, is_async }
        | C::StreamCancelWrite { ty, is_async }
        | C::FutureCancelRead { ty, is_async }
        | C::FutureCancelWrite { ty, is_async } => {
            let (future, elem) = elem(ty)?;
            Builtin::CancelCopy {
                future,
                readable: matches!(
                    canon,
                    C::StreamCancelRead { .. } | C::FutureCancelRead { .. }
                ),
                elem,
                is_async: *is_async,
            }
        }
        C::StreamDropReadable { ty }
        | C::StreamDropWritable { ty }
        | C::FutureDropReadable { ty }
        | C::FutureDropWritable { ty } => {
            let (future, elem) = elem(ty)?;
            Builtin::DropEnd {
                future,
                readable: matches!(
                    canon,
                    C::StreamDropReadable { .. } | C::FutureDropReadable { .. }
                ),
                elem,
            }
        }
        C::ErrorContextNew { options } => Builtin::ErrorNew {
            options: spaces.options(options)?,
        },
        C::ErrorContextDebugMessage { options } => Builtin::ErrorDebugMessage {
            options: spaces.options(options)?,
        },
        C::ErrorContextDrop => Builtin::ErrorDrop,
        other => {
            return Err(unsupported(&format!(
                "the canonical built-in {:?}",
                core::mem::discriminant(other)
            )))
        }
    })
}

/// Adds `items` to the store as an exported instance (nested exported instances first);
/// its index.
fn export_instance<T>(s: &mut spindle_exec::Store, items: Items<'_, T>) -> Result<u32> {
    let mut out = ExportedInstance::default();
    for (name, item) in items {
        let e = match item {
            Item::Func(FuncDef::Lifted(f)) => ExportItem::Func(f),
            Item::Func(FuncDef::Host(..)) => {
                return Err(unsupported("exporting a function the host defines"))
            }
            Item::Instance(inner) => ExportItem::Instance(export_instance(s, inner)?),
            Item::Type(_) | Item::Component(_) | Item::CoreModule(_) => ExportItem::Type,
        };
        out.items.push((name, e));
    }
    let c = components_mut(s);
    c.instances.push(out);
    Ok((c.instances.len() - 1) as u32)
}
