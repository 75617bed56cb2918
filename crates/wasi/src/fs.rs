//! Files beneath the preopened directories: the one implementation both WASI versions
//! call (preview 2's `wasi:filesystem` in `p2/filesystem.rs`, preview 1's `path_*` and
//! `fd_*` in `p1/fs.rs`), so that both resolve paths, check permissions and fail alike.
//! Errors are WASI 0.2's `error-code`; preview 1 maps them to its errno as the
//! preview-1 adapter does.
//!
//! Every path is resolved by `cap-std` beneath the descriptor's directory (absolute paths,
//! `..` past the top and symlinks leading out are refused: `not-permitted`), whatever the
//! guest's flags; a symlink as the last component is followed only when asked. A
//! directory's permissions (its preopen's `FsPerms`) bound what may be opened for writing,
//! created, removed or renamed beneath it.

use std::sync::Arc;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, Reopen, SystemTimeSpec};
use cap_std::fs::{FileExt, MetadataExt};

use crate::ctx::{DirPerms, FilePerms};
use crate::p2::bindings::wasi::filesystem::types::{DescriptorFlags, DescriptorType, ErrorCode};

/// The most bytes of a path the guest may pass.
pub(crate) const MAX_PATH: usize = 4096;

/// A directory, or a file opened beneath one (`wasi:filesystem/types.descriptor`, and
/// what a preview-1 descriptor number names).
#[derive(Debug)]
pub enum Descriptor {
    Dir {
        dir: Arc<cap_std::fs::Dir>,
        dir_perms: DirPerms,
        file_perms: FilePerms,
    },
    File {
        file: Arc<cap_std::fs::File>,
        /// What it was opened for (within `file_perms` of its directory).
        flags: DescriptorFlags,
        /// Opened in append mode (`O_APPEND`): every write goes to the end, atomically.
        append: bool,
    },
}

/// What `open_at` is asked for (both versions' flags, spelled once).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Open {
    pub follow: bool,
    pub create: bool,
    pub directory: bool,
    pub exclusive: bool,
    pub truncate: bool,
    pub read: bool,
    pub write: bool,
    pub mutate_directory: bool,
    /// Open for appending (`O_APPEND`).
    pub append: bool,
}

/// A time to set: unchanged, now, or nanoseconds after the epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NewTime {
    NoChange,
    Now,
    At(std::time::Duration),
}

/// One directory entry.
pub(crate) struct Entry {
    pub name: String,
    pub kind: DescriptorType,
    pub inode: u64,
}

/// The guest's error code of a host I/O error.
pub(crate) fn error_code(e: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    // By the host's errno (named, so right on every Unix), then by the error's kind.
    if let Some(errno) = rustix::io::Errno::from_io_error(e) {
        use rustix::io::Errno as X;
        let code = match errno {
            X::PERM => Some(ErrorCode::NotPermitted),
            X::NOENT => Some(ErrorCode::NoEntry),
            X::IO => Some(ErrorCode::Io),
            X::BADF => Some(ErrorCode::BadDescriptor),
            X::ACCESS => Some(ErrorCode::Access),
            X::BUSY => Some(ErrorCode::Busy),
            X::EXIST => Some(ErrorCode::Exist),
            X::XDEV => Some(ErrorCode::CrossDevice),
            X::NOTDIR => Some(ErrorCode::NotDirectory),
            X::ISDIR => Some(ErrorCode::IsDirectory),
            X::INVAL => Some(ErrorCode::Invalid),
            X::FBIG => Some(ErrorCode::FileTooLarge),
            X::NOSPC => Some(ErrorCode::InsufficientSpace),
            X::SPIPE => Some(ErrorCode::InvalidSeek),
            X::ROFS => Some(ErrorCode::ReadOnly),
            X::MLINK => Some(ErrorCode::TooManyLinks),
            X::PIPE => Some(ErrorCode::Pipe),
            X::NAMETOOLONG => Some(ErrorCode::NameTooLong),
            X::NOTEMPTY => Some(ErrorCode::NotEmpty),
            X::LOOP => Some(ErrorCode::Loop),
            X::OVERFLOW => Some(ErrorCode::Overflow),
            X::ILSEQ => Some(ErrorCode::IllegalByteSequence),
            X::DQUOT => Some(ErrorCode::Quota),
            X::TXTBSY => Some(ErrorCode::TextFileBusy),
            X::NOTSUP => Some(ErrorCode::Unsupported),
            _ => None,
        };
        if let Some(code) = code {
            return code;
        }
    }
    match e.kind() {
        K::NotFound => ErrorCode::NoEntry,
        K::AlreadyExists => ErrorCode::Exist,
        // cap-std's answer to a path leading outside the directory.
        K::PermissionDenied => ErrorCode::NotPermitted,
        K::InvalidInput => ErrorCode::Invalid,
        K::OutOfMemory => ErrorCode::InsufficientMemory,
        K::Unsupported => ErrorCode::Unsupported,
        _ => ErrorCode::Io,
    }
}

pub(crate) fn io(e: std::io::Error) -> ErrorCode {
    error_code(&e)
}

/// A path the guest may pass: at most [`MAX_PATH`] bytes, no NUL.
pub(crate) fn check_path(path: &str) -> Result<(), ErrorCode> {
    if path.len() > MAX_PATH {
        return Err(ErrorCode::NameTooLong);
    }
    if path.contains('\0') {
        return Err(ErrorCode::IllegalByteSequence);
    }
    Ok(())
}

pub(crate) fn descriptor_type(ft: cap_std::fs::FileType) -> DescriptorType {
    use cap_fs_ext::FileTypeExt;
    if ft.is_dir() {
        DescriptorType::Directory
    } else if ft.is_file() {
        DescriptorType::RegularFile
    } else if ft.is_symlink() {
        DescriptorType::SymbolicLink
    } else if ft.is_block_device() {
        DescriptorType::BlockDevice
    } else if ft.is_char_device() {
        DescriptorType::CharacterDevice
    } else if ft.is_fifo() {
        DescriptorType::Fifo
    } else if ft.is_socket() {
        DescriptorType::Socket
    } else {
        DescriptorType::Unknown
    }
}

/// Nanoseconds since the epoch of a timestamp, if the host has it.
pub(crate) fn nanos(t: std::io::Result<cap_std::time::SystemTime>) -> Option<std::time::Duration> {
    t.ok()?
        .into_std()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
}

/// The status-change time (`st_ctime`) of `m`.
pub(crate) fn ctime(m: &cap_std::fs::Metadata) -> Option<std::time::Duration> {
    let secs = u64::try_from(m.ctime()).ok()?;
    Some(std::time::Duration::new(
        secs,
        u32::try_from(m.ctime_nsec()).unwrap_or(0).min(999_999_999),
    ))
}

fn time_spec(t: NewTime) -> Option<SystemTimeSpec> {
    match t {
        NewTime::NoChange => None,
        NewTime::Now => Some(SystemTimeSpec::SymbolicNow),
        NewTime::At(d) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(std::time::UNIX_EPOCH.checked_add(d)?),
        )),
    }
}

/// Refuses a time past what the host's clock type can hold (a guest's huge timestamp is
/// `overflow`, never a host panic).
fn check_time(t: NewTime) -> Result<(), ErrorCode> {
    match t {
        NewTime::At(d) if std::time::UNIX_EPOCH.checked_add(d).is_none() => {
            Err(ErrorCode::Overflow)
        }
        _ => Ok(()),
    }
}

impl Descriptor {
    /// A preopened directory.
    pub(crate) fn preopen(p: &crate::ctx::Preopen) -> Descriptor {
        Descriptor::Dir {
            dir: p.dir.clone(),
            dir_perms: p.dir_perms,
            file_perms: p.file_perms,
        }
    }

    /// The directory this is, with its permissions.
    pub(crate) fn dir(&self) -> Result<(&Arc<cap_std::fs::Dir>, DirPerms, FilePerms), ErrorCode> {
        match self {
            Descriptor::Dir {
                dir,
                dir_perms,
                file_perms,
            } => Ok((dir, *dir_perms, *file_perms)),
            Descriptor::File { .. } => Err(ErrorCode::NotDirectory),
        }
    }

    /// The directory this is, which must allow mutation.
    pub(crate) fn mutable_dir(&self) -> Result<&Arc<cap_std::fs::Dir>, ErrorCode> {
        let (dir, perms, _) = self.dir()?;
        if perms.contains(DirPerms::MUTATE) {
            Ok(dir)
        } else {
            Err(ErrorCode::NotPermitted)
        }
    }

    /// The file this is, with what it was opened for.
    pub(crate) fn file(&self) -> Result<(&Arc<cap_std::fs::File>, DescriptorFlags), ErrorCode> {
        match self {
            Descriptor::File { file, flags, .. } => Ok((file, *flags)),
            Descriptor::Dir { .. } => Err(ErrorCode::IsDirectory),
        }
    }

    /// The file this is, which must be open for reading.
    pub(crate) fn readable(&self) -> Result<&Arc<cap_std::fs::File>, ErrorCode> {
        match self.file()? {
            (f, flags) if flags.contains(DescriptorFlags::READ) => Ok(f),
            _ => Err(ErrorCode::BadDescriptor),
        }
    }

    /// The file this is, which must be open for writing.
    pub(crate) fn writable(&self) -> Result<&Arc<cap_std::fs::File>, ErrorCode> {
        match self.file()? {
            (f, flags) if flags.contains(DescriptorFlags::WRITE) => Ok(f),
            _ => Err(ErrorCode::BadDescriptor),
        }
    }

    /// What it is opened for (`get-flags`, `fd_fdstat_get`).
    pub(crate) fn flags(&self) -> DescriptorFlags {
        match self {
            Descriptor::File { flags, .. } => *flags,
            Descriptor::Dir { dir_perms, .. } => {
                let mut f = DescriptorFlags::READ;
                if dir_perms.contains(DirPerms::MUTATE) {
                    f |= DescriptorFlags::MUTATE_DIRECTORY;
                }
                f
            }
        }
    }

    pub(crate) fn metadata(&self) -> Result<cap_std::fs::Metadata, ErrorCode> {
        match self {
            Descriptor::File { file, .. } => file.metadata().map_err(io),
            Descriptor::Dir { dir, .. } => dir.dir_metadata().map_err(io),
        }
    }

    /// The metadata of `path` beneath this directory.
    pub(crate) fn stat_at(
        &self,
        follow: bool,
        path: &str,
    ) -> Result<cap_std::fs::Metadata, ErrorCode> {
        check_path(path)?;
        let (dir, _, _) = self.dir()?;
        if follow {
            dir.metadata(path)
        } else {
            dir.symlink_metadata(path)
        }
        .map_err(io)
    }

    /// Opens `path` beneath this directory.
    pub(crate) fn open_at(&self, path: &str, o: Open) -> Result<Descriptor, ErrorCode> {
        check_path(path)?;
        let (dir, dir_perms, file_perms) = self.dir()?;
        if (o.create || o.mutate_directory) && !dir_perms.contains(DirPerms::MUTATE) {
            return Err(ErrorCode::NotPermitted);
        }
        if (o.write || o.truncate) && !file_perms.contains(FilePerms::WRITE) {
            return Err(ErrorCode::NotPermitted);
        }
        let meta = if o.follow {
            dir.metadata(path)
        } else {
            dir.symlink_metadata(path)
        };
        let is_dir = meta.as_ref().map(|m| m.is_dir()).unwrap_or(false);
        if o.directory || (is_dir && !o.create) {
            if o.create || o.truncate || o.write {
                return Err(if is_dir {
                    ErrorCode::IsDirectory
                } else {
                    ErrorCode::Invalid
                });
            }
            let sub = if o.follow {
                dir.open_dir(path)
            } else {
                dir.open_dir_nofollow(path)
            }
            .map_err(io)?;
            return Ok(Descriptor::Dir {
                dir: Arc::new(sub),
                dir_perms: if o.mutate_directory {
                    dir_perms
                } else {
                    DirPerms::READ
                },
                file_perms,
            });
        }
        if o.truncate && !o.write {
            // POSIX leaves truncation without write access undefined; refuse it.
            return Err(ErrorCode::Invalid);
        }
        let read = o.read || !o.write;
        if read && !file_perms.contains(FilePerms::READ) {
            return Err(ErrorCode::NotPermitted);
        }
        let mut opts = cap_std::fs::OpenOptions::new();
        opts.read(read)
            .write(o.write)
            .append(o.write && o.append)
            .truncate(o.truncate)
            .create(o.create && !o.exclusive)
            .create_new(o.create && o.exclusive)
            .follow(if o.follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            });
        let file = dir.open_with(path, &opts).map_err(io)?;
        let mut flags = DescriptorFlags::empty();
        if read {
            flags |= DescriptorFlags::READ;
        }
        if o.write {
            flags |= DescriptorFlags::WRITE;
        }
        Ok(Descriptor::File {
            file: Arc::new(file),
            flags,
            append: o.write && o.append,
        })
    }

    /// The same file opened again in append mode (`O_APPEND`), for writes that must each
    /// land at the end even with other writers.
    pub(crate) fn appender(&self) -> Result<Descriptor, ErrorCode> {
        let file = self.writable()?;
        let mut opts = cap_std::fs::OpenOptions::new();
        opts.write(true).append(true);
        let (_, flags) = self.file()?;
        Ok(Descriptor::File {
            file: Arc::new(file.reopen(&opts).map_err(io)?),
            flags,
            append: true,
        })
    }

    /// Reads into `buf` from `offset` until it is full or the file ends; the count.
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize, ErrorCode> {
        let file = self.readable()?;
        let mut got = 0;
        while got < buf.len() {
            match file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(got)
    }

    /// Writes all of `bytes` at `offset`, or at the end if `offset` is `None` (atomically
    /// when the file is in append mode); the offset after them.
    pub(crate) fn write_at(&self, bytes: &[u8], offset: Option<u64>) -> Result<u64, ErrorCode> {
        let file = self.writable()?;
        match offset {
            Some(at) => {
                file.write_all_at(bytes, at).map_err(io)?;
                Ok(at + bytes.len() as u64)
            }
            None if matches!(self, Descriptor::File { append: true, .. }) => {
                use std::io::Write;
                (&**file).write_all(bytes).map_err(io)?;
                Ok(file.metadata().map_err(io)?.len())
            }
            None => {
                let at = file.metadata().map_err(io)?.len();
                file.write_all_at(bytes, at).map_err(io)?;
                Ok(at + bytes.len() as u64)
            }
        }
    }

    pub(crate) fn set_size(&self, size: u64) -> Result<(), ErrorCode> {
        self.writable()?.set_len(size).map_err(io)
    }

    /// Flushes data (and metadata unless `data_only`) to the device; nothing for a
    /// directory.
    pub(crate) fn sync(&self, data_only: bool) -> Result<(), ErrorCode> {
        match self {
            Descriptor::File { file, .. } if data_only => file.sync_data().map_err(io),
            Descriptor::File { file, .. } => file.sync_all().map_err(io),
            Descriptor::Dir { .. } => Ok(()),
        }
    }

    pub(crate) fn set_times(&self, atime: NewTime, mtime: NewTime) -> Result<(), ErrorCode> {
        check_time(atime)?;
        check_time(mtime)?;
        match self {
            Descriptor::File { .. } => {
                let file = self.writable()?;
                let now = std::time::SystemTime::now();
                let at = |t: NewTime| match t {
                    NewTime::NoChange => None,
                    NewTime::Now => Some(now),
                    NewTime::At(d) => std::time::UNIX_EPOCH.checked_add(d),
                };
                let mut times = std::fs::FileTimes::new();
                if let Some(a) = at(atime) {
                    times = times.set_accessed(a);
                }
                if let Some(m) = at(mtime) {
                    times = times.set_modified(m);
                }
                file.try_clone()
                    .and_then(|f| f.into_std().set_times(times))
                    .map_err(io)
            }
            Descriptor::Dir { .. } => self
                .mutable_dir()?
                .set_times(".", time_spec(atime), time_spec(mtime))
                .map_err(io),
        }
    }

    pub(crate) fn set_times_at(
        &self,
        follow: bool,
        path: &str,
        atime: NewTime,
        mtime: NewTime,
    ) -> Result<(), ErrorCode> {
        check_path(path)?;
        check_time(atime)?;
        check_time(mtime)?;
        let dir = self.mutable_dir()?;
        let (a, m) = (time_spec(atime), time_spec(mtime));
        if follow {
            dir.set_times(path, a, m)
        } else {
            dir.set_symlink_times(path, a, m)
        }
        .map_err(io)
    }

    /// The directory's entries (without `.` and `..`), sorted by name.
    pub(crate) fn entries(&self) -> Result<Vec<Entry>, ErrorCode> {
        let (dir, _, _) = self.dir()?;
        let mut out = Vec::new();
        for e in dir.entries().map_err(io)? {
            let e = e.map_err(io)?;
            let name = e
                .file_name()
                .into_string()
                .map_err(|_| ErrorCode::IllegalByteSequence)?;
            let kind = e
                .file_type()
                .map_or(DescriptorType::Unknown, descriptor_type);
            #[cfg(unix)]
            let inode = std::os::unix::fs::DirEntryExt::ino(&e);
            #[cfg(not(unix))]
            let inode = 0;
            out.push(Entry { name, kind, inode });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub(crate) fn create_directory_at(&self, path: &str) -> Result<(), ErrorCode> {
        check_path(path)?;
        self.mutable_dir()?.create_dir(path).map_err(io)
    }

    pub(crate) fn remove_directory_at(&self, path: &str) -> Result<(), ErrorCode> {
        check_path(path)?;
        self.mutable_dir()?.remove_dir(path).map_err(io)
    }

    pub(crate) fn unlink_file_at(&self, path: &str) -> Result<(), ErrorCode> {
        check_path(path)?;
        self.mutable_dir()?.remove_file_or_symlink(path).map_err(io)
    }

    pub(crate) fn rename_at(&self, old: &str, to: &Descriptor, new: &str) -> Result<(), ErrorCode> {
        check_path(old)?;
        check_path(new)?;
        self.mutable_dir()?
            .rename(old, to.mutable_dir()?, new)
            .map_err(io)
    }

    /// Makes `new` a symlink to `target` (stored as given: following it later is confined
    /// like any path).
    pub(crate) fn symlink_at(&self, target: &str, new: &str) -> Result<(), ErrorCode> {
        check_path(target)?;
        check_path(new)?;
        DirExt::symlink(&**self.mutable_dir()?, target, new).map_err(io)
    }

    pub(crate) fn link_at(
        &self,
        follow: bool,
        old: &str,
        to: &Descriptor,
        new: &str,
    ) -> Result<(), ErrorCode> {
        check_path(old)?;
        check_path(new)?;
        if follow {
            // Linking a symlink's target is not what `link` does on the hosts we run on.
            return Err(ErrorCode::Invalid);
        }
        self.mutable_dir()?
            .hard_link(old, to.mutable_dir()?, new)
            .map_err(io)
    }

    pub(crate) fn readlink_at(&self, path: &str) -> Result<String, ErrorCode> {
        check_path(path)?;
        let (dir, _, _) = self.dir()?;
        dir.read_link_contents(path)
            .map_err(io)?
            .into_os_string()
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence)
    }

    /// Whether both name the same file (device and inode).
    pub(crate) fn same_object(&self, other: &Descriptor) -> bool {
        match (self.metadata(), other.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
}
