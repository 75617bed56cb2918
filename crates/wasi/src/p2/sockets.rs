//! `wasi:sockets`: TCP and UDP over non-blocking host sockets, name lookup, behind the
//! context's network policy ([`crate::WasiCtxBuilder::socket_addr_check`], `allow_addr`,
//! `inherit_network`): a bind, connect or send to an address the policy refuses is
//! `access-denied`, and so is everything when nothing was allowed (the default). What
//! reaches a socket bound to an allowed address (accepted connections, datagrams) is
//! taken as the host's network delivers it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket as StdUdp};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::event::PollFlags;
use rustix::net::{sockopt, AddressFamily, SocketFlags, SocketType};
use spindle::component::Resource;
use spindle::Result;

use super::bindings::wasi::sockets::{
    instance_network, ip_name_lookup, network, tcp, tcp_create_socket, udp, udp_create_socket,
};
use super::io::{InputStream, OutputStream, Pollable};
use super::WasiCtxView;
use crate::ctx::SocketAddrUse;

use network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};

/// The network a guest reaches (`wasi:sockets/network.network`; one, policed by the
/// context).
#[derive(Debug)]
pub struct Network;

/// Where a TCP socket is in WASI's state machine.
#[derive(Debug)]
enum TcpState {
    Unbound,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    ConnectStarted,
    /// `finish-connect` or `accept` handed out these streams' connection.
    Connected,
    /// A failed connect: the socket is unusable.
    Closed,
}

/// A TCP socket (`wasi:sockets/tcp.tcp-socket`).
#[derive(Debug)]
pub struct TcpSocket {
    fd: Arc<OwnedFd>,
    family: IpAddressFamily,
    state: TcpState,
    backlog: i32,
}

/// A UDP socket (`wasi:sockets/udp.udp-socket`).
#[derive(Debug)]
pub struct UdpSocket {
    sock: Arc<StdUdp>,
    family: IpAddressFamily,
    bound: bool,
    bind_started: bool,
    /// The peer `stream` connected it to.
    remote: Option<SocketAddr>,
}

/// Datagrams in (`wasi:sockets/udp.incoming-datagram-stream`).
#[derive(Debug)]
pub struct IncomingDatagramStream {
    sock: Arc<StdUdp>,
    remote: Option<SocketAddr>,
}

/// Datagrams out (`wasi:sockets/udp.outgoing-datagram-stream`).
#[derive(Debug)]
pub struct OutgoingDatagramStream {
    sock: Arc<StdUdp>,
    remote: Option<SocketAddr>,
}

/// Addresses a name resolved to (`wasi:sockets/ip-name-lookup.resolve-address-stream`).
#[derive(Debug)]
pub struct ResolveAddressStream {
    addrs: std::vec::IntoIter<IpAddr>,
}

/// The most datagrams one `receive` or `send` moves.
const MAX_DATAGRAMS: u64 = 64;

fn code(e: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    if let Some(errno) = rustix::io::Errno::from_io_error(e) {
        use rustix::io::Errno as X;
        let code = match errno {
            X::ACCESS | X::PERM => Some(ErrorCode::AccessDenied),
            X::ADDRINUSE => Some(ErrorCode::AddressInUse),
            X::ADDRNOTAVAIL => Some(ErrorCode::AddressNotBindable),
            X::NETUNREACH | X::HOSTUNREACH => Some(ErrorCode::RemoteUnreachable),
            X::CONNREFUSED => Some(ErrorCode::ConnectionRefused),
            X::CONNRESET => Some(ErrorCode::ConnectionReset),
            X::CONNABORTED => Some(ErrorCode::ConnectionAborted),
            X::TIMEDOUT => Some(ErrorCode::Timeout),
            X::MSGSIZE => Some(ErrorCode::DatagramTooLarge),
            X::INVAL => Some(ErrorCode::InvalidArgument),
            X::MFILE | X::NFILE => Some(ErrorCode::NewSocketLimit),
            X::NOMEM | X::NOBUFS => Some(ErrorCode::OutOfMemory),
            X::AFNOSUPPORT => Some(ErrorCode::NotSupported),
            _ => None,
        };
        if let Some(code) = code {
            return code;
        }
    }
    match e.kind() {
        K::WouldBlock => ErrorCode::WouldBlock,
        K::PermissionDenied => ErrorCode::AccessDenied,
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::ConnectionReset => ErrorCode::ConnectionReset,
        K::InvalidInput => ErrorCode::InvalidArgument,
        _ => ErrorCode::Unknown,
    }
}

fn rcode(e: rustix::io::Errno) -> ErrorCode {
    code(&std::io::Error::from(e))
}

fn to_std(a: &IpSocketAddress) -> SocketAddr {
    match a {
        IpSocketAddress::Ipv4(v) => {
            let (a, b, c, d) = v.address;
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), v.port)
        }
        IpSocketAddress::Ipv6(v) => {
            let (a, b, c, d, e, f, g, h) = v.address;
            SocketAddr::V6(std::net::SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v.port,
                v.flow_info,
                v.scope_id,
            ))
        }
    }
}

fn ip_of(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(v) => {
            let [a, b, c, d] = v.octets();
            IpAddress::Ipv4((a, b, c, d))
        }
        IpAddr::V6(v) => {
            let [a, b, c, d, e, f, g, h] = v.segments();
            IpAddress::Ipv6((a, b, c, d, e, f, g, h))
        }
    }
}

fn from_std(a: SocketAddr) -> IpSocketAddress {
    match a {
        SocketAddr::V4(v) => {
            let [a, b, c, d] = v.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: v.port(),
                address: (a, b, c, d),
            })
        }
        SocketAddr::V6(v) => {
            let [a, b, c, d, e, f, g, h] = v.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v.port(),
                flow_info: v.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v.scope_id(),
            })
        }
    }
}

fn family_of(a: &SocketAddr) -> IpAddressFamily {
    match a {
        SocketAddr::V4(_) => IpAddressFamily::Ipv4,
        SocketAddr::V6(_) => IpAddressFamily::Ipv6,
    }
}

/// A new non-blocking socket of `family` (IPv6 ones IPv6-only, as WASI asks).
fn new_socket(family: IpAddressFamily, ty: SocketType) -> Result<OwnedFd, ErrorCode> {
    let af = match family {
        IpAddressFamily::Ipv4 => AddressFamily::INET,
        IpAddressFamily::Ipv6 => AddressFamily::INET6,
    };
    let fd = rustix::net::socket_with(af, ty, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC, None)
        .map_err(rcode)?;
    if family == IpAddressFamily::Ipv6 {
        sockopt::set_ipv6_v6only(&fd, true).map_err(rcode)?;
    }
    Ok(fd)
}

fn local_of(fd: &OwnedFd) -> Result<IpSocketAddress, ErrorCode> {
    let a = rustix::net::getsockname(fd).map_err(rcode)?;
    SocketAddr::try_from(a)
        .map(from_std)
        .map_err(|_| ErrorCode::InvalidState)
}

/// Runs `body`, whose errors are the guest's.
macro_rules! net_try {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return Ok(Err(code)),
        }
    };
}

type NetResult<T> = Result<Result<T, ErrorCode>>;

impl WasiCtxView<'_> {
    fn allowed(&self, addr: SocketAddr, usage: SocketAddrUse) -> Result<(), ErrorCode> {
        if self.ctx.net.allows(addr, usage) {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }

    /// What a pollable on TCP socket `rep` (whose descriptor is `fd`) waits for (`None`:
    /// ready now, also when the socket is gone).
    pub(crate) fn socket_wait(
        &self,
        rep: u32,
        fd: &Arc<OwnedFd>,
    ) -> Option<(Arc<dyn std::os::fd::AsFd + Send + Sync>, PollFlags)> {
        let s = self
            .table
            .get(&Resource::<TcpSocket>::new_borrow(rep))
            .ok()?;
        if !Arc::ptr_eq(&s.fd, fd) {
            return None;
        }
        match s.state {
            TcpState::ConnectStarted => Some((s.fd.clone(), PollFlags::OUT)),
            TcpState::Listening => Some((s.fd.clone(), PollFlags::IN)),
            _ => None,
        }
    }

    /// Streams over a connected socket.
    fn tcp_streams(
        &mut self,
        fd: &OwnedFd,
    ) -> NetResult<(Resource<InputStream>, Resource<OutputStream>)> {
        let dup = net_try!(fd.try_clone().map_err(|e| code(&e)));
        let stream = Arc::new(TcpStream::from(dup));
        let i = self.push(InputStream::Tcp(stream.clone()))?;
        let o = self.push(OutputStream::Tcp(stream))?;
        Ok(Ok((i, o)))
    }
}

impl network::Host for WasiCtxView<'_> {}

impl network::HostNetwork for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<Network>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl instance_network::Host for WasiCtxView<'_> {
    fn instance_network(&mut self) -> Result<Resource<Network>> {
        self.push(Network)
    }
}

impl ip_name_lookup::Host for WasiCtxView<'_> {
    fn resolve_addresses(
        &mut self,
        _network: Resource<Network>,
        name: String,
    ) -> NetResult<Resource<ResolveAddressStream>> {
        if !self.ctx.net.ip_name_lookup {
            return Ok(Err(ErrorCode::PermanentResolverFailure));
        }
        if name.is_empty()
            || name.len() > 255
            || name.contains(':') && name.parse::<IpAddr>().is_err()
        {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let addrs: Vec<IpAddr> = if let Ok(ip) = name.parse::<IpAddr>() {
            vec![ip]
        } else {
            use std::net::ToSocketAddrs;
            match (name.as_str(), 0u16).to_socket_addrs() {
                Ok(it) => it.map(|a| a.ip()).collect(),
                Err(_) => return Ok(Err(ErrorCode::NameUnresolvable)),
            }
        };
        Ok(Ok(self.push(ResolveAddressStream {
            addrs: addrs.into_iter(),
        })?))
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiCtxView<'_> {
    fn resolve_next_address(
        &mut self,
        s: Resource<ResolveAddressStream>,
    ) -> NetResult<Option<IpAddress>> {
        Ok(Ok(self.table.get_mut(&s)?.addrs.next().map(ip_of)))
    }

    fn subscribe(&mut self, s: Resource<ResolveAddressStream>) -> Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push(Pollable::Ready)
    }

    fn drop(&mut self, rep: Resource<ResolveAddressStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl tcp_create_socket::Host for WasiCtxView<'_> {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> NetResult<Resource<TcpSocket>> {
        if !self.ctx.net.tcp {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        let fd = net_try!(new_socket(family, SocketType::STREAM));
        Ok(Ok(self.push(TcpSocket {
            fd: Arc::new(fd),
            family,
            state: TcpState::Unbound,
            backlog: 128,
        })?))
    }
}

impl tcp::Host for WasiCtxView<'_> {}

impl tcp::HostTcpSocket for WasiCtxView<'_> {
    fn start_bind(
        &mut self,
        s: Resource<TcpSocket>,
        _network: Resource<Network>,
        local: IpSocketAddress,
    ) -> NetResult<()> {
        let addr = to_std(&local);
        net_try!(self.allowed(addr, SocketAddrUse::TcpBind));
        let sock = self.table.get_mut(&s)?;
        if !matches!(sock.state, TcpState::Unbound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if family_of(&addr) != sock.family {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        // Rebinding a port in TIME_WAIT is what servers expect.
        let _ = sockopt::set_socket_reuseaddr(&*sock.fd, true);
        net_try!(rustix::net::bind(&*sock.fd, &addr).map_err(rcode));
        sock.state = TcpState::BindStarted;
        Ok(Ok(()))
    }

    fn finish_bind(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.table.get_mut(&s)?;
        if !matches!(sock.state, TcpState::BindStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.state = TcpState::Bound;
        Ok(Ok(()))
    }

    fn start_connect(
        &mut self,
        s: Resource<TcpSocket>,
        _network: Resource<Network>,
        remote: IpSocketAddress,
    ) -> NetResult<()> {
        let addr = to_std(&remote);
        let sock = self.table.get(&s)?;
        if !matches!(sock.state, TcpState::Unbound | TcpState::Bound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if family_of(&addr) != sock.family || addr.port() == 0 || addr.ip().is_unspecified() {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        net_try!(self.allowed(addr, SocketAddrUse::TcpConnect));
        let sock = self.table.get_mut(&s)?;
        match rustix::net::connect(&*sock.fd, &addr) {
            Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {
                sock.state = TcpState::ConnectStarted;
                Ok(Ok(()))
            }
            Err(e) => {
                sock.state = TcpState::Closed;
                Ok(Err(rcode(e)))
            }
        }
    }

    fn finish_connect(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(Resource<InputStream>, Resource<OutputStream>)> {
        let sock = self.table.get_mut(&s)?;
        if !matches!(sock.state, TcpState::ConnectStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        let mut fds = [rustix::event::PollFd::new(&*sock.fd, PollFlags::OUT)];
        let zero = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if rustix::event::poll(&mut fds, Some(&zero)).unwrap_or(0) == 0 {
            return Ok(Err(ErrorCode::WouldBlock));
        }
        match sockopt::socket_error(&*sock.fd) {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => {
                sock.state = TcpState::Closed;
                return Ok(Err(rcode(e)));
            }
        }
        sock.state = TcpState::Connected;
        let fd = sock.fd.clone();
        self.tcp_streams(&fd)
    }

    fn start_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.table.get_mut(&s)?;
        if !matches!(sock.state, TcpState::Bound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        net_try!(rustix::net::listen(&*sock.fd, sock.backlog).map_err(rcode));
        sock.state = TcpState::ListenStarted;
        Ok(Ok(()))
    }

    fn finish_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.table.get_mut(&s)?;
        if !matches!(sock.state, TcpState::ListenStarted) {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.state = TcpState::Listening;
        Ok(Ok(()))
    }

    fn accept(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(
        Resource<TcpSocket>,
        Resource<InputStream>,
        Resource<OutputStream>,
    )> {
        let sock = self.table.get(&s)?;
        if !matches!(sock.state, TcpState::Listening) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let family = sock.family;
        let fd = net_try!(rustix::net::accept_with(
            &*sock.fd,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC
        )
        .map_err(rcode));
        let (i, o) = net_try!(self.tcp_streams(&fd)?);
        let child = self.push(TcpSocket {
            fd: Arc::new(fd),
            family,
            state: TcpState::Connected,
            backlog: 128,
        })?;
        Ok(Ok((child, i, o)))
    }

    fn local_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.table.get(&s)?;
        if matches!(sock.state, TcpState::Unbound | TcpState::BindStarted) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(local_of(&sock.fd))
    }

    fn remote_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.table.get(&s)?;
        if !matches!(sock.state, TcpState::Connected) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(match rustix::net::getpeername(&*sock.fd) {
            Ok(Some(a)) => SocketAddr::try_from(a)
                .map(from_std)
                .map_err(|_| ErrorCode::InvalidState),
            Ok(None) => Err(ErrorCode::InvalidState),
            Err(e) => Err(rcode(e)),
        })
    }

    fn is_listening(&mut self, s: Resource<TcpSocket>) -> Result<bool> {
        Ok(matches!(self.table.get(&s)?.state, TcpState::Listening))
    }

    fn address_family(&mut self, s: Resource<TcpSocket>) -> Result<IpAddressFamily> {
        Ok(self.table.get(&s)?.family)
    }

    fn set_listen_backlog_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let sock = self.table.get_mut(&s)?;
        sock.backlog = value.min(i32::MAX as u64) as i32;
        if matches!(sock.state, TcpState::Listening) {
            net_try!(rustix::net::listen(&*sock.fd, sock.backlog).map_err(rcode));
        }
        Ok(Ok(()))
    }

    fn keep_alive_enabled(&mut self, s: Resource<TcpSocket>) -> NetResult<bool> {
        Ok(sockopt::socket_keepalive(&*self.table.get(&s)?.fd).map_err(rcode))
    }

    fn set_keep_alive_enabled(&mut self, s: Resource<TcpSocket>, value: bool) -> NetResult<()> {
        Ok(sockopt::set_socket_keepalive(&*self.table.get(&s)?.fd, value).map_err(rcode))
    }

    fn keep_alive_idle_time(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sockopt::tcp_keepidle(&*self.table.get(&s)?.fd)
            .map(|d| d.as_nanos() as u64)
            .map_err(rcode))
    }

    fn set_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let secs = value.div_ceil(1_000_000_000).clamp(1, i16::MAX as u64);
        Ok(sockopt::set_tcp_keepidle(
            &*self.table.get(&s)?.fd,
            std::time::Duration::from_secs(secs),
        )
        .map_err(rcode))
    }

    fn keep_alive_interval(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sockopt::tcp_keepintvl(&*self.table.get(&s)?.fd)
            .map(|d| d.as_nanos() as u64)
            .map_err(rcode))
    }

    fn set_keep_alive_interval(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let secs = value.div_ceil(1_000_000_000).clamp(1, i16::MAX as u64);
        Ok(sockopt::set_tcp_keepintvl(
            &*self.table.get(&s)?.fd,
            std::time::Duration::from_secs(secs),
        )
        .map_err(rcode))
    }

    fn keep_alive_count(&mut self, s: Resource<TcpSocket>) -> NetResult<u32> {
        Ok(sockopt::tcp_keepcnt(&*self.table.get(&s)?.fd).map_err(rcode))
    }

    fn set_keep_alive_count(&mut self, s: Resource<TcpSocket>, value: u32) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(sockopt::set_tcp_keepcnt(&*self.table.get(&s)?.fd, value.min(127)).map_err(rcode))
    }

    fn hop_limit(&mut self, s: Resource<TcpSocket>) -> NetResult<u8> {
        let sock = self.table.get(&s)?;
        Ok(hop_limit(&sock.fd, sock.family))
    }

    fn set_hop_limit(&mut self, s: Resource<TcpSocket>, value: u8) -> NetResult<()> {
        let sock = self.table.get(&s)?;
        Ok(set_hop_limit(&sock.fd, sock.family, value))
    }

    fn receive_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sockopt::socket_recv_buffer_size(&*self.table.get(&s)?.fd)
            .map(|v| v as u64)
            .map_err(rcode))
    }

    fn set_receive_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let v = value.min(i32::MAX as u64 / 2) as usize;
        Ok(sockopt::set_socket_recv_buffer_size(&*self.table.get(&s)?.fd, v).map_err(rcode))
    }

    fn send_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sockopt::socket_send_buffer_size(&*self.table.get(&s)?.fd)
            .map(|v| v as u64)
            .map_err(rcode))
    }

    fn set_send_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let v = value.min(i32::MAX as u64 / 2) as usize;
        Ok(sockopt::set_socket_send_buffer_size(&*self.table.get(&s)?.fd, v).map_err(rcode))
    }

    fn subscribe(&mut self, s: Resource<TcpSocket>) -> Result<Resource<Pollable>> {
        let fd = self.table.get(&s)?.fd.clone();
        self.push(Pollable::Socket(s.rep(), fd))
    }

    fn shutdown(&mut self, s: Resource<TcpSocket>, how: tcp::ShutdownType) -> NetResult<()> {
        let sock = self.table.get(&s)?;
        if !matches!(sock.state, TcpState::Connected) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let how = match how {
            tcp::ShutdownType::Receive => rustix::net::Shutdown::Read,
            tcp::ShutdownType::Send => rustix::net::Shutdown::Write,
            tcp::ShutdownType::Both => rustix::net::Shutdown::Both,
        };
        Ok(rustix::net::shutdown(&*sock.fd, how).map_err(rcode))
    }

    fn drop(&mut self, rep: Resource<TcpSocket>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

fn hop_limit(fd: &OwnedFd, family: IpAddressFamily) -> Result<u8, ErrorCode> {
    match family {
        IpAddressFamily::Ipv4 => sockopt::ip_ttl(fd).map(|v| v.min(255) as u8),
        IpAddressFamily::Ipv6 => sockopt::ipv6_unicast_hops(fd),
    }
    .map_err(rcode)
}

fn set_hop_limit(fd: &OwnedFd, family: IpAddressFamily, value: u8) -> Result<(), ErrorCode> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    match family {
        IpAddressFamily::Ipv4 => sockopt::set_ip_ttl(fd, value as u32),
        IpAddressFamily::Ipv6 => sockopt::set_ipv6_unicast_hops(fd, Some(value)),
    }
    .map_err(rcode)
}

impl udp_create_socket::Host for WasiCtxView<'_> {
    fn create_udp_socket(&mut self, family: IpAddressFamily) -> NetResult<Resource<UdpSocket>> {
        if !self.ctx.net.udp {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        let fd = net_try!(new_socket(family, SocketType::DGRAM));
        Ok(Ok(self.push(UdpSocket {
            sock: Arc::new(StdUdp::from(fd)),
            family,
            bound: false,
            bind_started: false,
            remote: None,
        })?))
    }
}

impl udp::Host for WasiCtxView<'_> {}

impl udp::HostUdpSocket for WasiCtxView<'_> {
    fn start_bind(
        &mut self,
        s: Resource<UdpSocket>,
        _network: Resource<Network>,
        local: IpSocketAddress,
    ) -> NetResult<()> {
        let addr = to_std(&local);
        net_try!(self.allowed(addr, SocketAddrUse::UdpBind));
        let sock = self.table.get_mut(&s)?;
        if sock.bound || sock.bind_started {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if family_of(&addr) != sock.family {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        net_try!(rustix::net::bind(&*sock.sock, &addr).map_err(rcode));
        sock.bind_started = true;
        Ok(Ok(()))
    }

    fn finish_bind(&mut self, s: Resource<UdpSocket>) -> NetResult<()> {
        let sock = self.table.get_mut(&s)?;
        if !sock.bind_started {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.bind_started = false;
        sock.bound = true;
        Ok(Ok(()))
    }

    fn stream(
        &mut self,
        s: Resource<UdpSocket>,
        remote: Option<IpSocketAddress>,
    ) -> NetResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        let remote = remote.as_ref().map(to_std);
        if let Some(r) = remote {
            net_try!(self.allowed(r, SocketAddrUse::UdpConnect));
        }
        let sock = self.table.get_mut(&s)?;
        if !sock.bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        match remote {
            Some(r) => {
                if family_of(&r) != sock.family || r.port() == 0 {
                    return Ok(Err(ErrorCode::InvalidArgument));
                }
                net_try!(sock.sock.connect(r).map_err(|e| code(&e)));
            }
            None if sock.remote.is_some() => {
                net_try!(rustix::net::connect_unspec(&*sock.sock).map_err(rcode));
            }
            None => {}
        }
        sock.remote = remote;
        let handle = sock.sock.clone();
        let i = self.push(IncomingDatagramStream {
            sock: handle.clone(),
            remote,
        })?;
        let o = self.push(OutgoingDatagramStream {
            sock: handle,
            remote,
        })?;
        Ok(Ok((i, o)))
    }

    fn local_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.table.get(&s)?;
        if !sock.bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(sock.sock.local_addr().map(from_std).map_err(|e| code(&e)))
    }

    fn remote_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        Ok(self
            .table
            .get(&s)?
            .remote
            .map(from_std)
            .ok_or(ErrorCode::InvalidState))
    }

    fn address_family(&mut self, s: Resource<UdpSocket>) -> Result<IpAddressFamily> {
        Ok(self.table.get(&s)?.family)
    }

    fn unicast_hop_limit(&mut self, s: Resource<UdpSocket>) -> NetResult<u8> {
        let sock = self.table.get(&s)?;
        let fd = net_try!(sock.sock.try_clone().map_err(|e| code(&e)));
        Ok(hop_limit(&OwnedFd::from(fd), sock.family))
    }

    fn set_unicast_hop_limit(&mut self, s: Resource<UdpSocket>, value: u8) -> NetResult<()> {
        let sock = self.table.get(&s)?;
        let fd = net_try!(sock.sock.try_clone().map_err(|e| code(&e)));
        Ok(set_hop_limit(&OwnedFd::from(fd), sock.family, value))
    }

    fn receive_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(sockopt::socket_recv_buffer_size(&*self.table.get(&s)?.sock)
            .map(|v| v as u64)
            .map_err(rcode))
    }

    fn set_receive_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let v = value.min(i32::MAX as u64 / 2) as usize;
        Ok(sockopt::set_socket_recv_buffer_size(&*self.table.get(&s)?.sock, v).map_err(rcode))
    }

    fn send_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(sockopt::socket_send_buffer_size(&*self.table.get(&s)?.sock)
            .map(|v| v as u64)
            .map_err(rcode))
    }

    fn set_send_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let v = value.min(i32::MAX as u64 / 2) as usize;
        Ok(sockopt::set_socket_send_buffer_size(&*self.table.get(&s)?.sock, v).map_err(rcode))
    }

    fn subscribe(&mut self, s: Resource<UdpSocket>) -> Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push(Pollable::Ready)
    }

    fn drop(&mut self, rep: Resource<UdpSocket>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl udp::HostIncomingDatagramStream for WasiCtxView<'_> {
    fn receive(
        &mut self,
        s: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> NetResult<Vec<udp::IncomingDatagram>> {
        let stream = self.table.get(&s)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65_536];
        while (out.len() as u64) < max_results.min(MAX_DATAGRAMS) {
            match stream.sock.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if stream.remote.is_some_and(|r| r != from) {
                        continue;
                    }
                    out.push(udp::IncomingDatagram {
                        data: buf[..n].to_vec(),
                        remote_address: from_std(from),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if out.is_empty() => return Ok(Err(code(&e))),
                Err(_) => break,
            }
        }
        Ok(Ok(out))
    }

    fn subscribe(&mut self, s: Resource<IncomingDatagramStream>) -> Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push(Pollable::Ready)
    }

    fn drop(&mut self, rep: Resource<IncomingDatagramStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl udp::HostOutgoingDatagramStream for WasiCtxView<'_> {
    fn check_send(&mut self, s: Resource<OutgoingDatagramStream>) -> NetResult<u64> {
        self.table.get(&s)?;
        Ok(Ok(MAX_DATAGRAMS))
    }

    fn send(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
        datagrams: Vec<udp::OutgoingDatagram>,
    ) -> NetResult<u64> {
        if datagrams.len() as u64 > MAX_DATAGRAMS {
            spindle::bail!("more datagrams than check-send allowed");
        }
        let (sock, remote) = {
            let st = self.table.get(&s)?;
            (st.sock.clone(), st.remote)
        };
        let mut sent = 0u64;
        for d in datagrams {
            let to = d.remote_address.as_ref().map(to_std);
            let r = match (to, remote) {
                (Some(t), Some(r)) if t != r => Err(ErrorCode::InvalidArgument),
                (_, Some(_)) => sock.send(&d.data).map_err(|e| code(&e)),
                (Some(t), None) => self
                    .allowed(t, SocketAddrUse::UdpOutgoingDatagram)
                    .and_then(|()| sock.send_to(&d.data, t).map_err(|e| code(&e))),
                (None, None) => Err(ErrorCode::InvalidArgument),
            };
            match r {
                Ok(_) => sent += 1,
                Err(e) if sent == 0 => return Ok(Err(e)),
                Err(_) => break,
            }
        }
        Ok(Ok(sent))
    }

    fn subscribe(&mut self, s: Resource<OutgoingDatagramStream>) -> Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push(Pollable::Ready)
    }

    fn drop(&mut self, rep: Resource<OutgoingDatagramStream>) -> Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}
