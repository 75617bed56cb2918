//! What each instruction does, written once and shared by both dispatch backends.
//!
//! A handler is a function `(&mut State, &mut Ctx, fields...) -> Flow`: it reads and writes
//! registers and memory through [`State`] (the values the threaded backend keeps in machine
//! registers), reaches the rest of the store through [`Ctx`], moves `State::ip` to the next
//! instruction and says whether to go on. [`with_handlers!`] is the list pairing every
//! instruction of the IR table with its handler; each backend expands it into its dispatch
//! (`portable.rs`: one `match` in a loop; `threaded.rs`: one function per instruction, each
//! ending in a tail call to the next).
//!
//! Handlers stay free of locals whose address escapes, and anything large (calls into the
//! host, bulk memory and table operations) lives in `#[inline(never)]` functions that take
//! plain values: that keeps every handler's final call a sibling call the compiler can turn
//! into a jump, so the threaded backend runs in constant native stack.
//!
//! Handlers are `inline(always)` only in optimised builds (`cfg_attr(not(debug_assertions),
//! ...)`): unoptimised, the portable loop with every handler inlined had a 340 KB frame, so
//! a host function's call back into Wasm ran past the native-stack limit at once.

use alloc::sync::Arc;
use core::sync::atomic::AtomicU64;

use spindle_ir::{load, Addr48, BinOp, Dst, Opcode, Reg, TrapCode};

use super::code::{field, Target};
use super::Op;

use super::Current;
use crate::module::CodeEntry;
use crate::num;
use crate::store::Store;
use crate::Trap;

pub(super) use super::any_memory::*;
pub(super) use super::calls::*;
pub(super) use super::gc_ops::*;
pub(super) use super::store_ops::*;
pub(super) use super::v128::*;

/// Whether to go on after an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Flow {
    /// On to the next instruction (`State::next`: `ip` is one slot on, which for a wide
    /// instruction is its `Ext`; the backend steps over that).
    Continue,
    /// On at a branch's target (`State::jump`: `ip` is there). Apart from `Continue` so
    /// that the backends do not test a taken branch of a wide instruction for landing on
    /// its `Ext`, which no branch targets.
    Jumped,
    /// The run is over: the entry frame returned, or `Ctx::trap` says why not.
    Exit,
    /// The handler's fast path does not apply; the backend runs [`slow_path`] for the same
    /// instruction (nothing was changed yet). Keeping the slow path out of the handler keeps
    /// the handler free of calls that would make it save registers.
    Slow,
    /// `State::ip` is at the `Br` entry a `br_table` chose: go on at its target, whose
    /// handler the entry carries (see `ExecFunc::new`).
    Table,
}

/// The hot part of the interpreter's state.
///
/// Invariants (established by [`State::enter`] and kept by every handler, which is what
/// the `unsafe` blocks below rely on): `ip` points into the current function's code, which
/// ends in `Return`, and branch offsets stay inside it (the translator patches them);
/// `regs` points at the current frame's first register in `store.stack`, which holds at
/// least `frame_size` registers beyond it, and is re-derived (`sync`) after anything that
/// may move the stack; `mem`/`mem_len` describe memory 0 of the current instance (length 0
/// when it has none), re-derived after anything that may move or resize it.
///
/// `acc`, the accumulator, is the value the last instruction with a result wrote (every
/// `State::w`). The translator rewrites an instruction that reads the result of the one just
/// before it into its `…Acc` form, which takes that operand from here instead of from the
/// frame.
#[derive(Clone, Copy)]
pub(crate) struct State {
    pub ip: *const Op,
    pub regs: *mut u64,
    pub mem: *mut u8,
    pub mem_len: usize,
    pub acc: u64,
}

/// The cold part of the interpreter's state: the store and the current frame.
pub(crate) struct Ctx {
    /// The store being run. A raw pointer: the run holds the only `&mut Store` for its whole
    /// duration and reaches the store only through this.
    store: *mut Store,
    pub cur: Current,
    /// Absolute index of the current frame's first register.
    pub base: usize,
    /// `store.frames.len()` when the run started: a `Return` at this depth ends the run.
    pub entry_depth: usize,
    /// Why the run stopped, if it did not return normally.
    pub trap: Option<Trap>,
    /// The store's epoch counter, held here so that an `Epoch` check reaches it in two
    /// loads (this field, then the counter). A pointer, not a clone of the `Arc` (whose
    /// count every run would write, on a cache line every store of the engine reads): the
    /// store keeps its `Arc` and refuses to replace it while a call runs
    /// (`Store::set_epoch_counter`).
    pub epoch: *const AtomicU64,
    /// The store's epoch deadline, kept here for the same reason: an `Epoch` check then
    /// reads nothing of the store. Only host code changes the store's value (a host
    /// function, the epoch callback), so it is read again after each.
    pub epoch_deadline: u64,
    /// Whether a stop that can be resumed (out of fuel, an epoch yield, a host function's
    /// error) suspends this run rather than ending it: then its trap is dropped, and no
    /// backtrace is taken for it.
    pub suspendable: bool,
    /// The state after a slow path run by the threaded backend (handed over here rather
    /// than through a local whose address would escape and cost the jump to the next
    /// handler).
    #[allow(dead_code)] // Read only by the threaded backend, which some builds lack.
    pub spill: State,
    /// The opcode of the instruction whose handler returned [`Flow::Slow`], set by the
    /// backend before it runs the slow path (the threaded backend's code slots hold handler
    /// addresses, not opcodes: `code.rs`).
    pub slow_op: Opcode,
    /// The last table `call_indirect` used: the instance and its table index (`usize::MAX`
    /// before any), and the store index they map to. Which store table an instance's
    /// table is never changes, so this is never stale; it takes three dependent loads
    /// (the store's instances, the instance's table list, the entry) off each indirect
    /// call's path to its callee.
    pub indirect_table: (usize, u32, usize),
    /// The address of the top frame record (one before the first when there is none,
    /// never read then): a return reads the caller's state from here, with no load of the
    /// store. Kept by the calls and returns of the handlers, which are all that change the
    /// frames outside the slow paths, and which leave `store.frames`' length behind: it
    /// is set from this ([`Ctx::frames_in_store`]) before anything reads the frames (a
    /// slow path, a trap's backtrace, a collection, the run's end). Set again from the
    /// store after each slow path (which may push, pop or move the frames, the length
    /// then being theirs: [`on_a_copy!`]) and when a run starts.
    pub top: *mut crate::store::Frame,
    /// Where a call may not put its frame record: `store.frames` from its start plus its
    /// capacity or the depth limit, whichever is less. Set with [`Ctx::top`] (the frames
    /// move only when they grow, in a slow path), so that a call checks both in one
    /// comparison and keeps no length in a register.
    pub frames_limit: *mut crate::store::Frame,
    /// [`Ctx::top`] when the run started (the record at `entry_depth - 1`): a return with
    /// this on top ends the run. Set with `top`.
    pub entry_top: *mut crate::store::Frame,
    /// `store.stack`'s registers and length, read by calls and returns without a load of
    /// the store. Set with `top` (the stack moves only when it grows, in a slow path).
    pub stack: *mut u64,
    pub stack_len: usize,
    /// Whether a slow path is running: `store.frames` is then the slow path's to change,
    /// with its length always right, and `top` is set from it afterwards.
    pub in_slow_path: bool,
}

impl Ctx {
    pub fn new(
        store: &mut Store,
        cur: Current,
        base: usize,
        entry_depth: usize,
        suspendable: bool,
    ) -> Ctx {
        let epoch = Arc::as_ptr(store.epoch_counter());
        Ctx {
            store,
            cur,
            base,
            entry_depth,
            trap: None,
            epoch,
            epoch_deadline: store.epoch_deadline,
            suspendable,
            spill: State {
                ip: core::ptr::null(),
                regs: core::ptr::null_mut(),
                mem: core::ptr::null_mut(),
                mem_len: 0,
                acc: 0,
            },
            slow_op: Opcode::Trap,
            indirect_table: (usize::MAX, 0, 0),
            top: top_frame(store),
            frames_limit: frames_limit(store),
            entry_top: entry_top(store, entry_depth),
            stack: store.stack.as_mut_ptr(),
            stack_len: store.stack.len(),
            in_slow_path: false,
        }
    }

    /// Sets [`Ctx::top`], [`Ctx::frames_limit`], [`Ctx::entry_top`] and [`Ctx::stack`]
    /// again from the store's frames and stack.
    pub fn reset_top(&mut self) {
        let entry_depth = self.entry_depth;
        let store = self.store();
        let (top, limit) = (top_frame(store), frames_limit(store));
        let entry = entry_top(store, entry_depth);
        let (stack, stack_len) = (store.stack.as_mut_ptr(), store.stack.len());
        self.top = top;
        self.frames_limit = limit;
        self.entry_top = entry;
        self.stack = stack;
        self.stack_len = stack_len;
    }

    /// Before a slow path: the frames the handlers left go to the store, for the slow path
    /// to read and change ([`Ctx::top`]).
    #[inline(never)]
    pub fn begin_slow_path(&mut self) {
        self.frames_in_store();
        self.in_slow_path = true;
    }

    /// After a slow path: its frames (calls, unwinding, a host function's own calls into
    /// Wasm, which may move them and the stack) are the handlers' again.
    #[inline(never)]
    pub fn end_slow_path(&mut self) {
        self.in_slow_path = false;
        self.reset_top();
    }

    /// Sets `store.frames`' length from [`Ctx::top`] (which the handlers' calls and returns
    /// keep, and not the length), unless a slow path is running (whose frames and length
    /// are right, and `top` not yet). Before anything outside the handlers reads the
    /// frames.
    #[inline(never)]
    pub fn frames_in_store(&mut self) {
        if !self.in_slow_path {
            self.set_frames_len();
        }
    }

    /// Sets `store.frames`' length from [`Ctx::top`] (see [`Ctx::frames_in_store`]); in a
    /// slow path, after it pushed a record as the handlers do (`push_frame`).
    pub fn set_frames_len(&mut self) {
        let top = self.top;
        let store = self.store();
        let first = store.frames.as_ptr() as usize;
        let len =
            (top.wrapping_add(1) as usize - first) / core::mem::size_of::<crate::store::Frame>();
        debug_assert!(len <= store.frames.capacity());
        // SAFETY: the records up to `top` were written by the calls that pushed them (a
        // record is written before `top` reaches it), and `top` is below
        // `frames_limit`, which is within the capacity; records above it are plain
        // values (`Frame` has no destructor), dropped from the length.
        unsafe { store.frames.set_len(len) };
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn store(&mut self) -> &mut Store {
        // SAFETY: `store` came from the `&mut Store` the run was given, which is not used
        // otherwise until the run ends; each borrow made here ends before the next.
        unsafe { &mut *self.store }
    }
}

/// The address of `store`'s top frame record (see [`Ctx::top`]).
fn top_frame(store: &mut Store) -> *mut crate::store::Frame {
    let len = store.frames.len();
    store.frames.as_mut_ptr().wrapping_add(len).wrapping_sub(1)
}

/// See [`Ctx::entry_top`].
fn entry_top(store: &mut Store, entry_depth: usize) -> *mut crate::store::Frame {
    store
        .frames
        .as_mut_ptr()
        .wrapping_add(entry_depth)
        .wrapping_sub(1)
}

/// See [`Ctx::frames_limit`].
fn frames_limit(store: &mut Store) -> *mut crate::store::Frame {
    let room = store.frames.capacity().min(store.limits.call_depth);
    store.frames.as_mut_ptr().wrapping_add(room)
}

impl State {
    /// The state at instruction `ip` (an index) of the current frame of `cx`.
    pub fn enter(cx: &mut Ctx, ip: usize) -> State {
        let mut s = State {
            ip: cx.cur.instrs().wrapping_add(ip),
            regs: core::ptr::null_mut(),
            mem: core::ptr::null_mut(),
            mem_len: 0,
            acc: 0,
        };
        s.sync(cx);
        s
    }

    /// Re-derives the register and memory pointers from the store.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn sync(&mut self, cx: &mut Ctx) {
        let base = cx.base;
        self.regs = cx.store().stack.as_mut_ptr().wrapping_add(base);
        self.sync_mem(cx);
    }

    /// Re-derives the memory pointer from the store.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn sync_mem(&mut self, cx: &mut Ctx) {
        let mem0 = cx.cur.mem0;
        (self.mem, self.mem_len) = memory_view(cx.store(), mem0);
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn r(&self, reg: Reg) -> u64 {
        // SAFETY: the translator only emits registers below the function's `frame_size`,
        // and `regs` has that many (see the invariants).
        unsafe { *self.regs.add(reg.0 as usize) }
    }

    /// Writes a numeric instruction's result: to `dst` and the accumulator, or to the
    /// accumulator only when `dst` is [`Dst::ACC`]. (In the threaded backend each such
    /// instruction has two handlers, for which `dst == Dst::ACC` is a constant.)
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn w_result(&mut self, dst: Dst, v: u64) {
        if dst == Dst::ACC {
            self.acc = v;
        } else {
            self.w(dst, v);
        }
    }

    /// Writes `v` to register `dst` (never [`Dst::ACC`]) and the accumulator.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn w(&mut self, dst: Dst, v: u64) {
        // SAFETY: as for `r`.
        unsafe { *self.regs.add(dst.0 as usize) = v };
        self.acc = v;
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn next(&mut self) -> Flow {
        // SAFETY: every instruction but the last (`Return`, which does not come here) has a
        // successor in the same code.
        self.ip = unsafe { self.ip.add(1) };
        Flow::Continue
    }

    /// Where the current instruction, a `current`, has its `Data`: after it, and after its
    /// `Ext` if it is wide. (From the handler that runs it, not the code: threaded code
    /// has no opcodes.)
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn data_slot(current: Opcode) -> usize {
        1 + usize::from(spindle_ir::slot::WIDE[current as usize])
    }

    /// The second 64-bit immediate of the current instruction, a `current`: the `Data`
    /// after it (the translator emits one after each instruction that has one).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn data(&self, current: Opcode) -> u64 {
        // SAFETY: an instruction with a `Data` is never the last of its code (the `Data`
        // follows it, after its `Ext` if it has one).
        unsafe {
            field(
                self.ip.add(Self::data_slot(current)),
                spindle_ir::slot::Data::AT.value,
            )
        }
    }

    /// Continues past the current instruction, a `current`, and its `Data`.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn next_past_data(&mut self, current: Opcode) -> Flow {
        // SAFETY: as in `data`; the `Data` is not the last instruction either (a `Return`
        // ends every code).
        self.ip = unsafe { self.ip.add(Self::data_slot(current) + 1) };
        Flow::Continue
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn jump(&mut self, to: Target) -> Flow {
        // (`to` was read by `branch_target`: an instruction of this code.)
        self.ip = to.address();
        Flow::Jumped
    }

    /// The taken side of a conditional branch: [`State::jump`] behind an optimisation
    /// barrier.
    ///
    /// Without it the compiler turns `if c { jump } else { next }` into a conditional move
    /// of `ip` feeding the one indirect jump to the next handler: the CPU then learns that
    /// it mispredicted a data-dependent branch only once the compare, the move and the load
    /// of the next handler's address have all run. With a real conditional jump it learns
    /// it at the compare (measured: quicksort, whose partition branches are random, runs
    /// markedly faster).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(super) fn branch(&mut self, to: Target) -> Flow {
        barrier();
        self.jump(to)
    }
}

/// An empty `asm!` block: code the compiler must keep in place, so it cannot if-convert
/// the branch that contains it.
#[cfg_attr(not(debug_assertions), inline(always))]
fn barrier() {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty instruction sequence that touches no memory, stack or flags.
    unsafe {
        core::arch::asm!("", options(nomem, nostack, preserves_flags))
    };
}

/// Memory `mem`'s buffer as a raw pointer and length (`(dangling, 0)` when there is none).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn memory_view(store: &mut Store, mem: usize) -> (*mut u8, usize) {
    match store.memories.get_mut(mem) {
        Some(m) => (m.data.as_mut_ptr(), m.data.len()),
        None => (core::ptr::NonNull::dangling().as_ptr(), 0),
    }
}

/// `fn $name(s, cx, ...)`: calls `$cold` (not inlined) on a copy of the state and takes the
/// copy back. A threaded handler keeps its state in registers only if no code it does not
/// inline ever sees the state's address: each call of such code through here hands out the
/// address of a copy instead. (The portable loop keeps its state in memory on purpose: see
/// `portable.rs`.)
macro_rules! on_a_copy {
    ($($vis:vis fn $name:ident => $cold:ident ($($a:ident : $t:ty),*);)*) => {$(
        #[cfg_attr(not(debug_assertions), inline(always))]
        $vis fn $name(s: &mut State, cx: &mut Ctx $(, $a: $t)*) -> Flow {
            let mut copy = *s;
            cx.begin_slow_path();
            let flow = $cold(&mut copy, cx $(, $a)*);
            *s = copy;
            cx.end_slow_path();
            flow
        }
    )*};
}

on_a_copy! {
    pub(super) fn throw_exception => throw_exception_cold(exn: usize);
    pub(super) fn unwind => unwind_cold(exn: usize, from_caller: bool);
    pub(super) fn slow_path => slow_path_cold();
    pub(super) fn tail_call => tail_call_cold(callee: u32, base: Reg);
    pub(super) fn call_slow => call_slow_cold(callee: u32, base: Reg, tail: bool);
    pub(super) fn epoch_reached => epoch_reached_cold();
}

/// Stops the run with a trap at the instruction `s.ip` points at.
///
/// The `Exit` is returned here, not by the cold function, so that the compiler sees the
/// trap path end the handler: the hot path then needs no saved registers. The instruction's
/// address goes to the cold function as an argument, so nothing has to survive its call.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn trap(s: &State, cx: &mut Ctx, code: TrapCode) -> Flow {
    trap_at(cx, s.ip, code);
    Flow::Exit
}

/// Stops the run with a trap that carries more than a code (host errors).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn fail(s: &State, cx: &mut Ctx, t: Trap) -> Flow {
    set_trap(cx, s.ip, t);
    Flow::Exit
}

/// [`set_trap`] of a trap made here from its code (a handler then builds no `Trap`).
#[cold]
#[inline(never)]
pub(super) fn trap_at(cx: &mut Ctx, ip: *const Op, code: TrapCode) {
    set_trap(cx, ip, Trap::new(code));
}

/// Records why the run stops: `t`, raised by the current frame's instruction at `ip`.
///
/// The backtrace is taken here, on the trap's path, while every frame is still in place:
/// the current one at `ip`, its callers at their calls. A trap that brings one (a host
/// function returning the trap of a Wasm call it made, which saw the whole stack) keeps
/// it. An exception has none: it leaves a call only after unwinding the frames it
/// searched for a handler, and capturing at every throw would cost throw-and-catch code.
#[cold]
#[inline(never)]
pub(super) fn set_trap(cx: &mut Ctx, ip: *const Op, mut t: Trap) {
    // The backtrace reads the frames, and the run ends with them.
    cx.frames_in_store();
    // A stop that suspends the call (it set `paused`) is no error: a backtrace, which costs
    // time in proportion to the stack's depth, would be thrown away.
    let suspends = cx.suspendable && cx.store().paused.is_some();
    if t.backtrace.is_empty() && t.exception.is_none() && !suspends {
        let cur = cx.cur;
        t.backtrace = super::backtrace::capture(cx.store(), &cur, ip);
    }
    cx.trap = Some(t);
}

/// Calls macro `$backend` with every instruction and its handler: first the hand-written
/// ones as `[Name { fields } => handler [Proposal & ...], ...]` (the proposals, for those
/// a build can leave out: see [`compiled!`]), then the numeric families of
/// `spindle_ir::for_each_numeric!` (handled by `binary`, `binary_imm`, `unary`, `load`,
/// `store`, and the same with the accumulator as operand: `binary_acc` ...). A backend that leaves an instruction out does not compile (the portable
/// backend's `match` is exhaustive).
macro_rules! with_handlers {
    ($backend:ident) => {
        spindle_ir::for_each_numeric!($backend, [
            Trap { code } => trap_op,
            ZeroLocals { first, len, to } => zero_locals,
            Br { to } => br,
            BrIfEqz { cond, to } => br_if_eqz,
            BrIfNez { cond, to } => br_if_nez,
            BrIfEqzAcc { to } => br_if_eqz_acc [Super],
            BrIfNezAcc { to } => br_if_nez_acc [Super],
            BrTable { index, len } => br_table,
            BrTableAcc { len } => br_table_acc [Super],
            BrTableAccAddImm { imm, len } => br_table_acc_add_imm [Super],
            Copy { dst, src } => copy,
            CopyAcc { dst } => copy_acc [Super],
            I32LoadIndexed { dst, index, base, shift, offset } => i32_load_indexed [Super],
            I32LoadIndexedAcc { dst, base, shift, offset } => i32_load_indexed_acc [Super],
            CopyBr { dst, src, to } => copy_br [Super],
            CopyMany { dst, src, len } => copy_many,
            Const32 { dst, value } => const32,
            Copy2 { dst, src, dst2, src2 } => copy2 [Super],
            Const32x2 { dst, value, dst2, value2 } => const32x2 [Super],
            CopyConst32 { dst, src, dst2, value2 } => copy_const32 [Super],
            Const32Copy { dst, value, dst2, src2 } => const32_copy [Super],
            Const64 { dst, value } => const64,
            I32AddImmBrIfNez { dst, a, imm, to } => i32_add_imm_br_if_nez [Super],
            I32AddImmBrIfNe { dst, a, imm, b, to } => i32_add_imm_br_if_ne [Super],
            I32AddImmBrIfLtS { dst, a, imm, b, to } => i32_add_imm_br_if_lt_s [Super],
            I32AddImm16BrIfNe { dst, a, b, imm, to } => i32_add_imm16_br_if_ne [Super],
            I32AddImm16BrIfLtS { dst, a, b, imm, to } => i32_add_imm16_br_if_lt_s [Super],
            Return { src, len } => ret,
            Return1 { src } => ret1,
            Return1Acc {} => ret1_acc [Super],
            Call { func, base } => call,
            CallModule { base, callee } => call_module,
            CallIndirect { ty, table, index, base } => call_indirect,
            CallIndirect0 { ty, index, base } => call_indirect0 [Super],
            ReturnCall { func, base } => return_call [TailCall],
            ReturnCallIndirect { ty, table, index, base } => return_call_indirect [TailCall],
            I64Add128 { dst, a, b, c, d } => i64_add128 [WideArith],
            I64Sub128 { dst, a, b, c, d } => i64_sub128 [WideArith],
            I64MulWideS { dst, a, b } => i64_mul_wide_s [WideArith],
            I64MulWideU { dst, a, b } => i64_mul_wide_u [WideArith],
            Throw { tag, base } => throw_op [Exceptions],
            ThrowRef { exn } => throw_ref [Exceptions],
            CallRef { func, base } => call_ref [FuncRefs],
            ReturnCallRef { func, base } => return_call_ref [TailCall & FuncRefs],
            BrIfNull { r, to } => br_if_null [FuncRefs],
            BrIfNonNull { r, to } => br_if_non_null [FuncRefs],
            Select { dst, cond, a, b } => select,
            SelectAcc { dst, a, b } => select_acc [Super],
            GlobalGet { dst, idx } => global_get,
            GlobalSet { src, idx } => global_set,
            GlobalSetAcc { idx } => global_set_acc [Super],
            MemorySize { dst } => memory_size,
            MemoryGrow { dst, delta } => memory_grow_op,
            MemoryFill { dst, value, len } => memory_fill,
            MemoryCopy { dst, src, len } => memory_copy,
            MemoryInit { seg, dst, src, len } => memory_init,
            DataDrop { seg } => data_drop,
            LoadMem { dst, addr, kind, mem, offset } => load_mem [OtherMemories],
            StoreMem { addr, value, width, mem, offset } => store_mem [OtherMemories],
            MemorySizeMem { dst, mem } => memory_size_mem [OtherMemories],
            AtomicRmw { dst, addr, value, op, mem, offset } => atomic_rmw [Threads],
            AtomicCmpxchg { dst, addr, expected, replacement, width, mem, offset } => atomic_cmpxchg [Threads],
            AtomicWait { dst, addr, expected, timeout, wide, mem, offset } => atomic_wait [Threads],
            AtomicNotify { dst, addr, count, mem, offset } => atomic_notify [Threads],
            MemoryGrowMem { dst, delta, mem } => memory_grow_mem [OtherMemories],
            MemoryFillMem { dst, value, len, mem } => memory_fill_mem [OtherMemories],
            MemoryCopyMem { dst, src, len, dst_mem, src_mem } => memory_copy_mem [OtherMemories],
            MemoryInitMem { dst, src, len, mem, seg } => memory_init_mem [OtherMemories],
            TableGet { dst, table, index } => table_get,
            TableSet { table, index, value } => table_set,
            TableSize { dst, table } => table_size,
            TableGrow { dst, table, init, delta } => table_grow_op,
            TableFill { table, dst, value, len } => table_fill,
            TableCopy { dst, src, len, dst_table, src_table } => table_copy,
            TableInit { dst, src, len, seg, table } => table_init,
            ElemDrop { seg } => elem_drop,
            RefFunc { dst, func } => ref_func,
            RefIsNull { dst, src } => ref_is_null,
            Fuel { amount } => fuel,
            Epoch {} => epoch,
            V128Const { dst, lo } => v128_const [Simd],
            Data { value } => data_slot [Simd],
            Ext {} => ext_slot,
            I8x16Shuffle { dst, a, b, lo } => i8x16_shuffle [Simd],
            Copy128 { dst, src } => copy128 [Simd],
            Select128 { dst, cond, a, b } => select128 [Simd],
            GlobalGet128 { dst, idx } => global_get128 [Simd],
            GlobalSet128 { src, idx } => global_set128 [Simd],
            V128Store { addr, value, imm, offset } => v128_store [Simd],
            V128LoadMem { dst, addr, kind, mem, offset } => v128_load_mem [Simd & OtherMemories],
            V128StoreMem { addr, value, mem, offset } => v128_store_mem [Simd & OtherMemories],
            V128LoadLane { dst, src, addr, width, lane, mem } => v128_load_lane [Simd],
            V128StoreLane { addr, value, width, lane, mem } => v128_store_lane [Simd],
            StructNew { dst, base, len, ty } => struct_new [Gc],
            StructNewDefault { dst, len, ty } => struct_new_default [Gc],
            StructGet { dst, obj, field, ext } => struct_get [Gc],
            StructSet { obj, value, field, cells } => struct_set [Gc],
            ArrayNew { dst, init, len, cells, ty } => array_new [Gc],
            ArrayNewDefault { dst, len, cells, ty } => array_new_default [Gc],
            ArrayNewFixed { dst, base, cells, n, ty } => array_new_fixed [Gc],
            ArrayNewData { dst, offset, len, seg, ty } => array_new_data [Gc],
            ArrayNewElem { dst, offset, len, seg, ty } => array_new_elem [Gc],
            ArrayGet { dst, arr, index, ext } => array_get [Gc],
            ArraySet { arr, index, value, cells } => array_set [Gc],
            ArrayLen { dst, arr } => array_len [Gc],
            ArrayFill { arr, offset, value, len, cells } => array_fill [Gc],
            ArrayCopy { dst, dst_off, src, src_off, len, cells } => array_copy [Gc],
            ArrayInitData { arr, dst_off, src_off, len, bytes, seg } => array_init_data [Gc],
            ArrayInitElem { arr, dst_off, src_off, len, seg } => array_init_elem [Gc],
            RefI31 { dst, src } => ref_i31 [Gc],
            I31Get { dst, src, signed } => i31_get [Gc],
            RefTest { dst, r, flags, target } => ref_test [Gc],
            RefCast { r, flags, target } => ref_cast [Gc],
            BrOnCast { r, flags, target, to } => br_on_cast [Gc],
            StructNewDesc { dst, base, len, ty } => struct_new_desc [Gc],
            StructNewDefaultDesc { dst, desc, len, ty } => struct_new_default_desc [Gc],
            RefGetDesc { dst, obj } => ref_get_desc [Gc],
            RefCastDescEq { r, desc, flags } => ref_cast_desc_eq [Gc],
            BrOnCastDescEq { r, desc, flags, to } => br_on_cast_desc_eq [Gc],
        ]);
    };
}
pub(super) use with_handlers;

/// Whether the handler of an instruction of proposals `$p & ...` (none: of the core) is
/// compiled in: a constant (`spindle_validate::compiled_in`; `OtherMemories` stands for
/// `spindle_validate::other_memories_compiled_in`, the `…Mem` instructions' condition, and
/// `Super` for `spindle_ir::SUPERINSTRUCTIONS`, the superinstructions' and accumulator
/// forms'). The translator never emits an instruction whose proposal is left out, so the backends
/// put [`not_compiled`] in place of its handler, and the handler's code is dead.
macro_rules! compiled {
    () => {
        true
    };
    ($($p:ident)&+) => {
        true $(&& compiled!(@one $p))+
    };
    (@one Super) => {
        spindle_ir::SUPERINSTRUCTIONS
    };
    (@one OtherMemories) => {
        spindle_validate::other_memories_compiled_in()
    };
    (@one $p:ident) => {
        spindle_validate::compiled_in(spindle_decode::Proposal::$p)
    };
}
pub(super) use compiled;

/// Whether the handler of SIMD family instruction `$name` is compiled in: with `simd`, but
/// for relaxed SIMD's, which also need `relaxed-simd`. The proposal names each of its
/// instructions `….relaxed_…` (`I8x16RelaxedSwizzle`, `F32x4RelaxedMadd`, ...), and the
/// families (`spindle_ir::for_each_numeric!`) list the two together, so the name decides.
macro_rules! simd_compiled {
    ($name:ident) => {
        compiled!(Simd)
            && (compiled!(RelaxedSimd)
                || !const { crate::interp::handlers::is_relaxed(stringify!($name)) })
    };
}
pub(super) use simd_compiled;

/// Whether an instruction's name is a relaxed SIMD one's (contains `Relaxed`).
pub(super) const fn is_relaxed(name: &str) -> bool {
    let (name, word) = (name.as_bytes(), b"Relaxed");
    let mut i = 0;
    while i + word.len() <= name.len() {
        let mut j = 0;
        while j < word.len() && name[i + j] == word[j] {
            j += 1;
        }
        if j == word.len() {
            return true;
        }
        i += 1;
    }
    false
}

/// Stands for the handler of an instruction whose proposal is not compiled in. Never
/// reached (the translator refuses such operators); a trap if it were.
#[cold]
#[inline(never)]
pub(super) fn not_compiled(s: &mut State, cx: &mut Ctx) -> Flow {
    trap(s, cx, TrapCode::Unreachable)
}

// ----- numeric -----

/// Writes an operation's result to `dst` and goes on, or traps.
#[cfg_attr(not(debug_assertions), inline(always))]
fn result(s: &mut State, cx: &mut Ctx, dst: Dst, r: Result<u64, TrapCode>) -> Flow {
    match r {
        Ok(v) => {
            s.w_result(dst, v);
            s.next()
        }
        Err(code) => trap(s, cx, code),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn binary(s: &mut State, cx: &mut Ctx, op: BinOp, dst: Dst, a: Reg, b: Reg) -> Flow {
    let r = num::binary(op, s.r(a), s.r(b));
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn binary_acc(s: &mut State, cx: &mut Ctx, op: BinOp, dst: Dst, b: Reg) -> Flow {
    let r = num::binary(op, s.acc, s.r(b));
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn binary_acc_b(s: &mut State, cx: &mut Ctx, op: BinOp, dst: Dst, a: Reg) -> Flow {
    let r = num::binary(op, s.r(a), s.acc);
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn binary_imm_acc(s: &mut State, cx: &mut Ctx, op: BinOp, dst: Dst, imm: i32) -> Flow {
    let r = num::binary(op, s.acc, num::imm_operand(imm));
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn unary_acc(s: &mut State, cx: &mut Ctx, op: spindle_ir::UnOp, dst: Dst) -> Flow {
    let r = num::unary(op, s.acc);
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn binary_imm(
    s: &mut State,
    cx: &mut Ctx,
    op: BinOp,
    dst: Dst,
    a: Reg,
    imm: i32,
) -> Flow {
    let r = num::binary(op, s.r(a), num::imm_operand(imm));
    result(s, cx, dst, r)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn unary(s: &mut State, cx: &mut Ctx, op: spindle_ir::UnOp, dst: Dst, src: Reg) -> Flow {
    let r = num::unary(op, s.r(src));
    result(s, cx, dst, r)
}

/// Width in bytes of a load kind.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn load_width(kind: u8) -> u64 {
    match kind {
        load::I32Load | load::F32Load | load::I64Load32S | load::I64Load32U => 4,
        load::I64Load | load::F64Load => 8,
        load::I32Load8S | load::I32Load8U | load::I64Load8S | load::I64Load8U => 1,
        _ => 2,
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn load(
    s: &mut State,
    cx: &mut Ctx,
    kind: u8,
    dst: Dst,
    addr: Reg,
    offset: u32,
) -> Flow {
    let base = s.r(addr);
    load_at(s, cx, kind, dst, base, offset, State::w_result)
}

/// A load at `(addr + imm) mod 2^32 + offset`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn load_add_imm(
    s: &mut State,
    cx: &mut Ctx,
    kind: u8,
    dst: Dst,
    addr: Reg,
    imm: i32,
    offset: u32,
) -> Flow {
    let base = (s.r(addr) as u32).wrapping_add(imm as u32) as u64;
    load_at(s, cx, kind, dst, base, offset, State::w_result)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn load_acc(s: &mut State, cx: &mut Ctx, kind: u8, dst: Dst, offset: u32) -> Flow {
    let base = s.acc;
    load_at(s, cx, kind, dst, base, offset, State::w_result)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i32_load_indexed(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    index: Reg,
    base: Reg,
    shift: u8,
    offset: u32,
) -> Flow {
    let index = s.r(index);
    indexed_load(s, cx, dst, index, base, shift, offset)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i32_load_indexed_acc(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    base: Reg,
    shift: u8,
    offset: u32,
) -> Flow {
    let index = s.acc;
    indexed_load(s, cx, dst, index, base, shift, offset)
}

/// `i32.load offset (base + (index << shift))`, standing for three instructions.
#[cfg_attr(not(debug_assertions), inline(always))]
fn indexed_load(
    s: &mut State,
    cx: &mut Ctx,
    dst: Dst,
    index: u64,
    base: Reg,
    shift: u8,
    offset: u32,
) -> Flow {
    let scaled = (index as u32).wrapping_shl(shift as u32);
    let addr = (s.r(base) as u32).wrapping_add(scaled);
    let flow = load_at(s, cx, load::I32Load, dst, addr as u64, offset, State::w);
    if flow == Flow::Continue {
        // `load_at` moved past this instruction; skip the two it stands for too.
        // SAFETY: the translator fused three instructions, the last of them not the code's
        // last (that is a `Return`).
        s.ip = unsafe { s.ip.add(2) };
    }
    flow
}

/// A load of kind `kind` from `base + offset`, `base` being the address operand's bits,
/// whose value `write` puts in `dst`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn load_at(
    s: &mut State,
    cx: &mut Ctx,
    kind: u8,
    dst: Dst,
    base: u64,
    offset: u32,
    write: impl FnOnce(&mut State, Dst, u64),
) -> Flow {
    let addr = (base as u32 as u64) + offset as u64;
    let width = load_width(kind);
    if addr + width > s.mem_len as u64 {
        return trap(s, cx, TrapCode::MemoryOutOfBounds);
    }
    // SAFETY: `addr + width <= mem_len` was just checked, and `mem` has `mem_len` bytes
    // (invariants of `State`).
    let raw = unsafe {
        let p = s.mem.add(addr as usize);
        match width {
            1 => p.read() as u64,
            2 => p.cast::<u16>().read_unaligned().to_le() as u64,
            4 => p.cast::<u32>().read_unaligned().to_le() as u64,
            _ => p.cast::<u64>().read_unaligned().to_le(),
        }
    };
    write(s, dst, extend_loaded(kind, raw));
    s.next()
}

/// The register value of a load of kind `kind` whose bytes, zero-extended, are `raw`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn extend_loaded(kind: u8, raw: u64) -> u64 {
    match kind {
        load::I32Load8S => raw as u8 as i8 as i32 as u32 as u64,
        load::I32Load16S => raw as u16 as i16 as i32 as u32 as u64,
        load::I64Load8S => raw as u8 as i8 as i64 as u64,
        load::I64Load16S => raw as u16 as i16 as i64 as u64,
        load::I64Load32S => raw as u32 as i32 as i64 as u64,
        _ => raw,
    }
}

/// A store of the low `width` bytes of `value`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn store(
    s: &mut State,
    cx: &mut Ctx,
    width: u8,
    addr: Reg,
    value: Reg,
    offset: u32,
) -> Flow {
    let (base, value) = (s.r(addr), s.r(value));
    store_at(s, cx, width, base, value, offset)
}

/// A store of the accumulator's low `width` bytes.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn store_acc(s: &mut State, cx: &mut Ctx, width: u8, addr: Reg, offset: u32) -> Flow {
    let (base, value) = (s.r(addr), s.acc);
    store_at(s, cx, width, base, value, offset)
}

/// A store of the low `width` bytes of `value` at `(addr + imm) mod 2^32 + offset`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn store_add_imm(
    s: &mut State,
    cx: &mut Ctx,
    width: u8,
    addr: Reg,
    value: Reg,
    imm: i32,
    offset: u32,
) -> Flow {
    let base = (s.r(addr) as u32).wrapping_add(imm as u32) as u64;
    let value = s.r(value);
    store_at(s, cx, width, base, value, offset)
}

/// A store of the low `width` bytes of `value` at the accumulator's address.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn store_acc_addr(
    s: &mut State,
    cx: &mut Ctx,
    width: u8,
    value: Reg,
    offset: u32,
) -> Flow {
    let (base, value) = (s.acc, s.r(value));
    store_at(s, cx, width, base, value, offset)
}

/// A store of the low `width` bytes of `value` at `base + offset`, `base` being the
/// address operand's bits.
#[cfg_attr(not(debug_assertions), inline(always))]
fn store_at(s: &mut State, cx: &mut Ctx, width: u8, base: u64, value: u64, offset: u32) -> Flow {
    let addr = (base as u32 as u64) + offset as u64;
    if addr + width as u64 > s.mem_len as u64 {
        return trap(s, cx, TrapCode::MemoryOutOfBounds);
    }
    // SAFETY: `addr + width <= mem_len` was just checked (invariants of `State`).
    unsafe {
        let p = s.mem.add(addr as usize);
        match width {
            1 => p.write(value as u8),
            2 => p.cast::<u16>().write_unaligned((value as u16).to_le()),
            4 => p.cast::<u32>().write_unaligned((value as u32).to_le()),
            _ => p.cast::<u64>().write_unaligned(value.to_le()),
        }
    }
    s.next()
}

// ----- control -----

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn trap_op(s: &mut State, cx: &mut Ctx, code: TrapCode) -> Flow {
    trap(s, cx, code)
}

/// A function's entry when it has locals to zero (see `ExecFunc::entry`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn zero_locals(s: &mut State, _cx: &mut Ctx, first: Reg, len: u16, to: Target) -> Flow {
    for i in first.0 as usize..first.0 as usize + len as usize {
        // SAFETY: the registers are the callee's declared locals, inside its frame (the
        // call checked that the frame lies within the stack). A volatile store keeps this
        // a few moves rather than a call to `memset`.
        unsafe { s.regs.add(i).write_volatile(0) };
    }
    s.jump(to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br(s: &mut State, _cx: &mut Ctx, to: Target) -> Flow {
    s.jump(to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_eqz(s: &mut State, _cx: &mut Ctx, cond: Reg, to: Target) -> Flow {
    if s.r(cond) as u32 == 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_nez(s: &mut State, _cx: &mut Ctx, cond: Reg, to: Target) -> Flow {
    if s.r(cond) as u32 != 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_eqz_acc(s: &mut State, _cx: &mut Ctx, to: Target) -> Flow {
    if s.acc as u32 == 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_nez_acc(s: &mut State, _cx: &mut Ctx, to: Target) -> Flow {
    if s.acc as u32 != 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_null(s: &mut State, _cx: &mut Ctx, r: Reg, to: Target) -> Flow {
    if s.r(r) == 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_if_non_null(s: &mut State, _cx: &mut Ctx, r: Reg, to: Target) -> Flow {
    if s.r(r) != 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

/// A fused compare-and-branch on operand values `a` and `b` (`op` is an integer
/// comparison, a constant once inlined into each instruction's handler).
#[cfg_attr(not(debug_assertions), inline(always))]
fn br_cmp(s: &mut State, op: BinOp, a: u64, b: u64, to: Target) -> Flow {
    match num::binary(op, a, b) {
        Ok(0) => s.next(),
        _ => s.branch(to),
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_cmp_regs(s: &mut State, op: BinOp, a: Reg, b: Reg, to: Target) -> Flow {
    let (a, b) = (s.r(a), s.r(b));
    br_cmp(s, op, a, b, to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_cmp_acc(s: &mut State, op: BinOp, b: Reg, to: Target) -> Flow {
    let (a, b) = (s.acc, s.r(b));
    br_cmp(s, op, a, b, to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_cmp_imm(s: &mut State, op: BinOp, a: Reg, imm: i32, to: Target) -> Flow {
    let a = s.r(a);
    br_cmp(s, op, a, num::imm_operand(imm), to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_cmp_imm_acc(s: &mut State, op: BinOp, imm: i32, to: Target) -> Flow {
    let a = s.acc;
    br_cmp(s, op, a, num::imm_operand(imm), to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_table(s: &mut State, _cx: &mut Ctx, index: Reg, len: u32) -> Flow {
    let i = s.r(index) as u32;
    br_table_to(s, i, len)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_table_acc(s: &mut State, _cx: &mut Ctx, len: u32) -> Flow {
    let i = s.acc as u32;
    br_table_to(s, i, len)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn br_table_acc_add_imm(s: &mut State, _cx: &mut Ctx, imm: i32, len: u32) -> Flow {
    let i = (s.acc as u32).wrapping_add(imm as u32);
    br_table_to(s, i, len)
}

#[cfg_attr(not(debug_assertions), inline(always))]
fn br_table_to(s: &mut State, index: u32, len: u32) -> Flow {
    // The `len + 1` `Br`s follow; an index past the end takes the last (the default). The
    // backend follows the chosen `Br` rather than dispatching to it.
    let i = index.min(len);
    // SAFETY: the translator emits `len + 1` instructions after `BrTable`.
    s.ip = unsafe { s.ip.add(1 + i as usize) };
    Flow::Table
}

/// Moves `s` from the `Br` entry of a `br_table` to its target (`Flow::Table`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn follow_table_entry(s: &mut State) {
    // SAFETY: `ip` is at a table entry (`br_table_to`), which is a `Br` to an instruction
    // of the same code: the translator keeps every entry a `Br` (`thread_jumps`), and
    // `ExecFunc::new` checks that each is one, with its target inside the code.
    let to = unsafe { super::code::handler_field!(Br, to, s.ip) };
    s.jump(to);
}

/// An `Ext` run: a call returned to it (a wide instruction steps over its own).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ext_slot(s: &mut State, _cx: &mut Ctx) -> Flow {
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg) -> Flow {
    let v = s.r(src);
    s.w(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy_acc(s: &mut State, _cx: &mut Ctx, dst: Dst) -> Flow {
    let v = s.acc;
    s.w(dst, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy_br(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg, to: Target) -> Flow {
    let v = s.r(src);
    s.w(dst, v);
    s.jump(to)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy_many(s: &mut State, _cx: &mut Ctx, dst: Dst, src: Reg, len: u16) -> Flow {
    // SAFETY: both ranges lie within the frame (translator); `ptr::copy` allows overlap.
    unsafe {
        core::ptr::copy(
            s.regs.add(src.0 as usize),
            s.regs.add(dst.0 as usize),
            len as usize,
        )
    };
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn const32(s: &mut State, _cx: &mut Ctx, dst: Dst, value: u32) -> Flow {
    s.w(dst, value as u64);
    s.next()
}

// The paired moves run as the two moves would, in order (the second may read what the
// first wrote), the accumulator ending with the second's value.

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy2(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    src: Reg,
    dst2: Dst,
    src2: Reg,
) -> Flow {
    let v = s.r(src);
    s.w(dst, v);
    let v = s.r(src2);
    s.w(dst2, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn const32x2(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    value: u32,
    dst2: Dst,
    value2: u32,
) -> Flow {
    s.w(dst, value as u64);
    s.w(dst2, value2 as u64);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn copy_const32(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    src: Reg,
    dst2: Dst,
    value2: u32,
) -> Flow {
    let v = s.r(src);
    s.w(dst, v);
    s.w(dst2, value2 as u64);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn const32_copy(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    value: u32,
    dst2: Dst,
    src2: Reg,
) -> Flow {
    s.w(dst, value as u64);
    let v = s.r(src2);
    s.w(dst2, v);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn const64(s: &mut State, _cx: &mut Ctx, dst: Dst, value: u64) -> Flow {
    s.w(dst, value);
    s.next()
}

/// The sum of a loop latch (`I32AddImmBrIf…`), written to `dst` and the accumulator.
/// `dst` is a register, never [`Dst::ACC`]: `Instr::fused_pair` makes a latch only of an
/// `I32AddImm` into a register (so there is no test of it here, in every loop's latch).
#[cfg_attr(not(debug_assertions), inline(always))]
fn latch_sum(s: &mut State, dst: Dst, a: Reg, imm: i32) -> u32 {
    let v = (s.r(a) as u32).wrapping_add(imm as u32);
    s.w(dst, v as u64);
    v
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i32_add_imm_br_if_nez(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    a: Reg,
    imm: i32,
    to: Target,
) -> Flow {
    if latch_sum(s, dst, a, imm) != 0 {
        s.branch(to)
    } else {
        s.next()
    }
}

/// A latch's sum, then its branch on `sum op b` (`b` read after the sum is written).
#[cfg_attr(not(debug_assertions), inline(always))]
fn latch_br_cmp(s: &mut State, op: BinOp, dst: Dst, a: Reg, imm: i32, b: Reg, to: Target) -> Flow {
    let v = latch_sum(s, dst, a, imm);
    let b = s.r(b);
    br_cmp(s, op, v as u64, b, to)
}

/// The handlers of the latches whose bound is a register: `latch_br_cmp` with their
/// comparison. `$imm` is the increment's type: the 16-bit forms order their fields
/// differently (the branch alone in the `Ext`), so each form lists its parameters.
macro_rules! latch_br_cmp_handlers {
    ($($name:ident($dst:ident, $a:ident, $imm:ident, $b:ident, $to:ident; $($p:ident: $t:ty),*) => $op:ident),*) => { $(
        #[cfg_attr(not(debug_assertions), inline(always))]
        pub(super) fn $name(s: &mut State, _cx: &mut Ctx, $($p: $t),*) -> Flow {
            latch_br_cmp(s, BinOp::$op, $dst, $a, $imm.into(), $b, $to)
        }
    )* };
}
latch_br_cmp_handlers!(
    i32_add_imm_br_if_ne(dst, a, imm, b, to; dst: Dst, a: Reg, imm: i32, b: Reg, to: Target) => I32Ne,
    i32_add_imm_br_if_lt_s(dst, a, imm, b, to; dst: Dst, a: Reg, imm: i32, b: Reg, to: Target) => I32LtS,
    i32_add_imm16_br_if_ne(dst, a, imm, b, to; dst: Dst, a: Reg, b: Reg, imm: i16, to: Target) => I32Ne,
    i32_add_imm16_br_if_lt_s(dst, a, imm, b, to; dst: Dst, a: Reg, b: Reg, imm: i16, to: Target) => I32LtS
);

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn select(s: &mut State, _cx: &mut Ctx, dst: Dst, cond: Reg, a: Reg, b: Reg) -> Flow {
    // Both values are read and one kept by a conditional move: branching on `cond` (or
    // picking which register to read, LLVM's choice without the hint) puts a load that
    // waits on `cond` on the result's path, ~10 cycles more on chains of selects (CRCs).
    // (Volatile reads: with plain ones LLVM moves the choice back before one load. The
    // condition first, so that its field's register is free for the values'.)
    // SAFETY: as in `State::r`: the translator's registers lie within the frame.
    let c = unsafe { s.regs.add(cond.0 as usize).read_volatile() } as u32 != 0;
    select_on(s, c, dst, a, b)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn select_acc(s: &mut State, _cx: &mut Ctx, dst: Dst, a: Reg, b: Reg) -> Flow {
    let c = s.acc as u32 != 0;
    select_on(s, c, dst, a, b)
}

/// `dst = if c { a } else { b }`, the rest of `select` once its condition is known.
#[cfg_attr(not(debug_assertions), inline(always))]
fn select_on(s: &mut State, c: bool, dst: Dst, a: Reg, b: Reg) -> Flow {
    // SAFETY: as in `State::r`: the translator's registers lie within the frame.
    let (x, y) = unsafe {
        let r = |reg: Reg| s.regs.add(reg.0 as usize).read_volatile();
        (r(a), r(b))
    };
    let v = core::hint::select_unpredictable(c, x, y);
    s.w(dst, v);
    s.next()
}

/// `Return`: any number of results (one takes `Return1`).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ret(s: &mut State, cx: &mut Ctx, src: Reg, len: u16) -> Flow {
    if src.0 != 0 {
        for i in 0..len as usize {
            // SAFETY: `src + len` registers lie within the frame (translator); copying
            // upwards from 0 is right for overlapping ranges as `src > 0`. Volatile
            // accesses keep this a loop rather than a call to `memmove`.
            unsafe {
                let v = s.regs.add(src.0 as usize + i).read_volatile();
                s.regs.add(i).write_volatile(v);
            }
        }
    }
    pop_frame(s, cx)
}

/// `Return1`: one result.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ret1(s: &mut State, cx: &mut Ctx, src: Reg) -> Flow {
    // (A copy onto itself when `src` is register 0: cheaper than testing for it.)
    let v = s.r(src);
    // SAFETY: register 0 is in the frame (a function returning a value has one).
    unsafe { *s.regs = v };
    pop_frame(s, cx)
}

/// `Return1Acc`: the accumulator as the one result.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn ret1_acc(s: &mut State, cx: &mut Ctx) -> Flow {
    // SAFETY: register 0 is in the frame (a function returning a value has one).
    unsafe { *s.regs = s.acc };
    pop_frame(s, cx)
}

/// The return itself, once the results are in place: back to the caller's frame, or out
/// of the run at the frame it entered with.
#[cfg_attr(not(debug_assertions), inline(always))]
fn pop_frame(s: &mut State, cx: &mut Ctx) -> Flow {
    let callee_mem = cx.cur.mem0;
    let top = cx.top;
    if top as usize <= cx.entry_top as usize {
        return Flow::Exit;
    }
    debug_assert!((top as usize) < cx.frames_limit as usize);
    // SAFETY: `top` is above the run's entry record, so a record a call of this run wrote
    // (`Ctx::top`); read once, as the top drops below it (a pop: `Frame` has no
    // destructor, and `store.frames`' length is set from `top` when read).
    let f = unsafe { top.read() };
    cx.top = top.wrapping_sub(1);
    // (`stack_top` is not kept up to date by calls and returns: see `push_frame`.)
    cx.cur = f.caller;
    cx.base = f.base;
    s.ip = f.ip;
    s.regs = cx.stack.wrapping_add(f.base);
    // The same memory keeps its (current) view; another one is looked up.
    if f.caller.mem0 != callee_mem {
        s.sync_mem(cx);
    }
    Flow::Continue
}

/// `call`, as the interpreter encodes it when the callee's entry in the module's code table
/// has a 48-bit address (always, on the targets of the threaded backend): see
/// [`call_module`]. This form is for the rest.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call(s: &mut State, cx: &mut Ctx, func: u32, base: Reg) -> Flow {
    // SAFETY: `cx.cur.code` is valid (see `Current::code`), and `func` indexes the module's
    // function space (the validator checked it), which is its code table's length.
    let entry = unsafe { &*(*cx.cur.code).module_code.add(func as usize) };
    call_entry(s, cx, entry, base)
}

/// `call` with the address of the callee's entry in the module's code table in the
/// instruction, which takes two dependent loads (the running code, its table) off the
/// call's way to its callee.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_module(s: &mut State, cx: &mut Ctx, base: Reg, callee: Addr48) -> Flow {
    // On a little-endian machine `callee` (little-endian bytes) is the body's upper six
    // bytes: one load and a shift (a load of its own takes two loads and two more
    // operations; the compiler then drops it).
    const _: () = assert!(
        spindle_ir::slot::CallModule::AT.base == 8 && spindle_ir::slot::CallModule::AT.callee == 10
    );
    let address = if cfg!(target_endian = "little") {
        // SAFETY: `ip` points at this instruction (invariants of `State`), whose body is
        // its eight bytes from place 8.
        let body: u64 = unsafe { field(s.ip, 8) };
        (body >> 16) as usize
    } else {
        callee.get()
    };
    // SAFETY: the encoder wrote the address of an entry of the module's code table
    // (`ExecFunc::new`), which lives as long as the module, so as long as this code.
    let entry = unsafe { &*(address as *const CodeEntry) };
    call_entry(s, cx, entry, base)
}

/// A call through the callee's entry in the module's code table: a function of the module
/// that is translated already is entered straight from there; an import, or a function not
/// translated yet, through the slow path (`call_func_slow`, which tries the store's
/// resolved callees first). Keeping the store's path out of the handler leaves the
/// handler registers enough that it saves fewer.
#[cfg_attr(not(debug_assertions), inline(always))]
fn call_entry(s: &mut State, cx: &mut Ctx, entry: &CodeEntry, base: Reg) -> Flow {
    use core::sync::atomic::Ordering;
    let code = entry.code.load(Ordering::Acquire);
    if code.is_null() {
        return Flow::Slow;
    }
    // Stored before `code` was (`CodeTable::set`).
    let start = entry.entry.load(Ordering::Relaxed);
    let frame_size = entry.frame_size.load(Ordering::Relaxed);
    call_in_module(s, cx, code, start, frame_size, base)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_indirect(
    s: &mut State,
    cx: &mut Ctx,
    ty: u32,
    table: u32,
    index: Reg,
    base: Reg,
) -> Flow {
    // The fast path: an initialised element of the right type; anything else (including
    // every trap) is the slow path's.
    let i = s.r(index);
    let t = match cx.indirect_table {
        (inst, tab, t) if inst == cx.cur.inst && tab == table => t,
        _ => {
            let t = table_at(cx, table);
            cx.indirect_table = (cx.cur.inst, table, t);
            t
        }
    };
    let store = cx.store();
    // All 64 bits: an i32 index is zero-extended in its register, and any other bits would
    // only miss here and send the call to the slow path, which reads the index by the
    // table's type.
    let callee = match table_entity(store, t).elems.get(position(i)) {
        Some(&elem) if elem != 0 => (elem - 1) as u32,
        _ => return Flow::Slow,
    };
    // A callee not resolved yet (or a host function) has type `u32::MAX` here: the slow
    // path checks it against the function entity.
    match store.callees.get(callee as usize) {
        Some(next) if next.ty == ty => call_func(s, cx, callee, base),
        _ => Flow::Slow,
    }
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn call_indirect0(s: &mut State, cx: &mut Ctx, ty: u32, index: Reg, base: Reg) -> Flow {
    call_indirect(s, cx, ty, 0, index, base)
}

// ----- wide arithmetic -----

/// Writes a 128-bit result: the high half to the register after `dst`, then the low half
/// to `dst` (so the accumulator holds `dst`'s value).
#[cfg_attr(not(debug_assertions), inline(always))]
fn write128(s: &mut State, dst: Dst, v: u128) -> Flow {
    s.w(Dst(dst.0 + 1), (v >> 64) as u64);
    s.w(dst, v as u64);
    s.next()
}

#[cfg_attr(not(debug_assertions), inline(always))]
fn pair(s: &State, lo: Reg, hi: Reg) -> u128 {
    (s.r(lo) as u128) | ((s.r(hi) as u128) << 64)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i64_add128(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    a: Reg,
    b: Reg,
    c: Reg,
    d: Reg,
) -> Flow {
    let v = pair(s, a, b).wrapping_add(pair(s, c, d));
    write128(s, dst, v)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i64_sub128(
    s: &mut State,
    _cx: &mut Ctx,
    dst: Dst,
    a: Reg,
    b: Reg,
    c: Reg,
    d: Reg,
) -> Flow {
    let v = pair(s, a, b).wrapping_sub(pair(s, c, d));
    write128(s, dst, v)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i64_mul_wide_s(s: &mut State, _cx: &mut Ctx, dst: Dst, a: Reg, b: Reg) -> Flow {
    let v = (s.r(a) as i64 as i128).wrapping_mul(s.r(b) as i64 as i128);
    write128(s, dst, v as u128)
}

#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn i64_mul_wide_u(s: &mut State, _cx: &mut Ctx, dst: Dst, a: Reg, b: Reg) -> Flow {
    let v = (s.r(a) as u128).wrapping_mul(s.r(b) as u128);
    write128(s, dst, v)
}

#[cfg(test)]
mod tests {
    use spindle_decode::Proposal;

    /// `simd_compiled!` tells relaxed SIMD's instructions by their names: the decoder's
    /// operator table, whose column says each one's proposal, must agree with the rule.
    #[test]
    fn relaxed_simd_instructions_are_those_named_relaxed() {
        macro_rules! check {
            ($( $prop:ident $prefix:literal $code:literal $name:ident $visit:ident
                { $($imm:ident : $ity:ty),* } [$($sig:tt)*] )*) => {
                let mut relaxed = 0;
                $(
                    let is_relaxed = Proposal::$prop == Proposal::RelaxedSimd;
                    assert_eq!(super::is_relaxed(stringify!($name)), is_relaxed, stringify!($name));
                    relaxed += usize::from(is_relaxed);
                )*
                assert_eq!(relaxed, 20, "relaxed SIMD has 20 instructions");
            };
        }
        spindle_decode::for_each_operator!(check);
    }
}
