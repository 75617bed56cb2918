//! Components: load, link and instantiate Component Model components, and call their
//! functions with component values (feature `component`, on by default).
//!
//! The shapes are wasmtime's (`wasmtime::component`): [`Component`], [`Linker`] (with
//! [`LinkerInstance`]s from [`Linker::root`] and [`LinkerInstance::instance`]), [`Instance`],
//! [`Func`] and the dynamic [`Val`]. Values cross the canonical ABI in `spindle_component`,
//! the one place that lifts and lowers; this module runs the component's sections
//! (instantiating its core modules with Spindle's core API) and connects the pieces.
//!
//! What runs: core modules, core and component instances, aliases (instance exports,
//! core exports, outer), nested components and their instantiation, defined value types
//! and function types, resources (guest-defined with destructors, and the host's), `canon
//! lift` (with `memory`, `realloc`, `post-return` and every string encoding), `canon
//! lower` (of host functions, or of another component's function: guest to guest),
//! imports from the linker (semver-compatible versions accepted), and exports. Typed use:
//! [`TypedFunc`], the derives, [`flags!`] and [`bindgen!`]; the start function; the async
//! ABI (async lifts and lowers, tasks, threads, waitable sets, streams, futures, error
//! contexts: `concurrent`). Not yet (an error that says so): value imports. Every component is
//! validated (`spindle_validate::component`, with wasmparser's rules) before anything runs.
//!
//! ```
//! use spindle::component::{Component, Linker, Val};
//! use spindle::{Engine, Store};
//! let engine = Engine::default();
//! let component = Component::new(&engine, r#"(component
//!   (core module $m (func (export "add") (param i32 i32) (result i32)
//!     (i32.add (local.get 0) (local.get 1))))
//!   (core instance $i (instantiate $m))
//!   (func (export "add") (param "a" u32) (param "b" u32) (result u32)
//!     (canon lift (core func $i "add"))))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
//! let add = instance.get_func(&mut store, "add").unwrap();
//! let mut out = [Val::U32(0)];
//! add.call(&mut store, &[Val::U32(40), Val::U32(2)], &mut out)?;
//! assert_eq!(out[0], Val::U32(42));
//! # Ok::<(), spindle::Error>(())
//! ```

use crate::prelude::*;
pub(crate) mod concurrent;
mod func;
mod instantiate;
mod typed;
mod types;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

pub use spindle_component::{FuncType, StringEncoding, Type, TypeKind, Val};

pub use func::Func;
pub(crate) use func::StoreComponents;
pub use spindle_component_macro::{bindgen, flags, ComponentType, Lift, Lower};
pub use typed::{
    ComponentNamedList, ComponentType, HasData, HasSelf, Lift, Lower, ResourceAny, ResultCase,
    TypedFunc,
};

/// What the code `bindgen!` and the derives generate refers to (not a stable API).
#[doc(hidden)]
pub mod __internal {
    pub use super::typed::{
        abi_trap, lift_field, lift_flags, lift_variant_payload, record_fields, typecheck_enum,
        typecheck_flags, typecheck_record, typecheck_variant, AbiCx, LiftList, LowerList,
    };
    pub use alloc::boxed::Box;
    pub use alloc::string::String;
    pub use alloc::vec::Vec;
    pub use spindle_component::{CoreVal, FlatIter, Trap as AbiTrap};
}

use crate::store::{check_store, store_data, AsContext, AsContextMut, StoreContextMut};
use crate::{Engine, Error, Result};

/// A compiled component: its binary, decoded once to check it, and its core modules
/// compiled (instantiating one runs its sections again, against the store).
#[derive(Clone)]
pub struct Component {
    inner: Arc<ComponentInner>,
}

struct ComponentInner {
    engine: Engine,
    bytes: Vec<u8>,
    /// Its core modules and nested components, compiled.
    compiled: Arc<instantiate::Compiled>,
}

impl Component {
    /// A component from its binary or text (WAT) form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Component::from_binary(engine, bytes);
        }
        #[cfg(feature = "wat")]
        {
            let text = core::str::from_utf8(bytes)
                .map_err(|_| Error::msg("a component is a binary or its text (UTF-8)"))?;
            let buffer = wast::parser::ParseBuffer::new(text)?;
            let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer)?;
            let binary = wat.encode()?;
            Component::from_binary(engine, &binary)
        }
        #[cfg(not(feature = "wat"))]
        Err(Error::msg("not a component binary (no `\\0asm` magic)"))
    }

    /// A component from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Component> {
        let decoded = spindle_decode::component::Component::parse(bytes)
            .map_err(|e| Error::msg(format!("malformed component: {e}")))?;
        // Function bodies are validated once, as each core module is compiled below.
        spindle_validate::component::validate_component_except_bodies(&decoded)
            .map_err(|e| Error::msg(format!("invalid component: {e}")))?;
        let compiled = Arc::new(instantiate::compile(engine, &decoded)?);
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                bytes: bytes.to_vec(),
                compiled,
            }),
        })
    }

    /// A component from a file (binary or text).
    #[cfg(feature = "std")]
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::msg(format!("failed to read {}: {e}", path.display())))?;
        Component::new(engine, bytes)
    }

    /// The engine the component was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

pub(crate) fn unsupported(what: &str) -> Error {
    Error::msg(format!("not supported by Spindle's components yet: {what}"))
}

/// A host function over component values: called with the function type the importing
/// component gave it; `typecheck` (typed host functions) checks that type once, when a
/// component is linked to it.
pub(crate) struct HostFn<T> {
    pub call: Box<HostCall<T>>,
    pub typecheck: Option<fn(&FuncType) -> Result<()>>,
    /// For typed host functions ([`LinkerInstance::func_wrap`]): the call without
    /// [`Val`]s, parameters lifted and results lowered straight between guest memory and
    /// Rust values (what a guest calling the import goes through).
    pub direct: Option<DirectHost<T>>,
}

/// A typed host function's three steps, its Rust values carried between them boxed.
pub(crate) struct DirectHost<T> {
    /// The parameters from the caller's core arguments.
    pub lift: Box<DirectLift>,
    /// The call itself.
    pub call: Box<DirectCall<T>>,
    /// The results as core values, or stored at the caller's return pointer (the last
    /// core argument) when spilled.
    pub lower: Box<DirectLower>,
}

pub(crate) type DirectLift = dyn Fn(
        &mut typed::AbiCx<'_>,
        &FuncType,
        &[spindle_component::CoreVal],
    ) -> Result<Box<dyn core::any::Any>>
    + Send
    + Sync;
pub(crate) type DirectCall<T> = dyn Fn(StoreContextMut<'_, T>, Box<dyn core::any::Any>) -> Result<Box<dyn core::any::Any>>
    + Send
    + Sync;
pub(crate) type DirectLower = dyn Fn(
        &mut typed::AbiCx<'_>,
        &FuncType,
        Box<dyn core::any::Any>,
        &[spindle_component::CoreVal],
    ) -> Result<Vec<spindle_component::CoreVal>>
    + Send
    + Sync;

pub(crate) type HostFunc<T> = Arc<HostFn<T>>;

/// How a host function is called: with the store, its type, the parameters and the
/// result slots.
pub(crate) type HostCall<T> =
    dyn Fn(StoreContextMut<'_, T>, &FuncType, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

/// `f` linked to an import `name` of type `ty`: an error if `f` is typed and `ty` is not
/// its type.
pub(crate) fn check_host_func<T>(f: &HostFunc<T>, name: &str, ty: &FuncType) -> Result<()> {
    match f.typecheck {
        Some(check) => check(ty).map_err(|e| {
            Error::msg(format!(
                "component import `{name}`: the host function's type does not match: {e}"
            ))
        }),
        None => Ok(()),
    }
}

/// A host resource's destructor: called with the representation when a guest drops its
/// last owning handle.
pub(crate) type HostDtor<T> = Arc<dyn Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync>;

/// What a linker holds for a name.
enum Definition<T> {
    Func(HostFunc<T>),
    Instance(BTreeMap<String, Definition<T>>),
    Resource(ResourceType, HostDtor<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Func(f) => Definition::Func(f.clone()),
            Definition::Instance(i) => Definition::Instance(i.clone()),
            Definition::Resource(t, d) => Definition::Resource(*t, d.clone()),
        }
    }
}

/// A resource type the host defines ([`ResourceType::host`]): each store gives it one
/// resource id, the same for every component that imports it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ResourceType(core::any::TypeId);

impl ResourceType {
    /// The resource type of the host's `R` (values of which the host keeps, for example
    /// in a [`ResourceTable`]).
    pub fn host<R: 'static>() -> ResourceType {
        ResourceType(core::any::TypeId::of::<R>())
    }
}

/// A handle the host holds to a resource: its representation (for a host resource, what
/// the host chose, such as an index into a [`ResourceTable`]). `Val::Own(rep)` and
/// `Val::Borrow(rep)` carry the same number.
#[derive(Debug)]
pub struct Resource<R> {
    rep: u32,
    owned: bool,
    _type: core::marker::PhantomData<fn() -> R>,
}

impl<R> Clone for Resource<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Resource<R> {}

impl<R> Resource<R> {
    /// A handle of representation `rep`.
    pub fn new_own(rep: u32) -> Self {
        Resource {
            rep,
            owned: true,
            _type: core::marker::PhantomData,
        }
    }

    /// A borrowed handle of representation `rep` (what a method's `self` is).
    pub fn new_borrow(rep: u32) -> Self {
        Resource {
            rep,
            owned: false,
            _type: core::marker::PhantomData,
        }
    }

    /// Whether this handle owns the resource (`own<T>`) rather than borrowing it.
    pub fn owned(&self) -> bool {
        self.owned
    }

    /// Its representation.
    pub fn rep(&self) -> u32 {
        self.rep
    }
}

/// The host's side of host resources: values by representation (indices from 0, freed ones
/// reused), typed by [`Resource`].
#[derive(Default)]
pub struct ResourceTable {
    slots: Vec<Option<Box<dyn core::any::Any + Send>>>,
    free: Vec<u32>,
}

impl ResourceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many values the table holds.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether the table holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps `value`; its handle.
    pub fn push<R: Send + 'static>(&mut self, value: R) -> Result<Resource<R>> {
        let rep = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(Box::new(value));
                i
            }
            None => {
                self.slots.push(Some(Box::new(value)));
                u32::try_from(self.slots.len() - 1)
                    .map_err(|_| Error::msg("resource table full"))?
            }
        };
        Ok(Resource::new_own(rep))
    }

    /// The value of `r`.
    pub fn get<R: 'static>(&self, r: &Resource<R>) -> Result<&R> {
        self.slots
            .get(r.rep as usize)
            .and_then(|s| s.as_ref())
            .and_then(|b| b.downcast_ref())
            .ok_or_else(|| Error::msg(format!("no resource {} of this type in the table", r.rep)))
    }

    /// The value of `r`, mutably.
    pub fn get_mut<R: 'static>(&mut self, r: &Resource<R>) -> Result<&mut R> {
        self.slots
            .get_mut(r.rep as usize)
            .and_then(|s| s.as_mut())
            .and_then(|b| b.downcast_mut())
            .ok_or_else(|| Error::msg(format!("no resource {} of this type in the table", r.rep)))
    }

    /// Removes `r`; its value.
    pub fn delete<R: 'static>(&mut self, r: Resource<R>) -> Result<R> {
        self.get::<R>(&r)?;
        let value = self.slots[r.rep as usize].take().expect("checked above");
        self.free.push(r.rep);
        Ok(*value.downcast().expect("checked above"))
    }
}

/// Host definitions a component's imports are resolved against, by name (store
/// independent, like the core [`crate::Linker`]).
pub struct Linker<T> {
    engine: Engine,
    root: BTreeMap<String, Definition<T>>,
}

/// The definitions under one name of a [`Linker`]: its root, or an instance in it.
pub struct LinkerInstance<'a, T> {
    map: &'a mut BTreeMap<String, Definition<T>>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            root: BTreeMap::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The root: names a component imports directly (not inside an instance).
    pub fn root(&mut self) -> LinkerInstance<'_, T> {
        LinkerInstance {
            map: &mut self.root,
        }
    }

    /// The instance called `name` (an interface such as `wasi:cli/stdout@0.2.0`),
    /// created if new.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        self.root().into_instance(name)
    }

    /// Instantiates `component` in `store`, its imports resolved against this linker.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        component: &Component,
    ) -> Result<Instance> {
        if !Arc::ptr_eq(
            component.inner.engine.registry(),
            store_data::<T>(store.as_context_mut().inner)
                .engine
                .registry(),
        ) {
            return Err(Error::msg(
                "cross-engine instantiation: the component and the store have different engines",
            ));
        }
        instantiate::instantiate(store.as_context_mut(), component, &self.root)
    }
}

impl<T: 'static> Linker<T> {
    /// `component` with its imports resolved against this linker's definitions now, to
    /// be instantiated later, any number of times ([`InstancePre::instantiate`]).
    pub fn instantiate_pre(&self, component: &Component) -> Result<InstancePre<T>> {
        if !Arc::ptr_eq(component.inner.engine.registry(), self.engine.registry()) {
            return Err(Error::msg(
                "cross-engine instantiation: the component and the linker have different engines",
            ));
        }
        Ok(InstancePre {
            component: component.clone(),
            root: Arc::new(self.root.clone()),
        })
    }
}

/// A component and the linker definitions it is instantiated with (wasmtime's
/// `component::InstancePre`); cheap to clone and to instantiate again.
pub struct InstancePre<T> {
    component: Component,
    root: Arc<BTreeMap<String, Definition<T>>>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            component: self.component.clone(),
            root: self.root.clone(),
        }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The component.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        self.component.engine()
    }

    /// A new instance in `store`.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        if !Arc::ptr_eq(
            self.component.inner.engine.registry(),
            store_data::<T>(store.as_context_mut().inner)
                .engine
                .registry(),
        ) {
            return Err(Error::msg(
                "cross-engine instantiation: the component and the store have different engines",
            ));
        }
        instantiate::instantiate(store.as_context_mut(), &self.component, &self.root)
    }
}

impl<'a, T: 'static> LinkerInstance<'a, T> {
    /// Defines `name` as a host function over component values; its type is the one the
    /// importing component gives it (the values are checked against it on each call).
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        if self.map.contains_key(name) {
            return Err(Error::msg(format!("`{name}` is already defined")));
        }
        let call = move |store: StoreContextMut<'_, T>, _: &FuncType, p: &[Val], r: &mut [Val]| {
            f(store, p, r)
        };
        self.map.insert(
            name.to_string(),
            Definition::Func(Arc::new(HostFn {
                call: Box::new(call),
                typecheck: None,
                direct: None,
            })),
        );
        Ok(())
    }

    /// Defines `name` as a typed host function: `Params` and `Return` are tuples of Rust
    /// types with component types ([`ComponentType`]), checked against the importing
    /// component's type when it is linked.
    pub fn func_wrap<Params, Return, F>(&mut self, name: &str, f: F) -> Result<()>
    where
        Params: ComponentNamedList + typed::LiftList + 'static,
        Return: ComponentNamedList + typed::LowerList + 'static,
        F: Fn(StoreContextMut<'_, T>, Params) -> Result<Return> + Send + Sync + 'static,
    {
        if self.map.contains_key(name) {
            return Err(Error::msg(format!("`{name}` is already defined")));
        }
        let f = Arc::new(f);
        let g = f.clone();
        let call = move |store: StoreContextMut<'_, T>,
                         ty: &FuncType,
                         params: &[Val],
                         results: &mut [Val]| {
            let params = Params::lift_list(params.to_vec(), ty.params().iter().map(|(_, t)| t))?;
            let out = g(store, params)?.lower_list();
            for (slot, v) in results.iter_mut().zip(out) {
                *slot = v;
            }
            Ok(())
        };
        let direct = DirectHost {
            lift: Box::new(
                |cx: &mut typed::AbiCx<'_>, ty: &FuncType, flat: &[spindle_component::CoreVal]| {
                    let mut src = spindle_component::FlatIter::new(flat);
                    let params =
                        Params::lift_typed(cx, ty.params_tuple(), ty.params_spilled(), &mut src)?;
                    if src.rest().len() != usize::from(ty.results_spilled()) {
                        return Err(Error::msg(
                            "canonical ABI: core arguments do not match the import's type",
                        ));
                    }
                    Ok(Box::new(params) as Box<dyn core::any::Any>)
                },
            ),
            call: Box::new(
                move |store: StoreContextMut<'_, T>, params: Box<dyn core::any::Any>| {
                    let params = *params
                        .downcast::<Params>()
                        .map_err(|_| Error::msg("host function parameters of another type"))?;
                    Ok(Box::new(f(store, params)?) as Box<dyn core::any::Any>)
                },
            ),
            lower: Box::new(
                |cx: &mut typed::AbiCx<'_>,
                 ty: &FuncType,
                 ret: Box<dyn core::any::Any>,
                 flat: &[spindle_component::CoreVal]| {
                    let ret = ret
                        .downcast::<Return>()
                        .map_err(|_| Error::msg("host function results of another type"))?;
                    let out_ptr = if ty.results_spilled() {
                        match flat.last() {
                            Some(spindle_component::CoreVal::I32(p)) => Some(*p as u32),
                            _ => return Err(Error::msg("canonical ABI: no return pointer")),
                        }
                    } else {
                        None
                    };
                    let mut out = Vec::new();
                    ret.lower_typed(
                        cx,
                        ty.results_tuple(),
                        ty.results_spilled(),
                        out_ptr,
                        &mut out,
                    )
                    .map_err(|e| Error::msg(format!("canonical ABI: {e}")))?;
                    Ok(out)
                },
            ),
        };
        self.map.insert(
            name.to_string(),
            Definition::Func(Arc::new(HostFn {
                call: Box::new(call),
                typecheck: Some(typed::typecheck_func::<Params, Return>),
                direct: Some(direct),
            })),
        );
        Ok(())
    }

    /// Defines `name` as a host resource type: components importing `name` (a resource
    /// type) get `ty`'s id; `dtor` runs with the representation when a guest drops an
    /// owning handle.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        if self.map.contains_key(name) {
            return Err(Error::msg(format!("`{name}` is already defined")));
        }
        self.map
            .insert(name.to_string(), Definition::Resource(ty, Arc::new(dtor)));
        Ok(())
    }

    /// The instance called `name` inside this one, created if new.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        Ok(LinkerInstance {
            map: instance_in(self.map, name)?,
        })
    }

    fn into_instance(self, name: &str) -> Result<LinkerInstance<'a, T>> {
        Ok(LinkerInstance {
            map: instance_in(self.map, name)?,
        })
    }
}

/// The definitions of instance `name` in `map`, created if new.
fn instance_in<'m, T>(
    map: &'m mut BTreeMap<String, Definition<T>>,
    name: &str,
) -> Result<&'m mut BTreeMap<String, Definition<T>>> {
    match map
        .entry(name.to_string())
        .or_insert_with(|| Definition::Instance(BTreeMap::new()))
    {
        Definition::Instance(map) => Ok(map),
        _ => Err(Error::msg(format!(
            "`{name}` is already defined as something else than an instance"
        ))),
    }
}

/// An instance of a component in a store (a handle, valid only with its store).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Instance {
    store: u64,
    index: u32,
}

/// The index of an export of an instance, for lookups without names
/// ([`Instance::get_export_index`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ComponentExportIndex {
    store: u64,
    /// The store's exported-instance entry the export is in.
    instance: u32,
    /// The export's position in that instance.
    item: u32,
}

/// How [`Instance::get_func`] finds an export: a name at the instance's root, or a
/// [`ComponentExportIndex`].
pub trait InstanceExportLookup {
    #[doc(hidden)]
    fn lookup(&self, store: &StoreComponents, root: u32, store_id: u64) -> Option<ExportItem>;
}

impl InstanceExportLookup for str {
    fn lookup(&self, store: &StoreComponents, root: u32, _: u64) -> Option<ExportItem> {
        store.instances[root as usize].get(self).cloned()
    }
}

impl InstanceExportLookup for &str {
    fn lookup(&self, store: &StoreComponents, root: u32, id: u64) -> Option<ExportItem> {
        (**self).lookup(store, root, id)
    }
}

impl InstanceExportLookup for String {
    fn lookup(&self, store: &StoreComponents, root: u32, id: u64) -> Option<ExportItem> {
        self.as_str().lookup(store, root, id)
    }
}

impl InstanceExportLookup for ComponentExportIndex {
    fn lookup(&self, store: &StoreComponents, _: u32, id: u64) -> Option<ExportItem> {
        check_store(self.store, id);
        store.instances[self.instance as usize]
            .items
            .get(self.item as usize)
            .map(|(_, item)| item.clone())
    }
}

impl InstanceExportLookup for &ComponentExportIndex {
    fn lookup(&self, store: &StoreComponents, root: u32, id: u64) -> Option<ExportItem> {
        (**self).lookup(store, root, id)
    }
}

/// An exported item, as the store keeps it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum ExportItem {
    Func(Func),
    /// An exported instance: an entry of the store's exported instances.
    Instance(u32),
    /// An exported type (nothing to call).
    Type,
}

/// The exports of one instance (a component's root, or an instance it exports), in order.
#[derive(Default, Debug)]
pub(crate) struct ExportedInstance {
    items: Vec<(String, ExportItem)>,
}

impl ExportedInstance {
    fn get(&self, name: &str) -> Option<&ExportItem> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, i)| i)
    }
}

impl Instance {
    /// The exported function found by `name` (a root export's name, or an index from
    /// [`Instance::get_export_index`]).
    pub fn get_func(
        &self,
        mut store: impl AsContextMut,
        name: impl InstanceExportLookup,
    ) -> Option<Func> {
        let cx = store.as_context_mut();
        check_store(self.store, cx.inner.id);
        let id = cx.inner.id;
        let components = components_of(cx.inner)?;
        match name.lookup(components, self.index, id)? {
            ExportItem::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported function found by `name`, typed: parameters `P` and results `R`, each a
    /// tuple of [`ComponentType`]s (an error if there is no such function or its type
    /// differs).
    pub fn get_typed_func<P: ComponentNamedList, R: ComponentNamedList>(
        &self,
        mut store: impl AsContextMut,
        name: impl InstanceExportLookup,
    ) -> Result<TypedFunc<P, R>> {
        let func = self
            .get_func(&mut store, name)
            .ok_or_else(|| Error::msg("no exported function of that name"))?;
        TypedFunc::new(store, func)
    }

    /// The index of export `name` of this instance (`instance: None`) or of an instance it
    /// exports (`Some`): how functions inside exported interfaces are found.
    pub fn get_export_index(
        &self,
        mut store: impl AsContextMut,
        instance: Option<&ComponentExportIndex>,
        name: &str,
    ) -> Option<ComponentExportIndex> {
        let cx = store.as_context_mut();
        let id = cx.inner.id;
        check_store(self.store, id);
        let components = components_of(cx.inner)?;
        let within = match instance {
            None => self.index,
            Some(i) => {
                check_store(i.store, id);
                match &components.instances[i.instance as usize]
                    .items
                    .get(i.item as usize)?
                {
                    (_, ExportItem::Instance(inner)) => *inner,
                    _ => return None,
                }
            }
        };
        // The exact name, else (WIT's semver rule, as for imports) the export whose
        // version is compatible, the newest if several are.
        let items = &components.instances[within as usize].items;
        let item = items.iter().position(|(n, _)| n == name).or_else(|| {
            instantiate::compatible_position(items.iter().map(|(n, _)| n.as_str()), name)
        })?;
        Some(ComponentExportIndex {
            store: id,
            instance: within,
            item: item as u32,
        })
    }

    /// The names of the root exports, in order.
    pub fn export_names(&self, store: impl AsContext) -> Vec<String> {
        let cx = store.as_context();
        check_store(self.store, cx.inner.id);
        components_of(cx.inner).map_or_else(Vec::new, |c| {
            c.instances[self.index as usize]
                .items
                .iter()
                .map(|(n, _)| n.clone())
                .collect()
        })
    }
}

/// The store's component state, if a component was ever instantiated in it.
pub(crate) fn components_of(s: &spindle_exec::Store) -> Option<&StoreComponents> {
    s.extension.as_ref()?.downcast_ref::<StoreComponents>()
}

/// The store's component state, created on first use.
pub(crate) fn components_mut(s: &mut spindle_exec::Store) -> &mut StoreComponents {
    s.extension
        .get_or_insert_with(|| Box::<StoreComponents>::default())
        .downcast_mut::<StoreComponents>()
        .expect("the store's extension is its component state")
}
