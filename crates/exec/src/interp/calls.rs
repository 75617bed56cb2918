//! The call and unwind machinery: calls (direct, indirect, by reference, tail, into the
//! host), exceptions thrown and caught, and the fuel and epoch checks that may stop a run.
//! Shared by both dispatch backends through `handlers` (see there).

use crate::prelude::*;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use spindle_ir::{Opcode, Reg, TrapCode};

use super::code::field;
use super::Op;

use super::{current, enter_code, Current, ExecFunc, Paused};
use crate::store::{
    cells, cells_of, from_bits, read_cells, write_cells, CellHostFn, EpochUpdate, Frame,
    FuncEntity, HostCode, Store, MAX_HOST_CELLS,
};
use crate::{Trap, Val};
use spindle_decode::ValType;

use super::handlers::*;

// ----- exceptions -----

/// `throw`: always the slow path (`throw_exception`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn throw_op(_s: &mut State, _cx: &mut Ctx, _tag: u32, _base: Reg) -> Flow {
    Flow::Slow
}

/// `throw_ref`: always the slow path.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn throw_ref(_s: &mut State, _cx: &mut Ctx, _exn: Reg) -> Flow {
    Flow::Slow
}

/// Raises exception `exn` (a store index) at `s.ip`: the innermost `try_table` region
/// around the instruction, in this frame and then in each caller at its call, whose clause
/// matches takes it (payload and reference to the clause's label slots, then on at its
/// landing pad); frames without one are popped. Past the run's entry frame, the call ends
/// with `UncaughtException` (the exception stays in the store, see `Store::exceptions`).
#[inline(never)]
pub(super) fn throw_exception_cold(s: &mut State, cx: &mut Ctx, exn: usize) -> Flow {
    unwind(s, cx, exn, false)
}

/// Raises exception `exn` from the current frame, or (`from_caller`: a tail call's host
/// callee threw, and the tail-calling frame is already gone in Wasm's terms) from its caller.
#[inline(never)]
pub(super) fn unwind_cold(s: &mut State, cx: &mut Ctx, exn: usize, from_caller: bool) -> Flow {
    // SAFETY: `ip` points into the current function's code (invariants of `State`).
    let mut at = unsafe { s.ip.offset_from(cx.cur.instrs()) } as u32;
    let mut search_here = !from_caller;
    loop {
        if search_here {
            if let Some(pad) = catch_here(cx, at, exn) {
                s.ip = cx.cur.instrs().wrapping_add(pad as usize);
                s.sync(cx);
                return Flow::Continue;
            }
        }
        search_here = true;
        let entry_depth = cx.entry_depth;
        let store = cx.store();
        let f = match store.frames.pop() {
            Some(f) if store.frames.len() >= entry_depth => f,
            other => {
                // Past the run's entry frame: the trap takes a reference out to the host.
                if let Some(f) = other {
                    store.frames.push(f);
                }
                store.pin_exception(exn as u32);
                return fail(s, cx, Trap::exception(exn as u32));
            }
        };
        store.stack_top = f.base + f.caller.frame_size as usize;
        cx.cur = f.caller;
        cx.base = f.base;
        // The caller stopped at its call instruction, just before `f.ip`.
        // SAFETY: `f.ip` is the instruction after a call in the caller's code.
        at = unsafe { f.ip.offset_from(cx.cur.instrs()) } as u32 - 1;
    }
}

/// The landing pad of the current frame's handler for exception `exn` thrown at
/// instruction `at`, with the values placed, if there is one.
pub(super) fn catch_here(cx: &mut Ctx, at: u32, exn: usize) -> Option<u32> {
    // SAFETY: see `Current::code`.
    let code = unsafe { &*cx.cur.code };
    let (inst, base) = (cx.cur.inst, cx.base);
    let store = cx.store();
    let tag = store.exceptions[exn].tag;
    for region in code.handlers().iter().rev() {
        if !(region.start..region.end).contains(&at) {
            continue;
        }
        for clause in region.catches.iter() {
            let matches = match clause.tag {
                None => true,
                Some(t) => store.instances[inst].tags[t as usize] == tag,
            };
            if !matches {
                continue;
            }
            let mut slot = base + clause.slot as usize;
            if clause.tag.is_some() {
                let payload = &store.exceptions[exn].payload;
                store.stack[slot..slot + payload.len()].copy_from_slice(payload);
                slot += payload.len();
            }
            if clause.with_ref {
                store.stack[slot] = store.exception_ref(exn as u32);
            } else if !store.exceptions[exn].referenced {
                // Nothing can name it any more.
                store.free_exception(exn as u32);
            }
            return Some(clause.pad);
        }
    }
    None
}

/// `call_ref`: a function reference holds its store index plus one (0 is null).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_ref(s: &mut State, cx: &mut Ctx, func: Reg, base: Reg) -> Flow {
    match s.r(func) {
        0 => trap(s, cx, TrapCode::NullFunctionReference),
        f => call_func(s, cx, (f - 1) as u32, base),
    }
}

/// `return_call_ref`: always the slow path (`tail_call`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn return_call_ref(_s: &mut State, _cx: &mut Ctx, _func: Reg, _base: Reg) -> Flow {
    Flow::Slow
}

/// `return_call`: always the slow path (`tail_call`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn return_call(_s: &mut State, _cx: &mut Ctx, _func: u32, _base: Reg) -> Flow {
    Flow::Slow
}

/// `return_call_indirect`: always the slow path (`tail_call`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn return_call_indirect(
    _s: &mut State,
    _cx: &mut Ctx,
    _ty: u32,
    _table: u32,
    _index: Reg,
    _base: Reg,
) -> Flow {
    Flow::Slow
}

/// The function at `table[i]`, checked against type `ty`.
#[inline(never)]
pub(super) fn indirect_callee(cx: &mut Ctx, ty: u32, table: u32, i: u64) -> Result<u32, TrapCode> {
    let t = table_at(cx, table);
    let store = cx.store();
    let entity = table_entity(store, t);
    let elem = *entity
        .elems
        .get(position(table_operand(entity, i)))
        .ok_or(TrapCode::UndefinedElement)?;
    if elem == 0 {
        return Err(TrapCode::IndirectCallToNull);
    }
    let callee = (elem - 1) as u32;
    let actual = store.funcs[callee as usize].ty();
    // The fast path compared ids; a function whose type declares `ty` as a supertype
    // matches too.
    if actual != ty && !store.registry.is_subtype(actual, ty) {
        return Err(TrapCode::BadSignature);
    }
    Ok(callee)
}

/// Calls store function `callee`: a Wasm function already resolved in `store.callees` is
/// entered here; anything else (first calls, host functions, a stack to grow, traps) goes
/// through `enter_callee`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_func(s: &mut State, cx: &mut Ctx, callee: u32, base: Reg) -> Flow {
    let nb = cx.base + base.0 as usize;
    if let Some(next) = cx.store().callees.get(callee as usize).copied() {
        // SAFETY: see `Current::code` (a null one is a function not resolved yet).
        if let Some(code) = unsafe { next.code.as_ref() } {
            let caller_mem0 = cx.cur.mem0;
            if push_frame(s, cx, code.entry, code.frame_size, nb) {
                cx.cur = next;
                if next.mem0 != caller_mem0 {
                    s.sync_mem(cx);
                }
                return Flow::Continue;
            }
        }
    }
    Flow::Slow
}

/// Calls `code`, a function of the running instance's module (so of the same instance:
/// the same memory, nothing to resynchronise), translated already, which starts at `entry`
/// and takes `frame_size` registers (read from its code table entry beside `code`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_in_module(
    s: &mut State,
    cx: &mut Ctx,
    code: *const ExecFunc,
    entry: *const Op,
    frame_size: u32,
    base: Reg,
) -> Flow {
    let nb = cx.base + base.0 as usize;
    if push_frame(s, cx, entry, frame_size, nb) {
        cx.cur.code = code;
        cx.cur.frame_size = frame_size;
        return Flow::Continue;
    }
    Flow::Slow
}

/// Pushes the running function's frame record and moves `s` to `entry`, the start of a
/// function whose frame of `frame_size` registers goes at stack register `nb` (an
/// `ExecFunc::entry`, which zeroes the declared locals that need it); or, when the depth
/// limit, the stack's length or the frame record's capacity is in the way, changes nothing
/// and says so (the slow path grows what can grow). The caller sets `cx.cur` after.
#[cfg_attr(not(debug_assertions), inline(always))]
fn push_frame(s: &mut State, cx: &mut Ctx, entry: *const Op, frame_size: u32, nb: usize) -> bool {
    let (caller, frame) = (cx.cur, cx.base);
    // The record's place: past the top one (`Ctx::top`), which must be below the limit.
    let top = cx.top.wrapping_add(1);
    let need = nb + frame_size as usize;
    if top as usize >= cx.frames_limit as usize || need > cx.stack_len {
        return false;
    }
    // `store.stack_top` is left as it is: calls and returns do not keep it (two stores and
    // a load per call saved). Only code outside the run reads it (a host function calling
    // into Wasm, an embedder's call beside a suspended one), and every way out of the run
    // sets it first: the host calls and the epoch callback from the current frame, a
    // suspension in `finish`. Nor `store.frames`' length: see `Ctx::top`.
    // SAFETY: `top` is below the frames' capacity (`Ctx::frames_limit`, checked above), so
    // allocated.
    unsafe {
        top.write(Frame {
            caller,
            ip: s.ip.wrapping_add(1),
            base: frame,
        });
    }
    cx.top = top;
    cx.base = nb;
    s.ip = entry;
    // (`need <= stack_len`: the frame is on the stack.)
    s.regs = cx.stack.wrapping_add(nb);
    // The accumulator is never live across a call (the callee's instructions overwrite
    // it): passing a constant leaves its register free for the call's own work.
    s.acc = 0;
    true
}

/// [`slow_path`] from the state's parts, leaving the state after it in `cx.spill`.
#[allow(dead_code)] // Used only by the threaded backend, which some builds lack.
#[inline(never)]
pub(super) fn slow_path_spilled(
    cx: &mut Ctx,
    ip: *const Op,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    acc: u64,
) -> Flow {
    let mut s = State {
        ip,
        regs,
        mem,
        mem_len,
        acc,
    };
    let flow = slow_path(&mut s, cx);
    cx.spill = s;
    flow
}

/// The slow paths of instructions whose handlers returned [`Flow::Slow`].
#[inline(never)]
pub(super) fn slow_path_cold(s: &mut State, cx: &mut Ctx) -> Flow {
    let func_at = |cx: &mut Ctx, func: u32| {
        let inst = cx.cur.inst;
        cx.store().instances[inst].funcs[func as usize]
    };
    // The calls: which function (or why none), whether a tail call, and where the frame goes.
    let ip = s.ip;
    // The field `$f` of the instruction at `ip`, whose opcode (`Ctx::slow_op`, set by the
    // backend for this instruction) each arm below matched.
    macro_rules! at {
        ($name:ident . $f:ident) => {
            // SAFETY: `ip` points at an instruction (invariants of `State`) whose opcode is
            // the arm's, so its fields lie at their places.
            unsafe { field(ip, spindle_ir::slot::$name::AT.$f) }
        };
    }
    let (callee, tail, base): (_, _, Reg) = match cx.slow_op {
        Opcode::Call => (Ok(func_at(cx, at!(Call.func))), false, at!(Call.base)),
        Opcode::CallModule => {
            let callee = at!(CallModule.callee);
            // SAFETY: see `Current::code`.
            let func = unsafe { (*cx.cur.code).callee_index(callee) };
            (Ok(func_at(cx, func)), false, at!(CallModule.base))
        }
        Opcode::ReturnCall => (
            Ok(func_at(cx, at!(ReturnCall.func))),
            true,
            at!(ReturnCall.base),
        ),
        Opcode::CallIndirect => {
            let index: Reg = at!(CallIndirect.index);
            let callee = indirect_callee(
                cx,
                at!(CallIndirect.ty),
                at!(CallIndirect.table),
                s.r(index),
            );
            (callee, false, at!(CallIndirect.base))
        }
        Opcode::CallIndirect0 => {
            let index: Reg = at!(CallIndirect0.index);
            let callee = indirect_callee(cx, at!(CallIndirect0.ty), 0, s.r(index));
            (callee, false, at!(CallIndirect0.base))
        }
        Opcode::ReturnCallIndirect => {
            let index: Reg = at!(ReturnCallIndirect.index);
            let (ty, table) = (at!(ReturnCallIndirect.ty), at!(ReturnCallIndirect.table));
            (
                indirect_callee(cx, ty, table, s.r(index)),
                true,
                at!(ReturnCallIndirect.base),
            )
        }
        Opcode::CallRef => {
            let func: Reg = at!(CallRef.func);
            (ref_callee(s.r(func)), false, at!(CallRef.base))
        }
        Opcode::ReturnCallRef => {
            let func: Reg = at!(ReturnCallRef.func);
            (ref_callee(s.r(func)), true, at!(ReturnCallRef.base))
        }
        Opcode::Throw => {
            let (tag, base): (u32, Reg) = (at!(Throw.tag), at!(Throw.base));
            let (inst, frame) = (cx.cur.inst, cx.base);
            let store = cx.store();
            let t = store.instances[inst].tags[tag as usize];
            let n = cells_of(&store.registry.get(store.tags[t as usize]).params);
            let at = frame + base.0 as usize;
            let payload: Box<[u64]> = store.stack[at..at + n].into();
            if store.exceptions_held() >= store.exception_threshold.min(store.limits.exceptions) {
                // The throw's roots: its frame stopped here (a map is recorded at each
                // throw), and the payload about to be stored.
                let top = crate::store::Frame {
                    caller: cx.cur,
                    ip: s.ip.wrapping_add(1),
                    base: cx.base,
                };
                let store = cx.store();
                super::collect_garbage(store, Some(&top), &payload);
            }
            let store = cx.store();
            return match store.add_exception(t, payload, false) {
                Ok(exn) => throw_exception(s, cx, exn as usize),
                Err(t) => fail(s, cx, t),
            };
        }
        Opcode::ThrowRef => {
            let exn: Reg = at!(ThrowRef.exn);
            return match s.r(exn) {
                0 => trap(s, cx, TrapCode::NullExceptionReference),
                // Wasm only holds references to held exceptions (the collector finds them
                // all), so the lookup finds it.
                e => match cx.store().exception_index(e) {
                    Some(i) => throw_exception(s, cx, i as usize),
                    None => trap(s, cx, TrapCode::NullExceptionReference),
                },
            };
        }
        Opcode::Epoch => return epoch_reached(s, cx),
        _ => unreachable!("an instruction without a slow path returned Flow::Slow"),
    };
    match callee {
        Ok(callee) if tail => tail_call(s, cx, callee, base),
        Ok(callee) => call_func_slow(s, cx, callee, base),
        Err(code) => trap(s, cx, code),
    }
}

/// The store function a function reference names (its index plus one; 0 is null).
pub(super) fn ref_callee(reference: u64) -> Result<u32, TrapCode> {
    match reference {
        0 => Err(TrapCode::NullFunctionReference),
        f => Ok((f - 1) as u32),
    }
}

/// A tail call of store function `callee` with its arguments at register `base`: a Wasm
/// callee takes over the current frame (arguments moved to its start, the frame record and
/// so the depth unchanged), so a chain of tail calls runs in constant space; a host function
/// is called like `Call`, and the `Return` after the instruction returns its results.
#[inline(never)]
pub(super) fn tail_call_cold(s: &mut State, cx: &mut Ctx, callee: u32, base: Reg) -> Flow {
    let frame = cx.base;
    let store = cx.store();
    if !matches!(store.funcs[callee as usize], FuncEntity::Wasm { .. }) {
        return call_slow(s, cx, callee, base, true);
    }
    let next = match current(store, callee) {
        Ok(next) => next,
        Err(t) => return fail(s, cx, t),
    };
    if store.callees.len() <= callee as usize {
        store.callees.resize(store.funcs.len(), Current::UNRESOLVED);
    }
    store.callees[callee as usize] = next;
    // SAFETY: see `Current::code`.
    let code = unsafe { &*next.code };
    let args = frame + base.0 as usize;
    store
        .stack
        .copy_within(args..args + code.params as usize, frame);
    if let Err(t) = enter_code(store, code, frame) {
        return fail(s, cx, t);
    }
    cx.cur = next;
    s.ip = code.ops.as_ptr();
    s.sync(cx);
    Flow::Continue
}

/// A call from the slow path: through the store's resolved callees if it can (an import,
/// whose `call` comes here), else the whole way (`call_slow`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_func_slow(s: &mut State, cx: &mut Ctx, callee: u32, base: Reg) -> Flow {
    match call_func(s, cx, callee, base) {
        Flow::Slow => call_slow(s, cx, callee, base, false),
        flow => {
            // It pushed the record as the handlers do, moving `Ctx::top` only; the slow
            // path's frames keep their length (`top` is set from it afterwards).
            cx.set_frames_len();
            flow
        }
    }
}

/// `call_func_slow`, or for a tail call (`tail`) of a host function: an exception it throws
/// leaves from the tail-calling frame's caller.
#[inline(never)]
pub(super) fn call_slow_cold(
    s: &mut State,
    cx: &mut Ctx,
    callee: u32,
    base: Reg,
    tail: bool,
) -> Flow {
    let ip = enter_callee(cx, s.ip, callee, base.0 as usize);
    if ip.is_null() {
        // A host function that failed with an exception throws it here, at its call. (An
        // index the host made up, or one of another store, is a host error.)
        let exn = cx.trap.as_ref().and_then(|t| t.exception);
        if let Some(exn) = exn.filter(|&e| cx.store().exception_is_live(e)) {
            cx.trap = None;
            let store = cx.store();
            store.paused = None;
            store.host_failed = None;
            return unwind(s, cx, exn as usize, tail);
        }
        return Flow::Exit;
    }
    s.ip = ip;
    s.sync(cx);
    Flow::Continue
}

/// Calls `callee` with its frame at register `base` of the current frame; the next
/// instruction to run (the callee's first, or the caller's next after a host function), or
/// null after a trap.
#[inline(never)]
pub(super) fn enter_callee(cx: &mut Ctx, ip: *const Op, callee: u32, base: usize) -> *const Op {
    let nb = cx.base + base;
    let is_wasm = matches!(cx.store().funcs[callee as usize], FuncEntity::Wasm { .. });
    if !is_wasm {
        // The collector reads this frame's references while the host function runs.
        let frame = Frame {
            caller: cx.cur,
            ip: ip.wrapping_add(1),
            base: cx.base,
        };
        let store = cx.store();
        let depth = store.frames.len();
        store.host_frames.push((frame, depth));
        let r = call_host(cx, callee, base);
        let store = cx.store();
        store.host_frames.pop();
        cx.epoch_deadline = store.epoch_deadline;
        return match r {
            Ok(()) => ip.wrapping_add(1),
            Err(t) => {
                // A resumable call suspends here and continues after the call.
                // SAFETY: `ip` points into the current function's code.
                let next = unsafe { ip.add(1).offset_from(cx.cur.instrs()) } as usize;
                let paused = Paused {
                    cur: cx.cur,
                    ip: next,
                    base: cx.base,
                };
                let store = cx.store();
                store.paused = Some(paused);
                store.host_failed = Some((nb, callee));
                set_trap(cx, ip, t);
                core::ptr::null()
            }
        };
    }
    let store = cx.store();
    if store.frames.len() >= store.limits.call_depth {
        trap_at(cx, ip, TrapCode::StackOverflow);
        return core::ptr::null();
    }
    let entered = current(store, callee).and_then(|next| {
        if store.callees.len() <= callee as usize {
            store.callees.resize(store.funcs.len(), Current::UNRESOLVED);
        }
        store.callees[callee as usize] = next;
        // SAFETY: see `Current::code`.
        enter_code(store, unsafe { &*next.code }, nb)?;
        Ok(next)
    });
    match entered {
        Ok(next) => {
            let caller = core::mem::replace(&mut cx.cur, next);
            let ret_ip = ip.wrapping_add(1);
            let old_base = core::mem::replace(&mut cx.base, nb);
            cx.store().frames.push(Frame {
                caller,
                ip: ret_ip,
                base: old_base,
            });
            cx.cur.instrs()
        }
        Err(t) => {
            set_trap(cx, ip, t);
            core::ptr::null()
        }
    }
}

/// The value of a numeric type (not `v128`) from its register.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn num_val(bits: u64, t: ValType) -> Val {
    match t {
        ValType::I32 => Val::I32(bits as u32 as i32),
        ValType::I64 => Val::I64(bits as i64),
        ValType::F32 => Val::F32(bits as u32),
        _ => Val::F64(bits),
    }
}

/// Calls host function `callee` with the arguments at register `base` of the current frame,
/// writing its results there.
pub(super) fn call_host(cx: &mut Ctx, callee: u32, base: usize) -> Result<(), Trap> {
    let frame_size = cx.cur.frame_size as usize;
    let frame = cx.base;
    let store = cx.store();
    let at = frame + base;
    let FuncEntity::Host {
        func: code,
        sig,
        cells: (param_cells, result_cells),
        ..
    } = &store.funcs[callee as usize]
    else {
        unreachable!("checked by the caller")
    };
    let f = match code {
        HostCode::Cells(f) => {
            let widths = (*param_cells as usize, *result_cells as usize);
            let f = Arc::as_ptr(f);
            return call_host_cells(store, f, widths, at, frame + frame_size);
        }
        HostCode::Vals(f) => f,
    };
    // Arguments then result slots in one reused buffer (a re-entrant call finds it taken and
    // allocates its own).
    let mut vals = core::mem::take(&mut store.host_vals);
    vals.clear();
    let np = sig.params.len();
    // Scalars one register each take the fast way (this is most host calls).
    if sig
        .params
        .iter()
        .all(|t| matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64))
    {
        let regs = &store.stack[at..at + np];
        vals.extend(
            sig.params
                .iter()
                .zip(regs)
                .map(|(t, bits)| num_val(*bits, *t)),
        );
    } else {
        let mut cell = at;
        for t in sig.params.iter() {
            vals.push(read_cells(&store.stack, cell, *t, &store.registry));
            cell += cells(*t);
        }
    }
    vals.extend(
        sig.results
            .iter()
            .map(|t| from_bits(0, *t, &store.registry)),
    );
    // The closure, by pointer rather than by a cloned `Arc` (two atomic operations per call
    // were a third of a host call's cost).
    let f = Arc::as_ptr(f);
    let sig = Arc::as_ptr(sig);
    let saved_top = store.stack_top;
    store.stack_top = frame + frame_size;
    let (args, results) = vals.split_at_mut(np);
    let mut r = run_host(store, "a host function", |store| {
        // SAFETY: `f` points into the `Arc` held by `store.funcs[callee]`; the store's
        // function list only grows (entries are never removed or replaced), and growing it
        // moves the `Arc`, not the closure it points to, so the closure outlives this call.
        unsafe { (*f)(store, args, results) }
    });
    store.stack_top = saved_top;
    if r.is_ok() {
        // SAFETY: as for `f`: the signature's `Arc` lives in `store.funcs[callee]`.
        let results = unsafe { &(*sig).results };
        let mut cell = at;
        for (i, (v, t)) in vals[np..].iter().zip(results.iter()).enumerate() {
            let fits = match (v, t) {
                (Val::I32(_), ValType::I32)
                | (Val::I64(_), ValType::I64)
                | (Val::F32(_), ValType::F32)
                | (Val::F64(_), ValType::F64) => true,
                _ => store.val_matches(v, *t),
            };
            if !fits {
                r = Err(Trap::host(format!(
                    "host function result {i} ({v:?}) does not have type {t}"
                )));
                break;
            }
            write_cells(&mut store.stack, cell, *v);
            cell += cells(*t);
        }
    }
    store.host_vals = vals;
    r
}

/// Runs host code `f` (a host function, the epoch callback). A panic stops here: it is kept
/// in `Store::panic` and the call ends as after a trap (the store's state is put right on
/// the way out), and the embedding API raises it again once the call is back with the
/// embedder; nothing unwinds through the interpreter.
#[inline(always)]
pub(super) fn run_host<R>(
    store: &mut Store,
    what: &'static str,
    f: impl FnOnce(&mut Store) -> Result<R, Trap>,
) -> Result<R, Trap> {
    match crate::platform::catch_panic(|| f(&mut *store)) {
        Ok(r) => r,
        Err(payload) => Err(host_panicked(store, payload, what)),
    }
}

/// The trap of host code that panicked with `payload` (kept for the embedding API).
#[cold]
#[inline(never)]
pub(super) fn host_panicked(
    store: &mut Store,
    payload: Box<dyn core::any::Any + Send>,
    what: &str,
) -> Trap {
    store.panic = Some(payload);
    Trap::host(format!("{what} panicked"))
}

/// [`call_host`] of a host function over registers: the arguments copied from the frame to
/// a buffer on the native stack, the results back (the function may call into Wasm, which
/// may move the register stack, so it cannot be handed the frame itself).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_host_cells(
    store: &mut Store,
    f: *const CellHostFn,
    (params, results): (usize, usize),
    at: usize,
    top: usize,
) -> Result<(), Trap> {
    // `add_host_code` admitted the type: at most MAX_HOST_CELLS each way.
    let mut buf = [0u64; MAX_HOST_CELLS];
    buf[..params].copy_from_slice(&store.stack[at..at + params]);
    let saved_top = store.stack_top;
    // Wasm the host function calls runs above the calling frame.
    store.stack_top = top;
    let r = run_host(store, "a host function", |store| {
        // SAFETY: `f` points into the `Arc` held by `store.funcs[callee]`, which lives as
        // long as the store (see `call_host`).
        unsafe { (*f)(store, &mut buf[..params.max(results)]) }
    });
    store.stack_top = saved_top;
    if r.is_ok() {
        store.stack[at..at + results].copy_from_slice(&buf[..results]);
    }
    r
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn fuel(s: &mut State, cx: &mut Ctx, amount: u32) -> Flow {
    let store = cx.store();
    let amount = amount as u64;
    if store.fuel < amount {
        out_of_fuel(s.ip, cx);
        return Flow::Exit;
    }
    store.fuel -= amount;
    s.next()
}

/// Stops for lack of fuel, noting where (resumable calls continue there, charging the
/// stretch again).
#[cold]
#[inline(never)]
pub(super) fn out_of_fuel(ip: *const Op, cx: &mut Ctx) {
    // SAFETY: `ip` points into the current function's code (invariants of `State`).
    let at = unsafe { ip.offset_from(cx.cur.instrs()) } as usize;
    let paused = Paused {
        cur: cx.cur,
        ip: at,
        base: cx.base,
    };
    let store = cx.store();
    store.fuel = 0;
    store.paused = Some(paused);
    set_trap(cx, ip, Trap::new(TrapCode::OutOfFuel));
}

// ----- epoch interruption -----

/// `Epoch`: goes on while the counter is below the deadline, else takes the slow path
/// ([`epoch_reached`]). The fast path is the counter and the deadline, each one pointer
/// away, and a compare: no call, nothing saved.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn epoch(s: &mut State, cx: &mut Ctx) -> Flow {
    // Relaxed: the counter orders nothing; seeing an increment a little late only delays
    // the interruption to a later check.
    // SAFETY: `cx.epoch` points into the `Arc` the store holds, which it keeps for the
    // whole run (`Store::set_epoch_counter` refuses to replace it while a call runs).
    let now = unsafe { (*cx.epoch).load(Ordering::Relaxed) };
    if now < cx.epoch_deadline {
        s.next()
    } else {
        Flow::Slow
    }
}

/// The epoch deadline is reached at the `Epoch` at `s.ip`: traps with `Interrupt` when the
/// store has no callback; else runs the callback, the store as a host function sees it
/// (this frame on `host_frames` for the collector, `stack_top` above it), and does what it
/// says: go on after the check, or stop there (a resumable call suspends, and resuming
/// continues after the check), or trap with its error.
#[cold]
#[inline(never)]
pub(super) fn epoch_reached_cold(s: &mut State, cx: &mut Ctx) -> Flow {
    let Some(mut callback) = cx.store().epoch_callback.take() else {
        return trap(s, cx, TrapCode::Interrupt);
    };
    // `ip` one past the `Epoch`, whose register map the collector then reads.
    let frame = Frame {
        caller: cx.cur,
        ip: s.ip.wrapping_add(1),
        base: cx.base,
    };
    let top = cx.base + cx.cur.frame_size as usize;
    let store = cx.store();
    let host_frames = store.host_frames.len();
    let depth = store.frames.len();
    store.host_frames.push((frame, depth));
    let saved_top = core::mem::replace(&mut store.stack_top, top);
    let r = run_host(store, "an epoch callback", |store| callback(store));
    // Back as before the callback, whether it returned or panicked.
    store.host_frames.truncate(host_frames);
    store.stack_top = saved_top;
    if store.epoch_callback.is_none() {
        store.epoch_callback = Some(callback);
    }
    // The new deadline counts from the counter's value now (the callback may have waited).
    let now = cx.store().epoch_counter().load(Ordering::Relaxed);
    let store = cx.store();
    // Whatever happens next, the check reads the deadline as the store has it.
    if let Ok(EpochUpdate::Continue(delta) | EpochUpdate::Yield(delta)) = r {
        store.epoch_deadline = now.saturating_add(delta);
    }
    cx.epoch_deadline = store.epoch_deadline;
    let store = cx.store();
    match r {
        Ok(EpochUpdate::Continue(_)) => {
            // The callback may have grown a memory or the register stack (by calling Wasm).
            s.sync(cx);
            s.next()
        }
        Ok(EpochUpdate::Yield(_)) => {
            // Stops as running out of fuel does, but resumes past the check, which has done
            // its work.
            // SAFETY: `ip` points into the current function's code (invariants of `State`).
            let at = unsafe { s.ip.offset_from(cx.cur.instrs()) } as usize;
            let paused = Paused {
                cur: cx.cur,
                ip: at + 1,
                base: cx.base,
            };
            let store = cx.store();
            store.paused = Some(paused);
            store.host_failed = None;
            trap(s, cx, TrapCode::Interrupt)
        }
        Err(t) => {
            // Not a suspension: whatever a call the callback made left here goes.
            store.paused = None;
            store.host_failed = None;
            fail(s, cx, t)
        }
    }
}
