//! Links the benchmark programs (the `table` and the other binaries, and the criterion
//! benches) with `crates/exec/x86_64-handlers.ld` where it applies (x86-64 GNU/Linux;
//! `crates/exec/x86_64-handlers.rs` says when), as the `spindle` CLI is linked: each of
//! Spindle's threaded-interpreter handlers at the start of a 64-byte cache line (why, in
//! that file); only when Spindle is built in (`spindle` feature). It names only Spindle's
//! handlers' sections, so a peer-only build is linked as without it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_SPINDLE").is_some() {
        link_with_handler_alignment(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../crates/exec/x86_64-handlers.ld"
            ),
            &["bins", "benches"],
        );
    }
}

include!("../../crates/exec/x86_64-handlers.rs");
