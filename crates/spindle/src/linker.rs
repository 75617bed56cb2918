//! Instances, and linking: naming host functions and other instances' exports for
//! imports, then instantiating.

use crate::prelude::*;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::marker::PhantomData;

use spindle_exec::ImportDesc;

use crate::error::{from_exec, resume_panic};
use crate::func::{dynamic_host_func, Caller, IntoFunc, TypedFunc, WasmParams, WasmResults};
use crate::store::{check_store, store_data, store_data_mut, AsContext, AsContextMut};
use crate::{
    Engine, Error, Extern, ExternType, Func, FuncType, Global, Memory, Module, Result,
    SharedMemory, Table, Tag, Val,
};

/// An instance of a module in a store (a handle, valid only with its store).
///
/// ```
/// use spindle::{Engine, Extern, Instance, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (global (export "answer") i32 (i32.const 42))
///     (memory (export "memory") 1))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// assert_eq!(instance.get_global(&store, "answer").unwrap().get(&store).i32(), Some(42));
/// let names: Vec<String> = instance.exports(&store).map(|e| e.name().to_string()).collect();
/// assert_eq!(names, ["answer", "memory"]);
/// assert!(matches!(instance.get_export(&store, "memory"), Some(Extern::Memory(_))));
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Instance {
    store: u64,
    index: u32,
}

impl Instance {
    /// Instantiates `module` with `imports`, one per import in order (wasmtime's
    /// constructor; a [`Linker`] resolves imports by name instead).
    pub fn new(mut store: impl AsContextMut, module: &Module, imports: &[Extern]) -> Result<Self> {
        let s = store.as_context_mut().inner;
        let imports: Vec<_> = imports.iter().map(|e| e.to_exec(s)).collect();
        instantiate(s, module, &imports)
    }

    /// The export called `name`.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let s = store.as_context().inner;
        check_store(self.store, s.id);
        let e = *s.instances[self.index as usize].exports.get(name)?;
        Some(Extern::from_exec(s, e))
    }

    /// The exported function called `name`.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function called `name`, typed (an error if there is none, or its type
    /// differs).
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let f = self
            .get_func(&store, name)
            .ok_or_else(|| Error::msg(format!("failed to find function export `{name}`")))?;
        f.typed(&store)
    }

    /// The exported memory called `name` (not a shared one: see `get_shared_memory`).
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported shared memory called `name`.
    pub fn get_shared_memory(&self, store: impl AsContext, name: &str) -> Option<SharedMemory> {
        self.get_export(store, name)?.into_shared_memory()
    }

    /// The exported global called `name`.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table called `name`.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported tag called `name`.
    pub fn get_tag(&self, store: impl AsContext, name: &str) -> Option<Tag> {
        self.get_export(store, name)?.into_tag()
    }

    /// Every export, in definition order.
    /// (The iterator owns its items: it does not hold the store borrowed.)
    pub fn exports(&self, store: impl AsContext) -> alloc::vec::IntoIter<Export> {
        let s = store.as_context().inner;
        check_store(self.store, s.id);
        let inst = &s.instances[self.index as usize];
        let exports: Vec<Export> = inst
            .export_names
            .iter()
            .map(|n| Export {
                name: n.clone(),
                definition: Extern::from_exec(s, inst.exports[n]),
            })
            .collect();
        exports.into_iter()
    }
}

/// An export of an instance: its name and what it names (see [`Instance::exports`]).
#[derive(Clone, Debug)]
pub struct Export {
    name: String,
    definition: Extern,
}

impl Export {
    /// The export's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the export names.
    pub fn into_extern(self) -> Extern {
        self.definition
    }

    /// The function, if the export is one.
    pub fn into_func(self) -> Option<Func> {
        self.definition.into_func()
    }

    /// The table, if the export is one.
    pub fn into_table(self) -> Option<Table> {
        self.definition.into_table()
    }

    /// The memory, if the export is one.
    pub fn into_memory(self) -> Option<Memory> {
        self.definition.into_memory()
    }

    /// The global, if the export is one.
    pub fn into_global(self) -> Option<Global> {
        self.definition.into_global()
    }

    /// The tag, if the export is one.
    pub fn into_tag(self) -> Option<Tag> {
        self.definition.into_tag()
    }
}

/// Instantiates `module` in `s` with resolved imports.
fn instantiate(
    s: &mut spindle_exec::Store,
    module: &Module,
    imports: &[spindle_exec::Extern],
) -> Result<Instance> {
    if !Arc::ptr_eq(&s.registry, module.engine.registry()) {
        return Err(Error::msg(
            "cross-engine instantiation: the module and the store have different engines",
        ));
    }
    let r = spindle_exec::instantiate(s, &module.inner, imports);
    resume_panic(s);
    let index = r.map_err(|e| from_exec(s.id, e))?;
    Ok(Instance { store: s.id, index })
}

/// A host function a linker defines, independent of stores: each store that instantiates
/// with it gets one function entity for it.
pub(crate) struct HostFuncDef {
    ty: FuncType,
    func: spindle_exec::HostCode,
}

/// What a linker holds for a name.
#[derive(Clone)]
enum Definition {
    /// An entity of one store (defined with [`Linker::define`] or [`Linker::instance`]).
    Extern(Extern),
    /// A host function, for any store.
    Host(Arc<HostFuncDef>),
}

impl Definition {
    /// The definition as one of `s`'s entities (adding a host function on first use).
    #[track_caller]
    fn to_exec<T: 'static>(&self, s: &mut spindle_exec::Store) -> spindle_exec::Extern {
        match self {
            Definition::Extern(e) => e.to_exec(s),
            Definition::Host(def) => {
                let key = Arc::as_ptr(def) as usize;
                if let Some((_, f)) = store_data::<T>(s).host_funcs.get(&key) {
                    return spindle_exec::Extern::Func(*f);
                }
                let f = crate::func::add_host(s, &def.ty, def.func.clone());
                store_data_mut::<T>(s)
                    .host_funcs
                    .insert(key, (def.clone(), f));
                spindle_exec::Extern::Func(f)
            }
        }
    }
}

/// Definitions by (module, name) that imports resolve against: host functions (for any
/// store) and entities of stores. Independent of stores: build one per host, share it
/// (it is `Send + Sync` and cheap to clone), instantiate into as many stores as needed.
///
/// ```
/// use spindle::{Engine, Linker, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "env" "double" (func $double (param i32) (result i32)))
///     (func (export "run") (result i32) (call $double (i32.const 21))))"#)?;
/// let mut linker = Linker::<()>::new(&engine);
/// linker.func_wrap("env", "double", |x: i32| x * 2)?;
/// let pre = linker.instantiate_pre(&module)?; // imports resolved and checked once
/// for _ in 0..3 {
///     let mut store = Store::new(&engine, ());
///     let instance = pre.instantiate(&mut store)?;
///     let run = instance.get_typed_func::<(), i32>(&store, "run")?;
///     assert_eq!(run.call(&mut store, ())?, 42);
/// }
/// # Ok::<(), spindle::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    defs: BTreeMap<(String, String), Definition>,
    allow_shadowing: bool,
    _data: PhantomData<fn() -> T>,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            allow_shadowing: self.allow_shadowing,
            _data: PhantomData,
        }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for `engine`'s modules and stores.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            defs: BTreeMap::new(),
            allow_shadowing: false,
            _data: PhantomData,
        }
    }

    /// The linker's engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a second definition of a name replaces the first (else it is an error, the
    /// default).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::msg(format!(
                "import of `{module}::{name}` defined twice (see Linker::allow_shadowing)"
            )));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as an entity of `store`.
    pub fn define(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        let item = item.into();
        // Fails now, not at instantiation, for an item of another store.
        if !matches!(item, Extern::SharedMemory(_)) {
            let _ = item.to_exec_of(store.as_context().inner.id);
        }
        self.insert(module, name, Definition::Extern(item))
    }

    /// Defines a host function from a closure over dynamic values.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let func = spindle_exec::HostCode::Vals(dynamic_host_func(f));
        self.insert(
            module,
            name,
            Definition::Host(Arc::new(HostFuncDef { ty, func })),
        )
    }

    /// Defines a host function from a typed closure, with or without a leading [`Caller`]
    /// (see [`Func::wrap`]).
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, func) = f.into_func();
        self.insert(
            module,
            name,
            Definition::Host(Arc::new(HostFuncDef { ty, func })),
        )
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for export in instance.exports(&store) {
            let name = export.name().to_string();
            self.define(&store, module, &name, export.into_extern())?;
        }
        Ok(self)
    }

    /// Instantiates `module` in `store` and defines its exports under module name `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(&store, name, instance)
    }

    /// Defines every function import of `module` that has no definition yet as a host
    /// function that traps when called (for modules that import more than they use).
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module) -> Result<()> {
        for import in module.imports() {
            let key = (import.module().to_string(), import.name().to_string());
            if let (ExternType::Func(ty), false) = (import.ty(), self.defs.contains_key(&key)) {
                let message = format!(
                    "unknown import: `{}::{}` has not been defined",
                    import.module(),
                    import.name()
                );
                let func = spindle_exec::HostCode::Vals(Arc::new(move |_, _, _| {
                    Err(spindle_exec::Trap::host(message.clone()))
                }));
                self.defs
                    .insert(key, Definition::Host(Arc::new(HostFuncDef { ty, func })));
            }
        }
        Ok(())
    }

    /// The definition of `module::name` as an entity of `store`, if any.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        let s = store.as_context_mut().inner;
        let e = def.to_exec::<T>(s);
        Some(Extern::from_exec(s, e))
    }

    /// Resolves `module`'s imports and instantiates it in `store` (running its start
    /// function).
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        self.instantiate_pre(module)?.instantiate(store)
    }

    /// Resolves `module`'s imports and checks the types of the host functions among them,
    /// once: the result instantiates in any store quickly.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        if !Engine::same(&self.engine, &module.engine) {
            return Err(Error::msg(
                "cross-engine linking: the module and the linker have different engines",
            ));
        }
        let registry = self.engine.registry();
        let mut defs = Vec::with_capacity(module.inner.imports.len());
        for import in &module.inner.imports {
            let (m, n) = (&import.module, &import.name);
            let def = self
                .defs
                .get(&(m.clone(), n.clone()))
                .ok_or_else(|| {
                    Error::new(crate::EngineError::Link(format!(
                        "unknown import: `{m}::{n}` has not been defined"
                    )))
                })?
                .clone();
            if let Definition::Host(h) = &def {
                let found = registry.intern(&h.ty);
                let fits = match import.desc {
                    ImportDesc::Func(want) => registry.is_subtype(found, want),
                    ImportDesc::FuncExact(want) => found == want,
                    _ => false,
                };
                if !fits {
                    let expected = module.imports().find(|i| i.module() == m && i.name() == n);
                    let expected = expected.map(|i| i.ty().to_string()).unwrap_or_default();
                    return Err(Error::new(crate::EngineError::Link(format!(
                        "incompatible import type for `{m}::{n}`: expected {expected}, found func {}",
                        h.ty
                    ))));
                }
            }
            defs.push(def);
        }
        Ok(InstancePre {
            module: module.clone(),
            defs: defs.into(),
            _data: PhantomData,
        })
    }
}

/// A module with its imports resolved and checked ([`Linker::instantiate_pre`]):
/// instantiates in any store of the engine without looking anything up again. `Send +
/// Sync`, cheap to clone: share one across the threads of a pool.
///
/// ```
/// use spindle::{Engine, Linker, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module (import "env" "id" (func $id (result i32)))
///     (func (export "run") (result i32) (call $id)))"#)?;
/// let mut linker = Linker::<i32>::new(&engine);
/// linker.func_wrap("env", "id", |caller: spindle::Caller<'_, i32>| *caller.data())?;
/// let pre = linker.instantiate_pre(&module)?;
/// let workers: Vec<_> = (0..4).map(|id| {
///     let (engine, pre) = (engine.clone(), pre.clone());
///     std::thread::spawn(move || {
///         let mut store = Store::new(&engine, id);
///         let instance = pre.instantiate(&mut store).unwrap();
///         instance.get_typed_func::<(), i32>(&store, "run").unwrap().call(&mut store, ()).unwrap()
///     })
/// }).collect();
/// let ids: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
/// assert_eq!(ids, [0, 1, 2, 3]);
/// # Ok::<(), spindle::Error>(())
/// ```
pub struct InstancePre<T> {
    module: Module,
    defs: Arc<[Definition]>,
    _data: PhantomData<fn() -> T>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            defs: self.defs.clone(),
            _data: PhantomData,
        }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Instantiates the module in `store` (running its start function).
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let s = store.as_context_mut().inner;
        let imports: Vec<_> = self.defs.iter().map(|d| d.to_exec::<T>(s)).collect();
        instantiate(s, &self.module, &imports)
    }
}
