//! Execution: the store a script runs in, the `spectest` host module, and how the script's
//! arguments are made and its expected results compared.

use std::collections::HashMap;
use std::fmt;

use spindle::{
    AnyRef, Config, Engine, EngineError, Error, Features, GcKind, Global, GlobalType, Instance,
    Limits, Linker, Memory, MemoryType, Module, RefType, Store, Table, TableType, Trap, Val,
    ValType,
};
use spindle_decode::{AbstractHeapType, HeapType};
use wast::core::{
    AbstractHeapType as WastAbstract, HeapType as WastHeap, NanPattern, V128Pattern, WastArgCore,
    WastRetCore,
};
use wast::token::{Id, F32, F64};
use wast::{WastArg, WastRet};

/// How the translator says that a module needs a feature it does not have yet.
pub const UNSUPPORTED_MARKER: &str = "not supported by the translator yet: ";

/// Why an execution step did not give values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// The module needs a feature the translator does not support yet (or the step needs
    /// a value Spindle cannot represent yet): what.
    Unsupported(String),
    /// Execution trapped (a call, or a start function or segment at instantiation): the
    /// trap's message.
    Trap(String),
    /// Instantiation failed to link: the message.
    Link(String),
    /// Anything else (no such module or export, compilation failed, a panic, ...).
    Other(String),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Unsupported(why) => write!(f, "unsupported: {why}"),
            ExecError::Trap(m) => write!(f, "trap: {m}"),
            ExecError::Link(m) => write!(f, "link error: {m}"),
            ExecError::Other(m) => f.write_str(m),
        }
    }
}

/// What the translator cannot do yet, when `e` is its "not supported" error: the text
/// after the marker, without the position.
pub fn unsupported_reason(e: &Error) -> Option<String> {
    let text = e.to_string();
    let at = text.find(UNSUPPORTED_MARKER)?;
    let what = &text[at + UNSUPPORTED_MARKER.len()..];
    let what = what.split(" (").next().unwrap_or(what);
    Some(what.trim().to_string())
}

fn exec_error(e: Error) -> ExecError {
    if let Some(code) = e.downcast_ref::<Trap>() {
        return ExecError::Trap(code.message().to_string());
    }
    match e.downcast_ref::<EngineError>() {
        Some(EngineError::Link(m)) => ExecError::Link(m.clone()),
        _ => ExecError::Other(format!("{e:#}")),
    }
}

/// Defines the `spectest` module of the spec interpreter in `linker`: `print*` functions
/// (which print their arguments, as `42 : i32`, when `print` is set, else do nothing),
/// `global_i32`/`global_i64` = 666, `global_f32`/`global_f64` = 666.6, `table` (10..20
/// funcref) and `table64` (the same, i64-indexed), `memory` (1..2 pages) and, as the
/// threads proposal's tests want,
/// `shared_memory` (1..2 pages, shared).
pub fn define_spectest<T: 'static>(
    store: &mut Store<T>,
    linker: &mut Linker<T>,
    print: bool,
) -> Result<(), Error> {
    let m = "spectest";
    linker.func_wrap(m, "print", || {})?;
    linker.func_wrap(m, "print_i32", move |x: i32| {
        if print {
            println!("{x} : i32");
        }
    })?;
    linker.func_wrap(m, "print_i64", move |x: i64| {
        if print {
            println!("{x} : i64");
        }
    })?;
    linker.func_wrap(m, "print_f32", move |x: f32| {
        if print {
            println!("{x} : f32");
        }
    })?;
    linker.func_wrap(m, "print_f64", move |x: f64| {
        if print {
            println!("{x} : f64");
        }
    })?;
    linker.func_wrap(m, "print_i32_f32", move |x: i32, y: f32| {
        if print {
            println!("{x} : i32");
            println!("{y} : f32");
        }
    })?;
    linker.func_wrap(m, "print_f64_f64", move |x: f64, y: f64| {
        if print {
            println!("{x} : f64");
            println!("{y} : f64");
        }
    })?;
    let constant = |content| GlobalType {
        content,
        mutable: false,
        shared: false,
    };
    for (name, ty, value) in [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ] {
        let g = Global::new(&mut *store, constant(ty), value).expect("spectest global of its type");
        linker.define(&*store, m, name, g)?;
    }
    // `table` (i32-indexed) and, as the newest memory64 tests import, `table64`.
    for (name, table64) in [("table", false), ("table64", true)] {
        let table = Table::new(
            &mut *store,
            TableType {
                element: RefType::FUNCREF,
                table64,
                shared: false,
                limits: Limits {
                    initial: 10,
                    maximum: Some(20),
                },
            },
            Val::FuncRef(None),
        )?;
        linker.define(&*store, m, name, table)?;
    }
    for (name, shared) in [("memory", false), ("shared_memory", true)] {
        let ty = MemoryType {
            memory64: false,
            shared,
            limits: Limits {
                initial: 1,
                maximum: Some(2),
            },
            page_size_log2: None,
        };
        if shared {
            let memory = spindle::SharedMemory::new(store.engine(), ty)?;
            linker.define(&*store, m, name, memory)?;
        } else {
            let memory = Memory::new(&mut *store, ty)?;
            linker.define(&*store, m, name, memory)?;
        }
    }
    Ok(())
}

/// What a module name (or the current module) stands for.
#[derive(Clone, Debug)]
enum Target {
    Ready(Instance),
    /// Its module needs what the translator does not support yet: what.
    Unsupported(String),
    /// It has no instance (rejected, not compiled, not linked or trapped): why.
    Broken(String),
}

/// A `module definition`, compiled.
#[derive(Clone)]
enum Definition {
    Ready(Module),
    /// The translator cannot take it: what it lacks, and the module names it imports from.
    Unsupported {
        what: String,
        imports_from: Vec<String>,
    },
    Broken(String),
}

/// One script's store: its instances, their names and registrations.
pub struct Session {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    current: Option<Target>,
    named: HashMap<String, Target>,
    definitions: HashMap<String, Definition>,
    last_definition: Option<Definition>,
    /// Names registered for modules the translator could not take: importing from one of
    /// them is unsupported too (not a link failure).
    poisoned: HashMap<String, String>,
    /// The instance registered under each name.
    registered: HashMap<String, Instance>,
    /// Instances that a module the translator could not take imports from: that module
    /// would have changed their state, so what runs on them afterwards is unsupported too.
    tainted: Vec<(Instance, String)>,
}

/// How sessions translate and dispatch (process-wide; set by the test binaries that run the
/// suites in other modes).
static MODE: std::sync::Mutex<(spindle::Translation, spindle::Dispatch)> =
    std::sync::Mutex::new((spindle::Translation::Eager, spindle::Dispatch::Threaded));

/// Makes every later session use `translation` and `dispatch` (by default: eager, and
/// threaded dispatch where available).
pub fn set_mode(translation: spindle::Translation, dispatch: spindle::Dispatch) {
    *MODE.lock().unwrap_or_else(|e| e.into_inner()) = (translation, dispatch);
}

/// Whether sessions compile fuel and epoch checks in (with fuel and a deadline no script
/// reaches) and run in deterministic mode (canonical NaNs): none of it may change what a
/// script can see (the suite asserts arithmetic NaNs as `nan:canonical` or
/// `nan:arithmetic`, which the canonical NaN is, and bit-exact operators keep their bits).
static CHECKS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes every later session compile fuel and epoch checks in, or not.
pub fn set_checks(on: bool) {
    CHECKS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The mode sessions use now.
pub fn mode() -> (spindle::Translation, spindle::Dispatch) {
    *MODE.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    /// A fresh store with `spectest` defined.
    pub fn new(features: &Features) -> Session {
        // Eager translation by default: a module the translator cannot take is known at
        // creation. `set_mode` runs the same scripts in the other modes.
        let (translation, dispatch) = mode();
        let checks = CHECKS.load(std::sync::atomic::Ordering::Relaxed);
        let engine = Engine::new(
            Config::new()
                .features(*features)
                .translation(translation)
                .dispatch(dispatch)
                .consume_fuel(checks)
                .epoch_interruption(checks)
                .deterministic(checks),
        )
        .expect("every configuration is accepted");
        let mut store = Store::new(&engine, ());
        if checks {
            store.set_fuel(u64::MAX / 2).expect("fuel is on");
            store.set_epoch_deadline(u64::MAX / 2);
        }
        let mut linker = Linker::new(&engine);
        // `register` may name a module again: the later one wins, as in the reference
        // interpreter.
        linker.allow_shadowing(true);
        define_spectest(&mut store, &mut linker, false).expect("spectest's memory and table");
        Session {
            engine,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            poisoned: HashMap::new(),
            registered: HashMap::new(),
            tainted: Vec::new(),
        }
    }

    fn compile(&self, bytes: &[u8]) -> Definition {
        let unsupported = |what: String| Definition::Unsupported {
            what,
            imports_from: spindle_decode::Module::parse(bytes)
                .map(|m| m.imports.iter().map(|i| i.module.to_string()).collect())
                .unwrap_or_default(),
        };
        match Module::new(&self.engine, bytes) {
            Ok(m) => Definition::Ready(m),
            Err(e) => match unsupported_reason(&e) {
                Some(what) => unsupported(what),
                None => Definition::Broken(format!("cannot compile a valid module: {e}")),
            },
        }
    }

    /// Instantiates `def`. `may_write`: if it cannot be run, the instances it imports from
    /// may have been changed by it (its segments and start function).
    fn instantiate(&mut self, def: &Definition, may_write: bool) -> Result<Instance, ExecError> {
        let module = match def {
            Definition::Ready(m) => m,
            Definition::Unsupported { what, imports_from } => {
                if may_write {
                    for from in imports_from {
                        if let Some(i) = self.registered.get(from) {
                            self.tainted.push((*i, what.clone()));
                        }
                    }
                }
                return Err(ExecError::Unsupported(what.clone()));
            }
            Definition::Broken(why) => return Err(ExecError::Other(why.clone())),
        };
        for from in module.imports().map(|i| i.module()) {
            if let Some(what) = self.poisoned.get(from) {
                return Err(ExecError::Unsupported(what.clone()));
            }
        }
        self.linker
            .instantiate(&mut self.store, module)
            .map_err(exec_error)
    }

    fn set_current(&mut self, name: Option<Id<'_>>, target: Target) {
        if let Some(name) = name {
            self.named.insert(name.name().to_string(), target.clone());
        }
        self.current = Some(target);
    }

    /// `(module ...)` that validated: compiles and instantiates it; it becomes the current
    /// module (and `name`'s).
    pub fn module(&mut self, name: Option<Id<'_>>, bytes: &[u8]) -> Result<(), ExecError> {
        let def = self.compile(bytes);
        let result = self.instantiate(&def, true);
        let target = match &result {
            Ok(i) => Target::Ready(*i),
            Err(ExecError::Unsupported(what)) => Target::Unsupported(what.clone()),
            Err(e) => Target::Broken(format!("its instantiation failed: {e}")),
        };
        self.set_current(name, target);
        result.map(drop)
    }

    /// A `(module ...)` that was not checked or not accepted: directives on it fail.
    pub fn module_not_accepted(&mut self, name: Option<Id<'_>>, why: String) {
        self.set_current(name, Target::Broken(why));
    }

    /// `(module definition ...)` that validated: compiles it. `Err` when it cannot be
    /// compiled.
    pub fn define(&mut self, name: Option<Id<'_>>, bytes: &[u8]) -> Result<(), ExecError> {
        let def = self.compile(bytes);
        let result = match &def {
            Definition::Ready(_) => Ok(()),
            Definition::Unsupported { what, .. } => Err(ExecError::Unsupported(what.clone())),
            Definition::Broken(why) => Err(ExecError::Other(why.clone())),
        };
        self.set_definition(name, def);
        result
    }

    /// A `(module definition ...)` that was not accepted.
    pub fn definition_not_accepted(&mut self, name: Option<Id<'_>>, why: String) {
        self.set_definition(name, Definition::Broken(why));
    }

    fn set_definition(&mut self, name: Option<Id<'_>>, def: Definition) {
        if let Some(name) = name {
            self.definitions
                .insert(name.name().to_string(), def.clone());
        }
        self.last_definition = Some(def);
    }

    /// `(module instance $I $M)`: instantiates definition `$M` (or the last one).
    pub fn module_instance(
        &mut self,
        instance: Option<Id<'_>>,
        module: Option<Id<'_>>,
    ) -> Result<(), ExecError> {
        let def = match module {
            Some(m) => self.definitions.get(m.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let Some(def) = def else {
            let what = module.map_or("no module definition".to_string(), |m| {
                format!("no module definition ${}", m.name())
            });
            self.set_current(instance, Target::Broken(what.clone()));
            return Err(ExecError::Other(what));
        };
        let result = self.instantiate(&def, true);
        let target = match &result {
            Ok(i) => Target::Ready(*i),
            Err(ExecError::Unsupported(what)) => Target::Unsupported(what.clone()),
            Err(e) => Target::Broken(format!("its instantiation failed: {e}")),
        };
        self.set_current(instance, target);
        result.map(drop)
    }

    /// Compiles and instantiates a module that does not become current
    /// (`assert_unlinkable`, `assert_trap (module ...)`). `may_write`: whether it is
    /// expected to get as far as changing the state of what it imports.
    pub fn instantiate_only(&mut self, bytes: &[u8], may_write: bool) -> Result<(), ExecError> {
        let def = self.compile(bytes);
        self.instantiate(&def, may_write).map(drop)
    }

    fn target(&self, module: Option<Id<'_>>) -> Result<Instance, ExecError> {
        let target = match module {
            Some(name) => self
                .named
                .get(name.name())
                .ok_or_else(|| ExecError::Other(format!("no module named ${}", name.name())))?,
            None => self
                .current
                .as_ref()
                .ok_or_else(|| ExecError::Other("no module instantiated yet".into()))?,
        };
        match target {
            Target::Ready(i) => match self.tainted.iter().find(|(t, _)| t == i) {
                Some((_, what)) => Err(ExecError::Unsupported(what.clone())),
                None => Ok(*i),
            },
            Target::Unsupported(what) => Err(ExecError::Unsupported(what.clone())),
            Target::Broken(why) => Err(ExecError::Other(format!("no instance: {why}"))),
        }
    }

    /// `(register "name" $M)`.
    pub fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Result<(), ExecError> {
        match self.target(module) {
            Ok(instance) => {
                self.poisoned.remove(name);
                self.registered.insert(name.to_string(), instance);
                self.linker
                    .instance(&self.store, name, instance)
                    .expect("an instance of this store");
                Ok(())
            }
            Err(ExecError::Unsupported(what)) => {
                self.poisoned.insert(name.to_string(), what.clone());
                Err(ExecError::Unsupported(what))
            }
            Err(e) => Err(e),
        }
    }

    /// `(invoke $M "name" args...)`: the results.
    pub fn invoke(
        &mut self,
        module: Option<Id<'_>>,
        name: &str,
        args: &[WastArg<'_>],
    ) -> Result<Vec<Val>, ExecError> {
        let instance = self.target(module)?;
        let func = instance
            .get_func(&self.store, name)
            .ok_or_else(|| ExecError::Other(format!("no exported function {name:?}")))?;
        let ty = func.ty(&self.store);
        if ty.params.len() != args.len() {
            return Err(ExecError::Other(format!(
                "{name:?} takes {} arguments, the script gives {}",
                ty.params.len(),
                args.len()
            )));
        }
        let params = args
            .iter()
            .zip(&ty.params)
            .map(|(a, t)| arg_val(a, *t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut results = vec![Val::I32(0); ty.results.len()];
        // Lazily translated code meets what the translator cannot do yet at its first call.
        func.call(&mut self.store, &params, &mut results).map_err(
            |e| match unsupported_reason(&e) {
                Some(what) => ExecError::Unsupported(what),
                None => exec_error(e),
            },
        )?;
        Ok(results)
    }

    /// `(get $M "name")`: the global's value.
    pub fn get(&mut self, module: Option<Id<'_>>, name: &str) -> Result<Vec<Val>, ExecError> {
        let instance = self.target(module)?;
        let global = instance
            .get_global(&self.store, name)
            .ok_or_else(|| ExecError::Other(format!("no exported global {name:?}")))?;
        Ok(vec![global.get(&self.store)])
    }
}

/// The reference hierarchies Spindle has values for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RefKind {
    Func,
    Extern,
    Exn,
    Any,
}

/// Which reference hierarchy a heap type belongs to, if Spindle has values for it.
fn ref_kind(heap: HeapType) -> Option<RefKind> {
    match heap {
        HeapType::Abstract(AbstractHeapType::Func | AbstractHeapType::NoFunc) => {
            Some(RefKind::Func)
        }
        HeapType::Abstract(AbstractHeapType::Extern | AbstractHeapType::NoExtern) => {
            Some(RefKind::Extern)
        }
        HeapType::Abstract(AbstractHeapType::Exn | AbstractHeapType::NoExn) => Some(RefKind::Exn),
        // A concrete heap type's null: every null is the same bits; the store accepts a
        // function reference's null for any concrete type.
        HeapType::Concrete(_) | HeapType::Exact(_) => Some(RefKind::Func),
        HeapType::Abstract(_) => Some(RefKind::Any),
    }
}

fn wast_ref_kind(heap: &WastHeap<'_>) -> Option<RefKind> {
    match heap {
        WastHeap::Abstract {
            ty: WastAbstract::Func | WastAbstract::NoFunc,
            ..
        } => Some(RefKind::Func),
        WastHeap::Abstract {
            ty: WastAbstract::Extern | WastAbstract::NoExtern,
            ..
        } => Some(RefKind::Extern),
        WastHeap::Abstract {
            ty: WastAbstract::Exn | WastAbstract::NoExn,
            ..
        } => Some(RefKind::Exn),
        WastHeap::Concrete(_) | WastHeap::Exact(_) => Some(RefKind::Func),
        WastHeap::Abstract {
            ty:
                WastAbstract::Any
                | WastAbstract::Eq
                | WastAbstract::I31
                | WastAbstract::Struct
                | WastAbstract::Array
                | WastAbstract::None,
            ..
        } => Some(RefKind::Any),
        WastHeap::Abstract { .. } => None,
    }
}

/// The null of reference kind `kind`.
fn null_of(kind: RefKind) -> Val {
    match kind {
        RefKind::Func => Val::FuncRef(None),
        RefKind::Extern => Val::ExternRef(None),
        RefKind::Exn => Val::ExnRef(None),
        RefKind::Any => Val::AnyRef(None),
    }
}

/// The proposal a reference value of `heap` belongs to, for the ones Spindle has no
/// values for yet.
fn heap_proposal(heap: &WastHeap<'_>) -> &'static str {
    match heap {
        WastHeap::Abstract {
            ty: WastAbstract::Exn | WastAbstract::NoExn,
            ..
        } => "exceptions",
        WastHeap::Abstract {
            ty: WastAbstract::Cont | WastAbstract::NoCont,
            ..
        } => "stack switching",
        _ => "GC",
    }
}

/// The script's argument as a value of the parameter type `ty`.
fn arg_val(arg: &WastArg<'_>, ty: ValType) -> Result<Val, ExecError> {
    let WastArg::Core(arg) = arg else {
        return Err(ExecError::Unsupported("component-model argument".into()));
    };
    Ok(match arg {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::V128(x) => Val::V128(u128::from_le_bytes(x.to_le_bytes())),
        WastArgCore::RefNull(heap) => {
            let kind = match ty {
                ValType::Ref(r) => ref_kind(r.heap),
                _ => wast_ref_kind(heap),
            };
            match kind {
                Some(kind) => null_of(kind),
                None => return Err(ExecError::Unsupported(heap_proposal(heap).into())),
            }
        }
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n)),
        WastArgCore::RefHost(n) => Val::AnyRef(Some(AnyRef::host(*n))),
    })
}

fn f32_matches(p: &NanPattern<F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    let lane = |i: usize, n: usize| -> u64 {
        let mut x = 0u64;
        for k in (0..n).rev() {
            x = (x << 8) | u64::from(b[i * n + k]);
        }
        x
    };
    match p {
        V128Pattern::I8x16(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 1) as u8 == *x as u8),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 2) as u16 == *x as u16),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 4) as u32 == *x as u32),
        V128Pattern::I64x2(l) => l.iter().enumerate().all(|(i, x)| lane(i, 8) == *x as u64),
        V128Pattern::F32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, lane(i, 4) as u32)),
        V128Pattern::F64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, lane(i, 8))),
    }
}

/// Whether `actual` is what `expected` allows; `Err` when the expectation is of a kind
/// Spindle has no values for yet (GC and host references).
pub fn result_matches(expected: &WastRet<'_>, actual: &Val) -> Result<bool, ExecError> {
    let WastRet::Core(expected) = expected else {
        return Err(ExecError::Unsupported("component-model result".into()));
    };
    core_matches(expected, actual)
}

fn core_matches(expected: &WastRetCore<'_>, actual: &Val) -> Result<bool, ExecError> {
    Ok(match (expected, actual) {
        (WastRetCore::I32(x), Val::I32(y)) => x == y,
        (WastRetCore::I64(x), Val::I64(y)) => x == y,
        (WastRetCore::F32(p), Val::F32(bits)) => f32_matches(p, *bits),
        (WastRetCore::F64(p), Val::F64(bits)) => f64_matches(p, *bits),
        (WastRetCore::V128(p), Val::V128(v)) => v128_matches(p, *v),
        (WastRetCore::RefNull(None), v) => {
            matches!(
                v,
                Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None)
            )
        }
        (WastRetCore::RefNull(Some(WastHeap::Concrete(_) | WastHeap::Exact(_))), v) => {
            matches!(v, Val::FuncRef(None) | Val::AnyRef(None))
        }
        (WastRetCore::RefNull(Some(heap)), v) => match wast_ref_kind(heap) {
            Some(kind) => *v == null_of(kind),
            None => return Err(ExecError::Unsupported(heap_proposal(heap).into())),
        },
        (WastRetCore::RefExtern(Some(n)), v) => *v == Val::ExternRef(Some(*n)),
        (WastRetCore::RefExtern(None), v) => {
            matches!(v, Val::ExternRef(Some(_)) | Val::AnyRef(Some(_)))
        }
        (WastRetCore::RefHost(n), v) => match v {
            Val::AnyRef(Some(r)) => r.kind() == GcKind::Host(*n),
            Val::ExternRef(Some(m)) => m == n,
            _ => false,
        },
        (WastRetCore::RefAny, v) => matches!(v, Val::AnyRef(Some(_)) | Val::ExternRef(Some(_))),
        (WastRetCore::RefEq, Val::AnyRef(Some(r))) => {
            matches!(r.kind(), GcKind::I31(_) | GcKind::Struct | GcKind::Array)
        }
        (WastRetCore::RefArray, Val::AnyRef(Some(r))) => r.kind() == GcKind::Array,
        (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => r.kind() == GcKind::Struct,
        (WastRetCore::RefI31, Val::AnyRef(Some(r))) => matches!(r.kind(), GcKind::I31(_)),
        (WastRetCore::RefFunc(_), v) => matches!(v, Val::FuncRef(Some(_))),
        (WastRetCore::Either(alternatives), v) => {
            let mut any = false;
            for alt in alternatives {
                any |= core_matches(alt, v)?;
            }
            any
        }
        (WastRetCore::RefI31Shared, _) => {
            return Err(ExecError::Unsupported("shared-everything threads".into()))
        }
        _ => false,
    })
}

fn fmt_nan<T>(p: &NanPattern<T>, value: impl Fn(&T) -> String) -> String {
    match p {
        NanPattern::CanonicalNan => "nan:canonical".into(),
        NanPattern::ArithmeticNan => "nan:arithmetic".into(),
        NanPattern::Value(v) => value(v),
    }
}

fn fmt_f32(bits: u32) -> String {
    format!("{} (0x{bits:08x})", f32::from_bits(bits))
}

fn fmt_f64(bits: u64) -> String {
    format!("{} (0x{bits:016x})", f64::from_bits(bits))
}

/// An expected result as the script would write it (roughly).
pub fn fmt_expected(expected: &WastRetCore<'_>) -> String {
    match expected {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(p) => format!("f32:{}", fmt_nan(p, |v| fmt_f32(v.bits))),
        WastRetCore::F64(p) => format!("f64:{}", fmt_nan(p, |v| fmt_f64(v.bits))),
        WastRetCore::V128(p) => format!("v128:{p:?}"),
        WastRetCore::RefNull(None) => "ref.null".into(),
        WastRetCore::RefNull(Some(h)) => format!("ref.null {h:?}"),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(alts) => {
            let alts: Vec<String> = alts.iter().map(fmt_expected).collect();
            format!("either({})", alts.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

fn fmt_expected_ret(expected: &WastRet<'_>) -> String {
    match expected {
        WastRet::Core(c) => fmt_expected(c),
        other => format!("{other:?}"),
    }
}

/// A value as the runner reports it, e.g. `i32:-1`, `f32:NaN (0x7fc00000)`.
pub fn fmt_val(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{}", fmt_f32(*b)),
        Val::F64(b) => format!("f64:{}", fmt_f64(*b)),
        Val::V128(x) => format!("v128:0x{x:032x}"),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(n)) => format!("ref.extern {n}"),
        Val::ExnRef(None) => "ref.null exn".into(),
        Val::ExnRef(Some(_)) => "ref.exn".into(),
        Val::AnyRef(None) => "ref.null any".into(),
        Val::AnyRef(Some(r)) => format!("ref.any {:?}", r.kind()),
    }
}

fn fmt_vals(vals: &[Val]) -> String {
    let vals: Vec<String> = vals.iter().map(fmt_val).collect();
    format!("[{}]", vals.join(", "))
}

/// Judges `assert_return`: `Ok(())` when `actual` are the `expected` results, else why.
pub fn check_results(expected: &[WastRet<'_>], actual: &[Val]) -> Result<(), ExecError> {
    let mismatch = || {
        let exp: Vec<String> = expected.iter().map(fmt_expected_ret).collect();
        ExecError::Other(format!(
            "returned {} but expected [{}]",
            fmt_vals(actual),
            exp.join(", ")
        ))
    };
    if expected.len() != actual.len() {
        return Err(mismatch());
    }
    for (e, a) in expected.iter().zip(actual) {
        if !result_matches(e, a)? {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// Whether our message `ours` stands for the script's `expected`: it contains it, or the
/// script's is ours made more precise (the spec interpreter's "uninitialized element 2"
/// for our "uninitialized element").
pub fn message_matches(ours: &str, expected: &str) -> bool {
    ours.contains(expected) || (!ours.is_empty() && expected.starts_with(ours))
}

/// A failed expectation of a trap, a link error or an exhaustion: the result of the step
/// was `result`, the script expected an error of `kind` with `expected` text.
pub enum Verdict {
    Passed,
    /// The step failed the expected way, but with another message.
    WrongMessage(String),
    Failed(String),
    Unsupported(String),
}

/// Judges an expected failure (`assert_trap`, `assert_exhaustion`, `assert_unlinkable`,
/// `assert_trap (module ...)`): `want_link` says whether a link error (else a trap) is
/// expected.
pub fn expect_error<T>(result: Result<T, ExecError>, want_link: bool, expected: &str) -> Verdict
where
    T: ShowResult,
{
    let what = if want_link { "a link error" } else { "a trap" };
    match result {
        Ok(v) => Verdict::Failed(format!("{} but expected {what} \"{expected}\"", v.show())),
        Err(ExecError::Unsupported(why)) => Verdict::Unsupported(why),
        Err(ExecError::Trap(m)) if !want_link => {
            if message_matches(&m, expected) {
                Verdict::Passed
            } else {
                Verdict::WrongMessage(format!("trapped with \"{m}\", expected \"{expected}\""))
            }
        }
        Err(ExecError::Link(m)) if want_link => {
            if message_matches(&m, expected) {
                Verdict::Passed
            } else {
                Verdict::WrongMessage(format!(
                    "failed to link with \"{m}\", expected \"{expected}\""
                ))
            }
        }
        Err(e) => Verdict::Failed(format!("{e}, but expected {what} \"{expected}\"")),
    }
}

/// How a successful step is told in a failure's reason.
pub trait ShowResult {
    fn show(&self) -> String;
}

impl ShowResult for () {
    fn show(&self) -> String {
        "instantiated".into()
    }
}

impl ShowResult for Vec<Val> {
    fn show(&self) -> String {
        format!("returned {}", fmt_vals(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        let canonical: NanPattern<F32> = NanPattern::CanonicalNan;
        let arithmetic: NanPattern<F32> = NanPattern::ArithmeticNan;
        assert!(f32_matches(&canonical, 0x7fc0_0000));
        assert!(f32_matches(&canonical, 0xffc0_0000));
        assert!(!f32_matches(&canonical, 0x7fc0_0001));
        assert!(f32_matches(&arithmetic, 0x7fc0_0001));
        assert!(f32_matches(&arithmetic, 0xffe0_0000));
        assert!(!f32_matches(&arithmetic, 0x7fa0_0000), "signalling");
        assert!(!f32_matches(&arithmetic, 0x3f80_0000), "1.0");
        let canonical: NanPattern<F64> = NanPattern::CanonicalNan;
        let arithmetic: NanPattern<F64> = NanPattern::ArithmeticNan;
        assert!(f64_matches(&canonical, 0xfff8_0000_0000_0000));
        assert!(!f64_matches(&canonical, 0x7ff8_0000_0000_0001));
        assert!(f64_matches(&arithmetic, 0x7ff8_0000_0000_0001));
        assert!(!f64_matches(&arithmetic, 0x7ff4_0000_0000_0000));
        assert!(f64_matches(
            &NanPattern::Value(F64 {
                bits: 0x7ff4_0000_0000_0000
            }),
            0x7ff4_0000_0000_0000
        ));
    }

    #[test]
    fn v128_lanes_are_little_endian() {
        let v = u128::from_le_bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(v128_matches(&V128Pattern::I32x4([1, 2, 3, -1]), v));
        assert!(!v128_matches(&V128Pattern::I32x4([1, 2, 3, 4]), v));
        assert!(v128_matches(
            &V128Pattern::I8x16([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, -1, -1, -1, -1]),
            v
        ));
        assert!(v128_matches(
            &V128Pattern::I64x2([0x0000_0002_0000_0001, -0x0000_0000_ffff_fffd]),
            v
        ));
        let nans = u128::from(0x7fc0_0000u32) | (u128::from(0x7fc0_0001u32) << 32);
        assert!(v128_matches(
            &V128Pattern::F32x4([
                NanPattern::CanonicalNan,
                NanPattern::ArithmeticNan,
                NanPattern::Value(F32 { bits: 0 }),
                NanPattern::Value(F32 { bits: 0 }),
            ]),
            nans
        ));
    }

    #[test]
    fn messages_match_by_substring_or_refinement() {
        assert!(message_matches(
            "integer divide by zero",
            "integer divide by zero"
        ));
        assert!(message_matches(
            "uninitialized element",
            "uninitialized element 2"
        ));
        assert!(message_matches(
            "unknown import: `m::f` has not been defined",
            "unknown import"
        ));
        assert!(!message_matches(
            "integer overflow",
            "integer divide by zero"
        ));
        assert!(!message_matches("", "unreachable"));
    }

    #[test]
    fn unsupported_reason_is_the_feature() {
        let e = Error::msg(format!(
            "invalid: {UNSUPPORTED_MARKER}SIMD (in function 3, at offset 0x2a)"
        ));
        assert_eq!(unsupported_reason(&e).as_deref(), Some("SIMD"));
        assert_eq!(unsupported_reason(&Error::msg("unknown import")), None);
    }
}
