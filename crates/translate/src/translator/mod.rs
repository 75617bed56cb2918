//! The translator proper: a compile-time operand stack over registers, control frames with
//! branch patching, and the fused validate-and-translate visitor.

use alloc::vec::Vec;

use spindle_decode::{
    visit_operator, BinaryReader, BlockType, BrTable, CompactIndex, CompositeType, FieldType,
    HeapType, Ieee32, Ieee64, MemArg, Opcode, Proposal, SelectType, StorageType, ValType,
    VisitOperator,
};
use spindle_ir::{BinOp, Dst, Instr, NanCanon, Reg, TrapCode, UnOp, VLoadKind};
use spindle_validate::{FuncValidator, ModuleCtx, Result, ValidateError, Visitor};

use crate::{CatchClause, CompiledFunc, GcMap, OffsetTable, TryRegion};

mod assigned;
mod control;
mod equal;
mod gc;
mod memory;
mod passes;
mod simd;

/// A value on the compile-time operand stack.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Operand {
    /// The value of a local, read in place (no copy was made).
    Local(u16),
    /// A value in its own stack slot's register.
    Temp,
    /// A constant not yet written anywhere (raw bits).
    Const(u64),
}

/// An operand on the compile-time stack, with its register and collector flag (one vector
/// of these rather than three parallel ones: a push is one capacity check, not three).
#[derive(Clone, Copy, Debug)]
struct Entry {
    op: Operand,
    /// First register (relative to `locals`): operands lie one after another, a `v128` in
    /// two registers.
    at: u32,
    /// Whether the operand is a reference the collector traces (see [`GcMap`]).
    gc: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A control frame.
#[derive(Debug)]
struct Ctrl<'m> {
    kind: Kind,
    /// Operand stack height at entry, parameters excluded.
    height: u32,
    params: u32,
    results: u32,
    /// The label's parameter and result types, as far as the register layout goes (a single
    /// result type is stood in for by one of the same width: see [`one_value`]).
    params_ty: &'m [ValType],
    results_ty: &'m [ValType],
    /// A loop's first instruction.
    start: u32,
    /// Forward branches to this frame's end, to patch when it is reached.
    patches: Vec<u32>,
    /// An `if`'s branch to its `else` (or end).
    else_patch: Option<u32>,
    /// Opened in unreachable code: nothing is emitted for it.
    dead: bool,
    /// A `try_table`'s region in `Translator::handlers`, whose end is set at the `end`.
    try_region: Option<u32>,
}

impl Ctrl<'_> {
    fn label_arity(&self) -> u32 {
        if self.kind == Kind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// An integer comparison that a branch can test directly.
#[derive(Clone, Copy)]
enum Compare {
    Regs(BinOp, Reg, Reg),
    Imm(BinOp, Reg, i32),
}

impl Compare {
    /// The branch to `to` taken when the comparison holds.
    fn branch(self, to: i32) -> Instr {
        let b = match self {
            Compare::Regs(op, a, b) => op.branch(a, b, to),
            Compare::Imm(op, a, imm) => op.branch_imm(a, imm, to),
        };
        b.expect("an integer comparison")
    }

    /// The comparison that holds when this one does not.
    fn negated(self) -> Compare {
        match self {
            Compare::Regs(op, a, b) => {
                Compare::Regs(op.negated_compare().expect("integer comparison"), a, b)
            }
            Compare::Imm(op, a, imm) => {
                Compare::Imm(op.negated_compare().expect("integer comparison"), a, imm)
            }
        }
    }
}

/// Translates function bodies; its buffers are reused from one function to the next.
pub struct Translator<'m> {
    ctx: &'m ModuleCtx,
    /// Engine-wide id of each of the module's types (for `call_indirect` checks).
    type_ids: &'m [u32],
    /// Registers of the parameters and locals (a `v128` takes two): the operand stack's
    /// registers start here.
    locals: u32,
    /// First register of each local.
    local_reg: Vec<u16>,
    /// Whether each local is a `v128`.
    local_wide: Vec<bool>,
    /// Whether each local holds references the collector traces (see [`GcMap`]).
    local_gc: Vec<bool>,
    /// The locals each path has written, for which need zeroing at entry (`assigned.rs`).
    assigned: assigned::Assigned,
    /// The locals that hold the same value on every path (`equal.rs`).
    equal: equal::EqualLocals,
    /// How many operands are, and whether any local is (so that `gc_point` costs nothing
    /// in code without references).
    gc_operands: u32,
    gc_locals: bool,
    /// The current function's collector maps.
    gc_maps: Vec<GcMap>,
    /// The operand stack.
    stack: Vec<Entry>,
    /// Registers in use by the operand stack (relative to `locals`).
    next_reg: u32,
    /// The most registers the operand stack used.
    max_height: u32,
    ctrls: Vec<Ctrl<'m>>,
    spare_patches: Vec<Vec<u32>>,
    /// Which instructions are branch targets (for `use_accumulator`; reused).
    branch_targets: Vec<bool>,
    /// Each instruction's position after `fuse_pairs_and_widen` (reused).
    new_positions: Vec<u32>,
    /// Where `use_accumulator` gave an instruction its `…Acc` form, in order (reused): the
    /// only places the passes after it need to look at.
    acc_readers: Vec<u32>,
    /// The current function's `try_table` regions.
    handlers: Vec<TryRegion>,
    code: Vec<Instr>,
    /// The byte offset in the module of the operator each instruction of `code` came from
    /// (parallel to `code`; see [`crate::OffsetTable`]).
    offsets: Vec<u32>,
    reachable: bool,
    /// The last instruction, when it wrote the Temp on top of the stack.
    last_result: Option<usize>,
    offset: usize,
    /// Whether to meter fuel: a `Fuel` instruction at function entry and at every loop
    /// header charges for the operators up to the next one.
    fuel: bool,
    /// The `Fuel` instruction operators are currently counted into.
    fuel_at: Option<usize>,
    /// Whether to check for epoch interruption: an `Epoch` instruction wherever fuel
    /// metering puts a `Fuel` one (function entry and every loop header).
    epoch: bool,
    /// Deterministic NaNs: a canonicalising instruction after each float operation whose
    /// NaN results the specification leaves nondeterministic.
    canon_nans: bool,
}

#[cold]
fn unsupported(offset: usize, what: &str) -> ValidateError {
    ValidateError::invalid_fmt(
        offset,
        format_args!("not supported by the translator yet: {what}"),
    )
}

impl<'m> Translator<'m> {
    /// A translator for the functions of a validated module context.
    pub fn new(ctx: &'m ModuleCtx, type_ids: &'m [u32]) -> Self {
        Self::with_fuel(ctx, type_ids, false)
    }

    /// A translator that meters fuel when `fuel` is set (no cost at all otherwise).
    pub fn with_fuel(ctx: &'m ModuleCtx, type_ids: &'m [u32], fuel: bool) -> Self {
        Translator {
            ctx,
            type_ids,
            locals: 0,
            local_reg: Vec::new(),
            local_wide: Vec::new(),
            local_gc: Vec::new(),
            assigned: assigned::Assigned::default(),
            equal: equal::EqualLocals::default(),
            gc_operands: 0,
            gc_locals: false,
            gc_maps: Vec::new(),
            stack: Vec::new(),
            next_reg: 0,
            max_height: 0,
            ctrls: Vec::new(),
            spare_patches: Vec::new(),
            branch_targets: Vec::new(),
            new_positions: Vec::new(),
            acc_readers: Vec::new(),
            handlers: Vec::new(),
            code: Vec::new(),
            offsets: Vec::new(),
            reachable: true,
            last_result: None,
            offset: 0,
            fuel,
            fuel_at: None,
            epoch: false,
            canon_nans: false,
        }
    }

    /// This translator, making NaN results of float arithmetic canonical when `enable` is
    /// set (deterministic mode; no cost at all otherwise).
    pub fn with_nan_canonicalization(mut self, enable: bool) -> Self {
        self.canon_nans = enable;
        self
    }

    /// In deterministic mode, the canonicalisation of the result `op` just pushed, if it
    /// is float arithmetic (`Opcode::nan_canonicalization`). It reads and writes the
    /// operand on top of the stack, as a unary operator would.
    fn canonicalize_nans(&mut self, op: spindle_ir::Opcode) -> Result<()> {
        if !self.canon_nans {
            return Ok(());
        }
        match op.nan_canonicalization() {
            Some(NanCanon::F32) => self.unary(UnOp::F32CanonNan),
            Some(NanCanon::F64) => self.unary(UnOp::F64CanonNan),
            Some(NanCanon::F32x4) => self.simd_op(spindle_ir::Opcode::F32x4CanonNan, 1, true, 0),
            Some(NanCanon::F64x2) => self.simd_op(spindle_ir::Opcode::F64x2CanonNan, 1, true, 0),
            None => Ok(()),
        }
    }

    /// This translator, checking for epoch interruption when `epoch` is set (no cost at
    /// all otherwise).
    pub fn with_epochs(mut self, epoch: bool) -> Self {
        self.epoch = epoch;
        self
    }

    /// The checks at function entry and loop headers, the points every unbounded run of
    /// code passes: a fuel charge for the stretch of code that follows, then an epoch
    /// check (so that resuming after running out of fuel charges again and then checks,
    /// and resuming after an epoch yield continues past the check).
    fn entry_checks(&mut self) {
        if self.fuel {
            // Running out of fuel here suspends the call (resumable): the collector then
            // reads this frame's references as of this instruction.
            self.gc_point();
            let at = self.emit(Instr::Fuel { amount: 0 });
            self.fuel_at = Some(at as usize);
        }
        if self.epoch {
            // The epoch callback may collect garbage, and a yield suspends the call here:
            // the collector reads this frame's references as of this instruction too.
            self.gc_point();
            self.emit(Instr::Epoch {});
        }
    }

    /// Counts one operator into the current fuel stretch.
    #[inline]
    fn charge(&mut self) {
        if let Some(i) = self.fuel_at {
            if let Instr::Fuel { amount } = &mut self.code[i] {
                *amount = amount.saturating_add(1);
            }
        }
    }

    // ----- registers and the operand stack -----

    /// The first register of operand `h`, or where the next operand would go when `h` is
    /// the stack's height.
    fn slot(&self, h: usize) -> Result<u16> {
        let rel = self.stack.get(h).map_or(self.next_reg, |e| e.at);
        let r = self.locals as usize + rel as usize;
        if r >= u16::MAX as usize {
            return Err(unsupported(
                self.offset,
                "a frame of more than 65,535 registers",
            ));
        }
        Ok(r as u16)
    }

    /// How many registers operand `h` takes (2 for a `v128`).
    fn width(&self, h: usize) -> u32 {
        self.stack.get(h + 1).map_or(self.next_reg, |e| e.at) - self.stack[h].at
    }

    /// Pushes an operand of `width` registers.
    fn push_wide(&mut self, op: Operand, width: u32) -> Result<()> {
        self.push_entry(op, width, false)
    }

    /// Pushes an operand of type `t`.
    fn push_typed(&mut self, op: Operand, t: ValType) -> Result<()> {
        let gc = self.ctx.types.is_traced(t);
        self.push_entry(op, width(t), gc)
    }

    /// Pushes an operand of `width` registers, a reference the collector traces if `gc`.
    fn push_entry(&mut self, op: Operand, width: u32, gc: bool) -> Result<()> {
        self.gc_operands += gc as u32;
        self.stack.push(Entry {
            op,
            at: self.next_reg,
            gc,
        });
        self.next_reg += width;
        if self.next_reg > self.max_height {
            self.max_height = self.next_reg;
            if self.locals as usize + self.next_reg as usize >= u16::MAX as usize {
                return Err(unsupported(
                    self.offset,
                    "a frame of more than 65,535 registers",
                ));
            }
        }
        Ok(())
    }

    fn push(&mut self, op: Operand) -> Result<()> {
        self.push_wide(op, 1)
    }

    /// Pushes a Temp of each of `types`.
    fn push_temps(&mut self, types: &[ValType]) -> Result<()> {
        for t in types {
            self.push_typed(Operand::Temp, *t)?;
        }
        Ok(())
    }

    /// Pushes a Temp of type `t` (one register: not a `v128`) and returns its register.
    fn push_temp_typed(&mut self, t: ValType) -> Result<Dst> {
        let h = self.stack.len();
        self.push_typed(Operand::Temp, t)?;
        Ok(Dst(self.slot(h)?))
    }

    /// Records the registers that hold references at the instruction about to be emitted,
    /// which may collect garbage (an allocation, or a call: the callee may): the
    /// collector's precise roots in this frame. Operands still on the stack count (a
    /// call's arguments, an allocation's field values); constants are in no register.
    fn gc_point(&mut self) {
        if !self.gc_locals && self.gc_operands == 0 {
            return;
        }
        let mut regs: Vec<u16> = Vec::new();
        for (i, gc) in self.local_gc.iter().enumerate() {
            if *gc {
                regs.push(self.local_reg[i]);
            }
        }
        for h in 0..self.stack.len() {
            if self.stack[h].gc && self.stack[h].op == Operand::Temp {
                regs.push((self.locals + self.stack[h].at) as u16);
            }
        }
        if !regs.is_empty() {
            self.gc_maps.push(GcMap {
                at: self.code.len() as u32,
                regs: regs.into_boxed_slice(),
            });
        }
    }

    /// Pushes a Temp and returns its register.
    fn push_temp(&mut self) -> Result<Dst> {
        let h = self.stack.len();
        self.push(Operand::Temp)?;
        Ok(Dst(self.slot(h)?))
    }

    /// Pushes a `v128` Temp and returns its first register.
    fn push_temp128(&mut self) -> Result<Dst> {
        let h = self.stack.len();
        self.push_wide(Operand::Temp, 2)?;
        Ok(Dst(self.slot(h)?))
    }

    /// Drops the operands from height `h` up.
    fn truncate(&mut self, h: usize) {
        if h < self.stack.len() {
            self.next_reg = self.stack[h].at;
            let dropped = self.stack[h..].iter().filter(|e| e.gc).count() as u32;
            self.gc_operands -= dropped;
            self.stack.truncate(h);
        }
    }

    /// A copy of `width` registers.
    fn copy(&mut self, dst: Dst, src: Reg, width: u32) {
        if width == 2 {
            self.emit(Instr::Copy128 { dst, src });
        } else {
            self.emit(Instr::Copy { dst, src });
        }
    }

    fn emit(&mut self, i: Instr) -> u32 {
        self.last_result = None;
        self.push_code(i);
        (self.code.len() - 1) as u32
    }

    /// Emits an instruction whose result is the Temp on top of the stack.
    fn emit_result(&mut self, i: Instr) {
        self.push_code(i);
        self.last_result = Some(self.code.len() - 1);
    }

    /// Whether instruction `i` is the last one emitted (its `Data` may follow it).
    fn is_last(&self, i: usize) -> bool {
        let n = self.code.len();
        i + 1 == n || (i + 2 == n && matches!(self.code[n - 1], Instr::Data { .. }))
    }

    /// Appends `i`, attributed to the operator being translated (a module offset: bodies
    /// are at most `limits::MAX_MODULE_SIZE` into the module, which fits in 32 bits).
    #[inline]
    fn push_code(&mut self, i: Instr) {
        self.code.push(i);
        self.offsets.push(self.offset as u32);
    }

    /// Removes the last instruction (an operator about to absorb it re-emits it fused).
    fn unemit(&mut self) {
        self.code.pop();
        self.offsets.pop();
    }

    /// The register holding operand `h`, writing a constant into its slot if needed.
    fn reg_at(&mut self, h: usize) -> Result<Reg> {
        match self.stack[h].op {
            Operand::Local(x) => Ok(Reg(x)),
            Operand::Temp => Ok(Reg(self.slot(h)?)),
            Operand::Const(v) => {
                let dst = Dst(self.slot(h)?);
                self.emit_const(dst, v);
                self.stack[h].op = Operand::Temp;
                Ok(Reg(dst.0))
            }
        }
    }

    fn emit_const(&mut self, dst: Dst, v: u64) {
        if v <= u32::MAX as u64 {
            self.emit(Instr::Const32 {
                dst,
                value: v as u32,
            });
        } else {
            self.emit(Instr::Const64 { dst, value: v });
        }
    }

    fn top_reg(&mut self) -> Result<Reg> {
        let h = self.stack.len() - 1;
        self.reg_at(h)
    }

    fn pop_n(&mut self, n: usize) {
        let len = self.stack.len() - n;
        self.truncate(len);
    }

    /// Puts operand `h` into its own slot.
    fn materialize(&mut self, h: usize) -> Result<()> {
        let dst = Dst(self.slot(h)?);
        match self.stack[h].op {
            Operand::Temp => return Ok(()),
            Operand::Local(x) => self.copy(dst, Reg(x), self.width(h)),
            Operand::Const(v) => self.emit_const(dst, v),
        }
        self.stack[h].op = Operand::Temp;
        Ok(())
    }

    fn materialize_all(&mut self) -> Result<()> {
        for h in 0..self.stack.len() {
            self.materialize(h)?;
        }
        Ok(())
    }

    /// Before local `x` is written: operands still reading it in place get their own copy.
    fn preserve_local(&mut self, x: u16, below: usize) -> Result<()> {
        for h in 0..below {
            if self.stack[h].op == Operand::Local(x) {
                self.materialize(h)?;
            }
        }
        Ok(())
    }

    /// Copies the top `n` operands to the registers of the operands from stack height `to`
    /// (which take the same widths: they are the same label's values). Copies go in
    /// ascending order, each to a register at or below its source's, so none overwrites a
    /// source still to be read.
    fn copy_top_to(&mut self, n: usize, to: usize) -> Result<()> {
        let first = self.stack.len() - n;
        let mut d = self.slot(to)?;
        for h in first..first + n {
            let w = self.width(h);
            let dst = Dst(d);
            match self.stack[h].op {
                Operand::Temp if self.slot(h)? == d => {}
                Operand::Temp => {
                    let src = Reg(self.slot(h)?);
                    self.copy(dst, src, w);
                }
                Operand::Local(x) => self.copy(dst, Reg(x), w),
                Operand::Const(v) => self.emit_const(dst, v),
            }
            d += w as u16;
        }
        Ok(())
    }

    /// Registers the top `n` operands take.
    fn top_width(&self, n: usize) -> u32 {
        let first = self.stack.len() - n;
        self.next_reg - self.stack.get(first).map_or(self.next_reg, |e| e.at)
    }

    /// A block's parameter and result types.
    fn block_sig(&self, bt: BlockType) -> (&'m [ValType], &'m [ValType]) {
        match bt {
            BlockType::Empty => (&[], &[]),
            BlockType::Value(t) => (&[], one_value(t, self.ctx.types.is_traced(t))),
            BlockType::Func(idx) => {
                let ctx: &'m ModuleCtx = self.ctx;
                let f = ctx.types.func_type(idx).expect("validated block type");
                (f.params(), f.results())
            }
        }
    }

    fn push_ctrl(
        &mut self,
        kind: Kind,
        (params_ty, results_ty): (&'m [ValType], &'m [ValType]),
        dead: bool,
    ) {
        let (params, results) = (params_ty.len() as u32, results_ty.len() as u32);
        let mut patches = self.spare_patches.pop().unwrap_or_default();
        patches.clear();
        let height = (self.stack.len() as u32).saturating_sub(params);
        // The block's parameters take the flags of its declared types, not of the values
        // that entered it (a loop's back edges bring others: `ref.null` in, objects back).
        if !dead {
            for (i, t) in params_ty.iter().enumerate() {
                let h = height as usize + i;
                if let Some(flag) = self.stack.get_mut(h).map(|e| &mut e.gc) {
                    let gc = self.ctx.types.is_traced(*t);
                    if *flag != gc {
                        *flag = gc;
                        if gc {
                            self.gc_operands += 1;
                        } else {
                            self.gc_operands -= 1;
                        }
                    }
                }
            }
        }
        self.assigned.push();
        self.equal.push(kind);
        self.ctrls.push(Ctrl {
            kind,
            height,
            params,
            results,
            params_ty,
            results_ty,
            start: self.code.len() as u32,
            patches,
            else_patch: None,
            dead,
            try_region: None,
        });
    }

    /// Points the branch at `at` to instruction `target` (branches hold relative offsets).
    fn patch(&mut self, at: u32, target: u32) {
        let rel = target as i32 - at as i32;
        let instr = &mut self.code[at as usize];
        match instr.branch_offset_mut() {
            Some(to) => *to = rel,
            // (No name in the message: it would keep every instruction's name in embedders'
            // binaries, 20 KB.)
            None => unreachable!("patching a non-branch instruction"),
        }
    }

    /// Emits a branch to the label `depth` frames out (after its values were placed).
    fn branch_to(&mut self, depth: u32, make: impl FnOnce(i32) -> Instr) {
        let idx = self.ctrls.len() - 1 - depth as usize;
        let ctrl = &self.ctrls[idx];
        self.assigned.branch(idx, ctrl.kind);
        self.equal.branch(idx, ctrl.kind);
        if ctrl.kind == Kind::Loop {
            let back = ctrl.start as i32 - self.code.len() as i32;
            self.emit(make(back));
        } else {
            let at = self.emit(make(0));
            self.ctrls[idx].patches.push(at);
        }
    }

    /// Places the label's values for a branch out `depth` frames; true if nothing was copied.
    fn place_branch_values(&mut self, depth: u32) -> Result<()> {
        let ctrl = &self.ctrls[self.ctrls.len() - 1 - depth as usize];
        let (n, to) = (ctrl.label_arity() as usize, ctrl.height as usize);
        self.copy_top_to(n, to)
    }

    fn values_in_place(&self, depth: u32) -> bool {
        let ctrl = &self.ctrls[self.ctrls.len() - 1 - depth as usize];
        let (n, to) = (ctrl.label_arity() as usize, ctrl.height as usize);
        let first = self.stack.len() - n;
        (0..n).all(|i| self.stack[first + i].op == Operand::Temp && first + i == to + i)
    }

    // ----- the function -----

    /// Translates one function body, validating it on the way.
    pub fn translate(
        &mut self,
        fv: &mut FuncValidator<'_>,
        type_index: u32,
        mut reader: BinaryReader<'_>,
    ) -> Result<CompiledFunc<'_>> {
        let body_offset = reader.offset() as u32;
        fv.begin_function(type_index, &mut reader)?;
        let ctx: &'m ModuleCtx = self.ctx;
        let ty = ctx
            .types
            .func_type(type_index)
            .expect("validated function type");
        let (params, results) = (cells_of(ty.params()), cells_of(ty.results()));
        self.offset = reader.offset();
        self.local_reg.clear();
        self.local_wide.clear();
        self.local_gc.clear();
        self.gc_operands = 0;
        self.gc_maps.clear();
        let mut next = 0u32;
        for t in fv.locals() {
            if next >= u16::MAX as u32 - 1 {
                return Err(unsupported(
                    reader.offset(),
                    "locals in more than 65,534 registers",
                ));
            }
            self.local_reg.push(next as u16);
            self.local_wide.push(*t == ValType::V128);
            self.local_gc.push(ctx.types.is_traced(*t));
            next += width(*t);
        }
        self.locals = next;
        self.gc_locals = self.local_gc.iter().any(|g| *g);
        self.stack.clear();
        self.next_reg = 0;
        self.ctrls.clear();
        self.code.clear();
        self.offsets.clear();
        self.handlers.clear();
        self.max_height = 0;
        self.reachable = true;
        self.last_result = None;
        let locals = self
            .local_reg
            .iter()
            .zip(&self.local_wide)
            .map(|(r, w)| (*r, 1 + *w as u32))
            .zip(self.local_gc.iter().copied());
        self.assigned.begin(ty.params().len(), locals, self.locals);
        self.equal.begin();
        self.push_ctrl(Kind::Func, (&[], ty.results()), false);
        self.fuel_at = None;
        self.entry_checks();
        while !reader.eof() {
            let at = reader.offset();
            fv.set_offset(at);
            self.offset = at;
            visit_operator(&mut reader, &mut Fused { v: fv, t: self })?;
            if fv.is_done() {
                break;
            }
        }
        fv.finish(&reader)?;
        self.drop_needless_entry_epoch();
        self.thread_jumps();
        self.duplicate_short_tails();
        self.use_accumulator();
        self.fuse_pairs_and_widen();
        debug_assert_eq!(self.code.len(), self.offsets.len());
        Ok(CompiledFunc {
            code: &self.code,
            offsets: OffsetTable::new(&self.offsets),
            body_offset,
            frame_size: self.locals + self.max_height.max(results),
            params,
            locals: self.locals,
            zeroed: self.assigned.zeroed(params).min(self.locals - params),
            results,
            handlers: core::mem::take(&mut self.handlers).into_boxed_slice(),
            gc_maps: core::mem::take(&mut self.gc_maps).into_boxed_slice(),
        })
    }

    // ----- numeric -----

    fn binary(&mut self, op: BinOp) -> Result<()> {
        let hb = self.stack.len() - 1;
        let ha = hb - 1;
        let imm_width = int_width(op).filter(|_| spindle_ir::SUPERINSTRUCTIONS);
        if let (Operand::Const(c), Some(is64)) = (self.stack[hb].op, imm_width) {
            let fits = if is64 {
                (c as i64) >= i32::MIN as i64 && (c as i64) <= i32::MAX as i64
            } else {
                true
            };
            if fits && !matches!(self.stack[ha].op, Operand::Const(_)) {
                let a = self.reg_at(ha)?;
                self.pop_n(2);
                let dst = self.push_temp()?;
                if let Some(i) = op.instr_imm(dst, a, c as i32) {
                    self.emit_result(i);
                    return Ok(());
                }
                unreachable!("int_width admits only operators with immediate forms");
            }
        }
        let a = self.reg_at(ha)?;
        let b = self.reg_at(hb)?;
        self.pop_n(2);
        let dst = self.push_temp()?;
        let instr = op.instr(dst, a, b);
        self.emit_result(instr);
        self.canonicalize_nans(instr.opcode())
    }

    fn unary(&mut self, op: UnOp) -> Result<()> {
        // Every `i32` is held zero-extended in its register or the accumulator
        // (ARCHITECTURE.md, "Values in registers"), so its zero-extension to `i64` is the
        // operand as it stands: the stack entry stays, now an `i64`, and no instruction runs.
        if op == UnOp::I64ExtendI32U {
            return Ok(());
        }
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        let instr = op.instr(dst, src);
        self.emit_result(instr);
        self.canonicalize_nans(instr.opcode())
    }

    fn push_const(&mut self, v: u64) -> Result<()> {
        self.push(Operand::Const(v))
    }

    // ----- variables, constants and references -----

    fn visit_drop(&mut self) -> Result<()> {
        self.pop_n(1);
        Ok(())
    }

    fn visit_select(&mut self) -> Result<()> {
        let h = self.stack.len() - 1;
        let cond = self.reg_at(h)?;
        let b = self.reg_at(h - 1)?;
        let a = self.reg_at(h - 2)?;
        let wide = self.width(h - 1) == 2;
        let gc = self.stack[h - 1].gc || self.stack[h - 2].gc;
        self.pop_n(3);
        if wide {
            let dst = self.push_temp128()?;
            self.emit_result(Instr::Select128 { dst, cond, a, b });
        } else {
            let h = self.stack.len();
            self.push_entry(Operand::Temp, 1, gc)?;
            let dst = Dst(self.slot(h)?);
            self.emit_result(Instr::Select { dst, cond, a, b });
        }
        Ok(())
    }

    fn visit_typed_select(&mut self, _ty: SelectType) -> Result<()> {
        self.visit_select()
    }

    fn visit_local_get(&mut self, local: u32) -> Result<()> {
        let (x, w) = self.local(local);
        self.assigned.read(local, x, w);
        let gc = self.local_gc[local as usize];
        self.push_entry(Operand::Local(x), w, gc)
    }

    /// The first register and the width of local `local`.
    fn local(&self, local: u32) -> (u16, u32) {
        let i = local as usize;
        (self.local_reg[i], 1 + self.local_wide[i] as u32)
    }

    fn local_set(&mut self, local: u32, tee: bool) -> Result<()> {
        self.assigned.write(local);
        let (x, w) = self.local(local);
        let h = self.stack.len() - 1;
        let before = self.code.len();
        self.preserve_local(x, h)?;
        let preserved = self.code.len() != before;
        match self.stack[h].op {
            Operand::Temp => {
                self.equal.write(x);
                let slot = self.slot(h)?;
                let retarget = self.last_result.filter(|&i| {
                    !preserved
                        && self.is_last(i)
                        && self.code[i].dst_mut().map(|d| d.0) == Some(slot)
                });
                if let Some(i) = retarget {
                    if let Some(d) = self.code[i].dst_mut() {
                        *d = Dst(x);
                    }
                } else {
                    self.copy(Dst(x), Reg(slot), w);
                }
            }
            Operand::Local(y) => {
                if w != 1 {
                    self.equal.write(x);
                    if y != x {
                        self.copy(Dst(x), Reg(y), w);
                    }
                } else if y != x && !self.equal.holds(x, y) {
                    // (Not when the two hold the same value already on every path here.)
                    self.copy(Dst(x), Reg(y), w);
                    self.equal.copied(x, y);
                }
            }
            Operand::Const(v) => {
                self.equal.write(x);
                self.emit_const(Dst(x), v)
            }
        }
        self.pop_n(1);
        self.last_result = None;
        if tee {
            let gc = self.local_gc[local as usize];
            self.push_entry(Operand::Local(x), w, gc)?;
        }
        Ok(())
    }

    fn visit_local_set(&mut self, local: u32) -> Result<()> {
        self.local_set(local, false)
    }

    fn visit_local_tee(&mut self, local: u32) -> Result<()> {
        self.local_set(local, true)
    }

    fn visit_global_get(&mut self, global: u32) -> Result<()> {
        if self.ctx.globals[global as usize].content == ValType::V128 {
            let dst = self.push_temp128()?;
            self.emit_result(Instr::GlobalGet128 { dst, idx: global });
        } else {
            let t = self.ctx.globals[global as usize].content;
            let dst = self.push_temp_typed(t)?;
            self.emit_result(Instr::GlobalGet { dst, idx: global });
        }
        Ok(())
    }

    fn visit_global_set(&mut self, global: u32) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        if self.ctx.globals[global as usize].content == ValType::V128 {
            self.emit(Instr::GlobalSet128 { src, idx: global });
        } else {
            self.emit(Instr::GlobalSet { src, idx: global });
        }
        Ok(())
    }

    fn visit_i32_const(&mut self, value: i32) -> Result<()> {
        self.push_const(value as u32 as u64)
    }

    fn visit_i64_const(&mut self, value: i64) -> Result<()> {
        self.push_const(value as u64)
    }

    fn visit_f32_const(&mut self, value: Ieee32) -> Result<()> {
        self.push_const(value.0 as u64)
    }

    fn visit_f64_const(&mut self, value: Ieee64) -> Result<()> {
        self.push_const(value.0)
    }

    fn visit_ref_null(&mut self, hty: HeapType) -> Result<()> {
        let t = ValType::Ref(spindle_decode::RefType {
            nullable: true,
            heap: hty,
        });
        self.push_typed(Operand::Const(0), t)
    }

    fn visit_ref_is_null(&mut self) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::RefIsNull { dst, src });
        Ok(())
    }

    fn visit_ref_func(&mut self, func: u32) -> Result<()> {
        let dst = self.push_temp()?;
        self.emit_result(Instr::RefFunc { dst, func });
        Ok(())
    }

    /// Control operators in unreachable code: only the frame structure is tracked.
    fn dead_op(&mut self, op: Opcode) -> Result<()> {
        match op {
            Opcode::Block | Opcode::Loop | Opcode::If | Opcode::TryTable => {
                self.push_ctrl(Kind::Block, (&[], &[]), true);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Registers a value of type `t` takes: two for a `v128`, one for the rest.
fn width(t: ValType) -> u32 {
    if t == ValType::V128 {
        2
    } else {
        1
    }
}

/// Registers values of `types` take, one after another.
fn cells_of(types: &[ValType]) -> u32 {
    types.iter().map(|t| width(*t)).sum()
}

/// A stand-in type list for a block's single value of type `t`: the labels keep types only
/// to lay out registers and to know which values the collector traces, so one of the same
/// width and the same `gc` (whether `t` is such a reference) does.
fn one_value(t: ValType, gc: bool) -> &'static [ValType] {
    use spindle_decode::{AbstractHeapType, RefType};
    const ANYREF: ValType = ValType::Ref(RefType::null(AbstractHeapType::Any));
    if t == ValType::V128 {
        &[ValType::V128]
    } else if gc {
        &[ANYREF]
    } else {
        &[ValType::I64]
    }
}

/// Whether control may leave the straight line after `instr` other than by a branch
/// offset: tables, returns, traps, calls (a callee may throw to a handler of this function)
/// and throws.
fn ends_block(instr: &Instr) -> bool {
    instr.is_call()
        || instr.table_len().is_some()
        || matches!(
            instr,
            Instr::Return { .. }
                | Instr::Return1 { .. }
                | Instr::Return1Acc { .. }
                | Instr::Trap { .. }
                | Instr::Throw { .. }
                | Instr::ThrowRef { .. }
        )
}

/// Whether an integer operator is 64-bit (`Some(true)`), 32-bit, or not an integer operator.
fn int_width(op: BinOp) -> Option<bool> {
    use BinOp::*;
    match op {
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU
        | I32Add | I32Sub | I32Mul | I32DivS | I32DivU | I32RemS | I32RemU | I32And | I32Or
        | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => Some(false),
        I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU
        | I64Add | I64Sub | I64Mul | I64DivS | I64DivU | I64RemS | I64RemU | I64And | I64Or
        | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr => Some(true),
        _ => None,
    }
}

/// Validates then translates each operator.
struct Fused<'x, 'v, 'm> {
    v: &'x mut FuncValidator<'v>,
    t: &'x mut Translator<'m>,
}

// The table's type names, for `fused_op!`'s signatures.
const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;
const F32: ValType = ValType::F32;
const F64: ValType = ValType::F64;
const V128: ValType = ValType::V128;

/// A plain operator's signature, `[params] -> [result]` of at most three numeric or vector
/// parameters, in 16 bits (four bits a type, 0 for none): one small constant in each
/// operator's arm.
#[derive(Clone, Copy)]
struct Sig(u16);

impl Sig {
    const fn of(params: &[ValType], result: Option<ValType>) -> Sig {
        const fn code(t: ValType) -> u16 {
            match t {
                ValType::I32 => 1,
                ValType::I64 => 2,
                ValType::F32 => 3,
                ValType::F64 => 4,
                ValType::V128 => 5,
                ValType::Ref(_) => panic!("plain operators have no reference operands"),
            }
        }
        assert!(params.len() <= 3);
        let mut bits = match result {
            Some(t) => code(t) << 12,
            None => 0,
        };
        let mut i = 0;
        while i < params.len() {
            bits |= code(params[i]) << (4 * i);
            i += 1;
        }
        Sig(bits)
    }

    fn ty(code: u16) -> Option<ValType> {
        Some(match code & 15 {
            1 => ValType::I32,
            2 => ValType::I64,
            3 => ValType::F32,
            4 => ValType::F64,
            5 => ValType::V128,
            _ => return None,
        })
    }

    /// The parameters (the first `n` of the array) and the result.
    fn types(self) -> ([ValType; 3], usize, Option<ValType>) {
        let mut params = [ValType::I32; 3];
        let mut n = 0;
        while n < 3 {
            match Sig::ty(self.0 >> (4 * n)) {
                Some(t) => params[n] = t,
                None => break,
            }
            n += 1;
        }
        (params, n, Sig::ty(self.0 >> 12))
    }
}

/// What a plain operator becomes: one instruction of a numeric or SIMD register family.
#[derive(Clone, Copy)]
enum PlainTr {
    Binary(BinOp),
    Unary(UnOp),
    /// `Instr::simd_of(op)` of the top `n` operands, `wide` when the result is a `v128`.
    Simd {
        op: spindle_ir::Opcode,
        n: u8,
        wide: bool,
    },
}

impl PlainTr {
    const fn simd(op: spindle_ir::Opcode, n: u8, wide: bool) -> PlainTr {
        PlainTr::Simd { op, n, wide }
    }
}

impl Fused<'_, '_, '_> {
    /// Validates and translates plain operator `op` (see `fused_op!`): typed `sig`,
    /// translated as `tr`. About 350 operators (numeric and SIMD) come here; out of line in
    /// builds for size, where each one's arm is then a call with three constants (it was
    /// about 55 bytes of inlined validation, reachability test and fuel charge each).
    #[cfg_attr(not(size_opt), inline(always))]
    #[cfg_attr(size_opt, inline(never))]
    fn plain(&mut self, op: Opcode, sig: Sig, tr: PlainTr) -> Result<()> {
        let (params, n, result) = sig.types();
        self.v.check_plain(op, &params[..n], result)?;
        let t = &mut *self.t;
        if !t.reachable {
            return t.dead_op(op);
        }
        t.charge();
        match tr {
            PlainTr::Binary(b) => t.binary(b),
            PlainTr::Unary(u) => t.unary(u),
            PlainTr::Simd { op, n, wide } => t.simd_op(op, n as usize, wide, 0),
        }
    }
}

/// How one operator is translated, from its table entry.
macro_rules! translate_op {
    // SIMD lane accesses (the register families are `fused_op!`'s plain operators).
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($lane:ident), [lane $n:literal V128 -> $r:ident]) => {
        $t.simd_op(spindle_ir::Opcode::$name, 1, false, $lane)
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($lane:ident), [lane $n:literal V128 $s:ident -> V128]) => {
        $t.simd_op(spindle_ir::Opcode::$name, 2, true, $lane)
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($memarg:ident), [mem $align:literal -> V128]) => {
        $t.v_load(|dst, addr, imm, offset| Instr::$name { dst, addr, imm, offset }, VLoadKind::$name, $memarg)
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($memarg:ident, $lane:ident), [lane_mem $log2:literal $n:literal V128 -> V128]) => {
        $t.v_load_lane($log2, $memarg, $lane)
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($memarg:ident, $lane:ident), [lane_mem $log2:literal $n:literal V128 ->]) => {
        $t.v_store_lane($log2, $memarg, $lane)
    };
    ($t:ident, $visit:ident, Simd, V128Store, ($memarg:ident), $($rest:tt)*) => { $t.visit_v128_store($memarg) };
    ($t:ident, $visit:ident, Threads, AtomicFence, ($flags:ident), $($rest:tt)*) => { Ok(()) };
    ($t:ident, $visit:ident, Threads, $name:ident, ($memarg:ident), $($rest:tt)*) => {
        $t.atomic(Opcode::$name, $memarg)
    };
    ($t:ident, $visit:ident, Gc, $name:ident, ($($imm:ident),*), $($rest:tt)*) => { $t.$visit($($imm),*) };
    ($t:ident, $visit:ident, WideArith, $name:ident, (), [$($x:ident)* -> $($y:ident)*]) => { $t.$visit() };
    ($t:ident, $visit:ident, CustomDesc, $name:ident, ($($imm:ident),*), $($rest:tt)*) => { $t.$visit($($imm),*) };
    // Hand-written.
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($($imm:ident),*), [custom]) => { $t.$visit($($imm),*) };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($($imm:ident),*), [-> $r:ident]) => { $t.$visit($($imm),*) };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [->]) => { Ok(()) };
    // Memory accesses.
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($memarg:ident), [mem $align:literal -> $r:ident]) => {
        $t.load(|dst, addr, offset| Instr::$name { dst, addr, offset }, $memarg)
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($memarg:ident), [mem $align:literal $p:ident ->]) => {
        $t.store(|addr, value, offset| Instr::$name { addr, value, offset }, $memarg)
    };
}

/// How one operator is validated and translated, from its table entry: a plain operator
/// (no immediates; typed by its signature alone; one instruction of a numeric or SIMD
/// register family) through [`Fused::plain`] with its facts as constants, every other one
/// through its validator visit and `translate_op!`.
macro_rules! fused_op {
    // Proposals whose operators are translated by hand (none has a plain signature).
    ($f:ident, $visit:ident, Threads, $name:ident, $imms:tt, $sig:tt) => {
        fused_general!($f, $visit, Threads, $name, $imms, $sig)
    };
    ($f:ident, $visit:ident, Gc, $name:ident, $imms:tt, $sig:tt) => {
        fused_general!($f, $visit, Gc, $name, $imms, $sig)
    };
    ($f:ident, $visit:ident, WideArith, $name:ident, $imms:tt, $sig:tt) => {
        fused_general!($f, $visit, WideArith, $name, $imms, $sig)
    };
    ($f:ident, $visit:ident, CustomDesc, $name:ident, $imms:tt, $sig:tt) => {
        fused_general!($f, $visit, CustomDesc, $name, $imms, $sig)
    };
    // SIMD, by signature: each family's instruction through one constructor
    // (`Instr::simd_of`) of as many operands as it has parameters, `wide` when the result
    // is a `v128`.
    ($f:ident, $visit:ident, $prop:ident, $name:ident, (), [$($p:ident)+ -> V128]) => {
        $f.plain(
            Opcode::$name,
            const { Sig::of(&[$($p),+], Some(V128)) },
            PlainTr::simd(spindle_ir::Opcode::$name, [$($p),+].len() as u8, true),
        )
    };
    ($f:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 -> I32]) => {
        $f.plain(
            Opcode::$name,
            const { Sig::of(&[V128], Some(I32)) },
            PlainTr::simd(spindle_ir::Opcode::$name, 1, false),
        )
    };
    // Hand-written, immediates, memory accesses.
    ($f:ident, $visit:ident, $prop:ident, $name:ident, $imms:tt, [custom]) => {
        fused_general!($f, $visit, $prop, $name, $imms, [custom])
    };
    // Numeric.
    ($f:ident, $visit:ident, $prop:ident, $name:ident, (), [$a:ident $b:ident -> $r:ident]) => {
        $f.plain(
            Opcode::$name,
            const { Sig::of(&[$a, $b], Some($r)) },
            PlainTr::Binary(BinOp::$name),
        )
    };
    ($f:ident, $visit:ident, $prop:ident, $name:ident, (), [$a:ident -> $r:ident]) => {
        $f.plain(
            Opcode::$name,
            const { Sig::of(&[$a], Some($r)) },
            PlainTr::Unary(UnOp::$name),
        )
    };
    ($f:ident, $visit:ident, $prop:ident, $name:ident, $imms:tt, $sig:tt) => {
        fused_general!($f, $visit, $prop, $name, $imms, $sig)
    };
}

/// A fused operator that is not plain: the validator's visit, then `translate_op!`.
macro_rules! fused_general {
    ($f:ident, $visit:ident, $prop:ident, $name:ident, ($($imm:ident),*), $sig:tt) => {{
        Visitor(&mut *$f.v).$visit($($imm.clone()),*)?;
        // The validator refused it already if its proposal is not compiled in; this
        // constant test makes the translation below dead code then.
        spindle_validate::check_compiled_in(Proposal::$prop, 0)?;
        let t = &mut *$f.t;
        if !t.reachable && !matches!(Opcode::$name, Opcode::Else | Opcode::End) {
            return t.dead_op(Opcode::$name);
        }
        t.charge();
        translate_op!(t, $visit, $prop, $name, ($($imm),*), $sig)
    }};
}

macro_rules! define_fused {
    ($( $prop:ident $prefix:literal $code:literal $name:ident $visit:ident
        { $($imm:ident : $ity:ty),* } [$($sig:tt)*] )*) => {
        #[allow(clippy::clone_on_copy)]
        impl<'a> VisitOperator<'a> for Fused<'_, '_, '_> {
            type Output = Result<()>;
            $(
                #[inline]
                fn $visit(&mut self $(, $imm: $ity)*) -> Result<()> {
                    fused_op!(self, $visit, $prop, $name, ($($imm),*), [$($sig)*])
                }
            )*
        }
    };
}

spindle_decode::for_each_operator!(define_fused);

/// Validates and translates one function body of type `type_index`.
pub fn translate_function<'t>(
    t: &'t mut Translator<'_>,
    fv: &mut FuncValidator<'_>,
    type_index: u32,
    body: BinaryReader<'_>,
) -> Result<CompiledFunc<'t>> {
    t.translate(fv, type_index, body)
}

#[allow(dead_code)]
fn _assert_types(_: ValType) {}
