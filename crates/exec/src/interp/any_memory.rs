//! Handlers of the `…Mem` instructions: loads, stores and memory operations on any memory
//! of the instance (multi-memory) with 32- or 64-bit addresses (memory64). The hot path of
//! ordinary code, a 32-bit memory 0, has its own instruction families with the memory kept
//! in `State`; these look the memory up in the store each time and check bounds in 64 bits,
//! in `#[inline(never)]` helpers so the handlers themselves stay small jumps.

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
    range(start, width, m.data.len(), OOB)
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

/// The little-endian value of `bytes` (at most 8), zero-extended.
fn read_le(bytes: &[u8]) -> u64 {
    let mut all = [0u8; 8];
    all[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(all)
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
    let (start, end) = if atomic {
        atomic_access(m, addr, offset, width)?
    } else {
        access(m, addr, offset, width)?
    };
    Ok(extend_loaded(kind, read_le(&m.data[start..end])))
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
    let (start, end) = if atomic {
        atomic_access(m, addr, offset, width)?
    } else {
        access(m, addr, offset, width)?
    };
    m.data[start..end].copy_from_slice(&value.to_le_bytes()[..width as usize]);
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
    let (start, end) = range(d, n, m.data.len(), OOB)?;
    m.data[start..end].fill(value);
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
    let (d, _) = range(operand(dst_entity, dst), len, dst_entity.data.len(), OOB)?;
    let (s, e) = range(operand(src_entity, src), len, src_entity.data.len(), OOB)?;
    if dm == sm {
        store.memories[dm].data.copy_within(s..e, d);
    } else {
        let bytes = store.memories[sm].data[s..e].to_vec();
        store.memories[dm].data[d..d + bytes.len()].copy_from_slice(&bytes);
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
    let (d, de) = range(operand(entity, dst), len as u64, entity.data.len(), OOB)?;
    let (s, e) = range(src as u64, len as u64, bytes.len(), OOB)?;
    entity.data[d..de].copy_from_slice(&bytes[s..e]);
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
    let (start, end) = atomic_access(m, addr, offset as u64, width)?;
    let old = read_le(&m.data[start..end]);
    let new = match op >> 2 {
        0 => old.wrapping_add(value),
        1 => old.wrapping_sub(value),
        2 => old & value,
        3 => old | value,
        4 => old ^ value,
        _ => value,
    };
    m.data[start..end].copy_from_slice(&new.to_le_bytes()[..width as usize]);
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
    let (start, end) = atomic_access(m, addr, offset as u64, width as u64)?;
    let old = read_le(&m.data[start..end]);
    let mask = if width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    if old == expected & mask {
        m.data[start..end].copy_from_slice(&replacement.to_le_bytes()[..width as usize]);
    }
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

/// A store runs on one thread at a time and no other thread shares its memories, so a wait
/// whose value matches can only time out: it returns 2 at once (sleeping for the timeout
/// would let a module stall the host for centuries, beyond fuel's reach); without a timeout
/// it would block forever and traps instead.
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
    let (start, end) = atomic_access(m, addr, offset as u64, width)?;
    if !m.ty.shared {
        return Err(TrapCode::ExpectedSharedMemory);
    }
    let expected = if wide {
        expected
    } else {
        expected as u32 as u64
    };
    if read_le(&m.data[start..end]) != expected {
        return Ok(1);
    }
    if timeout < 0 {
        return Err(TrapCode::WaitWouldBlock);
    }
    Ok(2)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn atomic_notify(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    _count: Reg,
    mem: u8,
    offset: u32,
) -> Flow {
    let a = s.r(addr);
    let r = notify_any(cx, a, mem, offset);
    atomic_result(s, cx, dst, r)
}

/// No thread waits on a store's memories (see `wait_any`): checks the address, wakes none.
#[inline(never)]
fn notify_any(cx: &mut Ctx, addr: u64, mem: u8, offset: u32) -> Result<u64, TrapCode> {
    let m = memory_index(cx, mem as u32);
    let m = &cx.store().memories[m];
    atomic_access(m, addr, offset as u64, 4)?;
    Ok(0)
}
