//! Calls into tasks: the embedder's (dynamic and typed) and a guest's through `canon
//! lower`, with the reentrance checks of entering an instance.

use crate::prelude::*;
use alloc::sync::Arc;

use spindle_component::{CoreVal, Val};

use super::*;
use crate::component::func::{from_core, to_core, CanonOptions, LiftedFunc};
use crate::component::HostFunc;
use crate::store::{AsContextMut, StoreContextMut};
use crate::{Error, Result};

/// The embedder calls lifted function `f` with `params`: a task runs (with whatever else
/// becomes ready meanwhile) until it resolves; its results.
pub(crate) fn call_from_host<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    f: &Arc<LiftedFunc>,
    params: &[Val],
) -> Result<Vec<Val>> {
    let task = host_task(store.inner, f, TaskArgs::Host(params.to_vec()))?;
    let out = drive(store, task).and_then(|()| {
        // The task stays while threads of it run on (they may outlive the call).
        let sc = sched(store.inner);
        let result = sc.tasks.get_mut(task).and_then(|t| {
            t.taken = true;
            t.result.take()
        });
        if sc.tasks.get(task).is_some_and(|t| t.threads == 0) {
            sc.tasks.remove(task);
        }
        match result {
            Some(Some(vals)) => Ok(vals),
            Some(None) => Err(Error::msg("the call was cancelled")),
            None => Err(Error::msg("internal: the task resolved without results")),
        }
    });
    host_call_ended(store.inner, f, out)
}

/// The task of an embedder's call of `f` (made outside any component call), its thread
/// first in line.
fn host_task(s: &mut spindle_exec::Store, f: &Arc<LiftedFunc>, args: TaskArgs) -> Result<Id> {
    if sched(s).current.is_some() || s.run_depth() != 0 {
        return Err(crate::component::unsupported(
            "calling a component that uses the async ABI from inside another call",
        ));
    }
    enter_check(s, None, f.table)?;
    new_task(s, f.clone(), TaskCaller::Host, args)
}

/// After an embedder's call: a trap poisons the instances involved and drops every task.
fn host_call_ended<R>(s: &mut spindle_exec::Store, f: &LiftedFunc, out: Result<R>) -> Result<R> {
    if out.is_err() {
        let sc = sched(s);
        sc.instance(f.table).poisoned = true;
        sc.abandon();
    }
    out
}

/// A typed call from the embedder (`TypedFunc::call`) of synchronously lifted function
/// `f`: `lower` lowers the Rust arguments into the callee (when the call is made, not when
/// the task enters), the task runs with whatever else becomes ready until it returns, and
/// `lift` lifts its core results into Rust values before its `post-return` runs.
pub(crate) fn call_from_host_typed<T: 'static, Out>(
    store: &mut StoreContextMut<'_, T>,
    f: &Arc<LiftedFunc>,
    lower: impl FnOnce(&mut crate::component::typed::AbiCx<'_>, &mut Vec<CoreVal>) -> Result<()>,
    lift: impl FnOnce(&mut crate::component::typed::AbiCx<'_>, &[CoreVal]) -> Result<Out>,
) -> Result<Out> {
    if f.options.is_async {
        return Err(crate::component::unsupported(
            "typed calls of functions lifted `async` (call through `Func::call`)",
        ));
    }
    let task = host_task(store.inner, f, TaskArgs::Lowered(Vec::new()))?;
    sched(store.inner).task_mut(task)?.typed = true;
    let out = typed_call(store, f, task, lower, lift);
    host_call_ended(store.inner, f, out)
}

fn typed_call<T: 'static, Out>(
    store: &mut StoreContextMut<'_, T>,
    f: &Arc<LiftedFunc>,
    task: Id,
    lower: impl FnOnce(&mut crate::component::typed::AbiCx<'_>, &mut Vec<CoreVal>) -> Result<()>,
    lift: impl FnOnce(&mut crate::component::typed::AbiCx<'_>, &[CoreVal]) -> Result<Out>,
) -> Result<Out> {
    // The arguments, into the callee (which may not call out meanwhile).
    let mut args = Vec::new();
    sched(store.inner).instance(f.table).may_leave = false;
    let scope = borrow_scope(task);
    let lowered = with_cx(
        store,
        f.table,
        &f.options,
        scope,
        |cx| lower(cx, &mut args),
        |_| Ok(()),
    );
    sched(store.inner).instance(f.table).may_leave = true;
    lowered?.0?;
    sched(store.inner).task_mut(task)?.args =
        Some(TaskArgs::Lowered(args.into_iter().map(to_core).collect()));
    drive(store, task)?;
    // The results, lifted before the post-return frees what they point to.
    let sc = sched(store.inner);
    let t = sc.task_mut(task)?;
    t.taken = true;
    let flat = t.flat.take().unwrap_or_default();
    let thread = sc.threads.items.iter().enumerate().find_map(|(i, th)| {
        th.as_ref()
            .filter(|th| th.task == task && !th.explicit)
            .map(|_| i as Id)
    });
    let core: Vec<CoreVal> = flat.iter().map(from_core).collect::<Result<_>>()?;
    let out = {
        let scope = borrow_scope(task);
        let (lifted, ended) = with_cx(
            store,
            f.table,
            &f.options,
            scope,
            |cx| lift(cx, &core),
            |t| t.end_call_as_callee(),
        )?;
        let out = lifted?;
        ended.map_err(borrows_remain)?;
        out
    };
    if let Some(post) = f.options.post_return {
        let sc = sched(store.inner);
        sc.instance(f.table).may_leave = false;
        sc.current = thread;
        let r = post.call(&mut *store, &flat, &mut []);
        let sc = sched(store.inner);
        sc.instance(f.table).may_leave = true;
        sc.current = None;
        r?;
    }
    match thread {
        Some(t) => exit_thread(store, t)?,
        None => {
            sched(store.inner).tasks.remove(task);
        }
    }
    Ok(out)
}

/// The reentrance checks of entering instance `callee` from `caller` (`None`: the host).
fn enter_check(s: &mut spindle_exec::Store, caller: Option<u32>, callee: u32) -> Result<()> {
    let c = components_mut(s);
    if c.sched.instance(callee).poisoned {
        return Err(Error::msg(
            "cannot enter component instance: it trapped before",
        ));
    }
    // The embedder's own call (made outside any component call: see `call_from_host`)
    // has no component caller, so it cannot recurse; tasks that run concurrently do not
    // count (the specification checks the caller's chain only).
    if caller.is_some() && c.call_might_be_recursive(caller, callee) {
        return Err(Error::msg(
            "wasm trap: cannot enter component instance: the call might be recursive",
        ));
    }
    Ok(())
}

/// A call through `canon lower` of lifted function `f` from the running thread: the
/// callee's task starts at once (its implicit thread runs before the caller resumes).
/// `flat` are the caller's core arguments.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lower_call<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    f: &Arc<LiftedFunc>,
    ty: &spindle_component::FuncType,
    options: &CanonOptions,
    table: u32,
    flat: Vec<CoreVal>,
) -> Result<()> {
    let s = &mut *store.inner;
    // Outside any task (a start function) the call is a synchronous task's.
    if !options.is_async && ty.is_async() && !super::may_block_now(s)? {
        return Err(Error::msg(MAY_NOT_BLOCK));
    }
    if !can_block(s) {
        return Err(crate::component::unsupported(
            "a call into another component from guest code the host runs nested (a start function, realloc, post-return or destructor)",
        ));
    }
    enter_check(s, Some(table), f.table)?;
    let sc = sched(s);
    let w = sc.waitables.insert(Waitable {
        instance: table,
        handle: 0,
        set: None,
        event: None,
        kind: WaitableKind::Subtask(Subtask {
            state: subtask_state::STARTING,
            task: None,
            delivered: false,
            cancel_requested: false,
            is_async: options.is_async,
            options: options.clone(),
            table,
            ty: ty.clone(),
            flat_args: flat.clone(),
            sync_results: None,
        }),
    })?;
    let callee = new_task(
        s,
        f.clone(),
        TaskCaller::Guest(w),
        TaskArgs::Guest {
            flat,
            options: options.clone(),
            table,
            is_async: options.is_async,
        },
    )?;
    if let WaitableKind::Subtask(st) = &mut sched(s).waitable_mut(w)?.kind {
        st.task = Some(callee);
    }
    let caller = if options.is_async {
        Blocked::AsyncCall { subtask: w }
    } else {
        Blocked::SyncCall { subtask: w }
    };
    request(s, Request::Call { caller, callee })
}

/// A host function called through an async `canon lower`: it runs at once; its results go
/// to the caller's result pointer; the status is `RETURNED`.
pub(crate) fn async_lower_host<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    f: &HostFunc<T>,
    ty: &spindle_component::FuncType,
    options: &CanonOptions,
    table: u32,
    flat: &[CoreVal],
) -> Result<u32> {
    // The loans end with the host function's call (scope 0: nothing else runs meanwhile).
    let params = lift_call_args(store, ty, flat, options, table, true, 0)?;
    let mut outs = vec![Val::Bool(false); ty.results().len()];
    let called = (f.call)(store.as_context_mut(), ty, &params, &mut outs);
    end_loans(store.inner, table, 0);
    called?;
    if !ty.results().is_empty() {
        let ptr = match flat.last() {
            Some(CoreVal::I32(p)) => *p as u32,
            _ => {
                return Err(Error::msg(
                    "internal: an async lower without result pointer",
                ))
            }
        };
        builtins::store_results(store, ty, options, table, &outs, ptr)?;
    }
    Ok(subtask_state::RETURNED)
}
