//! WebAssembly's SIMD semantics on [`V128`] values: 16 bytes, lane 0 first.
//!
//! One function per operator of `spindle_ir`'s SIMD families, named after it, so that each
//! interpreter handler passes its own function and the compiler inlines it there. Lanes are
//! taken apart and put together as arrays reinterpreted in place on little-endian hosts (the
//! one `unsafe` here: the compiler then keeps lane-wise code in vector registers), through
//! little-endian bytes elsewhere.
//!
//! Relaxed SIMD: each operator has one deterministic result, that of the spec's
//! deterministic profile, which is its non-relaxed counterpart's where there is one
//! (documented at each). The same inputs give the same results on every host, but for the
//! payload bits of NaN results, which (as for the scalar float operators) come from the
//! host's arithmetic where the spec leaves them open.

#![allow(non_snake_case)]

#[cfg(not(feature = "std"))]
use crate::num::FloatMath as _;
use crate::num::{self, fmax32, fmax64, fmin32, fmin64, quiet32, quiet64};
use spindle_ir::VLoadKind;

/// A `v128` value: its 16 bytes, little-endian (lane 0 first). An array rather than a
/// `u128`, so that the compiler keeps lane-wise code in vector registers (a `u128` result
/// goes through a pair of integer registers).
pub type V128 = [u8; 16];

/// The `v128` of the 128-bit integer `x`.
#[inline(always)]
pub fn from_u128(x: u128) -> V128 {
    x.to_le_bytes()
}

/// The 128-bit integer of `v`.
#[inline(always)]
pub fn to_u128(v: V128) -> u128 {
    u128::from_le_bytes(v)
}

/// A lane type: how it sits in the 16 bytes of a `v128`.
trait Lane: Copy {
    const BYTES: usize;
    /// (Used by the byte path of `split`, on big-endian hosts.)
    #[cfg_attr(target_endian = "little", allow(dead_code))]
    fn get(b: &[u8; 16], i: usize) -> Self;
    fn put(self, b: &mut [u8; 16], i: usize);
}

macro_rules! lane {
    ($($t:ty),*) => { $(
        impl Lane for $t {
            const BYTES: usize = core::mem::size_of::<$t>();
            #[inline(always)]
            fn get(b: &[u8; 16], i: usize) -> Self {
                let mut x = [0u8; core::mem::size_of::<$t>()];
                x.copy_from_slice(&b[i * Self::BYTES..(i + 1) * Self::BYTES]);
                <$t>::from_le_bytes(x)
            }
            #[inline(always)]
            fn put(self, b: &mut [u8; 16], i: usize) {
                b[i * Self::BYTES..(i + 1) * Self::BYTES].copy_from_slice(&self.to_le_bytes());
            }
        }
    )* };
}
lane!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

#[inline(always)]
fn split<T: Lane, const N: usize>(x: V128) -> [T; N] {
    const { assert!(core::mem::size_of::<[T; N]>() == 16) };
    #[cfg(target_endian = "little")]
    {
        // SAFETY: `[T; N]` is 16 bytes (checked above) of a primitive integer or float type
        // (the `Lane` types), for which every bit pattern is a value; `transmute_copy`
        // reads without assuming alignment. Little-endian: lane `i` is bytes `i * size..`,
        // as in Wasm.
        unsafe { core::mem::transmute_copy::<V128, [T; N]>(&x) }
    }
    #[cfg(not(target_endian = "little"))]
    {
        core::array::from_fn(|i| T::get(&x, i))
    }
}

#[inline(always)]
fn join<T: Lane, const N: usize>(lanes: [T; N]) -> V128 {
    const { assert!(core::mem::size_of::<[T; N]>() == 16) };
    #[cfg(target_endian = "little")]
    {
        // SAFETY: as in `split`, the other way: 16 bytes, every bit pattern a `V128`.
        unsafe { core::mem::transmute_copy::<[T; N], V128>(&lanes) }
    }
    #[cfg(not(target_endian = "little"))]
    {
        let mut b = [0u8; 16];
        for (i, l) in lanes.into_iter().enumerate() {
            l.put(&mut b, i);
        }
        b
    }
}

/// Each lane through `f`.
#[inline(always)]
fn map<T: Lane, U: Lane, const N: usize>(x: V128, f: impl Fn(T) -> U) -> V128 {
    join::<U, N>(split::<T, N>(x).map(f))
}

/// Lane by lane through `f`.
#[inline(always)]
fn zip<T: Lane, U: Lane, const N: usize>(x: V128, y: V128, f: impl Fn(T, T) -> U) -> V128 {
    let (a, b) = (split::<T, N>(x), split::<T, N>(y));
    join::<U, N>(core::array::from_fn(|i| f(a[i], b[i])))
}

/// An all-ones or all-zeros lane.
macro_rules! mask {
    ($c:expr, $t:ty) => {
        if $c {
            !0 as $t
        } else {
            0
        }
    };
}

/// Binary lane-wise operators: `name: lane type x count => |a, b| result`.
macro_rules! binary {
    ($($name:ident: $t:ty, $u:ty, $n:literal => |$a:ident, $b:ident| $e:expr;)*) => { $(
        #[inline(always)]
        pub fn $name(x: V128, y: V128) -> V128 {
            zip::<$t, $u, $n>(x, y, |$a: $t, $b: $t| -> $u { $e })
        }
    )* };
}

/// Unary lane-wise operators.
macro_rules! unary {
    ($($name:ident: $t:ty, $u:ty, $n:literal => |$a:ident| $e:expr;)*) => { $(
        #[inline(always)]
        pub fn $name(x: V128) -> V128 {
            map::<$t, $u, $n>(x, |$a: $t| -> $u { $e })
        }
    )* };
}

/// Integer comparisons of one lane shape: `$s` signed, `$u` unsigned lane types.
macro_rules! int_compares {
    ($s:ty, $u:ty, $n:literal; $eq:ident $ne:ident $lts:ident $ltu:ident $gts:ident $gtu:ident
     $les:ident $leu:ident $ges:ident $geu:ident) => {
        binary! {
            $eq: $u, $u, $n => |a, b| mask!(a == b, $u);
            $ne: $u, $u, $n => |a, b| mask!(a != b, $u);
            $lts: $s, $s, $n => |a, b| mask!(a < b, $s);
            $ltu: $u, $u, $n => |a, b| mask!(a < b, $u);
            $gts: $s, $s, $n => |a, b| mask!(a > b, $s);
            $gtu: $u, $u, $n => |a, b| mask!(a > b, $u);
            $les: $s, $s, $n => |a, b| mask!(a <= b, $s);
            $leu: $u, $u, $n => |a, b| mask!(a <= b, $u);
            $ges: $s, $s, $n => |a, b| mask!(a >= b, $s);
            $geu: $u, $u, $n => |a, b| mask!(a >= b, $u);
        }
    };
}
int_compares!(i8, u8, 16; I8x16Eq I8x16Ne I8x16LtS I8x16LtU I8x16GtS I8x16GtU I8x16LeS I8x16LeU I8x16GeS I8x16GeU);
int_compares!(i16, u16, 8; I16x8Eq I16x8Ne I16x8LtS I16x8LtU I16x8GtS I16x8GtU I16x8LeS I16x8LeU I16x8GeS I16x8GeU);
int_compares!(i32, u32, 4; I32x4Eq I32x4Ne I32x4LtS I32x4LtU I32x4GtS I32x4GtU I32x4LeS I32x4LeU I32x4GeS I32x4GeU);

binary! {
    I64x2Eq: i64, i64, 2 => |a, b| mask!(a == b, i64);
    I64x2Ne: i64, i64, 2 => |a, b| mask!(a != b, i64);
    I64x2LtS: i64, i64, 2 => |a, b| mask!(a < b, i64);
    I64x2GtS: i64, i64, 2 => |a, b| mask!(a > b, i64);
    I64x2LeS: i64, i64, 2 => |a, b| mask!(a <= b, i64);
    I64x2GeS: i64, i64, 2 => |a, b| mask!(a >= b, i64);
    F32x4Eq: f32, i32, 4 => |a, b| mask!(a == b, i32);
    F32x4Ne: f32, i32, 4 => |a, b| mask!(a != b, i32);
    F32x4Lt: f32, i32, 4 => |a, b| mask!(a < b, i32);
    F32x4Gt: f32, i32, 4 => |a, b| mask!(a > b, i32);
    F32x4Le: f32, i32, 4 => |a, b| mask!(a <= b, i32);
    F32x4Ge: f32, i32, 4 => |a, b| mask!(a >= b, i32);
    F64x2Eq: f64, i64, 2 => |a, b| mask!(a == b, i64);
    F64x2Ne: f64, i64, 2 => |a, b| mask!(a != b, i64);
    F64x2Lt: f64, i64, 2 => |a, b| mask!(a < b, i64);
    F64x2Gt: f64, i64, 2 => |a, b| mask!(a > b, i64);
    F64x2Le: f64, i64, 2 => |a, b| mask!(a <= b, i64);
    F64x2Ge: f64, i64, 2 => |a, b| mask!(a >= b, i64);

    I8x16Add: u8, u8, 16 => |a, b| a.wrapping_add(b);
    I8x16AddSatS: i8, i8, 16 => |a, b| a.saturating_add(b);
    I8x16AddSatU: u8, u8, 16 => |a, b| a.saturating_add(b);
    I8x16Sub: u8, u8, 16 => |a, b| a.wrapping_sub(b);
    I8x16SubSatS: i8, i8, 16 => |a, b| a.saturating_sub(b);
    I8x16SubSatU: u8, u8, 16 => |a, b| a.saturating_sub(b);
    I8x16MinS: i8, i8, 16 => |a, b| a.min(b);
    I8x16MinU: u8, u8, 16 => |a, b| a.min(b);
    I8x16MaxS: i8, i8, 16 => |a, b| a.max(b);
    I8x16MaxU: u8, u8, 16 => |a, b| a.max(b);
    I8x16AvgrU: u8, u8, 16 => |a, b| ((a as u16 + b as u16 + 1) >> 1) as u8;

    I16x8Add: u16, u16, 8 => |a, b| a.wrapping_add(b);
    I16x8AddSatS: i16, i16, 8 => |a, b| a.saturating_add(b);
    I16x8AddSatU: u16, u16, 8 => |a, b| a.saturating_add(b);
    I16x8Sub: u16, u16, 8 => |a, b| a.wrapping_sub(b);
    I16x8SubSatS: i16, i16, 8 => |a, b| a.saturating_sub(b);
    I16x8SubSatU: u16, u16, 8 => |a, b| a.saturating_sub(b);
    I16x8Mul: u16, u16, 8 => |a, b| a.wrapping_mul(b);
    I16x8MinS: i16, i16, 8 => |a, b| a.min(b);
    I16x8MinU: u16, u16, 8 => |a, b| a.min(b);
    I16x8MaxS: i16, i16, 8 => |a, b| a.max(b);
    I16x8MaxU: u16, u16, 8 => |a, b| a.max(b);
    I16x8AvgrU: u16, u16, 8 => |a, b| ((a as u32 + b as u32 + 1) >> 1) as u16;
    I16x8Q15mulrSatS: i16, i16, 8 => |a, b| q15mulr(a, b);
    // Relaxed: the result of `i16x8.q15mulr_sat_s`.
    I16x8RelaxedQ15mulrS: i16, i16, 8 => |a, b| q15mulr(a, b);

    I32x4Add: u32, u32, 4 => |a, b| a.wrapping_add(b);
    I32x4Sub: u32, u32, 4 => |a, b| a.wrapping_sub(b);
    I32x4Mul: u32, u32, 4 => |a, b| a.wrapping_mul(b);
    I32x4MinS: i32, i32, 4 => |a, b| a.min(b);
    I32x4MinU: u32, u32, 4 => |a, b| a.min(b);
    I32x4MaxS: i32, i32, 4 => |a, b| a.max(b);
    I32x4MaxU: u32, u32, 4 => |a, b| a.max(b);

    I64x2Add: u64, u64, 2 => |a, b| a.wrapping_add(b);
    I64x2Sub: u64, u64, 2 => |a, b| a.wrapping_sub(b);
    I64x2Mul: u64, u64, 2 => |a, b| a.wrapping_mul(b);

    F32x4Add: f32, f32, 4 => |a, b| a + b;
    F32x4Sub: f32, f32, 4 => |a, b| a - b;
    F32x4Mul: f32, f32, 4 => |a, b| a * b;
    F32x4Div: f32, f32, 4 => |a, b| a / b;
    F32x4Min: f32, f32, 4 => |a, b| fmin32(a, b);
    F32x4Max: f32, f32, 4 => |a, b| fmax32(a, b);
    F32x4Pmin: f32, f32, 4 => |a, b| if b < a { b } else { a };
    F32x4Pmax: f32, f32, 4 => |a, b| if a < b { b } else { a };
    // Relaxed: the results of `f32x4.min` and `f32x4.max`.
    F32x4RelaxedMin: f32, f32, 4 => |a, b| fmin32(a, b);
    F32x4RelaxedMax: f32, f32, 4 => |a, b| fmax32(a, b);
    F64x2Add: f64, f64, 2 => |a, b| a + b;
    F64x2Sub: f64, f64, 2 => |a, b| a - b;
    F64x2Mul: f64, f64, 2 => |a, b| a * b;
    F64x2Div: f64, f64, 2 => |a, b| a / b;
    F64x2Min: f64, f64, 2 => |a, b| fmin64(a, b);
    F64x2Max: f64, f64, 2 => |a, b| fmax64(a, b);
    F64x2Pmin: f64, f64, 2 => |a, b| if b < a { b } else { a };
    F64x2Pmax: f64, f64, 2 => |a, b| if a < b { b } else { a };
    F64x2RelaxedMin: f64, f64, 2 => |a, b| fmin64(a, b);
    F64x2RelaxedMax: f64, f64, 2 => |a, b| fmax64(a, b);
}

#[inline(always)]
fn q15mulr(a: i16, b: i16) -> i16 {
    let p = (a as i32 * b as i32 + 0x4000) >> 15;
    p.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

#[inline(always)]
pub fn V128And(x: V128, y: V128) -> V128 {
    zip::<u64, u64, 2>(x, y, |a, b| a & b)
}
#[inline(always)]
pub fn V128Andnot(x: V128, y: V128) -> V128 {
    zip::<u64, u64, 2>(x, y, |a, b| a & !b)
}
#[inline(always)]
pub fn V128Or(x: V128, y: V128) -> V128 {
    zip::<u64, u64, 2>(x, y, |a, b| a | b)
}
#[inline(always)]
pub fn V128Xor(x: V128, y: V128) -> V128 {
    zip::<u64, u64, 2>(x, y, |a, b| a ^ b)
}

/// Byte `i` is byte `b[i]` of `a`, or 0 when `b[i] >= 16`.
#[inline(always)]
pub fn I8x16Swizzle(x: V128, y: V128) -> V128 {
    core::array::from_fn(|i| x.get(y[i] as usize).copied().unwrap_or(0))
}

/// Relaxed: the result of `i8x16.swizzle` (0 for every index out of range).
#[inline(always)]
pub fn I8x16RelaxedSwizzle(x: V128, y: V128) -> V128 {
    I8x16Swizzle(x, y)
}

/// `a`'s lanes then `b`'s, each narrowed with saturation.
macro_rules! narrow {
    ($name:ident, $from:ty, $to:ty, $n:literal) => {
        #[inline(always)]
        pub fn $name(x: V128, y: V128) -> V128 {
            let (a, b) = (split::<$from, $n>(x), split::<$from, $n>(y));
            join::<$to, { 2 * $n }>(core::array::from_fn(|i| {
                let v = if i < $n { a[i] } else { b[i - $n] };
                v.clamp(<$to>::MIN as $from, <$to>::MAX as $from) as $to
            }))
        }
    };
}
narrow!(I8x16NarrowI16x8S, i16, i8, 8);
narrow!(I8x16NarrowI16x8U, i16, u8, 8);
narrow!(I16x8NarrowI32x4S, i32, i16, 4);
narrow!(I16x8NarrowI32x4U, i32, u16, 4);

/// Products of the low or high halves' lanes, widened.
macro_rules! extmul {
    ($name:ident, $from:ty, $to:ty, $n:literal, $half:literal) => {
        #[inline(always)]
        pub fn $name(x: V128, y: V128) -> V128 {
            let (a, b) = (split::<$from, { 2 * $n }>(x), split::<$from, { 2 * $n }>(y));
            join::<$to, $n>(core::array::from_fn(|i| {
                (a[i + $half * $n] as $to).wrapping_mul(b[i + $half * $n] as $to)
            }))
        }
    };
}
extmul!(I16x8ExtmulLowI8x16S, i8, i16, 8, 0);
extmul!(I16x8ExtmulHighI8x16S, i8, i16, 8, 1);
extmul!(I16x8ExtmulLowI8x16U, u8, u16, 8, 0);
extmul!(I16x8ExtmulHighI8x16U, u8, u16, 8, 1);
extmul!(I32x4ExtmulLowI16x8S, i16, i32, 4, 0);
extmul!(I32x4ExtmulHighI16x8S, i16, i32, 4, 1);
extmul!(I32x4ExtmulLowI16x8U, u16, u32, 4, 0);
extmul!(I32x4ExtmulHighI16x8U, u16, u32, 4, 1);
extmul!(I64x2ExtmulLowI32x4S, i32, i64, 2, 0);
extmul!(I64x2ExtmulHighI32x4S, i32, i64, 2, 1);
extmul!(I64x2ExtmulLowI32x4U, u32, u64, 2, 0);
extmul!(I64x2ExtmulHighI32x4U, u32, u64, 2, 1);

#[inline(always)]
pub fn I32x4DotI16x8S(x: V128, y: V128) -> V128 {
    let (a, b) = (split::<i16, 8>(x), split::<i16, 8>(y));
    join::<i32, 4>(core::array::from_fn(|i| {
        (a[2 * i] as i32 * b[2 * i] as i32).wrapping_add(a[2 * i + 1] as i32 * b[2 * i + 1] as i32)
    }))
}

/// Relaxed: `b`'s bytes are taken as signed, and each pair's sum saturates to 16 bits (the
/// deterministic profile's choice).
#[inline(always)]
pub fn I16x8RelaxedDotI8x16I7x16S(x: V128, y: V128) -> V128 {
    let (a, b) = (split::<i8, 16>(x), split::<i8, 16>(y));
    join::<i16, 8>(core::array::from_fn(|i| {
        let p = a[2 * i] as i16 * b[2 * i] as i16;
        p.saturating_add(a[2 * i + 1] as i16 * b[2 * i + 1] as i16)
    }))
}

/// Relaxed: as the spec defines it, `i16x8.relaxed_dot_i8x16_i7x16_s` (with its choices),
/// then pairwise widening adds, then `+ c` (wrapping).
#[inline(always)]
pub fn I32x4RelaxedDotI8x16I7x16AddS(x: V128, y: V128, z: V128) -> V128 {
    let d = split::<i16, 8>(I16x8RelaxedDotI8x16I7x16S(x, y));
    let c = split::<i32, 4>(z);
    join::<i32, 4>(core::array::from_fn(|i| {
        (d[2 * i] as i32 + d[2 * i + 1] as i32).wrapping_add(c[i])
    }))
}

#[inline(always)]
pub fn V128Bitselect(a: V128, b: V128, c: V128) -> V128 {
    let (a, b, c) = (split::<u64, 2>(a), split::<u64, 2>(b), split::<u64, 2>(c));
    join::<u64, 2>(core::array::from_fn(|i| (a[i] & c[i]) | (b[i] & !c[i])))
}

/// Relaxed lane selects: the result of `v128.bitselect` (bit by bit).
#[inline(always)]
pub fn I8x16RelaxedLaneselect(a: V128, b: V128, c: V128) -> V128 {
    V128Bitselect(a, b, c)
}
#[inline(always)]
pub fn I16x8RelaxedLaneselect(a: V128, b: V128, c: V128) -> V128 {
    V128Bitselect(a, b, c)
}
#[inline(always)]
pub fn I32x4RelaxedLaneselect(a: V128, b: V128, c: V128) -> V128 {
    V128Bitselect(a, b, c)
}
#[inline(always)]
pub fn I64x2RelaxedLaneselect(a: V128, b: V128, c: V128) -> V128 {
    V128Bitselect(a, b, c)
}

/// Relaxed multiply-adds: not fused (`a * b` rounded, then `+ c` rounded), as the scalar
/// operators compute it.
macro_rules! madd {
    ($name:ident, $t:ty, $n:literal, $negate:literal) => {
        #[inline(always)]
        pub fn $name(x: V128, y: V128, z: V128) -> V128 {
            let (a, b, c) = (split::<$t, $n>(x), split::<$t, $n>(y), split::<$t, $n>(z));
            join::<$t, $n>(core::array::from_fn(|i| {
                let p = a[i] * b[i];
                (if $negate { -p } else { p }) + c[i]
            }))
        }
    };
}
madd!(F32x4RelaxedMadd, f32, 4, false);
madd!(F32x4RelaxedNmadd, f32, 4, true);
madd!(F64x2RelaxedMadd, f64, 2, false);
madd!(F64x2RelaxedNmadd, f64, 2, true);

#[inline(always)]
pub fn V128Not(x: V128) -> V128 {
    map::<u64, u64, 2>(x, |a| !a)
}

unary! {
    I8x16Abs: i8, i8, 16 => |a| a.wrapping_abs();
    I8x16Neg: i8, i8, 16 => |a| a.wrapping_neg();
    I8x16Popcnt: u8, u8, 16 => |a| a.count_ones() as u8;
    I16x8Abs: i16, i16, 8 => |a| a.wrapping_abs();
    I16x8Neg: i16, i16, 8 => |a| a.wrapping_neg();
    I32x4Abs: i32, i32, 4 => |a| a.wrapping_abs();
    I32x4Neg: i32, i32, 4 => |a| a.wrapping_neg();
    I64x2Abs: i64, i64, 2 => |a| a.wrapping_abs();
    I64x2Neg: i64, i64, 2 => |a| a.wrapping_neg();
    F32x4Abs: u32, u32, 4 => |a| a & 0x7fff_ffff;
    F32x4Neg: u32, u32, 4 => |a| a ^ 0x8000_0000;
    F64x2Abs: u64, u64, 2 => |a| a & 0x7fff_ffff_ffff_ffff;
    F64x2Neg: u64, u64, 2 => |a| a ^ 0x8000_0000_0000_0000;
    F32x4CanonNan: u32, u32, 4 => |a| if f32::from_bits(a).is_nan() { 0x7fc0_0000 } else { a };
    F64x2CanonNan: u64, u64, 2 => |a| if f64::from_bits(a).is_nan() { 0x7ff8_0000_0000_0000 } else { a };
    F32x4Sqrt: f32, f32, 4 => |a| a.sqrt();
    F64x2Sqrt: f64, f64, 2 => |a| a.sqrt();
    F32x4Ceil: f32, f32, 4 => |a| quiet32(num::ceil32(a));
    F32x4Floor: f32, f32, 4 => |a| quiet32(num::floor32(a));
    F32x4Trunc: f32, f32, 4 => |a| quiet32(num::trunc32(a));
    F32x4Nearest: f32, f32, 4 => |a| quiet32(num::nearest32(a));
    F64x2Ceil: f64, f64, 2 => |a| quiet64(num::ceil64(a));
    F64x2Floor: f64, f64, 2 => |a| quiet64(num::floor64(a));
    F64x2Trunc: f64, f64, 2 => |a| quiet64(num::trunc64(a));
    F64x2Nearest: f64, f64, 2 => |a| quiet64(num::nearest64(a));
    // `as` saturates and takes NaN to 0: the `trunc_sat` semantics.
    I32x4TruncSatF32x4S: f32, i32, 4 => |a| a as i32;
    I32x4TruncSatF32x4U: f32, u32, 4 => |a| a as u32;
    // Relaxed: the results of the saturating conversions.
    I32x4RelaxedTruncF32x4S: f32, i32, 4 => |a| a as i32;
    I32x4RelaxedTruncF32x4U: f32, u32, 4 => |a| a as u32;
    F32x4ConvertI32x4S: i32, f32, 4 => |a| a as f32;
    F32x4ConvertI32x4U: u32, f32, 4 => |a| a as f32;
}

/// The low `M` lanes of `x` through `f`, as the `M` lanes of the result; when `zero_high`,
/// the result's other lanes (the result has `N` of them) are zero.
#[inline(always)]
fn low_lanes<T: Lane, U: Lane, const M: usize, const N: usize>(
    x: V128,
    f: impl Fn(T) -> U,
) -> V128 {
    let a = split::<T, M>(x);
    let mut b = [0u8; 16];
    for (i, v) in a.into_iter().take(N).enumerate() {
        f(v).put(&mut b, i);
    }
    b
}

#[inline(always)]
pub fn F32x4DemoteF64x2Zero(x: V128) -> V128 {
    low_lanes::<f64, f32, 2, 2>(x, |a| a as f32)
}
#[inline(always)]
pub fn F64x2PromoteLowF32x4(x: V128) -> V128 {
    low_lanes::<f32, f64, 4, 2>(x, |a| a as f64)
}
#[inline(always)]
pub fn I32x4TruncSatF64x2SZero(x: V128) -> V128 {
    low_lanes::<f64, i32, 2, 2>(x, |a| a as i32)
}
#[inline(always)]
pub fn I32x4TruncSatF64x2UZero(x: V128) -> V128 {
    low_lanes::<f64, u32, 2, 2>(x, |a| a as u32)
}
/// Relaxed: the result of `i32x4.trunc_sat_f64x2_s_zero`.
#[inline(always)]
pub fn I32x4RelaxedTruncF64x2SZero(x: V128) -> V128 {
    I32x4TruncSatF64x2SZero(x)
}
/// Relaxed: the result of `i32x4.trunc_sat_f64x2_u_zero`.
#[inline(always)]
pub fn I32x4RelaxedTruncF64x2UZero(x: V128) -> V128 {
    I32x4TruncSatF64x2UZero(x)
}
#[inline(always)]
pub fn F64x2ConvertLowI32x4S(x: V128) -> V128 {
    low_lanes::<i32, f64, 4, 2>(x, |a| a as f64)
}
#[inline(always)]
pub fn F64x2ConvertLowI32x4U(x: V128) -> V128 {
    low_lanes::<u32, f64, 4, 2>(x, |a| a as f64)
}

/// Lanes of the low or high half, widened (`$half` 0 or 1).
macro_rules! extend {
    ($name:ident, $from:ty, $to:ty, $n:literal, $half:literal) => {
        #[inline(always)]
        pub fn $name(x: V128) -> V128 {
            let a = split::<$from, { 2 * $n }>(x);
            join::<$to, $n>(core::array::from_fn(|i| a[i + $half * $n] as $to))
        }
    };
}
extend!(I16x8ExtendLowI8x16S, i8, i16, 8, 0);
extend!(I16x8ExtendHighI8x16S, i8, i16, 8, 1);
extend!(I16x8ExtendLowI8x16U, u8, u16, 8, 0);
extend!(I16x8ExtendHighI8x16U, u8, u16, 8, 1);
extend!(I32x4ExtendLowI16x8S, i16, i32, 4, 0);
extend!(I32x4ExtendHighI16x8S, i16, i32, 4, 1);
extend!(I32x4ExtendLowI16x8U, u16, u32, 4, 0);
extend!(I32x4ExtendHighI16x8U, u16, u32, 4, 1);
extend!(I64x2ExtendLowI32x4S, i32, i64, 2, 0);
extend!(I64x2ExtendHighI32x4S, i32, i64, 2, 1);
extend!(I64x2ExtendLowI32x4U, u32, u64, 2, 0);
extend!(I64x2ExtendHighI32x4U, u32, u64, 2, 1);

/// Sums of adjacent lane pairs, widened.
macro_rules! extadd {
    ($name:ident, $from:ty, $to:ty, $n:literal) => {
        #[inline(always)]
        pub fn $name(x: V128) -> V128 {
            let a = split::<$from, { 2 * $n }>(x);
            join::<$to, $n>(core::array::from_fn(|i| {
                a[2 * i] as $to + a[2 * i + 1] as $to
            }))
        }
    };
}
extadd!(I16x8ExtaddPairwiseI8x16S, i8, i16, 8);
extadd!(I16x8ExtaddPairwiseI8x16U, u8, u16, 8);
extadd!(I32x4ExtaddPairwiseI16x8S, i16, i32, 4);
extadd!(I32x4ExtaddPairwiseI16x8U, u16, u32, 4);

/// Shifts by `s` modulo the lane width.
macro_rules! shift {
    ($($name:ident: $t:ty, $n:literal, $op:ident;)*) => { $(
        #[inline(always)]
        pub fn $name(x: V128, s: u32) -> V128 {
            map::<$t, $t, $n>(x, |a| a.$op(s))
        }
    )* };
}
shift! {
    I8x16Shl: u8, 16, wrapping_shl;
    I8x16ShrS: i8, 16, wrapping_shr;
    I8x16ShrU: u8, 16, wrapping_shr;
    I16x8Shl: u16, 8, wrapping_shl;
    I16x8ShrS: i16, 8, wrapping_shr;
    I16x8ShrU: u16, 8, wrapping_shr;
    I32x4Shl: u32, 4, wrapping_shl;
    I32x4ShrS: i32, 4, wrapping_shr;
    I32x4ShrU: u32, 4, wrapping_shr;
    I64x2Shl: u64, 2, wrapping_shl;
    I64x2ShrS: i64, 2, wrapping_shr;
    I64x2ShrU: u64, 2, wrapping_shr;
}

/// Splats of the low bits of a scalar register.
macro_rules! splat {
    ($($name:ident: $t:ty, $n:literal;)*) => { $(
        #[inline(always)]
        pub fn $name(v: u64) -> V128 {
            join::<$t, $n>([v as $t; $n])
        }
    )* };
}
splat! {
    I8x16Splat: u8, 16;
    I16x8Splat: u16, 8;
    I32x4Splat: u32, 4;
    I64x2Splat: u64, 2;
}
#[inline(always)]
pub fn F32x4Splat(v: u64) -> V128 {
    I32x4Splat(v)
}
#[inline(always)]
pub fn F64x2Splat(v: u64) -> V128 {
    I64x2Splat(v)
}

#[inline(always)]
pub fn V128AnyTrue(x: V128) -> u32 {
    let l = split::<u64, 2>(x);
    (l[0] | l[1] != 0) as u32
}

/// `all_true` and `bitmask` of one lane shape.
macro_rules! tests {
    ($($all:ident $bitmask:ident: $t:ty, $n:literal;)*) => { $(
        #[inline(always)]
        pub fn $all(x: V128) -> u32 {
            split::<$t, $n>(x).iter().all(|l| *l != 0) as u32
        }
        #[inline(always)]
        pub fn $bitmask(x: V128) -> u32 {
            split::<$t, $n>(x)
                .iter()
                .enumerate()
                .fold(0, |m, (i, l)| m | (((*l < 0) as u32) << i))
        }
    )* };
}
tests! {
    I8x16AllTrue I8x16Bitmask: i8, 16;
    I16x8AllTrue I16x8Bitmask: i16, 8;
    I32x4AllTrue I32x4Bitmask: i32, 4;
    I64x2AllTrue I64x2Bitmask: i64, 2;
}

/// Lane extraction to a register value (i32 results zero-extended, as in registers).
macro_rules! extract {
    ($($name:ident: $t:ty, $n:literal => |$a:ident| $e:expr;)*) => { $(
        #[inline(always)]
        pub fn $name(x: V128, lane: u8) -> u64 {
            let $a = split::<$t, $n>(x)[lane as usize % $n];
            $e
        }
    )* };
}
extract! {
    I8x16ExtractLaneS: i8, 16 => |a| a as i32 as u32 as u64;
    I8x16ExtractLaneU: u8, 16 => |a| a as u64;
    I16x8ExtractLaneS: i16, 8 => |a| a as i32 as u32 as u64;
    I16x8ExtractLaneU: u16, 8 => |a| a as u64;
    I32x4ExtractLane: u32, 4 => |a| a as u64;
    I64x2ExtractLane: u64, 2 => |a| a;
    F32x4ExtractLane: u32, 4 => |a| a as u64;
    F64x2ExtractLane: u64, 2 => |a| a;
}

/// Lane replacement by the low bits of a register value.
macro_rules! replace {
    ($($name:ident: $t:ty, $n:literal;)*) => { $(
        #[inline(always)]
        pub fn $name(x: V128, v: u64, lane: u8) -> V128 {
            let mut l = split::<$t, $n>(x);
            l[lane as usize % $n] = v as $t;
            join::<$t, $n>(l)
        }
    )* };
}
replace! {
    I8x16ReplaceLane: u8, 16;
    I16x8ReplaceLane: u16, 8;
    I32x4ReplaceLane: u32, 4;
    I64x2ReplaceLane: u64, 2;
    F32x4ReplaceLane: u32, 4;
    F64x2ReplaceLane: u64, 2;
}

/// `i8x16.shuffle` with the 16 lane indices (each below 32) packed little-endian in
/// `lo`/`hi`.
#[inline(always)]
pub fn shuffle(x: V128, y: V128, lo: u64, hi: u64) -> V128 {
    let idx = join::<u64, 2>([lo, hi]);
    core::array::from_fn(|i| {
        let k = idx[i] as usize & 31;
        if k < 16 {
            x[k]
        } else {
            y[k - 16]
        }
    })
}

/// How many bytes a `v128` load of kind `kind` reads.
#[inline(always)]
pub fn load_width(kind: u8) -> usize {
    use VLoadKind::*;
    match VLoadKind::from_u8(kind) {
        Some(V128Load) => 16,
        Some(V128Load8Splat) => 1,
        Some(V128Load16Splat) => 2,
        Some(V128Load32Splat | V128Load32Zero) => 4,
        _ => 8,
    }
}

/// The `v128` a load of kind `kind` makes of the bytes it read (`raw`, zero-extended).
#[inline(always)]
pub fn load_value(kind: u8, raw: V128) -> V128 {
    use VLoadKind::*;
    let Some(kind) = VLoadKind::from_u8(kind) else {
        return raw;
    };
    match kind {
        V128Load | V128Load32Zero | V128Load64Zero => raw,
        V128Load8x8S => I16x8ExtendLowI8x16S(raw),
        V128Load8x8U => I16x8ExtendLowI8x16U(raw),
        V128Load16x4S => I32x4ExtendLowI16x8S(raw),
        V128Load16x4U => I32x4ExtendLowI16x8U(raw),
        V128Load32x2S => I64x2ExtendLowI32x4S(raw),
        V128Load32x2U => I64x2ExtendLowI32x4U(raw),
        V128Load8Splat => I8x16Splat(split::<u64, 2>(raw)[0]),
        V128Load16Splat => I16x8Splat(split::<u64, 2>(raw)[0]),
        V128Load32Splat => I32x4Splat(split::<u64, 2>(raw)[0]),
        V128Load64Splat => I64x2Splat(split::<u64, 2>(raw)[0]),
    }
}

/// `x` with its lane `lane` of `width` bytes set to the low bytes of `v`.
#[inline(always)]
pub fn set_lane(x: V128, width: u8, lane: u8, v: u64) -> V128 {
    match width {
        1 => I8x16ReplaceLane(x, v, lane),
        2 => I16x8ReplaceLane(x, v, lane),
        4 => I32x4ReplaceLane(x, v, lane),
        _ => I64x2ReplaceLane(x, v, lane),
    }
}

/// Lane `lane` of `width` bytes of `x`, zero-extended.
#[inline(always)]
pub fn get_lane(x: V128, width: u8, lane: u8) -> u64 {
    match width {
        1 => I8x16ExtractLaneU(x, lane),
        2 => I16x8ExtractLaneU(x, lane),
        4 => I32x4ExtractLane(x, lane),
        _ => I64x2ExtractLane(x, lane),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i32x4(l: [i32; 4]) -> V128 {
        join::<i32, 4>(l)
    }

    #[test]
    fn lanes_are_little_endian_and_lane_wise() {
        let a = i32x4([1, -2, 3, i32::MAX]);
        let b = i32x4([10, 20, -30, 1]);
        assert_eq!(I32x4Add(a, b), i32x4([11, 18, -27, i32::MIN]));
        assert_eq!(I32x4LtS(a, b), i32x4([-1, -1, 0, 0]));
        assert_eq!(I32x4ExtractLane(a, 1), (-2i32) as u32 as u64);
        assert_eq!(I32x4ReplaceLane(a, 7, 3), i32x4([1, -2, 3, 7]));
        assert_eq!(I32x4Bitmask(a), 0b0010);
        assert_eq!(I8x16Splat(0x1ff), [0xff; 16]);
    }

    #[test]
    fn narrowing_saturates_and_shuffles_pick_bytes() {
        let a = join::<i16, 8>([300, -300, 5, -5, 127, -128, 0, 1]);
        let n = I8x16NarrowI16x8S(a, [0; 16]);
        assert_eq!(&n[..8], &[127, 128, 5, 251, 127, 128, 0, 1]);
        let u = I8x16NarrowI16x8U(a, [0; 16]);
        assert_eq!(&u[..8], &[255, 0, 5, 0, 127, 0, 0, 1]);
        let x: V128 = core::array::from_fn(|i| i as u8);
        let y: V128 = core::array::from_fn(|i| 100 + i as u8);
        let lanes: [u8; 16] = core::array::from_fn(|i| 31 - i as u8);
        let packed = u128::from_le_bytes(lanes);
        let r = shuffle(x, y, packed as u64, (packed >> 64) as u64);
        assert_eq!(r[0], 115);
        assert_eq!(r[15], 100);
        assert_eq!(get_lane(x, 2, 3), 0x0706);
        assert_eq!(to_u128(set_lane([0; 16], 8, 1, 5)), 5u128 << 64);
        assert_eq!(to_u128(from_u128(7 << 70)), 7 << 70);
    }
}
