//! Spindle's embedding API: compile modules, link them with host functions and other
//! instances, and call into them, as with wasmtime or wasmi.
//!
//! ```
//! use spindle::{Engine, Linker, Module, Store, Val};
//!
//! // (module (func (export "add") (param i32 i32) (result i32)
//! //   local.get 0 local.get 1 i32.add))
//! let wasm = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f,
//!     0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
//!     0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
//! ];
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm).unwrap();
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").unwrap();
//! assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod func;
mod gc;
mod linker;
mod objects;

use std::marker::PhantomData;
use std::sync::Arc;

pub use func::{
    Caller, Func, HostResult, IntoFunc, ResumableCall, ResumableInvocation, TypedFunc, WasmParams,
    WasmResults, WasmTy,
};
pub use gc::GcRoot;
pub use linker::{Instance, Linker};
pub use objects::{Extern, Global, Memory, Table, Tag};
pub use spindle_decode::{
    AbstractHeapType, GlobalType, HeapType, Limits, MemoryType, RefType, TableType, ValType,
};
pub use spindle_exec::gc::RefKind as GcKind;
pub use spindle_exec::{
    AnyRef, Dispatch, Error, FuncType, StoreLimits, Translation, Trap, TrapCode, Val,
};
pub use spindle_validate::Features;

use spindle_exec::{CompiledModule, TypeRegistry};

/// Figures of a store's GC heap (see [`Store::gc_stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcStats {
    /// Structs and arrays alive.
    pub objects: usize,
    /// Bytes counted against `StoreLimits::gc_heap` (live after the last collection, plus
    /// allocated since).
    pub bytes: usize,
    /// Bytes allocated over the store's life.
    pub allocated: u64,
    /// Collections run.
    pub collections: u64,
}

/// How modules are compiled and run.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The proposals modules may use (default: WebAssembly 3.0).
    pub features: Features,
    /// Translate function bodies when the module is created (`Eager`, the default) or on
    /// their first call (`Lazy`; bodies are still validated up front).
    pub translation: Translation,
    /// Meter fuel: every function entry and loop iteration charges the operators it runs;
    /// a call that runs out traps with "all fuel consumed". Costs nothing when off.
    pub consume_fuel: bool,
    /// The interpreter's dispatch backend (default: the fastest this target and build
    /// support). Both give the same results; asking for [`Dispatch::Threaded`] where it is
    /// not available runs [`Dispatch::Loop`] (see [`Engine::dispatch`]).
    pub dispatch: Dispatch,
}

struct EngineInner {
    config: Config,
    registry: Arc<TypeRegistry>,
}

/// Compiles modules and owns the types they share. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default())
    }
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: &Config) -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                registry: Arc::default(),
            }),
        }
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The dispatch backend calls actually run on: the configured one, or
    /// [`Dispatch::Loop`] where [`Dispatch::Threaded`] is not available.
    ///
    /// ```
    /// use spindle::{Config, Dispatch, Engine};
    /// let engine = Engine::new(&Config { dispatch: Dispatch::Loop, ..Config::default() });
    /// assert_eq!(engine.dispatch(), Dispatch::Loop);
    /// ```
    pub fn dispatch(&self) -> Dispatch {
        spindle_exec::effective_dispatch(self.inner.config.dispatch)
    }
}

/// A validated and translated module, ready to instantiate any number of times.
#[derive(Clone)]
pub struct Module {
    engine: Engine,
    inner: Arc<CompiledModule>,
}

/// What an import or export is.
#[derive(Clone, Debug, PartialEq)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
    /// An exception tag whose payload has this type's parameters.
    Tag(FuncType),
}

impl Module {
    /// Decodes, validates and translates a binary module.
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        Module::compile_with(engine, |registry, features, translation, fuel| {
            spindle_exec::compile(registry, features, translation, fuel, false, bytes)
        })
    }

    /// Runs `compile` with the engine's type registry and configuration.
    fn compile_with(
        engine: &Engine,
        compile: impl FnOnce(
            &TypeRegistry,
            &Features,
            Translation,
            bool,
        ) -> Result<CompiledModule, Error>,
    ) -> Result<Module, Error> {
        let config = &engine.inner.config;
        let inner = compile(
            &engine.inner.registry,
            &config.features,
            config.translation,
            config.consume_fuel,
        )?;
        Ok(Module {
            engine: engine.clone(),
            inner: Arc::new(inner),
        })
    }

    /// Compiles a module file: binary, mapped into memory rather than read (with lazy
    /// translation the module keeps the mapping and translates from it, so the file must
    /// not change while the module lives), or, with the `wat` feature, in the text format.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module, Error> {
        let path = path.as_ref();
        let bytes = spindle_exec::ModuleBytes::map_file(path)
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let text = std::str::from_utf8(&bytes)
                .map_err(|e| Error::Text(format!("{}: {e}", path.display())))?;
            return Module::from_wat(engine, text);
        }
        Module::compile_with(engine, |registry, features, translation, fuel| {
            spindle_exec::compile_bytes(registry, features, translation, fuel, false, bytes)
        })
    }

    /// Compiles a module in the text format (WAT).
    ///
    /// ```
    /// use spindle::{Engine, Module};
    /// let engine = Engine::default();
    /// let module = Module::from_wat(&engine, r#"(module (func (export "f")))"#).unwrap();
    /// assert_eq!(module.export_names().collect::<Vec<_>>(), ["f"]);
    /// ```
    #[cfg(feature = "wat")]
    pub fn from_wat(engine: &Engine, text: &str) -> Result<Module, Error> {
        let encode = || -> Result<Vec<u8>, wast::Error> {
            let buffer = wast::parser::ParseBuffer::new(text)?;
            let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer)?;
            wat.encode()
        };
        let bytes = encode().map_err(|e| Error::Text(e.to_string()))?;
        Module::new(engine, &bytes)
    }

    /// The module's imports: module name, field name, type.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternType)> + '_ {
        let registry = &self.engine.inner.registry;
        self.inner.imports.iter().map(move |i| {
            let ty = match &i.desc {
                spindle_exec::ImportDesc::Func(t) | spindle_exec::ImportDesc::FuncExact(t) => {
                    ExternType::Func(registry.get(*t))
                }
                spindle_exec::ImportDesc::Table(t) => ExternType::Table(*t),
                spindle_exec::ImportDesc::Memory(m) => ExternType::Memory(*m),
                spindle_exec::ImportDesc::Global(g) => ExternType::Global(*g),
                spindle_exec::ImportDesc::Tag(t) => ExternType::Tag(registry.get(*t)),
            };
            (i.module.as_str(), i.name.as_str(), ty)
        })
    }

    /// The register bytecode of every defined function, one block per function (translating
    /// lazy functions now). For `spindle inspect --ir`.
    pub fn disassemble(&self) -> String {
        use std::fmt::Write as _;
        let m = &self.inner;
        let mut out = String::new();
        for i in 0..m.funcs.len() {
            let index = m.num_imported_funcs as usize + i;
            let ty = self.engine.inner.registry.get(m.func_types[index]);
            let _ = writeln!(out, "func {index} {:?} -> {:?}", ty.params, ty.results);
            match m.code_ref(i) {
                Ok(code) => {
                    let _ = writeln!(
                        out,
                        "  ; {} registers: {} params, {} locals",
                        code.frame_size, code.params, code.locals
                    );
                    for (at, instr) in code.instrs().enumerate() {
                        let _ = writeln!(out, "  {at:4}: {instr}");
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "  ; not translated: {e}");
                }
            }
        }
        out
    }

    /// The names of the module's exports.
    pub fn export_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.inner.exports.iter().map(|(n, _, _)| n.as_str())
    }
}

/// Owns instances and everything they create, plus the embedder's data `T`.
pub struct Store<T> {
    engine: Engine,
    inner: spindle_exec::Store,
    _data: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> Store<T> {
    /// How many exceptions the store holds: those Wasm or the host may still reference
    /// (exceptions caught without a reference are freed at once).
    pub fn exceptions_held(&self) -> usize {
        self.inner.exceptions.len() - self.inner.free_exceptions.len()
    }

    /// Collects garbage now (it also runs by itself as allocations grow the heap).
    pub fn collect_garbage(&mut self) {
        self.inner.collect_garbage();
    }

    /// The GC heap's figures: objects alive (as of now), bytes they take as counted for the
    /// limits (as of the last collection plus what was allocated since), bytes allocated
    /// over the store's life, and collections run.
    pub fn gc_stats(&self) -> GcStats {
        let gc = &self.inner.gc;
        GcStats {
            objects: gc.live_objects(),
            bytes: gc.bytes,
            allocated: gc.allocated,
            collections: gc.collections,
        }
    }

    /// The tag and payload of the exception a call's trap carries (an exception no Wasm
    /// handler caught: `TrapCode::UncaughtException`), if it carries one.
    pub fn caught(&self, trap: &Trap) -> Option<(Tag, Vec<Val>)> {
        let (tag, payload) = self.inner.exception_of(trap)?;
        Some((Tag(tag), payload))
    }

    /// A store for `engine`'s modules, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        let mut inner = spindle_exec::Store::new(engine.inner.registry.clone(), Box::new(data));
        inner.dispatch = engine.inner.config.dispatch;
        Store {
            engine: engine.clone(),
            inner,
            _data: PhantomData,
        }
    }

    /// The engine of this store.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.inner
            .data
            .downcast_ref()
            .expect("the store's data has type T")
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.inner
            .data
            .downcast_mut()
            .expect("the store's data has type T")
    }

    /// Sets the fuel left (fuel metering must be on in the engine's [`Config`]).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), Error> {
        if !self.engine.inner.config.consume_fuel {
            return Err(Error::Call(
                "fuel metering is not enabled in the engine's Config".into(),
            ));
        }
        self.inner.fuel = fuel;
        Ok(())
    }

    /// The fuel left (fuel metering must be on).
    pub fn get_fuel(&self) -> Result<u64, Error> {
        if !self.engine.inner.config.consume_fuel {
            return Err(Error::Call(
                "fuel metering is not enabled in the engine's Config".into(),
            ));
        }
        Ok(self.inner.fuel)
    }

    /// Sets the limits on memories, tables, instances and the call stack.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.inner.limits = limits;
    }
}
