//! Preview 1's filesystem: preopened directories and what is reached beneath them.
//!
//! Every path is resolved by `cap-std` beneath the descriptor's directory: absolute paths,
//! `..` past the top and symlinks leading out are refused (`ENOTCAPABLE`), whatever the
//! guest's flags. A directory's permissions (from its preopen's `FsPerms`) bound
//! what may be opened, created or removed beneath it.

use std::sync::Arc;

use cap_std::fs::FileExt;
use spindle::{Caller, Linker, Result};

use super::{code, parts, Desc, Errno, Mem, WasiP1Ctx, MODULE};
use crate::ctx::{DirPerms, FilePerms};

/// Rights reported for files and directories (preview 1's rights are advisory here: the
/// permissions decide).
pub(crate) const FILE_RIGHTS: u64 = 0x0000_0000_0bff_ffff & !DIR_ONLY_RIGHTS;
pub(crate) const DIR_RIGHTS: u64 = DIR_ONLY_RIGHTS | (1 << 3) | (1 << 4) | (1 << 0) | (1 << 22);
/// `path_*`, `fd_readdir`: rights that only directories have.
const DIR_ONLY_RIGHTS: u64 = (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 11)
    | (1 << 12)
    | (1 << 13)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 17)
    | (1 << 18)
    | (1 << 19)
    | (1 << 20)
    | (1 << 21)
    | (1 << 24)
    | (1 << 25)
    | (1 << 26);

/// The most bytes of a path the guest may pass.
const MAX_PATH: u32 = 4096;

/// Preview 1's `filestat` (64 bytes) of `meta`.
pub(crate) fn filestat(meta: &cap_std::fs::Metadata) -> [u8; 64] {
    use cap_std::fs::MetadataExt;
    let ft = meta.file_type();
    let filetype: u8 = if ft.is_dir() {
        3
    } else if ft.is_file() {
        4
    } else if ft.is_symlink() {
        7
    } else {
        0
    };
    let nanos = |t: std::io::Result<cap_std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.into_std().duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64)
    };
    let mut s = [0u8; 64];
    s[0..8].copy_from_slice(&meta.dev().to_le_bytes());
    s[8..16].copy_from_slice(&meta.ino().to_le_bytes());
    s[16] = filetype;
    s[24..32].copy_from_slice(&meta.nlink().to_le_bytes());
    s[32..40].copy_from_slice(&meta.len().to_le_bytes());
    s[40..48].copy_from_slice(&nanos(meta.accessed()).to_le_bytes());
    s[48..56].copy_from_slice(&nanos(meta.modified()).to_le_bytes());
    s[56..64].copy_from_slice(&nanos(meta.modified()).to_le_bytes());
    s
}

/// The path the guest passed at `ptr`, `len` bytes of UTF-8.
fn path(m: &Mem<'_>, ptr: i32, len: i32) -> Result<String, Errno> {
    let len = len as u32;
    if len > MAX_PATH {
        return Err(Errno::Nametoolong);
    }
    let bytes = m.slice(ptr as u32, len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Errno::Inval)
}

/// The directory `fd` is, with its permissions.
fn dir_of(w: &WasiP1Ctx, fd: i32) -> Result<(Arc<cap_std::fs::Dir>, DirPerms, FilePerms), Errno> {
    match w.desc(fd)? {
        Desc::Dir {
            dir,
            dir_perms,
            file_perms,
            ..
        } => Ok((dir.clone(), *dir_perms, *file_perms)),
        _ => Err(Errno::Notdir),
    }
}

/// The directory `fd`, which must allow mutation.
fn mutable_dir(w: &WasiP1Ctx, fd: i32) -> Result<Arc<cap_std::fs::Dir>, Errno> {
    let (dir, perms, _) = dir_of(w, fd)?;
    if !perms.contains(DirPerms::MUTATE) {
        return Err(Errno::Notcapable);
    }
    Ok(dir)
}

fn io(e: std::io::Error) -> Errno {
    Errno::from_io(&e)
}

pub(crate) fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> Result<()> {
    let g = get;
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        move |mut c: Caller<'_, T>, fd: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| match w.desc(fd)? {
                Desc::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let mut p = [0u8; 8];
                    p[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
                    m.write(out as u32, &p)
                }
                _ => Err(Errno::Badf),
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        move |mut c: Caller<'_, T>, fd: i32, out: i32, len: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| match w.desc(fd)? {
                Desc::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    if (len as u32 as usize) < name.len() {
                        return Err(Errno::Nametoolong);
                    }
                    m.write(out as u32, name.as_bytes())
                }
                _ => Err(Errno::Badf),
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_open",
        move |mut c: Caller<'_, T>,
              fd: i32,
              _lookup: i32,
              p: i32,
              plen: i32,
              oflags: i32,
              rights: i64,
              _inheriting: i64,
              fdflags: i32,
              out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let path = path(&m, p, plen)?;
                let (dir, dir_perms, file_perms) = dir_of(w, fd)?;
                const CREAT: i32 = 1;
                const DIRECTORY: i32 = 2;
                const EXCL: i32 = 4;
                const TRUNC: i32 = 8;
                const APPEND: i32 = 1;
                let wants_write = rights & (1 << 6) != 0 || oflags & (CREAT | TRUNC) != 0;
                let wants_read = rights & (1 << 1) != 0 || !wants_write;
                let is_dir = oflags & DIRECTORY != 0
                    || (oflags & CREAT == 0
                        && dir.metadata(&path).map(|md| md.is_dir()).unwrap_or(false));
                let desc = if is_dir {
                    if oflags & (CREAT | TRUNC | EXCL) != 0 {
                        return Err(Errno::Inval);
                    }
                    Desc::Dir {
                        dir: Arc::new(dir.open_dir(&path).map_err(io)?),
                        preopen: None,
                        dir_perms,
                        file_perms,
                    }
                } else {
                    if wants_write && !file_perms.contains(FilePerms::WRITE) {
                        return Err(Errno::Notcapable);
                    }
                    if oflags & CREAT != 0 && !dir_perms.contains(DirPerms::MUTATE) {
                        return Err(Errno::Notcapable);
                    }
                    if wants_read && !file_perms.contains(FilePerms::READ) {
                        return Err(Errno::Notcapable);
                    }
                    let mut o = cap_std::fs::OpenOptions::new();
                    o.read(wants_read)
                        .write(wants_write)
                        .append(fdflags & APPEND != 0 && wants_write)
                        .truncate(oflags & TRUNC != 0)
                        .create(oflags & CREAT != 0 && oflags & EXCL == 0)
                        .create_new(oflags & CREAT != 0 && oflags & EXCL != 0);
                    Desc::File {
                        file: dir.open_with(&path, &o).map_err(io)?,
                        read: wants_read,
                        write: wants_write,
                    }
                };
                let new_fd = w.insert(desc)?;
                m.write_u32(out as u32, new_fd as u32)
            }))
        },
    )?;
    // Positional reads and writes leave the descriptor's offset alone (no seeking).
    linker.func_wrap(
        MODULE,
        "fd_pread",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, offset: i64, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let vecs = m.iovecs(iovs as u32, n as u32)?;
                let Desc::File {
                    file, read: true, ..
                } = w.desc(fd)?
                else {
                    return Err(Errno::Badf);
                };
                let mut at = offset as u64;
                let mut total = 0u32;
                for (buf, len) in vecs {
                    let dest = m.slice_mut(buf, len)?;
                    let got = file.read_at(dest, at).map_err(io)?;
                    total += got as u32;
                    at += got as u64;
                    if got < dest.len() {
                        break;
                    }
                }
                m.write_u32(out as u32, total)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pwrite",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, offset: i64, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let mut bytes = Vec::new();
                for (buf, len) in m.iovecs(iovs as u32, n as u32)? {
                    bytes.extend_from_slice(m.slice(buf, len)?);
                }
                let Desc::File {
                    file, write: true, ..
                } = w.desc(fd)?
                else {
                    return Err(Errno::Badf);
                };
                file.write_all_at(&bytes, offset as u64).map_err(io)?;
                m.write_u32(out as u32, bytes.len() as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        move |mut c: Caller<'_, T>, fd: i32, size: i64| {
            code(match get(c.data_mut()).desc(fd) {
                Ok(Desc::File {
                    file, write: true, ..
                }) => file.set_len(size as u64).map_err(io),
                Ok(_) => Err(Errno::Badf),
                Err(e) => Err(e),
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_renumber",
        move |mut c: Caller<'_, T>, from: i32, to: i32| {
            let w = get(c.data_mut());
            let ok = w.desc(from).and(w.desc(to)).map(|_| ());
            code(ok.map(|()| {
                let d = w.fds[from as usize].take();
                w.fds[to as usize] = d;
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_readdir",
        move |mut c: Caller<'_, T>, fd: i32, buf: i32, len: i32, cookie: i64, used: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let (dir, _, _) = dir_of(w, fd)?;
                // `.` and `..`, then the entries by name: cookies are positions.
                let mut entries: Vec<(String, u64, u8)> =
                    vec![(".".into(), 0, 3), ("..".into(), 0, 3)];
                let mut rest = Vec::new();
                for e in dir.entries().map_err(io)? {
                    let e = e.map_err(io)?;
                    let ft = e.file_type().map_err(io)?;
                    let t = if ft.is_dir() {
                        3
                    } else if ft.is_file() {
                        4
                    } else if ft.is_symlink() {
                        7
                    } else {
                        0
                    };
                    #[cfg(unix)]
                    let ino = std::os::unix::fs::DirEntryExt::ino(&e);
                    #[cfg(not(unix))]
                    let ino = 0;
                    rest.push((e.file_name().to_string_lossy().into_owned(), ino, t));
                }
                rest.sort();
                entries.extend(rest);
                let mut out = Vec::new();
                for (i, (name, ino, t)) in entries.iter().enumerate().skip(cookie.max(0) as usize) {
                    out.extend_from_slice(&(i as u64 + 1).to_le_bytes());
                    out.extend_from_slice(&ino.to_le_bytes());
                    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
                    out.extend_from_slice(&[*t, 0, 0, 0]);
                    out.extend_from_slice(name.as_bytes());
                    if out.len() >= len as u32 as usize {
                        break;
                    }
                }
                let n = out.len().min(len as u32 as usize);
                m.write(buf as u32, &out[..n])?;
                m.write_u32(used as u32, n as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_get",
        move |mut c: Caller<'_, T>, fd: i32, flags: i32, p: i32, plen: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let path = path(&m, p, plen)?;
                let (dir, _, _) = dir_of(w, fd)?;
                let meta = if flags & 1 != 0 {
                    dir.metadata(&path)
                } else {
                    dir.symlink_metadata(&path)
                }
                .map_err(io)?;
                m.write(out as u32, &filestat(&meta))
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_create_directory",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                mutable_dir(w, fd)?.create_dir(&path).map_err(io)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_remove_directory",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                mutable_dir(w, fd)?.remove_dir(&path).map_err(io)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_unlink_file",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                mutable_dir(w, fd)?.remove_file(&path).map_err(io)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_rename",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32, fd2: i32, q: i32, qlen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let from = path(&m, p, plen)?;
                let to = path(&m, q, qlen)?;
                let a = mutable_dir(w, fd)?;
                let b = mutable_dir(w, fd2)?;
                a.rename(&from, &b, &to).map_err(io)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_symlink",
        move |mut c: Caller<'_, T>, p: i32, plen: i32, fd: i32, q: i32, qlen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let target = path(&m, p, plen)?;
                let link = path(&m, q, qlen)?;
                // The link is made beneath the directory; what it points to is checked
                // whenever it is followed (cap-std refuses targets outside).
                mutable_dir(w, fd)?.symlink(&target, &link).map_err(io)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_readlink",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32, buf: i32, len: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let path = path(&m, p, plen)?;
                let (dir, _, _) = dir_of(w, fd)?;
                let target = dir.read_link_contents(&path).map_err(io)?;
                let bytes = target.to_string_lossy().into_owned().into_bytes();
                let n = bytes.len().min(len as u32 as usize);
                m.write(buf as u32, &bytes[..n])?;
                m.write_u32(out as u32, n as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_set_times",
        move |mut c: Caller<'_, T>,
              fd: i32,
              _flags: i32,
              p: i32,
              plen: i32,
              atim: i64,
              mtim: i64,
              fst: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                let dir = mutable_dir(w, fd)?;
                let file = dir.open(&path).map_err(io)?.into_std();
                set_times(&file, atim, mtim, fst)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        move |mut c: Caller<'_, T>, fd: i32, atim: i64, mtim: i64, fst: i32| {
            code(match get(c.data_mut()).desc(fd) {
                Ok(Desc::File {
                    file, write: true, ..
                }) => file
                    .try_clone()
                    .map_err(io)
                    .and_then(|f| set_times(&f.into_std(), atim, mtim, fst)),
                Ok(_) => Err(Errno::Badf),
                Err(e) => Err(e),
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_link",
        move |mut c: Caller<'_, T>,
              fd: i32,
              _flags: i32,
              p: i32,
              plen: i32,
              fd2: i32,
              q: i32,
              qlen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let from = path(&m, p, plen)?;
                let to = path(&m, q, qlen)?;
                let a = mutable_dir(w, fd)?;
                let b = mutable_dir(w, fd2)?;
                a.hard_link(&from, &b, &to).map_err(io)
            }))
        },
    )?;
    // Advice is only advice.
    linker.func_wrap(
        MODULE,
        "fd_advise",
        move |mut c: Caller<'_, T>, fd: i32, _offset: i64, _len: i64, advice: i32| {
            code(match get(c.data_mut()).desc(fd) {
                Ok(Desc::File { .. }) if (0..=5).contains(&advice) => Ok(()),
                Ok(Desc::File { .. }) => Err(Errno::Inval),
                Ok(_) => Err(Errno::Badf),
                Err(e) => Err(e),
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_allocate",
        move |mut c: Caller<'_, T>, fd: i32, offset: i64, len: i64| {
            code((|| match get(c.data_mut()).desc(fd)? {
                Desc::File {
                    file, write: true, ..
                } => {
                    let end = (offset as u64)
                        .checked_add(len as u64)
                        .ok_or(Errno::Inval)?;
                    let size = file.metadata().map_err(io)?.len();
                    if end > size {
                        file.set_len(end).map_err(io)
                    } else {
                        Ok(())
                    }
                }
                _ => Err(Errno::Badf),
            })())
        },
    )?;
    // Rights may only shrink; they are advisory here (the permissions decide), so any
    // request is accepted for an open descriptor.
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        move |mut c: Caller<'_, T>, fd: i32, _base: i64, _inheriting: i64| {
            code(get(c.data_mut()).desc(fd).map(|_| ()))
        },
    )?;
    // Descriptor flags (append, sync, non-blocking) are accepted and not acted on: writes
    // are synchronous and blocking here already.
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        move |mut c: Caller<'_, T>, fd: i32, _flags: i32| {
            code(get(c.data_mut()).desc(fd).map(|_| ()))
        },
    )?;
    Ok(())
}

/// `*_set_times`: the access and modification times `fst` asks for (given, or now).
fn set_times(file: &std::fs::File, atim: i64, mtim: i64, fst: i32) -> Result<(), Errno> {
    const ATIM: i32 = 1;
    const ATIM_NOW: i32 = 2;
    const MTIM: i32 = 4;
    const MTIM_NOW: i32 = 8;
    if (fst & ATIM != 0 && fst & ATIM_NOW != 0) || (fst & MTIM != 0 && fst & MTIM_NOW != 0) {
        return Err(Errno::Inval);
    }
    let at = |ns: i64| std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns as u64);
    let now = std::time::SystemTime::now();
    let mut times = std::fs::FileTimes::new();
    if fst & ATIM != 0 {
        times = times.set_accessed(at(atim));
    } else if fst & ATIM_NOW != 0 {
        times = times.set_accessed(now);
    }
    if fst & MTIM != 0 {
        times = times.set_modified(at(mtim));
    } else if fst & MTIM_NOW != 0 {
        times = times.set_modified(now);
    }
    file.set_times(times).map_err(io)
}
