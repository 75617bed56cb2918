//! The async ABI's canonical built-ins as core functions: tasks, context, backpressure,
//! threads, waitable sets, subtasks, streams, futures and error contexts. Each checks what
//! the specification has it check, in its order, and runs on the running thread (or
//! leaves a [`Request`] for the scheduler when it blocks).

use crate::prelude::*;
use alloc::sync::Arc;

use spindle_component::{CoreVal, Type, Val};

use crate::component::typed::AbiCx;

use super::copy::{self, CopyState};
use super::{
    event, kind, request, sched, subtask_state, Blocked, Cont, Id, PendingEvent, Request, Sched,
    TaskState, Waitable, WaitableKind, WaitableSet, BLOCKED, MAY_NOT_BLOCK,
};
use crate::component::components_mut;
use crate::component::func::{from_core, trap, CanonOptions};
use crate::store::{AsContextMut, StoreContextMut};
use crate::{Caller, Error, Result, ValType};

/// A built-in, with what it was defined with.
#[derive(Clone, Debug)]
pub(crate) enum Builtin {
    TaskReturn {
        result: Option<Type>,
        options: CanonOptions,
    },
    TaskCancel,
    ContextGet(u32),
    ContextSet(u32),
    BackpressureInc,
    BackpressureDec,
    ThreadYield,
    ThreadIndex,
    ThreadNewIndirect {
        table: crate::Table,
    },
    ThreadSuspend,
    ThreadResumeLater,
    ThreadSuspendThenResume,
    ThreadYieldThenResume,
    SetNew,
    SetWait {
        memory: Option<crate::Memory>,
    },
    SetPoll {
        memory: Option<crate::Memory>,
    },
    SetDrop,
    Join,
    SubtaskCancel {
        is_async: bool,
    },
    SubtaskDrop,
    New {
        future: bool,
        elem: Option<Type>,
    },
    Copy {
        future: bool,
        readable: bool,
        elem: Option<Type>,
        options: CanonOptions,
    },
    CancelCopy {
        future: bool,
        readable: bool,
        elem: Option<Type>,
        is_async: bool,
    },
    DropEnd {
        future: bool,
        readable: bool,
        elem: Option<Type>,
    },
    ErrorNew {
        options: CanonOptions,
    },
    ErrorDebugMessage {
        options: CanonOptions,
    },
    ErrorDrop,
}

impl Builtin {
    /// The core signature.
    fn signature(&self) -> (Vec<ValType>, Vec<ValType>) {
        use ValType::{I32, I64};
        let (p, r): (&[ValType], &[ValType]) = match self {
            Builtin::TaskReturn { result, .. } => {
                let flat = result.as_ref().map_or(0, |t| t.layout().flat.len());
                if flat > spindle_component::MAX_FLAT_PARAMS {
                    (&[I32], &[])
                } else {
                    let params = result.as_ref().map_or(Vec::new(), |t| {
                        t.layout().flat.iter().map(|c| core_type(*c)).collect()
                    });
                    return (params, Vec::new());
                }
            }
            Builtin::TaskCancel | Builtin::BackpressureInc | Builtin::BackpressureDec => (&[], &[]),
            Builtin::ContextGet(_) => (&[], &[I32]),
            Builtin::ContextSet(_) => (&[I32], &[]),
            Builtin::ThreadYield | Builtin::ThreadIndex | Builtin::ThreadSuspend => (&[], &[I32]),
            Builtin::ThreadNewIndirect { .. } => (&[I32, I32], &[I32]),
            Builtin::ThreadResumeLater => (&[I32], &[]),
            Builtin::ThreadSuspendThenResume | Builtin::ThreadYieldThenResume => (&[I32], &[I32]),
            Builtin::SetNew => (&[], &[I32]),
            Builtin::SetWait { .. } | Builtin::SetPoll { .. } => (&[I32, I32], &[I32]),
            Builtin::SetDrop | Builtin::SubtaskDrop | Builtin::ErrorDrop => (&[I32], &[]),
            Builtin::Join => (&[I32, I32], &[]),
            Builtin::SubtaskCancel { .. } | Builtin::CancelCopy { .. } => (&[I32], &[I32]),
            Builtin::New { .. } => (&[], &[I64]),
            Builtin::Copy { future: false, .. } => (&[I32, I32, I32], &[I32]),
            Builtin::Copy { future: true, .. } => (&[I32, I32], &[I32]),
            Builtin::DropEnd { .. } => (&[I32], &[]),
            Builtin::ErrorNew { .. } => (&[I32, I32], &[I32]),
            Builtin::ErrorDebugMessage { .. } => (&[I32, I32], &[]),
        };
        (p.to_vec(), r.to_vec())
    }

    /// Whether the built-in traps when the instance may not leave (`may_leave`).
    fn checks_may_leave(&self) -> bool {
        !matches!(
            self,
            Builtin::ContextGet(_)
                | Builtin::ContextSet(_)
                | Builtin::BackpressureInc
                | Builtin::BackpressureDec
        )
    }
}

fn core_type(t: spindle_component::CoreType) -> ValType {
    match t {
        spindle_component::CoreType::I32 => ValType::I32,
        spindle_component::CoreType::I64 => ValType::I64,
        spindle_component::CoreType::F32 => ValType::F32,
        spindle_component::CoreType::F64 => ValType::F64,
    }
}

fn arg(args: &[crate::Val], i: usize) -> u32 {
    match args.get(i) {
        Some(crate::Val::I32(x)) => *x as u32,
        _ => 0,
    }
}

/// The message of a built-in called where the instance may not call out.
pub(crate) const MAY_NOT_LEAVE: &str = "wasm trap: cannot leave component instance";

/// The core function of built-in `b` of the component instance whose handle table is
/// `table`.
pub(crate) fn builtin<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    b: Builtin,
    table: u32,
) -> crate::Func {
    let (params, results) = b.signature();
    let ty = crate::FuncType::new(store.engine(), params, results);
    let b = Arc::new(b);
    crate::Func::new(
        &mut store,
        ty,
        move |mut caller: Caller<'_, T>, args: &[crate::Val], results: &mut [crate::Val]| {
            let c = components_mut(caller.as_context_mut().inner);
            if c.sched_out || (b.checks_may_leave() && !c.sched.instance(table).may_leave) {
                return Err(Error::msg(MAY_NOT_LEAVE));
            }
            run(&mut caller.as_context_mut(), &b, table, args, results)
        },
    )
}

/// The running thread and its task; the built-ins that need one run only in a thread.
/// The running thread and its task, for the built-ins that only ask whether it may
/// block (a destructor of another instance, run nested, runs on its caller's thread).
fn current_any(sc: &Sched) -> Result<(Id, Id)> {
    sc.current().ok_or_else(|| Error::msg(super::MAY_NOT_BLOCK))
}

/// The running thread and its task, which must be of instance `table` (a destructor
/// or `realloc` of another instance that runs nested has no task here).
fn current(sc: &Sched, table: u32) -> Result<(Id, Id)> {
    sc.current()
        .filter(|(t, _)| sc.threads.get(*t).is_some_and(|t| t.instance == table))
        .ok_or_else(|| Error::msg("this built-in runs only in a task of its component instance"))
}

fn table_of(s: &mut spindle_exec::Store, t: u32) -> Result<&mut spindle_component::HandleTable> {
    components_mut(s)
        .tables
        .get_mut(t as usize)
        .and_then(|t| t.as_deref_mut())
        .ok_or_else(|| Error::msg(MAY_NOT_LEAVE))
}

/// Scheduler and table of instance `t`, both borrowed.
fn both(
    s: &mut spindle_exec::Store,
    t: u32,
) -> Result<(&mut Sched, &mut spindle_component::HandleTable)> {
    let c = components_mut(s);
    let table = c
        .tables
        .get_mut(t as usize)
        .and_then(|t| t.as_deref_mut())
        .ok_or_else(|| Error::msg(MAY_NOT_LEAVE))?;
    Ok((&mut c.sched, table))
}

/// The waitable set at handle `h` of instance `t`.
pub(crate) fn set_at(s: &mut spindle_exec::Store, t: u32, h: u32) -> Result<Id> {
    table_of(s, t)?
        .get_other(h)
        .filter(|o| o.kind == kind::SET)
        .map(|o| o.id)
        .ok_or_else(|| Error::msg(format!("unknown handle index {h} (not a waitable set)")))
}

/// The waitable at handle `h` of instance `t`.
fn waitable_at(s: &mut spindle_exec::Store, t: u32, h: u32) -> Result<Id> {
    table_of(s, t)?
        .get_other(h)
        .filter(|o| o.kind == kind::WAITABLE)
        .map(|o| o.id)
        .ok_or_else(|| Error::msg(format!("unknown handle index {h}")))
}

/// Writes an event's payload at `ptr` (two `u32`s).
pub(crate) fn write_event<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    memory: Option<crate::Memory>,
    ptr: u32,
    p1: u32,
    p2: u32,
) -> Result<()> {
    let Some(m) = memory else {
        return Err(Error::msg("the built-in has no memory"));
    };
    let data = m.data_mut(&mut store);
    let p = ptr as usize;
    if !ptr.is_multiple_of(4) || p.checked_add(8).is_none_or(|end| end > data.len()) {
        return Err(Error::msg(format!(
            "event payload pointer {ptr:#x} is misaligned or out of bounds"
        )));
    }
    data[p..p + 4].copy_from_slice(&p1.to_le_bytes());
    data[p + 4..p + 8].copy_from_slice(&p2.to_le_bytes());
    Ok(())
}

/// Stores `vals` (the results of `ty`) at `ptr` in the memory of `options`.
pub(crate) fn store_results<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    ty: &spindle_component::FuncType,
    options: &CanonOptions,
    table: u32,
    vals: &[Val],
    ptr: u32,
) -> Result<()> {
    super::in_cx(store, table, options, |cx| {
        spindle_component::store_values(cx, ty.results_tuple(), vals, ptr)
    })
}

/// The callee of subtask `w` resolved (`vals`, or `None`: cancelled): the results are
/// lowered into the caller, and the subtask's state changes.
pub(crate) fn resolve_subtask<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    w: Id,
    vals: Option<Vec<Val>>,
    started: bool,
) -> Result<()> {
    let sc = sched(store.inner);
    let Some(WaitableKind::Subtask(st)) = sc.waitables.get(w).map(|w| &w.kind) else {
        return Err(Error::msg("internal: a task's caller is not a subtask"));
    };
    let (is_async, ty, options, table, flat) = (
        st.is_async,
        st.ty.clone(),
        st.options.clone(),
        st.table,
        st.flat_args.clone(),
    );
    let state = match vals {
        Some(vals) => {
            sched(store.inner).instance(table).may_leave = false;
            let lowered = if is_async {
                match (ty.results().is_empty(), flat.last()) {
                    (true, _) => Ok(None),
                    (false, Some(CoreVal::I32(p))) => {
                        store_results(store, &ty, &options, table, &vals, *p as u32).map(|()| None)
                    }
                    _ => Err(Error::msg(
                        "internal: an async lower without result pointer",
                    )),
                }
            } else {
                let lower =
                    |cx: &mut AbiCx<'_>| spindle_component::lower_results(cx, &ty, &vals, &flat);
                super::in_cx(store, table, &options, lower).map(Some)
            };
            sched(store.inner).instance(table).may_leave = true;
            let lowered = lowered?;
            if let Some(WaitableKind::Subtask(st)) =
                sched(store.inner).waitables.get_mut(w).map(|w| &mut w.kind)
            {
                st.sync_results = lowered;
            }
            subtask_state::RETURNED
        }
        None if started => subtask_state::CANCELLED_BEFORE_RETURNED,
        None => subtask_state::CANCELLED_BEFORE_STARTED,
    };
    // What the caller lent for the call is its own again.
    super::end_loans(store.inner, table, super::lend_scope(w));
    let sc = sched(store.inner);
    if let Some(WaitableKind::Subtask(st)) = sc.waitables.get_mut(w).map(|w| &mut w.kind) {
        st.state = state;
        st.task = None;
    }
    sc.notify(w, PendingEvent::Subtask);
    Ok(())
}

/// What an async `canon lower` returns once the callee's first slice ran: `RETURNED` (no
/// subtask handle), or the state and the new subtask's handle.
pub(crate) fn async_call_status(s: &mut spindle_exec::Store, w: Id) -> Result<u32> {
    let sc = sched(s);
    let Some(Waitable {
        kind: WaitableKind::Subtask(st),
        instance,
        ..
    }) = sc.waitables.get(w)
    else {
        return Err(Error::msg("internal: unknown subtask"));
    };
    let (state, instance) = (st.state, *instance);
    if state >= subtask_state::RETURNED {
        sc.waitables.remove(w);
        return Ok(state);
    }
    let h = table_of(s, instance)?.insert_other(spindle_component::Other {
        kind: kind::WAITABLE,
        id: w,
    });
    let wt = sched(s).waitable_mut(w)?;
    wt.handle = h;
    // Progress before now is in the returned state, not an event.
    wt.event = None;
    Ok(state | (h << 4))
}

fn i32_result(results: &mut [crate::Val], x: u32) {
    results[0] = crate::Val::I32(x as i32);
}

/// Runs built-in `b` of instance `table`.
fn run<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    b: &Builtin,
    table: u32,
    args: &[crate::Val],
    results: &mut [crate::Val],
) -> Result<()> {
    let s = &mut *store.inner;
    match b {
        Builtin::ContextGet(i) => {
            let sc = sched(s);
            let (t, _) = current(sc, table)?;
            let v = sc.threads.get(t).map_or(0, |t| t.context[*i as usize & 1]);
            i32_result(results, v);
        }
        Builtin::ContextSet(i) => {
            let sc = sched(s);
            let (t, _) = current(sc, table)?;
            sc.thread_mut(t)?.context[*i as usize & 1] = arg(args, 0);
        }
        Builtin::BackpressureInc => {
            let i = sched(s).instance(table);
            if i.backpressure + 1 >= 1 << 16 {
                return Err(Error::msg("backpressure counter overflow"));
            }
            i.backpressure += 1;
        }
        Builtin::BackpressureDec => {
            let i = sched(s).instance(table);
            if i.backpressure == 0 {
                return Err(Error::msg("backpressure counter underflow"));
            }
            i.backpressure -= 1;
        }
        Builtin::TaskReturn { result, options } => {
            let sc = sched(s);
            let (_, task) = current(sc, table)?;
            let t = sc.task(task)?;
            if !t.func.options.is_async {
                return Err(Error::msg(
                    "task.return called by a synchronously lifted function",
                ));
            }
            if t.func.ty.results().first() != result.as_ref() {
                return Err(Error::msg(
                    "invalid result type: task.return's type is not the task's",
                ));
            }
            // The options that matter for the values: the memory they are read from and
            // the strings' encoding.
            if (options.memory.is_some() && t.func.options.memory != options.memory)
                || (result.is_some() && t.func.options.encoding != options.encoding)
            {
                return Err(Error::msg(
                    "task.return's options are not the task's lift options",
                ));
            }
            if t.state == TaskState::Resolved {
                return Err(Error::msg("task.return called after the task resolved"));
            }
            let flat: Vec<CoreVal> = args.iter().map(from_core).collect::<Result<_>>()?;
            let tuple =
                Type::tuple(result.iter().cloned()).map_err(|e| Error::msg(format!("{e:?}")))?;
            let lift = |cx: &mut AbiCx<'_>| {
                spindle_component::lift_values_limited(
                    cx,
                    &tuple,
                    spindle_component::MAX_FLAT_PARAMS,
                    &flat,
                )
            };
            // The task's borrows must all have been dropped.
            let scope = super::borrow_scope(task);
            let (r, ended) = super::with_cx(store, table, options, scope, lift, |t| {
                t.end_call_as_callee()
            })?;
            let vals = r.map_err(trap)?.0;
            ended.map_err(super::borrows_remain)?;
            super::resolve(store, task, Some(vals))?;
        }
        Builtin::TaskCancel => {
            let sc = sched(s);
            let (_, task) = current(sc, table)?;
            let t = sc.task(task)?;
            if !t.func.options.is_async {
                return Err(Error::msg(
                    "task.cancel called by a synchronously lifted function",
                ));
            }
            if t.state != TaskState::CancelDelivered {
                return Err(Error::msg(
                    "task.cancel called before cancellation was delivered",
                ));
            }
            // The task's borrows must all have been dropped.
            let options = t.func.options.clone();
            let scope = super::borrow_scope(task);
            super::with_cx(
                store,
                table,
                &options,
                scope,
                |_| (),
                |t| t.end_call_as_callee(),
            )?
            .1
            .map_err(super::borrows_remain)?;
            super::resolve(store, task, None)?;
        }
        Builtin::ThreadIndex => {
            let sc = sched(s);
            let (t, _) = current(sc, table)?;
            i32_result(results, sc.threads.get(t).map_or(0, |t| t.index));
        }
        Builtin::ThreadYield => {
            let sc = sched(s);
            let (_, task) = current(sc, table)?;
            if !sc.task(task)?.may_block() || !super::can_block(s) {
                i32_result(results, 0);
                return Ok(());
            }
            return request(s, Request::Block(Blocked::Yield { cancellable: false }));
        }
        Builtin::ThreadSuspend => {
            current(sched(s), table)?;
            if !super::may_block_now(s)? {
                return Err(Error::msg(MAY_NOT_BLOCK));
            }
            return request(s, Request::Block(Blocked::Suspended { cancellable: false }));
        }
        Builtin::ThreadNewIndirect { table: ftable } => {
            let (fi, c) = (arg(args, 0), arg(args, 1));
            let f = match ftable.get(&mut *store, u64::from(fi)) {
                Some(crate::Val::FuncRef(Some(f))) => f,
                Some(_) => return Err(Error::msg("uninitialized element")),
                None => return Err(Error::msg("undefined element: out of bounds table access")),
            };
            let fty = f.ty(&*store);
            if !fty.params().eq([ValType::I32]) || fty.results().len() != 0 {
                return Err(Error::msg("indirect call type mismatch"));
            }
            let s = &mut *store.inner;
            let sc = sched(s);
            let (_, task) = current(sc, table)?;
            let cont = Cont::Call {
                func: f,
                args: vec![crate::Val::I32(c as i32)],
            };
            let thread = sc.new_thread(task, table, cont, true)?;
            let th = sc.thread_mut(thread)?;
            th.blocked = Some(Blocked::Suspended { cancellable: false });
            let index = th.index;
            sc.task_mut(task)?.threads += 1;
            i32_result(results, index);
        }
        Builtin::ThreadResumeLater => {
            let sc = sched(s);
            let target = suspended_thread(sc, table, arg(args, 0))?;
            sc.thread_mut(target)?.blocked = Some(Blocked::Resumed);
            sc.waiting.push_back(target);
        }
        Builtin::ThreadSuspendThenResume | Builtin::ThreadYieldThenResume => {
            let sc = sched(s);
            let target = suspended_thread(sc, table, arg(args, 0))?;
            let current = if matches!(b, Builtin::ThreadSuspendThenResume) {
                Blocked::Suspended { cancellable: false }
            } else {
                Blocked::Yield { cancellable: false }
            };
            return request(
                s,
                Request::Switch {
                    current,
                    next: target,
                },
            );
        }
        Builtin::SetNew => {
            let (sc, t) = both(s, table)?;
            let id = sc.sets.insert(WaitableSet {
                elems: Vec::new(),
                waiting: 0,
            })?;
            i32_result(
                results,
                t.insert_other(spindle_component::Other {
                    kind: kind::SET,
                    id,
                }),
            );
        }
        Builtin::SetWait { memory } | Builtin::SetPoll { memory } => {
            let wait = matches!(b, Builtin::SetWait { .. });
            current_any(sched(s))?;
            if wait && !super::may_block_now(s)? {
                return Err(Error::msg(MAY_NOT_BLOCK));
            }
            let set = set_at(s, table, arg(args, 0))?;
            let ptr = arg(args, 1);
            let sc = sched(s);
            let ev = sc.take_set_event(set)?;
            let (code, p1, p2) = match ev {
                Some(ev) => ev,
                None if wait => {
                    if let Some(x) = sc.sets.get_mut(set) {
                        x.waiting += 1;
                    }
                    return request(
                        s,
                        Request::Block(Blocked::WaitSet {
                            set,
                            ptr,
                            memory: *memory,
                            cancellable: false,
                        }),
                    );
                }
                None => (event::NONE, 0, 0),
            };
            write_event(store.as_context_mut(), *memory, ptr, p1, p2)?;
            i32_result(results, code);
        }
        Builtin::SetDrop => {
            let h = arg(args, 0);
            let (sc, t) = both(s, table)?;
            let o = t
                .get_other(h)
                .filter(|o| o.kind == kind::SET)
                .ok_or_else(|| Error::msg(format!("unknown handle index {h}")))?;
            let set = sc.sets.get(o.id).ok_or_else(|| Error::msg("unknown set"))?;
            if set.waiting > 0 {
                return Err(Error::msg("cannot drop waitable set with waiters"));
            }
            if !set.elems.is_empty() {
                return Err(Error::msg("cannot drop waitable set with waitables in it"));
            }
            t.remove_other(h);
            sc.sets.remove(o.id);
        }
        Builtin::Join => {
            let (wi, si) = (arg(args, 0), arg(args, 1));
            let w = waitable_at(s, table, wi)?;
            let sc = sched(s);
            let sync_busy = match sc.waitables.get(w).map(|w| &w.kind) {
                Some(WaitableKind::End(e)) => e.state == CopyState::SyncCopying,
                Some(WaitableKind::Subtask(_)) => sc.waiting.iter().any(|t| {
                    sc.threads.get(*t).is_some_and(|t| {
                        matches!(
                            t.blocked,
                            Some(
                                Blocked::SyncCancel { subtask }
                                    | Blocked::CancelStatus { subtask, is_async: false }
                            ) if subtask == w
                        )
                    })
                }),
                None => false,
            };
            if sync_busy {
                return Err(Error::msg(
                    "waitable cannot be used synchronously while added to a waitable set",
                ));
            }
            let set = if si == 0 {
                None
            } else {
                Some(set_at(s, table, si)?)
            };
            sched(s).join(w, set)?;
        }
        Builtin::SubtaskDrop => {
            let h = arg(args, 0);
            let w = waitable_at(s, table, h)?;
            let sc = sched(s);
            match sc.waitables.get(w).map(|w| &w.kind) {
                Some(WaitableKind::Subtask(st)) if st.delivered => {}
                Some(WaitableKind::Subtask(_)) => {
                    return Err(Error::msg(
                        "cannot drop a subtask which has not yet resolved",
                    ))
                }
                _ => return Err(Error::msg(format!("handle {h} is not a subtask"))),
            }
            sc.join(w, None)?;
            sc.waitables.remove(w);
            table_of(s, table)?.remove_other(h);
        }
        Builtin::SubtaskCancel { is_async } => {
            return subtask_cancel(store, table, arg(args, 0), *is_async, results);
        }
        Builtin::New { future, elem } => {
            let (sc, t) = both(s, table)?;
            let (r, w) = copy::new_pair(sc, t, table, *future, elem.clone())?;
            results[0] = crate::Val::I64(i64::from(r) | (i64::from(w) << 32));
        }
        Builtin::Copy {
            future,
            readable,
            elem,
            options,
        } => {
            let sync = !options.is_async;
            current_any(sched(s))?;
            if sync && !super::may_block_now(s)? {
                return Err(Error::msg(MAY_NOT_BLOCK));
            }
            let (sc, t) = both(s, table)?;
            let w = copy::end_at(sc, t, arg(args, 0), *readable, *future)?;
            copy::check_copy_start(sc, w, elem, sync)?;
            let length = if *future { 1 } else { arg(args, 2) };
            let buf = copy::buffer(store, elem, options, table, arg(args, 1), length)?;
            copy::rendezvous(store, w, buf)?;
            let s = &mut *store.inner;
            let sc = sched(s);
            if sc.waitables.get(w).is_some_and(|w| w.event.is_some()) {
                let (_, _, payload) = sc.deliver(w)?;
                i32_result(results, payload);
            } else if sync {
                copy::end_mut(sc, w)?.state = CopyState::SyncCopying;
                return request(s, Request::Block(Blocked::SyncCopy { waitable: w }));
            } else {
                copy::end_mut(sc, w)?.state = CopyState::AsyncCopying;
                i32_result(results, BLOCKED);
            }
        }
        Builtin::CancelCopy {
            future,
            readable,
            elem,
            is_async,
        } => {
            let sync = !is_async;
            current_any(sched(s))?;
            if sync && !super::may_block_now(s)? {
                return Err(Error::msg(MAY_NOT_BLOCK));
            }
            let (sc, t) = both(s, table)?;
            let w = copy::end_at(sc, t, arg(args, 0), *readable, *future)?;
            let e = copy::end(sc, w)?;
            if sc.shared.get(e.shared).map(|x| &x.elem) != Some(elem) {
                return Err(Error::msg("the end's element type is not the built-in's"));
            }
            if sync && sc.waitables.get(w).is_some_and(|w| w.set.is_some()) {
                return Err(Error::msg(
                    "waitable cannot be used synchronously while added to a waitable set",
                ));
            }
            if e.state != CopyState::AsyncCopying {
                return Err(Error::msg("there is no async copy in progress to cancel"));
            }
            copy::end_mut(sc, w)?.state = CopyState::Cancelling;
            copy::cancel(sc, w)?;
            let (_, _, payload) = sc.deliver(w)?;
            i32_result(results, payload);
        }
        Builtin::DropEnd {
            future,
            readable,
            elem,
        } => {
            let h = arg(args, 0);
            let (sc, t) = both(s, table)?;
            let w = copy::end_at(sc, t, h, *readable, *future)?;
            let e = copy::end(sc, w)?;
            if sc.shared.get(e.shared).map(|x| &x.elem) != Some(elem) {
                return Err(Error::msg("the end's element type is not the built-in's"));
            }
            copy::drop_end(sc, w)?;
            t.remove_other(h);
        }
        Builtin::ErrorNew { options } => {
            let (ptr, len) = (arg(args, 0), arg(args, 1));
            let message = lift_string(store, options, table, ptr, len)?;
            let s = &mut *store.inner;
            let (sc, t) = both(s, table)?;
            let id = sc.errors.insert((Some(message), 1))?;
            i32_result(
                results,
                t.insert_other(spindle_component::Other {
                    kind: kind::ERROR_CONTEXT,
                    id,
                }),
            );
        }
        Builtin::ErrorDebugMessage { options } => {
            let (h, ptr) = (arg(args, 0), arg(args, 1));
            let id = table_of(s, table)?
                .get_other(h)
                .filter(|o| o.kind == kind::ERROR_CONTEXT)
                .map(|o| o.id)
                .ok_or_else(|| Error::msg(format!("unknown handle index {h}")))?;
            let message = sched(s)
                .errors
                .get(id)
                .and_then(|(m, _)| m.clone())
                .unwrap_or_default();
            let tuple = Type::tuple([Type::string()]).map_err(|e| Error::msg(format!("{e:?}")))?;
            super::in_cx(store, table, options, |cx| {
                spindle_component::store_values(cx, &tuple, &[Val::string(message)], ptr)
            })?;
        }
        Builtin::ErrorDrop => {
            let h = arg(args, 0);
            let (sc, t) = both(s, table)?;
            let id = t
                .get_other(h)
                .filter(|o| o.kind == kind::ERROR_CONTEXT)
                .map(|o| o.id)
                .ok_or_else(|| Error::msg(format!("unknown handle index {h}")))?;
            t.remove_other(h);
            sc.release_error(id);
        }
    }
    Ok(())
}

/// The string (`ptr`, code units `len`) in the memory of `options`.
fn lift_string<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    options: &CanonOptions,
    table: u32,
    ptr: u32,
    len: u32,
) -> Result<String> {
    let tuple = Type::tuple([Type::string()]).map_err(|e| Error::msg(format!("{e:?}")))?;
    let flat = [CoreVal::I32(ptr as i32), CoreVal::I32(len as i32)];
    let r = super::in_cx(store, table, options, |cx| {
        spindle_component::lift_values_limited(cx, &tuple, 16, &flat)
    });
    match r?.0.pop() {
        Some(Val::String(s)) => Ok(s.as_str().into()),
        _ => Ok(String::new()),
    }
}

/// The thread at index `i` of instance `table`, which must be suspended.
fn suspended_thread(sc: &mut Sched, table: u32, i: u32) -> Result<Id> {
    let t = *sc
        .instance(table)
        .threads
        .get(i)
        .ok_or_else(|| Error::msg(format!("unknown thread index {i}")))?;
    if sc.current == Some(t)
        || !matches!(
            sc.threads.get(t).and_then(|t| t.blocked.as_ref()),
            Some(Blocked::Suspended { .. })
        )
    {
        return Err(Error::msg("the thread is not suspended"));
    }
    Ok(t)
}

/// `subtask.cancel`.
fn subtask_cancel<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    table: u32,
    h: u32,
    is_async: bool,
    results: &mut [crate::Val],
) -> Result<()> {
    let s = &mut *store.inner;
    current_any(sched(s))?;
    if !is_async && !super::may_block_now(s)? {
        return Err(Error::msg(MAY_NOT_BLOCK));
    }
    let w = waitable_at(s, table, h)?;
    let sc = sched(s);
    let Some(Waitable {
        kind: WaitableKind::Subtask(st),
        set,
        ..
    }) = sc.waitables.get_mut(w)
    else {
        return Err(Error::msg(format!("handle {h} is not a subtask")));
    };
    if !is_async && set.is_some() {
        return Err(Error::msg(
            "waitable cannot be used synchronously while added to a waitable set",
        ));
    }
    if st.delivered {
        return Err(Error::msg("the subtask's resolution was delivered already"));
    }
    if st.cancel_requested {
        return Err(Error::msg(
            "the subtask's cancellation was requested already",
        ));
    }
    let mut woken = None;
    if st.state < subtask_state::RETURNED {
        st.cancel_requested = true;
        if let Some(callee) = st.task {
            if request_cancellation(store, callee)? {
                woken = Some(callee);
            }
        }
    }
    if let Some(callee) = woken {
        // The callee runs now with the cancellation; this call resumes after its slice.
        return request(
            store.inner,
            Request::Call {
                caller: Blocked::CancelStatus {
                    subtask: w,
                    is_async,
                },
                callee,
            },
        );
    }
    let s = &mut *store.inner;
    let sc = sched(s);
    let resolved = matches!(
        sc.waitables.get(w).map(|w| &w.kind),
        Some(WaitableKind::Subtask(st)) if st.state >= subtask_state::RETURNED
    );
    if resolved {
        let (_, _, state) = sc.deliver(w)?;
        i32_result(results, state);
        Ok(())
    } else if is_async {
        i32_result(results, BLOCKED);
        Ok(())
    } else {
        request(s, Request::Block(Blocked::SyncCancel { subtask: w }))
    }
}

/// `Task.request_cancellation` of task `task`: a task not yet entered resolves at once
/// (cancelled before it started); one blocked where cancellation can reach it is woken
/// with it; else it is left pending.
fn request_cancellation<T: 'static>(store: &mut StoreContextMut<'_, T>, task: Id) -> Result<bool> {
    let sc = sched(store.inner);
    let threads: Vec<Id> = sc
        .threads
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_ref().filter(|t| t.task == task).map(|_| i as Id))
        .collect();
    // Waiting to enter: resolved without running.
    if let Some(&t) = threads.iter().find(|t| {
        matches!(
            sc.threads.get(**t).and_then(|t| t.blocked.as_ref()),
            Some(Blocked::Enter)
        )
    }) {
        let instance = sc.threads.get(t).map_or(0, |t| t.instance);
        sc.waiting.retain(|x| *x != t);
        let i = sc.instance(instance);
        i.waiting_to_enter = i.waiting_to_enter.saturating_sub(1);
        let th = sc.threads.remove(t);
        if let Some(th) = th {
            sc.instance(instance).threads.remove(th.index);
        }
        let t = sc.task_mut(task)?;
        t.threads = t.threads.saturating_sub(1);
        super::resolve(store, task, None)?;
        sched(store.inner).tasks.remove(task);
        return Ok(false);
    }
    let t = sc.task(task)?;
    let instance = t.instance;
    let lock_free = !t.needs_exclusive()
        || sc
            .instances
            .get(instance as usize)
            .is_none_or(|i| i.exclusive.is_none() || i.exclusive == Some(task));
    let cancellable = threads.iter().copied().find(|t| {
        matches!(
            sc.threads.get(*t).and_then(|t| t.blocked.as_ref()),
            Some(
                Blocked::CallbackWait { .. }
                    | Blocked::CallbackYield
                    | Blocked::Suspended { cancellable: true }
                    | Blocked::Yield { cancellable: true }
                    | Blocked::WaitSet {
                        cancellable: true,
                        ..
                    }
            )
        )
    });
    match (lock_free, cancellable) {
        (true, Some(th)) => {
            sc.task_mut(task)?.state = TaskState::CancelDelivered;
            let thread = sc.thread_mut(th)?;
            thread.cancelled = true;
            if matches!(thread.blocked, Some(Blocked::Suspended { .. })) {
                sc.waiting.push_front(th);
            } else {
                // First in line.
                sc.waiting.retain(|x| *x != th);
                sc.waiting.push_front(th);
            }
            Ok(true)
        }
        _ => {
            sc.task_mut(task)?.state = TaskState::PendingCancel;
            Ok(false)
        }
    }
}
