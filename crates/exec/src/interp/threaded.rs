//! The tail-call threaded backend: one function per instruction, each ending in a call to
//! the next instruction's handler, which the compiler emits as a jump (a sibling call: same
//! signature, nothing left to do after it). Every instruction site then has its own
//! indirect branch, which the CPU predicts from the instruction that came before.
//!
//! Stable Rust cannot demand the jump (`become` is unstable), so this backend is compiled
//! only where it is known to hold (x86_64 and aarch64 with optimisations on, i.e. without
//! `debug_assertions`), and [`available`] also checks, once, that a chain of calls through a
//! handler table does not grow the native stack before anything runs on it. The handlers
//! are written so that their last call is always in tail position (see `handlers.rs`).

use super::handlers::*;

#[cfg(all(
    feature = "threaded",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(debug_assertions)
))]
mod imp {
    use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    use spindle_ir::{load, store, BinOp, Dst, Opcode, UnOp, VLoadKind};

    use crate::simd;

    use super::*;

    use super::super::code::{handler_bits, handler_field};
    use super::super::Op;
    use spindle_ir::slot;

    /// A threaded-dispatch handler: the `State` fields and the context, as plain arguments
    /// so that they stay in machine registers from one handler to the next (six integer
    /// arguments: all in registers on x86_64 System V and aarch64).
    pub(in super::super) type Handler =
        unsafe fn(*const Op, *mut u64, *mut u8, usize, *mut Ctx, u64);

    /// The handler of the instruction at `ip`.
    #[inline(always)]
    fn handler_of(ip: *const Op) -> Handler {
        // SAFETY: `ip` points at an instruction (invariants of `State`) of code encoded for
        // this backend (`run` checks), whose head is the address of a `Handler`
        // (`ExecFunc::new`, with `handler_for`).
        unsafe { core::mem::transmute::<usize, Handler>(handler_bits(ip)) }
    }

    /// The address of an instruction's handler, which the encoder puts in its code slot's
    /// head (the table filled once, here, not at every instruction).
    ///
    /// A numeric instruction whose result goes to the accumulator only ([`Dst::ACC`]) gets
    /// its second handler, which skips the store.
    pub(in super::super) fn handler_for() -> impl Fn(Opcode, bool) -> usize {
        let table = handler_addresses();
        move |opcode, acc_only| {
            table[usize::from(acc_only)][opcode as usize].load(Ordering::Relaxed)
        }
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const UNSET: AtomicUsize = AtomicUsize::new(0);
    #[allow(clippy::declare_interior_mutable_const)]
    const UNSET_TABLE: [AtomicUsize; Opcode::COUNT] = [UNSET; Opcode::COUNT];
    /// Each opcode's ordinary handler address, then its accumulator-only one (`Trap`'s
    /// where it has none), as the encoder writes them (filled once, by `available`).
    static ADDRESSES: [[AtomicUsize; Opcode::COUNT]; 2] = [UNSET_TABLE; 2];

    /// [`ADDRESSES`], filled.
    fn handler_addresses() -> &'static [[AtomicUsize; Opcode::COUNT]; 2] {
        available();
        &ADDRESSES
    }

    /// The `dst` of a numeric instruction run by its ordinary handler: a register.
    #[inline(always)]
    fn register_dst(dst: Dst) -> Dst {
        // SAFETY: `handler_for` gives the ordinary handler only to instructions whose
        // `dst` is not `Dst::ACC`.
        unsafe { core::hint::assert_unchecked(dst != Dst::ACC) };
        dst
    }

    macro_rules! threaded_handlers {
        ([ $( $name:ident { $($f:ident),* } => $h:ident $([$($prop:ident)&+])?, )* ]
         binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
         unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }
         store { $($st:ident / $sta:ident / $stb:ident / $stw:ident)* }
         branch { $($cmp:ident / $brr:ident / $bra:ident / $bri:ident / $bria:ident)* }
     vunary { $($vu:ident)* } vbinary { $($vb:ident)* } vternary { $($vt:ident)* }
     vshift { $($vs:ident)* } vsplat { $($vsp:ident)* } vtest { $($vte:ident)* }
     vextract { $($vx:ident)* } vreplace { $($vr:ident)* } vload { $($vl:ident)* }) => {
            /// One handler per instruction, named after it.
            #[allow(non_snake_case)]
            mod op {
                use super::*;

                $( threaded_handler!($name { $($f),* } s cx => if compiled!($($($prop)&+)?) {
                    $h(&mut s, cx, $($f),*)
                } else {
                    crate::interp::handlers::not_compiled(&mut s, cx)
                }); )*
                threaded_results!(dst => register_dst(dst);
                    binary { $($b / $ba / $bab)* } imm { $($bi / $bia = $bb)* }
                    unary { $($u / $ua)* } load { $($l / $la / $lw)* });
                $( threaded_handler!($st { addr, value, offset } s cx =>
                    store(&mut s, cx, store::$st, addr, value, offset)); )*
                $( threaded_handler!($sta { addr, offset } s cx =>
                    store_acc(&mut s, cx, store::$st, addr, offset)); )*
                $( threaded_handler!($stb { value, offset } s cx =>
                    store_acc_addr(&mut s, cx, store::$st, value, offset)); )*
                $( threaded_handler!($stw { addr, value, imm, offset } s cx =>
                    store_add_imm(&mut s, cx, store::$st, addr, value, imm, offset)); )*
                $( threaded_handler!($brr { a, b, to } s _cx =>
                    br_cmp_regs(&mut s, BinOp::$cmp, a, b, to)); )*
                $( threaded_handler!($bra { b, to } s _cx =>
                    br_cmp_acc(&mut s, BinOp::$cmp, b, to)); )*
                $( threaded_handler!($bri { a, imm, to } s _cx =>
                    br_cmp_imm(&mut s, BinOp::$cmp, a, imm, to)); )*
                $( threaded_handler!($bria { imm, to } s _cx =>
                    br_cmp_imm_acc(&mut s, BinOp::$cmp, imm, to)); )*
                $( threaded_handler!($vu { dst, src } s cx =>
                    simd_or_stand_in!($vu, s cx, v_unary(&mut s, simd::$vu, dst, src))); )*
                $( threaded_handler!($vb { dst, a, b } s cx =>
                    simd_or_stand_in!($vb, s cx, v_binary(&mut s, simd::$vb, dst, a, b))); )*
                $( threaded_handler!($vt { dst, a, b, c } s cx =>
                    simd_or_stand_in!($vt, s cx, v_ternary(&mut s, simd::$vt, dst, a, b, c))); )*
                $( threaded_handler!($vs { dst, a, b } s cx =>
                    simd_or_stand_in!($vs, s cx, v_shift(&mut s, simd::$vs, dst, a, b))); )*
                $( threaded_handler!($vsp { dst, src } s cx =>
                    simd_or_stand_in!($vsp, s cx, v_splat(&mut s, simd::$vsp, dst, src))); )*
                $( threaded_handler!($vte { dst, src } s cx =>
                    simd_or_stand_in!($vte, s cx, v_test(&mut s, simd::$vte, dst, src))); )*
                $( threaded_handler!($vx { dst, src, lane } s cx =>
                    simd_or_stand_in!($vx, s cx, v_extract(&mut s, simd::$vx, dst, src, lane))); )*
                $( threaded_handler!($vr { dst, a, b, lane } s cx =>
                    simd_or_stand_in!($vr, s cx, v_replace(&mut s, simd::$vr, dst, a, b, lane))); )*
                $( threaded_handler!($vl { dst, addr, imm, offset } s cx =>
                    simd_or_stand_in!($vl, s cx, v_load(&mut s, cx, VLoadKind::$vl as u8, dst, addr, imm, offset))); )*
            }

            /// The second handler of each numeric instruction with a result: for a result
            /// that goes to the accumulator only (`Dst::ACC`).
            #[allow(non_snake_case)]
            mod op_acc {
                use super::*;

                threaded_results!(dst => { let _: Dst = dst; Dst::ACC };
                    binary { $($b / $ba / $bab)* } imm { $($bi / $bia = $bb)* }
                    unary { $($u / $ua)* } load { $($l / $la / $lw)* });
            }

            // The handlers' addresses, indexed by opcode. Kept as 32-bit offsets in the code
            // (`handler_table!`): an array of function pointers in a position-independent
            // binary needs a load-time relocation per entry (24 bytes of `.rela.dyn` besides
            // its own 8), some 60 KB for the two tables (issue 15's code size).
            handler_table!(
                /// The ordinary handlers: every instruction's.
                handler_offsets, SLOTS: [
                $( $name => op::$name, )*
                $( $b => op::$b, )* $( $bi => op::$bi, )* $( $u => op::$u, )* $( $l => op::$l, )*
                $( $st => op::$st, )* $( $ba => op::$ba, )* $( $bab => op::$bab, )*
                $( $bia => op::$bia, )* $( $ua => op::$ua, )* $( $la => op::$la, )*
                $( $sta => op::$sta, )* $( $stb => op::$stb, )* $( $stw => op::$stw, )*
                $( $lw => op::$lw, )* $( $brr => op::$brr, )* $( $bra => op::$bra, )*
                $( $bri => op::$bri, )* $( $bria => op::$bria, )*
                $( $vu => op::$vu, )* $( $vb => op::$vb, )* $( $vt => op::$vt, )*
                $( $vs => op::$vs, )* $( $vsp => op::$vsp, )* $( $vte => op::$vte, )*
                $( $vx => op::$vx, )* $( $vr => op::$vr, )* $( $vl => op::$vl, )*
            ]);
            const _: () = assert!(
                every_slot_filled(&SLOTS),
                "an instruction without a threaded handler"
            );
            handler_table!(
                /// `op_acc`'s handlers (the other instructions never get `Dst::ACC`).
                acc_handler_offsets, ACC_SLOTS: [
                $( $b => op_acc::$b, )* $( $ba => op_acc::$ba, )* $( $bab => op_acc::$bab, )*
                $( $bi => op_acc::$bi, )* $( $bia => op_acc::$bia, )* $( $u => op_acc::$u, )*
                $( $ua => op_acc::$ua, )* $( $l => op_acc::$l, )* $( $la => op_acc::$la, )*
                $( $lw => op_acc::$lw, )*
            ]);

            /// The ordinary handler of `opcode`.
            fn handler_by_opcode(opcode: Opcode) -> Handler {
                table_entry(handler_offsets(), SLOTS[opcode as usize])
            }

            /// `op_acc`'s handler of `opcode`; `Trap`'s for an instruction without one.
            fn acc_handler_of(opcode: Opcode) -> Handler {
                match ACC_SLOTS[opcode as usize] {
                    NO_SLOT => op::Trap,
                    slot => table_entry(acc_handler_offsets(), slot),
                }
            }
        };
    }

    /// A SIMD handler's body, or the stand-in's when SIMD is left out (which lets the
    /// compiler drop the SIMD code while the handler table still names the handler).
    macro_rules! simd_or_stand_in {
        ($name:ident, $s:ident $cx:ident, $body:expr) => {
            if simd_compiled!($name) {
                $body
            } else {
                crate::interp::handlers::not_compiled(&mut $s, $cx)
            }
        };
    }

    /// `SLOTS` entry of an instruction that has no handler in that table.
    const NO_SLOT: u16 = u16::MAX;

    /// The instruction that puts label `2`'s address (a handler table's) in the return
    /// register.
    #[cfg(target_arch = "x86_64")]
    macro_rules! table_address {
        () => {
            "lea rax, [rip + 2f]"
        };
    }
    #[cfg(target_arch = "aarch64")]
    macro_rules! table_address {
        () => {
            "adr x0, 2f"
        };
    }

    /// Defines `$table()`, returning the address of an array of 32-bit offsets, the `i`-th
    /// being the `i`-th listed handler's address less the entry's own, and `$slots`, each
    /// opcode's index in it (or [`NO_SLOT`]). The offsets are link-time constants (the
    /// assembler's `sym - .`, a PC-relative relocation the linker resolves), so the table
    /// sits in the code as it is, with nothing to relocate at load time; it follows a
    /// two-instruction function that returns its address.
    macro_rules! handler_table {
        ($(#[$doc:meta])* $table:ident, $slots:ident: [ $( $opcode:ident => $m:ident :: $h:ident, )* ]) => {
            $(#[$doc])*
            #[unsafe(naked)]
            extern "C" fn $table() -> *const i32 {
                core::arch::naked_asm!(
                    table_address!(),
                    "ret",
                    ".balign 4",
                    "2:",
                    $( concat!(".long {", stringify!($opcode), "} - ."), )*
                    $( $opcode = sym $m::$h, )*
                );
            }

            static $slots: [u16; Opcode::COUNT] = slots_of(&[$( Opcode::$opcode ),*]);
        };
    }

    /// Each opcode's index in `order` ([`NO_SLOT`] for those not in it); an opcode listed
    /// twice is a compile-time error.
    const fn slots_of(order: &[Opcode]) -> [u16; Opcode::COUNT] {
        let mut slots = [NO_SLOT; Opcode::COUNT];
        let mut i = 0;
        while i < order.len() {
            assert!(
                slots[order[i] as usize] == NO_SLOT,
                "an instruction listed twice"
            );
            slots[order[i] as usize] = i as u16;
            i += 1;
        }
        slots
    }

    /// Whether every opcode has a slot.
    const fn every_slot_filled(slots: &[u16; Opcode::COUNT]) -> bool {
        let mut i = 0;
        while i < slots.len() {
            if slots[i] == NO_SLOT {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The handler at `slot` of a table made by `handler_table!`.
    #[inline]
    fn table_entry(table: *const i32, slot: u16) -> Handler {
        // SAFETY: `slot` came from the table's `SLOTS`, so it indexes the table, whose
        // entries are 4-byte aligned (`.balign 4`); the entry's value plus its own address
        // is the address of the handler the assembler was given (`sym - .`), a function of
        // type `Handler`.
        unsafe {
            let entry = table.add(slot as usize);
            let handler = entry.cast::<u8>().offset(entry.read() as isize);
            core::mem::transmute::<*const u8, Handler>(handler)
        }
    }

    /// Defines the handlers of the numeric instructions with a result, with `dst` rebound
    /// to `$dst` before the body runs (the ordinary or the accumulator-only form).
    macro_rules! threaded_results {
        ($d:ident => $dst:expr;
         binary { $($b:ident / $ba:ident / $bab:ident)* } imm { $($bi:ident / $bia:ident = $bb:ident)* }
         unary { $($u:ident / $ua:ident)* } load { $($l:ident / $la:ident / $lw:ident)* }) => {
            $( threaded_handler!($b { $d, a, b } [let $d = $dst;] s cx =>
                binary(&mut s, cx, BinOp::$b, $d, a, b)); )*
            $( threaded_handler!($bi { $d, a, imm } [let $d = $dst;] s cx =>
                binary_imm(&mut s, cx, BinOp::$bb, $d, a, imm)); )*
            $( threaded_handler!($u { $d, src } [let $d = $dst;] s cx =>
                unary(&mut s, cx, UnOp::$u, $d, src)); )*
            $( threaded_handler!($l { $d, addr, offset } [let $d = $dst;] s cx =>
                load(&mut s, cx, load::$l, $d, addr, offset)); )*
            $( threaded_handler!($ba { $d, b } [let $d = $dst;] s cx =>
                binary_acc(&mut s, cx, BinOp::$b, $d, b)); )*
            $( threaded_handler!($bab { $d, a } [let $d = $dst;] s cx =>
                binary_acc_b(&mut s, cx, BinOp::$b, $d, a)); )*
            $( threaded_handler!($bia { $d, imm } [let $d = $dst;] s cx =>
                binary_imm_acc(&mut s, cx, BinOp::$bb, $d, imm)); )*
            $( threaded_handler!($ua { $d } [let $d = $dst;] s cx =>
                unary_acc(&mut s, cx, UnOp::$u, $d)); )*
            $( threaded_handler!($la { $d, offset } [let $d = $dst;] s cx =>
                load_acc(&mut s, cx, load::$l, $d, offset)); )*
            $( threaded_handler!($lw { $d, addr, imm, offset } [let $d = $dst;] s cx =>
                load_add_imm(&mut s, cx, load::$l, $d, addr, imm, offset)); )*
        };
    }

    /// Defines the handler function for instruction `$name`; `$s` and `$cx` name the state
    /// and context inside `$body`, which runs after the statement `$pre` if one is given.
    macro_rules! threaded_handler {
        ($name:ident { $($f:ident),* } $s:ident $cx:ident => $body:expr) => {
            threaded_handler!($name { $($f),* } [] $s $cx => $body);
        };
        ($name:ident { $($f:ident),* } [$($pre:tt)*] $s:ident $cx:ident => $body:expr) => {
            pub(super) unsafe fn $name(
                ip: *const Op,
                regs: *mut u64,
                mem: *mut u8,
                mem_len: usize,
                cx: *mut Ctx,
                acc: u64,
            ) {
                let mut $s = State { ip, regs, mem, mem_len, acc };
                // SAFETY: `cx` is the run's context, alive and not otherwise borrowed for
                // the whole run (`run` below).
                let $cx = unsafe { &mut *cx };
                // SAFETY: `ip` points at an instruction (invariants of `State`) whose
                // opcode picked this handler (`handler_for`), so its fields are at their
                // places.
                $( let $f = unsafe { handler_field!($name, $f, ip) }; )*
                // The instruction after this one (after its `Ext` if wide) and its handler,
                // read before the body runs. A handler that stores a result can then load
                // the next handler before the store (the compiler cannot move the load
                // across a store through `regs` itself), and the two sides of a conditional
                // branch end in indirect jumps of their own, each with one usual target,
                // rather than in one jump whose target follows the branch's outcome.
                // (Measured on AMD Zen 3: quicksort, whose partition branches are random,
                // 8-15% faster; docs/BENCHMARKS.md.)
                //
                // `seq_ip` is a slot of the same code: every instruction that runs has one
                // after it (the last, a `Return`, has the end's `Trap`, which never runs;
                // the `ZeroLocals` prologue has a `Trap` of its own: `encode_code`).
                let seq_ip =
                    ip.wrapping_add(1 + usize::from(slot::IS_WIDE[Opcode::$name as usize]));
                let seq_next = handler_of(seq_ip);
                $($pre)*
                match $body {
                    Flow::Continue => {
                        // A wide instruction steps over its `Ext` (which would do nothing
                        // but step on).
                        if const { slot::IS_WIDE[Opcode::$name as usize] }
                            && $s.ip == ip.wrapping_add(1)
                        {
                            $s.ip = ip.wrapping_add(2);
                        }
                        if $s.ip == seq_ip {
                            // SAFETY: the state keeps its invariants across handlers.
                            return unsafe {
                                seq_next(seq_ip, $s.regs, $s.mem, $s.mem_len, $cx, $s.acc)
                            };
                        }
                        let next = handler_of($s.ip);
                        // SAFETY: the state keeps its invariants across handlers.
                        unsafe { next($s.ip, $s.regs, $s.mem, $s.mem_len, $cx, $s.acc) }
                    }
                    Flow::Jumped => {
                        let next = handler_of($s.ip);
                        // SAFETY: as above.
                        unsafe { next($s.ip, $s.regs, $s.mem, $s.mem_len, $cx, $s.acc) }
                    }
                    Flow::Table => {
                        // The entry carries its target's handler (`ExecFunc::new`): loaded
                        // before, and independently of, the move to the target.
                        let next = handler_of($s.ip);
                        follow_table_entry(&mut $s);
                        // SAFETY: as above.
                        unsafe { next($s.ip, $s.regs, $s.mem, $s.mem_len, $cx, $s.acc) }
                    }
                    Flow::Exit => {}
                    // SAFETY: as above; nothing was changed before `Slow`.
                    Flow::Slow => unsafe {
                        // The slow path finds the instruction by its opcode, which the
                        // code slot does not hold (`code.rs`).
                        $cx.slow_op = Opcode::$name;
                        slow_trampoline($s.ip, $s.regs, $s.mem, $s.mem_len, $cx, $s.acc)
                    },
                }
            }
        };
    }

    with_handlers!(threaded_handlers);

    /// Runs an instruction's slow path (`Flow::Slow`), then goes on like a handler. Reached
    /// by a jump from the handler, so the handler itself saves nothing.
    #[inline(never)]
    unsafe fn slow_trampoline(
        ip: *const Op,
        regs: *mut u64,
        mem: *mut u8,
        mem_len: usize,
        cx: *mut Ctx,
        acc: u64,
    ) {
        // SAFETY: as in the handlers.
        let cx = unsafe { &mut *cx };
        if let Flow::Continue | Flow::Jumped = slow_path_spilled(cx, ip, regs, mem, mem_len, acc) {
            let s = cx.spill;
            let next = handler_of(s.ip);
            // SAFETY: the state keeps its invariants across handlers.
            unsafe { next(s.ip, s.regs, s.mem, s.mem_len, cx, s.acc) }
        }
    }

    /// Runs handlers from `s` until one says to stop.
    pub(in super::super) fn run(s: State, cx: &mut Ctx) {
        let first = handler_of(s.ip);
        // SAFETY: `s` satisfies the invariants of `State` (it came from `State::enter`).
        unsafe { first(s.ip, s.regs, s.mem, s.mem_len, cx, s.acc) }
    }

    /// 0: not checked yet, 1: sibling calls are jumps, 2: they are not.
    static CHECKED: AtomicU8 = AtomicU8::new(0);

    pub(in super::super) fn available() -> bool {
        match CHECKED.load(Ordering::Acquire) {
            1 => true,
            2 => false,
            _ => {
                for (i, (plain, acc)) in ADDRESSES[0].iter().zip(&ADDRESSES[1]).enumerate() {
                    // SAFETY: `i` is below `Opcode::COUNT`, and `Opcode` is `repr(u16)`
                    // with the values 0..COUNT.
                    let op = unsafe { core::mem::transmute::<u16, Opcode>(i as u16) };
                    for (slot, h) in [(plain, handler_by_opcode(op)), (acc, acc_handler_of(op))] {
                        slot.store(h as usize, Ordering::Relaxed);
                    }
                }
                let ok = probe::calls_are_jumps();
                CHECKED.store(if ok { 1 } else { 2 }, Ordering::Release);
                ok
            }
        }
    }

    /// Checks that calls through a handler table in tail position do not grow the stack:
    /// a chain of 64 such calls must end where it began.
    mod probe {
        use core::hint::black_box;

        type Step = fn(usize, usize, *mut u8, usize, *mut usize, u64);
        static STEPS: [Step; 2] = [step, step_odd];
        const DEPTH: usize = 64;

        /// An address inside the caller's frame's neighbourhood: this function's own frame
        /// lies just below its caller's.
        #[inline(never)]
        fn stack_mark() -> usize {
            let marker = 0u8;
            black_box(core::ptr::addr_of!(marker)) as usize
        }

        /// A second step function, so that the chain alternates between two callees.
        fn step_odd(n: usize, first: usize, m: *mut u8, l: usize, out: *mut usize, a: u64) {
            step(n, first, m, l, out, a)
        }

        fn step(n: usize, first: usize, _m: *mut u8, _l: usize, out: *mut usize, a: u64) {
            let here = if n == DEPTH || n == 0 {
                stack_mark()
            } else {
                0
            };
            if n == 0 {
                // SAFETY: `out` points at `calls_are_jumps`'s local, alive for the chain.
                unsafe { *out = first.abs_diff(here) };
                return;
            }
            let first = if n == DEPTH { here } else { first };
            let next = STEPS[n & 1];
            next(n - 1, first, _m, _l, out, a)
        }

        pub(super) fn calls_are_jumps() -> bool {
            let mut grown = usize::MAX;
            step(DEPTH, 0, core::ptr::null_mut(), 0, &mut grown, 0);
            grown < 256
        }
    }
}

#[cfg(not(all(
    feature = "threaded",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    not(debug_assertions)
)))]
mod imp {
    use super::*;

    pub(in super::super) fn run(s: State, cx: &mut Ctx) {
        super::super::portable::run(s, cx)
    }

    /// Never called: without the threaded backend all code is encoded for the portable
    /// loop (`effective_dispatch`).
    pub(in super::super) fn handler_for() -> impl Fn(spindle_ir::Opcode, bool) -> usize {
        |_, _| unreachable!("threaded code without the threaded backend")
    }

    pub(in super::super) fn available() -> bool {
        false
    }
}

pub(super) use imp::{available, handler_for, run};
