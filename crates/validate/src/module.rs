//! Module-level validation: types, imports, definitions, segments, exports and start, then
//! every function body.

use alloc::collections::BTreeSet;
use alloc::vec;

use spindle_decode::{
    AbstractHeapType as A, CompositeType, ConstExpr, ElementItems, ExternalKind, GlobalType,
    HeapType, ImportKind, MemoryType, Module, RefType, SegmentMode, StorageType, TableType,
    TagType, ValType,
};

use crate::ctx::ModuleCtx;
use crate::error::{bail, Result, ValidateError};
use crate::func::FuncValidator;
use crate::{check_compiled_in, Features};
use spindle_decode::Proposal;

/// Checks that a heap type is enabled by the features and names a defined type.
pub(crate) fn check_heap_type(ctx: &ModuleCtx, h: HeapType, offset: usize) -> Result<()> {
    let f = &ctx.features;
    match h {
        HeapType::Abstract(a) => {
            match a {
                A::Func | A::Extern => {}
                A::Exn => check_compiled_in(Proposal::Exceptions, offset)?,
                A::NoExn => {
                    check_compiled_in(Proposal::Exceptions, offset)?;
                    check_compiled_in(Proposal::Gc, offset)?;
                }
                _ => check_compiled_in(Proposal::Gc, offset)?,
            }
            let ok = match a {
                A::Func | A::Extern => f.reference_types,
                A::Exn => f.exceptions,
                A::NoExn => f.exceptions && f.gc,
                A::Any
                | A::Eq
                | A::I31
                | A::Struct
                | A::Array
                | A::None
                | A::NoFunc
                | A::NoExtern => f.gc,
            };
            if !ok {
                bail!(
                    offset,
                    "heap type {h} requires a proposal that is not enabled"
                );
            }
        }
        HeapType::Concrete(i) | HeapType::Exact(i) => {
            check_compiled_in(Proposal::FuncRefs, offset)?;
            if !f.function_references {
                bail!(
                    offset,
                    "concrete reference types require function references"
                );
            }
            if matches!(h, HeapType::Exact(_)) {
                check_compiled_in(Proposal::CustomDesc, offset)?;
            }
            if matches!(h, HeapType::Exact(_)) && !f.custom_descriptors {
                bail!(
                    offset,
                    "exact types require the custom descriptors proposal"
                );
            }
            if i >= ctx.types.len() {
                bail!(offset, "unknown type {i}: type index out of bounds");
            }
        }
    }
    Ok(())
}

/// Checks that a value type is enabled by the features and names defined types.
pub(crate) fn check_val_type(ctx: &ModuleCtx, t: ValType, offset: usize) -> Result<()> {
    match t {
        ValType::V128 if !crate::compiled_in(Proposal::Simd) => {
            check_compiled_in(Proposal::Simd, offset)
        }
        ValType::V128 if !ctx.features.simd => bail!(offset, "SIMD support is not enabled"),
        ValType::Ref(r) => {
            if !r.nullable {
                check_compiled_in(Proposal::FuncRefs, offset)?;
                if !ctx.features.function_references {
                    bail!(
                        offset,
                        "non-nullable references require function references"
                    );
                }
            }
            check_heap_type(ctx, r.heap, offset)
        }
        _ => Ok(()),
    }
}

/// Like [`check_val_type`] for types inside the rec group being defined, whose indices were
/// bounds-checked already.
fn check_val_type_in_group(ctx: &ModuleCtx, t: ValType, offset: usize) -> Result<()> {
    match t {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(_) | HeapType::Exact(_),
        }) => {
            check_compiled_in(Proposal::FuncRefs, offset)?;
            if !ctx.features.function_references {
                bail!(
                    offset,
                    "concrete reference types require function references"
                );
            }
            if let ValType::Ref(RefType {
                heap: HeapType::Exact(_),
                ..
            }) = t
            {
                if !ctx.features.custom_descriptors {
                    bail!(
                        offset,
                        "exact types require the custom descriptors proposal"
                    );
                }
            }
            let _ = nullable;
            Ok(())
        }
        _ => check_val_type(ctx, t, offset),
    }
}

fn check_limits(
    initial: u64,
    maximum: Option<u64>,
    bound: u64,
    what: &str,
    offset: usize,
) -> Result<()> {
    if initial > bound {
        bail!(offset, "{what} size must be at most {bound}");
    }
    if let Some(max) = maximum {
        if max > bound {
            bail!(offset, "{what} size must be at most {bound}");
        }
        if max < initial {
            bail!(offset, "size minimum must not be greater than maximum");
        }
    }
    Ok(())
}

fn check_table_type(ctx: &ModuleCtx, t: &TableType, offset: usize) -> Result<()> {
    // `funcref` tables predate reference types.
    if t.element != RefType::FUNCREF {
        check_val_type(ctx, ValType::Ref(t.element), offset)?;
    }
    if t.table64 {
        check_compiled_in(Proposal::Memory64, offset)?;
        if !ctx.features.memory64 {
            bail!(offset, "64-bit tables require memory64");
        }
    }
    if t.shared {
        bail!(offset, "shared tables are not supported");
    }
    let bound = if t.table64 { u64::MAX } else { u32::MAX as u64 };
    check_limits(t.limits.initial, t.limits.maximum, bound, "table", offset)
}

fn check_memory_type(ctx: &ModuleCtx, m: &MemoryType, offset: usize) -> Result<()> {
    let f = &ctx.features;
    if m.memory64 {
        check_compiled_in(Proposal::Memory64, offset)?;
        if !f.memory64 {
            bail!(offset, "64-bit memories require memory64");
        }
    }
    if let Some(p) = m.page_size_log2 {
        if !f.custom_page_sizes {
            bail!(offset, "custom page sizes are not enabled");
        }
        if p != 0 && p != 16 {
            bail!(offset, "invalid custom page size");
        }
    }
    if m.shared {
        check_compiled_in(Proposal::Threads, offset)?;
        if !f.threads {
            bail!(offset, "shared memories require the threads proposal");
        }
        if m.limits.maximum.is_none() {
            bail!(offset, "shared memory must have maximum");
        }
    }
    let page_log2 = m.page_size_log2();
    let bytes_log2 = if m.memory64 { 64 } else { 32 };
    let bound = 1u64 << (bytes_log2 - page_log2).min(63);
    let bound = if m.memory64 && page_log2 == 0 {
        u64::MAX
    } else {
        bound
    };
    check_limits(m.limits.initial, m.limits.maximum, bound, "memory", offset).map_err(|_| {
        ValidateError::invalid(offset, "memory size must be at most 65536 pages (4GiB)")
    })
}

fn check_global_type(ctx: &ModuleCtx, g: &GlobalType, offset: usize) -> Result<()> {
    check_val_type(ctx, g.content, offset)
}

fn check_tag_type(ctx: &ModuleCtx, t: &TagType, offset: usize) -> Result<()> {
    check_compiled_in(Proposal::Exceptions, offset)?;
    if !ctx.features.exceptions {
        bail!(offset, "exceptions support is not enabled");
    }
    match ctx.types.func_type(t.func_type) {
        Some(f) if f.results().is_empty() => Ok(()),
        Some(_) => bail!(offset, "invalid exception type: tag results must be empty"),
        None => bail!(
            offset,
            "unknown type {}: tags need a function type",
            t.func_type
        ),
    }
}

fn check_func_type_index(ctx: &ModuleCtx, ti: u32, offset: usize) -> Result<()> {
    if ctx.types.func_type(ti).is_none() {
        if ti >= ctx.types.len() {
            bail!(offset, "unknown type {ti}: type index out of bounds");
        }
        bail!(offset, "type mismatch: type {ti} is not a function type");
    }
    Ok(())
}

fn const_expr(
    fv: &mut FuncValidator<'_>,
    e: &ConstExpr<'_>,
    ty: ValType,
    globals: u32,
) -> Result<()> {
    fv.validate_const(e.reader, ty, globals)
}

/// Decodes and validates a whole module.
pub(crate) fn validate_module(bytes: &[u8], features: &Features) -> Result<()> {
    let m = Module::parse(bytes)?;
    let ctx = check_module(&m, features)?;
    let imported_funcs = ctx.funcs.len() - m.functions.len();
    let mut fv = FuncValidator::new(&ctx);
    for (i, body) in m.code.iter().enumerate() {
        let index = (imported_funcs + i) as u32;
        let ti = ctx.funcs[index as usize];
        fv.validate_body(ti, body.reader)
            .map_err(|e| e.in_function(index))?;
    }
    Ok(())
}

/// Validates everything of a decoded module but its function bodies, and returns the
/// context the bodies are then checked against (by [`FuncValidator`], alone or fused with a
/// translator).
pub fn check_module(m: &Module<'_>, features: &Features) -> Result<ModuleCtx> {
    // What the build cannot run is refused whatever the caller enabled.
    let features = &features.compiled();
    let mut ctx = ModuleCtx {
        features: *features,
        ..ModuleCtx::default()
    };

    // Types.
    for group in &m.types {
        if group.explicit {
            check_compiled_in(Proposal::Gc, group.offset)?;
        }
        if group.explicit && !features.gc {
            bail!(group.offset, "rec groups require the gc proposal");
        }
        let start = ctx.types.len();
        ctx.types.add_group(group);
        ctx.types.check_group(
            start,
            group.offset,
            features.gc,
            features.custom_descriptors,
        )?;
        for t in &group.types {
            match &t.composite {
                CompositeType::Func(f) => {
                    if f.results().len() > 1 && !features.multi_value {
                        bail!(group.offset, "multiple results require multi-value");
                    }
                    for v in f.params().iter().chain(f.results()) {
                        check_val_type_in_group(&ctx, *v, group.offset)?;
                    }
                }
                CompositeType::Struct(fields) => {
                    check_compiled_in(Proposal::Gc, group.offset)?;
                    if !features.gc {
                        bail!(group.offset, "struct types require the gc proposal");
                    }
                    for fl in fields.iter() {
                        if let StorageType::Val(v) = fl.storage {
                            check_val_type_in_group(&ctx, v, group.offset)?;
                        }
                    }
                }
                CompositeType::Array(fl) => {
                    check_compiled_in(Proposal::Gc, group.offset)?;
                    if !features.gc {
                        bail!(group.offset, "array types require the gc proposal");
                    }
                    if let StorageType::Val(v) = fl.storage {
                        check_val_type_in_group(&ctx, v, group.offset)?;
                    }
                }
            }
        }
    }

    // Imports.
    for imp in &m.imports {
        let at = imp.offset;
        match imp.kind {
            ImportKind::Func(ti) => {
                check_func_type_index(&ctx, ti, at)?;
                ctx.funcs.push(ti);
                ctx.funcs_exact.push(false);
            }
            ImportKind::FuncExact(ti) => {
                if !features.custom_descriptors {
                    bail!(
                        at,
                        "exact function imports require the custom descriptors proposal"
                    );
                }
                check_func_type_index(&ctx, ti, at)?;
                ctx.funcs.push(ti);
                ctx.funcs_exact.push(true);
            }
            ImportKind::Table(t) => {
                check_table_type(&ctx, &t, at)?;
                ctx.tables.push(t);
            }
            ImportKind::Memory(mt) => {
                check_memory_type(&ctx, &mt, at)?;
                ctx.memories.push(mt);
            }
            ImportKind::Global(g) => {
                check_global_type(&ctx, &g, at)?;
                if g.mutable && !features.mutable_global {
                    bail!(
                        at,
                        "mutable global imports require the mutable-global proposal"
                    );
                }
                ctx.globals.push(g);
            }
            ImportKind::Tag(t) => {
                check_tag_type(&ctx, &t, at)?;
                ctx.tags.push(t.func_type);
            }
        }
    }
    let imported_funcs = ctx.funcs.len();
    let imported_globals = ctx.globals.len() as u32;

    for ti in &m.functions {
        check_func_type_index(&ctx, *ti, m.function_section_offset)?;
        ctx.funcs.push(*ti);
        ctx.funcs_exact.push(true);
    }
    for t in &m.tables {
        check_table_type(&ctx, &t.ty, t.offset)?;
        ctx.tables.push(t.ty);
    }
    if ctx.tables.len() > 1 && !features.reference_types {
        bail!(
            m.tables.first().map_or(0, |t| t.offset),
            "multiple tables require reference types"
        );
    }
    for (at, mt) in &m.memories {
        check_memory_type(&ctx, mt, *at)?;
        ctx.memories.push(*mt);
    }
    if ctx.memories.len() > 1 {
        let at = m.memories.first().map_or(0, |x| x.0);
        check_compiled_in(Proposal::MultiMemory, at)?;
        if !features.multi_memory {
            bail!(at, "multiple memories require multi-memory");
        }
    }
    for (at, t) in &m.tags {
        check_tag_type(&ctx, t, *at)?;
        ctx.tags.push(t.func_type);
    }
    for g in &m.globals {
        check_global_type(&ctx, &g.ty, g.offset)?;
        ctx.globals.push(g.ty);
    }
    for e in &m.elements {
        if !matches!(e.mode, SegmentMode::Active { .. }) && !features.bulk_memory {
            bail!(
                e.offset,
                "passive and declared element segments require bulk memory"
            );
        }
        let t = e.ty();
        if let ElementItems::Exprs(..) = e.items {
            if t != RefType::FUNCREF {
                check_val_type(&ctx, ValType::Ref(t), e.offset)?;
            }
        }
        ctx.elems.push(t);
    }
    ctx.data_count = m.data_count;
    if m.data_count.is_some() && !features.bulk_memory {
        bail!(0, "data count section requires bulk memory");
    }

    // Constant expressions (which also collect the functions `ref.func` may name).
    let mut declared = BTreeSet::new();
    {
        let mut fv = FuncValidator::new(&ctx);
        for (i, t) in m.tables.iter().enumerate() {
            match &t.init {
                Some(e) => {
                    if !features.function_references {
                        bail!(
                            t.offset,
                            "tables with expression initializers require function references"
                        );
                    }
                    const_expr(&mut fv, e, ValType::Ref(t.ty.element), imported_globals)?
                }
                None => {
                    if !t.ty.element.nullable {
                        bail!(t.offset, "type mismatch: table {i} of non-nullable references needs an initialiser");
                    }
                }
            }
        }
        for (i, g) in m.globals.iter().enumerate() {
            let visible = if features.gc {
                imported_globals + i as u32
            } else {
                imported_globals
            };
            const_expr(&mut fv, &g.init, g.ty.content, visible)?;
        }
        let seg_globals = if features.gc {
            ctx.globals.len() as u32
        } else {
            imported_globals
        };
        for e in &m.elements {
            let t = e.ty();
            if let SegmentMode::Active { index, offset } = &e.mode {
                let table = match ctx.tables.get(*index as usize) {
                    Some(tt) => *tt,
                    None => bail!(e.offset, "unknown table {index}"),
                };
                let idx_ty = if table.table64 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                const_expr(&mut fv, offset, idx_ty, seg_globals)?;
                if !ctx.types.is_sub_ref(t, table.element) {
                    bail!(
                        e.offset,
                        "type mismatch: element segment does not fit table {index}"
                    );
                }
            }
            match &e.items {
                ElementItems::Functions(fs) => {
                    for f in fs {
                        if *f as usize >= ctx.funcs.len() {
                            bail!(e.offset, "unknown function {f}");
                        }
                        declared.insert(*f);
                    }
                }
                ElementItems::Exprs(ty, exprs) => {
                    for x in exprs {
                        const_expr(&mut fv, x, ValType::Ref(*ty), seg_globals)?;
                    }
                }
            }
        }
        for d in &m.data {
            if !features.bulk_memory && matches!(d.mode, SegmentMode::Passive) {
                bail!(
                    d.offset,
                    "passive data segments require the bulk-memory proposal"
                );
            }
            if let SegmentMode::Active { index, offset } = &d.mode {
                let idx_ty = match ctx.memory_index_type(*index) {
                    Some(t) => t,
                    None => bail!(d.offset, "unknown memory {index}"),
                };
                const_expr(&mut fv, offset, idx_ty, seg_globals)?;
            }
        }
        declared.extend(fv.const_refs.iter().copied());
    }

    // Exports.
    let mut names = BTreeSet::new();
    for ex in &m.exports {
        if !names.insert(ex.name) {
            bail!(ex.offset, "duplicate export name {:?}", ex.name);
        }
        let (len, what) = match ex.kind {
            ExternalKind::Func => (ctx.funcs.len(), "function"),
            ExternalKind::Table => (ctx.tables.len(), "table"),
            ExternalKind::Memory => (ctx.memories.len(), "memory"),
            ExternalKind::Global => (ctx.globals.len(), "global"),
            ExternalKind::Tag => {
                check_compiled_in(Proposal::Exceptions, ex.offset)?;
                if !features.exceptions {
                    bail!(ex.offset, "exceptions support is not enabled");
                }
                (ctx.tags.len(), "tag")
            }
        };
        if ex.index as usize >= len {
            bail!(
                ex.offset,
                "unknown {what} {}: exported index out of bounds",
                ex.index
            );
        }
        if ex.kind == ExternalKind::Func {
            declared.insert(ex.index);
        }
        if ex.kind == ExternalKind::Global
            && ctx.globals[ex.index as usize].mutable
            && !features.mutable_global
        {
            bail!(
                ex.offset,
                "mutable global exports require the mutable-global proposal"
            );
        }
    }

    // Start.
    if let Some((at, f)) = m.start {
        let ti = match ctx.funcs.get(f as usize) {
            Some(t) => *t,
            None => bail!(at, "unknown function {f}"),
        };
        let ft = ctx
            .types
            .func_type(ti)
            .expect("function types were checked");
        if !ft.params().is_empty() || !ft.results().is_empty() {
            bail!(at, "start function must have type [] -> []");
        }
    }

    // Function bodies.
    let mut refs = vec![false; ctx.funcs.len()];
    for f in declared {
        if let Some(r) = refs.get_mut(f as usize) {
            *r = true;
        }
    }
    ctx.declared = refs;
    let _ = imported_funcs;
    Ok(ctx)
}
