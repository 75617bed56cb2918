//! Handlers of the `…Mem` instructions: loads, stores and memory operations on any memory
//! of the instance (multi-memory) with 32- or 64-bit addresses (memory64). The hot path of
//! ordinary code, a 32-bit memory 0, has its own instruction families with the memory kept
//! in `State`; these look the memory up in the store each time and check bounds in 64 bits,
//! in `#[inline(never)]` helpers so the handlers themselves stay small jumps.

use crate::prelude::*;
use core::sync::atomic::Ordering;

use spindle_ir::{Dst, Reg, TrapCode, ATOMIC};

use super::handlers::{bulk, extend_loaded, load_width, range, trap, Ctx, Flow, State};
use super::memory_grow;
use crate::store::MemoryEntity;

const OOB: TrapCode = TrapCode::MemoryOutOfBounds;

/// Store index of memory `mem` of the current instance.
pub(super) fn memory_index(cx: &mut Ctx, mem: u32) -> usize {
    let inst = cx.cur.inst;
    cx.store().instances[inst].memories[mem as usize] as usize
}

/// An address or length operand of memory `m`: all 64 bits for a 64-bit memory, the low 32
/// otherwise.
fn operand(m: &MemoryEntity, v: u64) -> u64 {
    if m.ty.memory64 {
        v
    } else {
        v as u32 as u64
    }
}

/// `[addr + offset, + width)` within `m`, as a byte range.
pub(super) fn access(
    m: &MemoryEntity,
    addr: u64,
    offset: u64,
    width: u64,
) -> Result<(usize, usize), TrapCode> {
    let start = operand(m, addr).checked_add(offset).ok_or(OOB)?;
    range(start, width, m.len(), OOB)
}

/// `access` for an atomic access, whose address must be a multiple of its width.
fn atomic_access(
    m: &MemoryEntity,
    addr: u64,
    offset: u64,
    width: u64,
) -> Result<(usize, usize), TrapCode> {
    let start = operand(m, addr).wrapping_add(offset);
    if !start.is_multiple_of(width) {
        return Err(TrapCode::UnalignedAtomic);
    }
    access(m, addr, offset, width)
}

/// The `width` bytes at `start` (in bounds) of `m`: a sequentially consistent access if
/// `atomic` and the memory is shared, a plain one otherwise (a store of one thread sees
/// nothing else happen during an access).
fn load_bytes(m: &MemoryEntity, start: usize, width: u64, atomic: bool) -> u64 {
    match &m.shared {
        Some(b) if atomic => b.load(start, width, Ordering::SeqCst),
        _ => m.read_le(start, width),
    }
}

/// Stores `width` bytes, as `load_bytes` reads them.
fn store_bytes(m: &mut MemoryEntity, start: usize, width: u64, v: u64, atomic: bool) {
    match &m.shared {
        Some(b) if atomic => b.store(start, width, v, Ordering::SeqCst),
        _ => m.write_le(start, width, v),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn load_mem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    kind: u8,
    mem: u8,
    offset: u64,
) -> Flow {
    let a = s.r(addr);
    match load_any(cx, a, kind, mem, offset) {
        Ok(v) => {
            s.w(dst, v);
            s.next()
        }
        Err(code) => trap(s, cx, code),
    }
}

#[inline(never)]
fn load_any(cx: &mut Ctx, addr: u64, kind: u8, mem: u8, offset: u64) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &cx.store().memories[m];
    let (atomic, kind) = (kind & ATOMIC != 0, kind & !ATOMIC);
    let width = load_width(kind);
    let (start, _) = if atomic {
        atomic_access(m, addr, offset, width)?
    } else {
        access(m, addr, offset, width)?
    };
    Ok(extend_loaded(kind, load_bytes(m, start, width, atomic)))
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn store_mem(
    s: &mut State,
    cx: &mut Ctx,
    addr: Reg,
    value: Reg,
    width: u8,
    mem: u8,
    offset: u64,
) -> Flow {
    let (a, v) = (s.r(addr), s.r(value));
    let r = store_any(cx, a, v, width, mem, offset);
    // Writing memory 0's bytes through the store moves nothing, so `State`'s view of it
    // stays valid.
    match r {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

#[inline(never)]
fn store_any(
    cx: &mut Ctx,
    addr: u64,
    value: u64,
    width: u8,
    mem: u8,
    offset: u64,
) -> Result<(), TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &mut cx.store().memories[m];
    let (atomic, width) = (width & ATOMIC != 0, (width & !ATOMIC) as u64);
    let (start, _) = if atomic {
        atomic_access(m, addr, offset, width)?
    } else {
        access(m, addr, offset, width)?
    };
    store_bytes(m, start, width, value, atomic);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_size_mem(s: &mut State, cx: &mut Ctx, dst: Dst, mem: u16) -> Flow {
    let m = memory_index(cx, mem as u32);
    let pages = cx.store().memories[m].pages();
    s.w(dst, pages);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_grow_mem(s: &mut State, cx: &mut Ctx, dst: Dst, delta: Reg, mem: u16) -> Flow {
    let d = s.r(delta);
    let old = grow_any(cx, d, mem);
    s.w(dst, old);
    // Memory 0 may be this one (a 64-bit memory 0 uses these instructions).
    s.sync_mem(cx);
    s.next()
}

#[inline(never)]
fn grow_any(cx: &mut Ctx, delta: u64, mem: u16) -> u64 {
    let m = memory_index(cx, mem as u32);
    let store = cx.store();
    let is64 = store.memories[m].ty.memory64;
    let delta = operand(&store.memories[m], delta);
    let old = memory_grow(store, m, delta);
    // -1 (failure) in the memory's address type.
    if is64 {
        old
    } else {
        old as u32 as u64
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_fill_mem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    value: Reg,
    len: Reg,
    mem: u16,
) -> Flow {
    let (d, v, n) = (s.r(dst), s.r(value) as u8, s.r(len));
    let r = fill_any(cx, d, v, n, mem);
    bulk(s, cx, r)
}

#[inline(never)]
fn fill_any(cx: &mut Ctx, dst: u64, value: u8, len: u64, mem: u16) -> Result<(), TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &mut cx.store().memories[m];
    let (d, n) = (operand(m, dst), operand(m, len));
    let (start, end) = range(d, n, m.len(), OOB)?;
    m.fill(start, end, value);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_copy_mem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    src: Reg,
    len: Reg,
    dst_mem: u16,
    src_mem: u16,
) -> Flow {
    let (d, sr, n) = (s.r(dst), s.r(src), s.r(len));
    let r = copy_any(cx, d, sr, n, dst_mem, src_mem);
    bulk(s, cx, r)
}

#[inline(never)]
fn copy_any(
    cx: &mut Ctx,
    dst: u64,
    src: u64,
    len: u64,
    dst_mem: u16,
    src_mem: u16,
) -> Result<(), TrapCode> {
    let (dm, sm) = (
        memory_index(cx, dst_mem as u32),
        memory_index(cx, src_mem as u32),
    );
    let store = cx.store();
    let (dst_entity, src_entity) = (&store.memories[dm], &store.memories[sm]);
    // The length has the narrower of the two address types.
    let len = if dst_entity.ty.memory64 && src_entity.ty.memory64 {
        len
    } else {
        len as u32 as u64
    };
    let (d, _) = range(operand(dst_entity, dst), len, dst_entity.len(), OOB)?;
    let (s, e) = range(operand(src_entity, src), len, src_entity.len(), OOB)?;
    if dm == sm {
        store.memories[dm].copy_within(s, e, d);
    } else {
        let mut bytes = vec![0; e - s];
        store.memories[sm].read(s, &mut bytes);
        store.memories[dm].write(d, &bytes);
    }
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_init_mem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Reg,
    src: Reg,
    len: Reg,
    mem: u16,
    seg: u32,
) -> Flow {
    let (d, sr, n) = (s.r(dst), s.r(src) as u32, s.r(len) as u32);
    let r = init_any(cx, d, sr, n, mem, seg);
    bulk(s, cx, r)
}

#[inline(never)]
fn init_any(
    cx: &mut Ctx,
    dst: u64,
    src: u32,
    len: u32,
    mem: u16,
    seg: u32,
) -> Result<(), TrapCode> {
    let m = memory_index(cx, mem as u32);
    let inst = cx.cur.inst;
    let store = cx.store();
    let bytes = store.instances[inst].datas[seg as usize].clone();
    let entity = &mut store.memories[m];
    let (d, _) = range(operand(entity, dst), len as u64, entity.len(), OOB)?;
    let (s, e) = range(src as u64, len as u64, bytes.len(), OOB)?;
    entity.write(d, &bytes[s..e]);
    Ok(())
}

// ----- atomics (threads) -----

/// Writes an atomic operation's result, or traps.
#[cfg_attr(not(debug_assertions), inline(always))]
fn atomic_result(s: &mut State, cx: &mut Ctx, dst: Dst, r: Result<u64, TrapCode>) -> Flow {
    match r {
        Ok(v) => {
            s.w(dst, v);
            s.next()
        }
        Err(code) => trap(s, cx, code),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::too_many_arguments)]
pub(super) fn atomic_rmw(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    value: Reg,
    op: u8,
    mem: u8,
    offset: u32,
) -> Flow {
    let (a, v) = (s.r(addr), s.r(value));
    let r = rmw_any(cx, a, v, op, mem, offset);
    atomic_result(s, cx, dst, r)
}

#[inline(never)]
fn rmw_any(
    cx: &mut Ctx,
    addr: u64,
    value: u64,
    op: u8,
    mem: u8,
    offset: u32,
) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &mut cx.store().memories[m];
    let width = 1u64 << (op & 3);
    let (start, _) = atomic_access(m, addr, offset as u64, width)?;
    let f = |old: u64| match op >> 2 {
        0 => old.wrapping_add(value),
        1 => old.wrapping_sub(value),
        2 => old & value,
        3 => old | value,
        4 => old ^ value,
        _ => value,
    };
    if let Some(b) = &m.shared {
        return Ok(b.rmw(start, width, f));
    }
    let old = m.read_le(start, width);
    m.write_le(start, width, f(old));
    Ok(old)
}

#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::too_many_arguments)]
pub(super) fn atomic_cmpxchg(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    expected: Reg,
    replacement: Reg,
    width: u8,
    mem: u8,
    offset: u32,
) -> Flow {
    let (a, e, n) = (s.r(addr), s.r(expected), s.r(replacement));
    let r = cmpxchg_any(cx, a, e, n, width, mem, offset);
    atomic_result(s, cx, dst, r)
}

#[inline(never)]
fn cmpxchg_any(
    cx: &mut Ctx,
    addr: u64,
    expected: u64,
    replacement: u64,
    width: u8,
    mem: u8,
    offset: u32,
) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &mut cx.store().memories[m];
    let (start, _) = atomic_access(m, addr, offset as u64, width as u64)?;
    let mask = if width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    let f = |old: u64| {
        if old == expected & mask {
            replacement
        } else {
            old
        }
    };
    if let Some(b) = &m.shared {
        return Ok(b.rmw(start, width as u64, f));
    }
    let old = m.read_le(start, width as u64);
    m.write_le(start, width as u64, f(old));
    Ok(old)
}

#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::too_many_arguments)]
pub(super) fn atomic_wait(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    expected: Reg,
    timeout: Reg,
    wide: u8,
    mem: u8,
    offset: u32,
) -> Flow {
    let (a, e, t) = (s.r(addr), s.r(expected), s.r(timeout) as i64);
    let r = wait_any(cx, a, e, t, wide != 0, mem, offset);
    atomic_result(s, cx, dst, r)
}

/// A wait on a shared memory sleeps until another thread's `notify` or the timeout (in
/// nanoseconds; negative: none). When no other store or host handle holds the memory, no
/// thread can notify: a matching wait can only time out, and answers 2 at once (sleeping
/// for the timeout would only let a module stall the host, beyond fuel's reach), or traps
/// without a timeout (it would block forever).
#[inline(never)]
fn wait_any(
    cx: &mut Ctx,
    addr: u64,
    expected: u64,
    timeout: i64,
    wide: bool,
    mem: u8,
    offset: u32,
) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &cx.store().memories[m];
    let width = if wide { 8 } else { 4 };
    let (start, _) = atomic_access(m, addr, offset as u64, width)?;
    if !m.ty.shared {
        return Err(TrapCode::ExpectedSharedMemory);
    }
    let expected = if wide {
        expected
    } else {
        expected as u32 as u64
    };
    let Some(b) = m.shared.clone() else {
        return Err(TrapCode::ExpectedSharedMemory);
    };
    if alloc::sync::Arc::strong_count(&b) <= 2 {
        // This store's entity and the clone above: nobody else can notify.
        if b.load(start, width, Ordering::SeqCst) != expected {
            return Ok(1);
        }
        if timeout < 0 {
            return Err(TrapCode::WaitWouldBlock);
        }
        return Ok(2);
    }
    let timeout = (timeout >= 0).then(|| core::time::Duration::from_nanos(timeout as u64));
    Ok(b.wait(start, width, expected, timeout) as u64)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn atomic_notify(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    count: Reg,
    mem: u8,
    offset: u32,
) -> Flow {
    let (a, n) = (s.r(addr), s.r(count) as u32);
    let r = notify_any(cx, a, n, mem, offset);
    atomic_result(s, cx, dst, r)
}

/// Wakes up to `count` threads waiting at the address (none can wait on an unshared
/// memory); how many it woke.
#[inline(never)]
fn notify_any(cx: &mut Ctx, addr: u64, count: u32, mem: u8, offset: u32) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &cx.store().memories[m];
    let (start, _) = atomic_access(m, addr, offset as u64, 4)?;
    Ok(m.shared.as_ref().map_or(0, |b| b.notify(start, count)) as u64)
}
