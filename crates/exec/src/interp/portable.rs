//! The portable loop backend: one `match` over the instruction in a loop.
//!
//! Works on every target and in every build; the single indirect branch that picks each
//! handler is what makes it slower than the threaded backend on CPUs that predict branches
//! by their address.

use spindle_ir::{load, store, BinOp, Instr, UnOp, VLoadKind};

use crate::simd;

use super::handlers::*;

macro_rules! portable_loop {
    ([ $( $name:ident { $($f:ident),* } => $h:ident $([$prop:ident])?, )* ]
     binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
     unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }
     store { $($st:ident / $sta:ident / $stb:ident / $stw:ident)* }
     branch { $($cmp:ident / $brr:ident / $bra:ident / $bri:ident / $bria:ident)* }
     vunary { $($vu:ident)* } vbinary { $($vb:ident)* } vternary { $($vt:ident)* }
     vshift { $($vs:ident)* } vsplat { $($vsp:ident)* } vtest { $($vte:ident)* }
     vextract { $($vx:ident)* } vreplace { $($vr:ident)* } vload { $($vl:ident)* }) => {
        /// Runs handlers from `s` until one says to stop.
        pub(super) fn run(state: State, cx: &mut Ctx) {
            // A local of its own (the argument lives in the caller's memory), which the
            // optimiser keeps in registers: no code it does not inline sees its address
            // (see `on_a_copy!`).
            let mut s = state;
            loop {
                // SAFETY: `ip` points at an instruction of the current code (invariants of
                // `State`).
                let instr = unsafe { &(*s.ip).instr };
                let flow = match instr {
                    $( Instr::$name { $($f),* } => if compiled!($($prop)?) {
                        $h(&mut s, cx, $(*$f),*)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$b { dst, a, b } => binary(&mut s, cx, BinOp::$b, *dst, *a, *b), )*
                    $( Instr::$bi { dst, a, imm } =>
                        binary_imm(&mut s, cx, BinOp::$bb, *dst, *a, *imm), )*
                    $( Instr::$u { dst, src } => unary(&mut s, cx, UnOp::$u, *dst, *src), )*
                    $( Instr::$l { dst, addr, offset } =>
                        load(&mut s, cx, load::$l, *dst, *addr, *offset), )*
                    $( Instr::$st { addr, value, offset } =>
                        store(&mut s, cx, store::$st, *addr, *value, *offset), )*
                    $( Instr::$ba { dst, b } => binary_acc(&mut s, cx, BinOp::$b, *dst, *b), )*
                    $( Instr::$bab { dst, a } => binary_acc_b(&mut s, cx, BinOp::$b, *dst, *a), )*
                    $( Instr::$bia { dst, imm } =>
                        binary_imm_acc(&mut s, cx, BinOp::$bb, *dst, *imm), )*
                    $( Instr::$ua { dst } => unary_acc(&mut s, cx, UnOp::$u, *dst), )*
                    $( Instr::$la { dst, offset } => load_acc(&mut s, cx, load::$l, *dst, *offset), )*
                    $( Instr::$sta { addr, offset } =>
                        store_acc(&mut s, cx, store::$st, *addr, *offset), )*
                    $( Instr::$stb { value, offset } =>
                        store_acc_addr(&mut s, cx, store::$st, *value, *offset), )*
                    $( Instr::$lw { dst, addr, imm, offset } =>
                        load_add_imm(&mut s, cx, load::$l, *dst, *addr, *imm, *offset), )*
                    $( Instr::$stw { addr, value, imm, offset } =>
                        store_add_imm(&mut s, cx, store::$st, *addr, *value, *imm, *offset), )*
                    $( Instr::$brr { a, b, to } =>
                        br_cmp_regs(&mut s, BinOp::$cmp, *a, *b, *to), )*
                    $( Instr::$bra { b, to } => br_cmp_acc(&mut s, BinOp::$cmp, *b, *to), )*
                    $( Instr::$bri { a, imm, to } =>
                        br_cmp_imm(&mut s, BinOp::$cmp, *a, *imm, *to), )*
                    $( Instr::$bria { imm, to } =>
                        br_cmp_imm_acc(&mut s, BinOp::$cmp, *imm, *to), )*
                    $( Instr::$vu { dst, src } => if compiled!(Simd) {
                        v_unary(&mut s, simd::$vu, *dst, *src)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vb { dst, a, b } => if compiled!(Simd) {
                        v_binary(&mut s, simd::$vb, *dst, *a, *b)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vt { dst, a, b, c } => if compiled!(Simd) {
                        v_ternary(&mut s, simd::$vt, *dst, *a, *b, *c)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vs { dst, a, b } => if compiled!(Simd) {
                        v_shift(&mut s, simd::$vs, *dst, *a, *b)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vsp { dst, src } => if compiled!(Simd) {
                        v_splat(&mut s, simd::$vsp, *dst, *src)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vte { dst, src } => if compiled!(Simd) {
                        v_test(&mut s, simd::$vte, *dst, *src)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vx { dst, src, lane } => if compiled!(Simd) {
                        v_extract(&mut s, simd::$vx, *dst, *src, *lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vr { dst, a, b, lane } => if compiled!(Simd) {
                        v_replace(&mut s, simd::$vr, *dst, *a, *b, *lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                    $( Instr::$vl { dst, addr, imm, offset } => if compiled!(Simd) {
                        v_load(&mut s, cx, VLoadKind::$vl as u8, *dst, *addr, *imm, *offset)
                    } else {
                        not_compiled(&mut s, cx)
                    }, )*
                };
                match flow {
                    Flow::Continue => {}
                    Flow::Table => follow_table_entry(&mut s),
                    Flow::Exit => return,
                    Flow::Slow => {
                        if slow_path(&mut s, cx) == Flow::Exit {
                            return;
                        }
                    }
                }
            }
        }
    };
}

with_handlers!(portable_loop);
