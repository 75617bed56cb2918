//! The WASI 0.2 interfaces wasi-libc does not reach through the adapter, called directly
//! by the C guest `examples/wasi/interfaces`: streams (non-blocking read, skip,
//! check-write, write-zeroes, splice), poll on a timer and a stream, terminals, the wall
//! clock, randomness, and every filesystem descriptor operation.

mod common;

use spindle_wasi::pipe::{MemoryInputPipe, MemoryOutputPipe};
use spindle_wasi::{FsPerms, WasiCtxBuilder};

fn guest() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasi/interfaces/interfaces.component.wasm"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Runs the guest with `args` and `stdin`, `dir` preopened as `/data`: its output.
fn run(args: &[&str], stdin: &[u8], dir: &std::path::Path) -> Vec<u8> {
    let out = MemoryOutputPipe::new(1 << 20);
    let mut b = WasiCtxBuilder::new();
    b.arg("interfaces")
        .args(args)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(out.clone())
        .preopened_dir(dir, "/data", FsPerms::ReadWrite)
        .unwrap();
    match common::run_command(&guest(), &mut b) {
        Ok(()) => {}
        Err(e) => assert_eq!(
            e.downcast_ref::<spindle_wasi::I32Exit>().map(|x| x.0),
            Some(0),
            "{e:?}"
        ),
    }
    out.contents()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("spindle-interfaces-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("in.txt"), "hi 0123456789 tail").unwrap();
    d
}

#[test]
fn streams_read_skip_write_splice_and_zeroes() {
    let dir = scratch("streams");
    let out = run(&["streams"], b"XYabcdefghijklmno", &dir);
    let mut expected = b"abcdefghijklmnohi 0123456789 tail\0\0\0".to_vec();
    expected.extend_from_slice(b"\nskipped 2, copied 15, spliced 18\n");
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn poll_waits_on_timers_and_streams_terminals_clocks_random() {
    let dir = scratch("poll");
    let text = |args| String::from_utf8(run(args, b"x", &dir)).unwrap();
    // The stream (index 1) is ready at once; the 20 ms timer is not, then is waited for.
    assert_eq!(
        text(&["poll"]),
        "ready: 1\ntimer ready at once: no\ntimer: index 0, waited >= 20 ms: yes\n"
    );
    assert_eq!(
        text(&["terminal"]),
        "terminals: stdin no, stdout no, stderr no\n"
    );
    assert_eq!(
        text(&["random"]),
        "random: 16 bytes\ninsecure: 5 bytes\nseed: nonzero\nwall clock after 2020: yes\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_descriptor_operation() {
    let dir = scratch("fs");
    let out = String::from_utf8(run(&["fs"], b"", &dir)).unwrap();
    assert_eq!(
        out,
        "preopen /data\n\
         contents: Jello WASI! + (eof 1)\n\
         size 13, type 6, links 1\n\
         flags 3, type 6\n\
         size 5, mtime 1000000000\n\
         t-sym -> sub/t2.txt\n\
         same object: yes, same hash: yes, directory's differs: yes\n\
         entries: in.txt(6) sub(3) t-link(6) t-sym(5)\n\
         remove again: error 20\n"
    );
    // Everything it made is gone again.
    let mut left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["in.txt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
