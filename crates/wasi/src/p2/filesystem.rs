//! `wasi:filesystem`: WASI 0.2's types over the shared filesystem code (`crate::fs`,
//! which says how paths are confined), with the descriptors in the resource table.

use cap_std::fs::MetadataExt;
use spindle::component::Resource;
use spindle::Result;

use super::bindings::wasi::clocks::wall_clock::Datetime;
use super::bindings::wasi::filesystem::{preopens, types};
use super::io::{InputStream, IoError, OutputStream};
use super::{WasiCtxView, MAX_IO};
pub use crate::fs::Descriptor;
use crate::fs::{descriptor_type, NewTime, Open};

use types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};

/// A directory's entries, read when the stream was made
/// (`wasi:filesystem/types.directory-entry-stream`).
#[derive(Debug)]
pub struct DirectoryEntryStream {
    entries: std::vec::IntoIter<DirectoryEntry>,
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

fn stat(m: &cap_std::fs::Metadata) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(m.file_type()),
        link_count: m.nlink(),
        size: m.len(),
        data_access_timestamp: datetime(m.accessed()),
        data_modification_timestamp: datetime(m.modified()),
        status_change_timestamp: crate::fs::ctime(m).map(|d| Datetime {
            seconds: d.as_secs(),
            nanoseconds: d.subsec_nanos(),
        }),
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
        Ok(Some(crate::fs::error_code(&self.table.get(&err)?.0)))
    }
}

type FsResult<T> = Result<Result<T, ErrorCode>>;

/// A Rust result as the guest's.
fn to_guest<T>(r: Result<T, ErrorCode>) -> FsResult<T> {
    Ok(r)
}

fn new_time(t: &NewTimestamp) -> NewTime {
    match t {
        NewTimestamp::NoChange => NewTime::NoChange,
        NewTimestamp::Now => NewTime::Now,
        NewTimestamp::Timestamp(d) => NewTime::At(std::time::Duration::new(
            d.seconds,
            d.nanoseconds.min(999_999_999),
        )),
    }
}

impl types::HostDescriptor for WasiCtxView<'_> {
    fn read_via_stream(
        &mut self,
        d: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<InputStream>> {
        let file = fs_try!(self.table.get(&d)?.readable()).clone();
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
        let file = fs_try!(self.table.get(&d)?.writable()).clone();
        Ok(Ok(self.push(OutputStream::File {
            file,
            position: Some(offset),
        })?))
    }

    fn append_via_stream(&mut self, d: Resource<Descriptor>) -> FsResult<Resource<OutputStream>> {
        // The file opened again with `O_APPEND`: each write lands at the end, atomically.
        let appender = fs_try!(self.table.get(&d)?.appender());
        let Descriptor::File { file, .. } = appender else {
            return Ok(Err(ErrorCode::BadDescriptor));
        };
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
        to_guest(self.table.get(&d)?.file().map(|_| ()))
    }

    fn sync_data(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        to_guest(self.table.get(&d)?.sync(true))
    }

    fn get_flags(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        Ok(Ok(self.table.get(&d)?.flags()))
    }

    fn get_type(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorType> {
        let m = fs_try!(self.table.get(&d)?.metadata());
        Ok(Ok(descriptor_type(m.file_type())))
    }

    fn set_size(&mut self, d: Resource<Descriptor>, size: u64) -> FsResult<()> {
        to_guest(self.table.get(&d)?.set_size(size))
    }

    fn set_times(
        &mut self,
        d: Resource<Descriptor>,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        to_guest(
            self.table
                .get(&d)?
                .set_times(new_time(&atime), new_time(&mtime)),
        )
    }

    fn read(
        &mut self,
        d: Resource<Descriptor>,
        length: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        let len = length.min(MAX_IO) as usize;
        let mut buf = vec![0; len];
        let got = fs_try!(self.table.get(&d)?.read_at(&mut buf, offset));
        buf.truncate(got);
        Ok(Ok((buf, got < len)))
    }

    fn write(&mut self, d: Resource<Descriptor>, buffer: Vec<u8>, offset: u64) -> FsResult<u64> {
        fs_try!(self.table.get(&d)?.write_at(&buffer, Some(offset)));
        Ok(Ok(buffer.len() as u64))
    }

    fn read_directory(
        &mut self,
        d: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        let entries = fs_try!(self.table.get(&d)?.entries());
        let entries: Vec<DirectoryEntry> = entries
            .into_iter()
            .map(|e| DirectoryEntry {
                type_: e.kind,
                name: e.name,
            })
            .collect();
        Ok(Ok(self.push(DirectoryEntryStream {
            entries: entries.into_iter(),
        })?))
    }

    fn sync(&mut self, d: Resource<Descriptor>) -> FsResult<()> {
        to_guest(self.table.get(&d)?.sync(false))
    }

    fn create_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        to_guest(self.table.get(&d)?.create_directory_at(&path))
    }

    fn stat(&mut self, d: Resource<Descriptor>) -> FsResult<DescriptorStat> {
        let m = fs_try!(self.table.get(&d)?.metadata());
        Ok(Ok(stat(&m)))
    }

    fn stat_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> FsResult<DescriptorStat> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        to_guest(self.table.get(&d)?.stat_at(follow, &path).map(|m| stat(&m)))
    }

    fn set_times_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        to_guest(self.table.get(&d)?.set_times_at(
            follow,
            &path,
            new_time(&atime),
            new_time(&mtime),
        ))
    }

    fn link_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let follow = old_path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        let to = self.table.get(&new_descriptor)?;
        to_guest(
            self.table
                .get(&d)?
                .link_at(follow, &old_path, to, &new_path),
        )
    }

    fn open_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let open = Open {
            follow: path_flags.contains(PathFlags::SYMLINK_FOLLOW),
            create: open_flags.contains(OpenFlags::CREATE),
            directory: open_flags.contains(OpenFlags::DIRECTORY),
            exclusive: open_flags.contains(OpenFlags::EXCLUSIVE),
            truncate: open_flags.contains(OpenFlags::TRUNCATE),
            read: flags.contains(DescriptorFlags::READ),
            write: flags.contains(DescriptorFlags::WRITE),
            mutate_directory: flags.contains(DescriptorFlags::MUTATE_DIRECTORY),
            // WASI 0.2 appends through `append-via-stream` instead.
            append: false,
        };
        let opened = fs_try!(self.table.get(&d)?.open_at(&path, open));
        Ok(Ok(self.push(opened)?))
    }

    fn readlink_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<String> {
        to_guest(self.table.get(&d)?.readlink_at(&path))
    }

    fn remove_directory_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        to_guest(self.table.get(&d)?.remove_directory_at(&path))
    }

    fn rename_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let to = self.table.get(&new_descriptor)?;
        to_guest(self.table.get(&d)?.rename_at(&old_path, to, &new_path))
    }

    fn symlink_at(
        &mut self,
        d: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        to_guest(self.table.get(&d)?.symlink_at(&old_path, &new_path))
    }

    fn unlink_file_at(&mut self, d: Resource<Descriptor>, path: String) -> FsResult<()> {
        to_guest(self.table.get(&d)?.unlink_file_at(&path))
    }

    fn is_same_object(
        &mut self,
        d: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> Result<bool> {
        Ok(self.table.get(&d)?.same_object(self.table.get(&other)?))
    }

    fn metadata_hash(&mut self, d: Resource<Descriptor>) -> FsResult<MetadataHashValue> {
        let m = fs_try!(self.table.get(&d)?.metadata());
        Ok(Ok(identity_hash(&m)))
    }

    fn metadata_hash_at(
        &mut self,
        d: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> FsResult<MetadataHashValue> {
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        to_guest(
            self.table
                .get(&d)?
                .stat_at(follow, &path)
                .map(|m| identity_hash(&m)),
        )
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
            .map(|p| (Descriptor::preopen(p), p.guest_path.clone()))
            .collect();
        let mut out = Vec::new();
        for (d, name) in preopens {
            out.push((self.push(d)?, name));
        }
        Ok(out)
    }
}
