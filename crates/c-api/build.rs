//! Links the shared library (`libspindle_c_api.so`) with `crates/exec/x86_64-handlers.ld`
//! where it applies (x86-64 GNU/Linux; `crates/exec/x86_64-handlers.rs` says when), as the
//! `spindle` CLI is linked: each threaded-interpreter handler at the start of a 64-byte cache
//! line (why, in that file). The static library cannot carry link arguments: a program
//! linking it adds `-T <that file>` itself.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    link_with_handler_alignment(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../exec/x86_64-handlers.ld"),
        &["cdylib"],
    );
}

include!("../exec/x86_64-handlers.rs");
