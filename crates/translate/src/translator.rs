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
    /// Each instruction's position after `fuse_pairs` (reused).
    new_positions: Vec<u32>,
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
            Some(NanCanon::F32x4) => {
                self.simd(1, true, |dst, r| Instr::F32x4CanonNan { dst, src: r[0] })
            }
            Some(NanCanon::F64x2) => {
                self.simd(1, true, |dst, r| Instr::F64x2CanonNan { dst, src: r[0] })
            }
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
    ) -> Result<CompiledFunc> {
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
        self.use_accumulator();
        self.fuse_pairs();
        self.widen();
        debug_assert_eq!(self.code.len(), self.offsets.len());
        Ok(CompiledFunc {
            code: self.code.as_slice().into(),
            offsets: OffsetTable::new(&self.offsets),
            body_offset,
            frame_size: self.locals + self.max_height.max(results),
            params,
            locals: self.locals,
            results,
            handlers: core::mem::take(&mut self.handlers).into_boxed_slice(),
            gc_maps: core::mem::take(&mut self.gc_maps).into_boxed_slice(),
        })
    }

    /// Removes the function-entry `Epoch` of a function that calls nothing. The entry check
    /// exists to stop unbounded chains of calls (recursion has no loop header to check
    /// at); every function in such a chain calls, so keeps its check, and a function that
    /// calls nothing runs for a bounded time except around its loops, whose headers check.
    /// (The check is the first instruction, or the second after a fuel charge: no branch
    /// crosses it, so removing it shifts every later position by one and leaves every
    /// relative branch as it is.)
    fn drop_needless_entry_epoch(&mut self) {
        let at = usize::from(self.fuel);
        if !self.epoch
            || !matches!(self.code.get(at), Some(Instr::Epoch {}))
            || self.code.iter().any(Instr::is_call)
        {
            return;
        }
        self.code.remove(at);
        self.offsets.remove(at);
        let at = at as u32;
        self.gc_maps.retain(|m| m.at != at);
        let shift = |i: &mut u32| {
            if *i > at {
                *i -= 1;
            }
        };
        for map in &mut self.gc_maps {
            shift(&mut map.at);
        }
        for region in &mut self.handlers {
            shift(&mut region.start);
            shift(&mut region.end);
            for catch in region.catches.iter_mut() {
                shift(&mut catch.pad);
            }
        }
    }

    /// Branches that land on a `Br` go straight to its target, and a `Copy` followed by a
    /// `Br` becomes one `CopyBr` (the `Br` stays in place for branches that land on it).
    fn thread_jumps(&mut self) {
        let n = self.code.len();
        for i in 0..n {
            let Some(mut to) = self.code[i].branch_offset() else {
                continue;
            };
            // A few hops at most: chains are short, and a loop of `Br`s must not hang us.
            for _ in 0..4 {
                let Some(t) = i.checked_add_signed(to as isize).filter(|t| *t < n) else {
                    break;
                };
                match self.code[t] {
                    Instr::Br { to: next } if t != i => to += next,
                    _ => break,
                }
            }
            if let Some(slot) = self.code[i].branch_offset_mut() {
                *slot = to;
            }
        }
        // A jump to a `Return` returns in place (a `Return` means the same anywhere). A
        // `br_table` entry may so become a `Return`: the interpreter runs such an entry
        // instead of following it (`follow_table_entry`).
        for i in 0..n {
            if let Instr::Br { to } = self.code[i] {
                let t = i.checked_add_signed(to as isize).filter(|t| *t < n);
                if let Some(ret @ Instr::Return { .. }) = t.map(|t| self.code[t]) {
                    self.code[i] = ret;
                }
            }
        }
        for i in 0..n.saturating_sub(1) {
            // A copy whose only use is returning it returns its source: nothing after a
            // return reads the copy. (What jumps to the `Return` is unchanged.)
            if let (Instr::Copy { dst, src }, Instr::Return { src: r, len: 1 }) =
                (self.code[i], self.code[i + 1])
            {
                if r.0 == dst.0 {
                    self.code[i] = Instr::Return { src, len: 1 };
                }
                continue;
            }
            if let (Instr::Copy { dst, src }, Instr::Br { to }) = (self.code[i], self.code[i + 1]) {
                self.code[i] = Instr::CopyBr {
                    dst,
                    src,
                    to: to + 1,
                };
            }
        }
    }

    /// Two adjacent instructions become one (`Instr::fused_pair`) where no branch lands on
    /// the second: moves (`Copy`, `Const32`) into `Copy2`, `Const32x2`, `CopyConst32`,
    /// `Const32Copy` (a quarter of compiled C's instructions are such moves, mostly
    /// placing call arguments: SQLite's shell, 12,500 fewer of 177,000), and a counted
    /// loop's increment and the branch on it into one latch instruction (one dispatch
    /// less per iteration). Runs last: a pair has two results, which the passes before
    /// would have to know about. Positions after a pair move down, so every branch
    /// offset, `try_table` region, catch pad and GC map follows, and the pair keeps the
    /// first instruction's Wasm offset (neither kind of pair can trap, so no backtrace
    /// needs the second's).
    fn fuse_pairs(&mut self) {
        const GONE: u32 = u32::MAX;
        let n = self.code.len();
        self.mark_entries();
        let targets = &self.branch_targets;
        // Pair in place; the second move's position is marked `GONE`.
        let new = &mut self.new_positions;
        new.clear();
        new.resize(n + 1, 0);
        let mut removed = 0;
        let mut i = 0;
        while i + 1 < n {
            let pair = if targets[i + 1] {
                None
            } else {
                Instr::fused_pair(self.code[i], self.code[i + 1])
            };
            if let Some(p) = pair {
                self.code[i] = p;
                new[i + 1] = GONE;
                removed += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        if removed == 0 {
            return;
        }
        // Each position's place after the removal: how many kept instructions precede it
        // (a removed one gets its successor's; one past the end, the new length).
        let mut next = 0u32;
        for slot in new.iter_mut() {
            let kept = *slot != GONE;
            *slot = next;
            next += u32::from(kept);
        }
        self.move_positions();
        let new = &self.new_positions;
        let mut w = 0;
        for r in 0..n {
            // Kept: the next position's place is one more than its own.
            if new[r + 1] != new[r] {
                self.code[w] = self.code[r];
                self.offsets[w] = self.offsets[r];
                w += 1;
            }
        }
        self.code.truncate(w);
        self.offsets.truncate(w);
    }

    /// Points every branch, handler region, catch pad and collector map at the positions
    /// `new_positions` gives the instructions (one entry each, and one past the end), before
    /// the code itself is moved.
    fn move_positions(&mut self) {
        let new = &self.new_positions;
        let n = self.code.len();
        for (i, instr) in self.code.iter_mut().enumerate() {
            let Some(to) = instr.branch_offset() else {
                continue;
            };
            let target = i.checked_add_signed(to as isize).filter(|t| *t <= n);
            if let (Some(t), Some(slot)) = (target, instr.branch_offset_mut()) {
                *slot = new[t] as i32 - new[i] as i32;
            }
        }
        let moved = |p: &mut u32| *p = new[(*p as usize).min(n)];
        for region in &mut self.handlers {
            moved(&mut region.start);
            moved(&mut region.end);
            for catch in region.catches.iter_mut() {
                moved(&mut catch.pad);
            }
        }
        for map in &mut self.gc_maps {
            moved(&mut map.at);
        }
    }

    /// Gives every wide instruction (fields of more than 8 bytes, `slot::WIDE`) the
    /// [`Instr::Ext`] slot after it that holds the rest of its fields in the interpreter's
    /// code: inserted, with branches, handler regions and collector maps moved to match.
    /// (A fused indexed load already has one: `fuse_indexed_loads` puts it in the first
    /// slot it skips.)
    fn widen(&mut self) {
        let n = self.code.len();
        // Each position's place after the insertions (one past the end included).
        let new = &mut self.new_positions;
        new.clear();
        let mut added = 0u32;
        for (p, instr) in self.code.iter().enumerate() {
            new.push(p as u32 + added);
            if spindle_ir::slot::WIDE[instr.opcode() as usize]
                && !matches!(self.code.get(p + 1), Some(Instr::Ext {}))
            {
                added += 1;
            }
        }
        new.push(n as u32 + added);
        if added == 0 {
            return;
        }
        self.move_positions();
        let new = &self.new_positions;
        // In place, from the end: each instruction moves to its new position, an `Ext`
        // after it where one was inserted.
        self.code.resize(n + added as usize, Instr::Ext {});
        self.offsets.resize(n + added as usize, 0);
        for i in (0..n).rev() {
            let (instr, offset) = (self.code[i], self.offsets[i]);
            let at = new[i] as usize;
            if new[i + 1] as usize == at + 2 {
                self.code[at + 1] = Instr::Ext {};
                self.offsets[at + 1] = offset;
            }
            self.code[at] = instr;
            self.offsets[at] = offset;
        }
    }

    /// Marks in `branch_targets` (an entry per instruction, and one past the end) where
    /// control can arrive other than from the instruction before: branch targets and catch
    /// pads.
    fn mark_entries(&mut self) {
        let targets = &mut self.branch_targets;
        targets.clear();
        targets.resize(self.code.len() + 1, false);
        for (i, instr) in self.code.iter().enumerate() {
            let to = instr.branch_offset();
            if let Some(t) = to.and_then(|to| i.checked_add_signed(to as isize)) {
                if let Some(slot) = targets.get_mut(t) {
                    *slot = true;
                }
            }
        }
        for catch in self.handlers.iter().flat_map(|r| r.catches.iter()) {
            if let Some(slot) = targets.get_mut(catch.pad as usize) {
                *slot = true;
            }
        }
    }

    /// Rewrites each instruction that reads the result of the instruction just before it
    /// to take that operand from the interpreter's accumulator, which holds the last result
    /// in a machine register (no store-to-load round trip through the frame on chains of
    /// operations). Only where control cannot arrive from elsewhere: not at branch targets.
    fn use_accumulator(&mut self) {
        self.mark_entries();
        for i in 1..self.code.len() {
            let prev = self.code[i - 1];
            if self.branch_targets[i] || !prev.sets_acc() {
                continue;
            }
            let Some(dst) = { prev }.dst_mut().map(|d| d.0) else {
                continue;
            };
            if let Some(with_acc) = self.code[i].to_acc(Reg(dst)) {
                self.code[i] = with_acc;
            }
        }
        self.fuse_indexed_loads();
        self.results_in_acc();
    }

    /// A numeric result that the next instruction takes from the accumulator and that
    /// nothing reads from its register afterwards goes to the accumulator only
    /// ([`Dst::ACC`]): no store to the frame.
    ///
    /// "Nothing reads it": for a temporary (a register above the locals, holding one slot
    /// of the Wasm operand stack) the consumer popped that slot, and a slot is read only
    /// while it holds a value, so nothing does until it is written again. (A value left in
    /// its slot for a label is consumed after the label: when a branch targets the label,
    /// `use_accumulator` does not fuse across it; when nothing does, falling through is the
    /// only way there, so the fused consumer is the value's only reader.) For a local it is
    /// proved on the straight line after the consumer: the register is overwritten before
    /// any instruction that may read it, branch, call or return, within a few instructions;
    /// otherwise the store stays.
    fn results_in_acc(&mut self) {
        const SCAN: usize = 16;
        let locals = self.locals;
        for i in 0..self.code.len().saturating_sub(1) {
            let producer = self.code[i];
            if !producer.can_result_in_acc() || !self.code[i + 1].reads_acc() {
                continue;
            }
            let Some(dst) = { producer }.dst_mut().map(|d| *d) else {
                continue;
            };
            let reg = Reg(dst.0);
            let dead = u32::from(dst.0) >= locals
                || self.code[i + 1..]
                    .iter()
                    .take(SCAN)
                    .map(|instr| {
                        if instr.may_read(reg)
                            || instr.branch_offset().is_some()
                            || ends_block(instr)
                        {
                            Some(false)
                        } else if { *instr }.dst_mut().is_some_and(|d| *d == dst) {
                            Some(true)
                        } else {
                            None
                        }
                    })
                    .find_map(|verdict| verdict)
                    .unwrap_or(false);
            if dead {
                if let Some(d) = self.code[i].dst_mut() {
                    *d = Dst::ACC;
                }
            }
        }
    }

    /// `tmp = index << k; sum = base + tmp; dst = i32.load (sum)` (after the accumulator
    /// pass: the add and the load take their operand from the accumulator, so neither is a
    /// branch target) becomes one `I32LoadIndexed` in the first slot, which skips the other
    /// two; `I32LoadIndexedAcc` when the index came from the accumulator too.
    fn fuse_indexed_loads(&mut self) {
        let n = self.code.len();
        for i in 0..n.saturating_sub(2) {
            let (tmp, index, imm) = match self.code[i] {
                Instr::I32ShlImm { dst, a, imm } => (dst, Some(a), imm),
                Instr::I32ShlImmAcc { dst, imm } => (dst, None, imm),
                _ => continue,
            };
            let (sum, base) = match self.code[i + 1] {
                Instr::I32AddAcc { dst, b } => (dst, b),
                Instr::I32AddAccB { dst, a } => (dst, a),
                _ => continue,
            };
            let Instr::I32LoadAcc { dst, offset } = self.code[i + 2] else {
                continue;
            };
            // The fused instruction writes neither `tmp` nor `sum`: each must be a
            // temporary, which its consumer (the add, the load) popped, or be overwritten
            // by the load (see `results_in_acc`).
            // `base` is read after `tmp` is written, so it must not be `tmp`.
            let dead = |d: Dst| d == dst || u32::from(d.0) >= self.locals;
            if !dead(tmp) || !dead(sum) || base.0 == tmp.0 || !(0..32).contains(&imm) {
                continue;
            }
            let shift = imm as u8;
            // The fused instruction traps where the load did: it takes the load's offset.
            self.offsets[i] = self.offsets[i + 2];
            // It is wide: the first slot it skips holds the rest of its fields.
            self.code[i + 1] = Instr::Ext {};
            self.code[i] = match index {
                Some(index) => Instr::I32LoadIndexed {
                    dst,
                    index,
                    base,
                    shift,
                    offset,
                },
                None => Instr::I32LoadIndexedAcc {
                    dst,
                    base,
                    shift,
                    offset,
                },
            };
        }
    }

    // ----- numeric -----

    fn binary(&mut self, op: BinOp) -> Result<()> {
        let hb = self.stack.len() - 1;
        let ha = hb - 1;
        if let (Operand::Const(c), Some(is64)) = (self.stack[hb].op, int_width(op)) {
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
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        let instr = op.instr(dst, src);
        self.emit_result(instr);
        self.canonicalize_nans(instr.opcode())
    }

    fn load(&mut self, make: impl FnOnce(Dst, Reg, u32) -> Instr, memarg: MemArg) -> Result<()> {
        let h = self.stack.len() - 1;
        let addr = self.top_reg()?;
        if !self.is_fast_memory(memarg.memory) {
            let mem = self.small_memory_index(memarg.memory)?;
            self.pop_n(1);
            let dst = self.push_temp()?;
            let (kind, ..) = make(dst, addr, 0).as_load().expect("a load");
            self.emit_result(Instr::LoadMem {
                dst,
                addr,
                kind,
                mem,
                offset: memarg.offset,
            });
            return Ok(());
        }
        let offset = memarg.offset as u32;
        let added = self.address_add(h);
        self.pop_n(1);
        let dst = self.push_temp()?;
        let load = make(dst, addr, offset);
        match added.and_then(|(a, imm)| load.with_address_add(a, imm)) {
            Some(fused) => {
                self.unemit();
                self.emit_result(fused);
            }
            None => self.emit_result(load),
        }
        Ok(())
    }

    fn store(&mut self, make: impl FnOnce(Reg, Reg, u32) -> Instr, memarg: MemArg) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        if !self.is_fast_memory(memarg.memory) {
            let mem = self.small_memory_index(memarg.memory)?;
            let addr = self.reg_at(h - 1)?;
            self.pop_n(2);
            let (width, ..) = make(addr, value, 0).as_store().expect("a store");
            self.emit(Instr::StoreMem {
                addr,
                value,
                width,
                mem,
                offset: memarg.offset,
            });
            return Ok(());
        }
        let offset = memarg.offset as u32;
        // The address's add can be absorbed only if nothing came after it: the value must
        // not have needed an instruction of its own.
        let added = self.address_add(h - 1);
        let addr = self.reg_at(h - 1)?;
        self.pop_n(2);
        let store = make(addr, value, offset);
        match added.and_then(|(a, imm)| store.with_address_add(a, imm)) {
            Some(fused) if value.0 != addr.0 => {
                self.unemit();
                self.emit(fused);
            }
            _ => {
                self.emit(store);
            }
        }
        Ok(())
    }

    /// When operand `h` is a temporary that the last instruction computed as `a + imm`
    /// (`i32.add` of a constant), `(a, imm)`: a load or store taking it as its address can
    /// absorb that instruction. (Nothing else can read the temporary: its consumer is the
    /// access.)
    fn address_add(&self, h: usize) -> Option<(Reg, i32)> {
        let i = self.last_result?;
        if i + 1 != self.code.len() || self.stack[h].op != Operand::Temp {
            return None;
        }
        match self.code[i] {
            Instr::I32AddImm { dst, a, imm } if dst.0 == self.slot(h).ok()? => Some((a, imm)),
            _ => None,
        }
    }

    /// An atomic memory operator (threads): an ordinary access of the `…Mem` kind marked
    /// atomic (so unaligned addresses trap), or a read-modify-write, compare-exchange,
    /// wait or notify. A store's memories are reached by one thread at a time, so plain
    /// accesses are atomic.
    fn atomic(&mut self, op: Opcode, memarg: MemArg) -> Result<()> {
        use spindle_ir::{load as l, store as st, ATOMIC};
        use Opcode as O;
        let mem = self.small_memory_index(memarg.memory)?;
        let short_offset = || {
            u32::try_from(memarg.offset).map_err(|_| {
                unsupported(self.offset, "atomic accesses at offsets of 4 GiB or more")
            })
        };
        // Loads and stores: (load kind or store width, whether a store).
        let plain = match op {
            O::I32AtomicLoad => Some((l::I32Load, false)),
            O::I64AtomicLoad => Some((l::I64Load, false)),
            O::I32AtomicLoad8U => Some((l::I32Load8U, false)),
            O::I32AtomicLoad16U => Some((l::I32Load16U, false)),
            O::I64AtomicLoad8U => Some((l::I64Load8U, false)),
            O::I64AtomicLoad16U => Some((l::I64Load16U, false)),
            O::I64AtomicLoad32U => Some((l::I64Load32U, false)),
            O::I32AtomicStore => Some((st::I32Store, true)),
            O::I64AtomicStore => Some((st::I64Store, true)),
            O::I32AtomicStore8 | O::I64AtomicStore8 => Some((st::I32Store8, true)),
            O::I32AtomicStore16 | O::I64AtomicStore16 => Some((st::I32Store16, true)),
            O::I64AtomicStore32 => Some((st::I64Store32, true)),
            _ => None,
        };
        if let Some((kind, is_store)) = plain {
            if is_store {
                let (addr, value) = self.pop2()?;
                self.emit(Instr::StoreMem {
                    addr,
                    value,
                    width: kind | ATOMIC,
                    mem,
                    offset: memarg.offset,
                });
            } else {
                let addr = self.top_reg()?;
                self.pop_n(1);
                let dst = self.push_temp()?;
                self.emit(Instr::LoadMem {
                    dst,
                    addr,
                    kind: kind | ATOMIC,
                    mem,
                    offset: memarg.offset,
                });
            }
            return Ok(());
        }
        let offset = short_offset()?;
        match op {
            O::MemoryAtomicNotify => {
                let (addr, count) = self.pop2()?;
                let dst = self.push_temp()?;
                self.emit(Instr::AtomicNotify {
                    dst,
                    addr,
                    count,
                    mem,
                    offset,
                });
            }
            O::MemoryAtomicWait32 | O::MemoryAtomicWait64 => {
                let (addr, expected, timeout) = self.pop3()?;
                let dst = self.push_temp()?;
                self.emit(Instr::AtomicWait {
                    dst,
                    addr,
                    expected,
                    timeout,
                    wide: (op == O::MemoryAtomicWait64) as u8,
                    mem,
                    offset,
                });
            }
            _ => {
                let (rmw, log2) = atomic_rmw(op).expect("the threads operators are all listed");
                if rmw == RMW_CMPXCHG {
                    let (addr, expected, replacement) = self.pop3()?;
                    let dst = self.push_temp()?;
                    self.emit(Instr::AtomicCmpxchg {
                        dst,
                        addr,
                        expected,
                        replacement,
                        width: 1 << log2,
                        mem,
                        offset,
                    });
                } else {
                    let (addr, value) = self.pop2()?;
                    let dst = self.push_temp()?;
                    self.emit(Instr::AtomicRmw {
                        dst,
                        addr,
                        value,
                        op: rmw << 2 | log2,
                        mem,
                        offset,
                    });
                }
            }
        }
        Ok(())
    }

    /// The registers of the top two operands, popped.
    fn pop2(&mut self) -> Result<(Reg, Reg)> {
        let h = self.stack.len() - 1;
        let b = self.reg_at(h)?;
        let a = self.reg_at(h - 1)?;
        self.pop_n(2);
        Ok((a, b))
    }

    /// Whether memory `mem` is a 32-bit unshared memory 0, which the interpreter keeps at
    /// hand (the fast instruction families, with plain pointer accesses); every other memory
    /// goes through the `…Mem` instructions (a shared memory's bytes are only accessed
    /// atomically: `spindle_exec::shared`).
    fn is_fast_memory(&self, mem: u32) -> bool {
        mem == 0
            && self
                .ctx
                .memories
                .first()
                .is_some_and(|m| !m.memory64 && !m.shared)
    }

    /// A memory index for `LoadMem`/`StoreMem` (one byte).
    fn small_memory_index(&self, mem: u32) -> Result<u8> {
        u8::try_from(mem)
            .map_err(|_| unsupported(self.offset, "loads and stores of memory 256 or above"))
    }

    /// A memory index for the other `…Mem` instructions (two bytes).
    fn memory_index(&self, mem: u32) -> Result<u16> {
        u16::try_from(mem).map_err(|_| unsupported(self.offset, "memory 65,536 or above"))
    }

    fn push_const(&mut self, v: u64) -> Result<()> {
        self.push(Operand::Const(v))
    }
}

// ----- GC -----

/// Registers a field or element of storage type `s` takes.
fn storage_cells(s: StorageType) -> u32 {
    match s {
        StorageType::Val(ValType::V128) => 2,
        _ => 1,
    }
}

/// How a read of storage type `s` extends it (`signed` for `_s`).
fn read_ext(s: StorageType, signed: bool) -> u8 {
    use spindle_ir::gc_read as r;
    match (s, signed) {
        (StorageType::I8, true) => r::S8,
        (StorageType::I8, false) => r::U8,
        (StorageType::I16, true) => r::S16,
        (StorageType::I16, false) => r::U16,
        (StorageType::Val(ValType::V128), _) => r::V128,
        _ => r::Plain,
    }
}

impl<'m> Translator<'m> {
    fn struct_fields(&self, type_index: u32) -> &'m [FieldType] {
        let ctx: &'m ModuleCtx = self.ctx;
        match &ctx.types.get(type_index).expect("validated type").composite {
            CompositeType::Struct(fields) => fields,
            _ => unreachable!("validated struct type"),
        }
    }

    fn array_elem(&self, type_index: u32) -> StorageType {
        match &self
            .ctx
            .types
            .get(type_index)
            .expect("validated type")
            .composite
        {
            CompositeType::Array(f) => f.storage,
            _ => unreachable!("validated array type"),
        }
    }

    /// Pushes a new reference (a Temp the collector traces) and returns its register.
    fn push_gc_temp(&mut self) -> Result<Dst> {
        let h = self.stack.len();
        self.push_entry(Operand::Temp, 1, true)?;
        Ok(Dst(self.slot(h)?))
    }

    /// Pushes a Temp of a field's (unpacked) type.
    fn push_field(&mut self, s: StorageType) -> Result<Dst> {
        let h = self.stack.len();
        self.push_typed(Operand::Temp, s.unpacked())?;
        Ok(Dst(self.slot(h)?))
    }

    /// The registers of the top `n` operands (at most 5), in order, not yet popped.
    fn top_regs(&mut self, n: usize) -> Result<[Reg; 5]> {
        let first = self.stack.len() - n;
        let mut regs = [Reg(0); 5];
        for (i, h) in (first..first + n).enumerate() {
            regs[i] = self.reg_at(h)?;
        }
        Ok(regs)
    }

    /// An allocation from the top `n` operands: records the collector's map with them
    /// still on the stack, emits, pops them and pushes the new reference.
    fn alloc(&mut self, n: usize, make: impl FnOnce(Dst, &[Reg]) -> Instr) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.gc_point();
        self.pop_n(n);
        let dst = self.push_gc_temp()?;
        self.emit_result(make(dst, &regs[..n]));
        Ok(())
    }

    fn visit_struct_new(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index);
        let n = fields.len();
        let len = fields.iter().map(|f| storage_cells(f.storage)).sum::<u32>() as u16;
        let base = self.call_args(n)?;
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.pop_n(n);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::StructNew { dst, base, len, ty });
        Ok(())
    }

    fn visit_struct_new_default(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index);
        let len = fields.iter().map(|f| storage_cells(f.storage)).sum::<u32>() as u16;
        let ty = self.type_ids[type_index as usize];
        self.alloc(0, |dst, _| Instr::StructNewDefault { dst, len, ty })
    }

    /// The cell offset and storage type of field `field` of struct type `type_index` (a
    /// descriptor comes after the fields).
    fn field_at(&self, type_index: u32, field: u32) -> (u32, StorageType) {
        let fields = self.struct_fields(type_index);
        let at: u32 = fields[..field as usize]
            .iter()
            .map(|f| storage_cells(f.storage))
            .sum();
        (at, fields[field as usize].storage)
    }

    fn visit_struct_new_desc(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index);
        let n = fields.len() + 1;
        let len = fields.iter().map(|f| storage_cells(f.storage)).sum::<u32>() as u16;
        let base = self.call_args(n)?;
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.pop_n(n);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::StructNewDesc { dst, base, len, ty });
        Ok(())
    }

    fn visit_struct_new_default_desc(&mut self, type_index: u32) -> Result<()> {
        let fields = self.struct_fields(type_index);
        let len = fields.iter().map(|f| storage_cells(f.storage)).sum::<u32>() as u16;
        let ty = self.type_ids[type_index as usize];
        self.alloc(1, |dst, r| Instr::StructNewDefaultDesc {
            dst,
            desc: r[0],
            len,
            ty,
        })
    }

    fn visit_ref_get_desc(&mut self, _type_index: u32) -> Result<()> {
        let obj = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::RefGetDesc { dst, obj });
        Ok(())
    }

    /// `ref.cast_desc_eq`: the reference stays where it is (the descriptor is popped); a
    /// mismatch traps.
    fn ref_cast_desc(&mut self, nullable: bool) -> Result<()> {
        let (r, desc) = {
            let h = self.stack.len() - 1;
            (self.reg_at(h - 1)?, self.reg_at(h)?)
        };
        self.pop_n(1);
        let flags = if nullable {
            spindle_ir::cast::NULLABLE
        } else {
            0
        };
        self.emit(Instr::RefCastDescEq { r, desc, flags });
        Ok(())
    }

    fn visit_ref_cast_desc_eq_non_null(&mut self, _hty: HeapType) -> Result<()> {
        self.ref_cast_desc(false)
    }

    fn visit_ref_cast_desc_eq_nullable(&mut self, _hty: HeapType) -> Result<()> {
        self.ref_cast_desc(true)
    }

    /// `br_on_cast_desc_eq` (or `_fail`): pops the descriptor, then branches as `br_on_cast`
    /// does, with the descriptor test.
    fn br_on_cast_desc(&mut self, cast: spindle_decode::BrOnCast, fail: bool) -> Result<()> {
        use spindle_ir::cast as c;
        let desc = self.top_reg()?;
        self.pop_n(1);
        let flags = if cast.to_nullable { c::NULLABLE } else { 0 } | if fail { c::FAIL } else { 0 };
        let r = self.top_reg()?;
        self.conditional_branch(cast.depth, |to, negated| Instr::BrOnCastDescEq {
            r,
            desc,
            flags: if negated { flags ^ c::FAIL } else { flags },
            to,
        })
    }

    fn visit_br_on_cast_desc_eq(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast_desc(cast, false)
    }

    fn visit_br_on_cast_desc_eq_fail(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast_desc(cast, true)
    }

    fn struct_get(&mut self, type_index: u32, field: u32, signed: bool) -> Result<()> {
        let (at, storage) = self.field_at(type_index, field);
        let obj = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_field(storage)?;
        let ext = read_ext(storage, signed);
        self.emit_result(Instr::StructGet {
            dst,
            obj,
            field: at,
            ext,
        });
        Ok(())
    }

    fn visit_struct_get(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, false)
    }

    fn visit_struct_get_s(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, true)
    }

    fn visit_struct_get_u(&mut self, type_index: u32, field: u32) -> Result<()> {
        self.struct_get(type_index, field, false)
    }

    fn visit_struct_set(&mut self, type_index: u32, field: u32) -> Result<()> {
        let (at, storage) = self.field_at(type_index, field);
        let (obj, value) = self.pop2()?;
        self.emit(Instr::StructSet {
            obj,
            value,
            field: at,
            cells: storage_cells(storage) as u8,
        });
        Ok(())
    }

    fn visit_array_new(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNew {
            dst,
            init: r[0],
            len: r[1],
            cells,
            ty,
        })
    }

    fn visit_array_new_default(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        self.alloc(1, |dst, r| Instr::ArrayNewDefault {
            dst,
            len: r[0],
            cells,
            ty,
        })
    }

    fn visit_array_new_fixed(&mut self, type_index: u32, n: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let ty = self.type_ids[type_index as usize];
        let n_ops = n as usize;
        let base = self.call_args(n_ops)?;
        self.gc_point();
        self.pop_n(n_ops);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::ArrayNewFixed {
            dst,
            base,
            cells,
            n,
            ty,
        });
        Ok(())
    }

    fn visit_array_new_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNewData {
            dst,
            offset: r[0],
            len: r[1],
            seg: data,
            ty,
        })
    }

    fn visit_array_new_elem(&mut self, type_index: u32, elem: u32) -> Result<()> {
        let ty = self.type_ids[type_index as usize];
        self.alloc(2, |dst, r| Instr::ArrayNewElem {
            dst,
            offset: r[0],
            len: r[1],
            seg: elem,
            ty,
        })
    }

    fn array_get(&mut self, type_index: u32, signed: bool) -> Result<()> {
        let storage = self.array_elem(type_index);
        let (arr, index) = self.pop2()?;
        let dst = self.push_field(storage)?;
        let ext = read_ext(storage, signed);
        self.emit_result(Instr::ArrayGet {
            dst,
            arr,
            index,
            ext,
        });
        Ok(())
    }

    fn visit_array_get(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, false)
    }

    fn visit_array_get_s(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, true)
    }

    fn visit_array_get_u(&mut self, type_index: u32) -> Result<()> {
        self.array_get(type_index, false)
    }

    fn visit_array_set(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let (arr, index, value) = self.pop3()?;
        self.emit(Instr::ArraySet {
            arr,
            index,
            value,
            cells,
        });
        Ok(())
    }

    fn visit_array_len(&mut self) -> Result<()> {
        let arr = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::ArrayLen { dst, arr });
        Ok(())
    }

    fn visit_array_fill(&mut self, type_index: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(type_index)) as u8;
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayFill {
            arr: r[0],
            offset: r[1],
            value: r[2],
            len: r[3],
            cells,
        });
        Ok(())
    }

    fn visit_array_copy(&mut self, dst_type: u32, _src_type: u32) -> Result<()> {
        let cells = storage_cells(self.array_elem(dst_type)) as u8;
        let r = self.top_regs(5)?;
        self.pop_n(5);
        self.emit(Instr::ArrayCopy {
            dst: r[0],
            dst_off: r[1],
            src: r[2],
            src_off: r[3],
            len: r[4],
            cells,
        });
        Ok(())
    }

    fn visit_array_init_data(&mut self, type_index: u32, data: u32) -> Result<()> {
        let bytes = self.array_elem(type_index).data_bytes();
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayInitData {
            arr: r[0],
            dst_off: r[1],
            src_off: r[2],
            len: r[3],
            bytes,
            seg: data,
        });
        Ok(())
    }

    fn visit_array_init_elem(&mut self, _type_index: u32, elem: u32) -> Result<()> {
        let r = self.top_regs(4)?;
        self.pop_n(4);
        self.emit(Instr::ArrayInitElem {
            arr: r[0],
            dst_off: r[1],
            src_off: r[2],
            len: r[3],
            seg: elem,
        });
        Ok(())
    }

    fn visit_ref_i31(&mut self) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_gc_temp()?;
        self.emit_result(Instr::RefI31 { dst, src });
        Ok(())
    }

    fn i31_get(&mut self, signed: u8) -> Result<()> {
        let src = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::I31Get { dst, src, signed });
        Ok(())
    }

    fn visit_i31_get_s(&mut self) -> Result<()> {
        self.i31_get(1)
    }

    fn visit_i31_get_u(&mut self) -> Result<()> {
        self.i31_get(0)
    }

    /// `ref.eq`: references are equal exactly when their bits are.
    fn visit_ref_eq(&mut self) -> Result<()> {
        self.binary(BinOp::I64Eq)
    }

    /// A cast target and the flags for casting to `hty` (`nullable` when null matches).
    fn cast_target(&self, hty: HeapType, nullable: bool) -> (u8, u32) {
        use spindle_decode::AbstractHeapType as A;
        use spindle_ir::cast;
        let (target, hierarchy) = match hty {
            HeapType::Abstract(a) => (
                cast::ABSTRACT | a as u32,
                match a {
                    A::Func | A::NoFunc => cast::FUNC,
                    A::Exn | A::NoExn => cast::EXN,
                    _ => cast::ANY,
                },
            ),
            HeapType::Concrete(x) | HeapType::Exact(x) => (
                self.type_ids[x as usize],
                match self.ctx.types.get(x).map(|t| &t.composite) {
                    Some(CompositeType::Func(_)) => cast::FUNC,
                    _ => cast::ANY,
                } | if matches!(hty, HeapType::Exact(_)) {
                    cast::EXACT
                } else {
                    0
                },
            ),
        };
        (
            hierarchy | if nullable { cast::NULLABLE } else { 0 },
            target,
        )
    }

    fn ref_test(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        let (flags, target) = self.cast_target(hty, nullable);
        let r = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        self.emit_result(Instr::RefTest {
            dst,
            r,
            flags,
            target,
        });
        Ok(())
    }

    fn visit_ref_test_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty, false)
    }

    fn visit_ref_test_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_test(hty, true)
    }

    /// `ref.cast`: the reference stays where it is; a mismatch traps.
    fn ref_cast(&mut self, hty: HeapType, nullable: bool) -> Result<()> {
        let (flags, target) = self.cast_target(hty, nullable);
        let r = self.top_reg()?;
        self.emit(Instr::RefCast { r, flags, target });
        Ok(())
    }

    fn visit_ref_cast_non_null(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, false)
    }

    fn visit_ref_cast_nullable(&mut self, hty: HeapType) -> Result<()> {
        self.ref_cast(hty, true)
    }

    /// `br_on_cast` (or `_fail` when `fail`): branches with the reference (the label's last
    /// value) when it matches (does not match); it stays on the stack either way.
    fn br_on_cast(&mut self, cast: spindle_decode::BrOnCast, fail: bool) -> Result<()> {
        use spindle_ir::cast as c;
        let (flags, target) = self.cast_target(cast.to, cast.to_nullable);
        let flags = flags | if fail { c::FAIL } else { 0 };
        let r = self.top_reg()?;
        self.conditional_branch(cast.depth, |to, negated| Instr::BrOnCast {
            r,
            flags: if negated { flags ^ c::FAIL } else { flags },
            target,
            to,
        })
    }

    fn visit_br_on_cast(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast(cast, false)
    }

    fn visit_br_on_cast_fail(&mut self, cast: spindle_decode::BrOnCast) -> Result<()> {
        self.br_on_cast(cast, true)
    }

    /// `any.convert_extern` and `extern.convert_any` change no bits (see `spindle_exec::gc`).
    fn visit_any_convert_extern(&mut self) -> Result<()> {
        Ok(())
    }

    fn visit_extern_convert_any(&mut self) -> Result<()> {
        Ok(())
    }
}

// ----- SIMD -----

impl Translator<'_> {
    /// An operator whose `n` operands are on top of the stack (their first registers
    /// given to `make`) and whose result is a `v128` (`wide`) or a scalar.
    fn simd(
        &mut self,
        n: usize,
        wide: bool,
        make: impl FnOnce(Dst, &[Reg]) -> Instr,
    ) -> Result<()> {
        let (dst, regs) = self.simd_operands(n, wide)?;
        self.simd_emit(make(dst, &regs[..n]))
    }

    /// [`Translator::simd`]'s operands and result register, out of line: each SIMD
    /// operator's arm is then its instruction's construction between two calls.
    #[inline(never)]
    fn simd_operands(&mut self, n: usize, wide: bool) -> Result<(Dst, [Reg; 5])> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        let dst = if wide {
            self.push_temp128()?
        } else {
            self.push_temp()?
        };
        // Every SIMD handler reads all its operands before it writes its result, so the
        // result may take the operands' registers.
        Ok((dst, regs))
    }

    #[inline(never)]
    fn simd_emit(&mut self, instr: Instr) -> Result<()> {
        self.emit_result(instr);
        self.canonicalize_nans(instr.opcode())
    }

    fn visit_v128_const(&mut self, value: spindle_decode::V128) -> Result<()> {
        let v = u128::from_le_bytes(value.0);
        let dst = self.push_temp128()?;
        self.emit_result(Instr::V128Const { dst, lo: v as u64 });
        self.push_code(Instr::Data {
            value: (v >> 64) as u64,
        });
        Ok(())
    }

    fn visit_i8x16_shuffle(&mut self, lanes: spindle_decode::Shuffle) -> Result<()> {
        let v = u128::from_le_bytes(lanes.0);
        let make = |dst, r: &[Reg]| Instr::I8x16Shuffle {
            dst,
            a: r[0],
            b: r[1],
            lo: v as u64,
        };
        self.simd_with_data(2, make, (v >> 64) as u64)
    }

    /// [`Translator::simd`] of an instruction with a `v128` result and a second 64-bit
    /// immediate, `data` (the `Data` after it). `last_result` stays the instruction (see
    /// [`Translator::is_last`]).
    fn simd_with_data(
        &mut self,
        n: usize,
        make: impl FnOnce(Dst, &[Reg]) -> Instr,
        data: u64,
    ) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        let dst = self.push_temp128()?;
        // As in `simd`: the result may take the operands' registers.
        let instr = make(dst, &regs[..n]);
        self.emit_result(instr);
        self.push_code(Instr::Data { value: data });
        self.canonicalize_nans(instr.opcode())
    }

    /// A `v128` load: of the `vload` family on a 32-bit memory 0 (`fast`), else
    /// `V128LoadMem` of kind `kind`.
    fn v_load(
        &mut self,
        fast: impl FnOnce(Dst, Reg, i32, u32) -> Instr,
        kind: VLoadKind,
        memarg: MemArg,
    ) -> Result<()> {
        let h = self.stack.len() - 1;
        let added = self.address_add(h);
        let addr = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp128()?;
        match u32::try_from(memarg.offset) {
            Ok(offset) if self.is_fast_memory(memarg.memory) => match added {
                Some((a, imm)) => {
                    self.unemit();
                    self.emit_result(fast(dst, a, imm, offset));
                }
                None => self.emit_result(fast(dst, addr, 0, offset)),
            },
            _ => {
                let mem = self.small_memory_index(memarg.memory)?;
                self.emit_result(Instr::V128LoadMem {
                    dst,
                    addr,
                    kind: kind as u8,
                    mem,
                    offset: memarg.offset,
                });
            }
        }
        Ok(())
    }

    fn visit_v128_store(&mut self, memarg: MemArg) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        // The address's add can be absorbed only if nothing came after it (see `store`).
        let added = self.address_add(h - 1).filter(|(a, _)| a.0 != value.0);
        let addr = self.reg_at(h - 1)?;
        self.pop_n(2);
        match u32::try_from(memarg.offset) {
            Ok(offset) if self.is_fast_memory(memarg.memory) => {
                let (addr, imm) = match added {
                    Some(a) => {
                        self.unemit();
                        a
                    }
                    None => (addr, 0),
                };
                self.emit(Instr::V128Store {
                    addr,
                    value,
                    imm,
                    offset,
                });
            }
            _ => {
                let mem = self.small_memory_index(memarg.memory)?;
                self.emit(Instr::V128StoreMem {
                    addr,
                    value,
                    mem,
                    offset: memarg.offset,
                });
            }
        }
        Ok(())
    }

    /// `v128.loadN_lane` (`log2` of the lane's width in bytes).
    fn v_load_lane(&mut self, log2: u8, memarg: MemArg, lane: u8) -> Result<()> {
        let mem = self.small_memory_index(memarg.memory)?;
        let make = |dst, r: &[Reg]| Instr::V128LoadLane {
            dst,
            src: r[1],
            addr: r[0],
            width: 1 << log2,
            lane,
            mem,
        };
        self.simd_with_data(2, make, memarg.offset)
    }

    /// `v128.storeN_lane`.
    fn v_store_lane(&mut self, log2: u8, memarg: MemArg, lane: u8) -> Result<()> {
        let mem = self.small_memory_index(memarg.memory)?;
        let (addr, value) = self.pop2()?;
        self.emit(Instr::V128StoreLane {
            addr,
            value,
            width: 1 << log2,
            lane,
            mem,
        });
        self.push_code(Instr::Data {
            value: memarg.offset,
        });
        Ok(())
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
        || matches!(
            instr,
            Instr::BrTable { .. }
                | Instr::BrTableAcc { .. }
                | Instr::Return { .. }
                | Instr::Trap { .. }
                | Instr::Throw { .. }
                | Instr::ThrowRef { .. }
        )
}

/// `AtomicRmw`'s operations (`op >> 2`), in the order the interpreter decodes them.
const RMW_XCHG: u8 = 5;
/// Not an `AtomicRmw` operation: compare-exchange has its own instruction.
const RMW_CMPXCHG: u8 = 6;

/// The read-modify-write operation and log2 width of an atomic RMW operator.
fn atomic_rmw(op: Opcode) -> Option<(u8, u8)> {
    use Opcode as O;
    let by_name = |rmw: u8, w: [Opcode; 7]| {
        w.iter()
            .position(|&x| x == op)
            .map(|i| (rmw, [2, 3, 0, 1, 0, 1, 2][i]))
    };
    by_name(
        0,
        [
            O::I32AtomicRmwAdd,
            O::I64AtomicRmwAdd,
            O::I32AtomicRmw8AddU,
            O::I32AtomicRmw16AddU,
            O::I64AtomicRmw8AddU,
            O::I64AtomicRmw16AddU,
            O::I64AtomicRmw32AddU,
        ],
    )
    .or_else(|| {
        by_name(
            1,
            [
                O::I32AtomicRmwSub,
                O::I64AtomicRmwSub,
                O::I32AtomicRmw8SubU,
                O::I32AtomicRmw16SubU,
                O::I64AtomicRmw8SubU,
                O::I64AtomicRmw16SubU,
                O::I64AtomicRmw32SubU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            2,
            [
                O::I32AtomicRmwAnd,
                O::I64AtomicRmwAnd,
                O::I32AtomicRmw8AndU,
                O::I32AtomicRmw16AndU,
                O::I64AtomicRmw8AndU,
                O::I64AtomicRmw16AndU,
                O::I64AtomicRmw32AndU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            3,
            [
                O::I32AtomicRmwOr,
                O::I64AtomicRmwOr,
                O::I32AtomicRmw8OrU,
                O::I32AtomicRmw16OrU,
                O::I64AtomicRmw8OrU,
                O::I64AtomicRmw16OrU,
                O::I64AtomicRmw32OrU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            4,
            [
                O::I32AtomicRmwXor,
                O::I64AtomicRmwXor,
                O::I32AtomicRmw8XorU,
                O::I32AtomicRmw16XorU,
                O::I64AtomicRmw8XorU,
                O::I64AtomicRmw16XorU,
                O::I64AtomicRmw32XorU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            RMW_XCHG,
            [
                O::I32AtomicRmwXchg,
                O::I64AtomicRmwXchg,
                O::I32AtomicRmw8XchgU,
                O::I32AtomicRmw16XchgU,
                O::I64AtomicRmw8XchgU,
                O::I64AtomicRmw16XchgU,
                O::I64AtomicRmw32XchgU,
            ],
        )
    })
    .or_else(|| {
        by_name(
            RMW_CMPXCHG,
            [
                O::I32AtomicRmwCmpxchg,
                O::I64AtomicRmwCmpxchg,
                O::I32AtomicRmw8CmpxchgU,
                O::I32AtomicRmw16CmpxchgU,
                O::I64AtomicRmw8CmpxchgU,
                O::I64AtomicRmw16CmpxchgU,
                O::I64AtomicRmw32CmpxchgU,
            ],
        )
    })
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

// ----- operators with hand-written translation -----

impl<'m> Translator<'m> {
    fn visit_unreachable(&mut self) -> Result<()> {
        self.emit(Instr::Trap {
            code: TrapCode::Unreachable,
        });
        self.reachable = false;
        Ok(())
    }

    fn visit_block(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        self.materialize_all()?;
        self.push_ctrl(Kind::Block, sig, false);
        Ok(())
    }

    fn visit_loop(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        self.materialize_all()?;
        self.last_result = None;
        self.push_ctrl(Kind::Loop, sig, false);
        // Branches back to the loop land on these checks.
        self.entry_checks();
        Ok(())
    }

    fn visit_if(&mut self, bt: BlockType) -> Result<()> {
        let sig = self.block_sig(bt);
        let cond = self.top_reg()?;
        self.pop_n(1);
        // `if (i32.eqz x)` skips its `then` when `x` is not zero, `if (a < b)` when `a >= b`.
        let negated = self.fusable_eqz(cond);
        let compare = match negated {
            Some(_) => None,
            None => self.fusable_compare(cond),
        };
        if negated.is_some() || compare.is_some() {
            self.unemit();
            self.last_result = None;
        }
        self.materialize_all()?;
        let at = match (negated, compare) {
            (Some(src), _) => self.emit(Instr::BrIfNez { cond: src, to: 0 }),
            (None, Some(cmp)) => self.emit(cmp.negated().branch(0)),
            (None, None) => self.emit(Instr::BrIfEqz { cond, to: 0 }),
        };
        self.push_ctrl(Kind::If, sig, false);
        self.ctrls.last_mut().expect("just pushed").else_patch = Some(at);
        Ok(())
    }

    fn visit_else(&mut self) -> Result<()> {
        let i = self.ctrls.len() - 1;
        if self.ctrls[i].dead {
            return Ok(());
        }
        if self.reachable {
            let (n, to) = (
                self.ctrls[i].results as usize,
                self.ctrls[i].height as usize,
            );
            self.copy_top_to(n, to)?;
            let at = self.emit(Instr::Br { to: 0 });
            self.ctrls[i].patches.push(at);
        }
        if let Some(at) = self.ctrls[i].else_patch.take() {
            let here = self.code.len() as u32;
            self.patch(at, here);
        }
        let ctrl = &mut self.ctrls[i];
        ctrl.kind = Kind::Else;
        let (height, params) = (ctrl.height as usize, ctrl.params_ty);
        self.truncate(height);
        self.push_temps(params)?;
        self.reachable = true;
        self.last_result = None;
        Ok(())
    }

    fn visit_end(&mut self) -> Result<()> {
        let ctrl = self.ctrls.pop().expect("validated end");
        if ctrl.dead {
            self.spare_patches.push(ctrl.patches);
            return Ok(());
        }
        let (n, height) = (ctrl.results as usize, ctrl.height as usize);
        if ctrl.kind == Kind::Func && ctrl.patches.is_empty() {
            // Nothing branches to the function's end: return the values where they are.
            if self.reachable {
                self.emit_return(n)?;
            }
            self.spare_patches.push(ctrl.patches);
            self.truncate(height);
            self.reachable = false;
            return Ok(());
        }
        if self.reachable {
            self.copy_top_to(n, height)?;
        }
        let here = self.code.len() as u32;
        if let Some(k) = ctrl.try_region {
            self.handlers[k as usize].end = here;
        }
        if ctrl.kind != Kind::Loop {
            for &at in &ctrl.patches {
                self.patch(at, here);
            }
        }
        if let Some(at) = ctrl.else_patch {
            self.patch(at, here);
        }
        self.spare_patches.push(ctrl.patches);
        self.truncate(height);
        self.push_temps(ctrl.results_ty)?;
        self.last_result = None;
        self.reachable = true;
        if ctrl.kind == Kind::Func {
            let src = Reg(self.slot(0)?);
            let len = self.top_width(n) as u16;
            self.emit(Instr::Return { src, len });
        }
        Ok(())
    }

    fn visit_br(&mut self, depth: u32) -> Result<()> {
        self.place_branch_values(depth)?;
        self.branch_to(depth, |to| Instr::Br { to });
        self.reachable = false;
        Ok(())
    }

    fn visit_br_if(&mut self, depth: u32) -> Result<()> {
        let cond = self.top_reg()?;
        self.pop_n(1);
        if self.values_in_place(depth) {
            // Fuse with the comparison that produced the condition, if it came just before.
            if let Some(src) = self.fusable_eqz(cond) {
                self.unemit();
                self.branch_to(depth, |to| Instr::BrIfEqz { cond: src, to });
                self.last_result = None;
                return Ok(());
            }
            if let Some(cmp) = self.fusable_compare(cond) {
                self.unemit();
                self.branch_to(depth, |to| cmp.branch(to));
                self.last_result = None;
                return Ok(());
            }
            self.branch_to(depth, |to| Instr::BrIfNez { cond, to });
        } else {
            let skip = self.emit(Instr::BrIfEqz { cond, to: 0 });
            self.place_branch_values(depth)?;
            self.branch_to(depth, |to| Instr::Br { to });
            let here = self.code.len() as u32;
            self.patch(skip, here);
        }
        self.last_result = None;
        Ok(())
    }

    /// The operand of an `i32.eqz` that wrote `cond` as the last instruction, if the branch
    /// that consumes it can test the operand directly.
    fn fusable_eqz(&self, cond: Reg) -> Option<Reg> {
        let i = self.last_result?;
        if i + 1 != self.code.len() || cond.0 < self.locals as u16 {
            return None;
        }
        match self.code[i] {
            Instr::I32Eqz { dst, src } if dst.0 == cond.0 => Some(src),
            _ => None,
        }
    }

    /// The comparison that wrote `cond` as the last instruction, if it can be fused with the
    /// branch that consumes it (the Temp was just popped, so nothing else reads it).
    fn fusable_compare(&self, cond: Reg) -> Option<Compare> {
        let i = self.last_result?;
        if i + 1 != self.code.len() || cond.0 < self.locals as u16 {
            return None;
        }
        let instr = &self.code[i];
        let (op, dst, cmp) = match (instr.as_binary(), instr.as_binary_imm()) {
            (Some((op, dst, a, b)), _) => (op, dst, Compare::Regs(op, a, b)),
            (_, Some((op, dst, a, imm))) => (op, dst, Compare::Imm(op, a, imm)),
            _ => return None,
        };
        (op.is_int_compare() && dst.0 == cond.0).then_some(cmp)
    }

    fn visit_br_table(&mut self, targets: BrTable<'_>) -> Result<()> {
        let index = self.top_reg()?;
        self.pop_n(1);
        let len = targets.len();
        self.emit(Instr::BrTable { index, len });
        let mut trampolines: Vec<(u32, u32)> = Vec::new();
        for depth in targets.targets().chain(core::iter::once(targets.default())) {
            if self.values_in_place(depth) {
                self.branch_to(depth, |to| Instr::Br { to });
            } else {
                let at = self.emit(Instr::Br { to: 0 });
                trampolines.push((at, depth));
            }
        }
        for (at, depth) in trampolines {
            let here = self.code.len() as u32;
            self.patch(at, here);
            self.place_branch_values(depth)?;
            self.branch_to(depth, |to| Instr::Br { to });
        }
        self.reachable = false;
        Ok(())
    }

    fn visit_return(&mut self) -> Result<()> {
        let n = self.ctrls[0].results as usize;
        self.emit_return(n)?;
        self.reachable = false;
        Ok(())
    }

    fn emit_return(&mut self, n: usize) -> Result<()> {
        let len = self.top_width(n) as u16;
        let src = if n == 1 {
            self.top_reg()?
        } else {
            let first = self.stack.len() - n;
            for h in first..self.stack.len() {
                self.materialize(h)?;
            }
            Reg(self.slot(first)?)
        };
        self.emit(Instr::Return { src, len });
        Ok(())
    }

    /// Puts the top `n` operands in their slots and returns the first slot.
    fn call_args(&mut self, n: usize) -> Result<Reg> {
        let first = self.stack.len() - n;
        for h in first..self.stack.len() {
            self.materialize(h)?;
        }
        Ok(Reg(self.slot(first)?))
    }

    fn after_call(&mut self, params: usize, results: &[ValType]) -> Result<()> {
        self.pop_n(params);
        self.push_temps(results)?;
        self.last_result = None;
        Ok(())
    }

    fn visit_call(&mut self, func: u32) -> Result<()> {
        let (p, r) = self.func_sig(self.ctx.funcs[func as usize]);
        let base = self.call_args(p.len())?;
        self.gc_point();
        self.emit(Instr::Call { func, base });
        self.after_call(p.len(), r)
    }

    fn visit_return_call(&mut self, func: u32) -> Result<()> {
        let (p, r) = self.func_sig(self.ctx.funcs[func as usize]);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        self.gc_point();
        self.emit(Instr::ReturnCall { func, base });
        self.emit(Instr::Return { src: base, len });
        self.reachable = false;
        Ok(())
    }

    fn visit_return_call_indirect(&mut self, type_index: u32, table: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let index = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.emit(Instr::ReturnCallIndirect {
            ty,
            table,
            index,
            base,
        });
        self.emit(Instr::Return { src: base, len });
        self.reachable = false;
        Ok(())
    }

    /// A wide-arithmetic operator: `n` operands in, two results (low, high) out, in the two
    /// slots from the first operand's.
    fn wide(&mut self, n: usize, make: impl FnOnce(Dst, &[Reg]) -> Instr) -> Result<()> {
        let regs = self.top_regs(n)?;
        self.pop_n(n);
        let dst = self.push_temp()?;
        self.push_temp()?;
        // The handler reads every operand before writing, and writes the low half last, so
        // the accumulator holds `dst` as for any instruction with a result.
        self.emit(make(dst, &regs[..n]));
        Ok(())
    }

    fn visit_i64_add128(&mut self) -> Result<()> {
        self.wide(4, |dst, r| Instr::I64Add128 {
            dst,
            a: r[0],
            b: r[1],
            c: r[2],
            d: r[3],
        })
    }

    fn visit_i64_sub128(&mut self) -> Result<()> {
        self.wide(4, |dst, r| Instr::I64Sub128 {
            dst,
            a: r[0],
            b: r[1],
            c: r[2],
            d: r[3],
        })
    }

    fn visit_i64_mul_wide_s(&mut self) -> Result<()> {
        self.wide(2, |dst, r| Instr::I64MulWideS {
            dst,
            a: r[0],
            b: r[1],
        })
    }

    fn visit_i64_mul_wide_u(&mut self) -> Result<()> {
        self.wide(2, |dst, r| Instr::I64MulWideU {
            dst,
            a: r[0],
            b: r[1],
        })
    }

    /// `try_table`: a block whose body's instructions form a region of the function's
    /// handler table. Each catch clause gets a landing pad before the body, a `Br` to its
    /// label that the interpreter jumps to once it has put the payload (and the exception
    /// reference) in the label's slots.
    fn visit_try_table(&mut self, table: spindle_decode::TryTable) -> Result<()> {
        let sig = self.block_sig(table.ty);
        self.materialize_all()?;
        let skip = self.emit(Instr::Br { to: 0 });
        let mut catches = Vec::with_capacity(table.catches.len());
        for catch in &table.catches {
            use spindle_decode::Catch;
            let (tag, with_ref, label) = match *catch {
                Catch::One { tag, label } => (Some(tag), false, label),
                Catch::OneRef { tag, label } => (Some(tag), true, label),
                Catch::All { label } => (None, false, label),
                Catch::AllRef { label } => (None, true, label),
            };
            let target = &self.ctrls[self.ctrls.len() - 1 - label as usize];
            let slot = self.slot(target.height as usize)?;
            let pad = self.code.len() as u32;
            self.branch_to(label, |to| Instr::Br { to });
            catches.push(CatchClause {
                tag,
                with_ref,
                pad,
                slot,
            });
        }
        let here = self.code.len() as u32;
        self.patch(skip, here);
        self.push_ctrl(Kind::Block, sig, false);
        let k = self.handlers.len() as u32;
        self.handlers.push(TryRegion {
            start: here,
            end: here,
            catches: catches.into_boxed_slice(),
        });
        if let Some(ctrl) = self.ctrls.last_mut() {
            ctrl.try_region = Some(k);
        }
        self.last_result = None;
        Ok(())
    }

    fn visit_throw(&mut self, tag: u32) -> Result<()> {
        let ty = self.ctx.tags[tag as usize];
        let (p, _) = self.func_sig(ty);
        let base = self.call_args(p.len())?;
        // A throw may collect garbage (it holds a new exception), as an allocation does.
        self.gc_point();
        self.emit(Instr::Throw { tag, base });
        self.reachable = false;
        Ok(())
    }

    fn visit_throw_ref(&mut self) -> Result<()> {
        let exn = self.top_reg()?;
        self.pop_n(1);
        self.emit(Instr::ThrowRef { exn });
        self.reachable = false;
        Ok(())
    }

    fn visit_call_ref(&mut self, type_index: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let func = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        self.gc_point();
        self.emit(Instr::CallRef { func, base });
        self.after_call(p.len(), r)
    }

    fn visit_return_call_ref(&mut self, type_index: u32) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let func = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let len = self.reserve_results(base, r);
        self.gc_point();
        self.emit(Instr::ReturnCallRef { func, base });
        self.emit(Instr::Return { src: base, len });
        self.reachable = false;
        Ok(())
    }

    /// A tail call to a host function leaves its `results` in the registers from `base`
    /// (for the `Return` after it), which the frame must hold even when there are more
    /// results than arguments; nothing is pushed for them, so count them here. Returns
    /// the registers the results take.
    fn reserve_results(&mut self, base: Reg, results: &[ValType]) -> u16 {
        let len = cells_of(results);
        let top = (base.0 as u32 - self.locals) + len;
        self.max_height = self.max_height.max(top);
        len as u16
    }

    /// Parameter and result types of function type `type_index`.
    fn func_sig(&self, type_index: u32) -> (&'m [ValType], &'m [ValType]) {
        let ctx: &'m ModuleCtx = self.ctx;
        let ty = ctx
            .types
            .func_type(type_index)
            .expect("validated function type");
        (ty.params(), ty.results())
    }

    /// `ref.as_non_null`: the reference stays where it is; a null one traps.
    fn visit_ref_as_non_null(&mut self) -> Result<()> {
        let r = self.top_reg()?;
        self.emit(Instr::BrIfNonNull { r, to: 2 });
        self.emit(Instr::Trap {
            code: TrapCode::NullReference,
        });
        Ok(())
    }

    /// `br_on_null`: branches without the reference when it is null, else keeps it.
    fn visit_br_on_null(&mut self, depth: u32) -> Result<()> {
        let r = self.top_reg()?;
        let h = self.stack.len() - 1;
        let (operand, gc) = (self.stack[h].op, self.stack[h].gc);
        self.pop_n(1);
        // The label's values lie below the reference, in slots below its own, so placing
        // them leaves the reference intact for the fall-through path.
        self.conditional_branch(depth, |to, negated| match negated {
            false => Instr::BrIfNull { r, to },
            true => Instr::BrIfNonNull { r, to },
        })?;
        self.push_entry(operand, 1, gc)
    }

    /// `br_on_non_null`: branches with the reference (the label's last value) when it is not
    /// null, else drops it.
    fn visit_br_on_non_null(&mut self, depth: u32) -> Result<()> {
        let r = self.top_reg()?;
        self.conditional_branch(depth, |to, negated| match negated {
            false => Instr::BrIfNonNull { r, to },
            true => Instr::BrIfNull { r, to },
        })?;
        self.pop_n(1);
        Ok(())
    }

    /// A branch out `depth` frames taken when a condition holds: `make(to, false)` is the
    /// instruction that branches when it holds, `make(to, true)` when it does not. When the
    /// label's values are in place that is one instruction; otherwise the negated one skips
    /// the copies that place them and the `Br` after them.
    fn conditional_branch(&mut self, depth: u32, make: impl Fn(i32, bool) -> Instr) -> Result<()> {
        if self.values_in_place(depth) {
            self.branch_to(depth, |to| make(to, false));
        } else {
            let skip = self.emit(make(0, true));
            self.place_branch_values(depth)?;
            self.branch_to(depth, |to| Instr::Br { to });
            let here = self.code.len() as u32;
            self.patch(skip, here);
        }
        self.last_result = None;
        Ok(())
    }

    fn visit_call_indirect(&mut self, type_index: u32, table: CompactIndex) -> Result<()> {
        let (p, r) = self.func_sig(type_index);
        let index = self.top_reg()?;
        self.pop_n(1);
        let base = self.call_args(p.len())?;
        let ty = self.type_ids[type_index as usize];
        self.gc_point();
        self.emit(Instr::CallIndirect {
            ty,
            table: table.index,
            index,
            base,
        });
        self.after_call(p.len(), r)
    }

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
        let gc = self.local_gc[local as usize];
        self.push_entry(Operand::Local(x), w, gc)
    }

    /// The first register and the width of local `local`.
    fn local(&self, local: u32) -> (u16, u32) {
        let i = local as usize;
        (self.local_reg[i], 1 + self.local_wide[i] as u32)
    }

    fn local_set(&mut self, local: u32, tee: bool) -> Result<()> {
        let (x, w) = self.local(local);
        let h = self.stack.len() - 1;
        let before = self.code.len();
        self.preserve_local(x, h)?;
        let preserved = self.code.len() != before;
        match self.stack[h].op {
            Operand::Temp => {
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
                if y != x {
                    self.copy(Dst(x), Reg(y), w);
                }
            }
            Operand::Const(v) => self.emit_const(Dst(x), v),
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

    fn visit_memory_size(&mut self, mem: CompactIndex) -> Result<()> {
        let dst = self.push_temp()?;
        if self.is_fast_memory(mem.index) {
            self.emit_result(Instr::MemorySize { dst });
        } else {
            let mem = self.memory_index(mem.index)?;
            self.emit_result(Instr::MemorySizeMem { dst, mem });
        }
        Ok(())
    }

    fn visit_memory_grow(&mut self, mem: CompactIndex) -> Result<()> {
        let delta = self.top_reg()?;
        self.pop_n(1);
        let dst = self.push_temp()?;
        if self.is_fast_memory(mem.index) {
            self.emit_result(Instr::MemoryGrow { dst, delta });
        } else {
            let mem = self.memory_index(mem.index)?;
            self.emit_result(Instr::MemoryGrowMem { dst, delta, mem });
        }
        Ok(())
    }

    /// The registers of the top three operands, popped.
    fn pop3(&mut self) -> Result<(Reg, Reg, Reg)> {
        let h = self.stack.len() - 1;
        let c = self.reg_at(h)?;
        let b = self.reg_at(h - 1)?;
        let a = self.reg_at(h - 2)?;
        self.pop_n(3);
        Ok((a, b, c))
    }

    fn visit_memory_fill(&mut self, mem: u32) -> Result<()> {
        let (dst, value, len) = self.pop3()?;
        if self.is_fast_memory(mem) {
            self.emit(Instr::MemoryFill { dst, value, len });
        } else {
            let mem = self.memory_index(mem)?;
            self.emit(Instr::MemoryFillMem {
                dst,
                value,
                len,
                mem,
            });
        }
        Ok(())
    }

    fn visit_memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        if self.is_fast_memory(dst_mem) && self.is_fast_memory(src_mem) {
            self.emit(Instr::MemoryCopy { dst, src, len });
        } else {
            let (dst_mem, src_mem) = (self.memory_index(dst_mem)?, self.memory_index(src_mem)?);
            self.emit(Instr::MemoryCopyMem {
                dst,
                src,
                len,
                dst_mem,
                src_mem,
            });
        }
        Ok(())
    }

    fn visit_memory_init(&mut self, data: u32, mem: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        if self.is_fast_memory(mem) {
            self.emit(Instr::MemoryInit {
                seg: data,
                dst,
                src,
                len,
            });
        } else {
            let mem = self.memory_index(mem)?;
            self.emit(Instr::MemoryInitMem {
                dst,
                src,
                len,
                mem,
                seg: data,
            });
        }
        Ok(())
    }

    fn visit_data_drop(&mut self, data: u32) -> Result<()> {
        self.emit(Instr::DataDrop { seg: data });
        Ok(())
    }

    fn visit_table_get(&mut self, table: u32) -> Result<()> {
        let index = self.top_reg()?;
        self.pop_n(1);
        let t = ValType::Ref(self.ctx.tables[table as usize].element);
        let dst = self.push_temp_typed(t)?;
        self.emit_result(Instr::TableGet { dst, table, index });
        Ok(())
    }

    fn visit_table_set(&mut self, table: u32) -> Result<()> {
        let h = self.stack.len() - 1;
        let value = self.reg_at(h)?;
        let index = self.reg_at(h - 1)?;
        self.pop_n(2);
        self.emit(Instr::TableSet {
            table,
            index,
            value,
        });
        Ok(())
    }

    fn visit_table_size(&mut self, table: u32) -> Result<()> {
        let dst = self.push_temp()?;
        self.emit_result(Instr::TableSize { dst, table });
        Ok(())
    }

    fn visit_table_grow(&mut self, table: u32) -> Result<()> {
        let h = self.stack.len() - 1;
        let delta = self.reg_at(h)?;
        let init = self.reg_at(h - 1)?;
        self.pop_n(2);
        let dst = self.push_temp()?;
        self.emit_result(Instr::TableGrow {
            dst,
            table,
            init,
            delta,
        });
        Ok(())
    }

    fn visit_table_fill(&mut self, table: u32) -> Result<()> {
        let (dst, value, len) = self.pop3()?;
        self.emit(Instr::TableFill {
            table,
            dst,
            value,
            len,
        });
        Ok(())
    }

    fn visit_table_copy(&mut self, dst_table: u32, src_table: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        self.emit(Instr::TableCopy {
            dst_table,
            src_table,
            dst,
            src,
            len,
        });
        Ok(())
    }

    fn visit_table_init(&mut self, elem: u32, table: u32) -> Result<()> {
        let (dst, src, len) = self.pop3()?;
        self.emit(Instr::TableInit {
            seg: elem,
            table,
            dst,
            src,
            len,
        });
        Ok(())
    }

    fn visit_elem_drop(&mut self, elem: u32) -> Result<()> {
        self.emit(Instr::ElemDrop { seg: elem });
        Ok(())
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

/// Validates then translates each operator.
struct Fused<'x, 'v, 'm> {
    v: &'x mut FuncValidator<'v>,
    t: &'x mut Translator<'m>,
}

/// How one operator is translated, from its table entry.
macro_rules! translate_op {
    // SIMD, by signature.
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 -> V128]) => {
        $t.simd(1, true, |dst, r| Instr::$name { dst, src: r[0] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 V128 -> V128]) => {
        $t.simd(2, true, |dst, r| Instr::$name { dst, a: r[0], b: r[1] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 V128 V128 -> V128]) => {
        $t.simd(3, true, |dst, r| Instr::$name { dst, a: r[0], b: r[1], c: r[2] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 I32 -> V128]) => {
        $t.simd(2, true, |dst, r| Instr::$name { dst, a: r[0], b: r[1] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [$s:ident -> V128]) => {
        $t.simd(1, true, |dst, r| Instr::$name { dst, src: r[0] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [V128 -> I32]) => {
        $t.simd(1, false, |dst, r| Instr::$name { dst, src: r[0] })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($lane:ident), [lane $n:literal V128 -> $r:ident]) => {
        $t.simd(1, false, |dst, r| Instr::$name { dst, src: r[0], lane: $lane })
    };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, ($lane:ident), [lane $n:literal V128 $s:ident -> V128]) => {
        $t.simd(2, true, |dst, r| Instr::$name { dst, a: r[0], b: r[1], lane: $lane })
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
    // Numeric.
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [$a:ident $b:ident -> $r:ident]) => { $t.binary(BinOp::$name) };
    ($t:ident, $visit:ident, $prop:ident, $name:ident, (), [$a:ident -> $r:ident]) => { $t.unary(UnOp::$name) };
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
                    Visitor(&mut *self.v).$visit($($imm.clone()),*)?;
                    // The validator refused it already if its proposal is not compiled in;
                    // this constant test makes the translation below dead code then.
                    spindle_validate::check_compiled_in(Proposal::$prop, 0)?;
                    let t = &mut *self.t;
                    if !t.reachable && !matches!(Opcode::$name, Opcode::Else | Opcode::End) {
                        return t.dead_op(Opcode::$name);
                    }
                                        t.charge();
                    translate_op!(t, $visit, $prop, $name, ($($imm),*), [$($sig)*])
                }
            )*
        }
    };
}

spindle_decode::for_each_operator!(define_fused);

/// Validates and translates one function body of type `type_index`.
pub fn translate_function(
    t: &mut Translator<'_>,
    fv: &mut FuncValidator<'_>,
    type_index: u32,
    body: BinaryReader<'_>,
) -> Result<CompiledFunc> {
    t.translate(fv, type_index, body)
}

#[allow(dead_code)]
fn _assert_types(_: ValType) {}
