//! Translation of Wasm function bodies into Spindle's register bytecode, in one pass fused
//! with validation.
//!
//! The Wasm operand stack maps onto registers: slot `h` of the stack is register
//! `locals + h`. The translator keeps a compile-time stack of [`Operand`]s so that
//! `local.get` and constants cost no instruction: they are used in place (as the register of
//! the local, or as an immediate) until something forces them into their slot
//! ("materialising"): a block boundary, a call's arguments, or a write to that local.
//! Results are written straight to their slot, and `local.set`/`local.tee` of a fresh result
//! retargets the instruction that produced it instead of copying.
//!
//! Every operator is first checked by the validator (`spindle_validate::Visitor`), then
//! translated; the visitor that does both is generated from the decoder's operator table.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod translator;

use alloc::boxed::Box;

pub use translator::{translate_function, Translator};

use spindle_ir::Instr;

/// A translated function.
#[derive(Clone, Debug)]
pub struct CompiledFunc {
    /// The instructions; branch targets index into it.
    pub code: Box<[Instr]>,
    /// Registers the frame needs: parameters, locals and the deepest operand stack.
    pub frame_size: u32,
    /// Parameters (the first registers of the frame, filled by the caller).
    pub params: u32,
    /// Parameters plus declared locals (registers `params..locals` start zeroed).
    pub locals: u32,
    /// Results (returned in the frame's first registers).
    pub results: u32,
    /// The `try_table` regions, in the order their blocks start (so an inner region comes
    /// after the regions that contain it).
    pub handlers: Box<[TryRegion]>,
    /// The collector's maps, by instruction (ascending).
    pub gc_maps: Box<[GcMap]>,
}

/// The registers of a frame that hold references the garbage collector traces (of the
/// `any` and `extern` hierarchies), at one instruction that may collect: an allocation or
/// a call. The frame's other registers hold no such reference there (precise roots).
#[derive(Clone, Debug)]
pub struct GcMap {
    /// The instruction.
    pub at: u32,
    pub regs: Box<[u16]>,
}

/// The instructions of a `try_table` body and its catch clauses, tried in order.
#[derive(Clone, Debug)]
pub struct TryRegion {
    /// First instruction of the body.
    pub start: u32,
    /// One past the body's last instruction.
    pub end: u32,
    pub catches: Box<[CatchClause]>,
}

/// One catch clause of a `try_table`.
#[derive(Clone, Copy, Debug)]
pub struct CatchClause {
    /// The module's tag index; `None` catches everything.
    pub tag: Option<u32>,
    /// Whether the exception reference goes to the label too (after the payload).
    pub with_ref: bool,
    /// The `Br` to the clause's label: where execution goes once the values are placed.
    pub pad: u32,
    /// The register of the label's first value.
    pub slot: u16,
}
