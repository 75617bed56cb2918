//! The component model's async ABI (`CanonicalABI.md`, "async"): tasks, threads,
//! waitables and waitable sets, subtasks, streams and futures, and the scheduler that runs
//! guest threads.
//!
//! Every guest thread runs as a top-level resumable call of the store ([`run_slice`]).
//! A built-in that blocks (or a `canon lower` that starts another component's task) does
//! not wait on the native stack: it leaves a [`Request`] in the scheduler and fails, which
//! suspends the thread's call; the scheduler parks it (its frames and registers move off
//! the store's stacks, [`crate::func::ParkedInvocation`]) and runs another thread. When
//! what the thread waits for happens, the scheduler unparks it and resumes the built-in's
//! call with its results ([`Blocked`] says how to compute them). So threads block and
//! resume in any order, without native stack switching, and the interpreter knows nothing
//! of it. The scheduler runs on the embedder's call ([`call_from_host`]) until the task
//! that call made resolves; no ready thread while it has not is a deadlock (a trap).
//!
//! Guest code that the host runs nested (`realloc`, `post-return`, destructors, calls
//! into components that use no async feature) cannot block: there is no thread to park.
//!
//! Choices where the specification leaves one to the embedder: the scheduler takes the
//! first ready thread in the order threads became ready (the specification picks at
//! random), and a waitable set delivers the event of the first of its waitables that has
//! one.

pub(crate) mod builtins;
mod calls;
mod copy;

pub(crate) use calls::{async_lower_host, call_from_host, call_from_host_typed, lower_call};

use crate::prelude::*;
use alloc::collections::VecDeque;
use alloc::sync::Arc;

use spindle_component::{CoreVal, Cx, Options, Resources, Trap as AbiTrap, Type, Val};

use super::components_mut;
use super::func::{from_core, to_core, CanonOptions, GuestMemory, InstanceHandles, LiftedFunc};
use crate::func::ParkedInvocation;
use crate::store::{AsContextMut, StoreContextMut};
use crate::{Error, Result, ResumableCall};

pub(crate) use copy::{lift_end, lower_end};

/// An index in one of the scheduler's tables (tasks, threads, waitables, sets...).
pub(crate) type Id = u32;

/// `BLOCKED`: an async operation that did not complete at once.
pub(crate) const BLOCKED: u32 = 0xffff_ffff;

/// Event codes (`EventCode`).
pub(crate) mod event {
    pub const NONE: u32 = 0;
    pub const SUBTASK: u32 = 1;
    pub const STREAM_READ: u32 = 2;
    pub const STREAM_WRITE: u32 = 3;
    pub const FUTURE_READ: u32 = 4;
    pub const FUTURE_WRITE: u32 = 5;
    pub const TASK_CANCELLED: u32 = 6;
}

/// Subtask states (`Subtask.State`), as the async ABI passes them.
pub(crate) mod subtask_state {
    pub const STARTING: u32 = 0;
    pub const STARTED: u32 = 1;
    pub const RETURNED: u32 = 2;
    pub const CANCELLED_BEFORE_STARTED: u32 = 3;
    pub const CANCELLED_BEFORE_RETURNED: u32 = 4;
}

/// The message of a blocking operation in a task that may not block.
pub(crate) const MAY_NOT_BLOCK: &str = "cannot block a synchronous task before returning";

/// A table with index 0 never used and a LIFO free list (the specification's `Table`).
#[derive(Debug)]
pub(crate) struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

/// `Table.MAX_LENGTH`.
const MAX_TABLE: u32 = (1 << 28) - 1;

impl<T> Slab<T> {
    pub(crate) fn insert(&mut self, t: T) -> Result<Id> {
        if self.items.is_empty() {
            self.items.push(None);
        }
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(t);
            return Ok(i);
        }
        let i = self.items.len() as u32;
        if i > MAX_TABLE {
            return Err(Error::msg("table is full"));
        }
        self.items.push(Some(t));
        Ok(i)
    }
    pub(crate) fn get(&self, i: Id) -> Option<&T> {
        self.items.get(i as usize)?.as_ref()
    }
    pub(crate) fn get_mut(&mut self, i: Id) -> Option<&mut T> {
        self.items.get_mut(i as usize)?.as_mut()
    }
    pub(crate) fn remove(&mut self, i: Id) -> Option<T> {
        let t = self.items.get_mut(i as usize)?.take()?;
        self.free.push(i);
        Some(t)
    }
    fn clear(&mut self) {
        self.items.clear();
        self.free.clear();
    }
}

/// A component instance's async state (by handle-table index).
#[derive(Debug)]
pub(crate) struct InstanceState {
    /// False while values are lowered into the instance and during `post-return`: its core
    /// code may not call out (imports, most built-ins).
    pub may_leave: bool,
    /// `backpressure.inc`/`dec`.
    pub backpressure: u32,
    /// The task holding the instance's non-reentrance lock (a synchronously lifted or
    /// callback task of an async-typed function).
    pub exclusive: Option<Id>,
    /// Tasks waiting to enter (backpressure or the lock).
    pub waiting_to_enter: u32,
    /// The thread index space (`thread.index`): thread ids.
    pub threads: Slab<Id>,
    /// A trap in the instance: it cannot be entered again.
    pub poisoned: bool,
}

impl Default for InstanceState {
    fn default() -> Self {
        InstanceState {
            may_leave: true,
            backpressure: 0,
            exclusive: None,
            waiting_to_enter: 0,
            threads: Slab::default(),
            poisoned: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    Initial,
    PendingCancel,
    CancelDelivered,
    Resolved,
}

/// Who called a task.
#[derive(Debug)]
pub(crate) enum TaskCaller {
    /// The embedder: the results wait in [`Task::result`].
    Host,
    /// A guest's `canon lower`: its subtask (a waitable).
    Guest(Id),
}

/// The arguments of a task not yet started, in the caller's form.
pub(crate) enum TaskArgs {
    Host(Vec<Val>),
    /// Lowered into the callee already (a typed call from the embedder): its core
    /// arguments.
    Lowered(Vec<crate::Val>),
    /// The caller's core arguments, lifted when the task starts (`on_start`).
    Guest {
        flat: Vec<CoreVal>,
        options: CanonOptions,
        table: u32,
        is_async: bool,
    },
}

pub(crate) struct Task {
    pub instance: u32,
    pub func: Arc<LiftedFunc>,
    pub state: TaskState,
    pub caller: TaskCaller,
    /// Threads of the task still running (its implicit thread and `thread.new-indirect`'s).
    pub threads: u32,
    /// The results for the embedder's call.
    pub result: Option<Option<Vec<Val>>>,
    /// The embedder's call has taken the results (the task goes with its last thread).
    pub taken: bool,
    /// A typed call from the embedder: a synchronous lift's core results are left in
    /// `flat` for the caller to lift (its Rust types), then post-return and the thread's
    /// end follow.
    pub typed: bool,
    pub flat: Option<Vec<crate::Val>>,
    pub args: Option<TaskArgs>,
    /// Its place in the order tasks were made.
    pub seq: u64,
}

impl Task {
    /// `may_block`: an async-typed function's task, or one that has resolved.
    pub(crate) fn may_block(&self) -> bool {
        self.func.ty.is_async() || self.state == TaskState::Resolved
    }

    /// `needs_exclusive`: a synchronous lift, or an async one with a callback.
    fn needs_exclusive(&self) -> bool {
        !self.func.options.is_async || self.func.options.callback.is_some()
    }
}

/// What a thread's continuation is.
pub(crate) enum Cont {
    /// A core call to make: the thread's function, or a callback of the callback loop.
    Call {
        func: crate::Func,
        args: Vec<crate::Val>,
    },
    /// Suspended in a host function; resumed with that function's results.
    Parked(ParkedInvocation),
    /// Running, or not entered yet.
    None,
}

/// What a thread is blocked on, and so what its resumption gives it.
#[derive(Clone, Debug)]
pub(crate) enum Blocked {
    /// The implicit thread of a task not yet entered (backpressure, the lock).
    Enter,
    /// Explicitly suspended (`thread.suspend`, a new thread): only a thread built-in of the
    /// instance makes it run again. Not in the waiting list.
    Suspended { cancellable: bool },
    /// Ready at once: resumed with `[0]` (not cancelled), or started if never run.
    Resumed,
    /// `thread.yield`: ready; resumed with `[cancelled]`.
    Yield { cancellable: bool },
    /// `waitable-set.wait`: resumed with the event code, its payload written at `ptr`.
    WaitSet {
        set: Id,
        ptr: u32,
        memory: Option<crate::Memory>,
        cancellable: bool,
    },
    /// The callback loop's `WAIT`: the callback is called with the event.
    CallbackWait { set: Id },
    /// The callback loop's `YIELD`.
    CallbackYield,
    /// A synchronous `canon lower`: resumed with the lowered results when the subtask
    /// resolves.
    SyncCall { subtask: Id },
    /// An async `canon lower`: resumed (after the callee's first slice) with the subtask's
    /// state and handle.
    AsyncCall { subtask: Id },
    /// A synchronous stream or future copy (or its cancellation): resumed with the event's
    /// payload.
    SyncCopy { waitable: Id },
    /// A synchronous `subtask.cancel`: resumed with the subtask's state when it resolves.
    SyncCancel { subtask: Id },
    /// A `subtask.cancel` whose callee was woken with the cancellation: resumed after the
    /// callee's slice with the subtask's state (or `BLOCKED`, or waiting on, if it has not
    /// resolved).
    CancelStatus { subtask: Id, is_async: bool },
}

pub(crate) struct Thread {
    pub task: Id,
    pub instance: u32,
    /// Its index in the instance's thread table.
    pub index: u32,
    /// `context.get`/`context.set`.
    pub context: [u32; 2],
    pub cont: Cont,
    pub blocked: Option<Blocked>,
    /// Resumed by a cancellation (the blocking built-in reports it).
    pub cancelled: bool,
    /// How many results the thread's current core call returns.
    pub results: usize,
    /// For the implicit thread of a callback lift: the callback loop's function.
    pub callback: Option<crate::Func>,
    /// Made by `thread.new-indirect`.
    pub explicit: bool,
    /// It released its task's lock on the instance to block: it takes it back to resume.
    pub reacquire: bool,
}

/// A waitable's pending event, computed when delivered (the latest state wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PendingEvent {
    Subtask,
    /// A copy's end: its result (`CopyResult`).
    Copy {
        result: u32,
    },
}

pub(crate) struct Waitable {
    pub instance: u32,
    /// Its index in the instance's handle table (0 before it has one).
    pub handle: u32,
    pub set: Option<Id>,
    pub event: Option<PendingEvent>,
    pub kind: WaitableKind,
}

pub(crate) enum WaitableKind {
    Subtask(Subtask),
    End(copy::End),
}

/// The caller's side of a call through `canon lower`.
pub(crate) struct Subtask {
    pub state: u32,
    /// The callee's task (`None` for a host function, which resolves at once).
    pub task: Option<Id>,
    pub delivered: bool,
    pub cancel_requested: bool,
    pub is_async: bool,
    pub options: CanonOptions,
    pub table: u32,
    pub ty: spindle_component::FuncType,
    /// The caller's core arguments (a spilled result's pointer is the last).
    pub flat_args: Vec<CoreVal>,
    /// A synchronous caller's core results, lowered when the callee returned.
    pub sync_results: Option<Vec<CoreVal>>,
}

pub(crate) struct WaitableSet {
    pub elems: Vec<Id>,
    /// Threads waiting on it (`waitable-set.wait`, or a callback loop's `WAIT`).
    pub waiting: u32,
}

/// The item of an instance's handle table that is not a resource handle (see
/// [`spindle_component::Other`]).
pub(crate) mod kind {
    pub const WAITABLE: u8 = 1;
    pub const SET: u8 = 2;
    pub const ERROR_CONTEXT: u8 = 3;
}

/// What a built-in asks of the scheduler when it cannot finish on its own.
pub(crate) enum Request {
    /// Park the thread: it is blocked on this.
    Block(Blocked),
    /// Park the caller (blocked on this: [`Blocked::SyncCall`] or [`Blocked::AsyncCall`])
    /// and run the callee's implicit thread now.
    Call { caller: Blocked, callee: Id },
    /// Park the thread (blocked on this) and run thread `next` now.
    Switch { current: Blocked, next: Id },
}

/// The scheduler: every async entity of the store.
#[derive(Default)]
pub(crate) struct Sched {
    pub instances: Vec<InstanceState>,
    pub tasks: Slab<Task>,
    pub threads: Slab<Thread>,
    pub waitables: Slab<Waitable>,
    pub sets: Slab<WaitableSet>,
    pub shared: Slab<copy::Shared>,
    /// Error contexts: the debug message and how many handles name it.
    pub errors: Slab<(Option<String>, u32)>,
    /// Threads blocked on something that may become ready, in the order they blocked.
    pub waiting: VecDeque<Id>,
    /// The thread whose slice runs now.
    pub current: Option<Id>,
    /// A built-in's request, left for the scheduler as its call fails.
    pub request: Option<Request>,
    /// Blocked threads of tasks that may not block (calling, or blocked all the same
    /// because other threads were ready), innermost last, each with the first task that
    /// may run on its stack (by [`Task::seq`]): while one is blocked, only threads that can
    /// use its stack run (see [`Sched::may_run`]).
    pub pinned: Vec<(Id, u64)>,
    /// Tasks made so far (a task's [`Task::seq`]).
    pub tasks_made: u64,
}

impl core::fmt::Debug for Sched {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sched")
            .field("waiting", &self.waiting)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// The marker error a built-in returns with a [`Request`].
fn blocked_marker() -> Error {
    Error::msg("component thread blocked (the scheduler resumes it)")
}

impl Sched {
    pub(crate) fn instance(&mut self, i: u32) -> &mut InstanceState {
        let i = i as usize;
        if self.instances.len() <= i {
            self.instances.resize_with(i + 1, InstanceState::default);
        }
        &mut self.instances[i]
    }

    /// The running thread and its task: built-ins run on it.
    pub(crate) fn current(&self) -> Option<(Id, Id)> {
        let t = self.current?;
        Some((t, self.threads.get(t)?.task))
    }

    fn task(&self, t: Id) -> Result<&Task> {
        self.tasks
            .get(t)
            .ok_or_else(|| Error::msg("internal: unknown task"))
    }

    fn task_mut(&mut self, t: Id) -> Result<&mut Task> {
        self.tasks
            .get_mut(t)
            .ok_or_else(|| Error::msg("internal: unknown task"))
    }

    fn thread_mut(&mut self, t: Id) -> Result<&mut Thread> {
        self.threads
            .get_mut(t)
            .ok_or_else(|| Error::msg("internal: unknown thread"))
    }

    pub(crate) fn waitable_mut(&mut self, w: Id) -> Result<&mut Waitable> {
        self.waitables
            .get_mut(w)
            .ok_or_else(|| Error::msg("internal: unknown waitable"))
    }

    /// `has_backpressure` for task `t` entering.
    fn has_backpressure(&self, t: &Task) -> bool {
        // Functions whose type is not async enter at once (they may not block anyway).
        if !t.func.ty.is_async() {
            return false;
        }
        let Some(inst) = self.instances.get(t.instance as usize) else {
            return false;
        };
        inst.backpressure > 0 || (t.needs_exclusive() && inst.exclusive.is_some())
    }

    /// Whether waitable set `s` has a waitable with an event.
    fn set_has_event(&self, s: Id) -> bool {
        self.sets.get(s).is_some_and(|set| {
            set.elems
                .iter()
                .any(|w| self.waitables.get(*w).is_some_and(|w| w.event.is_some()))
        })
    }

    /// A new thread of task `task` in instance `instance`, continuing with `cont`, in the
    /// instance's thread index space; its id (`explicit`: made by `thread.new-indirect`).
    pub(crate) fn new_thread(
        &mut self,
        task: Id,
        instance: u32,
        cont: Cont,
        explicit: bool,
    ) -> Result<Id> {
        let thread = self.threads.insert(Thread {
            task,
            instance,
            index: 0,
            context: [0; 2],
            cont,
            blocked: None,
            cancelled: false,
            results: 0,
            callback: None,
            explicit,
            reacquire: false,
        })?;
        let index = self.instance(instance).threads.insert(thread)?;
        self.thread_mut(thread)?.index = index;
        Ok(thread)
    }

    /// Whether thread `t`, blocked on `b`, can run now.
    fn ready(&self, t: &Thread, b: &Blocked) -> bool {
        if t.cancelled {
            return true;
        }
        let exclusive_free = || {
            self.instances
                .get(t.instance as usize)
                .is_none_or(|i| i.exclusive.is_none() || i.exclusive == Some(t.task))
        };
        if t.reacquire && !exclusive_free() {
            return false;
        }
        match b {
            Blocked::Enter => self
                .tasks
                .get(t.task)
                .is_some_and(|task| !self.has_backpressure(task)),
            Blocked::Suspended { .. } => false,
            Blocked::Resumed
            | Blocked::Yield { .. }
            | Blocked::AsyncCall { .. }
            | Blocked::CancelStatus { .. } => true,
            Blocked::WaitSet { set, .. } => self.set_has_event(*set),
            Blocked::CallbackWait { set } => exclusive_free() && self.set_has_event(*set),
            Blocked::CallbackYield => exclusive_free(),
            Blocked::SyncCall { subtask } | Blocked::SyncCancel { subtask } => {
                self.waitables.get(*subtask).is_some_and(|w| match &w.kind {
                    WaitableKind::Subtask(s) => s.state >= subtask_state::RETURNED,
                    WaitableKind::End(_) => true,
                })
            }
            Blocked::SyncCopy { waitable } => self
                .waitables
                .get(*waitable)
                .is_some_and(|w| w.event.is_some()),
        }
    }

    /// Takes the first ready thread that may run off the waiting list.
    fn next_ready(&mut self) -> Option<Id> {
        // A pinned thread gone (its task trapped or ended) pins nothing.
        while let Some(&(p, _)) = self.pinned.last() {
            if self.threads.get(p).is_some_and(|t| t.blocked.is_some()) {
                break;
            }
            self.pinned.pop();
        }
        let pin = self.pinned.last().copied();
        let pos = self.waiting.iter().position(|&id| {
            self.threads.get(id).is_some_and(|t| {
                t.blocked.as_ref().is_some_and(|b| self.ready(t, b)) && self.may_run(t, pin)
            })
        })?;
        self.waiting.remove(pos)
    }

    /// Whether thread `t` may run while the innermost pinned thread `pin` is blocked: a
    /// thread of an unresolved task made since it blocked (the callee it waits for, and
    /// what that calls), or a thread of its own component instance that can use the stack (not the implicit thread of an
    /// async-typed task that needs the instance to itself). Nothing else runs on the stack
    /// of a call that may not block: a sibling instance would be entered unexpectedly.
    fn may_run(&self, t: &Thread, pin: Option<(Id, u64)>) -> bool {
        let Some((p, made)) = pin else {
            return true;
        };
        let Some(task) = self.tasks.get(t.task) else {
            return false;
        };
        if task.seq >= made && task.state != TaskState::Resolved {
            return true;
        }
        let same_instance = self
            .threads
            .get(p)
            .is_some_and(|p| p.instance == t.instance);
        same_instance && (t.explicit || !(task.needs_exclusive() && task.func.ty.is_async()))
    }

    /// Whether a thread other than the running one is ready in the top-level component
    /// instance `root` (instance by instance, `root_of` maps them): a task that may not
    /// block may block while one is, since the blocked call's stack can run it.
    fn others_ready(&self, root: impl Fn(u32) -> u32, mine: u32) -> bool {
        self.waiting.iter().any(|&id| {
            Some(id) != self.current
                && self.threads.get(id).is_some_and(|t| {
                    root(t.instance) == mine && t.blocked.as_ref().is_some_and(|b| self.ready(t, b))
                })
        })
    }

    /// Blocks thread `t` on `b` (waiting for it, unless explicitly suspended).
    fn block(&mut self, t: Id, b: Blocked, front: bool) -> Result<()> {
        let waits = !matches!(b, Blocked::Suspended { .. });
        self.thread_mut(t)?.blocked = Some(b);
        if waits {
            if front {
                self.waiting.push_front(t);
            } else {
                self.waiting.push_back(t);
            }
        }
        Ok(())
    }

    /// The event of waitable `w`, delivered now (`get_pending_event`): its code and
    /// payload, with the state changes delivery makes.
    pub(crate) fn deliver(&mut self, w: Id) -> Result<(u32, u32, u32)> {
        let waitable = self.waitable_mut(w)?;
        let Some(ev) = waitable.event.take() else {
            return Err(Error::msg("internal: no event to deliver"));
        };
        let handle = waitable.handle;
        match ev {
            PendingEvent::Subtask => {
                let WaitableKind::Subtask(s) = &mut waitable.kind else {
                    return Err(Error::msg("internal: a subtask event on another waitable"));
                };
                if s.state >= subtask_state::RETURNED {
                    s.delivered = true;
                }
                Ok((event::SUBTASK, handle, s.state))
            }
            PendingEvent::Copy { result } => copy::deliver(self, w, result),
        }
    }

    /// The first event among set `s`'s waitables, delivered.
    fn take_set_event(&mut self, s: Id) -> Result<Option<(u32, u32, u32)>> {
        let Some(set) = self.sets.get(s) else {
            return Err(Error::msg("internal: unknown waitable set"));
        };
        let w = set
            .elems
            .iter()
            .copied()
            .find(|w| self.waitables.get(*w).is_some_and(|w| w.event.is_some()));
        w.map(|w| self.deliver(w)).transpose()
    }

    /// One handle of error context `id` is gone: the context goes with its last.
    pub(crate) fn release_error(&mut self, id: Id) {
        if let Some((_, n)) = self.errors.get_mut(id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.errors.remove(id);
            }
        }
    }

    /// Sets waitable `w`'s pending event.
    pub(crate) fn notify(&mut self, w: Id, ev: PendingEvent) {
        if let Some(w) = self.waitables.get_mut(w) {
            w.event = Some(ev);
        }
    }

    /// Moves waitable `w` to set `s` (`None`: out of any set).
    pub(crate) fn join(&mut self, w: Id, s: Option<Id>) -> Result<()> {
        let old = self.waitable_mut(w)?.set.take();
        if let Some(old) = old {
            if let Some(set) = self.sets.get_mut(old) {
                set.elems.retain(|x| *x != w);
            }
        }
        if let Some(s) = s {
            self.sets
                .get_mut(s)
                .ok_or_else(|| Error::msg("internal: unknown waitable set"))?
                .elems
                .push(w);
        }
        self.waitable_mut(w)?.set = s;
        Ok(())
    }

    /// Forgets every thread and task (after a trap: the instances involved are poisoned,
    /// their parked calls dropped).
    fn abandon(&mut self) {
        let involved: Vec<u32> = (self.tasks.items.iter().flatten().map(|t| t.instance))
            .chain(self.threads.items.iter().flatten().map(|t| t.instance))
            .collect();
        for i in involved {
            self.instance(i).poisoned = true;
        }
        self.tasks.clear();
        self.threads.clear();
        self.waiting.clear();
        self.pinned.clear();
        self.current = None;
        self.request = None;
        for i in &mut self.instances {
            i.exclusive = None;
            i.waiting_to_enter = 0;
            i.threads.clear();
        }
    }
}

/// The handle tables' borrow scope of task `t` (0 is the synchronous calls').
pub(crate) fn borrow_scope(t: Id) -> u32 {
    t + 1
}

/// Runs `f` with the canonical ABI's context for instance `table` (its handles, the
/// borrows lowered meanwhile lent to borrow scope `scope`; the memory, `realloc` and
/// string encoding of `options`), then `after` on its handle table (the scope still set);
/// what `f` gave, and what `after` said.
pub(crate) fn with_cx<C: AsContextMut, R>(
    store: &mut C,
    table: u32,
    options: &CanonOptions,
    scope: u32,
    f: impl FnOnce(&mut super::typed::AbiCx<'_>) -> R,
    after: impl FnOnce(&mut spindle_component::HandleTable) -> core::result::Result<(), AbiTrap>,
) -> Result<(R, core::result::Result<(), AbiTrap>)> {
    let mut handles = InstanceHandles::take(store.as_context_mut().inner, table)?;
    handles.table.set_scope(scope);
    let r = {
        let mut memory = GuestMemory::new(store, options);
        let mem: &mut dyn spindle_component::Memory = &mut memory;
        let res: &mut dyn Resources = &mut handles;
        let string_encoding = options.encoding;
        let mut cx = Cx::new(mem, Options { string_encoding }, res);
        f(&mut cx)
    };
    let ended = after(&mut handles.table);
    handles.table.set_scope(0);
    handles.put_back(store.as_context_mut().inner);
    Ok((r, ended))
}

/// [`with_cx`] for a lift or lower alone (no scope, nothing after), its trap as an error.
pub(crate) fn in_cx<C: AsContextMut, R>(
    store: &mut C,
    table: u32,
    options: &CanonOptions,
    f: impl FnOnce(&mut super::typed::AbiCx<'_>) -> core::result::Result<R, AbiTrap>,
) -> Result<R> {
    with_cx(store, table, options, 0, f, |_| Ok(()))?
        .0
        .map_err(super::func::trap)
}

/// The error of a task that ends with borrows it did not drop.
pub(crate) fn borrows_remain(_: AbiTrap) -> Error {
    Error::msg("borrow handles still remain at the end of the call")
}

/// The store's scheduler.
pub(crate) fn sched(s: &mut spindle_exec::Store) -> &mut Sched {
    &mut components_mut(s).sched
}

/// Whether the calling host function may block its thread: it runs in a thread's slice
/// (not in guest code the host runs nested).
pub(crate) fn can_block(s: &mut spindle_exec::Store) -> bool {
    s.run_depth() == 1 && components_mut(s).sched.current.is_some()
}

/// Whether the running thread's task may block (`true` outside any thread: the host's
/// own calls are not tasks).
pub(crate) fn current_may_block(s: &mut spindle_exec::Store) -> Result<bool> {
    let sc = sched(s);
    match sc.current() {
        Some((_, task)) => Ok(sc.task(task)?.may_block()),
        None => Ok(true),
    }
}

/// Whether the running thread may block now: its task may block, or other threads of
/// its top-level component instance are ready (they can run while it waits; see
/// [`Sched::may_run`] for which do). Outside any thread: no.
pub(crate) fn may_block_now(s: &mut spindle_exec::Store) -> Result<bool> {
    let c = components_mut(s);
    let Some((t, task)) = c.sched.current() else {
        return Ok(false);
    };
    if c.sched.task(task)?.may_block() {
        return Ok(true);
    }
    let instance = c.sched.threads.get(t).map_or(0, |t| t.instance);
    let mine = c.root_of(instance);
    Ok(c.sched.others_ready(|i| c.root_of(i), mine))
}

/// Leaves `r` for the scheduler and fails the calling host function, which suspends the
/// thread's call.
pub(crate) fn request(s: &mut spindle_exec::Store, r: Request) -> Result<()> {
    if !can_block(s) {
        return Err(super::unsupported(
            "blocking in guest code the host runs nested (a realloc, post-return, destructor, or a call into a component that uses no async feature)",
        ));
    }
    sched(s).request = Some(r);
    Err(blocked_marker())
}

/// Whether calls into the store's components go through the scheduler: some component
/// of the store uses the async ABI.
pub(crate) fn in_use(s: &mut spindle_exec::Store) -> bool {
    components_mut(s).uses_async
}

/// A new task of `f` and its implicit thread, waiting to enter (at the front of the
/// waiting list: it runs next).
fn new_task(
    s: &mut spindle_exec::Store,
    f: Arc<LiftedFunc>,
    caller: TaskCaller,
    args: TaskArgs,
) -> Result<Id> {
    let sc = sched(s);
    let instance = f.table;
    let results = usize::from(f.options.callback.is_some());
    let task = sc.tasks.insert(Task {
        instance,
        func: f,
        state: TaskState::Initial,
        caller,
        threads: 1,
        result: None,
        taken: false,
        typed: false,
        flat: None,
        args: Some(args),
        seq: sc.tasks_made,
    })?;
    sc.tasks_made += 1;
    let thread = sc.new_thread(task, instance, Cont::None, false)?;
    sc.thread_mut(thread)?.results = results;
    sc.instance(instance).waiting_to_enter += 1;
    sc.block(thread, Blocked::Enter, true)?;
    Ok(task)
}

/// Runs ready threads until task `root` resolves.
fn drive<T: 'static>(store: &mut StoreContextMut<'_, T>, root: Id) -> Result<()> {
    loop {
        let sc = sched(store.inner);
        if sc.task(root)?.state == TaskState::Resolved {
            return Ok(());
        }
        let Some(t) = sc.next_ready() else {
            return Err(Error::msg(
                "wasm trap: deadlock detected: event loop cannot make further progress",
            ));
        };
        step(store, t)?;
    }
}

/// Resumes thread `t`, which is ready: what it was blocked on gives its resumption.
fn step<T: 'static>(store: &mut StoreContextMut<'_, T>, t: Id) -> Result<()> {
    let sc = sched(store.inner);
    sc.pinned.retain(|(p, _)| *p != t);
    let th = sc.thread_mut(t)?;
    let blocked = th.blocked.take();
    let cancelled = core::mem::take(&mut th.cancelled);
    let reacquire = core::mem::take(&mut th.reacquire);
    let (task_id, instance) = (th.task, th.instance);
    if reacquire {
        sc.instance(instance).exclusive = Some(task_id);
    }
    let i32v = |x: u32| crate::Val::I32(x as i32);
    let resume: Vec<crate::Val> = match blocked {
        None => Vec::new(),
        Some(Blocked::Enter) => {
            let i = sc.instance(instance);
            i.waiting_to_enter = i.waiting_to_enter.saturating_sub(1);
            if cancelled {
                // Cancelled before it started: the callee runs no code.
                sc.task_mut(task_id)?.state = TaskState::Resolved;
                return resolve(store, task_id, None);
            }
            return start(store, t);
        }
        Some(Blocked::Suspended { .. } | Blocked::Resumed | Blocked::Yield { .. }) => {
            vec![i32v(u32::from(cancelled))]
        }
        Some(Blocked::WaitSet {
            set, ptr, memory, ..
        }) => {
            if let Some(s) = sc.sets.get_mut(set) {
                s.waiting = s.waiting.saturating_sub(1);
            }
            let (code, p1, p2) = if cancelled {
                (event::TASK_CANCELLED, 0, 0)
            } else {
                sc.take_set_event(set)?.unwrap_or((event::NONE, 0, 0))
            };
            builtins::write_event(store.as_context_mut(), memory, ptr, p1, p2)?;
            vec![i32v(code)]
        }
        Some(Blocked::CallbackWait { set }) => {
            if let Some(s) = sc.sets.get_mut(set) {
                s.waiting = s.waiting.saturating_sub(1);
            }
            let ev = if cancelled {
                (event::TASK_CANCELLED, 0, 0)
            } else {
                sc.take_set_event(set)?.unwrap_or((event::NONE, 0, 0))
            };
            return call_callback(store, t, ev);
        }
        Some(Blocked::CallbackYield) => {
            let ev = if cancelled {
                (event::TASK_CANCELLED, 0, 0)
            } else {
                (event::NONE, 0, 0)
            };
            return call_callback(store, t, ev);
        }
        Some(Blocked::SyncCall { subtask }) => {
            let w = sc.waitables.remove(subtask);
            let Some(Waitable {
                kind: WaitableKind::Subtask(s),
                ..
            }) = w
            else {
                return Err(Error::msg("internal: a sync call without its subtask"));
            };
            s.sync_results
                .unwrap_or_default()
                .into_iter()
                .map(to_core)
                .collect()
        }
        Some(Blocked::AsyncCall { subtask }) => {
            vec![i32v(builtins::async_call_status(store.inner, subtask)?)]
        }
        Some(Blocked::SyncCopy { waitable }) => {
            let (_, _, payload) = sc.deliver(waitable)?;
            vec![i32v(payload)]
        }
        Some(Blocked::SyncCancel { subtask }) => {
            let (_, _, state) = sc.deliver(subtask)?;
            vec![i32v(state)]
        }
        Some(Blocked::CancelStatus { subtask, is_async }) => {
            let resolved = matches!(
                sc.waitables.get(subtask).map(|w| &w.kind),
                Some(WaitableKind::Subtask(s)) if s.state >= subtask_state::RETURNED
            );
            if resolved {
                let (_, _, state) = sc.deliver(subtask)?;
                vec![i32v(state)]
            } else if is_async {
                vec![i32v(BLOCKED)]
            } else {
                // Still running: the synchronous cancel waits for the resolution.
                return sc.block(t, Blocked::SyncCancel { subtask }, false);
            }
        }
    };
    run_slice(store, t, &resume)
}

/// Task `task`'s implicit thread `t` enters its instance and starts: the arguments are
/// lifted from the caller and lowered into the callee, and the core function is called.
fn start<T: 'static>(store: &mut StoreContextMut<'_, T>, t: Id) -> Result<()> {
    let sc = sched(store.inner);
    let task_id = sc.threads.get(t).map(|t| t.task).unwrap_or_default();
    let task = sc.task_mut(task_id)?;
    let f = task.func.clone();
    let args = task.args.take();
    if task.needs_exclusive() && f.ty.is_async() {
        sc.instance(f.table).exclusive = Some(task_id);
    }
    // `on_start`: the caller's subtask has started; its arguments are lifted.
    let vals = match args {
        Some(TaskArgs::Lowered(core_args)) => {
            let sc = sched(store.inner);
            let th = sc.thread_mut(t)?;
            th.results = usize::from(!f.ty.results().is_empty());
            th.cont = Cont::Call {
                func: f.core,
                args: core_args,
            };
            return run_slice(store, t, &[]);
        }
        Some(TaskArgs::Host(v)) => v,
        Some(TaskArgs::Guest {
            flat,
            options,
            table,
            is_async,
        }) => {
            if let TaskCaller::Guest(w) = sc.task(task_id)?.caller {
                if let Some(WaitableKind::Subtask(s)) = sc.waitables.get_mut(w).map(|w| &mut w.kind)
                {
                    s.state = subtask_state::STARTED;
                }
                sc.notify(w, PendingEvent::Subtask);
            }
            let w = match sched(store.inner).task(task_id)?.caller {
                TaskCaller::Guest(w) => w,
                TaskCaller::Host => 0,
            };
            lift_call_args(
                store,
                &f.ty,
                &flat,
                &options,
                table,
                is_async,
                lend_scope(w),
            )?
        }
        None => Vec::new(),
    };
    // Lowered into the callee, which may not call out meanwhile.
    sched(store.inner).current = Some(t);
    let core_args = lower_into_callee(store, &f, &vals, task_id);
    sched(store.inner).current = None;
    let core_args = core_args?;
    let sc = sched(store.inner);
    let th = sc.thread_mut(t)?;
    th.callback = f.options.callback;
    th.results = if f.options.is_async {
        usize::from(f.options.callback.is_some())
    } else {
        usize::from(!f.ty.results().is_empty())
    };
    th.cont = Cont::Call {
        func: f.core,
        args: core_args,
    };
    run_slice(store, t, &[])
}

/// The caller's arguments of a call through `canon lower` (synchronous or async), lifted
/// from its core arguments.
/// The handles the caller lends for the call are lent in borrow scope `scope` (see
/// [`lend_scope`]), given back when the callee resolves.
pub(crate) fn lift_call_args<C: AsContextMut>(
    store: &mut C,
    ty: &spindle_component::FuncType,
    flat: &[CoreVal],
    options: &CanonOptions,
    table: u32,
    is_async: bool,
    scope: u32,
) -> Result<Vec<Val>> {
    let lift = |cx: &mut super::typed::AbiCx<'_>| {
        if is_async {
            spindle_component::lift_values_limited(cx, ty.params_tuple(), 4, flat).map(|(v, _)| v)
        } else {
            spindle_component::lift_args(cx, ty, flat)
        }
    };
    let (lifted, _) = with_cx(store, table, options, scope, lift, |_| Ok(()))?;
    lifted.map_err(super::func::trap)
}

/// The handles instance `table` lent in borrow scope `scope` are its own again.
pub(crate) fn end_loans(s: &mut spindle_exec::Store, table: u32, scope: u32) {
    if let Some(Some(t)) = components_mut(s).tables.get_mut(table as usize) {
        t.set_scope(scope);
        t.end_call_as_caller();
        t.set_scope(0);
    }
}

/// The borrow scope of the loans a caller makes for subtask `w` (apart from the tasks'
/// scopes, [`borrow_scope`]).
pub(crate) fn lend_scope(w: Id) -> u32 {
    0x8000_0000 | w
}

/// `vals` lowered into the callee of `f` as its core arguments (`may_leave` false
/// meanwhile).
fn lower_into_callee<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    f: &LiftedFunc,
    vals: &[Val],
    task: Id,
) -> Result<Vec<crate::Val>> {
    sched(store.inner).instance(f.table).may_leave = false;
    let lowered = {
        // The borrows the task receives are its own to drop.
        let scope = borrow_scope(task);
        let lower =
            |cx: &mut super::typed::AbiCx<'_>| spindle_component::lower_args(cx, &f.ty, vals);
        with_cx(store, f.table, &f.options, scope, lower, |_| Ok(()))
            .and_then(|(r, _)| r.map_err(super::func::trap))
    };
    sched(store.inner).instance(f.table).may_leave = true;
    Ok(lowered?.into_iter().map(to_core).collect())
}

/// Calls the callback of thread `t`'s callback loop with event `ev`.
fn call_callback<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    t: Id,
    ev: (u32, u32, u32),
) -> Result<()> {
    let sc = sched(store.inner);
    let th = sc.thread_mut(t)?;
    let (task, instance) = (th.task, th.instance);
    let Some(cb) = th.callback else {
        return Err(Error::msg("internal: a callback loop without callback"));
    };
    th.cont = Cont::Call {
        func: cb,
        args: vec![
            crate::Val::I32(ev.0 as i32),
            crate::Val::I32(ev.1 as i32),
            crate::Val::I32(ev.2 as i32),
        ],
    };
    th.results = 1;
    // The loop takes the lock again to run the callback.
    if sc.task(task)?.func.ty.is_async() {
        sc.instance(instance).exclusive = Some(task);
    }
    run_slice(store, t, &[])
}

/// Runs thread `t` until it finishes its core call or blocks.
fn run_slice<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    t: Id,
    resume: &[crate::Val],
) -> Result<()> {
    let sc = sched(store.inner);
    let th = sc.thread_mut(t)?;
    let cont = core::mem::replace(&mut th.cont, Cont::None);
    let mut out = vec![crate::Val::I32(0); th.results];
    sc.current = Some(t);
    let r = match cont {
        Cont::Call { func, args } => func.call_resumable(&mut *store, &args, &mut out),
        Cont::Parked(p) => p
            .unpark(store.inner)
            .and_then(|inv| inv.resume_with(&mut *store, resume, &mut out)),
        Cont::None => return Err(Error::msg("internal: a thread with nothing to run")),
    };
    let sc = sched(store.inner);
    sc.current = None;
    match r? {
        ResumableCall::Finished => finished(store, t, &out),
        ResumableCall::HostTrap(inv) => {
            let Some(req) = sched(store.inner).request.take() else {
                return Err(inv
                    .host_error()
                    .map(|e| Error::msg(format!("{e:#}")))
                    .unwrap_or_else(|| Error::msg("a host function failed")));
            };
            let parked = inv.park(store.inner)?;
            let sc = sched(store.inner);
            let th = sc.thread_mut(t)?;
            th.cont = Cont::Parked(parked);
            let task = th.task;
            if !sc.task(task)?.may_block() {
                // The threads made from now on may run on its stack; when it calls, the
                // callee's task (made already) is the first of them.
                let made = match req {
                    Request::Call { callee, .. } => sc.task(callee)?.seq,
                    _ => sc.tasks_made,
                };
                sc.pinned.push((t, made));
            }
            match req {
                Request::Block(b) => {
                    // A task blocked inside its core code lets other tasks enter its
                    // instance meanwhile, and takes the lock back to resume.
                    let (task, instance) = {
                        let th = sc.thread_mut(t)?;
                        (th.task, th.instance)
                    };
                    if sc.instance(instance).exclusive == Some(task) {
                        sc.instance(instance).exclusive = None;
                        sc.thread_mut(t)?.reacquire = true;
                    }
                    sc.block(t, b, false)
                }
                Request::Call { caller, callee } => {
                    // The callee's thread first (it is at the front already), then the
                    // caller: an async caller learns at once how far the callee got.
                    let front = matches!(
                        caller,
                        Blocked::AsyncCall { .. } | Blocked::CancelStatus { .. }
                    );
                    let callee_thread = sc
                        .waiting
                        .iter()
                        .position(|id| sc.threads.get(*id).is_some_and(|th| th.task == callee));
                    sc.thread_mut(t)?.blocked = Some(caller);
                    match (front, callee_thread) {
                        (true, Some(pos)) => sc.waiting.insert(pos + 1, t),
                        (true, None) => sc.waiting.push_front(t),
                        (false, _) => sc.waiting.push_back(t),
                    }
                    Ok(())
                }
                Request::Switch { current, next } => {
                    sc.block(t, current, false)?;
                    sc.waiting.retain(|x| *x != next);
                    let th = sc.thread_mut(next)?;
                    th.blocked = Some(Blocked::Resumed);
                    sc.waiting.push_front(next);
                    Ok(())
                }
            }
        }
        ResumableCall::OutOfFuel(_) => Err(Error::msg("all fuel consumed by WebAssembly")),
        ResumableCall::Interrupted(_) => Err(Error::msg(
            "interrupt: the epoch deadline was reached in a component thread",
        )),
    }
}

/// Thread `t`'s core call returned `out`.
fn finished<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    t: Id,
    out: &[crate::Val],
) -> Result<()> {
    let sc = sched(store.inner);
    let th = sc.thread_mut(t)?;
    let (task_id, explicit, callback) = (th.task, th.explicit, th.callback.is_some());
    if explicit {
        return exit_thread(store, t);
    }
    let f = sc.task(task_id)?.func.clone();
    if callback {
        let Some(crate::Val::I32(packed)) = out.first().cloned() else {
            return Err(Error::msg("internal: a callback's result is an i32"));
        };
        let packed = packed as u32;
        let (code, set) = (packed & 0xf, packed >> 4);
        // The lock is released while the loop waits or yields.
        if sc.instance(f.table).exclusive == Some(task_id) {
            sc.instance(f.table).exclusive = None;
        }
        return match code {
            0 => exit_thread(store, t),
            // The callback loop is always cancellable: a cancellation left pending is
            // delivered at its next yield or wait.
            1 | 2 if sc.task(task_id)?.state == TaskState::PendingCancel => {
                sc.task_mut(task_id)?.state = TaskState::CancelDelivered;
                sc.thread_mut(t)?.cancelled = true;
                sc.block(t, Blocked::CallbackYield, true)
            }
            1 => {
                // Where blocking is not allowed the yield is a no-op: the callback runs
                // again next (from the scheduler's loop, not recursively here: a callback
                // that yields forever must not grow the native stack).
                let front = !sc.task(task_id)?.may_block();
                sc.block(t, Blocked::CallbackYield, front)
            }
            2 => {
                if !sc.task(task_id)?.may_block() {
                    return Err(Error::msg(MAY_NOT_BLOCK));
                }
                let s = builtins::set_at(store.inner, f.table, set)?;
                let sc = sched(store.inner);
                if let Some(set) = sc.sets.get_mut(s) {
                    set.waiting += 1;
                }
                sc.block(t, Blocked::CallbackWait { set: s }, false)
            }
            _ => Err(Error::msg("unsupported callback code")),
        };
    }
    if f.options.is_async {
        return exit_thread(store, t);
    }
    // A synchronous lift: the results, `post-return`, the resolution.
    let task = sched(store.inner).task_mut(task_id)?;
    if task.typed {
        // The typed caller lifts them (see `call_from_host_typed`).
        task.flat = Some(out.to_vec());
        task.state = TaskState::Resolved;
        return Ok(());
    }
    let flat: Vec<CoreVal> = out.iter().map(from_core).collect::<Result<_>>()?;
    let vals = {
        let scope = borrow_scope(task_id);
        let lift =
            |cx: &mut super::typed::AbiCx<'_>| spindle_component::lift_results(cx, &f.ty, &flat);
        let (lifted, ended) = with_cx(store, f.table, &f.options, scope, lift, |t| {
            t.end_call_as_callee()
        })?;
        let vals = lifted.map_err(super::func::trap)?;
        ended.map_err(borrows_remain)?;
        vals
    };
    if let Some(post) = f.options.post_return {
        let sc = sched(store.inner);
        sc.instance(f.table).may_leave = false;
        sc.current = Some(t);
        let r = post.call(&mut *store, out, &mut []);
        let sc = sched(store.inner);
        sc.instance(f.table).may_leave = true;
        sc.current = None;
        r?;
    }
    resolve(store, task_id, Some(vals))?;
    exit_thread(store, t)
}

/// Thread `t` ended: it leaves its task (which must have resolved once its last thread
/// ends) and its instance's thread table.
fn exit_thread<T: 'static>(store: &mut StoreContextMut<'_, T>, t: Id) -> Result<()> {
    let sc = sched(store.inner);
    let Some(th) = sc.threads.remove(t) else {
        return Ok(());
    };
    sc.instance(th.instance).threads.remove(th.index);
    // The task's hold on its instance ends with its implicit thread (threads it made may
    // stay suspended).
    if !th.explicit && sc.instance(th.instance).exclusive == Some(th.task) {
        sc.instance(th.instance).exclusive = None;
    }
    let task = sc.task_mut(th.task)?;
    task.threads = task.threads.saturating_sub(1);
    if task.threads == 0 {
        if task.state != TaskState::Resolved {
            return Err(Error::msg(
                "wasm trap: the task's last thread ended before it returned a value (task.return)",
            ));
        }
        // A task the embedder called goes when the embedder has its result.
        let (instance, keep) = (
            task.instance,
            matches!(task.caller, TaskCaller::Host) && !task.taken,
        );
        if sc.instance(instance).exclusive == Some(th.task) {
            sc.instance(instance).exclusive = None;
        }
        if !keep {
            sc.tasks.remove(th.task);
        }
    }
    Ok(())
}

/// Task `task` resolved with `vals` (`None`: cancelled): its caller gets them.
pub(crate) fn resolve<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    task: Id,
    vals: Option<Vec<Val>>,
) -> Result<()> {
    let sc = sched(store.inner);
    let t = sc.task_mut(task)?;
    t.state = TaskState::Resolved;
    let w = match t.caller {
        TaskCaller::Host => {
            t.result = Some(vals);
            return Ok(());
        }
        TaskCaller::Guest(w) => w,
    };
    let started = t.args.is_none();
    builtins::resolve_subtask(store, w, vals, started)
}

/// The handles of values that are lifted out of or lowered into instance `instance`
/// carry streams, futures and error contexts too; this is their [`Resources`] side.
pub(crate) fn lift_async_value(
    sc: &mut Sched,
    table: &mut spindle_component::HandleTable,
    instance: u32,
    ty: &Type,
    handle: u32,
) -> core::result::Result<u32, spindle_component::Trap> {
    use spindle_component::TypeKind;
    match ty.kind() {
        TypeKind::ErrorContext => {
            let o = table
                .get_other(handle)
                .filter(|o| o.kind == kind::ERROR_CONTEXT)
                .ok_or(spindle_component::Trap::UnknownHandle(handle))?;
            Ok(o.id)
        }
        _ => lift_end(sc, table, instance, ty, handle),
    }
}

pub(crate) fn lower_async_value(
    sc: &mut Sched,
    table: &mut spindle_component::HandleTable,
    instance: u32,
    ty: &Type,
    id: u32,
) -> core::result::Result<u32, spindle_component::Trap> {
    use spindle_component::TypeKind;
    match ty.kind() {
        TypeKind::ErrorContext => {
            let (_, n) = sc
                .errors
                .get_mut(id)
                .ok_or(spindle_component::Trap::UnknownHandle(id))?;
            *n += 1;
            Ok(table.insert_other(spindle_component::Other {
                kind: kind::ERROR_CONTEXT,
                id,
            }))
        }
        _ => lower_end(sc, table, instance, ty, id),
    }
}

/// The element type of stream or future type `t`.
pub(crate) fn copy_elem(t: &Type) -> Option<Type> {
    copy::elem_of(t)
}
