//! The canonical ABI's operations: [`load`]/[`store`] in linear memory, [`lift_flat`]/
//! [`lower_flat`] on core values, and the function-level [`lower_args`], [`lift_args`],
//! [`lower_results`], [`lift_results`] with spilling.
//!
//! Everything goes through a [`Cx`]: the guest's [`Memory`] (with its `realloc`), the
//! canonical [`Options`], and the [`Resources`] hooks for handles. Every trap the
//! specification names is a [`Trap`] variant; the spec's assertions about well-typed
//! inputs become [`Trap::TypeMismatch`]/[`Trap::FlatMismatch`] errors instead of panics,
//! since here the caller supplies the values.

use alloc::string::String;
use core::fmt;

use crate::layout::align_to;
use crate::resources::Resources;
use crate::types::ResourceId;

mod cases;
mod flat;
mod func;
mod load;
mod store;
mod string;

pub use flat::{lift_flat, lower_flat, lower_flat_into, FlatIter, FlatSource};
pub use func::{
    lift_args, lift_results, lift_values_limited, lower_args, lower_results, store_values,
};
pub use load::load;
pub use load::load_valid;
pub use store::store;
pub use store::store_valid;
pub use string::{load_string, store_str, MAX_STRING_BYTE_LENGTH, UTF16_TAG};

/// A guest's linear memory and its `realloc` export, as the caller provides them.
///
/// `realloc` follows the canonical ABI's contract: `(old_ptr, old_size, align, new_size)`
/// with `(0, 0, align, size)` for a new allocation; the guest keeps the old bytes when it
/// moves a block. Its result is checked here (alignment, bounds) where the spec checks it.
/// The memory may grow during `realloc`; [`Memory::bytes`] is read again afterwards.
pub trait Memory {
    fn bytes(&self) -> &[u8];
    fn bytes_mut(&mut self) -> &mut [u8];
    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Trap>;
}

/// The `string-encoding` canonical option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StringEncoding {
    #[default]
    Utf8,
    Utf16,
    /// `latin1+utf16`: Latin-1 bytes, or UTF-16 when the length has [`UTF16_TAG`] set.
    CompactUtf16,
}

/// The canonical options that matter to lifting and lowering values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub string_encoding: StringEncoding,
}

/// A core WebAssembly value in a flat call. Floats are bits, so NaN payloads survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreVal {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

/// Why a canonical ABI operation stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `ptr + len` is past the end of memory (a pointer read from the guest or returned by
    /// `realloc`, with the byte length it must cover).
    OutOfBounds { ptr: u32, len: u64 },
    /// A pointer that is not a multiple of the alignment its use needs.
    Misaligned { ptr: u32, align: u32 },
    /// A `char` that is a surrogate or above 0x10FFFF.
    InvalidChar(u32),
    /// A variant discriminant (also enum, option, result) not below the case count.
    InvalidDiscriminant { index: u32, cases: u32 },
    /// Bytes that are not UTF-8, lifting a string.
    InvalidUtf8,
    /// A UTF-8 string that ends inside a character.
    IncompleteUtf8,
    /// A string's bytes past the end of memory.
    StringOutOfBounds { ptr: u32, len: u64 },
    /// A list's elements past the end of memory.
    ListOutOfBounds { ptr: u32, len: u64 },
    /// `realloc` returned a block past the end of memory.
    ReallocOutOfBounds { ptr: u32, len: u64 },
    /// `realloc` returned a misaligned block.
    ReallocMisaligned { ptr: u32, align: u32 },
    /// `realloc` returned a block for a list's elements past the end of memory.
    ReallocListOutOfBounds { ptr: u32, len: u64 },
    /// An unpaired surrogate, lifting a UTF-16 string.
    InvalidUtf16,
    /// A string whose byte length in the destination encoding is above
    /// [`MAX_STRING_BYTE_LENGTH`].
    StringTooLong { byte_length: u64 },
    /// A list whose byte length is 2^32 or more.
    ListTooLong { byte_length: u64 },
    /// A handle index with no handle in the table (or a freed slot).
    UnknownHandle(u32),
    /// A handle of another resource type than the one the type names.
    WrongResourceType {
        handle: u32,
        expected: ResourceId,
        found: ResourceId,
    },
    /// An `own` lifted from a handle that is a borrow.
    NotAnOwnHandle(u32),
    /// An `own` handle moved or dropped while it has lent borrows.
    HandleLent(u32),
    /// A call ended with borrows it received still not dropped.
    BorrowsOutstanding(u32),
    /// A trap from the guest's `realloc` (or another caller hook), with its message.
    Guest(String),
    /// Not a trap of the specification: the caller gave a value that does not have the
    /// type (the spec's assertions).
    TypeMismatch { expected: String },
    /// Not a trap of the specification: the caller gave core values that do not match the
    /// flat signature.
    FlatMismatch,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::OutOfBounds { ptr, len } => {
                write!(
                    f,
                    "pointer {ptr:#x} with length {len} is out of bounds of memory"
                )
            }
            Trap::Misaligned { ptr, align } => {
                write!(f, "unaligned pointer {ptr:#x} (alignment {align})")
            }
            Trap::InvalidChar(c) => write!(f, "invalid `char` bit pattern {c:#x}"),
            Trap::InvalidDiscriminant { index, cases } => {
                write!(f, "invalid variant discriminant {index} ({cases} cases)")
            }
            Trap::InvalidUtf8 => f.write_str("invalid utf-8"),
            Trap::IncompleteUtf8 => f.write_str("incomplete utf-8 byte sequence"),
            Trap::StringOutOfBounds { ptr, len } => write!(
                f,
                "string content out-of-bounds: string pointer/length out of bounds of memory \
                 (pointer {ptr:#x}, {len} bytes)"
            ),
            Trap::ListOutOfBounds { ptr, len } => write!(
                f,
                "list content out-of-bounds (pointer {ptr:#x}, {len} bytes)"
            ),
            Trap::ReallocOutOfBounds { ptr, len } => write!(
                f,
                "realloc return: beyond end of memory (pointer {ptr:#x}, {len} bytes)"
            ),
            Trap::ReallocMisaligned { ptr, align } => write!(
                f,
                "realloc return: result not aligned: unaligned pointer {ptr:#x} (alignment {align})"
            ),
            Trap::ReallocListOutOfBounds { ptr, len } => write!(
                f,
                "realloc return: beyond end of memory: list content out-of-bounds \
                 (pointer {ptr:#x}, {len} bytes)"
            ),
            Trap::InvalidUtf16 => f.write_str("string is not valid UTF-16"),
            Trap::StringTooLong { byte_length } => {
                write!(f, "string byte length {byte_length} is above 2^31-1")
            }
            Trap::ListTooLong { byte_length } => {
                write!(f, "list byte length {byte_length} does not fit 32 bits")
            }
            Trap::UnknownHandle(h) => write!(f, "unknown handle index {h}"),
            Trap::WrongResourceType {
                handle,
                expected,
                found,
            } => write!(
                f,
                "handle index {handle} used with the wrong type, expected guest-defined \
                 resource but found a different guest-defined resource (type {found}, \
                 expected {expected})"
            ),
            Trap::NotAnOwnHandle(h) => write!(f, "handle {h} is a borrow, not an own"),
            Trap::HandleLent(h) => write!(
                f,
                "cannot remove owned resource while borrowed (handle {h} has outstanding borrows)"
            ),
            Trap::BorrowsOutstanding(n) => {
                write!(
                    f,
                    "{n} borrowed handles were not dropped before the call returned"
                )
            }
            Trap::Guest(m) => write!(f, "guest trap: {m}"),
            Trap::TypeMismatch { expected } => write!(f, "value does not have type {expected}"),
            Trap::FlatMismatch => f.write_str("core values do not match the flat signature"),
        }
    }
}

/// The context of a lift or lower: the memory, the options, the handle hooks.
pub struct Cx<'a, M: Memory + ?Sized, R: Resources + ?Sized> {
    pub memory: &'a mut M,
    pub options: Options,
    pub resources: &'a mut R,
}

impl<'a, M: Memory + ?Sized, R: Resources + ?Sized> Cx<'a, M, R> {
    pub fn new(memory: &'a mut M, options: Options, resources: &'a mut R) -> Self {
        Cx {
            memory,
            options,
            resources,
        }
    }
}

/// Traps unless `[ptr, ptr + len)` lies in memory of `mem_len` bytes.
pub(crate) fn check_bounds(mem_len: usize, ptr: u32, len: u64) -> Result<(), Trap> {
    if u64::from(ptr) + len > mem_len as u64 {
        return Err(Trap::OutOfBounds { ptr, len });
    }
    Ok(())
}

/// Traps unless `ptr` is a multiple of `align`.
pub(crate) fn check_align(ptr: u32, align: u32) -> Result<(), Trap> {
    if align_to(u64::from(ptr), align) != u64::from(ptr) {
        return Err(Trap::Misaligned { ptr, align });
    }
    Ok(())
}

/// Where a pointer came from, for the trap that names it.
#[derive(Clone, Copy)]
pub(crate) enum PtrOf {
    String,
    List,
    Realloc,
    /// A block `realloc` returned for a list's elements.
    ReallocList,
}

/// `r`'s trap said of a pointer of `what`.
pub(crate) fn of(what: PtrOf, r: Result<(), Trap>) -> Result<(), Trap> {
    r.map_err(|t| match (what, t) {
        (PtrOf::String, Trap::OutOfBounds { ptr, len }) => Trap::StringOutOfBounds { ptr, len },
        (PtrOf::List, Trap::OutOfBounds { ptr, len }) => Trap::ListOutOfBounds { ptr, len },
        (PtrOf::Realloc, Trap::OutOfBounds { ptr, len }) => Trap::ReallocOutOfBounds { ptr, len },
        (PtrOf::Realloc | PtrOf::ReallocList, Trap::Misaligned { ptr, align }) => {
            Trap::ReallocMisaligned { ptr, align }
        }
        (PtrOf::ReallocList, Trap::OutOfBounds { ptr, len }) => {
            Trap::ReallocListOutOfBounds { ptr, len }
        }
        (_, t) => t,
    })
}

/// Both checks of a pointer: aligned, and `len` bytes in bounds.
pub fn check_range<M: Memory + ?Sized>(
    mem: &M,
    ptr: u32,
    align: u32,
    len: u64,
) -> Result<(), Trap> {
    check_align(ptr, align)?;
    check_bounds(mem.bytes().len(), ptr, len)
}

pub(crate) fn type_mismatch(ty: &crate::Type) -> Trap {
    Trap::TypeMismatch {
        expected: alloc::format!("{ty}"),
    }
}
