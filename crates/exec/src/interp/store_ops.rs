//! Handlers that reach into the store: globals, memories, tables, references. Shared by
//! both dispatch backends through `handlers` (see there).

use crate::prelude::*;
use alloc::sync::Arc;

use spindle_ir::{Dst, Reg, TrapCode};

use super::{memory_grow, table_grow};

use super::handlers::*;

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn global_get(s: &mut State, cx: &mut Ctx, dst: Dst, idx: u32) -> Flow {
    let g = global_at(cx, idx);
    // SAFETY: see `global_at`.
    let v = unsafe { cx.store().globals.get_unchecked(g).value };
    s.w(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn global_set(s: &mut State, cx: &mut Ctx, src: Reg, idx: u32) -> Flow {
    let v = s.r(src);
    set_global(cx, idx, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn global_set_acc(s: &mut State, cx: &mut Ctx, idx: u32) -> Flow {
    set_global(cx, idx, s.acc);
    s.next()
}

/// Writes `v` to the running instance's global `idx`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn set_global(cx: &mut Ctx, idx: u32, v: u64) {
    let g = global_at(cx, idx);
    // SAFETY: see `global_at`.
    unsafe { cx.store().globals.get_unchecked_mut(g).value = v };
}

/// The store index of the running instance's global `idx`, which is below
/// `store.globals.len()`. Without bounds checks ([`instance_entry`]): C code reads and
/// writes its stack pointer (a global) in most functions, and the checks' panic paths made
/// these handlers save registers.
#[cfg_attr(not(debug_assertions), inline(always))]
fn global_at(cx: &mut Ctx, idx: u32) -> usize {
    instance_entry(cx, |inst| &inst.globals, idx)
}

/// Entry `idx` of one of the running instance's index spaces that instantiation fills
/// before any of the instance's code can be reached: `space` gives its globals or its
/// tables (not its functions, memories or segments). The entry is an index of a store
/// global or table; read without bounds checks.
#[cfg_attr(not(debug_assertions), inline(always))]
fn instance_entry(
    cx: &mut Ctx,
    space: fn(&crate::store::InstanceEntity) -> &Vec<u32>,
    idx: u32,
) -> usize {
    let inst = cx.cur.inst;
    let store = cx.store();
    // SAFETY: `inst` is the running function's instance, and store instances are never
    // removed. `idx` indexes the module's global or table space (the validator checked it
    // before the code ran, in every translation mode), and instantiation gives the
    // instance an entry for each of its globals and tables before any of its code can be
    // reached (its functions escape only through exports, element segments and the start
    // function, all set up after them).
    unsafe { *space(store.instances.get_unchecked(inst)).get_unchecked(idx as usize) as usize }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_size(s: &mut State, cx: &mut Ctx, dst: Dst) -> Flow {
    let mem0 = cx.cur.mem0;
    let pages = cx.store().memories[mem0].pages();
    s.w(dst, pages);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_grow_op(s: &mut State, cx: &mut Ctx, dst: Dst, delta: Reg) -> Flow {
    let d = s.r(delta) as u32 as u64;
    let mem0 = cx.cur.mem0;
    let old = memory_grow(cx.store(), mem0, d);
    s.w(dst, old as u32 as u64);
    s.sync_mem(cx);
    s.next()
}

/// Runs a bulk operation given the operand values; on success re-derives the memory view
/// (the operation borrowed the store's memory) and goes on.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn bulk(s: &mut State, cx: &mut Ctx, r: Result<(), TrapCode>) -> Flow {
    match r {
        Ok(()) => {
            s.sync_mem(cx);
            s.next()
        }
        Err(code) => trap(s, cx, code),
    }
}

/// Checks `[start, start + len)` lies within `size`; returns the range as `usize`s.
#[inline]
pub(super) fn range(
    start: u64,
    len: u64,
    size: usize,
    code: TrapCode,
) -> Result<(usize, usize), TrapCode> {
    let end = start.checked_add(len).ok_or(code)?;
    if end > size as u64 {
        return Err(code);
    }
    Ok((start as usize, end as usize))
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_fill(s: &mut State, cx: &mut Ctx, dst: Reg, value: Reg, len: Reg) -> Flow {
    let (d, v, n) = (s.r(dst) as u32, s.r(value) as u8, s.r(len) as u32);
    if fill_memory(s.mem, s.mem_len, d, v, n) {
        s.next()
    } else {
        trap(s, cx, TrapCode::MemoryOutOfBounds)
    }
}

/// `memory.fill` of memory 0 as `State` sees it (`mem`, `mem_len`): `false` when the range
/// is out of bounds (nothing is written then). Through the state's view rather than the
/// store's memory (three dependent loads fewer per fill, and no view to refresh after:
/// neither fill nor copy moves or resizes the memory).
#[inline(never)]
fn fill_memory(mem: *mut u8, mem_len: usize, dst: u32, value: u8, len: u32) -> bool {
    if dst as u64 + len as u64 > mem_len as u64 {
        return false;
    }
    // SAFETY: `mem` has `mem_len` bytes (invariants of `State`), and `dst + len` is within
    // them (just checked).
    unsafe { core::ptr::write_bytes(mem.add(dst as usize), value, len as usize) };
    true
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_copy(s: &mut State, cx: &mut Ctx, dst: Reg, src: Reg, len: Reg) -> Flow {
    let (d, sr, n) = (s.r(dst) as u32, s.r(src) as u32, s.r(len) as u32);
    if copy_within_memory(s.mem, s.mem_len, d, sr, n) {
        s.next()
    } else {
        trap(s, cx, TrapCode::MemoryOutOfBounds)
    }
}

/// `memory.copy` within memory 0 as `State` sees it (see [`fill_memory`]): `false` when
/// either range is out of bounds (nothing is copied then). The ranges may overlap.
#[inline(never)]
fn copy_within_memory(mem: *mut u8, mem_len: usize, dst: u32, src: u32, len: u32) -> bool {
    let fits = |at: u32| at as u64 + len as u64 <= mem_len as u64;
    if !(fits(dst) && fits(src)) {
        return false;
    }
    // SAFETY: `mem` has `mem_len` bytes (invariants of `State`), and both ranges are within
    // them (just checked); `copy` allows them to overlap.
    unsafe { core::ptr::copy(mem.add(src as usize), mem.add(dst as usize), len as usize) };
    true
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_init(
    s: &mut State,
    cx: &mut Ctx,
    seg: u32,
    dst: Reg,
    src: Reg,
    len: Reg,
) -> Flow {
    let (d, sr, n) = (s.r(dst) as u32, s.r(src) as u32, s.r(len) as u32);
    let r = memory_init_slow(cx, seg, d, sr, n);
    bulk(s, cx, r)
}

#[inline(never)]
pub(super) fn memory_init_slow(
    cx: &mut Ctx,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> Result<(), TrapCode> {
    let (inst, mem0) = (cx.cur.inst, cx.cur.mem0);
    let store = cx.store();
    let bytes = store.instances[inst].datas[seg as usize].clone();
    let data = &mut store.memories[mem0].data;
    let oob = TrapCode::MemoryOutOfBounds;
    let (d, de) = range(dst as u64, len as u64, data.len(), oob)?;
    let (s, e) = range(src as u64, len as u64, bytes.len(), oob)?;
    data[d..de].copy_from_slice(&bytes[s..e]);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn data_drop(s: &mut State, cx: &mut Ctx, seg: u32) -> Flow {
    let inst = cx.cur.inst;
    cx.store().instances[inst].datas[seg as usize] = Arc::from(&[][..]);
    s.next()
}

/// An index or length operand of a table: all 64 bits for a 64-bit table, the low 32
/// otherwise.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_operand(table: &crate::store::TableEntity, v: u64) -> u64 {
    if table.ty.table64 {
        v
    } else {
        v as u32 as u64
    }
}

/// `i` as a position in a slice (past any slice's end when it does not fit).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn position(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

/// The store index of the running instance's table `table`, which is below
/// `store.tables.len()`. Without bounds checks ([`instance_entry`]): `call_indirect` finds
/// its table here on every call.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_at(cx: &mut Ctx, table: u32) -> usize {
    instance_entry(cx, |inst| &inst.tables, table)
}

/// Store table `t`, an index [`table_at`] gave (store tables are never removed).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_entity(store: &crate::store::Store, t: usize) -> &crate::store::TableEntity {
    // SAFETY: `t` came from an instance's table list, whose entries are indices of store
    // tables, and store tables are never removed.
    unsafe { store.tables.get_unchecked(t) }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_get(s: &mut State, cx: &mut Ctx, dst: Dst, table: u32, index: Reg) -> Flow {
    let t = table_at(cx, table);
    let entity = &cx.store().tables[t];
    let i = position(table_operand(entity, s.r(index)));
    match entity.elems.get(i) {
        Some(v) => {
            let v = *v;
            s.w(dst, v);
            s.next()
        }
        None => trap(s, cx, TrapCode::TableOutOfBounds),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_set(s: &mut State, cx: &mut Ctx, table: u32, index: Reg, value: Reg) -> Flow {
    let t = table_at(cx, table);
    let (i, v) = (s.r(index), s.r(value));
    let entity = &mut cx.store().tables[t];
    let i = position(table_operand(entity, i));
    match entity.elems.get_mut(i) {
        Some(slot) => {
            *slot = v;
            s.next()
        }
        None => trap(s, cx, TrapCode::TableOutOfBounds),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_size(s: &mut State, cx: &mut Ctx, dst: Dst, table: u32) -> Flow {
    let t = table_at(cx, table);
    let n = cx.store().tables[t].elems.len() as u64;
    s.w(dst, n);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_grow_op(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    table: u32,
    init: Reg,
    delta: Reg,
) -> Flow {
    let t = table_at(cx, table);
    let (d, v) = (s.r(delta), s.r(init));
    let store = cx.store();
    let entity = &store.tables[t];
    let d = table_operand(entity, d);
    let wide = entity.ty.table64;
    let old = table_grow(store, t, d, v);
    // -1 (failure) in the table's index type.
    s.w(dst, if wide { old } else { old as u32 as u64 });
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_fill(
    s: &mut State,
    cx: &mut Ctx,
    table: u32,
    dst: Reg,
    value: Reg,
    len: Reg,
) -> Flow {
    let (d, v, n) = (s.r(dst), s.r(value), s.r(len));
    let r = table_fill_slow(cx, table, d, v, n);
    bulk(s, cx, r)
}

#[inline(never)]
pub(super) fn table_fill_slow(
    cx: &mut Ctx,
    table: u32,
    dst: u64,
    value: u64,
    len: u64,
) -> Result<(), TrapCode> {
    let t = table_at(cx, table);
    let entity = &mut cx.store().tables[t];
    let (dst, len) = (table_operand(entity, dst), table_operand(entity, len));
    let elems = &mut entity.elems;
    let (s, e) = range(dst, len, elems.len(), TrapCode::TableOutOfBounds)?;
    elems[s..e].fill(value);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_copy(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    src: Reg,
    len: Reg,
    dst_table: u32,
    src_table: u32,
) -> Flow {
    let (d, sr, n) = (s.r(dst), s.r(src), s.r(len));
    let r = table_copy_slow(cx, dst_table, src_table, d, sr, n);
    bulk(s, cx, r)
}

#[inline(never)]
pub(super) fn table_copy_slow(
    cx: &mut Ctx,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> Result<(), TrapCode> {
    let (dt, st) = (table_at(cx, dst_table), table_at(cx, src_table));
    let tables = &mut cx.store().tables;
    let oob = TrapCode::TableOutOfBounds;
    let (dst, src) = (
        table_operand(&tables[dt], dst),
        table_operand(&tables[st], src),
    );
    // The length has the narrower of the two index types.
    let len = if tables[dt].ty.table64 && tables[st].ty.table64 {
        len
    } else {
        len as u32 as u64
    };
    let (d, de) = range(dst, len, tables[dt].elems.len(), oob)?;
    let (s, e) = range(src, len, tables[st].elems.len(), oob)?;
    if dt == st {
        tables[dt].elems.copy_within(s..e, d);
    } else {
        let items: Vec<u64> = tables[st].elems[s..e].to_vec();
        tables[dt].elems[d..de].copy_from_slice(&items);
    }
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn table_init(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    src: Reg,
    len: Reg,
    seg: u32,
    table: u32,
) -> Flow {
    let (d, sr, n) = (s.r(dst), s.r(src) as u32, s.r(len) as u32);
    let r = table_init_slow(cx, seg, table, d, sr, n);
    bulk(s, cx, r)
}

#[inline(never)]
pub(super) fn table_init_slow(
    cx: &mut Ctx,
    seg: u32,
    table: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> Result<(), TrapCode> {
    let t = table_at(cx, table);
    let inst = cx.cur.inst;
    let store = cx.store();
    let oob = TrapCode::TableOutOfBounds;
    let segment = &store.instances[inst].elems[seg as usize];
    let (s, e) = range(src as u64, len as u64, segment.len(), oob)?;
    let items: Vec<u64> = segment[s..e].to_vec();
    let dst = table_operand(&store.tables[t], dst);
    let elems = &mut store.tables[t].elems;
    let (d, de) = range(dst, len as u64, elems.len(), oob)?;
    elems[d..de].copy_from_slice(&items);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn elem_drop(s: &mut State, cx: &mut Ctx, seg: u32) -> Flow {
    let inst = cx.cur.inst;
    cx.store().instances[inst].elems[seg as usize] = Vec::new();
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_func(s: &mut State, cx: &mut Ctx, dst: Dst, func: u32) -> Flow {
    let inst = cx.cur.inst;
    let f = cx.store().instances[inst].funcs[func as usize] as u64;
    s.w(dst, f + 1);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_is_null(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg) -> Flow {
    let v = (s.r(src) == 0) as u64;
    s.w(dst, v);
    s.next()
}
