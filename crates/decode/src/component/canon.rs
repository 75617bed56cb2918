//! Canonical functions (section 8): lift, lower, the resource built-ins and the async and
//! thread built-ins, with their canonical options.

use alloc::vec::Vec;

use super::types::{read_result_list, ComponentValType};
use super::{read_bool, read_vec};
use crate::error::Result;
use crate::limits;
use crate::reader::BinaryReader;
use crate::types::ValType;

/// A canonical option. Which options a built-in may take, and whether they repeat or
/// conflict, is checked by validation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CanonicalOption {
    Utf8,
    Utf16,
    /// `string-encoding=latin1+utf16`.
    CompactUtf16,
    /// A core memory index.
    Memory(u32),
    /// A core function index.
    Realloc(u32),
    /// A core function index.
    PostReturn(u32),
    Async,
    /// A core function index.
    Callback(u32),
    /// A core type index (the lowered function's core type).
    CoreType(u32),
    Gc,
}

fn read_option(r: &mut BinaryReader<'_>) -> Result<CanonicalOption> {
    let at = r.offset();
    Ok(match r.read_u8()? {
        0x00 => CanonicalOption::Utf8,
        0x01 => CanonicalOption::Utf16,
        0x02 => CanonicalOption::CompactUtf16,
        0x03 => CanonicalOption::Memory(r.read_var_u32()?),
        0x04 => CanonicalOption::Realloc(r.read_var_u32()?),
        0x05 => CanonicalOption::PostReturn(r.read_var_u32()?),
        0x06 => CanonicalOption::Async,
        0x07 => CanonicalOption::Callback(r.read_var_u32()?),
        0x08 => CanonicalOption::CoreType(r.read_var_u32()?),
        0x09 => CanonicalOption::Gc,
        b => crate::bail!(at, "malformed canonical option 0x{b:02x}"),
    })
}

fn read_options(r: &mut BinaryReader<'_>) -> Result<Vec<CanonicalOption>> {
    read_vec(
        r,
        limits::MAX_CANONICAL_OPTIONS,
        "canonical option",
        read_option,
    )
}

/// An entry of the canon section. Field `ty` of the stream and future built-ins is the index
/// of the stream or future type.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CanonicalFunction {
    /// 0x00 0x00: a component function of type `ty` from a core function.
    Lift {
        core_func: u32,
        ty: u32,
        options: Vec<CanonicalOption>,
    },
    /// 0x01 0x00: a core function from a component function.
    Lower {
        func: u32,
        options: Vec<CanonicalOption>,
    },
    ResourceNew {
        resource: u32,
    },
    ResourceDrop {
        resource: u32,
    },
    ResourceRep {
        resource: u32,
    },
    ThreadSpawnRef {
        func_ty: u32,
    },
    ThreadSpawnIndirect {
        func_ty: u32,
        table: u32,
    },
    ThreadAvailableParallelism,
    BackpressureInc,
    BackpressureDec,
    TaskReturn {
        result: Option<ComponentValType>,
        options: Vec<CanonicalOption>,
    },
    TaskCancel,
    ContextGet {
        ty: ValType,
        slot: u32,
    },
    ContextSet {
        ty: ValType,
        slot: u32,
    },
    ThreadYield,
    SubtaskDrop,
    SubtaskCancel {
        is_async: bool,
    },
    StreamNew {
        ty: u32,
    },
    StreamRead {
        ty: u32,
        options: Vec<CanonicalOption>,
    },
    StreamWrite {
        ty: u32,
        options: Vec<CanonicalOption>,
    },
    StreamForward {
        ty: u32,
    },
    StreamCancelRead {
        ty: u32,
        is_async: bool,
    },
    StreamCancelWrite {
        ty: u32,
        is_async: bool,
    },
    StreamDropReadable {
        ty: u32,
    },
    StreamDropWritable {
        ty: u32,
    },
    FutureNew {
        ty: u32,
    },
    FutureRead {
        ty: u32,
        options: Vec<CanonicalOption>,
    },
    FutureWrite {
        ty: u32,
        options: Vec<CanonicalOption>,
    },
    FutureForward {
        ty: u32,
    },
    FutureCancelRead {
        ty: u32,
        is_async: bool,
    },
    FutureCancelWrite {
        ty: u32,
        is_async: bool,
    },
    FutureDropReadable {
        ty: u32,
    },
    FutureDropWritable {
        ty: u32,
    },
    ErrorContextNew {
        options: Vec<CanonicalOption>,
    },
    ErrorContextDebugMessage {
        options: Vec<CanonicalOption>,
    },
    ErrorContextDrop,
    WaitableSetNew,
    WaitableSetWait {
        memory: u32,
    },
    WaitableSetPoll {
        memory: u32,
    },
    WaitableSetDrop,
    WaitableJoin,
    ThreadIndex,
    ThreadNewIndirect {
        func_ty: u32,
        table: u32,
    },
    ThreadResumeLater,
    ThreadSuspend,
    ThreadSuspendThenResume,
    ThreadYieldThenResume,
    ThreadSuspendThenPromote,
    ThreadYieldThenPromote,
}

/// The zero byte where a `cancellable` flag used to be (component-model#716 retired it; a
/// 1 there is malformed, not ignored).
fn read_retired_cancellable(r: &mut BinaryReader<'_>) -> Result<()> {
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(()),
        0x01 => crate::bail!(
            at,
            "malformed canonical function: the `cancellable` flag (0x01) is no longer \
             accepted, a zero byte is required"
        ),
        b => crate::bail!(
            at,
            "malformed canonical function: 0x{b:02x} where a zero byte is required"
        ),
    }
}

/// The second byte of `lift` and `lower`, which must be 0x00.
fn read_zero_byte(r: &mut BinaryReader<'_>, what: &str) -> Result<()> {
    let at = r.offset();
    match r.read_u8()? {
        0x00 => Ok(()),
        b => crate::bail!(
            at,
            "malformed canon {what}: 0x{b:02x} where 0x00 is required"
        ),
    }
}

pub(super) fn read_canonical_function(r: &mut BinaryReader<'_>) -> Result<CanonicalFunction> {
    use CanonicalFunction as F;
    let at = r.offset();
    let opcode = r.read_u8()?;
    Ok(match opcode {
        0x00 => {
            read_zero_byte(r, "lift")?;
            let core_func = r.read_var_u32()?;
            let options = read_options(r)?;
            F::Lift {
                core_func,
                options,
                ty: r.read_var_u32()?,
            }
        }
        0x01 => {
            read_zero_byte(r, "lower")?;
            F::Lower {
                func: r.read_var_u32()?,
                options: read_options(r)?,
            }
        }
        0x02 => F::ResourceNew {
            resource: r.read_var_u32()?,
        },
        0x03 => F::ResourceDrop {
            resource: r.read_var_u32()?,
        },
        0x04 => F::ResourceRep {
            resource: r.read_var_u32()?,
        },
        0x05 => F::TaskCancel,
        0x06 => F::SubtaskCancel {
            is_async: read_bool(r, "subtask.cancel")?,
        },
        0x09 => F::TaskReturn {
            result: read_result_list(r)?,
            options: read_options(r)?,
        },
        0x0a => F::ContextGet {
            ty: r.read_val_type()?,
            slot: r.read_var_u32()?,
        },
        0x0b => F::ContextSet {
            ty: r.read_val_type()?,
            slot: r.read_var_u32()?,
        },
        0x0c => {
            read_retired_cancellable(r)?;
            F::ThreadYield
        }
        0x0d => F::SubtaskDrop,
        0x0e => F::StreamNew {
            ty: r.read_var_u32()?,
        },
        0x0f => F::StreamRead {
            ty: r.read_var_u32()?,
            options: read_options(r)?,
        },
        0x10 => F::StreamWrite {
            ty: r.read_var_u32()?,
            options: read_options(r)?,
        },
        0x11 => F::StreamCancelRead {
            ty: r.read_var_u32()?,
            is_async: read_bool(r, "stream.cancel-read")?,
        },
        0x12 => F::StreamCancelWrite {
            ty: r.read_var_u32()?,
            is_async: read_bool(r, "stream.cancel-write")?,
        },
        0x13 => F::StreamDropReadable {
            ty: r.read_var_u32()?,
        },
        0x14 => F::StreamDropWritable {
            ty: r.read_var_u32()?,
        },
        0x15 => F::FutureNew {
            ty: r.read_var_u32()?,
        },
        0x16 => F::FutureRead {
            ty: r.read_var_u32()?,
            options: read_options(r)?,
        },
        0x17 => F::FutureWrite {
            ty: r.read_var_u32()?,
            options: read_options(r)?,
        },
        0x18 => F::FutureCancelRead {
            ty: r.read_var_u32()?,
            is_async: read_bool(r, "future.cancel-read")?,
        },
        0x19 => F::FutureCancelWrite {
            ty: r.read_var_u32()?,
            is_async: read_bool(r, "future.cancel-write")?,
        },
        0x1a => F::FutureDropReadable {
            ty: r.read_var_u32()?,
        },
        0x1b => F::FutureDropWritable {
            ty: r.read_var_u32()?,
        },
        0x1c => F::ErrorContextNew {
            options: read_options(r)?,
        },
        0x1d => F::ErrorContextDebugMessage {
            options: read_options(r)?,
        },
        0x1e => F::ErrorContextDrop,
        0x1f => F::WaitableSetNew,
        0x20 => {
            read_retired_cancellable(r)?;
            F::WaitableSetWait {
                memory: r.read_var_u32()?,
            }
        }
        0x21 => {
            read_retired_cancellable(r)?;
            F::WaitableSetPoll {
                memory: r.read_var_u32()?,
            }
        }
        0x22 => F::WaitableSetDrop,
        0x23 => F::WaitableJoin,
        0x24 => F::BackpressureInc,
        0x25 => F::BackpressureDec,
        0x26 => F::ThreadIndex,
        0x27 => F::ThreadNewIndirect {
            func_ty: r.read_var_u32()?,
            table: r.read_var_u32()?,
        },
        0x28 => F::ThreadResumeLater,
        0x29 => {
            read_retired_cancellable(r)?;
            F::ThreadSuspend
        }
        0x2a => {
            read_retired_cancellable(r)?;
            F::ThreadSuspendThenResume
        }
        0x2b => {
            read_retired_cancellable(r)?;
            F::ThreadYieldThenResume
        }
        0x2c => {
            read_retired_cancellable(r)?;
            F::ThreadSuspendThenPromote
        }
        0x2d => {
            read_retired_cancellable(r)?;
            F::ThreadYieldThenPromote
        }
        0x2e => F::StreamForward {
            ty: r.read_var_u32()?,
        },
        0x2f => F::FutureForward {
            ty: r.read_var_u32()?,
        },
        0x40 => F::ThreadSpawnRef {
            func_ty: r.read_var_u32()?,
        },
        0x41 => F::ThreadSpawnIndirect {
            func_ty: r.read_var_u32()?,
            table: r.read_var_u32()?,
        },
        0x42 => F::ThreadAvailableParallelism,
        _ => crate::bail!(
            at,
            "malformed canonical function: unknown opcode 0x{opcode:02x}"
        ),
    })
}
