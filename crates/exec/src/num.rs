#![forbid(unsafe_code)]
//! WebAssembly's numeric semantics on raw register bits.

use spindle_ir::{BinOp, TrapCode, UnOp};

type R = Result<u64, TrapCode>;

#[inline(always)]
fn i32v(x: u64) -> i32 {
    x as u32 as i32
}
#[inline(always)]
fn u32v(x: u64) -> u32 {
    x as u32
}
#[inline(always)]
fn f32v(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64v(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn from_i32(x: i32) -> u64 {
    x as u32 as u64
}
#[inline(always)]
fn from_u32(x: u32) -> u64 {
    x as u64
}
#[inline(always)]
fn from_f32(x: f32) -> u64 {
    x.to_bits() as u64
}
#[inline(always)]
fn from_f64(x: f64) -> u64 {
    x.to_bits()
}
#[inline(always)]
fn b(x: bool) -> u64 {
    x as u64
}

/// Rounding functions may pass a signalling NaN through unchanged; Wasm requires the result
/// to be an arithmetic (quiet) NaN.
#[inline(always)]
pub(crate) fn quiet32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        x
    }
}

#[inline(always)]
pub(crate) fn quiet64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        x
    }
}

pub(crate) fn fmin32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        return f32::NAN;
    }
    if a == b {
        // min(-0, +0) is -0.
        return f32::from_bits(a.to_bits() | b.to_bits());
    }
    a.min(b)
}
pub(crate) fn fmax32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        return f32::NAN;
    }
    if a == b {
        return f32::from_bits(a.to_bits() & b.to_bits());
    }
    a.max(b)
}
pub(crate) fn fmin64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == b {
        return f64::from_bits(a.to_bits() | b.to_bits());
    }
    a.min(b)
}
pub(crate) fn fmax64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == b {
        return f64::from_bits(a.to_bits() & b.to_bits());
    }
    a.max(b)
}

/// `a op b`.
#[inline(always)]
pub fn binary(op: BinOp, x: u64, y: u64) -> R {
    use BinOp::*;
    Ok(match op {
        I32Eq => b(u32v(x) == u32v(y)),
        I32Ne => b(u32v(x) != u32v(y)),
        I32LtS => b(i32v(x) < i32v(y)),
        I32LtU => b(u32v(x) < u32v(y)),
        I32GtS => b(i32v(x) > i32v(y)),
        I32GtU => b(u32v(x) > u32v(y)),
        I32LeS => b(i32v(x) <= i32v(y)),
        I32LeU => b(u32v(x) <= u32v(y)),
        I32GeS => b(i32v(x) >= i32v(y)),
        I32GeU => b(u32v(x) >= u32v(y)),
        I64Eq => b(x == y),
        I64Ne => b(x != y),
        I64LtS => b((x as i64) < (y as i64)),
        I64LtU => b(x < y),
        I64GtS => b((x as i64) > (y as i64)),
        I64GtU => b(x > y),
        I64LeS => b((x as i64) <= (y as i64)),
        I64LeU => b(x <= y),
        I64GeS => b((x as i64) >= (y as i64)),
        I64GeU => b(x >= y),
        F32Eq => b(f32v(x) == f32v(y)),
        F32Ne => b(f32v(x) != f32v(y)),
        F32Lt => b(f32v(x) < f32v(y)),
        F32Gt => b(f32v(x) > f32v(y)),
        F32Le => b(f32v(x) <= f32v(y)),
        F32Ge => b(f32v(x) >= f32v(y)),
        F64Eq => b(f64v(x) == f64v(y)),
        F64Ne => b(f64v(x) != f64v(y)),
        F64Lt => b(f64v(x) < f64v(y)),
        F64Gt => b(f64v(x) > f64v(y)),
        F64Le => b(f64v(x) <= f64v(y)),
        F64Ge => b(f64v(x) >= f64v(y)),
        I32Add => from_u32(u32v(x).wrapping_add(u32v(y))),
        I32Sub => from_u32(u32v(x).wrapping_sub(u32v(y))),
        I32Mul => from_u32(u32v(x).wrapping_mul(u32v(y))),
        I32DivS => {
            let (a, c) = (i32v(x), i32v(y));
            if c == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            if a == i32::MIN && c == -1 {
                return Err(TrapCode::IntegerOverflow);
            }
            from_i32(a / c)
        }
        I32DivU => {
            let c = u32v(y);
            if c == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            from_u32(u32v(x) / c)
        }
        I32RemS => {
            let c = i32v(y);
            if c == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            from_i32(i32v(x).wrapping_rem(c))
        }
        I32RemU => {
            let c = u32v(y);
            if c == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            from_u32(u32v(x) % c)
        }
        I32And => from_u32(u32v(x) & u32v(y)),
        I32Or => from_u32(u32v(x) | u32v(y)),
        I32Xor => from_u32(u32v(x) ^ u32v(y)),
        I32Shl => from_u32(u32v(x).wrapping_shl(u32v(y))),
        I32ShrS => from_i32(i32v(x).wrapping_shr(u32v(y))),
        I32ShrU => from_u32(u32v(x).wrapping_shr(u32v(y))),
        I32Rotl => from_u32(u32v(x).rotate_left(u32v(y) & 31)),
        I32Rotr => from_u32(u32v(x).rotate_right(u32v(y) & 31)),
        I64Add => x.wrapping_add(y),
        I64Sub => x.wrapping_sub(y),
        I64Mul => x.wrapping_mul(y),
        I64DivS => {
            let (a, c) = (x as i64, y as i64);
            if c == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            if a == i64::MIN && c == -1 {
                return Err(TrapCode::IntegerOverflow);
            }
            (a / c) as u64
        }
        I64DivU => {
            if y == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            x / y
        }
        I64RemS => {
            if y == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            (x as i64).wrapping_rem(y as i64) as u64
        }
        I64RemU => {
            if y == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            x % y
        }
        I64And => x & y,
        I64Or => x | y,
        I64Xor => x ^ y,
        I64Shl => x.wrapping_shl(y as u32),
        I64ShrS => (x as i64).wrapping_shr(y as u32) as u64,
        I64ShrU => x.wrapping_shr(y as u32),
        I64Rotl => x.rotate_left((y & 63) as u32),
        I64Rotr => x.rotate_right((y & 63) as u32),
        F32Add => from_f32(f32v(x) + f32v(y)),
        F32Sub => from_f32(f32v(x) - f32v(y)),
        F32Mul => from_f32(f32v(x) * f32v(y)),
        F32Div => from_f32(f32v(x) / f32v(y)),
        F32Min => from_f32(fmin32(f32v(x), f32v(y))),
        F32Max => from_f32(fmax32(f32v(x), f32v(y))),
        F32Copysign => from_u32((u32v(x) & 0x7FFF_FFFF) | (u32v(y) & 0x8000_0000)),
        F64Add => from_f64(f64v(x) + f64v(y)),
        F64Sub => from_f64(f64v(x) - f64v(y)),
        F64Mul => from_f64(f64v(x) * f64v(y)),
        F64Div => from_f64(f64v(x) / f64v(y)),
        F64Min => from_f64(fmin64(f64v(x), f64v(y))),
        F64Max => from_f64(fmax64(f64v(x), f64v(y))),
        F64Copysign => (x & 0x7FFF_FFFF_FFFF_FFFF) | (y & 0x8000_0000_0000_0000),
    })
}

macro_rules! trunc {
    ($x:expr, $ty:ty, $lo:expr, $hi:expr) => {{
        let v = $x;
        if v.is_nan() {
            return Err(TrapCode::BadConversionToInteger);
        }
        // Valid iff lo < v < hi (both bounds exclusive, exactly representable).
        if !(v > $lo && v < $hi) {
            return Err(TrapCode::IntegerOverflow);
        }
        // `as` rounds toward zero itself (a call to `trunc` first, which the baseline x86-64
        // has no instruction for, made each of these handlers save seven registers).
        v as $ty
    }};
}

/// `op x`.
#[inline(always)]
pub fn unary(op: UnOp, x: u64) -> R {
    use UnOp::*;
    Ok(match op {
        // Deterministic mode's canonicalisation: any NaN becomes the positive quiet NaN.
        F32CanonNan => {
            if f32v(x).is_nan() {
                0x7fc0_0000
            } else {
                x
            }
        }
        F64CanonNan => {
            if f64v(x).is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                x
            }
        }
        I32Eqz => b(u32v(x) == 0),
        I64Eqz => b(x == 0),
        I32Clz => from_u32(u32v(x).leading_zeros()),
        I32Ctz => from_u32(u32v(x).trailing_zeros()),
        I32Popcnt => from_u32(u32v(x).count_ones()),
        I64Clz => x.leading_zeros() as u64,
        I64Ctz => x.trailing_zeros() as u64,
        I64Popcnt => x.count_ones() as u64,
        F32Abs => from_u32(u32v(x) & 0x7FFF_FFFF),
        F32Neg => from_u32(u32v(x) ^ 0x8000_0000),
        F32Ceil => from_f32(quiet32(ceil32(f32v(x)))),
        F32Floor => from_f32(quiet32(floor32(f32v(x)))),
        F32Trunc => from_f32(quiet32(trunc32(f32v(x)))),
        F32Nearest => from_f32(quiet32(nearest32(f32v(x)))),
        F32Sqrt => from_f32(f32v(x).sqrt()),
        F64Abs => x & 0x7FFF_FFFF_FFFF_FFFF,
        F64Neg => x ^ 0x8000_0000_0000_0000,
        F64Ceil => from_f64(quiet64(ceil64(f64v(x)))),
        F64Floor => from_f64(quiet64(floor64(f64v(x)))),
        F64Trunc => from_f64(quiet64(trunc64(f64v(x)))),
        F64Nearest => from_f64(quiet64(nearest64(f64v(x)))),
        F64Sqrt => from_f64(f64v(x).sqrt()),
        I32WrapI64 => from_u32(x as u32),
        I32TruncF32S => from_i32(trunc!(f32v(x), i32, -2147483904.0f32, 2147483648.0f32)),
        I32TruncF32U => from_u32(trunc!(f32v(x), u32, -1.0f32, 4294967296.0f32)),
        I32TruncF64S => from_i32(trunc!(f64v(x), i32, -2147483649.0f64, 2147483648.0f64)),
        I32TruncF64U => from_u32(trunc!(f64v(x), u32, -1.0f64, 4294967296.0f64)),
        I64ExtendI32S => i32v(x) as i64 as u64,
        I64ExtendI32U => u32v(x) as u64,
        I64TruncF32S => trunc!(
            f32v(x),
            i64,
            -9223373136366403584.0f32,
            9223372036854775808.0f32
        ) as u64,
        I64TruncF32U => trunc!(f32v(x), u64, -1.0f32, 18446744073709551616.0f32),
        I64TruncF64S => trunc!(
            f64v(x),
            i64,
            -9223372036854777856.0f64,
            9223372036854775808.0f64
        ) as u64,
        I64TruncF64U => trunc!(f64v(x), u64, -1.0f64, 18446744073709551616.0f64),
        F32ConvertI32S => from_f32(i32v(x) as f32),
        F32ConvertI32U => from_f32(u32v(x) as f32),
        F32ConvertI64S => from_f32(x as i64 as f32),
        F32ConvertI64U => from_f32(x as f32),
        F32DemoteF64 => from_f32(f64v(x) as f32),
        F64ConvertI32S => from_f64(i32v(x) as f64),
        F64ConvertI32U => from_f64(u32v(x) as f64),
        F64ConvertI64S => from_f64(x as i64 as f64),
        F64ConvertI64U => from_f64(x as f64),
        F64PromoteF32 => from_f64(f32v(x) as f64),
        I32ReinterpretF32 | F32ReinterpretI32 => from_u32(x as u32),
        I64ReinterpretF64 | F64ReinterpretI64 => x,
        I32Extend8S => from_i32(x as u8 as i8 as i32),
        I32Extend16S => from_i32(x as u16 as i16 as i32),
        I64Extend8S => x as u8 as i8 as i64 as u64,
        I64Extend16S => x as u16 as i16 as i64 as u64,
        I64Extend32S => x as u32 as i32 as i64 as u64,
        I32TruncSatF32S => from_i32(f32v(x) as i32),
        I32TruncSatF32U => from_u32(f32v(x) as u32),
        I32TruncSatF64S => from_i32(f64v(x) as i32),
        I32TruncSatF64U => from_u32(f64v(x) as u32),
        I64TruncSatF32S => f32v(x) as i64 as u64,
        I64TruncSatF32U => f32v(x) as u64,
        I64TruncSatF64S => f64v(x) as i64 as u64,
        I64TruncSatF64U => f64v(x) as u64,
    })
}

/// The value of a `BinaryImm` immediate as an operand of `op` (sign-extended for 64-bit).
#[inline(always)]
pub fn imm_operand(imm: i32) -> u64 {
    imm as i64 as u64
}

/// Square roots where there is no std: core has no `sqrt`, so with this trait in scope the
/// same call (`x.sqrt()`) reaches `libm`'s (correctly rounded, as IEEE 754 and Wasm ask).
/// With std the inherent method is used (one instruction on x86-64 and aarch64).
#[cfg(not(feature = "std"))]
pub(crate) trait FloatMath {
    fn sqrt(self) -> Self;
}

#[cfg(not(feature = "std"))]
impl FloatMath for f32 {
    fn sqrt(self) -> f32 {
        libm::sqrtf(self)
    }
}

#[cfg(not(feature = "std"))]
impl FloatMath for f64 {
    fn sqrt(self) -> f64 {
        libm::sqrt(self)
    }
}

/// Defines Wasm's rounding operators (`trunc`, `floor`, `ceil`, `nearest`) for one float
/// type, inline and without calls. Baseline x86-64 has no rounding instruction, so std's
/// methods call libc's functions (and `libm`'s without std), and every handler of these
/// operators then saved registers around the call. A value of magnitude at least
/// `2^(mantissa bits)`, an infinity or a NaN is integral already and is returned as it is
/// (a NaN is then made quiet by the caller); below that bound the integer conversion is
/// exact, and the result takes the operand's sign (so `-0.5` gives `-0.0`, as IEEE 754 asks).
macro_rules! rounding {
    ($f:ty, $i:ty, $big:expr, $sign:expr, $abs:ident, $with_sign:ident,
     $integral:ident, $trunc:ident, $floor:ident, $ceil:ident, $nearest:ident) => {
        /// Whether `x` has no fraction bits: a magnitude of `$big` or more, an infinity or
        /// a NaN (compared as bits: those all have the larger exponents).
        #[inline(always)]
        fn $integral(x: $f) -> bool {
            x.to_bits() & !$sign >= $big.to_bits()
        }

        #[inline(always)]
        fn $abs(x: $f) -> $f {
            <$f>::from_bits(x.to_bits() & !$sign)
        }

        /// `r` with the sign of `x`.
        #[inline(always)]
        fn $with_sign(r: $f, x: $f) -> $f {
            <$f>::from_bits((r.to_bits() & !$sign) | (x.to_bits() & $sign))
        }

        /// Rounds toward zero.
        #[inline(always)]
        pub(crate) fn $trunc(x: $f) -> $f {
            if $integral(x) {
                return x;
            }
            $with_sign((x as $i) as $f, x)
        }

        /// Rounds toward negative infinity.
        #[inline(always)]
        pub(crate) fn $floor(x: $f) -> $f {
            if $integral(x) {
                return x;
            }
            let t = (x as $i) as $f;
            $with_sign(if t > x { t - 1.0 } else { t }, x)
        }

        /// Rounds toward positive infinity.
        #[inline(always)]
        pub(crate) fn $ceil(x: $f) -> $f {
            if $integral(x) {
                return x;
            }
            let t = (x as $i) as $f;
            $with_sign(if t < x { t + 1.0 } else { t }, x)
        }

        /// Rounds to the nearest integer, ties to even: adding `2^(mantissa bits)` leaves no
        /// fraction bits, so the addition itself rounds (to nearest, ties to even: the
        /// default rounding mode, which Rust never changes), and subtracting it back is exact.
        #[inline(always)]
        pub(crate) fn $nearest(x: $f) -> $f {
            if $integral(x) {
                return x;
            }
            $with_sign(($abs(x) + $big) - $big, x)
        }
    };
}
rounding!(
    f32,
    i32,
    8_388_608.0f32,
    0x8000_0000u32,
    abs32,
    with_sign32,
    integral32,
    trunc32,
    floor32,
    ceil32,
    nearest32
);
rounding!(
    f64,
    i64,
    4_503_599_627_370_496.0f64,
    0x8000_0000_0000_0000u64,
    abs64,
    with_sign64,
    integral64,
    trunc64,
    floor64,
    ceil64,
    nearest64
);

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// Bit patterns around every interesting place: zeros, halves, ties, the bounds where a
    /// float stops having fraction bits, the largest values, infinities and NaNs, plus a
    /// spread of pseudo-random ones.
    fn f64_cases() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370496.0,
            9007199254740993.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            1e-310,
            -1e-310,
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.push(f64::from_bits(x));
            // Magnitudes near the integers too, where random bit patterns rarely land.
            v.push(((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * (1u64 << (x % 60)) as f64);
        }
        v
    }

    fn same64(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn rounding_matches_ieee() {
        for x in f64_cases() {
            assert!(same64(trunc64(x), x.trunc()), "trunc {x:e}");
            assert!(same64(floor64(x), x.floor()), "floor {x:e}");
            assert!(same64(ceil64(x), x.ceil()), "ceil {x:e}");
            assert!(same64(nearest64(x), x.round_ties_even()), "nearest {x:e}");
            // Each f64 case also gives an f32 one (its low bits as a pattern, and its value).
            for y in [f32::from_bits(x.to_bits() as u32), x as f32] {
                let same =
                    |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                assert!(same(trunc32(y), y.trunc()), "trunc {y:e}");
                assert!(same(floor32(y), y.floor()), "floor {y:e}");
                assert!(same(ceil32(y), y.ceil()), "ceil {y:e}");
                assert!(same(nearest32(y), y.round_ties_even()), "nearest {y:e}");
            }
        }
    }
}
