//! Parking: a suspended call moved off the store's stacks, so that calls suspended after it
//! can be resumed before it and it after them, in any order.
//!
//! Every call's frames and registers live on the store's two stacks, so of several
//! suspended calls only the most recent can be resumed. The component model's async ABI
//! needs more: each guest thread is a call that blocks and is resumed when what it waits
//! for happens, in whatever order that is. A call made from the embedder on empty stacks
//! (its frames from 0, its registers from 0) can be parked once suspended: its frames and
//! registers move to a segment the store keeps (where the collector still reads its
//! references), and the stacks are empty again. Unparking moves them back, onto empty
//! stacks, at the same places: no frame needs rebasing. Then the call resumes as usual.

use crate::prelude::*;

use super::{Suspension, SuspensionRecord};
use crate::store::{Frame, Store};
use crate::Trap;

/// A suspended call parked off the store's stacks ([`park`]); [`unpark`] gives the
/// [`Suspension`] back. Dropping it abandons the call (its segment goes at the store's next
/// park, unpark or collection).
#[derive(Debug)]
pub struct ParkedCall {
    suspension: Suspension,
}

impl ParkedCall {
    /// The suspended call, to read why it stopped (it cannot be resumed while parked).
    pub fn suspension(&self) -> &Suspension {
        &self.suspension
    }
}

/// A [`park`] or [`unpark`] that was refused: the call, unchanged, and why.
#[derive(Debug)]
pub struct Refused<T> {
    pub call: T,
    pub why: Trap,
}

/// The store's side of a [`ParkedCall`]: the call's frames and registers.
pub(crate) struct ParkedSegment {
    alive: alloc::sync::Weak<()>,
    /// The frames below the innermost one, as they were on the stack (from 0).
    pub(crate) frames: Vec<Frame>,
    /// The registers `0..` up to the top of the innermost frame.
    pub(crate) regs: Vec<u64>,
    /// The innermost frame (see `SuspensionRecord::frame`).
    pub(crate) frame: Frame,
}

/// Moves suspended call `s` off the store's stacks. Only a call the embedder made on empty
/// stacks can be parked, and only while nothing is above it (it is the most recent
/// suspension and no call runs); otherwise the suspension comes back with the reason.
pub fn park(store: &mut Store, s: Suspension) -> Result<ParkedCall, Box<Refused<Suspension>>> {
    let refuse = |call, why: &str| {
        Err(Box::new(Refused {
            call,
            why: Trap::host(format!("cannot park the call: {why}")),
        }))
    };
    if s.store != store.id {
        return refuse(s, "it belongs to another store");
    }
    if s.entry_depth != 0 || s.entry_base != 0 || s.saved_top != 0 {
        return refuse(s, "it was not made on empty stacks");
    }
    let is_top = store
        .suspensions
        .last()
        .is_some_and(|r| core::ptr::eq(r.alive.as_ptr(), alloc::sync::Arc::as_ptr(&s.token)));
    if !is_top || store.frames.len() != s.depth || store.reentry != 0 {
        return refuse(s, "other frames are above it");
    }
    reclaim_dropped_segments(store);
    let Some(record) = store.suspensions.pop() else {
        return refuse(s, "it is not suspended");
    };
    let top = s.at.base + s.at.cur.frame_size as usize;
    // `drain` keeps the stack's allocation (calls test its capacity on their fast path).
    let frames: Vec<Frame> = store.frames.drain(..).collect();
    let regs = store.stack[..top.min(store.stack.len())].to_vec();
    store.stack_top = 0;
    store.parked.push(ParkedSegment {
        alive: alloc::sync::Arc::downgrade(&s.token),
        frames,
        regs,
        frame: record.frame,
    });
    Ok(ParkedCall { suspension: s })
}

/// Moves parked call `p` back onto the store's stacks, which must be empty (no call runs
/// or is suspended on them), and returns its suspension to resume.
pub fn unpark(store: &mut Store, p: ParkedCall) -> Result<Suspension, Box<Refused<ParkedCall>>> {
    let refuse = |call, why: &str| {
        Err(Box::new(Refused {
            call,
            why: Trap::host(format!("cannot unpark the call: {why}")),
        }))
    };
    if p.suspension.store != store.id {
        return refuse(p, "it belongs to another store");
    }
    if store.reentry != 0 {
        return refuse(p, "a call is running");
    }
    super::reclaim_dropped_suspensions(store);
    if !store.frames.is_empty() || !store.suspensions.is_empty() {
        return refuse(p, "another call is suspended on the stacks");
    }
    let token = alloc::sync::Arc::as_ptr(&p.suspension.token);
    let Some(i) = store
        .parked
        .iter()
        .position(|seg| core::ptr::eq(seg.alive.as_ptr(), token))
    else {
        return refuse(p, "its segment is gone");
    };
    let seg = store.parked.swap_remove(i);
    if store.stack.len() < seg.regs.len() {
        // (It came from this stack, which never shrinks: not reached.)
        store.stack.resize(seg.regs.len(), 0);
    }
    store.stack[..seg.regs.len()].copy_from_slice(&seg.regs);
    store.frames.extend(seg.frames);
    store.stack_top = seg.regs.len();
    store.suspensions.push(SuspensionRecord {
        alive: seg.alive,
        entry_depth: 0,
        saved_top: 0,
        frame: seg.frame,
    });
    Ok(p.suspension)
}

/// Drops the segments of parked calls the embedder dropped.
pub(crate) fn reclaim_dropped_segments(store: &mut Store) {
    store.parked.retain(|seg| seg.alive.strong_count() > 0);
}
