//! Preview 1's filesystem: its `path_*` and `fd_*` calls over the filesystem code WASI 0.2
//! uses too (`crate::fs`, which says how paths are confined), with preview 1's own state
//! (a file position per descriptor, append mode, the preopens' names) and its errno.

use cap_std::fs::MetadataExt;
use spindle::{Caller, Linker, Result};

use super::{code, parts, Desc, Errno, Mem, WasiP1Ctx, MODULE};
use crate::ctx::DirPerms;
use crate::fs::{Descriptor, NewTime, Open};
use crate::p2::bindings::wasi::filesystem::types::DescriptorType;

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

/// Preview 1's file type number of a descriptor type.
pub(crate) fn filetype(t: DescriptorType) -> u8 {
    match t {
        DescriptorType::BlockDevice => 1,
        DescriptorType::CharacterDevice => 2,
        DescriptorType::Directory => 3,
        DescriptorType::RegularFile => 4,
        DescriptorType::SymbolicLink => 7,
        DescriptorType::Fifo | DescriptorType::Socket | DescriptorType::Unknown => 0,
    }
}

/// Preview 1's `filestat` (64 bytes) of `meta`.
pub(crate) fn filestat(meta: &cap_std::fs::Metadata) -> [u8; 64] {
    let ns = |t| crate::fs::nanos(t).map_or(0, |d| d.as_nanos() as u64);
    let mut s = [0u8; 64];
    s[0..8].copy_from_slice(&meta.dev().to_le_bytes());
    s[8..16].copy_from_slice(&meta.ino().to_le_bytes());
    s[16] = filetype(crate::fs::descriptor_type(meta.file_type()));
    s[24..32].copy_from_slice(&meta.nlink().to_le_bytes());
    s[32..40].copy_from_slice(&meta.len().to_le_bytes());
    s[40..48].copy_from_slice(&ns(meta.accessed()).to_le_bytes());
    s[48..56].copy_from_slice(&ns(meta.modified()).to_le_bytes());
    let ctim = crate::fs::ctime(meta).map_or(0, |d| d.as_nanos() as u64);
    s[56..64].copy_from_slice(&ctim.to_le_bytes());
    s
}

/// The path the guest passed at `ptr`, `len` bytes of UTF-8.
fn path(m: &Mem<'_>, ptr: i32, len: i32) -> Result<String, Errno> {
    let len = len as u32;
    if len as usize > crate::fs::MAX_PATH {
        return Err(Errno::Nametoolong);
    }
    let bytes = m.slice(ptr as u32, len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Errno::Inval)
}

/// The shared descriptor `fd` names (a directory or file; not a standard stream).
fn fs_desc(w: &WasiP1Ctx, fd: i32) -> Result<&Descriptor, Errno> {
    match w.desc(fd)? {
        Desc::Fs { desc, .. } => Ok(desc),
        Desc::Stdio(_) => Err(Errno::Notdir),
    }
}

/// `*_set_times`: the access and modification times `fst` asks for (given, or now).
fn times(atim: i64, mtim: i64, fst: i32) -> Result<(NewTime, NewTime), Errno> {
    const ATIM: i32 = 1;
    const ATIM_NOW: i32 = 2;
    const MTIM: i32 = 4;
    const MTIM_NOW: i32 = 8;
    if (fst & ATIM != 0 && fst & ATIM_NOW != 0) || (fst & MTIM != 0 && fst & MTIM_NOW != 0) {
        return Err(Errno::Inval);
    }
    let pick = |given: i32, now: i32, ns: i64| {
        if fst & given != 0 {
            NewTime::At(std::time::Duration::from_nanos(ns as u64))
        } else if fst & now != 0 {
            NewTime::Now
        } else {
            NewTime::NoChange
        }
    };
    Ok((pick(ATIM, ATIM_NOW, atim), pick(MTIM, MTIM_NOW, mtim)))
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
                Desc::Fs {
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
                Desc::Fs {
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
              lookup: i32,
              p: i32,
              plen: i32,
              oflags: i32,
              rights: i64,
              _inheriting: i64,
              fdflags: i32,
              out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let path = path(&m, p, plen)?;
                let dir = fs_desc(w, fd)?;
                const CREAT: i32 = 1;
                const DIRECTORY: i32 = 2;
                const EXCL: i32 = 4;
                const TRUNC: i32 = 8;
                const APPEND: i32 = 1;
                let write = rights & (1 << 6) != 0 || oflags & (CREAT | TRUNC) != 0;
                // A directory opened beneath one keeps its permission to change.
                let mutable = dir.dir()?.1.contains(DirPerms::MUTATE);
                let opened = dir.open_at(
                    &path,
                    Open {
                        follow: lookup & 1 != 0,
                        create: oflags & CREAT != 0,
                        directory: oflags & DIRECTORY != 0,
                        exclusive: oflags & EXCL != 0,
                        truncate: oflags & TRUNC != 0,
                        read: rights & (1 << 1) != 0 || !write,
                        write,
                        mutate_directory: mutable,
                        append: fdflags & APPEND != 0,
                    },
                )?;
                let new_fd = w.insert(Desc::Fs {
                    desc: opened,
                    preopen: None,
                    position: 0,
                    append: fdflags & APPEND != 0,
                    listing: None,
                })?;
                m.write_u32(out as u32, new_fd as u32)
            }))
        },
    )?;
    // Positional reads and writes leave the descriptor's position alone.
    linker.func_wrap(
        MODULE,
        "fd_pread",
        move |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, offset: i64, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let vecs = m.iovecs(iovs as u32, n as u32)?;
                let desc = fs_desc(w, fd).map_err(|_| Errno::Badf)?;
                let mut at = offset as u64;
                let mut total = 0u32;
                for (buf, len) in vecs {
                    let dest = m.slice_mut(buf, len)?;
                    let got = desc.read_at(dest, at)?;
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
                let bytes = m.gather(iovs as u32, n as u32)?;
                let desc = fs_desc(w, fd).map_err(|_| Errno::Badf)?;
                desc.write_at(&bytes, Some(offset as u64))?;
                m.write_u32(out as u32, bytes.len() as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        move |mut c: Caller<'_, T>, fd: i32, size: i64| {
            let w = get(c.data_mut());
            code((|| {
                Ok(fs_desc(w, fd)
                    .map_err(|_| Errno::Badf)?
                    .set_size(size as u64)?)
            })())
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
                let Desc::Fs { desc, listing, .. } = w.desc_mut(fd)? else {
                    return Err(Errno::Notdir);
                };
                // `.` and `..`, then the entries by name: cookies are positions in the
                // listing made at cookie 0.
                if cookie == 0 || listing.is_none() {
                    let mut entries: Vec<(String, u64, u8)> =
                        vec![(".".into(), 0, 3), ("..".into(), 0, 3)];
                    for e in desc.entries()? {
                        entries.push((e.name, e.inode, filetype(e.kind)));
                    }
                    *listing = Some(entries);
                }
                let entries = listing.as_deref().unwrap_or_default();
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
                let meta = fs_desc(w, fd)?.stat_at(flags & 1 != 0, &path)?;
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
                Ok(fs_desc(w, fd)?.create_directory_at(&path)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_remove_directory",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                Ok(fs_desc(w, fd)?.remove_directory_at(&path)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_unlink_file",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                Ok(fs_desc(w, fd)?.unlink_file_at(&path)?)
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
                Ok(fs_desc(w, fd)?.rename_at(&from, fs_desc(w, fd2)?, &to)?)
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
                Ok(fs_desc(w, fd)?.symlink_at(&target, &link)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_readlink",
        move |mut c: Caller<'_, T>, fd: i32, p: i32, plen: i32, buf: i32, len: i32, out: i32| {
            code(parts(&mut c, &g).and_then(|(mut m, w)| {
                let path = path(&m, p, plen)?;
                let target = fs_desc(w, fd)?.readlink_at(&path)?;
                let n = target.len().min(len as u32 as usize);
                m.write(buf as u32, &target.as_bytes()[..n])?;
                m.write_u32(out as u32, n as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_set_times",
        move |mut c: Caller<'_, T>,
              fd: i32,
              flags: i32,
              p: i32,
              plen: i32,
              atim: i64,
              mtim: i64,
              fst: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let path = path(&m, p, plen)?;
                let (a, t) = times(atim, mtim, fst)?;
                Ok(fs_desc(w, fd)?.set_times_at(flags & 1 != 0, &path, a, t)?)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        move |mut c: Caller<'_, T>, fd: i32, atim: i64, mtim: i64, fst: i32| {
            let w = get(c.data_mut());
            code((|| {
                let (a, t) = times(atim, mtim, fst)?;
                Ok(fs_desc(w, fd).map_err(|_| Errno::Badf)?.set_times(a, t)?)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_link",
        move |mut c: Caller<'_, T>,
              fd: i32,
              flags: i32,
              p: i32,
              plen: i32,
              fd2: i32,
              q: i32,
              qlen: i32| {
            code(parts(&mut c, &g).and_then(|(m, w)| {
                let from = path(&m, p, plen)?;
                let to = path(&m, q, qlen)?;
                Ok(fs_desc(w, fd)?.link_at(flags & 1 != 0, &from, fs_desc(w, fd2)?, &to)?)
            }))
        },
    )?;
    // Advice is only advice.
    linker.func_wrap(
        MODULE,
        "fd_advise",
        move |mut c: Caller<'_, T>, fd: i32, _offset: i64, _len: i64, advice: i32| {
            let w = get(c.data_mut());
            code((|| {
                fs_desc(w, fd).map_err(|_| Errno::Badf)?.file()?;
                if (0..=5).contains(&advice) {
                    Ok(())
                } else {
                    Err(Errno::Inval)
                }
            })())
        },
    )?;
    // WASI 0.2 has no `allocate`: the file grows to cover the range, as `posix_fallocate`
    // promises, through the shared `set_size`.
    linker.func_wrap(
        MODULE,
        "fd_allocate",
        move |mut c: Caller<'_, T>, fd: i32, offset: i64, len: i64| {
            let w = get(c.data_mut());
            code((|| {
                let desc = fs_desc(w, fd).map_err(|_| Errno::Badf)?;
                let end = (offset as u64)
                    .checked_add(len as u64)
                    .ok_or(Errno::Inval)?;
                if end > desc.metadata()?.len() {
                    desc.set_size(end)?;
                }
                Ok(())
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
    // Append mode is kept; sync and non-blocking flags are accepted and not acted on
    // (writes are synchronous and blocking here already).
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        move |mut c: Caller<'_, T>, fd: i32, flags: i32| {
            code(match get(c.data_mut()).desc_mut(fd) {
                Ok(Desc::Fs { desc, append, .. }) => {
                    *append = flags & 1 != 0;
                    // Appending needs the file in append mode (atomic writes at the end).
                    if *append && matches!(desc, Descriptor::File { append: false, .. }) {
                        match desc.appender() {
                            Ok(d) => *desc = d,
                            Err(e) => return code(Err(e.into())),
                        }
                    }
                    Ok(())
                }
                Ok(Desc::Stdio(_)) => Ok(()),
                Err(e) => Err(e),
            })
        },
    )?;
    Ok(())
}
