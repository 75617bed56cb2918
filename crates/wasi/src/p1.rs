//! `wasi_snapshot_preview1` over a [`WasiCtx`]: [`add_to_linker_sync`] defines every
//! function of the module (wasmtime-wasi's `p1::add_to_linker_sync` shape).
//!
//! Implemented: `args_*`, `environ_*`, `clock_res_get`, `clock_time_get`, `random_get`,
//! `proc_exit`, `sched_yield`, `poll_oneoff` (clock subscriptions sleep; stream ones are
//! ready at once), and on the standard streams (descriptors 0–2) `fd_read`, `fd_write`,
//! `fd_close`, `fd_fdstat_get`, `fd_filestat_get`, `fd_seek`/`fd_tell` (`ESPIPE`),
//! `fd_sync`/`fd_datasync`, `fd_prestat_get` (`EBADF`: no preopened directories yet).
//! Every other function answers `ENOSYS`.

use spindle::{Caller, Extern, FuncType, Linker, Result, Val, ValType};

use crate::ctx::{Stream, WasiCtx};

/// A preview-1 context: the [`WasiCtx`] and the descriptor state preview 1 adds.
#[derive(Debug)]
pub struct WasiP1Ctx {
    pub(crate) ctx: WasiCtx,
    /// Standard streams the guest closed.
    closed: [bool; 3],
}

impl WasiP1Ctx {
    pub(crate) fn new(ctx: WasiCtx) -> Self {
        WasiP1Ctx {
            ctx,
            closed: [false; 3],
        }
    }

    /// The context.
    pub fn ctx(&mut self) -> &mut WasiCtx {
        &mut self.ctx
    }

    /// The standard stream `fd` is, if open.
    fn stream(&self, fd: i32) -> Result<(&Stream, bool), Errno> {
        let (s, stderr) = match fd {
            0 => (&self.ctx.stdin, false),
            1 => (&self.ctx.stdout, false),
            2 => (&self.ctx.stderr, true),
            _ => return Err(Errno::Badf),
        };
        if self.closed[fd as usize] {
            return Err(Errno::Badf);
        }
        Ok((s, stderr))
    }
}

/// Preview 1's error numbers (those used here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    Badf = 8,
    Fault = 21,
    Inval = 28,
    Io = 29,
    Nosys = 52,
    Overflow = 61,
    Spipe = 70,
}

const MODULE: &str = "wasi_snapshot_preview1";

/// The most iovecs one read or write takes (POSIX's usual `IOV_MAX`): a guest cannot make
/// the host build a huge list.
const IOV_MAX: u32 = 1024;

/// Guest memory: bounds-checked access (`EFAULT` outside it).
struct Mem<'a>(&'a mut [u8]);

impl Mem<'_> {
    fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let (p, l) = (ptr as usize, len as usize);
        self.0
            .get(p..p.checked_add(l).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)
    }
    fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let (p, l) = (ptr as usize, len as usize);
        self.0
            .get_mut(p..p.checked_add(l).ok_or(Errno::Fault)?)
            .ok_or(Errno::Fault)
    }
    fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(
            self.slice(ptr, 4)?.try_into().unwrap_or_default(),
        ))
    }
    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        self.slice_mut(ptr, bytes.len() as u32)?
            .copy_from_slice(bytes);
        Ok(())
    }
    fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }
    /// The `(buf, len)` pairs of an iovec array (at most [`IOV_MAX`]).
    fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
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
}

/// The guest's exported memory and the preview-1 context, or `EINVAL` (no memory).
fn parts<'a, T: 'static>(
    caller: &'a mut Caller<'_, T>,
    get: &impl Fn(&mut T) -> &mut WasiP1Ctx,
) -> Result<(Mem<'a>, &'a mut WasiP1Ctx), Errno> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(Errno::Inval);
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    Ok((Mem(bytes), get(data)))
}

fn code(r: Result<(), Errno>) -> i32 {
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
    ("fd_advise", "ILLI", "I"),
    ("fd_allocate", "ILL", "I"),
    ("fd_fdstat_set_flags", "II", "I"),
    ("fd_fdstat_set_rights", "ILL", "I"),
    ("fd_filestat_set_size", "IL", "I"),
    ("fd_filestat_set_times", "ILLI", "I"),
    ("fd_pread", "IIILI", "I"),
    ("fd_prestat_dir_name", "III", "I"),
    ("fd_pwrite", "IIILI", "I"),
    ("fd_readdir", "IIILI", "I"),
    ("fd_renumber", "II", "I"),
    ("path_create_directory", "III", "I"),
    ("path_filestat_get", "IIIII", "I"),
    ("path_filestat_set_times", "IIIILLI", "I"),
    ("path_link", "IIIIIII", "I"),
    ("path_open", "IIIIILLII", "I"),
    ("path_readlink", "IIIIII", "I"),
    ("path_remove_directory", "III", "I"),
    ("path_rename", "IIIIII", "I"),
    ("path_symlink", "IIIII", "I"),
    ("path_unlink_file", "III", "I"),
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
            code(parts(&mut c, &g).and_then(|(mut m, _)| match id {
                0..=3 => m.write_u64(out as u32, 1_000),
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
                let (stream, stderr) = w.stream(fd)?;
                let mut bytes = Vec::new();
                for (buf, len) in m.iovecs(iovs as u32, n as u32)? {
                    bytes.extend_from_slice(m.slice(buf, len)?);
                }
                let total = u32::try_from(bytes.len()).map_err(|_| Errno::Overflow)?;
                stream.write(&bytes, stderr).map_err(|_| Errno::Io)?;
                stream.flush(stderr);
                m.write_u32(written as u32, total)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, read: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let (stream, _) = w.stream(fd)?;
                let vecs = m.iovecs(iovs as u32, n as u32)?;
                let mut total = 0u32;
                for (buf, len) in vecs {
                    let dest = m.slice_mut(buf, len)?;
                    let got = stream.read(dest).map_err(|_| Errno::Io)?;
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
        code(
            w.stream(fd)
                .map(|_| ())
                .map(|()| w.closed[fd as usize] = true),
        )
    })?;
    for name in ["fd_sync", "fd_datasync"] {
        linker.func_wrap(MODULE, name, move |mut c: Caller<'_, T>, fd: i32| {
            code(get(c.data_mut()).stream(fd).map(|_| ()))
        })?;
    }
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                w.stream(fd)?;
                // A character device; reading (stdin) or writing, and polling.
                const READ: u64 = 1 << 1;
                const WRITE: u64 = 1 << 6;
                const POLL: u64 = 1 << 27;
                let rights = POLL | if fd == 0 { READ } else { WRITE };
                let mut stat = [0u8; 24];
                stat[0] = 2;
                stat[8..16].copy_from_slice(&rights.to_le_bytes());
                m.write(out as u32, &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                w.stream(fd)?;
                let mut stat = [0u8; 64];
                stat[16] = 2; // a character device
                m.write(out as u32, &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        move |mut c: Caller<'_, T>, fd: i32, _offset: i64, _whence: i32, _out: i32| {
            code(get(c.data_mut()).stream(fd).and(Err(Errno::Spipe)))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_tell",
        move |mut c: Caller<'_, T>, fd: i32, _out: i32| {
            code(get(c.data_mut()).stream(fd).and(Err(Errno::Spipe)))
        },
    )?;
    // No preopened directories yet: the guest's search for them ends at once.
    linker.func_wrap(MODULE, "fd_prestat_get", |_fd: i32, _out: i32| {
        Errno::Badf as i32
    })?;
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

/// `poll_oneoff`: clock subscriptions wait (the thread sleeps until the earliest is due);
/// stream subscriptions are ready at once (the standard streams block in `fd_read`).
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
            tag @ (1 | 2) => ready.push((userdata, tag, Errno::Success)),
            _ => return Err(Errno::Inval),
        }
    }
    if ready.is_empty() {
        if let Some(wait) = earliest {
            if matches!(w.ctx.clocks, crate::ctx::Clocks::Real { .. }) {
                std::thread::sleep(std::time::Duration::from_nanos(wait));
            }
            for (userdata, t) in clocks {
                if t <= wait {
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
