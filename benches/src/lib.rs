//! Inputs and helpers for Spindle's decode+validate throughput benchmarks.
//!
//! Three kinds of input:
//! - `bigprog.wasm` (and `bigprog-simd.wasm`): our own C program in `guests/bigprog/`,
//!   compiled with clang and committed, so no compiler is needed to run the benchmarks;
//! - a synthetic module built here by [`synthetic_module`]: deterministic, large, valid,
//!   and dense in the instructions and constructs a validator has to check;
//! - `work/sqlite3.wasm`: SQLite built at setup time by `setup.sh`, never committed; it is
//!   skipped (with a note) when absent.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub use spindle_validate::Features;
use wasm_encoder::{
    BlockType, Catch, CodeSection, ConstExpr, DataSection, ElementSection, Elements, EntityType,
    ExportKind, ExportSection, FieldType, Function, FunctionSection, GlobalSection, GlobalType,
    HeapType, Ieee32, Ieee64, ImportSection, Instruction as I, MemArg, MemArgTarget, MemorySection,
    MemoryType, Module, RefType, StorageType, TableSection, TableType, TagKind, TagSection,
    TagType, TypeSection, ValType,
};

// ---------------------------------------------------------------------------------------
// Feature mapping and the reference validator
// ---------------------------------------------------------------------------------------

/// Our `Features` as wasmparser's (the one mapping lives in `spindle-testkit`).
pub use spindle_testkit::wasmparser_features;

/// Validates `bytes` with wasmparser under the features matching `features`.
pub fn wasmparser_validate(
    bytes: &[u8],
    features: &Features,
) -> Result<wasmparser::types::Types, wasmparser::BinaryReaderError> {
    wasmparser::Validator::new_with_features(wasmparser_features(features)).validate_all(bytes)
}

// ---------------------------------------------------------------------------------------
// The inputs
// ---------------------------------------------------------------------------------------

/// One benchmark input.
pub struct Input {
    /// Short name, used in benchmark ids and the table.
    pub name: String,
    /// The module's bytes.
    pub bytes: Vec<u8>,
}

/// The directory of this package (`benches/`).
pub fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `setup.sh` puts SQLite's module.
pub fn sqlite_path() -> PathBuf {
    package_dir().join("work").join("sqlite3.wasm")
}

fn read_input(name: &str, path: &Path) -> Option<Input> {
    match std::fs::read(path) {
        Ok(bytes) => Some(Input {
            name: name.to_string(),
            bytes,
        }),
        Err(err) => {
            eprintln!(
                "note: skipping {name}: cannot read {}: {err}",
                path.display()
            );
            None
        }
    }
}

/// All inputs: the committed guests, the synthetic module (built now, with
/// [`SynthConfig::default`]), and SQLite when `setup.sh` has made it. Missing files are
/// skipped with a note on stderr.
pub fn inputs() -> Vec<Input> {
    let guests = package_dir().join("guests");
    let mut out = Vec::new();
    out.extend(read_input("bigprog", &guests.join("bigprog.wasm")));
    out.extend(read_input(
        "bigprog-simd",
        &guests.join("bigprog-simd.wasm"),
    ));
    out.push(Input {
        name: "synthetic".to_string(),
        bytes: synthetic_module(&SynthConfig::default()),
    });
    let sqlite = sqlite_path();
    if sqlite.exists() {
        out.extend(read_input("sqlite3", &sqlite));
    } else {
        eprintln!(
            "note: skipping sqlite3: {} is absent (run benches/setup.sh to build it)",
            sqlite.display()
        );
    }
    out
}

// ---------------------------------------------------------------------------------------
// The synthetic module generator
// ---------------------------------------------------------------------------------------

/// Which version of WebAssembly a synthetic module may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// WebAssembly 1.0 only.
    Wasm1,
    /// 2.0: adds SIMD, multi-value, bulk memory, reference types, sign extension and
    /// saturating truncation.
    Wasm2,
    /// 3.0: adds relaxed SIMD, tail calls, exceptions, GC structs, multi-memory, memory64
    /// and extended constant expressions.
    Wasm3,
}

impl Profile {
    /// The validator features that accept this profile.
    pub fn features(self) -> Features {
        match self {
            Profile::Wasm1 => Features::wasm1(),
            Profile::Wasm2 => Features::wasm2(),
            Profile::Wasm3 => Features::wasm3(),
        }
    }
}

/// What [`synthetic_module`] builds.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// Seed of the generator: the same config always gives the same bytes.
    pub seed: u64,
    /// Approximate size of the module in bytes (the code section is sized to reach it).
    pub target_size: usize,
    /// Which constructs the module may use.
    pub profile: Profile,
}

impl Default for SynthConfig {
    /// A 16 MiB WebAssembly 3.0 module.
    fn default() -> Self {
        SynthConfig {
            seed: 0x5719_d1e5_eed0_0001,
            target_size: 16 << 20,
            profile: Profile::Wasm3,
        }
    }
}

/// SplitMix64: small, fast and good enough to pick shapes of code.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    fn pick<'a, X>(&mut self, xs: &'a [X]) -> &'a X {
        &xs[self.below(xs.len())]
    }
}

/// Value types the generator builds expressions of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    I32,
    I64,
    F32,
    F64,
    V128,
}

impl T {
    fn val(self) -> ValType {
        match self {
            T::I32 => ValType::I32,
            T::I64 => ValType::I64,
            T::F32 => ValType::F32,
            T::F64 => ValType::F64,
            T::V128 => ValType::V128,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A function signature used by generated functions.
struct Sig {
    params: Vec<T>,
    results: Vec<T>,
    type_index: u32,
}

/// Everything about the module that function bodies refer to.
struct Layout {
    profile: Profile,
    sigs: Vec<Sig>,
    /// `(i32) -> (i32)`, for blocks with parameters (2.0 and up).
    block_param_type: Option<u32>,
    /// `struct { mut i32, mut f64 }` (3.0).
    struct_type: Option<u32>,
    /// Signature (index into `sigs`) of every function, imports first.
    func_sig: Vec<usize>,
    /// Function indices of each signature.
    funcs_by_sig: Vec<Vec<u32>>,
    /// The global of each value type (all mutable).
    globals: [Option<u32>; 5],
    /// An immutable i32 global.
    const_global: u32,
}

impl Layout {
    fn simd(&self) -> bool {
        self.profile != Profile::Wasm1
    }
    fn v2(&self) -> bool {
        self.profile != Profile::Wasm1
    }
    fn v3(&self) -> bool {
        self.profile == Profile::Wasm3
    }
}

const IMPORTED_FUNCS: u32 = 1;
/// Signature index of `(i32) -> ()`: the import and the exception tag use it.
const SIG_I32_VOID: usize = 4;
/// Loops nest at most this deep (each has its own counter local).
const MAX_LOOPS: u32 = 3;
/// Blocks, ifs, loops and the like nest at most this deep.
const MAX_NEST: u32 = 5;
/// Depth of expression trees.
const EXPR_DEPTH: u32 = 3;

/// Builds a large valid module, deterministically from `config`.
///
/// Its functions have varied bodies: integer and float arithmetic, conversions, locals and
/// globals, blocks, loops, `if`, `br_if`, `br_table`, `select`, direct and indirect calls,
/// loads and stores, and (from 2.0) SIMD, bulk memory and multi-value blocks, and (3.0)
/// relaxed SIMD, tail calls, `try_table`/`throw`, GC structs, a second (64-bit) memory and
/// extended constant expressions. The module validates under `config.profile`'s features;
/// it is not meant to be run (calls may recurse without bound).
pub fn synthetic_module(config: &SynthConfig) -> Vec<u8> {
    let mut rng = Rng(config.seed);
    let profile = config.profile;

    // Types.
    let mut types = TypeSection::new();
    let mut sigs = Vec::new();
    let mut add_sig = |types: &mut TypeSection, params: Vec<T>, results: Vec<T>| {
        let type_index = types.len();
        types.ty().function(
            params.iter().map(|t| t.val()),
            results.iter().map(|t| t.val()),
        );
        sigs.push(Sig {
            params,
            results,
            type_index,
        });
    };
    add_sig(&mut types, vec![T::I32, T::I32], vec![T::I32]);
    add_sig(&mut types, vec![T::I64, T::I64], vec![T::I64]);
    add_sig(&mut types, vec![T::F32, T::F32], vec![T::F32]);
    add_sig(&mut types, vec![T::F64, T::F64], vec![T::F64]);
    add_sig(&mut types, vec![T::I32], vec![]);
    add_sig(
        &mut types,
        vec![T::F64, T::I32, T::I64, T::F32],
        vec![T::F64],
    );
    add_sig(&mut types, vec![], vec![T::I32]);
    if profile != Profile::Wasm1 {
        add_sig(&mut types, vec![T::V128, T::V128], vec![T::V128]);
        add_sig(&mut types, vec![T::I32, T::I64], vec![T::I32, T::I64]);
    }
    let block_param_type = (profile != Profile::Wasm1).then(|| {
        let idx = types.len();
        types.ty().function([ValType::I32], [ValType::I32]);
        idx
    });
    let struct_type = (profile == Profile::Wasm3).then(|| {
        let idx = types.len();
        types.ty().struct_([
            FieldType {
                element_type: StorageType::Val(ValType::I32),
                mutable: true,
            },
            FieldType {
                element_type: StorageType::Val(ValType::F64),
                mutable: true,
            },
        ]);
        idx
    });

    // Decide the number of functions from the target size (about 1.1 KB of code each).
    let n_defined = (config.target_size / 1100).max(8) as u32;
    let mut func_sig = vec![SIG_I32_VOID];
    for _ in 0..n_defined {
        func_sig.push(rng.below(sigs.len()));
    }
    let mut funcs_by_sig = vec![Vec::new(); sigs.len()];
    for (idx, &s) in func_sig.iter().enumerate() {
        funcs_by_sig[s].push(idx as u32);
    }
    let n_total = IMPORTED_FUNCS + n_defined;

    let mut imports = ImportSection::new();
    imports.import(
        "env",
        "log",
        EntityType::Function(sigs[SIG_I32_VOID].type_index),
    );

    let mut functions = FunctionSection::new();
    for &s in &func_sig[IMPORTED_FUNCS as usize..] {
        functions.function(sigs[s].type_index);
    }

    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: u64::from(n_total),
        maximum: Some(u64::from(n_total)),
        shared: false,
    });

    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: Some(16),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    if profile == Profile::Wasm3 {
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: true,
            shared: false,
            page_size_log2: None,
        });
    }

    let mut tags = TagSection::new();
    if profile == Profile::Wasm3 {
        tags.tag(TagType {
            kind: TagKind::Exception,
            func_type_idx: sigs[SIG_I32_VOID].type_index,
        });
    }

    let mut globals = GlobalSection::new();
    let mut global_of = [None; 5];
    let mut add_global = |globals: &mut GlobalSection, t: T, init: ConstExpr| {
        global_of[t.index()] = Some(globals.len());
        let ty = GlobalType {
            val_type: t.val(),
            mutable: true,
            shared: false,
        };
        globals.global(ty, &init);
    };
    add_global(&mut globals, T::I32, ConstExpr::i32_const(7));
    add_global(&mut globals, T::I64, ConstExpr::i64_const(-3));
    add_global(
        &mut globals,
        T::F32,
        ConstExpr::f32_const(Ieee32::from(1.5f32)),
    );
    add_global(
        &mut globals,
        T::F64,
        ConstExpr::f64_const(Ieee64::from(2.25f64)),
    );
    if profile != Profile::Wasm1 {
        add_global(&mut globals, T::V128, ConstExpr::v128_const(0x0102_0304));
    }
    let const_global = globals.len();
    let init = if profile == Profile::Wasm3 {
        ConstExpr::extended([I::I32Const(1000), I::I32Const(24), I::I32Mul])
    } else {
        ConstExpr::i32_const(24_000)
    };
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: false,
            shared: false,
        },
        &init,
    );

    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    for i in IMPORTED_FUNCS..n_total.min(IMPORTED_FUNCS + 32) {
        exports.export(&format!("f{i}"), ExportKind::Func, i);
    }

    let mut elements = ElementSection::new();
    let all_funcs: Vec<u32> = (0..n_total).collect();
    elements.active(
        None,
        &ConstExpr::i32_const(0),
        Elements::Functions(Cow::Owned(all_funcs)),
    );

    let layout = Layout {
        profile,
        sigs,
        block_param_type,
        struct_type,
        func_sig,
        funcs_by_sig,
        globals: global_of,
        const_global,
    };

    // Code: size each body so that the total lands near the target.
    let mut code = CodeSection::new();
    let fixed = 64 + 16 * n_total as usize;
    let mut remaining = config.target_size.saturating_sub(fixed);
    for idx in IMPORTED_FUNCS..n_total {
        let left = (n_total - idx) as usize;
        let mean = (remaining / left).max(24);
        let budget = mean / 4 + rng.below(mean * 3 / 2 + 1);
        let body = FuncGen::build(&layout, &mut rng, idx, budget);
        remaining = remaining.saturating_sub(body.byte_len());
        code.function(&body);
    }

    let mut data = DataSection::new();
    let bytes: Vec<u8> = (0..=255u8).collect();
    data.active(0, &ConstExpr::i32_const(16), bytes.iter().copied());
    if profile == Profile::Wasm3 {
        data.active(1, &ConstExpr::i64_const(256), bytes.iter().copied());
    }

    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.section(&functions);
    module.section(&tables);
    module.section(&memories);
    if profile == Profile::Wasm3 {
        module.section(&tags);
    }
    module.section(&globals);
    module.section(&exports);
    module.section(&elements);
    module.section(&code);
    module.section(&data);
    module.finish()
}

/// Builds one function body.
struct FuncGen<'a> {
    m: &'a Layout,
    rng: &'a mut Rng,
    f: Function,
    sig: usize,
    /// Locals of each value type (params included, loop counters excluded).
    locals: [Vec<u32>; 5],
    /// The local of type `(ref null $struct)`, if any.
    struct_local: Option<u32>,
    /// First loop-counter local.
    counters: u32,
    /// Loops currently open.
    loops: u32,
    /// Blocks currently open.
    nest: u32,
    /// Types each open label takes (innermost last).
    labels: Vec<Vec<T>>,
}

impl<'a> FuncGen<'a> {
    fn build(m: &'a Layout, rng: &'a mut Rng, func: u32, budget: usize) -> Function {
        let sig = m.func_sig[func as usize];
        let params = &m.sigs[sig].params;
        let mut locals: [Vec<u32>; 5] = Default::default();
        for (i, t) in params.iter().enumerate() {
            locals[t.index()].push(i as u32);
        }
        let mut next = params.len() as u32;
        let mut decls: Vec<(u32, ValType)> = Vec::new();
        let counters = next;
        decls.push((MAX_LOOPS, ValType::I32));
        next += MAX_LOOPS;
        let kinds: &[T] = if m.simd() {
            &[T::I32, T::I64, T::F32, T::F64, T::V128]
        } else {
            &[T::I32, T::I64, T::F32, T::F64]
        };
        for &t in kinds {
            let n = rng.below(4) as u32;
            if n > 0 {
                decls.push((n, t.val()));
                locals[t.index()].extend(next..next + n);
                next += n;
            }
        }
        let struct_local = m.struct_type.map(|ty| {
            decls.push((
                1,
                ValType::Ref(RefType {
                    nullable: true,
                    heap_type: HeapType::Concrete(ty),
                }),
            ));
            next += 1;
            next - 1
        });
        let results = m.sigs[sig].results.clone();
        let mut g = FuncGen {
            m,
            rng,
            f: Function::new(decls),
            sig,
            locals,
            struct_local,
            counters,
            loops: 0,
            nest: 0,
            labels: vec![results.clone()],
        };
        while g.f.byte_len() < budget {
            g.stmt();
        }
        for &t in &results {
            g.expr(t, EXPR_DEPTH);
        }
        g.ins(I::End);
        g.f
    }

    fn ins(&mut self, i: I<'_>) {
        self.f.instruction(&i);
    }

    fn memarg(&mut self, natural_align: u32, memory: u32) -> MemArg {
        MemArg {
            offset: self.rng.below(64) as u64 * 4,
            align: self.rng.below(natural_align as usize + 1) as u32,
            target: MemArgTarget::Memory(memory),
            ordering: None,
        }
    }

    /// Pushes an address in memory 0 or (3.0, sometimes) memory 1, returning the memory.
    fn address(&mut self) -> u32 {
        if self.m.v3() && self.rng.chance(15) {
            self.expr(T::I64, 1);
            self.ins(I::I64Const(0xfff0));
            self.ins(I::I64And);
            1
        } else {
            self.expr(T::I32, 1);
            self.ins(I::I32Const(0xfff0));
            self.ins(I::I32And);
            0
        }
    }

    fn cond(&mut self) {
        self.expr(T::I32, 2);
    }

    fn open(&mut self, i: I<'_>, label: Vec<T>) {
        self.ins(i);
        self.labels.push(label);
        self.nest += 1;
    }

    fn close(&mut self) {
        self.ins(I::End);
        self.labels.pop();
        self.nest -= 1;
    }

    /// A few statements, fewer when nested deeply.
    fn stmts(&mut self) {
        let n = 1 + self
            .rng
            .below(4usize.saturating_sub(self.nest as usize / 2).max(1));
        for _ in 0..n {
            self.stmt();
        }
    }

    /// Branches to a random enclosing label (supplying its values), conditionally.
    fn br_if_any(&mut self) {
        let depth = self.rng.below(self.labels.len());
        let label = self.labels[self.labels.len() - 1 - depth].clone();
        for &t in &label {
            self.expr(t, 1);
        }
        self.cond();
        self.ins(I::BrIf(depth as u32));
        for _ in &label {
            self.ins(I::Drop);
        }
    }

    fn call_args(&mut self, sig: usize) {
        let params = self.m.sigs[sig].params.clone();
        for t in params {
            self.expr(t, 2);
        }
    }

    fn drop_results(&mut self, sig: usize) {
        for _ in 0..self.m.sigs[sig].results.len() {
            self.ins(I::Drop);
        }
    }

    /// One statement: leaves the operand stack as it found it.
    fn stmt(&mut self) {
        let nested_ok = self.nest < MAX_NEST;
        match self.rng.below(22) {
            0..=3 => {
                let t = self.any_type();
                self.expr(t, EXPR_DEPTH);
                if self.locals_of(t).is_empty() {
                    self.ins(I::Drop);
                } else {
                    let l = *self.rng.pick(&self.locals[t.index()]);
                    self.ins(I::LocalSet(l));
                }
            }
            4 => {
                let t = self.any_type();
                let g = self.m.globals[t.index()].expect("every type has a global");
                self.expr(t, EXPR_DEPTH);
                self.ins(I::GlobalSet(g));
            }
            5 | 6 => self.store(),
            7 => {
                let callee = self.rng.below(self.m.func_sig.len());
                let sig = self.m.func_sig[callee];
                self.call_args(sig);
                self.ins(I::Call(callee as u32));
                self.drop_results(sig);
            }
            8 => {
                let sig = self.rng.below(self.m.sigs.len());
                if self.m.funcs_by_sig[sig].is_empty() {
                    return;
                }
                let callee = *self.rng.pick(&self.m.funcs_by_sig[sig]);
                self.call_args(sig);
                self.ins(I::I32Const(callee as i32));
                self.ins(I::CallIndirect {
                    type_index: self.m.sigs[sig].type_index,
                    table_index: 0,
                });
                self.drop_results(sig);
            }
            9 if nested_ok => {
                self.cond();
                self.open(I::If(BlockType::Empty), vec![]);
                self.stmts();
                if self.rng.chance(50) {
                    self.ins(I::Else);
                    self.stmts();
                }
                self.close();
            }
            10 if nested_ok => {
                self.open(I::Block(BlockType::Empty), vec![]);
                self.stmts();
                self.br_if_any();
                self.stmts();
                self.close();
            }
            11 if nested_ok && self.loops < MAX_LOOPS => {
                let counter = self.counters + self.loops;
                let i = I::I32Const(1 + self.rng.below(16) as i32);
                self.ins(i);
                self.ins(I::LocalSet(counter));
                self.loops += 1;
                self.open(I::Loop(BlockType::Empty), vec![]);
                self.stmts();
                self.ins(I::LocalGet(counter));
                self.ins(I::I32Const(1));
                self.ins(I::I32Sub);
                self.ins(I::LocalTee(counter));
                self.ins(I::BrIf(0));
                self.close();
                self.loops -= 1;
            }
            12 if nested_ok => self.br_table(),
            13 => {
                let t = self.any_type();
                self.expr(t, EXPR_DEPTH);
                self.ins(I::Drop);
            }
            14 => {
                self.cond();
                self.open(I::If(BlockType::Empty), vec![]);
                if self.m.v3() && self.rng.chance(50) {
                    let sig = self.sig;
                    let callee = *self.rng.pick(&self.m.funcs_by_sig[sig]);
                    self.call_args(sig);
                    self.ins(I::ReturnCall(callee));
                } else {
                    let results = self.m.sigs[self.sig].results.clone();
                    for t in results {
                        self.expr(t, 2);
                    }
                    self.ins(I::Return);
                }
                self.close();
            }
            15 => {
                self.expr(T::I32, 2);
                self.ins(I::Call(0));
            }
            16 if self.m.v2() => {
                let i = I::I32Const(self.rng.below(4096) as i32);
                self.ins(i);
                if self.rng.chance(50) {
                    self.expr(T::I32, 1);
                    let i = I::I32Const(self.rng.below(256) as i32);
                    self.ins(i);
                    self.ins(I::MemoryFill(0));
                } else {
                    let i = I::I32Const(self.rng.below(4096) as i32);
                    self.ins(i);
                    let i = I::I32Const(self.rng.below(256) as i32);
                    self.ins(i);
                    self.ins(I::MemoryCopy {
                        src_mem: 0,
                        dst_mem: 0,
                    });
                }
            }
            17 if self.m.v3() && nested_ok => self.try_table(),
            18 if self.m.v3() => {
                let s = self.m.struct_type.expect("3.0 has the struct type");
                let l = self.struct_local.expect("3.0 has the struct local");
                if self.rng.chance(50) {
                    self.expr(T::I32, 2);
                    self.expr(T::F64, 2);
                    self.ins(I::StructNew(s));
                    self.ins(I::LocalSet(l));
                } else {
                    self.ins(I::LocalGet(l));
                    self.expr(T::I32, 2);
                    self.ins(I::StructSet {
                        struct_type_index: s,
                        field_index: 0,
                    });
                }
            }
            19 if self.m.simd() => {
                let mem = self.address();
                self.expr(T::V128, EXPR_DEPTH);
                let ma = self.memarg(4, mem);
                self.ins(I::V128Store(ma));
            }
            _ => {
                let t = self.any_type();
                self.expr(t, EXPR_DEPTH);
                if let Some(&l) = self.locals_of(t).last() {
                    self.ins(I::LocalSet(l));
                } else {
                    self.ins(I::Drop);
                }
            }
        }
    }

    fn store(&mut self) {
        let mem = self.address();
        match self.rng.below(9) {
            0 => {
                self.expr(T::I32, EXPR_DEPTH);
                let ma = self.memarg(2, mem);
                self.ins(I::I32Store(ma));
            }
            1 => {
                self.expr(T::I32, EXPR_DEPTH);
                let ma = self.memarg(0, mem);
                self.ins(I::I32Store8(ma));
            }
            2 => {
                self.expr(T::I32, EXPR_DEPTH);
                let ma = self.memarg(1, mem);
                self.ins(I::I32Store16(ma));
            }
            3 => {
                self.expr(T::I64, EXPR_DEPTH);
                let ma = self.memarg(3, mem);
                self.ins(I::I64Store(ma));
            }
            4 => {
                self.expr(T::I64, EXPR_DEPTH);
                let ma = self.memarg(2, mem);
                self.ins(I::I64Store32(ma));
            }
            5 => {
                self.expr(T::I64, EXPR_DEPTH);
                let ma = self.memarg(0, mem);
                self.ins(I::I64Store8(ma));
            }
            6 => {
                self.expr(T::F32, EXPR_DEPTH);
                let ma = self.memarg(2, mem);
                self.ins(I::F32Store(ma));
            }
            _ => {
                self.expr(T::F64, EXPR_DEPTH);
                let ma = self.memarg(3, mem);
                self.ins(I::F64Store(ma));
            }
        }
    }

    /// `block block block (br_table ...) end ... end ... end`.
    fn br_table(&mut self) {
        let inner = 1 + self.rng.below(4);
        for _ in 0..inner {
            self.open(I::Block(BlockType::Empty), vec![]);
        }
        // Targets: the new blocks, plus enclosing labels that take no values.
        let mut targets: Vec<u32> = (0..inner as u32).collect();
        let depth = self.labels.len();
        for d in inner..depth {
            if self.labels[depth - 1 - d].is_empty() {
                targets.push(d as u32);
            }
        }
        let n = 1 + self.rng.below(8);
        let table: Vec<u32> = (0..n).map(|_| *self.rng.pick(&targets)).collect();
        let default = *self.rng.pick(&targets);
        self.expr(T::I32, 2);
        self.ins(I::BrTable(Cow::Owned(table), default));
        for _ in 0..inner {
            self.close();
            self.stmt();
        }
    }

    /// `try_table` catching the module's tag or anything, with a conditional `throw`.
    fn try_table(&mut self) {
        if self.rng.chance(50) {
            // block (result i32) (try_table (result i32) (catch $tag 0) ...) end; drop
            self.open(I::Block(BlockType::Result(ValType::I32)), vec![T::I32]);
            let catches = [Catch::One { tag: 0, label: 0 }];
            self.open(
                I::TryTable(BlockType::Result(ValType::I32), Cow::Borrowed(&catches)),
                vec![T::I32],
            );
            self.stmts();
            self.cond();
            self.open(I::If(BlockType::Empty), vec![]);
            self.expr(T::I32, 2);
            self.ins(I::Throw(0));
            self.close();
            self.expr(T::I32, 2);
            self.close();
            self.close();
            self.ins(I::Drop);
        } else {
            self.open(I::Block(BlockType::Empty), vec![]);
            let catches = [Catch::All { label: 0 }];
            self.open(
                I::TryTable(BlockType::Empty, Cow::Borrowed(&catches)),
                vec![],
            );
            self.stmts();
            self.expr(T::I32, 2);
            self.ins(I::Throw(0));
            self.close();
            self.close();
        }
    }

    fn any_type(&mut self) -> T {
        let n = if self.m.simd() { 5 } else { 4 };
        [T::I32, T::I64, T::F32, T::F64, T::V128][self.rng.below(n)]
    }

    fn locals_of(&self, t: T) -> &[u32] {
        &self.locals[t.index()]
    }

    fn leaf(&mut self, t: T) {
        match self.rng.below(5) {
            0 | 3 if !self.locals_of(t).is_empty() => {
                let l = *self.rng.pick(&self.locals[t.index()]);
                self.ins(I::LocalGet(l));
            }
            1 => {
                if t == T::I32 && self.rng.chance(30) {
                    self.ins(I::GlobalGet(self.m.const_global));
                } else {
                    let g = self.m.globals[t.index()].expect("every type has a global");
                    self.ins(I::GlobalGet(g));
                }
            }
            _ => {
                let bits = self.rng.next();
                match t {
                    T::I32 => {
                        let i = I::I32Const((bits as i32) >> self.rng.below(32));
                        self.ins(i)
                    }
                    T::I64 => {
                        let i = I::I64Const((bits as i64) >> self.rng.below(64));
                        self.ins(i)
                    }
                    T::F32 => self.ins(I::F32Const(Ieee32::from(
                        (bits % 20_000) as f32 / 16.0 - 600.0,
                    ))),
                    T::F64 => self.ins(I::F64Const(Ieee64::from(
                        (bits % 2_000_000) as f64 / 64.0 - 9000.0,
                    ))),
                    T::V128 => {
                        let i = I::V128Const(((bits as i128) << 64) | self.rng.next() as i128);
                        self.ins(i);
                    }
                }
            }
        }
    }

    /// One expression: pushes exactly one value of type `t`.
    fn expr(&mut self, t: T, depth: u32) {
        if depth == 0 || self.rng.chance(20) {
            self.leaf(t);
            return;
        }
        let d = depth - 1;
        // Forms shared by every type.
        match self.rng.below(16) {
            0 if self.nest < MAX_NEST => {
                self.cond();
                self.open(I::If(BlockType::Result(t.val())), vec![t]);
                self.expr(t, d);
                self.ins(I::Else);
                self.expr(t, d);
                self.close();
                return;
            }
            1 if self.nest < MAX_NEST => {
                self.open(I::Block(BlockType::Result(t.val())), vec![t]);
                if self.rng.chance(30) {
                    self.stmt();
                }
                self.expr(t, d);
                self.cond();
                self.ins(I::BrIf(0));
                self.ins(I::Drop);
                self.expr(t, d);
                self.close();
                return;
            }
            2 => {
                self.expr(t, d);
                self.expr(t, d);
                self.cond();
                if self.m.v2() && self.rng.chance(50) {
                    self.ins(I::TypedSelect(t.val()));
                } else {
                    self.ins(I::Select);
                }
                return;
            }
            3 => {
                let sigs: Vec<usize> = (0..self.m.sigs.len())
                    .filter(|&s| {
                        self.m.sigs[s].results.first() == Some(&t)
                            && !self.m.funcs_by_sig[s].is_empty()
                    })
                    .collect();
                if !sigs.is_empty() {
                    let sig = *self.rng.pick(&sigs);
                    let callee = *self.rng.pick(&self.m.funcs_by_sig[sig]);
                    self.call_args(sig);
                    if self.rng.chance(70) {
                        self.ins(I::Call(callee));
                    } else {
                        self.ins(I::I32Const(callee as i32));
                        self.ins(I::CallIndirect {
                            type_index: self.m.sigs[sig].type_index,
                            table_index: 0,
                        });
                    }
                    // Keep the first result only.
                    let extra = self.m.sigs[sig].results.len() - 1;
                    if extra > 0 {
                        let tmp = self.locals_of(self.m.sigs[sig].results[1]).first().copied();
                        for _ in 0..extra {
                            match tmp {
                                Some(l) => self.ins(I::LocalSet(l)),
                                None => self.ins(I::Drop),
                            }
                        }
                    }
                    return;
                }
            }
            4 if !self.locals_of(t).is_empty() => {
                let l = *self.rng.pick(&self.locals[t.index()]);
                self.expr(t, d);
                self.ins(I::LocalTee(l));
                return;
            }
            _ => {}
        }
        match t {
            T::I32 => self.expr_i32(d),
            T::I64 => self.expr_i64(d),
            T::F32 => self.expr_f32(d),
            T::F64 => self.expr_f64(d),
            T::V128 => self.expr_v128(d),
        }
    }

    fn binary(&mut self, t: T, d: u32, ops: &[I<'static>]) {
        self.expr(t, d);
        self.expr(t, d);
        let op = self.rng.pick(ops).clone();
        self.ins(op);
    }

    fn unary(&mut self, from: T, d: u32, ops: &[I<'static>]) {
        self.expr(from, d);
        let op = self.rng.pick(ops).clone();
        self.ins(op);
    }

    fn expr_i32(&mut self, d: u32) {
        let v2 = self.m.v2();
        match self.rng.below(14) {
            0..=3 => self.binary(
                T::I32,
                d,
                &[
                    I::I32Add,
                    I::I32Sub,
                    I::I32Mul,
                    I::I32And,
                    I::I32Or,
                    I::I32Xor,
                    I::I32Shl,
                    I::I32ShrS,
                    I::I32ShrU,
                    I::I32Rotl,
                    I::I32Rotr,
                    I::I32DivU,
                    I::I32RemS,
                    I::I32Eq,
                    I::I32Ne,
                    I::I32LtS,
                    I::I32LtU,
                    I::I32GtS,
                    I::I32LeU,
                    I::I32GeS,
                ],
            ),
            4 => self.unary(T::I32, d, &[I::I32Clz, I::I32Ctz, I::I32Popcnt, I::I32Eqz]),
            5 if v2 => self.unary(T::I32, d, &[I::I32Extend8S, I::I32Extend16S]),
            6 => self.binary(
                T::I64,
                d,
                &[
                    I::I64Eq,
                    I::I64Ne,
                    I::I64LtS,
                    I::I64GtU,
                    I::I64LeS,
                    I::I64GeU,
                ],
            ),
            7 => {
                if self.rng.chance(50) {
                    self.binary(T::F64, d, &[I::F64Eq, I::F64Lt, I::F64Ge]);
                } else {
                    self.binary(T::F32, d, &[I::F32Ne, I::F32Gt, I::F32Le]);
                }
            }
            8 => {
                if v2 {
                    self.unary(
                        T::F64,
                        d,
                        &[I::I32TruncSatF64S, I::I32TruncSatF64U, I::I32TruncF64S],
                    );
                } else {
                    self.unary(T::F32, d, &[I::I32ReinterpretF32, I::I32TruncF32S]);
                }
            }
            9 => self.unary(T::I64, d, &[I::I32WrapI64, I::I64Eqz]),
            10 | 11 => {
                let mem = self.address();
                let (op, align): (fn(MemArg) -> I<'static>, u32) = match self.rng.below(5) {
                    0 => (I::I32Load, 2),
                    1 => (I::I32Load8S, 0),
                    2 => (I::I32Load8U, 0),
                    3 => (I::I32Load16S, 1),
                    _ => (I::I32Load16U, 1),
                };
                let ma = self.memarg(align, mem);
                self.ins(op(ma));
            }
            12 if self.m.simd() => {
                self.expr(T::V128, d);
                let op = match self.rng.below(7) {
                    0 => I::V128AnyTrue,
                    1 => I::I8x16AllTrue,
                    2 => I::I8x16Bitmask,
                    3 => I::I32x4Bitmask,
                    4 => I::I32x4ExtractLane(self.rng.below(4) as u8),
                    5 => I::I8x16ExtractLaneS(self.rng.below(16) as u8),
                    _ => I::I16x8ExtractLaneU(self.rng.below(8) as u8),
                };
                self.ins(op);
            }
            13 if v2 => {
                if self.m.v3() && self.rng.chance(50) {
                    let s = self.m.struct_type.expect("3.0 has the struct type");
                    self.expr(T::I32, d);
                    self.expr(T::F64, d);
                    self.ins(I::StructNew(s));
                    self.ins(I::StructGet {
                        struct_type_index: s,
                        field_index: 0,
                    });
                } else if self.rng.chance(50) {
                    // Multi-value block taking a parameter.
                    let ty = self.m.block_param_type.expect("2.0 has the block type");
                    self.expr(T::I32, d);
                    self.open(I::Block(BlockType::FunctionType(ty)), vec![T::I32]);
                    self.expr(T::I32, d);
                    self.ins(I::I32Add);
                    self.close();
                } else {
                    let f = self.rng.below(self.m.func_sig.len()) as u32;
                    self.ins(I::RefFunc(f));
                    self.ins(I::RefIsNull);
                    self.expr(T::I32, d);
                    self.ins(I::TableGet(0));
                    self.ins(I::RefIsNull);
                    self.ins(I::I32Add);
                }
            }
            _ => self.leaf(T::I32),
        }
    }

    fn expr_i64(&mut self, d: u32) {
        match self.rng.below(10) {
            0..=3 => self.binary(
                T::I64,
                d,
                &[
                    I::I64Add,
                    I::I64Sub,
                    I::I64Mul,
                    I::I64And,
                    I::I64Or,
                    I::I64Xor,
                    I::I64Shl,
                    I::I64ShrS,
                    I::I64ShrU,
                    I::I64Rotl,
                    I::I64Rotr,
                    I::I64DivS,
                    I::I64RemU,
                ],
            ),
            4 => self.unary(T::I64, d, &[I::I64Clz, I::I64Ctz, I::I64Popcnt]),
            5 => self.unary(T::I32, d, &[I::I64ExtendI32S, I::I64ExtendI32U]),
            6 => {
                if self.m.v2() {
                    self.unary(
                        T::F64,
                        d,
                        &[I::I64TruncSatF64S, I::I64TruncSatF64U, I::I64ReinterpretF64],
                    );
                } else {
                    self.unary(T::F64, d, &[I::I64ReinterpretF64, I::I64TruncF64S]);
                }
            }
            7 | 8 => {
                let mem = self.address();
                let (op, align): (fn(MemArg) -> I<'static>, u32) = match self.rng.below(4) {
                    0 => (I::I64Load, 3),
                    1 => (I::I64Load8U, 0),
                    2 => (I::I64Load16S, 1),
                    _ => (I::I64Load32U, 2),
                };
                let ma = self.memarg(align, mem);
                self.ins(op(ma));
            }
            9 if self.m.simd() => {
                self.expr(T::V128, d);
                let i = I::I64x2ExtractLane(self.rng.below(2) as u8);
                self.ins(i);
            }
            _ => self.leaf(T::I64),
        }
    }

    fn expr_f32(&mut self, d: u32) {
        match self.rng.below(8) {
            0..=2 => self.binary(
                T::F32,
                d,
                &[
                    I::F32Add,
                    I::F32Sub,
                    I::F32Mul,
                    I::F32Div,
                    I::F32Min,
                    I::F32Max,
                    I::F32Copysign,
                ],
            ),
            3 => self.unary(
                T::F32,
                d,
                &[
                    I::F32Abs,
                    I::F32Neg,
                    I::F32Sqrt,
                    I::F32Ceil,
                    I::F32Floor,
                    I::F32Trunc,
                    I::F32Nearest,
                ],
            ),
            4 => self.unary(T::I32, d, &[I::F32ConvertI32S, I::F32ReinterpretI32]),
            5 => self.unary(T::F64, d, &[I::F32DemoteF64]),
            6 => {
                let mem = self.address();
                let ma = self.memarg(2, mem);
                self.ins(I::F32Load(ma));
            }
            7 if self.m.simd() => {
                self.expr(T::V128, d);
                let i = I::F32x4ExtractLane(self.rng.below(4) as u8);
                self.ins(i);
            }
            _ => self.leaf(T::F32),
        }
    }

    fn expr_f64(&mut self, d: u32) {
        match self.rng.below(8) {
            0..=2 => self.binary(
                T::F64,
                d,
                &[
                    I::F64Add,
                    I::F64Sub,
                    I::F64Mul,
                    I::F64Div,
                    I::F64Min,
                    I::F64Max,
                    I::F64Copysign,
                ],
            ),
            3 => self.unary(
                T::F64,
                d,
                &[
                    I::F64Abs,
                    I::F64Neg,
                    I::F64Sqrt,
                    I::F64Ceil,
                    I::F64Floor,
                    I::F64Trunc,
                    I::F64Nearest,
                ],
            ),
            4 => self.unary(
                T::I64,
                d,
                &[I::F64ConvertI64S, I::F64ConvertI64U, I::F64ReinterpretI64],
            ),
            5 => self.unary(T::F32, d, &[I::F64PromoteF32]),
            6 => {
                let mem = self.address();
                let ma = self.memarg(3, mem);
                self.ins(I::F64Load(ma));
            }
            7 if self.m.v3() && self.rng.chance(50) => {
                let s = self.m.struct_type.expect("3.0 has the struct type");
                let l = self.struct_local.expect("3.0 has the struct local");
                self.ins(I::LocalGet(l));
                self.ins(I::StructGet {
                    struct_type_index: s,
                    field_index: 1,
                });
            }
            7 if self.m.simd() => {
                self.expr(T::V128, d);
                let i = I::F64x2ExtractLane(self.rng.below(2) as u8);
                self.ins(i);
            }
            _ => self.leaf(T::F64),
        }
    }

    fn expr_v128(&mut self, d: u32) {
        match self.rng.below(12) {
            0..=3 => self.binary(
                T::V128,
                d,
                &[
                    I::I8x16Add,
                    I::I8x16SubSatU,
                    I::I8x16AvgrU,
                    I::I8x16GtU,
                    I::I8x16Swizzle,
                    I::I8x16NarrowI16x8S,
                    I::I16x8Mul,
                    I::I16x8AddSatS,
                    I::I16x8Q15MulrSatS,
                    I::I16x8ExtMulLowI8x16S,
                    I::I32x4Add,
                    I::I32x4Sub,
                    I::I32x4Mul,
                    I::I32x4MinS,
                    I::I32x4Eq,
                    I::I32x4DotI16x8S,
                    I::I64x2Add,
                    I::I64x2Mul,
                    I::F32x4Add,
                    I::F32x4Mul,
                    I::F32x4Div,
                    I::F32x4Min,
                    I::F32x4Lt,
                    I::F32x4PMin,
                    I::F64x2Add,
                    I::F64x2Mul,
                    I::F64x2Max,
                    I::F64x2Le,
                    I::V128And,
                    I::V128Or,
                    I::V128Xor,
                    I::V128AndNot,
                ],
            ),
            4 => self.unary(
                T::V128,
                d,
                &[
                    I::V128Not,
                    I::I8x16Abs,
                    I::I8x16Popcnt,
                    I::I16x8Neg,
                    I::I16x8ExtendLowI8x16S,
                    I::I16x8ExtAddPairwiseI8x16S,
                    I::I32x4Abs,
                    I::I32x4ExtendHighI16x8U,
                    I::I32x4TruncSatF32x4S,
                    I::I64x2Neg,
                    I::I64x2ExtendLowI32x4S,
                    I::F32x4Sqrt,
                    I::F32x4Ceil,
                    I::F32x4ConvertI32x4U,
                    I::F32x4DemoteF64x2Zero,
                    I::F64x2Floor,
                    I::F64x2Nearest,
                    I::F64x2ConvertLowI32x4S,
                    I::F64x2PromoteLowF32x4,
                ],
            ),
            5 => {
                self.expr(T::V128, d);
                self.expr(T::I32, d);
                let op = self
                    .rng
                    .pick(&[I::I8x16Shl, I::I16x8ShrS, I::I32x4ShrU, I::I64x2Shl])
                    .clone();
                self.ins(op);
            }
            6 => {
                let (from, op) = match self.rng.below(6) {
                    0 => (T::I32, I::I8x16Splat),
                    1 => (T::I32, I::I16x8Splat),
                    2 => (T::I32, I::I32x4Splat),
                    3 => (T::I64, I::I64x2Splat),
                    4 => (T::F32, I::F32x4Splat),
                    _ => (T::F64, I::F64x2Splat),
                };
                self.unary(from, d, &[op]);
            }
            7 => {
                self.expr(T::V128, d);
                let (from, op) = match self.rng.below(3) {
                    0 => (T::I32, I::I32x4ReplaceLane(self.rng.below(4) as u8)),
                    1 => (T::I32, I::I8x16ReplaceLane(self.rng.below(16) as u8)),
                    _ => (T::F64, I::F64x2ReplaceLane(self.rng.below(2) as u8)),
                };
                self.expr(from, d);
                self.ins(op);
            }
            8 => {
                self.expr(T::V128, d);
                self.expr(T::V128, d);
                if self.rng.chance(50) {
                    self.expr(T::V128, d);
                    self.ins(I::V128Bitselect);
                } else {
                    let mut lanes = [0u8; 16];
                    for lane in &mut lanes {
                        *lane = self.rng.below(32) as u8;
                    }
                    self.ins(I::I8x16Shuffle(lanes));
                }
            }
            9 | 10 => {
                let mem = self.address();
                let (op, align): (fn(MemArg) -> I<'static>, u32) = match self.rng.below(5) {
                    0 => (I::V128Load, 4),
                    1 => (I::V128Load8x8S, 3),
                    2 => (I::V128Load32Splat, 2),
                    3 => (I::V128Load16x4U, 3),
                    _ => (I::V128Load64Zero, 3),
                };
                let ma = self.memarg(align, mem);
                self.ins(op(ma));
            }
            11 if self.m.v3() => match self.rng.below(4) {
                0 => {
                    self.expr(T::V128, d);
                    self.expr(T::V128, d);
                    self.expr(T::V128, d);
                    let op = self
                        .rng
                        .pick(&[I::F32x4RelaxedMadd, I::I32x4RelaxedLaneselect])
                        .clone();
                    self.ins(op);
                }
                1 => self.binary(
                    T::V128,
                    d,
                    &[
                        I::I8x16RelaxedSwizzle,
                        I::F64x2RelaxedMin,
                        I::I16x8RelaxedDotI8x16I7x16S,
                    ],
                ),
                _ => self.unary(
                    T::V128,
                    d,
                    &[I::I32x4RelaxedTruncF32x4S, I::I32x4RelaxedTruncF64x2UZero],
                ),
            },
            _ => self.leaf(T::V128),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64, profile: Profile) -> SynthConfig {
        SynthConfig {
            seed,
            target_size: 256 << 10,
            profile,
        }
    }

    #[test]
    fn synthetic_modules_are_valid() {
        for profile in [Profile::Wasm1, Profile::Wasm2, Profile::Wasm3] {
            for seed in 0..4 {
                let bytes = synthetic_module(&config(seed, profile));
                if let Err(e) = wasmparser_validate(&bytes, &profile.features()) {
                    panic!("{profile:?} seed {seed}: {e}");
                }
            }
        }
    }

    #[test]
    fn synthetic_modules_use_their_profile() {
        let v2 = synthetic_module(&config(1, Profile::Wasm2));
        assert!(wasmparser_validate(&v2, &Features::wasm1()).is_err());
        let v3 = synthetic_module(&config(1, Profile::Wasm3));
        assert!(wasmparser_validate(&v3, &Features::wasm2()).is_err());
    }

    #[test]
    fn synthetic_module_is_deterministic_and_near_its_size() {
        let c = SynthConfig {
            target_size: 2 << 20,
            ..SynthConfig::default()
        };
        let a = synthetic_module(&c);
        assert_eq!(a, synthetic_module(&c));
        let ratio = a.len() as f64 / c.target_size as f64;
        assert!(
            (0.9..1.1).contains(&ratio),
            "size {} ratio {ratio}",
            a.len()
        );
    }

    #[test]
    fn default_synthetic_module_is_valid() {
        let bytes = synthetic_module(&SynthConfig::default());
        wasmparser_validate(&bytes, &Features::wasm3()).unwrap();
    }

    #[test]
    fn committed_guests_are_valid() {
        for name in ["bigprog.wasm", "bigprog-simd.wasm"] {
            let bytes = std::fs::read(package_dir().join("guests").join(name)).unwrap();
            wasmparser_validate(&bytes, &Features::wasm3()).unwrap();
        }
    }
}
