//! Configuration, engines and compiled modules.

use crate::prelude::*;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use spindle_decode::{GlobalType, MemoryType, TableType};
use spindle_exec::{CompiledModule, Dispatch, ExportKind, ImportDesc, Translation, TypeRegistry};
use spindle_validate::Features;

use crate::error::from_exec;
use crate::{FuncType, Result};

/// How modules are compiled and run; wasmtime's builder shape
/// (`Config::new().consume_fuel(true)`).
///
/// ```
/// use spindle::{Config, Engine, Translation};
/// let mut config = Config::new();
/// config.consume_fuel(true).epoch_interruption(true).translation(Translation::Lazy);
/// let engine = Engine::new(&config)?;
/// assert!(engine.config().fuel_enabled());
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub(crate) features: Features,
    pub(crate) translation: Translation,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) dispatch: Dispatch,
    pub(crate) canonicalize_nans: bool,
    /// Bodies validated and translated on the calling thread only (see
    /// [`Config::parallel_compilation`]).
    pub(crate) sequential_compilation: bool,
}

macro_rules! feature_switches {
    ($($(#[$doc:meta])* $method:ident => $field:ident,)*) => {
        impl Config {
            $(
                $(#[$doc])*
                pub fn $method(&mut self, enable: bool) -> &mut Self {
                    self.features.$field = enable;
                    self
                }
            )*
        }
    };
}

feature_switches! {
    /// SIMD (`v128`), on by default.
    wasm_simd => simd,
    /// Relaxed SIMD, on by default (run in its deterministic profile).
    wasm_relaxed_simd => relaxed_simd,
    /// Tail calls, on by default.
    wasm_tail_call => tail_call,
    /// Typed function references, on by default.
    wasm_function_references => function_references,
    /// Garbage-collected structs and arrays, on by default.
    wasm_gc => gc,
    /// Exception handling, on by default.
    wasm_exceptions => exceptions,
    /// 64-bit memories and tables, on by default.
    wasm_memory64 => memory64,
    /// Several memories per module, on by default.
    wasm_multi_memory => multi_memory,
    /// Multiple results and block parameters, on by default.
    wasm_multi_value => multi_value,
    /// Bulk memory operations, on by default.
    wasm_bulk_memory => bulk_memory,
    /// Reference types, on by default.
    wasm_reference_types => reference_types,
    /// Extended constant expressions, on by default.
    wasm_extended_const => extended_const,
    /// Shared memories and atomics (one thread per store), off by default.
    wasm_threads => threads,
    /// Memories with a custom page size, off by default.
    wasm_custom_page_sizes => custom_page_sizes,
    /// 128-bit arithmetic, off by default.
    wasm_wide_arithmetic => wide_arithmetic,
}

impl Config {
    /// The default configuration: WebAssembly 3.0, eager translation, no fuel, no epochs,
    /// the fastest dispatch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every proposal switch at once.
    pub fn features(&mut self, features: Features) -> &mut Self {
        self.features = features;
        self
    }

    /// Translate function bodies when the module is created ([`Translation::Eager`], the
    /// default) or on their first call ([`Translation::Lazy`]; bodies are still validated
    /// up front), or validate and translate each on its first call
    /// ([`Translation::LazyUnchecked`]: an invalid body is reported at that call).
    pub fn translation(&mut self, translation: Translation) -> &mut Self {
        self.translation = translation;
        self
    }

    /// Meter fuel: every function entry and loop iteration charges the operators it runs;
    /// a call that runs out traps with [`Trap::OutOfFuel`](crate::Trap::OutOfFuel) (or
    /// suspends, when resumable). Costs nothing when off.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.consume_fuel = enable;
        self
    }

    /// Make every NaN that float arithmetic produces the canonical one (positive, quiet,
    /// no payload), where the specification lets implementations differ: the results of
    /// `add`, `sub`, `mul`, `div`, `sqrt`, rounding, `promote`/`demote` and their SIMD
    /// forms, and relaxed SIMD's fused and min/max operators (see
    /// `spindle_ir::Opcode::nan_canonicalization`). Off by default; costs one instruction
    /// after each such operator when on. wasmtime's `cranelift_nan_canonicalization`.
    pub fn nan_canonicalization(&mut self, enable: bool) -> &mut Self {
        self.canonicalize_nans = enable;
        self
    }

    /// Deterministic execution, for replay and consensus: the same module, inputs and
    /// host calls give bit-identical results, memories and fuel on any machine. It turns
    /// on [`Config::nan_canonicalization`]; the rest holds in every mode: relaxed SIMD
    /// runs in its deterministic profile, fuel is counted per operator (exact, whatever
    /// the dispatch or translation mode), and the runtime itself draws no randomness and
    /// reads no clock (WASI's clocks and randomness are the host's: `spindle-wasi`'s
    /// `WasiCtxBuilder::deterministic` fixes them).
    pub fn deterministic(&mut self, enable: bool) -> &mut Self {
        self.nan_canonicalization(enable)
    }

    /// Whether NaN results are canonicalised.
    pub fn nan_canonicalization_enabled(&self) -> bool {
        self.canonicalize_nans
    }

    /// Check the engine's epoch at every function entry and loop iteration: a store whose
    /// deadline ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)) has
    /// passed stops with [`Trap::Interrupt`](crate::Trap::Interrupt) or runs its
    /// callback. [`Engine::increment_epoch`] is the clock, called from any thread. Nothing
    /// is emitted when off.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.epoch_interruption = enable;
        self
    }

    /// The interpreter's dispatch backend (default: the fastest this target and build
    /// support). Both give the same results; asking for [`Dispatch::Threaded`] where it is
    /// not available runs [`Dispatch::Loop`] (see [`Engine::dispatch`]).
    pub fn dispatch(&mut self, dispatch: Dispatch) -> &mut Self {
        self.dispatch = dispatch;
        self
    }

    /// Share a big module's function bodies (validation and eager translation) between
    /// the machine's cores while it is created; on by default (wasmtime's
    /// `parallel_compilation`). The module is the same either way, and so is the error an
    /// invalid one gets (the first invalid body's). Only modules with at least 64 KiB of
    /// code per thread use more than one; without the `parallel-compilation` cargo feature
    /// (default; it needs `std`) everything runs on the calling thread.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Self {
        self.sequential_compilation = !enable;
        self
    }

    /// How many threads may compile a module's bodies (`usize::MAX`: one per core).
    fn compile_threads(&self) -> usize {
        if self.sequential_compilation {
            1
        } else {
            usize::MAX
        }
    }

    /// The proposals modules may use.
    pub fn get_features(&self) -> &Features {
        &self.features
    }

    /// What translated code checks and canonicalises.
    fn code_options(&self) -> spindle_exec::CodeOptions {
        spindle_exec::CodeOptions {
            fuel: self.consume_fuel,
            epoch: self.epoch_interruption,
            canonicalize_nans: self.canonicalize_nans,
            dispatch: self.dispatch,
        }
    }

    /// Whether fuel is metered.
    pub fn fuel_enabled(&self) -> bool {
        self.consume_fuel
    }

    /// Whether epochs are checked.
    pub fn epoch_enabled(&self) -> bool {
        self.epoch_interruption
    }

    /// The translation mode.
    pub fn get_translation(&self) -> Translation {
        self.translation
    }
}

struct EngineInner {
    config: Config,
    registry: Arc<TypeRegistry>,
    /// The epoch clock every store of the engine reads (see [`Engine::increment_epoch`]).
    epoch: Arc<AtomicU64>,
}

/// Compiles modules and owns what they share: configuration, types, the epoch clock.
/// Cheap to clone, `Send + Sync`.
///
/// ```
/// use spindle::{Config, Engine};
/// let engine = Engine::new(Config::new().consume_fuel(true))?;
/// let for_another_thread = engine.clone();
/// std::thread::spawn(move || for_another_thread.increment_epoch()).join().unwrap();
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::from_config(&Config::default())
    }
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A handle to an [`Engine`] that does not keep it alive (wasmtime's `EngineWeak`): for
/// threads that serve an engine while it is used, such as an epoch ticker.
#[derive(Clone)]
pub struct EngineWeak {
    inner: alloc::sync::Weak<EngineInner>,
}

impl EngineWeak {
    /// The engine, if something still holds it.
    pub fn upgrade(&self) -> Option<Engine> {
        self.inner.upgrade().map(|inner| Engine { inner })
    }
}

impl Engine {
    /// A weak handle to this engine.
    pub fn weak(&self) -> EngineWeak {
        EngineWeak {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// An engine with `config` (every configuration is accepted; the `Result` is
    /// wasmtime's shape).
    pub fn new(config: &Config) -> Result<Self> {
        Ok(Self::from_config(config))
    }

    fn from_config(config: &Config) -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                registry: Arc::default(),
                epoch: Arc::new(AtomicU64::new(0)),
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
    /// let engine = Engine::new(Config::new().dispatch(Dispatch::Loop))?;
    /// assert_eq!(engine.dispatch(), Dispatch::Loop);
    /// # Ok::<(), spindle::Error>(())
    /// ```
    pub fn dispatch(&self) -> Dispatch {
        spindle_exec::effective_dispatch(self.inner.config.dispatch)
    }

    /// Advances the epoch clock by one; callable from any thread (a signal handler's
    /// worth of work: one atomic add). Stores whose deadline it reaches stop at their next
    /// function entry or loop iteration.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// The epoch clock's current value.
    pub fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Relaxed)
    }

    /// Whether two handles are the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn registry(&self) -> &Arc<TypeRegistry> {
        &self.inner.registry
    }

    /// Connects a new store to the engine's epoch clock.
    pub(crate) fn attach(&self, store: &mut spindle_exec::Store) {
        store.set_epoch_counter(self.inner.epoch.clone());
    }
}

/// A validated and translated module, ready to instantiate any number of times, in any
/// store of its engine. Cheap to clone, `Send + Sync`.
///
/// ```
/// use spindle::{Engine, ExternType, Module};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "env" "log" (func (param i32 i32)))
///     (memory (export "memory") 1))"#)?;
/// let import = module.imports().next().unwrap();
/// assert_eq!((import.module(), import.name()), ("env", "log"));
/// assert!(matches!(module.get_export("memory"), Some(ExternType::Memory(_))));
/// # Ok::<(), spindle::Error>(())
/// ```
#[derive(Clone)]
pub struct Module {
    pub(crate) engine: Engine,
    pub(crate) inner: Arc<CompiledModule>,
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

impl ExternType {
    /// The function type, if this is a function.
    pub fn func(&self) -> Option<&FuncType> {
        match self {
            ExternType::Func(t) => Some(t),
            _ => None,
        }
    }
    /// The memory type, if this is a memory.
    pub fn memory(&self) -> Option<&MemoryType> {
        match self {
            ExternType::Memory(t) => Some(t),
            _ => None,
        }
    }
    /// The table type, if this is a table.
    pub fn table(&self) -> Option<&TableType> {
        match self {
            ExternType::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The global type, if this is a global.
    pub fn global(&self) -> Option<&GlobalType> {
        match self {
            ExternType::Global(t) => Some(t),
            _ => None,
        }
    }
}

impl core::fmt::Display for ExternType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "func {t}"),
            ExternType::Table(t) => write!(f, "table {t:?}"),
            ExternType::Memory(t) => write!(f, "memory {t:?}"),
            ExternType::Global(t) => write!(f, "global {t:?}"),
            ExternType::Tag(t) => write!(f, "tag {t}"),
        }
    }
}

/// An import of a module: where it comes from and what it must be.
#[derive(Clone, Debug)]
pub struct ImportType<'m> {
    module: &'m str,
    name: &'m str,
    ty: ExternType,
}

impl<'m> ImportType<'m> {
    /// The module name.
    pub fn module(&self) -> &'m str {
        self.module
    }
    /// The field name.
    pub fn name(&self) -> &'m str {
        self.name
    }
    /// What it must be.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// An export of a module.
#[derive(Clone, Debug)]
pub struct ExportType<'m> {
    name: &'m str,
    ty: ExternType,
}

impl<'m> ExportType<'m> {
    /// The export's name.
    pub fn name(&self) -> &'m str {
        self.name
    }
    /// What it is.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

impl Module {
    /// Decodes, validates and translates a module: binary, or (with the `wat` feature, on
    /// by default) the text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            if let Ok(text) = core::str::from_utf8(bytes) {
                return Module::from_wat(engine, text);
            }
        }
        Module::from_binary(engine, bytes)
    }

    /// Decodes, validates and translates a binary module.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Module::compile_with(engine, |registry, config| {
            spindle_exec::compile(
                registry,
                &config.features,
                config.translation,
                config.code_options(),
                config.compile_threads(),
                bytes,
            )
        })
    }

    /// Checks that `bytes` are a valid binary module for `engine`'s features, without
    /// translating it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        spindle_validate::validate(bytes, &engine.config().features)
            .map_err(|e| anyhow::Error::new(crate::EngineError::Validate(e)))
    }

    /// Runs `compile` with the engine's type registry and configuration.
    fn compile_with(
        engine: &Engine,
        compile: impl FnOnce(&TypeRegistry, &Config) -> Result<CompiledModule, spindle_exec::Error>,
    ) -> Result<Module> {
        let inner = compile(engine.registry(), engine.config()).map_err(|e| from_exec(0, e))?;
        Ok(Module {
            engine: engine.clone(),
            inner: Arc::new(inner),
        })
    }

    #[cfg(feature = "std")]
    /// Compiles a module file (binary, or text with the `wat` feature). The file is read
    /// into memory: what happens to it afterwards does not matter.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = spindle_exec::ModuleBytes::read_file(path).map_err(|e| {
            anyhow::Error::new(crate::EngineError::Io(format!("{}: {e}", path.display())))
        })?;
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let text = core::str::from_utf8(&bytes).map_err(|e| {
                anyhow::Error::new(crate::EngineError::Text(format!("{}: {e}", path.display())))
            })?;
            return Module::from_wat(engine, text);
        }
        Module::compile_with(engine, |registry, config| {
            spindle_exec::compile_bytes(
                registry,
                &config.features,
                config.translation,
                config.code_options(),
                config.compile_threads(),
                bytes,
            )
        })
    }

    /// Compiles a module in the text format (WAT).
    ///
    /// ```
    /// use spindle::{Engine, Module};
    /// let engine = Engine::default();
    /// let module = Module::from_wat(&engine, r#"(module (func (export "f")))"#)?;
    /// assert_eq!(module.exports().map(|e| e.name()).collect::<Vec<_>>(), ["f"]);
    /// # Ok::<(), spindle::Error>(())
    /// ```
    #[cfg(feature = "wat")]
    pub fn from_wat(engine: &Engine, text: &str) -> Result<Module> {
        let encode = || -> Result<Vec<u8>, wast::Error> {
            let buffer = wast::parser::ParseBuffer::new(text)?;
            let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer)?;
            wat.encode()
        };
        let bytes =
            encode().map_err(|e| anyhow::Error::new(crate::EngineError::Text(e.to_string())))?;
        Module::from_binary(engine, &bytes)
    }

    /// The engine the module belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The type of an import description, engine ids resolved.
    fn import_type(&self, desc: &ImportDesc) -> ExternType {
        let registry = self.engine.registry();
        match desc {
            ImportDesc::Func(t) | ImportDesc::FuncExact(t) => ExternType::Func(registry.get(*t)),
            ImportDesc::Table(t) => ExternType::Table(*t),
            ImportDesc::Memory(m) => ExternType::Memory(*m),
            ImportDesc::Global(g) => ExternType::Global(*g),
            ImportDesc::Tag(t) => ExternType::Tag(registry.get(*t)),
        }
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> + '_ {
        self.inner.imports.iter().map(move |i| ImportType {
            module: &i.module,
            name: &i.name,
            ty: self.import_type(&i.desc),
        })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> + '_ {
        self.inner
            .exports
            .iter()
            .map(move |(name, kind, index)| ExportType {
                name,
                ty: self.entity_type(*kind, *index),
            })
    }

    /// The type of the export called `name`.
    pub fn get_export(&self, name: &str) -> Option<ExternType> {
        self.exports().find(|e| e.name() == name).map(|e| e.ty())
    }

    /// The names of the module's exports.
    pub fn export_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.inner.exports.iter().map(|(n, _, _)| n.as_str())
    }

    /// The type of entity `index` of `kind` in the module's index spaces (imports first).
    fn entity_type(&self, kind: ExportKind, index: u32) -> ExternType {
        let m = &self.inner;
        let registry = self.engine.registry();
        let index = index as usize;
        // The `index`-th import of this kind, or the definition after the imports.
        let imported = |wanted: fn(&ImportDesc) -> bool| {
            m.imports
                .iter()
                .filter(|i| wanted(&i.desc))
                .nth(index)
                .map(|i| self.import_type(&i.desc))
        };
        match kind {
            ExportKind::Func => ExternType::Func(registry.get(m.func_types[index])),
            ExportKind::Table => {
                imported(|d| matches!(d, ImportDesc::Table(_))).unwrap_or_else(|| {
                    ExternType::Table(m.tables[index - m.num_imported_tables as usize].0)
                })
            }
            ExportKind::Memory => {
                imported(|d| matches!(d, ImportDesc::Memory(_))).unwrap_or_else(|| {
                    ExternType::Memory(m.memories[index - m.num_imported_memories as usize])
                })
            }
            ExportKind::Global => {
                imported(|d| matches!(d, ImportDesc::Global(_))).unwrap_or_else(|| {
                    ExternType::Global(m.globals[index - m.num_imported_globals as usize].0)
                })
            }
            ExportKind::Tag => imported(|d| matches!(d, ImportDesc::Tag(_))).unwrap_or_else(|| {
                let imported_tags = m
                    .imports
                    .iter()
                    .filter(|i| matches!(i.desc, ImportDesc::Tag(_)))
                    .count();
                ExternType::Tag(registry.get(m.tags[index - imported_tags]))
            }),
        }
    }

    /// The register bytecode of every defined function, one block per function (translating
    /// lazy functions now). For `spindle inspect --ir`.
    ///
    /// Only an engine with [`Dispatch::Loop`] keeps the opcodes in the code: threaded code
    /// holds each instruction's handler address instead (one load and one jump per
    /// dispatch), and the compiler may share one handler between several opcodes. For such
    /// a module each function's block says so instead of listing its instructions; the
    /// bytecode is the same under both backends.
    pub fn disassemble(&self) -> String {
        use core::fmt::Write as _;
        let m = &self.inner;
        let mut out = String::new();
        for i in 0..m.funcs.len() {
            let index = m.num_imported_funcs as usize + i;
            let ty = self.engine.registry().get(m.func_types[index]);
            let _ = writeln!(out, "func {index} {:?} -> {:?}", ty.params, ty.results);
            match m.code_ref(i) {
                Ok(code) => {
                    let _ = writeln!(
                        out,
                        "  ; {} registers: {} params, {} locals, {} zeroed at entry",
                        code.frame_size, code.params, code.locals, code.zeroed
                    );
                    match code.instrs() {
                        Some(instrs) => {
                            for (at, instr) in instrs.enumerate() {
                                let _ = writeln!(out, "  {at:4}: {instr}");
                            }
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "  ; encoded for threaded dispatch (handler addresses, no \
                                 opcodes): disassemble with `Config::dispatch(Dispatch::Loop)`"
                            );
                        }
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "  ; not translated: {e}");
                }
            }
        }
        out
    }
}
