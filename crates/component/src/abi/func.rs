//! Function-level lifting and lowering (`lift_flat_values`/`lower_flat_values`), with
//! the spilling of parameters past [`MAX_FLAT_PARAMS`] and results past
//! [`MAX_FLAT_RESULTS`] to memory.
//!
//! The four directions, for a call from `A` to `B` through the host:
//! * [`lift_args`]: `canon lower` receives core arguments from the calling guest;
//! * [`lower_args`]: `canon lift` passes arguments to the guest being called;
//! * [`lift_results`]: `canon lift` takes the called guest's core results;
//! * [`lower_results`]: `canon lower` writes results for the calling guest.
//!
//! [`MAX_FLAT_PARAMS`]: crate::layout::MAX_FLAT_PARAMS
//! [`MAX_FLAT_RESULTS`]: crate::layout::MAX_FLAT_RESULTS

use alloc::vec::Vec;

use super::flat::{lift_flat, lower_flat_into, FlatIter, FlatSource};
use super::load::load_valid;
use super::store::store_tuple;
use super::{check_range, type_mismatch, CoreVal, Cx, Memory, Trap};
use crate::layout::CoreType;
use crate::resources::Resources;
use crate::types::{FuncType, Type, TypeKind};
use crate::values::Val;

fn tuple_types(tuple: &Type) -> &[Type] {
    match tuple.kind() {
        TypeKind::Tuple(ts) => ts,
        _ => unreachable!("a function's parameters and results are kept as tuples"),
    }
}

fn next_ptr(src: &mut FlatIter<'_>) -> Result<u32, Trap> {
    match src.next(CoreType::I32)? {
        CoreVal::I32(p) => Ok(p as u32),
        _ => Err(Trap::FlatMismatch),
    }
}

/// `lift_flat_values`: the values of `tuple`'s types, from core values or, when spilled,
/// from the tuple in memory at the pointer that is the one core value.
fn lift_values<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    tuple: &Type,
    spilled: bool,
    src: &mut FlatIter<'_>,
) -> Result<Vec<Val>, Trap> {
    let types = tuple_types(tuple);
    let mut out = Vec::with_capacity(types.len());
    if spilled {
        let ptr = next_ptr(src)?;
        let l = tuple.layout();
        check_range(cx.memory, ptr, l.align, u64::from(l.size))?;
        for (t, off) in types.iter().zip(l.field_offsets.iter()) {
            out.push(load_valid(cx, t, ptr + off)?);
        }
    } else {
        for t in types {
            out.push(lift_flat(cx, t, src)?);
        }
    }
    Ok(out)
}

/// `lower_flat_values`: the core values of `vals`, or when spilled, the tuple stored in
/// memory at `out_ptr` (lowering results) or in a block from `realloc` whose pointer is
/// the one core value (lowering arguments).
fn lower_values<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    tuple: &Type,
    spilled: bool,
    vals: &[Val],
    out_ptr: Option<u32>,
) -> Result<Vec<CoreVal>, Trap> {
    let types = tuple_types(tuple);
    if vals.len() != types.len() {
        return Err(type_mismatch(tuple));
    }
    let mut out = Vec::new();
    if spilled {
        let l = tuple.layout();
        let ptr = match out_ptr {
            Some(p) => p,
            None => {
                let p = cx.memory.realloc(0, 0, l.align, l.size)?;
                out.push(CoreVal::I32(p as i32));
                p
            }
        };
        check_range(cx.memory, ptr, l.align, u64::from(l.size))?;
        store_tuple(cx, vals, tuple, types, ptr)?;
    } else {
        for (v, t) in vals.iter().zip(types) {
            lower_flat_into(cx, v, t, &mut out)?;
        }
    }
    Ok(out)
}

/// Arguments for a guest being called (`canon lift`): their core values, or past 16 flat
/// values one pointer to them stored as a tuple in memory allocated with `realloc`.
pub fn lower_args<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ft: &FuncType,
    args: &[Val],
) -> Result<Vec<CoreVal>, Trap> {
    lower_values(cx, ft.params_tuple(), ft.params_spilled(), args, None)
}

/// The results of a called guest (`canon lift`) from its core results: the values, or
/// past one flat value, the tuple at the returned pointer.
pub fn lift_results<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ft: &FuncType,
    flat_results: &[CoreVal],
) -> Result<Vec<Val>, Trap> {
    let mut src = FlatIter::new(flat_results);
    let vals = lift_values(cx, ft.results_tuple(), ft.results_spilled(), &mut src)?;
    if !src.rest().is_empty() {
        return Err(Trap::FlatMismatch);
    }
    Ok(vals)
}

/// The arguments a calling guest passed to an import (`canon lower`). When the results
/// are spilled, `flat_args` ends with the pointer they are to be written to (taken by
/// [`lower_results`]).
pub fn lift_args<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ft: &FuncType,
    flat_args: &[CoreVal],
) -> Result<Vec<Val>, Trap> {
    let mut src = FlatIter::new(flat_args);
    let vals = lift_values(cx, ft.params_tuple(), ft.params_spilled(), &mut src)?;
    let expected_rest = usize::from(ft.results_spilled());
    if src.rest().len() != expected_rest {
        return Err(Trap::FlatMismatch);
    }
    Ok(vals)
}

/// The results of an import for the calling guest (`canon lower`): their core values,
/// or past one flat value, none: the results are stored as a tuple at the pointer the
/// caller passed as its last core argument (`flat_args` are the same as [`lift_args`]
/// was given).
pub fn lower_results<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    ft: &FuncType,
    results: &[Val],
    flat_args: &[CoreVal],
) -> Result<Vec<CoreVal>, Trap> {
    let out_ptr = if ft.results_spilled() {
        match flat_args.last() {
            Some(CoreVal::I32(p)) => Some(*p as u32),
            _ => return Err(Trap::FlatMismatch),
        }
    } else {
        None
    };
    lower_values(
        cx,
        ft.results_tuple(),
        ft.results_spilled(),
        results,
        out_ptr,
    )
}

/// `lift_flat_values` with limit `max_flat` (the async ABI's limits differ from the
/// synchronous ones: 4 parameters for an async `canon lower`, 16 for `task.return`): the
/// values of `tuple`'s types, and how many of `flat` they took (the rest are the
/// caller's, such as a result pointer).
pub fn lift_values_limited<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    tuple: &Type,
    max_flat: usize,
    flat: &[CoreVal],
) -> Result<(Vec<Val>, usize), Trap> {
    let spilled = tuple.layout().flat.len() > max_flat;
    let mut src = FlatIter::new(flat);
    let vals = lift_values(cx, tuple, spilled, &mut src)?;
    Ok((vals, flat.len() - src.rest().len()))
}

/// Stores `vals` (of `tuple`'s types) as the tuple at `ptr` (the async ABI's results, which
/// always go to memory), checking the range first.
pub fn store_values<M: Memory + ?Sized, R: Resources + ?Sized>(
    cx: &mut Cx<'_, M, R>,
    tuple: &Type,
    vals: &[Val],
    ptr: u32,
) -> Result<(), Trap> {
    lower_values(cx, tuple, true, vals, Some(ptr)).map(|_| ())
}
