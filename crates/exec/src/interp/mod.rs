//! The interpreter of register bytecode, with the Wasm call stack on the heap
//! (`Store::frames`), so Wasm calls never recurse on the host stack. Host functions may call
//! back into Wasm; each re-entry runs the interpreter again above the registers in use, and
//! the depth limit counts every frame.
//!
//! What each instruction does is written once (`handlers.rs`); two dispatch backends run
//! those handlers ([`Dispatch`]): `threaded.rs` chains them by tail calls, `portable.rs` runs
//! them from a `match` in a loop.
//!
//! This is one of the two places `unsafe` is allowed (with the memory code): registers,
//! instructions and linear memory are reached through raw pointers whose validity the
//! translator and `enter_code` establish; every block states why it holds.

use crate::prelude::*;
mod any_memory;
mod backtrace;
mod calls;
mod code;
mod gc_ops;
mod handlers;
#[cfg(spindle_op_profile)]
mod op_profile;
mod park;
mod portable;
mod store_ops;
mod threaded;
mod v128;

use spindle_ir::{Instr, TrapCode};
use spindle_translate::CompiledFunc;

use crate::store::{
    cells, read_all_cells, read_cells, write_all_cells, FuncEntity, HostCode, Store, MAX_HOST_CELLS,
};
use crate::{Trap, Val};
pub(crate) use gc_ops::{collect_garbage, ref_matches_type};
use handlers::{Ctx, State};
pub(crate) use park::ParkedSegment;
pub use park::{park, unpark, ParkedCall, Refused};

pub use code::Op;

/// A translated function ready to run: its frame layout and its code as [`Op`]s (the
/// translator's `Instr`s are not kept beside them).
pub struct ExecFunc {
    /// Registers in the frame.
    pub frame_size: u32,
    pub params: u32,
    /// Parameters and declared locals.
    pub locals: u32,
    /// The registers after the parameters that a call zeroes (`CompiledFunc::zeroed`:
    /// the declared locals the code may read before writing them, and those before them).
    pub zeroed: u32,
    pub results: u32,
    ops: Box<[Op]>,
    /// Where a call enters the code: its first instruction, or when the function has
    /// locals to zero (`zeroed`), a `ZeroLocals` after the code's end that zeroes them
    /// and then jumps to the first instruction. So a call does no zeroing itself, which
    /// keeps the loop's registers out of its handler (fewer instructions per call for
    /// every function, a dispatch more for the few with locals to zero). Points into
    /// `ops`, whose heap block never moves.
    pub(crate) entry: *const Op,
    /// What few functions have: `try_table` regions and the collector's maps. Apart, so
    /// that the thousands of functions of a big module without them take 24 bytes less.
    rare: Option<Box<Rare>>,
    /// Each instruction's Wasm offset in the module (read by backtraces only).
    offsets: spindle_translate::OffsetTable,
    /// Module offset of the function's body (see `CompiledFunc::body_offset`).
    body_offset: u32,
    /// The function's index in its module's function index space (for backtraces: the
    /// interpreter's frames name their code, not their function).
    func_index: u32,
    /// The module's `CodeTable` (see there): an intra-module call finds its callee there.
    pub(crate) module_code: *const crate::module::CodeEntry,
    /// Whether `ops` is encoded for the threaded backend (handler addresses in the slot
    /// heads) rather than the portable loop (opcodes): see `code.rs`.
    threaded: bool,
}

/// The parts of an [`ExecFunc`] that few functions have.
struct Rare {
    /// The `try_table` regions (see `spindle_translate::TryRegion`).
    handlers: Box<[spindle_translate::TryRegion]>,
    /// The collector's maps (see `spindle_translate::GcMap`).
    gc_maps: Box<[spindle_translate::GcMap]>,
}

// SAFETY: `module_code` points at the module's code table, which is only read and written
// atomically and lives as long as the module that owns this code; `entry` points into the
// function's own code, never written after `new`.
unsafe impl Send for ExecFunc {}
// SAFETY: as above.
unsafe impl Sync for ExecFunc {}

impl ExecFunc {
    /// Encodes `func`'s code in slots (`code.rs`) for the backend `dispatch` names
    /// ([`effective_dispatch`] of it: the threaded backend only where it is available).
    ///
    /// The `Br` entries after a `BrTable` get the handler of their *target* instead of
    /// `Br`'s: a table jump then loads the next handler straight from the chosen entry, one
    /// load after the index is known rather than three (entry, target, its handler), which
    /// shortens every mispredicted table jump. Only `br_table` reaches those entries (they
    /// are no branch's target).
    ///
    /// `func_index` is the function's index in its module (imports included).
    pub fn new(
        func: CompiledFunc<'_>,
        func_index: u32,
        module_code: *const crate::module::CodeEntry,
        dispatch: Dispatch,
    ) -> ExecFunc {
        let code = func.code;
        let zero = (func.zeroed != 0).then(|| Instr::ZeroLocals {
            first: spindle_ir::Reg(func.params as u16),
            len: func.zeroed as u16,
            // Back to the first instruction, from past the code and its end slot.
            to: -(code.len() as i32 + 1),
        });
        // A call inside the module gets the address of its callee's entry in the module's
        // code table (`CallModule`), where it fits in the field.
        let encoded = |instr: &Instr| match *instr {
            Instr::Call { func, base } => {
                // (Only an address: `wrapping_add` reads nothing.)
                let entry = module_code.wrapping_add(func as usize) as usize;
                match spindle_ir::Addr48::new(entry) {
                    Some(callee) => Instr::CallModule { base, callee },
                    None => *instr,
                }
            }
            other => other,
        };
        // (Not gated on the GC proposal: `externref`s, in every build, have maps too.)
        let rare = if func.handlers.is_empty() && func.gc_maps.is_empty() {
            // An empty boxed slice owns no memory: nothing to free, and no code for it.
            core::mem::forget((func.handlers, func.gc_maps));
            None
        } else {
            Some(Box::new(Rare {
                handlers: func.handlers,
                gc_maps: func.gc_maps,
            }))
        };
        let threaded = effective_dispatch(dispatch) == Dispatch::Threaded;
        let ops = code::encode_code(code, zero, encoded, threaded.then(threaded::handler_for));
        let entry = ops
            .as_ptr()
            .wrapping_add(if zero.is_some() { code.len() + 1 } else { 0 });
        ExecFunc {
            entry,
            frame_size: func.frame_size,
            params: func.params,
            locals: func.locals,
            zeroed: func.zeroed,
            results: func.results,
            ops,
            rare,
            offsets: func.offsets,
            body_offset: func.body_offset,
            func_index,
            module_code,
            threaded,
        }
    }

    /// The backend the code is encoded for, and so the only one that may run it.
    pub fn dispatch(&self) -> Dispatch {
        if self.threaded {
            Dispatch::Threaded
        } else {
            Dispatch::Loop
        }
    }

    /// The function's index in its module's function index space (imports included).
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The `try_table` regions, innermost last.
    pub(crate) fn handlers(&self) -> &[spindle_translate::TryRegion] {
        self.rare.as_ref().map_or(&[], |r| &r.handlers)
    }

    /// The collector's maps, by instruction.
    pub(crate) fn gc_maps(&self) -> &[spindle_translate::GcMap] {
        self.rare.as_ref().map_or(&[], |r| &r.gc_maps)
    }

    /// The module offset of the Wasm operator each instruction came from.
    pub fn offsets(&self) -> &spindle_translate::OffsetTable {
        &self.offsets
    }

    /// The instructions, in order (for the disassembler), an `Ext` after each wide one, as the
    /// translator made them (a `CallModule` shown as the `Call` it encodes). Only code
    /// encoded for the portable loop ([`Dispatch::Loop`]) has its opcodes; threaded code
    /// has handler addresses instead (whose functions the compiler may share between
    /// opcodes), so for it this is `None`.
    pub fn instrs(&self) -> Option<impl Iterator<Item = Instr> + '_> {
        if self.threaded {
            return None;
        }
        // The code's own slots: not the end slot, nor the `ZeroLocals` and its `Trap` after
        // it if any.
        let len = self.ops.len() - 1 - 2 * usize::from(self.zeroed != 0);
        // SAFETY: each index below `len` is a slot of the portable code `encode_code` made;
        // an `Ext`'s head is its own (its body holds the wide instruction's fields).
        Some((0..len).map(
            move |i| match unsafe { code::decode(self.ops.as_ptr().add(i)) } {
                // As the translator wrote it (the encoder's address is no fact of the code).
                Instr::CallModule { base, callee } => Instr::Call {
                    func: self.callee_index(callee),
                    base,
                },
                other => other,
            },
        ))
    }

    /// The module function index a `CallModule` of this code calls: its entry's place in
    /// the module's code table.
    pub(crate) fn callee_index(&self, callee: spindle_ir::Addr48) -> u32 {
        let table = self.module_code as usize;
        ((callee.get() - table) / core::mem::size_of::<crate::module::CodeEntry>()) as u32
    }
}

impl core::fmt::Debug for ExecFunc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExecFunc")
            .field("frame_size", &self.frame_size)
            .field("ops", &self.ops.len())
            .finish()
    }
}

/// How the interpreter goes from one instruction to the next.
///
/// Both backends run the same handlers and give the same results; they differ in speed and
/// in what they ask of the compiler.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dispatch {
    /// Each instruction's handler ends by jumping straight to the next one's (a sibling
    /// call the compiler turns into a jump): one indirect branch per instruction site,
    /// which the CPU predicts far better than one shared branch. Available on x86_64 and
    /// aarch64 in optimised builds; elsewhere (and in unoptimised builds, where the calls
    /// would nest) the interpreter uses [`Dispatch::Loop`] instead.
    Threaded,
    /// A `match` on each instruction inside a loop: works on every target and build.
    Loop,
}

impl Default for Dispatch {
    /// The fastest available: [`Dispatch::Threaded`] where it is compiled in.
    fn default() -> Self {
        if threaded::available() {
            Dispatch::Threaded
        } else {
            Dispatch::Loop
        }
    }
}

/// The backend calls made with `dispatch` actually run on (this target and build), and
/// the one code compiled for `dispatch` is encoded for.
pub fn effective_dispatch(dispatch: Dispatch) -> Dispatch {
    // A profiling build runs everything on the portable loop (see `op_profile`).
    if dispatch == Dispatch::Threaded && threaded::available() && !cfg!(spindle_op_profile) {
        Dispatch::Threaded
    } else {
        Dispatch::Loop
    }
}

/// Calls function `func` of the store with `args`, writing `results`.
///
/// The caller has checked the number and types of arguments and results.
pub fn call(store: &mut Store, func: u32, args: &[Val], results: &mut [Val]) -> Result<(), Trap> {
    call_inner(store, func, args, results, false).map(|_| ())
}

/// A call that ran out of fuel, whose epoch callback said to yield, or whose host function
/// failed, and can be resumed (see [`call_resumable`]). Dropping it abandons the call: its
/// frames leave the store's stacks at the store's next call from the host.
#[derive(Debug)]
pub struct Suspension {
    /// The store it belongs to (`Store::id`): resuming on another is refused.
    store: u64,
    /// Kept alive while the embedder holds the suspension; the store's record sees it go.
    token: alloc::sync::Arc<()>,
    ty: u32,
    entry_base: usize,
    entry_depth: usize,
    saved_top: usize,
    /// `store.frames.len()` when suspended: only the topmost suspension may resume.
    depth: usize,
    at: Paused,
    /// When a host function failed: its error, and where its results go on resumption.
    host: Option<HostFailure>,
    /// Whether an epoch callback's `EpochUpdate::Yield` stopped the call.
    interrupted: bool,
}

/// The store's side of a [`Suspension`]: what to unwind if the embedder drops it.
pub(crate) struct SuspensionRecord {
    alive: alloc::sync::Weak<()>,
    entry_depth: usize,
    saved_top: usize,
    /// The innermost frame, whose state the embedder holds: the collector reads its
    /// references from here (`ip` one past the instruction with its register map: the host
    /// function's call, or the `Fuel` it stopped at).
    pub(crate) frame: crate::store::Frame,
}

/// Unwinds the suspended calls the embedder dropped, from the top of the stack down to the
/// first one still held (only calls from the host, with nothing running, come here).
fn reclaim_dropped_suspensions(store: &mut Store) {
    while let Some(r) = store.suspensions.last() {
        if r.alive.strong_count() > 0 {
            break;
        }
        store.frames.truncate(r.entry_depth);
        store.stack_top = r.saved_top;
        store.suspensions.pop();
    }
}

/// A host function's failure that suspended a resumable call.
#[derive(Debug)]
struct HostFailure {
    trap: Trap,
    /// Absolute register of the host function's first result.
    slot: usize,
    results: Vec<spindle_decode::ValType>,
}

impl Suspension {
    /// The host function's error, if a host function's failure suspended the call (else
    /// it ran out of fuel or was interrupted).
    pub fn host_error(&self) -> Option<&Trap> {
        self.host.as_ref().map(|h| &h.trap)
    }

    /// Whether the call stopped because the epoch callback returned
    /// [`EpochUpdate::Yield`](crate::EpochUpdate::Yield) (else it ran out of fuel or a host
    /// function failed). Resuming continues after the epoch check.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// The types of the results the failed host function owes (empty after running out of
    /// fuel or an epoch yield): [`resume`] takes values of these types.
    pub fn host_result_types(&self) -> &[spindle_decode::ValType] {
        self.host.as_ref().map_or(&[], |h| &h.results)
    }

    /// Takes the host function's error out (the suspension keeps a bare host trap).
    pub fn take_host_error(&mut self) -> Option<Trap> {
        self.host
            .as_mut()
            .map(|h| core::mem::replace(&mut h.trap, Trap::host("taken by the embedder")))
    }

    /// The `Store::id` of the store the call runs in.
    pub fn store_id(&self) -> u64 {
        self.store
    }
}

/// Where a suspended call stopped: its innermost frame.
#[derive(Clone, Debug)]
pub(crate) struct Paused {
    cur: Current,
    /// Index of the instruction to run next in `cur`'s code.
    ip: usize,
    base: usize,
}

/// Like [`call`], but running out of fuel, an epoch callback returning
/// [`EpochUpdate::Yield`](crate::EpochUpdate::Yield), or a host function called from Wasm
/// returning an error, suspends the call instead of unwinding it: `Ok(Some(suspension))`
/// can be resumed with [`resume`] (after adding fuel, at once after a yield, or with values
/// for the host function's results).
pub fn call_resumable(
    store: &mut Store,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<Option<Suspension>, Trap> {
    call_inner(store, func, args, results, true)
}

/// Continues a suspended call; it may suspend again. `host_results` stand for the results
/// of the host function whose failure suspended it (nothing after running out of fuel or
/// an epoch yield).
pub fn resume(
    store: &mut Store,
    s: Suspension,
    host_results: &[Val],
    results: &mut [Val],
) -> Result<Option<Suspension>, Trap> {
    if s.store != store.id {
        return Err(Trap::host(
            "a suspended call can only be resumed on its own store",
        ));
    }
    let expected = store.registry.get(s.ty).results.len();
    if results.len() != expected {
        // The call is abandoned (its frames go at the store's next call).
        return Err(Trap::host(format!(
            "the suspended call has {expected} results, not {}",
            results.len()
        )));
    }
    if store.reentry == 0 {
        reclaim_dropped_suspensions(store);
    }
    let is_top = store
        .suspensions
        .last()
        .is_some_and(|r| core::ptr::eq(r.alive.as_ptr(), alloc::sync::Arc::as_ptr(&s.token)));
    if !is_top || store.frames.len() != s.depth || store.reentry != 0 {
        return Err(Trap::host(
            "only the most recently suspended call can be resumed, from the host",
        ));
    }
    let types = s.host_result_types();
    store.suspensions.pop();
    if host_results.len() != types.len()
        || !host_results
            .iter()
            .zip(types)
            .all(|(v, t)| store.val_matches(v, *t))
    {
        // The call is cancelled: its frames go, as after a trap.
        let message = format!("resuming needs the host function's results, of types {types:?}");
        store.frames.truncate(s.entry_depth);
        store.stack_top = s.saved_top;
        return Err(Trap::host(message));
    }
    if let Some(h) = &s.host {
        write_all_cells(&mut store.stack, h.slot, host_results);
    }
    store.reentry += 1;
    let marker = 0u8;
    store.native_base = core::ptr::addr_of!(marker) as usize;
    let Suspension {
        ty,
        entry_base,
        entry_depth,
        saved_top,
        at,
        ..
    } = s;
    let r = run(store, at, entry_depth, true);
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
    let host_failed = store.host_failed.take();
    // A host function's panic unwinds the call as a trap does (never suspends it).
    let suspend = resumable && store.reentry == 0 && store.panic.is_none();
    let r = match (r, paused, suspend) {
        // (Only an epoch yield pauses with `Interrupt`: a deadline without callback does
        // not pause.)
        (Err(t), Some(at), true)
            if host_failed.is_some()
                || t.code == TrapCode::OutOfFuel
                || t.code == TrapCode::Interrupt =>
        {
            let interrupted = host_failed.is_none() && t.code == TrapCode::Interrupt;
            let host = host_failed.map(|(slot, callee)| HostFailure {
                results: store
                    .registry
                    .get(store.funcs[callee as usize].ty())
                    .results,
                trap: t,
                slot,
            });
            // Keep the frames; later calls run above the suspended registers. The innermost
            // one's state goes to the embedder, and a record of it to the store (`ip` one past
            // the instruction with its register map: the host function's call or the
            // `Epoch`, both just before where it resumes, or the `Fuel` it stopped at and
            // re-runs).
            let out_of_fuel = host.is_none() && !interrupted;
            let next = at.ip + usize::from(out_of_fuel);
            // Calls beside this suspended one start above its innermost frame's registers
            // (calls and returns do not keep `stack_top`: see `push_frame`).
            store.stack_top = at.base + at.cur.frame_size as usize;
            let token = alloc::sync::Arc::new(());
            store.suspensions.push(SuspensionRecord {
                alive: alloc::sync::Arc::downgrade(&token),
                entry_depth,
                saved_top,
                frame: crate::store::Frame {
                    caller: at.cur,
                    ip: at.cur.instrs().wrapping_add(next),
                    base: at.base,
                },
            });
            return Ok(Some(Suspension {
                store: store.id,
                token,
                ty,
                entry_base,
                entry_depth,
                saved_top,
                depth: store.frames.len(),
                at,
                host,
                interrupted,
            }));
        }
        (r, _, _) => r,
    };
    store.frames.truncate(entry_depth);
    store.stack_top = saved_top;
    r?;
    let fty = store.registry.get_arc(ty);
    for (slot, v) in results.iter_mut().zip(read_all_cells(
        &store.stack,
        entry_base,
        &fty.results,
        &store.registry,
    )) {
        *slot = v;
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
    // Every entry point checks the arguments here: their types decide the register layout
    // (a `v128` takes two), so a wrong one would misplace the others.
    let ty = store.registry.get_arc(store.funcs[func as usize].ty());
    if args.len() != ty.params.len()
        || results.len() != ty.results.len()
        || !args
            .iter()
            .zip(&ty.params)
            .all(|(v, t)| store.val_matches(v, *t))
    {
        return Err(Trap::host(format!(
            "arguments do not match the function's type {:?} -> {:?}",
            ty.params, ty.results
        )));
    }
    let entity = store.funcs[func as usize].clone();
    match entity {
        FuncEntity::Host {
            func: f,
            sig,
            cells: (pc, rc),
            ..
        } => {
            // Called by the host, not by Wasm: the function has no calling instance.
            store.host_called_at.push(store.host_frames.len());
            let r = crate::platform::catch_panic(|| match &f {
                HostCode::Vals(f) => f(store, args, results),
                HostCode::Cells(f) => {
                    // `add_host_code` admitted the type: numbers and vectors, in bounds.
                    let mut buf = [0u64; MAX_HOST_CELLS];
                    write_all_cells(&mut buf, 0, args);
                    f(store, &mut buf[..pc.max(rc) as usize])?;
                    let mut at = 0;
                    for (slot, t) in results.iter_mut().zip(sig.results.iter()) {
                        *slot = read_cells(&buf, at, *t, &store.registry);
                        at += cells(*t);
                    }
                    Ok(())
                }
            });
            store.host_called_at.pop();
            let r = r.unwrap_or_else(|panic| crate::platform::resume_panic(panic));
            r?;
            // Its results are checked as when Wasm calls it.
            for (i, (v, t)) in results.iter().zip(sig.results.iter()).enumerate() {
                if !store.val_matches(v, *t) {
                    return Err(Trap::host(format!(
                        "host function result {i} ({v:?}) does not have type {t}"
                    )));
                }
            }
            Ok(None)
        }
        FuncEntity::Wasm { ty, .. } => {
            // The address of a local approximates the native stack pointer: re-entries that
            // went too deep below the outermost call trap instead of overflowing.
            let marker = 0u8;
            let here = core::ptr::addr_of!(marker) as usize;
            // Only a call from the embedder suspends (see `finish`).
            let suspendable = resumable && store.reentry == 0;
            if store.reentry == 0 {
                store.native_base = here;
                if !store.suspensions.is_empty() {
                    reclaim_dropped_suspensions(store);
                }
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
                write_all_cells(&mut store.stack, base, args);
                run(store, Paused { cur, ip: 0, base }, entry_depth, suspendable)
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
fn enter_code(store: &mut Store, code: &ExecFunc, base: usize) -> Result<(), Trap> {
    let need = base + code.frame_size as usize;
    if need > store.limits.stack_registers {
        return Err(Trap::new(TrapCode::StackOverflow));
    }
    let (params, zeroed) = (code.params as usize, code.zeroed as usize);
    if store.stack.len() < need {
        let grown = need
            .max(store.stack.len() * 2)
            .min(store.limits.stack_registers.max(need));
        store.stack.resize(grown, 0);
    }
    store.stack[base + params..base + params + zeroed].fill(0);
    store.stack_top = need;
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    /// The function's code. A raw pointer: the code is owned by a `CompiledModule` that the
    /// store's function entities keep alive for as long as the store exists.
    code: *const ExecFunc,
    inst: usize,
    /// Store index of the instance's memory 0 (`usize::MAX` when it has none).
    mem0: usize,
    frame_size: u32,
    /// The function's engine-wide type: `call_indirect` checks it here, in the entry it
    /// reads anyway, rather than in the function entity. Only `Store::callees` entries
    /// keep it: a call inside a module (`call_in_module`) leaves the caller's in `Ctx::cur`.
    ty: u32,
}

impl Current {
    /// The `callees` cache entry of a function not resolved yet (or a host function).
    pub(crate) const UNRESOLVED: Current = Current {
        code: core::ptr::null(),
        inst: 0,
        mem0: 0,
        frame_size: 0,
        ty: u32::MAX,
    };

    /// The first instruction of the code.
    #[inline]
    fn instrs(&self) -> *const Op {
        // SAFETY: `code` stays valid while the store lives (see the field).
        unsafe { (*self.code).ops.as_ptr() }
    }
}

// SAFETY: `Current` and `Frame` hold pointers into code that the store's function entities
// keep alive (`Current::code`) and that is never written after translation; moving them to
// another thread with their store, or with a `Suspension` its store will check, shares no
// mutable state.
unsafe impl Send for Current {}
// SAFETY: as for `Current`: `ip` points into the same immutable code.
unsafe impl Send for crate::store::Frame {}

impl Store {
    /// The instance whose Wasm code called the host function running now, if any.
    pub fn caller_instance(&self) -> Option<u32> {
        let (frame, _) = self.host_frames.last()?;
        // A host function the host called (after the last call from Wasm) has none.
        if self.host_called_at.last() == Some(&self.host_frames.len()) {
            return None;
        }
        Some(frame.caller.inst as u32)
    }
}

fn current(store: &Store, func: u32) -> Result<Current, Trap> {
    let code: &ExecFunc = match &store.funcs[func as usize] {
        FuncEntity::Wasm { module, index, .. } => {
            module.code_ref(*index as usize).map_err(Trap::host)?
        }
        FuncEntity::Host { .. } => unreachable!("only Wasm functions have code"),
    };
    let frame_size = code.frame_size;
    let code = code as *const ExecFunc;
    match &store.funcs[func as usize] {
        FuncEntity::Wasm { instance, ty, .. } => {
            let inst = *instance as usize;
            let mem0 = store.instances[inst]
                .memories
                .first()
                .map_or(usize::MAX, |m| *m as usize);
            Ok(Current {
                code,
                inst,
                mem0,
                frame_size,
                ty: *ty,
            })
        }
        FuncEntity::Host { .. } => unreachable!("only Wasm functions have code"),
    }
}

/// `memory.grow`: the old size in pages, or -1.
pub fn memory_grow(store: &mut Store, mem: usize, delta: u64) -> u64 {
    let limit = store.limits.memory_size;
    let m = &mut store.memories[mem];
    let (max_pages, page_log2) = (m.max_pages(), m.ty.page_size_log2());
    // The new size in bytes for an old size in bytes, if allowed.
    let new_bytes = |old_bytes: usize| -> Option<usize> {
        let new = (old_bytes as u64 >> page_log2).checked_add(delta)?;
        if new > max_pages {
            return None;
        }
        // `new` may be 2^48 pages of 64 KiB: the byte size must not wrap.
        let bytes = new.checked_mul(1 << page_log2)?;
        (bytes <= limit && bytes <= isize::MAX as u64).then_some(bytes as usize)
    };
    if let Some(b) = &m.shared {
        // Other threads may grow it too: the old size is read under the buffer's lock.
        return match b.grow_to(new_bytes) {
            Some(old) => (old as u64) >> page_log2,
            None => u64::MAX,
        };
    }
    let old = m.pages();
    match new_bytes(m.len()) {
        Some(bytes) if m.data.try_grow(bytes) => old,
        _ => u64::MAX,
    }
}

/// `table.grow`: the old size, or -1.
pub fn table_grow(store: &mut Store, table: usize, delta: u64, init: u64) -> u64 {
    let t = &store.tables[table];
    let old = t.elems.len() as u64;
    let new = match old.checked_add(delta) {
        Some(n) if n <= t.max() && n <= store.limits.table_elements => n,
        _ => return u64::MAX,
    };
    if !crate::fallible::try_grow(&mut store.tables[table].elems, new as usize, init) {
        return u64::MAX;
    }
    old
}

/// Runs from `start` until the frame at `entry_depth` returns or something traps.
fn run(
    store: &mut Store,
    start: Paused,
    entry_depth: usize,
    suspendable: bool,
) -> Result<(), Trap> {
    let Paused { cur, ip, base } = start;
    // The backend the code is encoded for: all the code this run can reach is (a store's
    // instances all have code encoded alike: `instantiate` checks).
    // SAFETY: see `Current::code`.
    let threaded = unsafe { (*cur.code).threaded };
    let mut cx = Ctx::new(store, cur, base, entry_depth, suspendable);
    let s = State::enter(&mut cx, ip);
    if threaded {
        threaded::run(s, &mut cx);
    } else {
        portable::run(s, &mut cx);
    }
    // The frames as the run leaves them (see `Ctx::top`).
    cx.frames_in_store();
    match cx.trap.take() {
        Some(t) => Err(t),
        None => Ok(()),
    }
}
