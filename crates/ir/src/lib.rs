//! Spindle's register bytecode: what the translator produces and the interpreter runs.
//!
//! A function's frame is an array of 64-bit registers: its parameters and locals come first,
//! then one register per slot of the Wasm operand stack at its deepest. Operands name
//! registers of the current frame ([`Reg`]); results are written to a [`Dst`]. A call places
//! the callee's frame over the caller's registers that hold the arguments (`base`), so
//! arguments are never copied, and results come back in the same registers.
//!
//! [`for_each_instr!`] is the one table of instructions: the [`Instr`] enum, its name, its
//! disassembly ([`core::fmt::Display`]) and the result-register query [`Instr::dst_mut`] are
//! generated from it. Naming: the Wasm operator's name, then `Imm` when the second operand is
//! an immediate, `Acc` when an operand comes from the accumulator (the result of the
//! instruction just before), `AddImm` for a load or store whose address register gets a
//! wrapping immediate added; branch targets (`to`) are offsets in instructions from the
//! branch itself. A result written to [`Dst::ACC`] goes to the accumulator only.
//!
//! `Instr` is `#[repr(u16)]`: its first two bytes are the variant's index in the table, which
//! is also its [`Opcode`]; the interpreter's threaded dispatch reads them to find a handler.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use core::fmt;

/// A register of the current frame.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Reg(pub u16);

/// An address in 48 bits, little-endian (user-space addresses on x86_64 and aarch64 have
/// 47 or 48): a field that only the interpreter's encoder fills, never the translator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Addr48(pub [u8; 6]);

impl Addr48 {
    /// `address` in 48 bits, if it fits.
    pub fn new(address: usize) -> Option<Addr48> {
        let a = address as u64;
        if a >> 48 != 0 {
            return None;
        }
        let b = a.to_le_bytes();
        Some(Addr48([b[0], b[1], b[2], b[3], b[4], b[5]]))
    }

    /// The address.
    #[inline(always)]
    pub fn get(self) -> usize {
        let b = self.0;
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], 0, 0]) as usize
    }
}

impl fmt::Display for Addr48 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.get())
    }
}

/// A register an instruction writes its result to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Dst(pub u16);

impl Dst {
    /// Not a register: the result goes only to the accumulator, where the next instruction
    /// (an `…Acc` form) reads it. The translator uses it for a numeric instruction's result
    /// that nothing else reads (see [`Instr::can_result_in_acc`]), saving the store to the
    /// frame.
    pub const ACC: Dst = Dst(u16::MAX);
}

/// Why execution trapped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TrapCode {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    StackOverflow,
    OutOfFuel,
    NullReference,
    /// `call_ref` or `return_call_ref` of a null reference.
    NullFunctionReference,
    /// `throw_ref` of a null reference.
    NullExceptionReference,
    /// An exception no handler caught left the outermost Wasm frame of the call.
    UncaughtException,
    /// The store holds `StoreLimits::exceptions` exceptions already.
    ExceptionLimit,
    /// An atomic access at an address that is not a multiple of its width.
    UnalignedAtomic,
    /// `memory.atomic.wait` on a memory that is not shared.
    ExpectedSharedMemory,
    /// `memory.atomic.wait` without a timeout in a store no other thread can reach.
    WaitWouldBlock,
    UninitializedElement,
    UndefinedElement,
    /// A struct access through a null reference.
    NullStructReference,
    /// An array access through a null reference.
    NullArrayReference,
    /// `i31.get` of a null reference.
    NullI31Reference,
    /// An array index or range outside the array.
    ArrayOutOfBounds,
    /// `ref.cast` of a reference that does not have the type.
    CastFailure,
    /// An allocation would pass `StoreLimits::gc_heap`, or is too large.
    GcHeapExhausted,
    /// A descriptor operand (custom descriptors) is null.
    NullDescriptorReference,
    /// `ref.cast_desc_eq` of a reference without that descriptor.
    DescriptorCastFailure,
    /// A host function failed (its error is carried beside the trap).
    Host,
    /// The store's epoch deadline was reached (epoch interruption), with no callback to
    /// extend it, or the callback asked to yield in a call that cannot be resumed.
    Interrupt,
}

impl TrapCode {
    /// The message the spec tests expect.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::NullReference => "null reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::ExceptionLimit => "too many exceptions held",
            TrapCode::UnalignedAtomic => "unaligned atomic",
            TrapCode::ExpectedSharedMemory => "expected shared memory",
            TrapCode::WaitWouldBlock => {
                "wait would block forever: no other thread shares the store"
            }
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::NullStructReference => "null structure reference",
            TrapCode::NullArrayReference => "null array reference",
            TrapCode::NullI31Reference => "null i31 reference",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::CastFailure => "cast failure",
            TrapCode::NullDescriptorReference => "null descriptor reference",
            TrapCode::DescriptorCastFailure => "descriptor cast failure",
            TrapCode::GcHeapExhausted => "allocation failed: GC heap limit reached",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::Host => "host function error",
            TrapCode::Interrupt => "interrupt",
        }
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl fmt::Display for Dst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Dst::ACC {
            f.write_str("acc")
        } else {
            write!(f, "r{}", self.0)
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The embedding API hands trap codes to embedders as errors (wasmtime's `Trap`).
impl core::error::Error for TrapCode {}

/// wasmtime's names for the codes whose names differ here (usable in patterns too).
#[allow(non_upper_case_globals)]
impl TrapCode {
    /// [`TrapCode::Unreachable`].
    pub const UnreachableCodeReached: TrapCode = TrapCode::Unreachable;
    /// [`TrapCode::UnalignedAtomic`].
    pub const HeapMisaligned: TrapCode = TrapCode::UnalignedAtomic;
    /// [`TrapCode::ExpectedSharedMemory`].
    pub const AtomicWaitNonSharedMemory: TrapCode = TrapCode::ExpectedSharedMemory;
    /// [`TrapCode::GcHeapExhausted`].
    pub const AllocationTooLarge: TrapCode = TrapCode::GcHeapExhausted;
}

/// Field types of instructions that may be the result register.
pub trait AsDst {
    /// Whether the field is a result register (`Dst`).
    const IS_DST: bool = false;
    fn as_dst(&mut self) -> Option<&mut Dst>;
}

impl AsDst for Dst {
    const IS_DST: bool = true;
    #[inline]
    fn as_dst(&mut self) -> Option<&mut Dst> {
        Some(self)
    }
}

macro_rules! not_dst {
    ($($t:ty),*) => { $( impl AsDst for $t { #[inline] fn as_dst(&mut self) -> Option<&mut Dst> { None } } )* };
}
not_dst!(Reg, u8, u16, u32, u64, i16, i32, i64, TrapCode, Addr48);

/// Field types of instructions that may be an operand register.
pub trait AsReg {
    fn as_reg(&self) -> Option<Reg>;
}

impl AsReg for Reg {
    #[inline]
    fn as_reg(&self) -> Option<Reg> {
        Some(*self)
    }
}

macro_rules! not_reg {
    ($($t:ty),*) => { $( impl AsReg for $t { #[inline] fn as_reg(&self) -> Option<Reg> { None } } )* };
}
not_reg!(Dst, u8, u16, u32, u64, i16, i32, i64, TrapCode, BinOp, UnOp, Addr48);

/// Calls macro `$m` with the instruction table: `Name { field: Type, ... }` per line, each
/// documented. The binary and unary numeric instructions are listed by family in
/// [`for_each_numeric!`].
#[macro_export]
macro_rules! for_each_instr {
    ($m:ident) => {
        $crate::for_each_numeric!(@instr $m);
    };
}

/// The hand-written part of the instruction table, followed by the numeric instructions of
/// [`for_each_numeric!`] (used by [`for_each_instr!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __spindle_instr_table {
    ($m:ident binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
     unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }
     store { $($st:ident / $sta:ident / $stb:ident / $stw:ident)* }
     branch { $($cmp:ident / $brr:ident / $bra:ident / $bri:ident / $bria:ident)* }
     vunary { $($vu:ident)* } vbinary { $($vb:ident)* } vternary { $($vt:ident)* }
     vshift { $($vs:ident)* } vsplat { $($vsp:ident)* } vtest { $($vte:ident)* }
     vextract { $($vx:ident)* } vreplace { $($vr:ident)* } vload { $($vl:ident)* }) => {
        $m! {
            /// Traps with `code` (`unreachable`, and translated code that must trap).
            Trap { code: $crate::TrapCode }
            /// Zeroes the `len` registers from `first`, then continues `to` instructions
            /// from here. Not the translator's: the interpreter puts one after a
            /// function's code when the function has locals to zero
            /// (`CompiledFunc::zeroed`), and a call enters the function there, so
            /// that the call itself does no zeroing.
            ZeroLocals { first: $crate::Reg, len: u16, to: i32 }
            /// Continues `to` instructions from here.
            Br { to: i32 }
            /// Continues at `to` when `cond` (i32) is zero.
            BrIfEqz { cond: $crate::Reg, to: i32 }
            /// Continues at `to` when `cond` (i32) is not zero.
            BrIfNez { cond: $crate::Reg, to: i32 }
            /// Continues `to` instructions from here when the accumulator (i32) is zero.
            BrIfEqzAcc { to: i32 }
            /// Continues `to` instructions from here when the accumulator (i32) is not zero.
            BrIfNezAcc { to: i32 }
            /// Continues at the `index`-th of the `len` `Br` instructions that follow, or at
            /// the last (the default) when `index >= len`.
            BrTable { index: $crate::Reg, len: u32 }
            /// `BrTable` with the accumulator as index.
            BrTableAcc { len: u32 }
            /// `BrTable` with the accumulator plus `imm` (32-bit, wrapping) as index: an
            /// `I32AddImmAcc` or `I32SubImmAcc` into the accumulator fused with the
            /// `BrTableAcc` after it (a C `switch` whose cases do not start at 0).
            BrTableAccAddImm { imm: i32, len: u32 }
            /// `dst = src`.
            Copy { dst: $crate::Dst, src: $crate::Reg }
            /// `Copy` of the result the instruction before wrote: `dst = ` the accumulator
            /// (no load of a register just stored, which is on the critical path of a loop
            /// that carries a value from one local to another).
            CopyAcc { dst: $crate::Dst }
            /// `dst = src`, then continues `to` instructions from here (a `Copy` fused with the
            /// `Br` after it).
            CopyBr { dst: $crate::Dst, src: $crate::Reg, to: i32 }
            /// An indexed `i32.load`, the three instructions `tmp = index << shift`,
            /// `dst = base + tmp`, `dst = i32.load offset (dst)` in one, `tmp` being a
            /// temporary that nothing else reads (the translator fuses them; it then continues
            /// 3 instructions on, past the two it replaced).
            I32LoadIndexed { dst: $crate::Dst, index: $crate::Reg, base: $crate::Reg, shift: u8, offset: u32 }
            /// `I32LoadIndexed` with the index from the accumulator (`tmp = acc << shift`).
            I32LoadIndexedAcc { dst: $crate::Dst, base: $crate::Reg, shift: u8, offset: u32 }
            /// Copies `len` registers from `src..` to `dst..` (as if through a buffer).
            CopyMany { dst: $crate::Dst, src: $crate::Reg, len: u16 }
            /// `dst = value` (32 bits, zero-extended).
            Const32 { dst: $crate::Dst, value: u32 }
            /// `Copy { dst, src }`, then `Copy { dst: dst2, src: src2 }`: two adjacent moves
            /// in one (the translator's last pass pairs them; no pass after it asks for
            /// `dst2`).
            Copy2 { dst: $crate::Dst, src: $crate::Reg, dst2: $crate::Dst, src2: $crate::Reg }
            /// `Const32 { dst, value }`, then `Const32 { dst: dst2, value: value2 }`.
            Const32x2 { dst: $crate::Dst, value: u32, dst2: $crate::Dst, value2: u32 }
            /// `Copy { dst, src }`, then `Const32 { dst: dst2, value: value2 }`.
            CopyConst32 { dst: $crate::Dst, src: $crate::Reg, dst2: $crate::Dst, value2: u32 }
            /// `Const32 { dst, value }`, then `Copy { dst: dst2, src: src2 }`.
            Const32Copy { dst: $crate::Dst, value: u32, dst2: $crate::Dst, src2: $crate::Reg }
            /// `dst = value`.
            Const64 { dst: $crate::Dst, value: u64 }
            /// A counted loop's latch in one instruction: `I32AddImm { dst, a, imm }` (the
            /// sum also in the accumulator), then `BrIfNezAcc`: continues `to` instructions
            /// from here when the sum (i32) is not zero. Paired by the translator's last
            /// pass, as the four that follow.
            I32AddImmBrIfNez { dst: $crate::Dst, a: $crate::Reg, imm: i32, to: i32 }
            /// `I32AddImm { dst, a, imm }`, then `BrIfI32NeAcc { b, to }`: continues at `to`
            /// when the sum differs from `b` (read after `dst` is written). (`imm` before `a`:
            /// `Instr` is `repr(u16)`, so each kind's fields lie in this order, and this one
            /// packs them in 14 bytes.)
            I32AddImmBrIfNe { dst: $crate::Dst, imm: i32, a: $crate::Reg, b: $crate::Reg, to: i32 }
            /// `I32AddImm { dst, a, imm }`, then `BrIfI32LtSAcc { b, to }`: continues at `to`
            /// when the sum is less than `b`, signed.
            I32AddImmBrIfLtS { dst: $crate::Dst, imm: i32, a: $crate::Reg, b: $crate::Reg, to: i32 }
            /// `I32AddImmBrIfNe` with an increment that fits in 16 bits (nearly every
            /// counted loop's): its fields fill the first slot's body, which leaves the
            /// branch alone in the `Ext`, room for its target's address
            /// (`slot::TARGET_ADDRESS`: a taken branch then loads its next instruction's
            /// address rather than adding an offset to its own).
            I32AddImm16BrIfNe { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, imm: i16, to: i32 }
            /// `I32AddImmBrIfLtS` with an increment that fits in 16 bits.
            I32AddImm16BrIfLtS { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, imm: i16, to: i32 }
            /// Returns the `len` registers from `src` (copied to the frame's first registers).
            Return { src: $crate::Reg, len: u16 }
            /// `Return` of one register (most functions' return: a handler without the
            /// copy loop, whose registers every return would save and restore).
            Return1 { src: $crate::Reg }
            /// `Return1` of the accumulator: the result the instruction before computed.
            Return1Acc {}
            /// Calls function `func` of the instance; its frame starts at register `base`,
            /// which holds the arguments and receives the results.
            Call { func: u32, base: $crate::Reg }
            /// `Call` as the interpreter encodes it (never the translator): `callee` is the
            /// address of the callee's entry in the interpreter's code table of the module,
            /// so the call reaches its callee in one load from its own slot.
            CallModule { base: $crate::Reg, callee: $crate::Addr48 }
            /// Calls the function at `index` of table `table`, which must have the engine-wide
            /// type `ty`; the frame starts at `base`.
            CallIndirect { ty: u32, table: u32, index: $crate::Reg, base: $crate::Reg }
            /// `CallIndirect` through table 0 (every C function pointer's). Its fields fit
            /// one slot, where `CallIndirect`'s take two: the callee's return then lands on
            /// the next instruction, not on an `Ext` that costs a dispatch of its own.
            CallIndirect0 { ty: u32, index: $crate::Reg, base: $crate::Reg }
            /// `return_call`: the current frame becomes function `func`'s, with the arguments
            /// from register `base` moved to its start; the frame's caller gets the results.
            /// (A host function is called like `Call`; the translator follows this with the
            /// `Return` of its results.)
            ReturnCall { func: u32, base: $crate::Reg }
            /// `return_call_indirect` through table `table` with engine-wide type `ty`.
            ReturnCallIndirect { ty: u32, table: u32, index: $crate::Reg, base: $crate::Reg }
            /// `i64.add128`: the 128-bit sum of `(a, b)` and `(c, d)` (low, high halves),
            /// low half to `dst`, high half to the register after it.
            I64Add128 { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, c: $crate::Reg, d: $crate::Reg }
            /// `i64.sub128`, laid out as `I64Add128`.
            I64Sub128 { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, c: $crate::Reg, d: $crate::Reg }
            /// `i64.mul_wide_s`: the signed 128-bit product of `a` and `b`, low half to `dst`,
            /// high half to the register after it.
            I64MulWideS { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            /// `i64.mul_wide_u`, unsigned.
            I64MulWideU { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            /// `throw`: raises an exception of the instance's tag `tag` with the payload in
            /// the registers from `base`.
            Throw { tag: u32, base: $crate::Reg }
            /// `throw_ref`: raises the exception reference `exn` again (traps on null).
            ThrowRef { exn: $crate::Reg }
            /// `call_ref`: calls the function that reference `func` names (traps on null).
            CallRef { func: $crate::Reg, base: $crate::Reg }
            /// `return_call_ref`: the tail-call form of `CallRef` (see `ReturnCall`).
            ReturnCallRef { func: $crate::Reg, base: $crate::Reg }
            /// Continues `to` instructions from here when reference `r` is null.
            BrIfNull { r: $crate::Reg, to: i32 }
            /// Continues `to` instructions from here when reference `r` is not null.
            BrIfNonNull { r: $crate::Reg, to: i32 }
            /// `dst = if cond != 0 { a } else { b }`.
            Select { dst: $crate::Dst, cond: $crate::Reg, a: $crate::Reg, b: $crate::Reg }
            /// `Select` whose condition is the accumulator (a comparison just made).
            SelectAcc { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            /// `dst = global[idx]`.
            GlobalGet { dst: $crate::Dst, idx: u32 }
            /// `global[idx] = src`.
            GlobalSet { src: $crate::Reg, idx: u32 }
            /// `GlobalSet` of the accumulator (C's stack pointer, just moved).
            GlobalSetAcc { idx: u32 }
            /// `dst = memory.size` (memory 0, in pages).
            MemorySize { dst: $crate::Dst }
            /// `dst = memory.grow(delta)` (memory 0).
            MemoryGrow { dst: $crate::Dst, delta: $crate::Reg }
            /// `memory.fill(dst_addr, value, len)`.
            MemoryFill { dst: $crate::Reg, value: $crate::Reg, len: $crate::Reg }
            /// `memory.copy(dst_addr, src_addr, len)`.
            MemoryCopy { dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg }
            /// `memory.init(seg)(dst_addr, src_offset, len)`.
            MemoryInit { seg: u32, dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg }
            /// A load of kind `kind` (see [`load`]) from memory `mem` of the instance, any
            /// memory: 32- or 64-bit addresses as the memory has them, checked in 64 bits.
            /// Used for every memory but a 32-bit memory 0, which has the `…Load` family.
            LoadMem { dst: $crate::Dst, addr: $crate::Reg, kind: u8, mem: u8, offset: u64 }
            /// A store of the low `width` bytes of `value` to memory `mem` (see `LoadMem`).
            StoreMem { addr: $crate::Reg, value: $crate::Reg, width: u8, mem: u8, offset: u64 }
            /// An atomic read-modify-write of the low `op & 3` log2-width bytes at `addr +
            /// offset` of memory `mem` with `value` (`op >> 2`: add, sub, and, or, xor, xchg);
            /// `dst` gets the old value, zero-extended. Unaligned addresses trap.
            AtomicRmw { dst: $crate::Dst, addr: $crate::Reg, value: $crate::Reg, op: u8, mem: u8, offset: u32 }
            /// An atomic compare-exchange of `width` bytes: `dst` gets the old value, and
            /// `replacement` is stored when it equals `expected` (both truncated to the width).
            AtomicCmpxchg { dst: $crate::Dst, addr: $crate::Reg, expected: $crate::Reg, replacement: $crate::Reg, width: u8, mem: u8, offset: u32 }
            /// `memory.atomic.wait32` (`wide == 0`) or `wait64`: 1 when the value differs
            /// from `expected`, else 2 (timed out) at once (no other thread can wake
            /// the store's only one).
            AtomicWait { dst: $crate::Dst, addr: $crate::Reg, expected: $crate::Reg, timeout: $crate::Reg, wide: u8, mem: u8, offset: u32 }
            /// `memory.atomic.notify`: the number of waiters woken (always 0 here).
            AtomicNotify { dst: $crate::Dst, addr: $crate::Reg, count: $crate::Reg, mem: u8, offset: u32 }
            /// `dst = memory.size` of memory `mem`.
            MemorySizeMem { dst: $crate::Dst, mem: u16 }
            /// `dst = memory.grow(delta)` of memory `mem` (64-bit operands for a 64-bit one).
            MemoryGrowMem { dst: $crate::Dst, delta: $crate::Reg, mem: u16 }
            /// `memory.fill` of memory `mem`.
            MemoryFillMem { dst: $crate::Reg, value: $crate::Reg, len: $crate::Reg, mem: u16 }
            /// `memory.copy` from memory `src_mem` to memory `dst_mem`.
            MemoryCopyMem { dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg, dst_mem: u16, src_mem: u16 }
            /// `memory.init(seg)` of memory `mem`.
            MemoryInitMem { dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg, mem: u16, seg: u32 }
            /// `data.drop(seg)`.
            DataDrop { seg: u32 }
            /// `dst = table[idx][index]`.
            TableGet { dst: $crate::Dst, table: u32, index: $crate::Reg }
            /// `table[idx][index] = value`.
            TableSet { table: u32, index: $crate::Reg, value: $crate::Reg }
            /// `dst = table.size`.
            TableSize { dst: $crate::Dst, table: u32 }
            /// `dst = table.grow(init, delta)`.
            TableGrow { dst: $crate::Dst, table: u32, init: $crate::Reg, delta: $crate::Reg }
            /// `table.fill(dst_index, value, len)`.
            TableFill { table: u32, dst: $crate::Reg, value: $crate::Reg, len: $crate::Reg }
            /// `table.copy(dst_table, src_table)(dst_index, src_index, len)`.
            TableCopy { dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg, dst_table: u32, src_table: u32 }
            /// `table.init(seg, table)(dst_index, src_offset, len)`.
            TableInit { dst: $crate::Reg, src: $crate::Reg, len: $crate::Reg, seg: u32, table: u32 }
            /// `elem.drop(seg)`.
            ElemDrop { seg: u32 }
            /// `dst = ref.func func`.
            RefFunc { dst: $crate::Dst, func: u32 }
            /// `dst = (src == null)`.
            RefIsNull { dst: $crate::Dst, src: $crate::Reg }
            /// Charges `amount` fuel at the start of a basic block (emitted only when fuel
            /// metering is on).
            Fuel { amount: u32 }
            /// Checks the store's epoch counter against its deadline, at the same places as
            /// `Fuel` (emitted only when epoch interruption is on): when the deadline is
            /// reached the embedder's callback runs, or the run stops with `Interrupt`.
            Epoch {}
            /// `dst = v128 (lo, hi)`: the 128-bit constant's low half, the high half in the
            /// `Data` after it. (Here and in every SIMD instruction, a `v128` register names
            /// the first of the two consecutive registers that hold the value, low half
            /// first.)
            V128Const { dst: $crate::Dst, lo: u64 }
            /// The second 64-bit immediate of the instruction before it, which reads it and
            /// continues after it (never run itself). Keeps every instruction at 16 bytes:
            /// only `V128Const`, `I8x16Shuffle` and the lane accesses need more.
            Data { value: u64 }
            /// The second code slot of a wide instruction (one whose fields take more than
            /// the 8 bytes a slot has for them, [`slot::WIDE`]): holds the rest of its
            /// fields in the interpreter's code, and continues with the next instruction
            /// when run (a call returning to it; the wide instruction itself skips it).
            Ext {}
            /// `i8x16.shuffle`: byte `i` of `dst` is byte `lanes[i]` of `a ++ b`, the lane
            /// indices packed little-endian into `lo` (bytes 0-7) and the `Data` after it
            /// (bytes 8-15).
            I8x16Shuffle { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, lo: u64 }
            /// `dst = src` for a `v128` (two registers).
            Copy128 { dst: $crate::Dst, src: $crate::Reg }
            /// `dst = if cond != 0 { a } else { b }` for `v128` operands.
            Select128 { dst: $crate::Dst, cond: $crate::Reg, a: $crate::Reg, b: $crate::Reg }
            /// `dst = global[idx]` for a `v128` global.
            GlobalGet128 { dst: $crate::Dst, idx: u32 }
            /// `global[idx] = src` for a `v128` global.
            GlobalSet128 { src: $crate::Reg, idx: u32 }
            /// `v128.store` to memory 0 (32-bit) at `(addr + imm) mod 2^32 + offset` (`imm`
            /// absorbs an `i32.add` of a constant that computed the address, else 0).
            V128Store { addr: $crate::Reg, value: $crate::Reg, imm: i32, offset: u32 }
            /// A `v128` load of kind `kind` (see [`vload`]) from memory `mem`, any memory
            /// (the `vload` family is the fast form for a 32-bit memory 0).
            V128LoadMem { dst: $crate::Dst, addr: $crate::Reg, kind: u8, mem: u8, offset: u64 }
            /// `v128.store` to memory `mem`, any memory.
            V128StoreMem { addr: $crate::Reg, value: $crate::Reg, mem: u8, offset: u64 }
            /// `v128.loadN_lane`: `dst` is `src` with lane `lane` (of `width` bytes) replaced
            /// by the value loaded from memory `mem`.
            /// The offset is the `Data` after it.
            V128LoadLane { dst: $crate::Dst, src: $crate::Reg, addr: $crate::Reg, width: u8, lane: u8, mem: u8 }
            /// `v128.storeN_lane`: stores lane `lane` (of `width` bytes) of `value`.
            /// The offset is the `Data` after it.
            V128StoreLane { addr: $crate::Reg, value: $crate::Reg, width: u8, lane: u8, mem: u8 }
            /// `struct.new`: a struct of engine type `ty` whose `len` cells are the registers
            /// from `base` (fields in order; a `v128` takes two).
            StructNew { dst: $crate::Dst, base: $crate::Reg, len: u16, ty: u32 }
            /// `struct.new_default`: a struct of `len` zeroed cells.
            StructNewDefault { dst: $crate::Dst, len: u16, ty: u32 }
            /// `struct.get`: the field at cell `field` of struct `obj` (traps on null), read
            /// as [`gc_read`] `ext` says.
            StructGet { dst: $crate::Dst, obj: $crate::Reg, field: u32, ext: u8 }
            /// `struct.set`: `value` (`cells` registers) to the field at cell `field`.
            StructSet { obj: $crate::Reg, value: $crate::Reg, field: u32, cells: u8 }
            /// `array.new`: `len` elements of `cells` registers each, all `init`.
            ArrayNew { dst: $crate::Dst, init: $crate::Reg, len: $crate::Reg, cells: u8, ty: u32 }
            /// `array.new_default`: `len` zeroed elements.
            ArrayNewDefault { dst: $crate::Dst, len: $crate::Reg, cells: u8, ty: u32 }
            /// `array.new_fixed`: `n` elements from the registers from `base`.
            ArrayNewFixed { dst: $crate::Dst, base: $crate::Reg, cells: u8, n: u32, ty: u32 }
            /// `array.new_data`: `len` elements of array type `ty` from data segment `seg` at
            /// `offset` (each the element's storage size: read from the type when it runs).
            ArrayNewData { dst: $crate::Dst, offset: $crate::Reg, len: $crate::Reg, seg: u32, ty: u32 }
            /// `array.new_elem`: `len` references from element segment `seg` at `offset`.
            ArrayNewElem { dst: $crate::Dst, offset: $crate::Reg, len: $crate::Reg, seg: u32, ty: u32 }
            /// `array.get`: element `index` of `arr` (checked), read as `ext` says (see
            /// [`gc_read`]).
            ArrayGet { dst: $crate::Dst, arr: $crate::Reg, index: $crate::Reg, ext: u8 }
            /// `array.set`: element `index` of `arr` to `value` (`cells` registers).
            ArraySet { arr: $crate::Reg, index: $crate::Reg, value: $crate::Reg, cells: u8 }
            /// `array.len`.
            ArrayLen { dst: $crate::Dst, arr: $crate::Reg }
            /// `array.fill`: `len` elements of `arr` from `offset` to `value`.
            ArrayFill { arr: $crate::Reg, offset: $crate::Reg, value: $crate::Reg, len: $crate::Reg, cells: u8 }
            /// `array.copy`: `len` elements from `src` at `src_off` to `dst` at `dst_off`.
            ArrayCopy { dst: $crate::Reg, dst_off: $crate::Reg, src: $crate::Reg, src_off: $crate::Reg, len: $crate::Reg, cells: u8 }
            /// `array.init_data`: `len` elements of `arr` from `dst_off`, from data segment
            /// `seg` at `src_off` (`bytes` per element).
            ArrayInitData { arr: $crate::Reg, dst_off: $crate::Reg, src_off: $crate::Reg, len: $crate::Reg, bytes: u8, seg: u32 }
            /// `array.init_elem`: from element segment `seg`.
            ArrayInitElem { arr: $crate::Reg, dst_off: $crate::Reg, src_off: $crate::Reg, len: $crate::Reg, seg: u32 }
            /// `ref.i31`.
            RefI31 { dst: $crate::Dst, src: $crate::Reg }
            /// `i31.get_s` (`signed` 1) or `i31.get_u` (traps on null).
            I31Get { dst: $crate::Dst, src: $crate::Reg, signed: u8 }
            /// `ref.test`: 1 when reference `r` matches cast target `target` (see
            /// [`cast`]), else 0.
            RefTest { dst: $crate::Dst, r: $crate::Reg, flags: u8, target: u32 }
            /// `ref.cast`: traps with "cast failure" unless `r` matches.
            RefCast { r: $crate::Reg, flags: u8, target: u32 }
            /// `br_on_cast` (`flags & cast::FAIL` clear) or `br_on_cast_fail`: continues `to`
            /// instructions from here when `r` matches (does not match).
            BrOnCast { r: $crate::Reg, flags: u8, target: u32, to: i32 }
            /// `struct.new_desc`: a struct of type `ty` (which has a descriptor) whose
            /// descriptor is the register after its `len` field cells from `base` (traps
            /// "null descriptor reference" on null). The descriptor is the object's cell
            /// after its fields.
            StructNewDesc { dst: $crate::Dst, base: $crate::Reg, len: u16, ty: u32 }
            /// `struct.new_default_desc`: zeroed fields and descriptor `desc`.
            StructNewDefaultDesc { dst: $crate::Dst, desc: $crate::Reg, len: u16, ty: u32 }
            /// `ref.get_desc`: the descriptor of struct `obj` (traps "null reference").
            RefGetDesc { dst: $crate::Dst, obj: $crate::Reg }
            /// `ref.cast_desc_eq`: traps unless `r` is a struct whose descriptor is `desc`
            /// (or null, with `cast::NULLABLE`); a null `desc` traps first.
            RefCastDescEq { r: $crate::Reg, desc: $crate::Reg, flags: u8 }
            /// `br_on_cast_desc_eq` (`_fail` with `cast::FAIL`): continues `to` instructions
            /// from here when `r` matches as for `RefCastDescEq` (does not match).
            BrOnCastDescEq { r: $crate::Reg, desc: $crate::Reg, flags: u8, to: i32 }
            $(
                /// A binary numeric operator: `dst = a op b` (the Wasm operator of that name).
                $b { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            )*
            $(
                /// `dst = a op imm`: the operator named before `Imm`, with a 32-bit immediate
                /// (sign-extended for 64-bit operators).
                $bi { dst: $crate::Dst, a: $crate::Reg, imm: i32 }
            )*
            $(
                /// A unary numeric operator or conversion: `dst = op src`.
                $u { dst: $crate::Dst, src: $crate::Reg }
            )*
            $(
                /// A load from memory 0 at `addr + offset` (the Wasm operator of that name).
                $l { dst: $crate::Dst, addr: $crate::Reg, offset: u32 }
            )*
            $(
                /// A store of `value` to memory 0 at `addr + offset` (the Wasm operator).
                $st { addr: $crate::Reg, value: $crate::Reg, offset: u32 }
            )*
            $(
                /// `dst = acc op b`: the binary operator with its first operand the
                /// accumulator (the result of the instruction just before).
                $ba { dst: $crate::Dst, b: $crate::Reg }
            )*
            $(
                /// `dst = a op acc`: the binary operator with its second operand the
                /// accumulator.
                $bab { dst: $crate::Dst, a: $crate::Reg }
            )*
            $(
                /// `dst = acc op imm`.
                $bia { dst: $crate::Dst, imm: i32 }
            )*
            $(
                /// `dst = op acc`.
                $ua { dst: $crate::Dst }
            )*
            $(
                /// A load from memory 0 at `acc + offset`.
                $la { dst: $crate::Dst, offset: u32 }
            )*
            $(
                /// A store of `acc` to memory 0 at `addr + offset`.
                $sta { addr: $crate::Reg, offset: u32 }
            )*
            $(
                /// The store with its address from the accumulator.
                $stb { value: $crate::Reg, offset: u32 }
            )*
            $(
                /// The load at `(addr + imm) mod 2^32 + offset`: an `i32.add` of a constant
                /// fused with the load that takes its result.
                $lw { dst: $crate::Dst, addr: $crate::Reg, imm: i32, offset: u32 }
            )*
            $(
                /// The store at `(addr + imm) mod 2^32 + offset` (an `i32.add` of a constant
                /// fused with the store).
                $stw { addr: $crate::Reg, value: $crate::Reg, imm: i32, offset: u32 }
            )*
            $(
                /// Continues `to` instructions from here when `a cmp b` holds (the integer
                /// comparison in the name, fused with `br_if`/`if`).
                $brr { a: $crate::Reg, b: $crate::Reg, to: i32 }
            )*
            $(
                /// Continues `to` instructions from here when `acc cmp b` holds.
                $bra { b: $crate::Reg, to: i32 }
            )*
            $(
                /// Continues `to` instructions from here when `a cmp imm` holds (`imm`
                /// sign-extended for 64-bit comparisons).
                $bri { a: $crate::Reg, imm: i32, to: i32 }
            )*
            $(
                /// Continues `to` instructions from here when `acc cmp imm` holds.
                $bria { imm: i32, to: i32 }
            )*
            $(
                /// A SIMD operator `v128 -> v128`: `dst = op src`.
                $vu { dst: $crate::Dst, src: $crate::Reg }
            )*
            $(
                /// A SIMD operator `v128 v128 -> v128`: `dst = a op b`.
                $vb { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            )*
            $(
                /// A SIMD operator `v128 v128 v128 -> v128`.
                $vt { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, c: $crate::Reg }
            )*
            $(
                /// A SIMD shift: `dst = a shifted by b` (`b` an i32 register).
                $vs { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg }
            )*
            $(
                /// A splat: every lane of `dst` (a `v128`) is scalar register `src`.
                $vsp { dst: $crate::Dst, src: $crate::Reg }
            )*
            $(
                /// A test of `v128` `src` whose i32 result goes to `dst`.
                $vte { dst: $crate::Dst, src: $crate::Reg }
            )*
            $(
                /// Lane `lane` of `v128` `src` to scalar register `dst`.
                $vx { dst: $crate::Dst, src: $crate::Reg, lane: u8 }
            )*
            $(
                /// `dst` is `v128` `a` with lane `lane` replaced by scalar register `b`.
                $vr { dst: $crate::Dst, a: $crate::Reg, b: $crate::Reg, lane: u8 }
            )*
            $(
                /// A `v128` load from memory 0 (32-bit) at `(addr + imm) mod 2^32 + offset`
                /// (`imm` as in `V128Store`).
                $vl { dst: $crate::Dst, addr: $crate::Reg, imm: i32, offset: u32 }
            )*
        }
    };
}

macro_rules! define_instr {
    ($( $(#[$doc:meta])* $name:ident { $($f:ident : $t:ty),* } )*) => {
        /// One instruction of the register bytecode.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u16)]
        pub enum Instr {
            $( $(#[$doc])* $name { $($f: $t),* }, )*
        }

        /// The kind of an [`Instr`], without its fields; `Instr`'s `u16` tag has this value.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(u16)]
        pub enum Opcode {
            $( $(#[$doc])* $name, )*
        }

        impl Opcode {
            /// How many instructions the table has.
            pub const COUNT: usize = [$(Opcode::$name),*].len();
        }

        /// Whether each kind of instruction (by opcode) branches: has a field named `to`,
        /// its branch offset (`BrTable` jumps to the `Br`s that follow it instead).
        const BRANCHES_TABLE: [bool; Opcode::COUNT] =
            [$( false $( || slot::is_branch_offset(stringify!($f)) )* ),*];
        static BRANCHES: [bool; Opcode::COUNT] = BRANCHES_TABLE;

        /// Whether each kind of instruction (by opcode) has a result register.
        const HAS_DST_TABLE: [bool; Opcode::COUNT] = [$( false $( || <$t as AsDst>::IS_DST )* ),*];
        static HAS_DST: [bool; Opcode::COUNT] = HAS_DST_TABLE;

        impl Instr {
            /// The instruction's opcode (equal to its `u16` tag).
            #[inline]
            pub fn opcode(&self) -> Opcode {
                match self {
                    $( Instr::$name { .. } => Opcode::$name, )*
                }
            }

            /// The instruction's name in the table.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Instr::$name { .. } => stringify!($name), )*
                }
            }

            /// Whether running the instruction leaves its result in the accumulator (every
            /// instruction with a result register but `CopyMany` and those with a `v128`
            /// result, which the 64-bit accumulator cannot hold).
            #[inline]
            pub fn sets_acc(&self) -> bool {
                SETS_ACC[self.opcode() as usize]
                    && !matches!(self, Instr::StructGet { ext: gc_read::V128, .. }
                        | Instr::ArrayGet { ext: gc_read::V128, .. })
            }

            /// Whether the instruction calls a function (any kind of call or tail call).
            pub fn is_call(&self) -> bool {
                matches!(
                    self,
                    Instr::Call { .. }
                        | Instr::CallModule { .. }
                        | Instr::CallIndirect { .. }
                        | Instr::CallIndirect0 { .. }
                        | Instr::CallRef { .. }
                        | Instr::ReturnCall { .. }
                        | Instr::ReturnCallIndirect { .. }
                        | Instr::ReturnCallRef { .. }
                )
            }

            /// Whether the instruction may read register `reg`: one of its operand registers
            /// is `reg` (or, for a SIMD instruction, the one before it), or it reads a range of registers (calls, returns, `CopyMany`,
            /// `Throw`).
            pub fn may_read(&self, reg: Reg) -> bool {
                if self.is_call()
                    || matches!(
                        self,
                        Instr::Return { .. }
                            | Instr::CopyMany { .. }
                            | Instr::Throw { .. }
                            | Instr::StructNew { .. }
                            | Instr::StructNewDesc { .. }
                            | Instr::ArrayNewFixed { .. }
                    )
                {
                    return true;
                }
                // A SIMD instruction's register may be a `v128`, which also covers the
                // register after it.
                let wide = self.is_simd()
                    || matches!(
                        self,
                        Instr::StructSet { .. }
                            | Instr::ArraySet { .. }
                            | Instr::ArrayNew { .. }
                            | Instr::ArrayFill { .. }
                    );
                let reads = |r: Option<Reg>| {
                    r.is_some_and(|r| r == reg || (wide && r.0.wrapping_add(1) == reg.0))
                };
                match self {
                    $( Instr::$name { $($f),* } => {
                        false $( || reads(AsReg::as_reg($f)) )*
                    } )*
                }
            }

            /// Whether the instruction branches (has a branch offset: `BrTable` jumps to the
            /// `Br`s that follow it instead). A table lookup, for passes that ask every
            /// instruction but need no offset.
            #[inline]
            pub fn is_branch(&self) -> bool {
                BRANCHES[self.opcode() as usize]
            }

            /// The offset of the instruction's branch target, if it branches (`BrTable`
            /// jumps to the `Br`s that follow it instead).
            #[inline]
            pub fn branch_offset(&self) -> Option<i32> {
                { *self }.branch_offset_mut().map(|to| *to)
            }

            /// The branch offset field (the field named `to`), if the instruction branches.
            #[inline(always)]
            pub fn branch_offset_mut(&mut self) -> Option<&mut i32> {
                // A table lookup first, as in `dst_mut`, inlined into the translator's
                // passes, which ask every instruction (most do not branch): out of line,
                // this function was 7% of loading SQLite's shell.
                if !BRANCHES[self.opcode() as usize] {
                    return None;
                }
                self.branch_field()
            }

            /// `branch_offset_mut` for an instruction that branches.
            fn branch_field(&mut self) -> Option<&mut i32> {
                // Arms only for the instructions that branch (the guards are constants):
                // an arm per instruction made a jump table over every opcode.
                match self {
                    $( Instr::$name { $($f),* } if BRANCHES_TABLE[Opcode::$name as usize] => {
                        let found: Option<&mut i32> = None;
                        $( let found = found.or(branch_field!($f, $f)); )*
                        found
                    } )*
                    _ => None,
                }
            }

            /// The register the instruction writes its result to, if it has one.
            #[inline]
            pub fn dst_mut(&mut self) -> Option<&mut Dst> {
                // Many instructions the translator's passes ask have none: a table lookup
                // (inlined into the caller) answers them without the match over every kind.
                if !HAS_DST[self.opcode() as usize] {
                    return None;
                }
                self.dst_field()
            }

            /// `dst_mut` for an instruction with a result register.
            fn dst_field(&mut self) -> Option<&mut Dst> {
                match self {
                    $( Instr::$name { $($f),* } => {
                        let found: Option<&mut Dst> = None;
                        $( let found = found.or(AsDst::as_dst($f)); )*
                        found
                    } )*
                }
            }
        }

        impl fmt::Display for Instr {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Instr::$name { $($f),* } => {
                        f.write_str(stringify!($name))?;
                        let mut _sep = " ";
                        $(
                            write!(f, "{}{}={}", _sep, stringify!($f), Show($f))?;
                            _sep = ", ";
                        )*
                        Ok(())
                    } )*
                }
            }
        }
    };
}

impl Instr {
    /// The return of the `len` registers from `src`: `Return1` for one.
    pub fn ret(src: Reg, len: u16) -> Instr {
        if len == 1 {
            Instr::Return1 { src }
        } else {
            Instr::Return { src, len }
        }
    }

    /// The one instruction that does `first` and then `second` (placed where `first` is)
    /// when there is one: two moves (`Copy`, `Const32`) make `Copy2`, `Const32x2`,
    /// `CopyConst32` or `Const32Copy`; an `I32AddImm` into a register followed by a
    /// branch on the sum makes a loop latch (`I32AddImmBrIfNez`, `I32AddImmBrIfNe`,
    /// `I32AddImmBrIfLtS`, the last two as `I32AddImm16…` when the increment fits in 16
    /// bits), whose branch offset, counted from `first`, is one more; an
    /// `I32AddImmAcc` (or `I32SubImmAcc`) into the accumulator followed by a `BrTableAcc`
    /// makes `BrTableAccAddImm` (its `Br` entries, which follow, are not moved).
    #[inline(always)]
    pub fn fused_pair(first: Instr, second: Instr) -> Option<Instr> {
        // The last pass asks every pair of neighbours; few first halves can pair at all.
        if !matches!(
            first.opcode(),
            Opcode::Copy
                | Opcode::Const32
                | Opcode::I32AddImm
                | Opcode::I32AddImmAcc
                | Opcode::I32SubImmAcc
        ) {
            return None;
        }
        Self::fused_pair_of(first, second)
    }

    /// `fused_pair` for a first half that may pair.
    fn fused_pair_of(first: Instr, second: Instr) -> Option<Instr> {
        use Instr::{Const32, Const32Copy, Const32x2, Copy, Copy2, CopyConst32};
        Some(match (first, second) {
            (
                Copy { dst, src },
                Copy {
                    dst: dst2,
                    src: src2,
                },
            ) => Copy2 {
                dst,
                src,
                dst2,
                src2,
            },
            (
                Const32 { dst, value },
                Const32 {
                    dst: dst2,
                    value: value2,
                },
            ) => Const32x2 {
                dst,
                value,
                dst2,
                value2,
            },
            (
                Copy { dst, src },
                Const32 {
                    dst: dst2,
                    value: value2,
                },
            ) => CopyConst32 {
                dst,
                src,
                dst2,
                value2,
            },
            (
                Const32 { dst, value },
                Copy {
                    dst: dst2,
                    src: src2,
                },
            ) => Const32Copy {
                dst,
                value,
                dst2,
                src2,
            },
            (Instr::I32AddImm { dst, a, imm }, second) if dst != Dst::ACC => match second {
                Instr::BrIfNezAcc { to } => Instr::I32AddImmBrIfNez {
                    dst,
                    a,
                    imm,
                    to: to.checked_add(1)?,
                },
                Instr::BrIfI32NeAcc { b, to } => match i16::try_from(imm) {
                    Ok(imm) => Instr::I32AddImm16BrIfNe {
                        dst,
                        a,
                        b,
                        imm,
                        to: to.checked_add(1)?,
                    },
                    Err(_) => Instr::I32AddImmBrIfNe {
                        dst,
                        a,
                        imm,
                        b,
                        to: to.checked_add(1)?,
                    },
                },
                Instr::BrIfI32LtSAcc { b, to } => match i16::try_from(imm) {
                    Ok(imm) => Instr::I32AddImm16BrIfLtS {
                        dst,
                        a,
                        b,
                        imm,
                        to: to.checked_add(1)?,
                    },
                    Err(_) => Instr::I32AddImmBrIfLtS {
                        dst,
                        a,
                        imm,
                        b,
                        to: to.checked_add(1)?,
                    },
                },
                _ => return None,
            },
            (Instr::I32AddImmAcc { dst: Dst::ACC, imm }, Instr::BrTableAcc { len }) => {
                Instr::BrTableAccAddImm { imm, len }
            }
            (Instr::I32SubImmAcc { dst: Dst::ACC, imm }, Instr::BrTableAcc { len }) => {
                Instr::BrTableAccAddImm {
                    imm: imm.wrapping_neg(),
                    len,
                }
            }
            _ => return None,
        })
    }

    /// The number of `Br` entries before the default of a table jump (`BrTable`,
    /// `BrTableAcc`, `BrTableAccAddImm`), which follow it: `len + 1` in all.
    pub fn table_len(&self) -> Option<u32> {
        match *self {
            Instr::BrTable { len, .. }
            | Instr::BrTableAcc { len }
            | Instr::BrTableAccAddImm { len, .. } => Some(len),
            _ => None,
        }
    }
}

/// Formats instruction fields for the disassembler.
struct Show<'a, T>(&'a T);

macro_rules! show_display {
    ($($t:ty),*) => { $( impl fmt::Display for Show<'_, $t> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { fmt::Display::fmt(self.0, f) }
    } )* };
}
show_display!(Reg, Dst, u8, u16, u32, u64, i16, i32, i64, TrapCode, Addr48);

macro_rules! show_debug {
    ($($t:ty),*) => { $( impl fmt::Display for Show<'_, $t> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { fmt::Debug::fmt(self.0, f) }
    } )* };
}
show_debug!(BinOp, UnOp);
not_dst!(BinOp, UnOp);

for_each_instr!(define_instr);

/// `Some(field)` for the field named `to` (a branch offset), `None` for any other.
macro_rules! branch_field {
    (to, $v:ident) => {
        Some($v)
    };
    ($f:ident, $v:ident) => {{
        let _ = $v;
        None
    }};
}
use branch_field;

// Every instruction in 16 bytes (the interpreter's `Op` is a handler address and an
// `Instr`). `Instr` is `repr(u16)`: each kind's fields lie in the order the table lists
// them, with C alignment, so a kind whose order leaves padding can grow it.
macro_rules! define_slot_layout {
    ($( $(#[$doc:meta])* $name:ident { $($f:ident : $t:ty),* } )*) => {
        /// Each instruction's field places in code slots (see [`slot`]): a struct per
        /// instruction, named after it, whose `AT` has a field's place under its name.
        #[allow(non_camel_case_types, missing_docs)]
        pub mod slot_places {
            $(
                pub struct $name { $(pub $f: usize),* }
                impl $name {
                    #[allow(unused_mut, unused_variables, unused_assignments)]
                    pub const AT: $name = {
                        let at = super::slot::place(&[$(core::mem::size_of::<$t>()),*]);
                        let mut i = 0;
                        $name { $($f: { let a = at[i]; i += 1; a }),* }
                    };
                }
            )*
        }

        const WIDE_TABLE: [bool; Opcode::COUNT] =
            [$( slot::is_wide(&[$(core::mem::size_of::<$t>()),*]) ),*];

        /// Whether each instruction's (by opcode) first field is a result register (`Dst`).
        const FIRST_IS_DST_TABLE: [bool; Opcode::COUNT] =
            [$( slot::first_is(&[$(<$t as AsDst>::IS_DST),*]) ),*];

        const TARGET_ADDRESS_TABLE: [bool; Opcode::COUNT] = [$( slot::target_address_fits(
            &[$(stringify!($f)),*],
            &[$(core::mem::size_of::<$t>()),*],
        ) ),*];
    };
}

for_each_instr!(define_slot_layout);

const _: () = assert!(
    core::mem::size_of::<Instr>() <= 16,
    "an instruction kind's fields take more than 14 bytes (reorder them)"
);

/// `table` with the entries of `kinds` set to `value` (builds the per-opcode tables).
const fn mark(
    mut table: [bool; Opcode::COUNT],
    kinds: &[Opcode],
    value: bool,
) -> [bool; Opcode::COUNT] {
    let mut i = 0;
    while i < kinds.len() {
        table[kinds[i] as usize] = value;
        i += 1;
    }
    table
}

/// Which canonicalisation deterministic mode runs after an instruction (see
/// [`Opcode::nan_canonicalization`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NanCanon {
    F32,
    F64,
    F32x4,
    F64x2,
}

impl Opcode {
    /// The float arithmetic whose NaN results the specification leaves nondeterministic
    /// (sign and payload: hardware differs), so deterministic mode makes them canonical
    /// after it. Not the bit-exact operators (abs, neg, copysign, reinterpretations,
    /// loads, constants, `pmin`/`pmax`), nor min/max (whose NaN results Spindle already
    /// makes canonical), nor conversions from integers (never NaN). In base form: the
    /// translator asks before its accumulator pass.
    pub fn nan_canonicalization(self) -> Option<NanCanon> {
        use Opcode::*;
        Some(match self {
            F32Add | F32Sub | F32Mul | F32Div | F32Sqrt | F32Ceil | F32Floor | F32Trunc
            | F32Nearest | F32DemoteF64 => NanCanon::F32,
            F64Add | F64Sub | F64Mul | F64Div | F64Sqrt | F64Ceil | F64Floor | F64Trunc
            | F64Nearest | F64PromoteF32 => NanCanon::F64,
            F32x4Add | F32x4Sub | F32x4Mul | F32x4Div | F32x4Sqrt | F32x4Ceil | F32x4Floor
            | F32x4Trunc | F32x4Nearest | F32x4DemoteF64x2Zero | F32x4RelaxedMadd
            | F32x4RelaxedNmadd | F32x4RelaxedMin | F32x4RelaxedMax => NanCanon::F32x4,
            F64x2Add | F64x2Sub | F64x2Mul | F64x2Div | F64x2Sqrt | F64x2Ceil | F64x2Floor
            | F64x2Trunc | F64x2Nearest | F64x2PromoteLowF32x4 | F64x2RelaxedMadd
            | F64x2RelaxedNmadd | F64x2RelaxedMin | F64x2RelaxedMax => NanCanon::F64x2,
            _ => return None,
        })
    }
}

mod numeric;
pub use numeric::*;

/// Whether the translator emits superinstructions (cargo feature `superinstructions`): the
/// numeric families' accumulator, immediate, address-plus-immediate and fused-branch forms,
/// and the fused pairs (`Copy2`, `CopyBr`, loop latches, `I32LoadIndexed`, ...). Without
/// them each Wasm operator becomes its plain instruction, and the portable loop leaves the
/// other forms' handlers out (smaller code, slower runs).
pub const SUPERINSTRUCTIONS: bool = cfg!(feature = "superinstructions");

/// How `StructGet` and `ArrayGet` read a field or element (`ext`).
#[allow(non_upper_case_globals)]
pub mod gc_read {
    /// One register as it is.
    pub const Plain: u8 = 0;
    /// Two registers (a `v128`).
    pub const V128: u8 = 1;
    /// A packed `i8`, sign- or zero-extended to i32.
    pub const S8: u8 = 2;
    pub const U8: u8 = 3;
    /// A packed `i16`.
    pub const S16: u8 = 4;
    pub const U16: u8 = 5;
}

/// Cast targets and flags of `RefTest`, `RefCast` and `BrOnCast`.
///
/// `target` is an engine-wide type id, or `ABSTRACT | k` for the abstract heap type numbered
/// `k` (the order of `spindle_decode::AbstractHeapType`). `flags`: `NULLABLE` when null
/// matches, `FAIL` for `br_on_cast_fail`, and the source's hierarchy in the bits of
/// `HIERARCHY` (`ANY`, `FUNC`, `EXN`; `extern` values share `any`'s encoding).
pub mod cast {
    pub const ABSTRACT: u32 = 1 << 31;
    pub const NULLABLE: u8 = 1;
    pub const FAIL: u8 = 2;
    /// The target is `exact`: the value's type must be the target itself.
    pub const EXACT: u8 = 16;
    pub const HIERARCHY: u8 = 0b1100;
    pub const ANY: u8 = 0;
    pub const FUNC: u8 = 4;
    pub const EXN: u8 = 8;
}

/// Marks a `LoadMem` kind or `StoreMem` width as atomic (an unaligned address traps).
pub const ATOMIC: u8 = 0x80;

/// Load kinds, named after the Wasm load operators: width and extension.
#[allow(non_upper_case_globals)]
pub mod load {
    pub const I32Load: u8 = 0;
    pub const I64Load: u8 = 1;
    pub const F32Load: u8 = 2;
    pub const F64Load: u8 = 3;
    pub const I32Load8S: u8 = 4;
    pub const I32Load8U: u8 = 5;
    pub const I32Load16S: u8 = 6;
    pub const I32Load16U: u8 = 7;
    pub const I64Load8S: u8 = 8;
    pub const I64Load8U: u8 = 9;
    pub const I64Load16S: u8 = 10;
    pub const I64Load16U: u8 = 11;
    pub const I64Load32S: u8 = 12;
    pub const I64Load32U: u8 = 13;
}

/// Store widths in bytes, named after the Wasm store operators.
#[allow(non_upper_case_globals)]
pub mod store {
    pub const I32Store: u8 = 4;
    pub const I64Store: u8 = 8;
    pub const F32Store: u8 = 4;
    pub const F64Store: u8 = 8;
    pub const I32Store8: u8 = 1;
    pub const I32Store16: u8 = 2;
    pub const I64Store8: u8 = 1;
    pub const I64Store16: u8 = 2;
    pub const I64Store32: u8 = 4;
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn disassembles_and_finds_the_result_register() {
        let mut i = BinOp::I32Add.instr(Dst(3), Reg(1), Reg(2));
        assert_eq!(i.to_string(), "I32Add dst=r3, a=r1, b=r2");
        *i.dst_mut().unwrap() = Dst(7);
        assert_eq!(
            i,
            Instr::I32Add {
                dst: Dst(7),
                a: Reg(1),
                b: Reg(2)
            }
        );
        let imm = BinOp::I64Shl.instr_imm(Dst(1), Reg(2), 5);
        assert_eq!(
            imm,
            Some(Instr::I64ShlImm {
                dst: Dst(1),
                a: Reg(2),
                imm: 5
            })
        );
        assert_eq!(BinOp::F32Add.instr_imm(Dst(1), Reg(2), 5), None);
        assert!(Instr::Br { to: 3 }.dst_mut().is_none());
    }

    #[test]
    fn per_opcode_tables_answer_as_the_instructions_say() {
        let (d, r) = (Dst(4), Reg(1));
        let add = BinOp::I32Add.instr(d, r, r);
        assert!(add.sets_acc() && add.can_result_in_acc());
        assert!(add.to_acc(r).is_some() && add.branch_offset().is_none());
        let copy_many = Instr::CopyMany {
            dst: d,
            src: r,
            len: 2,
        };
        assert!(!copy_many.sets_acc() && !copy_many.can_result_in_acc());
        let v = Instr::V128Const { dst: d, lo: 1 };
        assert!(!v.sets_acc() && v.writes_v128() && { v }.dst_mut().is_some());
        let lane = Instr::I32x4ExtractLane {
            dst: d,
            src: r,
            lane: 1,
        };
        assert!(lane.sets_acc() && !lane.can_result_in_acc() && lane.to_acc(r).is_none());
        let get = |ext| Instr::StructGet {
            dst: d,
            obj: r,
            field: 0,
            ext,
        };
        assert!(get(gc_read::Plain).sets_acc() && !get(gc_read::V128).sets_acc());
        let br = Instr::BrOnCast {
            r,
            flags: 0,
            target: 0,
            to: 5,
        };
        assert_eq!(br.branch_offset(), Some(5));
        assert!({ br }.dst_mut().is_none() && !br.sets_acc());
        assert_eq!(
            Instr::BrIfEqz { cond: r, to: 1 }.to_acc(r),
            Some(Instr::BrIfEqzAcc { to: 1 })
        );
        // A check with no operands: it must not look like a reader, writer or branch to
        // the translator's passes.
        let epoch = Instr::Epoch {};
        assert!({ epoch }.dst_mut().is_none() && !epoch.sets_acc() && !epoch.reads_acc());
        assert!(!epoch.can_result_in_acc() && epoch.to_acc(r).is_none());
        assert!(epoch.branch_offset().is_none() && !epoch.may_read(r) && !epoch.is_call());
        assert_eq!(epoch.to_string(), "Epoch");
    }
}

/// Where each instruction's fields lie in the interpreter's code, which is a sequence of
/// 16-byte slots: 8 bytes of head (the opcode in the low 16 bits, above it the threaded
/// handler's address) and 8 bytes of fields. Fields are packed in table order, each in the
/// first slot if it still fits there, else in the body of the next slot, an [`Instr::Ext`]
/// that the translator puts after every instruction whose fields take more than 8 bytes
/// ([`WIDE`]). A field's place is its byte offset from the instruction's slot: 8 to 15 in
/// its own slot, 24 to 31 in the `Ext`. (Fields are read unaligned.)
pub mod slot {
    use super::Opcode;

    /// Each field's place, in order (`usize::MAX` past the last field), for fields of
    /// `sizes` bytes; panics (at compile time) if they do not fit in two bodies.
    pub const fn place(sizes: &[usize]) -> [usize; 8] {
        let mut at = [usize::MAX; 8];
        let (mut body, mut ext) = (0, 0);
        let mut i = 0;
        while i < sizes.len() {
            if body + sizes[i] <= 8 {
                at[i] = 8 + body;
                body += sizes[i];
            } else {
                at[i] = 24 + ext;
                ext += sizes[i];
            }
            i += 1;
        }
        assert!(
            ext <= 8,
            "an instruction's fields do not fit in two code slots"
        );
        at
    }

    /// Whether fields of `sizes` bytes take an `Ext` slot.
    pub const fn is_wide(sizes: &[usize]) -> bool {
        let mut i = 0;
        let mut total = 0;
        while i < sizes.len() {
            total += sizes[i];
            i += 1;
        }
        total > 8
    }

    /// Whether the field named `name` is a branch offset (`to`).
    pub(crate) const fn is_branch_offset(name: &str) -> bool {
        let b = name.as_bytes();
        b.len() == 2 && b[0] == b't' && b[1] == b'o'
    }

    /// Whether an instruction whose fields are named `names` and take `sizes` bytes has
    /// its branch offset (`to`) alone in its half of the slots (the body, or the `Ext`'s
    /// body): 8 bytes, room for the target's address in place of the offset.
    pub const fn target_address_fits(names: &[&str], sizes: &[usize]) -> bool {
        let at = place(sizes);
        let mut to = usize::MAX;
        let mut i = 0;
        while i < names.len() {
            if is_branch_offset(names[i]) {
                to = at[i];
            }
            i += 1;
        }
        if to != 8 && to != 24 {
            return false;
        }
        let mut i = 0;
        while i < names.len() {
            if !is_branch_offset(names[i]) && at[i] >= to && at[i] < to + 8 {
                return false;
            }
            i += 1;
        }
        true
    }

    pub use super::slot_places::*;

    /// Whether each instruction (by opcode) has its branch offset alone in 8 bytes of its
    /// slots ([`target_address_fits`]): the interpreter's code holds the branch target's
    /// address there.
    pub const TARGET_ADDRESS: [bool; Opcode::COUNT] = super::TARGET_ADDRESS_TABLE;

    /// Whether each instruction (by opcode) has an `Ext` slot after it.
    pub const IS_WIDE: [bool; Opcode::COUNT] = super::WIDE_TABLE;

    /// [`IS_WIDE`] in memory once, for lookups at run time.
    pub static WIDE: [bool; Opcode::COUNT] = IS_WIDE;

    /// Whether the first of a list of fields has the property (false for no fields).
    pub(crate) const fn first_is(fields: &[bool]) -> bool {
        !fields.is_empty() && fields[0]
    }

    /// The place of the result register of every instruction that may write its result
    /// to the accumulator only ([`Instr::can_result_in_acc`](super::Instr::can_result_in_acc)):
    /// the first field's (checked below), so that the interpreter's encoder reads it from
    /// the slot without a match over every kind.
    pub const ACC_DST_AT: usize = 8;

    const _: () = {
        let mut i = 0;
        while i < Opcode::COUNT {
            assert!(
                !super::RESULT_IN_ACC_TABLE[i] || super::FIRST_IS_DST_TABLE[i],
                "an instruction that can result in the accumulator has another first field"
            );
            i += 1;
        }
        // A first field of at most 8 bytes goes at the body's start.
        assert!(place(&[2])[0] == ACC_DST_AT);
    };
}
