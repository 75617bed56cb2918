//! Linking: naming host functions and other instances' exports for imports, then
//! instantiating.

use std::collections::HashMap;
use std::marker::PhantomData;

use spindle_exec::{Error, FuncType, Trap, Val};

use crate::func::IntoFunc;
use crate::func::{Caller, Func, TypedFunc, WasmParams, WasmResults};
use crate::objects::{Extern, Global, Memory, Table};
use crate::{Engine, Module, Store};

/// An instance of a module in a store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Instance(pub(crate) u32);

impl Instance {
    /// The export called `name`.
    pub fn get_export<T>(&self, store: &Store<T>, name: &str) -> Option<Extern> {
        let e = store.inner.instances[self.0 as usize].exports.get(name)?;
        Extern::from_exec(*e)
    }

    /// The exported function called `name`.
    pub fn get_func<T>(&self, store: &Store<T>, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported function called `name`, typed.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: &Store<impl Send + 'static>,
        name: &str,
    ) -> Result<TypedFunc<P, R>, Error> {
        let f = self
            .get_func(store, name)
            .ok_or_else(|| Error::Link(format!("no exported function {name:?}")))?;
        f.typed(store)
    }

    /// The exported memory called `name`.
    pub fn get_memory<T>(&self, store: &Store<T>, name: &str) -> Option<Memory> {
        match self.get_export(store, name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The exported global called `name`.
    pub fn get_global<T>(&self, store: &Store<T>, name: &str) -> Option<Global> {
        match self.get_export(store, name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The exported table called `name`.
    pub fn get_table<T>(&self, store: &Store<T>, name: &str) -> Option<Table> {
        match self.get_export(store, name)? {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// Every export, in definition order.
    pub fn exports<T>(&self, store: &Store<T>) -> Vec<(String, Extern)> {
        let inst = &store.inner.instances[self.0 as usize];
        inst.export_names
            .iter()
            .filter_map(|n| Some((n.clone(), Extern::from_exec(inst.exports[n])?)))
            .collect()
    }
}

/// Definitions by (module, name) that imports resolve against.
pub struct Linker<T> {
    defs: HashMap<(String, String), Extern>,
    _data: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> Linker<T> {
    /// An empty linker.
    pub fn new(_engine: &Engine) -> Self {
        Linker {
            defs: HashMap::new(),
            _data: PhantomData,
        }
    }

    /// Defines `module::name` (replacing an earlier definition).
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.defs
            .insert((module.to_string(), name.to_string()), item.into());
        self
    }

    /// Defines a host function from a closure over dynamic values.
    pub fn func_new(
        &mut self,
        store: &mut Store<T>,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> &mut Self {
        let func = Func::new(store, ty, f);
        self.define(module, name, func)
    }

    /// Defines a host function from a typed closure (see [`Func::wrap`]).
    ///
    /// ```
    /// use spindle::{Caller, Engine, Linker, Module, Store};
    /// let engine = Engine::default();
    /// let module = Module::from_wat(&engine, r#"(module
    ///     (import "env" "double" (func $double (param i32) (result i32)))
    ///     (func (export "run") (result i32) (call $double (i32.const 21))))"#).unwrap();
    /// let mut store = Store::new(&engine, ());
    /// let mut linker = Linker::new(&engine);
    /// linker.func_wrap(&mut store, "env", "double", |_: Caller<'_, ()>, x: i32| x * 2);
    /// let instance = linker.instantiate(&mut store, &module).unwrap();
    /// let run = instance.get_typed_func::<(), i32>(&store, "run").unwrap();
    /// assert_eq!(run.call(&mut store, ()).unwrap(), 42);
    /// ```
    pub fn func_wrap<Params, Results>(
        &mut self,
        store: &mut Store<T>,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> &mut Self {
        let func = Func::wrap(store, f);
        self.define(module, name, func)
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store<T>, module: &str, instance: Instance) -> &mut Self {
        for (name, ext) in instance.exports(store) {
            self.define(module, &name, ext);
        }
        self
    }

    /// The definition of `module::name`, if any.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.defs
            .get(&(module.to_string(), name.to_string()))
            .copied()
    }

    /// Resolves `module`'s imports and instantiates it (running its start function).
    pub fn instantiate(&self, store: &mut Store<T>, module: &Module) -> Result<Instance, Error> {
        let mut imports = Vec::with_capacity(module.inner.imports.len());
        for imp in &module.inner.imports {
            match self.defs.get(&(imp.module.clone(), imp.name.clone())) {
                Some(e) => imports.push(e.to_exec()),
                None => {
                    return Err(Error::Link(format!(
                        "unknown import: {}::{} has not been defined",
                        imp.module, imp.name
                    )))
                }
            }
        }
        let idx = spindle_exec::instantiate(&mut store.inner, &module.inner, &imports)?;
        Ok(Instance(idx))
    }
}
