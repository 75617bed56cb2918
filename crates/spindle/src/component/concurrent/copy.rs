//! Streams and futures: the shared state between a readable and a writable end, the
//! rendezvous where a read meets a write and values are copied between the two guests'
//! memories, and the state of each end's copy.

use crate::prelude::*;

use spindle_component::{HandleTable, Trap as AbiTrap, Type, TypeKind, Val};

use super::{event, kind, sched, Id, PendingEvent, Sched, Waitable, WaitableKind};
use crate::component::func::CanonOptions;
use crate::store::StoreContextMut;
use crate::{Error, Result};

/// `CopyResult`.
pub(crate) const COMPLETED: u32 = 0;
pub(crate) const DROPPED: u32 = 1;
pub(crate) const CANCELLED: u32 = 2;

/// `Buffer.MAX_LENGTH`.
const MAX_BUFFER: u32 = (1 << 28) - 1;

/// The state of one end's copy (`CopyState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CopyState {
    Idle,
    SyncCopying,
    AsyncCopying,
    Cancelling,
    /// The other end's drop was delivered (or a future's value went through).
    Done,
}

impl CopyState {
    fn copying(self) -> bool {
        matches!(
            self,
            CopyState::SyncCopying | CopyState::AsyncCopying | CopyState::Cancelling
        )
    }
}

/// A guest's buffer of a copy in progress: `length` elements at `ptr` in the memory of the
/// options, `progress` of them copied so far.
#[derive(Clone, Debug)]
pub(crate) struct Buffer {
    pub options: CanonOptions,
    pub table: u32,
    pub ptr: u32,
    pub length: u32,
    pub progress: u32,
}

impl Buffer {
    fn remain(&self) -> u32 {
        self.length - self.progress
    }
}

/// One end of a stream or future (a waitable).
#[derive(Debug)]
pub(crate) struct End {
    pub shared: Id,
    pub readable: bool,
    pub future: bool,
    pub state: CopyState,
    /// The buffer of the copy in progress.
    pub buffer: Option<Buffer>,
}

/// A stream or future: what both ends share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub elem: Option<Type>,
    /// One end was dropped.
    pub dropped: bool,
    /// The end whose copy waits at the rendezvous for the other's.
    pub pending: Option<Id>,
}

fn what(future: bool) -> &'static str {
    if future {
        "future"
    } else {
        "stream"
    }
}

/// `stream.new`/`future.new` in instance `instance`: the readable and the writable end's
/// handles.
pub(crate) fn new_pair(
    sc: &mut Sched,
    table: &mut HandleTable,
    instance: u32,
    future: bool,
    elem: Option<Type>,
) -> Result<(u32, u32)> {
    let shared = sc.shared.insert(Shared {
        elem,
        dropped: false,
        pending: None,
    })?;
    let mut handle = |sc: &mut Sched, readable: bool| -> Result<u32> {
        let w = sc.waitables.insert(Waitable {
            instance,
            handle: 0,
            set: None,
            event: None,
            kind: WaitableKind::End(End {
                shared,
                readable,
                future,
                state: CopyState::Idle,
                buffer: None,
            }),
        })?;
        let h = table.insert_other(spindle_component::Other {
            kind: kind::WAITABLE,
            id: w,
        });
        sc.waitable_mut(w)?.handle = h;
        Ok(h)
    };
    let r = handle(sc, true)?;
    let w = handle(sc, false)?;
    Ok((r, w))
}

/// The waitable of handle `h` in `table` if it is an end of this kind.
pub(crate) fn end_at(
    sc: &Sched,
    table: &HandleTable,
    h: u32,
    readable: bool,
    future: bool,
) -> Result<Id> {
    let w = table
        .get_other(h)
        .filter(|o| o.kind == kind::WAITABLE)
        .map(|o| o.id)
        .ok_or_else(|| Error::msg(format!("unknown handle index {h}")))?;
    match sc.waitables.get(w).map(|w| &w.kind) {
        Some(WaitableKind::End(e)) if e.readable == readable && e.future == future => Ok(w),
        _ => Err(Error::msg(format!(
            "handle {h} is not the {} end of a {}",
            if readable { "readable" } else { "writable" },
            what(future)
        ))),
    }
}

pub(crate) fn end(sc: &Sched, w: Id) -> Result<&End> {
    match sc.waitables.get(w).map(|w| &w.kind) {
        Some(WaitableKind::End(e)) => Ok(e),
        _ => Err(Error::msg("internal: not a stream or future end")),
    }
}

pub(crate) fn end_mut(sc: &mut Sched, w: Id) -> Result<&mut End> {
    match sc.waitables.get_mut(w).map(|w| &mut w.kind) {
        Some(WaitableKind::End(e)) => Ok(e),
        _ => Err(Error::msg("internal: not a stream or future end")),
    }
}

/// The element type of the stream or future type `ty`.
pub(crate) fn elem_of(ty: &Type) -> Option<Type> {
    match ty.kind() {
        TypeKind::Stream(e) | TypeKind::Future(e) => e.clone(),
        _ => None,
    }
}

/// The checks of a copy's start (`stream_copy`/`future_copy`, after the handle's): the end
/// is idle and holds the right type.
pub(crate) fn check_copy_start(sc: &Sched, w: Id, elem: &Option<Type>, sync: bool) -> Result<()> {
    let e = end(sc, w)?;
    let shared = sc
        .shared
        .get(e.shared)
        .ok_or_else(|| Error::msg("internal: unknown stream"))?;
    if shared.elem != *elem {
        return Err(Error::msg(format!(
            "the {}'s element type is not the built-in's",
            what(e.future)
        )));
    }
    if e.state.copying() {
        return Err(Error::msg(
            "cannot have concurrent operations active on a future/stream",
        ));
    }
    if e.state == CopyState::Done {
        return Err(Error::msg(match (e.future, e.readable) {
            (false, true) => {
                "cannot read from stream after being notified that the writable end dropped"
            }
            (false, false) => {
                "cannot write to stream after being notified that the readable end dropped"
            }
            (true, true) => "cannot read from future after previous read succeeded",
            (true, false) => {
                "cannot write to future after previous write succeeded or readable end dropped"
            }
        }));
    }
    if sync && sc.waitables.get(w).is_some_and(|w| w.set.is_some()) {
        return Err(Error::msg(
            "waitable cannot be used synchronously while added to a waitable set",
        ));
    }
    Ok(())
}

/// A guest buffer, checked: `length` elements of `elem` at `ptr` in the options' memory.
pub(crate) fn buffer<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    elem: &Option<Type>,
    options: &CanonOptions,
    table: u32,
    ptr: u32,
    length: u32,
) -> Result<Buffer> {
    if length > MAX_BUFFER {
        return Err(Error::msg("buffer length is above 2^28-1"));
    }
    if let (Some(t), true) = (elem, length > 0) {
        let l = t.layout();
        if !ptr.is_multiple_of(l.align) {
            return Err(Error::msg(format!(
                "pointer {ptr:#x} is not aligned to {}",
                l.align
            )));
        }
        let len = options.memory.map_or(0, |m| m.data(&*store).len() as u64);
        if u64::from(ptr) + u64::from(length) * u64::from(l.size) > len {
            return Err(Error::msg(format!(
                "buffer at {ptr:#x} of {length} elements is out of bounds of memory"
            )));
        }
    }
    Ok(Buffer {
        options: options.clone(),
        table,
        ptr,
        length,
        progress: 0,
    })
}

/// Whether values of `t` may be copied within one instance (the specification's
/// temporary rule: none or numbers only).
fn intra_ok(t: &Option<Type>) -> bool {
    match t {
        None => true,
        Some(t) => matches!(
            t.kind(),
            TypeKind::U8
                | TypeKind::U16
                | TypeKind::U32
                | TypeKind::U64
                | TypeKind::S8
                | TypeKind::S16
                | TypeKind::S32
                | TypeKind::S64
                | TypeKind::F32
                | TypeKind::F64
        ),
    }
}

/// The copy of end `w` (reading or writing per its kind) meets the shared state: it waits
/// there, or copies with the other end's waiting copy. Events are set on the ends.
pub(crate) fn rendezvous<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    w: Id,
    buf: Buffer,
) -> Result<()> {
    let sc = sched(store.inner);
    let (shared_id, readable, future) = {
        let e = end(sc, w)?;
        (e.shared, e.readable, e.future)
    };
    let instance = sc.waitables.get(w).map_or(0, |w| w.instance);
    let shared = sc
        .shared
        .get(shared_id)
        .ok_or_else(|| Error::msg("internal: unknown stream"))?;
    let (elem, dropped, pending) = (shared.elem.clone(), shared.dropped, shared.pending);
    end_mut(sc, w)?.buffer = Some(buf);
    if dropped {
        sc.notify(w, PendingEvent::Copy { result: DROPPED });
        return Ok(());
    }
    let Some(other) = pending else {
        if let Some(s) = sc.shared.get_mut(shared_id) {
            s.pending = Some(w);
        }
        return Ok(());
    };
    let other_instance = sc.waitables.get(other).map_or(0, |w| w.instance);
    if other_instance == instance && !intra_ok(&elem) {
        return Err(Error::msg(format!(
            "cannot read from and write to intra-component {}",
            what(future)
        )));
    }
    let (mine, theirs) = {
        let m = end(sc, w)?.buffer.clone();
        let t = end(sc, other)?.buffer.clone();
        (
            m.ok_or_else(|| Error::msg("internal: a copy without buffer"))?,
            t.ok_or_else(|| Error::msg("internal: a pending copy without buffer"))?,
        )
    };
    let reset = |sc: &mut Sched| {
        if let Some(s) = sc.shared.get_mut(shared_id) {
            s.pending = None;
        }
    };
    if future {
        // One value, both sides complete.
        let (src, dst) = if readable { (other, w) } else { (w, other) };
        copy_values(store, src, dst, 1, &elem)?;
        let sc = sched(store.inner);
        reset(sc);
        sc.notify(other, PendingEvent::Copy { result: COMPLETED });
        sc.notify(w, PendingEvent::Copy { result: COMPLETED });
        return Ok(());
    }
    if theirs.remain() > 0 {
        if mine.remain() > 0 {
            let n = mine.remain().min(theirs.remain());
            let (src, dst) = if readable { (other, w) } else { (w, other) };
            copy_values(store, src, dst, n, &elem)?;
            // The other side stays at the rendezvous until its event is delivered.
            sched(store.inner).notify(other, PendingEvent::Copy { result: COMPLETED });
        }
        sched(store.inner).notify(w, PendingEvent::Copy { result: COMPLETED });
    } else if !readable && theirs.length == 0 && mine.length == 0 {
        // Both zero-length: the write completes, the read stays.
        sched(store.inner).notify(w, PendingEvent::Copy { result: COMPLETED });
    } else {
        // The waiting side was a zero-length copy: it completes, this one waits.
        let sc = sched(store.inner);
        sc.notify(other, PendingEvent::Copy { result: COMPLETED });
        if let Some(s) = sc.shared.get_mut(shared_id) {
            s.pending = Some(w);
        }
    }
    Ok(())
}

/// Copies `n` values from writer `src`'s buffer to reader `dst`'s, advancing both.
fn copy_values<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    src: Id,
    dst: Id,
    n: u32,
    elem: &Option<Type>,
) -> Result<()> {
    let sc = sched(store.inner);
    let missing = || Error::msg("internal: a copy without buffer");
    let from = end(sc, src)?.buffer.clone().ok_or_else(missing)?;
    let to = end(sc, dst)?.buffer.clone().ok_or_else(missing)?;
    if let Some(t) = elem {
        let size = t.layout().size;
        // Lifted from the writer's memory, then lowered into the reader's.
        let vals = super::in_cx(store, from.table, &from.options, |cx| {
            (0..n)
                .map(|i| spindle_component::load(cx, t, from.ptr + (from.progress + i) * size))
                .collect::<core::result::Result<Vec<Val>, AbiTrap>>()
        })?;
        super::in_cx(store, to.table, &to.options, |cx| {
            vals.iter().enumerate().try_for_each(|(i, v)| {
                let ptr = to.ptr + (to.progress + i as u32) * size;
                spindle_component::store(cx, v, t, ptr)
            })
        })?;
    }
    let sc = sched(store.inner);
    for w in [src, dst] {
        if let Some(b) = end_mut(sc, w)?.buffer.as_mut() {
            b.progress += n;
        }
    }
    Ok(())
}

/// Delivers end `w`'s copy event with `result`: its code and payload; the copy is over.
pub(crate) fn deliver(sc: &mut Sched, w: Id, result: u32) -> Result<(u32, u32, u32)> {
    let handle = sc.waitables.get(w).map_or(0, |w| w.handle);
    let e = end_mut(sc, w)?;
    let progress = e.buffer.take().map_or(0, |b| b.progress);
    let (future, readable, shared) = (e.future, e.readable, e.shared);
    e.state = match (future, result) {
        (_, DROPPED) | (true, COMPLETED) => CopyState::Done,
        _ => CopyState::Idle,
    };
    if let Some(s) = sc.shared.get_mut(shared) {
        if s.pending == Some(w) {
            s.pending = None;
        }
    }
    let code = match (future, readable) {
        (false, true) => event::STREAM_READ,
        (false, false) => event::STREAM_WRITE,
        (true, true) => event::FUTURE_READ,
        (true, false) => event::FUTURE_WRITE,
    };
    let payload = if future {
        result
    } else {
        result | (progress << 4)
    };
    Ok((code, handle, payload))
}

/// Cancels end `w`'s copy (its event: `CANCELLED`, with its progress), unless it ended.
pub(crate) fn cancel(sc: &mut Sched, w: Id) -> Result<()> {
    let shared = end(sc, w)?.shared;
    // Still at the rendezvous (even after a partial copy): the copy ends cancelled, with
    // what it copied so far. Else it ended already, with its own event.
    let waiting = sc.shared.get(shared).is_some_and(|s| s.pending == Some(w));
    if waiting {
        if let Some(s) = sc.shared.get_mut(shared) {
            s.pending = None;
        }
        sc.notify(w, PendingEvent::Copy { result: CANCELLED });
    } else if sc.waitables.get(w).is_some_and(|x| x.event.is_none()) {
        sc.notify(w, PendingEvent::Copy { result: CANCELLED });
    }
    Ok(())
}

/// Drops end `w` (its handle is gone already): the other end learns it.
pub(crate) fn drop_end(sc: &mut Sched, w: Id) -> Result<()> {
    let e = end(sc, w)?;
    if e.state.copying() {
        return Err(Error::msg(if e.readable {
            "cannot remove busy stream"
        } else {
            "cannot drop busy stream"
        }));
    }
    if e.future && !e.readable && e.state != CopyState::Done {
        return Err(Error::msg(
            "cannot drop future write end without first writing a value",
        ));
    }
    let shared = e.shared;
    sc.join(w, None)?;
    sc.waitables.remove(w);
    let Some(s) = sc.shared.get_mut(shared) else {
        return Ok(());
    };
    if s.dropped {
        sc.shared.remove(shared);
        return Ok(());
    }
    s.dropped = true;
    if let Some(p) = s.pending.take() {
        sc.notify(p, PendingEvent::Copy { result: DROPPED });
    }
    Ok(())
}

/// Lifting a stream or future value of type `ty` from handle `h` of `table`: the readable
/// end leaves the instance; the shared state's id.
pub(crate) fn lift_end(
    sc: &mut Sched,
    table: &mut HandleTable,
    _instance: u32,
    ty: &Type,
    h: u32,
) -> core::result::Result<u32, AbiTrap> {
    let future = matches!(ty.kind(), TypeKind::Future(_));
    let guest = |m: &str| AbiTrap::Guest(m.into());
    let w = table
        .get_other(h)
        .filter(|o| o.kind == kind::WAITABLE)
        .map(|o| o.id)
        .ok_or(AbiTrap::UnknownHandle(h))?;
    let Some(Waitable {
        kind: WaitableKind::End(e),
        set,
        ..
    }) = sc.waitables.get(w)
    else {
        return Err(AbiTrap::UnknownHandle(h));
    };
    if !e.readable || e.future != future {
        return Err(guest("the handle is not a readable end of this type"));
    }
    let shared = e.shared;
    if sc.shared.get(shared).map(|s| &s.elem) != Some(&elem_of(ty)) {
        return Err(guest("the end's element type is not the value's"));
    }
    if e.state != CopyState::Idle {
        return Err(guest(if future {
            "cannot lift future after previous read succeeded"
        } else {
            "cannot lift stream after being notified that the writable end dropped"
        }));
    }
    if set.is_some() {
        return Err(guest(if future {
            "cannot lift future while it's in a waitable set"
        } else {
            "cannot lift stream while it's in a waitable set"
        }));
    }
    table.remove_other(h);
    sc.waitables.remove(w);
    Ok(shared)
}

/// Lowering a stream or future value (shared state `id`) into instance `instance`: a new
/// readable end; its handle.
pub(crate) fn lower_end(
    sc: &mut Sched,
    table: &mut HandleTable,
    instance: u32,
    ty: &Type,
    id: u32,
) -> core::result::Result<u32, AbiTrap> {
    let future = matches!(ty.kind(), TypeKind::Future(_));
    // An id from the embedder must name a stream or future of this type.
    if sc.shared.get(id).map(|s| &s.elem) != Some(&elem_of(ty)) {
        return Err(AbiTrap::Guest(format!(
            "no {} {id} of this element type",
            what(future)
        )));
    }
    let w = sc
        .waitables
        .insert(Waitable {
            instance,
            handle: 0,
            set: None,
            event: None,
            kind: WaitableKind::End(End {
                shared: id,
                readable: true,
                future,
                state: CopyState::Idle,
                buffer: None,
            }),
        })
        .map_err(|e| AbiTrap::Guest(format!("{e}")))?;
    let h = table.insert_other(spindle_component::Other {
        kind: kind::WAITABLE,
        id: w,
    });
    if let Some(x) = sc.waitables.get_mut(w) {
        x.handle = h;
    }
    Ok(h)
}
