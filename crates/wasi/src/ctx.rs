//! The guest's world: what [`WasiCtxBuilder`] configures and [`WasiCtx`] holds.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::pipe::{MemoryInputPipe, MemoryOutputPipe};

/// Where a standard stream goes.
#[derive(Clone, Debug)]
pub(crate) enum Stream {
    /// The host process's own stream.
    Inherit,
    /// An in-memory input.
    Input(MemoryInputPipe),
    /// An in-memory output.
    Output(MemoryOutputPipe),
    /// A host file (read from for input, appended to for output).
    File(std::sync::Arc<std::sync::Mutex<std::fs::File>>),
    /// Nothing: reads see the end, writes are discarded.
    Null,
}

impl Stream {
    /// Reads from the stream (`fd` 0 when inherited); the byte count.
    pub(crate) fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            // Straight from descriptor 0, not through std's buffered `Stdin`: bytes left in
            // a user-space buffer would be invisible to `poll(2)` (a reader waiting for
            // them would hang).
            Stream::Inherit => loop {
                match rustix::io::read(std::io::stdin(), &mut *buf) {
                    Err(rustix::io::Errno::INTR) => continue,
                    r => break r.map_err(std::io::Error::from),
                }
            },
            Stream::Input(p) => Ok(p.read(buf)),
            Stream::File(f) => f.lock().unwrap_or_else(|e| e.into_inner()).read(buf),
            Stream::Output(_) | Stream::Null => Ok(0),
        }
    }

    /// Writes all of `bytes` to the stream (`stderr` picks the inherited one).
    pub(crate) fn write(&self, bytes: &[u8], stderr: bool) -> std::io::Result<()> {
        match self {
            Stream::Inherit if stderr => std::io::stderr().write_all(bytes),
            Stream::Inherit => std::io::stdout().write_all(bytes),
            Stream::Output(p) => {
                if p.write(bytes) {
                    Ok(())
                } else {
                    Err(std::io::Error::other("output pipe full"))
                }
            }
            Stream::File(f) => f.lock().unwrap_or_else(|e| e.into_inner()).write_all(bytes),
            Stream::Input(_) | Stream::Null => Ok(()),
        }
    }

    /// Whether the stream is a terminal (the guest's `isatty`): only an inherited stream
    /// whose host side is one.
    pub(crate) fn is_terminal(&self, fd: u8) -> bool {
        use std::io::IsTerminal;
        match self {
            Stream::Inherit => match fd {
                0 => std::io::stdin().is_terminal(),
                1 => std::io::stdout().is_terminal(),
                _ => std::io::stderr().is_terminal(),
            },
            _ => false,
        }
    }

    pub(crate) fn flush(&self, stderr: bool) {
        if let Stream::Inherit = self {
            let _ = if stderr {
                std::io::stderr().flush()
            } else {
                std::io::stdout().flush()
            };
        }
    }
}

/// A deterministic generator (SplitMix64): the seeded randomness of deterministic runs.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// A source of random bytes the host supplies ([`WasiCtxBuilder::secure_random`]).
pub trait RandomSource: Send {
    fn fill_bytes(&mut self, buf: &mut [u8]);
}

/// Where randomness comes from.
pub(crate) enum Random {
    /// The operating system's (`/dev/urandom`), falling back to a generator seeded from
    /// the clock where there is none.
    Os,
    Seeded(SplitMix),
    Host(Box<dyn RandomSource>),
}

impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Random::Os => "Os",
            Random::Seeded(_) => "Seeded",
            Random::Host(_) => "Host",
        })
    }
}

impl Random {
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        match self {
            Random::Os => {
                let ok = std::fs::File::open("/dev/urandom")
                    .and_then(|mut f| f.read_exact(buf))
                    .is_ok();
                if !ok {
                    let seed = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos() as u64);
                    *self = Random::Seeded(SplitMix(seed));
                    self.fill(buf);
                }
            }
            Random::Seeded(g) => g.fill(buf),
            Random::Host(h) => h.fill_bytes(buf),
        }
    }
}

/// A wall clock the host supplies (wasmtime-wasi's `HostWallClock`): time since the Unix
/// epoch.
pub trait HostWallClock: Send {
    fn resolution(&self) -> Duration;
    fn now(&self) -> Duration;
}

/// A monotonic clock the host supplies (wasmtime-wasi's `HostMonotonicClock`):
/// nanoseconds since an arbitrary start, never decreasing.
pub trait HostMonotonicClock: Send {
    fn resolution(&self) -> u64;
    fn now(&self) -> u64;
}

/// The wall clock the guest reads.
pub(crate) enum Wall {
    Real,
    /// Deterministic runs: always this time.
    Fixed(Duration),
    Host(Box<dyn HostWallClock>),
}

/// The monotonic clock the guest reads.
pub(crate) enum Monotonic {
    Real {
        start: Instant,
    },
    /// Deterministic runs: one microsecond more per reading; waiting jumps it.
    Fixed {
        now: u64,
    },
    Host(Box<dyn HostMonotonicClock>),
}

/// The clocks the guest reads.
pub(crate) struct Clocks {
    pub wall: Wall,
    pub monotonic: Monotonic,
}

impl std::fmt::Debug for Clocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clocks")
    }
}

impl Clocks {
    /// Nanoseconds since the Unix epoch.
    pub(crate) fn wall(&self) -> u64 {
        match &self.wall {
            Wall::Real => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
            Wall::Fixed(t) => t.as_nanos() as u64,
            Wall::Host(c) => c.now().as_nanos() as u64,
        }
    }

    pub(crate) fn wall_resolution(&self) -> Duration {
        match &self.wall {
            Wall::Host(c) => c.resolution(),
            _ => Duration::from_nanos(1),
        }
    }

    /// Nanoseconds since an arbitrary start (a reading: a deterministic clock advances).
    pub(crate) fn monotonic(&mut self) -> u64 {
        match &mut self.monotonic {
            Monotonic::Fixed { now } => {
                *now += 1_000;
                *now
            }
            _ => self.monotonic_peek(),
        }
    }

    /// The monotonic clock without advancing a deterministic one.
    pub(crate) fn monotonic_peek(&self) -> u64 {
        match &self.monotonic {
            Monotonic::Real { start } => start.elapsed().as_nanos() as u64,
            Monotonic::Fixed { now } => *now,
            Monotonic::Host(c) => c.now(),
        }
    }

    pub(crate) fn monotonic_resolution(&self) -> u64 {
        match &self.monotonic {
            Monotonic::Host(c) => c.resolution(),
            _ => 1,
        }
    }

    /// Whether waiting is virtual (a deterministic clock jumps instead of sleeping).
    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self.monotonic, Monotonic::Fixed { .. })
    }

    /// Waits until the monotonic clock reads `deadline`: sleeps (a host clock is taken to
    /// run at real speed), or a deterministic clock jumps there.
    pub(crate) fn sleep_until(&mut self, deadline: u64) {
        if let Monotonic::Fixed { now } = &mut self.monotonic {
            *now = (*now).max(deadline);
            return;
        }
        let now = self.monotonic_peek();
        if deadline > now {
            std::thread::sleep(Duration::from_nanos(deadline - now));
        }
    }
}

/// Builds a [`WasiCtx`]: by default a guest sees no arguments, no environment, and empty
/// standard streams (nothing is inherited unless asked for).
#[derive(Debug)]
pub struct WasiCtxBuilder {
    ctx: WasiCtx,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    pub fn new() -> Self {
        WasiCtxBuilder {
            ctx: WasiCtx {
                preopens: Vec::new(),
                args: Vec::new(),
                env: Vec::new(),
                stdin: Stream::Null,
                stdout: Stream::Null,
                stderr: Stream::Null,
                clocks: Clocks {
                    wall: Wall::Real,
                    monotonic: Monotonic::Real {
                        start: Instant::now(),
                    },
                },
                random: Random::Os,
                insecure_random: None,
                insecure_seed: None,
                net: NetPolicy::default(),
            },
        }
    }

    /// Appends one argument (the first is the program's name, by convention).
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.ctx.args.push(arg.as_ref().to_string());
        self
    }

    /// Appends arguments.
    pub fn args(&mut self, args: &[impl AsRef<str>]) -> &mut Self {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// The host process's arguments.
    pub fn inherit_args(&mut self) -> &mut Self {
        self.ctx.args = std::env::args().collect();
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> &mut Self {
        self.ctx
            .env
            .push((name.as_ref().to_string(), value.as_ref().to_string()));
        self
    }

    /// Sets environment variables.
    pub fn envs(&mut self, vars: &[(impl AsRef<str>, impl AsRef<str>)]) -> &mut Self {
        for (n, v) in vars {
            self.env(n, v);
        }
        self
    }

    /// The host process's environment.
    pub fn inherit_env(&mut self) -> &mut Self {
        self.ctx.env = std::env::vars().collect();
        self
    }

    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.ctx.stdin = Stream::Inherit;
        self
    }

    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.ctx.stdout = Stream::Inherit;
        self
    }

    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.ctx.stderr = Stream::Inherit;
        self
    }

    /// The host's standard input, output and error.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    pub fn stdin(&mut self, pipe: MemoryInputPipe) -> &mut Self {
        self.ctx.stdin = Stream::Input(pipe);
        self
    }

    /// Standard input read from a host file.
    pub fn stdin_file(&mut self, file: std::fs::File) -> &mut Self {
        self.ctx.stdin = Stream::File(std::sync::Arc::new(std::sync::Mutex::new(file)));
        self
    }

    /// Standard output written to a host file.
    pub fn stdout_file(&mut self, file: std::fs::File) -> &mut Self {
        self.ctx.stdout = Stream::File(std::sync::Arc::new(std::sync::Mutex::new(file)));
        self
    }

    /// Standard error written to a host file.
    pub fn stderr_file(&mut self, file: std::fs::File) -> &mut Self {
        self.ctx.stderr = Stream::File(std::sync::Arc::new(std::sync::Mutex::new(file)));
        self
    }

    pub fn stdout(&mut self, pipe: MemoryOutputPipe) -> &mut Self {
        self.ctx.stdout = Stream::Output(pipe);
        self
    }

    pub fn stderr(&mut self, pipe: MemoryOutputPipe) -> &mut Self {
        self.ctx.stderr = Stream::Output(pipe);
        self
    }

    /// Gives the guest the host directory `host_path` as `guest_path` (wasmtime-wasi's
    /// `preopened_dir`), read-only or read-write.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<std::path::Path>,
        guest_path: impl AsRef<str>,
        perms: FsPerms,
    ) -> std::io::Result<&mut Self> {
        let (dir_perms, file_perms) = match perms {
            FsPerms::ReadOnly => (DirPerms::READ, FilePerms::READ),
            FsPerms::ReadWrite => (DirPerms::all(), FilePerms::all()),
        };
        let dir = cap_std::fs::Dir::open_ambient_dir(host_path, cap_std::ambient_authority())?;
        self.ctx.preopens.push(Preopen {
            dir: std::sync::Arc::new(dir),
            guest_path: guest_path.as_ref().to_string(),
            dir_perms,
            file_perms,
        });
        Ok(self)
    }

    /// Deterministic runs (reproducible output, fuzzing, conformance): the wall clock
    /// fixed at `wall_clock` after the epoch, a monotonic clock that advances one
    /// microsecond per reading, and randomness from a generator seeded with `seed`.
    pub fn deterministic(&mut self, wall_clock: Duration, seed: u64) -> &mut Self {
        self.ctx.clocks = Clocks {
            wall: Wall::Fixed(wall_clock),
            monotonic: Monotonic::Fixed { now: 0 },
        };
        self.ctx.random = Random::Seeded(SplitMix(seed));
        self
    }

    /// The wall clock the guest reads (wasmtime-wasi's `wall_clock`).
    pub fn wall_clock(&mut self, clock: impl HostWallClock + 'static) -> &mut Self {
        self.ctx.clocks.wall = Wall::Host(Box::new(clock));
        self
    }

    /// The monotonic clock the guest reads and waits on (wasmtime-wasi's
    /// `monotonic_clock`).
    pub fn monotonic_clock(&mut self, clock: impl HostMonotonicClock + 'static) -> &mut Self {
        self.ctx.clocks.monotonic = Monotonic::Host(Box::new(clock));
        self
    }

    /// Where the guest's random bytes come from (`wasi:random/random`, `random_get`;
    /// wasmtime-wasi's `secure_random`, here with [`RandomSource`] for `RngCore`).
    pub fn secure_random(&mut self, source: impl RandomSource + 'static) -> &mut Self {
        self.ctx.random = Random::Host(Box::new(source));
        self
    }

    /// Where `wasi:random/insecure` comes from (default: the secure source).
    pub fn insecure_random(&mut self, source: impl RandomSource + 'static) -> &mut Self {
        self.ctx.insecure_random = Some(Random::Host(Box::new(source)));
        self
    }

    /// The value of `wasi:random/insecure-seed` (default: from the secure source).
    pub fn insecure_random_seed(&mut self, seed: u128) -> &mut Self {
        self.ctx.insecure_seed = Some(seed);
        self
    }

    /// Lets the guest use any address (wasmtime-wasi's `inherit_network`).
    pub fn inherit_network(&mut self) -> &mut Self {
        self.ctx.net.check = Some(std::sync::Arc::new(|_, _| true));
        self
    }

    /// Lets the guest bind, connect and send to `addr` (port 0: any port of its IP).
    /// Without this, `inherit_network` or [`Self::socket_addr_check`] every address is
    /// refused.
    pub fn allow_addr(&mut self, addr: std::net::SocketAddr) -> &mut Self {
        self.ctx.net.allowed.push(addr);
        self
    }

    /// Decides per address and use whether the guest may use it (wasmtime-wasi's
    /// `socket_addr_check`, synchronous); added to what [`Self::allow_addr`] allows.
    pub fn socket_addr_check(
        &mut self,
        check: impl Fn(std::net::SocketAddr, SocketAddrUse) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.ctx.net.check = Some(std::sync::Arc::new(check));
        self
    }

    /// Whether TCP sockets may be created at all (default: yes, each address still
    /// checked).
    pub fn allow_tcp(&mut self, yes: bool) -> &mut Self {
        self.ctx.net.tcp = yes;
        self
    }

    /// Whether UDP sockets may be created at all (default: yes, each address still
    /// checked).
    pub fn allow_udp(&mut self, yes: bool) -> &mut Self {
        self.ctx.net.udp = yes;
        self
    }

    /// Whether the guest may resolve names (default: no).
    pub fn allow_ip_name_lookup(&mut self, yes: bool) -> &mut Self {
        self.ctx.net.ip_name_lookup = yes;
        self
    }

    /// The context.
    pub fn build(&mut self) -> WasiCtx {
        std::mem::take(self).ctx
    }

    /// The context for preview-1 guests ([`crate::p1::add_to_linker_sync`]).
    pub fn build_p1(&mut self) -> crate::WasiP1Ctx {
        crate::WasiP1Ctx::new(self.build())
    }
}

/// What a preopened directory allows (wasmtime-wasi's `FsPerms`): reading only, or also
/// writing files and creating, removing and renaming entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsPerms {
    ReadOnly,
    ReadWrite,
}

/// What a directory descriptor allows: reading (listing, stat, opening) and mutating
/// (wasmtime-wasi's `DirPerms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirPerms(u8);

impl DirPerms {
    pub const READ: DirPerms = DirPerms(1);
    pub const MUTATE: DirPerms = DirPerms(2);
    pub const fn all() -> DirPerms {
        DirPerms(3)
    }
    pub const fn contains(self, other: DirPerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for DirPerms {
    type Output = DirPerms;
    fn bitor(self, o: DirPerms) -> DirPerms {
        DirPerms(self.0 | o.0)
    }
}

/// What files beneath a directory descriptor allow (wasmtime-wasi's `FilePerms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePerms(u8);

impl FilePerms {
    pub const READ: FilePerms = FilePerms(1);
    pub const WRITE: FilePerms = FilePerms(2);
    pub const fn all() -> FilePerms {
        FilePerms(3)
    }
    pub const fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FilePerms {
    type Output = FilePerms;
    fn bitor(self, o: FilePerms) -> FilePerms {
        FilePerms(self.0 | o.0)
    }
}

/// A host directory the guest sees under a name; everything the guest reaches through it
/// stays inside it (`cap-std` resolves every path beneath it: `..`, absolute paths and
/// symlinks leading out are refused).
#[derive(Debug)]
pub(crate) struct Preopen {
    pub dir: std::sync::Arc<cap_std::fs::Dir>,
    pub guest_path: String,
    pub dir_perms: DirPerms,
    pub file_perms: FilePerms,
}

/// What a guest sees of the world (built by [`WasiCtxBuilder`]).
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) stdin: Stream,
    pub(crate) stdout: Stream,
    pub(crate) stderr: Stream,
    pub(crate) clocks: Clocks,
    pub(crate) random: Random,
    pub(crate) insecure_random: Option<Random>,
    pub(crate) insecure_seed: Option<u128>,
    pub(crate) net: NetPolicy,
}

impl WasiCtx {
    /// A builder.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }
}

/// What the guest wants an address for (wasmtime-wasi's `SocketAddrUse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketAddrUse {
    TcpBind,
    TcpConnect,
    UdpBind,
    UdpConnect,
    UdpOutgoingDatagram,
}

type AddrCheck = std::sync::Arc<dyn Fn(std::net::SocketAddr, SocketAddrUse) -> bool + Send + Sync>;

/// Which addresses the guest may use.
#[derive(Clone)]
pub(crate) struct NetPolicy {
    pub allowed: Vec<std::net::SocketAddr>,
    pub check: Option<AddrCheck>,
    pub tcp: bool,
    pub udp: bool,
    pub ip_name_lookup: bool,
}

impl Default for NetPolicy {
    fn default() -> Self {
        NetPolicy {
            allowed: Vec::new(),
            check: None,
            tcp: true,
            udp: true,
            ip_name_lookup: false,
        }
    }
}

impl std::fmt::Debug for NetPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetPolicy")
            .field("allowed", &self.allowed)
            .field("check", &self.check.is_some())
            .finish()
    }
}

impl NetPolicy {
    pub(crate) fn allows(&self, addr: std::net::SocketAddr, usage: SocketAddrUse) -> bool {
        self.allowed
            .iter()
            .any(|a| a.ip() == addr.ip() && (a.port() == 0 || a.port() == addr.port()))
            || self.check.as_ref().is_some_and(|c| c(addr, usage))
    }
}
