//! Backtraces of traps, read from the interpreter's own records when a trap is raised (the
//! cold path: nothing here runs while code runs normally).
//!
//! A frame is named by its code (`Current::code`): the code knows its function's index in
//! its module (`ExecFunc::func_index`) and the Wasm offset of each instruction
//! (`ExecFunc::offsets`); the function's entity in the store leads to the module's names.

use super::{Current, Op};
use crate::prelude::*;
use crate::store::{FuncEntity, Store};
use crate::FrameInfo;

/// Every Wasm frame of the store's call stack, innermost first: `cur` stopped at the
/// instruction at `ip`, then each frame of `Store::frames` at its call (the instruction
/// before the one it returns to), with the frames stopped in a host function
/// (`Store::host_frames`) placed where they made their call: below every frame pushed
/// since (those of the Wasm code the host function called) and above those before.
#[cold]
#[inline(never)]
pub(super) fn capture(store: &Store, cur: &Current, ip: *const Op) -> Vec<FrameInfo> {
    let (frames, host) = (&store.frames, &store.host_frames);
    let mut out = Vec::with_capacity(1 + frames.len() + host.len());
    out.push(frame_info(store, cur, ip));
    let mut h = host.len();
    for depth in (0..frames.len()).rev() {
        // A host frame made its call when `frames` had `d` entries: it comes after
        // (outside) `frames[d..]` and before `frames[d - 1]`.
        while h > 0 && host[h - 1].1 > depth {
            h -= 1;
            let f = &host[h].0;
            out.push(frame_info(store, &f.caller, f.ip.wrapping_sub(1)));
        }
        let f = &frames[depth];
        out.push(frame_info(store, &f.caller, f.ip.wrapping_sub(1)));
    }
    for (f, _) in host[..h].iter().rev() {
        out.push(frame_info(store, &f.caller, f.ip.wrapping_sub(1)));
    }
    out
}

/// The frame running `cur`'s code, stopped at the instruction at `ip`.
fn frame_info(store: &Store, cur: &Current, ip: *const Op) -> FrameInfo {
    // SAFETY: a frame's code is a function of the store, which lives as long as the store
    // (`Current::code`); frames always have code (only `Current::UNRESOLVED`, a cache
    // entry, has none).
    let code = unsafe { &*cur.code };
    let func_index = code.func_index;
    // The instruction's index, by address arithmetic only: an `ip` outside the code (which
    // no trap path makes, but a wrong one must not read out of bounds) gives no offset.
    let start = code.ops.as_ptr() as usize;
    let at = (ip as usize).wrapping_sub(start) / core::mem::size_of::<Op>();
    let module_offset = if ip as usize >= start && at < code.ops.len() {
        code.offsets.get(at).map(|o| o as usize)
    } else {
        None
    };
    // The function's entity (through the instance that runs it) holds its module.
    let module = store
        .instances
        .get(cur.inst)
        .and_then(|inst| inst.funcs.get(func_index as usize))
        .and_then(|&f| match store.funcs.get(f as usize) {
            Some(FuncEntity::Wasm { module, .. }) => Some(module),
            _ => None,
        });
    FrameInfo {
        func_index,
        func_name: module
            .and_then(|m| m.names.func(func_index))
            .map(String::from),
        module_name: module.and_then(|m| m.names.module()).map(String::from),
        func_offset: module_offset.and_then(|o| o.checked_sub(code.body_offset as usize)),
        module_offset,
    }
}
