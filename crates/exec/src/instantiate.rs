#![forbid(unsafe_code)]
//! Instantiation: import matching, entity allocation, constant expressions, segment
//! initialisation and the start function, in the spec's order.

use crate::prelude::*;
use alloc::sync::Arc;

use spindle_decode::{Limits, MemoryType, TableType, ValType};
use spindle_ir::TrapCode;

use crate::interp;
use crate::module::{CompiledModule, ConstOp, ExportKind, ImportDesc, Mode};
use crate::store::*;
use crate::{Error, Trap};

/// Evaluates a constant expression in instance `inst`.
fn eval(store: &mut Store, inst: usize, types: &[u32], ops: &[ConstOp]) -> Result<u128, Error> {
    let mut stack: Vec<u128> = Vec::with_capacity(4);
    for op in ops {
        let v = match *op {
            ConstOp::StructNew(t)
            | ConstOp::StructNewDefault(t)
            | ConstOp::ArrayNew(t)
            | ConstOp::ArrayNewDefault(t)
            | ConstOp::ArrayNewFixed(t, _)
            | ConstOp::StructNewDesc(t)
            | ConstOp::StructNewDefaultDesc(t) => {
                gc_new(store, types[t as usize], *op, &mut stack)?
            }
            // `const_ops` keeps the operators before it.
            ConstOp::End => break,
            ConstOp::RefI31 => crate::gc::i31(stack.pop().unwrap_or(0) as u32) as u128,
            ConstOp::Convert => stack.pop().unwrap_or(0),
            ConstOp::I32(x) => x as u32 as u128,
            ConstOp::I64(x) => x as u64 as u128,
            ConstOp::F32(x) => x as u128,
            ConstOp::F64(x) => x as u128,
            ConstOp::V128(x) => x,
            ConstOp::RefNull => 0,
            ConstOp::RefFunc(f) => store.instances[inst].funcs[f as usize] as u128 + 1,
            ConstOp::GlobalGet(g) => {
                store.globals[store.instances[inst].globals[g as usize] as usize].bits()
            }
            ConstOp::I32Add
            | ConstOp::I32Sub
            | ConstOp::I32Mul
            | ConstOp::I64Add
            | ConstOp::I64Sub
            | ConstOp::I64Mul => {
                let b = stack.pop().unwrap_or(0) as u64;
                let a = stack.pop().unwrap_or(0) as u64;
                (match *op {
                    ConstOp::I32Add => (a as u32).wrapping_add(b as u32) as u64,
                    ConstOp::I32Sub => (a as u32).wrapping_sub(b as u32) as u64,
                    ConstOp::I32Mul => (a as u32).wrapping_mul(b as u32) as u64,
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as u128
            }
        };
        stack.push(v);
    }
    Ok(stack.pop().unwrap_or(0))
}

/// A GC allocation of a constant expression, of engine type `ty`, its operands popped from
/// `stack`. (No collection runs here: the operands on `stack` are no roots.)
fn gc_new(store: &mut Store, ty: u32, op: ConstOp, stack: &mut Vec<u128>) -> Result<u128, Error> {
    let Some(layout) = store.registry.layout(ty) else {
        return Ok(0);
    };
    let mut cells: Vec<u64> = Vec::new();
    let push = |cells: &mut Vec<u64>, v: u128, width: u8| {
        cells.push(v as u64);
        if width == 2 {
            cells.push((v >> 64) as u64);
        }
    };
    match op {
        ConstOp::StructNew(_) => {
            let n = layout.field_cells.len();
            let vals = stack.split_off(stack.len().saturating_sub(n));
            for (v, w) in vals.into_iter().zip(layout.field_cells.iter()) {
                push(&mut cells, v, *w);
            }
        }
        ConstOp::StructNewDefault(_) => {
            let n: usize = layout.field_cells.iter().map(|w| *w as usize).sum();
            cells.resize(n, 0);
        }
        ConstOp::StructNewDesc(_) => {
            let desc = stack.pop().unwrap_or(0);
            if desc == 0 {
                return Err(Error::Trap(Trap::new(TrapCode::NullDescriptorReference)));
            }
            let n = layout.field_cells.len();
            let vals = stack.split_off(stack.len().saturating_sub(n));
            for (v, w) in vals.into_iter().zip(layout.field_cells.iter()) {
                push(&mut cells, v, *w);
            }
            push(&mut cells, desc, 1);
        }
        ConstOp::StructNewDefaultDesc(_) => {
            let desc = stack.pop().unwrap_or(0);
            if desc == 0 {
                return Err(Error::Trap(Trap::new(TrapCode::NullDescriptorReference)));
            }
            let n: usize = layout.field_cells.iter().map(|w| *w as usize).sum();
            cells.resize(n + 1, 0);
            cells[n] = desc as u64;
        }
        ConstOp::ArrayNew(_) | ConstOp::ArrayNewDefault(_) => {
            let len = stack.pop().unwrap_or(0) as u32;
            let size = len as u64 * layout.elem_cells.max(1) as u64;
            if store.gc.over_limit(size as usize, store.limits.gc_heap) {
                return Err(Error::Trap(Trap::new(TrapCode::GcHeapExhausted)));
            }
            let init = if matches!(op, ConstOp::ArrayNew(_)) {
                stack.pop().unwrap_or(0)
            } else {
                0
            };
            // Fallibly: a host out of memory is a trap here, not an abort.
            if cells.try_reserve_exact(size as usize).is_err() {
                return Err(Error::Trap(Trap::new(TrapCode::GcHeapExhausted)));
            }
            for _ in 0..len {
                push(&mut cells, init, layout.elem_cells);
            }
        }
        ConstOp::ArrayNewFixed(_, n) => {
            let vals = stack.split_off(stack.len().saturating_sub(n as usize));
            for v in vals {
                push(&mut cells, v, layout.elem_cells);
            }
        }
        _ => {}
    }
    if store.gc.over_limit(cells.len(), store.limits.gc_heap) {
        return Err(Error::Trap(Trap::new(TrapCode::GcHeapExhausted)));
    }
    if store.gc.layouts.len() <= ty as usize {
        store.gc.layouts.resize(ty as usize + 1, None);
    }
    store.gc.layouts[ty as usize] = Some(layout.clone());
    Ok(store.gc.alloc(ty, layout.array, cells.into()) as u128)
}

fn limits_match(actual: &Limits, declared: &Limits) -> bool {
    if actual.initial < declared.initial {
        return false;
    }
    match (declared.maximum, actual.maximum) {
        (None, _) => true,
        (Some(d), Some(a)) => a <= d,
        (Some(_), None) => false,
    }
}

fn table_matches(actual: &TableType, declared: &TableType) -> bool {
    actual.element == declared.element
        && actual.table64 == declared.table64
        && limits_match(&actual.limits, &declared.limits)
}

fn describe_limits(l: &Limits, unit: &str) -> String {
    match l.maximum {
        Some(max) => format!("{}..{max} {unit}", l.initial),
        None => format!("{}.. {unit}", l.initial),
    }
}

fn describe_memory(m: &MemoryType) -> String {
    let mut d = format!("memory {}", describe_limits(&m.limits, "pages"));
    if m.memory64 {
        d += ", 64-bit";
    }
    if m.shared {
        d += ", shared";
    }
    if m.page_size_log2() != 16 {
        d += &format!(", page size {}", 1u64 << m.page_size_log2());
    }
    d
}

fn describe_table(t: &TableType) -> String {
    format!(
        "table {} of {}{}",
        describe_limits(&t.limits, "elements"),
        ValType::Ref(t.element),
        if t.table64 { ", 64-bit" } else { "" }
    )
}

fn describe_global(g: &spindle_decode::GlobalType) -> String {
    format!(
        "global {}{}",
        if g.mutable { "mut " } else { "" },
        g.content
    )
}

/// What an import asks for, for link errors.
fn describe_import(store: &Store, desc: &ImportDesc) -> String {
    match desc {
        ImportDesc::Func(t) => format!("func {}", store.registry.get(*t)),
        ImportDesc::FuncExact(t) => format!("exactly func {}", store.registry.get(*t)),
        ImportDesc::Table(t) => describe_table(t),
        ImportDesc::Memory(m) => describe_memory(m),
        ImportDesc::Global(g) => describe_global(g),
        ImportDesc::Tag(t) => format!("tag {}", store.registry.get(*t)),
    }
}

/// What was given for an import, for link errors (sizes as they are now).
fn describe_extern(store: &Store, ext: Extern) -> String {
    match ext {
        Extern::Func(f) => format!("func {}", store.registry.get(store.funcs[f as usize].ty())),
        Extern::Table(t) => {
            let t = &store.tables[t as usize];
            let mut ty = t.ty;
            ty.limits.initial = t.elems.len() as u64;
            describe_table(&ty)
        }
        Extern::Memory(m) => {
            let m = &store.memories[m as usize];
            let mut ty = m.ty;
            ty.limits.initial = m.pages();
            describe_memory(&ty)
        }
        Extern::Global(g) => describe_global(&store.globals[g as usize].ty),
        Extern::Tag(t) => format!("tag {}", store.registry.get(store.tags[t as usize])),
    }
}

/// Instantiates `module` in `store` with `imports` (one per import, in order); returns the
/// new instance's index.
pub fn instantiate(
    store: &mut Store,
    module: &Arc<CompiledModule>,
    imports: &[Extern],
) -> Result<u32, Error> {
    if imports.len() != module.imports.len() {
        return Err(Error::Link(format!(
            "expected {} imports, got {}",
            module.imports.len(),
            imports.len()
        )));
    }
    if store.instances.len() >= store.limits.instances {
        return Err(Error::Limit("too many instances".into()));
    }
    // Code of one encoding per store (see `Store::code_dispatch`).
    match store.code_dispatch {
        Some(d) if d != module.dispatch => {
            return Err(Error::Link(format!(
                "the module's code is encoded for the {:?} backend, the store's for {d:?}",
                module.dispatch
            )))
        }
        _ => store.code_dispatch = Some(module.dispatch),
    }
    let mut inst = InstanceEntity::default();
    for (imp, ext) in module.imports.iter().zip(imports) {
        let bad = || {
            Error::Link(format!(
                "incompatible import type for `{}::{}`: expected {}, found {}",
                imp.module,
                imp.name,
                describe_import(store, &imp.desc),
                describe_extern(store, *ext)
            ))
        };
        match (&imp.desc, *ext) {
            (ImportDesc::Func(ty), Extern::Func(f)) => {
                if !store.registry.is_subtype(store.funcs[f as usize].ty(), *ty) {
                    return Err(bad());
                }
                inst.funcs.push(f);
            }
            (ImportDesc::FuncExact(ty), Extern::Func(f)) => {
                if store.funcs[f as usize].ty() != *ty {
                    return Err(bad());
                }
                inst.funcs.push(f);
            }
            (ImportDesc::Table(tt), Extern::Table(t)) => {
                let actual = TableType {
                    limits: Limits {
                        initial: store.tables[t as usize].elems.len() as u64,
                        ..store.tables[t as usize].ty.limits
                    },
                    ..store.tables[t as usize].ty
                };
                if !table_matches(&actual, tt) {
                    return Err(bad());
                }
                inst.tables.push(t);
            }
            (ImportDesc::Memory(mt), Extern::Memory(m)) => {
                let mem = &store.memories[m as usize];
                let actual = Limits {
                    initial: mem.pages(),
                    maximum: mem.ty.limits.maximum,
                };
                if mem.ty.memory64 != mt.memory64
                    || mem.ty.shared != mt.shared
                    || mem.ty.page_size_log2() != mt.page_size_log2()
                    || !limits_match(&actual, &mt.limits)
                {
                    return Err(bad());
                }
                inst.memories.push(m);
            }
            (ImportDesc::Global(gt), Extern::Global(g)) => {
                let actual = store.globals[g as usize].ty;
                // Immutable globals match by subtyping, mutable ones only by equality.
                let fits = if gt.mutable {
                    actual.content == gt.content
                } else {
                    store.registry.is_val_subtype(actual.content, gt.content)
                };
                if actual.mutable != gt.mutable || !fits {
                    return Err(bad());
                }
                inst.globals.push(g);
            }
            (ImportDesc::Tag(ty), Extern::Tag(t)) => {
                if store.tags.get(t as usize) != Some(ty) {
                    return Err(bad());
                }
                inst.tags.push(t);
            }
            _ => return Err(bad()),
        }
    }
    if store.memories.len() + module.memories.len() > store.limits.memories
        || store.tables.len() + module.tables.len() > store.limits.tables
    {
        return Err(Error::Limit("too many memories or tables".into()));
    }
    let idx = store.instances.len();
    // Functions first: constant expressions may take their references.
    for i in 0..module.funcs.len() {
        let ty = module.func_types[module.num_imported_funcs as usize + i];
        store.funcs.push(FuncEntity::Wasm {
            instance: idx as u32,
            ty,
            module: module.clone(),
            index: i as u32,
        });
        inst.funcs.push((store.funcs.len() - 1) as u32);
    }
    for ty in &module.tags {
        store.tags.push(*ty);
        inst.tags.push((store.tags.len() - 1) as u32);
    }
    store.instances.push(inst);
    for (ty, init) in &module.globals {
        let value = eval(store, idx, &module.types, init)?;
        store.globals.push(GlobalEntity::new(*ty, value));
        let g = (store.globals.len() - 1) as u32;
        store.instances[idx].globals.push(g);
    }
    for (ty, init) in &module.tables {
        let v = match init {
            Some(e) => eval(store, idx, &module.types, e)? as u64,
            None => 0,
        };
        if ty.limits.initial > store.limits.table_elements {
            return Err(Error::Limit("table too large".into()));
        }
        let elems = crate::fallible::try_filled(ty.limits.initial as usize, v)
            .ok_or_else(|| Error::Limit("out of host memory for a table".into()))?;
        store.tables.push(TableEntity { elems, ty: *ty });
        let t = (store.tables.len() - 1) as u32;
        store.instances[idx].tables.push(t);
    }
    for mt in &module.memories {
        store
            .memories
            .push(MemoryEntity::create(*mt, store.limits.memory_size)?);
        let m = (store.memories.len() - 1) as u32;
        store.instances[idx].memories.push(m);
    }
    let mut elems: Vec<Vec<u64>> = Vec::with_capacity(module.elems.len());
    for e in &module.elems {
        let mut items = Vec::with_capacity(e.items.len());
        for ops in &e.items {
            items.push(eval(store, idx, &module.types, ops)? as u64);
        }
        elems.push(items);
    }
    store.instances[idx].elems = elems;
    let registry = store.registry.clone();
    store.instances[idx].elem_gc = module
        .elems
        .iter()
        .map(|e| {
            crate::types::is_traced(spindle_decode::ValType::Ref(e.ty), |x| {
                module
                    .types
                    .get(x as usize)
                    .and_then(|&id| registry.kind(id))
            })
        })
        .collect();
    store.instances[idx].datas = module.datas.iter().map(|d| d.bytes.clone()).collect();
    for (name, kind, i) in &module.exports {
        let inst = &store.instances[idx];
        let ext = match kind {
            ExportKind::Func => Extern::Func(inst.funcs[*i as usize]),
            ExportKind::Table => Extern::Table(inst.tables[*i as usize]),
            ExportKind::Memory => Extern::Memory(inst.memories[*i as usize]),
            ExportKind::Global => Extern::Global(inst.globals[*i as usize]),
            ExportKind::Tag => Extern::Tag(inst.tags.get(*i as usize).copied().unwrap_or(*i)),
        };
        store.instances[idx].exports.insert(name.clone(), ext);
        store.instances[idx].export_names.push(name.clone());
    }
    // Active and declared element segments, in order; then data segments.
    for (i, e) in module.elems.iter().enumerate() {
        match &e.mode {
            Mode::Active { index, offset } => {
                let t = store.instances[idx].tables[*index as usize] as usize;
                let start = eval(store, idx, &module.types, offset)? as u64;
                let start = if store.tables[t].ty.table64 {
                    start
                } else {
                    start as u32 as u64
                };
                let items = core::mem::take(&mut store.instances[idx].elems[i]);
                let end = start.checked_add(items.len() as u64);
                match end {
                    Some(end) if end <= store.tables[t].elems.len() as u64 => {
                        store.tables[t].elems[start as usize..end as usize].copy_from_slice(&items);
                    }
                    _ => return Err(Error::Trap(Trap::new(TrapCode::TableOutOfBounds))),
                }
            }
            Mode::Declared => store.instances[idx].elems[i] = Vec::new(),
            Mode::Passive => {}
        }
    }
    for (i, d) in module.datas.iter().enumerate() {
        if let Mode::Active { index, offset } = &d.mode {
            let m = store.instances[idx].memories[*index as usize] as usize;
            let start = eval(store, idx, &module.types, offset)? as u64;
            let start = if store.memories[m].ty.memory64 {
                start
            } else {
                start as u32 as u64
            };
            let end = start.checked_add(d.bytes.len() as u64);
            match end {
                Some(end) if end <= store.memories[m].len() as u64 => {
                    store.memories[m].write(start as usize, &d.bytes);
                }
                _ => return Err(Error::Trap(Trap::new(TrapCode::MemoryOutOfBounds))),
            }
            store.instances[idx].datas[i] = Arc::from(&[][..]);
        }
    }
    if let Some(f) = module.start {
        let func = store.instances[idx].funcs[f as usize];
        interp::call(store, func, &[], &mut [])?;
    }
    Ok(idx as u32)
}
