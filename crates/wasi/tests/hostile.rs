//! A hostile WASI 0.2 guest (`examples/wasi/hostile`, calling wasi:filesystem, wasi:io and
//! wasi:random directly): paths leading out of its preopen (`..`, absolute, `/proc`,
//! symlinks out, a symlink swapped to point out while it opens it, hard links out) are
//! errors; fabricated or dropped handles and unbounded requests trap; nothing outside is
//! read or written.

mod common;

use std::path::{Path, PathBuf};

use spindle_wasi::pipe::MemoryOutputPipe;
use spindle_wasi::{FsPerms, WasiCtxBuilder};

fn guest() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasi/hostile/hostile.component.wasm"
    );
    std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `root/data` (preopened as `/data`, holding `inside.txt`) and `root/secret` beside it.
fn scratch(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("spindle-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("data/inside.txt"), "in\n").unwrap();
    std::fs::write(root.join("secret"), "outside\n").unwrap();
    root
}

/// Runs the guest: `Ok((stdout, status))`, or `Err(trap message)`.
fn run(root: &Path, args: &[&str]) -> Result<(String, i32), String> {
    let out = MemoryOutputPipe::new(1 << 20);
    let mut b = WasiCtxBuilder::new();
    b.arg("hostile").args(args).stdout(out.clone());
    b.preopened_dir(root.join("data"), "/data", FsPerms::ReadWrite)
        .unwrap();
    let status = match common::run_command(&guest(), &mut b) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<spindle_wasi::I32Exit>() {
            Some(x) => x.0,
            None => return Err(format!("{e:#}")),
        },
    };
    Ok((String::from_utf8(out.contents()).unwrap(), status))
}

const NOT_PERMITTED: &str = "error: 31\n";

#[test]
fn paths_leading_out_of_the_preopen_are_refused() {
    let root = scratch("paths");
    let ok = |args: &[&str]| run(&root, args).unwrap();
    assert_eq!(ok(&["open", "inside.txt"]), ("in\n".into(), 0));
    for path in [
        "../secret",
        "./../secret",
        "sub/../../secret",
        "/etc/passwd",
        "/proc/self/environ",
        "../../../../../../proc/self/environ",
    ] {
        let (out, status) = ok(&["open", path]);
        assert_eq!(status, 1, "{path}: {out}");
        assert!(out.starts_with("error: "), "{path}: {out}");
    }
    assert_eq!(ok(&["open", "../secret"]).0, NOT_PERMITTED);
    // Symlinks the guest makes that lead out: creating one is writing a name, following
    // it is refused.
    assert_eq!(ok(&["symlink", "../secret", "rel-out"]).0, NOT_PERMITTED);
    assert_eq!(ok(&["symlink", "/etc/passwd", "abs-out"]).0, NOT_PERMITTED);
    assert_eq!(ok(&["readlink", "rel-out"]).0, "../secret\n");
    // A symlink the host left pointing out, and one inside.
    std::os::unix::fs::symlink(root.join("secret"), root.join("data/host-out")).unwrap();
    assert_eq!(ok(&["open", "host-out"]).0, NOT_PERMITTED);
    assert_eq!(
        ok(&["symlink", "inside.txt", "in-link"]),
        ("in\n".into(), 0)
    );
    // Without symlink-follow a final symlink is not opened (ELOOP: loop, 15).
    assert_eq!(ok(&["nofollow", "in-link"]).0, "error: 15\n");
    // Hard links out of the directory, either way.
    assert_eq!(ok(&["link", "../secret", "stolen"]).0, NOT_PERMITTED);
    assert_eq!(ok(&["link", "inside.txt", "../planted"]).0, NOT_PERMITTED);
    assert!(!root.join("data/stolen").exists() && !root.join("planted").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("secret")).unwrap(),
        "outside\n"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_symlink_swapped_to_point_out_during_opens_never_leads_out() {
    let root = scratch("race");
    let data = root.join("data");
    std::os::unix::fs::symlink("inside.txt", data.join("swing")).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (data, root, stop) = (data.clone(), root.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let target = if swaps.is_multiple_of(2) {
                    root.join("secret")
                } else {
                    PathBuf::from("inside.txt")
                };
                let tmp = data.join("swing.tmp");
                let _ = std::fs::remove_file(&tmp);
                std::os::unix::fs::symlink(&target, &tmp).unwrap();
                std::fs::rename(&tmp, data.join("swing")).unwrap();
                swaps += 1;
                // Each state holds a moment, so that opens meet both (swapping flat out,
                // nearly every open races a swap and is refused, which proves less).
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            swaps
        })
    };
    let (out, status) = run(&root, &["race", "swing", "5000"]).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert_eq!(status, 0);
    // Every open saw the inside file or was refused; none read the secret.
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(
        (fields[0], fields[2], fields[4]),
        ("in", "failed", "other"),
        "{out}"
    );
    assert_eq!(fields[5], "0", "no open read the secret: {out}");
    // Both states were met: opens that read the inside file and opens refused.
    assert!(fields[1] != "0" && fields[3] != "0", "{out}");
    assert!(swaps > 2, "the swapper ran ({swaps} swaps)");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn fabricated_handles_and_unbounded_requests_trap_the_guest_not_the_host() {
    let root = scratch("handles");
    let trap = |args: &[&str]| run(&root, args).expect_err("a trap");
    let e = trap(&["bad-handle"]);
    assert!(e.contains("handle"), "{e}");
    let e = trap(&["use-after-drop"]);
    assert!(e.contains("handle"), "{e}");
    let e = trap(&["huge-random"]);
    assert!(e.contains("random bytes"), "{e}");
    let e = trap(&["many-streams"]);
    assert!(e.contains("too many WASI resources"), "{e}");
    // Huge reads are answered with what there is (at most the per-call bound).
    assert_eq!(
        run(&root, &["huge-read"]).unwrap(),
        ("read 3 eof 1\nstream 3\n".into(), 0)
    );
    std::fs::remove_dir_all(&root).unwrap();
}
