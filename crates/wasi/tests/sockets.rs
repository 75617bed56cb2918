//! WASI 0.2 sockets: the C guest `examples/wasi/sockets` (wit-bindgen bindings, adapted
//! component) as a TCP client and server, a UDP client and a name resolver on loopback,
//! and refused wherever the context does not allow the address.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use spindle_wasi::pipe::MemoryOutputPipe;
use spindle_wasi::WasiCtxBuilder;

fn guest() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasi/sockets/sockets.component.wasm"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Runs the guest with `args`; its standard output and exit status (0 or 1).
fn run(args: &[&str], setup: impl FnOnce(&mut WasiCtxBuilder)) -> (String, i32) {
    let out = MemoryOutputPipe::new(1 << 20);
    let status = run_with(args, out.clone(), setup);
    (String::from_utf8(out.contents()).unwrap(), status)
}

fn run_with(args: &[&str], out: MemoryOutputPipe, setup: impl FnOnce(&mut WasiCtxBuilder)) -> i32 {
    let mut b = WasiCtxBuilder::new();
    b.arg("sockets").args(args).stdout(out);
    setup(&mut b);
    match common::run_command(&guest(), &mut b) {
        Ok(()) => 0,
        Err(e) => {
            e.downcast_ref::<spindle_wasi::I32Exit>()
                .unwrap_or_else(|| panic!("{e:?}"))
                .0
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn tcp_client_talks_to_an_allowed_server_only() {
    let server = TcpListener::bind(loopback(0)).unwrap();
    let port = server.local_addr().unwrap().port();
    let host = std::thread::spawn(move || {
        let (mut c, _) = server.accept().unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        c.write_all(&got.to_ascii_uppercase()).unwrap();
    });
    let p = port.to_string();
    let (out, status) = run(&["client", &p, "hello over tcp"], |b| {
        b.allow_addr(loopback(port));
    });
    assert_eq!((out.as_str(), status), ("reply: HELLO OVER TCP\n", 0));
    host.join().unwrap();
    // Not allowed: access-denied (1), before anything reaches the network.
    let (out, status) = run(&["client", &p, "x"], |_| {});
    assert_eq!((out.as_str(), status), ("error: connect 1\n", 1));
    let (out, _) = run(&["client", &p, "x"], |b| {
        b.allow_addr(loopback(port.wrapping_add(1).max(1)));
    });
    assert_eq!(out, "error: connect 1\n", "another port of the same IP");
}

#[test]
fn tcp_server_accepts_and_echoes_a_connection() {
    let out = MemoryOutputPipe::new(1 << 20);
    let guest_out = out.clone();
    let guest = std::thread::spawn(move || {
        run_with(&["server", "0"], guest_out, |b| {
            b.allow_addr(loopback(0));
        })
    });
    // The guest prints its port once it listens (accept then blocks in poll).
    let started = Instant::now();
    let port: u16 = loop {
        let text = String::from_utf8(out.contents()).unwrap();
        if let Some(p) = text
            .strip_prefix("listening on ")
            .and_then(|r| r.lines().next())
        {
            break p.parse().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the guest never listened: {text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut c = TcpStream::connect(loopback(port)).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let mut c = c.try_clone().unwrap();
        let data = data.clone();
        std::thread::spawn(move || {
            c.write_all(&data).unwrap();
            c.shutdown(std::net::Shutdown::Write).unwrap();
        })
    };
    let mut back = Vec::new();
    c.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    assert_eq!(back, data);
    assert_eq!(guest.join().unwrap(), 0);
    assert_eq!(
        String::from_utf8(out.contents()).unwrap(),
        format!("listening on {port}\nechoed 100000 bytes\n")
    );
    // Binding is refused without permission.
    let (text, status) = run(&["server", "0"], |_| {});
    assert_eq!((text.as_str(), status), ("error: bind 1\n", 1));
}

#[test]
fn udp_datagrams_to_an_allowed_address() {
    let host = UdpSocket::bind(loopback(0)).unwrap();
    let port = host.local_addr().unwrap().port();
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let (n, from) = host.recv_from(&mut buf).unwrap();
        host.send_to(&buf[..n].to_ascii_uppercase(), from).unwrap();
    });
    let p = port.to_string();
    let (out, status) = run(&["udp", &p, "ping"], |b| {
        b.allow_addr(loopback(0));
    });
    assert_eq!((out.as_str(), status), ("datagram: PING\n", 0));
    echo.join().unwrap();
    let (out, _) = run(&["udp", &p, "ping"], |_| {});
    assert_eq!(out, "error: bind 1\n");
}

#[test]
fn name_lookup_only_when_allowed() {
    let (out, status) = run(&["lookup", "127.0.0.1"], |b| {
        b.allow_ip_name_lookup(true);
    });
    assert_eq!((out.as_str(), status), ("127.0.0.1\n", 0));
    // permanent-resolver-failure (20) when lookups are not allowed.
    let (out, status) = run(&["lookup", "localhost"], |_| {});
    assert_eq!((out.as_str(), status), ("error: lookup 20\n", 1));
}
