//! The numeric instruction families: [`for_each_numeric!`], the one list of every numeric
//! operator's forms (register, immediate, accumulator, fused branch), and what is generated
//! from it here: [`BinOp`] and [`UnOp`], the per-opcode tables of accumulator forms and
//! branches, and the `Instr` methods that convert between forms.

use super::*;

/// Calls macro `$m` (after the tokens given before the families) with the numeric
/// instruction families, each line naming the forms of one operator:
/// `binary { X/XAcc/XAccB ... }` (operands in registers, first or second from the
/// accumulator), `imm { XImm/XImmAcc = X ... }` (second operand an immediate),
/// `unary { X/XAcc ... }`, `load { X/XAcc/XAddImm ... }` (address in a register, in the
/// accumulator, or a register plus a wrapping immediate), `store { X/XAcc/XAccAddr/XAddImm
/// ... }` (value from the accumulator, address from the accumulator, address plus a wrapping
/// immediate) and `branch { Cmp/BrIfCmp/BrIfCmpAcc/BrIfCmpImm/BrIfCmpImmAcc ... }` (integer
/// comparisons fused with a branch).
#[macro_export]
macro_rules! for_each_numeric {
    ($($head:tt)*) => {
        $crate::__spindle_numeric_call! {
            [$($head)*]
            binary {
                I32Eq/I32EqAcc/I32EqAccB I32Ne/I32NeAcc/I32NeAccB I32LtS/I32LtSAcc/I32LtSAccB
                I32LtU/I32LtUAcc/I32LtUAccB I32GtS/I32GtSAcc/I32GtSAccB
                I32GtU/I32GtUAcc/I32GtUAccB I32LeS/I32LeSAcc/I32LeSAccB
                I32LeU/I32LeUAcc/I32LeUAccB I32GeS/I32GeSAcc/I32GeSAccB
                I32GeU/I32GeUAcc/I32GeUAccB I64Eq/I64EqAcc/I64EqAccB I64Ne/I64NeAcc/I64NeAccB
                I64LtS/I64LtSAcc/I64LtSAccB I64LtU/I64LtUAcc/I64LtUAccB
                I64GtS/I64GtSAcc/I64GtSAccB I64GtU/I64GtUAcc/I64GtUAccB
                I64LeS/I64LeSAcc/I64LeSAccB I64LeU/I64LeUAcc/I64LeUAccB
                I64GeS/I64GeSAcc/I64GeSAccB I64GeU/I64GeUAcc/I64GeUAccB
                F32Eq/F32EqAcc/F32EqAccB F32Ne/F32NeAcc/F32NeAccB F32Lt/F32LtAcc/F32LtAccB
                F32Gt/F32GtAcc/F32GtAccB F32Le/F32LeAcc/F32LeAccB F32Ge/F32GeAcc/F32GeAccB
                F64Eq/F64EqAcc/F64EqAccB F64Ne/F64NeAcc/F64NeAccB F64Lt/F64LtAcc/F64LtAccB
                F64Gt/F64GtAcc/F64GtAccB F64Le/F64LeAcc/F64LeAccB F64Ge/F64GeAcc/F64GeAccB
                I32Add/I32AddAcc/I32AddAccB I32Sub/I32SubAcc/I32SubAccB
                I32Mul/I32MulAcc/I32MulAccB I32DivS/I32DivSAcc/I32DivSAccB
                I32DivU/I32DivUAcc/I32DivUAccB I32RemS/I32RemSAcc/I32RemSAccB
                I32RemU/I32RemUAcc/I32RemUAccB I32And/I32AndAcc/I32AndAccB
                I32Or/I32OrAcc/I32OrAccB I32Xor/I32XorAcc/I32XorAccB
                I32Shl/I32ShlAcc/I32ShlAccB I32ShrS/I32ShrSAcc/I32ShrSAccB
                I32ShrU/I32ShrUAcc/I32ShrUAccB I32Rotl/I32RotlAcc/I32RotlAccB
                I32Rotr/I32RotrAcc/I32RotrAccB I64Add/I64AddAcc/I64AddAccB
                I64Sub/I64SubAcc/I64SubAccB I64Mul/I64MulAcc/I64MulAccB
                I64DivS/I64DivSAcc/I64DivSAccB I64DivU/I64DivUAcc/I64DivUAccB
                I64RemS/I64RemSAcc/I64RemSAccB I64RemU/I64RemUAcc/I64RemUAccB
                I64And/I64AndAcc/I64AndAccB I64Or/I64OrAcc/I64OrAccB
                I64Xor/I64XorAcc/I64XorAccB I64Shl/I64ShlAcc/I64ShlAccB
                I64ShrS/I64ShrSAcc/I64ShrSAccB I64ShrU/I64ShrUAcc/I64ShrUAccB
                I64Rotl/I64RotlAcc/I64RotlAccB I64Rotr/I64RotrAcc/I64RotrAccB
                F32Add/F32AddAcc/F32AddAccB F32Sub/F32SubAcc/F32SubAccB
                F32Mul/F32MulAcc/F32MulAccB F32Div/F32DivAcc/F32DivAccB
                F32Min/F32MinAcc/F32MinAccB F32Max/F32MaxAcc/F32MaxAccB
                F32Copysign/F32CopysignAcc/F32CopysignAccB F64Add/F64AddAcc/F64AddAccB
                F64Sub/F64SubAcc/F64SubAccB F64Mul/F64MulAcc/F64MulAccB
                F64Div/F64DivAcc/F64DivAccB F64Min/F64MinAcc/F64MinAccB
                F64Max/F64MaxAcc/F64MaxAccB F64Copysign/F64CopysignAcc/F64CopysignAccB
            }
            imm {
                I32AddImm/I32AddImmAcc = I32Add I32SubImm/I32SubImmAcc = I32Sub
                I32MulImm/I32MulImmAcc = I32Mul I32AndImm/I32AndImmAcc = I32And
                I32OrImm/I32OrImmAcc = I32Or I32XorImm/I32XorImmAcc = I32Xor
                I32ShlImm/I32ShlImmAcc = I32Shl I32ShrSImm/I32ShrSImmAcc = I32ShrS
                I32ShrUImm/I32ShrUImmAcc = I32ShrU I32RotlImm/I32RotlImmAcc = I32Rotl
                I32RotrImm/I32RotrImmAcc = I32Rotr I32DivSImm/I32DivSImmAcc = I32DivS
                I32DivUImm/I32DivUImmAcc = I32DivU I32RemSImm/I32RemSImmAcc = I32RemS
                I32RemUImm/I32RemUImmAcc = I32RemU I32EqImm/I32EqImmAcc = I32Eq
                I32NeImm/I32NeImmAcc = I32Ne I32LtSImm/I32LtSImmAcc = I32LtS
                I32LtUImm/I32LtUImmAcc = I32LtU I32GtSImm/I32GtSImmAcc = I32GtS
                I32GtUImm/I32GtUImmAcc = I32GtU I32LeSImm/I32LeSImmAcc = I32LeS
                I32LeUImm/I32LeUImmAcc = I32LeU I32GeSImm/I32GeSImmAcc = I32GeS
                I32GeUImm/I32GeUImmAcc = I32GeU I64AddImm/I64AddImmAcc = I64Add
                I64SubImm/I64SubImmAcc = I64Sub I64MulImm/I64MulImmAcc = I64Mul
                I64AndImm/I64AndImmAcc = I64And I64OrImm/I64OrImmAcc = I64Or
                I64XorImm/I64XorImmAcc = I64Xor I64ShlImm/I64ShlImmAcc = I64Shl
                I64ShrSImm/I64ShrSImmAcc = I64ShrS I64ShrUImm/I64ShrUImmAcc = I64ShrU
                I64RotlImm/I64RotlImmAcc = I64Rotl I64RotrImm/I64RotrImmAcc = I64Rotr
                I64DivSImm/I64DivSImmAcc = I64DivS I64DivUImm/I64DivUImmAcc = I64DivU
                I64RemSImm/I64RemSImmAcc = I64RemS I64RemUImm/I64RemUImmAcc = I64RemU
                I64EqImm/I64EqImmAcc = I64Eq I64NeImm/I64NeImmAcc = I64Ne
                I64LtSImm/I64LtSImmAcc = I64LtS I64LtUImm/I64LtUImmAcc = I64LtU
                I64GtSImm/I64GtSImmAcc = I64GtS I64GtUImm/I64GtUImmAcc = I64GtU
                I64LeSImm/I64LeSImmAcc = I64LeS I64LeUImm/I64LeUImmAcc = I64LeU
                I64GeSImm/I64GeSImmAcc = I64GeS I64GeUImm/I64GeUImmAcc = I64GeU
            }
            unary {
                I32Eqz/I32EqzAcc I64Eqz/I64EqzAcc I32Clz/I32ClzAcc I32Ctz/I32CtzAcc
                I32Popcnt/I32PopcntAcc I64Clz/I64ClzAcc I64Ctz/I64CtzAcc I64Popcnt/I64PopcntAcc
                F32Abs/F32AbsAcc F32Neg/F32NegAcc F32Ceil/F32CeilAcc F32Floor/F32FloorAcc
                F32Trunc/F32TruncAcc F32Nearest/F32NearestAcc F32Sqrt/F32SqrtAcc
                F64Abs/F64AbsAcc F64Neg/F64NegAcc F64Ceil/F64CeilAcc F64Floor/F64FloorAcc
                F64Trunc/F64TruncAcc F64Nearest/F64NearestAcc F64Sqrt/F64SqrtAcc
                I32WrapI64/I32WrapI64Acc I32TruncF32S/I32TruncF32SAcc
                I32TruncF32U/I32TruncF32UAcc I32TruncF64S/I32TruncF64SAcc
                I32TruncF64U/I32TruncF64UAcc I64ExtendI32S/I64ExtendI32SAcc
                I64ExtendI32U/I64ExtendI32UAcc I64TruncF32S/I64TruncF32SAcc
                I64TruncF32U/I64TruncF32UAcc I64TruncF64S/I64TruncF64SAcc
                I64TruncF64U/I64TruncF64UAcc F32ConvertI32S/F32ConvertI32SAcc
                F32ConvertI32U/F32ConvertI32UAcc F32ConvertI64S/F32ConvertI64SAcc
                F32ConvertI64U/F32ConvertI64UAcc F32DemoteF64/F32DemoteF64Acc
                F64ConvertI32S/F64ConvertI32SAcc F64ConvertI32U/F64ConvertI32UAcc
                F64ConvertI64S/F64ConvertI64SAcc F64ConvertI64U/F64ConvertI64UAcc
                F64PromoteF32/F64PromoteF32Acc I32ReinterpretF32/I32ReinterpretF32Acc
                I64ReinterpretF64/I64ReinterpretF64Acc F32ReinterpretI32/F32ReinterpretI32Acc
                F64ReinterpretI64/F64ReinterpretI64Acc I32Extend8S/I32Extend8SAcc
                I32Extend16S/I32Extend16SAcc I64Extend8S/I64Extend8SAcc
                I64Extend16S/I64Extend16SAcc I64Extend32S/I64Extend32SAcc
                I32TruncSatF32S/I32TruncSatF32SAcc I32TruncSatF32U/I32TruncSatF32UAcc
                I32TruncSatF64S/I32TruncSatF64SAcc I32TruncSatF64U/I32TruncSatF64UAcc
                I64TruncSatF32S/I64TruncSatF32SAcc I64TruncSatF32U/I64TruncSatF32UAcc
                I64TruncSatF64S/I64TruncSatF64SAcc I64TruncSatF64U/I64TruncSatF64UAcc
                F32CanonNan/F32CanonNanAcc F64CanonNan/F64CanonNanAcc
            }
            load {
                I32Load/I32LoadAcc/I32LoadAddImm I64Load/I64LoadAcc/I64LoadAddImm F32Load/F32LoadAcc/F32LoadAddImm F64Load/F64LoadAcc/F64LoadAddImm
                I32Load8S/I32Load8SAcc/I32Load8SAddImm I32Load8U/I32Load8UAcc/I32Load8UAddImm I32Load16S/I32Load16SAcc/I32Load16SAddImm
                I32Load16U/I32Load16UAcc/I32Load16UAddImm I64Load8S/I64Load8SAcc/I64Load8SAddImm I64Load8U/I64Load8UAcc/I64Load8UAddImm
                I64Load16S/I64Load16SAcc/I64Load16SAddImm I64Load16U/I64Load16UAcc/I64Load16UAddImm I64Load32S/I64Load32SAcc/I64Load32SAddImm
                I64Load32U/I64Load32UAcc/I64Load32UAddImm
            }
            store {
                I32Store/I32StoreAcc/I32StoreAccAddr/I32StoreAddImm I64Store/I64StoreAcc/I64StoreAccAddr/I64StoreAddImm F32Store/F32StoreAcc/F32StoreAccAddr/F32StoreAddImm
                F64Store/F64StoreAcc/F64StoreAccAddr/F64StoreAddImm I32Store8/I32Store8Acc/I32Store8AccAddr/I32Store8AddImm I32Store16/I32Store16Acc/I32Store16AccAddr/I32Store16AddImm
                I64Store8/I64Store8Acc/I64Store8AccAddr/I64Store8AddImm I64Store16/I64Store16Acc/I64Store16AccAddr/I64Store16AddImm I64Store32/I64Store32Acc/I64Store32AccAddr/I64Store32AddImm
            }
            branch {
                I32Eq/BrIfI32Eq/BrIfI32EqAcc/BrIfI32EqImm/BrIfI32EqImmAcc
                I32Ne/BrIfI32Ne/BrIfI32NeAcc/BrIfI32NeImm/BrIfI32NeImmAcc
                I32LtS/BrIfI32LtS/BrIfI32LtSAcc/BrIfI32LtSImm/BrIfI32LtSImmAcc
                I32LtU/BrIfI32LtU/BrIfI32LtUAcc/BrIfI32LtUImm/BrIfI32LtUImmAcc
                I32GtS/BrIfI32GtS/BrIfI32GtSAcc/BrIfI32GtSImm/BrIfI32GtSImmAcc
                I32GtU/BrIfI32GtU/BrIfI32GtUAcc/BrIfI32GtUImm/BrIfI32GtUImmAcc
                I32LeS/BrIfI32LeS/BrIfI32LeSAcc/BrIfI32LeSImm/BrIfI32LeSImmAcc
                I32LeU/BrIfI32LeU/BrIfI32LeUAcc/BrIfI32LeUImm/BrIfI32LeUImmAcc
                I32GeS/BrIfI32GeS/BrIfI32GeSAcc/BrIfI32GeSImm/BrIfI32GeSImmAcc
                I32GeU/BrIfI32GeU/BrIfI32GeUAcc/BrIfI32GeUImm/BrIfI32GeUImmAcc
                I64Eq/BrIfI64Eq/BrIfI64EqAcc/BrIfI64EqImm/BrIfI64EqImmAcc
                I64Ne/BrIfI64Ne/BrIfI64NeAcc/BrIfI64NeImm/BrIfI64NeImmAcc
                I64LtS/BrIfI64LtS/BrIfI64LtSAcc/BrIfI64LtSImm/BrIfI64LtSImmAcc
                I64LtU/BrIfI64LtU/BrIfI64LtUAcc/BrIfI64LtUImm/BrIfI64LtUImmAcc
                I64GtS/BrIfI64GtS/BrIfI64GtSAcc/BrIfI64GtSImm/BrIfI64GtSImmAcc
                I64GtU/BrIfI64GtU/BrIfI64GtUAcc/BrIfI64GtUImm/BrIfI64GtUImmAcc
                I64LeS/BrIfI64LeS/BrIfI64LeSAcc/BrIfI64LeSImm/BrIfI64LeSImmAcc
                I64LeU/BrIfI64LeU/BrIfI64LeUAcc/BrIfI64LeUImm/BrIfI64LeUImmAcc
                I64GeS/BrIfI64GeS/BrIfI64GeSAcc/BrIfI64GeSImm/BrIfI64GeSImmAcc
                I64GeU/BrIfI64GeU/BrIfI64GeUAcc/BrIfI64GeUImm/BrIfI64GeUImmAcc
            }
            vunary {
                F32x4CanonNan F64x2CanonNan
                V128Not F32x4DemoteF64x2Zero F64x2PromoteLowF32x4 I8x16Abs I8x16Neg
                I8x16Popcnt F32x4Ceil F32x4Floor F32x4Trunc F32x4Nearest F64x2Ceil
                F64x2Floor F64x2Trunc I16x8ExtaddPairwiseI8x16S
                I16x8ExtaddPairwiseI8x16U I32x4ExtaddPairwiseI16x8S
                I32x4ExtaddPairwiseI16x8U I16x8Abs I16x8Neg I16x8ExtendLowI8x16S
                I16x8ExtendHighI8x16S I16x8ExtendLowI8x16U I16x8ExtendHighI8x16U
                F64x2Nearest I32x4Abs I32x4Neg I32x4ExtendLowI16x8S
                I32x4ExtendHighI16x8S I32x4ExtendLowI16x8U I32x4ExtendHighI16x8U
                I64x2Abs I64x2Neg I64x2ExtendLowI32x4S I64x2ExtendHighI32x4S
                I64x2ExtendLowI32x4U I64x2ExtendHighI32x4U F32x4Abs F32x4Neg F32x4Sqrt
                F64x2Abs F64x2Neg F64x2Sqrt I32x4TruncSatF32x4S I32x4TruncSatF32x4U
                F32x4ConvertI32x4S F32x4ConvertI32x4U I32x4TruncSatF64x2SZero
                I32x4TruncSatF64x2UZero F64x2ConvertLowI32x4S F64x2ConvertLowI32x4U
                I32x4RelaxedTruncF32x4S I32x4RelaxedTruncF32x4U
                I32x4RelaxedTruncF64x2SZero I32x4RelaxedTruncF64x2UZero
            }
            vbinary {
                I8x16Swizzle I8x16Eq I8x16Ne I8x16LtS I8x16LtU I8x16GtS I8x16GtU
                I8x16LeS I8x16LeU I8x16GeS I8x16GeU I16x8Eq I16x8Ne I16x8LtS I16x8LtU
                I16x8GtS I16x8GtU I16x8LeS I16x8LeU I16x8GeS I16x8GeU I32x4Eq I32x4Ne
                I32x4LtS I32x4LtU I32x4GtS I32x4GtU I32x4LeS I32x4LeU I32x4GeS I32x4GeU
                F32x4Eq F32x4Ne F32x4Lt F32x4Gt F32x4Le F32x4Ge F64x2Eq F64x2Ne F64x2Lt
                F64x2Gt F64x2Le F64x2Ge V128And V128Andnot V128Or V128Xor
                I8x16NarrowI16x8S I8x16NarrowI16x8U I8x16Add I8x16AddSatS I8x16AddSatU
                I8x16Sub I8x16SubSatS I8x16SubSatU I8x16MinS I8x16MinU I8x16MaxS
                I8x16MaxU I8x16AvgrU I16x8Q15mulrSatS I16x8NarrowI32x4S
                I16x8NarrowI32x4U I16x8Add I16x8AddSatS I16x8AddSatU I16x8Sub
                I16x8SubSatS I16x8SubSatU I16x8Mul I16x8MinS I16x8MinU I16x8MaxS
                I16x8MaxU I16x8AvgrU I16x8ExtmulLowI8x16S I16x8ExtmulHighI8x16S
                I16x8ExtmulLowI8x16U I16x8ExtmulHighI8x16U I32x4Add I32x4Sub I32x4Mul
                I32x4MinS I32x4MinU I32x4MaxS I32x4MaxU I32x4DotI16x8S
                I32x4ExtmulLowI16x8S I32x4ExtmulHighI16x8S I32x4ExtmulLowI16x8U
                I32x4ExtmulHighI16x8U I64x2Add I64x2Sub I64x2Mul I64x2Eq I64x2Ne
                I64x2LtS I64x2GtS I64x2LeS I64x2GeS I64x2ExtmulLowI32x4S
                I64x2ExtmulHighI32x4S I64x2ExtmulLowI32x4U I64x2ExtmulHighI32x4U
                F32x4Add F32x4Sub F32x4Mul F32x4Div F32x4Min F32x4Max F32x4Pmin
                F32x4Pmax F64x2Add F64x2Sub F64x2Mul F64x2Div F64x2Min F64x2Max
                F64x2Pmin F64x2Pmax I8x16RelaxedSwizzle F32x4RelaxedMin F32x4RelaxedMax
                F64x2RelaxedMin F64x2RelaxedMax I16x8RelaxedQ15mulrS
                I16x8RelaxedDotI8x16I7x16S
            }
            vternary {
                V128Bitselect F32x4RelaxedMadd F32x4RelaxedNmadd F64x2RelaxedMadd
                F64x2RelaxedNmadd I8x16RelaxedLaneselect I16x8RelaxedLaneselect
                I32x4RelaxedLaneselect I64x2RelaxedLaneselect
                I32x4RelaxedDotI8x16I7x16AddS
            }
            vshift {
                I8x16Shl I8x16ShrS I8x16ShrU I16x8Shl I16x8ShrS I16x8ShrU I32x4Shl
                I32x4ShrS I32x4ShrU I64x2Shl I64x2ShrS I64x2ShrU
            }
            vsplat {
                I8x16Splat I16x8Splat I32x4Splat I64x2Splat F32x4Splat F64x2Splat
            }
            vtest {
                V128AnyTrue I8x16AllTrue I8x16Bitmask I16x8AllTrue I16x8Bitmask
                I32x4AllTrue I32x4Bitmask I64x2AllTrue I64x2Bitmask
            }
            vextract {
                I8x16ExtractLaneS I8x16ExtractLaneU I16x8ExtractLaneS I16x8ExtractLaneU
                I32x4ExtractLane I64x2ExtractLane F32x4ExtractLane F64x2ExtractLane
            }
            vreplace {
                I8x16ReplaceLane I16x8ReplaceLane I32x4ReplaceLane I64x2ReplaceLane
                F32x4ReplaceLane F64x2ReplaceLane
            }
            vload {
                V128Load V128Load8x8S V128Load8x8U V128Load16x4S V128Load16x4U
                V128Load32x2S V128Load32x2U V128Load8Splat V128Load16Splat
                V128Load32Splat V128Load64Splat V128Load32Zero V128Load64Zero
            }
        }
    };
}

/// Delivers the numeric lists to a user macro (`[name, extra tokens...]`) or to the
/// instruction table (`[@instr name]`).
#[doc(hidden)]
#[macro_export]
macro_rules! __spindle_numeric_call {
    ([@instr $m:ident] $($lists:tt)*) => {
        $crate::__spindle_instr_table! { $m $($lists)* }
    };
    ([$m:ident $(, $($extra:tt)*)?] $($lists:tt)*) => {
        $m! { $($($extra)*)? $($lists)* }
    };
}

macro_rules! define_numeric {
    (binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
     unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }
     store { $($st:ident / $sta:ident / $stb:ident / $stw:ident)* }
     branch { $($cmp:ident / $brr:ident / $bra:ident / $bri:ident / $bria:ident)* }
     vunary { $($vu:ident)* } vbinary { $($vb:ident)* } vternary { $($vt:ident)* }
     vshift { $($vs:ident)* } vsplat { $($vsp:ident)* } vtest { $($vte:ident)* }
     vextract { $($vx:ident)* } vreplace { $($vr:ident)* } vload { $($vl:ident)* }) => {
        /// Binary numeric operators (named as the Wasm operators).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum BinOp { $($b,)* }
        /// Unary numeric operators and conversions (named as the Wasm operators).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum UnOp { $($u,)* }

        impl BinOp {
            /// The instruction `dst = a op b`.
            pub fn instr(self, dst: Dst, a: Reg, b: Reg) -> Instr {
                match self { $( BinOp::$b => Instr::$b { dst, a, b }, )* }
            }

            /// The instruction `dst = a op imm`, if the operator has an immediate form.
            pub fn instr_imm(self, dst: Dst, a: Reg, imm: i32) -> Option<Instr> {
                match self {
                    $( BinOp::$bb => Some(Instr::$bi { dst, a, imm }), )*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }

        /// Whether each kind of instruction (by opcode) leaves its result in the
        /// accumulator (see [`Instr::sets_acc`]; `StructGet`/`ArrayGet` of a `v128` apart).
        pub(crate) static SETS_ACC: [bool; Opcode::COUNT] = mark(
            HAS_DST_TABLE,
            &[
                Opcode::CopyMany, Opcode::V128Const, Opcode::I8x16Shuffle, Opcode::Copy128,
                Opcode::Select128, Opcode::GlobalGet128, Opcode::V128LoadMem, Opcode::V128LoadLane,
                $( Opcode::$vu, )* $( Opcode::$vb, )* $( Opcode::$vt, )* $( Opcode::$vs, )*
                $( Opcode::$vsp, )* $( Opcode::$vr, )* $( Opcode::$vl, )*
            ],
            false,
        );

        /// Whether each kind of instruction (by opcode) may write its result to the
        /// accumulator only (see [`Instr::can_result_in_acc`]).
        pub(crate) const RESULT_IN_ACC_TABLE: [bool; Opcode::COUNT] = mark(
            [false; Opcode::COUNT],
            &[
                $( Opcode::$b, Opcode::$ba, Opcode::$bab, )*
                $( Opcode::$bi, Opcode::$bia, )*
                $( Opcode::$u, Opcode::$ua, )*
                $( Opcode::$l, Opcode::$la, Opcode::$lw, )*
            ],
            true,
        );
        static RESULT_IN_ACC: [bool; Opcode::COUNT] = RESULT_IN_ACC_TABLE;

        /// Whether each kind of instruction (by opcode) has an `…Acc` form.
        static ACC_FORMS: [bool; Opcode::COUNT] = mark(
            [false; Opcode::COUNT],
            &[
                Opcode::BrIfEqz, Opcode::BrTable, Opcode::BrIfNez, Opcode::Copy,
                Opcode::Return1, Opcode::Select, Opcode::GlobalSet,
                $( Opcode::$b, )* $( Opcode::$bi, )* $( Opcode::$u, )* $( Opcode::$l, )*
                $( Opcode::$st, )* $( Opcode::$brr, )* $( Opcode::$bri, )*
            ],
            true,
        );

        impl Instr {
            /// The operator, operand and immediate of a register-immediate binary instruction.
            pub fn as_binary_imm(&self) -> Option<(BinOp, Dst, Reg, i32)> {
                match *self {
                    $( Instr::$bi { dst, a, imm } => Some((BinOp::$bb, dst, a, imm)), )*
                    _ => None,
                }
            }

            /// The operator and operands of a register-register binary instruction.
            pub fn as_binary(&self) -> Option<(BinOp, Dst, Reg, Reg)> {
                match *self {
                    $( Instr::$b { dst, a, b } => Some((BinOp::$b, dst, a, b)), )*
                    _ => None,
                }
            }
        }

        impl BinOp {
            /// The branch taken when `a op b` holds, for an integer comparison.
            pub fn branch(self, a: Reg, b: Reg, to: i32) -> Option<Instr> {
                match self {
                    $( BinOp::$cmp => Some(Instr::$brr { a, b, to }), )*
                    _ => None,
                }
            }

            /// The branch taken when `a op imm` holds, for an integer comparison.
            pub fn branch_imm(self, a: Reg, imm: i32, to: i32) -> Option<Instr> {
                match self {
                    $( BinOp::$cmp => Some(Instr::$bri { a, imm, to }), )*
                    _ => None,
                }
            }

            /// The comparison that holds exactly when this integer comparison does not.
            pub fn negated_compare(self) -> Option<BinOp> {
                use BinOp::*;
                Some(match self {
                    I32Eq => I32Ne, I32Ne => I32Eq, I32LtS => I32GeS, I32LtU => I32GeU,
                    I32GtS => I32LeS, I32GtU => I32LeU, I32LeS => I32GtS, I32LeU => I32GtU,
                    I32GeS => I32LtS, I32GeU => I32LtU,
                    I64Eq => I64Ne, I64Ne => I64Eq, I64LtS => I64GeS, I64LtU => I64GeU,
                    I64GtS => I64LeS, I64GtU => I64LeU, I64LeS => I64GtS, I64LeU => I64GtU,
                    I64GeS => I64LtS, I64GeU => I64LtU,
                    _ => return None,
                })
            }

            /// The comparison `b op' a` equal to this integer comparison `a op b`.
            pub fn swapped_compare(self) -> Option<BinOp> {
                use BinOp::*;
                Some(match self {
                    I32Eq => I32Eq, I32Ne => I32Ne, I32LtS => I32GtS, I32LtU => I32GtU,
                    I32GtS => I32LtS, I32GtU => I32LtU, I32LeS => I32GeS, I32LeU => I32GeU,
                    I32GeS => I32LeS, I32GeU => I32LeU,
                    I64Eq => I64Eq, I64Ne => I64Ne, I64LtS => I64GtS, I64LtU => I64GtU,
                    I64GtS => I64LtS, I64GtU => I64LtU, I64LeS => I64GeS, I64LeU => I64GeU,
                    I64GeS => I64LeS, I64GeU => I64LeU,
                    _ => return None,
                })
            }

            /// Whether `a op b == b op a` bit for bit (integer operators only: float
            /// operators may pick either NaN operand's payload).
            pub fn is_commutative(self) -> bool {
                use BinOp::*;
                matches!(
                    self,
                    I32Eq | I32Ne | I32Add | I32Mul | I32And | I32Or | I32Xor | I64Eq | I64Ne
                        | I64Add | I64Mul | I64And | I64Or | I64Xor
                )
            }

            /// Whether the operator is an integer comparison (its result is 0 or 1).
            pub fn is_int_compare(self) -> bool {
                use BinOp::*;
                matches!(
                    self,
                    I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU
                        | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS
                        | I64GeU
                )
            }
        }

        /// The kinds of `v128` load (the `vload` family), as `V128LoadMem::kind`.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(u8)]
        pub enum VLoadKind { $($vl,)* }

        impl VLoadKind {
            /// The kind numbered `k` (`kind as u8`).
            pub fn from_u8(k: u8) -> Option<VLoadKind> {
                [$(VLoadKind::$vl),*].get(k as usize).copied()
            }
        }

        impl Instr {
            /// The SIMD instruction of kind `op` from one of the families whose operands are
            /// registers (`vunary`, `vbinary`, `vternary`, `vshift`, `vsplat`, `vtest`,
            /// `vextract`, `vreplace`), with result `dst`, operands `r` (the family's count,
            /// in order) and, for the lane families, `lane`; `None` for any other kind or too
            /// few operands. One constructor for all of them, so that the translator's arm
            /// for each such operator is a call with constants rather than a construction
            /// of its own.
            pub fn simd_of(op: Opcode, dst: Dst, r: &[Reg], lane: u8) -> Option<Instr> {
                let reg = |i: usize| r.get(i).copied();
                Some(match op {
                    $( Opcode::$vu => Instr::$vu { dst, src: reg(0)? }, )*
                    $( Opcode::$vb => Instr::$vb { dst, a: reg(0)?, b: reg(1)? }, )*
                    $( Opcode::$vt => Instr::$vt { dst, a: reg(0)?, b: reg(1)?, c: reg(2)? }, )*
                    $( Opcode::$vs => Instr::$vs { dst, a: reg(0)?, b: reg(1)? }, )*
                    $( Opcode::$vsp => Instr::$vsp { dst, src: reg(0)? }, )*
                    $( Opcode::$vte => Instr::$vte { dst, src: reg(0)? }, )*
                    $( Opcode::$vx => Instr::$vx { dst, src: reg(0)?, lane }, )*
                    $( Opcode::$vr => Instr::$vr { dst, a: reg(0)?, b: reg(1)?, lane }, )*
                    _ => return None,
                })
            }

            /// Whether the instruction is a SIMD one (its registers may hold `v128`s).
            pub fn is_simd(&self) -> bool {
                self.writes_v128()
                    || matches!(self, $( Instr::$vte { .. } | )* $( Instr::$vx { .. } | )*
                        Instr::GlobalSet128 { .. } | Instr::V128Store { .. }
                        | Instr::V128StoreMem { .. } | Instr::V128StoreLane { .. })
            }

            /// Whether the instruction's result is a `v128` (two registers from `dst`).
            pub fn writes_v128(&self) -> bool {
                matches!(self, $( Instr::$vu { .. } | )* $( Instr::$vb { .. } | )*
                    $( Instr::$vt { .. } | )* $( Instr::$vs { .. } | )* $( Instr::$vsp { .. } | )*
                    $( Instr::$vr { .. } | )* $( Instr::$vl { .. } | )*
                    Instr::V128Const { .. } | Instr::I8x16Shuffle { .. } | Instr::Copy128 { .. }
                    | Instr::Select128 { .. } | Instr::GlobalGet128 { .. }
                    | Instr::V128LoadMem { .. } | Instr::V128LoadLane { .. })
                    || matches!(self, Instr::StructGet { ext: gc_read::V128, .. }
                        | Instr::ArrayGet { ext: gc_read::V128, .. })
            }
        }

        impl UnOp {
            /// The instruction `dst = op src`.
            pub fn instr(self, dst: Dst, src: Reg) -> Instr {
                match self { $( UnOp::$u => Instr::$u { dst, src }, )* }
            }
        }

        impl Instr {
            /// Whether the instruction may write its result to [`Dst::ACC`] only: the
            /// numeric instructions with a result (the interpreter has a second handler for
            /// each that skips the store).
            #[inline]
            pub fn can_result_in_acc(&self) -> bool {
                RESULT_IN_ACC[self.opcode() as usize]
            }

            /// A load's kind (see [`load`]), result, address register and offset.
            pub fn as_load(&self) -> Option<(u8, Dst, Reg, u32)> {
                match *self {
                    $( Instr::$l { dst, addr, offset } => Some((load::$l, dst, addr, offset)), )*
                    _ => None,
                }
            }

            /// A store's width in bytes, address and value registers, and offset.
            pub fn as_store(&self) -> Option<(u8, Reg, Reg, u32)> {
                match *self {
                    $( Instr::$st { addr, value, offset } => Some((store::$st, addr, value, offset)), )*
                    _ => None,
                }
            }

            /// This load or store with its address `a + imm` (wrapping) instead of its
            /// address register: the form that absorbs the `i32.add` of a constant that
            /// computed the address.
            pub fn with_address_add(&self, a: Reg, imm: i32) -> Option<Instr> {
                match *self {
                    $( Instr::$l { dst, offset, .. } => {
                        Some(Instr::$lw { dst, addr: a, imm, offset })
                    } )*
                    $( Instr::$st { value, offset, .. } => {
                        Some(Instr::$stw { addr: a, value, imm, offset })
                    } )*
                    _ => None,
                }
            }

            /// Whether the instruction takes an operand from the accumulator (an `…Acc`
            /// form made by [`Instr::to_acc`]).
            pub fn reads_acc(&self) -> bool {
                matches!(
                    self,
                    $( Instr::$ba { .. } | Instr::$bab { .. } | )*
                    $( Instr::$bia { .. } | )*
                    $( Instr::$ua { .. } | )*
                    $( Instr::$la { .. } | )*
                    $( Instr::$sta { .. } | Instr::$stb { .. } | )*
                    $( Instr::$bra { .. } | Instr::$bria { .. } | )*
                    Instr::BrIfEqzAcc { .. }
                        | Instr::BrIfNezAcc { .. }
                        | Instr::BrTableAcc { .. }
                        | Instr::BrTableAccAddImm { .. }
                        | Instr::I32LoadIndexedAcc { .. }
                        | Instr::CopyAcc { .. }
                        | Instr::Return1Acc { .. }
                        | Instr::SelectAcc { .. }
                        | Instr::GlobalSetAcc { .. }
                )
            }

            /// The form of this instruction that takes operand `reg` from the accumulator,
            /// if it has one and reads `reg` there (for a commutative operator, either
            /// operand). The caller guarantees the instruction just before wrote `reg` and
            /// set the accumulator (see [`Instr::sets_acc`]) and that nothing branches to
            /// this one.
            #[inline]
            pub fn to_acc(&self, reg: Reg) -> Option<Instr> {
                if !self.has_acc_form() {
                    return None;
                }
                self.acc_form(reg)
            }

            /// Whether the instruction has `…Acc` forms at all (a table lookup): when not,
            /// [`Instr::to_acc`] gives `None` for every register.
            #[inline]
            pub fn has_acc_form(&self) -> bool {
                ACC_FORMS[self.opcode() as usize]
            }

            /// `to_acc` for an instruction that has `…Acc` forms.
            fn acc_form(&self, reg: Reg) -> Option<Instr> {
                match *self {
                    $( Instr::$b { dst, a, b } => {
                        if a == reg {
                            Some(Instr::$ba { dst, b })
                        } else if b == reg && BinOp::$b.is_commutative() {
                            Some(Instr::$ba { dst, b: a })
                        } else if b == reg {
                            Some(Instr::$bab { dst, a })
                        } else {
                            None
                        }
                    } )*
                    $( Instr::$bi { dst, a, imm } if a == reg => Some(Instr::$bia { dst, imm }), )*
                    $( Instr::$u { dst, src } if src == reg => Some(Instr::$ua { dst }), )*
                    $( Instr::$l { dst, addr, offset } if addr == reg => {
                        Some(Instr::$la { dst, offset })
                    } )*
                    $( Instr::$st { addr, value, offset } if value == reg && addr != reg => {
                        Some(Instr::$sta { addr, offset })
                    } )*
                    $( Instr::$st { addr, value, offset } if addr == reg && value != reg => {
                        Some(Instr::$stb { value, offset })
                    } )*
                    $( Instr::$brr { a, b, to } => {
                        if a == reg {
                            Some(Instr::$bra { b, to })
                        } else if b == reg {
                            // `a cmp acc` is `acc cmp' a`.
                            let swapped = BinOp::$cmp.swapped_compare()?;
                            swapped.branch(b, a, to)?.to_acc(reg)
                        } else {
                            None
                        }
                    } )*
                    $( Instr::$bri { a, imm, to } if a == reg => Some(Instr::$bria { imm, to }), )*
                    Instr::BrIfEqz { cond, to } if cond == reg => Some(Instr::BrIfEqzAcc { to }),
                    Instr::BrTable { index, len } if index == reg => Some(Instr::BrTableAcc { len }),
                    Instr::BrIfNez { cond, to } if cond == reg => Some(Instr::BrIfNezAcc { to }),
                    Instr::Copy { dst, src } if src == reg => Some(Instr::CopyAcc { dst }),
                    Instr::Return1 { src } if src == reg => Some(Instr::Return1Acc {}),
                    Instr::Select { dst, cond, a, b } if cond == reg => {
                        Some(Instr::SelectAcc { dst, a, b })
                    }
                    Instr::GlobalSet { src, idx } if src == reg => Some(Instr::GlobalSetAcc { idx }),
                    _ => None,
                }
            }
        }
    };
}
for_each_numeric!(define_numeric);
