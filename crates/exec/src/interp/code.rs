//! The interpreter's code: each instruction in a 16-byte slot, a wide one in two (the
//! layout is `spindle_ir::slot`'s). The slot's head holds the opcode in its low 16 bits and
//! the threaded handler's address above them (zero without the threaded backend), so that
//! threaded dispatch is one load, one shift and one jump, and the portable backend and
//! the slow paths still find the opcode.
//!
//! The encoder and decoder are generated from the instruction table: each field is written
//! to, and read from, the place `spindle_ir::slot` gives it.

use crate::prelude::*;
use spindle_ir::{slot, Instr, Opcode};

/// One 16-byte code slot.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub struct Op {
    head: u64,
    body: [u8; 8],
}

// Two slots are 32 bytes: field places 24 to 31 are the next slot's body.
const _: () = assert!(core::mem::size_of::<Op>() == 16);

/// Handler addresses must fit above the opcode in the head (checked before the threaded
/// backend is used: user-space code addresses on x86_64 and aarch64 have 47 or 48 bits).
pub(super) const HANDLER_BITS: u32 = 48;

/// The opcode of the instruction at `ip`.
///
/// # Safety
///
/// `ip` points at an instruction's slot (not an `Ext`'s body).
#[inline(always)]
pub(super) unsafe fn opcode_at(ip: *const Op) -> Opcode {
    // SAFETY: every head was written by `encode` from a valid opcode (`Opcode` is
    // `repr(u16)` with the values 0..COUNT).
    unsafe { core::mem::transmute::<u16, Opcode>((*ip).head as u16) }
}

/// The handler address kept in the head at `ip`.
///
/// # Safety
///
/// As for [`opcode_at`].
#[inline(always)]
#[cfg_attr(
    not(all(feature = "threaded", not(debug_assertions))),
    allow(dead_code)
)]
pub(super) unsafe fn handler_bits(ip: *const Op) -> usize {
    // SAFETY: as the caller promises.
    unsafe { ((*ip).head >> 16) as usize }
}

/// The field at place `at` (see `spindle_ir::slot`) of the instruction at `ip`.
///
/// # Safety
///
/// `ip` points at an instruction whose field at `at` has type `T`.
#[inline(always)]
pub(super) unsafe fn field<T: Copy>(ip: *const Op, at: usize) -> T {
    // SAFETY: a place is within the instruction's slot or its `Ext` (which the translator
    // put after it), and `encode` wrote a `T` there.
    unsafe { ip.cast::<u8>().add(at).cast::<T>().read_unaligned() }
}

/// Bytes per code slot: branch offsets are kept in bytes.
const SLOT_BYTES: i32 = core::mem::size_of::<Op>() as i32;

/// A field's value as the code holds it. A branch offset (every field named `to`) is in
/// bytes rather than slots, so that a taken branch adds it to `ip` as it is: the next
/// instruction's address, which every later field and handler load waits for, is then
/// one load and one add away rather than a load, a shift and an add (a loop's latch is on
/// that chain once per iteration).
macro_rules! to_code {
    (to, $v:expr) => {
        branch_bytes($v)
    };
    ($f:ident, $v:expr) => {
        $v
    };
}

/// The field as the IR has it ([`to_code`] undone).
macro_rules! from_code {
    (to, $v:expr) => {
        $v / SLOT_BYTES
    };
    ($f:ident, $v:expr) => {
        $v
    };
}

/// Branch offset `to` (in slots) in bytes.
fn branch_bytes(to: i32) -> i32 {
    // A function's body is at most `MAX_FUNCTION_SIZE` (7,654,321) bytes, and no operator
    // byte becomes more than a few slots, so offsets stay far below 2^31 / 16 slots.
    to.checked_mul(SLOT_BYTES)
        .expect("a branch offset beyond 128 Mi code slots")
}

macro_rules! define_codec {
    ($( $(#[$doc:meta])* $name:ident { $($f:ident : $t:ty),* } )*) => {
        /// Writes `instr` into the slot at `at` (its head: opcode, handler `handler`) and,
        /// for a wide instruction, the body of the slot after it.
        ///
        /// # Safety
        ///
        /// `at` is valid for writes of two slots if `instr` is wide, of one otherwise.
        unsafe fn encode(instr: &Instr, handler: usize, at: *mut Op) {
            // SAFETY: as the caller promises; places are below 32, or 16 if not wide.
            unsafe {
                (*at).head = instr.opcode() as u64 | (handler as u64) << 16;
                let base = at.cast::<u8>();
                match *instr {
                    $( Instr::$name { $($f),* } => {
                        $( base.add(slot::$name::AT.$f).cast::<$t>().write_unaligned(to_code!($f, $f)); )*
                    } )*
                }
            }
        }

        /// The instruction at `ip`, whole.
        ///
        /// # Safety
        ///
        /// `ip` points at an instruction's slot in code made by [`encode_code`].
        pub(super) unsafe fn decode(ip: *const Op) -> Instr {
            // SAFETY: as the caller promises: each field was written at its place.
            unsafe {
                match opcode_at(ip) {
                    $( Opcode::$name => Instr::$name { $($f: from_code!($f, field::<$t>(ip, slot::$name::AT.$f))),* }, )*
                }
            }
        }
    };
}

spindle_ir::for_each_instr!(define_codec);

/// `code` as slots, each head with the handler address `handler` gives (below
/// 2^[`HANDLER_BITS`]), followed by one more slot (a `Trap`) so that reading any
/// instruction's places stays inside the allocation. Each `(at, target)` of `redirects`
/// (in order of `at`) gives the instruction at `at` the handler of the one at `target`.
pub(super) fn encode_code(
    code: &[Instr],
    redirects: &[(usize, usize)],
    handler: impl Fn(&Instr) -> usize,
) -> Box<[Op]> {
    let empty = Op {
        head: 0,
        body: [0; 8],
    };
    let mut ops = vec![empty; code.len() + 1].into_boxed_slice();
    let mut redirects = redirects.iter().peekable();
    for (i, instr) in code.iter().enumerate() {
        let h = match redirects.next_if(|r| r.0 == i) {
            Some(&(_, target)) => handler(&code[target]),
            None => handler(instr),
        };
        // The translator puts an `Ext` after every wide instruction (`fuse_pairs_and_widen`); its head is
        // written after this, its body is the wide instruction's.
        if slot::WIDE[instr.opcode() as usize] {
            assert!(
                matches!(code.get(i + 1), Some(Instr::Ext {})),
                "a wide instruction without its Ext slot"
            );
        }
        debug_assert!(h >> HANDLER_BITS == 0);
        // SAFETY: slot `i` exists, and so does `i + 1` when `instr` is wide (checked).
        unsafe { encode(instr, h, ops.as_mut_ptr().add(i)) };
    }
    let end = Instr::Trap {
        code: spindle_ir::TrapCode::Unreachable,
    };
    // SAFETY: the last slot exists; a `Trap` is not wide.
    unsafe { encode(&end, handler(&end), ops.as_mut_ptr().add(code.len())) };
    ops
}
