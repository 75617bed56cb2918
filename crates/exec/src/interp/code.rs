//! The interpreter's code: each instruction in a 16-byte slot, a wide one in two (the
//! layout is `spindle_ir::slot`'s). A slot's 8-byte head is what its backend dispatches on,
//! so the code is encoded for one backend: for the threaded backend the head
//! is the handler's address, whole (dispatch is one load and one jump: a handler address
//! kept above the opcode cost a shift on every dispatch, 1.3% of the execution workloads'
//! time and 9% of `nbody`'s), for the portable loop it is the opcode. Slow paths and the
//! disassembler, which need the opcode, get it from the handler that ran or from
//! portable code.
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

/// The opcode of the instruction at `ip`.
///
/// # Safety
///
/// `ip` points at an instruction's slot (not an `Ext`'s body) in code encoded for the
/// portable loop (`encode_code` without handlers).
#[inline(always)]
pub(super) unsafe fn opcode_at(ip: *const Op) -> Opcode {
    // SAFETY: the head of a slot of portable code was written by `encode` from a valid
    // opcode (`Opcode` is `repr(u16)` with the values 0..COUNT).
    unsafe { core::mem::transmute::<u16, Opcode>((*ip).head as u16) }
}

/// The handler address kept in the head at `ip`.
///
/// # Safety
///
/// `ip` points at an instruction's slot in code encoded for the threaded backend.
#[inline(always)]
#[cfg_attr(
    not(all(feature = "threaded", not(debug_assertions))),
    allow(dead_code)
)]
pub(super) unsafe fn handler_bits(ip: *const Op) -> usize {
    // SAFETY: as the caller promises.
    unsafe { (*ip).head as usize }
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

/// Where a branch goes, as the handlers get it: `at` plus `bytes`, which is the target's
/// address plus nothing where the code holds the address, the branch's own address plus
/// the offset elsewhere. (The sum is left to the taken side: the compiler then shares the
/// tail of the two sides, as `ip + (taken ? offset : size)`, which measured faster on a
/// loop's latch than two tails: `loop` 30.0 against 31.8 ms.)
#[derive(Clone, Copy)]
pub(super) struct Target {
    at: *const Op,
    bytes: isize,
}

impl Target {
    /// The target's address.
    #[inline(always)]
    pub(super) fn address(self) -> *const Op {
        self.at.wrapping_byte_offset(self.bytes)
    }
}

/// Writes field `$f` of instruction `$name`, value `$v`, into the slot at `$at`.
///
/// A branch offset (every field named `to`) is not kept as the IR has it, since a taken
/// branch's next address is on the chain that every later handler's loads wait for
/// (the interpreter's sequential path: one add a handler; a taken branch loads its
/// target). Where the offset is alone in 8 bytes of the slots
/// (`slot::TARGET_ADDRESS`: `br`, the table entries, compares with an immediate, ...)
/// the code holds the target's address, one load; elsewhere the offset in bytes, a load
/// and an add (not also a shift).
macro_rules! write_field {
    ($name:ident, to, $t:ty, $v:expr, $at:expr) => {
        if slot::TARGET_ADDRESS[Opcode::$name as usize] {
            let target = $at.wrapping_offset($v as isize) as usize as u64;
            $at.cast::<u8>()
                .add(slot::$name::AT.to)
                .cast::<u64>()
                .write_unaligned(target)
        } else {
            $at.cast::<u8>()
                .add(slot::$name::AT.to)
                .cast::<i32>()
                .write_unaligned(branch_bytes($v))
        }
    };
    ($name:ident, $f:ident, $t:ty, $v:expr, $at:expr) => {
        $at.cast::<u8>()
            .add(slot::$name::AT.$f)
            .cast::<$t>()
            .write_unaligned($v)
    };
}

/// Field `$f` of instruction `$name` at `$ip` as the IR has it ([`write_field`] undone).
macro_rules! read_ir_field {
    ($name:ident, to, $t:ty, $ip:expr) => {
        branch_slots(
            branch_target(
                $ip,
                slot::$name::AT.to,
                slot::TARGET_ADDRESS[Opcode::$name as usize],
            ),
            $ip,
        )
    };
    ($name:ident, $f:ident, $t:ty, $ip:expr) => {
        field::<$t>($ip, slot::$name::AT.$f)
    };
}

/// Field `$f` of instruction `$name` at `$ip`, as the handlers take it: a branch's
/// `to` as its [`Target`], any other field as it is.
macro_rules! handler_field {
    ($name:ident, to, $ip:expr) => {
        $crate::interp::code::branch_target(
            $ip,
            spindle_ir::slot::$name::AT.to,
            spindle_ir::slot::TARGET_ADDRESS[spindle_ir::Opcode::$name as usize],
        )
    };
    ($name:ident, $f:ident, $ip:expr) => {
        $crate::interp::code::field($ip, spindle_ir::slot::$name::AT.$f)
    };
}
pub(super) use handler_field;

/// Branch offset `to` (in slots) in bytes.
fn branch_bytes(to: i32) -> i32 {
    // A function's body is at most `MAX_FUNCTION_SIZE` (7,654,321) bytes, and no operator
    // byte becomes more than a few slots, so offsets stay far below 2^31 / 16 slots.
    to.checked_mul(SLOT_BYTES)
        .expect("a branch offset beyond 128 Mi code slots")
}

/// The offset in slots from the branch at `ip` to `target`.
fn branch_slots(target: Target, ip: *const Op) -> i32 {
    ((target.address() as isize - ip as isize) / SLOT_BYTES as isize) as i32
}

/// The target of the branch at `ip` whose `to` field is at place `at`: an address when
/// `address` (the instruction's `slot::TARGET_ADDRESS`), an offset in bytes otherwise.
///
/// # Safety
///
/// `ip` points at a branch instruction whose `to` field is at `at`, in code made by
/// [`encode_code`].
#[inline(always)]
pub(super) unsafe fn branch_target(ip: *const Op, at: usize, address: bool) -> Target {
    // SAFETY: as the caller promises; `encode` wrote the field as `address` says, and the
    // translator made it land on an instruction of the same code.
    unsafe {
        if address {
            Target {
                at: field::<*const Op>(ip, at),
                bytes: 0,
            }
        } else {
            Target {
                at: ip,
                bytes: field::<i32>(ip, at) as isize,
            }
        }
    }
}

macro_rules! define_codec {
    ($( $(#[$doc:meta])* $name:ident { $($f:ident : $t:ty),* } )*) => {
        /// Writes `instr` into the slot at `at` (its head: the opcode, as the portable loop
        /// reads it) and, for a wide instruction, the body of the slot after it.
        ///
        /// # Safety
        ///
        /// `at` is valid for writes of two slots if `instr` is wide, of one otherwise.
        unsafe fn encode(instr: &Instr, at: *mut Op) {
            // SAFETY: as the caller promises; places are below 32, or 16 if not wide.
            unsafe {
                (*at).head = instr.opcode() as u64;
                match *instr {
                    $( Instr::$name { $($f),* } => {
                        $( write_field!($name, $f, $t, $f, at); )*
                    } )*
                }
            }
        }

        /// The instruction at `ip`, whole.
        ///
        /// # Safety
        ///
        /// `ip` points at an instruction's slot in code made by [`encode_code`] for the
        /// portable loop.
        pub(super) unsafe fn decode(ip: *const Op) -> Instr {
            // SAFETY: as the caller promises: each field was written at its place.
            unsafe {
                match opcode_at(ip) {
                    $( Opcode::$name => Instr::$name { $($f: read_ir_field!($name, $f, $t, ip)),* }, )*
                }
            }
        }
    };
}

spindle_ir::for_each_instr!(define_codec);

/// Writes `instr` into the slot at `at` as [`encode`] does, its head the handler address
/// that `handler` gives for its opcode and whether its result goes to the accumulator only
/// ([`Dst::ACC`](spindle_ir::Dst::ACC)).
///
/// # Safety
///
/// As for [`encode`].
#[inline(always)]
unsafe fn encode_with_handler(
    instr: &Instr,
    handler: &impl Fn(Opcode, bool) -> usize,
    at: *mut Op,
) {
    // SAFETY: as the caller promises; `encode` wrote the head and the fields.
    unsafe {
        encode(instr, at);
        // Read from the slot, not by a second match over every kind of instruction (this
        // runs once per instruction loaded): an instruction that can write its result to
        // the accumulator only has it as its first field, at `ACC_DST_AT` (checked where
        // `spindle_ir` defines the place).
        let acc_only = instr.can_result_in_acc()
            && field::<u16>(at, slot::ACC_DST_AT) == spindle_ir::Dst::ACC.0;
        (*at).head = handler(instr.opcode(), acc_only) as u64;
    }
}

/// [`encode_with_handler`] with `handler`, else [`encode`].
///
/// # Safety
///
/// As for [`encode`].
#[inline(always)]
unsafe fn encode_for<H: Fn(Opcode, bool) -> usize>(
    instr: &Instr,
    handler: Option<&H>,
    at: *mut Op,
) {
    // SAFETY: as the caller promises.
    unsafe {
        match handler {
            Some(h) => encode_with_handler(instr, h, at),
            None => encode(instr, at),
        }
    }
}

/// `code` as slots, followed by one more slot (a `Trap`) so that reading any instruction's
/// places stays inside the allocation, then `prologue` if given (one slot, whose branch
/// offset counts from that slot) and a second `Trap` after it. Each instruction is written
/// as `encoded` has it (the same size: no slot moves). With `handler`, the code is for the
/// threaded backend: each head is the handler address it gives (see
/// [`encode_with_handler`]), and the `Br` entries after a table jump ([`Instr::table_len`])
/// get the handler of their target (see `ExecFunc::new`). Without, it is for the portable
/// loop: each head is the opcode.
pub(super) fn encode_code<H: Fn(Opcode, bool) -> usize>(
    code: &[Instr],
    prologue: Option<Instr>,
    encoded: impl Fn(&Instr) -> Instr,
    handler: Option<H>,
) -> Box<[Op]> {
    let empty = Op {
        head: 0,
        body: [0; 8],
    };
    // The threaded handlers read the slot after their instruction before they run it
    // (`threaded.rs`), so every slot has one after it: the end's `Trap` after the code, and
    // a second `Trap` after the prologue.
    let mut ops =
        vec![empty; code.len() + 1 + 2 * usize::from(prologue.is_some())].into_boxed_slice();
    // The entries of the last table jump seen.
    let mut entries = 0..0;
    for (i, instr) in code.iter().enumerate() {
        let instr = &encoded(instr);
        // The translator puts an `Ext` after every wide instruction (`fuse_pairs_and_widen`); its head is
        // written after this, its body is the wide instruction's.
        if slot::WIDE[instr.opcode() as usize] {
            assert!(
                matches!(code.get(i + 1), Some(Instr::Ext {})),
                "a wide instruction without its Ext slot"
            );
        }
        let at = ops.as_mut_ptr().wrapping_add(i);
        // SAFETY: slot `i` exists, and so does `i + 1` when `instr` is wide (checked).
        unsafe { encode_for(instr, handler.as_ref(), at) };
        if let Some(len) = instr.table_len() {
            entries = i + 1..i + 2 + len as usize;
            assert!(entries.end <= code.len(), "a br_table without its entries");
        } else if entries.contains(&i) {
            // The interpreter follows an entry without looking at it
            // (`follow_table_entry`): it must be a `Br` inside the code.
            let target = match instr {
                Instr::Br { to } => i
                    .checked_add_signed(*to as isize)
                    .filter(|t| *t < code.len()),
                _ => None,
            };
            let target = target.expect("a br_table entry that is not a Br inside the code");
            if let Some(h) = &handler {
                // The entry's head is its target's handler, as encoding the target (in
                // two scratch slots, room for any instruction) gives it.
                let mut scratch = [empty; 2];
                // SAFETY: two slots.
                unsafe { encode_with_handler(&encoded(&code[target]), h, scratch.as_mut_ptr()) };
                ops[i].head = scratch[0].head;
            }
        }
    }
    let end = Instr::Trap {
        code: spindle_ir::TrapCode::Unreachable,
    };
    // SAFETY: the last slot exists; a `Trap` is not wide.
    unsafe { encode_for(&end, handler.as_ref(), ops.as_mut_ptr().add(code.len())) };
    if let Some(first) = prologue {
        assert!(!slot::WIDE[first.opcode() as usize], "a wide prologue");
        // SAFETY: the two slots after the end's exist when there is a prologue (allocated
        // so).
        unsafe {
            encode_for(
                &first,
                handler.as_ref(),
                ops.as_mut_ptr().add(code.len() + 1),
            );
            encode_for(&end, handler.as_ref(), ops.as_mut_ptr().add(code.len() + 2));
        };
    }
    ops
}
