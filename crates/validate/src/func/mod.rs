//! Function-body validation: the spec's operand and control stacks, as an operator visitor.
//!
//! [`FuncValidator`] keeps the stacks (reused from one function to the next, so validation
//! allocates only when a body is bigger than every earlier one). [`Visitor`] implements
//! [`VisitOperator`] for it: operators whose typing the table states (`[I32 I32 -> I32]`,
//! `[mem 2 -> I32]`, ...) are checked by generated code, the others by the hand-written
//! methods in `control.rs`, `vars.rs`, `memory.rs`, `refs.rs` and `gc.rs`.

mod control;
mod gc;
mod memory;
mod refs;
mod vars;

use alloc::vec::Vec;
use core::slice;

use spindle_decode::{
    limits, visit_operator, BinaryReader, BlockType, FuncType, HeapType, Proposal, RefType,
    ValType, VisitOperator,
};

use crate::ctx::ModuleCtx;
use crate::error::{bail, Result, ValidateError};

/// A type on the operand stack. Unreachable code makes the stack polymorphic: values popped
/// from an empty polymorphic stack are `Bot`; `BotRef` is a reference of unknown heap type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    Bot,
    BotRef,
    Val(ValType),
}

/// `top == Ty::Val(expected)`, cheaply for the numeric and vector types.
#[inline(always)]
fn same_type(top: Ty, expected: ValType) -> bool {
    match (top, expected) {
        (Ty::Val(ValType::I32), ValType::I32)
        | (Ty::Val(ValType::I64), ValType::I64)
        | (Ty::Val(ValType::F32), ValType::F32)
        | (Ty::Val(ValType::F64), ValType::F64)
        | (Ty::Val(ValType::V128), ValType::V128) => true,
        (Ty::Val(ValType::Ref(a)), ValType::Ref(b)) => a == b,
        _ => false,
    }
}

/// A list of value types: a block's parameters or results.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TypeList<'m> {
    One(ValType),
    Many(&'m [ValType]),
}

impl TypeList<'_> {
    const EMPTY: TypeList<'static> = TypeList::Many(&[]);

    #[inline]
    pub(crate) fn as_slice(&self) -> &[ValType] {
        match self {
            TypeList::One(v) => slice::from_ref(v),
            TypeList::Many(s) => s,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FrameKind {
    Func,
    Block,
    Loop,
    If,
    Else,
    TryTable,
}

/// A control frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame<'m> {
    kind: FrameKind,
    params: TypeList<'m>,
    results: TypeList<'m>,
    /// Operand stack height at entry (after popping the parameters).
    height: usize,
    /// Height of the initialised-locals log at entry.
    init_height: usize,
    unreachable: bool,
}

impl<'m> Frame<'m> {
    /// The types a branch to this frame carries.
    fn label_types(&self) -> TypeList<'m> {
        if self.kind == FrameKind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// What a constant expression may refer to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConstMode {
    /// Globals visible to `global.get`.
    pub globals: u32,
}

/// Validates function bodies and constant expressions of one module.
pub struct FuncValidator<'m> {
    pub(crate) ctx: &'m ModuleCtx,
    operands: Vec<Ty>,
    frames: Vec<Frame<'m>>,
    locals: Vec<ValType>,
    /// Whether each local is initialised (only non-defaultable locals start out `false`).
    local_init: Vec<bool>,
    /// Locals initialised inside the current blocks, to be reset when the block ends.
    init_log: Vec<u32>,
    /// Scratch space for `br_table`.
    scratch: Vec<Ty>,
    pub(crate) const_mode: Option<ConstMode>,
    /// Offset of the operator being checked.
    pub(crate) offset: usize,
    /// `ref.func` targets seen in constant expressions.
    pub(crate) const_refs: Vec<u32>,
}

impl<'m> FuncValidator<'m> {
    /// A validator for the functions of `ctx`.
    pub fn new(ctx: &'m ModuleCtx) -> Self {
        FuncValidator {
            ctx,
            operands: Vec::new(),
            frames: Vec::new(),
            locals: Vec::new(),
            local_init: Vec::new(),
            init_log: Vec::new(),
            scratch: Vec::new(),
            const_mode: None,
            offset: 0,
            const_refs: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.operands.clear();
        self.frames.clear();
        self.locals.clear();
        self.local_init.clear();
        self.init_log.clear();
    }

    /// Validates the body of a function of type `type_index`.
    pub fn validate_body(&mut self, type_index: u32, mut reader: BinaryReader<'_>) -> Result<()> {
        self.begin_function(type_index, &mut reader)?;
        self.run(&mut reader)
    }

    /// Starts a function body: reads the locals declarations and opens the function's frame.
    /// The caller then visits every operator (with [`Visitor`], possibly fused with a
    /// translator) until [`FuncValidator::is_done`], and calls [`FuncValidator::finish`].
    pub fn begin_function(&mut self, type_index: u32, reader: &mut BinaryReader<'_>) -> Result<()> {
        self.reset();
        self.const_mode = None;
        let ctx = self.ctx;
        let ty: &'m FuncType = match ctx.types.func_type(type_index) {
            Some(t) => t,
            None => bail!(reader.offset(), "type {type_index} is not a function type"),
        };
        self.locals.extend_from_slice(ty.params());
        self.local_init.resize(self.locals.len(), true);
        // Locals: runs of (count, type), at most MAX_LOCALS in all (checked before growing).
        let groups = reader.read_count(limits::MAX_LOCALS, "local group")?;
        for _ in 0..groups {
            let at = reader.offset();
            let n = reader.read_var_u32()? as usize;
            if n > limits::MAX_LOCALS || self.locals.len() + n > limits::MAX_LOCALS {
                return Err(ValidateError::from(spindle_decode::DecodeError::new(
                    at,
                    "too many locals: local count exceeds the limit of 50000",
                )));
            }
            let t = reader.read_val_type()?;
            self.check_val_type(t, at)?;
            self.locals.extend(core::iter::repeat_n(t, n));
            self.local_init
                .extend(core::iter::repeat_n(t.is_defaultable(), n));
        }
        self.frames.push(Frame {
            kind: FrameKind::Func,
            params: TypeList::EMPTY,
            results: TypeList::Many(ty.results()),
            height: 0,
            init_height: 0,
            unreachable: false,
        });
        Ok(())
    }

    /// The function's locals, parameters first (after [`FuncValidator::begin_function`]).
    pub fn locals(&self) -> &[ValType] {
        &self.locals
    }

    /// Whether the function's final `end` was visited.
    pub fn is_done(&self) -> bool {
        self.frames.is_empty()
    }

    /// Whether the code at this point is unreachable (after `br`, `return`, ...).
    pub fn is_unreachable(&self) -> bool {
        self.frames.last().is_some_and(|f| f.unreachable)
    }

    /// Records the offset of the operator about to be visited (for error messages).
    #[inline]
    pub fn set_offset(&mut self, offset: usize) {
        self.offset = offset;
    }

    /// Checks the body ended exactly at its final `end`.
    pub fn finish(&self, reader: &BinaryReader<'_>) -> Result<()> {
        if !self.is_done() {
            return Err(ValidateError::from(spindle_decode::DecodeError::new(
                reader.offset(),
                "unexpected end of function body: END opcode expected",
            )));
        }
        if !reader.eof() {
            bail!(reader.offset(), "operators remaining after end of function");
        }
        Ok(())
    }

    /// Validates a constant expression of type `expected` that may read `globals` globals.
    pub(crate) fn validate_const(
        &mut self,
        mut reader: BinaryReader<'_>,
        expected: ValType,
        globals: u32,
    ) -> Result<()> {
        self.reset();
        self.const_mode = Some(ConstMode { globals });
        self.frames.push(Frame {
            kind: FrameKind::Func,
            params: TypeList::EMPTY,
            results: TypeList::One(expected),
            height: 0,
            init_height: 0,
            unreachable: false,
        });
        let features = self.ctx.features;
        while !reader.eof() {
            let at = reader.offset();
            let op = spindle_decode::peek_opcode(&reader)?;
            let allowed =
                op.is_constant() && (!op.is_extended_constant() || features.extended_const);
            if !allowed {
                bail!(
                    at,
                    "constant expression required: {} is not a constant instruction",
                    op.name()
                );
            }
            self.offset = at;
            visit_operator(&mut reader, &mut Visitor(self))?;
            if self.frames.is_empty() {
                break;
            }
        }
        if !self.frames.is_empty() || !reader.eof() {
            bail!(
                reader.offset(),
                "malformed constant expression: missing end"
            );
        }
        Ok(())
    }

    fn run(&mut self, reader: &mut BinaryReader<'_>) -> Result<()> {
        while !reader.eof() {
            self.offset = reader.offset();
            visit_operator(reader, &mut Visitor(self))?;
            if self.frames.is_empty() {
                break;
            }
        }
        self.finish(reader)
    }

    // ----- feature and type checks -----

    #[inline]
    fn check_proposal(&self, p: Proposal) -> Result<()> {
        crate::check_compiled_in(p, self.offset)?;
        let f = &self.ctx.features;
        let on = match p {
            Proposal::Mvp => return Ok(()),
            Proposal::SignExt => f.sign_extension,
            Proposal::SatConv => f.saturating_float_to_int,
            Proposal::Bulk => f.bulk_memory,
            Proposal::RefTypes => f.reference_types,
            Proposal::Simd => f.simd,
            Proposal::RelaxedSimd => f.relaxed_simd,
            Proposal::Threads => f.threads,
            Proposal::TailCall => f.tail_call,
            Proposal::FuncRefs => f.function_references,
            Proposal::Gc => f.gc,
            Proposal::Exceptions => f.exceptions,
            Proposal::WideArith => f.wide_arithmetic,
            Proposal::CustomDesc => f.custom_descriptors,
            Proposal::Memory64 => f.memory64,
            Proposal::MultiMemory => f.multi_memory,
        };
        if on {
            Ok(())
        } else {
            bail!(self.offset, "{p:?} support is not enabled")
        }
    }

    /// Checks that a value type is allowed by the features and refers to defined types.
    pub(crate) fn check_val_type(&self, t: ValType, offset: usize) -> Result<()> {
        crate::module::check_val_type(self.ctx, t, offset)
    }

    pub(crate) fn check_heap_type(&self, h: HeapType) -> Result<()> {
        crate::module::check_heap_type(self.ctx, h, self.offset)
    }

    // ----- operand stack -----

    #[inline]
    pub(crate) fn push(&mut self, t: ValType) {
        self.operands.push(Ty::Val(t));
    }

    #[inline]
    pub(crate) fn push_ty(&mut self, t: Ty) {
        self.operands.push(t);
    }

    #[inline(always)]
    pub(crate) fn push_all(&mut self, ts: &[ValType]) {
        for t in ts {
            self.operands.push(Ty::Val(*t));
        }
    }

    /// Pops any value.
    #[inline]
    pub(crate) fn pop_any(&mut self) -> Result<Ty> {
        let frame = self
            .frames
            .last()
            .expect("a frame is always open while operators are checked");
        if self.operands.len() <= frame.height {
            if frame.unreachable {
                return Ok(Ty::Bot);
            }
            return Err(self.err_empty(None));
        }
        Ok(self.operands.pop().expect("checked length"))
    }

    /// Pops a value of (a subtype of) `expected`.
    #[inline(always)]
    pub(crate) fn pop(&mut self, expected: ValType) -> Result<Ty> {
        if let (Some(&top), Some(frame)) = (self.operands.last(), self.frames.last()) {
            if same_type(top, expected) && self.operands.len() > frame.height {
                self.operands.pop();
                return Ok(top);
            }
        }
        self.pop_slow(expected)
    }

    #[inline(never)]
    fn pop_slow(&mut self, expected: ValType) -> Result<Ty> {
        let frame = match self.frames.last() {
            Some(f) => f,
            None => bail!(self.offset, "operators remaining after end of function"),
        };
        if self.operands.len() <= frame.height {
            if frame.unreachable {
                return Ok(Ty::Bot);
            }
            return Err(self.err_empty(Some(expected)));
        }
        let actual = self.operands.pop().expect("checked length");
        let ok = match actual {
            Ty::Bot => true,
            Ty::BotRef => matches!(expected, ValType::Ref(_)),
            Ty::Val(v) => self.ctx.types.is_sub(v, expected),
        };
        if ok {
            Ok(actual)
        } else {
            Err(self.err_mismatch(expected, actual))
        }
    }

    /// Pops a reference of any type: `None` when its type is unknown (unreachable code).
    pub(crate) fn pop_ref(&mut self) -> Result<Option<RefType>> {
        match self.pop_any()? {
            Ty::Bot | Ty::BotRef => Ok(None),
            Ty::Val(ValType::Ref(r)) => Ok(Some(r)),
            Ty::Val(v) => bail!(
                self.offset,
                "type mismatch: expected a reference, found {v}"
            ),
        }
    }

    /// Pops `ts` (the last one first).
    #[cfg_attr(not(size_opt), inline(always))]
    #[cfg_attr(size_opt, inline(never))]
    pub(crate) fn pop_all(&mut self, ts: &[ValType]) -> Result<()> {
        for t in ts.iter().rev() {
            self.pop(*t)?;
        }
        Ok(())
    }

    /// A load, store or atomic access (`exact`: its alignment must be the natural one),
    /// with `lane` (index, lanes) for the lane accesses: its immediates checked, then typed
    /// `[params address] -> [results]`. Out of line in size-optimised builds: inlined, its
    /// immediate checks and their errors took about 450 bytes in each of ~45 operators.
    #[cfg_attr(not(size_opt), inline(always))]
    #[cfg_attr(size_opt, inline(never))]
    pub(crate) fn memory_access(
        &mut self,
        memarg: &spindle_decode::MemArg,
        natural_align: u8,
        exact: bool,
        lane: Option<(u8, u8)>,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<()> {
        let addr = self.check_memarg(memarg, natural_align, exact)?;
        if let Some((lane, lanes)) = lane {
            self.check_lane(lane, lanes)?;
        }
        self.pop_all(params)?;
        self.pop(addr)?;
        self.push_all(results);
        Ok(())
    }

    /// Typing `[params] -> [results]`.
    #[cfg_attr(not(size_opt), inline(always))]
    #[cfg_attr(size_opt, inline(never))]
    pub(crate) fn pop_push(&mut self, params: &[ValType], results: &[ValType]) -> Result<()> {
        self.pop_all(params)?;
        self.push_all(results);
        Ok(())
    }

    #[cold]
    fn err_empty(&self, expected: Option<ValType>) -> ValidateError {
        match expected {
            Some(t) => ValidateError::invalid_fmt(
                self.offset,
                format_args!("type mismatch: expected {t} but nothing on stack"),
            ),
            None => ValidateError::invalid(self.offset, "type mismatch: operand stack is empty"),
        }
    }

    #[cold]
    fn err_mismatch(&self, expected: ValType, actual: Ty) -> ValidateError {
        match actual {
            Ty::Val(v) => ValidateError::invalid_fmt(
                self.offset,
                format_args!("type mismatch: expected {expected}, found {v}"),
            ),
            _ => ValidateError::invalid_fmt(
                self.offset,
                format_args!("type mismatch: expected {expected}, found a reference"),
            ),
        }
    }

    // ----- control stack -----

    pub(crate) fn push_frame(
        &mut self,
        kind: FrameKind,
        params: TypeList<'m>,
        results: TypeList<'m>,
    ) -> Result<()> {
        if self.frames.len() >= limits::MAX_NESTING {
            return Err(ValidateError::from(spindle_decode::DecodeError::new(
                self.offset,
                "nesting depth exceeds the limit",
            )));
        }
        self.frames.push(Frame {
            kind,
            params,
            results,
            height: self.operands.len(),
            init_height: self.init_log.len(),
            unreachable: false,
        });
        self.push_all(params.as_slice());
        Ok(())
    }

    /// Pops the innermost frame after checking its results are exactly on the stack.
    pub(crate) fn pop_frame(&mut self) -> Result<Frame<'m>> {
        let frame = match self.frames.last() {
            Some(f) => *f,
            None => bail!(self.offset, "operators remaining after end of function"),
        };
        self.pop_all(frame.results.as_slice())?;
        if self.operands.len() != frame.height {
            bail!(
                self.offset,
                "type mismatch: values remaining on stack at end of block"
            );
        }
        self.frames.pop();
        // Locals initialised inside the block are uninitialised again after it.
        while self.init_log.len() > frame.init_height {
            let l = self.init_log.pop().expect("checked length");
            self.local_init[l as usize] = false;
        }
        Ok(frame)
    }

    /// Marks the rest of the current block unreachable (stack-polymorphic).
    pub(crate) fn set_unreachable(&mut self) {
        let frame = self.frames.last_mut().expect("a frame is open");
        frame.unreachable = true;
        let h = frame.height;
        self.operands.truncate(h);
    }

    /// The frame `depth` labels out.
    pub(crate) fn label(&self, depth: u32) -> Result<Frame<'m>> {
        let n = self.frames.len();
        if (depth as usize) >= n {
            bail!(self.offset, "unknown label {depth}: branch depth too large");
        }
        Ok(self.frames[n - 1 - depth as usize])
    }

    /// The parameters and results of a block type.
    pub(crate) fn block_types(&self, bt: BlockType) -> Result<(TypeList<'m>, TypeList<'m>)> {
        match bt {
            BlockType::Empty => Ok((TypeList::EMPTY, TypeList::EMPTY)),
            BlockType::Value(v) => {
                self.check_val_type(v, self.offset)?;
                Ok((TypeList::EMPTY, TypeList::One(v)))
            }
            BlockType::Func(idx) => {
                let ctx: &'m ModuleCtx = self.ctx;
                let f = match ctx.types.func_type(idx) {
                    Some(f) => f,
                    None => bail!(
                        self.offset,
                        "unknown type {idx}: block type is not a function type"
                    ),
                };
                if !ctx.features.multi_value && (!f.params().is_empty() || f.results().len() > 1) {
                    bail!(
                        self.offset,
                        "blocks with parameters or several results require multi-value"
                    );
                }
                Ok((TypeList::Many(f.params()), TypeList::Many(f.results())))
            }
        }
    }

    /// The function type at `idx`.
    pub(crate) fn func_type_at(&self, idx: u32) -> Result<&'m FuncType> {
        let ctx: &'m ModuleCtx = self.ctx;
        match ctx.types.func_type(idx) {
            Some(f) => Ok(f),
            None => bail!(self.offset, "unknown type {idx}: not a function type"),
        }
    }

    /// Pops the types of `label`, checks them, and pushes them back (for conditional branches).
    pub(crate) fn pop_push_label(&mut self, types: &[ValType]) -> Result<()> {
        let mut popped = core::mem::take(&mut self.scratch);
        popped.clear();
        let r = (|| {
            for t in types.iter().rev() {
                popped.push(self.pop(*t)?);
            }
            Ok(())
        })();
        for t in popped.iter().rev() {
            self.operands.push(*t);
        }
        self.scratch = popped;
        r
    }

    /// The local's type.
    pub(crate) fn local(&self, idx: u32) -> Result<ValType> {
        match self.locals.get(idx as usize) {
            Some(t) => Ok(*t),
            None => bail!(self.offset, "unknown local {idx}"),
        }
    }
}

impl FuncValidator<'_> {
    /// Checks operator `op`, one without immediates typed `[params] -> [result]` by its
    /// table entry alone (the last rule of `validate_op!`), with the facts as arguments:
    /// what [`Visitor`] does for it, for a caller that handles all such operators in one
    /// place (the translator's fused visitor, whose arms then differ only in constants).
    #[cfg_attr(not(size_opt), inline(always))]
    #[cfg_attr(size_opt, inline(never))]
    pub fn check_plain(
        &mut self,
        op: spindle_decode::Opcode,
        params: &[ValType],
        result: Option<ValType>,
    ) -> Result<()> {
        let proposal = op.proposal();
        crate::check_compiled_in(proposal, self.offset)?;
        self.check_proposal(proposal)?;
        self.pop_push(params, result.as_slice())
    }
}

/// The operator visitor over a [`FuncValidator`].
pub struct Visitor<'v, 'm>(pub &'v mut FuncValidator<'m>);

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;
const F32: ValType = ValType::F32;
const F64: ValType = ValType::F64;
const V128: ValType = ValType::V128;

/// The typing of one operator, from its table entry.
macro_rules! validate_op {
    ($v:ident, $visit:ident, ($($imm:ident),*), [custom]) => {
        $v.$visit($($imm),*)
    };
    ($v:ident, $visit:ident, ($memarg:ident), [mem $align:literal $($p:ident)* -> $($r:ident)*]) => {
        $v.memory_access(&$memarg, $align, false, None, &[$($p),*], &[$($r),*])
    };
    ($v:ident, $visit:ident, ($memarg:ident), [atomic $align:literal $($p:ident)* -> $($r:ident)*]) => {
        $v.memory_access(&$memarg, $align, true, None, &[$($p),*], &[$($r),*])
    };
    ($v:ident, $visit:ident, ($memarg:ident, $lane:ident), [lane_mem $align:literal $lanes:literal $($p:ident)* -> $($r:ident)*]) => {
        $v.memory_access(&$memarg, $align, false, Some(($lane, $lanes)), &[$($p),*], &[$($r),*])
    };
    ($v:ident, $visit:ident, ($lane:ident), [lane $lanes:literal $($p:ident)* -> $($r:ident)*]) => {{
        $v.check_lane($lane, $lanes)?;
        $v.pop_push(&[$($p),*], &[$($r),*])
    }};
    ($v:ident, $visit:ident, ($($imm:ident),*), [$($p:ident)* -> $($r:ident)*]) => {{
        $( let _ = $imm; )*
        $v.pop_push(&[$($p),*], &[$($r),*])
    }};
}

macro_rules! define_visitor {
    ($( $prop:ident $prefix:literal $code:literal $name:ident $visit:ident
        { $($imm:ident : $ity:ty),* } [$($sig:tt)*] )*) => {
        impl<'a> VisitOperator<'a> for Visitor<'_, '_> {
            type Output = Result<()>;
            $(
                #[inline(never)]
                fn $visit(&mut self $(, $imm: $ity)*) -> Result<()> {
                    let v = &mut *self.0;
                    // Tested here, not only inside `check_proposal` (which `opt-level = "z"`
                    // does not inline): a proposal left out of the build leaves its
                    // operators' bodies dead, so they are not linked.
                    crate::check_compiled_in(Proposal::$prop, v.offset)?;
                    v.check_proposal(Proposal::$prop)?;
                    validate_op!(v, $visit, ($($imm),*), [$($sig)*])
                }
            )*
        }
    };
}

spindle_decode::for_each_operator!(define_visitor);
