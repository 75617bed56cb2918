//! Handlers of the GC instructions (structs, arrays, `i31`, casts) and the collector's
//! roots. Objects live in `Store::gc` (`crate::gc`); what may allocate runs in
//! `#[inline(never)]` helpers that take plain values, so handlers stay small jumps.
//!
//! Precise roots: the registers each frame's `GcMap` names at the instruction it stopped at
//! (the allocation, or the call it is in), for the running frame, the frames of
//! `Store::frames` and those stopped in a host call (`Store::host_frames`); globals, table
//! elements, element segments and the payloads of exceptions the host holds. Exception
//! references are traced too (`gc::exn`): the collector frees the exceptions none reaches.

use crate::prelude::*;
use spindle_ir::{cast, gc_read, Dst, Reg, TrapCode};

use super::code::Target;
use super::handlers::{set_trap, trap, Ctx, Flow, State};
use super::Op;
use crate::gc::{self, RefKind};
use crate::simd;
use crate::store::MIN_EXCEPTION_THRESHOLD;
use crate::store::{Frame, Store};
use crate::types::is_traced;

/// Collects garbage. `top` is the running frame when an instruction allocates (its `ip` one
/// past the allocating instruction, as for the frames of calls).
pub(crate) fn collect_garbage(store: &mut Store, top: Option<&Frame>, extra: &[u64]) {
    let mut roots: Vec<u64> = extra.to_vec();
    let frames = store
        .frames
        .iter()
        .chain(store.host_frames.iter().map(|(f, _)| f));
    for f in frames
        .chain(store.suspensions.iter().map(|r| &r.frame))
        .chain(top)
    {
        frame_roots(f, &store.stack, &mut roots);
    }
    // Parked calls: their frames read their own registers.
    super::park::reclaim_dropped_segments(store);
    for seg in &store.parked {
        for f in seg.frames.iter().chain(core::iter::once(&seg.frame)) {
            frame_roots(f, &seg.regs, &mut roots);
        }
    }
    let registry = store.registry.clone();
    let kind = |id: u32| registry.kind(id);
    for g in &store.globals {
        if is_traced(g.ty.content, kind) {
            roots.push(g.value);
        }
    }
    for t in &store.tables {
        if is_traced(spindle_decode::ValType::Ref(t.ty.element), kind) {
            roots.extend(t.elems.iter().copied());
        }
    }
    for inst in &store.instances {
        for (items, gc) in inst.elems.iter().zip(&inst.elem_gc) {
            if *gc {
                roots.extend(items.iter().copied());
            }
        }
    }
    roots.extend(store.gc.host_roots());
    // Exceptions the host holds (pinned) or in flight (thrown, not yet caught: never
    // referenced) are roots; those with references live if the marking reaches them.
    let mut found: Vec<u64> = store
        .exceptions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.live && (e.pinned || !e.referenced))
        .map(|(i, e)| crate::gc::exn(i as u32, e.gen))
        .collect();
    store.gc.start_marking();
    store.gc.mark(roots, &mut found);
    let mut marked = vec![false; store.exceptions.len()];
    let mut payload_refs: Vec<u64> = Vec::new();
    while let Some(bits) = found.pop() {
        let Some(i) = store.exception_index(bits) else {
            continue;
        };
        if core::mem::replace(&mut marked[i as usize], true) {
            continue;
        }
        let e = &store.exceptions[i as usize];
        let Some(&ty) = store.tags.get(e.tag as usize) else {
            continue;
        };
        let mut at = 0;
        for t in registry.get(ty).params {
            if is_traced(t, kind) {
                payload_refs.extend(e.payload.get(at).copied());
            }
            at += crate::store::cells(t);
        }
        store.gc.mark(payload_refs.drain(..), &mut found);
    }
    store.gc.sweep();
    for (i, is_marked) in marked.into_iter().enumerate() {
        let e = &store.exceptions[i];
        if e.live && e.referenced && !e.pinned && !is_marked {
            store.free_exception(i as u32);
        }
    }
    store.exception_threshold = (2 * store.exceptions_held()).max(MIN_EXCEPTION_THRESHOLD);
}

/// Allocates an object of type `ty`, collecting first when the heap asks for it; the
/// running frame is `(cur, ip, base)` (`ip` at the allocating instruction).
fn allocate(
    cx: &mut Ctx,
    ip: *const Op,
    ty: u32,
    array: bool,
    cells: Box<[u64]>,
) -> Result<u64, TrapCode> {
    let top = Frame {
        caller: cx.cur,
        ip: ip.wrapping_add(1),
        base: cx.base,
    };
    // A collection reads the frames (see `Ctx::top`).
    cx.frames_in_store();
    let store = cx.store();
    let limit = store.limits.gc_heap;
    if store.gc.wants_collection(cells.len()) || store.gc.over_limit(cells.len(), limit) {
        collect_garbage(store, Some(&top), &[]);
    }
    if store.gc.over_limit(cells.len(), limit) {
        return Err(TrapCode::GcHeapExhausted);
    }
    cached_layout(store, ty);
    Ok(store.gc.alloc(ty, array, cells))
}

/// The references frame `f` holds in `regs` (the stack its registers are on), by the
/// register map of the instruction it stopped at.
fn frame_roots(f: &Frame, regs: &[u64], roots: &mut Vec<u64>) {
    // SAFETY: a frame's `caller.code` is the code of a function of the store, which lives
    // as long as the store (`Current::code`).
    let code = unsafe { &*f.caller.code };
    // SAFETY: `ip` points into that code, one past the instruction the frame stopped at
    // (the same allocation as `ops`).
    let at = unsafe { f.ip.offset_from(code.ops.as_ptr()) } - 1;
    let maps = code.gc_maps();
    if let Ok(i) = maps.binary_search_by_key(&(at as u32), |m| m.at) {
        for &r in maps[i].regs.iter() {
            if let Some(&v) = regs.get(f.base + r as usize) {
                roots.push(v);
            }
        }
    }
}

/// Bytes an element of array type `ty` takes in a data segment (the type's layout, looked
/// up once per store and type).
fn array_elem_bytes(cx: &mut Ctx, ty: u32) -> u8 {
    cached_layout(cx.store(), ty)
        .and_then(|l| l.storage.first())
        .map_or(1, |s| s.data_bytes())
}

/// The layout of struct or array type `ty`, cached in the store's heap (looked up in the
/// engine's registry, under its lock, once per store and type).
fn cached_layout(store: &mut Store, ty: u32) -> Option<&crate::gc::GcLayout> {
    if store.gc.layouts.len() <= ty as usize {
        store.gc.layouts.resize(ty as usize + 1, None);
    }
    if store.gc.layouts[ty as usize].is_none() {
        store.gc.layouts[ty as usize] = store.registry.layout(ty);
    }
    store.gc.layouts[ty as usize].as_deref()
}

/// Zeroed cells for `len` elements of `width` registers, if not too many.
fn zeroed(len: u64, width: u8, limit: usize) -> Result<Vec<u64>, TrapCode> {
    let n = len
        .checked_mul(width as u64)
        .ok_or(TrapCode::GcHeapExhausted)?;
    if n > (limit / 8) as u64 {
        return Err(TrapCode::GcHeapExhausted);
    }
    crate::fallible::try_zeroed(n as usize).ok_or(TrapCode::GcHeapExhausted)
}

/// Writes a new object's reference, or stops after a failed allocation (0: the trap is in
/// `cx.trap`). Allocations return a plain `u64`, not a `Result` the caller would receive
/// through memory: a handler whose local's address escapes cannot end in a jump.
fn result(s: &mut State, _cx: &mut Ctx, dst: Dst, r: u64) -> Flow {
    if r == 0 {
        return Flow::Exit;
    }
    s.w(dst, r);
    s.next()
}

/// The reference, or 0 with the trap recorded (raised by the instruction at `ip`).
fn or_trap(cx: &mut Ctx, ip: *const Op, r: Result<u64, TrapCode>) -> u64 {
    match r {
        Ok(v) => v,
        Err(code) => {
            set_trap(cx, ip, crate::Trap::new(code));
            0
        }
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_new(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    base: Reg,
    len: u16,
    ty: u32,
) -> Flow {
    let r = allocate_from_regs(cx, s.ip, ty, false, base, len as usize);
    result(s, cx, dst, r)
}

/// `allocate` of an object whose cells are the `len` registers from `base` of the running
/// frame. (Everything that allocates lives out of the handlers: a handler holding a `Box`
/// would need a cleanup path and could not end in a jump to the next one.)
#[inline(never)]
fn allocate_from_regs(
    cx: &mut Ctx,
    ip: *const Op,
    ty: u32,
    array: bool,
    base: Reg,
    len: usize,
) -> u64 {
    let at = cx.base + base.0 as usize;
    let cells: Box<[u64]> = cx.store().stack[at..at + len].into();
    let r = allocate(cx, ip, ty, array, cells);
    or_trap(cx, ip, r)
}

#[inline(never)]
fn allocate_zeroed(cx: &mut Ctx, ip: *const Op, ty: u32, len: usize) -> u64 {
    let r = allocate(cx, ip, ty, false, vec![0; len].into());
    or_trap(cx, ip, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_new_default(s: &mut State, cx: &mut Ctx, dst: Dst, len: u16, ty: u32) -> Flow {
    let r = allocate_zeroed(cx, s.ip, ty, len as usize);
    result(s, cx, dst, r)
}

/// Writes a field or element read as `ext` says from `cells` at `i`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn read_to(s: &mut State, dst: Dst, cells: &[u64], i: usize, ext: u8) {
    let v = cells[i];
    let x = match ext {
        gc_read::V128 => {
            let w = simd::from_u128(v as u128 | (cells[i + 1] as u128) << 64);
            s.w128(dst, w);
            return;
        }
        gc_read::S8 => v as u8 as i8 as i32 as u32 as u64,
        gc_read::U8 => v as u8 as u64,
        gc_read::S16 => v as u16 as i16 as i32 as u32 as u64,
        gc_read::U16 => v as u16 as u64,
        _ => v,
    };
    s.w(dst, x);
}

/// Writes register `value` (two for `cells == 2`) to `cells[i]`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn write_from(s: &State, value: Reg, cells_per: u8, cells: &mut [u64], i: usize) {
    cells[i] = s.r(value);
    if cells_per == 2 {
        cells[i + 1] = s.r(Reg(value.0 + 1));
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_get(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    obj: Reg,
    field: u32,
    ext: u8,
) -> Flow {
    let r = s.r(obj);
    if r == 0 {
        return trap(s, cx, TrapCode::NullStructReference);
    }
    let o = cx.store().gc.get(r);
    read_to(s, dst, &o.cells, field as usize, ext);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_set(
    s: &mut State,
    cx: &mut Ctx,
    obj: Reg,
    value: Reg,
    field: u32,
    cells: u8,
) -> Flow {
    let r = s.r(obj);
    if r == 0 {
        return trap(s, cx, TrapCode::NullStructReference);
    }
    let o = cx.store().gc.get_mut(r);
    write_from(s, value, cells, &mut o.cells, field as usize);
    s.next()
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_new(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    init: Reg,
    len: Reg,
    cells: u8,
    ty: u32,
) -> Flow {
    let (n, v0) = (s.r(len) as u32 as u64, s.r(init));
    let v1 = if cells == 2 { s.r(Reg(init.0 + 1)) } else { 0 };
    let r = array_new_filled(cx, s.ip, n, cells, ty, v0, v1);
    result(s, cx, dst, r)
}

#[inline(never)]
fn array_new_filled(
    cx: &mut Ctx,
    ip: *const Op,
    n: u64,
    cells: u8,
    ty: u32,
    v0: u64,
    v1: u64,
) -> u64 {
    let r = zeroed(n, cells, cx.store().limits.gc_heap).and_then(|mut c| {
        if cells == 2 {
            for pair in c.chunks_exact_mut(2) {
                pair[0] = v0;
                pair[1] = v1;
            }
        } else if v0 != 0 {
            c.fill(v0);
        }
        allocate(cx, ip, ty, true, c.into())
    });
    or_trap(cx, ip, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_new_default(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    len: Reg,
    cells: u8,
    ty: u32,
) -> Flow {
    let n = s.r(len) as u32 as u64;
    let r = array_new_filled(cx, s.ip, n, cells, ty, 0, 0);
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_new_fixed(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    base: Reg,
    cells: u8,
    n: u32,
    ty: u32,
) -> Flow {
    let r = allocate_from_regs(cx, s.ip, ty, true, base, n as usize * cells as usize);
    result(s, cx, dst, r)
}

/// Reads `len` elements of `bytes` bytes each from data segment `seg` at `offset`.
fn data_elems(
    cx: &mut Ctx,
    seg: u32,
    offset: u64,
    len: u64,
    bytes: u8,
) -> Result<Vec<u64>, TrapCode> {
    let inst = cx.cur.inst;
    let store = cx.store();
    let data = &store.instances[inst].datas[seg as usize];
    let size = len
        .checked_mul(bytes as u64)
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    let end = offset
        .checked_add(size)
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    if end > data.len() as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    let width = if bytes == 16 { 2 } else { 1 };
    let mut out = zeroed(len, width, store.limits.gc_heap)?;
    for (i, chunk) in data[offset as usize..end as usize]
        .chunks_exact(bytes as usize)
        .enumerate()
    {
        let mut b = [0u8; 16];
        b[..chunk.len()].copy_from_slice(chunk);
        let v = u128::from_le_bytes(b);
        if width == 2 {
            out[2 * i] = v as u64;
            out[2 * i + 1] = (v >> 64) as u64;
        } else {
            out[i] = v as u64;
        }
    }
    Ok(out)
}

/// `len` items of element segment `seg` at `offset`.
fn elem_items(cx: &mut Ctx, seg: u32, offset: u64, len: u64) -> Result<Vec<u64>, TrapCode> {
    let inst = cx.cur.inst;
    let items = &cx.store().instances[inst].elems[seg as usize];
    let end = offset.checked_add(len).ok_or(TrapCode::TableOutOfBounds)?;
    if end > items.len() as u64 {
        return Err(TrapCode::TableOutOfBounds);
    }
    Ok(items[offset as usize..end as usize].to_vec())
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_new_data(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    offset: Reg,
    len: Reg,
    seg: u32,
    ty: u32,
) -> Flow {
    let (o, n) = (s.r(offset) as u32 as u64, s.r(len) as u32 as u64);
    let r = array_new_data_slow(cx, s.ip, ty, seg, o, n);
    result(s, cx, dst, r)
}

// The helpers below take scalars only: an aggregate argument (a closure, an array, a tuple)
// would be passed through the handler's stack, and a handler whose local's address escapes
// cannot end in a jump to the next one (tests/dispatch.rs checks).

#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn array_new_data_slow(cx: &mut Ctx, ip: *const Op, ty: u32, seg: u32, o: u64, n: u64) -> u64 {
    let bytes = array_elem_bytes(cx, ty);
    let r = data_elems(cx, seg, o, n, bytes).and_then(|c| allocate(cx, ip, ty, true, c.into()));
    or_trap(cx, ip, r)
}

#[inline(never)]
fn array_new_elem_slow(cx: &mut Ctx, ip: *const Op, ty: u32, seg: u32, o: u64, n: u64) -> u64 {
    let r = elem_items(cx, seg, o, n).and_then(|c| allocate(cx, ip, ty, true, c.into()));
    or_trap(cx, ip, r)
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_new_elem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    offset: Reg,
    len: Reg,
    seg: u32,
    ty: u32,
) -> Flow {
    let (o, n) = (s.r(offset) as u32 as u64, s.r(len) as u32 as u64);
    let r = array_new_elem_slow(cx, s.ip, ty, seg, o, n);
    result(s, cx, dst, r)
}

/// Element count of the array whose cells are `cells` (`ext`/width from the access).
#[cfg_attr(not(debug_assertions), inline(always))]
fn elems(cells: &[u64], width: usize) -> u64 {
    (cells.len() / width) as u64
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_get(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    arr: Reg,
    index: Reg,
    ext: u8,
) -> Flow {
    let (r, i) = (s.r(arr), s.r(index) as u32 as u64);
    if r == 0 {
        return trap(s, cx, TrapCode::NullArrayReference);
    }
    let width = if ext == gc_read::V128 { 2 } else { 1 };
    let o = cx.store().gc.get(r);
    if i >= elems(&o.cells, width) {
        return trap(s, cx, TrapCode::ArrayOutOfBounds);
    }
    read_to(s, dst, &o.cells, i as usize * width, ext);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_set(
    s: &mut State,
    cx: &mut Ctx,
    arr: Reg,
    index: Reg,
    value: Reg,
    cells: u8,
) -> Flow {
    let (r, i) = (s.r(arr), s.r(index) as u32 as u64);
    if r == 0 {
        return trap(s, cx, TrapCode::NullArrayReference);
    }
    let o = cx.store().gc.get_mut(r);
    if i >= elems(&o.cells, cells as usize) {
        return trap(s, cx, TrapCode::ArrayOutOfBounds);
    }
    write_from(s, value, cells, &mut o.cells, i as usize * cells as usize);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_len(s: &mut State, cx: &mut Ctx, dst: Dst, arr: Reg) -> Flow {
    let r = s.r(arr);
    if r == 0 {
        return trap(s, cx, TrapCode::NullArrayReference);
    }
    let heap = &cx.store().gc;
    let o = heap.get(r);
    // Every allocated type's layout is cached (`allocate`).
    let width = match heap.layouts.get(o.ty as usize) {
        Some(Some(l)) => l.elem_cells.max(1) as usize,
        _ => 1,
    };
    let n = elems(&o.cells, width);
    s.w(dst, n);
    s.next()
}

/// The range `[offset, offset + len)` of an array of `n` elements, in cells of `width`.
fn span(offset: u64, len: u64, n: u64, width: usize) -> Result<(usize, usize), TrapCode> {
    let end = offset.checked_add(len).ok_or(TrapCode::ArrayOutOfBounds)?;
    if end > n {
        return Err(TrapCode::ArrayOutOfBounds);
    }
    Ok((offset as usize * width, end as usize * width))
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_fill(
    s: &mut State,
    cx: &mut Ctx,
    arr: Reg,
    offset: Reg,
    value: Reg,
    len: Reg,
    cells: u8,
) -> Flow {
    let (r, o, n) = (s.r(arr), s.r(offset) as u32 as u64, s.r(len) as u32 as u64);
    let v0 = s.r(value);
    let v1 = if cells == 2 { s.r(Reg(value.0 + 1)) } else { 0 };
    match fill(cx, r, o, n, cells as usize, v0, v1) {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn fill(
    cx: &mut Ctx,
    r: u64,
    o: u64,
    n: u64,
    width: usize,
    v0: u64,
    v1: u64,
) -> Result<(), TrapCode> {
    if r == 0 {
        return Err(TrapCode::NullArrayReference);
    }
    let obj = cx.store().gc.get_mut(r);
    let (a, b) = span(o, n, elems(&obj.cells, width), width)?;
    for e in obj.cells[a..b].chunks_exact_mut(width) {
        e[0] = v0;
        if width == 2 {
            e[1] = v1;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_copy(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    dst_off: Reg,
    src: Reg,
    src_off: Reg,
    len: Reg,
    cells: u8,
) -> Flow {
    let r = copy(
        cx,
        s.r(dst),
        s.r(dst_off) as u32 as u64,
        s.r(src),
        s.r(src_off) as u32 as u64,
        s.r(len) as u32 as u64,
        cells as usize,
    );
    match r {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn copy(
    cx: &mut Ctx,
    d: u64,
    doff: u64,
    sr: u64,
    soff: u64,
    n: u64,
    w: usize,
) -> Result<(), TrapCode> {
    if d == 0 || sr == 0 {
        return Err(TrapCode::NullArrayReference);
    }
    let (dobj, sobj) = cx.store().gc.get_two_mut(d, sr);
    let dn = elems(&dobj.cells, w);
    match sobj {
        None => {
            let (da, _) = span(doff, n, dn, w)?;
            let (sa, sb) = span(soff, n, dn, w)?;
            dobj.cells.copy_within(sa..sb, da);
        }
        Some(sobj) => {
            let (da, db) = span(doff, n, dn, w)?;
            let (sa, sb) = span(soff, n, elems(&sobj.cells, w), w)?;
            dobj.cells[da..db].copy_from_slice(&sobj.cells[sa..sb]);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_init_data(
    s: &mut State,
    cx: &mut Ctx,
    arr: Reg,
    dst_off: Reg,
    src_off: Reg,
    len: Reg,
    bytes: u8,
    seg: u32,
) -> Flow {
    let (r, d, o, n) = (
        s.r(arr),
        s.r(dst_off) as u32 as u64,
        s.r(src_off) as u32 as u64,
        s.r(len) as u32 as u64,
    );
    match init(cx, r, d, o, n, bytes, seg, true) {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn array_init_elem(
    s: &mut State,
    cx: &mut Ctx,
    arr: Reg,
    dst_off: Reg,
    src_off: Reg,
    len: Reg,
    seg: u32,
) -> Flow {
    let (r, d, o, n) = (
        s.r(arr),
        s.r(dst_off) as u32 as u64,
        s.r(src_off) as u32 as u64,
        s.r(len) as u32 as u64,
    );
    match init(cx, r, d, o, n, 8, seg, false) {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

/// `array.init_data` (`data`) or `array.init_elem`: `n` items from segment `seg` at `o` to
/// the elements from `d` (the destination range checked first).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn init(
    cx: &mut Ctx,
    r: u64,
    d: u64,
    o: u64,
    n: u64,
    bytes: u8,
    seg: u32,
    data: bool,
) -> Result<(), TrapCode> {
    if r == 0 {
        return Err(TrapCode::NullArrayReference);
    }
    let width = if data && bytes == 16 { 2 } else { 1 };
    let dn = elems(&cx.store().gc.get(r).cells, width);
    let (a, b) = span(d, n, dn, width)?;
    let v = if data {
        data_elems(cx, seg, o, n, bytes)?
    } else {
        elem_items(cx, seg, o, n)?
    };
    cx.store().gc.get_mut(r).cells[a..b].copy_from_slice(&v);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_i31(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg) -> Flow {
    let v = gc::i31(s.r(src) as u32);
    s.w(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i31_get(s: &mut State, cx: &mut Ctx, dst: Dst, src: Reg, signed: u8) -> Flow {
    let r = s.r(src);
    if r == 0 {
        return trap(s, cx, TrapCode::NullI31Reference);
    }
    let v = if signed != 0 {
        ((r as u32 as i32) >> 1) as u32
    } else {
        (r as u32) >> 1
    };
    s.w(dst, v as u64);
    s.next()
}

/// Whether reference `bits` matches cast `target` with `flags` (see `spindle_ir::cast`).
#[inline(never)]
pub(crate) fn cast_matches(store: &Store, bits: u64, flags: u8, target: u32) -> bool {
    use spindle_decode::AbstractHeapType as A;
    if bits == 0 {
        return flags & cast::NULLABLE != 0;
    }
    let hierarchy = flags & cast::HIERARCHY;
    if target & cast::ABSTRACT != 0 {
        let abs = target & !cast::ABSTRACT;
        let is = |a: A| abs == a as u32;
        if is(A::Any) || is(A::Extern) || is(A::Func) || is(A::Exn) {
            return true;
        }
        if hierarchy != cast::ANY {
            return false;
        }
        return match gc::kind(bits) {
            RefKind::I31(_) => is(A::Eq) || is(A::I31),
            RefKind::Struct => is(A::Eq) || is(A::Struct),
            RefKind::Array => is(A::Eq) || is(A::Array),
            RefKind::Host(_) => false,
        };
    }
    let exact = flags & cast::EXACT != 0;
    let ty = match hierarchy {
        cast::FUNC => store.funcs[(bits - 1) as usize].ty(),
        cast::ANY if gc::is_object(bits) => store.gc.get(bits).ty,
        _ => return false,
    };
    ty == target || (!exact && store.registry.is_subtype(ty, target))
}

// ----- custom descriptors -----

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_new_desc(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    base: Reg,
    len: u16,
    ty: u32,
) -> Flow {
    let r = allocate_with_desc(cx, s.ip, ty, base, len as usize, true);
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn struct_new_default_desc(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    desc: Reg,
    len: u16,
    ty: u32,
) -> Flow {
    let r = allocate_with_desc(cx, s.ip, ty, desc, len as usize, false);
    result(s, cx, dst, r)
}

/// A struct with a descriptor (the cell after its fields): the `len` field cells from
/// register `at`, the descriptor in the register after them (`fields`); or zeroed fields
/// and the descriptor in register `at`.
#[inline(never)]
fn allocate_with_desc(
    cx: &mut Ctx,
    ip: *const Op,
    ty: u32,
    at: Reg,
    len: usize,
    fields: bool,
) -> u64 {
    let first = cx.base + at.0 as usize;
    let stack = &cx.store().stack;
    let desc = stack[if fields { first + len } else { first }];
    if desc == 0 {
        return or_trap(cx, ip, Err(TrapCode::NullDescriptorReference));
    }
    let mut cells = vec![0; len + 1];
    cells[len] = desc;
    if fields {
        cells[..len].copy_from_slice(&stack[first..first + len]);
    }
    let r = allocate(cx, ip, ty, false, cells.into());
    or_trap(cx, ip, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_get_desc(s: &mut State, cx: &mut Ctx, dst: Dst, obj: Reg) -> Flow {
    let r = s.r(obj);
    if r == 0 {
        return trap(s, cx, TrapCode::NullReference);
    }
    let d = desc_of(cx.store(), r).unwrap_or(0);
    s.w(dst, d);
    s.next()
}

/// The descriptor of struct `r`, if its type has one (its layout is cached: it was
/// allocated).
#[inline(never)]
fn desc_of(store: &Store, r: u64) -> Option<u64> {
    if !gc::is_object(r) || gc::kind(r) != RefKind::Struct {
        return None;
    }
    let o = store.gc.get(r);
    match store.gc.layouts.get(o.ty as usize) {
        Some(Some(l)) if l.has_desc => o.cells.get(l.desc_cell as usize).copied(),
        _ => None,
    }
}

/// Whether `r` has descriptor `desc` (or is null, when `NULLABLE`); `desc` is not null.
#[inline(never)]
fn has_desc(store: &Store, r: u64, desc: u64, flags: u8) -> bool {
    if r == 0 {
        return flags & cast::NULLABLE != 0;
    }
    desc_of(store, r) == Some(desc)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_cast_desc_eq(s: &mut State, cx: &mut Ctx, r: Reg, desc: Reg, flags: u8) -> Flow {
    let d = s.r(desc);
    if d == 0 {
        return trap(s, cx, TrapCode::NullDescriptorReference);
    }
    if has_desc(cx.store(), s.r(r), d, flags) {
        s.next()
    } else {
        trap(s, cx, TrapCode::DescriptorCastFailure)
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_on_cast_desc_eq(
    s: &mut State,
    cx: &mut Ctx,
    r: Reg,
    desc: Reg,
    flags: u8,
    to: Target,
) -> Flow {
    let d = s.r(desc);
    if d == 0 {
        return trap(s, cx, TrapCode::NullDescriptorReference);
    }
    let m = has_desc(cx.store(), s.r(r), d, flags);
    if m != (flags & cast::FAIL != 0) {
        s.branch(to)
    } else {
        s.next()
    }
}

/// Whether non-null `any`/`extern` reference `bits` has reference type `rt` (engine form).
pub(crate) fn ref_matches_type(store: &Store, bits: u64, rt: spindle_decode::RefType) -> bool {
    use spindle_decode::HeapType;
    let target = match rt.heap {
        HeapType::Abstract(a) => cast::ABSTRACT | a as u32,
        HeapType::Concrete(id) | HeapType::Exact(id) => id,
    };
    let nullable = if rt.nullable { cast::NULLABLE } else { 0 };
    cast_matches(store, bits, cast::ANY | nullable, target)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_test(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    r: Reg,
    flags: u8,
    target: u32,
) -> Flow {
    let m = cast_matches(cx.store(), s.r(r), flags, target);
    s.w(dst, m as u64);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ref_cast(s: &mut State, cx: &mut Ctx, r: Reg, flags: u8, target: u32) -> Flow {
    if cast_matches(cx.store(), s.r(r), flags, target) {
        s.next()
    } else {
        trap(s, cx, TrapCode::CastFailure)
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_on_cast(
    s: &mut State,
    cx: &mut Ctx,
    r: Reg,
    flags: u8,
    target: u32,
    to: Target,
) -> Flow {
    let m = cast_matches(cx.store(), s.r(r), flags, target);
    if m != (flags & cast::FAIL != 0) {
        s.branch(to)
    } else {
        s.next()
    }
}
