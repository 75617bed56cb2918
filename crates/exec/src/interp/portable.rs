//! The portable loop backend: one `match` over the instruction in a loop.
//!
//! Works on every target and in every build; the single indirect branch that picks each
//! handler is what makes it slower than the threaded backend on CPUs that predict branches
//! by their address.

use spindle_ir::{load, slot, store, BinOp, Opcode, UnOp, VLoadKind};

use super::code::{handler_field, opcode_at};

use crate::simd;

use super::handlers::*;

/// Binds each named field of instruction `$name` at `$ip` to a local of the same name.
macro_rules! fields {
    ($ip:ident, $name:ident { $($f:ident),* }) => {
        $( let $f = handler_field!($name, $f, $ip); )*
    };
}

/// An arm's body. Unoptimised, in a closure of its own: the locals of all the arms would
/// otherwise share `run`'s frame (169 KB of it), which every re-entry from a host function
/// puts on the native stack. Optimised, the closure is inlined and nothing changes.
#[cfg(debug_assertions)]
macro_rules! outlined {
    ($($body:tt)*) => {{
        // The call is the point: a frame of its own.
        #[allow(clippy::redundant_closure_call)]
        let flow = (|| { $($body)* })();
        flow
    }};
}
#[cfg(not(debug_assertions))]
macro_rules! outlined {
    ($($body:tt)*) => {
        { $($body)* }
    };
}

/// A superinstruction's body, or the stand-in's when the `superinstructions` feature is
/// off (the translator then never emits one: see `compiled!`).
macro_rules! super_or_stand_in {
    ($s:ident, $cx:ident, $body:expr) => {
        if compiled!(Super) {
            $body
        } else {
            not_compiled(&mut $s, $cx)
        }
    };
}

macro_rules! portable_loop {
    ([ $( $name:ident { $($f:ident),* } => $h:ident $([$($prop:ident)&+])?, )* ]
     binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
     unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }
     store { $($st:ident / $sta:ident / $stb:ident / $stw:ident)* }
     branch { $($cmp:ident / $brr:ident / $bra:ident / $bri:ident / $bria:ident)* }
     vunary { $($vu:ident)* } vbinary { $($vb:ident)* } vternary { $($vt:ident)* }
     vshift { $($vs:ident)* } vsplat { $($vsp:ident)* } vtest { $($vte:ident)* }
     vextract { $($vx:ident)* } vreplace { $($vr:ident)* } vload { $($vl:ident)* }) => {
        /// Runs handlers from `s` until one says to stop.
        pub(super) fn run(state: State, cx: &mut Ctx) {
            // The state stays in memory (its address escapes), on purpose: held in registers,
            // each of its fields is a value merged at the loop's head, and LLVM then does not
            // copy the dispatch (the opcode's jump through the table) into the end of each
            // arm (it duplicates a block that merges values into at most 16 predecessors), so
            // every instruction would go through one shared, badly predicted jump. In
            // memory, the dispatch is copied into every arm: 2026-12-06, Intel Xeon, the
            // state in registers made the execution table 1.17x slower (geomean; `loop`
            // 1.79x, `sha256` 1.58x; `fib` 0.91x, `vm` 0.84x). Builds for size keep the one
            // shared dispatch, whatever LLVM does with the state (28 KB less code).
            let mut s = state;
            #[cfg(not(size_opt))]
            core::hint::black_box(&mut s);
            loop {
                let ip = s.ip;
                // SAFETY: `ip` points at an instruction of the current code (invariants of
                // `State`).
                let op = unsafe { opcode_at(ip) };
                #[cfg(spindle_op_profile)]
                super::op_profile::count(op);
                let wide: bool;
                // SAFETY: as above; each arm reads the fields of the instruction it is for.
                let flow = unsafe { match op {
                    $( Opcode::$name => { wide = const { slot::IS_WIDE[Opcode::$name as usize] }; outlined! { fields!(ip, $name { $($f),* }); if compiled!($($($prop)&+)?) {
                        $h(&mut s, cx, $($f),*)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$b => { wide = const { slot::IS_WIDE[Opcode::$b as usize] }; outlined! { fields!(ip, $b { dst, a, b }); binary(&mut s, cx, BinOp::$b, dst, a, b)}} )*
                    $( Opcode::$bi => { wide = const { slot::IS_WIDE[Opcode::$bi as usize] }; outlined! { fields!(ip, $bi { dst, a, imm }); super_or_stand_in!(s, cx, binary_imm(&mut s, cx, BinOp::$bb, dst, a, imm))}} )*
                    $( Opcode::$u => { wide = const { slot::IS_WIDE[Opcode::$u as usize] }; outlined! { fields!(ip, $u { dst, src }); unary(&mut s, cx, UnOp::$u, dst, src)}} )*
                    $( Opcode::$l => { wide = const { slot::IS_WIDE[Opcode::$l as usize] }; outlined! { fields!(ip, $l { dst, addr, offset }); load(&mut s, cx, load::$l, dst, addr, offset)}} )*
                    $( Opcode::$st => { wide = const { slot::IS_WIDE[Opcode::$st as usize] }; outlined! { fields!(ip, $st { addr, value, offset }); store(&mut s, cx, store::$st, addr, value, offset)}} )*
                    $( Opcode::$ba => { wide = const { slot::IS_WIDE[Opcode::$ba as usize] }; outlined! { fields!(ip, $ba { dst, b }); super_or_stand_in!(s, cx, binary_acc(&mut s, cx, BinOp::$b, dst, b))}} )*
                    $( Opcode::$bab => { wide = const { slot::IS_WIDE[Opcode::$bab as usize] }; outlined! { fields!(ip, $bab { dst, a }); super_or_stand_in!(s, cx, binary_acc_b(&mut s, cx, BinOp::$b, dst, a))}} )*
                    $( Opcode::$bia => { wide = const { slot::IS_WIDE[Opcode::$bia as usize] }; outlined! { fields!(ip, $bia { dst, imm }); super_or_stand_in!(s, cx, binary_imm_acc(&mut s, cx, BinOp::$bb, dst, imm))}} )*
                    $( Opcode::$ua => { wide = const { slot::IS_WIDE[Opcode::$ua as usize] }; outlined! { fields!(ip, $ua { dst }); super_or_stand_in!(s, cx, unary_acc(&mut s, cx, UnOp::$u, dst))}} )*
                    $( Opcode::$la => { wide = const { slot::IS_WIDE[Opcode::$la as usize] }; outlined! { fields!(ip, $la { dst, offset }); super_or_stand_in!(s, cx, load_acc(&mut s, cx, load::$l, dst, offset))}} )*
                    $( Opcode::$sta => { wide = const { slot::IS_WIDE[Opcode::$sta as usize] }; outlined! { fields!(ip, $sta { addr, offset }); super_or_stand_in!(s, cx, store_acc(&mut s, cx, store::$st, addr, offset))}} )*
                    $( Opcode::$stb => { wide = const { slot::IS_WIDE[Opcode::$stb as usize] }; outlined! { fields!(ip, $stb { value, offset }); super_or_stand_in!(s, cx, store_acc_addr(&mut s, cx, store::$st, value, offset))}} )*
                    $( Opcode::$lw => { wide = const { slot::IS_WIDE[Opcode::$lw as usize] }; outlined! { fields!(ip, $lw { dst, addr, imm, offset }); super_or_stand_in!(s, cx, load_add_imm(&mut s, cx, load::$l, dst, addr, imm, offset))}} )*
                    $( Opcode::$stw => { wide = const { slot::IS_WIDE[Opcode::$stw as usize] }; outlined! { fields!(ip, $stw { addr, value, imm, offset }); super_or_stand_in!(s, cx, store_add_imm(&mut s, cx, store::$st, addr, value, imm, offset))}} )*
                    $( Opcode::$brr => { wide = const { slot::IS_WIDE[Opcode::$brr as usize] }; outlined! { fields!(ip, $brr { a, b, to }); super_or_stand_in!(s, cx, br_cmp_regs(&mut s, BinOp::$cmp, a, b, to))}} )*
                    $( Opcode::$bra => { wide = const { slot::IS_WIDE[Opcode::$bra as usize] }; outlined! { fields!(ip, $bra { b, to }); super_or_stand_in!(s, cx, br_cmp_acc(&mut s, BinOp::$cmp, b, to))}} )*
                    $( Opcode::$bri => { wide = const { slot::IS_WIDE[Opcode::$bri as usize] }; outlined! { fields!(ip, $bri { a, imm, to }); super_or_stand_in!(s, cx, br_cmp_imm(&mut s, BinOp::$cmp, a, imm, to))}} )*
                    $( Opcode::$bria => { wide = const { slot::IS_WIDE[Opcode::$bria as usize] }; outlined! { fields!(ip, $bria { imm, to }); super_or_stand_in!(s, cx, br_cmp_imm_acc(&mut s, BinOp::$cmp, imm, to))}} )*
                    $( Opcode::$vu => { wide = const { slot::IS_WIDE[Opcode::$vu as usize] }; outlined! { fields!(ip, $vu { dst, src }); if simd_compiled!($vu) {
                        v_unary(&mut s, simd::$vu, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vb => { wide = const { slot::IS_WIDE[Opcode::$vb as usize] }; outlined! { fields!(ip, $vb { dst, a, b }); if simd_compiled!($vb) {
                        v_binary(&mut s, simd::$vb, dst, a, b)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vt => { wide = const { slot::IS_WIDE[Opcode::$vt as usize] }; outlined! { fields!(ip, $vt { dst, a, b, c }); if simd_compiled!($vt) {
                        v_ternary(&mut s, simd::$vt, dst, a, b, c)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vs => { wide = const { slot::IS_WIDE[Opcode::$vs as usize] }; outlined! { fields!(ip, $vs { dst, a, b }); if simd_compiled!($vs) {
                        v_shift(&mut s, simd::$vs, dst, a, b)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vsp => { wide = const { slot::IS_WIDE[Opcode::$vsp as usize] }; outlined! { fields!(ip, $vsp { dst, src }); if simd_compiled!($vsp) {
                        v_splat(&mut s, simd::$vsp, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vte => { wide = const { slot::IS_WIDE[Opcode::$vte as usize] }; outlined! { fields!(ip, $vte { dst, src }); if simd_compiled!($vte) {
                        v_test(&mut s, simd::$vte, dst, src)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vx => { wide = const { slot::IS_WIDE[Opcode::$vx as usize] }; outlined! { fields!(ip, $vx { dst, src, lane }); if simd_compiled!($vx) {
                        v_extract(&mut s, simd::$vx, dst, src, lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vr => { wide = const { slot::IS_WIDE[Opcode::$vr as usize] }; outlined! { fields!(ip, $vr { dst, a, b, lane }); if simd_compiled!($vr) {
                        v_replace(&mut s, simd::$vr, dst, a, b, lane)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                    $( Opcode::$vl => { wide = const { slot::IS_WIDE[Opcode::$vl as usize] }; outlined! { fields!(ip, $vl { dst, addr, imm, offset }); if simd_compiled!($vl) {
                        v_load(&mut s, cx, VLoadKind::$vl as u8, dst, addr, imm, offset)
                    } else {
                        not_compiled(&mut s, cx)
                    }}} )*
                } };
                match flow {
                    Flow::Continue => {
                        // A wide instruction steps over its `Ext`.
                        if wide && s.ip == ip.wrapping_add(1) {
                            s.ip = ip.wrapping_add(2);
                        }
                    }
                    Flow::Jumped => {}
                    Flow::Table => follow_table_entry(&mut s),
                    Flow::Exit => {
                        #[cfg(spindle_op_profile)]
                        super::op_profile::write();
                        return;
                    }
                    Flow::Slow => {
                        cx.slow_op = op;
                        if slow_path(&mut s, cx) == Flow::Exit {
                            #[cfg(spindle_op_profile)]
                            super::op_profile::write();
                            return;
                        }
                    }
                }
            }
        }
    };
}

with_handlers!(portable_loop);
