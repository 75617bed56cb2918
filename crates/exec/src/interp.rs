//! The interpreter: a loop over register bytecode ("portable loop" dispatch), with the Wasm
//! call stack on the heap (`Store::frames`), so Wasm calls never recurse on the host stack.
//! Host functions may call back into Wasm; each re-entry runs this loop again above the
//! registers in use, and the depth limit counts every frame.
//!
//! This is one of the two places `unsafe` is allowed (with the memory code): registers,
//! instructions and linear memory are reached through raw pointers whose validity the
//! translator and `enter` establish; every block states why it holds.

use std::sync::Arc;

use spindle_ir::{load, store, BinOp, Instr, Reg, TrapCode, UnOp};
use spindle_translate::CompiledFunc;

use crate::num;
use crate::store::{from_bits, to_bits, Frame, FuncEntity, Store};
use crate::{Trap, Val};

/// Calls function `func` of the store with `args`, writing `results`.
///
/// The caller has checked the number and types of arguments and results.
pub fn call(store: &mut Store, func: u32, args: &[Val], results: &mut [Val]) -> Result<(), Trap> {
    call_inner(store, func, args, results, false).map(|_| ())
}

/// A call that ran out of fuel and can be resumed (see [`call_resumable`]).
#[derive(Debug)]
pub struct Suspension {
    ty: u32,
    entry_base: usize,
    entry_depth: usize,
    saved_top: usize,
    /// `store.frames.len()` when suspended: only the topmost suspension may resume.
    depth: usize,
    at: Paused,
}

/// Where a suspended call stopped: its innermost frame.
#[derive(Clone, Debug)]
pub(crate) struct Paused {
    cur: Current,
    ip: usize,
    base: usize,
}

/// Like [`call`], but running out of fuel suspends the call instead of unwinding it:
/// `Ok(Some(suspension))` can be resumed with [`resume`] after adding fuel.
pub fn call_resumable(
    store: &mut Store,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<Option<Suspension>, Trap> {
    call_inner(store, func, args, results, true)
}

/// Continues a suspended call; it may suspend again.
pub fn resume(
    store: &mut Store,
    s: Suspension,
    results: &mut [Val],
) -> Result<Option<Suspension>, Trap> {
    if store.frames.len() != s.depth || store.reentry != 0 {
        return Err(Trap::host(
            "only the most recently suspended call can be resumed, from the host",
        ));
    }
    store.reentry += 1;
    let marker = 0u8;
    store.native_base = std::ptr::addr_of!(marker) as usize;
    let Suspension {
        ty,
        entry_base,
        entry_depth,
        saved_top,
        at,
        ..
    } = s;
    let r = run(store, at, entry_depth);
    finish(
        store,
        r,
        ty,
        entry_base,
        entry_depth,
        saved_top,
        results,
        true,
    )
}

/// Ends a run: reads results, or unwinds (or keeps, for a resumable out-of-fuel) the frames.
#[allow(clippy::too_many_arguments)]
fn finish(
    store: &mut Store,
    r: Result<(), Trap>,
    ty: u32,
    entry_base: usize,
    entry_depth: usize,
    saved_top: usize,
    results: &mut [Val],
    resumable: bool,
) -> Result<Option<Suspension>, Trap> {
    store.reentry -= 1;
    let paused = store.paused.take();
    if let Err(t) = &r {
        if resumable && t.code == TrapCode::OutOfFuel && store.reentry == 0 {
            if let Some(at) = paused {
                // Keep the frames; later calls run above the suspended registers.
                return Ok(Some(Suspension {
                    ty,
                    entry_base,
                    entry_depth,
                    saved_top,
                    depth: store.frames.len(),
                    at,
                }));
            }
        }
    }
    store.frames.truncate(entry_depth);
    store.stack_top = saved_top;
    r?;
    let fty = store.registry.get(ty);
    for (i, (slot, t)) in results.iter_mut().zip(fty.results.iter()).enumerate() {
        *slot = from_bits(store.stack[entry_base + i], *t);
    }
    Ok(None)
}

fn call_inner(
    store: &mut Store,
    func: u32,
    args: &[Val],
    results: &mut [Val],
    resumable: bool,
) -> Result<Option<Suspension>, Trap> {
    let entity = store.funcs[func as usize].clone();
    match entity {
        FuncEntity::Host { func: f, .. } => f(store, args, results).map(|()| None),
        FuncEntity::Wasm { ty, .. } => {
            // The address of a local approximates the native stack pointer: re-entries that
            // went too deep below the outermost call trap instead of overflowing.
            let marker = 0u8;
            let here = std::ptr::addr_of!(marker) as usize;
            if store.reentry == 0 {
                store.native_base = here;
            } else if store.reentry >= store.limits.reentry_depth
                || store.native_base.saturating_sub(here) > store.limits.native_stack
            {
                return Err(Trap::new(TrapCode::StackOverflow));
            }
            store.reentry += 1;
            let saved_top = store.stack_top;
            let entry_depth = store.frames.len();
            let base = store.stack_top;
            let r = current(store, func).and_then(|cur| {
                // SAFETY: see `Current::code`.
                enter_code(store, unsafe { &*cur.code }, base)?;
                for (i, a) in args.iter().enumerate() {
                    store.stack[base + i] = to_bits(*a);
                }
                run(store, Paused { cur, ip: 0, base }, entry_depth)
            });
            finish(
                store,
                r,
                ty,
                base,
                entry_depth,
                saved_top,
                results,
                resumable,
            )
        }
    }
}

/// Makes room for a frame of `code` at `base` and zeroes its declared locals.
#[inline]
fn enter_code(store: &mut Store, code: &CompiledFunc, base: usize) -> Result<(), Trap> {
    let need = base + code.frame_size as usize;
    if need > store.limits.stack_registers {
        return Err(Trap::new(TrapCode::StackOverflow));
    }
    let (params, locals) = (code.params as usize, code.locals as usize);
    if store.stack.len() < need {
        let grown = need
            .max(store.stack.len() * 2)
            .min(store.limits.stack_registers.max(need));
        store.stack.resize(grown, 0);
    }
    store.stack[base + params..base + locals].fill(0);
    store.stack_top = need;
    Ok(())
}

#[derive(Clone, Debug)]
pub(crate) struct Current {
    /// The function's code. A raw pointer: the code is owned by a `CompiledModule` that the
    /// store's function entities keep alive for as long as the store exists.
    code: *const CompiledFunc,
    frame_size: usize,
    inst: usize,
    /// Store index of the instance's memory 0 (`usize::MAX` when it has none).
    mem0: usize,
}

impl Current {
    /// The first instruction of the code.
    #[inline]
    fn instrs(&self) -> *const Instr {
        // SAFETY: `code` stays valid while the store lives (see the field).
        unsafe { (*self.code).code.as_ptr() }
    }
}

fn current(store: &Store, func: u32) -> Result<Current, Trap> {
    let code: &CompiledFunc = match &store.funcs[func as usize] {
        FuncEntity::Wasm { module, index, .. } => {
            module.code_ref(*index as usize).map_err(Trap::host)?
        }
        FuncEntity::Host { .. } => unreachable!("only Wasm functions have code"),
    };
    let frame_size = code.frame_size as usize;
    let code = code as *const CompiledFunc;
    match &store.funcs[func as usize] {
        FuncEntity::Wasm { instance, .. } => {
            let inst = *instance as usize;
            let mem0 = store.instances[inst]
                .memories
                .first()
                .map_or(usize::MAX, |m| *m as usize);
            Ok(Current {
                code,
                frame_size,
                inst,
                mem0,
            })
        }
        FuncEntity::Host { .. } => unreachable!("only Wasm functions have code"),
    }
}

/// Memory `mem`'s buffer as a raw pointer and length (`(dangling, 0)` when there is none).
fn memory_view(store: &mut Store, mem: usize) -> (*mut u8, usize) {
    match store.memories.get_mut(mem) {
        Some(m) => (m.data.as_mut_ptr(), m.data.len()),
        None => (std::ptr::NonNull::dangling().as_ptr(), 0),
    }
}

/// Width in bytes of a load kind.
#[inline(always)]
fn load_width(kind: u8) -> u64 {
    match kind {
        load::I32Load | load::F32Load | load::I64Load32S | load::I64Load32U => 4,
        load::I64Load | load::F64Load => 8,
        load::I32Load8S | load::I32Load8U | load::I64Load8S | load::I64Load8U => 1,
        _ => 2,
    }
}

/// A bounds-checked load from memory `mem[..len]`.
///
/// # Safety
/// `mem` must point to `len` readable bytes.
#[inline(always)]
unsafe fn load_raw(mem: *const u8, len: usize, addr: u64, kind: u8) -> Result<u64, TrapCode> {
    let width = load_width(kind);
    let end = addr.checked_add(width).ok_or(TrapCode::MemoryOutOfBounds)?;
    if end > len as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    // SAFETY: `addr + width <= len` was just checked, and the caller vouches for `len`.
    let p = unsafe { mem.add(addr as usize) };
    // SAFETY: `p` points to at least `width` readable bytes (checked above).
    let raw = unsafe {
        match width {
            1 => p.read() as u64,
            2 => p.cast::<u16>().read_unaligned().to_le() as u64,
            4 => p.cast::<u32>().read_unaligned().to_le() as u64,
            _ => p.cast::<u64>().read_unaligned().to_le(),
        }
    };
    Ok(match kind {
        load::I32Load8S => raw as u8 as i8 as i32 as u32 as u64,
        load::I32Load16S => raw as u16 as i16 as i32 as u32 as u64,
        load::I64Load8S => raw as u8 as i8 as i64 as u64,
        load::I64Load16S => raw as u16 as i16 as i64 as u64,
        load::I64Load32S => raw as u32 as i32 as i64 as u64,
        _ => raw,
    })
}

/// A bounds-checked store of the low `width` bytes of `value` to memory `mem[..len]`.
///
/// # Safety
/// `mem` must point to `len` writable bytes.
#[inline(always)]
unsafe fn store_raw(
    mem: *mut u8,
    len: usize,
    addr: u64,
    value: u64,
    width: u8,
) -> Result<(), TrapCode> {
    let end = addr
        .checked_add(width as u64)
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    if end > len as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    // SAFETY: `addr + width <= len` was just checked, and the caller vouches for `len`.
    unsafe {
        let p = mem.add(addr as usize);
        match width {
            1 => p.write(value as u8),
            2 => p.cast::<u16>().write_unaligned((value as u16).to_le()),
            4 => p.cast::<u32>().write_unaligned((value as u32).to_le()),
            _ => p.cast::<u64>().write_unaligned(value.to_le()),
        }
    }
    Ok(())
}

/// Checks `[start, start + len)` lies within `size`; returns the range as `usize`s.
#[inline]
fn range(start: u64, len: u64, size: usize, code: TrapCode) -> Result<(usize, usize), TrapCode> {
    let end = start.checked_add(len).ok_or(code)?;
    if end > size as u64 {
        return Err(code);
    }
    Ok((start as usize, end as usize))
}

/// `memory.grow`: the old size in pages, or -1.
pub fn memory_grow(store: &mut Store, mem: usize, delta: u64) -> u64 {
    let m = &store.memories[mem];
    let old = m.pages();
    let new = match old.checked_add(delta) {
        Some(n) if n <= m.max_pages() => n,
        _ => return u64::MAX,
    };
    let bytes = new << m.ty.page_size_log2();
    if bytes > store.limits.memory_size || bytes > isize::MAX as u64 {
        return u64::MAX;
    }
    store.memories[mem].data.resize(bytes as usize, 0);
    old
}

/// `table.grow`: the old size, or -1.
pub fn table_grow(store: &mut Store, table: usize, delta: u64, init: u64) -> u64 {
    let t = &store.tables[table];
    let old = t.elems.len() as u64;
    let new = match old.checked_add(delta) {
        Some(n) if n <= t.max() && n <= store.limits.table_elements => n,
        _ => return u64::MAX,
    };
    store.tables[table].elems.resize(new as usize, init);
    old
}

fn run(store: &mut Store, start: Paused, entry_depth: usize) -> Result<(), Trap> {
    let Paused {
        mut cur,
        mut ip,
        mut base,
    } = start;
    // Registers of the current frame, through a raw pointer re-derived (`sync!`) after
    // every operation that may move `store.stack` (calls, returns, host calls).
    let mut regs: *mut u64 = store.stack.as_mut_ptr().wrapping_add(base);
    // The current function's code, as a raw pointer re-derived with the frame.
    let mut code: *const Instr = cur.instrs();
    // Memory 0 of the current instance (length 0 when it has none).
    let (mut mem, mut mem_len): (*mut u8, usize) = memory_view(store, cur.mem0);
    macro_rules! sync {
        () => {
            regs = store.stack.as_mut_ptr().wrapping_add(base);
            code = cur.instrs();
            (mem, mem_len) = memory_view(store, cur.mem0);
        };
    }
    macro_rules! r {
        ($reg:expr) => {
            // SAFETY: the translator only emits registers below the function's
            // `frame_size`; `enter` made `store.stack` hold `base + frame_size` registers and
            // `regs` was re-derived (`sync!`) after anything that could move the stack.
            unsafe { *regs.add($reg.0 as usize) }
        };
    }
    macro_rules! wr {
        ($reg:expr, $v:expr) => {{
            let v: u64 = $v;
            // SAFETY: as for `r!`.
            unsafe { *regs.add($reg.0 as usize) = v }
        }};
    }
    macro_rules! trap {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(code) => return Err(Trap::new(code)),
            }
        };
    }
    // Calls `$callee` with its frame at absolute register `$nb`.
    macro_rules! do_call {
        ($callee:expr, $nb:expr) => {{
            let callee: u32 = $callee;
            let nb: usize = $nb;
            match &store.funcs[callee as usize] {
                FuncEntity::Wasm { .. } => {
                    if store.frames.len() >= store.limits.call_depth {
                        return Err(Trap::new(TrapCode::StackOverflow));
                    }
                    let next = current(store, callee)?;
                    // SAFETY: see `Current::code`.
                    enter_code(store, unsafe { &*next.code }, nb)?;
                    let caller = std::mem::replace(&mut cur, next);
                    store.frames.push(Frame { caller, ip, base });
                    base = nb;
                    ip = 0;
                    sync!();
                }
                FuncEntity::Host { func: f, sig, .. } => {
                    let (f, sig) = (f.clone(), sig.clone());
                    let (np, nr) = (sig.params.len(), sig.results.len());
                    let b_off = nb - base;
                    // Arguments then result slots in one reused buffer (a re-entrant call
                    // finds it taken and allocates its own).
                    let mut vals = std::mem::take(&mut store.host_vals);
                    vals.clear();
                    vals.extend(
                        sig.params
                            .iter()
                            .enumerate()
                            .map(|(i, t)| from_bits(r!(Reg((b_off + i) as u16)), *t)),
                    );
                    vals.extend(sig.results.iter().map(|t| from_bits(0, *t)));
                    let saved_top = store.stack_top;
                    store.stack_top = base + cur.frame_size;
                    let (args, results) = vals.split_at_mut(np);
                    let r = f(store, args, results);
                    store.stack_top = saved_top;
                    if let Err(t) = r {
                        store.host_vals = vals;
                        return Err(t);
                    }
                    sync!();
                    for i in 0..nr {
                        wr!(Reg((b_off + i) as u16), to_bits(vals[np + i]));
                    }
                    store.host_vals = vals;
                }
            }
        }};
    }
    // The dispatch `match`: the hand-written arms below, plus one arm per numeric
    // instruction generated from the IR's numeric table (each with its operator constant,
    // so `num::binary`/`num::unary` fold to the one operation).
    macro_rules! dispatch {
        ($instr:ident, [$($arms:tt)*]
         binary { $($b:ident)* } imm { $($bi:ident = $bb:ident)* } unary { $($u:ident)* }
         load { $($l:ident)* } store { $($st:ident)* }) => {
            match $instr {
                $($arms)*
                $( Instr::$b { dst, a, b } => {
                    let v = trap!(num::binary(BinOp::$b, r!(a), r!(b)));
                    wr!(dst, v);
                } )*
                $( Instr::$bi { dst, a, imm } => {
                    let v = trap!(num::binary(BinOp::$bb, r!(a), num::imm_operand(imm)));
                    wr!(dst, v);
                } )*
                $( Instr::$u { dst, src } => {
                    let v = trap!(num::unary(UnOp::$u, r!(src)));
                    wr!(dst, v);
                } )*
                $( Instr::$l { dst, addr, offset } => {
                    let a = (r!(addr) as u32 as u64) + offset as u64;
                    // SAFETY: `mem`/`mem_len` describe memory 0's current buffer (re-derived
                    // by `sync!` after anything that may move or resize it).
                    let v = trap!(unsafe { load_raw(mem, mem_len, a, load::$l) });
                    wr!(dst, v);
                } )*
                $( Instr::$st { addr, value, offset } => {
                    let a = (r!(addr) as u32 as u64) + offset as u64;
                    let v = r!(value);
                    // SAFETY: as for loads.
                    trap!(unsafe { store_raw(mem, mem_len, a, v, store::$st) });
                } )*
            }
        };
    }
    loop {
        // SAFETY: every function's code ends in `Return` and every branch target is an index
        // of its code (the translator patches them), so `ip` stays within `code`.
        let instr = unsafe { *code.add(ip) };
        ip += 1;
        spindle_ir::for_each_numeric!(dispatch, instr, [
            Instr::Trap { code } => return Err(Trap::new(code)),
            Instr::Br { to } => ip = to as usize,
            Instr::BrIfEqz { cond, to } => {
                if r!(cond) as u32 == 0 {
                    ip = to as usize;
                }
            }
            Instr::BrIfNez { cond, to } => {
                if r!(cond) as u32 != 0 {
                    ip = to as usize;
                }
            }
            Instr::BrIfCmp { op, a, b, to } => {
                if trap!(num::binary(op, r!(a), r!(b))) != 0 {
                    ip = to as usize;
                }
            }
            Instr::BrTable { index, len } => {
                let i = (r!(index) as u32).min(len);
                ip += i as usize;
            }
            Instr::Copy { dst, src } => wr!(dst, r!(src)),
            Instr::CopyMany { dst, src, len } => {
                // SAFETY: both ranges lie within the frame (translator); they may overlap.
                unsafe { std::ptr::copy(regs.add(src.0 as usize), regs.add(dst.0 as usize), len as usize) };
            }
            Instr::Const32 { dst, value } => wr!(dst, value as u64),
            Instr::Const64 { dst, value } => wr!(dst, value),
            Instr::Return { src, len } => {
                if src.0 != 0 {
                    // SAFETY: `src + len` registers lie within the frame (translator), and
                    // `ptr::copy` allows the ranges to overlap.
                    unsafe { std::ptr::copy(regs.add(src.0 as usize), regs, len as usize) };
                }
                if store.frames.len() == entry_depth {
                    return Ok(());
                }
                let f = store.frames.pop().expect("a caller frame");
                cur = f.caller;
                ip = f.ip;
                base = f.base;
                store.stack_top = base + cur.frame_size;
                sync!();
            }
            Instr::Call { func, base: b } => {
                let callee = store.instances[cur.inst].funcs[func as usize];
                do_call!(callee, base + b.0 as usize);
            }
            Instr::CallIndirect {
                ty,
                table,
                index,
                base: b,
            } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let i = r!(index) as u32 as usize;
                let elem = match store.tables[t].elems.get(i) {
                    Some(e) => *e,
                    None => return Err(Trap::new(TrapCode::UndefinedElement)),
                };
                if elem == 0 {
                    return Err(Trap::new(TrapCode::IndirectCallToNull));
                }
                let callee = (elem - 1) as u32;
                if store.funcs[callee as usize].ty() != ty {
                    return Err(Trap::new(TrapCode::BadSignature));
                }
                do_call!(callee, base + b.0 as usize);
            }
            Instr::Select { dst, cond, a, b } => {
                wr!(dst, if r!(cond) as u32 != 0 { r!(a) } else { r!(b) });
            }
            Instr::GlobalGet { dst, idx } => {
                let g = store.instances[cur.inst].globals[idx as usize] as usize;
                wr!(dst, store.globals[g].value);
            }
            Instr::GlobalSet { src, idx } => {
                let g = store.instances[cur.inst].globals[idx as usize] as usize;
                store.globals[g].value = r!(src);
            }
            Instr::MemorySize { dst } => wr!(dst, store.memories[cur.mem0].pages()),
            Instr::MemoryGrow { dst, delta } => {
                let d = r!(delta) as u32 as u64;
                let old = memory_grow(store, cur.mem0, d);
                wr!(dst, old as u32 as u64);
                sync!();
            }
            Instr::MemoryFill { dst, value, len } => {
                let m = &mut store.memories[cur.mem0].data;
                let (s, e) = trap!(range(
                    r!(dst) as u32 as u64,
                    r!(len) as u32 as u64,
                    m.len(),
                    TrapCode::MemoryOutOfBounds
                ));
                let v = r!(value) as u8;
                store.memories[cur.mem0].data[s..e].fill(v);
                sync!();
            }
            Instr::MemoryCopy { dst, src, len } => {
                let size = store.memories[cur.mem0].data.len();
                let n = r!(len) as u32 as u64;
                let (d, _) = trap!(range(
                    r!(dst) as u32 as u64,
                    n,
                    size,
                    TrapCode::MemoryOutOfBounds
                ));
                let (s, e) = trap!(range(
                    r!(src) as u32 as u64,
                    n,
                    size,
                    TrapCode::MemoryOutOfBounds
                ));
                store.memories[cur.mem0].data.copy_within(s..e, d);
                sync!();
            }
            Instr::MemoryInit { seg, dst, src, len } => {
                let data = store.instances[cur.inst].datas[seg as usize].clone();
                let size = store.memories[cur.mem0].data.len();
                let n = r!(len) as u32 as u64;
                let (d, de) = trap!(range(
                    r!(dst) as u32 as u64,
                    n,
                    size,
                    TrapCode::MemoryOutOfBounds
                ));
                let (s, e) = trap!(range(
                    r!(src) as u32 as u64,
                    n,
                    data.len(),
                    TrapCode::MemoryOutOfBounds
                ));
                store.memories[cur.mem0].data[d..de].copy_from_slice(&data[s..e]);
                sync!();
            }
            Instr::DataDrop { seg } => {
                store.instances[cur.inst].datas[seg as usize] = Arc::from(&[][..]);
            }
            Instr::TableGet { dst, table, index } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let i = r!(index) as u32 as usize;
                wr!(dst, match store.tables[t].elems.get(i) {
                    Some(v) => *v,
                    None => return Err(Trap::new(TrapCode::TableOutOfBounds)),
                });
            }
            Instr::TableSet {
                table,
                index,
                value,
            } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let i = r!(index) as u32 as usize;
                let v = r!(value);
                match store.tables[t].elems.get_mut(i) {
                    Some(slot) => *slot = v,
                    None => return Err(Trap::new(TrapCode::TableOutOfBounds)),
                }
            }
            Instr::TableSize { dst, table } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                wr!(dst, store.tables[t].elems.len() as u64);
            }
            Instr::TableGrow {
                dst,
                table,
                init,
                delta,
            } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let (d, v) = (r!(delta) as u32 as u64, r!(init));
                let old = table_grow(store, t, d, v);
                wr!(dst, old as u32 as u64);
            }
            Instr::TableFill {
                table,
                dst,
                value,
                len,
            } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let size = store.tables[t].elems.len();
                let (s, e) = trap!(range(
                    r!(dst) as u32 as u64,
                    r!(len) as u32 as u64,
                    size,
                    TrapCode::TableOutOfBounds
                ));
                let v = r!(value);
                store.tables[t].elems[s..e].fill(v);
            }
            Instr::TableCopy {
                dst_table,
                src_table,
                dst,
                src,
                len,
            } => {
                let dt = store.instances[cur.inst].tables[dst_table as usize] as usize;
                let st = store.instances[cur.inst].tables[src_table as usize] as usize;
                let n = r!(len) as u32 as u64;
                let (d, _) = trap!(range(
                    r!(dst) as u32 as u64,
                    n,
                    store.tables[dt].elems.len(),
                    TrapCode::TableOutOfBounds
                ));
                let (s, e) = trap!(range(
                    r!(src) as u32 as u64,
                    n,
                    store.tables[st].elems.len(),
                    TrapCode::TableOutOfBounds
                ));
                if dt == st {
                    store.tables[dt].elems.copy_within(s..e, d);
                } else {
                    let items: Vec<u64> = store.tables[st].elems[s..e].to_vec();
                    store.tables[dt].elems[d..d + items.len()].copy_from_slice(&items);
                }
            }
            Instr::TableInit {
                seg,
                table,
                dst,
                src,
                len,
            } => {
                let t = store.instances[cur.inst].tables[table as usize] as usize;
                let n = r!(len) as u32 as u64;
                let seg_len = store.instances[cur.inst].elems[seg as usize].len();
                let (d, de) = trap!(range(
                    r!(dst) as u32 as u64,
                    n,
                    store.tables[t].elems.len(),
                    TrapCode::TableOutOfBounds
                ));
                let (s, e) = trap!(range(
                    r!(src) as u32 as u64,
                    n,
                    seg_len,
                    TrapCode::TableOutOfBounds
                ));
                let items: Vec<u64> = store.instances[cur.inst].elems[seg as usize][s..e].to_vec();
                store.tables[t].elems[d..de].copy_from_slice(&items);
            }
            Instr::ElemDrop { seg } => {
                store.instances[cur.inst].elems[seg as usize] = Vec::new();
            }
            Instr::RefFunc { dst, func } => {
                wr!(dst, store.instances[cur.inst].funcs[func as usize] as u64 + 1);
            }
            Instr::RefIsNull { dst, src } => wr!(dst, (r!(src) == 0) as u64),
                        Instr::Fuel { amount } => {
                let amount = amount as u64;
                if store.fuel < amount {
                    store.fuel = 0;
                    // Resumable calls continue here (charging this stretch again).
                    store.paused = Some(Paused { cur: cur.clone(), ip: ip - 1, base });
                    return Err(Trap::new(TrapCode::OutOfFuel));
                }
                store.fuel -= amount;
            }
        ])
    }
}
