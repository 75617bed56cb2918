//! `wasi:io`: errors, pollables and streams.
//!
//! Streams are standard streams (the context's), files (positional I/O on a shared
//! handle, so a stream and its descriptor do not disturb each other), and TCP
//! connections (non-blocking sockets; the blocking calls wait in `poll(2)`). `poll`
//! blocks the thread in `poll(2)` until a socket or inherited standard input is ready or
//! the earliest timer is due; files, pipes in memory and output to them are always ready.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

use cap_std::fs::FileExt;
use rustix::event::{PollFd, PollFlags};
use spindle::component::Resource;
use spindle::Result;

use super::bindings::wasi::io::{error, poll, streams};
use super::{WasiCtxView, MAX_IO};
use crate::ctx::Stream;

use streams::StreamError;

/// An error a stream reports (`wasi:io/error.error`).
#[derive(Debug)]
pub struct IoError(pub(crate) std::io::Error);

/// What a pollable waits for (`wasi:io/poll.pollable`). It holds what it waits on (a
/// descriptor), not its parent's handle, so dropping or replacing the parent cannot make
/// it wait on something else.
pub enum Pollable {
    /// Nothing: always ready.
    Ready,
    /// The monotonic clock reaching this many nanoseconds.
    Until(u64),
    /// A descriptor becoming ready for these events (a socket, inherited stdin).
    Fd(Arc<dyn AsFd + Send + Sync>, PollFlags),
    /// A TCP socket ready for its next step (connect, accept), as its state says when
    /// polled: the socket's handle and its descriptor (to tell it from a later socket
    /// given the same handle).
    Socket(u32, Arc<std::os::fd::OwnedFd>),
}

impl std::fmt::Debug for Pollable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pollable::Ready => f.write_str("Ready"),
            Pollable::Until(t) => write!(f, "Until({t})"),
            Pollable::Fd(_, ev) => write!(f, "Fd({ev:?})"),
            Pollable::Socket(rep, _) => write!(f, "Socket({rep})"),
        }
    }
}

/// A stream the guest reads (`wasi:io/streams.input-stream`).
#[derive(Debug)]
pub enum InputStream {
    /// The context's standard input.
    Stdin,
    /// A file from `position` on.
    File {
        file: Arc<cap_std::fs::File>,
        position: u64,
    },
    /// A TCP connection's receiving side.
    Tcp(Arc<TcpStream>),
}

/// A stream the guest writes (`wasi:io/streams.output-stream`).
#[derive(Debug)]
pub enum OutputStream {
    Stdout,
    Stderr,
    /// A file at `position`, or (opened with `O_APPEND`) at its end each write if
    /// `position` is `None`.
    File {
        file: Arc<cap_std::fs::File>,
        position: Option<u64>,
    },
    /// A TCP connection's sending side.
    Tcp(Arc<TcpStream>),
}

impl WasiCtxView<'_> {
    /// `err` as the guest's `last-operation-failed`.
    fn failed(&mut self, err: std::io::Error) -> Result<StreamError> {
        Ok(StreamError::LastOperationFailed(self.push(IoError(err))?))
    }

    /// Reads up to `len` bytes from `stream`; `blocking` waits for at least one (or the
    /// end). `Ok(Err(Closed))` at the end.
    fn read_stream(
        &mut self,
        stream: &Resource<InputStream>,
        len: u64,
        blocking: bool,
    ) -> Result<Result<Vec<u8>, StreamError>> {
        let len = len.min(MAX_IO) as usize;
        let mut buf = vec![0; len];
        let got = match self.table.get_mut(stream)? {
            InputStream::Stdin => self.ctx.stdin.read(&mut buf),
            InputStream::File { file, position } => {
                let r = file.read_at(&mut buf, *position);
                if let Ok(n) = r {
                    *position += n as u64;
                }
                r
            }
            InputStream::Tcp(sock) => {
                let sock = sock.clone();
                loop {
                    match (&*sock).read(&mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            if !blocking || len == 0 {
                                buf.clear();
                                return Ok(Ok(buf));
                            }
                            wait_fd(sock.as_fd(), PollFlags::IN);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        r => break r,
                    }
                }
            }
        };
        match got {
            Ok(0) if len > 0 => Ok(Err(StreamError::Closed)),
            Ok(n) => {
                buf.truncate(n);
                Ok(Ok(buf))
            }
            Err(e) => Ok(Err(self.failed(e)?)),
        }
    }

    /// Writes all of `bytes` to `stream`.
    fn write_stream(
        &mut self,
        stream: &Resource<OutputStream>,
        bytes: &[u8],
    ) -> Result<Result<(), StreamError>> {
        if bytes.len() as u64 > MAX_IO {
            spindle::bail!(
                "a write of {} bytes is more than check-write allows ({MAX_IO})",
                bytes.len()
            );
        }
        let r = match self.table.get_mut(stream)? {
            OutputStream::Stdout => self.ctx.stdout.write(bytes, false),
            OutputStream::Stderr => self.ctx.stderr.write(bytes, true),
            OutputStream::File { file, position } => match position {
                Some(p) => {
                    let r = file.write_all_at(bytes, *p);
                    if r.is_ok() {
                        *p += bytes.len() as u64;
                    }
                    r
                }
                None => {
                    use std::io::Write;
                    (&**file).write_all(bytes)
                }
            },
            OutputStream::Tcp(sock) => {
                let sock = sock.clone();
                write_all_socket(&sock, bytes)
            }
        };
        match r {
            Ok(()) => Ok(Ok(())),
            Err(e) => Ok(Err(self.failed(e)?)),
        }
    }

    fn flush_stream(&mut self, stream: &Resource<OutputStream>) -> Result<Result<(), StreamError>> {
        match self.table.get(stream)? {
            OutputStream::Stdout => self.ctx.stdout.flush(false),
            OutputStream::Stderr => self.ctx.stderr.flush(true),
            OutputStream::File { .. } | OutputStream::Tcp(_) => {}
        }
        Ok(Ok(()))
    }
}

/// Writes all of `bytes` to a non-blocking socket, waiting while its buffer is full.
fn write_all_socket(sock: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match (&*sock).write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_fd(sock.as_fd(), PollFlags::OUT)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Blocks until `fd` is ready for `events` (or has an error or hang-up).
pub(crate) fn wait_fd(fd: BorrowedFd<'_>, events: PollFlags) {
    let mut fds = [PollFd::from_borrowed_fd(fd, events)];
    let _ = rustix::event::poll(&mut fds, None);
}

impl error::Host for WasiCtxView<'_> {}

impl error::HostError for WasiCtxView<'_> {
    fn to_debug_string(&mut self, err: Resource<IoError>) -> Result<String> {
        Ok(self.table.get(&err)?.0.to_string())
    }

    fn drop(&mut self, rep: Resource<IoError>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

/// What one pollable needs before it is ready.
enum Wait {
    Ready,
    /// The monotonic clock reaching this.
    Until(u64),
    /// A descriptor's readiness for these events.
    Fd(Arc<dyn AsFd + Send + Sync>, PollFlags),
}

impl WasiCtxView<'_> {
    fn wait_of(&self, p: &Resource<Pollable>) -> Result<Wait> {
        Ok(match self.table.get(p)? {
            Pollable::Ready => Wait::Ready,
            Pollable::Until(t) => Wait::Until(*t),
            Pollable::Fd(fd, ev) => Wait::Fd(fd.clone(), *ev),
            Pollable::Socket(rep, fd) => match self.socket_wait(*rep, fd) {
                Some((fd, ev)) => Wait::Fd(fd, ev),
                None => Wait::Ready,
            },
        })
    }

    /// Blocks until at least one of `list` is ready; their indices.
    pub(crate) fn poll_list(&mut self, list: &[Resource<Pollable>]) -> Result<Vec<u32>> {
        if list.is_empty() {
            spindle::bail!("poll with an empty list of pollables would block forever");
        }
        let waits = list
            .iter()
            .map(|p| self.wait_of(p))
            .collect::<Result<Vec<_>>>()?;
        loop {
            let now = self.now_peek();
            let mut ready = Vec::new();
            let mut deadline: Option<u64> = None;
            let mut fds = Vec::new();
            let mut fd_index = Vec::new();
            for (i, w) in waits.iter().enumerate() {
                match w {
                    Wait::Ready => ready.push(i as u32),
                    Wait::Until(t) if *t <= now => ready.push(i as u32),
                    Wait::Until(t) => deadline = Some(deadline.map_or(*t, |d| d.min(*t))),
                    Wait::Fd(fd, ev) => {
                        fds.push(PollFd::new(fd, *ev));
                        fd_index.push(i as u32);
                    }
                }
            }
            if !fds.is_empty() {
                // Ready descriptors count now; wait only if nothing else is ready.
                let timeout = if !ready.is_empty() {
                    Some(rustix::time::Timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    })
                } else {
                    deadline.map(|d| {
                        let ns = d.saturating_sub(now);
                        rustix::time::Timespec {
                            tv_sec: (ns / 1_000_000_000) as i64,
                            tv_nsec: (ns % 1_000_000_000) as i64,
                        }
                    })
                };
                if self.ctx.clocks.is_virtual() {
                    if ready.is_empty() && deadline.is_some() {
                        // Deterministic time: check descriptors without waiting, then
                        // let the clock jump to the deadline.
                        let zero = rustix::time::Timespec {
                            tv_sec: 0,
                            tv_nsec: 0,
                        };
                        let _ = rustix::event::poll(&mut fds, Some(&zero));
                    } else {
                        let _ = rustix::event::poll(&mut fds, timeout.as_ref());
                    }
                } else {
                    let _ = rustix::event::poll(&mut fds, timeout.as_ref());
                }
                for (fd, i) in fds.iter().zip(&fd_index) {
                    if !fd.revents().is_empty() {
                        ready.push(*i);
                    }
                }
            }
            if !ready.is_empty() {
                ready.sort_unstable();
                return Ok(ready);
            }
            if let Some(d) = deadline {
                self.sleep_until(d);
            }
        }
    }

    /// The monotonic clock without advancing a deterministic one.
    fn now_peek(&self) -> u64 {
        self.ctx.clocks.monotonic_peek()
    }

    /// Waits until the monotonic clock reads `deadline` (a deterministic clock jumps).
    fn sleep_until(&mut self, deadline: u64) {
        self.ctx.clocks.sleep_until(deadline)
    }
}

/// The host's standard input as a descriptor to poll.
struct StdinFd(std::io::Stdin);

impl AsFd for StdinFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl poll::Host for WasiCtxView<'_> {
    fn poll(&mut self, list: Vec<Resource<Pollable>>) -> Result<Vec<u32>> {
        self.poll_list(&list)
    }
}

impl poll::HostPollable for WasiCtxView<'_> {
    fn ready(&mut self, p: Resource<Pollable>) -> Result<bool> {
        let now = self.now_peek();
        Ok(match self.wait_of(&p)? {
            Wait::Ready => true,
            Wait::Until(t) => t <= now,
            Wait::Fd(fd, ev) => {
                let mut fds = [PollFd::new(&fd, ev)];
                let zero = rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                let _ = rustix::event::poll(&mut fds, Some(&zero));
                !fds[0].revents().is_empty()
            }
        })
    }

    fn block(&mut self, p: Resource<Pollable>) -> Result<()> {
        self.poll_list(&[p])?;
        Ok(())
    }

    fn drop(&mut self, rep: Resource<Pollable>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl streams::Host for WasiCtxView<'_> {}

impl streams::HostInputStream for WasiCtxView<'_> {
    fn read(&mut self, s: Resource<InputStream>, len: u64) -> Result<Result<Vec<u8>, StreamError>> {
        self.read_stream(&s, len, false)
    }

    fn blocking_read(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<Result<Vec<u8>, StreamError>> {
        self.read_stream(&s, len, true)
    }

    fn skip(&mut self, s: Resource<InputStream>, len: u64) -> Result<Result<u64, StreamError>> {
        Ok(self.read_stream(&s, len, false)?.map(|b| b.len() as u64))
    }

    fn blocking_skip(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<Result<u64, StreamError>> {
        Ok(self.read_stream(&s, len, true)?.map(|b| b.len() as u64))
    }

    fn subscribe(&mut self, s: Resource<InputStream>) -> Result<Resource<Pollable>> {
        let p = match self.table.get(&s)? {
            InputStream::Tcp(sock) => Pollable::Fd(sock.clone(), PollFlags::IN),
            InputStream::Stdin if matches!(self.ctx.stdin, Stream::Inherit) => {
                Pollable::Fd(Arc::new(StdinFd(std::io::stdin())), PollFlags::IN)
            }
            _ => Pollable::Ready,
        };
        self.push(p)
    }

    fn drop(&mut self, rep: Resource<InputStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl streams::HostOutputStream for WasiCtxView<'_> {
    fn check_write(&mut self, s: Resource<OutputStream>) -> Result<Result<u64, StreamError>> {
        self.table.get(&s)?;
        Ok(Ok(MAX_IO))
    }

    fn write(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> Result<Result<(), StreamError>> {
        self.write_stream(&s, &contents)
    }

    fn blocking_write_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> Result<Result<(), StreamError>> {
        if let Err(e) = self.write_stream(&s, &contents)? {
            return Ok(Err(e));
        }
        self.flush_stream(&s)
    }

    fn flush(&mut self, s: Resource<OutputStream>) -> Result<Result<(), StreamError>> {
        self.flush_stream(&s)
    }

    fn blocking_flush(&mut self, s: Resource<OutputStream>) -> Result<Result<(), StreamError>> {
        self.flush_stream(&s)
    }

    fn subscribe(&mut self, s: Resource<OutputStream>) -> Result<Resource<Pollable>> {
        let p = match self.table.get(&s)? {
            OutputStream::Tcp(sock) => Pollable::Fd(sock.clone(), PollFlags::OUT),
            _ => Pollable::Ready,
        };
        self.push(p)
    }

    fn write_zeroes(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> Result<Result<(), StreamError>> {
        if len > MAX_IO {
            spindle::bail!("a write of {len} zeroes is more than check-write allows ({MAX_IO})");
        }
        self.write_stream(&s, &vec![0; len as usize])
    }

    fn blocking_write_zeroes_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> Result<Result<(), StreamError>> {
        if let Err(e) = self.write_zeroes(s, len)? {
            return Ok(Err(e));
        }
        self.flush_stream(&s)
    }

    fn splice(
        &mut self,
        s: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> Result<Result<u64, StreamError>> {
        let bytes = match self.read_stream(&src, len, false)? {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self.write_stream(&s, &bytes)?.map(|()| bytes.len() as u64))
    }

    fn blocking_splice(
        &mut self,
        s: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> Result<Result<u64, StreamError>> {
        let bytes = match self.read_stream(&src, len, true)? {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self.write_stream(&s, &bytes)?.map(|()| bytes.len() as u64))
    }

    fn drop(&mut self, rep: Resource<OutputStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}
