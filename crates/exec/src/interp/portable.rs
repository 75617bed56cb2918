//! The portable loop backend: one `match` over the instruction in a loop.
//!
//! Works on every target and in every build; the single indirect branch that picks each
//! handler is what makes it slower than the threaded backend on CPUs that predict branches
//! by their address.

use spindle_ir::{load, slot, store, BinOp, Opcode, UnOp, VLoadKind};

use super::code::{field, opcode_at};

use crate::simd;

use super::handlers::*;

/// Binds each named field of instruction `$name` at `$ip` to a local of the same name, and
/// sets `$wide` to whether the instruction is wide (a constant in each arm).
macro_rules! fields {
    ($ip:ident, $wide:ident, $name:ident { $($f:ident),* }) => {
        $( let $f = field($ip, slot::$name::AT.$f); )*
        $wide = const { slot::IS_WIDE[Opcode::$name as usize] };
    };
}

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
                let ip = s.ip;
                // SAFETY: `ip` points at an instruction of the current code (invariants of
                // `State`).
                let op = unsafe { opcode_at(ip) };
                let wide: bool;
                // SAFETY: as above; each arm reads the fields of the instruction it is for.
                let flow = unsafe { match op {
                    $( Opcode::$name => { fields!(ip, wide, $name { $($f),* }); if compiled!($($prop)?) {
                        $h(&mut s, cx, $($f),*)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$b => { fields!(ip, wide, $b { dst, a, b }); binary(&mut s, cx, BinOp::$b, dst, a, b)} )*
                    $( Opcode::$bi => { fields!(ip, wide, $bi { dst, a, imm }); binary_imm(&mut s, cx, BinOp::$bb, dst, a, imm)} )*
                    $( Opcode::$u => { fields!(ip, wide, $u { dst, src }); unary(&mut s, cx, UnOp::$u, dst, src)} )*
                    $( Opcode::$l => { fields!(ip, wide, $l { dst, addr, offset }); load(&mut s, cx, load::$l, dst, addr, offset)} )*
                    $( Opcode::$st => { fields!(ip, wide, $st { addr, value, offset }); store(&mut s, cx, store::$st, addr, value, offset)} )*
                    $( Opcode::$ba => { fields!(ip, wide, $ba { dst, b }); binary_acc(&mut s, cx, BinOp::$b, dst, b)} )*
                    $( Opcode::$bab => { fields!(ip, wide, $bab { dst, a }); binary_acc_b(&mut s, cx, BinOp::$b, dst, a)} )*
                    $( Opcode::$bia => { fields!(ip, wide, $bia { dst, imm }); binary_imm_acc(&mut s, cx, BinOp::$bb, dst, imm)} )*
                    $( Opcode::$ua => { fields!(ip, wide, $ua { dst }); unary_acc(&mut s, cx, UnOp::$u, dst)} )*
                    $( Opcode::$la => { fields!(ip, wide, $la { dst, offset }); load_acc(&mut s, cx, load::$l, dst, offset)} )*
                    $( Opcode::$sta => { fields!(ip, wide, $sta { addr, offset }); store_acc(&mut s, cx, store::$st, addr, offset)} )*
                    $( Opcode::$stb => { fields!(ip, wide, $stb { value, offset }); store_acc_addr(&mut s, cx, store::$st, value, offset)} )*
                    $( Opcode::$lw => { fields!(ip, wide, $lw { dst, addr, imm, offset }); load_add_imm(&mut s, cx, load::$l, dst, addr, imm, offset)} )*
                    $( Opcode::$stw => { fields!(ip, wide, $stw { addr, value, imm, offset }); store_add_imm(&mut s, cx, store::$st, addr, value, imm, offset)} )*
                    $( Opcode::$brr => { fields!(ip, wide, $brr { a, b, to }); br_cmp_regs(&mut s, BinOp::$cmp, a, b, to)} )*
                    $( Opcode::$bra => { fields!(ip, wide, $bra { b, to }); br_cmp_acc(&mut s, BinOp::$cmp, b, to)} )*
                    $( Opcode::$bri => { fields!(ip, wide, $bri { a, imm, to }); br_cmp_imm(&mut s, BinOp::$cmp, a, imm, to)} )*
                    $( Opcode::$bria => { fields!(ip, wide, $bria { imm, to }); br_cmp_imm_acc(&mut s, BinOp::$cmp, imm, to)} )*
                    $( Opcode::$vu => { fields!(ip, wide, $vu { dst, src }); if compiled!(Simd) {
                        v_unary(&mut s, simd::$vu, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vb => { fields!(ip, wide, $vb { dst, a, b }); if compiled!(Simd) {
                        v_binary(&mut s, simd::$vb, dst, a, b)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vt => { fields!(ip, wide, $vt { dst, a, b, c }); if compiled!(Simd) {
                        v_ternary(&mut s, simd::$vt, dst, a, b, c)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vs => { fields!(ip, wide, $vs { dst, a, b }); if compiled!(Simd) {
                        v_shift(&mut s, simd::$vs, dst, a, b)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vsp => { fields!(ip, wide, $vsp { dst, src }); if compiled!(Simd) {
                        v_splat(&mut s, simd::$vsp, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vte => { fields!(ip, wide, $vte { dst, src }); if compiled!(Simd) {
                        v_test(&mut s, simd::$vte, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vx => { fields!(ip, wide, $vx { dst, src, lane }); if compiled!(Simd) {
                        v_extract(&mut s, simd::$vx, dst, src, lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vr => { fields!(ip, wide, $vr { dst, a, b, lane }); if compiled!(Simd) {
                        v_replace(&mut s, simd::$vr, dst, a, b, lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                    $( Opcode::$vl => { fields!(ip, wide, $vl { dst, addr, imm, offset }); if compiled!(Simd) {
                        v_load(&mut s, cx, VLoadKind::$vl as u8, dst, addr, imm, offset)
                    } else {
                        not_compiled(&mut s, cx)
                    }} )*
                } };
                match flow {
                    Flow::Continue => {
                        // A wide instruction steps over its `Ext`.
                        if wide && s.ip == ip.wrapping_add(1) {
                            s.ip = ip.wrapping_add(2);
                        }
                    }
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
