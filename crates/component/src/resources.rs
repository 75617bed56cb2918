//! Handles: the hooks lifting and lowering `own`/`borrow` call, and [`HandleTable`], a
//! simple per-instance table following the specification's bookkeeping.

use alloc::vec::Vec;

use crate::abi::Trap;
use crate::types::ResourceId;

/// What lifting and lowering do with handles. The `u32` on the value side is whatever
/// the implementation puts in [`crate::Val::Own`]/[`crate::Val::Borrow`] (in the spec, the
/// resource's representation); on the guest side it is a handle index.
pub trait Resources {
    /// `lower_own`: make a new owning handle for `rep` in the guest's table; its index.
    fn lower_own(&mut self, resource: ResourceId, rep: u32) -> Result<u32, Trap>;
    /// `lower_borrow`: make a borrow handle for `rep`, to be dropped before the call ends.
    fn lower_borrow(&mut self, resource: ResourceId, rep: u32) -> Result<u32, Trap>;
    /// `lift_own`: take the owning handle `handle` out of the guest's table (ownership
    /// moves); the value it carried.
    fn lift_own(&mut self, resource: ResourceId, handle: u32) -> Result<u32, Trap>;
    /// `lift_borrow`: lend the handle `handle` for the duration of the call.
    fn lift_borrow(&mut self, resource: ResourceId, handle: u32) -> Result<u32, Trap>;
    /// Lifting a `stream`, `future` or `error-context` (`ty`) from handle `handle`: the
    /// readable end (or the error context) leaves the guest's table; its store id.
    fn lift_async(&mut self, ty: &crate::Type, handle: u32) -> Result<u32, Trap> {
        let _ = ty;
        Err(Trap::UnknownHandle(handle))
    }
    /// Lowering a `stream`, `future` or `error-context` (`ty`) with store id `id`: a new
    /// handle in the guest's table.
    fn lower_async(&mut self, ty: &crate::Type, id: u32) -> Result<u32, Trap> {
        let _ = ty;
        Err(Trap::UnknownHandle(id))
    }
}

/// For values without handles: every hook traps with [`Trap::UnknownHandle`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoResources;

impl Resources for NoResources {
    fn lower_own(&mut self, _: ResourceId, rep: u32) -> Result<u32, Trap> {
        Err(Trap::UnknownHandle(rep))
    }
    fn lower_borrow(&mut self, _: ResourceId, rep: u32) -> Result<u32, Trap> {
        Err(Trap::UnknownHandle(rep))
    }
    fn lift_own(&mut self, _: ResourceId, handle: u32) -> Result<u32, Trap> {
        Err(Trap::UnknownHandle(handle))
    }
    fn lift_borrow(&mut self, _: ResourceId, handle: u32) -> Result<u32, Trap> {
        Err(Trap::UnknownHandle(handle))
    }
}

/// What else an instance's table holds, beside resource handles: the async ABI's
/// waitables (subtasks, stream and future ends), waitable sets and error contexts, each a
/// kind the caller defines and an id of the caller's (the table only numbers them, in the
/// one index space the specification gives all of an instance's handles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Other {
    pub kind: u8,
    pub id: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    Resource(Handle),
    Other(Other),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Handle {
    resource: ResourceId,
    rep: u32,
    own: bool,
    /// Borrows lent out of this (own) handle for calls still running.
    lends: u32,
    /// For a borrow: the call it was lent to (see [`HandleTable::set_scope`]).
    scope: u32,
}

/// One instance's handle table: a dense array with a LIFO free list; index 0 is never a
/// handle (so a zeroed index is caught). Values are resource representations.
///
/// The call bookkeeping is explicit: [`HandleTable::end_call_as_callee`] traps if borrows
/// received by the call were not dropped; [`HandleTable::end_call_as_caller`] returns the
/// loans made for it.
#[derive(Clone, Debug, Default)]
pub struct HandleTable {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// Borrow handles created by `lower_borrow` and not yet dropped, per call (scope).
    borrows: Vec<(u32, u32)>,
    /// The call that borrows lowered now are lent to.
    scope: u32,
    /// Own handles lent by `lift_borrow` for calls still running, with the call's scope.
    lenders: Vec<(u32, u32)>,
}

impl HandleTable {
    pub fn new() -> HandleTable {
        HandleTable {
            slots: alloc::vec![None],
            ..HandleTable::default()
        }
    }

    fn insert(&mut self, h: Handle) -> u32 {
        self.insert_slot(Slot::Resource(h))
    }

    fn insert_slot(&mut self, h: Slot) -> u32 {
        if self.slots.is_empty() {
            self.slots.push(None);
        }
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(h);
                i
            }
            None => {
                self.slots.push(Some(h));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn get(&self, i: u32, resource: ResourceId) -> Result<&Handle, Trap> {
        let Some(Slot::Resource(h)) = self.slots.get(i as usize).and_then(Option::as_ref) else {
            return Err(Trap::UnknownHandle(i));
        };
        if h.resource != resource {
            return Err(Trap::WrongResourceType {
                handle: i,
                expected: resource,
                found: h.resource,
            });
        }
        Ok(h)
    }

    /// `resource.new`: a new owning handle for `rep`.
    pub fn new_own(&mut self, resource: ResourceId, rep: u32) -> u32 {
        self.insert(Handle {
            resource,
            rep,
            own: true,
            lends: 0,
            scope: 0,
        })
    }

    /// `resource.rep`.
    pub fn rep(&self, resource: ResourceId, handle: u32) -> Result<u32, Trap> {
        Ok(self.get(handle, resource)?.rep)
    }

    /// `resource.drop`: remove the handle, which must have no loans out. The
    /// representation it held.
    pub fn drop_handle(&mut self, resource: ResourceId, handle: u32) -> Result<u32, Trap> {
        self.drop_handle_kind(resource, handle).map(|(rep, _)| rep)
    }

    /// [`HandleTable::drop_handle`], also saying whether the handle owned the resource
    /// (whose destructor then runs) or borrowed it.
    pub fn drop_handle_kind(
        &mut self,
        resource: ResourceId,
        handle: u32,
    ) -> Result<(u32, bool), Trap> {
        let h = self.get(handle, resource)?;
        if h.lends != 0 {
            return Err(Trap::HandleLent(handle));
        }
        let (own, rep, scope) = (h.own, h.rep, h.scope);
        if !own {
            self.count_borrow(scope, false);
        }
        self.slots[handle as usize] = None;
        self.free.push(handle);
        Ok((rep, own))
    }

    /// The end of a call this table's instance received: every borrow it was given must
    /// have been dropped.
    pub fn end_call_as_callee(&mut self) -> Result<(), Trap> {
        let n = self.borrows_of(self.scope);
        if n != 0 {
            return Err(Trap::BorrowsOutstanding(n));
        }
        Ok(())
    }

    /// The call (any number but 0 names one; 0 is the synchronous calls', which never
    /// overlap) that the borrows lowered from now on are lent to, and whose end
    /// [`HandleTable::end_call_as_callee`] checks: calls of one instance that run
    /// concurrently (the async ABI) each drop their own borrows.
    pub fn set_scope(&mut self, scope: u32) {
        self.scope = scope;
    }

    fn borrows_of(&self, scope: u32) -> u32 {
        self.borrows
            .iter()
            .find(|(s, _)| *s == scope)
            .map_or(0, |(_, n)| *n)
    }

    fn count_borrow(&mut self, scope: u32, up: bool) {
        match self.borrows.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, n)) if up => *n += 1,
            Some((_, n)) => *n = n.saturating_sub(1),
            None if up => self.borrows.push((scope, 1)),
            None => {}
        }
        self.borrows.retain(|(_, n)| *n != 0);
    }

    /// The end of a call this table's instance made: the handles it lent are its own again.
    pub fn end_call_as_caller(&mut self) {
        let scope = self.scope;
        let mut lenders = core::mem::take(&mut self.lenders);
        lenders.retain(|&(s, i)| {
            if s != scope {
                return true;
            }
            if let Some(Some(Slot::Resource(h))) = self.slots.get_mut(i as usize) {
                h.lends -= 1;
            }
            false
        });
        self.lenders = lenders;
    }

    /// After a call that trapped: the borrow handles it received are dropped and the
    /// handles it lent are its own again, so the instance's next call starts clean.
    pub fn abandon_call(&mut self) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if matches!(slot, Some(Slot::Resource(h)) if !h.own) {
                *slot = None;
                self.free.push(i as u32);
            }
        }
        self.borrows.clear();
        for (_, i) in core::mem::take(&mut self.lenders) {
            if let Some(Some(Slot::Resource(h))) = self.slots.get_mut(i as usize) {
                h.lends -= 1;
            }
        }
    }

    /// Adds `entry` (see [`Other`]); its index.
    pub fn insert_other(&mut self, entry: Other) -> u32 {
        self.insert_slot(Slot::Other(entry))
    }

    /// The entry at `index`, if it is one of the [`Other`] kind.
    pub fn get_other(&self, index: u32) -> Option<Other> {
        match self.slots.get(index as usize) {
            Some(Some(Slot::Other(o))) => Some(*o),
            _ => None,
        }
    }

    /// Removes the [`Other`] entry at `index` (nothing else is removed).
    pub fn remove_other(&mut self, index: u32) -> Option<Other> {
        let o = self.get_other(index)?;
        self.slots[index as usize] = None;
        self.free.push(index);
        Some(o)
    }

    /// Handles currently in the table.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Resources for HandleTable {
    fn lower_own(&mut self, resource: ResourceId, rep: u32) -> Result<u32, Trap> {
        Ok(self.new_own(resource, rep))
    }

    fn lower_borrow(&mut self, resource: ResourceId, rep: u32) -> Result<u32, Trap> {
        self.count_borrow(self.scope, true);
        let scope = self.scope;
        Ok(self.insert(Handle {
            resource,
            rep,
            own: false,
            lends: 0,
            scope,
        }))
    }

    fn lift_own(&mut self, resource: ResourceId, handle: u32) -> Result<u32, Trap> {
        let h = self.get(handle, resource)?;
        if h.lends != 0 {
            return Err(Trap::HandleLent(handle));
        }
        if !h.own {
            return Err(Trap::NotAnOwnHandle(handle));
        }
        let rep = h.rep;
        self.slots[handle as usize] = None;
        self.free.push(handle);
        Ok(rep)
    }

    fn lift_borrow(&mut self, resource: ResourceId, handle: u32) -> Result<u32, Trap> {
        let rep = self.get(handle, resource)?.rep;
        if let Some(Some(Slot::Resource(h))) = self.slots.get_mut(handle as usize) {
            h.lends += 1;
        }
        self.lenders.push((self.scope, handle));
        Ok(rep)
    }
}
