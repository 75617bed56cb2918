//! Core types in components: core type sections (rec groups interned into the global core type
//! space), core module types and their import and export types, and the module type of a
//! validated nested core module.
//!
//! Separate because it is the one place core (not component) types are built: it bridges the
//! core validator's `TypeSpace` and the component's core type index space.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{CoreType, ModuleTypeDeclaration};
use spindle_decode::{
    CompositeType, ExternalKind, GlobalType, HeapType, ImportKind, RecGroup, RefType, SubType,
    TableType, ValType as CoreValType,
};

use super::{check_max, CoreTypeEntry, State, MAX_TYPES};
use crate::component::types::*;
use crate::error::{bail, Result};

impl State {
    // ---- core types ----

    pub fn add_core_type(
        stack: &mut [State],
        types: &mut Types,
        t: &CoreType<'_>,
        offset: usize,
    ) -> Result<()> {
        let count = match t {
            CoreType::Rec(g) => g.types.len(),
            CoreType::Module(_) => 1,
        };
        check_max(
            stack.last().unwrap().type_count(),
            count,
            MAX_TYPES,
            "types",
            offset,
        )?;
        match t {
            CoreType::Rec(g) => {
                let cur = stack.last_mut().unwrap();
                let local: Vec<Option<u32>> = cur
                    .core_types
                    .iter()
                    .map(|e| match e {
                        CoreTypeEntry::Sub(i) => Some(*i),
                        CoreTypeEntry::Module(_) => None,
                    })
                    .collect();
                let start = intern_group(types, &local, g, offset)?;
                for j in 0..g.types.len() as u32 {
                    cur.core_types.push(CoreTypeEntry::Sub(start + j));
                }
            }
            CoreType::Module(decls) => {
                let m = Self::module_type(stack, types, decls, offset)?;
                types.modules.push(m);
                let id = types.modules.len() as u32 - 1;
                stack
                    .last_mut()
                    .unwrap()
                    .core_types
                    .push(CoreTypeEntry::Module(id));
            }
        }
        Ok(())
    }

    fn module_type(
        stack: &[State],
        types: &mut Types,
        decls: &[spindle_decode::component::Located<ModuleTypeDeclaration<'_>>],
        offset: usize,
    ) -> Result<ModuleType> {
        let mut local: Vec<Option<u32>> = Vec::new();
        let mut imports: Vec<((String, String), CoreEntity)> = Vec::new();
        let mut exports = NameMap::default();
        for d in decls {
            let at = d.offset;
            let _ = at;
            match &d.item {
                ModuleTypeDeclaration::Type(g) => {
                    let start = intern_group(types, &local, g, offset)?;
                    for j in 0..g.types.len() as u32 {
                        local.push(Some(start + j));
                    }
                }
                ModuleTypeDeclaration::OuterAlias { count, index } => {
                    let t = if *count == 0 {
                        match local.get(*index as usize) {
                            Some(Some(t)) => *t,
                            _ => bail!(offset, "unknown type {index}: type index out of bounds"),
                        }
                    } else {
                        let c = *count as usize - 1;
                        if c >= stack.len() {
                            bail!(offset, "invalid outer alias count of {c}");
                        }
                        match stack[stack.len() - c - 1].core_type_at(*index, offset)? {
                            CoreTypeEntry::Sub(t) => t,
                            CoreTypeEntry::Module(_) => bail!(
                                offset,
                                "not implemented: aliasing core module types into a core module's types index space"
                            ),
                        }
                    };
                    check_max(local.len(), 1, MAX_TYPES, "types", offset)?;
                    local.push(Some(t));
                }
                ModuleTypeDeclaration::Import(imp) => {
                    let e = core_entity_of(types, &local, &imp.kind, offset)?;
                    imports.push(((String::from(imp.module), String::from(imp.name)), e));
                }
                ModuleTypeDeclaration::Export { name, ty } => {
                    let e = core_entity_of(types, &local, ty, offset)?;
                    if !exports.insert(String::from(*name), e) {
                        bail!(offset, "duplicate export name `{name}` already defined");
                    }
                }
            }
        }
        check_unique_imports(&imports, offset)?;
        Ok(ModuleType { imports, exports })
    }
}

fn check_unique_imports(imports: &[((String, String), CoreEntity)], offset: usize) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (k, _) in imports {
        if !seen.insert(k) {
            bail!(
                offset,
                "module has a duplicate import name `{}:{}` that is not allowed in components",
                k.0,
                k.1
            );
        }
    }
    Ok(())
}

/// Interns rec group `g`, whose indices refer to the local core type space `local` (entries
/// `None` are module types, which core types may not name) and to the group itself, into
/// the global core type space; returns the global index of its first type.
fn intern_group(
    types: &mut Types,
    local: &[Option<u32>],
    g: &RecGroup,
    offset: usize,
) -> Result<u32> {
    let base_local = local.len() as u32;
    let start = types.core.len();
    let n = g.types.len() as u32;
    let mut err = None;
    let mut map = |i: u32| -> u32 {
        if i >= base_local {
            if i - base_local < n {
                return start + (i - base_local);
            }
            err.get_or_insert(i);
            return 0;
        }
        match local[i as usize] {
            Some(t) => t,
            None => {
                err.get_or_insert(i);
                0
            }
        }
    };
    let mapped: Vec<SubType> = g
        .types
        .iter()
        .map(|t| crate::types::map_sub(t, &mut map))
        .collect();
    if let Some(i) = err {
        bail!(offset, "unknown type {i}: type index out of bounds");
    }
    let group = RecGroup {
        offset: g.offset,
        explicit: g.explicit,
        types: mapped,
    };
    types.core.add_group(&group);
    types.core.check_group(start, offset, true, true)?;
    Ok(start)
}

/// A core import's or module type export's type, its type indices local to `local`.
fn core_entity_of(
    types: &Types,
    local: &[Option<u32>],
    k: &ImportKind,
    offset: usize,
) -> Result<CoreEntity> {
    let ty = |i: u32| -> Result<u32> {
        match local.get(i as usize) {
            Some(Some(t)) => Ok(*t),
            _ => bail!(offset, "unknown type {i}: type index out of bounds"),
        }
    };
    let func = |i: u32| -> Result<u32> {
        let t = ty(i)?;
        if types.core.func_type(t).is_none() {
            bail!(offset, "type {i} is not a function type");
        }
        Ok(t)
    };
    let map_ref = |r: RefType| -> Result<RefType> {
        Ok(RefType {
            nullable: r.nullable,
            heap: match r.heap {
                HeapType::Concrete(i) => HeapType::Concrete(ty(i)?),
                HeapType::Exact(i) => HeapType::Exact(ty(i)?),
                h => h,
            },
        })
    };
    let map_val = |v: CoreValType| -> Result<CoreValType> {
        Ok(match v {
            CoreValType::Ref(r) => CoreValType::Ref(map_ref(r)?),
            v => v,
        })
    };
    Ok(match *k {
        ImportKind::Func(i) => CoreEntity::Func(func(i)?),
        ImportKind::FuncExact(i) => CoreEntity::FuncExact(func(i)?),
        ImportKind::Table(t) => {
            // Shared tables need shared element types, which the core decoder cannot express.
            if t.shared {
                bail!(offset, "shared tables must have a shared element type");
            }
            check_limits(
                t.limits.initial,
                t.limits.maximum,
                if t.table64 { u64::MAX } else { u32::MAX as u64 },
                offset,
            )?;
            CoreEntity::Table(TableType {
                element: map_ref(t.element)?,
                ..t
            })
        }
        ImportKind::Memory(m) => {
            if let Some(p) = m.page_size_log2 {
                if p != 0 && p != 16 {
                    bail!(offset, "invalid custom page size");
                }
            }
            if m.shared && m.limits.maximum.is_none() {
                bail!(offset, "shared memory must have maximum size");
            }
            let bound = if m.memory64 {
                if m.page_size_log2() == 0 {
                    u64::MAX
                } else {
                    1u64 << (64 - m.page_size_log2())
                }
            } else {
                1u64 << (32 - m.page_size_log2())
            };
            check_limits(m.limits.initial, m.limits.maximum, bound, offset)?;
            CoreEntity::Memory(m)
        }
        ImportKind::Global(g) if g.shared && matches!(g.content, CoreValType::Ref(_)) => {
            bail!(offset, "shared globals must have a shared value type")
        }
        ImportKind::Global(g) => CoreEntity::Global(GlobalType {
            content: map_val(g.content)?,
            ..g
        }),
        ImportKind::Tag(t) => {
            let f = func(t.func_type)?;
            if types
                .core
                .func_type(f)
                .is_some_and(|f| !f.results().is_empty())
            {
                bail!(offset, "invalid exception type: tag results must be empty");
            }
            CoreEntity::Tag(f)
        }
    })
}

fn check_limits(initial: u64, max: Option<u64>, bound: u64, offset: usize) -> Result<()> {
    if initial > bound || max.is_some_and(|m| m > bound) {
        bail!(offset, "size exceeds the limit");
    }
    if max.is_some_and(|m| m < initial) {
        bail!(offset, "size minimum must not be greater than maximum");
    }
    Ok(())
}

/// The module type of a validated core module, its types moved into the global space.
pub fn module_type_of(
    types: &mut Types,
    m: &spindle_decode::Module<'_>,
    ctx: &crate::ModuleCtx,
    offset: usize,
) -> Result<ModuleType> {
    // Every rec group of the module, into the global space.
    let mut map: Vec<u32> = Vec::with_capacity(ctx.types.len() as usize);
    let mut i = 0;
    while i < ctx.types.len() {
        let (start, len) = ctx.types.group_of(i);
        let gstart = types.core.len();
        let mut f = |x: u32| {
            if x >= start {
                gstart + (x - start)
            } else {
                map[x as usize]
            }
        };
        let group = RecGroup {
            offset: 0,
            explicit: len > 1,
            types: (start..start + len)
                .map(|j| crate::types::map_sub(ctx.types.get(j).unwrap(), &mut f))
                .collect(),
        };
        types.core.add_group(&group);
        for j in 0..len {
            map.push(gstart + j);
        }
        i = start + len;
    }
    let g = |x: u32| map[x as usize];
    let gref = |r: RefType| RefType {
        nullable: r.nullable,
        heap: match r.heap {
            HeapType::Concrete(i) => HeapType::Concrete(g(i)),
            HeapType::Exact(i) => HeapType::Exact(g(i)),
            h => h,
        },
    };
    let gval = |v: CoreValType| match v {
        CoreValType::Ref(r) => CoreValType::Ref(gref(r)),
        v => v,
    };
    let entity = |k: ExternalKind, idx: u32| -> CoreEntity {
        let idx = idx as usize;
        match k {
            ExternalKind::Func if ctx.funcs_exact[idx] => CoreEntity::FuncExact(g(ctx.funcs[idx])),
            ExternalKind::Func => CoreEntity::Func(g(ctx.funcs[idx])),
            ExternalKind::Table => {
                let t = ctx.tables[idx];
                CoreEntity::Table(TableType {
                    element: gref(t.element),
                    ..t
                })
            }
            ExternalKind::Memory => CoreEntity::Memory(ctx.memories[idx]),
            ExternalKind::Global => {
                let t = ctx.globals[idx];
                CoreEntity::Global(GlobalType {
                    content: gval(t.content),
                    ..t
                })
            }
            ExternalKind::Tag => CoreEntity::Tag(g(ctx.tags[idx])),
        }
    };
    let mut imports = Vec::new();
    for imp in &m.imports {
        let e = match imp.kind {
            ImportKind::Func(t) => CoreEntity::Func(g(t)),
            ImportKind::FuncExact(t) => CoreEntity::FuncExact(g(t)),
            ImportKind::Table(t) => CoreEntity::Table(TableType {
                element: gref(t.element),
                ..t
            }),
            ImportKind::Memory(mt) => CoreEntity::Memory(mt),
            ImportKind::Global(gt) => CoreEntity::Global(GlobalType {
                content: gval(gt.content),
                ..gt
            }),
            ImportKind::Tag(t) => CoreEntity::Tag(g(t.func_type)),
        };
        imports.push(((String::from(imp.module), String::from(imp.name)), e));
    }
    check_unique_imports(&imports, offset)?;
    let mut exports = NameMap::default();
    for ex in &m.exports {
        exports.insert(String::from(ex.name), entity(ex.kind, ex.index));
    }
    let _ = CompositeType::Array;
    Ok(ModuleType { imports, exports })
}
