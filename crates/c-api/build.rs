//! On x86-64 GNU/Linux, links the shared library (`libspindle_c_api.so`) with
//! `crates/exec/x86_64-handlers.ld`, as the `spindle` CLI is linked: each threaded-interpreter
//! handler at the start of a 64-byte cache line (why, in that file). The static library
//! cannot carry link arguments: a program linking it adds `-Wl,-T,<that file>` itself.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("x86_64-") && target.ends_with("-linux-gnu") {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../exec/x86_64-handlers.ld");
        println!("cargo:rerun-if-changed={script}");
        println!("cargo:rustc-link-arg-cdylib=-Wl,-T,{script}");
    }
}
