//! Handlers of the SIMD instructions. A `v128` register is two consecutive 64-bit registers
//! (low half first), read and written with one unaligned 16-byte access; the lane semantics
//! are `crate::simd`'s functions, one per operator, which each handler gets as a
//! zero-sized function value and inlines. No handler touches the accumulator with a `v128`
//! (`Instr::sets_acc` is false for them); those with a scalar result set it like any other.

use spindle_ir::{Dst, Opcode, Reg, TrapCode};

use super::any_memory::{access, memory_index};
use super::handlers::{trap, Ctx, Flow, State};
use crate::simd::{self, V128};

const OOB: TrapCode = TrapCode::MemoryOutOfBounds;

impl State {
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn r128(&self, reg: Reg) -> V128 {
        // SAFETY: a `v128` operand names the first of two registers the translator
        // reserved for it, both below the frame's `frame_size` (invariants of `State`).
        unsafe {
            self.regs
                .add(reg.0 as usize)
                .cast::<V128>()
                .read_unaligned()
        }
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn w128(&mut self, dst: Dst, v: V128) {
        // SAFETY: as for `r128`: `dst` and the register after it are in the frame.
        unsafe {
            self.regs
                .add(dst.0 as usize)
                .cast::<V128>()
                .write_unaligned(v)
        };
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_unary(s: &mut State, f: impl Fn(V128) -> V128, dst: Dst, src: Reg) -> Flow {
    let v = f(s.r128(src));
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_binary(
    s: &mut State,
    f: impl Fn(V128, V128) -> V128,
    dst: Dst,
    a: Reg,
    b: Reg,
) -> Flow {
    let v = f(s.r128(a), s.r128(b));
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_ternary(
    s: &mut State,
    f: impl Fn(V128, V128, V128) -> V128,
    dst: Dst,
    a: Reg,
    b: Reg,
    c: Reg,
) -> Flow {
    let v = f(s.r128(a), s.r128(b), s.r128(c));
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_shift(
    s: &mut State,
    f: impl Fn(V128, u32) -> V128,
    dst: Dst,
    a: Reg,
    b: Reg,
) -> Flow {
    let v = f(s.r128(a), s.r(b) as u32);
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_splat(s: &mut State, f: impl Fn(u64) -> V128, dst: Dst, src: Reg) -> Flow {
    let v = f(s.r(src));
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_test(s: &mut State, f: impl Fn(V128) -> u32, dst: Dst, src: Reg) -> Flow {
    let v = f(s.r128(src));
    s.w(dst, v as u64);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_extract(
    s: &mut State,
    f: impl Fn(V128, u8) -> u64,
    dst: Dst,
    src: Reg,
    lane: u8,
) -> Flow {
    let v = f(s.r128(src), lane);
    s.w(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_replace(
    s: &mut State,
    f: impl Fn(V128, u64, u8) -> V128,
    dst: Dst,
    a: Reg,
    b: Reg,
    lane: u8,
) -> Flow {
    let v = f(s.r128(a), s.r(b), lane);
    s.w128(dst, v);
    s.next()
}

/// The `width` bytes at `p`, zero-extended to 16.
///
/// # Safety
/// `p` must be valid for reads of `width` bytes (at most 16).
#[cfg_attr(not(debug_assertions), inline(always))]
unsafe fn read_bytes(p: *const u8, width: usize) -> V128 {
    let mut b = [0u8; 16];
    // SAFETY: the caller guarantees `width` (at most 16) readable bytes at `p`; `b` is a
    // distinct local of 16 bytes.
    unsafe { core::ptr::copy_nonoverlapping(p, b.as_mut_ptr(), width.min(16)) };
    b
}

/// A load of kind `kind` from memory 0 (32-bit) at `(addr + imm) mod 2^32 + offset`.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v_load(
    s: &mut State,
    cx: &mut Ctx,
    kind: u8,
    dst: Dst,
    addr: Reg,
    imm: i32,
    offset: u32,
) -> Flow {
    let at = (s.r(addr) as u32).wrapping_add(imm as u32) as u64 + offset as u64;
    let width = simd::load_width(kind);
    if at + width as u64 > s.mem_len as u64 {
        return trap(s, cx, OOB);
    }
    // SAFETY: `at + width <= mem_len` was just checked, and `mem` has `mem_len` bytes
    // (invariants of `State`).
    let raw = unsafe { read_bytes(s.mem.add(at as usize), width) };
    s.w128(dst, simd::load_value(kind, raw));
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_store(
    s: &mut State,
    cx: &mut Ctx,
    addr: Reg,
    value: Reg,
    imm: i32,
    offset: u32,
) -> Flow {
    let at = (s.r(addr) as u32).wrapping_add(imm as u32) as u64 + offset as u64;
    if at + 16 > s.mem_len as u64 {
        return trap(s, cx, OOB);
    }
    let v = s.r128(value);
    // SAFETY: `at + 16 <= mem_len` was just checked (invariants of `State` for `mem`).
    unsafe { s.mem.add(at as usize).cast::<V128>().write_unaligned(v) };
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_const(s: &mut State, _cx: &mut Ctx, dst: Dst, lo: u64) -> Flow {
    let hi = s.data(Opcode::V128Const);
    s.w128(dst, simd::from_u128(lo as u128 | (hi as u128) << 64));
    s.next_past_data(Opcode::V128Const)
}

/// The handler of `Data`, which its instruction skips: never run, like the stand-in for a
/// left-out proposal's handlers.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn data_slot(s: &mut State, cx: &mut Ctx, _value: u64) -> Flow {
    super::handlers::not_compiled(s, cx)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i8x16_shuffle(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    a: Reg,
    b: Reg,
    lo: u64,
) -> Flow {
    let v = simd::shuffle(s.r128(a), s.r128(b), lo, s.data(Opcode::I8x16Shuffle));
    s.w128(dst, v);
    s.next_past_data(Opcode::I8x16Shuffle)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy128(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg) -> Flow {
    let v = s.r128(src);
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn select128(s: &mut State, _cx: &mut Ctx, dst: Dst, cond: Reg, a: Reg, b: Reg) -> Flow {
    let v = if s.r(cond) as u32 != 0 {
        s.r128(a)
    } else {
        s.r128(b)
    };
    s.w128(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn global_get128(s: &mut State, cx: &mut Ctx, dst: Dst, idx: u32) -> Flow {
    let inst = cx.cur.inst;
    let store = cx.store();
    let g = &store.globals[store.instances[inst].globals[idx as usize] as usize];
    s.w128(dst, simd::from_u128(g.bits()));
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn global_set128(s: &mut State, cx: &mut Ctx, src: Reg, idx: u32) -> Flow {
    let inst = cx.cur.inst;
    let v = simd::to_u128(s.r128(src));
    let store = cx.store();
    let g = store.instances[inst].globals[idx as usize] as usize;
    let g = &mut store.globals[g];
    (g.value, g.high) = (v as u64, (v >> 64) as u64);
    s.next()
}

/// Memory `mem` of the current instance and the byte range `[addr + offset, + width)`
/// in it, checked.
#[inline(never)]
fn any_access(
    cx: &mut Ctx,
    mem: u8,
    addr: u64,
    offset: u64,
    width: usize,
) -> Result<(usize, usize, usize), TrapCode> {
    let m = memory_index(cx, mem as u32);
    let (start, end) = access(&cx.store().memories[m], addr, offset, width as u64)?;
    Ok((m, start, end))
}

#[inline(never)]
fn load_any(cx: &mut Ctx, mem: u8, addr: u64, offset: u64, width: usize) -> Result<V128, TrapCode> {
    let (m, start, _) = any_access(cx, mem, addr, offset, width)?;
    let mut b = [0u8; 16];
    cx.store().memories[m].read(start, &mut b[..width]);
    Ok(b)
}

#[inline(never)]
fn store_any(
    cx: &mut Ctx,
    mem: u8,
    addr: u64,
    offset: u64,
    width: usize,
    v: V128,
) -> Result<(), TrapCode> {
    let (m, start, _) = any_access(cx, mem, addr, offset, width)?;
    cx.store().memories[m].write(start, &v[..width]);
    Ok(())
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_load_mem(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    addr: Reg,
    kind: u8,
    mem: u8,
    offset: u64,
) -> Flow {
    let a = s.r(addr);
    match load_any(cx, mem, a, offset, simd::load_width(kind)) {
        Ok(raw) => {
            s.w128(dst, simd::load_value(kind, raw));
            s.next()
        }
        Err(code) => trap(s, cx, code),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_store_mem(
    s: &mut State,
    cx: &mut Ctx,
    addr: Reg,
    value: Reg,
    mem: u8,
    offset: u64,
) -> Flow {
    let (a, v) = (s.r(addr), s.r128(value));
    // Writing a memory's bytes through the store moves nothing, so `State`'s view of
    // memory 0 stays valid.
    match store_any(cx, mem, a, offset, 16, v) {
        Ok(()) => s.next(),
        Err(code) => trap(s, cx, code),
    }
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_load_lane(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    src: Reg,
    addr: Reg,
    width: u8,
    lane: u8,
    mem: u8,
) -> Flow {
    let a = s.r(addr);
    match load_any(cx, mem, a, s.data(Opcode::V128LoadLane), width as usize) {
        Ok(raw) => {
            let v = simd::set_lane(s.r128(src), width, lane, simd::get_lane(raw, 8, 0));
            s.w128(dst, v);
            s.next_past_data(Opcode::V128LoadLane)
        }
        Err(code) => trap(s, cx, code),
    }
}

#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn v128_store_lane(
    s: &mut State,
    cx: &mut Ctx,
    addr: Reg,
    value: Reg,
    width: u8,
    lane: u8,
    mem: u8,
) -> Flow {
    let a = s.r(addr);
    let v = simd::get_lane(s.r128(value), width, lane);
    match store_any(
        cx,
        mem,
        a,
        s.data(Opcode::V128StoreLane),
        width as usize,
        simd::from_u128(v as u128),
    ) {
        Ok(()) => s.next_past_data(Opcode::V128StoreLane),
        Err(code) => trap(s, cx, code),
    }
}
