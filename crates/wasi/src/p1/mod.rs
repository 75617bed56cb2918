//! `wasi_snapshot_preview1` over a [`WasiCtx`]: [`add_to_linker_sync`] defines every
//! function of the module (wasmtime-wasi's `p1::add_to_linker_sync` shape), over the same
//! context and code as WASI 0.2: the standard streams, clocks and randomness are the
//! context's, and files and directories are the shared `crate::fs` descriptors (so both
//! versions confine paths, check permissions and fail alike; errors are WASI 0.2's
//! codes mapped to preview 1's errno as the preview-1 adapter maps them).
//!
//! Preview 1 adds its descriptor table ([`MAX_FDS`] entries), file positions, append
//! mode and the preopens' names. `poll_oneoff` sleeps for clock subscriptions and waits
//! in `poll(2)` for an inherited standard input (other descriptors are ready at once).
//! Sockets (`sock_*`, which preview 1 cannot create) and
//! `proc_raise` answer `ENOSYS`.

use spindle::{Caller, Extern, FuncType, Linker, Result, Val, ValType};

use crate::ctx::{Stream, WasiCtx};
use crate::fs::Descriptor;
use crate::p2::bindings::wasi::filesystem::types::ErrorCode;

mod fs;

/// What a preview-1 descriptor is.
#[derive(Debug)]
pub(crate) enum Desc {
    /// Standard input, output or error.
    Stdio(u8),
    /// A directory or file (the descriptor WASI 0.2 uses too), with what preview 1 adds:
    /// a preopen's guest name, the file position, append mode.
    Fs {
        desc: Descriptor,
        preopen: Option<String>,
        position: u64,
        append: bool,
        /// A directory's entries as `fd_readdir` last listed them (name, inode, file
        /// type): read again at cookie 0, so reading a directory in small buffers lists it
        /// once.
        listing: Option<Vec<(String, u64, u8)>>,
    },
}

/// The most descriptors a guest may hold open (`EMFILE` past it).
pub(crate) const MAX_FDS: usize = 1024;

/// A preview-1 context: the [`WasiCtx`] and preview 1's descriptor table.
#[derive(Debug)]
pub struct WasiP1Ctx {
    pub(crate) ctx: WasiCtx,
    pub(crate) fds: Vec<Option<Desc>>,
}

impl WasiP1Ctx {
    pub(crate) fn new(ctx: WasiCtx) -> Self {
        let mut fds: Vec<Option<Desc>> = (0..3).map(|i| Some(Desc::Stdio(i))).collect();
        for p in &ctx.preopens {
            fds.push(Some(Desc::Fs {
                desc: Descriptor::preopen(p),
                preopen: Some(p.guest_path.clone()),
                position: 0,
                append: false,
                listing: None,
            }));
        }
        WasiP1Ctx { ctx, fds }
    }

    /// The context.
    pub fn ctx(&mut self) -> &mut WasiCtx {
        &mut self.ctx
    }

    pub(crate) fn desc(&self, fd: i32) -> Result<&Desc, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|d| d.as_ref())
            .ok_or(Errno::Badf)
    }

    pub(crate) fn desc_mut(&mut self, fd: i32) -> Result<&mut Desc, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get_mut(i))
            .and_then(|d| d.as_mut())
            .ok_or(Errno::Badf)
    }

    /// Puts `d` in the lowest free slot; its number.
    pub(crate) fn insert(&mut self, d: Desc) -> Result<i32, Errno> {
        if let Some(i) = self.fds.iter().position(|x| x.is_none()) {
            self.fds[i] = Some(d);
            return Ok(i as i32);
        }
        if self.fds.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        self.fds.push(Some(d));
        Ok((self.fds.len() - 1) as i32)
    }

    /// The standard stream `fd` is, if it is one and open.
    fn stream(&self, fd: i32) -> Result<(&Stream, bool), Errno> {
        match self.desc(fd)? {
            Desc::Stdio(0) => Ok((&self.ctx.stdin, false)),
            Desc::Stdio(1) => Ok((&self.ctx.stdout, false)),
            Desc::Stdio(_) => Ok((&self.ctx.stderr, true)),
            _ => Err(Errno::Badf),
        }
    }
}

/// Preview 1's error numbers (those used here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    Acces = 2,
    Again = 6,
    Already = 7,
    Badf = 8,
    Busy = 10,
    Deadlk = 16,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Nametoolong = 37,
    Nodev = 43,
    Noent = 44,
    Nolck = 46,
    Nomem = 48,
    Nospc = 51,
    Nosys = 52,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Perm = 63,
    Pipe = 64,
    Rofs = 69,
    Spipe = 70,
    Txtbsy = 74,
    Xdev = 75,
}

impl From<ErrorCode> for Errno {
    /// WASI 0.2's error code as preview 1's errno (as the preview-1 adapter maps them).
    fn from(e: ErrorCode) -> Errno {
        use ErrorCode as E;
        match e {
            E::Access => Errno::Acces,
            E::WouldBlock => Errno::Again,
            E::Already => Errno::Already,
            E::BadDescriptor => Errno::Badf,
            E::Busy => Errno::Busy,
            E::Deadlock => Errno::Deadlk,
            E::Quota => Errno::Dquot,
            E::Exist => Errno::Exist,
            E::FileTooLarge => Errno::Fbig,
            E::IllegalByteSequence => Errno::Ilseq,
            E::InProgress => Errno::Inprogress,
            E::Interrupted => Errno::Intr,
            E::Invalid => Errno::Inval,
            E::Io => Errno::Io,
            E::IsDirectory => Errno::Isdir,
            E::Loop => Errno::Loop,
            E::TooManyLinks => Errno::Mlink,
            E::MessageSize => Errno::Msgsize,
            E::NameTooLong => Errno::Nametoolong,
            E::NoDevice => Errno::Nodev,
            E::NoEntry => Errno::Noent,
            E::NoLock => Errno::Nolck,
            E::InsufficientMemory => Errno::Nomem,
            E::InsufficientSpace => Errno::Nospc,
            E::NotDirectory => Errno::Notdir,
            E::NotEmpty => Errno::Notempty,
            E::NotRecoverable => Errno::Notrecoverable,
            E::Unsupported => Errno::Notsup,
            E::NoTty => Errno::Notty,
            E::NoSuchDevice => Errno::Nxio,
            E::Overflow => Errno::Overflow,
            E::NotPermitted => Errno::Perm,
            E::Pipe => Errno::Pipe,
            E::ReadOnly => Errno::Rofs,
            E::InvalidSeek => Errno::Spipe,
            E::TextFileBusy => Errno::Txtbsy,
            E::CrossDevice => Errno::Xdev,
        }
    }
}

pub(crate) const MODULE: &str = "wasi_snapshot_preview1";

/// The most iovecs one read or write takes (POSIX's usual `IOV_MAX`): a guest cannot make
/// the host build a huge list.
const IOV_MAX: u32 = 1024;

/// Guest memory: bounds-checked access (`EFAULT` outside it).
pub(crate) struct Mem<'a>(&'a mut [u8]);

impl Mem<'_> {
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let (p, l) = (ptr as usize, len as usize);
        self.0
            .get(p..p.checked_add(l).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)
    }
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let (p, l) = (ptr as usize, len as usize);
        self.0
            .get_mut(p..p.checked_add(l).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)
    }
    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(
            self.slice(ptr, 4)?.try_into().unwrap_or_default(),
        ))
    }
    pub(crate) fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        self.slice_mut(ptr, bytes.len() as u32)?
            .copy_from_slice(bytes);
        Ok(())
    }
    pub(crate) fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    pub(crate) fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    /// The `(buf, len)` pairs of an iovec array (at most [`IOV_MAX`]).
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        if count > IOV_MAX {
            return Err(Errno::Inval);
        }
        (0..count)
            .map(|i| {
                let at = ptr
                    .checked_add(i.checked_mul(8).ok_or(Errno::Fault)?)
                    .ok_or(Errno::Fault)?;
                Ok((
                    self.read_u32(at)?,
                    self.read_u32(at.checked_add(4).ok_or(Errno::Fault)?)?,
                ))
            })
            .collect()
    }

    /// The bytes of the iovecs at `ptr`, in order, at most [`crate::p2::MAX_IO`] of them
    /// (a write of more is a partial write, as POSIX allows): however the iovecs overlap,
    /// the host copies a bounded amount.
    pub(crate) fn gather(&self, ptr: u32, count: u32) -> Result<Vec<u8>, Errno> {
        let mut bytes = Vec::new();
        for (buf, len) in self.iovecs(ptr, count)? {
            let room = crate::p2::MAX_IO as usize - bytes.len();
            let take = (len as usize).min(room) as u32;
            bytes.extend_from_slice(self.slice(buf, take)?);
            if take < len {
                break;
            }
        }
        Ok(bytes)
    }
}

/// The guest's exported memory and the preview-1 context, or `EINVAL` (no memory).
pub(crate) fn parts<'a, T: 'static>(
    caller: &'a mut Caller<'_, T>,
    get: &impl Fn(&mut T) -> &mut WasiP1Ctx,
) -> Result<(Mem<'a>, &'a mut WasiP1Ctx), Errno> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(Errno::Inval);
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    Ok((Mem(bytes), get(data)))
}

pub(crate) fn code(r: Result<(), Errno>) -> i32 {
    match r {
        Ok(()) => Errno::Success as i32,
        Err(e) => e as i32,
    }
}

/// Writes a list of strings as preview 1 does: pointers at `list`, NUL-terminated bytes
/// from `buf` on.
fn write_strings(mem: &mut Mem<'_>, items: &[String], list: u32, buf: u32) -> Result<(), Errno> {
    let mut at = buf;
    for (i, s) in items.iter().enumerate() {
        mem.write_u32(list.checked_add(4 * i as u32).ok_or(Errno::Fault)?, at)?;
        mem.write(at, s.as_bytes())?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write(end, &[0])?;
        at = end + 1;
    }
    Ok(())
}

/// Writes the count and total byte size of a list of strings.
fn write_sizes(mem: &mut Mem<'_>, items: &[String], count: u32, size: u32) -> Result<(), Errno> {
    let total: usize = items.iter().map(|s| s.len() + 1).sum();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    mem.write_u32(count, items.len() as u32)?;
    mem.write_u32(size, total)
}

fn env_strings(ctx: &WasiCtx) -> Vec<String> {
    ctx.env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Preview 1's function types, for the functions not implemented yet: `(name, params,
/// results)` with `I`/`L` for `i32`/`i64`.
const UNIMPLEMENTED: &[(&str, &str, &str)] = &[
    ("proc_raise", "I", "I"),
    ("sock_accept", "III", "I"),
    ("sock_recv", "IIIIII", "I"),
    ("sock_send", "IIIII", "I"),
    ("sock_shutdown", "II", "I"),
];

fn val_types(s: &str) -> Vec<ValType> {
    s.chars()
        .map(|c| if c == 'L' { ValType::I64 } else { ValType::I32 })
        .collect()
}

/// Defines `wasi_snapshot_preview1` in `linker`, over the [`WasiP1Ctx`] that `get`
/// finds in the store's data.
pub fn add_to_linker_sync<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> Result<()> {
    let g = get;
    linker.func_wrap(
        MODULE,
        "args_get",
        move |mut c: Caller<'_, T>, list: i32, buf: i32| {
            code(
                parts(&mut c, &g).and_then(|(mut m, w)| {
                    write_strings(&mut m, &w.ctx.args, list as u32, buf as u32)
                }),
            )
        },
    )?;
    linker.func_wrap(
        MODULE,
        "args_sizes_get",
        move |mut c: Caller<'_, T>, n: i32, size: i32| {
            code(
                parts(&mut c, &g)
                    .and_then(|(mut m, w)| write_sizes(&mut m, &w.ctx.args, n as u32, size as u32)),
            )
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        move |mut c: Caller<'_, T>, list: i32, buf: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                write_strings(&mut m, &env_strings(&w.ctx), list as u32, buf as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_sizes_get",
        move |mut c: Caller<'_, T>, n: i32, size: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                write_sizes(&mut m, &env_strings(&w.ctx), n as u32, size as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_res_get",
        move |mut c: Caller<'_, T>, id: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| match id {
                0 => m.write_u64(
                    out as u32,
                    w.ctx.clocks.wall_resolution().as_nanos().max(1) as u64,
                ),
                1..=3 => m.write_u64(out as u32, w.ctx.clocks.monotonic_resolution().max(1)),
                _ => Err(Errno::Inval),
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        move |mut c: Caller<'_, T>, id: i32, _precision: i64, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let t = match id {
                    0 => w.ctx.clocks.wall(),
                    // Process and thread CPU time: the monotonic clock (one thread).
                    1..=3 => w.ctx.clocks.monotonic(),
                    _ => return Err(Errno::Inval),
                };
                m.write_u64(out as u32, t)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "random_get",
        move |mut c: Caller<'_, T>, buf: i32, len: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let dest = m.slice_mut(buf as u32, len as u32)?;
                w.ctx.random.fill(dest);
                Ok(())
            }))
        },
    )?;
    linker.func_wrap(MODULE, "proc_exit", |code: i32| -> Result<()> {
        Err(crate::I32Exit(code).into())
    })?;
    linker.func_wrap(MODULE, "sched_yield", || -> i32 {
        std::thread::yield_now();
        0
    })?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, written: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let bytes = m.gather(iovs as u32, n as u32)?;
                let total = bytes.len() as u32;
                match w.desc_mut(fd)? {
                    Desc::Fs {
                        desc,
                        position,
                        append,
                        ..
                    } => {
                        let at = if *append { None } else { Some(*position) };
                        *position = desc.write_at(&bytes, at).map_err(|e| match e {
                            ErrorCode::IsDirectory => Errno::Badf,
                            e => e.into(),
                        })?;
                    }
                    Desc::Stdio(_) => {
                        let (stream, stderr) = w.stream(fd)?;
                        stream.write(&bytes, stderr).map_err(|_| Errno::Io)?;
                        stream.flush(stderr);
                    }
                }
                m.write_u32(written as u32, total)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, read: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let vecs = m.iovecs(iovs as u32, n as u32)?;
                let mut total = 0u32;
                for (buf, len) in vecs {
                    let dest = m.slice_mut(buf, len)?;
                    let got = match w.desc_mut(fd)? {
                        Desc::Fs { desc, position, .. } => {
                            let got = desc.read_at(dest, *position)?;
                            *position += got as u64;
                            got
                        }
                        Desc::Stdio(_) => {
                            let (stream, _) = w.stream(fd)?;
                            stream.read(dest).map_err(|_| Errno::Io)?
                        }
                    };
                    total = total.checked_add(got as u32).ok_or(Errno::Overflow)?;
                    if got < dest.len() {
                        break;
                    }
                }
                m.write_u32(read as u32, total)
            }))
        },
    )?;
    linker.func_wrap(MODULE, "fd_close", move |mut c: Caller<'_, T>, fd: i32| {
        let w = get(c.data_mut());
        code(w.desc(fd).map(|_| ()).map(|()| w.fds[fd as usize] = None))
    })?;
    for (name, data_only) in [("fd_sync", false), ("fd_datasync", true)] {
        linker.func_wrap(MODULE, name, move |mut c: Caller<'_, T>, fd: i32| {
            code(match get(c.data_mut()).desc(fd) {
                Ok(Desc::Fs { desc, .. }) => desc.sync(data_only).map_err(Errno::from),
                Ok(Desc::Stdio(_)) => Ok(()),
                Err(e) => Err(e),
            })
        })?;
    }
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                const READ: u64 = 1 << 1;
                const WRITE: u64 = 1 << 6;
                const POLL: u64 = 1 << 27;
                let mut flags = 0u16;
                let (filetype, rights, inheriting) = match w.desc(fd)? {
                    // A terminal is a character device (what `isatty` looks for); pipes
                    // and redirections are of unknown type. Reading (stdin) or writing,
                    // and polling.
                    Desc::Stdio(i) => {
                        let (stream, _) = w.stream(fd)?;
                        let t = if stream.is_terminal(*i) { 2u8 } else { 0 };
                        (t, POLL | if *i == 0 { READ } else { WRITE }, 0)
                    }
                    Desc::Fs { desc, append, .. } => {
                        if *append {
                            flags |= 1;
                        }
                        match desc {
                            Descriptor::Dir { .. } => {
                                (3, fs::DIR_RIGHTS, fs::FILE_RIGHTS | fs::DIR_RIGHTS)
                            }
                            Descriptor::File { .. } => (4, fs::FILE_RIGHTS, 0),
                        }
                    }
                };
                let mut stat = [0u8; 24];
                stat[0] = filetype;
                stat[2..4].copy_from_slice(&flags.to_le_bytes());
                stat[8..16].copy_from_slice(&rights.to_le_bytes());
                stat[16..24].copy_from_slice(&inheriting.to_le_bytes());
                m.write(out as u32, &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let stat = match w.desc(fd)? {
                    Desc::Stdio(_) => {
                        let mut stat = [0u8; 64];
                        stat[16] = 2; // a character device
                        stat
                    }
                    Desc::Fs { desc, .. } => fs::filestat(&desc.metadata()?),
                };
                m.write(out as u32, &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        move |mut c: Caller<'_, T>, fd: i32, offset: i64, whence: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let Desc::Fs { desc, position, .. } = w.desc_mut(fd)? else {
                    return Err(Errno::Spipe);
                };
                desc.file()?;
                let base = match whence {
                    0 => 0,
                    1 => *position as i128,
                    2 => desc.metadata()?.len() as i128,
                    _ => return Err(Errno::Inval),
                };
                let at = u64::try_from(base + offset as i128).map_err(|_| Errno::Inval)?;
                *position = at;
                m.write_u64(out as u32, at)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_tell",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| match w.desc(fd)? {
                Desc::Fs {
                    desc: Descriptor::File { .. },
                    position,
                    ..
                } => m.write_u64(out as u32, *position),
                Desc::Fs { .. } => Err(Errno::Isdir),
                Desc::Stdio(_) => Err(Errno::Spipe),
            }))
        },
    )?;
    fs::add_to_linker(linker, get)?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        move |mut c: Caller<'_, T>, subs: i32, events: i32, n: i32, count: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                poll_oneoff(
                    &mut m,
                    w,
                    subs as u32,
                    events as u32,
                    n as u32,
                    count as u32,
                )
            }))
        },
    )?;
    let engine = linker.engine().clone();
    for (name, params, results) in UNIMPLEMENTED {
        let ty = FuncType::new(&engine, val_types(params), val_types(results));
        linker.func_new(MODULE, name, ty, |_, _, results: &mut [Val]| {
            results[0] = Val::I32(Errno::Nosys as i32);
            Ok(())
        })?;
    }
    Ok(())
}

/// `poll_oneoff`: clock subscriptions wait (the thread sleeps until the earliest is due,
/// or a deterministic clock jumps there); reading the host's standard input (when
/// inherited) waits in `poll(2)` until it has data; other descriptors are ready at once,
/// and ones not open answer `EBADF`.
fn poll_oneoff(
    m: &mut Mem<'_>,
    w: &mut WasiP1Ctx,
    subs: u32,
    events: u32,
    n: u32,
    count: u32,
) -> Result<(), Errno> {
    if n == 0 {
        return Err(Errno::Inval);
    }
    const SUB: u32 = 48;
    const EVENT: u32 = 32;
    let now = w.ctx.clocks.monotonic();
    let wall = w.ctx.clocks.wall();
    let mut ready = Vec::new();
    let mut earliest: Option<u64> = None;
    let mut clocks = Vec::new();
    let mut stdin_readers = Vec::new();
    for i in 0..n {
        let at = subs
            .checked_add(i.checked_mul(SUB).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)?;
        let s = m.slice(at, SUB)?;
        let userdata = u64::from_le_bytes(s[0..8].try_into().unwrap_or_default());
        match s[8] {
            0 => {
                let id = u32::from_le_bytes(s[16..20].try_into().unwrap_or_default());
                let timeout = u64::from_le_bytes(s[24..32].try_into().unwrap_or_default());
                let flags = u16::from_le_bytes(s[40..42].try_into().unwrap_or_default());
                let wait = if flags & 1 != 0 {
                    // An absolute time on that clock.
                    let current = if id == 0 { wall } else { now };
                    timeout.saturating_sub(current)
                } else {
                    timeout
                };
                earliest = Some(earliest.map_or(wait, |e| e.min(wait)));
                clocks.push((userdata, wait));
            }
            tag @ (1 | 2) => {
                let fd = i32::from_le_bytes(s[16..20].try_into().unwrap_or_default());
                match w.desc(fd) {
                    Err(e) => ready.push((userdata, tag, e)),
                    Ok(Desc::Stdio(0)) if tag == 1 && matches!(w.ctx.stdin, Stream::Inherit) => {
                        stdin_readers.push(userdata)
                    }
                    Ok(_) => ready.push((userdata, tag, Errno::Success)),
                }
            }
            _ => return Err(Errno::Inval),
        }
    }
    if ready.is_empty() {
        let waited = earliest.unwrap_or(0);
        let virtual_time = w.ctx.clocks.is_virtual();
        let stdin_ready = !stdin_readers.is_empty() && {
            let stdin = std::io::stdin();
            let mut fds = [rustix::event::PollFd::new(
                &stdin,
                rustix::event::PollFlags::IN,
            )];
            let timeout = match earliest {
                _ if virtual_time => Some(rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                }),
                Some(ns) => Some(rustix::time::Timespec {
                    tv_sec: (ns / 1_000_000_000) as i64,
                    tv_nsec: (ns % 1_000_000_000) as i64,
                }),
                None => None,
            };
            rustix::event::poll(&mut fds, timeout.as_ref()).unwrap_or(0) > 0
        };
        if stdin_ready {
            for u in stdin_readers {
                ready.push((u, 1, Errno::Success));
            }
        } else if earliest.is_some() {
            if stdin_readers.is_empty() {
                // Nothing but clocks: wait for the earliest.
                w.ctx.clocks.sleep_until(now.saturating_add(waited));
            } else if virtual_time {
                w.ctx.clocks.sleep_until(now.saturating_add(waited));
            }
            for (userdata, t) in clocks {
                if t <= waited {
                    ready.push((userdata, 0, Errno::Success));
                }
            }
        }
    }
    for (i, (userdata, tag, err)) in ready.iter().enumerate() {
        let mut e = [0u8; EVENT as usize];
        e[0..8].copy_from_slice(&userdata.to_le_bytes());
        e[8..10].copy_from_slice(&(*err as u16).to_le_bytes());
        e[10] = *tag;
        let at = events
            .checked_add((i as u32).checked_mul(EVENT).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)?;
        m.write(at, &e)?;
    }
    m.write_u32(count, ready.len() as u32)
}
