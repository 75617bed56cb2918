//! `wasi:filesystem`: descriptors beneath the preopened directories.
//!
//! Every path is resolved by `cap-std` beneath the descriptor's directory (absolute paths,
//! `..` past the top and symlinks leading out are refused: `not-permitted`), whatever the
//! guest's flags; a symlink as the last component is followed only with
//! `symlink-follow`. A directory's permissions (its preopen's `FsPerms`) bound what may be
//! opened for writing, created, removed or renamed beneath it.

use std::sync::Arc;

use cap_fs_ext::{DirExt, FollowSymlinks, MetadataExt, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::FileExt;
use spindle::component::Resource;
use spindle::Result;

use super::bindings::wasi::clocks::wall_clock::Datetime;
use super::bindings::wasi::filesystem::{preopens, types};
use super::io::{InputStream, IoError, OutputStream};
use super::{WasiCtxView, MAX_IO};
use crate::ctx::{DirPerms, FilePerms};

use types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};

/// The most bytes of a path the guest may pass.
const MAX_PATH: usize = 4096;

/// A descriptor (`wasi:filesystem/types.descriptor`): a directory, or a file opened
/// beneath one.
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
    },
}

/// A directory's entries, read when the stream was made
/// (`wasi:filesystem/types.directory-entry-stream`).
#[derive(Debug)]
pub struct DirectoryEntryStream {
    entries: std::vec::IntoIter<DirectoryEntry>,
}

/// The guest's error code of a host I/O error.
pub(crate) fn error_code(e: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    match e.raw_os_error() {
        Some(1) => return ErrorCode::NotPermitted,
        Some(2) => return ErrorCode::NoEntry,
        Some(5) => return ErrorCode::Io,
        Some(9) => return ErrorCode::BadDescriptor,
        Some(13) => return ErrorCode::Access,
        Some(16) => return ErrorCode::Busy,
        Some(17) => return ErrorCode::Exist,
        Some(18) => return ErrorCode::CrossDevice,
        Some(20) => return ErrorCode::NotDirectory,
        Some(21) => return ErrorCode::IsDirectory,
        Some(22) => return ErrorCode::Invalid,
        Some(27) => return ErrorCode::FileTooLarge,
        Some(28) => return ErrorCode::InsufficientSpace,
        Some(29) => return ErrorCode::InvalidSeek,
        Some(30) => return ErrorCode::ReadOnly,
        Some(31) => return ErrorCode::TooManyLinks,
        Some(32) => return ErrorCode::Pipe,
        Some(36) => return ErrorCode::NameTooLong,
        Some(39) => return ErrorCode::NotEmpty,
        Some(40) => return ErrorCode::Loop,
        Some(75) => return ErrorCode::Overflow,
        Some(84) => return ErrorCode::IllegalByteSequence,
        Some(122) => return ErrorCode::Quota,
        _ => {}
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

fn io(e: std::io::Error) -> ErrorCode {
    error_code(&e)
}

fn check_path(path: &str) -> Result<(), ErrorCode> {
    if path.len() > MAX_PATH {
        return Err(ErrorCode::NameTooLong);
    }
    if path.contains('\0') {
        return Err(ErrorCode::IllegalByteSequence);
    }
    Ok(())
}

fn datetime(t: std::io::Result<cap_std::time::SystemTime>) -> Option<Datetime> {
    let d = t
        .ok()?
        .into_std()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(Datetime {
        seconds: d.as_secs(),
        nanoseconds: d.subsec_nanos(),
    })
}

fn descriptor_type(ft: cap_std::fs::FileType) -> DescriptorType {
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

fn stat(m: &cap_std::fs::Metadata) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(m.file_type()),
        link_count: m.nlink(),
        size: m.len(),
        data_access_timestamp: datetime(m.accessed()),
        data_modification_timestamp: datetime(m.modified()),
        status_change_timestamp: datetime(m.created()).or_else(|| datetime(m.modified())),
    }
}

/// A stable hash of a file's identity (device and inode), as `metadata-hash` asks.
fn identity_hash(m: &cap_std::fs::Metadata) -> MetadataHashValue {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (m.dev(), m.ino()).hash(&mut h);
    let lower = h.finish();
    m.ino().hash(&mut h);
    MetadataHashValue {
        lower,
        upper: h.finish(),
    }
}

fn time_spec(t: &NewTimestamp) -> Option<SystemTimeSpec> {
    match t {
        NewTimestamp::NoChange => None,
        NewTimestamp::Now => Some(SystemTimeSpec::SymbolicNow),
        NewTimestamp::Timestamp(d) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(
                std::time::UNIX_EPOCH
                    + std::time::Duration::new(d.seconds, d.nanoseconds.min(999_999_999)),
            ),
        )),
    }
}

impl WasiCtxView<'_> {
    /// The directory `d` is, with its permissions.
    fn dir(
        &self,
        d: &Resource<Descriptor>,
    ) -> FsResult<(Arc<cap_std::fs::Dir>, DirPerms, FilePerms)> {
        Ok(match self.table.get(d)? {
            Descriptor::Dir {
                dir,
                dir_perms,
                file_perms,
            } => Ok((dir.clone(), *dir_perms, *file_perms)),
            Descriptor::File { .. } => Err(ErrorCode::NotDirectory),
        })
    }

    /// The directory `d`, which must allow mutation.
    fn mutable_dir(
        &self,
        d: &Resource<Descriptor>,
    ) -> Result<Result<Arc<cap_std::fs::Dir>, ErrorCode>> {
        Ok(self.dir(d)?.and_then(|(dir, perms, _)| {
            if perms.contains(DirPerms::MUTATE) {
                Ok(dir)
            } else {
                Err(ErrorCode::NotPermitted)
            }
        }))
    }

    /// The file `d` is, with what it was opened for.
    fn file(
        &self,
        d: &Resource<Descriptor>,
    ) -> Result<Result<(Arc<cap_std::fs::File>, DescriptorFlags), ErrorCode>> {
        Ok(match self.table.get(d)? {
            Descriptor::File { file, flags } => Ok((file.clone(), *flags)),
            Descriptor::Dir { .. } => Err(ErrorCode::IsDirectory),
        })
    }

    fn metadata(
        &self,
        d: &Resource<Descriptor>,
    ) -> Result<Result<cap_std::fs::Metadata, ErrorCode>> {
        Ok(match self.table.get(d)? {
            Descriptor::File { file, .. } => file.metadata().map_err(io),
            Descriptor::Dir { dir, .. } => dir.dir_metadata().map_err(io),
        })
    }
}

/// Runs `body`, whose `?` on a `Result<_, ErrorCode>` returns the guest's error.
macro_rules! fs_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return Ok(Err(code)),
        }
    };
}

impl types::Host for WasiCtxView<'_> {
    fn filesystem_error_code(&mut self, err: Resource<IoError>) -> Result<Option<ErrorCode>> {
        Ok(Some(error_code(&self.table.get(&err)?.0)))
    }
}

type FsResult<T> = Result<Result<T, ErrorCode>>;

impl types::HostDescriptor for WasiCtxView<'_> {
    fn read_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<InputStream>> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::READ) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        Ok(Ok(self.push(InputStream::File {
            file,
            position: offset,
        })?))
    }

    fn write_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<OutputStream>> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::WRITE) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        Ok(Ok(self.push(OutputStream::File {
            file,
            position: Some(offset),
        })?))
    }

    fn append_via_stream(&mut self, d: Resource<Descriptor>) -> FsResult<Resource<OutputStream>> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::WRITE) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        Ok(Ok(self.push(OutputStream::File {
            file,
            position: None,
        })?))
    }

    fn advise(
        &mut self,
        d: Resource<Descriptor>,
        _offset: u64,
        _length: u64,
        _advice: Advice,
    ) -> FsResult<()> {
        // Advice only: accepted for files, nothing to do.
        fs_try!(self.file(&d)?);
        Ok(Ok(()))
    }

    fn sync_data(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        Ok(match self.table.get(&d)? {
            Descriptor::File { file, .. } => file.sync_data().map_err(io),
            Descriptor::Dir { .. } => Ok(()),
        })
    }

    fn get_flags(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        Ok(Ok(match self.table.get(&d)? {
            Descriptor::File { flags, .. } => *flags,
            Descriptor::Dir { dir_perms, .. } => {
                let mut f = DescriptorFlags::READ;
                if dir_perms.contains(DirPerms::MUTATE) {
                    f |= DescriptorFlags::MUTATE_DIRECTORY;
                }
                f
            }
        }))
    }

    fn get_type(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorType> {
        let m = fs_try!(self.metadata(&d)?);
        Ok(Ok(descriptor_type(m.file_type())))
    }

    fn set_size(&mut self, d: Resource<Descriptor>, size: u64) -> FsResult<()> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::WRITE) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        Ok(file.set_len(size).map_err(io))
    }

    fn set_times(
        &mut self,
        d: Resource<Descriptor>,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        Ok(match self.table.get(&d)? {
            Descriptor::File { file, flags } => {
                if !flags.contains(DescriptorFlags::WRITE) {
                    return Ok(Err(ErrorCode::BadDescriptor));
                }
                let now = std::time::SystemTime::now();
                let at = |t: &NewTimestamp| match t {
                    NewTimestamp::NoChange => None,
                    NewTimestamp::Now => Some(now),
                    NewTimestamp::Timestamp(d) => Some(
                        std::time::UNIX_EPOCH
                            + std::time::Duration::new(d.seconds, d.nanoseconds.min(999_999_999)),
                    ),
                };
                let mut times = std::fs::FileTimes::new();
                if let Some(a) = at(&atime) {
                    times = times.set_accessed(a);
                }
                if let Some(m) = at(&mtime) {
                    times = times.set_modified(m);
                }
                file.try_clone()
                    .and_then(|f| f.into_std().set_times(times))
                    .map_err(io)
            }
            Descriptor::Dir { dir, dir_perms, .. } => {
                if !dir_perms.contains(DirPerms::MUTATE) {
                    return Ok(Err(ErrorCode::NotPermitted));
                }
                dir.set_times(".", time_spec(&atime), time_spec(&mtime))
                    .map_err(io)
            }
        })
    }

    fn read(
        &mut self,
        d: Resource<Descriptor>,
        length: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::READ) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        let len = length.min(MAX_IO) as usize;
        let mut buf = vec![0; len];
        let mut got = 0;
        while got < len {
            match file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Ok(Err(io(e))),
            }
        }
        buf.truncate(got);
        Ok(Ok((buf, got < len || len == 0 && length > 0)))
    }

    fn write(&mut self, d: Resource<Descriptor>, buffer: Vec<u8>, offset: u64) -> FsResult<u64> {
        let (file, flags) = fs_try!(self.file(&d)?);
        if !flags.contains(DescriptorFlags::WRITE) {
            return Ok(Err(ErrorCode::BadDescriptor));
        }
        Ok(file
            .write_all_at(&buffer, offset)
            .map(|()| buffer.len() as u64)
            .map_err(io))
    }

    fn read_directory(
        &mut self,
        d: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        let (dir, _, _) = fs_try!(self.dir(&d)?);
        let mut entries = Vec::new();
        for e in fs_try!(dir.entries().map_err(io)) {
            let e = fs_try!(e.map_err(io));
            let Ok(name) = e.file_name().into_string() else {
                return Ok(Err(ErrorCode::IllegalByteSequence));
            };
            let type_ = e
                .file_type()
                .map_or(DescriptorType::Unknown, descriptor_type);
            entries.push(DirectoryEntry { type_, name });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Ok(self.push(DirectoryEntryStream {
            entries: entries.into_iter(),
        })?))
    }

    fn sync(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        Ok(match self.table.get(&d)? {
            Descriptor::File { file, .. } => file.sync_all().map_err(io),
            Descriptor::Dir { .. } => Ok(()),
        })
    }

    fn create_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        fs_try!(check_path(&path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        Ok(dir.create_dir(&path).map_err(io))
    }

    fn stat(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorStat> {
        let m = fs_try!(self.metadata(&d)?);
        Ok(Ok(stat(&m)))
    }

    fn stat_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> FsResult<DescriptorStat> {
        fs_try!(check_path(&path));
        let (dir, _, _) = fs_try!(self.dir(&d)?);
        let m = if path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            dir.metadata(&path)
        } else {
            dir.symlink_metadata(&path)
        };
        Ok(m.map(|m| stat(&m)).map_err(io))
    }

    fn set_times_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        fs_try!(check_path(&path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        let (a, m) = (time_spec(&atime), time_spec(&mtime));
        Ok(if path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            dir.set_times(&path, a, m)
        } else {
            dir.set_symlink_times(&path, a, m)
        }
        .map_err(io))
    }

    fn link_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        fs_try!(check_path(&old_path));
        fs_try!(check_path(&new_path));
        if old_path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            // Linking the target of a symlink is not what `link` does on the hosts we run on.
            return Ok(Err(ErrorCode::Invalid));
        }
        let dir = fs_try!(self.mutable_dir(&d)?);
        let new_dir = fs_try!(self.mutable_dir(&new_descriptor)?);
        Ok(dir.hard_link(&old_path, &new_dir, &new_path).map_err(io))
    }

    fn open_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        fs_try!(check_path(&path));
        let (dir, dir_perms, file_perms) = fs_try!(self.dir(&d)?);
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        let create = open_flags.contains(OpenFlags::CREATE);
        let write = flags.contains(DescriptorFlags::WRITE);
        if (create || flags.contains(DescriptorFlags::MUTATE_DIRECTORY))
            && !dir_perms.contains(DirPerms::MUTATE)
        {
            return Ok(Err(ErrorCode::NotPermitted));
        }
        if (write || open_flags.contains(OpenFlags::TRUNCATE))
            && !file_perms.contains(FilePerms::WRITE)
        {
            return Ok(Err(ErrorCode::NotPermitted));
        }
        let meta = if follow {
            dir.metadata(&path)
        } else {
            dir.symlink_metadata(&path)
        };
        let is_dir = meta.as_ref().map(|m| m.is_dir()).unwrap_or(false);
        if open_flags.contains(OpenFlags::DIRECTORY) || (is_dir && !create) {
            if create || open_flags.contains(OpenFlags::TRUNCATE) || write {
                return Ok(Err(if is_dir {
                    ErrorCode::IsDirectory
                } else {
                    ErrorCode::Invalid
                }));
            }
            let opened = if follow {
                dir.open_dir(&path)
            } else {
                dir.open_dir_nofollow(&path)
            };
            let sub = fs_try!(opened.map_err(io));
            let dir_perms = if flags.contains(DescriptorFlags::MUTATE_DIRECTORY) {
                dir_perms
            } else {
                DirPerms::READ
            };
            return Ok(Ok(self.push(Descriptor::Dir {
                dir: Arc::new(sub),
                dir_perms,
                file_perms,
            })?));
        }
        let read = flags.contains(DescriptorFlags::READ) || !write;
        let mut o = cap_std::fs::OpenOptions::new();
        o.read(read)
            .write(write)
            .truncate(open_flags.contains(OpenFlags::TRUNCATE))
            .create(create && !open_flags.contains(OpenFlags::EXCLUSIVE))
            .create_new(create && open_flags.contains(OpenFlags::EXCLUSIVE))
            .follow(if follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            });
        if open_flags.contains(OpenFlags::TRUNCATE) && !write {
            // POSIX leaves truncation without write access undefined; refuse it.
            return Ok(Err(ErrorCode::Invalid));
        }
        let file = fs_try!(dir.open_with(&path, &o).map_err(io));
        let mut opened_for = DescriptorFlags::empty();
        if read {
            opened_for |= DescriptorFlags::READ;
        }
        if write {
            opened_for |= DescriptorFlags::WRITE;
        }
        Ok(Ok(self.push(Descriptor::File {
            file: Arc::new(file),
            flags: opened_for,
        })?))
    }

    fn readlink_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<String> {
        fs_try!(check_path(&path));
        let (dir, _, _) = fs_try!(self.dir(&d)?);
        let target = fs_try!(dir.read_link_contents(&path).map_err(io));
        Ok(target
            .into_os_string()
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence))
    }

    fn remove_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        fs_try!(check_path(&path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        Ok(dir.remove_dir(&path).map_err(io))
    }

    fn rename_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        fs_try!(check_path(&old_path));
        fs_try!(check_path(&new_path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        let new_dir = fs_try!(self.mutable_dir(&new_descriptor)?);
        Ok(dir.rename(&old_path, &new_dir, &new_path).map_err(io))
    }

    fn symlink_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        fs_try!(check_path(&old_path));
        fs_try!(check_path(&new_path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        // The target is stored as given; following it later is confined like any path.
        Ok(DirExt::symlink(&*dir, &old_path, &new_path).map_err(io))
    }

    fn unlink_file_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        fs_try!(check_path(&path));
        let dir = fs_try!(self.mutable_dir(&d)?);
        Ok(dir.remove_file_or_symlink(&path).map_err(io))
    }

    fn is_same_object(
        &mut self,
        d: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> Result<bool> {
        let (Ok(a), Ok(b)) = (self.metadata(&d)?, self.metadata(&other)?) else {
            return Ok(false);
        };
        Ok(a.dev() == b.dev() && a.ino() == b.ino())
    }

    fn metadata_hash(&mut self, d: Resource<Descriptor>) -> FsResult<MetadataHashValue> {
        let m = fs_try!(self.metadata(&d)?);
        Ok(Ok(identity_hash(&m)))
    }

    fn metadata_hash_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> FsResult<MetadataHashValue> {
        fs_try!(check_path(&path));
        let (dir, _, _) = fs_try!(self.dir(&d)?);
        let m = if path_flags.contains(PathFlags::SYMLINK_FOLLOW) {
            dir.metadata(&path)
        } else {
            dir.symlink_metadata(&path)
        };
        Ok(m.map(|m| identity_hash(&m)).map_err(io))
    }

    fn drop(&mut self, rep: Resource<Descriptor>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl types::HostDirectoryEntryStream for WasiCtxView<'_> {
    fn read_directory_entry(
        &mut self,
        s: Resource<DirectoryEntryStream>,
    ) -> FsResult<Option<DirectoryEntry>> {
        Ok(Ok(self.table.get_mut(&s)?.entries.next()))
    }

    fn drop(&mut self, rep: Resource<DirectoryEntryStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl preopens::Host for WasiCtxView<'_> {
    fn get_directories(&mut self) -> Result<Vec<(Resource<Descriptor>, String)>> {
        let preopens: Vec<_> = self
            .ctx
            .preopens
            .iter()
            .map(|p| {
                (
                    p.dir.clone(),
                    p.dir_perms,
                    p.file_perms,
                    p.guest_path.clone(),
                )
            })
            .collect();
        let mut out = Vec::new();
        for (dir, dir_perms, file_perms, name) in preopens {
            let d = self.push(Descriptor::Dir {
                dir,
                dir_perms,
                file_perms,
            })?;
            out.push((d, name));
        }
        Ok(out)
    }
}
