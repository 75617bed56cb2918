//! Links the `spindle` binary with packed relative relocations (`-z pack-relative-relocs`,
//! DT_RELR) where the result will load: a native build for a GNU/Linux target whose C
//! library is glibc 2.36 or later (the first to read DT_RELR; an older one refuses such a
//! binary). A position-independent executable is otherwise relocated at start-up through
//! about 13,000 24-byte entries (`.rela.dyn`, 314 KB for this binary), every page of which
//! the loader reads and keeps resident: packed, they take 3 KB, and running the SQLite
//! shell peaks at about 0.45 MB less (`benches/rss/rss.sh`; `docs/BENCHMARKS.md`). The
//! libraries are not affected: an embedder's binary decides its own linking.
//!
//! It also links with `crates/exec/x86_64-handlers.ld` where that applies (x86-64
//! GNU/Linux; `crates/exec/x86_64-handlers.rs` says when), which puts each
//! threaded-interpreter handler at the start of a 64-byte cache line (why, in that file).
//! `tests/handler_alignment.rs` checks the result.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = env::var("TARGET").unwrap_or_default();
    let host = env::var("HOST").unwrap_or_default();
    if target == host && target.ends_with("-linux-gnu") && glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    link_with_handler_alignment(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../exec/x86_64-handlers.ld"),
        &["bins"],
    );
}

include!("../exec/x86_64-handlers.rs");

/// Whether the build machine's glibc (`getconf GNU_LIBC_VERSION`, "glibc 2.36") is at
/// least `major.minor`; false when it cannot tell.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}
