#![forbid(unsafe_code)]
//! Compiling a module: decode, validate and translate (fused), into an owned
//! [`CompiledModule`] that instances share.

use crate::platform::Once;
use crate::prelude::*;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use spindle_decode::{
    BinaryReader, ConstExpr, ElementItems, ExternalKind, GlobalType, HeapType, ImportKind,
    MemoryType, Module, RefType, SegmentMode, TableType, ValType,
};
use spindle_translate::Translator;

use crate::interp::ExecFunc;
use spindle_validate::{check_module, Features, FuncValidator, ModuleCtx};

use crate::types::TypeRegistry;
use crate::Error;

/// When function bodies are translated.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Translation {
    /// Validate and translate every body when the module is created.
    #[default]
    Eager,
    /// Validate every body when the module is created; translate each on its first call.
    Lazy,
    /// Validate and translate each body on its function's first call (the module's other
    /// sections are validated when it is created): the fastest start for hosts that load big
    /// modules and call little of them. An invalid body is then reported at the first call
    /// of its function, as an error naming the function and the byte offset, not when the
    /// module is created; the function's callers in Wasm get the same error as a trap. The
    /// spec's `assert_invalid` scripts therefore do not hold in this mode.
    LazyUnchecked,
}

/// A defined function's code: translated, or to be translated on first call.
#[derive(Debug)]
pub enum FuncCode {
    Ready(Arc<ExecFunc>),
    Lazy(Once<Result<Arc<ExecFunc>, String>>),
}

/// A module's functions' code by module function index, null until translated (and for
/// imports, always): what an intra-module `Call` reads. The entries point into the
/// `ExecFunc`s the module's `funcs` own, so they live as long as the module.
pub struct CodeTable(Box<[CodeEntry]>);

/// A function's entry in its module's [`CodeTable`]: its code, and beside it the two facts
/// a call needs of it (where it starts, how many registers its frame takes), so that a
/// call reads them in the same cache line as the pointer, in parallel with it, rather than
/// one load later from the `ExecFunc` (which a call then does not touch).
///
/// `code` is stored last, with `Release`, and read first, with `Acquire`: a reader that
/// sees it sees the other two.
pub struct CodeEntry {
    pub(crate) code: AtomicPtr<ExecFunc>,
    /// `ExecFunc::entry`.
    pub(crate) entry: AtomicPtr<crate::interp::Op>,
    /// `ExecFunc::frame_size`.
    pub(crate) frame_size: AtomicU32,
}

impl CodeTable {
    fn new(len: usize) -> CodeTable {
        CodeTable(
            (0..len)
                .map(|_| CodeEntry {
                    code: AtomicPtr::new(core::ptr::null_mut()),
                    entry: AtomicPtr::new(core::ptr::null_mut()),
                    frame_size: AtomicU32::new(0),
                })
                .collect(),
        )
    }

    /// The first entry (the table never moves: its box is allocated once).
    pub(crate) fn base(&self) -> *const CodeEntry {
        self.0.as_ptr()
    }

    fn set(&self, index: usize, code: &Arc<ExecFunc>) {
        let e = &self.0[index];
        e.entry.store(code.entry.cast_mut(), Ordering::Relaxed);
        e.frame_size.store(code.frame_size, Ordering::Relaxed);
        e.code
            .store(Arc::as_ptr(code).cast_mut(), Ordering::Release);
    }
}

/// What lazy translation needs after compilation.
pub struct LazyState {
    pub ctx: ModuleCtx,
    /// What the code checks and canonicalises (as when translating eagerly).
    pub options: CodeOptions,
    pub bytes: crate::ModuleBytes,
    /// Absolute byte range of each defined function's body.
    pub bodies: Vec<(usize, usize)>,
}

/// One operator of a constant expression (decoded by `spindle_decode::read_const_op`).
pub use spindle_decode::ConstOp;

/// A decoded constant expression.
pub type ConstExprOps = Vec<ConstOp>;

/// What an import is.
#[derive(Clone, Debug)]
pub enum ImportDesc {
    /// A function of the engine-wide type id, or of a subtype of it.
    Func(u32),
    /// A function of exactly the engine-wide type id (custom descriptors' exact imports).
    FuncExact(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    Tag(u32),
}

/// An import of a compiled module.
#[derive(Clone, Debug)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub desc: ImportDesc,
}

/// The kind of an export.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExportKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

/// How a segment is used.
#[derive(Clone, Debug)]
pub enum Mode {
    Active { index: u32, offset: ConstExprOps },
    Passive,
    Declared,
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemDef {
    pub mode: Mode,
    pub ty: RefType,
    pub items: Vec<ConstExprOps>,
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataDef {
    pub mode: Mode,
    pub bytes: Arc<[u8]>,
}

/// The names a module's `name` section gives its functions and itself (for backtraces),
/// kept in two allocations rather than one per name.
#[derive(Clone, Debug, Default)]
pub struct Names {
    module: Option<Box<str>>,
    /// Every function's name, one after another.
    text: Box<str>,
    /// (function index, end of its name in `text`), by function index; a name starts where
    /// the previous one ends.
    funcs: Box<[(u32, u32)]>,
}

impl Names {
    /// The names of `m` (its `function_names` are sorted by index).
    fn of(m: &Module<'_>) -> Names {
        let mut text = String::new();
        let mut funcs = Vec::with_capacity(m.function_names.len());
        for &(index, name) in &m.function_names {
            text.push_str(name);
            // At most the module's size, which `limits::MAX_MODULE_SIZE` keeps below 2^32.
            funcs.push((index, text.len() as u32));
        }
        Names {
            module: m.module_name.map(Box::from),
            text: text.into_boxed_str(),
            funcs: funcs.into_boxed_slice(),
        }
    }

    /// The module's name.
    pub fn module(&self) -> Option<&str> {
        self.module.as_deref()
    }

    /// The name of function `index` (of the module's function index space).
    pub fn func(&self, index: u32) -> Option<&str> {
        let i = self.funcs.binary_search_by_key(&index, |(f, _)| *f).ok()?;
        let start = i.checked_sub(1).map_or(0, |p| self.funcs[p].1 as usize);
        self.text.get(start..self.funcs[i].1 as usize)
    }
}

/// A module ready to instantiate.
pub struct CompiledModule {
    /// What the `name` section says (backtraces read it).
    pub names: Names,
    /// Engine-wide type id of each of the module's types (`u32::MAX` for non-function types).
    pub types: Vec<u32>,
    pub imports: Vec<Import>,
    /// Engine type id of every function, imports first.
    pub func_types: Vec<u32>,
    /// Code of the defined functions.
    pub funcs: Vec<FuncCode>,
    /// Each function's code once translated, by module function index (imports stay null):
    /// the interpreter's `Call` reads its callee here, one load from the caller's code.
    pub code_table: CodeTable,
    /// For lazy translation: the context and bytes to translate from.
    pub lazy: Option<LazyState>,
    pub tables: Vec<(TableType, Option<ConstExprOps>)>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<(GlobalType, ConstExprOps)>,
    /// Engine-wide type id of each defined tag.
    pub tags: Vec<u32>,
    pub exports: Vec<(String, ExportKind, u32)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemDef>,
    pub datas: Vec<DataDef>,
    pub num_imported_funcs: u32,
    pub num_imported_tables: u32,
    pub num_imported_memories: u32,
    pub num_imported_globals: u32,
    /// The backend the module's code is encoded for ([`effective_dispatch`](crate::effective_dispatch)
    /// of its `CodeOptions::dispatch`).
    pub dispatch: crate::Dispatch,
}

#[cold]
fn unsupported_const() -> Error {
    Error::Validate(spindle_validate::ValidateError::invalid(
        0,
        "not supported by the translator yet: this constant expression (GC allocation)",
    ))
}

/// Decodes a (validated) constant expression.
fn const_ops(e: &ConstExpr<'_>) -> Result<ConstExprOps, Error> {
    let mut r: BinaryReader<'_> = e.reader;
    let mut ops = Vec::new();
    while !r.eof() {
        match spindle_decode::read_const_op(&mut r) {
            Ok(Some(ConstOp::End)) => break,
            Ok(Some(op)) => ops.push(op),
            // A constant operator the runtime cannot evaluate yet (GC allocation, ...).
            Ok(None) | Err(_) => return Err(unsupported_const()),
        }
    }
    Ok(ops)
}

fn mode_of(m: &SegmentMode<'_>) -> Result<Mode, Error> {
    Ok(match m {
        SegmentMode::Active { index, offset } => Mode::Active {
            index: *index,
            offset: const_ops(offset)?,
        },
        SegmentMode::Passive => Mode::Passive,
        SegmentMode::Declared => Mode::Declared,
    })
}

/// What translated code does beyond the module's own semantics. Each costs nothing when
/// off: the code then has no such instruction at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeOptions {
    /// Charge fuel (`Store::fuel`) at function entry and loop headers.
    pub fuel: bool,
    /// Check the store's epoch deadline (`Store::epoch_deadline`) at the same places.
    pub epoch: bool,
    /// Deterministic NaNs: after each float operation whose NaN results the specification
    /// leaves nondeterministic (`Opcode::nan_canonicalization`), a NaN result becomes the
    /// canonical one.
    pub canonicalize_nans: bool,
    /// The backend that runs the code, which it is encoded for (`effective_dispatch` of
    /// this: a store runs code of one encoding only, see [`instantiate`](crate::instantiate)).
    pub dispatch: crate::Dispatch,
}

/// Decodes, validates and translates `bytes`.
/// `threads` is how many threads may share the bodies' validation and translation (the
/// calling thread one of them; `usize::MAX`: one per core). More than one only with the
/// `parallel-compilation` feature, for modules with enough code.
pub fn compile(
    registry: &TypeRegistry,
    features: &Features,
    translation: Translation,
    options: CodeOptions,
    threads: usize,
    bytes: &[u8],
) -> Result<CompiledModule, Error> {
    compile_inner(
        registry,
        features,
        translation,
        options,
        threads,
        bytes,
        None,
    )
}

/// Like [`compile`], for bytes the module may keep (lazy translation keeps them instead of
/// a copy: a mapped file stays mapped).
pub fn compile_bytes(
    registry: &TypeRegistry,
    features: &Features,
    translation: Translation,
    options: CodeOptions,
    threads: usize,
    bytes: crate::ModuleBytes,
) -> Result<CompiledModule, Error> {
    compile_inner(
        registry,
        features,
        translation,
        options,
        threads,
        &bytes,
        Some(bytes.clone()),
    )
}

/// Below this much body code per thread a module's bodies are not shared between threads:
/// starting one costs about what translating a few KiB does.
const CODE_PER_THREAD: usize = 64 * 1024;

/// The bodies a thread takes at a time: consecutive ones of at least this much code (small
/// enough that the threads finish together, large enough that taking one costs nothing).
#[cfg(feature = "parallel-compilation")]
const CODE_PER_BATCH: usize = 8 * 1024;

/// `work` over the defined functions' `bodies` (ranges of their indices), with state `init`
/// makes once per thread, on up to `threads` threads (the calling thread one of them); the
/// results in function order. The error is the one sequential work would report.
fn in_batches<S, T: Send>(
    threads: usize,
    bodies: &[spindle_decode::FunctionBody<'_>],
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, core::ops::Range<usize>) -> Result<Vec<T>, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let code: usize = bodies.iter().map(|b| b.reader.remaining()).sum();
    let threads = threads.min(code / CODE_PER_THREAD).min(bodies.len());
    #[cfg(feature = "parallel-compilation")]
    if threads > 1 {
        // Asked only here, for a module big enough: the answer reads the process's CPU
        // affinity and cgroup limits.
        let threads = threads.min(std::thread::available_parallelism().map_or(1, |n| n.get()));
        if threads > 1 {
            return in_parallel(threads, bodies, init, work);
        }
    }
    let _ = threads;
    work(&mut init(), 0..bodies.len())
}

/// [`in_batches`] on `threads` threads: each takes the next batch of bodies until none is
/// left or one has failed.
#[cfg(feature = "parallel-compilation")]
fn in_parallel<S, T: Send>(
    threads: usize,
    bodies: &[spindle_decode::FunctionBody<'_>],
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, core::ops::Range<usize>) -> Result<Vec<T>, Error> + Sync,
) -> Result<Vec<T>, Error> {
    use core::sync::atomic::{AtomicBool, AtomicUsize};
    let mut cuts = vec![0];
    let mut size = 0;
    for (i, b) in bodies.iter().enumerate() {
        size += b.reader.remaining();
        if size >= CODE_PER_BATCH || i + 1 == bodies.len() {
            cuts.push(i + 1);
            size = 0;
        }
    }
    let batches = cuts.len() - 1;
    let (next, failed, finished) = (
        AtomicUsize::new(0),
        AtomicBool::new(false),
        AtomicUsize::new(0),
    );
    // Batches are taken in order, and one that fails stops further taking: every batch
    // before the first failed one is done, so the first error in batch order is the first
    // invalid body's.
    let run = || {
        let mut state = init();
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= batches {
                break;
            }
            let result = work(&mut state, cuts[b]..cuts[b + 1]);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((b, result));
        }
        done
    };
    /// Counts a helper as finished however it ends.
    struct Finished<'a>(&'a AtomicUsize);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Release);
        }
    }
    let done = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || {
                        let _finished = Finished(&finished);
                        run()
                    })
                    .ok()
            })
            .collect();
        let mut done = run();
        // Each helper has at most the batch it holds left. Waiting awake for it: a thread
        // blocked in `join` can take longer to be woken again (on virtual machines, up to
        // milliseconds) than that batch takes.
        while finished.load(Ordering::Acquire) < helpers.len() {
            std::thread::yield_now();
        }
        for h in helpers {
            done.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        done
    });
    // Every translator's scratch is freed by now, much of it in the helpers' own arenas.
    crate::platform::release_free_heap();
    let mut by_batch: Vec<Option<Result<Vec<T>, Error>>> = (0..batches).map(|_| None).collect();
    for (b, result) in done {
        by_batch[b] = Some(result);
    }
    let mut all = Vec::with_capacity(bodies.len());
    for (b, result) in by_batch.into_iter().enumerate() {
        // (A batch is only left undone after a failed one, which returns first.)
        all.extend(result.unwrap_or_else(|| work(&mut init(), cuts[b]..cuts[b + 1]))?);
    }
    Ok(all)
}

/// A translator for `ctx`'s functions producing code with `options`.
fn translator<'m>(ctx: &'m ModuleCtx, types: &'m [u32], options: CodeOptions) -> Translator<'m> {
    Translator::with_fuel(ctx, types, options.fuel)
        .with_epochs(options.epoch)
        .with_nan_canonicalization(options.canonicalize_nans)
}

/// `v` with its concrete type indices (module-local) replaced by engine-wide type ids, the
/// form in which the store keeps global and table types and import checks compare them.
fn engine_val(v: ValType, types: &[u32]) -> ValType {
    match v {
        ValType::Ref(r) => ValType::Ref(engine_ref(r, types)),
        v => v,
    }
}

fn engine_ref(r: RefType, types: &[u32]) -> RefType {
    let heap = match r.heap {
        HeapType::Concrete(i) => HeapType::Concrete(types[i as usize]),
        HeapType::Exact(i) => HeapType::Exact(types[i as usize]),
        h => h,
    };
    RefType { heap, ..r }
}

fn engine_global(g: GlobalType, types: &[u32]) -> GlobalType {
    GlobalType {
        content: engine_val(g.content, types),
        ..g
    }
}

fn engine_table(t: TableType, types: &[u32]) -> TableType {
    TableType {
        element: engine_ref(t.element, types),
        ..t
    }
}

fn compile_inner(
    registry: &TypeRegistry,
    features: &Features,
    translation: Translation,
    options: CodeOptions,
    threads: usize,
    bytes: &[u8],
    owner: Option<crate::ModuleBytes>,
) -> Result<CompiledModule, Error> {
    let m = Module::parse(bytes).map_err(spindle_validate::ValidateError::from)?;
    let ctx = check_module(&m, features)?;
    let types = registry.intern_module(&ctx.types);
    let func_types: Vec<u32> = ctx.funcs.iter().map(|t| types[*t as usize]).collect();
    let num_imported_funcs = (ctx.funcs.len() - m.functions.len()) as u32;

    let code_table = CodeTable::new(ctx.funcs.len());
    let funcs = match translation {
        Translation::Eager => in_batches(
            threads,
            &m.code,
            || (FuncValidator::new(&ctx), translator(&ctx, &types, options)),
            |(fv, tr), range| {
                let mut funcs = Vec::with_capacity(range.len());
                for i in range {
                    let index = num_imported_funcs + i as u32;
                    let ti = ctx.funcs[index as usize];
                    let f = tr
                        .translate(fv, ti, m.code[i].reader)
                        .map_err(|e| e.in_function(index))?;
                    let code =
                        Arc::new(ExecFunc::new(f, index, code_table.base(), options.dispatch));
                    code_table.set(index as usize, &code);
                    funcs.push(FuncCode::Ready(code));
                }
                Ok(funcs)
            },
        )?,
        Translation::LazyUnchecked => m.code.iter().map(|_| FuncCode::Lazy(Once::new())).collect(),
        Translation::Lazy => in_batches(
            threads,
            &m.code,
            || FuncValidator::new(&ctx),
            |fv, range| {
                for i in range.clone() {
                    let index = num_imported_funcs + i as u32;
                    let ti = ctx.funcs[index as usize];
                    fv.validate_body(ti, m.code[i].reader)
                        .map_err(|e| e.in_function(index))?;
                }
                Ok(range.map(|_| FuncCode::Lazy(Once::new())).collect())
            },
        )?,
    };
    let bodies: Vec<(usize, usize)> = m
        .code
        .iter()
        .map(|b| (b.reader.offset(), b.reader.offset() + b.reader.remaining()))
        .collect();

    let mut imports = Vec::with_capacity(m.imports.len());
    let (mut it, mut im, mut ig) = (0, 0, 0);
    for imp in &m.imports {
        let desc = match imp.kind {
            ImportKind::Func(t) => ImportDesc::Func(types[t as usize]),
            ImportKind::FuncExact(t) => ImportDesc::FuncExact(types[t as usize]),
            ImportKind::Table(t) => {
                it += 1;
                ImportDesc::Table(engine_table(t, &types))
            }
            ImportKind::Memory(mt) => {
                im += 1;
                ImportDesc::Memory(mt)
            }
            ImportKind::Global(g) => {
                ig += 1;
                ImportDesc::Global(engine_global(g, &types))
            }
            ImportKind::Tag(t) => ImportDesc::Tag(types[t.func_type as usize]),
        };
        imports.push(Import {
            module: imp.module.to_string(),
            name: imp.name.to_string(),
            desc,
        });
    }
    let exports = m
        .exports
        .iter()
        .map(|e| {
            let kind = match e.kind {
                ExternalKind::Func => ExportKind::Func,
                ExternalKind::Table => ExportKind::Table,
                ExternalKind::Memory => ExportKind::Memory,
                ExternalKind::Global => ExportKind::Global,
                ExternalKind::Tag => ExportKind::Tag,
            };
            (e.name.to_string(), kind, e.index)
        })
        .collect();
    let elems = m
        .elements
        .iter()
        .map(|e| {
            let items = match &e.items {
                ElementItems::Functions(fs) => {
                    fs.iter().map(|f| vec![ConstOp::RefFunc(*f)]).collect()
                }
                ElementItems::Exprs(_, es) => es.iter().map(const_ops).collect::<Result<_, _>>()?,
            };
            Ok(ElemDef {
                mode: mode_of(&e.mode)?,
                ty: e.ty(),
                items,
            })
        })
        .collect::<Result<_, Error>>()?;
    let datas = m
        .data
        .iter()
        .map(|d| {
            Ok(DataDef {
                mode: mode_of(&d.mode)?,
                bytes: Arc::from(d.bytes),
            })
        })
        .collect::<Result<_, Error>>()?;
    let lazy = (translation != Translation::Eager).then(|| LazyState {
        ctx,
        options,
        bytes: owner.unwrap_or_else(|| crate::ModuleBytes::Owned(Arc::from(bytes))),
        bodies,
    });
    let tables = m
        .tables
        .iter()
        .map(|t| {
            let init = t.init.as_ref().map(const_ops).transpose()?;
            Ok((engine_table(t.ty, &types), init))
        })
        .collect::<Result<_, Error>>()?;
    let globals = m
        .globals
        .iter()
        .map(|g| Ok((engine_global(g.ty, &types), const_ops(&g.init)?)))
        .collect::<Result<_, Error>>()?;
    let tags = m
        .tags
        .iter()
        .map(|(_, t)| types[t.func_type as usize])
        .collect();
    Ok(CompiledModule {
        names: Names::of(&m),
        lazy,
        tags,
        types,
        imports,
        func_types,
        funcs,
        code_table,
        tables,
        memories: m.memories.iter().map(|(_, mt)| *mt).collect(),
        globals,
        exports,
        start: m.start.map(|(_, f)| f),
        elems,
        datas,
        num_imported_funcs,
        num_imported_tables: it,
        num_imported_memories: im,
        num_imported_globals: ig,
        dispatch: crate::effective_dispatch(options.dispatch),
    })
}

impl CompiledModule {
    /// A reference to the code of defined function `i` (translating it now if lazy).
    pub fn code_ref(&self, i: usize) -> Result<&ExecFunc, String> {
        match &self.funcs[i] {
            FuncCode::Ready(c) => Ok(c),
            FuncCode::Lazy(cell) => cell
                .get_or_init(|| {
                    let lazy = self.lazy.as_ref().expect("lazy modules keep their state");
                    let (start, end) = lazy.bodies[i];
                    let reader = BinaryReader::new(&lazy.bytes[start..end], start);
                    let index = self.num_imported_funcs as usize + i;
                    let ti = lazy.ctx.funcs[index];
                    let mut fv = FuncValidator::new(&lazy.ctx);
                    let mut tr = translator(&lazy.ctx, &self.types, lazy.options);
                    tr.translate(&mut fv, ti, reader)
                        .map(|f| {
                            let code = Arc::new(ExecFunc::new(
                                f,
                                index as u32,
                                self.code_table.base(),
                                self.dispatch,
                            ));
                            self.code_table.set(index, &code);
                            code
                        })
                        .map_err(|e| e.in_function(index as u32).to_string())
                })
                .as_ref()
                .map(|c| &**c)
                .map_err(Clone::clone),
        }
    }
}

/// The zero value of a type, as register bits.
pub fn default_bits(_t: ValType) -> u64 {
    0
}
